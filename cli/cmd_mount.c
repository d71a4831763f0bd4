/*
 * cmd_mount.c - 'hexz mount': serves an archive read-only through FUSE (libfuse3, high-level
 * API, multithreaded loop): its file tree, or one file per stream. The archive is opened and
 * the mount point checked before mounting, so that those failures exit 1 with one line on
 * stderr; the file system operations live in mount_fs.c.
 */
#include "mount_fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "mount_help.h"
#include "opt.h"
#include "password.h"

#define MOUNT_CACHE_MAX ((uint64_t)16 << 30)

typedef struct {
    const char *archive, *dir, *base_dir;
    int foreground, allow_other;
    uint64_t cache_size;
} mount_args;

/* -o: checks a comma-separated list; only the options hexz supports are accepted.
 * `allow_other` is mount_args.allow_other. */
static int mount_options(const cli_command *cmd, void *args, void *allow_other, char *list)
{
    (void)args;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        if (len == strlen("allow_other") && strncmp(p, "allow_other", len) == 0)
            *(int *)allow_other = 1;
        else if (!(len == 2 && strncmp(p, "ro", 2) == 0)) /* "ro" is always on */
            return cli_usage_error(cmd,
                                   "-o: unsupported mount option '%.*s' (supported: allow_other)",
                                   (int)len, p);
        if (p[len] == '\0') return CLI_OK;
        p += len + 1;
    }
}

static const opt_spec mount_opts[] = {
    OPT_E_FLAG("foreground", 'f', mount_args, foreground, "stay in the foreground"),
    OPT_E_SIZE("cache-size", 0, "SIZE", mount_args, cache_size, 0, 0, MOUNT_CACHE_MAX,
               "the block cache's size"),
    CLI_OPT_BASE_DIR(mount_args, base_dir),
    OPT_E_CALL(NULL, 'o', "OPTIONS", mount_args, allow_other, 0, mount_options,
               "mount options: ro, allow_other"),
    OPT_E_END,
};

/* Parses argv; returns -1 to go on, or the exit code to return. */
static int parse_mount(mount_args *a, int argc, char **argv)
{
    opt_parser p;
    int rc = opt_parse(&p, &cli_cmd_mount, mount_opts, a, argc, argv);
    if (rc >= 0) return rc;
    static const char *const names[] = {"ARCHIVE", "DIR", NULL};
    char **ops;
    if (opt_operands(&p, 2, 2, names, &ops) < 0) return CLI_USAGE;
    a->archive = ops[0];
    a->dir = ops[1];
    return -1;
}

/* The -o string for libfuse. fsname shows the archive in mount(8) and df(1); libfuse's option
 * parser takes ',' and '\' escaped with a backslash. */
static char *fuse_option_string(const mount_args *a)
{
    static const char base[] = "ro,nosuid,nodev,default_permissions,subtype=hexz,fsname=";
    static const char extra[] = ",allow_other";
    char *full = realpath(a->archive, NULL);
    const char *name = full ? full : a->archive;
    size_t len = strlen(name);
    char *s = malloc(sizeof base + 2 * len + sizeof extra);
    if (!s) {
        free(full);
        return NULL;
    }
    char *d = s + strlen(base);
    memcpy(s, base, strlen(base));
    for (const char *p = name; *p; p++) {
        if (*p == ',' || *p == '\\') *d++ = '\\';
        *d++ = *p;
    }
    *d = '\0';
    if (a->allow_other) strcat(d, extra);
    free(full);
    return s;
}

/* Mounts, serves until unmounted (or SIGINT, SIGTERM, SIGHUP), and unmounts. */
static int serve(const mount_args *a, mount_fs *fs)
{
    char *opts = fuse_option_string(a);
    if (!opts) {
        cli_error("mount", "out of memory");
        return CLI_FAIL;
    }
    char arg0[] = "hexz", arg1[] = "-o";
    char *fargv[] = {arg0, arg1, opts, NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    struct fuse *f = fuse_new(&args, mount_fs_operations(), sizeof(struct fuse_operations), fs);
    fuse_opt_free_args(&args);
    free(opts);
    if (!f) {
        cli_error("mount", "cannot set up FUSE (see the message above)");
        return CLI_FAIL;
    }
    int status = CLI_FAIL;
    if (fuse_mount(f, a->dir) != 0) {
        cli_error("mount", "%s: cannot mount (see the message above)", a->dir);
        goto out;
    }
    struct fuse_session *se = fuse_get_session(f);
    if (fuse_set_signal_handlers(se) != 0) {
        cli_error("mount", "cannot install signal handlers");
        goto unmount;
    }
    /* Without -f this forks: the parent exits 0 once the child is ready; from here on stdout
     * and stderr go to /dev/null. */
    if (fuse_daemonize(a->foreground) != 0) {
        cli_error("mount", "cannot run in the background");
        goto handlers;
    }
    int rc = fuse_loop_mt(f, 0);
    /* 0: unmounted (fusermount3 -u); > 0: the signal that ended the loop; < 0: an error. */
    if (rc < 0)
        cli_error("mount", "%s: %s", a->dir, strerror(-rc));
    else
        status = CLI_OK;
handlers:
    fuse_remove_signal_handlers(se);
unmount:
    fuse_unmount(f);
out:
    fuse_destroy(f);
    return status;
}

static int run_mount(const cli_command *self, int argc, char **argv)
{
    (void)self;
    mount_args a = {0};
    int rc = parse_mount(&a, argc, argv);
    if (rc >= 0) return rc;
    hexz_reader *r;
    cli_open_args open = {.base_dir = a.base_dir};
    if (cli_open_archive("mount", a.archive, &open, &r, NULL) != CLI_OK) return CLI_FAIL;
    struct stat st;
    int err = stat(a.dir, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    mount_fs *fs = NULL;
    if (err) {
        cli_error("mount", "%s: %s", a.dir, strerror(err));
        rc = CLI_FAIL;
    } else {
        rc = mount_fs_create(&fs, r, a.archive, a.cache_size);
    }
    if (rc == CLI_OK) rc = serve(&a, fs);
    mount_fs_free(fs);
    hexz_reader_free(r);
    return rc;
}

const cli_command cli_cmd_mount = {
    "mount", "serve an archive as a read-only file system (FUSE)",
    CLI_MOUNT_SYNOPSIS, cli_mount_help, run_mount};

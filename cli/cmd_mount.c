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
#include "mount_args.h"
#include "password.h"

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
    if (rc < 0) cli_error("mount", "%s: %s", a->dir, strerror(-rc));
    else status = CLI_OK;
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
    mount_args a;
    int rc = mount_parse_args(&a, argc, argv);
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

const cli_command cli_cmd_mount = {"mount", "serve an archive as a read-only file system (FUSE)",
                                   CLI_MOUNT_SYNOPSIS, cli_mount_help, run_mount};

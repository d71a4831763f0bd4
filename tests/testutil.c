/*
 * testutil.c - see testutil.h. Test-only code: failures abort the test through cmocka.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *tu_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    return s;
}

char *tu_mkdtemp(const char *tag)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *tmpl = tu_strf("%s/hexz-test-%s-XXXXXX", base, tag);
    assert_non_null(mkdtemp(tmpl));
    return tmpl;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    /* Restore write permission on directories so their contents can be removed. */
    remove(path);
    return 0;
}

void tu_rmtree(const char *path)
{
    if (path) nftw(path, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

void tu_rng_seed(tu_rng *r, uint64_t seed)
{
    /* splitmix64 expands the seed into the four state words. */
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        r->s[i] = z ^ (z >> 31);
    }
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t tu_rng_next(tu_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t tu_rng_below(tu_rng *r, uint64_t n)
{
    return tu_rng_next(r) % n;
}

void tu_rng_fill(tu_rng *r, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len >= 8) {
        uint64_t v = tu_rng_next(r);
        memcpy(p, &v, 8);
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t v = tu_rng_next(r);
        memcpy(p, &v, len);
    }
}

uint64_t tu_test_seed(void)
{
    const char *env = getenv("HEXZ_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5EED2026ull;
    printf("[ seed     ] HEXZ_TEST_SEED=%llu\n", (unsigned long long)seed);
    return seed;
}

void tu_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (len) assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

uint8_t *tu_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseeko(f, 0, SEEK_END), 0);
    off_t n = ftello(f);
    assert_true(n >= 0);
    assert_int_equal(fseeko(f, 0, SEEK_SET), 0);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    if (n) assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len_out = (size_t)n;
    return buf;
}

char *tu_path(const char *dir, const char *name)
{
    return tu_strf("%s/%s", dir, name);
}

void tu_assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part)) fprintf(stderr, "missing '%s' in:\n%s\n", part, text);
    assert_non_null(strstr(text, part));
}

void tu_assert_file_content(const char *path, const void *want, size_t want_len)
{
    size_t len;
    uint8_t *got = tu_read_file(path, &len);
    assert_int_equal(len, want_len);
    if (len) assert_memory_equal(got, want, len);
    free(got);
}

void tu_check_json(const char *dir, const char *text, const char *expr)
{
    char *file = tu_path(dir, "out.json");
    tu_write_file(file, text, strlen(text));
    const char *tool[] = {"/usr/bin/env", "python3", "-m", "json.tool", file, NULL};
    char *err = NULL;
    int rc = tu_run(NULL, &err, tool);
    if (rc != 0) fprintf(stderr, "json.tool: %s\n%s\n", err, text);
    assert_int_equal(rc, 0);
    free(err);
    char *code = tu_strf("import json,sys\nd=json.load(open(sys.argv[1]))\nassert %s, d\n", expr);
    const char *check[] = {"/usr/bin/env", "python3", "-c", code, file, NULL};
    rc = tu_run(NULL, &err, check);
    if (rc != 0) fprintf(stderr, "check failed: %s\n%s\n", expr, err);
    assert_int_equal(rc, 0);
    free(err);
    free(code);
    free(file);
}

long long tu_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

void tu_flip_byte(const char *path, uint64_t offset)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, (off_t)offset), 1);
    b ^= 0xFF;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)offset), 1);
    close(fd);
}

void tu_copy_file(const char *from, const char *to)
{
    size_t n;
    uint8_t *buf = tu_read_file(from, &n);
    tu_write_file(to, buf, n);
    free(buf);
}

static char *slurp_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    for (;;) {
        if (len + 1024 > cap) {
            cap *= 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
        ssize_t n = read(fd, s + len, cap - len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
    }
    s[len] = '\0';
    return s;
}

int tu_run(char **out_stdout, char **out_stderr, const char *const argv[])
{
    char *dir = tu_mkdtemp("run");
    char *out_path = tu_strf("%s/stdout", dir), *err_path = tu_strf("%s/stderr", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0) _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) assert_int_equal(errno, EINTR);
    int fd = open(out_path, O_RDONLY);
    char *o = slurp_fd(fd);
    close(fd);
    fd = open(err_path, O_RDONLY);
    char *e = slurp_fd(fd);
    close(fd);
    if (out_stdout) *out_stdout = o;
    else free(o);
    if (out_stderr) *out_stderr = e;
    else free(e);
    tu_rmtree(dir);
    free(dir);
    free(out_path);
    free(err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Collects the NULL-terminated arguments of `ap` into argv, behind the CLI's path. */
static void cli_argv(const char *argv[64], va_list ap)
{
    int argc = 0;
    argv[argc++] = HEXZ_CLI_PATH;
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL) {
        assert_true(argc < 63);
        argv[argc++] = a;
    }
    argv[argc] = NULL;
}

char *tu_hexz_expect(int code, const char *want_stderr, ...)
{
    const char *argv[64];
    va_list ap;
    va_start(ap, want_stderr);
    cli_argv(argv, ap);
    va_end(ap);
    char *out = NULL, *err = NULL;
    int rc = tu_run(&out, &err, argv);
    if ((want_stderr && strcmp(err, want_stderr) != 0) || rc != code)
        fprintf(stderr, "exit %d, stderr:\n%s\nwanted exit %d, stderr:\n%s\n", rc, err, code,
                want_stderr ? want_stderr : "(anything)");
    if (want_stderr) assert_string_equal(err, want_stderr);
    assert_int_equal(rc, code);
    free(err);
    return out;
}

int tu_hexz(char **out_stdout, char **out_stderr, ...)
{
    const char *argv[64];
    va_list ap;
    va_start(ap, out_stderr);
    cli_argv(argv, ap);
    va_end(ap);
    return tu_run(out_stdout, out_stderr, argv);
}

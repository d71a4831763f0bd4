/*
 * test_remote.c - reading archives over HTTP and S3 (src/store/store_http.c, store_s3.c,
 * http_fetch.c, http_cache.c, sigv4.c), against real servers on 127.0.0.1 only.
 *
 * How it fits together: the group setup packs a stream archive (a.hxz) and a tree archive
 * (t.hxz) with the library. HTTP tests start nginx (daemon off, master_process off, a generated
 * config, pid file and logs in a temp dir, a free port) serving them, plus three special
 * locations: /slow/ (limit_rate, for killing the server mid-read), /norange/ (max_ranges 0: a
 * server that ignores Range) and /busy/ (always 503). Request counts come from nginx's access
 * log. S3 tests run @20minutes/s3rver, which checks SigV4 signatures, through
 * tests/remote/s3_server.js (installed into the build tree by tests/remote/setup-s3rver.sh),
 * upload with libcurl's own SigV4 signer and read back through s3://. The SigV4 signer is also
 * checked byte for byte against AWS's published examples. A test whose server cannot be started
 * is skipped with a message. Every child is killed in teardown and every wait has a deadline.
 * The library is given its settings as hexz_remote_options (it reads no environment
 * variables, which test_http_env_ignored checks); the CLI children read the environment.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hexz.h"
#include "store/sigv4.h"
#include "testutil.h"

#define SRC_SIZE (6u << 20)
#define S3_BUCKET "hexz-test"

/* ---- processes and time ----------------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Starts argv with the given environment (NULL: ours), stdout/stderr to files (NULL:
 * /dev/null); the child dies with the calling thread (PR_SET_PDEATHSIG). */
static pid_t spawn(const char *const argv[], char *const envp[], const char *out, const char *err)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int in = open("/dev/null", O_RDONLY);
        int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || o < 0 || e < 0) _exit(126);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        if (envp) execve(argv[0], (char *const *)argv, envp);
        else execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Waits up to timeout_ms for pid; kills it if it is still running then. Returns the exit
 * status (128+signal if killed by one), or -1 on timeout. */
static int wait_bounded(pid_t pid, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    int status;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0 && errno != EINTR) return -1;
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        sleep_ms(10);
    }
}

static void kill_child(pid_t *pid)
{
    if (*pid <= 0) return;
    kill(*pid, SIGKILL);
    wait_bounded(*pid, 5000);
    *pid = -1;
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0) close(s);
    return ok;
}

/* Waits until `port` accepts connections while `pid` lives; 1 if it does within timeout_ms. */
static int wait_port(pid_t pid, int port, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    while (now_ms() < deadline) {
        if (port_open(port)) return 1;
        if (waitpid(pid, NULL, WNOHANG) == pid) return 0;
        sleep_ms(20);
    }
    return 0;
}

static int program_exists(const char *path)
{
    return access(path, X_OK) == 0;
}

/* ---- the fixture: archives and their sources -------------------------------------------------- */

typedef struct {
    char *dir;    /* scratch directory */
    char *www;    /* nginx document root */
    uint8_t *src; /* the stream packed into a.hxz */
    char *archive, *tree_archive, *tree_src;
    uint64_t archive_size, blocks;
} fixture;

static fixture fx;

static void make_source(uint8_t *buf, size_t len)
{
    tu_rng rng;
    tu_rng_seed(&rng, tu_test_seed());
    /* Random runs, repeats (dedup) and zeros (holes) in 256 KiB pieces. */
    for (size_t off = 0; off < len; off += 256 << 10) {
        size_t n = len - off < (256u << 10) ? len - off : 256u << 10;
        uint64_t kind = tu_rng_below(&rng, 4);
        if (kind == 0 && off >= (1u << 20)) memcpy(buf + off, buf + off - (1u << 20), n);
        else if (kind == 1) memset(buf + off, 0, n);
        else tu_rng_fill(&rng, buf + off, n);
    }
}

static void pack_stream(const char *path)
{
    hexz_write_options o = HEXZ_WRITE_OPTIONS_INIT;
    static const uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    o.archive_id = id;
    hexz_writer *w;
    assert_int_equal(hexz_writer_create(&w, path, &o), 0);
    assert_int_equal(hexz_writer_write(w, fx.src, SRC_SIZE), 0);
    assert_int_equal(hexz_writer_finish(w), 0);
    hexz_writer_free(w);
}

static void make_tree(const char *root)
{
    char *sub = tu_strf("%s/sub", root), *f1 = tu_strf("%s/hello.txt", root),
         *f2 = tu_strf("%s/sub/data.bin", root), *f3 = tu_strf("%s/sub/empty", root),
         *ln = tu_strf("%s/link", root);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    tu_write_file(f1, "hello over http\n", 16);
    tu_write_file(f2, fx.src + 12345, 700000);
    tu_write_file(f3, "", 0);
    assert_int_equal(symlink("sub/data.bin", ln), 0);
    free(sub), free(f1), free(f2), free(f3), free(ln);
}

static int group_setup(void **state)
{
    (void)state;
    fx.dir = tu_mkdtemp("remote");
    fx.www = tu_strf("%s/www", fx.dir);
    assert_int_equal(mkdir(fx.www, 0755), 0);
    fx.src = malloc(SRC_SIZE);
    assert_non_null(fx.src);
    make_source(fx.src, SRC_SIZE);
    fx.archive = tu_strf("%s/a.hxz", fx.www);
    pack_stream(fx.archive);
    fx.archive_size = (uint64_t)tu_file_size(fx.archive);
    fx.tree_src = tu_strf("%s/tree", fx.dir);
    make_tree(fx.tree_src);
    fx.tree_archive = tu_strf("%s/t.hxz", fx.www);
    assert_int_equal(hexz_pack_path(fx.tree_src, fx.tree_archive, NULL), 0);
    hexz_reader *r;
    assert_int_equal(hexz_reader_open(&r, fx.archive), 0);
    hexz_stream_info si = HEXZ_STREAM_INFO_INIT;
    assert_int_equal(hexz_reader_stream_info(r, 0, &si), 0);
    fx.blocks = si.block_count;
    hexz_reader_free(r);
    /* The special locations serve the same bytes. */
    static const char *const subdirs[] = {"slow", "norange", "busy"};
    for (int i = 0; i < 3; i++) {
        char *d = tu_strf("%s/%s", fx.www, subdirs[i]), *f = tu_strf("%s/a.hxz", d);
        assert_int_equal(mkdir(d, 0755), 0);
        assert_int_equal(link(fx.archive, f), 0);
        free(d), free(f);
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tu_rmtree(fx.dir);
    free(fx.dir), free(fx.www), free(fx.src), free(fx.archive), free(fx.tree_archive),
        free(fx.tree_src);
    return 0;
}

/* The settings given to the library (hexz_remote_options): each test starts from none. The
 * library reads no environment variables; the CLI children get theirs from the environment. */
#define SETTINGS_MAX 16

static struct {
    const char *name;
    char *value;
} settings[SETTINGS_MAX];

static const char *setting_lookup(void *user, const char *name)
{
    (void)user;
    for (int i = 0; i < SETTINGS_MAX && settings[i].name; i++)
        if (strcmp(settings[i].name, name) == 0) return settings[i].value;
    return NULL;
}

static const hexz_remote_options remote_opts = {HEXZ_REMOTE_OPTIONS_VERSION, setting_lookup, NULL};

/* Sets (value NULL: unsets) the setting `name` for the library's next opens. */
static void setting_set(const char *name, const char *value)
{
    int i = 0;
    while (i < SETTINGS_MAX - 1 && settings[i].name && strcmp(settings[i].name, name) != 0) i++;
    free(settings[i].value);
    settings[i].name = name;
    settings[i].value = value ? strdup(value) : NULL;
}

/* Opens `location` with the settings above. */
static int open_remote(hexz_reader **r, const char *location)
{
    hexz_open_options oo = HEXZ_OPEN_OPTIONS_INIT;
    oo.remote = &remote_opts;
    return hexz_reader_open_opts(r, location, &oo);
}

/* The variables the CLI reads: each test starts from none of them, and from no settings. */
static void env_reset(void)
{
    static const char *const names[] = {
        "HEXZ_HTTP_WINDOW",   "HEXZ_HTTP_CACHE",   "HEXZ_CACHE_DIR",
        "HEXZ_HTTP_ATTEMPTS", "HEXZ_HTTP_TIMEOUT", "HEXZ_S3_ENDPOINT",
        "AWS_ENDPOINT_URL",   "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",  "AWS_REGION",        "AWS_DEFAULT_REGION",
        "http_proxy",         "HTTP_PROXY",        "https_proxy",
        "HTTPS_PROXY",        "all_proxy",         "ALL_PROXY"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) unsetenv(names[i]);
    setenv("NO_PROXY", "*", 1); /* loopback only, never through a proxy */
    for (int i = 0; i < SETTINGS_MAX; i++) {
        free(settings[i].value);
        settings[i].name = NULL;
        settings[i].value = NULL;
    }
}

/* ---- nginx ------------------------------------------------------------------------------------ */

typedef struct {
    char *dir, *conf, *log;
    int port;
    pid_t pid;
} nginx_srv;

static nginx_srv ngx = {NULL, NULL, NULL, 0, -1};

static void nginx_write_conf(nginx_srv *s)
{
    char *tmp = tu_strf("%s/tmp", s->dir);
    mkdir(tmp, 0700);
    char *conf = tu_strf(
        "daemon off;\nmaster_process off;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "  log_format hexz '$request_method $uri \"$http_range\" $status $body_bytes_sent';\n"
        "  access_log %s hexz;\n"
        "  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s;\n"
        "  uwsgi_temp_path %s; scgi_temp_path %s;\n"
        "  default_type application/octet-stream;\n  keepalive_requests 100000;\n"
        "  server {\n    listen 127.0.0.1:%d;\n    root %s;\n"
        "    location /slow/ { limit_rate 1m; }\n"
        "    location /norange/ { max_ranges 0; }\n"
        "    location /busy/ { return 503; }\n  }\n}\n",
        s->dir, s->dir, s->log, tmp, tmp, tmp, tmp, tmp, s->port, fx.www);
    tu_write_file(s->conf, conf, strlen(conf));
    free(conf);
    free(tmp);
}

static const char *nginx_path(void)
{
    return program_exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "/usr/bin/nginx";
}

/* (Re)starts nginx on s->port (a fresh one if 0). 1 if it serves within 5 s. */
static int nginx_start(nginx_srv *s)
{
    if (!program_exists(nginx_path())) return 0;
    if (!s->dir) {
        s->dir = tu_strf("%s/nginx", fx.dir);
        mkdir(s->dir, 0700);
        s->conf = tu_strf("%s/nginx.conf", s->dir);
        s->log = tu_strf("%s/access.log", s->dir);
    }
    for (int tries = 0; tries < 5; tries++) {
        int fixed = s->port != 0;
        if (!fixed) s->port = free_port();
        nginx_write_conf(s);
        char *errlog = tu_strf("%s/error.log", s->dir), *out = tu_strf("%s/stderr", s->dir);
        const char *argv[] = {nginx_path(), "-e", errlog, "-p", s->dir, "-c", s->conf, NULL};
        s->pid = spawn(argv, NULL, NULL, out);
        free(errlog);
        free(out);
        if (wait_port(s->pid, s->port, 5000)) return 1;
        kill_child(&s->pid);
        if (fixed) return 0;
        s->port = 0;
    }
    return 0;
}

static void nginx_stop(nginx_srv *s)
{
    kill_child(&s->pid);
}

/* Lines of the access log for `uri` so far (see nginx_requests). */
static int count_log_lines(const nginx_srv *s, const char *uri)
{
    FILE *f = fopen(s->log, "r");
    if (!f) return 0;
    char line[1024], want[512];
    snprintf(want, sizeof want, "GET %s ", uri);
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, want, strlen(want)) == 0) n++;
    fclose(f);
    return n;
}

/* nginx logs a request just after answering it: wait until the count holds still for 100 ms. */
static int nginx_requests(const nginx_srv *s, const char *uri)
{
    int n = count_log_lines(s, uri);
    for (int i = 0; i < 20; i++) {
        sleep_ms(100);
        int again = count_log_lines(s, uri);
        if (again == n) break;
        n = again;
    }
    return n;
}

static char *url_of(const char *path)
{
    return tu_strf("http://127.0.0.1:%d%s", ngx.port, path);
}

static int http_setup(void **state)
{
    (void)state;
    env_reset();
    ngx.port = 0; /* a fresh port for each test */
    if (!nginx_start(&ngx)) {
        print_message("[  SKIP    ] nginx could not be started (%s): install nginx-light "
                      "(scripts/install-deps.sh)\n",
                      nginx_path());
        ngx.port = 0;
    }
    return 0;
}

static int http_teardown(void **state)
{
    (void)state;
    nginx_stop(&ngx);
    env_reset();
    return 0;
}

#define REQUIRE_NGINX()                                                                            \
    do {                                                                                           \
        if (ngx.pid <= 0) skip();                                                                  \
    } while (0)

/* ---- reading helpers ---------------------------------------------------------------------------- */

static hexz_reader *open_ok(const char *location)
{
    hexz_reader *r = NULL;
    int rc = open_remote(&r, location);
    if (rc) print_message("open %s: %s\n", location, hexz_last_error());
    assert_int_equal(rc, 0);
    return r;
}

static void read_all_and_compare(hexz_reader *r)
{
    uint8_t *buf = malloc(SRC_SIZE);
    assert_non_null(buf);
    size_t got = 0;
    assert_int_equal(hexz_reader_read_at(r, 0, buf, SRC_SIZE, 0, &got), 0);
    assert_int_equal(got, SRC_SIZE);
    assert_memory_equal(buf, fx.src, SRC_SIZE);
    free(buf);
}

/* Sequential reads of 64 KiB, as a program streaming the archive would do. */
static void read_sequential(hexz_reader *r)
{
    uint8_t *buf = malloc(65536);
    for (uint64_t off = 0; off < SRC_SIZE; off += 65536) {
        size_t got;
        assert_int_equal(hexz_reader_read_at(r, 0, buf, 65536, off, &got), 0);
        assert_memory_equal(buf, fx.src + off, got);
    }
    free(buf);
}

static int random_reads(hexz_reader *r, uint64_t seed, int count)
{
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    uint8_t *buf = malloc(300000);
    int bad = 0;
    for (int i = 0; i < count && !bad; i++) {
        uint64_t off = tu_rng_below(&rng, SRC_SIZE + 100);
        size_t len = (size_t)tu_rng_below(&rng, 300000) + 1, got = 0;
        int rc = hexz_reader_read_at(r, 0, buf, len, off, &got);
        size_t want = off >= SRC_SIZE ? 0 : (SRC_SIZE - off < len ? (size_t)(SRC_SIZE - off) : len);
        if (rc || got != want || (want && memcmp(buf, fx.src + off, want) != 0)) bad = 1;
    }
    free(buf);
    return bad;
}

typedef struct {
    hexz_reader *r;
    uint64_t seed;
    int bad;
} reader_job;

static void *random_reads_thread(void *arg)
{
    reader_job *j = arg;
    j->bad = random_reads(j->r, j->seed, 60);
    return NULL;
}

static int one_line_naming(const char *msg, const char *what)
{
    const char *nl = strchr(msg, '\n');
    return strstr(msg, what) != NULL && (nl == NULL || nl[1] == '\0');
}

/* ---- HTTP: reads, coalescing, threads ------------------------------------------------------------ */

static void test_http_read(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    char *url = url_of("/a.hxz");
    hexz_reader *r = open_ok(url);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    read_all_and_compare(r);
    assert_int_equal(random_reads(r, 42, 300), 0);
    hexz_reader_free(r);

    /* Coalescing: a fresh reader streaming the whole archive makes about size/window requests
     * (1 MiB windows), not one per block. */
    int before = nginx_requests(&ngx, "/a.hxz");
    r = open_ok(url);
    read_sequential(r);
    hexz_reader_free(r);
    int requests = nginx_requests(&ngx, "/a.hxz") - before;
    uint64_t windows = (fx.archive_size + (1u << 20) - 1) >> 20;
    print_message(
        "sequential read: %llu blocks, %llu-byte archive, %d requests (%llu windows + probe)\n",
        (unsigned long long)fx.blocks, (unsigned long long)fx.archive_size, requests,
        (unsigned long long)windows);
    assert_true(requests >= 2 && (uint64_t)requests <= windows + 1);
    assert_true(fx.blocks >= 4 * (uint64_t)requests);
    free(url);
}

static void test_http_small_windows_threads(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    setting_set("HEXZ_HTTP_WINDOW", "64K");
    char *url = url_of("/a.hxz");
    int before = nginx_requests(&ngx, "/a.hxz");
    hexz_reader *r = open_ok(url);
    read_sequential(r);
    int requests = nginx_requests(&ngx, "/a.hxz") - before;
    uint64_t windows = (fx.archive_size + 65535) / 65536;
    print_message("64 KiB windows: %d requests for %llu windows\n", requests,
                  (unsigned long long)windows);
    assert_true((uint64_t)requests <= windows + 1);
    hexz_reader_free(r);

    /* No memory cache at all, many threads on one reader: still exact bytes. */
    setting_set("HEXZ_HTTP_CACHE", "0");
    r = open_ok(url);
    reader_job jobs[6];
    pthread_t th[6];
    for (int i = 0; i < 6; i++) {
        jobs[i] = (reader_job){r, 1000 + (uint64_t)i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, random_reads_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].bad, 0);
    }
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    hexz_reader_free(r);
    free(url);
}

/* ---- HTTP: the CLI ------------------------------------------------------------------------------ */

/* Runs the CLI with stdout to a file; returns the exit status (bounded: 120 s). */
static int cli_to_file(const char *out, char **err_text, const char *const args[])
{
    const char *argv[16] = {HEXZ_CLI_PATH};
    int n = 1;
    for (; args[n - 1]; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    char *err = tu_strf("%s.err", out);
    int st = wait_bounded(spawn(argv, NULL, out, err), 120000);
    if (err_text) {
        size_t len;
        *err_text = (char *)tu_read_file(err, &len);
        (*err_text)[len] = '\0';
    }
    free(err);
    return st;
}

/* `hexz VERB URL` prints what `hexz VERB LOCAL` prints, with the URL in place of the path. */
static void cli_same_output(const char *verb, const char *url, const char *local)
{
    char *out_remote, *out_local, *err;
    int st = tu_hexz(&out_remote, &err, verb, url, NULL);
    if (st) print_message("hexz %s %s: %s", verb, url, err);
    assert_int_equal(st, 0);
    free(err);
    assert_int_equal(tu_hexz(&out_local, NULL, verb, local, NULL), 0);
    /* Replace every occurrence of the URL by the local path. */
    size_t cap = strlen(out_remote) + 1, ulen = strlen(url);
    char *fixed = malloc(cap + strlen(local) * 64), *p = fixed;
    for (const char *s = out_remote; *s;) {
        if (strncmp(s, url, ulen) == 0) {
            p += sprintf(p, "%s", local);
            s += ulen;
        } else {
            *p++ = *s++;
        }
    }
    *p = '\0';
    assert_string_equal(fixed, out_local);
    free(fixed), free(out_remote), free(out_local);
}

static void test_http_cli(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    char *url = url_of("/a.hxz"), *turl = url_of("/t.hxz");
    char *out = tu_strf("%s/cat.out", fx.dir);
    const char *cat[] = {"cat", url, NULL};
    assert_int_equal(cli_to_file(out, NULL, cat), 0);
    size_t len;
    uint8_t *got = tu_read_file(out, &len);
    assert_int_equal(len, SRC_SIZE);
    assert_memory_equal(got, fx.src, SRC_SIZE);
    free(got);
    cli_same_output("inspect", url, fx.archive);
    cli_same_output("ls", turl, fx.tree_archive);
    cli_same_output("inspect", turl, fx.tree_archive);
    char *vo = NULL;
    assert_int_equal(tu_hexz(&vo, NULL, "verify", url, NULL), 0);
    free(vo);
    assert_int_equal(tu_hexz(NULL, NULL, "verify", turl, NULL), 0);

    char *dest_remote = tu_strf("%s/x-remote", fx.dir), *dest_local = tu_strf("%s/x-local", fx.dir);
    assert_int_equal(tu_hexz(NULL, NULL, "extract", turl, "-o", dest_remote, NULL), 0);
    assert_int_equal(tu_hexz(NULL, NULL, "extract", fx.tree_archive, "-o", dest_local, NULL), 0);
    const char *diff[] = {"/usr/bin/diff", "-r",        "--no-dereference",
                          dest_remote,     fx.tree_src, NULL};
    assert_int_equal(tu_run(NULL, NULL, diff), 0);
    const char *diff2[] = {"/usr/bin/diff", "-r",       "--no-dereference",
                           dest_remote,     dest_local, NULL};
    assert_int_equal(tu_run(NULL, NULL, diff2), 0);
    tu_rmtree(dest_remote), tu_rmtree(dest_local);
    free(dest_remote), free(dest_local), free(out), free(url), free(turl);
}

/* ---- HTTP: errors ------------------------------------------------------------------------------- */

static void expect_open_error(const char *location, int code, const char *what)
{
    hexz_reader *r = NULL;
    long long t0 = now_ms();
    int rc = open_remote(&r, location);
    const char *msg = hexz_last_error();
    print_message("%s -> %s (%lld ms)\n", location, msg, now_ms() - t0);
    assert_int_equal(rc, code);
    assert_null(r);
    assert_true(one_line_naming(msg, location));
    assert_non_null(strstr(msg, what));
}

static void test_http_errors(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    char *missing = url_of("/missing.hxz"), *norange = url_of("/norange/a.hxz"),
         *busy = url_of("/busy/a.hxz");
    expect_open_error(missing, HEXZ_ENOTFOUND, "not found (HTTP 404)");
    expect_open_error(norange, HEXZ_EUNSUPPORTED, "server does not support range requests");

    /* 503: retried 4 times with backoff (100 + 200 + 400 ms), then a message naming the status. */
    long long t0 = now_ms();
    expect_open_error(busy, HEXZ_EIO, "HTTP 503");
    long long took = now_ms() - t0;
    assert_non_null(strstr(hexz_last_error(), "gave up after 4 attempts"));
    assert_int_equal(nginx_requests(&ngx, "/busy/a.hxz"), 4);
    assert_true(took >= 650 && took < 10000);

    /* The CLI: non-zero exit, one line on stderr saying what went wrong. */
    char *err = NULL;
    assert_int_not_equal(tu_hexz(NULL, &err, "inspect", missing, NULL), 0);
    assert_true(one_line_naming(err, missing));
    assert_non_null(strstr(err, "not found"));
    free(err);

    setting_set("HEXZ_HTTP_WINDOW", "1000");
    char *url = url_of("/a.hxz");
    hexz_reader *r = NULL;
    assert_int_equal(open_remote(&r, url), HEXZ_EINVAL);
    assert_non_null(strstr(hexz_last_error(), "HEXZ_HTTP_WINDOW"));
    free(url), free(missing), free(norange), free(busy);
}

/* The library reads no environment variables: settings in the environment change nothing
 * (not even an invalid window), while the same setting given as an option does. */
static void test_http_env_ignored(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    char *busy = url_of("/busy/a.hxz"), *url = url_of("/a.hxz");
    setenv("HEXZ_HTTP_ATTEMPTS", "2", 1);
    setenv("HEXZ_HTTP_WINDOW", "1000", 1);
    hexz_reader *r = NULL;
    int before = nginx_requests(&ngx, "/busy/a.hxz");
    assert_int_equal(hexz_reader_open(&r, busy), HEXZ_EIO);
    assert_non_null(strstr(hexz_last_error(), "gave up after 4 attempts"));
    assert_int_equal(nginx_requests(&ngx, "/busy/a.hxz") - before, 4);
    assert_int_equal(hexz_reader_open(&r, url), 0);
    hexz_reader_free(r);
    r = NULL;

    setting_set("HEXZ_HTTP_ATTEMPTS", "2");
    assert_int_equal(open_remote(&r, busy), HEXZ_EIO);
    assert_non_null(strstr(hexz_last_error(), "gave up after 2 attempts"));
    assert_int_equal(nginx_requests(&ngx, "/busy/a.hxz") - before, 6);
    setting_set("HEXZ_HTTP_WINDOW", "1000");
    assert_int_equal(open_remote(&r, url), HEXZ_EINVAL);
    assert_non_null(strstr(hexz_last_error(), "HEXZ_HTTP_WINDOW"));
    env_reset();
    free(busy), free(url);
}

/* ---- HTTP: the disk cache and change detection ---------------------------------------------------- */

static int count_files(const char *dir, int *tmp_files)
{
    char *cmd = tu_strf("find '%s' -type f", dir);
    FILE *p = popen(cmd, "r");
    char line[4096];
    int n = 0;
    while (p && fgets(line, sizeof line, p)) {
        n++;
        if (strstr(line, "/.tmp-")) (*tmp_files)++;
    }
    if (p) pclose(p);
    free(cmd);
    return n;
}

static void test_http_disk_cache(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    char *cache = tu_strf("%s/cache", fx.dir), *url = url_of("/a.hxz");
    setting_set("HEXZ_CACHE_DIR", cache);
    hexz_reader *r = open_ok(url);
    read_all_and_compare(r);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    hexz_reader_free(r);
    int tmp = 0, files = count_files(cache, &tmp);
    assert_int_equal(tmp, 0);
    assert_true(files >= 2 && (uint64_t)files <= (fx.archive_size + (1u << 20) - 1) >> 20);

    /* A second reader gets every window from disk: only the probe at open goes out. */
    int before = nginx_requests(&ngx, "/a.hxz");
    r = open_ok(url);
    read_all_and_compare(r);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    hexz_reader_free(r);
    assert_int_equal(nginx_requests(&ngx, "/a.hxz") - before, 1);
    tu_rmtree(cache);
    free(cache), free(url);
}

static void test_http_changed(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    setting_set("HEXZ_HTTP_WINDOW", "64K");
    char *url = url_of("/a.hxz");
    hexz_reader *r = open_ok(url);
    uint8_t buf[4096];
    size_t got;
    assert_int_equal(hexz_reader_read_at(r, 0, buf, sizeof buf, 0, &got), 0);
    /* A new mtime gives the file a new ETag and Last-Modified. */
    struct timespec times[2] = {{0, UTIME_OMIT}, {1234567890, 0}};
    struct stat st;
    assert_int_equal(stat(fx.archive, &st), 0);
    assert_int_equal(utimensat(AT_FDCWD, fx.archive, times, 0), 0);
    int rc = hexz_reader_read_at(r, 0, buf, sizeof buf, SRC_SIZE - sizeof buf, &got);
    print_message("after the change: %s\n", hexz_last_error());
    assert_int_equal(rc, HEXZ_EIO);
    assert_true(one_line_naming(hexz_last_error(), url));
    assert_non_null(strstr(hexz_last_error(), "archive changed on the server"));
    times[1] = st.st_mtim;
    assert_int_equal(utimensat(AT_FDCWD, fx.archive, times, 0), 0);
    hexz_reader_free(r);
    free(url);
}

/* ---- HTTP: a server that dies, comes back, or hangs --------------------------------------------------- */

typedef struct {
    hexz_reader *r;
    uint64_t offset;
    size_t len;
    int rc;
    char msg[1100];
    long long took_ms;
} read_job;

static void *read_job_thread(void *arg)
{
    read_job *j = arg;
    uint8_t *buf = malloc(j->len);
    size_t got = 0;
    long long t0 = now_ms();
    j->rc = hexz_reader_read_at(j->r, 0, buf, j->len, j->offset, &got);
    j->took_ms = now_ms() - t0;
    snprintf(j->msg, sizeof j->msg, "%s", hexz_last_error());
    if (!j->rc && (got != j->len || memcmp(buf, fx.src + j->offset, j->len) != 0)) j->rc = -100;
    free(buf);
    return NULL;
}

static int join_bounded(pthread_t th, long timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    return pthread_timedjoin_np(th, NULL, &ts);
}

static void test_http_server_killed(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    setting_set("HEXZ_HTTP_WINDOW", "64K");
    char *url = url_of("/a.hxz"), *slow = url_of("/slow/a.hxz");

    /* Between reads: the next uncached read fails promptly, naming the URL. */
    hexz_reader *r = open_ok(url);
    read_job j = {r, 0, 65536, 0, "", 0};
    read_job_thread(&j);
    assert_int_equal(j.rc, 0);
    nginx_stop(&ngx);
    j = (read_job){r, SRC_SIZE - 100000, 100000, 0, "", 0};
    read_job_thread(&j);
    print_message("server gone: %s (%lld ms)\n", j.msg, j.took_ms);
    assert_int_equal(j.rc, HEXZ_EIO);
    assert_true(one_line_naming(j.msg, url));
    assert_true(j.took_ms < 10000);
    hexz_reader_free(r);

    /* During a read: a thread streaming from a throttled location sees its server killed. */
    assert_true(nginx_start(&ngx));
    setting_set("HEXZ_HTTP_WINDOW", NULL);
    r = open_ok(slow);
    j = (read_job){r, 0, SRC_SIZE, 0, "", 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_job_thread, &j), 0);
    sleep_ms(500);
    nginx_stop(&ngx);
    assert_int_equal(join_bounded(th, 30000), 0);
    print_message("killed mid-read: %s (%lld ms)\n", j.msg, j.took_ms);
    assert_int_equal(j.rc, HEXZ_EIO);
    assert_true(one_line_naming(j.msg, slow));
    hexz_reader_free(r);

    /* The CLI in the middle of `hexz cat`: a non-zero exit and one line on stderr, no hang. */
    assert_true(nginx_start(&ngx));
    char *out = tu_strf("%s/killed.out", fx.dir), *err = tu_strf("%s/killed.err", fx.dir);
    const char *argv[] = {HEXZ_CLI_PATH, "cat", slow, NULL};
    pid_t pid = spawn(argv, NULL, out, err);
    sleep_ms(3500); /* past the open (about 2 s at 1 MiB/s), into the stream */
    nginx_stop(&ngx);
    long long t0 = now_ms();
    int st = wait_bounded(pid, 30000);
    size_t len;
    char *text = (char *)tu_read_file(err, &len);
    text[len] = '\0';
    print_message("hexz cat, server killed: exit %d after %lld ms: %s", st, now_ms() - t0, text);
    assert_true(st > 0 && st < 128);
    assert_true(one_line_naming(text, slow));
    assert_true(tu_file_size(out) < (long long)SRC_SIZE);
    free(text), free(out), free(err), free(url), free(slow);
}

static void test_http_retry_recovers(void **state)
{
    (void)state;
    REQUIRE_NGINX();
    setting_set("HEXZ_HTTP_WINDOW", "64K");
    setting_set("HEXZ_HTTP_ATTEMPTS", "6"); /* retries at 0.1, 0.3, 0.7, 1.5, 3.1 s */
    char *url = url_of("/a.hxz");
    hexz_reader *r = open_ok(url);
    nginx_stop(&ngx);
    read_job j = {r, SRC_SIZE / 2, 200000, 0, "", 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_job_thread, &j), 0);
    sleep_ms(150);
    int restarted = nginx_start(&ngx); /* same port */
    assert_int_equal(join_bounded(th, 30000), 0);
    assert_true(restarted);
    print_message("read across a restart: rc %d after %lld ms\n", j.rc, j.took_ms);
    assert_int_equal(j.rc, 0);
    assert_true(j.took_ms >= 100);
    hexz_reader_free(r);
    free(url);
}

static void test_http_stalled_server(void **state)
{
    (void)state;
    env_reset();
    /* A socket that accepts connections (the kernel's backlog) but never answers. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 16), 0);
    socklen_t alen = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &alen);
    char *url = tu_strf("http://127.0.0.1:%d/a.hxz", ntohs(a.sin_port));
    setting_set("HEXZ_HTTP_TIMEOUT", "1");
    setting_set("HEXZ_HTTP_ATTEMPTS", "2");
    long long t0 = now_ms();
    hexz_reader *r = NULL;
    int rc = open_remote(&r, url);
    long long took = now_ms() - t0;
    print_message("stalled server: %s (%lld ms)\n", hexz_last_error(), took);
    assert_int_equal(rc, HEXZ_EIO);
    assert_true(one_line_naming(hexz_last_error(), url));
    assert_true(took < 15000);
    close(s);
    free(url);
    env_reset();
}

/* ---- SigV4 against AWS's published examples ------------------------------------------------------ */

static void check_sigv4(const hx_sigv4_input *in, const char *creq, const char *sts,
                        const char *sig, const char *auth)
{
    hx_sigv4_output o;
    assert_int_equal(hx_sigv4_sign(in, &o), 0);
    if (creq) assert_string_equal(o.canonical_request, creq);
    if (sts) assert_string_equal(o.string_to_sign, sts);
    assert_string_equal(o.signature, sig);
    if (auth) assert_string_equal(o.authorization, auth);
    hx_sigv4_output_free(&o);
}

static void test_sigv4_vectors(void **state)
{
    (void)state;
    /* aws-sig-v4-test-suite, get-vanilla. */
    const hx_sigv4_header vanilla[] = {{"host", "example.amazonaws.com"},
                                       {"x-amz-date", "20150830T123600Z"}};
    hx_sigv4_input in = {"GET",
                         "/",
                         "",
                         vanilla,
                         2,
                         HX_SIGV4_EMPTY_SHA256,
                         "20150830T123600Z",
                         "us-east-1",
                         "service",
                         "AKIDEXAMPLE",
                         "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    check_sigv4(
        &in,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

    /* aws-sig-v4-test-suite, get-vanilla-with-session-token. */
    const hx_sigv4_header token[] = {
        {"host", "example.amazonaws.com"},
        {"x-amz-date", "20150830T123600Z"},
        {"x-amz-security-token",
         "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"}};
    in.headers = token;
    in.header_count = 3;
    check_sigv4(&in, NULL, NULL, "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");

    /* The S3 documentation's "GET Object" example (the first 10 bytes of test.txt). */
    const hx_sigv4_header s3[] = {{"host", "examplebucket.s3.amazonaws.com"},
                                  {"range", "bytes=0-9"},
                                  {"x-amz-content-sha256", HX_SIGV4_EMPTY_SHA256},
                                  {"x-amz-date", "20130524T000000Z"}};
    hx_sigv4_input s3in = {"GET",
                           "/test.txt",
                           "",
                           s3,
                           4,
                           HX_SIGV4_EMPTY_SHA256,
                           "20130524T000000Z",
                           "us-east-1",
                           "s3",
                           "AKIAIOSFODNN7EXAMPLE",
                           "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
    check_sigv4(
        &s3in,
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

/* ---- S3 ------------------------------------------------------------------------------------------- */

typedef struct {
    int port;
    pid_t pid;
} s3_srv;

static s3_srv s3 = {0, -1};
static int s3_tried; /* install and start only once per run */

static char *build_tests_dir(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    return tu_strf("%s", exe);
}

/* Installs (once per build tree) and starts the S3 server; 1 if it listens. */
static int s3_start(void)
{
    char *tests = build_tests_dir(), *dest = tu_strf("%s/remote-node", tests);
    char *setup = tu_strf("%s/tests/remote/setup-s3rver.sh", HEXZ_SOURCE_DIR);
    char *log = tu_strf("%s/s3-setup.log", fx.dir);
    const char *sargv[] = {"/bin/bash", setup, dest, NULL};
    int st = wait_bounded(spawn(sargv, NULL, log, log), 330000);
    if (st != 0) {
        print_message("[  SKIP    ] S3 server not installable (setup-s3rver.sh exit %d, see %s)\n",
                      st, log);
        free(tests), free(dest), free(setup), free(log);
        return 0;
    }
    char *data = tu_strf("%s/s3data", fx.dir), *portfile = tu_strf("%s/s3.port", fx.dir);
    char *script = tu_strf("%s/tests/remote/s3_server.js", HEXZ_SOURCE_DIR);
    char *nodepath = tu_strf("NODE_PATH=%s/node_modules", dest),
         *errlog = tu_strf("%s/s3.err", fx.dir);
    char *envp[] = {nodepath, "PATH=/usr/local/bin:/usr/bin:/bin", NULL};
    const char *node = program_exists("/usr/local/bin/node") ? "/usr/local/bin/node"
                                                             : "/usr/bin/node";
    const char *argv[] = {node, script, data, S3_BUCKET, portfile, NULL};
    unlink(portfile);
    s3.pid = program_exists(node) ? spawn(argv, envp, NULL, errlog) : -1;
    long long deadline = now_ms() + 30000;
    while (s3.pid > 0 && now_ms() < deadline && tu_file_size(portfile) <= 0) {
        if (waitpid(s3.pid, NULL, WNOHANG) == s3.pid) s3.pid = -1;
        sleep_ms(50);
    }
    if (s3.pid > 0 && tu_file_size(portfile) > 0) {
        size_t len;
        char *p = (char *)tu_read_file(portfile, &len);
        p[len] = '\0';
        s3.port = atoi(p);
        free(p);
    }
    int ok = s3.pid > 0 && s3.port > 0 && wait_port(s3.pid, s3.port, 10000);
    if (!ok) {
        print_message("[  SKIP    ] the S3 server did not start (see %s)\n", errlog);
        kill_child(&s3.pid);
    }
    free(tests), free(dest), free(setup), free(log), free(data), free(portfile), free(script);
    free(nodepath), free(errlog);
    return ok;
}

static int s3_setup(void **state)
{
    (void)state;
    env_reset();
    if (!s3_tried) s3_start();
    s3_tried = 1;
    return 0;
}

static int s3_teardown(void **state)
{
    (void)state;
    kill_child(&s3.pid);
    env_reset();
    return 0;
}

/* PUT `file` as `key` with libcurl's own SigV4 signer (not ours). Returns the HTTP status. */
static long s3_put(const char *file, const char *key_path)
{
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    char *url = tu_strf("http://127.0.0.1:%d/%s/%s", s3.port, S3_BUCKET, key_path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *h = curl_slist_append(NULL, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READDATA, f);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)tu_file_size(file));
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:s3");
    curl_easy_setopt(c, CURLOPT_USERPWD, "S3RVER:S3RVER");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    fclose(f);
    free(url);
    return status;
}

/* An S3 setting for the library's opens and, as a variable, for the CLI's. */
static void s3_set(const char *name, const char *value)
{
    setting_set(name, value);
    setenv(name, value, 1);
}

static void s3_env(const char *id, const char *secret)
{
    env_reset();
    char *endpoint = tu_strf("http://127.0.0.1:%d", s3.port);
    s3_set("HEXZ_S3_ENDPOINT", endpoint);
    s3_set("AWS_REGION", "us-east-1");
    if (id) s3_set("AWS_ACCESS_KEY_ID", id);
    if (secret) s3_set("AWS_SECRET_ACCESS_KEY", secret);
    free(endpoint);
}

static void test_s3(void **state)
{
    (void)state;
    if (s3.pid <= 0) skip();
    assert_int_equal(s3_put(fx.archive, "dir/a.hxz"), 200);
    assert_int_equal(s3_put(fx.tree_archive, "dir/t%20b%2Bc.hxz"), 200);
    s3_env("S3RVER", "S3RVER");
    const char *url = "s3://" S3_BUCKET "/dir/a.hxz";
    hexz_reader *r = open_ok(url);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    read_all_and_compare(r);
    assert_int_equal(random_reads(r, 7, 200), 0);
    hexz_reader_free(r);

    /* The CLI, and a key that needs URI encoding. */
    char *out = tu_strf("%s/s3cat.out", fx.dir);
    const char *cat[] = {"cat", url, NULL};
    assert_int_equal(cli_to_file(out, NULL, cat), 0);
    size_t len;
    uint8_t *got = tu_read_file(out, &len);
    assert_int_equal(len, SRC_SIZE);
    assert_memory_equal(got, fx.src, SRC_SIZE);
    free(got), free(out);
    assert_int_equal(tu_hexz(NULL, NULL, "verify", url, NULL), 0);
    cli_same_output("ls", "s3://" S3_BUCKET "/dir/t b+c.hxz", fx.tree_archive);

    /* A session token is signed too. */
    setting_set("AWS_SESSION_TOKEN", "token-for-the-test");
    r = open_ok(url);
    read_sequential(r);
    hexz_reader_free(r);

    /* Unsigned requests (no credentials): the server serves them as anonymous. */
    s3_env(NULL, NULL);
    r = open_ok(url);
    assert_int_equal(hexz_reader_verify(r, NULL, NULL), 0);
    hexz_reader_free(r);
}

static void test_s3_errors(void **state)
{
    (void)state;
    if (s3.pid <= 0) skip();
    s3_env("S3RVER", "not-the-secret");
    expect_open_error("s3://" S3_BUCKET "/dir/a.hxz", HEXZ_EIO, "SignatureDoesNotMatch");
    s3_env("S3RVER", "S3RVER");
    expect_open_error("s3://" S3_BUCKET "/dir/nothing-here.hxz", HEXZ_ENOTFOUND,
                      "not found (HTTP 404 NoSuchKey)");
    expect_open_error("s3://" S3_BUCKET, HEXZ_EINVAL, "expected s3://BUCKET/KEY");
    s3_env("S3RVER", NULL);
    expect_open_error("s3://" S3_BUCKET "/dir/a.hxz", HEXZ_EINVAL, "AWS_SECRET_ACCESS_KEY is not");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigv4_vectors),
        cmocka_unit_test(test_http_stalled_server),
        cmocka_unit_test_setup_teardown(test_http_read, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_small_windows_threads, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_cli, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_errors, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_env_ignored, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_disk_cache, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_changed, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_server_killed, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_http_retry_recovers, http_setup, http_teardown),
        cmocka_unit_test_setup_teardown(test_s3, s3_setup, NULL),
        cmocka_unit_test_setup_teardown(test_s3_errors, s3_setup, s3_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_cli_names.c - names that come from an archive, printed by the CLI: they must neither forge
 * output lines nor reach the terminal as control sequences, and must decode back to exactly the
 * bytes in the archive (README.md, "Names in output").
 *
 * A tree whose names hold a newline, a tab, a carriage return, ESC[31m, a backslash, a C1 control
 * (U+009B, the 8-bit CSI), a byte that is not UTF-8 (0xff) and plain Unicode, and a symlink whose
 * target holds a newline and ESC, is packed; then the exact output of `ls`, `ls -l` and the
 * escaped lines of `diff --files` and error messages are checked, every text line is decoded
 * back to its name's bytes, and `ls --json` is decoded by python3 (surrogateescape, and the
 * *_hex members) to the exact bytes. Stream names go through `ls` and `inspect` the same way.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hexz.h"
#include "testutil.h"

#define EXPECT(code, err, ...) tu_hexz_expect(code, err, __VA_ARGS__, (const char *)NULL)
#define MTIME 1704164645 /* 2024-01-02T03:04:05Z */

/* The entries of the tree in the order ls lists them (byte order, parents first). */
static const char *const names[] = {
    "back\\slash",
    "bad\xff"
    "byte",
    "c1\xc2\x9b"
    "csi",
    "esc\x1b[31mred",
    "link",
    "new\nline",
    "sub\rdir",
    "sub\rdir/inner",
    "tab\there",
    "unicod\xc3\xa9-\xe6\x97\xa5",
};
#define NAME_COUNT (sizeof names / sizeof names[0])
#define LINK_TARGET "target\nwith\x1b"

/* How ls shows each of names[] (and the link's target). */
static const char *const shown[] = {
    "back\\\\slash",
    "bad\\377byte",
    "c1\\302\\233csi",
    "esc\\033[31mred",
    "link",
    "new\\nline",
    "sub\\rdir",
    "sub\\rdir/inner",
    "tab\\there",
    "unicod\xc3\xa9-\xe6\x97\xa5",
};
#define LINK_SHOWN "target\\nwith\\033"

typedef struct {
    char *dir, *tree, *archive;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("names");
    f->tree = tu_path(f->dir, "tree");
    f->archive = tu_path(f->dir, "names.hxz");
    assert_int_equal(mkdir(f->tree, 0755), 0);
    struct timespec times[2] = {{MTIME, 0}, {MTIME, 0}};
    /* Children before parents when setting times, so that creating a child does not change its
     * parent's mtime afterwards. */
    for (size_t k = NAME_COUNT; k-- > 0;) {
        char *p = tu_path(f->tree, names[k]);
        if (strcmp(names[k], "link") == 0) {
            assert_int_equal(symlink(LINK_TARGET, p), 0);
        } else if (strcmp(names[k], "sub\rdir") == 0) {
            /* made with its child below */
        } else if (strcmp(names[k], "sub\rdir/inner") == 0) {
            char *d = tu_path(f->tree, "sub\rdir");
            assert_int_equal(mkdir(d, 0750), 0);
            free(d);
            tu_write_file(p, "x", 1);
            assert_int_equal(chmod(p, 0640), 0);
        } else {
            tu_write_file(p, "x", 1);
            assert_int_equal(chmod(p, 0640), 0);
        }
        free(p);
    }
    for (size_t k = NAME_COUNT; k-- > 0;) {
        char *p = tu_path(f->tree, names[k]);
        assert_int_equal(utimensat(AT_FDCWD, p, times, AT_SYMLINK_NOFOLLOW), 0);
        free(p);
    }
    free(EXPECT(0, "", "pack", f->tree, "-o", f->archive, "-q"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f->tree);
    free(f->archive);
    free(f);
    return 0;
}

/* The text scheme backwards: \\, \a \b \t \n \v \f \r and \ooo. Fails on anything else after a
 * backslash, so an ambiguous escape cannot pass. malloc'd. */
static char *unescape(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    static const char letters[] = "abtnvfr\\", bytes[] = "\a\b\t\n\v\f\r\\";
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            *o++ = s[i];
            continue;
        }
        assert_true(i + 1 < len);
        const char *l = strchr(letters, s[i + 1]);
        if (l && s[i + 1]) {
            *o++ = bytes[l - letters];
            i++;
            continue;
        }
        assert_true(i + 3 < len);
        for (int k = 1; k <= 3; k++) assert_true(s[i + k] >= '0' && s[i + k] <= '7');
        *o++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
        i += 3;
    }
    *o = '\0';
    return out;
}

static void test_ls_escapes_names(void **state)
{
    fixture *f = *state;
    char *want = tu_strf("%s", "");
    for (size_t k = 0; k < NAME_COUNT; k++) {
        char *next = tu_strf("%s%s\n", want, shown[k]);
        free(want);
        want = next;
    }
    char *out = EXPECT(0, "", "ls", f->archive);
    assert_string_equal(out, want);
    /* Exactly one line per entry, and each decodes back to the name's bytes. */
    const char *line = out;
    for (size_t k = 0; k < NAME_COUNT; k++) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        char *name = unescape(line, (size_t)(nl - line));
        assert_string_equal(name, names[k]);
        free(name);
        line = nl + 1;
    }
    assert_string_equal(line, "");
    free(out);
    free(want);
}

static void test_ls_long_escapes_names_and_targets(void **state)
{
    fixture *f = *state;
    char *want = tu_strf("%s", "");
    for (size_t k = 0; k < NAME_COUNT; k++) {
        int is_link = strcmp(names[k], "link") == 0, is_dir = strcmp(names[k], "sub\rdir") == 0;
        char *next = tu_strf("%s%c %04o %12u 2024-01-02T03:04:05Z %s%s%s\n", want,
                             is_link  ? 'l'
                             : is_dir ? 'd'
                                      : '-',
                             is_link  ? 0777
                             : is_dir ? 0750
                                      : 0640,
                             is_link  ? (unsigned)strlen(LINK_TARGET)
                             : is_dir ? 0
                                      : 1,
                             shown[k], is_link ? " -> " : "", is_link ? LINK_SHOWN : "");
        free(want);
        want = next;
    }
    char *out = EXPECT(0, "", "ls", "-l", f->archive);
    assert_string_equal(out, want);
    free(out);
    free(want);
}

/* A Python list of the hex of each name, for comparing with what json decodes to. */
static char *hex_list(void)
{
    char *list = tu_strf("[");
    for (size_t k = 0; k < NAME_COUNT; k++) {
        char *hex = malloc(2 * strlen(names[k]) + 1);
        for (size_t i = 0; names[k][i]; i++)
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)names[k][i]);
        hex[2 * strlen(names[k])] = '\0';
        char *next = tu_strf("%s%s'%s'", list, k ? ", " : "", hex);
        free(list);
        free(hex);
        list = next;
    }
    char *done = tu_strf("%s]", list);
    free(list);
    return done;
}

static void test_ls_json_is_exact(void **state)
{
    fixture *f = *state;
    char *out = EXPECT(0, "", "ls", "--json", f->archive);
    /* The control characters are JSON escapes, the 0xff byte a lone surrogate, the C1 control
     * escaped too; nothing raw below U+0020 or in U+0080..U+009F reaches the output. */
    tu_assert_contains(
        out, "\"path\": \"bad\\udcffbyte\",\n      \"path_hex\": \"626164ff62797465\",\n");
    tu_assert_contains(out, "\"path\": \"new\\u000aline\",\n");
    tu_assert_contains(out, "\"path\": \"esc\\u001b[31mred\",\n");
    tu_assert_contains(out, "\"path\": \"c1\\u009bcsi\",\n");
    tu_assert_contains(out, "\"path\": \"back\\\\slash\",\n");
    tu_assert_contains(out, "\"target\": \"target\\u000awith\\u001b\"\n");
    for (const char *p = out; *p; p++) assert_true((unsigned char)*p >= 0x20 || *p == '\n');
    assert_null(strstr(out, "\xc2\x9b"));
    char *hex = hex_list();
    char *expr = tu_strf(
        "[e['path'].encode('utf-8', 'surrogateescape').hex() for e in d['entries']] == %s"
        " and [e['path'] for e in d['entries'] if 'path_hex' in e] == ['bad\\udcffbyte']"
        " and all(bytes.fromhex(e['path_hex']) == e['path'].encode('utf-8', 'surrogateescape')"
        "         for e in d['entries'] if 'path_hex' in e)"
        " and [e['target'].encode('utf-8', 'surrogateescape') for e in d['entries'] if 'target' in "
        "e]"
        "     == [b'target\\nwith\\x1b']"
        " and not any('target_hex' in e for e in d['entries'])",
        hex);
    tu_check_json(f->dir, out, expr);
    free(expr);
    free(hex);
    free(out);
}

static void test_other_verbs_escape_names(void **state)
{
    fixture *f = *state;
    /* An error message quoting a name given on the command line: still one line, escaped. */
    char *want = tu_strf("hexz cat: %s: no\\nsuch\\033[2J: not in the archive\n", f->archive);
    free(EXPECT(1, want, "cat", f->archive, "no\nsuch\x1b[2J"));
    free(want);
    /* diff's per-file lines. */
    char *out = EXPECT(0, "", "diff", f->archive, f->archive, "--files");
    for (size_t k = 0; k < NAME_COUNT; k++) {
        if (strcmp(names[k], "sub\rdir") == 0 || strcmp(names[k], "link") == 0) continue;
        char *line = tu_strf("  %s\n", shown[k]);
        tu_assert_contains(out, line);
        free(line);
    }
    assert_null(strchr(out, '\x1b'));
    assert_null(strchr(out, '\r'));
    free(out);
    out = EXPECT(0, "", "diff", f->archive, f->archive, "--files", "--json");
    tu_check_json(f->dir, out,
                  "[x['path'] for x in d['files'] if 'path_hex' in x] == ['bad\\udcffbyte']");
    free(out);

    /* Stream names: ls (text and JSON) and inspect. */
    char *input = tu_path(f->dir, "s.bin"), *extra = tu_path(f->dir, "extra.bin");
    char *streams = tu_path(f->dir, "streams.hxz");
    tu_write_file(input, "hi\n", 3);
    tu_write_file(extra, "abc", 3);
    char *add = tu_strf("m\x1b[2Jx\xff=%s", extra);
    free(EXPECT(0, "", "pack", input, "-o", streams, "-q", "--add-stream", add));
    out = EXPECT(0, "", "ls", streams);
    assert_string_equal(out, "main 3\nm\\033[2Jx\\377 3\n");
    free(out);
    out = EXPECT(0, "", "inspect", streams);
    tu_assert_contains(out, "\n  m\\033[2Jx\\377   3 bytes, 1 blocks\n");
    assert_null(strchr(out, '\x1b'));
    free(out);
    out = EXPECT(0, "", "ls", "--json", streams);
    tu_check_json(f->dir, out,
                  "[s['name'].encode('utf-8', 'surrogateescape') for s in d['streams']] == "
                  "[b'main', b'm\\x1b[2Jx\\xff']"
                  " and d['streams'][1]['name_hex'] == '6d1b5b324a78ff' and 'name_hex' not in "
                  "d['streams'][0]");
    free(out);
    out = EXPECT(0, "", "inspect", "--json", streams);
    tu_check_json(f->dir, out, "d['streams'][1]['name_hex'] == '6d1b5b324a78ff'");
    free(out);
    free(add);
    free(input);
    free(extra);
    free(streams);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ls_escapes_names),
        cmocka_unit_test(test_ls_long_escapes_names_and_targets),
        cmocka_unit_test(test_ls_json_is_exact),
        cmocka_unit_test(test_other_verbs_escape_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

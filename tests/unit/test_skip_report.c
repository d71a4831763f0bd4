/*
 * test_skip_report.c - a skipped test must reach CTest as Skipped, not Passed (issue 10, item
 * 21). This program runs itself as a child with one of three small groups - only skips, a
 * failure and a skip, only passes - and checks the exit codes that tests/testskip.c produces:
 * TU_SKIP_RETURN_CODE, the failure count, 0.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void child_pass(void **state)
{
    (void)state;
}
static void child_skip(void **state)
{
    (void)state;
    tu_skip("deliberately skipped by %s", "test_skip_report");
}
static void child_fail(void **state)
{
    (void)state;
    fail_msg("deliberate failure");
}

static int run_child_group(const char *which)
{
    if (strcmp(which, "skip") == 0) {
        const struct CMUnitTest g[] = {cmocka_unit_test(child_pass), cmocka_unit_test(child_skip)};
        return cmocka_run_group_tests(g, NULL, NULL);
    }
    if (strcmp(which, "fail+skip") == 0) {
        const struct CMUnitTest g[] = {cmocka_unit_test(child_skip), cmocka_unit_test(child_fail)};
        return cmocka_run_group_tests(g, NULL, NULL);
    }
    const struct CMUnitTest g[] = {cmocka_unit_test(child_pass)};
    return cmocka_run_group_tests(g, NULL, NULL);
}

static char self[4096];

static int run_self(const char *which, char **out)
{
    const char *argv[] = {self, "--child", which, NULL};
    return tu_run(out, NULL, argv);
}

static void test_only_skips_exit_skip_code(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_self("skip", &out), TU_SKIP_RETURN_CODE);
    tu_assert_contains(out, "[  SKIP    ] deliberately skipped by test_skip_report\n");
    tu_assert_contains(out, "[  SKIPPED ] child_skip");
    free(out);
}

static void test_failure_wins_over_skip(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_self("fail+skip", &out), 1);
    tu_assert_contains(out, "[  FAILED  ] child_fail");
    free(out);
}

static void test_passes_exit_zero(void **state)
{
    (void)state;
    assert_int_equal(run_self("pass", NULL), 0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0) return run_child_group(argv[2]);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return 1;
    self[n] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_skips_exit_skip_code),
        cmocka_unit_test(test_failure_wins_over_skip),
        cmocka_unit_test(test_passes_exit_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

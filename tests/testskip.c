/*
 * testskip.c - makes skipped cmocka tests visible to CTest. cmocka 1.1 counts a test that called
 * skip() as not failed, and _cmocka_run_group_tests() returns the number of failures, so a test
 * program whose only test skipped exits 0 and ctest shows it as Passed. Every test program is
 * linked with -Wl,--wrap=_skip -Wl,--wrap=_cmocka_run_group_tests (tests/CMakeLists.txt): the
 * wrappers below count the skips and turn "no failure, some skips" into TU_SKIP_RETURN_CODE,
 * which CTest's SKIP_RETURN_CODE reports as Skipped. Failures still win: a program with one
 * failed and one skipped test exits with the failure count.
 */
#include "testutil.h"

/* The real functions, reached through the linker's __real_ aliases. */
void __real__skip(const char *const file, const int line);
int __real__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                                   const size_t num_tests, CMFixtureFunction group_setup,
                                   CMFixtureFunction group_teardown);
void __wrap__skip(const char *const file, const int line);
int __wrap__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                                   const size_t num_tests, CMFixtureFunction group_setup,
                                   CMFixtureFunction group_teardown);

/* Test-program state, not library state: cmocka runs the tests of a group one after another in
 * this process (a skip() in a forked child never reaches the parent's count, as intended). */
static unsigned tu_skips;

void __wrap__skip(const char *const file, const int line)
{
    tu_skips++;
    __real__skip(file, line); /* longjmps out of the test */
}

int __wrap__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                                   const size_t num_tests, CMFixtureFunction group_setup,
                                   CMFixtureFunction group_teardown)
{
    unsigned before = tu_skips;
    int failed = __real__cmocka_run_group_tests(group_name, tests, num_tests, group_setup,
                                                group_teardown);
    if (failed == 0 && tu_skips > before) {
        print_message("[  SKIPPED ] %u test(s) of %s skipped: exit %d (CTest: Skipped)\n",
                      tu_skips - before, group_name, TU_SKIP_RETURN_CODE);
        return TU_SKIP_RETURN_CODE;
    }
    return failed;
}

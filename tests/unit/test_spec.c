/* --bind parsing and the host checks of a sandbox's filesystem spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "runtime/spec.h"

static void test_bind_modes(void **state)
{
    (void)state;
    struct spec_bind b;
    char err[256];
    assert_int_equal(spec_parse_bind("/tmp:/work", &b, err, sizeof(err)), 0);
    assert_string_equal(b.target, "/work");
    assert_false(b.readonly);
    free(b.source);
    free(b.target);
    assert_int_equal(spec_parse_bind("/tmp:/a//b/./c/:ro", &b, err, sizeof(err)), 0);
    assert_string_equal(b.target, "/a/b/c");
    assert_true(b.readonly);
    free(b.source);
    free(b.target);
    assert_int_equal(spec_parse_bind("/tmp:/x:rw", &b, err, sizeof(err)), 0);
    assert_false(b.readonly);
    free(b.source);
    free(b.target);
}

static void expect_bad(const char *arg, const char *why)
{
    struct spec_bind b;
    char err[256] = "";
    assert_int_equal(spec_parse_bind(arg, &b, err, sizeof(err)), -1);
    if (!strstr(err, why))
        fail_msg("--bind %s: error `%s` does not say `%s`", arg, err, why);
}

static void test_bind_errors(void **state)
{
    (void)state;
    expect_bad("/tmp", "want HOST:PATH");
    expect_bad(":/x", "want HOST:PATH");
    expect_bad("/tmp:", "empty sandbox path");
    expect_bad("/tmp:relative", "not an absolute path");
    expect_bad("/tmp:/a/../b", "contains `..`");
    expect_bad("/tmp:/", "the root");
    expect_bad("/tmp:/x:rx", "mode must be ro or rw");
    expect_bad("/no/such/moat/dir:/x", "No such file or directory");
}

static void test_check_fs(void **state)
{
    (void)state;
    char err[256];
    struct spec_fs fs = {.root = strdup("/")};
    assert_int_equal(spec_check_fs(&fs, err, sizeof(err)), 0);
    free(fs.root);
    fs.root = strdup("/no/such/moat/root");
    assert_int_equal(spec_check_fs(&fs, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file or directory"));
    free(fs.root);
    fs.root = strdup("/etc/hostname");
    assert_int_equal(spec_check_fs(&fs, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Not a directory"));
    spec_fs_free(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_modes),
        cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_check_fs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The sentry's seccomp filter: no way to open or execute a host file. The
 * compiled filter is exported as libseccomp's pseudo-code and read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sentry/seccomp_filter.h"

static char *export_pfc(void)
{
    scmp_filter_ctx ctx = sentry_seccomp_build();
    assert_non_null(ctx);
    int fd = memfd_create("pfc", 0);
    assert_true(fd >= 0);
    assert_int_equal(seccomp_export_pfc(ctx, fd), 0);
    seccomp_release(ctx);
    off_t size = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    assert_int_equal(pread(fd, text, (size_t)size, 0), size);
    close(fd);
    return text;
}

/* The action lines of the pseudo-code block for syscall name, or NULL if
 * the filter never mentions it (the default action: kill). */
static char *block_for(const char *pfc, const char *name)
{
    char key[64];
    snprintf(key, sizeof(key), "# filter for syscall \"%s\"", name);
    const char *start = strstr(pfc, key);
    if (!start)
        return NULL;
    const char *end = strstr(start + 1, "# filter for syscall");
    size_t len = end ? (size_t)(end - start) : strlen(start);
    return strndup(start, len);
}

static void test_no_open_or_exec(void **state)
{
    (void)state;
    char *pfc = export_pfc();
    assert_non_null(strstr(pfc, "action KILL_PROCESS"));
    static const char *const forbidden[] = {"open", "openat", "openat2", "creat", "execve",
                                            "execveat", "open_by_handle_at", "socket",
                                            "connect", "mount", "chroot", "unshare"};
    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        char *block = block_for(pfc, forbidden[i]);
        if (block && strstr(block, "ALLOW"))
            fail_msg("the sentry filter allows %s:\n%s", forbidden[i], block);
        free(block);
    }
    free(pfc);
}

static void test_clone_is_argument_filtered(void **state)
{
    (void)state;
    char *pfc = export_pfc();
    char *block = block_for(pfc, "clone");
    assert_non_null(block);
    /* Every ALLOW for clone sits behind a comparison of its flags. */
    assert_non_null(strstr(block, "$a0"));
    free(block);
    block = block_for(pfc, "clone3");
    assert_non_null(block);
    assert_null(strstr(block, "ALLOW"));
    free(block);
    free(pfc);
}

static void test_every_entry_has_a_reason(void **state)
{
    (void)state;
    const struct sentry_syscall_reason *list;
    size_t n = sentry_seccomp_allowed(&list);
    assert_true(n > 10);
    for (size_t i = 0; i < n; i++) {
        assert_true(list[i].nr >= 0);
        assert_non_null(list[i].why);
        assert_true(strlen(list[i].why) > 3);
    }
}

/* docs/security.md lists every syscall the sentry allows with any
 * arguments, and their count. */
static void test_docs_list_every_call(void **state)
{
    (void)state;
    FILE *f = fopen(MOAT_SOURCE_ROOT "/docs/security.md", "r");
    assert_non_null(f);
    static char doc[65536];
    size_t len = fread(doc, 1, sizeof(doc) - 1, f);
    fclose(f);
    doc[len] = '\0';
    const struct sentry_syscall_reason *list;
    size_t n = sentry_seccomp_allowed(&list);
    for (size_t i = 0; i < n; i++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, list[i].nr);
        char row[128];
        snprintf(row, sizeof(row), "| `%s` | %s |", name, list[i].why);
        if (!strstr(doc, row))
            fail_msg("docs/security.md lacks the row: %s", row);
        free(name);
    }
    char count[64];
    snprintf(count, sizeof(count), "| %zu with any arguments", n);
    if (!strstr(doc, count))
        fail_msg("docs/security.md does not give the count: %s", count);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_open_or_exec),
        cmocka_unit_test(test_clone_is_argument_filtered),
        cmocka_unit_test(test_every_entry_has_a_reason),
        cmocka_unit_test(test_docs_list_every_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

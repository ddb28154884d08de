/* Failing closed: panic() and a crash in sentry code print a symbolized
 * stack to the log and end the process. Each case runs in a child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/panic.h"

static void test_killer(void)
{
    static const char msg[] = "KILLER-RAN\n";
    write(log_fd(), msg, sizeof(msg) - 1);
}

__attribute__((noinline)) static void moat_test_deep_function(int crash)
{
    if (crash) {
        /* An address the compiler cannot see through. */
        static volatile uintptr_t bad_addr = 8;
        *(volatile int *)bad_addr = 1;
    }
    panic("test panic %d", 42);
}

/* Runs the case in a child with the log on a pipe; returns the output and
 * the child's wait status. */
static char *run_child(int crash, int *out_status)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        log_init(fds[1], LOG_DEBUG);
        panic_set_killer(test_killer);
        panic_install_handlers();
        moat_test_deep_function(crash);
        _exit(0);
    }
    close(fds[1]);
    static char buf[65536];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, out_status, 0), pid);
    return buf;
}

static void test_panic_prints_symbolized_stack(void **state)
{
    (void)state;
    int status;
    char *out = run_child(0, &status);
    assert_non_null(strstr(out, "sentry panic: test panic 42"));
    assert_non_null(strstr(out, "moat_test_deep_function"));
    assert_non_null(strstr(out, "KILLER-RAN"));
    assert_true(WIFEXITED(status));
    assert_int_not_equal(WEXITSTATUS(status), 0);
}

static void test_crash_prints_symbolized_stack(void **state)
{
    (void)state;
    int status;
    char *out = run_child(1, &status);
    assert_non_null(strstr(out, "sentry crashed: signal 11"));
    assert_non_null(strstr(out, "moat_test_deep_function"));
    assert_non_null(strstr(out, "KILLER-RAN"));
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_panic_prints_symbolized_stack),
        cmocka_unit_test(test_crash_prints_symbolized_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

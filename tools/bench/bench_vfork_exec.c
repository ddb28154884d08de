/*
 * bench_vfork_exec - vfork + execve("/bin/true") + waitpid: starting a
 * (dynamically linked) program the way shells and posix_spawn do.
 *
 * usage: bench_vfork_exec [ITERATIONS]   (default 500)
 * prints: bench_vfork_exec: N iterations, X ns/op
 */
#include <sys/wait.h>

#include "bench_proc.h"

/* vfork + execve in a function of its own, so that no caller's variable
 * lives across the vfork. */
static __attribute__((noinline)) pid_t start_true(void)
{
    static char *cargv[] = {"true", NULL};
    static char *cenv[] = {"PATH=/usr/bin:/bin", NULL};
    pid_t pid = vfork();
    if (pid == 0) {
        execve("/bin/true", cargv, cenv);
        _exit(127);
    }
    return pid;
}

int main(int argc, char **argv)
{
    const char *prog = "bench_vfork_exec";
    uint64_t n = bench_iterations(prog, argc, argv, 500);
    bench_watchdog(600);

    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        pid_t pid = start_true();
        if (pid < 0)
            bench_fail(prog, "vfork: %s", strerror(errno));
        int st;
        if (waitpid(pid, &st, 0) != pid || st != 0)
            bench_fail(prog, "/bin/true: status %#x (%s)", st, strerror(errno));
    }
    return bench_report(prog, n, bench_now_ns() - start);
}

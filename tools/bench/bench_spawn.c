/*
 * bench_spawn - posix_spawn("/bin/true") + waitpid (glibc's clone with
 * CLONE_VM | CLONE_VFORK on a separate stack).
 *
 * usage: bench_spawn [ITERATIONS]   (default 500)
 * prints: bench_spawn: N iterations, X ns/op
 */
#include <spawn.h>
#include <sys/wait.h>

#include "bench_proc.h"

int main(int argc, char **argv)
{
    const char *prog = "bench_spawn";
    uint64_t n = bench_iterations(prog, argc, argv, 500);
    bench_watchdog(600);
    char *cargv[] = {"true", NULL};
    char *cenv[] = {"PATH=/usr/bin:/bin", NULL};

    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        pid_t pid;
        int err = posix_spawn(&pid, "/bin/true", NULL, NULL, cargv, cenv);
        if (err != 0)
            bench_fail(prog, "posix_spawn: %s", strerror(err));
        int st;
        if (waitpid(pid, &st, 0) != pid || st != 0)
            bench_fail(prog, "/bin/true: status %#x (%s)", st, strerror(errno));
    }
    return bench_report(prog, n, bench_now_ns() - start);
}

/*
 * bench_fork - fork + _exit + waitpid, the cost of a process's life.
 *
 * usage: bench_fork [ITERATIONS]   (default 2000)
 * prints: bench_fork: N iterations, X ns/op
 */
#include <sys/wait.h>

#include "bench_proc.h"

int main(int argc, char **argv)
{
    const char *prog = "bench_fork";
    uint64_t n = bench_iterations(prog, argc, argv, 2000);
    bench_watchdog(600);
    /* Touch some heap so the child has pages to share. */
    char *heap = malloc(1 << 20);
    if (!heap)
        bench_fail(prog, "malloc");
    memset(heap, 1, 1 << 20);

    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            bench_fail(prog, "fork: %s", strerror(errno));
        if (pid == 0)
            _exit(0);
        int st;
        if (waitpid(pid, &st, 0) != pid || st != 0)
            bench_fail(prog, "waitpid: status %#x (%s)", st, strerror(errno));
    }
    uint64_t elapsed = bench_now_ns() - start;
    free(heap);
    return bench_report(prog, n, elapsed);
}

/*
 * bench_pipe - pipe ping-pong between two processes: the parent writes a
 * byte into one pipe, the child reads it and writes it back through
 * another; one iteration is one round trip (two writes, two reads, two
 * wake-ups).
 *
 * usage: bench_pipe [ITERATIONS]   (default 20000)
 * prints: bench_pipe: N iterations, X ns/op
 */
#include <sys/wait.h>

#include "bench_proc.h"

int main(int argc, char **argv)
{
    const char *prog = "bench_pipe";
    uint64_t n = bench_iterations(prog, argc, argv, 20000);
    bench_watchdog(600);
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0)
        bench_fail(prog, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        bench_fail(prog, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        char c;
        while (read(to_child[0], &c, 1) == 1)
            if (write(to_parent[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);

    uint64_t warmup = 100, start = 0;
    for (uint64_t i = 0; i < warmup + n; i++) {
        if (i == warmup)
            start = bench_now_ns();
        char c = (char)i, back;
        if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &back, 1) != 1 || back != c)
            bench_fail(prog, "round trip %llu failed: %s", (unsigned long long)i,
                       strerror(errno));
    }
    uint64_t elapsed = bench_now_ns() - start;
    close(to_child[1]);
    int st;
    if (waitpid(pid, &st, 0) != pid || st != 0)
        bench_fail(prog, "child status %#x", st);
    return bench_report(prog, n, elapsed);
}

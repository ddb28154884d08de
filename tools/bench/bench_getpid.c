/*
 * bench_getpid - cost of the cheapest system call.
 *
 * usage: bench_getpid [ITERATIONS]   (default 100000)
 * prints: bench_getpid: N iterations, X ns/op
 */
#include "bench_rt.h"

int bench_main(int argc, char **argv)
{
    uint64_t iterations = 100000;
    if (argc > 2)
        bench_die("bench_getpid", "usage: bench_getpid [ITERATIONS]");
    if (argc == 2 && bench_parse_u64(argv[1], &iterations) != 0)
        bench_die("bench_getpid", "ITERATIONS must be a non-negative integer");

    /* Warm up: the first calls may fault in stack and code pages. */
    long pid = bench_syscall0(BENCH_NR_GETPID);
    if (pid <= 0)
        bench_die("bench_getpid", "getpid failed");

    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < iterations; i++)
        bench_syscall0(BENCH_NR_GETPID);
    uint64_t elapsed = bench_now_ns() - start;

    struct bench_out o = {.len = 0};
    bench_puts(&o, "bench_getpid: ");
    bench_putu(&o, iterations);
    bench_puts(&o, " iterations, ");
    bench_putfrac(&o, elapsed, iterations);
    bench_puts(&o, " ns/op\n");
    return bench_flush(&o, 1) == 0 ? 0 : 1;
}

/*
 * bench_proc.h - shared by the process and thread microbenchmarks
 * (bench_fork, bench_vfork_exec, bench_spawn, bench_pipe, bench_futex).
 *
 * Unlike the freestanding benchmarks (bench_rt.h), these link glibc
 * statically: posix_spawn and pthreads are what programs really use, and
 * what they cost is part of what is measured. Each prints one line
 *
 *   bench_NAME: N iterations, X ns/op
 *
 * like the others, or an error on stderr and exit status 1 (run.sh then
 * shows n/a). A watchdog alarm ends a run that stops making progress (if
 * signals work at all; run.sh's timeout is the last resort).
 *
 * Include in exactly one translation unit.
 */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Monotonic time in nanoseconds. */
static uint64_t bench_now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Prints "PROG: message" on stderr and exits 1. */
__attribute__((noreturn, format(printf, 2, 3))) static void bench_fail(const char *prog,
                                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ITERATIONS from argv[1] (default DEFAULT); exits on a bad argument. */
static uint64_t bench_iterations(const char *prog, int argc, char **argv, uint64_t dflt)
{
    if (argc > 2)
        bench_fail(prog, "usage: %s [ITERATIONS]", prog);
    if (argc < 2)
        return dflt;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(argv[1], &end, 10);
    if (errno || *end || end == argv[1] || v == 0)
        bench_fail(prog, "ITERATIONS must be a positive integer");
    return v;
}

/* Prints the result line; returns main's status. */
static int bench_report(const char *prog, uint64_t iterations, uint64_t elapsed_ns)
{
    printf("%s: %llu iterations, %.3f ns/op\n", prog, (unsigned long long)iterations,
           (double)elapsed_ns / (double)iterations);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Ends the process after SECONDS without a reset (alarm's default action). */
static void bench_watchdog(unsigned seconds)
{
    alarm(seconds);
}

/*
 * bench_futex - futex ping-pong between two threads of one process: each
 * waits (FUTEX_WAIT_PRIVATE) until the shared word says its turn, then
 * passes the turn and wakes the other (FUTEX_WAKE_PRIVATE); one iteration
 * is one round trip.
 *
 * usage: bench_futex [ITERATIONS]   (default 20000)
 * prints: bench_futex: N iterations, X ns/op
 *
 * Needs threads (CLONE_THREAD); where pthread_create fails it says so and
 * exits 1.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "bench_proc.h"

static atomic_int turn; /* 0: the main thread's, 1: the partner's, 2: stop */
static uint64_t rounds;

static void wait_for(int want)
{
    int v;
    while ((v = atomic_load(&turn)) != want && v != 2)
        syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void pass(int to)
{
    atomic_store(&turn, to);
    syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < rounds; i++) {
        wait_for(1);
        pass(0);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *prog = "bench_futex";
    uint64_t n = bench_iterations(prog, argc, argv, 20000);
    bench_watchdog(600);
    uint64_t warmup = 100;
    rounds = warmup + n;
    pthread_t t;
    int err = pthread_create(&t, NULL, partner, NULL);
    if (err != 0)
        bench_fail(prog, "pthread_create: %s", strerror(err));

    uint64_t start = 0;
    for (uint64_t i = 0; i < rounds; i++) {
        if (i == warmup)
            start = bench_now_ns();
        pass(1);
        wait_for(0);
    }
    uint64_t elapsed = bench_now_ns() - start;
    pthread_join(t, NULL);
    return bench_report(prog, n, elapsed);
}

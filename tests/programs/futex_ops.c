/* futex operations beyond WAIT/WAKE, between threads and processes.
 *
 * Waiters are counted without races: a FUTEX_REQUEUE of 0 woken and all
 * requeued from A to a probe word P returns how many wait on A, and moves
 * them back P -> A unchanged (count_waiters).
 *
 *  - FUTEX_CMP_REQUEUE: EAGAIN when *uaddr != val3; otherwise wakes
 *    nr_wake and moves up to nr_requeue waiters to uaddr2, returning both
 *    counted; the moved ones are then woken through uaddr2;
 *  - FUTEX_REQUEUE (no compare) likewise;
 *  - FUTEX_WAKE_OP: the operation on *uaddr2 (SET, ADD, OR, ANDN, XOR,
 *    with FUTEX_OP_OPARG_SHIFT) and the comparison of its old value decide
 *    whether waiters on uaddr2 are woken as well as those on uaddr;
 *  - a futex in MAP_SHARED memory shared across fork: the parent's
 *    (shared) FUTEX_WAKE wakes the child waiting there; a
 *    FUTEX_PRIVATE_FLAG wake does not. */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long futex(atomic_int *uaddr, int op, int val, long val2, atomic_int *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

#define PRIV FUTEX_PRIVATE_FLAG

static atomic_int word_a, word_b, probe;
static atomic_int woken;

/* A thread that waits on *arg (value 0) once, then counts itself woken. */
static void *waiter(void *arg)
{
    atomic_int *w = arg;
    long r;
    do
        r = futex(w, FUTEX_WAIT | PRIV, 0, 0, NULL, 0);
    while (r == -1 && errno == EINTR);
    atomic_fetch_add(&woken, 1);
    return NULL;
}

/* How many wait on W: moves them all to the probe word and back. */
static long count_waiters(atomic_int *w)
{
    long n = futex(w, FUTEX_REQUEUE | PRIV, 0, INT_MAX, &probe, 0);
    if (n > 0)
        futex(&probe, FUTEX_REQUEUE | PRIV, 0, INT_MAX, w, 0);
    return n;
}

/* Waits up to 5 s until N threads wait on W. */
static int await_waiters(atomic_int *w, long n)
{
    for (int i = 0; i < 5000; i++) {
        if (count_waiters(w) == n)
            return 1;
        usleep(1000);
    }
    return 0;
}

static int await_woken(int n)
{
    for (int i = 0; i < 5000 && atomic_load(&woken) < n; i++)
        usleep(1000);
    return atomic_load(&woken) == n;
}

static void start(pthread_t *t, int n, atomic_int *w)
{
    for (int i = 0; i < n; i++)
        REQUIRE(pthread_create(&t[i], NULL, waiter, w) == 0, "pthread_create");
}

static void join(pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

static void test_cmp_requeue(void)
{
    pthread_t t[3];
    atomic_store(&woken, 0);
    start(t, 3, &word_a);
    REQUIRE(await_waiters(&word_a, 3), "3 waiters never waited on A");

    /* The compare fails: nothing moves. */
    CHECK_ERRNO(futex(&word_a, FUTEX_CMP_REQUEUE | PRIV, 1, 1, &word_b, 1), EAGAIN);
    CHECK(count_waiters(&word_a) == 3, "a failed CMP_REQUEUE moved waiters");

    /* Wake 1, move 1: returns 2; one left on A, one on B. */
    CHECK_RET(futex(&word_a, FUTEX_CMP_REQUEUE | PRIV, 1, 1, &word_b, 0), 2);
    CHECK(await_woken(1), "%d woken by CMP_REQUEUE, want 1", atomic_load(&woken));
    CHECK(count_waiters(&word_a) == 1, "waiters left on A");
    CHECK(count_waiters(&word_b) == 1, "waiters moved to B");
    /* A wake on B reaches the moved one. */
    CHECK_RET(futex(&word_b, FUTEX_WAKE | PRIV, INT_MAX, 0, NULL, 0), 1);
    CHECK_RET(futex(&word_a, FUTEX_WAKE | PRIV, INT_MAX, 0, NULL, 0), 1);
    CHECK(await_woken(3), "%d woken in all, want 3", atomic_load(&woken));
    join(t, 3);

    /* Negative counts: EINVAL. */
    CHECK_ERRNO(futex(&word_a, FUTEX_CMP_REQUEUE | PRIV, 1, -1, &word_b, 0), EINVAL);
    CHECK_ERRNO(futex(&word_a, FUTEX_CMP_REQUEUE | PRIV, -1, 1, &word_b, 0), EINVAL);
}

static void test_requeue(void)
{
    pthread_t t[2];
    atomic_store(&woken, 0);
    start(t, 2, &word_a);
    REQUIRE(await_waiters(&word_a, 2), "2 waiters never waited on A");
    /* Wake none, move all: returns the number moved. */
    CHECK_RET(futex(&word_a, FUTEX_REQUEUE | PRIV, 0, INT_MAX, &word_b, 0), 2);
    CHECK(count_waiters(&word_a) == 0, "left on A");
    CHECK(atomic_load(&woken) == 0, "REQUEUE woke %d", atomic_load(&woken));
    CHECK_RET(futex(&word_b, FUTEX_WAKE | PRIV, 1, 0, NULL, 0), 1);
    CHECK_RET(futex(&word_b, FUTEX_WAKE | PRIV, 1, 0, NULL, 0), 1);
    CHECK(await_woken(2), "%d woken, want 2", atomic_load(&woken));
    join(t, 2);
}

static void test_wake_op(void)
{
    /* The operation and its comparison, with nobody waiting. */
    struct {
        int op, oparg, cmp, cmparg, before, after;
        long want; /* with one waiter on each word */
    } cases[] = {
        {FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0, 0, 5, 2},
        {FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 0, 1, 4, 1},
        {FUTEX_OP_OR, 6, FUTEX_OP_CMP_NE, 0, 1, 7, 2},
        {FUTEX_OP_ANDN, 2, FUTEX_OP_CMP_GT, 5, 7, 5, 2},
        {FUTEX_OP_XOR, 0xf, FUTEX_OP_CMP_LT, 2, 3, 0xc, 1},
        {FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_GE, 9, 9, 16, 2},
        {FUTEX_OP_ADD, 1, FUTEX_OP_CMP_LE, 0, 1, 2, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int op = FUTEX_OP(cases[i].op, cases[i].oparg, cases[i].cmp, cases[i].cmparg);
        atomic_store(&word_b, cases[i].before);
        CHECK_RET(futex(&word_a, FUTEX_WAKE_OP | PRIV, 1, 1, &word_b, op), 0);
        CHECK(atomic_load(&word_b) == cases[i].after, "case %zu: *uaddr2 %d, want %d", i,
              atomic_load(&word_b), cases[i].after);
    }

    /* With one waiter on each word: the comparison decides about B's. */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pthread_t t[2];
        atomic_store(&word_a, 0);
        atomic_store(&word_b, 0);
        atomic_store(&woken, 0);
        start(&t[0], 1, &word_a);
        start(&t[1], 1, &word_b);
        REQUIRE(await_waiters(&word_a, 1) && await_waiters(&word_b, 1), "waiters");
        /* Only now the value the op works on (the waiter on B used 0). */
        atomic_store(&word_b, cases[i].before);
        int op = FUTEX_OP(cases[i].op, cases[i].oparg, cases[i].cmp, cases[i].cmparg);
        CHECK_RET(futex(&word_a, FUTEX_WAKE_OP | PRIV, 1, 1, &word_b, op), cases[i].want);
        if (cases[i].want == 1)
            CHECK_RET(futex(&word_b, FUTEX_WAKE | PRIV, 1, 0, NULL, 0), 1);
        CHECK(await_woken(2), "case %zu: %d woken", i, atomic_load(&woken));
        join(t, 2);
    }
    atomic_store(&word_a, 0);
    atomic_store(&word_b, 0);
}

static void test_shared_across_fork(void)
{
    atomic_int *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(w != MAP_FAILED, "mmap");
    atomic_store(w, 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* Shared (not private) waits until the word says 1. */
        while (atomic_load(w) == 0)
            futex(w, FUTEX_WAIT, 0, 0, NULL, 0);
        _exit(atomic_load(w) == 1 ? 0 : 1);
    }
    /* Wait for the child to wait: a shared wake returns 1 once it does
     * (the child then waits again: the word is still 0). */
    long n = 0;
    for (int i = 0; i < 5000 && n == 0; i++) {
        n = futex(w, FUTEX_WAKE, 1, 0, NULL, 0);
        if (n == 0)
            usleep(1000);
    }
    CHECK(n == 1, "the child never waited on the shared futex (wake returned %ld)", n);
    /* A private wake is keyed on our own memory: it never finds it. */
    long priv = 0;
    for (int i = 0; i < 20; i++) {
        priv += futex(w, FUTEX_WAKE | PRIV, 1, 0, NULL, 0);
        usleep(2000);
    }
    CHECK(priv == 0, "a private wake woke the child in another process %ld times", priv);
    atomic_store(w, 1);
    int st = 0;
    pid_t r = 0;
    for (int i = 0; i < 5000 && r == 0; i++) {
        futex(w, FUTEX_WAKE, 1, 0, NULL, 0);
        r = waitpid(pid, &st, WNOHANG);
        if (r == 0)
            usleep(1000);
    }
    if (r == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    CHECK(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child: %d, status %#x", r, st);
    munmap(w, 4096);
}

int main(void)
{
    test_cmp_requeue();
    test_requeue();
    test_wake_op();
    test_shared_across_fork();
    return check_done("futex_ops");
}

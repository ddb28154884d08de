/* Futexes between threads of one process: private FUTEX_CMP_REQUEUE and
 * WAKE_OP with threads as waiters, a robust mutex whose owner thread exits
 * holding it (EOWNERDEAD for the next locker), and the glibc primitives
 * built on futexes (condition variable broadcast, barrier, join through
 * CLONE_CHILD_CLEARTID). */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long futex(uint32_t *uaddr, int op, uint32_t val, long val2, uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, (void *)val2, uaddr2, val3);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint32_t fa, fb;
static int woke_order[8], woke_count;
static pthread_mutex_t order_lock = PTHREAD_MUTEX_INITIALIZER;

static void *private_waiter(void *arg)
{
    int id = (int)(intptr_t)arg;
    long r = futex(&fa, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
    pthread_mutex_lock(&order_lock);
    woke_order[woke_count++] = r == 0 ? id : -1;
    pthread_mutex_unlock(&order_lock);
    return NULL;
}

static long private_waiters(uint32_t *f)
{
    return futex(f, FUTEX_REQUEUE_PRIVATE, 0, INT_MAX, f, 0);
}

static int count_woken(void)
{
    pthread_mutex_lock(&order_lock);
    int n = woke_count;
    pthread_mutex_unlock(&order_lock);
    return n;
}

static void test_private_requeue(void)
{
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        REQUIRE(pthread_create(&th[i], NULL, private_waiter, (void *)(intptr_t)i) == 0,
                "pthread_create");
        for (int j = 0; j < 2000 && private_waiters(&fa) != i + 1; j++)
            sleep_ms(1);
        REQUIRE(private_waiters(&fa) == i + 1, "thread %d never waited", i);
    }
    CHECK_ERRNO(futex(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &fb, 1), EAGAIN);
    /* A shared wake does not find private waiters. */
    CHECK_RET(futex(&fa, FUTEX_WAKE, 1, 0, NULL, 0), 0);
    CHECK_RET(futex(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &fb, 0), 2);
    for (int j = 0; j < 2000 && count_woken() < 1; j++)
        sleep_ms(1);
    CHECK_RET(private_waiters(&fb), 1);
    /* WAKE_OP: one from fa, and fb's waiter since old fb (0) == 0. */
    CHECK_RET(
        futex(&fa, FUTEX_WAKE_OP_PRIVATE, 1, 1, &fb, FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)),
        2);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    CHECK(woke_count == 3, "woke %d", woke_count);
    CHECK(woke_order[0] == 0, "first woken %d", woke_order[0]);
    CHECK(fb == 1, "fb %u", fb);
}

static pthread_mutex_t robust;

static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust);
    return NULL; /* the thread ends holding the lock */
}

static void test_robust_thread(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    REQUIRE(pthread_mutex_init(&robust, &attr) == 0, "mutex init");
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, die_holding, NULL) == 0, "pthread_create");
    REQUIRE(pthread_join(th, NULL) == 0, "join");
    CHECK_RET(pthread_mutex_lock(&robust), EOWNERDEAD);
    CHECK_RET(pthread_mutex_consistent(&robust), 0);
    CHECK_RET(pthread_mutex_unlock(&robust), 0);
}

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cv_go, cv_waiting;
static pthread_barrier_t barrier;

static void *cv_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cv_lock);
    cv_waiting++;
    while (!cv_go)
        pthread_cond_wait(&cv, &cv_lock);
    pthread_mutex_unlock(&cv_lock);
    pthread_barrier_wait(&barrier);
    return NULL;
}

static void test_glibc_primitives(void)
{
    enum { N = 4 };
    pthread_t th[N];
    REQUIRE(pthread_barrier_init(&barrier, NULL, N + 1) == 0, "barrier");
    for (int i = 0; i < N; i++)
        REQUIRE(pthread_create(&th[i], NULL, cv_waiter, NULL) == 0, "pthread_create");
    for (int j = 0; j < 2000; j++) {
        pthread_mutex_lock(&cv_lock);
        int n = cv_waiting;
        pthread_mutex_unlock(&cv_lock);
        if (n == N)
            break;
        sleep_ms(1);
    }
    pthread_mutex_lock(&cv_lock);
    cv_go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&cv_lock);
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < N; i++)
        CHECK_RET(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&barrier);
}

int main(void)
{
    test_private_requeue();
    test_robust_thread();
    test_glibc_primitives();
    return check_done("futex_threads");
}

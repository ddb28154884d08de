/* Thread synchronisation (all of it futex-based in glibc): a mutex-protected
 * counter incremented by 8 threads, a bounded producer/consumer queue with
 * condition variables, pthread_barrier (one serial thread per round),
 * unnamed process-private semaphores (sem_timedwait timing out too),
 * reader/writer locks (readers together, writers alone) and
 * pthread_mutex_timedlock timing out. */
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NWORKERS 8
#define INCREMENTS 20000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *incrementer(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&counter_lock);
        long v = counter;
        if ((i & 255) == 0)
            sched_yield(); /* contention: others block on the lock */
        counter = v + 1;
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

static void test_mutex(void)
{
    pthread_t t[NWORKERS];
    for (int i = 0; i < NWORKERS; i++)
        REQUIRE(pthread_create(&t[i], NULL, incrementer, NULL) == 0, "pthread_create");
    for (int i = 0; i < NWORKERS; i++)
        pthread_join(t[i], NULL);
    CHECK(counter == (long)NWORKERS * INCREMENTS, "counter %ld, want %ld", counter,
          (long)NWORKERS * INCREMENTS);

    /* An error-checking mutex reports relocking and foreign unlocks. */
    pthread_mutexattr_t ma;
    pthread_mutex_t m;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &ma);
    CHECK_RET(pthread_mutex_lock(&m), 0);
    CHECK(pthread_mutex_lock(&m) == EDEADLK, "relock of an error-checking mutex");
    CHECK(pthread_mutex_trylock(&m) == EBUSY, "trylock of a held mutex");
    CHECK_RET(pthread_mutex_unlock(&m), 0);
    CHECK(pthread_mutex_unlock(&m) == EPERM, "unlock of an unheld mutex");
    pthread_mutex_destroy(&m);
    pthread_mutexattr_destroy(&ma);
}

/* Producer/consumer over a queue of 4 slots: 2 producers, 2 consumers. */
#define QSIZE 4
#define PER_PRODUCER 2000

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static int q_items[QSIZE], q_head, q_count;
static long consumed_sum, consumed_count;

static void *producer(void *arg)
{
    int base = (int)(intptr_t)arg;
    for (int i = 1; i <= PER_PRODUCER; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_count == QSIZE)
            pthread_cond_wait(&q_not_full, &q_lock);
        q_items[(q_head + q_count) % QSIZE] = base + i;
        q_count++;
        pthread_cond_signal(&q_not_empty);
        pthread_mutex_unlock(&q_lock);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_count == 0)
            pthread_cond_wait(&q_not_empty, &q_lock);
        int v = q_items[q_head];
        q_head = (q_head + 1) % QSIZE;
        q_count--;
        pthread_cond_signal(&q_not_full);
        if (v < 0) { /* the end marker */
            pthread_mutex_unlock(&q_lock);
            return NULL;
        }
        consumed_sum += v;
        consumed_count++;
        pthread_mutex_unlock(&q_lock);
    }
}

static void put_marker(void)
{
    pthread_mutex_lock(&q_lock);
    while (q_count == QSIZE)
        pthread_cond_wait(&q_not_full, &q_lock);
    q_items[(q_head + q_count) % QSIZE] = -1;
    q_count++;
    pthread_cond_signal(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
}

static void test_condvar(void)
{
    pthread_t p[2], c[2];
    for (int i = 0; i < 2; i++) {
        REQUIRE(pthread_create(&c[i], NULL, consumer, NULL) == 0, "pthread_create");
        REQUIRE(pthread_create(&p[i], NULL, producer, (void *)(intptr_t)(i * 100000)) == 0,
                "pthread_create");
    }
    for (int i = 0; i < 2; i++)
        pthread_join(p[i], NULL);
    put_marker();
    put_marker();
    for (int i = 0; i < 2; i++)
        pthread_join(c[i], NULL);
    long n = PER_PRODUCER;
    long want = 2 * (n * (n + 1) / 2) + 100000 * n;
    CHECK(consumed_count == 2 * n, "consumed %ld items, want %ld", consumed_count, 2 * n);
    CHECK(consumed_sum == want, "consumed sum %ld, want %ld", consumed_sum, want);

    /* pthread_cond_timedwait times out (nobody signals). */
    struct timespec t0, dl;
    clock_gettime(CLOCK_REALTIME, &t0);
    dl = t0;
    dl.tv_nsec += 30 * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&q_lock);
    int r = pthread_cond_timedwait(&q_not_empty, &q_lock, &dl);
    pthread_mutex_unlock(&q_lock);
    CHECK(r == ETIMEDOUT, "cond_timedwait: %d", r);
    struct timespec t1;
    clock_gettime(CLOCK_REALTIME, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 29, "cond_timedwait returned after %ld ms", ms);
}

/* Barrier: 4 threads, 50 rounds; exactly one serial thread per round, and
 * nobody starts round k+1 before all finished round k. */
#define BARRIER_THREADS 4
#define ROUNDS 50

static pthread_barrier_t barrier;
static atomic_int round_arrivals[ROUNDS];
static atomic_int serial_count;
static atomic_int barrier_errors;

static void *barrier_main(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        atomic_fetch_add(&round_arrivals[r], 1);
        int ret = pthread_barrier_wait(&barrier);
        if (ret == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serial_count, 1);
        else if (ret != 0)
            atomic_fetch_add(&barrier_errors, 1);
        if (atomic_load(&round_arrivals[r]) != BARRIER_THREADS)
            atomic_fetch_add(&barrier_errors, 1);
    }
    return NULL;
}

static void test_barrier(void)
{
    pthread_t t[BARRIER_THREADS];
    REQUIRE(pthread_barrier_init(&barrier, NULL, BARRIER_THREADS) == 0, "barrier init");
    for (int i = 0; i < BARRIER_THREADS; i++)
        REQUIRE(pthread_create(&t[i], NULL, barrier_main, NULL) == 0, "pthread_create");
    for (int i = 0; i < BARRIER_THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK(serial_count == ROUNDS, "%d serial threads in %d rounds", serial_count, ROUNDS);
    CHECK(barrier_errors == 0, "%d threads passed the barrier early", barrier_errors);
    pthread_barrier_destroy(&barrier);
}

/* Semaphores: a pool of 2 tokens shared by 6 threads; never more than 2
 * inside at once. */
static sem_t pool;
static atomic_int inside, max_inside, sem_rounds;

static void *sem_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 200; i++) {
        while (sem_wait(&pool) != 0)
            ;
        int n = atomic_fetch_add(&inside, 1) + 1;
        int m = atomic_load(&max_inside);
        while (n > m && !atomic_compare_exchange_weak(&max_inside, &m, n))
            ;
        if ((i & 31) == 0)
            sched_yield();
        atomic_fetch_sub(&inside, 1);
        atomic_fetch_add(&sem_rounds, 1);
        sem_post(&pool);
    }
    return NULL;
}

static void test_semaphore(void)
{
    REQUIRE(sem_init(&pool, 0, 2) == 0, "sem_init");
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        REQUIRE(pthread_create(&t[i], NULL, sem_main, NULL) == 0, "pthread_create");
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    CHECK(max_inside >= 1 && max_inside <= 2, "%d threads inside at once", max_inside);
    CHECK(sem_rounds == 1200, "sem rounds %d", sem_rounds);
    int v = -1;
    CHECK(sem_getvalue(&pool, &v) == 0 && v == 2, "value %d at the end", v);

    /* Drained: trywait fails, timedwait times out. */
    CHECK_RET(sem_trywait(&pool), 0);
    CHECK_RET(sem_trywait(&pool), 0);
    CHECK_ERRNO(sem_trywait(&pool), EAGAIN);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += 20 * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    CHECK_ERRNO(sem_timedwait(&pool, &dl), ETIMEDOUT);
    sem_destroy(&pool);
}

/* Reader/writer lock: several readers hold it at once, a writer alone. */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int readers_in, writers_in, max_readers, rw_violations;
static pthread_barrier_t readers_together;
static long rw_data[16];

static void *reader_main(void *arg)
{
    (void)arg;
    /* First: all 3 readers inside at once (rdlock does not exclude). */
    pthread_rwlock_rdlock(&rw);
    int n = atomic_fetch_add(&readers_in, 1) + 1;
    int m = atomic_load(&max_readers);
    while (n > m && !atomic_compare_exchange_weak(&max_readers, &m, n))
        ;
    pthread_barrier_wait(&readers_together);
    atomic_fetch_sub(&readers_in, 1);
    pthread_rwlock_unlock(&rw);
    /* Then: mixed with the writers, data always consistent. */
    for (int i = 0; i < 2000; i++) {
        pthread_rwlock_rdlock(&rw);
        if (atomic_load(&writers_in) != 0)
            atomic_fetch_add(&rw_violations, 1);
        for (int j = 1; j < 16; j++)
            if (rw_data[j] != rw_data[0])
                atomic_fetch_add(&rw_violations, 1);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *writer_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        pthread_rwlock_wrlock(&rw);
        if (atomic_fetch_add(&writers_in, 1) != 0)
            atomic_fetch_add(&rw_violations, 1);
        for (int j = 0; j < 16; j++)
            rw_data[j]++;
        atomic_fetch_sub(&writers_in, 1);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void test_rwlock(void)
{
    pthread_t r[3], w[2];
    REQUIRE(pthread_barrier_init(&readers_together, NULL, 3) == 0, "barrier");
    for (int i = 0; i < 3; i++)
        REQUIRE(pthread_create(&r[i], NULL, reader_main, NULL) == 0, "pthread_create");
    for (int i = 0; i < 2; i++)
        REQUIRE(pthread_create(&w[i], NULL, writer_main, NULL) == 0, "pthread_create");
    for (int i = 0; i < 3; i++)
        pthread_join(r[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(w[i], NULL);
    pthread_barrier_destroy(&readers_together);
    CHECK(max_readers == 3, "at most %d readers together", max_readers);
    CHECK(rw_violations == 0, "%d reader/writer exclusion violations", rw_violations);
    CHECK(rw_data[0] == 2000 && rw_data[15] == 2000, "data %ld %ld", rw_data[0], rw_data[15]);

    CHECK_RET(pthread_rwlock_rdlock(&rw), 0);
    CHECK(pthread_rwlock_trywrlock(&rw) == EBUSY, "trywrlock with a reader in");
    CHECK_RET(pthread_rwlock_tryrdlock(&rw), 0);
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);
    CHECK_RET(pthread_rwlock_trywrlock(&rw), 0);
    pthread_rwlock_unlock(&rw);
}

/* pthread_mutex_timedlock on a mutex another thread holds. */
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static sem_t held_taken, held_release;

static void *holder_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    sem_post(&held_taken);
    sem_wait(&held_release);
    pthread_mutex_unlock(&held);
    return NULL;
}

static void test_timedlock(void)
{
    sem_init(&held_taken, 0, 0);
    sem_init(&held_release, 0, 0);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, holder_main, NULL) == 0, "pthread_create");
    sem_wait(&held_taken);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += 20 * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    CHECK(pthread_mutex_timedlock(&held, &dl) == ETIMEDOUT, "timedlock did not time out");
    sem_post(&held_release);
    CHECK_RET(pthread_mutex_lock(&held), 0); /* blocks until the holder lets go */
    pthread_mutex_unlock(&held);
    pthread_join(t, NULL);
    sem_destroy(&held_taken);
    sem_destroy(&held_release);
}

int main(void)
{
    test_mutex();
    test_condvar();
    test_barrier();
    test_semaphore();
    test_rwlock();
    test_timedlock();
    return check_done("thread_sync");
}

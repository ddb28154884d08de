/* Signals and threads: pthread_kill reaches exactly the thread it names
 * (the handler runs there: it records gettid()); a process-directed kill()
 * goes to the one thread that does not block the signal; a signal blocked
 * in the thread it was sent to stays pending on that thread only; sigwait
 * in one thread takes a process-directed signal that every thread blocks;
 * sigtimedwait in a thread times out (EAGAIN) and takes a tgkill'ed signal
 * (SI_TKILL); the signal mask is per thread and inherited by new threads. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static atomic_int handler_tid;
static atomic_int handler_count;

static void record_tid(int sig)
{
    (void)sig;
    atomic_store(&handler_tid, gettid());
    atomic_fetch_add(&handler_count, 1);
}

static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa = {.sa_handler = fn};
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(sig, &sa, NULL) == 0, "sigaction %d", sig);
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    REQUIRE(pthread_sigmask(how, &s, NULL) == 0, "pthread_sigmask");
}

/* Waits (up to ~5 s) until the handler has run COUNT times in all. */
static int wait_count(int count)
{
    for (int i = 0; i < 5000 && atomic_load(&handler_count) < count; i++)
        usleep(1000);
    return atomic_load(&handler_count) >= count;
}

/* Worker threads: report their tid, then wait for `stop` in a loop of
 * short sleeps (a signal may interrupt any of them). */
struct worker {
    pthread_t thread;
    atomic_int tid;
    int block_sig;   /* blocked in this thread, or 0 */
    int unblock_sig; /* unblocked in this thread, or 0 */
};

static atomic_int stop;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    if (w->block_sig)
        block(w->block_sig, SIG_BLOCK);
    if (w->unblock_sig)
        block(w->unblock_sig, SIG_UNBLOCK);
    atomic_store(&w->tid, gettid());
    while (!atomic_load(&stop))
        usleep(1000);
    return NULL;
}

static void start_workers(struct worker *w, int n)
{
    atomic_store(&stop, 0);
    for (int i = 0; i < n; i++) {
        atomic_store(&w[i].tid, 0);
        REQUIRE(pthread_create(&w[i].thread, NULL, worker_main, &w[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < n; i++)
        while (atomic_load(&w[i].tid) == 0)
            usleep(1000);
}

static void stop_workers(struct worker *w, int n)
{
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++)
        pthread_join(w[i].thread, NULL);
}

static void test_pthread_kill(void)
{
    struct worker w[3] = {{0}};
    set_handler(SIGUSR1, record_tid);
    start_workers(w, 3);
    for (int i = 0; i < 3; i++) {
        atomic_store(&handler_count, 0);
        atomic_store(&handler_tid, 0);
        CHECK_RET(pthread_kill(w[i].thread, SIGUSR1), 0);
        CHECK(wait_count(1), "pthread_kill to thread %d: no handler ran", i);
        CHECK(atomic_load(&handler_tid) == atomic_load(&w[i].tid),
              "pthread_kill to thread %d (tid %d): handler ran in tid %d", i,
              atomic_load(&w[i].tid), atomic_load(&handler_tid));
    }
    /* And to the main thread itself: the handler runs before pthread_kill
     * returns. */
    atomic_store(&handler_count, 0);
    CHECK_RET(pthread_kill(pthread_self(), SIGUSR1), 0);
    CHECK(atomic_load(&handler_count) == 1 && atomic_load(&handler_tid) == gettid(),
          "self pthread_kill: count %d tid %d", atomic_load(&handler_count),
          atomic_load(&handler_tid));
    /* Signal 0 checks the thread exists. */
    CHECK_RET(pthread_kill(w[0].thread, 0), 0);
    stop_workers(w, 3);
    signal(SIGUSR1, SIG_DFL);
}

static void test_process_directed(void)
{
    /* Threads 0 and 2 and the main thread block SIGUSR2; thread 1 does not
     * (it unblocks what it inherited). */
    struct worker w[3] = {{.block_sig = SIGUSR2}, {.unblock_sig = SIGUSR2},
                          {.block_sig = SIGUSR2}};
    set_handler(SIGUSR2, record_tid);
    block(SIGUSR2, SIG_BLOCK);
    start_workers(w, 3);
    for (int round = 0; round < 3; round++) {
        atomic_store(&handler_count, 0);
        atomic_store(&handler_tid, 0);
        CHECK_RET(kill(getpid(), SIGUSR2), 0);
        CHECK(wait_count(1), "kill: no handler ran");
        CHECK(atomic_load(&handler_tid) == atomic_load(&w[1].tid),
              "kill: handler ran in tid %d, want the unblocking thread %d",
              atomic_load(&handler_tid), atomic_load(&w[1].tid));
    }
    stop_workers(w, 3);
    /* Nothing is left pending for the process. */
    sigset_t pend;
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR2), "SIGUSR2 still pending");
    block(SIGUSR2, SIG_UNBLOCK);
    signal(SIGUSR2, SIG_DFL);
}

/* A thread-directed signal the target blocks stays pending on that thread:
 * its sigpending shows it, another thread's does not. */
static sem_t pend_go, pend_done;
static atomic_int pend_seen_in_thread;

static void *pend_main(void *arg)
{
    (void)arg;
    block(SIGUSR1, SIG_BLOCK);
    sem_post(&pend_done); /* blocked now */
    sem_wait(&pend_go);   /* the main thread has sent it */
    sigset_t pend;
    sigpending(&pend);
    atomic_store(&pend_seen_in_thread, sigismember(&pend, SIGUSR1));
    /* Take it, so it is never delivered. */
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    int sig = 0;
    sigwait(&s, &sig);
    return (void *)(long)sig;
}

static void test_thread_pending(void)
{
    sem_init(&pend_go, 0, 0);
    sem_init(&pend_done, 0, 0);
    set_handler(SIGUSR1, record_tid);
    atomic_store(&handler_count, 0);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, pend_main, NULL) == 0, "pthread_create");
    sem_wait(&pend_done);
    CHECK_RET(pthread_kill(t, SIGUSR1), 0);
    sigset_t pend;
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "the thread's pending signal shows in the main thread");
    sem_post(&pend_go);
    void *ret = NULL;
    pthread_join(t, &ret);
    CHECK(atomic_load(&pend_seen_in_thread) == 1, "not pending in the target thread");
    CHECK((long)ret == SIGUSR1, "sigwait in the thread: %ld", (long)ret);
    CHECK(atomic_load(&handler_count) == 0, "a handler ran for a blocked signal");
    signal(SIGUSR1, SIG_DFL);
    sem_destroy(&pend_go);
    sem_destroy(&pend_done);
}

/* sigwait: all threads block SIGUSR1 (inherited mask), one waits for it. */
static void *sigwait_main(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    int sig = 0;
    int r = sigwait(&s, &sig);
    return (void *)(long)(r == 0 ? sig : -r);
}

struct timed_result {
    int timeout_ret, timeout_errno;
    int sig, code, pid;
};
static sem_t timed_ready;

static void *sigtimedwait_main(void *arg)
{
    struct timed_result *res = arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    struct timespec ts = {0, 20 * 1000000};
    siginfo_t si;
    errno = 0;
    res->timeout_ret = sigtimedwait(&s, &si, &ts);
    res->timeout_errno = errno;
    sem_post(&timed_ready);
    ts.tv_sec = 10;
    memset(&si, 0, sizeof(si));
    /* The raw call: glibc's sigtimedwait folds SI_TKILL into SI_USER. */
    res->sig = (int)syscall(SYS_rt_sigtimedwait, &s, &si, &ts, 8);
    res->code = si.si_code;
    res->pid = si.si_pid;
    return NULL;
}

static void test_sigwait(void)
{
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    REQUIRE(pthread_sigmask(SIG_BLOCK, &s, &old) == 0, "pthread_sigmask");

    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, sigwait_main, NULL) == 0, "pthread_create");
    usleep(10000);
    CHECK_RET(kill(getpid(), SIGUSR1), 0);
    void *ret = NULL;
    pthread_join(t, &ret);
    CHECK((long)ret == SIGUSR1, "sigwait returned %ld", (long)ret);

    struct timed_result res = {0};
    sem_init(&timed_ready, 0, 0);
    REQUIRE(pthread_create(&t, NULL, sigtimedwait_main, &res) == 0, "pthread_create");
    sem_wait(&timed_ready);
    CHECK(res.timeout_ret == -1 && res.timeout_errno == EAGAIN,
          "sigtimedwait with nothing pending: %d errno %d", res.timeout_ret, res.timeout_errno);
    CHECK_RET(pthread_kill(t, SIGUSR2), 0);
    pthread_join(t, NULL);
    CHECK(res.sig == SIGUSR2, "sigtimedwait returned %d", res.sig);
    CHECK(res.code == SI_TKILL, "si_code %d, want SI_TKILL", res.code);
    CHECK(res.pid == getpid(), "si_pid %d", res.pid);
    sem_destroy(&timed_ready);

    sigset_t pend;
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "left pending");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The mask is per thread, and a new thread starts with its creator's. */
static void *mask_main(void *arg)
{
    (void)arg;
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    int inherited = sigismember(&cur, SIGHUP) && !sigismember(&cur, SIGINT);
    block(SIGINT, SIG_BLOCK);
    return (void *)(long)inherited;
}

static void test_mask_per_thread(void)
{
    block(SIGHUP, SIG_BLOCK);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, mask_main, NULL) == 0, "pthread_create");
    void *ret = NULL;
    pthread_join(t, &ret);
    CHECK((long)ret == 1, "the new thread did not inherit the mask");
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGINT), "another thread's mask change leaked into main");
    block(SIGHUP, SIG_UNBLOCK);
}

int main(void)
{
    test_pthread_kill();
    test_process_directed();
    test_thread_pending();
    test_sigwait();
    test_mask_per_thread();
    return check_done("thread_signals");
}

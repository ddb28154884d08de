/* Threads (CLONE_THREAD): pthread_create and join with return values,
 * detached threads, deferred cancellation at a cancellation point (a thread
 * blocked in read() on a pipe and one in pthread_cond_wait, with their
 * cleanup handlers), 32 threads each with its own __thread variable and tid
 * but the process's pid, a thread's end not ending the process (also when
 * the main thread calls pthread_exit), and exit() from another thread
 * ending every thread. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define NTHREADS 32

static __thread int tls_value = 7;
static __thread char tls_buf[64];

static void *ret_arg(void *arg)
{
    return (void *)((uintptr_t)arg * 10);
}

static void test_join(void)
{
    pthread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        REQUIRE(pthread_create(&t[i], NULL, ret_arg, (void *)(i + 1)) == 0, "pthread_create");
    for (uintptr_t i = 0; i < 4; i++) {
        void *ret = NULL;
        CHECK_RET(pthread_join(t[i], &ret), 0);
        CHECK((uintptr_t)ret == (i + 1) * 10, "thread %zu returned %p", (size_t)i, ret);
    }
}

static void *exit_with(void *arg)
{
    pthread_exit(arg);
    return NULL;
}

static sem_t detached_done;
static volatile int detached_ran;

static void *detached_main(void *arg)
{
    (void)arg;
    detached_ran = 1;
    sem_post(&detached_done);
    return NULL;
}

static void test_exit_and_detach(void)
{
    pthread_t t;
    void *ret = NULL;
    REQUIRE(pthread_create(&t, NULL, exit_with, (void *)0x5150) == 0, "pthread_create");
    CHECK_RET(pthread_join(t, &ret), 0);
    CHECK(ret == (void *)0x5150, "pthread_exit value %p", ret);

    REQUIRE(sem_init(&detached_done, 0, 0) == 0, "sem_init");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    REQUIRE(pthread_create(&t, &attr, detached_main, NULL) == 0, "pthread_create detached");
    pthread_attr_destroy(&attr);
    CHECK_RET(sem_wait(&detached_done), 0);
    CHECK(detached_ran, "the detached thread did not run");

    REQUIRE(pthread_create(&t, NULL, detached_main, NULL) == 0, "pthread_create");
    CHECK_RET(pthread_detach(t), 0);
    CHECK_RET(sem_wait(&detached_done), 0);
    sem_destroy(&detached_done);
}

/* Cancellation: a thread blocked in read() on an empty pipe. */
static int cancel_pipe[2];
static volatile int cleanup_ran;
static sem_t cancel_ready;

static void cleanup(void *arg)
{
    cleanup_ran = (int)(uintptr_t)arg;
}

static void *blocked_reader(void *arg)
{
    (void)arg;
    char c;
    pthread_cleanup_push(cleanup, (void *)1);
    sem_post(&cancel_ready);
    for (;;)
        read(cancel_pipe[0], &c, 1); /* a cancellation point */
    pthread_cleanup_pop(0);
    return NULL;
}

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void unlock_cleanup(void *arg)
{
    cleanup_ran = 2;
    pthread_mutex_unlock(arg);
}

static void *blocked_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cv_lock);
    pthread_cleanup_push(unlock_cleanup, &cv_lock);
    sem_post(&cancel_ready);
    for (;;)
        pthread_cond_wait(&cv, &cv_lock);
    pthread_cleanup_pop(1);
    return NULL;
}

static void test_cancel(void)
{
    REQUIRE(pipe(cancel_pipe) == 0, "pipe");
    REQUIRE(sem_init(&cancel_ready, 0, 0) == 0, "sem_init");

    pthread_t t;
    void *ret = NULL;
    cleanup_ran = 0;
    REQUIRE(pthread_create(&t, NULL, blocked_reader, NULL) == 0, "pthread_create");
    sem_wait(&cancel_ready);
    usleep(10000); /* let it block in read (cancellation works either way) */
    CHECK_RET(pthread_cancel(t), 0);
    CHECK_RET(pthread_join(t, &ret), 0);
    CHECK(ret == PTHREAD_CANCELED, "read thread returned %p", ret);
    CHECK(cleanup_ran == 1, "read thread's cleanup handler: %d", cleanup_ran);

    cleanup_ran = 0;
    REQUIRE(pthread_create(&t, NULL, blocked_waiter, NULL) == 0, "pthread_create");
    sem_wait(&cancel_ready);
    usleep(10000);
    CHECK_RET(pthread_cancel(t), 0);
    CHECK_RET(pthread_join(t, &ret), 0);
    CHECK(ret == PTHREAD_CANCELED, "cond_wait thread returned %p", ret);
    CHECK(cleanup_ran == 2, "cond_wait thread's cleanup handler: %d", cleanup_ran);
    /* The cleanup handler released the mutex cond_wait took back. */
    CHECK_RET(pthread_mutex_trylock(&cv_lock), 0);
    pthread_mutex_unlock(&cv_lock);

    close(cancel_pipe[0]);
    close(cancel_pipe[1]);
    sem_destroy(&cancel_ready);
}

/* 32 threads, each with its own TLS and tid. */
struct info {
    int index;
    pid_t tid;
    pid_t pid;
    int tls_initial;
    int tls_final;
    void *tls_addr;
    int buf_ok;
};

static pthread_barrier_t many_barrier;

static void *many_main(void *arg)
{
    struct info *in = arg;
    in->tid = gettid();
    in->pid = getpid();
    in->tls_initial = tls_value;
    in->tls_addr = &tls_value;
    tls_value = 1000 + in->index;
    snprintf(tls_buf, sizeof(tls_buf), "thread %d", in->index);
    /* Everyone has written its TLS before anyone reads it back. */
    pthread_barrier_wait(&many_barrier);
    char want[64];
    snprintf(want, sizeof(want), "thread %d", in->index);
    in->tls_final = tls_value;
    in->buf_ok = strcmp(tls_buf, want) == 0;
    return NULL;
}

static void test_many(void)
{
    static struct info info[NTHREADS];
    pthread_t t[NTHREADS];
    REQUIRE(pthread_barrier_init(&many_barrier, NULL, NTHREADS) == 0, "barrier");
    tls_value = 1;
    for (int i = 0; i < NTHREADS; i++) {
        info[i].index = i;
        REQUIRE(pthread_create(&t[i], NULL, many_main, &info[i]) == 0, "pthread_create %d", i);
    }
    for (int i = 0; i < NTHREADS; i++)
        CHECK_RET(pthread_join(t[i], NULL), 0);
    pthread_barrier_destroy(&many_barrier);

    pid_t pid = getpid();
    CHECK(gettid() == pid, "the main thread's tid %d is not the pid %d", gettid(), pid);
    CHECK(tls_value == 1, "the main thread's TLS changed to %d", tls_value);
    for (int i = 0; i < NTHREADS; i++) {
        CHECK(info[i].pid == pid, "thread %d: getpid %d, want %d", i, info[i].pid, pid);
        CHECK(info[i].tid > 0 && info[i].tid != pid, "thread %d: tid %d", i, info[i].tid);
        CHECK(info[i].tls_initial == 7, "thread %d: initial TLS %d", i, info[i].tls_initial);
        CHECK(info[i].tls_final == 1000 + i, "thread %d: TLS %d", i, info[i].tls_final);
        CHECK(info[i].buf_ok, "thread %d: TLS buffer overwritten", i);
        CHECK(info[i].tls_addr != (void *)&tls_value, "thread %d shares the main TLS", i);
        for (int j = 0; j < i; j++) {
            CHECK(info[i].tid != info[j].tid, "threads %d and %d share tid %d", i, j,
                  info[i].tid);
            CHECK(info[i].tls_addr != info[j].tls_addr, "threads %d and %d share TLS", i, j);
        }
    }
}

/* The main thread ends with pthread_exit; the process lives on until its
 * last thread ends, whose exit status is the process's. Runs in a child. */
static int status_pipe[2];

static void *outlive_main(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    /* Joining the exited main thread works too. */
    int r = pthread_join(main_thread, NULL);
    char c = r == 0 ? 'j' : 'n';
    write(status_pipe[1], &c, 1);
    exit(5);
}

static void test_main_thread_exit(void)
{
    REQUIRE(pipe(status_pipe) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        static pthread_t self;
        self = pthread_self();
        pthread_t t;
        if (pthread_create(&t, NULL, outlive_main, &self) != 0)
            _exit(1);
        pthread_exit(NULL);
    }
    close(status_pipe[1]);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "status %#x, want exit 5", st);
    char c = 0;
    CHECK(read(status_pipe[0], &c, 1) == 1 && c == 'j', "joining the main thread: %c", c);
    close(status_pipe[0]);
}

/* A thread's own exit (SYS_exit) ends only that thread. */
static void *raw_exit(void *arg)
{
    (void)arg;
    syscall(SYS_exit, 3);
    return NULL;
}

/* exit() in another thread ends every thread, the main one blocked in
 * read() included, with that status. Runs in a child. */
static void *exit_all(void *arg)
{
    (void)arg;
    usleep(10000);
    exit(42);
}

static void test_exit_from_thread(void)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* The raw exit frees no pthread state: this thread is never joined. */
        pthread_t t;
        if (pthread_create(&t, NULL, raw_exit, NULL) != 0)
            _exit(1);
        usleep(20000);
        int p[2];
        if (pipe(p) != 0 || pthread_create(&t, NULL, exit_all, NULL) != 0)
            _exit(1);
        char c;
        read(p[0], &c, 1); /* never returns: nobody writes */
        _exit(2);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "status %#x, want exit 42", st);
}

int main(void)
{
    test_join();
    test_exit_and_detach();
    test_cancel();
    test_many();
    test_main_thread_exit();
    test_exit_from_thread();
    return check_done("thread_basic");
}

/* Timers that deliver signals.
 *
 *  - alarm: returns the seconds left of the previous alarm (rounded), shares
 *    ITIMER_REAL with setitimer, and delivers SIGALRM (shortened to 10 ms
 *    through setitimer to keep the test fast);
 *  - setitimer ITIMER_REAL periodic: 3 ticks counted, getitimer shows the
 *    interval and a value within it, the old value comes back on disarm;
 *  - ITIMER_VIRTUAL and ITIMER_PROF expire on a busy loop in user code;
 *  - timer_create CLOCK_MONOTONIC + SIGEV_SIGNAL: si_code SI_TIMER and
 *    si_value; overruns counted while the signal is blocked (si_overrun
 *    through sigtimedwait, timer_getoverrun); timer_gettime; SIGEV_THREAD_ID to a chosen thread;
 *    SIGEV_THREAD (glibc's helper thread) calls the function with the
 *    value; an absolute CLOCK_REALTIME expiry; timer_delete, after which
 *    the id is invalid (EINVAL). */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile int ticks;
static volatile int last_sig, last_code, last_value, last_tid;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    last_sig = sig;
    last_code = si->si_code;
    last_value = si->si_value.sival_int;
    last_tid = gettid();
    /* Last: another thread polls ticks, then reads the fields above. */
    __atomic_add_fetch(&ticks, 1, __ATOMIC_SEQ_CST);
}

static void set_action(int sig)
{
    struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(sig, &sa, NULL) == 0, "sigaction %d: %s", sig, strerror(errno));
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits (up to 5 s, in sigsuspend with SIG unblocked) for ticks >= N. */
static int await_ticks(int sig, int n)
{
    sigset_t block, old, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, sig);
    sigprocmask(SIG_BLOCK, &block, &old);
    wait_mask = old;
    sigdelset(&wait_mask, sig);
    double deadline = now() + 5;
    while (ticks < n && now() < deadline)
        sigsuspend(&wait_mask);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return ticks >= n;
}

static void test_alarm(void)
{
    set_action(SIGALRM);
    CHECK_RET(alarm(5), 0);
    CHECK_RET(alarm(3), 5); /* 4.99... rounds up */
    struct itimerval it;
    CHECK_RET(getitimer(ITIMER_REAL, &it), 0);
    CHECK(it.it_value.tv_sec == 2 || it.it_value.tv_sec == 3, "alarm(3) in getitimer: %ld s",
          (long)it.it_value.tv_sec);
    CHECK(it.it_interval.tv_sec == 0 && it.it_interval.tv_usec == 0, "alarm has an interval");
    CHECK_RET(alarm(0), 3);
    CHECK_RET(alarm(0), 0);

    /* The alarm's SIGALRM, brought forward through setitimer. */
    ticks = 0;
    alarm(10);
    struct itimerval soon = {{0, 0}, {0, 10000}}, old;
    CHECK_RET(setitimer(ITIMER_REAL, &soon, &old), 0);
    CHECK(old.it_value.tv_sec >= 9, "setitimer did not return the alarm: %ld s",
          (long)old.it_value.tv_sec);
    CHECK(await_ticks(SIGALRM, 1), "no SIGALRM");
    CHECK(last_sig == SIGALRM && last_code == SI_KERNEL, "alarm: signal %d code %d", last_sig,
          last_code);
    CHECK_RET(alarm(0), 0); /* fired: nothing left */
}

static void test_itimer_real(void)
{
    set_action(SIGALRM);
    ticks = 0;
    struct itimerval it = {{0, 10000}, {0, 10000}}, got, old;
    double t0 = now();
    CHECK_RET(setitimer(ITIMER_REAL, &it, NULL), 0);
    CHECK_RET(getitimer(ITIMER_REAL, &got), 0);
    CHECK(got.it_interval.tv_sec == 0 && got.it_interval.tv_usec == 10000,
          "interval %ld.%06ld", (long)got.it_interval.tv_sec, (long)got.it_interval.tv_usec);
    CHECK(got.it_value.tv_sec == 0 && got.it_value.tv_usec > 0 && got.it_value.tv_usec <= 10000,
          "value %ld.%06ld", (long)got.it_value.tv_sec, (long)got.it_value.tv_usec);
    CHECK(await_ticks(SIGALRM, 3), "%d ticks of a periodic ITIMER_REAL", ticks);
    double took = now() - t0;
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK_RET(setitimer(ITIMER_REAL, &off, &old), 0);
    CHECK(took >= 0.029, "3 ticks of 10 ms took %.3f s", took);
    CHECK(old.it_interval.tv_usec == 10000, "old interval %ld", (long)old.it_interval.tv_usec);
    CHECK_RET(getitimer(ITIMER_REAL, &got), 0);
    CHECK(got.it_value.tv_sec == 0 && got.it_value.tv_usec == 0, "still armed after disarm");

    CHECK_ERRNO(setitimer(42, &it, NULL), EINVAL);
}

static void busy_until_tick(int sig, double max_s)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    double deadline = now() + max_s;
    while (ticks == 0 && now() < deadline)
        for (volatile int i = 0; i < 100000; i++)
            ;
}

static void test_itimer_cpu(void)
{
    int which[] = {ITIMER_VIRTUAL, ITIMER_PROF};
    int sigs[] = {SIGVTALRM, SIGPROF};
    for (int i = 0; i < 2; i++) {
        set_action(sigs[i]);
        ticks = 0;
        struct itimerval it = {{0, 0}, {0, 20000}}, got;
        CHECK_RET(setitimer(which[i], &it, NULL), 0);
        CHECK_RET(getitimer(which[i], &got), 0);
        /* CPU timers are rounded up to the scheduler tick. */
        CHECK(got.it_value.tv_usec > 0 && got.it_value.tv_usec <= 30000, "timer %d value %ld",
              which[i], (long)got.it_value.tv_usec);
        busy_until_tick(sigs[i], 3);
        CHECK(ticks == 1 && last_sig == sigs[i], "CPU timer %d: %d ticks, signal %d", which[i],
              ticks, last_sig);
        signal(sigs[i], SIG_DFL);
    }
}

static void test_posix_timer(void)
{
    int sig = SIGRTMIN + 2;
    set_action(sig);
    struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig};
    sev.sigev_value.sival_int = 77;
    timer_t t;
    REQUIRE(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0, "timer_create: %s", strerror(errno));

    /* One shot. */
    ticks = 0;
    struct itimerspec its = {{0, 0}, {0, 10 * 1000000}}, got;
    CHECK_RET(timer_settime(t, 0, &its, NULL), 0);
    CHECK_RET(timer_gettime(t, &got), 0);
    CHECK(got.it_value.tv_sec == 0 && got.it_value.tv_nsec > 0 &&
              got.it_value.tv_nsec <= 10 * 1000000,
          "timer_gettime value %ld", got.it_value.tv_nsec);
    CHECK(await_ticks(sig, 1), "the POSIX timer did not fire");
    CHECK(last_sig == sig && last_code == SI_TIMER && last_value == 77,
          "signal %d code %d value %d", last_sig, last_code, last_value);
    CHECK_RET(timer_gettime(t, &got), 0);
    CHECK(got.it_value.tv_sec == 0 && got.it_value.tv_nsec == 0, "one-shot timer still armed");

    /* Periodic 5 ms with the signal blocked for ~60 ms: one signal is
     * pending, the missed expiries are counted as its overruns. */
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, &old);
    ticks = 0;
    its = (struct itimerspec){{0, 5 * 1000000}, {0, 5 * 1000000}};
    CHECK_RET(timer_settime(t, 0, &its, NULL), 0);
    struct timespec pause_ts = {0, 60 * 1000000};
    nanosleep(&pause_ts, NULL);
    CHECK(ticks == 0, "a blocked signal was delivered");
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    struct timespec zero = {0, 0};
    CHECK_RET(sigtimedwait(&s, &si, &zero), sig);
    CHECK(si.si_code == SI_TIMER && si.si_value.sival_int == 77, "code %d value %d", si.si_code,
          si.si_value.sival_int);
    CHECK(si.si_overrun >= 5 && si.si_overrun <= 13, "si_overrun %d after ~12 expiries",
          si.si_overrun);
    int over = timer_getoverrun(t);
    CHECK(over == si.si_overrun, "timer_getoverrun %d, si_overrun %d", over, si.si_overrun);
    /* Disarmed, then unblocked (a signal of a disarmed timer may be
     * dropped: not checked). */
    its = (struct itimerspec){{0, 0}, {0, 0}};
    CHECK_RET(timer_settime(t, 0, &its, NULL), 0);
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* An absolute CLOCK_REALTIME expiry. */
    timer_t rt;
    sev.sigev_value.sival_int = 78;
    REQUIRE(timer_create(CLOCK_REALTIME, &sev, &rt) == 0, "timer_create: %s", strerror(errno));
    struct timespec when;
    clock_gettime(CLOCK_REALTIME, &when);
    when.tv_nsec += 10 * 1000000;
    if (when.tv_nsec >= 1000000000) {
        when.tv_sec++;
        when.tv_nsec -= 1000000000;
    }
    ticks = 0;
    its = (struct itimerspec){{0, 0}, when};
    CHECK_RET(timer_settime(rt, TIMER_ABSTIME, &its, NULL), 0);
    CHECK(await_ticks(sig, 1) && last_value == 78, "absolute timer: %d ticks value %d", ticks,
          last_value);

    CHECK_RET(timer_delete(rt), 0);
    CHECK_RET(timer_delete(t), 0);
    CHECK_ERRNO(timer_settime(t, 0, &its, NULL), EINVAL);
    CHECK_ERRNO(timer_delete(t), EINVAL);
    signal(sig, SIG_DFL);
}

/* SIGEV_THREAD_ID: the signal goes to the named thread. */
static atomic_int target_tid, target_stop;

static void *target_main(void *arg)
{
    (void)arg;
    atomic_store(&target_tid, gettid());
    while (!atomic_load(&target_stop))
        usleep(1000);
    return NULL;
}

static sem_t thread_notified;
static atomic_int notify_value;

static void notify_fn(union sigval v)
{
    atomic_store(&notify_value, v.sival_int);
    sem_post(&thread_notified);
}

static void test_thread_timers(void)
{
    int sig = SIGRTMIN + 3;
    set_action(sig);
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, target_main, NULL) == 0, "pthread_create");
    while (atomic_load(&target_tid) == 0)
        usleep(1000);

    struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = sig};
    sev.sigev_notify_thread_id = atomic_load(&target_tid);
    sev.sigev_value.sival_int = 5;
    timer_t t;
    REQUIRE(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0, "timer_create SIGEV_THREAD_ID: %s",
            strerror(errno));
    ticks = 0;
    last_tid = 0;
    struct itimerspec its = {{0, 0}, {0, 5 * 1000000}};
    CHECK_RET(timer_settime(t, 0, &its, NULL), 0);
    double deadline = now() + 5;
    while (ticks == 0 && now() < deadline)
        usleep(1000);
    CHECK(ticks == 1 && last_tid == atomic_load(&target_tid) && last_value == 5,
          "SIGEV_THREAD_ID: %d ticks in tid %d (want %d), value %d", ticks, last_tid,
          atomic_load(&target_tid), last_value);
    timer_delete(t);
    atomic_store(&target_stop, 1);
    pthread_join(th, NULL);

    /* A tid outside the process: EINVAL. */
    sev.sigev_notify_thread_id = 0x3ffffff0;
    CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &sev, &t), EINVAL);

    /* SIGEV_THREAD. */
    sem_init(&thread_notified, 0, 0);
    struct sigevent tev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = notify_fn};
    tev.sigev_value.sival_int = 1234;
    REQUIRE(timer_create(CLOCK_MONOTONIC, &tev, &t) == 0, "timer_create SIGEV_THREAD: %s",
            strerror(errno));
    CHECK_RET(timer_settime(t, 0, &its, NULL), 0);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    CHECK_RET(sem_timedwait(&thread_notified, &dl), 0);
    CHECK(atomic_load(&notify_value) == 1234, "SIGEV_THREAD value %d",
          atomic_load(&notify_value));
    timer_delete(t);
    sem_destroy(&thread_notified);
    signal(sig, SIG_DFL);
}

int main(void)
{
    test_alarm();
    test_itimer_real();
    test_itimer_cpu();
    test_posix_timer();
    test_thread_timers();
    return check_done("timers");
}

/* Interrupted system calls and waiting for signals.
 *
 *  - a blocking pipe read interrupted by a handled signal (a periodic
 *    ITIMER_REAL): without SA_RESTART it returns -1 EINTR; with SA_RESTART
 *    it is restarted, and completes with the data a child writes later;
 *  - nanosleep interrupted: -1 EINTR, the remaining time in rem;
 *  - sigsuspend: -1 EINTR after the handler ran, the old mask back;
 *    pause() likewise;
 *  - sigtimedwait: EAGAIN after its timeout, the pending signal at once;
 *  - sigpending shows a blocked pending signal;
 *  - standard signals do not queue (3 raised while blocked, one handler
 *    run); real-time ones do, in order (sigqueue 3 times, 3 runs with the
 *    values in order), the lower-numbered RT signal first. */
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static volatile int ticks;

static void on_tick(int sig)
{
    (void)sig;
    ticks++;
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa = {.sa_handler = fn, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(sig, &sa, NULL) == 0, "sigaction %d: %s", sig, strerror(errno));
}

/* A periodic ITIMER_REAL of MS milliseconds (0: off). */
static void periodic(long ms)
{
    struct itimerval it = {{0, ms * 1000}, {0, ms * 1000}};
    REQUIRE(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer: %s", strerror(errno));
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A child that writes "data" into the pipe after DELAY_MS. */
static pid_t late_writer(int fd, long delay_ms)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL); /* not inherited anyway */
        usleep(delay_ms * 1000);
        _exit(write(fd, "data", 4) == 4 ? 0 : 1);
    }
    return pid;
}

static void test_read_restart(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    char buf[8];

    /* Without SA_RESTART: EINTR (the timer fires every 20 ms until a read
     * is interrupted, so a tick before the read blocks cannot hang it). */
    set_handler(SIGALRM, on_tick, 0);
    ticks = 0;
    periodic(20);
    errno = 0;
    ssize_t n = read(p[0], buf, sizeof(buf));
    int e = errno;
    periodic(0);
    CHECK(n == -1 && e == EINTR, "read without SA_RESTART: %zd errno %d, want EINTR", n, e);
    CHECK(ticks >= 1, "no tick");

    /* With SA_RESTART: the read goes on through ~7 ticks until the data
     * comes 150 ms later. */
    set_handler(SIGALRM, on_tick, SA_RESTART);
    ticks = 0;
    pid_t w = late_writer(p[1], 150);
    periodic(20);
    n = read(p[0], buf, sizeof(buf));
    periodic(0);
    CHECK(n == 4 && memcmp(buf, "data", 4) == 0, "read with SA_RESTART: %zd (%s)", n,
          n < 0 ? strerror(errno) : "");
    CHECK(ticks >= 2, "read with SA_RESTART: only %d ticks during it", ticks);
    int st = 0;
    waitpid(w, &st, 0);
    close(p[0]);
    close(p[1]);
}

static void test_nanosleep(void)
{
    set_handler(SIGALRM, on_tick, SA_RESTART); /* nanosleep never restarts */
    ticks = 0;
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec req = {1, 0}, rem = {0, 0};
    double t0 = now();
    int r = nanosleep(&req, &rem);
    int e = errno;
    double took = now() - t0;
    CHECK(r == -1 && e == EINTR, "nanosleep: %d errno %d, want EINTR", r, e);
    CHECK(ticks == 1, "nanosleep: %d ticks", ticks);
    double left = rem.tv_sec + rem.tv_nsec / 1e9;
    CHECK(left > 0.5 && left < 0.96, "nanosleep: %.3f s remaining after %.3f s", left, took);
    CHECK(took < 0.5, "nanosleep was not interrupted early: %.3f s", took);

    /* clock_nanosleep returns the error instead of setting errno. */
    ticks = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    rem.tv_sec = rem.tv_nsec = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    CHECK(r == EINTR && ticks == 1 && rem.tv_sec == 0 && rem.tv_nsec > 500000000,
          "clock_nanosleep: %d, %d ticks, rem %ld.%09ld", r, ticks, (long)rem.tv_sec,
          rem.tv_nsec);
}

static void test_sigsuspend_pause(void)
{
    set_handler(SIGALRM, on_tick, 0);
    sigset_t alrm, old, wait_mask, cur;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &old);
    ticks = 0;
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    /* Blocked until sigsuspend: no tick can be lost. */
    wait_mask = old;
    sigdelset(&wait_mask, SIGALRM);
    sigaddset(&wait_mask, SIGUSR2);
    int r = sigsuspend(&wait_mask);
    int e = errno;
    CHECK(r == -1 && e == EINTR, "sigsuspend: %d errno %d", r, e);
    CHECK(ticks == 1, "sigsuspend returned after %d handler runs", ticks);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(sigismember(&cur, SIGALRM) && !sigismember(&cur, SIGUSR2),
          "the mask after sigsuspend is not the old one");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* pause(): a periodic timer, in case a tick comes before pause. */
    ticks = 0;
    periodic(20);
    r = pause();
    e = errno;
    periodic(0);
    CHECK(r == -1 && e == EINTR && ticks >= 1, "pause: %d errno %d ticks %d", r, e, ticks);
}

static void test_sigtimedwait(void)
{
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, &old);

    struct timespec ts = {0, 50 * 1000000};
    siginfo_t si;
    double t0 = now();
    CHECK_ERRNO(sigtimedwait(&s, &si, &ts), EAGAIN);
    double took = now() - t0;
    CHECK(took >= 0.049 && took < 0.5, "sigtimedwait timed out after %.3f s", took);

    /* A zero timeout polls. */
    ts.tv_nsec = 0;
    CHECK_ERRNO(sigtimedwait(&s, &si, &ts), EAGAIN);

    /* Pending: shown by sigpending, taken at once. */
    CHECK_RET(kill(getpid(), SIGUSR1), 0);
    sigset_t pend;
    sigemptyset(&pend);
    CHECK_RET(sigpending(&pend), 0);
    CHECK(sigismember(&pend, SIGUSR1), "a blocked SIGUSR1 is not pending");
    ts.tv_sec = 5;
    memset(&si, 0, sizeof(si));
    t0 = now();
    CHECK_RET(sigtimedwait(&s, &si, &ts), SIGUSR1);
    CHECK(now() - t0 < 1, "sigtimedwait waited for a pending signal");
    CHECK(si.si_signo == SIGUSR1 && si.si_code == SI_USER && si.si_pid == getpid(),
          "siginfo signo %d code %d pid %d", si.si_signo, si.si_code, si.si_pid);
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "SIGUSR1 still pending after sigtimedwait");

    /* sigwaitinfo with a signal queued with a value. */
    CHECK_RET(sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 5}), 0);
    memset(&si, 0, sizeof(si));
    CHECK_RET(sigwaitinfo(&s, &si), SIGUSR1);
    CHECK(si.si_code == SI_QUEUE && si.si_value.sival_int == 5, "sigwaitinfo: code %d value %d",
          si.si_code, si.si_value.sival_int);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Queueing: values recorded in handler order. */
static volatile int order[16];
static volatile int norder;

static void record(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (norder < 16)
        order[norder++] = sig * 1000 + (si->si_code == SI_QUEUE ? si->si_value.sival_int : 0);
}

static void test_queueing(void)
{
    struct sigaction sa = {.sa_sigaction = record, .sa_flags = SA_SIGINFO};
    /* One handler at a time, so the delivery order is the order seen. */
    sigfillset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGRTMIN + 1, &sa, NULL);
    sigaction(SIGRTMIN + 2, &sa, NULL);
    sigaction(SIGRTMIN + 3, &sa, NULL);
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGRTMIN + 1);
    sigaddset(&s, SIGRTMIN + 2);
    sigaddset(&s, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &s, &old);

    /* Standard: three sent, one delivered. */
    norder = 0;
    for (int i = 0; i < 3; i++)
        kill(getpid(), SIGUSR1);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    CHECK(norder == 1, "3 blocked SIGUSR1 gave %d handler runs, want 1", norder);
    sigprocmask(SIG_BLOCK, &one, NULL);

    /* Real-time: all queued, in order. */
    norder = 0;
    int r1 = SIGRTMIN + 1;
    for (int i = 1; i <= 3; i++)
        CHECK_RET(sigqueue(getpid(), r1, (union sigval){.sival_int = i}), 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(norder == 3, "3 queued SIGRTMIN+1 gave %d handler runs", norder);
    for (int i = 0; i < norder && i < 3; i++)
        CHECK(order[i] == r1 * 1000 + i + 1, "run %d: signal/value %d, want %d", i, order[i],
              r1 * 1000 + i + 1);

    /* Different RT signals: the lowest number first, whatever the order
     * they were sent in. */
    sigprocmask(SIG_BLOCK, &s, NULL);
    norder = 0;
    sigqueue(getpid(), SIGRTMIN + 3, (union sigval){.sival_int = 7});
    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 8});
    sigqueue(getpid(), SIGRTMIN + 3, (union sigval){.sival_int = 9});
    sigprocmask(SIG_SETMASK, &old, NULL);
    int want[3] = {(SIGRTMIN + 2) * 1000 + 8, (SIGRTMIN + 3) * 1000 + 7,
                   (SIGRTMIN + 3) * 1000 + 9};
    CHECK(norder == 3, "%d runs for 3 RT signals", norder);
    for (int i = 0; i < norder && i < 3; i++)
        CHECK(order[i] == want[i], "run %d: %d, want %d", i, order[i], want[i]);

    signal(SIGUSR1, SIG_DFL);
    signal(SIGRTMIN + 1, SIG_DFL);
    signal(SIGRTMIN + 2, SIG_DFL);
    signal(SIGRTMIN + 3, SIG_DFL);
}

int main(void)
{
    test_read_restart();
    test_nanosleep();
    test_sigsuspend_pause();
    test_sigtimedwait();
    test_queueing();
    signal(SIGALRM, SIG_DFL);
    return check_done("sig_restart");
}

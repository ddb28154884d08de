/* Default signal actions and what a parent sees of them.
 *
 *  - children killed by SIGTERM, SIGUSR1, SIGKILL (WIFSIGNALED, WTERMSIG);
 *  - SIGCHLD, SIGURG and SIGWINCH are ignored by default; an SIG_IGN'ed
 *    SIGTERM is survived; SIGKILL and SIGSTOP cannot be caught or ignored
 *    (sigaction EINVAL);
 *  - SIGSTOP / SIGCONT of a child: waitpid(WUNTRACED) sees WIFSTOPPED,
 *    waitpid(WCONTINUED) WIFCONTINUED, waitid(WSTOPPED / WCONTINUED)
 *    CLD_STOPPED / CLD_CONTINUED; SIGKILL ends a stopped child;
 *  - an SA_SIGINFO SIGCHLD handler gets CLD_EXITED (si_status the exit
 *    status), CLD_KILLED (the signal), CLD_STOPPED; none for a stop with
 *    SA_NOCLDSTOP;
 *  - SIGCHLD set to SIG_IGN (or SA_NOCLDWAIT) reaps children automatically:
 *    wait gives ECHILD. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* A child that waits (in pause) until killed; exits 0 if woken by a
 * handled signal. */
static pid_t idle_child(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[0]);
        close(p[1]); /* the parent's read sees EOF: we are running */
        for (;;)
            pause();
    }
    close(p[1]);
    char c;
    read(p[0], &c, 1);
    close(p[0]);
    return pid;
}

static int wait_status(pid_t pid, int options)
{
    int st = 0;
    pid_t r = waitpid(pid, &st, options);
    return r == pid ? st : -1;
}

static void test_killed(void)
{
    int sigs[] = {SIGTERM, SIGUSR1, SIGKILL, SIGHUP, SIGALRM};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        pid_t pid = idle_child();
        CHECK_RET(kill(pid, sigs[i]), 0);
        int st = wait_status(pid, 0);
        CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sigs[i],
              "child sent signal %d: status %#x", sigs[i], st);
    }
}

static void test_ignored(void)
{
    /* Ignored by default: raising them changes nothing. */
    raise(SIGCHLD);
    raise(SIGURG);
    raise(SIGWINCH);
    CHECK(1, "still alive");

    /* SIG_IGN'ed SIGTERM in a child: it survives and exits normally. */
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        signal(SIGTERM, SIG_IGN);
        kill(getpid(), SIGTERM);
        raise(SIGTERM);
        _exit(3);
    }
    int st = wait_status(pid, 0);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 3, "SIG_IGN SIGTERM: status %#x", st);

    /* SIGKILL and SIGSTOP cannot be caught or ignored. */
    struct sigaction sa = {.sa_handler = SIG_IGN}, old;
    CHECK_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
    CHECK_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
    CHECK_RET(sigaction(SIGKILL, NULL, &old), 0);
    CHECK(old.sa_handler == SIG_DFL, "SIGKILL's disposition");
    CHECK_ERRNO(signal(SIGKILL, SIG_IGN) == SIG_ERR ? -1 : 0, EINVAL);
    /* Nor blocked: sigprocmask drops them silently. */
    sigset_t s, cur;
    sigemptyset(&s);
    sigaddset(&s, SIGKILL);
    sigaddset(&s, SIGSTOP);
    sigprocmask(SIG_BLOCK, &s, NULL);
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGKILL) && !sigismember(&cur, SIGSTOP), "SIGKILL/SIGSTOP blocked");
}

static void test_stop_continue(void)
{
    pid_t pid = idle_child();

    CHECK_RET(kill(pid, SIGSTOP), 0);
    int st = wait_status(pid, WUNTRACED);
    CHECK(st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "after SIGSTOP: status %#x", st);
    /* Reported once. */
    CHECK(waitpid(pid, &st, WUNTRACED | WNOHANG) == 0, "the stop was reported twice");

    CHECK_RET(kill(pid, SIGCONT), 0);
    st = wait_status(pid, WCONTINUED);
    CHECK(st != -1 && WIFCONTINUED(st), "after SIGCONT: status %#x", st);

    /* waitid: the same events as siginfo. */
    siginfo_t si;
    CHECK_RET(kill(pid, SIGSTOP), 0);
    memset(&si, 0, sizeof(si));
    CHECK_RET(waitid(P_PID, pid, &si, WSTOPPED), 0);
    CHECK(si.si_pid == pid && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP &&
              si.si_signo == SIGCHLD,
          "waitid WSTOPPED: pid %d code %d status %d", si.si_pid, si.si_code, si.si_status);
    CHECK_RET(kill(pid, SIGCONT), 0);
    memset(&si, 0, sizeof(si));
    CHECK_RET(waitid(P_PID, pid, &si, WCONTINUED), 0);
    CHECK(si.si_pid == pid && si.si_code == CLD_CONTINUED && si.si_status == SIGCONT,
          "waitid WCONTINUED: pid %d code %d status %d", si.si_pid, si.si_code, si.si_status);

    /* Stopped again, then killed: SIGKILL needs no SIGCONT. */
    CHECK_RET(kill(pid, SIGSTOP), 0);
    st = wait_status(pid, WUNTRACED);
    CHECK(st != -1 && WIFSTOPPED(st), "stopped again: status %#x", st);
    /* A SIGTERM to a stopped process waits for it to continue. */
    CHECK_RET(kill(pid, SIGTERM), 0);
    usleep(20000);
    CHECK(waitpid(pid, &st, WNOHANG) == 0, "a stopped child acted on SIGTERM: status %#x", st);
    CHECK_RET(kill(pid, SIGCONT), 0);
    st = wait_status(pid, 0);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
          "stopped + SIGTERM + SIGCONT: status %#x", st);

    pid = idle_child();
    kill(pid, SIGSTOP);
    wait_status(pid, WUNTRACED);
    CHECK_RET(kill(pid, SIGKILL), 0);
    st = wait_status(pid, 0);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "stopped + SIGKILL: %#x", st);
}

/* SIGCHLD handler: the events, as siginfo. */
#define MAX_EVENTS 8
static volatile int nevents;
static volatile int ev_code[MAX_EVENTS], ev_status[MAX_EVENTS], ev_pid[MAX_EVENTS];

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (nevents < MAX_EVENTS) {
        ev_code[nevents] = si->si_code;
        ev_status[nevents] = si->si_status;
        ev_pid[nevents] = si->si_pid;
        nevents++;
    }
}

/* Waits up to 5 s, in short sleeps, until the handler saw N events. */
static void await_events(int n)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (nevents < n) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 5)
            break;
    }
}

static void test_sigchld_handler(void)
{
    struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    /* Exit. */
    nevents = 0;
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0)
        _exit(9);
    await_events(1);
    CHECK(nevents == 1 && ev_code[0] == CLD_EXITED && ev_status[0] == 9 && ev_pid[0] == pid,
          "exit: %d events, code %d status %d pid %d", nevents, ev_code[0], ev_status[0],
          ev_pid[0]);
    wait_status(pid, 0);

    /* Killed. */
    nevents = 0;
    pid = idle_child();
    kill(pid, SIGKILL);
    await_events(1);
    CHECK(nevents == 1 && ev_code[0] == CLD_KILLED && ev_status[0] == SIGKILL,
          "kill: %d events, code %d status %d", nevents, ev_code[0], ev_status[0]);
    wait_status(pid, 0);

    /* Stopped and continued: CLD_STOPPED, CLD_CONTINUED. */
    nevents = 0;
    pid = idle_child();
    kill(pid, SIGSTOP);
    await_events(1);
    CHECK(nevents == 1 && ev_code[0] == CLD_STOPPED && ev_status[0] == SIGSTOP,
          "stop: %d events, code %d status %d", nevents, ev_code[0], ev_status[0]);
    wait_status(pid, WUNTRACED);
    kill(pid, SIGCONT);
    await_events(2);
    CHECK(nevents == 2 && ev_code[1] == CLD_CONTINUED && ev_status[1] == SIGCONT,
          "continue: %d events, code %d status %d", nevents, ev_code[1], ev_status[1]);

    /* SA_NOCLDSTOP: no SIGCHLD for stops; still one for the death. */
    sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    nevents = 0;
    kill(pid, SIGSTOP);
    int st = wait_status(pid, WUNTRACED);
    CHECK(st != -1 && WIFSTOPPED(st), "SA_NOCLDSTOP: stop status %#x", st);
    usleep(20000);
    CHECK(nevents == 0, "SA_NOCLDSTOP: %d SIGCHLD for a stop", nevents);
    kill(pid, SIGKILL);
    await_events(1);
    CHECK(nevents == 1 && ev_code[0] == CLD_KILLED, "SA_NOCLDSTOP: %d events, code %d", nevents,
          ev_code[0]);
    wait_status(pid, 0);
    signal(SIGCHLD, SIG_DFL);
}

static void test_autoreap(void)
{
    for (int mode = 0; mode < 2; mode++) {
        if (mode == 0) {
            signal(SIGCHLD, SIG_IGN);
        } else {
            struct sigaction sa = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};
            sigemptyset(&sa.sa_mask);
            sigaction(SIGCHLD, &sa, NULL);
        }
        pid_t pids[3];
        for (int i = 0; i < 3; i++) {
            pids[i] = fork();
            REQUIRE(pids[i] >= 0, "fork");
            if (pids[i] == 0)
                _exit(i);
        }
        /* wait blocks until all have exited, then finds none to reap. */
        int st = 0;
        errno = 0;
        pid_t r = wait(&st);
        CHECK(r == -1 && errno == ECHILD, "%s: wait gave %d (errno %d), want ECHILD",
              mode ? "SA_NOCLDWAIT" : "SIG_IGN", r, errno);
        for (int i = 0; i < 3; i++)
            CHECK(kill(pids[i], 0) == -1 && errno == ESRCH, "child %d not reaped", pids[i]);
        signal(SIGCHLD, SIG_DFL);
    }
}

int main(void)
{
    test_killed();
    test_ignored();
    test_stop_continue();
    test_sigchld_handler();
    test_autoreap();
    return check_done("sig_default");
}

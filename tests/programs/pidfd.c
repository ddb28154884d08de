/* Process file descriptors.
 *
 *  - pidfd_open of a running child: poll says not readable (timeout 0),
 *    then POLLIN once the child has exited (not yet reaped);
 *    waitid(P_PIDFD) reaps it with its status;
 *  - pidfd_send_signal kills a child (SIGTERM) and queues a signal with
 *    siginfo NULL to ourselves (SI_USER);
 *  - errors: a missing pid (ESRCH), unknown flags (EINVAL), a pidfd whose
 *    process was reaped (pidfd_send_signal ESRCH), a non-pidfd (EBADF);
 *  - the fd is close-on-exec and shows Pid: in /proc/self/fdinfo;
 *  - CLONE_PIDFD through clone(2): the parent gets a pidfd to wait on. */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static pid_t child_until_eof(int *out_fd)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(p[1]);
        char c;
        _exit(read(p[0], &c, 1) == 0 ? 12 : 13);
    }
    close(p[0]);
    *out_fd = p[1];
    return pid;
}

static void test_poll_wait(void)
{
    int go;
    pid_t pid = child_until_eof(&go);
    int fd = pidfd_open(pid, 0);
    REQUIRE(fd >= 0, "pidfd_open: %s", strerror(errno));
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "pidfd not close-on-exec");

    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK_RET(poll(&pfd, 1, 0), 0);
    CHECK_RET(poll(&pfd, 1, 20), 0);
    close(go); /* the child exits */
    pfd.revents = 0;
    CHECK_RET(poll(&pfd, 1, 5000), 1);
    CHECK(pfd.revents & POLLIN, "revents %#x", pfd.revents);

    /* Exited but not reaped: still there for waitid. */
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK_RET(waitid(P_PIDFD, fd, &si, WEXITED), 0);
    CHECK(si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 12,
          "waitid P_PIDFD: pid %d code %d status %d", si.si_pid, si.si_code, si.si_status);
    CHECK(waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD, "not reaped by waitid");
    /* Reaped: signals find no one. */
    CHECK_ERRNO(pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH);
    close(fd);
}

static void test_send_signal(void)
{
    int go;
    pid_t pid = child_until_eof(&go);
    int fd = pidfd_open(pid, 0);
    REQUIRE(fd >= 0, "pidfd_open: %s", strerror(errno));
    CHECK_RET(pidfd_send_signal(fd, 0, NULL, 0), 0);
    CHECK_RET(pidfd_send_signal(fd, SIGTERM, NULL, 0), 0);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK_RET(waitid(P_PIDFD, fd, &si, WEXITED), 0);
    CHECK(si.si_code == CLD_KILLED && si.si_status == SIGTERM, "killed: code %d status %d",
          si.si_code, si.si_status);
    close(fd);
    close(go);

    /* To ourselves, while blocked: SI_USER with our pid. */
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, &old);
    fd = pidfd_open(getpid(), 0);
    REQUIRE(fd >= 0, "pidfd_open self: %s", strerror(errno));
    CHECK_RET(pidfd_send_signal(fd, SIGUSR1, NULL, 0), 0);
    struct timespec ts = {1, 0};
    memset(&si, 0, sizeof(si));
    CHECK_RET(sigtimedwait(&s, &si, &ts), SIGUSR1);
    CHECK(si.si_code == SI_USER && si.si_pid == getpid(), "self: code %d pid %d", si.si_code,
          si.si_pid);
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* Polling our own (live) pidfd: not readable. */
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK_RET(poll(&pfd, 1, 0), 0);

    /* fdinfo shows the pid. */
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    int info = open(path, O_RDONLY);
    CHECK(info >= 0, "open %s: %s", path, strerror(errno));
    if (info >= 0) {
        ssize_t n = read(info, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = 0;
        char want[32];
        snprintf(want, sizeof(want), "Pid:\t%d\n", getpid());
        CHECK(strstr(buf, want) != NULL, "fdinfo lacks '%s': %s", want, buf);
        close(info);
    }
    close(fd);
}

static void test_errors(void)
{
    CHECK_ERRNO(pidfd_open(0x3ffffff0, 0), ESRCH);
    CHECK_ERRNO(pidfd_open(getpid(), 0x1), EINVAL);
    CHECK_ERRNO(pidfd_open(-1, 0), EINVAL);
    CHECK_ERRNO(pidfd_send_signal(0, SIGTERM, NULL, 0), EBADF);
    int fd = pidfd_open(getpid(), 0);
    REQUIRE(fd >= 0, "pidfd_open");
    CHECK_ERRNO(pidfd_send_signal(fd, SIGTERM, NULL, 0x80), EINVAL); /* no such flag */
    CHECK_ERRNO(pidfd_send_signal(fd, 1000, NULL, 0), EINVAL);
    /* waitid on a pidfd that is not our child. */
    siginfo_t si;
    CHECK_ERRNO(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG), ECHILD);
    CHECK_ERRNO(waitid(P_PIDFD, 0, &si, WEXITED | WNOHANG), EBADF);
    close(fd);
}

static void test_clone_pidfd(void)
{
    int pidfd = -1;
    long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
    REQUIRE(pid >= 0, "clone CLONE_PIDFD: %s", strerror(errno));
    if (pid == 0)
        _exit(21);
    CHECK(pidfd >= 0, "no pidfd from CLONE_PIDFD");
    if (pidfd >= 0) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        CHECK_RET(waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
        CHECK(si.si_pid == pid && si.si_status == 21, "CLONE_PIDFD child: pid %d status %d",
              si.si_pid, si.si_status);
        close(pidfd);
    } else {
        waitpid(pid, NULL, 0);
    }
}

int main(void)
{
    test_poll_wait();
    test_send_signal();
    test_errors();
    test_clone_pidfd();
    return check_done("pidfd");
}

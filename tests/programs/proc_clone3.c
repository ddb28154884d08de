/* clone3: argument checks (size, unknown tail, flags, stack pair), a new
 * process with CLONE_PIDFD writing the pidfd where args.pidfd points, a
 * thread-less CLONE_VM|CLONE_VFORK child with its own stack, and
 * CLONE_CLEAR_SIGHAND resetting handlers but not ignored signals. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static long clone3(struct clone_args *ca, size_t size)
{
    return syscall(SYS_clone3, ca, size);
}

static void on_usr1(int sig)
{
    (void)sig;
}

static int wait_exit(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

int main(void)
{
    struct clone_args ca;
    memset(&ca, 0, sizeof(ca));
    ca.exit_signal = SIGCHLD;
    CHECK_ERRNO(clone3(&ca, 8), EINVAL);
    CHECK_ERRNO(clone3(&ca, 8192), E2BIG);
    CHECK_ERRNO(clone3(NULL, sizeof(ca)), EFAULT);
    char big[256];
    memset(big, 0, sizeof(big));
    memcpy(big, &ca, sizeof(ca));
    big[200] = 1;
    CHECK_ERRNO(clone3((struct clone_args *)big, sizeof(big)), E2BIG);
    ca.flags = SIGCHLD; /* the exit signal belongs in exit_signal */
    CHECK_ERRNO(clone3(&ca, sizeof(ca)), EINVAL);
    ca.flags = 0;
    ca.stack_size = 4096; /* a size without a stack */
    CHECK_ERRNO(clone3(&ca, sizeof(ca)), EINVAL);
    ca.stack_size = 0;

    /* CLONE_PIDFD: the fd lands in *args.pidfd. */
    int pidfd = -1;
    ca.flags = CLONE_PIDFD;
    ca.pidfd = (uintptr_t)&pidfd;
    long pid = clone3(&ca, sizeof(ca));
    REQUIRE(pid >= 0, "clone3: %s", strerror(errno));
    if (pid == 0)
        _exit(5);
    CHECK(wait_exit((pid_t)pid) == 5, "the CLONE_PIDFD child's status");
    CHECK(pidfd >= 0 && fcntl(pidfd, F_GETFD) == FD_CLOEXEC, "pidfd %d, close-on-exec", pidfd);
    close(pidfd);

    /* CLONE_CLEAR_SIGHAND: a handler goes back to the default, SIG_IGN
     * stays. */
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    memset(&ca, 0, sizeof(ca));
    ca.exit_signal = SIGCHLD;
    ca.flags = CLONE_CLEAR_SIGHAND;
    pid = clone3(&ca, sizeof(ca));
    REQUIRE(pid >= 0, "clone3 CLEAR_SIGHAND: %s", strerror(errno));
    if (pid == 0) {
        struct sigaction sa1, sa2;
        sigaction(SIGUSR1, NULL, &sa1);
        sigaction(SIGUSR2, NULL, &sa2);
        _exit((sa1.sa_handler == SIG_DFL ? 1 : 0) | (sa2.sa_handler == SIG_IGN ? 2 : 0));
    }
    CHECK(wait_exit((pid_t)pid) == 3, "CLONE_CLEAR_SIGHAND: handlers in the child");
    ca.flags = CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM;
    CHECK_ERRNO(clone3(&ca, sizeof(ca)), EINVAL);
    return check_done("proc_clone3");
}

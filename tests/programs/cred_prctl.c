/* prctl options beside the capability ones: PR_SET/GET_CHILD_SUBREAPER
 * (and an orphan going to the subreaper), PR_SET/GET_TIMERSLACK,
 * PR_GET_TID_ADDRESS, and unknown options. */
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void test_subreaper(void)
{
    int v = -1;
    CHECK_RET(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0), 0);
    CHECK(v == 0, "subreaper %d", v);
    CHECK_ERRNO(prctl(PR_GET_CHILD_SUBREAPER, (void *)8, 0, 0, 0), EFAULT);

    /* A child becomes a subreaper; its grandchild's child, orphaned, is
     * reparented to it and reaped by it. */
    int pipefd[2];
    REQUIRE(pipe(pipefd) == 0, "pipe");
    pid_t sub = fork();
    REQUIRE(sub >= 0, "fork");
    if (sub == 0) {
        int ok = prctl(PR_SET_CHILD_SUBREAPER, 5, 0, 0, 0) == 0; /* any non-zero */
        int got = -1;
        ok &= prctl(PR_GET_CHILD_SUBREAPER, &got, 0, 0, 0) == 0 && got == 1;
        pid_t mid = fork();
        if (mid == 0) {
            pid_t leaf = fork();
            if (leaf == 0) {
                /* Wait until orphaned, then report the new parent. */
                for (int i = 0; i < 2000 && getppid() != sub; i++) {
                    struct timespec ts = {0, 2000000};
                    nanosleep(&ts, NULL);
                }
                pid_t pp = getppid();
                _exit(write(pipefd[1], &pp, sizeof(pp)) == sizeof(pp) ? 0 : 1);
            }
            _exit(leaf > 0 ? 0 : 1);
        }
        int st = -1;
        ok &= waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        /* The orphan is now this process's child. */
        st = -1;
        pid_t reaped = wait(&st);
        ok &= reaped > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        _exit(ok ? 0 : 1);
    }
    pid_t reported = 0;
    CHECK(read(pipefd[0], &reported, sizeof(reported)) == sizeof(reported), "read");
    CHECK(reported == sub, "orphan's parent %d, subreaper %d", reported, sub);
    int st = -1;
    REQUIRE(waitpid(sub, &st, 0) == sub, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "subreaper child status %#x", st);
    close(pipefd[0]);
    close(pipefd[1]);
    /* The flag is per process and not inherited. */
    CHECK_RET(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0), 0);
    CHECK(v == 0, "subreaper %d in the parent", v);
}

static void test_timerslack(void)
{
    long def = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
    CHECK(def > 0, "default slack %ld", def);
    CHECK_RET(prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0), 0);
    CHECK_RET(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 1000);
    /* 0 goes back to the default. */
    CHECK_RET(prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0), 0);
    CHECK_RET(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), def);
}

static void test_tid_address(void)
{
    uint64_t addr = 0;
    CHECK_RET(prctl(PR_GET_TID_ADDRESS, &addr, 0, 0, 0), 0);
    CHECK(addr != 0, "glibc set no tid address");
    static int word;
    CHECK_RET(syscall(SYS_set_tid_address, &word), getpid());
    uint64_t got = 0;
    CHECK_RET(prctl(PR_GET_TID_ADDRESS, &got, 0, 0, 0), 0);
    CHECK(got == (uint64_t)(uintptr_t)&word, "tid address %#llx", (unsigned long long)got);
    syscall(SYS_set_tid_address, (void *)(uintptr_t)addr);
    CHECK_ERRNO(prctl(PR_GET_TID_ADDRESS, (void *)8, 0, 0, 0), EFAULT);
}

int main(void)
{
    test_subreaper();
    test_timerslack();
    test_tid_address();
    CHECK_ERRNO(prctl(0x7fff, 0, 0, 0, 0), EINVAL);
    CHECK_ERRNO(prctl(-1, 0, 0, 0, 0), EINVAL);
    return check_done("cred_prctl");
}

/* Resource limits that the kernel enforces.
 *
 *  - RLIMIT_NOFILE lowered to 16: open, dup, pipe (needing two) and
 *    F_DUPFD give EMFILE at the limit, dup2 to an fd beyond it EBADF,
 *    F_DUPFD from beyond it EINVAL; a soft limit above the hard one is
 *    EINVAL; fds open above a lowered limit stay open; an unprivileged
 *    process cannot raise its hard limit (EPERM);
 *  - RLIMIT_NPROC: root is exempt (CAP_SYS_RESOURCE / CAP_SYS_ADMIN), so a
 *    forked child first drops to an unused uid, then forks until EAGAIN:
 *    with a limit of 4 it has itself and 3 children;
 *  - RLIMIT_FSIZE: a write past it fails with EFBIG when SIGXFSZ is
 *    ignored (and is shortened at the limit), kills with SIGXFSZ when not;
 *  - RLIMIT_AS: an mmap that would pass it fails with ENOMEM;
 *  - prlimit on a child reads and sets its limits. */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define UNUSED_UID 54321

static int wait_status(pid_t pid)
{
    int st = 0;
    return waitpid(pid, &st, 0) == pid ? st : -1;
}

/* Runs FN in a child; returns its wait status. */
static int in_child(int (*fn)(void))
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(fn());
    return wait_status(pid);
}

#define FAIL_IF(cond, bit)                                                                     \
    do {                                                                                       \
        if (cond) {                                                                            \
            fprintf(stderr, "rlimits: %s:%d: %s (errno %d)\n", __func__, __LINE__, #cond,      \
                    errno);                                                                    \
            bad |= (bit);                                                                      \
        }                                                                                      \
    } while (0)

static int nofile_child(void)
{
    int bad = 0;
    /* Close everything above stdio so the numbers are known. */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    struct rlimit rl = {16, 16};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 100;
    int last = -1;
    for (int i = 3; i < 16; i++) {
        int fd = open("/dev/null", O_RDONLY);
        FAIL_IF(fd != i, 1);
        last = fd;
    }
    errno = 0;
    FAIL_IF(open("/dev/null", O_RDONLY) != -1 || errno != EMFILE, 2);
    errno = 0;
    FAIL_IF(dup(0) != -1 || errno != EMFILE, 4);
    errno = 0;
    FAIL_IF(fcntl(0, F_DUPFD, 0) != -1 || errno != EMFILE, 8);
    errno = 0;
    FAIL_IF(dup2(0, 16) != -1 || errno != EBADF, 16);
    errno = 0;
    FAIL_IF(fcntl(0, F_DUPFD, 16) != -1 || errno != EINVAL, 32);
    FAIL_IF(dup2(0, 15) != 15, 64); /* replaces an open fd within the limit */
    /* One free slot: pipe needs two. */
    close(last);
    int p[2];
    errno = 0;
    FAIL_IF(pipe(p) != -1 || errno != EMFILE, 128);
    FAIL_IF(dup(0) != last, 256); /* the slot is still free */
    close(last);
    close(last - 1);
    FAIL_IF(pipe(p) != 0, 512);

    /* Soft up to hard only. */
    rl.rlim_cur = 17;
    errno = 0;
    FAIL_IF(setrlimit(RLIMIT_NOFILE, &rl) != -1 || errno != EINVAL, 1024);
    rl.rlim_cur = 8;
    FAIL_IF(setrlimit(RLIMIT_NOFILE, &rl) != 0, 2048);
    /* Open fds above a lowered limit stay open; new ones are refused. */
    FAIL_IF(fcntl(15, F_GETFD) != 0, 4096);
    errno = 0;
    FAIL_IF(dup(0) != -1 || errno != EMFILE, 8192);
    return bad;
}

static void test_nofile(void)
{
    int st = in_child(nofile_child);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_NOFILE child: %#x", st);
}

/* Drops to UNUSED_UID (as root) with no groups. */
static int drop_privileges(void)
{
    if (getuid() != 0)
        return 0;
    if (setgroups(0, NULL) != 0 || setresgid(UNUSED_UID, UNUSED_UID, UNUSED_UID) != 0 ||
        setresuid(UNUSED_UID, UNUSED_UID, UNUSED_UID) != 0)
        return -1;
    return 0;
}

static int nproc_child(void)
{
    if (drop_privileges() != 0)
        return 100;
    int bad = 0;
    /* Raising a hard limit without privileges: EPERM. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_max += 1;
    rl.rlim_cur = rl.rlim_max;
    errno = 0;
    FAIL_IF(setrlimit(RLIMIT_NOFILE, &rl) != -1 || errno != EPERM, 1);

    rl.rlim_cur = rl.rlim_max = 4;
    FAIL_IF(setrlimit(RLIMIT_NPROC, &rl) != 0, 2);
    int p[2];
    if (pipe(p) != 0)
        return 101;
    pid_t kids[8];
    int n = 0;
    int fork_errno = 0;
    for (; n < 8; n++) {
        pid_t pid = fork();
        if (pid < 0) {
            fork_errno = errno;
            break;
        }
        if (pid == 0) {
            close(p[1]);
            char c;
            read(p[0], &c, 1); /* until the parent closes the pipe */
            _exit(0);
        }
        kids[n] = pid;
    }
    FAIL_IF(n != 3, 4);
    FAIL_IF(fork_errno != EAGAIN, 8);
    close(p[1]);
    for (int i = 0; i < n; i++)
        wait_status(kids[i]);
    /* All reaped: forking works again. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    FAIL_IF(pid < 0, 16);
    if (pid > 0)
        wait_status(pid);
    if (bad)
        fprintf(stderr, "rlimits: RLIMIT_NPROC 4: %d forks, then errno %d\n", n, fork_errno);
    return bad;
}

static void test_nproc(void)
{
    int st = in_child(nproc_child);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_NPROC child: %#x", st);
}

static int fsize_child(void)
{
    int bad = 0;
    char path[] = "/tmp/moat-rlimit-fsize-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 100;
    unlink(path);
    struct rlimit rl = {1000, 1000};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        return 101;
    signal(SIGXFSZ, SIG_IGN);
    char buf[600];
    memset(buf, 'x', sizeof(buf));
    FAIL_IF(write(fd, buf, 600) != 600, 1);
    FAIL_IF(write(fd, buf, 600) != 400, 2); /* shortened at the limit */
    errno = 0;
    FAIL_IF(write(fd, buf, 1) != -1 || errno != EFBIG, 4);
    errno = 0;
    FAIL_IF(ftruncate(fd, 2000) != -1 || errno != EFBIG, 8);
    FAIL_IF(pwrite(fd, buf, 10, 500) != 10, 16); /* below the limit: fine */
    /* Not ignored: SIGXFSZ kills. */
    signal(SIGXFSZ, SIG_DFL);
    write(fd, buf, 1);
    return bad | 64;
}

static void test_fsize(void)
{
    int st = in_child(fsize_child);
    CHECK(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ,
          "RLIMIT_FSIZE child: status %#x, want SIGXFSZ after the checks", st);
    if (st != -1 && WIFEXITED(st))
        CHECK(0, "RLIMIT_FSIZE checks: %#x", WEXITSTATUS(st) & ~64);
}

static int as_child(void)
{
    int bad = 0;
    struct rlimit rl = {256 << 20, 256 << 20};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return 100;
    errno = 0;
    void *p = mmap(NULL, 512 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FAIL_IF(p != MAP_FAILED || errno != ENOMEM, 1);
    p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FAIL_IF(p == MAP_FAILED, 2);
    errno = 0;
    FAIL_IF(malloc(300 << 20) != NULL, 4);
    return bad;
}

static void test_as(void)
{
    int st = in_child(as_child);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "RLIMIT_AS child: %#x", st);
}

static void test_prlimit(void)
{
    int p[2];
    REQUIRE(pipe(p) == 0, "pipe");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        close(p[1]);
        char c;
        read(p[0], &c, 1);
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        _exit(rl.rlim_cur == 50 && rl.rlim_max == 60 ? 0 : 1);
    }
    close(p[0]);
    struct rlimit mine, theirs, set = {50, 60}, old;
    getrlimit(RLIMIT_NOFILE, &mine);
    CHECK_RET(prlimit(pid, RLIMIT_NOFILE, NULL, &theirs), 0);
    CHECK(theirs.rlim_cur == mine.rlim_cur && theirs.rlim_max == mine.rlim_max,
          "the child's inherited limits %lu/%lu", (unsigned long)theirs.rlim_cur,
          (unsigned long)theirs.rlim_max);
    CHECK_RET(prlimit(pid, RLIMIT_NOFILE, &set, &old), 0);
    CHECK(old.rlim_cur == mine.rlim_cur, "old limit %lu", (unsigned long)old.rlim_cur);
    close(p[1]);
    int st = wait_status(pid);
    CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "prlimit'ed child: %#x", st);
    CHECK_ERRNO(prlimit(0x3ffffff0, RLIMIT_NOFILE, NULL, &theirs), ESRCH);
    CHECK_ERRNO(prlimit(0, 999, NULL, &theirs), EINVAL);
}

int main(void)
{
    test_nofile();
    test_nproc();
    test_fsize();
    test_as();
    test_prlimit();
    return check_done("rlimits");
}

/* Which futexes meet across processes: a shared futex in MAP_SHARED
 * anonymous memory inherited through fork, and in a shared file mapping
 * mapped separately (at another address) in each process, is one futex; a
 * private futex, or a shared one in private memory, is per process. Also a
 * timed wait and the EAGAIN of a changed value. */
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static long waiters(uint32_t *f)
{
    return syscall(SYS_futex, f, FUTEX_REQUEUE, 0, INT_MAX, f, 0);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void reap(pid_t pid, int want_code, const char *what)
{
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid, "%s: waitpid: %s", what, strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == want_code, "%s: status %#x, want exit %d", what, st,
          want_code);
}

/* exit code of a child's wait: 0 woken, else 100 + errno */
static int wait_code(long r)
{
    return r == 0 ? 0 : 100 + errno;
}

static void test_shared_anon(void)
{
    uint32_t *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(f != MAP_FAILED, "mmap");
    *f = 0;
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0)
        _exit(wait_code(futex(f, FUTEX_WAIT, 0, NULL)));
    for (int i = 0; i < 2000 && waiters(f) != 1; i++)
        sleep_ms(2);
    CHECK_RET(waiters(f), 1);
    /* A private wake is keyed by this process: it misses the child. */
    CHECK_RET(futex(f, FUTEX_WAKE_PRIVATE, 1, NULL), 0);
    CHECK_RET(futex(f, FUTEX_WAKE, 1, NULL), 1);
    reap(pid, 0, "shared anonymous");
    munmap(f, 4096);
}

static void test_shared_file(void)
{
    char path[] = "/tmp/futex_shared.XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp: %s", strerror(errno));
    REQUIRE(ftruncate(fd, 2 * 4096) == 0, "ftruncate");
    /* The parent maps both pages; the child maps only the second page,
     * at an address of its own. */
    char *both = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(both != MAP_FAILED, "mmap");
    uint32_t *pf = (uint32_t *)(both + 4096 + 64);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        munmap(both, 2 * 4096);
        char *second = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
        if (second == MAP_FAILED)
            _exit(99);
        _exit(wait_code(futex((uint32_t *)(second + 64), FUTEX_WAIT, 0, NULL)));
    }
    for (int i = 0; i < 2000 && waiters(pf) != 1; i++)
        sleep_ms(2);
    CHECK_RET(waiters(pf), 1);
    CHECK_RET(futex(pf + 1, FUTEX_WAKE, 1, NULL), 0); /* the next word: another futex */
    CHECK_RET(futex(pf, FUTEX_WAKE, 1, NULL), 1);
    reap(pid, 0, "shared file");
    munmap(both, 2 * 4096);
    close(fd);
    unlink(path);
}

/* Waits that no wake from the parent can reach time out. */
static void test_not_shared(void)
{
    uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(shared != MAP_FAILED, "mmap");
    uint32_t *priv = malloc(64);
    REQUIRE(priv, "malloc");
    *shared = 0;
    *priv = 0;
    struct timespec ts = {0, 300 * 1000000L};
    pid_t p1 = fork();
    REQUIRE(p1 >= 0, "fork");
    if (p1 == 0) /* private futex in shared memory */
        _exit(wait_code(futex(shared, FUTEX_WAIT_PRIVATE, 0, &ts)));
    pid_t p2 = fork();
    REQUIRE(p2 >= 0, "fork");
    if (p2 == 0) /* shared futex in private (copy-on-write) memory */
        _exit(wait_code(futex(priv, FUTEX_WAIT, 0, &ts)));
    sleep_ms(50);
    /* Whether or not the children wait yet, nothing here reaches them. */
    CHECK_RET(futex(shared, FUTEX_WAKE_PRIVATE, 10, NULL), 0);
    CHECK_RET(futex(shared, FUTEX_WAKE, 10, NULL), 0);
    CHECK_RET(futex(priv, FUTEX_WAKE, 10, NULL), 0);
    CHECK_RET(futex(priv, FUTEX_WAKE_PRIVATE, 10, NULL), 0);
    reap(p1, 100 + ETIMEDOUT, "private futex in shared memory");
    reap(p2, 100 + ETIMEDOUT, "shared futex in private memory");
    free(priv);
    munmap(shared, 4096);
}

static void test_value_and_timeout(void)
{
    uint32_t *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(f != MAP_FAILED, "mmap");
    *f = 5;
    CHECK_ERRNO(futex(f, FUTEX_WAIT, 4, NULL), EAGAIN);
    struct timespec ts = {0, 20 * 1000000L}, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_ERRNO(futex(f, FUTEX_WAIT, 5, &ts), ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 19, "timed out after %ld ms", ms);
    /* An absolute WAIT_BITSET deadline in the past, on either clock. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    CHECK_ERRNO(syscall(SYS_futex, f, FUTEX_WAIT_BITSET, 5, &ts, NULL, FUTEX_BITSET_MATCH_ANY),
                ETIMEDOUT);
    clock_gettime(CLOCK_REALTIME, &ts);
    CHECK_ERRNO(syscall(SYS_futex, f, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, &ts, NULL,
                        FUTEX_BITSET_MATCH_ANY),
                ETIMEDOUT);
    /* A bad timeout is found before the command is checked. */
    ts.tv_nsec = 1000000000;
    CHECK_ERRNO(futex(f, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, &ts), EINVAL);
    CHECK_ERRNO(futex(f, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, (struct timespec *)8), EFAULT);
    ts.tv_nsec = 0;
    CHECK_ERRNO(futex(f, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 5, &ts), ENOSYS);
    munmap(f, 4096);
}

int main(void)
{
    test_shared_anon();
    test_shared_file();
    test_not_shared();
    test_value_and_timeout();
    return check_done("futex_shared");
}

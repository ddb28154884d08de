/* futex FUTEX_WAKE_OP: the operation on the second word (SET, ADD, OR,
 * ANDN, XOR, OPARG_SHIFT), the comparison of its old value that decides
 * whether the second futex's waiters wake, the count returned, and the
 * errors (ENOSYS for an unknown op or comparison, EFAULT, EINVAL). Waiters
 * are forked children on shared futexes in MAP_SHARED memory. */
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long futex(uint32_t *uaddr, int op, uint32_t val, long val2, uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, (void *)val2, uaddr2, val3);
}

#define WOP(op, oparg, cmp, cmparg) ((uint32_t)FUTEX_OP(op, (oparg)&0xfff, cmp, (cmparg)&0xfff))

static long waiters(uint32_t *f)
{
    return futex(f, FUTEX_REQUEUE, 0, INT_MAX, f, 0);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static pid_t spawn_waiter(uint32_t *f, uint32_t val, long want_waiters)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        long r = futex(f, FUTEX_WAIT, val, 0, NULL, 0);
        _exit(r == 0 ? 0 : 100 + errno);
    }
    for (int i = 0; i < 2000 && waiters(f) != want_waiters; i++)
        sleep_ms(2);
    REQUIRE(waiters(f) == want_waiters, "waiter %d never queued", pid);
    return pid;
}

static void reap_woken(pid_t pid)
{
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d status %#x", pid, st);
}

static int still_waiting(pid_t pid)
{
    int st;
    return waitpid(pid, &st, WNOHANG) == 0;
}

/* The operations, with nobody waiting: the memory effect and 0 woken. */
static void test_ops(uint32_t *shm)
{
    uint32_t *a = &shm[0], *b = &shm[16];
    struct {
        int op, oparg;
        uint32_t before, after;
    } cases[] = {
        {FUTEX_OP_SET, 5, 1, 5},
        {FUTEX_OP_SET, -1, 1, 0xffffffff}, /* oparg is signed 12-bit */
        {FUTEX_OP_ADD, 5, 10, 15},
        {FUTEX_OP_ADD, -3, 10, 7},
        {FUTEX_OP_OR, 0x0f, 0xf0, 0xff},
        {FUTEX_OP_ANDN, 0x03, 0xff, 0xfc},
        {FUTEX_OP_XOR, 0xff, 0x0f, 0xf0},
        {FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, 0, 16},
        {FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 31, 1, 0x80000001},
        {FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, 0, 1, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        *b = cases[i].before;
        CHECK_RET(futex(a, FUTEX_WAKE_OP, 1, 1, b, WOP(cases[i].op, cases[i].oparg, 0, 0)), 0);
        CHECK(*b == cases[i].after, "case %zu: %#x, want %#x", i, *b, cases[i].after);
    }
    /* The private flavour works the same on the caller's own memory. */
    *b = 1;
    CHECK_RET(futex(a, FUTEX_WAKE_OP_PRIVATE, 1, 1, b, WOP(FUTEX_OP_ADD, 1, 0, 0)), 0);
    CHECK(*b == 2, "private: %u", *b);
}

static void test_wakes(uint32_t *shm)
{
    uint32_t *a = &shm[32], *b = &shm[48];
    *a = 0;
    *b = 0;
    pid_t a1 = spawn_waiter(a, 0, 1), a2 = spawn_waiter(a, 0, 2);
    pid_t b1 = spawn_waiter(b, 0, 1), b2 = spawn_waiter(b, 0, 2);
    /* Old value 0 == 0 holds: one of a (nr_wake 1) and both of b. */
    CHECK_RET(futex(a, FUTEX_WAKE_OP, 1, 5, b, WOP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)), 3);
    CHECK(*b == 1, "b %u", *b);
    reap_woken(a1);
    reap_woken(b1);
    reap_woken(b2);
    sleep_ms(20);
    CHECK(still_waiting(a2), "second waiter on a woke");

    /* The comparison fails (old 1 < 1 is false): only a's waiters. */
    pid_t b3 = spawn_waiter(b, 1, 1);
    CHECK_RET(futex(a, FUTEX_WAKE_OP, 1, 1, b, WOP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_LT, 1)), 1);
    CHECK(*b == 2, "b %u", *b);
    reap_woken(a2);
    sleep_ms(20);
    CHECK(still_waiting(b3), "b's waiter woke though the comparison failed");
    /* Signed comparisons, and nr_wake2 0 still wakes one. */
    *b = 0xfffffffe; /* -2 */
    CHECK_RET(futex(a, FUTEX_WAKE_OP, 1, 0, b, WOP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_LE, -2)), 1);
    reap_woken(b3);
}

static void test_comparisons(uint32_t *shm)
{
    uint32_t *a = &shm[64], *b = &shm[80];
    /* With no waiters the result is 0 either way; what matters is that
     * every comparison code is accepted. */
    for (int cmp = FUTEX_OP_CMP_EQ; cmp <= FUTEX_OP_CMP_GE; cmp++) {
        *b = 3;
        CHECK_RET(futex(a, FUTEX_WAKE_OP, 1, 1, b, WOP(FUTEX_OP_SET, 3, cmp, 3)), 0);
    }
}

static void test_errors(uint32_t *shm)
{
    uint32_t *a = &shm[96], *b = &shm[112];
    /* An unknown op: ENOSYS, memory untouched. */
    *b = 9;
    CHECK_ERRNO(futex(a, FUTEX_WAKE_OP, 1, 1, b, WOP(5, 1, 0, 0)), ENOSYS);
    CHECK_ERRNO(futex(a, FUTEX_WAKE_OP, 1, 1, b, WOP(7, 1, 0, 0)), ENOSYS);
    CHECK(*b == 9, "b changed to %u", *b);
    /* An unknown comparison: ENOSYS, but only after the op was done. */
    CHECK_ERRNO(futex(a, FUTEX_WAKE_OP, 1, 1, b, WOP(FUTEX_OP_ADD, 1, 6, 0)), ENOSYS);
    CHECK(*b == 10, "b %u after a bad comparison", *b);
    /* Faults and alignment. */
    uint32_t *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(ro != MAP_FAILED, "mmap");
    CHECK_ERRNO(futex(a, FUTEX_WAKE_OP, 1, 1, ro, WOP(FUTEX_OP_ADD, 1, 0, 0)), EFAULT);
    CHECK_ERRNO(futex(a, FUTEX_WAKE_OP_PRIVATE, 1, 1, ro, WOP(FUTEX_OP_ADD, 1, 0, 0)), EFAULT);
    CHECK(*ro == 0, "read-only word changed");
    CHECK_ERRNO(
        futex(a, FUTEX_WAKE_OP, 1, 1, (uint32_t *)((char *)b + 1), WOP(FUTEX_OP_ADD, 1, 0, 0)),
        EINVAL);
    CHECK_ERRNO(
        futex((uint32_t *)((char *)a + 1), FUTEX_WAKE_OP, 1, 1, b, WOP(FUTEX_OP_ADD, 1, 0, 0)),
        EINVAL);
    REQUIRE(munmap(ro, 4096) == 0, "munmap");
    CHECK_ERRNO(futex(a, FUTEX_WAKE_OP, 1, 1, ro, WOP(FUTEX_OP_ADD, 1, 0, 0)), EFAULT);
    CHECK_ERRNO(futex(a, FUTEX_WAKE_OP_PRIVATE, 1, 1, ro, WOP(FUTEX_OP_ADD, 1, 0, 0)), EFAULT);
    CHECK_ERRNO(futex(a, FUTEX_WAKE_OP | FUTEX_CLOCK_REALTIME, 1, 1, b, 0), ENOSYS);
}

int main(void)
{
    uint32_t *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(shm != MAP_FAILED, "mmap: %s", strerror(errno));
    test_ops(shm);
    test_wakes(shm);
    test_comparisons(shm);
    test_errors(shm);
    return check_done("futex_wake_op");
}

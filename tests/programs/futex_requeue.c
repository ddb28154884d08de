/* futex FUTEX_REQUEUE / FUTEX_CMP_REQUEUE and the wake counts, across
 * processes: forked children wait on shared futexes in MAP_SHARED
 * anonymous memory; the parent requeues and wakes them and checks, by
 * reaping them one by one, who woke. Also the EAGAIN of CMP_REQUEUE and the
 * argument errors. */
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

/* How many tasks wait on the shared futex at f, without disturbing them:
 * requeueing a futex onto itself moves nobody (and keeps the order). */
static long waiters(uint32_t *f)
{
    return futex(f, FUTEX_REQUEUE, 0, INT_MAX, f, 0);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until `want` tasks wait on f (they get there in their own time). */
static int wait_for_waiters(uint32_t *f, long want)
{
    for (int i = 0; i < 2000; i++) {
        if (waiters(f) == want)
            return 1;
        sleep_ms(2);
    }
    return 0;
}

/* A child that waits on f while it holds val; exits 0 if woken, else
 * 100 + errno. */
static pid_t spawn_waiter(uint32_t *f, uint32_t val)
{
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        long r = futex(f, FUTEX_WAIT, val, 0, NULL, 0);
        _exit(r == 0 ? 0 : 100 + errno);
    }
    return pid;
}

/* True if pid has exited (reaping it, with its status in *st). */
static int exited(pid_t pid, int *st)
{
    return waitpid(pid, st, WNOHANG) == pid;
}

static void reap_woken(pid_t pid, const char *what)
{
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid, "%s: waitpid: %s", what, strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %#x", what, st);
}

static void test_cmp_requeue(uint32_t *shm)
{
    uint32_t *a = &shm[0], *b = &shm[16];
    *a = 7;
    pid_t kids[4];
    /* Start them one at a time so their order on the queue is known. */
    for (int i = 0; i < 4; i++) {
        kids[i] = spawn_waiter(a, 7);
        REQUIRE(wait_for_waiters(a, i + 1), "child %d never waited", i);
    }
    CHECK_RET(waiters(b), 0);

    /* CMP_REQUEUE checks *a against val3 first. */
    CHECK_ERRNO(futex(a, FUTEX_CMP_REQUEUE, 1, 2, b, 8), EAGAIN);
    CHECK_RET(waiters(a), 4);

    /* Wake one, requeue two: the first waiter wakes, the next two move. */
    CHECK_RET(futex(a, FUTEX_CMP_REQUEUE, 1, 2, b, 7), 3);
    reap_woken(kids[0], "first waiter");
    CHECK_RET(waiters(a), 1);
    CHECK_RET(waiters(b), 2);
    int st;
    sleep_ms(20);
    CHECK(!exited(kids[1], &st) && !exited(kids[2], &st) && !exited(kids[3], &st),
          "a requeued or remaining waiter woke");

    /* The requeued waiters kept their order: a wake of b takes child 1. */
    CHECK_RET(futex(b, FUTEX_WAKE, 1, 0, NULL, 0), 1);
    reap_woken(kids[1], "second waiter");
    sleep_ms(20);
    CHECK(!exited(kids[2], &st), "third waiter woke early");

    /* Plain REQUEUE with no wake moves the last one; a wake of a then
     * finds nobody. */
    CHECK_RET(futex(a, FUTEX_REQUEUE, 0, INT_MAX, b, 0), 1);
    CHECK_RET(futex(a, FUTEX_WAKE, INT_MAX, 0, NULL, 0), 0);
    CHECK_RET(waiters(b), 2);
    CHECK_RET(futex(b, FUTEX_WAKE, INT_MAX, 0, NULL, 0), 2);
    reap_woken(kids[2], "third waiter");
    reap_woken(kids[3], "fourth waiter");
}

static void test_wake_counts(uint32_t *shm)
{
    uint32_t *a = &shm[32];
    *a = 0;
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = spawn_waiter(a, 0);
        REQUIRE(wait_for_waiters(a, i + 1), "child %d never waited", i);
    }
    /* FUTEX_WAKE with 0 (or a negative count) still wakes one. */
    CHECK_RET(futex(a, FUTEX_WAKE, 0, 0, NULL, 0), 1);
    reap_woken(kids[0], "wake 0");
    CHECK_RET(futex(a, FUTEX_WAKE, (uint32_t)-5, 0, NULL, 0), 1);
    reap_woken(kids[1], "wake -5");
    /* REQUEUE with nr_wake 0 and nr_requeue 0 does nothing at all. */
    CHECK_RET(futex(a, FUTEX_REQUEUE, 0, 0, &shm[48], 0), 0);
    CHECK_RET(waiters(a), 1);
    /* A private wake does not reach a shared waiter. */
    CHECK_RET(futex(a, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0), 0);
    CHECK_RET(futex(a, FUTEX_WAKE, 1, 0, NULL, 0), 1);
    reap_woken(kids[2], "last");
}

static void test_errors(uint32_t *shm)
{
    uint32_t *a = &shm[64], *b = &shm[80];
    *a = 1;
    CHECK_ERRNO(futex(a, FUTEX_REQUEUE, (uint32_t)-1, 1, b, 0), EINVAL);
    CHECK_ERRNO(futex(a, FUTEX_CMP_REQUEUE, 1, -1, b, 1), EINVAL);
    CHECK_ERRNO(futex(a, FUTEX_CMP_REQUEUE, 1, 1, (uint32_t *)((char *)b + 1), 1), EINVAL);
    CHECK_ERRNO(futex((uint32_t *)((char *)a + 2), FUTEX_REQUEUE, 1, 1, b, 0), EINVAL);
    /* Requeue onto the same futex is allowed (only the PI form refuses). */
    CHECK_RET(futex(a, FUTEX_CMP_REQUEUE, 1, 1, a, 1), 0);
    /* A shared futex needs mapped memory; a private one only an address. */
    uint32_t *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(hole != MAP_FAILED, "mmap");
    REQUIRE(munmap(hole, 4096) == 0, "munmap");
    CHECK_ERRNO(futex(a, FUTEX_CMP_REQUEUE, 1, 1, hole, 1), EFAULT);
    CHECK_ERRNO(futex(hole, FUTEX_CMP_REQUEUE, 1, 1, b, 1), EFAULT);
    CHECK_ERRNO(futex(hole, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, b, 1), EFAULT);
    CHECK_RET(futex(hole, FUTEX_REQUEUE_PRIVATE, 1, 1, b, 0), 0);
    CHECK_ERRNO(futex(a, FUTEX_CMP_REQUEUE, 1, 1, (uint32_t *)(uintptr_t)0x7ffffffffffcULL, 1),
                EFAULT);
    /* CLOCK_REALTIME is only for the waits. */
    CHECK_ERRNO(futex(a, FUTEX_REQUEUE | FUTEX_CLOCK_REALTIME, 1, 1, b, 0), ENOSYS);
    /* The long-gone FUTEX_FD and unknown commands. (The PI operations are
     * ENOSYS in moat, as on a kernel without CONFIG_FUTEX_PI: not here.) */
    CHECK_ERRNO(futex(a, 2 /* FUTEX_FD */, 0, 0, NULL, 0), ENOSYS);
    CHECK_ERRNO(futex(a, 99, 0, 0, NULL, 0), ENOSYS);
}

int main(void)
{
    uint32_t *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(shm != MAP_FAILED, "mmap: %s", strerror(errno));
    test_cmp_requeue(shm);
    test_wake_counts(shm);
    test_errors(shm);
    return check_done("futex_requeue");
}

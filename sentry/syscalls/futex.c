/* futex(2) over sentry/kernel/futex.c: wait/wake (with bitsets), requeue,
 * CMP_REQUEUE and WAKE_OP, private and shared. The PI operations (LOCK_PI,
 * UNLOCK_PI, TRYLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI, LOCK_PI2) give
 * ENOSYS, as on a kernel built without CONFIG_FUTEX_PI; FUTEX_FD is gone
 * from Linux (ENOSYS). */
#include <time.h>

#include "abi/linux/futex.h"
#include "abi/linux/time.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

static int64_t futex_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * LINUX_NSEC_PER_SEC + ts.tv_nsec;
}

/* Reads the timeout at utime into an absolute CLOCK_MONOTONIC deadline:
 * relative for FUTEX_WAIT, absolute on the chosen clock for WAIT_BITSET. */
static int futex_deadline(struct task *t, uaddr_t utime, bool relative, bool realtime,
                          struct linux_timespec *out)
{
    struct linux_timespec ts;
    if (copy_in(t->mm, &ts, utime, sizeof(ts)) < 0)
        return -LINUX_EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= LINUX_NSEC_PER_SEC)
        return -LINUX_EINVAL;
    int64_t ns = ts.tv_sec > INT64_MAX / LINUX_NSEC_PER_SEC - 1
                     ? INT64_MAX / 2
                     : ts.tv_sec * LINUX_NSEC_PER_SEC + ts.tv_nsec;
    int64_t now = futex_clock_ns(CLOCK_MONOTONIC);
    if (!relative)
        ns -= realtime ? futex_clock_ns(CLOCK_REALTIME) : now;
    if (ns > INT64_MAX / 2)
        ns = INT64_MAX / 2;
    int64_t abs = now + ns;
    out->tv_sec = abs / LINUX_NSEC_PER_SEC;
    out->tv_nsec = abs % LINUX_NSEC_PER_SEC;
    if (out->tv_nsec < 0) {
        out->tv_nsec += LINUX_NSEC_PER_SEC;
        out->tv_sec--;
    }
    return 0;
}

SYSCALL(futex)
{
    uaddr_t uaddr = arg_uaddr(a, 0), utime = arg_uaddr(a, 3), uaddr2 = arg_uaddr(a, 4);
    int op = arg_int(a, 1);
    uint32_t val = arg_uint(a, 2), val3 = arg_uint(a, 5);
    int cmd = op & LINUX_FUTEX_CMD_MASK;
    bool private_futex = op & LINUX_FUTEX_PRIVATE_FLAG;
    bool realtime = op & LINUX_FUTEX_CLOCK_REALTIME;
    /* The timeout is read first (sys_futex), the flags checked after
     * (do_futex). For the requeue and WAKE_OP commands the timeout
     * argument is a count (val2). */
    struct linux_timespec deadline;
    bool has_deadline = utime && (cmd == LINUX_FUTEX_WAIT || cmd == LINUX_FUTEX_WAIT_BITSET ||
                                  cmd == LINUX_FUTEX_LOCK_PI || cmd == LINUX_FUTEX_LOCK_PI2 ||
                                  cmd == LINUX_FUTEX_WAIT_REQUEUE_PI);
    if (has_deadline) {
        int err = futex_deadline(t, utime, cmd == LINUX_FUTEX_WAIT, realtime, &deadline);
        if (err)
            return err;
    }
    int val2 = (int)(uint32_t)utime;
    if (realtime && cmd != LINUX_FUTEX_WAIT_BITSET && cmd != LINUX_FUTEX_WAIT_REQUEUE_PI &&
        cmd != LINUX_FUTEX_LOCK_PI2)
        return -LINUX_ENOSYS;
    switch (cmd) {
    case LINUX_FUTEX_WAIT:
    case LINUX_FUTEX_WAIT_BITSET: {
        uint32_t bitset = cmd == LINUX_FUTEX_WAIT ? LINUX_FUTEX_BITSET_MATCH_ANY : val3;
        return futex_wait(t, uaddr, private_futex, val, bitset, has_deadline ? &deadline : NULL);
    }
    case LINUX_FUTEX_WAKE:
    case LINUX_FUTEX_WAKE_BITSET: {
        uint32_t bitset = cmd == LINUX_FUTEX_WAKE ? LINUX_FUTEX_BITSET_MATCH_ANY : val3;
        return futex_wake(t, uaddr, private_futex, (int)val, bitset);
    }
    case LINUX_FUTEX_REQUEUE:
        return futex_requeue(t, uaddr, uaddr2, private_futex, (int)val, val2, NULL);
    case LINUX_FUTEX_CMP_REQUEUE:
        return futex_requeue(t, uaddr, uaddr2, private_futex, (int)val, val2, &val3);
    case LINUX_FUTEX_WAKE_OP:
        return futex_wake_op(t, uaddr, uaddr2, private_futex, (int)val, val2, val3);
    default:
        return -LINUX_ENOSYS;
    }
}

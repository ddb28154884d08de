/* Time syscalls: reading clocks and sleeping on them.
 *
 * The wall and monotonic clocks (REALTIME, MONOTONIC, BOOTTIME, TAI and the
 * raw and coarse variants) are the host's clocks of the same id, so they agree
 * with what a host vDSO returns. CPU-time clocks are an approximation: they
 * read the host CPU time of the sentry thread (or the sentry process) that
 * runs the task, which counts the sentry's work for it but not the
 * application code the platform runs elsewhere (the ptrace stub).
 *
 * The alarm clocks behave as on a Linux host without an RTC: EINVAL to read,
 * EOPNOTSUPP to sleep on.
 *
 * Sleeps drop the kernel lock and sleep on the host. Nothing interrupts them
 * yet but the end of the task: signal delivery (EINTR, restart, the
 * remaining time in rem) comes with the signals issue. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include "abi/linux/errno.h"
#include "abi/linux/time.h"
#include "lib/panic.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

/* Negative clock ids name CPU-time clocks of a given pid, or a dynamic
 * (fd-backed) clock, encoded as in Linux's include/linux/posix-timers.h. */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_WHICH(id) ((id)&3) /* 0 PROF, 1 VIRT, 2 SCHED */
#define CPUCLOCK_MAX 3
#define CPUCLOCK_PID(id) (~((id) >> 3))
#define CLOCKFD 3
#define CLOCKFD_MASK 7
/* The host's CPU clock of the calling thread or process ("pid 0"). */
#define HOST_CPUCLOCK(which, perthread) ((clockid_t)(-8 | (perthread) | (which)))

enum clock_use {
    CLOCK_USE_GET,   /* clock_gettime */
    CLOCK_USE_RES,   /* clock_getres */
    CLOCK_USE_SLEEP, /* clock_nanosleep */
};

/* A negative clock id: a CPU clock of some task, or a dynamic clock. */
static int cpu_clock_to_host(const struct task *t, int id, enum clock_use use, clockid_t *out_host)
{
    if ((id & CLOCKFD_MASK) == CLOCKFD) /* no posix-clock devices exist */
        return use == CLOCK_USE_SLEEP ? -LINUX_EOPNOTSUPP : -LINUX_EINVAL;
    if (CPUCLOCK_WHICH(id) >= CPUCLOCK_MAX)
        return -LINUX_EINVAL;
    int pid = CPUCLOCK_PID(id);
    bool perthread = id & CPUCLOCK_PERTHREAD;
    if (perthread) {
        /* Linux cannot sleep on the caller's own thread clock. Other threads'
         * clocks are not reachable until there is a pid table. */
        if (use == CLOCK_USE_SLEEP || (pid != 0 && pid != t->tid))
            return -LINUX_EINVAL;
    } else {
        /* clock_gettime also accepts the caller's tid for its process. */
        bool self = pid == 0 || pid == t->tg->tgid || (use == CLOCK_USE_GET && pid == t->tid);
        if (!self)
            return -LINUX_EINVAL;
    }
    *out_host = HOST_CPUCLOCK(CPUCLOCK_WHICH(id), perthread ? CPUCLOCK_PERTHREAD : 0);
    return 0;
}

/* Maps an application clock id to the host clock standing in for it.
 * Returns 0, -EINVAL for an id Linux rejects, or -EOPNOTSUPP for a clock
 * Linux cannot sleep on (CLOCK_USE_SLEEP only). */
static int clock_to_host(const struct task *t, int id, enum clock_use use, clockid_t *out_host)
{
    bool sleep = use == CLOCK_USE_SLEEP;
    if (id < 0)
        return cpu_clock_to_host(t, id, use, out_host);
    switch (id) {
    case LINUX_CLOCK_REALTIME:
        *out_host = CLOCK_REALTIME;
        return 0;
    case LINUX_CLOCK_MONOTONIC:
        *out_host = CLOCK_MONOTONIC;
        return 0;
    case LINUX_CLOCK_BOOTTIME:
        *out_host = CLOCK_BOOTTIME;
        return 0;
    case LINUX_CLOCK_TAI:
        *out_host = CLOCK_TAI;
        return 0;
    case LINUX_CLOCK_PROCESS_CPUTIME_ID:
        *out_host = CLOCK_PROCESS_CPUTIME_ID;
        return 0;
    /* Clocks without a sleep: Linux says EOPNOTSUPP (glibc's wrapper turns
     * CLOCK_THREAD_CPUTIME_ID into EINVAL before the syscall). */
    case LINUX_CLOCK_THREAD_CPUTIME_ID:
        *out_host = CLOCK_THREAD_CPUTIME_ID;
        return sleep ? -LINUX_EOPNOTSUPP : 0;
    case LINUX_CLOCK_MONOTONIC_RAW:
        *out_host = CLOCK_MONOTONIC_RAW;
        return sleep ? -LINUX_EOPNOTSUPP : 0;
    case LINUX_CLOCK_REALTIME_COARSE:
        *out_host = CLOCK_REALTIME_COARSE;
        return sleep ? -LINUX_EOPNOTSUPP : 0;
    case LINUX_CLOCK_MONOTONIC_COARSE:
        *out_host = CLOCK_MONOTONIC_COARSE;
        return sleep ? -LINUX_EOPNOTSUPP : 0;
    case LINUX_CLOCK_REALTIME_ALARM:
    case LINUX_CLOCK_BOOTTIME_ALARM:
        return sleep ? -LINUX_EOPNOTSUPP : -LINUX_EINVAL;
    default: /* 10 (the old CLOCK_SGI_CYCLE) and above 11 */
        return -LINUX_EINVAL;
    }
}

static struct linux_timespec timespec_to_linux(const struct timespec *ts)
{
    return (struct linux_timespec){.tv_sec = ts->tv_sec, .tv_nsec = ts->tv_nsec};
}

/* timespec64_valid(): what Linux accepts as a sleep length or deadline. */
static bool timespec_valid(const struct linux_timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < LINUX_NSEC_PER_SEC;
}

/* Reads a host clock that clock_to_host() chose; those never fail. */
static struct timespec host_now(clockid_t host)
{
    struct timespec now;
    SENTRY_ASSERT(clock_gettime(host, &now) == 0);
    return now;
}

/* now + len, saturating where Linux's ktime would (sleep forever). */
static struct timespec deadline_after(clockid_t host, const struct linux_timespec *len)
{
    struct timespec d = host_now(host);
    if (len->tv_sec > INT64_MAX - 1 - d.tv_sec)
        return (struct timespec){.tv_sec = INT64_MAX, .tv_nsec = 0};
    d.tv_sec += len->tv_sec;
    d.tv_nsec += len->tv_nsec;
    if (d.tv_nsec >= LINUX_NSEC_PER_SEC) {
        d.tv_sec++;
        d.tv_nsec -= LINUX_NSEC_PER_SEC;
    }
    return d;
}

/* Sleeps on the host clock without the kernel lock, for clocks a wait
 * queue cannot time (CPU-time clocks). Returns 0, or -EINTR if the task
 * is being torn down meanwhile. */
static long host_sleep_until(struct task *t, clockid_t host, const struct timespec *deadline)
{
    for (;;) {
        kernel_unlock(t->k);
        int err = clock_nanosleep(host, TIMER_ABSTIME, deadline, NULL);
        kernel_lock(t->k);
        if (err == 0)
            return 0;
        SENTRY_ASSERT(err == EINTR); /* the clock and deadline were checked */
        if (t->exiting || t->tg->exiting || t->k->exited)
            return -LINUX_EINTR;
    }
}

static int64_t timespec_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * LINUX_NSEC_PER_SEC + ts->tv_nsec;
}

/* Sleeps until the CLOCK_MONOTONIC deadline, interruptibly: returns 0 or
 * -ERESTARTSYS with the time left in *out_left_ns. */
static long block_until(struct task *t, const struct linux_timespec *deadline, int64_t *out_left_ns)
{
    long err;
    do {
        err = task_block(t, deadline);
    } while (err == 0);
    if (err == -LINUX_ETIMEDOUT)
        return 0;
    struct timespec now = host_now(CLOCK_MONOTONIC);
    int64_t left = (int64_t)deadline->tv_sec * LINUX_NSEC_PER_SEC + deadline->tv_nsec -
                   timespec_ns(&now);
    *out_left_ns = left > 0 ? left : 0;
    return err;
}

/* restart_syscall after an interrupted relative sleep: on to the same
 * deadline. */
static long nanosleep_restart(struct task *t)
{
    struct linux_timespec d = t->restart_deadline;
    int64_t left;
    long err = block_until(t, &d, &left);
    if (err == 0)
        return 0;
    if (t->restart_rem) {
        struct linux_timespec rem = {left / LINUX_NSEC_PER_SEC, left % LINUX_NSEC_PER_SEC};
        if (copy_out(t->mm, t->restart_rem, &rem, sizeof(rem)) < 0)
            return -LINUX_EFAULT;
    }
    t->restart_fn = nanosleep_restart;
    return -LINUX_ERESTART_RESTARTBLOCK;
}

/* The common part of nanosleep and clock_nanosleep, req already valid. A
 * signal ends the sleep: a relative one writes the time left to urem and
 * restarts through restart_syscall (or fails with EINTR when a handler
 * runs); an absolute one restarts as it is. */
static long do_nanosleep(struct task *t, clockid_t host, bool abs, const struct linux_timespec *req,
                         uaddr_t urem)
{
    bool wallclock = host == CLOCK_REALTIME || host == CLOCK_MONOTONIC ||
                     host == CLOCK_BOOTTIME || host == CLOCK_TAI;
    if (!wallclock) {
        struct timespec d = {.tv_sec = req->tv_sec, .tv_nsec = req->tv_nsec};
        if (!abs)
            d = deadline_after(host, req);
        return host_sleep_until(t, host, &d);
    }
    /* Everything becomes a CLOCK_MONOTONIC deadline; like Linux's hrtimers,
     * a relative sleep is not moved by changes of the wall clock. */
    int64_t ns;
    if (abs) {
        struct timespec now = host_now(host);
        ns = (int64_t)req->tv_sec * LINUX_NSEC_PER_SEC + req->tv_nsec - timespec_ns(&now);
        if ((int64_t)req->tv_sec > INT64_MAX / LINUX_NSEC_PER_SEC - 1)
            ns = INT64_MAX / 2;
    } else {
        ns = req->tv_sec > INT64_MAX / LINUX_NSEC_PER_SEC - 1
                 ? INT64_MAX / 2
                 : req->tv_sec * LINUX_NSEC_PER_SEC + req->tv_nsec;
    }
    struct linux_timespec deadline = waitqueue_deadline_after(ns);
    int64_t left;
    long err = block_until(t, &deadline, &left);
    if (err == 0)
        return 0;
    if (abs)
        return -LINUX_ERESTARTNOHAND;
    if (urem) {
        struct linux_timespec rem = {left / LINUX_NSEC_PER_SEC, left % LINUX_NSEC_PER_SEC};
        if (copy_out(t->mm, urem, &rem, sizeof(rem)) < 0)
            return -LINUX_EFAULT;
    }
    t->restart_deadline = deadline;
    t->restart_rem = urem;
    t->restart_fn = nanosleep_restart;
    return -LINUX_ERESTART_RESTARTBLOCK;
}

SYSCALL(clock_gettime)
{
    clockid_t host;
    int err = clock_to_host(t, arg_int(a, 0), CLOCK_USE_GET, &host);
    if (err)
        return err;
    struct timespec now = host_now(host);
    struct linux_timespec ts = timespec_to_linux(&now);
    if (copy_out(t->mm, arg_uaddr(a, 1), &ts, sizeof(ts)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(clock_getres)
{
    clockid_t host;
    int err = clock_to_host(t, arg_int(a, 0), CLOCK_USE_RES, &host);
    if (err)
        return err;
    uaddr_t res = arg_uaddr(a, 1);
    if (!res)
        return 0;
    struct timespec hres;
    SENTRY_ASSERT(clock_getres(host, &hres) == 0);
    struct linux_timespec ts = timespec_to_linux(&hres);
    if (copy_out(t->mm, res, &ts, sizeof(ts)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(gettimeofday)
{
    uaddr_t tv = arg_uaddr(a, 0), tz = arg_uaddr(a, 1);
    if (tv) {
        struct timespec now = host_now(CLOCK_REALTIME);
        struct linux_timeval v = {.tv_sec = now.tv_sec, .tv_usec = now.tv_nsec / 1000};
        if (copy_out(t->mm, tv, &v, sizeof(v)) < 0)
            return -LINUX_EFAULT;
    }
    if (tz) {
        /* The kernel's timezone is only ever set by settimeofday(tz). */
        struct linux_timezone z = {0, 0};
        if (copy_out(t->mm, tz, &z, sizeof(z)) < 0)
            return -LINUX_EFAULT;
    }
    return 0;
}

SYSCALL(time)
{
    int64_t now = host_now(CLOCK_REALTIME).tv_sec;
    uaddr_t tloc = arg_uaddr(a, 0);
    if (tloc && copy_out(t->mm, tloc, &now, sizeof(now)) < 0)
        return -LINUX_EFAULT;
    return now;
}

SYSCALL(nanosleep)
{
    struct linux_timespec req;
    if (copy_in(t->mm, &req, arg_uaddr(a, 0), sizeof(req)) < 0)
        return -LINUX_EFAULT;
    if (!timespec_valid(&req))
        return -LINUX_EINVAL;
    /* rem (arg 1) is written only when a signal cuts the sleep short. */
    return do_nanosleep(t, CLOCK_MONOTONIC, false, &req, arg_uaddr(a, 1));
}

SYSCALL(clock_nanosleep)
{
    /* Linux looks only at TIMER_ABSTIME and ignores other flag bits. */
    bool abs = arg_int(a, 1) & LINUX_TIMER_ABSTIME;
    clockid_t host;
    int err = clock_to_host(t, arg_int(a, 0), CLOCK_USE_SLEEP, &host);
    if (err)
        return err;
    struct linux_timespec req;
    if (copy_in(t->mm, &req, arg_uaddr(a, 2), sizeof(req)) < 0)
        return -LINUX_EFAULT;
    if (!timespec_valid(&req))
        return -LINUX_EINVAL;
    return do_nanosleep(t, host, abs, &req, abs ? 0 : arg_uaddr(a, 3));
}

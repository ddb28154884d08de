/* Interval timers and POSIX timers: alarm, getitimer, setitimer,
 * timer_create, timer_settime, timer_gettime, timer_getoverrun,
 * timer_delete. The timers themselves are sentry/kernel/timer.c's. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/linux/errno.h"
#include "abi/linux/signal.h"
#include "abi/linux/time.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2
#define NSEC_PER_USEC 1000LL
/* Linux's bound on POSIX timers per process is RLIMIT_SIGPENDING; a fixed
 * one is enough here. */
#define POSIX_TIMERS_MAX 4096

struct linux_itimerval {
    struct linux_timeval interval, value;
};
struct linux_itimerspec {
    struct linux_timespec interval, value;
};

static uint64_t tv_ns(const struct linux_timeval *tv)
{
    return (uint64_t)tv->tv_sec * LINUX_NSEC_PER_SEC + (uint64_t)tv->tv_usec * NSEC_PER_USEC;
}

static struct linux_timeval ns_tv(uint64_t ns)
{
    /* Linux rounds a remaining time up to the next microsecond. */
    uint64_t us = (ns + NSEC_PER_USEC - 1) / NSEC_PER_USEC;
    return (struct linux_timeval){(int64_t)(us / 1000000), (int64_t)(us % 1000000)};
}

static uint64_t ts_ns(const struct linux_timespec *ts)
{
    return (uint64_t)ts->tv_sec * LINUX_NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static struct linux_timespec ns_ts(uint64_t ns)
{
    return (struct linux_timespec){(int64_t)(ns / LINUX_NSEC_PER_SEC),
                                   (int64_t)(ns % LINUX_NSEC_PER_SEC)};
}

/* The process's itimer `which`, created on first use. */
static struct ktimer *itimer_of(struct task *t, int which)
{
    struct thread_group *tg = t->tg;
    if (!tg->itimers[which]) {
        struct ktimer *kt = calloc(1, sizeof(*kt));
        if (!kt)
            return NULL;
        static const int signo[3] = {LINUX_SIGALRM, LINUX_SIGVTALRM, LINUX_SIGPROF};
        static const enum ktimer_clock clock[3] = {KTIMER_REAL, KTIMER_VIRTUAL, KTIMER_PROF};
        kt->tg = tg;
        kt->clock = clock[which];
        kt->signo = signo[which];
        kt->id = -1;
        tg->itimers[which] = kt;
    }
    return tg->itimers[which];
}

static void itimer_get(struct task *t, int which, struct linux_itimerval *out)
{
    struct ktimer *kt = t->tg->itimers[which];
    memset(out, 0, sizeof(*out));
    if (kt && kt->armed) {
        out->value = ns_tv(ktimer_remaining(kt));
        out->interval = ns_tv(kt->interval_ns);
    }
}

SYSCALL(getitimer)
{
    int which = arg_int(a, 0);
    if (which < ITIMER_REAL || which > ITIMER_PROF)
        return -LINUX_EINVAL;
    struct linux_itimerval v;
    itimer_get(t, which, &v);
    if (copy_out(t->mm, arg_uaddr(a, 1), &v, sizeof(v)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

static bool tv_valid(const struct linux_timeval *tv)
{
    return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

SYSCALL(setitimer)
{
    int which = arg_int(a, 0);
    uaddr_t unew = arg_uaddr(a, 1), uold = arg_uaddr(a, 2);
    struct linux_itimerval nv = {0};
    /* A NULL new value disarms (Linux keeps this old behaviour). */
    if (unew && copy_in(t->mm, &nv, unew, sizeof(nv)) < 0)
        return -LINUX_EFAULT;
    if (which < ITIMER_REAL || which > ITIMER_PROF)
        return -LINUX_EINVAL;
    if (!tv_valid(&nv.value) || !tv_valid(&nv.interval))
        return -LINUX_EINVAL;
    struct linux_itimerval old;
    itimer_get(t, which, &old);
    struct ktimer *kt = itimer_of(t, which);
    if (!kt)
        return -LINUX_ENOMEM;
    ktimer_arm(kt, tv_ns(&nv.value), tv_ns(&nv.interval));
    if (uold && copy_out(t->mm, uold, &old, sizeof(old)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(alarm)
{
    unsigned secs = (unsigned)arg_u64(a, 0);
    struct linux_itimerval old;
    itimer_get(t, ITIMER_REAL, &old);
    struct ktimer *kt = itimer_of(t, ITIMER_REAL);
    if (!kt)
        return -LINUX_ENOMEM;
    ktimer_arm(kt, (uint64_t)secs * LINUX_NSEC_PER_SEC, 0);
    /* The seconds left, rounded to the nearest; never 0 if armed. */
    long left = (long)old.value.tv_sec;
    if (old.value.tv_usec >= 500000 || (left == 0 && old.value.tv_usec))
        left++;
    return left;
}

/* --- POSIX timers --- */

static struct ktimer *posix_timer_find(struct task *t, int id)
{
    for (struct ktimer *kt = t->tg->posix_timers; kt; kt = kt->next_posix)
        if (kt->id == id)
            return kt;
    return NULL;
}

SYSCALL(timer_create)
{
    int clock = arg_int(a, 0);
    uaddr_t uevent = arg_uaddr(a, 1), uid = arg_uaddr(a, 2);
    enum ktimer_clock kc;
    switch (clock) {
    case LINUX_CLOCK_REALTIME:
    case LINUX_CLOCK_MONOTONIC:
    case LINUX_CLOCK_BOOTTIME:
    case LINUX_CLOCK_TAI:
        kc = KTIMER_REAL;
        break;
    case LINUX_CLOCK_PROCESS_CPUTIME_ID:
    case LINUX_CLOCK_THREAD_CPUTIME_ID:
        kc = KTIMER_PROF;
        break;
    case LINUX_CLOCK_REALTIME_ALARM:
    case LINUX_CLOCK_BOOTTIME_ALARM:
        return -LINUX_EPERM; /* needs CAP_WAKE_ALARM over the host */
    default:
        return -LINUX_EINVAL;
    }
    struct linux_sigevent ev;
    if (uevent) {
        if (copy_in(t->mm, &ev, uevent, sizeof(ev)) < 0)
            return -LINUX_EFAULT;
    } else {
        memset(&ev, 0, sizeof(ev));
        ev.sigev_notify = LINUX_SIGEV_SIGNAL;
        ev.sigev_signo = LINUX_SIGALRM;
    }
    linux_pid_t target = 0;
    switch (ev.sigev_notify) {
    case LINUX_SIGEV_NONE:
        break;
    case LINUX_SIGEV_SIGNAL:
    case LINUX_SIGEV_THREAD: /* glibc does this one in user space */
        if (ev.sigev_signo < 1 || ev.sigev_signo > LINUX_NSIG)
            return -LINUX_EINVAL;
        break;
    case LINUX_SIGEV_THREAD_ID: {
        if (ev.sigev_signo < 1 || ev.sigev_signo > LINUX_NSIG)
            return -LINUX_EINVAL;
        struct task *th = task_find(ev.u.tid);
        if (!th || th->zombie || th->tg != t->tg)
            return -LINUX_EINVAL;
        target = ev.u.tid;
        break;
    }
    default:
        return -LINUX_EINVAL;
    }
    int count = 0, id = 0;
    for (struct ktimer *kt = t->tg->posix_timers; kt; kt = kt->next_posix)
        count++;
    if (count >= POSIX_TIMERS_MAX)
        return -LINUX_EAGAIN;
    while (posix_timer_find(t, id))
        id++;
    struct ktimer *kt = calloc(1, sizeof(*kt));
    if (!kt)
        return -LINUX_EAGAIN;
    kt->tg = t->tg;
    kt->clock = kc;
    kt->clockid = clock;
    kt->id = id;
    kt->signo = ev.sigev_notify == LINUX_SIGEV_NONE ? 0 : ev.sigev_signo;
    kt->tid = target;
    kt->sigval = uevent ? ev.sigev_value : (uint64_t)id;
    int32_t uid_val = id;
    if (copy_out(t->mm, uid, &uid_val, sizeof(uid_val)) < 0) {
        free(kt);
        return -LINUX_EFAULT;
    }
    kt->next_posix = t->tg->posix_timers;
    t->tg->posix_timers = kt;
    return 0;
}

static void posix_timer_get(struct ktimer *kt, struct linux_itimerspec *out)
{
    out->value = ns_ts(ktimer_remaining(kt));
    out->interval = ns_ts(kt->interval_ns);
}

SYSCALL(timer_settime)
{
    struct ktimer *kt = posix_timer_find(t, arg_int(a, 0));
    int flags = arg_int(a, 1);
    uaddr_t unew = arg_uaddr(a, 2), uold = arg_uaddr(a, 3);
    struct linux_itimerspec nv;
    if (copy_in(t->mm, &nv, unew, sizeof(nv)) < 0)
        return -LINUX_EFAULT;
    if (!kt)
        return -LINUX_EINVAL;
    if (nv.value.tv_sec < 0 || nv.value.tv_nsec < 0 || nv.value.tv_nsec >= LINUX_NSEC_PER_SEC ||
        nv.interval.tv_sec < 0 || nv.interval.tv_nsec < 0 ||
        nv.interval.tv_nsec >= LINUX_NSEC_PER_SEC)
        return -LINUX_EINVAL;
    struct linux_itimerspec old;
    posix_timer_get(kt, &old);
    uint64_t value = ts_ns(&nv.value);
    if (value && (flags & LINUX_TIMER_ABSTIME)) {
        /* An absolute expiry: the time from now on the timer's clock. */
        uint64_t now;
        if (kt->clock == KTIMER_REAL) {
            struct timespec ts;
            clock_gettime(kt->clockid == LINUX_CLOCK_REALTIME ? CLOCK_REALTIME
                          : kt->clockid == LINUX_CLOCK_TAI    ? CLOCK_TAI
                          : kt->clockid == LINUX_CLOCK_BOOTTIME ? CLOCK_BOOTTIME
                                                                : CLOCK_MONOTONIC,
                          &ts);
            now = (uint64_t)ts.tv_sec * LINUX_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
        } else {
            now = timer_group_cputime(kt->tg, true);
        }
        value = value > now ? value - now : 1;
    }
    ktimer_arm(kt, value, ts_ns(&nv.interval));
    if (uold && copy_out(t->mm, uold, &old, sizeof(old)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(timer_gettime)
{
    struct ktimer *kt = posix_timer_find(t, arg_int(a, 0));
    if (!kt)
        return -LINUX_EINVAL;
    struct linux_itimerspec v;
    posix_timer_get(kt, &v);
    if (copy_out(t->mm, arg_uaddr(a, 1), &v, sizeof(v)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(timer_getoverrun)
{
    struct ktimer *kt = posix_timer_find(t, arg_int(a, 0));
    if (!kt)
        return -LINUX_EINVAL;
    return kt->last_overrun;
}

SYSCALL(timer_delete)
{
    int id = arg_int(a, 0);
    for (struct ktimer **pp = &t->tg->posix_timers; *pp; pp = &(*pp)->next_posix) {
        struct ktimer *kt = *pp;
        if (kt->id == id) {
            *pp = kt->next_posix;
            ktimer_disarm(kt);
            free(kt);
            return 0;
        }
    }
    return -LINUX_EINVAL;
}

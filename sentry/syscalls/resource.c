/* Resource limits (getrlimit, setrlimit, prlimit64), usage (getrusage,
 * times) and scheduling priority (getpriority, setpriority).
 *
 * Limits live in the thread group (tg->rlimits) and are only stored here;
 * each subsystem enforces its own (the fd table RLIMIT_NOFILE, ...).
 * RLIMIT_CPU arms no timer yet. CPU times are the task loop's accounting
 * (sentry/kernel/task.c): "user" is the time a task spent running
 * application code, "system" the time it spent in the sentry. */
#include <string.h>
#include <time.h>

#include "abi/linux/capability.h"
#include "abi/linux/errno.h"
#include "abi/linux/resource.h"
#include "abi/linux/time.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

/* fs.nr_open's default: the highest RLIMIT_NOFILE anyone may set. */
#define LINUX_NR_OPEN (1024 * 1024)

static bool capable_sys_resource(const struct task *t)
{
    return cred_capable(&t->cred, LINUX_CAP_SYS_RESOURCE);
}

/* Linux's do_prlimit(): checks new_lim and swaps it in for the thread
 * group's limit. new_lim and out_old may each be NULL. */
static long rlimit_swap(struct task *t, struct thread_group *target, unsigned resource,
                        const struct linux_rlimit64 *new_lim, struct linux_rlimit64 *out_old)
{
    if (resource >= LINUX_RLIM_NLIMITS)
        return -LINUX_EINVAL;
    struct linux_rlimit64 *lim = &target->rlimits[resource];
    if (new_lim) {
        if (new_lim->rlim_cur > new_lim->rlim_max)
            return -LINUX_EINVAL;
        if (resource == LINUX_RLIMIT_NOFILE && new_lim->rlim_max > LINUX_NR_OPEN)
            return -LINUX_EPERM;
        if (new_lim->rlim_max > lim->rlim_max && !capable_sys_resource(t))
            return -LINUX_EPERM;
    }
    if (out_old)
        *out_old = *lim;
    if (new_lim)
        *lim = *new_lim;
    return 0;
}

SYSCALL(prlimit64)
{
    int pid = arg_int(a, 0);
    unsigned resource = arg_uint(a, 1);
    uaddr_t unew = arg_uaddr(a, 2), uold = arg_uaddr(a, 3);
    struct linux_rlimit64 new_lim, old_lim;
    if (unew && copy_in(t->mm, &new_lim, unew, sizeof(new_lim)) < 0)
        return -LINUX_EFAULT;
    struct thread_group *target = t->tg;
    if (pid < 0)
        return -LINUX_EINVAL;
    if (pid != 0) {
        struct task *p = task_find(pid);
        if (!p || p->zombie)
            return -LINUX_ESRCH;
        target = p->tg;
        /* check_prlimit_permission: the same user and group all round,
         * or CAP_SYS_RESOURCE. */
        const struct cred *c = &t->cred, *d = &p->cred;
        bool same = c->uid == d->uid && c->uid == d->euid && c->uid == d->suid &&
                    c->gid == d->gid && c->gid == d->egid && c->gid == d->sgid;
        if (target != t->tg && !same && !capable_sys_resource(t))
            return -LINUX_EPERM;
    }
    long ret = rlimit_swap(t, target, resource, unew ? &new_lim : NULL, uold ? &old_lim : NULL);
    if (ret < 0)
        return ret;
    /* As in Linux, a fault here leaves the new limit in place. */
    if (uold && copy_out(t->mm, uold, &old_lim, sizeof(old_lim)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

/* x86_64's struct rlimit is struct rlimit64: two unsigned longs. */
SYSCALL(getrlimit)
{
    struct linux_rlimit64 lim;
    long ret = rlimit_swap(t, t->tg, arg_uint(a, 0), NULL, &lim);
    if (ret < 0)
        return ret;
    return copy_out(t->mm, arg_uaddr(a, 1), &lim, sizeof(lim)) < 0 ? -LINUX_EFAULT : 0;
}

SYSCALL(setrlimit)
{
    struct linux_rlimit64 lim;
    if (copy_in(t->mm, &lim, arg_uaddr(a, 1), sizeof(lim)) < 0)
        return -LINUX_EFAULT;
    return rlimit_swap(t, t->tg, arg_uint(a, 0), &lim, NULL);
}

static struct linux_timeval ns_to_timeval(uint64_t ns)
{
    return (struct linux_timeval){.tv_sec = (int64_t)(ns / LINUX_NSEC_PER_SEC),
                                  .tv_usec = (int64_t)(ns % LINUX_NSEC_PER_SEC / 1000)};
}

/* The CPU times of t's whole thread group: its ended threads' and its live
 * ones', including the application code they are running right now. */
static void group_cputime(const struct task *t, uint64_t *out_user_ns, uint64_t *out_sys_ns)
{
    uint64_t user = timer_group_cputime(t->tg, false);
    uint64_t all = timer_group_cputime(t->tg, true);
    *out_user_ns = user;
    *out_sys_ns = all > user ? all - user : 0;
}

SYSCALL(getrusage)
{
    int who = arg_int(a, 0);
    if (who != LINUX_RUSAGE_SELF && who != LINUX_RUSAGE_CHILDREN && who != LINUX_RUSAGE_THREAD)
        return -LINUX_EINVAL;
    struct linux_rusage ru;
    memset(&ru, 0, sizeof(ru));
    uint64_t user = 0, sys = 0;
    switch (who) {
    case LINUX_RUSAGE_SELF:
        group_cputime(t, &user, &sys);
        break;
    case LINUX_RUSAGE_THREAD:
        user = t->utime_ns;
        sys = t->stime_ns;
        break;
    case LINUX_RUSAGE_CHILDREN: /* the reaped children and their reaped ones */
        user = t->tg->cutime_ns;
        sys = t->tg->cstime_ns;
        break;
    }
    ru.ru_utime = ns_to_timeval(user);
    ru.ru_stime = ns_to_timeval(sys);
    return copy_out(t->mm, arg_uaddr(a, 1), &ru, sizeof(ru)) < 0 ? -LINUX_EFAULT : 0;
}

static int64_t ns_to_clock_t(uint64_t ns)
{
    return (int64_t)(ns / (LINUX_NSEC_PER_SEC / LINUX_USER_HZ));
}

SYSCALL(times)
{
    uaddr_t ubuf = arg_uaddr(a, 0);
    if (ubuf) {
        uint64_t user, sys;
        group_cputime(t, &user, &sys);
        struct linux_tms tms = {
            .tms_utime = ns_to_clock_t(user),
            .tms_stime = ns_to_clock_t(sys),
            .tms_cutime = ns_to_clock_t(t->tg->cutime_ns),
            .tms_cstime = ns_to_clock_t(t->tg->cstime_ns),
        };
        if (copy_out(t->mm, ubuf, &tms, sizeof(tms)) < 0)
            return -LINUX_EFAULT;
    }
    /* Clock ticks since the sandbox booted (Linux: since its own boot,
     * offset by INITIAL_JIFFIES; only differences mean anything). */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t now_ns = (uint64_t)now.tv_sec * LINUX_NSEC_PER_SEC + (uint64_t)now.tv_nsec;
    return ns_to_clock_t(now_ns > t->k->boot_ns ? now_ns - t->k->boot_ns : 0);
}

/* Priorities: the nice value (-20..19) is the thread group's (Linux keeps
 * one per thread); getpriority returns it as 20 - nice (1..40), the
 * highest over the tasks named. */
#define NICE_MIN (-20)
#define NICE_MAX 19

/* Whether p is one of the tasks PRIO_PGRP or PRIO_USER `who` names (0: the
 * caller's process group or real uid). */
static bool prio_matches(struct task *t, struct task *p, int which, int who)
{
    switch (which) {
    case LINUX_PRIO_PGRP:
        return p->tg->pgid == (who ? who : t->tg->pgid);
    case LINUX_PRIO_USER:
        return p->cred.uid == (who ? (linux_uid_t)who : t->cred.uid);
    default:
        return false;
    }
}

SYSCALL(getpriority)
{
    int which = arg_int(a, 0), who = arg_int(a, 1);
    if (which < LINUX_PRIO_PROCESS || which > LINUX_PRIO_USER)
        return -LINUX_EINVAL;
    long ret = -LINUX_ESRCH;
    if (which == LINUX_PRIO_PROCESS) {
        struct task *p = who ? task_find(who) : t;
        if (p)
            ret = 20 - p->tg->nice;
        return ret;
    }
    for (struct task *p = task_list_first(); p; p = task_list_next(p))
        if (prio_matches(t, p, which, who) && 20 - p->tg->nice > ret)
            ret = 20 - p->tg->nice;
    return ret;
}

/* Linux's set_one_prio(): error is the result so far (-ESRCH until a task
 * matched); a failure replaces it, a success keeps an earlier failure. */
static long set_one_prio(struct task *t, struct task *p, int nice, long error)
{
    const struct cred *c = &t->cred;
    if (p->cred.uid != c->euid && p->cred.euid != c->euid && !cred_capable(c, LINUX_CAP_SYS_NICE))
        return -LINUX_EPERM;
    /* can_nice(): lowering the nice value needs RLIMIT_NICE room
     * (20 - nice <= the limit) or CAP_SYS_NICE. */
    if (nice < p->tg->nice && (uint64_t)(20 - nice) > p->tg->rlimits[LINUX_RLIMIT_NICE].rlim_cur &&
        !cred_capable(c, LINUX_CAP_SYS_NICE))
        return -LINUX_EACCES;
    p->tg->nice = nice;
    return error == -LINUX_ESRCH ? 0 : error;
}

SYSCALL(setpriority)
{
    int which = arg_int(a, 0), who = arg_int(a, 1), nice = arg_int(a, 2);
    if (which < LINUX_PRIO_PROCESS || which > LINUX_PRIO_USER)
        return -LINUX_EINVAL;
    if (nice < NICE_MIN)
        nice = NICE_MIN;
    if (nice > NICE_MAX)
        nice = NICE_MAX;
    long error = -LINUX_ESRCH;
    if (which == LINUX_PRIO_PROCESS) {
        struct task *p = who ? task_find(who) : t;
        return p ? set_one_prio(t, p, nice, error) : error;
    }
    for (struct task *p = task_list_first(); p; p = task_list_next(p))
        if (prio_matches(t, p, which, who))
            error = set_one_prio(t, p, nice, error);
    return error;
}

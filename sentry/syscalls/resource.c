/* Resource limits (getrlimit, setrlimit, prlimit64) and usage (getrusage).
 *
 * Limits live in the thread group (tg->rlimits) and are only stored here;
 * each subsystem enforces its own (the fd table RLIMIT_NOFILE, ...).
 * RLIMIT_CPU arms no timer yet. */
#include <string.h>
#include <sys/resource.h>

#include "abi/linux/errno.h"
#include "abi/linux/resource.h"
#include "abi/linux/time.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

/* TODO(abi): move to abi/linux/resource.h. */
#define LINUX_RUSAGE_SELF 0
#define LINUX_RUSAGE_CHILDREN (-1)
#define LINUX_RUSAGE_THREAD 1

struct linux_rusage {
    struct linux_timeval ru_utime;
    struct linux_timeval ru_stime;
    int64_t ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap;
    int64_t ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
_Static_assert(sizeof(struct linux_rusage) == 144, "rusage");

/* fs.nr_open's default: the highest RLIMIT_NOFILE anyone may set. */
#define LINUX_NR_OPEN (1024 * 1024)

/* CAP_SYS_RESOURCE. TODO(creds): capability sets; until then root (euid 0)
 * holds every capability, as it does on Linux without capset(). */
static bool capable_sys_resource(const struct task *t)
{
    return t->cred.euid == 0;
}

/* Linux's do_prlimit(): checks new_lim and swaps it in for the thread
 * group's limit. new_lim and out_old may each be NULL. */
static long rlimit_swap(struct task *t, unsigned resource, const struct linux_rlimit64 *new_lim,
                        struct linux_rlimit64 *out_old)
{
    if (resource >= LINUX_RLIM_NLIMITS)
        return -LINUX_EINVAL;
    struct linux_rlimit64 *lim = &t->tg->rlimits[resource];
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
    /* TODO(processes): other processes, found in the pid table, with
     * Linux's permission check. */
    if (pid != 0 && pid != t->tid && pid != t->tg->tgid)
        return -LINUX_ESRCH;
    long ret = rlimit_swap(t, resource, unew ? &new_lim : NULL, uold ? &old_lim : NULL);
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
    long ret = rlimit_swap(t, arg_uint(a, 0), NULL, &lim);
    if (ret < 0)
        return ret;
    return copy_out(t->mm, arg_uaddr(a, 1), &lim, sizeof(lim)) < 0 ? -LINUX_EFAULT : 0;
}

SYSCALL(setrlimit)
{
    struct linux_rlimit64 lim;
    if (copy_in(t->mm, &lim, arg_uaddr(a, 1), sizeof(lim)) < 0)
        return -LINUX_EFAULT;
    return rlimit_swap(t, arg_uint(a, 0), &lim, NULL);
}

static struct linux_timeval timeval_to_linux(const struct timeval *tv)
{
    return (struct linux_timeval){.tv_sec = tv->tv_sec, .tv_usec = tv->tv_usec};
}

SYSCALL(getrusage)
{
    int who = arg_int(a, 0);
    if (who != LINUX_RUSAGE_SELF && who != LINUX_RUSAGE_CHILDREN && who != LINUX_RUSAGE_THREAD)
        return -LINUX_EINVAL;
    struct linux_rusage ru;
    memset(&ru, 0, sizeof(ru));
    /* Approximation: the CPU times of the sentry thread running the task,
     * for SELF as for THREAD (one thread per group until clone). The
     * application code the platform runs elsewhere is not counted. No
     * children are accounted yet. TODO(processes): per-task accounting. */
    if (who != LINUX_RUSAGE_CHILDREN) {
        struct rusage host;
        if (getrusage(RUSAGE_THREAD, &host) == 0) {
            ru.ru_utime = timeval_to_linux(&host.ru_utime);
            ru.ru_stime = timeval_to_linux(&host.ru_stime);
        }
    }
    return copy_out(t->mm, arg_uaddr(a, 1), &ru, sizeof(ru)) < 0 ? -LINUX_EFAULT : 0;
}

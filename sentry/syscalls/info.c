/* System and process information: uname, sysinfo, getrandom, CPU affinity,
 * and prctl (the capability options work on the cred: sentry/kernel/cred.c).
 *
 * Where the answer is about the machine (memory, CPUs, randomness) it comes
 * from the host, as seen by the sentry thread that runs the task. */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "abi/linux/capability.h"
#include "abi/linux/errno.h"
#include "abi/linux/prctl.h"
#include "abi/linux/random.h"
#include "abi/linux/signal.h"
#include "abi/linux/time.h"
#include "abi/linux/uio.h"
#include "abi/linux/utsname.h"
#include "lib/panic.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

/* x86_64 TASK_SIZE_MAX with 4-level paging: access_ok()'s limit. */
#define LINUX_TASK_SIZE_MAX 0x7ffffffff000ULL

SYSCALL(uname)
{
    const struct kernel_identity *id = &t->k->uts;
    struct linux_utsname u;
    memset(&u, 0, sizeof(u));
    _Static_assert(sizeof(u.sysname) == sizeof(id->sysname), "uts field size");
    memcpy(u.sysname, id->sysname, sizeof(u.sysname));
    memcpy(u.nodename, id->nodename, sizeof(u.nodename));
    memcpy(u.release, id->release, sizeof(u.release));
    memcpy(u.version, id->version, sizeof(u.version));
    memcpy(u.machine, id->machine, sizeof(u.machine));
    memcpy(u.domainname, id->domainname, sizeof(u.domainname));
    return copy_out(t->mm, arg_uaddr(a, 0), &u, sizeof(u)) < 0 ? -LINUX_EFAULT : 0;
}

SYSCALL(sysinfo)
{
    struct linux_sysinfo si;
    memset(&si, 0, sizeof(si));

    struct timespec now;
    SENTRY_ASSERT(clock_gettime(CLOCK_MONOTONIC, &now) == 0);
    uint64_t now_ns = (uint64_t)now.tv_sec * LINUX_NSEC_PER_SEC + (uint64_t)now.tv_nsec;
    uint64_t up_ns = now_ns > t->k->boot_ns ? now_ns - t->k->boot_ns : 0;
    /* Linux rounds the uptime up to the next second. */
    si.uptime = (int64_t)((up_ns + LINUX_NSEC_PER_SEC - 1) / LINUX_NSEC_PER_SEC);

    /* Memory figures are the host's, in bytes (mem_unit 1, as Linux reports
     * on 64-bit when the totals fit). Load averages stay 0. */
    struct sysinfo host;
    if (sysinfo(&host) == 0) {
        uint64_t unit = host.mem_unit ? host.mem_unit : 1;
        si.totalram = host.totalram * unit;
        si.freeram = host.freeram * unit;
        si.sharedram = host.sharedram * unit;
        si.bufferram = host.bufferram * unit;
        si.totalswap = host.totalswap * unit;
        si.freeswap = host.freeswap * unit;
    }
    si.procs = 1; /* TODO(processes): count the kernel's tasks */
    si.mem_unit = 1;
    return copy_out(t->mm, arg_uaddr(a, 0), &si, sizeof(si)) < 0 ? -LINUX_EFAULT : 0;
}

/* Fills buf from the host's CRNG. It never blocks: the host's CRNG is ready
 * long before a sandbox starts; if it is not, the caller gets EAGAIN. */
static long host_random(uint8_t *buf, size_t size)
{
    size_t done = 0;
    while (done < size) {
        ssize_t n = getrandom(buf + done, size - done, GRND_NONBLOCK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? -LINUX_EAGAIN : -LINUX_EIO;
        }
        done += (size_t)n;
    }
    return 0;
}

#define GETRANDOM_CHUNK (64 * 1024)

SYSCALL(getrandom)
{
    uaddr_t buf = arg_uaddr(a, 0);
    size_t len = arg_size(a, 1);
    unsigned flags = arg_uint(a, 2);
    if (flags & ~(LINUX_GRND_NONBLOCK | LINUX_GRND_RANDOM | LINUX_GRND_INSECURE))
        return -LINUX_EINVAL;
    if ((flags & (LINUX_GRND_INSECURE | LINUX_GRND_RANDOM)) ==
        (LINUX_GRND_INSECURE | LINUX_GRND_RANDOM))
        return -LINUX_EINVAL;
    if (len > (size_t)LINUX_MAX_RW_COUNT)
        len = (size_t)LINUX_MAX_RW_COUNT;
    if (buf + len < buf || buf + len > LINUX_TASK_SIZE_MAX) /* access_ok() */
        return -LINUX_EFAULT;
    if (len == 0)
        return 0;

    size_t chunk = len < GETRANDOM_CHUNK ? len : GETRANDOM_CHUNK;
    uint8_t *tmp = malloc(chunk);
    if (!tmp)
        return -LINUX_ENOMEM;
    /* Like Linux: stop at the first fault and return what was copied, or
     * -EFAULT if nothing was. */
    size_t copied = 0;
    long ret = 0;
    while (copied < len) {
        size_t n = len - copied < chunk ? len - copied : chunk;
        ret = host_random(tmp, n);
        if (ret < 0)
            break;
        size_t out = copy_out_partial(t->mm, buf + copied, tmp, n);
        copied += out;
        if (out < n) {
            ret = -LINUX_EFAULT;
            break;
        }
    }
    explicit_bzero(tmp, chunk);
    free(tmp);
    return copied ? (long)copied : ret;
}

/* The caller's own thread group, named by pid as find_task_by_vpid() does
 * (0 is the caller). TODO(processes): look other tasks up in the pid
 * table; until then they give ESRCH. */
static bool pid_is_self(const struct task *t, int pid)
{
    return pid == 0 || pid == t->tid || pid == t->tg->tgid;
}

/* Large enough for the host's cpumask whatever its nr_cpu_ids: x86_64's
 * NR_CPUS is at most 8192. */
#define CPUMASK_MAX_SIZE (8192 / 8)

/* The first size bytes of the sandbox's CPU mask (k->cpus, recorded at
 * boot), zero-padded when the host's cpumask is larger than k->cpus. */
static void sandbox_cpus(const struct task *t, uint64_t *out_mask, size_t size)
{
    size_t n = size < sizeof(t->k->cpus) ? size : sizeof(t->k->cpus);
    memset(out_mask, 0, size);
    memcpy(out_mask, t->k->cpus, n);
}

SYSCALL(sched_getaffinity)
{
    int pid = arg_int(a, 0);
    unsigned len = arg_uint(a, 1);
    uaddr_t umask = arg_uaddr(a, 2);
    /* The host kernel applies Linux's length rules (len*8 >= nr_cpu_ids,
     * a multiple of sizeof(long)) and returns min(len, cpumask size); the
     * mask itself is the sandbox's, not the (bound) sentry thread's. */
    uint64_t mask[CPUMASK_MAX_SIZE / 8];
    long size = syscall(SYS_sched_getaffinity, 0, len, mask);
    if (size < 0)
        return -LINUX_EINVAL;
    SENTRY_ASSERT((size_t)size <= sizeof(mask));
    sandbox_cpus(t, mask, (size_t)size);
    if (!pid_is_self(t, pid))
        return -LINUX_ESRCH;
    if (copy_out(t->mm, umask, mask, (size_t)size) < 0)
        return -LINUX_EFAULT;
    return size;
}

SYSCALL(sched_setaffinity)
{
    int pid = arg_int(a, 0);
    unsigned len = arg_uint(a, 1);
    uaddr_t umask = arg_uaddr(a, 2);
    uint64_t allowed[CPUMASK_MAX_SIZE / 8], mask[CPUMASK_MAX_SIZE / 8];
    memset(allowed, 0, sizeof(allowed));
    long size = syscall(SYS_sched_getaffinity, 0, sizeof(allowed), allowed);
    SENTRY_ASSERT(size > 0 && (size_t)size <= sizeof(allowed));
    sandbox_cpus(t, allowed, (size_t)size);
    /* Linux reads min(len, cpumask size) bytes; a shorter mask is padded
     * with zeros. */
    memset(mask, 0, sizeof(mask));
    size_t n = len < (size_t)size ? len : (size_t)size;
    if (copy_in(t->mm, mask, umask, n) < 0)
        return -LINUX_EFAULT;
    if (!pid_is_self(t, pid))
        return -LINUX_ESRCH;
    /* A mask with no CPU the task may run on is EINVAL; any other is
     * accepted and ignored: the sentry does not pin application threads. */
    bool any = false;
    for (size_t i = 0; i < (size_t)size / 8; i++)
        any |= (mask[i] & allowed[i]) != 0;
    return any ? 0 : -LINUX_EINVAL;
}

SYSCALL(sched_yield)
{
    (void)a;
    kernel_unlock(t->k);
    sched_yield();
    kernel_lock(t->k);
    return 0;
}

SYSCALL(getcpu)
{
    uaddr_t ucpu = arg_uaddr(a, 0), unode = arg_uaddr(a, 1);
    /* The CPU of the task's sentry thread: the ptrace platform binds it
     * and the application's stub to the same CPU. */
    unsigned cpu = 0, node = 0;
    if (getcpu(&cpu, &node) != 0)
        cpu = node = 0;
    bool fault = false;
    if (ucpu)
        fault |= copy_out(t->mm, ucpu, &cpu, sizeof(cpu)) < 0;
    if (unode)
        fault |= copy_out(t->mm, unode, &node, sizeof(node)) < 0;
    return fault ? -LINUX_EFAULT : 0;
}

/* Linux's default timer slack (PR_GET_TIMERSLACK) for a task that never
 * set one. */
#define TIMER_SLACK_DEFAULT_NS 50000

/* PR_SET_NAME: like strncpy_from_user(), read at most TASK_COMM_LEN-1 bytes,
 * faulting only if the string ends (or the limit comes) past a bad byte. */
static long prctl_set_name(struct task *t, uaddr_t uname)
{
    char comm[TASK_COMM_LEN];
    memset(comm, 0, sizeof(comm));
    size_t got = copy_in_partial(t->mm, comm, uname, TASK_COMM_LEN - 1);
    if (got < TASK_COMM_LEN - 1 && !memchr(comm, '\0', got))
        return -LINUX_EFAULT;
    comm[got] = '\0';
    memcpy(t->comm, comm, sizeof(t->comm));
    return 0;
}

SYSCALL(prctl)
{
    int option = arg_int(a, 0);
    uint64_t arg2 = arg_u64(a, 1), arg3 = arg_u64(a, 2), arg4 = arg_u64(a, 3), arg5 = arg_u64(a, 4);
    switch (option) {
    case LINUX_PR_SET_NAME:
        return prctl_set_name(t, (uaddr_t)arg2);
    case LINUX_PR_GET_NAME: {
        char comm[TASK_COMM_LEN];
        memcpy(comm, t->comm, sizeof(comm));
        comm[TASK_COMM_LEN - 1] = '\0';
        return copy_out(t->mm, (uaddr_t)arg2, comm, sizeof(comm)) < 0 ? -LINUX_EFAULT : 0;
    }
    case LINUX_PR_SET_NO_NEW_PRIVS:
        if (arg2 != 1 || arg3 || arg4 || arg5)
            return -LINUX_EINVAL;
        t->no_new_privs = true;
        return 0;
    case LINUX_PR_GET_NO_NEW_PRIVS:
        if (arg2 || arg3 || arg4 || arg5)
            return -LINUX_EINVAL;
        return t->no_new_privs ? 1 : 0;
    case LINUX_PR_SET_DUMPABLE:
        /* SUID_DUMP_DISABLE (0) or SUID_DUMP_USER (1); 2 is kernel-only. */
        if (arg2 != 0 && arg2 != 1)
            return -LINUX_EINVAL;
        t->undumpable = arg2 == 0;
        return 0;
    case LINUX_PR_GET_DUMPABLE:
        return t->undumpable ? 0 : 1;
    case LINUX_PR_SET_PDEATHSIG:
        if (arg2 > LINUX_NSIG) /* valid_signal(): 0 clears it */
            return -LINUX_EINVAL;
        t->pdeath_signal = (int)arg2;
        return 0;
    case LINUX_PR_GET_PDEATHSIG: {
        int32_t sig = t->pdeath_signal;
        return copy_out(t->mm, (uaddr_t)arg2, &sig, sizeof(sig)) < 0 ? -LINUX_EFAULT : 0;
    }
    /* The capability options (Linux's cap_task_prctl, which sees them
     * first: no check of the unused arguments unless it makes one). */
    case LINUX_PR_CAPBSET_READ:
        if (arg2 > LINUX_CAP_LAST_CAP)
            return -LINUX_EINVAL;
        return (long)(cred_cap_bset(&t->cred) >> arg2 & 1);
    case LINUX_PR_CAPBSET_DROP:
        return cred_prctl_capbset_drop(&t->cred, arg2);
    case LINUX_PR_CAP_AMBIENT:
        return cred_prctl_cap_ambient(&t->cred, arg2, arg3, arg4, arg5);
    case LINUX_PR_GET_KEEPCAPS:
        return (t->cred.securebits & LINUX_SECBIT_KEEP_CAPS) != 0;
    case LINUX_PR_SET_KEEPCAPS:
        return cred_prctl_set_keepcaps(&t->cred, arg2);
    case LINUX_PR_GET_SECUREBITS:
        return t->cred.securebits;
    case LINUX_PR_SET_SECUREBITS:
        return cred_prctl_set_securebits(&t->cred, arg2);
    case LINUX_PR_SET_CHILD_SUBREAPER:
        /* Orphans are reparented to the nearest live subreaper
         * (sentry/kernel/process.c). */
        t->tg->child_subreaper = arg2 != 0;
        return 0;
    case LINUX_PR_GET_CHILD_SUBREAPER: {
        int32_t v = t->tg->child_subreaper;
        return copy_out(t->mm, (uaddr_t)arg2, &v, sizeof(v)) < 0 ? -LINUX_EFAULT : 0;
    }
    case LINUX_PR_SET_TIMERSLACK:
        /* Stored only: the sentry's timers do not batch wake-ups. 0 goes
         * back to the default. */
        t->timer_slack_ns = arg2;
        return 0;
    case LINUX_PR_GET_TIMERSLACK:
        return t->timer_slack_ns ? (long)t->timer_slack_ns : TIMER_SLACK_DEFAULT_NS;
    case LINUX_PR_GET_TID_ADDRESS: {
        uint64_t addr = t->clear_child_tid;
        return copy_out(t->mm, (uaddr_t)arg2, &addr, sizeof(addr)) < 0 ? -LINUX_EFAULT : 0;
    }
    default:
        return -LINUX_EINVAL;
    }
}

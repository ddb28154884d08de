/* Process syscalls: exit, ids, TLS and thread
 * bookkeeping, fork/vfork/clone, wait4/waitid, sessions and groups. */
#include <string.h>

#include "abi/linux/prctl.h"
#include "abi/linux/resource.h"
#include "abi/linux/signal.h"
#include "platform/platform.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

SYSCALL(exit)
{
    task_exit(t, (arg_int(a, 0) & 0xff) << 8, false);
    return 0;
}

SYSCALL(exit_group)
{
    task_exit(t, (arg_int(a, 0) & 0xff) << 8, true);
    return 0;
}

SYSCALL(getpid)
{
    (void)a;
    return t->tg->tgid;
}

SYSCALL(getppid)
{
    (void)a;
    return t->tg->ppid;
}

SYSCALL(gettid)
{
    (void)a;
    return t->tid;
}

SYSCALL(set_tid_address)
{
    t->clear_child_tid = arg_uaddr(a, 0);
    return t->tid;
}

/* struct robust_list_head: three words. */
#define ROBUST_LIST_HEAD_SIZE 24

SYSCALL(set_robust_list)
{
    if (arg_size(a, 1) != ROBUST_LIST_HEAD_SIZE)
        return -LINUX_EINVAL;
    t->robust_list = arg_uaddr(a, 0);
    t->robust_list_len = arg_size(a, 1);
    return 0;
}

SYSCALL(get_robust_list)
{
    int pid = arg_int(a, 0);
    if (pid != 0 && pid != t->tid)
        return -LINUX_ESRCH;
    uint64_t head = t->robust_list, len = ROBUST_LIST_HEAD_SIZE;
    if (copy_out(t->mm, arg_uaddr(a, 2), &len, sizeof(len)) < 0 ||
        copy_out(t->mm, arg_uaddr(a, 1), &head, sizeof(head)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(arch_prctl)
{
    int code = arg_int(a, 0);
    uint64_t addr = arg_u64(a, 1);
    switch (code) {
    case LINUX_ARCH_SET_FS:
    case LINUX_ARCH_SET_GS:
        if (addr >= PF_TASK_SIZE)
            return -LINUX_EPERM;
        if (code == LINUX_ARCH_SET_FS)
            t->cpu.regs.fs_base = addr;
        else
            t->cpu.regs.gs_base = addr;
        t->cpu.regs_dirty = true;
        return 0;
    case LINUX_ARCH_GET_FS:
    case LINUX_ARCH_GET_GS: {
        uint64_t v = code == LINUX_ARCH_GET_FS ? t->cpu.regs.fs_base : t->cpu.regs.gs_base;
        return copy_out(t->mm, addr, &v, sizeof(v)) < 0 ? -LINUX_EFAULT : 0;
    }
    case LINUX_ARCH_GET_CPUID:
        return 1; /* cpuid is not trapped */
    case LINUX_ARCH_SET_CPUID:
        return addr ? 0 : -LINUX_ENODEV;
    default:
        return -LINUX_EINVAL;
    }
}

/* fork family and wait (sentry/kernel/process.c does the work). */

#define SYS_CLONE_VM 0x00000100ULL
#define SYS_CLONE_VFORK 0x00004000ULL
#define SYS_SIGCHLD 17

SYSCALL(fork)
{
    (void)a;
    return task_fork(t, SYS_SIGCHLD, 0, 0, 0, 0, 0);
}

SYSCALL(vfork)
{
    (void)a;
    return task_fork(t, SYS_CLONE_VM | SYS_CLONE_VFORK | SYS_SIGCHLD, 0, 0, 0, 0, 0);
}

/* x86_64 order: flags, stack, parent_tid, child_tid, tls. */
SYSCALL(clone)
{
    /* Only the low 32 bits are clone's flags (and exit signal). With
     * CLONE_PIDFD the fd goes where parent_tid points. */
    uint64_t flags = arg_u64(a, 0) & 0xffffffffULL;
    return task_fork(t, flags, arg_uaddr(a, 1), arg_uaddr(a, 2), arg_uaddr(a, 3), arg_u64(a, 4),
                     arg_uaddr(a, 2));
}

/* struct clone_args (include/uapi/linux/sched.h), up to CLONE_ARGS_SIZE_VER2. */
struct linux_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_ARGS_SIZE_MAX 4096 /* PAGE_SIZE */
#define CLONE3_FLAGS_KNOWN 0x3fffffff00ULL /* every CLONE_* flag of Linux 6.1 */

SYSCALL(clone3)
{
    uaddr_t uargs = arg_uaddr(a, 0);
    size_t size = arg_size(a, 1);
    if (size < CLONE_ARGS_SIZE_VER0)
        return -LINUX_EINVAL;
    if (size > CLONE_ARGS_SIZE_MAX)
        return -LINUX_E2BIG;
    struct linux_clone_args ca;
    memset(&ca, 0, sizeof(ca));
    size_t known = size < sizeof(ca) ? size : sizeof(ca);
    if (copy_in(t->mm, &ca, uargs, known) < 0)
        return -LINUX_EFAULT;
    /* copy_struct_from_user: a larger struct's unknown tail must be zero. */
    for (size_t off = known; off < size; off += 8) {
        uint8_t tail[8] = {0};
        size_t n = size - off < 8 ? size - off : 8;
        if (copy_in(t->mm, tail, uargs + off, n) < 0)
            return -LINUX_EFAULT;
        for (size_t i = 0; i < n; i++)
            if (tail[i])
                return -LINUX_E2BIG;
    }
    /* clone3_args_valid. */
    if ((ca.flags & 0xff) || (ca.flags & ~CLONE3_FLAGS_KNOWN) || ca.exit_signal > 64 ||
        (!ca.stack && ca.stack_size) || (ca.stack && !ca.stack_size))
        return -LINUX_EINVAL;
    if (ca.set_tid || ca.set_tid_size)
        return ca.set_tid_size > 32 ? -LINUX_EINVAL : -LINUX_EPERM; /* no pid namespaces */
    if (ca.flags & 0x200000000ULL) /* CLONE_INTO_CGROUP: no cgroups */
        return -LINUX_EBADF;
    uint64_t stack = ca.stack ? ca.stack + ca.stack_size : 0;
    return task_fork(t, ca.flags | ca.exit_signal, stack, ca.parent_tid, ca.child_tid, ca.tls,
                     ca.pidfd);
}

#define W_NOHANG 0x00000001
#define W_UNTRACED 0x00000002
#define W_EXITED 0x00000004
#define W_CONTINUED 0x00000008
#define W_NOWAIT 0x01000000
#define W_NOTHREAD 0x20000000
#define W_ALL 0x40000000
#define W_CLONE 0x80000000

/* The rusage wait4/waitid report: the reaped child's times. */
static long put_child_rusage(struct task *t, uaddr_t urusage, const struct task_wait_result *r)
{
    struct linux_rusage ru;
    memset(&ru, 0, sizeof(ru));
    ru.ru_utime.tv_sec = (int64_t)(r->utime_ns / 1000000000ULL);
    ru.ru_utime.tv_usec = (int64_t)(r->utime_ns % 1000000000ULL / 1000);
    ru.ru_stime.tv_sec = (int64_t)(r->stime_ns / 1000000000ULL);
    ru.ru_stime.tv_usec = (int64_t)(r->stime_ns % 1000000000ULL / 1000);
    return copy_out(t->mm, urusage, &ru, sizeof(ru)) < 0 ? -LINUX_EFAULT : 0;
}

SYSCALL(wait4)
{
    linux_pid_t pid = arg_int(a, 0);
    uaddr_t ustatus = arg_uaddr(a, 1);
    int options = arg_int(a, 2);
    uaddr_t urusage = arg_uaddr(a, 3);
    if (options & ~(W_NOHANG | W_UNTRACED | W_CONTINUED | W_NOTHREAD | W_ALL | W_CLONE))
        return -LINUX_EINVAL;
    if (pid == INT32_MIN)
        return -LINUX_ESRCH;
    struct task_wait_result r = {0};
    long ret = task_wait(t, pid, options | W_EXITED, false, &r);
    if (ret > 0) {
        int32_t st = r.status;
        if (ustatus && copy_out(t->mm, ustatus, &st, sizeof(st)) < 0)
            return -LINUX_EFAULT;
        if (urusage && put_child_rusage(t, urusage, &r) < 0)
            return -LINUX_EFAULT;
    }
    return ret;
}

#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define P_PIDFD 3

SYSCALL(waitid)
{
    int idtype = arg_int(a, 0);
    int id = arg_int(a, 1);
    uaddr_t uinfo = arg_uaddr(a, 2);
    int options = arg_int(a, 3);
    uaddr_t urusage = arg_uaddr(a, 4);
    if (options &
        ~(W_NOHANG | W_UNTRACED | W_EXITED | W_CONTINUED | W_NOWAIT | W_NOTHREAD | W_ALL | W_CLONE))
        return -LINUX_EINVAL;
    if (!(options & (W_EXITED | W_UNTRACED | W_CONTINUED)))
        return -LINUX_EINVAL;
    linux_pid_t pid;
    switch (idtype) {
    case P_ALL:
        pid = -1;
        break;
    case P_PID:
        if (id <= 0)
            return -LINUX_EINVAL;
        pid = id;
        break;
    case P_PGID:
        if (id < 0)
            return -LINUX_EINVAL;
        pid = id ? -id : 0;
        break;
    case P_PIDFD:
        pid = pidfd_pid(t, id);
        if (pid < 0)
            return pid;
        break;
    default:
        return -LINUX_EINVAL;
    }
    struct task_wait_result r = {0};
    long ret = task_wait(t, pid, options, (options & W_NOWAIT) != 0, &r);
    if (ret < 0)
        return ret;
    struct linux_siginfo info;
    memset(&info, 0, sizeof(info));
    if (ret > 0) {
        info.si_signo = LINUX_SIGCHLD;
        info.si_code = r.code;
        info.f.chld.pid = r.pid;
        info.f.chld.uid = r.uid;
        info.f.chld.status = r.signo;
    }
    if (uinfo && copy_out(t->mm, uinfo, &info, sizeof(info)) < 0)
        return -LINUX_EFAULT;
    if (urusage && put_child_rusage(t, urusage, &r) < 0)
        return -LINUX_EFAULT;
    return 0;
}

/* Sessions and process groups: the ids only (no job control yet). */

static struct task *proc_lookup(struct task *t, linux_pid_t pid)
{
    if (pid == 0)
        return t;
    struct task *p = task_find(pid);
    return p && !p->zombie ? p : NULL;
}

SYSCALL(getpgid)
{
    int pid = arg_int(a, 0);
    if (pid < 0)
        return -LINUX_ESRCH;
    struct task *p = proc_lookup(t, pid);
    return p ? p->tg->pgid : -LINUX_ESRCH;
}

SYSCALL(getpgrp)
{
    (void)a;
    return t->tg->pgid;
}

SYSCALL(getsid)
{
    int pid = arg_int(a, 0);
    if (pid < 0)
        return -LINUX_ESRCH;
    struct task *p = proc_lookup(t, pid);
    return p ? p->tg->sid : -LINUX_ESRCH;
}

SYSCALL(setsid)
{
    (void)a;
    linux_pid_t me = t->tg->tgid;
    for (struct task *p = task_list_first(); p; p = task_list_next(p))
        if (p->tg->pgid == me)
            return -LINUX_EPERM; /* a group leader, or its id is a group's */
    t->tg->sid = t->tg->pgid = me;
    return me;
}

SYSCALL(setpgid)
{
    int pid = arg_int(a, 0);
    int pgid = arg_int(a, 1);
    if (pgid < 0 || pid < 0)
        return -LINUX_EINVAL;
    struct task *p = pid ? task_find(pid) : t;
    if (!p || p->zombie || (p != t && p->tg->ppid != t->tg->tgid))
        return -LINUX_ESRCH;
    if (p != t && p->tg->sid != t->tg->sid)
        return -LINUX_EPERM;
    if (p->tg->sid == p->tg->tgid)
        return -LINUX_EPERM; /* a session leader */
    if (!pgid)
        pgid = p->tg->tgid;
    if (pgid != p->tg->tgid) {
        bool found = false;
        for (struct task *q = task_list_first(); q; q = task_list_next(q))
            if (!q->zombie && q->tg->pgid == pgid && q->tg->sid == t->tg->sid)
                found = true;
        if (!found)
            return -LINUX_EPERM;
    }
    p->tg->pgid = pgid;
    return 0;
}

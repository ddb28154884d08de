/* Process syscalls of the first slice: exit, ids, TLS and thread
 * bookkeeping. fork/clone/execve/wait come with the processes issue. */
#include "abi/linux/prctl.h"
#include "platform/platform.h"
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

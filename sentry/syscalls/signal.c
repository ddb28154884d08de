/* Signal state syscalls: actions, the blocked mask, the alternate stack,
 * the pending set.
 *
 * This is the bookkeeping half of signals: what the application sets is
 * stored and read back exactly as Linux does. Nothing is queued or delivered
 * yet (that is the signals issue), so the pending set is always empty and
 * unblocking a signal or ignoring it has nothing to flush. */
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

/* The kernel's sigset_t on x86_64: the only sigsetsize Linux accepts. */
#define LINUX_SIGSET_SIZE 8

/* The sa_flags bits the kernel keeps (UAPI_SA_FLAGS on x86_64); others are
 * cleared so the application can probe for support (SA_UNSUPPORTED). */
#define LINUX_SA_UAPI_FLAGS                                                                        \
    (LINUX_SA_NOCLDSTOP | LINUX_SA_NOCLDWAIT | LINUX_SA_SIGINFO | LINUX_SA_ONSTACK |               \
     LINUX_SA_RESTART | LINUX_SA_NODEFER | LINUX_SA_RESETHAND | LINUX_SA_EXPOSE_TAGBITS |          \
     LINUX_SA_RESTORER)

/* do_sigaction(): sets and/or reads the action of sig (already checked to
 * be 1..64, and not SIGKILL/SIGSTOP when act is set).
 * TODO(signals): move to sentry/kernel/signal.c, and flush the signal from
 * the pending sets when the new action ignores it. */
static void sigaction_swap(struct task *t, int sig, const struct linux_sigaction *act,
                           struct linux_sigaction *out_old)
{
    struct linux_sigaction *k = &t->tg->sigactions[sig - 1];
    if (out_old) {
        *out_old = *k;
        out_old->flags &= LINUX_SA_UAPI_FLAGS;
    }
    if (act) {
        *k = *act;
        k->flags &= LINUX_SA_UAPI_FLAGS;
        k->mask &= ~LINUX_SIG_UNBLOCKABLE;
    }
}

SYSCALL(rt_sigaction)
{
    int sig = arg_int(a, 0);
    uaddr_t uact = arg_uaddr(a, 1), uoact = arg_uaddr(a, 2);
    if (arg_size(a, 3) != LINUX_SIGSET_SIZE)
        return -LINUX_EINVAL;
    struct linux_sigaction act, oact;
    if (uact && copy_in(t->mm, &act, uact, sizeof(act)) < 0)
        return -LINUX_EFAULT;
    if (sig < 1 || sig > LINUX_NSIG)
        return -LINUX_EINVAL;
    if (uact && (sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP))
        return -LINUX_EINVAL;
    sigaction_swap(t, sig, uact ? &act : NULL, uoact ? &oact : NULL);
    /* As in Linux, a fault here leaves the new action in place. */
    if (uoact && copy_out(t->mm, uoact, &oact, sizeof(oact)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(rt_sigprocmask)
{
    int how = arg_int(a, 0);
    uaddr_t uset = arg_uaddr(a, 1), uoset = arg_uaddr(a, 2);
    if (arg_size(a, 3) != LINUX_SIGSET_SIZE)
        return -LINUX_EINVAL;
    uint64_t old = t->sigmask;
    if (uset) {
        uint64_t set;
        if (copy_in(t->mm, &set, uset, sizeof(set)) < 0)
            return -LINUX_EFAULT;
        set &= ~LINUX_SIG_UNBLOCKABLE;
        /* how is checked only when there is a set, as in Linux. */
        switch (how) {
        case LINUX_SIG_BLOCK:
            t->sigmask |= set;
            break;
        case LINUX_SIG_UNBLOCK:
            t->sigmask &= ~set;
            break;
        case LINUX_SIG_SETMASK:
            t->sigmask = set;
            break;
        default:
            return -LINUX_EINVAL;
        }
        /* TODO(signals): deliver what the new mask unblocks. */
    }
    if (uoset && copy_out(t->mm, uoset, &old, sizeof(old)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

/* on_sig_stack(): is sp on the task's alternate stack? Never with
 * SS_AUTODISARM, which disarms the stack while a handler runs on it. */
static bool on_sig_stack(const struct task *t, uint64_t sp)
{
    const struct linux_stack_t *ss = &t->altstack;
    if ((uint32_t)ss->ss_flags & LINUX_SS_AUTODISARM)
        return false;
    return sp > ss->ss_sp && sp - ss->ss_sp <= ss->ss_size;
}

SYSCALL(sigaltstack)
{
    uaddr_t uss = arg_uaddr(a, 0), uoss = arg_uaddr(a, 1);
    /* The application's stack pointer at the syscall. */
    uint64_t sp = t->cpu.regs.rsp;
    struct linux_stack_t ss, oss;
    if (uss && copy_in(t->mm, &ss, uss, sizeof(ss)) < 0)
        return -LINUX_EFAULT;
    if (uoss) {
        memset(&oss, 0, sizeof(oss));
        oss.ss_sp = t->altstack.ss_sp;
        oss.ss_size = t->altstack.ss_size;
        int32_t state = t->altstack.ss_size == 0 ? LINUX_SS_DISABLE
                        : on_sig_stack(t, sp)    ? LINUX_SS_ONSTACK
                                                 : 0;
        oss.ss_flags =
            (int32_t)((uint32_t)state | ((uint32_t)t->altstack.ss_flags & LINUX_SS_AUTODISARM));
    }
    if (uss) {
        if (on_sig_stack(t, sp))
            return -LINUX_EPERM;
        uint32_t flags = (uint32_t)ss.ss_flags;
        uint32_t mode = flags & ~LINUX_SS_AUTODISARM;
        /* SS_ONSTACK is accepted as a mode for old programs: it means 0. */
        if (mode != LINUX_SS_DISABLE && mode != LINUX_SS_ONSTACK && mode != 0)
            return -LINUX_EINVAL;
        /* Linux returns early, before the size check, when nothing changes;
         * a new process's state is all zero, so {0, 0, 0} succeeds. */
        bool same = t->altstack.ss_sp == ss.ss_sp && t->altstack.ss_size == ss.ss_size &&
                    (uint32_t)t->altstack.ss_flags == flags;
        if (!same) {
            if (mode == LINUX_SS_DISABLE) {
                ss.ss_sp = 0;
                ss.ss_size = 0;
            } else if (ss.ss_size < LINUX_MINSIGSTKSZ) {
                /* TODO(signals): also ENOMEM below the signal frame size
                 * when the task uses dynamically enabled xstate (AMX). */
                return -LINUX_ENOMEM;
            }
            t->altstack.ss_sp = ss.ss_sp;
            t->altstack.ss_size = ss.ss_size;
            t->altstack.ss_flags = (int32_t)flags;
        }
    }
    if (uoss && copy_out(t->mm, uoss, &oss, sizeof(oss)) < 0)
        return -LINUX_EFAULT;
    return 0;
}

SYSCALL(rt_sigpending)
{
    size_t size = arg_size(a, 1);
    if (size > LINUX_SIGSET_SIZE)
        return -LINUX_EINVAL;
    /* (pending | shared pending) & blocked: nothing is ever pending yet. */
    uint64_t pending = 0;
    if (copy_out(t->mm, arg_uaddr(a, 0), &pending, size) < 0)
        return -LINUX_EFAULT;
    return 0;
}

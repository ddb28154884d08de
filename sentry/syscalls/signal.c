/* Signal syscalls: actions, the blocked mask, the alternate stack, the
 * pending set, sending (kill, tkill, tgkill, rt_sigqueueinfo...), waiting
 * (rt_sigsuspend, rt_sigtimedwait, pause) and rt_sigreturn. Queues and
 * delivery are sentry/kernel/signal.c's. */
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/timer.h"

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
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
 * be 1..64, and not SIGKILL/SIGSTOP when act is set). An action that
 * ignores the signal discards what is pending of it, in every thread. */
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
        if (signal_ignored(t->tg, sig))
            signal_discard(t->tg, sig);
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
        /* how is checked only when there is a set, as in Linux. */
        switch (how) {
        case LINUX_SIG_BLOCK:
            signal_set_mask(t, old | set);
            break;
        case LINUX_SIG_UNBLOCK:
            signal_set_mask(t, old & ~set);
            break;
        case LINUX_SIG_SETMASK:
            signal_set_mask(t, set);
            break;
        default:
            return -LINUX_EINVAL;
        }
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
    uint64_t pending = (t->pending.set | t->tg->shared_pending.set) & t->sigmask;
    if (copy_out(t->mm, arg_uaddr(a, 0), &pending, size) < 0)
        return -LINUX_EFAULT;
    return 0;
}

/* --- sending --- */

/* kill_ok_by_cred(): root in the sandbox, or a uid of the sender's matching
 * the target's real or saved uid. SIGCONT within a session is always
 * allowed. */
static bool may_signal(const struct task *t, const struct task *target, int sig)
{
    const struct cred *s = &t->cred, *d = &target->cred;
    if (t->tg == target->tg || s->euid == 0)
        return true;
    if (s->euid == d->suid || s->euid == d->uid || s->uid == d->suid || s->uid == d->uid)
        return true;
    return sig == LINUX_SIGCONT && t->tg->sid == target->tg->sid;
}

/* Sends sig (0: only the checks) to process target with info. */
static long send_to_process(struct task *t, struct task *target, int sig,
                            const struct linux_siginfo *info)
{
    if (!may_signal(t, target, sig))
        return -LINUX_EPERM;
    if (sig == 0 || target->tg->zombie)
        return 0;
    return signal_send_group(target->tg, sig, info);
}

SYSCALL(kill)
{
    linux_pid_t pid = arg_int(a, 0);
    int sig = arg_int(a, 1);
    if (sig < 0 || sig > LINUX_NSIG)
        return -LINUX_EINVAL;
    struct linux_siginfo info = signal_info_user(t, sig, LINUX_SI_USER);
    if (pid > 0) {
        /* A zombie can still be signalled (to no effect), until reaped. */
        struct task *target = task_find(pid);
        if (!target || (target->zombie && target->tg->leader != target))
            return -LINUX_ESRCH;
        return send_to_process(t, target->tg->leader, sig, &info);
    }
    if (pid == INT32_MIN)
        return -LINUX_ESRCH;
    /* A process group (0: the caller's) or, for -1, every process but
     * pid 1 and the caller's own. */
    linux_pid_t pgid = pid == 0 ? t->tg->pgid : -pid;
    long ret = -LINUX_ESRCH;
    bool any_ok = false;
    for (struct task *c = task_list_first(); c; c = task_list_next(c)) {
        if (c->tg->leader != c || c->tg->zombie)
            continue;
        if (pid == -1) {
            if (c->tg->tgid == 1 || c->tg == t->tg)
                continue;
        } else if (c->tg->pgid != pgid) {
            continue;
        }
        long r = send_to_process(t, c, sig, &info);
        if (r == 0)
            any_ok = true;
        else if (!any_ok)
            ret = r;
    }
    return any_ok ? 0 : ret;
}

static long send_to_thread(struct task *t, linux_pid_t tgid, linux_pid_t tid, int sig,
                           const struct linux_siginfo *info)
{
    if (tid <= 0 || sig < 0 || sig > LINUX_NSIG)
        return -LINUX_EINVAL;
    struct task *target = task_find(tid);
    if (!target || target->zombie || (tgid > 0 && target->tg->tgid != tgid))
        return -LINUX_ESRCH;
    if (!may_signal(t, target, sig))
        return -LINUX_EPERM;
    if (sig == 0)
        return 0;
    return signal_send_thread(target, sig, info);
}

SYSCALL(tkill)
{
    int sig = arg_int(a, 1);
    struct linux_siginfo info = signal_info_user(t, sig, LINUX_SI_TKILL);
    return send_to_thread(t, 0, arg_int(a, 0), sig, &info);
}

SYSCALL(tgkill)
{
    linux_pid_t tgid = arg_int(a, 0);
    if (tgid <= 0)
        return -LINUX_EINVAL;
    int sig = arg_int(a, 2);
    struct linux_siginfo info = signal_info_user(t, sig, LINUX_SI_TKILL);
    return send_to_thread(t, tgid, arg_int(a, 1), sig, &info);
}

/* The siginfo of rt_[tg]sigqueueinfo: the application's, except that only
 * a process signalling itself may pose as the kernel or as tkill. */
static long queueinfo_in(struct task *t, uaddr_t uinfo, int sig, bool self,
                         struct linux_siginfo *out)
{
    if (copy_in(t->mm, out, uinfo, sizeof(*out)) < 0)
        return -LINUX_EFAULT;
    if ((out->si_code >= 0 || out->si_code == LINUX_SI_TKILL) && !self)
        return -LINUX_EPERM;
    out->si_signo = sig;
    return 0;
}

SYSCALL(rt_sigqueueinfo)
{
    linux_pid_t pid = arg_int(a, 0);
    int sig = arg_int(a, 1);
    struct linux_siginfo info;
    long err = queueinfo_in(t, arg_uaddr(a, 2), sig, pid == t->tg->tgid, &info);
    if (err)
        return err;
    if (sig < 0 || sig > LINUX_NSIG)
        return -LINUX_EINVAL;
    if (pid <= 0)
        return -LINUX_ESRCH;
    struct task *target = task_find(pid);
    if (!target || target->tg->zombie)
        return -LINUX_ESRCH;
    return send_to_process(t, target->tg->leader, sig, &info);
}

SYSCALL(rt_tgsigqueueinfo)
{
    linux_pid_t tgid = arg_int(a, 0), tid = arg_int(a, 1);
    int sig = arg_int(a, 2);
    if (tgid <= 0 || tid <= 0)
        return -LINUX_EINVAL;
    struct linux_siginfo info;
    long err = queueinfo_in(t, arg_uaddr(a, 3), sig, tgid == t->tg->tgid, &info);
    if (err)
        return err;
    return send_to_thread(t, tgid, tid, sig, &info);
}

/* --- waiting --- */

/* Sleeps until a signal the task does not block is pending. */
static long sleep_for_signal(struct task *t)
{
    while (!signal_pending(t) && !t->exiting) {
        int err = task_block(t, NULL);
        if (err == -LINUX_ERESTARTSYS)
            break;
    }
    return -LINUX_ERESTARTNOHAND;
}

SYSCALL(pause)
{
    (void)a;
    return sleep_for_signal(t);
}

SYSCALL(rt_sigsuspend)
{
    if (arg_size(a, 1) != LINUX_SIGSET_SIZE)
        return -LINUX_EINVAL;
    uint64_t mask;
    if (copy_in(t->mm, &mask, arg_uaddr(a, 0), sizeof(mask)) < 0)
        return -LINUX_EFAULT;
    signal_set_temporary_mask(t, mask);
    return sleep_for_signal(t);
}

SYSCALL(rt_sigtimedwait)
{
    uaddr_t uset = arg_uaddr(a, 0), uinfo = arg_uaddr(a, 1), uts = arg_uaddr(a, 2);
    if (arg_size(a, 3) != LINUX_SIGSET_SIZE)
        return -LINUX_EINVAL;
    uint64_t set;
    if (copy_in(t->mm, &set, uset, sizeof(set)) < 0)
        return -LINUX_EFAULT;
    set &= ~LINUX_SIG_UNBLOCKABLE;
    struct linux_timespec deadline, *dl = NULL;
    if (uts) {
        struct linux_timespec ts;
        if (copy_in(t->mm, &ts, uts, sizeof(ts)) < 0)
            return -LINUX_EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= LINUX_NSEC_PER_SEC)
            return -LINUX_EINVAL;
        int64_t ns = ts.tv_sec > INT64_MAX / LINUX_NSEC_PER_SEC - 1
                         ? INT64_MAX
                         : ts.tv_sec * LINUX_NSEC_PER_SEC + ts.tv_nsec;
        deadline = waitqueue_deadline_after(ns);
        dl = &deadline;
    }
    struct linux_siginfo info;
    int sig = signal_dequeue(t, set, &info);
    if (!sig && !(dl && dl->tv_sec == 0 && dl->tv_nsec == 0)) {
        /* Wait with the awaited signals unblocked, so that their arrival
         * interrupts the sleep; they are taken here, not delivered. */
        uint64_t saved = t->sigmask;
        t->sigwait_set = set;
        signal_set_mask(t, saved & ~set);
        long err = 0;
        while (!signal_pending(t) && err == 0)
            err = task_block(t, dl);
        sig = signal_dequeue(t, set, &info);
        t->sigwait_set = 0;
        signal_set_mask(t, saved);
        if (!sig)
            return err == -LINUX_ETIMEDOUT ? -LINUX_EAGAIN : -LINUX_EINTR;
    }
    if (!sig)
        return -LINUX_EAGAIN;
    if (uinfo && copy_out(t->mm, uinfo, &info, sizeof(info)) < 0)
        return -LINUX_EFAULT;
    return sig;
}

SYSCALL(rt_sigreturn)
{
    (void)a;
    return signal_return(t);
}

SYSCALL(restart_syscall)
{
    (void)a;
    long (*fn)(struct task *) = t->restart_fn;
    t->restart_fn = NULL;
    return fn ? fn(t) : -LINUX_EINTR;
}

/* --- pidfds --- */

SYSCALL(pidfd_open)
{
    linux_pid_t pid = arg_int(a, 0);
    unsigned flags = (unsigned)arg_u64(a, 1);
    if (flags & ~(unsigned)LINUX_O_NONBLOCK)
        return -LINUX_EINVAL;
    if (pid <= 0)
        return -LINUX_EINVAL;
    struct task *p = task_find(pid);
    /* Only thread-group leaders (PIDFD_THREAD is newer than 6.1). */
    if (!p || p->tg->zombie || p->tg->leader != p)
        return p && p->tg->leader != p ? -LINUX_ENOENT : -LINUX_ESRCH;
    return pidfd_install(t, pid, (int)flags);
}

SYSCALL(pidfd_send_signal)
{
    int sig = arg_int(a, 1);
    uaddr_t uinfo = arg_uaddr(a, 2);
    if (arg_u64(a, 3) != 0)
        return -LINUX_EINVAL;
    linux_pid_t pid = pidfd_pid(t, arg_int(a, 0));
    if (pid < 0)
        return pid;
    if (sig < 0 || sig > LINUX_NSIG)
        return -LINUX_EINVAL;
    struct task *p = task_find(pid);
    if (!p || p->tg->zombie)
        return -LINUX_ESRCH;
    struct linux_siginfo info;
    if (uinfo) {
        long err = queueinfo_in(t, uinfo, sig, p->tg == t->tg, &info);
        if (err)
            return err;
    } else {
        info = signal_info_user(t, sig, LINUX_SI_USER);
    }
    return send_to_process(t, p->tg->leader, sig, &info);
}

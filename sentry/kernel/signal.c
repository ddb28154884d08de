/* Signals: pending queues, sending, delivery, default actions, job-control
 * stops and the syscall restart rules (see signal.h).
 *
 * Delivery happens on the task's own thread, in the task loop, after each
 * syscall, fault or interruption (signal_deliver). A signal sent to a task
 * running application code interrupts it through the platform, so the loop
 * comes round quickly.
 *
 * The frame a handler starts with is Linux's x86_64 rt_sigframe: the
 * return address (sa_restorer), a ucontext with the interrupted registers
 * and mask, the siginfo, and above them the XSAVE image of the FPU state;
 * rt_sigreturn restores all of it from the application stack, so a handler
 * may edit what it returns to.
 *
 * Lock order: the kernel lock covers everything here. */
#include "sentry/kernel/signal.h"

#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/unistd_64.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "platform/platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/process.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"

#define SIG_BIT(sig) (1ULL << ((sig) - 1))

/* Default actions (Linux's sig_kernel_* sets). */
#define SIG_DEFAULT_IGNORE                                                                         \
    (SIG_BIT(LINUX_SIGCHLD) | SIG_BIT(LINUX_SIGURG) | SIG_BIT(LINUX_SIGWINCH) |                    \
     SIG_BIT(LINUX_SIGCONT))
#define SIG_DEFAULT_STOP                                                                           \
    (SIG_BIT(LINUX_SIGSTOP) | SIG_BIT(LINUX_SIGTSTP) | SIG_BIT(LINUX_SIGTTIN) |                    \
     SIG_BIT(LINUX_SIGTTOU))
#define SIG_DEFAULT_COREDUMP                                                                       \
    (SIG_BIT(LINUX_SIGQUIT) | SIG_BIT(LINUX_SIGILL) | SIG_BIT(LINUX_SIGTRAP) |                     \
     SIG_BIT(LINUX_SIGABRT) | SIG_BIT(LINUX_SIGBUS) | SIG_BIT(LINUX_SIGFPE) |                      \
     SIG_BIT(LINUX_SIGSEGV) | SIG_BIT(LINUX_SIGXCPU) | SIG_BIT(LINUX_SIGXFSZ) |                    \
     SIG_BIT(LINUX_SIGSYS))
/* Signals raised by the faulting instruction itself: dequeued first. */
#define SIG_SYNCHRONOUS                                                                            \
    (SIG_BIT(LINUX_SIGSEGV) | SIG_BIT(LINUX_SIGBUS) | SIG_BIT(LINUX_SIGILL) |                      \
     SIG_BIT(LINUX_SIGTRAP) | SIG_BIT(LINUX_SIGFPE) | SIG_BIT(LINUX_SIGSYS))

/* The eflags bits rt_sigreturn takes from the frame (FIX_EFLAGS). */
#define EFLAGS_CF 0x1
#define EFLAGS_PF 0x4
#define EFLAGS_AF 0x10
#define EFLAGS_ZF 0x40
#define EFLAGS_SF 0x80
#define EFLAGS_TF 0x100
#define EFLAGS_DF 0x400
#define EFLAGS_OF 0x800
#define EFLAGS_RF 0x10000
#define EFLAGS_AC 0x40000
#define EFLAGS_FIX                                                                                 \
    (EFLAGS_AC | EFLAGS_OF | EFLAGS_DF | EFLAGS_TF | EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF |           \
     EFLAGS_PF | EFLAGS_CF | EFLAGS_RF)

/* x86_64 user segment selectors (__USER_CS, __USER_DS). */
#define USER_CS 0x33
#define USER_DS 0x2b

/* The most real-time signals queued per sender-less queue: RLIMIT_SIGPENDING
 * is checked per user in Linux; one bound per sandbox is enough here. */
#define SIGQUEUE_MAX 4096
static int sigqueue_count;

/* --- pending sets --- */

static void sigpending_init_if_needed(struct sigpending *p)
{
    if (!p->tail)
        p->tail = &p->head;
}

void sigpending_clear(struct sigpending *p)
{
    struct sigqueue *q = p->head;
    while (q) {
        struct sigqueue *next = q->next;
        free(q);
        sigqueue_count--;
        q = next;
    }
    p->head = NULL;
    p->tail = &p->head;
    p->set = 0;
}

/* Removes every queued instance of the signals in mask. */
static void sigpending_flush(struct sigpending *p, uint64_t mask)
{
    sigpending_init_if_needed(p);
    if (!(p->set & mask))
        return;
    struct sigqueue **pp = &p->head;
    while (*pp) {
        struct sigqueue *q = *pp;
        if (mask & SIG_BIT(q->info.si_signo)) {
            *pp = q->next;
            free(q);
            sigqueue_count--;
        } else {
            pp = &q->next;
        }
    }
    p->tail = &p->head;
    for (struct sigqueue *q = p->head; q; q = q->next)
        p->tail = &q->next;
    p->set &= ~mask;
}

/* Takes the first instance of sig off p into *out. */
static void sigpending_take(struct sigpending *p, int sig, struct linux_siginfo *out)
{
    sigpending_init_if_needed(p);
    struct sigqueue **pp = &p->head;
    bool more = false;
    bool found = false;
    while (*pp) {
        struct sigqueue *q = *pp;
        if (q->info.si_signo == sig) {
            if (!found) {
                *out = q->info;
                *pp = q->next;
                free(q);
                sigqueue_count--;
                found = true;
                continue;
            }
            more = true;
            break;
        }
        pp = &q->next;
    }
    p->tail = &p->head;
    for (struct sigqueue *q = p->head; q; q = q->next)
        p->tail = &q->next;
    if (!found) {
        /* Pending without a queue entry (the queue was full): Linux
         * delivers it with a minimal siginfo. */
        memset(out, 0, sizeof(*out));
        out->si_signo = sig;
        out->si_code = LINUX_SI_USER;
    }
    if (!more)
        p->set &= ~SIG_BIT(sig);
}

/* Lowest signal of set, synchronous ones first. */
static int sig_pick(uint64_t set)
{
    uint64_t sync = set & SIG_SYNCHRONOUS;
    if (sync)
        set = sync;
    return set ? __builtin_ctzll(set) + 1 : 0;
}

/* --- state of a task --- */

static uint64_t task_deliverable(const struct task *t)
{
    return (t->pending.set | t->tg->shared_pending.set) & ~t->sigmask;
}

bool signal_pending(const struct task *t)
{
    return task_deliverable(t) != 0;
}

void signal_recalc(struct task *t)
{
    /* A task being killed or stopped stays interrupted: its waits must end. */
    bool want = task_deliverable(t) != 0 || t->exiting || t->tg->exiting ||
                (t->tg->stopped && !t->exiting);
    if (want)
        task_interrupt(t);
    else
        task_interrupt_clear(t);
}

/* Makes t notice a signal soon: its waits end, and it leaves application
 * code if it is running some. */
static void signal_wake(struct task *t)
{
    task_interrupt(t);
    if (t != task_current_or_null() && t->ctx)
        platform->interrupt(t->ctx);
}

void signal_set_mask(struct task *t, uint64_t mask)
{
    t->sigmask = mask & ~LINUX_SIG_UNBLOCKABLE;
    signal_recalc(t);
}

void signal_set_temporary_mask(struct task *t, uint64_t mask)
{
    if (!t->restore_sigmask) {
        t->saved_sigmask = t->sigmask;
        t->restore_sigmask = true;
    }
    signal_set_mask(t, mask);
}

bool signal_ignored(const struct thread_group *tg, int sig)
{
    uint64_t h = tg->sigactions[sig - 1].handler;
    if (h == LINUX_SIG_IGN)
        return true;
    return h == LINUX_SIG_DFL && (SIG_DEFAULT_IGNORE & SIG_BIT(sig));
}

/* Threads of tg that have not ended, for the loops below. */
#define for_each_thread(tg, it)                                                                    \
    for (struct task *it = task_list_first(); it; it = task_list_next(it))                         \
        if (it->tg == (tg) && !it->zombie)

/* --- sending --- */

struct linux_siginfo signal_info_user(const struct task *from, int sig, int code)
{
    struct linux_siginfo info;
    memset(&info, 0, sizeof(info));
    info.si_signo = sig;
    info.si_code = code;
    if (from) {
        info.f.kill.pid = from->tg->tgid;
        info.f.kill.uid = from->cred.uid;
    } else {
        info.si_code = code == LINUX_SI_USER ? LINUX_SI_KERNEL : code;
    }
    return info;
}

/* Ends every thread of tg at once, as SIGKILL or a fatal signal does. */
static void group_kill(struct thread_group *tg, int status)
{
    if (!tg->exiting) {
        tg->exiting = true;
        tg->exit_code = status;
    }
    tg->stopped = false;
    waitqueue_wake_all(&tg->stop_wq);
    for_each_thread(tg, c) task_end_soon(c);
}

/* Linux's prepare_signal: the side effects of sending sig, and whether it
 * is still worth queuing. */
static bool signal_prepare(struct thread_group *tg, int sig)
{
    if (tg->exiting)
        return false; /* already dying: nothing more to do */
    if (SIG_DEFAULT_STOP & SIG_BIT(sig)) {
        /* A stop signal cancels a pending SIGCONT. */
        sigpending_flush(&tg->shared_pending, SIG_BIT(LINUX_SIGCONT));
        for_each_thread(tg, c) sigpending_flush(&c->pending, SIG_BIT(LINUX_SIGCONT));
    } else if (sig == LINUX_SIGCONT) {
        sigpending_flush(&tg->shared_pending, SIG_DEFAULT_STOP);
        for_each_thread(tg, c) sigpending_flush(&c->pending, SIG_DEFAULT_STOP);
        if (tg->stopped) {
            tg->stopped = false;
            tg->wait_report = LINUX_CLD_CONTINUED;
            waitqueue_wake_all(&tg->stop_wq);
            task_notify_parent_stop(tg, LINUX_CLD_CONTINUED, LINUX_SIGCONT);
            for_each_thread(tg, c) signal_recalc(c);
        }
    }
    return true;
}

/* The thread of tg that takes a process-directed sig (Linux's
 * complete_signal): the leader if it can, else any thread not blocking it. */
static struct task *signal_pick_thread(struct thread_group *tg, int sig)
{
    struct task *cur = task_current_or_null();
    if (cur && cur->tg == tg && !cur->zombie && !(cur->sigmask & SIG_BIT(sig)))
        return cur;
    if (tg->leader && !tg->leader->zombie && !(tg->leader->sigmask & SIG_BIT(sig)))
        return tg->leader;
    for_each_thread(tg, c) if (!(c->sigmask & SIG_BIT(sig))) return c;
    return NULL;
}

static int signal_send(struct thread_group *tg, struct task *thread, int sig,
                       const struct linux_siginfo *info)
{
    kernel_assert_held(tg->k);
    if (sig < 1 || sig > LINUX_NSIG)
        return -LINUX_EINVAL;
    if (tg->zombie)
        return 0;
    if (!signal_prepare(tg, sig))
        return 0;
    if (sig == LINUX_SIGKILL) {
        group_kill(tg, LINUX_SIGKILL);
        return 0;
    }
    struct sigpending *p = thread ? &thread->pending : &tg->shared_pending;
    sigpending_init_if_needed(p);
    /* Ignored and not blocked (by the thread, or by every thread for a
     * process signal): dropped, as Linux's sig_ignored. */
    if (signal_ignored(tg, sig)) {
        bool blocked = thread ? (thread->sigmask & SIG_BIT(sig)) != 0
                              : signal_pick_thread(tg, sig) == NULL;
        if (!blocked)
            return 0;
    }
    /* Standard signals are pending at most once. */
    if (sig < LINUX_SIGRTMIN && (p->set & SIG_BIT(sig)))
        return 0;
    struct linux_siginfo local;
    if (!info) {
        local = signal_info_user(task_current_or_null(), sig, LINUX_SI_USER);
        info = &local;
    }
    struct sigqueue *q = NULL;
    if (sigqueue_count < SIGQUEUE_MAX)
        q = malloc(sizeof(*q));
    if (q) {
        sigqueue_count++;
        q->next = NULL;
        q->info = *info;
        q->info.si_signo = sig;
        *p->tail = q;
        p->tail = &q->next;
    } else if (sig >= LINUX_SIGRTMIN && info->si_code != LINUX_SI_USER &&
               info->si_code != LINUX_SI_KERNEL) {
        /* Linux refuses to queue a real-time signal it cannot record. */
        return -LINUX_EAGAIN;
    }
    p->set |= SIG_BIT(sig);

    /* A stopped process acts on nothing but SIGKILL (which was handled
     * above) and SIGCONT (signal_prepare woke it): the rest waits. */
    if (tg->stopped)
        return 0;
    /* Who should notice. */
    struct task *target = thread ? thread : signal_pick_thread(tg, sig);
    if (!target)
        return 0; /* blocked everywhere: stays pending */
    if (target->sigmask & SIG_BIT(sig))
        return 0;
    /* A fatal signal (default action terminate, no handler) kills the whole
     * group at once, as Linux's complete_signal does. */
    const struct linux_sigaction *sa = &tg->sigactions[sig - 1];
    if (sa->handler == LINUX_SIG_DFL && !(SIG_DEFAULT_IGNORE & SIG_BIT(sig)) &&
        !(SIG_DEFAULT_STOP & SIG_BIT(sig)) && !(SIG_SYNCHRONOUS & SIG_BIT(sig)) &&
        !(target->sigwait_set & SIG_BIT(sig)) && !tg->exec_task) {
        group_kill(tg, sig);
        return 0;
    }
    signal_wake(target);
    return 0;
}

int signal_send_group(struct thread_group *tg, int sig, const struct linux_siginfo *info)
{
    return signal_send(tg, NULL, sig, info);
}

int signal_send_thread(struct task *t, int sig, const struct linux_siginfo *info)
{
    if (t->zombie)
        return 0;
    return signal_send(t->tg, t, sig, info);
}

void signal_force_fault(struct task *t, int sig, int code, uint64_t addr, int trapno)
{
    if (sig < 1 || sig > LINUX_NSIG)
        sig = LINUX_SIGSEGV; /* a host signal the platform should not report */
    struct linux_sigaction *sa = &t->tg->sigactions[sig - 1];
    /* force_sig_info: a blocked or ignored fault signal cannot be taken,
     * so it falls back to its default action (a core-dumping death). */
    if (sa->handler == LINUX_SIG_IGN || (t->sigmask & SIG_BIT(sig))) {
        sa->handler = LINUX_SIG_DFL;
        t->sigmask &= ~SIG_BIT(sig);
    }
    struct linux_siginfo info;
    memset(&info, 0, sizeof(info));
    info.si_signo = sig;
    info.si_code = code;
    info.f.fault.addr = addr;
    t->fault_trapno = trapno;
    t->fault_cr2 = sig == LINUX_SIGSEGV || sig == LINUX_SIGBUS ? addr : 0;
    sigpending_init_if_needed(&t->pending);
    /* A synchronous fault is always recorded, even if one is pending. */
    struct sigqueue *q = malloc(sizeof(*q));
    if (q) {
        sigqueue_count++;
        q->next = NULL;
        q->info = info;
        /* First in the queue: it is dequeued before anything else. */
        q->next = t->pending.head;
        t->pending.head = q;
        if (t->pending.tail == &t->pending.head)
            t->pending.tail = &q->next;
    }
    t->pending.set |= SIG_BIT(sig);
    signal_recalc(t);
}

int signal_dequeue(struct task *t, uint64_t wanted, struct linux_siginfo *out)
{
    sigpending_init_if_needed(&t->pending);
    sigpending_init_if_needed(&t->tg->shared_pending);
    int sig = sig_pick(t->pending.set & wanted);
    struct sigpending *p = &t->pending;
    if (!sig) {
        sig = sig_pick(t->tg->shared_pending.set & wanted);
        p = &t->tg->shared_pending;
    }
    if (!sig)
        return 0;
    sigpending_take(p, sig, out);
    /* A POSIX timer's signal reports the expiries folded into it. */
    if (out->si_code == LINUX_SI_TIMER)
        out->f.timer.overrun = timer_signal_taken(t->tg, out->f.timer.tid);
    return sig;
}

bool signal_timer_pending(struct thread_group *tg, struct task *thread, int sig, int id)
{
    struct sigpending *p = thread ? &thread->pending : &tg->shared_pending;
    if (!(p->set & SIG_BIT(sig)))
        return false;
    for (struct sigqueue *q = p->head; q; q = q->next)
        if (q->info.si_signo == sig && q->info.si_code == LINUX_SI_TIMER &&
            q->info.f.timer.tid == id)
            return true;
    return false;
}

void signal_discard(struct thread_group *tg, int sig)
{
    sigpending_flush(&tg->shared_pending, SIG_BIT(sig));
    for_each_thread(tg, c) sigpending_flush(&c->pending, SIG_BIT(sig));
}

/* --- job control --- */

/* Linux's will_become_orphaned_pgrp: no process of the group has a parent
 * in another group of the same session. */
static bool pgrp_orphaned(linux_pid_t pgid, linux_pid_t sid)
{
    for (struct task *c = task_list_first(); c; c = task_list_next(c)) {
        if (c->tg->leader != c || c->tg->zombie || c->tg->pgid != pgid)
            continue;
        struct task *parent = task_find(c->tg->ppid);
        if (parent && !parent->tg->zombie && parent->tg->pgid != pgid && parent->tg->sid == sid)
            return false;
    }
    return true;
}

/* Stops the task until SIGCONT (or death). Called by every thread of a
 * stopped group from its task loop. */
static bool group_continued(void *arg)
{
    const struct thread_group *tg = arg;
    return !tg->stopped || tg->exiting;
}

/* Stops the task until SIGCONT (or death): only those two end the sleep,
 * and both clear tg->stopped or end the task. Called by every thread of a
 * stopped group from its task loop. */
static void signal_stop_wait(struct task *t)
{
    waitqueue_wait_killable(&t->tg->stop_wq, t, group_continued, t->tg);
    signal_recalc(t);
}

static void signal_group_stop(struct task *t, int sig)
{
    struct thread_group *tg = t->tg;
    if (!tg->stopped) {
        tg->stopped = true;
        tg->stop_sig = sig;
        tg->wait_report = LINUX_CLD_STOPPED;
        for_each_thread(tg, c) if (c != t) signal_wake(c);
        task_notify_parent_stop(tg, LINUX_CLD_STOPPED, sig);
    }
    signal_stop_wait(t);
}

/* --- frames --- */

static bool on_altstack(const struct task *t, uint64_t sp)
{
    const struct linux_stack_t *ss = &t->altstack;
    if ((uint32_t)ss->ss_flags & LINUX_SS_AUTODISARM)
        return false;
    return ss->ss_size && sp > ss->ss_sp && sp - ss->ss_sp <= ss->ss_size;
}

/* The fxsave image offsets used here. */
#define FX_MXCSR 24
#define FX_MXCSR_MASK 28
#define FX_SW_BYTES 464
#define XSAVE_HDR 512

/* The xfeatures the host enabled (XCR0): what an XSAVE image may hold. */
static uint64_t xstate_features(void)
{
    static uint64_t xcr0;
    if (!xcr0) {
        uint32_t eax, ebx, ecx, edx;
        __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
        if (ecx & (1u << 27)) { /* OSXSAVE */
            uint32_t lo, hi;
            __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
            xcr0 = ((uint64_t)hi << 32) | lo;
        } else {
            xcr0 = 0x3; /* x87 | SSE */
        }
    }
    return xcr0;
}

static int setup_rt_frame(struct task *t, int sig, const struct linux_sigaction *sa,
                          const struct linux_siginfo *info, uint64_t oldmask)
{
    struct cpu_regs *r = &t->cpu.regs;
    if (!(sa->flags & LINUX_SA_RESTORER))
        return -LINUX_EFAULT; /* x86_64 always needs a restorer */
    if (platform->get_xstate(t->ctx, t->mm->as, &t->cpu) != 0)
        return -LINUX_EFAULT;
    uint32_t xsize = t->cpu.xstate_size;
    if (xsize < 512 || xsize > CPU_XSTATE_SIZE)
        return -LINUX_EFAULT;

    uint64_t sp = r->rsp;
    bool onstack = on_altstack(t, sp);
    if ((sa->flags & LINUX_SA_ONSTACK) && t->altstack.ss_size && !onstack &&
        !((uint32_t)t->altstack.ss_flags & LINUX_SS_DISABLE))
        sp = t->altstack.ss_sp + t->altstack.ss_size;
    else
        sp -= 128; /* the red zone */

    /* The XSAVE image, 64-byte aligned, then the frame. */
    uint64_t fp = (sp - xsize - 4) & ~63ULL;
    sp = fp - sizeof(struct linux_rt_sigframe);
    sp = (sp & ~15ULL) - 8;

    /* Linux refuses a frame that overflows from the alternate stack. */
    if (onstack && !on_altstack(t, sp))
        return -LINUX_EFAULT;

    uint8_t *x = t->cpu.xstate;
    struct linux_fpx_sw_bytes sw = {
        .magic1 = LINUX_FP_XSTATE_MAGIC1,
        .extended_size = xsize + 4,
        .xfeatures = xstate_features(),
        .xstate_size = xsize,
    };
    memcpy(x + FX_SW_BYTES, &sw, sizeof(sw));
    uint32_t magic2 = LINUX_FP_XSTATE_MAGIC2;
    if (copy_out(t->mm, fp, x, xsize) < 0 || copy_out(t->mm, fp + xsize, &magic2, 4) < 0)
        return -LINUX_EFAULT;

    struct linux_rt_sigframe f;
    memset(&f, 0, sizeof(f));
    f.pretcode = sa->restorer;
    f.uc.uc_flags = LINUX_UC_FP_XSTATE | LINUX_UC_SIGCONTEXT_SS | LINUX_UC_STRICT_RESTORE_SS;
    f.uc.uc_stack.ss_sp = t->altstack.ss_sp;
    f.uc.uc_stack.ss_size = t->altstack.ss_size;
    f.uc.uc_stack.ss_flags = t->altstack.ss_size == 0 ? LINUX_SS_DISABLE
                             : on_altstack(t, r->rsp) ? LINUX_SS_ONSTACK
                                                      : 0;
    f.uc.uc_stack.ss_flags |= (int32_t)((uint32_t)t->altstack.ss_flags & LINUX_SS_AUTODISARM);
    struct linux_sigcontext *sc = &f.uc.uc_mcontext;
    sc->r8 = r->r8;
    sc->r9 = r->r9;
    sc->r10 = r->r10;
    sc->r11 = r->r11;
    sc->r12 = r->r12;
    sc->r13 = r->r13;
    sc->r14 = r->r14;
    sc->r15 = r->r15;
    sc->rdi = r->rdi;
    sc->rsi = r->rsi;
    sc->rbp = r->rbp;
    sc->rbx = r->rbx;
    sc->rdx = r->rdx;
    sc->rax = r->rax;
    sc->rcx = r->rcx;
    sc->rsp = r->rsp;
    sc->rip = r->rip;
    sc->eflags = r->eflags;
    sc->cs = USER_CS;
    sc->ss = USER_DS;
    bool fault = info->si_code > 0 && (SIG_SYNCHRONOUS & SIG_BIT(sig));
    sc->trapno = fault ? (uint64_t)t->fault_trapno : 0;
    sc->err = fault ? t->fault_err : 0;
    sc->cr2 = fault ? t->fault_cr2 : 0;
    sc->oldmask = oldmask;
    sc->fpstate = fp;
    f.uc.uc_sigmask = oldmask;
    f.info = *info;
    f.info.si_signo = sig;
    if (copy_out(t->mm, sp, &f, sizeof(f)) < 0)
        return -LINUX_EFAULT;

    r->rdi = (uint64_t)sig;
    r->rsi = sp + offsetof(struct linux_rt_sigframe, info);
    r->rdx = sp + offsetof(struct linux_rt_sigframe, uc);
    r->rax = 0;
    r->rsp = sp;
    r->rip = sa->handler;
    r->eflags &= ~(uint64_t)(EFLAGS_DF | EFLAGS_RF | EFLAGS_TF);
    r->cs = USER_CS;
    r->ss = USER_DS;
    t->cpu.regs_dirty = true;
    /* The handler starts with a clean FPU, as Linux's. */
    platform_xstate_init(&t->cpu);
    if ((uint32_t)t->altstack.ss_flags & LINUX_SS_AUTODISARM) {
        t->altstack.ss_sp = 0;
        t->altstack.ss_size = 0;
        t->altstack.ss_flags = LINUX_SS_DISABLE;
    }
    return 0;
}

/* Checks an XSAVE image from the application before the platform loads
 * it: what XRSTOR would fault on must not reach the host. */
/* The MXCSR bits this CPU accepts (FXSAVE's MXCSR_MASK; 0 means the
 * architectural default). */
static uint32_t host_mxcsr_mask(void)
{
    static uint32_t mask;
    if (!mask) {
        _Alignas(16) uint8_t area[512];
        memset(area, 0, sizeof(area));
        __asm__ volatile("fxsave64 %0" : "=m"(area));
        memcpy(&mask, area + FX_MXCSR_MASK, 4);
        if (!mask)
            mask = 0xffbf;
    }
    return mask;
}

static bool xstate_acceptable(const uint8_t *x, uint32_t size)
{
    uint32_t mxcsr;
    memcpy(&mxcsr, x + FX_MXCSR, 4);
    if (mxcsr & ~host_mxcsr_mask())
        return false;
    if (size > XSAVE_HDR) {
        uint64_t hdr[8];
        memcpy(hdr, x + XSAVE_HDR, sizeof(hdr));
        if (hdr[0] & ~xstate_features())
            return false;
        for (int i = 1; i < 8; i++)
            if (hdr[i])
                return false;
    }
    return true;
}

long signal_return(struct task *t)
{
    struct cpu_regs *r = &t->cpu.regs;
    uint64_t frame = r->rsp - 8; /* the handler's ret popped pretcode */
    struct linux_rt_sigframe f;
    if (copy_in(t->mm, &f, frame, sizeof(f)) < 0)
        goto bad;
    const struct linux_sigcontext *sc = &f.uc.uc_mcontext;
    if (sc->fpstate) {
        /* The interrupted code's FPU state, edits by the handler included:
         * the frame holds all of it, so nothing is read from the stub. */
        uint32_t xsize = platform_xstate_size();
        if (xsize < 512 || xsize > CPU_XSTATE_SIZE)
            goto bad;
        static _Thread_local uint8_t img[CPU_XSTATE_SIZE] __attribute__((aligned(64)));
        if (copy_in(t->mm, img, sc->fpstate, 512) < 0)
            goto bad;
        struct linux_fpx_sw_bytes sw;
        memcpy(&sw, img + FX_SW_BYTES, sizeof(sw));
        uint32_t size = 512;
        if (sw.magic1 == LINUX_FP_XSTATE_MAGIC1 && sw.xstate_size > 512 &&
            sw.xstate_size <= xsize) {
            uint32_t magic2;
            if (copy_in(t->mm, img + 512, sc->fpstate + 512, sw.xstate_size - 512) < 0 ||
                copy_in(t->mm, &magic2, sc->fpstate + sw.xstate_size, 4) < 0)
                goto bad;
            if (magic2 == LINUX_FP_XSTATE_MAGIC2)
                size = sw.xstate_size;
        }
        /* Components the frame lacks read as zero; a legacy FXSAVE-only
         * frame leaves every extended component in its initial state. */
        if (size < xsize)
            memset(img + size, 0, xsize - size);
        if (size == 512 && xsize > 512) {
            uint64_t bv = 0x3;
            memcpy(img + XSAVE_HDR, &bv, sizeof(bv));
        }
        if (!xstate_acceptable(img, xsize)) {
            log_info("pid %d: rt_sigreturn: an XSAVE image XRSTOR would refuse", t->tid);
            goto bad;
        }
        t->cpu.xstate_size = xsize;
        t->cpu.xstate_valid = true;
        memcpy(t->cpu.xstate, img, xsize);
        t->cpu.xstate_dirty = true;
    }
    r->r8 = sc->r8;
    r->r9 = sc->r9;
    r->r10 = sc->r10;
    r->r11 = sc->r11;
    r->r12 = sc->r12;
    r->r13 = sc->r13;
    r->r14 = sc->r14;
    r->r15 = sc->r15;
    r->rdi = sc->rdi;
    r->rsi = sc->rsi;
    r->rbp = sc->rbp;
    r->rbx = sc->rbx;
    r->rdx = sc->rdx;
    r->rax = sc->rax;
    r->rcx = sc->rcx;
    r->rsp = sc->rsp;
    r->rip = sc->rip;
    r->eflags = (r->eflags & ~(uint64_t)EFLAGS_FIX) | (sc->eflags & EFLAGS_FIX);
    r->cs = USER_CS;
    r->ss = USER_DS;
    r->orig_rax = (uint64_t)-1; /* no syscall restart from here */
    t->cpu.regs_dirty = true;
    signal_set_mask(t, f.uc.uc_sigmask);
    /* restore_altstack: as sigaltstack(2), errors ignored. */
    const struct linux_stack_t *ss = &f.uc.uc_stack;
    uint32_t mode = (uint32_t)ss->ss_flags & ~LINUX_SS_AUTODISARM;
    if (!on_altstack(t, r->rsp)) {
        if (mode == LINUX_SS_DISABLE) {
            t->altstack = (struct linux_stack_t){.ss_flags = LINUX_SS_DISABLE};
        } else if ((mode == 0 || mode == LINUX_SS_ONSTACK) && ss->ss_size >= LINUX_MINSIGSTKSZ) {
            t->altstack.ss_sp = ss->ss_sp;
            t->altstack.ss_size = ss->ss_size;
            t->altstack.ss_flags = (int32_t)((uint32_t)ss->ss_flags & LINUX_SS_AUTODISARM);
        }
    }
    return (long)r->rax;

bad:
    log_info("pid %d: rt_sigreturn with a bad frame at %#lx: SIGSEGV", t->tid,
             (unsigned long)frame);
    signal_force_fault(t, LINUX_SIGSEGV, LINUX_SI_KERNEL, 0, 13);
    return (long)r->rax;
}

/* --- delivery --- */

/* Syscall restart after a -ERESTART* result (arch/x86 handle_signal and
 * the no-handler path). With a handler: EINTR unless the code and SA_RESTART
 * say restart. Without: always restart. */
static void restart_apply(struct task *t, const struct linux_sigaction *handler_sa)
{
    long code = t->restart_code;
    t->restart_code = 0;
    if (!code)
        return;
    struct cpu_regs *r = &t->cpu.regs;
    bool restart;
    if (handler_sa) {
        switch (code) {
        case -LINUX_ERESTARTNOHAND:
        case -LINUX_ERESTART_RESTARTBLOCK:
            restart = false;
            break;
        case -LINUX_ERESTARTSYS:
            restart = (handler_sa->flags & LINUX_SA_RESTART) != 0;
            break;
        default: /* ERESTARTNOINTR */
            restart = true;
        }
    } else {
        restart = true;
    }
    if (!restart) {
        r->rax = (uint64_t)-LINUX_EINTR;
    } else {
        r->rax = code == -LINUX_ERESTART_RESTARTBLOCK ? LINUX_NR_restart_syscall : r->orig_rax;
        r->rip -= 2; /* back onto the syscall instruction */
    }
    t->cpu.regs_dirty = true;
}

static void restore_saved_mask(struct task *t)
{
    if (t->restore_sigmask) {
        t->restore_sigmask = false;
        signal_set_mask(t, t->saved_sigmask);
    }
}

void signal_deliver(struct task *t)
{
    struct thread_group *tg = t->tg;
    for (;;) {
        if (t->exiting || tg->exiting)
            return;
        if (tg->stopped) {
            signal_stop_wait(t);
            continue;
        }
        struct linux_siginfo info;
        int sig = signal_dequeue(t, ~t->sigmask, &info);
        if (!sig)
            break;
        struct linux_sigaction *sa = &tg->sigactions[sig - 1];
        if (sa->handler == LINUX_SIG_IGN)
            continue;
        if (sa->handler == LINUX_SIG_DFL) {
            uint64_t bit = SIG_BIT(sig);
            if (bit & SIG_DEFAULT_IGNORE)
                continue;
            if (bit & SIG_DEFAULT_STOP) {
                /* Terminal stops of an orphaned process group would never
                 * be continued: Linux discards them. */
                if (sig != LINUX_SIGSTOP && pgrp_orphaned(tg->pgid, tg->sid))
                    continue;
                signal_group_stop(t, sig);
                continue;
            }
            /* Terminate, or core dump (RLIMIT_CORE is what decides whether
             * a core would be written; moat never writes one). */
            if (bit & SIG_SYNCHRONOUS)
                log_info("pid %d (%s): fatal signal %d, code %d, address %#lx, at rip %#lx",
                         t->tid, t->comm, sig, info.si_code, (unsigned long)info.f.fault.addr,
                         (unsigned long)t->cpu.regs.rip);
            task_exit(t, sig, true);
            return;
        }
        /* A handler. */
        struct linux_sigaction act = *sa;
        restart_apply(t, &act);
        uint64_t oldmask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
        t->restore_sigmask = false;
        if (setup_rt_frame(t, sig, &act, &info, oldmask) != 0) {
            log_info("pid %d: cannot build a signal frame for signal %d: SIGSEGV", t->tid, sig);
            t->sigmask = oldmask;
            /* force_sigsegv: a SIGSEGV whose own frame failed kills. */
            if (sig == LINUX_SIGSEGV)
                sa->handler = LINUX_SIG_DFL;
            signal_force_fault(t, LINUX_SIGSEGV, LINUX_SI_KERNEL, 0, 0);
            continue;
        }
        uint64_t block = act.mask;
        if (!(act.flags & LINUX_SA_NODEFER))
            block |= SIG_BIT(sig);
        if (act.flags & LINUX_SA_RESETHAND)
            sa->handler = LINUX_SIG_DFL;
        signal_set_mask(t, oldmask | block);
        /* Like Linux, every deliverable signal gets its frame before the
         * application runs again: the next one stacks on this one. */
    }
    restart_apply(t, NULL);
    restore_saved_mask(t);
    signal_recalc(t);
}

/* Tasks and the task loop (DESIGN.md section 7).
 *
 * One host thread per task runs the loop: run application code through the
 * platform; on a syscall dispatch it; on a fault let mm resolve it or raise
 * SIGSEGV; then check for exit. The kernel lock is held whenever sentry code
 * runs and dropped while application code does. */
#include "sentry/kernel/task.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/linux/errno.h"
#include "abi/linux/signal.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/insn.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/process.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscall.h"
#include "sentry/vfs/file.h"

struct task *task_new_init(struct kernel *k, struct fdtable *fds)
{
    struct task *t = calloc(1, sizeof(*t));
    struct thread_group *tg = calloc(1, sizeof(*tg));
    if (!t || !tg) {
        free(t);
        free(tg);
        return NULL;
    }
    t->ctx = platform->ctx_new();
    if (!t->ctx) {
        free(t);
        free(tg);
        return NULL;
    }
    tg->k = k;
    tg->tgid = k->next_pid++;
    tg->ppid = 0;
    for (int i = 0; i < LINUX_RLIM_NLIMITS; i++)
        tg->rlimits[i] = (struct linux_rlimit64){LINUX_RLIM_INFINITY, LINUX_RLIM_INFINITY};
    tg->rlimits[LINUX_RLIMIT_STACK] = (struct linux_rlimit64){8ULL << 20, LINUX_RLIM_INFINITY};
    tg->rlimits[LINUX_RLIMIT_NOFILE] = (struct linux_rlimit64){1024, 1048576};
    tg->rlimits[LINUX_RLIMIT_CORE] = (struct linux_rlimit64){0, LINUX_RLIM_INFINITY};
    tg->rlimits[LINUX_RLIMIT_MEMLOCK] = (struct linux_rlimit64){8ULL << 20, 8ULL << 20};
    tg->rlimits[LINUX_RLIMIT_NPROC] = (struct linux_rlimit64){63459, 63459};
    tg->rlimits[LINUX_RLIMIT_SIGPENDING] = (struct linux_rlimit64){63459, 63459};
    tg->rlimits[LINUX_RLIMIT_MSGQUEUE] = (struct linux_rlimit64){819200, 819200};
    tg->rlimits[LINUX_RLIMIT_NICE] = (struct linux_rlimit64){0, 0};
    tg->rlimits[LINUX_RLIMIT_RTPRIO] = (struct linux_rlimit64){0, 0};
    t->k = k;
    t->tg = tg;
    t->tid = tg->tgid;
    t->fds = fds;
    t->cur_syscall = -1;
    t->exit_signal = LINUX_SIGCHLD;
    tg->pgid = tg->sid = tg->tgid;
    tg->leader = t;
    tg->live_threads = 1;
    k->init = t;
    task_list_add(t);
    return t;
}

void task_exit(struct task *t, int status, bool group)
{
    struct thread_group *tg = t->tg;
    if (group) {
        if (!tg->exiting) {
            tg->exiting = true;
            tg->exit_code = status;
        }
        /* Every other thread goes too (zap_other_threads). */
        for (struct task *c = task_list_first(); c; c = task_list_next(c))
            if (c->tg == tg && c != t && !c->zombie && !c->exiting)
                task_end_soon(c);
        waitqueue_wake_all(&tg->stop_wq);
    } else if (!tg->exiting) {
        /* exit(2) of the last thread is the process's exit. */
        tg->exit_code = status;
    }
    t->exiting = true;
}

void task_end_soon(struct task *t)
{
    t->exiting = true;
    task_interrupt(t);
    if (t->ctx && t != task_current_or_null())
        platform->interrupt(t->ctx);
}

void task_kill_by_signal(struct task *t, int signo)
{
    task_exit(t, signo, true);
}

/* Hardware trap numbers for the signal frame's trapno (X86_TRAP_*). */
#define TRAP_DE 0
#define TRAP_BP 3
#define TRAP_UD 6
#define TRAP_GP 13
#define TRAP_PF 14
#define TRAP_MF 16

static int trapno_of(const struct pf_fault *f)
{
    if (f->trapno >= 0)
        return f->trapno;
    switch (f->signo) {
    case LINUX_SIGFPE:
        return f->code == LINUX_FPE_INTDIV || f->code == LINUX_FPE_INTOVF ? TRAP_DE : TRAP_MF;
    case LINUX_SIGILL:
        return TRAP_UD;
    case LINUX_SIGTRAP:
        return TRAP_BP;
    case LINUX_SIGSEGV:
        return f->code == LINUX_SI_KERNEL ? TRAP_GP : TRAP_PF;
    default:
        return 0;
    }
}

/* The page-fault error code a signal frame reports (X86_PF_*): user mode,
 * present for a protection fault, and write or instruction fetch, which the
 * platform does not report: told from the faulting instruction. */
static uint64_t fault_error_code(struct task *t, const struct pf_fault *f)
{
    uint64_t err = 4 | (f->mapped ? 1 : 0);
    uint64_t rip = t->cpu.regs.rip;
    if (f->addr == rip)
        return err | 0x10; /* the fetch itself faulted */
    uint8_t code[15];
    size_t n = copy_in_partial(t->mm, code, rip, sizeof(code));
    if (insn_writes_memory(code, n))
        err |= 2;
    return err;
}

/* Ends t's use of its mm: its stub thread goes if others share the mm. */
void task_drop_mm(struct task *t, struct mm *mm)
{
    if (mm->refs > 1 && mm->as)
        platform->ctx_leave(t->ctx, mm->as);
    mm_put(mm);
}

static void task_release(struct task *t)
{
    /* Robust futexes first, then the tid word, as Linux's mm_release. */
    if (t->mm)
        futex_exit_robust_list(t);
    /* CLONE_CHILD_CLEARTID: zero the tid and wake a futex waiter, as
     * Linux does (a shared futex wake; its result does not matter). */
    if (t->clear_child_tid && t->mm) {
        uint32_t zero = 0;
        if (copy_out(t->mm, t->clear_child_tid, &zero, sizeof(zero)) == sizeof(zero))
            futex_wake(t, t->clear_child_tid, false, 1, 0xffffffffu);
    }
    if (t->mm) {
        task_drop_mm(t, t->mm);
        t->mm = NULL;
    }
    if (t->fds) {
        fdtable_put(t->fds);
        t->fds = NULL;
    }
    task_vfork_done(t);
}

void task_run(struct task *t)
{
    struct kernel *k = t->k;
    task_set_current(t);
    kernel_lock(k);
    uint64_t sentry_start = ktimer_now();
    while (!t->exiting && !k->exited) {
        /* Signals that arrived while the task was elsewhere, and stops. */
        if (t->interrupt_pending) {
            signal_deliver(t);
            if (t->exiting)
                break;
        }
        if (t->mm->inval_count)
            mm_apply_invalidations(t->mm);
        struct pf_fault fault;
        uint64_t map_seq = t->mm->map_seq;
        uint64_t run_start = ktimer_now();
        t->stime_ns += run_start - sentry_start;
        t->run_start_ns = run_start;
        kernel_unlock(k);
        enum pf_event ev = platform->run(t->ctx, t->mm->as, &t->cpu, &fault);
        kernel_lock(k);
        sentry_start = ktimer_now();
        t->run_start_ns = 0;
        t->utime_ns += sentry_start - run_start;
        switch (ev) {
        case PF_SYSCALL:
            syscall_dispatch(t);
            break;
        case PF_FAULT: {
            int code;
            int err = mm_fault(t->mm, fault.addr, fault.mapped, &code);
            if (err == -LINUX_EFAULT && fault.mapped && t->mm->map_seq != map_seq)
                break; /* stale: the mapping changed meanwhile; run it again */
            if (err)
                t->fault_err = fault_error_code(t, &fault);
            if (err == -LINUX_EFAULT)
                signal_force_fault(t, LINUX_SIGSEGV, code, fault.addr, TRAP_PF);
            else if (err == -LINUX_EIO) /* past the end of a mapped file */
                signal_force_fault(t, LINUX_SIGBUS, code, fault.addr, TRAP_PF);
            else if (err)
                task_kill_by_signal(t, LINUX_SIGKILL); /* out of memory */
            break;
        }
        case PF_EXCEPTION:
            t->fault_err = 0;
            signal_force_fault(t, fault.signo, fault.code, fault.addr, trapno_of(&fault));
            break;
        case PF_INTERRUPTED:
            break;
        }
        /* A syscall's temporary mask (ppoll, rt_sigsuspend...) ends here
         * too, unless a handler frame keeps it. */
        if (t->interrupt_pending || t->restart_code || t->restore_sigmask)
            signal_deliver(t);
    }
    t->stime_ns += ktimer_now() - sentry_start;
    task_release(t);
    task_finish(t);
    kernel_unlock(k);
}

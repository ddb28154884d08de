/* Tasks and the task loop (DESIGN.md section 7).
 *
 * One host thread per task runs the loop: run application code through the
 * platform; on a syscall dispatch it; on a fault let mm resolve it or raise
 * SIGSEGV; then check for exit. The kernel lock is held whenever sentry code
 * runs and dropped while application code does. */
#include "sentry/kernel/task.h"

#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/signal.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/process.h"
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
    k->init = t;
    task_list_add(t);
    return t;
}

void task_exit(struct task *t, int status, bool group)
{
    (void)group; /* one task per group until threads exist */
    if (t->exiting)
        return;
    t->exiting = true;
    t->tg->exiting = true;
    t->tg->exit_code = status;
    /* CLONE_CHILD_CLEARTID: zero the tid and wake a futex waiter, as
     * Linux does (a shared futex wake; its result does not matter). */
    if (t->clear_child_tid && t->mm) {
        uint32_t zero = 0;
        if (copy_out(t->mm, t->clear_child_tid, &zero, sizeof(zero)) == sizeof(zero))
            futex_wake(t, t->clear_child_tid, false, 1, 0xffffffffu);
    }
    /* The zombie transition, the parent's notification and, for pid 1,
     * the end of the sandbox happen when the task loop stops
     * (task_finish). */
}

void task_kill_by_signal(struct task *t, int signo)
{
    task_exit(t, signo, true);
}

/* A synchronous fault the application cannot survive until signal delivery
 * exists: the default action of signo. */
static void task_force_signal(struct task *t, int signo, int code, uint64_t addr)
{
    const struct linux_sigaction *sa = &t->tg->sigactions[signo - 1];
    if (sa->handler > LINUX_SIG_IGN)
        log_info("pid %d: %s (code %d, address %#lx) has a handler, but signal delivery is "
                 "not implemented yet: killing the task",
                 t->tg->tgid, strsignal(signo), code, (unsigned long)addr);
    task_kill_by_signal(t, signo);
}

static void task_release(struct task *t)
{
    if (t->mm) {
        mm_put(t->mm);
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
    while (!t->exiting && !k->exited) {
        struct pf_fault fault;
        kernel_unlock(k);
        enum pf_event ev = platform->run(t->ctx, t->mm->as, &t->cpu, &fault);
        kernel_lock(k);
        switch (ev) {
        case PF_SYSCALL:
            syscall_dispatch(t);
            break;
        case PF_FAULT: {
            int code;
            int err = mm_fault(t->mm, fault.addr, fault.mapped, &code);
            if (err == -LINUX_EFAULT)
                task_force_signal(t, LINUX_SIGSEGV, code, fault.addr);
            else if (err == -LINUX_EIO) /* past the end of a mapped file */
                task_force_signal(t, LINUX_SIGBUS, code, fault.addr);
            else if (err)
                task_kill_by_signal(t, LINUX_SIGKILL); /* out of memory */
            break;
        }
        case PF_EXCEPTION:
            task_force_signal(t, fault.signo, fault.code, fault.addr);
            break;
        case PF_INTERRUPTED:
            break;
        }
    }
    task_release(t);
    task_finish(t);
    kernel_unlock(k);
}

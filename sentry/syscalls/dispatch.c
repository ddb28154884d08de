/* Syscall dispatch: table lookup, --strace, and turning kernel-internal
 * restart codes into what the application may see. */
#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/errno.h"
#include "abi/linux/unistd_64.h"
#include "lib/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/strace.h"
#include "sentry/syscalls/syscall.h"

static const struct syscall_entry syscall_unknown = {.name = NULL};

/* Logs each missing syscall once per sandbox, by name, with the program. */
static long sys_missing(struct task *t, const struct syscall_args *a,
                        const struct syscall_entry *e)
{
    static uint64_t logged[(LINUX_NR_MAX + 63) / 64];
    if (a->nr >= 0 && a->nr < LINUX_NR_MAX) {
        uint64_t bit = 1ULL << (a->nr % 64);
        if (!(logged[a->nr / 64] & bit)) {
            logged[a->nr / 64] |= bit;
            log_info("unimplemented syscall %s (%ld) called by %s (pid %d): ENOSYS",
                     e->name ? e->name : "?", a->nr, t->comm, t->tg->tgid);
        }
    } else {
        log_info("syscall number %ld out of range, called by %s (pid %d): ENOSYS", a->nr,
                 t->comm, t->tg->tgid);
    }
    return -LINUX_ENOSYS;
}

void syscall_dispatch(struct task *t)
{
    struct cpu_regs *r = &t->cpu.regs;
    struct syscall_args a = {
        .nr = (long)r->orig_rax,
        .a = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9},
    };
    const struct syscall_entry *e =
        a.nr >= 0 && a.nr < LINUX_NR_MAX ? &syscall_table[a.nr] : &syscall_unknown;
    bool strace = t->k->strace;
    t->cur_syscall = a.nr;
    if (strace)
        strace_enter(t, e, &a);
    long ret = e->fn ? e->fn(t, &a) : sys_missing(t, &a, e);
    if (strace)
        strace_exit(t, e, &a, ret);
    t->cur_syscall = -1;
    if (t->exiting)
        return;
    /* Only rax changes (a handler that changed more set regs_dirty). */
    r->rax = (uint64_t)ret;
    t->cpu.rax_dirty = true;
    /* A restart code never reaches the application: the task loop's
     * signal_deliver turns it into EINTR or a restart of the call, by
     * Linux's rules, before the task runs again. rt_sigreturn's result is
     * the interrupted code's rax, whatever it holds. */
    if (a.nr != LINUX_NR_rt_sigreturn &&
        (ret == -LINUX_ERESTARTSYS || ret == -LINUX_ERESTARTNOINTR ||
         ret == -LINUX_ERESTARTNOHAND || ret == -LINUX_ERESTART_RESTARTBLOCK))
        t->restart_code = ret;
}

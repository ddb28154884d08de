/* Signals (Linux's kernel/signal.c and arch/x86/kernel/signal.c): pending
 * queues, sending, delivery through rt_sigframe, rt_sigreturn, default
 * actions, job-control stops, and the syscall restart rules.
 *
 * Each thread has a pending set of its own (tkill, tgkill, faults) and its
 * thread group a shared one (kill, the process-directed signals). Standard
 * signals are pending at most once; real-time ones queue with their
 * siginfo. A signal a thread does not block makes it "interrupted"
 * (task_interrupt): every wait returns -ERESTARTSYS and a task running
 * application code is stopped by the platform, so the task loop can
 * deliver it.
 *
 * Lock order: the kernel lock covers everything here. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/signal.h"
#include "abi/linux/types.h"

struct task;
struct thread_group;

/* One queued signal. */
struct sigqueue {
    struct sigqueue *next;
    struct linux_siginfo info;
};

struct sigpending {
    uint64_t set;             /* signals pending (bit signo-1) */
    struct sigqueue *head;    /* their siginfo, oldest first */
    struct sigqueue **tail;
};

/* Sends sig to a whole process (kill): any of its threads not blocking it
 * takes it. info NULL means SI_USER from the calling task (or SI_KERNEL
 * when sent by the sentry with no task). Returns 0, -EINVAL, -EAGAIN
 * (real-time queue full). Permission checks are the caller's. */
int signal_send_group(struct thread_group *tg, int sig, const struct linux_siginfo *info);
/* Sends sig to one thread (tkill, tgkill, faults, SIGPIPE). */
int signal_send_thread(struct task *t, int sig, const struct linux_siginfo *info);
/* A siginfo for SI_USER-style signals from task `from` (NULL: the kernel). */
struct linux_siginfo signal_info_user(const struct task *from, int sig, int code);

/* For rt_sigsuspend, ppoll, pselect6, epoll_pwait: t runs the rest of the
 * syscall with mask (SIGKILL/SIGSTOP are never blocked). The old mask
 * comes back when the syscall returns, or, when a handler is entered on
 * the way out, when that handler returns (it is the frame's saved mask). */
void signal_set_temporary_mask(struct task *t, uint64_t mask);
/* Changes t's blocked mask (rt_sigprocmask and friends) and re-evaluates
 * whether t has a signal to take. */
void signal_set_mask(struct task *t, uint64_t mask);

/* True if t has a pending signal it does not block (Linux's
 * signal_pending()). */
bool signal_pending(const struct task *t);
/* Recomputes t->interrupt_pending from the pending sets and the mask. */
void signal_recalc(struct task *t);

/* Called by the task loop after each syscall, fault or interruption, with
 * the kernel lock held: applies the restart rules to a syscall result left
 * in *ret (or none: has_ret false), then dequeues and delivers signals
 * (handler frames, default actions, stops). */
void signal_deliver(struct task *t);

/* A synchronous fault signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP)
 * for t, which cannot be blocked or ignored: as Linux's force_sig_fault,
 * a blocked or ignored one is unblocked and reset to the default action. */
void signal_force_fault(struct task *t, int sig, int code, uint64_t addr, int trapno);

/* A signal with sig's default action of "ignore" or sig's action SIG_IGN
 * for tg: sending it is pointless (Linux's sig_ignored). */
bool signal_ignored(const struct thread_group *tg, int sig);

/* rt_sigreturn: restores the frame at the current stack pointer. Returns
 * the value rax must hold (the interrupted code's), or kills t with
 * SIGSEGV on a bad frame. */
long signal_return(struct task *t);

/* Dequeues the lowest pending signal in `wanted` that t may take (its own
 * pending set, then its group's). Returns the signo (0 if none) and the
 * siginfo in *out. For rt_sigtimedwait and signalfd. */
int signal_dequeue(struct task *t, uint64_t wanted, struct linux_siginfo *out);

/* True if a SI_TIMER signal of POSIX timer id is still queued for the
 * thread (or the process when thread is NULL): its next expiry is an
 * overrun. */
bool signal_timer_pending(struct thread_group *tg, struct task *thread, int sig, int id);

/* Discards pending instances of sig from tg and every thread of it (an
 * action that ignores sig was set). */
void signal_discard(struct thread_group *tg, int sig);

/* Frees a pending set's queue. */
void sigpending_clear(struct sigpending *p);

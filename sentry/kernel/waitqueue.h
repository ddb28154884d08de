/* Wait queues: the one way a task blocks (DESIGN.md section 7).
 *
 * A task that must wait for an event (data in a pipe, a partner opening a
 * FIFO, later futexes, child exits, poll/epoll readiness) puts an entry on
 * the queue of that event and sleeps on its own condition variable with
 * the kernel lock dropped. Whoever makes the event happen calls
 * waitqueue_wake_one/_all with the kernel lock held. Every wait can be
 * interrupted (task_interrupt: the signals code's "a signal is pending")
 * and may have a deadline.
 *
 * Because wakers and waiters both hold the kernel lock, the usual pattern
 * has no lost wake-ups:
 *
 *     waitqueue_add(wq, &e, t);        // 1. register first
 *     while (!condition) {             // 2. then test
 *         err = task_block(t, deadline);   // 3. sleep until woken
 *         if (err) break;
 *     }
 *     waitqueue_remove(wq, &e);
 *
 * waitqueue_wait() packages that for the common single-queue case; poll and
 * epoll register one entry per file and call task_block() themselves.
 *
 * Interruption is a level, like Linux's signal_pending(): while
 * t->interrupt_pending is set every wait returns -ERESTARTSYS at once. The
 * signals code sets it with task_interrupt() when it queues a signal the
 * task does not block, and clears it (task_interrupt_clear) once the
 * signal is dealt with.
 *
 * Lock order: the kernel lock; every function here asserts it is held. */
#pragma once

#include <stdbool.h>

#include "abi/linux/time.h"

struct task;

struct waitqueue_entry {
    struct waitqueue_entry *prev, *next;
    struct task *task;
    /* When set, a wake-up calls func(e) (kernel lock held) instead of
     * waking task: epoll items and other waiters that are not a sleeping
     * task use it. priv is the func's. */
    void (*func)(struct waitqueue_entry *e);
    void *priv;
};

/* All zeros is an empty queue. */
struct waitqueue {
    struct waitqueue_entry *first, *last;
};

void waitqueue_init(struct waitqueue *wq);
/* True if some task waits on wq. */
bool waitqueue_active(const struct waitqueue *wq);

/* Registers t on wq through e (owned by the caller, usually on its stack;
 * it must stay valid until waitqueue_remove). */
void waitqueue_add(struct waitqueue *wq, struct waitqueue_entry *e, struct task *t);
/* Registers a callback entry: wake-ups call func(e) with the kernel lock
 * held. func may not remove other entries of wq. */
void waitqueue_add_func(struct waitqueue *wq, struct waitqueue_entry *e,
                        void (*func)(struct waitqueue_entry *e), void *priv);
void waitqueue_remove(struct waitqueue *wq, struct waitqueue_entry *e);

/* Wakes the first / every task registered on wq. A task that is not
 * asleep yet (between waitqueue_add and task_block) remembers the wake-up
 * and its next task_block returns at once. */
void waitqueue_wake_one(struct waitqueue *wq);
void waitqueue_wake_all(struct waitqueue *wq);

/* Sleeps with the kernel lock dropped until a wake-up, an interruption or
 * the deadline (absolute CLOCK_MONOTONIC time; NULL waits forever).
 * Returns 0 (woken: re-check the condition), -LINUX_ERESTARTSYS or
 * -LINUX_ETIMEDOUT. Spurious returns with 0 are allowed. */
int task_block(struct task *t, const struct linux_timespec *deadline);

/* Waits on wq until ready(arg) is true (tested with the kernel lock held,
 * first before sleeping). Returns 0, -LINUX_ETIMEDOUT or -LINUX_ERESTARTSYS. */
int waitqueue_wait(struct waitqueue *wq, struct task *t, bool (*ready)(void *arg), void *arg,
                   const struct linux_timespec *deadline);

/* Waits on wq until ready(arg) or until t must end (t->exiting); pending
 * signals do not end this wait (Linux's TASK_KILLABLE: vfork, execve's
 * de_thread, a job-control stop). t's interruption is as it was after. */
void waitqueue_wait_killable(struct waitqueue *wq, struct task *t, bool (*ready)(void *arg),
                             void *arg);

/* Makes t's current wait (and every wait until task_interrupt_clear)
 * return -LINUX_ERESTARTSYS. Callable from any thread holding the kernel
 * lock. TODO(signals): also platform->interrupt() a task running
 * application code. */
void task_interrupt(struct task *t);
void task_interrupt_clear(struct task *t);

/* Absolute CLOCK_MONOTONIC deadline timeout_ns from now. */
struct linux_timespec waitqueue_deadline_after(int64_t timeout_ns);

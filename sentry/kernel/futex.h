/* Futexes: wait queues keyed by an application address (DESIGN.md
 * section 7), as Linux's kernel/futex/ keys them:
 *   - a private futex (FUTEX_PRIVATE_FLAG) by (address space, address);
 *   - a shared futex in a shared mapping (MAP_SHARED, anonymous or file)
 *     by the memory-file byte behind the address: a page of an mm_object
 *     never moves while the object lives, so every process that maps the
 *     page, at any address, meets on the same key;
 *   - a shared futex in a private mapping by (address space, address),
 *     apart from private futexes at the same address (Linux's
 *     FUT_OFF_MMSHARED). Its page may be copied on write at any time, so
 *     the page cannot be the key; like Linux after a copy-on-write, a
 *     forked child does not meet its parent there.
 * Waiters of one key are woken first come, first served.
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/time.h"
#include "abi/linux/types.h"

struct task;
struct mm;

/* Waits while the u32 at uaddr equals val, until a wake with a matching
 * bitset, the absolute CLOCK_MONOTONIC deadline (NULL: none) or an
 * interruption. Returns 0, -EAGAIN (value differs), -EFAULT, -EINVAL,
 * -ETIMEDOUT, or when interrupted -ERESTARTSYS (no deadline) or
 * -ERESTARTNOHAND (a deadline: a handler makes it EINTR, as Linux's
 * restart block does). */
int futex_wait(struct task *t, uaddr_t uaddr, bool private_futex, uint32_t val, uint32_t bitset,
               const struct linux_timespec *deadline);
/* Wakes waiters on uaddr whose bitset intersects bitset: up to nr_wake of
 * them, and as Linux at least one when nr_wake <= 0. Returns how many were
 * woken, or -EFAULT/-EINVAL. */
int futex_wake(struct task *t, uaddr_t uaddr, bool private_futex, int nr_wake, uint32_t bitset);
/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE (cmpval non-NULL: -EAGAIN unless the
 * u32 at uaddr1 equals *cmpval): wakes up to nr_wake waiters of uaddr1 and
 * moves up to nr_requeue more to uaddr2, keeping their order. Returns the
 * number woken plus moved, or -EINVAL (negative counts, misaligned),
 * -EFAULT, -EAGAIN. */
int futex_requeue(struct task *t, uaddr_t uaddr1, uaddr_t uaddr2, bool private_futex, int nr_wake,
                  int nr_requeue, const uint32_t *cmpval);
/* FUTEX_WAKE_OP: applies the encoded operation to the u32 at uaddr2
 * atomically (against the application's own threads too), wakes up to
 * nr_wake waiters of uaddr1 and, when the comparison of the old value
 * holds, up to nr_wake2 of uaddr2. Returns the total woken, -EFAULT,
 * -EINVAL or -ENOSYS (unknown op or comparison; an unknown comparison is
 * found after the operation was applied, as in Linux). */
int futex_wake_op(struct task *t, uaddr_t uaddr1, uaddr_t uaddr2, bool private_futex, int nr_wake,
                  int nr_wake2, uint32_t encoded_op);

/* Linux's exit_robust_list, for a thread that exits (call before its mm
 * goes and before the CLONE_CHILD_CLEARTID wake): every lock on t's robust
 * list (t->robust_list) whose owner tid is t's gets FUTEX_OWNER_DIED and,
 * if it had FUTEX_WAITERS, one waiter woken; so does the pending entry.
 * At most ROBUST_LIST_LIMIT entries; a fault ends the walk silently.
 * Clears t->robust_list. */
void futex_exit_robust_list(struct task *t);
/* The same for execve past its point of no return, whose task already
 * has the new mm: the list lives in old_mm. */
void futex_exec_robust_list(struct task *t, struct mm *old_mm);

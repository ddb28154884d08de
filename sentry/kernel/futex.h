/* Futexes: wait queues keyed by an application address (DESIGN.md
 * section 7). A private futex is keyed by (address space, address); a
 * shared one by the memory-file byte behind the address, so processes that
 * share the page meet on the same key.
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/time.h"
#include "abi/linux/types.h"

struct task;

/* Waits while the u32 at uaddr equals val, until a wake with a matching
 * bitset, the absolute CLOCK_MONOTONIC deadline (NULL: none) or an
 * interruption. Returns 0, -EAGAIN (value differs), -EFAULT, -EINVAL,
 * -ETIMEDOUT or -ERESTARTSYS. */
int futex_wait(struct task *t, uaddr_t uaddr, bool private_futex, uint32_t val, uint32_t bitset,
               const struct linux_timespec *deadline);
/* Wakes up to count waiters on uaddr whose bitset intersects bitset.
 * Returns how many were woken, or -EFAULT/-EINVAL. */
int futex_wake(struct task *t, uaddr_t uaddr, bool private_futex, int count, uint32_t bitset);

/* Timeouts and signal masks shared by poll, select and epoll_wait (Linux's
 * poll_select_set_timeout / poll_select_finish / set_user_sigmask). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/linux/time.h"
#include "abi/linux/types.h"

struct task;

struct poll_timeout {
    bool set;                  /* a timeout was given (else: wait forever) */
    bool zero;                 /* it is zero: never sleep */
    struct linux_timespec end; /* absolute CLOCK_MONOTONIC, when set && !zero */
};

/* A relative timeout of sec + nsec from now. -EINVAL unless sec >= 0 and
 * 0 <= nsec < 1e9. */
int poll_timeout_set(struct poll_timeout *to, int64_t sec, int64_t nsec);

/* Writes the time left to the application's timeval (timeval) or timespec
 * at uts, as Linux's poll_select_finish: nothing for a NULL uts or a zero
 * timeout; a failed write is ignored, except that it turns
 * -ERESTARTNOHAND into -EINTR (no restart with a stale timeout). Returns
 * ret. */
long poll_timeout_finish(struct task *t, const struct poll_timeout *to, uaddr_t uts, bool timeval,
                         long ret);

/* Copies in a sigset_t of sigsetsize bytes at umask (NULL: nothing) and
 * makes it t's mask for the rest of the syscall. -EINVAL for a size other
 * than 8, -EFAULT. */
long poll_set_user_sigmask(struct task *t, uaddr_t umask, size_t sigsetsize);

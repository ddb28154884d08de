/* epoll instances (Linux's fs/eventpoll.c).
 *
 * An epoll file holds items keyed by (fd, file). Each item hangs a
 * callback entry on every wait queue its file's poll op registers
 * (sentry/vfs/poll.h); a wake-up there puts the item on the ready list
 * and wakes epoll_wait sleepers and whoever polls the epoll file itself
 * (nested epoll, poll/select on an epoll fd). epoll_wait re-polls each
 * ready item: level-triggered items stay on the list while ready,
 * EPOLLET items leave it once reported, EPOLLONESHOT items are disabled
 * until EPOLL_CTL_MOD. An item does not keep its file open: it goes when
 * the file's last reference does (epoll_file_release, from file_put).
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/types.h"

struct file;
struct task;
struct linux_epoll_event;
struct linux_timespec;

/* Linux's EP_MAX_EVENTS: the largest maxevents epoll_wait accepts. */
#define EPOLL_MAX_EVENTS (0x7fffffff / 12)

/* A new epoll file (O_RDWR). The caller owns its reference. Returns 0 or
 * -ENOMEM. */
int epoll_create_file(struct file **out_file);

/* True if f is an epoll file. */
bool epoll_is_file(const struct file *f);

/* epoll_ctl(2) once the fds are looked up and the event copied in (ev is
 * ignored for EPOLL_CTL_DEL): Linux's checks in Linux's order (EPERM for a
 * file without a poll op, EINVAL for epoll on itself or on a non-epoll
 * file and for EPOLLEXCLUSIVE misuse, ELOOP for cycles and nesting deeper
 * than 5 levels, EEXIST, ENOENT, EINVAL for an unknown op). */
int epoll_ctl_file(struct file *epf, int op, int fd, struct file *tf,
                   const struct linux_epoll_event *ev);

/* epoll_wait(2) on epf (an epoll file): copies up to maxevents events to
 * the application's array at events. deadline is an absolute
 * CLOCK_MONOTONIC time (NULL: wait forever); nowait returns at once when
 * nothing is ready. Returns the count, 0 on timeout, -EFAULT when the
 * first event cannot be copied out, -EINTR when interrupted. */
long epoll_wait_file(struct task *t, struct file *epf, uaddr_t events, int maxevents,
                     const struct linux_timespec *deadline, bool nowait);

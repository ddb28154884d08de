/* pidfds: file descriptors that name a process (pidfd_open, CLONE_PIDFD).
 * Readable (POLLIN) once the process has exited; pidfd_send_signal and
 * waitid(P_PIDFD) act on the process. Pids are never reused in a sandbox,
 * so a pidfd keeps the number only.
 *
 * Lock order: the kernel lock. */
#pragma once

#include "abi/linux/types.h"

struct task;
struct thread_group;

/* A new pidfd for process tgid installed in t's fd table (close-on-exec,
 * as Linux). flags: LINUX_O_NONBLOCK. Returns the fd or -errno. */
int pidfd_install(struct task *t, linux_pid_t tgid, int flags);
/* The process fd names (waitid P_PIDFD, pidfd_send_signal): its tgid, or
 * -EBADF (no such fd, or not a pidfd). */
linux_pid_t pidfd_pid(struct task *t, int fd);
/* Wakes pidfd pollers: a process has exited. */
void pidfd_notify_exit(struct thread_group *tg);

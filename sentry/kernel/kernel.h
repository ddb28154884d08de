/* The kernel: global state of one sandbox. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/types.h"

struct task;

struct kernel_identity {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

struct kernel {
    pthread_mutex_t lock;
    pthread_cond_t exited_cond;
    bool exited;         /* pid 1 has exited: the sandbox is over */
    int exit_status;     /* pid 1's wait status */
    linux_pid_t next_pid;
    struct task *init;
    /* Every task, zombies included until reaped, linked through
     * task->list_next (sentry/kernel/process.c). */
    struct task *tasks;
    struct kernel_identity uts;
    uint64_t boot_ns;    /* CLOCK_MONOTONIC at boot: the sandbox's uptime 0 */
    bool strace;         /* log every syscall to the debug log */
    /* The CPUs the sandbox may use, as the host gave them to moat at boot
     * (the platform binds its own threads to single CPUs later). */
    uint64_t cpus[16];
};

extern struct kernel *kernel_global;

/* The one kernel lock (DESIGN.md section 7). */
void kernel_lock(struct kernel *k);
void kernel_unlock(struct kernel *k);
void kernel_assert_held(struct kernel *k);

/* Sets up a kernel with default identity. */
void kernel_init(struct kernel *k);
/* Marks the sandbox finished with pid 1's wait status and wakes waiters.
 * The kernel lock must be held. */
void kernel_set_exited(struct kernel *k, int status);
/* Blocks until kernel_set_exited; returns the wait status. */
int kernel_wait_exit(struct kernel *k);

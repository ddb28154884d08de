/* Tasks (application threads) and thread groups (processes).
 *
 * Lock order: the kernel lock (kernel_lock()) covers every field here; it is
 * held while sentry code runs on a task thread and dropped while the task
 * runs application code or blocks. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/types.h"
#include "abi/linux/resource.h"
#include "abi/linux/signal.h"
#include "platform/platform.h"
#include "sentry/kernel/waitqueue.h"

struct mm;
struct fdtable;
struct fs_context;
struct kernel;

#define TASK_COMM_LEN 16
#define LINUX_NSIG 64

struct cred {
    linux_uid_t uid, euid, suid, fsuid;
    linux_gid_t gid, egid, sgid, fsgid;
};

struct thread_group {
    struct kernel *k;
    linux_pid_t tgid;
    linux_pid_t ppid;
    struct linux_sigaction sigactions[LINUX_NSIG]; /* index signo-1 */
    struct linux_rlimit64 rlimits[LINUX_RLIM_NLIMITS];
    bool exiting;
    int exit_code; /* wait status: (code << 8) or signo */
    linux_pid_t pgid, sid;
    /* Woken when a child becomes a zombie (wait4/waitid sleep here). */
    struct waitqueue child_wq;
    /* SIGCHLDs recorded for this process; delivery comes with signals. */
    int sigchld_pending;
    int nice;             /* getpriority/setpriority, -20..19 */
    bool child_subreaper; /* PR_SET_CHILD_SUBREAPER */
};

struct task {
    struct kernel *k;
    struct thread_group *tg;
    linux_pid_t tid;
    pthread_t thread;
    struct pf_ctx *ctx;
    struct cpu_state cpu;
    struct mm *mm;
    struct fdtable *fds;
    struct fs_context *fs; /* root, cwd, umask */
    struct cred cred;
    uint64_t sigmask;
    struct linux_stack_t altstack;
    uaddr_t clear_child_tid;
    uaddr_t robust_list;
    uint64_t robust_list_len;
    char comm[TASK_COMM_LEN];
    bool exiting;
    /* Syscall in progress, for --strace and the missing-syscall log. */
    long cur_syscall;
    /* prctl state (sentry/syscalls/info.c); zero is Linux's initial state.
     * Fork copies no_new_privs and undumpable and clears pdeath_signal. */
    bool no_new_privs; /* PR_SET_NO_NEW_PRIVS: kept across execve */
    bool undumpable;   /* PR_SET_DUMPABLE 0. Per mm in Linux: execve resets it */
    int pdeath_signal; /* PR_SET_PDEATHSIG, 0 for none; not delivered yet */
    /* Blocking (sentry/kernel/waitqueue.c); all zero at creation. */
    struct task_sleep *sleep; /* set while asleep in task_block */
    bool wake_pending;        /* woken since it last slept */
    bool interrupt_pending;   /* task_interrupt: waits return -ERESTARTSYS */
    /* Processes (sentry/kernel/process.c). */
    struct task *list_prev, *list_next; /* the kernel's task list */
    bool zombie;        /* its thread is done; waits for its parent to reap */
    int exit_signal;    /* sent to the parent at exit (clone's low byte) */
    bool vfork_pending; /* CLONE_VFORK: the parent waits until exec or exit */
    struct waitqueue vfork_wq;
    uaddr_t set_child_tid; /* CLONE_CHILD_SETTID, written by the child's thread */
};

/* Creates the first task (pid 1) of the kernel with an empty mm and the
 * given fd table. The kernel owns the returned task. */
struct task *task_new_init(struct kernel *k, struct fdtable *fds);
/* Runs the task loop on the calling thread until the task exits. */
void task_run(struct task *t);
/* Ends the task; with group set, the whole thread group, with wait status
 * status. Does not return to the caller's syscall: the loop stops. */
void task_exit(struct task *t, int status, bool group);
/* Terminates the thread group as if by an uncaught signal signo. */
void task_kill_by_signal(struct task *t, int signo);

/* The kernel's task list (every task, zombies included, until reaped). */
struct task *task_list_first(void);
struct task *task_list_next(const struct task *t);
/* The live or zombie task with thread id tid, or NULL. */
struct task *task_find(linux_pid_t tid);

/* fork/vfork/clone of a new process (sentry/kernel/process.c): returns the
 * child's pid or -errno. */
long task_fork(struct task *parent, uint64_t flags, uaddr_t stack, uaddr_t ptid, uaddr_t ctid,
               uint64_t tls);
/* Releases a vfork parent waiting on t (t execs or exits). */
void task_vfork_done(struct task *t);
/* wait4 core: pid as wait4's; fills *out_status; returns the pid reaped, 0
 * (WNOHANG and none ready) or -errno. With nowait the child stays a zombie.
 * out_info gets the zombie's exit details for waitid. */
struct task_wait_result {
    linux_pid_t pid;
    linux_uid_t uid;
    int status;
};
long task_wait(struct task *t, linux_pid_t pid, int options, bool nowait,
               struct task_wait_result *out);

/* The task whose thread is calling, for code reached without one (file and
 * inode ops: a pipe read that blocks, /proc/self). task_run sets it with
 * task_set_current; until then, and on threads without a task, it is the
 * kernel's init task (the only task before fork exists). Defined in
 * waitqueue.c. */
struct task *task_current(void);
void task_set_current(struct task *t);

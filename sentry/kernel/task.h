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
#include "sentry/kernel/signal.h"
#include "sentry/kernel/waitqueue.h"

struct mm;
struct fdtable;
struct fs_context;
struct kernel;

#define TASK_COMM_LEN 16
#define LINUX_NSIG 64

struct cred_groups;

/* A task's credentials (Linux's struct cred; helpers in
 * sentry/kernel/cred.h). An all-zero cred is Linux's init_cred: root, every
 * capability, no supplementary group. A new task gets its parent's through
 * cred_copy() (it shares the group list) and drops it with cred_put(). */
struct cred {
    linux_uid_t uid, euid, suid, fsuid;
    linux_gid_t gid, egid, sgid, fsgid;
    /* Capability sets, bit n for capability n. Use cred_cap_*(): the
     * permitted, effective and bounding sets are stored as the capabilities
     * missing from them, so that zero is the full set. */
    uint64_t cap_inheritable, cap_ambient;
    uint64_t cap_permitted_missing, cap_effective_missing, cap_bset_missing;
    uint32_t securebits; /* LINUX_SECBIT_* */
    /* Supplementary groups, sorted; NULL when there are none. Immutable and
     * shared by reference: setgroups installs a new list. */
    struct cred_groups *groups;
};

struct ktimer;

struct thread_group {
    struct kernel *k;
    linux_pid_t tgid;
    linux_pid_t ppid;
    struct task *leader;  /* the thread whose tid is tgid */
    int live_threads;     /* threads whose task loop has not ended */
    bool zombie;          /* every thread has ended: the parent may reap */
    struct linux_sigaction sigactions[LINUX_NSIG]; /* index signo-1 */
    struct linux_rlimit64 rlimits[LINUX_RLIM_NLIMITS];
    bool exiting;  /* exit_group or a fatal signal: every thread goes */
    int exit_code; /* wait status: (code << 8) or signo */
    /* Signals sent to the process (kill): any thread not blocking one
     * takes it. */
    struct sigpending shared_pending;
    /* Job control: stopped by stop_sig; the threads sleep on stop_wq until
     * SIGCONT. wait_report is what WUNTRACED/WCONTINUED may still report
     * (LINUX_CLD_STOPPED / LINUX_CLD_CONTINUED, 0 once reaped). */
    bool stopped;
    int stop_sig;
    int wait_report;
    struct waitqueue stop_wq;
    /* execve in a multi-threaded process: the exec'ing thread waits here
     * for the others to end. */
    struct task *exec_task;
    struct waitqueue exec_wq;
    /* Interval timers (ITIMER_REAL/VIRTUAL/PROF) and POSIX timers
     * (sentry/kernel/timer.c). */
    struct ktimer *itimers[3];
    struct ktimer *posix_timers;
    /* CPU time of ended threads, and of reaped children (getrusage, times). */
    uint64_t utime_ns, stime_ns, cutime_ns, cstime_ns;
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
    /* rt_sigsuspend, ppoll...: the mask to restore once the syscall is
     * over (restore_sigmask set; see signal_set_temporary_mask). */
    uint64_t saved_sigmask;
    bool restore_sigmask;
    struct sigpending pending; /* thread-directed signals */
    /* rt_sigtimedwait's set while it waits: those signals are taken, not
     * acted on, so their arrival is never fatal (Linux's real_blocked). */
    uint64_t sigwait_set;
    /* A syscall returned a -ERESTART* code: signal_deliver decides between
     * EINTR and a restart. */
    long restart_code;
    /* restart_syscall(2): how to go on with an interrupted call that
     * returned -ERESTART_RESTARTBLOCK (nanosleep). */
    long (*restart_fn)(struct task *t);
    struct linux_timespec restart_deadline;
    int restart_clock;
    uaddr_t restart_rem;
    /* The trap behind the last fault signal, for the signal frame. */
    int fault_trapno;
    uint64_t fault_err, fault_cr2;
    /* Time spent running application code / in the sentry. */
    uint64_t utime_ns, stime_ns;
    uint64_t run_start_ns; /* CLOCK_MONOTONIC when application code started; 0 */
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
    uint64_t timer_slack_ns; /* PR_SET_TIMERSLACK; 0: the default (50 us). Fork copies it */
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
/* Makes t end: its waits return, its application code stops, and its
 * task loop finishes (any thread; the kernel lock held). */
void task_end_soon(struct task *t);
/* Terminates the thread group as if by an uncaught signal signo. */
void task_kill_by_signal(struct task *t, int signo);
/* SIGCHLD with CLD_STOPPED/CLD_CONTINUED for tg's parent, and a wake-up of
 * its waits (sentry/kernel/process.c). */
void task_notify_parent_stop(struct thread_group *tg, int why, int sig);

/* t stops using mm (exit, execve): its stub thread there ends when others
 * share the mm; the reference is dropped. */
void task_drop_mm(struct task *t, struct mm *mm);

/* The kernel's task list (every task, zombies included, until reaped). */
struct task *task_list_first(void);
struct task *task_list_next(const struct task *t);
/* The live or zombie task with thread id tid, or NULL. */
struct task *task_find(linux_pid_t tid);

/* fork/vfork/clone/clone3 of a new process or thread (sentry/kernel/
 * process.c): returns the child's tid or -errno. flags holds the exit
 * signal in its low byte, as clone's; upidfd is where CLONE_PIDFD's fd
 * goes (clone: ptid). */
long task_fork(struct task *parent, uint64_t flags, uaddr_t stack, uaddr_t ptid, uaddr_t ctid,
               uint64_t tls, uaddr_t upidfd);
/* execve's de_thread: ends every other thread of t's process and makes t
 * its leader. Returns 0, or -EINTR when t is killed meanwhile. */
int task_exec_kill_others(struct task *t);
/* Releases a vfork parent waiting on t (t execs or exits). */
void task_vfork_done(struct task *t);
/* wait4/waitid core: pid as wait4's; options: WEXITED (wait4 adds it),
 * WUNTRACED/WSTOPPED, WCONTINUED, WNOHANG, __WALL/__WCLONE. Returns the pid
 * reported, 0 (WNOHANG and none ready) or -errno (-ERESTARTSYS when
 * interrupted). With nowait the child stays as it is. */
struct task_wait_result {
    linux_pid_t pid;
    linux_uid_t uid;
    int status;   /* wait4's encoding */
    int code;     /* waitid's si_code: LINUX_CLD_* */
    int signo;    /* waitid's si_status: exit code or signal */
    uint64_t utime_ns, stime_ns; /* the child's and its reaped children's */
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
/* The task whose thread is calling, NULL on sentry service threads. */
struct task *task_current_or_null(void);

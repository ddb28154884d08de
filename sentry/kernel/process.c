/* Processes: the kernel's task list, fork of a new process, the end of a
 * task (zombie, reparenting, the end of the sandbox) and wait.
 *
 * One task per thread group until threads exist. A process's task thread
 * is a detached pthread (pid 1's is boot's). On the ptrace platform a stub
 * is traced by the thread that created it, so the child's thread creates
 * its own address space half (mm_fork_attach) before it runs.
 *
 * Lock order: the kernel lock covers the list and every field used here. */
#include "sentry/kernel/process.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/signal.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Linux clone flags (include/uapi/linux/sched.h). */
#define L_CLONE_VM 0x00000100ULL
#define L_CLONE_FS 0x00000200ULL
#define L_CLONE_FILES 0x00000400ULL
#define L_CLONE_SIGHAND 0x00000800ULL
#define L_CLONE_PIDFD 0x00001000ULL
#define L_CLONE_PTRACE 0x00002000ULL
#define L_CLONE_VFORK 0x00004000ULL
#define L_CLONE_PARENT 0x00008000ULL
#define L_CLONE_THREAD 0x00010000ULL
#define L_CLONE_NEWNS 0x00020000ULL
#define L_CLONE_SYSVSEM 0x00040000ULL
#define L_CLONE_SETTLS 0x00080000ULL
#define L_CLONE_PARENT_SETTID 0x00100000ULL
#define L_CLONE_CHILD_CLEARTID 0x00200000ULL
#define L_CLONE_DETACHED 0x00400000ULL
#define L_CLONE_UNTRACED 0x00800000ULL
#define L_CLONE_CHILD_SETTID 0x01000000ULL
#define L_CLONE_IO 0x80000000ULL
#define L_CLONE_CLEAR_SIGHAND 0x100000000ULL
#define L_CLONE_INTO_CGROUP 0x200000000ULL
#define L_CLONE_NS_MASK 0x7e020080ULL /* L_CLONE_NEW* */

#define L_WNOHANG 0x00000001
#define L_WUNTRACED 0x00000002
#define L_WEXITED 0x00000004
#define L_WCONTINUED 0x00000008
#define L_WNOWAIT 0x01000000
#define L_WNOTHREAD 0x20000000
#define L_WALL 0x40000000
#define L_WCLONE 0x80000000

static struct task *list_last;
#define list_first (kernel_global->tasks)
static int tasks_live;

void task_list_add(struct task *t)
{
    t->list_prev = list_last;
    t->list_next = NULL;
    if (list_last)
        list_last->list_next = t;
    else
        list_first = t;
    list_last = t;
    tasks_live++;
}

static void task_list_remove(struct task *t)
{
    if (t->list_prev)
        t->list_prev->list_next = t->list_next;
    else
        list_first = t->list_next;
    if (t->list_next)
        t->list_next->list_prev = t->list_prev;
    else
        list_last = t->list_prev;
    t->list_prev = t->list_next = NULL;
}

struct task *task_list_first(void)
{
    return list_first;
}

struct task *task_list_next(const struct task *t)
{
    return t->list_next;
}

struct task *task_find(linux_pid_t tid)
{
    for (struct task *t = list_first; t; t = t->list_next)
        if (t->tid == tid)
            return t;
    return NULL;
}

/* Frees a task whose thread has ended: a reaped process's leader, or a
 * thread that was not its group's leader (those are never waited for). */
static void task_free(struct task *t)
{
    task_list_remove(t);
    if (t->fs)
        fs_context_put(t->fs);
    if (t->ctx)
        platform->ctx_release(t->ctx);
    sigpending_clear(&t->pending);
    if (t->tg->leader == t) {
        sigpending_clear(&t->tg->shared_pending);
        timer_group_release(t->tg);
        free(t->tg);
    }
    cred_put(&t->cred);
    free(t);
}

void task_vfork_done(struct task *t)
{
    if (!t->vfork_pending)
        return;
    t->vfork_pending = false;
    waitqueue_wake_all(&t->vfork_wq);
}

/* Kills t's whole process as pid 1's death does (SIGKILL). */
static void task_kill_for_init(struct task *t)
{
    if (t->zombie || t->tg->exiting)
        return;
    signal_send_group(t->tg, LINUX_SIGKILL, NULL);
}

/* SIGCHLD (or the clone's exit signal) for the parent of the exited
 * process tg, with Linux's siginfo. */
static void notify_parent_exit(struct thread_group *tg, struct task *parent, int exit_signal)
{
    struct linux_siginfo info;
    memset(&info, 0, sizeof(info));
    info.si_signo = exit_signal;
    int status = tg->exit_code;
    if (status & 0x7f) {
        info.si_code = (status & 0x80) ? LINUX_CLD_DUMPED : LINUX_CLD_KILLED;
        info.f.chld.status = status & 0x7f;
    } else {
        info.si_code = LINUX_CLD_EXITED;
        info.f.chld.status = (status >> 8) & 0xff;
    }
    info.f.chld.pid = tg->tgid;
    info.f.chld.uid = tg->leader->cred.uid;
    info.f.chld.utime = (int64_t)(tg->utime_ns / 10000000);
    info.f.chld.stime = (int64_t)(tg->stime_ns / 10000000);
    signal_send_group(parent->tg, exit_signal, &info);
}

void task_notify_parent_stop(struct thread_group *tg, int why, int sig)
{
    struct task *parent = task_find(tg->ppid);
    if (!parent || parent->zombie || parent->tg->exiting)
        return;
    waitqueue_wake_all(&parent->tg->child_wq);
    const struct linux_sigaction *sa = &parent->tg->sigactions[LINUX_SIGCHLD - 1];
    if (sa->flags & LINUX_SA_NOCLDSTOP)
        return;
    struct linux_siginfo info;
    memset(&info, 0, sizeof(info));
    info.si_signo = LINUX_SIGCHLD;
    info.si_code = why;
    info.f.chld.pid = tg->tgid;
    info.f.chld.uid = tg->leader->cred.uid;
    info.f.chld.status = sig;
    signal_send_group(parent->tg, LINUX_SIGCHLD, &info);
}

/* The nearest live subreaper above tg (PR_SET_CHILD_SUBREAPER), else pid 1. */
static struct task *reaper_for(struct thread_group *tg)
{
    struct task *init = kernel_global->init;
    for (linux_pid_t pp = tg->ppid; pp > 1;) {
        struct task *p = task_find(pp);
        if (!p)
            break;
        if (p->tg != tg && p->tg->child_subreaper && !p->tg->zombie && !p->tg->exiting)
            return p->tg->leader;
        pp = p->tg->ppid;
    }
    return init;
}

/* The last thread of tg has ended: the process becomes a zombie. */
static void process_finish(struct thread_group *tg)
{
    struct kernel *k = tg->k;
    struct task *init = k->init;
    struct task *leader = tg->leader;
    tg->zombie = true;
    tg->stopped = false;
    timer_group_release(tg);
    pidfd_notify_exit(tg);
    if (leader == init) {
        for (struct task *c = task_list_first(); c; c = task_list_next(c))
            if (c->tg != tg)
                task_kill_for_init(c);
        return;
    }
    /* Reparent the children to the subreaper or pid 1, which reaps the
     * zombies; children asked for a signal at their parent's death. */
    struct task *reaper = reaper_for(tg);
    bool zombies = false;
    for (struct task *c = task_list_first(); c; c = task_list_next(c)) {
        if (c->tg->leader != c || c->tg == tg || c->tg->ppid != tg->tgid)
            continue;
        c->tg->ppid = reaper->tg->tgid;
        zombies |= c->tg->zombie;
        if (c->pdeath_signal && !c->tg->zombie)
            signal_send_group(c->tg, c->pdeath_signal, NULL);
    }
    if (zombies && !reaper->tg->zombie) {
        signal_send_group(reaper->tg, LINUX_SIGCHLD, NULL);
        waitqueue_wake_all(&reaper->tg->child_wq);
    }
    struct task *parent = task_find(tg->ppid);
    if (parent && !parent->tg->zombie) {
        const struct linux_sigaction *sa = &parent->tg->sigactions[LINUX_SIGCHLD - 1];
        bool autoreap = leader->exit_signal == LINUX_SIGCHLD &&
                        (sa->handler == LINUX_SIG_IGN || (sa->flags & LINUX_SA_NOCLDWAIT));
        if (leader->exit_signal > 0 && !autoreap)
            notify_parent_exit(tg, parent, leader->exit_signal);
        waitqueue_wake_all(&parent->tg->child_wq);
        if (autoreap)
            task_free(leader);
    }
}

void task_finish(struct task *t)
{
    struct kernel *k = t->k;
    struct thread_group *tg = t->tg;
    /* t may be freed below: this thread runs no task from here on. */
    task_set_current(NULL);
    t->zombie = true;
    tg->live_threads--;
    tasks_live--;
    tg->utime_ns += t->utime_ns;
    tg->stime_ns += t->stime_ns;
    if (tg->live_threads == 0) {
        /* The last thread: the process becomes a zombie, represented by
         * its leader; a last thread that is not the leader goes first. */
        if (t != tg->leader)
            task_free(t);
        process_finish(tg);
    } else {
        /* An execve waits for the other threads to go. */
        if (tg->exec_task)
            waitqueue_wake_all(&tg->exec_wq);
        /* Only the leader stays, as the process's zombie, until the last
         * thread ends; other threads are gone at once. */
        if (t != tg->leader)
            task_free(t);
    }
    struct task *init = k->init;
    if (tasks_live == 0 && init->tg->zombie)
        kernel_set_exited(k, init->tg->exit_code);
}

/* The child's task thread: its own stub (a new process), CLONE_CHILD_SETTID,
 * then run. */
static void *task_child_main(void *arg)
{
    struct task *t = arg;
    struct kernel *k = t->k;
    kernel_lock(k);
    int err = t->mm->as ? 0 : mm_fork_attach(t->mm);
    if (err) {
        log_error("pid %d: cannot create the address space of a new process", t->tid);
        t->exiting = true;
        t->tg->exiting = true;
        t->tg->exit_code = LINUX_SIGKILL;
        mm_put(t->mm);
        t->mm = NULL;
        kernel_unlock(k);
        /* task_run ends at once and releases what is left. */
    } else {
        if (t->set_child_tid) {
            uint32_t tid = (uint32_t)t->tid;
            copy_out(t->mm, t->set_child_tid, &tid, sizeof(tid));
        }
        kernel_unlock(k);
    }
    task_run(t);
    return NULL;
}

static bool vfork_released(void *arg)
{
    struct task *child = arg;
    return !child->vfork_pending;
}

/* Processes of the sandbox with real uid uid (RLIMIT_NPROC). */
static int processes_of(linux_uid_t uid)
{
    int n = 0;
    for (struct task *c = list_first; c; c = c->list_next)
        if (!c->zombie && c->cred.uid == uid)
            n++;
    return n;
}

long task_fork(struct task *parent, uint64_t flags, uaddr_t stack, uaddr_t ptid, uaddr_t ctid,
               uint64_t tls, uaddr_t upidfd)
{
    struct kernel *k = parent->k;
    int exit_signal = (int)(flags & 0xff);
    if (exit_signal > LINUX_NSIG)
        return -LINUX_EINVAL;
    flags &= ~0xffULL;
    if ((flags & L_CLONE_THREAD) && !(flags & L_CLONE_SIGHAND))
        return -LINUX_EINVAL;
    if ((flags & L_CLONE_SIGHAND) && !(flags & L_CLONE_VM))
        return -LINUX_EINVAL;
    if ((flags & L_CLONE_FS) && (flags & L_CLONE_NEWNS))
        return -LINUX_EINVAL;
    if ((flags & L_CLONE_THREAD) && (flags & L_CLONE_PARENT) == 0 && exit_signal)
        exit_signal = 0; /* threads send nothing at exit */
    if ((flags & L_CLONE_PIDFD) && (flags & L_CLONE_PARENT_SETTID) && ptid == upidfd)
        return -LINUX_EINVAL;
    if ((flags & L_CLONE_CLEAR_SIGHAND) && (flags & L_CLONE_SIGHAND))
        return -LINUX_EINVAL;
    if ((flags & L_CLONE_PIDFD) && (flags & L_CLONE_THREAD))
        return -LINUX_EINVAL;
    if (flags & L_CLONE_NS_MASK) {
        log_info("clone: namespaces are not implemented yet (flags %#lx)", (unsigned long)flags);
        return -LINUX_EINVAL;
    }
    if (!(flags & L_CLONE_THREAD) && parent->cred.euid != 0 &&
        (uint64_t)processes_of(parent->cred.uid) >=
            parent->tg->rlimits[LINUX_RLIMIT_NPROC].rlim_cur)
        return -LINUX_EAGAIN;
    if (parent->tg->exiting || parent->exiting)
        return -LINUX_ERESTARTNOINTR;

    struct task *c = calloc(1, sizeof(*c));
    struct thread_group *tg = (flags & L_CLONE_THREAD) ? parent->tg : calloc(1, sizeof(*tg));
    if (!c || !tg) {
        free(c);
        if (!(flags & L_CLONE_THREAD))
            free(tg);
        return -LINUX_ENOMEM;
    }
    c->ctx = platform->ctx_new();
    if (flags & L_CLONE_VM) {
        /* One address space: a new stub thread in the parent's stub. */
        c->mm = parent->mm;
        mm_get(c->mm);
    } else {
        c->mm = mm_fork(parent->mm);
    }
    if (flags & L_CLONE_FILES) {
        c->fds = parent->fds;
        c->fds->refs++;
    } else {
        c->fds = fdtable_clone(parent->fds);
    }
    if (flags & L_CLONE_FS) {
        c->fs = parent->fs;
        fs_context_get(c->fs);
    } else {
        c->fs = fs_context_clone(parent->fs);
    }
    int err = -LINUX_ENOMEM;
    if (c->ctx && c->mm && (flags & L_CLONE_VM)) {
        err = platform->ctx_share(parent->ctx, c->mm->as, c->ctx);
        if (err) {
            mm_put(c->mm);
            c->mm = NULL;
        }
    }
    if (!c->ctx || !c->mm || !c->fds || !c->fs) {
        if (c->ctx)
            platform->ctx_release(c->ctx);
        if (c->mm)
            mm_put(c->mm);
        if (c->fds)
            fdtable_put(c->fds);
        if (c->fs)
            fs_context_put(c->fs);
        free(c);
        if (!(flags & L_CLONE_THREAD))
            free(tg);
        return err == -LINUX_ENOMEM ? -LINUX_ENOMEM : -LINUX_EAGAIN;
    }
    c->k = k;
    c->tg = tg;
    if (flags & L_CLONE_THREAD) {
        c->tid = k->next_pid++;
    } else {
        tg->k = k;
        tg->tgid = k->next_pid++;
        tg->leader = c;
        tg->ppid = (flags & L_CLONE_PARENT) && parent->tg->ppid ? parent->tg->ppid
                                                                 : parent->tg->tgid;
        memcpy(tg->sigactions, parent->tg->sigactions, sizeof(tg->sigactions));
        /* clone3's CLONE_CLEAR_SIGHAND: handlers back to the default;
         * ignored signals stay ignored (flush_signal_handlers). */
        if (flags & L_CLONE_CLEAR_SIGHAND)
            for (int i = 0; i < LINUX_NSIG; i++)
                if (tg->sigactions[i].handler != LINUX_SIG_IGN)
                    memset(&tg->sigactions[i], 0, sizeof(tg->sigactions[i]));
        memcpy(tg->rlimits, parent->tg->rlimits, sizeof(tg->rlimits));
        tg->pgid = parent->tg->pgid;
        tg->sid = parent->tg->sid;
        tg->nice = parent->tg->nice;
        c->tid = tg->tgid;
    }
    tg->live_threads++;
    c->cpu.regs = parent->cpu.regs;
    c->cpu.regs.rax = 0;
    /* The FPU state is copied too: fetched from the parent's stub, loaded
     * into the child's at its first run. */
    if (platform->get_xstate(parent->ctx, parent->mm->as, &parent->cpu) == 0) {
        memcpy(c->cpu.xstate, parent->cpu.xstate, parent->cpu.xstate_size);
        c->cpu.xstate_size = parent->cpu.xstate_size;
        c->cpu.xstate_valid = true;
        c->cpu.xstate_dirty = true;
    }
    if (stack)
        c->cpu.regs.rsp = stack;
    if (flags & L_CLONE_SETTLS)
        c->cpu.regs.fs_base = tls;
    c->cpu.regs_dirty = true;
    cred_copy(&c->cred, &parent->cred);
    c->timer_slack_ns = parent->timer_slack_ns;
    c->sigmask = parent->sigmask;
    c->altstack = parent->altstack;
    if ((flags & (L_CLONE_VM | L_CLONE_VFORK)) == L_CLONE_VM)
        c->altstack = (struct linux_stack_t){.ss_flags = LINUX_SS_DISABLE};
    memcpy(c->comm, parent->comm, sizeof(c->comm));
    c->cur_syscall = -1;
    c->no_new_privs = parent->no_new_privs;
    c->undumpable = parent->undumpable;
    c->exit_signal = (flags & L_CLONE_THREAD) ? -1 : exit_signal;
    if (flags & L_CLONE_CHILD_CLEARTID)
        c->clear_child_tid = ctid;
    if (flags & L_CLONE_CHILD_SETTID)
        c->set_child_tid = ctid;
    c->vfork_pending = (flags & L_CLONE_VFORK) != 0;
    linux_pid_t pid = c->tid;
    if (flags & L_CLONE_PARENT_SETTID) {
        uint32_t v = (uint32_t)pid;
        copy_out(parent->mm, ptid, &v, sizeof(v));
    }
    task_list_add(c);

    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&thread, &attr, task_child_main, c);
    pthread_attr_destroy(&attr);
    if (err) {
        log_error("cannot start a task thread: %s", strerror(err));
        task_list_remove(c);
        tasks_live--;
        tg->live_threads--;
        fdtable_put(c->fds);
        if ((flags & L_CLONE_VM) && c->mm->as)
            platform->ctx_leave(c->ctx, c->mm->as);
        mm_put(c->mm);
        fs_context_put(c->fs);
        platform->ctx_release(c->ctx);
        cred_put(&c->cred);
        free(c);
        if (!(flags & L_CLONE_THREAD))
            free(tg);
        k->next_pid--;
        return -LINUX_EAGAIN;
    }
    c->thread = thread;
    if (flags & L_CLONE_PIDFD) {
        int fd = pidfd_install(parent, pid, 0);
        int32_t v = fd;
        if (fd >= 0)
            copy_out(parent->mm, upidfd, &v, sizeof(v));
    }
    if (flags & L_CLONE_VFORK) {
        /* Linux's vfork wait is killable only: it ends with a fatal
         * signal or pid 1's death (both set parent->exiting). */
        waitqueue_wait_killable(&c->vfork_wq, parent, vfork_released, c);
        signal_recalc(parent);
    }
    return pid;
}

static bool exec_alone(void *arg)
{
    struct task *t = arg;
    return t->tg->live_threads == 1 || t->exiting;
}

int task_exec_kill_others(struct task *t)
{
    struct thread_group *tg = t->tg;
    if (tg->live_threads > 1) {
        tg->exec_task = t;
        for (struct task *c = list_first; c; c = c->list_next)
            if (c->tg == tg && c != t && !c->zombie)
                task_end_soon(c);
        /* Killable only, like Linux's de_thread. */
        waitqueue_wait_killable(&tg->exec_wq, t, exec_alone, t);
        tg->exec_task = NULL;
        signal_recalc(t);
        if (t->exiting)
            return -LINUX_EINTR;
    }
    struct task *leader = tg->leader;
    if (leader != t) {
        /* The exec'ing thread becomes the leader: it takes the process's
         * pid, and the old leader (a zombie thread by now) goes. */
        t->tid = tg->tgid;
        t->exit_signal = leader->exit_signal;
        tg->leader = t;
        leader->tid = -1;
        task_free(leader);
    }
    return 0;
}

static bool wait_matches(const struct task *parent, const struct task *c, linux_pid_t pid)
{
    if (c->tg->leader != c || c->tg == parent->tg || c->tg->ppid != parent->tg->tgid)
        return false;
    if (pid > 0)
        return c->tg->tgid == pid;
    if (pid == -1)
        return true;
    if (pid == 0)
        return c->tg->pgid == parent->tg->pgid;
    return c->tg->pgid == -pid;
}

long task_wait(struct task *t, linux_pid_t pid, int options, bool nowait,
               struct task_wait_result *out)
{
    struct waitqueue_entry e;
    waitqueue_add(&t->tg->child_wq, &e, t);
    long ret;
    for (;;) {
        bool any = false;
        struct task *found = NULL;
        for (struct task *c = list_first; c; c = c->list_next) {
            if (!wait_matches(t, c, pid))
                continue;
            /* L_WCLONE: only "clone" children (exit signal not SIGCHLD);
             * by default only the others; L_WALL: all. */
            if (!(options & L_WALL) &&
                ((options & L_WCLONE) != 0) != (c->exit_signal != LINUX_SIGCHLD))
                continue;
            any = true;
            struct thread_group *ctg = c->tg;
            if (ctg->zombie && (options & L_WEXITED)) {
                found = c;
                out->code = 0;
                break;
            }
            if (!ctg->zombie && ctg->wait_report == LINUX_CLD_STOPPED && ctg->stopped &&
                (options & L_WUNTRACED)) {
                found = c;
                out->code = LINUX_CLD_STOPPED;
                break;
            }
            if (!ctg->zombie && ctg->wait_report == LINUX_CLD_CONTINUED &&
                (options & L_WCONTINUED)) {
                found = c;
                out->code = LINUX_CLD_CONTINUED;
                break;
            }
        }
        if (found) {
            struct thread_group *ctg = found->tg;
            out->pid = ctg->tgid;
            out->uid = found->cred.uid;
            if (out->code == LINUX_CLD_STOPPED) {
                out->status = (ctg->stop_sig << 8) | 0x7f;
                out->signo = ctg->stop_sig;
                if (!nowait)
                    ctg->wait_report = 0;
            } else if (out->code == LINUX_CLD_CONTINUED) {
                out->status = 0xffff;
                out->signo = LINUX_SIGCONT;
                if (!nowait)
                    ctg->wait_report = 0;
            } else {
                out->status = ctg->exit_code;
                if (out->status & 0x7f) {
                    out->code = (out->status & 0x80) ? LINUX_CLD_DUMPED : LINUX_CLD_KILLED;
                    out->signo = out->status & 0x7f;
                } else {
                    out->code = LINUX_CLD_EXITED;
                    out->signo = (out->status >> 8) & 0xff;
                }
                out->utime_ns = ctg->utime_ns + ctg->cutime_ns;
                out->stime_ns = ctg->stime_ns + ctg->cstime_ns;
                if (!nowait) {
                    t->tg->cutime_ns += out->utime_ns;
                    t->tg->cstime_ns += out->stime_ns;
                    task_free(found);
                }
            }
            ret = out->pid;
            break;
        }
        if (!any) {
            ret = -LINUX_ECHILD;
            break;
        }
        if (options & L_WNOHANG) {
            ret = 0;
            break;
        }
        int err = task_block(t, NULL);
        if (err) {
            ret = err;
            break;
        }
    }
    waitqueue_remove(&t->tg->child_wq, &e);
    return ret;
}

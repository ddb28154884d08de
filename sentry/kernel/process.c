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
#include "sentry/kernel/task.h"
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

/* Frees a reaped zombie. */
static void task_free(struct task *t)
{
    task_list_remove(t);
    if (t->fs)
        fs_context_put(t->fs);
    if (t->ctx)
        platform->ctx_release(t->ctx);
    free(t->tg);
    free(t);
}

void task_vfork_done(struct task *t)
{
    if (!t->vfork_pending)
        return;
    t->vfork_pending = false;
    waitqueue_wake_all(&t->vfork_wq);
}

/* Kills t as pid 1's death does (SIGKILL), wherever it is. */
static void task_kill_for_init(struct task *t)
{
    if (t->zombie)
        return;
    if (!t->exiting) {
        t->exiting = true;
        t->tg->exiting = true;
        t->tg->exit_code = LINUX_SIGKILL;
    }
    task_interrupt(t);
    if (t->ctx)
        platform->interrupt(t->ctx);
}

void task_finish(struct task *t)
{
    struct kernel *k = t->k;
    struct task *init = k->init;
    t->zombie = true;
    if (t == init) {
        for (struct task *c = list_first; c; c = c->list_next)
            if (c != t)
                task_kill_for_init(c);
    } else {
        /* Reparent the children to pid 1, which reaps the zombies. */
        bool zombies = false;
        for (struct task *c = list_first; c; c = c->list_next) {
            if (c->tg->ppid == t->tg->tgid && c != t) {
                c->tg->ppid = init->tg->tgid;
                zombies |= c->zombie;
            }
        }
        if (zombies && !init->zombie) {
            init->tg->sigchld_pending++;
            waitqueue_wake_all(&init->tg->child_wq);
        }
        struct task *parent = task_find(t->tg->ppid);
        bool autoreap = false;
        if (parent && !parent->zombie) {
            const struct linux_sigaction *sa = &parent->tg->sigactions[LINUX_SIGCHLD - 1];
            autoreap = t->exit_signal == LINUX_SIGCHLD &&
                       (sa->handler == LINUX_SIG_IGN || (sa->flags & LINUX_SA_NOCLDWAIT));
            if (t->exit_signal > 0)
                parent->tg->sigchld_pending++; /* TODO(signals): deliver */
            waitqueue_wake_all(&parent->tg->child_wq);
        }
        if (autoreap) {
            tasks_live--;
            task_free(t);
            goto check_end;
        }
    }
    tasks_live--;
check_end:
    if (tasks_live == 0 && init->zombie)
        kernel_set_exited(k, init->tg->exit_code);
}

/* The child's task thread: its own stub, L_CLONE_CHILD_SETTID, then run. */
static void *task_child_main(void *arg)
{
    struct task *t = arg;
    struct kernel *k = t->k;
    kernel_lock(k);
    int err = mm_fork_attach(t->mm);
    if (err) {
        log_error("pid %d: cannot create the address space of a new process", t->tid);
        t->exiting = true;
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

long task_fork(struct task *parent, uint64_t flags, uaddr_t stack, uaddr_t ptid, uaddr_t ctid,
               uint64_t tls)
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
    if (flags & L_CLONE_THREAD) {
        log_info("clone: threads (L_CLONE_THREAD) are not implemented yet");
        return -LINUX_ENOSYS;
    }
    /* L_CLONE_VM without L_CLONE_VFORK shares memory with a running parent:
     * not possible before the mm can be shared between stubs. With
     * L_CLONE_VFORK (vfork, posix_spawn) the parent is stopped until the
     * child execs or exits, and the child gets a copy instead: only writes
     * the child makes before exec (posix_spawn's error report) are lost. */
    if ((flags & L_CLONE_VM) && !(flags & L_CLONE_VFORK)) {
        log_info("clone: L_CLONE_VM without L_CLONE_VFORK is not implemented yet");
        return -LINUX_ENOSYS;
    }
    if (flags & (L_CLONE_NS_MASK | L_CLONE_PIDFD)) {
        log_info("clone: namespaces and pidfds are not implemented yet (flags %#lx)",
                 (unsigned long)flags);
        return -LINUX_EINVAL;
    }

    struct task *c = calloc(1, sizeof(*c));
    struct thread_group *tg = calloc(1, sizeof(*tg));
    if (!c || !tg) {
        free(c);
        free(tg);
        return -LINUX_ENOMEM;
    }
    c->ctx = platform->ctx_new();
    c->mm = mm_fork(parent->mm);
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
        free(tg);
        return -LINUX_ENOMEM;
    }
    tg->k = k;
    tg->tgid = k->next_pid++;
    tg->ppid = (flags & L_CLONE_PARENT) && parent->tg->ppid ? parent->tg->ppid : parent->tg->tgid;
    memcpy(tg->sigactions, parent->tg->sigactions, sizeof(tg->sigactions));
    memcpy(tg->rlimits, parent->tg->rlimits, sizeof(tg->rlimits));
    tg->pgid = parent->tg->pgid;
    tg->sid = parent->tg->sid;
    c->k = k;
    c->tg = tg;
    c->tid = tg->tgid;
    c->cpu.regs = parent->cpu.regs;
    c->cpu.regs.rax = 0;
    if (stack)
        c->cpu.regs.rsp = stack;
    if (flags & L_CLONE_SETTLS)
        c->cpu.regs.fs_base = tls;
    c->cpu.regs_dirty = true;
    c->cred = parent->cred;
    c->sigmask = parent->sigmask;
    c->altstack = parent->altstack;
    if (stack)
        c->altstack = (struct linux_stack_t){.ss_flags = LINUX_SS_DISABLE};
    memcpy(c->comm, parent->comm, sizeof(c->comm));
    c->cur_syscall = -1;
    c->no_new_privs = parent->no_new_privs;
    c->undumpable = parent->undumpable;
    c->exit_signal = exit_signal;
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
    int err = pthread_create(&thread, &attr, task_child_main, c);
    pthread_attr_destroy(&attr);
    if (err) {
        log_error("cannot start a task thread: %s", strerror(err));
        task_list_remove(c);
        tasks_live--;
        fdtable_put(c->fds);
        mm_put(c->mm);
        fs_context_put(c->fs);
        platform->ctx_release(c->ctx);
        free(c);
        free(tg);
        k->next_pid--;
        return -LINUX_EAGAIN;
    }
    c->thread = thread;
    if (flags & L_CLONE_VFORK) {
        /* Linux's vfork wait is killable only; ours ends with pid 1. */
        while (c->vfork_pending && !parent->exiting) {
            int r = waitqueue_wait(&c->vfork_wq, parent, vfork_released, c, NULL);
            if (r == -LINUX_ERESTARTSYS && parent->exiting)
                break;
            if (r == -LINUX_ERESTARTSYS)
                task_interrupt_clear(parent);
        }
    }
    return pid;
}

static bool wait_matches(const struct task *parent, const struct task *c, linux_pid_t pid)
{
    if (c->tg->ppid != parent->tg->tgid || c == parent)
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
            if (c->zombie) {
                found = c;
                break;
            }
        }
        if (found) {
            out->pid = found->tg->tgid;
            out->uid = found->cred.uid;
            out->status = found->tg->exit_code;
            if (!nowait)
                task_free(found);
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
        if (t->exiting) {
            ret = -LINUX_EINTR;
            break;
        }
    }
    waitqueue_remove(&t->tg->child_wq, &e);
    return ret;
}

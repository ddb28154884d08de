/* The tasks procfs lists: the sandbox's own, never the host's.
 *
 * TODO(processes): the kernel has no task list yet, only pid 1 (k->init).
 * When fork/clone add one (a pid table), these four functions are the only
 * place to change.
 *
 * Lock order: the kernel lock. */
#include <stddef.h>

#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

static struct task *only_task(void)
{
    struct kernel *k = kernel_global;
    return k ? k->init : NULL;
}

struct task *proc_task_find(linux_pid_t tid)
{
    struct task *t = only_task();
    return t && t->tid == tid ? t : NULL;
}

linux_pid_t proc_tgid_next(linux_pid_t from)
{
    struct task *t = only_task();
    return t && t->tg->tgid >= from ? t->tg->tgid : 0;
}

linux_pid_t proc_tid_next(linux_pid_t tgid, linux_pid_t from)
{
    struct task *t = only_task();
    return t && t->tg->tgid == tgid && t->tid >= from ? t->tid : 0;
}

void proc_task_counts(int *out_tasks, int *out_groups)
{
    int n = only_task() ? 1 : 0;
    *out_tasks = n;
    *out_groups = n;
}

struct task *proc_inode_task(const struct kernfs_inode *ki)
{
    linux_pid_t tid = (linux_pid_t)(ki->b ? ki->b : ki->a);
    struct task *t = proc_task_find(tid);
    if (!t || t->tg->tgid != (linux_pid_t)ki->a)
        return NULL;
    return t;
}

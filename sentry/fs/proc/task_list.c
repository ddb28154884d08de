/* The tasks procfs lists: the sandbox's own, never the host's, from the
 * kernel's task list (sentry/kernel/process.c). Zombies are left out: their
 * mm and fds are gone.
 *
 * Lock order: the kernel lock. */
#include <stddef.h>

#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

/* The first task of the list; a kernel without one (the unit tests' fake
 * kernel) has just its init task. */
static struct task *first(void)
{
    struct kernel *k = kernel_global;
    if (!k)
        return NULL;
    return k->tasks ? k->tasks : k->init;
}

static struct task *next(struct task *t)
{
    return kernel_global->tasks ? t->list_next : NULL;
}

static struct task *find(linux_pid_t tid)
{
    for (struct task *t = first(); t; t = next(t))
        if (t->tid == tid)
            return t;
    return NULL;
}

/* A live thread, or a process's zombie leader (a zombie process stays in
 * /proc, state Z, until reaped). */
static bool visible(const struct task *t)
{
    return !t->zombie || (t->tg->leader == t && t->tg->zombie);
}

struct task *proc_task_find(linux_pid_t tid)
{
    struct task *t = find(tid);
    return t && visible(t) ? t : NULL;
}

linux_pid_t proc_tgid_next(linux_pid_t from)
{
    linux_pid_t best = 0;
    for (struct task *t = first(); t; t = next(t))
        if (visible(t) && t->tg->tgid >= from && (!best || t->tg->tgid < best))
            best = t->tg->tgid;
    return best;
}

linux_pid_t proc_tid_next(linux_pid_t tgid, linux_pid_t from)
{
    linux_pid_t best = 0;
    for (struct task *t = first(); t; t = next(t))
        if (visible(t) && t->tg->tgid == tgid && t->tid >= from && (!best || t->tid < best))
            best = t->tid;
    return best;
}

void proc_task_counts(int *out_tasks, int *out_groups)
{
    int n = 0, groups = 0;
    for (struct task *t = first(); t; t = next(t)) {
        if (!visible(t))
            continue;
        n++;
        groups += t->tg->leader == t;
    }
    *out_tasks = n;
    *out_groups = groups;
}

struct task *proc_inode_task(const struct kernfs_inode *ki)
{
    linux_pid_t tid = (linux_pid_t)(ki->b ? ki->b : ki->a);
    struct task *t = proc_task_find(tid);
    if (!t || t->tg->tgid != (linux_pid_t)ki->a)
        return NULL;
    return t;
}

/* The poll_table (see poll.h). */
#include "sentry/vfs/poll.h"

#include <stdlib.h>

#include "abi/linux/poll.h"
#include "sentry/kernel/kernel.h"
#include "sentry/vfs/file.h"

void poll_table_init(struct poll_table *pt, struct task *t)
{
    *pt = (struct poll_table){.task = t, .key = ~0U};
}

void poll_table_release(struct poll_table *pt)
{
    for (int i = 0; i < pt->n; i++) {
        waitqueue_remove(pt->entries[i].wq, &pt->entries[i].e);
        if (pt->entries[i].file)
            file_put(pt->entries[i].file);
    }
    free(pt->entries);
    pt->entries = NULL;
    pt->n = pt->cap = 0;
}

void poll_wait(struct poll_table *pt, struct waitqueue *wq)
{
    if (!pt || !wq)
        return;
    if (pt->queue_proc) {
        pt->queue_proc(pt, wq);
        return;
    }
    /* Many fds may share a queue (both ends of a pipe, dup'ed fds): one
     * registration per queue is enough to be woken. */
    for (int i = 0; i < pt->n; i++)
        if (pt->entries[i].wq == wq)
            return;
    if (pt->n == pt->cap) {
        int cap = pt->cap ? pt->cap * 2 : 8;
        struct poll_entry *e = realloc(pt->entries, (size_t)cap * sizeof(*e));
        if (!e) {
            pt->failed = true;
            return;
        }
        /* Entries are linked into queues by address: relink after a move. */
        if (e != pt->entries) {
            for (int i = 0; i < pt->n; i++) {
                struct waitqueue_entry *we = &e[i].e;
                if (we->prev)
                    we->prev->next = we;
                else
                    e[i].wq->first = we;
                if (we->next)
                    we->next->prev = we;
                else
                    e[i].wq->last = we;
            }
        }
        pt->entries = e;
        pt->cap = cap;
    }
    struct poll_entry *pe = &pt->entries[pt->n++];
    pe->wq = wq;
    pe->file = pt->file;
    if (pe->file)
        file_get(pe->file);
    waitqueue_add(wq, &pe->e, pt->task);
}

unsigned file_poll(struct file *f, struct poll_table *pt)
{
    if (!f->ops->poll)
        return LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLOUT | LINUX_POLLWRNORM;
    if (!pt)
        return f->ops->poll(f, NULL);
    struct file *outer = pt->file; /* a nested epoll polls its items' files */
    pt->file = f;
    unsigned mask = f->ops->poll(f, pt);
    pt->file = outer;
    return mask;
}

bool file_can_poll(const struct file *f)
{
    return f->ops->poll != NULL;
}

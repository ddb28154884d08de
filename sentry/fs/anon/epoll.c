/* epoll instances (see epoll.h), following Linux's fs/eventpoll.c.
 *
 * Each item is on its epoll's hash table (by file and fd), on its file's
 * ep_items list (so the file's release can drop it), and, while it may be
 * ready, on its epoll's ready list (FIFO, like Linux's rdllist). Its
 * callback entries (struct epoll_wait_entry) sit on the queues its file's
 * poll op registered with the item's events as the key.
 *
 * Differences from Linux: wake-ups carry no event mask, so a callback
 * marks its item ready on any wake-up of the queues it registered on
 * (files choose queues by the requested events to keep this close);
 * EPOLLEXCLUSIVE is accepted and checked but every waiter is woken;
 * EPOLLWAKEUP is accepted and does nothing (there is no suspend); the
 * wake-up path limits of reverse_path_check and max_user_watches are not
 * enforced.
 *
 * Lock order: the kernel lock covers everything here. */
#include "sentry/fs/anon/epoll.h"

#include <stdlib.h>

#include "abi/linux/epoll.h"
#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/poll.h"
#include "lib/panic.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

/* Bits that configure an item rather than ask for events. */
#define EP_PRIVATE_BITS                                                                            \
    (LINUX_EPOLLWAKEUP | LINUX_EPOLLONESHOT | LINUX_EPOLLET | LINUX_EPOLLEXCLUSIVE)
#define EP_EXCLUSIVE_OK_BITS                                                                       \
    (LINUX_EPOLLIN | LINUX_EPOLLOUT | LINUX_EPOLLERR | LINUX_EPOLLHUP | LINUX_EPOLLWAKEUP |        \
     LINUX_EPOLLET | LINUX_EPOLLEXCLUSIVE)
/* Linux's EP_MAX_NESTS: at most 5 epoll files on a chain of nesting. */
#define EP_MAX_NESTS 4

struct epoll;

/* A callback entry of an item on one of its file's queues. */
struct epoll_wait_entry {
    struct waitqueue_entry e;
    struct waitqueue *wq;
    struct epoll_wait_entry *next;
};

struct epoll_item {
    struct epoll *ep;
    struct file *file; /* not referenced: the item goes with the file */
    int fd;
    uint32_t events; /* with EPOLLERR | EPOLLHUP; only private bits after a ONESHOT fired */
    uint64_t data;
    struct epoll_wait_entry *waits;
    struct epoll_item *hash_next;
    struct epoll_item *rd_prev, *rd_next; /* the ready list, while ready */
    bool ready;
    struct epoll_item *f_prev, *f_next; /* file->ep_items */
};

struct epoll {
    struct file *file;
    struct epoll_item **buckets;
    unsigned nbuckets; /* a power of two, or 0 */
    unsigned count;
    struct epoll_item *rd_first, *rd_last;
    struct waitqueue wq;      /* epoll_wait sleepers */
    struct waitqueue poll_wq; /* poll/select/epoll watchers of the epoll file */
    /* The loop check's memo (Linux's gen and loop_check_depth). */
    uint64_t gen;
    int depth;
};

static const struct file_ops epoll_fops;
static uint64_t loop_check_gen;

static struct epoll *epoll_of(const struct file *f)
{
    return f->priv;
}

bool epoll_is_file(const struct file *f)
{
    return f->ops == &epoll_fops;
}

/* --- the ready list --- */

static void rdlist_append(struct epoll *ep, struct epoll_item *it)
{
    SENTRY_ASSERT(!it->ready);
    it->ready = true;
    it->rd_next = NULL;
    it->rd_prev = ep->rd_last;
    if (ep->rd_last)
        ep->rd_last->rd_next = it;
    else
        ep->rd_first = it;
    ep->rd_last = it;
}

static void rdlist_remove(struct epoll *ep, struct epoll_item *it)
{
    if (!it->ready)
        return;
    if (it->rd_prev)
        it->rd_prev->rd_next = it->rd_next;
    else
        ep->rd_first = it->rd_next;
    if (it->rd_next)
        it->rd_next->rd_prev = it->rd_prev;
    else
        ep->rd_last = it->rd_prev;
    it->rd_prev = it->rd_next = NULL;
    it->ready = false;
}

/* Puts it on the ready list and wakes whoever waits for the epoll. */
static void epoll_item_set_ready(struct epoll_item *it)
{
    struct epoll *ep = it->ep;
    if (!it->ready)
        rdlist_append(ep, it);
    waitqueue_wake_all(&ep->wq);
    waitqueue_wake_all(&ep->poll_wq);
}

/* --- the item table --- */

static unsigned item_hash(const struct file *f, int fd, unsigned nbuckets)
{
    uint64_t h = ((uint64_t)(uintptr_t)f >> 4) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(unsigned)fd;
    h *= 0xff51afd7ed558ccdULL;
    return (unsigned)(h >> 32) & (nbuckets - 1);
}

static struct epoll_item *item_find(struct epoll *ep, const struct file *f, int fd)
{
    if (!ep->nbuckets)
        return NULL;
    for (struct epoll_item *it = ep->buckets[item_hash(f, fd, ep->nbuckets)]; it;
         it = it->hash_next) {
        if (it->file == f && it->fd == fd)
            return it;
    }
    return NULL;
}

static int item_table_grow(struct epoll *ep)
{
    unsigned n = ep->nbuckets ? ep->nbuckets * 2 : 16;
    struct epoll_item **b = calloc(n, sizeof(*b));
    if (!b)
        return -LINUX_ENOMEM;
    for (unsigned i = 0; i < ep->nbuckets; i++) {
        for (struct epoll_item *it = ep->buckets[i], *next; it; it = next) {
            next = it->hash_next;
            unsigned h = item_hash(it->file, it->fd, n);
            it->hash_next = b[h];
            b[h] = it;
        }
    }
    free(ep->buckets);
    ep->buckets = b;
    ep->nbuckets = n;
    return 0;
}

static void item_unhash(struct epoll *ep, struct epoll_item *it)
{
    struct epoll_item **pp = &ep->buckets[item_hash(it->file, it->fd, ep->nbuckets)];
    while (*pp != it)
        pp = &(*pp)->hash_next;
    *pp = it->hash_next;
    ep->count--;
}

/* --- items --- */

/* A wake-up on one of the item's queues. */
static void epoll_item_wake(struct waitqueue_entry *e)
{
    struct epoll_item *it = e->priv;
    if (!(it->events & ~EP_PRIVATE_BITS))
        return; /* a ONESHOT item that fired: disabled until EPOLL_CTL_MOD */
    epoll_item_set_ready(it);
}

/* The poll_table queue_proc: one callback entry per queue. */
static void epoll_queue_proc(struct poll_table *pt, struct waitqueue *wq)
{
    struct epoll_item *it = pt->priv;
    for (struct epoll_wait_entry *w = it->waits; w; w = w->next) {
        if (w->wq == wq)
            return;
    }
    struct epoll_wait_entry *w = calloc(1, sizeof(*w));
    if (!w) {
        pt->failed = true;
        return;
    }
    w->wq = wq;
    w->next = it->waits;
    it->waits = w;
    waitqueue_add_func(wq, &w->e, epoll_item_wake, it);
}

/* The item's readiness, registering its callbacks on the file's queues
 * for the item's events when reg is set. */
static unsigned epoll_item_poll(struct epoll_item *it, bool reg, bool *out_failed)
{
    if (!reg)
        return file_poll(it->file, NULL) & it->events;
    struct poll_table pt = {.queue_proc = epoll_queue_proc, .key = it->events, .priv = it};
    unsigned mask = file_poll(it->file, &pt) & it->events;
    *out_failed = pt.failed;
    return mask;
}

static void epoll_item_remove(struct epoll_item *it)
{
    struct epoll *ep = it->ep;
    for (struct epoll_wait_entry *w = it->waits, *next; w; w = next) {
        next = w->next;
        waitqueue_remove(w->wq, &w->e);
        free(w);
    }
    rdlist_remove(ep, it);
    item_unhash(ep, it);
    if (it->f_prev)
        it->f_prev->f_next = it->f_next;
    else
        it->file->ep_items = it->f_next;
    if (it->f_next)
        it->f_next->f_prev = it->f_prev;
    free(it);
}

void epoll_file_release(struct file *f)
{
    while (f->ep_items)
        epoll_item_remove(f->ep_items);
}

static int epoll_insert(struct epoll *ep, int fd, struct file *tf, uint32_t events, uint64_t data)
{
    if (ep->count >= ep->nbuckets * 2 && item_table_grow(ep) != 0)
        return -LINUX_ENOMEM;
    struct epoll_item *it = calloc(1, sizeof(*it));
    if (!it)
        return -LINUX_ENOMEM;
    *it = (struct epoll_item){.ep = ep, .file = tf, .fd = fd, .events = events, .data = data};
    unsigned h = item_hash(tf, fd, ep->nbuckets);
    it->hash_next = ep->buckets[h];
    ep->buckets[h] = it;
    ep->count++;
    it->f_next = tf->ep_items;
    if (tf->ep_items)
        tf->ep_items->f_prev = it;
    tf->ep_items = it;

    bool failed = false;
    unsigned revents = epoll_item_poll(it, true, &failed);
    if (failed) {
        epoll_item_remove(it);
        return -LINUX_ENOMEM;
    }
    if (revents)
        epoll_item_set_ready(it);
    return 0;
}

static int epoll_modify(struct epoll_item *it, uint32_t events, uint64_t data)
{
    it->events = events;
    it->data = data;
    /* The new events may need queues the old ones did not (an eventfd's
     * writers' queue for EPOLLOUT): register again; known queues are
     * skipped. */
    bool failed = false;
    unsigned revents = epoll_item_poll(it, true, &failed);
    if (failed)
        return -LINUX_ENOMEM;
    if (revents)
        epoll_item_set_ready(it);
    return 0;
}

/* --- the loop check (Linux 6.x's ep_loop_check) --- */

/* How deep epoll files nest below ep (0: no epoll items), or more than
 * EP_MAX_NESTS when that is too deep or `into` is among them. */
static int loop_check_down(struct epoll *ep, struct epoll *into, int depth)
{
    if (ep->gen == loop_check_gen)
        return ep->depth;
    ep->gen = loop_check_gen;
    int result = 0;
    for (unsigned b = 0; b < ep->nbuckets && result <= EP_MAX_NESTS; b++) {
        for (struct epoll_item *it = ep->buckets[b]; it; it = it->hash_next) {
            if (!epoll_is_file(it->file))
                continue;
            struct epoll *sub = epoll_of(it->file);
            int d;
            if (sub == into || depth > EP_MAX_NESTS)
                d = EP_MAX_NESTS + 1;
            else
                d = loop_check_down(sub, into, depth + 1) + 1;
            if (d > result)
                result = d;
            if (result > EP_MAX_NESTS)
                break;
        }
    }
    ep->depth = result;
    return result;
}

/* How many epoll files watch ep through a chain, at most. */
static int loop_check_up(struct epoll *ep)
{
    if (ep->gen == loop_check_gen)
        return ep->depth;
    int result = 0;
    for (struct epoll_item *it = ep->file->ep_items; it; it = it->f_next) {
        int d = loop_check_up(it->ep) + 1;
        if (d > result)
            result = d;
    }
    ep->gen = loop_check_gen;
    ep->depth = result;
    return result;
}

/* Whether adding `to` to ep would make a cycle or nest too deep. */
static bool epoll_loop_check_fails(struct epoll *ep, struct epoll *to)
{
    loop_check_gen++;
    int down = loop_check_down(to, ep, 0);
    if (down > EP_MAX_NESTS)
        return true;
    return down + 1 + loop_check_up(ep) > EP_MAX_NESTS;
}

int epoll_ctl_file(struct file *epf, int op, int fd, struct file *tf,
                   const struct linux_epoll_event *ev)
{
    bool has_event = op != LINUX_EPOLL_CTL_DEL;
    uint32_t events = has_event ? ev->events : 0;
    if (!file_can_poll(tf))
        return -LINUX_EPERM;
    /* EPOLLWAKEUP needs CAP_BLOCK_SUSPEND, which nobody in the sandbox
     * has over the host: Linux drops it silently then. */
    events &= ~LINUX_EPOLLWAKEUP;
    if (epf == tf || !epoll_is_file(epf))
        return -LINUX_EINVAL;
    if (has_event && (events & LINUX_EPOLLEXCLUSIVE)) {
        if (op == LINUX_EPOLL_CTL_MOD)
            return -LINUX_EINVAL;
        if (op == LINUX_EPOLL_CTL_ADD && (epoll_is_file(tf) || (events & ~EP_EXCLUSIVE_OK_BITS)))
            return -LINUX_EINVAL;
    }
    struct epoll *ep = epoll_of(epf);
    if (op == LINUX_EPOLL_CTL_ADD && epoll_is_file(tf) && epoll_loop_check_fails(ep, epoll_of(tf)))
        return -LINUX_ELOOP;
    struct epoll_item *it = item_find(ep, tf, fd);
    switch (op) {
    case LINUX_EPOLL_CTL_ADD:
        if (it)
            return -LINUX_EEXIST;
        return epoll_insert(ep, fd, tf, events | LINUX_EPOLLERR | LINUX_EPOLLHUP, ev->data);
    case LINUX_EPOLL_CTL_DEL:
        if (!it)
            return -LINUX_ENOENT;
        epoll_item_remove(it);
        return 0;
    case LINUX_EPOLL_CTL_MOD:
        if (!it)
            return -LINUX_ENOENT;
        if (it->events & LINUX_EPOLLEXCLUSIVE)
            return -LINUX_EINVAL;
        return epoll_modify(it, events | LINUX_EPOLLERR | LINUX_EPOLLHUP, ev->data);
    default:
        return -LINUX_EINVAL;
    }
}

/* --- waiting --- */

/* Linux's ep_send_events: reports up to maxevents ready items. */
static long epoll_send_events(struct task *t, struct epoll *ep, uaddr_t events, int maxevents)
{
    /* Take the ready list; level-triggered items reported here go back on
     * the (new) ready list, so one call reports each item once. */
    struct epoll_item *tx = ep->rd_first;
    ep->rd_first = ep->rd_last = NULL;
    long res = 0;
    while (tx && res < maxevents) {
        struct epoll_item *it = tx;
        tx = it->rd_next;
        if (tx)
            tx->rd_prev = NULL;
        it->rd_prev = it->rd_next = NULL;
        it->ready = false;
        unsigned revents = epoll_item_poll(it, false, NULL);
        if (!revents)
            continue;
        struct linux_epoll_event ev = {.events = revents, .data = it->data};
        uaddr_t at = events + (uaddr_t)res * sizeof(ev);
        if (copy_out(t->mm, at, &ev, sizeof(ev)) < 0) {
            /* Back at the head of what is left, for the next call. */
            it->ready = true;
            it->rd_next = tx;
            if (tx)
                tx->rd_prev = it;
            tx = it;
            if (!res)
                res = -LINUX_EFAULT;
            break;
        }
        res++;
        if (it->events & LINUX_EPOLLONESHOT)
            it->events &= EP_PRIVATE_BITS;
        else if (!(it->events & LINUX_EPOLLET))
            rdlist_append(ep, it);
    }
    /* What was not looked at goes back in front, in order. */
    if (tx) {
        struct epoll_item *last = tx;
        while (last->rd_next)
            last = last->rd_next;
        last->rd_next = ep->rd_first;
        if (ep->rd_first)
            ep->rd_first->rd_prev = last;
        else
            ep->rd_last = last;
        ep->rd_first = tx;
    }
    return res;
}

long epoll_wait_file(struct task *t, struct file *epf, uaddr_t events, int maxevents,
                     const struct linux_timespec *deadline, bool nowait)
{
    struct epoll *ep = epoll_of(epf);
    bool timed_out = nowait;
    for (;;) {
        if (ep->rd_first) {
            long n = epoll_send_events(t, ep, events, maxevents);
            if (n)
                return n;
        }
        if (timed_out)
            return 0;
        if (t->interrupt_pending)
            return -LINUX_EINTR;
        struct waitqueue_entry e;
        t->wake_pending = false;
        waitqueue_add(&ep->wq, &e, t);
        int err = ep->rd_first ? 0 : task_block(t, deadline);
        waitqueue_remove(&ep->wq, &e);
        if (err == -LINUX_ETIMEDOUT)
            timed_out = true; /* one last look, as Linux */
        else if (err == -LINUX_EINVAL)
            return err;
        /* -ERESTARTSYS: events that came with the signal still count; the
         * next round returns -EINTR if there are none. */
    }
}

/* --- the epoll file --- */

static unsigned epoll_poll(struct file *f, struct poll_table *pt)
{
    struct epoll *ep = epoll_of(f);
    poll_wait(pt, &ep->poll_wq);
    for (struct epoll_item *it = ep->rd_first, *next; it; it = next) {
        next = it->rd_next;
        if (epoll_item_poll(it, false, NULL))
            return LINUX_POLLIN | LINUX_POLLRDNORM;
        /* Woken but not ready for what it asks: Linux drops it here too. */
        rdlist_remove(ep, it);
    }
    return 0;
}

/* Linux's noop_llseek: the position stays 0. */
static long epoll_seek(struct file *f, int64_t off, int whence)
{
    (void)off, (void)whence;
    return f->pos;
}

static long epoll_stat(struct file *f, struct linux_stat *out_st)
{
    vfs_attr_to_stat(&f->inode->attr, f->inode->sb->dev, out_st);
    return 0;
}

static void epoll_release(struct file *f)
{
    struct epoll *ep = epoll_of(f);
    for (unsigned b = 0; b < ep->nbuckets; b++) {
        while (ep->buckets[b])
            epoll_item_remove(ep->buckets[b]);
    }
    SENTRY_ASSERT(!waitqueue_active(&ep->wq) && !waitqueue_active(&ep->poll_wq));
    free(ep->buckets);
    free(ep);
    f->priv = NULL;
}

static const struct file_ops epoll_fops = {
    .poll = epoll_poll,
    .seek = epoll_seek,
    .stat = epoll_stat,
    .release = epoll_release,
};

static int epoll_fs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                          const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data, (void)out_sb;
    return -LINUX_EINVAL; /* internal: never mounted */
}

/* Its name is what /proc/PID/fd/N shows: "anon_inode:[eventpoll]". */
static const struct fs_type epoll_fs_type = {
    .name = "eventpoll",
    .nodev = true,
    .mount = epoll_fs_mount,
};

int epoll_create_file(struct file **out_file)
{
    struct epoll *ep = calloc(1, sizeof(*ep));
    if (!ep)
        return -LINUX_ENOMEM;
    struct file *f = anon_inode_file_new(&epoll_fs_type, &epoll_fops, LINUX_O_RDWR, ep);
    if (!f) {
        free(ep);
        return -LINUX_ENOMEM;
    }
    ep->file = f;
    *out_file = f;
    return 0;
}

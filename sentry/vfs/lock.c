/* Advisory file locks (see lock.h). Each inode with locks has a small
 * struct vfs_locks: its record locks (POSIX and OFD, one list, since they
 * conflict with each other), its flock locks, and a wait queue that every
 * release wakes.
 *
 * Deadlock detection (F_SETLKW only, POSIX locks only, as Linux): a global
 * list says which POSIX owner waits for which; a request whose blocker
 * waits, directly or through others, for the requester is -EDEADLK.
 *
 * Lock order: the kernel lock. */
#include "sentry/vfs/lock.h"

#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/file.h"

struct rec_lock {
    int type;
    int64_t start, end;
    const void *owner;
    int pid;
    bool ofd;
};

struct flock_lock {
    int type;
    const struct file *owner;
};

struct vfs_locks {
    struct rec_lock *recs;
    size_t nrecs, caprecs;
    struct flock_lock *flocks;
    size_t nflocks, capflocks;
    struct waitqueue wq;
};

/* Who waits for whom, for deadlock detection. */
struct lock_waiter {
    const void *waiter, *blocker;
    struct lock_waiter *next;
};
static struct lock_waiter *waiters;

static struct vfs_locks *locks_of(struct inode *ino, bool create)
{
    if (!ino->locks && create)
        ino->locks = calloc(1, sizeof(*ino->locks));
    return ino->locks;
}

void vfs_locks_free(struct inode *ino)
{
    struct vfs_locks *l = ino->locks;
    if (!l)
        return;
    free(l->recs);
    free(l->flocks);
    free(l);
    ino->locks = NULL;
}

static bool overlap(const struct rec_lock *r, int64_t start, int64_t end)
{
    return r->start <= end && start <= r->end;
}

static const struct rec_lock *rec_conflict(struct vfs_locks *l, const void *owner, int type,
                                           int64_t start, int64_t end)
{
    if (!l)
        return NULL;
    for (size_t i = 0; i < l->nrecs; i++) {
        const struct rec_lock *r = &l->recs[i];
        if (r->owner == owner || !overlap(r, start, end))
            continue;
        if (r->type == LINUX_F_WRLCK || type == LINUX_F_WRLCK)
            return r;
    }
    return NULL;
}

void vfs_lock_test(struct inode *ino, const void *owner, struct vfs_lock_desc *io)
{
    const struct rec_lock *r = rec_conflict(ino->locks, owner, io->type, io->start, io->end);
    if (!r) {
        io->type = LINUX_F_UNLCK;
        return;
    }
    io->type = r->type;
    io->start = r->start;
    io->end = r->end;
    io->pid = r->ofd ? -1 : r->pid;
}

static int rec_insert(struct vfs_locks *l, const struct rec_lock *r)
{
    if (l->nrecs == l->caprecs) {
        size_t cap = l->caprecs ? l->caprecs * 2 : 8;
        struct rec_lock *n = realloc(l->recs, cap * sizeof(*n));
        if (!n)
            return -LINUX_ENOLCK;
        l->recs = n;
        l->caprecs = cap;
    }
    l->recs[l->nrecs++] = *r;
    return 0;
}

/* Sets owner's locks over [start, end] to type (F_UNLCK removes them):
 * trims and splits what overlaps, then adds and merges with neighbours of
 * the same type. */
static int rec_apply(struct vfs_locks *l, const void *owner, bool ofd, int pid, int type,
                     int64_t start, int64_t end)
{
    /* Room for the worst case first (one split, one insert), so the update
     * cannot fail half done. */
    while (l->nrecs + 2 > l->caprecs) {
        size_t cap = l->caprecs ? l->caprecs * 2 : 8;
        struct rec_lock *n = realloc(l->recs, cap * sizeof(*n));
        if (!n)
            return -LINUX_ENOLCK;
        l->recs = n;
        l->caprecs = cap;
    }
    for (size_t i = 0; i < l->nrecs;) {
        struct rec_lock *r = &l->recs[i];
        if (r->owner != owner) {
            i++;
            continue;
        }
        /* Merge an adjacent or overlapping lock of the same type. */
        bool adjacent = (r->end != VFS_LOCK_EOF && r->end + 1 == start) ||
                        (end != VFS_LOCK_EOF && end + 1 == r->start);
        if (type != LINUX_F_UNLCK && r->type == type && (overlap(r, start, end) || adjacent)) {
            if (r->start < start)
                start = r->start;
            if (r->end > end)
                end = r->end;
            l->recs[i] = l->recs[--l->nrecs];
            continue;
        }
        if (!overlap(r, start, end)) {
            i++;
            continue;
        }
        if (r->start < start && r->end > end) {
            struct rec_lock tail = *r;
            tail.start = end + 1;
            r->end = start - 1;
            rec_insert(l, &tail);
            i++;
        } else if (r->start < start) {
            r->end = start - 1;
            i++;
        } else if (r->end > end) {
            r->start = end + 1;
            i++;
        } else {
            l->recs[i] = l->recs[--l->nrecs];
        }
    }
    if (type == LINUX_F_UNLCK)
        return 0;
    struct rec_lock n = {
        .type = type, .start = start, .end = end, .owner = owner, .pid = pid, .ofd = ofd};
    return rec_insert(l, &n);
}

/* True if blocker waits, directly or through others, for owner. */
static bool would_deadlock(const void *owner, const void *blocker)
{
    for (int depth = 0; depth < 64 && blocker; depth++) {
        if (blocker == owner)
            return true;
        const void *next = NULL;
        for (struct lock_waiter *w = waiters; w; w = w->next) {
            if (w->waiter == blocker) {
                next = w->blocker;
                break;
            }
        }
        blocker = next;
    }
    return false;
}

static void waiter_remove(struct lock_waiter *me)
{
    for (struct lock_waiter **p = &waiters; *p; p = &(*p)->next) {
        if (*p == me) {
            *p = me->next;
            return;
        }
    }
}

int vfs_lock_set(struct task *t, struct inode *ino, const void *owner, bool ofd,
                 const struct vfs_lock_desc *d, bool wait)
{
    struct vfs_locks *l = locks_of(ino, d->type != LINUX_F_UNLCK);
    if (!l)
        return d->type == LINUX_F_UNLCK ? 0 : -LINUX_ENOLCK;
    int pid = t->tg->tgid;
    if (d->type == LINUX_F_UNLCK) {
        int err = rec_apply(l, owner, ofd, pid, d->type, d->start, d->end);
        waitqueue_wake_all(&l->wq);
        return err;
    }
    struct waitqueue_entry e;
    struct lock_waiter me = {.waiter = owner};
    bool waiting = false;
    int err;
    for (;;) {
        const struct rec_lock *c = rec_conflict(l, owner, d->type, d->start, d->end);
        if (!c) {
            err = rec_apply(l, owner, ofd, pid, d->type, d->start, d->end);
            break;
        }
        if (!wait) {
            err = -LINUX_EAGAIN;
            break;
        }
        if (!ofd && !c->ofd && would_deadlock(owner, c->owner)) {
            err = -LINUX_EDEADLK;
            break;
        }
        if (!waiting) {
            waitqueue_add(&l->wq, &e, t);
            me.next = waiters;
            waiters = &me;
            waiting = true;
        }
        me.blocker = ofd ? NULL : c->owner;
        err = task_block(t, NULL);
        if (err)
            break;
    }
    if (waiting) {
        waiter_remove(&me);
        waitqueue_remove(&l->wq, &e);
    }
    return err;
}

void vfs_locks_close_posix(struct inode *ino, const void *owner)
{
    struct vfs_locks *l = ino->locks;
    if (!l)
        return;
    bool any = false;
    for (size_t i = 0; i < l->nrecs;) {
        if (l->recs[i].owner == owner && !l->recs[i].ofd) {
            l->recs[i] = l->recs[--l->nrecs];
            any = true;
        } else {
            i++;
        }
    }
    if (any)
        waitqueue_wake_all(&l->wq);
}

void vfs_locks_release_file(struct file *f)
{
    struct vfs_locks *l = f->inode ? f->inode->locks : NULL;
    if (!l)
        return;
    bool any = false;
    for (size_t i = 0; i < l->nrecs;) {
        if (l->recs[i].owner == f && l->recs[i].ofd) {
            l->recs[i] = l->recs[--l->nrecs];
            any = true;
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < l->nflocks;) {
        if (l->flocks[i].owner == f) {
            l->flocks[i] = l->flocks[--l->nflocks];
            any = true;
        } else {
            i++;
        }
    }
    if (any)
        waitqueue_wake_all(&l->wq);
}

static const struct flock_lock *flock_conflict(struct vfs_locks *l, const struct file *f, int type)
{
    for (size_t i = 0; i < l->nflocks; i++) {
        const struct flock_lock *k = &l->flocks[i];
        if (k->owner != f && (k->type == LINUX_F_WRLCK || type == LINUX_F_WRLCK))
            return k;
    }
    return NULL;
}

int vfs_flock(struct task *t, struct file *f, int op)
{
    int cmd = op & ~LINUX_LOCK_NB;
    int type = cmd == LINUX_LOCK_SH   ? LINUX_F_RDLCK
               : cmd == LINUX_LOCK_EX ? LINUX_F_WRLCK
               : cmd == LINUX_LOCK_UN ? LINUX_F_UNLCK
                                      : -1;
    if (type < 0)
        return -LINUX_EINVAL;
    struct vfs_locks *l = locks_of(f->inode, type != LINUX_F_UNLCK);
    if (!l)
        return type == LINUX_F_UNLCK ? 0 : -LINUX_ENOLCK;
    /* A change of type first drops the old lock (not atomic, as Linux). */
    for (size_t i = 0; i < l->nflocks; i++) {
        if (l->flocks[i].owner == f) {
            if (l->flocks[i].type == type)
                return 0;
            l->flocks[i] = l->flocks[--l->nflocks];
            waitqueue_wake_all(&l->wq);
            break;
        }
    }
    if (type == LINUX_F_UNLCK)
        return 0;
    struct waitqueue_entry e;
    bool waiting = false;
    int err = 0;
    while (flock_conflict(l, f, type)) {
        if (op & LINUX_LOCK_NB) {
            err = -LINUX_EWOULDBLOCK;
            break;
        }
        if (!waiting) {
            waitqueue_add(&l->wq, &e, t);
            waiting = true;
        }
        err = task_block(t, NULL);
        if (err)
            break;
    }
    if (waiting)
        waitqueue_remove(&l->wq, &e);
    if (err)
        return err;
    if (l->nflocks == l->capflocks) {
        size_t cap = l->capflocks ? l->capflocks * 2 : 4;
        struct flock_lock *n = realloc(l->flocks, cap * sizeof(*n));
        if (!n)
            return -LINUX_ENOLCK;
        l->flocks = n;
        l->capflocks = cap;
    }
    l->flocks[l->nflocks++] = (struct flock_lock){.type = type, .owner = f};
    return 0;
}

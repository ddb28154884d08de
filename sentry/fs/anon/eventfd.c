/* eventfd files (see eventfd.h), as Linux's fs/eventfd.c.
 *
 * Readers sleep on rd_wq and are woken when the counter grows; writers
 * sleep on wr_wq and are woken when it shrinks. Two queues instead of
 * Linux's one with keyed wake-ups, so an EPOLLET watcher of EPOLLIN gets an
 * event per write and none per read (see sentry/vfs/poll.h).
 *
 * Lock order: the kernel lock. Blocking drops it inside waitqueue_wait.
 * TODO(threads): as pipes, the iovecs point into the memory file as
 * translated before a read or write that may sleep. */
#include "sentry/fs/anon/eventfd.h"

#include <stdlib.h>

#include "abi/linux/errno.h"
#include "abi/linux/eventfd.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/poll.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/fs/iov.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

struct eventfd {
    uint64_t count;
    bool semaphore;
    struct waitqueue rd_wq; /* woken when count grows */
    struct waitqueue wr_wq; /* woken when count shrinks */
};

static const struct file_ops eventfd_fops;

static struct eventfd *eventfd_of(const struct file *f)
{
    return f->priv;
}

static bool eventfd_readable(void *arg)
{
    return ((struct eventfd *)arg)->count > 0;
}

/* A pending write: it may go on once count + add stays below 2^64-1. */
struct eventfd_write {
    struct eventfd *e;
    uint64_t add;
};

static bool eventfd_writable(void *arg)
{
    struct eventfd_write *w = arg;
    return UINT64_MAX - w->e->count > w->add;
}

static long eventfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    struct eventfd *e = eventfd_of(f);
    if (iov_total(iov, iovcnt) < sizeof(uint64_t))
        return -LINUX_EINVAL;
    if (e->count == 0) {
        if (f->flags & LINUX_O_NONBLOCK)
            return -LINUX_EAGAIN;
        int err = waitqueue_wait(&e->rd_wq, task_current(), eventfd_readable, e, NULL);
        if (err)
            return err;
    }
    uint64_t value = e->semaphore ? 1 : e->count;
    e->count -= value;
    waitqueue_wake_all(&e->wr_wq);
    struct iov_cursor c;
    iov_cursor_init(&c, iov, iovcnt);
    iov_cursor_put(&c, &value, sizeof(value));
    return sizeof(value);
}

static long eventfd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    struct eventfd *e = eventfd_of(f);
    struct iov_cursor c;
    iov_cursor_init(&c, iov, iovcnt);
    uint64_t value;
    /* Exactly 8 bytes since Linux 6.10 (before: at least 8). */
    if (c.left != sizeof(value))
        return -LINUX_EINVAL;
    iov_cursor_get(&c, &value, sizeof(value));
    if (value == UINT64_MAX)
        return -LINUX_EINVAL;
    struct eventfd_write w = {e, value};
    if (!eventfd_writable(&w)) {
        if (f->flags & LINUX_O_NONBLOCK)
            return -LINUX_EAGAIN;
        int err = waitqueue_wait(&e->wr_wq, task_current(), eventfd_writable, &w, NULL);
        if (err)
            return err;
    }
    e->count += value;
    /* Linux wakes readers on every write, a zero one included. */
    waitqueue_wake_all(&e->rd_wq);
    return sizeof(value);
}

static unsigned eventfd_poll(struct file *f, struct poll_table *pt)
{
    struct eventfd *e = eventfd_of(f);
    unsigned want = poll_requested_events(pt);
    if (want & (LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLERR | LINUX_POLLHUP))
        poll_wait(pt, &e->rd_wq);
    if (want & (LINUX_POLLOUT | LINUX_POLLWRNORM))
        poll_wait(pt, &e->wr_wq);
    unsigned mask = 0;
    if (e->count > 0)
        mask |= LINUX_POLLIN | LINUX_POLLRDNORM;
    if (e->count == UINT64_MAX)
        mask |= LINUX_POLLERR;
    if (UINT64_MAX - 1 > e->count)
        mask |= LINUX_POLLOUT | LINUX_POLLWRNORM;
    return mask;
}

/* Linux's noop_llseek: the position stays 0. */
static long eventfd_seek(struct file *f, int64_t off, int whence)
{
    (void)off, (void)whence;
    return f->pos;
}

static long eventfd_stat(struct file *f, struct linux_stat *out_st)
{
    vfs_attr_to_stat(&f->inode->attr, f->inode->sb->dev, out_st);
    return 0;
}

static void eventfd_release(struct file *f)
{
    free(f->priv);
    f->priv = NULL;
}

static const struct file_ops eventfd_fops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .poll = eventfd_poll,
    .seek = eventfd_seek,
    .stat = eventfd_stat,
    .release = eventfd_release,
};

static int eventfd_fs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                            const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data, (void)out_sb;
    return -LINUX_EINVAL; /* internal: never mounted */
}

/* Its name is what /proc/PID/fd/N shows: "anon_inode:[eventfd]". */
static const struct fs_type eventfd_fs_type = {
    .name = "eventfd",
    .nodev = true,
    .mount = eventfd_fs_mount,
};

int eventfd_create(uint64_t initval, int flags, struct file **out_file)
{
    if (flags & ~(LINUX_EFD_SEMAPHORE | LINUX_EFD_CLOEXEC | LINUX_EFD_NONBLOCK))
        return -LINUX_EINVAL;
    struct eventfd *e = calloc(1, sizeof(*e));
    if (!e)
        return -LINUX_ENOMEM;
    e->count = initval;
    e->semaphore = flags & LINUX_EFD_SEMAPHORE;
    struct file *f = anon_inode_file_new(&eventfd_fs_type, &eventfd_fops,
                                         LINUX_O_RDWR | (flags & LINUX_EFD_NONBLOCK), e);
    if (!f) {
        free(e);
        return -LINUX_ENOMEM;
    }
    *out_file = f;
    return 0;
}

bool eventfd_is_file(const struct file *f)
{
    return f->ops == &eventfd_fops;
}

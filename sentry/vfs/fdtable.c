/* Per-process fd tables. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "lib/panic.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/lock.h"

/* The most fds a table can hold, whatever RLIMIT_NOFILE says (Linux's
 * fs.nr_open default). */
#define FDTABLE_MAX 1048576

struct fdtable *fdtable_new(void)
{
    struct fdtable *t = calloc(1, sizeof(*t));
    if (t)
        t->refs = 1;
    return t;
}

/* Drops the table's reference to f, which was just taken out of it: the
 * table's POSIX locks on the file go too (Linux's filp_close). */
static void fd_release(struct fdtable *t, struct file *f)
{
    if (f->inode && f->inode->locks)
        vfs_locks_close_posix(f->inode, t);
    file_put(f);
}

void fdtable_put(struct fdtable *t)
{
    SENTRY_ASSERT(t->refs > 0);
    if (--t->refs > 0)
        return;
    for (int i = 0; i < t->count; i++) {
        if (t->v[i].file)
            fd_release(t, t->v[i].file);
    }
    free(t->v);
    free(t);
}

static int fdtable_grow(struct fdtable *t, int fd)
{
    if (fd < t->count)
        return 0;
    int n = t->count ? t->count : 64;
    while (n <= fd)
        n *= 2;
    struct fd_entry *v = realloc(t->v, (size_t)n * sizeof(*v));
    if (!v)
        return -LINUX_ENOMEM;
    memset(v + t->count, 0, (size_t)(n - t->count) * sizeof(*v));
    t->v = v;
    t->count = n;
    return 0;
}

int fdtable_install(struct fdtable *t, struct file *f, int min, int fd_flags, uint64_t nofile_limit)
{
    uint64_t limit = nofile_limit < FDTABLE_MAX ? nofile_limit : FDTABLE_MAX;
    if (min < 0)
        return -LINUX_EINVAL;
    for (int fd = min; (uint64_t)fd < limit; fd++) {
        if (fd < t->count && t->v[fd].file)
            continue;
        int err = fdtable_grow(t, fd);
        if (err)
            return err;
        file_get(f);
        t->v[fd] = (struct fd_entry){.file = f, .fd_flags = fd_flags};
        return fd;
    }
    return -LINUX_EMFILE;
}

int fdtable_install_at(struct fdtable *t, int fd, struct file *f, int fd_flags, uint64_t nofile_limit)
{
    uint64_t limit = nofile_limit < FDTABLE_MAX ? nofile_limit : FDTABLE_MAX;
    if (fd < 0 || (uint64_t)fd >= limit)
        return -LINUX_EBADF;
    int err = fdtable_grow(t, fd);
    if (err)
        return err;
    struct file *old = t->v[fd].file;
    file_get(f);
    t->v[fd] = (struct fd_entry){.file = f, .fd_flags = fd_flags};
    if (old)
        fd_release(t, old);
    return fd;
}

struct file *fdtable_get(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= t->count || !t->v[fd].file)
        return NULL;
    file_get(t->v[fd].file);
    return t->v[fd].file;
}

int fdtable_close(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= t->count || !t->v[fd].file)
        return -LINUX_EBADF;
    struct file *f = t->v[fd].file;
    t->v[fd] = (struct fd_entry){0};
    fd_release(t, f);
    return 0;
}

int fdtable_close_range(struct fdtable *t, unsigned first, unsigned last, bool cloexec)
{
    for (unsigned fd = first; fd <= last && fd < (unsigned)t->count; fd++) {
        if (!t->v[fd].file)
            continue;
        if (cloexec) {
            t->v[fd].fd_flags |= LINUX_FD_CLOEXEC;
        } else {
            struct file *f = t->v[fd].file;
            t->v[fd] = (struct fd_entry){0};
            fd_release(t, f);
        }
        if (fd == UINT32_MAX)
            break;
    }
    return 0;
}

void fdtable_close_on_exec(struct fdtable *t)
{
    for (int fd = 0; fd < t->count; fd++) {
        if (t->v[fd].file && (t->v[fd].fd_flags & LINUX_FD_CLOEXEC)) {
            struct file *f = t->v[fd].file;
            t->v[fd] = (struct fd_entry){0};
            fd_release(t, f);
        }
    }
}

struct fdtable *fdtable_clone(struct fdtable *t)
{
    struct fdtable *c = fdtable_new();
    if (!c)
        return NULL;
    if (t->count > 0) {
        c->v = calloc((size_t)t->count, sizeof(*c->v));
        if (!c->v) {
            free(c);
            return NULL;
        }
        c->count = t->count;
        for (int fd = 0; fd < t->count; fd++) {
            c->v[fd] = t->v[fd];
            if (c->v[fd].file)
                file_get(c->v[fd].file);
        }
    }
    return c;
}

int fdtable_get_flags(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= t->count || !t->v[fd].file)
        return -LINUX_EBADF;
    return t->v[fd].fd_flags;
}

int fdtable_set_flags(struct fdtable *t, int fd, int fd_flags)
{
    if (fd < 0 || fd >= t->count || !t->v[fd].file)
        return -LINUX_EBADF;
    t->v[fd].fd_flags = fd_flags;
    return 0;
}

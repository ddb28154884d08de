/* Per-process fd tables. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "lib/panic.h"
#include "sentry/vfs/file.h"

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

void fdtable_put(struct fdtable *t)
{
    SENTRY_ASSERT(t->refs > 0);
    if (--t->refs > 0)
        return;
    for (int i = 0; i < t->count; i++) {
        if (t->v[i].file)
            file_put(t->v[i].file);
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
        file_put(old);
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
    file_put(f);
    return 0;
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

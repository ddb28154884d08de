/* tmpfs directories: a hash table from name to entry for lookups, and a
 * list in creation order for getdents. An entry's cookie is its position:
 * getdents resumes at the first entry whose cookie is at least the file's
 * position, so removals and additions during a listing never repeat or skip
 * the entries that stay (positions 0 and 1 are "." and "..").
 *
 * Lock order: the kernel lock. */
#include <stdlib.h>
#include <string.h>

#include "abi/linux/dirent.h"
#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/fs/tmpfs/tmpfs_impl.h"

#define FIRST_COOKIE 2
_Static_assert(FIRST_COOKIE == 2, "vfs_dir_emit_dots gives \"..\" cookie 2");

struct tmpfs_dir *tmpfs_dir_new(void)
{
    struct tmpfs_dir *d = calloc(1, sizeof(*d));
    if (d)
        d->next_cookie = FIRST_COOKIE;
    return d;
}

void tmpfs_dir_free(struct tmpfs_dir *d)
{
    if (!d)
        return;
    struct tmpfs_dirent *e = d->first;
    while (e) {
        struct tmpfs_dirent *next = e->next;
        inode_put(e->ino);
        free(e->name);
        free(e);
        e = next;
    }
    free(d->buckets);
    free(d);
}

static size_t name_hash(const char *name)
{
    size_t h = 5381;
    for (; *name; name++)
        h = h * 33 + (unsigned char)*name;
    return h;
}

struct tmpfs_dirent *tmpfs_dir_find(struct tmpfs_dir *d, const char *name)
{
    if (!d->nbuckets)
        return NULL;
    for (struct tmpfs_dirent *e = d->buckets[name_hash(name) & (d->nbuckets - 1)]; e;
         e = e->hnext) {
        if (strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

static int dir_rehash(struct tmpfs_dir *d)
{
    size_t n = d->nbuckets ? d->nbuckets * 2 : 16;
    struct tmpfs_dirent **b = calloc(n, sizeof(*b));
    if (!b)
        return -LINUX_ENOSPC;
    for (struct tmpfs_dirent *e = d->first; e; e = e->next) {
        size_t i = name_hash(e->name) & (n - 1);
        e->hnext = b[i];
        b[i] = e;
    }
    free(d->buckets);
    d->buckets = b;
    d->nbuckets = n;
    return 0;
}

int tmpfs_dir_add(struct tmpfs_dir *d, const char *name, struct inode *ino)
{
    if (d->count + 1 > d->nbuckets) {
        int err = dir_rehash(d);
        if (err)
            return err;
    }
    struct tmpfs_dirent *e = calloc(1, sizeof(*e));
    if (!e || !(e->name = strdup(name))) {
        free(e);
        return -LINUX_ENOSPC;
    }
    inode_get(ino);
    e->ino = ino;
    e->cookie = d->next_cookie++;
    size_t i = name_hash(name) & (d->nbuckets - 1);
    e->hnext = d->buckets[i];
    d->buckets[i] = e;
    e->prev = d->last;
    if (d->last)
        d->last->next = e;
    else
        d->first = e;
    d->last = e;
    d->count++;
    return 0;
}

struct inode *tmpfs_dir_remove(struct tmpfs_dir *d, const char *name)
{
    if (!d->nbuckets)
        return NULL;
    struct tmpfs_dirent **p = &d->buckets[name_hash(name) & (d->nbuckets - 1)];
    for (; *p; p = &(*p)->hnext) {
        struct tmpfs_dirent *e = *p;
        if (strcmp(e->name, name) != 0)
            continue;
        *p = e->hnext;
        if (e->prev)
            e->prev->next = e->next;
        else
            d->first = e->next;
        if (e->next)
            e->next->prev = e->prev;
        else
            d->last = e->prev;
        d->count--;
        struct inode *ino = e->ino;
        free(e->name);
        free(e);
        return ino;
    }
    return NULL;
}

static uint8_t dtype_of(uint32_t mode)
{
    return (uint8_t)((mode & LINUX_S_IFMT) >> 12);
}

static int tmpfs_dir_iterate(struct file *f, vfs_emit_fn emit, void *ctx)
{
    struct inode *ino = f->inode;
    struct tmpfs_dir *d = tmpfs_dir_of(ino);
    if (!vfs_dir_emit_dots(f, emit, ctx))
        return 0;
    for (struct tmpfs_dirent *e = d->first; e; e = e->next) {
        if (e->cookie < (uint64_t)f->pos)
            continue;
        struct vfs_dirent de = {e->ino->attr.ino, e->cookie + 1, dtype_of(e->ino->attr.mode),
                                e->name};
        if (!emit(ctx, &de))
            break;
        f->pos = (int64_t)e->cookie + 1;
    }
    tmpfs_touch_atime(ino);
    return 0;
}

const struct file_ops tmpfs_dir_fops = {
    .read = vfs_dir_read,
    .pread = vfs_dir_pread,
    .seek = vfs_dir_seek,
    .iterate = tmpfs_dir_iterate,
    .fsync = vfs_fsync_nothing,
};

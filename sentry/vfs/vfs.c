/* VFS objects: inodes, dentries and their child tables, superblocks, the
 * filesystem type registry, and small shared helpers.
 *
 * Ownership: a dentry's parent's child table holds one reference on the
 * dentry (the cache's), and every dentry holds one on its parent and one on
 * its inode. So a cached tree stays whole until its names are removed
 * (dentry_unhash) or its superblock dies (the whole tree is dropped then).
 *
 * Lock order: the kernel lock covers everything here. */
#include "sentry/vfs/vfs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/linux/errno.h"
#include "lib/panic.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/lock.h"

/* --- inodes --- */

struct linux_timespec vfs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (struct linux_timespec){ts.tv_sec, ts.tv_nsec};
}

struct inode *inode_new(struct superblock *sb, const struct inode_ops *ops, uint32_t mode)
{
    struct inode *ino = calloc(1, sizeof(*ino));
    if (!ino)
        return NULL;
    ino->refs = 1;
    ino->sb = sb;
    ino->ops = ops;
    ino->attr.mode = mode;
    ino->attr.nlink = 1;
    ino->attr.blksize = 4096;
    if (sb)
        ino->attr.ino = ++sb->next_ino;
    struct linux_timespec now = vfs_now();
    ino->attr.atime = ino->attr.mtime = ino->attr.ctime = ino->attr.btime = now;
    return ino;
}

void inode_get(struct inode *ino)
{
    SENTRY_ASSERT(ino->refs > 0);
    ino->refs++;
}

void inode_put(struct inode *ino)
{
    SENTRY_ASSERT(ino->refs > 0);
    if (--ino->refs > 0)
        return;
    if (ino->ops && ino->ops->evict)
        ino->ops->evict(ino);
    vfs_locks_free(ino);
    free(ino);
}

int vfs_getattr(struct inode *ino, struct vfs_attr *out_attr)
{
    if (ino->ops && ino->ops->getattr) {
        int err = ino->ops->getattr(ino);
        if (err)
            return err;
    }
    *out_attr = ino->attr;
    return 0;
}

void vfs_attr_to_stat(const struct vfs_attr *a, uint64_t dev, struct linux_stat *out)
{
    *out = (struct linux_stat){
        .st_dev = dev,
        .st_ino = a->ino,
        .st_nlink = a->nlink,
        .st_mode = a->mode,
        .st_uid = a->uid,
        .st_gid = a->gid,
        .st_rdev = a->rdev,
        .st_size = (int64_t)a->size,
        .st_blksize = a->blksize,
        .st_blocks = (int64_t)a->blocks,
        .st_atime_sec = a->atime.tv_sec,
        .st_atime_nsec = a->atime.tv_nsec,
        .st_mtime_sec = a->mtime.tv_sec,
        .st_mtime_nsec = a->mtime.tv_nsec,
        .st_ctime_sec = a->ctime.tv_sec,
        .st_ctime_nsec = a->ctime.tv_nsec,
    };
}

bool vfs_cred_is_root(const struct cred *cred)
{
    return cred->fsuid == 0;
}

bool vfs_cred_in_group(const struct cred *cred, uint32_t gid)
{
    return cred_in_group(cred, gid); /* fsgid or a supplementary group */
}

void vfs_init_owner(struct inode *ino, struct inode *dir, uint32_t mode, const struct cred *cred)
{
    ino->attr.uid = cred->fsuid;
    if (dir && (dir->attr.mode & LINUX_S_ISGID)) {
        ino->attr.gid = dir->attr.gid;
        if ((mode & LINUX_S_IFMT) == LINUX_S_IFDIR)
            mode |= LINUX_S_ISGID;
        else if ((mode & (LINUX_S_ISGID | LINUX_S_IXGRP)) == (LINUX_S_ISGID | LINUX_S_IXGRP) &&
                 !vfs_cred_in_group(cred, ino->attr.gid) && !vfs_cred_is_root(cred))
            mode &= ~LINUX_S_ISGID;
    } else {
        ino->attr.gid = cred->fsgid;
    }
    ino->attr.mode = mode;
}

/* --- dentries --- */

static uint64_t name_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 1099511628211ULL;
    return h;
}

/* The slot of name in t, or of the empty slot where it would go. */
static size_t table_slot(const struct dentry_table *t, const char *name)
{
    size_t mask = t->cap - 1;
    size_t i = (size_t)name_hash(name) & mask;
    while (t->slots[i] && strcmp(t->slots[i]->name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

static int table_grow(struct dentry_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 8;
    struct dentry **slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -LINUX_ENOMEM;
    struct dentry_table n = {.slots = slots, .count = t->count, .cap = cap};
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i])
            n.slots[table_slot(&n, t->slots[i]->name)] = t->slots[i];
    }
    free(t->slots);
    *t = n;
    return 0;
}

/* Removes slot i (linear probing: shift the following run back). */
static void table_remove_slot(struct dentry_table *t, size_t i)
{
    size_t mask = t->cap - 1;
    t->slots[i] = NULL;
    t->count--;
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        struct dentry *d = t->slots[j];
        size_t home = (size_t)name_hash(d->name) & mask;
        /* d may move to i if i lies cyclically in [home, j). */
        bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            t->slots[i] = d;
            t->slots[j] = NULL;
            i = j;
        }
    }
}

struct dentry *dentry_lookup_cached(struct dentry *dir, const char *name)
{
    struct dentry_table *t = &dir->children;
    if (t->count == 0)
        return NULL;
    return t->slots[table_slot(t, name)];
}

void dentry_get(struct dentry *d)
{
    SENTRY_ASSERT(d->refs > 0);
    d->refs++;
}

static void dentry_free(struct dentry *d)
{
    SENTRY_ASSERT(d->children.count == 0);
    if (d->inode)
        inode_put(d->inode);
    free(d->children.slots);
    free(d->name);
    free(d);
}

void dentry_put(struct dentry *d)
{
    while (d) {
        SENTRY_ASSERT(d->refs > 0);
        if (--d->refs > 0)
            return;
        struct dentry *parent = d->parent != d ? d->parent : NULL;
        dentry_free(d);
        d = parent;
    }
}

static struct dentry *dentry_alloc(struct dentry *parent, const char *name, struct inode *ino,
                                   struct superblock *sb)
{
    struct dentry *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->name = strdup(name);
    if (!d->name) {
        free(d);
        return NULL;
    }
    d->refs = 1;
    d->sb = sb;
    d->inode = ino;
    if (ino)
        inode_get(ino);
    if (parent) {
        d->parent = parent;
        dentry_get(parent);
    } else {
        d->parent = d;
    }
    return d;
}

/* Adds d to parent's table; the table takes over the caller's reference. */
static int dentry_hash(struct dentry *parent, struct dentry *d)
{
    struct dentry_table *t = &parent->children;
    if ((t->count + 1) * 4 > t->cap * 3) {
        int err = table_grow(t);
        if (err)
            return err;
    }
    size_t i = table_slot(t, d->name);
    SENTRY_ASSERT(!t->slots[i]);
    t->slots[i] = d;
    t->count++;
    return 0;
}

/* A new cached child of dir (negative if ino is NULL); no new reference for
 * the caller. */
struct dentry *dentry_add_child(struct dentry *dir, const char *name, struct inode *ino)
{
    struct dentry *d = dentry_alloc(dir, name, ino, dir->sb);
    if (!d)
        return NULL;
    if (dentry_hash(dir, d) != 0) {
        dentry_put(d);
        return NULL;
    }
    return d;
}

struct dentry *dentry_instantiate(struct dentry *dir, const char *name, struct inode *ino)
{
    struct dentry *d = dentry_lookup_cached(dir, name);
    if (d) {
        struct inode *old = d->inode;
        inode_get(ino);
        d->inode = ino;
        if (old)
            inode_put(old);
        return d;
    }
    return dentry_add_child(dir, name, ino);
}

void dentry_unhash(struct dentry *d)
{
    if (d->dead || d->parent == d)
        return;
    struct dentry_table *t = &d->parent->children;
    size_t i = table_slot(t, d->name);
    d->dead = true;
    if (t->slots[i] != d)
        return; /* never hashed */
    table_remove_slot(t, i);
    dentry_put(d); /* the table's reference */
}

/* Drops every cached child of d, recursively (negative entries of a removed
 * directory, or a whole tree at unmount). */
void dentry_drop_children(struct dentry *d)
{
    struct dentry_table *t = &d->children;
    while (t->count > 0) {
        for (size_t i = 0; i < t->cap; i++) {
            struct dentry *c = t->slots[i];
            if (!c)
                continue;
            dentry_drop_children(c);
            c->dead = true;
            table_remove_slot(t, i);
            dentry_put(c);
            break; /* the table may have shifted: rescan */
        }
    }
}

/* Moves d to be the child new_name of new_parent (rename). A dentry cached
 * under that name must have been unhashed first. */
int dentry_move(struct dentry *d, struct dentry *new_parent, const char *new_name)
{
    char *name = strdup(new_name);
    if (!name)
        return -LINUX_ENOMEM;
    struct dentry *old_parent = d->parent;
    dentry_get(d); /* keep it alive while it moves */
    dentry_unhash(d);
    free(d->name);
    d->name = name;
    d->dead = false;
    if (new_parent != old_parent) {
        dentry_get(new_parent);
        d->parent = new_parent;
        dentry_put(old_parent);
    }
    dentry_get(d); /* the new table's reference */
    if (dentry_hash(new_parent, d) != 0) {
        d->dead = true;
        dentry_put(d);
    }
    dentry_put(d);
    return 0;
}

/* --- paths --- */

void path_get(const struct path *p)
{
    if (p->mnt)
        mount_get(p->mnt);
    if (p->dentry)
        dentry_get(p->dentry);
}

void path_put(struct path *p)
{
    if (p->dentry)
        dentry_put(p->dentry);
    if (p->mnt)
        mount_put(p->mnt);
    p->dentry = NULL;
    p->mnt = NULL;
}

/* --- superblocks --- */

struct superblock *sb_new(const struct fs_type *type, struct inode *root_inode)
{
    struct superblock *sb = calloc(1, sizeof(*sb));
    if (!sb)
        return NULL;
    sb->refs = 1;
    sb->type = type;
    sb->dev = vfs_new_dev();
    sb->root = dentry_alloc(NULL, "", root_inode, sb);
    if (!sb->root) {
        free(sb);
        return NULL;
    }
    /* The root dentry took its own reference: the caller's goes with it. */
    inode_put(root_inode);
    return sb;
}

void sb_get(struct superblock *sb)
{
    SENTRY_ASSERT(sb->refs > 0);
    sb->refs++;
}

void sb_put(struct superblock *sb)
{
    SENTRY_ASSERT(sb->refs > 0);
    if (--sb->refs > 0)
        return;
    dentry_drop_children(sb->root);
    dentry_put(sb->root);
    if (sb->type && sb->type->kill_sb)
        sb->type->kill_sb(sb);
    free(sb);
}

uint64_t vfs_new_dev(void)
{
    /* Anonymous devices are major 0; start the minors where a small Linux
     * system's would be after its early mounts. */
    static uint32_t next_minor = 0x20;
    uint32_t minor = next_minor++;
    return (uint64_t)(minor & 0xff) | ((uint64_t)(minor & ~0xffU) << 12);
}

/* --- filesystem types --- */

#define FS_TYPES_MAX 32
static const struct fs_type *fs_types[FS_TYPES_MAX];
static size_t fs_type_count;

void fs_type_register(const struct fs_type *type)
{
    for (size_t i = 0; i < fs_type_count; i++) {
        if (fs_types[i] == type)
            return;
    }
    SENTRY_ASSERT(fs_type_count < FS_TYPES_MAX);
    fs_types[fs_type_count++] = type;
}

const struct fs_type *fs_type_find(const char *name)
{
    for (size_t i = 0; i < fs_type_count; i++) {
        if (strcmp(fs_types[i]->name, name) == 0)
            return fs_types[i];
    }
    return NULL;
}

void fs_type_foreach(void (*fn)(const struct fs_type *type, void *ctx), void *ctx)
{
    for (size_t i = 0; i < fs_type_count; i++)
        fn(fs_types[i], ctx);
}

/* --- special files --- */

static vfs_special_open_fn special_open[16];

void vfs_register_special_open(uint32_t ifmt, vfs_special_open_fn open)
{
    special_open[(ifmt & LINUX_S_IFMT) >> 12] = open;
}

vfs_special_open_fn vfs_special_opener(uint32_t mode)
{
    return special_open[(mode & LINUX_S_IFMT) >> 12];
}

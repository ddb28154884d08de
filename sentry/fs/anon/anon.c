/* Paths for pathless open files (see anon.h).
 *
 * Each such path is a fresh dentry, instantiated in its superblock's root
 * and at once taken out of the cache (dentry_unhash): it lives exactly as
 * long as whoever holds the path (a walk, an opened file), so nothing
 * accumulates per pipe or per lookup.
 *
 * Lock order: the kernel lock. */
#include "sentry/fs/anon/anon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "lib/panic.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

/* Internal mounts of pseudo superblocks, made on first use; they live as
 * long as the sandbox. */
#define ANON_MOUNTS_MAX 8
static struct {
    struct superblock *sb;
    struct mount *mnt;
} anon_mounts[ANON_MOUNTS_MAX];

static struct mount *internal_mount(struct superblock *sb)
{
    int i = 0;
    for (; i < ANON_MOUNTS_MAX && anon_mounts[i].sb; i++) {
        if (anon_mounts[i].sb == sb)
            return anon_mounts[i].mnt;
    }
    SENTRY_ASSERT(i < ANON_MOUNTS_MAX);
    struct mount *m = mount_new_root(sb);
    if (!m)
        return NULL;
    anon_mounts[i].sb = sb;
    anon_mounts[i].mnt = m;
    return m;
}

bool anon_path_is_internal(const struct path *p)
{
    for (int i = 0; i < ANON_MOUNTS_MAX && anon_mounts[i].sb; i++) {
        if (anon_mounts[i].mnt == p->mnt)
            return true;
    }
    return false;
}

/* A path to ino on sb's internal mount, through an uncached dentry. */
static int path_to_inode(struct inode *ino, const char *name, struct path *out)
{
    struct mount *m = internal_mount(ino->sb);
    if (!m)
        return -LINUX_ENOMEM;
    struct dentry *d = dentry_instantiate(ino->sb->root, name, ino);
    if (!d)
        return -LINUX_ENOMEM;
    dentry_get(d);
    dentry_unhash(d); /* the cache lets go; the caller's reference stays */
    mount_get(m);
    out->mnt = m;
    out->dentry = d;
    return 0;
}

/* --- proxies of files without an inode --- */

static struct file *proxied(const struct file *f)
{
    return f->priv;
}

static long proxy_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    return file_read(proxied(f), iov, iovcnt);
}

static long proxy_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    return file_write(proxied(f), iov, iovcnt);
}

static long proxy_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return file_pread(proxied(f), iov, iovcnt, pos);
}

static long proxy_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return file_pwrite(proxied(f), iov, iovcnt, pos);
}

static long proxy_seek(struct file *f, int64_t off, int whence)
{
    struct file *o = proxied(f);
    return o->ops->seek ? o->ops->seek(o, off, whence) : -LINUX_ESPIPE;
}

static long proxy_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg)
{
    return file_ioctl(proxied(f), t, cmd, arg);
}

static long proxy_stat(struct file *f, struct linux_stat *out_st)
{
    return file_stat(proxied(f), out_st);
}

static int proxy_get_pages(struct file *f, uint64_t off, uint64_t len, struct mm_object **out_obj)
{
    struct file *o = proxied(f);
    return o->ops->get_pages ? o->ops->get_pages(o, off, len, out_obj) : -LINUX_ENODEV;
}

static unsigned proxy_poll(struct file *f, struct poll_table *pt)
{
    return file_poll(proxied(f), pt);
}

static void proxy_release(struct file *f)
{
    if (f->priv)
        file_put(f->priv);
    f->priv = NULL;
}

static const struct file_ops proxy_fops = {
    .read = proxy_read,
    .write = proxy_write,
    .pread = proxy_pread,
    .pwrite = proxy_pwrite,
    .seek = proxy_seek,
    .ioctl = proxy_ioctl,
    .stat = proxy_stat,
    .get_pages = proxy_get_pages,
    .poll = proxy_poll,
    .release = proxy_release,
};

static int proxy_getattr(struct inode *ino)
{
    struct linux_stat st;
    memset(&st, 0, sizeof(st));
    long err = file_stat(ino->priv, &st);
    if (err)
        return (int)err;
    ino->attr.mode = st.st_mode;
    ino->attr.nlink = (uint32_t)st.st_nlink;
    ino->attr.uid = st.st_uid;
    ino->attr.gid = st.st_gid;
    ino->attr.ino = st.st_ino;
    ino->attr.size = (uint64_t)st.st_size;
    ino->attr.blocks = (uint64_t)st.st_blocks;
    ino->attr.blksize = (uint32_t)st.st_blksize;
    ino->attr.rdev = st.st_rdev;
    ino->attr.atime = (struct linux_timespec){st.st_atime_sec, st.st_atime_nsec};
    ino->attr.mtime = (struct linux_timespec){st.st_mtime_sec, st.st_mtime_nsec};
    ino->attr.ctime = (struct linux_timespec){st.st_ctime_sec, st.st_ctime_nsec};
    return 0;
}

static int proxy_open(struct inode *ino, struct file *f)
{
    struct file *o = ino->priv;
    file_get(o);
    f->ops = &proxy_fops;
    f->priv = o;
    f->io_chunk = o->io_chunk;
    return 0;
}

static void proxy_evict(struct inode *ino)
{
    if (ino->priv)
        file_put(ino->priv);
    ino->priv = NULL;
}

static const struct inode_ops proxy_inode_ops = {
    .getattr = proxy_getattr,
    .open = proxy_open,
    .evict = proxy_evict,
};

static int anon_fs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                         const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data, (void)out_sb;
    return -LINUX_EINVAL; /* internal: never mounted by the application */
}

static const struct fs_type anon_fs_type = {
    .name = "anon_inodefs",
    .nodev = true,
    .mount = anon_fs_mount,
};
static const struct inode_ops anon_root_ops;

static struct superblock *anon_sb(void)
{
    static struct superblock *sb;
    if (sb)
        return sb;
    struct inode *root = inode_new(NULL, &anon_root_ops, LINUX_S_IFDIR | 0700);
    if (!root)
        return NULL;
    sb = sb_new(&anon_fs_type, root);
    if (!sb) {
        inode_put(root);
        return NULL;
    }
    root->sb = sb;
    root->attr.ino = ++sb->next_ino;
    return sb;
}

int anon_file_path(struct file *f, struct path *out)
{
    char name[64];
    if (f->inode && f->inode->sb) {
        snprintf(name, sizeof(name), "anon:[%lu]", (unsigned long)f->inode->attr.ino);
        return path_to_inode(f->inode, name, out);
    }
    struct superblock *sb = anon_sb();
    if (!sb)
        return -LINUX_ENOMEM;
    struct inode *ino = inode_new(sb, &proxy_inode_ops, LINUX_S_IFREG);
    if (!ino)
        return -LINUX_ENOMEM;
    file_get(f);
    ino->priv = f;
    int err = proxy_getattr(ino);
    if (!err) {
        snprintf(name, sizeof(name), "proxy:[%lu]", (unsigned long)ino->attr.ino);
        err = path_to_inode(ino, name, out);
    }
    inode_put(ino); /* the dentry holds it now (or it goes, with its file) */
    return err;
}

/* --- anonymous inodes (eventfd, epoll) --- */

#define ANON_INODE_TYPES_MAX 8
static struct {
    const struct fs_type *type;
    struct inode *ino;
} anon_inodes[ANON_INODE_TYPES_MAX];

static const struct inode_ops anon_inode_ops;

/* The shared inode of type, made on first use; it lives as long as the
 * sandbox. */
static struct inode *anon_inode_of(const struct fs_type *type)
{
    int i = 0;
    for (; i < ANON_INODE_TYPES_MAX && anon_inodes[i].type; i++) {
        if (anon_inodes[i].type == type)
            return anon_inodes[i].ino;
    }
    SENTRY_ASSERT(i < ANON_INODE_TYPES_MAX);
    struct inode *root = inode_new(NULL, &anon_root_ops, LINUX_S_IFDIR | 0700);
    if (!root)
        return NULL;
    struct superblock *sb = sb_new(type, root);
    if (!sb) {
        inode_put(root);
        return NULL;
    }
    root->sb = sb;
    root->attr.ino = ++sb->next_ino;
    struct inode *ino = inode_new(sb, &anon_inode_ops, 0600);
    if (!ino) {
        sb_put(sb);
        return NULL;
    }
    anon_inodes[i].type = type;
    anon_inodes[i].ino = ino;
    return ino;
}

struct file *anon_inode_file_new(const struct fs_type *type, const struct file_ops *ops, int flags,
                                 void *priv)
{
    struct inode *ino = anon_inode_of(type);
    if (!ino)
        return NULL;
    struct file *f = file_new(ops, flags, priv);
    if (!f)
        return NULL;
    inode_get(ino);
    f->inode = ino;
    return f;
}

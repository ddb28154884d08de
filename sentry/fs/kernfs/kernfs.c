/* kernfs: inodes, directories and generated files of the synthetic
 * filesystems (see kernfs.h).
 *
 * Lock order: the kernel lock. */
#include "sentry/fs/kernfs/kernfs.h"

#include <stdlib.h>
#include <string.h>

#include "abi/linux/dirent.h"
#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "lib/panic.h"
#include "sentry/fs/iov.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

/* A store gets at most this much, as Linux's proc_sys writes. */
#define KERNFS_STORE_MAX 4096

static const struct inode_ops kernfs_inode_ops;
static const struct inode_ops kernfs_magic_link_ops;
static const struct file_ops kernfs_dir_fops;
static const struct file_ops kernfs_seq_fops;
static const struct file_ops kernfs_path_fops;

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Stable inode numbers: the same node and parameters give the same number
 * in every lookup (find and du rely on it). The root is 1. */
static uint64_t kernfs_ino(const struct superblock *sb, const struct kernfs_node *node, int64_t a,
                           int64_t b)
{
    const struct kernfs_sb *ks = sb->priv;
    if (node == ks->root)
        return 1;
    uint64_t h = mix64((uintptr_t)node ^ mix64((uint64_t)a) ^ mix64((uint64_t)b * 31 + 7));
    return 2 + h % 0xfffffff0ULL;
}

static uint8_t dirent_type(uint32_t mode)
{
    return (uint8_t)((mode & LINUX_S_IFMT) >> 12); /* DT_* is the S_IF* type field */
}

static uint32_t dir_nlink(const struct kernfs_node *n)
{
    uint32_t nlink = 2;
    for (const struct kernfs_node *c = n->children; c && c->name; c++) {
        if ((c->mode & LINUX_S_IFMT) == LINUX_S_IFDIR)
            nlink++;
    }
    return nlink;
}

static struct inode *kernfs_inode_new(struct superblock *sb, const struct kernfs_node *node,
                                      int64_t a, int64_t b)
{
    const struct kernfs_sb *ks = sb->priv;
    struct kernfs_inode *ki = calloc(1, sizeof(*ki));
    if (!ki)
        return NULL;
    /* The walk treats any inode with get_link_path as a magic link. */
    struct inode *ino =
        inode_new(sb, node->get_link ? &kernfs_magic_link_ops : &kernfs_inode_ops, node->mode);
    if (!ino) {
        free(ki);
        return NULL;
    }
    *ki = (struct kernfs_inode){.node = node, .a = a, .b = b};
    ino->priv = ki;
    ino->attr.ino = kernfs_ino(sb, node, a, b);
    ino->attr.rdev = node->rdev;
    ino->attr.blksize = 1024;
    switch (node->mode & LINUX_S_IFMT) {
    case LINUX_S_IFDIR:
        ino->attr.nlink = dir_nlink(node);
        break;
    case LINUX_S_IFREG:
        ino->attr.size = (ks->flags & KERNFS_FILE_SIZE_PAGE) ? 4096 : 0;
        break;
    case LINUX_S_IFLNK:
        if (node->target && (ks->flags & KERNFS_LINK_SIZE))
            ino->attr.size = strlen(node->target);
        break;
    }
    return ino;
}

const struct kernfs_node *kernfs_find_static(const struct kernfs_node *children, const char *name)
{
    for (const struct kernfs_node *c = children; c && c->name; c++) {
        if (strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

void kernfs_emit_static(const struct kernfs_node *children, uint64_t start, kernfs_emit_fn emit,
                        void *ctx, int64_t a, int64_t b)
{
    uint64_t i = 0;
    for (const struct kernfs_node *c = children; c && c->name; c++, i++) {
        if (i >= start && !emit(ctx, i, c->name, c, a, b))
            return;
    }
}

long kernfs_copy_link(const char *text, size_t len, char *buf, size_t size)
{
    memcpy(buf, text, len < size ? len : size);
    return (long)len;
}

/* --- inode ops --- */

static int kernfs_lookup(struct inode *dir, const char *name, struct inode **out_inode)
{
    const struct kernfs_inode *ki = dir->priv;
    const struct kernfs_node *n = ki->node;
    if (n->getattr) {
        struct vfs_attr attr = dir->attr;
        int err = n->getattr(ki, &attr);
        if (err)
            return err;
    }
    int64_t a = ki->a, b = ki->b;
    const struct kernfs_node *child = kernfs_find_static(n->children, name);
    if (!child) {
        if (!n->dir_ops || !n->dir_ops->lookup)
            return -LINUX_ENOENT;
        int err = n->dir_ops->lookup(ki, name, &child, &a, &b);
        if (err)
            return err;
    }
    struct inode *ino = kernfs_inode_new(dir->sb, child, a, b);
    if (!ino)
        return -LINUX_ENOMEM;
    if (child->getattr) {
        int err = child->getattr(ino->priv, &ino->attr);
        if (err) {
            inode_put(ino);
            return err;
        }
    }
    *out_inode = ino;
    return 0; /* -ENOENT above is never cached: the tree is dynamic */
}

static long kernfs_readlink(struct inode *ino, char *buf, size_t size)
{
    const struct kernfs_inode *ki = ino->priv;
    if (ki->node->readlink)
        return ki->node->readlink(ki, buf, size);
    if (ki->node->target)
        return kernfs_copy_link(ki->node->target, strlen(ki->node->target), buf, size);
    return -LINUX_EINVAL;
}

static int kernfs_get_link_path(struct inode *ino, struct task *t, struct mount **out_mnt,
                                struct dentry **out_dentry)
{
    const struct kernfs_inode *ki = ino->priv;
    if (!ki->node->get_link)
        return -LINUX_EINVAL;
    struct path p = {0};
    int err = ki->node->get_link(ki, t, &p);
    if (err)
        return err;
    *out_mnt = p.mnt;
    *out_dentry = p.dentry;
    return 0;
}

static int kernfs_getattr(struct inode *ino)
{
    const struct kernfs_inode *ki = ino->priv;
    return ki->node->getattr ? ki->node->getattr(ki, &ino->attr) : 0;
}

/* Truncation (O_TRUNC opens of /proc/sys files) and times are accepted;
 * mode and owner only where the filesystem allows them. */
static int kernfs_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
    const struct kernfs_sb *ks = ino->sb->priv;
    if ((sa->valid & (VFS_SET_MODE | VFS_SET_UID | VFS_SET_GID)) && !(ks->flags & KERNFS_CHMOD))
        return -LINUX_EPERM;
    if (sa->valid & VFS_SET_MODE)
        ino->attr.mode = (ino->attr.mode & LINUX_S_IFMT) | (sa->mode & 07777);
    if (sa->valid & VFS_SET_UID)
        ino->attr.uid = sa->uid;
    if (sa->valid & VFS_SET_GID)
        ino->attr.gid = sa->gid;
    if (sa->valid & VFS_SET_ATIME)
        ino->attr.atime = sa->atime;
    if (sa->valid & VFS_SET_MTIME)
        ino->attr.mtime = sa->mtime;
    ino->attr.ctime = vfs_now();
    return 0;
}

/* --- generated files --- */

struct kernfs_open {
    struct seqbuf buf;
    bool fresh; /* generated and not read yet: a read at 0 keeps it */
};

static int kernfs_generate(struct file *f)
{
    const struct kernfs_inode *ki = f->inode->priv;
    struct kernfs_open *ko = f->priv;
    seqbuf_reset(&ko->buf);
    int err = ki->node->show(ki, &ko->buf);
    if (!err && ko->buf.failed)
        err = -LINUX_ENOMEM;
    if (err)
        seqbuf_reset(&ko->buf);
    ko->fresh = !err;
    return err;
}

static long kernfs_seq_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    struct kernfs_open *ko = f->priv;
    if (!f->inode || !((const struct kernfs_inode *)f->inode->priv)->node->show)
        return -LINUX_EINVAL;
    if (pos == 0 && !ko->fresh) {
        int err = kernfs_generate(f);
        if (err)
            return err;
    }
    ko->fresh = false;
    if ((uint64_t)pos >= ko->buf.len)
        return 0;
    if (pos != 0 &&
        (((const struct kernfs_inode *)f->inode->priv)->node->flags & KERNFS_READ_AT_ZERO))
        return 0;
    struct iov_cursor c;
    iov_cursor_init(&c, iov, iovcnt);
    return (long)iov_cursor_put(&c, ko->buf.data + pos, ko->buf.len - (size_t)pos);
}

static long kernfs_seq_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *ppos)
{
    int64_t *pos = ppos ? ppos : &f->pos;
    long n = kernfs_seq_pread(f, iov, iovcnt, *pos);
    if (n > 0)
        *pos += n;
    return n;
}

static long kernfs_seq_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    const struct kernfs_inode *ki = f->inode->priv;
    if (!ki->node->store)
        return -LINUX_EINVAL;
    size_t total = iov_total(iov, iovcnt);
    if (total == 0)
        return 0;
    if (pos != 0 || total > KERNFS_STORE_MAX)
        return -LINUX_EINVAL;
    char buf[KERNFS_STORE_MAX + 1];
    struct iov_cursor c;
    iov_cursor_init(&c, iov, iovcnt);
    iov_cursor_get(&c, buf, total);
    buf[total] = '\0';
    return ki->node->store(ki, buf, total);
}

static long kernfs_seq_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *ppos)
{
    int64_t *pos = ppos ? ppos : &f->pos;
    long n = kernfs_seq_pwrite(f, iov, iovcnt, *pos);
    if (n > 0)
        *pos += n;
    return n;
}

/* seq_lseek: SEEK_SET and SEEK_CUR only. */
static long kernfs_seq_seek(struct file *f, int64_t off, int whence)
{
    int64_t pos;
    switch (whence) {
    case LINUX_SEEK_SET:
        pos = off;
        break;
    case LINUX_SEEK_CUR:
        pos = f->pos + off;
        break;
    default:
        return -LINUX_EINVAL;
    }
    if (pos < 0)
        return -LINUX_EINVAL;
    f->pos = pos;
    return pos;
}

static void kernfs_seq_release(struct file *f)
{
    struct kernfs_open *ko = f->priv;
    if (ko) {
        seqbuf_free(&ko->buf);
        free(ko);
    }
    f->priv = NULL;
}

static const struct file_ops kernfs_seq_fops = {
    .read = kernfs_seq_read,
    .write = kernfs_seq_write,
    .pread = kernfs_seq_pread,
    .pwrite = kernfs_seq_pwrite,
    .seek = kernfs_seq_seek,
    .release = kernfs_seq_release,
};

/* --- directories --- */

struct kernfs_iter {
    vfs_emit_fn emit;
    void *ctx;
    struct file *f;
    uint64_t base; /* cookie of dynamic index 0 */
};

static bool kernfs_iter_emit(void *arg, uint64_t index, const char *name,
                             const struct kernfs_node *node, int64_t a, int64_t b)
{
    struct kernfs_iter *it = arg;
    uint64_t next = it->base + index + 1;
    struct vfs_dirent d = {
        .ino = kernfs_ino(it->f->inode->sb, node, a, b),
        .next = next,
        .type = dirent_type(node->mode),
        .name = name,
    };
    if (!it->emit(it->ctx, &d))
        return false;
    it->f->pos = (int64_t)next;
    return true;
}

static int kernfs_iterate(struct file *f, vfs_emit_fn emit, void *ctx)
{
    struct inode *dir = f->inode;
    const struct kernfs_inode *ki = dir->priv;
    const struct kernfs_node *n = ki->node;
    if (n->getattr) {
        struct vfs_attr attr = dir->attr;
        int err = n->getattr(ki, &attr);
        if (err)
            return err;
    }
    if (!vfs_dir_emit_dots(f, emit, ctx))
        return 0;
    uint64_t nstatic = 0;
    for (const struct kernfs_node *c = n->children; c && c->name; c++)
        nstatic++;
    struct kernfs_iter it = {.emit = emit, .ctx = ctx, .f = f, .base = 2};
    if ((uint64_t)f->pos < 2 + nstatic)
        kernfs_emit_static(n->children, (uint64_t)f->pos - 2, kernfs_iter_emit, &it, ki->a, ki->b);
    if ((uint64_t)f->pos < 2 + nstatic || !n->dir_ops || !n->dir_ops->iterate)
        return 0;
    it.base = 2 + nstatic;
    n->dir_ops->iterate(ki, (uint64_t)f->pos - it.base, kernfs_iter_emit, &it);
    return 0;
}

static long kernfs_dir_seek(struct file *f, int64_t off, int whence)
{
    /* Directory cookies: only SEEK_SET to a cookie (or 0) and SEEK_CUR 0. */
    if (whence == LINUX_SEEK_CUR && off == 0)
        return f->pos;
    if (whence != LINUX_SEEK_SET || off < 0)
        return -LINUX_EINVAL;
    f->pos = off;
    return off;
}

static const struct file_ops kernfs_dir_fops = {
    .seek = kernfs_dir_seek,
    .iterate = kernfs_iterate,
};

/* O_PATH opens and symlinks: no I/O. */
static const struct file_ops kernfs_path_fops = {0};

static int kernfs_open(struct inode *ino, struct file *f)
{
    const struct kernfs_inode *ki = ino->priv;
    const struct kernfs_node *n = ki->node;
    if (n->getattr) {
        int err = n->getattr(ki, &ino->attr);
        if (err)
            return err;
    }
    if (f->flags & LINUX_O_PATH) {
        f->ops = &kernfs_path_fops;
        return 0;
    }
    if (n->open)
        return n->open(ki, task_current(), f);
    switch (n->mode & LINUX_S_IFMT) {
    case LINUX_S_IFDIR:
        f->ops = &kernfs_dir_fops;
        return 0;
    case LINUX_S_IFREG: {
        struct kernfs_open *ko = calloc(1, sizeof(*ko));
        if (!ko)
            return -LINUX_ENOMEM;
        f->ops = &kernfs_seq_fops;
        f->priv = ko;
        int mode = f->flags & LINUX_O_ACCMODE;
        if (n->show && (mode == LINUX_O_RDONLY || mode == LINUX_O_RDWR)) {
            int err = kernfs_generate(f);
            if (err) {
                kernfs_seq_release(f);
                f->ops = &kernfs_path_fops;
                return err;
            }
        }
        return 0;
    }
    default:
        f->ops = &kernfs_path_fops;
        return 0;
    }
}

static void kernfs_evict(struct inode *ino)
{
    free(ino->priv);
    ino->priv = NULL;
}

static const struct inode_ops kernfs_inode_ops = {
    .lookup = kernfs_lookup,
    .readlink = kernfs_readlink,
    .getattr = kernfs_getattr,
    .setattr = kernfs_setattr,
    .open = kernfs_open,
    .evict = kernfs_evict,
};

static const struct inode_ops kernfs_magic_link_ops = {
    .readlink = kernfs_readlink,
    .get_link_path = kernfs_get_link_path,
    .getattr = kernfs_getattr,
    .setattr = kernfs_setattr,
    .open = kernfs_open,
    .evict = kernfs_evict,
};

/* --- superblocks --- */

struct superblock *kernfs_new_sb(const struct fs_type *type, const struct kernfs_node *root,
                                 unsigned flags)
{
    struct kernfs_sb *ks = calloc(1, sizeof(*ks));
    if (!ks)
        return NULL;
    ks->root = root;
    ks->flags = flags;
    /* The root inode needs sb->priv for its number: a stand-in until the
     * superblock exists. */
    struct superblock tmp = {.priv = ks};
    struct inode *ino = kernfs_inode_new(&tmp, root, 0, 0);
    if (!ino) {
        free(ks);
        return NULL;
    }
    struct superblock *sb = sb_new(type, ino);
    if (!sb) {
        inode_put(ino);
        free(ks);
        return NULL;
    }
    ino->sb = sb;
    sb->priv = ks;
    return sb;
}

void kernfs_kill_sb(struct superblock *sb)
{
    free(sb->priv);
    sb->priv = NULL;
}

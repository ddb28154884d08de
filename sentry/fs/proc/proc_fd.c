/* /proc/PID/{fd,fdinfo}/, maps, mounts and mountinfo: the files that name
 * other files.
 *
 * fd/N entries are magic links: following one gives the open file's own
 * path (inode_ops.get_link_path), reading one gives Linux's text: the
 * path as seen from the reader's root, "pipe:[INO]", "socket:[INO]",
 * "/memfd:NAME (deleted)", "anon_inode:[TYPE]".
 *
 * Lock order: the kernel lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "abi/linux/statfs.h"
#include "sentry/fs/anon/anon.h"
#include "sentry/fs/anon/memfd.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

static unsigned dev_major(uint64_t dev)
{
    return (unsigned)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffULL));
}

static unsigned dev_minor(uint64_t dev)
{
    return (unsigned)((dev & 0xff) | ((dev >> 12) & ~0xffULL));
}

long proc_path_link(const struct path *p, char *buf, size_t size)
{
    struct task *viewer = task_current();
    char *tmp = malloc(VFS_PATH_MAX + 16);
    if (!tmp)
        return -LINUX_ENOMEM;
    int err = -LINUX_ENOENT;
    if (viewer && viewer->fs)
        err = vfs_path_string(&viewer->fs->root, p, tmp, VFS_PATH_MAX);
    if (err) {
        free(tmp);
        return err;
    }
    static const char deleted[] = " (deleted)";
    size_t len = strlen(tmp);
    if (p->dentry->dead &&
        (len < sizeof(deleted) - 1 || strcmp(tmp + len - (sizeof(deleted) - 1), deleted) != 0)) {
        memcpy(tmp + len, deleted, sizeof(deleted));
        len += sizeof(deleted) - 1;
    }
    long n = kernfs_copy_link(tmp, len, buf, size);
    free(tmp);
    return n;
}

/* The link text of an open file (see the file comment). */
static long file_link_text(struct file *f, char *buf, size_t size)
{
    char tmp[128];
    int n;
    /* A file reopened through an anon path (see anon.h) shows as the file
     * it was reopened from: "pipe:[INO]", not its internal path. */
    if (f->path.mnt && f->path.dentry && !anon_path_is_internal(&f->path))
        return proc_path_link(&f->path, buf, size);
    if (memfd_is_file(f)) {
        size_t len = memfd_link_name(f, tmp, sizeof(tmp));
        if (len < sizeof(tmp))
            return kernfs_copy_link(tmp, len, buf, size);
        char *big = malloc(len + 1);
        if (!big)
            return -LINUX_ENOMEM;
        memfd_link_name(f, big, len + 1);
        long r = kernfs_copy_link(big, len, buf, size);
        free(big);
        return r;
    }
    struct linux_stat st;
    memset(&st, 0, sizeof(st));
    if (f->inode) {
        vfs_attr_to_stat(&f->inode->attr, f->inode->sb ? f->inode->sb->dev : 0, &st);
    } else if (file_stat(f, &st) != 0) {
        st.st_mode = 0;
    }
    switch (st.st_mode & LINUX_S_IFMT) {
    case LINUX_S_IFIFO:
        n = snprintf(tmp, sizeof(tmp), "pipe:[%lu]", (unsigned long)st.st_ino);
        break;
    case LINUX_S_IFSOCK:
        n = snprintf(tmp, sizeof(tmp), "socket:[%lu]", (unsigned long)st.st_ino);
        break;
    case LINUX_S_IFCHR: {
        /* A host terminal or device passed in as stdio. */
        unsigned maj = dev_major(st.st_rdev), min = dev_minor(st.st_rdev);
        if (maj >= 136 && maj <= 143)
            n = snprintf(tmp, sizeof(tmp), "/dev/pts/%u", (maj - 136) * 256 + min);
        else if (maj == 1 && min == 3)
            n = snprintf(tmp, sizeof(tmp), "/dev/null");
        else if (maj == 5 && min == 0)
            n = snprintf(tmp, sizeof(tmp), "/dev/tty");
        else
            n = snprintf(tmp, sizeof(tmp), "/dev/char/%u:%u", maj, min);
        break;
    }
    default:
        n = snprintf(tmp, sizeof(tmp), "anon_inode:[%s]",
                     f->inode && f->inode->sb ? f->inode->sb->type->name : "file");
        break;
    }
    return kernfs_copy_link(tmp, (size_t)n, buf, size);
}

/* --- fd/ and fdinfo/ --- */

/* The file at fd ki->b of process ki->a (a new reference), or NULL. */
static struct file *fd_file(const struct kernfs_inode *ki)
{
    struct task *t = proc_task_find((linux_pid_t)ki->a);
    if (!t || !t->fds || ki->b < 0 || ki->b > 0x7fffffff)
        return NULL;
    return fdtable_get(t->fds, (int)ki->b);
}

static int fd_getattr(const struct kernfs_inode *ki, struct vfs_attr *attr)
{
    struct kernfs_inode process = {.node = ki->node, .a = ki->a, .b = 0}; /* b is the fd */
    int err = proc_pid_getattr(&process, attr);
    if (err)
        return err;
    struct file *f = fd_file(ki);
    if (!f)
        return -LINUX_ENOENT;
    if ((attr->mode & LINUX_S_IFMT) == LINUX_S_IFLNK) {
        /* Linux: r-x for a readable file, -wx for a writable one. */
        int mode = f->flags & LINUX_O_ACCMODE;
        uint32_t perm = 0;
        if (mode == LINUX_O_RDONLY || mode == LINUX_O_RDWR)
            perm |= 0500;
        if (mode == LINUX_O_WRONLY || mode == LINUX_O_RDWR)
            perm |= 0300;
        attr->mode = LINUX_S_IFLNK | perm;
        attr->size = 64; /* what Linux's fd links report */
    }
    file_put(f);
    return 0;
}

static long fd_readlink(const struct kernfs_inode *ki, char *buf, size_t size)
{
    struct file *f = fd_file(ki);
    if (!f)
        return -LINUX_ENOENT;
    long n = file_link_text(f, buf, size);
    file_put(f);
    return n;
}

static int fd_get_link(const struct kernfs_inode *ki, struct task *t, struct path *out)
{
    (void)t;
    struct file *f = fd_file(ki);
    if (!f)
        return -LINUX_ENOENT;
    int err = 0;
    if (f->path.mnt && f->path.dentry) {
        *out = f->path;
        path_get(out);
    } else {
        err = anon_file_path(f, out); /* pipes, memfds, host stdio */
    }
    file_put(f);
    return err;
}

static int fdinfo_show(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = proc_task_find((linux_pid_t)ki->a);
    struct file *f = fd_file(ki);
    if (!f)
        return -LINUX_ENOENT;
    int fd_flags = fdtable_get_flags(t->fds, (int)ki->b);
    int flags = f->flags | ((fd_flags > 0 && (fd_flags & LINUX_FD_CLOEXEC)) ? LINUX_O_CLOEXEC : 0);
    seqbuf_printf(out, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n", (long long)f->pos,
                  (unsigned)flags, f->path.mnt ? f->path.mnt->id : 0,
                  f->inode ? (unsigned long)f->inode->attr.ino : 0UL);
    if (f->ops->show_fdinfo)
        f->ops->show_fdinfo(f, out);
    file_put(f);
    return 0;
}

static const struct kernfs_node fd_entry = {
    .name = "FD",
    .mode = LINUX_S_IFLNK | 0700,
    .readlink = fd_readlink,
    .get_link = fd_get_link,
    .getattr = fd_getattr,
};

static const struct kernfs_node fdinfo_entry = {
    .name = "FD",
    .mode = LINUX_S_IFREG | 0444,
    .show = fdinfo_show,
    .getattr = fd_getattr,
};

static bool parse_fd(const char *name, int64_t *out)
{
    if (!*name || (name[0] == '0' && name[1]) || strlen(name) > 10)
        return false;
    int64_t v = 0;
    for (const char *p = name; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return v <= 0x7fffffff;
}

static int fd_dir_lookup_node(const struct kernfs_inode *dir, const char *name,
                              const struct kernfs_node *node, const struct kernfs_node **out_node,
                              int64_t *out_a, int64_t *out_b)
{
    int64_t fd;
    if (!parse_fd(name, &fd))
        return -LINUX_ENOENT;
    struct kernfs_inode probe = {.node = node, .a = dir->a, .b = fd};
    struct file *f = fd_file(&probe);
    if (!f)
        return -LINUX_ENOENT;
    file_put(f);
    *out_node = node;
    *out_a = dir->a;
    *out_b = fd;
    return 0;
}

static void fd_dir_iterate_node(const struct kernfs_inode *dir, uint64_t start, kernfs_emit_fn emit,
                                void *ctx, const struct kernfs_node *node)
{
    struct task *t = proc_task_find((linux_pid_t)dir->a);
    if (!t || !t->fds)
        return;
    for (int fd = start > 0x7fffffff ? 0x7fffffff : (int)start; fd < t->fds->count; fd++) {
        if (!t->fds->v[fd].file)
            continue;
        char name[16];
        snprintf(name, sizeof(name), "%d", fd);
        if (!emit(ctx, (uint64_t)fd, name, node, dir->a, fd))
            return;
    }
}

static int fd_lookup(const struct kernfs_inode *dir, const char *name,
                     const struct kernfs_node **out_node, int64_t *out_a, int64_t *out_b)
{
    return fd_dir_lookup_node(dir, name, &fd_entry, out_node, out_a, out_b);
}

static void fd_iterate(const struct kernfs_inode *dir, uint64_t start, kernfs_emit_fn emit,
                       void *ctx)
{
    fd_dir_iterate_node(dir, start, emit, ctx, &fd_entry);
}

static int fdinfo_lookup(const struct kernfs_inode *dir, const char *name,
                         const struct kernfs_node **out_node, int64_t *out_a, int64_t *out_b)
{
    return fd_dir_lookup_node(dir, name, &fdinfo_entry, out_node, out_a, out_b);
}

static void fdinfo_iterate(const struct kernfs_inode *dir, uint64_t start, kernfs_emit_fn emit,
                           void *ctx)
{
    fd_dir_iterate_node(dir, start, emit, ctx, &fdinfo_entry);
}

const struct kernfs_dir_ops proc_fd_ops = {.lookup = fd_lookup, .iterate = fd_iterate};
const struct kernfs_dir_ops proc_fdinfo_ops = {.lookup = fdinfo_lookup, .iterate = fdinfo_iterate};

/* --- maps --- */

/* Linux pads the name to this column: 25 + sizeof(void *) * 6 - 1. */
#define MAPS_NAME_COLUMN 72

int proc_show_maps(const struct kernfs_inode *ki, struct seqbuf *out)
{
    struct task *t = proc_inode_task(ki);
    if (!t)
        return -LINUX_ESRCH;
    struct mm *mm = t->mm;
    if (!mm)
        return 0;
    char *name = malloc(VFS_PATH_MAX + 16);
    if (!name)
        return -LINUX_ENOMEM;
    for (size_t i = 0; i < mm->vmas.count; i++) {
        const struct vma *v = &mm->vmas.v[i];
        uint64_t dev = 0, ino = 0, off = 0;
        const char *label = v->name;
        if (v->file) {
            /* Named by its path (or memfd name); a file the sentry made
             * without the VFS (a program image) has none to show. */
            bool named = (v->file->path.mnt && v->file->path.dentry) || memfd_is_file(v->file);
            long n = named ? file_link_text(v->file, name, VFS_PATH_MAX + 15) : -1;
            if (n >= 0) {
                name[n < VFS_PATH_MAX + 15 ? n : VFS_PATH_MAX + 15] = '\0';
                label = name;
            }
            if (v->file->inode) {
                dev = v->file->inode->sb ? v->file->inode->sb->dev : 0;
                ino = v->file->inode->attr.ino;
            }
            off = v->obj_off;
        } else if (v->obj && (v->flags & VMA_SHARED)) {
            label = "/dev/zero (deleted)";
            dev = 1;
            off = v->obj_off;
        }
        seqbuf_printf(out, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", (unsigned long)v->start,
                      (unsigned long)v->end, (v->prot & VMA_PROT_READ) ? 'r' : '-',
                      (v->prot & VMA_PROT_WRITE) ? 'w' : '-', (v->prot & VMA_PROT_EXEC) ? 'x' : '-',
                      (v->flags & VMA_SHARED) ? 's' : 'p', (unsigned long)off, dev_major(dev),
                      dev_minor(dev), (unsigned long)ino);
        if (label) {
            seqbuf_pad(out, MAPS_NAME_COLUMN, ' ');
            seqbuf_puts(out, label);
        }
        seqbuf_putc(out, '\n');
    }
    free(name);
    return 0;
}

/* --- mounts and mountinfo --- */

struct mounts_ctx {
    struct seqbuf *out;
    const struct path *root;
    bool info;
    char *buf; /* VFS_PATH_MAX */
};

/* The path of d inside its filesystem ("/" for the root). */
static void dentry_path_in_sb(struct dentry *d, char *buf, size_t size)
{
    size_t pos = size - 1;
    buf[pos] = '\0';
    for (; d->parent != d; d = d->parent) {
        size_t n = strlen(d->name);
        if (n + 1 > pos)
            break;
        pos -= n;
        memcpy(buf + pos, d->name, n);
        buf[--pos] = '/';
    }
    if (buf[pos] == '\0')
        buf[--pos] = '/';
    memmove(buf, buf + pos, size - pos);
}

static void mount_opts(struct seqbuf *out, const struct mount *m)
{
    bool ro = (m->flags & LINUX_MNT_RDONLY) || (m->sb->flags & LINUX_MS_RDONLY);
    seqbuf_puts(out, ro ? "ro" : "rw");
    if (m->flags & LINUX_MNT_NOSUID)
        seqbuf_puts(out, ",nosuid");
    if (m->flags & LINUX_MNT_NODEV)
        seqbuf_puts(out, ",nodev");
    if (m->flags & LINUX_MNT_NOEXEC)
        seqbuf_puts(out, ",noexec");
    seqbuf_puts(out, ",relatime");
}

static void show_one_mount(struct mount *m, void *arg)
{
    struct mounts_ctx *c = arg;
    struct path at = {m, m->root};
    if (vfs_path_string(c->root, &at, c->buf, VFS_PATH_MAX) != 0)
        return;
    const char *type = m->sb->type ? m->sb->type->name : "none";
    if (!c->info) {
        seqbuf_puts_escaped(c->out, type);
        seqbuf_putc(c->out, ' ');
        seqbuf_puts_escaped(c->out, c->buf);
        seqbuf_printf(c->out, " %s ", type);
        mount_opts(c->out, m);
        seqbuf_puts(c->out, " 0 0\n");
        return;
    }
    seqbuf_printf(c->out, "%d %d %u:%u ", m->id, m->parent->id, dev_major(m->sb->dev),
                  dev_minor(m->sb->dev));
    char *root = malloc(VFS_PATH_MAX);
    if (!root) {
        c->out->failed = true;
        return;
    }
    dentry_path_in_sb(m->root, root, VFS_PATH_MAX);
    seqbuf_puts_escaped(c->out, root);
    free(root);
    seqbuf_putc(c->out, ' ');
    seqbuf_puts_escaped(c->out, c->buf);
    seqbuf_putc(c->out, ' ');
    mount_opts(c->out, m);
    seqbuf_printf(c->out, " - %s ", type);
    seqbuf_puts_escaped(c->out, type);
    seqbuf_puts(c->out, (m->sb->flags & LINUX_MS_RDONLY) ? " ro\n" : " rw\n");
}

static int show_mounts_common(const struct kernfs_inode *ki, struct seqbuf *out, bool info)
{
    struct task *t = proc_inode_task(ki);
    if (!t)
        return -LINUX_ESRCH;
    if (!t->fs || !t->fs->root.mnt)
        return 0;
    struct mounts_ctx c = {.out = out, .root = &t->fs->root, .info = info};
    c.buf = malloc(VFS_PATH_MAX);
    if (!c.buf)
        return -LINUX_ENOMEM;
    mount_foreach(t->fs->root.mnt, show_one_mount, &c);
    free(c.buf);
    return 0;
}

int proc_show_mounts(const struct kernfs_inode *ki, struct seqbuf *out)
{
    return show_mounts_common(ki, out, false);
}

int proc_show_mountinfo(const struct kernfs_inode *ki, struct seqbuf *out)
{
    return show_mounts_common(ki, out, true);
}

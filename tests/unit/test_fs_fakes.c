/* Fakes for the sentry/fs unit tests; see test_fs_fakes.h. */
#include "tests/unit/test_fs_fakes.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/resource.h"
#include "sentry/fs/iov.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/poll.h"

struct kernel fake_kernel;
struct kernel *kernel_global;
struct task fake_task;
static struct thread_group fake_tg;
int fake_killed_by;
int fake_signal_sent;
const char *fake_root_path = "/fake/path";
static __thread bool lock_held;

/* --- kernel --- */

void kernel_lock(struct kernel *k)
{
    pthread_mutex_lock(&k->lock);
    lock_held = true;
}

void kernel_unlock(struct kernel *k)
{
    lock_held = false;
    pthread_mutex_unlock(&k->lock);
}

void kernel_assert_held(struct kernel *k)
{
    (void)k;
    assert_true(lock_held);
}

void task_kill_by_signal(struct task *t, int signo)
{
    (void)t;
    fake_killed_by = signo;
}

int signal_send_thread(struct task *t, int sig, const struct linux_siginfo *info)
{
    (void)t, (void)info;
    fake_signal_sent = sig;
    return 0;
}

void fake_fs_setup(void)
{
    static bool memfile_ready;
    if (!memfile_ready) {
        assert_int_equal(memfile_init(), 0);
        memfile_ready = true;
    }
    memset(&fake_kernel, 0, sizeof(fake_kernel));
    pthread_mutex_init(&fake_kernel.lock, NULL);
    strcpy(fake_kernel.uts.sysname, "Linux");
    strcpy(fake_kernel.uts.nodename, "moat");
    strcpy(fake_kernel.uts.release, "6.1.0");
    strcpy(fake_kernel.uts.version, "#1 SMP moat");
    strcpy(fake_kernel.uts.domainname, "(none)");
    fake_kernel.cpus[0] = 0x3;
    fake_kernel.next_pid = 2;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    fake_kernel.boot_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    kernel_global = &fake_kernel;

    memset(&fake_tg, 0, sizeof(fake_tg));
    fake_tg.k = &fake_kernel;
    fake_tg.tgid = 1;
    for (int i = 0; i < LINUX_RLIM_NLIMITS; i++)
        fake_tg.rlimits[i] = (struct linux_rlimit64){LINUX_RLIM_INFINITY, LINUX_RLIM_INFINITY};
    fake_tg.rlimits[LINUX_RLIMIT_NOFILE] = (struct linux_rlimit64){1024, 1048576};
    memset(&fake_task, 0, sizeof(fake_task));
    fake_task.k = &fake_kernel;
    fake_task.tg = &fake_tg;
    fake_task.tid = 1;
    strcpy(fake_task.comm, "init");
    fake_task.fds = fdtable_new();
    fake_kernel.init = &fake_task;
    fake_killed_by = 0;
    kernel_lock(&fake_kernel);
}

void fake_fs_teardown(void)
{
    if (fake_task.fds)
        fdtable_put(fake_task.fds);
    fake_task.fds = NULL;
    kernel_unlock(&fake_kernel);
}

/* --- VFS objects --- */

struct linux_timespec vfs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (struct linux_timespec){ts.tv_sec, ts.tv_nsec};
}

struct inode *inode_new(struct superblock *sb, const struct inode_ops *ops, uint32_t mode)
{
    struct inode *ino = calloc(1, sizeof(*ino));
    assert_non_null(ino);
    ino->refs = 1;
    ino->sb = sb;
    ino->ops = ops;
    ino->attr.mode = mode;
    ino->attr.nlink = 1;
    ino->attr.blksize = 4096;
    if (sb)
        ino->attr.ino = ++sb->next_ino;
    return ino;
}

void inode_get(struct inode *ino)
{
    assert_true(ino->refs > 0);
    ino->refs++;
}

void inode_put(struct inode *ino)
{
    assert_true(ino->refs > 0);
    if (--ino->refs > 0)
        return;
    if (ino->ops && ino->ops->evict)
        ino->ops->evict(ino);
    free(ino);
}

/* The root inode hangs off a dentry of its own, as in the VFS. */
struct superblock *sb_new(const struct fs_type *type, struct inode *root_inode)
{
    struct superblock *sb = calloc(1, sizeof(*sb));
    struct dentry *d = calloc(1, sizeof(*d));
    assert_non_null(sb);
    assert_non_null(d);
    sb->refs = 1;
    sb->type = type;
    sb->dev = 0x20;
    d->refs = 1;
    d->name = strdup("");
    d->parent = d;
    d->inode = root_inode;
    d->sb = sb;
    sb->root = d;
    return sb;
}

void sb_put(struct superblock *sb)
{
    assert_true(sb->refs > 0);
    if (--sb->refs > 0)
        return;
    inode_put(sb->root->inode);
    free(sb->root->name);
    free(sb->root);
    if (sb->type && sb->type->kill_sb)
        sb->type->kill_sb(sb);
    free(sb);
}

/* Dentries made by dentry_instantiate (anon.c's uncached paths). */
void dentry_get(struct dentry *d)
{
    assert_true(d->refs > 0);
    d->refs++;
}

void dentry_put(struct dentry *d)
{
    assert_true(d->refs > 0);
    if (--d->refs > 0)
        return;
    if (d->inode)
        inode_put(d->inode);
    free(d->name);
    free(d);
}

struct dentry *dentry_instantiate(struct dentry *dir, const char *name, struct inode *ino)
{
    struct dentry *d = calloc(1, sizeof(*d));
    d->refs = 1; /* the cache's */
    d->name = strdup(name);
    d->parent = dir;
    d->sb = dir->sb;
    d->inode = ino;
    inode_get(ino);
    return d;
}

void dentry_unhash(struct dentry *d)
{
    d->dead = true;
    dentry_put(d);
}

static struct mount fake_mount = {.refs = 1, .id = 99};

struct mount *mount_new_root(struct superblock *sb)
{
    (void)sb;
    return &fake_mount;
}

void mount_get(struct mount *mnt)
{
    mnt->refs++;
}

void path_get(const struct path *p)
{
    if (p->dentry)
        dentry_get(p->dentry);
}

void path_put(struct path *p)
{
    if (p->dentry)
        dentry_put(p->dentry);
    if (p->mnt)
        mount_put(p->mnt);
    p->mnt = NULL;
    p->dentry = NULL;
}

void vfs_attr_to_stat(const struct vfs_attr *a, uint64_t dev, struct linux_stat *out)
{
    memset(out, 0, sizeof(*out));
    out->st_dev = dev;
    out->st_ino = a->ino;
    out->st_mode = a->mode;
    out->st_nlink = a->nlink;
    out->st_size = (int64_t)a->size;
    out->st_rdev = a->rdev;
}

int vfs_path_string(const struct path *root, const struct path *p, char *buf, size_t size)
{
    (void)root, (void)p;
    snprintf(buf, size, "%s", fake_root_path);
    return 0;
}

static const struct fs_type *fake_types[8];
static int fake_ntypes;

void fs_type_register(const struct fs_type *type)
{
    fake_types[fake_ntypes++] = type;
}

void fs_type_foreach(void (*fn)(const struct fs_type *type, void *ctx), void *ctx)
{
    for (int i = 0; i < fake_ntypes; i++)
        fn(fake_types[i], ctx);
}

void vfs_register_special_open(uint32_t ifmt, vfs_special_open_fn open)
{
    (void)ifmt, (void)open;
}

void mount_foreach(struct mount *root, void (*fn)(struct mount *m, void *ctx), void *ctx)
{
    fn(root, ctx);
}

/* devfs_mount is not exercised: these exist for the linker. */
int mount_attach(const struct path *at, struct superblock *sb, struct dentry *root, int flags,
                 struct mount **out_mnt)
{
    (void)at, (void)sb, (void)root, (void)flags, (void)out_mnt;
    return -LINUX_ENOSYS;
}

int mount_detach(struct mount *mnt, bool lazy)
{
    (void)mnt, (void)lazy;
    return 0;
}

void mount_put(struct mount *mnt)
{
    assert_true(mnt->refs > 0);
    mnt->refs--;
}

int vfs_lookup_one(struct task *t, const struct path *dir, const char *name, struct path *out)
{
    (void)t, (void)dir, (void)name, (void)out;
    return -LINUX_ENOSYS;
}

int tmpfs_new_sb(const char *opts, struct superblock **out_sb)
{
    (void)opts, (void)out_sb;
    return -LINUX_ENOSYS;
}

/* --- files and fd tables --- */

struct file *file_new(const struct file_ops *ops, int flags, void *priv)
{
    struct file *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->refs = 1;
    f->ops = ops;
    f->flags = flags;
    f->priv = priv;
    return f;
}

void file_get(struct file *f)
{
    f->refs++;
}

void file_put(struct file *f)
{
    assert_true(f->refs > 0);
    if (--f->refs > 0)
        return;
    if (f->ep_items)
        epoll_file_release(f);
    if (f->ops && f->ops->release)
        f->ops->release(f);
    if (f->inode)
        inode_put(f->inode);
    free(f);
}

long file_stat(struct file *f, struct linux_stat *out_st)
{
    return f->ops->stat ? f->ops->stat(f, out_st) : -LINUX_EINVAL;
}

long file_read(struct file *f, const struct iovec *iov, int iovcnt)
{
    return f->ops->read ? f->ops->read(f, iov, iovcnt, NULL) : -LINUX_EINVAL;
}

long file_write(struct file *f, const struct iovec *iov, int iovcnt)
{
    return f->ops->write ? f->ops->write(f, iov, iovcnt, NULL) : -LINUX_EINVAL;
}

long file_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return f->ops->pread ? f->ops->pread(f, iov, iovcnt, pos) : -LINUX_ESPIPE;
}

long file_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return f->ops->pwrite ? f->ops->pwrite(f, iov, iovcnt, pos) : -LINUX_ESPIPE;
}

long file_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg)
{
    return f->ops->ioctl ? f->ops->ioctl(f, t, cmd, arg) : -LINUX_ENOTTY;
}

struct fdtable *fdtable_new(void)
{
    struct fdtable *t = calloc(1, sizeof(*t));
    t->refs = 1;
    return t;
}

void fdtable_put(struct fdtable *t)
{
    for (int i = 0; i < t->count; i++) {
        if (t->v[i].file)
            file_put(t->v[i].file);
    }
    free(t->v);
    free(t);
}

int fdtable_install(struct fdtable *t, struct file *f, int min, int fd_flags, uint64_t limit)
{
    for (int fd = min; (uint64_t)fd < limit; fd++) {
        if (fd >= t->count) {
            int n = fd + 8;
            t->v = realloc(t->v, (size_t)n * sizeof(*t->v));
            memset(t->v + t->count, 0, (size_t)(n - t->count) * sizeof(*t->v));
            t->count = n;
        }
        if (!t->v[fd].file) {
            file_get(f);
            t->v[fd] = (struct fd_entry){f, fd_flags};
            return fd;
        }
    }
    return -LINUX_EMFILE;
}

int fdtable_close(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= t->count || !t->v[fd].file)
        return -LINUX_EBADF;
    struct file *f = t->v[fd].file;
    t->v[fd].file = NULL;
    file_put(f);
    return 0;
}

struct file *fdtable_get(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= t->count || !t->v[fd].file)
        return NULL;
    file_get(t->v[fd].file);
    return t->v[fd].file;
}

int fdtable_get_flags(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= t->count || !t->v[fd].file)
        return -LINUX_EBADF;
    return t->v[fd].fd_flags;
}

/* --- application memory: addresses are sentry pointers here --- */

long copy_out(struct mm *mm, uaddr_t dst, const void *src, size_t size)
{
    (void)mm;
    memcpy((void *)(uintptr_t)dst, src, size);
    return (long)size;
}

size_t copy_in_partial(struct mm *mm, void *dst, uaddr_t src, size_t size)
{
    (void)mm;
    memcpy(dst, (const void *)(uintptr_t)src, size);
    return size;
}

/* --- helpers --- */

long fake_read_all(struct file *f, char *buf, size_t size)
{
    size_t got = 0;
    int64_t pos = 0;
    while (got + 1 < size) {
        struct iovec iov = {buf + got, size - 1 - got};
        long n = f->ops->read(f, &iov, 1, &pos);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return (long)got;
}

long fake_write_str(struct file *f, const char *str)
{
    struct iovec iov = {(void *)str, strlen(str)};
    int64_t pos = 0;
    return f->ops->write(f, &iov, 1, &pos);
}

int fake_lookup_path(struct superblock *sb, const char *path, struct inode **out_inode)
{
    struct inode *cur = sb->root->inode;
    inode_get(cur);
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save, *name = strtok_r(buf, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
        struct inode *next = NULL;
        int err = cur->ops->lookup ? cur->ops->lookup(cur, name, &next) : -LINUX_ENOTDIR;
        inode_put(cur);
        if (err)
            return err;
        if (!next)
            return -LINUX_ENOENT;
        cur = next;
    }
    *out_inode = cur;
    return 0;
}

static const struct file_ops fake_path_fops;

int fake_open_path(struct superblock *sb, const char *path, int flags, struct file **out_file)
{
    struct inode *ino;
    int err = fake_lookup_path(sb, path, &ino);
    if (err)
        return err;
    struct file *f = file_new(&fake_path_fops, flags, NULL);
    f->inode = ino; /* the lookup's reference */
    err = ino->ops->open ? ino->ops->open(ino, f) : 0;
    if (err) {
        file_put(f);
        return err;
    }
    *out_file = f;
    return 0;
}

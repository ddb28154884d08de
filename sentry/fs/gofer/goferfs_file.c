/* goferfs open files: I/O straight on donated host fds (the fast path: no
 * gofer round trip once a file is open), directory listings, and the page
 * cache that mmap maps.
 *
 * Directories are listed from a snapshot taken by the first getdents after
 * the open (or a rewind), as gVisor does: positions 0 and 1 are "." and
 * "..", position 2 + i the snapshot's entry i, so telldir/seekdir work.
 *
 * The page cache of an inode (ino->pages, made by the first mmap) owns a
 * read-only donated fd of its own and fills pages from it on first use; it
 * lives as long as any mapping does, even past the inode. Writes through
 * the sentry reload the pages they cover, so mappings see them.
 *
 * Lock order: the kernel lock. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "abi/linux/dirent.h"
#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/fs/gofer/goferfs_impl.h"
#include "sentry/fs/iov.h"
#include "sentry/mm/object.h"

/* --- donated fds --- */

static int acc_index(int flags)
{
    int a = flags & LINUX_O_ACCMODE;
    return a == 3 ? LINUX_O_RDWR : a;
}

static bool all_idle(const struct gofer_inode *gi)
{
    return !gi->users[0] && !gi->users[1] && !gi->users[2] &&
           (gi->fd[0] >= 0 || gi->fd[1] >= 0 || gi->fd[2] >= 0);
}

static void idle_unlist(struct goferfs_sb *s, struct gofer_inode *gi)
{
    if (!gi->idle_listed)
        return;
    if (gi->idle_prev)
        gi->idle_prev->idle_next = gi->idle_next;
    else
        s->idle_first = gi->idle_next;
    if (gi->idle_next)
        gi->idle_next->idle_prev = gi->idle_prev;
    else
        s->idle_last = gi->idle_prev;
    gi->idle_prev = gi->idle_next = NULL;
    gi->idle_listed = false;
    s->idle_count--;
}

static void close_all(struct gofer_inode *gi)
{
    for (int i = 0; i < 3; i++) {
        if (gi->fd[i] >= 0 && !gi->users[i]) {
            close(gi->fd[i]);
            gi->fd[i] = -1;
        }
    }
}

/* Puts gi on the idle list if no open file uses its fds; closes the oldest
 * idle fds past the limit. */
static void idle_update(struct goferfs_sb *s, struct gofer_inode *gi)
{
    if (!all_idle(gi)) {
        idle_unlist(s, gi);
        return;
    }
    if (gi->idle_listed)
        return;
    gi->idle_prev = s->idle_last;
    gi->idle_next = NULL;
    if (s->idle_last)
        s->idle_last->idle_next = gi;
    else
        s->idle_first = gi;
    s->idle_last = gi;
    gi->idle_listed = true;
    s->idle_count++;
    while (s->idle_count > GOFERFS_IDLE_FDS_MAX) {
        struct gofer_inode *old = s->idle_first;
        idle_unlist(s, old);
        close_all(old);
    }
}

void goferfs_close_fds(struct inode *ino)
{
    struct gofer_inode *gi = gofer_inode_of(ino);
    if (ino->sb && ino->sb->priv)
        idle_unlist(goferfs_sbi(ino->sb), gi);
    for (int i = 0; i < 3; i++) {
        if (gi->fd[i] >= 0)
            close(gi->fd[i]);
        gi->fd[i] = -1;
    }
}

void goferfs_adopt_fd(struct inode *ino, int accmode, int fd)
{
    struct gofer_inode *gi = gofer_inode_of(ino);
    int i = acc_index(accmode);
    if (gi->fd[i] >= 0) {
        close(fd);
        return;
    }
    gi->fd[i] = fd;
    idle_update(goferfs_sbi(ino->sb), gi);
}

/* Opens ino's file with Linux open flags through the gofer: a new fd the
 * caller owns. */
static int open_host(struct inode *ino, int flags, int *out_fd)
{
    uint64_t h;
    bool temp;
    int err = goferfs_get_handle(ino, &h, &temp);
    if (err)
        return err;
    struct goferfs_conn *conn = goferfs_sbi(ino->sb)->conn;
    err = gofer_open(conn->client, h, (uint32_t)flags, out_fd);
    if (temp)
        goferfs_release_handle(conn, h);
    return goferfs_check_err(conn, err);
}

/* Takes a use of a donated fd for access mode index i: *out_slot. */
static int fd_acquire(struct inode *ino, int i, int *out_slot)
{
    struct gofer_inode *gi = gofer_inode_of(ino);
    int slot = i;
    if (gi->fd[i] < 0 && i != LINUX_O_RDWR && gi->fd[LINUX_O_RDWR] >= 0)
        slot = LINUX_O_RDWR;
    if (gi->fd[slot] < 0) {
        int fd;
        int err = open_host(ino, i, &fd);
        if (err)
            return err;
        gi->fd[slot] = fd;
    }
    gi->users[slot]++;
    idle_update(goferfs_sbi(ino->sb), gi);
    *out_slot = slot;
    return 0;
}

static void fd_release(struct inode *ino, int slot)
{
    struct gofer_inode *gi = gofer_inode_of(ino);
    gi->users[slot]--;
    if (ino->sb && ino->sb->priv)
        idle_update(goferfs_sbi(ino->sb), gi);
}

int goferfs_open(struct inode *ino, struct file *f)
{
    int slot;
    int err = fd_acquire(ino, acc_index(f->flags), &slot);
    if (err)
        return err;
    f->priv = (void *)(intptr_t)(slot + 1);
    return 0;
}

static int file_fd(struct file *f)
{
    return gofer_inode_of(f->inode)->fd[(intptr_t)f->priv - 1];
}

/* --- regular files --- */

/* preadv/pwritev over any number of iovecs (the host takes IOV_MAX at a
 * time): the bytes moved, or -errno if none were. */
static long host_rw(int fd, const struct iovec *iov, int iovcnt, int64_t pos, bool write)
{
    long done = 0;
    while (iovcnt > 0) {
        int n = iovcnt < IOV_MAX ? iovcnt : IOV_MAX;
        size_t want = iov_total(iov, n);
        ssize_t r = write ? pwritev(fd, iov, n, pos + done) : preadv(fd, iov, n, pos + done);
        if (r < 0)
            return done ? done : -errno;
        done += r;
        if ((size_t)r < want)
            break;
        iov += n;
        iovcnt -= n;
    }
    return done;
}

static long do_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    if (*pos < 0)
        return -LINUX_EINVAL;
    long n = host_rw(file_fd(f), iov, iovcnt, *pos, false);
    if (n > 0)
        *pos += n;
    return n;
}

static long do_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    int fd = file_fd(f);
    struct inode *ino = f->inode;
    if (f->flags & LINUX_O_APPEND) {
        struct stat st;
        if (fstat(fd, &st) != 0)
            return -errno;
        *pos = st.st_size;
    }
    if (*pos < 0)
        return -LINUX_EINVAL;
    long n = host_rw(fd, iov, iovcnt, *pos, true);
    if (n <= 0)
        return n;
    uint64_t start = (uint64_t)*pos;
    *pos += n;
    if ((uint64_t)*pos > ino->attr.size)
        ino->attr.size = (uint64_t)*pos;
    ino->attr.mtime = ino->attr.ctime = vfs_now();
    gofer_inode_of(ino)->stale = true;
    goferfs_pages_changed(ino, start, (uint64_t)n);
    return n;
}

static long goferfs_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    return do_read(f, iov, iovcnt, pos ? pos : &f->pos);
}

static long goferfs_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    return do_write(f, iov, iovcnt, pos ? pos : &f->pos);
}

static long goferfs_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return do_read(f, iov, iovcnt, &pos);
}

static long goferfs_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return do_write(f, iov, iovcnt, &pos);
}

static long goferfs_seek(struct file *f, int64_t off, int whence)
{
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET:
        base = 0;
        break;
    case LINUX_SEEK_CUR:
        base = f->pos;
        break;
    case LINUX_SEEK_END: {
        struct stat st;
        if (fstat(file_fd(f), &st) != 0)
            return -errno;
        base = st.st_size;
        break;
    }
    case LINUX_SEEK_DATA:
    case LINUX_SEEK_HOLE: {
        /* The donated fd's own offset is never used for I/O. */
        off_t r = lseek(file_fd(f), off, whence);
        if (r < 0)
            return -errno;
        f->pos = r;
        return r;
    }
    default:
        return -LINUX_EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -LINUX_EINVAL;
    f->pos = base + off;
    return f->pos;
}

static int goferfs_fsync(struct file *f, bool datasync)
{
    int r = datasync ? fdatasync(file_fd(f)) : fsync(file_fd(f));
    return r ? -errno : 0;
}

static long goferfs_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
    if (fallocate(file_fd(f), mode, off, len) != 0)
        return -errno;
    gofer_inode_of(f->inode)->stale = true;
    int err = goferfs_refresh(f->inode);
    if (!err)
        goferfs_pages_changed(f->inode, (uint64_t)off, (uint64_t)len);
    return err;
}

static void goferfs_file_release(struct file *f)
{
    if (f->priv)
        fd_release(f->inode, (int)(intptr_t)f->priv - 1);
}

/* --- the page cache --- */

static int page_fd(struct mm_object *obj)
{
    return (int)(intptr_t)obj->priv;
}

/* Reads pages [first, first + count) of obj from its fd (the tail past the
 * size stays zero). */
static int pages_read(struct mm_object *obj, uint64_t first, uint64_t count)
{
    struct iovec iov[64];
    uint64_t page = first, end = first + count;
    while (page < end && page * LINUX_PAGE_SIZE < obj->size) {
        int n = 0;
        uint64_t start = page;
        for (; page < end && n < 64 && page * LINUX_PAGE_SIZE < obj->size; page++, n++) {
            uint64_t left = obj->size - page * LINUX_PAGE_SIZE;
            iov[n].iov_base = mm_object_page_ptr(obj, page);
            iov[n].iov_len = left < LINUX_PAGE_SIZE ? left : LINUX_PAGE_SIZE;
            if (!iov[n].iov_base)
                return -LINUX_EIO;
        }
        long r = host_rw(page_fd(obj), iov, n, (int64_t)(start * LINUX_PAGE_SIZE), false);
        if (r < 0)
            return (int)r;
        /* A file that shrank on the host reads short: the rest stays zero. */
    }
    return 0;
}

static int goferfs_populate(struct mm_object *obj, uint64_t first, uint64_t count)
{
    return pages_read(obj, first, count);
}

static void goferfs_pages_release(struct mm_object *obj)
{
    close(page_fd(obj));
}

static const struct mm_object_ops goferfs_pages_ops = {
    .populate = goferfs_populate,
    .release = goferfs_pages_release,
};

void goferfs_pages_changed(struct inode *ino, uint64_t off, uint64_t len)
{
    struct mm_object *obj = ino->pages;
    if (!obj)
        return;
    if (obj->size != ino->attr.size && mm_object_resize(obj, ino->attr.size) != 0)
        return;
    uint64_t end = off + len, pages = mm_object_pages(obj);
    for (uint64_t p = off / LINUX_PAGE_SIZE; p * LINUX_PAGE_SIZE < end && p < pages; p++) {
        if (mm_object_present(obj, p)) {
            memset(mm_object_page_ptr(obj, p), 0, LINUX_PAGE_SIZE);
            pages_read(obj, p, 1);
        }
    }
}

static int goferfs_get_pages(struct file *f, uint64_t off, uint64_t len, struct mm_object **out_obj)
{
    (void)off, (void)len;
    struct inode *ino = f->inode;
    if (!ino->pages) {
        int err = goferfs_refresh(ino);
        if (err)
            return err;
        int fd;
        err = open_host(ino, LINUX_O_RDONLY, &fd);
        if (err)
            return err;
        ino->pages = mm_object_new(ino->attr.size, &goferfs_pages_ops, (void *)(intptr_t)fd);
        if (!ino->pages) {
            close(fd);
            return -LINUX_ENOMEM;
        }
    }
    mm_object_get(ino->pages);
    *out_obj = ino->pages;
    return 0;
}

const struct file_ops goferfs_file_fops = {
    .read = goferfs_read,
    .write = goferfs_write,
    .pread = goferfs_pread,
    .pwrite = goferfs_pwrite,
    .seek = goferfs_seek,
    .fsync = goferfs_fsync,
    .fallocate = goferfs_fallocate,
    .get_pages = goferfs_get_pages,
    .release = goferfs_file_release,
};

/* --- directories --- */

struct dir_entry {
    uint64_t ino;
    uint8_t type;
    char *name;
};

struct dir_snap {
    struct dir_entry *v;
    size_t count, cap;
};

static void snap_free(struct dir_snap *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        free(s->v[i].name);
    free(s->v);
    free(s);
}

static int snap_add(struct dir_snap *s, const char *name, uint64_t ino, uint8_t type)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct dir_entry *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -LINUX_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -LINUX_ENOMEM;
    s->v[s->count++] = (struct dir_entry){ino, type, copy};
    return 0;
}

struct linux_dirent64_hdr {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

/* Lists the directory on a donated fd of it with the host's getdents64:
 * no gofer round trip once the fd is cached. */
static int snap_read_fd(struct inode *dir, struct dir_snap *s)
{
    struct goferfs_sb *sbi = goferfs_sbi(dir->sb);
    struct gofer_inode *gi = gofer_inode_of(dir);
    int slot;
    int err = fd_acquire(dir, LINUX_O_RDONLY, &slot);
    if (err)
        return err;
    int fd = gi->fd[slot];
    char *buf = malloc(32768);
    if (!buf)
        err = -LINUX_ENOMEM;
    else if (lseek(fd, 0, SEEK_SET) < 0)
        err = -errno;
    while (!err) {
        long n = syscall(SYS_getdents64, fd, buf, 32768);
        if (n < 0)
            err = -errno;
        if (n <= 0)
            break;
        for (long off = 0; off < n && !err;) {
            struct linux_dirent64_hdr *d = (void *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                continue;
            err =
                snap_add(s, d->d_name,
                         goferfs_map_ino(sbi, gi->host_major, gi->host_minor, d->d_ino), d->d_type);
        }
    }
    free(buf);
    fd_release(dir, slot);
    return err;
}

#define GETDENTS_BATCH 256

/* Lists the directory through the gofer (a round trip per batch): for
 * directories it will not open (no read permission for the gofer). */
static int snap_read_gofer(struct inode *dir, struct dir_snap *s)
{
    struct goferfs_sb *sbi = goferfs_sbi(dir->sb);
    struct gofer_inode *gi = gofer_inode_of(dir);
    struct gofer_dirent_entry *buf = malloc(GETDENTS_BATCH * sizeof(*buf));
    int err = buf ? 0 : -LINUX_ENOMEM;
    uint64_t cookie = 0;
    while (!err) {
        unsigned n = 0;
        uint64_t h;
        bool temp;
        err = goferfs_get_handle(dir, &h, &temp);
        if (!err)
            err = gofer_getdents(sbi->conn->client, h, cookie, buf, GETDENTS_BATCH, &n);
        if (err || n == 0)
            break;
        for (unsigned i = 0; i < n && !err; i++)
            err = snap_add(s, buf[i].name,
                           goferfs_map_ino(sbi, gi->host_major, gi->host_minor, buf[i].ino),
                           buf[i].type);
        cookie = buf[n - 1].next;
    }
    free(buf);
    return err;
}

/* The whole directory, in the host's order. */
static int snap_take(struct inode *dir, struct dir_snap **out)
{
    struct goferfs_conn *conn = goferfs_sbi(dir->sb)->conn;
    struct dir_snap *s = calloc(1, sizeof(*s));
    if (!s)
        return -LINUX_ENOMEM;
    int err = snap_read_fd(dir, s);
    if (err && err != -LINUX_ENOMEM && err != -LINUX_EIO) {
        for (size_t i = 0; i < s->count; i++)
            free(s->v[i].name);
        s->count = 0;
        err = snap_read_gofer(dir, s);
    }
    if (err) {
        snap_free(s);
        return goferfs_check_err(conn, err);
    }
    *out = s;
    return 0;
}

static int goferfs_iterate(struct file *f, vfs_emit_fn emit, void *ctx)
{
    struct inode *ino = f->inode;
    struct dir_snap *s = f->priv;
    if (!s || f->pos == 0) {
        struct dir_snap *n = NULL;
        int err = snap_take(ino, &n);
        if (err)
            return err;
        snap_free(s);
        f->priv = s = n;
    }
    if (!vfs_dir_emit_dots(f, emit, ctx))
        return 0;
    for (size_t i = (size_t)f->pos - 2; i < s->count; i++) {
        struct vfs_dirent de = {s->v[i].ino, i + 3, s->v[i].type, s->v[i].name};
        if (!emit(ctx, &de))
            break;
        f->pos = (int64_t)i + 3;
    }
    return 0;
}

static void goferfs_dir_release(struct file *f)
{
    snap_free(f->priv);
}

const struct file_ops goferfs_dir_fops = {
    .read = vfs_dir_read,
    .pread = vfs_dir_pread,
    .seek = vfs_dir_seek,
    .iterate = goferfs_iterate,
    .fsync = vfs_fsync_nothing,
    .release = goferfs_dir_release,
};

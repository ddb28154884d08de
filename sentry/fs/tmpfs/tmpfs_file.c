/* tmpfs regular files: the data is ino->pages, an mm_object whose size is
 * the file's size. Writes go through mm_object_rw (allocating pages);
 * reads copy present pages and zero-fill holes without allocating them, so
 * a sparse file stays sparse (SEEK_DATA/SEEK_HOLE and st_blocks see its
 * pages as Linux's tmpfs would).
 *
 * Lock order: the kernel lock. */
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/fs/iov.h"
#include "sentry/fs/tmpfs/tmpfs_impl.h"
#include "sentry/mm/object.h"

/* Linux's MAX_LFS_FILESIZE on 64-bit. */
#define TMPFS_MAX_SIZE INT64_MAX

static int64_t file_size(const struct inode *ino)
{
    return (int64_t)ino->attr.size;
}

int tmpfs_file_resize(struct inode *ino, uint64_t size)
{
    if (size > (uint64_t)TMPFS_MAX_SIZE)
        return -LINUX_EFBIG;
    if (mm_object_resize(ino->pages, size) != 0)
        return -LINUX_ENOSPC;
    ino->attr.size = size;
    return 0;
}

uint64_t tmpfs_file_pages(struct inode *ino)
{
    struct mm_object *obj = ino->pages;
    uint64_t n = 0;
    for (uint64_t i = 0; i < obj->nslots; i++) {
        if (mm_object_present(obj, i))
            n++;
    }
    return n;
}

void tmpfs_touch_atime(struct inode *ino)
{
    /* relatime: only when atime is not after mtime/ctime, or a day old. */
    struct vfs_attr *a = &ino->attr;
    struct linux_timespec now = vfs_now();
    bool older_than_m = a->atime.tv_sec < a->mtime.tv_sec || (a->atime.tv_sec == a->mtime.tv_sec &&
                                                              a->atime.tv_nsec <= a->mtime.tv_nsec);
    bool older_than_c = a->atime.tv_sec < a->ctime.tv_sec || (a->atime.tv_sec == a->ctime.tv_sec &&
                                                              a->atime.tv_nsec <= a->ctime.tv_nsec);
    if (older_than_m || older_than_c || now.tv_sec - a->atime.tv_sec >= 24 * 3600)
        a->atime = now;
}

/* Reads [pos, ...) into iov: present pages are copied, holes read as
 * zeros. Returns the bytes read. */
static long file_read_at(struct inode *ino, const struct iovec *iov, int iovcnt, int64_t pos)
{
    int64_t size = file_size(ino);
    if (pos >= size)
        return 0;
    struct iov_cursor c;
    iov_cursor_init(&c, iov, iovcnt);
    if ((int64_t)c.left > size - pos)
        c.left = (size_t)(size - pos);
    struct mm_object *obj = ino->pages;
    size_t done = 0;
    static const uint8_t zeros[LINUX_PAGE_SIZE];
    while (c.left > 0) {
        uint64_t page = (uint64_t)pos / LINUX_PAGE_SIZE, in_page = (uint64_t)pos % LINUX_PAGE_SIZE;
        size_t n = LINUX_PAGE_SIZE - in_page;
        const uint8_t *src = mm_object_present(obj, page) ? mm_object_page_ptr(obj, page) : NULL;
        src = src ? src + in_page : zeros;
        n = iov_cursor_copy(&c, (void *)src, n, 1);
        done += n;
        pos += (int64_t)n;
    }
    tmpfs_touch_atime(ino);
    return (long)done;
}

static long file_write_at(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    struct inode *ino = f->inode;
    size_t total = iov_total(iov, iovcnt);
    if (f->flags & LINUX_O_APPEND)
        *pos = file_size(ino);
    if (total == 0)
        return 0;
    if (*pos > TMPFS_MAX_SIZE - (int64_t)total)
        return -LINUX_EFBIG;
    uint64_t end = (uint64_t)*pos + total;
    if (end > ino->attr.size) {
        int err = tmpfs_file_resize(ino, end);
        if (err)
            return err;
    }
    long n = mm_object_rw(ino->pages, (uint64_t)*pos, iov, iovcnt, true);
    if (n < 0)
        return n == -LINUX_ENOMEM ? -LINUX_ENOSPC : n;
    *pos += n;
    ino->attr.mtime = ino->attr.ctime = vfs_now();
    /* A write by someone else clears set-user-ID (Linux's file_remove_privs). */
    if ((ino->attr.mode & (LINUX_S_ISUID | LINUX_S_ISGID)) && ino->attr.uid != 0)
        ino->attr.mode &= ~LINUX_S_ISUID;
    return n;
}

static long tmpfs_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    int64_t *p = pos ? pos : &f->pos;
    long n = file_read_at(f->inode, iov, iovcnt, *p);
    if (n > 0)
        *p += n;
    return n;
}

static long tmpfs_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    return file_write_at(f, iov, iovcnt, pos ? pos : &f->pos);
}

static long tmpfs_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return file_read_at(f->inode, iov, iovcnt, pos);
}

static long tmpfs_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return file_write_at(f, iov, iovcnt, &pos);
}

/* SEEK_DATA / SEEK_HOLE over present pages. */
static int64_t seek_data_hole(struct inode *ino, int64_t off, bool data)
{
    int64_t size = file_size(ino);
    if (off >= size)
        return -LINUX_ENXIO;
    struct mm_object *obj = ino->pages;
    uint64_t page = (uint64_t)off / LINUX_PAGE_SIZE;
    uint64_t last = ((uint64_t)size + LINUX_PAGE_SIZE - 1) / LINUX_PAGE_SIZE;
    for (; page < last; page++) {
        if (mm_object_present(obj, page) == data) {
            int64_t at = (int64_t)(page * LINUX_PAGE_SIZE);
            return at > off ? at : off;
        }
    }
    return data ? -LINUX_ENXIO : size;
}

static long tmpfs_seek(struct file *f, int64_t off, int whence)
{
    int64_t base;
    switch (whence) {
    case LINUX_SEEK_SET:
        base = 0;
        break;
    case LINUX_SEEK_CUR:
        base = f->pos;
        break;
    case LINUX_SEEK_END:
        base = file_size(f->inode);
        break;
    case LINUX_SEEK_DATA:
    case LINUX_SEEK_HOLE: {
        if (off < 0)
            return -LINUX_ENXIO;
        int64_t r = seek_data_hole(f->inode, off, whence == LINUX_SEEK_DATA);
        if (r >= 0)
            f->pos = r;
        return r;
    }
    default:
        return -LINUX_EINVAL;
    }
    if ((off > 0 && base > TMPFS_MAX_SIZE - off) || base + off < 0)
        return -LINUX_EINVAL;
    f->pos = base + off;
    return f->pos;
}

static int tmpfs_file_fsync(struct file *f, bool datasync)
{
    (void)f, (void)datasync;
    return 0;
}

static long tmpfs_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
    struct inode *ino = f->inode;
    if (mode & ~(LINUX_FALLOC_FL_KEEP_SIZE | LINUX_FALLOC_FL_PUNCH_HOLE))
        return -LINUX_EOPNOTSUPP;
    uint64_t end = (uint64_t)off + (uint64_t)len;
    if (mode & LINUX_FALLOC_FL_PUNCH_HOLE) {
        int err = mm_object_zero(ino->pages, (uint64_t)off, (uint64_t)len);
        if (err)
            return err;
        ino->attr.mtime = ino->attr.ctime = vfs_now();
        return 0;
    }
    if (!(mode & LINUX_FALLOC_FL_KEEP_SIZE) && end > ino->attr.size) {
        int err = tmpfs_file_resize(ino, end);
        if (err)
            return err;
    }
    /* Allocate the pages inside the file (those past its end are not
     * kept: the object's pages end with its size). */
    uint64_t first = (uint64_t)off / LINUX_PAGE_SIZE;
    uint64_t last = mm_object_pages(ino->pages);
    uint64_t want = (end + LINUX_PAGE_SIZE - 1) / LINUX_PAGE_SIZE;
    if (want < last)
        last = want;
    if (first < last && mm_object_populate(ino->pages, first, last - first) != 0)
        return -LINUX_ENOSPC;
    ino->attr.ctime = vfs_now();
    return 0;
}

static int tmpfs_get_pages(struct file *f, uint64_t off, uint64_t len, struct mm_object **out_obj)
{
    (void)off, (void)len;
    mm_object_get(f->inode->pages);
    *out_obj = f->inode->pages;
    return 0;
}

const struct file_ops tmpfs_file_fops = {
    .read = tmpfs_read,
    .write = tmpfs_write,
    .pread = tmpfs_pread,
    .pwrite = tmpfs_pwrite,
    .seek = tmpfs_seek,
    .fsync = tmpfs_file_fsync,
    .fallocate = tmpfs_fallocate,
    .get_pages = tmpfs_get_pages,
};

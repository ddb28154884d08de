/* splice(2) and tee(2) (Linux's fs/splice.c), over the pipe helpers of
 * sentry/fs/pipe. Data between a pipe and another file moves through a
 * sentry buffer with the file's own read and write ops (as sendfile does);
 * between two pipes it moves slot by slot. vmsplice(2) is not implemented.
 *
 * Lock order: the kernel lock (held by the dispatcher). */
#include <stdlib.h>

#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/fs_internal.h"
#include "sentry/syscalls/handlers.h"
#include "sentry/syscalls/syscall.h"

#define SPLICE_F_MOVE 0x01
#define SPLICE_F_NONBLOCK 0x02
#define SPLICE_F_MORE 0x04
#define SPLICE_F_GIFT 0x08
#define SPLICE_F_ALL (SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)

#define SPLICE_CHUNK (128 * 1024) /* a multiple of the page size */
#define SPLICE_PAGE 4096

static bool readable(const struct file *f)
{
    int acc = f->flags & LINUX_O_ACCMODE;
    return acc == LINUX_O_RDONLY || acc == LINUX_O_RDWR;
}

static bool writable(const struct file *f)
{
    int acc = f->flags & LINUX_O_ACCMODE;
    return acc == LINUX_O_WRONLY || acc == LINUX_O_RDWR;
}

static uint32_t file_type(const struct file *f)
{
    return f->inode ? f->inode->attr.mode & LINUX_S_IFMT : 0;
}

/* Linux's rw_verify_area for a position and count. */
static bool rw_range_ok(int64_t pos, size_t len)
{
    if ((int64_t)len < 0 || pos < 0)
        return false;
    return (int64_t)((uint64_t)pos + len) >= 0;
}

/* File to pipe (Linux's splice_file_to_pipe): waits for room in the pipe,
 * then reads at most what the free slots hold. pos NULL: the file's own
 * position. */
static long splice_to_pipe(struct file *in, int64_t *pos, struct file *out, size_t len,
                           bool nonblock)
{
    long room = pipe_splice_wait_room(out, nonblock);
    if (room < 0)
        return room;
    int64_t start = pos ? *pos : in->pos;
    if (start < 0)
        return -LINUX_EINVAL;
    if (file_type(in) == LINUX_S_IFDIR)
        return -LINUX_EINVAL; /* no splice_read */
    /* Regular files fill slots page by page of the file, like the page
     * cache; anything else fills whole fresh pages. */
    bool regular = file_type(in) == LINUX_S_IFREG;
    unsigned page_off = regular ? (unsigned)(start % SPLICE_PAGE) : 0;
    size_t want = (size_t)room - page_off;
    if (len < want)
        want = len;
    if (want > (size_t)LINUX_MAX_RW_COUNT)
        want = (size_t)LINUX_MAX_RW_COUNT;
    size_t bufsize = want < SPLICE_CHUNK ? want : SPLICE_CHUNK;
    char *buf = malloc(bufsize);
    if (!buf)
        return -LINUX_ENOMEM;
    size_t done = 0;
    long err = 0;
    while (done < want) {
        /* Chunks end on page boundaries of the file so no slot is split. */
        size_t ask = SPLICE_CHUNK - page_off;
        if (ask > want - done)
            ask = want - done;
        if (ask > bufsize)
            ask = bufsize;
        struct iovec v = {buf, ask};
        long n = pos ? file_pread(in, &v, 1, *pos) : file_read(in, &v, 1);
        if (n <= 0) {
            err = n;
            break;
        }
        /* The read may have slept: append what still fits. */
        size_t m = pipe_splice_append(out, buf, (size_t)n, page_off);
        if (pos)
            *pos += (int64_t)m;
        else if (m < (size_t)n && in->ops->seek)
            in->pos -= (int64_t)((size_t)n - m);
        done += m;
        if (m < (size_t)n || (size_t)n < ask)
            break;
        page_off = regular ? (unsigned)(((pos ? *pos : in->pos)) % SPLICE_PAGE) : 0;
    }
    free(buf);
    return done ? (long)done : err;
}

/* Pipe to file (Linux's iter_file_splice_write): waits for data only until
 * some has moved; drains up to len. pos NULL: the file's own position. */
static long splice_from_pipe(struct file *in, struct file *out, int64_t *pos, size_t len,
                             bool nonblock)
{
    size_t bufsize = len < SPLICE_CHUNK ? len : SPLICE_CHUNK;
    char *buf = malloc(bufsize);
    if (!buf)
        return -LINUX_ENOMEM;
    size_t done = 0;
    long err = 0;
    while (done < len) {
        long avail = pipe_splice_wait_data(in, nonblock, done > 0);
        if (avail <= 0) {
            err = avail;
            break;
        }
        size_t n = len - done;
        if (n > bufsize)
            n = bufsize;
        n = pipe_peek(in, buf, n);
        struct iovec v = {buf, n};
        long m = pos ? file_pwrite(out, &v, 1, *pos) : file_write(out, &v, 1);
        if (m <= 0) {
            err = m;
            break;
        }
        pipe_consume(in, (size_t)m);
        if (pos)
            *pos += m;
        done += (size_t)m;
        if ((size_t)m < n)
            break;
    }
    free(buf);
    return done ? (long)done : err;
}

/* Linux's __do_splice and do_splice. */
static long do_splice(struct task *t, struct file *in, uaddr_t uoff_in, struct file *out,
                      uaddr_t uoff_out, size_t len, unsigned flags)
{
    bool ipipe = pipe_is_file(in), opipe = pipe_is_file(out);
    if ((ipipe && uoff_in) || (opipe && uoff_out))
        return -LINUX_ESPIPE;
    int64_t off_in = 0, off_out = 0;
    if (uoff_in && copy_in(t->mm, &off_in, uoff_in, sizeof(off_in)) < 0)
        return -LINUX_EFAULT;
    if (uoff_out && copy_in(t->mm, &off_out, uoff_out, sizeof(off_out)) < 0)
        return -LINUX_EFAULT;
    if (!readable(in) || !writable(out))
        return -LINUX_EBADF;
    bool nonblock = flags & SPLICE_F_NONBLOCK;
    long ret;
    if (ipipe && opipe) {
        if ((in->flags | out->flags) & LINUX_O_NONBLOCK)
            nonblock = true;
        return pipe_splice_pipe(in, out, len, nonblock);
    }
    if (ipipe) {
        if (uoff_out && !out->ops->pwrite)
            return -LINUX_EINVAL;
        if (out->flags & LINUX_O_APPEND)
            return -LINUX_EINVAL;
        if (!rw_range_ok(uoff_out ? off_out : out->pos, len))
            return -LINUX_EINVAL;
        if (in->flags & LINUX_O_NONBLOCK)
            nonblock = true;
        ret = splice_from_pipe(in, out, uoff_out ? &off_out : NULL, len, nonblock);
        if (ret >= 0 && uoff_out && copy_out(t->mm, uoff_out, &off_out, sizeof(off_out)) < 0)
            ret = -LINUX_EFAULT;
        return ret;
    }
    if (opipe) {
        if (uoff_in && !in->ops->pread)
            return -LINUX_EINVAL;
        if (out->flags & LINUX_O_NONBLOCK)
            nonblock = true;
        ret = splice_to_pipe(in, uoff_in ? &off_in : NULL, out, len, nonblock);
        if (ret >= 0 && uoff_in && copy_out(t->mm, uoff_in, &off_in, sizeof(off_in)) < 0)
            ret = -LINUX_EFAULT;
        return ret;
    }
    return -LINUX_EINVAL;
}

SYSCALL(splice)
{
    int fd_in = arg_int(a, 0), fd_out = arg_int(a, 2);
    uaddr_t uoff_in = arg_uaddr(a, 1), uoff_out = arg_uaddr(a, 3);
    size_t len = arg_size(a, 4);
    unsigned flags = arg_uint(a, 5);
    if (len == 0)
        return 0;
    if (flags & ~SPLICE_F_ALL)
        return -LINUX_EINVAL;
    struct file *in = fd_get(t, fd_in);
    if (!in)
        return -LINUX_EBADF;
    struct file *out = fd_get(t, fd_out);
    if (!out) {
        file_put(in);
        return -LINUX_EBADF;
    }
    long ret = do_splice(t, in, uoff_in, out, uoff_out, len, flags);
    file_put(out);
    file_put(in);
    return ret;
}

SYSCALL(tee)
{
    int fd_in = arg_int(a, 0), fd_out = arg_int(a, 1);
    size_t len = arg_size(a, 2);
    unsigned flags = arg_uint(a, 3);
    if (flags & ~SPLICE_F_ALL)
        return -LINUX_EINVAL;
    if (len == 0)
        return 0;
    struct file *in = fd_get(t, fd_in);
    if (!in)
        return -LINUX_EBADF;
    struct file *out = fd_get(t, fd_out);
    if (!out) {
        file_put(in);
        return -LINUX_EBADF;
    }
    long ret;
    if (!readable(in) || !writable(out))
        ret = -LINUX_EBADF;
    else if (!pipe_is_file(in) || !pipe_is_file(out))
        ret = -LINUX_EINVAL;
    else
        ret =
            pipe_tee(in, out, len,
                     (flags & SPLICE_F_NONBLOCK) || ((in->flags | out->flags) & LINUX_O_NONBLOCK));
    file_put(out);
    file_put(in);
    return ret;
}

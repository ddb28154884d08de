/* Pipes and FIFOs: the slot ring, blocking read/write, FIFO opens, pipe
 * sizes (see pipe.h). Follows Linux's fs/pipe.c closely so that byte
 * counts, partial writes and errno values match.
 *
 * Lifetimes: a struct pipe lives while a file has it open (readers +
 * writers > 0); the last release frees it and its data, as Linux does for
 * FIFOs. Anonymous pipes hang off a pipefs inode (ino->priv); FIFOs are
 * found from their inode through a small table.
 *
 * Lock order: kernel lock only. Blocking drops it inside waitqueue_wait.
 * TODO(threads): the iovecs a file op receives point into the memory file
 * as translated before the call; once another thread can munmap while this
 * one sleeps, a blocking read/write must wait first and translate after
 * (gVisor's EWOULDBLOCK-and-retry in the syscall layer). */
#include "sentry/fs/pipe/pipe.h"

#include <stdlib.h>
#include <string.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/ioctl.h"
#include "abi/linux/poll.h"
#include "abi/linux/signal.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sentry/fs/iov.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

#define PIPE_PAGE 4096U

struct pipe_buf {
    uint8_t *page;
    uint32_t off, len;
    bool packet;  /* written in O_DIRECT mode: read as one packet */
    bool nomerge; /* filled by splice/tee: write(2) never appends to it */
};

struct pipe {
    struct pipe_buf *bufs;
    unsigned ring_size;            /* slots in bufs */
    unsigned max_usage;            /* slots that may be used (capacity) */
    unsigned head, tail;           /* free-running: occupancy = head - tail */
    unsigned readers, writers;     /* open files per direction */
    unsigned r_counter, w_counter; /* opens ever, for FIFO partner waits */
    uint8_t *tmp_page;             /* a spare page, as Linux keeps one */
    struct waitqueue rd_wait;      /* readers wait for data, FIFO opens for partners */
    struct waitqueue wr_wait;      /* writers wait for room */
    struct inode *inode;           /* FIFO: its inode (not referenced: files hold it) */
    struct pipe *next_fifo;
};

/* One per open file: the pipe, and Linux's f_version for poll. */
struct pipe_file {
    struct pipe *pipe;
    unsigned version; /* w_counter at a writer-less O_NONBLOCK FIFO open */
};

unsigned int pipe_max_size = PIPE_MAX_SIZE_DEFAULT;

static struct pipe *fifo_list;
static struct superblock *pipefs_sb;
static const struct file_ops pipe_fops;

/* --- the ring --- */

static bool pipe_empty(const struct pipe *p)
{
    return p->head == p->tail;
}

static unsigned pipe_occupancy(const struct pipe *p)
{
    return p->head - p->tail;
}

static bool pipe_full(const struct pipe *p)
{
    return pipe_occupancy(p) >= p->max_usage;
}

static size_t pipe_bytes(const struct pipe *p)
{
    size_t n = 0;
    for (unsigned i = p->tail; i != p->head; i++)
        n += p->bufs[i % p->ring_size].len;
    return n;
}

static struct pipe *pipe_alloc(void)
{
    struct pipe *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->bufs = calloc(PIPE_DEF_SLOTS, sizeof(*p->bufs));
    if (!p->bufs) {
        free(p);
        return NULL;
    }
    p->ring_size = p->max_usage = PIPE_DEF_SLOTS;
    return p;
}

static void pipe_free(struct pipe *p)
{
    for (unsigned i = p->tail; i != p->head; i++)
        free(p->bufs[i % p->ring_size].page);
    if (p->inode) {
        if (p->inode->sb == pipefs_sb) {
            p->inode->priv = NULL;
        } else {
            struct pipe **pp = &fifo_list;
            while (*pp != p)
                pp = &(*pp)->next_fifo;
            *pp = p->next_fifo;
        }
    }
    free(p->tmp_page);
    free(p->bufs);
    free(p);
}

static void pipe_release_slot(struct pipe *p, struct pipe_buf *b)
{
    if (!p->tmp_page)
        p->tmp_page = b->page;
    else
        free(b->page);
    b->page = NULL;
    p->tail++;
}

static struct pipe *pipe_of(const struct file *f)
{
    return ((struct pipe_file *)f->priv)->pipe;
}

static bool file_reads(const struct file *f)
{
    int mode = f->flags & LINUX_O_ACCMODE;
    return mode == LINUX_O_RDONLY || mode == LINUX_O_RDWR;
}

static bool file_writes(const struct file *f)
{
    int mode = f->flags & LINUX_O_ACCMODE;
    return mode == LINUX_O_WRONLY || mode == LINUX_O_RDWR;
}

static void pipe_touch(struct file *f, bool modified)
{
    if (!f->inode)
        return;
    struct linux_timespec now = vfs_now();
    if (modified)
        f->inode->attr.mtime = f->inode->attr.ctime = now;
    else
        f->inode->attr.atime = now;
}

/* A write to a pipe without readers: SIGPIPE for the writer (Linux's
 * send_sig(SIGPIPE, current, 0)), besides the EPIPE. */
static void pipe_sigpipe(struct task *t)
{
    if (t)
        signal_send_thread(t, LINUX_SIGPIPE, NULL);
}

/* --- read and write --- */

static bool pipe_readable_or_eof(void *arg)
{
    struct pipe *p = arg;
    return !pipe_empty(p) || !p->writers;
}

static bool pipe_writable_or_broken(void *arg)
{
    struct pipe *p = arg;
    return !pipe_full(p) || !p->readers;
}

static long pipe_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    struct pipe *p = pipe_of(f);
    struct iov_cursor c;
    iov_cursor_init(&c, iov, iovcnt);
    if (c.left == 0)
        return 0;
    long ret = 0;
    bool freed = false;
    for (;;) {
        if (!pipe_empty(p)) {
            struct pipe_buf *b = &p->bufs[p->tail % p->ring_size];
            size_t n = iov_cursor_put(&c, b->page + b->off, b->len);
            ret += (long)n;
            b->off += (uint32_t)n;
            b->len -= (uint32_t)n;
            if (b->packet)
                b->len = 0; /* the rest of a packet is discarded */
            if (b->len == 0) {
                pipe_release_slot(p, b);
                freed = true;
            }
            if (c.left == 0 || b->packet)
                break;
            if (!pipe_empty(p))
                continue;
        }
        if (!p->writers || ret)
            break;
        if (f->flags & LINUX_O_NONBLOCK) {
            ret = -LINUX_EAGAIN;
            break;
        }
        if (freed) {
            waitqueue_wake_all(&p->wr_wait);
            freed = false;
        }
        int err = waitqueue_wait(&p->rd_wait, task_current(), pipe_readable_or_eof, p, NULL);
        if (err) {
            ret = err;
            break;
        }
    }
    if (freed)
        waitqueue_wake_all(&p->wr_wait);
    if (ret > 0)
        pipe_touch(f, false);
    return ret;
}

static long pipe_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    struct pipe *p = pipe_of(f);
    struct task *t = task_current();
    struct iov_cursor c;
    iov_cursor_init(&c, iov, iovcnt);
    size_t total = c.left;
    if (total == 0)
        return 0;
    if (!p->readers) {
        pipe_sigpipe(t);
        return -LINUX_EPIPE;
    }
    long ret = 0;
    bool packet = f->flags & LINUX_O_DIRECT;

    /* The part that is not a page multiple goes into the last slot if it
     * fits there whole; the rest goes page by page into fresh slots. */
    size_t chars = total & (PIPE_PAGE - 1);
    if (chars && !pipe_empty(p)) {
        struct pipe_buf *b = &p->bufs[(p->head - 1) % p->ring_size];
        size_t end = b->off + b->len;
        if (!b->packet && !b->nomerge && end + chars <= PIPE_PAGE) {
            iov_cursor_get(&c, b->page + end, chars);
            b->len += (uint32_t)chars;
            ret = (long)chars;
            if (c.left == 0)
                goto out;
        }
    }
    for (;;) {
        if (!p->readers) {
            pipe_sigpipe(t);
            if (!ret)
                ret = -LINUX_EPIPE;
            break;
        }
        if (!pipe_full(p)) {
            uint8_t *page = p->tmp_page;
            if (!page && !(page = malloc(PIPE_PAGE))) {
                if (!ret)
                    ret = -LINUX_ENOMEM;
                break;
            }
            p->tmp_page = NULL;
            struct pipe_buf *b = &p->bufs[p->head % p->ring_size];
            p->head++;
            size_t n = iov_cursor_get(&c, page, PIPE_PAGE);
            *b = (struct pipe_buf){.page = page, .off = 0, .len = (uint32_t)n, .packet = packet};
            ret += (long)n;
            waitqueue_wake_all(&p->rd_wait);
            if (c.left == 0)
                break;
            continue;
        }
        if (f->flags & LINUX_O_NONBLOCK) {
            if (!ret)
                ret = -LINUX_EAGAIN;
            break;
        }
        int err = waitqueue_wait(&p->wr_wait, t, pipe_writable_or_broken, p, NULL);
        if (err) {
            if (!ret)
                ret = err;
            break;
        }
    }
out:
    if (ret > 0) {
        waitqueue_wake_all(&p->rd_wait);
        pipe_touch(f, true);
    }
    return ret;
}

static long pipe_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg)
{
    if (cmd != LINUX_FIONREAD)
        return -LINUX_ENOTTY;
    int n = (int)pipe_bytes(pipe_of(f));
    return copy_out(t->mm, arg, &n, sizeof(n)) < 0 ? -LINUX_EFAULT : 0;
}

/* fstat for callers that ask the file rather than the inode. */
static long pipe_stat(struct file *f, struct linux_stat *out_st)
{
    const struct vfs_attr *a = &f->inode->attr;
    *out_st = (struct linux_stat){
        .st_dev = f->inode->sb ? f->inode->sb->dev : 0,
        .st_ino = a->ino,
        .st_nlink = a->nlink,
        .st_mode = a->mode,
        .st_uid = a->uid,
        .st_gid = a->gid,
        .st_rdev = a->rdev,
        .st_size = 0,
        .st_blksize = PIPE_PAGE,
        .st_atime_sec = a->atime.tv_sec,
        .st_atime_nsec = a->atime.tv_nsec,
        .st_mtime_sec = a->mtime.tv_sec,
        .st_mtime_nsec = a->mtime.tv_nsec,
        .st_ctime_sec = a->ctime.tv_sec,
        .st_ctime_nsec = a->ctime.tv_nsec,
    };
    return 0;
}

static void pipe_release(struct file *f)
{
    struct pipe_file *pf = f->priv;
    struct pipe *p = pf->pipe;
    if (file_reads(f))
        p->readers--;
    if (file_writes(f))
        p->writers--;
    if (!p->readers && !p->writers) {
        pipe_free(p);
    } else {
        /* Readers see EOF, writers EPIPE. */
        waitqueue_wake_all(&p->rd_wait);
        waitqueue_wake_all(&p->wr_wait);
    }
    free(pf);
    f->priv = NULL;
}

/* file_ops.poll: readers' readiness (data, POLLHUP) changes through
 * rd_wait, writers' (room, POLLERR) through wr_wait. Linux registers both
 * queues and filters wake-ups by key; registering by the requested events
 * keeps EPOLLET close to that (see sentry/vfs/poll.h). */
static unsigned pipe_file_poll(struct file *f, struct poll_table *pt)
{
    struct waitqueue *rd, *wr;
    unsigned mask = pipe_poll(f, &rd, &wr);
    if (pt) {
        unsigned want = poll_requested_events(pt);
        unsigned in = LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLRDBAND | LINUX_POLLHUP;
        unsigned out = LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND;
        bool reads = file_reads(f), writes = file_writes(f);
        if (reads && (want & (in | LINUX_POLLERR)))
            poll_wait(pt, rd);
        if (writes && ((want & out) || (!reads && (want & LINUX_POLLERR))))
            poll_wait(pt, wr);
    }
    return mask;
}

static const struct file_ops pipe_fops = {
    .read = pipe_read,
    .write = pipe_write,
    .poll = pipe_file_poll,
    .ioctl = pipe_ioctl,
    .stat = pipe_stat,
    .release = pipe_release,
};

bool pipe_is_file(const struct file *f)
{
    return f->ops == &pipe_fops;
}

unsigned pipe_poll(struct file *f, struct waitqueue **out_rd, struct waitqueue **out_wr)
{
    struct pipe_file *pf = f->priv;
    struct pipe *p = pf->pipe;
    unsigned mask = 0;
    if (file_reads(f)) {
        if (!pipe_empty(p))
            mask |= LINUX_POLLIN | LINUX_POLLRDNORM;
        if (!p->writers && pf->version != p->w_counter)
            mask |= LINUX_POLLHUP;
    }
    if (file_writes(f)) {
        if (!pipe_full(p))
            mask |= LINUX_POLLOUT | LINUX_POLLWRNORM;
        if (!p->readers)
            mask |= LINUX_POLLERR;
    }
    if (out_rd)
        *out_rd = &p->rd_wait;
    if (out_wr)
        *out_wr = &p->wr_wait;
    return mask;
}

/* --- splice and tee (Linux's fs/splice.c, copying bytes instead of
 * sharing pages) ---
 *
 * TODO(threads): pipe_splice_wait_data / pipe_peek / pipe_consume are used
 * around a file write that may sleep with the kernel lock dropped; Linux
 * holds the pipe lock across it. With one thread per pipe reader this is
 * exact; a second reader of the same pipe running in that window could see
 * the peeked bytes too. */

static bool pipe_has_room_or_broken(void *arg)
{
    struct pipe *p = arg;
    return !pipe_full(p) || !p->readers;
}

long pipe_splice_wait_data(struct file *f, bool nonblock, bool got_some)
{
    struct pipe *p = pipe_of(f);
    while (pipe_empty(p)) {
        if (!p->writers || got_some)
            return 0;
        if (nonblock)
            return -LINUX_EAGAIN;
        int err = waitqueue_wait(&p->rd_wait, task_current(), pipe_readable_or_eof, p, NULL);
        if (err)
            return err;
    }
    return (long)pipe_bytes(p);
}

long pipe_splice_wait_room(struct file *f, bool nonblock)
{
    struct pipe *p = pipe_of(f);
    for (;;) {
        if (!p->readers) {
            pipe_sigpipe(task_current());
            return -LINUX_EPIPE;
        }
        if (!pipe_full(p))
            return (long)(p->max_usage - pipe_occupancy(p)) * PIPE_PAGE;
        if (nonblock)
            return -LINUX_EAGAIN;
        int err = waitqueue_wait(&p->wr_wait, task_current(), pipe_has_room_or_broken, p, NULL);
        if (err)
            return err;
    }
}

size_t pipe_peek(struct file *f, void *buf, size_t len)
{
    struct pipe *p = pipe_of(f);
    size_t done = 0;
    for (unsigned i = p->tail; i != p->head && done < len; i++) {
        const struct pipe_buf *b = &p->bufs[i % p->ring_size];
        size_t n = b->len < len - done ? b->len : len - done;
        memcpy((uint8_t *)buf + done, b->page + b->off, n);
        done += n;
    }
    return done;
}

void pipe_consume(struct file *f, size_t len)
{
    struct pipe *p = pipe_of(f);
    bool freed = false;
    while (len && !pipe_empty(p)) {
        struct pipe_buf *b = &p->bufs[p->tail % p->ring_size];
        uint32_t n = b->len < len ? b->len : (uint32_t)len;
        b->off += n;
        b->len -= n;
        len -= n;
        if (b->len == 0) {
            pipe_release_slot(p, b);
            freed = true;
        }
    }
    if (freed)
        waitqueue_wake_all(&p->wr_wait);
}

size_t pipe_splice_append(struct file *f, const void *buf, size_t len, unsigned page_off)
{
    struct pipe *p = pipe_of(f);
    size_t done = 0;
    page_off %= PIPE_PAGE;
    while (done < len && !pipe_full(p)) {
        uint8_t *page = p->tmp_page;
        if (!page && !(page = malloc(PIPE_PAGE)))
            break;
        p->tmp_page = NULL;
        size_t n = PIPE_PAGE - page_off;
        if (n > len - done)
            n = len - done;
        memcpy(page + page_off, (const uint8_t *)buf + done, n);
        p->bufs[p->head % p->ring_size] =
            (struct pipe_buf){.page = page, .off = page_off, .len = (uint32_t)n, .nomerge = true};
        p->head++;
        done += n;
        page_off = 0;
    }
    if (done) {
        waitqueue_wake_all(&p->rd_wait);
        pipe_touch(f, true);
    }
    return done;
}

/* Linux's ipipe_prep: waits for input data (or no writers). */
static long ipipe_prep(struct pipe *p, bool nonblock)
{
    while (pipe_empty(p)) {
        if (!p->writers)
            return 0;
        if (nonblock)
            return -LINUX_EAGAIN;
        int err = waitqueue_wait(&p->rd_wait, task_current(), pipe_readable_or_eof, p, NULL);
        if (err)
            return err;
    }
    return 0;
}

/* Linux's opipe_prep: waits for room in the output (EPIPE without readers). */
static long opipe_prep(struct pipe *p, bool nonblock)
{
    while (pipe_full(p)) {
        if (!p->readers) {
            pipe_sigpipe(task_current());
            return -LINUX_EPIPE;
        }
        if (nonblock)
            return -LINUX_EAGAIN;
        int err = waitqueue_wait(&p->wr_wait, task_current(), pipe_has_room_or_broken, p, NULL);
        if (err)
            return err;
    }
    return 0;
}

/* A fresh page holding a copy of len bytes of b (at the same offset). */
static bool pipe_buf_copy(struct pipe *op, const struct pipe_buf *b, size_t len,
                          struct pipe_buf *out)
{
    uint8_t *page = op->tmp_page;
    if (!page && !(page = malloc(PIPE_PAGE)))
        return false;
    op->tmp_page = NULL;
    memcpy(page + b->off, b->page + b->off, len);
    *out = (struct pipe_buf){
        .page = page, .off = b->off, .len = (uint32_t)len, .packet = b->packet, .nomerge = true};
    return true;
}

long pipe_splice_pipe(struct file *in, struct file *out, size_t len, bool nonblock)
{
    struct pipe *ip = pipe_of(in), *op = pipe_of(out);
    if (ip == op)
        return -LINUX_EINVAL;
    long ret = 0;
retry:
    ret = ipipe_prep(ip, nonblock);
    if (ret)
        return ret;
    ret = opipe_prep(op, nonblock);
    if (ret)
        return ret;
    bool moved = false;
    do {
        if (!op->readers) {
            pipe_sigpipe(task_current());
            if (!ret)
                ret = -LINUX_EPIPE;
            break;
        }
        if (pipe_empty(ip) && !ip->writers)
            break;
        if (pipe_empty(ip) || pipe_full(op)) {
            if (ret)
                break;
            if (nonblock) {
                ret = -LINUX_EAGAIN;
                break;
            }
            goto retry;
        }
        struct pipe_buf *ib = &ip->bufs[ip->tail % ip->ring_size];
        struct pipe_buf *ob = &op->bufs[op->head % op->ring_size];
        if (len >= ib->len) {
            /* The whole slot moves over. */
            *ob = *ib;
            ib->page = NULL;
            ib->len = 0;
            ip->tail++;
        } else {
            if (!pipe_buf_copy(op, ib, len, ob)) {
                if (!ret)
                    ret = -LINUX_ENOMEM;
                break;
            }
            ib->off += (uint32_t)len;
            ib->len -= (uint32_t)len;
        }
        op->head++;
        moved = true;
        ret += (long)ob->len;
        len -= ob->len;
    } while (len);
    if (moved) {
        waitqueue_wake_all(&ip->wr_wait);
        waitqueue_wake_all(&op->rd_wait);
    }
    if (ret > 0) {
        pipe_touch(in, false);
        pipe_touch(out, true);
    }
    return ret;
}

long pipe_tee(struct file *in, struct file *out, size_t len, bool nonblock)
{
    struct pipe *ip = pipe_of(in), *op = pipe_of(out);
    if (ip == op)
        return -LINUX_EINVAL;
    long ret = ipipe_prep(ip, nonblock);
    if (ret)
        return ret;
    ret = opipe_prep(op, nonblock);
    if (ret)
        return ret;
    /* Linux's link_pipe. */
    unsigned i = 0;
    do {
        if (!op->readers) {
            pipe_sigpipe(task_current());
            if (!ret)
                ret = -LINUX_EPIPE;
            break;
        }
        if (ip->head == ip->tail + i || pipe_full(op))
            break;
        const struct pipe_buf *ib = &ip->bufs[(ip->tail + i) % ip->ring_size];
        struct pipe_buf *ob = &op->bufs[op->head % op->ring_size];
        size_t n = ib->len < len ? ib->len : len;
        if (!pipe_buf_copy(op, ib, n, ob)) {
            if (!ret)
                ret = -LINUX_ENOMEM;
            break;
        }
        op->head++;
        i++;
        ret += (long)n;
        len -= n;
    } while (len);
    if (ret > 0) {
        waitqueue_wake_all(&op->rd_wait);
        pipe_touch(out, true);
    }
    return ret;
}

/* --- sizes --- */

/* Linux's round_pipe_size: at least a page, a power of two, 0 if too big. */
static unsigned long pipe_round_size(unsigned long size)
{
    if (size > (1UL << 31))
        return 0;
    if (size < PIPE_PAGE)
        return PIPE_PAGE;
    unsigned long r = 1;
    while (r < size)
        r <<= 1;
    return r;
}

int pipe_set_max_size(unsigned long size)
{
    unsigned long r = pipe_round_size(size);
    if (r == 0)
        return -LINUX_EINVAL;
    pipe_max_size = (unsigned int)r;
    return 0;
}

static long pipe_set_size(struct pipe *p, unsigned int arg)
{
    unsigned long size = pipe_round_size(arg);
    unsigned slots = (unsigned)(size / PIPE_PAGE);
    if (slots == 0)
        return -LINUX_EINVAL;
    if (slots > p->max_usage && size > pipe_max_size)
        return -LINUX_EPERM;
    unsigned used = pipe_occupancy(p);
    if (slots < used)
        return -LINUX_EBUSY;
    struct pipe_buf *bufs = calloc(slots, sizeof(*bufs));
    if (!bufs)
        return -LINUX_ENOMEM;
    for (unsigned i = 0; i < used; i++)
        bufs[i] = p->bufs[(p->tail + i) % p->ring_size];
    free(p->bufs);
    p->bufs = bufs;
    p->ring_size = p->max_usage = slots;
    p->tail = 0;
    p->head = used;
    waitqueue_wake_all(&p->wr_wait);
    return (long)slots * PIPE_PAGE;
}

long pipe_fcntl(struct file *f, int cmd, long arg)
{
    if (!pipe_is_file(f))
        return -LINUX_EBADF;
    struct pipe *p = pipe_of(f);
    switch (cmd) {
    case LINUX_F_GETPIPE_SZ:
        return (long)p->max_usage * PIPE_PAGE;
    case LINUX_F_SETPIPE_SZ:
        /* fcntl passes the argument on as an int, pipe_fcntl as unsigned. */
        return pipe_set_size(p, (unsigned int)(int)arg);
    default:
        return -LINUX_EINVAL;
    }
}

/* --- opening --- */

static int pipe_attach_file(struct file *f, struct pipe *p)
{
    struct pipe_file *pf = calloc(1, sizeof(*pf));
    if (!pf)
        return -LINUX_ENOMEM;
    pf->pipe = p;
    f->ops = &pipe_fops;
    f->priv = pf;
    if (file_writes(f))
        f->io_chunk = PIPE_PAGE;
    return 0;
}

struct partner_wait {
    unsigned *counter;
    unsigned start;
};

static bool partner_arrived(void *arg)
{
    struct partner_wait *w = arg;
    return *w->counter != w->start;
}

static int wait_for_partner(struct pipe *p, unsigned *counter)
{
    struct partner_wait w = {counter, *counter};
    int err = waitqueue_wait(&p->rd_wait, task_current(), partner_arrived, &w, NULL);
    return err ? -LINUX_ERESTARTSYS : 0;
}

/* Linux's fifo_open; fifo is false for a reopen of an anonymous pipe, which
 * never waits. */
static int pipe_open_common(struct pipe *p, struct file *f, bool fifo)
{
    unsigned version = 0;
    switch (f->flags & LINUX_O_ACCMODE) {
    case LINUX_O_RDONLY:
        p->r_counter++;
        if (p->readers++ == 0)
            waitqueue_wake_all(&p->rd_wait);
        if (fifo && !p->writers) {
            if (f->flags & LINUX_O_NONBLOCK) {
                version = p->w_counter; /* no POLLHUP until a writer came */
            } else if (wait_for_partner(p, &p->w_counter)) {
                if (--p->readers == 0)
                    waitqueue_wake_all(&p->wr_wait);
                return -LINUX_ERESTARTSYS;
            }
        }
        break;
    case LINUX_O_WRONLY:
        if (fifo && (f->flags & LINUX_O_NONBLOCK) && !p->readers)
            return -LINUX_ENXIO;
        p->w_counter++;
        if (p->writers++ == 0)
            waitqueue_wake_all(&p->rd_wait);
        if (fifo && !p->readers && wait_for_partner(p, &p->r_counter)) {
            if (--p->writers == 0)
                waitqueue_wake_all(&p->rd_wait);
            return -LINUX_ERESTARTSYS;
        }
        break;
    case LINUX_O_RDWR:
        p->readers++;
        p->writers++;
        p->r_counter++;
        p->w_counter++;
        if (p->readers == 1 || p->writers == 1)
            waitqueue_wake_all(&p->rd_wait);
        break;
    default:
        return -LINUX_EINVAL;
    }
    int err = pipe_attach_file(f, p);
    if (err) {
        if (file_reads(f))
            p->readers--;
        if (file_writes(f))
            p->writers--;
        return err;
    }
    ((struct pipe_file *)f->priv)->version = version;
    return 0;
}

static struct pipe *fifo_find(struct inode *ino)
{
    for (struct pipe *p = fifo_list; p; p = p->next_fifo) {
        if (p->inode == ino)
            return p;
    }
    return NULL;
}

int pipe_fifo_open(struct inode *ino, struct file *f)
{
    bool fifo = ino->sb != pipefs_sb || !pipefs_sb;
    struct pipe *p = fifo ? fifo_find(ino) : ino->priv;
    if (!p && !fifo)
        return -LINUX_ENXIO; /* the anonymous pipe is gone */
    bool created = false;
    if (!p) {
        p = pipe_alloc();
        if (!p)
            return -LINUX_ENOMEM;
        p->inode = ino;
        p->next_fifo = fifo_list;
        fifo_list = p;
        created = true;
    }
    int err = pipe_open_common(p, f, fifo);
    if (err && !p->readers && !p->writers) {
        SENTRY_ASSERT(created || fifo);
        pipe_free(p);
    }
    return err;
}

/* --- pipefs and pipe(2) --- */

static int pipefs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                        const char *data, struct superblock **out_sb)
{
    (void)type, (void)source, (void)flags, (void)data, (void)out_sb;
    return -LINUX_EINVAL; /* internal: never mounted (as Linux: SB_NOUSER) */
}

const struct fs_type pipefs_type = {.name = "pipefs", .nodev = true, .mount = pipefs_mount};

static int pipefs_open(struct inode *ino, struct file *f)
{
    return pipe_fifo_open(ino, f);
}

static const struct inode_ops pipefs_inode_ops = {.open = pipefs_open};
static const struct inode_ops pipefs_root_ops;

static struct superblock *pipefs_get_sb(void)
{
    if (!pipefs_sb)
        pipefs_sb = sb_new_internal(&pipefs_type, &pipefs_root_ops, 0600);
    return pipefs_sb;
}

int pipe_create(struct task *t, int flags, struct file **out_read, struct file **out_write)
{
    SENTRY_ASSERT(!(flags & ~(LINUX_O_NONBLOCK | LINUX_O_DIRECT)));
    struct superblock *sb = pipefs_get_sb();
    if (!sb)
        return -LINUX_ENOMEM;
    struct inode *ino = inode_new(sb, &pipefs_inode_ops, LINUX_S_IFIFO | 0600);
    if (!ino)
        return -LINUX_ENOMEM;
    struct linux_timespec now = vfs_now();
    ino->attr.ino = sb->next_ino++;
    ino->attr.nlink = 1;
    ino->attr.uid = t->cred.fsuid;
    ino->attr.gid = t->cred.fsgid;
    ino->attr.blksize = PIPE_PAGE;
    ino->attr.atime = ino->attr.mtime = ino->attr.ctime = ino->attr.btime = now;

    int err = -LINUX_ENOMEM;
    struct pipe *p = pipe_alloc();
    struct pipe_file *rpf = calloc(1, sizeof(*rpf));
    struct pipe_file *wpf = calloc(1, sizeof(*wpf));
    if (!p || !rpf || !wpf)
        goto out_free;
    rpf->pipe = wpf->pipe = p;
    p->readers = p->writers = 1;
    p->r_counter = p->w_counter = 1;
    struct file *rf = file_new(&pipe_fops, LINUX_O_RDONLY | flags, rpf);
    if (!rf)
        goto out_free;
    rpf = NULL;
    struct file *wf = file_new(&pipe_fops, LINUX_O_WRONLY | flags, wpf);
    if (!wf) {
        p->writers = 0;
        file_put(rf); /* the last end: frees the pipe */
        p = NULL;
        goto out_free;
    }
    wf->io_chunk = PIPE_PAGE;
    p->inode = ino;
    ino->priv = p;
    rf->inode = ino;
    wf->inode = ino;
    inode_get(ino); /* one reference per file; the creation one goes to wf */
    *out_read = rf;
    *out_write = wf;
    return 0;

out_free:
    free(rpf);
    free(wpf);
    if (p)
        pipe_free(p);
    inode_put(ino);
    return err;
}

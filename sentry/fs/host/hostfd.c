/* Files backed by a host fd the sentry holds: the stdio `moat do` passes
 * through. I/O goes straight between the host fd and application memory
 * (the blocks point into the memory file's mapping).
 *
 * A task never blocks indefinitely in a host syscall (DESIGN.md section
 * 6), so that a signal always gets through. The host file descriptions are
 * shared with the user's shell and terminal, so they keep their blocking
 * mode; instead:
 *
 *   - a host fd that the host can poll (a pipe, socket or terminal) is
 *     registered, edge-triggered, with the notifier: one sentry thread in
 *     epoll_wait on a host epoll instance. Its events wake the file's wait
 *     queues (in_wq: readable, hang-up, error; out_wq: writable). Events
 *     are asked for only while someone waits (armed), so a busy stdout
 *     costs no notifier wake-ups;
 *   - a read or write of such a file first asks the host for readiness
 *     (poll with a zero timeout) and, if not ready, sleeps on the queue with
 *     task_block, which a signal interrupts (-ERESTARTSYS). It then does the
 *     I/O with the kernel lock dropped: a read after POLLIN returns at once;
 *     a write goes in chunks of PIPE_BUF, which a pipe that polled writable
 *     takes without blocking;
 *   - the file's poll op (poll, select, epoll) registers on those queues
 *     and answers with the host's poll;
 *   - a host fd the host cannot poll (a regular file, /dev/null) is always
 *     ready: its I/O goes straight to the host, and it has no poll op (as a
 *     regular file on Linux: epoll_ctl refuses it).
 *
 * The sentry ignores SIGPIPE: a write to a host pipe without readers
 * fails with EPIPE, and the application gets its SIGPIPE from the sentry.
 *
 * Lock order: the kernel lock, then notifier.lock (the registry of
 * registered files, which the notifier thread reads). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

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

/* The most written per readiness check: PIPE_BUF. */
#define HOSTFD_WRITE_CHUNK 4096

struct hostfd {
    int fd;
    bool pollable;           /* registered with the notifier */
    uint32_t armed;          /* EPOLL* events the notifier asks the host for */
    uint64_t id;             /* the notifier's key: fds are reused, ids are not */
    struct waitqueue in_wq;  /* readable, hang-up, error */
    struct waitqueue out_wq; /* writable, hang-up, error */
    struct hostfd *next;     /* notifier.list */
};

static struct {
    pthread_mutex_t lock;
    int epfd; /* -1 until the notifier starts */
    bool failed;
    uint64_t next_id;
    struct hostfd *list;
} notifier = {.lock = PTHREAD_MUTEX_INITIALIZER, .epfd = -1};

#define IN_EVENTS (EPOLLIN | EPOLLPRI | EPOLLRDHUP)
#define OUT_EVENTS (EPOLLOUT)
#define LINUX_IN_SET                                                                               \
    (LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLRDBAND | LINUX_POLLPRI | LINUX_POLLRDHUP)
#define LINUX_OUT_SET (LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLWRBAND)

static struct hostfd *hostfd_of(struct file *f)
{
    return f->priv;
}

static long hostfd_result(ssize_t n)
{
    return n < 0 ? -errno : n;
}

/* --- the notifier --- */

static struct hostfd *notifier_find(uint64_t id)
{
    for (struct hostfd *h = notifier.list; h; h = h->next) {
        if (h->id == id)
            return h;
    }
    return NULL;
}

/* Asks the host for events (EPOLLET always): only while someone waits. */
static void hostfd_set_armed(struct hostfd *h, uint32_t events)
{
    h->armed = events;
    struct epoll_event ev = {.events = events | EPOLLET, .data.u64 = h->id};
    if (epoll_ctl(notifier.epfd, EPOLL_CTL_MOD, h->fd, &ev) != 0)
        log_warn("hostfd: epoll_ctl(MOD) of host fd %d: %s", h->fd, strerror(errno));
}

static void hostfd_arm(struct hostfd *h, uint32_t events)
{
    kernel_assert_held(kernel_global);
    if (h->pollable && (h->armed & events) != events)
        hostfd_set_armed(h, h->armed | events);
}

static void *notifier_main(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "moat-hostfd");
    struct epoll_event evs[32];
    for (;;) {
        int n = epoll_wait(notifier.epfd, evs, 32, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            panic("hostfd notifier: epoll_wait: %s", strerror(errno));
        }
        struct kernel *k = kernel_global;
        kernel_lock(k);
        pthread_mutex_lock(&notifier.lock);
        for (int i = 0; i < n; i++) {
            struct hostfd *h = notifier_find(evs[i].data.u64);
            if (!h)
                continue; /* released since */
            uint32_t e = evs[i].events;
            if (e & (IN_EVENTS | EPOLLHUP | EPOLLERR))
                waitqueue_wake_all(&h->in_wq);
            if (e & (OUT_EVENTS | EPOLLHUP | EPOLLERR))
                waitqueue_wake_all(&h->out_wq);
            if (h->armed && !waitqueue_active(&h->in_wq) && !waitqueue_active(&h->out_wq))
                hostfd_set_armed(h, 0);
        }
        pthread_mutex_unlock(&notifier.lock);
        kernel_unlock(k);
    }
    return NULL;
}

/* Starts the notifier thread (once). Called before the sentry's seccomp
 * filter is installed: stdio is set up at boot. */
static int notifier_start(void)
{
    if (notifier.epfd >= 0)
        return 0;
    if (notifier.failed)
        return -LINUX_ENOMEM;
    /* EPIPE instead of a SIGPIPE that would end the sentry. */
    signal(SIGPIPE, SIG_IGN);
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        notifier.failed = true;
        return -errno;
    }
    notifier.epfd = epfd;
    /* The thread takes no signals: they are for the task threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t thread;
    int err = pthread_create(&thread, NULL, notifier_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        close(epfd);
        notifier.epfd = -1;
        notifier.failed = true;
        return -err;
    }
    pthread_detach(thread);
    return 0;
}

/* Registers h with the notifier if the host can poll its fd. */
static void notifier_register(struct hostfd *h)
{
    if (notifier_start() != 0)
        return;
    pthread_mutex_lock(&notifier.lock);
    h->id = ++notifier.next_id;
    struct epoll_event ev = {.events = EPOLLET, .data.u64 = h->id};
    if (epoll_ctl(notifier.epfd, EPOLL_CTL_ADD, h->fd, &ev) == 0) {
        h->pollable = true;
        h->next = notifier.list;
        notifier.list = h;
    } else if (errno != EPERM) {
        log_warn("hostfd: host fd %d cannot be polled (%s): treated as always ready", h->fd,
                 strerror(errno));
    }
    pthread_mutex_unlock(&notifier.lock);
}

static void notifier_unregister(struct hostfd *h)
{
    if (!h->pollable)
        return;
    pthread_mutex_lock(&notifier.lock);
    struct hostfd **pp = &notifier.list;
    while (*pp != h)
        pp = &(*pp)->next;
    *pp = h->next;
    /* The description outlives our fd (the shell holds it): leave the
     * epoll set explicitly. */
    epoll_ctl(notifier.epfd, EPOLL_CTL_DEL, h->fd, NULL);
    pthread_mutex_unlock(&notifier.lock);
}

/* --- readiness --- */

/* The host's readiness of h's fd now (POLL* bits, the same values as
 * LINUX_POLL*). */
static unsigned hostfd_host_poll(struct hostfd *h, short events)
{
    struct pollfd p = {.fd = h->fd, .events = events};
    if (poll(&p, 1, 0) < 0)
        return POLLERR;
    return (unsigned)(unsigned short)p.revents;
}

struct hostfd_wait {
    struct hostfd *h;
    short events;
};

static bool hostfd_ready(void *arg)
{
    struct hostfd_wait *w = arg;
    return hostfd_host_poll(w->h, w->events) & (unsigned)(w->events | POLLHUP | POLLERR | POLLNVAL);
}

/* Waits until the host fd is ready for events (POLLIN or POLLOUT), or
 * fails: -EAGAIN for a non-blocking file, -ERESTARTSYS when interrupted. */
static int hostfd_wait_ready(struct file *f, short events)
{
    struct hostfd *h = hostfd_of(f);
    struct hostfd_wait w = {h, events};
    if (hostfd_ready(&w))
        return 0;
    if (f->flags & LINUX_O_NONBLOCK)
        return -LINUX_EAGAIN;
    bool in = events == POLLIN;
    /* Armed before waitqueue_wait registers: the kernel lock is held until
     * the task sleeps, so the notifier cannot disarm in between. */
    hostfd_arm(h, in ? IN_EVENTS : OUT_EVENTS);
    return waitqueue_wait(in ? &h->in_wq : &h->out_wq, task_current(), hostfd_ready, &w, NULL);
}

static unsigned hostfd_poll(struct file *f, struct poll_table *pt)
{
    struct hostfd *h = hostfd_of(f);
    if (pt) {
        unsigned want = poll_requested_events(pt);
        if ((want & (LINUX_IN_SET | LINUX_POLLHUP | LINUX_POLLERR)) || !(want & LINUX_OUT_SET)) {
            poll_wait(pt, &h->in_wq);
            hostfd_arm(h, IN_EVENTS);
        }
        if (want & LINUX_OUT_SET) {
            poll_wait(pt, &h->out_wq);
            hostfd_arm(h, OUT_EVENTS);
        }
    }
    return hostfd_host_poll(h, POLLIN | POLLOUT | POLLPRI | POLLRDHUP);
}

/* --- I/O --- */

static long hostfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    kernel_unlock(kernel_global);
    ssize_t n = readv(hostfd_of(f)->fd, iov, iovcnt);
    long r = hostfd_result(n);
    kernel_lock(kernel_global);
    return r;
}

static long hostfd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    (void)pos;
    kernel_unlock(kernel_global);
    ssize_t n = writev(hostfd_of(f)->fd, iov, iovcnt);
    long r = hostfd_result(n);
    kernel_lock(kernel_global);
    if (r == -LINUX_EPIPE)
        signal_send_thread(task_current(), LINUX_SIGPIPE, NULL);
    return r;
}

static long hostfd_stream_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    if (iov_total(iov, iovcnt) == 0)
        return hostfd_read(f, iov, iovcnt, pos);
    for (;;) {
        int err = hostfd_wait_ready(f, POLLIN);
        if (err)
            return err;
        long r = hostfd_read(f, iov, iovcnt, pos);
        /* EAGAIN: a non-blocking host description, or another reader of
         * the host file took the data first. */
        if (r != -LINUX_EAGAIN || (f->flags & LINUX_O_NONBLOCK))
            return r;
    }
}

/* Copies into out the part [off, off + max) of iov; returns its count. */
static int iov_slice(const struct iovec *iov, int iovcnt, size_t off, size_t max, struct iovec *out,
                     int out_max)
{
    int n = 0;
    for (int i = 0; i < iovcnt && max > 0 && n < out_max; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t len = iov[i].iov_len - off;
        if (len > max)
            len = max;
        out[n].iov_base = (char *)iov[i].iov_base + off;
        out[n].iov_len = len;
        n++;
        max -= len;
        off = 0;
    }
    return n;
}

static long hostfd_stream_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    size_t total = iov_total(iov, iovcnt);
    if (total == 0)
        return hostfd_write(f, iov, iovcnt, pos);
    size_t done = 0;
    while (done < total) {
        int err = hostfd_wait_ready(f, POLLOUT);
        if (err)
            return done ? (long)done : err;
        struct iovec chunk[HOSTFD_WRITE_CHUNK / 64];
        int n = iov_slice(iov, iovcnt, done, HOSTFD_WRITE_CHUNK, chunk,
                          (int)(sizeof(chunk) / sizeof(chunk[0])));
        long r = hostfd_write(f, chunk, n, pos);
        if (r == -LINUX_EAGAIN && !(f->flags & LINUX_O_NONBLOCK))
            continue;
        if (r < 0)
            return done ? (long)done : r;
        done += (size_t)r;
    }
    return (long)done;
}

static long hostfd_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return hostfd_result(preadv(hostfd_of(f)->fd, iov, iovcnt, pos));
}

static long hostfd_pwrite(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    return hostfd_result(pwritev(hostfd_of(f)->fd, iov, iovcnt, pos));
}

static long hostfd_ioctl(struct file *f, struct task *t, unsigned cmd, uaddr_t arg)
{
    int fd = hostfd_of(f)->fd;
    switch (cmd) {
    case LINUX_TCGETS: {
        struct linux_termios tio;
        if (ioctl(fd, TCGETS, &tio) != 0)
            return -errno;
        return copy_out(t->mm, arg, &tio, sizeof(tio)) < 0 ? -LINUX_EFAULT : 0;
    }
    case LINUX_TIOCGWINSZ: {
        struct linux_winsize ws;
        if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
            return -errno;
        return copy_out(t->mm, arg, &ws, sizeof(ws)) < 0 ? -LINUX_EFAULT : 0;
    }
    case LINUX_FIONREAD: {
        int n;
        if (ioctl(fd, FIONREAD, &n) != 0)
            return -errno;
        return copy_out(t->mm, arg, &n, sizeof(n)) < 0 ? -LINUX_EFAULT : 0;
    }
    default:
        return -LINUX_ENOTTY;
    }
}

static long hostfd_stat(struct file *f, struct linux_stat *out_st)
{
    struct stat st;
    if (fstat(hostfd_of(f)->fd, &st) != 0)
        return -errno;
    *out_st = (struct linux_stat){
        .st_dev = st.st_dev,
        .st_ino = st.st_ino,
        .st_nlink = st.st_nlink,
        .st_mode = st.st_mode,
        .st_uid = st.st_uid,
        .st_gid = st.st_gid,
        .st_rdev = st.st_rdev,
        .st_size = st.st_size,
        .st_blksize = st.st_blksize,
        .st_blocks = st.st_blocks,
        .st_atime_sec = st.st_atim.tv_sec,
        .st_atime_nsec = st.st_atim.tv_nsec,
        .st_mtime_sec = st.st_mtim.tv_sec,
        .st_mtime_nsec = st.st_mtim.tv_nsec,
        .st_ctime_sec = st.st_ctim.tv_sec,
        .st_ctime_nsec = st.st_ctim.tv_nsec,
    };
    return 0;
}

static void hostfd_release(struct file *f)
{
    struct hostfd *h = hostfd_of(f);
    SENTRY_ASSERT(!waitqueue_active(&h->in_wq) && !waitqueue_active(&h->out_wq));
    notifier_unregister(h);
    close(h->fd);
    free(h);
    f->priv = NULL;
}

/* Files the host cannot poll: always ready, no poll op. */
static const struct file_ops hostfd_ops = {
    .read = hostfd_read,
    .write = hostfd_write,
    .pread = hostfd_pread,
    .pwrite = hostfd_pwrite,
    .ioctl = hostfd_ioctl,
    .stat = hostfd_stat,
    .release = hostfd_release,
};

/* Pipes, sockets, terminals: waits go through the notifier. */
static const struct file_ops hostfd_stream_ops = {
    .read = hostfd_stream_read,
    .write = hostfd_stream_write,
    .pread = hostfd_pread,
    .pwrite = hostfd_pwrite,
    .ioctl = hostfd_ioctl,
    .stat = hostfd_stat,
    .poll = hostfd_poll,
    .release = hostfd_release,
};

struct file *hostfd_file_new(int host_fd, int flags)
{
    struct hostfd *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->fd = host_fd;
    notifier_register(h);
    struct file *f = file_new(h->pollable ? &hostfd_stream_ops : &hostfd_ops, flags, h);
    if (!f) {
        notifier_unregister(h);
        free(h);
        return NULL;
    }
    struct stat st;
    if (fstat(host_fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        f->io_chunk = 4096;
    return f;
}

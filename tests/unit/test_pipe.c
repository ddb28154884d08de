/* Unit tests for sentry/fs/pipe (the slot ring, blocking, FIFO opens, pipe
 * sizes) and sentry/fs/anon/memfd.c, over the fakes of test_fs_fakes.c.
 * Expected numbers are what Linux 6.x gives (checked against the host). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/ioctl.h"
#include "abi/linux/memfd.h"
#include "abi/linux/poll.h"
#include "abi/linux/signal.h"
#include "sentry/fs/anon/memfd.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/object.h"
#include "tests/unit/test_fs_fakes.h"

static char big[1 << 20];

static int setup(void **state)
{
    (void)state;
    fake_fs_setup();
    task_set_current(&fake_task);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fake_fs_teardown();
    return 0;
}

static long wr(struct file *f, const void *buf, size_t n)
{
    struct iovec iov = {(void *)buf, n};
    return f->ops->write(f, &iov, 1, NULL);
}

static long rd(struct file *f, void *buf, size_t n)
{
    struct iovec iov = {buf, n};
    return f->ops->read(f, &iov, 1, NULL);
}

static void make_pipe(int flags, struct file **r, struct file **w)
{
    assert_int_equal(pipe_create(&fake_task, flags, r, w), 0);
}

static void test_basic(void **state)
{
    (void)state;
    struct file *r, *w;
    make_pipe(0, &r, &w);
    assert_int_equal(r->flags, LINUX_O_RDONLY);
    assert_int_equal(w->flags, LINUX_O_WRONLY);
    assert_int_equal(w->io_chunk, 4096);
    assert_true(pipe_is_file(r));
    assert_int_equal(r->inode->attr.mode, LINUX_S_IFIFO | 0600);
    assert_ptr_equal(r->inode, w->inode);
    assert_int_equal(wr(w, "hello", 5), 5);
    int n = -1;
    assert_int_equal(r->ops->ioctl(r, &fake_task, LINUX_FIONREAD, (uaddr_t)(uintptr_t)&n), 0);
    assert_int_equal(n, 5);
    char buf[16];
    assert_int_equal(rd(r, buf, 3), 3);
    assert_memory_equal(buf, "hel", 3);
    assert_int_equal(rd(r, buf, 16), 2);
    assert_int_equal(rd(r, buf, 0), 0);
    assert_int_equal(pipe_poll(w, NULL, NULL), LINUX_POLLOUT | LINUX_POLLWRNORM);
    assert_int_equal(pipe_poll(r, NULL, NULL), 0);
    file_put(w); /* no writers: EOF, POLLHUP */
    assert_int_equal(rd(r, buf, 16), 0);
    assert_int_equal(pipe_poll(r, NULL, NULL), LINUX_POLLHUP);
    file_put(r);
}

static void test_capacity(void **state)
{
    (void)state;
    struct file *r, *w;
    make_pipe(LINUX_O_NONBLOCK, &r, &w);
    /* Byte writes merge into slots: exactly 64 KiB fits. */
    long total = 0;
    for (;;) {
        long n = wr(w, "x", 1);
        if (n < 0) {
            assert_int_equal(n, -LINUX_EAGAIN);
            break;
        }
        total += n;
    }
    assert_int_equal(total, 65536);
    assert_int_equal(pipe_poll(w, NULL, NULL), 0);
    file_put(r);
    file_put(w);

    /* A big write fills the ring and returns the partial count. */
    make_pipe(LINUX_O_NONBLOCK, &r, &w);
    assert_int_equal(wr(w, big, sizeof(big)), 65536);
    assert_int_equal(wr(w, big, 1), -LINUX_EAGAIN);
    file_put(r);
    file_put(w);

    /* Writes of a page plus one byte: the odd byte merges only where it
     * fits, so fewer bytes than 64 KiB fit (Linux's slot rule). */
    make_pipe(LINUX_O_NONBLOCK, &r, &w);
    total = 0;
    for (;;) {
        long n = wr(w, big, 4097);
        if (n < 0)
            break;
        total += n;
        if (n < 4097)
            break;
    }
    assert_int_equal(total, 10 * 4097 + 4096); /* what Linux gives */
    file_put(r);
    file_put(w);
}

static void test_atomic_small_write(void **state)
{
    (void)state;
    struct file *r, *w;
    make_pipe(LINUX_O_NONBLOCK, &r, &w);
    /* Fill 15 slots fully and the last with 4000 bytes. */
    assert_int_equal(wr(w, big, 15 * 4096 + 4000), 15 * 4096 + 4000);
    /* 96 bytes fit in the last slot; 97 would not fit whole: EAGAIN, not a
     * partial write (PIPE_BUF atomicity). */
    assert_int_equal(wr(w, big, 97), -LINUX_EAGAIN);
    assert_int_equal(wr(w, big, 96), 96);
    file_put(r);
    file_put(w);
}

static void test_packet_mode(void **state)
{
    (void)state;
    struct file *r, *w;
    make_pipe(LINUX_O_DIRECT | LINUX_O_NONBLOCK, &r, &w);
    assert_int_equal(wr(w, "abc", 3), 3);
    assert_int_equal(wr(w, "defgh", 5), 5);
    char buf[16];
    assert_int_equal(rd(r, buf, 16), 3); /* one packet per read */
    assert_int_equal(rd(r, buf, 2), 2);  /* the rest of the packet is dropped */
    assert_memory_equal(buf, "de", 2);
    assert_int_equal(rd(r, buf, 16), -LINUX_EAGAIN);
    file_put(r);
    file_put(w);
}

static void test_epipe(void **state)
{
    (void)state;
    struct file *r, *w;
    make_pipe(0, &r, &w);
    file_put(r);
    assert_int_equal(pipe_poll(w, NULL, NULL), LINUX_POLLOUT | LINUX_POLLWRNORM | LINUX_POLLERR);
    /* EPIPE, and SIGPIPE for the writer (whose action decides the rest). */
    fake_signal_sent = 0;
    assert_int_equal(wr(w, "x", 1), -LINUX_EPIPE);
    assert_int_equal(fake_signal_sent, LINUX_SIGPIPE);
    file_put(w);
}

static void test_sizes(void **state)
{
    (void)state;
    struct file *r, *w;
    make_pipe(0, &r, &w);
    assert_int_equal(pipe_fcntl(r, LINUX_F_GETPIPE_SZ, 0), 65536);
    static const struct {
        long arg, want;
    } cases[] = {
        {0, 4096},
        {1, 4096},
        {4097, 8192},
        {5000, 8192},
        {65537, 131072},
        {1048576, 1048576},
        {1048577, -LINUX_EPERM},
        {-1, -LINUX_EINVAL},
        {0x80000001L, -LINUX_EINVAL},
        {24576, 32768},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(pipe_fcntl(w, LINUX_F_SETPIPE_SZ, cases[i].arg), cases[i].want);
    assert_int_equal(pipe_fcntl(w, LINUX_F_SETPIPE_SZ, 65536), 65536);
    assert_int_equal(wr(w, big, 8192), 8192);
    assert_int_equal(pipe_fcntl(w, LINUX_F_SETPIPE_SZ, 4096), -LINUX_EBUSY);
    assert_int_equal(pipe_fcntl(w, LINUX_F_SETPIPE_SZ, 8192), 8192);
    char buf[8192];
    assert_int_equal(rd(r, buf, sizeof(buf)), 8192);
    assert_int_equal(pipe_fcntl(w, LINUX_F_ADD_SEALS, 0), -LINUX_EINVAL);
    /* pipe-max-size rounds like F_SETPIPE_SZ. */
    assert_int_equal(pipe_set_max_size(5000), 0);
    assert_int_equal(pipe_max_size, 8192);
    assert_int_equal(pipe_set_max_size(0x100000000UL), -LINUX_EINVAL);
    assert_int_equal(pipe_set_max_size(PIPE_MAX_SIZE_DEFAULT), 0);
    file_put(r);
    file_put(w);
}

/* --- blocking --- */

struct rw_thread {
    struct file *f;
    size_t size;
    long result;
};

static void *reader_main(void *p)
{
    struct rw_thread *a = p;
    task_set_current(&fake_task);
    kernel_lock(&fake_kernel);
    char *buf = malloc(a->size);
    a->result = rd(a->f, buf, a->size);
    free(buf);
    kernel_unlock(&fake_kernel);
    return NULL;
}

static void *writer_main(void *p)
{
    struct rw_thread *a = p;
    task_set_current(&fake_task);
    kernel_lock(&fake_kernel);
    a->result = wr(a->f, big, a->size);
    kernel_unlock(&fake_kernel);
    return NULL;
}

static void wait_asleep(void)
{
    for (int i = 0; i < 5000 && !fake_task.sleep; i++) {
        kernel_unlock(&fake_kernel);
        usleep(1000);
        kernel_lock(&fake_kernel);
    }
    assert_non_null(fake_task.sleep);
}

static void test_blocking_read(void **state)
{
    (void)state;
    struct file *r, *w;
    make_pipe(0, &r, &w);
    struct rw_thread a = {.f = r, .size = 100};
    pthread_t th;
    pthread_create(&th, NULL, reader_main, &a);
    wait_asleep();
    assert_int_equal(wr(w, "0123456789", 10), 10); /* wakes the reader */
    kernel_unlock(&fake_kernel);
    pthread_join(th, NULL);
    kernel_lock(&fake_kernel);
    assert_int_equal(a.result, 10);

    /* A reader blocked on an empty pipe sees EOF when the writer goes. */
    pthread_create(&th, NULL, reader_main, &a);
    wait_asleep();
    file_put(w);
    kernel_unlock(&fake_kernel);
    pthread_join(th, NULL);
    kernel_lock(&fake_kernel);
    assert_int_equal(a.result, 0);
    file_put(r);
}

static void test_blocking_write(void **state)
{
    (void)state;
    struct file *r, *w;
    make_pipe(0, &r, &w);
    /* 200 KiB through a 64 KiB pipe: the writer waits for room. */
    struct rw_thread a = {.f = w, .size = 200 * 1024};
    pthread_t th;
    pthread_create(&th, NULL, writer_main, &a);
    size_t got = 0;
    char buf[10000];
    wait_asleep(); /* the pipe is full */
    while (got < a.size) {
        int avail = 0;
        r->ops->ioctl(r, &fake_task, LINUX_FIONREAD, (uaddr_t)(uintptr_t)&avail);
        if (avail > 0) {
            long n = rd(r, buf, sizeof(buf));
            assert_true(n > 0);
            got += (size_t)n;
            continue;
        }
        kernel_unlock(&fake_kernel); /* let the writer refill */
        usleep(500);
        kernel_lock(&fake_kernel);
    }
    kernel_unlock(&fake_kernel);
    pthread_join(th, NULL);
    kernel_lock(&fake_kernel);
    assert_int_equal(a.result, 200 * 1024);
    /* A blocked writer interrupted after a partial write returns the count. */
    a.size = 100000;
    pthread_create(&th, NULL, writer_main, &a);
    wait_asleep();
    task_interrupt(&fake_task);
    kernel_unlock(&fake_kernel);
    pthread_join(th, NULL);
    kernel_lock(&fake_kernel);
    task_interrupt_clear(&fake_task);
    assert_int_equal(a.result, 65536);
    file_put(r);
    file_put(w);
}

/* --- FIFOs --- */

static void test_fifo(void **state)
{
    (void)state;
    struct inode *ino = inode_new(NULL, NULL, LINUX_S_IFIFO | 0644);
    struct file *wf = file_new(NULL, LINUX_O_WRONLY | LINUX_O_NONBLOCK, NULL);
    assert_int_equal(pipe_fifo_open(ino, wf), -LINUX_ENXIO); /* no reader */
    free(wf);
    struct file *rf = file_new(NULL, LINUX_O_RDONLY | LINUX_O_NONBLOCK, NULL);
    assert_int_equal(pipe_fifo_open(ino, rf), 0);   /* does not wait */
    assert_int_equal(pipe_poll(rf, NULL, NULL), 0); /* no HUP before a writer came */
    char buf[8];
    assert_int_equal(rd(rf, buf, 8), 0);
    wf = file_new(NULL, LINUX_O_WRONLY | LINUX_O_NONBLOCK, NULL);
    assert_int_equal(pipe_fifo_open(ino, wf), 0);
    assert_int_equal(wr(wf, "ab", 2), 2);
    assert_int_equal(pipe_fcntl(wf, LINUX_F_GETPIPE_SZ, 0), 65536);
    file_put(wf);
    assert_int_equal(rd(rf, buf, 8), 2);
    assert_int_equal(pipe_poll(rf, NULL, NULL), LINUX_POLLHUP);
    file_put(rf);
    /* O_RDWR never waits; data dies with the last opener. */
    struct file *rw = file_new(NULL, LINUX_O_RDWR, NULL);
    assert_int_equal(pipe_fifo_open(ino, rw), 0);
    assert_int_equal(wr(rw, "xyz", 3), 3);
    file_put(rw);
    rw = file_new(NULL, LINUX_O_RDWR | LINUX_O_NONBLOCK, NULL);
    assert_int_equal(pipe_fifo_open(ino, rw), 0);
    assert_int_equal(rd(rw, buf, 8), -LINUX_EAGAIN);
    file_put(rw);
    inode_put(ino);
}

struct fifo_opener {
    struct inode *ino;
    int flags;
    int result;
    struct file *f;
};

static void *fifo_open_main(void *p)
{
    struct fifo_opener *o = p;
    task_set_current(&fake_task);
    kernel_lock(&fake_kernel);
    o->f = file_new(NULL, o->flags, NULL);
    o->result = pipe_fifo_open(o->ino, o->f);
    kernel_unlock(&fake_kernel);
    return NULL;
}

static void test_fifo_open_waits(void **state)
{
    (void)state;
    struct inode *ino = inode_new(NULL, NULL, LINUX_S_IFIFO | 0644);
    struct fifo_opener o = {.ino = ino, .flags = LINUX_O_RDONLY};
    pthread_t th;
    pthread_create(&th, NULL, fifo_open_main, &o);
    wait_asleep();
    struct file *wf = file_new(NULL, LINUX_O_WRONLY, NULL);
    assert_int_equal(pipe_fifo_open(ino, wf), 0); /* a reader waits: no wait here */
    kernel_unlock(&fake_kernel);
    pthread_join(th, NULL);
    kernel_lock(&fake_kernel);
    assert_int_equal(o.result, 0);
    file_put(o.f);
    file_put(wf);

    /* An interrupted open gives ERESTARTSYS and leaves nothing behind. */
    o.flags = LINUX_O_WRONLY;
    pthread_create(&th, NULL, fifo_open_main, &o);
    wait_asleep();
    task_interrupt(&fake_task);
    kernel_unlock(&fake_kernel);
    pthread_join(th, NULL);
    kernel_lock(&fake_kernel);
    task_interrupt_clear(&fake_task);
    assert_int_equal(o.result, -LINUX_ERESTARTSYS);
    free(o.f);
    inode_put(ino);
}

/* --- memfd --- */

static void test_memfd_flags(void **state)
{
    (void)state;
    assert_int_equal(memfd_check_flags(0), 0);
    assert_int_equal(memfd_check_flags(LINUX_MFD_CLOEXEC | LINUX_MFD_ALLOW_SEALING), 0);
    assert_int_equal(memfd_check_flags(0x100), -LINUX_EINVAL);
    assert_int_equal(memfd_check_flags(LINUX_MFD_HUGETLB), -LINUX_ENOENT);
    assert_int_equal(memfd_check_flags(LINUX_MFD_HUGETLB | (21U << 26)), -LINUX_ENOENT);
    assert_int_equal(memfd_check_flags(21U << 26), -LINUX_EINVAL);
    assert_int_equal(memfd_check_flags(0x8 /* MFD_NOEXEC_SEAL, 6.3 */), -LINUX_EINVAL);
}

static void test_memfd_io(void **state)
{
    (void)state;
    struct file *f;
    assert_int_equal(memfd_create_file(&fake_task, "hello world", 0, &f), 0);
    assert_true(memfd_is_file(f));
    assert_int_equal(f->inode->attr.mode, LINUX_S_IFREG | 0777);
    assert_int_equal(f->inode->attr.nlink, 0);
    char name[64];
    assert_int_equal(memfd_link_name(f, name, sizeof(name)), 28);
    assert_string_equal(name, "/memfd:hello world (deleted)");
    assert_int_equal(wr(f, "abcdef", 6), 6);
    assert_int_equal(f->pos, 6);
    assert_int_equal(f->inode->attr.size, 6);
    char buf[16] = {0};
    struct iovec iov = {buf, sizeof(buf)};
    assert_int_equal(f->ops->pread(f, &iov, 1, 2), 4);
    assert_memory_equal(buf, "cdef", 4);
    assert_int_equal(f->ops->seek(f, 0, LINUX_SEEK_END), 6);
    assert_int_equal(f->ops->seek(f, 1, LINUX_SEEK_HOLE), 6);
    assert_int_equal(f->ops->seek(f, 6, LINUX_SEEK_DATA), -LINUX_ENXIO);
    assert_int_equal(f->ops->seek(f, -1, LINUX_SEEK_SET), -LINUX_EINVAL);
    /* Writing past the end leaves a hole of zeros. */
    iov = (struct iovec){"Z", 1};
    assert_int_equal(f->ops->pwrite(f, &iov, 1, 8192), 1);
    assert_int_equal(f->inode->attr.size, 8193);
    iov = (struct iovec){buf, 4};
    assert_int_equal(f->ops->pread(f, &iov, 1, 4096), 4);
    assert_memory_equal(buf, "\0\0\0\0", 4);
    struct vfs_setattr sa = {.valid = VFS_SET_SIZE, .size = 3};
    assert_int_equal(f->inode->ops->setattr(f->inode, &sa), 0);
    assert_int_equal(f->inode->attr.size, 3);
    struct mm_object *obj;
    assert_int_equal(f->ops->get_pages(f, 0, 4096, &obj), 0);
    assert_ptr_equal(obj, f->inode->pages);
    mm_object_put(obj);
    /* Without MFD_ALLOW_SEALING: sealed against sealing. */
    assert_int_equal(memfd_fcntl(f, LINUX_F_GET_SEALS, 0), LINUX_F_SEAL_SEAL);
    assert_int_equal(memfd_fcntl(f, LINUX_F_ADD_SEALS, LINUX_F_SEAL_WRITE), -LINUX_EPERM);
    file_put(f);
}

static void test_memfd_seals(void **state)
{
    (void)state;
    struct file *f;
    assert_int_equal(memfd_create_file(&fake_task, "s", LINUX_MFD_ALLOW_SEALING, &f), 0);
    assert_int_equal(memfd_fcntl(f, LINUX_F_GET_SEALS, 0), 0);
    assert_int_equal(memfd_fcntl(f, LINUX_F_ADD_SEALS, 0x100), -LINUX_EINVAL);
    assert_int_equal(memfd_fcntl(f, LINUX_F_ADD_SEALS, LINUX_F_SEAL_GROW), 0);
    struct vfs_setattr sa = {.valid = VFS_SET_SIZE, .size = 4096};
    assert_int_equal(f->inode->ops->setattr(f->inode, &sa), -LINUX_EPERM);
    assert_int_equal(wr(f, "abc", 3), -LINUX_EPERM);
    assert_int_equal(memfd_fcntl(f, LINUX_F_ADD_SEALS, LINUX_F_SEAL_SHRINK | LINUX_F_SEAL_SEAL), 0);
    assert_int_equal(memfd_fcntl(f, LINUX_F_ADD_SEALS, LINUX_F_SEAL_WRITE), -LINUX_EPERM);
    assert_int_equal(memfd_fcntl(f, LINUX_F_GET_SEALS, 0), 7);
    file_put(f);

    assert_int_equal(memfd_create_file(&fake_task, "w", LINUX_MFD_ALLOW_SEALING, &f), 0);
    assert_int_equal(wr(f, "abc", 3), 3);
    assert_int_equal(memfd_fcntl(f, LINUX_F_ADD_SEALS, LINUX_F_SEAL_WRITE), 0);
    assert_int_equal(wr(f, "abc", 3), -LINUX_EPERM);
    f->flags = LINUX_O_RDONLY; /* as a read-only reopen */
    assert_int_equal(memfd_fcntl(f, LINUX_F_ADD_SEALS, LINUX_F_SEAL_GROW), -LINUX_EPERM);
    file_put(f);
}

int main(void)
{
    memset(big, 'b', sizeof(big));
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_basic),           T(test_capacity),       T(test_atomic_small_write),
        T(test_packet_mode),     T(test_epipe),          T(test_sizes),
        T(test_blocking_read),   T(test_blocking_write), T(test_fifo),
        T(test_fifo_open_waits), T(test_memfd_flags),    T(test_memfd_io),
        T(test_memfd_seals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

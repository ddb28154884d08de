/* Unit tests for readiness: host fds (sentry/fs/host/hostfd.c) waiting
 * through the notifier thread, interruptible (what the behaviour programs
 * cannot check before signals are delivered), and epoll items over
 * eventfds (sentry/fs/anon), over the fakes of test_fs_fakes.c with real
 * threads and real host pipes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi/linux/epoll.h"
#include "abi/linux/errno.h"
#include "abi/linux/eventfd.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/poll.h"
#include "sentry/fs/anon/epoll.h"
#include "sentry/fs/anon/eventfd.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/vfs/poll.h"
#include "tests/unit/test_fs_fakes.h"

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

/* --- a second task on its own thread doing one file op --- */

struct op {
    struct task task;
    struct file *f;
    bool write;
    char *buf;
    size_t size;
    long result;
    bool done;
    pthread_t thread;
};

static void *op_main(void *arg)
{
    struct op *o = arg;
    kernel_lock(&fake_kernel);
    task_set_current(&o->task);
    struct iovec iov = {o->buf, o->size};
    o->result =
        o->write ? o->f->ops->write(o->f, &iov, 1, NULL) : o->f->ops->read(o->f, &iov, 1, NULL);
    o->done = true;
    kernel_unlock(&fake_kernel);
    return NULL;
}

/* Starts o on its thread; called with the kernel lock held, which it
 * drops while the op runs. */
static void op_start(struct op *o, struct file *f, bool write, char *buf, size_t size)
{
    memset(&o->task, 0, sizeof(o->task));
    o->task.k = &fake_kernel;
    o->task.tg = fake_task.tg;
    o->task.tid = 2;
    o->f = f;
    o->write = write;
    o->buf = buf;
    o->size = size;
    o->done = false;
    assert_int_equal(pthread_create(&o->thread, NULL, op_main, o), 0);
}

static void sleep_unlocked(int ms)
{
    kernel_unlock(&fake_kernel);
    struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&d, NULL);
    kernel_lock(&fake_kernel);
}

static void op_join(struct op *o)
{
    kernel_unlock(&fake_kernel);
    pthread_join(o->thread, NULL);
    kernel_lock(&fake_kernel);
    assert_true(o->done);
}

/* --- host fds --- */

static void test_hostfd_read_waits(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct file *f = hostfd_file_new(p[0], LINUX_O_RDONLY);
    assert_non_null(f);
    assert_true(file_can_poll(f));
    assert_int_equal(file_poll(f, NULL), 0);

    /* A read sleeps until the host pipe has data. */
    static struct op o;
    char buf[16];
    op_start(&o, f, false, buf, sizeof buf);
    sleep_unlocked(50);
    assert_false(o.done);
    assert_int_equal(write(p[1], "abc", 3), 3);
    op_join(&o);
    assert_int_equal(o.result, 3);
    assert_memory_equal(buf, "abc", 3);

    /* A sleeping read is interruptible. */
    op_start(&o, f, false, buf, sizeof buf);
    sleep_unlocked(50);
    assert_false(o.done);
    task_interrupt(&o.task);
    op_join(&o);
    assert_int_equal(o.result, -LINUX_ERESTARTSYS);

    /* O_NONBLOCK on the sandbox's file only. */
    f->flags |= LINUX_O_NONBLOCK;
    struct iovec iov = {buf, sizeof buf};
    assert_int_equal(f->ops->read(f, &iov, 1, NULL), -LINUX_EAGAIN);
    f->flags &= ~LINUX_O_NONBLOCK;

    /* poll registrations are woken by the notifier. */
    struct poll_table pt;
    poll_table_init(&pt, &fake_task);
    pt.key = LINUX_POLLIN | LINUX_POLLERR | LINUX_POLLHUP;
    fake_task.wake_pending = false;
    assert_int_equal(file_poll(f, &pt) & LINUX_POLLIN, 0);
    assert_int_equal(write(p[1], "d", 1), 1);
    struct linux_timespec deadline = waitqueue_deadline_after(5000000000LL);
    assert_int_equal(task_block(&fake_task, &deadline), 0);
    assert_true(file_poll(f, NULL) & LINUX_POLLIN);
    poll_table_release(&pt);
    assert_int_equal(f->ops->read(f, &iov, 1, NULL), 1);

    /* The writer goes: EOF, and POLLHUP. */
    close(p[1]);
    assert_int_equal(f->ops->read(f, &iov, 1, NULL), 0);
    assert_true(file_poll(f, NULL) & LINUX_POLLHUP);
    file_put(f);
}

static void test_hostfd_write_waits(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct file *f = hostfd_file_new(p[1], LINUX_O_WRONLY);
    assert_non_null(f);
    /* Twice the host pipe's capacity: the write sleeps until the other
     * end is drained. */
    static char big[131072], sink[131072];
    memset(big, 'x', sizeof big);
    static struct op o;
    op_start(&o, f, true, big, sizeof big);
    sleep_unlocked(50);
    assert_false(o.done);
    size_t got = 0;
    kernel_unlock(&fake_kernel);
    while (got < sizeof big) {
        ssize_t n = read(p[0], sink, sizeof sink);
        assert_true(n > 0);
        got += (size_t)n;
    }
    kernel_lock(&fake_kernel);
    op_join(&o);
    assert_int_equal(o.result, (long)sizeof big);

    /* A full pipe: interruptible, and a partial count if some went. */
    memset(sink, 0, sizeof sink);
    op_start(&o, f, true, big, sizeof big);
    sleep_unlocked(50);
    assert_false(o.done);
    task_interrupt(&o.task);
    op_join(&o);
    assert_int_equal(o.result, 65536);
    kernel_unlock(&fake_kernel);
    got = 0;
    while (got < 65536) {
        ssize_t n = read(p[0], sink, sizeof sink);
        assert_true(n > 0);
        got += (size_t)n;
    }
    kernel_lock(&fake_kernel);

    /* No reader: EPIPE and a SIGPIPE for the writer. */
    close(p[0]);
    fake_signal_sent = 0;
    struct iovec iov = {big, 10};
    assert_int_equal(f->ops->write(f, &iov, 1, NULL), -LINUX_EPIPE);
    assert_int_equal(fake_signal_sent, 13);
    file_put(f);
}

static void test_hostfd_regular_file(void **state)
{
    (void)state;
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int fd = dup(fileno(tmp));
    fclose(tmp);
    struct file *f = hostfd_file_new(fd, LINUX_O_RDWR);
    assert_non_null(f);
    /* Not pollable by the host: always ready, and no poll op (epoll
     * refuses it as it refuses regular files). */
    assert_false(file_can_poll(f));
    assert_int_equal(file_poll(f, NULL),
                     LINUX_POLLIN | LINUX_POLLRDNORM | LINUX_POLLOUT | LINUX_POLLWRNORM);
    struct iovec iov = {"data", 4};
    assert_int_equal(f->ops->write(f, &iov, 1, NULL), 4);
    file_put(f);
}

/* --- epoll over eventfds --- */

static long ep_wait(struct file *ep, struct linux_epoll_event *ev, int max)
{
    return epoll_wait_file(&fake_task, ep, (uaddr_t)(uintptr_t)ev, max, NULL, true);
}

static long efd_write(struct file *f, uint64_t v)
{
    struct iovec iov = {&v, sizeof v};
    return f->ops->write(f, &iov, 1, NULL);
}

static void test_epoll_items(void **state)
{
    (void)state;
    struct file *ep, *a, *b;
    assert_int_equal(epoll_create_file(&ep), 0);
    assert_int_equal(eventfd_create(0, LINUX_EFD_NONBLOCK, &a), 0);
    assert_int_equal(eventfd_create(0, LINUX_EFD_NONBLOCK, &b), 0);
    struct linux_epoll_event ev = {LINUX_EPOLLIN, 1}, out[4];
    assert_int_equal(epoll_ctl_file(ep, LINUX_EPOLL_CTL_ADD, 3, a, &ev), 0);
    ev.data = 2;
    ev.events = LINUX_EPOLLIN | LINUX_EPOLLET;
    assert_int_equal(epoll_ctl_file(ep, LINUX_EPOLL_CTL_ADD, 4, b, &ev), 0);
    assert_int_equal(ep_wait(ep, out, 4), 0);
    assert_int_equal(file_poll(ep, NULL), 0);
    assert_int_equal(efd_write(a, 1), 8);
    assert_int_equal(efd_write(b, 1), 8);
    assert_int_equal(file_poll(ep, NULL), LINUX_POLLIN | LINUX_POLLRDNORM);
    assert_int_equal(ep_wait(ep, out, 4), 2);
    assert_int_equal(out[0].data, 1);
    assert_int_equal(out[1].data, 2);
    /* Level-triggered a stays; edge-triggered b was reported. */
    assert_int_equal(ep_wait(ep, out, 4), 1);
    assert_int_equal(out[0].data, 1);

    /* A sleeping epoll_wait is woken by a write from another task. */
    struct linux_timespec deadline = waitqueue_deadline_after(5000000000LL);
    struct iovec iov = {out, 8};
    assert_int_equal(a->ops->read(a, &iov, 1, NULL), 8); /* a empty again */
    static struct op o;
    static uint64_t one = 1;
    op_start(&o, b, true, (char *)&one, sizeof one);
    op_join(&o);
    assert_int_equal(epoll_wait_file(&fake_task, ep, (uaddr_t)(uintptr_t)out, 4, &deadline, false),
                     1);
    assert_int_equal(out[0].data, 2);
    /* Interrupted: -EINTR (epoll_wait does not restart). */
    task_interrupt(&fake_task);
    assert_int_equal(epoll_wait_file(&fake_task, ep, (uaddr_t)(uintptr_t)out, 4, &deadline, false),
                     -LINUX_EINTR);
    task_interrupt_clear(&fake_task);

    /* The file's last reference drops its items. */
    assert_non_null(a->ep_items);
    file_put(a);
    assert_int_equal(efd_write(b, 1), 8);
    assert_int_equal(ep_wait(ep, out, 4), 1);
    assert_int_equal(out[0].data, 2);
    /* Closing the epoll file drops its items from b. */
    assert_non_null(b->ep_items);
    file_put(ep);
    assert_null(b->ep_items);
    file_put(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hostfd_read_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostfd_write_waits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostfd_regular_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoll_items, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

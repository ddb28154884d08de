/* Unit tests for sentry/kernel/waitqueue.c: blocking with the kernel lock
 * dropped, wake-ups, timeouts and interruptions, with real threads on a
 * kernel that has only its lock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"

/* --- a kernel with only its lock --- */

static struct kernel k;
struct kernel *kernel_global = &k;
static __thread bool lock_held;

void kernel_lock(struct kernel *kk)
{
    pthread_mutex_lock(&kk->lock);
    lock_held = true;
}

void kernel_unlock(struct kernel *kk)
{
    lock_held = false;
    pthread_mutex_unlock(&kk->lock);
}

void kernel_assert_held(struct kernel *kk)
{
    (void)kk;
    assert_true(lock_held);
}

static struct task tasks[4];

static int setup(void **state)
{
    (void)state;
    memset(&k, 0, sizeof(k));
    pthread_mutex_init(&k.lock, NULL);
    memset(tasks, 0, sizeof(tasks));
    for (int i = 0; i < 4; i++) {
        tasks[i].k = &k;
        tasks[i].tid = i + 1;
    }
    k.init = &tasks[0];
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- a condition some thread makes true --- */

struct cond {
    struct waitqueue wq;
    int value;
};

static bool cond_ready(void *arg)
{
    return ((struct cond *)arg)->value > 0;
}

struct waiter_arg {
    struct cond *c;
    struct task *t;
    int64_t timeout_ms; /* < 0: none */
    int result;
    bool done;
};

static void *waiter_main(void *p)
{
    struct waiter_arg *w = p;
    task_set_current(w->t);
    kernel_lock(&k);
    struct linux_timespec dl;
    if (w->timeout_ms >= 0)
        dl = waitqueue_deadline_after(w->timeout_ms * 1000000);
    w->result = waitqueue_wait(&w->c->wq, w->t, cond_ready, w->c, w->timeout_ms >= 0 ? &dl : NULL);
    w->done = true;
    kernel_unlock(&k);
    return NULL;
}

/* Waits (lock dropped) until t sleeps in task_block. */
static void wait_asleep(struct task *t)
{
    for (int i = 0; i < 5000; i++) {
        kernel_lock(&k);
        bool asleep = t->sleep != NULL;
        kernel_unlock(&k);
        if (asleep)
            return;
        usleep(1000);
    }
    fail_msg("task %d never slept", t->tid);
}

static void test_ready_at_once(void **state)
{
    (void)state;
    struct cond c = {.value = 1};
    kernel_lock(&k);
    assert_int_equal(waitqueue_wait(&c.wq, &tasks[0], cond_ready, &c, NULL), 0);
    assert_false(waitqueue_active(&c.wq));
    kernel_unlock(&k);
}

static void test_wake_all(void **state)
{
    (void)state;
    struct cond c = {0};
    struct waiter_arg w[2] = {{.c = &c, .t = &tasks[1], .timeout_ms = -1},
                              {.c = &c, .t = &tasks[2], .timeout_ms = -1}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, waiter_main, &w[i]);
    wait_asleep(&tasks[1]);
    wait_asleep(&tasks[2]);
    kernel_lock(&k);
    assert_true(waitqueue_active(&c.wq));
    /* A wake-up without the condition: they sleep again. */
    waitqueue_wake_all(&c.wq);
    kernel_unlock(&k);
    usleep(20000);
    kernel_lock(&k);
    assert_false(w[0].done || w[1].done);
    c.value = 1;
    waitqueue_wake_all(&c.wq);
    kernel_unlock(&k);
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        assert_true(w[i].done);
        assert_int_equal(w[i].result, 0);
    }
    assert_false(waitqueue_active(&c.wq));
}

static void test_wake_one(void **state)
{
    (void)state;
    struct cond c = {0};
    struct waiter_arg w[2] = {{.c = &c, .t = &tasks[1], .timeout_ms = -1},
                              {.c = &c, .t = &tasks[2], .timeout_ms = -1}};
    pthread_t th[2];
    pthread_create(&th[0], NULL, waiter_main, &w[0]);
    wait_asleep(&tasks[1]);
    pthread_create(&th[1], NULL, waiter_main, &w[1]);
    wait_asleep(&tasks[2]);
    kernel_lock(&k);
    c.value = 1;
    waitqueue_wake_one(&c.wq); /* the first registered */
    kernel_unlock(&k);
    pthread_join(th[0], NULL);
    kernel_lock(&k);
    assert_true(w[0].done);
    assert_false(w[1].done);
    waitqueue_wake_one(&c.wq);
    kernel_unlock(&k);
    pthread_join(th[1], NULL);
    assert_int_equal(w[1].result, 0);
}

static void test_timeout(void **state)
{
    (void)state;
    struct cond c = {0};
    struct waiter_arg w = {.c = &c, .t = &tasks[1], .timeout_ms = 50};
    int64_t start = now_ms();
    waiter_main(&w);
    int64_t took = now_ms() - start;
    assert_int_equal(w.result, -LINUX_ETIMEDOUT);
    assert_true(took >= 45);
    assert_true(took < 2000);
    assert_false(waitqueue_active(&c.wq));
    assert_null(tasks[1].sleep);
}

static void test_deadline_past(void **state)
{
    (void)state;
    struct cond c = {0};
    struct linux_timespec past = {0, 0};
    kernel_lock(&k);
    assert_int_equal(waitqueue_wait(&c.wq, &tasks[0], cond_ready, &c, &past), -LINUX_ETIMEDOUT);
    struct linux_timespec bad = {0, 2000000000};
    assert_int_equal(task_block(&tasks[0], &bad), -LINUX_EINVAL);
    kernel_unlock(&k);
}

static void test_interrupt(void **state)
{
    (void)state;
    struct cond c = {0};
    struct waiter_arg w = {.c = &c, .t = &tasks[1], .timeout_ms = -1};
    pthread_t th;
    pthread_create(&th, NULL, waiter_main, &w);
    wait_asleep(&tasks[1]);
    kernel_lock(&k);
    task_interrupt(&tasks[1]);
    kernel_unlock(&k);
    pthread_join(th, NULL);
    assert_int_equal(w.result, -LINUX_ERESTARTSYS);
    /* A level: the next wait fails at once, until cleared. */
    kernel_lock(&k);
    assert_int_equal(task_block(&tasks[1], NULL), -LINUX_ERESTARTSYS);
    task_interrupt_clear(&tasks[1]);
    struct linux_timespec dl = waitqueue_deadline_after(1000000);
    assert_int_equal(task_block(&tasks[1], &dl), -LINUX_ETIMEDOUT);
    /* An interruption with the condition true counts as the event. */
    c.value = 1;
    task_interrupt(&tasks[1]);
    assert_int_equal(waitqueue_wait(&c.wq, &tasks[1], cond_ready, &c, NULL), 0);
    task_interrupt_clear(&tasks[1]);
    kernel_unlock(&k);
}

/* A wake-up between registering and sleeping is not lost. */
static void test_wake_before_block(void **state)
{
    (void)state;
    struct waitqueue wq = {0};
    struct waitqueue_entry e;
    kernel_lock(&k);
    waitqueue_add(&wq, &e, &tasks[0]);
    waitqueue_wake_all(&wq);
    assert_int_equal(task_block(&tasks[0], NULL), 0);
    waitqueue_remove(&wq, &e);
    assert_false(waitqueue_active(&wq));
    kernel_unlock(&k);
}

/* One task on several queues (poll's pattern). */
static void test_many_queues(void **state)
{
    (void)state;
    struct waitqueue q[3] = {{0}};
    struct waitqueue_entry e[3];
    kernel_lock(&k);
    for (int i = 0; i < 3; i++)
        waitqueue_add(&q[i], &e[i], &tasks[0]);
    waitqueue_remove(&q[1], &e[1]);
    assert_false(waitqueue_active(&q[1]));
    waitqueue_wake_one(&q[2]);
    assert_int_equal(task_block(&tasks[0], NULL), 0);
    waitqueue_remove(&q[0], &e[0]);
    waitqueue_remove(&q[2], &e[2]);
    kernel_unlock(&k);
}

static void test_current(void **state)
{
    (void)state;
    task_set_current(NULL);
    assert_ptr_equal(task_current(), &tasks[0]); /* init until task_run sets it */
    task_set_current(&tasks[2]);
    assert_ptr_equal(task_current(), &tasks[2]);
    task_set_current(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ready_at_once, setup),
        cmocka_unit_test_setup(test_wake_all, setup),
        cmocka_unit_test_setup(test_wake_one, setup),
        cmocka_unit_test_setup(test_timeout, setup),
        cmocka_unit_test_setup(test_deadline_past, setup),
        cmocka_unit_test_setup(test_interrupt, setup),
        cmocka_unit_test_setup(test_wake_before_block, setup),
        cmocka_unit_test_setup(test_many_queues, setup),
        cmocka_unit_test_setup(test_current, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

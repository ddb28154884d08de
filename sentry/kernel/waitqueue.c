/* Wait queues and task blocking (see waitqueue.h).
 *
 * A sleeping task waits on a condition variable of its own (struct
 * task_sleep, on its stack while it sleeps) bound to the kernel mutex, so
 * pthread_cond_wait drops the kernel lock for exactly as long as the task
 * sleeps. t->sleep points at it so wakers and task_interrupt can signal it.
 *
 * Lock order: the kernel lock covers every field used here. */
#include "sentry/kernel/waitqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "abi/linux/errno.h"
#include "lib/panic.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

struct task_sleep {
    pthread_cond_t cond;
};

static __thread struct task *current_task;

struct task *task_current(void)
{
    if (current_task)
        return current_task;
    return kernel_global ? kernel_global->init : NULL;
}

struct task *task_current_or_null(void)
{
    return current_task;
}

void task_set_current(struct task *t)
{
    current_task = t;
}

void waitqueue_init(struct waitqueue *wq)
{
    wq->first = wq->last = NULL;
}

bool waitqueue_active(const struct waitqueue *wq)
{
    return wq->first != NULL;
}

/* Appends e to wq. */
static void waitqueue_link(struct waitqueue *wq, struct waitqueue_entry *e)
{
    e->next = NULL;
    e->prev = wq->last;
    if (wq->last)
        wq->last->next = e;
    else
        wq->first = e;
    wq->last = e;
}

void waitqueue_add(struct waitqueue *wq, struct waitqueue_entry *e, struct task *t)
{
    kernel_assert_held(t->k);
    e->task = t;
    e->func = NULL;
    e->priv = NULL;
    waitqueue_link(wq, e);
}

void waitqueue_add_func(struct waitqueue *wq, struct waitqueue_entry *e,
                        void (*func)(struct waitqueue_entry *e), void *priv)
{
    kernel_assert_held(kernel_global);
    e->task = NULL;
    e->func = func;
    e->priv = priv;
    waitqueue_link(wq, e);
}

void waitqueue_remove(struct waitqueue *wq, struct waitqueue_entry *e)
{
    kernel_assert_held(kernel_global);
    if (e->prev)
        e->prev->next = e->next;
    else
        wq->first = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        wq->last = e->prev;
    e->prev = e->next = NULL;
}

static void wake_task(struct task *t)
{
    t->wake_pending = true;
    if (t->sleep)
        pthread_cond_signal(&t->sleep->cond);
}

void waitqueue_wake_one(struct waitqueue *wq)
{
    /* The first task not already woken, so two wake_one calls wake two
     * tasks; if all are woken, nothing more to do. */
    kernel_assert_held(kernel_global);
    for (struct waitqueue_entry *e = wq->first, *next; e; e = next) {
        next = e->next;
        if (e->func) {
            e->func(e);
            continue; /* callbacks do not count as the one task woken */
        }
        if (!e->task->wake_pending) {
            wake_task(e->task);
            return;
        }
    }
}

void waitqueue_wake_all(struct waitqueue *wq)
{
    kernel_assert_held(kernel_global);
    for (struct waitqueue_entry *e = wq->first, *next; e; e = next) {
        next = e->next;
        if (e->func)
            e->func(e);
        else
            wake_task(e->task);
    }
}

int task_block(struct task *t, const struct linux_timespec *deadline)
{
    struct kernel *k = t->k;
    kernel_assert_held(k);
    if (t->wake_pending) {
        t->wake_pending = false;
        return 0;
    }
    if (t->interrupt_pending)
        return -LINUX_ERESTARTSYS;
    if (deadline && (deadline->tv_nsec < 0 || deadline->tv_nsec >= LINUX_NSEC_PER_SEC))
        return -LINUX_EINVAL;

    struct task_sleep s;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    SENTRY_ASSERT(pthread_cond_init(&s.cond, &attr) == 0);
    pthread_condattr_destroy(&attr);
    SENTRY_ASSERT(t->sleep == NULL);
    t->sleep = &s;

    int ret = 0;
    while (!t->wake_pending && !t->interrupt_pending) {
        if (!deadline) {
            pthread_cond_wait(&s.cond, &k->lock);
            continue;
        }
        struct timespec ts = {.tv_sec = deadline->tv_sec, .tv_nsec = deadline->tv_nsec};
        int err = pthread_cond_timedwait(&s.cond, &k->lock, &ts);
        if (err == ETIMEDOUT) {
            ret = -LINUX_ETIMEDOUT;
            break;
        }
    }
    t->sleep = NULL;
    pthread_cond_destroy(&s.cond);

    /* A wake-up wins over an interruption or a timeout that came with it:
     * the caller re-checks its condition, and the next block reports the
     * interruption. */
    if (t->wake_pending) {
        t->wake_pending = false;
        return 0;
    }
    if (t->interrupt_pending)
        return -LINUX_ERESTARTSYS;
    return ret;
}

int waitqueue_wait(struct waitqueue *wq, struct task *t, bool (*ready)(void *arg), void *arg,
                   const struct linux_timespec *deadline)
{
    kernel_assert_held(t->k);
    if (ready(arg))
        return 0;
    /* Not registered anywhere: an old wake-up means nothing here. */
    t->wake_pending = false;
    struct waitqueue_entry e;
    waitqueue_add(wq, &e, t);
    int ret;
    for (;;) {
        if (ready(arg)) {
            ret = 0;
            break;
        }
        ret = task_block(t, deadline);
        if (ret != 0) {
            /* Linux's wait_event_*: the condition is checked once more, so
             * an event and a signal at the same time count as the event. */
            if (ready(arg))
                ret = 0;
            break;
        }
    }
    waitqueue_remove(wq, &e);
    return ret;
}

void waitqueue_wait_killable(struct waitqueue *wq, struct task *t, bool (*ready)(void *arg),
                             void *arg)
{
    while (!ready(arg) && !t->exiting) {
        /* Hide the interruption from this wait only: a signal that comes
         * meanwhile sets it again and is kept for the task loop. */
        bool pending = t->interrupt_pending;
        t->interrupt_pending = false;
        waitqueue_wait(wq, t, ready, arg, NULL);
        t->interrupt_pending |= pending;
    }
}

void task_interrupt(struct task *t)
{
    kernel_assert_held(t->k);
    t->interrupt_pending = true;
    if (t->sleep)
        pthread_cond_signal(&t->sleep->cond);
}

void task_interrupt_clear(struct task *t)
{
    kernel_assert_held(t->k);
    t->interrupt_pending = false;
}

struct linux_timespec waitqueue_deadline_after(int64_t timeout_ns)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (timeout_ns < 0)
        timeout_ns = 0;
    int64_t sec = now.tv_sec + timeout_ns / LINUX_NSEC_PER_SEC;
    int64_t nsec = now.tv_nsec + timeout_ns % LINUX_NSEC_PER_SEC;
    if (nsec >= LINUX_NSEC_PER_SEC) {
        sec++;
        nsec -= LINUX_NSEC_PER_SEC;
    }
    return (struct linux_timespec){.tv_sec = sec, .tv_nsec = nsec};
}

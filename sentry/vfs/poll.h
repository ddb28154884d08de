/* Readiness: the file_ops.poll protocol shared by poll, select, epoll and
 * every file type (Linux's poll_table).
 *
 * file_ops.poll(f, pt) returns f's current readiness as LINUX_POLL* bits
 * and, when pt is not NULL, calls poll_wait(pt, wq) for every wait queue
 * that is woken when that readiness may change. The caller (poll, select,
 * epoll) decides what a registration does: poll/select put the task to
 * sleep on every queue; epoll hangs a callback entry there.
 *
 * A file without a poll op is always ready for reading and writing
 * (regular files, directories): file_poll() answers for it.
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>

#include "sentry/kernel/waitqueue.h"

struct file;
struct task;
struct poll_table;

/* What a registration does: queue_proc is called once per (table, queue)
 * pair (duplicates are filtered by poll_wait). */
typedef void (*poll_queue_fn)(struct poll_table *pt, struct waitqueue *wq);

struct poll_entry {
    struct waitqueue_entry e;
    struct waitqueue *wq;
};

struct poll_table {
    /* Called for each queue; NULL registers the task below (poll_table_init). */
    poll_queue_fn queue_proc;
    struct task *task;
    /* The task registrations made so far (queue_proc == NULL). */
    struct poll_entry *entries;
    int n, cap;
    bool failed; /* out of memory: the caller must not sleep forever */
    void *priv;  /* queue_proc's */
};

/* A table that registers t on every queue it is given. */
void poll_table_init(struct poll_table *pt, struct task *t);
/* Removes every registration and frees the table's memory. */
void poll_table_release(struct poll_table *pt);
/* For file_ops.poll: wq is a queue whose wake-ups may change the readiness
 * being reported. No effect when pt is NULL. */
void poll_wait(struct poll_table *pt, struct waitqueue *wq);

/* f's readiness through its poll op (or the default for files without
 * one), masked by nothing: POLLERR/POLLHUP/POLLNVAL are included. */
unsigned file_poll(struct file *f, struct poll_table *pt);

/* Readiness: the file_ops.poll protocol shared by poll, select, epoll and
 * every file type (Linux's poll_table).
 *
 * file_ops.poll(f, pt) returns f's current readiness as LINUX_POLL* bits
 * and, when pt is not NULL, calls poll_wait(pt, wq) for every wait queue
 * that is woken when that readiness may change. The caller (poll, select,
 * epoll) decides what a registration does: poll/select put the task to
 * sleep on every queue; epoll hangs a callback entry there.
 *
 * Wake-ups carry no event mask (Linux's wake_up_poll key): a file whose
 * readiness changes through several queues may use pt->key, the events
 * the caller asks about, to register only on the queues that signal those
 * (a pipe's read end needs only the readers' queue). Callers always
 * re-check readiness through the poll op after a wake-up, so registering
 * on more queues than needed costs spurious wake-ups, never wrong answers
 * (except for EPOLLET, which reports one event per wake-up that finds the
 * file ready).
 *
 * A queue given to poll_wait must live as long as the file: epoll drops
 * its callback entries when the file's last reference goes
 * (epoll_file_release), poll/select hold a file reference per
 * registration.
 *
 * A file without a poll op is always ready for reading and writing
 * (regular files, directories, /dev/null): file_poll() answers for it,
 * and epoll refuses it (EPERM), as Linux does.
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
    struct file *file; /* referenced: keeps wq alive until poll_table_release */
};

struct poll_table {
    /* Called for each queue; NULL registers the task below (poll_table_init). */
    poll_queue_fn queue_proc;
    struct task *task;
    /* The events the caller asks about (LINUX_POLL*; POLLERR and POLLHUP
     * are always reported). ~0 when unknown. */
    unsigned key;
    /* The file whose poll op runs (set by file_poll). */
    struct file *file;
    /* The task registrations made so far (queue_proc == NULL). */
    struct poll_entry *entries;
    int n, cap;
    bool failed; /* out of memory: the caller must not sleep forever */
    void *priv;  /* queue_proc's */
};

/* A table that registers t on every queue it is given. */
void poll_table_init(struct poll_table *pt, struct task *t);
/* Removes every registration, drops their file references and frees the
 * table's memory. */
void poll_table_release(struct poll_table *pt);
/* For file_ops.poll: wq is a queue whose wake-ups may change the readiness
 * being reported. No effect when pt is NULL. */
void poll_wait(struct poll_table *pt, struct waitqueue *wq);
/* The events pt's caller asks about (all when pt is NULL), for files that
 * choose their queues by event. */
static inline unsigned poll_requested_events(const struct poll_table *pt)
{
    return pt ? pt->key : ~0U;
}

/* f's readiness through its poll op (or the default for files without
 * one), masked by nothing: POLLERR/POLLHUP/POLLNVAL are included. */
unsigned file_poll(struct file *f, struct poll_table *pt);
/* Whether f has a poll op of its own (Linux's file_can_poll): epoll
 * accepts only such files. */
bool file_can_poll(const struct file *f);

/* Drops every epoll item watching f (sentry/fs/anon/epoll.c); file_put
 * calls it before the file's release op when f->ep_items is set. */
void epoll_file_release(struct file *f);

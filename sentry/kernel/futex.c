/* Futexes (see futex.h): a hash of waiter lists. Each waiter sleeps on its
 * own wait queue, so a wake picks exactly the waiters it matches. */
#include "sentry/kernel/futex.h"

#include <stddef.h>

#include "abi/linux/errno.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"

#define FUTEX_BUCKETS 256

struct futex_key {
    const void *space; /* the mm (private) or NULL (shared) */
    uintptr_t addr;    /* the application address (private) or the
                          sentry's address of the memory-file byte (shared) */
};

struct futex_waiter {
    struct futex_waiter *next;
    struct futex_key key;
    uint32_t bitset;
    bool woken;
    struct waitqueue wq;
};

static struct futex_waiter *futex_buckets[FUTEX_BUCKETS];

static int futex_key_of(struct task *t, uaddr_t uaddr, bool private_futex,
                        struct futex_key *out_key)
{
    if (uaddr & 3)
        return -LINUX_EINVAL;
    if (private_futex) {
        *out_key = (struct futex_key){.space = t->mm, .addr = uaddr};
        return 0;
    }
    size_t avail;
    void *p = mm_translate(t->mm, uaddr, false, &avail);
    if (!p || avail < sizeof(uint32_t))
        return -LINUX_EFAULT;
    *out_key = (struct futex_key){.space = NULL, .addr = (uintptr_t)p};
    return 0;
}

static struct futex_waiter **futex_bucket(const struct futex_key *k)
{
    uintptr_t h = (k->addr >> 2) ^ ((uintptr_t)k->space >> 4);
    h ^= h >> 17;
    return &futex_buckets[h % FUTEX_BUCKETS];
}

int futex_wait(struct task *t, uaddr_t uaddr, bool private_futex, uint32_t val, uint32_t bitset,
               const struct linux_timespec *deadline)
{
    if (bitset == 0)
        return -LINUX_EINVAL;
    struct futex_waiter w = {.bitset = bitset};
    int err = futex_key_of(t, uaddr, private_futex, &w.key);
    if (err)
        return err;
    uint32_t cur;
    if (copy_in(t->mm, &cur, uaddr, sizeof(cur)) < 0)
        return -LINUX_EFAULT;
    if (cur != val)
        return -LINUX_EAGAIN;
    /* The value was read with the kernel lock held, and a waker must take
     * it to wake us: no wake-up can slip between the read and the wait. */
    struct futex_waiter **bucket = futex_bucket(&w.key);
    w.next = *bucket;
    *bucket = &w;
    struct waitqueue_entry e;
    waitqueue_add(&w.wq, &e, t);
    while (!w.woken && err == 0)
        err = task_block(t, deadline);
    waitqueue_remove(&w.wq, &e);
    if (!w.woken) {
        for (struct futex_waiter **p = bucket; *p; p = &(*p)->next) {
            if (*p == &w) {
                *p = w.next;
                break;
            }
        }
        return err ? err : -LINUX_ERESTARTSYS;
    }
    return 0;
}

int futex_wake(struct task *t, uaddr_t uaddr, bool private_futex, int count, uint32_t bitset)
{
    if (bitset == 0)
        return -LINUX_EINVAL;
    struct futex_key key;
    int err = futex_key_of(t, uaddr, private_futex, &key);
    if (err)
        return err;
    int woken = 0;
    struct futex_waiter **p = futex_bucket(&key);
    while (*p && woken < count) {
        struct futex_waiter *w = *p;
        if (w->key.space == key.space && w->key.addr == key.addr && (w->bitset & bitset)) {
            *p = w->next; /* unlinked here: the waiter sees woken */
            w->woken = true;
            waitqueue_wake_all(&w->wq);
            woken++;
        } else {
            p = &w->next;
        }
    }
    return woken;
}

/* Futexes (see futex.h): a hash of waiter lists, each in arrival order.
 * Each waiter sleeps on its own wait queue, so a wake picks exactly the
 * waiters it matches, and a requeue moves a waiter to another key without
 * waking it.
 *
 * The futex word is read and changed through the sentry's mapping of the
 * memory file with atomic instructions: the application's threads may be
 * running on other CPUs and touching the same word. */
#include "sentry/kernel/futex.h"

#include <stddef.h>

#include "abi/linux/errno.h"
#include "abi/linux/futex.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/waitqueue.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/vma.h"

#define FUTEX_BUCKETS 256
/* x86_64 TASK_SIZE_MAX with 4-level paging: access_ok()'s limit. */
#define FUTEX_TASK_SIZE_MAX 0x7ffffffff000ULL

struct futex_key {
    const void *space; /* the mm, or NULL for a memory-file byte */
    uintptr_t addr;    /* the application address, or the sentry's address
                          of the memory-file byte */
    bool shared;       /* no FUTEX_PRIVATE_FLAG */
};

struct futex_waiter {
    struct futex_waiter *prev, *next;
    struct futex_key key;
    uint32_t bitset;
    bool woken;
    struct waitqueue wq;
};

struct futex_bucket {
    struct futex_waiter *first, *last;
};

static struct futex_bucket futex_buckets[FUTEX_BUCKETS];

/* Linux's get_futex_key(). */
static int futex_key_of(struct mm *mm, uaddr_t uaddr, bool private_futex, struct futex_key *out_key)
{
    if (uaddr & 3)
        return -LINUX_EINVAL;
    if (uaddr > FUTEX_TASK_SIZE_MAX - sizeof(uint32_t))
        return -LINUX_EFAULT;
    if (private_futex) {
        *out_key = (struct futex_key){.space = mm, .addr = uaddr, .shared = false};
        return 0;
    }
    size_t avail;
    void *p = mm_translate(mm, uaddr, false, &avail);
    const struct vma *v = vma_find(&mm->vmas, uaddr);
    if (!p || !v)
        return -LINUX_EFAULT;
    if (v->flags & VMA_SHARED)
        *out_key = (struct futex_key){.space = NULL, .addr = (uintptr_t)p, .shared = true};
    else
        *out_key = (struct futex_key){.space = mm, .addr = uaddr, .shared = true};
    return 0;
}

static bool futex_key_eq(const struct futex_key *a, const struct futex_key *b)
{
    return a->space == b->space && a->addr == b->addr && a->shared == b->shared;
}

static struct futex_bucket *futex_bucket(const struct futex_key *k)
{
    uintptr_t h = (k->addr >> 2) ^ ((uintptr_t)k->space >> 4) ^ (uintptr_t)k->shared;
    h ^= h >> 17;
    return &futex_buckets[h % FUTEX_BUCKETS];
}

static void bucket_append(struct futex_bucket *b, struct futex_waiter *w)
{
    w->next = NULL;
    w->prev = b->last;
    if (b->last)
        b->last->next = w;
    else
        b->first = w;
    b->last = w;
}

static void bucket_unlink(struct futex_bucket *b, struct futex_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        b->first = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        b->last = w->prev;
    w->prev = w->next = NULL;
}

/* Unlinks w (the waiter sees woken and returns 0) and wakes its task. */
static void futex_wake_waiter(struct futex_bucket *b, struct futex_waiter *w)
{
    bucket_unlink(b, w);
    w->woken = true;
    waitqueue_wake_all(&w->wq);
}

/* The futex word at uaddr (4-aligned, so within one page) in the sentry's
 * mapping, faulting it in (and copying a copy-on-write page for a write);
 * NULL if the mapping forbids the access. */
static uint32_t *futex_word(struct mm *mm, uaddr_t uaddr, bool write)
{
    size_t avail;
    void *p = mm_translate(mm, uaddr, write, &avail);
    return p && avail >= sizeof(uint32_t) ? p : NULL;
}

/* Wakes up to nr_wake (at least one) waiters of key whose bitset
 * intersects bitset. */
static int futex_wake_key(const struct futex_key *key, int nr_wake, uint32_t bitset)
{
    struct futex_bucket *b = futex_bucket(key);
    int woken = 0;
    struct futex_waiter *next;
    for (struct futex_waiter *w = b->first; w; w = next) {
        next = w->next;
        if (!futex_key_eq(&w->key, key) || !(w->bitset & bitset))
            continue;
        futex_wake_waiter(b, w);
        if (++woken >= nr_wake)
            break;
    }
    return woken;
}

int futex_wait(struct task *t, uaddr_t uaddr, bool private_futex, uint32_t val, uint32_t bitset,
               const struct linux_timespec *deadline)
{
    if (bitset == 0)
        return -LINUX_EINVAL;
    struct futex_waiter w = {.bitset = bitset};
    int err = futex_key_of(t->mm, uaddr, private_futex, &w.key);
    if (err)
        return err;
    const uint32_t *word = futex_word(t->mm, uaddr, false);
    if (!word)
        return -LINUX_EFAULT;
    if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != val)
        return -LINUX_EAGAIN;
    /* The value was read with the kernel lock held, and a waker must take
     * it to wake us: no wake-up can slip between the read and the wait. */
    bucket_append(futex_bucket(&w.key), &w);
    struct waitqueue_entry e;
    waitqueue_add(&w.wq, &e, t);
    while (!w.woken && err == 0)
        err = task_block(t, deadline);
    waitqueue_remove(&w.wq, &e);
    if (w.woken) /* woken, whatever else happened */
        return 0;
    /* A requeue may have moved w: its key says where it is now. */
    bucket_unlink(futex_bucket(&w.key), &w);
    if (err == -LINUX_ETIMEDOUT)
        return err;
    return deadline ? -LINUX_ERESTARTNOHAND : -LINUX_ERESTARTSYS;
}

int futex_wake(struct task *t, uaddr_t uaddr, bool private_futex, int nr_wake, uint32_t bitset)
{
    if (bitset == 0)
        return -LINUX_EINVAL;
    struct futex_key key;
    int err = futex_key_of(t->mm, uaddr, private_futex, &key);
    if (err)
        return err;
    return futex_wake_key(&key, nr_wake, bitset);
}

int futex_requeue(struct task *t, uaddr_t uaddr1, uaddr_t uaddr2, bool private_futex, int nr_wake,
                  int nr_requeue, const uint32_t *cmpval)
{
    if (nr_wake < 0 || nr_requeue < 0)
        return -LINUX_EINVAL;
    struct futex_key key1, key2;
    int err = futex_key_of(t->mm, uaddr1, private_futex, &key1);
    if (!err)
        err = futex_key_of(t->mm, uaddr2, private_futex, &key2);
    if (err)
        return err;
    if (cmpval) {
        const uint32_t *word = futex_word(t->mm, uaddr1, false);
        if (!word)
            return -LINUX_EFAULT;
        if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != *cmpval)
            return -LINUX_EAGAIN;
    }
    struct futex_bucket *b1 = futex_bucket(&key1), *b2 = futex_bucket(&key2);
    int count = 0;
    struct futex_waiter *next;
    for (struct futex_waiter *w = b1->first; w; w = next) {
        next = w->next;
        if (count - nr_wake >= nr_requeue)
            break;
        if (!futex_key_eq(&w->key, &key1))
            continue;
        if (++count <= nr_wake) {
            futex_wake_waiter(b1, w);
            continue;
        }
        /* Requeue: within one bucket only the key changes (the order
         * stays), as in Linux's requeue_futex(). */
        w->key = key2;
        if (b1 != b2) {
            bucket_unlink(b1, w);
            bucket_append(b2, w);
        }
    }
    return count;
}

static int32_t sign_extend12(uint32_t x)
{
    return (int32_t)(x << 20) >> 20;
}

/* Linux's futex_atomic_op_inuser(): 1 if the comparison holds, 0 if not,
 * or -EFAULT / -ENOSYS. */
static int futex_atomic_op(struct mm *mm, uaddr_t uaddr, uint32_t encoded)
{
    unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    int32_t oparg = sign_extend12(encoded >> 12 & 0xfff), cmparg = sign_extend12(encoded & 0xfff);
    if (encoded & (LINUX_FUTEX_OP_OPARG_SHIFT << 28)) {
        /* Linux logs a shift outside 0..31 and masks it. */
        oparg = (int32_t)(1u << (oparg & 31));
    }
    if (op > LINUX_FUTEX_OP_XOR)
        return -LINUX_ENOSYS;
    uint32_t *word = futex_word(mm, uaddr, true);
    if (!word)
        return -LINUX_EFAULT;
    uint32_t arg = (uint32_t)oparg, old = 0;
    switch (op) {
    case LINUX_FUTEX_OP_SET:
        old = __atomic_exchange_n(word, arg, __ATOMIC_SEQ_CST);
        break;
    case LINUX_FUTEX_OP_ADD:
        old = __atomic_fetch_add(word, arg, __ATOMIC_SEQ_CST);
        break;
    case LINUX_FUTEX_OP_OR:
        old = __atomic_fetch_or(word, arg, __ATOMIC_SEQ_CST);
        break;
    case LINUX_FUTEX_OP_ANDN:
        old = __atomic_fetch_and(word, ~arg, __ATOMIC_SEQ_CST);
        break;
    case LINUX_FUTEX_OP_XOR:
        old = __atomic_fetch_xor(word, arg, __ATOMIC_SEQ_CST);
        break;
    }
    int32_t oldval = (int32_t)old;
    switch (cmp) {
    case LINUX_FUTEX_OP_CMP_EQ:
        return oldval == cmparg;
    case LINUX_FUTEX_OP_CMP_NE:
        return oldval != cmparg;
    case LINUX_FUTEX_OP_CMP_LT:
        return oldval < cmparg;
    case LINUX_FUTEX_OP_CMP_GE:
        return oldval >= cmparg;
    case LINUX_FUTEX_OP_CMP_LE:
        return oldval <= cmparg;
    case LINUX_FUTEX_OP_CMP_GT:
        return oldval > cmparg;
    default:
        return -LINUX_ENOSYS;
    }
}

int futex_wake_op(struct task *t, uaddr_t uaddr1, uaddr_t uaddr2, bool private_futex, int nr_wake,
                  int nr_wake2, uint32_t encoded_op)
{
    struct futex_key key1, key2;
    int err = futex_key_of(t->mm, uaddr1, private_futex, &key1);
    if (!err)
        err = futex_key_of(t->mm, uaddr2, private_futex, &key2);
    if (err)
        return err;
    int op_ret = futex_atomic_op(t->mm, uaddr2, encoded_op);
    if (op_ret < 0)
        return op_ret;
    /* Bitsets do not matter here, as in Linux. */
    int woken = futex_wake_key(&key1, nr_wake, LINUX_FUTEX_BITSET_MATCH_ANY);
    if (op_ret > 0)
        woken += futex_wake_key(&key2, nr_wake2, LINUX_FUTEX_BITSET_MATCH_ANY);
    return woken;
}

/* Linux's handle_futex_death() for the lock word at uaddr in mm, owned by
 * t if its tid field says so. Returns -1 to stop the walk. */
static int futex_handle_death(struct task *t, struct mm *mm, uaddr_t uaddr, bool pi,
                              bool pending_op)
{
    if (uaddr & 3)
        return -1;
    for (;;) {
        const uint32_t *rword = futex_word(mm, uaddr, false);
        if (!rword)
            return -1;
        uint32_t uval = __atomic_load_n(rword, __ATOMIC_SEQ_CST);
        uint32_t owner = uval & LINUX_FUTEX_TID_MASK;
        struct futex_key key;
        /* A pending unlock that released the word before the owner died:
         * wake a waiter, leave the word alone. */
        if (pending_op && !pi && owner == 0) {
            if (futex_key_of(mm, uaddr, false, &key) == 0)
                futex_wake_key(&key, 1, LINUX_FUTEX_BITSET_MATCH_ANY);
            return 0;
        }
        if (owner != (uint32_t)t->tid)
            return 0;
        uint32_t *word = futex_word(mm, uaddr, true);
        if (!word)
            return -1;
        uint32_t mval = (uval & LINUX_FUTEX_WAITERS) | LINUX_FUTEX_OWNER_DIED;
        if (!__atomic_compare_exchange_n(word, &uval, mval, false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST))
            continue; /* the application changed it meanwhile */
        /* PI futexes would be woken by their PI state, which moat lacks. */
        if (!pi && (uval & LINUX_FUTEX_WAITERS) && futex_key_of(mm, uaddr, false, &key) == 0)
            futex_wake_key(&key, 1, LINUX_FUTEX_BITSET_MATCH_ANY);
        return 0;
    }
}

/* fetch_robust_entry(): an entry's address without its PI bit (bit 0). */
static int futex_fetch_entry(struct mm *mm, uaddr_t from, uaddr_t *out_entry, bool *out_pi)
{
    uint64_t v;
    if (copy_in(mm, &v, from, sizeof(v)) < 0)
        return -LINUX_EFAULT;
    *out_entry = v & ~1ULL;
    *out_pi = v & 1;
    return 0;
}

/* Linux's exit_robust_list(). */
static void futex_walk_robust_list(struct task *t, struct mm *mm)
{
    uaddr_t head = t->robust_list, entry, pending;
    bool pi, pending_pi;
    int64_t futex_offset;
    if (futex_fetch_entry(mm, head + offsetof(struct linux_robust_list_head, next), &entry, &pi))
        return;
    if (copy_in(mm, &futex_offset, head + offsetof(struct linux_robust_list_head, futex_offset),
                sizeof(futex_offset)) < 0)
        return;
    if (futex_fetch_entry(mm, head + offsetof(struct linux_robust_list_head, list_op_pending),
                          &pending, &pending_pi))
        return;
    unsigned limit = LINUX_ROBUST_LIST_LIMIT;
    while (entry != head) {
        uaddr_t next = 0;
        bool next_pi = false;
        int rc = futex_fetch_entry(mm, entry, &next, &next_pi);
        /* The pending entry may be on the list already: once is enough. */
        if (entry != pending &&
            futex_handle_death(t, mm, entry + (uint64_t)futex_offset, pi, false) != 0)
            return;
        if (rc)
            return;
        entry = next;
        pi = next_pi;
        if (--limit == 0)
            break;
    }
    if (pending)
        futex_handle_death(t, mm, pending + (uint64_t)futex_offset, pending_pi, true);
}

void futex_exit_robust_list(struct task *t)
{
    if (t->robust_list && t->mm)
        futex_walk_robust_list(t, t->mm);
    t->robust_list = 0;
}

void futex_exec_robust_list(struct task *t, struct mm *old_mm)
{
    if (t->robust_list && old_mm)
        futex_walk_robust_list(t, old_mm);
    t->robust_list = 0;
    t->robust_list_len = 0;
}

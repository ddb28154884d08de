/* Unit tests for sentry/kernel/futex.c: requeue, WAKE_OP, the keys of
 * private and shared futexes, and the robust-list walk at exit, on real
 * address spaces (sentry/mm over the fake platform of test_mm_fakes.c) with
 * real waiter threads on a kernel that has only its lock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/futex.h"
#include "abi/linux/mman.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "tests/unit/test_mm_fakes.h"

#define PG 0x1000ULL
#define RW (LINUX_PROT_READ | LINUX_PROT_WRITE)
#define PRIV_BASE 0x10000000ULL   /* private anonymous, 4 pages */
#define SHARED_BASE 0x20000000ULL /* shared anonymous, 1 page */
#define RO_BASE 0x30000000ULL     /* read-only private, 1 page */

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

/* No VFS here: the loader in the mm sources opens nothing. */
int vfs_open(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
             unsigned walk_flags, struct file **out_file)
{
    (void)t, (void)dirfd, (void)path, (void)flags, (void)mode, (void)walk_flags, (void)out_file;
    return -LINUX_ENOENT;
}

#define NTASKS 6
static struct task tasks[NTASKS];
static struct mm *mm;

static int setup(void **state)
{
    (void)state;
    fake_platform_setup();
    memset(&k, 0, sizeof(k));
    pthread_mutex_init(&k.lock, NULL);
    return 0;
}

/* A fresh mm shared by every task (the threads of one process). */
static int setup_mm(void **state)
{
    (void)state;
    mm = mm_new();
    assert_non_null(mm);
    assert_int_equal(mm_mmap(mm, PRIV_BASE, 4 * PG, RW,
                             LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED),
                     (long)PRIV_BASE);
    assert_int_equal(
        mm_mmap(mm, SHARED_BASE, PG, RW, LINUX_MAP_SHARED | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED),
        (long)SHARED_BASE);
    assert_int_equal(mm_mmap(mm, RO_BASE, PG, LINUX_PROT_READ,
                             LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED),
                     (long)RO_BASE);
    memset(tasks, 0, sizeof(tasks));
    for (int i = 0; i < NTASKS; i++) {
        tasks[i].k = &k;
        tasks[i].tid = 100 + i;
        tasks[i].mm = mm;
    }
    k.init = &tasks[0];
    return 0;
}

static int teardown_mm(void **state)
{
    (void)state;
    mm_put(mm);
    mm = NULL;
    return 0;
}

static uint32_t get32(struct mm *m, uaddr_t addr)
{
    uint32_t v = 0;
    assert_int_equal(copy_in(m, &v, addr, sizeof(v)), sizeof(v));
    return v;
}

static void put32(struct mm *m, uaddr_t addr, uint32_t v)
{
    assert_int_equal(copy_out(m, addr, &v, sizeof(v)), sizeof(v));
}

static void put64(struct mm *m, uaddr_t addr, uint64_t v)
{
    assert_int_equal(copy_out(m, addr, &v, sizeof(v)), sizeof(v));
}

/* --- waiter threads --- */

struct waiter {
    struct task *t;
    uaddr_t uaddr;
    bool private_futex;
    uint32_t val, bitset;
    int64_t timeout_ms; /* 0: none */
    pthread_t thread;
    int result;
    bool done;
};

static void *waiter_main(void *p)
{
    struct waiter *w = p;
    task_set_current(w->t);
    kernel_lock(&k);
    struct linux_timespec dl;
    if (w->timeout_ms)
        dl = waitqueue_deadline_after(w->timeout_ms * 1000000);
    w->result = futex_wait(w->t, w->uaddr, w->private_futex, w->val,
                           w->bitset ? w->bitset : LINUX_FUTEX_BITSET_MATCH_ANY,
                           w->timeout_ms ? &dl : NULL);
    w->done = true;
    kernel_unlock(&k);
    return NULL;
}

/* The number of tasks queued on uaddr, counted by requeueing them onto
 * their own key (which keeps them where they are). */
static int waiters_on(struct task *t, uaddr_t uaddr, bool private_futex)
{
    kernel_lock(&k);
    int n = futex_requeue(t, uaddr, uaddr, private_futex, 0, 1 << 30, NULL);
    kernel_unlock(&k);
    return n;
}

/* Starts w and returns once it is queued (asleep in futex_wait). */
static void start_waiter(struct waiter *w)
{
    int before = waiters_on(w->t, w->uaddr, w->private_futex);
    assert_int_equal(pthread_create(&w->thread, NULL, waiter_main, w), 0);
    for (int i = 0; i < 5000; i++) {
        kernel_lock(&k);
        bool asleep = w->t->sleep != NULL;
        kernel_unlock(&k);
        if (asleep && waiters_on(w->t, w->uaddr, w->private_futex) == before + 1)
            return;
        usleep(1000);
    }
    fail_msg("task %d never slept on the futex", w->t->tid);
}

static bool is_done(struct waiter *w)
{
    kernel_lock(&k);
    bool d = w->done;
    kernel_unlock(&k);
    return d;
}

static void join(struct waiter *w, int want)
{
    pthread_join(w->thread, NULL);
    assert_true(w->done);
    assert_int_equal(w->result, want);
}

/* Gives a woken thread time to run; a waiter still asleep after this was
 * not woken. */
static void settle(void)
{
    usleep(20000);
}

/* --- tests --- */

static void test_wait_value_and_errors(void **state)
{
    (void)state;
    struct task *t = &tasks[0];
    put32(mm, PRIV_BASE, 5);
    kernel_lock(&k);
    assert_int_equal(futex_wait(t, PRIV_BASE, true, 4, ~0u, NULL), -LINUX_EAGAIN);
    assert_int_equal(futex_wait(t, PRIV_BASE + 2, true, 5, ~0u, NULL), -LINUX_EINVAL);
    assert_int_equal(futex_wait(t, PRIV_BASE, true, 5, 0, NULL), -LINUX_EINVAL);
    assert_int_equal(futex_wait(t, 0x40000000, true, 0, ~0u, NULL), -LINUX_EFAULT);
    assert_int_equal(futex_wait(t, 0x40000000, false, 0, ~0u, NULL), -LINUX_EFAULT);
    /* A wake of nobody; a private one does not even need the memory. */
    assert_int_equal(futex_wake(t, 0x40000000, true, 1, ~0u), 0);
    assert_int_equal(futex_wake(t, 0x40000000, false, 1, ~0u), -LINUX_EFAULT);
    assert_int_equal(futex_wake(t, 0x7ffffffffffcULL, true, 1, ~0u), -LINUX_EFAULT);
    struct linux_timespec dl = waitqueue_deadline_after(10 * 1000000);
    assert_int_equal(futex_wait(t, PRIV_BASE, true, 5, ~0u, &dl), -LINUX_ETIMEDOUT);
    kernel_unlock(&k);
}

static void test_wake_fifo_and_count(void **state)
{
    (void)state;
    struct waiter w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (struct waiter){.t = &tasks[i + 1], .uaddr = PRIV_BASE, .private_futex = true};
        start_waiter(&w[i]);
    }
    /* nr_wake 0 wakes one, as Linux: the first to come. */
    kernel_lock(&k);
    assert_int_equal(futex_wake(&tasks[0], PRIV_BASE, true, 0, ~0u), 1);
    kernel_unlock(&k);
    join(&w[0], 0);
    settle();
    assert_false(is_done(&w[1]));
    assert_false(is_done(&w[2]));
    /* A shared wake does not meet private waiters. */
    kernel_lock(&k);
    assert_int_equal(futex_wake(&tasks[0], PRIV_BASE, false, 10, ~0u), 0);
    assert_int_equal(futex_wake(&tasks[0], PRIV_BASE, true, 10, ~0u), 2);
    kernel_unlock(&k);
    join(&w[1], 0);
    join(&w[2], 0);
}

static void test_bitset(void **state)
{
    (void)state;
    struct waiter a = {.t = &tasks[1], .uaddr = PRIV_BASE, .private_futex = true, .bitset = 1};
    struct waiter b = {.t = &tasks[2], .uaddr = PRIV_BASE, .private_futex = true, .bitset = 2};
    start_waiter(&a);
    start_waiter(&b);
    kernel_lock(&k);
    assert_int_equal(futex_wake(&tasks[0], PRIV_BASE, true, 10, 2), 1);
    kernel_unlock(&k);
    join(&b, 0);
    assert_false(is_done(&a));
    kernel_lock(&k);
    assert_int_equal(futex_wake(&tasks[0], PRIV_BASE, true, 10, 4), 0);
    assert_int_equal(futex_wake(&tasks[0], PRIV_BASE, true, 10, 0), -LINUX_EINVAL);
    assert_int_equal(futex_wake(&tasks[0], PRIV_BASE, true, 10, 1), 1);
    kernel_unlock(&k);
    join(&a, 0);
}

static void test_requeue(void **state)
{
    (void)state;
    const uaddr_t A = PRIV_BASE, B = PRIV_BASE + 64;
    put32(mm, A, 7);
    struct waiter w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct waiter){.t = &tasks[i + 1], .uaddr = A, .val = 7, .private_futex = true};
        start_waiter(&w[i]);
    }
    struct task *t = &tasks[0];
    kernel_lock(&k);
    assert_int_equal(futex_requeue(t, A, B, true, -1, 1, NULL), -LINUX_EINVAL);
    assert_int_equal(futex_requeue(t, A, B, true, 1, -1, NULL), -LINUX_EINVAL);
    assert_int_equal(futex_requeue(t, A, B + 1, true, 1, 1, NULL), -LINUX_EINVAL);
    /* CMP_REQUEUE: the value must still be what the caller saw. */
    uint32_t cmp = 8;
    assert_int_equal(futex_requeue(t, A, B, true, 1, 1, &cmp), -LINUX_EAGAIN);
    /* Wake one, move two: the first waiter wakes, the next two go to B. */
    cmp = 7;
    assert_int_equal(futex_requeue(t, A, B, true, 1, 2, &cmp), 3);
    kernel_unlock(&k);
    join(&w[0], 0);
    assert_int_equal(waiters_on(t, A, true), 1);
    assert_int_equal(waiters_on(t, B, true), 2);
    /* The moved waiters kept their order, and a wake of B reaches them. */
    kernel_lock(&k);
    assert_int_equal(futex_wake(t, B, true, 1, ~0u), 1);
    kernel_unlock(&k);
    join(&w[1], 0);
    settle();
    assert_false(is_done(&w[2]));
    /* Plain REQUEUE with nothing to wake: moves the rest. */
    kernel_lock(&k);
    assert_int_equal(futex_requeue(t, A, B, true, 0, 10, NULL), 1);
    assert_int_equal(futex_wake(t, A, true, 10, ~0u), 0);
    assert_int_equal(futex_wake(t, B, true, 10, ~0u), 2);
    kernel_unlock(&k);
    join(&w[2], 0);
    join(&w[3], 0);
}

static void test_requeue_timeout_after_move(void **state)
{
    (void)state;
    const uaddr_t A = PRIV_BASE, B = PRIV_BASE + 64;
    put32(mm, A, 0);
    struct waiter w = {.t = &tasks[1], .uaddr = A, .private_futex = true, .timeout_ms = 100};
    start_waiter(&w);
    kernel_lock(&k);
    assert_int_equal(futex_requeue(&tasks[0], A, B, true, 0, 1, NULL), 1);
    kernel_unlock(&k);
    /* It times out on B and leaves B's queue clean. */
    join(&w, -LINUX_ETIMEDOUT);
    assert_int_equal(waiters_on(&tasks[0], B, true), 0);
}

static void test_wake_op(void **state)
{
    (void)state;
    struct task *t = &tasks[0];
    const uaddr_t A = PRIV_BASE, B = PRIV_BASE + 64;
#define OP(op, oparg, cmp, cmparg)                                                                 \
    ((uint32_t)(((op)&0xf) << 28 | ((cmp)&0xf) << 24 | ((oparg)&0xfff) << 12 | ((cmparg)&0xfff)))
    kernel_lock(&k);
    put32(mm, B, 10);
    /* ADD 5, old 10 > 9: holds; nobody waits, so 0 woken. */
    assert_int_equal(
        futex_wake_op(t, A, B, true, 1, 1, OP(LINUX_FUTEX_OP_ADD, 5, LINUX_FUTEX_OP_CMP_GT, 9)), 0);
    assert_int_equal(get32(mm, B), 15);
    assert_int_equal(
        futex_wake_op(t, A, B, true, 1, 1, OP(LINUX_FUTEX_OP_SET, -1, LINUX_FUTEX_OP_CMP_EQ, 15)),
        0);
    assert_int_equal(get32(mm, B), 0xffffffff);
    put32(mm, B, 0xf0);
    assert_int_equal(futex_wake_op(t, A, B, true, 1, 1, OP(LINUX_FUTEX_OP_OR, 0xf, 0, 0)), 0);
    assert_int_equal(get32(mm, B), 0xff);
    assert_int_equal(futex_wake_op(t, A, B, true, 1, 1, OP(LINUX_FUTEX_OP_ANDN, 0x3, 0, 0)), 0);
    assert_int_equal(get32(mm, B), 0xfc);
    assert_int_equal(futex_wake_op(t, A, B, true, 1, 1, OP(LINUX_FUTEX_OP_XOR, 0xff, 0, 0)), 0);
    assert_int_equal(get32(mm, B), 0x03);
    /* OPARG_SHIFT: oparg is 1 << oparg (a shift out of range is masked). */
    assert_int_equal(futex_wake_op(t, A, B, true, 1, 1,
                                   OP(LINUX_FUTEX_OP_OPARG_SHIFT | LINUX_FUTEX_OP_SET, 4, 0, 0)),
                     0);
    assert_int_equal(get32(mm, B), 16);
    assert_int_equal(futex_wake_op(t, A, B, true, 1, 1,
                                   OP(LINUX_FUTEX_OP_OPARG_SHIFT | LINUX_FUTEX_OP_SET, 33, 0, 0)),
                     0);
    assert_int_equal(get32(mm, B), 2);
    /* Errors: an unknown op leaves memory alone, an unknown comparison is
     * found after the op; a read-only word faults; alignment. */
    assert_int_equal(futex_wake_op(t, A, B, true, 1, 1, OP(5, 1, 0, 0)), -LINUX_ENOSYS);
    assert_int_equal(get32(mm, B), 2);
    assert_int_equal(futex_wake_op(t, A, B, true, 1, 1, OP(LINUX_FUTEX_OP_ADD, 1, 6, 0)),
                     -LINUX_ENOSYS);
    assert_int_equal(get32(mm, B), 3);
    assert_int_equal(futex_wake_op(t, A, RO_BASE, true, 1, 1, OP(LINUX_FUTEX_OP_ADD, 1, 0, 0)),
                     -LINUX_EFAULT);
    assert_int_equal(futex_wake_op(t, A, B + 2, true, 1, 1, OP(LINUX_FUTEX_OP_ADD, 1, 0, 0)),
                     -LINUX_EINVAL);
    kernel_unlock(&k);

    /* Wakes: two on A, two on B. nr_wake 1 on A; the comparison holds, so
     * up to nr_wake2 = 5 on B. */
    struct waiter w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct waiter){.t = &tasks[i + 1],
                               .uaddr = i < 2 ? A : B,
                               .val = get32(mm, i < 2 ? A : B),
                               .private_futex = true};
        start_waiter(&w[i]);
    }
    kernel_lock(&k);
    put32(mm, B, 1);
    assert_int_equal(
        futex_wake_op(t, A, B, true, 1, 5, OP(LINUX_FUTEX_OP_SET, 0, LINUX_FUTEX_OP_CMP_EQ, 1)), 3);
    kernel_unlock(&k);
    join(&w[0], 0);
    join(&w[2], 0);
    join(&w[3], 0);
    settle();
    assert_false(is_done(&w[1]));
    /* The comparison fails: only A's waiter. */
    kernel_lock(&k);
    assert_int_equal(
        futex_wake_op(t, A, B, true, 1, 5, OP(LINUX_FUTEX_OP_SET, 0, LINUX_FUTEX_OP_CMP_NE, 0)), 1);
    kernel_unlock(&k);
    join(&w[1], 0);
#undef OP
}

/* Shared futexes in a shared mapping meet across address spaces, at any
 * address; in a private mapping they stay per address space. */
static void test_shared_across_mms(void **state)
{
    (void)state;
    struct fake_file ff;
    static uint8_t data[2 * PG];
    struct file *f = fake_file_open(&ff, data, sizeof(data), LINUX_O_RDWR, false);
    struct mm *other = mm_new();
    const uaddr_t FILE_A = 0x50000000, FILE_B = 0x60000000;
    assert_int_equal(mm_mmap_file(mm, FILE_A, 2 * PG, RW, LINUX_MAP_SHARED | LINUX_MAP_FIXED, f, 0),
                     (long)FILE_A);
    assert_int_equal(mm_mmap_file(other, FILE_B, PG, RW, LINUX_MAP_SHARED | LINUX_MAP_FIXED, f, PG),
                     (long)FILE_B);
    struct task *ot = &tasks[5];
    ot->mm = other;
    struct waiter w = {.t = &tasks[1], .uaddr = FILE_A + PG + 8, .private_futex = false};
    start_waiter(&w);
    kernel_lock(&k);
    /* Private wakes and other bytes do not reach it. */
    assert_int_equal(futex_wake(ot, FILE_B + 8, true, 1, ~0u), 0);
    assert_int_equal(futex_wake(ot, FILE_B + 12, false, 1, ~0u), 0);
    assert_int_equal(futex_wake(ot, FILE_B + 8, false, 1, ~0u), 1);
    kernel_unlock(&k);
    join(&w, 0);
    /* Private anonymous memory: the same address in another mm is another
     * futex, shared flag or not. */
    assert_int_equal(mm_mmap(other, PRIV_BASE, PG, RW,
                             LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_FIXED),
                     (long)PRIV_BASE);
    put32(mm, PRIV_BASE, 0);
    struct waiter p = {.t = &tasks[1], .uaddr = PRIV_BASE, .private_futex = false};
    start_waiter(&p);
    kernel_lock(&k);
    assert_int_equal(futex_wake(ot, PRIV_BASE, false, 1, ~0u), 0);
    assert_int_equal(futex_wake(&tasks[0], PRIV_BASE, false, 1, ~0u), 1);
    kernel_unlock(&k);
    join(&p, 0);
    /* The shared anonymous mapping, requeued from a private-mapping key. */
    put32(mm, PRIV_BASE + 4, 0);
    struct waiter q = {.t = &tasks[1], .uaddr = PRIV_BASE + 4, .private_futex = false};
    start_waiter(&q);
    kernel_lock(&k);
    assert_int_equal(futex_requeue(&tasks[0], PRIV_BASE + 4, SHARED_BASE, false, 0, 1, NULL), 1);
    assert_int_equal(futex_wake(&tasks[0], SHARED_BASE, false, 1, ~0u), 1);
    kernel_unlock(&k);
    join(&q, 0);
    ot->mm = mm;
    mm_put(other);
    file_put(f);
    mm_object_put(ff.obj);
}

/* --- robust lists --- */

#define HEAD (PRIV_BASE + PG) /* struct robust_list_head */
#define ENTRY(i) (PRIV_BASE + 2 * PG + (i)*64)
#define FOFF 16 /* futex_offset: entry + 16 */
#define LOCK(i) (ENTRY(i) + FOFF)

/* head -> entries[0..n-1] -> head; list_op_pending = pending. */
static void build_list(int n, uaddr_t pending)
{
    put64(mm, HEAD, n ? ENTRY(0) : HEAD);
    put64(mm, HEAD + 8, FOFF);
    put64(mm, HEAD + 16, pending);
    for (int i = 0; i < n; i++)
        put64(mm, ENTRY(i), i + 1 < n ? ENTRY(i + 1) : HEAD);
}

static void test_robust_list(void **state)
{
    (void)state;
    struct task *dying = &tasks[0];
    uint32_t tid = (uint32_t)dying->tid;
    build_list(4, 0);
    put32(mm, LOCK(0), tid);                          /* held, no waiters */
    put32(mm, LOCK(1), tid | LINUX_FUTEX_WAITERS);    /* held, a waiter */
    put32(mm, LOCK(2), 999 | LINUX_FUTEX_WAITERS);    /* someone else's */
    put32(mm, LOCK(3), tid | LINUX_FUTEX_OWNER_DIED); /* died before, held again */
    struct waiter w1 = {.t = &tasks[1], .uaddr = LOCK(1), .val = tid | LINUX_FUTEX_WAITERS};
    struct waiter w2 = {.t = &tasks[2], .uaddr = LOCK(2), .val = 999 | LINUX_FUTEX_WAITERS};
    start_waiter(&w1);
    start_waiter(&w2);
    dying->robust_list = HEAD;
    kernel_lock(&k);
    futex_exit_robust_list(dying);
    assert_int_equal(dying->robust_list, 0);
    assert_int_equal(get32(mm, LOCK(0)), LINUX_FUTEX_OWNER_DIED);
    assert_int_equal(get32(mm, LOCK(1)), LINUX_FUTEX_OWNER_DIED | LINUX_FUTEX_WAITERS);
    assert_int_equal(get32(mm, LOCK(2)), 999 | LINUX_FUTEX_WAITERS);
    assert_int_equal(get32(mm, LOCK(3)), LINUX_FUTEX_OWNER_DIED);
    kernel_unlock(&k);
    join(&w1, 0);
    settle();
    assert_false(is_done(&w2));
    kernel_lock(&k);
    assert_int_equal(futex_wake(&tasks[0], LOCK(2), false, 1, ~0u), 1);
    kernel_unlock(&k);
    join(&w2, 0);
}

static void test_robust_list_pending_and_pi(void **state)
{
    (void)state;
    struct task *dying = &tasks[0];
    uint32_t tid = (uint32_t)dying->tid;
    /* A PI entry (bit 0 of the link to it) is marked but its waiters are
     * not woken here. The pending entry is on the list too: it is handled
     * once (a second time would see owner 0 and wake another waiter). */
    build_list(2, ENTRY(1));
    put64(mm, HEAD, ENTRY(0) | 1);
    put32(mm, LOCK(0), tid | LINUX_FUTEX_WAITERS);
    put32(mm, LOCK(1), tid | LINUX_FUTEX_WAITERS);
    struct waiter w = {.t = &tasks[1], .uaddr = LOCK(0), .val = tid | LINUX_FUTEX_WAITERS};
    struct waiter p1 = {.t = &tasks[2], .uaddr = LOCK(1), .val = tid | LINUX_FUTEX_WAITERS};
    struct waiter p2 = {.t = &tasks[3], .uaddr = LOCK(1), .val = tid | LINUX_FUTEX_WAITERS};
    start_waiter(&w);
    start_waiter(&p1);
    start_waiter(&p2);
    dying->robust_list = HEAD;
    kernel_lock(&k);
    futex_exit_robust_list(dying);
    assert_int_equal(get32(mm, LOCK(0)), LINUX_FUTEX_OWNER_DIED | LINUX_FUTEX_WAITERS);
    assert_int_equal(get32(mm, LOCK(1)), LINUX_FUTEX_OWNER_DIED | LINUX_FUTEX_WAITERS);
    kernel_unlock(&k);
    join(&p1, 0);
    settle();
    assert_false(is_done(&w)); /* PI: not woken by the walk */
    assert_false(is_done(&p2));
    kernel_lock(&k);
    assert_int_equal(futex_wake(&tasks[0], LOCK(0), false, 1, ~0u), 1);
    assert_int_equal(futex_wake(&tasks[0], LOCK(1), false, 1, ~0u), 1);
    kernel_unlock(&k);
    join(&w, 0);
    join(&p2, 0);

    /* A pending unlock that already released the word (owner 0): a waiter
     * is woken and the word left alone. */
    build_list(0, ENTRY(5));
    put32(mm, LOCK(5), LINUX_FUTEX_WAITERS);
    struct waiter p = {.t = &tasks[1], .uaddr = LOCK(5), .val = LINUX_FUTEX_WAITERS};
    start_waiter(&p);
    dying->robust_list = HEAD;
    kernel_lock(&k);
    futex_exit_robust_list(dying);
    assert_int_equal(get32(mm, LOCK(5)), LINUX_FUTEX_WAITERS);
    kernel_unlock(&k);
    join(&p, 0);
}

static void test_robust_list_limits(void **state)
{
    (void)state;
    struct task *dying = &tasks[0];
    uint32_t tid = (uint32_t)dying->tid;
    /* A cycle that never comes back to the head ends after
     * ROBUST_LIST_LIMIT entries. */
    build_list(2, 0);
    put64(mm, ENTRY(1), ENTRY(0));
    put32(mm, LOCK(0), tid);
    put32(mm, LOCK(1), tid);
    dying->robust_list = HEAD;
    kernel_lock(&k);
    futex_exit_robust_list(dying);
    kernel_unlock(&k);
    assert_int_equal(get32(mm, LOCK(0)), LINUX_FUTEX_OWNER_DIED);
    assert_int_equal(get32(mm, LOCK(1)), LINUX_FUTEX_OWNER_DIED);
    /* A link to unmapped memory ends the walk silently after the entry
     * that holds it. */
    build_list(3, 0);
    put64(mm, ENTRY(1), 0x40000000);
    put32(mm, LOCK(0), tid);
    put32(mm, LOCK(1), tid);
    put32(mm, LOCK(2), tid);
    dying->robust_list = HEAD;
    kernel_lock(&k);
    futex_exit_robust_list(dying);
    kernel_unlock(&k);
    assert_int_equal(get32(mm, LOCK(0)), LINUX_FUTEX_OWNER_DIED);
    assert_int_equal(get32(mm, LOCK(1)), LINUX_FUTEX_OWNER_DIED);
    assert_int_equal(get32(mm, LOCK(2)), tid);
    /* A head in unmapped memory: nothing happens. */
    dying->robust_list = 0x40000000;
    kernel_lock(&k);
    futex_exit_robust_list(dying);
    kernel_unlock(&k);
    assert_int_equal(dying->robust_list, 0);
    /* execve: the list is walked in the old mm. */
    build_list(1, 0);
    put32(mm, LOCK(0), tid);
    struct mm *fresh = mm_new();
    dying->mm = fresh;
    dying->robust_list = HEAD;
    kernel_lock(&k);
    futex_exec_robust_list(dying, mm);
    kernel_unlock(&k);
    assert_int_equal(get32(mm, LOCK(0)), LINUX_FUTEX_OWNER_DIED);
    assert_int_equal(dying->robust_list, 0);
    dying->mm = mm;
    mm_put(fresh);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_mm, teardown_mm)
    const struct CMUnitTest tests[] = {
        T(test_wait_value_and_errors),
        T(test_wake_fifo_and_count),
        T(test_bitset),
        T(test_requeue),
        T(test_requeue_timeout_after_move),
        T(test_wake_op),
        T(test_shared_across_mms),
        T(test_robust_list),
        T(test_robust_list_pending_and_pi),
        T(test_robust_list_limits),
    };
#undef T
    return cmocka_run_group_tests(tests, setup, NULL);
}

/* Robust futexes across processes: a process-shared robust mutex held by a
 * forked child that exits gives the parent EOWNERDEAD (whether the parent
 * already waits for it or comes later), and a raw robust list registered
 * with set_robust_list gets FUTEX_OWNER_DIED on the locks its owner held,
 * only those. */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *shared_page(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED, "mmap: %s", strerror(errno));
    return p;
}

static void init_robust(pthread_mutex_t *m)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    REQUIRE(pthread_mutex_init(m, &attr) == 0, "pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);
}

static void reap(pid_t pid)
{
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid: %s", strerror(errno));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}

/* The owner died before the parent asked for the lock. */
static void test_dead_owner(void)
{
    pthread_mutex_t *m = shared_page();
    init_robust(m);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0)
        _exit(pthread_mutex_lock(m) == 0 ? 0 : 1); /* exits holding it */
    reap(pid);
    CHECK_RET(pthread_mutex_lock(m), EOWNERDEAD);
    CHECK_RET(pthread_mutex_consistent(m), 0);
    CHECK_RET(pthread_mutex_unlock(m), 0);
    CHECK_RET(pthread_mutex_lock(m), 0);
    CHECK_RET(pthread_mutex_unlock(m), 0);
    munmap(m, 4096);
}

/* The parent waits in the kernel (FUTEX_WAITERS) when the owner dies: the
 * exit wakes it. */
static void test_waiter_woken(void)
{
    char *page = shared_page();
    pthread_mutex_t *m = (pthread_mutex_t *)page;
    volatile int *locked = (volatile int *)(page + 2048);
    init_robust(m);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        if (pthread_mutex_lock(m) != 0)
            _exit(1);
        *locked = 1;
        /* Exit once the parent waits: its waiter bit is in the word. */
        for (int i = 0; i < 5000 && !(*(volatile uint32_t *)m & FUTEX_WAITERS); i++)
            sleep_ms(1);
        _exit(0);
    }
    while (!*locked)
        sleep_ms(1);
    CHECK_RET(pthread_mutex_lock(m), EOWNERDEAD);
    reap(pid);
    CHECK_RET(pthread_mutex_consistent(m), 0);
    CHECK_RET(pthread_mutex_unlock(m), 0);
    munmap(page, 4096);
}

/* Linux's struct robust_list_head, spelled out. */
struct rhead {
    void *next;
    long futex_offset;
    void *list_op_pending;
};

struct rentry {
    void *next;
    uint32_t pad;
    uint32_t lock; /* futex_offset 12 */
};

static void test_raw_list(void)
{
    char *page = shared_page();
    struct rhead *head = (struct rhead *)page;
    struct rentry *e = (struct rentry *)(page + 256);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        uint32_t tid = (uint32_t)syscall(SYS_gettid);
        /* head -> e0 -> e1 -> e2 -> head; e3 is the pending entry. */
        head->futex_offset = 12;
        head->next = &e[0];
        e[0].next = &e[1];
        e[1].next = &e[2];
        e[2].next = head;
        head->list_op_pending = &e[3];
        e[0].lock = tid;
        e[1].lock = 12345; /* someone else's */
        e[2].lock = tid | FUTEX_WAITERS;
        e[3].lock = tid;
        if (syscall(SYS_set_robust_list, head, sizeof(*head)) != 0)
            _exit(1);
        struct rhead *got = NULL;
        size_t len = 0;
        if (syscall(SYS_get_robust_list, 0, &got, &len) != 0 || got != head || len != sizeof(*head))
            _exit(2);
        _exit(0);
    }
    reap(pid);
    CHECK(e[0].lock == FUTEX_OWNER_DIED, "e0 %#x", e[0].lock);
    CHECK(e[1].lock == 12345, "e1 %#x", e[1].lock);
    CHECK(e[2].lock == (FUTEX_OWNER_DIED | FUTEX_WAITERS), "e2 %#x", e[2].lock);
    CHECK(e[3].lock == FUTEX_OWNER_DIED, "pending %#x", e[3].lock);
    CHECK_ERRNO(syscall(SYS_set_robust_list, head, sizeof(*head) + 1), EINVAL);
    munmap(page, 4096);
}

int main(void)
{
    test_dead_owner();
    test_waiter_woken();
    test_raw_list();
    return check_done("futex_robust");
}

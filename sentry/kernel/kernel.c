/* The kernel: one per sandbox, and its one lock. */
#include "sentry/kernel/kernel.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#include "lib/panic.h"

struct kernel *kernel_global;
static __thread bool kernel_lock_held;

void kernel_lock(struct kernel *k)
{
    pthread_mutex_lock(&k->lock);
    kernel_lock_held = true;
}

void kernel_unlock(struct kernel *k)
{
    kernel_lock_held = false;
    pthread_mutex_unlock(&k->lock);
}

void kernel_assert_held(struct kernel *k)
{
    (void)k;
    SENTRY_ASSERT(kernel_lock_held);
}

void kernel_init(struct kernel *k)
{
    memset(k, 0, sizeof(*k));
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->exited_cond, NULL);
    k->next_pid = 1;
    /* The sandbox's own identity: nothing of the host's. */
    strcpy(k->uts.sysname, "Linux");
    strcpy(k->uts.nodename, "moat");
    strcpy(k->uts.release, "6.1.0");
    strcpy(k->uts.version, "#1 SMP moat");
    strcpy(k->uts.machine, "x86_64");
    strcpy(k->uts.domainname, "(none)");
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    k->boot_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    if (syscall(SYS_sched_getaffinity, 0, sizeof(k->cpus), k->cpus) <= 0)
        k->cpus[0] = 1;
    kernel_global = k;
}

void kernel_set_exited(struct kernel *k, int status)
{
    kernel_assert_held(k);
    if (!k->exited) {
        k->exited = true;
        k->exit_status = status;
        pthread_cond_broadcast(&k->exited_cond);
    }
}

int kernel_wait_exit(struct kernel *k)
{
    pthread_mutex_lock(&k->lock);
    while (!k->exited)
        pthread_cond_wait(&k->exited_cond, &k->lock);
    int status = k->exit_status;
    pthread_mutex_unlock(&k->lock);
    return status;
}

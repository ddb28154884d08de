/* Kernel timers (see timer.h).
 *
 * The service thread sleeps on a condition variable bound to the kernel
 * mutex, so arming and firing are ordered by the kernel lock like every
 * other sentry event. Armed timers sit on one list sorted by deadline. */
#include "sentry/kernel/timer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/linux/signal.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"

static struct ktimer *armed_first;
static bool service_started;
static pthread_cond_t service_cond;

uint64_t ktimer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t timer_group_cputime(const struct thread_group *tg, bool with_sentry)
{
    uint64_t sum = tg->utime_ns + (with_sentry ? tg->stime_ns : 0);
    uint64_t now = ktimer_now();
    for (struct task *t = task_list_first(); t; t = task_list_next(t)) {
        if (t->tg != tg || t->zombie)
            continue;
        sum += t->utime_ns + (with_sentry ? t->stime_ns : 0);
        if (t->run_start_ns)
            sum += now - t->run_start_ns;
    }
    return sum;
}

static void list_remove(struct ktimer *kt)
{
    for (struct ktimer **pp = &armed_first; *pp; pp = &(*pp)->next_armed) {
        if (*pp == kt) {
            *pp = kt->next_armed;
            break;
        }
    }
    kt->next_armed = NULL;
}

static void list_insert(struct ktimer *kt)
{
    struct ktimer **pp = &armed_first;
    while (*pp && (*pp)->deadline_ns <= kt->deadline_ns)
        pp = &(*pp)->next_armed;
    kt->next_armed = *pp;
    *pp = kt;
}

static void *service_main(void *arg)
{
    struct kernel *k = arg;
    kernel_lock(k);
    for (;;) {
        uint64_t now = ktimer_now();
        while (armed_first && armed_first->deadline_ns <= now) {
            struct ktimer *kt = armed_first;
            armed_first = kt->next_armed;
            kt->next_armed = NULL;
            kt->armed = false;
            ktimer_fire(kt, now);
        }
        if (!armed_first) {
            pthread_cond_wait(&service_cond, &k->lock);
        } else {
            uint64_t d = armed_first->deadline_ns;
            struct timespec ts = {.tv_sec = (time_t)(d / 1000000000ULL),
                                  .tv_nsec = (long)(d % 1000000000ULL)};
            pthread_cond_timedwait(&service_cond, &k->lock, &ts);
        }
    }
    return NULL;
}

static void service_kick(void)
{
    if (!service_started) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&service_cond, &attr);
        pthread_condattr_destroy(&attr);
        pthread_t th;
        pthread_attr_t pa;
        pthread_attr_init(&pa);
        pthread_attr_setdetachstate(&pa, PTHREAD_CREATE_DETACHED);
        /* The service thread locks the kernel mutex itself: we hold it,
         * so it starts once we drop it. */
        if (pthread_create(&th, &pa, service_main, kernel_global) != 0)
            panic("cannot start the timer thread");
        pthread_attr_destroy(&pa);
        service_started = true;
    }
    pthread_cond_signal(&service_cond);
}

/* Wall-clock wake-up for a CPU timer: when the CPU time could reach the
 * expiry at the earliest (all of the remaining time spent running). */
static void cpu_schedule(struct ktimer *kt, uint64_t now)
{
    uint64_t cpu = timer_group_cputime(kt->tg, kt->clock == KTIMER_PROF);
    uint64_t left = kt->expiry_ns > cpu ? kt->expiry_ns - cpu : 0;
    /* At least a millisecond apart, so a busy process is polled, not
     * hammered. */
    if (left < 1000000)
        left = 1000000;
    kt->deadline_ns = now + left;
}

void ktimer_fire(struct ktimer *kt, uint64_t now)
{
    if (kt->clock != KTIMER_REAL) {
        uint64_t cpu = timer_group_cputime(kt->tg, kt->clock == KTIMER_PROF);
        if (cpu < kt->expiry_ns) {
            cpu_schedule(kt, now);
            kt->armed = true;
            list_insert(kt);
            return;
        }
    }
    if (kt->signo && !kt->tg->zombie && !kt->tg->exiting) {
        struct linux_siginfo info;
        memset(&info, 0, sizeof(info));
        info.si_signo = kt->signo;
        if (kt->id >= 0) {
            info.si_code = LINUX_SI_TIMER;
            info.f.timer.tid = kt->id;
            info.f.timer.value = kt->sigval;
        } else {
            info.si_code = LINUX_SI_KERNEL;
        }
        struct task *target = NULL;
        if (kt->tid) {
            target = task_find(kt->tid);
            if (target && (target->tg != kt->tg || target->zombie))
                target = NULL;
        }
        if (kt->id >= 0 && signal_timer_pending(kt->tg, target, kt->signo, kt->id)) {
            /* The last expiry's signal is still queued: count an overrun. */
            kt->overrun++;
        } else {
            if (target)
                signal_send_thread(target, kt->signo, &info);
            else
                signal_send_group(kt->tg, kt->signo, &info);
        }
    }
    if (kt->interval_ns) {
        if (kt->clock == KTIMER_REAL) {
            kt->deadline_ns += kt->interval_ns;
            if (kt->deadline_ns <= now) {
                /* Missed expiries: Linux counts them as overruns. */
                uint64_t missed = (now - kt->deadline_ns) / kt->interval_ns + 1;
                kt->overrun += (int)missed;
                kt->deadline_ns += missed * kt->interval_ns;
            }
        } else {
            kt->expiry_ns += kt->interval_ns;
            cpu_schedule(kt, now);
        }
        kt->armed = true;
        list_insert(kt);
    }
}

void ktimer_arm(struct ktimer *kt, uint64_t value_ns, uint64_t interval_ns)
{
    kernel_assert_held(kernel_global);
    if (kt->armed)
        list_remove(kt);
    kt->armed = false;
    kt->interval_ns = interval_ns;
    kt->overrun = 0;
    if (!value_ns)
        return;
    uint64_t now = ktimer_now();
    if (kt->clock == KTIMER_REAL) {
        kt->deadline_ns = now + value_ns;
    } else {
        kt->expiry_ns = timer_group_cputime(kt->tg, kt->clock == KTIMER_PROF) + value_ns;
        cpu_schedule(kt, now);
    }
    kt->armed = true;
    list_insert(kt);
    service_kick();
}

void ktimer_disarm(struct ktimer *kt)
{
    ktimer_arm(kt, 0, 0);
}

uint64_t ktimer_remaining(const struct ktimer *kt)
{
    if (!kt->armed)
        return 0;
    if (kt->clock == KTIMER_REAL) {
        uint64_t now = ktimer_now();
        /* Linux never reports 0 for an armed timer. */
        return kt->deadline_ns > now ? kt->deadline_ns - now : 1;
    }
    uint64_t cpu = timer_group_cputime(kt->tg, kt->clock == KTIMER_PROF);
    return kt->expiry_ns > cpu ? kt->expiry_ns - cpu : 1;
}

int timer_signal_taken(struct thread_group *tg, int id)
{
    for (struct ktimer *kt = tg->posix_timers; kt; kt = kt->next_posix) {
        if (kt->id == id) {
            kt->last_overrun = kt->overrun;
            kt->overrun = 0;
            return kt->last_overrun;
        }
    }
    return 0;
}

void exec_delete_posix_timers(struct thread_group *tg)
{
    while (tg->posix_timers) {
        struct ktimer *kt = tg->posix_timers;
        tg->posix_timers = kt->next_posix;
        ktimer_disarm(kt);
        free(kt);
    }
}

void timer_group_release(struct thread_group *tg)
{
    for (int i = 0; i < 3; i++) {
        if (tg->itimers[i]) {
            ktimer_disarm(tg->itimers[i]);
            free(tg->itimers[i]);
            tg->itimers[i] = NULL;
        }
    }
    exec_delete_posix_timers(tg);
}

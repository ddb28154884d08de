/* Kernel timers: one service thread fires every armed timer of the sandbox
 * at its CLOCK_MONOTONIC deadline, with the kernel lock held. alarm,
 * setitimer and the POSIX timers (timer_create) are built on them; CPU-time
 * timers (ITIMER_VIRTUAL/PROF, CPU clocks) re-arm themselves until the
 * process's measured CPU time reaches their expiry.
 *
 * Lock order: the kernel lock covers every timer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "abi/linux/types.h"

struct thread_group;
struct task;

enum ktimer_clock {
    KTIMER_REAL,    /* wall time (CLOCK_MONOTONIC deadlines) */
    KTIMER_VIRTUAL, /* the process's application CPU time */
    KTIMER_PROF,    /* the process's application + sentry CPU time */
};

struct ktimer {
    struct ktimer *next_armed; /* the service thread's list, by deadline */
    struct ktimer *next_posix; /* thread_group->posix_timers */
    bool armed;
    enum ktimer_clock clock;
    int clockid;          /* POSIX timers: the clock asked for */
    uint64_t deadline_ns; /* next wake-up (CLOCK_MONOTONIC) */
    uint64_t expiry_ns;   /* CPU timers: the CPU time it expires at */
    uint64_t interval_ns; /* 0: one shot */
    struct thread_group *tg;
    /* What expiry does: a signal to the process or one thread. */
    int signo;            /* 0: SIGEV_NONE */
    linux_pid_t tid;      /* SIGEV_THREAD_ID target, 0 for the process */
    int id;               /* POSIX timer id, -1 for itimers */
    uint64_t sigval;
    int overrun;          /* expirations folded into a still-pending signal */
    int last_overrun;     /* timer_getoverrun */
};

/* Arms kt to expire value_ns from now (on its clock) and then every
 * interval_ns; value_ns 0 disarms. */
void ktimer_arm(struct ktimer *kt, uint64_t value_ns, uint64_t interval_ns);
void ktimer_disarm(struct ktimer *kt);
/* Time left before kt expires (0 when disarmed). */
uint64_t ktimer_remaining(const struct ktimer *kt);

/* The CPU time of tg so far (application only, or with sentry time). */
uint64_t timer_group_cputime(const struct thread_group *tg, bool with_sentry);
/* Disarms and frees every timer of tg (its exit or execve). */
void timer_group_release(struct thread_group *tg);
/* The signal of POSIX timer id of tg was dequeued: returns the overrun
 * count to report in it and starts counting again. */
int timer_signal_taken(struct thread_group *tg, int id);
/* Expires kt now (the service thread; tests). */
void ktimer_fire(struct ktimer *kt, uint64_t now);
/* execve: deletes tg's POSIX timers (itimers survive it). */
void exec_delete_posix_timers(struct thread_group *tg);
/* CLOCK_MONOTONIC now, in ns. */
uint64_t ktimer_now(void);

/* Resource limits, usage (getrusage, times) and priorities. */
#pragma once

#include <stdint.h>

#include "abi/linux/time.h"

#define LINUX_RLIMIT_CPU 0
#define LINUX_RLIMIT_FSIZE 1
#define LINUX_RLIMIT_DATA 2
#define LINUX_RLIMIT_STACK 3
#define LINUX_RLIMIT_CORE 4
#define LINUX_RLIMIT_RSS 5
#define LINUX_RLIMIT_NPROC 6
#define LINUX_RLIMIT_NOFILE 7
#define LINUX_RLIMIT_MEMLOCK 8
#define LINUX_RLIMIT_AS 9
#define LINUX_RLIMIT_LOCKS 10
#define LINUX_RLIMIT_SIGPENDING 11
#define LINUX_RLIMIT_MSGQUEUE 12
#define LINUX_RLIMIT_NICE 13
#define LINUX_RLIMIT_RTPRIO 14
#define LINUX_RLIMIT_RTTIME 15
#define LINUX_RLIM_NLIMITS 16
#define LINUX_RLIM_INFINITY (~0ULL)

struct linux_rlimit64 {
    uint64_t rlim_cur;
    uint64_t rlim_max;
};
_Static_assert(sizeof(struct linux_rlimit64) == 16, "rlimit64");

/* getrusage's who. */
#define LINUX_RUSAGE_SELF 0
#define LINUX_RUSAGE_CHILDREN (-1)
#define LINUX_RUSAGE_THREAD 1

struct linux_rusage {
    struct linux_timeval ru_utime;
    struct linux_timeval ru_stime;
    int64_t ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt, ru_nswap;
    int64_t ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};
_Static_assert(sizeof(struct linux_rusage) == 144, "rusage");

/* times(2): clock ticks of USER_HZ. */
#define LINUX_USER_HZ 100
struct linux_tms {
    int64_t tms_utime;
    int64_t tms_stime;
    int64_t tms_cutime;
    int64_t tms_cstime;
};
_Static_assert(sizeof(struct linux_tms) == 32, "tms");

/* getpriority/setpriority: which, and the nice range. */
#define LINUX_PRIO_PROCESS 0
#define LINUX_PRIO_PGRP 1
#define LINUX_PRIO_USER 2
#define LINUX_PRIO_MIN (-20)
#define LINUX_PRIO_MAX 20

/* Priorities and CPU accounting: getpriority/setpriority (the 20 - nice
 * encoding of the raw syscall, clamping, PRIO_PROCESS/PGRP/USER, EACCES
 * without CAP_SYS_NICE, EPERM for another user's process, ESRCH, EINVAL,
 * inheritance by fork), and times()/getrusage (clock ticks, monotonic
 * values, CPU time that grows while the program computes, children's time
 * once reaped). Changes happen in forked children in their own process
 * group, so the test never renices anything outside itself. */
#include <linux/capability.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long raw_getprio(int which, int who)
{
    return syscall(SYS_getpriority, which, who);
}

static long raw_setprio(int which, int who, int nice)
{
    return syscall(SYS_setpriority, which, who, nice);
}

static void in_child(void (*fn)(void), const char *what)
{
    fflush(stdout);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        setpgid(0, 0);
        fn();
        _exit(check_failures ? 1 : 0);
    }
    int st = -1;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status %#x", what, st);
}

static void drop_sys_nice(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    REQUIRE(syscall(SYS_capget, &h, d) == 0, "capget");
    d[0].effective &= ~(1u << CAP_SYS_NICE);
    d[0].permitted &= ~(1u << CAP_SYS_NICE);
    REQUIRE(syscall(SYS_capset, &h, d) == 0, "capset");
}

static void child_process(void)
{
    CHECK_RET(setpriority(PRIO_PROCESS, 0, 5), 0);
    errno = 0;
    CHECK_RET(getpriority(PRIO_PROCESS, 0), 5);
    CHECK_RET(raw_getprio(PRIO_PROCESS, 0), 15); /* 20 - nice */
    CHECK_RET(raw_getprio(PRIO_PROCESS, getpid()), 15);
    /* Out of range values are clamped. */
    CHECK_RET(setpriority(PRIO_PROCESS, 0, 100), 0);
    CHECK_RET(raw_getprio(PRIO_PROCESS, 0), 1);
    CHECK_RET(setpriority(PRIO_PROCESS, getpid(), -100), 0); /* root: CAP_SYS_NICE */
    CHECK_RET(raw_getprio(PRIO_PROCESS, 0), 40);
    CHECK_RET(setpriority(PRIO_PROCESS, 0, 3), 0);
    /* A child inherits it. */
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0)
        _exit(raw_getprio(PRIO_PROCESS, 0) == 17 ? 0 : 1);
    int st = -1;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child's nice differs: %#x", st);
    /* Errors. */
    CHECK_ERRNO(raw_getprio(3, 0), EINVAL);
    CHECK_ERRNO(raw_getprio(-1, 0), EINVAL);
    CHECK_ERRNO(raw_setprio(3, 0, 0), EINVAL);
    CHECK_ERRNO(raw_getprio(PRIO_PROCESS, 0x3fffff00), ESRCH);
    CHECK_ERRNO(raw_setprio(PRIO_PROCESS, 0x3fffff00, 1), ESRCH);
    CHECK_ERRNO(raw_getprio(PRIO_PROCESS, -5), ESRCH);
    CHECK_ERRNO(raw_getprio(PRIO_PGRP, 0x3fffff00), ESRCH);
    /* Without CAP_SYS_NICE (and RLIMIT_NICE 0): raising is fine, lowering
     * is EACCES. */
    struct rlimit rl = {0, 0};
    REQUIRE(setrlimit(RLIMIT_NICE, &rl) == 0, "setrlimit");
    drop_sys_nice();
    CHECK_RET(setpriority(PRIO_PROCESS, 0, 6), 0);
    CHECK_ERRNO(setpriority(PRIO_PROCESS, 0, 5), EACCES);
    CHECK_RET(setpriority(PRIO_PROCESS, 0, 6), 0); /* the same value is no lowering */
    CHECK_RET(raw_getprio(PRIO_PROCESS, 0), 14);
}

static void child_rlimit_nice(void)
{
    /* RLIMIT_NICE lets a process without CAP_SYS_NICE go down to
     * 20 - limit. Raising the hard limit needs CAP_SYS_RESOURCE, which a
     * container may lack: checked only where it can be set. */
    struct rlimit rl = {25, 25};
    if (setrlimit(RLIMIT_NICE, &rl) != 0)
        return;
    CHECK_RET(setpriority(PRIO_PROCESS, 0, 10), 0);
    drop_sys_nice();
    CHECK_RET(setpriority(PRIO_PROCESS, 0, -5), 0);
    CHECK_ERRNO(setpriority(PRIO_PROCESS, 0, -6), EACCES);
}

static void child_group_and_user(void)
{
    /* This child leads its own process group; a member joins it. */
    int go[2];
    REQUIRE(pipe(go) == 0, "pipe");
    pid_t member = fork();
    REQUIRE(member >= 0, "fork");
    if (member == 0) {
        char b;
        _exit(read(go[0], &b, 1) == 1 ? 0 : 1);
    }
    CHECK_RET(setpriority(PRIO_PGRP, 0, 7), 0);
    CHECK_RET(raw_getprio(PRIO_PROCESS, member), 13);
    CHECK_RET(raw_getprio(PRIO_PGRP, getpgrp()), 13);
    /* The highest priority (lowest nice) of the group is reported. */
    CHECK_RET(setpriority(PRIO_PROCESS, member, 4), 0);
    CHECK_RET(raw_getprio(PRIO_PGRP, 0), 16);
    CHECK(write(go[1], "x", 1) == 1, "write");
    int st = -1;
    REQUIRE(waitpid(member, &st, 0) == member, "waitpid");

    /* PRIO_USER: every process of a real uid. */
    pid_t other = fork();
    REQUIRE(other >= 0, "fork");
    if (other == 0) {
        if (setresuid(43210, 43210, 43210) != 0)
            _exit(1);
        int ok = setpriority(PRIO_USER, 43210, 9) == 0;
        ok &= raw_getprio(PRIO_USER, 43210) == 11;
        ok &= raw_getprio(PRIO_USER, 0) == 11; /* 0: the caller's uid */
        errno = 0;
        ok &= raw_getprio(PRIO_USER, 43211) == -1 && errno == ESRCH;
        /* Another user's process: EPERM. */
        errno = 0;
        ok &= raw_setprio(PRIO_PROCESS, getppid(), 10) == -1 && errno == EPERM;
        _exit(ok ? 0 : 2);
    }
    st = -1;
    REQUIRE(waitpid(other, &st, 0) == other, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "PRIO_USER child status %#x", st);
}

static long ticks_between(clock_t a, clock_t b)
{
    return (long)(b - a);
}

static void test_times(void)
{
    CHECK_RET(sysconf(_SC_CLK_TCK), 100);
    struct tms t0, t1;
    clock_t c0 = times(&t0);
    CHECK(c0 != (clock_t)-1, "times: %s", strerror(errno));
    CHECK(t0.tms_utime >= 0 && t0.tms_stime >= 0 && t0.tms_cutime >= 0 && t0.tms_cstime >= 0,
          "negative times");
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
    clock_t c1 = times(&t1);
    long d = ticks_between(c0, c1);
    CHECK(d >= 9 && d <= 500, "100 ms took %ld ticks", d);
    CHECK(t1.tms_utime >= t0.tms_utime && t1.tms_stime >= t0.tms_stime, "CPU time went back");
    CHECK(syscall(SYS_times, NULL) >= (long)c1, "times(NULL) went back");
    CHECK_ERRNO(syscall(SYS_times, (void *)8), EFAULT);

    /* Computing makes CPU time grow. */
    volatile uint64_t x = 0;
    clock_t start = times(&t0), now;
    do {
        for (int i = 0; i < 1000000; i++)
            x += (uint64_t)i * i;
        now = times(&t1);
    } while (t1.tms_utime + t1.tms_stime - t0.tms_utime - t0.tms_stime < 10 &&
             ticks_between(start, now) < 2000);
    CHECK(t1.tms_utime + t1.tms_stime - t0.tms_utime - t0.tms_stime >= 10,
          "20 s of computing gave %ld ticks",
          (long)(t1.tms_utime + t1.tms_stime - t0.tms_utime - t0.tms_stime));
    struct rusage self, thread;
    CHECK_RET(getrusage(RUSAGE_SELF, &self), 0);
    CHECK_RET(getrusage(RUSAGE_THREAD, &thread), 0);
    long self_ms = self.ru_utime.tv_sec * 1000 + self.ru_utime.tv_usec / 1000 +
                   self.ru_stime.tv_sec * 1000 + self.ru_stime.tv_usec / 1000;
    long tms_ms = (long)(t1.tms_utime + t1.tms_stime) * 10;
    CHECK(self_ms + 20 >= tms_ms, "getrusage %ld ms < times %ld ms", self_ms, tms_ms);
    CHECK(thread.ru_utime.tv_sec <= self.ru_utime.tv_sec + 1, "thread above process");
    CHECK_ERRNO(getrusage(99, &self), EINVAL);
    CHECK_ERRNO(syscall(SYS_getrusage, RUSAGE_SELF, (void *)8), EFAULT);

    /* A reaped child's CPU time shows in the children's times. */
    struct rusage kids0;
    CHECK_RET(getrusage(RUSAGE_CHILDREN, &kids0), 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork");
    if (pid == 0) {
        struct tms a, b;
        clock_t s = times(&a), n;
        do {
            for (int i = 0; i < 1000000; i++)
                x += (uint64_t)i * i;
            n = times(&b);
        } while (b.tms_utime + b.tms_stime - a.tms_utime - a.tms_stime < 10 &&
                 ticks_between(s, n) < 2000);
        _exit(0);
    }
    int st;
    REQUIRE(waitpid(pid, &st, 0) == pid, "waitpid");
    struct tms t2;
    times(&t2);
    CHECK(t2.tms_cutime + t2.tms_cstime >= t1.tms_cutime + t1.tms_cstime + 5,
          "children's ticks %ld -> %ld", (long)(t1.tms_cutime + t1.tms_cstime),
          (long)(t2.tms_cutime + t2.tms_cstime));
    struct rusage kids1;
    CHECK_RET(getrusage(RUSAGE_CHILDREN, &kids1), 0);
    long k0 = kids0.ru_utime.tv_sec * 1000000 + kids0.ru_utime.tv_usec +
              kids0.ru_stime.tv_sec * 1000000 + kids0.ru_stime.tv_usec;
    long k1 = kids1.ru_utime.tv_sec * 1000000 + kids1.ru_utime.tv_usec +
              kids1.ru_stime.tv_sec * 1000000 + kids1.ru_stime.tv_usec;
    CHECK(k1 >= k0 + 50000, "RUSAGE_CHILDREN %ld -> %ld us", k0, k1);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("ok prio_nice (not root: nothing checked)\n");
        return 0;
    }
    in_child(child_process, "PRIO_PROCESS");
    in_child(child_rlimit_nice, "RLIMIT_NICE");
    in_child(child_group_and_user, "PRIO_PGRP and PRIO_USER");
    test_times();
    return check_done("prio_nice");
}

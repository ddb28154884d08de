/* Clocks and sleeps: clock_gettime/getres, gettimeofday, time, nanosleep,
 * clock_nanosleep. Errors use raw syscalls (natively glibc would use the vDSO
 * and fault in user space instead of returning EFAULT). */
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NSEC 1000000000LL

static long long ts_ns(const struct timespec *t)
{
    return t->tv_sec * NSEC + t->tv_nsec;
}

static long long now_ns(clockid_t id)
{
    struct timespec t;
    long r = syscall(SYS_clock_gettime, id, &t);
    REQUIRE(r == 0, "clock_gettime(%d): %s", (int)id, strerror(errno));
    return ts_ns(&t);
}

static void test_gettime(void)
{
    static const clockid_t ids[] = {
        CLOCK_REALTIME,        CLOCK_MONOTONIC,        CLOCK_PROCESS_CPUTIME_ID,
        CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,  CLOCK_REALTIME_COARSE,
        CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct timespec t = {-1, -1};
        CHECK_RET(syscall(SYS_clock_gettime, ids[i], &t), 0);
        CHECK(t.tv_sec >= 0 && t.tv_nsec >= 0 && t.tv_nsec < NSEC, "clock %d gave %ld.%09ld",
              (int)ids[i], (long)t.tv_sec, t.tv_nsec);
    }

    long long prev = now_ns(CLOCK_MONOTONIC);
    int backwards = 0;
    for (int i = 0; i < 2000; i++) {
        long long t = now_ns(CLOCK_MONOTONIC);
        backwards += t < prev;
        prev = t;
    }
    CHECK(backwards == 0, "CLOCK_MONOTONIC went backwards %d times", backwards);
    CHECK(now_ns(CLOCK_BOOTTIME) >= now_ns(CLOCK_MONOTONIC) - NSEC / 10,
          "CLOCK_BOOTTIME behind CLOCK_MONOTONIC");

    /* The realtime sources agree with each other. */
    struct timespec rt;
    struct timeval tv;
    CHECK_RET(syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt), 0);
    long t_raw = syscall(SYS_time, NULL);
    time_t t_out = 0;
    long t_raw2 = syscall(SYS_time, &t_out);
    CHECK_RET(syscall(SYS_gettimeofday, &tv, NULL), 0);
    CHECK(rt.tv_sec > 1600000000, "CLOCK_REALTIME %ld is before 2020", (long)rt.tv_sec);
    /* time(2) reads the coarse clock, up to a tick behind REALTIME: across
     * a second boundary it can be one second behind. */
    CHECK(t_raw >= rt.tv_sec - 1 && t_raw <= rt.tv_sec + 2, "time() %ld vs realtime %ld", t_raw,
          (long)rt.tv_sec);
    CHECK(t_out == t_raw2 && t_raw2 >= t_raw, "time(&t) returned %ld, stored %ld", t_raw2,
          (long)t_out);
    CHECK(tv.tv_sec >= rt.tv_sec && tv.tv_sec <= rt.tv_sec + 2, "gettimeofday %ld vs %ld",
          (long)tv.tv_sec, (long)rt.tv_sec);
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "tv_usec %ld", (long)tv.tv_usec);
    struct timezone tz = {-1, -1};
    CHECK_RET(syscall(SYS_gettimeofday, NULL, &tz), 0);
    CHECK_RET(syscall(SYS_gettimeofday, NULL, NULL), 0);
    CHECK(time(NULL) >= t_raw, "libc time() behind the syscall");
}

static void test_getres(void)
{
    struct timespec r = {-1, -1};
    CHECK_RET(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &r), 0);
    CHECK(r.tv_sec == 0 && r.tv_nsec == 1, "CLOCK_MONOTONIC res %ld.%09ld", (long)r.tv_sec,
          r.tv_nsec);
    r = (struct timespec){-1, -1};
    CHECK_RET(syscall(SYS_clock_getres, CLOCK_REALTIME, &r), 0);
    CHECK(r.tv_sec == 0 && r.tv_nsec == 1, "CLOCK_REALTIME res %ld.%09ld", (long)r.tv_sec,
          r.tv_nsec);
    r = (struct timespec){-1, -1};
    CHECK_RET(syscall(SYS_clock_getres, CLOCK_MONOTONIC_COARSE, &r), 0);
    CHECK(r.tv_sec == 0 && r.tv_nsec >= 1000 && r.tv_nsec <= 10000000,
          "CLOCK_MONOTONIC_COARSE res %ld.%09ld", (long)r.tv_sec, r.tv_nsec);
    CHECK_RET(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL), 0);
}

static void test_sleep(void)
{
    long long t0 = now_ns(CLOCK_MONOTONIC);
    struct timespec req = {0, 20 * 1000000}, rem = {-1, -1};
    CHECK_RET(syscall(SYS_nanosleep, &req, &rem), 0);
    long long slept = now_ns(CLOCK_MONOTONIC) - t0;
    CHECK(slept >= 20 * 1000000LL, "nanosleep(20ms) took %lld ns", slept);
    CHECK(slept < 10 * NSEC, "nanosleep(20ms) took %lld ns", slept);
    CHECK_RET(syscall(SYS_nanosleep, &(struct timespec){0, 0}, NULL), 0);

    /* Relative clock_nanosleep. */
    t0 = now_ns(CLOCK_MONOTONIC);
    CHECK_RET(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){0, 10000000}, NULL), 0);
    CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 10000000, "relative clock_nanosleep too short");

    /* Absolute: sleep until now + 20ms. */
    long long target = now_ns(CLOCK_MONOTONIC) + 20000000;
    struct timespec abs = {target / NSEC, target % NSEC};
    CHECK_RET(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL), 0);
    long long after = now_ns(CLOCK_MONOTONIC);
    CHECK(after >= target, "TIMER_ABSTIME woke %lld ns early", target - after);
    /* A deadline in the past returns at once. */
    struct timespec past = {0, 1};
    t0 = now_ns(CLOCK_MONOTONIC);
    CHECK_RET(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
    CHECK(now_ns(CLOCK_MONOTONIC) - t0 < NSEC, "past deadline slept");
    /* Absolute on the realtime clock. */
    long long rtarget = now_ns(CLOCK_REALTIME) + 10000000;
    struct timespec rabs = {rtarget / NSEC, rtarget % NSEC};
    CHECK_RET(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &rabs, NULL), 0);
    CHECK(now_ns(CLOCK_REALTIME) >= rtarget, "realtime TIMER_ABSTIME woke early");
}

static void test_errors(void)
{
    struct timespec t;
    CHECK_ERRNO(syscall(SYS_clock_gettime, 12345, &t), EINVAL);
    CHECK_ERRNO(syscall(SYS_clock_gettime, -1000, &t), EINVAL);
    CHECK_ERRNO(syscall(SYS_clock_getres, 12345, &t), EINVAL);
    CHECK_ERRNO(syscall(SYS_clock_nanosleep, 12345, 0, &(struct timespec){0, 1}, NULL), EINVAL);
    CHECK_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0,
                        &(struct timespec){0, NSEC}, NULL),
                EINVAL);
    CHECK_ERRNO(syscall(SYS_nanosleep, &(struct timespec){0, NSEC}, NULL), EINVAL);
    CHECK_ERRNO(syscall(SYS_nanosleep, &(struct timespec){0, -1}, NULL), EINVAL);
    CHECK_ERRNO(syscall(SYS_nanosleep, &(struct timespec){-1, 0}, NULL), EINVAL);

    void *bad = (void *)8;
    CHECK_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad), EFAULT);
    CHECK_ERRNO(syscall(SYS_clock_getres, CLOCK_MONOTONIC, bad), EFAULT);
    CHECK_ERRNO(syscall(SYS_gettimeofday, bad, NULL), EFAULT);
    CHECK_ERRNO(syscall(SYS_time, bad), EFAULT);
    CHECK_ERRNO(syscall(SYS_nanosleep, bad, NULL), EFAULT);
    CHECK_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, bad, NULL), EFAULT);
}

int main(void)
{
    test_gettime();
    test_getres();
    test_sleep();
    test_errors();
    return check_done("clocks");
}

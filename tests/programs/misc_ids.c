/* Identity and small system queries: ids, resource limits, CPU affinity,
 * sched_yield, sysinfo, the task name, and ioctls on non-terminal stdio. */
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static void test_ids(void)
{
    /* Not set-id: real and effective ids agree. */
    CHECK(getuid() == geteuid(), "uid %u euid %u", getuid(), geteuid());
    CHECK(getgid() == getegid(), "gid %u egid %u", getgid(), getegid());
    CHECK(syscall(SYS_getuid) == getuid(), "raw getuid differs");
    /* A single-threaded process: pid == tid. Values differ in moat (pid 1). */
    pid_t pid = getpid();
    CHECK(pid > 0, "getpid %d", pid);
    CHECK(syscall(SYS_gettid) == pid, "gettid %ld, getpid %d", syscall(SYS_gettid), pid);
    CHECK(getppid() >= 0 && getppid() != pid, "getppid %d, getpid %d", getppid(), pid);
    CHECK(getpid() == pid, "getpid not stable");
}

static void test_rlimits(void)
{
    struct rlimit64 lim, old, got;
    CHECK_RET(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old), 0);
    CHECK(old.rlim_cur <= old.rlim_max, "NOFILE soft %llu > hard %llu",
          (unsigned long long)old.rlim_cur, (unsigned long long)old.rlim_max);
    CHECK(old.rlim_cur >= 3, "NOFILE soft %llu", (unsigned long long)old.rlim_cur);

    /* Lower the soft limit, read it back (by pid too), and restore. */
    lim = old;
    lim.rlim_cur = old.rlim_cur > 64 ? 64 : old.rlim_cur - 1;
    CHECK_RET(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &lim, &got), 0);
    CHECK(got.rlim_cur == old.rlim_cur && got.rlim_max == old.rlim_max,
          "prlimit64 returned a different old limit");
    CHECK_RET(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &got), 0);
    CHECK(got.rlim_cur == lim.rlim_cur && got.rlim_max == old.rlim_max,
          "NOFILE now %llu/%llu, want %llu/%llu", (unsigned long long)got.rlim_cur,
          (unsigned long long)got.rlim_max, (unsigned long long)lim.rlim_cur,
          (unsigned long long)old.rlim_max);
    struct rlimit r;
    CHECK_RET(getrlimit(RLIMIT_NOFILE, &r), 0);
    CHECK(r.rlim_cur == lim.rlim_cur, "getrlimit NOFILE %llu", (unsigned long long)r.rlim_cur);

    /* Soft above hard is refused and changes nothing. */
    if (old.rlim_max != RLIM64_INFINITY) {
        lim.rlim_cur = old.rlim_max + 1;
        lim.rlim_max = old.rlim_max;
        CHECK_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &lim, NULL), EINVAL);
    }
    CHECK_RET(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &old, NULL), 0);
    CHECK_RET(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &got), 0);
    CHECK(got.rlim_cur == old.rlim_cur && got.rlim_max == old.rlim_max, "restore failed");

    CHECK_RET(getrlimit(RLIMIT_STACK, &r), 0);
    CHECK(r.rlim_cur > 0 && r.rlim_cur <= r.rlim_max, "STACK %llu/%llu",
          (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
    CHECK_RET(syscall(SYS_getrlimit, RLIMIT_AS, &r), 0);

    CHECK_ERRNO(syscall(SYS_prlimit64, 0, 999, NULL, &got), EINVAL);
    CHECK_ERRNO(syscall(SYS_getrlimit, 999, &r), EINVAL);
    CHECK_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, (void *)8), EFAULT);
    CHECK_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, (void *)8, NULL), EFAULT);
}

static void test_sched(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
    CHECK(n > 0 && n % sizeof(long) == 0 && (size_t)n <= sizeof(set),
          "sched_getaffinity returned %ld", n);
    CHECK(CPU_COUNT(&set) > 0, "empty affinity mask");
    CHECK_RET(sched_getaffinity(getpid(), sizeof(set), &set), 0);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 0, &set), EINVAL);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 3, &set), EINVAL);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof(set), (void *)8), EFAULT);
    CHECK_RET(sched_yield(), 0);
    CHECK_RET(syscall(SYS_sched_yield), 0);
}

static void test_sysinfo(void)
{
    struct sysinfo si;
    memset(&si, 0xff, sizeof(si));
    CHECK_RET(sysinfo(&si), 0);
    CHECK(si.mem_unit >= 1, "mem_unit %u", si.mem_unit);
    CHECK(si.totalram > 0, "totalram 0");
    CHECK(si.freeram <= si.totalram, "freeram %lu > totalram %lu", si.freeram, si.totalram);
    CHECK(si.uptime >= 0, "uptime %ld", si.uptime);
    CHECK(si.procs >= 1, "procs %u", si.procs);
    CHECK(si.freeswap <= si.totalswap, "freeswap > totalswap");
    CHECK_ERRNO(syscall(SYS_sysinfo, (void *)8), EFAULT);
}

static void test_name(const char *argv0)
{
    char name[32];
    memset(name, 'x', sizeof(name));
    CHECK_RET(prctl(PR_GET_NAME, name), 0);
    CHECK(strnlen(name, 16) < 16, "PR_GET_NAME not NUL-terminated within 16 bytes");
    char want[16];
    snprintf(want, sizeof(want), "%s", base_name(argv0));
    CHECK(strcmp(name, want) == 0, "initial name '%s', want '%s'", name, want);

    CHECK_RET(prctl(PR_SET_NAME, "moat-test"), 0);
    CHECK_RET(prctl(PR_GET_NAME, name), 0);
    CHECK(strcmp(name, "moat-test") == 0, "name '%s' after PR_SET_NAME", name);
    /* Longer names are cut to 15 characters. */
    CHECK_RET(prctl(PR_SET_NAME, "0123456789abcdefghij"), 0);
    memset(name, 'x', sizeof(name));
    CHECK_RET(prctl(PR_GET_NAME, name), 0);
    CHECK(strcmp(name, "0123456789abcde") == 0, "truncated name '%s'", name);
    CHECK_ERRNO(prctl(PR_SET_NAME, (void *)8), EFAULT);
    CHECK_ERRNO(prctl(PR_GET_NAME, (void *)8), EFAULT);
}

static void test_ioctl(void)
{
    /* run-test.sh gives pipes on stdin and stdout: not terminals. */
    struct winsize ws;
    struct termios tio;
    CHECK_ERRNO(ioctl(1, TIOCGWINSZ, &ws), ENOTTY);
    CHECK_ERRNO(ioctl(0, TIOCGWINSZ, &ws), ENOTTY);
    CHECK_ERRNO(ioctl(0, TCGETS, &tio), ENOTTY);
    CHECK_ERRNO(ioctl(1, TCGETS, &tio), ENOTTY);
    CHECK(!isatty(1), "stdout claims to be a tty");
    CHECK_ERRNO(ioctl(1000, TIOCGWINSZ, &ws), EBADF);
}

int main(int argc, char **argv)
{
    (void)argc;
    test_ids();
    test_rlimits();
    test_sched();
    test_sysinfo();
    test_name(argv[0]);
    test_ioctl();
    return check_done("misc_ids");
}

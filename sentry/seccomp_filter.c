/* The sentry's own seccomp allowlist (DESIGN.md section 9).
 *
 * Installed by boot once every host resource the sentry needs is acquired
 * (the memory file, the stub page, stdio, the gofer socket): from then on
 * the sentry can only compute, move memory, drive its stubs with ptrace and
 * talk over fds it already holds. There is no open, openat, openat2, creat,
 * execve or execveat: a file reaches the sentry only as an fd donated by the
 * gofer. docs/security.md lists every call with its reason.
 *
 * Anything else kills the whole sentry (and with it the sandbox): failing
 * closed. The two exceptions return an errno instead, because libraries ask
 * for them on paths that must keep working: open/openat (libunwind may try
 * to read an ELF file while symbolizing a panic's stack: it then falls back
 * to the dynamic symbols) and clone3 (glibc's pthread_create falls back to
 * clone, whose flags can be checked; clone3's cannot). */
#include "sentry/seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <termios.h>

#include "platform/ptrace/stub.h"

/* Syscalls allowed with any arguments, each with its reason. */
static const struct sentry_syscall_reason sentry_allowed[] = {
    /* memory: malloc, the memory file, thread stacks */
    {SCMP_SYS(mmap), "malloc, thread stacks, the memory file's mapping"},
    {SCMP_SYS(munmap), "free, thread stacks"},
    {SCMP_SYS(mprotect), "thread stack guards, malloc"},
    {SCMP_SYS(madvise), "malloc returning memory"},
    {SCMP_SYS(mremap), "realloc of large blocks"},
    {SCMP_SYS(brk), "malloc"},
    {SCMP_SYS(ftruncate), "growing the memory file"},
    {SCMP_SYS(fallocate), "punching freed pages out of the memory file"},
    /* I/O on fds the sentry holds: stdio, donated files, the gofer socket */
    {SCMP_SYS(read), "stdio and donated files"},
    {SCMP_SYS(write), "stdio, donated files, the log"},
    {SCMP_SYS(readv), "stdio and donated files (zero-copy into application memory)"},
    {SCMP_SYS(writev), "stdio and donated files"},
    {SCMP_SYS(pread64), "donated files, loading programs"},
    {SCMP_SYS(pwrite64), "donated files"},
    {SCMP_SYS(preadv), "donated files"},
    {SCMP_SYS(pwritev), "donated files"},
    {SCMP_SYS(lseek), "donated files"},
    {SCMP_SYS(getdents64), "donated directories"},
    {SCMP_SYS(fstat), "donated files and stdio"},
    {SCMP_SYS(fstatfs), "donated files"},
    {SCMP_SYS(fsync), "donated files"},
    {SCMP_SYS(fdatasync), "donated files"},
    {SCMP_SYS(close), "fds the sentry is done with"},
    {SCMP_SYS(sendmsg), "requests to the gofer"},
    {SCMP_SYS(recvmsg), "replies and donated fds from the gofer"},
    {SCMP_SYS(poll), "waiting for host fds"},
    {SCMP_SYS(ppoll), "waiting for host fds"},
    {SCMP_SYS(epoll_wait), "the host fd notifier waits for stdio readiness"},
    {SCMP_SYS(epoll_ctl), "the host fd notifier asks for events only while a task waits"},
    /* the ptrace platform */
    {SCMP_SYS(ptrace), "running application code in the stubs"},
    {SCMP_SYS(wait4), "ptrace stops of the stubs"},
    {SCMP_SYS(kill), "killing a stub"},
    {SCMP_SYS(tgkill), "interrupting a stub thread"},
    {SCMP_SYS(sched_setaffinity), "binding a task thread and its stub to one CPU"},
    {SCMP_SYS(sched_getaffinity), "the sandbox's CPU set"},
    {SCMP_SYS(setsid), "a new stub leaves the terminal's session"},
    {SCMP_SYS(dup2), "a new stub puts the memory file at fd 0"},
    {SCMP_SYS(close_range), "a new stub closes the sentry's fds"},
    {SCMP_SYS(getppid), "a new stub checks the sentry is alive"},
    {SCMP_SYS(rseq), "a new stub unregisters the rseq area it inherited"},
    {SCMP_SYS(seccomp), "a new stub installs its own (stricter) filter"},
    /* threads, time, identity */
    {SCMP_SYS(futex), "locks and condition variables"},
    {SCMP_SYS(set_robust_list), "new threads"},
    {SCMP_SYS(exit), "a task thread ends"},
    {SCMP_SYS(exit_group), "the sandbox ends"},
    {SCMP_SYS(getpid), "logs, panics"},
    {SCMP_SYS(gettid), "the ptrace tracer check"},
    {SCMP_SYS(sched_yield), "sched_yield of the application"},
    {SCMP_SYS(getcpu), "the CPU a task runs on"},
    {SCMP_SYS(clock_gettime), "clocks of the application and the sentry"},
    {SCMP_SYS(clock_getres), "clock_getres of the application"},
    {SCMP_SYS(clock_nanosleep), "sleeps of the application"},
    {SCMP_SYS(nanosleep), "sleeps"},
    {SCMP_SYS(gettimeofday), "time"},
    {SCMP_SYS(getrandom), "AT_RANDOM, getrandom, ASLR"},
    {SCMP_SYS(sysinfo), "sysinfo of the application"},
    {SCMP_SYS(getrusage), "getrusage of the application"},
    {SCMP_SYS(rt_sigaction), "crash handlers"},
    {SCMP_SYS(rt_sigprocmask), "threads, crash handlers"},
    {SCMP_SYS(rt_sigreturn), "returning from a handler"},
    {SCMP_SYS(sigaltstack), "crash handlers on stack overflow"},
    {SCMP_SYS(restart_syscall), "interrupted sleeps"},
    {SCMP_SYS(rt_sigtimedwait), "taking the signals sent to moat, to forward them to pid 1"},
    {SCMP_SYS(uname), "libc"},
    {SCMP_SYS(mincore), "libunwind checks addresses while printing a panic's stack"},
    {SCMP_SYS(msync), "libunwind checks addresses while printing a panic's stack"},
    {SCMP_SYS(pipe2), "libunwind checks addresses by writing them to a pipe"},
};

/* clone: a new stub (a plain fork: SIGCHLD), a new task thread (what
 * glibc's pthread_create passes), or a new stub thread: stubs inherit this
 * filter, and the ptrace platform makes a stub thread by injecting clone
 * with STUB_THREAD_CLONE_FLAGS into the stub. */
#define SENTRY_THREAD_CLONE_FLAGS                                                                 \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |          \
     CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

size_t sentry_seccomp_allowed(const struct sentry_syscall_reason **out_list)
{
    *out_list = sentry_allowed;
    return sizeof(sentry_allowed) / sizeof(sentry_allowed[0]);
}

scmp_filter_ctx sentry_seccomp_build(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return NULL;
    int err = 0;
    for (size_t i = 0; !err && i < sizeof(sentry_allowed) / sizeof(sentry_allowed[0]); i++)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sentry_allowed[i].nr, 0);
    /* clone: only the three shapes the sentry and its stubs use. */
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                               SCMP_A0(SCMP_CMP_EQ, SIGCHLD, 0));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                               SCMP_A0(SCMP_CMP_EQ, SENTRY_THREAD_CLONE_FLAGS, 0));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                               SCMP_A0(SCMP_CMP_EQ, STUB_THREAD_CLONE_FLAGS, 0));
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* Library paths that must fail softly, not kill: see the top. */
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0);
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
    /* fstat in glibc is newfstatat(fd, "", AT_EMPTY_PATH): only that form. */
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
                               SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH, 0));
    /* fcntl: status flags and dup to a high fd. */
    static const int fcntl_cmds[] = {F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_DUPFD_CLOEXEC};
    for (size_t i = 0; !err && i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]); i++)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                               SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_cmds[i]));
    /* ioctl: the terminal queries stdio answers. */
    static const unsigned long ioctls[] = {TCGETS, TIOCGWINSZ, FIONREAD};
    for (size_t i = 0; !err && i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                               SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)ioctls[i]));
    /* prctl: what a new stub sets on itself, and thread names. */
    static const int prctls[] = {PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_NAME,
                                 PR_GET_NAME};
    for (size_t i = 0; !err && i < sizeof(prctls) / sizeof(prctls[0]); i++)
        err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                               SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctls[i]));
    if (err) {
        seccomp_release(ctx);
        errno = -err;
        return NULL;
    }
    return ctx;
}

int sentry_seccomp_install(void)
{
#if defined(__SANITIZE_ADDRESS__)
    /* Sanitizer builds: LeakSanitizer's exit-time scan opens /proc and
     * ptrace-stops the sentry's threads, which the filter forbids. The
     * normal build runs every test with the filter on. */
    return 0;
#endif
    scmp_filter_ctx ctx = sentry_seccomp_build();
    if (!ctx)
        return -errno;
    /* Applies to every sentry thread, present and future. */
    int err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    if (!err)
        err = seccomp_load(ctx);
    seccomp_release(ctx);
    return err;
}

/* The alternate signal stack: sigaltstack + SA_ONSTACK.
 *
 *  - an SA_ONSTACK handler runs on the alternate stack (its locals are in
 *    it), sigaltstack there reports SS_ONSTACK and refuses a change (EPERM),
 *    uc_stack describes the stack; a handler without SA_ONSTACK runs on the
 *    normal stack; a nested SA_ONSTACK handler continues below the outer
 *    one on the same alternate stack;
 *  - SS_AUTODISARM: inside the handler the stack is disarmed (SS_DISABLE)
 *    and it is back after sigreturn;
 *  - errors: a stack under the kernel's MINSIGSTKSZ, 2048 (ENOMEM), unknown flags (EINVAL);
 *  - stack overflow (infinite recursion under a 512 KiB RLIMIT_STACK): the
 *    SIGSEGV handler runs on the alternate stack and siglongjmps out; with
 *    no alternate stack the process dies of SIGSEGV (children). */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#define ALT_SIZE (64 * 1024)

static char *alt;

static int on_alt(const void *p)
{
    return (const char *)p >= alt && (const char *)p < alt + ALT_SIZE;
}

static volatile struct {
    int ran;
    int local_on_alt;
    uintptr_t local;
    int flags;
    int change_ret, change_errno;
    uintptr_t uc_sp;
    size_t uc_size;
    int uc_flags;
} h1, h2;

static void handler2(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    (void)ucv;
    volatile char local = 0;
    h2.ran++;
    h2.local = (uintptr_t)&local;
    h2.local_on_alt = on_alt((const void *)&local);
    stack_t now;
    sigaltstack(NULL, &now);
    h2.flags = now.ss_flags;
}

static void handler1(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    volatile char local = 0;
    h1.ran++;
    h1.local = (uintptr_t)&local;
    h1.local_on_alt = on_alt((const void *)&local);
    stack_t now;
    sigaltstack(NULL, &now);
    h1.flags = now.ss_flags;
    stack_t other = {.ss_sp = malloc(ALT_SIZE), .ss_size = ALT_SIZE};
    errno = 0;
    h1.change_ret = sigaltstack(&other, NULL);
    h1.change_errno = errno;
    h1.uc_sp = (uintptr_t)uc->uc_stack.ss_sp;
    h1.uc_size = uc->uc_stack.ss_size;
    h1.uc_flags = uc->uc_stack.ss_flags;
    /* A nested signal while on the alternate stack. */
    raise(SIGUSR2);
    if (h1.change_ret != 0)
        free(other.ss_sp);
}

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags};
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(sig, &sa, NULL) == 0, "sigaction %d: %s", sig, strerror(errno));
}

static void test_basic(void)
{
    alt = malloc(ALT_SIZE);
    REQUIRE(alt, "malloc");
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE}, old;
    CHECK_RET(sigaltstack(&ss, &old), 0);
    CHECK(old.ss_flags == SS_DISABLE, "initial altstack flags %#x", old.ss_flags);

    set_action(SIGUSR1, handler1, SA_ONSTACK);
    set_action(SIGUSR2, handler2, SA_ONSTACK);
    memset((void *)&h1, 0, sizeof(h1));
    memset((void *)&h2, 0, sizeof(h2));
    raise(SIGUSR1);
    CHECK(h1.ran == 1 && h2.ran == 1, "handlers ran %d, %d times", h1.ran, h2.ran);
    CHECK(h1.local_on_alt, "the SA_ONSTACK handler's local %#lx is not on the alternate stack",
          (unsigned long)h1.local);
    CHECK(h1.flags == SS_ONSTACK, "sigaltstack in the handler: flags %#x, want SS_ONSTACK",
          h1.flags);
    CHECK(h1.change_ret == -1 && h1.change_errno == EPERM,
          "changing the stack while on it: %d errno %d, want EPERM", h1.change_ret,
          h1.change_errno);
    CHECK(h1.uc_sp == (uintptr_t)alt && h1.uc_size == ALT_SIZE && h1.uc_flags == 0,
          "uc_stack sp %#lx size %zu flags %#x", (unsigned long)h1.uc_sp, h1.uc_size,
          h1.uc_flags);
    CHECK(h2.local_on_alt && h2.local < h1.local,
          "nested handler's local %#lx, outer's %#lx: not below it on the alternate stack",
          (unsigned long)h2.local, (unsigned long)h1.local);
    CHECK(h2.flags == SS_ONSTACK, "nested handler: flags %#x", h2.flags);
    stack_t now;
    sigaltstack(NULL, &now);
    CHECK(now.ss_flags == 0 && now.ss_sp == alt && now.ss_size == ALT_SIZE,
          "after the handler: flags %#x sp %p size %zu", now.ss_flags, now.ss_sp, now.ss_size);

    /* Without SA_ONSTACK: the normal stack. */
    set_action(SIGUSR2, handler2, 0);
    memset((void *)&h2, 0, sizeof(h2));
    raise(SIGUSR2);
    CHECK(h2.ran == 1 && !h2.local_on_alt && h2.flags == 0,
          "a handler without SA_ONSTACK: ran %d, on alt %d, flags %#x", h2.ran, h2.local_on_alt,
          h2.flags);
}

static void test_autodisarm(void)
{
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = (int)SS_AUTODISARM};
    CHECK_RET(sigaltstack(&ss, NULL), 0);
    set_action(SIGUSR2, handler2, SA_ONSTACK);
    memset((void *)&h2, 0, sizeof(h2));
    raise(SIGUSR2);
    CHECK(h2.ran == 1 && h2.local_on_alt, "SS_AUTODISARM: ran %d on alt %d", h2.ran,
          h2.local_on_alt);
    CHECK(h2.flags == SS_DISABLE, "SS_AUTODISARM: flags in the handler %#x, want SS_DISABLE",
          h2.flags);
    stack_t now;
    sigaltstack(NULL, &now);
    CHECK((unsigned)now.ss_flags == SS_AUTODISARM && now.ss_sp == alt,
          "SS_AUTODISARM: after the handler flags %#x sp %p", now.ss_flags, now.ss_sp);

    /* Errors, and disabling. */
    /* The kernel's MINSIGSTKSZ is 2048 (glibc's is sysconf's, larger). */
    stack_t small = {.ss_sp = alt, .ss_size = 2047};
    CHECK_ERRNO(sigaltstack(&small, NULL), ENOMEM);
    stack_t badflags = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0x100};
    CHECK_ERRNO(sigaltstack(&badflags, NULL), EINVAL);
    stack_t off = {.ss_flags = SS_DISABLE};
    CHECK_RET(sigaltstack(&off, NULL), 0);
    sigaltstack(NULL, &now);
    CHECK(now.ss_flags == SS_DISABLE, "disabled: flags %#x", now.ss_flags);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* Stack overflow. */
static sigjmp_buf overflow_jump;
static volatile int overflow_on_alt, overflow_flags, overflow_ran;
static volatile long stop_depth = -1;

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    volatile char local = 0;
    overflow_ran++;
    overflow_on_alt = on_alt((const void *)&local);
    stack_t now;
    sigaltstack(NULL, &now);
    overflow_flags = now.ss_flags;
    siglongjmp(overflow_jump, 1);
}

static long recurse(long depth)
{
    volatile char pad[1024];
    pad[0] = (char)depth;
    if (depth == stop_depth)
        return 0;
    return recurse(depth + 1) + pad[0];
}

/* In a child: 0 when the handler ran on the alternate stack. */
static int overflow_child(int use_alt)
{
    struct rlimit rl = {512 * 1024, 512 * 1024};
    if (setrlimit(RLIMIT_STACK, &rl) != 0)
        return 10;
    if (use_alt) {
        stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE};
        if (sigaltstack(&ss, NULL) != 0)
            return 11;
    }
    set_action(SIGSEGV, overflow_handler, SA_ONSTACK);
    /* Should the SIGSEGV neither run the handler nor kill, SIGALRM ends
     * the child (a wrong status, not a hang). */
    alarm(5);
    if (sigsetjmp(overflow_jump, 1) == 0) {
        recurse(0);
        return 12;
    }
    if (overflow_ran != 1)
        return 13;
    if (!overflow_on_alt)
        return 14;
    if (overflow_flags != SS_ONSTACK)
        return 15;
    /* The stack is usable again after the jump. */
    char buf[4096];
    memset(buf, 1, sizeof(buf));
    return buf[100] == 1 ? 0 : 16;
}

static void test_overflow(void)
{
    for (int use_alt = 1; use_alt >= 0; use_alt--) {
        pid_t pid = fork();
        REQUIRE(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0)
            _exit(overflow_child(use_alt));
        int st = 0;
        CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
        if (use_alt)
            CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "stack overflow with an alternate stack: status %#x", st);
        else
            CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
                  "stack overflow without an alternate stack: status %#x, want SIGSEGV", st);
    }
}

int main(void)
{
    test_basic();
    test_autodisarm();
    test_overflow();
    free(alt);
    return check_done("sig_altstack");
}

/* Signal state that is recorded without delivering anything: rt_sigaction,
 * rt_sigprocmask and sigaltstack. No handler ever runs here. Raw syscalls
 * with the kernel's struct sigaction layout, so what we read back is exactly
 * what the kernel keeps (glibc would add SA_RESTORER). */
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

struct k_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (int)(1U << 31)
#endif

#define BIT(sig) (1ULL << ((sig) - 1))
#define KSIGSET_SIZE 8

static void handler(int sig)
{
    (void)sig;
}

static void restorer(void)
{
}

static long k_sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old)
{
    return syscall(SYS_rt_sigaction, sig, act, old, KSIGSET_SIZE);
}

static long k_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
    return syscall(SYS_rt_sigprocmask, how, set, old, KSIGSET_SIZE);
}

static void test_sigaction(void)
{
    struct k_sigaction old, act, got;

    /* The initial disposition: no handler survives execve (SIG_IGN can be
     * inherited, so do not insist on SIG_DFL). */
    memset(&old, 0x55, sizeof(old));
    CHECK_RET(k_sigaction(SIGUSR1, NULL, &old), 0);
    CHECK(old.handler == SIG_DFL || old.handler == SIG_IGN, "initial SIGUSR1 handler %p",
          (void *)old.handler);

    act = (struct k_sigaction){
        .handler = handler,
        .flags = SA_RESTORER | SA_SIGINFO | SA_RESTART | SA_ONSTACK | SA_NODEFER,
        .restorer = restorer,
        /* SIGKILL and SIGSTOP are dropped from a handler's mask. */
        .mask = BIT(SIGUSR2) | BIT(SIGTERM) | BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGRTMIN + 1),
    };
    memset(&got, 0x55, sizeof(got));
    CHECK_RET(k_sigaction(SIGUSR1, &act, &got), 0);
    CHECK(got.handler == old.handler, "old handler %p", (void *)got.handler);
    memset(&got, 0x55, sizeof(got));
    CHECK_RET(k_sigaction(SIGUSR1, NULL, &got), 0);
    CHECK(got.handler == handler, "handler %p, want %p", (void *)got.handler, (void *)handler);
    CHECK(got.flags == act.flags, "flags 0x%lx, want 0x%lx", got.flags, act.flags);
    CHECK(got.restorer == restorer, "restorer %p", (void *)got.restorer);
    uint64_t want_mask = BIT(SIGUSR2) | BIT(SIGTERM) | BIT(SIGRTMIN + 1);
    CHECK(got.mask == want_mask, "mask 0x%llx, want 0x%llx", (unsigned long long)got.mask,
          (unsigned long long)want_mask);

    /* SIG_IGN round trip on a real-time signal; the old value comes back. */
    act = (struct k_sigaction){.handler = SIG_IGN, .flags = SA_RESTORER, .restorer = restorer};
    CHECK_RET(k_sigaction(SIGRTMIN + 3, &act, NULL), 0);
    CHECK_RET(k_sigaction(SIGRTMIN + 3, NULL, &got), 0);
    CHECK(got.handler == SIG_IGN, "SIGRTMIN+3 handler %p, want SIG_IGN", (void *)got.handler);
    act.handler = SIG_DFL;
    CHECK_RET(k_sigaction(SIGRTMIN + 3, &act, &got), 0);
    CHECK(got.handler == SIG_IGN, "old SIGRTMIN+3 handler %p", (void *)got.handler);

    /* The libc wrapper sees the same state. */
    struct sigaction sa;
    CHECK_RET(sigaction(SIGUSR1, NULL, &sa), 0);
    CHECK(sa.sa_handler == handler, "libc sigaction handler %p", (void *)sa.sa_handler);
    CHECK(sigismember(&sa.sa_mask, SIGUSR2) == 1 && sigismember(&sa.sa_mask, SIGINT) == 0,
          "libc sigaction mask");

    /* Errors. */
    act = (struct k_sigaction){.handler = handler, .flags = SA_RESTORER, .restorer = restorer};
    CHECK_ERRNO(k_sigaction(SIGKILL, &act, NULL), EINVAL);
    CHECK_ERRNO(k_sigaction(SIGSTOP, &act, NULL), EINVAL);
    act.handler = SIG_IGN;
    CHECK_ERRNO(k_sigaction(SIGKILL, &act, NULL), EINVAL);
    CHECK_RET(k_sigaction(SIGKILL, NULL, &got), 0); /* reading is fine */
    CHECK(got.handler == SIG_DFL, "SIGKILL handler %p", (void *)got.handler);
    CHECK_ERRNO(k_sigaction(0, &act, NULL), EINVAL);
    CHECK_ERRNO(k_sigaction(65, NULL, &got), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &got, 4), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, KSIGSET_SIZE), EFAULT);
    CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, (void *)8, KSIGSET_SIZE), EFAULT);
    /* A failed call changed nothing. */
    CHECK_RET(k_sigaction(SIGUSR1, NULL, &got), 0);
    CHECK(got.handler == handler, "SIGUSR1 handler changed by failed calls");

    act = old;
    CHECK_RET(k_sigaction(SIGUSR1, &act, NULL), 0);
}

static void test_sigprocmask(void)
{
    uint64_t orig, set, got;
    CHECK_RET(k_sigprocmask(SIG_BLOCK, NULL, &orig), 0);
    /* The blocked mask is inherited across execve, so only relative checks;
     * SIGKILL and SIGSTOP can never be blocked. */
    CHECK((orig & (BIT(SIGKILL) | BIT(SIGSTOP))) == 0, "initial mask 0x%llx",
          (unsigned long long)orig);

    set = BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGKILL) | BIT(SIGSTOP);
    CHECK_RET(k_sigprocmask(SIG_BLOCK, &set, &got), 0);
    CHECK(got == orig, "old mask 0x%llx", (unsigned long long)got);
    CHECK_RET(k_sigprocmask(SIG_BLOCK, NULL, &got), 0);
    CHECK(got == (orig | BIT(SIGUSR1) | BIT(SIGUSR2)),
          "blocked 0x%llx: want USR1|USR2 and never KILL/STOP", (unsigned long long)got);

    set = BIT(SIGUSR1);
    CHECK_RET(k_sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
    CHECK_RET(k_sigprocmask(SIG_SETMASK, NULL, &got), 0);
    uint64_t want = (orig & ~BIT(SIGUSR1)) | BIT(SIGUSR2);
    CHECK(got == want, "after unblock 0x%llx, want 0x%llx", (unsigned long long)got,
          (unsigned long long)want);

    set = BIT(SIGRTMIN) | BIT(SIGRTMAX) | BIT(SIGTERM);
    CHECK_RET(k_sigprocmask(SIG_SETMASK, &set, &got), 0);
    CHECK(got == want, "old mask from SIG_SETMASK");
    CHECK_RET(k_sigprocmask(SIG_BLOCK, NULL, &got), 0);
    CHECK(got == set, "after SIG_SETMASK 0x%llx, want 0x%llx", (unsigned long long)got,
          (unsigned long long)set);

    /* The libc view agrees. */
    sigset_t ls;
    CHECK_RET(sigprocmask(SIG_BLOCK, NULL, &ls), 0);
    CHECK(sigismember(&ls, SIGTERM) == 1 && sigismember(&ls, SIGUSR2) == 0, "libc mask");

    CHECK_ERRNO(k_sigprocmask(99, &set, NULL), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, KSIGSET_SIZE), EFAULT);
    CHECK_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, (void *)8, KSIGSET_SIZE), EFAULT);
    /* An invalid how is ignored when there is no new set. */
    CHECK_RET(k_sigprocmask(99, NULL, &got), 0);
    CHECK(got == set, "mask changed by failed calls");

    CHECK_RET(k_sigprocmask(SIG_SETMASK, &orig, NULL), 0);
}

static void test_sigaltstack(void)
{
    stack_t ss, old;
    memset(&old, 0x55, sizeof(old));
    CHECK_RET(sigaltstack(NULL, &old), 0);
    CHECK(old.ss_flags == SS_DISABLE, "initial ss_flags %d", old.ss_flags);
    CHECK(old.ss_sp == NULL && old.ss_size == 0, "initial ss %p/%zu", old.ss_sp, old.ss_size);

    size_t size = 64 * 1024;
    char *mem = malloc(size);
    REQUIRE(mem, "malloc");
    ss = (stack_t){.ss_sp = mem, .ss_size = size, .ss_flags = 0};
    CHECK_RET(sigaltstack(&ss, &old), 0);
    CHECK(old.ss_flags == SS_DISABLE, "old ss_flags %d", old.ss_flags);
    memset(&old, 0x55, sizeof(old));
    CHECK_RET(sigaltstack(NULL, &old), 0);
    CHECK(old.ss_sp == mem && old.ss_size == size && old.ss_flags == 0,
          "read back %p/%zu/%d, want %p/%zu/0", old.ss_sp, old.ss_size, old.ss_flags,
          (void *)mem, size);

    /* Too small: ENOMEM, and the stack stays as it was. */
    ss.ss_size = 1024;
    CHECK_ERRNO(sigaltstack(&ss, NULL), ENOMEM);
    ss.ss_size = size;
    ss.ss_flags = 0x1234;
    CHECK_ERRNO(sigaltstack(&ss, NULL), EINVAL);
    CHECK_ERRNO(syscall(SYS_sigaltstack, (void *)8, NULL), EFAULT);
    CHECK_ERRNO(syscall(SYS_sigaltstack, NULL, (void *)8), EFAULT);
    CHECK_RET(sigaltstack(NULL, &old), 0);
    CHECK(old.ss_sp == mem && old.ss_size == size, "failed calls changed the stack");

    /* SS_AUTODISARM is accepted and read back. */
    ss.ss_flags = (int)SS_AUTODISARM;
    CHECK_RET(sigaltstack(&ss, NULL), 0);
    CHECK_RET(sigaltstack(NULL, &old), 0);
    CHECK(old.ss_flags == (int)SS_AUTODISARM, "ss_flags %d, want SS_AUTODISARM", old.ss_flags);

    /* SS_DISABLE: ignores size and reads back as disabled. */
    ss = (stack_t){.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    CHECK_RET(sigaltstack(&ss, NULL), 0);
    CHECK_RET(sigaltstack(NULL, &old), 0);
    CHECK(old.ss_flags == SS_DISABLE, "ss_flags %d after SS_DISABLE", old.ss_flags);
    free(mem);
}

int main(void)
{
    test_sigaction();
    test_sigprocmask();
    test_sigaltstack();
    return check_done("sigaction_record");
}

/* Handlers for CPU faults, and recovering from them.
 *
 *  - SIGSEGV on a PROT_NONE page (SEGV_ACCERR, si_addr exact): the handler
 *    mprotects the page and returns, the access is retried and succeeds;
 *    on an unmapped page (SEGV_MAPERR): the handler maps it and returns.
 *  - SIGBUS past the end of a file mapping (BUS_ADRERR, si_addr exact):
 *    the handler extends the file and returns, the access then succeeds;
 *    or it siglongjmps out.
 *  - SIGFPE from integer division by zero (FPE_INTDIV, si_addr = the
 *    divide), SIGILL from ud2 (ILL_ILLOPN, si_addr = the ud2), SIGTRAP from
 *    int3 (SI_KERNEL, RIP after the int3): the handler moves RIP on.
 *  - siglongjmp out of a handler restores the mask saved by sigsetjmp, so
 *    the same fault can be caught again.
 *  - a fault while its signal is blocked, or ignored, or inside its own
 *    handler, kills the process (run in children). */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096

static volatile int faults;
static volatile int last_code;
static void *volatile last_addr;
static void *volatile fix_page;
static volatile int fix_mode; /* 0 mprotect, 1 mmap, 2 extend the file, 3 longjmp */
static volatile int fix_fd;
static sigjmp_buf jump;
/* An unmapped address the compiler cannot see through. */
static volatile int *volatile bad_ptr = (volatile int *)16;

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags};
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(sig, &sa, NULL) == 0, "sigaction %d: %s", sig, strerror(errno));
}

static void fixer(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    faults++;
    last_code = si->si_code;
    last_addr = si->si_addr;
    if (faults > 5)
        _exit(90); /* the fix did not take */
    switch (fix_mode) {
    case 0:
        mprotect(fix_page, PAGE, PROT_READ | PROT_WRITE);
        break;
    case 1:
        mmap(fix_page, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
             0);
        break;
    case 2:
        ftruncate(fix_fd, 2 * PAGE);
        break;
    default:
        siglongjmp(jump, 1);
    }
}

static void test_segv(void)
{
    set_action(SIGSEGV, fixer, 0);

    /* PROT_NONE, then made writable by the handler. */
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED, "mmap");
    REQUIRE(mprotect(p + PAGE, PAGE, PROT_NONE) == 0, "mprotect");
    faults = 0;
    fix_mode = 0;
    fix_page = p + PAGE;
    ((volatile char *)p)[PAGE + 123] = 42;
    CHECK(faults == 1, "PROT_NONE write: %d faults", faults);
    CHECK(last_code == SEGV_ACCERR, "PROT_NONE: si_code %d, want SEGV_ACCERR", last_code);
    CHECK(last_addr == p + PAGE + 123, "PROT_NONE: si_addr %p, want %p", last_addr,
          (void *)(p + PAGE + 123));
    CHECK(p[PAGE + 123] == 42, "the retried write did not happen");

    /* Read-only page written. */
    REQUIRE(mprotect(p + PAGE, PAGE, PROT_READ) == 0, "mprotect");
    faults = 0;
    ((volatile char *)p)[PAGE + 5] = 7;
    CHECK(faults == 1 && last_code == SEGV_ACCERR && last_addr == p + PAGE + 5,
          "read-only write: %d faults code %d addr %p", faults, last_code, last_addr);
    CHECK(p[PAGE + 5] == 7, "the retried write did not happen");

    /* Unmapped, then mapped by the handler. */
    REQUIRE(munmap(p + PAGE, PAGE) == 0, "munmap");
    faults = 0;
    fix_mode = 1;
    volatile int v = ((volatile int *)(p + PAGE))[10];
    CHECK(faults == 1 && v == 0, "unmapped read: %d faults, value %d", faults, v);
    CHECK(last_code == SEGV_MAPERR, "unmapped: si_code %d, want SEGV_MAPERR", last_code);
    CHECK(last_addr == p + PAGE + 40, "unmapped: si_addr %p, want %p", last_addr,
          (void *)(p + PAGE + 40));
    munmap(p, 2 * PAGE);
    signal(SIGSEGV, SIG_DFL);
}

static void test_sigbus(void)
{
    char path[] = "/tmp/moat-sigbus-XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp: %s", strerror(errno));
    unlink(path);
    REQUIRE(ftruncate(fd, 100) == 0, "ftruncate");
    char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(m != MAP_FAILED, "mmap: %s", strerror(errno));
    set_action(SIGBUS, fixer, 0);

    /* Within the file's last page, past its end: no fault (zeros). */
    CHECK(m[200] == 0, "tail of the last page");

    /* The next page: SIGBUS; the handler extends the file. */
    faults = 0;
    fix_mode = 2;
    fix_fd = fd;
    ((volatile char *)m)[PAGE + 10] = 'x';
    CHECK(faults == 1, "SIGBUS: %d faults", faults);
    CHECK(last_code == BUS_ADRERR, "SIGBUS: si_code %d, want BUS_ADRERR", last_code);
    CHECK(last_addr == m + PAGE + 10, "SIGBUS: si_addr %p, want %p", last_addr,
          (void *)(m + PAGE + 10));
    char c = 0;
    CHECK(pread(fd, &c, 1, PAGE + 10) == 1 && c == 'x', "the retried write missed the file");

    /* Shrunk again: siglongjmp out. */
    REQUIRE(ftruncate(fd, 100) == 0, "ftruncate");
    faults = 0;
    fix_mode = 3;
    volatile int jumped = 0;
    if (sigsetjmp(jump, 1) == 0) {
        volatile char r = ((volatile char *)m)[PAGE];
        (void)r;
    } else {
        jumped = 1;
    }
    CHECK(jumped && faults == 1 && last_code == BUS_ADRERR, "SIGBUS longjmp: %d faults code %d",
          faults, last_code);
    munmap(m, 2 * PAGE);
    close(fd);
    signal(SIGBUS, SIG_DFL);
}

/* CPU exceptions: the handler records RIP and moves it to the label whose
 * address the code left in r8. */
static volatile greg_t exc_rip, exc_label;

static void skipper(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    ucontext_t *uc = ucv;
    faults++;
    last_code = si->si_code;
    last_addr = si->si_addr;
    exc_rip = uc->uc_mcontext.gregs[REG_RIP];
    uc->uc_mcontext.gregs[REG_RIP] = uc->uc_mcontext.gregs[REG_R8];
}

static void test_exceptions(void)
{
    uintptr_t insn = 0;
    set_action(SIGFPE, skipper, 0);
    set_action(SIGILL, skipper, 0);
    set_action(SIGTRAP, skipper, 0);

    faults = 0;
    __asm__ volatile("lea 1f(%%rip), %0\n\t"
                     "lea 2f(%%rip), %%r8\n\t"
                     "xor %%ecx, %%ecx\n\t"
                     "mov $1, %%eax\n\t"
                     "cltd\n\t"
                     "1: idiv %%ecx\n\t"
                     "2:\n\t"
                     : "=&r"(insn)
                     :
                     : "rax", "rcx", "rdx", "r8");
    CHECK(faults == 1 && last_code == FPE_INTDIV, "SIGFPE: %d faults code %d (want FPE_INTDIV)",
          faults, last_code);
    CHECK((uintptr_t)last_addr == insn && (uintptr_t)exc_rip == insn,
          "SIGFPE: si_addr %p rip %#llx, the idiv is at %#lx", last_addr, (long long)exc_rip,
          (unsigned long)insn);

    faults = 0;
    __asm__ volatile("lea 1f(%%rip), %0\n\t"
                     "lea 2f(%%rip), %%r8\n\t"
                     "1: ud2\n\t"
                     "2:\n\t"
                     : "=&r"(insn)
                     :
                     : "r8");
    CHECK(faults == 1 && last_code == ILL_ILLOPN, "SIGILL: %d faults code %d (want ILL_ILLOPN)",
          faults, last_code);
    CHECK((uintptr_t)last_addr == insn && (uintptr_t)exc_rip == insn,
          "SIGILL: si_addr %p rip %#llx, the ud2 is at %#lx", last_addr, (long long)exc_rip,
          (unsigned long)insn);

    /* int3 is a trap: RIP is already past it; Linux reports SI_KERNEL. */
    faults = 0;
    __asm__ volatile("lea 2f(%%rip), %0\n\t"
                     "mov %0, %%r8\n\t"
                     "int3\n\t"
                     "2:\n\t"
                     : "=&r"(insn)
                     :
                     : "r8");
    CHECK(faults == 1 && last_code == SI_KERNEL, "SIGTRAP: %d faults code %d (want SI_KERNEL)",
          faults, last_code);
    CHECK((uintptr_t)exc_rip == insn, "SIGTRAP: rip %#llx, want %#lx (after the int3)",
          (long long)exc_rip, (unsigned long)insn);

    signal(SIGFPE, SIG_DFL);
    signal(SIGILL, SIG_DFL);
    signal(SIGTRAP, SIG_DFL);
}

static void jumper(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
    faults++;
    siglongjmp(jump, faults);
}

static void test_longjmp(void)
{
    set_action(SIGSEGV, jumper, 0);
    faults = 0;
    volatile int rounds = 0;
    /* Three faults in a row: each siglongjmp restores the mask sigsetjmp
     * saved, so SIGSEGV is not left blocked. */
    int r = sigsetjmp(jump, 1);
    if (r < 3) {
        rounds++;
        *bad_ptr = 1;
    }
    CHECK(r == 3 && rounds == 3 && faults == 3, "siglongjmp rounds %d faults %d", rounds, faults);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGSEGV), "SIGSEGV left blocked after siglongjmp");

    /* sigsetjmp without saving the mask: after the jump SIGSEGV stays blocked. */
    faults = 0;
    if (sigsetjmp(jump, 0) == 0)
        *bad_ptr = 1;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    CHECK(faults == 1 && sigismember(&cur, SIGSEGV), "sigsetjmp(.., 0): SIGSEGV not blocked");
    sigprocmask(SIG_UNBLOCK, &cur, NULL);
    signal(SIGSEGV, SIG_DFL);
}

/* Fault in a child with SIGSEGV blocked / ignored / in its own handler:
 * the kernel forces the default action. */
static void nested_segv(int sig)
{
    (void)sig;
    *bad_ptr = 1; /* SIGSEGV is blocked here */
}

static void test_forced(void)
{
    for (int mode = 0; mode < 3; mode++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            if (mode == 0) {
                sigset_t s;
                sigemptyset(&s);
                sigaddset(&s, SIGSEGV);
                sigprocmask(SIG_BLOCK, &s, NULL);
            } else if (mode == 1) {
                signal(SIGSEGV, SIG_IGN);
            } else {
                signal(SIGSEGV, nested_segv);
            }
            *bad_ptr = 1;
            _exit(0);
        }
        int st = 0;
        CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "mode %d: status %#x, want SIGSEGV",
              mode, st);
    }
}

int main(void)
{
    test_segv();
    test_sigbus();
    test_exceptions();
    test_longjmp();
    test_forced();
    return check_done("sig_fault_recover");
}

/* The signal frame (rt_sigframe) and sigreturn.
 *
 *  - siginfo: kill (SI_USER, si_pid, si_uid), sigqueue (SI_QUEUE, si_value),
 *    tgkill (SI_TKILL), as an SA_SIGINFO handler sees them.
 *  - ucontext registers: a write to a PROT_NONE page from a known
 *    instruction with known register values; the handler checks REG_RIP
 *    (the faulting instruction), REG_RSP, REG_RAX, REG_RCX, REG_RDI,
 *    REG_TRAPNO (14, page fault), REG_ERR (user write) and si_addr, then
 *    moves RIP past the instruction and changes RDI; both changes hold
 *    after sigreturn.
 *  - masks: uc_sigmask is the mask at interruption; in the handler the
 *    signal itself and sa_mask are blocked too (not the signal with
 *    SA_NODEFER, so it nests); a change to uc_sigmask is the mask after
 *    sigreturn; SA_RESETHAND resets the disposition.
 *  - FPU state: xmm0-15 (ymm0-15 with AVX), MXCSR, the x87 control word
 *    and st(0) survive a handler that clobbers them all; the handler starts
 *    with the default MXCSR; a change to uc_mcontext.fpregs->_xmm[1] in the
 *    handler is xmm1 after sigreturn; the 128-byte red zone below the
 *    interrupted RSP is left alone; the handler's stack is 16-byte aligned
 *    as the ABI wants at a function's entry. */
#include <signal.h>
#include <stdalign.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
                       const sigset_t *mask)
{
    struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO | flags};
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(sig, &sa, NULL) == 0, "sigaction %d: %s", sig, strerror(errno));
}

/* --- siginfo */

/* Written by the handlers: volatile. */
static volatile siginfo_t last_info;
static volatile int info_count;

static void save_info(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    last_info = *si;
    info_count++;
}

static void test_siginfo(void)
{
    set_action(SIGUSR1, save_info, 0, NULL);
    set_action(SIGRTMIN + 1, save_info, 0, NULL);

    info_count = 0;
    CHECK_RET(kill(getpid(), SIGUSR1), 0);
    CHECK(info_count == 1, "kill to self: handler ran %d times before kill returned", info_count);
    CHECK(last_info.si_signo == SIGUSR1 && last_info.si_code == SI_USER,
          "kill: signo %d code %d", last_info.si_signo, last_info.si_code);
    CHECK(last_info.si_pid == getpid() && last_info.si_uid == getuid(), "kill: pid %d uid %d",
          last_info.si_pid, last_info.si_uid);

    info_count = 0;
    CHECK_RET(sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 1234}), 0);
    CHECK(info_count == 1, "sigqueue: handler ran %d times", info_count);
    CHECK(last_info.si_code == SI_QUEUE && last_info.si_value.sival_int == 1234,
          "sigqueue: code %d value %d", last_info.si_code, last_info.si_value.sival_int);
    CHECK(last_info.si_pid == getpid() && last_info.si_uid == getuid(), "sigqueue: pid %d uid %d",
          last_info.si_pid, last_info.si_uid);

    static int anchor;
    info_count = 0;
    CHECK_RET(sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_ptr = &anchor}), 0);
    CHECK(info_count == 1 && last_info.si_signo == SIGRTMIN + 1 &&
              last_info.si_code == SI_QUEUE && last_info.si_value.sival_ptr == &anchor,
          "sigqueue of an RT signal: count %d signo %d code %d ptr %p", info_count,
          last_info.si_signo, last_info.si_code, last_info.si_value.sival_ptr);

    info_count = 0;
    CHECK_RET(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0);
    CHECK(info_count == 1 && last_info.si_code == SI_TKILL && last_info.si_pid == getpid(),
          "tgkill: count %d code %d pid %d", info_count, last_info.si_code, last_info.si_pid);

    /* rt_sigqueueinfo to ourselves with our own si_code. */
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    si.si_pid = 4242;
    si.si_value.sival_int = 99;
    info_count = 0;
    CHECK_RET(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si), 0);
    CHECK(info_count == 1 && last_info.si_pid == 4242 && last_info.si_value.sival_int == 99,
          "rt_sigqueueinfo: count %d pid %d value %d", info_count, last_info.si_pid,
          last_info.si_value.sival_int);

    signal(SIGUSR1, SIG_DFL);
    signal(SIGRTMIN + 1, SIG_DFL);
}

/* --- general registers at a fault */

static void *fault_page;
static volatile struct {
    int ran;
    void *addr;
    int code;
    greg_t rip, rdx, rsp, r9, rax, rcx, rdi, trapno, err;
} seen;

static void segv_regs(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    seen.ran++;
    seen.addr = si->si_addr;
    seen.code = si->si_code;
    seen.rip = g[REG_RIP];
    seen.rdx = g[REG_RDX];
    seen.rsp = g[REG_RSP];
    seen.r9 = g[REG_R9];
    seen.rax = g[REG_RAX];
    seen.rcx = g[REG_RCX];
    seen.rdi = g[REG_RDI];
    seen.trapno = g[REG_TRAPNO];
    seen.err = g[REG_ERR];
    /* Resume after the faulting instruction (its end is in r8), with a
     * new rdi. */
    g[REG_RIP] = g[REG_R8];
    g[REG_RDI] = 0x5a5a5a5a;
}

static void test_gregs(void)
{
    fault_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(fault_page != MAP_FAILED, "mmap");
    set_action(SIGSEGV, segv_regs, 0, NULL);

    long rdi_after;
    __asm__ volatile("lea 1f(%%rip), %%rdx\n\t"
                     "lea 2f(%%rip), %%r8\n\t"
                     "mov %%rsp, %%r9\n\t"
                     "movabs $0x1122334455667788, %%rax\n\t"
                     "mov $0x0badf00d, %%edi\n\t"
                     "1: movl $0x77, (%%rcx)\n\t"
                     "2:\n\t"
                     : "=D"(rdi_after)
                     : "c"(fault_page)
                     : "rax", "rdx", "r8", "r9", "memory");

    CHECK(seen.ran == 1, "SIGSEGV handler ran %d times", seen.ran);
    CHECK(seen.addr == fault_page, "si_addr %p, want %p", seen.addr, fault_page);
    CHECK(seen.code == SEGV_ACCERR, "si_code %d, want SEGV_ACCERR", seen.code);
    CHECK(seen.rip == seen.rdx, "REG_RIP %#llx, the faulting instruction is at %#llx",
          (long long)seen.rip, (long long)seen.rdx);
    CHECK(seen.rsp == seen.r9, "REG_RSP %#llx, want %#llx", (long long)seen.rsp,
          (long long)seen.r9);
    CHECK(seen.rax == 0x1122334455667788LL, "REG_RAX %#llx", (long long)seen.rax);
    CHECK(seen.rcx == (greg_t)(uintptr_t)fault_page, "REG_RCX %#llx", (long long)seen.rcx);
    CHECK(seen.rdi == 0x0badf00d, "REG_RDI %#llx", (long long)seen.rdi);
    CHECK(seen.trapno == 14, "REG_TRAPNO %lld, want 14 (page fault)", (long long)seen.trapno);
    /* Page-fault error code: user mode (4) | write (2), page not present. */
    CHECK(seen.err == 6, "REG_ERR %#llx, want 6 (user write)", (long long)seen.err);
    CHECK(rdi_after == 0x5a5a5a5a, "rdi after sigreturn %#lx, want the handler's 0x5a5a5a5a",
          rdi_after);
    signal(SIGSEGV, SIG_DFL);
    munmap(fault_page, 4096);
}

/* --- masks */

static volatile sigset_t mask_in_handler, uc_mask_seen;
static volatile int depth, max_depth, mask_count;

static void mask_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)si;
    ucontext_t *uc = ucv;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    mask_count++;
    if (mask_count == 1) {
        sigset_t now;
        sigprocmask(SIG_BLOCK, NULL, &now);
        mask_in_handler = now;
        uc_mask_seen = uc->uc_sigmask;
        /* Raise again inside: nests with SA_NODEFER, waits without. */
        raise(sig);
        /* After sigreturn SIGHUP is blocked. */
        sigaddset(&uc->uc_sigmask, SIGHUP);
    }
    depth--;
}

static void test_masks(void)
{
    sigset_t sa_mask, block, cur;
    sigemptyset(&sa_mask);
    sigaddset(&sa_mask, SIGINT);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);

    for (int nodefer = 0; nodefer <= 1; nodefer++) {
        set_action(SIGUSR1, mask_handler, nodefer ? SA_NODEFER : 0, &sa_mask);
        sigprocmask(SIG_SETMASK, &block, NULL);
        depth = max_depth = mask_count = 0;
        raise(SIGUSR1);
        sigset_t uc_mask = uc_mask_seen, in_handler = mask_in_handler;
        CHECK(mask_count == 2, "nodefer %d: handler ran %d times", nodefer, mask_count);
        CHECK(max_depth == (nodefer ? 2 : 1), "nodefer %d: nesting depth %d", nodefer,
              max_depth);
        CHECK(sigismember(&uc_mask, SIGUSR2) && !sigismember(&uc_mask, SIGUSR1) &&
                  !sigismember(&uc_mask, SIGINT),
              "nodefer %d: uc_sigmask is not the mask at interruption", nodefer);
        CHECK(sigismember(&in_handler, SIGUSR2) && sigismember(&in_handler, SIGINT),
              "nodefer %d: the old mask and sa_mask are not blocked in the handler", nodefer);
        CHECK(sigismember(&in_handler, SIGUSR1) == !nodefer,
              "nodefer %d: the signal itself %s blocked in its handler", nodefer,
              sigismember(&in_handler, SIGUSR1) ? "is" : "is not");
        sigprocmask(SIG_BLOCK, NULL, &cur);
        CHECK(sigismember(&cur, SIGHUP) && sigismember(&cur, SIGUSR2) &&
                  !sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGINT),
              "nodefer %d: the mask after sigreturn is not the handler's uc_sigmask", nodefer);
        sigemptyset(&cur);
        sigprocmask(SIG_SETMASK, &cur, NULL);
    }

    /* SA_RESETHAND: one handler run, then SIG_DFL. */
    set_action(SIGUSR1, save_info, SA_RESETHAND, NULL);
    info_count = 0;
    raise(SIGUSR1);
    CHECK(info_count == 1, "SA_RESETHAND handler ran %d times", info_count);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    CHECK(now.sa_handler == SIG_DFL, "SA_RESETHAND: disposition not reset");
    signal(SIGUSR1, SIG_DFL);
}

/* --- FPU, red zone, alignment */

struct fpu_io {
    alignas(32) uint8_t ymm_in[16][32];
    alignas(32) uint8_t ymm_out[16][32];
    uint32_t mxcsr_in, mxcsr_out;
    uint16_t fcw_in, fcw_out;
    double st0_in, st0_out;
    uint64_t redzone_bad;
};

static volatile struct {
    int ran;
    uint32_t mxcsr;
    int modify_xmm1;
    int misaligned;
} fpu_seen;

static void fpu_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    alignas(16) volatile uint8_t probe[16];
    fpu_seen.ran++;
    fpu_seen.misaligned = ((uintptr_t)probe & 15) != 0;
    uint32_t mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    fpu_seen.mxcsr = mxcsr;
    /* Clobber everything the interrupted code had. */
    uint32_t rz = 0x7f80;
    __asm__ volatile("ldmxcsr %0\n\t"
                     "fninit\n\t"
                     "fldpi\n\t"
                     "fldpi\n\t"
                     "pcmpeqb %%xmm0, %%xmm0\n\tpcmpeqb %%xmm1, %%xmm1\n\t"
                     "pcmpeqb %%xmm2, %%xmm2\n\tpcmpeqb %%xmm3, %%xmm3\n\t"
                     "pcmpeqb %%xmm4, %%xmm4\n\tpcmpeqb %%xmm5, %%xmm5\n\t"
                     "pcmpeqb %%xmm6, %%xmm6\n\tpcmpeqb %%xmm7, %%xmm7\n\t"
                     "pcmpeqb %%xmm8, %%xmm8\n\tpcmpeqb %%xmm9, %%xmm9\n\t"
                     "pcmpeqb %%xmm10, %%xmm10\n\tpcmpeqb %%xmm11, %%xmm11\n\t"
                     "pcmpeqb %%xmm12, %%xmm12\n\tpcmpeqb %%xmm13, %%xmm13\n\t"
                     "pcmpeqb %%xmm14, %%xmm14\n\tpcmpeqb %%xmm15, %%xmm15\n\t"
                     :
                     : "m"(rz)
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st",
                       "st(1)");
    if (__builtin_cpu_supports("avx"))
        __asm__ volatile("vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n\tvpcmpeqb %%ymm7, %%ymm7, %%ymm7\n\t"
                         "vpcmpeqb %%ymm8, %%ymm8, %%ymm8\n\tvpcmpeqb %%ymm15, %%ymm15, %%ymm15\n\t"
                         "vzeroupper\n\t"
                         "vpcmpeqb %%ymm1, %%ymm1, %%ymm1\n\t"
                         :
                         :
                         : "xmm0", "xmm1", "xmm7", "xmm8", "xmm15");
    if (fpu_seen.modify_xmm1) {
        for (int i = 0; i < 4; i++)
            uc->uc_mcontext.fpregs->_xmm[1].element[i] = 0xc0ffee00u + (uint32_t)i;
    }
}

#define LOAD_X(n) "movdqu " #n "*32(%%rbx), %%xmm" #n "\n\t"
#define STORE_X(n) "movdqu %%xmm" #n ", " #n "*32(%%r12)\n\t"
#define LOAD_Y(n) "vmovdqu " #n "*32(%%rbx), %%ymm" #n "\n\t"
#define STORE_Y(n) "vmovdqu %%ymm" #n ", " #n "*32(%%r12)\n\t"
#define ALL16(M)                                                                               \
    M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)

/* Loads the state, sends SIGUSR1 to this thread with a raw tgkill (the
 * handler runs as the syscall returns), stores the state. The red zone
 * below the stack pointer at the syscall is filled with a pattern before
 * and checked after. */
static void fpu_run(struct fpu_io *io, int avx)
{
    register uint8_t *in __asm__("rbx") = &io->ymm_in[0][0];
    register uint8_t *out __asm__("r12") = &io->ymm_out[0][0];
    long nr = SYS_tgkill;
    uint64_t bad = 0;
    __asm__ volatile(
        /* Out of the compiler's own red zone, then fill ours. */
        "sub $256, %%rsp\n\t"
        "mov $16, %%ecx\n\t"
        "lea -128(%%rsp), %%r11\n\t"
        "3: movabs $0x5ed20e5ed20e0000, %%r8\n\t"
        "add %%rcx, %%r8\n\t"
        "mov %%r8, -8(%%r11,%%rcx,8)\n\t"
        "dec %%ecx\n\t"
        "jnz 3b\n\t"
        "ldmxcsr %[mxin]\n\t"
        "fldcw %[fcwin]\n\t"
        "fldl %[st0in]\n\t"
        "test %[avx], %[avx]\n\t"
        "jz 9f\n\t" ALL16(LOAD_Y) "jmp 4f\n\t"
        "9:\n\t" ALL16(LOAD_X) "4:\n\t"
        "syscall\n\t"
        "test %[avx], %[avx]\n\t"
        "jnz 5f\n\t" ALL16(STORE_X) "jmp 6f\n\t"
        "5:\n\t" ALL16(STORE_Y) "6:\n\t"
        "fstpl %[st0out]\n\t"
        "fnstcw %[fcwout]\n\t"
        "stmxcsr %[mxout]\n\t"
        "mov $16, %%ecx\n\t"
        "lea -128(%%rsp), %%r11\n\t"
        "7: movabs $0x5ed20e5ed20e0000, %%r8\n\t"
        "add %%rcx, %%r8\n\t"
        "cmp %%r8, -8(%%r11,%%rcx,8)\n\t"
        "je 8f\n\t"
        "inc %[bad]\n\t"
        "8: dec %%ecx\n\t"
        "jnz 7b\n\t"
        "add $256, %%rsp\n\t"
        : "+a"(nr), [bad] "+r"(bad), [mxout] "=m"(io->mxcsr_out), [fcwout] "=m"(io->fcw_out),
          [st0out] "=m"(io->st0_out)
        : "b"(in), "r"(out), "D"((long)getpid()), "S"((long)gettid()), "d"((long)SIGUSR1),
          [avx] "r"((long)avx), [mxin] "m"(io->mxcsr_in), [fcwin] "m"(io->fcw_in),
          [st0in] "m"(io->st0_in)
        : "rcx", "r8", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
          "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "st");
    io->redzone_bad = bad;
}

static void fill(struct fpu_io *io, int seed)
{
    memset(io, 0, sizeof(*io));
    for (int r = 0; r < 16; r++)
        for (int b = 0; b < 32; b++)
            io->ymm_in[r][b] = (uint8_t)(seed + r * 32 + b * 7 + 1);
    io->mxcsr_in = 0x1f80 | 0x6000; /* round toward zero */
    io->fcw_in = 0x037f & ~0x0300;  /* x87 single precision */
    io->st0_in = 2.5 + seed;
}

static void test_fpu(void)
{
    set_action(SIGUSR1, fpu_handler, 0, NULL);
    int have_avx = __builtin_cpu_supports("avx");
    static struct fpu_io io;

    for (int avx = 0; avx <= have_avx; avx++) {
        fill(&io, avx * 50);
        memset((void *)&fpu_seen, 0, sizeof(fpu_seen));
        fpu_run(&io, avx);
        const char *what = avx ? "ymm" : "xmm";
        int width = avx ? 32 : 16;
        CHECK(fpu_seen.ran == 1, "%s: handler ran %d times", what, fpu_seen.ran);
        CHECK(!fpu_seen.misaligned, "%s: the handler's stack is not 16-byte aligned", what);
        CHECK(fpu_seen.mxcsr == 0x1f80, "%s: MXCSR in the handler %#x, want the default 0x1f80",
              what, fpu_seen.mxcsr);
        for (int r = 0; r < 16; r++)
            CHECK(memcmp(io.ymm_in[r], io.ymm_out[r], width) == 0,
                  "%s%d changed across the handler", what, r);
        CHECK(io.mxcsr_out == io.mxcsr_in, "%s: MXCSR %#x after, %#x before", what, io.mxcsr_out,
              io.mxcsr_in);
        CHECK(io.fcw_out == io.fcw_in, "%s: x87 control word %#x after, %#x before", what,
              io.fcw_out, io.fcw_in);
        CHECK(io.st0_out == io.st0_in, "%s: st(0) %g after, %g before", what, io.st0_out,
              io.st0_in);
        CHECK(io.redzone_bad == 0, "%s: %llu red-zone words below RSP were overwritten", what,
              (unsigned long long)io.redzone_bad);
    }

    /* The handler's change to the saved xmm1 is xmm1 after sigreturn. */
    fill(&io, 100);
    memset((void *)&fpu_seen, 0, sizeof(fpu_seen));
    fpu_seen.modify_xmm1 = 1;
    fpu_run(&io, 0);
    uint32_t want[4] = {0xc0ffee00u, 0xc0ffee01u, 0xc0ffee02u, 0xc0ffee03u};
    CHECK(memcmp(io.ymm_out[1], want, 16) == 0, "xmm1 after sigreturn is not the frame's");
    CHECK(memcmp(io.ymm_out[2], io.ymm_in[2], 16) == 0, "xmm2 changed");
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    test_siginfo();
    test_gregs();
    test_masks();
    test_fpu();
    return check_done("sig_frame");
}

/* Signals: numbers, sigaction, siginfo, stack_t (x86_64). */
#pragma once

#include <stdint.h>

#define LINUX_SIGHUP 1
#define LINUX_SIGINT 2
#define LINUX_SIGQUIT 3
#define LINUX_SIGILL 4
#define LINUX_SIGTRAP 5
#define LINUX_SIGABRT 6
#define LINUX_SIGBUS 7
#define LINUX_SIGFPE 8
#define LINUX_SIGKILL 9
#define LINUX_SIGUSR1 10
#define LINUX_SIGSEGV 11
#define LINUX_SIGUSR2 12
#define LINUX_SIGPIPE 13
#define LINUX_SIGALRM 14
#define LINUX_SIGTERM 15
#define LINUX_SIGSTKFLT 16
#define LINUX_SIGCHLD 17
#define LINUX_SIGCONT 18
#define LINUX_SIGSTOP 19
#define LINUX_SIGTSTP 20
#define LINUX_SIGTTIN 21
#define LINUX_SIGTTOU 22
#define LINUX_SIGURG 23
#define LINUX_SIGXCPU 24
#define LINUX_SIGXFSZ 25
#define LINUX_SIGVTALRM 26
#define LINUX_SIGPROF 27
#define LINUX_SIGWINCH 28
#define LINUX_SIGIO 29
#define LINUX_SIGPWR 30
#define LINUX_SIGSYS 31
#define LINUX_SIGRTMIN 32
#define LINUX_SIGRTMAX 64

#define LINUX_SIG_DFL 0
#define LINUX_SIG_IGN 1

#define LINUX_SIG_BLOCK 0
#define LINUX_SIG_UNBLOCK 1
#define LINUX_SIG_SETMASK 2

#define LINUX_SA_NOCLDSTOP 0x00000001
#define LINUX_SA_NOCLDWAIT 0x00000002
#define LINUX_SA_SIGINFO 0x00000004
#define LINUX_SA_UNSUPPORTED 0x00000400
#define LINUX_SA_EXPOSE_TAGBITS 0x00000800
#define LINUX_SA_RESTORER 0x04000000
#define LINUX_SA_ONSTACK 0x08000000
#define LINUX_SA_RESTART 0x10000000
#define LINUX_SA_NODEFER 0x40000000
#define LINUX_SA_RESETHAND 0x80000000

#define LINUX_SS_ONSTACK 1
#define LINUX_SS_DISABLE 2
#define LINUX_SS_AUTODISARM (1U << 31)
#define LINUX_MINSIGSTKSZ 2048
#define LINUX_SIGSTKSZ 8192

#define LINUX_SI_USER 0
#define LINUX_SI_KERNEL 0x80
#define LINUX_SI_QUEUE (-1)
#define LINUX_SI_TIMER (-2)
#define LINUX_SI_TKILL (-6)
#define LINUX_SEGV_MAPERR 1
#define LINUX_SEGV_ACCERR 2
#define LINUX_BUS_ADRALN 1
#define LINUX_BUS_ADRERR 2
#define LINUX_FPE_INTDIV 1
#define LINUX_ILL_ILLOPC 1
#define LINUX_TRAP_BRKPT 1
#define LINUX_SI_ASYNCIO (-4)
#define LINUX_SI_MESGQ (-3)
#define LINUX_SI_SIGIO (-5)
#define LINUX_ILL_ILLOPN 2
#define LINUX_FPE_INTOVF 2
#define LINUX_FPE_FLTDIV 3
#define LINUX_SEGV_PKUERR 4
#define LINUX_TRAP_TRACE 2

/* si_code of SIGCHLD. */
#define LINUX_CLD_EXITED 1
#define LINUX_CLD_KILLED 2
#define LINUX_CLD_DUMPED 3
#define LINUX_CLD_TRAPPED 4
#define LINUX_CLD_STOPPED 5
#define LINUX_CLD_CONTINUED 6

/* sigevent.sigev_notify */
#define LINUX_SIGEV_SIGNAL 0
#define LINUX_SIGEV_NONE 1
#define LINUX_SIGEV_THREAD 2
#define LINUX_SIGEV_THREAD_ID 4

/* ucontext.uc_flags (arch/x86/include/uapi/asm/ucontext.h) */
#define LINUX_UC_FP_XSTATE 0x1
#define LINUX_UC_SIGCONTEXT_SS 0x2
#define LINUX_UC_STRICT_RESTORE_SS 0x4

/* The XSAVE image of a signal frame (asm/sigcontext.h). */
#define LINUX_FP_XSTATE_MAGIC1 0x46505853U
#define LINUX_FP_XSTATE_MAGIC2 0x46505845U

/* The kernel's struct sigaction for rt_sigaction (x86_64). */
struct linux_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};
_Static_assert(sizeof(struct linux_sigaction) == 32, "sigaction");

struct linux_stack_t {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};
_Static_assert(sizeof(struct linux_stack_t) == 24, "stack_t");

/* siginfo_t: 128 bytes; the union is laid out per signal kind. */
struct linux_siginfo {
    int32_t si_signo;
    int32_t si_errno;
    int32_t si_code;
    int32_t pad0;
    union {
        struct { int32_t pid; uint32_t uid; } kill;
        struct { int32_t tid; int32_t overrun; uint64_t value; } timer;
        struct { int32_t pid; uint32_t uid; uint64_t value; } rt;
        struct { int32_t pid; uint32_t uid; int32_t status; int32_t pad; int64_t utime, stime; } chld;
        struct { uint64_t addr; } fault;
        uint8_t raw[112];
    } f;
};
_Static_assert(sizeof(struct linux_siginfo) == 128, "siginfo");

/* struct sigcontext (x86_64): the registers at the interruption. */
struct linux_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate; /* struct _fpstate *, or 0 */
    uint64_t reserved1[8];
};
_Static_assert(sizeof(struct linux_sigcontext) == 256, "sigcontext");

/* The kernel's struct ucontext (x86_64). */
struct linux_ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct linux_stack_t uc_stack;
    struct linux_sigcontext uc_mcontext;
    uint64_t uc_sigmask;
};
_Static_assert(sizeof(struct linux_ucontext) == 304, "ucontext");

/* struct rt_sigframe (arch/x86/include/asm/sigframe.h): what the stack
 * pointer points at when a handler starts; the XSAVE image lies above. */
struct linux_rt_sigframe {
    uint64_t pretcode; /* sa_restorer: the handler's return address */
    struct linux_ucontext uc;
    struct linux_siginfo info;
};
_Static_assert(sizeof(struct linux_rt_sigframe) == 440, "rt_sigframe");

/* struct _fpx_sw_bytes, at offset 464 of the FXSAVE region. */
struct linux_fpx_sw_bytes {
    uint32_t magic1;
    uint32_t extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size;
    uint32_t padding[7];
};
_Static_assert(sizeof(struct linux_fpx_sw_bytes) == 48, "fpx_sw_bytes");

/* struct sigevent (timer_create). */
struct linux_sigevent {
    uint64_t sigev_value;
    int32_t sigev_signo;
    int32_t sigev_notify;
    union {
        int32_t tid; /* SIGEV_THREAD_ID */
        uint8_t pad[48];
    } u;
};
_Static_assert(sizeof(struct linux_sigevent) == 64, "sigevent");

static inline uint64_t linux_sigmask(int signo)
{
    return 1ULL << (signo - 1);
}
#define LINUX_SIG_UNBLOCKABLE (linux_sigmask(LINUX_SIGKILL) | linux_sigmask(LINUX_SIGSTOP))

/* The platform interface: how the sentry runs application code.
 *
 * The sentry owns every application register (struct cpu_state). run() loads
 * them into the execution context, runs application code until it traps, and
 * saves them back. Address spaces are populated only by the sentry, through
 * as_map/as_unmap of memory-file ranges. See DESIGN.md section 4.
 *
 * Threads: several contexts (task threads) may run in one address space at
 * once (CLONE_VM). Each context runs on its own host thread, and every op
 * that takes a ctx is called on that ctx's host thread unless it says
 * otherwise. The sentry serializes as_release, as_map, as_unmap, ctx_share,
 * ctx_leave and ctx_release (its kernel lock); run, get_xstate and interrupt
 * are called without it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* General registers in the layout of struct user_regs_struct (x86_64), so the
 * ptrace platform moves them with one PTRACE_GETREGS/SETREGS. */
struct cpu_regs {
    uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
    uint64_t rax, rcx, rdx, rsi, rdi, orig_rax;
    uint64_t rip, cs, eflags, rsp, ss;
    uint64_t fs_base, gs_base;
    uint64_t ds, es, fs, gs;
};

/* XSAVE area in the standard (non-compacted) format, as PTRACE_GETREGSET
 * NT_X86_XSTATE gives it: legacy FXSAVE region (512 bytes), XSAVE header (64),
 * extended state. Room for the largest host layout today (AMX: 11008 bytes);
 * the host's actual size is xstate_size. In that image the software-reserved
 * bytes 464..471 hold the host's XCR0 (Linux puts it there for debuggers),
 * not a signal frame's struct _fpx_sw_bytes: the sentry writes that one.
 * Moved only when a signal frame or execve needs it. */
#define CPU_XSTATE_SIZE 12288

struct cpu_state {
    struct cpu_regs regs;
    /* Registers changed by the sentry since the last run(): written back
     * before the next one. rax_dirty says only rax changed (a syscall's
     * result), which is cheaper to write than the whole set. */
    bool regs_dirty;
    bool rax_dirty;
    /* xstate holds an image: read by get_xstate or set by the sentry. */
    bool xstate_valid;
    /* xstate was set by the sentry (rt_sigreturn, execve) and is the
     * thread's FPU state from now on: the next run() loads it, whole, and
     * clears the flag; get_xstate returns it as it is until then. */
    bool xstate_dirty;
    /* Bytes of xstate that hold the host's layout (set by get_xstate and
     * platform_xstate_init). */
    uint32_t xstate_size;
    _Alignas(64) uint8_t xstate[CPU_XSTATE_SIZE];
};

enum pf_event {
    PF_SYSCALL,     /* regs.orig_rax holds the number; rip is past the insn */
    PF_FAULT,       /* memory fault at fault->addr */
    PF_EXCEPTION,   /* other synchronous trap: fault->signo/code say which.
                     * Also SIGSEGV/SI_KERNEL, without running, when the host
                     * refused a dirty xstate (as Linux's rt_sigreturn does
                     * with a bad FPU frame). */
    PF_INTERRUPTED, /* interrupt() was called, or a host signal arrived */
};

struct pf_fault {
    uint64_t addr; /* faulting address (PF_FAULT) or si_addr */
    int signo;     /* host signal that reported it: SIGSEGV, SIGFPE, ... */
    int code;      /* host si_code */
    bool mapped;   /* PF_FAULT: a page was present (protection fault) */
    int trapno;    /* hardware trap number when known, else -1 */
};

struct pf_as;  /* an address space (ptrace: a stub process) */
struct pf_ctx; /* an execution context, one per task thread */

struct platform_ops {
    const char *name;
    /* Called once, before any other op, with the memory file's fd. */
    int (*init)(int memfd);
    /* An empty address space, owned by the caller; the calling host thread
     * is its creator: the first context that runs in it on this host thread
     * needs no ctx_share. Returns NULL on failure (errno set). */
    struct pf_as *(*as_new)(void);
    /* Ends the address space and everything running in it, from any host
     * thread; no run() on it may be under way. Contexts still in it are
     * let go of it (ctx_leave is then not needed). */
    void (*as_release)(struct pf_as *as);
    /* Map [addr, addr+len) to memory-file [off, off+len) with prot, shared,
     * replacing whatever was there, for every context in as at once.
     * Returns 0 or -errno. The calling host thread must run a context in as
     * (or be its creator). */
    int (*as_map)(struct pf_as *as, uint64_t addr, uint64_t len, int prot, uint64_t off);
    int (*as_unmap)(struct pf_as *as, uint64_t addr, uint64_t len);
    /* A context, owned by the caller. Released from any host thread; one
     * still in an address space (no ctx_leave) is let go of it there if
     * released on its own host thread, else merely forgotten: its host
     * thread must not exit before that address space is released. */
    struct pf_ctx *(*ctx_new)(void);
    void (*ctx_release)(struct pf_ctx *ctx);
    /* Called on the host thread of a context `parent` that runs in `as`
     * (its stub thread there is stopped: the task is in a syscall). Creates
     * a new stub thread in `as` for the context `child`, which belongs to
     * another host thread: that thread takes it over on its first
     * run(child, as). child must not be running. Returns 0 or -errno
     * (-EAGAIN when the host refuses a thread, -EEXIST if child already
     * runs in as). */
    int (*ctx_share)(struct pf_ctx *parent, struct pf_as *as, struct pf_ctx *child);
    /* The calling host thread's context stops using `as` for good while
     * other contexts may go on using it (its task exits or execs): its stub
     * thread in `as` ends. Harmless if ctx never ran in as. Also accepted
     * from any host thread for a child that never ran (a failed clone). A
     * context must leave every address space other contexts still use
     * before its host thread exits: the host kills a stub whose tracer
     * exits. */
    void (*ctx_leave)(struct pf_ctx *ctx, struct pf_as *as);
    /* Runs application code in as with cpu's registers until it traps;
     * cpu then holds the registers it trapped with. The first run of a ctx
     * in an as takes over its stub thread there (from ctx_share, or the
     * creator's). */
    enum pf_event (*run)(struct pf_ctx *ctx, struct pf_as *as, struct cpu_state *cpu,
                         struct pf_fault *out_fault);
    /* Make a concurrent or the next run() on ctx return PF_INTERRUPTED soon.
     * Safe to call from any thread. */
    void (*interrupt)(struct pf_ctx *ctx);
    /* Reads the FPU/SSE/AVX state of ctx's stub thread in as into
     * cpu->xstate (the XSAVE layout, as PTRACE_GETREGSET NT_X86_XSTATE
     * gives it) and sets cpu->xstate_size (bytes valid) and
     * cpu->xstate_valid. If cpu->xstate_dirty, the image not yet loaded is
     * the state and is left as it is. Returns 0 or -errno (-EOPNOTSUPP if
     * the host gives no xstate that fits: run() then ignores xstate_dirty). */
    int (*get_xstate)(struct pf_ctx *ctx, struct pf_as *as, struct cpu_state *cpu);
};

/* Sets cpu->xstate to the FPU state a program starts with after execve, or a
 * signal handler (Linux's fpu__clear_user_states): everything zero but the
 * x87 control word (0x37f), MXCSR (0x1f80), the CPU's MXCSR_MASK, the host's
 * XCR0 at byte 464 (as get_xstate's image has it), and the XSAVE header's
 * xstate_bv saying x87 and SSE: with both bits clear the host would keep
 * the previous MXCSR; every other component is in its initial state. Sets
 * xstate_size, xstate_valid and xstate_dirty: the next run() loads it. */
void platform_xstate_init(struct cpu_state *cpu);

/* The host's XSAVE size in the standard format (what NT_X86_XSTATE moves);
 * 512 (FXSAVE only) without XSAVE. Where it exceeds CPU_XSTATE_SIZE the
 * platform moves no xstate (get_xstate fails). */
uint32_t platform_xstate_size(void);

/* Highest application address + 1: everything above belongs to the platform
 * (the ptrace stub's code page sits right there). */
#define PF_TASK_SIZE 0x7fffffff0000ULL

extern const struct platform_ops platform_ptrace;

/* The platform chosen at start, by name. NULL if there is no such platform. */
const struct platform_ops *platform_lookup(const char *name);
extern const struct platform_ops *platform;

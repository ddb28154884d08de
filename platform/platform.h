/* The platform interface: how the sentry runs application code.
 *
 * The sentry owns every application register (struct cpu_state). run() loads
 * them into the execution context, runs application code until it traps, and
 * saves them back. Address spaces are populated only by the sentry, through
 * as_map/as_unmap of memory-file ranges. See DESIGN.md section 4. */
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

/* XSAVE area (legacy FXSAVE region + header + extended state). Moved only
 * when a signal frame or execve needs it. */
#define CPU_XSTATE_SIZE 4096

struct cpu_state {
    struct cpu_regs regs;
    /* Registers changed by the sentry since the last run(): written back
     * before the next one. rax_dirty says only rax changed (a syscall's
     * result), which is cheaper to write than the whole set. */
    bool regs_dirty;
    bool rax_dirty;
    bool xstate_valid;
    _Alignas(64) uint8_t xstate[CPU_XSTATE_SIZE];
};

enum pf_event {
    PF_SYSCALL,     /* regs.orig_rax holds the number; rip is past the insn */
    PF_FAULT,       /* memory fault at fault->addr */
    PF_EXCEPTION,   /* other synchronous trap: fault->signo/code say which */
    PF_INTERRUPTED, /* interrupt() was called, or a host signal arrived */
};

struct pf_fault {
    uint64_t addr;  /* faulting address (PF_FAULT) or si_addr */
    int signo;      /* host signal that reported it: SIGSEGV, SIGFPE, ... */
    int code;       /* host si_code */
    bool mapped;    /* PF_FAULT: a page was present (protection fault) */
    int trapno;     /* hardware trap number when known, else -1 */
};

struct pf_as;  /* an address space (ptrace: a stub process) */
struct pf_ctx; /* an execution context, one per task thread */

struct platform_ops {
    const char *name;
    /* Called once, before any other op, with the memory file's fd. */
    int (*init)(int memfd);
    /* An empty address space. Returns NULL on failure (errno set). */
    struct pf_as *(*as_new)(void);
    void (*as_release)(struct pf_as *as);
    /* Map [addr, addr+len) to memory-file [off, off+len) with prot, shared,
     * replacing whatever was there. Returns 0 or -errno. */
    int (*as_map)(struct pf_as *as, uint64_t addr, uint64_t len, int prot, uint64_t off);
    int (*as_unmap)(struct pf_as *as, uint64_t addr, uint64_t len);
    struct pf_ctx *(*ctx_new)(void);
    void (*ctx_release)(struct pf_ctx *ctx);
    enum pf_event (*run)(struct pf_ctx *ctx, struct pf_as *as, struct cpu_state *cpu,
                         struct pf_fault *out_fault);
    /* Make a concurrent or the next run() on ctx return PF_INTERRUPTED soon.
     * Safe to call from any thread. */
    void (*interrupt)(struct pf_ctx *ctx);
};

/* Highest application address + 1: everything above belongs to the platform
 * (the ptrace stub's code page sits right there). */
#define PF_TASK_SIZE 0x7fffffff0000ULL

extern const struct platform_ops platform_ptrace;

/* The platform chosen at start, by name. NULL if there is no such platform. */
const struct platform_ops *platform_lookup(const char *name);
extern const struct platform_ops *platform;

/* The ptrace platform.
 *
 * Each address space is a stub process forked from the sentry: it keeps only
 * the stub code page (stub.S), has the memory file as its fd 0 and nothing
 * else, and runs under a seccomp filter that kills it on any host syscall
 * not issued from the stub page. Each task thread is the ptrace tracer of
 * the stub thread that runs its application code; PTRACE_SYSEMU makes every
 * application syscall stop without being executed, so application syscalls
 * never reach the host kernel (they never reach the seccomp filter either:
 * the kernel skips an emulated syscall before seccomp sees it).
 *
 * The sentry changes a stub's mappings by injecting mmap/munmap: point rip
 * at the stub's syscall instruction and continue until the int3 after it.
 *
 * Lock order: none of its own. A stub is used only by its tracer thread,
 * which ptrace itself requires. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/panic.h"
#include "platform/platform.h"
#include "platform/ptrace/stub.h"

_Static_assert(sizeof(struct cpu_regs) == sizeof(struct user_regs_struct), "cpu_regs layout");
_Static_assert(offsetof(struct cpu_regs, fs_base) == offsetof(struct user_regs_struct, fs_base),
               "cpu_regs layout");
_Static_assert(STUB_ADDR == PF_TASK_SIZE, "the stub sits right above application memory");

/* The fd number of the memory file inside a stub. */
#define STUB_MEMFD 0

struct pf_as {
    pid_t pid;      /* the stub process (its main thread is the one we trace) */
    pid_t tracer;   /* host tid of the thread tracing it */
    /* Registers the stub was stopped with after start-up: valid segment
     * selectors and flags for injected syscalls. */
    struct user_regs_struct base_regs;
    /* The stub's host registers no longer hold the application's: the next
     * run() must write them all. */
    bool regs_clobbered;
    /* The CPU the stub is bound to, -1 if none: see ctx_place. */
    int cpu;
};

struct pf_ctx {
    /* The stub thread being run by this context, for interrupt(). 0 when
     * not in run(). */
    volatile pid_t running_pid;
    volatile bool interrupt_pending;
    int cpu;    /* the CPU this context and its stubs run on, -1 if none */
    bool bound; /* the task thread is bound to cpu */
};

static int ptrace_memfd = -1;

/* The calling thread's host tid, cached: ptrace requests must come from a
 * stub's tracer, and run() checks that on every switch. */
static pid_t current_tid(void)
{
    static __thread pid_t tid;
    if (!tid)
        tid = (pid_t)syscall(SYS_gettid);
    return tid;
}

/* CPU placement. Every switch between a task thread and its stub is a
 * ptrace stop or resume; when the two run on different CPUs each one needs
 * a cross-CPU wake-up (an IPI), which under (nested) virtualization costs
 * tens of microseconds and doubles the cost of a syscall. So each context
 * gets a CPU, the least loaded of those the sentry may use, and the task
 * thread and the stub it runs are both bound to it. */
static pthread_mutex_t cpu_lock = PTHREAD_MUTEX_INITIALIZER;
static cpu_set_t cpu_allowed;
static int cpu_load[CPU_SETSIZE];

static void cpu_placement_init(void)
{
    if (sched_getaffinity(0, sizeof(cpu_allowed), &cpu_allowed) != 0) {
        CPU_ZERO(&cpu_allowed);
        CPU_SET(0, &cpu_allowed);
    }
}

static int cpu_pick(void)
{
    pthread_mutex_lock(&cpu_lock);
    int best = -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &cpu_allowed) && (best < 0 || cpu_load[cpu] < cpu_load[best]))
            best = cpu;
    }
    if (best >= 0)
        cpu_load[best]++;
    pthread_mutex_unlock(&cpu_lock);
    return best;
}

static void cpu_unpick(int cpu)
{
    if (cpu < 0)
        return;
    pthread_mutex_lock(&cpu_lock);
    cpu_load[cpu]--;
    pthread_mutex_unlock(&cpu_lock);
}

static bool cpu_bind(pid_t tid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof(set), &set) == 0;
}

/* Binds the calling task thread (once) and the stub it is about to run to
 * the context's CPU. A failure only costs speed. */
static void ctx_place(struct pf_ctx *ctx, struct pf_as *as)
{
    if (ctx->cpu < 0)
        return;
    if (!ctx->bound) {
        cpu_bind(0, ctx->cpu);
        ctx->bound = true;
    }
    if (as->cpu != ctx->cpu && cpu_bind(as->pid, ctx->cpu))
        as->cpu = ctx->cpu;
}

static int ptrace_init(int memfd)
{
    ptrace_memfd = memfd;
    cpu_placement_init();
    size_t size = (size_t)(stub_code_end - stub_code_start);
    if (size > STUB_SIZE)
        panic("stub code is %zu bytes, more than its page", size);
    void *p = mmap((void *)STUB_ADDR, STUB_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != (void *)STUB_ADDR) {
        log_error("ptrace platform: cannot place the stub page at %#llx: %s",
                  (unsigned long long)STUB_ADDR, strerror(errno));
        return -EADDRINUSE;
    }
    memcpy(p, stub_code_start, size);
    if (mprotect(p, STUB_SIZE, PROT_READ | PROT_EXEC) != 0)
        return -errno;
    return 0;
}

static uint64_t stub_addr_of(const char *sym)
{
    return STUB_ADDR + (uint64_t)(sym - stub_code_start);
}

/* The stub's seccomp filter: a syscall from anywhere but the stub page, or
 * any syscall but the few the sentry injects, kills the stub. */
static int stub_install_filter(void)
{
#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_HI),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(STUB_ADDR >> 32), 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_LO),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)STUB_ADDR, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)(STUB_ADDR + STUB_SIZE), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_munmap, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
#undef IP_LO
#undef IP_HI
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Runs in the forked stub, a copy of the sentry: raw syscalls only (no
 * locks, no allocation), then off to the stub page for good. */
static _Noreturn void stub_child(pid_t sentry_pid)
{
    if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
        syscall(SYS_exit_group, 120);
    if (syscall(SYS_getppid) != sentry_pid) /* the sentry died before prctl */
        syscall(SYS_exit_group, 121);
    /* Out of the terminal's session: Ctrl-C is the sentry's to forward. */
    syscall(SYS_setsid);
    if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) != 0)
        syscall(SYS_exit_group, 122);
    /* The thread we are a copy of registered rseq; the kernel would keep
     * updating that area, which is about to vanish, and kill us for it.
     * glibc registers at least 32 bytes even when __rseq_size is less. */
    if (__rseq_size > 0 &&
        syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset,
                __rseq_size < 32 ? 32 : __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0)
        syscall(SYS_exit_group, 125);
    if (syscall(SYS_dup2, ptrace_memfd, STUB_MEMFD) < 0)
        syscall(SYS_exit_group, 123);
    syscall(SYS_close_range, STUB_MEMFD + 1, ~0U, 0);
    if (stub_install_filter() != 0)
        syscall(SYS_exit_group, 124);
    uint64_t entry = stub_addr_of(stub_entry);
    __asm__ volatile("jmp *%0" : : "r"(entry) : "memory");
    __builtin_unreachable();
}

static int wait_stop(pid_t pid, int *out_status)
{
    for (;;) {
        pid_t r = waitpid(pid, out_status, __WALL);
        if (r == pid)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return -errno;
    }
}

static void stub_died(struct pf_as *as, int status)
{
    if (WIFSIGNALED(status))
        panic("stub process %d was killed by signal %d", as->pid, WTERMSIG(status));
    panic("stub process %d exited with status %d", as->pid, WEXITSTATUS(status));
}

static struct pf_as *ptrace_as_new(void)
{
    struct pf_as *as = calloc(1, sizeof(*as));
    if (!as)
        return NULL;
    pid_t sentry_pid = getpid();
    long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
    if (pid < 0) {
        int err = errno;
        free(as);
        errno = err;
        return NULL;
    }
    if (pid == 0)
        stub_child(sentry_pid);
    as->pid = (pid_t)pid;
    as->tracer = current_tid();

    int status;
    if (wait_stop(as->pid, &status) != 0 || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
        log_error("ptrace platform: stub %d failed to start (status %#x)", as->pid, status);
        kill(as->pid, SIGKILL);
        waitpid(as->pid, &status, __WALL);
        free(as);
        errno = ECHILD;
        return NULL;
    }
    if (ptrace(PTRACE_SETOPTIONS, as->pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) != 0 ||
        ptrace(PTRACE_GETREGS, as->pid, 0, &as->base_regs) != 0) {
        int err = errno;
        kill(as->pid, SIGKILL);
        waitpid(as->pid, &status, __WALL);
        free(as);
        errno = err;
        return NULL;
    }
    as->regs_clobbered = true;
    as->cpu = -1;
    return as;
}

static void ptrace_as_release(struct pf_as *as)
{
    if (!as)
        return;
    int status;
    kill(as->pid, SIGKILL);
    while (waitpid(as->pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    free(as);
}

/* Runs one syscall in the stub and returns its result (a host -errno on
 * failure). The stub must be stopped, traced by the calling thread. */
static long stub_inject(struct pf_as *as, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
                        uint64_t a3, uint64_t a4, uint64_t a5)
{
    SENTRY_ASSERT(as->tracer == current_tid());
    struct user_regs_struct r = as->base_regs;
    r.rip = stub_addr_of(stub_syscall_insn);
    r.rax = (uint64_t)nr;
    r.orig_rax = (uint64_t)-1;
    r.rdi = a0;
    r.rsi = a1;
    r.rdx = a2;
    r.r10 = a3;
    r.r8 = a4;
    r.r9 = a5;
    as->regs_clobbered = true;
    if (ptrace(PTRACE_SETREGS, as->pid, 0, &r) != 0 || ptrace(PTRACE_CONT, as->pid, 0, 0) != 0)
        panic("ptrace platform: cannot inject into stub %d: %s", as->pid, strerror(errno));
    for (;;) {
        int status;
        if (wait_stop(as->pid, &status) != 0)
            panic("ptrace platform: lost stub %d: %s", as->pid, strerror(errno));
        if (!WIFSTOPPED(status))
            stub_died(as, status);
        if (WSTOPSIG(status) == SIGTRAP)
            break;
        /* An asynchronous signal (our own interrupt) landed meanwhile:
         * drop it and let the syscall finish. */
        if (ptrace(PTRACE_CONT, as->pid, 0, 0) != 0)
            panic("ptrace platform: cannot continue stub %d: %s", as->pid, strerror(errno));
    }
    if (ptrace(PTRACE_GETREGS, as->pid, 0, &r) != 0)
        panic("ptrace platform: cannot read stub %d registers: %s", as->pid, strerror(errno));
    if (r.rip != stub_addr_of(stub_syscall_insn))
        panic("ptrace platform: stub %d stopped at %#llx after an injected syscall", as->pid,
              (unsigned long long)r.rip);
    return (long)r.rax;
}

static int ptrace_as_map(struct pf_as *as, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
    long r = stub_inject(as, __NR_mmap, addr, len, (uint64_t)prot, MAP_SHARED | MAP_FIXED,
                         STUB_MEMFD, off);
    if (r < 0 && r > -4096)
        return (int)r;
    if ((uint64_t)r != addr)
        panic("ptrace platform: stub mmap at %#llx landed at %#lx", (unsigned long long)addr, r);
    return 0;
}

static int ptrace_as_unmap(struct pf_as *as, uint64_t addr, uint64_t len)
{
    long r = stub_inject(as, __NR_munmap, addr, len, 0, 0, 0, 0);
    return r < 0 ? (int)r : 0;
}

static struct pf_ctx *ptrace_ctx_new(void)
{
    struct pf_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx)
        ctx->cpu = cpu_pick();
    return ctx;
}

static void ptrace_ctx_release(struct pf_ctx *ctx)
{
    if (!ctx)
        return;
    cpu_unpick(ctx->cpu);
    free(ctx);
}

static enum pf_event stop_to_event(struct pf_as *as, int sig, struct cpu_state *cpu,
                                   struct pf_fault *out_fault)
{
    siginfo_t si;
    if (ptrace(PTRACE_GETSIGINFO, as->pid, 0, &si) != 0)
        panic("ptrace platform: GETSIGINFO on stub %d: %s", as->pid, strerror(errno));
    if (ptrace(PTRACE_GETREGS, as->pid, 0, &cpu->regs) != 0)
        panic("ptrace platform: GETREGS on stub %d: %s", as->pid, strerror(errno));
    /* Signals sent by someone (si_code <= 0) are not the application's
     * doing: our own interrupt, or a stray host signal. Drop them. */
    if (si.si_code <= 0 || sig == SIGSTOP)
        return PF_INTERRUPTED;
    out_fault->signo = sig;
    out_fault->code = si.si_code;
    out_fault->addr = (uint64_t)si.si_addr;
    out_fault->trapno = -1;
    out_fault->mapped = false;
    if (sig == SIGSEGV && (si.si_code == SEGV_MAPERR || si.si_code == SEGV_ACCERR)) {
        out_fault->mapped = si.si_code == SEGV_ACCERR;
        return PF_FAULT;
    }
    return PF_EXCEPTION;
}

static enum pf_event ptrace_run(struct pf_ctx *ctx, struct pf_as *as, struct cpu_state *cpu,
                                struct pf_fault *out_fault)
{
    SENTRY_ASSERT(as->tracer == current_tid());
    if (ctx->interrupt_pending) {
        ctx->interrupt_pending = false;
        return PF_INTERRUPTED;
    }
    if (cpu->regs_dirty || as->regs_clobbered) {
        if (ptrace(PTRACE_SETREGS, as->pid, 0, &cpu->regs) != 0)
            panic("ptrace platform: SETREGS on stub %d: %s", as->pid, strerror(errno));
        as->regs_clobbered = false;
    } else if (cpu->rax_dirty) {
        if (ptrace(PTRACE_POKEUSER, as->pid, offsetof(struct user_regs_struct, rax),
                   cpu->regs.rax) != 0)
            panic("ptrace platform: POKEUSER on stub %d: %s", as->pid, strerror(errno));
    }
    cpu->regs_dirty = false;
    cpu->rax_dirty = false;
    ctx_place(ctx, as);
    ctx->running_pid = as->pid;
    if (ptrace(PTRACE_SYSEMU, as->pid, 0, 0) != 0)
        panic("ptrace platform: SYSEMU on stub %d: %s", as->pid, strerror(errno));
    int status;
    if (wait_stop(as->pid, &status) != 0)
        panic("ptrace platform: lost stub %d: %s", as->pid, strerror(errno));
    ctx->running_pid = 0;
    if (!WIFSTOPPED(status))
        stub_died(as, status);
    int sig = WSTOPSIG(status);
    if (sig == (SIGTRAP | 0x80)) {
        if (ptrace(PTRACE_GETREGS, as->pid, 0, &cpu->regs) != 0)
            panic("ptrace platform: GETREGS on stub %d: %s", as->pid, strerror(errno));
        return PF_SYSCALL;
    }
    enum pf_event ev = stop_to_event(as, sig, cpu, out_fault);
    if (ev == PF_INTERRUPTED)
        ctx->interrupt_pending = false;
    return ev;
}

static void ptrace_interrupt(struct pf_ctx *ctx)
{
    ctx->interrupt_pending = true;
    pid_t pid = ctx->running_pid;
    if (pid > 0)
        syscall(SYS_tgkill, pid, pid, SIGSTOP);
}

const struct platform_ops platform_ptrace = {
    .name = "ptrace",
    .init = ptrace_init,
    .as_new = ptrace_as_new,
    .as_release = ptrace_as_release,
    .as_map = ptrace_as_map,
    .as_unmap = ptrace_as_unmap,
    .ctx_new = ptrace_ctx_new,
    .ctx_release = ptrace_ctx_release,
    .run = ptrace_run,
    .interrupt = ptrace_interrupt,
};

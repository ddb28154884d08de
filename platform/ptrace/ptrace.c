/* The ptrace platform.
 *
 * Each address space is a stub process forked from the sentry: it keeps only
 * the stub code page (stub.S), has the memory file as its fd 0 and nothing
 * else, and runs under a seccomp filter that kills it on any host syscall
 * not issued from the stub page. Each context (task thread) that runs in an
 * address space has its own stub thread there, traced by the context's host
 * thread (ptrace gives each thread one tracer); PTRACE_SYSEMU makes every
 * application syscall stop without being executed, so application syscalls
 * never reach the host kernel (they never reach the seccomp filter either:
 * the kernel skips an emulated syscall before seccomp sees it).
 *
 * The sentry changes a stub's mappings by injecting mmap/munmap into a stub
 * thread the calling host thread traces: point rip at the stub's syscall
 * instruction and continue until the int3 after it. The mappings are the
 * process's, so every stub thread sees the change.
 *
 * Stub threads. A stub process starts with its main thread, traced by the
 * host thread that created it and claimed by the first context that runs
 * there on that host thread. ctx_share makes more: the parent context's host
 * thread injects clone into its own stub thread; the new thread parks in
 * ppoll(), untraced, until the child context's host thread seizes it on its
 * first run(). A context leaving an address space ends its stub thread with
 * an injected exit; the main thread parks and is let go instead (detached),
 * since it cannot be reaped before the whole process ends.
 *
 * However the sentry dies, it leaves no stub behind: the host kills a stub
 * process when one of its tracers exits still tracing one of its threads
 * (PTRACE_O_EXITKILL), and a stub thread nobody traces waits on a pipe that
 * reports the sentry's death (stub_park), then ends the stub. Not
 * PR_SET_PDEATHSIG: that fires when the forking *thread* exits, and the
 * task whose thread created a stub may exit while other task threads go on
 * running in it.
 *
 * Lock order: none of its own. as_map, as_unmap, ctx_share, ctx_leave,
 * ctx_release and as_release run under the sentry's kernel lock, which keeps
 * an address space's thread list stable. run() and get_xstate run without
 * it and never walk that list: they use the context's cached stub thread, or
 * the context's own list, changed only on its host thread or, while it is
 * not running, under the lock. interrupt() touches only atomics. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/uio.h>
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

/* Options of every traced stub thread. */
#define STUB_PTRACE_OPTIONS (PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)

/* One thread of a stub process: where one context runs application code. */
struct stub_thread {
    pid_t tid; /* host tid; the stub's pid for its main thread */
    /* The host thread tracing it, 0 while none does (a new thread before
     * its context's first run, the main thread after its context left).
     * Read by as_map on other host threads while run() sets it: atomic. */
    _Atomic pid_t tracer;
    /* The context it runs, NULL if none: the main thread before its
     * creator's context first runs, or after that context left. */
    struct pf_ctx *owner;
    struct pf_as *as;
    /* Its host registers no longer hold the application's (a syscall was
     * injected, or it is new): the next run() must write them all. */
    bool regs_clobbered;
    int cpu;                      /* the CPU it is bound to, -1 if none: see ctx_place */
    struct stub_thread *as_next;  /* in as->threads */
    struct stub_thread *ctx_next; /* in owner->threads */
};

struct pf_as {
    pid_t pid; /* the stub process */
    /* Registers the stub was stopped with after start-up: valid segment
     * selectors and flags for injected syscalls. */
    struct user_regs_struct base_regs;
    struct stub_thread main;     /* lives as long as the process */
    struct stub_thread *threads; /* every stub thread, main included */
};

struct pf_ctx {
    /* The stub thread run() used last, and its address space: run() uses
     * it without looking anything up. */
    struct pf_as *cur_as;
    struct stub_thread *cur;
    struct stub_thread *threads; /* its stub threads, one per address space */
    /* The stub thread run() is running, for interrupt(): the stub's pid in
     * the high half, the thread's tid in the low one (one atomic word, so
     * interrupt() never reads a pid and a tid of different threads); 0 when
     * not in run(). */
    _Atomic uint64_t running;
    atomic_bool interrupt_pending;
    /* interrupt() calls that may still signal the thread they read from
     * running: ctx_leave waits for them before letting the main thread go,
     * so no SIGSTOP reaches it untraced (it would stop the whole stub). */
    atomic_int interrupters;
    int cpu;    /* the CPU this context and its stub threads run on, -1 if none */
    bool bound; /* the host thread is bound to cpu */
};

static int ptrace_memfd = -1;
/* The sentry-death pipe: every stub has the read end as STUB_SENTRY_FD; the
 * write end stays open in the sentry, and nowhere else, until it dies. */
static int sentry_death_rd = -1, sentry_death_wr = -1;

/* NT_X86_XSTATE's size on this host, measured on the first stub; 0 if the
 * host gives no xstate or a layout larger than CPU_XSTATE_SIZE. */
static uint32_t xstate_regset_size;

/* The calling thread's host tid, cached: ptrace requests must come from a
 * stub thread's tracer, and run() checks that on every switch. */
static pid_t current_tid(void)
{
    static __thread pid_t tid;
    if (!tid)
        tid = (pid_t)syscall(SYS_gettid);
    return tid;
}

/* CPU placement. Every switch between a task thread and its stub thread is a
 * ptrace stop or resume; when the two run on different CPUs each one needs a
 * cross-CPU wake-up (an IPI), which under (nested) virtualization costs tens
 * of microseconds and doubles the cost of a syscall. So each context gets a
 * CPU, the least loaded of those the sentry may use, and the host thread and
 * the stub threads it runs are all bound to it. */
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

/* Binds the calling host thread (once) and the stub thread it is about to
 * run to the context's CPU. A failure only costs speed. */
static void ctx_place(struct pf_ctx *ctx, struct stub_thread *t)
{
    if (ctx->cpu < 0)
        return;
    if (!ctx->bound) {
        cpu_bind(0, ctx->cpu);
        ctx->bound = true;
    }
    if (t->cpu != ctx->cpu && cpu_bind(t->tid, ctx->cpu))
        t->cpu = ctx->cpu;
}

static int ptrace_init(int memfd)
{
    ptrace_memfd = memfd;
    cpu_placement_init();
    int death[2];
    if (pipe2(death, O_CLOEXEC) != 0)
        return -errno;
    /* Above the fds stub_child moves into place, so that it clobbers none. */
    sentry_death_rd = fcntl(death[0], F_DUPFD_CLOEXEC, STUB_SENTRY_FD + 1);
    sentry_death_wr = death[1];
    close(death[0]);
    if (sentry_death_rd < 0)
        return -errno;
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
 * any syscall but the few the sentry injects, kills the stub. clone and
 * ppoll, which an untraced stub thread runs for real, are allowed only from
 * their one instruction each, and clone only with the stub thread flags. */
int ptrace_stub_install_filter(void)
{
#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)
#define ARG0_LO offsetof(struct seccomp_data, args[0])
#define ARG0_HI (offsetof(struct seccomp_data, args[0]) + 4)
    /* Where the jumps go: instruction indexes below. */
    enum { AT_NR = 11, AT_CLONE = 20, AT_PARK = 26, AT_KILL = 28, AT_ALLOW = 29 };
#define TO(label, from) (uint8_t)((label) - (from)-1)
    /* The kernel reports the instruction pointer after the syscall insn. */
    uint32_t clone_ip = (uint32_t)(stub_addr_of(stub_clone_insn) + 2);
    uint32_t park_ip = (uint32_t)(stub_addr_of(stub_park_insn) + 2);
    struct sock_filter filter[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        /* 2 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /* 3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_HI),
        /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(STUB_ADDR >> 32), 1, 0),
        /* 5 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_LO),
        /* 7 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)STUB_ADDR, 1, 0),
        /* 8 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /* 9 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)(STUB_ADDR + STUB_SIZE), 0, 1),
        /* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /* 11 AT_NR */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        /* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, TO(AT_ALLOW, 12), 0),
        /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_munmap, TO(AT_ALLOW, 13), 0),
        /* 14 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, TO(AT_ALLOW, 14), 0),
        /* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, TO(AT_ALLOW, 15), 0),
        /* 16 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, TO(AT_ALLOW, 16), 0),
        /* 17 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, TO(AT_CLONE, 17), 0),
        /* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ppoll, TO(AT_PARK, 18), 0),
        /* 19 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /* 20 AT_CLONE */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_LO),
        /* 21 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, clone_ip, 0, TO(AT_KILL, 21)),
        /* 22 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
        /* 23 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STUB_THREAD_CLONE_FLAGS, 0, TO(AT_KILL, 23)),
        /* 24 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_HI),
        /* 25 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, TO(AT_ALLOW, 25), TO(AT_KILL, 25)),
        /* 26 AT_PARK */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, IP_LO),
        /* 27 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, park_ip, TO(AT_ALLOW, 27), TO(AT_KILL, 27)),
        /* 28 AT_KILL */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        /* 29 AT_ALLOW */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
#undef TO
#undef IP_LO
#undef IP_HI
#undef ARG0_LO
#undef ARG0_HI
    _Static_assert(sizeof(filter) / sizeof(filter[0]) == AT_ALLOW + 1, "stub filter labels");
    struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
    if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Runs in the forked stub, a copy of the sentry: raw syscalls only (no
 * locks, no allocation), then off to the stub page for good. */
static _Noreturn void stub_child(pid_t sentry_pid)
{
    /* Out of the terminal's session: Ctrl-C is the sentry's to forward. */
    syscall(SYS_setsid);
    if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) != 0)
        syscall(SYS_exit_group, 122);
    /* Had the sentry died already, we would now be traced by whoever
     * adopted us. Should it die from here on, its tracing thread's exit
     * lets us go and the int3 in stub_entry kills us (no handler, no
     * tracer), or, once the sentry set PTRACE_O_EXITKILL, kills us. */
    if (syscall(SYS_getppid) != sentry_pid)
        syscall(SYS_exit_group, 121);
    /* The thread we are a copy of registered rseq; the kernel would keep
     * updating that area, which is about to vanish, and kill us for it.
     * glibc registers at least 32 bytes even when __rseq_size is less. */
    if (__rseq_size > 0 &&
        syscall(SYS_rseq, (char *)__builtin_thread_pointer() + __rseq_offset,
                __rseq_size < 32 ? 32 : __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0)
        syscall(SYS_exit_group, 125);
    if (syscall(SYS_dup2, ptrace_memfd, STUB_MEMFD) < 0 ||
        syscall(SYS_dup2, sentry_death_rd, STUB_SENTRY_FD) < 0)
        syscall(SYS_exit_group, 123);
    syscall(SYS_close_range, STUB_SENTRY_FD + 1, ~0U, 0);
    if (ptrace_stub_install_filter() != 0)
        syscall(SYS_exit_group, 124);
    uint64_t entry = stub_addr_of(stub_entry);
    __asm__ volatile("jmp *%0" : : "r"(entry) : "memory");
    __builtin_unreachable();
}

static int wait_stop(pid_t tid, int *out_status)
{
    for (;;) {
        pid_t r = waitpid(tid, out_status, __WALL);
        if (r == tid)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return -errno;
    }
}

/* Reaps tid, dead or being killed. ECHILD: it reaped itself (untraced) or
 * its tracer's exit did. */
static void reap(pid_t tid)
{
    int status;
    while (waitpid(tid, &status, __WALL) < 0 && errno == EINTR)
        ;
}

static _Noreturn void stub_died(const struct stub_thread *t, int status)
{
    if (WIFSIGNALED(status))
        panic("stub process %d (thread %d) was killed by signal %d", t->as->pid, t->tid,
              WTERMSIG(status));
    panic("stub process %d (thread %d) exited with status %d", t->as->pid, t->tid,
          WEXITSTATUS(status));
}

static pid_t tracer_of(const struct stub_thread *t)
{
    return atomic_load_explicit(&t->tracer, memory_order_relaxed);
}

/* Measures NT_X86_XSTATE on a stopped stub thread, once: before the first
 * as_new returns, so before any get_xstate or run() could need it, on
 * whichever host thread creates a stub first. */
static void xstate_measure(pid_t tid)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static bool measured;
    pthread_mutex_lock(&lock);
    if (measured)
        goto out_unlock;
    measured = true;
    size_t cap = 65536;
    void *buf = malloc(cap);
    if (!buf)
        goto out_unlock;
    struct iovec iov = {buf, cap};
    if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) != 0) {
        log_error("ptrace platform: no xstate from the host (%s): signal frames will lack "
                  "the FPU state",
                  strerror(errno));
    } else if (iov.iov_len > CPU_XSTATE_SIZE) {
        log_error("ptrace platform: the host's xstate is %zu bytes, more than the %d moat "
                  "has room for: signal frames will lack the FPU state",
                  iov.iov_len, CPU_XSTATE_SIZE);
    } else {
        xstate_regset_size = (uint32_t)iov.iov_len;
        if (xstate_regset_size != platform_xstate_size())
            log_error("ptrace platform: the host's xstate is %u bytes, CPUID says %u",
                      xstate_regset_size, platform_xstate_size());
    }
    free(buf);
out_unlock:
    pthread_mutex_unlock(&lock);
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

    int status;
    if (wait_stop(as->pid, &status) != 0 || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
        log_error("ptrace platform: stub %d failed to start (status %#x)", as->pid, status);
        kill(as->pid, SIGKILL);
        reap(as->pid);
        free(as);
        errno = ECHILD;
        return NULL;
    }
    if (ptrace(PTRACE_SETOPTIONS, as->pid, 0, STUB_PTRACE_OPTIONS) != 0 ||
        ptrace(PTRACE_GETREGS, as->pid, 0, &as->base_regs) != 0) {
        int err = errno;
        kill(as->pid, SIGKILL);
        reap(as->pid);
        free(as);
        errno = err;
        return NULL;
    }
    xstate_measure(as->pid);
    struct stub_thread *m = &as->main;
    m->tid = as->pid;
    atomic_init(&m->tracer, current_tid());
    m->as = as;
    m->regs_clobbered = true;
    m->cpu = -1;
    as->threads = m;
    return as;
}

/* Runs t from regs until it traps at the int3 after the stub's syscall
 * instructions; regs then holds what it stopped with. t must be stopped,
 * traced by the calling thread. */
static void stub_run_to_trap(struct stub_thread *t, struct user_regs_struct *regs)
{
    SENTRY_ASSERT(tracer_of(t) == current_tid());
    t->regs_clobbered = true;
    if (ptrace(PTRACE_SETREGS, t->tid, 0, regs) != 0 || ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
        panic("ptrace platform: cannot inject into stub %d thread %d: %s", t->as->pid, t->tid,
              strerror(errno));
    for (;;) {
        int status;
        if (wait_stop(t->tid, &status) != 0)
            panic("ptrace platform: lost stub %d thread %d: %s", t->as->pid, t->tid,
                  strerror(errno));
        if (!WIFSTOPPED(status))
            stub_died(t, status);
        if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0)
            break;
        /* An asynchronous signal (our own interrupt) or a group-stop
         * landed meanwhile: drop it and go on. */
        if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
            panic("ptrace platform: cannot continue stub %d thread %d: %s", t->as->pid, t->tid,
                  strerror(errno));
    }
    if (ptrace(PTRACE_GETREGS, t->tid, 0, regs) != 0)
        panic("ptrace platform: cannot read stub %d thread %d registers: %s", t->as->pid, t->tid,
              strerror(errno));
    if (regs->rip != stub_addr_of(stub_syscall_insn))
        panic("ptrace platform: stub %d thread %d stopped at %#llx after an injected syscall",
              t->as->pid, t->tid, (unsigned long long)regs->rip);
}

/* Runs one syscall in t from the stub instruction at `insn` and returns its
 * result (a host -errno on failure). */
static long stub_inject_at(struct stub_thread *t, const char *insn, long nr, uint64_t a0,
                           uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct user_regs_struct r = t->as->base_regs;
    r.rip = stub_addr_of(insn);
    r.rax = (uint64_t)nr;
    r.orig_rax = (uint64_t)-1;
    r.rdi = a0;
    r.rsi = a1;
    r.rdx = a2;
    r.r10 = a3;
    r.r8 = a4;
    r.r9 = a5;
    stub_run_to_trap(t, &r);
    return (long)r.rax;
}

static long stub_inject(struct stub_thread *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
                        uint64_t a3, uint64_t a4, uint64_t a5)
{
    return stub_inject_at(t, stub_syscall_insn, nr, a0, a1, a2, a3, a4, a5);
}

/* Takes over t, a stub thread parked untraced (stub_park), for the calling
 * host thread, and leaves it stopped at the int3 like a thread after an
 * injected syscall. */
static void thread_seize(struct stub_thread *t)
{
    if (ptrace(PTRACE_SEIZE, t->tid, 0, STUB_PTRACE_OPTIONS) != 0 ||
        ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) != 0)
        panic("ptrace platform: cannot take over stub %d thread %d: %s", t->as->pid, t->tid,
              strerror(errno));
    for (;;) {
        int status;
        if (wait_stop(t->tid, &status) != 0)
            panic("ptrace platform: lost stub %d thread %d: %s", t->as->pid, t->tid,
                  strerror(errno));
        if (!WIFSTOPPED(status))
            stub_died(t, status);
        /* PTRACE_INTERRUPT's stop (or a group-stop's, which does as well). */
        if ((status >> 16) == PTRACE_EVENT_STOP)
            break;
        /* A signal came first: drop it; the interrupt stays pending. */
        if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
            panic("ptrace platform: cannot continue stub %d thread %d: %s", t->as->pid, t->tid,
                  strerror(errno));
    }
    atomic_store_explicit(&t->tracer, current_tid(), memory_order_relaxed);
    /* The thread stopped inside ppoll(), which the kernel restarts on
     * resumption if the registers it is resumed with still look like an
     * interrupted syscall; the application's registers could. Resume it
     * once with no syscall to restart (orig_rax -1), into the int3. */
    struct user_regs_struct r = t->as->base_regs;
    r.rip = stub_addr_of(stub_trap_after_syscall);
    r.orig_rax = (uint64_t)-1;
    stub_run_to_trap(t, &r);
}

/* Ends t, a non-main thread stopped under the calling host thread, with an
 * injected exit, and reaps it. */
static void thread_exit(struct stub_thread *t)
{
    struct user_regs_struct r = t->as->base_regs;
    r.rip = stub_addr_of(stub_syscall_insn);
    r.rax = __NR_exit;
    r.orig_rax = (uint64_t)-1;
    r.rdi = 0;
    if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) != 0 || ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
        panic("ptrace platform: cannot end stub %d thread %d: %s", t->as->pid, t->tid,
              strerror(errno));
    for (;;) {
        int status;
        if (wait_stop(t->tid, &status) != 0)
            panic("ptrace platform: lost stub %d thread %d: %s", t->as->pid, t->tid,
                  strerror(errno));
        if (WIFEXITED(status))
            return;
        if (!WIFSTOPPED(status))
            stub_died(t, status);
        if (ptrace(PTRACE_CONT, t->tid, 0, 0) != 0)
            panic("ptrace platform: cannot continue stub %d thread %d: %s", t->as->pid, t->tid,
                  strerror(errno));
    }
}

/* Lets the main thread go, parked: its exit could not be reaped before the
 * whole process ends, and its tracer's exit would kill the process. */
static void thread_park(struct stub_thread *t)
{
    /* Through the int3 once first: that consumes a SIGSTOP an interrupt()
     * may have queued, which would otherwise stop the whole stub once the
     * thread runs untraced. */
    struct user_regs_struct r = t->as->base_regs;
    r.rip = stub_addr_of(stub_trap_after_syscall);
    r.orig_rax = (uint64_t)-1;
    stub_run_to_trap(t, &r);
    r = t->as->base_regs;
    r.rip = stub_addr_of(stub_park);
    r.orig_rax = (uint64_t)-1;
    if (ptrace(PTRACE_SETREGS, t->tid, 0, &r) != 0 || ptrace(PTRACE_DETACH, t->tid, 0, 0) != 0)
        panic("ptrace platform: cannot park stub %d thread %d: %s", t->as->pid, t->tid,
              strerror(errno));
    atomic_store_explicit(&t->tracer, 0, memory_order_relaxed);
    t->cpu = -1;
}

static void ctx_link(struct pf_ctx *ctx, struct stub_thread *t)
{
    t->owner = ctx;
    t->ctx_next = ctx->threads;
    ctx->threads = t;
}

static void ctx_unlink(struct pf_ctx *ctx, struct stub_thread *t)
{
    for (struct stub_thread **p = &ctx->threads; *p; p = &(*p)->ctx_next) {
        if (*p == t) {
            *p = t->ctx_next;
            break;
        }
    }
    t->owner = NULL;
    t->ctx_next = NULL;
    if (ctx->cur == t) {
        ctx->cur = NULL;
        ctx->cur_as = NULL;
    }
}

static void as_unlink(struct pf_as *as, struct stub_thread *t)
{
    for (struct stub_thread **p = &as->threads; *p; p = &(*p)->as_next) {
        if (*p == t) {
            *p = t->as_next;
            return;
        }
    }
}

/* Waits until no interrupt() can still signal ctx's last stub thread (see
 * pf_ctx.interrupters). ctx is not in run(), so none starts anew. */
static void ctx_quiesce(struct pf_ctx *ctx)
{
    while (atomic_load(&ctx->interrupters) != 0)
        sched_yield();
}

/* Ends t, a stub thread no context owns any more, from the calling host
 * thread, which traces it or finds it untraced. */
static void thread_end(struct stub_thread *t)
{
    struct pf_as *as = t->as;
    pid_t tracer = tracer_of(t);
    if (t == &as->main) {
        if (tracer == 0)
            return; /* parked already */
        if (tracer != current_tid())
            panic("ptrace platform: host thread %d cannot let go of stub %d: thread %d traces it",
                  current_tid(), as->pid, tracer);
        thread_park(t);
        return;
    }
    if (tracer == 0)
        thread_seize(t);
    else if (tracer != current_tid())
        panic("ptrace platform: host thread %d cannot end stub %d thread %d: thread %d traces it",
              current_tid(), as->pid, t->tid, tracer);
    thread_exit(t);
    as_unlink(as, t);
    free(t);
}

static void ptrace_as_release(struct pf_as *as)
{
    if (!as)
        return;
    for (struct stub_thread *t = as->threads; t; t = t->as_next)
        if (t->owner)
            ctx_unlink(t->owner, t);
    kill(as->pid, SIGKILL);
    /* Every traced thread is a zombie until waited for, and the main thread
     * cannot be reaped before the others are. Any sentry thread may wait for
     * another's tracees: they are all one thread group. */
    struct stub_thread *next;
    for (struct stub_thread *t = as->threads; t; t = next) {
        next = t->as_next;
        if (t == &as->main)
            continue;
        if (tracer_of(t))
            reap(t->tid);
        free(t);
    }
    reap(as->pid);
    free(as);
}

/* ctx's stub thread in as, NULL if none. Looks only at ctx's own list. */
static struct stub_thread *ctx_find(struct pf_ctx *ctx, struct pf_as *as)
{
    if (ctx->cur_as == as)
        return ctx->cur;
    for (struct stub_thread *t = ctx->threads; t; t = t->ctx_next)
        if (t->as == as)
            return t;
    return NULL;
}

/* ctx's stub thread in as, stopped under the calling host thread: the one
 * ctx_share made for it (seized on first use), or the main thread when the
 * caller created as and ctx has none there yet. Becomes run()'s cache. */
static struct stub_thread *ctx_thread(struct pf_ctx *ctx, struct pf_as *as)
{
    struct stub_thread *t = ctx_find(ctx, as);
    if (!t) {
        t = &as->main;
        if (t->owner || tracer_of(t) != current_tid())
            panic("ptrace platform: a context on host thread %d runs in stub %d, which it "
                  "neither created nor was shared (ctx_share)",
                  current_tid(), as->pid);
        ctx_link(ctx, t);
    }
    if (tracer_of(t) == 0)
        thread_seize(t);
    else if (tracer_of(t) != current_tid())
        panic("ptrace platform: host thread %d runs stub %d thread %d, traced by thread %d",
              current_tid(), as->pid, t->tid, tracer_of(t));
    ctx->cur_as = as;
    ctx->cur = t;
    return t;
}

/* The stub thread in as the calling host thread traces, to inject through. */
static struct stub_thread *as_caller_thread(struct pf_as *as)
{
    pid_t self = current_tid();
    for (struct stub_thread *t = as->threads; t; t = t->as_next)
        if (tracer_of(t) == self)
            return t;
    panic("ptrace platform: host thread %d changes stub %d's mappings but runs nothing there "
          "(run or ctx_share first)",
          self, as->pid);
}

static int ptrace_as_map(struct pf_as *as, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
    long r = stub_inject(as_caller_thread(as), __NR_mmap, addr, len, (uint64_t)prot,
                         MAP_SHARED | MAP_FIXED, STUB_MEMFD, off);
    if (r < 0 && r > -4096)
        return (int)r;
    if ((uint64_t)r != addr)
        panic("ptrace platform: stub mmap at %#llx landed at %#lx", (unsigned long long)addr, r);
    return 0;
}

static int ptrace_as_unmap(struct pf_as *as, uint64_t addr, uint64_t len)
{
    long r = stub_inject(as_caller_thread(as), __NR_munmap, addr, len, 0, 0, 0, 0);
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
    while (ctx->threads) {
        struct stub_thread *t = ctx->threads;
        ctx_unlink(ctx, t);
        pid_t tracer = tracer_of(t);
        if (tracer == 0 || tracer == current_tid()) {
            ctx_quiesce(ctx);
            thread_end(t);
        } else {
            /* Only its tracer can end it; left to as_release. */
            log_error("ptrace platform: context released on host thread %d while still in "
                      "stub %d (thread %d, traced by %d)",
                      current_tid(), t->as->pid, t->tid, tracer);
        }
    }
    cpu_unpick(ctx->cpu);
    free(ctx);
}

static int ptrace_ctx_share(struct pf_ctx *parent, struct pf_as *as, struct pf_ctx *child)
{
    if (ctx_find(child, as))
        return -EEXIST;
    struct stub_thread *p = ctx_thread(parent, as);
    struct stub_thread *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    /* No new stack: the stub code uses none (see stub.S). */
    long tid =
        stub_inject_at(p, stub_clone_insn, __NR_clone, STUB_THREAD_CLONE_FLAGS, 0, 0, 0, 0, 0);
    if (tid < 0) {
        free(c);
        return (int)tid;
    }
    c->tid = (pid_t)tid;
    atomic_init(&c->tracer, 0);
    c->as = as;
    c->regs_clobbered = true;
    c->cpu = -1;
    c->as_next = as->threads;
    as->threads = c;
    ctx_link(child, c);
    return 0;
}

static void ptrace_ctx_leave(struct pf_ctx *ctx, struct pf_as *as)
{
    struct stub_thread *t = ctx_find(ctx, as);
    if (!t)
        return;
    ctx_unlink(ctx, t);
    ctx_quiesce(ctx);
    thread_end(t);
}

/* A stop other than a syscall's, as an event. */
static enum pf_event stop_to_event(struct stub_thread *t, int status, struct cpu_state *cpu,
                                   struct pf_fault *out_fault)
{
    if (ptrace(PTRACE_GETREGS, t->tid, 0, &cpu->regs) != 0)
        panic("ptrace platform: GETREGS on stub %d thread %d: %s", t->as->pid, t->tid,
              strerror(errno));
    /* PTRACE_EVENT_STOP: a group-stop of a seized thread (a stop signal
     * reached a thread nobody traces). */
    if ((status >> 16) != 0)
        return PF_INTERRUPTED;
    int sig = WSTOPSIG(status);
    siginfo_t si;
    if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si) != 0) {
        /* The same group-stop, for the main thread (attached without
         * SEIZE, it has no event to tell it apart). */
        if (errno == EINVAL)
            return PF_INTERRUPTED;
        panic("ptrace platform: GETSIGINFO on stub %d thread %d: %s", t->as->pid, t->tid,
              strerror(errno));
    }
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

/* Loads cpu->xstate into t. False if the host refused the image. */
static bool xstate_load(struct stub_thread *t, struct cpu_state *cpu)
{
    cpu->xstate_dirty = false;
    if (!xstate_regset_size)
        return true; /* no xstate on this host: nothing to load (logged) */
    /* The host takes only a whole image, of exactly its size. */
    struct iovec iov = {cpu->xstate, xstate_regset_size};
    if (ptrace(PTRACE_SETREGSET, t->tid, NT_X86_XSTATE, &iov) == 0)
        return true;
    if (errno != EINVAL && errno != EFAULT)
        panic("ptrace platform: SETREGSET on stub %d thread %d: %s", t->as->pid, t->tid,
              strerror(errno));
    log_info("ptrace platform: the host refused an xstate image (%s)", strerror(errno));
    return false;
}

static enum pf_event ptrace_run(struct pf_ctx *ctx, struct pf_as *as, struct cpu_state *cpu,
                                struct pf_fault *out_fault)
{
    if (atomic_load(&ctx->interrupt_pending)) {
        atomic_store(&ctx->interrupt_pending, false);
        return PF_INTERRUPTED;
    }
    struct stub_thread *t = ctx->cur_as == as ? ctx->cur : ctx_thread(ctx, as);
    SENTRY_ASSERT(tracer_of(t) == current_tid());
    if (cpu->regs_dirty || t->regs_clobbered) {
        if (ptrace(PTRACE_SETREGS, t->tid, 0, &cpu->regs) != 0)
            panic("ptrace platform: SETREGS on stub %d thread %d: %s", as->pid, t->tid,
                  strerror(errno));
        t->regs_clobbered = false;
    } else if (cpu->rax_dirty) {
        if (ptrace(PTRACE_POKEUSER, t->tid, offsetof(struct user_regs_struct, rax),
                   cpu->regs.rax) != 0)
            panic("ptrace platform: POKEUSER on stub %d thread %d: %s", as->pid, t->tid,
                  strerror(errno));
    }
    cpu->regs_dirty = false;
    cpu->rax_dirty = false;
    if (cpu->xstate_dirty && !xstate_load(t, cpu)) {
        /* As Linux's rt_sigreturn with a bad FPU frame: SIGSEGV. */
        *out_fault = (struct pf_fault){.signo = SIGSEGV, .code = SI_KERNEL, .trapno = -1};
        return PF_EXCEPTION;
    }
    ctx_place(ctx, t);
    /* Published before interrupt_pending is looked at again, which
     * interrupt() sets before it reads running: one of the two sees the
     * other, so an interrupt is never lost between the check at the top and
     * the resumption. */
    atomic_store(&ctx->running, (uint64_t)(uint32_t)as->pid << 32 | (uint32_t)t->tid);
    if (atomic_load(&ctx->interrupt_pending)) {
        atomic_store(&ctx->running, 0);
        atomic_store(&ctx->interrupt_pending, false);
        return PF_INTERRUPTED;
    }
    if (ptrace(PTRACE_SYSEMU, t->tid, 0, 0) != 0)
        panic("ptrace platform: SYSEMU on stub %d thread %d: %s", as->pid, t->tid, strerror(errno));
    int status;
    if (wait_stop(t->tid, &status) != 0)
        panic("ptrace platform: lost stub %d thread %d: %s", as->pid, t->tid, strerror(errno));
    atomic_store(&ctx->running, 0);
    if (!WIFSTOPPED(status))
        stub_died(t, status);
    if (status >> 8 == (SIGTRAP | 0x80)) {
        if (ptrace(PTRACE_GETREGS, t->tid, 0, &cpu->regs) != 0)
            panic("ptrace platform: GETREGS on stub %d thread %d: %s", as->pid, t->tid,
                  strerror(errno));
        return PF_SYSCALL;
    }
    enum pf_event ev = stop_to_event(t, status, cpu, out_fault);
    if (ev == PF_INTERRUPTED)
        atomic_store(&ctx->interrupt_pending, false);
    return ev;
}

static void ptrace_interrupt(struct pf_ctx *ctx)
{
    atomic_store(&ctx->interrupt_pending, true);
    atomic_fetch_add(&ctx->interrupters, 1);
    uint64_t running = atomic_load(&ctx->running);
    if (running)
        syscall(SYS_tgkill, (pid_t)(running >> 32), (pid_t)(uint32_t)running, SIGSTOP);
    atomic_fetch_sub(&ctx->interrupters, 1);
}

static int ptrace_get_xstate(struct pf_ctx *ctx, struct pf_as *as, struct cpu_state *cpu)
{
    if (cpu->xstate_dirty)
        return 0; /* the image not yet loaded is the state */
    if (!xstate_regset_size)
        return -EOPNOTSUPP;
    struct stub_thread *t = ctx->cur_as == as ? ctx->cur : ctx_thread(ctx, as);
    SENTRY_ASSERT(tracer_of(t) == current_tid());
    struct iovec iov = {cpu->xstate, xstate_regset_size};
    if (ptrace(PTRACE_GETREGSET, t->tid, NT_X86_XSTATE, &iov) != 0)
        return -errno;
    cpu->xstate_size = (uint32_t)iov.iov_len;
    cpu->xstate_valid = true;
    return 0;
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
    .ctx_share = ptrace_ctx_share,
    .ctx_leave = ptrace_ctx_leave,
    .run = ptrace_run,
    .interrupt = ptrace_interrupt,
    .get_xstate = ptrace_get_xstate,
};

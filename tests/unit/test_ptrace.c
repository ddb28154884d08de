/* Unit tests for the ptrace platform (platform/ptrace): real stub processes
 * run a few instructions of application code from a page of a memfd, from
 * one host thread or several sharing one address space (ctx_share), with
 * the FPU state moved both ways, the stub's seccomp filter, and no stub
 * process or thread left behind.
 *
 * The platform wants as_map, as_unmap, ctx_share, ctx_leave, ctx_release
 * and as_release serialized (the sentry's kernel lock); here they happen at
 * points the threads agree on through `step`, so no lock is needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "platform/ptrace/stub.h"
#include "sentry/seccomp_filter.h"

static const struct platform_ops *pf = &platform_ptrace;

/* Application memory: the code page and a data page, both from the memfd,
 * which the test also maps to look at the data. */
#define CODE_ADDR 0x10000000ULL
#define DATA_ADDR 0x10001000ULL
#define PAGE 4096ULL
#define CODE_OFF 0
#define DATA_OFF PAGE

/* The application code, position independent, copied to CODE_ADDR. */
extern const char app_code[], app_code_end[], app_loop[], app_spin[], app_xmm[];
__asm__(".pushsection .rodata\n"
        ".globl app_code, app_code_end, app_loop, app_spin, app_xmm\n"
        "app_code:\n"
        /* Stores rdx at (rsi), loads (rdi) into r12, makes syscall rax. */
        "app_loop:\n"
        "    mov %rdx, (%rsi)\n"
        "    mov (%rdi), %r12\n"
        "    syscall\n"
        "    jmp app_loop\n"
        /* Spins without syscalls: only an interrupt stops it. */
        "app_spin:\n"
        "    jmp app_spin\n"
        /* xmm0 into r13 (low) and r14 (high), then a syscall. */
        "app_xmm:\n"
        "    movq %xmm0, %r13\n"
        "    pextrq $1, %xmm0, %r14\n"
        "    syscall\n"
        "    jmp app_xmm\n"
        "app_code_end:\n"
        ".popsection\n");

static uint64_t code_addr(const char *sym)
{
    return CODE_ADDR + (uint64_t)(sym - app_code);
}

static int memfd = -1;
static volatile uint64_t *data; /* the data page, as the test sees it */

static int group_setup(void **state)
{
    (void)state;
    log_init(2, LOG_WARN);
    memfd = (int)syscall(SYS_memfd_create, "test_ptrace", 0);
    if (memfd < 0 || ftruncate(memfd, 2 * PAGE) != 0)
        return -1;
    void *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, CODE_OFF);
    void *d = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, DATA_OFF);
    if (code == MAP_FAILED || d == MAP_FAILED)
        return -1;
    memcpy(code, app_code, (size_t)(app_code_end - app_code));
    data = d;
    return pf->init(memfd);
}

/* Registers that start app code at rip: user segments, interrupts on. */
static void regs_at(struct cpu_state *cpu, uint64_t rip)
{
    memset(&cpu->regs, 0, sizeof(cpu->regs));
    cpu->regs.cs = 0x33;
    cpu->regs.ss = 0x2b;
    cpu->regs.eflags = 0x202;
    cpu->regs.rip = rip;
    cpu->regs_dirty = true;
}

/* A new address space with the code and data pages, on the calling
 * thread (its creator). */
static struct pf_as *as_with_pages(void)
{
    struct pf_as *as = pf->as_new();
    assert_non_null(as);
    assert_int_equal(pf->as_map(as, CODE_ADDR, PAGE, PROT_READ | PROT_EXEC, CODE_OFF), 0);
    assert_int_equal(pf->as_map(as, DATA_ADDR, PAGE, PROT_READ | PROT_WRITE, DATA_OFF), 0);
    return as;
}

/* The stub process of an address space the calling thread just created:
 * its only child (the platform keeps the pid to itself). */
static pid_t stub_of_this_thread(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)syscall(SYS_gettid));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    long pid = 0;
    int n = fscanf(f, "%ld", &pid);
    fclose(f);
    assert_int_equal(n, 1);
    return (pid_t)pid;
}

static int task_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Nothing left: the stub is gone from /proc, and no child (stub or zombie)
 * remains to be waited for. */
static void assert_no_stub(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d", pid);
    assert_int_not_equal(access(path, F_OK), 0);
    int status;
    assert_int_equal(waitpid(-1, &status, WNOHANG | __WALL), -1);
    assert_int_equal(errno, ECHILD);
}

static enum pf_event run1(struct pf_ctx *ctx, struct pf_as *as, struct cpu_state *cpu)
{
    struct pf_fault fault;
    return pf->run(ctx, as, cpu, &fault);
}

/* The sentry's answer to a syscall: a result in rax. */
static void answer(struct cpu_state *cpu, uint64_t rax)
{
    cpu->regs.rax = rax;
    cpu->rax_dirty = true;
}

/* --- one thread --- */

static void test_single_thread(void **state)
{
    (void)state;
    struct pf_as *as = as_with_pages();
    pid_t pid = stub_of_this_thread();
    struct pf_ctx *ctx = pf->ctx_new();
    static struct cpu_state cpu;
    regs_at(&cpu, code_addr(app_loop));
    cpu.regs.rax = 39;
    cpu.regs.rsi = DATA_ADDR;
    cpu.regs.rdi = DATA_ADDR + 8;
    cpu.regs.rdx = 0x1234;
    data[1] = 0x5678;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(run1(ctx, as, &cpu), PF_SYSCALL);
        assert_int_equal(cpu.regs.orig_rax, 39);
        assert_int_equal(cpu.regs.rip, code_addr(app_loop) + 8);
        assert_int_equal(cpu.regs.r12, 0x5678);
        answer(&cpu, 39);
    }
    assert_int_equal(data[0], 0x1234);
    assert_int_equal(task_count(pid), 1);
    /* Interrupted before it runs: returns at once, and only once. */
    pf->interrupt(ctx);
    assert_int_equal(run1(ctx, as, &cpu), PF_INTERRUPTED);
    assert_int_equal(run1(ctx, as, &cpu), PF_SYSCALL);
    pf->as_release(as);
    pf->ctx_release(ctx);
    assert_no_stub(pid);
}

/* --- several threads in one address space --- */

struct thread_arg {
    struct pf_as *as;
    struct pf_ctx *ctx;
    struct cpu_state cpu;
    atomic_int *step;
    uint64_t nr, own_slot, other_slot, value; /* for app_loop */
    uint64_t other_value;                     /* what the other thread stored */
    atomic_int runs;                          /* run() calls that returned */
    int err;                                  /* which check failed, 0 if none */
};

static void wait_step(atomic_int *step, int want)
{
    while (atomic_load(step) < want)
        sched_yield();
}

static void loop_regs(struct thread_arg *a)
{
    regs_at(&a->cpu, code_addr(app_loop));
    a->cpu.regs.rax = a->nr;
    a->cpu.regs.rsi = a->own_slot;
    a->cpu.regs.rdi = a->other_slot;
    a->cpu.regs.rdx = a->value;
}

/* One syscall round trip of app_loop; false (and err set) if it did not
 * come back as a syscall with the thread's own registers. */
static bool loop_once(struct thread_arg *a, int err)
{
    answer(&a->cpu, a->nr);
    enum pf_event ev = run1(a->ctx, a->as, &a->cpu);
    atomic_fetch_add(&a->runs, 1);
    if (ev != PF_SYSCALL || a->cpu.regs.orig_rax != a->nr || a->cpu.regs.rdx != a->value ||
        a->cpu.regs.rsi != a->own_slot) {
        a->err = err;
        return false;
    }
    return true;
}

/* B: runs in the shared as, sees A's store, runs a while alongside A, and
 * leaves before its host thread ends. */
static void *thread_b(void *p)
{
    struct thread_arg *a = p;
    loop_regs(a);
    if (!loop_once(a, 1))
        return NULL;
    if (a->cpu.regs.r12 != a->other_value) {
        a->err = 2;
        return NULL;
    }
    atomic_store(a->step, 1); /* A may run now, alongside */
    for (int i = 0; i < 2000; i++)
        if (!loop_once(a, 3))
            return NULL;
    wait_step(a->step, 2);
    pf->ctx_leave(a->ctx, a->as);
    atomic_store(a->step, 3);
    return NULL;
}

static void test_two_threads_share(void **state)
{
    (void)state;
    struct pf_as *as = as_with_pages();
    pid_t pid = stub_of_this_thread();
    data[0] = 0;
    data[1] = 0;
    static struct thread_arg a, b;
    atomic_int step = 0;
    a = (struct thread_arg){.as = as,
                            .ctx = pf->ctx_new(),
                            .step = &step,
                            .nr = 39,
                            .own_slot = DATA_ADDR,
                            .other_slot = DATA_ADDR + 8,
                            .value = 0xaaaa};
    b = (struct thread_arg){.as = as,
                            .ctx = pf->ctx_new(),
                            .step = &step,
                            .nr = 40,
                            .own_slot = DATA_ADDR + 8,
                            .other_slot = DATA_ADDR,
                            .value = 0xbbbb,
                            .other_value = 0xaaaa};
    loop_regs(&a);
    assert_true(loop_once(&a, 1));
    assert_int_equal(a.cpu.regs.r12, 0);

    /* A is in a syscall: it shares the address space with B. */
    assert_int_equal(pf->ctx_share(a.ctx, as, b.ctx), 0);
    assert_int_equal(pf->ctx_share(a.ctx, as, b.ctx), -EEXIST);
    assert_int_equal(task_count(pid), 2);

    pthread_t tb;
    assert_int_equal(pthread_create(&tb, NULL, thread_b, &b), 0);
    wait_step(&step, 1);
    assert_int_equal(b.err, 0);
    assert_int_equal(data[1], 0xbbbb);
    /* A sees B's store, with its own registers. */
    for (int i = 0; i < 2000; i++) {
        assert_true(loop_once(&a, 1));
        assert_int_equal(a.cpu.regs.r12, 0xbbbb);
    }
    atomic_store(&step, 2);
    wait_step(&step, 3);
    assert_int_equal(pthread_join(tb, NULL), 0);
    assert_int_equal(b.err, 0);
    /* B left, and its host thread is gone: the stub goes on with A. */
    assert_int_equal(task_count(pid), 1);
    assert_true(loop_once(&a, 1));
    /* A's unmap is the whole process's. */
    assert_int_equal(pf->as_unmap(as, DATA_ADDR, PAGE), 0);
    struct pf_fault fault;
    answer(&a.cpu, 39);
    assert_int_equal(pf->run(a.ctx, as, &a.cpu, &fault), PF_FAULT);
    assert_int_equal(fault.addr, DATA_ADDR);
    assert_int_equal(fault.signo, SIGSEGV);
    pf->as_release(as);
    pf->ctx_release(a.ctx);
    pf->ctx_release(b.ctx);
    assert_no_stub(pid);
}

/* The creator: makes the as, runs in it, shares it with D, then (told by
 * the test) leaves and ends. */
struct creator {
    struct thread_arg c;
    struct pf_ctx *ctx_d;
    pid_t pid;
    pthread_barrier_t shared, leave;
};

static void *thread_creator(void *p)
{
    struct creator *cr = p;
    struct thread_arg *c = &cr->c;
    c->as = as_with_pages();
    cr->pid = stub_of_this_thread();
    c->ctx = pf->ctx_new();
    loop_regs(c);
    if (loop_once(c, 1) && pf->ctx_share(c->ctx, c->as, cr->ctx_d) != 0)
        c->err = 2;
    pthread_barrier_wait(&cr->shared);
    pthread_barrier_wait(&cr->leave);
    pf->ctx_leave(c->ctx, c->as);
    pf->ctx_release(c->ctx);
    return NULL;
}

static void *thread_loop_then_leave(void *p)
{
    struct thread_arg *a = p;
    loop_regs(a);
    for (int i = 0; i < 100; i++) {
        if (!loop_once(a, 1))
            return NULL;
        if (a->cpu.regs.r12 != a->other_value) {
            a->err = 2;
            return NULL;
        }
    }
    pf->ctx_leave(a->ctx, a->as);
    return NULL;
}

/* The creator's context leaves first and its host thread ends: that must
 * not take the stub along (the main stub thread parks; no parent-death
 * signal). */
static void test_creator_leaves_first(void **state)
{
    (void)state;
    data[2] = 0;
    data[3] = 0;
    static struct creator cr;
    cr = (struct creator){
        .c = {.nr = 41, .own_slot = DATA_ADDR + 16, .other_slot = DATA_ADDR + 16, .value = 0xcccc},
        .ctx_d = pf->ctx_new()};
    pthread_barrier_init(&cr.shared, NULL, 2);
    pthread_barrier_init(&cr.leave, NULL, 2);
    pthread_t tc;
    assert_int_equal(pthread_create(&tc, NULL, thread_creator, &cr), 0);
    pthread_barrier_wait(&cr.shared);
    assert_int_equal(cr.c.err, 0);
    assert_int_equal(task_count(cr.pid), 2);
    pthread_barrier_wait(&cr.leave);
    assert_int_equal(pthread_join(tc, NULL), 0);
    assert_int_equal(task_count(cr.pid), 2); /* the main thread parked */

    static struct thread_arg d;
    d = (struct thread_arg){.as = cr.c.as,
                            .ctx = cr.ctx_d,
                            .nr = 42,
                            .own_slot = DATA_ADDR + 24,
                            .other_slot = DATA_ADDR + 16,
                            .value = 0xdddd,
                            .other_value = 0xcccc};
    pthread_t td;
    assert_int_equal(pthread_create(&td, NULL, thread_loop_then_leave, &d), 0);
    assert_int_equal(pthread_join(td, NULL), 0);
    assert_int_equal(d.err, 0);
    assert_int_equal(data[3], 0xdddd);
    assert_int_equal(task_count(cr.pid), 1);
    /* Released on a thread that never ran in it. */
    pf->as_release(cr.c.as);
    pf->ctx_release(cr.ctx_d);
    pthread_barrier_destroy(&cr.shared);
    pthread_barrier_destroy(&cr.leave);
    assert_no_stub(cr.pid);
}

/* A child that never ran is ended by whoever lets it go (a clone failing
 * after ctx_share), by ctx_leave or ctx_release. */
static void test_unrun_child(void **state)
{
    (void)state;
    struct pf_as *as = as_with_pages();
    pid_t pid = stub_of_this_thread();
    static struct thread_arg a;
    a = (struct thread_arg){.as = as,
                            .ctx = pf->ctx_new(),
                            .nr = 39,
                            .own_slot = DATA_ADDR,
                            .other_slot = DATA_ADDR,
                            .value = 1};
    loop_regs(&a);
    assert_true(loop_once(&a, 1));
    struct pf_ctx *b = pf->ctx_new();
    struct pf_ctx *c = pf->ctx_new();
    assert_int_equal(pf->ctx_share(a.ctx, as, b), 0);
    assert_int_equal(pf->ctx_share(a.ctx, as, c), 0);
    assert_int_equal(task_count(pid), 3);
    pf->ctx_leave(b, as);
    pf->ctx_leave(b, as); /* harmless twice */
    assert_int_equal(task_count(pid), 2);
    pf->ctx_release(c);
    assert_int_equal(task_count(pid), 1);
    pf->ctx_release(b);
    assert_true(loop_once(&a, 1));
    pf->as_release(as);
    pf->ctx_release(a.ctx);
    assert_no_stub(pid);
}

/* Runs app_spin until interrupted. */
static void *thread_spin(void *p)
{
    struct thread_arg *a = p;
    regs_at(&a->cpu, code_addr(app_spin));
    struct pf_fault fault;
    enum pf_event ev = pf->run(a->ctx, a->as, &a->cpu, &fault);
    atomic_fetch_add(&a->runs, 1);
    if (ev != PF_INTERRUPTED || a->cpu.regs.rip != code_addr(app_spin)) {
        a->err = 1;
        return NULL;
    }
    /* It runs on after an interrupt. */
    loop_regs(a);
    if (loop_once(a, 2))
        pf->ctx_leave(a->ctx, a->as);
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* interrupt() stops the thread it is aimed at, and only that one. */
static void test_interrupt_one_thread(void **state)
{
    (void)state;
    struct pf_as *as = as_with_pages();
    pid_t pid = stub_of_this_thread();
    static struct thread_arg a, b, c;
    a = (struct thread_arg){.as = as,
                            .ctx = pf->ctx_new(),
                            .nr = 39,
                            .own_slot = DATA_ADDR,
                            .other_slot = DATA_ADDR,
                            .value = 1};
    b = (struct thread_arg){.as = as,
                            .ctx = pf->ctx_new(),
                            .nr = 40,
                            .own_slot = DATA_ADDR + 8,
                            .other_slot = DATA_ADDR,
                            .value = 2};
    c = (struct thread_arg){.as = as,
                            .ctx = pf->ctx_new(),
                            .nr = 41,
                            .own_slot = DATA_ADDR + 16,
                            .other_slot = DATA_ADDR,
                            .value = 3};
    loop_regs(&a);
    assert_true(loop_once(&a, 1));
    assert_int_equal(pf->ctx_share(a.ctx, as, b.ctx), 0);
    assert_int_equal(pf->ctx_share(a.ctx, as, c.ctx), 0);
    pthread_t tb, tc;
    assert_int_equal(pthread_create(&tb, NULL, thread_spin, &b), 0);
    assert_int_equal(pthread_create(&tc, NULL, thread_spin, &c), 0);
    sleep_ms(100);
    assert_int_equal(atomic_load(&b.runs), 0);
    assert_int_equal(atomic_load(&c.runs), 0);
    pf->interrupt(b.ctx);
    assert_int_equal(pthread_join(tb, NULL), 0);
    assert_int_equal(b.err, 0);
    sleep_ms(50);
    assert_int_equal(atomic_load(&c.runs), 0); /* C spins on */
    assert_true(loop_once(&a, 1));             /* and A runs */
    pf->interrupt(c.ctx);
    assert_int_equal(pthread_join(tc, NULL), 0);
    assert_int_equal(c.err, 0);
    assert_int_equal(task_count(pid), 1);
    pf->as_release(as);
    pf->ctx_release(a.ctx);
    pf->ctx_release(b.ctx);
    pf->ctx_release(c.ctx);
    assert_no_stub(pid);
}

/* --- the FPU state --- */

#define XS_FCW 0
#define XS_MXCSR 24
#define XS_XMM0 160
#define XS_SW_XCR0 464
#define XS_HEADER 512

static uint64_t xs_u64(const struct cpu_state *cpu, size_t off)
{
    uint64_t v;
    memcpy(&v, cpu->xstate + off, sizeof(v));
    return v;
}

static void xs_set_u64(struct cpu_state *cpu, size_t off, uint64_t v)
{
    memcpy(cpu->xstate + off, &v, sizeof(v));
}

/* Runs app_xmm once: r13/r14 then hold the thread's xmm0. */
static void run_xmm(struct pf_ctx *ctx, struct pf_as *as, struct cpu_state *cpu)
{
    cpu->regs.rip = code_addr(app_xmm);
    cpu->regs_dirty = true;
    assert_int_equal(run1(ctx, as, cpu), PF_SYSCALL);
}

static void test_xstate(void **state)
{
    (void)state;
    struct pf_as *as = as_with_pages();
    pid_t pid = stub_of_this_thread();
    struct pf_ctx *ctx = pf->ctx_new();
    static struct cpu_state cpu, cpu_b, init;
    regs_at(&cpu, code_addr(app_xmm));
    run_xmm(ctx, as, &cpu);

    /* Read, change xmm0, load, read back. */
    assert_int_equal(pf->get_xstate(ctx, as, &cpu), 0);
    assert_true(cpu.xstate_valid);
    assert_false(cpu.xstate_dirty);
    assert_int_equal(cpu.xstate_size, platform_xstate_size());
    assert_true(cpu.xstate_size >= 512 && cpu.xstate_size <= CPU_XSTATE_SIZE);
    xs_set_u64(&cpu, XS_XMM0, 0x1111222233334444ULL);
    xs_set_u64(&cpu, XS_XMM0 + 8, 0x5555666677778888ULL);
    if (cpu.xstate_size > XS_HEADER) /* xmm0 is only loaded if SSE is marked present */
        xs_set_u64(&cpu, XS_HEADER, xs_u64(&cpu, XS_HEADER) | 0x2);
    cpu.xstate_dirty = true;
    /* Before it is loaded, the image is the state. */
    assert_int_equal(pf->get_xstate(ctx, as, &cpu), 0);
    assert_int_equal(xs_u64(&cpu, XS_XMM0), 0x1111222233334444ULL);
    run_xmm(ctx, as, &cpu);
    assert_false(cpu.xstate_dirty);
    assert_int_equal(cpu.regs.r13, 0x1111222233334444ULL);
    assert_int_equal(cpu.regs.r14, 0x5555666677778888ULL);
    memset(cpu.xstate, 0, sizeof(cpu.xstate));
    assert_int_equal(pf->get_xstate(ctx, as, &cpu), 0);
    assert_int_equal(xs_u64(&cpu, XS_XMM0), 0x1111222233334444ULL);

    /* A new thread starts with its parent's FPU state, then has its own. */
    struct pf_ctx *ctx_b = pf->ctx_new();
    assert_int_equal(pf->ctx_share(ctx, as, ctx_b), 0);
    xs_set_u64(&cpu, XS_XMM0, 0x99);
    cpu.xstate_dirty = true;
    run_xmm(ctx, as, &cpu);
    assert_int_equal(cpu.regs.r13, 0x99);
    /* B is run here, on A's host thread: fine while A does not run. */
    regs_at(&cpu_b, code_addr(app_xmm));
    run_xmm(ctx_b, as, &cpu_b);
    assert_int_equal(cpu_b.regs.r13, 0x1111222233334444ULL);
    pf->ctx_leave(ctx_b, as);
    pf->ctx_release(ctx_b);

    /* execve's state: what platform_xstate_init says is what the host
     * then gives back. */
    platform_xstate_init(&init);
    assert_true(init.xstate_dirty && init.xstate_valid);
    assert_int_equal(init.xstate_size, cpu.xstate_size);
    if (cpu.xstate_size > XS_HEADER)
        assert_int_equal(xs_u64(&init, XS_SW_XCR0), xs_u64(&cpu, XS_SW_XCR0));
    memcpy(cpu.xstate, init.xstate, sizeof(cpu.xstate));
    cpu.xstate_dirty = true;
    run_xmm(ctx, as, &cpu);
    assert_int_equal(cpu.regs.r13, 0);
    assert_int_equal(cpu.regs.r14, 0);
    assert_int_equal(pf->get_xstate(ctx, as, &cpu), 0);
    uint16_t fcw;
    uint32_t mxcsr;
    memcpy(&fcw, cpu.xstate + XS_FCW, sizeof(fcw));
    memcpy(&mxcsr, cpu.xstate + XS_MXCSR, sizeof(mxcsr));
    assert_int_equal(fcw, 0x37f);
    assert_int_equal(mxcsr, 0x1f80);

    /* An image the host refuses (reserved MXCSR bits): SIGSEGV, as Linux's
     * rt_sigreturn; the thread runs on. */
    mxcsr = 0xffffffff;
    memcpy(cpu.xstate + XS_MXCSR, &mxcsr, sizeof(mxcsr));
    /* With x87 and SSE in their initial state, the CPU may have left their
     * xstate_bv bits clear, and then the host ignores MXCSR. */
    if (cpu.xstate_size > XS_HEADER)
        xs_set_u64(&cpu, XS_HEADER, xs_u64(&cpu, XS_HEADER) | 0x3);
    cpu.xstate_dirty = true;
    struct pf_fault fault;
    cpu.regs.rip = code_addr(app_xmm);
    cpu.regs_dirty = true;
    assert_int_equal(pf->run(ctx, as, &cpu, &fault), PF_EXCEPTION);
    assert_int_equal(fault.signo, SIGSEGV);
    assert_false(cpu.xstate_dirty);
    run_xmm(ctx, as, &cpu);

    pf->as_release(as);
    pf->ctx_release(ctx);
    assert_no_stub(pid);
}

/* --- the stub's seccomp filter --- */

/* How filtered_call_in sets up the child. */
enum {
    SENTRY_FILTER_TOO = 1, /* under the sentry's filter too, as a real stub is */
    SENTRY_GONE = 2,       /* the sentry-death pipe hung up */
};

/* In a fork of the test (which has the stub page mapped since init):
 * installs the stub filter and jumps to `insn` with nr and arg0, with a
 * pipe as the sentry-death fd. Returns how the child ended (a wait
 * status). */
static int filtered_call_in(int how, const char *insn, long nr, uint64_t arg0, int kill_after_ms)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0}; /* SIGSYS and SIGTRAP would dump */
        setrlimit(RLIMIT_CORE, &no_core);
        int death[2];
        if (pipe(death) != 0 || dup2(death[0], STUB_SENTRY_FD) != STUB_SENTRY_FD)
            _exit(102);
        if (how & SENTRY_GONE)
            close(death[1]);
        if (how & SENTRY_FILTER_TOO) {
            scmp_filter_ctx f = sentry_seccomp_build();
            if (!f || seccomp_load(f) != 0)
                _exit(101);
        }
        if (ptrace_stub_install_filter() != 0)
            _exit(100);
        uint64_t to = STUB_ADDR + (uint64_t)(insn - stub_code_start);
        __asm__ volatile("jmp *%[to]" : : "a"(nr), "D"(arg0), "S"(0L), "d"(0L), [to] "r"(to));
        __builtin_unreachable();
    }
    if (kill_after_ms) {
        sleep_ms(kill_after_ms);
        kill(pid, SIGKILL);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static int filtered_call(const char *insn, long nr, uint64_t arg0, int kill_after_ms)
{
    return filtered_call_in(0, insn, nr, arg0, kill_after_ms);
}

static bool killed_by(int status, int sig)
{
    return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static void test_stub_filter(void **state)
{
    (void)state;
    /* A stub thread's clone: the parent then traps (no tracer: SIGTRAP). */
    assert_true(
        killed_by(filtered_call(stub_clone_insn, __NR_clone, STUB_THREAD_CLONE_FLAGS, 0), SIGTRAP));
    /* clone with any other flags, or from elsewhere in the page. */
    assert_true(killed_by(filtered_call(stub_clone_insn, __NR_clone, SIGCHLD, 0), SIGSYS));
    assert_true(killed_by(
        filtered_call(stub_clone_insn, __NR_clone, STUB_THREAD_CLONE_FLAGS | CLONE_SETTLS, 0),
        SIGSYS));
    assert_true(killed_by(
        filtered_call(stub_clone_insn, __NR_clone, STUB_THREAD_CLONE_FLAGS | (1ULL << 32), 0),
        SIGSYS));
    assert_true(killed_by(filtered_call(stub_syscall_insn, __NR_clone, STUB_THREAD_CLONE_FLAGS, 0),
                          SIGSYS));
    /* ppoll only where threads park; there it blocks. */
    assert_true(killed_by(filtered_call(stub_syscall_insn, __NR_ppoll, 0, 0), SIGSYS));
    assert_true(killed_by(filtered_call(stub_park, __NR_ppoll, 0, 50), SIGKILL));
    /* A parked thread ends its stub once the sentry is gone. */
    int status = filtered_call_in(SENTRY_GONE, stub_park, 0, 0, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(killed_by(filtered_call(stub_park_insn, __NR_pause, 0, 0), SIGSYS));
    /* exit, as injected. */
    status = filtered_call(stub_syscall_insn, __NR_exit, 7, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    /* Anything else. */
    assert_true(killed_by(filtered_call(stub_syscall_insn, __NR_getpid, 0, 0), SIGSYS));
    assert_true(killed_by(filtered_call(stub_syscall_insn, __NR_kill, 0, 0), SIGSYS));
    /* A stub inherits the sentry's filter: that one must let the stub
     * thread's clone and ppoll through as well. */
    assert_true(killed_by(filtered_call_in(SENTRY_FILTER_TOO, stub_clone_insn, __NR_clone,
                                           STUB_THREAD_CLONE_FLAGS, 0),
                          SIGTRAP));
    assert_true(killed_by(filtered_call_in(SENTRY_FILTER_TOO, stub_park, 0, 0, 50), SIGKILL));
    status = filtered_call_in(SENTRY_FILTER_TOO | SENTRY_GONE, stub_park, 0, 0, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    status = filtered_call_in(SENTRY_FILTER_TOO, stub_syscall_insn, __NR_exit, 7, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_thread),        cmocka_unit_test(test_two_threads_share),
        cmocka_unit_test(test_creator_leaves_first), cmocka_unit_test(test_unrun_child),
        cmocka_unit_test(test_interrupt_one_thread), cmocka_unit_test(test_xstate),
        cmocka_unit_test(test_stub_filter),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}

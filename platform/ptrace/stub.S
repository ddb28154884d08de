/* Stub code (see stub.h). Runs with no stack and no memory but its own page:
 * absolute constants only, no data references, no push, call or ret (a
 * stub thread made by stub_clone_insn shares its parent's stack pointer,
 * which points at nothing). */
#define __ASSEMBLER__ 1
#include "platform/ptrace/stub.h"

    .section .text.moat_stub, "ax", @progbits
    .balign 4096
    .globl stub_code_start
stub_code_start:

/* Entered from the freshly forked stub after it installed its seccomp
 * filter: drop every mapping inherited from the sentry but this page, then
 * stop for the tracer. */
    .globl stub_entry
stub_entry:
    mov $11, %eax                       /* munmap(0, STUB_ADDR) */
    xor %edi, %edi
    movabs $STUB_ADDR, %rsi
    syscall
    mov $11, %eax                       /* munmap(above the stub page) */
    movabs $(STUB_ADDR + STUB_SIZE), %rdi
    movabs $(STUB_TASK_SIZE - STUB_ADDR - STUB_SIZE), %rsi
    syscall

/* The tracer injects a syscall by pointing rip at stub_syscall_insn with the
 * number and arguments in registers, and continuing: the stub runs it and
 * traps right after, with the result in rax. */
    .globl stub_trap_after_syscall
stub_trap_after_syscall:
    int3
    .globl stub_syscall_insn
stub_syscall_insn:
    syscall
    jmp stub_trap_after_syscall

/* A new stub thread: the tracer injects clone(STUB_THREAD_CLONE_FLAGS, 0)
 * here. The parent traps as after any injected syscall, with the new
 * thread's host tid (or -errno) in rax. The new thread, untraced until its
 * own tracer seizes it, parks. */
    .globl stub_clone_insn
stub_clone_insn:
    syscall
    test %rax, %rax
    jnz stub_trap_after_syscall

/* Where a stub thread waits while no host thread traces it (a new thread,
 * or the main thread after its context left): in ppoll on the sentry-death
 * pipe (STUB_SENTRY_FD, see ptrace.c), which sleeps without using a CPU for
 * as long as it takes the new thread's host thread to start (a spin would
 * compete with the very threads it waits for), wakes up for
 * PTRACE_INTERRUPT, and is restarted as it was by the kernel after a signal
 * without a handler. It returns only once the sentry is gone (the pipe
 * reports POLLHUP; storing revents into this read-only page then fails):
 * then the stub ends too. The sentry's own filter, which the stub
 * inherits, allows ppoll already. */
    .globl stub_park
stub_park:
    movabs $(STUB_ADDR + (stub_sentry_pollfd - stub_code_start)), %rdi
    mov $1, %esi                        /* one fd */
    xor %edx, %edx                      /* no timeout */
    xor %r10d, %r10d                    /* no signal mask */
    mov $271, %eax                      /* ppoll */
    .globl stub_park_insn
stub_park_insn:
    syscall
    mov $231, %eax                      /* exit_group(0) */
    xor %edi, %edi
    syscall
    jmp stub_park

/* struct pollfd {fd, events, revents}: no events asked for, POLLHUP comes
 * all the same. */
    .balign 8
stub_sentry_pollfd:
    .long STUB_SENTRY_FD
    .short 0, 0

    .balign 4096
    .globl stub_code_end
stub_code_end:

    .section .note.GNU-stack, "", @progbits

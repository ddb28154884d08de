/* Stub code (see stub.h). Runs with no stack and no memory but its own page:
 * absolute constants only, no data references. */
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

    .balign 4096
    .globl stub_code_end
stub_code_end:

    .section .note.GNU-stack, "", @progbits

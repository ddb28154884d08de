/* The ptrace stub: a page of position-independent code copied to STUB_ADDR
 * in the sentry and inherited by every stub process, the only code a stub
 * runs besides the application's. */
#pragma once

#define STUB_ADDR 0x7fffffff0000ULL
#define STUB_SIZE 0x1000ULL
/* Top of the 47-bit user address space (TASK_SIZE on x86_64). */
#define STUB_TASK_SIZE 0x7ffffffff000ULL

#ifndef __ASSEMBLER__
extern const char stub_code_start[], stub_code_end[];
extern const char stub_entry[], stub_syscall_insn[], stub_trap_after_syscall[];
#endif

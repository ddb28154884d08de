/* The ptrace stub: a page of position-independent code copied to STUB_ADDR
 * in the sentry and inherited by every stub process, the only code a stub
 * runs besides the application's. */
#pragma once

#define STUB_ADDR 0x7fffffff0000ULL
#define STUB_SIZE 0x1000ULL
/* Top of the 47-bit user address space (TASK_SIZE on x86_64). */
#define STUB_TASK_SIZE 0x7ffffffff000ULL
/* A stub's fds: the memory file, and the read end of a pipe whose write end
 * only the sentry holds (it reports POLLHUP once the sentry is gone). */
#define STUB_MEMFD 0
#define STUB_SENTRY_FD 1

#ifndef __ASSEMBLER__
/* The clone flags of a new stub thread, and the only ones the stub's filter
 * lets clone have: a thread of the stub process, sharing all, nothing else
 * (no new stack, no TLS, no tid writes: the stub has no memory). */
#define STUB_THREAD_CLONE_FLAGS                                                                    \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

extern const char stub_code_start[], stub_code_end[];
extern const char stub_entry[], stub_syscall_insn[], stub_trap_after_syscall[];
extern const char stub_clone_insn[], stub_park[], stub_park_insn[];

/* Installs the stub's seccomp filter on the calling thread (and sets
 * no_new_privs). Returns 0, or -1 with errno set. Exposed for the unit
 * test, which checks what it lets through from the stub page (at STUB_ADDR
 * once the platform is initialized). */
int ptrace_stub_install_filter(void);
#endif

/* Declarations of every implemented syscall handler, one block per family
 * file. table.c refers to them; each family file defines its own with
 * SYSCALL(name). A handler added here must also get its table entry. */
#pragma once

#include "sentry/syscalls/syscall.h"

struct task;

/* file.c */
long sys_read(struct task *t, const struct syscall_args *a);
long sys_write(struct task *t, const struct syscall_args *a);
long sys_readv(struct task *t, const struct syscall_args *a);
long sys_writev(struct task *t, const struct syscall_args *a);
long sys_pread64(struct task *t, const struct syscall_args *a);
long sys_pwrite64(struct task *t, const struct syscall_args *a);
long sys_close(struct task *t, const struct syscall_args *a);
long sys_ioctl(struct task *t, const struct syscall_args *a);
long sys_fstat(struct task *t, const struct syscall_args *a);
long sys_newfstatat(struct task *t, const struct syscall_args *a);

/* mm.c */
long sys_brk(struct task *t, const struct syscall_args *a);
long sys_mmap(struct task *t, const struct syscall_args *a);
long sys_munmap(struct task *t, const struct syscall_args *a);
long sys_mprotect(struct task *t, const struct syscall_args *a);
long sys_mremap(struct task *t, const struct syscall_args *a);
long sys_madvise(struct task *t, const struct syscall_args *a);
long sys_mincore(struct task *t, const struct syscall_args *a);

/* process.c */
long sys_exit(struct task *t, const struct syscall_args *a);
long sys_exit_group(struct task *t, const struct syscall_args *a);
long sys_arch_prctl(struct task *t, const struct syscall_args *a);
long sys_set_tid_address(struct task *t, const struct syscall_args *a);
long sys_set_robust_list(struct task *t, const struct syscall_args *a);
long sys_get_robust_list(struct task *t, const struct syscall_args *a);
long sys_getpid(struct task *t, const struct syscall_args *a);
long sys_getppid(struct task *t, const struct syscall_args *a);
long sys_gettid(struct task *t, const struct syscall_args *a);

/* time.c */
long sys_clock_gettime(struct task *t, const struct syscall_args *a);
long sys_clock_getres(struct task *t, const struct syscall_args *a);
long sys_gettimeofday(struct task *t, const struct syscall_args *a);
long sys_time(struct task *t, const struct syscall_args *a);
long sys_nanosleep(struct task *t, const struct syscall_args *a);
long sys_clock_nanosleep(struct task *t, const struct syscall_args *a);

/* info.c */
long sys_uname(struct task *t, const struct syscall_args *a);
long sys_sysinfo(struct task *t, const struct syscall_args *a);
long sys_getrandom(struct task *t, const struct syscall_args *a);
long sys_sched_getaffinity(struct task *t, const struct syscall_args *a);
long sys_sched_setaffinity(struct task *t, const struct syscall_args *a);
long sys_sched_yield(struct task *t, const struct syscall_args *a);
long sys_getcpu(struct task *t, const struct syscall_args *a);
long sys_prctl(struct task *t, const struct syscall_args *a);
long sys_getuid(struct task *t, const struct syscall_args *a);
long sys_geteuid(struct task *t, const struct syscall_args *a);
long sys_getgid(struct task *t, const struct syscall_args *a);
long sys_getegid(struct task *t, const struct syscall_args *a);
long sys_getresuid(struct task *t, const struct syscall_args *a);
long sys_getresgid(struct task *t, const struct syscall_args *a);
long sys_getgroups(struct task *t, const struct syscall_args *a);

/* resource.c */
long sys_prlimit64(struct task *t, const struct syscall_args *a);
long sys_getrlimit(struct task *t, const struct syscall_args *a);
long sys_setrlimit(struct task *t, const struct syscall_args *a);
long sys_getrusage(struct task *t, const struct syscall_args *a);

/* signal.c */
long sys_rt_sigaction(struct task *t, const struct syscall_args *a);
long sys_rt_sigprocmask(struct task *t, const struct syscall_args *a);
long sys_sigaltstack(struct task *t, const struct syscall_args *a);
long sys_rt_sigpending(struct task *t, const struct syscall_args *a);

/* fd table (file.c) */
long sys_dup(struct task *t, const struct syscall_args *a);
long sys_dup2(struct task *t, const struct syscall_args *a);
long sys_dup3(struct task *t, const struct syscall_args *a);
long sys_fcntl(struct task *t, const struct syscall_args *a);

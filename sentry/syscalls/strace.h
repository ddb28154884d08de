/* --strace: one line per syscall, as strace prints it, through log_raw().
 *
 *   [pid 1] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   [pid 1] write(1, "hello\n", 6) = 6
 *   [pid 1] openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
 *
 * The line is printed at exit, so buffers the call fills can be shown. A
 * call that may block for long (read, wait4, nanosleep...) or replaces the
 * address space (execve) prints its first part at entry, ending
 * " <unfinished ...>", and the rest at exit as
 * "[pid 1] <... read resumed>"abc", 5) = 3". exit and exit_group print
 * "exit_group(0) = ?" at entry. */
#pragma once

struct task;
struct syscall_entry;
struct syscall_args;

/* Called by the dispatcher before the handler, when --strace is on. e may
 * be an entry with no name (an unknown syscall). */
void strace_enter(struct task *t, const struct syscall_entry *e, const struct syscall_args *a);
/* Called after the handler with its result (value or -errno). */
void strace_exit(struct task *t, const struct syscall_entry *e, const struct syscall_args *a,
                 long ret);

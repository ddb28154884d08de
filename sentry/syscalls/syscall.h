/* The syscall table and the handler type (DESIGN.md section 8).
 *
 * Every handler is long sys_x(struct task *t, const struct syscall_args *a)
 * and returns a value or -errno. Arguments are read through the typed
 * accessors below, never by casting raw registers in the handler. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "abi/linux/errno.h"
#include "abi/linux/types.h"
#include "abi/linux/unistd_64.h"

struct task;

struct syscall_args {
    long nr;
    uint64_t a[6];
};

static inline int arg_int(const struct syscall_args *a, int i)
{
    return (int)a->a[i];
}

static inline unsigned arg_uint(const struct syscall_args *a, int i)
{
    return (unsigned)a->a[i];
}

static inline long arg_long(const struct syscall_args *a, int i)
{
    return (long)a->a[i];
}

static inline uint64_t arg_u64(const struct syscall_args *a, int i)
{
    return a->a[i];
}

static inline uaddr_t arg_uaddr(const struct syscall_args *a, int i)
{
    return (uaddr_t)a->a[i];
}

static inline size_t arg_size(const struct syscall_args *a, int i)
{
    return (size_t)a->a[i];
}

typedef long (*syscall_fn)(struct task *t, const struct syscall_args *a);

enum syscall_support { SYSCALL_MISSING = 0, SYSCALL_PARTIAL, SYSCALL_FULL };

/* Argument kinds, for --strace decoding. */
enum sarg {
    SA_NONE = 0, SA_INT, SA_UINT, SA_HEX, SA_PTR, SA_SIZE, SA_FD, SA_STR, SA_BUF_IN, SA_BUF_OUT,
    SA_OFF, SA_PROT, SA_MMAP_FLAGS, SA_OPEN_FLAGS, SA_SIGNAL, SA_CLOCK, SA_MODE, SA_IOCTL,
};

struct syscall_entry {
    const char *name;
    syscall_fn fn;             /* NULL: not implemented, sys_missing */
    enum syscall_support support;
    const char *note;          /* what is missing, for docs/syscalls.md */
    enum sarg args[6];
};

extern const struct syscall_entry syscall_table[LINUX_NR_MAX];

/* Dispatches the syscall in t->cpu.regs and stores the result in rax. */
void syscall_dispatch(struct task *t);

/* Handlers, one family per file. */
#define SYSCALL(name) long sys_##name(struct task *t, const struct syscall_args *a)

struct file;
/* pipe2 and socketpair: installs a and b as two new fds of t (lowest
 * free, fd_flags, RLIMIT_NOFILE) and writes the two numbers to uout; on a
 * failure neither fd stays. Takes over the caller's references to a and
 * b. Returns 0 or -errno. */
long fd_install_pair(struct task *t, struct file *a, struct file *b, int fd_flags, uaddr_t uout);

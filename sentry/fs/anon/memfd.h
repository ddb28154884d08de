/* memfd_create(2): anonymous regular files whose data lives in the memory
 * file (an mm_object, so mmap shares the very pages read/write use), with
 * file seals (F_ADD_SEALS / F_GET_SEALS).
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct file;
struct task;

/* NAME_MAX less the "memfd:" prefix. */
#define MEMFD_NAME_MAX 249

/* Checks memfd_create's flags as Linux does: 0 or -EINVAL, -ENOENT for
 * MFD_HUGETLB (no hugetlbfs in the sandbox). */
long memfd_check_flags(unsigned flags);

/* A new memfd named name (already copied in, at most MEMFD_NAME_MAX bytes) with flags
 * (LINUX_MFD_*; checked by memfd_check_flags). The file is O_RDWR with
 * O_LARGEFILE; the caller owns its reference. */
int memfd_create_file(struct task *t, const char *name, unsigned flags, struct file **out_file);

/* True if f is a memfd. */
bool memfd_is_file(const struct file *f);

/* True if f is a memfd sealed against writes (F_SEAL_WRITE or
 * F_SEAL_FUTURE_WRITE): mmap must refuse MAP_SHARED with PROT_WRITE
 * (EPERM), as Linux's memfd_file_seals/shmem_mmap do. */
bool memfd_write_sealed(const struct file *f);

/* fcntl F_ADD_SEALS / F_GET_SEALS on f, Linux's errors: F_ADD_SEALS on a
 * file not open for writing is -EPERM, on a file that cannot be sealed
 * -EINVAL; F_GET_SEALS on one -EINVAL. Other commands: -EINVAL. */
long memfd_fcntl(struct file *f, int cmd, long arg);

/* The /proc/PID/fd link text of a memfd: "/memfd:NAME (deleted)". Returns
 * its length (it may exceed size; buf is NUL-terminated when size > 0). */
size_t memfd_link_name(const struct file *f, char *buf, size_t size);

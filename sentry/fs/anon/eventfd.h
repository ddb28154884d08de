/* eventfd(2) files (Linux's fs/eventfd.c): a 64-bit counter that write
 * adds to and read takes (all of it, or 1 with EFD_SEMAPHORE), blocking
 * while a read would find 0 or a write would overflow to 2^64-1.
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct file;

/* A new eventfd holding initval, with flags (LINUX_EFD_SEMAPHORE,
 * LINUX_EFD_NONBLOCK; LINUX_EFD_CLOEXEC is the caller's fd flag). Unknown
 * flags are -EINVAL. The file is O_RDWR; the caller owns its reference. */
int eventfd_create(uint64_t initval, int flags, struct file **out_file);

/* True if f is an eventfd. */
bool eventfd_is_file(const struct file *f);

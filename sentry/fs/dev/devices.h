/* Character devices of the sandbox: null (1:3), zero (1:5), full (1:7),
 * random (1:8), urandom (1:9), tty (5:0: ENXIO until ptys exist). Any
 * filesystem's S_IFCHR inode opens through chrdev_open (registered as the
 * VFS's special opener for character devices).
 *
 * Lock order: the kernel lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct file;
struct inode;
struct task;

/* vfs_special_open_fn for S_IFCHR: sets f->ops from ino's rdev. Returns 0,
 * or -ENXIO for a device the sandbox does not have. */
int chrdev_open(struct task *t, struct inode *ino, struct file *f);
int chrdev_open_rdev(uint64_t rdev, struct file *f);
/* True if f is /dev/zero: mmap maps it as anonymous memory (Linux's
 * shmem_zero_setup), it has no get_pages. */
bool chrdev_is_zero(const struct file *f);
/* Linux's makedev encoding (st_rdev), as a constant expression. */
#define CHRDEV_MKDEV(major, minor)                                                                 \
    (((uint64_t)(minor)&0xff) | (((uint64_t)(major)&0xfff) << 8) |                                 \
     (((uint64_t)(minor) & ~0xffULL) << 12) | (((uint64_t)(major) & ~0xfffULL) << 32))

/* sysfs: a minimal /sys (fs type "sysfs"): the CPU lists glibc and
 * runtimes read (/sys/devices/system/cpu/{online,possible,present} and
 * cpuN directories, from the sandbox's CPU set), and the directories
 * leading to them. Built on kernfs.
 *
 * Lock order: the kernel lock. */
#pragma once

struct superblock;
struct fs_type;

extern const struct fs_type sysfs_type;

/* A new sysfs superblock for boot's /sys mount. Returns 0 or -ENOMEM; the
 * caller owns *out_sb. */
int sysfs_new_sb(struct superblock **out_sb);

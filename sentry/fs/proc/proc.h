/* procfs: /proc of the sandbox (fs type "proc").
 *
 * Only the sandbox's own tasks appear; system-wide files describe the
 * sandbox (its CPUs, its uptime, its identity), never the host's processes
 * or paths. Built on kernfs (sentry/fs/kernfs).
 *
 * Lock order: the kernel lock. */
#pragma once

struct superblock;
struct fs_type;

/* The "proc" type, for mount(2) and /proc/filesystems (fs_special_register
 * registers it). */
extern const struct fs_type procfs_type;

/* A new procfs superblock for boot's /proc mount. Returns 0 or -ENOMEM; the
 * caller owns *out_sb. */
int procfs_new_sb(struct superblock **out_sb);

/* devfs: the sandbox's /dev (fs type "devtmpfs"): null, zero, full, random,
 * urandom, tty, the fd/stdin/stdout/stderr symlinks into /proc/self/fd,
 * and the directories shm (a tmpfs is mounted there) and pts (empty until
 * ptys exist; no ptmx yet). Built on kernfs; the device files open through
 * chrdev_open.
 *
 * Lock order: the kernel lock. */
#pragma once

struct fs_type;
struct mount;
struct path;
struct superblock;
struct task;

extern const struct fs_type devfs_type;

/* A new devfs superblock. Returns 0 or -ENOMEM; the caller owns *out_sb. */
int devfs_new_sb(struct superblock **out_sb);

/* Boot's /dev: mounts a devfs on at with mnt_flags (LINUX_MNT_*; Linux
 * mounts /dev nosuid) and a tmpfs ("mode=1777", nosuid,nodev) on its shm
 * directory. t is the task whose credentials look shm up (pid 1). Returns
 * 0 or -errno; *out_mnt (if not NULL) gets a reference to the /dev mount. */
int devfs_mount(struct task *t, const struct path *at, int mnt_flags, struct mount **out_mnt);

/* statfs(2), mount(2) and umount2(2) (x86_64). */
#pragma once

#include <stdint.h>

/* struct statfs as statfs/fstatfs fill it (x86_64: the same as statfs64). */
struct linux_statfs {
    int64_t f_type;
    int64_t f_bsize;
    uint64_t f_blocks;
    uint64_t f_bfree;
    uint64_t f_bavail;
    uint64_t f_files;
    uint64_t f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags;
    int64_t f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "statfs");
_Static_assert(__builtin_offsetof(struct linux_statfs, f_fsid) == 56, "statfs.f_fsid");
_Static_assert(__builtin_offsetof(struct linux_statfs, f_flags) == 80, "statfs.f_flags");

/* Filesystem magic numbers (f_type), <linux/magic.h>. */
#define LINUX_TMPFS_MAGIC 0x01021994
#define LINUX_PROC_SUPER_MAGIC 0x9fa0
#define LINUX_SYSFS_MAGIC 0x62656572
#define LINUX_DEVPTS_SUPER_MAGIC 0x1cd1
#define LINUX_PIPEFS_MAGIC 0x50495045
#define LINUX_SOCKFS_MAGIC 0x534F434B
#define LINUX_ANON_INODE_FS_MAGIC 0x09041934
#define LINUX_OVERLAYFS_SUPER_MAGIC 0x794c7630

/* statfs f_flags (ST_VALID, 0x20, is the kernel's own and says the field
 * is filled). */
#define LINUX_ST_RDONLY 0x0001
#define LINUX_ST_NOSUID 0x0002
#define LINUX_ST_NODEV 0x0004
#define LINUX_ST_NOEXEC 0x0008
#define LINUX_ST_SYNCHRONOUS 0x0010
#define LINUX_ST_MANDLOCK 0x0040
#define LINUX_ST_NOATIME 0x0400
#define LINUX_ST_NODIRATIME 0x0800
#define LINUX_ST_RELATIME 0x1000

/* mount(2) flags. */
#define LINUX_MS_RDONLY 1
#define LINUX_MS_NOSUID 2
#define LINUX_MS_NODEV 4
#define LINUX_MS_NOEXEC 8
#define LINUX_MS_SYNCHRONOUS 16
#define LINUX_MS_REMOUNT 32
#define LINUX_MS_MANDLOCK 64
#define LINUX_MS_DIRSYNC 128
#define LINUX_MS_NOSYMFOLLOW 256
#define LINUX_MS_NOATIME 1024
#define LINUX_MS_NODIRATIME 2048
#define LINUX_MS_BIND 4096
#define LINUX_MS_MOVE 8192
#define LINUX_MS_REC 16384
#define LINUX_MS_SILENT 32768
#define LINUX_MS_POSIXACL (1 << 16)
#define LINUX_MS_UNBINDABLE (1 << 17)
#define LINUX_MS_PRIVATE (1 << 18)
#define LINUX_MS_SLAVE (1 << 19)
#define LINUX_MS_SHARED (1 << 20)
#define LINUX_MS_RELATIME (1 << 21)
#define LINUX_MS_KERNMOUNT (1 << 22)
#define LINUX_MS_I_VERSION (1 << 23)
#define LINUX_MS_STRICTATIME (1 << 24)
#define LINUX_MS_LAZYTIME (1 << 25)
#define LINUX_MS_MGC_VAL 0xC0ED0000
#define LINUX_MS_MGC_MSK 0xffff0000

/* umount2(2) flags. */
#define LINUX_MNT_FORCE 0x00000001
#define LINUX_MNT_DETACH 0x00000002
#define LINUX_MNT_EXPIRE 0x00000004
#define LINUX_UMOUNT_NOFOLLOW 0x00000008

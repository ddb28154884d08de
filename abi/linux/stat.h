/* struct stat (x86_64) and file mode bits. */
#pragma once

#include <stdint.h>

struct linux_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    int64_t st_atime_sec;
    int64_t st_atime_nsec;
    int64_t st_mtime_sec;
    int64_t st_mtime_nsec;
    int64_t st_ctime_sec;
    int64_t st_ctime_nsec;
    int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "stat");

#define LINUX_S_IFMT 0170000
#define LINUX_S_IFSOCK 0140000
#define LINUX_S_IFLNK 0120000
#define LINUX_S_IFREG 0100000
#define LINUX_S_IFBLK 0060000
#define LINUX_S_IFDIR 0040000
#define LINUX_S_IFCHR 0020000
#define LINUX_S_IFIFO 0010000

#define LINUX_AT_FDCWD (-100)
#define LINUX_AT_SYMLINK_NOFOLLOW 0x100
#define LINUX_AT_REMOVEDIR 0x200
#define LINUX_AT_SYMLINK_FOLLOW 0x400
#define LINUX_AT_NO_AUTOMOUNT 0x800
#define LINUX_AT_EMPTY_PATH 0x1000
#define LINUX_AT_STATX_SYNC_TYPE 0x6000

/* Permission bits. */
#define LINUX_S_ISUID 0004000
#define LINUX_S_ISGID 0002000
#define LINUX_S_ISVTX 0001000
#define LINUX_S_IRWXU 00700
#define LINUX_S_IRUSR 00400
#define LINUX_S_IWUSR 00200
#define LINUX_S_IXUSR 00100
#define LINUX_S_IRWXG 00070
#define LINUX_S_IRGRP 00040
#define LINUX_S_IWGRP 00020
#define LINUX_S_IXGRP 00010
#define LINUX_S_IRWXO 00007
#define LINUX_S_IROTH 00004
#define LINUX_S_IWOTH 00002
#define LINUX_S_IXOTH 00001

/* utimensat(2) special nanosecond values. */
#define LINUX_UTIME_NOW ((1L << 30) - 1L)
#define LINUX_UTIME_OMIT ((1L << 30) - 2L)

/* statx(2). */
struct linux_statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};
_Static_assert(sizeof(struct linux_statx_timestamp) == 16, "statx_timestamp");

struct linux_statx {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t spare0;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    struct linux_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major;
    uint32_t stx_rdev_minor;
    uint32_t stx_dev_major;
    uint32_t stx_dev_minor;
    uint64_t stx_mnt_id;
    uint32_t stx_dio_mem_align;
    uint32_t stx_dio_offset_align;
    uint64_t spare3[12];
};
_Static_assert(sizeof(struct linux_statx) == 256, "statx");
_Static_assert(__builtin_offsetof(struct linux_statx, stx_atime) == 0x40, "statx.stx_atime");
_Static_assert(__builtin_offsetof(struct linux_statx, stx_rdev_major) == 0x80, "statx.stx_rdev");
_Static_assert(__builtin_offsetof(struct linux_statx, stx_mnt_id) == 0x90, "statx.stx_mnt_id");

#define LINUX_STATX_TYPE 0x00000001U
#define LINUX_STATX_MODE 0x00000002U
#define LINUX_STATX_NLINK 0x00000004U
#define LINUX_STATX_UID 0x00000008U
#define LINUX_STATX_GID 0x00000010U
#define LINUX_STATX_ATIME 0x00000020U
#define LINUX_STATX_MTIME 0x00000040U
#define LINUX_STATX_CTIME 0x00000080U
#define LINUX_STATX_INO 0x00000100U
#define LINUX_STATX_SIZE 0x00000200U
#define LINUX_STATX_BLOCKS 0x00000400U
#define LINUX_STATX_BASIC_STATS 0x000007ffU
#define LINUX_STATX_BTIME 0x00000800U
#define LINUX_STATX_MNT_ID 0x00001000U
#define LINUX_STATX_DIOALIGN 0x00002000U
#define LINUX_STATX__RESERVED 0x80000000U

#define LINUX_STATX_ATTR_COMPRESSED 0x00000004
#define LINUX_STATX_ATTR_IMMUTABLE 0x00000010
#define LINUX_STATX_ATTR_APPEND 0x00000020
#define LINUX_STATX_ATTR_NODUMP 0x00000040
#define LINUX_STATX_ATTR_ENCRYPTED 0x00000800
#define LINUX_STATX_ATTR_AUTOMOUNT 0x00001000
#define LINUX_STATX_ATTR_MOUNT_ROOT 0x00002000
#define LINUX_STATX_ATTR_VERITY 0x00100000

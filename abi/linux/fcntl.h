/* open, fcntl and *at flags (x86_64, which uses the asm-generic values). */
#pragma once

#include <stdint.h>

/* open(2) flags. The access mode is a 2-bit field, not a set of bits. */
#define LINUX_O_ACCMODE 00000003
#define LINUX_O_RDONLY 00000000
#define LINUX_O_WRONLY 00000001
#define LINUX_O_RDWR 00000002
#define LINUX_O_CREAT 00000100
#define LINUX_O_EXCL 00000200
#define LINUX_O_NOCTTY 00000400
#define LINUX_O_TRUNC 00001000
#define LINUX_O_APPEND 00002000
#define LINUX_O_NONBLOCK 00004000
#define LINUX_O_NDELAY LINUX_O_NONBLOCK
#define LINUX_O_DSYNC 00010000
#define LINUX_FASYNC 00020000
#define LINUX_O_DIRECT 00040000
#define LINUX_O_LARGEFILE 00100000 /* glibc defines O_LARGEFILE as 0 on 64-bit */
#define LINUX_O_DIRECTORY 00200000
#define LINUX_O_NOFOLLOW 00400000
#define LINUX_O_NOATIME 01000000
#define LINUX_O_CLOEXEC 02000000
#define LINUX_O_SYNC (04000000 | LINUX_O_DSYNC) /* __O_SYNC | O_DSYNC */
#define LINUX_O_PATH 010000000
#define LINUX_O_TMPFILE (020000000 | LINUX_O_DIRECTORY) /* __O_TMPFILE | O_DIRECTORY */

/* fcntl(2) commands. */
#define LINUX_F_DUPFD 0
#define LINUX_F_GETFD 1
#define LINUX_F_SETFD 2
#define LINUX_F_GETFL 3
#define LINUX_F_SETFL 4
#define LINUX_F_GETLK 5
#define LINUX_F_SETLK 6
#define LINUX_F_SETLKW 7
#define LINUX_F_SETOWN 8
#define LINUX_F_GETOWN 9
#define LINUX_F_SETSIG 10
#define LINUX_F_GETSIG 11
#define LINUX_F_SETOWN_EX 15
#define LINUX_F_GETOWN_EX 16
#define LINUX_F_GETOWNER_UIDS 17
#define LINUX_F_OFD_GETLK 36
#define LINUX_F_OFD_SETLK 37
#define LINUX_F_OFD_SETLKW 38
#define LINUX_F_SETLEASE 1024
#define LINUX_F_GETLEASE 1025
#define LINUX_F_NOTIFY 1026
#define LINUX_F_CANCELLK 1029
#define LINUX_F_DUPFD_CLOEXEC 1030
#define LINUX_F_SETPIPE_SZ 1031
#define LINUX_F_GETPIPE_SZ 1032
#define LINUX_F_ADD_SEALS 1033
#define LINUX_F_GET_SEALS 1034
#define LINUX_F_GET_RW_HINT 1035
#define LINUX_F_SET_RW_HINT 1036
#define LINUX_F_GET_FILE_RW_HINT 1037
#define LINUX_F_SET_FILE_RW_HINT 1038

#define LINUX_FD_CLOEXEC 1

/* struct flock l_type. */
#define LINUX_F_RDLCK 0
#define LINUX_F_WRLCK 1
#define LINUX_F_UNLCK 2

/* F_ADD_SEALS bits (memfd). */
#define LINUX_F_SEAL_SEAL 0x0001
#define LINUX_F_SEAL_SHRINK 0x0002
#define LINUX_F_SEAL_GROW 0x0004
#define LINUX_F_SEAL_WRITE 0x0008
#define LINUX_F_SEAL_FUTURE_WRITE 0x0010

/* *at(2) flags not in stat.h (AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR,
 * AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH, AT_STATX_SYNC_TYPE are). */
#define LINUX_AT_EACCESS 0x200 /* faccessat: same bit as AT_REMOVEDIR */
#define LINUX_AT_STATX_SYNC_AS_STAT 0x0000
#define LINUX_AT_STATX_FORCE_SYNC 0x2000
#define LINUX_AT_STATX_DONT_SYNC 0x4000
#define LINUX_AT_RECURSIVE 0x8000

/* struct flock for F_GETLK/F_SETLK/F_SETLKW and the OFD variants (x86_64:
 * the same as flock64). */
struct linux_flock {
    int16_t l_type;
    int16_t l_whence;
    int32_t pad0;
    int64_t l_start;
    int64_t l_len;
    int32_t l_pid;
    int32_t pad1;
};
_Static_assert(sizeof(struct linux_flock) == 32, "flock");
_Static_assert(__builtin_offsetof(struct linux_flock, l_start) == 8, "flock.l_start");
_Static_assert(__builtin_offsetof(struct linux_flock, l_pid) == 24, "flock.l_pid");

/* openat2(2)'s struct open_how. */
struct linux_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};
_Static_assert(sizeof(struct linux_open_how) == 24, "open_how");

#define LINUX_RESOLVE_NO_XDEV 0x01
#define LINUX_RESOLVE_NO_MAGICLINKS 0x02
#define LINUX_RESOLVE_NO_SYMLINKS 0x04
#define LINUX_RESOLVE_BENEATH 0x08
#define LINUX_RESOLVE_IN_ROOT 0x10
#define LINUX_RESOLVE_CACHED 0x20

/* lseek(2) whence. */
#define LINUX_SEEK_SET 0
#define LINUX_SEEK_CUR 1
#define LINUX_SEEK_END 2
#define LINUX_SEEK_DATA 3
#define LINUX_SEEK_HOLE 4

/* renameat2(2) flags. */
#define LINUX_RENAME_NOREPLACE (1 << 0)
#define LINUX_RENAME_EXCHANGE (1 << 1)
#define LINUX_RENAME_WHITEOUT (1 << 2)

/* fallocate(2) modes. */
#define LINUX_FALLOC_FL_KEEP_SIZE 0x01
#define LINUX_FALLOC_FL_PUNCH_HOLE 0x02
#define LINUX_FALLOC_FL_NO_HIDE_STALE 0x04
#define LINUX_FALLOC_FL_COLLAPSE_RANGE 0x08
#define LINUX_FALLOC_FL_ZERO_RANGE 0x10
#define LINUX_FALLOC_FL_INSERT_RANGE 0x20
#define LINUX_FALLOC_FL_UNSHARE_RANGE 0x40

/* flock(2) operations. */
#define LINUX_LOCK_SH 1
#define LINUX_LOCK_EX 2
#define LINUX_LOCK_NB 4
#define LINUX_LOCK_UN 8

/* close_range(2) flags. */
#define LINUX_CLOSE_RANGE_UNSHARE (1U << 1)
#define LINUX_CLOSE_RANGE_CLOEXEC (1U << 2)

/* access(2) modes. */
#define LINUX_F_OK 0
#define LINUX_X_OK 1
#define LINUX_W_OK 2
#define LINUX_R_OK 4

/* preadv2/pwritev2 flags. */
#define LINUX_RWF_HIPRI 0x00000001
#define LINUX_RWF_DSYNC 0x00000002
#define LINUX_RWF_SYNC 0x00000004
#define LINUX_RWF_NOWAIT 0x00000008
#define LINUX_RWF_APPEND 0x00000010

/* setxattr(2) flags. */
#define LINUX_XATTR_CREATE 0x1
#define LINUX_XATTR_REPLACE 0x2

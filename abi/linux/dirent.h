/* Directory entries as getdents64(2) and getdents(2) write them. */
#pragma once

#include <stdint.h>

/* One getdents64 record: the name follows, NUL-terminated, and the record
 * is padded to 8 bytes (d_reclen). */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};
_Static_assert(__builtin_offsetof(struct linux_dirent64, d_name) == 19, "dirent64.d_name");

/* One getdents (old) record: d_ino, d_off, d_reclen, the name and its NUL,
 * then d_type in the record's last byte. */
struct linux_dirent {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    char d_name[];
};
_Static_assert(__builtin_offsetof(struct linux_dirent, d_name) == 18, "dirent.d_name");

#define LINUX_DT_UNKNOWN 0
#define LINUX_DT_FIFO 1
#define LINUX_DT_CHR 2
#define LINUX_DT_DIR 4
#define LINUX_DT_BLK 6
#define LINUX_DT_REG 8
#define LINUX_DT_LNK 10
#define LINUX_DT_SOCK 12
#define LINUX_DT_WHT 14

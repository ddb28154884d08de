/* Basic Linux x86_64 ABI types. */
#pragma once

#include <stdint.h>

/* An address in the application's address space. An integer, never a C
 * pointer: it is read and written only through copy_in/copy_out. */
typedef uint64_t uaddr_t;

typedef int32_t linux_pid_t;
typedef uint32_t linux_uid_t;
typedef uint32_t linux_gid_t;
typedef int64_t linux_off_t;
typedef int64_t linux_time_t;

#define LINUX_PAGE_SIZE 4096UL
#define LINUX_PAGE_MASK (~(LINUX_PAGE_SIZE - 1))

static inline uint64_t page_round_down(uint64_t x)
{
    return x & LINUX_PAGE_MASK;
}

static inline uint64_t page_round_up(uint64_t x)
{
    return (x + LINUX_PAGE_SIZE - 1) & LINUX_PAGE_MASK;
}

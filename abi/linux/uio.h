/* struct iovec as the application passes it: addresses are application
 * addresses, so this is not the host's struct iovec. */
#pragma once

#include <stdint.h>

struct linux_iovec {
    uint64_t iov_base;
    uint64_t iov_len;
};
_Static_assert(sizeof(struct linux_iovec) == 16, "iovec");

#define LINUX_UIO_MAXIOV 1024
/* Largest byte count one read/write moves: INT_MAX rounded down to a page. */
#define LINUX_MAX_RW_COUNT 0x7ffff000L

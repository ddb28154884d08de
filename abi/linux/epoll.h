/* epoll(7): epoll_create1 flags, epoll_ctl operations, event bits and
 * struct epoll_event (packed on x86_64: 12 bytes). */
#pragma once

#include <stdint.h>

#define LINUX_EPOLL_CLOEXEC 02000000

#define LINUX_EPOLL_CTL_ADD 1
#define LINUX_EPOLL_CTL_DEL 2
#define LINUX_EPOLL_CTL_MOD 3

#define LINUX_EPOLLIN 0x00000001U
#define LINUX_EPOLLPRI 0x00000002U
#define LINUX_EPOLLOUT 0x00000004U
#define LINUX_EPOLLERR 0x00000008U
#define LINUX_EPOLLHUP 0x00000010U
#define LINUX_EPOLLNVAL 0x00000020U
#define LINUX_EPOLLRDNORM 0x00000040U
#define LINUX_EPOLLRDBAND 0x00000080U
#define LINUX_EPOLLWRNORM 0x00000100U
#define LINUX_EPOLLWRBAND 0x00000200U
#define LINUX_EPOLLMSG 0x00000400U
#define LINUX_EPOLLRDHUP 0x00002000U
#define LINUX_EPOLLEXCLUSIVE (1U << 28)
#define LINUX_EPOLLWAKEUP (1U << 29)
#define LINUX_EPOLLONESHOT (1U << 30)
#define LINUX_EPOLLET (1U << 31)

struct linux_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));
_Static_assert(sizeof(struct linux_epoll_event) == 12, "epoll_event");

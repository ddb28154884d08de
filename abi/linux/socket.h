/* Sockets (x86_64): address families, socket types, send/recv flags,
 * SOL_SOCKET options, control messages, and the structs that cross the
 * boundary (<linux/socket.h>, <asm-generic/socket.h>, <linux/un.h>). */
#pragma once

#include <stdint.h>

/* Address families (the PF_* values are the same). */
#define LINUX_AF_UNSPEC 0
#define LINUX_AF_UNIX 1
#define LINUX_AF_LOCAL 1
#define LINUX_AF_INET 2
#define LINUX_AF_INET6 10
#define LINUX_AF_NETLINK 16
#define LINUX_AF_PACKET 17
#define LINUX_AF_MAX 46
#define LINUX_PF_UNIX LINUX_AF_UNIX

/* Socket types, and the flags socket(2)/socketpair(2) take in type. */
#define LINUX_SOCK_STREAM 1
#define LINUX_SOCK_DGRAM 2
#define LINUX_SOCK_RAW 3
#define LINUX_SOCK_RDM 4
#define LINUX_SOCK_SEQPACKET 5
#define LINUX_SOCK_DCCP 6
#define LINUX_SOCK_PACKET 10
#define LINUX_SOCK_CLOEXEC 02000000
#define LINUX_SOCK_NONBLOCK 04000

/* send/recv flags. */
#define LINUX_MSG_OOB 0x1
#define LINUX_MSG_PEEK 0x2
#define LINUX_MSG_DONTROUTE 0x4
#define LINUX_MSG_CTRUNC 0x8
#define LINUX_MSG_PROXY 0x10
#define LINUX_MSG_TRUNC 0x20
#define LINUX_MSG_DONTWAIT 0x40
#define LINUX_MSG_EOR 0x80
#define LINUX_MSG_WAITALL 0x100
#define LINUX_MSG_FIN 0x200
#define LINUX_MSG_SYN 0x400
#define LINUX_MSG_CONFIRM 0x800
#define LINUX_MSG_RST 0x1000
#define LINUX_MSG_ERRQUEUE 0x2000
#define LINUX_MSG_NOSIGNAL 0x4000
#define LINUX_MSG_MORE 0x8000
#define LINUX_MSG_WAITFORONE 0x10000
#define LINUX_MSG_BATCH 0x40000
#define LINUX_MSG_ZEROCOPY 0x4000000
#define LINUX_MSG_FASTOPEN 0x20000000
#define LINUX_MSG_CMSG_CLOEXEC 0x40000000

/* shutdown(2) */
#define LINUX_SHUT_RD 0
#define LINUX_SHUT_WR 1
#define LINUX_SHUT_RDWR 2

/* Socket-level options (<asm-generic/socket.h>; SO_RCVTIMEO and
 * SO_SNDTIMEO are the _OLD numbers on 64-bit, with a struct timeval). */
#define LINUX_SOL_SOCKET 1
#define LINUX_SO_DEBUG 1
#define LINUX_SO_REUSEADDR 2
#define LINUX_SO_TYPE 3
#define LINUX_SO_ERROR 4
#define LINUX_SO_DONTROUTE 5
#define LINUX_SO_BROADCAST 6
#define LINUX_SO_SNDBUF 7
#define LINUX_SO_RCVBUF 8
#define LINUX_SO_KEEPALIVE 9
#define LINUX_SO_OOBINLINE 10
#define LINUX_SO_NO_CHECK 11
#define LINUX_SO_PRIORITY 12
#define LINUX_SO_LINGER 13
#define LINUX_SO_BSDCOMPAT 14
#define LINUX_SO_REUSEPORT 15
#define LINUX_SO_PASSCRED 16
#define LINUX_SO_PEERCRED 17
#define LINUX_SO_RCVLOWAT 18
#define LINUX_SO_SNDLOWAT 19
#define LINUX_SO_RCVTIMEO_OLD 20
#define LINUX_SO_SNDTIMEO_OLD 21
#define LINUX_SO_RCVTIMEO LINUX_SO_RCVTIMEO_OLD
#define LINUX_SO_SNDTIMEO LINUX_SO_SNDTIMEO_OLD
#define LINUX_SO_PEERNAME 28
#define LINUX_SO_ACCEPTCONN 30
#define LINUX_SO_PEERSEC 31
#define LINUX_SO_SNDBUFFORCE 32
#define LINUX_SO_RCVBUFFORCE 33
#define LINUX_SO_PASSSEC 34
#define LINUX_SO_MARK 36
#define LINUX_SO_PROTOCOL 38
#define LINUX_SO_DOMAIN 39
#define LINUX_SO_PEEK_OFF 42
#define LINUX_SO_COOKIE 57
#define LINUX_SO_RCVTIMEO_NEW 66
#define LINUX_SO_SNDTIMEO_NEW 67

/* Control message types at SOL_SOCKET. */
#define LINUX_SCM_RIGHTS 1
#define LINUX_SCM_CREDENTIALS 2

/* Socket ioctls (<linux/sockios.h>): bytes queued for reading and bytes
 * sent but not yet consumed. */
#define LINUX_SIOCINQ 0x541B
#define LINUX_SIOCOUTQ 0x5411

/* struct sockaddr_un. An unnamed socket's address is just sun_family
 * (length 2); an abstract name starts with a NUL. */
struct linux_sockaddr_un {
    uint16_t sun_family;
    char sun_path[108];
};
_Static_assert(sizeof(struct linux_sockaddr_un) == 110, "sockaddr_un");

/* struct user_msghdr: addresses are application addresses. */
struct linux_msghdr {
    uint64_t msg_name;
    int32_t msg_namelen;
    uint32_t pad0;
    uint64_t msg_iov;
    uint64_t msg_iovlen;
    uint64_t msg_control;
    uint64_t msg_controllen;
    uint32_t msg_flags;
    uint32_t pad1;
};
_Static_assert(sizeof(struct linux_msghdr) == 56, "msghdr");
_Static_assert(__builtin_offsetof(struct linux_msghdr, msg_iov) == 16, "msghdr.msg_iov");
_Static_assert(__builtin_offsetof(struct linux_msghdr, msg_controllen) == 40,
               "msghdr.msg_controllen");
_Static_assert(__builtin_offsetof(struct linux_msghdr, msg_flags) == 48, "msghdr.msg_flags");

struct linux_mmsghdr {
    struct linux_msghdr msg_hdr;
    uint32_t msg_len;
    uint32_t pad;
};
_Static_assert(sizeof(struct linux_mmsghdr) == 64, "mmsghdr");

/* struct cmsghdr; the data follows at CMSG_ALIGN(sizeof(struct cmsghdr)),
 * and each message starts at an 8-byte boundary. */
struct linux_cmsghdr {
    uint64_t cmsg_len;
    int32_t cmsg_level;
    int32_t cmsg_type;
};
_Static_assert(sizeof(struct linux_cmsghdr) == 16, "cmsghdr");

static inline uint64_t linux_cmsg_align(uint64_t len)
{
    return (len + 7) & ~(uint64_t)7;
}

/* CMSG_LEN / CMSG_SPACE of a payload of len bytes. */
static inline uint64_t linux_cmsg_len(uint64_t len)
{
    return sizeof(struct linux_cmsghdr) + len;
}

static inline uint64_t linux_cmsg_space(uint64_t len)
{
    return sizeof(struct linux_cmsghdr) + linux_cmsg_align(len);
}

/* SCM_CREDENTIALS payload and SO_PEERCRED value. */
struct linux_ucred {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
};
_Static_assert(sizeof(struct linux_ucred) == 12, "ucred");

struct linux_linger {
    int32_t l_onoff;
    int32_t l_linger;
};
_Static_assert(sizeof(struct linux_linger) == 8, "linger");

/* Helpers shared by the socket syscall files (socket.c, socket_msg.c). */
#pragma once

#include "abi/linux/types.h"

struct file;
struct task;

/* The socket at fd with a new reference, or NULL with *out_err = -EBADF
 * (no such fd, or an O_PATH one) or -ENOTSOCK. */
struct file *sock_fd_get(struct task *t, int fd, long *out_err);

/* Linux's move_addr_to_kernel: copies addrlen bytes (0..SOCK_ADDR_MAX,
 * else -EINVAL) of the address at uaddr into buf (SOCK_ADDR_MAX + 1
 * bytes, zeroed first). Returns 0 or -errno. */
long sock_addr_in(struct task *t, uaddr_t uaddr, int addrlen, void *buf);

/* Linux's move_addr_to_user: copies min(*ulen, klen) bytes of kaddr to
 * uaddr and stores klen (the full length) in *ulen. Returns 0 or -errno
 * (-EINVAL for a negative *ulen, -EFAULT). */
long sock_addr_out(struct task *t, const void *kaddr, int klen, uaddr_t uaddr, uaddr_t ulen);

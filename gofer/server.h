/* The gofer server's insides, shared by server.c (the loop, the dispatch
 * and the ops that read) and ops.c (the ops that change files). Internal
 * to gofer/. */
#pragma once

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/linux/fcntl.h"
#include "gofer/gofer.h"
#include "gofer/handles.h"
#include "gofer/proto.h"

/* Open flags a client may ask for. The gofer adds O_NOFOLLOW, O_CLOEXEC,
 * O_NOCTTY and O_NONBLOCK itself (a FIFO must never block the gofer; the
 * sentry uses host fds non-blocking anyway). */
#define OPEN_ALLOWED                                                                               \
    (LINUX_O_ACCMODE | LINUX_O_TRUNC | LINUX_O_APPEND | LINUX_O_DIRECTORY | LINUX_O_NONBLOCK |     \
     LINUX_O_DSYNC | LINUX_O_SYNC | LINUX_O_DIRECT | LINUX_O_NOATIME | LINUX_O_LARGEFILE |         \
     LINUX_O_NOCTTY | LINUX_O_NOFOLLOW | LINUX_O_CLOEXEC)
#define OPEN_ADDED (O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* statx with the kernel's own struct: glibc's has no stx_mnt_id. */
struct kstatx_ts {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};
struct kstatx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad1;
    uint64_t ino, size, blocks, attributes_mask;
    struct kstatx_ts atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t mnt_id;
    uint64_t spare[13];
};
_Static_assert(sizeof(struct kstatx) == 256, "struct statx");
_Static_assert(offsetof(struct kstatx, mnt_id) == 0x90, "statx.stx_mnt_id");

struct gofer_server {
    const struct gofer_mount *mounts;
    int nmounts;
    struct gofer_htable ht;
    uint8_t dents[32768]; /* GETDENTS's host buffer */
};

/* Host helpers (server.c). */

/* statx of fd itself, never following a symlink. Returns 0 or -errno. */
int gofer_stat_fd(int fd, struct kstatx *out_st);
struct gofer_stat gofer_wire_stat(const struct kstatx *st);
struct gofer_file_id gofer_id_of(const struct kstatx *st);
/* Whether st is the handle's file (device and inode). */
bool gofer_same_file(const struct gofer_handle *h, const struct kstatx *st);
/* Checks a name for an *at() call and copies it NUL-terminated into out
 * (GOFER_NAME_MAX + 1 bytes): EINVAL for "", ".", "..", '/' or NUL inside,
 * ENAMETOOLONG past 255 bytes. */
int gofer_validate_name(const struct gofer_str *s, char *out);
/* The client-held handle id, or NULL. */
struct gofer_handle *gofer_lookup(struct gofer_server *s, uint64_t id, int32_t *out_slot);
bool gofer_readonly(const struct gofer_server *s, const struct gofer_handle *h);
/* The directory fd the handle's name lives in. */
int gofer_parent_fd(struct gofer_server *s, const struct gofer_handle *h);
/* Opens the handle's file again: openat(parent, name, flags | OPEN_ADDED),
 * checked to be the same file. Returns the fd or -errno (ELOOP for a
 * symlink, ESTALE if the name now names another file). */
int gofer_reopen(struct gofer_server *s, const struct gofer_handle *h, int flags);
/* Stats fd into a STAT/SETATTR reply's fixed part; 0 or -errno. */
int gofer_put_stat_rep(struct gofer_buf *rep, int fd);
/* Appends {handle id of slot, stat} to the reply. */
void gofer_put_handle_stat(struct gofer_server *s, struct gofer_buf *rep, int32_t slot,
                           const struct kstatx *st);
/* Checks Linux open flags against allowed; returns them or -EINVAL. */
int gofer_open_flags(uint32_t flags, uint32_t allowed);

/* A handler: 0 or -errno. The dispatcher has begun the reply (op, tag);
 * a handler appends its fixed part and sets *out_fd to donate an fd. */
typedef int (*gofer_handler)(struct gofer_server *s, const struct gofer_msg *req,
                             struct gofer_buf *rep, int *out_fd);

/* The ops that change files (ops.c). */
int gofer_op_create(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                    int *out_fd);
int gofer_op_mkdir(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                   int *out_fd);
int gofer_op_mknod(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                   int *out_fd);
int gofer_op_symlink(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                     int *out_fd);
int gofer_op_link(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                  int *out_fd);
int gofer_op_unlink(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                    int *out_fd);
int gofer_op_rename(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                    int *out_fd);
int gofer_op_setattr(struct gofer_server *s, const struct gofer_msg *req, struct gofer_buf *rep,
                     int *out_fd);

/* The sentry's side of the gofer protocol (gofer/proto.h): one
 * synchronous call per op over the gofer's socket.
 *
 * Every call returns 0 or a negative Linux errno (LINUX_E*): the gofer's
 * own error, or -LINUX_EIO when the gofer is gone or broke the protocol —
 * after which every call returns -LINUX_EIO (the sentry treats it as
 * fatal). A mutex serialises calls: any number of task threads may share
 * one client, but never call it with the kernel lock held (each call is a
 * round trip to another process).
 *
 * Handles are the gofer's: each one the gofer returns (attach, walk,
 * create, mkdir, mknod, symlink, link) is the caller's until it passes it
 * to gofer_close. Donated fds (open, create) are the caller's, close-on-
 * exec and O_NONBLOCK. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "gofer/proto.h"

struct gofer_client;

/* A client on sock (ownership passes to the client). NULL if out of
 * memory (sock is then left open). */
struct gofer_client *gofer_client_new(int sock);
/* Closes the socket (which ends the gofer) and frees c. */
void gofer_client_free(struct gofer_client *c);

/* The root of mount `mount` (0 = the sandbox root, 1.. the binds):
 * *out_mount_flags has GOFER_MOUNT_RDONLY for a read-only mount. */
int gofer_attach(struct gofer_client *c, uint32_t mount, struct gofer_handle_stat *out_root,
                 uint32_t *out_mount_flags);

/* Walks names[0..count) (count <= GOFER_WALK_MAX) from dir. out[] gets one
 * handle and stat per component walked, *out_walked how many. The walk
 * stops at the first name that fails (*out_err = its -errno) or right
 * after a symlink (*out_err = 0, *out_walked < count): the sentry resolves
 * symlinks. Returns -errno only for errors of the whole request (bad
 * handle, invalid name): then nothing was walked. */
int gofer_walk(struct gofer_client *c, uint64_t dir, unsigned count, const char *const *names,
               struct gofer_handle_stat *out, unsigned *out_walked, int *out_err);

int gofer_stat(struct gofer_client *c, uint64_t handle, struct gofer_stat *out_stat);

/* Opens the handle's file (Linux open flags: access mode, O_TRUNC,
 * O_APPEND, O_DIRECTORY ...). A symlink gives -ELOOP. */
int gofer_open(struct gofer_client *c, uint64_t handle, uint32_t flags, int *out_fd);

/* Creates and opens `name` in dir (O_CREAT|O_EXCL implied); uid/gid
 * GOFER_ID_NONE keep the gofer's. */
int gofer_create(struct gofer_client *c, uint64_t dir, const char *name, uint32_t flags,
                 uint32_t mode, uint32_t uid, uint32_t gid, struct gofer_handle_stat *out_new,
                 int *out_fd);
int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
                uint32_t gid, struct gofer_handle_stat *out_new);
/* mode holds the type: S_IFREG (or 0), S_IFIFO or S_IFSOCK; devices get
 * -EPERM. */
int gofer_mknod(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode, uint32_t uid,
                uint32_t gid, struct gofer_handle_stat *out_new);
int gofer_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
                  uint32_t uid, uint32_t gid, struct gofer_handle_stat *out_new);
/* A new name `name` in dir for the file of handle target. */
int gofer_link(struct gofer_client *c, uint64_t dir, const char *name, uint64_t target,
               struct gofer_handle_stat *out_new);
/* flags: 0 or GOFER_AT_REMOVEDIR. */
int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, uint32_t flags);
/* flags: GOFER_RENAME_NOREPLACE or GOFER_RENAME_EXCHANGE. */
int gofer_rename(struct gofer_client *c, uint64_t olddir, const char *oldname, uint64_t newdir,
                 const char *newname, uint32_t flags);

/* Like readlink(2): copies up to size bytes of the target into buf,
 * NUL-terminated when there is room; *out_len is the bytes copied. */
int gofer_readlink(struct gofer_client *c, uint64_t handle, char *buf, size_t size,
                   size_t *out_len);

struct gofer_dirent_entry {
    uint64_t ino;
    uint64_t next; /* the cookie to continue after this entry */
    uint8_t type;  /* Linux DT_* */
    uint16_t namelen;
    char name[GOFER_NAME_MAX + 1]; /* NUL-terminated */
};

/* Reads entries of directory dir from cookie offset (0 = start) into
 * out[0..max); *out_count 0 means the end. "." and ".." are not
 * returned. */
int gofer_getdents(struct gofer_client *c, uint64_t dir, uint64_t offset,
                   struct gofer_dirent_entry *out, unsigned max, unsigned *out_count);

/* Attributes to change: mask is GOFER_SETATTR_*. */
struct gofer_attr {
    uint32_t mask;
    uint32_t mode;
    uint32_t uid;
    uint32_t gid;
    uint64_t size;
    struct gofer_timespec atime; /* nsec may be GOFER_UTIME_NOW / GOFER_UTIME_OMIT */
    struct gofer_timespec mtime;
};

/* Changes attributes; *out_stat (may be NULL) gets them after. */
int gofer_setattr(struct gofer_client *c, uint64_t handle, const struct gofer_attr *attr,
                  struct gofer_stat *out_stat);
int gofer_statfs(struct gofer_client *c, uint64_t handle, struct gofer_statfs_rep *out_statfs);

/* Releases handles (any number: batched). -EBADF if one was not valid
 * (every valid one is still released). */
int gofer_close(struct gofer_client *c, const uint64_t *handles, size_t count);

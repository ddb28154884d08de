/* The gofer protocol: messages between the sentry (client) and the gofer
 * (server) on a SOCK_SEQPACKET socketpair, one message per datagram.
 *
 * Every message is
 *
 *     struct gofer_hdr         size (whole message), op, flags (0), tag
 *     fixed part               the op's struct below (may be empty)
 *     variable part            the op's strings, then the op's list
 *
 * All integers are little-endian and fixed-size. A string is a uint16
 * length and that many bytes, with no NUL. Nothing is aligned on the wire:
 * proto.c copies fixed parts in and out with memcpy, so the structs below
 * are exactly the bytes on the wire (x86_64 is little-endian; see the
 * _Static_asserts).
 *
 * A reply carries the request's op and tag, or op GOFER_OP_ERROR with a
 * positive Linux errno. The gofer sends one unsolicited GOFER_OP_HELLO
 * when it starts (tag 0): its protocol version, or the error that stopped
 * its set-up. Files are named by handles: uint64 ids the gofer gives out,
 * each an O_PATH fd the gofer holds, released with GOFER_OP_CLOSE. A
 * donated fd rides on the reply as SCM_RIGHTS (OPEN, CREATE).
 *
 * docs/gofer.md describes every op's semantics. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define GOFER_PROTO_VERSION 1

/* Largest message, header included, in either direction. */
#define GOFER_MSG_MAX (64 * 1024)
/* Longest file name (NAME_MAX) and symlink target (PATH_MAX - 1). */
#define GOFER_NAME_MAX 255
#define GOFER_PATH_MAX 4095
/* Most names in one WALK, handles in one CLOSE. */
#define GOFER_WALK_MAX 256
#define GOFER_CLOSE_MAX 1024
/* Longest HELLO message. */
#define GOFER_HELLO_MSG_MAX 1024
/* Most handles the gofer holds at once (ENFILE past it). */
#define GOFER_HANDLES_MAX 65536

/* "Leave unchanged" for uid and gid fields. */
#define GOFER_ID_NONE 0xffffffffu

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the wire format is the host's layout");

enum gofer_op {
    GOFER_OP_INVALID = 0,
    GOFER_OP_ERROR = 1, /* reply only */
    GOFER_OP_HELLO = 2, /* gofer -> sentry once, at start */
    GOFER_OP_ATTACH = 3,
    GOFER_OP_WALK = 4,
    GOFER_OP_STAT = 5,
    GOFER_OP_OPEN = 6,
    GOFER_OP_CREATE = 7,
    GOFER_OP_MKDIR = 8,
    GOFER_OP_MKNOD = 9,
    GOFER_OP_SYMLINK = 10,
    GOFER_OP_LINK = 11,
    GOFER_OP_UNLINK = 12,
    GOFER_OP_RENAME = 13,
    GOFER_OP_READLINK = 14,
    GOFER_OP_GETDENTS = 15,
    GOFER_OP_SETATTR = 16,
    GOFER_OP_STATFS = 17,
    GOFER_OP_CLOSE = 18,
    GOFER_OP_COUNT
};

struct gofer_hdr {
    uint32_t size;  /* bytes, header included */
    uint16_t op;    /* enum gofer_op */
    uint16_t flags; /* none defined: 0 */
    uint32_t tag;   /* chosen by the client, echoed in the reply */
};
_Static_assert(sizeof(struct gofer_hdr) == 12, "gofer_hdr");

struct gofer_timespec {
    int64_t sec;
    uint32_t nsec; /* or GOFER_UTIME_NOW / GOFER_UTIME_OMIT in SETATTR */
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_timespec) == 16, "gofer_timespec");

#define GOFER_UTIME_NOW ((1u << 30) - 1)  /* Linux UTIME_NOW */
#define GOFER_UTIME_OMIT ((1u << 30) - 2) /* Linux UTIME_OMIT */

/* A file's attributes: statx's basic fields. */
struct gofer_stat {
    uint32_t mode; /* S_IFMT type and permission bits (Linux values) */
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint32_t blksize;
    uint32_t dev_major;
    uint32_t dev_minor;
    uint32_t rdev_major;
    uint32_t rdev_minor;
    uint32_t pad;
    uint64_t ino;
    uint64_t size;
    uint64_t blocks; /* 512-byte units */
    struct gofer_timespec atime;
    struct gofer_timespec mtime;
    struct gofer_timespec ctime;
};
_Static_assert(sizeof(struct gofer_stat) == 112, "gofer_stat");
_Static_assert(offsetof(struct gofer_stat, ino) == 40, "gofer_stat.ino");
_Static_assert(offsetof(struct gofer_stat, atime) == 64, "gofer_stat.atime");

/* A handle and its file's attributes: WALK entries and the replies of the
 * ops that make a file (CREATE, MKDIR, MKNOD, SYMLINK, LINK). */
struct gofer_handle_stat {
    uint64_t handle;
    struct gofer_stat stat;
};
_Static_assert(sizeof(struct gofer_handle_stat) == 120, "gofer_handle_stat");

/* GOFER_OP_ERROR reply. */
struct gofer_error_rep {
    uint32_t error; /* positive Linux errno */
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_error_rep) == 8, "gofer_error_rep");

/* GOFER_OP_HELLO, gofer -> sentry: + string message (empty on success). */
struct gofer_hello {
    uint32_t version; /* GOFER_PROTO_VERSION */
    uint32_t nmounts; /* mount 0 is the root, 1..n the binds in order */
    uint32_t error;   /* 0, or the positive errno that stopped the set-up */
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_hello) == 16, "gofer_hello");

/* ATTACH: the root of mount `mount` -> handle, its stat, mount flags. */
struct gofer_attach_req {
    uint32_t mount;
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_attach_req) == 8, "gofer_attach_req");

#define GOFER_MOUNT_RDONLY 0x1

struct gofer_attach_rep {
    uint64_t handle;
    uint32_t mount_flags; /* GOFER_MOUNT_* */
    uint32_t pad;
    struct gofer_stat stat;
};
_Static_assert(sizeof(struct gofer_attach_rep) == 128, "gofer_attach_rep");

/* WALK: + `count` names, walked one at a time from `dir`.
 * Reply: + `count` struct gofer_handle_stat, one per component walked.
 * The walk stops at the first name that fails (`error` is its errno) or
 * right after a symlink (`error` 0): the gofer never follows one. */
struct gofer_walk_req {
    uint64_t dir;
    uint32_t count; /* 1..GOFER_WALK_MAX */
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_walk_req) == 16, "gofer_walk_req");

struct gofer_walk_rep {
    uint32_t count; /* components walked */
    uint32_t error; /* 0, or the positive errno of name[count] */
};
_Static_assert(sizeof(struct gofer_walk_rep) == 8, "gofer_walk_rep");

/* STAT, READLINK, STATFS: one handle. */
struct gofer_handle_req {
    uint64_t handle;
};
_Static_assert(sizeof(struct gofer_handle_req) == 8, "gofer_handle_req");

/* STAT and SETATTR reply. */
struct gofer_stat_rep {
    struct gofer_stat stat;
};
_Static_assert(sizeof(struct gofer_stat_rep) == 112, "gofer_stat_rep");

/* OPEN: flags are Linux open flags: the access mode and O_TRUNC,
 * O_APPEND, O_DIRECTORY, O_NONBLOCK, O_DSYNC, O_SYNC, O_DIRECT,
 * O_NOATIME, O_LARGEFILE, O_NOCTTY, O_NOFOLLOW, O_CLOEXEC. Reply: no
 * fixed part; the fd rides on it. */
struct gofer_open_req {
    uint64_t handle;
    uint32_t flags;
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_open_req) == 16, "gofer_open_req");

/* CREATE: + name. O_CREAT|O_EXCL are implied. Reply: struct
 * gofer_handle_stat, and the open fd rides on it. */
struct gofer_create_req {
    uint64_t dir;
    uint32_t flags; /* as OPEN, without O_DIRECTORY */
    uint32_t mode;  /* permission bits */
    uint32_t uid;   /* or GOFER_ID_NONE */
    uint32_t gid;   /* or GOFER_ID_NONE */
};
_Static_assert(sizeof(struct gofer_create_req) == 24, "gofer_create_req");

/* MKDIR and MKNOD: + name. MKNOD makes FIFOs, sockets and regular files
 * (type 0 = regular); devices get EPERM. Reply: struct gofer_handle_stat. */
struct gofer_mknod_req {
    uint64_t dir;
    uint32_t mode; /* MKNOD: S_IFMT type | permissions; MKDIR: permissions */
    uint32_t uid;
    uint32_t gid;
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_mknod_req) == 24, "gofer_mknod_req");

/* SYMLINK: + name + target. Reply: struct gofer_handle_stat. */
struct gofer_symlink_req {
    uint64_t dir;
    uint32_t uid;
    uint32_t gid;
};
_Static_assert(sizeof(struct gofer_symlink_req) == 16, "gofer_symlink_req");

/* LINK: + name: a new name in `dir` for `target`. Reply: struct
 * gofer_handle_stat (a new handle for the new name). */
struct gofer_link_req {
    uint64_t dir;
    uint64_t target;
};
_Static_assert(sizeof(struct gofer_link_req) == 16, "gofer_link_req");

/* UNLINK: + name. Reply: empty. */
#define GOFER_AT_REMOVEDIR 0x200 /* Linux AT_REMOVEDIR */

struct gofer_unlink_req {
    uint64_t dir;
    uint32_t flags; /* 0 or GOFER_AT_REMOVEDIR */
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_unlink_req) == 16, "gofer_unlink_req");

/* RENAME: + old name + new name. Reply: empty. */
#define GOFER_RENAME_NOREPLACE 0x1 /* Linux RENAME_NOREPLACE */
#define GOFER_RENAME_EXCHANGE 0x2  /* Linux RENAME_EXCHANGE */

struct gofer_rename_req {
    uint64_t olddir;
    uint64_t newdir;
    uint32_t flags;
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_rename_req) == 24, "gofer_rename_req");

/* READLINK reply: no fixed part; + target (string, up to GOFER_PATH_MAX). */

/* GETDENTS: the directory's entries from cookie `offset` (0 = start),
 * at most `size` bytes of entries. "." and ".." are never returned.
 * Reply: + `count` entries, each struct gofer_dirent + name. count 0 means
 * the end of the directory. */
struct gofer_getdents_req {
    uint64_t dir;
    uint64_t offset;
    uint32_t size;
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_getdents_req) == 24, "gofer_getdents_req");

struct gofer_getdents_rep {
    uint32_t count;
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_getdents_rep) == 8, "gofer_getdents_rep");

struct gofer_dirent {
    uint64_t ino;
    uint64_t next; /* cookie of the entry after this one */
    uint32_t type; /* Linux DT_* */
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_dirent) == 24, "gofer_dirent");

/* SETATTR: changes the attributes in `mask` (uid/gid first, then mode,
 * size, times). Reply: struct gofer_stat_rep, the attributes after. */
#define GOFER_SETATTR_MODE 0x01
#define GOFER_SETATTR_UID 0x02
#define GOFER_SETATTR_GID 0x04
#define GOFER_SETATTR_SIZE 0x08
#define GOFER_SETATTR_ATIME 0x10
#define GOFER_SETATTR_MTIME 0x20
#define GOFER_SETATTR_ALL 0x3f

struct gofer_setattr_req {
    uint64_t handle;
    uint32_t mask; /* GOFER_SETATTR_* */
    uint32_t mode; /* permission bits */
    uint32_t uid;
    uint32_t gid;
    uint64_t size;
    struct gofer_timespec atime;
    struct gofer_timespec mtime;
};
_Static_assert(sizeof(struct gofer_setattr_req) == 64, "gofer_setattr_req");

/* STATFS reply. */
struct gofer_statfs_rep {
    uint64_t type;
    uint64_t bsize;
    uint64_t blocks;
    uint64_t bfree;
    uint64_t bavail;
    uint64_t files;
    uint64_t ffree;
    uint64_t fsid;
    uint64_t namelen;
    uint64_t frsize;
    uint64_t flags;
};
_Static_assert(sizeof(struct gofer_statfs_rep) == 88, "gofer_statfs_rep");

/* CLOSE: + `count` uint64 handles. Every valid one is released; EBADF if
 * one was not valid. Reply: empty. */
struct gofer_close_req {
    uint32_t count; /* 1..GOFER_CLOSE_MAX */
    uint32_t pad;
};
_Static_assert(sizeof(struct gofer_close_req) == 8, "gofer_close_req");

/* ---- Encoding and decoding (proto.c), shared by both sides. ----
 * Pure functions over buffers. Every length is checked against the
 * message's size; errors are negative Linux errnos. */

/* A string inside a message buffer: not NUL-terminated. */
struct gofer_str {
    const char *ptr;
    uint32_t len;
};

/* Which way a message goes: requests and replies of one op differ. */
enum gofer_dir { GOFER_REQUEST, GOFER_REPLY };

/* A decoded message. Strings and the list point into the buffer it was
 * decoded from. */
struct gofer_msg {
    struct gofer_hdr hdr;
    union {
        struct gofer_error_rep error;
        struct gofer_hello hello;
        struct gofer_attach_req attach_req;
        struct gofer_attach_rep attach_rep;
        struct gofer_walk_req walk_req;
        struct gofer_walk_rep walk_rep;
        struct gofer_handle_req handle_req;
        struct gofer_stat_rep stat_rep;
        struct gofer_open_req open_req;
        struct gofer_create_req create_req;
        struct gofer_mknod_req mknod_req;
        struct gofer_symlink_req symlink_req;
        struct gofer_link_req link_req;
        struct gofer_unlink_req unlink_req;
        struct gofer_rename_req rename_req;
        struct gofer_getdents_req getdents_req;
        struct gofer_getdents_rep getdents_rep;
        struct gofer_setattr_req setattr_req;
        struct gofer_statfs_rep statfs_rep;
        struct gofer_close_req close_req;
        struct gofer_handle_stat handle_stat;
        uint8_t raw[128];
    } u;
    uint32_t nstr;           /* strings the op carries (0..2) */
    struct gofer_str str[2]; /* in order: name, target / old, new */
    uint32_t count;          /* list elements (the count field of u) */
    const uint8_t *list;     /* first list element */
    uint32_t list_size;      /* bytes of the list */
};

/* Reads the header of a message of `len` bytes. Returns 0, or -EINVAL if
 * there is no whole header or its size field is not `len` or is past
 * GOFER_MSG_MAX. */
int gofer_decode_hdr(const void *buf, size_t len, struct gofer_hdr *out_hdr);

/* Decodes a whole message of `len` bytes. Returns 0; -ENOSYS for a
 * well-formed header whose op has no message in direction `dir` (out_msg->hdr
 * is then valid, so a server can still reply with the tag); -EINVAL for
 * anything malformed: short, oversized, trailing bytes, counts past their
 * limits, strings past the end or longer than their limit. */
int gofer_decode(const void *buf, size_t len, enum gofer_dir dir, struct gofer_msg *out_msg);

/* Size of op's fixed part in direction dir, or -1 if there is no such
 * message. */
int gofer_fixed_size(unsigned op, enum gofer_dir dir);

/* List iteration, over a message gofer_decode accepted. Each returns 0 or
 * -EINVAL at the end of the list (they never read past it). */
struct gofer_cursor {
    const uint8_t *p;
    const uint8_t *end;
};
struct gofer_cursor gofer_list(const struct gofer_msg *m);
int gofer_next_str(struct gofer_cursor *c, struct gofer_str *out_str);
int gofer_next_u64(struct gofer_cursor *c, uint64_t *out_v);
int gofer_next_handle_stat(struct gofer_cursor *c, struct gofer_handle_stat *out_hs);
int gofer_next_dirent(struct gofer_cursor *c, struct gofer_dirent *out_d,
                      struct gofer_str *out_name);

/* Building a message in a caller's buffer. Errors are sticky: after one,
 * every call is a no-op and gofer_end returns it. */
struct gofer_buf {
    uint8_t *data;
    size_t cap;
    size_t len;
    int err; /* 0 or negative errno */
};

/* Starts a message: writes the header (size filled in by gofer_end). cap
 * is the buffer's size; a message never grows past min(cap,
 * GOFER_MSG_MAX). */
void gofer_begin(struct gofer_buf *b, void *buf, size_t cap, uint16_t op, uint32_t tag);
/* Appends raw bytes (a fixed part or a list element). -EMSGSIZE if full. */
void gofer_put(struct gofer_buf *b, const void *p, size_t size);
/* Appends a string: -ENAMETOOLONG past UINT16_MAX, -EMSGSIZE if full. */
void gofer_put_str(struct gofer_buf *b, const char *s, size_t len);
void gofer_put_u64(struct gofer_buf *b, uint64_t v);
/* Fills in the size. Returns the message's size or the sticky error. */
long gofer_end(struct gofer_buf *b);

/* Writes an ERROR reply for `tag` with positive errno `err`; returns its
 * size (buf must hold 20 bytes). */
size_t gofer_encode_error(void *buf, uint32_t tag, int err);

/* The op's name ("walk"), or "?" — for logs and tests. */
const char *gofer_op_name(unsigned op);

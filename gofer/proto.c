/* Gofer protocol encoding and decoding, shared by the gofer and the
 * sentry's client. Pure functions over buffers: every length read from a
 * message is checked against the bytes that remain before it is used.
 *
 * The shape of each message is data: layouts[op][dir] gives the fixed
 * part's size, how many strings follow, and which list (if any) ends the
 * message, with the offset of its count in the fixed part. gofer_decode
 * walks that description once, so no op has its own parser. */
#include <string.h>

#include "abi/linux/errno.h"
#include "gofer/proto.h"

enum list_kind {
    LIST_NONE,
    LIST_STR,   /* strings (WALK request) */
    LIST_U64,   /* uint64 (CLOSE request) */
    LIST_HSTAT, /* struct gofer_handle_stat (WALK reply) */
    LIST_DIRENT /* struct gofer_dirent + name (GETDENTS reply) */
};

struct layout {
    int16_t fixed;      /* fixed part's size; -1: no such message */
    uint8_t nstr;       /* strings after the fixed part */
    uint8_t list;       /* enum list_kind */
    uint16_t str_max;   /* longest string allowed (strings and list) */
    uint16_t count_off; /* offset of the uint32 list count */
    uint32_t count_max; /* most list elements */
};

#define NO_MSG                                                                                     \
    {                                                                                              \
        .fixed = -1                                                                                \
    }
#define FIXED(type) .fixed = sizeof(struct type)
#define ANY_STR UINT16_MAX

static const struct layout requests[GOFER_OP_COUNT] = {
    [GOFER_OP_INVALID] = NO_MSG,
    [GOFER_OP_ERROR] = NO_MSG,
    [GOFER_OP_HELLO] = NO_MSG,
    [GOFER_OP_ATTACH] = {FIXED(gofer_attach_req)},
    [GOFER_OP_WALK] = {FIXED(gofer_walk_req), .list = LIST_STR, .str_max = ANY_STR,
                       .count_off = offsetof(struct gofer_walk_req, count),
                       .count_max = GOFER_WALK_MAX},
    [GOFER_OP_STAT] = {FIXED(gofer_handle_req)},
    [GOFER_OP_OPEN] = {FIXED(gofer_open_req)},
    [GOFER_OP_CREATE] = {FIXED(gofer_create_req), .nstr = 1, .str_max = ANY_STR},
    [GOFER_OP_MKDIR] = {FIXED(gofer_mknod_req), .nstr = 1, .str_max = ANY_STR},
    [GOFER_OP_MKNOD] = {FIXED(gofer_mknod_req), .nstr = 1, .str_max = ANY_STR},
    [GOFER_OP_SYMLINK] = {FIXED(gofer_symlink_req), .nstr = 2, .str_max = ANY_STR},
    [GOFER_OP_LINK] = {FIXED(gofer_link_req), .nstr = 1, .str_max = ANY_STR},
    [GOFER_OP_UNLINK] = {FIXED(gofer_unlink_req), .nstr = 1, .str_max = ANY_STR},
    [GOFER_OP_RENAME] = {FIXED(gofer_rename_req), .nstr = 2, .str_max = ANY_STR},
    [GOFER_OP_READLINK] = {FIXED(gofer_handle_req)},
    [GOFER_OP_GETDENTS] = {FIXED(gofer_getdents_req)},
    [GOFER_OP_SETATTR] = {FIXED(gofer_setattr_req)},
    [GOFER_OP_STATFS] = {FIXED(gofer_handle_req)},
    [GOFER_OP_CLOSE] = {FIXED(gofer_close_req), .list = LIST_U64,
                        .count_off = offsetof(struct gofer_close_req, count),
                        .count_max = GOFER_CLOSE_MAX},
};

static const struct layout replies[GOFER_OP_COUNT] = {
    [GOFER_OP_INVALID] = NO_MSG,
    [GOFER_OP_ERROR] = {FIXED(gofer_error_rep)},
    [GOFER_OP_HELLO] = {FIXED(gofer_hello), .nstr = 1, .str_max = GOFER_HELLO_MSG_MAX},
    [GOFER_OP_ATTACH] = {FIXED(gofer_attach_rep)},
    [GOFER_OP_WALK] = {FIXED(gofer_walk_rep), .list = LIST_HSTAT,
                       .count_off = offsetof(struct gofer_walk_rep, count),
                       .count_max = GOFER_WALK_MAX},
    [GOFER_OP_STAT] = {FIXED(gofer_stat_rep)},
    [GOFER_OP_OPEN] = {.fixed = 0},
    [GOFER_OP_CREATE] = {FIXED(gofer_handle_stat)},
    [GOFER_OP_MKDIR] = {FIXED(gofer_handle_stat)},
    [GOFER_OP_MKNOD] = {FIXED(gofer_handle_stat)},
    [GOFER_OP_SYMLINK] = {FIXED(gofer_handle_stat)},
    [GOFER_OP_LINK] = {FIXED(gofer_handle_stat)},
    [GOFER_OP_UNLINK] = {.fixed = 0},
    [GOFER_OP_RENAME] = {.fixed = 0},
    [GOFER_OP_READLINK] = {.fixed = 0, .nstr = 1, .str_max = GOFER_PATH_MAX},
    [GOFER_OP_GETDENTS] = {FIXED(gofer_getdents_rep), .list = LIST_DIRENT,
                           .str_max = GOFER_NAME_MAX,
                           .count_off = offsetof(struct gofer_getdents_rep, count),
                           .count_max = GOFER_MSG_MAX},
    [GOFER_OP_SETATTR] = {FIXED(gofer_stat_rep)},
    [GOFER_OP_STATFS] = {FIXED(gofer_statfs_rep)},
    [GOFER_OP_CLOSE] = {.fixed = 0},
};

_Static_assert(sizeof(((struct gofer_msg *)0)->u) == 128, "the largest fixed part");

static const char *const op_names[GOFER_OP_COUNT] = {
    [GOFER_OP_INVALID] = "invalid",   [GOFER_OP_ERROR] = "error",
    [GOFER_OP_HELLO] = "hello",       [GOFER_OP_ATTACH] = "attach",
    [GOFER_OP_WALK] = "walk",         [GOFER_OP_STAT] = "stat",
    [GOFER_OP_OPEN] = "open",         [GOFER_OP_CREATE] = "create",
    [GOFER_OP_MKDIR] = "mkdir",       [GOFER_OP_MKNOD] = "mknod",
    [GOFER_OP_SYMLINK] = "symlink",   [GOFER_OP_LINK] = "link",
    [GOFER_OP_UNLINK] = "unlink",     [GOFER_OP_RENAME] = "rename",
    [GOFER_OP_READLINK] = "readlink", [GOFER_OP_GETDENTS] = "getdents",
    [GOFER_OP_SETATTR] = "setattr",   [GOFER_OP_STATFS] = "statfs",
    [GOFER_OP_CLOSE] = "close",
};

const char *gofer_op_name(unsigned op)
{
    return op < GOFER_OP_COUNT && op_names[op] ? op_names[op] : "?";
}

static const struct layout *layout_of(unsigned op, enum gofer_dir dir)
{
    if (op >= GOFER_OP_COUNT)
        return NULL;
    const struct layout *l = dir == GOFER_REQUEST ? &requests[op] : &replies[op];
    return l->fixed < 0 ? NULL : l;
}

int gofer_fixed_size(unsigned op, enum gofer_dir dir)
{
    const struct layout *l = layout_of(op, dir);
    return l ? l->fixed : -1;
}

/* ---- Decoding ---- */

static size_t remaining(const struct gofer_cursor *c)
{
    return (size_t)(c->end - c->p);
}

/* A string no longer than max. */
static int take_str(struct gofer_cursor *c, uint32_t max, struct gofer_str *out)
{
    uint16_t len;
    if (remaining(c) < sizeof(len))
        return -LINUX_EINVAL;
    memcpy(&len, c->p, sizeof(len));
    if (len > max || remaining(c) - sizeof(len) < len)
        return -LINUX_EINVAL;
    out->ptr = (const char *)c->p + sizeof(len);
    out->len = len;
    c->p += sizeof(len) + len;
    return 0;
}

int gofer_decode_hdr(const void *buf, size_t len, struct gofer_hdr *out_hdr)
{
    if (len < sizeof(*out_hdr))
        return -LINUX_EINVAL;
    memcpy(out_hdr, buf, sizeof(*out_hdr)); /* even if bad: a server replies to its tag */
    if (len > GOFER_MSG_MAX || out_hdr->size != len)
        return -LINUX_EINVAL;
    return 0;
}

/* Checks the list of `count` elements that must fill the rest exactly. */
static int check_list(const struct layout *l, uint32_t count, struct gofer_cursor c)
{
    uint64_t elem;
    switch (l->list) {
    case LIST_U64:
        elem = sizeof(uint64_t);
        break;
    case LIST_HSTAT:
        elem = sizeof(struct gofer_handle_stat);
        break;
    case LIST_STR:
        for (uint32_t i = 0; i < count; i++) {
            struct gofer_str s;
            if (take_str(&c, l->str_max, &s) < 0)
                return -LINUX_EINVAL;
        }
        return remaining(&c) == 0 ? 0 : -LINUX_EINVAL;
    case LIST_DIRENT:
        for (uint32_t i = 0; i < count; i++) {
            struct gofer_str s;
            if (remaining(&c) < sizeof(struct gofer_dirent))
                return -LINUX_EINVAL;
            c.p += sizeof(struct gofer_dirent);
            if (take_str(&c, l->str_max, &s) < 0)
                return -LINUX_EINVAL;
        }
        return remaining(&c) == 0 ? 0 : -LINUX_EINVAL;
    default:
        return remaining(&c) == 0 ? 0 : -LINUX_EINVAL;
    }
    return (uint64_t)count * elem == remaining(&c) ? 0 : -LINUX_EINVAL;
}

int gofer_decode(const void *buf, size_t len, enum gofer_dir dir, struct gofer_msg *out_msg)
{
    struct gofer_msg *m = out_msg;
    memset(m, 0, sizeof(*m));
    int r = gofer_decode_hdr(buf, len, &m->hdr);
    if (r < 0)
        return r;
    if (m->hdr.flags != 0)
        return -LINUX_EINVAL;
    const struct layout *l = layout_of(m->hdr.op, dir);
    if (!l)
        return dir == GOFER_REQUEST ? -LINUX_ENOSYS : -LINUX_EINVAL;

    struct gofer_cursor c = {(const uint8_t *)buf + sizeof(m->hdr), (const uint8_t *)buf + len};
    if (remaining(&c) < (size_t)l->fixed)
        return -LINUX_EINVAL;
    memcpy(m->u.raw, c.p, (size_t)l->fixed);
    c.p += l->fixed;

    m->nstr = l->nstr;
    for (unsigned i = 0; i < l->nstr; i++) {
        if (take_str(&c, l->str_max, &m->str[i]) < 0)
            return -LINUX_EINVAL;
    }

    if (l->list != LIST_NONE) {
        memcpy(&m->count, m->u.raw + l->count_off, sizeof(m->count));
        if (m->count > l->count_max)
            return -LINUX_EINVAL;
    }
    r = check_list(l, m->count, c);
    if (r < 0)
        return r;
    m->list = c.p;
    m->list_size = (uint32_t)remaining(&c);
    return 0;
}

struct gofer_cursor gofer_list(const struct gofer_msg *m)
{
    return (struct gofer_cursor){m->list, m->list + m->list_size};
}

int gofer_next_str(struct gofer_cursor *c, struct gofer_str *out_str)
{
    return take_str(c, UINT16_MAX, out_str);
}

int gofer_next_u64(struct gofer_cursor *c, uint64_t *out_v)
{
    if (remaining(c) < sizeof(*out_v))
        return -LINUX_EINVAL;
    memcpy(out_v, c->p, sizeof(*out_v));
    c->p += sizeof(*out_v);
    return 0;
}

int gofer_next_handle_stat(struct gofer_cursor *c, struct gofer_handle_stat *out_hs)
{
    if (remaining(c) < sizeof(*out_hs))
        return -LINUX_EINVAL;
    memcpy(out_hs, c->p, sizeof(*out_hs));
    c->p += sizeof(*out_hs);
    return 0;
}

int gofer_next_dirent(struct gofer_cursor *c, struct gofer_dirent *out_d,
                      struct gofer_str *out_name)
{
    struct gofer_cursor t = *c;
    if (remaining(&t) < sizeof(*out_d))
        return -LINUX_EINVAL;
    memcpy(out_d, t.p, sizeof(*out_d));
    t.p += sizeof(*out_d);
    if (take_str(&t, GOFER_NAME_MAX, out_name) < 0)
        return -LINUX_EINVAL;
    *c = t;
    return 0;
}

/* ---- Encoding ---- */

void gofer_begin(struct gofer_buf *b, void *buf, size_t cap, uint16_t op, uint32_t tag)
{
    b->data = buf;
    b->cap = cap < GOFER_MSG_MAX ? cap : GOFER_MSG_MAX;
    b->len = 0;
    b->err = 0;
    struct gofer_hdr h = {.size = 0, .op = op, .flags = 0, .tag = tag};
    gofer_put(b, &h, sizeof(h));
}

void gofer_put(struct gofer_buf *b, const void *p, size_t size)
{
    if (b->err)
        return;
    if (b->cap - b->len < size) {
        b->err = -LINUX_EMSGSIZE;
        return;
    }
    if (size)
        memcpy(b->data + b->len, p, size);
    b->len += size;
}

void gofer_put_str(struct gofer_buf *b, const char *s, size_t len)
{
    if (b->err)
        return;
    if (len > UINT16_MAX) {
        b->err = -LINUX_ENAMETOOLONG;
        return;
    }
    if (b->cap - b->len < sizeof(uint16_t) + len) {
        b->err = -LINUX_EMSGSIZE;
        return;
    }
    uint16_t l16 = (uint16_t)len;
    gofer_put(b, &l16, sizeof(l16));
    gofer_put(b, s, len);
}

void gofer_put_u64(struct gofer_buf *b, uint64_t v)
{
    gofer_put(b, &v, sizeof(v));
}

long gofer_end(struct gofer_buf *b)
{
    if (b->err)
        return b->err;
    uint32_t size = (uint32_t)b->len;
    memcpy(b->data + offsetof(struct gofer_hdr, size), &size, sizeof(size));
    return (long)b->len;
}

size_t gofer_encode_error(void *buf, uint32_t tag, int err)
{
    struct gofer_buf b;
    struct gofer_error_rep e = {.error = (uint32_t)err, .pad = 0};
    gofer_begin(&b, buf, sizeof(struct gofer_hdr) + sizeof(e), GOFER_OP_ERROR, tag);
    gofer_put(&b, &e, sizeof(e));
    return (size_t)gofer_end(&b);
}

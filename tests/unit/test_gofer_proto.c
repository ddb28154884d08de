/* Unit tests for gofer/proto.c: every message round trips; truncated,
 * oversized and inconsistent messages are -EINVAL and never read past
 * their buffer (each decode reads from a heap copy of exactly the
 * message's bytes, so ASan sees any overread). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "gofer/proto.h"

static uint8_t buf[GOFER_MSG_MAX + 64];

/* Decodes a heap copy of exactly len bytes. */
static int decode_copy(const void *msg, size_t len, enum gofer_dir dir, struct gofer_msg *out,
                       uint8_t **out_copy)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, msg, len);
    int r = gofer_decode(copy, len, dir, out);
    if (out_copy)
        *out_copy = copy;
    else
        free(copy);
    return r;
}

static void fill(void *p, size_t n, uint8_t seed)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + i * 7);
}

/* One sample message of every (op, direction). */
struct sample {
    uint16_t op;
    enum gofer_dir dir;
};

static const struct sample samples[] = {
    {GOFER_OP_ATTACH, GOFER_REQUEST},   {GOFER_OP_WALK, GOFER_REQUEST},
    {GOFER_OP_STAT, GOFER_REQUEST},     {GOFER_OP_OPEN, GOFER_REQUEST},
    {GOFER_OP_CREATE, GOFER_REQUEST},   {GOFER_OP_MKDIR, GOFER_REQUEST},
    {GOFER_OP_MKNOD, GOFER_REQUEST},    {GOFER_OP_SYMLINK, GOFER_REQUEST},
    {GOFER_OP_LINK, GOFER_REQUEST},     {GOFER_OP_UNLINK, GOFER_REQUEST},
    {GOFER_OP_RENAME, GOFER_REQUEST},   {GOFER_OP_READLINK, GOFER_REQUEST},
    {GOFER_OP_GETDENTS, GOFER_REQUEST}, {GOFER_OP_SETATTR, GOFER_REQUEST},
    {GOFER_OP_STATFS, GOFER_REQUEST},   {GOFER_OP_CLOSE, GOFER_REQUEST},
    {GOFER_OP_ERROR, GOFER_REPLY},      {GOFER_OP_HELLO, GOFER_REPLY},
    {GOFER_OP_ATTACH, GOFER_REPLY},     {GOFER_OP_WALK, GOFER_REPLY},
    {GOFER_OP_STAT, GOFER_REPLY},       {GOFER_OP_OPEN, GOFER_REPLY},
    {GOFER_OP_CREATE, GOFER_REPLY},     {GOFER_OP_MKDIR, GOFER_REPLY},
    {GOFER_OP_MKNOD, GOFER_REPLY},      {GOFER_OP_SYMLINK, GOFER_REPLY},
    {GOFER_OP_LINK, GOFER_REPLY},       {GOFER_OP_UNLINK, GOFER_REPLY},
    {GOFER_OP_RENAME, GOFER_REPLY},     {GOFER_OP_READLINK, GOFER_REPLY},
    {GOFER_OP_GETDENTS, GOFER_REPLY},   {GOFER_OP_SETATTR, GOFER_REPLY},
    {GOFER_OP_STATFS, GOFER_REPLY},     {GOFER_OP_CLOSE, GOFER_REPLY},
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static const char *const walk_names[] = {"usr", "lib", "x86_64-linux-gnu", "libc.so.6"};

/* Builds sample i into out (GOFER_MSG_MAX bytes): fixed part filled with a
 * pattern, counts set, strings and lists appended. */
static size_t build(size_t i, uint8_t *out, uint8_t fixed[128])
{
    const struct sample *s = &samples[i];
    int fixed_size = gofer_fixed_size(s->op, s->dir);
    assert_true(fixed_size >= 0);
    memset(fixed, 0, 128);
    fill(fixed, (size_t)fixed_size, (uint8_t)(i + 1));
    struct gofer_buf b;
    gofer_begin(&b, out, GOFER_MSG_MAX, s->op, 0x1000 + (uint32_t)i);
    uint32_t count = 0;
    if (s->dir == GOFER_REQUEST) {
        switch (s->op) {
        case GOFER_OP_WALK:
            count = 4;
            memcpy(fixed + offsetof(struct gofer_walk_req, count), &count, 4);
            break;
        case GOFER_OP_CLOSE:
            count = 3;
            memcpy(fixed + offsetof(struct gofer_close_req, count), &count, 4);
            break;
        }
    } else {
        switch (s->op) {
        case GOFER_OP_WALK:
            count = 2;
            memcpy(fixed + offsetof(struct gofer_walk_rep, count), &count, 4);
            break;
        case GOFER_OP_GETDENTS:
            count = 3;
            memcpy(fixed + offsetof(struct gofer_getdents_rep, count), &count, 4);
            break;
        }
    }
    gofer_put(&b, fixed, (size_t)fixed_size);
    if (s->dir == GOFER_REQUEST) {
        switch (s->op) {
        case GOFER_OP_WALK:
            for (int k = 0; k < 4; k++)
                gofer_put_str(&b, walk_names[k], strlen(walk_names[k]));
            break;
        case GOFER_OP_CLOSE:
            for (uint64_t k = 0; k < 3; k++)
                gofer_put_u64(&b, 0x100000001ull + k);
            break;
        case GOFER_OP_CREATE:
        case GOFER_OP_MKDIR:
        case GOFER_OP_MKNOD:
        case GOFER_OP_LINK:
        case GOFER_OP_UNLINK:
            gofer_put_str(&b, "name", 4);
            break;
        case GOFER_OP_SYMLINK:
            gofer_put_str(&b, "link", 4);
            gofer_put_str(&b, "../target", 9);
            break;
        case GOFER_OP_RENAME:
            gofer_put_str(&b, "old", 3);
            gofer_put_str(&b, "new-name", 8);
            break;
        }
    } else {
        switch (s->op) {
        case GOFER_OP_HELLO:
            gofer_put_str(&b, "ok", 2);
            break;
        case GOFER_OP_READLINK:
            gofer_put_str(&b, "/etc/passwd", 11);
            break;
        case GOFER_OP_WALK:
            for (int k = 0; k < 2; k++) {
                struct gofer_handle_stat hs;
                fill(&hs, sizeof(hs), (uint8_t)(k + 50));
                gofer_put(&b, &hs, sizeof(hs));
            }
            break;
        case GOFER_OP_GETDENTS:
            for (int k = 0; k < 3; k++) {
                struct gofer_dirent d = {
                    .ino = 10 + (uint64_t)k, .next = 100 + (uint64_t)k, .type = 4, .pad = 0};
                gofer_put(&b, &d, sizeof(d));
                gofer_put_str(&b, walk_names[k], strlen(walk_names[k]));
            }
            break;
        }
    }
    long n = gofer_end(&b);
    assert_true(n > 0);
    return (size_t)n;
}

static void check_sample(size_t i, const struct gofer_msg *m, const uint8_t fixed[128], size_t len)
{
    const struct sample *s = &samples[i];
    assert_int_equal(m->hdr.op, s->op);
    assert_int_equal(m->hdr.tag, 0x1000 + i);
    assert_int_equal(m->hdr.size, len);
    assert_memory_equal(m->u.raw, fixed, (size_t)gofer_fixed_size(s->op, s->dir));
    struct gofer_cursor c = gofer_list(m);
    if (s->dir == GOFER_REQUEST) {
        switch (s->op) {
        case GOFER_OP_WALK:
            assert_int_equal(m->count, 4);
            for (int k = 0; k < 4; k++) {
                struct gofer_str str;
                assert_int_equal(gofer_next_str(&c, &str), 0);
                assert_int_equal(str.len, strlen(walk_names[k]));
                assert_memory_equal(str.ptr, walk_names[k], str.len);
            }
            break;
        case GOFER_OP_CLOSE:
            assert_int_equal(m->count, 3);
            for (uint64_t k = 0; k < 3; k++) {
                uint64_t v;
                assert_int_equal(gofer_next_u64(&c, &v), 0);
                assert_int_equal(v, 0x100000001ull + k);
            }
            break;
        case GOFER_OP_SYMLINK:
            assert_int_equal(m->nstr, 2);
            assert_int_equal(m->str[1].len, 9);
            assert_memory_equal(m->str[1].ptr, "../target", 9);
            break;
        case GOFER_OP_RENAME:
            assert_int_equal(m->nstr, 2);
            assert_memory_equal(m->str[0].ptr, "old", 3);
            assert_memory_equal(m->str[1].ptr, "new-name", 8);
            break;
        case GOFER_OP_CREATE:
            assert_int_equal(m->nstr, 1);
            assert_int_equal(m->str[0].len, 4);
            assert_memory_equal(m->str[0].ptr, "name", 4);
            break;
        }
    } else if (s->op == GOFER_OP_GETDENTS) {
        assert_int_equal(m->count, 3);
        for (int k = 0; k < 3; k++) {
            struct gofer_dirent d;
            struct gofer_str name;
            assert_int_equal(gofer_next_dirent(&c, &d, &name), 0);
            assert_int_equal(d.ino, 10 + k);
            assert_int_equal(d.next, 100 + k);
            assert_int_equal(name.len, strlen(walk_names[k]));
        }
    } else if (s->op == GOFER_OP_WALK) {
        for (int k = 0; k < 2; k++) {
            struct gofer_handle_stat hs, want;
            fill(&want, sizeof(want), (uint8_t)(k + 50));
            assert_int_equal(gofer_next_handle_stat(&c, &hs), 0);
            assert_memory_equal(&hs, &want, sizeof(hs));
        }
    } else if (s->op == GOFER_OP_READLINK) {
        assert_int_equal(m->str[0].len, 11);
        assert_memory_equal(m->str[0].ptr, "/etc/passwd", 11);
    }
    /* The list is used up exactly, and the cursor stops at its end. */
    assert_ptr_equal(c.p, c.end);
    uint64_t v;
    assert_int_equal(gofer_next_u64(&c, &v), -LINUX_EINVAL);
}

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        uint8_t fixed[128];
        size_t len = build(i, buf, fixed);
        struct gofer_msg m;
        uint8_t *copy;
        assert_int_equal(decode_copy(buf, len, samples[i].dir, &m, &copy), 0);
        check_sample(i, &m, fixed, len);
        free(copy);
    }
}

/* Every prefix of every message is -EINVAL: as is (the size field says
 * more), and with the size field patched to the prefix's length. */
static void test_truncated(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        uint8_t fixed[128];
        size_t len = build(i, buf, fixed);
        for (size_t cut = 0; cut < len; cut++) {
            struct gofer_msg m;
            assert_int_equal(decode_copy(buf, cut, samples[i].dir, &m, NULL), -LINUX_EINVAL);
            if (cut >= sizeof(struct gofer_hdr)) {
                uint8_t patched[GOFER_MSG_MAX];
                memcpy(patched, buf, cut);
                uint32_t size = (uint32_t)cut;
                memcpy(patched, &size, 4);
                assert_int_equal(decode_copy(patched, cut, samples[i].dir, &m, NULL),
                                 -LINUX_EINVAL);
            }
        }
    }
}

/* Bytes after the end of a whole message are -EINVAL. */
static void test_trailing(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSAMPLES; i++) {
        uint8_t fixed[128];
        size_t len = build(i, buf, fixed);
        buf[len] = 0xaa;
        uint32_t size = (uint32_t)len + 1;
        memcpy(buf, &size, 4);
        struct gofer_msg m;
        assert_int_equal(decode_copy(buf, len + 1, samples[i].dir, &m, NULL), -LINUX_EINVAL);
    }
}

static void test_oversized(void **state)
{
    (void)state;
    /* The largest message decodes; one byte more does not. */
    struct gofer_buf b;
    gofer_begin(&b, buf, sizeof(buf), GOFER_OP_UNLINK, 7);
    struct gofer_unlink_req u = {0};
    gofer_put(&b, &u, sizeof(u));
    size_t name_len = GOFER_MSG_MAX - b.len - 2;
    char *name = malloc(name_len + 1);
    memset(name, 'a', name_len + 1);
    gofer_put_str(&b, name, name_len);
    long n = gofer_end(&b);
    assert_int_equal(n, GOFER_MSG_MAX);
    struct gofer_msg m;
    assert_int_equal(decode_copy(buf, (size_t)n, GOFER_REQUEST, &m, NULL), 0);
    assert_int_equal(m.str[0].len, name_len);

    /* The builder refuses to go past GOFER_MSG_MAX, even with room. */
    gofer_begin(&b, buf, sizeof(buf), GOFER_OP_UNLINK, 7);
    gofer_put(&b, &u, sizeof(u));
    gofer_put_str(&b, name, name_len + 1);
    assert_int_equal(gofer_end(&b), -LINUX_EMSGSIZE);
    gofer_put(&b, "x", 1); /* sticky */
    assert_int_equal(gofer_end(&b), -LINUX_EMSGSIZE);

    /* A string past uint16. */
    char *huge = calloc(1, 70000);
    gofer_begin(&b, buf, sizeof(buf), GOFER_OP_UNLINK, 7);
    gofer_put_str(&b, huge, 70000);
    assert_int_equal(gofer_end(&b), -LINUX_ENAMETOOLONG);
    free(huge);

    /* A header claiming more than the maximum, with the bytes there. */
    uint8_t *big = calloc(1, GOFER_MSG_MAX + 1);
    struct gofer_hdr h = {.size = GOFER_MSG_MAX + 1, .op = GOFER_OP_UNLINK, .tag = 9};
    memcpy(big, &h, sizeof(h));
    assert_int_equal(decode_copy(big, GOFER_MSG_MAX + 1, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    assert_int_equal(m.hdr.tag, 9); /* still there for the error reply */
    free(big);
    free(name);

    /* A small buffer: the builder stops at its end. */
    uint8_t small[20];
    gofer_begin(&b, small, sizeof(small), GOFER_OP_STAT, 1);
    gofer_put_u64(&b, 1);
    assert_int_equal(gofer_end(&b), 20);
    gofer_begin(&b, small, sizeof(small), GOFER_OP_STAT, 1);
    gofer_put_u64(&b, 1);
    gofer_put(&b, "", 1);
    assert_int_equal(gofer_end(&b), -LINUX_EMSGSIZE);
}

/* Builds a message of op by hand: header + raw bytes. */
static size_t raw_msg(uint8_t *out, uint16_t op, uint16_t flags, const void *body, size_t n)
{
    struct gofer_hdr h = {.size = (uint32_t)(sizeof(h) + n), .op = op, .flags = flags, .tag = 3};
    memcpy(out, &h, sizeof(h));
    memcpy(out + sizeof(h), body, n);
    return sizeof(h) + n;
}

static void test_bad_counts(void **state)
{
    (void)state;
    struct gofer_msg m;
    uint8_t body[4096];
    size_t len;

    /* WALK: count past the limit, count above / below the names there. */
    struct gofer_walk_req w = {.dir = 1, .count = GOFER_WALK_MAX + 1};
    memcpy(body, &w, sizeof(w));
    len = raw_msg(buf, GOFER_OP_WALK, 0, body, sizeof(w));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    w.count = 3;
    memcpy(body, &w, sizeof(w));
    uint8_t name[] = {1, 0, 'a', 1, 0, 'b'};
    memcpy(body + sizeof(w), name, sizeof(name));
    len = raw_msg(buf, GOFER_OP_WALK, 0, body, sizeof(w) + sizeof(name));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    w.count = 1;
    memcpy(body, &w, sizeof(w));
    len = raw_msg(buf, GOFER_OP_WALK, 0, body, sizeof(w) + sizeof(name));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    w.count = 2;
    memcpy(body, &w, sizeof(w));
    len = raw_msg(buf, GOFER_OP_WALK, 0, body, sizeof(w) + sizeof(name));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), 0);
    assert_int_equal(m.count, 2);
    /* A name whose length runs past the end. */
    uint8_t longname[] = {200, 0, 'a', 'b'};
    w.count = 1;
    memcpy(body, &w, sizeof(w));
    memcpy(body + sizeof(w), longname, sizeof(longname));
    len = raw_msg(buf, GOFER_OP_WALK, 0, body, sizeof(w) + sizeof(longname));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);

    /* CLOSE: the count and the handles disagree; too many. */
    struct gofer_close_req c = {.count = 2};
    memcpy(body, &c, sizeof(c));
    memset(body + sizeof(c), 1, 24);
    len = raw_msg(buf, GOFER_OP_CLOSE, 0, body, sizeof(c) + 24);
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    len = raw_msg(buf, GOFER_OP_CLOSE, 0, body, sizeof(c) + 16);
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), 0);
    c.count = GOFER_CLOSE_MAX + 1;
    memcpy(body, &c, sizeof(c));
    len = raw_msg(buf, GOFER_OP_CLOSE, 0, body, sizeof(c) + 16);
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    c.count = 0xffffffffu; /* count * 8 must not wrap */
    memcpy(body, &c, sizeof(c));
    len = raw_msg(buf, GOFER_OP_CLOSE, 0, body, sizeof(c));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);

    /* WALK reply: entries must be whole. */
    struct gofer_walk_rep wr = {.count = 1};
    memcpy(body, &wr, sizeof(wr));
    memset(body + sizeof(wr), 0, 120);
    len = raw_msg(buf, GOFER_OP_WALK, 0, body, sizeof(wr) + 119);
    assert_int_equal(decode_copy(buf, len, GOFER_REPLY, &m, NULL), -LINUX_EINVAL);
    len = raw_msg(buf, GOFER_OP_WALK, 0, body, sizeof(wr) + 120);
    assert_int_equal(decode_copy(buf, len, GOFER_REPLY, &m, NULL), 0);

    /* GETDENTS reply: a name longer than NAME_MAX. */
    struct gofer_getdents_rep gr = {.count = 1};
    memcpy(body, &gr, sizeof(gr));
    struct gofer_dirent d = {0};
    memcpy(body + sizeof(gr), &d, sizeof(d));
    uint16_t l = GOFER_NAME_MAX + 1;
    memcpy(body + sizeof(gr) + sizeof(d), &l, 2);
    memset(body + sizeof(gr) + sizeof(d) + 2, 'x', l);
    len = raw_msg(buf, GOFER_OP_GETDENTS, 0, body, sizeof(gr) + sizeof(d) + 2 + l);
    assert_int_equal(decode_copy(buf, len, GOFER_REPLY, &m, NULL), -LINUX_EINVAL);
    l = GOFER_NAME_MAX;
    memcpy(body + sizeof(gr) + sizeof(d), &l, 2);
    len = raw_msg(buf, GOFER_OP_GETDENTS, 0, body, sizeof(gr) + sizeof(d) + 2 + l);
    assert_int_equal(decode_copy(buf, len, GOFER_REPLY, &m, NULL), 0);

    /* READLINK reply past PATH_MAX; HELLO message past its limit. */
    uint16_t tl = GOFER_PATH_MAX + 1;
    uint8_t *t = calloc(1, 2 + tl);
    memcpy(t, &tl, 2);
    len = raw_msg(buf, GOFER_OP_READLINK, 0, t, 2 + tl);
    assert_int_equal(decode_copy(buf, len, GOFER_REPLY, &m, NULL), -LINUX_EINVAL);
    free(t);
    struct gofer_hello hello = {.version = GOFER_PROTO_VERSION};
    memcpy(body, &hello, sizeof(hello));
    uint16_t hl = GOFER_HELLO_MSG_MAX + 1;
    memcpy(body + sizeof(hello), &hl, 2);
    memset(body + sizeof(hello) + 2, 'm', hl);
    len = raw_msg(buf, GOFER_OP_HELLO, 0, body, sizeof(hello) + 2 + hl);
    assert_int_equal(decode_copy(buf, len, GOFER_REPLY, &m, NULL), -LINUX_EINVAL);
}

static void test_bad_header(void **state)
{
    (void)state;
    struct gofer_msg m;
    uint64_t h = 1;
    size_t len;
    /* Flags must be 0. */
    len = raw_msg(buf, GOFER_OP_STAT, 1, &h, sizeof(h));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    /* Unknown ops: ENOSYS for a request (the tag survives), EINVAL for a reply. */
    for (uint16_t op = GOFER_OP_COUNT; op < GOFER_OP_COUNT + 3; op++) {
        len = raw_msg(buf, op, 0, &h, sizeof(h));
        assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_ENOSYS);
        assert_int_equal(m.hdr.tag, 3);
        assert_int_equal(decode_copy(buf, len, GOFER_REPLY, &m, NULL), -LINUX_EINVAL);
    }
    len = raw_msg(buf, 0xffff, 0, &h, sizeof(h));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_ENOSYS);
    /* Replies are not requests and the other way round. */
    len = raw_msg(buf, GOFER_OP_ERROR, 0, &h, sizeof(h));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_ENOSYS);
    assert_int_equal(decode_copy(buf, len, GOFER_REPLY, &m, NULL), 0);
    len = raw_msg(buf, GOFER_OP_INVALID, 0, &h, sizeof(h));
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_ENOSYS);
    /* size disagreeing with the bytes received. */
    len = raw_msg(buf, GOFER_OP_STAT, 0, &h, sizeof(h));
    uint32_t size = (uint32_t)len - 1;
    memcpy(buf, &size, 4);
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    size = (uint32_t)len + 1;
    memcpy(buf, &size, 4);
    assert_int_equal(decode_copy(buf, len, GOFER_REQUEST, &m, NULL), -LINUX_EINVAL);
    struct gofer_hdr hdr;
    assert_int_equal(gofer_decode_hdr(buf, 11, &hdr), -LINUX_EINVAL);
    assert_int_equal(gofer_decode(buf, 0, GOFER_REQUEST, &m), -LINUX_EINVAL);
}

/* The decoder carries names exactly as sent: '/', '.', '..' and NUL are
 * for the server to refuse (test_gofer_server checks it does). */
static void test_hostile_names(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;
    } names[] = {{".", 1}, {"..", 2}, {"a/b", 3}, {"/", 1}, {"a\0b", 3}, {"\0", 1}, {"", 0}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct gofer_buf b;
        struct gofer_unlink_req u = {.dir = 1};
        gofer_begin(&b, buf, sizeof(buf), GOFER_OP_UNLINK, 1);
        gofer_put(&b, &u, sizeof(u));
        gofer_put_str(&b, names[i].s, names[i].len);
        long n = gofer_end(&b);
        assert_true(n > 0);
        struct gofer_msg m;
        uint8_t *copy;
        assert_int_equal(decode_copy(buf, (size_t)n, GOFER_REQUEST, &m, &copy), 0);
        assert_int_equal(m.str[0].len, names[i].len);
        if (names[i].len)
            assert_memory_equal(m.str[0].ptr, names[i].s, names[i].len);
        free(copy);
    }
}

static void test_error_and_names(void **state)
{
    (void)state;
    size_t n = gofer_encode_error(buf, 42, LINUX_ENOENT);
    assert_int_equal(n, sizeof(struct gofer_hdr) + sizeof(struct gofer_error_rep));
    struct gofer_msg m;
    assert_int_equal(decode_copy(buf, n, GOFER_REPLY, &m, NULL), 0);
    assert_int_equal(m.hdr.op, GOFER_OP_ERROR);
    assert_int_equal(m.hdr.tag, 42);
    assert_int_equal(m.u.error.error, LINUX_ENOENT);
    assert_string_equal(gofer_op_name(GOFER_OP_WALK), "walk");
    assert_string_equal(gofer_op_name(GOFER_OP_COUNT), "?");
    for (unsigned op = 0; op < GOFER_OP_COUNT; op++)
        assert_string_not_equal(gofer_op_name(op), "?");
    assert_int_equal(gofer_fixed_size(GOFER_OP_HELLO, GOFER_REQUEST), -1);
    assert_int_equal(gofer_fixed_size(GOFER_OP_COUNT, GOFER_REPLY), -1);
}

/* Random mutations of valid messages: decode either accepts or says
 * EINVAL/ENOSYS, and never reads outside the copy (ASan). */
static void test_mutations(void **state)
{
    (void)state;
    srand(1234);
    for (int round = 0; round < 20000; round++) {
        size_t i = (size_t)rand() % NSAMPLES;
        uint8_t fixed[128];
        size_t len = build(i, buf, fixed);
        int flips = 1 + rand() % 4;
        for (int k = 0; k < flips; k++)
            buf[(size_t)rand() % len] = (uint8_t)rand();
        if (rand() % 4 == 0)
            len = (size_t)rand() % (len + 1);
        struct gofer_msg m;
        int r = decode_copy(buf, len, samples[i].dir, &m, NULL);
        assert_true(r == 0 || r == -LINUX_EINVAL || r == -LINUX_ENOSYS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_trailing),      cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_bad_counts),    cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_hostile_names), cmocka_unit_test(test_error_and_names),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

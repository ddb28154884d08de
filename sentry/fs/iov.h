/* Walking the sentry-memory iovecs that file ops receive (see file.h): a
 * cursor that fills or drains them a piece at a time. */
#pragma once

#include <stddef.h>
#include <string.h>
#include <sys/uio.h>

struct iov_cursor {
    const struct iovec *iov;
    int count;
    int i;       /* current iovec */
    size_t off;  /* offset in it */
    size_t left; /* bytes left in all of them */
};

static inline size_t iov_total(const struct iovec *iov, int count)
{
    size_t n = 0;
    for (int i = 0; i < count; i++)
        n += iov[i].iov_len;
    return n;
}

static inline void iov_cursor_init(struct iov_cursor *c, const struct iovec *iov, int count)
{
    *c = (struct iov_cursor){.iov = iov, .count = count, .left = iov_total(iov, count)};
}

/* Moves size bytes (at most c->left) between src/dst and the iovecs:
 * to_iov copies from buf into the iovecs (a read), else the other way. */
static inline size_t iov_cursor_copy(struct iov_cursor *c, void *buf, size_t size, int to_iov)
{
    size_t done = 0;
    if (size > c->left)
        size = c->left;
    while (done < size) {
        const struct iovec *v = &c->iov[c->i];
        size_t n = v->iov_len - c->off;
        if (n == 0) {
            c->i++;
            c->off = 0;
            continue;
        }
        if (n > size - done)
            n = size - done;
        char *p = (char *)v->iov_base + c->off;
        if (to_iov)
            memcpy(p, (char *)buf + done, n);
        else
            memcpy((char *)buf + done, p, n);
        c->off += n;
        done += n;
    }
    c->left -= done;
    return done;
}

/* Fills the iovecs from src. */
static inline size_t iov_cursor_put(struct iov_cursor *c, const void *src, size_t size)
{
    return iov_cursor_copy(c, (void *)src, size, 1);
}

/* Drains the iovecs into dst. */
static inline size_t iov_cursor_get(struct iov_cursor *c, void *dst, size_t size)
{
    return iov_cursor_copy(c, dst, size, 0);
}

/* Fills size bytes of the iovecs with zeros. */
static inline size_t iov_cursor_zero(struct iov_cursor *c, size_t size)
{
    size_t done = 0;
    if (size > c->left)
        size = c->left;
    while (done < size) {
        const struct iovec *v = &c->iov[c->i];
        size_t n = v->iov_len - c->off;
        if (n == 0) {
            c->i++;
            c->off = 0;
            continue;
        }
        if (n > size - done)
            n = size - done;
        memset((char *)v->iov_base + c->off, 0, n);
        c->off += n;
        done += n;
    }
    c->left -= done;
    return done;
}

/* Growable text buffers for generated files (see seqbuf.h). Pure: no
 * locking, unit-tested alone. */
#include "sentry/fs/kernfs/seqbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool seqbuf_reserve(struct seqbuf *s, size_t extra)
{
    if (s->failed)
        return false;
    if (s->len + extra <= s->cap)
        return true;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->len + extra)
        cap *= 2;
    char *data = realloc(s->data, cap);
    if (!data) {
        s->failed = true;
        return false;
    }
    s->data = data;
    s->cap = cap;
    return true;
}

void seqbuf_write(struct seqbuf *s, const void *data, size_t size)
{
    if (size == 0 || !seqbuf_reserve(s, size))
        return;
    memcpy(s->data + s->len, data, size);
    s->len += size;
}

void seqbuf_puts(struct seqbuf *s, const char *str)
{
    seqbuf_write(s, str, strlen(str));
}

void seqbuf_putc(struct seqbuf *s, char c)
{
    seqbuf_write(s, &c, 1);
}

void seqbuf_printf(struct seqbuf *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        seqbuf_write(s, small, (size_t)n);
        return;
    }
    if (!seqbuf_reserve(s, (size_t)n + 1))
        return;
    va_start(ap, fmt);
    vsnprintf(s->data + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

void seqbuf_puts_escaped(struct seqbuf *s, const char *str)
{
    for (const char *p = str; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\\')
            seqbuf_printf(s, "\\%03o", (unsigned char)*p);
        else
            seqbuf_putc(s, *p);
    }
}

void seqbuf_pad(struct seqbuf *s, size_t width, char c)
{
    size_t line = 0;
    while (line < s->len && s->data[s->len - line - 1] != '\n')
        line++;
    while (line < width) {
        seqbuf_putc(s, ' ');
        line++;
    }
    if (c)
        seqbuf_putc(s, c);
}

static bool mask_bit(const uint64_t *mask, int i)
{
    return (mask[i / 64] >> (i % 64)) & 1;
}

void seqbuf_cpulist(struct seqbuf *s, const uint64_t *mask, int nbits)
{
    bool first = true;
    for (int i = 0; i < nbits; i++) {
        if (!mask_bit(mask, i))
            continue;
        int j = i;
        while (j + 1 < nbits && mask_bit(mask, j + 1))
            j++;
        seqbuf_printf(s, first ? "%d" : ",%d", i);
        if (j > i)
            seqbuf_printf(s, "-%d", j);
        first = false;
        i = j;
    }
}

void seqbuf_reset(struct seqbuf *s)
{
    s->len = 0;
    s->failed = false;
}

void seqbuf_free(struct seqbuf *s)
{
    free(s->data);
    *s = (struct seqbuf){0};
}

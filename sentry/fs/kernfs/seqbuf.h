/* A growable text buffer for generated file contents (Linux's seq_file
 * without the iterator): procfs and sysfs files print into one when they
 * are opened, and reads are served from it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seqbuf {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory: the contents are incomplete */
};

/* Appends; on allocation failure sets failed and drops the text. */
void seqbuf_write(struct seqbuf *s, const void *data, size_t size);
void seqbuf_puts(struct seqbuf *s, const char *str);
void seqbuf_putc(struct seqbuf *s, char c);
void seqbuf_printf(struct seqbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends str with Linux's mangling for /proc/mounts fields: space, tab,
 * newline and backslash as \ooo octal escapes. */
void seqbuf_puts_escaped(struct seqbuf *s, const char *str);
/* Pads with spaces up to column width (counted from the last newline),
 * then writes c if it is not 0 (Linux's seq_pad). */
void seqbuf_pad(struct seqbuf *s, size_t width, char c);
/* Appends the set bits of mask (nbits bits, 64 per word) in Linux's cpulist
 * format: "0-3,8,10-11". */
void seqbuf_cpulist(struct seqbuf *s, const uint64_t *mask, int nbits);
void seqbuf_reset(struct seqbuf *s);
void seqbuf_free(struct seqbuf *s);

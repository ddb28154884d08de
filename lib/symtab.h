/* The sentry's own symbol table, read once at start-up so a panic can name
 * functions after the seccomp filter forbids opening files. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Maps /proc/self/exe and indexes its .symtab. Safe to call more than once;
 * returns false if the table cannot be read (panics then show addresses). */
bool symtab_load(void);
/* The function containing ip in the main executable. */
bool symtab_lookup(uintptr_t ip, const char **out_name, uintptr_t *out_offset);

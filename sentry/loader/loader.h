/* Program loading: execve's second half (DESIGN.md section 5). */
#pragma once

#include <stddef.h>

struct task;

struct loader_args {
    const void *image;     /* the ELF file's bytes */
    size_t image_size;
    const char *execfn;    /* the path as given: AT_EXECFN, comm */
    char *const *argv;     /* NULL-terminated */
    char *const *envp;     /* NULL-terminated */
};

/* Loads the program into t->mm (which must be empty) and sets t's initial
 * registers. Returns 0, or -errno with *out_err saying what went wrong. */
int loader_load(struct task *t, const struct loader_args *la, const char **out_err);

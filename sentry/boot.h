/* Building a sandbox's kernel from its spec and running it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct sentry_spec {
    const char *platform;  /* "ptrace" */
    const void *image;     /* pid 1's ELF file, read by the CLI */
    size_t image_size;
    const char *execfn;    /* pid 1's path as given */
    char *const *argv;
    char *const *envp;
    bool strace;
};

/* Boots the sandbox on the calling process and runs it until pid 1 exits.
 * Returns pid 1's wait status, or -1 if the sandbox could not start (the
 * reason is logged). */
int sentry_run(const struct sentry_spec *spec);

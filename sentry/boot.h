/* Building a sandbox's kernel from its spec and running it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A bind: gofer mount index i + 1 (index 0 is the root) mounted at target. */
struct sentry_bind {
    const char *target;   /* absolute, normalised sandbox path */
    bool readonly;
};

/* Why pid 1 could not be started, for the CLI's message. */
struct sentry_exec_error {
    int err;             /* positive Linux errno */
    char message[256];   /* what is wrong, or "" to use strerror(err) */
};

struct sentry_spec {
    const char *platform;  /* "ptrace" */
    const char *execfn;    /* pid 1's path as given */
    char *const *argv;
    char *const *envp;
    bool strace;
    /* The gofer's socket (gofer_start), or -1: then the root is an empty
     * tmpfs. The root is gofer mount 0, read-only under an in-memory
     * overlay (writes vanish at exit) when root_overlay is set. */
    int gofer_sock;
    bool root_overlay;
    const struct sentry_bind *binds;
    size_t nbinds;
    /* pid 1 is looked up in the sandbox (a name without '/' through PATH,
     * like execvp) and loaded from there; a failure to do so is described
     * here. */
    struct sentry_exec_error *exec_error;
    /* pid 1's working directory in the sandbox (NULL: "/"). */
    const char *cwd;
};

/* Boots the sandbox on the calling process and runs it until pid 1 exits.
 * Returns pid 1's wait status, or -1 if the sandbox could not start (the
 * reason is logged). */
int sentry_run(const struct sentry_spec *spec);

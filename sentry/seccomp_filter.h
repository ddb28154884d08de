/* The sentry's seccomp allowlist: see seccomp_filter.c. */
#pragma once

#include <seccomp.h>
#include <stddef.h>

struct sentry_syscall_reason {
    int nr;
    const char *why;
};

/* The syscalls allowed with any arguments, with their reasons (for docs
 * and tests). */
size_t sentry_seccomp_allowed(const struct sentry_syscall_reason **out_list);
/* The filter, not loaded (tests export it). NULL with errno on failure. */
scmp_filter_ctx sentry_seccomp_build(void);
/* Loads the filter on every thread of the sentry. 0 or -errno. */
int sentry_seccomp_install(void);

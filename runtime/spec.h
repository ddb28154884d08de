/* What `moat do` (and later `moat ci` and the OCI commands) ask of a
 * sandbox's filesystem: the root and the binds, checked against the host
 * before anything starts. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SPEC_MAX_BINDS 64

struct spec_bind {
    char *source;   /* host path, absolute after parsing */
    char *target;   /* absolute sandbox path, normalised */
    bool readonly;
};

struct spec_fs {
    char *root;       /* host directory; "/" by default */
    bool root_overlay; /* the root is read-only with an in-memory overlay */
    struct spec_bind binds[SPEC_MAX_BINDS];
    size_t nbinds;
};

/* Parses "HOST:PATH[:ro|rw]" into b (default rw). Returns 0, or -1 with a
 * one-line reason in err. */
int spec_parse_bind(const char *arg, struct spec_bind *b, char *err, size_t errlen);
/* Checks fs against the host: the root is an existing directory, every
 * bind source exists. Returns 0, or -1 with a reason in err. */
int spec_check_fs(const struct spec_fs *fs, char *err, size_t errlen);
void spec_fs_free(struct spec_fs *fs);

/* Parsing and checking the filesystem part of a sandbox spec. */
#include "runtime/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Normalises an absolute sandbox path: collapses "//" and "/./", refuses
 * "..", drops a trailing slash. Returns a new string or NULL. */
static char *spec_normalise_target(const char *path, char *err, size_t errlen)
{
    if (path[0] != '/') {
        snprintf(err, errlen, "bind target `%.200s` is not an absolute path", path);
        return NULL;
    }
    size_t len = strlen(path);
    if (len >= PATH_MAX) {
        snprintf(err, errlen, "bind target `%.64s...` is too long", path);
        return NULL;
    }
    char *out = malloc(len + 2);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t o = 0;
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            p = end;
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            snprintf(err, errlen, "bind target `%.200s` contains `..`", path);
            free(out);
            return NULL;
        }
        out[o++] = '/';
        memcpy(out + o, p, n);
        o += n;
        p = end;
    }
    if (o == 0) {
        snprintf(err, errlen, "bind target `%.200s` is the root: use --root instead", path);
        free(out);
        return NULL;
    }
    out[o] = '\0';
    return out;
}

int spec_parse_bind(const char *arg, struct spec_bind *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof(*b));
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg) {
        snprintf(err, errlen, "invalid --bind `%.200s`: want HOST:PATH[:ro|rw]", arg);
        return -1;
    }
    const char *target = colon + 1;
    const char *mode = strchr(target, ':');
    char target_buf[PATH_MAX];
    if (mode) {
        if (strcmp(mode + 1, "ro") == 0) {
            b->readonly = true;
        } else if (strcmp(mode + 1, "rw") != 0) {
            snprintf(err, errlen, "invalid --bind `%.200s`: mode must be ro or rw, not `%.8s`", arg,
                     mode + 1);
            return -1;
        }
        size_t n = (size_t)(mode - target);
        if (n >= sizeof(target_buf)) {
            snprintf(err, errlen, "invalid --bind `%.200s`: path too long", arg);
            return -1;
        }
        memcpy(target_buf, target, n);
        target_buf[n] = '\0';
        target = target_buf;
    }
    if (!*target) {
        snprintf(err, errlen, "invalid --bind `%.200s`: empty sandbox path", arg);
        return -1;
    }
    char source[PATH_MAX];
    size_t n = (size_t)(colon - arg);
    if (n >= sizeof(source)) {
        snprintf(err, errlen, "invalid --bind `%.200s`: host path too long", arg);
        return -1;
    }
    memcpy(source, arg, n);
    source[n] = '\0';
    char errbuf[256];
    b->target = spec_normalise_target(target, errbuf, sizeof(errbuf));
    if (!b->target) {
        snprintf(err, errlen, "invalid --bind `%.200s`: %s", arg, errbuf);
        return -1;
    }
    char resolved[PATH_MAX];
    if (!realpath(source, resolved)) {
        snprintf(err, errlen, "invalid --bind `%.200s`: host path `%.200s`: %s", arg, source,
                 strerror(errno));
        free(b->target);
        b->target = NULL;
        return -1;
    }
    b->source = strdup(resolved);
    return 0;
}

int spec_check_fs(const struct spec_fs *fs, char *err, size_t errlen)
{
    struct stat st;
    if (stat(fs->root, &st) != 0) {
        snprintf(err, errlen, "root `%.200s`: %s", fs->root, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "root `%.200s`: %s", fs->root, strerror(ENOTDIR));
        return -1;
    }
    for (size_t i = 0; i < fs->nbinds; i++) {
        if (stat(fs->binds[i].source, &st) != 0) {
            snprintf(err, errlen, "bind source `%.200s`: %s", fs->binds[i].source, strerror(errno));
            return -1;
        }
    }
    return 0;
}

void spec_fs_free(struct spec_fs *fs)
{
    free(fs->root);
    for (size_t i = 0; i < fs->nbinds; i++) {
        free(fs->binds[i].source);
        free(fs->binds[i].target);
    }
    fs->nbinds = 0;
}

/* Fakes for the sentry/mm and sentry/loader unit tests: a platform that
 * records as_map/as_unmap calls instead of mapping anything, and files whose
 * data is a byte buffer read in by an mm_object populate op (like a
 * gofer-backed file), standing in for sentry/vfs/file.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/mm/object.h"
#include "sentry/vfs/file.h"

struct fake_map {
    bool unmap;
    uint64_t addr, len;
    int prot;
    uint64_t off;
};

#define FAKE_MAX_MAPS 256
extern struct fake_map fake_maps[FAKE_MAX_MAPS];
extern int fake_nmaps;

/* Installs the fake platform and creates the memory file (once). */
void fake_platform_setup(void);
/* Forgets the recorded calls. */
void fake_maps_reset(void);
/* The last recorded call covering addr, or NULL. */
const struct fake_map *fake_map_at(uint64_t addr);
/* The memory-file offset the last call covering addr mapped it to. */
uint64_t fake_off_at(uint64_t addr);

struct fake_file {
    const uint8_t *data; /* the file's bytes (not copied) */
    uint64_t size;
    int populate_calls;
    uint64_t fail_page; /* populate fails with -EIO on this page (UINT64_MAX: never) */
    struct mm_object *obj;
    struct inode inode;
};

/* A file of data[0, size) opened with flags (LINUX_O_*), whose pages come
 * from ff->obj (created here, populated from data on demand). The caller
 * owns the file; ff must outlive it. With no_mmap, get_pages is NULL. */
struct file *fake_file_open(struct fake_file *ff, const uint8_t *data, uint64_t size, int flags,
                            bool no_mmap);
/* A file with the contents of the host file at path (read whole), or NULL. */
struct file *fake_file_from_host(const char *path);

/* The gofer's handle table: the ids it gives the sentry, each an O_PATH fd.
 * Internal to gofer/. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define GOFER_HT_CHUNK 1024

/* One handle. A handle keeps its parent (the directory it was walked from)
 * alive, so it can always be reopened as openat(parent, name) without
 * /proc: refs counts the client's reference (until CLOSE) and the
 * children's. */
struct gofer_handle {
    int fd;         /* O_PATH|O_NOFOLLOW; -1: free slot */
    int dirfd;      /* O_RDONLY|O_DIRECTORY fd for GETDENTS, opened on first use, or -1 */
    uint32_t gen;   /* bumped when the slot is freed: stale ids never match */
    int32_t parent; /* slot of the parent handle; -1: a mount root (mounts[mount]) */
    uint32_t refs;
    bool client;    /* the client has not closed it */
    uint16_t mount; /* index into the server's mounts */
    uint32_t type;  /* S_IFMT bits of the file */
    uint32_t dev_major, dev_minor;
    uint64_t ino;
    uint64_t mnt_id;
    char *name; /* the name in the parent (NUL-terminated) */
    int32_t next_free;
};

struct gofer_htable {
    struct gofer_handle *chunks[(65536 + GOFER_HT_CHUNK - 1) / GOFER_HT_CHUNK];
    uint32_t nslots; /* slots in allocated chunks */
    uint32_t live;   /* slots in use */
    uint32_t limit;  /* most slots in use: ENFILE past it */
    int32_t free_head;
};

struct gofer_file_id {
    uint32_t type, dev_major, dev_minor;
    uint64_t ino, mnt_id;
};

void ht_init(struct gofer_htable *t, uint32_t limit);
/* Closes every fd and frees everything. */
void ht_destroy(struct gofer_htable *t);
/* The handle in slot (which must be in use). Entries never move. */
struct gofer_handle *ht_slot(struct gofer_htable *t, int32_t slot);
/* The client-held handle with id `id`, or NULL (stale, closed, never
 * given). *out_slot is its slot. */
struct gofer_handle *ht_lookup(struct gofer_htable *t, uint64_t id, int32_t *out_slot);
/* Makes a client-held handle for fd (O_PATH, ownership passes to the table
 * on success only) named `name` in `parent` (a reference is taken) or
 * mount root (parent -1). Returns the slot, -ENFILE past the limit or
 * -ENOMEM. */
int32_t ht_alloc(struct gofer_htable *t, int fd, int32_t parent, uint16_t mount, const char *name,
                 const struct gofer_file_id *id);
uint64_t ht_id(struct gofer_htable *t, int32_t slot);
/* Drops the client's reference to slot (CLOSE). */
void ht_release(struct gofer_htable *t, int32_t slot);
/* Points slot at `name` in `parent` (after a rename): takes a reference
 * on the new parent, drops the old. Returns 0 or -ENOMEM. */
int ht_rename(struct gofer_htable *t, int32_t slot, int32_t parent, const char *name);

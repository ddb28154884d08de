/* The gofer's handle table. Slots live in fixed chunks that never move, so
 * a struct gofer_handle pointer stays valid while its slot is in use. An
 * id is (generation << 32) | (slot + 1): never 0, and a closed handle's id
 * never names the slot's next tenant. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "gofer/handles.h"

void ht_init(struct gofer_htable *t, uint32_t limit)
{
    memset(t, 0, sizeof(*t));
    uint32_t max = sizeof(t->chunks) / sizeof(t->chunks[0]) * GOFER_HT_CHUNK;
    t->limit = limit < max ? limit : max;
    t->free_head = -1;
}

struct gofer_handle *ht_slot(struct gofer_htable *t, int32_t slot)
{
    return &t->chunks[slot / GOFER_HT_CHUNK][slot % GOFER_HT_CHUNK];
}

static void free_slot(struct gofer_htable *t, int32_t slot)
{
    struct gofer_handle *h = ht_slot(t, slot);
    close(h->fd);
    if (h->dirfd >= 0)
        close(h->dirfd);
    free(h->name);
    h->name = NULL;
    h->fd = -1;
    h->dirfd = -1;
    h->gen++;
    h->next_free = t->free_head;
    t->free_head = slot;
    t->live--;
}

/* Drops one reference to slot, freeing it and, in turn, its ancestors that
 * nothing else holds (a loop: chains can be long). */
static void put(struct gofer_htable *t, int32_t slot)
{
    while (slot >= 0) {
        struct gofer_handle *h = ht_slot(t, slot);
        if (--h->refs > 0)
            return;
        int32_t parent = h->parent;
        free_slot(t, slot);
        slot = parent;
    }
}

void ht_destroy(struct gofer_htable *t)
{
    for (uint32_t i = 0; i < t->nslots; i++) {
        struct gofer_handle *h = ht_slot(t, (int32_t)i);
        if (h->fd >= 0) {
            close(h->fd);
            if (h->dirfd >= 0)
                close(h->dirfd);
            free(h->name);
        }
    }
    for (size_t i = 0; i < sizeof(t->chunks) / sizeof(t->chunks[0]); i++)
        free(t->chunks[i]);
    memset(t, 0, sizeof(*t));
    t->free_head = -1;
}

struct gofer_handle *ht_lookup(struct gofer_htable *t, uint64_t id, int32_t *out_slot)
{
    uint32_t lo = (uint32_t)id;
    if (lo == 0 || lo > t->nslots)
        return NULL;
    int32_t slot = (int32_t)(lo - 1);
    struct gofer_handle *h = ht_slot(t, slot);
    if (h->fd < 0 || !h->client || h->gen != (uint32_t)(id >> 32))
        return NULL;
    *out_slot = slot;
    return h;
}

uint64_t ht_id(struct gofer_htable *t, int32_t slot)
{
    return (uint64_t)ht_slot(t, slot)->gen << 32 | (uint32_t)(slot + 1);
}

static int32_t take_slot(struct gofer_htable *t)
{
    if (t->live >= t->limit)
        return -LINUX_ENFILE;
    if (t->free_head < 0) {
        uint32_t c = t->nslots / GOFER_HT_CHUNK;
        if (c >= sizeof(t->chunks) / sizeof(t->chunks[0]))
            return -LINUX_ENFILE;
        struct gofer_handle *chunk = calloc(GOFER_HT_CHUNK, sizeof(*chunk));
        if (!chunk)
            return -LINUX_ENOMEM;
        t->chunks[c] = chunk;
        for (int32_t i = GOFER_HT_CHUNK - 1; i >= 0; i--) {
            chunk[i].fd = -1;
            chunk[i].dirfd = -1;
            chunk[i].gen = 1;
            chunk[i].next_free = t->free_head;
            t->free_head = (int32_t)(c * GOFER_HT_CHUNK) + i;
        }
        t->nslots += GOFER_HT_CHUNK;
    }
    return t->free_head;
}

int32_t ht_alloc(struct gofer_htable *t, int fd, int32_t parent, uint16_t mount, const char *name,
                 const struct gofer_file_id *id)
{
    int32_t slot = take_slot(t);
    if (slot < 0)
        return slot;
    char *copy = strdup(name);
    if (!copy)
        return -LINUX_ENOMEM;
    struct gofer_handle *h = ht_slot(t, slot);
    t->free_head = h->next_free;
    t->live++;
    h->fd = fd;
    h->dirfd = -1;
    h->parent = parent;
    h->refs = 1;
    h->client = true;
    h->mount = mount;
    h->type = id->type;
    h->dev_major = id->dev_major;
    h->dev_minor = id->dev_minor;
    h->ino = id->ino;
    h->mnt_id = id->mnt_id;
    h->name = copy;
    h->next_free = -1;
    if (parent >= 0)
        ht_slot(t, parent)->refs++;
    return slot;
}

void ht_release(struct gofer_htable *t, int32_t slot)
{
    struct gofer_handle *h = ht_slot(t, slot);
    if (!h->client)
        return;
    h->client = false;
    put(t, slot);
}

int ht_rename(struct gofer_htable *t, int32_t slot, int32_t parent, const char *name)
{
    struct gofer_handle *h = ht_slot(t, slot);
    char *copy = strdup(name);
    if (!copy)
        return -LINUX_ENOMEM;
    free(h->name);
    h->name = copy;
    if (parent != h->parent) {
        int32_t old = h->parent;
        ht_slot(t, parent)->refs++;
        h->parent = parent;
        put(t, old);
    }
    return 0;
}

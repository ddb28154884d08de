/* The memory file: one memfd per sandbox holding all application anonymous
 * memory, mapped whole into the sentry so copy_in/copy_out are memcpy.
 *
 * Lock order: kernel lock. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Creates the memory file and its sentry mapping. Returns 0 or -errno. */
int memfile_init(void);
int memfile_fd(void);
/* Allocates len bytes (page multiple), aligned to align (a power of two,
 * at least a page). Returns the offset, or (uint64_t)-1 when out of space.
 * The pages read as zeros. */
uint64_t memfile_alloc(uint64_t len, uint64_t align);
/* Frees a range from memfile_alloc (or part of one): its pages go back to
 * the host. */
void memfile_free(uint64_t off, uint64_t len);
/* Punches [off, off + len) (page-aligned, allocated): its pages read as
 * zeros and go back to the host, but the range stays allocated. */
void memfile_punch(uint64_t off, uint64_t len);
/* The sentry's address of memory-file offset off. */
static inline void *memfile_ptr(uint64_t off)
{
    extern uint8_t *memfile_base;
    return memfile_base + off;
}
/* Bytes currently allocated, for tests and /proc/meminfo. */
uint64_t memfile_allocated(void);

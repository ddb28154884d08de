/* Address spaces: the sentry's own VMA set, the memory-file ranges backing
 * them (pmas), page faults, and copy_in/copy_out, the only way sentry code
 * touches application memory. See DESIGN.md section 5.
 *
 * Lock order: kernel lock, then nothing: an mm is changed only with the
 * kernel lock held. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "abi/linux/types.h"
#include "abi/linux/uio.h"
#include "sentry/mm/vma.h"

struct pf_as;
struct file;

/* Linux's vm.mmap_min_addr default: nothing is mapped below it. */
#define MM_MIN_ADDR 0x10000ULL

struct mm {
    int refs;
    struct pf_as *as;     /* the platform's address space */
    struct vma_set vmas;  /* what the application asked for */
    struct pma_set pmas;  /* which parts have memory-file pages */
    uint64_t mmap_base;   /* top of the top-down mmap area */
    uint64_t brk_start, brk;
    uint64_t stack_start, stack_end;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t auxv[64];    /* saved auxv pairs, for /proc/PID/auxv */
    size_t auxv_count;
    struct file *exe_file; /* the program loaded (/proc/PID/exe), or NULL */
    /* Counts changes of the platform's mappings. A protection fault
     * reported by a thread whose run began before a change may be stale
     * (another thread of the mm already resolved it): retried, not
     * signalled. */
    uint64_t map_seq;
    /* Every mm, for invalidations that reach mms other than the caller's
     * (a file shrunk under a shared mapping). */
    struct mm *all_prev, *all_next;
    /* Ranges to drop from the platform's address space, applied by the
     * next task of this mm to pass mm_apply_invalidations (only a thread
     * running in the address space can change it). */
    struct mm_range {
        uint64_t start, end;
    } *inval;
    size_t inval_count;
};

/* A new, empty address space with its platform half. NULL on failure. The
 * caller owns the returned reference. */
struct mm *mm_new(void);
/* fork(2): a copy of parent for a new process (private pages copied
 * eagerly for now, shared mappings shared; see fork.c), without its platform
 * half: the child's task thread must call mm_fork_attach() before using it.
 * NULL on failure. */
struct mm *mm_fork(struct mm *parent);
int mm_fork_attach(struct mm *mm);
/* Drops the ranges queued by invalidations from mm's platform address
 * space: called by a task of mm before it runs application code. */
void mm_apply_invalidations(struct mm *mm);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);

/* mmap(2) core for anonymous memory (flags must have MAP_ANONYMOUS; Linux
 * MAP_* values). Returns the address or -errno. */
long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags);
/* mmap(2) core for a file: maps f's pages (f->ops->get_pages) from offset
 * off, with Linux's checks (EACCES for the open mode, ENODEV without
 * get_pages, EOVERFLOW, EOPNOTSUPP for MAP_SHARED_VALIDATE with unknown
 * flags, EPERM for PROT_EXEC on a noexec mount). MAP_SHARED maps the pages
 * themselves; MAP_PRIVATE maps them read-only and copies a page on its first
 * write. The mapping holds references on f and on the pages' object.
 * Returns the address or -errno. */
long mm_mmap_file(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct file *f,
                  uint64_t off);
long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
long mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
               uint64_t new_addr);
long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
long mm_brk(struct mm *mm, uint64_t new_brk);
/* Fills out_vec[(addr-start)/PAGE] for [addr, addr+len). */
long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint8_t *out_vec);

/* Handles a fault the platform reported at addr (mapped: a protection fault
 * on a present page). Returns
 *   0                 the application can go on (pages mapped, or a
 *                     copy-on-write done);
 *   -LINUX_EFAULT     deliver SIGSEGV with si_code *out_code
 *                     (SEGV_MAPERR / SEGV_ACCERR);
 *   -LINUX_EIO        deliver SIGBUS with si_code *out_code (BUS_ADRERR):
 *                     a file mapping's page past the end of the file, or a
 *                     page the file could not be read for;
 *   -LINUX_ENOMEM     out of memory (the caller kills the task). */
int mm_fault(struct mm *mm, uint64_t addr, bool mapped, int *out_code);

/* Copy between the sentry and application memory. They return the number of
 * bytes copied when it is all of them, else -LINUX_EFAULT. */
long copy_in(struct mm *mm, void *dst, uaddr_t src, size_t size);
long copy_out(struct mm *mm, uaddr_t dst, const void *src, size_t size);
/* Like copy_in, but returns the number of bytes copied before the first bad
 * page (0 if the first byte is bad): the partial-I/O rule. */
size_t copy_in_partial(struct mm *mm, void *dst, uaddr_t src, size_t size);
size_t copy_out_partial(struct mm *mm, uaddr_t dst, const void *src, size_t size);
/* Copies a NUL-terminated string of at most size-1 bytes. Returns its
 * length, -LINUX_EFAULT, or -LINUX_ENAMETOOLONG if no NUL within size. */
long copy_string_in(struct mm *mm, char *dst, uaddr_t src, size_t size);
/* Reads an application iovec array of count entries (0..UIO_MAXIOV, else
 * -EINVAL) into out_iov, clipping the lengths so the total stays within
 * MAX_RW_COUNT as Linux does; a length that is negative as ssize_t gives
 * -EINVAL. Returns the total length or -errno. */
long copy_iovecs_in(struct mm *mm, uaddr_t uiov, int count, struct linux_iovec *out_iov);

/* Translates application ranges into sentry-memory blocks (host iovecs
 * pointing into the memory file's mapping) for direct I/O, faulting pages
 * in; write says the application memory will be written (a read(2)).
 * Stops at the first inaccessible byte or when max_blocks are used.
 * Returns the number of bytes translated (0 when the first byte is bad) and
 * the block count in *out_count. Valid until the kernel lock is dropped and
 * the mm changes. */
size_t mm_user_blocks(struct mm *mm, const struct linux_iovec *uiov, int iovcnt, bool write,
                      struct iovec *out_blocks, int max_blocks, int *out_count);
#define MM_MAX_BLOCKS 64

/* The sentry address of application byte addr for a read or a write, and in
 * *out_avail how many bytes from there are contiguous; faults private pages
 * in. NULL if the VMAs forbid the access. The copy_* helpers are built on
 * it; other callers should use them. */
void *mm_translate(struct mm *mm, uint64_t addr, bool write, size_t *out_avail);

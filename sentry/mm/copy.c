/* copy_in / copy_out: the only way sentry code touches application memory.
 * Every access is translated through the VMAs at the time of the copy (never
 * checked first and used later), and goes through the sentry's mapping of
 * the memory file. A bad address gives -EFAULT, never a sentry fault. */
#include <string.h>

#include "abi/linux/errno.h"
#include "platform/platform.h"
#include "sentry/mm/mm.h"

/* Bytes of [addr, addr+size) reachable as one piece, clipped to size. */
static void *copy_piece(struct mm *mm, uint64_t addr, size_t size, bool write, size_t *out_len)
{
    if (addr >= PF_TASK_SIZE)
        return NULL;
    size_t avail;
    void *p = mm_translate(mm, addr, write, &avail);
    if (!p)
        return NULL;
    *out_len = avail < size ? avail : size;
    return p;
}

size_t copy_in_partial(struct mm *mm, void *dst, uaddr_t src, size_t size)
{
    size_t done = 0;
    while (done < size) {
        size_t n;
        void *p = copy_piece(mm, src + done, size - done, false, &n);
        if (!p)
            break;
        memcpy((char *)dst + done, p, n);
        done += n;
    }
    return done;
}

size_t copy_out_partial(struct mm *mm, uaddr_t dst, const void *src, size_t size)
{
    size_t done = 0;
    while (done < size) {
        size_t n;
        void *p = copy_piece(mm, dst + done, size - done, true, &n);
        if (!p)
            break;
        memcpy(p, (const char *)src + done, n);
        done += n;
    }
    return done;
}

long copy_in(struct mm *mm, void *dst, uaddr_t src, size_t size)
{
    if (src + size < src)
        return -LINUX_EFAULT;
    return copy_in_partial(mm, dst, src, size) == size ? (long)size : -LINUX_EFAULT;
}

long copy_out(struct mm *mm, uaddr_t dst, const void *src, size_t size)
{
    if (dst + size < dst)
        return -LINUX_EFAULT;
    return copy_out_partial(mm, dst, src, size) == size ? (long)size : -LINUX_EFAULT;
}

long copy_string_in(struct mm *mm, char *dst, uaddr_t src, size_t size)
{
    size_t done = 0;
    while (done < size) {
        size_t n;
        const char *p = copy_piece(mm, src + done, size - done, false, &n);
        if (!p)
            return -LINUX_EFAULT;
        const char *nul = memchr(p, '\0', n);
        if (nul) {
            size_t len = (size_t)(nul - p);
            memcpy(dst + done, p, len + 1);
            return (long)(done + len);
        }
        memcpy(dst + done, p, n);
        done += n;
    }
    if (size > 0)
        dst[size - 1] = '\0';
    return -LINUX_ENAMETOOLONG;
}

long copy_iovecs_in(struct mm *mm, uaddr_t uiov, int count, struct linux_iovec *out_iov)
{
    if (count < 0 || count > LINUX_UIO_MAXIOV)
        return -LINUX_EINVAL;
    if (count == 0)
        return 0;
    long r = copy_in(mm, out_iov, uiov, (size_t)count * sizeof(*out_iov));
    if (r < 0)
        return r;
    uint64_t total = 0;
    for (int i = 0; i < count; i++) {
        if ((int64_t)out_iov[i].iov_len < 0)
            return -LINUX_EINVAL;
        if (out_iov[i].iov_len > (uint64_t)LINUX_MAX_RW_COUNT - total)
            out_iov[i].iov_len = (uint64_t)LINUX_MAX_RW_COUNT - total;
        total += out_iov[i].iov_len;
    }
    return (long)total;
}

size_t mm_user_blocks(struct mm *mm, const struct linux_iovec *uiov, int iovcnt, bool write,
                      struct iovec *out_blocks, int max_blocks, int *out_count)
{
    size_t total = 0;
    int nb = 0;
    for (int i = 0; i < iovcnt; i++) {
        uint64_t addr = uiov[i].iov_base, left = uiov[i].iov_len;
        while (left > 0) {
            if (nb == max_blocks)
                goto out;
            size_t n;
            void *p = copy_piece(mm, addr, left, write, &n);
            if (!p)
                goto out;
            /* Adjacent pieces of the memory file coalesce into one block. */
            if (nb > 0 && (char *)out_blocks[nb - 1].iov_base + out_blocks[nb - 1].iov_len == p)
                out_blocks[nb - 1].iov_len += n;
            else
                out_blocks[nb++] = (struct iovec){.iov_base = p, .iov_len = n};
            addr += n;
            left -= n;
            total += n;
        }
    }
out:
    *out_count = nb;
    return total;
}

/* Image files: read-only in-memory files holding a copy of a program's bytes,
 * for programs that do not come from the VFS (pid 1 while the CLI reads it,
 * and tests). The bytes live in an mm_object, so the loader maps them like
 * any file: text shared read-only, data copy-on-write.
 *
 * Lock order: kernel lock. */
#include <stdlib.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/stat.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/object.h"
#include "sentry/vfs/file.h"

struct image {
    struct mm_object *obj;
    uint64_t ino; /* each image is its own inode: loaders tell files apart by it */
};

static long image_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    const struct image *im = f->priv;
    if (pos < 0)
        return -LINUX_EINVAL;
    return mm_object_rw(im->obj, (uint64_t)pos, iov, iovcnt, false);
}

static long image_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
    int64_t *p = pos ? pos : &f->pos;
    long n = image_pread(f, iov, iovcnt, *p);
    if (n > 0)
        *p += n;
    return n;
}

static long image_stat(struct file *f, struct linux_stat *out_st)
{
    const struct image *im = f->priv;
    const struct mm_object *obj = im->obj;
    *out_st = (struct linux_stat){
        .st_ino = im->ino,
        .st_mode = LINUX_S_IFREG | 0555,
        .st_nlink = 1,
        .st_size = (int64_t)obj->size,
        .st_blksize = LINUX_PAGE_SIZE,
        .st_blocks = (int64_t)(page_round_up(obj->size) / 512),
    };
    return 0;
}

static int image_get_pages(struct file *f, uint64_t off, uint64_t len, struct mm_object **out_obj)
{
    (void)off;
    (void)len;
    struct image *im = f->priv;
    mm_object_get(im->obj);
    *out_obj = im->obj;
    return 0;
}

static void image_release(struct file *f)
{
    struct image *im = f->priv;
    mm_object_put(im->obj);
    free(im);
}

static const struct file_ops image_fops = {
    .read = image_read,
    .pread = image_pread,
    .stat = image_stat,
    .get_pages = image_get_pages,
    .release = image_release,
};

struct file *loader_image_file_new(const void *data, size_t size)
{
    static uint64_t next_ino = 1;
    struct image *im = calloc(1, sizeof(*im));
    if (!im)
        return NULL;
    im->ino = next_ino++;
    im->obj = mm_object_new(size, NULL, NULL);
    if (!im->obj)
        goto out_free;
    struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
    if (size > 0 && mm_object_rw(im->obj, 0, &iov, 1, true) != (long)size)
        goto out_put_obj;
    struct file *f = file_new(&image_fops, LINUX_O_RDONLY, im);
    if (!f)
        goto out_put_obj;
    return f;

out_put_obj:
    mm_object_put(im->obj);
out_free:
    free(im);
    return NULL;
}

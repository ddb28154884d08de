/* Fakes for the sentry/mm and sentry/loader unit tests; see test_mm_fakes.h. */
#include "tests/unit/test_mm_fakes.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "abi/linux/stat.h"
#include "platform/platform.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/memfile.h"

/* ---- the platform ---- */

struct fake_map fake_maps[FAKE_MAX_MAPS];
int fake_nmaps;
static int fake_as_token;

static void fake_record(bool unmap, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
    assert_true(fake_nmaps < FAKE_MAX_MAPS);
    fake_maps[fake_nmaps++] = (struct fake_map){unmap, addr, len, prot, off};
}

static struct pf_as *fake_as_new(void)
{
    return (struct pf_as *)&fake_as_token;
}

static void fake_as_release(struct pf_as *as)
{
    assert_ptr_equal(as, &fake_as_token);
}

static int fake_as_map(struct pf_as *as, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
    assert_ptr_equal(as, &fake_as_token);
    assert_true(len > 0 && addr % LINUX_PAGE_SIZE == 0 && len % LINUX_PAGE_SIZE == 0);
    fake_record(false, addr, len, prot, off);
    return 0;
}

static int fake_as_unmap(struct pf_as *as, uint64_t addr, uint64_t len)
{
    assert_ptr_equal(as, &fake_as_token);
    fake_record(true, addr, len, 0, 0);
    return 0;
}

static const struct platform_ops fake_platform = {
    .name = "fake",
    .as_new = fake_as_new,
    .as_release = fake_as_release,
    .as_map = fake_as_map,
    .as_unmap = fake_as_unmap,
};

const struct platform_ops *platform;

void fake_platform_setup(void)
{
    static bool done;
    platform = &fake_platform;
    if (!done) {
        assert_int_equal(memfile_init(), 0);
        done = true;
    }
    fake_maps_reset();
}

void fake_maps_reset(void)
{
    fake_nmaps = 0;
}

const struct fake_map *fake_map_at(uint64_t addr)
{
    for (int i = fake_nmaps - 1; i >= 0; i--) {
        const struct fake_map *m = &fake_maps[i];
        if (addr >= m->addr && addr < m->addr + m->len)
            return m;
    }
    return NULL;
}

uint64_t fake_off_at(uint64_t addr)
{
    const struct fake_map *m = fake_map_at(addr);
    assert_non_null(m);
    assert_false(m->unmap);
    return m->off + (addr - m->addr);
}

/* ---- struct file, standing in for sentry/vfs/file.c ---- */

struct file *file_new(const struct file_ops *ops, int flags, void *priv)
{
    struct file *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->refs = 1;
    f->ops = ops;
    f->flags = flags;
    f->priv = priv;
    return f;
}

void file_get(struct file *f)
{
    assert_true(f->refs > 0);
    f->refs++;
}

void file_put(struct file *f)
{
    assert_true(f->refs > 0);
    if (--f->refs > 0)
        return;
    if (f->ops->release)
        f->ops->release(f);
    free(f);
}

long file_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    if (!f->ops->pread)
        return -LINUX_ESPIPE;
    return f->ops->pread(f, iov, iovcnt, pos);
}

long file_stat(struct file *f, struct linux_stat *out_st)
{
    if (!f->ops->stat)
        return -LINUX_EINVAL;
    return f->ops->stat(f, out_st);
}

/* ---- fake files: a buffer read in by a populate op ---- */

static int fake_populate(struct mm_object *obj, uint64_t first, uint64_t count)
{
    struct fake_file *ff = obj->priv;
    ff->populate_calls++;
    for (uint64_t p = first; p < first + count; p++) {
        if (p == ff->fail_page)
            return -LINUX_EIO;
        uint64_t off = p * LINUX_PAGE_SIZE;
        uint64_t n = ff->size - off < LINUX_PAGE_SIZE ? ff->size - off : LINUX_PAGE_SIZE;
        memcpy(mm_object_page_ptr(obj, p), ff->data + off, n);
    }
    return 0;
}

static const struct mm_object_ops fake_obj_ops = {.populate = fake_populate};

static long fake_pread(struct file *f, const struct iovec *iov, int iovcnt, int64_t pos)
{
    struct fake_file *ff = f->priv;
    return mm_object_rw(ff->obj, (uint64_t)pos, iov, iovcnt, false);
}

static int fake_get_pages(struct file *f, uint64_t off, uint64_t len, struct mm_object **out_obj)
{
    (void)off;
    (void)len;
    struct fake_file *ff = f->priv;
    mm_object_get(ff->obj);
    *out_obj = ff->obj;
    return 0;
}

static const struct file_ops fake_fops = {.pread = fake_pread, .get_pages = fake_get_pages};
static const struct file_ops fake_fops_nommap = {.pread = fake_pread};

struct file *fake_file_open(struct fake_file *ff, const uint8_t *data, uint64_t size, int flags,
                            bool no_mmap)
{
    memset(ff, 0, sizeof(*ff));
    ff->data = data;
    ff->size = size;
    ff->fail_page = UINT64_MAX;
    ff->obj = mm_object_new(size, &fake_obj_ops, ff);
    assert_non_null(ff->obj);
    ff->inode.attr.mode = LINUX_S_IFREG | 0755;
    ff->inode.attr.size = size;
    struct file *f = file_new(no_mmap ? &fake_fops_nommap : &fake_fops, flags, ff);
    assert_non_null(f);
    f->inode = &ff->inode;
    return f;
}

struct file *fake_file_from_host(const char *path)
{
    static struct inode inodes[8];
    static int ninodes;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 1 << 20, size = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + size, 1, cap - size, fp)) > 0) {
        size += n;
        if (size == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    fclose(fp);
    if (!buf)
        return NULL;
    struct file *f = loader_image_file_new(buf, size);
    free(buf);
    if (!f)
        return NULL;
    assert_true(ninodes < 8);
    struct inode *ino = &inodes[ninodes++];
    ino->attr.mode = LINUX_S_IFREG | 0755;
    ino->attr.size = size;
    f->inode = ino;
    return f;
}

/* The VFS is not linked into the mm tests: every file may be executed. */
int vfs_permission(const struct cred *cred, struct inode *ino, int mask)
{
    (void)cred, (void)ino, (void)mask;
    return 0;
}

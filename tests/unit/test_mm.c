/* Unit tests for sentry/mm: memory objects, shared and file mappings,
 * copy-on-write and SIGBUS, against a fake platform that records what would
 * be mapped into the stub (test_mm_fakes.c). The memory file is real, so
 * contents are checked too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "abi/linux/fcntl.h"
#include "abi/linux/mman.h"
#include "abi/linux/signal.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/object.h"
#include "sentry/vfs/vfs.h"
#include "tests/unit/test_mm_fakes.h"

#define PG 0x1000ULL
#define R LINUX_PROT_READ
#define RW (LINUX_PROT_READ | LINUX_PROT_WRITE)
#define RX (LINUX_PROT_READ | LINUX_PROT_EXEC)
#define PRIV LINUX_MAP_PRIVATE
#define SHARED LINUX_MAP_SHARED
#define FIXED LINUX_MAP_FIXED
#define BASE 0x10000000ULL

/* A file of 3 pages minus 2000 bytes: byte i is (i * 7 + 1) & 0xff. */
#define FILE_SIZE (3 * PG - 2000)
static uint8_t file_data[FILE_SIZE];

static int setup(void **state)
{
    (void)state;
    fake_platform_setup();
    for (size_t i = 0; i < FILE_SIZE; i++)
        file_data[i] = (uint8_t)(i * 7 + 1);
    return 0;
}

static uint8_t expect_byte(uint64_t off)
{
    return off < FILE_SIZE ? file_data[off] : 0;
}

/* ---- objects ---- */

static int release_calls;
static void count_release(struct mm_object *obj)
{
    (void)obj;
    release_calls++;
}

static void test_object_anon(void **state)
{
    (void)state;
    uint64_t before = memfile_allocated();
    static const struct mm_object_ops ops = {.release = count_release};
    struct mm_object *obj = mm_object_new(1ULL << 30, &ops, NULL);
    assert_non_null(obj);
    assert_int_equal(mm_object_pages(obj), (1ULL << 30) / PG);
    /* Nothing is allocated until touched; a far page costs one page. */
    assert_int_equal(memfile_allocated(), before);
    assert_false(mm_object_present(obj, 100000));
    assert_int_equal(mm_object_populate(obj, 100000, 2), 0);
    assert_int_equal(memfile_allocated(), before + 2 * PG);
    assert_true(mm_object_present(obj, 100000));
    uint64_t n;
    uint64_t off = mm_object_lookup(obj, 100000, 10, &n);
    assert_int_not_equal(off, MM_OBJ_NO_PAGE);
    assert_int_equal(n, 2); /* allocated together: contiguous */
    assert_int_equal(mm_object_lookup(obj, 99999, 10, &n), MM_OBJ_NO_PAGE);

    /* Read and write through iovecs, across the page boundary. */
    char buf[100] = "hello, object";
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
    assert_int_equal(mm_object_rw(obj, 100001 * PG - 50, &iov, 1, true), 100);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(mm_object_rw(obj, 100001 * PG - 50, &iov, 1, false), 100);
    assert_string_equal(buf, "hello, object");
    /* Punching zeroes. */
    assert_int_equal(mm_object_zero(obj, 100001 * PG - 50, 10), 0);
    assert_int_equal(mm_object_rw(obj, 100001 * PG - 50, &iov, 1, false), 100);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[9], 0);
    assert_int_equal(buf[10], 'e');

    release_calls = 0;
    mm_object_get(obj);
    mm_object_put(obj);
    assert_int_equal(release_calls, 0);
    mm_object_put(obj);
    assert_int_equal(release_calls, 1);
    assert_int_equal(memfile_allocated(), before);
}

static void test_object_populate_resize(void **state)
{
    (void)state;
    uint64_t before = memfile_allocated();
    struct fake_file ff;
    struct file *f = fake_file_open(&ff, file_data, FILE_SIZE, LINUX_O_RDONLY, false);
    struct mm_object *obj = ff.obj;
    assert_int_equal(mm_object_pages(obj), 3);
    assert_int_equal(mm_object_populate(obj, 0, 3), 0);
    assert_int_equal(ff.populate_calls, 1); /* one run, one call */
    assert_int_equal(mm_object_populate(obj, 1, 2), 0);
    assert_int_equal(ff.populate_calls, 1); /* present already */
    const uint8_t *p2 = mm_object_page_ptr(obj, 2);
    assert_int_equal(p2[0], expect_byte(2 * PG));
    assert_int_equal(p2[PG - 2000 - 1], expect_byte(3 * PG - 2001));
    assert_int_equal(p2[PG - 2000], 0); /* past the end */

    /* Shrinking zeroes the tail and forgets the pages past the end. */
    assert_int_equal(mm_object_resize(obj, PG + 10), 0);
    assert_int_equal(mm_object_pages(obj), 2);
    const uint8_t *p1 = mm_object_page_ptr(obj, 1);
    assert_int_equal(p1[9], expect_byte(PG + 9));
    assert_int_equal(p1[10], 0);
    assert_false(mm_object_present(obj, 2));
    /* Growing back brings the page in from the file again. */
    assert_int_equal(mm_object_resize(obj, FILE_SIZE), 0);
    assert_int_equal(mm_object_populate(obj, 2, 1), 0);
    assert_int_equal(ff.populate_calls, 2);
    assert_int_equal(((const uint8_t *)mm_object_page_ptr(obj, 2))[5], expect_byte(2 * PG + 5));

    file_put(f);
    mm_object_put(obj);
    assert_int_equal(memfile_allocated(), before);
}

/* ---- mappings ---- */

static void test_shared_anon(void **state)
{
    (void)state;
    struct mm *mm = mm_new();
    assert_non_null(mm);
    assert_int_equal(mm_mmap(mm, BASE, 3 * PG, RW, SHARED | LINUX_MAP_ANONYMOUS | FIXED),
                     (long)BASE);
    int code = 0;
    fake_maps_reset();
    assert_int_equal(mm_fault(mm, BASE + PG + 5, false, &code), 0);
    const struct fake_map *m = fake_map_at(BASE + PG);
    assert_non_null(m);
    assert_int_equal(m->prot, RW);
    assert_int_equal(m->addr, BASE);
    assert_int_equal(m->len, 3 * PG);
    /* A write through copy_out lands in the object page the stub maps. */
    uint32_t x = 0xdeadbeef;
    assert_int_equal(copy_out(mm, BASE + PG + 8, &x, 4), 4);
    assert_memory_equal((char *)memfile_ptr(m->off) + PG + 8, &x, 4);
    uint8_t vec[3];
    assert_int_equal(mm_mincore(mm, BASE, 3 * PG, vec), 0);
    assert_int_equal(vec[1], 1);
    /* A protection fault is an access the VMA forbids. */
    assert_int_equal(mm_fault(mm, BASE, true, &code), -LINUX_EFAULT);
    assert_int_equal(code, LINUX_SEGV_ACCERR);
    mm_put(mm);
}

static void test_private_file_cow(void **state)
{
    (void)state;
    uint64_t before = memfile_allocated();
    struct fake_file ff;
    struct file *f = fake_file_open(&ff, file_data, FILE_SIZE, LINUX_O_RDONLY, false);
    struct mm *mm = mm_new();
    assert_int_equal(mm_mmap_file(mm, BASE, 3 * PG, RW, PRIV | FIXED, f, 0), (long)BASE);
    assert_int_equal(ff.obj->refs, 2); /* the owner's and the VMA's */
    assert_int_equal(f->refs, 2);

    /* A first touch maps the file's pages without write access. */
    int code = 0;
    fake_maps_reset();
    assert_int_equal(mm_fault(mm, BASE + 10, false, &code), 0);
    const struct fake_map *m = fake_map_at(BASE);
    assert_non_null(m);
    assert_int_equal(m->prot, R);
    assert_int_equal(m->len, 3 * PG);
    uint64_t file_page1 = m->off + PG;
    assert_int_equal(*(uint8_t *)memfile_ptr(file_page1), expect_byte(PG));

    /* The write that follows comes back as a protection fault: the page is
     * copied and mapped writable, the file's page stays as it was. */
    fake_maps_reset();
    assert_int_equal(mm_fault(mm, BASE + PG + 3, true, &code), 0);
    m = fake_map_at(BASE + PG);
    assert_non_null(m);
    assert_int_equal(m->addr, BASE + PG);
    assert_int_equal(m->len, PG);
    assert_int_equal(m->prot, RW);
    assert_int_not_equal(m->off, file_page1);
    assert_memory_equal(memfile_ptr(m->off), file_data + PG, PG);
    memset(memfile_ptr(m->off), 0xaa, 16); /* the application writes */
    assert_int_equal(*(uint8_t *)memfile_ptr(file_page1), expect_byte(PG));
    /* A second protection fault on the copy is a real violation. */
    assert_int_equal(mm_fault(mm, BASE + PG, true, &code), -LINUX_EFAULT);
    assert_int_equal(code, LINUX_SEGV_ACCERR);
    /* The next fault in the range maps the copy, not the file's page. */
    fake_maps_reset();
    assert_int_equal(mm_fault(mm, BASE, false, &code), 0);
    m = fake_map_at(BASE + PG);
    assert_int_equal(m->prot, RW);
    assert_int_equal(m->len, PG);
    assert_int_equal(fake_map_at(BASE)->prot, R);

    /* copy_out copies too; copy_in sees the private data. */
    uint8_t b[4] = {1, 2, 3, 4};
    fake_maps_reset();
    assert_int_equal(copy_out(mm, BASE + 2 * PG + 100, b, 4), 4);
    assert_non_null(fake_map_at(BASE + 2 * PG)); /* the copy replaced the stub's page */
    assert_int_equal(fake_map_at(BASE + 2 * PG)->prot, RW);
    uint8_t got[PG];
    assert_int_equal(copy_in(mm, got, BASE + 2 * PG, PG), PG);
    assert_memory_equal(got + 100, b, 4);
    assert_int_equal(got[99], expect_byte(2 * PG + 99));
    assert_int_equal(got[PG - 1], 0); /* past the end of the file */
    assert_int_equal(copy_in(mm, got, BASE + PG, 16), 16);
    assert_int_equal(got[0], 0xaa);
    assert_int_equal(copy_in(mm, got, BASE, 16), 16);
    assert_memory_equal(got, file_data, 16);
    /* The object's pages never changed. */
    assert_memory_equal(mm_object_page_ptr(ff.obj, 2), file_data + 2 * PG, FILE_SIZE - 2 * PG);

    /* MADV_DONTNEED drops the copies: the file shows through again. */
    assert_int_equal(mm_madvise(mm, BASE, 3 * PG, LINUX_MADV_DONTNEED), 0);
    assert_int_equal(copy_in(mm, got, BASE + PG, 16), 16);
    assert_memory_equal(got, file_data + PG, 16);
    assert_int_equal(mm_madvise(mm, BASE, PG, LINUX_MADV_REMOVE), -LINUX_EACCES);

    assert_int_equal(mm_munmap(mm, BASE, 3 * PG), 0);
    assert_int_equal(ff.obj->refs, 1);
    assert_int_equal(f->refs, 1);
    mm_put(mm);
    file_put(f);
    mm_object_put(ff.obj);
    assert_int_equal(memfile_allocated(), before);
}

static void test_sigbus(void **state)
{
    (void)state;
    struct fake_file ff;
    struct file *f = fake_file_open(&ff, file_data, 5000, LINUX_O_RDONLY, false);
    struct mm *mm = mm_new();
    assert_int_equal(mm_mmap_file(mm, BASE, 4 * PG, R, SHARED | FIXED, f, 0), (long)BASE);
    int code = 0;
    /* Past the last page of the file: SIGBUS, nothing mapped. */
    fake_maps_reset();
    assert_int_equal(mm_fault(mm, BASE + 2 * PG, false, &code), -LINUX_EIO);
    assert_int_equal(code, LINUX_BUS_ADRERR);
    assert_int_equal(fake_nmaps, 0);
    /* Inside: the mapping stops at the file's last page. */
    assert_int_equal(mm_fault(mm, BASE + PG + 4000, false, &code), 0);
    const struct fake_map *m = fake_map_at(BASE);
    assert_non_null(m);
    assert_int_equal(m->len, 2 * PG);
    /* The tail of the last page reads zeros; copies stop at it. */
    uint8_t got[2 * PG];
    assert_int_equal(copy_in(mm, got, BASE + 4500, 1000), 1000);
    assert_int_equal(got[499], expect_byte(4999));
    assert_int_equal(got[500], 0);
    assert_int_equal(got[999], 0);
    assert_int_equal(copy_in_partial(mm, got, BASE + PG, 2 * PG), PG);
    assert_int_equal(copy_in(mm, got, BASE + 2 * PG, 1), -LINUX_EFAULT);
    uint8_t vec[4];
    assert_int_equal(mm_mincore(mm, BASE, 4 * PG, vec), 0);
    assert_memory_equal(vec, ((uint8_t[]){1, 1, 0, 0}), 4);

    /* A page the file cannot be read for is SIGBUS too, but only for it. */
    assert_int_equal(mm_munmap(mm, BASE, 4 * PG), 0);
    mm_object_resize(ff.obj, 0);
    mm_object_resize(ff.obj, 5000);
    ff.fail_page = 1;
    assert_int_equal(mm_mmap_file(mm, BASE, 2 * PG, R, PRIV | FIXED, f, 0), (long)BASE);
    assert_int_equal(mm_fault(mm, BASE + PG, false, &code), -LINUX_EIO);
    assert_int_equal(code, LINUX_BUS_ADRERR);
    assert_int_equal(mm_fault(mm, BASE, false, &code), 0);
    assert_int_equal(copy_in(mm, got, BASE, 16), 16);
    assert_memory_equal(got, file_data, 16);

    mm_put(mm);
    file_put(f);
    assert_int_equal(ff.obj->refs, 1);
    mm_object_put(ff.obj);
}

static void test_mmap_file_errors(void **state)
{
    (void)state;
    struct fake_file ff, ff_wo, ff_rw, ff_nommap;
    struct file *ro = fake_file_open(&ff, file_data, FILE_SIZE, LINUX_O_RDONLY, false);
    struct file *wo = fake_file_open(&ff_wo, file_data, FILE_SIZE, LINUX_O_WRONLY, false);
    struct file *rw =
        fake_file_open(&ff_rw, file_data, FILE_SIZE, LINUX_O_RDWR | LINUX_O_APPEND, false);
    struct file *nommap = fake_file_open(&ff_nommap, file_data, FILE_SIZE, LINUX_O_RDONLY, true);
    struct mm *mm = mm_new();

    assert_int_equal(mm_mmap_file(mm, 0, PG, R, PRIV, ro, 1), -LINUX_EINVAL);
    assert_int_equal(mm_mmap_file(mm, 0, 0, R, PRIV, ro, 0), -LINUX_EINVAL);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, 0, ro, 0), -LINUX_EINVAL);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, 0xf, ro, 0), -LINUX_EINVAL);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, PRIV | LINUX_MAP_GROWSDOWN, ro, 0), -LINUX_EINVAL);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, SHARED | LINUX_MAP_HUGETLB, ro, 0), -LINUX_EINVAL);
    /* The address comes first: a bad fixed address wins over the file. */
    assert_int_equal(mm_mmap_file(mm, BASE + 1, PG, RW, SHARED | FIXED, wo, 0), -LINUX_EINVAL);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, SHARED, ro, 0x7ffffffffffff000ULL),
                     -LINUX_EOVERFLOW);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, SHARED, ro, (uint64_t)-PG), -LINUX_EOVERFLOW);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, LINUX_MAP_SHARED_VALIDATE | 0x80000000, ro, 0),
                     -LINUX_EOPNOTSUPP);
    assert_int_equal(
        mm_mmap_file(mm, BASE, PG, R, LINUX_MAP_SHARED_VALIDATE | LINUX_MAP_FIXED_NOREPLACE, ro, 0),
        -LINUX_EOPNOTSUPP);
    /* Plain MAP_SHARED ignores unknown flags. */
    long a = mm_mmap_file(mm, 0, PG, R, SHARED | 0x80000000, ro, 0);
    assert_true(a > 0);
    assert_int_equal(mm_munmap(mm, (uint64_t)a, PG), 0);
    assert_int_equal(mm_mmap_file(mm, 0, PG, RW, SHARED, ro, 0), -LINUX_EACCES);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, PRIV, wo, 0), -LINUX_EACCES);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, SHARED, wo, 0), -LINUX_EACCES);
    assert_int_equal(mm_mmap_file(mm, 0, PG, R, PRIV, nommap, 0), -LINUX_ENODEV);

    /* noexec mounts: no PROT_EXEC, now or later. */
    struct mount mnt = {.flags = LINUX_MNT_NOEXEC};
    ro->path.mnt = &mnt;
    assert_int_equal(mm_mmap_file(mm, 0, PG, RX, PRIV, ro, 0), -LINUX_EPERM);
    assert_int_equal(mm_mmap_file(mm, BASE, PG, R, PRIV | FIXED, ro, 0), (long)BASE);
    assert_int_equal(mm_mprotect(mm, BASE, PG, RX), -LINUX_EACCES);
    ro->path.mnt = NULL;

    /* A shared mapping of a read-only file can never become writable; a
     * private one can. O_APPEND does not matter (Linux checks the inode's
     * append-only flag, not the open flag). */
    assert_int_equal(mm_mmap_file(mm, BASE + PG, PG, R, SHARED | FIXED, ro, 0), (long)(BASE + PG));
    assert_int_equal(mm_mprotect(mm, BASE + PG, PG, RW), -LINUX_EACCES);
    assert_int_equal(mm_mprotect(mm, BASE, PG, RW), 0);
    assert_int_equal(mm_mmap_file(mm, BASE + 2 * PG, PG, RW, SHARED | FIXED, rw, 0),
                     (long)(BASE + 2 * PG));
    assert_int_equal(mm_mprotect(mm, BASE + 2 * PG, PG, R), 0);
    assert_int_equal(mm_mprotect(mm, BASE + 2 * PG, PG, RW), 0);

    mm_put(mm);
    struct fake_file *ffs[] = {&ff, &ff_wo, &ff_rw, &ff_nommap};
    struct file *fs[] = {ro, wo, rw, nommap};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(fs[i]->refs, 1);
        file_put(fs[i]);
        assert_int_equal(ffs[i]->obj->refs, 1);
        mm_object_put(ffs[i]->obj);
    }
}

static void test_split_mremap(void **state)
{
    (void)state;
    struct fake_file ff;
    struct file *f = fake_file_open(&ff, file_data, FILE_SIZE, LINUX_O_RDWR, false);
    struct mm *mm = mm_new();
    assert_int_equal(mm_mmap_file(mm, BASE, 3 * PG, RW, PRIV | FIXED, f, 0), (long)BASE);
    /* Splitting takes references for the new piece. */
    assert_int_equal(mm_mprotect(mm, BASE + PG, PG, R), 0);
    assert_int_equal(mm->vmas.count, 3);
    assert_int_equal(ff.obj->refs, 1 + 3);
    assert_int_equal(f->refs, 1 + 3);
    /* Merging drops them. */
    assert_int_equal(mm_mprotect(mm, BASE + PG, PG, RW), 0);
    assert_int_equal(mm->vmas.count, 1);
    assert_int_equal(ff.obj->refs, 2);
    assert_int_equal(f->refs, 2);

    /* mremap keeps the private copies and the file offsets (something
     * after the mapping makes it move). */
    assert_int_equal(mm_mmap(mm, BASE + 3 * PG, PG, R, PRIV | LINUX_MAP_ANONYMOUS | FIXED),
                     (long)(BASE + 3 * PG));
    uint8_t b = 0x5c;
    assert_int_equal(copy_out(mm, BASE + PG, &b, 1), 1);
    long a = mm_mremap(mm, BASE + PG, 2 * PG, 4 * PG, LINUX_MREMAP_MAYMOVE, 0);
    assert_true(a > 0);
    uint64_t na = (uint64_t)a;
    assert_true(na != BASE + PG);
    assert_int_equal(mm->vmas.count, 3);
    assert_int_equal(ff.obj->refs, 3);
    uint8_t got[16];
    assert_int_equal(copy_in(mm, got, na, 2), 2);
    assert_int_equal(got[0], 0x5c);
    assert_int_equal(got[1], expect_byte(PG + 1));
    assert_int_equal(copy_in(mm, got, na + PG, 4), 4);
    assert_memory_equal(got, file_data + 2 * PG, 4);
    /* Grown past the end of the file: SIGBUS there. */
    int code;
    assert_int_equal(mm_fault(mm, na + 2 * PG, false, &code), -LINUX_EIO);
    assert_int_equal(copy_in(mm, got, BASE, 4), 4);
    assert_memory_equal(got, file_data, 4);

    mm_put(mm);
    assert_int_equal(ff.obj->refs, 1);
    assert_int_equal(f->refs, 1);
    file_put(f);
    mm_object_put(ff.obj);
}

static void test_shared_file(void **state)
{
    (void)state;
    struct fake_file ff;
    struct file *f = fake_file_open(&ff, file_data, FILE_SIZE, LINUX_O_RDWR, false);
    struct mm *mm1 = mm_new(), *mm2 = mm_new();
    assert_int_equal(mm_mmap_file(mm1, BASE, 3 * PG, RW, SHARED | FIXED, f, 0), (long)BASE);
    assert_int_equal(mm_mmap_file(mm2, BASE, 2 * PG, RW, PRIV | FIXED, f, PG), (long)BASE);
    /* A shared write is seen by a private mapping that has not copied. */
    uint8_t b = 0x77;
    assert_int_equal(copy_out(mm1, BASE + PG + 1, &b, 1), 1);
    uint8_t got = 0;
    assert_int_equal(copy_in(mm2, &got, BASE + 1, 1), 1);
    assert_int_equal(got, 0x77);
    /* Both map the same memory-file page. */
    int code;
    fake_maps_reset();
    assert_int_equal(mm_fault(mm1, BASE + PG, false, &code), 0);
    uint64_t off1 = fake_off_at(BASE + PG);
    assert_int_equal(fake_map_at(BASE + PG)->prot, RW);
    assert_int_equal(mm_fault(mm2, BASE, false, &code), 0);
    assert_int_equal(fake_off_at(BASE), off1);
    assert_int_equal(fake_map_at(BASE)->prot, R);
    /* MADV_REMOVE punches the file through a shared writable mapping. */
    assert_int_equal(mm_madvise(mm1, BASE + PG, PG, LINUX_MADV_REMOVE), 0);
    assert_int_equal(copy_in(mm2, &got, BASE + 1, 1), 1);
    assert_int_equal(got, 0);
    mm_put(mm1);
    mm_put(mm2);
    file_put(f);
    assert_int_equal(ff.obj->refs, 1);
    mm_object_put(ff.obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_anon),  cmocka_unit_test(test_object_populate_resize),
        cmocka_unit_test(test_shared_anon),  cmocka_unit_test(test_private_file_cow),
        cmocka_unit_test(test_sigbus),       cmocka_unit_test(test_mmap_file_errors),
        cmocka_unit_test(test_split_mremap), cmocka_unit_test(test_shared_file),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/* No VFS in this test: the loader's interpreter opens find nothing. */
int vfs_open(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
             unsigned walk_flags, struct file **out_file)
{
    (void)t, (void)dirfd, (void)path, (void)flags, (void)mode, (void)walk_flags, (void)out_file;
    return -LINUX_ENOENT;
}

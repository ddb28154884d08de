/* Unit tests for sentry/mm/vma.c: VMA and pma sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "abi/linux/errno.h"
#include "sentry/mm/object.h"
#include "sentry/mm/vma.h"

#define PG 0x1000ULL
#define RW (VMA_PROT_READ | VMA_PROT_WRITE)
#define RWX (VMA_PROT_READ | VMA_PROT_WRITE | VMA_PROT_EXEC)

static struct vma mk(uint64_t start, uint64_t end, int prot)
{
    return (struct vma){.start = start, .end = end, .prot = prot, .max_prot = RWX};
}

static struct vma mk_obj(uint64_t start, uint64_t end, int prot, struct mm_object *obj,
                         uint64_t off)
{
    struct vma v = mk(start, end, prot);
    v.obj = obj;
    v.obj_off = off;
    return v;
}

/* The reference ops of every test set: they count object references the
 * way mm does (taking one per new piece, dropping one per piece gone). */
static int puts_count;
static void ref_get(const struct vma *v)
{
    if (v->obj) {
        assert_true(v->obj->refs > 0);
        v->obj->refs++;
    }
}

static void ref_put(const struct vma *v)
{
    if (v->obj) {
        assert_true(v->obj->refs > 0);
        v->obj->refs--;
        puts_count++;
    }
}

static const struct vma_ref_ops test_refs = {.get = ref_get, .put = ref_put};

static void check_vma(const struct vma_set *s, size_t i, uint64_t start, uint64_t end, int prot)
{
    assert_true(i < s->count);
    assert_int_equal(s->v[i].start, start);
    assert_int_equal(s->v[i].end, end);
    assert_int_equal(s->v[i].prot, prot);
}

/* Sorted, non-overlapping, page-aligned, non-empty. */
static void check_invariants(const struct vma_set *s)
{
    assert_true(s->count <= s->cap);
    for (size_t i = 0; i < s->count; i++) {
        assert_true(s->v[i].start < s->v[i].end);
        assert_int_equal(s->v[i].start % PG, 0);
        assert_int_equal(s->v[i].end % PG, 0);
        if (i > 0)
            assert_true(s->v[i - 1].end <= s->v[i].start);
    }
}

static void test_insert_merge(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct vma v = mk(0x10000, 0x11000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x11000, 0x12000, RW); /* right neighbour, compatible */
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0x10000, 0x12000, RW);

    v = mk(0xf000, 0x10000, RW); /* left neighbour, compatible */
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0xf000, 0x12000, RW);

    v = mk(0x12000, 0x13000, VMA_PROT_READ); /* different prot: no merge */
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 2);

    v = mk(0x13000, 0x14000, RW);
    v.max_prot = RW; /* different max_prot */
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 3);

    v = mk(0x14000, 0x15000, RW);
    v.max_prot = RW;
    v.flags = VMA_HEAP; /* different flags */
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 4);

    v = mk(0x15000, 0x16000, RW);
    v.max_prot = RW;
    v.flags = VMA_HEAP;
    v.name = "[heap]"; /* different name */
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 5);
    char name_copy[] = "[heap]"; /* equal name, other pointer */
    v = mk(0x16000, 0x17000, RW);
    v.max_prot = RW;
    v.flags = VMA_HEAP;
    v.name = name_copy;
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 5);
    check_invariants(&s);

    /* Filling the hole between two compatible VMAs merges all three. */
    struct vma_set t = {.refs = &test_refs};
    v = mk(0x1000, 0x2000, RW);
    assert_int_equal(vma_insert(&t, &v), 0);
    v = mk(0x5000, 0x6000, RW);
    assert_int_equal(vma_insert(&t, &v), 0);
    assert_int_equal(t.count, 2);
    v = mk(0x2000, 0x5000, RW);
    assert_int_equal(vma_insert(&t, &v), 0);
    assert_int_equal(t.count, 1);
    check_vma(&t, 0, 0x1000, 0x6000, RW);

    /* Not a hole, or a bad range. */
    v = mk(0x3000, 0x7000, RW);
    assert_int_equal(vma_insert(&t, &v), -LINUX_EEXIST);
    v = mk(0x0, 0x2000, RW);
    assert_int_equal(vma_insert(&t, &v), -LINUX_EEXIST);
    v = mk(0x8000, 0x8000, RW);
    assert_int_equal(vma_insert(&t, &v), -LINUX_EINVAL);
    v = mk(0x8000, 0x8800, RW);
    assert_int_equal(vma_insert(&t, &v), -LINUX_EINVAL);
    assert_int_equal(t.count, 1);

    vma_set_free(&s);
    vma_set_free(&t);
    assert_null(s.v);
    assert_int_equal(s.count, 0);
}

static void test_insert_many_sorted(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    /* Inserted in scrambled order, alternating prot so nothing merges. */
    for (uint64_t k = 0; k < 1000; k++) {
        uint64_t i = (k * 617) % 1000;
        struct vma v = mk((i * 2 + 1) * PG, (i * 2 + 2) * PG, (i % 2) ? RW : VMA_PROT_READ);
        assert_int_equal(vma_insert(&s, &v), 0);
    }
    assert_int_equal(s.count, 1000);
    check_invariants(&s);
    for (uint64_t i = 0; i < 1000; i++) {
        struct vma *v = vma_find(&s, (i * 2 + 1) * PG + 5);
        assert_non_null(v);
        assert_int_equal(v->start, (i * 2 + 1) * PG);
        assert_null(vma_find(&s, (i * 2) * PG));
    }
    vma_set_free(&s);
}

static void test_find(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    assert_null(vma_find(&s, 0x1000));
    assert_null(vma_find_next(&s, 0x1000));
    assert_int_equal(vma_lower_bound(&s, 0x1000), 0);
    assert_true(vma_range_free(&s, 0, UINT64_MAX));

    struct vma a = mk(0x1000, 0x3000, RW), b = mk(0x5000, 0x6000, VMA_PROT_READ);
    assert_int_equal(vma_insert(&s, &a), 0);
    assert_int_equal(vma_insert(&s, &b), 0);

    assert_null(vma_find(&s, 0x0));
    assert_null(vma_find(&s, 0xfff));
    assert_ptr_equal(vma_find(&s, 0x1000), &s.v[0]);
    assert_ptr_equal(vma_find(&s, 0x2fff), &s.v[0]);
    assert_null(vma_find(&s, 0x3000));
    assert_null(vma_find(&s, 0x4fff));
    assert_ptr_equal(vma_find(&s, 0x5000), &s.v[1]);
    assert_null(vma_find(&s, 0x6000));

    assert_ptr_equal(vma_find_next(&s, 0), &s.v[0]);
    assert_ptr_equal(vma_find_next(&s, 0x2000), &s.v[0]);
    assert_ptr_equal(vma_find_next(&s, 0x3000), &s.v[1]);
    assert_ptr_equal(vma_find_next(&s, 0x5fff), &s.v[1]);
    assert_null(vma_find_next(&s, 0x6000));

    assert_int_equal(vma_lower_bound(&s, 0), 0);
    assert_int_equal(vma_lower_bound(&s, 0x2fff), 0);
    assert_int_equal(vma_lower_bound(&s, 0x3000), 1);
    assert_int_equal(vma_lower_bound(&s, 0x6000), 2);

    assert_true(vma_range_free(&s, 0, 0x1000));
    assert_false(vma_range_free(&s, 0, 0x1001));
    assert_true(vma_range_free(&s, 0x3000, 0x5000));
    assert_false(vma_range_free(&s, 0x3000, 0x5001));
    assert_false(vma_range_free(&s, 0x2fff, 0x5000));
    assert_false(vma_range_free(&s, 0x0, 0x10000));
    assert_true(vma_range_free(&s, 0x6000, 0x10000));
    assert_true(vma_range_free(&s, 0x2000, 0x2000)); /* empty */
    vma_set_free(&s);
}

static void test_split(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct vma a = mk(0x1000, 0x5000, RW);
    assert_int_equal(vma_insert(&s, &a), 0);

    assert_int_equal(vma_split_at(&s, 0x3000), 0);
    assert_int_equal(s.count, 2);
    check_vma(&s, 0, 0x1000, 0x3000, RW);
    check_vma(&s, 1, 0x3000, 0x5000, RW);

    /* Boundaries and holes: no-ops. */
    assert_int_equal(vma_split_at(&s, 0x3000), 0);
    assert_int_equal(vma_split_at(&s, 0x1000), 0);
    assert_int_equal(vma_split_at(&s, 0x5000), 0);
    assert_int_equal(vma_split_at(&s, 0x9000), 0);
    assert_int_equal(vma_split_at(&s, 0), 0);
    assert_int_equal(s.count, 2);
    assert_int_equal(vma_split_at(&s, 0x2800), -LINUX_EINVAL);
    assert_int_equal(s.count, 2);

    /* merge_around puts the pieces back together. */
    vma_merge_around(&s, 1);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0x1000, 0x5000, RW);

    /* Splitting a VMA with an object: the new piece takes a reference and
     * its object offset advances. */
    struct mm_object obj = {.refs = 1, .size = 0x8000};
    struct vma b = mk_obj(0x10000, 0x18000, RW, &obj, 0x0);
    b.flags = VMA_SHARED;
    assert_int_equal(vma_insert(&s, &b), 0);
    assert_int_equal(vma_split_at(&s, 0x13000), 0);
    assert_int_equal(obj.refs, 2);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.v[1].obj_off, 0);
    assert_int_equal(s.v[2].obj_off, 0x3000);
    assert_ptr_equal(s.v[2].obj, &obj);
    assert_int_equal(vma_split_at(&s, 0x15000), 0);
    assert_int_equal(obj.refs, 3);
    assert_int_equal(s.v[3].obj_off, 0x5000);

    /* Merging pieces of the same object drops the extra references. */
    vma_merge_around(&s, 2);
    assert_int_equal(s.count, 2);
    assert_int_equal(obj.refs, 1);
    check_vma(&s, 1, 0x10000, 0x18000, RW);
    assert_int_equal(s.v[1].obj_off, 0);

    puts_count = 0;
    vma_set_free(&s);
    assert_int_equal(puts_count, 1);
    assert_int_equal(obj.refs, 0);
}

static void test_remove_middle(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct vma a = mk(0x1000, 0x9000, RW);
    assert_int_equal(vma_insert(&s, &a), 0);
    assert_int_equal(vma_remove_range(&s, 0x3000, 0x5000), 0);
    assert_int_equal(s.count, 2);
    check_vma(&s, 0, 0x1000, 0x3000, RW);
    check_vma(&s, 1, 0x5000, 0x9000, RW);
    assert_null(vma_find(&s, 0x3000));
    assert_null(vma_find(&s, 0x4fff));
    check_invariants(&s);
    vma_set_free(&s);
}

static void test_remove_across(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct vma v;
    v = mk(0x1000, 0x4000, VMA_PROT_READ);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x4000, 0x6000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x8000, 0x9000, VMA_PROT_READ);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x9000, 0xc000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x10000, 0x11000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 5);

    /* From the middle of the first to the middle of the fourth, across a
     * hole. */
    assert_int_equal(vma_remove_range(&s, 0x2000, 0xa000), 0);
    assert_int_equal(s.count, 3);
    check_vma(&s, 0, 0x1000, 0x2000, VMA_PROT_READ);
    check_vma(&s, 1, 0xa000, 0xc000, RW);
    check_vma(&s, 2, 0x10000, 0x11000, RW);

    /* Everything, from a hole to beyond the end. */
    assert_int_equal(vma_remove_range(&s, 0, 0x100000), 0);
    assert_int_equal(s.count, 0);
    vma_set_free(&s);
}

static void test_remove_edges(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct vma v = mk(0x10000, 0x20000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);

    /* Left edge. */
    assert_int_equal(vma_remove_range(&s, 0x10000, 0x12000), 0);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0x12000, 0x20000, RW);
    /* Right edge. */
    assert_int_equal(vma_remove_range(&s, 0x1e000, 0x20000), 0);
    check_vma(&s, 0, 0x12000, 0x1e000, RW);
    /* Overlapping the left edge from a hole. */
    assert_int_equal(vma_remove_range(&s, 0x8000, 0x13000), 0);
    check_vma(&s, 0, 0x13000, 0x1e000, RW);
    /* Overlapping the right edge into a hole. */
    assert_int_equal(vma_remove_range(&s, 0x1d000, 0x30000), 0);
    check_vma(&s, 0, 0x13000, 0x1d000, RW);
    /* In a hole only; empty; bad ranges. */
    assert_int_equal(vma_remove_range(&s, 0x40000, 0x50000), 0);
    assert_int_equal(vma_remove_range(&s, 0x14000, 0x14000), 0);
    assert_int_equal(vma_remove_range(&s, 0x14800, 0x15000), -LINUX_EINVAL);
    assert_int_equal(vma_remove_range(&s, 0x15000, 0x14000), -LINUX_EINVAL);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0x13000, 0x1d000, RW);
    /* Exactly the VMA. */
    assert_int_equal(vma_remove_range(&s, 0x13000, 0x1d000), 0);
    assert_int_equal(s.count, 0);
    vma_set_free(&s);
}

static void test_remove_obj_refs(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct mm_object obj = {.refs = 1, .size = 0x10000};
    struct vma v = mk_obj(0x100000, 0x110000, RW, &obj, 0x0);
    v.flags = VMA_SHARED;
    assert_int_equal(vma_insert(&s, &v), 0);

    puts_count = 0;
    assert_int_equal(vma_remove_range(&s, 0x104000, 0x106000), 0);
    assert_int_equal(puts_count, 1);
    assert_int_equal(obj.refs, 2); /* left and right pieces */
    assert_int_equal(s.count, 2);
    check_vma(&s, 0, 0x100000, 0x104000, RW);
    check_vma(&s, 1, 0x106000, 0x110000, RW);
    assert_int_equal(s.v[0].obj_off, 0);
    assert_int_equal(s.v[1].obj_off, 0x6000);

    /* The middle is gone; re-inserting it merges everything back into one
     * VMA holding one reference (the caller's new reference is absorbed). */
    obj.refs++;
    v = mk_obj(0x104000, 0x106000, RW, &obj, 0x4000);
    v.flags = VMA_SHARED;
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 1);
    assert_int_equal(obj.refs, 1);

    /* A piece with a non-contiguous object offset does not merge. */
    struct mm_object obj2 = {.refs = 1, .size = 0x10000};
    v = mk_obj(0x110000, 0x112000, RW, &obj2, 0x0);
    v.flags = VMA_SHARED;
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 2);
    obj.refs++;
    v = mk_obj(0x112000, 0x113000, RW, &obj, 0x0); /* obj off 0 != 0x12000 */
    v.flags = VMA_SHARED;
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x113000, 0x114000, RW); /* anonymous next to an object */
    v.flags = VMA_SHARED;
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 4);
    assert_int_equal(obj.refs, 2);

    /* Remove across all four: two pieces of obj, one of obj2 and the
     * anonymous one; cut inside the first. */
    puts_count = 0;
    assert_int_equal(vma_remove_range(&s, 0x10f000, 0x114000), 0);
    assert_int_equal(puts_count, 3);
    assert_int_equal(obj.refs, 1);
    assert_int_equal(obj2.refs, 0);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0x100000, 0x10f000, RW);

    puts_count = 0;
    vma_set_free(&s);
    assert_int_equal(puts_count, 1);
    assert_int_equal(obj.refs, 0);
}

static void test_protect(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct vma v = mk(0x1000, 0x9000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);

    /* Middle: splits in three. */
    assert_int_equal(vma_protect(&s, 0x3000, 0x5000, VMA_PROT_READ), 0);
    assert_int_equal(s.count, 3);
    check_vma(&s, 0, 0x1000, 0x3000, RW);
    check_vma(&s, 1, 0x3000, 0x5000, VMA_PROT_READ);
    check_vma(&s, 2, 0x5000, 0x9000, RW);
    /* Back: merges into one. */
    assert_int_equal(vma_protect(&s, 0x3000, 0x5000, RW), 0);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0x1000, 0x9000, RW);

    /* Edges. */
    assert_int_equal(vma_protect(&s, 0x1000, 0x2000, VMA_PROT_READ), 0);
    assert_int_equal(vma_protect(&s, 0x8000, 0x9000, VMA_PROT_READ), 0);
    assert_int_equal(s.count, 3);
    check_vma(&s, 0, 0x1000, 0x2000, VMA_PROT_READ);
    check_vma(&s, 2, 0x8000, 0x9000, VMA_PROT_READ);
    /* Whole range across three VMAs: one VMA again. */
    assert_int_equal(vma_protect(&s, 0x1000, 0x9000, 0), 0);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0x1000, 0x9000, 0);
    /* Same prot: no change. */
    assert_int_equal(vma_protect(&s, 0x2000, 0x3000, 0), 0);
    assert_int_equal(s.count, 1);
    /* Empty range. */
    assert_int_equal(vma_protect(&s, 0x2000, 0x2000, RW), 0);
    assert_int_equal(s.count, 1);
    check_vma(&s, 0, 0x1000, 0x9000, 0);
    assert_int_equal(vma_protect(&s, 0x2800, 0x3000, RW), -LINUX_EINVAL);
    vma_set_free(&s);
}

static void test_protect_errors(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct vma v = mk(0x1000, 0x3000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x4000, 0x6000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x6000, 0x8000, VMA_PROT_READ);
    v.max_prot = VMA_PROT_READ;
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(s.count, 3);

    /* Holes: ENOMEM, nothing changed. */
    assert_int_equal(vma_protect(&s, 0x2000, 0x5000, VMA_PROT_READ), -LINUX_ENOMEM);
    assert_int_equal(vma_protect(&s, 0x0, 0x2000, VMA_PROT_READ), -LINUX_ENOMEM);
    assert_int_equal(vma_protect(&s, 0x5000, 0x9000, VMA_PROT_READ), -LINUX_ENOMEM);
    assert_int_equal(vma_protect(&s, 0x10000, 0x11000, VMA_PROT_READ), -LINUX_ENOMEM);
    /* Beyond max_prot: EACCES, nothing changed. */
    assert_int_equal(vma_protect(&s, 0x5000, 0x7000, RW), -LINUX_EACCES);
    assert_int_equal(vma_protect(&s, 0x6000, 0x8000, VMA_PROT_EXEC), -LINUX_EACCES);
    /* The first problem in address order decides. */
    assert_int_equal(vma_protect(&s, 0x6000, 0x9000, RW), -LINUX_EACCES);
    assert_int_equal(vma_protect(&s, 0x2000, 0x7000, RW), -LINUX_ENOMEM);

    assert_int_equal(s.count, 3);
    check_vma(&s, 0, 0x1000, 0x3000, RW);
    check_vma(&s, 1, 0x4000, 0x6000, RW);
    check_vma(&s, 2, 0x6000, 0x8000, VMA_PROT_READ);

    /* Within max_prot. */
    assert_int_equal(vma_protect(&s, 0x5000, 0x7000, VMA_PROT_READ), 0);
    assert_int_equal(s.count, 4);
    check_vma(&s, 2, 0x5000, 0x6000, VMA_PROT_READ);
    check_vma(&s, 3, 0x6000, 0x8000, VMA_PROT_READ); /* max_prot differs: no merge */
    vma_set_free(&s);
}

static void test_protect_obj(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    struct mm_object obj = {.refs = 1, .size = 0x8000};
    struct vma v = mk_obj(0x10000, 0x18000, RW, &obj, 0x1000);
    v.flags = VMA_SHARED;
    assert_int_equal(vma_insert(&s, &v), 0);
    assert_int_equal(vma_protect(&s, 0x12000, 0x13000, VMA_PROT_READ), 0);
    assert_int_equal(s.count, 3);
    assert_int_equal(obj.refs, 3);
    assert_int_equal(s.v[1].obj_off, 0x3000);
    assert_int_equal(s.v[2].obj_off, 0x4000);
    assert_int_equal(vma_protect(&s, 0x12000, 0x13000, RW), 0);
    assert_int_equal(s.count, 1);
    assert_int_equal(obj.refs, 1);
    assert_int_equal(s.v[0].obj_off, 0x1000);
    puts_count = 0;
    vma_set_free(&s);
    assert_int_equal(puts_count, 1);
}

static void test_gap(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    /* Empty set. */
    assert_int_equal(vma_find_gap_down(&s, 0x2000, 0x10000, 0x100000), 0xfe000);
    assert_int_equal(vma_find_gap_down(&s, 0x2000, 0x10000, 0x100800), 0xfe000);
    assert_int_equal(vma_find_gap_down(&s, 0xf0000, 0x10000, 0x100000), 0x10000);
    assert_int_equal(vma_find_gap_down(&s, 0xf1000, 0x10000, 0x100000), 0);
    assert_int_equal(vma_find_gap_down(&s, 0, 0x10000, 0x100000), 0);
    assert_int_equal(vma_find_gap_down(&s, 0x200000, 0x10000, 0x100000), 0);

    struct vma v = mk(0xf0000, 0x100000, RW);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0xe0000, 0xe8000, VMA_PROT_READ);
    assert_int_equal(vma_insert(&s, &v), 0);
    v = mk(0x20000, 0xd0000, VMA_PROT_READ);
    assert_int_equal(vma_insert(&s, &v), 0);
    /* holes: [0, 0x20000) [0xd0000, 0xe0000) [0xe8000, 0xf0000) */

    /* Top inside a VMA. */
    assert_int_equal(vma_find_gap_down(&s, 0x1000, 0x10000, 0xf8000), 0xef000);
    assert_int_equal(vma_find_gap_down(&s, 0x8000, 0x10000, 0x100000), 0xe8000);
    assert_int_equal(vma_find_gap_down(&s, 0x9000, 0x10000, 0x100000), 0xd7000);
    assert_int_equal(vma_find_gap_down(&s, 0x10000, 0x10000, 0x100000), 0xd0000);
    assert_int_equal(vma_find_gap_down(&s, 0x11000, 0x1000, 0x100000), 0xf000);
    /* Floor cuts it. */
    assert_int_equal(vma_find_gap_down(&s, 0x11000, 0x10000, 0x100000), 0);
    assert_int_equal(vma_find_gap_down(&s, 0x10000, 0x10000, 0x20000), 0x10000);
    assert_int_equal(vma_find_gap_down(&s, 0x10000, 0x11000, 0x20000), 0);
    assert_int_equal(vma_find_gap_down(&s, 0x1000, 0xd8000, 0xe0000), 0xdf000);
    assert_int_equal(vma_find_gap_down(&s, 0x8000, 0xd8000, 0xe0000), 0xd8000);
    assert_int_equal(vma_find_gap_down(&s, 0x8000, 0xd8001, 0xe0000), 0);
    /* Top above every VMA. */
    assert_int_equal(vma_find_gap_down(&s, 0x1000, 0x10000, 0x200000), 0x1ff000);
    /* Top below every VMA. */
    assert_int_equal(vma_find_gap_down(&s, 0x1000, 0x1000, 0x20000), 0x1f000);
    /* Top at a VMA's start. */
    assert_int_equal(vma_find_gap_down(&s, 0x1000, 0x1000, 0xf0000), 0xef000);
    /* Top inside the lowest VMA: only the bottom hole is left. */
    assert_int_equal(vma_find_gap_down(&s, 0x1000, 0x1000, 0x50000), 0x1f000);
    vma_set_free(&s);
}

static void test_pma(void **state)
{
    (void)state;
    struct pma_set s = {0};
    struct pma p = {.start = 0x10000, .end = 0x14000, .mf_off = 0x100000, .private_owned = true};
    assert_int_equal(pma_insert(&s, &p), 0);
    /* Contiguous in address and memory file: merges. */
    p = (struct pma){.start = 0x14000, .end = 0x16000, .mf_off = 0x104000, .private_owned = true};
    assert_int_equal(pma_insert(&s, &p), 0);
    assert_int_equal(s.count, 1);
    /* Not contiguous in the memory file: separate. */
    p = (struct pma){.start = 0x16000, .end = 0x18000, .mf_off = 0x200000, .private_owned = true};
    assert_int_equal(pma_insert(&s, &p), 0);
    /* Shared (not owned): separate even if contiguous. */
    p = (struct pma){.start = 0x18000, .end = 0x19000, .mf_off = 0x202000, .private_owned = false};
    assert_int_equal(pma_insert(&s, &p), 0);
    assert_int_equal(s.count, 3);
    /* Not a hole. */
    p = (struct pma){.start = 0x15000, .end = 0x17000, .mf_off = 0x0, .private_owned = true};
    assert_int_equal(pma_insert(&s, &p), -LINUX_EEXIST);

    assert_null(pma_find(&s, 0xffff));
    assert_ptr_equal(pma_find(&s, 0x10000), &s.v[0]);
    assert_ptr_equal(pma_find(&s, 0x15fff), &s.v[0]);
    assert_ptr_equal(pma_find(&s, 0x16000), &s.v[1]);
    assert_ptr_equal(pma_find(&s, 0x18fff), &s.v[2]);
    assert_null(pma_find(&s, 0x19000));
    assert_int_equal(pma_lower_bound(&s, 0x16000), 1);
    assert_int_equal(pma_lower_bound(&s, 0x19000), 3);
    pma_set_free(&s, NULL);
}

static uint64_t rel_off[16], rel_len[16];
static int rel_count;
static void release(uint64_t mf_off, uint64_t len)
{
    assert_true(rel_count < 16);
    rel_off[rel_count] = mf_off;
    rel_len[rel_count] = len;
    rel_count++;
}

static void test_pma_remove(void **state)
{
    (void)state;
    struct pma_set s = {0};
    struct pma p = {.start = 0x10000, .end = 0x20000, .mf_off = 0x100000, .private_owned = true};
    assert_int_equal(pma_insert(&s, &p), 0);

    /* Middle: the right piece's mf_off advances. */
    rel_count = 0;
    assert_int_equal(pma_remove_range(&s, 0x13000, 0x15000, release), 0);
    assert_int_equal(rel_count, 1);
    assert_int_equal(rel_off[0], 0x103000);
    assert_int_equal(rel_len[0], 0x2000);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.v[0].start, 0x10000);
    assert_int_equal(s.v[0].end, 0x13000);
    assert_int_equal(s.v[0].mf_off, 0x100000);
    assert_int_equal(s.v[1].start, 0x15000);
    assert_int_equal(s.v[1].end, 0x20000);
    assert_int_equal(s.v[1].mf_off, 0x105000);

    /* A shared piece: removed without release. */
    p = (struct pma){.start = 0x20000, .end = 0x24000, .mf_off = 0x300000, .private_owned = false};
    assert_int_equal(pma_insert(&s, &p), 0);
    assert_int_equal(s.count, 3);

    /* Across: the tail of the second and the head of the shared one. */
    rel_count = 0;
    assert_int_equal(pma_remove_range(&s, 0x1e000, 0x22000, release), 0);
    assert_int_equal(rel_count, 1);
    assert_int_equal(rel_off[0], 0x10e000);
    assert_int_equal(rel_len[0], 0x2000);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.v[1].end, 0x1e000);
    assert_int_equal(s.v[2].start, 0x22000);
    assert_int_equal(s.v[2].mf_off, 0x302000);
    assert_false(s.v[2].private_owned);

    /* Empty and hole-only ranges do nothing. */
    rel_count = 0;
    assert_int_equal(pma_remove_range(&s, 0x1e000, 0x22000, release), 0);
    assert_int_equal(pma_remove_range(&s, 0x15000, 0x15000, release), 0);
    assert_int_equal(rel_count, 0);
    assert_int_equal(s.count, 3);
    assert_int_equal(pma_remove_range(&s, 0x15800, 0x16000, release), -LINUX_EINVAL);

    /* Free releases only what is owned. */
    rel_count = 0;
    pma_set_free(&s, release);
    assert_int_equal(rel_count, 2);
    assert_int_equal(rel_off[0], 0x100000);
    assert_int_equal(rel_len[0], 0x3000);
    assert_int_equal(rel_off[1], 0x105000);
    assert_int_equal(rel_len[1], 0x9000);
    assert_null(s.v);
}

/* ---- Randomised comparison against a page-by-page model ---- */

#define MODEL_PAGES 192
#define MODEL_OBJS 4

struct page_model {
    bool mapped;
    int prot, max_prot, flags;
    int obj;          /* -1 for none */
    uint64_t obj_off; /* object offset of this page */
};

static struct page_model model[MODEL_PAGES];
static struct mm_object model_objs[MODEL_OBJS];

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool model_free(uint64_t a, uint64_t b)
{
    for (uint64_t p = a; p < b; p++) {
        if (model[p].mapped)
            return false;
    }
    return true;
}

static void model_check(const struct vma_set *s)
{
    check_invariants(s);
    int refs[MODEL_OBJS] = {0};
    for (size_t i = 0; i < s->count; i++) {
        const struct vma *v = &s->v[i];
        if (i > 0) {
            const struct vma *u = &s->v[i - 1];
            /* Maximally merged: no two neighbours are compatible. */
            bool same = u->end == v->start && u->prot == v->prot && u->max_prot == v->max_prot &&
                        u->flags == v->flags && u->obj == v->obj &&
                        (!u->obj || u->obj_off + (u->end - u->start) == v->obj_off);
            assert_false(same);
        }
        if (v->obj)
            refs[v->obj - model_objs]++;
        assert_true(v->end / PG <= MODEL_PAGES);
    }
    for (int k = 0; k < MODEL_OBJS; k++)
        assert_int_equal(model_objs[k].refs, refs[k]);
    for (uint64_t p = 0; p < MODEL_PAGES; p++) {
        struct vma *v = vma_find((struct vma_set *)s, p * PG + 7);
        if (!model[p].mapped) {
            assert_null(v);
            continue;
        }
        assert_non_null(v);
        assert_int_equal(v->prot, model[p].prot);
        assert_int_equal(v->max_prot, model[p].max_prot);
        assert_int_equal(v->flags, model[p].flags);
        if (model[p].obj < 0) {
            assert_null(v->obj);
        } else {
            assert_ptr_equal(v->obj, &model_objs[model[p].obj]);
            assert_int_equal(v->obj_off + (p * PG - v->start), model[p].obj_off);
        }
    }
}

static void test_random_model(void **state)
{
    (void)state;
    struct vma_set s = {.refs = &test_refs};
    memset(model, 0, sizeof(model));
    memset(model_objs, 0, sizeof(model_objs));
    for (int iter = 0; iter < 20000; iter++) {
        uint64_t a = rng() % MODEL_PAGES;
        uint64_t b = a + 1 + rng() % 24;
        if (b > MODEL_PAGES)
            b = MODEL_PAGES;
        int op = (int)(rng() % 4);
        if (op == 0) {
            struct vma v = mk(a * PG, b * PG, (int)(rng() % 4));
            v.max_prot = (rng() % 4) ? RWX : RW;
            if ((v.prot & ~v.max_prot) != 0)
                v.prot &= v.max_prot;
            v.flags = (rng() % 8) ? 0 : VMA_HEAP;
            int obj = (rng() % 3) ? -1 : (int)(rng() % MODEL_OBJS);
            uint64_t off = (rng() % 3) * PG;
            if (obj >= 0) {
                v.obj = &model_objs[obj];
                v.obj_off = off;
                /* Sometimes continue the object of the page below. */
                if (a > 0 && model[a - 1].mapped && model[a - 1].obj == obj && rng() % 2)
                    v.obj_off = off = model[a - 1].obj_off + PG;
                v.flags |= VMA_SHARED;
            }
            bool was_free = model_free(a, b);
            if (obj >= 0)
                model_objs[obj].refs++;
            int err = vma_insert(&s, &v);
            if (!was_free) {
                assert_int_equal(err, -LINUX_EEXIST);
                if (obj >= 0)
                    model_objs[obj].refs--;
                continue;
            }
            assert_int_equal(err, 0);
            for (uint64_t p = a; p < b; p++) {
                model[p] = (struct page_model){true,    v.prot, v.max_prot,
                                               v.flags, obj,    obj >= 0 ? off + (p - a) * PG : 0};
            }
        } else if (op == 1) {
            assert_int_equal(vma_remove_range(&s, a * PG, b * PG), 0);
            for (uint64_t p = a; p < b; p++)
                model[p].mapped = false;
        } else if (op == 2) {
            int prot = (int)(rng() % 8);
            int expect = 0;
            for (uint64_t p = a; p < b && !expect; p++) {
                if (!model[p].mapped)
                    expect = -LINUX_ENOMEM;
                else if (prot & ~model[p].max_prot)
                    expect = -LINUX_EACCES;
            }
            assert_int_equal(vma_protect(&s, a * PG, b * PG, prot), expect);
            if (!expect) {
                for (uint64_t p = a; p < b; p++)
                    model[p].prot = prot;
            }
        } else {
            uint64_t len = (1 + rng() % 8) * PG;
            uint64_t floor = (rng() % 32) * PG;
            uint64_t top = a * PG + (rng() % 2) * 0x800;
            uint64_t expect = 0;
            for (uint64_t cand = top >= len ? (top - len) & ~(PG - 1) : 0;; cand -= PG) {
                if (top < len || cand < floor)
                    break;
                if (model_free(cand / PG, (cand + len + PG - 1) / PG)) {
                    expect = cand;
                    break;
                }
                if (cand < PG)
                    break;
            }
            assert_int_equal(vma_find_gap_down(&s, len, floor, top), expect);
            assert_int_equal(vma_range_free(&s, a * PG, b * PG), model_free(a, b));
        }
        model_check(&s);
    }
    vma_set_free(&s);
    for (int k = 0; k < MODEL_OBJS; k++)
        assert_int_equal(model_objs[k].refs, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_merge),  cmocka_unit_test(test_insert_many_sorted),
        cmocka_unit_test(test_find),          cmocka_unit_test(test_split),
        cmocka_unit_test(test_remove_middle), cmocka_unit_test(test_remove_across),
        cmocka_unit_test(test_remove_edges),  cmocka_unit_test(test_remove_obj_refs),
        cmocka_unit_test(test_protect),       cmocka_unit_test(test_protect_errors),
        cmocka_unit_test(test_protect_obj),   cmocka_unit_test(test_gap),
        cmocka_unit_test(test_pma),           cmocka_unit_test(test_pma_remove),
        cmocka_unit_test(test_random_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

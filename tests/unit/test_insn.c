/* insn_writes_memory: the store classifier behind REG_ERR's write bit.
 * Byte sequences are what gcc/gas emit for the instruction in the comment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sentry/kernel/insn.h"

#define W(...)                                                                                     \
    do {                                                                                           \
        const uint8_t c[] = {__VA_ARGS__};                                                         \
        assert_true(insn_writes_memory(c, sizeof(c)));                                             \
    } while (0)
#define R(...)                                                                                     \
    do {                                                                                           \
        const uint8_t c[] = {__VA_ARGS__};                                                         \
        assert_false(insn_writes_memory(c, sizeof(c)));                                            \
    } while (0)

static void test_stores(void **state)
{
    (void)state;
    W(0x89, 0x07);                         /* mov %eax,(%rdi) */
    W(0x48, 0x89, 0x07);                   /* mov %rax,(%rdi) */
    W(0x88, 0x07);                         /* mov %al,(%rdi) */
    W(0xc7, 0x07, 1, 0, 0, 0);             /* movl $1,(%rdi) */
    W(0x66, 0xc7, 0x07, 1, 0);             /* movw $1,(%rdi) */
    W(0xc6, 0x07, 0x78);                   /* movb $'x',(%rdi) */
    W(0x01, 0x07);                         /* add %eax,(%rdi) */
    W(0x83, 0x07, 0x01);                   /* addl $1,(%rdi) */
    W(0xf0, 0x0f, 0xb1, 0x17);             /* lock cmpxchg %edx,(%rdi) */
    W(0xff, 0x07);                         /* incl (%rdi) */
    W(0x50);                               /* push %rax */
    W(0xe8, 0, 0, 0, 0);                   /* call */
    W(0xf3, 0xab);                         /* rep stos */
    W(0x0f, 0x29, 0x07);                   /* movaps %xmm0,(%rdi) */
    W(0xf3, 0x0f, 0x7f, 0x07);             /* movdqu %xmm0,(%rdi) */
    W(0x66, 0x0f, 0x7e, 0x07);             /* movd %xmm0,(%rdi) */
    W(0xc5, 0xfe, 0x7f, 0x07);             /* vmovdqu %ymm0,(%rdi) */
    W(0xc4, 0xe1, 0x7c, 0x29, 0x07);       /* vmovaps %ymm0,(%rdi) */
    W(0x0f, 0x94, 0x07);                   /* sete (%rdi) */
}

static void test_loads(void **state)
{
    (void)state;
    R(0x8b, 0x07);                   /* mov (%rdi),%eax */
    R(0x48, 0x8b, 0x07);             /* mov (%rdi),%rax */
    R(0x0f, 0xb6, 0x07);             /* movzbl (%rdi),%eax */
    R(0x39, 0x07);                   /* cmp %eax,(%rdi) */
    R(0x83, 0x3f, 0x01);             /* cmpl $1,(%rdi) */
    R(0x03, 0x07);                   /* add (%rdi),%eax */
    R(0x89, 0xc7);                   /* mov %eax,%edi: no memory */
    R(0x0f, 0x28, 0x07);             /* movaps (%rdi),%xmm0 */
    R(0xf3, 0x0f, 0x7e, 0x07);       /* movq (%rdi),%xmm0 */
    R(0xc5, 0xfe, 0x6f, 0x07);       /* vmovdqu (%rdi),%ymm0 */
    R(0xf6, 0x07, 0x01);             /* testb $1,(%rdi) */
    R(0x89);                         /* truncated */
    R(0x66, 0x66, 0x66);             /* prefixes only */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stores),
        cmocka_unit_test(test_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

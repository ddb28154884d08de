/* Store detection for faulting instructions (see insn.h). */
#include "sentry/kernel/insn.h"

/* The ModRM byte names a memory operand (mod != 3). */
static bool modrm_mem(const uint8_t *p, const uint8_t *end)
{
    return p < end && (*p >> 6) != 3;
}

static unsigned modrm_reg(const uint8_t *p)
{
    return (*p >> 3) & 7;
}

/* Two-byte (0F xx) and VEX map-1 opcodes that store their r/m operand. */
static bool op0f_stores(uint8_t op, const uint8_t *modrm, const uint8_t *end, bool opsize)
{
    switch (op) {
    case 0x11: /* movups/movupd/movss/movsd store */
    case 0x13: /* movlps/movlpd store */
    case 0x17: /* movhps/movhpd store */
    case 0x29: /* movaps/movapd store */
    case 0x2b: /* movntps/movntpd */
    case 0x7f: /* movq/movdqa/movdqu store */
    case 0xe7: /* movntq/movntdq */
    case 0xd6: /* movq xmm to m64 */
    case 0xc3: /* movnti */
    case 0xb0: /* cmpxchg */
    case 0xb1:
    case 0xc0: /* xadd */
    case 0xc1:
    case 0xab: /* bts, btr, btc */
    case 0xb3:
    case 0xbb:
        return modrm_mem(modrm, end);
    case 0x7e: /* movd/movq to r/m only with 66 (F3 0F 7E is a load) */
        return opsize && modrm_mem(modrm, end);
    case 0xba: /* bt group: bts/btr/btc */
        return modrm_mem(modrm, end) && modrm_reg(modrm) >= 5;
    case 0xc7: /* cmpxchg8b/16b */
        return modrm_mem(modrm, end) && modrm_reg(modrm) == 1;
    default:
        return op >= 0x90 && op <= 0x9f && modrm_mem(modrm, end); /* setcc */
    }
}

bool insn_writes_memory(const uint8_t *code, size_t len)
{
    const uint8_t *p = code, *end = code + (len > 15 ? 15 : len);
    bool opsize = false;
    /* Legacy prefixes, then at most one REX. */
    while (p < end) {
        uint8_t b = *p;
        if (b == 0x66)
            opsize = true;
        else if (!(b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0xf0 || b == 0x2e || b == 0x36 ||
                   b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65))
            break;
        p++;
    }
    if (p < end && (*p & 0xf0) == 0x40)
        p++;
    if (p >= end)
        return false;
    uint8_t op = *p++;
    /* VEX: only map 1 (0F) stores are recognised. */
    if (op == 0xc5 || op == 0xc4) {
        if (op == 0xc5) {
            if (p + 1 >= end)
                return false;
            opsize = (p[0] & 3) == 1;
            return op0f_stores(p[1], p + 2, end, opsize);
        }
        if (p + 2 >= end || (p[0] & 0x1f) != 1)
            return false;
        opsize = (p[1] & 3) == 1;
        return op0f_stores(p[2], p + 3, end, opsize);
    }
    if (op == 0x0f)
        return p < end && op0f_stores(p[0], p + 1, end, opsize);
    /* ALU ops with the r/m operand as destination (add, or, adc, sbb, and,
     * sub, xor; not cmp). */
    if (op < 0x40 && (op & 7) <= 1 && (op & 0xf8) != 0x38)
        return modrm_mem(p, end);
    switch (op) {
    case 0x88: /* mov r/m, r */
    case 0x89:
    case 0xc6: /* mov r/m, imm */
    case 0xc7:
    case 0x86: /* xchg */
    case 0x87:
    case 0x8f: /* pop r/m */
    case 0xc0: /* shifts and rotates */
    case 0xc1:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return modrm_mem(p, end);
    case 0x80: /* group 1 with an immediate: all but cmp */
    case 0x81:
    case 0x83:
        return modrm_mem(p, end) && modrm_reg(p) != 7;
    case 0xf6: /* not, neg */
    case 0xf7:
        return modrm_mem(p, end) && (modrm_reg(p) == 2 || modrm_reg(p) == 3);
    case 0xfe: /* inc, dec */
        return modrm_mem(p, end) && modrm_reg(p) <= 1;
    case 0xff: /* inc, dec; call and push write the stack */
        return p < end && (modrm_reg(p) <= 3 || modrm_reg(p) == 6);
    case 0x68: /* push imm, call: the stack */
    case 0x6a:
    case 0xe8:
    case 0xaa: /* stos, movs */
    case 0xab:
    case 0xa4:
    case 0xa5:
        return true;
    default:
        return op >= 0x50 && op <= 0x57; /* push r */
    }
}

/*
 * regs.c - qemulib_read_register in C: reads a vCPU's registers from its
 * register block (internal/x86 Regs, outside the Go heap) through the
 * register table Go gives at load (x86.RegTable), so that C and Go read
 * the same register under the same number by construction.
 */
#include <stdint.h>
#include <string.h>

#include "cplugin.h"
#include "plugins.h"

/* The tables of user mode and of system mode. The offsets of the
   register block they hold besides the slots are the same in both. */
static struct gemu_regmap regmap, regmap_sys;

void gemu_set_regmap(const struct gemu_regmap *m, int sys)
{
    if (sys) {
        regmap_sys = *m;
    } else {
        regmap = *m;
    }
}

const struct gemu_regmap *gemu_regmap_of(int sys)
{
    return sys ? &regmap_sys : &regmap;
}

/* load reads size (1, 2, 4 or 8) bytes at regs+off, little endian: fixed
   sizes, so that each is one load (a variable-length copy into a local
   made every register read stall on store forwarding). */
static inline uint64_t load(const uint8_t *regs, uint32_t off, int size)
{
    const uint8_t *p = regs + off;
    switch (size) {
    case 1:
        return p[0];
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case 8: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    default: {
        uint64_t v = 0;
        memcpy(&v, p, (size_t)size);
        return v;
    }
    }
}

/* store writes the low size bytes of v at buf, little endian. */
static inline void store(uint8_t *buf, uint64_t v, int size)
{
    switch (size) {
    case 1:
        buf[0] = (uint8_t)v;
        break;
    case 2: {
        uint16_t w = (uint16_t)v;
        memcpy(buf, &w, 2);
        break;
    }
    case 4: {
        uint32_t w = (uint32_t)v;
        memcpy(buf, &w, 4);
        break;
    }
    case 8:
        memcpy(buf, &v, 8);
        break;
    default:
        memcpy(buf, &v, (size_t)size);
        break;
    }
}

/* Lazy flags, as internal/x86 flags.go evaluates them. */
enum {
    F_NONE = GEMU_LAZY_NONE,
    F_ADD = GEMU_LAZY_ADD,
    F_ADC = GEMU_LAZY_ADC,
    F_SUB = GEMU_LAZY_SUB,
    F_SBB = GEMU_LAZY_SBB,
    F_LOGIC = GEMU_LAZY_LOGIC,
    F_INC = GEMU_LAZY_INC,
    F_DEC = GEMU_LAZY_DEC,
    F_RES = GEMU_LAZY_RES,
};
enum { CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, OF = 1 << 11 };

static uint64_t eflags(const uint8_t *regs)
{
    const struct gemu_regmap *m = &regmap;
    uint64_t flags = load(regs, m->flags, 8);
    int op = m->lazy_kind[regs[m->lazy_op]];
    if (op == F_NONE) {
        return flags;
    }
    int size = regs[m->lazy_size];
    uint64_t res = load(regs, m->lazy_res, 8), a = load(regs, m->lazy_a, 8),
             b = load(regs, m->lazy_b, 8), cin = load(regs, m->lazy_cin, 8);
    uint64_t sb = size >= 1 && size <= 8 ? (uint64_t)1 << (size * 8 - 1) : 0;
    int cf = 0, of = 0, af = 0;
    switch (op) {
    case F_ADD:
        cf = res < a;
        of = ((a ^ res) & (b ^ res) & sb) != 0;
        af = ((a ^ b ^ res) & 0x10) != 0;
        break;
    case F_ADC:
        cf = cin != 0 ? res <= a : res < a;
        of = ((a ^ res) & (b ^ res) & sb) != 0;
        af = ((a ^ b ^ res) & 0x10) != 0;
        break;
    case F_SUB:
        cf = a < b;
        of = ((a ^ b) & (a ^ res) & sb) != 0;
        af = ((a ^ b ^ res) & 0x10) != 0;
        break;
    case F_SBB:
        cf = cin != 0 ? a <= b : a < b;
        of = ((a ^ b) & (a ^ res) & sb) != 0;
        af = ((a ^ b ^ res) & 0x10) != 0;
        break;
    case F_LOGIC:
        break;
    case F_INC:
        cf = cin != 0;
        of = res == sb;
        af = (res & 0xf) == 0;
        break;
    case F_DEC:
        cf = cin != 0;
        of = res == sb - 1;
        af = (res & 0xf) == 0xf;
        break;
    case F_RES:
        cf = (a & CF) != 0;
        of = (a & OF) != 0;
        af = (a & AF) != 0;
        break;
    default:
        return flags;
    }
    uint64_t f = flags & ~(uint64_t)(CF | PF | AF | ZF | SF | OF);
    f |= cf ? CF : 0;
    f |= __builtin_parity((uint8_t)res) ? 0 : PF;
    f |= af ? AF : 0;
    f |= res == 0 ? ZF : 0;
    f |= (res & sb) != 0 ? SF : 0;
    f |= of ? OF : 0;
    return f;
}

/* The x87 register file: physical registers of 16 bytes (significand,
   sign and exponent), TOP, the empty flags, the status word. */
static int st_tag(const uint8_t *r)
{
    uint64_t mant = load(r, 0, 8);
    unsigned exp = (unsigned)load(r, 8, 2) & 0x7fff;
    if (exp == 0x7fff) {
        return 2;
    }
    if (exp == 0) {
        return mant == 0 ? 1 : 2;
    }
    return mant >> 63 == 0 ? 2 : 0;
}

static uint64_t full_tag(const uint8_t *regs)
{
    const struct gemu_regmap *m = &regmap;
    uint64_t tw = 0;
    for (int i = 7; i >= 0; i--) {
        tw <<= 2;
        if (regs[m->x87_empty + i]) {
            tw |= 3;
            continue;
        }
        tw |= (uint64_t)st_tag(regs + m->x87_st + 16 * i);
    }
    return tw;
}

/* read_register is qemulib_read_register's work, also reached by the
   tests through gemu_read_register; inlined into the former, which a
   per-instruction callback may call every time. */
static inline __attribute__((always_inline)) int read_register(const struct gemu_vcpu *v,
                                                               uint8_t *buf, int reg)
{
    const struct gemu_regmap *m = v->regmap != NULL ? v->regmap : &regmap;
    const uint8_t *regs = (const uint8_t *)v->regs;
    if (regs == NULL || reg < 0 || reg >= m->n) {
        return 0;
    }
    const struct gemu_regslot *s = &m->slot[reg];
    uint64_t val;
    /* The common case first: a general register, rip or a base, 8 bytes
       in the block, read whole or as its low half. */
    if (s->kind == GEMU_REG_PLAIN && s->srcsize == 8 && s->shift == 0) {
        memcpy(&val, regs + s->off, 8);
        val &= s->mask;
        if (s->size == 8) {
            memcpy(buf, &val, 8);
            return 8;
        }
        if (s->size == 4) {
            uint32_t w = (uint32_t)val;
            memcpy(buf, &w, 4);
            return 4;
        }
    }
    switch (s->kind) {
    case GEMU_REG_PLAIN:
        val = load(regs, s->off, s->srcsize) >> s->shift & s->mask;
        break;
    case GEMU_REG_EFLAGS:
        val = eflags(regs);
        break;
    case GEMU_REG_ST: {
        int top = regs[m->x87_top] & 7;
        memcpy(buf, regs + m->x87_st + 16 * ((top + (int)s->shift) & 7), 10);
        return 10;
    }
    case GEMU_REG_FSTAT:
        val = (load(regs, m->x87_sw, 2) & ~(uint64_t)0x3800) | (uint64_t)(regs[m->x87_top] & 7) << 11;
        break;
    case GEMU_REG_FTAG:
        val = full_tag(regs);
        break;
    case GEMU_REG_BYTES:
        memcpy(buf, regs + s->off, s->size);
        return s->size;
    case GEMU_REG_CONST:
        val = s->mask;
        break;
    default:
        return 0;
    }
    if (s->size > 8) {
        store(buf, val, 8);
        memset(buf + 8, 0, s->size - 8);
    } else {
        store(buf, val, s->size);
    }
    return s->size;
}

int gemu_read_register(const struct gemu_vcpu *v, uint8_t *buf, int reg)
{
    return read_register(v, buf, reg);
}

/* qemulib_read_register (include/plugins.h): 0, writing nothing, unless
   cpu is the handle of the vCPU whose call this thread is making
   (gemu_cur). */
int qemulib_read_register(void *cpu, uint8_t *mem_buf, int reg)
{
    const struct gemu_vcpu *v = gemu_cur.vcpu;
    if (cpu == NULL || v == NULL || (uintptr_t)cpu != v->handle || mem_buf == NULL) {
        return 0;
    }
    return read_register(v, mem_buf, reg);
}

/*
 * guestmem.c - guest memory reads through a Space's page directory, in C
 * (guestmem.h says what and why).
 */
#include <string.h>

#include "guestmem.h"

/* dir_page returns the directory entry deciding page pn: a present entry
   whose address is the page's data, or 0 if the page is not mapped. */
static inline uint64_t dir_page(uintptr_t root, int levels, int bits,
                                uint64_t pn)
{
    int reach = levels * bits;
    if (reach < 64 && (pn >> reach) != 0) {
        return 0;
    }
    uint64_t mask = (1ull << bits) - 1;
    const uint64_t *t = (const uint64_t *)root;
    for (int sh = reach - bits; sh >= 0; sh -= bits) {
        uint64_t e = __atomic_load_n(&t[(pn >> sh) & mask], __ATOMIC_ACQUIRE);
        if (!(e & GEMU_DIR_TABLE)) {
            return (e & GEMU_DIR_PRESENT) ? e : 0;
        }
        t = (const uint64_t *)(uintptr_t)(e & ~GEMU_DIR_FLAGS);
    }
    return 0; /* a table where a page was due: not a directory gemu keeps */
}

/* read_pages is gemu_guest_read for a range over several pages, kept out
   of the one-page path so that path needs no saved registers. */
static __attribute__((noinline)) int read_pages(uintptr_t root, int levels,
                                                 int bits, uint64_t addr,
                                                 uint8_t *buf, int len)
{
    uint64_t first_pn = addr >> GEMU_PAGE_SHIFT;
    uint64_t last_pn = (addr + (uint64_t)len - 1) >> GEMU_PAGE_SHIFT;
    uint64_t off = addr & (GEMU_PAGE_SIZE - 1);
    /* Every page first, so that a failed read leaves buf alone. Inside
       Enter/Leave no page goes away between the two walks (guestmem.h). */
    for (uint64_t pn = first_pn; pn <= last_pn; pn++) {
        if (dir_page(root, levels, bits, pn) == 0) {
            return -1;
        }
    }
    for (uint64_t pn = first_pn; pn <= last_pn; pn++) {
        uint64_t e = dir_page(root, levels, bits, pn);
        if (e == 0) {
            return -1; /* only if the caller broke the rule: no fault */
        }
        size_t n = GEMU_PAGE_SIZE - off;
        if (n > (size_t)len) {
            n = (size_t)len;
        }
        memcpy(buf, (const uint8_t *)(uintptr_t)(e & ~GEMU_DIR_FLAGS) + off, n);
        buf += n;
        len -= (int)n;
        off = 0;
    }
    return 0;
}

int gemu_guest_read(uintptr_t root, int levels, int bits, uint64_t addr,
                    uint8_t *buf, int len)
{
    if (len < 0 || root == 0 || levels <= 0 || bits <= 0 || bits > 16 ||
        levels * bits > 52) {
        return -1;
    }
    if (len == 0) {
        return 0;
    }
    if (buf == NULL) {
        return -1;
    }
    uint64_t last = addr + (uint64_t)len - 1;
    if (last < addr) {
        return -1; /* wraps around */
    }
    if ((addr ^ last) >> GEMU_PAGE_SHIFT) {
        return read_pages(root, levels, bits, addr, buf, len);
    }
    uint64_t e = dir_page(root, levels, bits, addr >> GEMU_PAGE_SHIFT);
    if (e == 0) {
        return -1;
    }
    const uint8_t *src = (const uint8_t *)(uintptr_t)(e & ~GEMU_DIR_FLAGS) +
                         (addr & (GEMU_PAGE_SIZE - 1));
    /* The common sizes as one load and store each, no call. */
    switch (len) {
    case 1:
        *buf = *src;
        return 0;
    case 2:
        __builtin_memcpy(buf, src, 2);
        return 0;
    case 4:
        __builtin_memcpy(buf, src, 4);
        return 0;
    case 8:
        __builtin_memcpy(buf, src, 8);
        return 0;
    }
    memcpy(buf, src, (size_t)len);
    return 0;
}

/* ---- system mode: the guest's page tables over its RAM ---- */

enum {
    PTE_P = 1 << 0,
    PTE_PS = 1 << 7,
    CR0_PG = 1u << 31,
    CR4_PSE = 1 << 4,
    CR4_PAE = 1 << 5,
    EFER_LMA = 1 << 10,
    EFER_NXE = 1 << 11,
};
#define PTE_XD (1ull << 63)

/* load32 and load64 read a paging-structure entry at physical address pa
   as mem's walk does: atomically, and all ones outside RAM. */
static inline uint64_t load32(const struct gemu_paging *p, uint64_t pa)
{
    pa &= ~(uint64_t)3;
    if (pa >= p->ram_size) {
        return 0xffffffffu;
    }
    return __atomic_load_n((const uint32_t *)(p->ram + pa), __ATOMIC_RELAXED);
}

static inline uint64_t load64(const struct gemu_paging *p, uint64_t pa)
{
    pa &= ~(uint64_t)7;
    if (pa >= p->ram_size) {
        return ~(uint64_t)0;
    }
    return __atomic_load_n((const uint64_t *)(p->ram + pa), __ATOMIC_RELAXED);
}

int gemu_sys_translate(const struct gemu_paging *p, uint64_t va, uint64_t *pa)
{
    if (!(p->cr0 & CR0_PG)) {
        *pa = va;
        return 0;
    }
    if (!(p->efer & EFER_LMA) && !(p->cr4 & CR4_PAE)) {
        /* 2-level paging, 32-bit entries. */
        uint64_t pde = load32(p, (p->cr3 & 0xfffff000) | (va >> 22 & 0x3ff) << 2);
        if (!(pde & PTE_P)) {
            return -1;
        }
        if ((pde & PTE_PS) && (p->cr4 & CR4_PSE)) {
            if (pde & (0x1ffull << 13)) {
                return -1; /* reserved (no PSE-36) */
            }
            *pa = (pde & 0xffc00000) | (va & 0x3fffff);
            return 0;
        }
        uint64_t pte = load32(p, (pde & 0xfffff000) | (va >> 12 & 0x3ff) << 2);
        if (!(pte & PTE_P)) {
            return -1;
        }
        *pa = (pte & 0xfffff000) | (va & 0xfff);
        return 0;
    }
    int m = p->phys_bits;
    if (m <= 12 || m > 52) {
        return -1;
    }
    int nxe = (p->efer & EFER_NXE) != 0;
    uint64_t addr = (((uint64_t)1 << m) - 1) & ~(uint64_t)0xfff;
    uint64_t rsvd, table;
    int top;
    if (!(p->efer & EFER_LMA)) {
        /* PAE: a PDPTE, then 2 levels. */
        rsvd = (((uint64_t)1 << 63) - 1) & ~(((uint64_t)1 << m) - 1);
        uint64_t pdpte = load64(p, (p->cr3 & 0xffffffe0) + (va >> 30 & 3) * 8);
        if (!(pdpte & PTE_P)) {
            return -1;
        }
        if (pdpte & (0x1e6 | ~(uint64_t)0 << m)) {
            return -1;
        }
        table = pdpte & addr;
        top = 21;
    } else {
        int64_t sx = (int64_t)va >> 47;
        if (sx != 0 && sx != -1) {
            return -1; /* not canonical */
        }
        rsvd = (((uint64_t)1 << 52) - 1) & ~(((uint64_t)1 << m) - 1);
        table = p->cr3 & addr;
        top = 39;
    }
    if (!nxe) {
        rsvd |= PTE_XD;
    }
    for (int s = top;; s -= 9) {
        uint64_t e = load64(p, table | (va >> s & 0x1ff) << 3);
        if (!(e & PTE_P)) {
            return -1;
        }
        uint64_t r = rsvd;
        int large = 0;
        if (s == 39) {
            r |= PTE_PS;
        } else if (s == 30 && (e & PTE_PS)) {
            large = 1;
            r |= 0x1ffffull << 13;
        } else if (s == 21 && (e & PTE_PS)) {
            large = 1;
            r |= 0xffull << 13;
        }
        if (e & r) {
            return -1;
        }
        if (large || s == 12) {
            uint64_t low = ((uint64_t)1 << s) - 1;
            *pa = (e & addr & ~low) | (va & low);
            return 0;
        }
        table = e & addr;
    }
}

/* ram_page returns the RAM page virtual address va lies in, or NULL. */
static inline const uint8_t *ram_page(const struct gemu_paging *p, uint64_t va)
{
    uint64_t pa;
    if (gemu_sys_translate(p, va, &pa) != 0 || pa >= p->ram_size) {
        return NULL;
    }
    return p->ram + (pa & ~(uint64_t)(GEMU_PAGE_SIZE - 1));
}

int gemu_sys_read(const struct gemu_paging *p, uint64_t addr, uint8_t *buf, int len)
{
    if (len < 0 || p == NULL || p->ram == NULL) {
        return -1;
    }
    if (len == 0) {
        return 0;
    }
    if (buf == NULL) {
        return -1;
    }
    uint64_t first = addr & ~(uint64_t)(GEMU_PAGE_SIZE - 1);
    uint64_t last = (addr + (uint64_t)len - 1) & ~(uint64_t)(GEMU_PAGE_SIZE - 1);
    /* Every page first, so that a failed read leaves buf alone; the
       addresses wrap around as linear addresses do. */
    for (uint64_t a = first;; a += GEMU_PAGE_SIZE) {
        if (ram_page(p, a) == NULL) {
            return -1;
        }
        if (a == last) {
            break;
        }
    }
    uint64_t off = addr & (GEMU_PAGE_SIZE - 1);
    for (uint64_t a = first;; a += GEMU_PAGE_SIZE) {
        const uint8_t *pg = ram_page(p, a);
        if (pg == NULL) {
            return -1; /* the tables changed between the two walks */
        }
        size_t n = GEMU_PAGE_SIZE - off;
        if (n > (size_t)len) {
            n = (size_t)len;
        }
        memcpy(buf, pg + off, n);
        buf += n;
        len -= (int)n;
        off = 0;
        if (a == last) {
            break;
        }
    }
    return 0;
}

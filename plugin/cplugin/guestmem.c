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

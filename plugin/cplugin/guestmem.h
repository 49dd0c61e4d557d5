/*
 * guestmem.h - reading guest memory from C through a Space's page
 * directory (internal/mem/dir.go), without calling into Go: what
 * qemulib_read_memory needs on the path where plugin callbacks run on a C
 * stack and must never re-enter Go.
 *
 * The directory is a radix tree keyed by guest page number (the address
 * >> 12): `levels` levels of 1 << `bits` entries of 8 bytes (mem's
 * Space.DirLayout; i386 spaces 2 levels of 10 bits, x86-64 ones 4 of 9).
 * An entry is 0 (nothing mapped in its span), a table of the next level
 * (GEMU_DIR_TABLE set: the table's address is the entry without
 * GEMU_DIR_FLAGS), or, with GEMU_DIR_PRESENT, mapped pages whose data lie
 * at the entry without GEMU_DIR_FLAGS (a shared zero page for pages never
 * written). The values below must match mem's Dir* constants (a test
 * checks them).
 */
#ifndef GEMU_GUESTMEM_H
#define GEMU_GUESTMEM_H

#include <stdint.h>

#define GEMU_DIR_PRESENT 0x01ull /* mapped */
#define GEMU_DIR_READ 0x02ull    /* guest may load */
#define GEMU_DIR_WRITE 0x04ull   /* guest may store */
#define GEMU_DIR_EXEC 0x08ull    /* guest may execute */
#define GEMU_DIR_OWN 0x10ull     /* the page's own data, not the zero page */
#define GEMU_DIR_TABLE 0x20ull   /* a table of the next level */
#define GEMU_DIR_FLAGS 0xfffull  /* the flag bits; the rest is an address */
#define GEMU_PAGE_SHIFT 12
#define GEMU_PAGE_SIZE 4096

/*
 * gemu_guest_read copies len bytes of guest memory at addr into buf the way
 * a debugger reads: permissions are ignored (PROT_NONE pages, and the
 * pages of a file mapping past the file's end, read as their contents),
 * and the whole range must be mapped. It returns 0, or -1 if any byte is
 * unmapped, lies past the directory's reach, or the arguments are bad
 * (len < 0, buf NULL with len > 0), in which case buf is untouched. len 0
 * succeeds. It only loads (atomically) from the directory and the pages,
 * never writes anything but buf, and never faults on a directory kept by
 * gemu.
 *
 * root, levels and bits are the Space's Directory() and DirLayout(). The
 * caller must be a vCPU of the Space inside View.Enter/Leave (a callback
 * gemu makes from a running guest), which guarantees that no page it finds
 * is unmapped under it.
 */
int gemu_guest_read(uintptr_t root, int levels, int bits, uint64_t addr,
                    uint8_t *buf, int len);

/*
 * System mode (gemu-system): guest virtual memory read through the guest's
 * own page tables, over the machine's RAM, as internal/mem's
 * View.ReadVirt does: 2-level 32-bit paging with 4 MiB pages under
 * CR4.PSE, PAE paging with 2 MiB pages, 4-level paging with 2 MiB and
 * 1 GiB pages, or none (CR0.PG clear: virtual is physical). No privilege
 * checks (a debugger's read), no accessed or dirty flags set, nothing
 * cached. An entry with a reserved bit set fails the read as the page
 * fault it would be; an entry or a page outside RAM fails it too (device
 * memory is never read: reading a device has effects). One difference
 * with the processor: PAE's four PDPTEs are read from memory at CR3 on
 * each walk, where the processor (and mem's walk) uses the ones loaded
 * with CR3; they differ only if the guest rewrote them without reloading
 * CR3.
 */
struct gemu_paging {
    const uint8_t *ram; /* physical address 0 */
    uint64_t ram_size;  /* bytes, a multiple of the page size */
    int phys_bits;      /* MAXPHYADDR */
    uint64_t cr0, cr3, cr4, efer;
};

/* gemu_sys_translate stores in *pa the physical address virtual address
   va translates to and returns 0, or returns -1 (not present, a reserved
   bit, a non-canonical address in 4-level paging, an entry outside RAM).
   It does not check that *pa is RAM. */
int gemu_sys_translate(const struct gemu_paging *p, uint64_t va, uint64_t *pa);

/* gemu_sys_read copies len bytes of guest virtual memory at addr into
   buf: 0, or -1 with buf untouched if any byte does not translate to RAM
   or the arguments are bad (as gemu_guest_read). */
int gemu_sys_read(const struct gemu_paging *p, uint64_t addr, uint8_t *buf, int len);

#endif

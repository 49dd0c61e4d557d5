/*
 * A Linux x86 boot protocol (2.10) wrapper around a test kernel's flat
 * image (KERNEL_BIN, linked at 1 MiB), so loaders of bzImage files boot it
 * too: one boot sector with the header's first fields, one setup sector
 * with the rest and a real-mode stub, then the protected-mode image, which
 * the loader places at code32_start (1 MiB).
 *
 * A direct loader (gemu-system) enters the image at 1 MiB in flat 32-bit
 * protected mode; qemu's option ROM runs the real-mode stub instead (at
 * setup segment + 0x20, offset 0), which loads a flat GDT, sets CR0.PE,
 * loads flat data segments and jumps to 1 MiB: the same state.
 * xloadflags is 0: there is no 64-bit entry point.
 */
	.code16
	.text
	.org 0x1f1
	.byte 1			/* 0x1f1 setup_sects */
	.word 0			/* 0x1f2 root_flags */
	.long (pm_end - pm_start + 15) / 16 /* 0x1f4 syssize */
	.word 0			/* 0x1f8 ram_size */
	.word 0xffff		/* 0x1fa vid_mode: normal */
	.word 0			/* 0x1fc root_dev */
	.word 0xaa55		/* 0x1fe boot_flag */
setup_base:			/* 0x200: CS:0 of the real-mode entry */
	.byte 0xeb, start_of_setup - 1f /* jmp short */
1:	.ascii "HdrS"		/* 0x202 header */
	.word 0x020a		/* 0x206 version 2.10 */
	.long 0			/* 0x208 realmode_swtch */
	.word 0			/* 0x20c start_sys_seg */
	.word 0			/* 0x20e kernel_version */
	.byte 0			/* 0x210 type_of_loader */
	.byte 1			/* 0x211 loadflags: LOADED_HIGH */
	.word 0			/* 0x212 setup_move_size */
	.long 0x100000		/* 0x214 code32_start */
	.long 0			/* 0x218 ramdisk_image */
	.long 0			/* 0x21c ramdisk_size */
	.long 0			/* 0x220 bootsect_kludge */
	.word 0			/* 0x224 heap_end_ptr */
	.byte 0			/* 0x226 ext_loader_ver */
	.byte 0			/* 0x227 ext_loader_type */
	.long 0			/* 0x228 cmd_line_ptr */
	.long 0x37ffffff	/* 0x22c initrd_addr_max */
	.long 0x200000		/* 0x230 kernel_alignment */
	.byte 0			/* 0x234 relocatable_kernel */
	.byte 0			/* 0x235 min_alignment */
	.word 0			/* 0x236 xloadflags */
	.long 255		/* 0x238 cmdline_size */
	.long 0			/* 0x23c hardware_subarch */
	.quad 0			/* 0x240 hardware_subarch_data */
	.long 0			/* 0x248 payload_offset */
	.long 0			/* 0x24c payload_length */
	.quad 0			/* 0x250 setup_data */
	.quad 0x100000		/* 0x258 pref_address */
	.long 0x400000		/* 0x260 init_size: image, .bss and page tables */
	.long 0			/* 0x264 handover_offset */

start_of_setup:
	cli
	mov %cs, %ax
	mov %ax, %ds
	movzwl %ax, %eax
	shl $4, %eax
	add $(gdt - setup_base), %eax
	mov %eax, gdtr - setup_base + 2
	lgdtl gdtr - setup_base
	inb $0x92, %al		/* fast A20 on */
	or $2, %al
	and $0xfe, %al
	outb %al, $0x92
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	ljmpl $0x08, $0x100000

	.align 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 flat code, 32-bit */
	.quad 0x00cf92000000ffff	/* 0x10 flat data */
gdtr:
	.word gdtr - gdt - 1
	.long 0

	.org 0x400
pm_start:
	.incbin KERNEL_BIN
pm_end:
	.section .note.GNU-stack, "", @progbits

/*
 * x86-64 test kernel entry: a multiboot v1 header and a 32-bit entry
 * (flat protected mode, paging off) that maps the first GiB with 2 MiB
 * pages (identity, user-accessible), turns on PAE, EFER.LME and paging,
 * and jumps to 64-bit code; then the interrupt stubs, setjmp/longjmp, the
 * IRET to CPL 3 and the SYSCALL/SYSENTER entry points of the checks.
 */
#include "asm.h"

	.section .multiboot, "ax"
	.code32
	/* The image's first byte (1 MiB) is an entry too, for loaders of the
	 * Linux boot protocol (bzimage.S): code32_start. */
	jmp _start
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	cld
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $boot_stack_top, %esp
	/* A CPU without long mode: say so on COM1 and stop. */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_lm
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc no_lm
	/* PML4[0] -> PDPT, PDPT[0] -> PD, PD: 512 2 MiB pages (P|RW|US|PS). */
	mov $boot_pdpt, %eax
	or $7, %eax
	mov %eax, boot_pml4
	mov $boot_pd, %eax
	or $7, %eax
	mov %eax, boot_pdpt
	mov $boot_pd, %edi
	mov $0x87, %eax
	mov $512, %ecx
1:	mov %eax, (%edi)
	add $0x200000, %eax
	add $8, %edi
	loop 1b
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax		/* PAE */
	mov %eax, %cr4
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax		/* EFER.LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax	/* PG, PE */
	mov %eax, %cr0
	lgdt boot_gdtr
	ljmp $0x10, $start64

no_lm:
	mov $no_lm_msg, %esi
1:	movb (%esi), %bl
	test %bl, %bl
	jz 3f
2:	mov $0x3fd, %dx		/* LSR: wait for THRE */
	inb %dx, %al
	test $0x20, %al
	jz 2b
	mov $0x3f8, %dx
	mov %bl, %al
	outb %al, %dx
	inc %esi
	jmp 1b
3:	mov $0xf4, %dx		/* qemu's isa-debug-exit */
	xor %eax, %eax
	outb %al, %dx
4:	cli
	hlt
	jmp 4b

	.code64
start64:
	mov $0x18, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	call kmain
	call poweroff
2:	cli
	hlt
	jmp 2b

	.align 16
	.globl vec_stubs
vec_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if !HAS_ERR(vec)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec+1
	.endr

trap_common:
	cld
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	call trap
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp
	iretq

	.globl tk_setjmp
tk_setjmp:
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	lea 8(%rsp), %rax
	mov %rax, 48(%rdi)
	mov (%rsp), %rax
	mov %rax, 56(%rdi)
	xor %eax, %eax
	ret

	.globl tk_longjmp
tk_longjmp:
	mov %esi, %eax
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	jmp *56(%rdi)

/* void enter_user(ulong rip, ulong rsp, ulong cs): IRETQ to CPL 3. */
	.globl enter_user
enter_user:
	mov $0x2b, %eax
	mov %ax, %ds
	mov %ax, %es
	pushq $0x2b
	push %rsi
	pushfq
	mov user_flags_or, %rax
	or %rax, (%rsp)
	push %rdx
	push %rdi
	iretq


/*
 * Code the checks run at CPL 3 (user_call, user_call32). Each ends with
 * INT 0x80 through the DPL 3 gate, or raises the exception the check wants.
 */
	.globl user_ret, user_hlt, user_cli, user_movcr, user_in, user_rdmsr, user_int30, user_rdtsc
	.globl user_ist, user_syscall, syscall_entry, syscall_entry32
	.globl user_ret32, user_sysenter32, sysenter_entry, user_syscall32
user_ret:
	mov %cs, user_seen_cs
	mov %ss, user_seen_ss
	int $0x80
user_hlt:
	hlt
user_cli:
	cli
user_movcr:
	mov %cr3, %rax
user_in:
	in $0x71, %al
user_rdmsr:
	rdmsr
user_rdtsc:
	rdtsc
	int $0x80
user_int30:
	int $0x30		/* a DPL 0 gate: #GP(0x30*8+2) */
	int $0x80
user_ist:
	int $0x81		/* a DPL 3 gate with IST 1 */

/* CPL 3 loads and stores at the address in user_addr (paging checks). */
	.globl user_read, user_write
user_read:
	mov user_addr, %rax
	mov (%rax), %eax
	int $0x80
user_write:
	mov user_addr, %rax
	movl $0x77, (%rax)
	int $0x80

/* CPL 3 with IF=1: spin until the timer handler saw an interrupt from
 * here (irq_seen_cs), or a bound runs out; then back through INT 0x80. */
	.globl user_spin
user_spin:
	mov $200000000, %ecx
1:	cmpw $0, irq_seen_cs
	jne 2f
	dec %ecx
	jnz 1b
2:	int $0x80

/* SYSCALL with DF set: FMASK clears it in the kernel, SYSRET restores it. */
user_syscall:
	std
	syscall
	mov %cs, user_seen_cs
	mov %ss, user_seen_ss
	mov %rsp, user_seen_sp
	pushfq
	pop %rax
	mov %rax, user_seen_flags
	cld
	int $0x80

/* LSTAR's target: CPL 0, on the user's stack (SYSCALL switches none). */
syscall_entry:
	mov %cs, k_seen_cs
	mov %ss, k_seen_ss
	mov %rsp, k_seen_sp
	mov %rcx, k_seen_rcx
	mov %r11, k_seen_r11
	pushfq
	pop %rax
	mov %rax, k_seen_flags
	sysretq

/* CSTAR's target (SYSCALL from compatibility mode): back with SYSRETL. */
syscall_entry32:
	mov %cs, k_seen_cs
	mov %ss, k_seen_ss
	mov %rcx, k_seen_rcx
	sysretl

/* SYSENTER's target (MSR 0x176), 64-bit code at CPL 0: SYSEXIT (no
 * REX.W) returns to compatibility mode at EDX with ESP = ECX. */
sysenter_entry:
	mov %cs, k_seen_cs
	mov %ss, k_seen_ss
	mov %rsp, k_seen_sp
	sysexitl

	.code32
/* Compatibility-mode user code (CS 0x23). */
user_ret32:
	mov %cs, user_seen_cs
	mov %ss, user_seen_ss
	int $0x80
user_sysenter32:
	mov %esp, %ecx
	mov $1f, %edx
	sysenter
1:	mov %cs, user_seen_cs
	mov %ss, user_seen_ss
	mov %esp, user_seen_sp
	int $0x80
user_syscall32:
	syscall
	mov %cs, user_seen_cs
	mov %ss, user_seen_ss
	int $0x80
	.code64

	.data
no_lm_msg:
	.asciz "gemu test kernel x86_64\r\nFAIL boot: CPUID says no long mode\r\n"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 code, 32-bit */
	.quad 0x00af9a000000ffff	/* 0x10 code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x18 data */
boot_gdt_end:
boot_gdtr:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.bss
	.align 4096
boot_pml4:
	.space 4096
boot_pdpt:
	.space 4096
boot_pd:
	.space 4096
	.globl boot_pml4, boot_pdpt
	.align 16
boot_stack:
	.space 16384
boot_stack_top:
	.section .note.GNU-stack, "", @progbits

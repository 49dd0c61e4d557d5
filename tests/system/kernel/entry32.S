/*
 * i386 test kernel entry: a multiboot v1 header, the entry point (flat
 * protected mode, paging off, as a multiboot loader leaves it), the
 * interrupt stubs and the kernel's setjmp/longjmp.
 */
#include "asm.h"

	.section .multiboot, "ax"
	/* The image's first byte (1 MiB) is an entry too, for loaders of the
	 * Linux boot protocol (bzimage.S): code32_start. */
	jmp _start
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	cld
	/* Zero .bss (the stack is in it too: nothing is on it yet). */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $boot_stack_top, %esp
	call kmain
	call poweroff
1:	cli
	hlt
	jmp 1b

/*
 * One 16-byte stub per vector (stub address = vec_stubs + 16*vector):
 * a zero where the CPU pushes no error code, the vector, then the common
 * path that saves the registers, loads the kernel's data segments and
 * calls trap(frame).
 */
	.align 16
	.globl vec_stubs
vec_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if !HAS_ERR(vec)
	push $0
	.endif
	push $vec
	jmp trap_common
	.set vec, vec+1
	.endr

trap_common:
	cld
	pushal
	push %ds
	push %es
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	push %esp
	call trap
	add $4, %esp
	.globl trap_return
trap_return:
	pop %es
	pop %ds
	popal
	add $8, %esp
	iret

/* int tk_setjmp(jmpbuf): saves ebx, esi, edi, ebp, esp, eip. */
	.globl tk_setjmp
tk_setjmp:
	mov 4(%esp), %eax
	mov %ebx, 0(%eax)
	mov %esi, 4(%eax)
	mov %edi, 8(%eax)
	mov %ebp, 12(%eax)
	lea 4(%esp), %ecx
	mov %ecx, 16(%eax)
	mov (%esp), %ecx
	mov %ecx, 20(%eax)
	xor %eax, %eax
	ret

/* void tk_longjmp(jmpbuf, int v): back to tk_setjmp's caller with v. */
	.globl tk_longjmp
tk_longjmp:
	mov 4(%esp), %edx
	mov 8(%esp), %eax
	mov 0(%edx), %ebx
	mov 4(%edx), %esi
	mov 8(%edx), %edi
	mov 12(%edx), %ebp
	mov 16(%edx), %esp
	jmp *20(%edx)

/* void enter_user(ulong eip, ulong esp, ulong cs): IRET to CPL 3. */
	.globl enter_user
enter_user:
	mov 4(%esp), %eax
	mov 8(%esp), %ecx
	mov 12(%esp), %edx
	pushl $0x23
	push %ecx
	pushf
	mov user_flags_or, %ebx
	or %ebx, (%esp)
	push %edx
	push %eax
	mov $0x23, %bx
	mov %bx, %ds
	mov %bx, %es
	iret


/*
 * Code the checks run at CPL 3 (user_call). Each ends with INT 0x80
 * through the DPL 3 gate, or raises the exception the check wants.
 */
	.globl user_ret, user_hlt, user_cli, user_movcr, user_in, user_rdmsr, user_int30, user_rdtsc
	.globl user_sysenter, sysenter_entry
user_ret:
	mov %cs, user_seen_cs
	mov %ss, user_seen_ss
	int $0x80
user_hlt:
	hlt
user_cli:
	cli
user_movcr:
	mov %cr3, %eax
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

/* CPL 3 loads and stores at the address in user_addr (paging checks). */
	.globl user_read, user_write
user_read:
	mov user_addr, %eax
	mov (%eax), %eax
	int $0x80
user_write:
	mov user_addr, %eax
	movl $0x77, (%eax)
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

/* SYSENTER from CPL 3: ECX the stack, EDX where SYSEXIT returns. */
user_sysenter:
	mov %esp, %ecx
	mov $1f, %edx
	sysenter
1:	mov %cs, user_seen_cs
	mov %ss, user_seen_ss
	mov %esp, user_seen_sp
	int $0x80

/* SYSENTER's target (MSR 0x176), CPL 0: note CS, SS, ESP, go back. */
sysenter_entry:
	mov %cs, k_seen_cs
	mov %ss, k_seen_ss
	mov %esp, k_seen_sp
	sysexit

	.bss
	.align 16
boot_stack:
	.space 16384
boot_stack_top:
	.section .note.GNU-stack, "", @progbits

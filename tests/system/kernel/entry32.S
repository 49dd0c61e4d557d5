/*
 * i386 test kernel entry: a multiboot v1 header, the entry point (flat
 * protected mode, paging off, as a multiboot loader leaves it), the
 * interrupt stubs and the kernel's setjmp/longjmp.
 */
#include "asm.h"

	.section .multiboot, "a"
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
	push %edx
	push %eax
	mov $0x23, %bx
	mov %bx, %ds
	mov %bx, %es
	iret

	.bss
	.align 16
boot_stack:
	.space 16384
boot_stack_top:
	.section .note.GNU-stack, "", @progbits

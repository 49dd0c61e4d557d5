/*
 * A multiboot kernel that triple-faults on purpose (TestTripleFault): it
 * prints one line on COM1, loads an IDT with limit 0 and executes UD2:
 * the #UD finds no gate (#GP), the #GP neither (#DF), the #DF neither
 * (triple fault: a shutdown, which -no-reboot turns into the end).
 */
#include "asm.h"

	.section .multiboot, "ax"
	jmp _start
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	mov $msg, %esi
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
3:	lidt idtr
	ud2
4:	hlt			/* not reached */
	jmp 4b

	.data
msg:
	.asciz "triple fault next\r\n"
	.align 4
idtr:
	.word 0
	.long 0
	.section .note.GNU-stack, "", @progbits

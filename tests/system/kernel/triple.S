/*
 * A multiboot kernel that triple-faults on purpose (TestTripleFault): it
 * prints one line on COM1, loads an IDT with limit 0 and executes UD2:
 * the #UD finds no gate (#GP), the #GP neither (#DF), the #DF neither
 * (triple fault: a shutdown, which -no-reboot turns into the end).
 * Built with -DKBD_RESET (kbdreset), it asks the i8042 keyboard
 * controller to pulse the reset line (command 0xfe to port 0x64)
 * instead, as Linux's reboot=k does; if nothing happens for a while it
 * prints a second line and halts.
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
	mov $stack_top, %esp
	mov $msg, %esi
	call print
#ifdef KBD_RESET
1:	inb $0x64, %al		/* wait for the input buffer to empty */
	test $2, %al
	jnz 1b
	mov $0xfe, %al
	outb %al, $0x64
	mov $100000000, %ecx	/* a reset takes microseconds; then complain */
2:	pause
	loop 2b
	mov $nomsg, %esi
	call print
#else
	lidt idtr
	ud2
#endif
3:	cli
	hlt
	jmp 3b

/* print writes the string at ESI to COM1, polling LSR's THRE bit. */
print:
	movb (%esi), %bl
	test %bl, %bl
	jz 2f
1:	mov $0x3fd, %dx
	inb %dx, %al
	test $0x20, %al
	jz 1b
	mov $0x3f8, %dx
	mov %bl, %al
	outb %al, %dx
	inc %esi
	jmp print
2:	ret

	.data
msg:
#ifdef KBD_RESET
	.asciz "keyboard controller reset next\r\n"
nomsg:
	.asciz "FAIL no reset\r\n"
#else
	.asciz "triple fault next\r\n"
#endif
	.align 4
idtr:
	.word 0
	.long 0

	.bss
	.align 16
	.space 1024
stack_top:
	.section .note.GNU-stack, "", @progbits

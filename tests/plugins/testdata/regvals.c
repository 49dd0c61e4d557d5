/* regvals.c - guest for TestRegisterValues: loads known values into the
   general, x87, SSE and flags registers, executes a marker instruction
   (nopl 0x7eadbeef(%eax,%eax,1): 0f 1f 84 00 ef be ad 7e) that the regall
   plugin reads every register at, restores them and prints what the test
   cannot know in advance: its pid, the stack pointer and the addresses of
   the marker and of the fldz instruction, and the segment bases. Built static and not
   PIE (the i386 code addresses its data absolutely). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#ifdef __x86_64__
#include <asm/prctl.h>
#include <sys/syscall.h>
#endif

/* Read by the asm below. gpr holds the value of each general register in
   hardware order (ax cx dx bx sp bp si di r8..r15; sp's is not loaded). */
uint64_t gpr[16];
uint64_t xmmvals[16][2];
uint32_t mxcsrval = 0x7f80; /* all exceptions masked, round toward zero */
uint32_t mxcsrdef = 0x1f80;
uintptr_t marker_sp;        /* the stack pointer at the marker */
extern char fldz_insn[];    /* address of the fldz */
extern char marker_insn[];  /* address of the marker */

void setregs(void);

#ifdef __x86_64__
__asm__(
    ".text\n"
    ".globl setregs\n"
    "setregs:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  movdqu xmmvals+0(%rip), %xmm0\n   movdqu xmmvals+16(%rip), %xmm1\n"
    "  movdqu xmmvals+32(%rip), %xmm2\n  movdqu xmmvals+48(%rip), %xmm3\n"
    "  movdqu xmmvals+64(%rip), %xmm4\n  movdqu xmmvals+80(%rip), %xmm5\n"
    "  movdqu xmmvals+96(%rip), %xmm6\n  movdqu xmmvals+112(%rip), %xmm7\n"
    "  movdqu xmmvals+128(%rip), %xmm8\n movdqu xmmvals+144(%rip), %xmm9\n"
    "  movdqu xmmvals+160(%rip), %xmm10\n movdqu xmmvals+176(%rip), %xmm11\n"
    "  movdqu xmmvals+192(%rip), %xmm12\n movdqu xmmvals+208(%rip), %xmm13\n"
    "  movdqu xmmvals+224(%rip), %xmm14\n movdqu xmmvals+240(%rip), %xmm15\n"
    "  ldmxcsr mxcsrval(%rip)\n"
    "  fninit\n  fld1\n  fldpi\n"
    ".globl fldz_insn\n"
    "fldz_insn:\n"
    "  fldz\n"
    "  mov %rsp, marker_sp(%rip)\n"
    "  pushq $0x8d7\n  popfq\n"
    "  mov gpr+0(%rip), %rax\n   mov gpr+8(%rip), %rcx\n"
    "  mov gpr+16(%rip), %rdx\n  mov gpr+24(%rip), %rbx\n"
    "  mov gpr+40(%rip), %rbp\n  mov gpr+48(%rip), %rsi\n"
    "  mov gpr+56(%rip), %rdi\n  mov gpr+64(%rip), %r8\n"
    "  mov gpr+72(%rip), %r9\n   mov gpr+80(%rip), %r10\n"
    "  mov gpr+88(%rip), %r11\n  mov gpr+96(%rip), %r12\n"
    "  mov gpr+104(%rip), %r13\n mov gpr+112(%rip), %r14\n"
    "  mov gpr+120(%rip), %r15\n"
    ".globl marker_insn\n"
    "marker_insn:\n"
    "  .byte 0x0f, 0x1f, 0x84, 0x00, 0xef, 0xbe, 0xad, 0x7e\n"
    "  fninit\n"
    "  ldmxcsr mxcsrdef(%rip)\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n");
#else
__asm__(
    ".text\n"
    ".globl setregs\n"
    "setregs:\n"
    "  push %ebx\n  push %ebp\n  push %esi\n  push %edi\n"
    "  movdqu xmmvals+0, %xmm0\n   movdqu xmmvals+16, %xmm1\n"
    "  movdqu xmmvals+32, %xmm2\n  movdqu xmmvals+48, %xmm3\n"
    "  movdqu xmmvals+64, %xmm4\n  movdqu xmmvals+80, %xmm5\n"
    "  movdqu xmmvals+96, %xmm6\n  movdqu xmmvals+112, %xmm7\n"
    "  ldmxcsr mxcsrval\n"
    "  fninit\n  fld1\n  fldpi\n"
    ".globl fldz_insn\n"
    "fldz_insn:\n"
    "  fldz\n"
    "  mov %esp, marker_sp\n"
    "  pushl $0x8d7\n  popfl\n"
    "  mov gpr+0, %eax\n   mov gpr+8, %ecx\n"
    "  mov gpr+16, %edx\n  mov gpr+24, %ebx\n"
    "  mov gpr+40, %ebp\n  mov gpr+48, %esi\n"
    "  mov gpr+56, %edi\n"
    ".globl marker_insn\n"
    "marker_insn:\n"
    "  .byte 0x0f, 0x1f, 0x84, 0x00, 0xef, 0xbe, 0xad, 0x7e\n"
    "  fninit\n"
    "  ldmxcsr mxcsrdef\n"
    "  pop %edi\n  pop %esi\n  pop %ebp\n  pop %ebx\n"
    "  ret\n");
#endif

int main(void)
{
    for (int i = 0; i < 16; i++) {
        gpr[i] = 0x0101010101010101ull * (uint64_t)(i + 1) + 0x10;
        xmmvals[i][0] = 0x0706050403020100ull + 0x1010101010101010ull * (uint64_t)i;
        xmmvals[i][1] = 0x0f0e0d0c0b0a0908ull + 0x1010101010101010ull * (uint64_t)i;
    }
    uint64_t fsb = 0, gsb = 0;
#ifdef __x86_64__
    gsb = 0x5a5a5000;
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, gsb) != 0
        || syscall(SYS_arch_prctl, ARCH_GET_FS, &fsb) != 0) {
        return 1;
    }
#else
    uint32_t self;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(self));
    gsb = self; /* glibc's thread pointer points at itself */
#endif
    setregs();
    printf("pid %d\nsp %jx\nmarker %jx\nfldz %jx\nfs_base %jx\ngs_base %jx\n", (int)getpid(),
           (uintmax_t)marker_sp, (uintmax_t)(uintptr_t)marker_insn, (uintmax_t)(uintptr_t)fldz_insn,
           (uintmax_t)fsb, (uintmax_t)gsb);
    return 0;
}

/*
 * regnum.h - register numbers for qemulib_read_register().
 *
 * Part of gemu's public C plugin API (see plugins.h). A plugin needs only
 * this directory and a C compiler.
 *
 * Where the numbers come from
 *
 * gemu's C plugin API is the one of ISP RAS's SWAT (the plugins/ directory
 * of the "swat" branch of github.com/ispras/qemu, used by the plugins of
 * github.com/ispras/swat). There, qemulib_read_register(cpu, buf, reg)
 * returns what QEMU's gdbstub returns for register `reg`: for x86 its
 * target/i386/gdbstub.c, which SWAT extends with segment bases, control
 * registers and a few non-GDB registers. gemu reads every number the way
 * that QEMU does, so a plugin binary built for SWAT reads the same
 * registers in gemu (binary compatibility). The layout, for both
 * architectures: the general registers (GDB's order), the instruction
 * pointer, eflags, the six selectors, fs_base, gs_base, kernel_gs_base,
 * cr0, cr2, cr3, cr4, cr8, efer, st0..st7, the eight x87 control
 * registers, the xmm registers, mxcsr; then cs_base (72), ss_base (73) and
 * tr_base (74 for i386, 154 for x86-64). Numbers in between read nothing.
 *
 * Note this is not GDB's own numbering past the selectors: GDB's i386
 * st0 is 16, here 16 is fs_base. Do not pass these numbers to GDB.
 *
 * Which table applies is decided by the guest program, not by the host or
 * the plugin: qemulib_get_arch_name() returns "i386" or "x86_64".
 * Register 0 is EAX (4 bytes) for an i386 guest and RAX (8 bytes) for an
 * x86-64 guest.
 *
 * Names: every name of SWAT's plugins/include/regnum.h is defined here
 * (the enums i386_regnum, amd64_regnum, arm_regnum and aarch64_regnum),
 * so SWAT's plugins compile unmodified (source compatibility). SWAT's
 * header was written from GDB's tables and does not always agree with its
 * own QEMU; where they disagree, the name here has the number under which
 * gemu (and SWAT's QEMU) reads the register the name says, and a comment
 * gives the number SWAT's header has. Those names are:
 *   i386:   MXCSR (SWAT's header: 40, which its QEMU reads as fop);
 *   x86-64: ST0, ST1, FCTRL, FSTAT, FTAG, XMM0, XMM1, MXCSR, FSBASE,
 *           GSBASE.
 * A plugin built against SWAT's header and using one of those names reads
 * in gemu what it reads in SWAT's QEMU, which is not the register named.
 *
 * Registers gemu does not have (the AVX, AVX-512 and MPX ones: ymm/zmm
 * upper halves, k0-k7, bnd, pkru) have numbers past the end of both
 * tables (I386_NUM_REGS, AMD64_NUM_REGS and up), which neither SWAT's
 * header nor its QEMU uses; reading them returns 0 (no such register) until
 * gemu implements them. Names gemu adds for registers SWAT's header does
 * not name (ST1..ST7, the x87 control registers, XMM2.., CR0, EFER...)
 * have the numbers SWAT's QEMU reads them under.
 *
 * ARM and AArch64 names exist so that a plugin serving several
 * architectures (SWAT's introspection) compiles. gemu runs only x86
 * guests: such a plugin uses them only after qemulib_get_arch_name() says
 * "arm" or "aarch64", which gemu never does. Their numbers here are SWAT's
 * plus GEMU_ARM_REGNUM_BASE or GEMU_AARCH64_REGNUM_BASE, past every x86
 * number, so that reading one from an x86 guest returns 0 (a plugin built
 * against SWAT's own header passes SWAT's small numbers, which gemu reads
 * in the guest's x86 table).
 *
 * Sizes
 *
 * qemulib_read_register() stores the value in guest byte order (little
 * endian) and returns its size in bytes, fixed per register:
 *
 *   register                              i386 guest  x86-64 guest
 *   general registers (eax.., rax..)      4           8
 *   instruction pointer (eip, rip)        4           8
 *   eflags                                4           4
 *   selectors cs ss ds es fs gs           4           4   (zero-extended)
 *   fs_base gs_base kernel_gs_base        4           8
 *   cr0 cr2 cr3 cr4 cr8 efer              4           8
 *   st0..st7                              10          10  (80-bit extended
 *                                                          format, st0 is
 *                                                          ST(0), the top
 *                                                          of the stack)
 *   fctrl fstat ftag fiseg fioff
 *   foseg fooff fop                       4           4   (zero-extended)
 *   xmm0..xmm7 / xmm0..xmm15              16          16
 *   mxcsr                                 4           4
 *   cs_base ss_base tr_base               4           8
 *   cpl (106 / 250, gemu's own)           4           4
 *
 * The largest register is 16 bytes (GEMU_REG_MAX_SIZE): a buffer of that
 * size is always enough.
 *
 * Values in user mode (a Linux process on an x86-64 kernel, the machine
 * gemu's user mode models for i386 and x86-64 programs alike): fs_base and
 * gs_base are the bases the program set (arch_prctl, set_thread_area);
 * cs_base, ss_base and kernel_gs_base are 0; cr0 is 0x80050033 (PE MP ET
 * NE WP AM PG), cr4 0x6f0 (PSE PAE MCE PGE OSFXSR OSXMMEXCPT), efer 0xd01
 * (SCE LME LMA NXE); cr2 and cr8 are 0; cr3 is the guest process id times
 * 4096 for x86-64, times 1024 for i386 (so that any Linux pid, below 2^22,
 * fits 4 bytes): non-zero, the same for all threads of a process,
 * different in each process, kept across execve; tr_base is a fixed kernel address
 * (0xfffffe0000003000 for x86-64, 0xfffff000 for i386) the guest cannot
 * map; cpl is 3. The numbering is a contract; those user-mode values of
 * the control registers are what gemu gives now, not a promise about a
 * real kernel.
 *
 * Values in system mode (gemu-system): every register is the guest's own:
 * cr0, cr2, cr3, cr4, cr8, efer, kernel_gs_base (the MSR SWAPGS swaps
 * with gs_base), the segment bases (cs_base, ss_base, fs_base, gs_base as
 * the segment caches hold them), tr_base (the base LTR loaded) and cpl,
 * the current privilege level (0 in the kernel, 3 in a process). The
 * table is the i386 one for a 32-bit CPU model, the x86-64 one for a
 * 64-bit model (also while that CPU runs 32-bit code).
 */
#ifndef GEMU_REGNUM_H
#define GEMU_REGNUM_H

/* Size in bytes of the largest register (xmm). */
#define GEMU_REG_MAX_SIZE 16

/* ---------------------------------------------------------------------
 * i386 guests (qemulib_get_arch_name() returns "i386")
 * ------------------------------------------------------------------- */

enum i386_regnum {
    I386_EAX_REGNUM = 0,
    I386_ECX_REGNUM = 1,
    I386_EDX_REGNUM = 2,
    I386_EBX_REGNUM = 3,
    I386_ESP_REGNUM = 4,
    I386_EBP_REGNUM = 5,
    I386_ESI_REGNUM = 6,
    I386_EDI_REGNUM = 7,
    I386_EIP_REGNUM = 8,
    I386_EFLAGS_REGNUM = 9,

    /* Segment selectors. */
    I386_CS_REGNUM = 10,
    I386_SS_REGNUM = 11,
    I386_DS_REGNUM = 12,
    I386_ES_REGNUM = 13,
    I386_FS_REGNUM = 14,
    I386_GS_REGNUM = 15,

    /* Segment bases and control registers. */
    I386_FS_BASE_REGNUM = 16,
    I386_GS_BASE_REGNUM = 17,
    I386_KERNEL_GS_BASE_REGNUM = 18,
    I386_CR0_REGNUM = 19,
    I386_CR2_REGNUM = 20,
    I386_CR3_REGNUM = 21,
    I386_CR4_REGNUM = 22,
    I386_CR8_REGNUM = 23,
    I386_EFER_REGNUM = 24,

    /* x87 data registers (ST1..ST7: gemu names). */
    I386_ST0_REGNUM = 25,
    I386_ST1_REGNUM = 26,
    I386_ST2_REGNUM = 27,
    I386_ST3_REGNUM = 28,
    I386_ST4_REGNUM = 29,
    I386_ST5_REGNUM = 30,
    I386_ST6_REGNUM = 31,
    I386_ST7_REGNUM = 32,

    /* x87 control registers (gemu names). */
    I386_FCTRL_REGNUM = 33,  /* control word */
    I386_FSTAT_REGNUM = 34,  /* status word, TOP included */
    I386_FTAG_REGNUM = 35,   /* full tag word, 2 bits per register */
    I386_FISEG_REGNUM = 36,  /* last instruction pointer: selector */
    I386_FIOFF_REGNUM = 37,  /* last instruction pointer: offset */
    I386_FOSEG_REGNUM = 38,  /* last operand pointer: selector */
    I386_FOOFF_REGNUM = 39,  /* last operand pointer: offset */
    I386_FOP_REGNUM = 40,    /* last opcode */

    /* SSE registers (gemu names). */
    I386_XMM0_REGNUM = 41,
    I386_XMM1_REGNUM = 42,
    I386_XMM2_REGNUM = 43,
    I386_XMM3_REGNUM = 44,
    I386_XMM4_REGNUM = 45,
    I386_XMM5_REGNUM = 46,
    I386_XMM6_REGNUM = 47,
    I386_XMM7_REGNUM = 48,
    I386_MXCSR_REGNUM = 49,  /* SWAT's header: 40 (its QEMU's fop) */

    /* Not GDB registers (SWAT's additions). */
    I386_CS_BASE_REGNUM = 72,
    I386_SS_BASE_REGNUM = 73,
    I386_TR_BASE_REGNUM = 74,

    /* One past the last number SWAT's QEMU reads for i386. */
    I386_NUM_REGS = 75,

    /* Registers gemu does not have: numbers of gemu's own, read as
       nothing (SWAT's header has them at 41-71, where its QEMU reads xmm0
       and up or nothing). */
    I386_YMM0H_REGNUM = 75,
    I386_YMM7H_REGNUM = I386_YMM0H_REGNUM + 7,
    I386_BND0R_REGNUM = 83,
    I386_BND3R_REGNUM = I386_BND0R_REGNUM + 3,
    I386_BNDCFGU_REGNUM = 87,
    I386_BNDSTATUS_REGNUM = 88,
    I386_K0_REGNUM = 89,
    I386_K7_REGNUM = I386_K0_REGNUM + 7,
    I386_ZMM0H_REGNUM = 97,
    I386_ZMM7H_REGNUM = I386_ZMM0H_REGNUM + 7,
    I386_PKRU_REGNUM = 105,

    /* gemu's own: the current privilege level (0-3, 4 bytes; 3 in user
       mode), after every number above so that none of them moves. */
    I386_CPL_REGNUM = 106
};

/* ---------------------------------------------------------------------
 * x86-64 guests (qemulib_get_arch_name() returns "x86_64")
 * ------------------------------------------------------------------- */

enum amd64_regnum {
    /* General registers in GDB's order: rax, rbx, rcx, rdx (not the
       hardware encoding order rax, rcx, rdx, rbx). */
    AMD64_RAX_REGNUM = 0,
    AMD64_RBX_REGNUM = 1,
    AMD64_RCX_REGNUM = 2,
    AMD64_RDX_REGNUM = 3,
    AMD64_RSI_REGNUM = 4,
    AMD64_RDI_REGNUM = 5,
    AMD64_RBP_REGNUM = 6,
    AMD64_RSP_REGNUM = 7,
    AMD64_R8_REGNUM = 8,
    AMD64_R9_REGNUM = 9,
    AMD64_R10_REGNUM = 10,
    AMD64_R11_REGNUM = 11,
    AMD64_R12_REGNUM = 12,
    AMD64_R13_REGNUM = 13,
    AMD64_R14_REGNUM = 14,
    AMD64_R15_REGNUM = 15,
    AMD64_RIP_REGNUM = 16,
    AMD64_EFLAGS_REGNUM = 17,

    /* Segment selectors. */
    AMD64_CS_REGNUM = 18,
    AMD64_SS_REGNUM = 19,
    AMD64_DS_REGNUM = 20,
    AMD64_ES_REGNUM = 21,
    AMD64_FS_REGNUM = 22,
    AMD64_GS_REGNUM = 23,

    /* Segment bases and control registers. */
    AMD64_FS_BASE_REGNUM = 24,
    AMD64_FSBASE_REGNUM = 24,  /* SWAT's header: 152 (its QEMU: nothing) */
    AMD64_GS_BASE_REGNUM = 25,
    AMD64_GSBASE_REGNUM = 25,  /* SWAT's header: 153 (its QEMU: nothing) */
    AMD64_KERNEL_GS_BASE_REGNUM = 26,
    AMD64_CTL_REGNUM = 27,     /* first control register, cr0 */
    AMD64_CR0_REGNUM = 27,
    AMD64_CR2_REGNUM = 28,
    AMD64_CR3_REGNUM = 29,
    AMD64_CR4_REGNUM = 30,
    AMD64_CR8_REGNUM = 31,
    AMD64_EFER_REGNUM = 32,

    /* x87 data registers. */
    AMD64_ST0_REGNUM = 33,     /* SWAT's header: 24 (its QEMU's fs_base) */
    AMD64_ST1_REGNUM = 34,     /* SWAT's header: 25 (its QEMU's gs_base) */
    AMD64_ST2_REGNUM = 35,
    AMD64_ST3_REGNUM = 36,
    AMD64_ST4_REGNUM = 37,
    AMD64_ST5_REGNUM = 38,
    AMD64_ST6_REGNUM = 39,
    AMD64_ST7_REGNUM = 40,

    /* x87 control registers. */
    AMD64_FCTRL_REGNUM = 41,   /* SWAT's header: 32 (its QEMU's efer) */
    AMD64_FSTAT_REGNUM = 42,   /* SWAT's header: 33 (its QEMU's st0) */
    AMD64_FTAG_REGNUM = 43,    /* SWAT's header: 34 (its QEMU's st1) */
    AMD64_FISEG_REGNUM = 44,
    AMD64_FIOFF_REGNUM = 45,
    AMD64_FOSEG_REGNUM = 46,
    AMD64_FOOFF_REGNUM = 47,
    AMD64_FOP_REGNUM = 48,

    /* SSE registers. */
    AMD64_XMM0_REGNUM = 49,    /* SWAT's header: 40 (its QEMU's st7) */
    AMD64_XMM1_REGNUM = 50,    /* SWAT's header: 41 (its QEMU's fctrl) */
    AMD64_XMM2_REGNUM = 51,
    AMD64_XMM3_REGNUM = 52,
    AMD64_XMM4_REGNUM = 53,
    AMD64_XMM5_REGNUM = 54,
    AMD64_XMM6_REGNUM = 55,
    AMD64_XMM7_REGNUM = 56,
    AMD64_XMM8_REGNUM = 57,
    AMD64_XMM9_REGNUM = 58,
    AMD64_XMM10_REGNUM = 59,
    AMD64_XMM11_REGNUM = 60,
    AMD64_XMM12_REGNUM = 61,
    AMD64_XMM13_REGNUM = 62,
    AMD64_XMM14_REGNUM = 63,
    AMD64_XMM15_REGNUM = 64,
    AMD64_MXCSR_REGNUM = 65,   /* SWAT's header: 56 (its QEMU's xmm7) */

    /* Not GDB registers (SWAT's additions; its header names only
       TR_BASE). */
    AMD64_CS_BASE_REGNUM = 72,
    AMD64_SS_BASE_REGNUM = 73,
    AMD64_TR_BASE_REGNUM = 154,

    /* One past the last number SWAT's QEMU reads for x86-64. */
    AMD64_NUM_REGS = 155,

    /* Registers gemu does not have: numbers of gemu's own, read as
       nothing (SWAT's header has them at 57-151, where its QEMU reads
       mxcsr, cs_base, ss_base or nothing). */
    AMD64_YMM0H_REGNUM = 155,
    AMD64_YMM15H_REGNUM = AMD64_YMM0H_REGNUM + 15,
    AMD64_BND0R_REGNUM = 171,
    AMD64_BND3R_REGNUM = AMD64_BND0R_REGNUM + 3,
    AMD64_BNDCFGU_REGNUM = 175,
    AMD64_BNDSTATUS_REGNUM = 176,
    AMD64_XMM16_REGNUM = 177,
    AMD64_XMM31_REGNUM = AMD64_XMM16_REGNUM + 15,
    AMD64_YMM16H_REGNUM = 193,
    AMD64_YMM31H_REGNUM = AMD64_YMM16H_REGNUM + 15,
    AMD64_K0_REGNUM = 209,
    AMD64_K7_REGNUM = AMD64_K0_REGNUM + 7,
    AMD64_ZMM0H_REGNUM = 217,
    AMD64_ZMM31H_REGNUM = AMD64_ZMM0H_REGNUM + 31,
    AMD64_PKRU_REGNUM = 249,

    /* gemu's own: the current privilege level (0-3, 4 bytes; 3 in user
       mode), after every number above so that none of them moves. */
    AMD64_CPL_REGNUM = 250
};

/* ---------------------------------------------------------------------
 * ARM and AArch64: SWAT's names, for plugins that serve several
 * architectures. gemu never runs such a guest (see above). Their numbers
 * are SWAT's plus a base far past every x86 number, so that reading one
 * from an x86 guest reads nothing (returns 0); the counts (ARM_NUM_REGS,
 * ARM_NUM_ARG_REGS, ARM_NUM_FP_ARG_REGS) are SWAT's.
 * ------------------------------------------------------------------- */

#define GEMU_ARM_REGNUM_BASE 0x10000
#define GEMU_AARCH64_REGNUM_BASE 0x20000

enum arm_regnum {
    ARM_A1_REGNUM = GEMU_ARM_REGNUM_BASE + 0,  /* r0, first argument */
    ARM_A4_REGNUM = GEMU_ARM_REGNUM_BASE + 3,  /* r3, fourth argument */
    ARM_AP_REGNUM = GEMU_ARM_REGNUM_BASE + 11,
    ARM_IP_REGNUM = GEMU_ARM_REGNUM_BASE + 12,
    ARM_SP_REGNUM = GEMU_ARM_REGNUM_BASE + 13,
    ARM_LR_REGNUM = GEMU_ARM_REGNUM_BASE + 14,
    ARM_PC_REGNUM = GEMU_ARM_REGNUM_BASE + 15,
    ARM_F0_REGNUM = GEMU_ARM_REGNUM_BASE + 16,  /* FPA registers f0..f7 */
    ARM_F3_REGNUM = GEMU_ARM_REGNUM_BASE + 19,
    ARM_F7_REGNUM = GEMU_ARM_REGNUM_BASE + 23,
    ARM_FPS_REGNUM = GEMU_ARM_REGNUM_BASE + 24,
    ARM_PS_REGNUM = GEMU_ARM_REGNUM_BASE + 25,  /* cpsr */
    ARM_WR0_REGNUM = GEMU_ARM_REGNUM_BASE + 26,  /* iWMMXt data registers */
    ARM_WR15_REGNUM = GEMU_ARM_REGNUM_BASE + 41,
    ARM_WC0_REGNUM = GEMU_ARM_REGNUM_BASE + 42,  /* iWMMXt control registers */
    ARM_WCSSF_REGNUM = GEMU_ARM_REGNUM_BASE + 44,
    ARM_WCASF_REGNUM = GEMU_ARM_REGNUM_BASE + 45,
    ARM_WC7_REGNUM = GEMU_ARM_REGNUM_BASE + 49,
    ARM_WCGR0_REGNUM = GEMU_ARM_REGNUM_BASE + 50,  /* iWMMXt general purpose registers */
    ARM_WCGR3_REGNUM = GEMU_ARM_REGNUM_BASE + 53,
    ARM_WCGR7_REGNUM = GEMU_ARM_REGNUM_BASE + 57,
    ARM_D0_REGNUM = GEMU_ARM_REGNUM_BASE + 58,  /* VFP d0..d31 */
    ARM_D31_REGNUM = GEMU_ARM_REGNUM_BASE + 89,
    ARM_FPSCR_REGNUM = GEMU_ARM_REGNUM_BASE + 90,
    ARM_SP_USR_REGNUM = GEMU_ARM_REGNUM_BASE + 91,  /* not GDB registers from here */
    ARM_TTBR0_EL1 = GEMU_ARM_REGNUM_BASE + 92,
    ARM_TTBR1_EL1 = GEMU_ARM_REGNUM_BASE + 93,
    ARM_NUM_REGS = 94,

    ARM_FP_REGNUM = GEMU_ARM_REGNUM_BASE + 11,  /* frame pointer in ARM code */
    THUMB_FP_REGNUM = GEMU_ARM_REGNUM_BASE + 7,  /* frame pointer in Thumb code */
    ARM_NUM_ARG_REGS = 4,
    ARM_LAST_ARG_REGNUM = ARM_A4_REGNUM,
    ARM_NUM_FP_ARG_REGS = 4,
    ARM_LAST_FP_ARG_REGNUM = ARM_F3_REGNUM
};

enum aarch64_regnum {
    AARCH64_X0_REGNUM = GEMU_AARCH64_REGNUM_BASE + 0,
    AARCH64_FP_REGNUM = GEMU_AARCH64_REGNUM_BASE + 29,  /* x29 */
    AARCH64_LR_REGNUM = GEMU_AARCH64_REGNUM_BASE + 30,  /* x30 */
    AARCH64_SP_REGNUM = GEMU_AARCH64_REGNUM_BASE + 31,
    AARCH64_PC_REGNUM = GEMU_AARCH64_REGNUM_BASE + 32,
    AARCH64_CPSR_REGNUM = GEMU_AARCH64_REGNUM_BASE + 33,
    AARCH64_V0_REGNUM = GEMU_AARCH64_REGNUM_BASE + 34,
    AARCH64_V31_REGNUM = GEMU_AARCH64_REGNUM_BASE + 65,
    AARCH64_SVE_Z0_REGNUM = AARCH64_V0_REGNUM,
    AARCH64_SVE_Z31_REGNUM = AARCH64_V31_REGNUM,
    AARCH64_FPSR_REGNUM = GEMU_AARCH64_REGNUM_BASE + 66,
    AARCH64_FPCR_REGNUM = GEMU_AARCH64_REGNUM_BASE + 67,
    AARCH64_SVE_P0_REGNUM = GEMU_AARCH64_REGNUM_BASE + 68,
    AARCH64_SVE_P15_REGNUM = GEMU_AARCH64_REGNUM_BASE + 83,
    AARCH64_SVE_FFR_REGNUM = GEMU_AARCH64_REGNUM_BASE + 84,
    AARCH64_SVE_VG_REGNUM = GEMU_AARCH64_REGNUM_BASE + 85,
    AARCH64_SP_EL0 = GEMU_AARCH64_REGNUM_BASE + 86,  /* not GDB registers from here */
    AARCH64_SP_EL1 = GEMU_AARCH64_REGNUM_BASE + 87,
    AARCH64_SP_EL2 = GEMU_AARCH64_REGNUM_BASE + 88,
    AARCH64_SP_EL3 = GEMU_AARCH64_REGNUM_BASE + 89,
    AARCH64_TTBR0_EL1 = GEMU_AARCH64_REGNUM_BASE + 90,
    AARCH64_TTBR1_EL1 = GEMU_AARCH64_REGNUM_BASE + 91,

    AARCH64_LAST_X_ARG_REGNUM = GEMU_AARCH64_REGNUM_BASE + 7,
    AARCH64_STRUCT_RETURN_REGNUM = GEMU_AARCH64_REGNUM_BASE + 8,
    AARCH64_LAST_V_ARG_REGNUM = AARCH64_V0_REGNUM + 7
};

#endif /* GEMU_REGNUM_H */

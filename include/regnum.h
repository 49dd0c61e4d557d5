/*
 * regnum.h - register numbers for qemulib_read_register().
 *
 * Part of gemu's public C plugin API (see plugins.h). A plugin needs only
 * this directory and a C compiler.
 *
 * The numbers follow GDB's register order for the guest's architecture
 * (the enums i386_regnum in gdb/i386-tdep.h and amd64_regnum in
 * gdb/amd64-tdep.h), so a number means the same register it means to GDB.
 * Which table applies is decided by the guest program, not by the host or
 * the plugin: qemulib_get_arch_name() returns "i386" or "x86_64".
 * Register 0 is EAX (4 bytes) for an i386 guest and RAX (8 bytes) for an
 * x86-64 guest.
 *
 * qemulib_read_register() stores the value in guest byte order (little
 * endian) and returns its size in bytes, which is fixed per register:
 *
 *   register                         i386 guest   x86-64 guest
 *   general purpose (eax.., rax..)   4            8
 *   instruction pointer (eip, rip)   4            8
 *   eflags                           4            4   (as in GDB)
 *   segment selectors cs..gs         4            4   (as in GDB; the
 *                                                      selector is zero-
 *                                                      extended)
 *   st0..st7                         10           10  (x87 80-bit extended
 *                                                      format; numbered
 *                                                      from the top of the
 *                                                      stack as GDB: st0 =
 *                                                      ST(0))
 *   fctrl fstat ftag fiseg fioff
 *   foseg fooff fop                  4            4   (zero-extended)
 *   xmm0..xmm7 / xmm0..xmm15         16           16
 *   mxcsr                            4            4
 *   fs_base, gs_base (gemu)          4            8
 *   cr0, cr2, cr3, cr4 (gemu)        4            8
 *
 * The largest register is 16 bytes (GEMU_REG_MAX_SIZE): a buffer of that
 * size is always enough.
 *
 * gemu extensions: the numbers after MXCSR (FS_BASE, GS_BASE, CR0, CR2,
 * CR3, CR4) are specific to gemu. GDB uses numbers in that range for other
 * things (orig_eax/orig_rax on Linux, AVX and other registers in newer
 * target descriptions); do not pass gemu's extension numbers to GDB or
 * expect GDB's meaning from gemu. FS_BASE/GS_BASE are the linear base
 * addresses of the FS and GS segments (on i386 Linux, the base set up by
 * set_thread_area for the TLS segment). In user mode the control registers
 * read as plausible values for a CPU running with paging in protected
 * (i386) or long (x86-64) mode; their exact values are not part of the
 * contract there. They are meant for system mode.
 */
#ifndef GEMU_REGNUM_H
#define GEMU_REGNUM_H

/* Size in bytes of the largest register (xmm). */
#define GEMU_REG_MAX_SIZE 16

/* ---------------------------------------------------------------------
 * i386 guests (qemulib_get_arch_name() returns "i386")
 * ------------------------------------------------------------------- */

/* General purpose registers, 4 bytes each. */
#define I386_EAX_REGNUM     0
#define I386_ECX_REGNUM     1
#define I386_EDX_REGNUM     2
#define I386_EBX_REGNUM     3
#define I386_ESP_REGNUM     4
#define I386_EBP_REGNUM     5
#define I386_ESI_REGNUM     6
#define I386_EDI_REGNUM     7
#define I386_EIP_REGNUM     8   /* 4 bytes */
#define I386_EFLAGS_REGNUM  9   /* 4 bytes */

/* Segment selectors, 4 bytes each (as GDB reports them). */
#define I386_CS_REGNUM      10
#define I386_SS_REGNUM      11
#define I386_DS_REGNUM      12
#define I386_ES_REGNUM      13
#define I386_FS_REGNUM      14
#define I386_GS_REGNUM      15

/* x87 data registers, 10 bytes each (80-bit extended precision). */
#define I386_ST0_REGNUM     16
#define I386_ST1_REGNUM     17
#define I386_ST2_REGNUM     18
#define I386_ST3_REGNUM     19
#define I386_ST4_REGNUM     20
#define I386_ST5_REGNUM     21
#define I386_ST6_REGNUM     22
#define I386_ST7_REGNUM     23

/* x87 control registers, 4 bytes each. */
#define I386_FCTRL_REGNUM   24  /* control word */
#define I386_FSTAT_REGNUM   25  /* status word */
#define I386_FTAG_REGNUM    26  /* full tag word, 2 bits per register */
#define I386_FISEG_REGNUM   27  /* last instruction pointer: selector */
#define I386_FIOFF_REGNUM   28  /* last instruction pointer: offset */
#define I386_FOSEG_REGNUM   29  /* last operand pointer: selector */
#define I386_FOOFF_REGNUM   30  /* last operand pointer: offset */
#define I386_FOP_REGNUM     31  /* last opcode */

/* SSE registers, 16 bytes each; mxcsr 4 bytes. */
#define I386_XMM0_REGNUM    32
#define I386_XMM1_REGNUM    33
#define I386_XMM2_REGNUM    34
#define I386_XMM3_REGNUM    35
#define I386_XMM4_REGNUM    36
#define I386_XMM5_REGNUM    37
#define I386_XMM6_REGNUM    38
#define I386_XMM7_REGNUM    39
#define I386_MXCSR_REGNUM   40

/* gemu extensions (not GDB numbers), 4 bytes each on i386. */
#define I386_FS_BASE_REGNUM 41
#define I386_GS_BASE_REGNUM 42
#define I386_CR0_REGNUM     43
#define I386_CR2_REGNUM     44
#define I386_CR3_REGNUM     45
#define I386_CR4_REGNUM     46

/* Number of register numbers gemu answers for an i386 guest: valid
   numbers are 0 .. I386_NUM_REGS - 1. I386_NUM_GDB_REGS counts only the
   ones shared with GDB (0 .. I386_MXCSR_REGNUM). */
#define I386_NUM_GDB_REGS   (I386_MXCSR_REGNUM + 1)
#define I386_NUM_REGS       (I386_CR4_REGNUM + 1)

/* ---------------------------------------------------------------------
 * x86-64 guests (qemulib_get_arch_name() returns "x86_64")
 * ------------------------------------------------------------------- */

/* General purpose registers, 8 bytes each. Note GDB's order: rax, rbx,
   rcx, rdx (not the hardware encoding order rax, rcx, rdx, rbx). */
#define AMD64_RAX_REGNUM    0
#define AMD64_RBX_REGNUM    1
#define AMD64_RCX_REGNUM    2
#define AMD64_RDX_REGNUM    3
#define AMD64_RSI_REGNUM    4
#define AMD64_RDI_REGNUM    5
#define AMD64_RBP_REGNUM    6
#define AMD64_RSP_REGNUM    7
#define AMD64_R8_REGNUM     8
#define AMD64_R9_REGNUM     9
#define AMD64_R10_REGNUM    10
#define AMD64_R11_REGNUM    11
#define AMD64_R12_REGNUM    12
#define AMD64_R13_REGNUM    13
#define AMD64_R14_REGNUM    14
#define AMD64_R15_REGNUM    15
#define AMD64_RIP_REGNUM    16  /* 8 bytes */
#define AMD64_EFLAGS_REGNUM 17  /* 4 bytes (as GDB) */

/* Segment selectors, 4 bytes each (as GDB reports them). */
#define AMD64_CS_REGNUM     18
#define AMD64_SS_REGNUM     19
#define AMD64_DS_REGNUM     20
#define AMD64_ES_REGNUM     21
#define AMD64_FS_REGNUM     22
#define AMD64_GS_REGNUM     23

/* x87 data registers, 10 bytes each (80-bit extended precision). */
#define AMD64_ST0_REGNUM    24
#define AMD64_ST1_REGNUM    25
#define AMD64_ST2_REGNUM    26
#define AMD64_ST3_REGNUM    27
#define AMD64_ST4_REGNUM    28
#define AMD64_ST5_REGNUM    29
#define AMD64_ST6_REGNUM    30
#define AMD64_ST7_REGNUM    31

/* x87 control registers, 4 bytes each. */
#define AMD64_FCTRL_REGNUM  32  /* control word */
#define AMD64_FSTAT_REGNUM  33  /* status word */
#define AMD64_FTAG_REGNUM   34  /* full tag word, 2 bits per register */
#define AMD64_FISEG_REGNUM  35  /* last instruction pointer: selector */
#define AMD64_FIOFF_REGNUM  36  /* last instruction pointer: offset */
#define AMD64_FOSEG_REGNUM  37  /* last operand pointer: selector */
#define AMD64_FOOFF_REGNUM  38  /* last operand pointer: offset */
#define AMD64_FOP_REGNUM    39  /* last opcode */

/* SSE registers, 16 bytes each; mxcsr 4 bytes. */
#define AMD64_XMM0_REGNUM   40
#define AMD64_XMM1_REGNUM   41
#define AMD64_XMM2_REGNUM   42
#define AMD64_XMM3_REGNUM   43
#define AMD64_XMM4_REGNUM   44
#define AMD64_XMM5_REGNUM   45
#define AMD64_XMM6_REGNUM   46
#define AMD64_XMM7_REGNUM   47
#define AMD64_XMM8_REGNUM   48
#define AMD64_XMM9_REGNUM   49
#define AMD64_XMM10_REGNUM  50
#define AMD64_XMM11_REGNUM  51
#define AMD64_XMM12_REGNUM  52
#define AMD64_XMM13_REGNUM  53
#define AMD64_XMM14_REGNUM  54
#define AMD64_XMM15_REGNUM  55
#define AMD64_MXCSR_REGNUM  56

/* gemu extensions (not GDB numbers), 8 bytes each on x86-64. */
#define AMD64_FS_BASE_REGNUM 57
#define AMD64_GS_BASE_REGNUM 58
#define AMD64_CR0_REGNUM     59
#define AMD64_CR2_REGNUM     60
#define AMD64_CR3_REGNUM     61
#define AMD64_CR4_REGNUM     62

/* Number of register numbers gemu answers for an x86-64 guest: valid
   numbers are 0 .. AMD64_NUM_REGS - 1. AMD64_NUM_GDB_REGS counts only the
   ones shared with GDB (0 .. AMD64_MXCSR_REGNUM). */
#define AMD64_NUM_GDB_REGS  (AMD64_MXCSR_REGNUM + 1)
#define AMD64_NUM_REGS      (AMD64_CR4_REGNUM + 1)

#endif /* GEMU_REGNUM_H */

/* regall.c - test plugin that uses every name of include/regnum.h.

   plugin_init logs "name NAME NUMBER" for each name (TestRegnumNames checks
   them against the Go API's names). At the marker instruction of
   testdata/regvals.c (nopl 0x7eadbeef(%eax,%eax,1)) it reads every
   register number from 0 to 299 and logs "reg NUMBER SIZE BYTES" (bytes in
   hex, lowest address first) for each number that reads something, then
   "regs done" (TestRegisterValues checks them). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "plugins.h"
#include "regnum.h"

#define N(x) { #x, x }

static const struct {
    const char *name;
    int num;
} names[] = {
    N(I386_EAX_REGNUM),
    N(I386_ECX_REGNUM),
    N(I386_EDX_REGNUM),
    N(I386_EBX_REGNUM),
    N(I386_ESP_REGNUM),
    N(I386_EBP_REGNUM),
    N(I386_ESI_REGNUM),
    N(I386_EDI_REGNUM),
    N(I386_EIP_REGNUM),
    N(I386_EFLAGS_REGNUM),
    N(I386_CS_REGNUM),
    N(I386_SS_REGNUM),
    N(I386_DS_REGNUM),
    N(I386_ES_REGNUM),
    N(I386_FS_REGNUM),
    N(I386_GS_REGNUM),
    N(I386_FS_BASE_REGNUM),
    N(I386_GS_BASE_REGNUM),
    N(I386_KERNEL_GS_BASE_REGNUM),
    N(I386_CR0_REGNUM),
    N(I386_CR2_REGNUM),
    N(I386_CR3_REGNUM),
    N(I386_CR4_REGNUM),
    N(I386_CR8_REGNUM),
    N(I386_EFER_REGNUM),
    N(I386_ST0_REGNUM),
    N(I386_ST1_REGNUM),
    N(I386_ST2_REGNUM),
    N(I386_ST3_REGNUM),
    N(I386_ST4_REGNUM),
    N(I386_ST5_REGNUM),
    N(I386_ST6_REGNUM),
    N(I386_ST7_REGNUM),
    N(I386_FCTRL_REGNUM),
    N(I386_FSTAT_REGNUM),
    N(I386_FTAG_REGNUM),
    N(I386_FISEG_REGNUM),
    N(I386_FIOFF_REGNUM),
    N(I386_FOSEG_REGNUM),
    N(I386_FOOFF_REGNUM),
    N(I386_FOP_REGNUM),
    N(I386_XMM0_REGNUM),
    N(I386_XMM1_REGNUM),
    N(I386_XMM2_REGNUM),
    N(I386_XMM3_REGNUM),
    N(I386_XMM4_REGNUM),
    N(I386_XMM5_REGNUM),
    N(I386_XMM6_REGNUM),
    N(I386_XMM7_REGNUM),
    N(I386_MXCSR_REGNUM),
    N(I386_CS_BASE_REGNUM),
    N(I386_SS_BASE_REGNUM),
    N(I386_TR_BASE_REGNUM),
    N(I386_CPL_REGNUM),
    N(I386_NUM_REGS),
    N(I386_YMM0H_REGNUM),
    N(I386_YMM7H_REGNUM),
    N(I386_BND0R_REGNUM),
    N(I386_BND3R_REGNUM),
    N(I386_BNDCFGU_REGNUM),
    N(I386_BNDSTATUS_REGNUM),
    N(I386_K0_REGNUM),
    N(I386_K7_REGNUM),
    N(I386_ZMM0H_REGNUM),
    N(I386_ZMM7H_REGNUM),
    N(I386_PKRU_REGNUM),
    N(AMD64_RAX_REGNUM),
    N(AMD64_RBX_REGNUM),
    N(AMD64_RCX_REGNUM),
    N(AMD64_RDX_REGNUM),
    N(AMD64_RSI_REGNUM),
    N(AMD64_RDI_REGNUM),
    N(AMD64_RBP_REGNUM),
    N(AMD64_RSP_REGNUM),
    N(AMD64_R8_REGNUM),
    N(AMD64_R9_REGNUM),
    N(AMD64_R10_REGNUM),
    N(AMD64_R11_REGNUM),
    N(AMD64_R12_REGNUM),
    N(AMD64_R13_REGNUM),
    N(AMD64_R14_REGNUM),
    N(AMD64_R15_REGNUM),
    N(AMD64_RIP_REGNUM),
    N(AMD64_EFLAGS_REGNUM),
    N(AMD64_CS_REGNUM),
    N(AMD64_SS_REGNUM),
    N(AMD64_DS_REGNUM),
    N(AMD64_ES_REGNUM),
    N(AMD64_FS_REGNUM),
    N(AMD64_GS_REGNUM),
    N(AMD64_FS_BASE_REGNUM),
    N(AMD64_FSBASE_REGNUM),
    N(AMD64_GS_BASE_REGNUM),
    N(AMD64_GSBASE_REGNUM),
    N(AMD64_KERNEL_GS_BASE_REGNUM),
    N(AMD64_CTL_REGNUM),
    N(AMD64_CR0_REGNUM),
    N(AMD64_CR2_REGNUM),
    N(AMD64_CR3_REGNUM),
    N(AMD64_CR4_REGNUM),
    N(AMD64_CR8_REGNUM),
    N(AMD64_EFER_REGNUM),
    N(AMD64_ST0_REGNUM),
    N(AMD64_ST1_REGNUM),
    N(AMD64_ST2_REGNUM),
    N(AMD64_ST3_REGNUM),
    N(AMD64_ST4_REGNUM),
    N(AMD64_ST5_REGNUM),
    N(AMD64_ST6_REGNUM),
    N(AMD64_ST7_REGNUM),
    N(AMD64_FCTRL_REGNUM),
    N(AMD64_FSTAT_REGNUM),
    N(AMD64_FTAG_REGNUM),
    N(AMD64_FISEG_REGNUM),
    N(AMD64_FIOFF_REGNUM),
    N(AMD64_FOSEG_REGNUM),
    N(AMD64_FOOFF_REGNUM),
    N(AMD64_FOP_REGNUM),
    N(AMD64_XMM0_REGNUM),
    N(AMD64_XMM1_REGNUM),
    N(AMD64_XMM2_REGNUM),
    N(AMD64_XMM3_REGNUM),
    N(AMD64_XMM4_REGNUM),
    N(AMD64_XMM5_REGNUM),
    N(AMD64_XMM6_REGNUM),
    N(AMD64_XMM7_REGNUM),
    N(AMD64_XMM8_REGNUM),
    N(AMD64_XMM9_REGNUM),
    N(AMD64_XMM10_REGNUM),
    N(AMD64_XMM11_REGNUM),
    N(AMD64_XMM12_REGNUM),
    N(AMD64_XMM13_REGNUM),
    N(AMD64_XMM14_REGNUM),
    N(AMD64_XMM15_REGNUM),
    N(AMD64_MXCSR_REGNUM),
    N(AMD64_CS_BASE_REGNUM),
    N(AMD64_SS_BASE_REGNUM),
    N(AMD64_TR_BASE_REGNUM),
    N(AMD64_CPL_REGNUM),
    N(AMD64_NUM_REGS),
    N(AMD64_YMM0H_REGNUM),
    N(AMD64_YMM15H_REGNUM),
    N(AMD64_BND0R_REGNUM),
    N(AMD64_BND3R_REGNUM),
    N(AMD64_BNDCFGU_REGNUM),
    N(AMD64_BNDSTATUS_REGNUM),
    N(AMD64_XMM16_REGNUM),
    N(AMD64_XMM31_REGNUM),
    N(AMD64_YMM16H_REGNUM),
    N(AMD64_YMM31H_REGNUM),
    N(AMD64_K0_REGNUM),
    N(AMD64_K7_REGNUM),
    N(AMD64_ZMM0H_REGNUM),
    N(AMD64_ZMM31H_REGNUM),
    N(AMD64_PKRU_REGNUM),
    N(ARM_A1_REGNUM),
    N(ARM_A4_REGNUM),
    N(ARM_AP_REGNUM),
    N(ARM_IP_REGNUM),
    N(ARM_SP_REGNUM),
    N(ARM_LR_REGNUM),
    N(ARM_PC_REGNUM),
    N(ARM_F0_REGNUM),
    N(ARM_F3_REGNUM),
    N(ARM_F7_REGNUM),
    N(ARM_FPS_REGNUM),
    N(ARM_PS_REGNUM),
    N(ARM_WR0_REGNUM),
    N(ARM_WR15_REGNUM),
    N(ARM_WC0_REGNUM),
    N(ARM_WCSSF_REGNUM),
    N(ARM_WCASF_REGNUM),
    N(ARM_WC7_REGNUM),
    N(ARM_WCGR0_REGNUM),
    N(ARM_WCGR3_REGNUM),
    N(ARM_WCGR7_REGNUM),
    N(ARM_D0_REGNUM),
    N(ARM_D31_REGNUM),
    N(ARM_FPSCR_REGNUM),
    N(ARM_SP_USR_REGNUM),
    N(ARM_TTBR0_EL1),
    N(ARM_TTBR1_EL1),
    N(ARM_NUM_REGS),
    N(ARM_FP_REGNUM),
    N(THUMB_FP_REGNUM),
    N(ARM_NUM_ARG_REGS),
    N(ARM_LAST_ARG_REGNUM),
    N(ARM_NUM_FP_ARG_REGS),
    N(ARM_LAST_FP_ARG_REGNUM),
    N(AARCH64_X0_REGNUM),
    N(AARCH64_FP_REGNUM),
    N(AARCH64_LR_REGNUM),
    N(AARCH64_SP_REGNUM),
    N(AARCH64_PC_REGNUM),
    N(AARCH64_CPSR_REGNUM),
    N(AARCH64_V0_REGNUM),
    N(AARCH64_V31_REGNUM),
    N(AARCH64_SVE_Z0_REGNUM),
    N(AARCH64_SVE_Z31_REGNUM),
    N(AARCH64_FPSR_REGNUM),
    N(AARCH64_FPCR_REGNUM),
    N(AARCH64_SVE_P0_REGNUM),
    N(AARCH64_SVE_P15_REGNUM),
    N(AARCH64_SVE_FFR_REGNUM),
    N(AARCH64_SVE_VG_REGNUM),
    N(AARCH64_SP_EL0),
    N(AARCH64_SP_EL1),
    N(AARCH64_SP_EL2),
    N(AARCH64_SP_EL3),
    N(AARCH64_TTBR0_EL1),
    N(AARCH64_TTBR1_EL1),
    N(AARCH64_LAST_X_ARG_REGNUM),
    N(AARCH64_STRUCT_RETURN_REGNUM),
    N(AARCH64_LAST_V_ARG_REGNUM),
};

static const uint8_t marker[8] = {0x0f, 0x1f, 0x84, 0x00, 0xef, 0xbe, 0xad, 0x7e};

bool plugin_init(const char *args)
{
    (void)args;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        qemulib_log("name %s %d\n", names[i].name, names[i].num);
    }
    qemulib_log("names done %s\n", qemulib_get_arch_name());
    return true;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    uint8_t code[8];
    return qemulib_read_memory(cpu, pc, code, sizeof(code)) == 0
        && memcmp(code, marker, sizeof(code)) == 0;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    (void)pc;
    for (int reg = 0; reg < 300; reg++) {
        uint8_t buf[GEMU_REG_MAX_SIZE + 1];
        memset(buf, 0xee, sizeof(buf));
        int n = qemulib_read_register(cpu, buf, reg);
        if (n == 0) {
            continue;
        }
        char line[128];
        int len = snprintf(line, sizeof(line), "reg %d %d ", reg, n);
        for (int i = 0; i < n && i < GEMU_REG_MAX_SIZE; i++) {
            len += snprintf(line + len, sizeof(line) - len, "%02x", buf[i]);
        }
        /* The byte after the register must be untouched. */
        qemulib_log("%s%s\n", line, n <= GEMU_REG_MAX_SIZE && buf[n] == 0xee ? "" : " overrun");
    }
    qemulib_log("regs done\n");
}

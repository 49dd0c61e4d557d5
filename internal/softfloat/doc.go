// Package softfloat implements the x87 80-bit extended-precision floating
// point format in software, bit-exact with a real x87 FPU running with all
// exceptions masked (the Linux default).
//
// Values are F80, stored exactly like the 10-byte memory image. Every
// operation that can round or raise an exception is a method of *Env, which
// holds the rounding control (RC), the precision control (PC), the sticky
// exception flags (Exc, in status word bit order) and condition code C1.
// The package knows nothing about the register stack, tags or unmasked
// exceptions: those belong to the emulator, which maps Env to the control
// and status words.
//
// The behaviour is checked against vectors recorded on a real x87 (an AMD
// EPYC host), see testdata/README.md. Besides IEEE rounding, the vectors pin
// down these x87 details, all modelled here:
//
//   - Precision control rounds the significand of FADD/FSUB/FMUL/FDIV/FSQRT
//     results to 24 or 53 bits but keeps the 15-bit exponent range; the
//     reserved PC value 1 behaves like 64 bits.
//   - Results below the normal range are denormalized and then rounded at
//     the fixed denormal position (so reduced precision control rounds an
//     80-bit denormal even further); tininess for UE is detected after
//     rounding; UE is only raised together with PE.
//   - An invalid operation or a division by zero suppresses DE: a NaN
//     operand, sqrt of a negative denormal or a denormal divided by zero do
//     not report the denormal. FST m32/m64, FIST, FISTTP and FBSTP never
//     raise DE.
//   - Unnormals, pseudo-NaNs and pseudo-infinities are invalid operands
//     (IE, indefinite result) and take precedence over NaN propagation;
//     pseudo-denormals are accepted as denormal operands.
//   - Of two NaN operands a quiet one wins over a signaling one, otherwise
//     the larger significand wins, and on a tie the positive one; the result
//     is always quiet and a signaling NaN raises IE.
//   - FPREM/FPREM1 with an exponent difference D of 64 or more reduce by
//     2^(D-N) with N = 32 + D mod 32, set C2 and clear C0, C3 and C1.
//   - FLD1..FLDZ round the constant per RC, ignore PC and never raise PE.
//   - A float32/float64 memory operand of FADD/FCOM etc. is not the same as
//     loading it first; see Mem.
package softfloat

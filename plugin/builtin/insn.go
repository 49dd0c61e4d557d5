package builtin

import "gemu/plugin"

func init() { plugin.Register("insn", newInsn) }

// newInsn counts every executed guest instruction and prints the total at
// exit as "insns: N". It lets gemu count (Hooks.CountInsns: one addition
// per block) rather than hooking every instruction. A REP string
// instruction counts once; an instruction that faults counts each time it
// is started.
func newInsn(args string, host *plugin.Host) (*plugin.Hooks, error) {
	if err := noArgs("insn", args); err != nil {
		return nil, err
	}
	return &plugin.Hooks{
		CountInsns: true,
		Exit: func() {
			host.Logf("insns: %d\n", host.InsnCount())
		},
	}, nil
}

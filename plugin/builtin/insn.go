package builtin

import "gemu/plugin"

func init() { plugin.Register("insn", newInsn) }

// insnCount is one vCPU's instruction counter and the hook that bumps it.
type insnCount struct {
	n    uint64
	hook plugin.ExecFunc
}

// newInsn counts every executed guest instruction and prints the total at
// exit as "insns: N". A REP string instruction counts once; an instruction
// that faults counts each time it is started.
func newInsn(args string, host *plugin.Host) (*plugin.Hooks, error) {
	if err := noArgs("insn", args); err != nil {
		return nil, err
	}
	cpus := &perCPU[insnCount]{init: func(k *insnCount) {
		k.hook = func(*plugin.CPU, uint64) { k.n++ }
	}}
	return &plugin.Hooks{
		Insn: func(c *plugin.CPU, pc uint64) plugin.ExecFunc { return cpus.get(c).hook },
		Exit: func() {
			var total uint64
			cpus.each(func(k *insnCount) { total += k.n })
			host.Logf("insns: %d\n", total)
		},
	}, nil
}

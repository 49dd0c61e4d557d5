package builtin

import "gemu/plugin"

func init() { plugin.Register("gocount", newGoCount) }

// goCounter is one vCPU's instruction counter and the hook that bumps it.
type goCounter struct {
	n    uint64
	hook plugin.ExecFunc
}

// newGoCount counts executed instructions with a Go hook before every
// instruction and prints "gocount: N" at exit. It gives the same total as
// insn, which lets gemu count per block instead; gocount exists to measure
// what a Go hook on every instruction costs (bench W6).
func newGoCount(args string, host *plugin.Host) (*plugin.Hooks, error) {
	if err := noArgs("gocount", args); err != nil {
		return nil, err
	}
	cpus := &perCPU[goCounter]{init: func(k *goCounter) {
		k.hook = func(*plugin.CPU, uint64) { k.n++ }
	}}
	return &plugin.Hooks{
		VCPUExit: cpus.drop,
		Insn:     func(c *plugin.CPU, pc uint64) plugin.ExecFunc { return cpus.get(c).hook },
		Exit: func() {
			var total uint64
			cpus.each(func(k *goCounter) { total += k.n })
			host.Logf("gocount: %d\n", total)
		},
	}, nil
}

package builtin

import (
	"fmt"
	"strings"

	"gemu/internal/x86"
	"gemu/plugin"
)

func init() { plugin.Register("execlog", newExeclog) }

// newExeclog logs a line per executed instruction:
//
//	0000000000401000: 48 89 e5                 mov %rsp,%rbp
//
// the address, the instruction's bytes in hex and its disassembly in GNU
// syntax. The line is built when the instruction is translated, so each
// execution costs one write to the log.
func newExeclog(args string, host *plugin.Host) (*plugin.Hooks, error) {
	if err := noArgs("execlog", args); err != nil {
		return nil, err
	}
	digits := addrDigits(host.Arch())
	return &plugin.Hooks{
		Insn: func(c *plugin.CPU, pc uint64) plugin.ExecFunc {
			line := []byte(execLine(c, pc, digits))
			return func(*plugin.CPU, uint64) { host.Write(line) }
		},
	}, nil
}

// execLine formats the instruction at pc as execlog prints it.
func execLine(c *plugin.CPU, pc uint64, digits int) string {
	var code [x86.MaxInstLen]byte
	n := c.Mem.Fetch(pc, code[:])
	text := "(bad)"
	size := 1
	if n > 0 {
		in, err := x86.Decode(c.Mode, pc, code[:n])
		if err == nil {
			text = in.String()
		}
		size = min(int(in.Len), n)
	}
	var hex strings.Builder
	for i := 0; i < size; i++ {
		if i > 0 {
			hex.WriteByte(' ')
		}
		if i < n {
			fmt.Fprintf(&hex, "%02x", code[i])
		} else {
			hex.WriteString("??")
		}
	}
	return fmt.Sprintf("%0*x: %-24s %s\n", digits, pc, hex.String(), text)
}

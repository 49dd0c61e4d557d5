package builtin

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gemu/internal/linux/abi"
	"gemu/plugin"
)

func init() { plugin.Register("syscalls", newSyscalls) }

// pendingCall is a system call entered and not yet returned.
type pendingCall struct {
	seq  uint64 // entry order, for the calls still pending at exit
	num  int64
	args [6]uint64
}

// newSyscalls logs every system call strace-style, one line when it
// returns:
//
//	write(0x1, 0x4c6f40, 0xd, 0x0, 0x0, 0x0) = 13
//	openat(0xffffff9c, 0x4a1b2c, 0x0, 0x0, 0x0, 0x0) = -1 errno=2 (No such file or directory)
//	exit_group(0x0, 0x0, 0x0, 0x0, 0x0, 0x0) = ?
//
// All six argument registers are shown in hex. Calls that do not return
// (exit_group, or one still blocked when the program ends) end in "= ?".
func newSyscalls(args string, host *plugin.Host) (*plugin.Hooks, error) {
	if err := noArgs("syscalls", args); err != nil {
		return nil, err
	}
	is64 := host.Arch() == "x86_64"
	var mu sync.Mutex
	var seq uint64
	pending := map[*plugin.CPU]pendingCall{}
	line := func(p pendingCall, result string) []byte {
		name := host.SyscallName(p.num)
		if name == "" {
			name = "syscall_" + strconv.FormatInt(p.num, 10)
		}
		b := append([]byte(name), '(')
		for i, a := range p.args {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, "0x"...)
			b = strconv.AppendUint(b, a, 16)
		}
		b = append(b, ") = "...)
		b = append(b, result...)
		return append(b, '\n')
	}
	return &plugin.Hooks{
		Syscall: func(c *plugin.CPU, num int64, a [6]uint64) {
			mu.Lock()
			seq++
			pending[c] = pendingCall{seq, num, a}
			mu.Unlock()
		},
		SyscallRet: func(c *plugin.CPU, num, ret int64) {
			mu.Lock()
			p, ok := pending[c]
			delete(pending, c)
			mu.Unlock()
			if !ok || p.num != num {
				// The second return of fork/clone, in the new vCPU.
				p = pendingCall{num: num}
			}
			host.Write(line(p, result(ret, is64)))
		},
		Exit: func() {
			mu.Lock()
			defer mu.Unlock()
			var left []pendingCall
			for _, p := range pending {
				left = append(left, p)
			}
			sort.Slice(left, func(i, j int) bool { return left[i].seq < left[j].seq })
			var out strings.Builder
			for _, p := range left {
				out.Write(line(p, "?"))
			}
			host.Write([]byte(out.String()))
		},
	}, nil
}

// result formats a system call's return value: errors as QEMU's -strace
// does, large values (addresses) in hex, as wide as the guest's registers
// (i386 results arrive sign-extended).
func result(ret int64, is64 bool) string {
	switch {
	case ret < 0 && ret >= -4095:
		return fmt.Sprintf("-1 errno=%d (%s)", -ret, abi.ErrnoName(int(-ret)))
	case ret < 0 && !is64:
		return fmt.Sprintf("%#x", uint32(ret))
	case ret > 0xffff || ret < 0:
		return fmt.Sprintf("%#x", uint64(ret))
	}
	return strconv.FormatInt(ret, 10)
}

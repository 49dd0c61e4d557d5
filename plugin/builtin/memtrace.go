package builtin

import (
	"fmt"
	"strconv"

	"gemu/plugin"
)

func init() { plugin.Register("memtrace", newMemtrace) }

// memScratch is one vCPU's line buffer, reused for every access.
type memScratch struct{ buf []byte }

// newMemtrace logs each guest data access, one line each:
//
//	0000000000401005: load   4 @ 00007ffffffde2cc = 0000002a
//	0000000000401009: store  8 @ 00007ffffffde2c0 = 0000000000401234
//
// the instruction's address, the kind, the size in bytes, the virtual
// address and the value (its low 8 bytes for wider accesses). args
// "loads" or "stores" keeps only that kind.
func newMemtrace(args string, host *plugin.Host) (*plugin.Hooks, error) {
	loads, stores := true, true
	switch args {
	case "":
	case "loads":
		stores = false
	case "stores":
		loads = false
	default:
		return nil, fmt.Errorf("memtrace: bad args %q (want loads or stores)", args)
	}
	digits := addrDigits(host.Arch())
	cpus := &perCPU[memScratch]{}
	return &plugin.Hooks{
		VCPUExit: cpus.drop,
		Mem: func(c *plugin.CPU, pc uint64) plugin.MemFunc {
			s := cpus.get(c)
			prefix := string(appendHex(nil, pc, digits)) + ": "
			return func(addr uint64, size int, store bool, value uint64) {
				if store && !stores || !store && !loads {
					return
				}
				b := append(s.buf[:0], prefix...)
				if store {
					b = append(b, "store "...)
				} else {
					b = append(b, "load  "...)
				}
				if size < 10 {
					b = append(b, ' ')
				}
				b = strconv.AppendInt(b, int64(size), 10)
				b = append(b, " @ "...)
				b = appendHex(b, addr, digits)
				b = append(b, " = "...)
				b = appendHex(b, value, 2*min(size, 8))
				b = append(b, '\n')
				s.buf = b
				host.Write(b)
			}
		},
	}, nil
}

package builtin

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gemu/plugin"
)

func init() { plugin.Register("hotblocks", newHotblocks) }

// blockCount counts the executions of one translated block.
type blockCount struct {
	pc, n uint64
}

// newHotblocks counts how often each translation block runs and prints
// the most executed ones at exit, 20 unless args is "top=N":
//
//	hotblocks: 42 blocks executed 123456 times; top 20:
//	0000000000401020 100000
//	...
//
// Blocks are gemu's translation blocks (straight-line code up to a
// branch), counted by start address, retranslations merged.
func newHotblocks(args string, host *plugin.Host) (*plugin.Hooks, error) {
	top := 20
	if args != "" {
		v, ok := strings.CutPrefix(args, "top=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n <= 0 {
			return nil, fmt.Errorf("hotblocks: bad args %q (want top=N, N > 0)", args)
		}
		top = n
	}
	var mu sync.Mutex
	var blocks []*blockCount
	digits := addrDigits(host.Arch())
	return &plugin.Hooks{
		Block: func(c *plugin.CPU, pc uint64) plugin.ExecFunc {
			b := &blockCount{pc: pc}
			mu.Lock()
			blocks = append(blocks, b)
			mu.Unlock()
			return func(*plugin.CPU, uint64) { b.n++ }
		},
		Exit: func() {
			mu.Lock()
			defer mu.Unlock()
			byPC := map[uint64]uint64{}
			var total uint64
			for _, b := range blocks {
				if b.n > 0 {
					byPC[b.pc] += b.n
					total += b.n
				}
			}
			list := make([]blockCount, 0, len(byPC))
			for pc, n := range byPC {
				list = append(list, blockCount{pc, n})
			}
			sort.Slice(list, func(i, j int) bool {
				if list[i].n != list[j].n {
					return list[i].n > list[j].n
				}
				return list[i].pc < list[j].pc
			})
			var out strings.Builder
			fmt.Fprintf(&out, "hotblocks: %d blocks executed %d times; top %d:\n", len(list), total, top)
			for i, b := range list {
				if i == top {
					break
				}
				fmt.Fprintf(&out, "%0*x %d\n", digits, b.pc, b.n)
			}
			host.Write([]byte(out.String()))
		},
	}, nil
}

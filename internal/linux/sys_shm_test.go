package linux

import (
	"bytes"
	"testing"
)

// TestShmidDSLayouts checks the conversion of the host's struct
// shmid64_ds to the guest's three layouts: x86-64's (the host's own),
// i386's ipc64 one (84 bytes, times as low and high halves) and i386's
// old one (48 bytes, 16-bit ids, mode, pids and count, a large uid
// shown as 65534), and of an IPC_SET structure back.
func TestShmidDSLayouts(t *testing.T) {
	h := make([]byte, hostShmidDS)
	put := func(off int, v uint64, n int) {
		for i := 0; i < n; i++ {
			h[off+i] = byte(v >> (8 * i))
		}
	}
	put(0, 0x47001234, 4)     // key
	put(4, 1000, 4)           // uid
	put(8, 100000, 4)         // gid (too large for the old layout)
	put(12, 1001, 4)          // cuid
	put(16, 1002, 4)          // cgid
	put(20, 0o1640, 4)        // mode (SHM_DEST-like high bits kept)
	put(24, 7, 2)             // seq
	put(48, 10000, 8)         // segsz
	put(56, 0x1_2345_6789, 8) // atime, past 2038
	put(64, 0x6000_0000, 8)   // dtime
	put(72, 0x6100_0000, 8)   // ctime
	put(80, 4242, 4)          // cpid
	put(84, 70000, 4)         // lpid
	put(88, 3, 8)             // nattch

	p := &Thread{Process: &Process{}, w: 8}
	if g := p.guestShmidDS(h, true); !bytes.Equal(g, h) {
		t.Errorf("x86-64: converted, want the host's bytes")
	}

	p.w = 4
	g := p.guestShmidDS(h, true)
	want := map[int][2]uint64{ // offset: value, size
		0: {0x47001234, 4}, 4: {1000, 4}, 8: {100000, 4}, 12: {1001, 4}, 16: {1002, 4},
		20: {0o1640, 2}, 22: {0, 2}, 24: {7, 2}, 26: {0, 2}, 28: {0, 4}, 32: {0, 4},
		36: {10000, 4}, 40: {0x2345_6789, 4}, 44: {1, 4}, 48: {0x6000_0000, 4}, 52: {0, 4},
		56: {0x6100_0000, 4}, 60: {0, 4}, 64: {4242, 4}, 68: {70000, 4}, 72: {3, 4}, 76: {0, 4}, 80: {0, 4},
	}
	check := func(name string, g []byte, size int, want map[int][2]uint64) {
		if len(g) != size {
			t.Fatalf("%s: %d bytes, want %d", name, len(g), size)
		}
		for off, w := range want {
			var v uint64
			for i := 0; i < int(w[1]); i++ {
				v |= uint64(g[off+i]) << (8 * i)
			}
			if v != w[0] {
				t.Errorf("%s: offset %d = %#x, want %#x", name, off, v, w[0])
			}
		}
	}
	check("i386 ipc64", g, 84, want)

	g = p.guestShmidDS(h, false)
	check("i386 old", g, 48, map[int][2]uint64{
		0: {0x47001234, 4}, 4: {1000, 2}, 6: {65534, 2}, 8: {1001, 2}, 10: {1002, 2}, 12: {0o1640, 2}, 14: {7, 2},
		16: {10000, 4}, 20: {0x2345_6789, 4}, 24: {0x6000_0000, 4}, 28: {0x6100_0000, 4},
		32: {4242, 2}, 34: {70000 & 0xffff, 2}, 36: {3, 2}, 38: {0, 2}, 40: {0, 4}, 44: {0, 4},
	})
}

package linux

import (
	"os"
	"syscall"
	"testing"
)

func TestPidfdInfo(t *testing.T) {
	r := host(sysPidfdOpen, uintptr(os.Getpid()), 0)
	if r < 0 {
		t.Skipf("pidfd_open: errno %d", -r)
	}
	defer syscall.Close(int(r))
	pid, thread, ok := pidfdInfo(uintptr(r))
	if !ok || pid != os.Getpid() || thread {
		t.Errorf("pidfdInfo(own pidfd) = %d, %v, %v; want %d, false, true", pid, thread, ok, os.Getpid())
	}
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	if _, _, ok := pidfdInfo(uintptr(p[0])); ok {
		t.Errorf("pidfdInfo(pipe) says it is a pidfd")
	}
}

func TestCapDataCount(t *testing.T) {
	for _, c := range []struct {
		version uint32
		want    int
	}{{0x19980330, 1}, {0x20071026, 2}, {0x20080522, 2}} {
		h := make([]byte, 8)
		putLE32(h, c.version)
		if got := capDataCount(h); got != c.want {
			t.Errorf("capDataCount(%#x) = %d, want %d", c.version, got, c.want)
		}
	}
}

package linux

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

func TestFormatMaps(t *testing.T) {
	lines := []mapLine{
		{Start: 0x400000, End: 0x401000, Perm: mem.Read, Off: 0, Major: 0xfe, Minor: 0, Ino: 247026, Name: "/usr/bin/prog", file: true},
		{Start: 0x401000, End: 0x405000, Perm: mem.Read | mem.Exec, Off: 0x1000, Major: 0xfe, Minor: 0, Ino: 247026, Name: "/usr/bin/prog", file: true},
		{Start: 0x406000, End: 0x408000, Perm: mem.Read | mem.Write, Name: "[heap]", rss: 4096},
		{Start: 0x7f0000000000, End: 0x7f0000002000, Perm: mem.Read | mem.Write},
		{Start: 0x7f0000002000, End: 0x7f0000003000, Perm: mem.Read | mem.Write, Shared: true, Minor: 1, Ino: 5, Name: "/dev/zero (deleted)"},
		{Start: 0xffffffffff600000, End: 0xffffffffff601000, Perm: mem.Exec, Name: "[vsyscall]"},
	}
	want := "" +
		"00400000-00401000 r--p 00000000 fe:00 247026                             /usr/bin/prog\n" +
		"00401000-00405000 r-xp 00001000 fe:00 247026                             /usr/bin/prog\n" +
		"00406000-00408000 rw-p 00000000 00:00 0                                  [heap]\n" +
		"7f0000000000-7f0000002000 rw-p 00000000 00:00 0 \n" +
		"7f0000002000-7f0000003000 rw-s 00000000 00:01 5                          /dev/zero (deleted)\n" +
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
	if got := string(formatMaps(lines, false)); got != want {
		t.Errorf("maps:\n%s\nwant:\n%s", got, want)
	}
	smaps := string(formatMaps(lines[2:3], true))
	wantSmaps := "" +
		"00406000-00408000 rw-p 00000000 00:00 0                                  [heap]\n" +
		"Size:                  8 kB\n" +
		"KernelPageSize:        4 kB\n" +
		"MMUPageSize:           4 kB\n" +
		"Rss:                   4 kB\n" +
		"Pss:                   4 kB\n" +
		"Pss_Dirty:             4 kB\n" +
		"Shared_Clean:          0 kB\n" +
		"Shared_Dirty:          0 kB\n" +
		"Private_Clean:         0 kB\n" +
		"Private_Dirty:         4 kB\n" +
		"Referenced:            4 kB\n" +
		"Anonymous:             4 kB\n" +
		"KSM:                   0 kB\n" +
		"LazyFree:              0 kB\n" +
		"AnonHugePages:         0 kB\n" +
		"ShmemPmdMapped:        0 kB\n" +
		"FilePmdMapped:         0 kB\n" +
		"Shared_Hugetlb:        0 kB\n" +
		"Private_Hugetlb:       0 kB\n" +
		"Swap:                  0 kB\n" +
		"SwapPss:               0 kB\n" +
		"Locked:                0 kB\n" +
		"THPeligible:           0\n" +
		"VmFlags: rd wr mr mw me ac \n"
	if smaps != wantSmaps {
		t.Errorf("smaps:\n%s\nwant:\n%s", smaps, wantSmaps)
	}
}

// TestMapLines checks how mappings become lines: split by backing file,
// merged when adjacent with the same permissions and backing, named
// [heap], [stack] and [vdso].
func TestMapLines(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	p.proc.Files = nil
	file := FileRange{Start: 0x400000, End: 0x401000, Major: 8, Minor: 1, Ino: 42, Name: "/bin/prog"}
	p.proc.Files.set(file)
	// Two file mappings of consecutive offsets merge; a third, at an
	// offset that does not continue them, does not.
	base := uint64(0x10000000)
	for i, off := range []uint64{0x3000, 0x4000, 0x9000} {
		a := base + uint64(i)*pageSize
		p.Mem.Map(a, pageSize, mem.Read)
		p.proc.Files.set(FileRange{Start: a, End: a + pageSize, Off: off, Major: 8, Minor: 1, Ino: 43, Name: "/lib/x.so"})
	}
	// Anonymous memory right after them is a line of its own.
	p.Mem.Map(base+3*pageSize, 2*pageSize, mem.Read)
	call(t, p, x86.GateSyscall, "brk", p.brkStart+3*pageSize)
	var got []string
	for _, l := range p.mapLines() {
		got = append(got, strings.TrimRight(string(formatMaps([]mapLine{l}, false)), "\n"))
	}
	want := []string{
		"00400000-00401000 r-xp 00000000 08:01 42                                 /bin/prog",
		"00402000-00406000 rw-p 00000000 00:00 0 ", // the test image's data and bss
		"00406000-00409000 rw-p 00000000 00:00 0                                  [heap]",
		"10000000-10002000 r--p 00003000 08:01 43                                 /lib/x.so",
		"10002000-10003000 r--p 00009000 08:01 43                                 /lib/x.so",
		"10003000-10005000 r--p 00000000 00:00 0 ",
		"7ffff7ffd000-7ffff7ffe000 r-xp 00000000 00:00 0                          [vdso]",
		"7fffff7ff000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// munmap forgets the file; mmap over it replaces it.
	call(t, p, x86.GateSyscall, "munmap", base, pageSize)
	if f := p.proc.Files.at(base); f != nil {
		t.Errorf("unmapped range still backed by %s", f.Name)
	}
}

// putPath writes a NUL-terminated string into the test process's stack
// area and returns its address.
func putPath(p *Thread, addr uint64, s string) uint64 {
	p.Mem.Poke(addr, append([]byte(s), 0))
	return addr
}

// TestProcSelfMem opens /proc/self/mem as the guest and checks that it
// addresses the guest's memory as a debugger sees it.
func TestProcSelfMem(t *testing.T) {
	for _, bits := range []int{32, 64} {
		p := newTestProcess(t, bits, nil, nil, Options{})
		gate := x86.GateSyscall
		if bits == 32 {
			gate = x86.GateInt80
		}
		scratch := p.Stack.SP - 16384
		buf := scratch + 4096
		fd := call(t, p, gate, "open", putPath(p, scratch, "/proc/self/mem"), abi.O_RDWR)
		if fd < 0 || p.served(int(fd)) == nil || !p.served(int(fd)).mem {
			t.Fatalf("%d: open = %d, not served", bits, fd)
		}
		lo := func(v uint64) uint64 { return v & 0xffffffff }
		hi := func(v uint64) uint64 { return v >> 32 }
		pread := func(addr, n uint64) int64 {
			if bits == 32 {
				return call(t, p, gate, "pread64", uint64(fd), buf, n, lo(addr), hi(addr))
			}
			return call(t, p, gate, "pread64", uint64(fd), buf, n, addr)
		}
		pwrite := func(addr uint64, b []byte) int64 {
			p.Mem.Poke(buf, b)
			if bits == 32 {
				return call(t, p, gate, "pwrite64", uint64(fd), buf, uint64(len(b)), lo(addr), hi(addr))
			}
			return call(t, p, gate, "pwrite64", uint64(fd), buf, uint64(len(b)), addr)
		}

		// Read: the guest's bytes.
		p.Mem.Poke(scratch+2048, []byte("guest bytes"))
		if r := pread(scratch+2048, 11); r != 11 {
			t.Fatalf("%d: pread = %d", bits, r)
		}
		got := make([]byte, 11)
		p.Mem.Peek(buf, got)
		if string(got) != "guest bytes" {
			t.Errorf("%d: read %q", bits, got)
		}
		// Write to a read-only page (the vDSO) succeeds.
		if r := pwrite(p.Layout.VDSO+0x800, []byte{1, 2, 3}); r != 3 {
			t.Errorf("%d: write to read-only page = %d", bits, r)
		}
		p.Mem.Peek(p.Layout.VDSO+0x800, got[:3])
		if got[0] != 1 || got[2] != 3 {
			t.Errorf("%d: read-only page holds %v", bits, got[:3])
		}
		// Writing code invalidates its translations.
		var inval []uint64
		p.Mem.OnCodeWrite = func(a uint64) { inval = append(inval, a) }
		p.Mem.MarkCode(p.Image.Entry)
		if r := pwrite(p.Image.Entry, []byte{0x90}); r != 1 || len(inval) != 1 || inval[0] != pageDown(p.Image.Entry) {
			t.Errorf("%d: code write = %d, invalidated %#x", bits, r, inval)
		}
		// Unmapped: EIO; a read running into an unmapped page is short.
		if r := pread(0x1000, 4); r != -abi.EIO {
			t.Errorf("%d: unmapped read = %d", bits, r)
		}
		top := p.stackBottom() // the page below the stack is unmapped
		if r := pread(top-pageSize, 16); r != -abi.EIO {
			t.Errorf("%d: read below the stack = %d", bits, r)
		}
		end := p.Layout.StackTop
		if r := pread(end-100, 4096); r != 100 {
			t.Errorf("%d: read across the end of the stack = %d, want 100", bits, r)
		}
		// Where gemu's own code is (0x401000): not mapped in an i386
		// guest, so EIO and nothing written anywhere.
		if bits == 32 {
			if r := pwrite(0x401000, make([]byte, 4096)); r != -abi.EIO {
				t.Errorf("write at 0x401000 = %d, want EIO", r)
			}
		}
		// Beyond the address space.
		if r := pread(p.Mem.Limit, 1); r != -abi.EIO {
			t.Errorf("%d: read at the limit = %d", bits, r)
		}
		// lseek sets the address; read and write move it; dup shares it.
		var seek int64
		if bits == 32 {
			seek = call(t, p, gate, "_llseek", uint64(fd), hi(scratch+2048), lo(scratch+2048), scratch+8000, 0)
		} else {
			seek = call(t, p, gate, "lseek", uint64(fd), scratch+2048, 0)
		}
		if seek < 0 {
			t.Fatalf("%d: seek = %d", bits, seek)
		}
		dup := call(t, p, gate, "dup", uint64(fd))
		if r := call(t, p, gate, "read", uint64(dup), buf, 6); r != 6 {
			t.Errorf("%d: read via dup = %d", bits, r)
		}
		if pos := p.served(int(fd)).pos; pos != scratch+2048+6 {
			t.Errorf("%d: offset after read via dup = %#x", bits, pos)
		}
		if bits == 64 {
			huge := uint64(0xffff800000001000)
			if r := call(t, p, gate, "lseek", uint64(fd), huge, 0); uint64(r) != huge {
				t.Errorf("lseek to %#x = %#x", huge, r)
			}
			if r := call(t, p, gate, "read", uint64(fd), buf, 4); r != -abi.EIO {
				t.Errorf("read at %#x = %d", huge, r)
			}
		}
		if r := call(t, p, gate, "close", uint64(dup)); r != 0 || p.served(int(dup)) != nil {
			t.Errorf("%d: close = %d", bits, r)
		}
		call(t, p, gate, "close", uint64(fd))
		for _, g := range p.fds.list() {
			if p.served(g) != nil {
				t.Errorf("%d: served descriptor %d left", bits, g)
			}
		}
	}
}

// TestProcSelfSnapshots opens the generated files through the guest's
// open and reads them back.
func TestProcSelfSnapshots(t *testing.T) {
	p := newTestProcess(t, 64, []string{"prog", "a b", ""}, []string{"X=1", "Y=2"}, Options{})
	scratch := p.Stack.SP - 16384
	buf := scratch + 4096
	read := func(path string) string {
		t.Helper()
		fd := call(t, p, x86.GateSyscall, "open", putPath(p, scratch, path), abi.O_RDONLY|abi.O_CLOEXEC)
		if fd < 0 {
			t.Fatalf("open %s = %d", path, fd)
		}
		defer call(t, p, x86.GateSyscall, "close", uint64(fd))
		n := call(t, p, x86.GateSyscall, "read", uint64(fd), buf, 8192)
		if n < 0 {
			t.Fatalf("read %s = %d", path, n)
		}
		b := make([]byte, n)
		p.Mem.Peek(buf, b)
		return string(b)
	}
	if got := read("/proc/self/cmdline"); got != "prog\x00a b\x00\x00" {
		t.Errorf("cmdline %q", got)
	}
	if got := read("/proc/self/environ"); got != "X=1\x00Y=2\x00" {
		t.Errorf("environ %q", got)
	}
	if got := read("/proc/thread-self/comm"); got != "prog\n" {
		t.Errorf("comm %q", got)
	}
	if got := read("/proc/self/auxv"); len(got) != len(p.proc.Auxv) || len(got) < 32 || got[len(got)-16:] != string(make([]byte, 16)) {
		t.Errorf("auxv: %d bytes", len(got))
	}
	stat := strings.Fields(read("/proc/self/stat"))
	if len(stat) != 52 || stat[1] != "(prog)" || stat[2] != "R" || stat[27] != strconv.FormatUint(p.Stack.SP, 10) {
		t.Errorf("stat %q", stat)
	}
	if got := read("/proc/self/status"); !strings.HasPrefix(got, "Name:\tprog\n") || !strings.Contains(got, "\nThreads:\t1\n") {
		t.Errorf("status:\n%s", got)
	}
	if got := read("/proc/self/maps"); !strings.Contains(got, "[stack]") || !strings.Contains(got, "[vdso]") {
		t.Errorf("maps:\n%s", got)
	}
}

// TestProcSelfMemPaths: the guest's memory file is served however the
// path reaches it (a symbolic link, /proc/PID/task/TID), a gemu thread
// that is no guest thread has no /proc entries, and a served number that
// was closed behind gemu's back is forgotten.
func TestProcSelfMemPaths(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p := newTestProcess(t, 64, nil, nil, Options{})
	scratch := p.Stack.SP - 16384
	open := func(path string) int64 {
		return call(t, p, x86.GateSyscall, "open", putPath(p, scratch, path), abi.O_RDONLY)
	}
	link := filepath.Join(t.TempDir(), "mem")
	if err := os.Symlink("/proc/self/mem", link); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(os.Getpid())
	for _, path := range []string{link, "/proc/" + pid + "/task/" + pid + "/mem", "/proc/thread-self/mem",
		"/proc/self/root/proc/self/mem", "/proc/self/../self/./mem"} {
		fd := open(path)
		if fd < 0 || p.served(int(fd)) == nil {
			t.Errorf("open %s = %d, not served", path, fd)
		}
		call(t, p, x86.GateSyscall, "close", uint64(fd))
	}
	// Relative to a /proc/self directory descriptor.
	dir := call(t, p, x86.GateSyscall, "open", putPath(p, scratch, "/proc/self"), abi.O_RDONLY|abi.O_DIRECTORY)
	fd := call(t, p, x86.GateSyscall, "openat", uint64(dir), putPath(p, scratch, "mem"), abi.O_RDONLY)
	if dir < 0 || fd < 0 || p.served(int(fd)) == nil {
		t.Errorf("openat(/proc/self, mem) = %d (dir %d), not served", fd, dir)
	}
	call(t, p, x86.GateSyscall, "close", uint64(fd))
	call(t, p, x86.GateSyscall, "close", uint64(dir))
	// A thread of the host process that is not a guest thread.
	tasks, _ := os.ReadDir("/proc/self/task")
	other := ""
	for _, e := range tasks {
		if e.Name() != pid && e.Name() != strconv.Itoa(syscall.Gettid()) {
			other = e.Name()
		}
	}
	if other == "" {
		t.Fatal("no other host thread")
	}
	for _, path := range []string{"/proc/self/task/" + other + "/mem", "/proc/" + other + "/mem", "/proc/" + other + "/maps"} {
		if fd := open(path); fd != -abi.ENOENT {
			t.Errorf("open %s = %d, want ENOENT", path, fd)
		}
	}
	// The task directory lists the guest's threads only.
	dir = call(t, p, x86.GateSyscall, "open", putPath(p, scratch, "/proc/self/task"), abi.O_RDONLY|abi.O_DIRECTORY)
	var names []string
	for {
		n := call(t, p, x86.GateSyscall, "getdents64", uint64(dir), scratch+4096, 4096)
		if n <= 0 {
			break
		}
		b := make([]byte, n)
		p.Mem.Peek(scratch+4096, b)
		for _, d := range abi.ParseDirents64(b) {
			names = append(names, string(d.Name))
		}
	}
	call(t, p, x86.GateSyscall, "close", uint64(dir))
	if strings.Join(names, " ") != ". .. "+pid && strings.Join(names, " ") != ".. . "+pid {
		t.Errorf("/proc/self/task lists %q", names)
	}
	// Closed, the number reused by another file.
	fd = open("/proc/self/mem")
	call(t, p, x86.GateSyscall, "close", uint64(fd))
	if r := open("/proc/self/cmdline"); r != fd {
		t.Fatalf("reopen got %d, not %d", r, fd)
	}
	if p.served(int(fd)) != nil {
		t.Errorf("stale served entry for %d", fd)
	}
	call(t, p, x86.GateSyscall, "close", uint64(fd))
}

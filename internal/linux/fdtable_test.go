package linux

import (
	"os"
	"path"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"gemu/internal/linux/abi"
)

// newFD reserves and fills the lowest free number with host h.
func newFD(t *testing.T, tb *fdTable, h int, limit uint64) int {
	t.Helper()
	fd, e := tb.reserve(0, limit)
	if e != 0 {
		t.Fatalf("reserve: %d", e)
	}
	tb.fill(fd, h, false, nil)
	return fd
}

func TestFDTableLowestFree(t *testing.T) {
	tb := fdTableFrom([]fdSlot{{0, 100, false, 0}, {1, 101, false, 0}, {2, 102, false, 0}})
	if fd := newFD(t, tb, 103, 64); fd != 3 {
		t.Fatalf("first new descriptor %d, want 3", fd)
	}
	newFD(t, tb, 104, 64)
	if h, ok := tb.remove(1); !ok || h != 101 {
		t.Fatalf("remove(1) = %d, %v", h, ok)
	}
	if fd := newFD(t, tb, 105, 64); fd != 1 {
		t.Errorf("after closing 1, new descriptor %d, want 1", fd)
	}
	// A reservation is not a descriptor, and takes its number.
	r, _ := tb.reserve(0, 64)
	if r != 5 {
		t.Errorf("reserved %d, want 5", r)
	}
	if _, ok := tb.lookup(5); ok {
		t.Error("a reserved number is open")
	}
	if _, e := tb.dupTo(0, 5, false); e != -eBUSY {
		t.Errorf("dup2 over a reservation: %d, want EBUSY", e)
	}
	tb.cancel(r)
	if fd := newFD(t, tb, 106, 64); fd != 5 {
		t.Errorf("after cancel, new descriptor %d, want 5", fd)
	}
	if got := tb.list(); !slices.Equal(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("list %v", got)
	}
}

func TestFDTableLimits(t *testing.T) {
	tb := newFDTable()
	for i := 0; i < 4; i++ {
		newFD(t, tb, 10+i, 4)
	}
	if _, e := tb.reserve(0, 4); e != -eMFILE {
		t.Errorf("reserve when full: %d, want EMFILE", e)
	}
	if r := tb.dupFrom(0, 0, 4, false); r != -eMFILE {
		t.Errorf("dup when full: %d, want EMFILE", r)
	}
	// The limit bounds numbers, not counts: after lowering it, open
	// descriptors above stay, new ones are refused.
	tb.remove(3)
	if _, e := tb.reserve(0, 3); e != -eMFILE {
		t.Errorf("reserve under a lower limit: %d, want EMFILE", e)
	}
	if _, ok := tb.lookup(2); !ok {
		t.Error("descriptor 2 lost")
	}
	if r := tb.dupFrom(0, 2, 8, false); r != 3 {
		t.Errorf("F_DUPFD from 2 = %d, want 3", r)
	}
	if r := tb.dupFrom(9, 0, 8, false); r != -eBADF {
		t.Errorf("dup of a closed descriptor: %d, want EBADF", r)
	}
}

func TestFDTableDupSharesHost(t *testing.T) {
	tb := newFDTable()
	fd := newFD(t, tb, 50, 64)
	d := tb.dupFrom(int64(fd), 0, 64, true)
	e, _ := tb.lookup(d)
	if e.host != 50 || !e.cloexec {
		t.Fatalf("dup entry %+v, want host 50 close-on-exec", e)
	}
	if e, _ := tb.lookup(int64(fd)); e.cloexec {
		t.Error("the original got the dup's close-on-exec flag")
	}
	prev, err := tb.dupTo(int64(fd), 9, false)
	if err != 0 || prev != fdFree {
		t.Fatalf("dupTo = %d, %d", prev, err)
	}
	// Three entries and one call hold host 50: it is closed with the
	// last of them only.
	held, _ := tb.hold(9)
	for _, g := range []int64{int64(fd), d, 9} {
		h, _ := tb.remove(g)
		if tb.put(h) {
			t.Fatalf("host closed while %d still held it", held.host)
		}
	}
	if !tb.put(held.host) {
		t.Error("host not closed by the last put")
	}
	if tb.put(50) {
		t.Error("put of an unknown host reports a close")
	}
	// dup2 over an open descriptor returns the host it held.
	a, b := newFD(t, tb, 60, 64), newFD(t, tb, 61, 64)
	if prev, _ := tb.dupTo(int64(a), int64(b), false); prev != 61 {
		t.Errorf("dupTo over %d returned %d, want 61", b, prev)
	}
}

func TestFDTableCloexecAndRange(t *testing.T) {
	tb := newFDTable()
	for i := 0; i < 6; i++ {
		newFD(t, tb, 20+i, 64)
	}
	if !tb.setCloexec(2, true) || tb.setCloexec(40, true) {
		t.Fatal("setCloexec")
	}
	if hs := tb.closeRange(3, 4, true); len(hs) != 0 {
		t.Errorf("CLOSE_RANGE_CLOEXEC closed %v", hs)
	}
	var ce []int
	for _, s := range tb.snapshot() {
		if s.Cloexec {
			ce = append(ce, s.Guest)
		}
	}
	if !slices.Equal(ce, []int{2, 3, 4}) {
		t.Errorf("close-on-exec %v, want [2 3 4]", ce)
	}
	hs := tb.closeRange(4, ^uint64(0), false)
	if !slices.Equal(hs, []int{24, 25}) || !slices.Equal(tb.list(), []int{0, 1, 2, 3}) {
		t.Errorf("closeRange returned %v, left %v", hs, tb.list())
	}
}

func TestFDTableSnapshotRoundTrip(t *testing.T) {
	tb := newFDTable()
	newFD(t, tb, 7, 64)
	tb.dupTo(0, 30, true)
	fd, _ := tb.reserve(0, 64)
	tb.fill(fd, 8, false, &fdDir{info: true})
	s := tb.snapshot()
	got, ok := decodeFDs(encodeFDs(s))
	if !ok || !slices.Equal(got, s) {
		t.Fatalf("decode(encode(%v)) = %v, %v", s, got, ok)
	}
	back := fdTableFrom(got)
	if !slices.Equal(back.snapshot(), s) || !slices.Equal(back.hosts(), []int{7, 8}) {
		t.Errorf("rebuilt %v hosts %v", back.snapshot(), back.hosts())
	}
	if e, _ := back.lookup(1); e.file == nil || e.file.kind() != fdKindFdInfo {
		t.Error("emulated fdinfo listing lost")
	}
	for _, bad := range []string{"1:2:3", "a:1:0:0", "-1:2:0:0"} {
		if _, ok := decodeFDs(bad); ok {
			t.Errorf("decodeFDs(%q) accepted", bad)
		}
	}
}

func TestLinuxTableSize(t *testing.T) {
	tb := newFDTable()
	if tb.capacity() != 64 {
		t.Errorf("initial size %d", tb.capacity())
	}
	for fd, want := range map[int]int{64: 128, 127: 128, 128: 256, 300: 512, 1023: 1024, 1024: 2048} {
		if got := linuxTableSize(fd); got != want {
			t.Errorf("linuxTableSize(%d) = %d, want %d", fd, got, want)
		}
	}
	tb.dupTo(0, 200, false) // dup of a closed descriptor: no growth needed to fail
	tb.grow(200)
	if tb.capacity() != 256 {
		t.Errorf("size after 200: %d", tb.capacity())
	}
}

func TestFDPaths(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	p.fds = fdTableFrom([]fdSlot{{0, 0, false, 0}, {1, 17, false, 0}, {5, 5, false, 0}})
	pid := strconv.Itoa(p.pid)
	for in, want := range map[string]string{
		"/proc/self/fd/1":            "/proc/self/fd/17",
		"/proc/self/fd/1/x":          "/proc/self/fd/17/x",
		"/proc/thread-self/fd/1":     "/proc/self/fd/17",
		"/proc/" + pid + "/fdinfo/1": "/proc/self/fdinfo/17",
		"/dev/fd/1":                  "/proc/self/fd/17",
		"/dev/stdout":                "/proc/self/fd/17",
		"/dev/stdin":                 "/dev/stdin", // the same number on the host
		"/proc/self/fd/5":            "/proc/self/fd/5",
		"/proc/self/fd/3":            "/proc/self/fd/-1",
		"/dev/stderr":                "/proc/self/fd/-1",
		"/proc/self/fd/":             "/proc/self/fd/",
		"/proc/self/fd/+1":           "/proc/self/fd/+1",
		"/proc/1/fd/1":               "/proc/1/fd/1",
		"/etc/passwd":                "/etc/passwd",
		"/proc/self/exe":             p.ExePath,
		"//proc/./self//fd/1":        "/proc/self/fd/17",
		"/proc/self/../self/fd/1":    "/proc/self/fd/17",
		"/proc/self/root/dev/fd/1":   "/proc/self/fd/17",
		"/proc/self/root/proc/" + pid + "/root/proc/self/fd/3": "/proc/self/fd/-1",
		"/proc/self/task/" + pid + "/fd/1":                     "/proc/self/fd/17",
		"/proc/" + pid + "/task/" + pid + "/fdinfo/3":          "/proc/self/fdinfo/-1",
		"/proc/self/task/1/fd/1":                               "/proc/self/task/1/fd/1",
	} {
		if got := p.hostPath(in); got != want {
			t.Errorf("hostPath(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]int{
		"/proc/self/fd": fdKindFdDir, "/proc/self/fd/": fdKindFdDir, "/dev/fd": fdKindFdDir,
		"/proc/" + pid + "/fdinfo": fdKindFdInfo, "/proc/self/fdx": fdKindHost, "/proc/self": fdKindHost,
		"/proc/self/task/" + pid + "/fd": fdKindFdDir, "/proc/self/root/proc/self/./fd": fdKindFdDir,
	} {
		if got := p.fdDirKind(in); got != want {
			t.Errorf("fdDirKind(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFDDirListing(t *testing.T) {
	d := &fdDir{}
	fds := []int{0, 1, 2, 7, 12}
	b, r := d.dirents(fds, 1<<16)
	if r <= 0 {
		t.Fatalf("dirents = %d", r)
	}
	var names []string
	for _, e := range abi.ParseDirents64(b) {
		names = append(names, string(e.Name))
	}
	if !slices.Equal(names, []string{".", "..", "0", "1", "2", "7", "12"}) {
		t.Errorf("listing %v", names)
	}
	if _, r := d.dirents(fds, 1<<16); r != 0 {
		t.Errorf("at the end: %d", r)
	}
	// Small buffers: one record at a time, EINVAL below one record.
	d.seek(0, 0)
	if _, r := d.dirents(fds, 10); r != -abi.EINVAL {
		t.Errorf("tiny buffer: %d", r)
	}
	if _, r := d.dirents(fds, 24); r != 24 || d.pos != 1 {
		t.Errorf("one record: %d, pos %d", r, d.pos)
	}
	if r := d.seek(-1, 0); r != -abi.EINVAL {
		t.Errorf("negative seek: %d", r)
	}
}

// The system calls: numbers lowest-free under the guest's limit, EBADF
// for numbers not in the table (even those open on the host), dup2
// bounds, close-on-exec in the table.
func TestFDSyscalls(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	p.rlimits[rlimitNofile] = [2]uint64{32, 64}
	devnull, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(devnull)
	if r := handlers["fcntl"](p, &[6]uint64{uint64(devnull), syscall.F_GETFD}); devnull > 2 && r != -abi.EBADF {
		t.Errorf("F_GETFD on gemu's descriptor %d: %d, want EBADF", devnull, r)
	}
	if r := sysWrite(p, &[6]uint64{uint64(devnull), 0, 0}); devnull > 2 && r != -abi.EBADF {
		t.Errorf("write to gemu's descriptor: %d", r)
	}
	if r := sysDup2(p, &[6]uint64{2, 31}); r != 31 {
		t.Errorf("dup2(2, 31) = %d", r)
	}
	if r := sysDup2(p, &[6]uint64{2, 32}); r != -abi.EBADF {
		t.Errorf("dup2 at the limit: %d, want EBADF", r)
	}
	if r := sysDup2(p, &[6]uint64{9, 4}); r != -abi.EBADF {
		t.Errorf("dup2 of a closed descriptor: %d", r)
	}
	if r := sysDup3(p, &[6]uint64{2, 4, abi.O_CLOEXEC}); r != 4 {
		t.Errorf("dup3 = %d", r)
	}
	if r := handlers["fcntl"](p, &[6]uint64{4, syscall.F_GETFD}); r != syscall.FD_CLOEXEC {
		t.Errorf("F_GETFD after dup3 O_CLOEXEC: %d", r)
	}
	if r := sysDup3(p, &[6]uint64{2, 2}); r != -abi.EINVAL {
		t.Errorf("dup3 to itself: %d", r)
	}
	if r := sysDup(p, &[6]uint64{2}); r != 3 {
		t.Errorf("dup = %d, want 3", r)
	}
	if r := handlers["fcntl"](p, &[6]uint64{2, syscall.F_DUPFD, 32}); r != -abi.EINVAL {
		t.Errorf("F_DUPFD at the limit: %d, want EINVAL", r)
	}
	if r := handlers["fcntl"](p, &[6]uint64{2, fDupfdCloexec, 10}); r != 10 {
		t.Errorf("F_DUPFD_CLOEXEC from 10: %d", r)
	}
	if r := sysCloseRange(p, &[6]uint64{3, 0xffffffff, 0}); r != 0 {
		t.Errorf("close_range: %d", r)
	}
	if got := p.fds.list(); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("after close_range: %v", got)
	}
	if r := sysCloseRange(p, &[6]uint64{5, 4, 0}); r != -abi.EINVAL {
		t.Errorf("close_range with first > last: %d", r)
	}
	if r := sysClose(p, &[6]uint64{uint64(devnull)}); devnull > 2 && r != -abi.EBADF {
		t.Errorf("close of gemu's descriptor: %d", r)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(devnull), syscall.F_GETFD, 0); e != 0 {
		t.Error("gemu's descriptor was closed")
	}
}

func TestFdinfoFlags(t *testing.T) {
	in := "pos:\t6\nflags:\t02100002\nmnt_id:\t26\nino:\t611\n"
	if got := string(fdinfoFlags([]byte(in), false)); got != "pos:\t6\nflags:\t0100002\nmnt_id:\t26\nino:\t611\n" {
		t.Errorf("cleared: %q", got)
	}
	if got := string(fdinfoFlags([]byte("flags:\t00\n"), true)); got != "flags:\t02000000\n" {
		t.Errorf("set: %q", got)
	}
}

// A guest path that reaches a descriptor link through the guest's own
// symbolic link or a relative name resolves to the guest's descriptor.
func TestResolveGuestPath(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	dir := t.TempDir()
	f, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(f)
	g := strconv.Itoa(f + 100) // the guest's number for it
	hostLink := "/proc/self/fd/" + strconv.Itoa(f)
	p.fds = fdTableFrom([]fdSlot{{0, 0, false, 0}, {1, 1, false, 0}, {2, 2, false, 0}, {f + 100, f, false, 0}})
	for name, target := range map[string]string{"lg": "/proc/self/fd/" + g, "lhost": hostLink, "loop": "loop"} {
		if err := os.Symlink(target, dir+"/"+name); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		path, want string
		e          int64
	}{
		{dir + "/lg", hostLink, 0},    // the guest's descriptor, to be followed by the host
		{dir + "/lg/lg", hostLink, 0}, // through it as a directory, then again
		{dir + "/lg/x", dir + "/x", 0},
		{"/proc/self/fd/" + g + "/../x", path.Dir(dir) + "/x", 0},
		{dir + "/lhost", "", -abi.ENOENT}, // a host number the guest has not
		{dir + "/loop", "", -eLOOP},
		{"/proc/self/fd/1", "/proc/self/fd/1", 0}, // a descriptor without a path
	} {
		got, e := p.resolveGuestPath(atFDCWD, c.path, false)
		if e != c.e || e == 0 && got != c.want {
			t.Errorf("resolveGuestPath(%q) = %q, %d; want %q, %d", c.path, got, e, c.want, c.e)
		}
	}
	if got, _ := p.resolveGuestPath(atFDCWD, dir+"/loop", true); got != dir+"/loop" {
		t.Errorf("nofollow: %q", got)
	}
}

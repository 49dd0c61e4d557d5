package linux

import "testing"

// A signalfd's mask travels to a forked or exec'd gemu in its kind: every
// mask (signal 64 and SIGSTOP's bit included) must come back, and the kind
// must be one decodeFDs accepts (not negative) and no other kind's.
func TestSignalfdKindRoundTrip(t *testing.T) {
	for _, m := range []uint64{0, 1, sigBit(10) | sigBit(34), sigBit(64), ^unblockable, sigBit(63) | sigBit(64)} {
		k := (&signalFile{mask: m}).kind()
		if k < 0 || k <= fdKindFdInfo {
			t.Errorf("mask %#x: kind %d", m, k)
		}
		f := signalFileOfKind(k)
		if f == nil || f.mask != m {
			t.Errorf("mask %#x: kind %d decodes to %v", m, k, f)
		}
		slots, ok := decodeFDs(encodeFDs([]fdSlot{{Guest: 3, Host: 0, Kind: k}}))
		if !ok || len(slots) != 1 || slots[0].Kind != k {
			t.Errorf("mask %#x: kind %d through GEMU_FDS: %v %v", m, k, slots, ok)
		}
	}
	for _, k := range []int{fdKindHost, fdKindFdDir, fdKindFdInfo} {
		if signalFileOfKind(k) != nil {
			t.Errorf("kind %d taken for a signalfd", k)
		}
	}
}

// A signalfd's fdinfo shows its mask where the host eventfd's shows its
// counter; other files' fdinfo is left alone.
func TestSignalfdInfo(t *testing.T) {
	host := "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t1039\neventfd-count:                0\neventfd-id: 5\neventfd-semaphore: 0\n"
	got := string(signalfdInfo([]byte(host), &signalFile{mask: sigBit(10) | sigBit(64)}))
	want := "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t1039\nsigmask:\t8000000000000200\n"
	if got != want {
		t.Errorf("signalfd fdinfo %q, want %q", got, want)
	}
	if got := string(signalfdInfo([]byte(host), nil)); got != host {
		t.Errorf("plain file's fdinfo changed: %q", got)
	}
}

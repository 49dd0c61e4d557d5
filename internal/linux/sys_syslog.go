package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// syslog(2), the kernel log buffer (issue 15), read-only: reading all of
// it (SYSLOG_ACTION_READ_ALL, what dmesg does), its size and the unread
// count, and the no-op open and close are the host's answers (with the
// host's permission checks: dmesg_restrict, CAP_SYSLOG). The actions that
// change the machine's log or console (read-and-consume, clear, console
// levels) are EPERM, as for a process without CAP_SYSLOG: a guest under
// emulation does not administer the machine running it (qemu-user 7.2
// passes them to the host). Unknown actions go to the host, which answers
// EPERM or EINVAL as it would the program.

func init() {
	reg(sysSyslog, "syslog")
	straceSpec["syslog"] = "d,p,d"
}

// Syslog actions (SYSLOG_ACTION_*).
const (
	syslogClose      = 0
	syslogOpen       = 1
	syslogRead       = 2
	syslogReadAll    = 3
	syslogReadClear  = 4
	syslogClear      = 5
	syslogConsoleOff = 6
	syslogConsoleOn  = 7
	syslogConsoleLvl = 8
	syslogSizeUnread = 9
	syslogSizeBuffer = 10
	syslogReadMax    = 64 << 20 // the most gemu reads at once
)

func sysSyslog(t *Thread, a *[6]uint64) int64 {
	typ, buf, n := sint(a[0]), t.ulong(a[1]), sint(a[2])
	switch typ {
	case syslogRead, syslogReadClear, syslogClear, syslogConsoleOff, syslogConsoleOn, syslogConsoleLvl:
		return -abi.EPERM
	case syslogReadAll:
		if r := host(syscall.SYS_SYSLOG, syslogReadAll, 0, 0); r < 0 && r != -abi.EINVAL {
			return r // the permission check comes first
		}
		if buf == 0 || n < 0 {
			return -abi.EINVAL
		}
		if n == 0 {
			return 0
		}
		size := host(syscall.SYS_SYSLOG, syslogSizeBuffer, 0, 0)
		if size < 0 {
			return size
		}
		// The text read is the buffer's records with a "[time] " prefix on
		// each line: it can exceed the buffer's size (a record of empty
		// lines, many times), never by 32 times.
		b := hbuf(int(min(n, 32*size, syslogReadMax)))
		r := host(syscall.SYS_SYSLOG, syslogReadAll, uintptr(ptr(b)), uintptr(len(b)))
		if r <= 0 {
			return r
		}
		if e := t.writeMem(buf, b[:r]); e != 0 {
			return e
		}
		return r
	default:
		// Open, close, the sizes and unknown actions use no buffer.
		return host(syscall.SYS_SYSLOG, uintptr(typ), 0, 0)
	}
}

package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Kernel keyrings (issue 15): add_key, request_key and keyctl. Keys and
// keyrings belong to the host kernel's thread, process, session and user
// keyrings of the calling thread, which for a guest thread is its own
// host thread, so the calls go to the host with the guest's strings and
// buffers copied in and out: type names (at most 31 bytes), descriptions
// and callout strings (a page), payloads (at most 1 MiB - 1) and the
// output buffers of describe, read, get_security and capabilities. Key
// serials and ids are ints in both ABIs. What gemu changes:
//
//   - KEYCTL_INSTANTIATE_IOV gathers the guest's iovecs (i386 or x86-64
//     layout) into one payload, which is what the kernel instantiates.
//   - KEYCTL_WATCH_KEY's descriptor is the guest's, translated.
//   - KEYCTL_DH_COMPUTE and the KEYCTL_PKEY_* commands answer EOPNOTSUPP,
//     as a kernel built without CONFIG_KEY_DH_OPERATIONS and
//     CONFIG_ASYMMETRIC_KEY_TYPE does (their parameter structures are not
//     translated), with a -d unimp line. qemu-user 7.2 answers all three
//     calls with ENOSYS.

func init() {
	reg(sysAddKey, "add_key")
	reg(sysRequestKey, "request_key")
	reg(sysKeyctl, "keyctl")
	for name, spec := range map[string]string{
		"add_key": "s,s,p,u,d", "request_key": "s,s,s,d", "keyctl": "d,x,x,x,x",
	} {
		straceSpec[name] = spec
	}
}

const (
	keyTypeMax    = 32        // a type name and its NUL (key_get_type_from_user)
	keyDescMax    = 4096      // KEY_MAX_DESC_SIZE, strndup_user's limit
	keyPayloadMax = 1<<20 - 1 // add_key's and update's limit
	keyOutMax     = 1 << 20   // the most gemu copies out of one call
)

// keyctl commands gemu treats specially (KEYCTL_*).
const (
	keyctlJoinSession     = 1
	keyctlUpdate          = 2
	keyctlDescribe        = 6
	keyctlSearch          = 10
	keyctlRead            = 11
	keyctlInstantiate     = 12
	keyctlGetSecurity     = 17
	keyctlInstantiateIOV  = 20
	keyctlDHCompute       = 23
	keyctlPkeyQuery       = 24
	keyctlPkeyVerify      = 28
	keyctlRestrictKeyring = 29
	keyctlCapabilities    = 31
	keyctlWatchKey        = 32
)

// keyString reads a guest string argument of at most max bytes with its
// NUL, as the kernel's strncpy_from_user and strndup_user checks it:
// EFAULT for an unreadable one, EINVAL for one too long. NULL is nil.
func (t *Thread) keyString(addr uint64, max int) ([]byte, int64) {
	if addr == 0 {
		return nil, 0
	}
	s, err := t.Mem.ReadString(addr, max)
	if err != nil {
		return nil, -abi.EFAULT
	}
	if len(s) >= max {
		return nil, -abi.EINVAL
	}
	return cstr(s), 0
}

// keyType reads a key type name: NULL and the empty name are the
// host's to refuse, so only the guest-memory checks are made here.
func (t *Thread) keyType(addr uint64) ([]byte, int64) {
	if addr == 0 {
		return nil, -abi.EFAULT
	}
	return t.keyString(addr, keyTypeMax)
}

// hostNoMem is an address never mapped in gemu's host process (its
// first page, below mmap_min_addr). A guest buffer gemu cannot read or
// write is passed to the host as this address with the guest's length,
// so the host answers EFAULT at the point where it would copy, after
// the checks it makes first (EINVAL, EPERM), as for the guest natively.
const hostNoMem = 16

// keyPayload reads a payload of n bytes; ok is false for an unreadable
// one (pass hostNoMem). No bytes are read for a length the host refuses.
func (t *Thread) keyPayload(addr, n uint64) (b []byte, ok bool) {
	if n == 0 || n > keyPayloadMax {
		return nil, true
	}
	b, e := t.readMem(addr, int(n))
	return b, e == 0
}

func sysAddKey(t *Thread, a *[6]uint64) int64 {
	n := t.ulong(a[3])
	if n > keyPayloadMax {
		return -abi.EINVAL // before the strings, as the kernel
	}
	typ, e := t.keyType(a[0])
	if e != 0 {
		return e
	}
	desc, e := t.keyString(a[1], keyDescMax)
	if e != 0 {
		return e
	}
	payload, ok := t.keyPayload(a[2], n)
	if !ok {
		return host(syscall.SYS_ADD_KEY, uintptr(ptr(typ)), uintptr(ptr(desc)), hostNoMem, uintptr(n), uintptr(sint(a[4])))
	}
	return host(syscall.SYS_ADD_KEY, uintptr(ptr(typ)), uintptr(ptr(desc)), uintptr(ptr(payload)), uintptr(len(payload)),
		uintptr(sint(a[4])))
}

func sysRequestKey(t *Thread, a *[6]uint64) int64 {
	typ, e := t.keyType(a[0])
	if e != 0 {
		return e
	}
	if a[1] == 0 {
		return -abi.EFAULT
	}
	desc, e := t.keyString(a[1], keyDescMax)
	if e != 0 {
		return e
	}
	callout, e := t.keyString(a[2], pageSize)
	if e != 0 {
		return e
	}
	return host(syscall.SYS_REQUEST_KEY, uintptr(ptr(typ)), uintptr(ptr(desc)), uintptr(ptr(callout)),
		uintptr(sint(a[3])))
}

// keyOut runs a command that fills a guest buffer of n bytes at buf and
// returns the length it needs: the host fills a copy of the guest's
// buffer, which is copied back whole (the bytes the kernel did not write
// are the guest's own again; capabilities zeroes the rest).
// call gets the buffer and its length; a nil buffer with a length is one
// gemu cannot use (pass hostNoMem).
func (t *Thread) keyOut(buf, n uint64, call func(b []byte, n uintptr) int64) int64 {
	var b []byte
	if buf != 0 && n != 0 {
		var e int64
		if b, e = t.readMem(buf, int(min(n, keyOutMax))); e != 0 || !t.writable(buf, uint64(len(b))) {
			return call(nil, uintptr(n))
		}
	}
	r := call(b, uintptr(len(b)))
	if r >= 0 && len(b) > 0 {
		if e := t.writeMem(buf, b); e != 0 {
			return e
		}
	}
	return r
}

func sysKeyctl(t *Thread, a *[6]uint64) int64 {
	cmd := uintptr(sint(a[0]))
	id := uintptr(sint(a[1]))
	kc := func(args ...uintptr) int64 {
		var v [4]uintptr
		copy(v[:], args)
		return host(syscall.SYS_KEYCTL, cmd, v[0], v[1], v[2], v[3])
	}
	switch sint(a[0]) {
	case keyctlJoinSession:
		name, e := t.keyString(a[1], keyDescMax)
		if e != 0 {
			return e
		}
		return host(syscall.SYS_KEYCTL, cmd, uintptr(ptr(name)))
	case keyctlUpdate:
		n := uintptr(t.ulong(a[3]))
		p, ok := t.keyPayload(a[2], uint64(n))
		if !ok {
			return host(syscall.SYS_KEYCTL, cmd, id, hostNoMem, n)
		}
		return host(syscall.SYS_KEYCTL, cmd, id, uintptr(ptr(p)), n)
	case keyctlInstantiate:
		n := uintptr(t.ulong(a[3]))
		p, ok := t.keyPayload(a[2], uint64(n))
		if !ok {
			return host(syscall.SYS_KEYCTL, cmd, id, hostNoMem, n, uintptr(sint(a[4])))
		}
		return host(syscall.SYS_KEYCTL, cmd, id, uintptr(ptr(p)), n, uintptr(sint(a[4])))
	case keyctlInstantiateIOV:
		// The kernel instantiates the iovecs' bytes gathered, as one
		// payload: KEYCTL_INSTANTIATE with them.
		var total uint64
		var iov [][2]uint64
		if a[2] != 0 {
			var e int64
			if iov, e = t.iovecs(t.ulong(a[2]), int64(uint32(a[3]))); e != 0 {
				return e
			}
			for _, v := range iov {
				total += v[1]
			}
		}
		if total == 0 || total > keyPayloadMax {
			return host(syscall.SYS_KEYCTL, keyctlInstantiate, id, 0, uintptr(total), uintptr(sint(a[4])))
		}
		q := hbuf(int(total))
		off := 0
		for _, v := range iov {
			if t.Mem.Read(v[0], q[off:off+int(v[1])]) != nil {
				return host(syscall.SYS_KEYCTL, keyctlInstantiate, id, hostNoMem, uintptr(total), uintptr(sint(a[4])))
			}
			off += int(v[1])
		}
		return host(syscall.SYS_KEYCTL, keyctlInstantiate, id, uintptr(ptr(q)), uintptr(total), uintptr(sint(a[4])))
	case keyctlDescribe, keyctlRead, keyctlGetSecurity:
		return t.keyOut(t.ulong(a[2]), t.ulong(a[3]), func(b []byte, n uintptr) int64 {
			if b == nil && n != 0 {
				return host(syscall.SYS_KEYCTL, cmd, id, hostNoMem, n)
			}
			return host(syscall.SYS_KEYCTL, cmd, id, uintptr(ptr(b)), n)
		})
	case keyctlCapabilities:
		return t.keyOut(t.ulong(a[1]), t.ulong(a[2]), func(b []byte, n uintptr) int64 {
			if b == nil && n != 0 {
				return host(syscall.SYS_KEYCTL, cmd, hostNoMem, n)
			}
			return host(syscall.SYS_KEYCTL, cmd, uintptr(ptr(b)), n)
		})
	case keyctlSearch:
		typ, e := t.keyType(a[2])
		if e != 0 {
			return e
		}
		desc, e := t.keyString(a[3], keyDescMax)
		if e != 0 {
			return e
		}
		if desc == nil {
			return -abi.EFAULT
		}
		return host(syscall.SYS_KEYCTL, cmd, id, uintptr(ptr(typ)), uintptr(ptr(desc)), uintptr(sint(a[4])))
	case keyctlRestrictKeyring:
		var typ, restr []byte
		var e int64
		if a[2] != 0 {
			if typ, e = t.keyType(a[2]); e != 0 {
				return e
			}
		}
		if restr, e = t.keyString(a[3], pageSize); e != 0 {
			return e
		}
		return host(syscall.SYS_KEYCTL, cmd, id, uintptr(ptr(typ)), uintptr(ptr(restr)))
	case keyctlWatchKey:
		fd := uintptr(sint(a[2]))
		if sint(a[2]) != -1 {
			h, e := t.fget(uint64(uint32(a[2])))
			if e != 0 {
				return e
			}
			defer t.fput(h)
			fd = h
		}
		return kc(id, fd, uintptr(sint(a[3])))
	case keyctlDHCompute, keyctlPkeyQuery, keyctlPkeyQuery + 1, keyctlPkeyQuery + 2, keyctlPkeyQuery + 3, keyctlPkeyVerify:
		t.unimpf("Unsupported keyctl command: %d (parameter structures not translated)\n", sint(a[0]))
		return -int64(syscall.EOPNOTSUPP)
	default:
		// The other commands take key serials, ids, permissions and
		// timeouts: ints, and unknown commands none the host uses.
		return kc(id, uintptr(sint(a[2])), uintptr(sint(a[3])), uintptr(sint(a[4])))
	}
}

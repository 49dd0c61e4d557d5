package linux

import "gemu/internal/linux/abi"

// Calls that administer the machine and whose first check in the kernel
// is the caller's capability (issue 15): acct (CAP_SYS_PACCT), reboot
// (CAP_SYS_BOOT), swapon and swapoff, sethostname and setdomainname, and
// pivot_root (CAP_SYS_ADMIN). gemu answers them as the kernel answers a
// process without the capability, EPERM before any argument is looked
// at (swapon's flags excepted, which the kernel checks first): a guest
// under emulation does not reconfigure the machine running it, even when
// gemu runs as root. qemu-user 7.2 passes them to the host. mount,
// umount, umount2 and chroot stay unserved: the kernel resolves their
// paths before the capability check, and gemu's path resolution knows no
// other mounts or roots (docs/syscalls.md).

func init() {
	for _, name := range []string{"acct", "reboot", "swapoff", "sethostname", "setdomainname", "pivot_root"} {
		reg(sysNotPermitted, name)
	}
	reg(sysSwapon, "swapon")
	for name, spec := range map[string]string{
		"acct": "s", "reboot": "x,x,x,p", "swapon": "s,x", "swapoff": "s", "sethostname": "p,d",
		"setdomainname": "p,d", "pivot_root": "s,s",
	} {
		straceSpec[name] = spec
	}
}

func sysNotPermitted(t *Thread, a *[6]uint64) int64 { return -abi.EPERM }

// swapFlagsValid is SWAP_FLAGS_VALID: the priority, SWAP_FLAG_PREFER and
// the three discard flags.
const swapFlagsValid = 0x7ffff

func sysSwapon(t *Thread, a *[6]uint64) int64 {
	if uint32(a[1])&^swapFlagsValid != 0 {
		return -abi.EINVAL
	}
	return -abi.EPERM
}

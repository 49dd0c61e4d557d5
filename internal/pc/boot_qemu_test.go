package pc

// TestBootQEMU checks the boot loader on a reference machine: it boots
// Debian's kernels under qemu-system (TCG) from the memory and entry
// state LoadLinux prepares, through a small multiboot shim: qemu's
// multiboot loader enters the shim, which copies the loader's low memory
// (GDT, boot_params, command line, page tables), the protected-mode
// kernel and the initrd (qemu's multiboot module) to where LoadLinux put
// them, sets up the entry state (32-bit flat protected mode, or long mode
// with the loader's page tables) and jumps to the kernel. The kernel's
// console must then show it booted with our E820 map and command line up
// to running /init, from an initramfs the test builds around Debian's
// static busybox. It needs gcc, ld, qemu-system and GEMU_BOOT_QEMU=1: a
// tool to tell a loader bug from an emulator bug, not part of the
// ordinary suite.

import (
	"bytes"
	"context"
	"encoding/binary"
	"gemu/internal/cpio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// shimSource is the shim, linked at 1 MiB: a multiboot header with the
// address fields, the code, parameters at +0x1000 (filled by the test),
// the loader's RAM [0x1000, 0x9f000) at +0x2000 and the protected-mode
// kernel after it.
const shimSource = `	.set BASE, 0x100000
	.set P_LONG, BASE + 0x1000
	.set P_RIP, BASE + 0x1004
	.set P_RSI, BASE + 0x1008
	.set P_RSP, BASE + 0x100c
	.set P_CR3, BASE + 0x1010
	.set P_INITRD, BASE + 0x1014
	.set P_LOAD, BASE + 0x1018
	.set P_PMSIZE, BASE + 0x101c
	.set P_GDTR, BASE + 0x1020
	.set BLOB_SRC, BASE + 0x2000
	.set BLOB_SIZE, 0x9e000
	.set PM_SRC, BLOB_SRC + BLOB_SIZE
	.text
	.code32
hdr:
	.long 0x1badb002
	.long 0x00010000
	.long -(0x1badb002 + 0x00010000)
	.long BASE
	.long BASE
	.long 0
	.long 0
	.long start
start:
	cli
	cld
	mov $P_LONG, %esp
	mov 20(%ebx), %ecx
	test %ecx, %ecx
	jz 1f
	mov 24(%ebx), %eax
	mov (%eax), %esi
	mov 4(%eax), %ecx
	sub %esi, %ecx
	mov P_INITRD, %edi
	lea -1(%esi,%ecx), %esi
	lea -1(%edi,%ecx), %edi
	std
	rep movsb
	cld
1:	mov $PM_SRC, %esi
	mov P_LOAD, %edi
	mov P_PMSIZE, %ecx
	rep movsb
	mov $BLOB_SRC, %esi
	mov $0x1000, %edi
	mov $BLOB_SIZE, %ecx
	rep movsb
	lgdt P_GDTR
	cmpl $0, P_LONG
	jne long
	ljmp $0x10, $prot32
prot32:
	mov $0x18, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov P_RSI, %esi
	mov P_RSP, %esp
	xor %ebx, %ebx
	xor %ebp, %ebp
	xor %edi, %edi
	jmp *P_RIP
long:
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov P_CR3, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax
	mov %eax, %cr0
	ljmp $0x10, $long64
	.code64
long64:
	mov $0x18, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	mov %eax, %fs
	mov %eax, %gs
	mov P_RSI, %esi
	mov P_RSP, %esp
	mov P_RIP, %eax
	jmp *%rax
`

const (
	shimParams  = 0x1000
	shimBlob    = 0x2000
	shimBlobLo  = 0x1000
	shimBlobEnd = 0x9f000
)

// qemuInit is the initramfs's /init: one line to show that user space
// runs, then power-off.
const qemuInit = "#!/bin/sh\necho gemu-loader-check: init runs\n/bin/busybox poweroff -f\n"

// Where the kernels and busybox binaries are: this machine's unpacked
// Debian packages, or what scripts/sysdeps fetches into out/sys.
var (
	kernels64   = []string{"/tmp/sys/k64/boot/vmlinuz-*", "../../out/sys/vmlinuz-amd64"}
	kernels32   = []string{"/tmp/sys/k32/boot/vmlinuz-*", "../../out/sys/vmlinuz-686"}
	busyboxes64 = []string{"/bin/busybox"}
	busyboxes32 = []string{"/tmp/sys/bb32/bin/busybox", "../../out/sys/busybox-i386"}
)

func buildShim(t *testing.T, dir string) []byte {
	for _, tool := range []string{"gcc", "ld"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	src := filepath.Join(dir, "shim.S")
	if err := os.WriteFile(src, []byte(shimSource), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{
		{"gcc", "-m32", "-c", src, "-o", filepath.Join(dir, "shim.o")},
		{"ld", "-m", "elf_i386", "-e", "0x100000", "-Ttext", "0x100000", "--oformat", "binary", "-o", filepath.Join(dir, "shim.bin"), filepath.Join(dir, "shim.o")},
	} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "shim.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBootQEMU(t *testing.T) {
	if os.Getenv("GEMU_BOOT_QEMU") != "1" {
		t.Skip("set GEMU_BOOT_QEMU=1 to boot Debian's kernels under qemu-system from the loader's memory")
	}
	dir := t.TempDir()
	shim := buildShim(t, dir)
	for _, c := range []struct {
		name, qemu string
		kernel     []string // where to look
		busybox    []string
		entry32    bool
	}{
		{"amd64", "qemu-system-x86_64", kernels64, busyboxes64, false},
		{"amd64-entry32", "qemu-system-x86_64", kernels64, busyboxes64, true},
		{"686", "qemu-system-i386", kernels32, busyboxes32, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := exec.LookPath(c.qemu); err != nil {
				t.Skipf("no %s", c.qemu)
			}
			name, img := debianKernel(t, c.kernel...)
			k, err := ParseBzImage(name, img)
			if err != nil {
				t.Fatal(err)
			}
			_, bb := debianKernel(t, c.busybox...)
			var rdBuf bytes.Buffer
			if err := cpio.Initramfs(&rdBuf, bb, []byte(qemuInit), nil); err != nil {
				t.Fatal(err)
			}
			rd := rdBuf.Bytes()
			initrd := filepath.Join(dir, c.name+".cpio.gz")
			if err := os.WriteFile(initrd, rd, 0o644); err != nil {
				t.Fatal(err)
			}
			const ramSize = 256 << 20
			ram := make([]byte, ramSize)
			// acpi=off: the initrd overwrites the top of RAM, where
			// qemu's firmware put its ACPI tables.
			cmdline := "console=ttyS0 acpi=off panic=-1 gemu_loader_check"
			e, err := LoadLinux(ram, k, &BootConfig{Cmdline: cmdline, Initrd: rd, LongMode: true, Entry32: c.entry32, Reserved: pcMMIO})
			if err != nil {
				t.Fatal(err)
			}
			if e.KernelEnd > ramSize-uint64(len(rd)) {
				t.Fatal("layout leaves no room")
			}
			// The shim image: code, parameters, low memory, kernel.
			pm := k.ProtectedMode()
			im := make([]byte, shimBlob+shimBlobEnd-shimBlobLo+len(pm))
			copy(im, shim)
			p := im[shimParams:]
			le := binary.LittleEndian
			if e.Long {
				le.PutUint32(p, 1)
			}
			le.PutUint32(p[4:], uint32(e.RIP))
			le.PutUint32(p[8:], uint32(e.RSI))
			le.PutUint32(p[12:], uint32(e.RSP))
			le.PutUint32(p[16:], uint32(e.CR3))
			le.PutUint32(p[20:], uint32(e.InitrdAddr))
			le.PutUint32(p[24:], uint32(e.LoadAddr))
			le.PutUint32(p[28:], uint32(len(pm)))
			le.PutUint16(p[32:], uint16(e.GDT.Limit))
			le.PutUint32(p[34:], uint32(e.GDT.Base))
			copy(im[shimBlob:], ram[shimBlobLo:shimBlobEnd])
			copy(im[shimBlob+shimBlobEnd-shimBlobLo:], pm)
			if !bytes.Equal(ram[e.LoadAddr:e.LoadAddr+uint64(len(pm))], pm) {
				t.Fatal("kernel not where the entry says")
			}
			f := filepath.Join(dir, c.name+".shim")
			if err := os.WriteFile(f, im, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, c.qemu, "-m", "256", "-kernel", f, "-initrd", initrd,
				"-nographic", "-no-reboot", "-monitor", "none", "-serial", "stdio")
			// The initramfs powers the machine off; stop qemu at a panic.
			out := &stopWriter{stop: cancel, marks: []string{"reboot: ", "Kernel panic"}}
			cmd.Stdout, cmd.Stderr = out, out
			cmd.Stdin = strings.NewReader("")
			start := time.Now()
			_ = cmd.Run() // ends with the guest's power-off or the timeout
			s := out.String()
			for _, want := range []string{
				"Kernel command line: " + cmdline,
				"BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable",
				"BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved",
				"BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved",
				"BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable",
				"BIOS-e820: [mem 0x00000000fec00000-0x00000000fec00fff] reserved",
				"BIOS-e820: [mem 0x00000000fee00000-0x00000000fee00fff] reserved",
				"Run /init as init process",
				"gemu-loader-check: init runs",
			} {
				if !strings.Contains(s, want) {
					t.Errorf("no %q on the console", want)
				}
			}
			if t.Failed() {
				t.Logf("console:\n%s", s)
			} else {
				t.Logf("booted to /init in %.1f s; last lines:\n%s", time.Since(start).Seconds(), lastLines(s, 6))
			}
		})
	}
}

// stopWriter collects output and calls stop once a mark appears in it.
type stopWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	stop  func()
	marks []string
}

func (w *stopWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	for _, m := range w.marks {
		if bytes.Contains(w.buf.Bytes(), []byte(m)) {
			w.stop()
		}
	}
	return len(b), nil
}

func (w *stopWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

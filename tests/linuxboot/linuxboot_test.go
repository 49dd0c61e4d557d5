// Package linuxboot boots Debian's own kernels (linux-image-686 for i386,
// linux-image-amd64 for x86-64, fetched by scripts/sysdeps into out/sys)
// under gemu-system with an initramfs built here around Debian's static
// busybox, and compares what the guest prints on its serial console with
// what the same kernel and initramfs print under qemu-system (TCG), the
// reference. The guest runs a scripted session (commands whose output does
// not depend on the emulator), then an interactive shell fed over the
// serial line, then powers off; the disk test also loads the kernel's
// virtio and ext4 modules, reads a file from an ext4 image made with
// mke2fs -d and writes one back, which the test finds in the image
// afterwards.
//
// Without out/sys the tests skip, unless GEMU_SYSTEM_TESTS=require (set by
// make test, after scripts/sysdeps) makes that a failure.
package linuxboot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gemu/internal/cpio"
)

// A kernel flavour: Debian's package suffix, the qemu-system reference for
// it and the busybox built for it.
type flavour struct {
	name, kernel, qemu, busybox string
}

func flavours(sys string) []flavour {
	return []flavour{
		{"i386", filepath.Join(sys, "vmlinuz-686"), "qemu-system-i386", filepath.Join(sys, "busybox-i386")},
		{"x86_64", filepath.Join(sys, "vmlinuz-amd64"), "qemu-system-x86_64", "/bin/busybox"},
	}
}

// bootTimeout bounds one boot to power-off: about half a minute of CPU
// time, several minutes of wall time on a machine busy with other tests.
const bootTimeout = 10 * time.Minute

// The markers the init script prints around the output that is compared,
// and the prompt the interactive part waits for.
const (
	begin  = "=== gemu-linuxboot begin"
	end    = "=== gemu-linuxboot end"
	prompt = "gemu-shell$ "
)

// initScript is the guest's /init. With disk set it also loads the
// modules listed in /lib/modules/load-order, mounts /dev/vda, reads
// greeting.txt and writes reply.txt.
func initScript(disk bool) string {
	var b strings.Builder
	b.WriteString(`#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "` + begin + `"
uname -s -r -m
cat /proc/cmdline
echo "arith: $((6 * 7)) $((1 << 20))"
echo "pipe: $(echo hello, world | tr a-z A-Z | rev)"
ls /
echo "cpus: $(grep -c ^processor /proc/cpuinfo)"
sha256sum /init
i=0; while [ $i -lt 200 ]; do i=$((i + 1)); done; echo "loop: $i"
`)
	if disk {
		b.WriteString(`for m in $(cat /lib/modules/load-order); do insmod /lib/modules/$m.ko || echo "insmod $m failed"; done
mkdir -p /mnt/disk
mount -t ext4 /dev/vda /mnt/disk && echo "mounted /dev/vda"
echo "read: $(cat /mnt/disk/greeting.txt)"
echo "written by $(uname -m)" > /mnt/disk/reply.txt
umount /mnt/disk && echo "unmounted"
`)
	}
	b.WriteString(`PS1='` + prompt + `' sh -i
echo "` + end + `"
poweroff -f
`)
	return b.String()
}

// session is what the test types at the interactive shell, one line at a
// time after each prompt.
var session = []string{
	"echo typed $((2 + 3))",
	"cat /proc/version | cut -d' ' -f1-3",
	"exit",
}

func sysDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../out/sys")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "vmlinuz-amd64")); err != nil {
		if os.Getenv("GEMU_SYSTEM_TESTS") == "require" {
			t.Fatalf("out/sys is missing (run scripts/sysdeps): %v", err)
		}
		t.Skipf("out/sys is missing: run scripts/sysdeps (or make test) to fetch the kernels")
	}
	return dir
}

var (
	buildOnce sync.Once
	gemuPath  string
	buildErr  error
	tmpRoot   string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gemu-linuxboot-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gemuSystem returns $GEMU_SYSTEM or a fresh build of cmd/gemu-system.
func gemuSystem(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if g := os.Getenv("GEMU_SYSTEM"); g != "" {
			gemuPath = g
			return
		}
		gemuPath = filepath.Join(tmpRoot, "gemu-system")
		if b, err := exec.Command("go", "build", "-o", gemuPath, "gemu/cmd/gemu-system").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building gemu-system: %v\n%s", err, b)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return gemuPath
}

// initramfs builds the initramfs of flavour f into dir.
func initramfs(t *testing.T, f flavour, sys, dir string, disk bool) string {
	t.Helper()
	bb, err := os.ReadFile(f.busybox)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	if disk {
		mods := filepath.Join(sys, "modules-"+strings.TrimPrefix(filepath.Base(f.kernel), "vmlinuz-"))
		order, err := os.ReadFile(filepath.Join(mods, "load-order"))
		if err != nil {
			t.Fatal(err)
		}
		files["lib/modules/load-order"] = order
		for _, m := range strings.Fields(string(order)) {
			if files["lib/modules/"+m+".ko"], err = os.ReadFile(filepath.Join(mods, m+".ko")); err != nil {
				t.Fatal(err)
			}
		}
	}
	path := filepath.Join(dir, "initrd-"+f.name+".gz")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := cpio.Initramfs(out, bb, []byte(initScript(disk)), files); err != nil {
		t.Fatal(err)
	}
	return path
}

// diskImage makes an 8 MiB ext4 image holding greeting.txt.
func diskImage(t *testing.T, dir, name string) string {
	t.Helper()
	root := filepath.Join(dir, name+"-root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "greeting.txt"), []byte("hello from the disk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, name+".img")
	if b, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-d", root, img, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, b)
	}
	return img
}

// boot runs an emulator, types the session at its prompts, and returns the
// console between the markers (CR LF as LF) and how long it took.
func boot(t *testing.T, name string, args []string) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	buf := make([]byte, 4096)
	typed := 0
	for {
		n, err := stdout.Read(buf)
		out.Write(buf[:n])
		// Type the next line once a new prompt shows.
		if typed < len(session) && strings.Count(out.String(), prompt) > typed {
			io.WriteString(stdin, session[typed]+"\n")
			typed++
		}
		if err != nil {
			break
		}
	}
	stdin.Close()
	werr := cmd.Wait()
	took := time.Since(start)
	console := strings.ReplaceAll(out.String(), "\r\n", "\n")
	if ctx.Err() != nil {
		t.Fatalf("%s did not power off within %v; console:\n%s\nstderr:\n%s", name, bootTimeout, tail(console), stderr.String())
	}
	if werr != nil {
		t.Fatalf("%s: %v; console:\n%s\nstderr:\n%s", name, werr, tail(console), stderr.String())
	}
	i, j := strings.Index(console, begin), strings.LastIndex(console, end)
	if i < 0 || j < i {
		t.Fatalf("%s: markers missing; console:\n%s\nstderr:\n%s", name, tail(console), stderr.String())
	}
	return console[i : j+len(end)], took
}

func tail(s string) string {
	if len(s) > 6000 {
		return "..." + s[len(s)-6000:]
	}
	return s
}

const cmdline = "console=ttyS0 panic=-1 quiet"

func testBoot(t *testing.T, disk bool) {
	sys := sysDir(t)
	g := gemuSystem(t)
	for _, f := range flavours(sys) {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			rd := initramfs(t, f, sys, dir, disk)
			common := []string{"-kernel", f.kernel, "-initrd", rd, "-append", cmdline, "-m", "256M", "-nographic", "-no-reboot"}
			var gArgs, qArgs []string
			var gImg, qImg string
			if disk {
				gImg, qImg = diskImage(t, dir, "gemu"), diskImage(t, dir, "qemu")
				gArgs = append(common, "-drive", "file="+gImg+",format=raw,if=virtio")
				// The reference's disk is a legacy virtio device too.
				qArgs = append(common, "-drive", "file="+qImg+",format=raw,if=none,id=d0",
					"-device", "virtio-blk-pci,drive=d0,disable-modern=on,disable-legacy=off")
			} else {
				gArgs, qArgs = common, common
			}
			got, gTook := boot(t, g, gArgs)
			if _, err := exec.LookPath(f.qemu); err != nil {
				t.Fatalf("%s is not installed (scripts/sysdeps installs it): %v", f.qemu, err)
			}
			want, qTook := boot(t, f.qemu, qArgs)
			t.Logf("boot to power-off: gemu-system %.1f s, %s %.1f s", gTook.Seconds(), f.qemu, qTook.Seconds())
			if got != want {
				t.Errorf("console differs from %s's\n--- gemu-system:\n%s\n--- %s:\n%s", f.qemu, got, f.qemu, want)
			}
			if disk {
				for _, img := range []string{gImg, qImg} {
					b, err := exec.Command("debugfs", "-R", "cat /reply.txt", img).Output()
					if err != nil || string(b) != "written by "+map[string]string{"i386": "i686", "x86_64": "x86_64"}[f.name]+"\n" {
						t.Errorf("%s: reply.txt reads %q (%v)", img, b, err)
					}
				}
			}
		})
	}
}

// TestBoot boots each kernel to a shell, drives the virtio disk with the
// kernel's own modules and powers it off: one boot per kernel covers it
// all, which keeps the suite's time down (a boot takes about half a
// minute of CPU time).
func TestBoot(t *testing.T) { testBoot(t, true) }

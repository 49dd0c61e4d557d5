package main

import (
	"os"
	"syscall"
	"unsafe"
)

// rawTerminal puts the terminal on stdin, if it is one, in raw mode for
// the guest's serial console, as QEMU does with -nographic: keys reach
// the guest as typed (Ctrl-C interrupts the guest's program, not
// gemu-system; Ctrl-A X quits), and the guest echoes. Output processing
// stays on. It returns the function that restores the terminal.
func rawTerminal() func() {
	fd := os.Stdin.Fd()
	var old syscall.Termios
	if termios(fd, syscall.TCGETS, &old) != nil {
		return func() {} // not a terminal
	}
	raw := old
	raw.Iflag &^= syscall.IGNBRK | syscall.BRKINT | syscall.PARMRK | syscall.ISTRIP | syscall.INLCR | syscall.IGNCR | syscall.ICRNL | syscall.IXON
	raw.Lflag &^= syscall.ECHO | syscall.ECHONL | syscall.ICANON | syscall.ISIG | syscall.IEXTEN
	raw.Cflag &^= syscall.CSIZE | syscall.PARENB
	raw.Cflag |= syscall.CS8
	raw.Cc[syscall.VMIN], raw.Cc[syscall.VTIME] = 1, 0
	if termios(fd, syscall.TCSETS, &raw) != nil {
		return func() {}
	}
	return func() { termios(fd, syscall.TCSETS, &old) }
}

// termios gets or sets the terminal attributes of fd (TCGETS, TCSETS).
func termios(fd uintptr, req uintptr, t *syscall.Termios) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(t))); e != 0 {
		return e
	}
	return nil
}

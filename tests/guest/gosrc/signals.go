//go:build ignore

// signals uses os/signal: signals the process sends itself reach
// signal.Notify's channel (through the runtime's handler, its signal
// forwarding thread and a wake-up of the poller); an ignored one is
// dropped; after signal.Reset, SIGTERM's default action ends the process.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGWINCH)
	for _, s := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGWINCH} {
		if err := syscall.Kill(os.Getpid(), s); err != nil {
			fmt.Println("kill:", err)
		}
		select {
		case got := <-c:
			fmt.Println("got", got)
		case <-time.After(10 * time.Second):
			fmt.Println("no signal")
		}
	}
	signal.Ignore(syscall.SIGUSR2)
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	time.Sleep(10 * time.Millisecond)
	fmt.Println("SIGUSR2 ignored")
	signal.Reset()
	fmt.Println("now SIGTERM")
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(10 * time.Second)
	fmt.Println("not reached")
}

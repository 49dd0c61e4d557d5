// Command gemu-system emulates a PC with one x86 CPU and boots a Linux
// kernel on it through the x86 boot protocol, like qemu-system-x86_64
// with -kernel: the kernel's console is COM1, on the terminal by default.
// Plugins see the whole machine, kernel included.
//
//	gemu-system -kernel bzImage [-initrd FILE] [-append CMDLINE] [options]
//
// Run "gemu-system -h" for the options.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"gemu/internal/x86"
	_ "gemu/plugin/builtin" // the built-in tracers: -plugin insn, ...
	_ "gemu/plugin/cplugin" // C plugins: -plugin file=PATH
)

// The CPU runs on the main goroutine, locked to the main thread: C plugins
// are called on one host thread for the whole run.
func init() { runtime.LockOSThread() }

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	o, err := ParseArgs(os.Args[1:])
	if err != nil {
		fatal("%v", err)
	}
	switch {
	case o.Help:
		fmt.Print(Usage())
		return
	case o.Version:
		fmt.Printf("gemu-system version %s\na PC emulator with instrumentation plugins\n", version)
		return
	case o.DebugHelp:
		fmt.Print("Log items (comma separated):\n" + LogHelp())
		return
	case o.CPUHelp:
		fmt.Println("Available CPU models:")
		for _, m := range x86.Models() {
			fmt.Printf("  %-10s %s\n", m.Name, m.Desc)
		}
		return
	case o.Kernel == "":
		fatal("no kernel given (-kernel bzImage; try -h)")
	}
	name := o.CPU
	if name == "" {
		name = x86.Models()[0].Name
	}
	model, err := x86.ModelByName(name)
	if err != nil {
		fatal("%v", err)
	}
	img, err := os.ReadFile(o.Kernel)
	if err != nil {
		fatal("cannot read kernel: %v", err)
	}
	var initrd []byte
	if o.Initrd != "" {
		if initrd, err = os.ReadFile(o.Initrd); err != nil {
			fatal("cannot read initrd: %v", err)
		}
	}
	stop := startProfile()
	code := run(o, model, img, initrd)
	stop()
	os.Exit(code)
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gemu-system: "+format+"\n", args...)
	os.Exit(1)
}

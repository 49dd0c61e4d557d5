package main

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of gemu-system itself to the file named
// by GEMU_CPUPROFILE, as cmd/gemu does, for developers looking for where
// system mode spends its time (docs/performance.md). It returns the
// function that ends the profile; main calls it before exiting.
func startProfile() func() {
	path := os.Getenv("GEMU_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fatal("GEMU_CPUPROFILE: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fatal("GEMU_CPUPROFILE: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

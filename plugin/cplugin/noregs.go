package cplugin

import (
	"debug/elf"
	"path/filepath"
	"strings"
)

// mayReadRegisters reports whether the C plugin in the shared object at
// path may read the guest's registers: whether it imports
// qemulib_read_register, or could reach it without importing it (dlsym
// and friends, or a library of its own that might import it). Only when
// it cannot are its hooks placed as reading no registers
// (plugin.Hooks.NoRegs), so that gemu keeps skipping the guest's flag
// work that nothing can observe, as QEMU does for a callback registered
// without register access. Any doubt (a file that cannot be parsed) says
// it may.
func mayReadRegisters(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	syms, err := f.ImportedSymbols()
	if err != nil {
		return true
	}
	for _, s := range syms {
		switch s.Name {
		case "qemulib_read_register", "dlsym", "dlvsym", "dlopen", "dlmopen":
			return true
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return true
	}
	for _, l := range libs {
		if !runtimeLib(l) {
			return true
		}
	}
	return false
}

// runtimeLib reports whether the shared library named name is part of the
// C or C++ runtime, which calls no qemulib_* function.
func runtimeLib(name string) bool {
	base := filepath.Base(name)
	for _, p := range []string{"libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so",
		"ld-linux", "libgcc_s.so", "libstdc++.so", "libatomic.so"} {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}

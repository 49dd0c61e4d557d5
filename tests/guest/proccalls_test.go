package guest

import "testing"

// TestProcCallsI386 runs the i386 builds of pdeathsig and procvm (both
// variants) under gemu against the native run of their x86_64
// builds where the host has no i386 reference: qemu-i386 differs from
// Linux there (qemuRefGaps). Both print only facts that do not depend on
// the architecture, so the outputs must be identical.
func TestProcCallsI386(t *testing.T) {
	if !i386ThroughQemu() {
		t.Skip("the host runs i386 code: TestGuest compares the i386 builds against it")
	}
	progs, err := loadPrograms()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pdeathsig", "procvm"} {
		t.Run(name, func(t *testing.T) { compareI386WithX8664(t, progs, name, "") })
	}
}

package x86

import "testing"

func TestShiftVectors(t *testing.T) {
	runHostVectors(t, "testdata/vectors64.txt.gz", 64, vecNames("shl", "shr", "sar", "rol", "ror", "rcl", "rcr"), nil)
}

func TestShiftDoubleVectors(t *testing.T) {
	runHostVectors(t, "testdata/vectors64.txt.gz", 64, vecNames("shld", "shrd"), nil)
}

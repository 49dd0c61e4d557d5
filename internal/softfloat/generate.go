package softfloat

// The hardware test vectors in testdata/x87.txt.gz are recorded by running
// testdata/gen/gen.c on a real x87 FPU (any x86 or x86-64 host with gcc);
// see testdata/README.md.
//go:generate bash -c "set -eo pipefail; gcc -O2 -o testdata/gen/x87gen testdata/gen/gen.c; testdata/gen/x87gen 1 1.5 | gzip -9n > testdata/x87.txt.gz; rm -f testdata/gen/x87gen"

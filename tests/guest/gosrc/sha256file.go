//go:build ignore

// sha256file writes a file of known content (1 MiB) in the working directory,
// reads it back three ways (os.ReadFile, a buffered reader, io.Copy
// through a pipe fed by another goroutine) and prints their SHA-256 sums,
// then lists the directory.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

func main() {
	data := make([]byte, 1<<20)
	x := uint32(12345)
	for i := range data {
		x = x*1103515245 + 12345
		data[i] = byte(x >> 16)
	}
	if err := os.WriteFile("data.bin", data, 0o644); err != nil {
		fail(err)
	}
	if err := os.WriteFile("small.txt", []byte("hello, sha256\n"), 0o600); err != nil {
		fail(err)
	}

	b, err := os.ReadFile("data.bin")
	if err != nil {
		fail(err)
	}
	fmt.Println("ReadFile:", len(b), sum(b))

	f, err := os.Open("data.bin")
	if err != nil {
		fail(err)
	}
	h := sha256.New()
	r := bufio.NewReaderSize(f, 4096)
	n, err := io.Copy(h, r)
	if err != nil {
		fail(err)
	}
	f.Close()
	fmt.Println("bufio:", n, hex.EncodeToString(h.Sum(nil)))

	pr, pw, err := os.Pipe()
	if err != nil {
		fail(err)
	}
	go func() {
		f, err := os.Open("data.bin")
		if err != nil {
			fail(err)
		}
		io.Copy(pw, f)
		f.Close()
		pw.Close()
	}()
	h.Reset()
	n, err = io.Copy(h, pr)
	if err != nil {
		fail(err)
	}
	fmt.Println("pipe:", n, hex.EncodeToString(h.Sum(nil)))

	small, _ := os.ReadFile("small.txt")
	fmt.Println("small:", sum(small))

	ents, err := os.ReadDir(".")
	if err != nil {
		fail(err)
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			fail(err)
		}
		fmt.Println("entry:", e.Name(), info.Size(), info.Mode())
	}
	if _, err := os.Open("missing"); err != nil {
		fmt.Println("missing:", err)
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

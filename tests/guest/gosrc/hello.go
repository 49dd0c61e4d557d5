//go:build ignore

// hello is the smallest Go program: the runtime starts (it parses the
// vDSO, starts its threads), prints and exits with a status.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("hello from Go")
	fmt.Fprintln(os.Stderr, "and its standard error")
	os.Exit(3)
}

// Package cli is what gemu's commands (gemu, gemu-system) share on their
// command lines: an option table in QEMU's style (each option introduced
// by "-" or "--", its value the next argument) and the help text made
// from it.
package cli

import (
	"fmt"
	"strings"
)

// Option is one command-line option of a command whose parsed options are
// a T: its name without the dash, the name of its argument ("" for a
// flag), one line of help, and what it does to the options.
type Option[T any] struct {
	Name, Arg, Help string
	Apply           func(o *T, v string) error
}

// Item is one item of a list option such as -d, with its help.
type Item struct{ Name, Help string }

// Lookup returns the option of table named name, or nil.
func Lookup[T any](table []Option[T], name string) *Option[T] {
	for i := range table {
		if table[i].Name == name {
			return &table[i]
		}
	}
	return nil
}

// helpColumn is where the options' help starts, after two spaces.
const helpColumn = 22

// Help lists the options of table, one per line: "-name ARG" and the help
// aligned after it, or on the next line when the left part is too wide.
func Help[T any](table []Option[T]) string {
	var b strings.Builder
	for _, o := range table {
		left := "-" + o.Name
		if o.Arg != "" {
			left += " " + o.Arg
		}
		if len(left) > helpColumn {
			fmt.Fprintf(&b, "  %s\n  %-*s  %s\n", left, helpColumn, "", o.Help)
		} else {
			fmt.Fprintf(&b, "  %-*s  %s\n", helpColumn, left, o.Help)
		}
	}
	return b.String()
}

// Items lists items one per line, their help aligned at width.
func Items(items []Item, width int) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "  %-*s %s\n", width, it.Name, it.Help)
	}
	return b.String()
}

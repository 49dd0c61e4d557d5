package linux

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostBuffersKeptAlive checks, on this package's source, the rule that
// keeps Go buffers alive while the kernel uses them: every ptr(b) is
// converted with uintptr(...) right in the argument list of host (marked
// go:uintptrescapes) or of a syscall.Syscall function (which the compiler
// treats the same way). A pointer stored into a host structure instead
// (struct msghdr's iovecs) is allowed only in a function that calls keep
// on the buffers after the host call. A uintptr taken earlier and passed
// later would keep nothing alive: the garbage collector could reuse the
// buffer in the middle of the call, which once corrupted piped data.
func TestHostBuffersKeptAlive(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || fn.Name.Name == "ptr" {
				continue
			}
			keeps := callsKeep(fn.Body) || fn.Name.Name == "hostMsghdr"
			var stack []ast.Node
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if n == nil {
					stack = stack[:len(stack)-1]
					return false
				}
				stack = append(stack, n)
				call, ok := n.(*ast.CallExpr)
				if !ok || !isIdent(call.Fun, "ptr") {
					return true
				}
				checked++
				if keeps {
					return true
				}
				if len(stack) < 3 || !isUintptrConv(stack[len(stack)-2]) || !isSyscallCall(stack[len(stack)-3]) {
					t.Errorf("%s: ptr(...) must be converted as uintptr(ptr(b)) directly in the arguments of host or syscall.Syscall*", fset.Position(call.Pos()))
				}
				return true
			})
		}
	}
	if checked < 50 {
		t.Fatalf("found only %d uses of ptr: the check is not looking at the right code", checked)
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func isUintptrConv(n ast.Node) bool {
	c, ok := n.(*ast.CallExpr)
	return ok && len(c.Args) == 1 && isIdent(c.Fun, "uintptr")
}

func isSyscallCall(n ast.Node) bool {
	c, ok := n.(*ast.CallExpr)
	if !ok {
		return false
	}
	if isIdent(c.Fun, "host") {
		return true
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	return ok && isIdent(sel.X, "syscall") && (strings.HasPrefix(sel.Sel.Name, "Syscall") || strings.HasPrefix(sel.Sel.Name, "RawSyscall"))
}

func callsKeep(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok && isIdent(c.Fun, "keep") {
			found = true
		}
		return !found
	})
	return found
}

# gemu: two entry points for a fresh machine (see README.md).
#   make demo   builds gemu and runs the bundled guest with the seed's instruction logger
#   make test   installs test dependencies and runs the whole test suite
GO ?= go
OUT := out

.PHONY: all demo test bench gemu clean

all: gemu

gemu:
	$(GO) build -o $(OUT)/gemu ./cmd/gemu

demo: gemu
	./scripts/deps
	gcc -m32 -static -O1 -o $(OUT)/hello32 examples/demo/hello.c
	gcc -m64 -static -O1 -o $(OUT)/hello64 examples/demo/hello.c
	cc -shared -fPIC -O2 -Iinclude -o $(OUT)/libinsn_log.so examples/insn_log.c
	@echo "== i386 guest, with -strace =="
	$(OUT)/gemu -strace $(OUT)/hello32
	@echo "== x86-64 guest, counting instructions with the built-in insn tracer =="
	$(OUT)/gemu -plugin insn $(OUT)/hello64
	@echo "== the seed's insn_log plugin next to the insn counter, both logging to out/insn.log =="
	$(OUT)/gemu -plugin file=$(OUT)/libinsn_log.so -plugin insn -D $(OUT)/insn.log $(OUT)/hello64 >/dev/null
	head -3 $(OUT)/insn.log
	@echo "lines logged by insn_log: $$(grep -c '^executing instruction at' $(OUT)/insn.log); $$(grep '^insns:' $(OUT)/insn.log)"

test:
	./scripts/deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

bench:
	./bench/run

clean:
	rm -rf $(OUT)

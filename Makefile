# gemu: two entry points for a fresh machine (see README.md).
#   make demo   builds gemu and runs the bundled guest with the seed's instruction logger
#   make test   installs test dependencies (scripts/deps; scripts/sysdeps: qemu-system
#               and Debian's kernels for gemu-system) and runs the whole test suite, then
#               test-race: the concurrent tests again with a -race build
GO ?= go
OUT := out

.PHONY: all demo system-demo test test-race bench gemu gemu-system clean

all: gemu

gemu:
	$(GO) build -o $(OUT)/gemu ./cmd/gemu

gemu-system:
	$(GO) build -o $(OUT)/gemu-system ./cmd/gemu-system

# Boots Debian's amd64 kernel (fetched by scripts/sysdeps) with a busybox
# initramfs to a shell on the terminal (docs/system.md).
system-demo: gemu-system
	./scripts/deps
	./scripts/sysdeps >/dev/null
	$(GO) run ./scripts/mkinitramfs -busybox /bin/busybox -init examples/system/init.sh -o $(OUT)/initrd-demo.gz
	$(OUT)/gemu-system -kernel $(OUT)/sys/vmlinuz-amd64 -initrd $(OUT)/initrd-demo.gz -append "console=ttyS0 quiet" -nographic

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
	./scripts/sysdeps >/dev/null
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above are not formatted"; exit 1; }
	GEMU_SYSTEM_TESTS=require $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) --no-print-directory test-race

# The tests where goroutines share state (guest threads, signals from
# timers and from outside, fork, plugins on threads) with a -race build of
# gemu, whose race reports (stderr, exit status 66) fail the differential
# comparison, and the Go tests of the packages involved under -race.
# Programs are selected by name, so new thread*/signals*/fork* programs and
# plugin tests named *Thread*/*Fork* are covered when they are added.
RACE_GUEST := TestGuest/^(thread.*|signals.*|fork.*)$$
RACE_PLUGINS := Thread|Fork|Signal
test-race:
	$(GO) build -race -o $(OUT)/gemu-race ./cmd/gemu
	GEMU=$(CURDIR)/$(OUT)/gemu-race $(GO) test -count=1 -timeout 20m ./tests/guest/ -run '$(RACE_GUEST)'
	GEMU=$(CURDIR)/$(OUT)/gemu-race $(GO) test -count=1 -timeout 20m ./tests/plugins/ -run '$(RACE_PLUGINS)'
	GEMU=$(CURDIR)/$(OUT)/gemu-race $(GO) test -count=1 -timeout 20m ./tests/signals/
	$(GO) test -count=1 -race -timeout 20m ./internal/linux/ ./internal/engine/ ./internal/mem/ ./internal/pc/ ./plugin/...

bench:
	./bench/run

clean:
	rm -rf $(OUT)

#!/bin/sh
# Stand-in for gemu, used to check the test harness without an emulator:
#   GEMU=$PWD/testdata/fake-gemu.sh go test ./tests/guest/
# runs every guest program natively twice, which verifies that the programs
# are deterministic and that the comparison works.
#
# Leading options are consumed like emulator options (so GEMU_TEST_FLAGS
# works); options taking a separate value are not supported. -mode=M selects
# a deliberate misbehaviour for the harness self-test:
#   exact           run the program unchanged (default)
#   extra-stdout    append a byte to stdout
#   extra-stderr    append a byte to stderr
#   exit-code       change the exit status
#   swallow-signal  exit with 128+N instead of dying by signal N
mode=exact
while [ $# -gt 0 ]; do
	case "$1" in
	-mode=*) mode=${1#-mode=}; shift ;;
	--) shift; break ;;
	-*) shift ;;
	*) break ;;
	esac
done
case "$mode" in
exact) exec "$@" ;;
extra-stdout) "$@"; rc=$?; printf 'X'; exit $rc ;;
extra-stderr) "$@"; rc=$?; printf 'E' >&2; exit $rc ;;
exit-code) "$@"; exit $(( ($? + 1) % 256 )) ;;
swallow-signal) "$@"; exit $? ;;
*) echo "fake-gemu: unknown mode $mode" >&2; exit 125 ;;
esac

#!/bin/sh
# Shared by the arm64 guest test scripts (tests/integration/arm64_*.sh),
# which take KERNEL INITRD LOGDIR and need an arm64 /dev/kvm: tests/run-arm64
# runs them inside the nested arm64 L1 (tests/lib/l1-arm64.sh), with L1's
# busybox sh. POSIX sh, then: no arrays, no [[ ]], no local.
#
# What guest.sh and report.sh are to the x86 scripts:
#   run NAME SCORPI-ARGS... -- GUEST_TEST
#   run_seen NAME PATTERN SCORPI-ARGS... -- GUEST_TEST
#   wait_sleeping LOG PID
#   report_ok NAME, report_fail NAME WHY...
#   expect_exit NAME WANT GOT LOG, expect_grep NAME PATTERN FILE
#   expect_smp NAME CPUS STATUS LOG (tests/lib/expect-smp.sh)
# $scorpi is the arm64 scorpi ($SCORPI, default scorpi-arm64: L1's wrapper
# around the host's build-arm64/scorpi); $EXTRA_CMDLINE, when set, goes on
# the guest's kernel command line (set it, run, then clear it: an
# assignment in front of a function call does not reach it in every sh).

if [ $# -ne 3 ]; then
	echo "usage: $0 KERNEL INITRD LOGDIR" >&2
	exit 2
fi
kernel=$1 initrd=$2 logs=$3
scorpi=${SCORPI:-scorpi-arm64}
mkdir -p "$logs"
# A guard against hangs only: nested TCG is slow, so it is generous.
limit=${SCORPI_TEST_TIMEOUT:-600}
EXTRA_CMDLINE=${EXTRA_CMDLINE:-}

report_ok()
{
	echo "ok $1"
	[ -z "${RESULTS:-}" ] || echo "ok $1" >>"$RESULTS"
}

report_fail()
{
	_rf_name=$1
	shift
	echo "FAIL $_rf_name: $*"
	[ -z "${RESULTS:-}" ] || echo "FAIL $_rf_name: $*" >>"$RESULTS"
}

# Its last lines, indented, under a failure (tests/run-arm64 shows them).
show_tail()
{
	[ -f "$1" ] && tail -n 20 "$1" | tr -d '\r' | sed 's/^/    | /'
	return 0
}

# expect_exit NAME WANT GOT LOG: checks an exit status, showing the log's
# tail when it differs.
expect_exit()
{
	[ "$3" = "$2" ] && return 0
	report_fail "$1" "exit status $3, expected $2"
	show_tail "$4"
	return 1
}

# expect_grep NAME PATTERN FILE: the file (carriage returns dropped) must
# have a line matching the extended regular expression.
expect_grep()
{
	tr -d '\r' <"$3" 2>/dev/null | grep -qE -- "$2" && return 0
	report_fail "$1" "no line matching '$2'"
	show_tail "$3"
	return 1
}

# expect_smp NAME CPUS STATUS LOG, as for the x86 scripts.
. "$(dirname "$0")/../lib/expect-smp.sh"

# run NAME [SCORPI ARGS...] -- GUEST_TEST: boots the guest with
# scorpi.test=GUEST_TEST under the hang guard; the console goes to
# $logs/NAME.log, scorpi's pid to $logs/NAME.pid. Returns scorpi's exit
# status.
run()
{
	_run_name=$1
	shift
	_run_test= _run_after= _run_first=1
	# The word list is expanded once, before the loop: "$@" can be
	# rebuilt inside it, keeping what comes before "--".
	for _run_a in "$@"; do
		if [ -n "$_run_first" ]; then
			set --
			_run_first=
		fi
		if [ -n "$_run_after" ]; then
			_run_test=$_run_a
		elif [ "$_run_a" = -- ]; then
			_run_after=1
		else
			set -- "$@" "$_run_a"
		fi
	done
	# busybox timeout execs the program in its own process, so the pid
	# in NAME.pid is scorpi's (for tests that signal it while "run ... &"
	# stands between them: $! is a subshell then).
	rm -f "$logs/$_run_name.pid"
	timeout -k 10 "$limit" "$scorpi" "$@" -o console=stdio \
		-k "$kernel" -i "$initrd" \
		-a "console=ttyAMA0 quiet scorpi.test=$_run_test $EXTRA_CMDLINE" \
		"vm-$_run_name" </dev/null >"$logs/$_run_name.log" 2>&1 &
	_run_pid=$!
	echo "$_run_pid" >"$logs/$_run_name.pid"
	wait "$_run_pid"
}

# run_seen NAME PATTERN [SCORPI ARGS...] -- GUEST_TEST: run, and L1's
# clock (date +%s) when the console first showed a line matching PATTERN
# (grep's basic regular expression) goes to $logs/NAME.seen, empty when
# it never did. The log is looked at every 0.5 s while the VM runs, so
# the time is that of the line's arrival, within a fraction of a second
# (or of the VM's end, should it end between two looks): what a line
# that carries the guest's clock is compared with.
run_seen()
{
	_rs_name=$1 _rs_pattern=$2
	shift 2
	rm -f "$logs/$_rs_name.log" "$logs/$_rs_name.seen"
	run "$_rs_name" "$@" &
	_rs_pid=$!
	line_time "$logs/$_rs_name.log" "$_rs_pattern" "$_rs_pid" \
		>"$logs/$_rs_name.seen"
	wait "$_rs_pid"
}

# line_time LOG PATTERN PID: L1's time when LOG first had a line matching
# PATTERN, looking every 0.5 s while PID runs; nothing if the line never
# came.
line_time()
{
	while kill -0 "$3" 2>/dev/null; do
		if grep -q -- "$2" "$1" 2>/dev/null; then
			date +%s
			return 0
		fi
		sleep 0.5 2>/dev/null || sleep 1
	done
	grep -q -- "$2" "$1" 2>/dev/null && date +%s
	return 0
}

# wait_sleeping LOG PID: until the guest of PID says it is idle (the
# "sleep" test), or PID is gone, or the hang guard runs out.
wait_sleeping()
{
	_ws_i=0
	while [ "$_ws_i" -lt "$limit" ]; do
		grep -q "guest: sleeping" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 1
		_ws_i=$((_ws_i + 1))
	done
	return 1
}

# wait_line LOG PATTERN PID: until LOG has a line matching PATTERN (a
# basic regular expression), or PID is gone, or the hang guard runs out.
wait_line()
{
	_wl_i=0
	while [ "$_wl_i" -lt "$limit" ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 1
		_wl_i=$((_wl_i + 1))
	done
	return 1
}

# field LOG SED-EXPRESSION: the first value a "s/.../\1/p" expression
# finds in LOG, carriage returns dropped.
field()
{
	tr -d '\r' <"$1" 2>/dev/null | sed -n "$2" | head -n 1
}

#!/usr/bin/env bash
# Shared by the guest test scripts (tests/integration/x86_*.sh), which all
# take SCORPI KERNEL INITRD LOGDIR and need /dev/kvm: tests/run runs them
# inside the nested L1 where the host has none.
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"
. "$(dirname "${BASH_SOURCE[0]}")/kvm-trace.sh"

[ $# -eq 4 ] || { echo "usage: $0 SCORPI KERNEL INITRD LOGDIR" >&2; exit 2; }
scorpi=$1 kernel=$2 initrd=$3 logs=$4
mkdir -p "$logs"
# A guard against hangs only: nested TCG is slow, so it is generous.
limit=${SCORPI_TEST_TIMEOUT:-600}

# vm_command NAME [SCORPI ARGS...] -- GUEST_TEST: sets vm_cmd to the
# scorpi command line that boots the guest with scorpi.test=GUEST_TEST,
# as VM vm-NAME, for run and start.
vm_command()
{
	local name=$1
	shift
	vm_cmd=("$scorpi")
	while [ "$1" != -- ]; do
		vm_cmd+=("$1")
		shift
	done
	vm_cmd+=(-o console=stdio -k "$kernel" -i "$initrd"
		-a "console=ttyS0 quiet scorpi.test=$2 ${EXTRA_CMDLINE:-}"
		"vm-$name")
}

# run NAME [SCORPI ARGS...] -- GUEST_TEST: boots the guest with
# scorpi.test=GUEST_TEST; the console goes to $logs/NAME.log. Returns
# scorpi's exit status. A boot that fails is a failure, with one
# exception not yet understood: nested_triple_fault below.
run()
{
	local name=$1 rc
	vm_command "$@"
	for _ in 1 2; do
		guarded "$logs/$name.log" "${vm_cmd[@]}"
		rc=$?
		nested_triple_fault "$name" "$rc" "$logs/$name.log" || break
	done
	return "$rc"
}

# guarded LOG COMMAND...: runs COMMAND (a VMM, or a program that runs
# VMs) under the hang guard, its output to LOG, with hang_report
# watching it. Returns its exit status (124 when the guard stopped it).
guarded()
{
	local log=$1 rc pid watch
	shift
	rm -f "$log.hang" "$log.hang-stacks"
	timeout -k 10 "$limit" "$@" </dev/null >"$log" 2>&1 &
	pid=$!
	hang_report "$pid" "$log" </dev/null >/dev/null 2>&1 &
	watch=$!
	wait "$pid"
	rc=$?
	# Its "sleep 1" may outlive it by a second: holding nothing.
	kill "$watch" 2>/dev/null
	wait "$watch" 2>/dev/null
	return "$rc"
}

# hang_report PID LOG: until the VMM under timeout(1) at PID ends; if it
# is still running 10 s before the hang guard stops it, what each of its
# threads waits in goes to LOG.hang, a line a thread (state and kernel
# wait channel; a failing test shows them after the log's tail), and
# their kernel stacks to LOG.hang-stacks: a deadlock in the VMM shows
# there, a guest waiting for an interrupt as vCPU threads in KVM's halt.
hang_report()
{
	local pid=$1 log=$2 vmm task waited=0
	while [ "$waited" -lt $((limit - 10)) ]; do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 1
		waited=$((waited + 1))
	done
	vmm=$(pgrep -P "$pid" | head -n 1)
	[ -n "$vmm" ] || return 0
	for task in /proc/"$vmm"/task/*; do
		echo "thread $(cat "$task/comm") $(awk '{print $3}' "$task/stat") in $(cat "$task/wchan")" >>"$log.hang"
		{
			echo "thread $(cat "$task/comm"):"
			cat "$task/stack"
		} >>"$log.hang-stacks"
	done 2>/dev/null
}

# start NAME [SCORPI ARGS...] -- GUEST_TEST: boots in the background;
# $vm_pid is the VMM (under timeout(1)). For scripts that talk to a
# running VM (x86_control.sh, x86_lifecycle.sh).
start()
{
	local name=$1
	vm_command "$@"
	timeout -k 10 "$limit" "${vm_cmd[@]}" </dev/null \
		>"$logs/$name.log" 2>&1 &
	vm_pid=$!
}

# wait_for LOG PATTERN: until the guest of start's $vm_pid printed it
# (grep -E), or the VMM is gone, or the hang guard runs out.
wait_for()
{
	for _ in $(seq 1 "$limit"); do
		grep -qE -- "$2" "$1" && return 0
		kill -0 "$vm_pid" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}

# nested_triple_fault NAME STATUS LOG: true, once per NAME, when a boot
# inside the nested L1 failed with a guest triple fault (Scorpi's line in
# LOG): such a boot is run once more, a "note" line says so (tests/run
# shows them), and the log is kept as LOG.triple-fault; a second one
# fails the test. This is a known fault, not a cure: under QEMU-TCG's
# nested SVM, Scorpi guests triple-fault early in boot about once a CI
# run, lately on vCPU 1 of 2-vCPU guests (console-port, reboot); the
# cause is not found (docs/testing.md), and until it is, this keeps it
# visible without making every run red. Issue 10 stays open for it.
nested_triple_fault()
{
	local name=$1 rc=$2 log=$3
	[ "${SCORPI_IN_L1:-}" = 1 ] && [ "$rc" != 0 ] &&
		[ ! -e "$log.triple-fault" ] &&
		grep -q 'guest triple fault on vCPU' "$log" || return 1
	mv "$log" "$log.triple-fault"
	echo "note $name: the guest triple-faulted under the nested L1 ($(grep -m1 -o 'triple fault on vCPU [0-9]*' "$log.triple-fault")); booting it once more"
	kvm_trace_fault "$log.triple-fault"
}

# run_seen NAME PATTERN [SCORPI ARGS...] -- GUEST_TEST: run, and the
# host's clock (date +%s) when the console first showed a line matching
# PATTERN (grep's basic regular expression) goes to $logs/NAME.seen,
# empty when it never did. The log is looked at every 0.5 s while the VM
# runs, so the time is that of the line's arrival, within a fraction of a
# second (or of the VM's end, should it end between two looks): what a
# line that carries the guest's clock is compared with.
run_seen()
{
	local name=$1 pattern=$2 pid
	shift 2
	rm -f "$logs/$name.log" "$logs/$name.seen"
	run "$name" "$@" &
	pid=$!
	line_time "$logs/$name.log" "$pattern" "$pid" >"$logs/$name.seen"
	wait "$pid"
}

# line_time LOG PATTERN PID: the host's time when LOG first had a line
# matching PATTERN, looking every 0.5 s while PID runs; nothing if the
# line never came.
line_time()
{
	while kill -0 "$3" 2>/dev/null; do
		if grep -q -- "$2" "$1" 2>/dev/null; then
			date +%s
			return 0
		fi
		sleep 0.5
	done
	grep -q -- "$2" "$1" 2>/dev/null && date +%s
	return 0
}

# wait_sleeping LOG PID: until the guest of PID says it is idle (the
# "sleep" test), or PID is gone, or the hang guard runs out.
wait_sleeping()
{
	for _ in $(seq 1 "$limit"); do
		grep -q "guest: sleeping" "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}


#!/usr/bin/env bash
# The lifecycle under fire: a guest that reboots in a loop while clients
# send pause, resume, status and reset over the control socket as fast
# as they can; then quit, or SIGTERM, in whatever state that left the
# VM (running, paused, resetting): the VMM must end within 10 s with
# exit code 4. Needs /dev/kvm: tests/run runs it inside the nested L1
# where the host has none.
#
# usage: x86_lifecycle.sh SCORPI KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: lifecycle-reboot-loop lifecycle-hammer lifecycle-quit
# expects: lifecycle-hammer-sigterm lifecycle-sigterm lifecycle-sigterm-paused
set -u
. "$(dirname "$0")/../lib/guest.sh"

bin=$(dirname "$scorpi")
ctl=$bin/scorpictl
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
# How long the VMM may take to end once told to: a hang guard.
end_limit=10
# The clients: every command gets an answer, ok or wrong-state.
hammer_py=$(dirname "$0")/../tools/lifecycle_hammer.py

# boots LOG: how many times the guest reached init.
boots() { grep -c 'init reached' "$1"; }

# wait_boots LOG N: until the guest reached init N times, or the VMM is
# gone.
wait_boots()
{
	for _ in $(seq 1 "$limit"); do
		[ "$(boots "$1")" -ge "$2" ] && return 0
		kill -0 "$vm_pid" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}

# scorpi_pid: the VMM itself, under timeout(1).
scorpi_pid() { pgrep -P "$vm_pid" | head -n 1; }

# sigterm: to the VMM itself (timeout(1) would pass it on, too).
sigterm()
{
	local pid
	pid=$(scorpi_pid)
	kill -TERM "${pid:-$vm_pid}"
}

# ended_within SECONDS: whether the VMM ended by then.
ended_within()
{
	for _ in $(seq 1 $((2 * $1))); do
		kill -0 "$vm_pid" 2>/dev/null || return 0
		sleep 0.5
	done
	return 1
}

# finish NAME WANT: waits for the VMM and checks its exit status.
finish()
{
	local rc
	wait "$vm_pid"
	rc=$?
	expect_exit "$1" "$2" "$rc" "$logs/$1.log"
}

# ended NAME RESULT HOW: the VMM, told to stop (HOW), ends within
# end_limit seconds with exit code 4; where it hangs, what its threads
# wait in.
ended()
{
	local name=$1 result=$2 how=$3 pid
	if ended_within "$end_limit"; then
		finish "$name" 4 && report_ok "$result"
		return
	fi
	pid=$(scorpi_pid)
	report_fail "$result" "still running ${end_limit} s after $how; its threads wait in: $(cat /proc/"$pid"/task/*/wchan 2>/dev/null | tr '\n' ' ')"
	tail -n 20 "$logs/$name.log" | sed 's/^/    | /'
	kill -9 "$pid" "$vm_pid" 2>/dev/null
	wait "$vm_pid" 2>/dev/null
}

# hammer NAME SOCK RESULT HOW END: clients on the socket of a guest that
# reboots in a loop; after a while, HOW (quit or sigterm) while they
# still run. Reports END for the VMM's end, then RESULT for the clients.
hammer()
{
	local name=$1 sock=$2 result=$3 how=$4 end=$5 hpid rc
	timeout 120 python3 "$hammer_py" "$sock" 90 \
		>"$tmp/$name.hammer" 2>&1 &
	hpid=$!
	sleep 8
	if ! kill -0 "$vm_pid" 2>/dev/null; then
		report_fail "$result" "the VMM ended under the clients"
		tail -n 20 "$logs/$name.log" | sed 's/^/    | /'
		wait "$hpid"
		return 1
	fi
	case $how in
	quit) "$ctl" "$sock" quit >/dev/null 2>&1 ;;
	sigterm) sigterm ;;
	esac
	ended "$name" "$end" "$how"
	wait "$hpid"
	rc=$?
	if [ "$rc" = 0 ]; then
		report_ok "$result"
	else
		report_fail "$result" "$(tr '\n' ' ' <"$tmp/$name.hammer")"
	fi
}

# 1. Quit while the clients pause, resume and reset a rebooting guest.
sock=$tmp/quit.sock
start lc-quit -c 2 -l "$sock" -- reboot-loop
if wait_boots "$logs/lc-quit.log" 2; then
	report_ok lifecycle-reboot-loop
	hammer lc-quit "$sock" lifecycle-hammer quit lifecycle-quit
else
	report_fail lifecycle-reboot-loop "the guest reached init $(boots "$logs/lc-quit.log") times"
	tail -n 20 "$logs/lc-quit.log" | sed 's/^/    | /'
	report_fail lifecycle-hammer "not run: the reboot loop did not get going"
	report_fail lifecycle-quit "not run: the reboot loop did not get going"
	kill "$vm_pid" 2>/dev/null
fi

# 2. The same with SIGTERM.
sock=$tmp/term.sock
start lc-term -c 2 -l "$sock" -- reboot-loop
if wait_boots "$logs/lc-term.log" 2; then
	hammer lc-term "$sock" lifecycle-hammer-sigterm sigterm \
		lifecycle-sigterm
else
	report_fail lifecycle-hammer-sigterm "the guest reached init $(boots "$logs/lc-term.log") times"
	tail -n 20 "$logs/lc-term.log" | sed 's/^/    | /'
	report_fail lifecycle-sigterm "not run: the reboot loop did not get going"
	kill "$vm_pid" 2>/dev/null
fi

# 3. SIGTERM to a paused VM.
sock=$tmp/paused.sock
start lc-paused -l "$sock" -- reboot-loop
if wait_boots "$logs/lc-paused.log" 1; then
	paused=
	# A pause is refused while the guest resets: again, until it takes.
	for _ in $(seq 1 50); do
		"$ctl" "$sock" pause >/dev/null 2>&1 && paused=1 && break
		sleep 0.2
	done
	state=$("$ctl" "$sock" status 2>&1)
	if [ -z "$paused" ] || ! echo "$state" | grep -q '"state":"paused"'; then
		report_fail lifecycle-sigterm-paused "could not pause: $state"
		kill "$vm_pid" 2>/dev/null
	else
		sigterm
		ended lc-paused lifecycle-sigterm-paused "SIGTERM while paused"
	fi
else
	report_fail lifecycle-sigterm-paused "the guest never reached init"
	kill "$vm_pid" 2>/dev/null
fi
exit 0

#!/bin/sh
# The front ends on arm64: a YAML file boots the guest the command line
# does; the control socket pauses and resumes it, powers it down through
# the PL061 power key (gpio-keys, which busybox acpid takes) and quits it.
# Runs inside the arm64 L1 (tests/run-arm64), with L1's busybox sh.
#
# usage: arm64_control.sh KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: arm64-yaml arm64-control-status arm64-control-pause
# expects: arm64-control-quit arm64-control-powerdown
. "$(dirname "$0")/../lib/guest-arm64.sh"

ctl=${SCORPICTL:-scorpictl-arm64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ticks() { grep -c 'guest: tick' "$1"; }

# 1. A YAML file.
cat >"$work/vm.yaml" <<YAML
name: vm-arm64-yaml
cpu: {cores: 2}
memory: 256M
console: stdio
kernel: "$kernel"
initrd: "$initrd"
cmdline: "console=ttyAMA0 quiet scorpi.test=date"
devices:
  pci:
    - {device: virtio-rnd, slot: 5}
YAML
timeout -k 10 "$limit" "$scorpi" -f "$work/vm.yaml" </dev/null \
	>"$logs/arm64-yaml.log" 2>&1
rc=$?
expect_exit arm64-yaml 0 "$rc" "$logs/arm64-yaml.log" &&
	expect_grep arm64-yaml "init reached, CPUs online: 0-1, count 2" \
		"$logs/arm64-yaml.log" && report_ok arm64-yaml

# 2. Pause, resume, status and quit on a guest that ticks.
sock=$work/ticker.sock
run arm64-ctl-ticker -c 2 -l "$sock" -- ticker &
vm=$!
if wait_line "$logs/arm64-ctl-ticker.log" "guest: tick 3" "$vm"; then
	status=$("$ctl" "$sock" status 2>&1)
	echo "$status" | grep -q '"state":"running","cpus":2' &&
		report_ok arm64-control-status ||
		report_fail arm64-control-status "$status"
	if "$ctl" "$sock" pause; then
		n1=$(ticks "$logs/arm64-ctl-ticker.log")
		sleep 5
		n2=$(ticks "$logs/arm64-ctl-ticker.log")
		paused=$("$ctl" "$sock" status 2>&1)
		"$ctl" "$sock" resume
		if [ "$n1" != "$n2" ]; then
			report_fail arm64-control-pause "$((n2 - n1)) ticks while paused"
		elif ! echo "$paused" | grep -q '"state":"paused"'; then
			report_fail arm64-control-pause "status said $paused"
		elif ! wait_line "$logs/arm64-ctl-ticker.log" "guest: tick $((n2 + 1)) " "$vm"; then
			report_fail arm64-control-pause "no tick after resume"
		else
			report_ok arm64-control-pause
		fi
	else
		report_fail arm64-control-pause "pause failed"
	fi
	"$ctl" "$sock" quit
	wait "$vm"
	rc=$?
	if expect_exit arm64-control-quit 4 "$rc" "$logs/arm64-ctl-ticker.log"; then
		[ -e "$sock" ] && report_fail arm64-control-quit "the socket is left" ||
			report_ok arm64-control-quit
	fi
else
	pid=$(cat "$logs/arm64-ctl-ticker.pid")
	report_fail arm64-control-status "the guest never ticked; the VMM's threads wait in: $(cat /proc/"$pid"/task/*/wchan 2>/dev/null | tr '\n' ' ')"
	show_tail "$logs/arm64-ctl-ticker.log"
	kill "$pid" 2>/dev/null
	wait "$vm"
fi

# 3. Powerdown: the PL061 power key, through gpio-keys to acpid.
sock=$work/acpid.sock
run arm64-ctl-powerdown -l "$sock" -- acpid &
vm=$!
if wait_line "$logs/arm64-ctl-powerdown.log" "guest: acpid ready" "$vm"; then
	"$ctl" "$sock" powerdown
	wait "$vm"
	rc=$?
	expect_exit arm64-control-powerdown 0 "$rc" \
		"$logs/arm64-ctl-powerdown.log" &&
		expect_grep arm64-control-powerdown "guest: power button" \
			"$logs/arm64-ctl-powerdown.log" &&
		report_ok arm64-control-powerdown
else
	report_fail arm64-control-powerdown "acpid never started"
	show_tail "$logs/arm64-ctl-powerdown.log"
	kill "$(cat "$logs/arm64-ctl-powerdown.pid")" 2>/dev/null
	wait "$vm"
fi
exit 0

#!/bin/sh
# virtio-console on arm64: a line round-trips between a process in L1 and
# the guest through a named port's Unix socket; with -o console=virtio the
# guest's console is hvc0 on Scorpi's stdout, and poweroff still ends
# with 0.
#
# L1's busybox nc has no Unix sockets (no -U), so the L1 side is
# $UNIX_NC: an arm64 program that connects to the socket named by its
# argument, sends its stdin and prints what comes back until the first
# full line (tests/run-arm64 builds one with aarch64-linux-gnu-gcc).
#
# usage: arm64_console.sh KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: arm64-console-port arm64-console-virtio
. "$(dirname "$0")/../lib/guest-arm64.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${UNIX_NC:-}" ] || [ ! -x "$UNIX_NC" ]; then
	report_fail arm64-console-port "no Unix-socket client in L1 (busybox nc has no -U; set UNIX_NC)"
else
	sock=$work/ping.sock
	log=$logs/arm64-console-port.log
	run arm64-console-port -c 2 -s 3,virtio-console,port=ping:"$sock" \
		-- console-port &
	vm=$!
	wait_line "$log" "guest: port /dev/vport" "$vm"
	reply=$(echo hello-through-the-port | timeout 120 "$UNIX_NC" "$sock" |
		tr -d '\r')
	wait $vm
	rc=$?
	if expect_exit arm64-console-port 0 "$rc" "$log" &&
		expect_grep arm64-console-port "guest: read hello-through-the-port" "$log"; then
		if [ "$reply" != pong:hello-through-the-port ]; then
			report_fail arm64-console-port "L1 read '$reply'"
		elif [ -e "$sock" ]; then
			report_fail arm64-console-port "the socket was left behind"
		else
			report_ok arm64-console-port
		fi
	fi
fi

# The system console on hvc0; the PL011 is not the console.
log=$logs/arm64-console-virtio.log
timeout -k 10 "$limit" "$scorpi" -c 2 -s 3,virtio-console -o console=virtio \
	-k "$kernel" -i "$initrd" -a "console=hvc0 quiet scorpi.test=date" \
	vm-console-virtio </dev/null >"$log" 2>&1
rc=$?
expect_exit arm64-console-virtio 0 "$rc" "$log" &&
	expect_grep arm64-console-virtio "guest: init reached, CPUs online: 0-1" "$log" &&
	expect_grep arm64-console-virtio "guest: date [0-9]+" "$log" &&
	report_ok arm64-console-virtio
exit 0

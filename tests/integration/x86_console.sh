#!/usr/bin/env bash
# virtio-console: a line round-trips between a host process and the guest
# through a named port's Unix socket; with -o console=virtio the guest's
# console is hvc0 on Scorpi's stdout, and poweroff still ends with 0.
#
# usage: x86_console.sh SCORPI KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: console-port console-virtio
set -u
. "$(dirname "$0")/../lib/guest.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sock=$work/ping.sock
log=$logs/console-port.log
run console-port -c 2 -s 3,virtio-console,port=ping:"$sock" -- console-port &
vm=$!
for _ in $(seq 1 "$limit"); do
	grep -q "guest: port /dev/vport" "$log" 2>/dev/null && break
	kill -0 "$vm" 2>/dev/null || break # it ended: no port to wait for
	sleep 1
done
reply=$(python3 - "$sock" <<-'PY'
	import socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(120)
	s.connect(sys.argv[1])
	s.sendall(b"hello-through-the-port\n")
	data = b""
	while not data.endswith(b"\n"):
	    chunk = s.recv(4096)
	    if not chunk:
	        break
	    data += chunk
	print(data.decode(errors="replace").strip())
PY
)
wait $vm
rc=$?
if expect_exit console-port 0 "$rc" "$log" &&
	expect_grep console-port "guest: read hello-through-the-port" "$log"; then
	if [ "$reply" = pong:hello-through-the-port ]; then
		if [ -e "$sock" ]; then
			report_fail console-port "the socket was left behind"
		else
			report_ok console-port
		fi
	else
		report_fail console-port "the host read '$reply'"
	fi
fi

# The system console on hvc0; COM1 is not the console.
log=$logs/console-virtio.log
timeout -k 10 "$limit" "$scorpi" -c 2 -s 3,virtio-console -o console=virtio \
	-k "$kernel" -i "$initrd" -a "console=hvc0 quiet scorpi.test=date" \
	vm-console-virtio </dev/null >"$log" 2>&1
rc=$?
expect_exit console-virtio 0 "$rc" "$log" &&
	expect_grep console-virtio "guest: init reached, CPUs online: 0-1" "$log" &&
	expect_grep console-virtio "guest: date [0-9]+" "$log" &&
	report_ok console-virtio
exit 0

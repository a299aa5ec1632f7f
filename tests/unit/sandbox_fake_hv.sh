#!/usr/bin/env bash
# The scorpi command built on the fake hypervisor (src/hv/hv_fake.c), no
# KVM, with the sandbox on (the default) and every kind of device that
# opens files or sockets: disks, slirp with a forwarded port, a console
# port, the control socket, a stats file. Every thread must run under the
# seccomp filter; what the VMM does at run time and at exit (a port
# forwarded and connected to, a console client, a reset, quit, the stats
# written, the sockets removed) must get through it, with no
# "forbidden system call" line. Then sandbox=off, and a guest poweroff.
#
# usage: sandbox_fake_hv.sh SCORPI_ON_FAKE_HV SCORPICTL
set -u
scorpi=$1 ctl=$2
# shellcheck source-path=SCRIPTDIR source=fake_vmm.sh
. "$(dirname "$0")/fake_vmm.sh"
truncate -s 16M "$tmp/disk.img"
truncate -s 4M "$tmp/ro.img"

# A free TCP port on 127.0.0.1, for hostfwd.
port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME SCRIPT [OPTIONS...]: the VMM in the background with every
# device; $vm_pid, and $sock once it listens (fake_vmm.sh).
start()
{
	local name=$1 script=$2
	shift 2
	fake_vmm_start "$name" "$script" -o stats="$tmp/$name.json" \
		-s 2,virtio-blk,"$tmp/disk.img" -s 3,virtio-blk,"$tmp/ro.img",ro \
		-s 4,virtio-rnd -s 5,virtio-net,slirp,hostfwd=tcp:127.0.0.1:"$fwd"-:22 \
		-s 6,virtio-console,port=p0:"$tmp/$name.port" "$@"
}

# ends NAME WANT: the VMM ends within 10 s with exit code WANT, and said
# nothing of the sandbox.
ends()
{
	fake_vmm_ends "$1" "$2"
	if grep -q "sandbox" "$tmp/$1.log"; then
		fail "$1: $(grep sandbox "$tmp/$1.log")"
	fi
}

# seccomp NAME MODE: every thread of the VMM is in seccomp mode MODE.
seccomp()
{
	local t n=0
	for t in /proc/"$vm_pid"/task/*; do
		grep -q "^Seccomp:[[:space:]]*$2\$" "$t/status" ||
			fail "$1: thread $(cat "$t/comm") is not in seccomp mode $2"
		n=$((n + 1))
	done
	# main, signal, VM, 2 vCPUs and the devices' threads
	[ "$n" -ge 8 ] || fail "$1: only $n threads"
}

fwd=$(port)
if start run io:5,idle; then
	seccomp run 2
	grep -q "^NoNewPrivs:[[:space:]]*1" /proc/"$vm_pid"/status ||
		fail "run: no_new_privs is not set"
	# Run time: a forwarded port added and connected to (slirp's
	# thread), a console client, a reset, the counters.
	fwd2=$(port)
	"$ctl" "$sock" hostfwd-add tcp:127.0.0.1:"$fwd2"-:80 >/dev/null ||
		fail "run: hostfwd-add refused"
	python3 - "$fwd" "$fwd2" "$tmp/run.port" <<'EOF' || fail "run: clients"
import socket, sys
for p in sys.argv[1:3]:
    socket.create_connection(("127.0.0.1", int(p)), timeout=5).close()
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[3])
c.sendall(b"hello")
c.close()
EOF
	"$ctl" "$sock" hostfwd-remove tcp:127.0.0.1:"$fwd2"-:80 >/dev/null ||
		fail "run: hostfwd-remove refused"
	"$ctl" "$sock" reset >/dev/null || fail "run: reset refused"
	"$ctl" "$sock" stats | grep -q '"total"' || fail "run: no stats"
	"$ctl" "$sock" status | grep -q '"state":"running"' ||
		fail "run: not running after the reset"
	"$ctl" "$sock" quit >/dev/null 2>&1
	ends run 4
	[ -s "$tmp/run.json" ] || fail "run: no stats file"
	[ -e "$tmp/run.sock" ] && fail "run: the control socket is left"
	[ -e "$tmp/run.port" ] && fail "run: the console port's socket is left"
	[ "$fails" = 0 ] && echo "ok run"
fi

before=$fails
fwd=$(port)
if start off io:5,idle -o sandbox=off; then
	grep -q "^Seccomp:[[:space:]]*0" /proc/"$vm_pid"/status ||
		fail "off: the sandbox is on"
	kill -TERM "$vm_pid"
	ends off 4
	[ "$fails" = "$before" ] && echo "ok sandbox=off"
fi

# The guest powers off: the VM ends on its own, under the filter.
before=$fails
SCORPI_FAKE_SCRIPT=io:3,off timeout 10 "$scorpi" -m 64M -k "$tmp/bzImage" \
	-o stats="$tmp/poweroff.json" -s 2,virtio-blk,"$tmp/disk.img" \
	-s 5,virtio-net,slirp vm-poweroff </dev/null >"$tmp/poweroff.log" 2>&1
rc=$?
[ "$rc" = 0 ] || fail "poweroff: exit code $rc: $(cat "$tmp/poweroff.log")"
grep -q sandbox "$tmp/poweroff.log" && fail "poweroff: $(cat "$tmp/poweroff.log")"
[ -s "$tmp/poweroff.json" ] || fail "poweroff: no stats file"
[ "$fails" = "$before" ] && echo "ok poweroff"
exit $((fails > 0))

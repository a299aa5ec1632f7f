# The scorpi command on the fake hypervisor (src/hv/hv_fake.c), run as a
# whole VMM by the unit tests that drive it from outside
# (lifecycle_socket.sh, sandbox_fake_hv.sh): start one in the background
# and wait until its control socket answers, then wait for it to end.
# Sourced, not run: . "$(dirname "$0")/fake_vmm.sh". The sourcing script
# sets $scorpi (the command built on the fake) and $ctl (scorpictl); this
# makes $tmp (removed at exit, with any VMM left running killed), a
# kernel in it ($tmp/bzImage), $fails and fail MESSAGE, which reports one
# failure and goes on.
# shellcheck shell=bash disable=SC2154 # $scorpi, $ctl: see above

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0

fail()
{
	echo "FAIL $*"
	fails=$((fails + 1))
}

# A bzImage the x86 loader takes (the fake runs none of it).
python3 "$(dirname "${BASH_SOURCE[0]}")/../tools/tiny_bzimage.py" "$tmp/bzImage"

# fake_vmm_start NAME SCRIPT [OPTIONS...]: the VMM in the background, 2
# vCPUs, 64M, no console, $tmp/bzImage, vCPU 0 following SCRIPT
# (SCORPI_FAKE_SCRIPT), the control socket at $tmp/NAME.sock and OPTIONS;
# its output in $tmp/NAME.log. Sets $vm_pid, and $sock; returns 0 once
# the socket answers, or fails, prints the log and returns 1 after 10 s.
fake_vmm_start()
{
	local name=$1 script=$2
	shift 2
	sock=$tmp/$name.sock
	SCORPI_FAKE_SCRIPT=$script "$scorpi" -c 2 -m 64M -o console=none \
		-k "$tmp/bzImage" -l "$sock" "$@" "vm-$name" \
		</dev/null >"$tmp/$name.log" 2>&1 &
	vm_pid=$!
	# Answering, not only there: the file exists between bind() and
	# listen(), when a connection is still refused.
	for _ in $(seq 1 100); do
		[ -S "$sock" ] && "$ctl" "$sock" status >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	fail "$name: no control socket"
	cat "$tmp/$name.log"
	return 1
}

# fake_vmm_ends NAME WANT [HOW]: the VMM ($vm_pid) ends within 10 s (of
# HOW, when given: what was done to end it), with exit code WANT. One
# that is still running then is killed. Sets $vm_rc to its exit code;
# returns 0, or fails and returns 1.
fake_vmm_ends()
{
	local name=$1 want=$2 how=${3-}

	for _ in $(seq 1 20); do
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$vm_pid" 2>/dev/null; then
		if [ -n "$how" ]; then
			fail "$name: still running 10 s after $how"
		else
			fail "$name: still running after 10 s"
		fi
		kill -9 "$vm_pid"
		wait "$vm_pid"
		vm_rc=$?
		return 1
	fi
	wait "$vm_pid"
	vm_rc=$?
	if [ "$vm_rc" != "$want" ]; then
		fail "$name: exit code $vm_rc${how:+ after $how}, expected $want: $(cat "$tmp/$name.log")"
		return 1
	fi
}

#!/usr/bin/env bash
# The scorpi command built on the fake hypervisor (src/hv/hv_fake.c), no
# KVM: a guest that reboots in a loop while clients send pause, resume,
# status and reset on the control socket as fast as they can, then quit
# or SIGTERM, in whatever state that left the VM; and SIGTERM or quit to
# a paused VM. The VMM must end within 10 s (a hang guard) with exit
# code 4. tests/integration/x86_lifecycle.sh does the same on KVM.
#
# usage: lifecycle_socket.sh SCORPI_ON_FAKE_HV SCORPICTL
set -u
scorpi=$1 ctl=$2
hammer=$(dirname "$0")/../tools/lifecycle_hammer.py
# shellcheck source-path=SCRIPTDIR source=fake_vmm.sh
. "$(dirname "$0")/fake_vmm.sh"

# ends NAME HOW: the VMM ends within 10 s of HOW, with exit code 4.
ends()
{
	fake_vmm_ends "$1" 4 "$2" && echo "ok $1"
}

# hammer NAME HOW: clients on a rebooting guest, then HOW while they run.
hammer()
{
	local hpid
	fake_vmm_start "$1" io:20,reset || return
	timeout 60 python3 "$hammer" "$sock" 50 >"$tmp/$1.hammer" 2>&1 &
	hpid=$!
	sleep 3
	case $2 in
	quit) "$ctl" "$sock" quit >/dev/null 2>&1 ;;
	SIGTERM) kill -TERM "$vm_pid" ;;
	esac
	ends "$1" "$2"
	if wait "$hpid"; then
		echo "    $1: $(cat "$tmp/$1.hammer")"
	else
		fail "$1: the clients: $(cat "$tmp/$1.hammer")"
	fi
}

# paused NAME HOW: an idle guest, paused, then HOW.
paused()
{
	fake_vmm_start "$1" io:5,idle || return
	"$ctl" "$sock" pause >/dev/null || fail "$1: pause refused"
	"$ctl" "$sock" status | grep -q '"state":"paused"' ||
		fail "$1: not paused"
	case $2 in
	quit) "$ctl" "$sock" quit >/dev/null 2>&1 ;;
	SIGTERM) kill -TERM "$vm_pid" ;;
	esac
	ends "$1" "$2"
}

for round in 1 2 3; do
	hammer "hammer-quit-$round" quit
	hammer "hammer-sigterm-$round" SIGTERM
done
paused paused-quit quit
paused paused-sigterm SIGTERM
exit $((fails > 0))

#!/usr/bin/env bash
# Scorpi as a user that is not root (docs/running-as-user.md): uid 65534
# in group kvm (and no capability) boots a guest with a disk of its own
# in a 0700 folder, slirp and a control socket; the socket is mode 0600,
# answers that user and root and no one else, and powers the guest off;
# a tap root made for the user works, and one that does not exist (or
# /dev/net/tun closed to the user) stops Scorpi with the one line that
# says what is needed. Needs /dev/kvm, and root to become the user:
# tests/run runs it inside the nested L1, as root. L1 has no udev, so
# /dev/kvm is made group kvm, mode 0660, here (and /dev/net/tun 0666,
# as udev makes them), and put back as it was at the end. The host's
# root, which L1 runs in, is read-only: where its /etc/group has no kvm
# group, gid 36 stands in for it (any number does).
#
# usage: x86_nonroot.sh SCORPI KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: nonroot-boot nonroot-socket-mode nonroot-status nonroot-devices
# expects: nonroot-root-status nonroot-other-refused nonroot-poweroff
# expects: nonroot-tap-own nonroot-tap-missing nonroot-tun-closed
set -u
. "$(dirname "$0")/../lib/guest.sh"

bin=$(dirname "$scorpi")
uid=65534 other=65533
kvm_gid=$(getent group kvm | cut -d: -f3)
: "${kvm_gid:=36}"
user=$(getent passwd "$uid" | cut -d: -f1)
: "${user:=$uid}"
tmp=$(mktemp -d)
kvm_was=$(stat -c '%g %a' /dev/kvm 2>/dev/null)
tun_was=$(stat -c %a /dev/net/tun 2>/dev/null)
restore()
{
	kill $(jobs -p) 2>/dev/null
	ip link del scorpiusr0 2>/dev/null
	[ -z "$kvm_was" ] || {
		chgrp "${kvm_was% *}" /dev/kvm
		chmod "${kvm_was#* }" /dev/kvm
	}
	[ -z "$tun_was" ] || chmod "$tun_was" /dev/net/tun
	rm -rf "$tmp"
}
trap restore EXIT

if [ "$(id -u)" != 0 ]; then
	for n in $(expected_results "$0"); do
		report_fail "$n" "needs root, to run Scorpi as uid $uid"
	done
	exit 0
fi

# as UID CMD...: CMD as UID, its own group, and (for $uid) group kvm;
# no capabilities.
as()
{
	local u=$1 groups=--clear-groups
	shift
	[ "$u" = "$uid" ] && groups=--groups=$kvm_gid
	setpriv --reuid="$u" --regid="$u" "$groups" --inh-caps=-all "$@"
}

# What the user runs, where the user can read it: the build and the
# guest material may sit under root's 0700 folders (~/.cache/scorpi).
pub=$tmp/pub home=$tmp/home
chmod 0711 "$tmp"
mkdir -p "$pub" "$home"
cp "$scorpi" "$bin/scorpictl" "$kernel" "$initrd" "$pub/"
chmod 0755 "$pub" "$pub/scorpi" "$pub/scorpictl"
chmod 0644 "$pub/$(basename "$kernel")" "$pub/$(basename "$initrd")"
kernel=$pub/$(basename "$kernel") initrd=$pub/$(basename "$initrd")
ctl=$pub/scorpictl
chown "$uid:$uid" "$home"
chmod 0700 "$home"
# run and start (tests/lib/guest.sh) run $scorpi: Scorpi as the user.
scorpi=$tmp/scorpi-as-user
cat >"$scorpi" <<EOF
#!/bin/sh
exec setpriv --reuid=$uid --regid=$uid --groups=$kvm_gid --inh-caps=-all \\
	"$pub/scorpi" "\$@"
EOF
chmod 0700 "$scorpi"

# /dev/kvm for group kvm only, as udev makes it.
chgrp "$kvm_gid" /dev/kvm && chmod 0660 /dev/kvm

# 1. A guest with the user's disk, slirp and a control socket, all the
# user's; powered off through the socket.
as "$uid" truncate -s 64M "$home/disk.img"
sock=$home/vm.sock
log=$logs/nonroot-boot.log
start nonroot-boot -c 2 -s 3,virtio-blk,"$home/disk.img",id=disk0 \
	-s 4,virtio-net,slirp,id=net0 -l "$sock" -- acpid
if ! wait_for "$log" 'guest: acpid ready'; then
	report_fail nonroot-boot "the guest never got to acpid"
	tail -n 20 "$log" | sed 's/^/    | /'
	kill "$vm_pid" 2>/dev/null
	wait "$vm_pid"
else
	report_ok nonroot-boot
	mode=$(stat -c '%a %u' "$sock")
	[ "$mode" = "600 $uid" ] && report_ok nonroot-socket-mode ||
		report_fail nonroot-socket-mode "mode and owner '$mode', expected '600 $uid'"

	out=$(as "$uid" "$ctl" "$sock" status 2>&1)
	echo "$out" | grep -q '"name":"vm-nonroot-boot","state":"running","cpus":2' &&
		report_ok nonroot-status ||
		report_fail nonroot-status "as uid $uid: $out"
	out=$(as "$uid" "$ctl" "$sock" devices 2>&1)
	if echo "$out" | grep -q '"id":"disk0","device":"virtio-blk","bus":"pci","slot":3,"func":0,"state":"driver-ok"' &&
		echo "$out" | grep -q '"id":"net0","device":"virtio-net","bus":"pci","slot":4,"func":0,"state":"driver-ok"'; then
		report_ok nonroot-devices
	else
		report_fail nonroot-devices "as uid $uid: $out"
	fi

	out=$("$ctl" "$sock" status 2>&1)
	echo "$out" | grep -q '"state":"running"' && report_ok nonroot-root-status ||
		report_fail nonroot-root-status "as root: $out"

	# Another user: kept out by the modes; let past them, refused by
	# the VMM all the same, twice, with one line in its log.
	out1=$(as "$other" "$ctl" "$sock" status 2>&1)
	rc1=$?
	chmod 0711 "$home"
	chmod 0666 "$sock"
	out2=$(as "$other" "$ctl" "$sock" status 2>&1)
	rc2=$?
	out3=$(as "$other" "$ctl" "$sock" status 2>&1)
	rc3=$?
	chmod 0600 "$sock"
	chmod 0700 "$home"
	refusals=$(grep -c "refused a client of uid $other: only uid $uid and root may connect" "$log")
	if [ "$rc1" != 1 ] || ! echo "$out1" | grep -q 'Permission denied'; then
		report_fail nonroot-other-refused "through the modes, uid $other got $rc1: $out1"
	elif [ "$rc2" != 1 ] || [ "$out2" != "scorpictl: permission-denied: only uid $uid and root may use this socket" ]; then
		report_fail nonroot-other-refused "past the modes, uid $other got $rc2: $out2"
	elif [ "$rc3" != 1 ] || [ "$out3" != "$out2" ]; then
		report_fail nonroot-other-refused "a second time, uid $other got $rc3: $out3"
	elif [ "$refusals" != 1 ]; then
		report_fail nonroot-other-refused "$refusals log lines for two refusals, expected 1"
	else
		report_ok nonroot-other-refused
	fi

	as "$uid" "$ctl" "$sock" powerdown
	wait "$vm_pid"
	rc=$?
	if expect_exit nonroot-poweroff 0 "$rc" "$log" &&
		expect_grep nonroot-poweroff "guest: power button" "$log"; then
		[ -e "$sock" ] && report_fail nonroot-poweroff "the socket is left" ||
			report_ok nonroot-poweroff
	fi
fi

# 2. Taps. A tap root made for the user: the guest boots with it.
if [ ! -c /dev/net/tun ]; then
	for n in nonroot-tap-own nonroot-tap-missing nonroot-tun-closed; do
		report_fail "$n" "no /dev/net/tun"
	done
	exit 0
fi
chmod 0666 /dev/net/tun
if ! ip tuntap add dev scorpiusr0 mode tap user "$uid" 2>"$logs/nonroot-tap.log" ||
	! ip link set scorpiusr0 up 2>>"$logs/nonroot-tap.log"; then
	report_fail nonroot-tap-own "cannot make a tap: $(head -n 1 "$logs/nonroot-tap.log")"
else
	run nonroot-tap-own -s 4,virtio-net,tap=scorpiusr0 -- date
	expect_exit nonroot-tap-own 0 $? "$logs/nonroot-tap-own.log" &&
		expect_grep nonroot-tap-own "init reached" "$logs/nonroot-tap-own.log" &&
		report_ok nonroot-tap-own
	ip link del scorpiusr0 2>/dev/null
fi

# tap_error NAME WANT: Scorpi as the user with a tap that does not exist
# ends at start, non-zero, with WANT as its only line.
tap_error()
{
	local name=$1 want=$2 rc
	timeout -k 10 "$limit" "$scorpi" -m 256M -o console=none -k "$kernel" \
		-s 4,virtio-net,tap=scorpinotap0 "vm-$1" </dev/null \
		>"$logs/$name.log" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		report_fail "$name" "exit status 0"
	elif [ "$(cat "$logs/$name.log")" != "$want" ]; then
		report_fail "$name" "exit status $rc, said: $(head -n 3 "$logs/$name.log" | tr '\n' '|')"
	else
		report_ok "$name"
	fi
}

tap_error nonroot-tap-missing "scorpi: virtio-net tap=scorpinotap0: cannot attach to the tap (Operation not permitted): as a user that is not root, the tap must exist, made persistent for you by root: ip tuntap add dev scorpinotap0 mode tap user $user"
chmod 0600 /dev/net/tun
tap_error nonroot-tun-closed "scorpi: virtio-net tap=scorpinotap0: cannot open /dev/net/tun (Permission denied): it must be readable and writable by this user (it usually is: mode 0666)"
exit 0

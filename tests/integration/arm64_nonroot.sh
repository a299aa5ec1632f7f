#!/bin/sh
# Scorpi as a user that is not root on arm64 (docs/running-as-user.md),
# as x86_nonroot.sh does on x86: uid 65534 in group kvm boots a guest
# with a disk of its own in a 0700 folder, slirp and a control socket;
# the socket is mode 0600, answers that user and root and no one else,
# and powers the guest off (the PL061 power key); a tap that does not
# exist (or /dev/net/tun closed to the user) stops Scorpi with the one
# line that says what is needed. Runs inside the arm64 L1
# (tests/run-arm64), as root, with L1's busybox sh.
#
# L1 has busybox only: no setpriv, and a tunctl without -u, so no tap
# can be made for the user here (x86_nonroot.sh checks that one). The
# user is made with busybox su, from lines this script adds to L1's own
# /etc/passwd and /etc/group (L1's root is its initramfs, writable; they
# are put back as they were at the end), with a kvm group (gid 36 where
# L1 has none). /dev/kvm is made group kvm, mode 0660, as udev would.
# The build and the guest material are copied where the user can read
# them: they may sit under root's 0700 folders on the host.
#
# usage: arm64_nonroot.sh KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: arm64-nonroot-boot arm64-nonroot-socket-mode arm64-nonroot-status
# expects: arm64-nonroot-root-status arm64-nonroot-other-refused
# expects: arm64-nonroot-poweroff arm64-nonroot-tap-missing
# expects: arm64-nonroot-tun-closed
. "$(dirname "$0")/../lib/guest-arm64.sh"

uid=65534 other=65533 user=nrtest other_user=nrother
work=$(mktemp -d)
kvm_was=$(stat -c '%g %a' /dev/kvm 2>/dev/null)
tun_was=$(stat -c %a /dev/net/tun 2>/dev/null)
for f in passwd group; do
	[ -e "/etc/$f" ] && cp "/etc/$f" "$work/$f.was"
done
restore()
{
	for f in passwd group; do
		if [ -e "$work/$f.was" ]; then
			cp "$work/$f.was" "/etc/$f"
		else
			rm -f "/etc/$f"
		fi
	done
	if [ -n "$kvm_was" ]; then
		chgrp "${kvm_was% *}" /dev/kvm
		chmod "${kvm_was#* }" /dev/kvm
	fi
	[ -z "$tun_was" ] || chmod "$tun_was" /dev/net/tun
	rm -rf "$work"
}
trap restore EXIT

if [ "$(id -u)" != 0 ]; then
	for n in $(sed -n 's/^# expects://p' "$0"); do
		report_fail "$n" "needs root, to run Scorpi as uid $uid"
	done
	exit 0
fi

kvm_gid=$(sed -n 's/^kvm:[^:]*:\([0-9]*\):.*/\1/p' /etc/group 2>/dev/null)
if [ -z "$kvm_gid" ]; then
	kvm_gid=36
	echo "kvm:x:$kvm_gid:$user" >>/etc/group
else
	sed -i "s/^\(kvm:[^:]*:$kvm_gid:.*[^:]\)\$/\1,$user/; s/^\(kvm:[^:]*:$kvm_gid:\)\$/\1$user/" /etc/group
fi
echo "$user:x:$uid:$uid::/tmp:/bin/sh" >>/etc/passwd
echo "$other_user:x:$other:$other::/tmp:/bin/sh" >>/etc/passwd
echo "$user:x:$uid:" >>/etc/group
echo "$other_user:x:$other:" >>/etc/group

# as NAME CMD ARGS...: CMD as NAME, with NAME's groups (busybox su).
as()
{
	_as_name=$1
	shift
	su -s /bin/sh "$_as_name" -c 'exec "$0" "$@"' -- "$@"
}

# The build where the user can read it: the scorpi the harness names
# (SCORPI, on an arm64 host with KVM), or inside L1 the host's build
# that scorpi-arm64 runs (scorpi.bin= on L1's command line), through
# the host's arm64 loader as tests/lib/l1-arm64-init does.
pub=$work/pub home=$work/home
chmod 0711 "$work"
mkdir -p "$pub" "$home"
if [ -f "$scorpi" ]; then
	cp "$scorpi" "$pub/scorpi.bin"
	cp "$(dirname "$scorpi")/scorpictl" "$pub/scorpictl.bin"
	loader=
else
	bin=$(sed -n 's/.* scorpi\.bin=\([^ ]*\).*/\1/p' /proc/cmdline)
	cp "$HOST$bin" "$pub/scorpi.bin"
	cp "$HOST${bin%/*}/scorpictl" "$pub/scorpictl.bin"
	loader="\"$HOST/lib/ld-linux-aarch64.so.1\" --library-path \"$HOST/usr/lib/aarch64-linux-gnu:$HOST/lib/aarch64-linux-gnu\""
fi
for p in scorpi scorpictl; do
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$loader" "$pub/$p.bin" \
		>"$pub/$p"
	chmod 0755 "$pub/$p" "$pub/$p.bin"
done
ctl=$pub/scorpictl
cp "$kernel" "$initrd" "$pub/"
kernel=$pub/$(basename "$kernel") initrd=$pub/$(basename "$initrd")
chmod 0755 "$pub"
chmod 0644 "$kernel" "$initrd"
chown "$uid:$uid" "$home"
chmod 0700 "$home"
# run (tests/lib/guest-arm64.sh) runs $scorpi: Scorpi as the user.
scorpi=$work/scorpi-as-user
printf '#!/bin/sh\nexec su -s /bin/sh %s -c '\''exec "$0" "$@"'\'' -- "%s" "$@"\n' \
	"$user" "$pub/scorpi" >"$scorpi"
chmod 0700 "$scorpi"

# /dev/kvm for group kvm only, as udev makes it.
chgrp "$kvm_gid" /dev/kvm && chmod 0660 /dev/kvm

# 1. A guest with the user's disk, slirp and a control socket, all the
# user's; powered off through the socket.
as "$user" truncate -s 64M "$home/disk.img"
sock=$home/vm.sock
log=$logs/arm64-nonroot-boot.log
run arm64-nonroot-boot -c 2 -s 3,virtio-blk,"$home/disk.img",id=disk0 \
	-s 4,virtio-net,slirp,id=net0 -l "$sock" -- acpid &
vm=$!
if ! wait_line "$log" "guest: acpid ready" "$vm"; then
	report_fail arm64-nonroot-boot "the guest never got to acpid"
	show_tail "$log"
	kill "$(cat "$logs/arm64-nonroot-boot.pid")" 2>/dev/null
	wait "$vm"
else
	report_ok arm64-nonroot-boot
	mode=$(stat -c '%a %u' "$sock")
	if [ "$mode" = "600 $uid" ]; then
		report_ok arm64-nonroot-socket-mode
	else
		report_fail arm64-nonroot-socket-mode "mode and owner '$mode', expected '600 $uid'"
	fi

	status=$(as "$user" "$ctl" "$sock" status 2>&1)
	devices=$(as "$user" "$ctl" "$sock" devices 2>&1)
	if ! echo "$status" | grep -q '"name":"vm-arm64-nonroot-boot","state":"running","cpus":2'; then
		report_fail arm64-nonroot-status "as uid $uid: $status"
	elif ! echo "$devices" | grep -q '"id":"disk0","device":"virtio-blk","bus":"pci","slot":3,"func":0,"state":"driver-ok"' ||
		! echo "$devices" | grep -q '"id":"net0","device":"virtio-net","bus":"pci","slot":4,"func":0,"state":"driver-ok"'; then
		report_fail arm64-nonroot-status "devices, as uid $uid: $devices"
	else
		report_ok arm64-nonroot-status
	fi

	status=$("$ctl" "$sock" status 2>&1)
	if echo "$status" | grep -q '"state":"running"'; then
		report_ok arm64-nonroot-root-status
	else
		report_fail arm64-nonroot-root-status "as root: $status"
	fi

	# Another user: kept out by the modes; let past them, refused by
	# the VMM all the same, twice, with one line in its log.
	out1=$(as "$other_user" "$ctl" "$sock" status 2>&1)
	rc1=$?
	chmod 0711 "$home"
	chmod 0666 "$sock"
	out2=$(as "$other_user" "$ctl" "$sock" status 2>&1)
	rc2=$?
	out3=$(as "$other_user" "$ctl" "$sock" status 2>&1)
	rc3=$?
	chmod 0600 "$sock"
	chmod 0700 "$home"
	refusals=$(grep -c "refused a client of uid $other: only uid $uid and root may connect" "$log")
	if [ "$rc1" != 1 ] || ! echo "$out1" | grep -q 'Permission denied'; then
		report_fail arm64-nonroot-other-refused "through the modes, uid $other got $rc1: $out1"
	elif [ "$rc2" != 1 ] || [ "$out2" != "scorpictl: permission-denied: only uid $uid and root may use this socket" ]; then
		report_fail arm64-nonroot-other-refused "past the modes, uid $other got $rc2: $out2"
	elif [ "$rc3" != 1 ] || [ "$out3" != "$out2" ]; then
		report_fail arm64-nonroot-other-refused "a second time, uid $other got $rc3: $out3"
	elif [ "$refusals" != 1 ]; then
		report_fail arm64-nonroot-other-refused "$refusals log lines for two refusals, expected 1"
	else
		report_ok arm64-nonroot-other-refused
	fi

	as "$user" "$ctl" "$sock" powerdown
	wait "$vm"
	rc=$?
	if expect_exit arm64-nonroot-poweroff 0 "$rc" "$log" &&
		expect_grep arm64-nonroot-poweroff "guest: power button" "$log"; then
		if [ -e "$sock" ]; then
			report_fail arm64-nonroot-poweroff "the socket is left"
		else
			report_ok arm64-nonroot-poweroff
		fi
	fi
fi

# 2. A tap that does not exist, with /dev/net/tun open to the user (as
# udev makes it) and closed.
if [ ! -c /dev/net/tun ]; then
	report_fail arm64-nonroot-tap-missing "no /dev/net/tun"
	report_fail arm64-nonroot-tun-closed "no /dev/net/tun"
	exit 0
fi

# tap_error NAME WANT: Scorpi as the user with a tap that does not exist
# ends at start, non-zero, with WANT as its only line.
tap_error()
{
	timeout -k 10 "$limit" "$scorpi" -m 256M -o console=none -k "$kernel" \
		-s 4,virtio-net,tap=scorpinotap0 "vm-$1" </dev/null \
		>"$logs/$1.log" 2>&1
	_te_rc=$?
	if [ "$_te_rc" = 0 ]; then
		report_fail "$1" "exit status 0"
	elif [ "$(cat "$logs/$1.log")" != "$2" ]; then
		report_fail "$1" "exit status $_te_rc, said: $(head -n 3 "$logs/$1.log" | tr '\n' '|')"
	else
		report_ok "$1"
	fi
}

chmod 0666 /dev/net/tun
tap_error arm64-nonroot-tap-missing "scorpi: virtio-net tap=scorpinotap0: cannot attach to the tap (Operation not permitted): as a user that is not root, the tap must exist, made persistent for you by root: ip tuntap add dev scorpinotap0 mode tap user $user"
chmod 0600 /dev/net/tun
tap_error arm64-nonroot-tun-closed "scorpi: virtio-net tap=scorpinotap0: cannot open /dev/net/tun (Permission denied): it must be readable and writable by this user (it usually is: mode 0666)"
exit 0

#!/usr/bin/env bash
# scorpi itself has every device: they register from their own object
# files (DEVICE_REGISTER, src/core/device.h), which a program linking
# libscorpi statically could leave out. -s, -u and -l help list them, in
# the same order at every build.
#
# usage: device_help.sh SCORPI
set -eu
scorpi=$1
fail=0
check() { # BUS-FLAG NAME...
	local flag=$1 names
	shift
	names=$("$scorpi" "$flag" help | sed -n 's/^\([^ ]\+\) .*/\1/p' | tr '\n' ' ')
	if [ "$names" != "$* " ]; then
		echo "$flag help lists: $names" >&2
		echo "       expected: $* " >&2
		fail=1
	fi
}
check -s hostbridge ahci-cd ahci-hd virtio-blk virtio-console virtio-gpu \
	virtio-net virtio-rnd xhci
check -u kbd net tablet
check -l vm-control
exit $fail

#!/usr/bin/env bash
# Containment: a guest whose virtio driver misbehaves (a descriptor outside
# RAM, a looping chain, buffers in the wrong direction, a virtio-blk
# request without its header) stops only that device: it reports
# DEVICE_NEEDS_RESET with a config-change interrupt, Scorpi logs one line,
# a reset brings it back, and the other devices and the VMM run on.
#
# usage: x86_contain.sh SCORPI KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: contain-outside contain-loop contain-direction contain-header
# expects: contain-log
set -u
. "$(dirname "$0")/../lib/guest.sh"

disks=$(mktemp -d)
head -c 1M /dev/urandom >"$disks/a.img"
head -c 1M /dev/urandom >"$disks/b.img"
want=$(head -c 65536 "$disks/a.img" | md5sum | cut -d' ' -f1)
run contain -c 2 -s 3,virtio-blk,"$disks/a.img" \
	-s 4,virtio-blk,"$disks/b.img" -s 5,virtio-rnd -- contain
rc=$?
log=$logs/contain.log
if expect_exit contain 0 "$rc" "$log"; then
	tr -d '\r' <"$log" >"$log.txt"
	for c in outside loop direction header; do
		name=contain-$c
		# NEEDS_RESET (0x40) on top of the four status bits the driver
		# set, the config-change bit in the ISR, a new generation.
		expect_grep "$name" "^misbehave: $c: status 0x4f, isr 0x[23], generation changed$" \
			"$log.txt" || continue
		if [ "$(grep -A1 "^misbehave: $c:" "$log.txt" | tail -n 1 |
			grep -c '^misbehave: good request served')" != 1 ]; then
			report_fail "$name" "the device did not work again after a reset"
			continue
		fi
		expect_grep "$name" "^guest: vda after $c $want$" "$log.txt" ||
			continue
		report_ok "$name"
	done
	# One log line per failure, each naming the device.
	n=$(grep -c "needs a reset" "$log.txt")
	if [ "$n" = 4 ] &&
		[ "$(grep "needs a reset" "$log.txt" | grep -c virtio-rnd)" = 3 ]; then
		report_ok contain-log
	else
		report_fail contain-log "expected 4 'needs a reset' lines (3 virtio-rnd, 1 virtio-blk), found $n"
	fi
fi
rm -rf "$disks"
exit 0

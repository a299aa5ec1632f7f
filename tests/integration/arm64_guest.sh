#!/bin/sh
# Boots Debian's arm64 kernel with the arm64 Scorpi and checks what the
# guest sees. Needs an arm64 /dev/kvm: tests/run-arm64 runs it inside the
# nested arm64 L1 (busybox sh), where scorpi-arm64 is the host's
# build-arm64/scorpi.
#
# usage: arm64_guest.sh KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: arm64-smp-1 arm64-smp-2 arm64-smp-4 arm64-guest-date arm64-reboot
# expects: arm64-reboot-exit arm64-virtio-rng-msix arm64-virtio-rng-intx
# expects: arm64-virtio-blk arm64-uart-flood arm64-sigTERM arm64-sigINT
. "$(dirname "$0")/../lib/guest-arm64.sh"

# SMP: init is reached with every vCPU online (PSCI CPU_ON), the guest's
# clock (the generic timer, set from the PL031 at boot) and the PL031 agree
# with L1's, and poweroff (PSCI SYSTEM_OFF) exits 0. One vCPU here; two
# and four on the boots of the rng and blk tests below (expect_smp).
# L1's time as the "guest: date" line arrives, for arm64-guest-date below.
run_seen arm64-smp-1 "guest: date [0-9]" -c 1 -m 256M -- date
rc=$?
expect_exit arm64-smp-1 0 "$rc" "$logs/arm64-smp-1.log" &&
	expect_smp arm64-smp-1 1 0 "$logs/arm64-smp-1.log"

# The guest's clock and PL031 as it printed them (/sys/class/rtc/rtc0),
# against L1's clock as that line arrived (run_seen): within a minute,
# for the clock and for the RTC.
now=$(cat "$logs/arm64-smp-1.seen" 2>/dev/null)
gdate=$(field "$logs/arm64-smp-1.log" 's/.*guest: date \([0-9]*\) rtc.*/\1/p')
grtc=$(field "$logs/arm64-smp-1.log" 's/.*guest: date [0-9]* rtc \([0-9]*\).*/\1/p')
if [ -n "$now" ] && [ -n "$gdate" ] && [ -n "$grtc" ] &&
	[ $((now - gdate)) -lt 60 ] && [ $((gdate - now)) -lt 60 ] &&
	[ $((now - grtc)) -lt 60 ] && [ $((grtc - now)) -lt 60 ]; then
	report_ok arm64-guest-date
else
	report_fail arm64-guest-date "guest date '$gdate' rtc '$grtc', L1 '$now' as the line arrived"
fi

# Reboot (PSCI SYSTEM_RESET), then poweroff: the VM resets in place and
# boots a second time. The guest tells its first boot from its second by
# a note that survives the reset; tests/guest/init keeps it in CMOS NVRAM
# through /dev/port, which on arm64 reaches the PCI I/O window (0x3EFF0000
# + port), where no CMOS answers: until the init
# keeps its note elsewhere on arm64 (the small disk given here as vda,
# one such place, named by scorpi.note=vda), every boot is a first boot.
# A third boot therefore ends the run instead of the hang guard.
disks=$(mktemp -d)
truncate -s 1M "$disks/note.img"
log=$logs/arm64-reboot.log
EXTRA_CMDLINE=scorpi.note=vda
run arm64-reboot -c 2 -m 256M -s 3,virtio-blk,"$disks/note.img" -- reboot &
vm=$!
EXTRA_CMDLINE=
while kill -0 "$vm" 2>/dev/null; do
	boots=$(grep -c "init reached" "$log" 2>/dev/null)
	if [ "${boots:-0}" -gt 2 ]; then
		kill -TERM "$(cat "$logs/arm64-reboot.pid")" 2>/dev/null
		break
	fi
	sleep 1
done
wait "$vm"
rc=$?
boots=$(grep -c "init reached" "$log")
if [ "$boots" -gt 2 ]; then
	report_fail arm64-reboot "the guest booted $boots times: its note did not survive the reset (tests/guest/init keeps it in CMOS NVRAM, which arm64 has not)"
	show_tail "$log"
elif expect_exit arm64-reboot 0 "$rc" "$log" &&
	expect_grep arm64-reboot "first boot, rebooting" "$log" &&
	expect_grep arm64-reboot "second boot" "$log"; then
	if [ "$boots" = 2 ]; then
		report_ok arm64-reboot
	else
		report_fail arm64-reboot "init reached $boots times, expected 2"
	fi
fi
rm -rf "$disks"

# -o reboot=exit: the guest's reboot ends the VMM with exit status 2.
run arm64-reboot-exit -o reboot=exit -- reboot-loop
rc=$?
expect_exit arm64-reboot-exit 2 "$rc" "$logs/arm64-reboot-exit.log" &&
	report_ok arm64-reboot-exit

# virtio-rnd over PCI (ECAM, pci-host-generic): /dev/hwrng yields data,
# with MSI-X through the GICv3 ITS, and with INTx (a level-triggered SPI)
# when the guest turns MSI off.
for mode in msix intx; do
	name=arm64-virtio-rng-$mode
	EXTRA_CMDLINE=
	[ "$mode" = intx ] && EXTRA_CMDLINE=pci=nomsi
	run "$name" -c 2 -s 5,virtio-rnd -- rng
	rc=$?
	EXTRA_CMDLINE=
	log=$logs/$name.log
	[ "$mode" = msix ] && expect_smp arm64-smp-2 2 "$rc" "$log"
	expect_exit "$name" 0 "$rc" "$log" || continue
	expect_grep "$name" "guest: hwrng virtio_rng" "$log" || continue
	samples=$(tr -d '\r' <"$log" |
		sed -n 's/^guest: random \([0-9a-f]\{64\}\)$/\1/p' | sort -u |
		wc -l)
	if [ "$samples" != 2 ]; then
		report_fail "$name" "expected two different 32-byte samples, got $samples"
		show_tail "$log"
		continue
	fi
	if [ "$mode" = msix ]; then
		expect_grep "$name" "ITS-(PCI-)?MSI.*virtio0-input" "$log" ||
			continue
	else
		# An SPI of the GICv3 (which one depends on the slot's
		# swizzle), level triggered.
		expect_grep "$name" "GICv3 +[0-9]+ +Level +virtio0\$" "$log" ||
			continue
	fi
	report_ok "$name"
done

# virtio-blk: a read-write disk with a serial and a read-only one. The
# guest sees their sizes and modes, reads what L1 wrote, cannot write the
# read-only one, and writes a pattern that L1 then finds in the image.
disks=$(mktemp -d)
truncate -s 64M "$disks/disk.img"
dd if=/dev/urandom of="$disks/seed.img" bs=1M count=8 2>/dev/null
seed_md5=$(md5sum <"$disks/seed.img" | cut -d' ' -f1)
run arm64-virtio-blk -c 4 \
	-s 3,virtio-blk,"$disks/disk.img",serial=scorpi-disk0,aio=threads \
	-s 4,virtio-blk,"$disks/seed.img",ro -- blk
rc=$?
log=$logs/arm64-virtio-blk.log
expect_smp arm64-smp-4 4 "$rc" "$log"
if expect_exit arm64-virtio-blk 0 "$rc" "$log" &&
	expect_grep arm64-virtio-blk "guest: vda size 131072 ro 0 serial scorpi-disk0" "$log" &&
	expect_grep arm64-virtio-blk "guest: vdb size 16384 ro 1" "$log" &&
	expect_grep arm64-virtio-blk "guest: vdb md5 $seed_md5" "$log" &&
	expect_grep arm64-virtio-blk "guest: vdb write refused" "$log"; then
	n=$(seq 1 200000 | wc -c)
	pattern=$(seq 1 200000 | md5sum | cut -d' ' -f1)
	if ! expect_grep arm64-virtio-blk "guest: pattern $pattern readback $pattern" "$log"; then
		:
	elif [ "$(head -c "$n" "$disks/disk.img" | md5sum | cut -d' ' -f1)" != "$pattern" ]; then
		report_fail arm64-virtio-blk "L1 does not find the guest's pattern in disk.img"
	elif [ "$(md5sum <"$disks/seed.img" | cut -d' ' -f1)" != "$seed_md5" ]; then
		report_fail arm64-virtio-blk "the read-only image changed"
	else
		report_ok arm64-virtio-blk
	fi
fi
rm -rf "$disks"

# Full-speed PL011 output: every line arrives, once, in order.
run arm64-uart-flood -- flood
rc=$?
log=$logs/arm64-uart-flood.log
if expect_exit arm64-uart-flood 0 "$rc" "$log"; then
	tr -d '\r' <"$log" | grep -E '^[0-9]+$' >"$logs/arm64-flood.lines"
	if seq 1 20000 | cmp -s - "$logs/arm64-flood.lines"; then
		report_ok arm64-uart-flood
	else
		report_fail arm64-uart-flood "console lines differ from seq 1 20000 ($(wc -l <"$logs/arm64-flood.lines") lines)"
	fi
fi

# SIGTERM and SIGINT stop the VM cleanly with exit status 4. (busybox
# timeout execs the program in its own process: $! is scorpi.)
for sig in TERM INT; do
	name=arm64-sig$sig
	timeout -k 10 "$limit" "$scorpi" -o console=stdio -k "$kernel" \
		-i "$initrd" -a "console=ttyAMA0 quiet scorpi.test=sleep" \
		"vm-$name" </dev/null >"$logs/$name.log" 2>&1 &
	pid=$!
	wait_sleeping "$logs/$name.log" "$pid"
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	expect_exit "$name" 4 "$rc" "$logs/$name.log" &&
		expect_grep "$name" "stopped by the host" "$logs/$name.log" &&
		report_ok "$name"
done
exit 0

#!/usr/bin/env bash
# Boots Debian's kernel with Scorpi and checks what the guest sees. Needs
# /dev/kvm: tests/run runs it inside the nested L1 where the host has none.
#
# usage: x86_guest.sh SCORPI KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: smp-1 smp-2 smp-4 guest-date reboot reboot-exit reset-kbd reset-cf9
# expects: reset-port92
# expects: virtio-rng-msix virtio-rng-intx virtio-blk blk-lock blk-mq uart-flood
# expects: triple-fault sigTERM sigINT terminal-poweroff terminal-signal
# expects: no-kvm-permission smbios smbios-default-uuid
set -u
. "$(dirname "$0")/../lib/guest.sh"

# SMP: init is reached with every vCPU online, the guest's clock (kvmclock
# and the CMOS RTC) agrees with the host's, and poweroff exits 0. One vCPU
# here; two and four are checked on the boots of the rng and blk tests
# below (expect_smp), which need no boot of their own.
# The host's time as the "guest: date" line arrives, for guest-date below.
uuid=0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9
run_seen smp-1 "guest: date [0-9]" -c 1 -m 256M -o uuid=$uuid -- date
rc=$?
expect_exit smp-1 0 "$rc" "$logs/smp-1.log" && expect_smp smp-1 1 0 "$logs/smp-1.log"
# SMBIOS in the BIOS area, where Linux looks without firmware: the
# maker, the VM's name and the UUID -o uuid gave.
expect_grep smbios "guest: dmi Scorpi / vm-smp-1 / $uuid / bios \s*\$" \
	"$logs/smp-1.log" && report_ok smbios

# The guest's clock and RTC as it printed them, against the host's clock
# as that line arrived (run_seen; both clocks are L1's under the nested
# L1): within a minute (the issue's bound), for the clock and the RTC.
now=$(cat "$logs/smp-1.seen" 2>/dev/null)
times=$(tr -d '\r' <"$logs/smp-1.log" |
	sed -n 's/.*guest: date \([0-9]*\) rtc \([0-9]*\).*/\1 \2/p' | head -n 1)
gdate=${times% *} grtc=${times#* }
if [ -n "${now:-}" ] && [ -n "${gdate:-}" ] && [ -n "${grtc:-}" ] &&
	[ $(( now - gdate )) -lt 60 ] && [ $(( gdate - now )) -lt 60 ] &&
	[ $(( now - grtc )) -lt 60 ] && [ $(( grtc - now )) -lt 60 ]; then
	report_ok guest-date
else
	report_fail guest-date "guest date '${gdate:-}' rtc '${grtc:-}', host '${now:-}' as the line arrived"
fi

# Reboot, then poweroff: the VM resets in place and boots a second time;
# CMOS NVRAM carries the guest's note across the reset.
run reboot -c 2 -m 256M -- reboot
# Without -o uuid: one made from the name (version 5 in Scorpi's
# namespace), the same on both boots.
want=$(python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID("25b1f20e-f252-43c0-8ce7-fa607403ba6b"), "vm-reboot"))')
seen=$(tr -d '\r' <"$logs/reboot.log" | sed -n 's|.*guest: dmi Scorpi / vm-reboot / \([0-9a-f-]*\) .*|\1|p' | sort -u)
if [ "$seen" = "$want" ]; then
	report_ok smbios-default-uuid
else
	report_fail smbios-default-uuid "the guest saw UUID '$seen', expected $want on both boots"
fi
rc=$?
if expect_exit reboot 0 "$rc" "$logs/reboot.log" &&
	expect_grep reboot "first boot, rebooting" "$logs/reboot.log" &&
	expect_grep reboot "second boot" "$logs/reboot.log"; then
	boots=$(grep -c "init reached" "$logs/reboot.log")
	if [ "$boots" = 2 ]; then
		report_ok reboot
	else
		report_fail reboot "init reached $boots times, expected 2"
	fi
fi

# -o reboot=exit: the guest's reboot ends the VMM with exit status 2.
run reboot-exit -o reboot=exit -- reboot-loop
rc=$?
expect_exit reboot-exit 2 "$rc" "$logs/reboot-exit.log" && report_ok reboot-exit

# The keyboard controller's reset pulse (Linux reboot=k writes 0xFE to
# port 0x64) and the reset control register (reboot=p writes 0xCF9) each
# reset the VM; with -o reboot=exit that shows as exit status 2.
for method in k:kbd p:cf9; do
	name=reset-${method#*:}
	EXTRA_CMDLINE="reboot=${method%%:*}" run "$name" -o reboot=exit -- reboot-loop
	rc=$?
	expect_exit "$name" 2 "$rc" "$logs/$name.log" && report_ok "$name"
done
# System control port A: the guest sets bit 0 of port 0x92 itself.
run reset-port92 -o reboot=exit -- port92-reset
expect_exit reset-port92 2 "$?" "$logs/reset-port92.log" &&
	report_ok reset-port92

# virtio-rnd over the PCI transport: /dev/hwrng yields data, with MSI-X,
# and with INTx through the IOAPIC when the guest turns MSI off.
for mode in msix intx; do
	name=virtio-rng-$mode
	extra=
	[ "$mode" = intx ] && extra=pci=nomsi
	EXTRA_CMDLINE=$extra run "$name" -c 2 -s 0,hostbridge -s 5,virtio-rnd \
		-- rng
	rc=$?
	[ "$mode" = msix ] && expect_smp smp-2 2 "$rc" "$logs/$name.log"
	expect_exit "$name" 0 "$rc" "$logs/$name.log" || continue
	expect_grep "$name" "guest: hwrng virtio_rng" "$logs/$name.log" ||
		continue
	samples=$(tr -d '\r' <"$logs/$name.log" |
		sed -n 's/^guest: random \([0-9a-f]\{64\}\)$/\1/p' | sort -u |
		wc -l)
	if [ "$samples" != 2 ]; then
		report_fail "$name" "expected two different 32-byte samples, got $samples"
		continue
	fi
	if [ "$mode" = msix ]; then
		expect_grep "$name" "PCI-MSI.*virtio0-input" "$logs/$name.log" ||
			continue
	else
		# Slot 5, INTA: GSI 16 + 5 = 21, level triggered.
		expect_grep "$name" "IO-APIC +21-fasteoi +virtio0" \
			"$logs/$name.log" || continue
	fi
	report_ok "$name"
done

# virtio-blk: a read-write disk with a serial and a read-only one. The
# guest sees their sizes and modes, reads what the host wrote, cannot
# write the read-only one, and writes a pattern the host then finds.
disks=$(mktemp -d)
truncate -s 64M "$disks/disk.img"
head -c 8M /dev/urandom >"$disks/seed.img"
seed_md5=$(md5sum <"$disks/seed.img" | cut -d' ' -f1)
run virtio-blk -c 4 \
	-s 3,virtio-blk,"$disks/disk.img",serial=scorpi-disk0,aio=threads \
	-s 4,virtio-blk,"$disks/seed.img",ro -- blk
rc=$?
log=$logs/virtio-blk.log
expect_smp smp-4 4 "$rc" "$log"
if expect_exit virtio-blk 0 "$rc" "$log" &&
	expect_grep virtio-blk "guest: vda size 131072 ro 0 serial scorpi-disk0" "$log" &&
	expect_grep virtio-blk "guest: vdb size 16384 ro 1" "$log" &&
	expect_grep virtio-blk "guest: vdb md5 $seed_md5" "$log" &&
	expect_grep virtio-blk "guest: vdb write refused" "$log"; then
	n=$(seq 1 200000 | wc -c)
	pattern=$(seq 1 200000 | md5sum | cut -d' ' -f1)
	if ! expect_grep virtio-blk "guest: pattern $pattern readback $pattern" "$log"; then
		:
	elif [ "$(head -c "$n" "$disks/disk.img" | md5sum | cut -d' ' -f1)" != "$pattern" ]; then
		report_fail virtio-blk "the host does not find the guest's pattern in disk.img"
	elif [ "$(md5sum <"$disks/seed.img" | cut -d' ' -f1)" != "$seed_md5" ]; then
		report_fail virtio-blk "the read-only image changed"
	else
		report_ok virtio-blk
	fi
fi

# A writable image in use is refused to a second VM, naming the holder.
"$scorpi" -o console=stdio -s 3,virtio-blk,"$disks/disk.img" -k "$kernel" \
	-i "$initrd" -a "console=ttyS0 quiet scorpi.test=sleep" vm-holder \
	</dev/null >"$logs/blk-holder.log" 2>&1 &
holder=$!
wait_sleeping "$logs/blk-holder.log" "$holder"
timeout -k 10 "$limit" "$scorpi" -s 3,virtio-blk,"$disks/disk.img" \
	-k "$kernel" vm-second </dev/null >"$logs/blk-lock.log" 2>&1
rc=$?
expect_exit blk-lock 1 "$rc" "$logs/blk-lock.log" &&
	expect_grep blk-lock "disk.img: locked by process $holder \(scorpi\)" \
		"$logs/blk-lock.log" && report_ok blk-lock

# SIGTERM stops the VM cleanly with exit status 4 (the holder above, so
# that it needs no boot of its own); SIGINT the same, below.
kill -TERM "$holder" 2>/dev/null
wait "$holder"
rc=$?
expect_exit sigTERM 4 "$rc" "$logs/blk-holder.log" &&
	expect_grep sigTERM "stopped by the host" "$logs/blk-holder.log" &&
	report_ok sigTERM
rm -rf "$disks"

# 256 MiB over MQ with 2 vCPUs: two writers, one per vCPU, with O_DIRECT;
# the guest reads it all back, and the host finds the same bytes in the
# image. vda uses io_uring here and the thread pool in the test above.
disks=$(mktemp -d)
truncate -s 256M "$disks/big.img"
run blk-mq -c 2 -m 512M -s 3,virtio-blk,"$disks/big.img" -- blk-mq
rc=$?
log=$logs/blk-mq.log
if expect_exit blk-mq 0 "$rc" "$log"; then
	expect=$(tr -d '\r' <"$log" | sed -n 's/^guest: expect \([0-9a-f]*\)$/\1/p')
	readback=$(tr -d '\r' <"$log" | sed -n 's/^guest: readback \([0-9a-f]*\)$/\1/p')
	host=$(md5sum <"$disks/big.img" | cut -d' ' -f1)
	# Both request queues took interrupts: "guest: irq N: CPU0 CPU1 ...".
	queues=$(tr -d '\r' <"$log" | grep -E "guest: irq .*virtio0-req\.[01]$" |
		awk '$4 + $5 > 0' | wc -l)
	if [ -z "$expect" ] || [ "$expect" != "$readback" ] ||
		[ "$expect" != "$host" ]; then
		report_fail blk-mq "sums: guest wrote '$expect', read back '$readback', host has '$host'"
	elif [ "$queues" != 2 ]; then
		report_fail blk-mq "expected interrupts on both virtio0-req.0 and .1, $queues had some"
	elif grep -q "write .* failed" "$log"; then
		report_fail blk-mq "$(grep -m1 "write .* failed" "$log")"
	else
		report_ok blk-mq
	fi
fi
rm -rf "$disks"

# Full-speed serial output: every line arrives, once, in order. Each byte
# the guest sends is an exit to the VMM; under the nested L1 one costs
# milliseconds of emulation, and 20000 lines took most of the 600 s hang
# guard there, so the nested run sends 2000 (still over 700 FIFO refills).
lines=20000
[ "${SCORPI_IN_L1:-}" = 1 ] && lines=2000
EXTRA_CMDLINE="scorpi.lines=$lines" run uart-flood -- flood
rc=$?
if expect_exit uart-flood 0 "$rc" "$logs/uart-flood.log"; then
	tr -d '\r' <"$logs/uart-flood.log" | grep -E '^[0-9]+$' >"$logs/flood.lines"
	if seq 1 "$lines" | cmp -s - "$logs/flood.lines"; then
		report_ok uart-flood
	else
		report_fail uart-flood "console lines differ from seq 1 $lines ($(wc -l <"$logs/flood.lines") lines)"
	fi
fi

# A triple fault: a kernel whose first instruction is ud2, with no IDT.
python3 - "$logs/ud2.bzImage" <<'PY'
import struct, sys
img = bytearray(512 * 5)
img[0x1f1] = 4                                     # setup_sects
img[0x1fe:0x200] = b'\x55\xaa'
img[0x201] = 0x66                                  # header length
img[0x202:0x206] = b'HdrS'
struct.pack_into('<H', img, 0x206, 0x020f)         # protocol 2.15
img[0x211] = 0x01                                  # LOADED_HIGH
struct.pack_into('<H', img, 0x236, 0x0001)         # XLF_KERNEL_64
struct.pack_into('<I', img, 0x260, 0x1000)         # init_size
kernel = bytearray(0x1000)
kernel[0x200:0x202] = b'\x0f\x0b'                  # 64-bit entry: ud2
open(sys.argv[1], 'wb').write(img + kernel)
PY
timeout -k 10 "$limit" "$scorpi" -k "$logs/ud2.bzImage" vm-ud2 \
	</dev/null >"$logs/triple-fault.log" 2>&1
rc=$?
expect_exit triple-fault 3 "$rc" "$logs/triple-fault.log" &&
	expect_grep triple-fault "triple fault on vCPU 0" "$logs/triple-fault.log" &&
	expect_grep triple-fault "vCPU 0 registers:" "$logs/triple-fault.log" &&
	expect_grep triple-fault "rip [0-9a-f]{16} rflags" "$logs/triple-fault.log" &&
	report_ok triple-fault

# SIGINT stops the VM cleanly with exit status 4.
timeout -k 10 "$limit" "$scorpi" -o console=stdio -k "$kernel" \
	-i "$initrd" -a "console=ttyS0 quiet scorpi.test=sleep" \
	vm-sigINT </dev/null >"$logs/sigINT.log" 2>&1 &
pid=$!
wait_sleeping "$logs/sigINT.log" "$pid"
kill -s INT "$pid"
wait "$pid"
rc=$?
expect_exit sigINT 4 "$rc" "$logs/sigINT.log" &&
	expect_grep sigINT "stopped by the host" "$logs/sigINT.log" &&
	report_ok sigINT

# The terminal comes back as it was, after poweroff and after a signal.
if command -v script >/dev/null; then
	for how in poweroff signal; do
		name=terminal-$how
		test=date
		[ "$how" = signal ] && test=sleep
		cat >"$logs/$name.sh" <<-SH
			stty -g >"$logs/$name.before"
			"$scorpi" -o console=stdio -k "$kernel" -i "$initrd" \
				-a "console=ttyS0 quiet scorpi.test=$test" vm-$name &
			pid=\$!
			if [ "$how" = signal ]; then
				while ! grep -q "guest: sleeping" "$logs/$name.log" 2>/dev/null; do
					kill -0 \$pid 2>/dev/null || break
					sleep 1
				done
				kill -TERM \$pid
			fi
			wait \$pid
			echo "exit=\$?" >"$logs/$name.rc"
			stty -g >"$logs/$name.after"
		SH
		timeout -k 10 "$limit" script -qefc "bash $logs/$name.sh" \
			"$logs/$name.log" </dev/null >/dev/null 2>&1
		if ! [ -s "$logs/$name.before" ] || ! [ -s "$logs/$name.after" ]; then
			report_fail "$name" "no terminal settings recorded"
		elif ! cmp -s "$logs/$name.before" "$logs/$name.after"; then
			report_fail "$name" "terminal settings changed: $(cat "$logs/$name.before") -> $(cat "$logs/$name.after")"
		elif ! grep -qE "exit=(0|4)" "$logs/$name.rc"; then
			report_fail "$name" "$(cat "$logs/$name.rc")"
		else
			report_ok "$name"
		fi
	done
else
	report_fail terminal-poweroff "no script(1) here (util-linux)"
	report_fail terminal-signal "no script(1) here (util-linux)"
fi

# No permission on /dev/kvm: a clear line, exit 1.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	readable=$(mktemp -d)
	chmod 755 "$readable"
	cp "$kernel" "$readable/vmlinuz" && chmod 644 "$readable/vmlinuz"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$scorpi" \
		-k "$readable/vmlinuz" vm-noperm </dev/null >"$logs/noperm.log" 2>&1
	rc=$?
	expect_exit no-kvm-permission 1 "$rc" "$logs/noperm.log" &&
		expect_grep no-kvm-permission "no permission on /dev/kvm" \
			"$logs/noperm.log" && report_ok no-kvm-permission
	rm -rf "$readable"
else
	report_fail no-kvm-permission "needs root and setpriv(1) (tests/run runs as root)"
fi
exit 0

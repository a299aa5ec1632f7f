#!/usr/bin/env bash
# Run a script inside a nested L1 Linux host that has /dev/kvm, for machines
# without /dev/kvm: QEMU-TCG emulates an AMD CPU with SVM and nested paging,
# and the L1 kernel's kvm-amd gives a real /dev/kvm (see ../shared/DESIGN.md).
# The host's root is shared read-only, so L1 runs the freshly built binary in
# place.
#
# l1_run OUTDIR SCRIPT [interactive]
#   Boots L1, runs "bash SCRIPT" chrooted into the host's root with the
#   current directory as its working directory, and returns its exit status.
#   Inside, $SCORPI_OUT is OUTDIR (read-write, 9p: for a few files only),
#   $TMPDIR is scratch space. The console goes to stdout and to
#   OUTDIR/console.log; with "interactive", stdin is the terminal.

. "$(dirname "${BASH_SOURCE[0]}")/assets.sh"
. "$(dirname "${BASH_SOURCE[0]}")/l1-suite.sh"

# True where Scorpi can use this host's /dev/kvm directly: it is there
# and ours, and it is hardware KVM (PVM's kvm_pvm runs only PVM-built
# guest kernels; Scorpi refuses it, so it counts as none).
kvm_usable()
{
	[ -r /dev/kvm ] && [ -w /dev/kvm ] && [ ! -e /sys/module/kvm_pvm ]
}

l1_run()
{
	local out=$1 script=$2 mode=${3:-batch}
	assets_prepare
	# SCORPI_L1_QEMU: another QEMU for L1 (tests/lib/qemu-l1.sh builds
	# one with a fix Debian's lacks).
	local qemu=${SCORPI_L1_QEMU:-qemu-system-x86_64}
	command -v "$qemu" >/dev/null ||
		assets_die "$qemu is needed for the nested L1"
	mkdir -p "$out"
	rm -f "$out/l1-status"
	script=$(realpath "$script")
	local cpus mem
	cpus=$(nproc)
	[ "$cpus" -gt 4 ] && cpus=4
	cpus=${SCORPI_L1_CPUS:-$cpus}
	mem=${SCORPI_L1_MEM:-3G}
	# idle=poll: an idle L1 CPU polls rather than halts, so that waking
	# it needs no interrupt. QEMU-TCG (10.0 too) has left an x86 L1 CPU
	# halted for good, interrupts enabled and vectors pending in its
	# LAPIC, deaf even to an NMI from the monitor: the CPU waiting on
	# it locked up.
	local cmdline="console=ttyS0 quiet loglevel=3 panic=-1 $L1_KERNEL_ARGS ${SCORPI_L1_IDLE-idle=poll} ${SCORPI_L1_ARGS:-}"
	# The script's terminal is a virtio console (hvc0), not the serial
	# line: the 8250 driver sends a tty's output on THRE interrupts, and
	# one that QEMU-TCG loses stops that output for good (every writer
	# then sleeps, and L1 looks idle and silent); hvc0's driver waits for
	# each write by polling its ring, needing no interrupt. The kernel's
	# own messages stay on the serial line (printk polls it too), in
	# OUTDIR/kernel.log.
	local args=(
		-accel "tcg,thread=${SCORPI_L1_TCG_THREAD:-multi}" -cpu qemu64,+svm,+npt
		-smp "$cpus" -m "$mem" -no-reboot -display none -vga none
		-nodefaults -kernel "$ASSET_KERNEL" -initrd "$ASSET_L1_INITRD"
		-d cpu_reset,guest_errors -D "$out/l1-qemu.log"
		-append "$cmdline scorpi.cmd=$script scorpi.cwd=$PWD scorpi.term=${TERM:-linux}"
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
		-virtfs "local,path=$(realpath "$out"),mount_tag=out,security_model=none"
		-chardev "file,id=kernel,path=$out/kernel.log" -serial chardev:kernel
		-device virtio-serial-pci -device virtconsole,chardev=console
	)
	rm -f "$out/console.log" "$out/kernel.log"
	if [ "$mode" = interactive ]; then
		# signal=off: Ctrl-C reaches the guest, not this QEMU.
		"$qemu" "${args[@]}" -monitor none \
			-chardev stdio,id=console,signal=off,logfile="$out/console.log"
	else
		# A bound on the whole run; l1_watch stops an L1 that locked up.
		rm -f "$out/monitor.sock"
		timeout -k 10 "${SCORPI_L1_TIMEOUT:-1200}" \
			"$qemu" "${args[@]}" \
			-monitor "unix:$out/monitor.sock,server=on,wait=off" \
			-chardev stdio,id=console,logfile="$out/console.log" \
			</dev/null &
		l1_watch $! "$out/console.log" "$out/monitor.sock" \
			"$out/kernel.log"
	fi
	local rc
	# L1 prints its script's status on the console as it ends.
	rc=$(tr -d '\r' <"$out/console.log" 2>/dev/null |
		sed -n 's/^l1: status \([0-9]*\)$/\1/p' | tail -n 1)
	[ -n "$rc" ] || rc=$(cat "$out/l1-status" 2>/dev/null)
	[ -n "$rc" ] || {
		# QEMU's own log says whether L1 reset itself (a triple fault).
		echo "l1: the nested host ended before its script did; see $out/l1-qemu.log" >&2
		return 125
	}
	return "$rc"
}

#!/usr/bin/env bash
# Run a script inside a nested arm64 L1 Linux host that has /dev/kvm, on a
# host that has no arm64 KVM (any host, here an amd64 one): QEMU-TCG
# emulates an arm64 virt machine with EL2 (virtualization=on) and a GICv3,
# and Debian's arm64 kernel, booted at EL2, has KVM built in (VHE). The
# host's root is shared read-only, so L1 runs the host's arm64 scorpi
# (build-arm64/scorpi, cross-built, dynamically linked) in place through
# the host's arm64 multiarch loader (see tests/lib/l1-arm64-init).
#
# l1_arm64_run OUTDIR SCRIPT [interactive]
#   Boots L1 and runs "sh $HOST/SCRIPT" with L1's busybox sh (SCRIPT is a
#   path on this host; the host's programs are amd64, so L1 does not
#   chroot), with $HOST/$PWD as its working directory, and returns its
#   exit status. Inside, $HOST is the host's root, $SCORPI_OUT is OUTDIR
#   (read-write, 9p: for a few files only), $TMPDIR is scratch space
#   (tmpfs), and scorpi-arm64 runs $SCORPI_ARM64_BIN (a host path, default
#   build-arm64/scorpi of this checkout). The console goes to stdout and
#   to OUTDIR/console.log; with "interactive", stdin is the terminal.
#   125: L1 ended before its script did; 124: it ran past
#   SCORPI_L1_TIMEOUT (default 1800 s) or locked up.

. "$(dirname "${BASH_SOURCE[0]}")/assets-arm64.sh"
. "$(dirname "${BASH_SOURCE[0]}")/l1-suite.sh"

l1_arm64_run()
{
	local out=$1 script=$2 mode=${3:-batch}
	assets_arm64_prepare
	command -v qemu-system-aarch64 >/dev/null ||
		assets_arm64_die "qemu-system-aarch64 is needed for the nested arm64 L1 (apt-get install qemu-system-arm)"
	mkdir -p "$out"
	rm -f "$out/l1-status"
	script=$(realpath "$script")
	local bin=${SCORPI_ARM64_BIN:-$ASSETS_ARM64_SRC/../build-arm64/scorpi}
	bin=$(realpath -m "$bin")
	local cpus mem
	cpus=$(nproc)
	[ "$cpus" -gt 4 ] && cpus=4
	mem=${SCORPI_L1_MEM:-3G}
	local args=(
		-M virt,virtualization=on,gic-version=3
		-cpu max,pauth-impdef=on -accel tcg,thread=multi
		-smp "$cpus" -m "$mem" -no-reboot -display none -nodefaults
		-kernel "$ASSET_ARM64_KERNEL" -initrd "$ASSET_ARM64_L1_INITRD"
		-d guest_errors -D "$out/l1-qemu.log"
		-append "console=ttyAMA0 quiet loglevel=3 panic=-1 $L1_KERNEL_ARGS scorpi.cmd=$script scorpi.cwd=$PWD scorpi.bin=$bin scorpi.term=${TERM:-linux}"
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
		-virtfs "local,path=$(realpath "$out"),mount_tag=out,security_model=none"
	)
	rm -f "$out/console.log"
	local qrc=0
	if [ "$mode" = interactive ]; then
		# signal=off: Ctrl-C reaches the guest, not this QEMU.
		qemu-system-aarch64 "${args[@]}" -monitor none \
			-chardev stdio,id=console,signal=off,logfile="$out/console.log" \
			-serial chardev:console
	else
		# A bound on the whole run; l1_watch stops an L1 that locked up.
		rm -f "$out/monitor.sock"
		timeout -k 10 "${SCORPI_L1_TIMEOUT:-1800}" \
			qemu-system-aarch64 "${args[@]}" \
			-monitor "unix:$out/monitor.sock,server=on,wait=off" \
			-chardev stdio,id=console,logfile="$out/console.log" \
			-serial chardev:console </dev/null &
		l1_watch $! "$out/console.log" "$out/monitor.sock"
		qrc=$?
	fi
	local rc
	# L1 prints its script's status on the console as it ends.
	rc=$(tr -d '\r' <"$out/console.log" 2>/dev/null |
		sed -n 's/^l1: status \([0-9]*\)$/\1/p' | tail -n 1)
	[ -n "$rc" ] || rc=$(cat "$out/l1-status" 2>/dev/null)
	[ -n "$rc" ] || {
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			echo "l1: the nested arm64 host ran past SCORPI_L1_TIMEOUT (${SCORPI_L1_TIMEOUT:-1800} s)" >&2
			return 124
		fi
		echo "l1: the nested arm64 host ended before its script did; see $out/console.log and $out/l1-qemu.log" >&2
		return 125
	}
	return "$rc"
}

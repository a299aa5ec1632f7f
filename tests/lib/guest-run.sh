#!/usr/bin/env bash
# guest_tests WORKDIR SCRIPT...: runs guest test scripts (each takes
# SCORPI KERNEL INITRD LOGDIR) with build/scorpi, directly where /dev/kvm
# works and inside a nested QEMU-TCG L1 where it does not. Result lines go
# to $RESULTS, with a FAIL for each result a script declares ("# expects:")
# but did not report and one for its exit status (script_results_check in
# tests/lib/report.sh). Needs assets_prepare (tests/lib/assets.sh) to have run.
. "$(dirname "${BASH_SOURCE[0]}")/l1.sh"
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"

guest_tests()
{
	local work=$1 t
	shift
	if kvm_usable; then
		for t in "$@"; do
			guest_script_run "$work" "$t" bash "$t" build/scorpi \
				"$ASSET_KERNEL" "$ASSET_L2_INITRD" "$work/guest-logs"
		done
		return
	fi
	echo "(no usable /dev/kvm here: running them inside a nested QEMU-TCG L1)"
	# Inside L1 (bash, chrooted into this host's root, in this checkout).
	# L1's KVM records what it does, for the boots that triple-fault.
	local prelude="unset RESULTS
export SCORPI_TEST_TIMEOUT=${SCORPI_TEST_TIMEOUT:-600}
export SCORPI_L1_KVM_TRACE=${SCORPI_L1_KVM_TRACE:-0}
. tests/lib/kvm-trace.sh && kvm_trace_start"
	l1_suite "$work" l1_run "$prelude" \
		"bash \"\$t\" build/scorpi $ASSET_KERNEL $ASSET_L2_INITRD \"\$logdir\"" \
		"$@"
}

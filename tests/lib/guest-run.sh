#!/usr/bin/env bash
# guest_tests WORKDIR SCRIPT...: runs guest test scripts (each takes
# SCORPI KERNEL INITRD LOGDIR) with build/scorpi, directly where /dev/kvm
# works and inside a nested QEMU-TCG L1 where it does not. Result lines go
# to $RESULTS. Needs assets_prepare (tests/lib/assets.sh) to have run.
. "$(dirname "${BASH_SOURCE[0]}")/l1.sh"
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"

guest_tests()
{
	local work=$1 t rc attempt
	shift
	if kvm_usable; then
		for t in "$@"; do
			bash "$t" build/scorpi "$ASSET_KERNEL" \
				"$ASSET_L2_INITRD" "$work/guest-logs"
		done
		return
	fi
	echo "(no usable /dev/kvm here: running them inside a nested QEMU-TCG L1)"
	# Inside L1 (bash, chrooted into this host's root, in this checkout).
	local prelude="unset RESULTS
export SCORPI_TEST_TIMEOUT=${SCORPI_TEST_TIMEOUT:-600}"
	l1_suite "$work" l1_run "$prelude" \
		"bash \"\$t\" build/scorpi $ASSET_KERNEL $ASSET_L2_INITRD \"\$TMPDIR/guest-logs\"" \
		"$@"
}

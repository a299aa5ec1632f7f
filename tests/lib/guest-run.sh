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
	local inner=$work/l1-inner.sh
	# Logs go to L1's tmpfs: many small writes through 9p are slow under
	# TCG. Results come back on L1's console, which is reliable; the logs
	# are copied out through 9p at the end, best effort (9p writes under
	# TCG have been seen to hang, so nothing waits for them).
	cat >"$inner" <<-INNER
		export RESULTS=\$TMPDIR/results
		export SCORPI_TEST_TIMEOUT=${SCORPI_TEST_TIMEOUT:-600}
		: >"\$RESULTS"
		for t in $*; do
			bash "\$t" build/scorpi "$ASSET_KERNEL" \
				"$ASSET_L2_INITRD" "\$TMPDIR/guest-logs"
		done
		echo "=== results"
		cat "\$RESULTS"
		echo "=== end"
		timeout 30 cp -r "\$TMPDIR/guest-logs" "\$SCORPI_OUT/" &
		sleep 10
	INNER
	# An L1 that never finishes is the emulator's fault (L1's CPUs lock
	# up under QEMU-TCG's nested SVM, rarely): it is run once more, and
	# only the finished run's results count.
	for attempt in 1 2; do
		l1_run "$work/l1" "$inner" >"$work/l1-console.log" 2>&1
		rc=$?
		[ "$rc" -ne 125 ] && [ "$rc" -ne 124 ] && break
		[ "$attempt" = 2 ] && break
		cp "$work/l1-console.log" "$work/l1-console-attempt1.log"
		echo "(the nested L1 did not finish, status $rc: $(grep -c 'soft lockup' "$work/l1-console.log") soft lockups on its console; running it once more)"
	done
	tr -d '\r' <"$work/l1-console.log" |
		sed -n '/^=== results$/,/^=== end$/p' |
		grep -E '^(ok|FAIL) ' >"$work/l1-results"
	cat "$work/l1-results"
	[ -z "${RESULTS:-}" ] || cat "$work/l1-results" >>"$RESULTS"
	# What the failing tests showed (their logs' tails), for the record.
	tr -d '\r' <"$work/l1-console.log" |
		grep -E '^(FAIL |    \| )' | sed 's/^/l1: /'
	if [ "$rc" -ne 0 ]; then
		report_fail nested-l1 "the L1 run ended with status $rc"
		tail -n 30 "$work/l1-console.log"
	fi
}

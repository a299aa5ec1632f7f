#!/usr/bin/env bash
# Shared by the guest test scripts (tests/integration/x86_*.sh), which all
# take SCORPI KERNEL INITRD LOGDIR and need /dev/kvm: tests/run runs them
# inside the nested L1 where the host has none.
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"

[ $# -eq 4 ] || { echo "usage: $0 SCORPI KERNEL INITRD LOGDIR" >&2; exit 2; }
scorpi=$1 kernel=$2 initrd=$3 logs=$4
mkdir -p "$logs"
# A guard against hangs only: nested TCG is slow, so it is generous.
limit=${SCORPI_TEST_TIMEOUT:-600}

# run NAME [SCORPI ARGS...] -- GUEST_TEST: boots the guest with
# scorpi.test=GUEST_TEST; the console goes to $logs/NAME.log.
run()
{
	local name=$1
	shift
	local args=()
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	local test=$2
	timeout -k 10 "$limit" "$scorpi" "${args[@]}" -o console=stdio \
		-k "$kernel" -i "$initrd" \
		-a "console=ttyS0 quiet scorpi.test=$test ${EXTRA_CMDLINE:-}" \
		"vm-$name" \
		</dev/null >"$logs/$name.log" 2>&1
}

# wait_sleeping LOG PID: until the guest of PID says it is idle (the
# "sleep" test), or PID is gone, or the hang guard runs out.
wait_sleeping()
{
	for _ in $(seq 1 "$limit"); do
		grep -q "guest: sleeping" "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 1
	done
	return 1
}


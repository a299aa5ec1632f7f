#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (in build-fuzz/) and runs each
# for a bounded time: tests/fuzz/run.sh [SECONDS], default 30. Prints
# "ok fuzz-NAME" or "FAIL fuzz-NAME: ..." per harness; crashes are kept in
# build-fuzz/crashes/.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/report.sh
seconds=${1:-30}
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true >build-fuzz.log 2>&1 || {
		report_fail fuzz-build "meson setup failed: $(tail -n 3 build-fuzz.log)"
		exit 1
	}
fi
if ! ninja -C build-fuzz >build-fuzz.log 2>&1; then
	report_fail fuzz-build "$(grep -m 3 -E 'error' build-fuzz.log)"
	exit 1
fi
rm -f build-fuzz.log
mkdir -p build-fuzz/crashes
status=0
for f in build-fuzz/tests/fuzz/fuzz_*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	name=${f##*/fuzz_}
	mkdir -p "build-fuzz/corpus/$name"
	if "$f" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
		-artifact_prefix=build-fuzz/crashes/ "build-fuzz/corpus/$name" \
		>"build-fuzz/fuzz-$name.log" 2>&1; then
		report_ok "fuzz-$name"
	else
		report_fail "fuzz-$name" "see build-fuzz/fuzz-$name.log: $(grep -m 1 -E 'ERROR|SUMMARY' "build-fuzz/fuzz-$name.log")"
		status=1
	fi
done
exit $status

#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (in build-fuzz/, set up if
# needed) and runs each for a bounded time: tests/fuzz/run.sh [SECONDS],
# default 30. Prints "ok fuzz-NAME" or "FAIL fuzz-NAME: ..." per harness
# and exits non-zero on any failure. The corpus grows in
# build-fuzz/corpus/NAME/, starting from the seeds that
# tests/fuzz/seeds_NAME.py writes, if there is one; crashing inputs are kept in build-fuzz/crashes/
# (reproduce with build-fuzz/tests/fuzz/fuzz_NAME FILE).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/report.sh
seconds=${1:-30}
case $seconds in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS]" >&2
	exit 2
	;;
esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f build-fuzz/build.ninja ]; then
	if ! CC=clang meson setup build-fuzz -Dfuzz=true -Dwerror=true \
		>"$log" 2>&1; then
		report_fail fuzz-build "meson setup failed: $(tail -n 3 "$log" | tr '\n' ' ')"
		exit 1
	fi
fi
if ! ninja -C build-fuzz >"$log" 2>&1; then
	report_fail fuzz-build "$(grep -m 3 -E 'error' "$log" | tr '\n' ' ')"
	exit 1
fi
mkdir -p build-fuzz/crashes
status=0
found=0
for f in build-fuzz/tests/fuzz/fuzz_*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	found=1
	name=${f##*/fuzz_}
	out=build-fuzz/fuzz-$name.log
	mkdir -p "build-fuzz/corpus/$name"
	# Seeds, when the harness has a generator: read, never written.
	seeds=()
	if [ -f "tests/fuzz/seeds_$name.py" ] &&
		python3 "tests/fuzz/seeds_$name.py" "build-fuzz/seeds/$name"; then
		seeds=("build-fuzz/seeds/$name")
	fi
	"$f" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
		-artifact_prefix=build-fuzz/crashes/ "build-fuzz/corpus/$name" \
		${seeds[@]+"${seeds[@]}"} >"$out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		report_ok "fuzz-$name"
	else
		why=$(grep -m 1 -E 'ERROR|SUMMARY|runtime error' "$out")
		art=$(grep -m 1 -oE 'build-fuzz/crashes/[^ ]+' "$out")
		report_fail "fuzz-$name" "${why:-exit status $rc} (input ${art:-none}; log $out)"
		status=1
	fi
done
if [ $found = 0 ]; then
	report_fail fuzz-build "no fuzzer in build-fuzz/tests/fuzz (configured without -Dfuzz=true?)"
	exit 1
fi
exit $status

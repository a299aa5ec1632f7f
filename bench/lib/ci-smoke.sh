#!/usr/bin/env bash
# The benchmarks' smoke pass for CI: bench/run --smoke (one repetition,
# the smallest sizes), only to keep the benchmark code working. Its
# figures are never checked against anything: the result is "ok" when
# every figure was measured (or marked as not measurable here) and the
# JSON was written.
#
#   bench/lib/ci-smoke.sh OUTDIR     (prints "ok bench-smoke" or "FAIL ...",
#                                     and adds it to $RESULTS if set)
set -u
out=${1:?usage: ci-smoke.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/lib/report.sh"
mkdir -p "$out"
if "$here/../run" --smoke --out "$out" >"$out/smoke.log" 2>&1 &&
	[ -s "$out/bench.json" ]; then
	report_ok bench-smoke
else
	report_fail bench-smoke "$(grep '^bench: ' "$out/smoke.log" | tail -n 1)"
	tail -n 20 "$out/smoke.log"
fi

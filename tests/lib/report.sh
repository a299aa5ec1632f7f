#!/usr/bin/env bash
# Result lines shared by the test scripts: "ok NAME" or "FAIL NAME: why",
# on stdout and appended to $RESULTS when it is set. tests/run counts them.

report_ok()
{
	echo "ok $1"
	[ -z "${RESULTS:-}" ] || echo "ok $1" >>"$RESULTS"
}

report_fail()
{
	local name=$1
	shift
	echo "FAIL $name: $*"
	[ -z "${RESULTS:-}" ] || echo "FAIL $name: $*" >>"$RESULTS"
}

# expect_exit NAME WANT GOT LOG: checks an exit status, showing the log's
# tail when it differs.
expect_exit()
{
	local name=$1 want=$2 got=$3 log=$4
	if [ "$got" = "$want" ]; then
		return 0
	fi
	report_fail "$name" "exit status $got, expected $want"
	[ -f "$log" ] && tail -n 20 "$log" | sed 's/^/    | /'
	# Where the VMM's threads waited, if the hang guard stopped it.
	[ -f "$log.hang" ] && sed 's/^/    hang: /' "$log.hang"
	# A guest triple fault or hang under the nested x86 L1: what L1's
	# KVM saw (tests/lib/kvm-trace.sh, where the script has it).
	if command -v kvm_trace_fault >/dev/null && [ -f "$log" ]; then
		kvm_trace_fault "$log" "$got"
	fi
	return 1
}

# expect_grep NAME PATTERN FILE: the file must contain the pattern.
expect_grep()
{
	local name=$1 pattern=$2 file=$3
	if grep -qE -- "$pattern" "$file"; then
		return 0
	fi
	report_fail "$name" "no line matching '$pattern'"
	tail -n 20 "$file" | sed 's/^/    | /'
	return 1
}

# expect_smp NAME CPUS STATUS LOG (POSIX sh, shared with the arm64 L1).
. "$(dirname "${BASH_SOURCE[0]}")/expect-smp.sh"

# Every guest test script (tests/integration/x86_*.sh, arm64_*.sh)
# declares the results a passing run of it reports, on one or more lines
# of its own of the form
#   # expects: NAME NAME ...
# The harness (guest_script_run here where /dev/kvm is used directly,
# l1_suite in tests/lib/l1-suite.sh inside the nested L1) then fails
# each declared result the script did not report, so that a script that
# dies half-way cannot lose its checks, and reports the script's own
# end as a result, script-NAME: ok only when it exited 0 having reported
# no "ok" it does not declare.

# expected_results SCRIPT: the result names SCRIPT declares, one a line.
expected_results()
{
	sed -n 's/^# expects://p' "$1" 2>/dev/null | tr -s ' \t' '\n' |
		sed '/^$/d'
}

# script_results_check SCRIPT RESULTS STATUS [WHY]: the results SCRIPT
# owes, given the result lines it printed (the file RESULTS: "ok NAME",
# "FAIL NAME: why") and its exit status (STATUS; empty when it never
# ended, WHY then saying why). Reports a FAIL for each declared result
# missing from RESULTS, and script-NAME (ok, or FAIL with the reasons:
# no declaration, an exit status other than 0, an "ok" for a result it
# does not declare (the list is then out of date; a FAIL under a name
# of its own, such as a boot's exit status, is a failure anyway), or
# WHY).
script_results_check()
{
	local script=$1 results=$2 status=$3 why=${4:-}
	local name base want got passed n reasons=() extra=()
	base=$(basename "$script" .sh)
	name=script-$base
	want=$(expected_results "$script")
	got=$(sed -nE 's/^(ok|FAIL) ([^: ]+).*/\2/p' "$results" 2>/dev/null |
		sort -u)
	passed=$(sed -n 's/^ok \([^ ]*\).*/\1/p' "$results" 2>/dev/null | sort -u)
	for n in $want; do
		grep -qxF -- "$n" <<<"$got" && continue
		if [ -n "$status" ]; then
			report_fail "$n" "not reported: $base.sh ended (status $status) without it"
		else
			report_fail "$n" "not reported: ${why:-$base.sh did not end}"
		fi
	done
	for n in $passed; do
		grep -qxF -- "$n" <<<"$want" || extra+=("$n")
	done
	[ -n "$want" ] || {
		reasons+=("it declares no results (a '# expects: NAME ...' line)")
		extra=()
	}
	if [ -z "$status" ]; then
		reasons+=("it did not end: ${why:-unknown}")
	elif [ "$status" != 0 ]; then
		reasons+=("exit status $status")
	fi
	[ ${#extra[@]} -eq 0 ] ||
		reasons+=("it passed results its '# expects:' lines do not name: ${extra[*]}")
	if [ ${#reasons[@]} -eq 0 ]; then
		report_ok "$name"
	else
		report_fail "$name" "$(printf '%s; ' "${reasons[@]}" | sed 's/; $//')"
	fi
}

# guest_script_run WORK SCRIPT COMMAND...: runs COMMAND (which runs the
# guest test script SCRIPT), its result lines going to $RESULTS as
# usual, then script_results_check on what it reported and its exit
# status.
guest_script_run()
{
	local work=$1 script=$2 rc outer=${RESULTS:-}
	shift 2
	local mine
	mine=$work/script-$(basename "$script" .sh).results
	: >"$mine"
	RESULTS=$mine "$@"
	rc=$?
	[ -z "$outer" ] || cat "$mine" >>"$outer"
	RESULTS=$outer script_results_check "$script" "$mine" "$rc"
}

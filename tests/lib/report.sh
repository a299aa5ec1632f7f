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

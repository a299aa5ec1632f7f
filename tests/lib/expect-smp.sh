# shellcheck shell=sh
# expect_smp NAME CPUS STATUS LOG: a boot with CPUS vCPUs (exit status
# STATUS, console LOG) reached init with every one of them online. The
# guest scripts check this on boots that test something else as well,
# so that no boot is spent on it alone. POSIX sh (the arm64 L1 has only
# busybox): sourced by tests/lib/report.sh and tests/lib/guest-arm64.sh,
# which define the report_ok, report_fail and expect_grep it uses.
expect_smp()
{
	_es_want=0
	[ "$2" = 1 ] || _es_want=0-$(($2 - 1))
	if [ "$3" != 0 ]; then
		report_fail "$1" "its boot ($(basename "$4" .log)) exited $3"
	elif expect_grep "$1" \
		"init reached, CPUs online: $_es_want, count $2([^0-9]|\$)" "$4"; then
		report_ok "$1"
	fi
}

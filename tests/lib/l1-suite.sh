#!/usr/bin/env bash
# What the x86 and arm64 nested L1 runners share (tests/lib/l1.sh,
# tests/lib/l1-arm64.sh): watching an L1 QEMU, and running a list of guest
# test scripts inside L1 so that an L1 lost to the emulator costs only the
# script it was in.
#
# Under QEMU 7.2 (Debian 12's), TCG lost interrupts after STI and L1's
# CPUs spun for good (soft lockups on L1's console, or silence); QEMU 8.2
# fixed that, and tests/lib/deps.sh installs a newer one. What is here
# is the safety net for whatever else the emulator may do: neither kind
# of loss is a fault of the code under test, and neither ends by itself.

. "$(dirname "${BASH_SOURCE[0]}")/report.sh"

# Kernel arguments for both L1s. No transparent huge pages: khugepaged is
# one of the tasks seen stuck, and L1's speed does not depend on them. No
# KASLR: the instruction pointers l1_watch records are then the same
# from run to run (and match /proc/kallsyms of an L1 booted this way).
L1_KERNEL_ARGS="transparent_hugepage=never nokaslr"

# l1_monitor SOCKET COMMAND...: what L1's QEMU monitor answers to each
# command, for the record (python3: the host's tests need it anyway).
l1_monitor()
{
	local sock=$1
	shift
	[ -S "$sock" ] || return 0
	timeout 20 python3 - "$sock" "$@" <<-'PY' 2>&1
		import socket, sys, time
		s = socket.socket(socket.AF_UNIX)
		s.settimeout(5)
		s.connect(sys.argv[1])
		def read():
		    out = b""
		    try:
		        while not out.endswith(b"(qemu) "):
		            out += s.recv(65536)
		    except socket.timeout:
		        pass
		    return out.decode(errors="replace")
		read()
		for cmd in sys.argv[2:]:
		    s.sendall(cmd.encode() + b"\n")
		    print("(qemu) " + cmd)
		    print(read().replace("\r", "").rsplit("(qemu) ", 1)[0].split("\n", 1)[-1])
	PY
}

# l1_watch PID CONSOLE [MONITOR [KERNEL_LOG]]: waits for the L1 QEMU of
# PID (started under a timeout). Stops it when a CPU has been stuck for
# minutes (soft lockups on CONSOLE or KERNEL_LOG, where L1's kernel
# writes apart from the script), or when CONSOLE has not grown for
# SCORPI_L1_SILENCE seconds (default 900: longer than a test's own hang
# guard, 600 s, and the checks around it, so that a guest that hangs
# fails its own test and L1 goes on to the next); what L1's CPUs,
# interrupt controllers and clock (jiffies, read twice) were doing then,
# from the QEMU monitor at MONITOR, goes to CONSOLE.where. Returns QEMU's exit status, or 124 when it stopped it.
l1_watch()
{
	local qemu=$1 console=$2 monitor=${3:-} kernel_log=${4:-}
	local size last_size=-1 quiet=0
	local silence=${SCORPI_L1_SILENCE:-900}
	while kill -0 "$qemu" 2>/dev/null; do
		if grep -qsE 'stuck for (1[2-9][0-9]|[2-9][0-9]{2}|[0-9]{4,})s' \
			"$console" $kernel_log; then
			echo "l1: locked up (see the soft lockups above); stopping it" >&2
			break
		fi
		size=$(stat -c %s "$console" 2>/dev/null || echo 0)
		if [ "$size" = "$last_size" ]; then
			quiet=$((quiet + 5))
			if [ "$quiet" -ge "$silence" ]; then
				echo "l1: its console has been silent for $quiet s; stopping it" >&2
				break
			fi
		else
			quiet=0 last_size=$size
		fi
		sleep 5
	done
	if kill -0 "$qemu" 2>/dev/null; then
		[ -z "$monitor" ] || {
			echo "l1: where its CPUs were when it was stopped:"
			local i
			# Where L1's kernel keeps jiffies, as its init said.
			local jiffies
			jiffies=$(sed -n 's/^l1: jiffies_64 at \([0-9a-f]*\).*/0x\1/p' \
				$kernel_log /dev/null 2>/dev/null | head -n 1)
			for i in 1 2 3; do
				l1_monitor "$monitor" "info cpus" "info registers -a" \
					"x/8i \$pc" ${jiffies:+"x/1gx $jiffies"}
				sleep 1
			done
			l1_monitor "$monitor" "info pic" "info lapic" \
				"info irq"
			[ -z "$kernel_log" ] || {
				echo "l1: the kernel's log (its tail):"
				tail -n 40 "$kernel_log"
			}
		} >"$console.where" 2>&1
		# Which instruction each CPU was at, on the run's own output.
		grep -E '^(\* )?CPU #|^RIP=|^ *PC=|^[0-9a-f]{16}: 0x' "$console.where" | head -n 30 >&2
		pkill -P "$qemu" 2>/dev/null
		kill "$qemu" 2>/dev/null
		wait "$qemu"
		return 124
	fi
	wait "$qemu"
}

# l1_lockups CONSOLE: a summary of the soft lockups on an L1 console: how
# many, and which tasks were stuck.
l1_lockups()
{
	local n tasks
	n=$(grep -c 'soft lockup' "$1" 2>/dev/null)
	[ "${n:-0}" -gt 0 ] || { echo "no soft lockups"; return; }
	tasks=$(grep -oE 'soft lockup - CPU#[0-9]+ stuck for [0-9]+s! \[[^]]*\]' "$1" |
		sed -E 's/.*(CPU#[0-9]+).*\[(.*)\]/\2 on \1/' | sort -u |
		tr '\n' ',' | sed 's/,$//; s/,/, /g')
	echo "$n soft lockups ($tasks)"
}

# l1_suite WORK RUNNER PRELUDE COMMAND SCRIPT...
#   Runs the guest test scripts in one L1 booted by RUNNER (l1_run or
#   l1_arm64_run: RUNNER OUTDIR INNER-SCRIPT), each as COMMAND with $t
#   set to the script, after the shell lines in PRELUDE. Each script's
#   result lines ("ok ..." and "FAIL ...") come back on L1's console
#   between markers. When L1 is lost part-way (status 124 or 125), the
#   scripts that finished keep their results and a new L1 runs the rest,
#   while the overall budget lasts (SCORPI_L1_BUDGET, default 2400 s); a
#   script that loses L1 twice is reported as failed. Each script's exit
#   status comes back too, and script_results_check (tests/lib/report.sh)
#   fails each result the script declares ("# expects:") but did not
#   report, and reports the script's end as script-NAME, whether it
#   finished or not. Result lines go to WORK/l1-results (and $RESULTS
#   where set), the failures' log tails are printed with "l1: " in front,
#   and the return status is L1's last. Failures of L1 itself are named
#   $L1_SUITE_NAME (default nested-l1).
l1_suite()
{
	local work=$1 runner=$2 prelude=$3 command=$4
	shift 4
	local pending=("$@") t attempt=0 rc=0 now budget_end
	local name=${L1_SUITE_NAME:-nested-l1}
	local -A lost=()
	budget_end=$(($(date +%s) + ${SCORPI_L1_BUDGET:-2400}))
	: >"$work/l1-results"
	while [ ${#pending[@]} -gt 0 ]; do
		attempt=$((attempt + 1))
		l1_suite_inner "$prelude" "$command" "${pending[@]}" \
			>"$work/l1-inner.sh"
		now=$(date +%s)
		SCORPI_L1_TIMEOUT=$((budget_end - now)) \
			"$runner" "$work/l1" "$work/l1-inner.sh" \
			>"$work/l1-console.log" 2>&1
		rc=$?
		cp "$work/l1-console.log" "$work/l1-console-attempt$attempt.log"
		# What the next L1 would overwrite: QEMU's log of L1's CPU
		# resets, and where its CPUs were if l1_watch stopped it.
		for f in l1-qemu.log console.log.where; do
			[ ! -f "$work/l1/$f" ] ||
				mv "$work/l1/$f" "$work/l1/${f%%.*}-attempt$attempt.${f#*.}"
		done
		tr -d '\r' <"$work/l1-console.log" >"$work/l1-console.txt"
		local left=()
		for t in "${pending[@]}"; do
			if grep -qxF "=== done $t" "$work/l1-console.txt"; then
				l1_suite_take "$work" "$t" \
					"no status line for it on L1's console"
				grep -F "=== took $t " "$work/l1-console.txt" |
					sed 's/^=== took /l1: /; s/$/ s/'
			else
				left+=("$t")
			fi
		done
		pending=("${left[@]}")
		[ ${#pending[@]} -gt 0 ] || break
		# L1 ran its script to the end, yet a script is missing: not the
		# emulator's doing, so it is not run again.
		[ "$rc" -eq 124 ] || [ "$rc" -eq 125 ] || break
		t=${pending[0]}
		lost[$t]=$((${lost[$t]:-0} + 1))
		echo "(the nested L1 was lost during $t, status $rc: $(l1_lockups "$work/l1-console.txt"))"
		if [ "${lost[$t]}" -ge 2 ]; then
			# Twice: it keeps what it got through, and fails.
			l1_suite_take "$work" "$t" "L1 was lost twice while it ran"
			echo "FAIL $name-$(basename "$t" .sh): L1 was lost twice while it ran" \
				>>"$work/l1-results"
			pending=("${pending[@]:1}")
			[ ${#pending[@]} -gt 0 ] || break
		fi
		now=$(date +%s)
		[ $((budget_end - now)) -ge 300 ] || {
			echo "(no time left in SCORPI_L1_BUDGET for another L1)"
			break
		}
		echo "(running what is left in a new L1: ${pending[*]})"
	done
	if [ ${#pending[@]} -gt 0 ]; then
		for t in "${pending[@]}"; do
			l1_suite_take "$work" "$t" \
				"L1 ended (status $rc) before it finished"
		done
		echo "FAIL $name: L1 ended (status $rc) before these finished: ${pending[*]}" \
			>>"$work/l1-results"
	fi
	grep -q "^FAIL $name" "$work/l1-results" && [ "$rc" -eq 0 ] && rc=1
	cat "$work/l1-results"
	[ -z "${RESULTS:-}" ] || cat "$work/l1-results" >>"$RESULTS"
	# What the failing tests showed (their logs' tails), for the record.
	cat "$work"/l1-console-attempt*.log | tr -d '\r' |
		grep -E '^(FAIL |note |    \| )' | sed 's/^/l1: /'
	if [ "$rc" -ne 0 ]; then
		echo "l1: the last L1 console's tail:"
		tail -n 30 "$work/l1-console.txt"
	fi
	return "$rc"
}

# l1_suite_inner PRELUDE COMMAND SCRIPT...: the script L1 runs, in POSIX
# sh (the arm64 L1 has only busybox). COMMAND runs the script $t with
# its guest logs in $logdir. Logs stay in L1's tmpfs (many small writes
# through 9p are slow under TCG) and are copied out at the end, best
# effort: 9p writes under TCG have been seen to hang, so nothing waits
# for them.
#
# A script that failed where one of its guests triple-faulted is run
# once more, whole, and its second run's results count: under QEMU-TCG's
# nested SVM, guests triple-fault now and then however they are run
# (docs/testing.md), and a script whose guests talk to each other or to
# clients cannot boot one of them again by itself. The first run's
# results and failures stay on the console, after a "note" line that
# says so; a fault in the second run fails it.
l1_suite_inner()
{
	local prelude=$1 command=$2
	shift 2
	printf '%s\n' "$prelude"
	cat <<-INNER
		for t in $*; do
			start=\$(date +%s)
			name=\$(basename "\$t" .sh)
			for run in 1 2; do
				echo "=== begin \$t"
				logdir=\$TMPDIR/guest-logs/\$name-run\$run
				mkdir -p "\$logdir"
				export RESULTS=\$logdir/results
				: >"\$RESULTS"
				$command
				echo "=== status \$t \$?"
				[ "\$run" = 1 ] || break
				grep -q '^FAIL ' "\$RESULTS" || break
				fault=\$(grep -l 'guest triple fault on vCPU' "\$logdir"/*.log 2>/dev/null | head -n 1)
				[ -n "\$fault" ] || break
				echo "note script-\$name: a guest triple-faulted under the nested L1 (\$(basename "\$fault")) and the script failed; running it once more"
			done
			echo "=== took \$t \$((\$(date +%s) - start))"
			echo "=== done \$t"
		done
		timeout 30 cp -r "\$TMPDIR/guest-logs" "\$SCORPI_OUT/" &
		sleep 10
	INNER
}

# l1_suite_take WORK SCRIPT WHY: appends to WORK/l1-results the result
# lines SCRIPT printed in the last L1 (WORK/l1-console.txt), then what
# script_results_check makes of them and of its exit status (WHY says
# why it has none).
l1_suite_take()
{
	local work=$1 t=$2 why=$3 mine status
	mine=$work/script-$(basename "$t" .sh).results
	l1_suite_results "$work/l1-console.txt" "$t" >"$mine"
	cat "$mine" >>"$work/l1-results"
	status=$(l1_suite_status "$work/l1-console.txt" "$t")
	RESULTS='' script_results_check "$t" "$mine" "$status" "$why" \
		>>"$work/l1-results"
}

# l1_suite_status CONSOLE SCRIPT: SCRIPT's exit status in the last L1
# that began it, or nothing if it did not end there.
l1_suite_status()
{
	awk -v begin="=== begin $2" -v t="$2" '
		$0 == begin { s = ""; next }
		$1 == "===" && $2 == "status" && $3 == t && NF == 4 { s = $4 }
		END { print s }' "$1"
}

# l1_suite_results CONSOLE SCRIPT: the result lines SCRIPT printed in the
# last L1 that began it.
l1_suite_results()
{
	awk -v begin="=== begin $2" -v done_="=== done $2" '
		$0 == begin { n = 0; delete lines; inside = 1; next }
		$0 == done_ { inside = 0; next }
		inside && /^(ok|FAIL) / { lines[n++] = $0 }
		END { for (i = 0; i < n; i++) print lines[i] }' "$1"
}

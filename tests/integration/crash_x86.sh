#!/usr/bin/env bash
# No acknowledged write lost when the VMM crashes: the guest writes
# numbered, checksummed records to a raw image and prints each batch once
# its flush has completed (tests/guest/blk_journal.c); the host kills the
# VMM with SIGKILL at a random moment, then checks that every batch the
# guest printed is on the image, intact (tests/tools/journal_check.py).
# SCORPI_CRASH_KILLS kills (default 20): half on aio=io_uring, half on
# aio=threads (each on its own image, each boot a new generation of
# records on it). The moments come from a seed,
# printed as a note: SCORPI_CRASH_SEED=S replays a run.
#
# usage: crash_x86.sh SCORPI KERNEL INITRD LOGDIR
#
# Not one of the x86_*.sh scripts tests/run runs: it is run by hand,
# tests/run-guest tests/integration/crash_x86.sh (where /dev/kvm is
# missing, in the nested L1, which the kills have brought down: see
# docs/testing.md).
#
# expects: crash-io_uring crash-threads
set -u
. "$(dirname "$0")/../lib/guest.sh"
check=$(dirname "$0")/../tools/journal_check.py

kills=${SCORPI_CRASH_KILLS:-20}
seed=${SCORPI_CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
RANDOM=$seed
echo "note crash: seed $seed, $kills kills (SCORPI_CRASH_SEED=$seed replays them)"

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

# The moments, drawn here in one sequence so that the seed fixes them.
declare -a delays=()
for gen in $(seq 1 "$kills"); do
	delays[$gen]=$((RANDOM % 2000))
done

# lane AIO FIRST: the boots FIRST, FIRST+2, ... up to $kills, on an image
# of the lane's own; one line per boot to $tmp/AIO.results: "ok", "lost"
# or "fail", then what happened.
lane()
{
	local aio=$1 gen=$2 image=$tmp/$1.img results=$tmp/$1.results
	local name log delay vmm last out tries
	truncate -s 64M "$image"
	for ((; gen <= kills; gen += 2)); do
		name=crash-$gen delay=${delays[$gen]}
		log=$logs/$name.log
		for tries in 1 2; do
			EXTRA_CMDLINE="scorpi.note=$gen" start "$name" -c 1 \
				-m 192M -s 3,virtio-blk,"$image",aio=$aio -- journal
			# The first acknowledged batch, then the moment.
			for _ in $(seq 1 "$((limit * 10))"); do
				grep -q "journal: flushed $gen " "$log" && break
				kill -0 "$vm_pid" 2>/dev/null || break
				sleep 0.1
			done
			sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
			vmm=$(pgrep -P "$vm_pid" -x scorpi)
			[ -n "$vmm" ] && break
			wait "$vm_pid" 2>/dev/null
			# Ended by itself: the emulator's fault under the
			# nested L1 boots once more (tests/lib/guest.sh).
			nested_triple_fault "$name" 3 "$log" || break
		done
		if [ -z "$vmm" ]; then
			echo "fail boot $gen ($aio): the VMM had ended before the kill: $(tr -d '\r' <"$log" | grep -m1 'scorpi:')" >>"$results"
			tail -n 5 "$log" | sed 's/^/    | /'
			continue
		fi
		kill -KILL "$vmm"
		wait "$vm_pid" 2>/dev/null
		last=$(tr -d '\r' <"$log" |
			sed -n "s/^journal: flushed $gen \([0-9]*\)$/\1/p" | tail -n 1)
		if [ -z "$last" ]; then
			echo "fail boot $gen ($aio): no batch was flushed before the kill" >>"$results"
			tail -n 5 "$log" | sed 's/^/    | /'
			continue
		fi
		if out=$(python3 "$check" "$image" "$gen" "$last"); then
			echo "ok boot $gen ($aio), killed $delay ms after its first flush: $out" >>"$results"
		else
			echo "lost boot $gen ($aio), killed $delay ms after its first flush: $(echo "$out" | tr '\n' ' ')" >>"$results"
		fi
	done
}

# One after the other: two VMs at once, killed, have brought the nested
# L1 down (QEMU-TCG).
lane io_uring 1
lane threads 2
for aio in io_uring threads; do
	touch "$tmp/$aio.results"
	cat "$tmp/$aio.results" >>"$logs/crash.log"
	runs=$(grep -c . "$tmp/$aio.results")
	bad=$(grep -vc '^ok ' "$tmp/$aio.results")
	if [ "$runs" = 0 ]; then
		report_fail "crash-$aio" "no kill ran (SCORPI_CRASH_KILLS=$kills)"
	elif [ "$bad" = 0 ]; then
		report_ok "crash-$aio"
	else
		report_fail "crash-$aio" "$bad of $runs kills went wrong: $(grep -v '^ok ' "$tmp/$aio.results" | head -n 1)"
	fi
done

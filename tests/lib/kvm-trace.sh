#!/bin/sh
# What the nested x86 L1's KVM did, for the guest boots that end in a
# triple fault there (nested_triple_fault in tests/lib/guest.sh): AMD KVM
# resets a vCPU on a shutdown, so Scorpi's register dump shows reset
# values, but L1's kernel can record each exit (with the guest's RIP and
# the exit's details), each CR and MSR write, each exception KVM injects
# and each IPI, per CPU, in ring buffers that keep the latest. POSIX sh.

KVM_TRACE=/sys/kernel/tracing

# kvm_trace_start: records from now on, where SCORPI_L1_KVM_TRACE=1
# (nothing where tracefs is missing). Off by default: the CI runs that
# traced every exit saw more of the emulator's faults than those before
# (not measured side by side; docs/testing.md).
kvm_trace_start()
{
	[ "${SCORPI_L1_KVM_TRACE:-0}" = 1 ] || return 0
	[ -d "$KVM_TRACE/events/kvm" ] ||
		mount -t tracefs nodev "$KVM_TRACE" 2>/dev/null || return 0
	[ -d "$KVM_TRACE/events/kvm" ] || return 0
	# KiB per L1 CPU: some hundred thousand events, the last seconds of
	# a boot.
	echo 16384 >"$KVM_TRACE/buffer_size_kb"
	# The names of threads that have ended (the VMM's, once it exited
	# on the fault) are looked up in this table when the trace is read.
	echo 8192 >"$KVM_TRACE/saved_cmdlines_size"
	# Not kvm_emulate_insn or kvm_apic_accept_irq: as frequent as the
	# exits themselves, and not needed to read one.
	for e in kvm_exit kvm_cr kvm_msr kvm_inj_exception kvm_apic_ipi \
		kvm_unmap_hva_range; do
		echo 1 >"$KVM_TRACE/events/kvm/$e/enable" 2>/dev/null
	done
	# L1's own memory management moving pages under a running guest
	# (its KVM then unmaps them from the guest: kvm_unmap_hva_range).
	echo 1 >"$KVM_TRACE/events/migrate/mm_migrate_pages/enable" 2>/dev/null
	echo 1 >"$KVM_TRACE/events/compaction/mm_compaction_migratepages/enable" \
		2>/dev/null
	echo 1 >"$KVM_TRACE/tracing_on"
}

# kvm_trace_vcpu VCPU LINES: the last LINES events of the Scorpi vCPU
# thread that runs vCPU VCPU (threads are named vcpuN), oldest first.
kvm_trace_vcpu()
{
	[ -r "$KVM_TRACE/trace" ] || return 0
	grep -E "^ *vcpu$1-[0-9]+ " "$KVM_TRACE/trace" | tail -n "$2"
}

# kvm_trace_save FILE: the latest 20000 events, to FILE.
kvm_trace_save()
{
	[ -r "$KVM_TRACE/trace" ] && tail -n 20000 "$KVM_TRACE/trace" >"$1"
}

# kvm_trace_fault LOG STATUS: where Scorpi's LOG says a guest
# triple-faulted, the faulting vCPU's last 60 events, and where the boot
# was stopped by its hang guard (STATUS 124), each vCPU's last 30, for the
# run's output; the latest 20000 to LOG.kvm-trace.
kvm_trace_fault()
{
	local vcpu
	# Only where kvm_trace_start turned it on.
	[ "$(cat "$KVM_TRACE/events/kvm/kvm_exit/enable" 2>/dev/null)" = 1 ] ||
		return 0
	if vcpu=$(grep -m1 -o 'triple fault on vCPU [0-9]*' "$1"); then
		kvm_trace_save "$1.kvm-trace"
		echo "    | L1's KVM, the last events of vCPU ${vcpu##* }'s thread:"
		kvm_trace_vcpu "${vcpu##* }" 60 | sed 's/^/    | /'
		echo "    | L1's page moves and KVM unmaps, the last ones:"
		grep -E 'mm_migrate_pages|mm_compaction_migratepages|kvm_unmap_hva_range' \
			"$KVM_TRACE/trace" | tail -n 12 | sed 's/^/    | /'
		grep -E '^(compact_|pgmigrate_)' /proc/vmstat | tr '\n' ' ' |
			sed 's/^/    | L1 vmstat: /; s/$/\n/'
	elif [ "${2:-}" = 124 ]; then
		kvm_trace_save "$1.kvm-trace"
		for vcpu in 0 1 2 3; do
			kvm_trace_vcpu "$vcpu" 30
		done | sed 's/^/    | /'
	fi
}

#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Checks the ACPI tables with ACPICA's iasl, an implementation independent of
# ours: test_acpi writes each table of its 4-CPU, 256 MiB build as
# SIGNATURE.dat; iasl must disassemble every one without an error, warning or
# unknown-table complaint, the disassembled data tables must compile back to
# the same bytes, and the disassembled DSDT must compile cleanly.
#
# iasl cannot load an RSDP from a file, so the RSDP is compiled instead from
# its fields as read back, and must come out byte for byte as ours.
#
# Usage: acpi_iasl.sh path/to/test_acpi
set -u

test_acpi=${1:?usage: acpi_iasl.sh path/to/test_acpi}

if ! command -v iasl >/dev/null; then
	echo "acpi-iasl: iasl not found (install acpica-tools)" >&2
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scorpi-iasl.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL acpi-iasl: $1" >&2
	if [ -n "${2:-}" ] && [ -f "$2" ]; then
		sed 's/^/    /' "$2" >&2
	fi
	exit 1
}

# Messages that make a table unacceptable, in iasl's output or its .dsl.
complaint='error|warning|unknown|incorrect|invalid'

mkdir "$tmp/out" "$tmp/iasl"
SCORPI_ACPI_OUT="$tmp/out" "$test_acpi" >"$tmp/test_acpi.log" 2>&1 ||
	fail "test_acpi failed" "$tmp/test_acpi.log"

for sig in RSDP XSDT FACP FACS DSDT APIC MCFG; do
	[ -s "$tmp/out/$sig.dat" ] || fail "test_acpi wrote no $sig.dat"
done

# Every table but the RSDP: disassemble, check, and compile back.
for dat in "$tmp/out"/*.dat; do
	sig=$(basename "$dat" .dat)
	[ "$sig" = RSDP ] && continue
	cp "$dat" "$tmp/iasl/$sig.dat"
	log="$tmp/iasl/$sig.log"
	(cd "$tmp/iasl" && iasl -d "$sig.dat") >"$log" 2>&1 ||
		fail "$sig: iasl -d exited with status $?" "$log"
	[ -s "$tmp/iasl/$sig.dsl" ] || fail "$sig: iasl -d wrote no $sig.dsl" "$log"
	if grep -Eiq "$complaint" "$log"; then
		fail "$sig: iasl -d complained" "$log"
	fi
	if grep -Eiq "$complaint" "$tmp/iasl/$sig.dsl"; then
		grep -Ei "$complaint" "$tmp/iasl/$sig.dsl" >>"$log"
		fail "$sig: the disassembly has complaints" "$log"
	fi

	log="$tmp/iasl/$sig.recompile.log"
	(cd "$tmp/iasl" && iasl -p "re-$sig" "$sig.dsl") >"$log" 2>&1 ||
		fail "$sig: recompiling the disassembly failed" "$log"
	# The summary counts every message: "... 0 Errors, 0 Warnings, ...".
	grep -q "successful.* 0 Errors, 0 Warnings" "$log" ||
		fail "$sig: recompiling the disassembly complained" "$log"
	[ -s "$tmp/iasl/re-$sig.aml" ] || fail "$sig: no recompiled table" "$log"

	# The DSDT's AML may legitimately come back shorter (iasl picks
	# smaller encodings); a data table must come back the same, but for
	# the checksum and the creator ID and revision iasl puts in.
	if [ "$sig" != DSDT ]; then
		re="$tmp/iasl/re-$sig.aml"
		diffs=$(cmp -l "$dat" "$re" 2>&1 |
			awk '$1 != 10 && ($1 < 29 || $1 > 36)')
		if [ -n "$diffs" ] ||
			[ "$(stat -c %s "$dat")" != "$(stat -c %s "$re")" ]; then
			echo "$diffs" >>"$log"
			fail "$sig: recompiled disassembly differs from the table" "$log"
		fi
	fi
done

# The RSDP: compile it from its fields, compare with ours.
rsdp="$tmp/out/RSDP.dat"
[ "$(stat -c %s "$rsdp")" = 36 ] || fail "RSDP.dat is not 36 bytes"
[ "$(head -c 8 "$rsdp")" = "RSD PTR " ] ||
	fail "RSDP: no \"RSD PTR \" signature"
oem=$(dd if="$rsdp" bs=1 skip=9 count=6 2>/dev/null)
xsdt=$(od -An -t x8 -j 24 -N 8 "$rsdp" | tr -d ' ')
cat >"$tmp/iasl/rsdp.asl" <<EOF
[0008]                          Signature : "RSD PTR "
[0001]                           Checksum : 00
[0006]                             Oem ID : "$oem"
[0001]                           Revision : 02
[0004]                       RSDT Address : 00000000
[0004]                             Length : 00000024
[0008]                       XSDT Address : $xsdt
[0001]                  Extended Checksum : 00
[0003]                           Reserved : 000000
EOF
log="$tmp/iasl/rsdp.log"
(cd "$tmp/iasl" && iasl -p rsdp-ref rsdp.asl) >"$log" 2>&1 ||
	fail "RSDP: iasl could not compile the reference RSDP" "$log"
if ! cmp "$rsdp" "$tmp/iasl/rsdp-ref.aml" >>"$log" 2>&1; then
	{
		echo "ours:"
		od -An -tx1 "$rsdp"
		echo "iasl's:"
		od -An -tx1 "$tmp/iasl/rsdp-ref.aml"
	} >>"$log"
	fail "RSDP differs from the one iasl builds from its fields" "$log"
fi

echo "ok acpi-iasl"

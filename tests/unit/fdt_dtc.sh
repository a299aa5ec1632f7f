#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Checks the arm64 device tree with dtc, an implementation independent of
# ours: test_fdt writes the blobs of its builds (2 CPUs with an ITS and an
# initrd; 1 CPU without an ITS; 4 CPUs with Aff3 in use), and dtc must
# decompile each one without a single warning (its checks: unit addresses
# against reg, interrupt and gpio specifiers against their providers'
# cell counts, the PCI bridge's properties, ...).
#
# Usage: fdt_dtc.sh path/to/test_fdt
set -u

test_fdt=${1:?usage: fdt_dtc.sh path/to/test_fdt}

if ! command -v dtc >/dev/null; then
	echo "fdt-dtc: dtc not found (install device-tree-compiler)" >&2
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scorpi-dtc.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL fdt-dtc: $1" >&2
	if [ -n "${2:-}" ] && [ -f "$2" ]; then
		sed 's/^/    /' "$2" >&2
	fi
	exit 1
}

blobs="virt virt-noits virt-aff3"
args=()
for b in $blobs; do
	args+=("$tmp/$b.dtb")
done
"$test_fdt" "${args[@]}" >"$tmp/test_fdt.log" 2>&1 ||
	fail "test_fdt failed" "$tmp/test_fdt.log"

for b in $blobs; do
	dtb="$tmp/$b.dtb"
	[ -s "$dtb" ] || fail "test_fdt wrote no $b.dtb"
	log="$tmp/$b.log"
	dtc -I dtb -O dts -o "$tmp/$b.dts" "$dtb" 2>"$log" ||
		fail "$b: dtc exited with status $?" "$log"
	[ -s "$log" ] && fail "$b: dtc warned" "$log"
	grep -q 'compatible = "linux,dummy-virt"' "$tmp/$b.dts" ||
		fail "$b: dtc's source has no root compatible" "$tmp/$b.dts"
done

echo "ok fdt-dtc"

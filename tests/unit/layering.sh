#!/usr/bin/env bash
# The layers of src/ (docs/architecture.md): each file may include only
# the headers of its own layer and of the layers below it. Every
# #include "..." in src/ is resolved to a file and checked against the
# table below; prints each include that breaks a rule and exits
# non-zero if there is one.
#
# usage: layering.sh SOURCE-ROOT
set -eu
root=$(cd "${1:-.}" && pwd)
cd "$root"

# What each part of src/ may include, besides itself: folders (ending
# in /) or single files, relative to the source root.
allowed() { # PART
	case $1 in
	base) echo "" ;; # the floor: nothing above it
	hv) echo "src/base/" ;;
	block | net | acpi | smbios) echo "src/base/" ;;
	pci) echo "src/base/ src/hv/" ;; # MSI-X routes and irqfds
	devices) echo "src/base/ src/pci/" ;;
	# Devices see the VM through vm_device.h, never vm.h.
	virtio) echo "src/base/ src/block/ src/net/ src/pci/
		src/core/device.h src/core/vm_device.h" ;;
	# The platforms are part of the VM.
	# The firmware's variable store is an image: src/block/ locks it.
	x86) echo "src/base/ src/hv/ src/acpi/ src/block/ src/smbios/
		src/pci/ src/devices/ src/core/" ;;
	arm64) echo "src/base/ src/hv/ src/block/ src/pci/ src/devices/
		src/core/" ;;
	core) echo "src/base/ src/hv/ src/pci/ src/devices/ include/" ;;
	lib | main.c) echo "src/ include/" ;;
	scorpictl.c) echo "src/base/json.h" ;;
	*) echo "?" ;;
	esac
}

fail=0
while IFS= read -r -d '' f; do
	rel=${f#src/}
	part=${rel%%/*}
	rules=$(allowed "$part")
	if [ "$rules" = "?" ]; then
		echo "$f: src/$part is in no layer (tests/unit/layering.sh)" >&2
		fail=1
		continue
	fi
	# The lines that include a header by a quoted path.
	while IFS= read -r inc; do
		[ -n "$inc" ] || continue
		target=$(realpath -m --relative-to="$root" "$(dirname "$f")/$inc")
		if [ ! -e "$target" ]; then
			target=$(realpath -m --relative-to="$root" "src/$inc")
		fi
		if [ ! -e "$target" ]; then
			echo "$f: #include \"$inc\" names no file" >&2
			fail=1
			continue
		fi
		ok=0
		case $target in
		src/"$part"/* | src/"$part") ok=1 ;;
		esac
		for r in $rules; do
			case $r in
			*/) case $target in "$r"*) ok=1 ;; esac ;;
			*) [ "$target" = "$r" ] && ok=1 ;;
			esac
		done
		if [ $ok = 0 ]; then
			echo "$f: includes $target, above its layer" >&2
			fail=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find src -name '*.[ch]' -print0 | sort -z)
exit $fail

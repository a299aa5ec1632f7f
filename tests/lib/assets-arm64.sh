#!/usr/bin/env bash
# Guest material for the arm64 tests: Debian's arm64 kernel and busybox,
# fetched with apt-get download (arm64 as a dpkg foreign architecture),
# unpacked into the same cache as the amd64 material, plus the initramfs
# images built from them. Also what the arm64 cross build and the arm64
# tests need installed on the (amd64) host.
#
# Source this file, then call deps_arm64_install and assets_arm64_prepare;
# the latter sets:
#   ASSET_ARM64_KERNEL      the raw arm64 Image (Scorpi's loader takes a
#                           raw Image: Debian 12's vmlinuz is one; a
#                           gzip-compressed one is decompressed)
#   ASSET_ARM64_MODULES     its /lib/modules/<version> directory
#   ASSET_ARM64_BUSYBOX     a static arm64 busybox
#   ASSET_ARM64_L1_INITRD   initramfs for the nested arm64 L1 host (9p;
#                           KVM is built into Debian's arm64 kernel)
#   ASSET_ARM64_L2_INITRD   initramfs for the guest Scorpi boots
#                           (tests/guest/init)
#
# Names in the cache carry "arm64" so that they never collide with the
# amd64 ones (root-arm64-PKG, arm64-*.cpio.gz, arm64-kernel-pkg).

# Helpers shared with the amd64 material (tests/lib/assets.sh)
# (assets_disk_net_modules: the same module paths in both kernels).
. "$(dirname "${BASH_SOURCE[0]}")/assets.sh"

SCORPI_CACHE=${SCORPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scorpi}
ASSETS_ARM64_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

assets_arm64_die()
{
	echo "assets-arm64: $*" >&2
	exit 1
}

# arm64 as a dpkg foreign architecture: added (and the package lists
# updated) only when it is not there yet.
assets_arm64_foreign()
{
	dpkg --print-foreign-architectures | grep -qx arm64 && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "assets-arm64: arm64 is not a dpkg architecture here (as root: dpkg --add-architecture arm64 && apt-get update)" >&2
		return 1
	fi
	echo "assets-arm64: adding arm64 as a dpkg foreign architecture" >&2
	dpkg --add-architecture arm64 &&
		apt-get update -qq >&2
}

# What the arm64 cross build and the arm64 tests need on the host:
# qemu-system-aarch64 for L1 (and the plain TCG boot check), the cross
# compiler, and the arm64 multiarch libraries that build-arm64/scorpi
# links against (L1 runs it from the host's root through the arm64
# loader). busybox-static:arm64 is only downloaded (assets_arm64_prepare):
# installing it would replace the host's busybox.
deps_arm64_install()
{
	# libfdt1:arm64, not libfdt-dev:arm64: libfdt-dev is not Multi-Arch
	# in Debian 12, so its arm64 package removes the amd64 one that the
	# native build needs (tests/lib/deps.sh) and the other way round
	# ("libfdt-dev : Conflicts: libfdt-dev:arm64"). The headers are the
	# same; the cross build links libfdt.so.1 by name (meson.build).
	local want=(qemu-system-arm gcc-aarch64-linux-gnu meson ninja-build
		pkg-config cpio file libc6:arm64 libc6-dev:arm64
		libslirp-dev:arm64 libglib2.0-dev:arm64 liburing-dev:arm64
		libyaml-dev:arm64 libjansson-dev:arm64 libseccomp-dev:arm64
		uuid-dev:arm64 libfdt1:arm64)
	local missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps-arm64: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
		return 1
	fi
	assets_arm64_foreign || return 1
	echo "deps-arm64: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
		# The lists may be old (or never fetched): once more after an
		# update.
		apt-get update -qq >&2 &&
			apt-get install -y -qq --no-install-recommends \
				"${missing[@]}" >&2
	}
}

# Download one arm64 Debian package into the cache (once) and unpack it
# to $SCORPI_CACHE/root-arm64-PKG.
assets_arm64_fetch_deb()
{
	local pkg=$1 dir=$SCORPI_CACHE/debs
	mkdir -p "$dir"
	if ! ls "$dir/${pkg}"_*_arm64.deb >/dev/null 2>&1; then
		(cd "$dir" && apt-get download "$pkg:arm64" 2>&1 |
			grep -v 'unsandboxed') >&2 ||
			true
		ls "$dir/${pkg}"_*_arm64.deb >/dev/null 2>&1 ||
			assets_arm64_die "cannot download Debian package $pkg:arm64 (is apt reachable? is arm64 a dpkg architecture?)"
	fi
	local root=$SCORPI_CACHE/root-arm64-$pkg
	if [ ! -d "$root" ]; then
		rm -rf "$root.tmp"
		dpkg-deb -x "$(ls "$dir/${pkg}"_*_arm64.deb | head -n 1)" \
			"$root.tmp" || assets_arm64_die "cannot unpack $pkg:arm64"
		mv "$root.tmp" "$root"
	fi
	echo "$root"
}

# The versioned kernel package that linux-image-arm64:arm64 points at.
assets_arm64_kernel_pkg()
{
	if [ -f "$SCORPI_CACHE/arm64-kernel-pkg" ]; then
		cat "$SCORPI_CACHE/arm64-kernel-pkg"
		return
	fi
	local pkg
	pkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.[^ :]*-arm64\)\(:arm64\)\{0,1\}$/\1/p' |
		head -n 1)
	[ -n "$pkg" ] ||
		assets_arm64_die "apt knows no linux-image-arm64:arm64 6.1 (dpkg --add-architecture arm64 && apt-get update)"
	mkdir -p "$SCORPI_CACHE"
	echo "$pkg" >"$SCORPI_CACHE/arm64-kernel-pkg"
	echo "$pkg"
}

# Copy the modules named on stdin (paths relative to the modules dir) and
# write the load order to $root/etc/modules.order. A module the kernel
# has built in (=y) is not listed by the callers; one that is missing
# stops the build.
assets_arm64_add_modules()
{
	local root=$1 rel
	mkdir -p "$root/lib/modules" "$root/etc"
	: >"$root/etc/modules.order"
	while read -r rel; do
		[ -n "$rel" ] || continue
		cp "$ASSET_ARM64_MODULES/kernel/$rel" "$root/lib/modules/" ||
			assets_arm64_die "module $rel missing from the arm64 kernel package"
		echo "/lib/modules/$(basename "$rel")" >>"$root/etc/modules.order"
	done
}

# Modules Debian's arm64 6.1 kernel needs for virtio over PCI, in load
# order (the modules' depends=): virtio (with virtio_ring) and the PCI
# host (pci-host-generic, ECAM) are built in there (=y); the PCI
# transport is not (=m).
assets_arm64_virtio_modules()
{
	cat <<-'EOF'
		drivers/virtio/virtio_pci_modern_dev.ko
		drivers/virtio/virtio_pci_legacy_dev.ko
		drivers/virtio/virtio_pci.ko
	EOF
}

assets_arm64_skeleton()
{
	local root=$1
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,root,host,out}
	cp "$ASSET_ARM64_BUSYBOX" "$root/bin/busybox"
	# Applets are linked at build time so that init needs no --install.
	local applet
	for applet in $(assets_arm64_applets); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
}

# The applet names of the arm64 busybox, read from the binary (it cannot
# run here): its applet table is a NUL-separated sorted list of names
# that begins "[", "[[".
assets_arm64_applets()
{
	tr '\0' '\n' <"$ASSET_ARM64_BUSYBOX" |
		awk '!on && prev == "[" && $0 == "[[" { on = 1; print prev }
			on { if ($0 ~ /^[a-z0-9_.[-]+$/) print; else exit }
			{ prev = $0 }'
}

assets_arm64_pack()
{
	local root=$1 out=$2
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -9 >"$out.$$" && mv "$out.$$" "$out"
}

# The arm64 L1 host: 9p (and tun for the network tests' taps); KVM is
# built in. tests/lib/l1-arm64-init mounts the host's root read-only at
# /host and runs the script named on its kernel command line with L1's
# own busybox sh (the host's programs are amd64).
assets_arm64_build_l1()
{
	local root
	root=$(mktemp -d "$SCORPI_CACHE/arm64-l1-root.XXXXXX")
	assets_arm64_skeleton "$root"
	{
		assets_arm64_virtio_modules
		echo net/9p/9pnet.ko
		echo net/9p/9pnet_virtio.ko
		echo fs/netfs/netfs.ko
		echo fs/fscache/fscache.ko
		echo fs/9p/9p.ko
		echo drivers/net/tun.ko
	} | assets_arm64_add_modules "$root"
	cp "$ASSETS_ARM64_SRC/lib/l1-arm64-init" "$root/init"
	chmod 755 "$root/init"
	assets_arm64_pack "$root" "$ASSET_ARM64_L1_INITRD"
	rm -rf "$root"
}

# The guest: arm64 busybox, virtio modules, and tests/guest/init (shell,
# architecture-neutral).
assets_arm64_build_l2()
{
	local root
	root=$(mktemp -d "$SCORPI_CACHE/arm64-l2-root.XXXXXX")
	assets_arm64_skeleton "$root"
	{
		assets_arm64_virtio_modules
		assets_disk_net_modules
		echo drivers/char/virtio_console.ko
		echo drivers/char/hw_random/virtio-rng.ko
		# The PL061's power button (gpio-keys) as an input device,
		# for a powerdown test with busybox acpid or evdev.
		echo drivers/input/evdev.ko
		echo drivers/input/keyboard/gpio_keys.ko
	} | assets_arm64_add_modules "$root"
	cp "$ASSETS_ARM64_SRC/guest/init" "$root/init"
	chmod 755 "$root/init"
	assets_arm64_pack "$root" "$ASSET_ARM64_L2_INITRD"
	rm -rf "$root"
}

# Rebuild an image when it is missing or older than what it is made from.
assets_arm64_stale()
{
	local out=$1
	shift
	[ -f "$out" ] || return 0
	local src
	for src in "$@"; do
		[ "$src" -nt "$out" ] && return 0
	done
	return 1
}

# The raw Image from Debian's vmlinuz, on stdout: Debian 12's arm64
# vmlinuz is a raw Image already (with its EFI stub's PE header; file(1)
# says "Linux kernel ARM64 boot executable Image"), used in place; a
# gzip-compressed one (as other Debian releases have shipped) is
# decompressed into the cache once.
assets_arm64_image()
{
	local vmlinuz=$1 out=$2 image=$1
	if gzip -t "$vmlinuz" 2>/dev/null; then
		image=$out
		if [ ! -f "$out" ] || [ "$vmlinuz" -nt "$out" ]; then
			gzip -dc "$vmlinuz" >"$out.$$" && mv "$out.$$" "$out" ||
				assets_arm64_die "cannot decompress $vmlinuz"
		fi
	fi
	# The arm64 Image header: the magic "ARM\x64" at offset 56.
	[ "$(dd if="$image" bs=1 skip=56 count=4 2>/dev/null)" = ARMd ] ||
		assets_arm64_die "$image is not an arm64 Image"
	echo "$image"
}

assets_arm64_prepare()
{
	command -v apt-get >/dev/null || assets_arm64_die "apt-get is needed"
	assets_arm64_foreign || exit 1
	local kpkg kroot bbroot
	kpkg=$(assets_arm64_kernel_pkg) || exit 1
	kroot=$(assets_arm64_fetch_deb "$kpkg") || exit 1
	bbroot=$(assets_arm64_fetch_deb busybox-static) || exit 1
	local vmlinuz
	vmlinuz=$(ls "$kroot"/boot/vmlinuz-* 2>/dev/null | head -n 1)
	[ -f "$vmlinuz" ] || assets_arm64_die "no kernel in $kpkg"
	ASSET_ARM64_KERNEL=$(assets_arm64_image "$vmlinuz" \
		"$SCORPI_CACHE/arm64-Image-${kpkg#linux-image-}") || exit 1
	ASSET_ARM64_MODULES=$(ls -d "$kroot"/lib/modules/* | head -n 1)
	ASSET_ARM64_BUSYBOX=$bbroot/bin/busybox
	[ -f "$ASSET_ARM64_BUSYBOX" ] ||
		assets_arm64_die "no busybox in busybox-static:arm64"
	ASSET_ARM64_L1_INITRD=$SCORPI_CACHE/arm64-l1-initrd.cpio.gz
	ASSET_ARM64_L2_INITRD=$SCORPI_CACHE/arm64-initrd.cpio.gz
	if assets_arm64_stale "$ASSET_ARM64_L1_INITRD" \
		"$ASSETS_ARM64_SRC/lib/l1-arm64-init" \
		"$ASSETS_ARM64_SRC/lib/assets-arm64.sh"; then
		assets_arm64_build_l1
	fi
	if assets_arm64_stale "$ASSET_ARM64_L2_INITRD" \
		"$ASSETS_ARM64_SRC/guest/init" \
		"$ASSETS_ARM64_SRC/lib/assets-arm64.sh" \
		"$ASSETS_ARM64_SRC/lib/assets.sh"; then
		assets_arm64_build_l2
	fi
	export ASSET_ARM64_KERNEL ASSET_ARM64_MODULES ASSET_ARM64_BUSYBOX \
		ASSET_ARM64_L1_INITRD ASSET_ARM64_L2_INITRD
}

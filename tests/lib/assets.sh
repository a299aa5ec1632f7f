#!/usr/bin/env bash
# Guest material for the tests and the demo: Debian's kernel and busybox,
# fetched with apt-get download, unpacked and cached, plus the initramfs
# images built from them.
#
# Source this file, then call assets_prepare; it sets:
#   ASSET_KERNEL      the amd64 bzImage (Debian linux-image-amd64, 6.1)
#   ASSET_MODULES     its /lib/modules/<version> directory
#   ASSET_BUSYBOX     a static busybox
#   ASSET_L1_INITRD   initramfs for the nested L1 host (kvm-amd, 9p)
#   ASSET_L2_INITRD   initramfs for the guest Scorpi boots (tests/guest/init)
#   ASSET_OVMF        Debian's OVMF firmware directory (package ovmf), in
#                     the cache beside the kernel (x86_firmware.sh finds it
#                     there from the kernel's path)
#
# The cache lives in $SCORPI_CACHE (default ~/.cache/scorpi); delete it to
# start over.

SCORPI_CACHE=${SCORPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scorpi}
ASSETS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

assets_die()
{
	echo "assets: $*" >&2
	exit 1
}

# Download one Debian package into the cache (once) and unpack it.
assets_fetch_deb()
{
	local pkg=$1 dir=$SCORPI_CACHE/debs
	mkdir -p "$dir"
	if ! ls "$dir/${pkg}"_*.deb >/dev/null 2>&1; then
		(cd "$dir" && apt-get download "$pkg" 2>&1 |
			grep -v 'unsandboxed') >&2 ||
			true
		ls "$dir/${pkg}"_*.deb >/dev/null 2>&1 ||
			assets_die "cannot download Debian package $pkg (is apt reachable?)"
	fi
	if [ ! -d "$SCORPI_CACHE/root-$pkg" ]; then
		rm -rf "$SCORPI_CACHE/root-$pkg.tmp"
		dpkg-deb -x "$dir/${pkg}"_*.deb "$SCORPI_CACHE/root-$pkg.tmp" ||
			assets_die "cannot unpack $pkg"
		mv "$SCORPI_CACHE/root-$pkg.tmp" "$SCORPI_CACHE/root-$pkg"
	fi
	echo "$SCORPI_CACHE/root-$pkg"
}

# The versioned kernel package that linux-image-amd64 points at.
assets_kernel_pkg()
{
	if [ -f "$SCORPI_CACHE/kernel-pkg" ]; then
		cat "$SCORPI_CACHE/kernel-pkg"
		return
	fi
	local pkg
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.[^ ]*-amd64\)$/\1/p' |
		head -n 1)
	[ -n "$pkg" ] ||
		assets_die "apt knows no linux-image-amd64 6.1 (run apt-get update)"
	mkdir -p "$SCORPI_CACHE"
	echo "$pkg" >"$SCORPI_CACHE/kernel-pkg"
	echo "$pkg"
}

# Copy the modules named on stdin (paths relative to the modules dir) and
# write the load order to $root/etc/modules.order.
assets_add_modules()
{
	local root=$1 rel
	mkdir -p "$root/lib/modules"
	: >"$root/etc/modules.order"
	while read -r rel; do
		[ -n "$rel" ] || continue
		cp "$ASSET_MODULES/kernel/$rel" "$root/lib/modules/" ||
			assets_die "module $rel missing from the kernel package"
		echo "/lib/modules/$(basename "$rel")" >>"$root/etc/modules.order"
	done
}

# Modules a Debian 6.1 kernel needs for virtio over PCI, in load order.
assets_virtio_modules()
{
	cat <<-'EOF'
		drivers/virtio/virtio_ring.ko
		drivers/virtio/virtio.ko
		drivers/virtio/virtio_pci_modern_dev.ko
		drivers/virtio/virtio_pci_legacy_dev.ko
		drivers/virtio/virtio_pci.ko
	EOF
}

# virtio-blk and virtio-net (with the failover modules it needs), for
# the test guest and the benchmark guest, amd64 and arm64 alike (the same
# paths in both kernels' module trees).
assets_disk_net_modules()
{
	cat <<-'EOF'
		drivers/block/virtio_blk.ko
		net/core/failover.ko
		drivers/net/net_failover.ko
		drivers/net/virtio_net.ko
	EOF
}

assets_skeleton()
{
	local root=$1
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,root,host,out}
	cp "$ASSET_BUSYBOX" "$root/bin/busybox"
	# Applets are linked at build time so that init needs no --install.
	local applet
	for applet in $("$ASSET_BUSYBOX" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
}

assets_pack()
{
	local root=$1 out=$2
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) |
		gzip -9 >"$out.$$" && mv "$out.$$" "$out"
}

# The L1 host: loads KVM (AMD SVM, which QEMU-TCG emulates) and 9p, mounts
# the host's root read-only and the output folder read-write, then runs the
# command named on its kernel command line (see tests/lib/l1-init).
assets_build_l1()
{
	# A root of its own: two test runs may build at the same time.
	local root
	root=$(mktemp -d "$SCORPI_CACHE/l1-root.XXXXXX")
	assets_skeleton "$root"
	{
		echo virt/lib/irqbypass.ko
		echo arch/x86/kvm/kvm.ko
		echo drivers/crypto/ccp/ccp.ko
		echo arch/x86/kvm/kvm-amd.ko
		assets_virtio_modules
		echo net/9p/9pnet.ko
		echo net/9p/9pnet_virtio.ko
		echo fs/netfs/netfs.ko
		echo fs/fscache/fscache.ko
		echo fs/9p/9p.ko
		echo drivers/net/tun.ko
		# The script's terminal, hvc0 (tests/lib/l1.sh says why).
		echo drivers/char/virtio_console.ko
	} | assets_add_modules "$root"
	cp "$ASSETS_SRC/lib/l1-init" "$root/init"
	chmod 755 "$root/init"
	assets_pack "$root" "$ASSET_L1_INITRD"
	rm -rf "$root"
}

# The guest: busybox, virtio modules, and tests/guest/init.
assets_build_l2()
{
	# A root of its own: two test runs may build at the same time.
	local root
	root=$(mktemp -d "$SCORPI_CACHE/l2-root.XXXXXX")
	assets_skeleton "$root"
	{
		assets_virtio_modules
		assets_disk_net_modules
		echo drivers/char/virtio_console.ko
		echo drivers/char/hw_random/virtio-rng.ko
		# The ACPI power button as an input device, for acpid.
		echo drivers/input/evdev.ko
		echo drivers/acpi/button.ko
		# EFI variables, under firmware (tests/guest/init efivar-*).
		echo fs/efivarfs/efivarfs.ko
	} | assets_add_modules "$root"
	cp "$ASSETS_SRC/guest/init" "$root/init"
	chmod 755 "$root/init"
	# Test programs built with Scorpi (static), where they have been built.
	local tool
	for tool in $ASSET_GUEST_TOOLS; do
		[ -x "$tool" ] && cp "$tool" "$root/bin/"
	done
	assets_pack "$root" "$ASSET_L2_INITRD"
	rm -rf "$root"
}

# Rebuild an image when it is missing or older than what it is made from.
assets_stale()
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

assets_prepare()
{
	command -v apt-get >/dev/null || assets_die "apt-get is needed"
	local kpkg kroot bbroot
	kpkg=$(assets_kernel_pkg) || exit 1
	kroot=$(assets_fetch_deb "$kpkg") || exit 1
	bbroot=$(assets_fetch_deb busybox-static) || exit 1
	ASSET_OVMF=$(assets_fetch_deb ovmf)/usr/share/OVMF || exit 1
	ASSET_KERNEL=$(ls "$kroot"/boot/vmlinuz-* | head -n 1)
	ASSET_MODULES=$(ls -d "$kroot"/lib/modules/* | head -n 1)
	ASSET_BUSYBOX=$bbroot/bin/busybox
	[ -f "$ASSET_KERNEL" ] || assets_die "no kernel in $kpkg"
	[ -x "$ASSET_BUSYBOX" ] || assets_die "no busybox in busybox-static"
	ASSET_L1_INITRD=$SCORPI_CACHE/l1-initrd.cpio.gz
	ASSET_L2_INITRD=$SCORPI_CACHE/initrd.cpio.gz
	if assets_stale "$ASSET_L1_INITRD" "$ASSETS_SRC/lib/l1-init" \
		"$ASSETS_SRC/lib/assets.sh"; then
		assets_build_l1
	fi
	ASSET_GUEST_TOOLS="$ASSETS_SRC/../build/tests/virtio-misbehave
		$ASSETS_SRC/../build/tests/blk-journal"
	# shellcheck disable=SC2086 # a list of paths without spaces
	if assets_stale "$ASSET_L2_INITRD" "$ASSETS_SRC/guest/init" \
		"$ASSETS_SRC/lib/assets.sh" $ASSET_GUEST_TOOLS; then
		assets_build_l2
	fi
	export ASSET_KERNEL ASSET_MODULES ASSET_BUSYBOX ASSET_L1_INITRD \
		ASSET_L2_INITRD ASSET_OVMF
}

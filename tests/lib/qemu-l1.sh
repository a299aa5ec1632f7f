#!/usr/bin/env bash
# The x86 nested L1's QEMU: Debian's own release of it (the source of the
# installed qemu-system-x86, from Debian's archive), built for
# x86_64-softmmu only with the fixes in tests/lib/qemu-patches/ that
# Debian's binary lacks (docs/testing.md, "Firmware under the nested
# L1"). Built once into the asset cache, in about 3 minutes on 2 cores.
#
# Source this file, then call qemu_l1_prepare: it exports SCORPI_L1_QEMU
# (tests/lib/l1.sh runs it), or returns 1 with a line saying why not.

QEMU_L1_PATCHES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/qemu-patches

qemu_l1_die()
{
	echo "qemu-l1: $*" >&2
	return 1
}

qemu_l1_prepare()
{
	local cache=${SCORPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scorpi}
	local ver up dir tarball stamp
	ver=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) ||
		{ qemu_l1_die "qemu-system-x86 is not installed"; return 1; }
	up=${ver#*:}
	up=${up%-*} # 10.0.2+ds
	dir=$cache/qemu-l1-$up
	# The stamp names the patches: a new or changed one builds anew.
	stamp=$(cat "$QEMU_L1_PATCHES"/*.patch | sha256sum | cut -c1-16)
	if [ -x "$dir/qemu-system-x86_64" ] &&
		[ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ]; then
		qemu_l1_wrapper "$dir"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir/src" || return 1
	tarball=$cache/debs/qemu_$up.orig.tar.xz
	mkdir -p "$cache/debs"
	if [ ! -s "$tarball" ]; then
		echo "qemu-l1: fetching QEMU $up's source from Debian's archive" >&2
		/usr/lib/apt/apt-helper download-file \
			"http://deb.debian.org/debian/pool/main/q/qemu/qemu_$up.orig.tar.xz" \
			"$tarball.tmp" >/dev/null 2>&1 && mv "$tarball.tmp" "$tarball" ||
			{ rm -f "$tarball.tmp"; qemu_l1_die "cannot download QEMU $up's source"; return 1; }
	fi
	# QEMU 10 needs meson 1.5 or later: bookworm-backports' package,
	# unpacked here rather than installed over the system's.
	if [ ! -d "$cache/meson-backports" ]; then
		(cd "$cache/debs" && apt-get download -t bookworm-backports meson \
			>/dev/null 2>&1) &&
			dpkg-deb -x "$(ls "$cache"/debs/meson_*bpo*.deb | head -n 1)" \
				"$cache/meson-backports" ||
			{ qemu_l1_die "cannot fetch meson from bookworm-backports"; return 1; }
	fi
	echo "qemu-l1: building QEMU $up for the x86 L1 (once)" >&2
	(
		set -e
		tar xf "$tarball" -C "$dir/src" --strip-components=1
		cd "$dir/src"
		for p in "$QEMU_L1_PATCHES"/*.patch; do
			patch -p1 --quiet <"$p"
		done
		export PYTHONPATH=$cache/meson-backports/usr/lib/python3/dist-packages
		./configure --python=/usr/bin/python3 --target-list=x86_64-softmmu \
			--disable-install-blobs --disable-docs --disable-tools \
			--disable-user --disable-gtk --disable-sdl --disable-vnc \
			--disable-opengl --disable-spice --disable-curses \
			--disable-libusb --disable-usb-redir --disable-gnutls \
			--disable-nettle --disable-gcrypt --disable-werror \
			--enable-virtfs --disable-xen --disable-linux-io-uring \
			--disable-capstone --disable-rust
		nice ninja -C build qemu-system-x86_64
	) >"$dir/build.log" 2>&1 ||
		{ qemu_l1_die "the build failed: $(tail -n 3 "$dir/build.log" | tr '\n' ' ') (see $dir/build.log)"; return 1; }
	mv "$dir/src/build/qemu-system-x86_64" "$dir/"
	rm -rf "$dir/src"
	echo "$stamp" >"$dir/stamp"
	qemu_l1_wrapper "$dir"
}

# The binary with Debian's firmware files (SeaBIOS, option ROMs), which
# the source without its blobs does not have.
qemu_l1_wrapper()
{
	cat >"$1/qemu-l1" <<-WRAP
		#!/bin/sh
		exec "$1/qemu-system-x86_64" -L /usr/share/qemu -L /usr/share/seabios "\$@"
	WRAP
	chmod +x "$1/qemu-l1"
	export SCORPI_L1_QEMU=$1/qemu-l1
}

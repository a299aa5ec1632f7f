#!/usr/bin/env bash
# The benchmarks' guest material, built from the tests' cached Debian
# kernel and busybox (tests/lib/assets.sh): an initramfs with busybox, the
# virtio modules, tests/guest/init (its bench-* arms), blkbench and iperf3
# with the shared libraries and the dynamic loader it needs.
#
# Source this file, then call bench_assets_prepare; on top of what
# assets_prepare sets, it sets:
#   BENCH_INITRD     the bench's initramfs (in $SCORPI_CACHE)
#   BENCH_BLKBENCH   the static blkbench the guest and the host both run
#   BENCH_IPERF3     the iperf3 packed into the guest (the host's own)

. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/assets.sh"

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# blkbench: the one meson builds (build/tests/blkbench) where it does,
# else built here, static, from tests/guest/blkbench.c.
bench_blkbench()
{
	local meson_built=$BENCH_SRC/build/tests/blkbench
	local src=$BENCH_SRC/tests/guest/blkbench.c
	local own=$BENCH_SRC/build/bench-tools/blkbench
	if [ -x "$meson_built" ] && ! [ "$src" -nt "$meson_built" ]; then
		echo "$meson_built"
		return
	fi
	[ -f "$src" ] || assets_die "no tests/guest/blkbench.c to build blkbench from"
	if [ ! -x "$own" ] || [ "$src" -nt "$own" ]; then
		mkdir -p "$(dirname "$own")"
		# shellcheck disable=SC2046 # pkg-config prints several flags
		gcc -O2 -static -o "$own.tmp" "$src" \
			$(pkg-config --libs --static liburing) >&2 ||
			assets_die "cannot build blkbench (static, with liburing)"
		mv "$own.tmp" "$own"
	fi
	echo "$own"
}

# The files a dynamic program needs at run time: the libraries ldd lists
# and the dynamic loader, one absolute path a line.
bench_libs_of()
{
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }'
}

bench_assets_build()
{
	local root lib
	root=$(mktemp -d "$SCORPI_CACHE/bench-root.XXXXXX")
	assets_skeleton "$root"
	{
		assets_virtio_modules
		assets_disk_net_modules
	} | assets_add_modules "$root"
	cp "$BENCH_SRC/tests/guest/init" "$root/init"
	chmod 755 "$root/init"
	cp "$BENCH_BLKBENCH" "$root/bin/blkbench"
	cp "$BENCH_IPERF3" "$root/bin/iperf3"
	# Where ldd found them, so the loader's own search finds them too.
	for lib in $(bench_libs_of "$BENCH_IPERF3"); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	assets_pack "$root" "$BENCH_INITRD"
	rm -rf "$root"
}

bench_assets_prepare()
{
	assets_prepare || exit 1
	BENCH_BLKBENCH=$(bench_blkbench) || exit 1
	BENCH_IPERF3=$(command -v iperf3) ||
		assets_die "iperf3 is needed (apt-get install iperf3)"
	BENCH_INITRD=$SCORPI_CACHE/bench-initrd.cpio.gz
	if assets_stale "$BENCH_INITRD" "$BENCH_SRC/tests/guest/init" \
		"${BASH_SOURCE[0]}" "$ASSETS_SRC/lib/assets.sh" \
		"$BENCH_BLKBENCH" "$BENCH_IPERF3"; then
		bench_assets_build
	fi
	export BENCH_INITRD BENCH_BLKBENCH BENCH_IPERF3
}

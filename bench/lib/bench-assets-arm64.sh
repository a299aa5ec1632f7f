#!/usr/bin/env bash
# The arm64 benchmarks' material, on an amd64 host: what the nested arm64
# L1 runs (it has only busybox, and runs the host's arm64 programs through
# the host's arm64 loader) and what the arm64 guest runs.
#
#   - a sysroot of Debian's arm64 packages, unpacked, never installed (the
#     arm64 qemu-system-arm and python3.11 would replace the host's own):
#     qemu-system-aarch64 (the VMM compared with), python3.11 and its
#     standard library (for bench/lib/measure.py), iperf3, and the
#     libraries they need that the host has no arm64 copy of;
#   - blkbench, cross-built static from tests/guest/blkbench.c;
#   - the bench initramfs: busybox, the virtio modules, tests/guest/init,
#     blkbench, and iperf3 with its libraries and the loader.
#
# Source this file (after tests/lib/assets-arm64.sh), then call
# bench_arm64_assets_prepare; on top of what assets_arm64_prepare sets,
# it sets:
#   BENCH_ARM64_SYSROOT   the unpacked packages (in $SCORPI_CACHE)
#   BENCH_ARM64_LIBS      the library path for the sysroot's programs
#                         (host paths: prefix $HOST inside L1)
#   BENCH_ARM64_BLKBENCH  the static arm64 blkbench
#   BENCH_ARM64_INITRD    the arm64 bench initramfs

BENCH_ARM64_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# What the sysroot is grown from; the closure of their library
# dependencies comes along (bench_arm64_closure).
BENCH_ARM64_SEEDS=(qemu-system-arm python3.11-minimal libpython3.11-minimal
	libpython3.11-stdlib iperf3)

# The seeds and every lib* package they depend on, recursively, one name
# a line: the packages' own library dependencies (qemu-system-common and
# -data, debconf, perl, ... are not needed to run the binaries).
bench_arm64_closure()
{
	local queue=("${BENCH_ARM64_SEEDS[@]}") next p d
	local -A seen=()
	while [ ${#queue[@]} -gt 0 ]; do
		next=()
		for p in "${queue[@]}"; do
			[ -z "${seen[$p]:-}" ] || continue
			seen[$p]=1
			echo "$p"
			next+=("$p:arm64")
		done
		[ ${#next[@]} -gt 0 ] || break
		# One apt-cache call a level: it is slow to start.
		queue=()
		for d in $(apt-cache depends --no-recommends --no-suggests \
			--no-conflicts --no-breaks --no-replaces --no-enhances \
			"${next[@]}" 2>/dev/null |
			sed -n 's/^ *\(Pre\)\{0,1\}Depends: \([^< ][^ ]*\).*/\2/p'); do
			d=${d%:arm64}
			case "$d" in lib* | zlib1g) queue+=("$d") ;; esac
		done
	done
}

bench_arm64_sysroot_build()
{
	local dir=$SCORPI_CACHE/debs/bench-arm64 root=$BENCH_ARM64_SYSROOT
	local pkgs p deb
	mkdir -p "$dir"
	pkgs=$(bench_arm64_closure)
	[ -n "$pkgs" ] || assets_arm64_die "apt-cache knows none of ${BENCH_ARM64_SEEDS[*]} for arm64"
	for p in $pkgs; do
		ls "$dir/${p}"_*_arm64.deb >/dev/null 2>&1 && continue
		(cd "$dir" && apt-get download "$p:arm64" 2>&1 |
			grep -v 'unsandboxed') >&2 || true
		ls "$dir/${p}"_*_arm64.deb >/dev/null 2>&1 ||
			assets_arm64_die "cannot download Debian package $p:arm64"
	done
	rm -rf "$root.tmp"
	mkdir -p "$root.tmp"
	for p in $pkgs; do
		deb=$(ls "$dir/${p}"_*_arm64.deb | head -n 1)
		dpkg-deb -x "$deb" "$root.tmp" ||
			assets_arm64_die "cannot unpack $deb"
	done
	# Only the programs and libraries are used.
	rm -rf "$root.tmp/usr/share/doc" "$root.tmp/usr/share/man" \
		"$root.tmp/usr/bin/qemu-system-arm"
	printf '%s\n' $pkgs >"$root.tmp/packages"
	rm -rf "$root"
	mv "$root.tmp" "$root"
}

# The ELF libraries an arm64 program needs, recursively: the paths of
# their files in the sysroot or the host's arm64 multiarch tree, one a
# line.
bench_arm64_libs_of()
{
	local queue=("$1") next f lib path dir
	local -A seen=()
	while [ ${#queue[@]} -gt 0 ]; do
		next=()
		for f in "${queue[@]}"; do
			for lib in $(aarch64-linux-gnu-readelf -d "$f" 2>/dev/null |
				sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
				[ -z "${seen[$lib]:-}" ] || continue
				seen[$lib]=1
				path=
				for dir in ${BENCH_ARM64_LIBS//:/ }; do
					[ -e "$dir/$lib" ] && { path=$dir/$lib; break; }
				done
				[ -n "$path" ] ||
					assets_arm64_die "no arm64 $lib (needed by $f)"
				echo "$path"
				next+=("$path")
			done
		done
		queue=("${next[@]}")
	done
}

bench_arm64_blkbench_build()
{
	local src=$BENCH_ARM64_SRC/tests/guest/blkbench.c
	mkdir -p "$(dirname "$BENCH_ARM64_BLKBENCH")"
	aarch64-linux-gnu-gcc -O2 -static -o "$BENCH_ARM64_BLKBENCH.tmp" \
		"$src" -luring >&2 ||
		assets_arm64_die "cannot cross-build blkbench (static, with liburing-dev:arm64)"
	mv "$BENCH_ARM64_BLKBENCH.tmp" "$BENCH_ARM64_BLKBENCH"
}

bench_arm64_initrd_build()
{
	local root lib iperf3=$BENCH_ARM64_SYSROOT/usr/bin/iperf3
	root=$(mktemp -d "$SCORPI_CACHE/arm64-bench-root.XXXXXX")
	assets_arm64_skeleton "$root"
	{
		assets_arm64_virtio_modules
		assets_disk_net_modules
	} | assets_arm64_add_modules "$root"
	cp "$BENCH_ARM64_SRC/tests/guest/init" "$root/init"
	chmod 755 "$root/init"
	cp "$BENCH_ARM64_BLKBENCH" "$root/bin/blkbench"
	cp "$iperf3" "$root/bin/iperf3"
	# The libraries where the loader looks by default, and the loader
	# where the program's interpreter path points.
	mkdir -p "$root/lib/aarch64-linux-gnu"
	for lib in $(bench_arm64_libs_of "$iperf3"); do
		cp -L "$lib" "$root/lib/aarch64-linux-gnu/"
	done
	cp -L /usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$root/lib/" ||
		assets_arm64_die "no arm64 loader (libc6:arm64)"
	assets_arm64_pack "$root" "$BENCH_ARM64_INITRD"
	rm -rf "$root"
}

bench_arm64_assets_prepare()
{
	assets_arm64_prepare || exit 1
	command -v aarch64-linux-gnu-readelf >/dev/null ||
		assets_arm64_die "aarch64-linux-gnu-readelf is needed (binutils-aarch64-linux-gnu)"
	BENCH_ARM64_SYSROOT=$SCORPI_CACHE/arm64-bench-sysroot
	BENCH_ARM64_LIBS=$BENCH_ARM64_SYSROOT/usr/lib/aarch64-linux-gnu:$BENCH_ARM64_SYSROOT/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu:/lib/aarch64-linux-gnu
	BENCH_ARM64_BLKBENCH=$SCORPI_CACHE/arm64-blkbench
	BENCH_ARM64_INITRD=$SCORPI_CACHE/arm64-bench-initrd.cpio.gz
	[ -x "$BENCH_ARM64_SYSROOT/usr/bin/qemu-system-aarch64" ] &&
		[ -x "$BENCH_ARM64_SYSROOT/usr/bin/python3.11" ] &&
		[ -x "$BENCH_ARM64_SYSROOT/usr/bin/iperf3" ] ||
		bench_arm64_sysroot_build
	if assets_arm64_stale "$BENCH_ARM64_BLKBENCH" \
		"$BENCH_ARM64_SRC/tests/guest/blkbench.c"; then
		bench_arm64_blkbench_build
	fi
	if assets_arm64_stale "$BENCH_ARM64_INITRD" \
		"$BENCH_ARM64_SRC/tests/guest/init" "${BASH_SOURCE[0]}" \
		"$BENCH_ARM64_SRC/tests/lib/assets-arm64.sh" \
		"$BENCH_ARM64_SRC/tests/lib/assets.sh" \
		"$BENCH_ARM64_BLKBENCH" "$BENCH_ARM64_SYSROOT/packages"; then
		bench_arm64_initrd_build
	fi
	export BENCH_ARM64_SYSROOT BENCH_ARM64_LIBS BENCH_ARM64_BLKBENCH \
		BENCH_ARM64_INITRD
}

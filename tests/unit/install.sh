#!/usr/bin/env bash
# meson install puts libscorpi where a program finds it: the header, the
# shared library and the pkg-config file, with which the example builds
# and links outside the tree.
#
# usage: install.sh BUILDDIR SOURCEDIR
set -eu
build=$1 src=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --quiet >/dev/null
pc=$(find "$dest" -name scorpi.pc)
[ -n "$pc" ] || { echo "no scorpi.pc installed" >&2; exit 1; }
[ -n "$(find "$dest" -path '*/include/scorpi/scorpi.h')" ] ||
	{ echo "no scorpi/scorpi.h installed" >&2; exit 1; }
[ -n "$(find "$dest" -name 'scorpi.1*')" ] ||
	{ echo "no man page installed" >&2; exit 1; }
export PKG_CONFIG_LIBDIR=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest
cc -Wall -Werror -o "$dest/boot-vms" "$src/examples/boot_vms.c" \
	$(pkg-config --cflags --libs scorpi) -lpthread
libdir=$(dirname "$(dirname "$pc")")
# Its usage error, from the installed library: it loads and runs.
set +e
LD_LIBRARY_PATH=$libdir "$dest/boot-vms" >/dev/null 2>"$dest/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "usage: boot-vms" "$dest/err" ||
	{ echo "the installed example gave $rc: $(cat "$dest/err")" >&2; exit 1; }
LD_LIBRARY_PATH=$libdir ldd "$dest/boot-vms" | grep -q "$libdir/libscorpi.so.0" ||
	{ echo "the example did not link the installed libscorpi" >&2; exit 1; }
echo "installed and linked: $(LD_LIBRARY_PATH=$libdir ldd "$dest/boot-vms" | grep scorpi)"

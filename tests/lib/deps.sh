#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for building Scorpi and
# running its tests (apt-get, as root). Quiet when all is there.
deps_install()
{
	local want=(gcc meson ninja-build pkg-config qemu-system-x86
		qemu-utils cpio acpica-tools python3 util-linux bsdutils
		clang libclang-rt-14-dev ca-certificates libslirp-dev
		libglib2.0-dev liburing-dev libyaml-dev libfdt-dev
		device-tree-compiler)
	local missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
		return 1
	fi
	echo "deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 &&
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

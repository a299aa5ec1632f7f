#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for building Scorpi and
# running its tests (apt-get, as root). Quiet when all is there.
deps_install()
{
	local want=(gcc meson ninja-build pkg-config cpio acpica-tools
		python3 util-linux bsdutils
		clang libclang-rt-14-dev ca-certificates libslirp-dev
		libglib2.0-dev liburing-dev libyaml-dev libjansson-dev libfdt-dev
		libseccomp-dev device-tree-compiler
		libpixman-1-dev flex bison patch bzip2 xz-utils zlib1g-dev
		python3-venv libattr1-dev libcap-ng-dev uuid-dev dmidecode
		mtools dosfstools fdisk xorriso)
	local missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if [ "$(id -u)" != 0 ]; then
			echo "deps: missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
			return 1
		fi
		echo "deps: installing ${missing[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2 &&
			apt-get install -y -qq --no-install-recommends \
				"${missing[@]}" >&2 || return 1
	fi
	deps_qemu
}

# QEMU 8.2 or later, for the nested L1s (and the benchmarks' QEMU):
# Debian 12's own 7.2 has a TCG bug, fixed upstream in 8.2, that loses
# interrupts after STI when the next instructions disable them again in
# the same translation block. KVM's guest loop in L1 does just that; L1's
# CPUs then spun for good with the timer interrupt pending (soft lockups,
# or an L1 gone silent). On Debian 12 it comes from bookworm-backports,
# which is part of Debian's archive; elsewhere the distribution's own.
deps_qemu()
{
	local pkgs=(qemu-system-x86 qemu-system-arm qemu-utils) p v stale=0
	local extra=(python3-pycotap)
	for p in "${pkgs[@]}"; do
		v=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null)
		case "$v" in
		"install ok installed "*)
			v=${v##* }
			dpkg --compare-versions "$v" ge 1:8.2 || stale=1
			;;
		*) stale=1 ;;
		esac
	done
	# The x86 L1's own QEMU build (tests/lib/qemu-l1.sh) needs pycotap,
	# which Debian 12 has in bookworm-backports only.
	dpkg-query -W -f='${Status}' python3-pycotap 2>/dev/null |
		grep -q 'install ok installed' || stale=1
	[ "$stale" = 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps: QEMU 8.2 or later is needed (${pkgs[*]}; on Debian 12 from bookworm-backports): run as root, or install it" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	local codename
	codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	if [ "$codename" != bookworm ]; then
		echo "deps: installing ${pkgs[*]}" >&2
		apt-get install -y -qq --no-install-recommends "${pkgs[@]}" \
			"${extra[@]}" >&2
		return
	fi
	if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list \
		/etc/apt/sources.list.d/; then
		echo "deps: adding bookworm-backports to apt's sources (for QEMU 10)" >&2
		echo "deb http://deb.debian.org/debian bookworm-backports main" \
			>/etc/apt/sources.list.d/bookworm-backports.list
	fi
	echo "deps: installing ${pkgs[*]} from bookworm-backports" >&2
	apt-get update -qq >&2 &&
		apt-get install -y -qq --no-install-recommends \
			-t bookworm-backports "${pkgs[@]}" "${extra[@]}" >&2
}

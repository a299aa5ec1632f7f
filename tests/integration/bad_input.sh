#!/usr/bin/env bash
# Bad input on the command line: each case must print exactly one line
# naming the problem and exit non-zero, without starting anything. These
# run on the host; no KVM is needed (the checks come before /dev/kvm).
#
# usage: bad_input.sh SCORPI KERNEL INITRD
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/report.sh"

[ $# -eq 3 ] || { echo "usage: $0 SCORPI KERNEL INITRD" >&2; exit 2; }
scorpi=$(realpath "$1") kernel=$2 initrd=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

head -c 65536 /dev/urandom >"$tmp/random.bin"
: >"$tmp/empty"
printf 'not a kernel at all\n' >"$tmp/text"

# bad NAME PATTERN ARGS...: exit 1, one line on stderr matching PATTERN,
# a message no other case gave, and nothing created (it runs in an empty
# directory, and the control socket path used below stays absent).
mkdir -p "$tmp/cwd"
: >"$tmp/messages"
bad()
{
	local name=$1 pattern=$2
	shift 2
	(cd "$tmp/cwd" && timeout 20 "${as_user[@]}" "$scorpi" "$@") \
		>"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$?
	if [ -n "$(ls -A "$tmp/cwd")" ] || [ -e "$tmp/ctl.sock" ]; then
		report_fail "bad-input-$name" "it left $(ls -A "$tmp/cwd") $(ls "$tmp/ctl.sock" 2>/dev/null) behind"
		rm -rf "$tmp/cwd"/* "$tmp/ctl.sock"
		return
	fi
	if [ -n "${unique:-}" ] && grep -qxF -- "$(cat "$tmp/err")" "$tmp/messages"; then
		report_fail "bad-input-$name" "the same message as another case: $(cat "$tmp/err")"
		return
	fi
	cat "$tmp/err" >>"$tmp/messages"
	if [ "$rc" -ne 1 ]; then
		report_fail "bad-input-$name" "exit status $rc, expected 1"
		sed 's/^/    | /' "$tmp/err"
		return
	fi
	if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		report_fail "bad-input-$name" "expected one line on stderr, got:"
		sed 's/^/    | /' "$tmp/err"
		return
	fi
	if ! grep -qiE -- "$pattern" "$tmp/err"; then
		report_fail "bad-input-$name" "message '$(cat "$tmp/err")' does not match '$pattern'"
		return
	fi
	report_ok "bad-input-$name"
}

as_user=()
k=(-k "$kernel" -i "$initrd")
bad missing-kernel 'kernel /nonexistent/vmlinuz: No such file' \
	-k /nonexistent/vmlinuz vm1
bad missing-initrd 'initrd /nonexistent/initrd: No such file' \
	-k "$kernel" -i /nonexistent/initrd vm1
bad kernel-is-directory 'kernel.*(directory|regular file)' -k "$tmp" vm1
bad initrd-is-directory 'initrd.*(directory|regular file)' \
	-k "$kernel" -i "$tmp" vm1
bad kernel-not-bzimage 'not a Linux bzImage' -k "$tmp/random.bin" vm1
bad kernel-empty 'not a Linux bzImage' -k "$tmp/empty" vm1
bad kernel-text 'not a Linux bzImage' -k "$tmp/text" vm1
bad kernel-is-initrd 'not a Linux bzImage' -k "$initrd" vm1
bad no-kernel 'no kernel' vm1
bad mem-malformed '-m 12X: not a memory size' -m 12X "${k[@]}" vm1
bad mem-negative '-m -5M: not a memory size' -m -5M "${k[@]}" vm1
bad mem-fraction '-m 1.5G: not a memory size' -m 1.5G "${k[@]}" vm1
bad mem-too-small 'too small' -m 1M "${k[@]}" vm1
bad mem-too-large 'more than the host' -m 64T "${k[@]}" vm1
bad mem-overflow 'not a memory size' -m 99999999999999999999G "${k[@]}" vm1
bad cpus-zero 'between 1 and' -c 0 "${k[@]}" vm1
bad cpus-too-many 'between 1 and' -c 255 "${k[@]}" vm1
bad cpus-malformed '-c two: not a number' -c two "${k[@]}" vm1
bad no-name 'no VM name' "${k[@]}"
bad unknown-option 'unknown option' -z "${k[@]}" vm1
bad unknown-o-key 'unknown option' -o colour=blue "${k[@]}" vm1
bad bad-console 'console=tty: expected stdio, virtio or none' -o console=tty \
	"${k[@]}" vm1

# Devices: each bad -s gets its own message.
truncate -s 1M "$tmp/disk.img"
bad slot-range '-s 32,virtio-rnd: the slot must be a number from 0 to 31' \
	-s 32,virtio-rnd "${k[@]}" vm1
bad slot-function '-s 3:9,virtio-rnd: the function must be' \
	-s 3:9,virtio-rnd "${k[@]}" vm1
bad slot-zero 'slot 0 holds the host bridge' -s 0,virtio-rnd "${k[@]}" vm1
bad slot-duplicate 'slot 3:0 is already taken' -s 3,virtio-rnd \
	-s 3,virtio-blk,"$tmp/disk.img" "${k[@]}" vm1
bad device-unknown "unknown device 'virtio-foo'" -s 3,virtio-foo \
	"${k[@]}" vm1
bad rng-option "virtio-rnd: unknown option 'x=1'" -s 3,virtio-rnd,x=1 \
	"${k[@]}" vm1
bad blk-missing-image 'virtio-blk /nonexistent.img: No such file' \
	-s 3,virtio-blk,/nonexistent.img "${k[@]}" vm1
bad blk-no-path 'virtio-blk: no image' -s 3,virtio-blk "${k[@]}" vm1
bad blk-directory 'virtio-blk .*: not a file or block device' \
	-s 3,virtio-blk,"$tmp" "${k[@]}" vm1
bad blk-unknown-option "virtio-blk: unknown option 'cache=none'" \
	-s 3,virtio-blk,"$tmp/disk.img",cache=none "${k[@]}" vm1
bad blk-long-serial 'serial=.*at most 20 characters' \
	-s 3,virtio-blk,"$tmp/disk.img",serial=abcdefghijklmnopqrstuvwxyz \
	"${k[@]}" vm1
bad blk-bad-aio "aio=native: the engines are aio=io_uring and aio=threads" \
	-s 3,virtio-blk,"$tmp/disk.img",aio=native "${k[@]}" vm1
bad console-no-path "virtio-console: port=a: expected port=NAME:SOCKETPATH" \
	-s 3,virtio-console,port=a "${k[@]}" vm1
bad console-duplicate "port=a:/tmp/y: the name or path is already taken" \
	-s 3,virtio-console,port=a:/tmp/x,port=a:/tmp/y "${k[@]}" vm1
bad console-bad-name "port=b@d:/tmp/x: a port name is 1 to 63" \
	-s 3,virtio-console,port=b@d:/tmp/x "${k[@]}" vm1
bad console-long-path "a socket path is at most 107 bytes" \
	-s 3,virtio-console,port=a:/tmp/$(printf 'x%.0s' $(seq 1 120)) \
	"${k[@]}" vm1
bad console-unknown-option "virtio-console: unknown option 'foo'" \
	-s 3,virtio-console,foo "${k[@]}" vm1
bad console-virtio-without-device "-o console=virtio needs a virtio-console device" \
	-o console=virtio "${k[@]}" vm1
bad net-no-backend "virtio-net: no backend" -s 4,virtio-net "${k[@]}" vm1
bad net-unknown-option "virtio-net: unknown option 'model=e1000'" \
	-s 4,virtio-net,slirp,model=e1000 "${k[@]}" vm1
bad net-two-backends "virtio-net: 'tap=tap0': one backend only" \
	-s 4,virtio-net,slirp,tap=tap0 "${k[@]}" vm1
bad net-bad-mac "mac=52:54:00:12:34: not a unicast MAC address" \
	-s 4,virtio-net,slirp,mac=52:54:00:12:34 "${k[@]}" vm1
bad net-multicast-mac "mac=01:00:5e:00:00:01: not a unicast MAC address" \
	-s 4,virtio-net,slirp,mac=01:00:5e:00:00:01 "${k[@]}" vm1
bad net-bad-hostfwd "hostfwd=tcp:8080:80: expected hostfwd=" \
	-s 4,virtio-net,slirp,hostfwd=tcp:8080:80 "${k[@]}" vm1
bad net-hostfwd-port "hostfwd=tcp::70000-:22: expected hostfwd=" \
	-s 4,virtio-net,slirp,hostfwd=tcp::70000-:22 "${k[@]}" vm1
bad net-hostfwd-on-tap "hostfwd= is for slirp, not tap" \
	-s 4,virtio-net,tap=tap0,hostfwd=tcp::2222-:22 "${k[@]}" vm1
bad net-long-ifname "tap=averyveryverylongname: an interface name is 1 to 15" \
	-s 4,virtio-net,tap=averyveryverylongname "${k[@]}" vm1

# The front ends: USB, the control socket, YAML files, and what is
# described but not built yet. From here, no two cases give the same
# message.
unique=1
sock=$tmp/ctl.sock
bad usb-no-controller 'a USB device needs a USB controller' -u kbd "${k[@]}" vm1
bad usb-unknown "unknown device 'mouse' \(see -u help\)" -u mouse "${k[@]}" vm1
bad usb-on-pci 'kbd is a usb device: place it with -u' -s 3,kbd "${k[@]}" vm1
bad pci-on-usb 'virtio-rnd is a pci device: place it with -s' -u virtio-rnd \
	"${k[@]}" vm1
bad usb-bad-parent 'parent nope is no USB controller' -s 1,xhci \
	-u kbd,parent=nope "${k[@]}" vm1
bad xhci-not-yet '-s 1,xhci: the xhci device is not supported yet' -s 1,xhci \
	"${k[@]}" vm1
bad gpu-not-yet 'the virtio-gpu device is not supported yet' \
	-s 5,virtio-gpu,hdpi=on "${k[@]}" vm1
bad ahci-not-yet 'the ahci-hd device is not supported yet' \
	-s 2,ahci-hd,"$tmp/disk.img" "${k[@]}" vm1
bad bootrom-missing 'bootrom FW.fd: No such file' -o bootrom=FW.fd vm1
printf 'precious\n' >"$tmp/small.fd"
bad bootrom-small 'not a firmware image: 9 bytes' -o bootrom="$tmp/small.fd" vm1
head -c 65536 /dev/zero >"$tmp/zeros.fd"
bad bootrom-no-volume 'does not start with a firmware volume' \
	-o bootrom="$tmp/zeros.fd" vm1
{ head -c 40 /dev/zero; printf _FVH; head -c $((65536 - 44)) /dev/zero; } \
	>"$tmp/no-vector.fd"
bad bootrom-no-vector 'no reset vector in its last 16 bytes' \
	-o bootrom="$tmp/no-vector.fd" vm1
bad bootvars-alone 'variables need firmware' -o bootvars="$tmp/vars.fd" \
	"${k[@]}" vm1
# Firmware-like images: a volume, a reset vector; code of 120 KiB goes
# with 8 KiB of variables (a 128 KiB flash), a unified one holds them.
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
def image(size, guid):
    b = bytearray(size)
    b[16:32] = guid
    b[40:44] = b"_FVH"
    b[-16:] = b"\x90" * 16
    return bytes(b)
nv = bytes.fromhex("8d2bf1ff96768b4ca9852747075b4f50")
open(d + "/code.fd", "wb").write(image(120 << 10, bytes(16)))
open(d + "/code-full.fd", "wb").write(image(128 << 10, bytes(16)))
open(d + "/unified.fd", "wb").write(image(128 << 10, nv))
open(d + "/vars-small.fd", "wb").write(b"\xff" * 4096)
open(d + "/vars-ro.fd", "wb").write(b"\xff" * 8192)
open(d + "/vars-held.fd", "wb").write(b"\xff" * 8192)
PY
chmod 0444 "$tmp/vars-ro.fd"
bad bootvars-unified 'holds its own variable store' \
	-o bootrom="$tmp/unified.fd" -o bootvars="$tmp/vars-ro.fd" vm1
bad bootvars-size 'needs a variable store of 8192 bytes' \
	-o bootrom="$tmp/code.fd" -o bootvars="$tmp/vars-small.fd" vm1
bad bootvars-read-only 'read-only \(mode 0444\)' \
	-o bootrom="$tmp/code.fd" -o bootvars="$tmp/vars-ro.fd" vm1
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)' "$tmp/vars-held.fd" >"$tmp/held.out" &
holder=$!
for _ in $(seq 1 50); do
	grep -q held "$tmp/held.out" && break
	sleep 0.1
done
bad bootvars-locked 'bootvars .*vars-held.fd: locked by process [0-9]+ \(python3\)' \
	-o bootrom="$tmp/code.fd" -o bootvars="$tmp/vars-held.fd" vm1
kill "$holder"
wait "$holder" 2>/dev/null
bad bootvars-no-template 'no blank store known for .*code.fd' \
	-o bootrom="$tmp/code.fd" -o bootvars="$tmp/vars-new.fd" vm1
cp "$tmp/code.fd" "$tmp/X_CODE.fd"
head -c 8192 /dev/zero >"$tmp/X_VARS.fd"
bad bootvars-bad-template 'blank store .*X_VARS.fd: not a variable store' \
	-o bootrom="$tmp/X_CODE.fd" -o bootvars="$tmp/vars-new.fd" vm1
bad bootvars-no-room 'leaves no room for a variable store' \
	-o bootrom="$tmp/code-full.fd" -o bootvars="$tmp/vars-new.fd" vm1
# Refused stores are as they were, and none was made.
if ! head -c 4096 /dev/zero | tr '\0' '\377' | cmp -s - "$tmp/vars-small.fd"; then
	report_fail bad-input-bootvars-unchanged "a refused store was changed"
elif ls "$tmp"/vars-new.fd* "$tmp"/vars-*.fd.* >/dev/null 2>&1; then
	report_fail bad-input-bootvars-unchanged "left $(ls "$tmp"/vars-new.fd* "$tmp"/vars-*.fd.* 2>/dev/null)"
else
	report_ok bad-input-bootvars-unchanged
fi
bad initrd-alone 'an initrd \(-i\) without a kernel' -o bootrom=FW.fd \
	-i "$tmp/zeros.fd" vm1
bad bool-value 'ro=maybe: expected on or off' \
	-s 3,virtio-blk,"$tmp/disk.img",ro=maybe "${k[@]}" vm1
bad option-without-value 'mac needs a value' -s 4,virtio-net,slirp,mac \
	"${k[@]}" vm1
bad bad-id "id=a/b: an id is 1 to 31" -s 5,virtio-rnd,id=a/b "${k[@]}" vm1
bad duplicate-id 'id r is taken by -s 5,virtio-rnd,id=r' -s 5,virtio-rnd,id=r \
	-s 6,virtio-rnd,id=r "${k[@]}" vm1
bad net-backend 'backend=vde: expected slirp or tap' -s 4,virtio-net,vde \
	"${k[@]}" vm1
bad control-no-dir "vm-control: $tmp/nodir/s: No such file" \
	-l "$tmp/nodir/s" "${k[@]}" vm1
printf 'precious\n' >"$tmp/not-a-socket"
bad control-not-socket 'exists and is not a socket' -l "$tmp/not-a-socket" \
	"${k[@]}" vm1
grep -q precious "$tmp/not-a-socket" && report_ok bad-input-control-file-kept ||
	report_fail bad-input-control-file-kept "the file was overwritten"
bad control-long-path 'a socket path is at most 107 bytes' \
	-l "/tmp/$(printf 'y%.0s' $(seq 1 120))" "${k[@]}" vm1
bad control-unknown-option "vm-control: unknown option 'mode=0666'" \
	-l vm-control,path="$sock",mode=0666 "${k[@]}" vm1
bad stats-empty '-o stats=: an empty path' -o stats= "${k[@]}" vm1
bad name-slash "the VM name may not hold '/'" "${k[@]}" vm/1
bad f-mixed '-f .*: the file describes the whole VM: -s cannot be mixed' \
	-s 3,virtio-rnd -f "$tmp/x.yaml"
bad f-twice '-f b.yaml: only one VM file' -f a.yaml -f b.yaml
bad f-missing "$tmp/none.yaml: No such file or directory" -f "$tmp/none.yaml"
bad f-directory "$tmp: .*(directory|regular file)" -f "$tmp"

# yaml NAME PATTERN TEXT: the file holds TEXT; scorpi -f must refuse it.
yaml()
{
	printf '%b' "$3" >"$tmp/$1.yaml"
	bad "yaml-$1" "$2" -f "$tmp/$1.yaml"
}
kk="kernel: $kernel\ninitrd: $initrd\n"
yaml unknown-key 'unknown-key.yaml:2: colour: unknown key' "name: a\ncolour: blue\n"
yaml bad-memory 'bad-memory.yaml:2: memory: not a memory size' "name: a\nmemory: lots\n"
yaml bad-cpu 'bad-cpu.yaml:2: cpu: not a number of vCPUs' "name: a\ncpu: two\n"
yaml cpu-cores 'cpu-cores.yaml:2: cpu.threads' "name: a\ncpu: {threads: 2}\n"
yaml duplicate-key 'duplicate-key.yaml:3: .*name.*(twice|again|already)' "name: a\ncpu: 1\nname: b\n"
yaml syntax 'syntax.yaml:[0-9]+: YAML syntax error' "name: a\ncpu: [1, 2\n"
yaml not-mapping 'not-mapping.yaml:1: .*mapping' "- name: a\n"
yaml empty 'empty.yaml.*(empty|mapping)' ""
yaml list-for-scalar 'list-for-scalar.yaml:2: memory' "name: a\nmemory: [1, 2]\n"
yaml no-slot 'no-slot.yaml:4: devices.pci\[0\].*slot' "name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n"
yaml bad-slot 'bad-slot.yaml:5: devices.pci\[0\].slot' "name: a\ndevices:\n  pci:\n    - device: virtio-rnd\n      slot: 40\n"
yaml dup-slot 'dup-slot.yaml:[0-9]+: .*slot 3:0 is already taken' "name: a\n${kk}devices:\n  pci:\n    - {device: virtio-rnd, slot: 3}\n    - {device: virtio-rnd, slot: 3}\n"
yaml unknown-device "unknown-device.yaml:4: .*unknown device 'virtio-foo'" "name: a\ndevices:\n  pci:\n    - device: virtio-foo\n      slot: 3\n"
yaml unknown-option "unknown-option.yaml:6: devices.pci\[0\].cache: virtio-blk: unknown option" "name: a\ndevices:\n  pci:\n    - device: virtio-blk\n      slot: 3\n      cache: none\n"
yaml unknown-bus 'unknown-bus.yaml:3: devices.isa' "name: a\ndevices:\n  isa:\n    - device: x\n"
yaml item-not-mapping 'item-not-mapping.yaml:4: devices.pci\[0\]' "name: a\ndevices:\n  pci:\n    - virtio-rnd\n"
yaml alias 'alias.yaml:[0-9]+: .*(anchor|alias)' "name: &n a\ncmdline: *n\n"
yaml two-docs 'two-docs.yaml.*(document)' "name: a\n---\nname: b\n"
yaml not-utf8 'not-utf8.yaml.*' "name: \xff\xfe\n"
yaml usb-no-xhci 'usb-no-xhci.yaml:[0-9]+: .*a USB device needs a USB controller' "name: a\n${kk}devices:\n  usb:\n    - device: kbd\n"
yaml control-no-path 'control-no-path.yaml:[0-9]+: .*vm-control: no socket path' "name: a\n${kk}devices:\n  lpc:\n    - device: vm-control\n"
yaml missing-disk 'virtio-blk /nonexistent/disk.img: No such file' "name: a\n${kk}devices:\n  pci:\n    - {device: virtio-blk, slot: 2, path: /nonexistent/disk.img}\n"
yaml no-name 'no-name.yaml: no name: add name: to the file' "${kk}cpu: 1\n"
yaml bad-bool 'bad-bool.yaml:6: devices.pci\[0\].ro: virtio-blk: ro=perhaps' "name: a\ndevices:\n  pci:\n    - device: virtio-blk\n      slot: 2\n      ro: perhaps\n"
head -c 1100000 /dev/zero | tr '\0' '#' >"$tmp/huge.yaml"
bad yaml-too-big 'huge.yaml.*(1 MiB|too big|large)' -f "$tmp/huge.yaml"

# Where the host has no /dev/kvm, a good command line says so, and how
# the tests run without it.
if [ ! -e /dev/kvm ]; then
	bad no-dev-kvm 'no /dev/kvm.*nested' "${k[@]}" vm1
elif [ -e /sys/module/kvm_pvm ]; then
	unique=
	bad pvm-kvm '/dev/kvm is PVM.*nested' "${k[@]}" vm1
fi
# Unreadable files: as an unprivileged user (root reads everything).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 600 "$tmp/text"
	cp "$kernel" "$tmp/vmlinuz" && chmod 600 "$tmp/vmlinuz"
	cp "$kernel" "$tmp/vmlinuz-readable" && chmod 644 "$tmp/vmlinuz-readable"
	chmod 755 "$tmp"
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	bad unreadable-kernel 'kernel .*: Permission denied' \
		-k "$tmp/vmlinuz" vm1
	bad unreadable-initrd 'initrd .*: Permission denied' \
		-k "$tmp/vmlinuz-readable" -i "$tmp/text" vm1
fi
exit 0

#!/bin/sh
# virtio-net over slirp on arm64: the guest gets 10.0.2.15 by DHCP,
# fetches a page from an HTTP server on L1 (busybox httpd) through
# 10.0.2.2, takes 8 MiB from L1 and sends it 4 MiB (md5 on both sides),
# reads the read-only disk's checksum, writes the other (L1 finds the
# bytes), and answers a connection that L1 makes through hostfwd. The
# guest side is tests/guest/init's "net" test, as for x86_net.sh; L1's
# side uses only what busybox has (httpd, nc).
#
# usage: arm64_net.sh KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: arm64-net-slirp arm64-net-tap
. "$(dirname "$0")/../lib/guest-arm64.sh"

work=$(mktemp -d)
mkdir -p "$work/www"
echo "hello-from-the-host-$$" >"$work/www/hello.txt"
httpd -f -p 18080 -h "$work/www" >"$logs/arm64-http.log" 2>&1 &
http=$!
# Bulk data both ways, one connection each: port 18081 sends blob.bin to
# whoever connects; port 18082 takes all it is sent and records its md5
# in up.md5. (nc -e: the data end on their own, not when the guest's nc
# half-closes its side.)
dd if=/dev/urandom of="$work/blob.bin" bs=1M count=8 2>/dev/null
blob_md5=$(md5sum <"$work/blob.bin" | cut -d' ' -f1)
nc -l -p 18081 -e cat "$work/blob.bin" >"$logs/arm64-bulk-down.log" 2>&1 &
down=$!
nc -l -p 18082 -e sh -c "md5sum | cut -d' ' -f1 >$work/up.md5" \
	>"$logs/arm64-bulk-up.log" 2>&1 &
up=$!
trap 'kill $http $down $up 2>/dev/null; rm -rf "$work"' EXIT

# talk PORT ADDR LOG VM: once the guest listens, connects to ADDR:PORT,
# sends a line and prints the reply; gives up when VM (the pid of the
# "run ... &") is gone. slirp accepts on L1's side before the guest is
# reached, so an empty reply is tried again.
talk()
{
	wait_line "$3" "guest: listening" "$4" || return 1
	_t_i=0
	while [ "$_t_i" -lt 60 ] && kill -0 "$4" 2>/dev/null; do
		_t_reply=$(echo hello-from-host | timeout 60 nc "$2" "$1" 2>/dev/null)
		if [ -n "$_t_reply" ]; then
			echo "$_t_reply"
			return 0
		fi
		sleep 3
		_t_i=$((_t_i + 1))
	done
	return 1
}

head -c 4194304 /dev/urandom >"$work/seed.img"
truncate -s 16M "$work/disk.img"
seed_md5=$(md5sum <"$work/seed.img" | cut -d' ' -f1)
log=$logs/arm64-net-slirp.log
EXTRA_CMDLINE="scorpi.netaddr=dhcp scorpi.nethost=10.0.2.2:18080"
run arm64-net-slirp -c 2 -m 512M \
	-s 2,virtio-blk,"$work/disk.img" -s 3,virtio-blk,"$work/seed.img",ro \
	-s 4,virtio-net,slirp,hostfwd=tcp::18022-:8022 -s 5,virtio-rnd \
	-- net &
vm=$!
EXTRA_CMDLINE=
reply=$(talk 18022 127.0.0.1 "$log" "$vm")
wait $vm
rc=$?
name=arm64-net-slirp
if expect_exit $name 0 "$rc" "$log" &&
	expect_grep $name "guest: dhcp 10.0.2.15 router 10.0.2.2 dns 10.0.2.3" "$log" &&
	expect_grep $name "guest: queues rx-0 tx-0 " "$log" &&
	expect_grep $name "guest: eth0 10.0.2.15/24 mac 52:54:00:" "$log" &&
	expect_grep $name "guest: fetched hello-from-the-host-$$" "$log" &&
	expect_grep $name "guest: got hello-from-host" "$log" &&
	expect_grep $name "guest: blob md5 $blob_md5" "$log" &&
	expect_grep $name "guest: vdb md5 $seed_md5" "$log"; then
	up_md5=$(field "$log" 's/^guest: up md5 \([0-9a-f]*\)$/\1/p')
	if [ "$reply" != reply-from-guest ]; then
		report_fail $name "L1 got '$reply' from the guest through hostfwd"
	elif [ -z "$up_md5" ] || [ "$up_md5" != "$(cat "$work/up.md5" 2>/dev/null)" ]; then
		report_fail $name "the guest sent data with md5 '$up_md5'; L1 got '$(cat "$work/up.md5" 2>/dev/null)'"
	elif [ "$(head -c 15 "$work/disk.img")" != scorpi-net-test ]; then
		report_fail $name "the guest's write is not in disk.img"
	else
		report_ok $name
	fi
fi
# tap: a tap device made here (busybox tunctl), 192.168.77.1 on L1's side;
# the guest gets a static address and a MAC of our choosing.
if ! tunctl -t scorpitap0 >"$logs/arm64-tap.log" 2>&1 ||
	! ip addr add 192.168.77.1/24 dev scorpitap0 2>>"$logs/arm64-tap.log" ||
	! ip link set scorpitap0 up 2>>"$logs/arm64-tap.log"; then
	report_fail arm64-net-tap "cannot make a tap device: $(head -n 1 "$logs/arm64-tap.log")"
	exit 0
fi
# New listeners for the bulk data: each took one connection above.
kill $down $up 2>/dev/null
rm -f "$work/up.md5"
nc -l -p 18081 -e cat "$work/blob.bin" >>"$logs/arm64-bulk-down.log" 2>&1 &
down=$!
nc -l -p 18082 -e sh -c "md5sum | cut -d' ' -f1 >$work/up.md5" \
	>>"$logs/arm64-bulk-up.log" 2>&1 &
up=$!
log=$logs/arm64-net-tap.log
EXTRA_CMDLINE="scorpi.netaddr=192.168.77.2/24 scorpi.nethost=192.168.77.1:18080"
run arm64-net-tap -c 2 -s 4,virtio-net,tap=scorpitap0,mac=52:54:00:ab:cd:ef \
	-- net &
vm=$!
EXTRA_CMDLINE=
reply=$(talk 8022 192.168.77.2 "$log" "$vm")
wait $vm
rc=$?
name=arm64-net-tap
if expect_exit $name 0 "$rc" "$log" &&
	expect_grep $name "guest: eth0 192.168.77.2/24 mac 52:54:00:ab:cd:ef" "$log" &&
	expect_grep $name "guest: fetched hello-from-the-host-$$" "$log" &&
	expect_grep $name "guest: got hello-from-host" "$log" &&
	expect_grep $name "guest: blob md5 $blob_md5" "$log"; then
	up_md5=$(field "$log" 's/^guest: up md5 \([0-9a-f]*\)$/\1/p')
	if [ "$reply" != reply-from-guest ]; then
		report_fail $name "L1 got '$reply' from the guest over the tap"
	elif [ -z "$up_md5" ] || [ "$up_md5" != "$(cat "$work/up.md5" 2>/dev/null)" ]; then
		report_fail $name "the guest sent data with md5 '$up_md5'; L1 got '$(cat "$work/up.md5" 2>/dev/null)'"
	else
		report_ok $name
	fi
fi
ip link delete scorpitap0 2>/dev/null || tunctl -d scorpitap0 >/dev/null 2>&1
exit 0

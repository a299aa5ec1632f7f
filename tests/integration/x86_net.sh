#!/usr/bin/env bash
# virtio-net over slirp and over a tap: the guest gets its address (DHCP
# from slirp, or a static one on the tap's subnet), fetches a page from an
# HTTP server on the host side, and answers a connection the host makes
# to it (through hostfwd with slirp, straight over the tap). The slirp run
# uses the issue's whole command line, disks and entropy device included.
#
# usage: x86_net.sh SCORPI KERNEL INITRD LOGDIR
#
# The results a passing run reports (tests/lib/report.sh: the harness
# fails each one missing, and the script's exit status as script-NAME):
# expects: net-slirp net-tap
set -u
. "$(dirname "$0")/../lib/guest.sh"

work=$(mktemp -d)
mkdir -p "$work/www"
echo "hello-from-the-host-$$" >"$work/www/hello.txt"
python3 -m http.server 18080 --bind 0.0.0.0 --directory "$work/www" \
	>"$logs/http.log" 2>&1 &
http=$!
# Bulk data both ways: port 18081 sends blob.bin to whoever connects;
# port 18082 takes all it is sent and records its md5 in up.md5.
head -c 8M /dev/urandom >"$work/blob.bin"
blob_md5=$(md5sum <"$work/blob.bin" | cut -d' ' -f1)
python3 - "$work" <<-'PY' >"$logs/bulk.log" 2>&1 &
	import hashlib, os, socket, sys, threading
	work = sys.argv[1]
	def serve(port, handle):
	    s = socket.socket()
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	    s.bind(("0.0.0.0", port))
	    s.listen(4)
	    while True:
	        c, _ = s.accept()
	        threading.Thread(target=handle, args=(c,), daemon=True).start()
	def send_blob(c):
	    with open(os.path.join(work, "blob.bin"), "rb") as f:
	        c.sendall(f.read())
	    c.close()
	def take(c):
	    h = hashlib.md5()
	    while True:
	        d = c.recv(65536)
	        if not d:
	            break
	        h.update(d)
	    c.close()
	    with open(os.path.join(work, "up.md5"), "a") as f:
	        f.write(h.hexdigest() + "\n")
	threading.Thread(target=serve, args=(18081, send_blob), daemon=True).start()
	serve(18082, take)
PY
bulk=$!
trap 'kill $http $bulk 2>/dev/null; rm -rf "$work"' EXIT

# talk PORT ADDR LOG: once the guest listens, connects to ADDR:PORT, sends
# a line and prints the reply.
talk()
{
	local port=$1 addr=$2 log=$3
	for _ in $(seq 1 "$limit"); do
		grep -q "guest: listening" "$log" 2>/dev/null && break
		sleep 1
	done
	python3 - "$addr" "$port" <<-'PY'
		import socket, sys, time
		deadline = time.time() + 180
		while time.time() < deadline:
		    try:
		        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
		        s.sendall(b"hello-from-host\n")
		        s.shutdown(socket.SHUT_WR)
		        data = b""
		        while True:
		            chunk = s.recv(4096)
		            if not chunk:
		                break
		            data += chunk
		        print(data.decode(errors="replace").strip())
		        break
		    except OSError:
		        time.sleep(2)
	PY
}

# check NAME LOG REPLY WANT_ADDR: the guest's and the host's side.
check()
{
	local name=$1 log=$2 reply=$3 addr=$4
	expect_grep "$name" "guest: eth0 $addr mac 52:54:00:" "$log" || return 1
	expect_grep "$name" "guest: fetched hello-from-the-host-$$" "$log" ||
		return 1
	expect_grep "$name" "guest: got hello-from-host" "$log" || return 1
	if [ "$reply" != reply-from-guest ]; then
		report_fail "$name" "the host got '$reply' from the guest"
		return 1
	fi
	# 8 MiB to the guest and 4 MiB from it, whole.
	expect_grep "$name" "guest: blob md5 $blob_md5" "$log" || return 1
	local up
	up=$(tr -d '\r' <"$log" | sed -n 's/^guest: up md5 \([0-9a-f]*\)$/\1/p')
	if [ -z "$up" ] || ! grep -q "^$up$" "$work/up.md5" 2>/dev/null; then
		report_fail "$name" "the guest sent data with md5 '$up'; the host got $(tr '\n' ' ' <"$work/up.md5" 2>/dev/null)"
		return 1
	fi
	return 0
}

# slirp, with the issue's command line.
head -c 4M /dev/urandom >"$work/seed.img"
truncate -s 16M "$work/disk.img"
seed_md5=$(md5sum <"$work/seed.img" | cut -d' ' -f1)
log=$logs/net-slirp.log
EXTRA_CMDLINE="scorpi.netaddr=dhcp scorpi.nethost=10.0.2.2:18080" \
	run net-slirp -c 2 -m 512M -s 0,hostbridge \
	-s 2,virtio-blk,"$work/disk.img" -s 3,virtio-blk,"$work/seed.img",ro \
	-s 4,virtio-net,slirp,hostfwd=tcp::18022-:8022 -s 5,virtio-rnd \
	-- net &
vm=$!
reply=$(talk 18022 127.0.0.1 "$log")
wait $vm
rc=$?
if expect_exit net-slirp 0 "$rc" "$log" &&
	expect_grep net-slirp "guest: dhcp 10.0.2.15 router 10.0.2.2 dns 10.0.2.3" "$log" &&
	expect_grep net-slirp "guest: queues rx-0 tx-0 " "$log" &&
	check net-slirp "$log" "$reply" "10.0.2.15/24" &&
	expect_grep net-slirp "guest: vdb md5 $seed_md5" "$log"; then
	if [ "$(head -c 15 "$work/disk.img")" = scorpi-net-test ]; then
		report_ok net-slirp
	else
		report_fail net-slirp "the guest's write is not in disk.img"
	fi
fi

# tap: a tap device made here, 192.168.77.1 on the host's side, with two
# queue pairs (-c 2).
# multi_queue: one queue pair per vCPU, through the control queue.
if ! ip tuntap add dev scorpitap0 mode tap multi_queue 2>"$logs/tap.log" ||
	! ip addr add 192.168.77.1/24 dev scorpitap0 2>>"$logs/tap.log" ||
	! ip link set scorpitap0 up 2>>"$logs/tap.log"; then
	report_fail net-tap "cannot make a tap device: $(head -n 1 "$logs/tap.log")"
	exit 0
fi
log=$logs/net-tap.log
EXTRA_CMDLINE="scorpi.netaddr=192.168.77.2/24 scorpi.nethost=192.168.77.1:18080" \
	run net-tap -c 2 -m 512M -s 4,virtio-net,tap=scorpitap0,mac=52:54:00:aa:bb:cc \
	-- net &
vm=$!
reply=$(talk 8022 192.168.77.2 "$log")
wait $vm
rc=$?
if expect_exit net-tap 0 "$rc" "$log" &&
	expect_grep net-tap "guest: queues rx-0 rx-1 tx-0 tx-1 " "$log" &&
	check net-tap "$log" "$reply" "192.168.77.2/24"; then
	expect_grep net-tap "mac 52:54:00:aa:bb:cc" "$log" && report_ok net-tap
fi
ip link del scorpitap0 2>/dev/null
exit 0

#!/usr/bin/env python3
# Writes seed inputs for fuzz_virtio_pci into the directory given: a driver
# bringing the device up (features, a queue, DRIVER_OK), posting a buffer
# and kicking; the same through the PCI_CFG window; and a driver that
# breaks the rules (DRIVER_OK first, features never offered, a queue past
# the last); and virtio-console's control queues (DEVICE_READY,
# PORT_READY, an unknown event) and a port's output. The layout is the one
# fuzz_virtio_pci.c reads (a device byte, then 12-byte operations); see
# its header comment.
import os
import struct
import sys

BAR_R, BAR_W, CFG_R, CFG_W, RAM_W, YIELD = range(6)
SIZE = {1: 0, 2: 1, 4: 2, 8: 3}
CSIZE = {1: 0, 2: 1, 4: 2}
ISR, DEVCFG, NOTIFY = 0x1000, 0x2000, 0x3000
DESC, AVAIL, USED, BUF = 0x1000, 0x2000, 0x3000, 0x4000
# The PCI_CFG capability: after common (0x40), notify (0x50), ISR (0x64)
# and device (0x74).
CFG_CAP = 0x84


def op(kind, size, off, value=0):
    sz = (SIZE if kind in (BAR_R, BAR_W) else CSIZE).get(size, 0)
    return struct.pack("<BBHQ", kind, sz, off & 0xFFFF, value & (2**64 - 1))


def bw(off, size, v):
    return op(BAR_W, size, off, v)


def status(v):
    return bw(0x14, 1, v)


def features(lo, hi):
    return bw(0x08, 4, 0) + bw(0x0C, 4, lo) + bw(0x08, 4, 1) + bw(0x0C, 4, hi)


def queue(q, size=16, base=0):
    return (bw(0x16, 2, q) + bw(0x18, 2, size) + bw(0x20, 8, base + DESC) +
            bw(0x28, 4, base + AVAIL) + bw(0x2C, 4, 0) +
            bw(0x30, 8, base + USED) + bw(0x1C, 2, 1))


def q64(b):
    return struct.unpack("<Q", b)[0]


# Descriptor n (avail ring[i] = i throughout), then avail idx = n + 1.
def buffer(base=0, buf=BUF, length=64, flags=2, n=0):
    desc = struct.pack("<QIHH", buf, length, flags, 0)
    d = base + DESC + 16 * n
    ring = b""
    if n >= 2:
        ring = op(RAM_W, 8, base + AVAIL + 4 + 2 * n,
                  q64(struct.pack("<HHHH", n, n + 1, n + 2, n + 3)))
    return (op(RAM_W, 8, d, q64(desc[:8])) + op(RAM_W, 8, d + 8, q64(desc[8:]))
            + ring + op(RAM_W, 8, base + AVAIL,
                        q64(struct.pack("<HHHH", 0, n + 1, 0, 1))))


def control(event, port, value, base, buf, n):
    msg = struct.pack("<IHH", port, event, value)
    return (op(RAM_W, 8, buf, q64(msg)) + buffer(base, buf, 8, 0, n))


def up():
    return (status(1) + status(3) + features(0x9, 1) + status(11) +
            queue(0) + status(15))


def window(off, length):
    return (op(CFG_W, 1, CFG_CAP + 4, 0) + op(CFG_W, 4, CFG_CAP + 8, off) +
            op(CFG_W, 4, CFG_CAP + 12, length))


# virtio-console: queue 2 control in, 3 control out, 5 port 1's output,
# each with its rings 0x100 apart (RAM is 64 KiB).
console = (status(1) + status(3) + features(0x3, 1) + status(11) +
           queue(2, 16, 0x100) + queue(3, 16, 0x200) + queue(5, 16, 0x300) +
           status(15) + buffer(0x100, 0x8000, 64) + bw(NOTIFY + 8, 2, 2) +
           control(0, 0, 1, 0x200, 0x9000, 0) + bw(NOTIFY + 12, 2, 3) +
           op(YIELD, 1, 0) + control(3, 1, 1, 0x200, 0x9100, 1) +
           bw(NOTIFY + 12, 2, 3) + buffer(0x300, 0xA000, 32, 0) +
           bw(NOTIFY + 20, 2, 5) + op(YIELD, 1, 0) +
           control(99, 7, 1, 0x200, 0x9200, 2) + bw(NOTIFY + 12, 2, 3))

seeds = {
    "up": up() + buffer() + bw(NOTIFY, 2, 0) + op(YIELD, 1, 0) +
    op(BAR_R, 1, ISR) + op(BAR_R, 4, DEVCFG) + status(0) + status(1),
    "window": window(0x12, 2) + op(CFG_R, 2, CFG_CAP + 16) +
    window(0x14, 1) + op(CFG_W, 1, CFG_CAP + 16, 1) + window(ISR, 1) +
    op(CFG_R, 1, CFG_CAP + 16) + window(0xFFFFFFFC, 4) +
    op(CFG_W, 4, CFG_CAP + 16, 0x12345678),
    "rude": status(15) + features(0xFFFFFFFF, 0xFFFFFFFF) + status(11) +
    bw(0x16, 2, 40) + bw(0x20, 8, DESC) + bw(0x1C, 2, 1) + queue(1, 3) +
    status(15) + bw(NOTIFY + 4, 4, 1) + op(YIELD, 1, 0) + status(0),
    "msix": op(CFG_R, 4, 0x34) + bw(0x4000, 4, 0xFEE00000) +
    bw(0x4008, 4, 0x41) + bw(0x400C, 4, 0) + bw(0x10, 2, 0) +
    op(BAR_R, 8, 0x6000) + up() + buffer() + bw(NOTIFY, 2, 0),
}
seeds = {name: b"\x00" + data for name, data in seeds.items()}
seeds["console"] = b"\x01" + console

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

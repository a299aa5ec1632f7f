#!/usr/bin/env python3
# Writes seed inputs for fuzz_virtqueue into the directory given: well-formed
# queues (chains, indirect tables, index wrap, EVENT_IDX, rings in the high
# region, a driver script) that the fuzzer then mutates. The layout is the
# one fuzz_virtqueue.c reads; see its header comment.
import os
import struct
import sys

HI_HOST = 0x8000  # gpa 0x10000 lies at host offset 0x8000
NEXT, WRITE, INDIRECT = 1, 2, 4


class Seed:
    def __init__(self, qsize, mode=0, place=0, start=0):
        self.q = qsize
        self.mode, self.place, self.start = mode, place, start
        self.ram = bytearray(0x400)
        self.script = b""
        shift = [((place >> s) & 3) * 0x6000 if mode & 0x80 else 0
                 for s in (0, 2, 4)]
        self.desc = shift[0]
        self.avail = shift[1] + 16 * qsize
        self.used = shift[2] + ((18 * qsize + 6 + 3) & ~3)
        self.idx = start
        self.put(self.avail + 2, struct.pack("<H", start & 0xFFFF))

    def host(self, gpa):
        return gpa - 0x10000 + HI_HOST if gpa >= 0x10000 else gpa

    def put(self, gpa, data):
        off = self.host(gpa)
        if len(self.ram) < off + len(data):
            self.ram.extend(bytes(off + len(data) - len(self.ram)))
        self.ram[off:off + len(data)] = data

    def desc_at(self, table, i, addr, length, flags, nxt=0):
        self.put(table + 16 * i, struct.pack("<QIHH", addr, length, flags, nxt))

    def offer(self, head):
        slot = self.avail + 4 + 2 * (self.idx % self.q)
        self.put(slot, struct.pack("<H", head))
        self.idx = (self.idx + 1) & 0xFFFF
        self.put(self.avail + 2, struct.pack("<H", self.idx))

    def write_later(self, gpa, value):
        """A driver write made while the device works (host offset)."""
        self.script += struct.pack("<HH", self.host(gpa), value)

    def data(self):
        header = bytes([self.q.bit_length() - 1, self.mode,
                        len(self.script) // 4, self.place])
        header += struct.pack("<H", self.start) + b"\0\0"
        return header + self.script + bytes(self.ram)


def seeds():
    s = Seed(8)  # a readable then writable chain, and a single buffer
    s.desc_at(s.desc, 0, 0x300, 16, NEXT, 1)
    s.desc_at(s.desc, 1, 0x320, 32, WRITE, 0)
    s.desc_at(s.desc, 3, 0x340, 8, WRITE)
    s.offer(0)
    s.offer(3)
    yield "chain", s

    s = Seed(8, mode=1)  # an indirect table
    s.desc_at(0x200, 0, 0x300, 16, NEXT, 1)
    s.desc_at(0x200, 1, 0x320, 8, NEXT, 2)
    s.desc_at(0x200, 2, 0x340, 64, WRITE)
    s.desc_at(s.desc, 2, 0x200, 48, INDIRECT)
    s.offer(2)
    yield "indirect", s

    s = Seed(4, mode=2 | 8, start=65534)  # EVENT_IDX across the wrap
    for i in range(4):
        s.desc_at(s.desc, i, 0x300 + 16 * i, 16, WRITE)
        s.offer(3 - i)
    s.put(s.avail + 4 + 2 * 4, struct.pack("<H", 65535))  # used_event
    yield "event-wrap", s

    s = Seed(16, mode=4 | 8)  # the driver adds buffers while we work
    s.desc_at(s.desc, 5, 0x300, 4, WRITE)
    s.offer(5)
    s.put(s.avail + 4 + 2, struct.pack("<H", 5))
    s.put(s.avail + 4 + 4, struct.pack("<H", 5))
    s.write_later(s.avail + 2, 2)
    s.write_later(s.avail + 2, 3)
    yield "script", s

    # Rings and buffers in the high region, indirect and EVENT_IDX.
    s = Seed(2, mode=0x80 | 3, place=0x3F)
    s.desc_at(0x10800, 0, 0x10900, 8, NEXT, 1)
    s.desc_at(0x10800, 1, 0x7FF0, 16, WRITE)
    s.desc_at(s.desc, 1, 0x10800, 32, INDIRECT)
    s.offer(1)
    yield "high", s


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, s in seeds():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(s.data())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# The host side of the crash test (tests/integration/crash_x86.sh): checks
# that every batch a guest's blk-journal (tests/guest/blk_journal.c)
# printed as flushed is on the image, intact: each of its records has the
# magic, the generation, its batch and index, and a checksum that matches.
#
#   journal_check.py IMAGE GENERATION LAST_BATCH
#
# Prints "batches 0..LAST_BATCH of generation G: N intact, M lost" and,
# for the first few lost ones, what was found; exits 1 when any is lost.
import struct
import sys

RECORD_SIZE = 4096
PER_BATCH = 8
MAGIC = 0x4E524A53
HEADER = struct.Struct("<IIQIIQ")


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def record_problem(rec, gen, batch, index):
    if len(rec) != RECORD_SIZE:
        return "short read"
    magic, g, b, i, _, checksum = HEADER.unpack_from(rec)
    if magic != MAGIC:
        return "no record (magic %#x)" % magic
    if (g, b, i) != (gen, batch, index):
        return "record of generation %d batch %d index %d" % (g, b, i)
    zeroed = rec[:24] + b"\0" * 8 + rec[32:]
    if fnv1a(zeroed) != checksum:
        return "checksum mismatch"
    return None


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: journal_check.py IMAGE GENERATION LAST_BATCH")
    image, gen, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lost = []
    with open(image, "rb") as f:
        for batch in range(last + 1):
            for index in range(PER_BATCH):
                f.seek((batch * PER_BATCH + index) * RECORD_SIZE)
                why = record_problem(f.read(RECORD_SIZE), gen, batch, index)
                if why:
                    lost.append((batch, index, why))
                    break
    print("batches 0..%d of generation %d: %d intact, %d lost"
          % (last, gen, last + 1 - len(lost), len(lost)))
    for batch, index, why in lost[:5]:
        print("  batch %d, record %d: %s" % (batch, index, why))
    sys.exit(1 if lost else 0)


main()

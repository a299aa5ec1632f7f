#!/usr/bin/env python3
# Writes seed inputs for fuzz_pci into the directory given: what firmware
# and a driver do (BAR sizing and programming, memory decoding on, MSI-X
# set up, masked and unmasked, INTx raised with INTx disable toggled),
# which the fuzzer then mutates. The operation stream is the one
# fuzz_pci.c reads: an op byte (kind in the low nibble, size 1/2/4/8 in
# bits 4-5, write in bit 6, a flag in bit 7) and its operands.
import os
import struct
import sys

SIZES = {1: 0, 2: 1, 4: 2, 8: 3}
MSIX_CAP = 0x40  # the first capability of the MSI-X function


def ecam(fn, reg, size, value=None):
    op = 2 | SIZES[size] << 4 | (0x40 if value is not None else 0)
    out = bytes([op]) + struct.pack("<HB", reg, fn)
    if value is not None:
        out += value.to_bytes(size, "little")
    return out


def cf8(fn, reg):
    return bytes([0x80]) + struct.pack("<I", 0x80000000 | (2 + fn) << 11 | reg)


def cfc(size, value=None):
    op = 1 | SIZES[size] << 4 | (0x40 if value is not None else 0)
    out = bytes([op, 4])
    if value is not None:
        out += value.to_bytes(size, "little")
    return out


def table(off, size, value=None):
    op = 7 | SIZES[size] << 4 | (0x40 if value is not None else 0)
    out = bytes([op]) + struct.pack("<H", off)
    if value is not None:
        out += value.to_bytes(size, "little")
    return out


def mmio32(off, size, value=None):
    op = 4 | SIZES[size] << 4 | (0x40 if value is not None else 0)
    out = bytes([op]) + struct.pack("<I", off)
    if value is not None:
        out += value.to_bytes(size, "little")
    return out


def intx(dev, level):
    return bytes([8 | (0x40 if level else 0) | (0x80 if dev else 0)])


def notify(v):
    return bytes([9, v])


PBA = bytes([11])

seeds = {
    "sizing": b"".join(
        ecam(0, 0x10 + 4 * i, 4, 0xFFFFFFFF) + ecam(0, 0x10 + 4 * i, 4)
        for i in range(6)
    )
    + ecam(0, 0x10, 8, 0xE0000000)
    + ecam(0, 0x18, 4, 0xE0002000)
    + ecam(1, 0x10, 4, 0xE0001000)
    + ecam(0, 4, 2, 2)
    + ecam(1, 4, 2, 2)
    + mmio32(0x20001000, 4)
    + mmio32(0x20002000, 8, 1),
    "msix": ecam(0, 4, 2, 2)
    + ecam(0, MSIX_CAP + 2, 2, 0xC000)
    + table(0x1000, 8, 0xFEE00000)
    + table(0x1008, 4, 0x4041)
    + table(0x100C, 4, 0)
    + notify(0)
    + PBA
    + ecam(0, MSIX_CAP + 2, 2, 0x8000)
    + notify(0)
    + notify(1)
    + table(0x1800, 8)
    + table(0x101C, 4, 0)
    + PBA
    + bytes([0x8A]),
    "intx": intx(0, 1)
    + cf8(0, 4)
    + cfc(4, 0x400)
    + cfc(4)
    + intx(0, 0)
    + intx(0, 1)
    + cfc(2, 0)
    + intx(1, 1)
    + ecam(1, 4, 2, 0x400)
    + ecam(0, MSIX_CAP + 2, 2, 0x8000)
    + bytes([0x0A]),
}

os.makedirs(sys.argv[1], exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(data)

#!/usr/bin/env python3
# The smallest 64-bit bzImage Scorpi's x86 loader takes, for the scorpi
# command on the fake hypervisor (which runs none of it): the shell
# twin of tests/unit/tiny_bzimage.c.
#
#   tiny_bzimage.py PATH
import struct
import sys

b = bytearray(5 * 512 + 4096)
b[0x1f1] = 4                                          # setup_sects
struct.pack_into("<I", b, 0x1f4, 4096 // 16)          # syssize
struct.pack_into("<HH", b, 0x1fe, 0xaa55, 0x6aeb)
b[0x202:0x206] = b"HdrS"
struct.pack_into("<H", b, 0x206, 0x020f)              # protocol 2.15
b[0x211] = 1                                          # LOADED_HIGH
struct.pack_into("<I", b, 0x214, 0x100000)
struct.pack_into("<IIBBHI", b, 0x22c, 0x7fffffff, 0x200000, 1, 21, 3, 0x7ff)
struct.pack_into("<QI", b, 0x258, 0x1000000, 1 << 20)
open(sys.argv[1], "wb").write(b)

#!/usr/bin/env python3
"""The firmware's boot order as a guest printed it (tests/guest/init,
efi-boot: "guest: efi BootOrder HEX" and "guest: efi BootXXXX HEX", the
efivarfs files with their 4 bytes of attributes first): one line per
entry of BootOrder, in order, "XXXX pci=DD.F description", where DD.F is
the first PCI node of its device path (UEFI 2.x, 10.3.2.1) or "-".

usage: efi_boot_order.py CONSOLE_LOG
Exits 1 when the log has no BootOrder."""
import re
import sys


def load_option(data):
    """Description and first PCI node of an EFI_LOAD_OPTION."""
    path_len = int.from_bytes(data[4:6], "little")
    desc_end = 6
    while desc_end + 1 < len(data) and data[desc_end:desc_end + 2] != b"\0\0":
        desc_end += 2
    desc = data[6:desc_end].decode("utf-16-le", "replace")
    path = data[desc_end + 2:desc_end + 2 + path_len]
    pci = "-"
    off = 0
    while off + 4 <= len(path):
        kind, sub = path[off], path[off + 1]
        length = int.from_bytes(path[off + 2:off + 4], "little")
        if kind == 0x7F or length < 4:
            break
        if kind == 0x01 and sub == 0x01 and length >= 6:
            pci = "%02x.%x" % (path[off + 5], path[off + 4])
            break
        off += length
    return desc, pci


def main():
    text = open(sys.argv[1], errors="replace").read().replace("\r", "")
    vars_ = dict(re.findall(r"guest: efi (Boot[0-9A-F]{4}|BootOrder) ([0-9a-f]*)",
                            text))
    if "BootOrder" not in vars_:
        print("no BootOrder in the log")
        return 1
    order = bytes.fromhex(vars_["BootOrder"])[4:]
    for i in range(0, len(order) - 1, 2):
        n = "%04X" % int.from_bytes(order[i:i + 2], "little")
        raw = vars_.get("Boot" + n)
        if raw is None:
            print(n, "pci=- (no such Boot variable)")
            continue
        desc, pci = load_option(bytes.fromhex(raw)[4:])
        print(n, "pci=" + pci, desc)
    return 0


if __name__ == "__main__":
    sys.exit(main())

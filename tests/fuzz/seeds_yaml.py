#!/usr/bin/env python3
# Seeds for fuzz_yaml: VM files that load, using every part of the schema.
import os
import sys

SEEDS = {
    "full.yaml": """name: vm1
cpu: {cores: 2}
memory: {size: 2G}
console: stdio
reboot: exit
kernel: /boot/vmlinuz
initrd: /boot/initrd
cmdline: "console=ttyS0 root=/dev/vda"
stats: /tmp/stats.json
devices:
  pci:
    - {device: hostbridge, slot: 0}
    - {device: xhci, slot: 1, id: usb0}
    - device: virtio-blk
      slot: "2:0"
      path: disk.img
      ro: true
      serial: abc
      aio: threads
    - device: virtio-net
      slot: 4
      backend: slirp
      hostfwd: [tcp::2222-:22, "udp:127.0.0.1:53-:53"]
      mac: 52:54:00:12:34:56
    - {device: virtio-console, slot: 5, port: ["a:/tmp/a", "b:/tmp/b"]}
    - {device: virtio-rnd, slot: 6, func: 1}
  usb:
    - device: kbd
      parent: usb0
    - {device: net, backend: slirp}
  lpc:
    - device: vm-control
      path: /tmp/vm.sock
""",
    "small.yaml": "name: a\ncpu: 1\nmemory: 256M\n",
    "blocks.yaml": "name: b\ndevices:\n  pci:\n    - device: virtio-net\n      slot: 3\n      hostfwd:\n        - tcp::1-:2\n        - tcp::3-:4\n",
}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, text in SEEDS.items():
    with open(os.path.join(out, name), "w") as f:
        f.write(text)

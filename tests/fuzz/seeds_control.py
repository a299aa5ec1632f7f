#!/usr/bin/env python3
# Seeds for fuzz_control: a client's byte streams. The first byte picks
# the size of the pieces the harness feeds; the rest is request lines.
import os
import sys

LINES = [
    b'{"id":1,"command":"status"}',
    b'{"id":"a","command":"pause","arguments":{}}',
    b'{"id":2,"command":"hostfwd-add","arguments":{"rule":"tcp:127.0.0.1:2222-:22"}}',
    b'{"id":3,"command":"hostfwd-remove","arguments":{"rule":"udp::53-:53","device":"net0"}}',
    b'{"id":4,"command":"hostfwd-add","arguments":{"device":"net0"}}',
    b'{"id":5,"command":"status","arguments":{"x":"1"}}',
    b'{"id":6,"command":"frob"}',
    b'{"id":7}',
    b'{"id":null,"command":"status"}',
    b'{"id":8,"command":"status","extra":1}',
    b'{"id":9,"command":"status","arguments":5}',
    b'[1,2]',
    b'not json',
    b'{"id":10,"command":"hostfwd-add","arguments":{"rule":"\\u00e9\\ud83d\\ude00"}}',
    b'{"id":1e400,"command":"status"}',
    b'{"id":11,"command":"status"}\r',
]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for i, line in enumerate(LINES):
        with open(os.path.join(out, "line%02d" % i), "wb") as f:
            f.write(bytes([0]) + line + b"\n")
    with open(os.path.join(out, "stream"), "wb") as f:
        f.write(bytes([3]) + b"\n".join(LINES) + b"\n")
    with open(os.path.join(out, "too-long"), "wb") as f:
        f.write(bytes([200]) + b"x" * 5000 + b"\n" + LINES[0] + b"\n")


if __name__ == "__main__":
    main()

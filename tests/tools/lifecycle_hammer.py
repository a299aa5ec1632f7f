#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Control-socket clients that drive a VM's lifecycle as fast as they can.

usage: lifecycle_hammer.py SOCKET SECONDS

Two connections, each sending its commands (pause, resume, status,
reset) in a loop and waiting for every reply, until the VM ends (the
socket closes) or SECONDS pass. Every command must get an answer, ok or
wrong-state, within 30 s: exit status 0 when they all did (and there
were at least 10), 1 otherwise. Used by tests/integration/x86_lifecycle.sh
and tests/unit/lifecycle_socket.sh.
"""
import json
import socket
import sys
import threading
import time

path, seconds = sys.argv[1], float(sys.argv[2])
lock = threading.Lock()
replies = {}
bad = []


def client(cmds):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
    except OSError as e:
        with lock:
            bad.append("connect: %s" % e)
        return
    s.settimeout(30)
    f = s.makefile("rb")
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        cmd = cmds[i % len(cmds)]
        i += 1
        try:
            s.sendall(json.dumps({"id": i, "command": cmd}).encode() + b"\n")
        except OSError:
            return  # the VM ended
        while True:
            try:
                line = f.readline()
            except socket.timeout:
                with lock:
                    bad.append("no reply to %s in 30 s" % cmd)
                return
            except OSError:
                return
            if not line.endswith(b"\n"):
                return  # the VM ended
            msg = json.loads(line)
            if "event" not in msg:
                break
        with lock:
            replies[cmd] = replies.get(cmd, 0) + 1
            if not msg.get("ok") and msg["error"]["code"] != "wrong-state":
                bad.append("%s: %s" % (cmd, msg["error"]["code"]))


threads = [threading.Thread(target=client, args=(c,)) for c in
           (["pause", "status", "resume", "status"],
            ["reset", "status", "pause", "resume"])]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("replies", json.dumps(replies, sort_keys=True), "bad", bad)
sys.exit(0 if sum(replies.values()) >= 10 and not bad else 1)

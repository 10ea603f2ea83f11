#!/usr/bin/env python3
"""Connections that never finish a handshake, for t_slowloris.sh.

    slowloris.py flood PORT NETS PER STATUS_FILE
        From 127.0.N.1 (N = 1..NETS, each its own /24, all on loopback) keep
        PER connections each open to 127.0.0.1:PORT: half send nothing, half
        send one byte every half second.  Whatever the agent closes is
        dialed again a second later.  Every half second STATUS_FILE gets
        "connects=C open=O" (C counts every connect that succeeded).  Runs
        until killed.
    slowloris.py probe PORT SRC N
        N connections from SRC (one /24) at once, alternately silent and one
        byte every half second.  Prints one JSON object: "open" is how many
        the agent still held once the count settled (or after 2.5 s), and
        "closed" the seconds after its connect at which each of those was
        closed (null if still open 12 s on).
    slowloris.py relay SRC PORT PORT_FILE
        Listen on SRC (port 0, written to PORT_FILE) and relay every
        connection to 127.0.0.1:PORT from the source address SRC, so that a
        peer dialing the relay reaches the agent from SRC.
"""
import collections
import errno
import json
import os
import selectors
import socket
import sys
import threading
import time


def dial(src, port):
    s = socket.socket()
    s.setblocking(False)
    s.bind((src, 0))
    err = s.connect_ex(("127.0.0.1", port))
    if err not in (0, errno.EINPROGRESS):
        s.close()
        return None
    return s


def flood(port, nets, per, status):
    port, nets, per = int(port), int(nets), int(per)
    sel = selectors.DefaultSelector()
    conns = {}          # socket -> [src, connected, trickle]
    want = [(src, i % 2 == 1) for src in
            ("127.0.%d.1" % n for n in range(1, nets + 1)) for i in range(per)]
    connects = 0
    pending = collections.deque((0.0, src, trickle) for src, trickle in want)
    last_trickle = last_status = 0.0

    def drop(s):
        sel.unregister(s)
        src, _, trickle = conns.pop(s)
        s.close()
        pending.append((time.monotonic() + 1.0, src, trickle))

    while True:
        # Dial again whatever was closed a second ago, a few hundred at a
        # time, so that the attacker does not hog a loaded machine's CPU.
        now = time.monotonic()
        for _ in range(min(len(pending), 200)):
            if pending[0][0] > now:
                break
            _, src, trickle = pending.popleft()
            s = dial(src, port)
            if s is None:
                pending.append((now + 1.0, src, trickle))
                break
            conns[s] = [src, False, trickle]
            sel.register(s, selectors.EVENT_WRITE | selectors.EVENT_READ)
        for key, ev in sel.select(timeout=0.05):
            s = key.fileobj
            st = conns[s]
            if not st[1]:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    drop(s)
                    continue
                st[1] = True
                connects += 1
                sel.modify(s, selectors.EVENT_READ)
                continue
            try:
                if s.recv(4096) == b"":
                    drop(s)
            except OSError:
                drop(s)
        now = time.monotonic()
        if now - last_trickle >= 0.5:
            last_trickle = now
            for s, st in list(conns.items()):
                if st[1] and st[2]:
                    try:
                        s.send(b"\x00")
                    except OSError:
                        drop(s)
        if now - last_status >= 0.5:
            last_status = now
            opened = sum(1 for st in conns.values() if st[1])
            with open(status + ".tmp", "w") as f:
                f.write("connects=%d open=%d\n" % (connects, opened))
            os.replace(status + ".tmp", status)
        if not conns:
            time.sleep(0.05)


def probe(port, src, n):
    port, n = int(port), int(n)
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        socks.append([s, time.monotonic(), None, i % 2 == 1])

    def poll(now):
        for st in socks:
            if st[2] is not None:
                continue
            try:
                if st[0].recv(4096) == b"":
                    st[2] = now - st[1]
            except BlockingIOError:
                pass
            except OSError:
                st[2] = now - st[1]

    def trickle():
        for st in socks:
            if st[2] is None and st[3]:
                try:
                    st[0].send(b"\x00")
                except OSError:
                    pass

    t0 = time.monotonic()
    last = opened = None
    # Wait for the count to settle: the same for half a second.
    while time.monotonic() - t0 < 2.5:
        now = time.monotonic()
        poll(now)
        cur = sum(1 for st in socks if st[2] is None)
        if cur != opened:
            opened, last = cur, now
        elif now - last >= 0.5:
            break
        time.sleep(0.05)
    survivors = [st for st in socks if st[2] is None]
    last_trickle = 0.0
    while time.monotonic() - t0 < 12 and any(st[2] is None for st in socks):
        now = time.monotonic()
        if now - last_trickle >= 0.5:
            last_trickle = now
            trickle()
        poll(now)
        time.sleep(0.02)
    print(json.dumps({"open": len(survivors),
                      "closed": [None if st[2] is None else round(st[2], 2)
                                 for st in survivors]}))


def relay(src, port, port_file):
    port = int(port)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((src, 0))
    srv.listen(16)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.replace(port_file + ".tmp", port_file)

    def pump(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    while True:
        c, _ = srv.accept()
        u = socket.socket()
        u.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        u.bind((src, 0))
        try:
            u.connect(("127.0.0.1", port))
        except OSError:
            c.close()
            u.close()
            continue
        threading.Thread(target=pump, args=(c, u), daemon=True).start()
        threading.Thread(target=pump, args=(u, c), daemon=True).start()


if __name__ == "__main__":
    cmds = {"flood": flood, "probe": probe, "relay": relay}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])

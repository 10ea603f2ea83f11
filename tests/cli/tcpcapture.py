#!/usr/bin/env python3
"""A loopback TCP relay that records every byte in both directions.

    tcpcapture.py LISTEN_PORT_FILE TARGET_PORT CAPTURE_FILE

Listens on 127.0.0.1 (port 0), writes the chosen port to LISTEN_PORT_FILE,
relays each connection to 127.0.0.1:TARGET_PORT and appends everything it
relays to CAPTURE_FILE.  Test-only; the fault-injecting proxy of the field
tests is a separate C program.
"""
import socket, sys, threading

port_file, target, capture = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
out = open(capture, "ab", buffering=0)


def pump(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            with lock:
                out.write(b)
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(port_file + ".tmp", port_file)
while True:
    c, _ = srv.accept()
    try:
        t = socket.create_connection(("127.0.0.1", target))
    except OSError:
        c.close()
        continue
    threading.Thread(target=pump, args=(c, t), daemon=True).start()
    threading.Thread(target=pump, args=(t, c), daemon=True).start()

#!/usr/bin/env bash
# timeout: 120
# Proves faultproxy injects each fault as specified: byte-exact relay, delay and rate as lower bounds on time, no reordering under jitter, close/reset/blackhole down phases, corrupt, truncate, exact stats counts, heal, control errors, bad arguments (exit 2), and a clean exit on SIGTERM/SIGINT.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
P=$HAMROH_BUILD/tools/faultproxy
[ -x "$P" ] || die "no faultproxy at $P (make B=$HAMROH_BUILD $P)"

# The targets (echo; a source that sends 4096 bytes then closes; one that
# sends them and holds the connection) and the client-side checks.
cat >"$T/net.py" <<'EOF'
import json, os, random, select, socket, struct, sys, threading, time

PATTERN = bytes((i * 7 + 3) % 251 for i in range(4096))
TCP_ESTABLISHED = 1


def fail(msg):
    sys.exit("FAIL: " + msg)


def handle(kind, c):
    try:
        if kind == "echo":
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
            c.shutdown(socket.SHUT_WR)
        else:
            c.sendall(PATTERN)
            if kind == "srcclose":
                c.shutdown(socket.SHUT_WR)
            while c.recv(65536):
                pass
    except OSError:
        pass
    c.close()


def serve(portfile):
    lines = []
    for kind in ("echo", "srcclose", "srchold"):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        lines.append("%s %d\n" % (kind, s.getsockname()[1]))
        def loop(s=s, kind=kind):
            while True:
                c, _ = s.accept()
                threading.Thread(target=handle, args=(kind, c),
                                 daemon=True).start()
        threading.Thread(target=loop, daemon=True).start()
    with open(portfile + ".tmp", "w") as f:
        f.writelines(lines)
    os.rename(portfile + ".tmp", portfile)
    threading.Event().wait()


def conn(port):
    c = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def read_all(c, limit=1 << 24):
    out = bytearray()
    while True:
        b = c.recv(65536)
        if not b:
            return bytes(out)
        out += b
        if len(out) > limit:
            fail("more than %d bytes" % limit)


def read_n(c, n):
    out = bytearray()
    while len(out) < n:
        b = c.recv(n - len(out))
        if not b:
            fail("EOF after %d of %d bytes" % (len(out), n))
        out += b
    return bytes(out)


def echo(port, n):
    """n random bytes through an echo target and back, then EOF."""
    data = random.Random(int(n)).randbytes(int(n))
    c = conn(port)
    def send():
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=send)
    t.start()
    got = read_all(c)
    t.join()
    if got != data:
        fail("echo of %d bytes came back as %d bytes, %s" % (
            len(data), len(got), "equal length" if len(got) == len(data)
            else "length differs"))


def hello(c):
    c.sendall(b"hello")
    if read_n(c, 5) != b"hello":
        fail("hello came back changed")


def rtt(port, least):
    c = conn(port)
    t0 = time.monotonic()
    c.sendall(b"x")
    if read_n(c, 1) != b"x":
        fail("byte changed")
    dt = time.monotonic() - t0
    print("%.3f" % dt)
    if dt < float(least):
        fail("round trip took %.3f s, less than %s s" % (dt, least))


def rate(port, n, least):
    data = random.Random(2).randbytes(int(n))
    c = conn(port)
    t0 = time.monotonic()
    c.sendall(data)
    got = read_n(c, int(n))
    dt = time.monotonic() - t0
    print("%.3f" % dt)
    if got != data:
        fail("bytes changed")
    if dt < float(least):
        fail("%s bytes took %.3f s, less than %s s" % (n, dt, least))


def order(port, n):
    """n one-byte messages 5 ms apart come back in order."""
    c = conn(port)
    data = bytes(range(int(n)))
    for i in range(int(n)):
        c.sendall(data[i:i + 1])
        time.sleep(0.005)
    got = read_n(c, int(n))
    if got != data:
        fail("bytes reordered: %r" % got)


def outcome(c, wait):
    """What c sees next: 'data', 'eof', 'reset' or 'nothing' (in wait s)."""
    c.settimeout(wait)
    try:
        b = c.recv(1)
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "nothing"
    return "data" if b else "eof"


def down(port, ready, want):
    """A live connection sees want when the link goes down; a new one an RST."""
    c = conn(port)
    hello(c)
    open(ready, "w").close()
    got = outcome(c, 10)
    if got != want:
        fail("live connection: expected %s when the link went down, got %s"
             % (want, got))
    try:
        c2 = conn(port)
        got = outcome(c2, 10)
    except ConnectionResetError:
        got = "reset"
    if got != "reset":
        fail("new connection while down: expected reset, got %s" % got)


def wait_file(path, limit):
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            fail("%s did not appear in %d s" % (path, limit))
        time.sleep(0.05)


def established(c):
    info = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    return info[0] == TCP_ESTABLISHED


def blackhole(port, ready, go, silent):
    c1 = conn(port)
    hello(c1)
    open(ready, "w").close()
    wait_file(go, 10)
    c2 = conn(port)                 # accepted while down
    for c in (c1, c2):
        c.sendall(b"ping")
    r, _, _ = select.select([c1, c2], [], [], 2.0)
    if r:
        fail("blackholed: %s" % ", ".join(
            "connection %d saw %s" % (1 + (c is c2), outcome(c, 0.1))
            for c in r))
    for i, c in enumerate((c1, c2)):
        if not established(c):
            fail("blackholed connection %d is not ESTABLISHED" % (i + 1))
        c.sendall(b"more")
    open(silent, "w").close()
    for i, c in enumerate((c1, c2)):
        got = outcome(c, 15)
        if got != "reset":
            fail("blackholed connection %d at heal: expected reset, got %s"
                 % (i + 1, got))


def corrupt(port):
    got = read_all(conn(port))
    if len(got) != len(PATTERN):
        fail("corrupt: %d bytes arrived, sent %d" % (len(got), len(PATTERN)))
    flips = sum(bin(a ^ b).count("1") for a, b in zip(got, PATTERN))
    if flips == 0:
        fail("corrupt=1: the bytes arrived unchanged")
    print(flips)


def truncate(port):
    c = conn(port)
    got = read_all(c)
    if len(got) >= len(PATTERN) or got != PATTERN[:len(got)]:
        fail("truncate: expected a strict prefix of %d bytes then EOF, got "
             "%d bytes" % (len(PATTERN), len(got)))
    print(len(got))


def exact(port):
    c = conn(port)
    if read_n(c, len(PATTERN)) != PATTERN:
        fail("bytes changed")


def flood(port, secs):
    """Write without reading for secs: the proxy must stop taking bytes."""
    rmem = int(open("/proc/sys/net/ipv4/tcp_rmem").read().split()[2])
    c = conn(port)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    sndbuf = c.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    # Our send buffer, the proxy's receive buffer, its two 64 KiB reads.
    bound = sndbuf + rmem + (1 << 20)
    c.setblocking(False)
    block = bytes(65536)
    total = 0
    end = time.monotonic() + float(secs)
    while time.monotonic() < end and total <= bound:
        select.select([], [c], [], 0.05)
        try:
            total += c.send(block)
        except BlockingIOError:
            pass
    print(total)
    if total > bound:
        fail("the proxy took %d bytes in %s s from a 16 kbit/s link's "
             "client, more than its buffers (%d): no backpressure"
             % (total, secs, bound))


def get(js, path):
    v = json.loads(js)
    for k in path.split("."):
        v = v[k]
    print(v)


def checkstats(js, flips, cut):
    s = json.loads(js)
    flips, cut = int(flips), int(cut)
    z = dict(close=0, reset=0, blackhole=0, corrupt=0, truncate=0)
    want = {
        "plain": (1, 1 << 20, 1 << 20, {}),
        "dly": (1, 1, 1, {}),
        "jit": (1, 100, 100, {}),
        "rate": (1, 4000, 4000, {}),
        "bh": (2, 5, 5, {"blackhole": 2}),
        "rs": (2, 5, 5, {"reset": 2}),
        "cl": (2, 5, 5, {"close": 1, "reset": 1}),
        "cor": (1, 0, 4096, {"corrupt": flips}),
        "trunc": (1, 0, cut, {"truncate": 1}),
    }
    bad = []
    tot = dict(z)
    for name, (conns, ab, ba, faults) in want.items():
        f = dict(z, **faults)
        w = dict(conns=conns, bytes_ab=ab, bytes_ba=ba, faults=f)
        if s["links"].get(name) != w:
            bad.append("%s: expected %s, got %s" % (
                name, json.dumps(w), json.dumps(s["links"].get(name))))
        for k in f:
            tot[k] += f[k]
    if sorted(s["links"]) != sorted(want):
        bad.append("links: %s" % sorted(s["links"]))
    if s["faults"] != tot:
        bad.append("totals: expected %s, got %s" % (tot, s["faults"]))
    if bad:
        fail("stats: " + "; ".join(bad))


globals()[sys.argv[1]](*sys.argv[2:])
EOF
net() { python3 "$T/net.py" "$@"; }

# Bad arguments: exit 2, nothing on stdout, one line "faultproxy: ...".
bad_args() {
	local rc=0 n
	"$P" "$@" >"$T/bad.out" 2>"$T/bad.err" </dev/null || rc=$?
	[ $rc -eq 2 ] || die "faultproxy $*: expected exit 2, got $rc"
	[ ! -s "$T/bad.out" ] || die "faultproxy $*: wrote to stdout: $(cat "$T/bad.out")"
	n=$(lines "$T/bad.err")
	[ "$n" -eq 1 ] && [[ $(cat "$T/bad.err") == "faultproxy: "* ]] ||
	    die "faultproxy $*: expected one 'faultproxy: ' line on stderr, got: $(cat "$T/bad.err")"
}
bad_args
bad_args --seed
bad_args --seed x a=0:127.0.0.1:9
bad_args --frob a=0:127.0.0.1:9
bad_args a=0:127.0.0.1
bad_args a=0:127.0.0.1:0
bad_args "a b=0:127.0.0.1:9"
bad_args a=0:127.0.0.1:9,delay=x
bad_args a=0:127.0.0.1:9,delay=-1
bad_args a=0:127.0.0.1:9,bogus=1
bad_args a=0:127.0.0.1:9,mode=drop
bad_args a=0:127.0.0.1:9,corrupt=1.5
bad_args a=0:127.0.0.1:9,truncate=x
bad_args a=0:127.0.0.1:9,up
bad_args a=0:127.0.0.1:9 a=0:127.0.0.1:9

# Background helpers run python3 itself (not the net function, whose
# subshell would be the pid), so cleanup can kill each by its pid.
python3 "$T/net.py" serve "$T/ports" &
SRV=$!
PX=
cleanup() {
	{ kill -9 $SRV && wait $SRV; } 2>/dev/null || true
	[ -z "$PX" ] || { kill -9 "$PX" && wait "$PX"; } 2>/dev/null || true
	[ -n "${HAMROH_RUNNER:-}" ] || rm -rf "$TMPDIR"
}
trap cleanup EXIT
wait_for "target servers" 10 test -f "$T/ports"
tport() { awk -v k="$1" '$1 == k { print $2 }' "$T/ports"; }
ECHO=$(tport echo)
SRCCLOSE=$(tport srcclose)
SRCHOLD=$(tport srchold)

mkfifo "$T/ctl"
"$P" --seed 42 \
    plain=0:127.0.0.1:$ECHO \
    dly=0:127.0.0.1:$ECHO,delay=300 \
    jit=0:127.0.0.1:$ECHO,delay=50,jitter=50 \
    rate=0:localhost:$ECHO,rate=16000 \
    bh=0:127.0.0.1:$ECHO \
    rs=0:127.0.0.1:$ECHO \
    cl=0:127.0.0.1:$ECHO \
    cor=0:127.0.0.1:$SRCCLOSE,corrupt=1 \
    trunc=0:127.0.0.1:$SRCHOLD,truncate=1 \
    <"$T/ctl" >"$T/out" 2>"$T/err" &
PX=$!
exec 3>"$T/ctl"
wait_for "proxy ready" 10 grep -qx ready "$T/out"
NLINKS=9
assert_eq "$(lines "$T/out")" $((NLINKS + 1)) "one line per link, then ready"
assert_eq "$(sed -n '$p' "$T/out")" ready "last line before commands"
port() {
	local p
	p=$(awk -v k="$1" 'NF == 2 && $1 == k { print $2 }' "$T/out")
	[ -n "$p" ] && [ "$p" -gt 0 ] || die "no port printed for link $1"
	echo "$p"
}
assert_eq "$(cat "$T/err")" "" "stderr with --seed given"

# ctl CMD: send one command; $R is the line that answers it.
NCMD=0
ctl() {
	local n
	n=$(lines "$T/out")
	NCMD=$((NCMD + 1))
	printf '%s\n' "$*" >&3
	_replied() { [ "$(lines "$T/out")" -gt "$n" ]; }
	wait_for "an answer to '$*'" 10 _replied
	R=$(sed -n "$((n + 1))p" "$T/out")
}
# stat_get PATH: $V is that value of a fresh stats line.
stat_get() { ctl stats; V=$(net get "$R" "$1"); }

# Clean relay is byte-exact, both ways, FINs passed on.
net echo "$(port plain)" 1048576 || die "plain relay of 1 MiB"

# Delay and rate are lower bounds on time; jitter never reorders.
dt=$(net rtt "$(port dly)" 0.6) || die "delay=300: round trip"
echo "delay=300: round trip $dt s"
dt=$(net rate "$(port rate)" 4000 1.8) || die "rate=16000: 4000 bytes"
echo "rate=16000: 4000 bytes echoed in $dt s"
net order "$(port jit)" 100 || die "delay=50,jitter=50: order"

# corrupt=1: same length, one bit flipped per chunk.  truncate=1: a strict
# prefix, then EOF.
flips=$(net corrupt "$(port cor)") || die "corrupt=1"
cut=$(net truncate "$(port trunc)") || die "truncate=1"
echo "corrupt=1: $flips bit(s) flipped; truncate=1: $cut of 4096 bytes, then EOF"

# Down phases: close sends FIN, reset sends RST, both refuse new connections.
python3 "$T/net.py" down "$(port cl)" "$T/cl.ready" eof &
c=$!
wait_for "close client connected" 10 test -f "$T/cl.ready"
ctl set cl up=1,down=30,mode=close
assert_eq "$R" ok "set cl"
wait $c || die "mode=close: see above"
python3 "$T/net.py" down "$(port rs)" "$T/rs.ready" reset &
c=$!
wait_for "reset client connected" 10 test -f "$T/rs.ready"
ctl set rs up=1 down=30 mode=reset
assert_eq "$R" ok "set rs (blank-separated options)"
wait $c || die "mode=reset: see above"

# Blackhole: open and silent both ways, new connections too, until heal
# resets them.
python3 "$T/net.py" blackhole "$(port bh)" "$T/bh.ready" "$T/bh.go" "$T/bh.silent" &
BH=$!
wait_for "blackhole client connected" 10 test -f "$T/bh.ready"
ctl set bh up=1,down=30,mode=blackhole
assert_eq "$R" ok "set bh"
bh_down() { stat_get links.bh.faults.blackhole; [ "$V" = 1 ]; }
wait_for "bh link down" 10 bh_down
touch "$T/bh.go"
bh_silent() { [ -f "$T/bh.silent" ] || ! kill -0 $BH 2>/dev/null; }
wait_for "blackhole silence checked" 20 bh_silent
[ -f "$T/bh.silent" ] || { wait $BH || die "mode=blackhole: see above"; }

# Stats count exactly what was injected.
ctl stats
net checkstats "$R" "$flips" "$cut" || die "stats after the faults"

# Control errors are one line each and change nothing.
ctl set nosuch delay=1
assert_contains "$R" "error: " "set on an unknown link"
ctl set cor delay=x
assert_contains "$R" "error: " "set with a bad value"
ctl set cor
assert_contains "$R" "error: " "set without options"
ctl frobnicate
assert_contains "$R" "error: " "unknown command"
ctl stats now
assert_contains "$R" "error: " "stats with an argument"
ctl stats
net checkstats "$R" "$flips" "$cut" || die "stats changed by failed commands"

# heal: blackholed connections are reset, every link relays cleanly again.
ctl heal
assert_eq "$R" ok heal
wait $BH || die "mode=blackhole: see above"
for l in bh rs cl dly rate; do
	net echo "$(port "$l")" 65536 || die "link $l after heal"
done
net exact "$(port cor)" || die "link cor after heal"
net exact "$(port trunc)" || die "link trunc after heal"
stat_get links.cor.faults.corrupt
assert_eq "$V" "$flips" "corrupt count after heal"
stat_get faults.truncate
assert_eq "$V" 1 "truncate count after heal"

# set applies to a live link: corrupt again, then cleared by set.
ctl set cor corrupt=1
assert_eq "$R" ok "set cor corrupt=1"
net corrupt "$(port cor)" >/dev/null || die "corrupt after set"
ctl set cor delay=0
net exact "$(port cor)" || die "cor after set delay=0"

# A sender faster than the link is stopped, so the proxy's memory is bounded.
ctl set rate rate=16000
n=$(net flood "$(port rate)" 1) || die "backpressure"
echo "rate=16000: a flooding client got $n bytes in"

# Exactly one line answered each command; SIGTERM prints stats, exits 0.
assert_eq "$(lines "$T/out")" $((NLINKS + 1 + NCMD)) "lines on stdout"
kill -TERM $PX
rc=0
wait $PX || rc=$?
PX=
assert_eq "$rc" 0 "exit status on SIGTERM (stderr: $(cat "$T/err"))"
assert_eq "$(lines "$T/out")" $((NLINKS + 2 + NCMD)) "lines on stdout after SIGTERM"
assert_eq "$(net get "$(sed -n '$p' "$T/out")" links.plain.bytes_ab)" 1048576 "final stats"
exec 3>&-

# stdin at EOF from the start: it keeps relaying; the seed is reported;
# SIGINT ends it cleanly.
"$P" e=0:127.0.0.1:$ECHO </dev/null >"$T/out2" 2>"$T/err2" &
PX=$!
wait_for "second proxy ready" 10 grep -qx ready "$T/out2"
net echo "$(awk '$1 == "e" { print $2 }' "$T/out2")" 1000 ||
    die "relay with stdin at EOF"
grep -Eq '^faultproxy: seed [0-9]+$' "$T/err2" ||
    die "no 'faultproxy: seed N' on stderr: $(cat "$T/err2")"
kill -INT $PX
rc=0
wait $PX || rc=$?
PX=
assert_eq "$rc" 0 "exit status on SIGINT (stderr: $(cat "$T/err2"))"
assert_eq "$(net get "$(sed -n '$p' "$T/out2")" links.e.bytes_ab)" 1000 "final stats on SIGINT"
echo "t_proxy: ok"

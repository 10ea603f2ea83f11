#!/usr/bin/env python3
"""fieldbench.py: `make bench` figures for field conditions, each next to
its limit measured in the same run.

  converge   the capital-region-district tree (tests/chaos/chaos.py's
             topology, every link through tests/tools/faultproxy) is cut
             apart, 1,000 consultations are written spread over all
             nodes, then the links come back: seconds until every node
             holds every commit, for 12 nodes and for 50, and their ratio.
             The agents' redial backoff grew while the links were down;
             the time after the heal includes waiting it out.  Each add
             signs its user in (Argon2id), so the links are down for
             longer than before staff accounts: the line says how long.
  slow-link  a district office that was offline while 2,000 consultations
             were imported at the capital catches up over a 64 kbit/s link
             that is cut every 20 s (up 20 s, down 2 s, reset).  The limit
             is the time the whole payload, compressed by zstd in one
             piece, needs at 64 kbit/s.  Each resumption must continue
             where the last stopped: commits sent more than once beyond
             the window of unacknowledged batches are counted.

  fieldbench.py --hamroh PATH --proxy PATH --zsize PATH [--input JSONL]
                [--nodes 12,50] [--skip-converge] [--skip-slow]
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "chaos"))
import chaos  # noqa: E402

RATE = 64000        # bits/s
UP, DOWN = 20, 2    # seconds


def commits(dbpath):
    try:
        db = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True,
                             timeout=10)
        n = db.execute("SELECT count(*) FROM commits").fetchone()[0]
        db.close()
        return n
    except sqlite3.Error:
        return -1


def start_proxy(a, links, logpath):
    p = subprocess.Popen([a.proxy, "--seed", "1"] + links,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=open(logpath, "a"), text=True)
    ports = {}
    while True:
        line = p.stdout.readline()
        if not line:
            sys.exit("fieldbench: faultproxy exited before 'ready'")
        line = line.strip()
        if line == "ready":
            return p, ports
        name, port = line.split()
        ports[name] = int(port)


def converge(a, n, base):
    ns = argparse.Namespace(hamroh=a.hamroh, proxy=a.proxy, nodes=n,
                            seconds=0, seed=n, converge=600, dir=base,
                            keep=False, require_every_fault=False)
    run = chaos.Run(ns)
    try:
        run.topology()
        run.setup()
        before = commits(os.path.join(run.nodes[0].dir, "hamroh.db"))
        # Cut every link: the proxy goes away, every dial fails.
        run.proxy.kill()
        run.proxy.wait()
        # Each add signs its user in (Argon2id, 0.1-0.3 s), which made the
        # outage, and so the redial backoff waited out after the heal, 5-10
        # times longer than before staff accounts; two at a time (2 cores)
        # halves that.  The outage is printed with the figure.
        t_cut = time.monotonic()
        jobs = [(run.nodes[i % n], run.consultation(run.nodes[i % n], i))
                for i in range(1000)]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for f in [pool.submit(run.cli_ok, nd, "add", "consultations",
                                  *args) for nd, args in jobs]:
                f.result()
        down = time.monotonic() - t_cut
        want = before + 1000
        # Heal: the same links on the same ports.
        links = []
        for name, port in run.proxy_ports.items():
            y = int(name.split("-")[1])
            links.append("%s=%d:127.0.0.1:%d" % (name, port,
                                                 run.nodes[y].port))
        run.proxy, _ = start_proxy(a, links,
                                   os.path.join(run.base, "proxy.log"))
        t0 = time.monotonic()
        dbs = [os.path.join(nd.dir, "hamroh.db") for nd in run.nodes]
        while True:
            if all(commits(d) >= want for d in dbs):
                t = time.monotonic() - t0
                break
            if time.monotonic() - t0 > 600:
                sys.exit("fieldbench: %d nodes not converged after 600 s"
                         % n)
            time.sleep(0.05)
        ex = run.exports()
        if any(e != ex[0] for e in ex):
            sys.exit("fieldbench: %d nodes hold every commit but their "
                     "exports differ" % n)
        return t, down
    finally:
        for nd in run.nodes:
            run.kill_agent(nd, signal.SIGTERM)
        if run.proxy is not None:
            run.proxy.kill()
            run.proxy.wait()


def agent(a, d, port, extra=()):
    out = d + ".out"
    p = subprocess.Popen([a.hamroh, "--data", d, "agent", "--listen",
                          "127.0.0.1:%d" % port, "--no-ui"] + list(extra),
                         stdout=open(out, "w"), stderr=open(d + ".log", "a"))
    for _ in range(400):
        with open(out) as f:
            m = re.search(r"^listening on .*:(\d+)$", f.read(), re.M)
        if m:
            return p, int(m.group(1))
        time.sleep(0.05)
    sys.exit("fieldbench: agent in %s did not start" % d)


def cli(a, d, *args):
    r = subprocess.run([a.staff, "--data", d] + list(args),
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("fieldbench: hamroh %s: %s" % (" ".join(args),
                                                r.stderr.strip()))
    return r.stdout


def slow_link(a, base):
    A, B = os.path.join(base, "capital"), os.path.join(base, "murghob")
    cli(a, A, "init", "--name", "capital", "--center", "Dushanbe")
    cli(a, B, "init", "--name", "murghob", "--center", "Murghob")
    cli(a, A, "network", "create", "--name", "bench")
    cli(a, A, "center", "add", "Murghob", "Murghob information center")
    tok = cli(a, A, "invite", cli(a, B, "id").strip(), "--name", "murghob",
              "--center", "Murghob", "--role", "office").strip()
    cli(a, B, "join", tok)
    have = commits(os.path.join(B, "hamroh.db"))
    # What the district missed: 2,000 consultations imported elsewhere.
    src = os.path.join(base, "2000.jsonl")
    with open(a.input) as f, open(src, "w") as g:
        for i, line in zip(range(2000), f):
            g.write(line)
    cli(a, A, "import", "consultations", src)
    dba, dbb = os.path.join(A, "hamroh.db"), os.path.join(B, "hamroh.db")
    total = commits(dba)
    db = sqlite3.connect(dba)
    blob = os.path.join(base, "payload.bin")
    with open(blob, "wb") as f:
        for body, sig in db.execute("SELECT body, sig FROM commits WHERE"
                                    " n > ?", (have,)):
            f.write(body)
            f.write(sig)
    db.close()
    payload = os.path.getsize(blob)
    zbytes = int(subprocess.run([a.zsize, blob, "3"], capture_output=True,
                                text=True, check=True).stdout)
    t_limit = zbytes * 8 / RATE
    pa_proc, pa = agent(a, A, 0)
    proxy, ports = start_proxy(a, ["ba=0:127.0.0.1:%d" % pa],
                               os.path.join(base, "proxy.log"))
    try:
        proxy.stdin.write("set ba rate=%d,up=%d,down=%d,mode=reset\n"
                          % (RATE, UP, DOWN))
        proxy.stdin.flush()
        if proxy.stdout.readline().strip() != "ok":
            sys.exit("fieldbench: faultproxy refused the link settings")
        cli(a, B, "peer", "add", "127.0.0.1:%d" % ports["ba"],
            cli(a, A, "id").strip())
        t0 = time.monotonic()
        pb_proc, _ = agent(a, B, 0)
        while commits(dbb) < total:
            if time.monotonic() - t0 > 1200:
                sys.exit("fieldbench: slow-link catch-up not done after "
                         "1200 s")
            time.sleep(0.1)
        t = time.monotonic() - t0
        proxy.stdin.write("stats\n")
        proxy.stdin.flush()
        stats = proxy.stdout.readline()
        pb_proc.send_signal(signal.SIGTERM)
        pb_proc.wait()
        pa_proc.send_signal(signal.SIGTERM)
        pa_proc.wait()
    finally:
        proxy.kill()
        proxy.wait()
    import json
    st = json.loads(stats)
    wire = st["links"]["ba"]["bytes_ab"] + st["links"]["ba"]["bytes_ba"]
    cuts = sum(st["links"]["ba"]["faults"].values())
    rows = [tuple(map(int, m)) for m in re.findall(
        r"sent (\d+) commits in (\d+) batches", open(A + ".log").read())]
    sent = sum(r[0] for r in rows)
    need = total - have
    return dict(t=t, t_limit=t_limit, payload=payload, zbytes=zbytes,
                wire=wire, sessions=len(rows), cuts=cuts, sent=sent,
                need=need, commits=need)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hamroh", required=True)
    p.add_argument("--proxy", required=True)
    p.add_argument("--zsize", required=True)
    p.add_argument("--input", default=os.path.join(REPO, "build",
                                                   "bench-100k.jsonl"))
    p.add_argument("--nodes", default="12,50")
    p.add_argument("--skip-converge", action="store_true")
    p.add_argument("--skip-slow", action="store_true")
    a = p.parse_args()
    for k in ("hamroh", "proxy", "zsize", "input"):
        setattr(a, k, os.path.abspath(getattr(a, k)))
    base = tempfile.mkdtemp(prefix="hamroh-fieldbench.")
    # The CLI signed in as an office's admin (chaos.staff_wrapper); the
    # converge runs make their own.
    a.staff = chaos.staff_wrapper(a.hamroh, base)
    try:
        if not a.skip_converge:
            ts = {}
            for n in [int(x) for x in a.nodes.split(",")]:
                d = os.path.join(base, "mesh%d" % n)
                os.makedirs(d)
                ts[n], down = converge(a, n, d)
                print("%-10s %3d nodes, 1000 writes: every node holds every"
                      " commit %.1f s after the heal (links down %.0f s, "
                      "each add signed in)" % ("converge", n, ts[n], down),
                      flush=True)
            if len(ts) == 2:
                (n1, t1), (n2, t2) = sorted(ts.items())
                print("%-10s %d/%d nodes: %.2f times the time for %.2f "
                      "times the nodes" % ("", n2, n1, t2 / t1, n2 / n1))
        if not a.skip_slow:
            d = os.path.join(base, "slow")
            os.makedirs(d)
            r = slow_link(a, d)
            print("%-10s %d commits (%d B) over %d kbit/s cut every %d s: "
                  "%.1f s; limit %.1f s (%d B zstd at %d kbit/s)  ratio "
                  "%.2f" % ("slow-link", r["commits"], r["payload"],
                            RATE // 1000, UP, r["t"], r["t_limit"],
                            r["zbytes"], RATE // 1000,
                            r["t_limit"] / r["t"]))
            print("%-10s %d sessions (%d cuts); sent %d commits for %d "
                  "needed (%d again); wire %.3f B per payload byte" % (
                      "", r["sessions"], r["cuts"], r["sent"], r["need"],
                      r["sent"] - r["need"], r["wire"] / r["payload"]))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

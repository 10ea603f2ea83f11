#!/usr/bin/env python3
"""chaos.py: hamroh under field conditions, end to end.

Starts N real `hamroh agent` processes in a capital-region-district tree
(node 0 the capital office and admin, nodes 1-3 regional centers, the rest
district offices, plus cross links), routes every link through
tests/tools/faultproxy, and in one run:

  - writes at every node while links flap, are slow, black-holed, corrupted
    and cut mid-frame: consultations, edits to the same fields of shared
    records at several nodes at once, directory edits, guide publications,
    imports;
  - kill -9s random agents at random moments and restarts them, once while
    a CLI import is running on that node, and kill -9s one import itself
    (which must then be all or nothing);
  - runs two nodes with their wall clock 3 days ahead and 3 days behind
    (HAMROH_CLOCK_OFFSET_MS, a test-only hook); once its peers have seen
    it, the one ahead may not write (each refusal names the clock);
  - fills the disk of one node (HAMROH_MAX_PAGES, a test-only hook that
    caps SQLite's max_page_count): its writes must fail with a clear error
    and nothing may be corrupted; then space is freed and it catches up;

then heals every link and checks, with a deadline, that every node's
`hamroh export` is byte-identical, that every write the CLI acknowledged is
present (the runner keeps its own ledger), that `hamroh verify` passes,
that no node refused a change (every write here is lawful: the judges at
apply agree with the CLI's rules under every fault), that no agent died
unless killed, and that no fork was reported.

It prints the convergence time after the heal, bytes on the wire per byte
of commit payload delivered, peak RSS per agent and the faults injected of
each kind.  The seed is printed; the same seed replays the same schedule
(process timing still varies).

  chaos.py --hamroh PATH --proxy PATH [--nodes N] [--seconds S] [--seed N]
           [--dir DIR] [--keep] [--require-every-fault]

Exit 0 if every check passed, 1 with "chaos: FAIL: ..." lines otherwise.
"""

import argparse
import json
import os
import random
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

DAY_MS = 86400 * 1000
CENTERS = ["Dushanbe", "Khujand", "Bokhtar", "Khorog"]
DISTRICTS = ["Murghob", "Rasht", "Isfara", "Panjakent", "Kulob", "Vanj",
             "Darvoz", "Ishkoshim", "Shughnon", "Rushon", "Istaravshan",
             "Hisor", "Vahdat", "Tursunzoda", "Konibodom", "Penjikent"]
TOPICS = ["work_permit", "patent", "registration", "entry_ban",
          "documents_lost", "wage_arrears", "labor_contract", "remittances",
          "family", "detention", "pre_departure", "consular", "other"]
CHANNELS = ["walk_in", "hotline", "outreach", "online"]
STAGES = ["prospective", "abroad", "returned", "family"]
DESTS = ["RU", "KZ", "TR", "AE", "KR", "LT", "PL"]
STATUSES = ["open", "referred", "closed"]
# Not the confidential ones: only the record's center may write those.
HOT_FIELDS = ["status", "outcome", "lawyer"]

failures = []

# Staff accounts: every node is made as an office makes one, with its first
# admin (`init --user`), and every CLI call signs that admin in when its
# command needs a user (the sign-in is lazy: commands that need none read
# nothing).  The passphrase is one line of a file in the run's dir on fd 9
# (--passphrase-fd), never argv or the environment.  Agents run the bare
# binary: `hamroh agent` needs no passphrase.
STAFF_USER = "admin"
STAFF_PASSPHRASE = b"chaos passphrase, not a real one\n"


def staff_wrapper(hamroh, d):
    """Write a passphrase file and a wrapper of hamroh that signs
    STAFF_USER in with it into d; return the wrapper's path."""
    pw = os.path.join(d, "passphrase")
    fd = os.open(pw, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, STAFF_PASSPHRASE)
    os.close(fd)
    w = os.path.join(d, "hamroh-as-staff")
    with open(w, "w") as f:
        f.write('#!/bin/sh\nexec %s --user %s --passphrase-fd 9 "$@" '
                '9<%s\n' % (shlex.quote(hamroh), STAFF_USER,
                             shlex.quote(pw)))
    os.chmod(w, 0o700)
    return w


def fail(msg):
    failures.append(msg)
    print("chaos: FAIL: " + msg, flush=True)


def log(msg):
    print("chaos: " + msg, flush=True)


class Node:
    def __init__(self, idx, name, center, role, base):
        self.idx, self.name, self.center, self.role = idx, name, center, role
        self.dir = os.path.join(base, name)
        self.env = dict(os.environ)
        self.env.pop("HAMROH_DATA", None)
        self.port = 0
        self.key = ""
        self.proc = None
        self.starts = 0
        self.rss_peak_kb = 0
        self.lock = threading.Lock()
        self.expected_exit = True
        self.disk_full = False


class Run:
    def __init__(self, a):
        self.a = a
        self.hamroh = staff_wrapper(a.hamroh, a.dir)  # the CLI, signed in
        self.rng = random.Random(a.seed)
        self.base = a.dir
        self.nodes = []
        self.edges = []
        self.proxy = None
        self.proxy_ports = {}
        self.proxy_lock = threading.Lock()
        self.ledger = []          # acknowledged writes
        self.unacked = 0          # writes the CLI refused (not in ledger)
        self.full_errors = 0      # of which: disk full, with the clear line
        self.killed_imports = []  # [(node, ids)] imports killed mid-way
        self.hot = []             # shared records edited at many nodes
        self.seq = 0
        self.nimport = 0
        self.kills = 0
        self.stop = threading.Event()
        self.events = {"agent_kill9": 0, "kill9_during_import": 0,
                       "import_kill9": 0, "disk_full_writes_refused": 0,
                       "clock_offset_nodes": 0, "clock_refused_writes": 0}

    # ---- processes ----

    def cli(self, node, *args, timeout=120, stdin=None):
        return subprocess.run([self.hamroh, "--data", node.dir] +
                              list(args), env=node.env, capture_output=True,
                              text=True, timeout=timeout, input=stdin)

    def cli_ok(self, node, *args, **kw):
        r = self.cli(node, *args, **kw)
        if r.returncode != 0:
            raise RuntimeError("%s: hamroh %s: exit %d: %s" % (
                node.name, " ".join(args), r.returncode, r.stderr.strip()))
        return r.stdout

    def start_agent(self, node, env=None):
        node.starts += 1
        out = os.path.join(self.base, "%s.out.%d" % (node.name, node.starts))
        logf = open(os.path.join(self.base, node.name + ".log"), "a")
        if env is not None:
            node.env = env
        with node.lock:
            node.proc = subprocess.Popen(
                [self.a.hamroh, "--data", node.dir, "agent", "--listen",
                 "127.0.0.1:%d" % node.port, "--no-ui"],
                stdout=open(out, "w"), stderr=logf, env=node.env)
            node.expected_exit = False
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with open(out) as f:
                    for line in f:
                        if line.startswith("listening on"):
                            node.port = int(line.rsplit(":", 1)[1])
                            return
            except FileNotFoundError:
                pass
            if node.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("%s: agent did not start listening (see %s.log)"
                           % (node.name, node.name))

    def kill_agent(self, node, sig=signal.SIGKILL):
        with node.lock:
            if node.proc is None or node.proc.poll() is not None:
                return False
            node.expected_exit = True
            node.proc.send_signal(sig)
        node.proc.wait()
        return True

    def proxy_cmd(self, line):
        with self.proxy_lock:
            self.proxy.stdin.write(line + "\n")
            self.proxy.stdin.flush()
            resp = self.proxy.stdout.readline().strip()
        if resp.startswith("error"):
            raise RuntimeError("faultproxy: %s -> %s" % (line, resp))
        return resp

    # ---- set-up ----

    def topology(self):
        n = self.a.nodes
        nreg = min(3, n - 1)
        for i in range(n):
            if i == 0:
                self.nodes.append(Node(0, "capital", CENTERS[0], "admin",
                                       self.base))
            elif i <= nreg:
                self.nodes.append(Node(i, "region%d" % i, CENTERS[i],
                                       "center", self.base))
            else:
                d = i - nreg - 1
                name = DISTRICTS[d % len(DISTRICTS)]
                if d >= len(DISTRICTS):
                    name += str(d // len(DISTRICTS))
                self.nodes.append(Node(i, name.lower(), name, "office",
                                       self.base))
        for i in range(1, nreg + 1):
            self.edges.append((0, i))
        for i in range(nreg + 1, n):
            self.edges.append((1 + (i - nreg - 1) % nreg, i))
        # Cross links: two regions, and a district that reaches two.
        if nreg >= 2:
            self.edges.append((1, 2))
        if n > nreg + 1 and nreg >= 2:
            d = nreg + 1
            parent = 1 + (d - nreg - 1) % nreg
            other = 1 + parent % nreg
            self.edges.append((other, d))

    def setup(self):
        for nd in self.nodes:
            os.makedirs(nd.dir)
            self.cli_ok(nd, "init", "--name", nd.name, "--center", nd.center)
            nd.key = self.cli_ok(nd, "id").strip()
        cap = self.nodes[0]
        self.cli_ok(cap, "network", "create", "--name", "chaos")
        known = {cap.center}
        for nd in self.nodes[1:]:
            if nd.center not in known:
                self.cli_ok(cap, "center", "add", nd.center, nd.center)
                known.add(nd.center)
            tok = self.cli_ok(cap, "invite", self.cli_ok(nd, "id", "--invite").strip(), "--name", nd.name,
                              "--center", nd.center, "--role",
                              nd.role).strip()
            self.cli_ok(nd, "join", tok)
        # Shared records, of the first region's center: edited later by
        # its node and the capital's (the nodes allowed to) at once.
        for k in range(6):
            args = [a if not a.startswith("center=") else
                    "center=" + self.nodes[1].center
                    for a in self.consultation(cap, k)]
            rid = self.cli_ok(cap, "add", "consultations", *args).strip()
            self.hot.append(rid)
        # Agent ports first (agents restart on the same port), then the
        # proxy in front of them, then peers that dial through it.
        for nd in self.nodes:
            self.start_agent(nd)
        links = []
        for a, b in self.edges:
            for x, y in ((a, b), (b, a)):
                links.append("%d-%d=0:127.0.0.1:%d" % (x, y,
                                                       self.nodes[y].port))
        self.proxy = subprocess.Popen(
            [self.a.proxy, "--seed", str(self.a.seed)] + links,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(os.path.join(self.base, "proxy.log"), "w"),
            text=True)
        while True:
            line = self.proxy.stdout.readline()
            if not line:
                raise RuntimeError("faultproxy exited before 'ready'")
            line = line.strip()
            if line == "ready":
                break
            name, port = line.split()
            self.proxy_ports[name] = int(port)
        for a, b in self.edges:
            for x, y in ((a, b), (b, a)):
                self.cli_ok(self.nodes[x], "peer", "add", "127.0.0.1:%d" %
                            self.proxy_ports["%d-%d" % (x, y)],
                            self.nodes[y].key)
        # Agents read peers at start: restart them on their ports.
        for nd in self.nodes:
            self.kill_agent(nd, signal.SIGTERM)
            self.start_agent(nd)
        # Everyone holds the membership and the shared records first.
        self.wait_converged(60, "initial sync")

    def faults(self):
        """Give every link its faults; every kind is used at least once."""
        modes = ["blackhole", "reset", "close"]
        short = self.a.seconds <= 180
        for i, (a, b) in enumerate(self.edges):
            opts = ["up=%d" % self.rng.randint(6, 14 if short else 40),
                    "down=%d" % self.rng.randint(2, 6 if short else 30),
                    "mode=" + modes[i % len(modes)]]
            if i % 2 == 0:
                opts.append("delay=%d" % self.rng.randint(20, 200))
                opts.append("jitter=%d" % self.rng.randint(0, 50))
            if b > 3 or a > 3:  # a district's link: slow
                opts.append("rate=%d" % self.rng.choice(
                    [128000, 256000] if short else [16000, 32000, 64000]))
            if i % 3 == 1:
                opts.append("corrupt=0.02")
            if i % 3 == 2:
                opts.append("truncate=0.02")
            for x, y in ((a, b), (b, a)):
                self.proxy_cmd("set %d-%d %s" % (x, y, ",".join(opts)))
            log("link %s-%s: %s" % (self.nodes[a].name, self.nodes[b].name,
                                    ",".join(opts)))

    # ---- writes ----

    def consultation(self, node, k):
        r = self.rng
        self.seq += 1
        return ["center=" + node.center,
                "opened_at=2026-%02d-%02d" % (r.randint(1, 10),
                                              r.randint(1, 28)),
                "channel=" + r.choice(CHANNELS),
                "client_sex=" + r.choice("MFX"),
                "client_age=%d" % r.randint(16, 70),
                "migration_stage=" + r.choice(STAGES),
                "destination=" + r.choice(DESTS),
                "topic=" + r.choice(TOPICS),
                "status=open",
                "summary=chaos %d at %s (%d)" % (self.seq, node.name, k)]

    def record(self, kind, node, r, **what):
        if r.returncode == 0:
            what.update(kind=kind, node=node.idx)
            self.ledger.append(what)
            return True
        self.unacked += 1
        err = r.stderr.strip()
        if node.disk_full and "disk is full" in err:
            self.full_errors += 1
        elif "this computer's clock says" in err and \
                node.env.get("HAMROH_CLOCK_OFFSET_MS", "0")[0] not in "-0":
            # The office whose clock is days ahead, once its peers have
            # told it so: refused, naming the clock (#10).
            if "set this computer's date" not in err:
                fail("%s: a clock refusal must say what to do: %r" % (
                    node.name, err))
            if self.events["clock_refused_writes"] == 0:
                log("%s refused a write: %s" % (node.name, err))
            self.events["clock_refused_writes"] += 1
        elif not node.disk_full:
            # A refused write is fine (it is not in the ledger) but must
            # be rare and explained: show it.
            log("%s refused a write: %s" % (node.name, err))
        if len(err.splitlines()) != 1 or not err.startswith("hamroh: "):
            fail("%s: a failed write must print one 'hamroh: ' line, got "
                 "%r" % (node.name, err))
        return False

    def write_one(self):
        r = self.rng
        node = r.choice(self.nodes)
        op = r.random()
        if op < 0.55:
            args = self.consultation(node, 0)
            res = self.cli(node, "add", "consultations", *args)
            self.record("add", node, res, coll="consultations",
                        id=res.stdout.strip(), fields=dict(
                            a.split("=", 1) for a in args))
        elif op < 0.8:
            node = r.choice(self.nodes[:2])  # the center's node, an admin
            rid = r.choice(self.hot)
            field = r.choice(HOT_FIELDS)
            value = ("%s by %s #%d" % (field, node.name, self.seq)
                     if field != "status" else r.choice(STATUSES))
            self.seq += 1
            # A case closes with its date and outcome (the forms' rule).
            close = (["closed_on=2026-11-01", "outcome=closed by chaos"]
                     if value == "closed" else [])
            res = self.cli(node, "set", "consultations", rid,
                           "%s=%s" % (field, value), *close)
            self.record("set", node, res, coll="consultations", id=rid,
                        field=field, value=value, origin=node.key)
        elif op < 0.92:
            node = self.nodes[0]    # the directory is the admins'
            self.seq += 1
            fields = {"name": "hotline %d" % self.seq, "kind": "hotline",
                      "country": r.choice(DESTS), "phone":
                      "+7 495 %07d" % r.randint(0, 9999999),
                      "verified_on": "2026-11-%02d" % r.randint(1, 27)}
            res = self.cli(node, "add", "directory",
                           *["%s=%s" % kv for kv in fields.items()])
            self.record("add", node, res, coll="directory",
                        id=res.stdout.strip(), fields=fields)
        elif op < 0.96:
            node = self.nodes[0]    # so are the guides
            # self.seq moves under us (the chaos thread writes too).
            self.seq += 1
            k = self.seq
            path = os.path.join(self.base, "guide%d.md" % k)
            with open(path, "w") as f:
                f.write("# Guide %d\n\n%s\n" % (k, "Keep receipts. "
                                                * r.randint(10, 2000)))
            res = self.cli(node, "guide", "publish", path,
                           "title=Guide %d" % k, "language=tg")
            self.record("add", node, res, coll="guides",
                        id=res.stdout.strip(), fields={"title": "Guide %d" % k})
        else:
            self.import_at(node, r.randint(20, 200))

    def import_file(self, node, n):
        # Unique per call: the writer and the chaos thread both import.
        with self.proxy_lock:
            self.nimport += 1
            path = os.path.join(self.base, "import%d.jsonl" % self.nimport)
        ids = []
        with open(path, "w") as f:
            for k in range(n):
                rid = "%032x" % self.rng.getrandbits(128)
                ids.append(rid)
                rec = dict(a.split("=", 1) for a in
                           self.consultation(node, k))
                rec["client_age"] = int(rec["client_age"])
                rec["id"] = rid
                f.write(json.dumps(rec) + "\n")
        return path, ids

    def import_at(self, node, n):
        path, ids = self.import_file(node, n)
        res = self.cli(node, "import", "consultations", path)
        if self.record("import", node, res, coll="consultations", ids=ids):
            pass

    def writer(self):
        while not self.stop.is_set():
            try:
                self.write_one()
            except subprocess.TimeoutExpired as e:
                fail("a CLI write hung for %ss: %s" % (e.timeout, e.cmd))
            time.sleep(self.rng.uniform(0.02, 0.2))

    # ---- faults at the nodes ----

    def chaos(self, t_end):
        r = random.Random(self.a.seed + 1)
        n = len(self.nodes)
        t0 = time.time()
        span = t_end - t0
        special = {"kill_during_import": t0 + 0.2 * span,
                   "disk_full": t0 + 0.35 * span,
                   "kill_import": t0 + 0.5 * span,
                   "disk_free": t0 + 0.7 * span}
        full = self.nodes[n - 1]
        while time.time() < t_end and not failures:
            now = time.time()
            for what, when in list(special.items()):
                if now < when:
                    continue
                del special[what]
                if what == "kill_during_import":
                    self.kill_during_import(self.nodes[r.randrange(n)], r)
                elif what == "kill_import":
                    self.kill_import(self.nodes[r.randrange(n)], r)
                elif what == "disk_full":
                    self.disk(full, True)
                elif what == "disk_free":
                    self.disk(full, False)
            node = self.nodes[r.randrange(n)]
            if not node.disk_full and self.kill_agent(node):
                self.events["agent_kill9"] += 1
                time.sleep(r.uniform(0.2, 3))
                self.start_agent(node)
            time.sleep(r.uniform(2, 8))

    def kill_during_import(self, node, r):
        path, ids = self.import_file(node, 1500)
        p = subprocess.Popen([self.hamroh, "--data", node.dir, "import",
                              "consultations", path], env=node.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(r.uniform(0.05, 0.3))
        if self.kill_agent(node):
            self.events["kill9_during_import"] += 1
            self.events["agent_kill9"] += 1
        out, err = p.communicate(timeout=120)
        self.start_agent(node)
        res = subprocess.CompletedProcess(p.args, p.returncode, out, err)
        self.record("import", node, res, coll="consultations", ids=ids)
        log("killed %s's agent during an import of %d (import exit %d)"
            % (node.name, len(ids), p.returncode))

    def kill_import(self, node, r):
        """kill -9 an import mid-way: it must leave all or nothing."""
        for attempt in range(4):
            path, ids = self.import_file(node, 20000)
            p = subprocess.Popen([self.hamroh, "--data", node.dir,
                                  "import", "consultations", path],
                                 env=node.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(r.uniform(0.02, 0.2) / (attempt + 1))
            p.send_signal(signal.SIGKILL)
            rc = p.wait()
            if rc == -signal.SIGKILL:
                self.events["import_kill9"] += 1
                self.killed_imports.append((node, ids))
                log("killed an import of %d at %s" % (len(ids), node.name))
                return
            if rc == 0:
                self.ledger.append(dict(kind="import", node=node.idx,
                                        coll="consultations", ids=ids))

    def disk(self, node, full):
        """A full disk: the agent and the CLI may not grow the file."""
        self.kill_agent(node)
        env = dict(node.env)
        if full:
            env["HAMROH_MAX_PAGES"] = "1"   # no growth past today's size
        else:
            env.pop("HAMROH_MAX_PAGES", None)
        node.disk_full = full
        self.start_agent(node, env)
        log("%s: disk %s" % (node.name, "full" if full else "freed"))

    def monitor(self):
        while not self.stop.is_set():
            for nd in self.nodes:
                with nd.lock:
                    p = nd.proc
                    if p is None:
                        continue
                    rc = p.poll()
                    if rc is not None and not nd.expected_exit:
                        fail("%s: agent exited by itself (status %d); see "
                             "%s.log" % (nd.name, rc, nd.name))
                        nd.expected_exit = True
                    if rc is None:
                        try:
                            with open("/proc/%d/status" % p.pid) as f:
                                for line in f:
                                    if line.startswith("VmHWM:"):
                                        kb = int(line.split()[1])
                                        nd.rss_peak_kb = max(
                                            nd.rss_peak_kb, kb)
                        except OSError:
                            pass
            time.sleep(0.5)

    # ---- checks ----

    def exports(self):
        """As stored: confidential fields stay sealed, the same everywhere
        whatever center keys a node holds."""
        return [self.cli_ok(nd, "export", "--sealed", timeout=300)
                for nd in self.nodes]

    def wait_converged(self, limit, what):
        t0 = time.time()
        while True:
            ex = self.exports()
            if all(e == ex[0] for e in ex):
                return time.time() - t0
            if time.time() - t0 > limit:
                differ = [nd.name for nd, e in zip(self.nodes, ex)
                          if e != ex[0]]
                raise RuntimeError("%s: exports still differ after %ds at "
                                   "%s" % (what, limit, ", ".join(differ)))
            time.sleep(0.5)

    def check(self, export):
        recs = {}
        for line in export.splitlines():
            o = json.loads(line)
            recs[(o["collection"], o["id"])] = o
        hot = set(self.hot)
        missing = 0
        for w in self.ledger:
            if w["kind"] == "import":
                gone = [i for i in w["ids"]
                        if ("consultations", i) not in recs]
                if gone:
                    missing += 1
                    fail("import acknowledged at %s lost %d of %d records"
                         % (self.nodes[w["node"]].name, len(gone),
                            len(w["ids"])))
            elif w["kind"] == "add":
                o = recs.get((w["coll"], w["id"]))
                if o is None or w["id"] in hot:
                    if o is None:
                        missing += 1
                        fail("%s %s added at %s is missing" % (
                            w["coll"], w["id"], self.nodes[w["node"]].name))
                    continue
                for k, v in w["fields"].items():
                    if str(o.get(k)) != v:
                        missing += 1
                        fail("%s %s: %s is %r, acknowledged %r" % (
                            w["coll"], w["id"], k, o.get(k), v))
            elif w["kind"] == "set":
                pass  # checked against history below
        # Sets: each acknowledged one is in the record's history.
        cap = self.nodes[0]
        hist = {}
        for rid in hot:
            hist[rid] = [json.loads(x) for x in self.cli_ok(
                cap, "history", "consultations", rid, "--json").splitlines()]
        for w in self.ledger:
            if w["kind"] != "set":
                continue
            if not any(h["field"] == w["field"] and h["value"] == w["value"]
                       and h["origin"] == w["origin"]
                       for h in hist[w["id"]]):
                missing += 1
                fail("set %s=%r on %s at %s is not in its history" % (
                    w["field"], w["value"], w["id"],
                    self.nodes[w["node"]].name))
        for node, ids in self.killed_imports:
            have = sum(("consultations", i) in recs for i in ids)
            if have not in (0, len(ids)):
                fail("an import killed at %s left %d of %d records: not all"
                     " or nothing" % (node.name, have, len(ids)))
        return missing

    def revocation(self):
        """A lost laptop: the capital revokes the last district office;
        seconds until every other node holds the revocation and has no
        session with it."""
        x, cap = self.nodes[-1], self.nodes[0]
        t0 = time.time()
        self.cli_ok(cap, "revoke", x.key, "--reason", "chaos: lost laptop")
        rid = x.key[:32]
        while True:
            done = True
            for nd in self.nodes:
                if nd is x:
                    continue
                members = self.cli_ok(nd, "export", "members", "--sealed")
                if not any(json.loads(l)["id"] == rid and
                           json.loads(l).get("revoked")
                           for l in members.splitlines()):
                    done = False
                    break
                st = json.loads(self.cli_ok(nd, "status", "--json"))
                if any(p.get("key") == x.key and
                       p.get("state", "").startswith("connected")
                       for p in st["peers"]):
                    done = False
                    break
            if done:
                return time.time() - t0
            if time.time() - t0 > 120:
                raise RuntimeError("the revocation of %s had not reached "
                                   "and cut off every node after 120 s"
                                   % x.name)
            time.sleep(0.2)

    def payload_bytes(self):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(
            self.nodes[0].dir, "hamroh.db"), uri=True, timeout=30)
        n, b = db.execute("SELECT count(*), sum(length(body)) FROM commits"
                          ).fetchone()
        db.close()
        return n, b or 0

    def main(self):
        a = self.a
        self.topology()
        log("seed %d, %d nodes, %d links, %d s of faults; replay: make "
            "chaos SEED=%d NODES=%d SECONDS=%d" % (
                a.seed, a.nodes, len(self.edges), a.seconds, a.seed,
                a.nodes, a.seconds))
        # The disk-full and revoked node (the last) runs behind: an office
        # ahead of its peers by more than an hour may not write at all.
        for k, off in ((2, 3), (1, -3)):
            if k < len(self.nodes):
                nd = self.nodes[-k]
                nd.env["HAMROH_CLOCK_OFFSET_MS"] = str(off * DAY_MS)
                self.events["clock_offset_nodes"] += 1
                log("%s runs with its clock %+d days off" % (nd.name, off))
        self.setup()
        mon = threading.Thread(target=self.monitor, daemon=True)
        mon.start()
        self.faults()
        t_end = time.time() + a.seconds
        wr = threading.Thread(target=self.writer, daemon=True)
        wr.start()
        try:
            self.chaos(t_end)
        finally:
            self.stop.set()
            wr.join()
        self.events["disk_full_writes_refused"] = self.full_errors
        # Heal: every agent up, every link clean.
        for nd in self.nodes:
            if nd.disk_full:
                self.disk(nd, False)
            if nd.proc is None or nd.proc.poll() is not None:
                self.start_agent(nd)
        self.stop.clear()
        mon = threading.Thread(target=self.monitor, daemon=True)
        mon.start()
        self.proxy_cmd("heal")
        log("healed; %d writes acknowledged, %d refused" % (
            len(self.ledger), self.unacked))
        conv = self.wait_converged(a.converge, "after heal")
        wire = json.loads(self.proxy_cmd("stats"))
        ncommits, payload = self.payload_bytes()
        ex = self.exports()
        # The capital, an admin, holds every center's key: it reads all.
        missing = self.check(self.cli_ok(self.nodes[0], "export",
                                         timeout=300))
        for nd in self.nodes:
            r = self.cli(nd, "verify", timeout=300)
            if r.returncode != 0:
                fail("%s: verify: %s" % (nd.name, r.stderr.strip()))
            st = json.loads(self.cli_ok(nd, "status", "--json"))
            # Every write here was lawful: no node may have refused one.
            if st.get("refused"):
                fail("%s refused %d changes: %s" % (
                    nd.name, st["refused"],
                    self.cli_ok(nd, "audit").strip()[:500]))
            if st.get("forks"):
                fail("%s reports %d forks" % (nd.name, st["forks"]))
            if st.get("held"):
                fail("%s still holds %d commits back" % (nd.name,
                                                         st["held"]))
        revoke_s = self.revocation()
        self.stop.set()
        mon.join()
        faults = dict(wire.get("faults", {}))
        faults.update(self.events)
        total_wire = sum(l["bytes_ab"] + l["bytes_ba"]
                         for l in wire["links"].values())
        delivered = payload * (len(self.nodes) - 1)
        print("chaos: converged %.1f s after heal (%d nodes, %d commits,"
              " %d records in the export)" % (conv, len(self.nodes),
                                              ncommits,
                                              len(ex[0].splitlines())))
        print("chaos: writes: %d acknowledged, all present: %s; %d refused"
              " (%d of them: disk full)" % (len(self.ledger),
                                            "yes" if missing == 0 else "NO",
                                            self.unacked, self.full_errors))
        print("chaos: wire %d bytes for %d bytes of commit payload x %d "
              "receivers: %.3f wire bytes per payload byte delivered" % (
                  total_wire, payload, len(self.nodes) - 1,
                  total_wire / delivered if delivered else 0))
        print("chaos: peak RSS per agent (MiB): " + ", ".join(
            "%s %.1f" % (nd.name, nd.rss_peak_kb / 1024)
            for nd in self.nodes))
        print("chaos: revocation of %s: every other node held it and had "
              "dropped it %.1f s after the admin's revoke" % (
                  self.nodes[-1].name, revoke_s))
        print("chaos: faults: " + ", ".join(
            "%s %d" % kv for kv in sorted(faults.items())))
        if a.require_every_fault:
            for k in ("close", "reset", "blackhole", "corrupt", "truncate",
                      "agent_kill9", "kill9_during_import", "import_kill9",
                      "disk_full_writes_refused", "clock_offset_nodes",
                      "clock_refused_writes"):
                if not faults.get(k):
                    fail("no fault of kind '%s' was injected; lengthen the "
                         "run or change the seed" % k)


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hamroh", required=True)
    p.add_argument("--proxy", required=True)
    p.add_argument("--nodes", type=int, default=12)
    p.add_argument("--seconds", type=int, default=120)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--converge", type=int, default=300,
                   help="deadline for convergence after the heal (s)")
    p.add_argument("--dir", default=None)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--require-every-fault", action="store_true")
    a = p.parse_args()
    if a.nodes < 3:
        p.error("--nodes must be at least 3")
    if a.seed is None:
        a.seed = int.from_bytes(os.urandom(4), "little")
    a.hamroh = os.path.abspath(a.hamroh)
    a.proxy = os.path.abspath(a.proxy)
    return a


def main():
    a = parse()
    a.dir = tempfile.mkdtemp(prefix="hamroh-chaos.", dir=a.dir)
    run = Run(a)
    try:
        run.main()
    except Exception as e:  # report, then clean up
        fail(str(e))
    finally:
        run.stop.set()
        for nd in run.nodes:
            try:
                run.kill_agent(nd, signal.SIGTERM)
            except Exception:
                pass
        if run.proxy is not None:
            run.proxy.kill()
            run.proxy.wait()
    if failures:
        print("chaos: %d failure(s); seed %d; data kept in %s" % (
            len(failures), a.seed, a.dir))
        sys.exit(1)
    if not a.keep:
        shutil.rmtree(a.dir, ignore_errors=True)
    print("chaos: ok (seed %d)" % a.seed)


if __name__ == "__main__":
    main()

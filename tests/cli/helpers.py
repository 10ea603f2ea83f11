#!/usr/bin/env python3
"""JSON helpers for the CLI tests (called through `py` in lib.sh).

    get KEY                    one key of the JSON object on stdin (strings raw,
                               anything else as compact JSON)
    field FILE ID KEY          KEY of the record ID in an export/JSONL file
                               (prints <absent> / <no record>)
    export-format FILE         check hamroh's canonical export format
    same-records INPUT EXPORT  every INPUT record (JSONL) equals its exported
                               record minus "collection", and nothing else
                               was exported
    stats INPUT FIELDS         expected `stats --json` lines for INPUT, sorted
    sort-json FILE             lines as canonical JSON, sorted
    flip FILE POS OUT          copy FILE to OUT with the byte at POS inverted
                               (POS may be negative, from the end)
    edits-tsv FILE [N]         first N edit ops of FILE as id<TAB>field<TAB>value
    no-secret KEYFILE FILE     FILE holds neither the secret key nor its seed
                               (raw or hex)

Exit 1 with a message on stderr when a check fails.
"""
import collections
import json
import re
import sys


def fail(msg):
    sys.stderr.write("FAIL: " + msg + "\n")
    sys.exit(1)


def canon(obj, ascii_only=False):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=ascii_only)


def read_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                fail("%s:%d: empty line" % (path, n))
            try:
                out.append(json.loads(line))
            except ValueError as e:
                fail("%s:%d: not JSON (%s): %.200s" % (path, n, e, line))
    return out


def cmd_get(key):
    text = sys.stdin.read()
    try:
        obj = json.loads(text)
    except ValueError as e:
        fail("expected one JSON object, got (%s): %.300s" % (e, text))
    if not isinstance(obj, dict) or key not in obj:
        fail("expected key %r in %.300s" % (key, text))
    v = obj[key]
    print(v if isinstance(v, str) else canon(v))


def cmd_field(path, rid, key):
    for r in read_jsonl(path):
        if r.get("id") == rid:
            v = r.get(key, "<absent>")
            print(v if isinstance(v, str) else canon(v))
            return
    print("<no record>")


def cmd_export_format(path):
    prev = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.endswith("\n"):
                fail("%s:%d: last line lacks its newline" % (path, n))
            line = line[:-1]
            try:
                obj = json.loads(line)
            except ValueError as e:
                fail("%s:%d: not JSON (%s): %.200s" % (path, n, e, line))
            if not isinstance(obj, dict):
                fail("%s:%d: expected an object, got %.200s" % (path, n, line))
            if line not in (canon(obj), canon(obj, True)):
                fail("%s:%d: expected compact JSON with sorted keys:\n"
                     "  want %.300s\n  got  %.300s" % (path, n, canon(obj), line))
            for k in ("collection", "id"):
                if not isinstance(obj.get(k), str):
                    fail("%s:%d: expected string key %r: %.200s" % (path, n, k, line))
            if not re.fullmatch(r"[0-9a-f]{32}", obj["id"]):
                fail("%s:%d: id is not 32 lowercase hex: %r" % (path, n, obj["id"]))
            if "client_age" in obj and not isinstance(obj["client_age"], int):
                fail("%s:%d: client_age is not a JSON number: %r" % (path, n, obj["client_age"]))
            cur = (obj["collection"], obj["id"])
            if prev is not None and not prev < cur:
                fail("%s:%d: expected order by (collection, id); %r after %r"
                     % (path, n, cur, prev))
            prev = cur


def cmd_same_records(inp, exp):
    want = {r["id"]: r for r in read_jsonl(inp)}
    got = {}
    for r in read_jsonl(exp):
        r = dict(r)
        r.pop("collection", None)
        got[r["id"]] = r
    missing = [i for i in want if i not in got]
    extra = [i for i in got if i not in want]
    diff = [i for i in want if i in got and got[i] != want[i]]
    if missing or extra or diff:
        msg = ["records differ: %d input, %d exported; %d missing, %d extra, %d unequal"
               % (len(want), len(got), len(missing), len(extra), len(diff))]
        for i in missing[:2]:
            msg.append("  missing: " + canon(want[i]))
        for i in extra[:2]:
            msg.append("  extra:   " + canon(got[i]))
        for i in diff[:3]:
            msg.append("  want:    " + canon(want[i]))
            msg.append("  got:     " + canon(got[i]))
        fail("\n".join(msg))


def cmd_stats(inp, fields):
    fields = fields.split(",")
    counts = collections.Counter()
    for r in read_jsonl(inp):
        key = []
        for f in fields:
            key.append(r["opened_at"][:7] if f == "month" else r[f])
        counts[tuple(key)] += 1
    out = []
    for key, c in counts.items():
        d = dict(zip(fields, key))
        d["count"] = c
        out.append(canon(d))
    for line in sorted(out):
        print(line)


def cmd_sort_json(path):
    for line in sorted(canon(r) for r in read_jsonl(path)):
        print(line)


def cmd_flip(path, pos, out):
    data = bytearray(open(path, "rb").read())
    pos = int(pos)
    data[pos] ^= 0xFF
    open(out, "wb").write(bytes(data))


def cmd_edits_tsv(path, n=None):
    ops = read_jsonl(path)
    for op in ops[:int(n)] if n else ops:
        v = op["value"]
        if "\t" in v or "\n" in v:
            fail("edit value with tab/newline: %r" % v)
        print("%s\t%s\t%s" % (op["id"], op["field"], v))


def cmd_no_secret(keyfile, path):
    key = open(keyfile, "rb").read()
    s = key.strip()
    if re.fullmatch(rb"[0-9a-fA-F]+", s) and len(s) % 2 == 0:
        key = bytes.fromhex(s.decode())
    if len(key) < 32:
        fail("%s: expected at least 32 key bytes, found %d" % (keyfile, len(key)))
    data = open(path, "rb").read()
    for name, secret in (("secret key", key), ("seed", key[:32])):
        for form in (secret, secret.hex().encode(), secret.hex().upper().encode()):
            if form in data:
                fail("%s contains the node's %s (%d bytes, %s)"
                     % (path, name, len(form), "raw" if form is secret else "hex"))


def main():
    cmds = {"get": cmd_get, "field": cmd_field,
            "export-format": cmd_export_format, "same-records": cmd_same_records,
            "stats": cmd_stats, "sort-json": cmd_sort_json, "flip": cmd_flip,
            "edits-tsv": cmd_edits_tsv, "no-secret": cmd_no_secret}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        fail("usage: helpers.py {%s} ..." % ",".join(cmds))
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()

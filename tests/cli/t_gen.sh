#!/usr/bin/env bash
# Proves the tests' own generator (tests/tools/gen_consultations.py) is deterministic (the same bytes for a seed, on any Python), writes what its callers rely on (the fields a new consultation needs, the bench's raw table; --all-fields records, JSONL and CSV, that import losslessly; edits on the data set's ids with true status conflicts), and that no code of the repository reaches outside it for a generator or anything else.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

# --- deterministic ----------------------------------------------------------
gen 300 --seed 4 >"$T/a"
gen 300 --seed 4 >"$T/b"
assert_same_file "$T/b" "$T/a" "gen 300 --seed 4, twice"
gen 300 --seed 5 >"$T/c"
! cmp -s "$T/a" "$T/c" || die "seeds 4 and 5 gave the same records"
gen 100 --seed 4 >"$T/head"
head -n 100 "$T/a" >"$T/a100"
assert_same_file "$T/head" "$T/a100" "gen 100 vs the head of gen 300"
# The bytes themselves: SHAKE-256, not `random`, so no Python release may
# change them.  A deliberate change of the generator changes these sums:
# update them, and remove the bench's cached build/bench-100k.jsonl.
assert_eq "$(gen 50 --seed 1 | sha256sum | cut -c1-16)" bb12f02050515215 \
    "sha256 of gen 50 --seed 1"
assert_eq "$(gen 50 --seed 1 --edits 20 --side b | sha256sum | cut -c1-16)" \
    037e17c48252a142 "sha256 of gen 50 --seed 1 --edits 20 --side b"

# --- what the callers rely on -----------------------------------------------
gen 2000 --seed 6 >"$T/d.jsonl"
gen 2000 --seed 6 --all-fields >"$T/f.jsonl"
gen 2000 --seed 6 --all-fields --format csv >"$T/f.csv"
gen 2000 --seed 6 --edits 200 --side a >"$T/ea"
gen 2000 --seed 6 --edits 200 --side b >"$T/eb"
python3 - "$T" <<'EOF' || die "generator output (see above)"
import csv, json, re, sys
T = sys.argv[1]
def fail(m):
    sys.exit("FAIL: " + m)
def rows(p):
    return [json.loads(l) for l in open(p, encoding="utf-8")]
d, f = rows(T + "/d.jsonl"), rows(T + "/f.jsonl")
bench = {"id", "center", "opened_at", "client_sex", "client_age",
         "destination", "topic", "language", "summary", "status", "lawyer",
         "channel"}
for r in d:
    # tests/bench/bench.c refuses any other field; t_badinput edits ages
    # with sed and needs two digits.  A closed case has what the forms
    # need to close it.
    want = bench | ({"outcome", "closed_on"} if r["status"] == "closed"
                    else set())
    if set(r) != want:
        fail("default record's fields %s, want the bench's %s"
             % (sorted(r), sorted(want)))
    if not 10 <= r["client_age"] <= 99:
        fail("age %r is not two digits" % r["client_age"])
for x, y in zip(d, f):
    if {k: y[k] for k in x} != x:
        fail("--all-fields changed a default field: %s vs %s" % (x, y))
names = [r["client_name"] for r in f]
if not any(re.search("[ҳқҷғӣӯ]", n) for n in names):
    fail("no client name in Tajik spelling")
if not any(re.fullmatch("[A-Za-z' ]+", n) for n in names):
    fail("no client name in Latin letters")
if len({r["id"] for r in d}) != len(d):
    fail("ids repeat")
for r in f:
    if r["status"] == "closed" and not r["opened_at"] <= r["closed_on"]:
        fail("closed before opened: %s" % r)
    if (r["status"] == "closed") != ("closed_on" in r):
        fail("closed_on without closing, or the reverse: %s" % r)
# CSV: the same records, as text.
c = list(csv.DictReader(open(T + "/f.csv", encoding="utf-8", newline="")))
if len(c) != len(f) or any(str(r["client_age"]) != x["client_age"] or
                           r.get("client_phone", "") != x["client_phone"]
                           for r, x in zip(f, c)):
    fail("CSV and JSONL differ")
# Edits: on the data set's records; a and b both set the status of the same
# records at every tenth position, to different values.
ids = {r["id"] for r in d}
ea, eb = rows(T + "/ea"), rows(T + "/eb")
if len(ea) != 200 or len(eb) != 200:
    fail("expected 200 edits a side, got %d and %d" % (len(ea), len(eb)))
for e in ea + eb:
    if e["id"] not in ids or set(e) != {"id", "field", "value"}:
        fail("edit %s names no record of the data set" % e)
if {e["field"] for e in ea} != {"status"} or \
   {e["field"] for e in eb} != {"status", "summary"}:
    fail("side a should set status only, side b mostly summary")
both = [(a, b) for a, b in zip(ea, eb) if a["id"] == b["id"] and
        a["field"] == b["field"] == "status"]
if len(both) < 20 or any(a["value"] == b["value"] for a, b in both):
    fail("expected 20 status conflicts, to different values; got %s" % both[:3])
if not any(a["id"] == b["id"] and a["field"] == b["field"] == "status"
           for a, b in zip(ea[:10], eb[:10])):
    fail("no conflict in the first ten edits")
EOF

# The records are valid for the schema and survive import and export, in
# JSON Lines and in CSV (absent fields are empty cells).
mknode A
expect_ok on A import consultations "$T/f.jsonl" >/dev/null
on A export consultations >"$T/out.jsonl"
py same-records "$T/f.jsonl" "$T/out.jsonl"
mknode C
expect_ok on C import consultations "$T/f.csv" >/dev/null
on C export consultations >"$T/outc.jsonl"
py same-records "$T/f.jsonl" "$T/outc.jsonl"
mknode E
expect_ok on E import consultations "$T/d.jsonl" >/dev/null
py edits-tsv "$T/eb" 10 | while IFS=$'\t' read -r id f v; do
	on E set consultations "$id" "$f=$v" </dev/null >/dev/null ||
	    die "set $id $f from the generator's edits failed"
done

# --- the repository stands alone --------------------------------------------
# Design notes and the like sit beside the repository on some machines; a
# clean clone has none of them, so no code may reach for them.
rc=0
hits=$(grep -rlI --exclude-dir=build --exclude-dir=.git --include='*.[ch]' \
    --include='*.sh' --include='*.py' --include=Makefile \
    -e '\.\./shared' -e '/wor[k]/' "$HAMROH_REPO") || rc=$?
[ $rc -le 1 ] || die "grep over the repository failed (exit $rc)"
[ -z "$hits" ] || die "code that reaches outside the repository: $hits"
echo "t_gen: ok"

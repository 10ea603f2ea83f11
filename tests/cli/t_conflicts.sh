#!/usr/bin/env bash
# Proves conflicts: a concurrent edit of one field is listed on both nodes with 2 heads (winner shown), a sequential edit is not, and a write after seeing all heads resolves it everywhere.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Dushanbe
mknode B Khujand
ida=$(on A id)
idb=$(on B id)
r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open summary=first)
s=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open summary=first)
xfer A B
xfer B A
assert_no_conflicts A "before any concurrent edit"
assert_no_conflicts B "before any concurrent edit"

# --- concurrent: neither saw the other's write ------------------------------
expect_ok on A set consultations "$r" status=referred >/dev/null
expect_ok on B set consultations "$r" status=closed closed_on=2026-11-21 outcome="Patent issued" >/dev/null
xfer A B
xfer B A

# check_conflict NODE: exactly one conflict, on r.status, heads A and B.
check_conflict() {
	on "$1" conflicts --json >"$T/conf.$1"
	on "$1" export --sealed consultations >"$T/exp.$1"
	visible=$(py field "$T/exp.$1" "$r" status)
	python3 - "$T/conf.$1" "$r" "$ida" "$idb" "$visible" <<'EOF' || die "conflicts on $1: see above"
import json, sys
path, rid, ida, idb, visible = sys.argv[1:]
rows = [json.loads(l) for l in open(path, encoding="utf-8")]
if len(rows) != 1:
    sys.exit("FAIL: expected 1 conflict, got %d: %s" % (len(rows), rows))
c = rows[0]
want = {"collection": "consultations", "id": rid, "field": "status"}
got = {k: c.get(k) for k in want}
if got != want:
    sys.exit("FAIL: expected conflict %s, got %s" % (want, got))
heads = c.get("heads")
if not isinstance(heads, list) or len(heads) != 2:
    sys.exit("FAIL: expected 2 heads, got %s" % heads)
for h in heads:
    if not {"value", "node", "origin", "time"} <= set(h):
        sys.exit("FAIL: head lacks keys value/node/origin/time: %s" % h)
pairs = sorted((h["node"], h["origin"], h["value"]) for h in heads)
if pairs != [("A", ida, "referred"), ("B", idb, "closed")]:
    sys.exit("FAIL: expected heads A=referred, B=closed, got %s" % pairs)
if heads[0]["value"] != visible:
    sys.exit("FAIL: expected the winner (first head, %r) to be the visible value, export shows %r"
             % (heads[0]["value"], visible))
EOF
}
check_conflict A
check_conflict B
assert_same_file "$T/exp.B" "$T/exp.A" "export with an open conflict"
assert_same_file "$T/conf.B" "$T/conf.A" "conflicts --json on B vs A"
expect_ok on B conflicts >/dev/null

# the conflict is derived from the log: it survives rebuild, verify agrees
expect_ok on B rebuild >/dev/null
check_conflict B
expect_ok on B verify >/dev/null

# --- sequential: B saw A's write before writing -----------------------------
# (outcome, a clear field: A and B are in no network, and each seals its
# confidential fields to a key of its own.)
expect_ok on A set consultations "$s" outcome="A's note" >/dev/null
xfer A B
expect_ok on B set consultations "$s" outcome="B's note, after reading A's" >/dev/null
xfer B A
for n in A B; do
	on "$n" export --sealed consultations >"$T/exp.$n"
	assert_eq "$(py field "$T/exp.$n" "$s" outcome)" "B's note, after reading A's" "outcome of s on $n"
	check_conflict "$n"	# still only the concurrent one on r
done

# --- resolve: A writes after seeing both heads ------------------------------
expect_ok on A set consultations "$r" status=closed >/dev/null
assert_no_conflicts A "after resolving on A"
xfer A B
for n in A B; do
	assert_no_conflicts "$n" "after the resolution arrived"
	on "$n" export --sealed consultations >"$T/exp.$n"
	assert_eq "$(py field "$T/exp.$n" "$r" status)" closed "status of r on $n after resolving"
	expect_ok on "$n" verify >/dev/null
done
same=$(cmp -s <(on A export --sealed) <(on B export --sealed) && echo yes || echo no)
assert_eq "$same" yes "A and B exports equal after resolving"
echo "t_conflicts: ok"

#!/usr/bin/env bash
# timeout: 120
# Proves every node judges writes at apply (#5): a center node's guide, refused by its own CLI, forged anyway (tests/tools/forge) and carried in a bundle or relayed over the wire, is stored but not applied at any node and is listed by `hamroh audit`; so is a node's edit of another center's consultation; the forger's later, lawful commits still apply; `status` counts the refusals and shows the newest, and `verify` passes everywhere.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT
FORGE=$HAMROH_BUILD/tools/forge
[ -x "$FORGE" ] || die "no forge tool at $FORGE ('make unit' builds it)"

# A: admin of 'capital'; B: center 'region1'; C: office of 'region2';
# D: office of 'region3', never runs an agent (it gets bundles only).
mknode A capital
mknode B region1
mknode C region2
mknode D region3
expect_ok on A network create --name tj-legal >/dev/null
start_agent A
# A chain A - B - C: B dials A (its invite says where), C dials B.
expect_ok on A center add region1 "region1 center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center region1 --role center --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null
expect_ok on A center add region2 "region2 center" >/dev/null
expect_ok on A center add region3 "region3 center" >/dev/null
for n in C D; do
	case $n in C) c=region2 ;; D) c=region3 ;; esac
	tok=$(expect_ok on A invite "$(on $n id --invite)" --name $n --center "$c" --role office)
	expect_ok on $n join "$tok" >/dev/null
done
KA=$(on A id)
KB=$(on B id)
KC=$(on C id)
start_agent B
expect_ok on C peer add "127.0.0.1:$PORT_B" "$KB" >/dev/null
start_agent C
# linked NODE KEY: NODE has a live session with the node of KEY.
linked() { on "$1" status --json | python3 -c '
import json, sys
st = json.load(sys.stdin)
sys.exit(0 if any(p.get("key") == sys.argv[1] and p.get("state", "").startswith("connected") for p in st["peers"]) else 1)' "$2"; }
wait_for "B linked with A" 30 linked B "$KA"
wait_for "B linked with C" 30 linked B "$KC"

# audit.py FILE ORIGIN NAME COLLECTION ID SEQ REASON: FILE (`audit --json`)
# is a well-formed list ordered by origin then seq; exit 0 if it holds the
# refusal described, 1 if not (yet), 2 if it is malformed.
cat >"$T/audit.py" <<'EOF'
import json, re, sys
path, origin, name, coll, rid, seq, reason = sys.argv[1:]
text = open(path, encoding="utf-8").read()
def bad(msg):
    sys.stderr.write("FAIL: audit --json: %s: %.400s\n" % (msg, text))
    sys.exit(2)
try:
    if text.strip() == "":
        rows = []
    elif text.lstrip().startswith("["):
        rows = json.loads(text)
    else:			# JSON Lines, like list --json
        rows = [json.loads(l) for l in text.splitlines()]
except ValueError as e:
    bad("not JSON (%s)" % e)
if not isinstance(rows, list):
    bad("expected a list of objects")
types = {"origin": str, "name": str, "seq": int, "hlc": int,
         "collection": str, "id": str, "reason": str}
for r in rows:
    if not isinstance(r, dict):
        bad("expected objects, got %r" % (r,))
    for k, t in types.items():
        if not isinstance(r.get(k), t) or isinstance(r.get(k), bool):
            bad("key %r missing or not %s in %r" % (k, t.__name__, r))
    if not re.fullmatch(r"[0-9a-f]{64}", r["origin"]):
        bad("origin is not 64 hex: %r" % r["origin"])
    if not re.fullmatch(r"[0-9a-f]{32}", r["id"]):
        bad("id is not 32 hex: %r" % r["id"])
    if r["seq"] < 1 or r["hlc"] < 1:
        bad("seq and hlc must be positive: %r" % r)
keys = [(r["origin"], r["seq"]) for r in rows]
if keys != sorted(keys):
    bad("not ordered by origin, then seq")
hits = [r for r in rows if r["origin"] == origin and r["collection"] == coll
        and r["id"] == rid and r["seq"] == int(seq)]
if not hits:
    sys.stderr.write("no refusal of %s %s (commit %s of %.16s...) among %d\n"
                     % (coll, rid, seq, origin, len(rows)))
    sys.exit(1)
r = hits[0]
if reason not in r["reason"]:
    bad("reason %r lacks %r" % (r["reason"], reason))
if r["name"] != name:
    bad("name %r, expected %r" % (r["name"], name))
EOF
# audit_lists NODE COLLECTION ID SEQ REASON: NODE's audit lists B's change
# to record ID of COLLECTION in commit SEQ, with REASON; a malformed audit
# ends the test at once.
exec 3>&2
audit_lists() {
	local node=$1 rc=0; shift
	on "$node" audit --json >"$T/audit.$node" || return 1
	python3 "$T/audit.py" "$T/audit.$node" "$KB" B "$@" 2>"$T/audit.err" ||
	    rc=$?
	cat "$T/audit.err"
	[ $rc -ne 2 ] || { cat "$T/audit.err" >&3; exit 1; }
	return $rc
}
# assert_no_guide NODE: NODE lists no guide GID.
assert_no_guide() {
	local out
	out=$(on "$1" list guides --json) || die "list guides on $1 failed"
	[[ $out != *"$GID"* ]] ||
	    die "the forged guide was applied at $1: $(_show "$out")"
}
# own_seq NODE: the highest seq of B's commits NODE holds (0: none).
own_seq() { on "$1" vector | awk -v k="$KB" '$1 == k { s = $2 } END { print s + 0 }'; }

# 1. B's own CLI refuses a guide and commits nothing.
on B vector >"$T/B.v0"
expect_fail "B adding a guide" on B add guides title=Patent language=tg version_label=v1
assert_contains "$ERR" "only admins write guides" "B's CLI refusal"
on B vector >"$T/B.v1"
assert_same_file "$T/B.v1" "$T/B.v0" "B committed nothing"

# 2. The same guide forged at B (a modified binary) reaches D in a bundle.
# D first gets everything else A and B hold, so the forged commit leaves no
# gap there and is judged, not held back.
xfer A D
xfer B D
GID=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
gseq=$("$FORGE" "$T/B" guides "$GID" title="Patent: pay here" language=tg version_label=v9 --bundle "$T/g.bundle") ||
    die "forge of a guide at B failed"
assert_eq "$gseq" "$(own_seq B)" "forge printed B's new seq"
out=$(expect_ok on D bundle import "$T/g.bundle")
assert_contains "$out" "1 changes read: 1 applied" "D took the forged commit (stored, not held)"
assert_eq "$(own_seq D)" "$gseq" "D stored B's forged commit"
assert_no_guide D
audit_lists D guides "$GID" "$gseq" "only admins write guides" >/dev/null ||
    die "D's audit does not list B's forged guide: $(_show "$(cat "$T/audit.D")")"

# 3. Over the wire: B's agent relays the commit forge stored; A and C
# store it, refuse it and say so.
for n in A C; do
	wait_for "$n's audit listing B's forged guide" 30 \
	    audit_lists $n guides "$GID" "$gseq" "only admins write guides"
	assert_no_guide $n
done
# Judged alike at the forger itself (or `verify` would find a rebuild differ).
assert_no_guide B

# 4. Cross-center edit: C logs a consultation of region2; B (region1)
# forges a change of its status.
CID=$(expect_ok on C add consultations channel=walk_in client_sex=F center=region2 opened_at=2026-11-20 status=open topic=patent)
# status_of NODE: the status of consultation CID at NODE.
status_of() { on "$1" show consultations "$CID" --json | py get status; }
for n in B A; do
	wait_for "$n holding C's consultation" 30 status_of $n
	assert_eq "$(status_of $n)" open "the consultation's status at $n"
done
cseq=$("$FORGE" "$T/B" consultations "$CID" status=closed) ||
    die "forge of a consultation edit at B failed"
# A lawful commit of B after the forged one: it must still apply everywhere
# (the refused commit is stored, so B's log has no gap).
LID=$(expect_ok on B add consultations channel=walk_in client_sex=F center=region1 opened_at=2026-11-21 status=open topic=documents_lost)
has_lawful() { on "$1" show consultations "$LID" --json | py get status; }
for n in A C; do
	wait_for "$n's audit listing B's edit of C's consultation" 30 \
	    audit_lists $n consultations "$CID" "$cseq" "belongs to center 'region2'"
	wait_for "$n applying B's lawful consultation" 30 has_lawful $n
done
for n in A B C; do
	assert_eq "$(status_of $n)" open "the status of C's consultation at $n after B's forged edit"
done

# 5. Status counts the refusals; every node still verifies.
refused=$(status_field A refused)
[[ $refused =~ ^[0-9]+$ ]] && [ "$refused" -ge 2 ] ||
    die "A's status --json: expected \"refused\" >= 2, got '$refused'"
# The text form names the newest refusals with their reasons.
st=$(on A status)
assert_contains "$st" "refused  $refused changes their office had no right to make" "A's status"
assert_contains "$st" "belongs to center 'region2'" "A's status lists the newest refusal"
for n in A B C; do stop_agent $n; done
for n in A B C D; do expect_ok on $n verify >/dev/null; done
echo "t_judge: ok"

#!/usr/bin/env bash
# timeout: 300
# Proves no clock can make another node's writes fail or vanish (#10). Part 1, the issue's reproduction by bundle: an office 2 years ahead syncs once, and the office it reaches still writes changes that stand (and after rebuild). Part 2, four offices by agents and bundles, one 2 years ahead (F), one 30 days ahead (M, bundles only), one 2 years behind (B): every write any CLI acknowledged is live on every node after the heal, except F's, whose CLI warns before it hears from a peer and then refuses with one line naming the clock; every node's status names F, M and B.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT
day=$((86400 * 1000))
ahead2y=$((2 * 365 * day))

# live NODE ID: NODE shows consultation ID (and it is live).
live() { on "$1" show consultations "$2" >/dev/null; }

# A: the coordinating office (admin); K and B: offices of Khorog.
mknode A Dushanbe
mknode K Khorog
mknode B Khorog
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khorog "Khorog center" >/dev/null
for n in K B; do
	tok=$(expect_ok on A invite "$(on $n id --invite)" --name $n --center Khorog --role office)
	expect_ok on $n join "$tok" >/dev/null
done

# 1. The issue's reproduction, by bundle: B's clock is 2 years ahead.
# B has heard from no peer, so its own judge refuses nothing but the
# expiry: the write is kept, with a warning naming the expiry.
HAMROH_CLOCK_OFFSET_MS=$ahead2y on B add consultations channel=walk_in topic=other client_sex=F center=Khorog \
    opened_at=2026-11-21 status=open >"$T/b.id" 2>"$T/b.err" ||
	die "B's write under an expired certificate must be kept (exit $?): $(cat "$T/b.err")"
rb=$(cat "$T/b.id")
assert_contains "$(cat "$T/b.err")" "hamroh: warning: saved, but this office's certificate expired on" "B's warning"
[ "$(wc -l <"$T/b.err")" -eq 1 ] || die "B's warning is one line: $(cat "$T/b.err")"
HAMROH_CLOCK_OFFSET_MS=$ahead2y expect_ok on B bundle export "$T/b.hb" >/dev/null
expect_ok on K bundle import "$T/b.hb" >/dev/null
# B's write stands nowhere (its stamp is past its certificate's expiry)...
on K audit --json >"$T/audit.K"
assert_contains "$(cat "$T/audit.K")" "certificate of the office that made it expired" "K's audit of B's write"
# ...but K's own next writes stand: its clock did not follow B's.
rk=$(expect_ok on K add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-22 status=open)
live K "$rk" || die "K's write after importing B's bundle is not live on K"
expect_ok on K verify >/dev/null
expect_ok on K rebuild >/dev/null
live K "$rk" || die "K's write is not live after rebuild"
# and so on the admin's node, which hears of both through K
xfer K A
live A "$rk" || die "K's write is not live on A"
expect_ok on K set consultations "$rk" status=closed closed_on=2026-11-23 outcome=Advised >/dev/null
xfer K A
assert_eq "$(on A export consultations | py field /dev/stdin "$rk" status)" closed "K's second write on A"

# 2. Four offices around the admin A; agents where there are links.
# F (part 1's B): 2 years ahead, dials A.  L: 2 years behind, dials K.  M: 30 days
# ahead, bundles only.  K dials A.
mknode L Khorog
mknode M Khorog
start_agent A
tok=$(expect_ok on A invite "$(on M id --invite)" --name M --center Khorog --role office)
expect_ok on M join "$tok" >/dev/null
tok=$(expect_ok on A invite "$(on L id --invite)" --name L --center Khorog --role office)
HAMROH_CLOCK_OFFSET_MS=-$ahead2y expect_ok on L join "$tok" >/dev/null
# K and F dial A.
for n in K B; do expect_ok on $n peer add "127.0.0.1:$PORT_A" "$(on A id)" >/dev/null; done
KA=$(on A id) KK=$(on K id) KF=$(on B id) KB=$(on L id) KM=$(on M id)
fwd() { HAMROH_CLOCK_OFFSET_MS=$ahead2y on B "$@"; }
bwd() { HAMROH_CLOCK_OFFSET_MS=-$ahead2y on L "$@"; }
mon() { HAMROH_CLOCK_OFFSET_MS=$((30 * day)) on M "$@"; }
acked=()	# NODE:ID of every write a CLI acknowledged
ack() { acked+=("$1:$2"); }

# F, before it has heard from anyone: kept, with the expiry warning.
fwd add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-24 status=open >"$T/f.id" 2>"$T/f.err" ||
	die "F's first write must be kept with a warning: $(cat "$T/f.err")"
assert_contains "$(cat "$T/f.err")" "certificate expired" "F's warning before it hears from a peer"
f1=$(cat "$T/f.id")
ack M "$(expect_ok mon add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-25 status=open)"
# L logs dates as its clock has them (no date a day past its clock).
ack L "$(expect_ok bwd add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2024-11-26 status=open)"

start_agent K
HAMROH_CLOCK_OFFSET_MS=$ahead2y start_agent B
expect_ok bwd peer add "127.0.0.1:$PORT_K" "$KK" >/dev/null
HAMROH_CLOCK_OFFSET_MS=-$ahead2y start_agent L
# linked NODE KEY [OFFSET]: NODE has a live session with the node of KEY.
linked() { HAMROH_CLOCK_OFFSET_MS=${3:-0} on "$1" status --json | python3 -c '
import json, sys
st = json.load(sys.stdin)
sys.exit(0 if any(p.get("key") == sys.argv[1] and p.get("state", "").startswith("connected") for p in st["peers"]) else 1)' "$2"; }
wait_for "K linked with A" 60 linked K "$KA"
wait_for "F linked with A" 60 linked B "$KA" "$ahead2y"
wait_for "L linked with K" 60 linked L "$KK" "-$ahead2y"

# F has heard from A now: its CLI refuses, naming the clock, saving nothing.
refuses() { ! fwd add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-27 status=open >/dev/null 2>"$T/f2.err"; }
wait_for "F's CLI refusing once it has heard from A" 30 refuses
ERR=$(cat "$T/f2.err")
check_error_line "F's refusal" "$T/f2.err"
assert_contains "$ERR" "this computer's clock says" "F's refusal"
assert_contains "$ERR" "set this computer's date, time and time zone" "F's refusal"
assert_contains "$ERR" "nothing was changed" "F's refusal"
# The others write on, whatever F and B sent them.
ack K "$(expect_ok on K add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-27 status=open)"
ack A "$(expect_ok on A add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-27 status=open)"
ack L "$(expect_ok bwd add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2024-11-27 status=open)"
r=$(expect_ok on K add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-28 status=open)
expect_ok bwd set consultations "$rk" topic=patent >/dev/null	# K's, from part 1
ack K "$r"

# M's bundle reaches A; A's agent carries it on; A's answer reaches M.
expect_ok mon bundle export "$T/m.hb" >/dev/null
expect_ok on A bundle import "$T/m.hb" >/dev/null

# holds NODE OFFSET: NODE shows every acknowledged write live.
holds() {
	local e
	for e in "${acked[@]}"; do
		HAMROH_CLOCK_OFFSET_MS=$2 on "$1" show consultations "${e#*:}" >/dev/null 2>&1 || return 1
	done
}
wait_for "A holding every acknowledged write" 60 holds A 0
wait_for "K holding every acknowledged write" 60 holds K 0
wait_for "L holding every acknowledged write" 60 holds L "-$ahead2y"
wait_for "F holding every acknowledged write" 60 holds B "$ahead2y"
# reported KEY SUBJECT...: A holds the members record of KEY, whose
# clocks field names every SUBJECT (its report, gossiped).
reported() { local k=$1; shift; on A export members | python3 -c '
import json, sys
want = sys.argv[2:]
for l in sys.stdin:
    r = json.loads(l)
    if r.get("key") == sys.argv[1]:
        c = r.get("clocks") or ""
        sys.exit(0 if all(w in c for w in want) else 1)
sys.exit(1)' "$k" "$@"; }
wait_for "A holding K's clock report (L, M)" 60 reported "$KK" "$KB" "$KM"
wait_for "A holding its own clock report (F, M)" 60 reported "$KA" "$KF" "$KM"
mon vector >"$T/vM"
expect_ok on A bundle export "$T/a.hb" --since "$T/vM" >/dev/null
expect_ok mon bundle import "$T/a.hb" >/dev/null
holds M "$((30 * day))" || die "M lacks an acknowledged write after A's bundle"

# F's writes stand nowhere: its certificate expired at their stamps.
for n in A K; do
	for r in "$f1" "$rb"; do
		on $n show consultations "$r" >/dev/null 2>&1 && die "$n applied F's write stamped 2 years ahead"
	done
done
# names NODE OFFSET KEY...: NODE's status lists every KEY as off.
names() { local n=$1 o=$2; shift 2; HAMROH_CLOCK_OFFSET_MS=$o on "$n" status --json | python3 -c '
import json, sys
st = json.load(sys.stdin)
got = {c["key"] for c in st["clocks"]}
sys.exit(0 if all(k in got for k in sys.argv[1:]) else 1)' "$@"; }
wait_for "A's status naming F, L and M" 30 names A 0 "$KF" "$KB" "$KM"
wait_for "K's status naming F, L and M" 30 names K 0 "$KF" "$KB" "$KM"
wait_for "L's status naming F, L and M" 30 names L "-$ahead2y" "$KF" "$KB" "$KM"
wait_for "F's status naming F, L and M" 30 names B "$ahead2y" "$KF" "$KB" "$KM"
names M "$((30 * day))" "$KF" "$KB" "$KM" || die "M's status does not name F, L and M"
on A status | grep -q "is 730 days ahead" || die "A's status does not say how far F is off: $(on A status | grep -A5 clock)"
for n in A K; do expect_ok on $n verify >/dev/null; done
stop_agent A
stop_agent K
echo "t_clock: ok"

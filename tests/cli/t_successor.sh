#!/usr/bin/env bash
# timeout: 240
# Proves records logged before a network never leave their node in clear: the admin adds a consultation before 'network create', an office adds and imports some before 'join'; each continues under a successor key, so the other nodes hold those records sealed, a node whose key changed syncs on its first dial with a peer that holds only its old key's membership, an office's records of another center stay on it alone (join says so and keeps them in a file for an admin to import), (readable on the admin, "[encrypted]" on another center), no plaintext name, phone or summary is in any other node's files or in a bundle, no commit of an old origin reaches anyone, the office still reads its records in clear, and its sessions use its new key.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT

mknode A Dushanbe
mknode B Dushanbe
mknode M Khujand
c=(opened_at=2026-11-20 channel=walk_in client_sex=F client_age=29
    destination=RU topic=documents_lost status=open)

# The admin's record, before the network exists.
aname="Alpha Marker-Admin" asum="Admin summary Marker-A"
id_a=$(expect_ok on A add consultations center=Dushanbe "${c[@]}" \
    client_name="$aname" summary="$asum")
oldA=$(on A id)
out=$(expect_ok on A network create --name tj-legal)
assert_contains "$out" "1 written again" "network create re-commits the record"
newA=$(on A id)
[ "$newA" != "$oldA" ] || die "network create kept the old key"
assert_contains "$out" "admin $newA" "the network's key is the new one"
assert_contains "$(on A show consultations "$id_a" --json)" "$aname" "A reads its record"

# The office's records, added and imported before it joins.
bname="Bahrom Marker-Office" bphone="+992 90 111 2233"
iname="Imported Marker-Client" isum="Imported summary Marker-I"
id_b=$(expect_ok on B add consultations center=Dushanbe "${c[@]}" \
    client_name="$bname" client_phone="$bphone")
printf '%s\n' "{\"center\":\"Dushanbe\",\"opened_at\":\"2026-11-21\",\"channel\":\"walk_in\",\"client_sex\":\"M\",\"client_age\":40,\"destination\":\"KZ\",\"topic\":\"wage_arrears\",\"status\":\"open\",\"client_name\":\"$iname\",\"summary\":\"$isum\"}" >"$T/imp.jsonl"
expect_ok on B import consultations "$T/imp.jsonl" >/dev/null
id_i=$(on B list consultations --json | grep -F "$iname" |
    sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')
[ -n "$id_i" ] || die "the imported record has no id"
oldB=$(on B id)
cp "$T/B/node.key" "$T/oldB.key"
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Dushanbe --role office)
out=$(expect_ok on B join "$tok")
assert_contains "$out" "2 written again" "join re-commits both records"
newB=$(on B id)
[ "$newB" != "$oldB" ] || die "join kept the old key"
assert_contains "$out" "$newB" "join names the new key"
[ "$(stat -c %a "$T/B/node.key")" = 600 ] || die "B's new node.key is not mode 600"
[ ! -e "$T/B/node.key.new" ] || die "node.key.new left behind"
for id in "$id_b" "$id_i"; do
	shown=$(on B show consultations "$id" --json)
	assert_contains "$shown" "Marker" "B still reads its record $id in clear"
done
assert_contains "$(on B show consultations "$id_b" --json)" "$bphone" "B reads the phone"
expect_ok on B verify >/dev/null

expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on M id --invite)" --name M --center Khujand --role center)
expect_ok on M join "$tok" >/dev/null

# Bundles of the two nodes carry no plaintext and no old origin.
expect_ok on B bundle export "$T/b.bundle" >/dev/null
expect_ok on A bundle export "$T/a.bundle" >/dev/null

# Agents.  A dials B at B's new key: B's handshake must prove that key.
# (A holds no successor statement of B yet: B's own commits bring it.)
start_agent B
expect_ok on A peer add "127.0.0.1:$PORT_B" "$newB" >/dev/null
start_agent A
expect_ok on M peer add "127.0.0.1:$PORT_A" "$newA" >/dev/null
start_agent M

a_reads() { on A show consultations "$1" --json | grep -qF "$2"; }
wait_for "B's record, readable at A" 60 a_reads "$id_b" "$bname"
wait_for "B's imported record, readable at A" 60 a_reads "$id_i" "$isum"
wait_for "B's record at M" 60 on M show consultations "$id_b"
wait_for "B's imported record at M" 60 on M show consultations "$id_i"
wait_for "A's record at M" 60 on M show consultations "$id_a"
wait_for "A's record at B" 60 on B show consultations "$id_a"
for id in "$id_a" "$id_b" "$id_i"; do
	assert_contains "$(on M show consultations "$id" --json)" \
	    '"client_name":"[encrypted]"' "M (Khujand) sees $id sealed"
done
assert_contains "$(on A show consultations "$id_b" --json)" "$bphone" "A reads B's phone"
assert_contains "$(on B show consultations "$id_a" --json)" "$aname" "B (Dushanbe) reads A's record"

# Key delivery follows the successor: a rotated key reaches B's new key.
expect_ok on A key rotate Dushanbe >/dev/null
has_v2() { on B key list | grep -q "v2 *Dushanbe"; }
wait_for "B holding version 2 of Dushanbe's key" 60 has_v2

# Now B dials A with its new key too, and A admits it.
stop_agent B
expect_ok on B peer add "127.0.0.1:$PORT_A" "$newA" >/dev/null
start_agent B
# A's log: one session up with B's new key when A dialed, one when B did.
b_up() { [ "$(grep -c "session peer=${newB:0:16}@.* up" "$T/A.log")" -ge 2 ]; }
wait_for "A admitting B's new key" 60 b_up
if grep -q "${newB:0:16}.*refused\|refused.*${newB:0:16}" "$T/A.log"; then
	grep "${newB:0:16}" "$T/A.log" | tail -3
	die "A refused B's new key"
fi

# No old origin anywhere else; the successors everywhere.
for n in A M; do
	v=$(on $n vector)
	assert_contains "$v" "$newB" "$n's vector holds B's new origin"
	case $v in *"$oldB"*) die "$n holds commits of B's old origin" ;; esac
	case $v in *"$oldA"*) die "$n holds commits of A's old origin" ;; esac
done
case $(on B vector) in *"$oldA"*) die "B holds commits of A's old origin" ;; esac
case $(on M vector) in *"$newA"*) ;; *) die "M's vector lacks A's new origin" ;; esac
[ "$(status_field A refused)" = 0 ] || die "A refused changes: $(on A audit 2>&1 | tail -3)"
# What A's own judge refused is its history's clear values, for that reason
# alone (not "out of stamp order": the sealed copy came later).
on A audit --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
bad = [r for r in rows if r["origin"] != sys.argv[1] or "is not sealed" not in r["reason"]]
sys.exit("A refused other than the clear values of its history: %r" % bad if bad else 0)' "$oldA"

# A successor's first dial: O logs a record, joins (its key changes), and
# dials A, which never saw O's statement (no bundle, A never dials O): its
# handshake carries the statement, so A admits the new key at once.
mknode O Dushanbe
oname="Odina Marker-FirstDial"
id_o=$(expect_ok on O add consultations center=Dushanbe "${c[@]}" \
    client_name="$oname")
# O also logged a consultation of another center (Khujand): an office may
# not log another center's, so join leaves it on O alone, and says so.
xname="Xurshed Marker-OtherCenter" xphone="+992 93 777 8899" xsum="Other center summary Marker-X"
expect_ok on O center add Khujand "Khujand center" >/dev/null
id_x=$(expect_ok on O add consultations center=Khujand "${c[@]}" \
    client_name="$xname" client_phone="$xphone" summary="$xsum")
tok=$(expect_ok on A invite "$(on O id --invite)" --name O --center Dushanbe --role office)
out=$(expect_ok on O join "$tok")
assert_contains "$out" "1 written again" "join re-commits O's own center's record"
assert_contains "$out" "1 consultation of another center (Khujand)" "join says what it leaves behind"
grep -qF "$xname" "$T/O/other-centers.jsonl" || die "join did not keep O's other center's record for an admin"
[ "$(stat -c %a "$T/O/other-centers.jsonl")" = 600 ] || die "other-centers.jsonl is not mode 600"
newO=$(on O id)
expect_ok on O peer add "127.0.0.1:$PORT_A" "$newA" >/dev/null
start_agent O
o_at_a() { on A show consultations "$id_o" --json | grep -qF "$oname"; }
wait_for "O's record at A after O's first dial" 30 o_at_a
if grep -q "peer=${newO:0:16} refused" "$T/A.log"; then
	grep "${newO:0:16}" "$T/A.log" | tail -3
	die "A refused O's first dial under its new key"
fi
grep -q "session peer=${newO:0:16}@.* up" "$T/A.log" ||
    die "no session with O's new key in A's log"
wait_for "O's record at M" 60 on M show consultations "$id_o"
stop_agent O
expect_ok on O bundle export "$T/o.bundle" >/dev/null
! on A show consultations "$id_x" >/dev/null 2>&1 ||
    die "O's other center's record reached A"

stop_agent M
stop_agent A
stop_agent B
expect_ok on M bundle export "$T/m.bundle" >/dev/null
for n in A B M O; do
	expect_ok on $n verify >/dev/null
	[ "$(status_field $n refused)" = 0 ] || die "$n refused changes: $(on $n audit 2>&1 | tail -3)"
done
# B's markers are nowhere but on B; A's nowhere but on A.
for m in "$bname" "$bphone" "$iname" "$isum"; do
	for f in "$T"/A/hamroh.db* "$T"/M/hamroh.db* "$T/a.bundle" "$T/b.bundle" "$T/m.bundle"; do
		[ -f "$f" ] || continue
		if grep -aqF "$m" "$f"; then die "'$m' in plaintext in $f"; fi
	done
done
for m in "$aname" "$asum"; do
	for f in "$T"/B/hamroh.db* "$T"/M/hamroh.db* "$T/a.bundle" "$T/b.bundle" "$T/m.bundle"; do
		[ -f "$f" ] || continue
		if grep -aqF "$m" "$f"; then die "'$m' in plaintext in $f"; fi
	done
done
for m in "$oname" "$xname" "$xphone" "$xsum"; do
	for f in "$T"/A/hamroh.db* "$T"/M/hamroh.db* "$T"/B/hamroh.db* "$T/o.bundle"; do
		[ -f "$f" ] || continue
		if grep -aqF "$m" "$f"; then die "'$m' in plaintext in $f"; fi
	done
done
# Nor on the nodes that logged them: a node in no network seals too, and
# join removes the retired commits (its database and WAL hold none).
for m in "$bname" "$bphone" "$iname" "$isum"; do
	for f in "$T"/B/hamroh.db*; do
		if grep -aqF "$m" "$f"; then die "'$m' in plaintext in $f"; fi
	done
done
for m in "$oname" "$xname" "$xphone" "$xsum"; do
	for f in "$T"/O/hamroh.db*; do
		if grep -aqF "$m" "$f"; then die "'$m' in plaintext in $f"; fi
	done
done
# The method finds plaintext where it is: in the file join left for an
# admin's import (another center's record, by design in clear).
grep -aqF "$xphone" "$T/O/other-centers.jsonl" || die "the search cannot find O's record of another center"

# A join stopped between its commit and moving node.key.new in place: the
# next command finishes the move, and never signs with the retired key.
mv "$T/B/node.key" "$T/B/node.key.new"
cp "$T/oldB.key" "$T/B/node.key"
chmod 600 "$T/B/node.key"
[ "$(on B id)" = "$newB" ] || die "B did not take its new key back from node.key.new"
[ ! -e "$T/B/node.key.new" ] || die "node.key.new left behind after the move"
seqB() { on B vector | sed -n "s/^$newB //p"; }
before=$(seqB)
expect_ok on B add consultations center=Dushanbe "${c[@]}" >/dev/null
[ "$(seqB)" = $((before + 1)) ] || die "B's new write is not under its new origin: $(on B vector)"
echo "t_successor: ok"

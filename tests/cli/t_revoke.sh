#!/usr/bin/env bash
# timeout: 120
# Proves revocation cuts a lost laptop off: an admin's revoke gossips to every node, each drops its live session with the revoked node within seconds and refuses its handshakes from then on (the time is printed), a key rotation afterwards seals nothing to it, and what it writes after the revocation, even carried on a bundle and relayed, is applied on no node and listed by audit, while what it wrote before stays.  The revocation names the last seq the admin holds and the seq alone decides: an offline laptop whose clock is set back two days (so it stamps its writes before the revocation) still has them refused and audited everywhere, and revoking again once those writes reached the admin lets in exactly those.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT

mknode A Dushanbe
mknode B Khujand
mknode C Murghob
expect_ok on A network create --name tj-legal >/dev/null
start_agent A
expect_ok on A center add Khujand "Khujand center" >/dev/null
expect_ok on A center add Murghob "Murghob center" >/dev/null
for n in B C; do
	case $n in B) c=Khujand r=center ;; C) c=Murghob r=office ;; esac
	tok=$(expect_ok on A invite "$(on $n id --invite)" --name $n --center $c --role $r --address "127.0.0.1:$PORT_A")
	expect_ok on $n join "$tok" >/dev/null
done
start_agent B
expect_ok on C peer add "127.0.0.1:$PORT_B" "$(on B id)" >/dev/null
start_agent C
KC=$(on C id)
# connected NODE: NODE has a live session with C.
connected() { on "$1" status --json | python3 -c '
import json, sys
st = json.load(sys.stdin)
sys.exit(0 if any(p.get("key") == sys.argv[1] and p.get("state", "").startswith("connected") for p in st["peers"]) else 1)' "$KC"; }
wait_for "A connected with C" 30 connected A
wait_for "B connected with C" 30 connected B
# has NODE ID: NODE lists consultation ID.
has() { on "$1" list consultations --json | grep -q "\"id\":\"$2\""; }
pre=$(expect_ok on C add consultations channel=walk_in topic=other client_sex=F center=Murghob opened_at=2026-11-20 status=open)
wait_for "A holding C's consultation" 30 has A "$pre"

expect_ok on A revoke "$KC" --reason "laptop stolen in Khorog" >/dev/null
t0=$(date +%s%N)
cut() { ! connected A && ! connected B; }
wait_for "A and B dropping C" 30 cut
echo "revoked C: A and B refused it $((($(date +%s%N) - t0) / 1000000)) ms after the revoke"
grep -q "no longer a member (revoked on .*laptop stolen" "$T/A.log" "$T/B.log" ||
    die "no 'revoked' reason in A's or B's log"
# C keeps dialing; every handshake is refused, naming the revocation.
refused() { grep -q "refused: revoked on" "$T/A.log" "$T/B.log"; }
wait_for "a new handshake of C refused" 30 refused

# C's own CLI refuses to write now, saying why and what to do (a node never
# acknowledges a write it will not apply).
expect_fail "C writing after its revocation" on C add consultations channel=walk_in topic=other client_sex=F center=Murghob opened_at=2026-11-21 status=open
assert_contains "$ERR" "this office was revoked: " "C's refusal"
assert_contains "$ERR" "laptop stolen in Khorog" "C's refusal"
assert_contains "$ERR" "ask the coordinating office for a new invite" "C's refusal"
# What a modified binary on C writes anyway stands nowhere, however it
# travels; what C wrote before stays.
post=$(python3 -c 'import os; print(os.urandom(16).hex())')
expect_ok "$HAMROH_BUILD/tools/forge" "$T/C" consultations "$post" center=Murghob opened_at=2026-11-21 status=open >/dev/null
expect_ok on C bundle export "$T/c.bundle" >/dev/null
expect_ok on B bundle import "$T/c.bundle" >/dev/null
# audited NODE: NODE lists C's consultation as refused for the revocation.
audited() { on "$1" audit --json | python3 -c '
import json, sys
sys.exit(0 if any(r["origin"] == sys.argv[1] and r["id"] == sys.argv[2] and "revoked on" in r["reason"] for r in map(json.loads, sys.stdin)) else 1)' "$KC" "$post"; }
audited B || die "B's audit does not list C's consultation written after the revocation"
wait_for "B relaying C's refused commit to A" 30 audited A
for n in A B; do
	has $n "$post" && die "$n applied a consultation C wrote after its revocation"
	has $n "$pre" || die "$n lost the consultation C wrote before its revocation"
done

# A later key rotation of C's center seals nothing to C.
expect_ok on A key rotate Murghob >/dev/null
if on A export keys --sealed | grep "\"recipient\":\"$KC\"" | grep -q '"version":2'; then
	die "the rotated key was sealed to the revoked node"
fi
# Only an admin revokes.
expect_fail "B revoking" on B revoke "$(on A id)" --reason test
assert_contains "$ERR" "only an admin" "B's refusal"

# 2. A bundle-only office D, whose laptop is stolen while offline: the
# thief sets its clock back two days, so its stamps fall before the
# revocation.  The seq decides, not the stamps.
mknode D Murghob
tok=$(expect_ok on A invite "$(on D id --invite)" --name D --center Murghob --role office)
expect_ok on D join "$tok" >/dev/null
KD=$(on D id)
d1=$(expect_ok on D add consultations channel=walk_in topic=other client_sex=F center=Murghob opened_at=2026-11-20 status=open)
expect_ok on D bundle export "$T/d.bundle" >/dev/null
expect_ok on A bundle import "$T/d.bundle" >/dev/null
has A "$d1" || die "A did not take D's first consultation"
# seq_d NODE: the highest seq of D that NODE holds.
seq_d() { on "$1" vector | awk -v k="$KD" '$1 == k { s = $2 } END { print s + 0 }'; }
s1=$(seq_d D)
assert_eq "$(seq_d A)" "$s1" "what A holds of D"
out=$(expect_ok on A revoke "$KD" --reason "laptop stolen in Murghob")
assert_contains "$out" "its first $s1 changes " "the revocation accepting what A holds of D"
# audited_d NODE ID: NODE lists D's consultation ID as refused, revoked.
audited_d() { on "$1" audit --json | python3 -c '
import json, sys
sys.exit(0 if any(r["origin"] == sys.argv[1] and r["id"] == sys.argv[2] and "revoked on" in r["reason"] and sys.argv[3] in r["reason"] for r in map(json.loads, sys.stdin)) else 1)' "$KD" "$2" "$3"; }
back() { HAMROH_CLOCK_OFFSET_MS=-172800000 on D "$@"; }
d2=$(back add consultations channel=walk_in topic=other client_sex=F center=Murghob opened_at=2026-11-21 status=open)
d3=$(back add consultations channel=walk_in topic=other client_sex=F center=Murghob opened_at=2026-11-22 status=open)
back bundle export "$T/d.bundle" >/dev/null
# B is the region: D's writes reach it before they reach the admin.
knows_rev() { on B show members "${KD:0:32}" | grep -q "laptop stolen in Murghob"; }
wait_for "B holding D's revocation" 30 knows_rev
expect_ok on B bundle import "$T/d.bundle" >/dev/null
for n in A B; do
	wait_for "$n auditing D's writes after seq $s1" 30 audited_d $n "$d3" "after its change $s1 "
	audited_d $n "$d2" "after its change $s1 " || die "$n does not audit D's second consultation"
	has $n "$d2" && die "$n applied what D wrote after its revocation with its clock set back"
	has $n "$d1" || die "$n lost what D wrote before its revocation"
done
# The region says it took them in good faith: revoking again, now that
# A holds them, lets in exactly those.
s2=$(seq_d D)
assert_eq "$s2" $((s1 + 2)) "D's seq after two more writes"
assert_eq "$(seq_d A)" "$s2" "what A holds of D once B relayed it"
out=$(expect_ok on A revoke "$KD" --reason "laptop stolen in Murghob")
assert_contains "$out" "its first $s2 changes " "the second revocation accepting what A holds now"
d4=$(back add consultations channel=walk_in topic=other client_sex=F center=Murghob opened_at=2026-11-23 status=open)
back bundle export "$T/d.bundle" >/dev/null
expect_ok on B bundle import "$T/d.bundle" >/dev/null
for n in A B; do
	wait_for "$n taking D's writes up to seq $s2" 30 has $n "$d3"
	has $n "$d2" || die "$n does not take D's second consultation after the second revocation"
	wait_for "$n auditing D's write after seq $s2" 30 audited_d $n "$d4" "after its change $s2 "
	has $n "$d4" && die "$n applied what D wrote after the second revocation"
done
expect_ok on A verify >/dev/null
expect_ok on B verify >/dev/null
echo "t_revoke: ok"

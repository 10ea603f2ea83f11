#!/usr/bin/env bash
# timeout: 120
# Proves revocation cuts a lost laptop off: an admin's revoke gossips to every node, each drops its live session with the revoked node within seconds and refuses its handshakes from then on (the time is printed), a key rotation afterwards seals nothing to it, and what it writes after the revocation, even carried on a bundle and relayed, is applied on no node and listed by audit, while what it wrote before stays.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT

mknode A Dushanbe
mknode B Khujand
mknode C Murghob
expect_ok on A network create --name tj-legal >/dev/null
start_agent A
for n in B C; do
	case $n in B) c=Khujand r=center ;; C) c=Murghob r=office ;; esac
	tok=$(expect_ok on A invite "$(on $n id)" --name $n --center $c --role $r --address "127.0.0.1:$PORT_A")
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
pre=$(expect_ok on C add consultations center=Murghob opened_at=2026-11-20 status=open)
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
expect_fail "C writing after its revocation" on C add consultations center=Murghob opened_at=2026-11-21 status=open
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
echo "t_revoke: ok"

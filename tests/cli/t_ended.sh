#!/usr/bin/env bash
# timeout: 120
# Proves a member whose membership ended is shown as such and no longer dialed: the capital revokes the region it dials; its agent says once that it stops dialing it and then dials it no more (checked over a bounded wait, with the agent's dial log on), `list members` shows the region ended with the date and reason, and status lists it once under ended members, apart from live peers; an expired certificate shows the same way, with its date.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT

mknode A Dushanbe
mknode B Khujand
mknode C Murghob
KB=$(on B id)
expect_ok on A network create --name tj-legal >/dev/null
start_agent A --verbose
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$KB" --name region --center Khujand --role center --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null
expect_ok on A center add Murghob "Murghob center" >/dev/null
tok=$(expect_ok on A invite "$(on C id --invite)" --name district --center Murghob --role office --address "127.0.0.1:$PORT_A")
expect_ok on C join "$tok" >/dev/null
start_agent B
start_agent C
expect_ok on A peer add "127.0.0.1:$PORT_B" "$KB" >/dev/null
FB=${KB:0:16}
# (B dials A too, so while that session runs A need not dial B.)
dialer() { grep -q "will dial peer=$FB@127.0.0.1:$PORT_B" "$T/A.log"; }
wait_for "A dialing B" 30 dialer

# Before: no ENDED member.
out=$(expect_ok on A list members)
assert_contains "$(head -1 <<<"$out")" "ended" "list members has an ended column"
grep "^${KB:0:32}" <<<"$out" | grep -q "  -$" || die "B shown ended before its revocation: $out"

expect_ok on A revoke "$KB" --reason "office closed in Khujand" >/dev/null
stopped() { grep -q "not dialing peer=$FB@127.0.0.1:$PORT_B: no longer a member (revoked on" "$T/A.log"; }
wait_for "A saying it stops dialing B" 30 stopped
n0=$(grep -c " dialing peer=$FB@127.0.0.1:$PORT_B" "$T/A.log" || true)
# B's agent still runs and listens: a dial would reach it.  Backoff after
# a revocation is at most a few seconds at this point; 8 s must see none.
sleep 8
n1=$(grep -c " dialing peer=$FB@127.0.0.1:$PORT_B" "$T/A.log" || true)
[ "$n1" -eq "$n0" ] || die "A dialed B $((n1 - n0)) more times after saying it stopped: $(grep "peer=$FB@" "$T/A.log" | tail -3)"
[ "$(grep -c "not dialing peer=$FB@" "$T/A.log")" -eq 1 ] || die "A said more than once that it stops dialing B"

out=$(expect_ok on A list members)
row=$(grep "^${KB:0:32}" <<<"$out")
assert_contains "$row" "revoked on $(date -u +%F)" "list members: B's end date"
assert_contains "$row" "office closed in Khujand" "list members: B's end reason"
grep "^$(on C id | cut -c1-32)" <<<"$out" | grep -q "  -$" || die "C shown ended: $out"

st=$(on A status)
echo "$st"
grep -Eq "^ended +region +${KB:0:16} revoked on " <<<"$st" || die "status does not list B under ended members: $st"
assert_contains "$st" "office closed in Khujand" "status gives the reason"
[ "$(grep -c "region" <<<"$st")" -eq 1 ] || die "status lists B more than once: $st"
on A status --json | python3 -c '
import json, sys
st = json.load(sys.stdin)
e = [m for m in st["ended_members"] if m["key"] == sys.argv[1]]
assert len(e) == 1 and "office closed" in e[0]["why"], st["ended_members"]
' "$KB" || die "status --json ended_members"
stop_agent A

# An expired certificate ends a membership too: 400 days on, the
# district's (365 days) is shown ended with its date.
KC=$(on C id)
out=$(HAMROH_CLOCK_OFFSET_MS=$((400 * 86400000)) expect_ok on A list members)
assert_contains "$(grep "^${KC:0:32}" <<<"$out")" "certificate expired on $(date -u -d '+365 days' +%F)" "list members: C expired"
st=$(HAMROH_CLOCK_OFFSET_MS=$((400 * 86400000)) expect_ok on A status)
grep -Eq "^(ended)? +district +${KC:0:16} certificate expired on " <<<"$st" || die "status does not list C under ended members: $st"

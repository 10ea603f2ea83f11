#!/usr/bin/env bash
# timeout: 120
# Proves the agents sync by themselves: a chain capital - region - district on loopback, where the district reaches the capital only through the region; writes at both ends reach every node, exports end byte-identical, a new write at the capital shows at the district within 2 s, and SIGTERM stops each agent cleanly.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Dushanbe
mknode B Khujand
mknode C Murghob
expect_ok on A network create --name tj-legal >/dev/null

trap kill_agents EXIT

start_agent A
# A second agent on the same data dir is refused, in words, and A runs on.
expect_fail "a second agent on A's dir" on A agent --listen 127.0.0.1:0; err=$ERR
assert_contains "$err" "another agent runs on this data dir" "second agent"
expect_ok on A status >/dev/null
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Khujand --role center --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null
start_agent B
# The district is introduced to the region only.
expect_ok on A center add Murghob "Murghob center" >/dev/null
tok=$(expect_ok on A invite "$(on C id --invite)" --name C --center Murghob --role office --peer "127.0.0.1:$PORT_B" "$(on B id)")
expect_ok on B peer add "127.0.0.1:$PORT_A" "$(on A id)" >/dev/null
expect_ok on C join "$tok" >/dev/null
start_agent C

a1=$(expect_ok on A add directory name="Hotline" kind=hotline country=RU phone=+7495 verified_on=2026-11-01)
c1=$(expect_ok on C add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Murghob status=open summary="walk-in at the district")
has() { on "$1" show "$2" "$3" >/dev/null 2>&1; }
wait_for "C's consultation at A" 30 has A consultations "$c1"
wait_for "A's directory entry at C" 30 has C directory "$a1"

# While all are connected, a write at the capital reaches the district fast.
t0=$(date +%s%N)
a2=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open summary="fresh")
wait_for "A's new consultation at C" 10 has C consultations "$a2"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "a new write at A reached C in $ms ms"
[ "$ms" -le 2000 ] || die "a new write took $ms ms to reach C (limit 2000)"

same() { cmp -s <(on A export --sealed) <(on "$1" export --sealed); }
wait_for "B's export equal to A's" 20 same B
wait_for "C's export equal to A's" 20 same C
# status shows the peer, connected and in sync, from the agent's own record
insync() {
	on "$1" status --json | python3 -c '
import json, sys
peers = json.load(sys.stdin)["peers"]
ok = [p for p in peers if p["state"].startswith("connected") and p["they_lack"] == 0 and p["we_lack"] == 0 and p["last_sync_ms"] > 0 and p["in_sync"]]
sys.exit(0 if ok else 1)'
}
wait_for "C's status shows B connected and in sync" 10 insync C
on C status >"$T/status.C"
assert_contains "$(cat "$T/status.C")" "in sync: B acknowledged every change this node holds" "status at C"
assert_contains "$(cat "$T/status.C")" "agent    running on this node since" "status at C"
for n in A B C; do expect_ok on "$n" verify >/dev/null; done
# A member's advertised address is dialed by members never introduced to it:
# restart the capital advertising itself; the district then dials it directly.
stop_agent A
# --advertise repeats: a second address (where nothing listens) is
# published too.
"$H" --data "$T/A" agent --no-ui --listen "127.0.0.1:$PORT_A" --advertise "127.0.0.1:$PORT_A" \
    --advertise "127.0.0.2:$PORT_A" >"$T/A.out" 2>"$T/A.log" &
echo $! >"$T/A.pid"
wait_for "agent A listening again" 10 grep -q '^listening on' "$T/A.out"
direct() {
	on C status --json | python3 -c '
import json, sys
peers = json.load(sys.stdin)["peers"]
sys.exit(0 if any(p["name"] == "A" and p["state"] == "connected" for p in peers) else 1)'
}
wait_for "C dials A at its advertised address" 30 direct
assert_contains "$(on A export members)" "\"addresses\":\"127.0.0.1:$PORT_A 127.0.0.2:$PORT_A\"" "A's published addresses"
for n in C B A; do stop_agent "$n"; done
echo "t_agent: ok"

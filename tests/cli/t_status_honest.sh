#!/usr/bin/env bash
# timeout: 120
# Proves status tells the truth once an agent stops: two offices sync, the mountain office's agent stops and six consultations are logged there; its status says its own agent is not running, counts six changes made here that no other office has acknowledged, and claims no peer in sync; the capital's status says whose agent it means for the peer; --json carries the same (agent.running, unacknowledged_here, per peer in_sync, updated_ms, acknowledged_ms).
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT
# jget NODE EXPR: EXPR (Python, over st) of NODE's status --json.
jget() { on "$1" status --json | python3 -c 'import json, sys; st = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"; }

mknode A Dushanbe
mknode B Khorog
expect_ok on A network create --name tj-legal >/dev/null
start_agent A
expect_ok on A center add Khorog "Khorog center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name mountain --center Khorog --role center --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null

# Before any agent runs on B, its status says so.
st=$(on B status)
assert_contains "$st" "agent    not running on this node" "B's status before its agent"
assert_eq "$(jget B 'st["agent"]["running"]')" "False" "agent.running before the agent"

start_agent B
b0=$(expect_ok on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khorog status=open summary="first")
has() { on "$1" show "$2" "$3" >/dev/null 2>&1; }
wait_for "B's consultation at A" 30 has A consultations "$b0"
acked() { [ "$(status_field B unacknowledged_here)" = 0 ] && on B status | grep -q "in sync"; }
wait_for "B's change acknowledged" 30 acked
st=$(on B status)
assert_contains "$st" "agent    running on this node since" "B's status with its agent up"
assert_eq "$(jget B 'st["agent"]["running"]')" "True" "agent.running"
[ "$(jget B 'st["agent"]["since_ms"]')" -gt 0 ] || die "agent.since_ms not set"
assert_contains "$st" "all changes made here acknowledged" "B's status in sync"

stop_agent B
for i in 1 2 3 4 5 6; do
	expect_ok on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khorog status=open summary="walk-in $i" >/dev/null
done
st=$(on B status)
echo "$st"
assert_contains "$st" "agent    not running on this node" "B's status after its agent stopped"
assert_contains "$st" "6 changes made here that no other office has acknowledged yet" "B's unacknowledged changes"
[[ $st != *"in sync"* ]] || die "B's status claims in sync with its agent stopped: $st"
[[ $st != *"they lack 0, we lack 0"* ]] || die "B's status claims nothing lacking: $st"
assert_contains "$st" "updated" "B's peer line says how old it is"
assert_eq "$(status_field B unacknowledged_here)" 6 "unacknowledged_here"
on B status --json | python3 -c '
import json, sys
st = json.load(sys.stdin)
assert st["agent"]["running"] is False, st["agent"]
assert st["peers"], "no peers"
for p in st["peers"]:
    assert p["in_sync"] is False, p
    assert p["updated_ms"] > 0 and p["acknowledged_ms"] > 0, p
' || die "B's status --json"

# The capital: the peer line is about the mountain office's agent, not A's.
gone() { on A status | grep -q "not connected to mountain's agent"; }
wait_for "A's status naming the peer's agent" 30 gone
st=$(on A status)
assert_contains "$st" "agent    running on this node" "A's own agent"
stop_agent A

#!/usr/bin/env bash
# timeout: 120
# Proves a full disk is handled as the node's own trouble: local writes fail with one clear line and change nothing, commits arriving from a peer are refused without blaming the peer ("bad commit"), verify stays clean, and once space is freed the node catches up.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT

mknode A Dushanbe
mknode B Murghob
expect_ok on A network create --name tj-legal >/dev/null
start_agent A
expect_ok on A center add Murghob "Murghob center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Murghob --role office --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null
same() { cmp -s <(on A export --sealed) <(on B export --sealed); }
start_agent B
wait_for "B in sync with A" 20 same
on B export >"$T/B.before"

# B's disk is full: its database may not grow by one page.
full() { HAMROH_MAX_PAGES=1 "$@"; }
stop_agent B
full start_agent B
# B's own center's consultations (B holds only Murghob's key).
gen 3000 | sed 's/"center": "[^"]*"/"center": "Murghob"/' >"$T/c.jsonl"
expect_fail "import on a full disk" full on B import consultations "$T/c.jsonl"
assert_contains "$ERR" "disk is full" "the import's error says why"
expect_fail "add on a full disk" full on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open center=Murghob \
    summary="$(head -c 16000 /dev/zero | tr '\0' x)"
assert_contains "$ERR" "disk is full" "the add's error says why"
on B export >"$T/B.after"
assert_same_file "$T/B.after" "$T/B.before" "B's data after the failed writes"

# A writes more than B has room for: B refuses it, and says it is B's fault.
expect_ok on A import consultations "$T/c.jsonl" >/dev/null
refused() { grep -q "cannot store the peer's commits: .*disk is full" "$T/B.log"; }
wait_for "B refusing A's commits for want of space" 30 refused
status_a=$(on A status --json)
case $status_a in
*"bad commit"*) die "A blames B's full disk on itself: $status_a" ;;
esac
grep -q "bad commit" "$T/A.log" "$T/B.log" &&
    die "a full disk was logged as a bad commit: $(grep -h "bad commit" "$T/A.log" "$T/B.log" | head -2)"
stop_agent B
expect_ok on B verify >/dev/null

# Space is freed: B catches up by itself.
start_agent B
wait_for "B caught up after space was freed" 60 same
expect_ok on B verify >/dev/null
assert_eq "$(on B list consultations --json | wc -l | tr -d ' ')" 3000 "consultations at B"
echo "t_diskfull: ok"

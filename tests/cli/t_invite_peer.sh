#!/usr/bin/env bash
# timeout: 120
# Proves an invite says whom the new office dials, with whose key: a district office invited by the capital with --peer (the region's address and key) dials the region and syncs with it, and join says whom it will dial and why; --address is the inviting node's own address, so the old trap (the region's address given as --address, which pinned the admin's key to it) is refused with a pointer to --peer; a dial the other side closes unanswered (another key pinned to its address) shows in status with the commands that fix it, and the other side's log says what it knows of the dialer.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT

mknode A Dushanbe
mknode B Khujand
mknode C Khujand
mknode D Khujand
KA=$(on A id)
KB=$(on B id)
KC=$(on C id)
KD=$(on D id)
expect_ok on A network create --name tj-legal >/dev/null
start_agent A
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name region --center Khujand --role center --address "127.0.0.1:$PORT_A")
out=$(expect_ok on B join "$tok")
assert_contains "$out" "will dial 127.0.0.1:$PORT_A (the inviting office, ${KA:0:16}" "B's join names the inviting office"
start_agent B
# The capital learns where the region is.
expect_ok on A peer add "127.0.0.1:$PORT_B" "$KB" >/dev/null

# --- the trap: the region's address as --address ------------------------------
expect_fail --rc 2 "invite with another member's address as --address" \
    on A invite "$KC" --name district --center Khujand --role office --address "127.0.0.1:$PORT_B"
assert_contains "$ERR" "127.0.0.1:$PORT_B is the address of member 'region'" "--address of another member refused"
assert_contains "$ERR" "--peer 127.0.0.1:$PORT_B $KB" "the refusal says to use --peer"
expect_fail --rc 2 "--peer with a key not behind that address" \
    on A invite "$KC" --name district --center Khujand --role office --peer "127.0.0.1:$PORT_B" "$KD"
assert_contains "$ERR" "member 'region'" "--peer with the wrong key refused"
expect_fail --rc 2 "--peer without a key" \
    on A invite "$KC" --name district --center Khujand --role office --peer "127.0.0.1:$PORT_B"
args=()
for i in 1 2 3 4 5 6 7 8 9; do args+=(--peer "10.0.0.$i:4411" "$KD"); done
expect_fail --rc 2 "nine --peer" on A invite "$KC" --name district --center Khujand --role office "${args[@]}"
assert_contains "$ERR" "at most 8" "nine --peer refused"
on A invite --help 2>&1 | grep -q "(the inviting) office's own address" || die "invite --help does not say --address is the inviting node's own"

# --- the district: --peer the region ----------------------------------------
tok=$(expect_ok on A invite "$(on C id --invite)" --name district --center Khujand --role office --peer "127.0.0.1:$PORT_B" "$KB")
out=$(expect_ok on C join "$tok")
assert_contains "$out" "will dial 127.0.0.1:$PORT_B (an office named in the invite, ${KB:0:16}" "C's join names the region"
[[ $out != *"inviting office"* ]] || die "C's join claims an address of the inviting office: $out"
assert_eq "$(on C peer list | awk '{ print $1, $2 }')" "127.0.0.1:$PORT_B $KB" "C's peers: the region with its own key"
start_agent C
c1=$(expect_ok on C add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khujand status=open summary="walk-in at the district")
has() { on "$1" show "$2" "$3" >/dev/null 2>&1; }
wait_for "C's consultation at B" 30 has B consultations "$c1"
wait_for "C's consultation at A (through B)" 30 has A consultations "$c1"

# --- a mismatched peer: the admin's key pinned to B's address --------------
# (what an old token made with --address B-addr left behind)
tok=$(expect_ok on A invite "$KD" --name hill --center Khujand --role office)
expect_ok on D join "$tok" >/dev/null
expect_ok on D peer add "127.0.0.1:$PORT_B" "$KA" >/dev/null
start_agent D
told() { on D status | grep -q "hamroh peer rm 127.0.0.1:$PORT_B"; }
wait_for "D's status naming peer rm" 30 told
st=$(on D status)
assert_contains "$st" "hamroh peer add 127.0.0.1:$PORT_B KEY" "D's status names peer add"
assert_contains "$st" "closed the connection without answering" "D's status says what happened"
assert_contains "$st" "(${KA:0:16}..., the key of the admin that invited this office)" "D's status says whose key is pinned there"
on D status --json | py get peers >/dev/null
grep -q "bad mac1.*peer rm" "$T/B.log" || die "B's log does not explain the bad mac1: $(grep 'mac1' "$T/B.log" | tail -1)"
# Fixed as status says, D syncs with B.
expect_ok on D peer rm "127.0.0.1:$PORT_B" >/dev/null
expect_ok on D peer add "127.0.0.1:$PORT_B" "$KB" >/dev/null
wait_for "C's consultation at D" 30 has D consultations "$c1"
for n in A B C D; do stop_agent $n; done

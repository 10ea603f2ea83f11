#!/usr/bin/env bash
# timeout: 120
# Proves a replayed message 1 never displaces a live session: B's agent dials A through a relay that records the wire, and while their session is up and syncing, B's genuine message 1, cut from the recording, is sent to A again from another connection, several times.  A answers not one byte (the handshake counter of B is not above the last A accepted), logs the refusal, and the session stays the one it was: same address in A's status, never shown disconnected, no second "up" or "closing" in either log, and a write at B still reaches A.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Dushanbe
mknode B Khorog
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khorog "Khorog center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Khorog --role center)
expect_ok on B join "$tok" >/dev/null
A_ID=$(on A id)
B_FP=$(on B id | cut -c1-16)

relay=
trap 'kill_agents; [ -z "$relay" ] || kill $relay 2>/dev/null || true' EXIT
start_agent A
python3 "$CLI_DIR/tcpcapture.py" "$T/relay.port" "$PORT_A" "$T/wire" &
relay=$!
wait_for "the recording relay listening" 10 test -s "$T/relay.port"
expect_ok on B peer add "127.0.0.1:$(cat "$T/relay.port")" "$A_ID" >/dev/null
start_agent B

# The session is up and syncs both ways.
r1=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open)
wait_for "B gets A's record" 30 on B show consultations "$r1"
r2=$(expect_ok on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khorog status=open)
wait_for "A gets B's record" 30 on A show consultations "$r2"
ups() { grep -c "session peer=$B_FP@.* up$" "$T/A.log" || true; }
assert_eq "$(ups)" 1 "sessions of B up at A"

# B's message 1: the first bytes on the wire (the dialer speaks first, and
# A says nothing until message 1 is in whole).  160 bytes: SESSION_MSG1_LEN.
head -c 160 "$T/wire" >"$T/msg1.rec"
[ "$(wc -c <"$T/msg1.rec")" -eq 160 ] || die "the recording holds no message 1"

# B's row in A's status: who dialed, from where (the relay's side of the
# live connection: a new session would come from another port).
b_row() {
	on A status --json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["peers"]:
    if p["key"].startswith(sys.argv[1]):
        print(p["state"], p["addr"])' "$B_FP"
}
live=$(b_row)
assert_contains "$live" "connected (they dialed) 127.0.0.1:" "B's row at A"

for i in 1 2 3 4 5; do
	(cd "$T" && "$HAMROH_BUILD/tools/hostile" "$T/B" "$PORT_A" "$A_ID" \
	    replay) || die "replay $i: A answered B's replayed message 1"
	# Read at once: a refused connection that wrote B's row would show
	# here before the agent's next status tick puts it right.
	assert_eq "$(b_row)" "$live" "B's row at A just after replay $i"
	kill -0 "$(cat "$T/A.pid")" || die "A died on a replayed message 1"
done
n=$(grep -c "handshake peer=$B_FP refused: replayed message 1" "$T/A.log" ||
    true)
[ "$n" -ge 5 ] || die "A's log shows $n of 5 replays refused: $(grep "$B_FP" "$T/A.log" | tail -3)"

# The live session goes on: a write at B reaches A.
r3=$(expect_ok on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F closed_on=2026-11-20 outcome=advised center=Khorog status=closed)
wait_for "B's write after the replays reaching A" 15 on A show consultations "$r3"
assert_eq "$(ups)" 1 "sessions of B up at A after the replays"
if grep -q "session peer=$B_FP@.*closing" "$T/A.log"; then
	die "A closed a session of B: $(grep "session peer=$B_FP@.*closing" "$T/A.log")"
fi
assert_eq "$(grep -c "session peer=.* up$" "$T/B.log" || true)" 1 \
    "sessions up at B"
assert_eq "$(b_row)" "$live" "B's row at A after the replays"
echo "t_replay: ok"

#!/usr/bin/env bash
# timeout: 240
# Proves an office whose clock ran a year ahead for one session still connects, and syncs, once its clock is set right, before and after restarts: message 1 carries a counter the dialer keeps in its database, max(clock, last sent + 1), not its clock (with the clock, every later dial was "replayed message 1" for a year); and a node of the previous handshake version gets A's version back and one clear line in A's log and status.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT
year=$((365 * 86400 * 1000))

mknode A Dushanbe
mknode B Khorog
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khorog "Khorog center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Khorog \
    --role center --expires 3650)
expect_ok on B join "$tok" >/dev/null
start_agent A
expect_ok on B peer add "127.0.0.1:$PORT_A" "$(on A id)" >/dev/null

# ups N: A has logged at least N sessions up.
ups() { [ "$(grep -c "session peer=.* up$" "$T/A.log" || true)" -ge "$1" ]; }

# One session with B's clock a year ahead.
HAMROH_CLOCK_OFFSET_MS=$year start_agent B
wait_for "B (a year ahead) connects to A" 60 ups 1
stop_agent B

# The clock set right: B connects again at once, and syncs.
r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open)
start_agent B
wait_for "B (clock right again) connects to A" 60 ups 2
wait_for "B gets A's new record" 60 on B show consultations "$r"
stop_agent B

# And after A restarted too (the guard is in its database).
old=$PORT_A
stop_agent A
start_agent A
# (A slow start may show the line before its port: read it again whole.)
wait_for "A's new port" 10 grep -q '^listening on .*:[0-9][0-9]*$' "$T/A.out"
PORT_A=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/A.out")
expect_ok on B peer rm "127.0.0.1:$old" >/dev/null
expect_ok on B peer add "127.0.0.1:$PORT_A" "$(on A id)" >/dev/null
start_agent B
wait_for "B connects to the restarted A" 60 ups 3
if grep -q "replayed message 1" "$T/A.log"; then
	die "A refused an honest dial: $(grep -m1 replayed "$T/A.log")"
fi

# A node of the previous handshake version (1) is told, and named in one
# line of A's log and in A's status (B's own agent stopped first: its
# session would write B's status row over).
stop_agent B
"$HAMROH_BUILD/tools/hostile" "$T/B" "$PORT_A" "$(on A id)" old-version ||
    die "a version-1 message 1 was not answered with A's version, then closed"
line="this office runs an older hamroh; upgrade it"
wait_for "the version line in A's log" 10 \
    grep -q "peer=[0-9a-f]\{16\}@.*$line" "$T/A.log"
[ "$(grep -c "$line" "$T/A.log")" -eq 1 ] ||
    die "expected one line: $(grep "$line" "$T/A.log")"
in_status() { on A status | grep -q "$line"; }
wait_for "the version line in A's status" 20 in_status
echo "t_hs_counter: ok"

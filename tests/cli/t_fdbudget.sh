#!/usr/bin/env bash
# timeout: 240
# Proves the descriptor budget holds with every kind of connection at once: an agent under RLIMIT_NOFILE 256 that 224 members try to hold sessions with (one tool process, 224 certified keys) while a slowloris from 40 /24s keeps its table of connections before authentication full never runs out of descriptors: it keeps 64 for connections before authentication, holds members' sessions up to the rest of its share (refusing the others cleanly, in one log line per 10 s that names the budget and LimitNOFILE), keeps descriptors for the peers it dials itself, and so one of those peers, a real agent dialing in from its own /24, still syncs within 10 s, with the agent's RSS under 64 MiB (30 s and 1 GiB under ASan).
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
SL=$CLI_DIR/slowloris.py
HOSTILE=$HAMROH_BUILD/tools/hostile
N=224

mknode A Dushanbe
mknode B Khujand
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Khujand --role center)
expect_ok on B join "$tok" >/dev/null
A_ID=$(on A id)
B_ID=$(on B id)
# The many members: keys from the tool's fixed seeds, each certified.
i=0
"$HOSTILE" - - - keys $N | while read -r k; do
	i=$((i + 1))
	"$H" --data "$T/A" invite "$k" --name "m$i" --center Khujand \
	    --role center >/dev/null || die "cannot invite member $i"
done

# B is one of A's peers (A dials it at an address where nothing ever
# listens, so A backs off: only B's own dial can make the session).
PORT_B=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_ok on A peer add "127.0.0.1:$PORT_B" "$B_ID" >/dev/null

trap 'kill_agents; stop_helpers' EXIT
start_agent_nofile A 256
APID=$(cat "$T/A.pid")

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$APID/status"; }
nfds() { find "/proc/$APID/fd" -mindepth 1 2>/dev/null | wc -l; }
# ASan keeps freed memory (its quarantine) and shadow memory, and runs
# slower: the bounds are for real builds.
case $HAMROH_BUILD in
*/san) rss_limit=1048576 sync_s=30 ;;
*) rss_limit=65536 sync_s=10 ;;
esac
max_rss=0 max_fds=0
sample() {
	local rss n
	kill -0 "$APID" 2>/dev/null || die "agent A died (log: $(tail -3 "$T/A.log"))"
	rss=$(rss_kb); n=$(nfds)
	[ "$rss" -le "$max_rss" ] || max_rss=$rss
	[ "$n" -le "$max_fds" ] || max_fds=$n
}

# The members' sessions, one handshake after another.
"$HOSTILE" "$T/A" "$PORT_A" "$A_ID" hold $N "$T/hold.status" 2>"$T/hold.err" &
pids="$pids $!"
held() {
	sample
	local up refused
	up=$(sed -n 's/^up=\([0-9]*\).*/\1/p' "$T/hold.status" 2>/dev/null)
	refused=$(sed -n 's/.*refused=\([0-9]*\).*/\1/p' "$T/hold.status" 2>/dev/null)
	[ $(( ${up:-0} + ${refused:-0} )) -ge $N ]
}
wait_for "$N members' handshakes" 120 held
echo "members: $(cat "$T/hold.status"); agent A holds $(nfds) descriptors"

# The slowloris on top, as in t_slowloris.
python3 "$SL" flood "$PORT_A" 40 30 "$T/flood.status" &
pids="$pids $!"
flood_going() {
	sample
	local c
	c=$(sed -n 's/^connects=\([0-9]*\).*/\1/p' "$T/flood.status" 2>/dev/null)
	[ "${c:-0}" -ge 600 ]
}
wait_for "the slowloris in full force" 60 flood_going
echo "slowloris: $(cat "$T/flood.status"); agent A holds $(nfds) descriptors"

# B, a real agent, dials in from 127.1.0.1 (its own /24) and must sync.
r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open)
python3 "$SL" relay 127.1.0.1 "$PORT_A" "$T/relay.port" &
pids="$pids $!"
wait_for "the relay listening" 10 test -s "$T/relay.port"
expect_ok on B peer add "127.1.0.1:$(cat "$T/relay.port")" "$A_ID" >/dev/null
t0=${EPOCHREALTIME/./}
"$H" --data "$T/B" agent --no-ui --listen 127.0.0.1:0 >"$T/B.out" \
    2>"$T/B.log" &
echo $! >"$T/B.pid"
until on B show consultations "$r" >/dev/null 2>&1; do
	sample
	[ $(( ${EPOCHREALTIME/./} - t0 )) -lt $((sync_s * 1000000)) ] ||
	    die "B did not sync with A within $sync_s s (members: $(cat "$T/hold.status"); slowloris: $(cat "$T/flood.status"); A holds $(nfds) descriptors; A: $(grep -E 'budget|listener' "$T/A.log" | tail -2); B: $(grep -E 'dialer|session' "$T/B.log" | tail -2))"
	sleep 0.1
done
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
# By its own dial: the one A makes is not the point here.
grep -q "peer=${B_ID:0:16}@127.1.0.1:[0-9]* (B) up" "$T/A.log" ||
    die "A's log does not show B's own dial from 127.1.0.1 up: $(grep "${B_ID:0:16}" "$T/A.log" | tail -3)"

# The attack goes on a while (past a log interval): A stays within its
# descriptors and serves B.
r2=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F closed_on=2026-11-20 outcome=advised center=Dushanbe status=closed)
end=$((SECONDS + 12))
while [ $SECONDS -lt $end ]; do sample; sleep 0.2; done
on B show consultations "$r2" >/dev/null ||
    die "a new record did not reach B under the attack"
echo "B synced in $ms ms; members: $(cat "$T/hold.status"); slowloris: $(cat "$T/flood.status"); agent A: at most $max_fds descriptors, VmRSS at most $max_rss kB"

[ "$max_fds" -lt 256 ] || die "agent A reached $max_fds descriptors of 256"
if grep -Eiq "too many open files|EMFILE|not listening for" "$T/A.log"; then
	die "agent A ran out of descriptors: $(grep -Ei "too many open files|EMFILE|not listening for" "$T/A.log" | head -2)"
fi
[ "$max_rss" -lt "$rss_limit" ] ||
    die "agent A's RSS reached $max_rss kB (limit $rss_limit kB)"
# The members' sessions past A's share were refused, and said so: one line
# per 10 s however many, naming the budget and what to raise.
up=$(sed -n 's/^up=\([0-9]*\).*/\1/p' "$T/hold.status")
[ "$up" -ge 128 ] || die "A held only $up members' sessions"
[ "$up" -lt $N ] || die "A held all $N members' sessions in 256 descriptors"
closed=$(sed -n 's/.*closed=\([0-9]*\).*/\1/p' "$T/hold.status")
assert_eq "$closed" 0 "members' sessions A closed once it held them"
line="descriptor budget: "
grep -q "$line.*raise LimitNOFILE" "$T/A.log" ||
    die "A's log does not say it refused members' sessions for its descriptor budget"
n=$(grep -c "$line" "$T/A.log")
[ "$n" -le 4 ] || die "A logged the budget $n times (once per 10 s expected)"
if grep -q "session peer=.*peer not admitted" "$T/A.log"; then
	die "A logged a refused session one line each: $(grep -c "peer not admitted" "$T/A.log") lines"
fi
stop_helpers
stop_agent B
stop_agent A
grep "descriptor budget" "$T/A.log" | head -2
echo "t_fdbudget: ok"

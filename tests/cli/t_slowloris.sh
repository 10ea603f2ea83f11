#!/usr/bin/env bash
# timeout: 180
# plain: its 64 MiB bound on the agent's RSS holds only without ASan's shadow memory
# Proves connections that never finish a handshake cannot lock members out: an agent with 256 file descriptors holds at most 8 such connections per /24 and drops each 3 s after accept whether it sends nothing or a byte at a time; under a slowloris of 1,200 connections from 40 /24s (127.0.N.1) a member dialing from 127.1.0.1 still syncs within 5 s, while the agent's descriptors stay well under its limit and its RSS under 64 MiB; and when accept() fails with EMFILE and no reserve descriptor can be had, the agent neither spins nor dies: its sessions go on and it listens again once descriptors are back.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
SL=$CLI_DIR/slowloris.py

mknode A Dushanbe
mknode B Khujand
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Khujand --role center)
expect_ok on B join "$tok" >/dev/null
A_ID=$(on A id)
r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open)

# The shim that makes A run out of descriptors on demand (tools/ are
# programs; this one is a preloaded library, built here).
${CC:-cc} -shared -fPIC -o "$T/emfile.so" \
    "$HAMROH_REPO/tests/tools/emfile_preload.c" -ldl ||
    die "cannot build tests/tools/emfile_preload.c"

trap 'kill_agents; stop_helpers' EXIT
# A gets 256 file descriptors in all, as under `ulimit -n 256`.  (An ASan
# runtime must come first among libraries; with a preload it cannot.)
AGENT_ENV=(LD_PRELOAD="$T/emfile.so" HAMROH_EMFILE="$T/emfile"
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
start_agent_nofile A 256
APID=$(cat "$T/A.pid")

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$APID/status"; }
nfds() { find "/proc/$APID/fd" -mindepth 1 2>/dev/null | wc -l; }
case $HAMROH_BUILD in
*/san) rss_limit=262144 ;;	# ASan's shadow memory; the bound is for real builds
*) rss_limit=65536 ;;
esac

# 20 connections from one /24 sending nothing (or a byte every half second):
# the agent holds 8, the newest, and closes those 3 s after it accepted
# them, long before the whole handshake's 10 s.
out=$(python3 "$SL" probe "$PORT_A" 127.0.200.1 20)
echo "one /24, 20 connections: $out"
assert_eq "$(py get open <<<"$out")" 8 "connections held from one /24 (20 opened, none finished message 1)"
py get closed <<<"$out" | python3 -c '
import json, sys
t = json.load(sys.stdin)
sys.exit(0 if all(x is not None and x < 8 for x in t) else
         "FAIL: held connections without message 1 were closed after %s s, "
         "expected about 3 s" % t)'

# The slowloris: 30 connections from each of 40 /24s, dialed again as soon
# as the agent drops them.
python3 "$SL" flood "$PORT_A" 40 30 "$T/flood.status" &
pids="$pids $!"
flood_going() {
	local c
	c=$(sed -n 's/^connects=\([0-9]*\).*/\1/p' "$T/flood.status" 2>/dev/null)
	[ "${c:-0}" -ge 600 ]
}
wait_for "the slowloris in full force" 60 flood_going
echo "slowloris: $(cat "$T/flood.status"); agent A holds $(nfds) descriptors"

# The honest member dials from 127.1.0.1, its own /24 (through a relay
# bound there: the kernel would pick 127.0.0.1 for it).
python3 "$SL" relay 127.1.0.1 "$PORT_A" "$T/relay.port" &
pids="$pids $!"
wait_for "the relay listening" 10 test -s "$T/relay.port"
expect_ok on B peer add "127.1.0.1:$(cat "$T/relay.port")" "$A_ID" >/dev/null
t0=${EPOCHREALTIME/./}
"$H" --data "$T/B" agent --no-ui --listen 127.0.0.1:0 >"$T/B.out" 2>"$T/B.log" &
echo $! >"$T/B.pid"
max_rss=0 max_fds=0
until on B show consultations "$r" >/dev/null 2>&1; do
	kill -0 "$APID" 2>/dev/null || die "agent A died under the slowloris (log: $(tail -3 "$T/A.log"))"
	rss=$(rss_kb); n=$(nfds)
	[ "$rss" -le "$max_rss" ] || max_rss=$rss
	[ "$n" -le "$max_fds" ] || max_fds=$n
	[ $(( ${EPOCHREALTIME/./} - t0 )) -lt 5000000 ] ||
	    die "B did not sync with A within 5 s under the slowloris (slowloris: $(cat "$T/flood.status"); A holds $n descriptors; B: $(grep -E 'dialer|session' "$T/B.log" | tail -2))"
	sleep 0.1
done
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
grep -q "@127.1.0.1:[0-9]* (B) up" "$T/A.log" ||
    die "A's log does not show B's session from 127.1.0.1"

# The attack goes on: A stays bounded and keeps serving.
r2=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F closed_on=2026-11-20 outcome=advised center=Dushanbe status=closed)
t1=${EPOCHREALTIME/./}
until on B show consultations "$r2" >/dev/null 2>&1; do
	rss=$(rss_kb); n=$(nfds)
	[ "$rss" -le "$max_rss" ] || max_rss=$rss
	[ "$n" -le "$max_fds" ] || max_fds=$n
	[ $(( ${EPOCHREALTIME/./} - t1 )) -lt 10000000 ] ||
	    die "a new record did not reach B within 10 s under the slowloris"
	sleep 0.1
done
echo "B synced in $ms ms (from its start) under the slowloris ($(cat "$T/flood.status")); agent A: at most $max_fds descriptors, VmRSS at most $max_rss kB"
[ "$max_rss" -lt "$rss_limit" ] ||
    die "agent A's RSS reached $max_rss kB under the slowloris (limit $rss_limit kB)"
# 64 connections before authentication at most, B's session and the
# agent's own files: well under 256.
[ "$max_fds" -lt 128 ] ||
    die "agent A held $max_fds descriptors under the slowloris (pre-authentication cap 64)"
grep -q "connections before authentication: " "$T/A.log" ||
    die "A's log does not say it dropped connections before authentication"

# Out of descriptors all the same, with the slowloris still on: accept()
# fails with EMFILE and no reserve descriptor opens.  libuv calls A's
# listener again and again while connections wait; A must free something
# each time (connections before authentication, then its reserve, then
# the listener itself for a second), or its loop spins there and its
# sessions stall.
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$APID/stat"; }
cpu0=$(cpu_s)
t2=$SECONDS
touch "$T/emfile"
wait_for "A closing its listener for want of descriptors" 10 \
    grep -q "with no connection to drop; not listening for 1 s" "$T/A.log"
r3=$(expect_ok on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khujand status=open)
wait_for "a record from B reaching A while A is out of descriptors" 15 \
    on A show consultations "$r3"
# A second later it listens again, finds no descriptor, and closes again.
closed_twice() {
	[ "$(grep -c "not listening for 1 s" "$T/A.log")" -ge 2 ]
}
wait_for "A trying its listener again" 10 closed_twice
kill -0 "$APID" 2>/dev/null || die "agent A died out of descriptors (log: $(tail -3 "$T/A.log"))"
echo "out of descriptors: A used $(awk -v a="$(cpu_s)" -v b="$cpu0" 'BEGIN { printf "%.2f", a - b }') s of CPU in $((SECONDS - t2)) s"
rm "$T/emfile"
# Descriptors are back: a new connection is accepted (and dropped 3 s on
# for sending nothing), not left waiting behind a closed listener.
accepted_again() {
	local o
	o=$(python3 "$SL" probe "$PORT_A" 127.0.202.1 1) || return 1
	[ "$(py get open <<<"$o")" = 1 ] && [ "$(py get closed <<<"$o")" != "[null]" ]
}
wait_for "A accepting connections again" 40 accepted_again

stop_helpers
stop_agent B
stop_agent A
echo "t_slowloris: ok"

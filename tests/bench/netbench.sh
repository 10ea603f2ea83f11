#!/usr/bin/env bash
# Network figures for make bench, each against its limit measured in the
# same run:
#   catch-up   an empty node syncing 100,000 generated consultations from
#              an agent over loopback, encrypted, vs a copy of the same
#              node (taken once it joined, so it judges every commit as
#              the syncing node does) applying the same commits from a
#              bundle (no network): target <= 1.3
#   wire       bytes the sender put on the wire per byte of commit
#              payload (body + signature): target <= 1.05
#   reconnect  bytes both ways after the handshake when already in sync
#   zstd       the wire figure again with compression turned off
#              (agent --no-compress), for the ratio of the two
#   memory     peak RSS of an agent serving a peer 100,000 commits behind:
#              target < 64 MiB
#
# BENCH_ONLY=catchup runs the catch-up figure alone; another figure's
# name runs nothing here.  BENCH_VERBOSE=1 prints each repetition.
set -eu
case ${BENCH_ONLY:-} in
''|catchup) ;;
*) exit 0 ;;
esac
H=${1:-./hamroh}
INPUT=${2:-build/bench-100k.jsonl}
MKCOMMITS=${3:-$(dirname "$H")/build/plain/tools/mkcommits}
T=$(mktemp -d "${TMPDIR:-/tmp}/hamroh-netbench.XXXXXX")
# agent() runs in $(...) subshells: the pids it starts are kept in a file.
trap 'for p in $(cat "$T/pids" 2>/dev/null); do kill -9 $p 2>/dev/null || true; done; rm -rf "$T"' EXIT
# shellcheck source=tests/bench/staff.sh
. "$(dirname "$0")/staff.sh"
now() { date +%s.%N; }
count() {
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=10).execute("select count(*) from commits").fetchone()[0])' "$1/hamroh.db"
}
agent() {	# agent DIR [OPTION...]: start, wait for its port, print it
	local d=$1; shift
	set -- "$d" "$@"
	"$HB" --data "$1" agent --no-ui --listen 127.0.0.1:0 "${@:2}" >"$1.out" 2>"$1.log" &
	echo $! >>"$T/pids"
	echo $! >"$1.pid"
	disown $!	# killed on purpose: no job-control noise
	until grep -q '^listening on' "$1.out" 2>/dev/null; do sleep 0.05; done
	sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1.out"
}

"$H" --data "$T/A" init --name A >/dev/null
"$H" --data "$T/A" network create --name bench >/dev/null
"$H" --data "$T/A" center add x "bench office" --prefix BEN >/dev/null
"$H" --data "$T/A" import consultations "$INPUT" >/dev/null
# Fifty offices' worth of origins, as the reconnect target assumes.
for i in $(seq 1 48); do
	"$H" --data "$T/o$i" init --name "o$i" >/dev/null
	"$H" --data "$T/o$i" bundle export "$T/o$i.hb" >/dev/null
	"$H" --data "$T/A" bundle import "$T/o$i.hb" >/dev/null
	rm -rf "$T/o$i" "$T/o$i.hb"
done
total=$(count "$T/A")
payload=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select sum(length(body)) + 64 * count(*) from commits").fetchone()[0])' "$T/A/hamroh.db")

# The limit: the same node, a copy of B taken just after it joined,
# applying the same commits from a bundle, no network.  It judges every
# commit as B does (a node outside the network judges nothing).  Best
# of three for each, on fresh nodes.
pa=$(agent "$T/A")
t_apply=999 t_sync=999
for rep in 1 2 3; do
	if [ -f "$T/B.pid" ]; then
		kill -9 "$(cat "$T/B.pid")" 2>/dev/null || true
		while kill -0 "$(cat "$T/B.pid")" 2>/dev/null; do sleep 0.02; done
	fi
	rm -rf "$T/B" "$T/B.out" "$T/R"
	"$H" --data "$T/B" init --name B >/dev/null
	tok=$("$H" --data "$T/A" invite "$("$H" --data "$T/B" id)" --name B \
	    --center x --role office --address 127.0.0.1:$pa)
	"$H" --data "$T/B" join "$tok" >/dev/null
	cp -a "$T/B" "$T/R"
	"$H" --data "$T/A" bundle export "$T/all.hb" >/dev/null
	sync
	t0=$(now)
	"$HB" --data "$T/R" bundle import "$T/all.hb" >/dev/null
	t=$(echo "$(now) - $t0" | bc)
	[ "$(echo "$t < $t_apply" | bc)" = 1 ] && t_apply=$t
	t_apply_rep=$t

	before=$(count "$T/B")
	# One light poller, started first: spawning a process per poll would
	# steal CPU from the two agents on a small machine.
	python3 - "$T/B/hamroh.db" $((total + before)) >"$T/t_sync" <<'PY' &
import sqlite3, sys, time
db, want = sys.argv[1], int(sys.argv[2])
t0 = time.monotonic()
open(db + ".go", "w").close()
while True:
    try:
        n = sqlite3.connect(db, timeout=10).execute("select count(*) from commits").fetchone()[0]
    except sqlite3.Error:
        n = 0
    if n >= want:
        print("%.3f" % (time.monotonic() - t0))
        break
    time.sleep(0.01)
PY
	poller=$!
	until [ -f "$T/B/hamroh.db.go" ]; do sleep 0.01; done
	agent "$T/B" >/dev/null
	wait "$poller"
	rm -f "$T/B/hamroh.db.go"
	t=$(cat "$T/t_sync")
	[ "$(echo "$t < $t_sync" | bc)" = 1 ] && t_sync=$t
	[ -z "${BENCH_VERBOSE:-}" ] || echo "catch-up rep $rep: apply-only $t_apply_rep s, sync $t s" >&2
done

catchup_line() {
	printf '%-10s %6d commits %7.2f s over loopback   apply-only %.2f s   ratio %.2f (target <= 1.3)%s\n' \
	    catch-up "$total" "$t_sync" "$t_apply" "$(echo "$t_sync / $t_apply" | bc -l)" \
	    "$(echo "$t_sync / $t_apply <= 1.3" | bc -l | sed 's/^1$//; s/^0$/  BELOW TARGET/')"
}
if [ "${BENCH_ONLY:-}" = catchup ]; then
	catchup_line
	exit 0
fi

# Bytes A sent B, from A's own record of the session.
sleep 2.5
sent=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=10).execute("select max(bytes_out) from peer_status").fetchone()[0] or 0)' "$T/A/hamroh.db")

# Reconnect when in sync: restart B, read what the new session moved.
kill -TERM "$(cat "$T/B.pid")"
while kill -0 "$(cat "$T/B.pid")" 2>/dev/null; do sleep 0.05; done
agent "$T/B" >/dev/null
sleep 3
recon=$(python3 -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1], timeout=10).execute("select bytes_in, bytes_out from peer_status where state like \"connected%\"").fetchone(); print("%d %d" % (r[0], r[1]) if r else "0 0")' "$T/B/hamroh.db")
origins=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(distinct origin) from commits").fetchone()[0])' "$T/B/hamroh.db")

# The same catch-up with compression off: what zstd saves on the wire.
kill -9 "$(cat "$T/B.pid")"
while kill -0 "$(cat "$T/B.pid")" 2>/dev/null; do sleep 0.02; done
rm -rf "$T/B" "$T/B.out" "$T/B.log"
"$H" --data "$T/B" init --name B >/dev/null
tok=$("$H" --data "$T/A" invite "$("$H" --data "$T/B" id)" --name B \
    --center x --role office --address 127.0.0.1:$pa)
"$H" --data "$T/B" join "$tok" >/dev/null
agent "$T/B" --no-compress >/dev/null
until [ "$(count "$T/B")" -ge "$total" ]; do sleep 0.1; done
kill -TERM "$(cat "$T/B.pid")"
while kill -0 "$(cat "$T/B.pid")" 2>/dev/null; do sleep 0.05; done
sleep 2.5
# From A's log line for that session: "... as N bytes on the wire, zstd off".
plain=$(sed -n 's/.* as \([0-9]*\) bytes on the wire, zstd off.*/\1/p' "$T/A.log" | tail -n 1)
[ -n "$plain" ] || { echo "netbench: no uncompressed session in A's log" >&2; exit 1; }

# Memory: an agent serving a peer 100,000 small commits behind.
"$H" --data "$T/M" init --name M >/dev/null
"$H" --data "$T/M" network create --name mem >/dev/null
"$H" --data "$T/M" center add x "bench office" --prefix BEN >/dev/null
"$MKCOMMITS" "$T/M" 100000 >/dev/null
pm=$(agent "$T/M")
"$H" --data "$T/E" init --name E >/dev/null
tok=$("$H" --data "$T/M" invite "$("$H" --data "$T/E" id)" --name E \
    --center x --role office --address 127.0.0.1:$pm)
"$H" --data "$T/E" join "$tok" >/dev/null
mtotal=$(count "$T/M")
agent "$T/E" >/dev/null
until [ "$(count "$T/E")" -ge "$mtotal" ]; do sleep 0.2; done
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$(cat "$T/M.pid")/status")

catchup_line
printf '%-10s %10d B sent for %d B of commits   ratio %.3f (target <= 1.05)%s\n' \
    wire "$sent" "$payload" "$(echo "$sent / $payload" | bc -l)" \
    "$(echo "$sent / $payload <= 1.05" | bc -l | sed 's/^1$//; s/^0$/  BELOW TARGET/')"
set -- $recon
printf '%-10s %d B in, %d B out after the handshake, %d origins (target: one round trip, < 1 KiB for 50 origins)\n' \
    reconnect "$1" "$2" "$origins"
printf '%-10s %10d B sent with zstd, %d B without, for %d B of commits: %.3f vs %.3f B per payload byte\n' \
    zstd "$sent" "$plain" "$payload" "$(echo "$sent / $payload" | bc -l)" \
    "$(echo "$plain / $payload" | bc -l)"
printf '%-10s peak RSS %.1f MiB serving a peer %d commits behind (target < 64 MiB)%s\n' \
    memory "$(echo "$hwm / 1024" | bc -l)" "$mtotal" \
    "$([ "$hwm" -lt 65536 ] || echo '  OVER TARGET')"

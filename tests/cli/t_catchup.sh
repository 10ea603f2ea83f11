#!/usr/bin/env bash
# timeout: 300
# plain: its 64 MiB bound on the sender's peak RSS holds only without ASan's shadow memory
# Proves a catch-up survives kill -9 of the receiver: a node 100,000 commits behind is killed mid-transfer, restarted, resumes where its vector stands, ends identical, the sender sent no batch twice beyond its window of unacknowledged ones, and its peak RSS stayed under 64 MiB.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
N=100000
case $HAMROH_BUILD in */san) N=20000 ;; esac

mknode A Dushanbe
mknode B Murghob
expect_ok on A network create --name tj-legal >/dev/null
"$HAMROH_BUILD/tools/mkcommits" "$T/A" "$N" || die "mkcommits failed"
"$H" --data "$T/A" agent --no-ui --listen 127.0.0.1:0 >"$T/A.out" 2>"$T/A.log" &
echo $! >"$T/A.pid"
cleanup() {
	local f
	for f in A.pid B.pid; do
		if [ -f "$T/$f" ]; then kill -9 "$(cat "$T/$f")" 2>/dev/null || true; fi
	done
}
trap cleanup EXIT
wait_for "agent A listening" 10 grep -q '^listening on' "$T/A.out"
PORT_A=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/A.out")
expect_ok on A center add Murghob "Murghob center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Murghob --role office --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null
total=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from commits").fetchone()[0])' "$T/A/hamroh.db")

count() {
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=10).execute("select count(*) from commits").fetchone()[0])' "$T/B/hamroh.db"
}
"$H" --data "$T/B" agent --no-ui --listen 127.0.0.1:0 >"$T/B.out" 2>"$T/B.log" &
echo $! >"$T/B.pid"
quarter() { [ "$(count)" -ge $((N / 4)) ]; }
wait_for "B a quarter through the catch-up" 120 quarter
kill -9 "$(cat "$T/B.pid")"
wait "$(cat "$T/B.pid")" 2>/dev/null || true
at_kill=$(count)
echo "killed B with $at_kill of $total commits"
[ "$at_kill" -lt "$total" ] || die "B finished before it could be killed; raise N"
expect_ok on B verify >/dev/null

: >"$T/B.out"	# (not the job's redirection: see t_hostile)
"$H" --data "$T/B" agent --no-ui --listen 127.0.0.1:0 >"$T/B.out" 2>>"$T/B.log" &
echo $! >"$T/B.pid"
done_() { [ "$(count)" -ge "$total" ]; }
wait_for "B caught up after the restart" 240 done_
same() { cmp -s <(on A vector) <(on B vector) && cmp -s <(on A export) <(on B export); }
wait_for "A and B identical" 30 same
expect_ok on B verify >/dev/null
# The sender's memory stays bounded however far behind its peer is.
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$(cat "$T/A.pid")/status")
echo "sender peak RSS $((hwm / 1024)) MiB serving a peer $total commits behind"
case $HAMROH_BUILD in
*/san)	;;	# ASan's shadow memory is not the agent's
*)	[ "$hwm" -lt $((64 * 1024)) ] ||
	    die "sender peak RSS $((hwm / 1024)) MiB, over the 64 MiB bound" ;;
esac
kill -TERM "$(cat "$T/A.pid")"
wait "$(cat "$T/A.pid")" || true

# What A sent B, over both sessions, against what B needed.
python3 - "$T/A.log" "$total" "$at_kill" "$T/A/hamroh.db" <<'EOF' || die "resend check: see above"
import re, sys
log, total, at_kill = open(sys.argv[1]).read(), int(sys.argv[2]), int(sys.argv[3])
rows = [tuple(map(int, m)) for m in re.findall(r"sent (\d+) commits in (\d+) batches", log)]
sent = sum(r[0] for r in rows)
batches = sum(r[1] for r in rows)
# A batch is one frame (1 MiB), each commit taking its body plus 128 bytes
# (BATCH_OVERHEAD): the most commits one batch can hold.
import sqlite3
smallest = sqlite3.connect(sys.argv[4]).execute(
    "select min(length(body)) from commits").fetchone()[0]
per_batch = 1024 * 1024 // (smallest + 128) + 1
window = 2  # SESSION_WINDOW
extra = sent - total
print("sessions %d, sent %d commits in %d batches for %d needed: %d sent twice (window %d x %d)"
      % (len(rows), sent, batches, total, extra, window, per_batch))
if len(rows) < 2:
    sys.exit("FAIL: expected two sessions in A's log, got %d" % len(rows))
if extra > window * per_batch:
    sys.exit("FAIL: %d commits sent twice, more than the window of %d full batches" % (extra, window))
EOF
echo "t_catchup: ok"

#!/usr/bin/env bash
# timeout: 240
# Proves the agent's loop never waits on a lock: while another process holds A's database locked for 12 s (longer than the 10 s SQLite busy timeout the agent once waited with, as a long import on a slow disk does) A goes on serving B's catch-up, B's new record waits at A and is applied once the lock is gone, with no session of B's closed, no peer blamed or refused and nothing logged as locked, and a node C that dials A meanwhile is admitted once the lock is gone; then a CLI import beside the agent reaches B whole.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
N=60000
case $HAMROH_BUILD in */san) N=15000 ;; esac

mknode A Dushanbe
mknode B Khujand
mknode C Khorog
expect_ok on A network create --name tj-legal >/dev/null
"$HAMROH_BUILD/tools/mkcommits" "$T/A" "$N" || die "mkcommits failed"
expect_ok on A center add Khujand "Khujand center" >/dev/null
for n in B C; do
	tok=$(expect_ok on A invite "$(on $n id --invite)" --name $n --center Khujand --role center)
	expect_ok on $n join "$tok" >/dev/null
done
trap kill_agents EXIT
start_agent A
expect_ok on B peer add "127.0.0.1:$PORT_A" "$(on A id)" >/dev/null
expect_ok on C peer add "127.0.0.1:$PORT_A" "$(on A id)" >/dev/null
count() {
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=10).execute("select count(*) from commits").fetchone()[0])' "$1/hamroh.db"
}
total=$(count "$T/A")
start_agent B
started() { [ "$(count "$T/B")" -ge 1000 ]; }
wait_for "B's catch-up under way" 60 started

# Another process takes A's write lock and keeps it 12 s; meanwhile B logs
# a record, which A cannot store until the lock is gone.
python3 - "$T/A/hamroh.db" "$T/B/hamroh.db" >"$T/lock.out" <<'PY' &
import sqlite3, sys, time
a = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
a.execute("BEGIN IMMEDIATE")
def n():
    return sqlite3.connect(sys.argv[2], timeout=30).execute("select count(*) from commits").fetchone()[0]
print("locked", n(), flush=True)
time.sleep(12)
print("unlocking", n(), flush=True)
a.execute("COMMIT")
PY
LPID=$!
wait_for "A's database locked" 30 grep -q '^locked' "$T/lock.out"
rb=$(expect_ok on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khujand status=open)
start_agent C
wait "$LPID"
set -- $(sed -n 's/^locked //p' "$T/lock.out") $(sed -n 's/^unlocking //p' "$T/lock.out")
echo "B held $1 commits when A's database was locked, $2 when it was let go (of $total)"
[ "$2" -gt "$1" ] || [ "$1" -ge "$total" ] ||
    die "A stopped serving B's catch-up while its database was locked"
wait_for "B's record applied at A once the lock is gone" 60 on A show consultations "$rb"
wait_for "C, which dialed A during the lock, holding B's record" 120 on C show consultations "$rb"

# A real import beside the agent: its records reach B.
gen 5000 --seed 11 >"$T/in.jsonl"
expect_ok on A import consultations "$T/in.jsonl" >/dev/null
ra=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open)
wait_for "the import's records at B" 120 on B show consultations "$ra"
all() { [ "$(count "$T/B")" -ge "$(count "$T/A")" ]; }
wait_for "B holding all of A's commits" 120 all
expect_ok on A export --sealed >"$T/a.jsonl"
expect_ok on B export --sealed >"$T/b.jsonl"
assert_same_file "$T/b.jsonl" "$T/a.jsonl" "B's export after the lock and the import"

! grep -i "locked" "$T/A.log" || die "A logged a locked database (above)"
! grep -i "refused\|bad commit" "$T/A.log" "$T/B.log" "$T/C.log" || die "a peer was refused or blamed (above)"
B_FP=$(on B id | cut -c1-16)
! grep "closing" "$T/B.log" || die "B's session closed while A's database was busy (above)"
! grep "peer=$B_FP.*closing" "$T/A.log" || die "A closed B's session while its database was busy (above)"
echo "t_busydb: ok"

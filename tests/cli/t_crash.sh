#!/usr/bin/env bash
# timeout: 600
# Proves an import killed with SIGKILL at a random instant leaves a node that verifies and holds all of the import or none of it (20 trials; CRASH_SEED=S repeats a run).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

n=20000
case $HAMROH_BUILD in */san) n=5000 ;; esac
trials=${CRASH_TRIALS:-20}
seed=${CRASH_SEED:-$(( (RANDOM << 15) | RANDOM ))}
echo "t_crash: seed $seed (rerun with CRASH_SEED=$seed), $n records, $trials trials"
RANDOM=$seed

gen "$n" --seed 99 >"$T/big.jsonl"
mknode base Khorog
expect_ok on base add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khorog status=open summary="before the import" >/dev/null
on base export consultations >"$T/base.c"
base_count=$(lines "$T/base.c")

now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((t / 1000)); }

# how long an undisturbed import takes (the faster of two: the first is cold)
dur=
for _ in 1 2; do
	rm -rf "$T/probe"
	cp -a "$T/base" "$T/probe"
	t0=$(now_ms)
	expect_ok on probe import consultations "$T/big.jsonl" >/dev/null
	t=$(( $(now_ms) - t0 ))
	[ -n "$dur" ] && [ "$dur" -le "$t" ] || dur=$t
done
echo "t_crash: full import takes ${dur} ms"
on probe export consultations >"$T/export"
assert_eq "$(lines "$T/export")" $((base_count + n)) "consultations after an undisturbed import"
rm -rf "$T/probe"

none=0 all=0 finished=0 reimported=0
for trial in $(seq 1 "$trials"); do
	rm -rf "$T/node"
	cp -a "$T/base" "$T/node"
	# odd trials: anywhere in the import; even ones: its last 30%, where it
	# writes and commits
	r=$(( (RANDOM << 15) | RANDOM ))
	if [ $((trial % 2)) -eq 1 ]; then
		delay=$(( r % (dur + 1) ))
	else
		delay=$(( dur * 7 / 10 + r % (dur * 3 / 10 + 1) ))
	fi
	"$H" --data "$T/node" import consultations "$T/big.jsonl" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -9 "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	[ $rc -ne 0 ] || finished=$((finished + 1))

	out=$(on node verify 2>&1) ||
	    die "trial $trial (kill after ${delay} ms, import exit $rc): verify failed: $out"
	on node export consultations >"$T/export"
	count=$(lines "$T/export")
	if [ "$count" -eq "$base_count" ]; then
		none=$((none + 1))
	elif [ "$count" -eq $((base_count + n)) ]; then
		all=$((all + 1))
	else
		die "trial $trial (kill after ${delay} ms, import exit $rc): expected $base_count or $((base_count + n)) consultations, got $count"
	fi
	grep -q '"summary":"before the import"' "$T/export" ||
	    die "trial $trial: the record written before the import is gone"

	# the node keeps working: a write succeeds, and a lost import can be redone
	expect_ok on node add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khorog status=open >/dev/null
	if [ "$count" -eq "$base_count" ] && [ $reimported -eq 0 ]; then
		expect_ok on node import consultations "$T/big.jsonl" >/dev/null
		assert_eq "$(on node export consultations | wc -l)" $((base_count + n + 1)) \
		    "trial $trial: consultations after redoing the killed import"
		reimported=1
	fi
	expect_ok on node verify >/dev/null
	echo "trial $trial: killed after ${delay} ms, import exit $rc, $count consultations"
done
echo "t_crash: $none trials kept none, $all kept all ($finished finished before the kill)"

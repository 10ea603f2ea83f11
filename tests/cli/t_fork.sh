#!/usr/bin/env bash
# timeout: 300
# Proves a fork converges over agents alone: an office's data dir is copied and both copies write (3 and 2 commits past the copy), one copy at each end of a 6-node line; every node, both copies included, reports the fork (status and audit say what to do), the exports are byte-identical everywhere (the office frozen at the last seq both branches share: what it wrote before stays, neither branch counts), the forked office refuses to write, and 'fork recommit' on one copy brings that branch's writes back on every node under a successor key.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT

LINE=(N1 N2 N3 N4 N5 N6)
ALL=("${LINE[@]}" O O2)
mknode N1 Dushanbe
for n in N2 N3 N4 N5 N6; do mknode $n Khujand; done
mknode O Khorog
expect_ok on N1 network create --name tj-legal >/dev/null
expect_ok on N1 center add Khujand "Khujand center" >/dev/null
for n in N2 N3 N4 N5 N6; do
	tok=$(expect_ok on N1 invite "$(on $n id --invite)" --name $n --center Khujand --role center)
	expect_ok on $n join "$tok" >/dev/null
done
expect_ok on N1 center add Khorog "Khorog center" >/dev/null
tok=$(expect_ok on N1 invite "$(on O id --invite)" --name O --center Khorog --role office)
expect_ok on O join "$tok" >/dev/null
KO=$(on O id)

add() { expect_ok on "$1" add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-20 status=open summary="$2"; }
has() { on "$1" show consultations "$2" >/dev/null 2>&1; }
shared=$(add O "before the copy")

# The line N1 - N2 - ... - N6, O at N1's end.
start_agent N1
prev=N1
for n in N2 N3 N4 N5 N6; do
	p=PORT_$prev
	expect_ok on $n peer add "127.0.0.1:${!p}" "$(on $prev id)" >/dev/null
	start_agent $n
	prev=$n
done
expect_ok on O peer add "127.0.0.1:$PORT_N1" "$(on N1 id)" >/dev/null
start_agent O
wait_for "O's record before the copy at N6" 120 has N6 "$shared"
stop_agent O

# The copy: the same key writes two histories.
cp -a "$T/O" "$T/O2"
rm -f "$T/O2"/*.pid
expect_ok on O2 peer rm "127.0.0.1:$PORT_N1" >/dev/null
expect_ok on O2 peer add "127.0.0.1:$PORT_N6" "$(on N6 id)" >/dev/null
a1=$(add O "branch A one")
a2=$(add O "branch A two")
expect_ok on O set consultations "$shared" status=closed closed_on=2026-11-21 outcome=Advised >/dev/null
b1=$(add O2 "branch B one")
expect_ok on O2 set consultations "$shared" status=referred >/dev/null
start_agent O
start_agent O2

forked() { [ "$(status_field "$1" forks)" -ge 1 ]; }
for n in "${ALL[@]}"; do
	wait_for "$n reporting the fork" 120 forked "$n"
done
# The same state everywhere: byte-identical exports (sealed: N2..N6 are
# of another center and hold no Khorog key).
same() {
	on N1 export --sealed >"$T/e.N1"
	for n in "${ALL[@]}"; do
		on "$n" export --sealed >"$T/e.$n" || return 1
		cmp -s "$T/e.$n" "$T/e.N1" || return 1
	done
}
wait_for "identical exports on every node" 120 same
for n in "${ALL[@]}"; do
	assert_same_file "$T/e.$n" "$T/e.N1" "export of $n"
	has "$n" "$shared" || die "$n lost what O wrote before the copy"
	for r in "$a1" "$a2" "$b1"; do
		! has "$n" "$r" || die "$n applies $r, written on one branch of the fork"
	done
	assert_eq "$(on "$n" show consultations "$shared" --json | py get status)" open \
	    "$shared's status on $n (neither branch's edit counts)"
	expect_ok on "$n" verify >/dev/null
	out=$(on "$n" status)
	assert_contains "$out" "signed two different histories" "status on $n"
	assert_contains "$out" "What to do:" "status on $n"
	assert_contains "$(on "$n" audit)" "signed two different histories" "audit on $n"
done
assert_contains "$(on O status)" "THIS OFFICE" "status on the forked office itself"
# It acknowledges no write that would count nowhere.
expect_fail "O writing after its fork" on O add consultations channel=walk_in topic=other client_sex=F center=Khorog opened_at=2026-11-21 status=open
assert_contains "$ERR" "two different histories" "O's refusal"

# Keep copy O's writes: it continues under a successor key and commits
# its branch again; O2 is stopped for good.
stop_agent O
stop_agent O2
assert_contains "$(on O fork list)" "THIS OFFICE" "fork list on O"
branch=$(on O fork list | sed -n "s/.*this copy's branch \([0-9a-f]*\):.*/\1/p")
[ -n "$branch" ] || die "fork list on O names no branch: $(on O fork list)"
expect_fail "recommit naming another branch" on O fork recommit --branch 0123456789abcdef
expect_fail "recommit where there is no fork of this key" on N3 fork recommit
out=$(expect_ok on O fork recommit --branch "$branch")
assert_contains "$out" "written again" "fork recommit"
KO2=$(on O id)
[ "$KO2" != "$KO" ] || die "fork recommit kept the old key"
after=$(add O "after the recommit")
# N1 does not know the new key until it holds the statement: it dials O.
start_agent O
expect_ok on N1 peer add "127.0.0.1:$PORT_O" "$KO2" >/dev/null
back() {
	has "$1" "$a1" && has "$1" "$a2" && has "$1" "$after" &&
	    [ "$(on "$1" show consultations "$shared" --json | py get status)" = closed ]
}
for n in "${LINE[@]}"; do
	wait_for "O's branch back on $n" 120 back "$n"
done
same6() {
	on N1 export --sealed >"$T/e.N1"
	for n in "${LINE[@]}" O; do
		on "$n" export --sealed >"$T/e.$n" || return 1
		cmp -s "$T/e.$n" "$T/e.N1" || return 1
	done
}
wait_for "identical exports after the recommit" 120 same6
for n in "${LINE[@]}" O; do
	! has "$n" "$b1" || die "$n applies $b1, of the branch not kept"
	expect_ok on "$n" verify >/dev/null
done
echo "t_fork: ok"

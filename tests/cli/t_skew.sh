#!/usr/bin/env bash
# Proves a write made after seeing another wins whatever the clocks say: B, 6 days behind A, overwrites A's value and both keep B's value with no conflict.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
day=86400000

# ahead/behind NODE ARGS...: hamroh with the node's clock 3 days fast/slow.
ahead() { HAMROH_CLOCK_OFFSET_MS=$((3 * day)) on "$@"; }
behind() { HAMROH_CLOCK_OFFSET_MS=-$((3 * day)) on "$@"; }

mknode A Dushanbe
mknode B Murghob

r=$(expect_ok ahead A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open outcome="from A")
expect_ok ahead A set consultations "$r" status=referred >/dev/null

# carry A's commits to B with B's slow clock, B overwrites, carry back
behind B vector >"$T/vB"
expect_ok ahead A bundle export "$T/a.bundle" --since "$T/vB" >/dev/null
expect_ok behind B bundle import "$T/a.bundle" >/dev/null
expect_ok behind B set consultations "$r" status=closed closed_on=2026-11-21 outcome="from B" >/dev/null
ahead A vector >"$T/vA"
expect_ok behind B bundle export "$T/b.bundle" --since "$T/vA" >/dev/null
expect_ok ahead A bundle import "$T/b.bundle" >/dev/null

for n in A B; do
	if [ "$n" = A ]; then run=ahead; else run=behind; fi
	$run "$n" export --sealed consultations >"$T/exp.$n"
	assert_eq "$(py field "$T/exp.$n" "$r" status)" closed "status on $n (B wrote after seeing A)"
	assert_eq "$(py field "$T/exp.$n" "$r" outcome)" "from B" "outcome on $n (B wrote after seeing A)"
	out=$($run "$n" conflicts --json) || die "conflicts --json on $n failed"
	assert_eq "$out" "" "conflicts on $n"
	expect_ok $run "$n" verify >/dev/null
done
assert_same_file "$T/exp.B" "$T/exp.A" "export of B vs A"

# A (clock still fast) writes again after seeing B's write: A wins, no conflict
expect_ok ahead A set consultations "$r" status=open >/dev/null
xfer A B
for n in A B; do
	on "$n" export consultations >"$T/exp.$n"
	assert_eq "$(py field "$T/exp.$n" "$r" status)" open "status on $n after A's later write"
	assert_no_conflicts "$n" "after A's later write"
done

# B's next local write, with its slow clock, still sorts after everything it saw
expect_ok behind B set consultations "$r" status=referred >/dev/null
xfer B A
on A export consultations >"$T/exp.A"
assert_eq "$(py field "$T/exp.A" "$r" status)" referred "status on A after B's second write"
assert_no_conflicts A "after B's second write"
echo "t_skew: ok"

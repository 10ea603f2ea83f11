#!/usr/bin/env bash
# Proves a validly signed commit that is bad on its own (stamped before its node's previous commit, tests/tools/forge --stamp-back) is refused on its own: held for a gap at B, released when a relay's bundle fills the gap, it no longer fails that whole bundle; it is stored, relayed and in the vector, its change applied nowhere and listed by audit and status, and every node, rebuilt or not, ends the same.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

FORGE=$HAMROH_BUILD/tools/forge
[ -x "$FORGE" ] || die "no forge tool at $FORGE ('make unit' builds it)"

has() { has_consultation "$@"; }
add() { expect_ok on "$1" add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khorog status=open outcome="$2"; }

mknode X Khorog
mknode A Khorog
mknode B Khorog
idx=$(on X id)

# X: two records; a third stamped before the second (its clock went back);
# a fourth as usual.
r1=$(add X one)
r2=$(add X two)
expect_ok on X bundle export "$T/b12.bundle" >/dev/null
on X vector >"$T/v2"
s2=$(seq_of X "$idx")
r3=0123456789abcdef0123456789abcdef
s3=$("$FORGE" "$T/X" consultations "$r3" outcome=back --stamp-back) ||
    die "forge --stamp-back at X failed"
assert_eq "$s3" $((s2 + 1)) "seq of the commit stamped back"
r4=$(add X four)
expect_ok on X bundle export "$T/b34.bundle" --since "$T/v2" >/dev/null
assert_eq "$(status_field X refused)" 1 "X refuses its own commit stamped back"

# B holds the last two for the gap.
expect_ok on B bundle import "$T/b34.bundle" >/dev/null
assert_eq "$(status_field B held)" 2 "B holds the last two"

# A relays the first ones with a record of its own: the whole bundle applies at B.
expect_ok on A bundle import "$T/b12.bundle" >/dev/null
ra=$(add A relay)
expect_ok on A bundle export "$T/ba.bundle" >/dev/null
out=$(expect_ok on B bundle import "$T/ba.bundle")
assert_contains "$out" "1 of them refused as a whole" "B's import of A's bundle"
assert_eq "$(status_field B held)" 0 "B holds nothing after the gap filled"
assert_eq "$(seq_of B "$idx")" $((s3 + 1)) "B's vector for X"
for r in "$r1" "$r2" "$r4" "$ra"; do
	has B "$r" || die "record $r missing on B"
done
! has B "$r3" || die "the change of the commit stamped back was applied on B"
assert_eq "$(status_field B refused)" 1 "B's refused count"
aud=$(expect_ok on B audit)
assert_contains "$aud" "stamped no later than an earlier commit" "B's audit"
expect_ok on B verify >/dev/null

# Relayed on to A, it is judged alike; a rebuild finds the same.
expect_ok on B bundle export "$T/bb.bundle" >/dev/null
expect_ok on A bundle import "$T/bb.bundle" >/dev/null
assert_eq "$(seq_of A "$idx")" $((s3 + 1)) "A's vector for X"
on A export >"$T/a.exp"
on B export >"$T/b.exp"
assert_same_file "$T/b.exp" "$T/a.exp" "B's export vs A's"
expect_ok on B rebuild >/dev/null
on B export >"$T/b2.exp"
assert_same_file "$T/b2.exp" "$T/a.exp" "B's export after rebuild"
for n in A B X; do expect_ok on $n verify >/dev/null; done
assert_eq "$(status_field A refused)" 1 "A's refused count"
echo "t_badstamp: ok"

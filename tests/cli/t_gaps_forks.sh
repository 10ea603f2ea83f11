#!/usr/bin/env bash
# Proves commits arriving after a gap are held (not applied) until the gap is filled, and a fork (same origin and seq, different commit) freezes its origin at the last seq both branches share, whichever branch came first: neither branch is applied, both are kept, status shows it, the exports agree.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

# lenient_import NODE FILE: bundle import that may exit 0 or 1; a failure must
# still be one clean error line.
lenient_import() {
	local rc=0
	on "$1" bundle import "$2" >"$T/li.out" 2>"$T/li.err" || rc=$?
	case $rc in
	0) cat "$T/li.err" >&2 ;;
	1) check_error_line "bundle import of $2 on $1" "$T/li.err" ;;
	*) die "bundle import of $2 on $1: expected exit 0 or 1, got $rc: $(cat "$T/li.err")" ;;
	esac
}

has() { has_consultation "$@"; }

add() { expect_ok on "$1" add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khorog status=open summary="$2"; }

# --- gaps -------------------------------------------------------------------
mknode A Dushanbe
mknode B Khorog
expect_ok on A center add Khorog "Khorog center" >/dev/null
ida=$(on A id)

r1=$(add A one)
expect_ok on A bundle export "$T/b1.bundle" >/dev/null
expect_ok on B bundle import "$T/b1.bundle" >/dev/null
s1=$(seq_of B "$ida")
assert_eq "$s1" "$(seq_of A "$ida")" "B's vector for A after bundle 1"
on B vector >"$T/vB"

r2=$(add A two)
r3=$(add A three)
expect_ok on A bundle export "$T/b23.bundle" --since "$T/vB" >/dev/null
s3=$(seq_of A "$ida")
assert_eq "$s3" $((s1 + 2)) "A's seq after two more adds"
r4=$(add A four)
echo "$ida $s3" >"$T/v3"
expect_ok on A bundle export "$T/b4.bundle" --since "$T/v3" >/dev/null

# commit 4 arrives before 2 and 3: held back, not applied
lenient_import B "$T/b4.bundle"
held=$(status_field B held)
[ "$held" -ge 1 ] || die "after importing commit $((s3 + 1)) without $((s1 + 1))..$s3: expected status held >= 1, got $held"
! has B "$r4" || die "record 4 is visible on B although commits before it are missing"
has B "$r1" || die "record 1 vanished from B"
assert_eq "$(seq_of B "$ida")" "$s1" "B's vector for A while commit 4 is held"
expect_ok on B verify >/dev/null

# the gap is filled: everything applies, nothing is held
expect_ok on B bundle import "$T/b23.bundle" >/dev/null
assert_eq "$(status_field B held)" 0 "status held after the gap was filled"
for r in "$r1" "$r2" "$r3" "$r4"; do
	has B "$r" || die "record $r missing on B after the gap was filled"
done
assert_eq "$(seq_of B "$ida")" "$(seq_of A "$ida")" "B's vector for A after the gap was filled"
on A export --sealed consultations >"$T/a.c"
on B export --sealed consultations >"$T/b.c"
assert_same_file "$T/b.c" "$T/a.c" "consultations on B vs A after the gap was filled"
expect_ok on B verify >/dev/null
assert_eq "$(status_field B forks)" 0 "status forks after a gap (no fork)"

# --- forks: a copy of A's data dir (same key) writes something else ---------
cp -a "$T/A" "$T/A2"
on B vector >"$T/vB0"
r5=$(add A "five on A")
r6=$(add A2 "five on the copy of A")
assert_eq "$(seq_of A2 "$ida")" "$(seq_of A "$ida")" "A and its copy at the same seq"
expect_ok on A bundle export "$T/bA.bundle" --since "$T/vB0" >/dev/null
expect_ok on A2 bundle export "$T/bA2.bundle" --since "$T/vB0" >/dev/null

expect_ok on B bundle import "$T/bA.bundle" >/dev/null
on B export --sealed >"$T/b.before"
has B "$r5" || die "A's record 5 missing on B before the fork"
lenient_import B "$T/bA2.bundle"
forks=$(status_field B forks)
[ "$forks" -ge 1 ] || die "after a divergent commit from A's copy: expected status forks >= 1 on B, got $forks"
# A is frozen at the seq before: neither record 5 counts.
! has B "$r5" || die "A's record 5 still applied on B after the fork"
! has B "$r6" || die "the copy's divergent record 6 was applied on B"
has B "$r4" || die "A's record 4, from before the fork, missing on B"
expect_ok on B verify >/dev/null

# The other order gives the same state: C sees the copy's branch first.
mknode C Khorog
expect_ok on C bundle import "$T/b1.bundle" >/dev/null
expect_ok on C bundle import "$T/b23.bundle" >/dev/null
expect_ok on C bundle import "$T/b4.bundle" >/dev/null
expect_ok on C bundle import "$T/bA2.bundle" >/dev/null
has C "$r6" || die "the copy's record 6 missing on C before C saw the fork"
lenient_import C "$T/bA.bundle"
[ "$(status_field C forks)" -ge 1 ] || die "C shows no fork"
on B export --sealed consultations >"$T/b.after"
on C export --sealed consultations >"$T/c.after"
assert_same_file "$T/c.after" "$T/b.after" "C's export (copy first) vs B's (A first)"
expect_ok on C verify >/dev/null

# the origin itself notices a fork of its own log too
lenient_import A "$T/bA2.bundle"
forks=$(status_field A forks)
[ "$forks" -ge 1 ] || die "A imported a divergent commit under its own key: expected status forks >= 1, got $forks"
! has A "$r5" || die "A's own record 5 still applied after seeing the fork"
! has A "$r6" || die "the copy's divergent record 6 was applied on A"
on A export --sealed consultations >"$T/a.after"
assert_same_file "$T/a.after" "$T/b.after" "A's export vs B's after the fork"
expect_ok on A verify >/dev/null
echo "t_gaps_forks: ok"

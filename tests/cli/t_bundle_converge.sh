#!/usr/bin/env bash
# Proves bundles converge: after concurrent adds/edits/deletes, exchanging bundles in either order (full or --since) gives byte-equal exports, and re-importing a bundle is a no-op.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

# same_export DESC NODE...: every node prints the same export.
same_export() {
	local desc=$1 first=$2 n; shift 2
	on "$first" export --sealed >"$T/x.$first"
	for n in "$@"; do
		on "$n" export --sealed >"$T/x.$n"
		assert_same_file "$T/x.$n" "$T/x.$first" "$desc: export of $n vs $first"
	done
}

# apply_edits NODE FILE N: apply the first N generator edit ops with `set`
# (closing a case, with the date and outcome the forms need; the records
# were all opened before 2026).
apply_edits() {
	local node=$1 id f v close
	py edits-tsv "$2" "$3" | while IFS=$'\t' read -r id f v; do
		close=()
		[ "$f=$v" != status=closed ] || close=(closed_on=2026-01-15 "outcome=Closed.")
		on "$node" set consultations "$id" "$f=$v" "${close[@]}" </dev/null >/dev/null ||
		    die "apply_edits: set $id $f on $node failed"
	done
}

# --- shared start: 2000 records imported on A, carried to B -----------------
mknode A Dushanbe
mknode B Khujand
gen 2000 --seed 5 >"$T/base.jsonl"
expect_ok on A import consultations "$T/base.jsonl" >/dev/null
expect_ok on A bundle export "$T/base.bundle" >/dev/null
expect_ok on B bundle import "$T/base.bundle" >/dev/null
on A export --sealed consultations >"$T/a.c"
on B export --sealed consultations >"$T/b.c"
assert_same_file "$T/b.c" "$T/a.c" "consultations after carrying A's import to B"

on B export --sealed >"$T/b.before"
expect_ok on B bundle import "$T/base.bundle" >/dev/null
on B export --sealed >"$T/b.after"
assert_same_file "$T/b.after" "$T/b.before" "export after re-importing the same bundle"

# --- concurrent work on both sides ------------------------------------------
gen 2000 --seed 5 --edits 200 --side a >"$T/edits_a.jsonl"
gen 2000 --seed 5 --edits 200 --side b >"$T/edits_b.jsonl"
apply_edits A "$T/edits_a.jsonl" 60
apply_edits B "$T/edits_b.jsonl" 60

x=$(sed -n 1p "$T/base.jsonl" | py get id)	# deleted on A, edited on B
y=$(sed -n 2p "$T/base.jsonl" | py get id)	# deleted on B
expect_ok on A rm consultations "$x" >/dev/null
expect_ok on B set consultations "$x" "summary=edited on B while A deleted it" >/dev/null
expect_ok on B rm consultations "$y" >/dev/null
for i in 1 2 3; do
	expect_ok on A add consultations channel=walk_in center=Dushanbe opened_at=2024-05-0$i \
	    client_sex=F client_age=3$i destination=RU topic=registration status=open >/dev/null
	expect_ok on B add consultations channel=walk_in center=Khujand opened_at=2024-06-0$i \
	    client_sex=M client_age=4$i destination=KZ topic=patent status=referred >/dev/null
done
printf 'Hotline numbers for Moscow.\n' >"$T/guide.md"
expect_ok on A guide publish "$T/guide.md" title=Hotlines language=tg >/dev/null
expect_ok on B add directory name="Migrant hotline" kind=hotline country=RU \
    phone=+78001234567 >/dev/null

! cmp -s <(on A export --sealed) <(on B export --sealed) || die "A and B should differ before the exchange"
cp -a "$T/A" "$T/A2"
cp -a "$T/B" "$T/B2"

# --- pair 1: full bundles, A→B then B→A -------------------------------------
expect_ok on A bundle export "$T/p1_a.bundle" >/dev/null
expect_ok on B bundle import "$T/p1_a.bundle" >/dev/null
expect_ok on B bundle export "$T/p1_b.bundle" >/dev/null
expect_ok on A bundle import "$T/p1_b.bundle" >/dev/null
same_export "pair 1 (A→B, B→A, full bundles)" A B

# --- pair 2: --since bundles, B→A then A→B ----------------------------------
on A2 vector >"$T/vA2"
expect_ok on B2 bundle export "$T/p2_b.bundle" --since "$T/vA2" >/dev/null
expect_ok on B2 bundle export "$T/p2_bfull.bundle" >/dev/null
[ "$(wc -c <"$T/p2_b.bundle")" -lt "$(wc -c <"$T/p2_bfull.bundle")" ] ||
    die "--since: expected a smaller bundle than a full one (A2 already holds the 2000-record import); got $(wc -c <"$T/p2_b.bundle") vs $(wc -c <"$T/p2_bfull.bundle") bytes"
expect_ok on A2 bundle import "$T/p2_b.bundle" >/dev/null
on B2 vector >"$T/vB2"
expect_ok on A2 bundle export "$T/p2_a.bundle" --since "$T/vB2" >/dev/null
expect_ok on B2 bundle import "$T/p2_a.bundle" >/dev/null
same_export "pair 2 (B→A, A→B, --since bundles)" A2 B2
same_export "pair 1 vs pair 2 (state depends only on the set of commits)" A A2

# --- what converged ---------------------------------------------------------
on A export --sealed consultations >"$T/a.c"
assert_eq "$(py field "$T/a.c" "$x" id)" "<no record>" "record deleted on A, edited on B"
assert_eq "$(py field "$T/a.c" "$y" id)" "<no record>" "record deleted on B"
assert_eq "$(lines "$T/a.c")" $((2000 - 2 + 6)) "consultations after the exchange"
for n in A B A2 B2; do
	assert_eq "$(on "$n" vector | sort)" "$(on A vector | sort)" "vector of $n vs A"
	on "$n" conflicts --json >"$T/conf.raw"
	py sort-json "$T/conf.raw" >"$T/conf.$n"
	assert_same_file "$T/conf.$n" "$T/conf.A" "conflicts of $n vs A"
	expect_ok on "$n" verify >/dev/null
done
[ "$(lines "$T/conf.A")" -ge 1 ] ||
    die "conflicts: expected at least one (both sides edited 'status' of the same records), got none"

# --- re-importing bundles is a no-op ----------------------------------------
for n in A B A2 B2; do on "$n" export --sealed >"$T/before.$n"; done
expect_ok on B bundle import "$T/p1_a.bundle" >/dev/null
expect_ok on A bundle import "$T/p1_b.bundle" >/dev/null
expect_ok on A2 bundle import "$T/p2_b.bundle" >/dev/null
expect_ok on B2 bundle import "$T/p2_bfull.bundle" >/dev/null
expect_ok on A bundle import "$T/base.bundle" >/dev/null
for n in A B A2 B2; do
	on "$n" export --sealed >"$T/after.$n"
	assert_same_file "$T/after.$n" "$T/before.$n" "export of $n after re-importing bundles"
done

# --- relay: C only ever talks to B, yet gets A's data -----------------------
mknode C Bokhtar
expect_ok on B bundle export "$T/b_all.bundle" >/dev/null
expect_ok on C bundle import "$T/b_all.bundle" >/dev/null
grep -v '"collection":"members"' "$T/x.A" >"$T/a.data"
on C export --sealed | grep -v '"collection":"members"' >"$T/c.data"
assert_same_file "$T/c.data" "$T/a.data" "C's data (relayed through B) vs A"
echo "t_bundle_converge: ok"

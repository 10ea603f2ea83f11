#!/usr/bin/env bash
# Proves import → export is lossless: 10,000 JSONL records, 500 CSV records (ages become integers) and stdin, plus list filters and stats agree with the input.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

# --- 10,000 JSONL records ---------------------------------------------------
gen 10000 --seed 7 >"$T/in.jsonl"
mknode A
expect_ok on A import consultations "$T/in.jsonl" >/dev/null
on A export consultations >"$T/out.jsonl"
assert_eq "$(lines "$T/out.jsonl")" 10000 "exported consultations"
py export-format "$T/out.jsonl"
py same-records "$T/in.jsonl" "$T/out.jsonl"
expect_ok on A verify >/dev/null

on A export consultations >"$T/out2.jsonl"
assert_same_file "$T/out2.jsonl" "$T/out.jsonl" "second export"
on A export >"$T/all.jsonl"
py export-format "$T/all.jsonl"
assert_eq "$(grep -c '"collection":"members"' "$T/all.jsonl")" 1 "members records in full export"

# list: everything, and an equality filter, agree with the input
on A list consultations --json >"$T/list"
assert_eq "$(lines "$T/list")" 10000 "list --json records"
want=$(grep -c '"destination": "KZ"' "$T/in.jsonl")
on A list consultations destination=KZ --json >"$T/list"
assert_eq "$(lines "$T/list")" "$want" "list destination=KZ records"
want=$(grep '"destination": "KZ"' "$T/in.jsonl" | grep -c '"client_sex": "F"' || true)
on A list consultations destination=KZ client_sex=F --json >"$T/list"
assert_eq "$(lines "$T/list")" "$want" "list destination=KZ client_sex=F records"

# stats agree with counting the input
for by in destination month,destination client_sex,topic; do
	py stats "$T/in.jsonl" "$by" >"$T/stats.want"
	on A stats consultations --by "$by" --json --no-suppress >"$T/stats.raw"
	py sort-json "$T/stats.raw" >"$T/stats.got"
	assert_same_file "$T/stats.got" "$T/stats.want" "stats --by $by"
done
expect_ok on A stats consultations --by month >/dev/null

# --- 500 CSV records: same data as JSONL, ages come back as integers --------
gen 500 --seed 3 --format csv >"$T/in.csv"
gen 500 --seed 3 >"$T/in500.jsonl"
mknode C
expect_ok on C import consultations "$T/in.csv" >/dev/null
on C export consultations >"$T/outc.jsonl"
assert_eq "$(lines "$T/outc.jsonl")" 500 "exported consultations from CSV"
py export-format "$T/outc.jsonl"
py same-records "$T/in500.jsonl" "$T/outc.jsonl"

# --- JSONL from stdin ("-") -------------------------------------------------
gen 300 --seed 9 >"$T/in300.jsonl"
mknode S
expect_ok on S import consultations - <"$T/in300.jsonl" >/dev/null
on S export consultations >"$T/outs.jsonl"
py same-records "$T/in300.jsonl" "$T/outs.jsonl"
# --- one id on several lines: one commit, and the last line wins -----------
mknode U
# (The third line closes the case the first opened: checked against it.)
need='"center":"Khorog","opened_at":"2026-11-20","channel":"walk_in","client_sex":"F"'
printf '%s\n' '{"id":"00000000000000000000000000000001",'"$need"',"status":"open","topic":"patent"}' \
    '{"id":"00000000000000000000000000000002",'"$need"',"status":"open","topic":"other"}' \
    '{"id":"00000000000000000000000000000001","status":"closed","closed_on":"2026-11-21","outcome":"Patent issued"}' >"$T/dup.jsonl"
expect_ok on U import consultations "$T/dup.jsonl" >/dev/null
on U export consultations >"$T/outu.jsonl"
assert_eq "$(py field "$T/outu.jsonl" 00000000000000000000000000000001 status)" closed "status of a record imported twice"
assert_eq "$(py field "$T/outu.jsonl" 00000000000000000000000000000001 topic)" patent "topic of a record imported twice"
assert_eq "$(on U conflicts --json)" "" "conflicts after importing one id twice"
expect_ok on U verify >/dev/null
echo "t_roundtrip: ok"

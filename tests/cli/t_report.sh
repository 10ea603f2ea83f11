#!/usr/bin/env bash
# timeout: 120
# Proves 'hamroh report' as a coordinating office uses it: report --list names the layouts; a named layout and --by groupings print an aligned table with totals, <5 for the small cells and the notes under it (filters, period, counted, the rule, left out, as of with the node's center); --json parses and hides the small cells as null; a lawyer's --no-suppress is refused, an admin's prints exact counts and 'hamroh audit' shows it; bad input (unknown field, confidential field, bad date, from after to, unknown layout) is one line and a non-zero exit; stats still counts as before.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Khujand
expect_ok on A center add Khujand "Khujand center" --region Sughd >/dev/null 2>&1 || true
addc() { expect_ok on A add consultations center=Khujand channel=walk_in status=open "$@" >/dev/null; }
for i in 1 2 3 4 5 6; do
	addc opened_at=2026-0$(( (i % 3) + 1 ))-1$i topic=patent client_sex=F destination=RU client_age=3$i
done
addc opened_at=2026-02-20 topic=patent client_sex=M destination=RU client_age=22
addc opened_at=2026-05-20 topic=entry_ban client_sex=M destination=KZ
addc opened_at=2026-05-21 topic=entry_ban client_sex=F destination=RU consent_stats=no

# --- the layouts -------------------------------------------------------------
list=$(expect_ok on A report --list)
assert_eq "$(wc -l <<<"$list" | tr -d ' ')" 4 "report --list: one line a layout"
assert_contains "$list" "quarterly      consultations by destination country and sex" "report --list row"
assert_contains "$list" "referrals" "report --list names referrals"

out=$(expect_ok on A report quarterly --from 2026-01-01 --to 2026-03-31)
assert_contains "$out" "quarter: 2026-Q1" "quarterly: the quarter's table"
case $out in *"quarter: total"*) die "quarterly of one quarter: its total repeats it";; esac
assert_contains "$out" "destination   M  F  X  total" "quarterly: header row"
assert_contains "$out" "RU           <5  x  0      7" "quarterly: a small cell as <5, the 6 beside it hidden (7 - 6 would give it away), the row total"
assert_contains "$out" "period: opened_at from 2026-01-01 to 2026-03-31 (inclusive)" "quarterly: the period"
assert_contains "$out" "suppressed: cells 1–4 shown as <5; cells marked x hidden so they cannot be worked out from the totals" "the rule under the table"
assert_contains "$out" "as of (the newest change this node holds, per center, UTC): Khujand 20" "as of names the center"

# --- groupings and filters ----------------------------------------------------
out=$(expect_ok on A report --by topic,client_sex topic=patent topic=entry_ban)
assert_contains "$out" "filters: topic=patent, topic=entry_ban" "the filters under the table"
assert_contains "$out" "left out, the client did not consent to statistics: 1" "left out"
assert_contains "$out" "counted: consultations" "what was counted"
assert_contains "$out" "patent     <5   x  0      x" "a row whose total would give its small cell away"
assert_contains "$out" "total      <5   x  0      8" "the totals row"
out=$(expect_ok on A report --by client_sex,year,topic)
assert_contains "$out" "topic: patent" "3-D: a table per layer"
assert_contains "$out" "topic: total" "3-D: the layers' total"
case $out in *"topic: detention"*) die "3-D: an empty layer printed";; esac
out=$(expect_ok on A report --by age_band --count persons)
assert_contains "$out" "counted: persons" "persons"
assert_contains "$out" "under 18" "age bands in words"
assert_contains "$out" "not given" "missing ages as not given"

# --- JSON ----------------------------------------------------------------------
on A report --by client_sex --json >"$T/r.json"
python3 - "$T/r.json" <<'EOF_PY' || die "report --json: see above"
import json, sys
r = json.load(open(sys.argv[1]))
assert r['dims'][0]['name'] == 'client_sex', r['dims']
assert r['dims'][0]['values'] == ['M', 'F', 'X'], r['dims']
# M = 2 would be 8 - 6: the 6 is hidden too, as a complement.
assert r['counts'] == [None, None, 0, 8], r['counts']
assert r['marks'] == ['primary', 'complement', None, None], r['marks']
assert r['total'] == 8 and r['left_out'] == 1, r
assert r['suppressed'] is True and r['threshold'] == 5
assert r['as_of'][0]['center'] == 'Khujand', r['as_of']
assert any(n.startswith('suppressed: ') for n in r['notes']), r['notes']
EOF_PY

# --- --no-suppress: admins only, on the record --------------------------------
printf '%s\n' "$TEST_PASSPHRASE" 'saidova passphrase' >"$T/pw"
expect_ok "$HAMROH" --data "$T/A" --passphrase-fd 3 user add saidova --role lawyer 3<"$T/pw" >/dev/null
printf '%s\n' 'saidova passphrase' >"$T/pw"
expect_fail --rc 1 "a lawyer's --no-suppress" "$HAMROH" --data "$T/A" --user saidova \
    --passphrase-fd 3 report --by client_sex --no-suppress 3<"$T/pw"
assert_contains "$ERR" "it is for admins, and saidova is lawyer" "a lawyer's --no-suppress"
audit=$(expect_ok on A audit)
assert_eq "$(grep -c unsuppressed <<<"$audit" || true)" 0 "nothing unsuppressed yet"
out=$(expect_ok on A report --by client_sex --no-suppress)
assert_contains "$out" "M               2" "an admin's --no-suppress: exact counts"
assert_contains "$out" "NOT suppressed" "the table says it is not suppressed"
audit=$(expect_ok on A audit)
assert_contains "$audit" "admin ran report (by fields) unsuppressed" "audit shows the unsuppressed run"

# --- bad input: one line, non-zero, nothing printed ----------------------------
expect_fail --rc 2 "an unknown field" on A report --by colour
assert_contains "$ERR" "'colour' is not a field of consultations" "an unknown field"
expect_fail --rc 2 "a confidential grouping" on A report --by client_name
assert_contains "$ERR" "client_name is confidential" "a confidential grouping"
expect_fail --rc 2 "a confidential filter" on A report client_phone=1
expect_fail --rc 1 "a bad date" on A report --from 2026-02-30
assert_contains "$ERR" "--from takes a date YYYY-MM-DD, not '2026-02-30'" "a bad date"
expect_fail --rc 1 "from after to" on A report --from 2026-03-02 --to 2026-03-01
assert_contains "$ERR" "is after --to" "from after to"
expect_fail --rc 2 "an unknown layout" on A report yearly
assert_contains "$ERR" "no report is called 'yearly'" "an unknown layout"
expect_fail --rc 2 "--list with a name" on A report --list quarterly
expect_fail --rc 1 "a bad filter value" on A report topic=nonsense
[ -z "$OUT" ] || die "a refused report printed: $OUT"

# --- stats is as it was ---------------------------------------------------------
out=$(expect_ok on A stats consultations --by topic 2>/dev/null)
assert_contains "$out" "patent	7" "stats counts as before"
echo "t_report: ok"

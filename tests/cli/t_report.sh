#!/usr/bin/env bash
# timeout: 120
# Proves 'hamroh report' as a coordinating office uses it: report --list names the layouts; a named layout and --by groupings print an aligned table with totals, <5 for the small cells and the notes under it (filters, period, counted, the rule, left out, as of with the node's center); --csv (BOM, CRLF, <5 and x) and --csv-sep ';' print it for Excel, --xlsx FILE writes a workbook read back as a zip (title, numbers as numbers, hidden cells as text, the suppression note) and says where; --csv with --json, --xlsx without FILE or into a missing folder are one line and a non-zero exit; --json parses and hides the small cells as null; a lawyer's --no-suppress is refused, an admin's prints exact counts and 'hamroh audit' shows it; bad input (unknown field, confidential field, bad date, from after to, unknown layout) is one line and a non-zero exit; stats counts as the simplest report, suppressed (an admin's --no-suppress exact).
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

# --- --csv, --csv-sep, --xlsx ----------------------------------------------------
on A report quarterly --from 2026-01-01 --to 2026-03-31 --csv >"$T/q.csv"
assert_eq "$(head -c 3 "$T/q.csv" | od -An -tx1 | tr -d ' ')" efbbbf "--csv: starts with the UTF-8 BOM"
csv=$(tr -d '\r' <"$T/q.csv")
assert_contains "$csv" "quarterly" "--csv: the title"
assert_contains "$csv" "Period (opened_at): 2026-01-01 to 2026-03-31" "--csv: the period"
assert_contains "$csv" "destination,M,F,X,Total" "--csv: the header row"
assert_contains "$csv" "RU,<5,x,0,7" "--csv: <5 and x, never the counts they hide"
assert_contains "$csv" "Small cells hidden: a count from 1 to 4 is shown as <5" "--csv: the suppression note"
grep -q $'\r$' "$T/q.csv" || die "--csv: lines are not ended by CRLF"
csv=$(expect_ok on A report quarterly --from 2026-01-01 --to 2026-03-31 --csv --csv-sep ';' | tr -d '\r')
assert_contains "$csv" "destination;M;F;X;Total" "--csv-sep ';': the header row"
assert_contains "$csv" "RU;<5;x;0;7" "--csv-sep ';': a row"
out=$(expect_ok on A report quarterly --from 2026-01-01 --to 2026-03-31 --xlsx "$T/q1.xlsx")
assert_eq "$out" "wrote the report to $T/q1.xlsx (an Excel workbook)" "--xlsx: one line saying where"
[ ! -e "$T/q1.xlsx.part" ] || die "--xlsx left its .part behind"
cells=$(python3 "$HAMROH_REPO/tests/tools/xlsxcells.py" "$T/q1.xlsx") || die "--xlsx: not a workbook xlsxcells.py reads"
assert_contains "$cells" "A1 s quarterly bold" "--xlsx: the title, bold"
assert_contains "$cells" "A4 s Period (opened_at): 2026-01-01 to 2026-03-31" "--xlsx: the period"
# The RU row: its label, <5 as text, x as text, 0 and 7 as numbers.
ru=$(awk '$3 == "RU" { sub(/^A/, "", $1); print $1; exit }' <<<"$cells")
[ -n "$ru" ] || die "--xlsx: no RU row in: $cells"
assert_contains "$cells" "B$ru s <5" "--xlsx: a small cell as the text <5"
assert_contains "$cells" "C$ru s x" "--xlsx: a complementary cell as the text x"
assert_contains "$cells" "E$ru n 7" "--xlsx: the row total as a number"
assert_contains "$cells" "s Small cells hidden: a count from 1 to 4 is shown as <5" "--xlsx: the suppression note"
# Bad combinations: one line, exit 2 (1 for the missing folder), nothing written.
expect_fail --rc 2 "--csv with --json" on A report quarterly --csv --json
assert_contains "$ERR" "--json, --csv and --xlsx each choose how the report is written" "--csv with --json"
[ -z "$OUT" ] || die "--csv with --json printed: $OUT"
expect_fail --rc 2 "--csv with --xlsx" on A report --csv --xlsx "$T/b.xlsx"
expect_fail --rc 2 "--xlsx without FILE" on A report quarterly --xlsx
assert_contains "$ERR" "option --xlsx needs a value" "--xlsx without FILE"
expect_fail --rc 2 "--xlsx -" on A report --xlsx -
assert_contains "$ERR" "--xlsx needs the FILE to write, e.g. --xlsx report-q1.xlsx, not '-'" "--xlsx - (a workbook is not for a terminal)"
expect_fail --rc 1 "--xlsx into a missing folder" on A report quarterly --xlsx "$T/nowhere/q.xlsx"
assert_contains "$ERR" "the folder $T/nowhere does not exist" "--xlsx into a missing folder"
[ ! -e "$T/nowhere" ] || die "--xlsx made the missing folder"
expect_fail --rc 2 "--csv-sep without --csv" on A report --csv-sep ';'
expect_fail --rc 2 "a bad --csv-sep" on A report --csv --csv-sep tab
assert_contains "$ERR" "--csv-sep takes ',' or ';', not 'tab'" "a bad --csv-sep"
expect_fail --rc 2 "--list with --csv" on A report --list --csv

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

# --- stats: the simplest report, one group a line, suppressed too --------------
out=$(expect_ok on A stats consultations --by topic 2>"$T/stats.err")
assert_contains "$out" "entry_ban	<5" "stats: a small count as <5"
assert_contains "$out" "patent	x" "stats: the count that would give it away (7 - the total) as x"
assert_contains "$(cat "$T/stats.err")" "counts 1-4 print <5" "stats says why"
out=$(expect_ok on A stats consultations --by topic --no-suppress 2>/dev/null)
assert_contains "$out" "patent	7" "stats --no-suppress: an admin's exact count"
echo "t_report: ok"

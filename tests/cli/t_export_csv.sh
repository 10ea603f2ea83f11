#!/usr/bin/env bash
# Proves export --csv: a UTF-8 BOM, one row per record with every value as export prints it (a ';' and quotes quoted, --csv-sep ';'), confidential fields decrypted for a signed-in lawyer and left out of the header for nobody signed in and for a statistician (with a note), an export of clear fields and a full one import back unchanged, values of a center whose key the office lacks left empty (with a note), a value Excel would run as a formula (=, +, -, @) written behind a ' that import takes off again, and bad options refused in one line.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
R=$HAMROH
pw() { printf '%s\n' "$@" >"$T/pw"; }	# pw LINE...: the next fd 3

mknode A Khujand
gen 300 --seed 5 >"$T/in.jsonl"
expect_ok on A import consultations "$T/in.jsonl" >/dev/null
odd='Ҳ. "Раҳимова"; Хуҷанд'
expect_ok on A add consultations center=Khujand opened_at=2026-11-20 \
    channel=walk_in topic=patent client_sex=F status=open "lawyer=$odd" \
    client_name='Гулнора Саидова' summary='Line one
line two, "quoted"' >/dev/null
# What Excel would run as a formula (a hostile office could write it).
expect_ok on A add consultations center=Khujand opened_at=2026-11-21 \
    channel=walk_in topic=patent client_sex=M status=open \
    client_phone='+992 93 555 12 34' summary='=HYPERLINK("http://x","y")' \
    outcome="'=x" >/dev/null
on A export consultations >"$T/all.jsonl"
assert_eq "$(lines "$T/all.jsonl")" 302 "records in the JSON export"
pw "$TEST_PASSPHRASE" 'saidova passphrase'
expect_ok "$R" --data "$T/A" --user admin --passphrase-fd 3 user add saidova --role lawyer \
    3<"$T/pw" >/dev/null
pw "$TEST_PASSPHRASE" 'karimov passphrase'
expect_ok "$R" --data "$T/A" --user admin --passphrase-fd 3 user add karimov --role statistician \
    3<"$T/pw" >/dev/null
pw 'saidova passphrase'
"$R" --data "$T/A" --user saidova --passphrase-fd 3 export --csv consultations \
    3<"$T/pw" >"$T/lawyer.csv" 2>"$T/lawyer.err"
assert_eq "$(cat "$T/lawyer.err")" "" "stderr of a lawyer's export --csv"

# same CSV JSONL SEP SECRETS: the CSV holds every record of the JSON export,
# each value as text, confidential fields (client_name, client_phone,
# summary) iff SECRETS is 1; a BOM first; CRLF line ends.
same() {
	python3 - "$@" <<'PY'
import csv, json, re, sys
path, jpath, sep, secrets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
raw = open(path, "rb").read()
if not raw.startswith(b"\xef\xbb\xbf"):
    sys.exit("%s: no UTF-8 BOM at the start" % path)
rows = list(csv.reader(open(path, encoding="utf-8-sig", newline=""), delimiter=sep))
head, rows = rows[0], rows[1:]
conf = {"client_name", "client_phone", "summary"}
if head[0] != "id":
    sys.exit("header starts with %r, not id" % head[0])
if bool(conf & set(head)) != secrets or (secrets and not conf <= set(head)):
    sys.exit("header %s: confidential columns %s" % (head, "expected" if secrets else "not expected"))
want = {}
for line in open(jpath, encoding="utf-8"):
    r = json.loads(line)
    want[r["id"]] = r
if len(rows) != len(want):
    sys.exit("%d rows, %d records" % (len(rows), len(want)))
for row in rows:
    if len(row) != len(head):
        sys.exit("a row of %d fields under a header of %d" % (len(row), len(head)))
    rec = want.pop(row[0])
    for k, v in zip(head[1:], row[1:]):
        w = rec.get(k)
        w = "" if w is None else ("true" if w is True else "false" if w is False else str(w))
        # A formula-like value goes out behind one ' (agent/codec/csv.h).
        if re.match(r"'+[=+\-@\t\r]", v):
            v = v[1:]
        if v != w:
            sys.exit("record %s field %s: %r, export says %r" % (row[0], k, v, w))
PY
}
same "$T/lawyer.csv" "$T/all.jsonl" , 1 || die "the lawyer's CSV is not the export"
grep -q 'Гулнора Саидова' "$T/lawyer.csv" || die "the lawyer's CSV has no decrypted name"
grep -qF ",'+992 93 555 12 34," "$T/lawyer.csv" || die "a phone with + not behind a '"
grep -qF ',"'"'"'=HYPERLINK(""http://x"",""y"")",' "$T/lawyer.csv" || die "a formula not behind a '"
grep -qF ",''=x," "$T/lawyer.csv" || die "a value that starts with ' and = not behind one more '"
# The value with ';' and quotes: quoted with ';', quotes doubled always.
grep -qF ',"Ҳ. ""Раҳимова""; Хуҷанд",' "$T/lawyer.csv" ||
    die "the lawyer's name with quotes is not quoted as RFC 4180 has it"
pw 'saidova passphrase'
"$R" --data "$T/A" --user saidova --passphrase-fd 3 export --csv consultations \
    --csv-sep ';' 3<"$T/pw" >"$T/semi.csv"
same "$T/semi.csv" "$T/all.jsonl" ';' 1 || die "the ';' CSV is not the export"
grep -qF ';"Ҳ. ""Раҳимова""; Хуҷанд";' "$T/semi.csv" ||
    die "with --csv-sep ';' the value is not quoted"
head -1 "$T/semi.csv" | grep -q '^.*id;center;opened_at;' ||
    die "the ';' header: $(head -1 "$T/semi.csv")"

# --- nobody signed in, a statistician: the clear fields, and a note --------
env -u HAMROH_USER "$R" --data "$T/A" export --csv consultations \
    >"$T/clear.csv" 2>"$T/clear.err"
same "$T/clear.csv" "$T/all.jsonl" , 0 || die "the clear CSV is not the export"
assert_eq "$(lines "$T/clear.err")" 1 "notes of an export --csv without a sign-in"
assert_contains "$(cat "$T/clear.err")" "confidential fields (client_name, client_phone, summary) left out" \
    "the note of a clear export"
if grep -q 'Гулнора' "$T/clear.csv"; then die "a name in the clear CSV"; fi
pw 'karimov passphrase'
"$R" --data "$T/A" --user karimov --passphrase-fd 3 export --csv consultations \
    3<"$T/pw" >"$T/stat.csv" 2>"$T/stat.err"
same "$T/stat.csv" "$T/all.jsonl" , 0 || die "the statistician's CSV is not the clear export"
assert_contains "$(cat "$T/stat.err")" "left out" "the note of a statistician's export"
# A wrong passphrase is no fallback: refused, nothing printed.
pw 'not the passphrase'
expect_fail "export --csv with a wrong passphrase" "$R" --data "$T/A" --user saidova \
    --passphrase-fd 3 export --csv consultations 3<"$T/pw"
assert_eq "$OUT" "" "stdout of a refused export --csv"

# --- import reads them back ------------------------------------------------
mknode B Khujand
expect_ok on B import consultations "$T/lawyer.csv" >/dev/null
on B export consultations >"$T/b.jsonl"
assert_same_file "$T/b.jsonl" "$T/all.jsonl" "a full CSV imported back"
mknode C Khujand
expect_ok on C import consultations "$T/clear.csv" >/dev/null
on C export consultations | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    for k in ("client_name", "client_phone", "summary"):
        r.pop(k, None)
    print(json.dumps(r, sort_keys=True, ensure_ascii=False))' | sort >"$T/c.jsonl"
python3 -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    for k in ("client_name", "client_phone", "summary"):
        r.pop(k, None)
    print(json.dumps(r, sort_keys=True, ensure_ascii=False))' "$T/all.jsonl" | sort >"$T/a.jsonl"
assert_same_file "$T/c.jsonl" "$T/a.jsonl" "a clear CSV imported back"

# --- a collection without confidential fields needs nobody -----------------
env -u HAMROH_USER "$R" --data "$T/A" export --csv centers >"$T/centers.csv" 2>"$T/centers.err"
assert_eq "$(cat "$T/centers.err")" "" "stderr of export --csv centers"
on A export centers >"$T/centers.jsonl"
same "$T/centers.csv" "$T/centers.jsonl" , 0 || die "the centers CSV is not the export"

# --- another center's records: the values its key opens are left empty ---
mknode N Dushanbe
mknode M Khujand
expect_ok on N network create --name tj-legal >/dev/null
expect_ok on N center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on N invite "$(on M id --invite)" --name M --center Khujand --role center)
expect_ok on M join "$tok" >/dev/null
id=$(expect_ok on N add consultations center=Dushanbe opened_at=2026-11-20 \
    channel=walk_in client_sex=F destination=RU topic=documents_lost status=open \
    client_name='Zarina Marker' summary='Passport held')
expect_ok on N bundle export "$T/n.bundle" >/dev/null
expect_ok on M bundle import "$T/n.bundle" >/dev/null
on M export --csv consultations >"$T/m.csv" 2>"$T/m.err"
assert_contains "$(cat "$T/m.err")" "2 confidential values left empty" \
    "the note of an export with another center's records"
if grep -q 'Marker\|encrypted\|enc1:' "$T/m.csv"; then die "M's CSV holds what only Dushanbe reads"; fi
grep -q "^$id,Dushanbe,2026-11-20,walk_in,,,F," "$T/m.csv" ||
    die "M's CSV row of Dushanbe's record: $(grep "^$id" "$T/m.csv")"

# --- bad options: one line, non-zero, nothing on stdout --------------------
expect_fail --rc 2 "--csv-sep '\\t'" on A export --csv --csv-sep '	' consultations
assert_contains "$ERR" "--csv-sep takes ',' or ';'" "a bad separator"
assert_eq "$OUT" "" "stdout of a bad separator"
expect_fail --rc 2 "--csv-sep without --csv" on A export --csv-sep ';' consultations
assert_contains "$ERR" "--csv-sep goes with --csv" "--csv-sep alone"
expect_fail --rc 2 "--csv of every collection" on A export --csv
assert_contains "$ERR" "--csv needs one COLLECTION" "--csv without a collection"
expect_fail --rc 2 "--csv --sealed" on A export --csv --sealed consultations
expect_fail --rc 2 "--csv of no such collection" on A export --csv nosuch
echo "t_export_csv: ok"

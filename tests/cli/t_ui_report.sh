#!/usr/bin/env bash
# timeout: 120
# Proves the Reports page's routes (agent/ui/api_report.c) through raw HTTP with curl: /api/reports lists the layouts and groupings (no confidential field); a named layout and a built report as JSON (dims with labels, a small cell null with its mark, totals, the notes' facts); bad input is 400 with the catalog key (an unknown field, a confidential one, no_suppress, a bad separator); the CSV download starts with the UTF-8 BOM and has the separator asked; the XLSX is a zip whose cells xlsxcells.py reads; no session is 401; a statistician may run one.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || die "curl is missing: run deploy/install-deps.sh"
trap 'kill_agents' EXIT

mknode A Khujand
expect_ok on A network create --name net >/dev/null
addc() { expect_ok on A add consultations center=Khujand channel=walk_in status=open "$@" >/dev/null; }
for i in 1 2 3 4 5 6; do
	addc opened_at=2026-0$(( (i % 3) + 1 ))-1$i topic=patent client_sex=F destination=RU
done
addc opened_at=2026-02-20 topic=patent client_sex=M destination=RU
addc opened_at=2026-05-20 topic=entry_ban client_sex=M destination=KZ
start_agent A --ui-listen 127.0.0.1:0
U=http://127.0.0.1:$UIPORT_A
J=$TMPDIR/a.jar

req() {
	: >"$TMPDIR/.body"
	curl -s -D "$TMPDIR/.head" -o "$TMPDIR/.body" -w '%{http_code}' "$@" >"$TMPDIR/.code" ||
	    die "curl $* failed"
	printf '%s' "$(cat "$TMPDIR/.code")"
}
# py EXPR...: Python on the answer's JSON body "b".
py() { python3 -c 'import json,sys; b=json.load(open(sys.argv[1],encoding="utf-8"))
'"$1" "$TMPDIR/.body" || die "$2: $(head -c 600 "$TMPDIR/.body")"; }
code=$(req -c "$J" -X POST -H "Origin: $U" \
    -d "{\"user\":\"admin\",\"passphrase\":\"$TEST_PASSPHRASE\"}" "$U/api/signin")
assert_eq "$code" 200 "sign-in"
get() { req -b "$J" "$U$1"; }

# --- no session ----------------------------------------------------------------
for p in /api/reports "/api/report?name=quarterly" "/api/report.csv?name=quarterly" \
    "/api/report.xlsx?name=quarterly"; do
	assert_eq "$(req "$U$p")" 401 "$p without a session"
done

# --- what the page offers ------------------------------------------------------
assert_eq "$(get /api/reports)" 200 "GET /api/reports"
py '
l = {x["name"]: x for x in b["layouts"]}
assert l["quarterly"]["desc"] == "REPORT_L_QUARTERLY", l
assert l["quarterly"]["by"] == ["destination", "client_sex", "quarter"], l
assert set(l) == {"quarterly", "topic-sex", "center-month", "referrals"}, l
f = b["fields"]
for x in ["topic", "client_sex", "destination", "center", "status", "month", "quarter", "year", "age_band", "region", "referred_kind"]:
    assert x in f, (x, f)
for x in ["client_name", "summary", "client_phone", "outcome", "opened_at"]:
    assert x not in f, (x, f)' "/api/reports"

# --- a named layout --------------------------------------------------------------
assert_eq "$(get '/api/report?name=quarterly&from=2026-01-01&to=2026-03-31')" 200 "quarterly"
py '
r = b["report"]
assert b["withheld"] is False
assert [d["name"] for d in r["dims"]] == ["destination", "client_sex", "quarter"], r["dims"]
d = r["dims"][1]
assert d["values"] == ["M", "F", "X"] and d["labels"] == ["M", "F", "X"], d
q = r["dims"][2]["values"]
assert q == ["2026-Q1"], q
ru = r["dims"][0]["values"].index("RU")
# RU: M 1 (<5), F 6 hidden beside it (x), X 0, total 7.
cell = r["counts"][ru]
assert [c[0] for c in cell] == [None, None, 0, 7], cell
assert [m[0] for m in r["marks"][ru]] == ["primary", "complement", None, None], r["marks"]
assert r["total"] == 7 and r["from"] == "2026-01-01" and r["to"] == "2026-03-31", r
assert r["on"] == "opened_at" and r["counted"] == "consultations" and r["suppressed"] is True
assert b["as_of_ms"][0]["center"] == "Khujand" and b["as_of_ms"][0]["ms"] > 0, b["as_of_ms"]
assert any(n.startswith("suppressed: ") for n in r["notes"]), r["notes"]' "quarterly JSON"

# --- a built one, filters of one field twice ------------------------------------
assert_eq "$(get '/api/report?by=topic,client_sex&topic=patent&topic=entry_ban&count=persons')" 200 "built"
py '
r = b["report"]
assert [d["name"] for d in r["dims"]] == ["topic", "client_sex"], r["dims"]
assert r["filters"] == ["topic=patent", "topic=entry_ban"], r["filters"]
assert r["counted"] == "persons" and r["total"] == 8, r' "built JSON"

# --- bad input -------------------------------------------------------------------
expect400() {
	assert_eq "$(get "$1")" 400 "$1"
	assert_contains "$(cat "$TMPDIR/.body")" "\"key\":\"$2\"" "$1's key"
}
expect400 '/api/report?by=nosuch' REPORT_FIELD_UNKNOWN
expect400 '/api/report?by=client_name' REPORT_CONFIDENTIAL
expect400 '/api/report?by=topic&client_phone=1' REPORT_CONFIDENTIAL
expect400 '/api/report?by=topic&no_suppress=1' REPORT_FIELD_UNKNOWN
expect400 '/api/report?name=nosuch' REPORT_UNKNOWN
expect400 '/api/report?by=topic&from=2026-13-01' REPORT_DATE
expect400 '/api/report.csv?by=topic&sep=x' FMT_CSV_SEP

# --- CSV -------------------------------------------------------------------------
assert_eq "$(get '/api/report.csv?name=topic-sex')" 200 "CSV"
assert_eq "$(head -c 3 "$TMPDIR/.body" | od -An -tx1 | tr -d ' ')" efbbbf "CSV starts with the BOM"
assert_contains "$(cat "$TMPDIR/.head")" "attachment; filename=\"hamroh-report-topic-sex-$(date -u +%F).csv\"" "CSV's file name"
assert_contains "$(cat "$TMPDIR/.head")" "Content-Type: text/csv" "CSV's type"
grep -q "^patent,<5,x," "$TMPDIR/.body" || die "CSV row of patent: $(cat "$TMPDIR/.body")"
assert_eq "$(get '/api/report.csv?name=topic-sex&sep=;')" 200 "CSV ;"
grep -q "^patent;<5;x;" "$TMPDIR/.body" || die "CSV ; row of patent: $(cat "$TMPDIR/.body")"

# --- XLSX ------------------------------------------------------------------------
assert_eq "$(get '/api/report.xlsx?name=topic-sex')" 200 "XLSX"
assert_eq "$(head -c 2 "$TMPDIR/.body")" PK "XLSX is a zip"
assert_contains "$(cat "$TMPDIR/.head")" "filename=\"hamroh-report-topic-sex-" "XLSX's file name"
cells=$(python3 "$HAMROH_REPO/tests/tools/xlsxcells.py" "$TMPDIR/.body") || die "xlsxcells: $cells"
assert_contains "$cells" "patent" "XLSX has the topic"
assert_contains "$cells" "<5" "XLSX hides the small cell"
[ -z "$(ls -A "$TMPDIR/A" | grep '^\.report-')" ] || die "the XLSX's temp file stayed"

# --- a statistician ---------------------------------------------------------------
printf '%s\n%s\n' "$TEST_PASSPHRASE" "$TEST_PASSPHRASE" >"$TMPDIR/pw"
expect_ok "$HAMROH" --data "$TMPDIR/A" --user admin --passphrase-fd 3 user add stat \
    --role statistician 3<"$TMPDIR/pw" >/dev/null
SJ=$TMPDIR/s.jar
code=$(req -c "$SJ" -X POST -H "Origin: $U" \
    -d "{\"user\":\"stat\",\"passphrase\":\"$TEST_PASSPHRASE\"}" "$U/api/signin")
assert_eq "$code" 200 "statistician's sign-in"
assert_eq "$(req -b "$SJ" "$U/api/report?name=topic-sex")" 200 "a statistician runs a report"
stop_agent A

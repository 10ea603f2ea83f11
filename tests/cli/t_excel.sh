#!/usr/bin/env bash
# Proves import reads what Excel saves (#16): a Russian-locale "CSV (semicolon-separated)" file (UTF-8 BOM, ';' between columns, CRLF, a quoted field holding ';', '""' and a line break) and a tab-separated "Unicode text" file import with every value exactly as typed; a header split at the wrong separator is refused on line 1 with an error naming the separator it was read with, importing nothing.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Khujand
hdr='center;opened_at;channel;topic;client_sex;status;summary;client_age'
# What Excel writes: BOM, CRLF, quotes only where a field needs them.
{
	printf '\xef\xbb\xbf%s\r\n' "$hdr"
	printf 'Khujand;2026-11-20;hotline;patent;F;open;"Работодатель; не платит ""зарплату""\r\nс мая";34\r\n'
	printf 'Khujand;2026-11-21;walk_in;entry_ban;M;open;Запрет въезда;\r\n'
} >"$T/ru.csv"
out=$(expect_ok on A import consultations "$T/ru.csv")
assert_eq "$out" "imported 2 records into consultations" "import of the Excel file"
on A export consultations >"$T/ru.jsonl"
python3 - "$T/ru.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
by = {r["opened_at"]: r for r in recs}
assert len(recs) == 2, recs
a = by["2026-11-20"]
want = 'Работодатель; не платит "зарплату"\r\nс мая'
assert a["summary"] == want, (a["summary"], want)
assert a["client_age"] == 34 and a["channel"] == "hotline", a
b = by["2026-11-21"]
assert b["summary"] == "Запрет въезда" and "client_age" not in b, b
PY

# Tab-separated ("Unicode text"), LF line ends, no BOM.
printf 'center\topened_at\tchannel\ttopic\tclient_sex\tstatus\tsummary\nKhujand\t2026-11-22\tonline\tfamily\tX\topen\t"tab\there, comma, semicolon;"\n' \
    >"$T/tab.csv"
expect_ok on A import consultations "$T/tab.csv" >/dev/null
on A export consultations | grep -qF '"summary":"tab\there, comma, semicolon;"' ||
    die "the tab-separated import: summary not kept: $(on A export consultations | grep 2026-11-22)"

# A header split wrong: more commas than semicolons in it.
on A export >"$T/before"
printf 'center;opened_at,channel,topic\nKhujand;2026-11-20,hotline,patent\n' >"$T/mixed.csv"
expect_fail --rc 1 "a header with mixed separators" on A import consultations "$T/mixed.csv"
assert_contains "$ERR" "line 1: unknown field 'center;opened_at' for consultations in the header, which was read with ',' as separator" \
    "the error for a mixed header"
assert_contains "$ERR" "nothing was imported" "the error for a mixed header"
on A export >"$T/after"
assert_same_file "$T/after" "$T/before" "export after a refused header"

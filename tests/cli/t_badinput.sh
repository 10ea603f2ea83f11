#!/usr/bin/env bash
# Proves bad input is refused with one clear error line and changes nothing: malformed/invalid files, oversize and invalid fields, unknown names, truncated and tampered bundles.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A
expect_ok on A center add Kulob "Kulob center" >/dev/null
gen 50 --seed 21 >"$T/base.jsonl"
expect_ok on A import consultations "$T/base.jsonl" >/dev/null
rec=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Kulob status=open client_age=40)
on A export >"$T/before"

# refused DESC CMD...: CMD fails cleanly and the export is unchanged.
refused() {
	expect_fail "$@"
	on A export >"$T/after"
	assert_same_file "$T/after" "$T/before" "export after: $1"
}

# --- import files -----------------------------------------------------------
gen 1000 --seed 22 | sed '500s/.*/{"center": "Dushanbe", "status": "open",/' >"$T/bad500.jsonl"
refused "malformed JSON on line 500" on A import consultations "$T/bad500.jsonl"
assert_contains "$ERR" "line 500" "error for malformed line 500"

gen 20 --seed 23 >"$T/badutf8.jsonl"
printf '{"center": "Dushanbe", "summary": "bad \xff\xfe byte"}\n' >>"$T/badutf8.jsonl"
refused "invalid UTF-8 in an imported summary" on A import consultations "$T/badutf8.jsonl"
assert_contains "$ERR" "line 21" "error for invalid UTF-8 on line 21"

big=$(python3 -c 'print("a" * 17408)')
{ gen 5 --seed 24; printf '{"center": "Dushanbe", "summary": "%s"}\n' "$big"; } >"$T/big.jsonl"
refused "17 KiB summary in import" on A import consultations "$T/big.jsonl"
[[ $ERR == *17408* || $ERR == *16384* ]] ||
    die "17 KiB summary: expected the error to mention 17408 or 16384, got: $ERR"

gen 1000 --seed 25 | sed '800s/"client_age": [0-9]*/"client_age": 200/' >"$T/age.jsonl"
grep -q '"client_age": 200' "$T/age.jsonl" || die "test setup: no client_age 200 in age.jsonl"
refused "client_age 200 on line 800 of 1000 (valid JSON)" on A import consultations "$T/age.jsonl"
assert_contains "$ERR" "line 800" "error for client_age on line 800"
assert_contains "$ERR" "client_age" "error for client_age names the field"

{ gen 2 --seed 26; echo '{"center": "Dushanbe", "status": "pending"}'; } >"$T/enum.jsonl"
refused "invalid status in import" on A import consultations "$T/enum.jsonl"
assert_contains "$ERR" "status" "error for invalid status names the field"

{ gen 2 --seed 27; echo '{"center": "Dushanbe", "bogus": 1}'; } >"$T/field.jsonl"
refused "unknown field in import" on A import consultations "$T/field.jsonl"
assert_contains "$ERR" "bogus" "error for unknown field names it"

refused "import into an unknown collection" on A import bogus "$T/base.jsonl"
refused "import of a missing file" on A import consultations "$T/no-such-file.jsonl"
printf 'center,bogus\nDushanbe,1\n' >"$T/bad.csv"
refused "CSV with an unknown column" on A import consultations "$T/bad.csv"
gen 10 --seed 28 --format csv | sed '5s/,[0-9][0-9],/,old,/' >"$T/age.csv"
refused "CSV with a non-integer client_age" on A import consultations "$T/age.csv"
# A NUL byte: import copies header names as C strings (found by fuzz_csv).
printf 'center,sum\0mary\nDushanbe,x\n' >"$T/nulhdr.csv"
refused "CSV with a NUL byte in its header" on A import consultations "$T/nulhdr.csv"
assert_contains "$ERR" "NUL byte" "error for a NUL byte in a CSV header"
printf 'center,summary\nDushanbe,"a\0b"\n' >"$T/nul.csv"
refused "CSV with a NUL byte in a quoted field" on A import consultations "$T/nul.csv"
assert_contains "$ERR" "line 2" "error for a NUL byte on line 2"

# --- add / set --------------------------------------------------------------
refused "invalid UTF-8 in add" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open "summary=$(printf 'bad \xff byte')"
refused "17 KiB summary in add" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open "summary=$big"
[[ $ERR == *17408* || $ERR == *16384* ]] ||
    die "17 KiB summary (add): expected the error to mention 17408 or 16384, got: $ERR"
refused "unknown field in add" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open bogus=1
assert_contains "$ERR" "bogus" "error for unknown field names it"
refused "unknown collection in add" on A add bogus center=x
assert_contains "$ERR" "bogus" "error for unknown collection names it"
refused "invalid enum client_sex=Q" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other status=open client_sex=Q
refused "invalid enum topic" on A add consultations opened_at=2026-11-20 channel=walk_in client_sex=F status=open topic=taxes
refused "invalid enum channel" on A add consultations opened_at=2026-11-20 topic=other client_sex=F status=open channel=fax
refused "invalid enum directory kind" on A add directory name=X kind=embassy
refused "client_age=200" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open client_age=200
refused "client_age=-1" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open client_age=-1
refused "client_age=abc" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open client_age=abc
refused "opened_at not a date" on A add consultations channel=walk_in topic=other client_sex=F status=open opened_at=yesterday
refused "opened_at month 13" on A add consultations channel=walk_in topic=other client_sex=F status=open opened_at=2024-13-01
refused "referred_to not a record id" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open referred_to=xyz
refused "set client_age=200" on A set consultations "$rec" client_age=200
refused "set invalid status" on A set consultations "$rec" status=pending
refused "set unknown field" on A set consultations "$rec" bogus=1
refused "show with a malformed id" on A show consultations not-an-id

# --- bundles ----------------------------------------------------------------
mknode B
gen 200 --seed 29 >"$T/b.jsonl"
expect_ok on B import consultations "$T/b.jsonl" >/dev/null
expect_ok on B center add Rasht "Rasht center" >/dev/null
expect_ok on B add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Rasht status=open summary=fresh >/dev/null
expect_ok on B bundle export "$T/good.bundle" >/dev/null
size=$(wc -c <"$T/good.bundle")
# Into a folder that is missing (a USB stick not mounted): it names the
# first missing folder and the mkdir that makes the rest, writes nothing.
(cd "$T" && expect_fail --rc 1 "bundle export into a missing folder" \
    "$H" --data "$T/B" bundle export usb/to-murghob/out.hamroh) || exit 1
assert_eq "$(cd "$T" && "$H" --data "$T/B" bundle export usb/to-murghob/out.hamroh 2>&1 || true)" \
    "hamroh: bundle export: usb/to-murghob/out.hamroh: there is no folder usb (if it is on a USB stick, is the stick plugged in and mounted?); make it with 'mkdir -p usb/to-murghob' or name a folder that exists; nothing was written" \
    "bundle export into a missing folder"
[ ! -e "$T/usb" ] || die "bundle export into a missing folder made $T/usb"
mkdir "$T/usb"
expect_fail --rc 1 "bundle export two folders short" on B bundle export "$T/usb/to-murghob/out.hamroh"
assert_contains "$ERR" "there is no folder $T/usb/to-murghob (" "bundle export two folders short"
[ -z "$(ls -A "$T/usb")" ] || die "bundle export into a missing folder wrote $(ls -A "$T/usb")"
: >"$T/usb/file"
expect_fail --rc 1 "bundle export below a file" on B bundle export "$T/usb/file/out.hamroh"
assert_contains "$ERR" "$T/usb/file is a file, not a folder" "bundle export below a file"
mkdir "$T/usb/to-murghob"
expect_ok on B bundle export "$T/usb/to-murghob/out.hamroh" >/dev/null
cmp -s "$T/usb/to-murghob/out.hamroh" "$T/good.bundle" ||
    die "the bundle exported once the folder exists differs from good.bundle"
[ "$size" -gt 16 ] || die "bundle export: expected a non-trivial file, got $size bytes"

head -c $((size / 2)) "$T/good.bundle" >"$T/half.bundle"
refused "bundle truncated to half" on A bundle import "$T/half.bundle"
head -c $((size - 1)) "$T/good.bundle" >"$T/short.bundle"
refused "bundle missing its last byte" on A bundle import "$T/short.bundle"
: >"$T/empty.bundle"
refused "empty bundle" on A bundle import "$T/empty.bundle"
head -c 4096 /dev/urandom >"$T/noise.bundle"
refused "random bytes as a bundle" on A bundle import "$T/noise.bundle"
refused "missing bundle file" on A bundle import "$T/no-such.bundle"
for pos in 0 $((size / 4)) $((size / 2)) $((3 * size / 4)) $((size - 1)); do
	py flip "$T/good.bundle" "$pos" "$T/flip.bundle"
	refused "bundle with byte $pos of $size flipped" on A bundle import "$T/flip.bundle"
done
expect_ok on A verify >/dev/null

# sanity: the intact bundle is accepted and does change the export
expect_ok on A bundle import "$T/good.bundle" >/dev/null
on A export >"$T/after"
! cmp -s "$T/after" "$T/before" || die "intact bundle: expected the export to change"
on A export --sealed consultations >"$T/a.c"
on B export --sealed consultations >"$T/b.c"
python3 - "$T/a.c" "$T/b.c" <<'EOF' || die "after the intact bundle, A lacks some of B's consultations"
import sys
a = set(open(sys.argv[1], encoding="utf-8")); b = set(open(sys.argv[2], encoding="utf-8"))
sys.exit(0 if b <= a else 1)
EOF
echo "t_badinput: ok"

#!/usr/bin/env bash
# Proves text that came from any node is escaped where a person reads it: a record whose summary holds a newline, a carriage return, DEL, the C1 control CSI (U+009B) and a right-to-left override (U+202E) prints in history and list as one line with \n, \r, \x7f, \u{9b} and \u{202e} in their place, and in show keeps its lines but no control; the JSON forms keep the exact value.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

mknode A Khorog
v=$'line one\nINFO session peer=ffff forged\r\x7f\xc2\x9b2J \xe2\x80\xaeevil'
r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Khorog status=open "summary=$v")

hist=$(expect_ok on A history consultations "$r" | grep ' summary = ')
want='summary = line one\nINFO session peer=ffff forged\r\x7f\u{9b}2J \u{202e}evil'
case $hist in
*"$want") ;;
*) die "history does not escape the summary: $(printf '%s' "$hist" | od -c | head -5)" ;;
esac
# Seven fields written and the case number add gave it: eight changes.
[ "$(expect_ok on A history consultations "$r" | wc -l)" -eq 8 ] ||
    die "history printed more lines than changes"

lst=$(expect_ok on A list consultations summary="$v")
[ "$(printf '%s\n' "$lst" | wc -l)" -eq 2 ] || die "list broke a row: $lst"

shown=$(expect_ok on A show consultations "$r")
printf '%s\n' "$shown" | grep -qxF 'INFO session peer=ffff forged\r\x7f\u{9b}2J \u{202e}evil' ||
    die "show did not keep the lines or escape the rest: $shown"
if printf '%s' "$shown$hist$lst" | LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]\|\xe2\x80\xae'; then
	die "a control character reached the terminal"
fi

# JSON keeps the value exact (escaped the JSON way).
expect_ok on A history consultations "$r" --json | python3 -c '
import json, sys
want = sys.argv[1]
vals = [json.loads(l)["value"] for l in sys.stdin if json.loads(l)["field"] == "summary"]
sys.exit(0 if vals == [want] else "json history: %r" % vals)' "$v"
echo "t_escape: ok"

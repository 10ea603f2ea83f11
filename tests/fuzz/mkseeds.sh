#!/usr/bin/env bash
# Make the seed corpora of the fuzz targets that read what people hand a
# node: invite tokens (fuzz_invite) printed by a real `hamroh invite`, and
# CSV files (fuzz_csv) of the project's consultation generator and of the
# shapes spreadsheets write.  Seeds are named by their SHA-256, as
# libFuzzer names what it finds, so rerunning adds files and never
# renames one.  The session corpus comes from its own generator
# (tests/fuzz/gen_session.c; `make fuzz-seeds` runs both).
#
#   tests/fuzz/mkseeds.sh HAMROH
set -eu -o pipefail

[ $# -eq 1 ] || { echo "usage: tests/fuzz/mkseeds.sh HAMROH" >&2; exit 2; }
H=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/../.." && pwd)
corpus=$repo/tests/fuzz/corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkseeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

seed() {	# seed TARGET < bytes
	local f=$tmp/seed
	cat >"$f"
	mkdir -p "$corpus/fuzz_$1"
	cp "$f" "$corpus/fuzz_$1/$(sha256sum "$f" | cut -c1-64)"
}

# --- invites: a network, and tokens of each role, with and without
# addresses, center keys and peers --------------------------------------------
A=$tmp/A B=$tmp/B C=$tmp/C
"$H" --data "$A" init --name capital --center Dushanbe >/dev/null
"$H" --data "$B" init --name region --center Khujand >/dev/null
"$H" --data "$C" init --name district >/dev/null
"$H" --data "$A" network create --name "Tajik legal aid" >/dev/null
"$H" --data "$A" center add Khujand "Khujand office" >/dev/null
KB=$("$H" --data "$B" id)
KC=$("$H" --data "$C" id)
"$H" --data "$A" invite "$KB" --name "Khujand office" --center Khujand \
    --role office | tr -d '\n' | seed invite
"$H" --data "$A" invite "$KC" --name "Район" --center Dushanbe \
    --role center --expires 30 --address 10.0.0.1:7420 \
    --address '[fd00::1]:7420' --address capital.example.org:7420 |
    tr -d '\n' | seed invite
"$H" --data "$A" invite "$KB" --name "second admin" --center Dushanbe \
    --role admin --expires 1 | tr -d '\n' | seed invite
"$H" --data "$A" invite "$KC" --name "district" --center Khujand \
    --role office --address 10.0.0.1:7420 --peer 10.0.0.2:7420 "$KB" \
    --peer region.example.org:7420 "$KB" | tr -d '\n' | seed invite
printf 'hamroh1:' | seed invite

# --- CSV: the generator's consultations, and what spreadsheets do -----------
python3 "$repo/tests/tools/gen_consultations.py" --seed 7 --format csv 12 |
    seed csv
python3 "$repo/tests/tools/gen_consultations.py" --seed 11 --format csv \
    --all-fields 6 | seed csv
# Excel: a byte order mark, CRLF, quotes doubled, a line break in a field.
printf '\xef\xbb\xbfcenter,summary,client_name\r\nDushanbe,"said ""no""\r\nthen left",Фарход\r\n' |
    seed csv
# LibreOffice: LF, every field quoted, an empty field, no final newline.
printf '"center","topic","outcome"\n"Khujand","","work permit"\n"Kulob","labour",""' |
    seed csv
# Blank lines between records, a lone CR inside quotes, a last empty field.
printf 'a,b\n\n\n"x\ry",\n1,2\n' | seed csv
# Excel in a Russian or Tajik locale: ';' between columns, a quoted ';'.
printf '\xef\xbb\xbfcenter;summary;client_age\r\nKhujand;"Работодатель; не платит ""зарплату""\r\nс мая";34\r\nKulob;a,b;\r\n' |
    seed csv
# "Unicode text": tabs, a quoted tab; a header whose ',' outnumber its ';'.
printf 'center\tsummary\n"Dushanbe"\t"a\tb, c"\n' | seed csv
printf 'center;opened_at,channel,topic\nKhujand;2026-11-20,hotline,patent\n' |
    seed csv
# Blank lines before a ';' header whose first field holds a quoted line break.
printf '\r\n\n"a\nb,c";d\n1;2\n' | seed csv
echo "mkseeds: corpora in $corpus"

#!/usr/bin/env bash
# timeout: 120
# Proves `hamroh search` as a lawyer uses it: on a Khujand office of a network, a returning client is found by any word of her name (case and the Tajik letters folded: "хакимова" finds "Ҳакимова", "фируза" finds "Фирӯза"), by a prefix, by phone in three notations and a Russian +7 number, by words of the summary and by case number (as printed and in lower case); FTS5 syntax in the text is only text; a Dushanbe consultation (its key not held here) is never found; --json prints one object per match; an empty or over-long text is one clear line, exit 2; an edit and a deletion show at once (the index is built per call); and no marker of a name, phone or summary is in any file of the data dir after the searches.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Dushanbe
mknode M Khujand
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on M id --invite)" --name M --center Khujand --role center)
expect_ok on M join "$tok" >/dev/null

add_m() {
	expect_ok on M add consultations center=Khujand channel=walk_in client_sex=F \
	    destination=RU status=open "$@"
}
id1=$(add_m opened_at=2026-11-02 topic=patent client_name="Ҳакимова Фирӯза SRCHMARKNAME" \
    client_phone="+992 92 555 12 34" summary="Патент продлён, работодатель SRCHMARKSUMMARY удержал паспорт")
id2=$(add_m opened_at=2026-11-05 topic=registration client_name="Рахимова Зебо" \
    client_phone="+7 912 345-67-89" summary="Регистрация по месту пребывания SEARCHMARK-3321")
n2=$(on M show consultations "$id2" --json | py get case_number)
# A Dushanbe consultation, written by the admin node, reaches M sealed to a key M lacks.
expect_ok on A add consultations center=Dushanbe opened_at=2026-11-06 channel=hotline \
    client_sex=F destination=RU topic=patent status=open client_name="Ҳакимова Дилноза" \
    client_phone="+992 93 000 11 22" summary="патент SRCHMARKOTHER" >/dev/null
expect_ok on A bundle export "$T/a.bundle" >/dev/null
expect_ok on M bundle import "$T/a.bundle" >/dev/null

# found TEXT: the ids search prints (--json), one a line.
found() { on M search "$1" --json | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p'; }
for q in хакимова "ҲАКИМОВА" фируза "Фирӯза" хаки "+992 92 555 12 34" 925551234 \
    92-555-12-34 паспорт "работодатель паспорт"; do
	assert_eq "$(found "$q")" "$id1" "search '$q'"
done
for q in "+79123456789" "8 (912) 345 67 89" зебо "SEARCHMARK-3321" "$n2" "${n2,,}"; do
	assert_eq "$(found "$q")" "$id2" "search '$q'"
done
# Newest first; every word must match.
assert_eq "$(found пр | tr '\n' ' ')" "$id2 $id1 " "search 'пр' (продлён, пребывания): both, newest first"
assert_eq "$(found "зебо паспорт")" "" "search 'зебо паспорт' matches nothing"
# FTS5's syntax is text: no error, no match it does not earn.
for q in '"зебо" OR NEAR(x)' 'зебо AND' '^ab* c:d' 'SEARCHMARK-3321 -x'; do
	expect_ok on M search "$q" --json >/dev/null
done
# The Dushanbe record: its key is not held here.
assert_eq "$(found дилноза)" "" "another center's record is not found"
assert_eq "$(found 930001122)" "" "another center's phone is not found"
assert_contains "$(on A search дилноза)" "Ҳакимова Дилноза" "the admin node (every key) finds it"

# The human form: case, date, center, topic, status and name.
out=$(expect_ok on M search зебо)
assert_eq "$(echo "$out" | head -n 1)" "case  opened_at  center  topic  status  client_name" "header"
assert_eq "$(echo "$out" | sed -n 2p)" "$n2  2026-11-05  Khujand  registration  open  Рахимова Зебо" "row"
on M search нетакого >"$T/none.out" 2>"$T/none.err"
assert_eq "$(cat "$T/none.out")" "" "no match: nothing on stdout"
assert_contains "$(cat "$T/none.err")" "no consultation matches" "no match: said on stderr"

# Bad input: one line, exit 2.
expect_fail --rc 2 "search of punctuation" on M search '"*()'
assert_contains "$ERR" "give a client's name" "empty search says what to give"
expect_fail --rc 2 "search of an over-long text" on M search "$(printf 'а%.0s' $(seq 1 300))"
expect_fail --rc 2 "search without TEXT" on M search

# Edits and deletions show at once.
expect_ok on M set consultations "$id2" client_name="Назарова Зебо" >/dev/null
assert_eq "$(found рахимова)" "" "the old name is gone after set"
assert_eq "$(found назарова)" "$id2" "the new name is found after set"
expect_ok on M rm consultations "$id2" >/dev/null
assert_eq "$(found зебо)" "" "a deleted record is not found"

# Plaintext never on disk: no marker in any file of either data dir.
for d in M A; do
	if grep -rla -e SRCHMARKNAME -e SRCHMARKSUMMARY -e SRCHMARKOTHER -e "Фирӯза" \
	    -e 925551234 "$T/$d"; then
		die "a marker is on disk in $d"
	fi
done
echo "ok"

#!/usr/bin/env bash
# Proves the forms catch a lawyer's mistakes (#13): a consultation with only its center, a case closed without its date or outcome, closed before it opened, a date far ahead, destination=ZZ, language=Tajik, a referral to no or to several directory entries are each refused with one line naming the field and what it takes, leaving the data as it was, by add, set and import alike; a referral is found by a part of the name; records already in the log are kept; add --help marks the required fields and add COLLECTION --help lists each one's values, never an internal field; stats by a confidential field is refused; show and list mark a record with an open conflict.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

FORGE=$HAMROH_BUILD/tools/forge
[ -x "$FORGE" ] || die "no forge tool at $FORGE ('make unit' builds it)"
mknode A Khujand
# What a new consultation needs.
need=(center=Khujand opened_at=2026-11-20 channel=walk_in topic=patent client_sex=F status=open)
on A export >"$T/before"

# refused DESC NEEDLE CMD...: one line naming NEEDLE, the data unchanged.
refused() {
	local desc=$1 needle=$2; shift 2
	expect_fail --rc 1 "$desc" "$@"
	assert_contains "$ERR" "$needle" "$desc"
	on A export >"$T/after"
	assert_same_file "$T/after" "$T/before" "export after: $desc"
}

# --- add: each rule ----------------------------------------------------------
refused "a consultation with its center alone" \
    "fields opened_at, channel, topic, client_sex, status are required" \
    on A add consultations center=Khujand
refused "no client_sex" "field 'client_sex' is required for a new consultations record; give client_sex= one of: M, F, X" \
    on A add consultations center=Khujand opened_at=2026-11-20 channel=walk_in topic=patent status=open
refused "no opened_at" "give opened_at=YYYY-MM-DD" \
    on A add consultations center=Khujand channel=walk_in topic=patent client_sex=F status=open
refused "closed with no closing date" "field 'closed_on' is required when status=closed" \
    on A add consultations "${need[@]}" status=closed outcome="Patent renewed"
refused "closed with no outcome" "field 'outcome' is required when status=closed" \
    on A add consultations "${need[@]}" status=closed closed_on=2026-11-21
refused "closed before it opened" "field 'closed_on' is 2026-11-19, before opened_at (2026-11-20)" \
    on A add consultations "${need[@]}" status=closed closed_on=2026-11-19 outcome=Advised
refused "opened next year" "field 'opened_at' is 2027-12-01, more than a day from now; give a date up to" \
    on A add consultations "${need[@]}" opened_at=2027-12-01
refused "destination=ZZ" "field 'destination' is 'ZZ', not an ISO 3166-1 alpha-2 country code" \
    on A add consultations "${need[@]}" destination=ZZ
refused "destination=XX" "'XX', not an ISO 3166-1" on A add consultations "${need[@]}" destination=XX
refused "language=Tajik" "field 'language' must be one of: tg, ru, uz, en, other" \
    on A add consultations "${need[@]}" language=Tajik
refused "a referral to no directory entry" "field 'referred_to': no directory record's name holds 'Moscow'" \
    on A add consultations "${need[@]}" referred_to=Moscow

# --- referrals: by a part of a name ------------------------------------------
m1=$(expect_ok on A add directory name="Migration Service, Moscow" kind=migration_service \
    country=RU city=Moscow phone=+74950000000 verified_on=2026-11-01)
m2=$(expect_ok on A add directory name="Migrant Rights NGO, Moscow" kind=ngo \
    country=RU city=Moscow phone=+74951111111 verified_on=2026-11-01)
on A export >"$T/before"
refused "a referral matching two entries" "field 'referred_to': 2 directory records match 'moscow': " \
    on A add consultations "${need[@]}" referred_to=moscow
assert_contains "$ERR" "Migration Service, Moscow (${m1:0:8}...)" "the ambiguous referral lists the first"
assert_contains "$ERR" "Migrant Rights NGO, Moscow (${m2:0:8}...)" "the ambiguous referral lists the second"
c1=$(expect_ok on A add consultations "${need[@]}" destination=RU language=tg referred_to="migration service")
on A show consultations "$c1" >"$T/show"
grep -q "^referred_to  *$m1\$" "$T/show" || die "referred_to by name should hold $m1: $(cat "$T/show")"
c2=$(expect_ok on A add consultations "${need[@]}" referred_to="$m2")
on A export >"$T/before"

# --- set: the record as it will be --------------------------------------------
refused "closing without the date" "field 'closed_on' is required when status=closed" \
    on A set consultations "$c1" status=closed outcome="Patent renewed"
refused "closing before the opening date" "before opened_at (2026-11-20)" \
    on A set consultations "$c1" status=closed closed_on=2026-11-02 outcome="Patent renewed"
refused "clearing a required field" "field 'topic' is required" on A set consultations "$c1" topic=
refused "set destination=ZZ" "'ZZ'" on A set consultations "$c1" destination=ZZ
expect_ok on A set consultations "$c1" status=closed closed_on=2026-11-24 outcome="Patent renewed" >/dev/null
on A export >"$T/before"
refused "clearing the outcome of a closed case" "field 'outcome' is required when status=closed" \
    on A set consultations "$c1" outcome=
refused "moving opened_at past the closing" "field 'closed_on' is 2026-11-24, before opened_at (2026-11-25)" \
    on A set consultations "$c1" opened_at=2026-11-25

# --- import: the same rules, all or nothing -----------------------------------
cat >"$T/in.csv" <<'EOF'
center,opened_at,channel,topic,client_sex,status,closed_on,outcome,destination
Khujand,2026-11-20,hotline,entry_ban,M,open,,,RU
Khujand,2026-11-21,hotline,entry_ban,M,closed,,Advised,RU
EOF
refused "an import closing a case without its date" "line 3: field 'closed_on' is required when status=closed" \
    on A import consultations "$T/in.csv"
assert_contains "$ERR" "nothing was imported" "the import's error"
sed -i 's/,closed,,Advised,RU/,closed,2026-11-22,Advised,KZ/' "$T/in.csv"
expect_ok on A import consultations "$T/in.csv" >/dev/null
gen 20 --seed 31 >"$T/gen.jsonl"
expect_ok on A import consultations "$T/gen.jsonl" >/dev/null
on A export >"$T/before"

# --- records already in the log: kept, and still edited -----------------------
old=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
printf '{"id":"%s","center":"Khujand","status":"closed","destination":"SU"}\n' "$old" >"$T/old.jsonl"
refused "an import of a form the rules refuse" "line 1: fields opened_at, channel, topic, client_sex are required" \
    on A import consultations "$T/old.jsonl"
"$FORGE" "$T/A" consultations "$old" center=Khujand status=closed destination=SU >/dev/null ||
    die "forge: a record as an older version wrote it"
expect_ok on A set consultations "$old" summary="Seen again" >/dev/null
assert_contains "$(on A show consultations "$old")" "destination      SU" "an old record keeps its value"
expect_fail "closing the old record again without its date" on A set consultations "$old" status=closed
assert_contains "$ERR" "closed_on" "the old record, closed again"

# --- help ---------------------------------------------------------------------
h=$(expect_ok on A add consultations --help)
assert_contains "$h" "  channel*          walk_in, hotline, outreach, online" "add consultations --help: channel"
assert_contains "$h" "  language          one of tg, ru, uz, en, other" "add consultations --help: language"
assert_contains "$h" "  client_age        a whole number, 0 to 120" "add consultations --help: client_age"
assert_contains "$h" "  destination       a country: its ISO 3166-1 alpha-2 code" "add consultations --help: destination"
assert_contains "$h" "  referred_to       a record id of directory, or a part of its name" "add consultations --help: referred_to"
assert_contains "$h" "required when status=closed" "add consultations --help: closing"
assert_eq "$(expect_ok on A help add consultations)" "$h" "help add consultations against add consultations --help"
short=$(expect_ok on A add --help)
[ "$(printf '%s\n' "$short" | wc -l)" -le 24 ] || die "add --help is longer than a screen"
assert_contains "$short" "consultations: center* opened_at* channel*" "add --help marks the required fields"
assert_contains "$short" "'hamroh add COLLECTION --help' lists each field's values." "add --help points at the values"
m=$(expect_ok on A add members --help)
for f in cert_by revoked_sig successor_cert sealed recipient keyid role; do
	! grep -qw "$f" <<<"$short$m" || die "add --help offers the internal field $f"
done
assert_contains "$(expect_ok on A add keys --help)" "none: hamroh writes each of them itself" "add keys --help"
id=$(on A id)
expect_fail "set an internal field of members" on A set members "${id:0:32}" role=admin
assert_contains "$ERR" "field 'role' of members is written by hamroh itself" "internal field"

# --- stats by a confidential field ----------------------------------------------
expect_fail --rc 2 "stats by client_name" on A stats consultations --by client_name
assert_contains "$ERR" "client_name is confidential" "stats by a confidential field"
expect_ok on A stats consultations --by topic >/dev/null

# --- an open conflict is marked in show and list -------------------------------
mknode B Khujand
xfer A B
expect_ok on A set consultations "$c2" status=referred >/dev/null
expect_ok on B set consultations "$c2" status=open summary="Called back" >/dev/null
xfer B A
assert_contains "$(on A show consultations "$c2")" "CONFLICT         1 field in conflict" "show marks the conflict"
line=$(on A list consultations | grep " $c2 ")
assert_contains "$line" "CONFLICT (see 'hamroh conflicts')" "list marks the conflict"
assert_eq "$(on A list consultations | grep -c CONFLICT)" 1 "list marks that record alone"
on A list consultations --json >"$T/list.json"
assert_eq "$(grep -c '"_conflicts":1' "$T/list.json")" 1 "list --json marks it"
on A export consultations >"$T/exp.json"
! grep -q _conflicts "$T/exp.json" || die "export must not carry the mark"
expect_ok on A set consultations "$c2" status=referred >/dev/null
! on A list consultations | grep -q CONFLICT || die "a resolved conflict is still marked"
echo "t_forms: ok"

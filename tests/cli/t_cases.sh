#!/usr/bin/env bash
# timeout: 120
# Proves centers and case numbers as an admin and a lawyer use them: the admin adds centers (prefix made or given, bad ones refused) and the list reaches another office in a bundle; an invite or a consultation naming an unknown center (the typo Khujnad) is refused naming the known ones and changes nothing; a consultation gets a case number with the invite's node code that show, set, history and rm accept (lower case too) and a one-character typo of which is refused; lists are newest first; a returning client's consultations list together; a client who said no to statistics is left out of stats unless --all; show and history are in the node's own access log, which no bundle carries.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

# yy: the two digits of this year, as case numbers of today carry.
yy=$(date -u +%y)
# num JSONL: the case_number of add --json's line.
num() { python3 -c 'import json, sys; print(json.load(sys.stdin)["case_number"])'; }
# nums: the case numbers of list --json's lines, in order.
nums() { python3 -c 'import json, sys; print(" ".join(json.loads(l).get("case_number", "-") for l in sys.stdin))'; }

# --- the admin's list of centers ------------------------------------------
mknode A Dushanbe
expect_ok on A network create --name tj-legal >/dev/null
out=$(expect_ok on A center add Khujand "Khujand information center" \
    --region Sughd --name-tg "Маркази иттилоотии Хуҷанд" \
    --name-ru "Информационный центр Худжанда")
assert_contains "$out" "case numbers KHJ-" "center add says the prefix it made"
expect_ok on A center add Kulob "Kulob information center" --prefix KLB >/dev/null
list=$(expect_ok on A center list)
assert_contains "$list" "Dushanbe  DSH" "the first admin's center is the list's first"
assert_contains "$list" "Khujand  KHJ  Khujand information center  Sughd  Маркази иттилоотии Хуҷанд  Информационный центр Худжанда" "center list row"
assert_eq "$(on A center list --json | python3 -c 'import json, sys; print(" ".join(json.loads(l)["code"] for l in sys.stdin))')" \
    "Dushanbe Khujand Kulob" "center list --json, by code"
on A export >"$T/A.before"
expect_fail --rc 1 "a center added twice" on A center add Khujand "Again"
assert_contains "$ERR" "already in the list (prefix KHJ)" "a center added twice"
expect_fail --rc 1 "a prefix another center has" on A center add Khorog "Khorog" --prefix KHJ
expect_fail --rc 2 "a prefix with a digit" on A center add Khorog "Khorog" --prefix KH1
expect_fail --rc 2 "a code with a space" on A center add "Khu jand" "Khujand"
assert_contains "$ERR" "without spaces" "a code with a space"
expect_fail --rc 2 "center add without a name" on A center add Khorog
on A export >"$T/A.after"
assert_same_file "$T/A.after" "$T/A.before" "refused center adds change nothing"

# --- a typo in an invite ---------------------------------------------------
mknode B Khujand
expect_fail --rc 1 "invite for the typo Khujnad" on A invite "$(on B id --invite)" \
    --name khujand-office --center Khujnad --role center
assert_contains "$ERR" "--center Khujnad is not a known center; the known ones are Dushanbe, Khujand, Kulob" \
    "the refused invite lists the known centers"
on A export >"$T/A.after"
assert_same_file "$T/A.after" "$T/A.before" "a refused invite changes nothing"
tok=$(expect_ok on A invite "$(on B id --invite)" --name khujand-office --center Khujand --role center)
expect_ok on B join "$tok" >/dev/null
# The list reaches the office as the directory does (here on a bundle).
expect_ok on A bundle export "$T/a.bundle" >/dev/null
expect_ok on B bundle import "$T/a.bundle" >/dev/null
assert_contains "$(on B center list)" "Kulob  KLB  Kulob information center" "B holds the admin's list"
expect_fail --rc 1 "a center's office adds a center" on B center add Isfara "Isfara office"
assert_contains "$ERR" "only admins write centers" "the list is the admins'"

# --- a lawyer's cases -------------------------------------------------------
c=(opened_at=2026-11-20 channel=walk_in client_sex=M client_age=41
    destination=RU topic=patent status=open)
# A center's office logs its own center's only; an admin logs any known.
expect_fail --rc 1 "the office logs the typo Khujnad" on B add consultations center=Khujnad "${c[@]}"
assert_contains "$ERR" "this node is of center 'Khujand'" "the office's typo refused"
assert_eq "$(on B list consultations --json | wc -l)" 0 "the typo wrote nothing"
on A export >"$T/A.before"
expect_fail --rc 1 "the admin logs the typo Khujnad" on A add consultations center=Khujnad "${c[@]}"
assert_contains "$ERR" "center=Khujnad is not a known center; the known ones are Dushanbe, Khujand, Kulob" "the admin's typo refused"
on A export >"$T/A.after"
assert_same_file "$T/A.after" "$T/A.before" "the refused consultation changes nothing"
n1=$(expect_ok on B --json add consultations center=Khujand "${c[@]}" client_name="Рахимов Фарход" | num)
[[ $n1 =~ ^KHJ-26-10-[0-9]{4}-[0-9A-HJKMNP-TV-Y]$ ]] ||
    die "case number: expected KHJ-26-10-NNNN-C (prefix, year of opened_at, the invite's node code 10), got '$n1'"
id1=$(on B list consultations --json | python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["id"])')
assert_eq "$(on B show consultations "$n1" --json | py get id)" "$id1" "show takes the case number"
assert_eq "$(on B show consultations "${n1,,}" --json | py get case_number)" "$n1" "show takes it in lower case"
expect_ok on B set consultations "$n1" status=closed closed_on=2026-11-21 outcome=resolved >/dev/null
assert_eq "$(on B show consultations "$id1" --json | py get status)" closed "set took the case number"
assert_contains "$(on B history consultations "$n1")" "status = closed" "history takes the case number"
# Search finds the case by its number, typed from the card, and shows it.
hit=$(expect_ok on B search "${n1,,}")
assert_contains "$hit" "$n1  2026-11-20  Khujand" "search by case number shows the case number"
last=${n1: -1}
typo=${n1%?}$([ "$last" = 7 ] && echo 8 || echo 7)
expect_fail --rc 1 "show of a mistyped case number" on B show consultations "$typo"
assert_contains "$ERR" "its last character does not match" "a typo is named as one"
swapped=${n1:0:11}${n1:12:1}${n1:11:1}${n1:13}
[ "$swapped" = "$n1" ] || expect_fail "show with two digits swapped" on B show consultations "$swapped"
expect_fail --rc 1 "set of case_number" on B set consultations "$n1" case_number=KHJ-26-10-9999-0
assert_contains "$ERR" "case_number is given by 'hamroh add'" "case_number is add's"

# The same client comes back twice; another client in between; an older
# case logged late.  Lists are newest first.
n2=$(expect_ok on B --json add consultations center=Khujand "${c[@]/2026-11-20/2026-11-22}" | num)
n3=$(expect_ok on B --json add consultations center=Khujand "${c[@]/2026-11-20/2026-11-25}" person="$n1" | num)
n4=$(expect_ok on B --json add consultations center=Khujand "${c[@]/2026-11-20/2026-11-28}" person="$n3" | num)
n0=$(expect_ok on B --json add consultations center=Khujand "${c[@]/2026-11-20/2026-10-02}" | num)
assert_eq "$(on B list consultations --json | nums)" "$n4 $n3 $n2 $n1 $n0" "list: newest first"
assert_eq "$(on B show consultations "$n4" --json | py get person)" "$n1" "person is the first case's number"
assert_eq "$(on B list consultations person="$n4" --json | nums)" "$n4 $n3 $n1" "a returning client's cases together"
assert_eq "$(on B list consultations person="$n2" --json | nums)" "$n2" "another client's alone"
human=$(expect_ok on B list consultations)
assert_contains "$(printf '%s\n' "$human" | head -n 1)" "case_number" "the list shows case numbers"

# --- consent ---------------------------------------------------------------
expect_ok on B set consultations "$n2" consent_stats=no consent_kept=yes consent_on=2026-11-22 >/dev/null
expect_ok on B stats consultations --by topic 2>"$T/stats.err" >"$T/stats"
assert_eq "$(grep '^patent' "$T/stats")" "patent	<5" "stats leave out the client who said no (4: a small count)"
assert_contains "$(cat "$T/stats.err")" "1 record left out: the client did not consent to statistics (--all counts them)" "stats say so"
assert_eq "$(on B stats consultations --by topic --all | grep '^patent')" "patent	5" "stats --all counts them"

# --- the access log ----------------------------------------------------------
log=$(expect_ok on B access-log)
assert_contains "$log" "show  $n1  $id1  admin" "show is in the access log"
assert_contains "$log" "history  $n1  $id1  admin" "history is in the access log"
on B access-log --json >"$T/log.json"
assert_eq "$(head -n 1 "$T/log.json" | py get actor)" admin "the signed-in admin is the actor"
expect_ok on B bundle export "$T/b.bundle" >/dev/null
expect_ok on A bundle import "$T/b.bundle" >/dev/null
# A's own log holds only its exports (each a view of every record).
on A access-log --json >"$T/alog.json"
grep -q '"what":"export"' "$T/alog.json" || die "A's exports are not in its access log"
! grep -q '"what":"show"\|"what":"history"\|"what":"list"' "$T/alog.json" ||
    die "B's views reached A: the access log left its node"
assert_eq "$(on A show consultations "$n1" --json | py get id)" "$id1" "the admin finds the case by number too"

expect_ok on B rm consultations "$n0" >/dev/null
expect_fail --rc 1 "show of a removed case" on B show consultations "$n0"

# --- an office in no network: its local code ---------------------------------
mknode S Khorog
assert_contains "$(on S center list)" "Khorog  KHR  (this node's center" "init's center is in the list"
ns=$(expect_ok on S --json add consultations center=Khorog "${c[@]}" | num)
[[ $ns =~ ^KHR-26-0[0-9A-HJKMNP-TV-Y]-0001-.$ ]] || die "local case number: expected KHR-26-0X-0001-C, got '$ns'"
expect_fail --rc 1 "another center, unknown here" on S add consultations center=Kulob "${c[@]}"
assert_contains "$ERR" "the known ones are Khorog" "the node's own center is known"
echo "t_cases: ok ($n1, $ns; year $yy)"

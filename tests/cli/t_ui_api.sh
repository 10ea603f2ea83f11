#!/usr/bin/env bash
# Proves the web UI's further API routes (agent/ui/api_more.c) through raw HTTP with curl, each with a success and a refusal: the schema (coded values, rules, no internal field); the consultations list's filters (mine, status, overdue, center, topic, period, person) and their bad input; set, then history naming the user; a conflict made on two nodes listed by /conflicts and gone after a POST of the chosen value; guides, the directory (180-day stale flag, search) and centers; users, invite, revoke, key rotation and the access log, a lawyer refused (403 with the catalog key) on each admin route; a session ends once its account is removed or its passphrase changed by someone else, by the UI or the CLI.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || die "curl is missing: run deploy/install-deps.sh"
trap 'kill_agents' EXIT

mknode A Khujand
mknode B Dushanbe
mknode C
expect_ok on A network create --name tj-legal >/dev/null
start_agent A --ui-listen 127.0.0.1:0
expect_ok on A center add Dushanbe "Dushanbe center" >/dev/null
tok=$(expect_ok on A invite "$(on B id)" --name B --center Dushanbe --role office \
    --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null
U=http://127.0.0.1:$UIPORT_A
PW=$TEST_PASSPHRASE
old=$(date -u -d '-40 days' +%F)
recent=$(date -u -d '-2 days' +%F)
stale=$(date -u -d '-200 days' +%F)
today=$(date -u +%F)

# req ARGS...: curl that prints "STATUS BODY" (body on one line).
req() {
	: >"$TMPDIR/.body"
	curl -s -o "$TMPDIR/.body" -w '%{http_code}' "$@" >"$TMPDIR/.code" ||
	    die "curl $* failed"
	printf '%s %s' "$(cat "$TMPDIR/.code")" "$(tr -d '\n' <"$TMPDIR/.body")"
}
json_get() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ",1)[1])'"$1"')'; }
# jq_py EXPR: a Python expression of the answer's body "b".
jq_py() { python3 -c 'import json,sys; b=json.loads(sys.stdin.read().split(" ",1)[1]); print('"$1"')'; }
# signin JAR USER PASS [URL]: sign in (at $U unless URL), keeping the
# jar's CSRF token and URL.
declare -A CSRF BASE
signin() {
	local r u=${4:-$U}
	r=$(req -c "$1" -X POST -H "Origin: $u" \
	    -d "{\"user\":\"$2\",\"passphrase\":\"$3\"}" "$u/api/signin")
	assert_eq "${r%% *}" 200 "sign-in of $2: $r"
	CSRF[$1]=$(json_get '["csrf"]' <<<"$(req -b "$1" "$u/api/me")")
	BASE[$1]=$u
}
# get JAR PATH; post JAR PATH BODY [METHOD]: as the jar's session.
get() { req -b "$1" "${BASE[$1]}$2"; }
post() {
	req -b "$1" -X "${4:-POST}" -H "Origin: ${BASE[$1]}" -H "X-CSRF-Token: ${CSRF[$1]}" \
	    -d "$3" "${BASE[$1]}$2"
}
# expect_code R STATUS KEY DESC: answer R has STATUS and, if KEY, that error key.
expect_code() {
	assert_eq "${1%% *}" "$2" "$4: $(_show "$1")"
	[ -z "$3" ] || assert_contains "$1" "\"key\":\"$3\"" "$4's key"
}

AJ=$TMPDIR/admin.jar
LJ=$TMPDIR/lawyer.jar
signin "$AJ" admin "$PW"

# --- the schema ----------------------------------------------------------------
r=$(get "$AJ" /api/schema)
expect_code "$r" 200 "" "GET /api/schema"
python3 - "$TMPDIR/.body" <<'EOF' || die "the schema: see above"
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))["collections"]
c = s["consultations"]
f = {x["name"]: x for x in c["fields"]}
assert f["topic"]["type"] == "enum" and "patent" in f["topic"]["values"], f["topic"]
assert f["center"]["required"] is True and f["summary"]["required"] is False
assert f["client_name"]["confidential"] is True and f["topic"]["confidential"] is False
assert f["client_age"]["type"] == "int" and f["client_age"]["max"] == 120
assert f["opened_at"]["type"] == "date" and f["destination"]["type"] == "country"
assert f["summary"]["max"] == 16384 and f["summary"]["values"] is None
rules = c["rules"]
assert {"kind": "needed_when", "field": "closed_on", "other": "status",
        "value": "closed", "values": None} in rules, rules
assert any(r["kind"] == "one_of" and r["field"] == "language" and "tg" in r["values"]
           for r in rules), rules
for k in ("directory", "guides", "centers"):
    assert k in s, k
assert "keys" not in s, "the keys collection is hamroh's own"
m = {x["name"] for x in s["members"]["fields"]}
assert "key" not in m and "cert" not in m and "name" in m, m
EOF

# --- users: an admin adds a lawyer; the lawyer is refused admin routes ---------
r=$(post "$AJ" /api/users '{"name":"saidova","role":"judge","passphrase":"saidova passphrase"}')
expect_code "$r" 400 USER_ROLE_INVALID "a user of no such role"
r=$(post "$AJ" /api/users '{"name":"saidova","role":"lawyer"}')
expect_code "$r" 400 UI_BODY_TEXT "a user without a passphrase"
r=$(post "$AJ" /api/users '{"name":"saidova","role":"lawyer","passphrase":"saidova passphrase"}')
expect_code "$r" 201 "" "POST /api/users"
r=$(get "$AJ" /api/users)
assert_eq "$(jq_py '" ".join(u["name"]+"="+u["role"] for u in b["users"])' <<<"$r")" \
    "admin=admin saidova=lawyer" "GET /api/users"
signin "$LJ" saidova "saidova passphrase"
expect_code "$(get "$LJ" /api/users)" 403 USER_ROLE "a lawyer's GET /api/users"
expect_code "$(post "$LJ" /api/users '{"name":"x","role":"admin","passphrase":"xxxxxxxxxxxx"}')" \
    403 USER_ROLE "a lawyer adding a user"
expect_code "$(get "$LJ" /api/access-log)" 403 USER_ROLE "a lawyer's access log"

# --- consultations: the list's filters ------------------------------------------
add() { post "$1" /api/consultations "$2" | json_get '["id"]'; }
c1=$(add "$AJ" '{"center":"Khujand","opened_at":"'"$old"'","channel":"walk_in","client_sex":"F","topic":"patent","status":"open","client_name":"Раҳимова Зарина"}')
c2=$(add "$AJ" '{"center":"Khujand","opened_at":"'"$recent"'","channel":"hotline","client_sex":"M","topic":"entry_ban","status":"open"}')
c3=$(add "$LJ" '{"center":"Khujand","opened_at":"'"$recent"'","channel":"walk_in","client_sex":"M","topic":"patent","status":"closed","closed_on":"'"$recent"'","outcome":"done"}')
[ -n "$c1" ] && [ -n "$c2" ] && [ -n "$c3" ] || die "adding the consultations"
# ids Q: the ids the list with query Q gives, sorted, as c1 c2 c3.
ids() {
	local r
	r=$(get "${2:-$AJ}" "/api/consultations?$1")
	assert_eq "${r%% *}" 200 "GET /api/consultations?$1: $(_show "$r")"
	jq_py '" ".join(sorted(c["id"] for c in b["consultations"]))' <<<"$r" |
	    sed "s/$c1/c1/; s/$c2/c2/; s/$c3/c3/" | tr ' ' '\n' | sort | tr '\n' ' '
}
assert_eq "$(ids "")" "c1 c2 c3 " "no filter"
assert_eq "$(ids "mine=1" "$LJ")" "c3 " "mine=1 for the lawyer"
assert_eq "$(ids "mine=1")" "c1 c2 " "mine=1 for the admin"
assert_eq "$(ids "status=open")" "c1 c2 " "status=open"
assert_eq "$(ids "overdue=1")" "c1 " "overdue=1"
assert_eq "$(ids "topic=patent")" "c1 c3 " "topic=patent"
assert_eq "$(ids "center=Khujand&topic=entry_ban")" "c2 " "center and topic"
assert_eq "$(ids "from=$recent")" "c2 c3 " "from="
assert_eq "$(ids "to=$old")" "c1 " "to="
assert_eq "$(ids "from=$old&to=$old&status=open")" "c1 " "a period and status"
assert_eq "$(get "$AJ" "/api/consultations?mine=1&limit=1" | json_get '["total"]')" 2 \
    "the total of a filtered list"
cn=$(on A show consultations "$c1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["case_number"])')
assert_eq "$(ids "person=$cn")" "c1 " "person=CASE"
expect_code "$(get "$AJ" "/api/consultations?from=2026-13-40")" 400 LIST_DATE "a bad from="
expect_code "$(get "$AJ" "/api/consultations?mine=yes")" 400 UI_QUERY_FLAG "mine=yes"
expect_code "$(get "$AJ" "/api/consultations?topic=nothing")" 400 "" "topic of no such code"

# --- set, then history names the user ------------------------------------------
r=$(post "$LJ" "/api/consultations/$c1" '{"summary":"Патент дароз карда шуд","client_age":41}')
expect_code "$r" 200 "" "POST /api/consultations/ID"
assert_eq "$(json_get '["id"]' <<<"$r")" "$c1" "set answers the id"
r=$(post "$LJ" "/api/consultations/$cn" '{"outcome":""}')
expect_code "$r" 200 "" "set by case number (a field cleared)"
expect_code "$(post "$LJ" "/api/consultations/$c1" '{"status":"maybe"}')" 400 "" "a value the schema refuses"
expect_code "$(post "$LJ" "/api/consultations/$c1" '{"nosuch":"x"}')" 400 FIELD_UNKNOWN "an unknown field"
expect_code "$(post "$LJ" "/api/consultations/0123456789abcdef0123456789abcdef" '{"summary":"x"}')" \
    404 "" "set of no record"
assert_eq "$(on A show consultations "$c1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"])')" \
    "Патент дароз карда шуд" "the set, in 'hamroh show'"
r=$(get "$AJ" "/api/consultations/$c1/history")
expect_code "$r" 200 "" "GET /api/consultations/ID/history"
assert_eq "$(jq_py '[ (c["user"], c["value"], c["center"]) for c in b["changes"] if c["field"]=="summary"]' <<<"$r")" \
    "[('saidova', 'Патент дароз карда шуд', 'Khujand')]" "history: who set the summary"
assert_eq "$(jq_py 'b["changes"][0]["user"]' <<<"$r")" admin "history: oldest first, the admin's add"
assert_contains "$(jq_py '[c["who"] for c in b["changes"] if c["field"]=="summary"][0]' <<<"$r")" \
    saidova "history's who"
expect_code "$(get "$AJ" /api/consultations/0123456789abcdef0123456789abcdef/history)" 404 "" \
    "history of no record"
expect_code "$(get "$AJ" /api/consultations/KHJ-00-00-0000-0/history)" 400 CASE_CHECK \
    "history of a mistyped case number"

# --- a conflict made on two nodes, resolved through the UI ----------------------
r=$(expect_ok on B add consultations center=Dushanbe opened_at="$recent" channel=walk_in \
    topic=other client_sex=F status=open)
xfer B A
expect_ok on A set consultations "$r" status=referred >/dev/null
expect_ok on B set consultations "$r" status=closed closed_on="$recent" outcome="Patent issued" >/dev/null
xfer A B
xfer B A
assert_eq "$(get "$AJ" "/api/consultations/$c1/conflicts")" '200 {"fields":[]}' "no conflict on c1"
x=$(get "$AJ" "/api/consultations/$r/conflicts")
expect_code "$x" 200 "" "GET /api/consultations/ID/conflicts"
assert_eq "$(jq_py '[(f["field"], sorted((h["value"], h["node"]) for h in f["heads"])) for f in b["fields"]]' <<<"$x")" \
    "[('status', [('closed', 'B'), ('referred', 'A')])]" "the conflict's heads"
assert_eq "$(jq_py 'all(h["at_ms"] > 0 for h in b["fields"][0]["heads"])' <<<"$x")" True "heads' times"
assert_eq "$(jq_py 'sorted((h["node"], h["user"], h["center"]) for h in b["fields"][0]["heads"])' <<<"$x")" \
    "[('A', 'admin', 'Khujand'), ('B', 'admin', 'Dushanbe')]" "heads' authors and centers"
expect_code "$(post "$AJ" "/api/consultations/$r" '{"status":"closed"}')" 200 "" "resolving: the chosen value"
assert_eq "$(get "$AJ" "/api/consultations/$r/conflicts")" '200 {"fields":[]}' "the conflict after resolving"
assert_eq "$(on A conflicts --json)" "" "hamroh conflicts after the UI resolved it"
xfer A B
assert_no_conflicts B "the resolution reached B"

# B, an office, runs its UI too: guides, the directory and centers are
# written on an admin's node only (the rules of agent/access/rules.c, by
# any of its lawyers or admins, as with the CLI).
start_agent B --ui-listen 127.0.0.1:0
BJ=$TMPDIR/b.jar
signin "$BJ" admin "$PW" "http://127.0.0.1:$UIPORT_B"

# --- guides ----------------------------------------------------------------------
g='{"title":"Патент дар Русия","language":"tg","version_label":"2026.1","body":"# Патент\n\nҳуҷҷатҳо"}'
expect_code "$(post "$BJ" /api/guides "$g")" 403 "" "an office publishing a guide"
expect_code "$(post "$AJ" /api/guides '{"title":"x","language":"tg"}')" 400 UI_BODY_TEXT "a guide without a body"
t0=$(date +%s%3N)
r=$(post "$AJ" /api/guides "$g")
expect_code "$r" 201 "" "POST /api/guides"
gid=$(json_get '["id"]' <<<"$r")
r=$(get "$LJ" /api/guides)
assert_eq "$(jq_py '[(x["id"], x["title"], x["version_label"], x["size"]) for x in b["guides"]]' <<<"$r")" \
    "[('$gid', 'Патент дар Русия', '2026.1', $(printf '# Патент\n\nҳуҷҷатҳо' | wc -c))]" "GET /api/guides"
p1=$(jq_py 'b["guides"][0]["published_ms"]' <<<"$r")
[ "$p1" -ge "$t0" ] && [ "$p1" -le "$(date +%s%3N)" ] ||
    die "the guide's published_ms $p1 is not the time it was published (after $t0)"
r=$(get "$LJ" "/api/guides/$gid")
assert_eq "$(jq_py 'b["guide"]["body"]' <<<"$r")" "$(printf '# Патент\n\nҳуҷҷатҳо')" "GET /api/guides/ID"
expect_code "$(get "$LJ" /api/guides/0123456789abcdef0123456789abcdef)" 404 "" "no such guide"
r=$(post "$AJ" /api/guides '{"id":"'"$gid"'","version_label":"2026.2","body":"нав"}')
expect_code "$r" 201 "" "a guide's new version"
assert_eq "$(get "$LJ" /api/guides | jq_py '[x["version_label"] for x in b["guides"]]')" "['2026.2']" \
    "the new version replaces"
assert_eq "$(get "$LJ" /api/guides | jq_py 'b["guides"][0]["published_ms"] > '"$p1")" True \
    "the new version's date"

# --- the directory -----------------------------------------------------------------
d='{"name":"Посольство в Москве","kind":"consulate","country":"RU","city":"Moscow","phone":"+7 495 000 00 00","verified_on":"'"$stale"'"}'
expect_code "$(post "$BJ" /api/directory "$d")" 403 "" "an office adding to the directory"
expect_code "$(post "$AJ" /api/directory '{"name":"x","kind":"bank"}')" 400 "" "a kind of no such code"
d1=$(post "$AJ" /api/directory "$d" | json_get '["id"]')
r=$(post "$AJ" /api/directory '{"name":"Hotline Kazan","kind":"hotline","country":"RU","city":"Kazan","phone":"8 800","verified_on":"'"$today"'"}')
expect_code "$r" 201 "" "POST /api/directory"
d2=$(json_get '["id"]' <<<"$r")
r=$(get "$LJ" "/api/directory?country=RU")
assert_eq "$(jq_py 'sorted((e["fields"]["city"], e["stale"]) for e in b["entries"])' <<<"$r")" \
    "[('Kazan', False), ('Moscow', True)]" "the directory with the stale flag"
assert_eq "$(get "$LJ" "/api/directory?q=mOsC" | jq_py '[e["id"] for e in b["entries"]]')" "['$d1']" "q= any case"
assert_eq "$(get "$LJ" "/api/directory?kind=hotline&city=Kazan" | jq_py '[e["id"] for e in b["entries"]]')" \
    "['$d2']" "kind= and city="
expect_code "$(get "$LJ" "/api/directory?country=Russia")" 400 "" "a country that is not a code"
expect_code "$(post "$AJ" "/api/directory/$d1" '{"verified_on":"'"$today"'"}')" 200 "" "POST /api/directory/ID"
assert_eq "$(get "$LJ" "/api/directory?q=mosc" | jq_py 'b["entries"][0]["stale"]')" False "verified again: not stale"
expect_code "$(post "$BJ" "/api/directory/$d1" '{"phone":"1"}')" 403 DENIED_ADMIN_ONLY "an office editing the directory"

# --- centers -------------------------------------------------------------------------
r=$(get "$LJ" /api/centers)
expect_code "$r" 200 "" "GET /api/centers"
assert_eq "$(jq_py '[c["code"] for c in b["centers"]]' <<<"$r")" "['Dushanbe', 'Khujand']" "the centers"
expect_code "$(post "$BJ" /api/centers '{"code":"Murghob","name":"Murghob center"}')" 403 "" "an office adding a center"
expect_code "$(post "$AJ" /api/centers '{"code":"a b","name":"x"}')" 400 CENTER_CODE_BAD "a bad code"
r=$(post "$AJ" /api/centers '{"code":"Murghob","name":"Murghob center","prefix":"MUR","region":"GBAO","name_tg":"Маркази Мурғоб"}')
expect_code "$r" 201 "" "POST /api/centers"
assert_eq "$(json_get '["prefix"]' <<<"$r")" MUR "the new center's prefix"
assert_eq "$(get "$LJ" /api/centers | jq_py '[c["name_tg"] for c in b["centers"] if c["code"]=="Murghob"]')" \
    "['Маркази Мурғоб']" "the center listed"

# --- the network: invite, key rotation, revoke -----------------------------------------
inv_with() { echo '{"key":"'"$(on C id)"'","name":"C","center":"Murghob","role":"office","address":"127.0.0.1:'"$PORT_A"'","expires_days":'"$1"'}'; }
inv=$(inv_with 30)
expect_code "$(post "$LJ" /api/invite "$inv")" 403 "" "a lawyer inviting"
expect_code "$(post "$AJ" /api/invite '{"key":"00","name":"C","center":"Murghob","role":"office"}')" 400 "" "an invite of a bad key"
expect_code "$(post "$AJ" /api/invite "$(inv_with '"soon"')")" 400 UI_BODY_NUMBER "expires_days not a number"
r=$(post "$AJ" /api/invite "$inv")
expect_code "$r" 201 "" "POST /api/invite"
assert_eq "$(jq_py 'b["dials"]' <<<"$r")" "['127.0.0.1:$PORT_A']" "whom the new office dials"
expect_ok on C join "$(json_get '["token"]' <<<"$r")" >/dev/null
expect_code "$(post "$LJ" /api/keys/rotate '{"center":"Khujand"}')" 403 "" "a lawyer rotating a key"
expect_code "$(post "$AJ" /api/keys/rotate '{}')" 400 UI_BODY_TEXT "a rotation without a center"
r=$(post "$AJ" /api/keys/rotate '{"center":"Dushanbe"}')
expect_code "$r" 200 "" "POST /api/keys/rotate"
assert_eq "$(json_get '["version"]' <<<"$r")" 2 "the new key's version"
expect_code "$(post "$LJ" /api/revoke '{"key":"'"$(on C id)"'","reason":"laptop stolen"}')" 403 "" "a lawyer revoking"
expect_code "$(post "$AJ" /api/revoke '{"key":"'"$(on C id)"'"}')" 400 UI_BODY_TEXT "a revocation without a reason"
r=$(post "$AJ" /api/revoke '{"key":"'"$(on C id)"'","reason":"laptop stolen"}')
expect_code "$r" 200 "" "POST /api/revoke"
assert_eq "$(json_get '["name"]' <<<"$r")" C "the revoked node's name"

# --- the access log --------------------------------------------------------------------
r=$(get "$AJ" /api/access-log)
expect_code "$r" 200 "" "GET /api/access-log"
assert_eq "$(jq_py 'any(e["actor"]=="saidova" and e["what"]=="history" or e["actor"]=="saidova" and e["what"]=="list" for e in b["entries"])' <<<"$r")" \
    True "the lawyer's reading is logged"

# --- a passphrase changed, a user removed ------------------------------------------------
expect_code "$(post "$AJ" /api/users/saidova/passwd '{"passphrase":"short"}')" 400 USER_PASS_SHORT "a short passphrase"
expect_code "$(post "$AJ" /api/users/saidova/passwd '{"passphrase":"saidova new passphrase"}')" 200 "" \
    "POST /api/users/NAME/passwd"
# Her session signed in with the old passphrase ends at once; the admin's
# own goes on, and so does a session whose user changed his own.
expect_code "$(get "$LJ" /api/me)" 401 "" "a session after an admin changed its passphrase"
signin "$TMPDIR/l2.jar" saidova "saidova new passphrase"
L2=$TMPDIR/l2.jar
expect_code "$(post "$L2" /api/users/saidova/passwd '{"passphrase":"saidova third passphrase"}')" 200 "" \
    "a lawyer changing her own passphrase"
expect_code "$(get "$L2" /api/me)" 200 "" "her session after she changed her own passphrase"
expect_code "$(post "$L2" /api/users/admin '' DELETE)" 403 USER_ROLE "a lawyer removing a user"
expect_code "$(post "$AJ" /api/users/admin '' DELETE)" 403 USER_LAST_ADMIN "removing the last admin"
expect_code "$(post "$AJ" /api/users/saidova '' DELETE)" 200 "" "DELETE /api/users/NAME"
expect_code "$(get "$L2" /api/me)" 401 "" "a session of a removed user"
assert_eq "$(get "$AJ" /api/users | jq_py '[u["name"] for u in b["users"]]')" "['admin']" "the user removed"
expect_code "$(post "$AJ" /api/users/saidova '' DELETE)" 404 "" "removing no such user"
# The same when the CLI removes him while the agent runs.
expect_code "$(post "$AJ" /api/users '{"name":"karimov","role":"lawyer","passphrase":"karimov passphrase"}')" 201 "" \
    "POST /api/users"
signin "$TMPDIR/k.jar" karimov "karimov passphrase"
expect_code "$(get "$TMPDIR/k.jar" /api/me)" 200 "" "karimov signed in"
expect_ok on A user rm karimov >/dev/null
expect_code "$(get "$TMPDIR/k.jar" /api/me)" 401 "" "a session of a user the CLI removed"
expect_code "$(get "$AJ" /api/me)" 200 "" "the admin's session after all that"

stop_agent B
stop_agent A

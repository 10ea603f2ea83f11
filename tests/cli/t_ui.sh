#!/usr/bin/env bash
# Proves the office web UI's HTTP side (agent/ui/) through raw HTTP with curl: the agent serves it from its own loop on a port it picks; a wrong Host is refused (DNS rebinding); a change without Origin, from another loopback origin or without the CSRF token is refused; no /api/ route works before sign-in; sign-in with the right passphrase works and /api/me names the user; ten wrong passphrases take at least 10 s; the cookie is useless after sign-out; `hamroh ui` prints a URL whose token signs in once and not twice; a consultation added through POST /api/consultations is in `hamroh list`; security headers on every answer; an oversized body gets 413; a UI port in use is one line and sync goes on; the sign-in socket is 0600 and gone after the agent stops.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || die "curl is missing: run deploy/install-deps.sh"
trap 'kill_agents' EXIT

mknode A Khorog
expect_ok on A network create --name net >/dev/null
start_agent A --ui-listen 127.0.0.1:0
U=http://127.0.0.1:$UIPORT_A
J=$TMPDIR/jar
PW=$TEST_PASSPHRASE

# req ARGS...: curl that prints "STATUS BODY" (body on one line).
req() {
	: >"$TMPDIR/.body"
	curl -s -o "$TMPDIR/.body" -w '%{http_code}' "$@" >"$TMPDIR/.code" ||
	    die "curl $* failed"
	printf '%s %s' "$(cat "$TMPDIR/.code")" "$(tr -d '\n' <"$TMPDIR/.body")"
}
# status_of ARGS...: the HTTP status alone.
status_of() { req "$@" | cut -d' ' -f1; }
json_get() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ",1)[1])'"$1"')'; }

# --- the page and its headers ------------------------------------------------
curl -s -D "$TMPDIR/h" -o "$TMPDIR/index" "$U/" || die "GET / failed"
for h in "Content-Security-Policy: default-src 'self'" \
    "X-Content-Type-Options: nosniff" "Referrer-Policy: no-referrer" \
    "X-Frame-Options: DENY" "Content-Type: text/html" "ETag: "; do
	grep -qi "^$h" "$TMPDIR/h" || die "GET / lacks header '$h': $(cat "$TMPDIR/h")"
done
grep -q '<script src="/app.js"' "$TMPDIR/index" || die "GET / is not the page"
etag=$(sed -n 's/^ETag: \(.*\)\r$/\1/Ip' "$TMPDIR/h")
assert_eq "$(status_of -H "If-None-Match: $etag" "$U/")" 304 "an unchanged page"
assert_eq "$(status_of "$U/app.js")" 200 "app.js"
curl -s -D "$TMPDIR/h4" -o /dev/null "$U/app.js" || die "GET /app.js failed"
grep -qi '^Content-Type: text/javascript' "$TMPDIR/h4" ||
    die "app.js is not served as JavaScript"
# The catalogs the page loads, complete (the build's, with the operations'
# messages), before sign-in (the sign-in page is in the user's language).
for l in tg ru en; do
	curl -s -D "$TMPDIR/hl" -o "$TMPDIR/cat.json" "$U/lang/$l.json" || die "GET /lang/$l.json failed"
	grep -qi '^Content-Type: application/json' "$TMPDIR/hl" || die "/lang/$l.json: $(cat "$TMPDIR/hl")"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "ui.nav.guides" in d and "NO_RECORD" in d' \
	    "$TMPDIR/cat.json" || die "/lang/$l.json is not the complete catalog"
done
# No request of the page leaves the agent: no absolute URL in any asset
# (but SVG's namespace, a name the browser never fetches: the Reports
# page draws its chart).
for f in index.html app.css app.js; do
	curl -s -o "$TMPDIR/asset" "$U/$f" || die "GET /$f failed"
	! sed 's#"http://www.w3.org/2000/svg"##g' "$TMPDIR/asset" |
	    grep -Eq '(https?:)?//[a-z0-9]' ||
	    die "$f names something outside the agent"
done

# --- Host (DNS rebinding) ----------------------------------------------------
r=$(req -H 'Host: evil.example:'"$UIPORT_A" "$U/api/me")
assert_eq "${r%% *}" 421 "a foreign Host"
assert_contains "$r" '"key":"UI_HOST"' "a foreign Host's error key"
assert_eq "$(status_of -H "Host: localhost:1" "$U/")" 421 "Host with another port"
assert_eq "$(status_of -H "Host: localhost:$UIPORT_A" "$U/")" 200 "Host localhost:PORT"

# --- no /api/ route without a session ---------------------------------------
for r in /api/me /api/consultations /api/consultations/00000000000000000000000000000000 \
    "/api/search?q=x" /api/status /api/nothing; do
	assert_eq "$(status_of "$U$r")" 401 "GET $r without sign-in"
done
# Cache-Control: no-store on the API.
curl -s -D "$TMPDIR/h3" -o /dev/null "$U/api/me" || die "GET /api/me failed"
grep -qi '^Cache-Control: no-store' "$TMPDIR/h3" ||
    die "/api/ answers lack Cache-Control: no-store"

# --- sign-in -----------------------------------------------------------------
assert_eq "$(status_of -X POST -d '{}' "$U/api/signin")" 403 "sign-in without Origin"
r=$(req -c "$J" -X POST -H "Origin: $U" \
    -d "{\"user\":\"admin\",\"passphrase\":\"$PW\"}" "$U/api/signin")
assert_eq "${r%% *}" 200 "sign-in with the right passphrase: $r"
assert_eq "$(json_get '["user"]' <<<"$r")" admin "sign-in answers the user"
grep -q 'hamroh_session' "$J" || die "sign-in set no cookie"
curl -s -D "$TMPDIR/h2" -o /dev/null -X POST -H "Origin: $U" \
    -d "{\"user\":\"admin\",\"passphrase\":\"$PW\"}" "$U/api/signin" ||
    die "sign-in for the cookie's attributes failed"
c=$(grep -i '^Set-Cookie:' "$TMPDIR/h2")
for a in HttpOnly SameSite=Strict Path=/; do
	assert_contains "$c" "$a" "the session cookie's attributes"
done
r=$(req -b "$J" "$U/api/me")
assert_eq "${r%% *}" 200 "/api/me signed in"
assert_eq "$(json_get '["user"]' <<<"$r")" admin "/api/me's user"
assert_eq "$(json_get '["role"]' <<<"$r")" admin "/api/me's role"
assert_eq "$(json_get '["center"]' <<<"$r")" Khorog "/api/me's center"
csrf=$(json_get '["csrf"]' <<<"$r")
[[ $csrf =~ ^[0-9a-f]{32}$ ]] || die "/api/me's csrf token: '$csrf'"

# --- Origin and CSRF on changes ---------------------------------------------
body='{"center":"Khorog","opened_at":"2026-11-20","channel":"walk_in","client_sex":"F","client_age":34,"topic":"patent","status":"open","client_name":"Рахимова Зарина","client_phone":"+992 92 555 12 34","summary":"Patent renewal"}'
r=$(req -b "$J" -X POST -H "X-CSRF-Token: $csrf" -d "$body" "$U/api/consultations")
assert_eq "${r%% *}" 403 "a change without Origin"
assert_contains "$r" '"key":"UI_ORIGIN"' "no Origin's key"
r=$(req -b "$J" -X POST -H "Origin: $U" -d "$body" "$U/api/consultations")
assert_eq "${r%% *}" 403 "a change without the CSRF header"
assert_contains "$r" '"key":"UI_CSRF"' "no CSRF header's key"
r=$(req -b "$J" -X POST -H "Origin: $U" -H "X-CSRF-Token: 0123456789abcdef0123456789abcdef" \
    -d "$body" "$U/api/consultations")
assert_eq "${r%% *}" 403 "a change with another session's CSRF token"
other=$((UIPORT_A == 65535 ? UIPORT_A - 1 : UIPORT_A + 1))
r=$(req -b "$J" -X POST -H "Origin: http://127.0.0.1:$other" -H "X-CSRF-Token: $csrf" \
    -d "$body" "$U/api/consultations")
assert_eq "${r%% *}" 403 "a change from another loopback port's page"
assert_eq "$(on A list consultations --json | wc -l)" 0 "refused changes wrote nothing"

# --- the API: add, list, show, search, status --------------------------------
r=$(req -b "$J" -X POST -H "Origin: $U" -H "X-CSRF-Token: $csrf" -d "$body" "$U/api/consultations")
assert_eq "${r%% *}" 201 "POST /api/consultations: $r"
id=$(json_get '["id"]' <<<"$r")
on A list consultations --json >"$TMPDIR/list"
assert_eq "$(py field "$TMPDIR/list" "$id" client_name)" "Рахимова Зарина" \
    "the consultation the UI added, in 'hamroh list'"
r=$(req -b "$J" -X POST -H "Origin: $U" -H "X-CSRF-Token: $csrf" \
    -d '{"center":"Khorog","opened_at":"2026-11-21","channel":"phone","client_sex":"M","topic":"patent","status":"closed"}' \
    "$U/api/consultations")
assert_eq "${r%% *}" 400 "a consultation the form rules refuse"
assert_contains "$r" '"key":"FORM_' "the form's catalog key"
assert_contains "$r" '"message":"' "the English message"
r=$(req -b "$J" -X POST -H "Origin: $U" -H "X-CSRF-Token: $csrf" -d '{"center":' "$U/api/consultations")
assert_eq "${r%% *}" 400 "a body that is not JSON"
r=$(req -b "$J" -X POST -H "Origin: $U" -H "X-CSRF-Token: $csrf" \
    -d '{"center":"Khorog","opened_at":"2026-11-22","channel":"hotline","client_sex":"M","topic":"patent","status":"open"}' \
    "$U/api/consultations")
assert_eq "${r%% *}" 201 "a second consultation: $r"
id2=$(json_get '["id"]' <<<"$r")
r=$(req -b "$J" "$U/api/consultations")
assert_eq "${r%% *}" 200 "GET /api/consultations"
assert_eq "$(json_get '["total"]' <<<"$r")" 2 "the list's total"
assert_eq "$(json_get '["consultations"][0]["id"]' <<<"$r")" "$id2" "newest first"
r=$(req -b "$J" "$U/api/consultations?limit=1&offset=1")
assert_eq "$(json_get '["consultations"][0]["id"]' <<<"$r")" "$id" "limit and offset"
assert_eq "$(status_of -b "$J" "$U/api/consultations?limit=x")" 400 "limit not a number"
r=$(req -b "$J" "$U/api/consultations/$id")
assert_eq "$(json_get '["record"]["fields"]["client_phone"]' <<<"$r")" "+992 92 555 12 34" "show"
r=$(req -b "$J" "$U/api/consultations/0123456789abcdef0123456789abcdef")
assert_eq "${r%% *}" 404 "show of no record"
# The session's index is built on a worker after sign-in (503 until then).
search_finds() {
	r=$(req -b "$J" "$U/api/search?q=92%20555%201234")
	[ "${r%% *}" = 200 ] && [ "$(json_get '["hits"][0]["id"]' <<<"$r" 2>/dev/null)" = "$id" ]
}
wait_for "the UI's search finds the phone written another way" 10 search_finds
# A consultation the CLI adds reaches the session's index (rebuilt on a
# worker once a search sees the store changed).
cid=$(expect_ok on A add consultations center=Khorog opened_at=2026-11-23 \
    channel=walk_in client_sex=M client_age=40 topic=patent status=open \
    client_name="Назаров Ҷамшед")
cli_finds() {
	r=$(req -b "$J" "$U/api/search?q=%D2%B7%D0%B0%D0%BC%D1%88%D0%B5%D0%B4")
	[ "${r%% *}" = 200 ] && [ "$(json_get '["hits"][0]["id"]' <<<"$r" 2>/dev/null)" = "$cid" ]
}
wait_for "the UI's search finds what the CLI added" 10 cli_finds
r=$(req -b "$J" "$U/api/status")
assert_eq "${r%% *}" 200 "GET /api/status"
assert_eq "$(json_get '["center"]' <<<"$r")" Khorog "status's center"
assert_eq "$(json_get '["agent_running"]' <<<"$r")" True "status from inside the agent sees it run"
# Asking that inside the agent must not drop its lock on agent.lock.
expect_fail "a second agent after /api/status" "$H" --data "$TMPDIR/A" agent \
    --no-ui --listen 127.0.0.1:0
assert_contains "$ERR" "another agent runs" "the lock held after /api/status"
big=$(head -c 1100000 /dev/zero | tr '\0' 'a')
assert_eq "$(printf '%s' "$big" | status_of -b "$J" -X POST -H "Origin: $U" \
    -H "X-CSRF-Token: $csrf" --data-binary @- "$U/api/consultations")" 413 "a body over 1 MiB"

# --- sign-out: the cookie is useless after -----------------------------------
assert_eq "$(status_of -b "$J" -X POST -H "Origin: $U" -H "X-CSRF-Token: $csrf" \
    "$U/api/signout")" 200 "sign-out"
assert_eq "$(status_of -b "$J" "$U/api/me")" 401 "the cookie after sign-out"
assert_eq "$(status_of -b "$J" "$U/api/consultations")" 401 "the list after sign-out"
assert_eq "$(status_of -b "$J" -X POST -H "Origin: $U" -H "X-CSRF-Token: $csrf" \
    -d "$body" "$U/api/consultations")" 401 "a change after sign-out"

# --- wrong passphrases: ten take at least 10 s -------------------------------
t0=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8 9 10; do
	r=$(req -X POST -H "Origin: $U" -d '{"user":"admin","passphrase":"wrong wrong '"$i"'"}' \
	    "$U/api/signin")
	assert_eq "${r%% *}" 403 "wrong passphrase $i"
	assert_contains "$r" '"key":"USER_PASS_WRONG"' "wrong passphrase $i's key"
done
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ "$ms" -ge 10000 ] || die "ten wrong passphrases took ${ms} ms, under 10 s: not throttled"

# --- hamroh ui: a one-time sign-in -------------------------------------------
[ "$(stat -c %a "$TMPDIR/A/ui.sock")" = 600 ] || die "ui.sock is not 0600"
out=$(expect_ok "$HAMROH" --data "$TMPDIR/A" --user admin --passphrase-fd 9 ui \
    9<"$TMPDIR/.as-admin/passphrase" </dev/null)
url=$(head -n 1 <<<"$out")
[[ $url =~ ^http://127\.0\.0\.1:$UIPORT_A/#signin=[0-9a-f]{32}$ ]] ||
    die "hamroh ui printed '$url'"
tok=${url##*#signin=}
r=$(req -c "$TMPDIR/jar2" -X POST -H "Origin: $U" -d "{\"token\":\"$tok\"}" "$U/api/signin")
assert_eq "${r%% *}" 200 "the token signs in"
assert_eq "$(status_of -b "$TMPDIR/jar2" "$U/api/me")" 200 "the token's session"
r=$(req -X POST -H "Origin: $U" -d "{\"token\":\"$tok\"}" "$U/api/signin")
assert_eq "${r%% *}" 401 "the token a second time"
assert_contains "$r" '"key":"UI_TOKEN"' "a used token's key"
printf 'not the passphrase\n' >"$TMPDIR/wrong"
expect_fail --rc 1 "hamroh ui with a wrong passphrase" "$HAMROH" --data "$TMPDIR/A" \
    --user admin --passphrase-fd 9 ui 9<"$TMPDIR/wrong"
assert_contains "$ERR" "wrong passphrase" "hamroh ui's wrong passphrase"

# --- a UI port in use: one line, sync goes on; beyond loopback: a warning ----
mknode B Khorog
expect_ok on B network create --name net2 >/dev/null
: >"$TMPDIR/B.out"
"$H" --data "$TMPDIR/B" agent --listen 127.0.0.1:0 --ui-listen "127.0.0.1:$UIPORT_A" \
    >"$TMPDIR/B.out" 2>>"$TMPDIR/B.log" &
echo $! >"$TMPDIR/B.pid"
wait_for "agent B listening" 10 grep -q '^listening on' "$TMPDIR/B.out"
wait_for "B logs the port in use" 10 grep -q "cannot listen on 127.0.0.1:$UIPORT_A" "$TMPDIR/B.log"
assert_eq "$(grep -c "cannot listen on 127.0.0.1:$UIPORT_A" "$TMPDIR/B.log")" 1 "one line"
grep "cannot listen on 127.0.0.1:$UIPORT_A" "$TMPDIR/B.log" | grep -q -- "--ui-listen" ||
    die "the port-in-use line does not say --ui-listen"
grep "cannot listen" "$TMPDIR/B.log" | grep -q -- "--no-ui" ||
    die "the port-in-use line does not say --no-ui"
kill -0 "$(cat "$TMPDIR/B.pid")" || die "agent B died of a UI port in use"
stop_agent B
start_agent B --ui-listen 0.0.0.0:0
grep -q "not encrypted" "$TMPDIR/B.log" || die "no warning for a UI beyond loopback"
stop_agent B
start_agent B
expect_fail --rc 1 "hamroh ui with an agent run --no-ui" "$HAMROH" --data "$TMPDIR/B" \
    --user admin --passphrase-fd 9 ui 9<"$TMPDIR/.as-admin/passphrase"
assert_contains "$ERR" "--no-ui" "hamroh ui names --no-ui"
stop_agent B
expect_fail --rc 2 "--ui-listen not HOST:PORT" "$H" --data "$TMPDIR/B" agent \
    --listen 127.0.0.1:0 --ui-listen 4412
assert_contains "$ERR" "--ui-listen 4412 is not HOST:PORT" "a bad --ui-listen"
expect_fail --rc 1 "hamroh ui without an agent" "$HAMROH" --data "$TMPDIR/B" \
    --user admin --passphrase-fd 9 ui 9<"$TMPDIR/.as-admin/passphrase"
assert_contains "$ERR" "hamroh agent" "hamroh ui without an agent names the fix"

stop_agent A
[ ! -e "$TMPDIR/A/ui.sock" ] || die "ui.sock is left after the agent stopped"

# --- the page's weight: the build step refuses more than 150 KB -----------
mk=$HAMROH_REPO/build/gen/mkassets
[ -x "$mk" ] || die "no $mk (make builds it)"
head -c 100000 /dev/zero | tr '\0' 'a' >"$TMPDIR/a.js"
head -c 60000 /dev/zero | tr '\0' 'b' >"$TMPDIR/b.css"
! "$mk" "$TMPDIR/out.c" "$TMPDIR/a.js" "$TMPDIR/b.css" 2>"$TMPDIR/mk.err" ||
    die "mkassets took 160 KB of assets"
grep -q "over the 150000" "$TMPDIR/mk.err" || die "mkassets' refusal: $(cat "$TMPDIR/mk.err")"
[ ! -e "$TMPDIR/out.c" ] || die "mkassets left its output after refusing"
"$mk" "$TMPDIR/out.c" "$TMPDIR/a.js" || die "mkassets refused 100 KB"
grep -q '"/a.js", "text/javascript' "$TMPDIR/out.c" || die "mkassets: no /a.js entry"
# One page load fetches the page's files and ONE catalog: three catalogs of
# 45 KB beside 100 KB of page are 145 KB a load; a 55 KB one is too many.
head -c 45000 /dev/zero | tr '\0' 'c' >"$TMPDIR/tg.json"
cp "$TMPDIR/tg.json" "$TMPDIR/ru.json"
cp "$TMPDIR/tg.json" "$TMPDIR/en.json"
"$mk" "$TMPDIR/out.c" "$TMPDIR/a.js" --lang "$TMPDIR/tg.json" "$TMPDIR/ru.json" \
    "$TMPDIR/en.json" || die "mkassets refused 100 KB and three 45 KB catalogs"
grep -q '"/lang/ru.json", "application/json' "$TMPDIR/out.c" ||
    die "mkassets: no /lang/ru.json entry"
# A page file goes in without its indentation, empty lines and // comment
# lines (the page does not carry the source's comments); a catalog without
# its indent and without the CLI's own messages (CLI_...).
printf '\t// a comment\n\n\tvar a = "// not one";\n  // another\n' >"$TMPDIR/t.js"
printf '{\n  "k": "v",\n  "CLI_X": "y"\n}\n' >"$TMPDIR/xx.json"
"$mk" "$TMPDIR/out.c" "$TMPDIR/t.js" --lang "$TMPDIR/xx.json" || die "mkassets refused t.js"
grep -q '"/t.js", "text/javascript; charset=utf-8", a[0-9]*, 22,' "$TMPDIR/out.c" ||
    die "mkassets did not trim t.js to its 22 bytes of code: $(grep t.js "$TMPDIR/out.c")"
grep -q '"/lang/xx.json", "application/json; charset=utf-8", a[0-9]*, 13,' "$TMPDIR/out.c" ||
    die "mkassets changed a catalog: $(grep xx.json "$TMPDIR/out.c")"
head -c 55000 /dev/zero | tr '\0' 'c' >"$TMPDIR/ru.json"
! "$mk" "$TMPDIR/out.c" "$TMPDIR/a.js" --lang "$TMPDIR/tg.json" "$TMPDIR/ru.json" \
    2>"$TMPDIR/mk.err" || die "mkassets took 100 KB and a 55 KB catalog"
grep -q "over the 150000" "$TMPDIR/mk.err" || die "mkassets' refusal: $(cat "$TMPDIR/mk.err")"

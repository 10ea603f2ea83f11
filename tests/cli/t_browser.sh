#!/usr/bin/env bash
# Proves the office web UI in a real browser (headless Debian chromium driven by playwright-core, tests/browser/run.mjs): `hamroh ui`'s one-time link signs a lawyer in once; a lawyer signs in, switches to Tajik, logs a consultation for "Ҳакимов Фирӯз" with phone "+992 92 555 12 34", finds it by "925551234", opens and closes it, and the list shows it closed; a page from another loopback port cannot write through the lawyer's browser, a cookie is useless after sign-out, no page shows data without sign-in; the sync page shows the other office connected and up to date, then not connected and not up to date once it stopped and a change waits; the lawyer's consultation shows in the other office's UI (B, signed in as B's admin) after sync; a conflict made on both nodes (the topic set one way on A and another on B while B's agent was stopped) shows in A's UI as the two values with author, center and time, in tg and ru, is resolved with one click of "keep this value", and is gone from both UIs and from `hamroh conflicts` on both; a guide an admin publishes in A's UI shows in B's UI as new, not new once B opened it, and new again when A publishes its next version; every main page in tg and ru shows no raw catalog key and no English UI words; screenshots of every main page in tg, ru and en at 1366x768 and 1280x1024 land in $HAMROH_ARTIFACTS/browser (default BUILD/artifacts/browser).
# timeout: 300
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

B=$HAMROH_REPO/tests/browser
CHROMIUM=${HAMROH_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	echo "skip: no chromium at $CHROMIUM (deploy/install-deps.sh installs it)"
	exit 77
fi
command -v node >/dev/null || die "node is missing: run deploy/install-deps.sh"
[ -d "$B/node_modules/playwright-core" ] ||
    die "tests/browser/node_modules lacks playwright-core: run deploy/install-deps.sh (npm ci there)"
trap 'kill_agents' EXIT

mknode A Khorog
expect_ok on A network create --name net >/dev/null
LAWYER=saidova
LAWYER_PW='saidova passphrase 7'
printf '%s\n%s\n' "$TEST_PASSPHRASE" "$LAWYER_PW" >"$TMPDIR/pw"
expect_ok "$HAMROH" --data "$TMPDIR/A" --user admin --passphrase-fd 3 user add \
    "$LAWYER" --role lawyer 3<"$TMPDIR/pw" >/dev/null
start_agent A --ui-listen 127.0.0.1:0
# A second office, so that the sync page has a peer: B (Khujand) joins A
# and syncs; the browser test stops it (HAMROH_PEER_PID) to see A's page
# say "not connected" and "not up to date".
mknode B
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$(on B id)" --name B --center Khujand --role center \
    --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null
start_agent B --ui-listen 127.0.0.1:0
# A conflict made on two nodes: a Khujand consultation both offices hold,
# its topic set one way on A and another on B while B's agent is stopped;
# once B is back, both list the conflict (the browser resolves it on A).
cid=$(expect_ok on A add consultations center=Khujand opened_at=2026-11-20 \
    channel=walk_in client_sex=F topic=other status=open)
wait_for "B to have the consultation to conflict on" 20 has_consultation B "$cid"
stop_agent B
expect_ok on A set consultations "$cid" topic=patent >/dev/null
expect_ok on B set consultations "$cid" topic=entry_ban >/dev/null
start_agent B --ui-listen 127.0.0.1:0
has_conflict() { [ -n "$(on "$1" conflicts --json)" ]; }
wait_for "the conflict on A" 20 has_conflict A
wait_for "the conflict on B" 20 has_conflict B
# Figures for the Reports page: a quarter of Khorog's consultations with
# counts of 5 and more beside small ones (<5) and the one hidden with them
# (x), as a statistician's table has.
rep() {
	local n=$1 i; shift
	for ((i = 1; i <= n; i++)); do
		expect_ok on A add consultations center=Khorog channel=walk_in \
		    status=open opened_at=2026-0$((7 + i % 3))-1$i "$@" >/dev/null
	done
}
rep 7 destination=RU client_sex=M topic=patent client_age=3$((RANDOM % 10))
rep 5 destination=RU client_sex=F topic=wage_arrears client_age=24
rep 2 destination=KZ client_sex=M topic=entry_ban client_age=41
rep 1 destination=KZ client_sex=F topic=entry_ban client_age=19
# The one-time link of `hamroh ui` (a minute to use it: the first test does).
printf '%s\n' "$LAWYER_PW" >"$TMPDIR/pw1"
link=$(expect_ok "$HAMROH" --data "$TMPDIR/A" --user "$LAWYER" --passphrase-fd 3 ui \
    3<"$TMPDIR/pw1" </dev/null | head -n 1)
[[ $link == *"#signin="* ]] || die "hamroh ui printed '$link'"

# Screenshots: $HAMROH_ARTIFACTS/browser, else beside the build's binary
# (build/plain/artifacts/browser), else build/artifacts/browser.
case $HAMROH_BUILD in
*/build/*) ART=${HAMROH_ARTIFACTS:-$HAMROH_BUILD/artifacts}/browser ;;
*) ART=${HAMROH_ARTIFACTS:-$HAMROH_REPO/build/artifacts}/browser ;;
esac
mkdir -p "$ART"
HAMROH_UI=http://127.0.0.1:$UIPORT_A HAMROH_CHROMIUM=$CHROMIUM \
HAMROH_LAWYER=$LAWYER HAMROH_LAWYER_PW=$LAWYER_PW HAMROH_ADMIN=admin \
HAMROH_ADMIN_PW=$TEST_PASSPHRASE HAMROH_SHOTS=$ART HAMROH_LINK=$link \
HAMROH_PEER_PID=$(cat "$TMPDIR/B.pid") HAMROH_UI_B=http://127.0.0.1:$UIPORT_B \
HAMROH_CONFLICT=$cid \
    node "$B/run.mjs" || die "the browser tests failed (above)"

# The conflict resolved in A's UI is gone on A, and on B (B's agent was
# stopped by the sync test after it had everything).
assert_no_conflicts A "after resolving in A's UI"
assert_no_conflicts B "after resolving in A's UI"
# What the browser wrote is in the store: the lawyer's consultation, the
# conflict's and the one the sync test added while B was down (beside
# the Reports page's 15), nothing from the other port.
on A list consultations --json >"$TMPDIR/list"
assert_eq "$(wc -l <"$TMPDIR/list")" 18 "consultations after the browser tests"
names=$(python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l).get("client_name", "-"))' "$TMPDIR/list" | sort | tr '\n' ' ')
assert_contains "$names" "Ҳакимов Фирӯз" "the client's name as typed, in the store"
[[ $names != *EVIL* ]] || die "the other port's page wrote a consultation"
echo "screenshots in $ART"

#!/usr/bin/env bash
# Proves the office web UI in a real browser (headless Debian chromium driven by playwright-core, tests/browser/run.mjs): a lawyer signs in, switches to Tajik, logs a consultation for "Ҳакимов Фирӯз" with phone "+992 92 555 12 34", finds it by "925551234", opens and closes it, and the list shows it closed; a page from another loopback port cannot write through the lawyer's browser, a cookie is useless after sign-out, no page shows data without sign-in; every main page in tg and ru shows no raw catalog key and no English UI words; screenshots of every main page in tg, ru and en at 1366x768 and 1280x1024 land in $HAMROH_ARTIFACTS (default BUILD/artifacts/browser).
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

ART=${HAMROH_ARTIFACTS:-$HAMROH_BUILD/artifacts}/browser
mkdir -p "$ART"
HAMROH_UI=http://127.0.0.1:$UIPORT_A HAMROH_CHROMIUM=$CHROMIUM \
HAMROH_LAWYER=$LAWYER HAMROH_LAWYER_PW=$LAWYER_PW HAMROH_ADMIN=admin \
HAMROH_ADMIN_PW=$TEST_PASSPHRASE HAMROH_SHOTS=$ART \
    node "$B/run.mjs" || die "the browser tests failed (above)"

# What the browser wrote is in the store: the one consultation, closed, and
# nothing from the page on another port.
on A list consultations --json >"$TMPDIR/list"
assert_eq "$(wc -l <"$TMPDIR/list")" 1 "consultations after the browser tests"
id=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$TMPDIR/list")
assert_eq "$(py field "$TMPDIR/list" "$id" client_name)" "Ҳакимов Фирӯз" "the client's name as typed"
echo "screenshots in $ART"

#!/usr/bin/env bash
# Proves every change names who made it on every node: a change a user made on A (its commit names "Саидова") shows in history as "Саидова, Khujand center" on B after the agents sync and on C after a bundle, in text and --json; a change made on the CLI by the signed-in admin (--user, lib.sh) shows "admin, Khujand center"; both logs verify. (A change with no user, "node only", is test_author's: consultations now need a signed-in user.)
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT
USER_NAME="Саидова"

mknode A Khujand
mknode B Dushanbe
mknode C
expect_ok on A network create --name tj-legal >/dev/null
start_agent A
expect_ok on A center add Dushanbe "Dushanbe center" >/dev/null
tok=$(expect_ok on A invite "$(on B id --invite)" --name B --center Dushanbe --role office --address "127.0.0.1:$PORT_A")
expect_ok on B join "$tok" >/dev/null

# A change made with a user (a tool writes it in-process, as a signed-in
# user's write does: `--user` sign-in is another change), then one without.
"$HAMROH_BUILD/tools/mkcommits" --user "$USER_NAME" "$T/A" 1 || die "mkcommits failed"
plain=$(expect_ok on A add consultations center=Khujand opened_at=2026-11-20 \
    channel=walk_in topic=patent client_sex=F status=open)
named=$(on A list consultations --json | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get("outcome") == "commit 0":
        print(r["id"])')
[ -n "$named" ] || die "A lists no record mkcommits made"

# who NODE ID FIELD: the "who" of the history line of FIELD.
who() {
	on "$1" history consultations "$2" --json | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["field"] == sys.argv[1]:
        print("%s|%s|%s" % (r["who"], r["user"], r["center"]))' "$3"
}

assert_eq "$(who A "$named" outcome)" "$USER_NAME, Khujand center|$USER_NAME|Khujand" "A's history of its user's change"
assert_eq "$(who A "$plain" topic)" "admin, Khujand center|admin|Khujand" "A's history of its signed-in admin's change"

# --- B, after the agents sync ------------------------------------------------
start_agent B
has_both() { on B show consultations "$named" >/dev/null 2>&1 && on B show consultations "$plain" >/dev/null 2>&1; }
wait_for "B to receive both changes" 30 has_both
assert_eq "$(who B "$named" outcome)" "$USER_NAME, Khujand center|$USER_NAME|Khujand" "B's history of A's user's change"
assert_eq "$(who B "$plain" topic)" "admin, Khujand center|admin|Khujand" "B's history of A's admin's change"
line=$(expect_ok on B history consultations "$named")
assert_contains "$line" "$USER_NAME, Khujand center" "B's history in text"
assert_contains "$line" "outcome = commit 0" "B's history in text"
expect_ok on B verify >/dev/null

# --- C, from a bundle --------------------------------------------------------
expect_ok on A bundle export "$T/A.bundle" >/dev/null
expect_ok on C bundle import "$T/A.bundle" >/dev/null
assert_eq "$(who C "$named" outcome)" "$USER_NAME, Khujand center|$USER_NAME|Khujand" "C's history of A's user's change"
assert_eq "$(who C "$plain" topic)" "admin, Khujand center|admin|Khujand" "C's history of A's admin's change"
expect_ok on C verify >/dev/null
expect_ok on A verify >/dev/null
stop_agent B
stop_agent A

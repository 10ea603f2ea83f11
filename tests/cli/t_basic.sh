#!/usr/bin/env bash
# Proves the single-node lifecycle: init/id, add/show/set/rm/list, guides, export format, history, vector, verify/rebuild/backup/status, help and usage errors.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# --- init, id, key file -----------------------------------------------------
mknode A Dushanbe
D=$TMPDIR/A
[ -f "$D/node.key" ] || die "init: expected $D/node.key to exist"
assert_eq "$(stat -c %a "$D/node.key")" 600 "node.key mode"

on A id >"$TMPDIR/id.out"
id=$(cat "$TMPDIR/id.out")
[[ $id =~ ^[0-9a-f]{64}$ ]] || die "id: expected 64 lowercase hex, got '$id'"
assert_eq "$(wc -c <"$TMPDIR/id.out")" 65 "id: byte count (64 hex + newline)"
assert_eq "$(on A id)" "$id" "id is stable"
assert_eq "$(HAMROH_DATA=$D "$H" id)" "$id" "HAMROH_DATA selects the node"

on A export >"$TMPDIR/e0"
key0=$(sha256sum <"$D/node.key")
expect_fail "second init in the same dir" on A init --name Other
assert_eq "$(sha256sum <"$D/node.key")" "$key0" "node.key after refused second init"
assert_eq "$(on A id)" "$id" "id after refused second init"
on A export >"$TMPDIR/e1"
assert_same_file "$TMPDIR/e1" "$TMPDIR/e0" "export after refused second init"

# init into a directory that does not exist yet
"$H" --data "$TMPDIR/fresh" init --name Fresh >/dev/null ||
    die "init into a not-yet-existing dir: expected exit 0"

# members: one record written by init, carrying name, center and the node key
on A export members >"$TMPDIR/members"
assert_eq "$(lines "$TMPDIR/members")" 1 "members records after init"
assert_eq "$(py get collection <"$TMPDIR/members")" members "members record collection"
assert_eq "$(py get name <"$TMPDIR/members")" A "members record name"
assert_eq "$(py get center <"$TMPDIR/members")" Dushanbe "members record center"
assert_eq "$(py get key <"$TMPDIR/members")" "$id" "members record key = node id"

# --- add / show -------------------------------------------------------------
# Consultations name a center of the list: A's own, and one an admin adds.
expect_ok on A center add Khujand "Khujand center" >/dev/null
v0=$(on A vector)
assert_eq "$(echo "$v0" | wc -l)" 1 "vector lines on a fresh node"
[[ $v0 =~ ^$id\ ([1-9][0-9]*)$ ]] || die "vector: expected '<id> <seq>', got '$v0'"
seq0=${BASH_REMATCH[1]}

c1=$(expect_ok on A add consultations center=Dushanbe opened_at=2024-03-05 \
    channel=hotline client_name="Зарина Раҳимова" client_phone=+992900000001 \
    client_sex=F client_age=34 migration_stage=abroad destination=RU \
    topic=patent language=tg "summary=Patent renewal; employer kept passport" \
    assistance=counsel status=open lawyer=lawyer-001)
[[ $c1 =~ ^[0-9a-f]{32}$ ]] || die "add: expected a 32-hex id, got '$c1'"
assert_eq "$(on A vector)" "$id $((seq0 + 1))" "vector after one add"

c2=$(expect_ok on A add consultations channel=walk_in center=Khujand opened_at=2024-04-01 \
    client_sex=M client_age=51 destination=KZ topic=wage_arrears status=open)
[[ $c2 =~ ^[0-9a-f]{32}$ ]] || die "add: expected a 32-hex id, got '$c2'"
[ "$c1" != "$c2" ] || die "add: two adds returned the same id $c1"

human=$(expect_ok on A show consultations "$c1")
assert_contains "$human" "employer kept passport" "show (human)"
assert_contains "$human" "Зарина Раҳимова" "show (human) UTF-8 value"

on A show consultations "$c1" --json >"$TMPDIR/show1"
assert_eq "$(lines "$TMPDIR/show1")" 1 "show --json: lines"
assert_eq "$(py get client_age <"$TMPDIR/show1")" 34 "show --json client_age"
python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["client_age"]; sys.exit(0 if type(v) is int else 1)' \
    "$TMPDIR/show1" || die "show --json: client_age must be a JSON number"
assert_eq "$(py get client_name <"$TMPDIR/show1")" "Зарина Раҳимова" "show --json client_name"
assert_eq "$(py get summary <"$TMPDIR/show1")" "Patent renewal; employer kept passport" "show --json summary"

# --- set, clear a field -----------------------------------------------------
expect_ok on A set consultations "$c1" status=closed closed_on=2024-03-20 \
    outcome="patent renewed" lawyer= >/dev/null
on A show consultations "$c1" --json >"$TMPDIR/show1"
assert_eq "$(py get status <"$TMPDIR/show1")" closed "status after set"
assert_eq "$(py get closed_on <"$TMPDIR/show1")" 2024-03-20 "closed_on after set"
on A export consultations >"$TMPDIR/ex"
assert_eq "$(py field "$TMPDIR/ex" "$c1" lawyer)" "<absent>" "cleared field (lawyer=) in export"
assert_eq "$(py field "$TMPDIR/ex" "$c1" outcome)" "patent renewed" "outcome in export"

# --- list with filters ------------------------------------------------------
human=$(expect_ok on A list consultations)
[ -n "$human" ] || die "list (human): expected output, got nothing"
on A list consultations --json >"$TMPDIR/list"
assert_eq "$(lines "$TMPDIR/list")" 2 "list --json: records"
python3 - "$TMPDIR/list" "$c2" "$c1" <<'EOF' || die "list --json: expected both records, newest first (c2 opened 2024-04-01, c1 2024-03-05)"
import json, sys
ids = [json.loads(l)["id"] for l in open(sys.argv[1], encoding="utf-8")]
sys.exit(0 if ids == sys.argv[2:] else 1)
EOF
on A list consultations destination=KZ --json >"$TMPDIR/list"
assert_eq "$(py field "$TMPDIR/list" "$c2" destination)" KZ "list destination=KZ finds c2"
assert_eq "$(lines "$TMPDIR/list")" 1 "list destination=KZ: records"
on A list consultations destination=KZ client_sex=F --json >"$TMPDIR/list"
assert_eq "$(lines "$TMPDIR/list")" 0 "list destination=KZ client_sex=F: records"

# --- directory and guides ---------------------------------------------------
d1=$(expect_ok on A add directory name="Consulate of Tajikistan, Moscow" \
    kind=consulate country=RU city=Moscow phone=+74952900000 \
    hours="Mon-Fri 9-18" languages="tg,ru" verified_on=2024-01-15)
[[ $d1 =~ ^[0-9a-f]{32}$ ]] || die "add directory: expected a 32-hex id, got '$d1'"

# list flags numbers nobody has confirmed for 180 days (clock pinned by the
# test hook so the boundary does not move with the calendar)
d2=$(expect_ok on A add directory name="Hotline" kind=hotline country=TJ \
    phone=1313 verified_on=2024-06-01)
d3=$(expect_ok on A add directory name="NGO, no date" kind=ngo country=RU)
t0=$(python3 -c 'import calendar; print(calendar.timegm((2024, 7, 15, 12, 0, 0)) * 1000)')
off=$((t0 - $(date +%s) * 1000))
HAMROH_CLOCK_OFFSET_MS=$off on A list directory --json >"$TMPDIR/dir"
python3 - "$TMPDIR/dir" "$d1" "$d2" "$d3" <<'EOF' || die "directory staleness: see above"
import json, sys
rows = {r["id"]: r for r in map(json.loads, open(sys.argv[1]))}
want = {sys.argv[2]: True, sys.argv[3]: False, sys.argv[4]: True}
got = {i: rows[i].get("_stale") for i in want}
if got != want:
    sys.exit("FAIL: _stale on 2024-07-15 expected %s, got %s" % (want, got))
EOF
human=$(HAMROH_CLOCK_OFFSET_MS=$off on A list directory)
assert_eq "$(echo "$human" | grep -c STALE)" 2 "STALE rows in human list"
expect_ok on A rm directory "$d2" >/dev/null
expect_ok on A rm directory "$d3" >/dev/null

printf '# Patent in Russia\n\nStep 1: медицинская справка.\nStep 2: pay monthly.\n' >"$TMPDIR/g1.md"
g1=$(expect_ok on A guide publish "$TMPDIR/g1.md" title="Patent guide" language=en version_label=v1)
[[ $g1 =~ ^[0-9a-f]{32}$ ]] || die "guide publish: expected a 32-hex id, got '$g1'"
on A show guides "$g1" --json >"$TMPDIR/g"
assert_eq "$(py get body <"$TMPDIR/g")" "$(cat "$TMPDIR/g1.md")" "guide body"
printf '# Patent in Russia (2024)\n\nNew rules.\n' >"$TMPDIR/g2.md"
g1b=$(expect_ok on A guide publish "$TMPDIR/g2.md" title="Patent guide" language=en version_label=v2 "$g1")
assert_eq "$g1b" "$g1" "guide publish with ID keeps the id"
on A show guides "$g1" --json >"$TMPDIR/g"
assert_eq "$(py get body <"$TMPDIR/g")" "$(cat "$TMPDIR/g2.md")" "guide body after new version"
assert_eq "$(py get version_label <"$TMPDIR/g")" v2 "guide version_label after new version"
on A list guides --json >"$TMPDIR/list"
assert_eq "$(lines "$TMPDIR/list")" 1 "guides after publishing a new version"

# --- rm ---------------------------------------------------------------------
expect_ok on A rm consultations "$c2" >/dev/null
on A list consultations --json >"$TMPDIR/list"
assert_eq "$(lines "$TMPDIR/list")" 1 "list after rm"
on A export consultations >"$TMPDIR/ex"
assert_eq "$(py field "$TMPDIR/ex" "$c2" id)" "<no record>" "removed record in export"
expect_fail "show of a removed record" on A show consultations "$c2"
expect_fail "rm of an unknown id" on A rm consultations 0123456789abcdef0123456789abcdef

# --- export format ----------------------------------------------------------
on A export >"$TMPDIR/all"
py export-format "$TMPDIR/all"
python3 - "$TMPDIR/all" <<'EOF' || die "export: expected 1 center, 1 consultation, 1 directory, 1 guide, 1 member"
import collections, json, sys
c = collections.Counter(json.loads(l)["collection"] for l in open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if c == {"centers": 1, "consultations": 1, "directory": 1, "guides": 1, "members": 1} else 1)
EOF
on A export >"$TMPDIR/all2"
assert_same_file "$TMPDIR/all2" "$TMPDIR/all" "export twice"
grep -q '"client_age":34[,}]' "$TMPDIR/all" || die "export: expected \"client_age\":34 as a number"

# --- history ----------------------------------------------------------------
expect_ok on A history consultations "$c1" >/dev/null
on A history consultations "$c1" --json >"$TMPDIR/hist"
python3 - "$TMPDIR/hist" "$id" <<'EOF' || die "history --json: see above"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
need = {"time", "node", "origin", "seq", "field", "value"}
for r in rows:
    if not need <= set(r):
        sys.exit("FAIL: history row lacks %s: %s" % (need - set(r), r))
status = [r["value"] for r in rows if r["field"] == "status"]
if sorted(status) != ["closed", "open"]:
    sys.exit("FAIL: expected status history open, closed; got %s" % status)
if any(r["origin"] != sys.argv[2] or r["node"] != "A" for r in rows):
    sys.exit("FAIL: expected every row from origin %s node A" % sys.argv[2])
EOF

# --- verify, rebuild, backup, status ----------------------------------------
expect_ok on A verify >/dev/null
expect_ok on A rebuild >/dev/null
on A export >"$TMPDIR/all2"
assert_same_file "$TMPDIR/all2" "$TMPDIR/all" "export after rebuild"
expect_ok on A verify >/dev/null

expect_ok on A backup "$TMPDIR/backup.db" >/dev/null
assert_eq "$(head -c 16 "$TMPDIR/backup.db" | od -An -tx1 | tr -d ' \n')" \
    53514c69746520666f726d6174203300 "backup file header (\"SQLite format 3\\0\")"
py no-secret "$D/node.key" "$TMPDIR/backup.db"

on A status --json >"$TMPDIR/st"
assert_eq "$(lines "$TMPDIR/st")" 1 "status --json lines"
assert_eq "$(py get name <"$TMPDIR/st")" A "status name"
assert_eq "$(py get id <"$TMPDIR/st")" "$id" "status id"
assert_eq "$(py get forks <"$TMPDIR/st")" 0 "status forks"
assert_eq "$(py get held <"$TMPDIR/st")" 0 "status held"
[[ $(py get commits <"$TMPDIR/st") =~ ^[1-9][0-9]*$ ]] ||
    die "status commits: expected a positive integer, got $(py get commits <"$TMPDIR/st")"
expect_ok on A status >/dev/null

# --- help and usage errors --------------------------------------------------
out=$(expect_ok "$H" --help)
[ -n "$out" ] && [ "$(echo "$out" | wc -l)" -le 24 ] ||
    die "--help: expected 1..24 lines, got $(echo "$out" | wc -l)"
for cmd in init id add set rm show list guide import export history stats \
    vector bundle conflicts verify rebuild backup status; do
	out=$(expect_ok on A "$cmd" --help)
	[ -n "$out" ] && [ "$(echo "$out" | wc -l)" -le 24 ] ||
	    die "$cmd --help: expected 1..24 lines, got $(echo "$out" | wc -l)"
done

expect_fail --rc 2 "unknown global option" "$H" --data "$D" --bogus id
expect_fail --rc 2 "unknown command option" on A list consultations --bogus
expect_fail --rc 2 "unknown command" on A frobnicate
expect_fail --rc 2 "add without a collection" on A add
expect_fail --rc 2 "command on an uninitialized dir" "$H" --data "$TMPDIR/nowhere" id
expect_fail --rc 2 "list on an uninitialized dir" "$H" --data "$TMPDIR/nowhere" list consultations
expect_fail "show of an unknown id" on A show consultations 0123456789abcdef0123456789abcdef

# a key file others can read is refused, naming the fix
chmod 644 "$D/node.key"
expect_fail --rc 2 "add with a world-readable node.key" on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F status=open
assert_contains "$ERR" "chmod 600" "error for a node.key of mode 0644"
chmod 600 "$D/node.key"

on A export >"$TMPDIR/all2"
assert_same_file "$TMPDIR/all2" "$TMPDIR/all" "export after the failed commands"
echo "t_basic: ok"

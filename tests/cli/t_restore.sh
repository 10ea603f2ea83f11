#!/usr/bin/env bash
# timeout: 240
# Proves 'hamroh restore' gives a node that never forks: B is backed up, writes more, and is restored elsewhere (R) from the backup and its key files; R continues under a fresh key through an open successor statement, so A admits it on its first dial with no admin step, B's writes after the backup reach R and stand, and while B keeps running and writing every write of A, B and R reaches every node, no node counts a fork, nothing is refused and verify passes; a dir that is not empty, missing key files and a file that is no backup each get one line and change nothing.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
trap kill_agents EXIT

mknode A Dushanbe
mknode B Dushanbe
c=(opened_at=2026-11-20 channel=walk_in client_sex=F client_age=29
    destination=RU topic=documents_lost status=open)
expect_ok on A network create --name tj-legal >/dev/null
keyA=$(on A id)
keyB=$(on B id)
keyBi=$(on B id --invite)
tok=$(expect_ok on A invite "$keyBi" --name B --center Dushanbe --role office)
expect_ok on B join "$tok" >/dev/null
[ "$(on B id)" = "$keyB" ] || die "B's key changed at join (it had no history)"

start_agent A
expect_ok on B peer add "127.0.0.1:$PORT_A" "$keyA" >/dev/null
start_agent B
has() { on "$1" show consultations "$2" >/dev/null 2>&1; }
r1=$(expect_ok on B add consultations center=Dushanbe "${c[@]}" client_name="Before Backup")
wait_for "B's first record at A" 30 has A "$r1"

# The backup: one line names the files a restore needs.
out=$(expect_ok on B backup "$T/b.backup")
assert_contains "$out" "node.key, network.key and center.keys" "backup names every key file a restore needs"
mkdir "$T/keys"
cp "$T/B/node.key" "$T/B/network.key" "$T/B/center.keys" "$T/keys/"

# B writes after the backup; A holds it, the backup does not.
r2=$(expect_ok on B add consultations center=Dushanbe "${c[@]}" client_name="After Backup")
wait_for "B's record after the backup at A" 30 has A "$r2"

# Bad input: one line each, and the dir is left as it was.
expect_fail --rc 1 "restore into a node's dir" on B restore "$T/b.backup"
assert_contains "$ERR" "is not empty" "restore into B's own dir"
mkdir "$T/X"
cp "$T/keys/network.key" "$T/keys/center.keys" "$T/X/"
expect_fail "restore without node.key" on X restore "$T/b.backup"
assert_contains "$ERR" "node.key is missing" "restore without node.key"
[ ! -e "$T/X/hamroh.db" ] || die "a refused restore left a database behind"
cp "$T/keys/node.key" "$T/X/"
rm "$T/X/network.key"
expect_fail "restore without network.key" on X restore "$T/b.backup"
assert_contains "$ERR" "network.key is missing" "restore without network.key"
cp "$T/keys/network.key" "$T/X/"
rm "$T/X/center.keys"
expect_fail "restore without center.keys" on X restore "$T/b.backup"
assert_contains "$ERR" "center.keys is missing" "restore without center.keys"
cp "$T/keys/center.keys" "$T/X/"
cp "$T/A/node.key" "$T/X/node.key"
expect_fail "restore with another node's key" on X restore "$T/b.backup"
assert_contains "$ERR" "node.key is not the key of the node this backup is of" "restore with A's key"
cp "$T/keys/node.key" "$T/X/"
echo "not a database" >"$T/junk"
expect_fail --rc 1 "restore of a file that is no backup" on X restore "$T/junk"
assert_contains "$ERR" "is not a hamroh backup" "restore of a text file"
[ "$(ls "$T/X" | sort | tr '\n' ' ')" = "center.keys network.key node.key " ] ||
    die "a refused restore changed the dir: $(ls "$T/X")"

# The restore: a fresh key, the successor of B's.
mkdir "$T/R"
cp "$T/keys/"* "$T/R/"
out=$(expect_ok on R restore "$T/b.backup")
keyR=$(on R id)
[ "$keyR" != "$keyB" ] || die "the restored node signs with the old key"
assert_contains "$out" "$keyR" "restore names the new key"
[ ! -e "$T/R/node.key.new" ] || die "node.key.new left behind"
[ "$(stat -c %a "$T/R/node.key")" = 600 ] || die "R's node.key is not mode 600"
has R "$r1" || die "R lacks what the backup holds"
expect_ok on R verify >/dev/null

# R dials A, which never saw R's statement: admitted at once, no admin.
expect_ok on R peer add "127.0.0.1:$PORT_A" "$keyA" >/dev/null
start_agent R
wait_for "B's write after the backup at R" 30 has R "$r2"
r3=$(expect_ok on R add consultations center=Dushanbe "${c[@]}" client_name="At Restored")
# The old node still runs and writes: its origin goes on, R's is its own.
r4=$(expect_ok on B add consultations center=Dushanbe "${c[@]}" client_name="Old Still Alive")
for n in A B R; do
	for r in "$r1" "$r2" "$r3" "$r4"; do
		wait_for "$r at $n" 30 has $n "$r"
	done
done
if grep -q "peer=${keyR:0:16} refused" "$T/A.log"; then
	die "A refused R: $(grep "${keyR:0:16}" "$T/A.log" | tail -2)"
fi
# R reads what B wrote in clear with the center key it was restored with.
on R show consultations "$r4" --json | grep -qF "Old Still Alive" ||
    die "R does not read B's record"
on A show consultations "$r3" --json | grep -qF "At Restored" ||
    die "A does not read R's record"

stop_agent R
stop_agent B
stop_agent A
for n in A B R; do
	expect_ok on $n verify >/dev/null
	assert_eq "$(status_field $n forks)" 0 "$n counts no fork"
	assert_eq "$(status_field $n refused)" 0 "$n refused nothing ($(on $n audit 2>&1 | tail -2))"
	v=$(on $n vector)
	assert_contains "$v" "$keyR" "$n holds R's origin"
	assert_contains "$v" "$keyB" "$n holds B's origin"
done
exports() { on "$1" export --sealed; }
assert_eq "$(exports B)" "$(exports A)" "B and A hold the same records"
assert_eq "$(exports R)" "$(exports A)" "R and A hold the same records"
echo "t_restore: ok"

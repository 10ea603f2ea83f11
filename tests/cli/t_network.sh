#!/usr/bin/env bash
# Joining a network: network create, invite, join, peer add/list/rm; refused invites and tokens change nothing; certificates gossip and converge.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

# snap NODE OUT: what a refused command must leave as it was (records, log,
# peers, files, meta settings).  Not hamroh.db's bytes: opening it may.
snap() {
	{
		on "$1" export
		on "$1" vector
		on "$1" peer list
		ls -A "$T/$1"
		[ ! -e "$T/$1/network.key" ] || od -An -tx1 "$T/$1/network.key"
		python3 -c 'import sqlite3, sys
for k, v in sqlite3.connect(sys.argv[1]).execute("SELECT k, v FROM meta ORDER BY k"):
    print(k, v)' "$T/$1/hamroh.db"
	} >"$2"
}

mknode A Dushanbe
mknode B Khujand
mknode C
KA=$(on A id)
KB=$(on B id)
KC=$(on C id)

# --- network create ----------------------------------------------------------
out=$(expect_ok on A network create --name "Tajik legal aid")
assert_eq "$out" "created network 'Tajik legal aid'
admin $KA" "network create output"
[ "$(stat -c %a "$T/A/network.key")" = 600 ] || die "A's network.key should have mode 600"
[ "$(wc -c <"$T/A/network.key")" -eq 32 ] || die "A's network.key should hold 32 bytes"
assert_eq "$(py field <(on A export members) "${KA:0:32}" role)" admin "A's own role"
assert_eq "$(py field <(on A export members) "${KA:0:32}" cert_by)" "$KA" "A certifies itself"
assert_eq "$(py field <(on A export members) "${KA:0:32}" expires)" \
    "$(date -u -d '+3653 days' +%F)" "A's certificate lasts ten years"

cp "$T/A/network.key" "$T/netkey.A"
snap A "$T/A.before"
expect_fail --rc 1 "second network create" on A network create --name Other
assert_contains "$ERR" "already in network 'Tajik legal aid'" "second network create"
expect_fail --rc 2 "network create without --name" on C network create
expect_fail --rc 2 "network create with an empty name" on C network create --name ""
expect_fail --rc 2 "network create with a control character" on C network create --name $'a\tb'
expect_fail --rc 2 "network without a subcommand" on C network
snap A "$T/A.after"
assert_same_file "$T/A.after" "$T/A.before" "A after refused network commands"
[ ! -e "$T/C/network.key" ] || die "a refused network create left C/network.key"

# A leftover network.key (say, from a crash) is never overwritten.
mknode D
printf '%032d' 0 >"$T/D/network.key"
chmod 600 "$T/D/network.key"
expect_fail --rc 1 "network create over an existing network.key" on D network create --name X
assert_contains "$ERR" "network.key already exists" "network create over network.key"
assert_eq "$(cat "$T/D/network.key")" "$(printf '%032d' 0)" "D's network.key untouched"
rm "$T/D/network.key"

# --- invite ------------------------------------------------------------------
expect_ok on A center add Khujand "Khujand center" >/dev/null
tok=$(expect_ok on A invite "$KB" --name "Khujand office" --center Khujand \
    --role center --address 127.0.0.1:4411 --address "[::1]:4412")
[ "$(printf '%s\n' "$tok" | wc -l)" -eq 1 ] || die "invite should print one line"
[[ $tok =~ ^hamroh1:[A-Za-z0-9_-]+$ ]] || die "invite token has the wrong form: $(_show "$tok")"
assert_eq "$(py field <(on A export members) "${KB:0:32}" role)" center "B's role written by invite"
assert_eq "$(py field <(on A export members) "${KB:0:32}" key)" "$KB" "B's key written by invite"
assert_eq "$(py field <(on A export members) "${KB:0:32}" expires)" \
    "$(date -u -d '+365 days' +%F)" "default lifetime 365 days"

snap A "$T/A.before"
expect_fail --rc 1 "invite by a node in no network" on C invite "$KB" --name x --center y --role office
assert_contains "$ERR" "only an admin can invite" "invite by a node in no network"
expect_fail --rc 2 "invite of a bad key" on A invite "${KB:0:63}" --name x --center y --role office
expect_fail --rc 2 "invite of a non-hex key" on A invite "${KB:0:63}g" --name x --center y --role office
expect_fail --rc 2 "invite of a small-order point" on A invite \
    0100000000000000000000000000000000000000000000000000000000000000 --name x --center y --role office
assert_contains "$ERR" "not a valid node key" "invite of a small-order point"
expect_fail --rc 2 "invite with a bad role" on A invite "$KC" --name x --center y --role boss
assert_contains "$ERR" "admin/center/office" "invite with a bad role"
expect_fail --rc 2 "invite without --center" on A invite "$KC" --name x --role office
expect_fail --rc 2 "invite with a bad address" on A invite "$KC" --name x --center y --role office --address host:70000
expect_fail --rc 2 "invite with an address without port" on A invite "$KC" --name x --center y --role office --address host
expect_fail --rc 2 "invite with --expires 0" on A invite "$KC" --name x --center y --role office --expires 0
expect_fail --rc 2 "invite with a too long name" on A invite "$KC" --name "$(printf 'n%.0s' {1..101})" --center y --role office
expect_fail --rc 1 "invite of the admin itself" on A invite "$KA" --name x --center y --role office
snap A "$T/A.after"
assert_same_file "$T/A.after" "$T/A.before" "A after refused invites"

# --- refused joins change nothing --------------------------------------------
expect_ok on A center add Isfara "Isfara center" >/dev/null
tokc=$(expect_ok on A invite "$KC" --name "Isfara" --center Isfara --role office --address 127.0.0.1:4411)
snap B "$T/B.before"

expect_fail --rc 1 "join with another node's invite" on B join "$tokc"
assert_contains "$ERR" "this invite is for node ${KC:0:16}" "join with C's invite on B"
assert_contains "$ERR" "not this node (${KB:0:16}" "join with C's invite on B"
assert_contains "$ERR" "'hamroh id'" "join with C's invite on B"

expect_fail --rc 1 "join with a truncated token" on B join "${tok:0:200}"
expect_fail --rc 1 "join with trailing bytes" on B join "${tok}AAAA"
expect_fail --rc 1 "join with another prefix" on B join "hamroh2:${tok#hamroh1:}"
assert_contains "$ERR" "not a hamroh invite" "join with another prefix"
expect_fail --rc 1 "join with padding" on B join "${tok}="
expect_fail --rc 1 "join with an empty token" on B join ""
expect_fail --rc 2 "join without a token" on B join
expect_fail --rc 2 "join with two tokens" on B join "$tok" "$tok"
# A token of valid base64 holding other msgpack.
expect_fail --rc 1 "join with a token of other msgpack" on B join "hamroh1:kwECAw"
# Another network's admin cannot reuse B's certificate under its own key.
expect_ok on D network create --name "Other network" >/dev/null
expect_ok on D center add Khujand "Khujand center" >/dev/null
tokd=$(expect_ok on D invite "$KB" --name "Khujand office" --center Khujand --role center)

# Every single-character change anywhere in the token is refused, cleanly.
n=${#tok}
for ((i = 0; i < n; i++)); do
	c=${tok:i:1}
	if [ "$c" = A ]; then r=B; else r=A; fi
	bad="${tok:0:i}$r${tok:i+1}"
	rc=0
	on B join "$bad" >"$T/flip.out" 2>"$T/flip.err" || rc=$?
	[ $rc -eq 1 ] ||
	    die "join of the token with character $i changed ('$c' -> '$r'): expected exit 1, got $rc; stderr: $(_show "$(cat "$T/flip.err")")"
	[ ! -s "$T/flip.out" ] || die "join of a damaged token (char $i) printed: $(_show "$(cat "$T/flip.out")")"
	check_error_line "join of a damaged token (char $i)" "$T/flip.err"
done
ERR=$(cat "$T/flip.err")
assert_contains "$ERR" "hamroh: join: " "error of a damaged token"

snap B "$T/B.after"
assert_same_file "$T/B.after" "$T/B.before" "B after refused joins"
[ ! -e "$T/B/network.key" ] || die "a refused join left B/network.key"

# --- join --------------------------------------------------------------------
out=$(expect_ok on B join "$tok")
assert_eq "$out" "joined network Tajik legal aid as center
will dial 127.0.0.1:4411 (the inviting office, ${KA:0:16}...)
will dial [::1]:4412 (the inviting office, ${KA:0:16}...)" "join output"
cmp -s "$T/B/network.key" "$T/A/network.key" || die "B's network.key differs from A's"
[ "$(stat -c %a "$T/B/network.key")" = 600 ] || die "B's network.key should have mode 600"
plist=$(on B peer list)
assert_contains "$plist" "127.0.0.1:4411 $KA " "B's peers after join"
assert_contains "$plist" "[::1]:4412 $KA " "B's peers after join"
assert_eq "$(on B peer list --json | head -n 1 | py get key)" "$KA" "peer list --json key"
assert_eq "$(on B peer list --json | head -n 1 | py get addr)" "127.0.0.1:4411" "peer list --json addr"
assert_eq "$(py field <(on B export members) "${KB:0:32}" role)" center "B's own certificate after join"
assert_eq "$(py field <(on B export members) "${KB:0:32}" name)" "Khujand office" "B's name from its certificate"
assert_eq "$(status_field B name)" "Khujand office" "B's status name after join"

# Joining the same network again (say, a renewed invite) is fine.
expect_ok on B join "$tok" >/dev/null
cmp -s "$T/B/network.key" "$T/A/network.key" || die "B's network.key changed on re-join"

# One network per node.
snap B "$T/B.before"
expect_fail --rc 1 "join of a second network" on B join "$tokd"
assert_contains "$ERR" "already in network 'Tajik legal aid'" "join of a second network"
expect_fail --rc 1 "network create on a member" on B network create --name Mine
snap B "$T/B.after"
assert_same_file "$T/B.after" "$T/B.before" "B after a refused second network"
cmp -s "$T/B/network.key" "$T/A/network.key" || die "B's network.key changed"

# A non-admin cannot invite.
snap B "$T/B.before"
expect_fail --rc 1 "invite by a center" on B invite "$KC" --name x --center y --role office
assert_contains "$ERR" "only an admin can invite; this node's role is center" "invite by a center"
snap B "$T/B.after"
assert_same_file "$T/B.after" "$T/B.before" "B after a refused invite"

# An expired invite is refused (C's clock three days on, 1-day invite).
tokx=$(expect_ok on A invite "$KC" --name "Isfara" --center Isfara --role office --expires 1)
rc=0
HAMROH_CLOCK_OFFSET_MS=$((3 * 86400 * 1000)) "$H" --data "$T/C" join "$tokx" 2>"$T/x.err" >/dev/null || rc=$?
[ $rc -eq 1 ] || die "join of an expired invite: expected exit 1, got $rc"
check_error_line "join of an expired invite" "$T/x.err"
assert_contains "$(cat "$T/x.err")" "expired on" "join of an expired invite"

# --- peer add / list / rm ----------------------------------------------------
snap B "$T/B.before"
expect_fail --rc 1 "peer add without key, unknown address" on B peer add 10.9.9.9:4411
assert_contains "$ERR" "give the node key of 10.9.9.9:4411: hamroh peer add 10.9.9.9:4411 KEY" "peer add without key"
expect_fail --rc 2 "peer add with a bad address" on B peer add 10.9.9.9
expect_fail --rc 2 "peer add with a bad port" on B peer add 10.9.9.9:0 "$KA"
expect_fail --rc 2 "peer add with a bad key" on B peer add 10.9.9.9:1 "${KA:1}"
expect_fail --rc 1 "peer add of this node's own key" on B peer add 10.9.9.9:1 "$KB"
expect_fail --rc 1 "peer rm of an unknown peer" on B peer rm 10.9.9.9:4411
expect_fail --rc 2 "peer without a subcommand" on B peer
snap B "$T/B.after"
assert_same_file "$T/B.after" "$T/B.before" "B after refused peer commands"

out=$(expect_ok on B peer add 10.9.9.9:4411 "$KC")
assert_eq "$out" "added peer 10.9.9.9:4411 key $KC" "peer add output"
assert_contains "$(on B peer list)" "10.9.9.9:4411 $KC -" "peer list of a node not yet known"
out=$(expect_ok on B peer rm 10.9.9.9:4411)
assert_eq "$out" "removed peer 10.9.9.9:4411" "peer rm output"
[[ $(on B peer list) != *10.9.9.9* ]] || die "peer rm left the peer listed"
expect_fail --rc 1 "peer rm twice" on B peer rm 10.9.9.9:4411
out=$(expect_ok on B peer rm "[::1]:4412")
[ "$(on B peer list | wc -l)" -eq 1 ] || die "B should have one peer left"

# --- certificates gossip -----------------------------------------------------
xfer A B
on B export members >"$T/b.members"
assert_eq "$(py field "$T/b.members" "${KA:0:32}" role)" admin "B knows A's certificate"
assert_eq "$(py field "$T/b.members" "${KA:0:32}" cert_by)" "$KA" "B knows A's certificate"
assert_eq "$(py field "$T/b.members" "${KB:0:32}" role)" center "B's certificate"
assert_eq "$(py field "$T/b.members" "${KB:0:32}" cert_by)" "$KA" "B's certificate"
[ "$(py field "$T/b.members" "${KA:0:32}" cert | wc -c)" -eq 129 ] || die "A's cert should be 128 hex digits"
assert_contains "$(on B peer list)" "127.0.0.1:4411 $KA A" "B's peer list names A once A's record arrived"
xfer B A
on A export members >"$T/a.members"
assert_same_file "$T/a.members" "$T/b.members" "members of A and B after bundles both ways"
on A export --sealed >"$T/a.all"
on B export --sealed >"$T/b.all"
assert_same_file "$T/a.all" "$T/b.all" "exports of A and B after bundles both ways"
assert_no_conflicts A "after the exchange"
assert_no_conflicts B "after the exchange"

# A member advertising an address lets peer add leave the key out; an
# invite without --address carries the admin's published addresses.
expect_ok on A set members "${KA:0:32}" "addresses=10.1.2.3:4411 a.example.org:4411" >/dev/null
xfer A B
out=$(expect_ok on B peer add a.example.org:4411)
assert_eq "$out" "added peer a.example.org:4411 key $KA (advertised by member 'A')" "peer add of an advertised address"
tokc=$(expect_ok on A invite "$KC" --name "Isfara" --center Isfara --role office)
out=$(expect_ok on C join "$tokc")
assert_eq "$out" "joined network Tajik legal aid as office
will dial 10.1.2.3:4411 (the inviting office, ${KA:0:16}...)
will dial a.example.org:4411 (the inviting office, ${KA:0:16}...)" "join with the admin's published addresses"

# --- help --------------------------------------------------------------------
for c in network invite join peer; do
	h=$(expect_ok on C "$c" --help)
	[ "$(printf '%s\n' "$h" | wc -l)" -le 24 ] || die "'hamroh $c --help' is longer than 24 lines"
	assert_contains "$h" "usage: hamroh" "'hamroh $c --help'"
done
echo "t_network: ok"

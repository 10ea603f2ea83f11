#!/usr/bin/env bash
# timeout: 120
# Proves a node in no network seals too: init makes a local key of its center, a lawyer's consultation is sealed under it from the first write (no marker of client_name, client_phone or summary in any file under the data dir, -wal and -shm included), and join seals it again under the network's key from the token: the lawyer reads it back, the local key is gone from center.keys, and no file under the data dir holds a marker or the local key's id.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
R=$HAMROH
pw() { printf '%s\n' "$@" >"$T/pw"; }	# pw LINE...: the next fd 3
lawyer() { pw 'saidova passphrase'; "$R" --data "$T/K" --user saidova --passphrase-fd 3 "$@" 3<"$T/pw"; }

mknode A Khorog
mknode K Khorog
[ "$(wc -l <"$T/K/center.keys")" = 1 ] || die "init made no local key of Khorog"
lid=$(awk '{ print $1 }' "$T/K/center.keys")
[[ $lid =~ ^[0-9a-f]{16}$ ]] || die "local key id: '$lid'"
pw "$TEST_PASSPHRASE" 'saidova passphrase'
expect_ok "$R" --data "$T/K" --user admin --passphrase-fd 3 user add saidova \
    --role lawyer 3<"$T/pw" >/dev/null

name="ALONE-Рахимов Фарход" phone="+992 92 555 12 34" sum="ALONE-summary of the case"
id=$(expect_ok lawyer add consultations center=Khorog opened_at=2026-11-20 \
    channel=walk_in topic=patent client_sex=M status=open \
    client_name="$name" client_phone="$phone" summary="$sum")
assert_contains "$(lawyer show consultations "$id")" "$name" "the lawyer reads her record"
holds_none "$T/K" "$name" "$phone" "555 12 34" "$sum"
grep -aqF "$lid" "$T/K/hamroh.db"* || die "the record is not sealed under the local key $lid"

# --- join: sealed again under the network's key ------------------------------
expect_ok on A network create --name "Pamir legal aid" >/dev/null
tok=$(expect_ok on A invite "$(on K id --invite)" --name K --center Khorog --role center)
out=$(expect_ok on K join "$tok")
assert_contains "$out" "joined" "join"
out=$(expect_ok lawyer show consultations "$id")
assert_contains "$out" "$name" "after join the lawyer reads the name"
assert_contains "$out" "$phone" "after join the lawyer reads the phone"
assert_contains "$out" "$sum" "after join the lawyer reads the summary"
nid=$(awk '{ print $1 }' "$T/K/center.keys")
[ "$(wc -l <"$T/K/center.keys")" = 1 ] && [ "$nid" != "$lid" ] ||
    die "center.keys after join: expected the network's key alone, got: $(awk '{ print $1, $4 }' "$T/K/center.keys")"
assert_contains "$(on A key list)" "$nid" "K holds the network's key of Khorog"
holds_none "$T/K" "$name" "$phone" "555 12 34" "$sum" "$lid"
grep -aqF "$nid" "$T/K/hamroh.db"* || die "the record is not sealed under the network's key $nid"
echo "t_alone: ok"

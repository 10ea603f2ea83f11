#!/usr/bin/env bash
# timeout: 240
# Proves no plaintext of client_name, client_phone or summary reaches the disk, in a network and (separately) in none: a lawyer's session of adds, edits, a search, an export and a backup, then a byte search of every file under the data dir (the database, its -wal and -shm, center.keys, the backup) finds no marker; and a copy of the data dir used without a passphrase (no user, or a wrong passphrase) shows no marker through show, list, export, search, history or bundle export.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
R=$HAMROH
pw() { printf '%s\n' "$@" >"$T/pw"; }	# pw LINE...: the next fd 3
# as_lawyer NODE ARGS...: hamroh on NODE, signed in as the lawyer saidova.
as_lawyer() {
	local n=$1; shift
	pw 'saidova passphrase'
	"$R" --data "$T/$n" --user saidova --passphrase-fd 3 "$@" 3<"$T/pw"
}
add_lawyer() {
	pw "$TEST_PASSPHRASE" 'saidova passphrase'
	expect_ok "$R" --data "$T/$1" --user admin --passphrase-fd 3 user add saidova \
	    --role lawyer 3<"$T/pw" >/dev/null
}

# session NODE TAG: the lawyer's day on NODE with markers of TAG; prints
# the markers, one a line.
session() {
	local n=$1 tag=$2 id out
	local name="ATREST-$tag-Рахимов Фарход" phone="+992 92 444 $tag 1" sum="ATREST-$tag-summary patent lost"
	local name2="ATREST-$tag-Ҳакимов Фирӯз" sum2="ATREST-$tag-edited summary"
	id=$(expect_ok as_lawyer "$n" add consultations center=Khorog opened_at=2026-11-20 \
	    channel=walk_in topic=patent client_sex=M status=open \
	    client_name="$name" client_phone="$phone" summary="$sum")
	expect_ok as_lawyer "$n" set consultations "$id" client_name="$name2" summary="$sum2" >/dev/null
	expect_ok as_lawyer "$n" add consultations center=Khorog opened_at=2026-11-21 \
	    channel=hotline topic=documents_lost client_sex=F status=open \
	    client_name="ATREST-$tag-second" client_phone="+7 916 000 $tag 2" >/dev/null
	out=$(expect_ok as_lawyer "$n" search "ATREST-$tag-Ҳакимов")
	assert_contains "$out" "$name2" "the lawyer's search finds the edited name"
	out=$(expect_ok as_lawyer "$n" export consultations)
	assert_contains "$out" "$sum2" "the lawyer's export shows the summary"
	assert_contains "$(expect_ok as_lawyer "$n" history consultations "$id")" "$name" "the lawyer's history shows the first name"
	expect_ok as_lawyer "$n" backup "$T/$n/backup.db" >/dev/null
	printf '%s\n' "$name" "$phone" "$sum" "$name2" "$sum2" "ATREST-$tag-second" \
	    "444 $tag 1" "000 $tag 2" "ATREST-$tag"
	echo "$id" >"$T/$n.id"
}

# reveals_none NODE MARKER...: a copy of NODE's data dir, no passphrase.
reveals_none() {
	local n=$1 c=$T/$1-copy id m f cmd; shift
	rm -rf "$c"
	cp -a "$T/$n" "$c"
	id=$(cat "$T/$n.id")
	: >"$T/copy.out"
	for cmd in "show consultations $id" "list consultations" "export" \
	    "export consultations" "export --sealed consultations" \
	    "search ATREST" "history consultations $id" "stats consultations --by topic"; do
		# shellcheck disable=SC2086
		env -u HAMROH_USER "$R" --data "$c" $cmd >>"$T/copy.out" 2>&1 || true
		pw 'not her passphrase'
		# shellcheck disable=SC2086
		"$R" --data "$c" --user saidova --passphrase-fd 3 $cmd >>"$T/copy.out" 2>&1 3<"$T/pw" || true
	done
	env -u HAMROH_USER "$R" --data "$c" bundle export "$T/copy.bundle" >>"$T/copy.out" 2>&1 || true
	[ ! -f "$T/copy.bundle" ] || cat "$T/copy.bundle" >>"$T/copy.out"
	rm -f "$T/copy.bundle"
	for m in "$@"; do
		if grep -aqF -- "$m" "$T/copy.out"; then
			die "a copy of $n without a passphrase shows '$m'"
		fi
	done
	holds_none "$c" "$@"
}

# --- in a network ------------------------------------------------------------
mknode A Khorog
mknode K Khorog
expect_ok on A network create --name "Pamir legal aid" >/dev/null
tok=$(expect_ok on A invite "$(on K id --invite)" --name K --center Khorog --role center)
expect_ok on K join "$tok" >/dev/null
add_lawyer K
mapfile -t mk < <(session K 11)
[ "${#mk[@]}" -gt 5 ] || die "the session on K failed"
holds_none "$T/K" "${mk[@]}"
reveals_none K "${mk[@]}"

# --- in no network -----------------------------------------------------------
mknode L Khorog
add_lawyer L
mapfile -t ml < <(session L 22)
[ "${#ml[@]}" -gt 5 ] || die "the session on L failed"
holds_none "$T/L" "${ml[@]}"
reveals_none L "${ml[@]}"

# The method finds plaintext where it is: the lawyer's own export.
as_lawyer L export consultations >"$T/L.export"
grep -aqF -- "${ml[3]}" "$T/L.export" || die "the byte search cannot find the lawyer's own export"
echo "t_atrest: ok"

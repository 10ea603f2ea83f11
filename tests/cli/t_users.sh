#!/usr/bin/env bash
# Proves staff accounts as an admin and a lawyer use them, passphrases through --passphrase-fd: init --user and its recovery code, user add/list/passwd/rm/rekey, wrong passphrases refused leaving data untouched, a statistician sees counts only, node-only commands need nobody, a removed user is shut out, the recovery code resets an admin passphrase, and the center keys on disk are sealed (node.key alone opens none).
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

unset HAMROH_USER
D=$TMPDIR/K
R=$HAMROH
pw() { printf '%s\n' "$@" >"$TMPDIR/pw"; }	# pw LINE...: the next fd 3

# --- init --user: the first admin, the recovery code -------------------------
pw 'rahimova passphrase'
out=$(expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 init \
    --name khorog-office --center Khorog 3<"$TMPDIR/pw")
assert_contains "$out" "user 'rahimova' (admin)" "init --user names the admin"
code=$(sed -n 's/^recovery code \([0-9A-Z-]*\)$/\1/p' <<<"$out")
[[ $code =~ ^[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}$ ]] ||
    die "init: expected a recovery code XXXXX-XXXXX-XXXXX-XXXXX, got '$code'"
# No terminal and no --passphrase-fd: one clear line, nothing made.
expect_fail --rc 2 "init --user without a terminal" setsid -w "$R" --data "$TMPDIR/X" \
    --user a init --name X </dev/null
assert_contains "$ERR" "give --passphrase-fd N" "init --user without a terminal"
[ ! -e "$TMPDIR/X/hamroh.db" ] || die "init --user without a passphrase made a node"

# --- users: an admin adds a lawyer and a statistician ------------------------
pw 'rahimova passphrase' 'saidova passphrase'
expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 user add saidova \
    --role lawyer 3<"$TMPDIR/pw" >/dev/null
pw 'rahimova passphrase' 'karimov passphrase'
expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 user add karimov \
    --role statistician 3<"$TMPDIR/pw" >/dev/null
pw 'rahimova passphrase' 'Ҳакимова passphrase'
expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 user add Ҳакимова \
    --role lawyer 3<"$TMPDIR/pw" >/dev/null
assert_eq "$("$R" --data "$D" user list | awk '{ print $1 "=" $2 }' | tr '\n' ' ')" \
    "karimov=statistician rahimova=admin saidova=lawyer Ҳакимова=lawyer " "user list (node only)"
pw 'Ҳакимова passphrase'
expect_ok "$R" --data "$D" --user Ҳакимова --passphrase-fd 3 list consultations 3<"$TMPDIR/pw" >/dev/null
pw 'rahimova passphrase' 'a b'
expect_fail "a user name with a space" "$R" --data "$D" --user rahimova --passphrase-fd 3 \
    user add 'a b' --role lawyer 3<"$TMPDIR/pw"
assert_contains "$ERR" "user name 'a b'" "a user name with a space"
assert_eq "$("$R" --data "$D" user list --json | head -1 | py get role)" \
    statistician "user list --json"
pw 'rahimova passphrase' 'short'
expect_fail "a short passphrase" "$R" --data "$D" --user rahimova --passphrase-fd 3 \
    user add x --role lawyer 3<"$TMPDIR/pw"
assert_contains "$ERR" "at least 8 bytes" "a short passphrase"
pw 'rahimova passphrase' 'some passphrase'
expect_fail --rc 2 "a bad role" "$R" --data "$D" --user rahimova --passphrase-fd 3 \
    user add x --role boss 3<"$TMPDIR/pw"
assert_contains "$ERR" "give lawyer, statistician or admin" "a bad role"

# --- the lawyer logs a consultation; wrong passphrases change nothing --------
pw 'saidova passphrase'
id=$(expect_ok "$R" --data "$D" --user saidova --passphrase-fd 3 add consultations opened_at=2026-11-20 channel=walk_in topic=patent client_sex=F status=open \
    center=Khorog client_name=SECRETMARK-Рахимов summary=SECRETMARK-2 3<"$TMPDIR/pw")
pw 'rahimova passphrase'
expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 center add Dushanbe "Dushanbe center" 3<"$TMPDIR/pw" >/dev/null
pw 'saidova passphrase'
expect_fail "a lawyer writes another center's consultation" "$R" --data "$D" --user saidova \
    --passphrase-fd 3 add consultations center=Dushanbe opened_at=2026-11-20 channel=walk_in topic=patent client_sex=F status=open client_name=X 3<"$TMPDIR/pw"
assert_contains "$ERR" "is a lawyer of center 'Khorog'" "a lawyer, another center"
"$R" --data "$D" export --sealed consultations 2>/dev/null && die "export without a user"
expect_fail "list consultations without a user" "$R" --data "$D" list consultations
assert_contains "$ERR" "sign in with --user NAME" "without a user"
# Who viewed which case is the node's admins' to read, not a lawyer's.
pw 'saidova passphrase'
expect_ok "$R" --data "$D" --user saidova --passphrase-fd 3 show consultations "$id" 3<"$TMPDIR/pw" >/dev/null
pw 'saidova passphrase'
expect_fail "a lawyer reads the access log" "$R" --data "$D" --user saidova --passphrase-fd 3 access-log 3<"$TMPDIR/pw"
assert_contains "$ERR" "user 'saidova' is a lawyer; this needs the role admin" "the access log is the admins'"
pw 'rahimova passphrase'
expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 access-log 3<"$TMPDIR/pw" | grep -q "show .*$id  saidova" ||
    die "the admin's access log does not name the lawyer's views"
before=$(cd "$D" && sha256sum hamroh.db)
pw 'not her passphrase'
expect_fail "a wrong passphrase" "$R" --data "$D" --user saidova --passphrase-fd 3 \
    set consultations "$id" client_name=Other 3<"$TMPDIR/pw"
assert_eq "$ERR" "hamroh: set consultations: wrong passphrase for user 'saidova'; nothing was changed" \
    "a wrong passphrase"
assert_eq "$(cd "$D" && sha256sum hamroh.db)" "$before" "the database after a wrong passphrase"
pw 'saidova passphrase'
out=$(expect_ok "$R" --data "$D" --user saidova --passphrase-fd 3 show consultations "$id" 3<"$TMPDIR/pw")
assert_contains "$out" "SECRETMARK-Рахимов" "the lawyer reads the name"
# HAMROH_USER names the user as --user does.
pw 'saidova passphrase'
out=$(HAMROH_USER=saidova expect_ok "$R" --data "$D" --passphrase-fd 3 list consultations 3<"$TMPDIR/pw")
assert_contains "$out" "$id" "HAMROH_USER signs in"
# A filter on a confidential field matches the opened value, not the stored ciphertext.
pw 'saidova passphrase'
out=$(HAMROH_USER=saidova expect_ok "$R" --data "$D" --passphrase-fd 3 list consultations client_name=SECRETMARK-Рахимов 3<"$TMPDIR/pw")
assert_contains "$out" "$id" "list filters on the client's name"
pw 'saidova passphrase'
out=$(HAMROH_USER=saidova expect_ok "$R" --data "$D" --passphrase-fd 3 list consultations client_name=Someone-Else 3<"$TMPDIR/pw")
[ "$(printf '%s\n' "$out" | wc -l)" -le 1 ] || die "a filter on another name listed records: $out"
# Node only: no passphrase asked (fd 3 is not even open).
expect_ok "$R" --data "$D" --user saidova list directory >/dev/null
expect_ok "$R" --data "$D" status >/dev/null

# --- the statistician counts, and reads no confidential field -----------------
pw 'karimov passphrase'
expect_fail "a statistician's list" "$R" --data "$D" --user karimov --passphrase-fd 3 \
    list consultations 3<"$TMPDIR/pw"
assert_contains "$ERR" "counts only" "a statistician's list"
out=$(expect_ok "$R" --data "$D" --user karimov stats consultations --by center)
assert_contains "$out" "Khorog" "a statistician's stats"
# Only admins manage users.
pw 'saidova passphrase' 'new one for karimov'
expect_fail "a lawyer's user passwd of another" "$R" --data "$D" --user saidova \
    --passphrase-fd 3 user passwd karimov 3<"$TMPDIR/pw"
assert_contains "$ERR" "this needs the role admin" "a lawyer's user passwd of another"

# --- center keys on disk: sealed, node.key alone opens none -------------------
pw 'rahimova passphrase' 'network key holder'
expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 network create --name tj \
    3<"$TMPDIR/pw" >/dev/null
pw 'saidova passphrase'
id2=$(expect_ok "$R" --data "$D" --user saidova --passphrase-fd 3 add consultations opened_at=2026-11-20 channel=walk_in topic=patent client_sex=F status=open \
    center=Khorog client_name=SEALEDMARK 3<"$TMPDIR/pw")
[ -s "$D/center.keys" ] || die "network create made no center key"
awk '{ if (length($3) != 160) exit 1 }' "$D/center.keys" ||
    die "center.keys holds a key that is not sealed: $(cut -c1-60 "$D/center.keys")"
# A thief's copy of the data dir, with node.key and without a passphrase.
cp -a "$D" "$TMPDIR/stolen"
expect_fail "the stolen copy without a user" "$R" --data "$TMPDIR/stolen" export
for u in saidova rahimova; do
	pw 'guess one'
	expect_fail "the stolen copy, $u, a guess" "$R" --data "$TMPDIR/stolen" --user $u \
	    --passphrase-fd 3 export 3<"$TMPDIR/pw"
done
! grep -rqa SEALEDMARK "$TMPDIR/stolen" || die "a name written in a network is on disk in clear"

# --- removing a user; rekey; the recovery code ------------------------------
pw 'rahimova passphrase'
expect_fail "the last admin" "$R" --data "$D" --user rahimova --passphrase-fd 3 \
    user rm rahimova 3<"$TMPDIR/pw"
assert_contains "$ERR" "last admin" "the last admin"
pw 'rahimova passphrase'
expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 user rm saidova \
    3<"$TMPDIR/pw" >/dev/null
pw 'saidova passphrase'
expect_fail "a removed user" "$R" --data "$D" --user saidova --passphrase-fd 3 \
    list consultations 3<"$TMPDIR/pw"
assert_contains "$ERR" "no user 'saidova'" "a removed user"
keys0=$(sha256sum <"$D/center.keys")
pw 'rahimova passphrase'
expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 user rekey 3<"$TMPDIR/pw" >/dev/null
[ "$(sha256sum <"$D/center.keys")" != "$keys0" ] || die "user rekey left center.keys as it was"
pw 'rahimova passphrase'
out=$(expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 show consultations \
    "$id2" 3<"$TMPDIR/pw")
assert_contains "$out" "SEALEDMARK" "the admin reads after a rekey"
# A forgotten admin passphrase: the recovery code (any case, any dashes).
pw "$(tr 'A-Z' 'a-z' <<<"${code//-/}")" 'rahimova new passphrase'
expect_ok "$R" --data "$D" --passphrase-fd 3 user passwd rahimova --recovery \
    3<"$TMPDIR/pw" >/dev/null
pw 'rahimova passphrase'
expect_fail "the old admin passphrase" "$R" --data "$D" --user rahimova --passphrase-fd 3 \
    list consultations 3<"$TMPDIR/pw"
pw 'rahimova new passphrase'
out=$(expect_ok "$R" --data "$D" --user rahimova --passphrase-fd 3 show consultations \
    "$id" 3<"$TMPDIR/pw")
assert_contains "$out" "SECRETMARK-Рахимов" "the new admin passphrase reads"
pw 'AAAAA-AAAAA-AAAAA-AAAAA' 'x new passphrase'
expect_fail "a wrong recovery code" "$R" --data "$D" --passphrase-fd 3 user passwd \
    rahimova --recovery 3<"$TMPDIR/pw"
assert_contains "$ERR" "recovery code does not open" "a wrong recovery code"
echo "t_users: ok"

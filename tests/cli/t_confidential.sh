#!/usr/bin/env bash
# timeout: 240
# Proves consultations' personal fields are sealed to their center: in a chain capital(Dushanbe) - region(Khujand) - district(Dushanbe), a name, phone and summary written at the capital never appear in the region's database, export or traffic, the region shows "[encrypted]" yet still counts the record, and the district (same center, key from its invite) reads them. Sealing cannot be skipped: values that only look sealed (bad syntax, unknown keyid, another center's key) are sealed like any text and never reach M in clear, while a genuine export --sealed re-imported at C is kept byte for byte; a confidential field forged in clear or sealed to another center's key (tests/tools/forge) is refused and audited at every node, and every node verifies.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
cleanup() {
	kill_agents
	local p
	for p in "$T"/cap*.pid; do
		if [ -f "$p" ]; then kill "$(cat "$p")" 2>/dev/null || true; fi
	done
}
trap cleanup EXIT

mknode A Dushanbe
mknode M Khujand
mknode C Dushanbe
expect_ok on A network create --name tj-legal >/dev/null
expect_ok on A center add Khujand "Khujand center" >/dev/null
for n in M C; do
	case $n in M) c=Khujand r=center ;; C) c=Dushanbe r=office ;; esac
	tok=$(expect_ok on A invite "$(on $n id --invite)" --name $n --center $c --role $r)
	expect_ok on $n join "$tok" >/dev/null
done
[ "$(stat -c %a "$T/A/center.keys")" = 600 ] || die "A's center.keys is not mode 600"
[ -f "$T/C/center.keys" ] || die "C got no center key from its invite"
[ ! -f "$T/M/center.keys" ] || ! grep -q " Dushanbe$" "$T/M/center.keys" ||
    die "M (Khujand) holds Dushanbe's key"

# capture NAME TARGET_PORT: a recording relay; sets CAP_<NAME> to its port.
capture() {
	python3 "$HAMROH_REPO/tests/cli/tcpcapture.py" "$T/$1.port" "$2" "$T/$1.bin" &
	echo $! >"$T/cap$1.pid"
	wait_for "relay $1" 10 test -s "$T/$1.port"
	eval "CAP_$1=$(cat "$T/$1.port")"
}
start_agent A
capture MA "$PORT_A"
expect_ok on M peer add "127.0.0.1:$CAP_MA" "$(on A id)" >/dev/null
start_agent M
capture CM "$PORT_M"
expect_ok on C peer add "127.0.0.1:$CAP_CM" "$(on M id)" >/dev/null
start_agent C

name="Zarina Marker-Qodirova" phone="+992 93 555 0199" summary="Passport held by employer Marker-Stroy in Kazan"
id=$(expect_ok on A add consultations center=Dushanbe opened_at=2026-11-20 \
    channel=walk_in client_sex=F client_age=29 destination=RU topic=documents_lost \
    status=open client_name="$name" client_phone="$phone" summary="$summary")
wait_for "the consultation at C through M" 30 on C show consultations "$id"

# The district, same center: plaintext everywhere.
shown=$(on C show consultations "$id" --json)
for m in "$name" "$phone" "$summary"; do
	assert_contains "$shown" "$m" "C (same center) reads the field"
done
assert_contains "$(on C history consultations "$id" --json)" "$name" "C's history"
# The capital (admin): plaintext too.
assert_contains "$(on A export)" "$summary" "A's export"

# The region, another center: "[encrypted]", never the plaintext.
shown=$(on M show consultations "$id" --json)
assert_contains "$shown" '"client_name":"[encrypted]"' "M shows the name as encrypted"
assert_contains "$shown" '"summary":"[encrypted]"' "M shows the summary as encrypted"
assert_contains "$shown" '"topic":"documents_lost"' "M still sees the clear fields"
assert_contains "$(on M stats consultations --by topic --json)" "documents_lost" "M's stats count it"
# Rotation: new writes use version 2, which reaches C as a keys record;
# what was written under version 1 stays readable.
expect_ok on A key rotate Dushanbe >/dev/null
assert_contains "$(on A key list)" "v2" "A holds version 2"
id2=$(expect_ok on A add consultations channel=walk_in center=Dushanbe opened_at=2026-11-21 \
    client_sex=M client_age=41 destination=KZ topic=wage_arrears status=open \
    client_name="Rustam Marker-Two")
has_v2() { on C key list | grep -q "v2 *Dushanbe"; }
wait_for "C holding version 2 of Dushanbe's key" 30 has_v2
wait_for "the second consultation at C" 30 on C show consultations "$id2"
assert_contains "$(on C show consultations "$id2" --json)" "Rustam Marker-Two" "C reads a v2 value"
assert_contains "$(on C show consultations "$id" --json)" "$name" "C still reads the v1 value"
assert_contains "$(on M show consultations "$id2" --json)" '"client_name":"[encrypted]"' "M cannot read v2"
if on M key list | grep -q Dushanbe; then die "M got a Dushanbe key"; fi

# Sealing cannot be skipped: a value that only looks sealed is sealed like
# any other text, whether its syntax is wrong, its keyid unknown, or it
# names a key of another center (A holds Khujand's); only a genuine value
# of its place is kept as it is (C re-imports A's export --sealed).
kh=$(awk '$4 == "Khujand" { print $1; exit }' "$T/A/center.keys")
[ ${#kh} = 16 ] || die "A holds no Khujand key"
b64=FakeSealedMarkerWellFormedAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
fake1="enc1:0000000000000000:FakeSealedMarkerOne"
fake2="enc1:0000000000000000:$b64"
fake3="enc1:$kh:${b64/Marker/MarkerKhujand}"
fid=$(expect_ok on A add consultations channel=walk_in client_sex=F center=Dushanbe opened_at=2026-11-22 \
    status=open topic=documents_lost client_name="$fake1" summary="$fake2")
printf '{"center":"Dushanbe","opened_at":"2026-11-23","channel":"walk_in","topic":"other","client_sex":"F","status":"open","summary":"%s"}\n' \
    "$fake3" >"$T/fake.jsonl"
expect_ok on A import consultations "$T/fake.jsonl" >/dev/null
fid3=$(on A list consultations --json | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get("opened_at") == "2026-11-23": print(r["id"])')
[ ${#fid3} = 32 ] || die "the imported consultation is not listed at A"
dkey=$(awk '$4 == "Dushanbe" { k = $1 } END { print k }' "$T/A/center.keys")
sealed_of() { on "$1" export --sealed consultations | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["id"] == sys.argv[1]: print(r.get(sys.argv[2], ""))' "$2" "$3"; }
for f in "$fid client_name" "$fid summary" "$fid3 summary"; do
	set -- $f
	v=$(sealed_of A "$1" "$2")
	[[ $v == enc1:* && $v != *FakeSealed* ]] || die "A stored its fake-sealed $2 as '$(_show "$v")'"
	assert_contains "$v" "enc1:$dkey:" "A sealed the fake $2 to Dushanbe's newest key"
done
assert_contains "$(on A show consultations "$fid" --json)" "$fake1" "A reads the fake-sealed text as text"
# The genuine sealed values of the first consultation, re-imported at C
# (same center: it holds the key that opens them), are kept byte for byte.
on A export --sealed consultations | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["id"] == sys.argv[1]:
        del r["collection"]
        print(json.dumps(r))' "$id" >"$T/genuine.jsonl"
g=$(sealed_of A "$id" client_name)
[[ $g == enc1:* ]] || die "A's export --sealed shows no sealed name"
expect_ok on C import consultations "$T/genuine.jsonl" >/dev/null
assert_eq "$(sealed_of C "$id" client_name)" "$g" "C kept the genuine sealed value as it is"
assert_contains "$(on C show consultations "$id" --json)" "$name" "C still reads the re-imported name"

# Every judge refuses a confidential field written in clear or sealed to a
# key of another center, forged at C (a modified binary writes unsealed),
# and audit shows it everywhere; the record keeps its name.
FORGE=$HAMROH_BUILD/tools/forge
[ -x "$FORGE" ] || die "no forge tool at $FORGE ('make unit' builds it)"
KC=$(on C id)
s1=$("$FORGE" "$T/C" consultations "$id" client_name="ForgedClear Name") || die "forge at C failed"
s2=$("$FORGE" "$T/C" consultations "$id" client_name="enc1:$kh:${b64//FakeSealedMarker/ForgedSealedOthr}") || die "forge at C failed"
# refused NODE SEQ REASON: NODE's audit lists C's change SEQ of record id.
refused() { on "$1" audit --json | python3 -c '
import json, sys
t = sys.stdin.read().strip()
rows = json.loads(t) if t.startswith("[") else [json.loads(l) for l in t.splitlines()]
sys.exit(0 if any(r["origin"] == sys.argv[1] and r["id"] == sys.argv[2] and
    r["seq"] == int(sys.argv[3]) and sys.argv[4] in r["reason"] for r in rows) else 1)' \
    "$KC" "$id" "$2" "$3"; }
for n in C M A; do
	wait_for "$n's audit listing C's clear name" 60 refused $n "$s1" "its client_name is not sealed"
	wait_for "$n's audit listing C's Khujand-sealed name" 60 refused $n "$s2" \
	    "sealed to key $kh, which is not a key of center 'Dushanbe'"
done
for n in A C; do
	shown=$(on $n show consultations "$id" --json)
	assert_contains "$shown" "$name" "$n keeps the name"
done
on M export >"$T/M.export"
on M history consultations "$id" --json >"$T/M.history"
stop_agent M
for m in "$name" "$phone" "$summary" "Marker" "Rustam" "FakeSealed"; do
	for f in "$T/M/hamroh.db" "$T/M/hamroh.db-wal" "$T/M.export" "$T/M.history" "$T/MA.bin" "$T/CM.bin"; do
		[ -f "$f" ] || continue
		if grep -aqF "$m" "$f"; then die "'$m' in plaintext in $f"; fi
	done
done
[ -s "$T/MA.bin" ] && [ -s "$T/CM.bin" ] || die "nothing captured on M's links"
for n in A C; do stop_agent $n; done
for n in A M C; do expect_ok on $n verify >/dev/null; done
# "[encrypted]" is what a node without the key shows, never a value: an
# export read back must not write it over the real one.
before=$(on C export consultations --sealed)
expect_fail "C writing [encrypted] as a name" on C set consultations "$id" "client_name=[encrypted]"
assert_contains "$ERR" "what a node without the center's key shows" "C's refusal"
assert_eq "$(on C export consultations --sealed)" "$before" "C's data after the refusal"
echo "t_confidential: ok"

#!/usr/bin/env bash
# timeout: 120
# Proves consultations' personal fields are sealed to their center: in a chain capital(Dushanbe) - region(Khujand) - district(Dushanbe), a name, phone and summary written at the capital never appear in the region's database, export or traffic, the region shows "[encrypted]" yet still counts the record, and the district (same center, key from its invite) reads them.
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
for n in M C; do
	case $n in M) c=Khujand r=center ;; C) c=Dushanbe r=office ;; esac
	tok=$(expect_ok on A invite "$(on $n id)" --name $n --center $c --role $r)
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
id2=$(expect_ok on A add consultations center=Dushanbe opened_at=2026-11-21 \
    client_sex=M client_age=41 destination=KZ topic=wage_arrears status=open \
    client_name="Rustam Marker-Two")
has_v2() { on C key list | grep -q "v2 *Dushanbe"; }
wait_for "C holding version 2 of Dushanbe's key" 30 has_v2
wait_for "the second consultation at C" 30 on C show consultations "$id2"
assert_contains "$(on C show consultations "$id2" --json)" "Rustam Marker-Two" "C reads a v2 value"
assert_contains "$(on C show consultations "$id" --json)" "$name" "C still reads the v1 value"
assert_contains "$(on M show consultations "$id2" --json)" '"client_name":"[encrypted]"' "M cannot read v2"
if on M key list | grep -q Dushanbe; then die "M got a Dushanbe key"; fi
on M export >"$T/M.export"
on M history consultations "$id" --json >"$T/M.history"
stop_agent M
for m in "$name" "$phone" "$summary" "Marker" "Rustam"; do
	for f in "$T/M/hamroh.db" "$T/M/hamroh.db-wal" "$T/M.export" "$T/M.history" "$T/MA.bin" "$T/CM.bin"; do
		[ -f "$f" ] || continue
		if grep -aqF "$m" "$f"; then die "'$m' in plaintext in $f"; fi
	done
done
[ -s "$T/MA.bin" ] && [ -s "$T/CM.bin" ] || die "nothing captured on M's links"
echo "t_confidential: ok"

#!/bin/sh
# make demo: three offices sync by carrying bundle files (the USB-stick way;
# the network agent comes next).  Everything happens in a temp dir.
set -eu
H=${HAMROH:-./hamroh}
D=$(mktemp -d "${TMPDIR:-/tmp}/hamroh-demo.XXXXXX")
trap 'rm -rf "$D"' EXIT
say() { printf '\n== %s\n' "$*"; }

say "three nodes: the capital, a regional center, a mountain district"
$H --data "$D/capital" init --name capital --center Dushanbe >/dev/null
$H --data "$D/region" init --name khujand --center Khujand >/dev/null
$H --data "$D/district" init --name murghob --center Murghob >/dev/null

say "the capital publishes a hotline; the district logs a consultation"
hot=$($H --data "$D/capital" add directory name="Migrant hotline" \
    kind=hotline country=RU city=Moscow phone=+74951234567 \
    verified_on=2026-11-01)
c=$($H --data "$D/district" add consultations center=Murghob \
    opened_at=2026-11-20 channel=walk_in client_sex=M client_age=34 \
    destination=RU topic=entry_ban status=open summary="Entry ban check")
echo "hotline $hot, consultation $c"

say "bundles travel capital -> region -> district and back"
$H --data "$D/capital" bundle export "$D/c.hb"
$H --data "$D/region" bundle import "$D/c.hb"
$H --data "$D/region" bundle export "$D/r.hb"
$H --data "$D/district" bundle import "$D/r.hb"
$H --data "$D/district" vector > "$D/district.vec"

say "both sides edit the consultation's status without seeing each other"
$H --data "$D/district" bundle export "$D/d.hb"
$H --data "$D/capital" bundle import "$D/d.hb"
$H --data "$D/district" set consultations "$c" status=referred \
    referred_to="$hot"
$H --data "$D/capital" set consultations "$c" status=closed

say "exchange again, only what the other lacks (--since its vector)"
$H --data "$D/capital" vector > "$D/capital.vec"
$H --data "$D/district" bundle export "$D/d2.hb" --since "$D/capital.vec"
$H --data "$D/capital" bundle export "$D/c2.hb" --since "$D/district.vec"
$H --data "$D/capital" bundle import "$D/d2.hb"
$H --data "$D/district" bundle import "$D/c2.hb"

say "the conflict is visible on both nodes, never silently dropped"
$H --data "$D/district" conflicts

say "same state on both: export is byte-identical"
$H --data "$D/capital" export > "$D/a.jsonl"
$H --data "$D/district" export > "$D/b.jsonl"
cmp "$D/a.jsonl" "$D/b.jsonl" && echo "identical ($(wc -l < "$D/a.jsonl") records)"
$H --data "$D/district" verify

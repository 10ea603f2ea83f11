#!/bin/sh
# make demo: three centers sync by themselves over loopback.  A capital
# office (the admin), a regional center, and a mountain district office
# that reaches the capital only through the region.  The capital publishes
# a guide, the district logs a consultation, and both arrive everywhere.
# Everything lives in a temp dir and the agents stop at the end.
set -eu
H=${HAMROH:-./hamroh}
D=$(mktemp -d "${TMPDIR:-/tmp}/hamroh-demo.XXXXXX")
cleanup() {
	# agent() runs in $(...) subshells: the pids are kept in a file.
	for p in $(cat "$D/pids" 2>/dev/null); do
		kill "$p" 2>/dev/null || true
	done
	for p in $(cat "$D/pids" 2>/dev/null); do
		while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
	done
	rm -rf "$D"
}
trap cleanup EXIT INT TERM
say() { printf '\n== %s\n' "$*"; }

# agent NODE: start its agent on a free loopback port, print the port.
agent() {
	"$H" --data "$D/$1" agent --listen 127.0.0.1:0 --ui-listen 127.0.0.1:0 \
	    >"$D/$1.out" 2>"$D/$1.log" &
	echo $! >>"$D/pids"
	i=0
	until grep -q '^listening on' "$D/$1.out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$D/$1.log"; exit 1; }
		sleep 0.1
	done
	sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$D/$1.out"
}

# wait_show NODE COLL ID: wait (up to 20 s) until NODE has the record.
wait_show() {
	i=0
	until "$H" --data "$D/$1" show "$2" "$3" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 200 ] || { echo "timed out"; exit 1; }
		sleep 0.1
	done
	echo "  $1 has $2 $3 after $((i / 10)).$((i % 10)) s"
}

say "three nodes: capital (Dushanbe), region (Khujand), district (Murghob)"
"$H" --data "$D/capital" init --name capital --center Dushanbe >/dev/null
"$H" --data "$D/region" init --name region --center Khujand >/dev/null
"$H" --data "$D/district" init --name district --center Murghob >/dev/null
"$H" --data "$D/capital" network create --name tj-legal-aid
# The centers consultations and invites name: the capital's own is first.
"$H" --data "$D/capital" center add Khujand "Khujand information center" \
    --region Sughd >/dev/null
"$H" --data "$D/capital" center add Murghob "Murghob information center" \
    --region GBAO >/dev/null

say "the capital invites the region; the region joins and dials it"
pc=$(agent capital)
tok=$("$H" --data "$D/capital" invite "$("$H" --data "$D/region" id)" \
    --name region --center Khujand --role center --address 127.0.0.1:$pc)
"$H" --data "$D/region" join "$tok"
pr=$(agent region)

say "the district joins, and is given the region's address only"
tok=$("$H" --data "$D/capital" invite "$("$H" --data "$D/district" id)" \
    --name district --center Murghob --role office \
    --peer 127.0.0.1:$pr "$("$H" --data "$D/region" id)")
"$H" --data "$D/district" join "$tok"
agent district >/dev/null

say "the capital publishes a guide; the district logs a consultation"
printf '# Patent renewal\n\nRenew before the month ends; keep receipts.\n' \
    >"$D/guide.md"
g=$("$H" --data "$D/capital" guide publish "$D/guide.md" \
    title="Patent renewal" language=tg version_label=2026-11)
c=$("$H" --data "$D/district" add consultations center=Murghob \
    opened_at=2026-11-20 channel=walk_in client_sex=M client_age=34 \
    destination=RU topic=patent status=open summary="Patent renewal")
wait_show district guides "$g"
wait_show capital consultations "$c"

say "status at the district (once its agent has recorded the peer in sync)"
i=0
until "$H" --data "$D/district" status | grep -q "in sync: "; do
	i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1
done
"$H" --data "$D/district" status
say "every node holds the same data"
"$H" --data "$D/district" export --sealed >"$D/district.export"
i=0
until "$H" --data "$D/capital" export --sealed | cmp -s - "$D/district.export"; do
	i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1
	"$H" --data "$D/district" export --sealed >"$D/district.export"
done
echo "  capital and district exports are byte-identical" \
    "($(wc -l <"$D/district.export") records)"
say "stopping the agents"

#!/usr/bin/env bash
# timeout: 120
# Proves the agents sync over real network namespaces (deploy/netns-mesh.sh, 6 nodes on veth links): a district's consultation and the capital's directory entry reach every node, exports end identical, the district's session runs over its region's veth address, and `down` leaves no agent or namespace behind; skips (77) without root or CAP_SYS_ADMIN.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR
MESH=$HAMROH_REPO/deploy/netns-mesh.sh

skip() {
	echo "SKIP: t_netns: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root for ip netns"
command -v ip >/dev/null 2>&1 || skip "no ip command (iproute2)"
probe=hamroh-probe$$
ip netns add "$probe" 2>/dev/null || skip "ip netns add failed (no CAP_SYS_ADMIN)"
ip netns del "$probe"

export HAMROH_MESH_PREFIX=hamroh-t$$ HAMROH_MESH_DIR=$T/mesh
D=$HAMROH_MESH_DIR
N=6
ours() { ip netns list | awk '{ print $1 }' | grep "^$HAMROH_MESH_PREFIX-" || true; }
cleanup() {
	"$MESH" down >/dev/null 2>&1 || echo "t_netns: cleanup: netns-mesh down failed" >&2
	[ -n "${HAMROH_RUNNER:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# The mesh runs $H, lib.sh's wrapper that signs admin in by --passphrase-fd:
# init makes HAMROH_USER each node's first admin, so the commands below can
# sign in as him on any node.
HAMROH=$H "$MESH" up $N >"$T/up.out" 2>"$T/up.err" ||
    die "netns-mesh up $N failed: $(cat "$T/up.err")"
cat "$T/up.out"
assert_eq "$(ours | wc -l)" "$N" "namespaces after up"

# m I ARGS...: hamroh on mesh node I (the data dir is on the host fs).
m() {
	local i=$1; shift
	"$H" --data "$D/node$i" "$@"
}
# Node 4 is the first district (Isfara), linked to region 1 (Khujand) only.
district=4 region=1
assert_eq "$(awk -v i=$district '$1 == i { print $4 "/" $5 }' "$D/nodes")" \
    "Isfara/office" "node $district in the nodes file"
read -r region_ip district_ip < <(awk -v a=$region -v b=$district \
    '$1 == a && $2 == b { print $3, $4 }' "$D/links") || true
[ -n "$region_ip" ] || die "no link $region-$district in $D/links: $(cat "$D/links")"
[ "$(grep -c " $district " "$D/links")" -eq 1 ] ||
    die "district $district should have one link: $(cat "$D/links")"
# The link is real: an address in the district's namespace, and nothing
# beyond its neighbour is routed (the capital's addresses are unreachable).
ip -n "$HAMROH_MESH_PREFIX-n$district" -br addr | grep -q "$district_ip/30" ||
    die "no $district_ip/30 in namespace n$district"
ip -n "$HAMROH_MESH_PREFIX-n$district" route get 10.44.0.1 >/dev/null 2>&1 &&
    die "the district has a route to the capital's link; expected none"

c1=$(expect_ok m $district add consultations channel=walk_in center=Isfara opened_at=2026-11-20 \
    client_sex=F client_age=29 destination=RU topic=patent status=open \
    summary="walk-in at the district")
a1=$(expect_ok m 0 add directory name="Migrant hotline" kind=hotline country=RU \
    phone=+74950000000 verified_on=2026-11-01)

converged() {
	local i
	m 0 export --sealed >"$T/export.0"
	grep -q "$c1" "$T/export.0" && grep -q "$a1" "$T/export.0" || return 1
	for ((i = 1; i < N; i++)); do
		m "$i" export --sealed | cmp -s - "$T/export.0" || { echo "node $i differs"; return 1; }
	done
}
wait_for "every node's export identical with both records" 40 converged
echo "all $N exports identical ($(lines "$T/export.0") records)"

# The district's session to its region runs over the veth: its peer is the
# region's link address, and nothing it talks to is on loopback.
over_veth() {
	m $district status --json | python3 -c '
import json, sys
ip, region_key = sys.argv[1], sys.argv[2]
peers = json.load(sys.stdin)["peers"]
for p in peers:
    print(p["addr"], p["key"][:16], p["state"])
    if p["addr"].startswith("127.") or p["addr"].startswith("[::1]"):
        sys.exit("a peer on loopback: %s" % p["addr"])
ok = [p for p in peers if p["key"] == region_key and p["addr"].split(":")[0] == ip
      and p["state"].startswith("connected")]
sys.exit(0 if ok else 1)' "$region_ip" "$(m $region id)"
}
wait_for "district connected to the region at $region_ip" 20 over_veth
cat "$T/.wait.out"
# It never reached the capital directly: the region relayed.
capital_key=$(m 0 id)
m $district status --json | grep -q "$capital_key" &&
    die "the district has a session with the capital; expected only the region"

for ((i = 0; i < N; i++)); do expect_ok m "$i" verify >/dev/null; done

expect_ok "$MESH" down >/dev/null
assert_eq "$(ours)" "" "namespaces left after down"
for ((i = 0; i < N; i++)); do
	grep -q "stopped" "$D/node$i.log" || die "agent $i did not log a clean stop: $(tail -n 2 "$D/node$i.log")"
done
expect_ok "$MESH" down >/dev/null	# idempotent
echo "t_netns: ok"

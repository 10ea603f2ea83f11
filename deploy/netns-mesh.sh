#!/usr/bin/env bash
# netns-mesh.sh up N | down [N]: the field topology on real Linux network
# namespaces, one `hamroh agent` in each, so that addresses, ports and routing
# are those of a deployment rather than loopback.  Needs root and iproute2.
#
#   node 0          the capital office (Dushanbe), the network's admin
#   nodes 1..3      regional centers (Khujand, Bokhtar, Khorog), children of 0
#   nodes 4..N-1    district offices, dealt round-robin to the regions
#   cross links     Khujand-Bokhtar (N >= 4); Kulob, a Bokhtar district,
#                   also to Khorog over the Kalaikhum road (N >= 6)
#
# Every link is its own veth pair with a /30: link K joins 10.44.K.1 (lower
# node) and 10.44.K.2.  There is no IP forwarding, so a node reaches only its
# neighbours: a district's commits get to the capital because the region's
# agent relays them, as in the field.  Each agent listens on 0.0.0.0:4411 in
# its namespace and dials its neighbours at their link addresses.
#
# Env: HAMROH             the binary (default ./hamroh)
#      HAMROH_MESH_PREFIX namespace prefix (default hamroh): PREFIX-n0, ...
#      HAMROH_MESH_DIR    state dir: nodeI/ (data), nodeI.log (agent
#                         stderr), nodeI.pid, nodes, links
#                         (default ${TMPDIR:-/tmp}/PREFIX-mesh)
#      HAMROH_USER        if set, init makes him each node's first admin, so
#                         HAMROH must give his passphrase (--passphrase-fd)
# `up` first takes down a mesh left with the same prefix, and on failure takes
# down what it built.  `down` stops the agents (SIGTERM, so they say BYE) and
# deletes the namespaces, whose veths go with them; it keeps the state dir
# for its logs and is safe to run any number of times, after a partial `up` too.
set -eu -o pipefail

PREFIX=${HAMROH_MESH_PREFIX:-hamroh}
D=${HAMROH_MESH_DIR:-${TMPDIR:-/tmp}/$PREFIX-mesh}
H=${HAMROH:-./hamroh}
PORT=4411
MAX_NODES=200
REGIONS=(Khujand Bokhtar Khorog)
# In dealing order: each row is one district for Khujand, Bokhtar, Khorog.
DISTRICTS=(Isfara Kulob Murghob
	   Panjakent Danghara Vanj
	   Istaravshan Farkhor Darvoz
	   Konibodom Vose Ishkoshim
	   Ayni Shahritus Rushon
	   Asht Muminobod Shughnon)

me=netns-mesh
died=0
die() {
	echo "$me: $*" >&2
	died=1
	exit 1
}
usage() {
	echo "usage: deploy/netns-mesh.sh up N | down [N]   (2 <= N <= $MAX_NODES)" >&2
	exit 2
}

# Refuse early, in one line, what would otherwise fail halfway.
preflight() {
	[ "$(id -u)" -eq 0 ] ||
	    die "must run as root (network namespaces and veths need CAP_SYS_ADMIN and CAP_NET_ADMIN)"
	command -v ip >/dev/null 2>&1 ||
	    die "no 'ip' command: install iproute2 (deploy/install-deps.sh)"
	ip netns list >/dev/null 2>&1 ||
	    die "'ip netns' is not available here (kernel without network namespaces?)"
	case $PREFIX in
	*[!A-Za-z0-9_.-]* | "") die "HAMROH_MESH_PREFIX '$PREFIX': use letters, digits, '.', '_' or '-'" ;;
	esac
}

ns() { echo "$PREFIX-n$1"; }

# Our namespaces that exist now: PREFIX-n<digits>, nothing else.
our_namespaces() {
	local name rest
	ip netns list 2>/dev/null | while read -r name _; do
		case $name in "$PREFIX"-n*) ;; *) continue ;; esac
		rest=${name#"$PREFIX"-n}
		[[ $rest =~ ^[0-9]+$ ]] && echo "$name"
	done
}

# alive PID: running and not a zombie waiting for its reaper.
alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ "$st" != Z ]
}

do_down() {
	local f p name pids=() end
	# Agents by their pid files, when the pid is still one of our agents
	# (its command line names our data dir), then anything else still
	# inside our namespaces.
	for f in "$D"/node*.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		[[ $p =~ ^[0-9]+$ ]] || continue
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$D/node" &&
		    pids+=("$p")
	done
	for name in $(our_namespaces); do
		for p in $(ip netns pids "$name" 2>/dev/null); do pids+=("$p"); done
	done
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	end=$((SECONDS + 10))
	for p in "${pids[@]}"; do
		while alive "$p" && [ $SECONDS -lt $end ]; do sleep 0.1; done
		if alive "$p"; then
			echo "$me: agent $p ignored SIGTERM for 10 s; killing it" >&2
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	for name in $(our_namespaces); do
		ip netns del "$name" 2>/dev/null ||
		    echo "$me: could not delete namespace $name" >&2
	done
	rm -f "$D"/node*.pid
	[ -z "$(our_namespaces)" ] || die "namespaces with prefix $PREFIX remain"
}

# links N: one "A B" line per link, A < B.
links() {
	local n=$1 i
	for i in 1 2 3; do [ "$i" -lt "$n" ] && echo "0 $i"; done
	for ((i = 4; i < n; i++)); do echo "$((1 + (i - 4) % 3)) $i"; done
	[ "$n" -lt 4 ] || echo "1 2"
	[ "$n" -lt 6 ] || echo "3 5"
	return 0
}

# center I / role I / name I: what node I is.
center() {
	if [ "$1" -eq 0 ]; then echo Dushanbe
	elif [ "$1" -le 3 ]; then echo "${REGIONS[$1 - 1]}"
	elif [ $(($1 - 4)) -lt ${#DISTRICTS[@]} ]; then echo "${DISTRICTS[$1 - 4]}"
	else printf 'District-%02d\n' "$1"
	fi
}
role() {
	if [ "$1" -eq 0 ]; then echo admin
	elif [ "$1" -le 3 ]; then echo center
	else echo office
	fi
}
name() { center "$1" | tr '[:upper:]' '[:lower:]'; }

hm() {	# hm I ARGS...: hamroh on node I's data dir (no network needed)
	local i=$1; shift
	"$H" --data "$D/node$i" "$@"
}

do_up() {
	local n=$1 i k a b ip_a ip_b ns_a ns_b tok end ns_ center_ role_
	if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 2 ] || [ "$n" -gt $MAX_NODES ]; then
		usage
	fi
	# An absolute path: the agents run under `ip netns exec`, and the
	# summary should name what ran.
	case $H in
	*/*) H=$(cd "$(dirname "$H")" && pwd)/$(basename "$H") ;;
	*) H=$(command -v "$H") || die "HAMROH=$H: not found" ;;
	esac
	[ -x "$H" ] || die "no hamroh binary at $H (build it with make, or set HAMROH)"

	do_down >/dev/null
	if [ -e "$D" ] && [ ! -e "$D/.netns-mesh" ] && [ -n "$(ls -A "$D")" ]; then
		die "state dir $D exists and was not made by $me; set HAMROH_MESH_DIR"
	fi
	rm -rf "$D"
	mkdir -p "$D"
	: >"$D/.netns-mesh"
	ok=0	# global: the EXIT trap reads it after do_up returns
	# On failure take down what was built; name the failure unless die did.
	trap '[ $ok -eq 1 ] || { [ $died -eq 1 ] || echo "$me: up failed (see above; logs in $D)" >&2; do_down >/dev/null 2>&1 || true; }' EXIT

	for ((i = 0; i < n; i++)); do
		ip netns add "$(ns "$i")" 2>"$D/ip.err" ||
		    die "ip netns add $(ns "$i"): $(head -n 1 "$D/ip.err") (needs CAP_SYS_ADMIN in the host's namespaces)"
		ip -n "$(ns "$i")" link set lo up
		echo "$i $(ns "$i") $(name "$i") $(center "$i") $(role "$i")" >>"$D/nodes"
	done
	# Both ends are created inside their namespaces, so the root namespace
	# never holds them and parallel meshes cannot clash on names.
	k=0
	while read -r a b; do
		ns_a=$(ns "$a") ns_b=$(ns "$b")
		ip link add "to$b" netns "$ns_a" type veth peer name "to$a" netns "$ns_b"
		ip -n "$ns_a" addr add "10.44.$k.1/30" dev "to$b"
		ip -n "$ns_b" addr add "10.44.$k.2/30" dev "to$a"
		ip -n "$ns_a" link set "to$b" up
		ip -n "$ns_b" link set "to$a" up
		echo "$a $b 10.44.$k.1 10.44.$k.2" >>"$D/links"
		k=$((k + 1))
	done < <(links "$n")

	# Nodes, the network, and every membership: all on the data dirs.
	for ((i = 0; i < n; i++)); do
		hm "$i" init --name "$(name "$i")" --center "$(center "$i")" >/dev/null
	done
	hm 0 network create --name tj-legal-aid >/dev/null
	for ((i = 1; i < n; i++)); do
		hm 0 center list | grep -q "^$(center "$i") " ||
		    hm 0 center add "$(center "$i")" "$(center "$i")" >/dev/null
		tok=$(hm 0 invite "$(hm "$i" id --invite 2>/dev/null || hm "$i" id)" --name "$(name "$i")" \
		    --center "$(center "$i")" --role "$(role "$i")")
		hm "$i" join "$tok" >/dev/null
	done
	while read -r a b ip_a ip_b; do
		hm "$a" peer add "$ip_b:$PORT" "$(hm "$b" id)" >/dev/null
		hm "$b" peer add "$ip_a:$PORT" "$(hm "$a" id)" >/dev/null
	done <"$D/links"

	for ((i = 0; i < n; i++)); do
		ip netns exec "$(ns "$i")" "$H" --data "$D/node$i" agent \
		    --listen "0.0.0.0:$PORT" </dev/null >"$D/node$i.out" \
		    2>"$D/node$i.log" &
		echo $! >"$D/node$i.pid"
	done
	end=$((SECONDS + 15))
	for ((i = 0; i < n; i++)); do
		until grep -q '^listening on' "$D/node$i.out" 2>/dev/null; do
			alive "$(cat "$D/node$i.pid")" ||
			    die "agent $i ($(name "$i")) exited: $(tail -n 1 "$D/node$i.log")"
			[ $SECONDS -lt $end ] ||
			    die "agent $i ($(name "$i")) not listening after 15 s"
			sleep 0.1
		done
	done
	ok=1

	echo "$me: $n nodes, $k links; namespaces $(ns 0)..$(ns $((n - 1))); state in $D"
	printf '  %-4s %-16s %-6s %-12s %s\n' node namespace role center \
	    "links (address here -> neighbour)"
	while read -r i ns_ _ center_ role_; do
		printf '  %-4s %-16s %-6s %-12s' "$i" "$ns_" "$role_" "$center_"
		while read -r a b ip_a ip_b; do
			if [ "$a" = "$i" ]; then printf ' %s->%s' "$ip_a" "$(center "$b")"
			elif [ "$b" = "$i" ]; then printf ' %s->%s' "$ip_b" "$(center "$a")"
			fi
		done <"$D/links"
		echo
	done <"$D/nodes"
	echo "  each agent: $H --data $D/nodeI agent --listen 0.0.0.0:$PORT"
	echo "  try: $H --data $D/node$((n - 1)) status"
	echo "       ip netns exec $(ns "$((n - 1))") ip -br addr"
	echo "  stop: HAMROH_MESH_PREFIX=$PREFIX HAMROH_MESH_DIR=$D $0 down"
}

[ $# -ge 1 ] || usage
case $1 in
up)	[ $# -eq 2 ] || usage
	preflight
	do_up "$2" ;;
down)	[ $# -le 2 ] || usage
	preflight
	do_down
	echo "$me: down: no agents or namespaces left with prefix $PREFIX (logs in $D)" ;;
*)	usage ;;
esac

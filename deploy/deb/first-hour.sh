#!/bin/bash
# first-hour.sh: README.md's "The coordinating office's first hour", run
# command by command on this machine (make test-deb runs it, root, with
# the package installed): the coordinating office in /var/lib/hamroh, two
# offices (Khorog, Khujand) beside it in /var/lib/hamroh-khorog and
# -khujand, as the user hamroh, on other ports.  Only what a real office
# does by hand differs, and says how: passphrases come from a file
# (--passphrase-fd, not the terminal), tokens are passed by variable, not
# by telephone, and without systemd the agents start in the background.
set -eu

fail() { echo "first-hour: FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
chmod 0755 "$tmp"
pids=
cleanup() {
	local p
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp" /var/lib/hamroh-khorog /var/lib/hamroh-khujand
}
trap cleanup EXIT
printf 'a long passphrase, for tests only\n%.0s' 1 2 3 4 >"$tmp/pass"
chmod 0644 "$tmp/pass"
# sudo -u hamroh CMD: runuser where sudo is missing (a bare container).
sudo() {
	local who
	[ "$1" = -u ] || fail "sudo without -u: $*"
	who=$2; shift 2
	runuser -u "$who" -- "$@" 9<"$tmp/pass"
}
# hamroh: with the passphrase from fd 9, not the terminal.
mkdir "$tmp/bin"
printf '#!/bin/sh\nexec /usr/bin/hamroh --passphrase-fd 9 "$@"\n' >"$tmp/bin/hamroh"
chmod 0755 "$tmp/bin/hamroh"
PATH=$tmp/bin:$PATH

# README step 2: the shorthand.
hamroh-node() { sudo -u hamroh hamroh --data /var/lib/hamroh "$@"; }
# The offices' own machines: the same shorthand, their own data dir.
office() { local at=$1; shift; sudo -u hamroh hamroh --data "/var/lib/hamroh-$at" "$@"; }
install -d -m 0700 -o hamroh -g hamroh /var/lib/hamroh-khorog /var/lib/hamroh-khujand

# 3. The node of the coordinating office and its first admin.
hamroh-node init --name dushanbe-office --center Dushanbe --user karimov >"$tmp/init" ||
    fail "init: $(cat "$tmp/init")"
grep -q 'recovery code' "$tmp/init" || fail "init printed no recovery code"
# 4. The network.
hamroh-node --user karimov network create --name tajik-legal-aid >/dev/null
# 5. The centers.
hamroh-node --user karimov center add Khorog "Khorog center" --region GBAO >/dev/null
hamroh-node --user karimov center add Khujand "Khujand center" --region Sughd >/dev/null
hamroh-node center list >"$tmp/centers"
if ! grep -q '^Khujand ' "$tmp/centers" || ! grep -q '^Dushanbe ' "$tmp/centers" ||
    grep -q 'not yet in the list' "$tmp/centers"; then
	fail "center list: $(cat "$tmp/centers")"
fi
# 6. The agent (here on loopback ports, three agents on one machine).
start() {	# start DIR LISTEN UI
	runuser -u hamroh -- /usr/bin/hamroh --data "$1" agent --listen "$2" \
	    --advertise "$2" --ui-listen "$3" >>"$tmp/agents.log" 2>&1 &
	pids="$pids $!"
}
if [ -d /run/systemd/system ]; then
	systemctl start hamroh hamroh-backup.timer
else
	start /var/lib/hamroh 127.0.0.1:4411 127.0.0.1:4412
fi

# 7.-9. Each office: its node, its id --invite, the coordinator's invite,
# join, its agent.
port=4420
for o in khorog:Khorog:rahimova khujand:Khujand:nazarova; do
	d=${o%%:*}; rest=${o#*:}; c=${rest%%:*}; u=${rest#*:}
	office "$d" init --name "$d-office" --center "$c" --user "$u" >/dev/null
	key=$(office "$d" id --invite)
	case $key in *:*) ;; *) fail "id --invite printed '$key'" ;; esac
	token=$(hamroh-node --user karimov invite "$key" --name "$d-office" \
	    --center "$c" --role office --address 127.0.0.1:4411 | tail -n 1)
	office "$d" --user "$u" join "$token" >/dev/null
	port=$((port + 10))
	start "/var/lib/hamroh-$d" 127.0.0.1:$port 127.0.0.1:$((port + 1))
done

# 10. Connected: the coordinator's status names both offices.
deadline=$(($(date +%s) + 60))
until hamroh-node status >"$tmp/status" 2>&1 &&
    grep -q khorog-office "$tmp/status" && grep -q khujand-office "$tmp/status"; do
	[ "$(date +%s)" -lt "$deadline" ] || fail "the offices never showed in status: $(cat "$tmp/status"; tail -5 "$tmp/agents.log")"
	sleep 0.5
done
# 11. The first guide, and it reaches both offices.
printf '# Patent renewal\n\nBring the passport and the old patent.\n' >"$tmp/patent.md"
hamroh-node --user karimov guide publish /dev/stdin title="Patent renewal" \
    language=tg <"$tmp/patent.md" >/dev/null
for d in khorog khujand; do
	deadline=$(($(date +%s) + 60))
	until office "$d" list guides 2>/dev/null | grep -q "Patent renewal"; do
		[ "$(date +%s)" -lt "$deadline" ] || fail "the guide never reached $d: $(tail -5 "$tmp/agents.log")"
		sleep 0.5
	done
done
echo "first-hour: a network, two centers, two offices invited and joined, a guide at both"

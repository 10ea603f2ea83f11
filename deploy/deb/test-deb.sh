#!/bin/sh
# test-deb.sh OLD.deb NEW.deb: install OLD, upgrade to NEW, purge, on the
# real root (`make test-deb`, root only, on a machine to spare), checking
# what the maintainer scripts do: the user hamroh and its state dir, the
# units enabled but not started, a node made and backed up by the
# packaged commands as that user (README.md's first hour, first-hour.sh),
# kept across the upgrade; and after the
# purge, nothing of the package left but /var/lib/hamroh and its backups.
# Copes with systemd not running (a container): nothing is started then.
set -eu

old=$1 new=$2
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run as root (make test-deb)"
# Only on a clean slate: what is there before could not be told apart.
if dpkg-query -W -f='${Status}' hamroh 2>/dev/null | grep -q installed; then
	fail "the package hamroh is installed already; purge it first"
fi
getent passwd hamroh >/dev/null && fail "a user hamroh exists already"
[ ! -e /var/lib/hamroh ] || fail "/var/lib/hamroh exists already"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Every path on this system but the volatile ones, and dpkg's own books
# (its status file and logs change on every install, as they should).
snapshot() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp \
	    -o -path /run -o -path /var/log -o -path /var/cache \
	    -o -path /var/tmp -o -path /var/lib/dpkg -o -path /var/lib/apt \
	    -o -path /root -o -path /home \
	    -o -path "$(cd "$(dirname "$0")/../.." && pwd)" \) -prune -o \
	    -print 2>/dev/null | sort
}
as_hamroh() { runuser -u hamroh -- "$@"; }
snapshot >"$tmp/before"
systemd=no
[ -d /run/systemd/system ] && systemd=yes
echo "test-deb: systemd running: $systemd"

# --- install -------------------------------------------------------------------
dpkg -i "$old" >"$tmp/install.log" 2>&1 || fail "dpkg -i $old: $(cat "$tmp/install.log")"
uid=$(getent passwd hamroh | cut -d: -f3)
if [ -z "$uid" ] || [ "$uid" -ge 1000 ]; then
	fail "no system user hamroh (uid '$uid')"
fi
getent group hamroh >/dev/null || fail "no group hamroh"
[ "$(getent passwd hamroh | cut -d: -f6)" = /var/lib/hamroh ] ||
    fail "the home of hamroh is not /var/lib/hamroh"
for d in /var/lib/hamroh /var/lib/hamroh/backups; do
	[ "$(stat -c '%a %U %G' "$d")" = "700 hamroh hamroh" ] ||
	    fail "$d is $(stat -c '%a %U %G' "$d"), not 700 hamroh hamroh"
done
[ -L /etc/systemd/system/multi-user.target.wants/hamroh.service ] ||
    fail "hamroh.service is not enabled"
[ -L /etc/systemd/system/timers.target.wants/hamroh-backup.timer ] ||
    fail "hamroh-backup.timer is not enabled"
if [ $systemd = yes ] && systemctl is-active --quiet hamroh; then
	fail "hamroh.service was started on install"
fi
[ "$(hamroh --version)" = "hamroh $(cat "$(dirname "$0")/../../VERSION")" ] ||
    fail "hamroh --version: $(hamroh --version)"
man -w hamroh >/dev/null 2>&1 || fail "man hamroh finds no page"

# README.md's first hour, as the user the agent runs as: it makes the
# coordinating office's node here (and two offices beside it).
"$(dirname "$0")/first-hour.sh" || fail "README.md's first hour failed"
as_hamroh /usr/lib/hamroh/daily-backup /var/lib/hamroh 14 >"$tmp/backup.log" 2>&1 ||
    fail "daily-backup as hamroh: $(cat "$tmp/backup.log")"
backup=/var/lib/hamroh/backups/hamroh-$(date -u +%Y-%m-%d).db
[ -s "$backup" ] || fail "no $backup after daily-backup"
[ "$(stat -c '%a %U' "$backup")" = "600 hamroh" ] ||
    fail "$backup is $(stat -c '%a %U' "$backup")"
id1=$(as_hamroh hamroh --data /var/lib/hamroh id | head -n 1)

# --- upgrade -------------------------------------------------------------------
dpkg -i "$new" >"$tmp/upgrade.log" 2>&1 || fail "dpkg -i $new: $(cat "$tmp/upgrade.log")"
v=$(dpkg-query -W -f='${Version}' hamroh)
[ "$v" = "$(dpkg-deb -f "$new" Version)" ] || fail "after the upgrade the version is $v"
[ "$(getent passwd hamroh | cut -d: -f3)" = "$uid" ] || fail "the upgrade changed the uid of hamroh"
[ "$(as_hamroh hamroh --data /var/lib/hamroh id | head -n 1)" = "$id1" ] ||
    fail "the node is not the same after the upgrade"
[ -L /etc/systemd/system/multi-user.target.wants/hamroh.service ] ||
    fail "the upgrade disabled hamroh.service"

# --- purge ---------------------------------------------------------------------
dpkg --purge hamroh >"$tmp/purge.log" 2>&1 || fail "dpkg --purge: $(cat "$tmp/purge.log")"
! getent passwd hamroh >/dev/null || fail "the user hamroh is left after purge"
! getent group hamroh >/dev/null || fail "the group hamroh is left after purge"
if [ ! -s "$backup" ] || [ ! -f /var/lib/hamroh/node.key ]; then
	fail "purge removed the node or its backups"
fi
snapshot >"$tmp/after"
diff "$tmp/before" "$tmp/after" >"$tmp/diff" || true
left=$(grep '^[<>]' "$tmp/diff" | grep -v '^> /var/lib/hamroh\(/.*\)\{0,1\}$' || true)
[ -z "$left" ] || fail "after the purge, besides /var/lib/hamroh: $left"
echo "test-deb: kept after purge: $(grep -c '^> ' "$tmp/diff") paths, all under /var/lib/hamroh"
rm -rf /var/lib/hamroh
echo "test-deb: install, upgrade and purge ok"

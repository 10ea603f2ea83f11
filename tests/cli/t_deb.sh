#!/usr/bin/env bash
# timeout: 240
# Proves `make deb`'s package (deploy/deb/mkdeb.sh, from the plain build) is whole: dpkg-deb -I names it hamroh VERSION-1 with a Depends: holding the package of every library the binary links and adduser; dpkg-deb -c lists exactly its files with their modes; lintian (informational tags too) reports nothing; in a dpkg-deb -x tree the binary prints its version and help, man -l renders hamroh(1) without a warning, the completion loads in bash and completes a command; the unit runs as the user hamroh, the maintainer scripts pass sh -n and shellcheck, and daily-backup writes a backup and keeps the newest 14.
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

# The plain build: what `make deb` packages (make test builds it first).
bin=$HAMROH_REPO/build/plain/hamroh
[ -x "$bin" ] || die "no $bin: the package is made from the plain build ('make')"
for t in dpkg-deb dpkg-shlibdeps lintian man; do
	command -v "$t" >/dev/null || die "$t is missing: run deploy/install-deps.sh"
done
version=$(cat "$HAMROH_REPO/VERSION")
arch=$(dpkg --print-architecture)
deb=$("$HAMROH_REPO/deploy/deb/mkdeb.sh" "$bin" "$version-1" "$T/out" 2>"$T/mkdeb.err") ||
    die "mkdeb.sh failed: $(cat "$T/mkdeb.err")"
assert_eq "$deb" "$T/out/hamroh_$version-1_$arch.deb" "the package's name"
[ -z "$(ls -A "$T/out" | grep -v '\.deb$')" ] || die "mkdeb.sh left $(ls -A "$T/out")"

# --- dpkg-deb -I: the control fields ------------------------------------------
assert_eq "$(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')" \
    "Package: hamroh Version: $version-1 Architecture: $arch " "control fields"
depends=$(dpkg-deb -f "$deb" Depends)
dpkg-deb -I "$deb" >"$T/info" || die "dpkg-deb -I failed"
for s in postinst prerm postrm; do
	grep -q " $s " "$T/info" || die "dpkg-deb -I lists no $s: $(cat "$T/info")"
done
# Depends: every library the binary links (NEEDED), by the Debian package
# that has it, so a library another branch links later is there without a list.
need="adduser"
while read -r lib; do
	# /lib or /usr/lib, whichever dpkg recorded (usrmerge).
	pkg=$({ dpkg -S "$lib" || dpkg -S "/usr${lib#/usr}" ||
	    dpkg -S "${lib#/usr}"; } 2>/dev/null | head -n 1 | cut -d: -f1)
	[ -n "$pkg" ] || die "no Debian package holds $lib"
	need="$need $pkg"
done < <(ldd "$bin" | awk -v need=" $(objdump -p "$bin" | awk '$1 == "NEEDED" { printf "%s ", $2 }')" \
    'index(need, " " $1 " ") && $3 ~ /^\// { print $3 }')
for p in $need libsodium23 libsqlite3-0 libuv1 libmsgpackc2 libzstd1 libmicrohttpd12; do
	[[ ", $depends," == *", $p "* || ", $depends," == *", $p,"* ]] ||
	    die "Depends: lacks $p (the binary needs it): $depends"
done

# --- dpkg-deb -c: exactly these files, with these modes --------------------------
dpkg-deb -c "$deb" | awk '{ print $1, $2, $6 }' | grep -v '/$' | sort >"$T/files"
cat >"$T/want" <<EOT
-rw-r--r-- root/root ./usr/lib/systemd/system/hamroh-backup.service
-rw-r--r-- root/root ./usr/lib/systemd/system/hamroh-backup.timer
-rw-r--r-- root/root ./usr/lib/systemd/system/hamroh.service
-rw-r--r-- root/root ./usr/share/bash-completion/completions/hamroh
-rw-r--r-- root/root ./usr/share/doc/hamroh/README.Debian
-rw-r--r-- root/root ./usr/share/doc/hamroh/changelog.Debian.gz
-rw-r--r-- root/root ./usr/share/doc/hamroh/copyright
-rw-r--r-- root/root ./usr/share/lintian/overrides/hamroh
-rw-r--r-- root/root ./usr/share/man/man1/hamroh.1.gz
-rwxr-xr-x root/root ./usr/bin/hamroh
-rwxr-xr-x root/root ./usr/lib/hamroh/daily-backup
EOT
sort -o "$T/want" "$T/want"
diff -u "$T/want" "$T/files" >"$T/files.diff" || die "dpkg-deb -c: $(cat "$T/files.diff")"
dpkg-deb -c "$deb" | awk '$1 ~ /^d/ && $1 != "drwxr-xr-x" { bad = 1; print } END { exit bad }' ||
    die "a folder of the package is not 0755"

# --- lintian: nothing, informational tags included -------------------------------
lintian -I --tag-display-limit 0 "$deb" >"$T/lintian" 2>&1 || true
grep -v 'running with root privileges' "$T/lintian" >"$T/lintian.tags" || true
[ ! -s "$T/lintian.tags" ] || die "lintian: $(cat "$T/lintian.tags")"

# --- the extracted tree -----------------------------------------------------------------
R=$T/root
dpkg-deb -x "$deb" "$R"
assert_eq "$("$R/usr/bin/hamroh" --version)" "hamroh $version" "hamroh --version from the package"
"$R/usr/bin/hamroh" --help >"$T/help" || die "hamroh --help from the package failed"
assert_contains "$(cat "$T/help")" "usage: hamroh" "hamroh --help from the package"
MANWIDTH=80 man --warnings -l "$R/usr/share/man/man1/hamroh.1.gz" >"$T/man" 2>"$T/man.err" ||
    die "man -l failed: $(cat "$T/man.err")"
[ ! -s "$T/man.err" ] || die "man -l warned: $(cat "$T/man.err")"
for w in NAME SYNOPSIS "bundle export" "network create" invite FILES; do
	grep -qF "$w" "$T/man" || die "the man page lacks '$w'"
done
# The man page and the completion are the binary's own, not copies.
zcat "$R/usr/share/man/man1/hamroh.1.gz" | cmp -s - <("$bin" help --man) ||
    die "the packaged man page is not 'hamroh help --man'"
comp=$(bash -c '. "$1"; COMP_WORDS=(hamroh bun); COMP_CWORD=1; _hamroh; echo "${COMPREPLY[*]}"
    COMP_WORDS=(hamroh bundle ex); COMP_CWORD=2; _hamroh; echo "${COMPREPLY[*]}"
    complete -p hamroh' _ "$R/usr/share/bash-completion/completions/hamroh") ||
    die "the completion script does not load in bash"
assert_eq "$comp" "bundle
export
complete -o default -F _hamroh hamroh" "completing 'hamroh bun' and 'hamroh bundle ex'"

# The units: the agent as the user hamroh, both on the packaged binary.
unit=$R/usr/lib/systemd/system/hamroh.service
for kv in User=hamroh Group=hamroh StateDirectory=hamroh StateDirectoryMode=0700 \
    "ExecStart=/usr/bin/hamroh --data /var/lib/hamroh agent" WantedBy=multi-user.target; do
	grep -qxF "$kv" "$unit" || die "the packaged unit lacks '$kv'"
done
! grep -q '^DynamicUser' "$unit" || die "the packaged unit still has DynamicUser"
grep -qxF 'ExecStart=/usr/lib/hamroh/daily-backup /var/lib/hamroh 14' \
    "$R/usr/lib/systemd/system/hamroh-backup.service" || die "the backup service's ExecStart"
grep -qxF 'OnCalendar=daily' "$R/usr/lib/systemd/system/hamroh-backup.timer" ||
    die "the backup timer is not daily"
if command -v systemd-analyze >/dev/null; then
	# Units naming a user that exists only after postinst: check syntax.
	systemd-analyze verify --root="$R" "$unit" 2>&1 | grep -v 'hamroh\b.*user\|Failed to resolve' |
	    grep -i 'unknown\|invalid' && die "systemd-analyze verify: the unit has bad lines"
fi

# Maintainer scripts: POSIX sh, shellcheck clean.
dpkg-deb -e "$deb" "$T/ctl"
for s in postinst prerm postrm; do
	sh -n "$T/ctl/$s" || die "$s: not valid sh"
	if command -v shellcheck >/dev/null; then
		shellcheck -s sh "$T/ctl/$s" >"$T/sc" 2>&1 || die "shellcheck $s: $(cat "$T/sc")"
	fi
done

# daily-backup: a backup of today, the newest 14 kept, nothing else touched.
mknode N Khujand
mkdir -m 0700 "$T/N/backups"
for d in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16; do
	: >"$T/N/backups/hamroh-2026-01-$d.db"
done
: >"$T/N/backups/keep-me.txt"
HAMROH=$R/usr/bin/hamroh "$R/usr/lib/hamroh/daily-backup" "$T/N" 14 >"$T/db.out" ||
    die "daily-backup failed: $(cat "$T/db.out")"
today=hamroh-$(date -u +%Y-%m-%d).db
[ -s "$T/N/backups/$today" ] || die "daily-backup wrote no $today: $(cat "$T/db.out")"
assert_eq "$(ls "$T/N/backups" | grep -c '^hamroh-.*\.db$')" 14 "backups kept"
[ -e "$T/N/backups/keep-me.txt" ] || die "daily-backup removed a file that is not its own"
[ ! -e "$T/N/backups/hamroh-2026-01-03.db" ] && [ -e "$T/N/backups/hamroh-2026-01-04.db" ] ||
    die "daily-backup kept the wrong ones: $(ls "$T/N/backups" | tr '\n' ' ')"
assert_eq "$(head -c 15 "$T/N/backups/$today")" "SQLite format 3" "the backup daily-backup wrote"

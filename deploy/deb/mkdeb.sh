#!/bin/sh
# mkdeb.sh BINARY VERSION OUTDIR: build OUTDIR/hamroh_VERSION_ARCH.deb with
# dpkg-deb from BINARY (a built hamroh), no debhelper.  `make deb` runs it.
# What comes from where:
#   /usr/bin/hamroh         BINARY, stripped
#   hamroh(1), completion   BINARY's 'help --man' and 'help --completion
#                           bash': the same command table as its --help
#   hamroh.service          deploy/hamroh.service, made to run as the
#                           system user hamroh (deploy/deb/README)
#   Depends:                dpkg-shlibdeps on the binary (the libraries it
#                           links, at the versions it needs), and adduser
#                           for the maintainer scripts
#   the rest                the files beside this script
set -eu

[ $# -eq 3 ] || { echo "usage: mkdeb.sh BINARY VERSION OUTDIR" >&2; exit 2; }
bin=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ -x "$bin" ] || { echo "mkdeb: no binary $bin; run 'make' first" >&2; exit 1; }
case $version in
[0-9]*) ;;
*) echo "mkdeb: version '$version' must start with a digit" >&2; exit 1 ;;
esac
for t in dpkg-deb dpkg-shlibdeps strip gzip; do
	command -v "$t" >/dev/null || {
		echo "mkdeb: $t is missing; run deploy/install-deps.sh" >&2
		exit 1
	}
done
arch=$(dpkg --print-architecture)
mkdir -p "$out"
work=$(mktemp -d "$out/.mkdeb.XXXXXX")
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants a source tree: debian/control, the package's files
# in debian/PACKAGE.
mkdir -p "$work/debian"
printf 'Source: hamroh\n\nPackage: hamroh\nArchitecture: any\n' \
    >"$work/debian/control"
root=$work/debian/hamroh
umask 022

install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/hamroh" \
    "$root/usr/lib/systemd/system" "$root/usr/share/man/man1" \
    "$root/usr/share/bash-completion/completions" \
    "$root/usr/share/doc/hamroh" "$root/usr/share/lintian/overrides"
install -m 0755 "$bin" "$root/usr/bin/hamroh"
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
    "$root/usr/bin/hamroh"
install -m 0755 "$here/daily-backup" "$root/usr/lib/hamroh/daily-backup"

# The agent's unit: the one `make install` installs, but as the static
# user hamroh (DynamicUser= would give the CLI no account to run as) and
# without its comments about DynamicUser and systemd-run.
{
	printf '%s\n' "# hamroh.service: the sync agent of one office, from the" \
	    "# Debian package: user hamroh, state in /var/lib/hamroh.  Why" \
	    "# and how to set the node up: /usr/share/doc/hamroh/README.deb."
	sed -n '/^\[Unit\]/,$p' "$repo/deploy/hamroh.service" |
	    sed -e 's|@BINDIR@|/usr/bin|g' \
	    -e 's|^DynamicUser=yes$|Group=hamroh|'
} >"$root/usr/lib/systemd/system/hamroh.service"
grep -qx 'Group=hamroh' "$root/usr/lib/systemd/system/hamroh.service" || {
	echo "mkdeb: deploy/hamroh.service has no DynamicUser=yes line to" \
	    "turn into Group=hamroh" >&2
	exit 1
}
install -m 0644 "$here/hamroh-backup.service" "$here/hamroh-backup.timer" \
    "$root/usr/lib/systemd/system/"
chmod 0644 "$root/usr/lib/systemd/system/hamroh.service"

"$bin" help --man | gzip -9n >"$root/usr/share/man/man1/hamroh.1.gz"
"$bin" help --completion bash \
    >"$root/usr/share/bash-completion/completions/hamroh"
chmod 0644 "$root/usr/share/man/man1/hamroh.1.gz" \
    "$root/usr/share/bash-completion/completions/hamroh"

install -m 0644 "$here/copyright" "$root/usr/share/doc/hamroh/copyright"
install -m 0644 "$here/README" "$root/usr/share/doc/hamroh/README.Debian"
install -m 0644 "$here/lintian-overrides" \
    "$root/usr/share/lintian/overrides/hamroh"
# The changelog's date: the last commit's, so that one tree makes one
# package; a tree without git history takes the binary's time.
when=$(git -C "$repo" log -1 --format=%ct 2>/dev/null || stat -c %Y "$bin")
{
	printf 'hamroh (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Built from the hamroh source tree (README.md, "Install").\n\n'
	printf ' -- hamroh maintainers <maintainers@users.noreply.r-seed-618b90e0.example>  %s\n' \
	    "$(LC_ALL=C date -u -R -d "@$when")"
} | gzip -9n >"$root/usr/share/doc/hamroh/changelog.Debian.gz"
chmod 0644 "$root/usr/share/doc/hamroh/changelog.Debian.gz"

deps=$(cd "$work" && dpkg-shlibdeps -O -Tnone debian/hamroh/usr/bin/hamroh |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "mkdeb: dpkg-shlibdeps found no libraries" >&2; exit 1; }
deps="adduser, $deps"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" \
    -e "s|@DEPENDS@|$deps|" "$here/control.in" >"$root/DEBIAN/control"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) \
    >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
# Every file's time: the changelog's, for a package that does not change.
find "$root" -exec touch -h -d "@$when" {} +

deb=$out/hamroh_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb.tmp" >/dev/null
mv -f "$deb.tmp" "$deb"
echo "$deb"

#!/bin/sh
# Install the Debian packages hamroh needs to build, test and benchmark;
# with --fuzz also clang and its libFuzzer runtime (for 'make fuzz').
# Then the browser tests' one npm package, playwright-core, with `npm ci`
# from tests/browser/package-lock.json (no browser download: the tests
# drive Debian's chromium).
# Run as root (CI does); otherwise it prints the exact command and exits 1.
set -eu

PKGS="build-essential pkg-config libsodium-dev libsqlite3-dev libuv1-dev
libmsgpack-dev libcmocka-dev libzstd-dev python3 bc iproute2"
# The web UI's font: DejaVu Sans has all of Tajik's letters (ғ ӣ қ ӯ ҳ ҷ),
# so the page, and the browser tests' screenshots, show them.
PKGS="$PKGS fonts-dejavu-core"
# The browser tests (tests/browser/): Debian's chromium, node and npm.  A
# node that brings its own npm (nodesource's) is kept: Debian's npm would
# replace it.
PKGS="$PKGS chromium"
command -v node >/dev/null && command -v npm >/dev/null ||
    PKGS="$PKGS nodejs npm"
case "${1:-}" in
--fuzz)	PKGS="$PKGS clang libclang-rt-14-dev" ;;
"")	;;
*)	echo "usage: deploy/install-deps.sh [--fuzz]" >&2; exit 2 ;;
esac
# The web UI's HTTP server (libmicrohttpd), and curl for its tests.
PKGS="$PKGS libmicrohttpd-dev curl"
# Reports written as Excel workbooks (report --xlsx).
PKGS="$PKGS libxlsxwriter-dev"
# The Debian package (make deb; tests/cli/t_deb.sh): dpkg-shlibdeps computes
# its Depends, lintian checks it, man -l renders its page, shellcheck its
# maintainer scripts; adduser is what they call on install.
PKGS="$PKGS dpkg-dev binutils lintian man-db shellcheck adduser"

# npm_ci: tests/browser/node_modules from the committed lockfile.
npm_ci() {
	dir=$(cd "$(dirname "$0")/.." && pwd)/tests/browser
	[ -d "$dir/node_modules/playwright-core" ] && return 0
	echo "install-deps: npm ci in tests/browser"
	(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit \
	    --no-fund)
}

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	npm_ci
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root: apt-get update &&" \
	    "apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
npm_ci

#!/bin/sh
# Install the Debian packages hamroh needs to build, test and benchmark;
# with --fuzz also clang and its libFuzzer runtime (for 'make fuzz').
# Run as root (CI does); otherwise it prints the exact command and exits 1.
set -eu

PKGS="build-essential pkg-config libsodium-dev libsqlite3-dev libuv1-dev
libmsgpack-dev libcmocka-dev libzstd-dev libmicrohttpd-dev python3 bc iproute2
curl"
# The web UI's font: DejaVu Sans has all of Tajik's letters (ғ ӣ қ ӯ ҳ ҷ),
# so the page, and the browser tests' screenshots, show them.
PKGS="$PKGS fonts-dejavu-core"
case "${1:-}" in
--fuzz)	PKGS="$PKGS clang libclang-rt-14-dev" ;;
"")	;;
*)	echo "usage: deploy/install-deps.sh [--fuzz]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
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

#!/usr/bin/env bash
# The ui figures for make bench (runs alone too):
#
#     tests/bench/uibench.sh [HAMROH]
#
# 100,000 consultations imported on a node as an office's are (staff.sh),
# its agent started with --ui-listen 127.0.0.1:0 and the node's admin
# signed in from headless Debian chromium (playwright-core, as
# tests/browser/run.mjs; tests/bench/uibench.mjs measures):
#   ui-first   navigation start to the first row of the consultations
#              list in a warm browser: best and median of several
#              reloads, target <= 300 ms; the floor is the page's own
#              /api/consultations?limit=50 fetched alone from the page.
#   ui-search  a search typed into the list's box until the results are
#              drawn, p50/p99 over ~100 queries (names, phones written
#              another way, case numbers), target p99 <= 100 ms; the
#              floor is /api/search fetched alone from the page.
#   ui-rss     the agent's VmRSS with the UI and that one signed-in user
#              after those, against the same agent with --no-ui on the
#              same data.
# build/bench-100k.jsonl has the generator's default fields (no names, no
# phones), so the same generator's --all-fields output of 100,000 records
# (the same records plus names and phones) is what is imported here.
# BENCH_ONLY=ui runs it; another figure's name runs nothing here.
set -eu
case ${BENCH_ONLY:-} in
''|ui) ;;
*) exit 0 ;;
esac
H=${1:-./hamroh}
CHROMIUM=${HAMROH_CHROMIUM:-/usr/bin/chromium}
N=${UIBENCH_N:-100000}
NM=$(cd "$(dirname "$0")/../browser" && pwd)/node_modules
if [ ! -x "$CHROMIUM" ] || [ ! -d "$NM/playwright-core" ] || ! command -v node >/dev/null; then
	echo "ui         skipped: needs $CHROMIUM, node and tests/browser/node_modules (deploy/install-deps.sh)"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/hamroh-uibench.XXXXXX")
trap 'for p in $(cat "$T/pids" 2>/dev/null); do kill -9 $p 2>/dev/null || true; done; if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi' EXIT
# shellcheck source=tests/bench/staff.sh
. "$(dirname "$0")/staff.sh"
agent() {	# agent DIR OPTION...: start, wait until it listens
	local d=$1; shift
	"$HB" --data "$d" agent --listen 127.0.0.1:0 "$@" >"$d.out" 2>"$d.log" &
	echo $! >>"$T/pids"
	echo $! >"$d.pid"
	disown $!
	until grep -q '^listening on' "$d.out" 2>/dev/null; do sleep 0.05; done
}
rss() {		# rss PID: VmRSS in MiB
	awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

python3 tests/tools/gen_consultations.py "$N" --all-fields >"$T/in.jsonl"
"$H" --data "$T/A" init --name A >/dev/null
"$H" --data "$T/A" network create --name bench >/dev/null
"$H" --data "$T/A" center add x "bench office" --prefix BEN >/dev/null
"$H" --data "$T/A" import consultations "$T/in.jsonl" >/dev/null
rm -f "$T/in.jsonl"

agent "$T/A" --ui-listen 127.0.0.1:0
until grep -q '^ui on ' "$T/A.out"; do sleep 0.05; done
url=$(sed -n 's/^ui on \(http[^ ]*\).*/\1/p' "$T/A.out" | head -n 1)
start=$(rss "$(cat "$T/A.pid")")
HAMROH_UI=${url%/} HAMROH_CHROMIUM=$CHROMIUM HAMROH_USER=bench \
    HAMROH_PASSPHRASE_FILE=$T/passphrase HAMROH_AGENT_PID=$(cat "$T/A.pid") \
    node "$(dirname "$0")/uibench.mjs" 2>"$T/rss" || { cat "$T/rss" >&2; exit 1; }
ui=$(rss "$(cat "$T/A.pid")")
stage() { awk -v s="$1" '$1 == "rss" && $2 == s { printf "%.1f", $3 / 1024 }' "$T/rss"; }
kill "$(cat "$T/A.pid")"
while kill -0 "$(cat "$T/A.pid")" 2>/dev/null; do sleep 0.05; done
agent "$T/A" --no-ui
sleep 1
noui=$(rss "$(cat "$T/A.pid")")
printf 'ui-rss     %7.1f MiB agent, UI and 1 signed-in user   --no-ui %.1f MiB   +%.1f MiB (target: reported)\n' \
    "$ui" "$noui" "$(echo "$ui $noui" | awk '{ print $1 - $2 }')"
printf '           with the UI: %.1f MiB at start, %.1f signed in (search index built, the list drawn once), %.1f after the loads, %.1f after the searches\n' \
    "$start" "$(stage signed-in)" "$(stage after-loads)" "$(stage after-searches)"

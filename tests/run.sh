#!/usr/bin/env bash
# Runs every unit test binary and CLI test script against each build dir.
#
#   tests/run.sh BUILD_DIR[:units]...  e.g. tests/run.sh build/plain:units build/san
#
# For each BUILD_DIR: BUILD_DIR/tests/test_* (cmocka executables, run from the
# repo root), BUILD_DIR/tests/fuzz_replay_* (each fuzz target over its corpus
# in tests/fuzz/corpus/) and tests/cli/t_*.sh (run from their own scratch
# dir), each under `timeout` (300 s, or `# timeout: N` in a script's first 5
# lines), each with a fresh TMPDIR that is removed afterwards.  With :units,
# of the CLI scripts only those with a `# plain: WHY` line in their first 5
# lines run (what only a build without sanitizers shows), as `make test` does
# for build/plain.  Output is shown only on failure.
# Env: TESTS=pattern runs only tests whose name contains pattern;
#      HAMROH_KEEP_FAILED=1 keeps the TMPDIR of failed tests.
# Last line: "N passed, M failed[, K skipped]"; exit 0 iff M == 0.
set -u -o pipefail

if [ $# -eq 0 ]; then
	echo "usage: tests/run.sh BUILD_DIR[:units]..." >&2
	exit 2
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pattern=${TESTS:-}
default_timeout=300
passed=0 failed=0 skipped=0

root=$(mktemp -d "${TMPDIR:-/tmp}/hamroh-tests.XXXXXX") || exit 2
trap 'chmod -R u+rwx "$root" 2>/dev/null; rm -rf "$root"' EXIT
trap 'exit 130' INT TERM

now_us() {	# wall clock in microseconds (bash 5 EPOCHREALTIME, else date)
	local t=${EPOCHREALTIME:-}
	[ -n "$t" ] || t=$(date +%s.%6N)
	echo "${t//[!0-9]/}"
}

script_timeout() {	# "# timeout: N" in the first 5 lines of $1, else default
	local t
	t=$(head -n 5 "$1" | sed -n 's/^#[[:space:]]*timeout:[[:space:]]*\([0-9][0-9]*\).*/\1/p' | head -n 1)
	echo "${t:-$default_timeout}"
}

plain_too() {	# a "# plain: WHY" line in the first 5 lines of $1
	head -n 5 "$1" | grep -q '^#[[:space:]]*plain:'
}

# run_test LABEL TIMEOUT CWD CMD...: run one test in a fresh TMPDIR and report.
run_test() {
	local label=$1 limit=$2 cwd=$3; shift 3
	local tmp log rc pid t0 t1 tenths status
	tmp=$(mktemp -d "$root/t.XXXXXX")
	log=$root/log
	[ "$cwd" != TMP ] || cwd=$tmp
	t0=$(now_us)
	# timeout makes itself a process group leader: once the test is over,
	# whatever it left running in that group is killed too.
	( cd "$cwd" && TMPDIR=$tmp exec timeout --kill-after=10 "$limit" "$@" ) \
	    </dev/null >"$log" 2>&1 &
	pid=$!
	{ wait "$pid"; } 2>/dev/null	# no "Aborted" job notice from bash
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null
	t1=$(now_us)
	tenths=$(( (t1 - t0 + 50000) / 100000 ))
	[ $rc -ne 137 ] || [ $((tenths / 10)) -lt "$limit" ] || rc=124
	case $rc in
	0)	passed=$((passed + 1))
		printf 'ok   %s (%d.%ds)\n' "$label" $((tenths / 10)) $((tenths % 10)) ;;
	77)	skipped=$((skipped + 1))
		printf 'skip %s (%s)\n' "$label" \
		    "$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 | cut -c1-100)" ;;
	*)	failed=$((failed + 1))
		case $rc in
		124) status="timeout after ${limit}s" ;;
		*) status="exit $rc"
		   [ $rc -le 128 ] || status="$status, signal $(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))" ;;
		esac
		printf 'FAIL %s (%s)\n' "$label" "$status"
		tail -n 60 "$log" | sed 's/^/    /'
		if [ -n "${HAMROH_KEEP_FAILED:-}" ]; then
			local keep
			keep=$(mktemp -d "${TMPDIR:-/tmp}/hamroh-failed.XXXXXX")
			cp -a "$tmp/." "$keep/" 2>/dev/null
			echo "    (TMPDIR kept in $keep)"
		fi ;;
	esac
	chmod -R u+rwx "$tmp" 2>/dev/null
	rm -rf "$tmp" "$log"
}

selected() { [ -z "$pattern" ] || [[ $1 == *"$pattern"* ]]; }

for arg in "$@"; do
	units=
	case $arg in *:units) units=1 arg=${arg%:units} ;; esac
	build=${arg%/}
	bname=$(basename "$build")
	if [ ! -d "$build" ]; then
		failed=$((failed + 1))
		echo "FAIL $bname (no such build dir: $build)"
		continue
	fi
	build=$(cd "$build" && pwd)
	(
		export HAMROH=$build/hamroh HAMROH_BUILD=$build HAMROH_REPO=$repo
		export HAMROH_RUNNER=1
		unset HAMROH_DATA HAMROH_CLOCK_OFFSET_MS
		case $bname in
		*san*)	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
			export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ;;
		esac
		for bin in "$build"/tests/test_*; do
			[ -f "$bin" ] && [ -x "$bin" ] || continue
			name=$(basename "$bin")
			selected "$name" || continue
			run_test "$bname/$name" "$default_timeout" "$repo" "$bin"
		done
		# Fuzzer corpora replayed through a plain main(): every input
		# that ever crashed a decoder stays a regression test.
		for bin in "$build"/tests/fuzz_replay_*; do
			[ -f "$bin" ] && [ -x "$bin" ] || continue
			name=$(basename "$bin")
			selected "$name" || continue
			run_test "$bname/$name" "$default_timeout" "$repo" "$bin" \
			    "$repo/tests/fuzz/corpus/fuzz_${name#fuzz_replay_}"
		done
		for script in "$repo"/tests/cli/t_*.sh; do
			[ -f "$script" ] || continue
			name=$(basename "$script" .sh)
			selected "$name" || continue
			[ -z "$units" ] || plain_too "$script" || continue
			run_test "$bname/$name" "$(script_timeout "$script")" TMP \
			    bash "$script"
		done
		echo "$passed $failed $skipped" >"$root/counts"
	)
	if [ -f "$root/counts" ]; then
		read -r p f s <"$root/counts"
		passed=$p failed=$f skipped=$s
		rm -f "$root/counts"
	else
		failed=$((failed + 1))
		echo "FAIL $bname (runner subshell died)"
	fi
done

summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]

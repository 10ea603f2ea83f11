# Shared helpers for tests/cli/t_*.sh: strict mode, $H, gen, mknode, assertions.
#
# Sourced, not run.  Under tests/run.sh HAMROH, HAMROH_BUILD, HAMROH_REPO and a
# fresh TMPDIR are set; run by hand (`HAMROH=./hamroh bash tests/cli/t_x.sh`)
# the defaults below apply and a private TMPDIR is made and removed.
set -eu -o pipefail

CLI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${HAMROH_REPO:=$(cd "$CLI_DIR/../.." && pwd)}"
: "${HAMROH:=$HAMROH_REPO/hamroh}"
: "${HAMROH_BUILD:=$(dirname "$HAMROH")}"
export HAMROH HAMROH_REPO HAMROH_BUILD PYTHONIOENCODING=utf-8
unset HAMROH_DATA HAMROH_CLOCK_OFFSET_MS
H=$HAMROH

if [ -z "${HAMROH_RUNNER:-}" ]; then
	TMPDIR=$(mktemp -d)
	export TMPDIR
	trap 'rm -rf "$TMPDIR"' EXIT
fi

# Staff accounts: every node these tests make has one admin, "admin"
# (init signs HAMROH_USER up), and $H signs him in whenever a command needs
# a user, his passphrase read from a file through --passphrase-fd 9 (never
# argv or the environment).  The real Argon2id cost applies: there is no
# weaker setting.  Tests of accounts themselves run "$HAMROH" with fds of
# their own.
HAMROH_USER=admin
TEST_PASSPHRASE='correct horse battery staple'
export HAMROH_USER
mkdir -p "$TMPDIR/.as-admin"
printf '%s\n' "$TEST_PASSPHRASE" >"$TMPDIR/.as-admin/passphrase"
cat >"$TMPDIR/.as-admin/hamroh" <<EOF_WRAP
#!/bin/sh
exec "$HAMROH" --passphrase-fd 9 "\$@" 9<"$TMPDIR/.as-admin/passphrase"
EOF_WRAP
chmod 700 "$TMPDIR/.as-admin/hamroh"
H=$TMPDIR/.as-admin/hamroh

# Name the command and line that failed when `set -e` ends the script.
trap 'rc=$?; echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: command exited $rc: $BASH_COMMAND" >&2' ERR

die() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -x "$HAMROH" ] || die "no hamroh binary at HAMROH=$HAMROH (build it first)"

# Cut long values down for messages.
_show() {
	local s=$1
	[ ${#s} -le 400 ] || s="${s:0:400}... (${#1} chars)"
	printf '%s' "$s"
}

# gen ARGS...: invented consultations, deterministic for a seed
# (tests/tools/gen_consultations.py: N [--seed S] [--format csv]
# [--all-fields], or N --seed S --edits M --side a|b).
gen() {
	python3 "$HAMROH_REPO/tests/tools/gen_consultations.py" "$@"
}

# py SUBCOMMAND ARGS...: JSON helpers in helpers.py (see that file).
py() {
	python3 "$CLI_DIR/helpers.py" "$@"
}

# holds_none DIR NEEDLE...: no file under DIR (the database, its -wal and
# -shm, key files, backups) holds the bytes of any NEEDLE.
holds_none() {
	local dir=$1 m f; shift
	for m in "$@"; do
		while IFS= read -r -d '' f; do
			if grep -aqF -- "$m" "$f"; then die "'$m' in plaintext in $f"; fi
		done < <(find "$dir" -type f -print0)
	done
}

# on NODE ARGS...: run hamroh on the node in $TMPDIR/NODE.
on() {
	local node=$1; shift
	"$H" --data "$TMPDIR/$node" "$@"
}

# mknode NAME [CENTER]: create and init a node in $TMPDIR/NAME.
mknode() {
	local dir=$TMPDIR/$1
	local -a extra=()
	[ $# -lt 2 ] || extra=(--center "$2")
	mkdir -p "$dir"
	"$H" --data "$dir" init --name "$1" "${extra[@]}" >/dev/null ||
	    die "mknode: 'hamroh --data $dir init --name $1 ${extra[*]}' failed"
}

# expect_fail [--rc N] DESC CMD...: CMD must fail cleanly: exit 1 or 2
# (exactly N if given; never a crash or signal), stderr exactly one line starting
# "hamroh: ".  Sets $ERR to that line and $OUT to stdout.
expect_fail() {
	local want=
	if [ "$1" = --rc ]; then want=$2; shift 2; fi
	local desc=$1; shift
	local rc=0
	"$@" >"$TMPDIR/.fail.out" 2>"$TMPDIR/.fail.err" || rc=$?
	OUT=$(cat "$TMPDIR/.fail.out")
	ERR=$(cat "$TMPDIR/.fail.err")
	[ $rc -ne 0 ] ||
	    die "$desc: expected failure, got exit 0 (stdout: '$(_show "$OUT")', stderr: '$(_show "$ERR")')"
	[ $rc -le 2 ] ||
	    die "$desc: expected a clean failure (exit 1 or 2), got exit $rc$([ $rc -le 128 ] || echo " (signal $((rc - 128)))"); stderr: $(_show "$ERR")"
	[ -z "$want" ] || [ $rc -eq "$want" ] ||
	    die "$desc: expected exit $want, got $rc; stderr: $(_show "$ERR")"
	check_error_line "$desc" "$TMPDIR/.fail.err"
}

# check_error_line DESC FILE: FILE (captured stderr) is exactly one
# newline-terminated line starting with "hamroh: ".
check_error_line() {
	local nl nr text
	text=$(cat "$2")
	nl=$(wc -l <"$2")
	nr=$(awk 'END { print NR }' "$2")
	[ "$nl" -eq 1 ] && [ "$nr" -eq 1 ] ||
	    die "$1: expected exactly one newline-terminated line on stderr, got $nr line(s): $(_show "$text")"
	[[ $text == "hamroh: "* ]] ||
	    die "$1: expected stderr to start with 'hamroh: ', got: $(_show "$text")"
}

# expect_ok CMD...: CMD must exit 0; its stdout is passed through.
expect_ok() {
	local rc=0
	"$@" >"$TMPDIR/.ok.out" 2>"$TMPDIR/.ok.err" || rc=$?
	[ $rc -eq 0 ] ||
	    die "expected success of '$*', got exit $rc; stderr: $(_show "$(cat "$TMPDIR/.ok.err")")"
	cat "$TMPDIR/.ok.err" >&2
	cat "$TMPDIR/.ok.out"
}

# assert_eq ACTUAL EXPECTED DESC
assert_eq() {
	[ "$1" = "$2" ] ||
	    die "$3: expected '$(_show "$2")', got '$(_show "$1")'"
}

# assert_contains HAYSTACK NEEDLE DESC
assert_contains() {
	[[ $1 == *"$2"* ]] ||
	    die "$3: expected to contain '$(_show "$2")', got '$(_show "$1")'"
}

# assert_same_file ACTUAL EXPECTED DESC: byte equality, with a diff excerpt.
assert_same_file() {
	cmp -s "$1" "$2" && return 0
	echo "--- diff $2 (expected) $1 (actual), first lines:" >&2
	diff "$2" "$1" | head -n 20 | cut -c1-300 >&2 || true
	die "$3: $1 differs from $2 ($(wc -l <"$2") vs $(wc -l <"$1") lines)"
}

# wait_for DESC TIMEOUT_S CMD...: poll CMD until it succeeds or time runs out.
wait_for() {
	local desc=$1 limit=$2; shift 2
	local end=$((SECONDS + limit))
	until "$@" >"$TMPDIR/.wait.out" 2>&1; do
		[ $SECONDS -lt $end ] ||
		    die "$desc: not true after ${limit}s; last output of '$*': $(_show "$(cat "$TMPDIR/.wait.out")")"
		sleep 0.1
	done
}

# lines FILE: number of lines.
lines() {
	wc -l <"$1" | tr -d ' '
}

# seq_of NODE ORIGIN: ORIGIN's seq in NODE's vector (0 if absent).
seq_of() {
	local v
	v=$(on "$1" vector) || die "vector on $1 failed"
	echo "$v" | awk -v o="$2" '$1 == o { s = $2 } END { print s + 0 }'
}

# has_consultation NODE ID: the consultation is in NODE's export.
has_consultation() {
	on "$1" export consultations >"$TMPDIR/.has.exp"
	[ "$(py field "$TMPDIR/.has.exp" "$2" id)" = "$2" ]
}

# status_field NODE KEY: one key of `status --json`.
status_field() {
	on "$1" status --json | py get "$2"
}

# assert_no_conflicts NODE DESC: `conflicts --json` succeeds and lists nothing.
assert_no_conflicts() {
	local out
	out=$(on "$1" conflicts --json) || die "$2: conflicts --json on $1 failed"
	assert_eq "$out" "" "$2: conflicts --json on $1"
}

# xfer FROM TO: carry every commit TO lacks from FROM to TO in a bundle
# (FROM exports --since TO's vector; TO imports).
_xfer_n=0
xfer() {
	_xfer_n=$((_xfer_n + 1))
	local f=$TMPDIR/xfer.$_xfer_n.$1-$2
	expect_ok on "$2" vector >"$f.vec"
	expect_ok on "$1" bundle export "$f.bundle" --since "$f.vec" >/dev/null
	expect_ok on "$2" bundle import "$f.bundle" >/dev/null
}

# _ui_opt ARGS...: "--no-ui" unless ARGS ask for the web UI (--ui-listen):
# tests run in parallel and must not all reach for its port 4412.
_ui_opt() {
	local a
	for a in "$@"; do
		case $a in --ui-listen|--ui-listen=*) return 0 ;; esac
	done
	echo --no-ui
}

# start_agent NODE [OPTION...]: run NODE's agent on a free loopback port
# (the caller's environment applies); sets PORT_<NODE>, keeps the pid in
# $TMPDIR/NODE.pid and the log in $TMPDIR/NODE.log (appended).  Without
# --ui-listen among the options the agent serves no web UI; with
# --ui-listen 127.0.0.1:0 it picks a free port, set in UIPORT_<NODE>.
# Scripts that start agents should `trap kill_agents EXIT`.
start_agent() {
	local node=$1; shift
	# Emptied here, not by the redirection: that runs in the child, and
	# wait_for could read the last run's "listening on" before it.
	: >"$TMPDIR/$node.out"
	"$H" --data "$TMPDIR/$node" agent --listen 127.0.0.1:0 $(_ui_opt "$@") \
	    "$@" >"$TMPDIR/$node.out" 2>>"$TMPDIR/$node.log" &
	echo $! >"$TMPDIR/$node.pid"
	wait_for "agent $node listening" 10 grep -q '^listening on' "$TMPDIR/$node.out"
	eval "PORT_$node=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$TMPDIR/$node.out")"
	[ -n "$(_ui_opt "$@")" ] || {
		wait_for "agent $node's UI listening" 10 grep -q '^ui on' "$TMPDIR/$node.out"
		eval "UIPORT_$node=$(sed -n 's|^ui on http://.*:\([0-9]*\)/$|\1|p' "$TMPDIR/$node.out")"
	}
}

# start_agent_nofile NODE N [ARGS...]: start_agent with N file descriptors
# in all, as under `ulimit -n N` (checked in /proc), and with the
# VAR=VALUE words of the array AGENT_ENV, if set, in the agent's
# environment only.
start_agent_nofile() {
	local node=$1 n=$2 pid; shift 2
	: >"$TMPDIR/$node.out"
	env ${AGENT_ENV+"${AGENT_ENV[@]}"} \
	    bash -c 'ulimit -n "$1" && shift && exec "$@"' agent "$n" \
	    "$H" --data "$TMPDIR/$node" agent --listen 127.0.0.1:0 \
	    $(_ui_opt "$@") "$@" >"$TMPDIR/$node.out" 2>>"$TMPDIR/$node.log" &
	pid=$!
	echo $pid >"$TMPDIR/$node.pid"
	wait_for "agent $node listening" 10 grep -q '^listening on' "$TMPDIR/$node.out"
	eval "PORT_$node=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$TMPDIR/$node.out")"
	grep -Eq "^Max open files +$n +$n " "/proc/$pid/limits" ||
	    die "agent $node does not run under RLIMIT_NOFILE $n: $(grep 'open files' "/proc/$pid/limits")"
}

# Helper processes a test starts in the background: their pids in $pids,
# stopped by stop_helpers (the test's EXIT trap calls it).
pids=
stop_helpers() {
	[ -z "$pids" ] || { kill $pids; wait $pids; } 2>/dev/null || true
	pids=
}

# stop_agent NODE: SIGTERM; it must exit 0 within 10 s, logging a clean stop.
stop_agent() {
	local pid
	pid=$(cat "$TMPDIR/$1.pid")
	kill -TERM "$pid"
	wait_for "agent $1 to stop" 10 bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid" || die "agent $1 exited with $? (log: $(tail -3 "$TMPDIR/$1.log"))"
	tail -n 3 "$TMPDIR/$1.log" | grep -q "stopped" ||
	    die "agent $1 did not log a clean stop"
	rm -f "$TMPDIR/$1.pid"
}

# kill_agents: kill -9 every agent start_agent started and that still runs.
kill_agents() {
	local f
	for f in "$TMPDIR"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
	done
}

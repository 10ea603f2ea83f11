#!/usr/bin/env bash
# timeout: 60
# Proves deploy/check-layers passes the tree as it is and fails, naming file, line, header and layer, on each forbidden #include: <uv.h> in a store file or in agent session code, <sqlite3.h> in an agent file, store/ from protocol/, agent/ from store/; that folder rules reach new subfolders (agent/access/ may not have <uv.h>, agent/daemon/ may) and that the tree's own copy is left as it was.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR/tree

# A scratch copy: the sources checked and the table with its script.
copy() {
	rm -rf "$T"
	mkdir -p "$T"
	cp -r "$HAMROH_REPO/deploy" "$HAMROH_REPO/protocol" \
	    "$HAMROH_REPO/store" "$HAMROH_REPO/agent" "$T/"
}

# check: run the copy's check-layers; $OUT its stdout, $RC its exit.
check() {
	RC=0
	OUT=$("$T/deploy/check-layers" 2>"$TMPDIR/cl.err") || RC=$?
}

# add FILE LINE: append an #include line to FILE in the copy.
add() {
	mkdir -p "$(dirname "$T/$1")"
	printf '%s\n' "$2" >>"$T/$1"
	wc -l <"$T/$1"
}

# forbidden FILE INCLUDE LAYER: the copy fails naming exactly that line.
forbidden() {
	local n
	copy
	n=$(add "$1" "#include $2")
	check
	assert_eq "$RC" 1 "check-layers with $2 in $1"
	assert_eq "$OUT" "$1:$n: includes $2, which $3 may not include (see deploy/layers)" "the violation named for $2 in $1"
}

copy
check
assert_eq "$RC" 0 "check-layers on the tree as it is (stdout: $OUT; stderr: $(cat "$TMPDIR/cl.err"))"
assert_eq "$OUT" "" "check-layers output on the tree as it is"

forbidden store/rows.c '<uv.h>' store/
forbidden agent/sync/session.c '<uv.h>' agent/
forbidden agent/cli/cmd_net.c '<sqlite3.h>' agent/
forbidden protocol/msg.c '"store/db.h"' protocol/
forbidden store/judge.c '"agent/daemon/log.h"' store/
forbidden store/db.h '"protocol/msg.h"' store/
forbidden agent/access/relay.c '<uv.h>' agent/

# The daemon files, and a daemon subfolder, may run the loop.
copy
add agent/daemon/loop.c '#include <uv.h>' >/dev/null
add agent/daemon/log.c '#include <uv.h>' >/dev/null
check
assert_eq "$RC" 0 "check-layers with <uv.h> in agent/daemon/ (an old and a new file) (stdout: $OUT)"

# Two violations: both named, one line each.
copy
add store/rows.c '#include <uv.h>' >/dev/null
add agent/cli/main.c '#include <sqlite3.h>' >/dev/null
check
assert_eq "$RC" 1 "check-layers with two violations"
assert_eq "$(printf '%s\n' "$OUT" | wc -l)" 2 "lines for two violations"
assert_contains "$OUT" "agent/cli/main.c:" "the agent's violation"
assert_contains "$OUT" "store/rows.c:" "the store's violation"

# The real tree passes too (and the copies did not touch it).
RC=0
OUT=$("$HAMROH_REPO/deploy/check-layers") || RC=$?
assert_eq "$RC" 0 "check-layers on the repository (stdout: $OUT)"
echo "ok"

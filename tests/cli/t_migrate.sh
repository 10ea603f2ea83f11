#!/usr/bin/env bash
# Proves schema migration: a database from an older version (user_version 1, no peers table, tables built for another field layout) is brought up to date on open, its tables rebuilt from the log with nothing lost; one of version 10 gains the index of the list's order.
. "$(dirname "$0")/lib.sh"
T=$TMPDIR

mknode A Dushanbe
r=$(expect_ok on A add consultations opened_at=2026-11-20 channel=walk_in topic=other client_sex=F center=Dushanbe status=open summary="before upgrade")
on A export >"$T/before"

# Make it look like a version-1 database with stale materialized tables.
python3 - "$T/A/hamroh.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TABLE peers")
db.execute("DROP TABLE peer_status")
db.execute("DROP TABLE IF EXISTS hs_seen")
for t in ("refused", "certs", "revocations", "clock_obs", "fork_proof"):
    db.execute("DROP TABLE IF EXISTS " + t)
db.execute("DELETE FROM c_consultations")
db.execute("UPDATE meta SET v = 'an older layout' WHERE k = 'layout'")
db.execute("PRAGMA user_version = 1")
db.commit()
EOF
on A export >"$T/after"
assert_same_file "$T/after" "$T/before" "export after migrating from version 1"
ver=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$T/A/hamroh.db")
assert_eq "$ver" 12 "schema version after open"
expect_ok on A verify >/dev/null

# Version 10 had no index of the list's order (11) nor of conflicts (12).
idx() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM sqlite_master WHERE name IN (?, ?)", ("c_consultations_newest", "c_consultations_conflicted")).fetchone()[0])' "$T/A/hamroh.db"; }
python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("DROP INDEX c_consultations_newest"); d.execute("DROP INDEX c_consultations_conflicted"); d.execute("PRAGMA user_version = 10"); d.commit()' "$T/A/hamroh.db"
assert_eq "$(idx)" 0 "index dropped for the version-10 copy"
on A export >"$T/after10"
assert_same_file "$T/after10" "$T/before" "export after migrating from version 10"
assert_eq "$(idx)" 2 "the list's and the conflicts' indexes after migrating from version 10"

# A database from a newer hamroh is refused, untouched.
python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute("PRAGMA user_version = 99"); d.commit()' "$T/A/hamroh.db"
expect_fail --rc 2 "open a database from a newer version" on A export
assert_contains "$ERR" "upgrade hamroh" "error for a newer database"
echo "t_migrate: ok"

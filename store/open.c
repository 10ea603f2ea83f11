/*
 * open.c: opening and closing the database: pragmas, schema creation and
 * migration, the WAL and busy handling, the signer, and small accessors.
 */
#include "store/db_int.h"
#include "store/db_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "store/trust.h"

#define SCHEMA_VERSION	12
#define BUSY_MS		10000

/*
 * The materialized tables are derived data: when the field table in
 * schema.c differs from the one they were built for (a new version added
 * fields), drop them, create them anew and replay the log.  Values of
 * fields an older version did not know were kept in the log all along.
 */
/* The field layout of schema.c, as text. */
static void
layout_text(char layout[4096])
{
	const struct coll_def *c;
	const struct field_def *f;
	size_t off = 0;

	for (c = schema_colls; c->name != NULL; c++) {
		off += (size_t)snprintf(layout + off, 4096 - off, "%s(",
		    c->name);
		for (f = c->fields; f->name != NULL; f++)
			off += (size_t)snprintf(layout + off, 4096 - off,
			    "%s %s,", f->name, rows_coltype(f));
		off += (size_t)snprintf(layout + off, 4096 - off, ");");
	}
	/* How writes are judged (store/trust.c): a change means a replay. */
	snprintf(layout + off, 4096 - off, "judged1;");
}

/* Whether the tables were built for this layout (reads only). */
static bool
layout_current(struct db *db)
{
	char layout[4096];
	sqlite3_stmt *st;
	bool same = false;

	layout_text(layout);
	if (sqlite3_prepare_v2(db->h, "SELECT v FROM meta WHERE k = 'layout'",
	    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		same = strcmp((const char *)sqlite3_column_text(st, 0),
		    layout) == 0;
	sqlite3_finalize(st);
	return (same);
}

static int
layout_sync(struct db *db, char err[STORE_ERRLEN])
{
	struct tgt t = TGT("main");
	const struct coll_def *c;
	char layout[4096], sql[256];

	if (layout_current(db))
		return (0);
	layout_text(layout);
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS main.c_%s",
		    c->name);
		if (db_exec(db, sql, err) ||
		    rows_create_table(db, "main", c, err))
			return (-1);
	}
	if (origin_load(db, err) || judge_replay(db, &t, NULL, 0, err)) {
		db_tgt_fini(&t);
		return (-1);
	}
	db_tgt_fini(&t);
	return (db_meta_set(db, "layout", layout, err));
}

/* Has ${table} a column ${col}?  (Migrations may run again.) */
static bool
has_column(struct db *db, const char *table, const char *col)
{
	sqlite3_stmt *st;
	char sql[128];
	bool yes;

	snprintf(sql, sizeof(sql), "SELECT %s FROM %s LIMIT 0", col, table);
	yes = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return (yes);
}

static int
migrate(struct db *db, char err[STORE_ERRLEN])
{
	const struct coll_def *c;
	sqlite3_stmt *st;
	char sql[256];
	int v;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		db_errf(err, "read schema version", db->h);
		sqlite3_finalize(st);
		return (-1);
	}
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v > SCHEMA_VERSION) {
		snprintf(err, STORE_ERRLEN, "database schema version %d is "
		    "newer than this hamroh (%d); upgrade hamroh", v,
		    SCHEMA_VERSION);
		return (-1);
	}
	/* Up to date: no write lock for a read-only command. */
	if (v == SCHEMA_VERSION && layout_current(db))
		return (0);
	if (db_exec(db, "BEGIN IMMEDIATE", err))
		return (-1);
	if (v < 1 && db_exec(db,
	    "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	    "CREATE TABLE origins(idx INTEGER PRIMARY KEY,"
	    " key BLOB NOT NULL UNIQUE);"
	    "CREATE TABLE commits(n INTEGER PRIMARY KEY,"
	    " origin INTEGER NOT NULL, seq INTEGER NOT NULL,"
	    " hlc INTEGER NOT NULL, hash BLOB NOT NULL, body BLOB NOT NULL,"
	    " sig BLOB NOT NULL, UNIQUE(origin, seq));"
	    "CREATE INDEX commits_hlc ON commits(hlc);"
	    "CREATE TABLE held(origin INTEGER NOT NULL, seq INTEGER NOT NULL,"
	    " hash BLOB NOT NULL, body BLOB NOT NULL, sig BLOB NOT NULL,"
	    " PRIMARY KEY(origin, seq));"
	    "CREATE TABLE forks(n INTEGER PRIMARY KEY,"
	    " origin INTEGER NOT NULL, seq INTEGER NOT NULL,"
	    " hash_held BLOB NOT NULL, hash_other BLOB NOT NULL,"
	    " body BLOB NOT NULL, sig BLOB NOT NULL,"
	    " UNIQUE(origin, seq, hash_other));", err))
		goto fail;
	/* 2: addresses to dial (config lives in SQLite too). */
	if (v < 2 && db_exec(db,
	    "CREATE TABLE IF NOT EXISTS peers(addr TEXT PRIMARY KEY, key BLOB,"
	    " added INTEGER NOT NULL);", err))
		goto fail;
	/* 3: what the agent last knew of each peer, for `hamroh status`. */
	if (v < 3 && db_exec(db,
	    "CREATE TABLE IF NOT EXISTS peer_status(key BLOB PRIMARY KEY,"
	    " name TEXT,"
	    " addr TEXT, state TEXT NOT NULL, retry_at INTEGER,"
	    " last_sync INTEGER, last_error TEXT, bytes_in INTEGER,"
	    " bytes_out INTEGER, they_lack INTEGER, we_lack INTEGER,"
	    " updated INTEGER NOT NULL);", err))
		goto fail;
	/* 4: the newest handshake time accepted from each initiator. */
	if (v < 4 && db_exec(db,
	    "CREATE TABLE IF NOT EXISTS hs_seen(key BLOB PRIMARY KEY,"
	    " ts INTEGER NOT NULL);", err))
		goto fail;
	/*
	 * 5: membership facts and refused changes (store/trust.h); tables
	 * added since (successors) are made when the layout changes too.
	 */
	if (trust_schema(db->h, "main", err, STORE_ERRLEN))
		goto fail;
	/*
	 * 6: how far each node's clock is off, as measured by a node (our
	 * own sessions, a peer's report, or a commit stamped ahead).
	 */
	if (v < 6 && db_exec(db,
	    "CREATE TABLE IF NOT EXISTS clock_obs(subject BLOB NOT NULL,"
	    " observer BLOB NOT NULL, offset_ms INTEGER NOT NULL,"
	    " at_ms INTEGER NOT NULL, via TEXT NOT NULL,"
	    " PRIMARY KEY(subject, observer, via));"
	    "CREATE TABLE IF NOT EXISTS quarantine(key BLOB NOT NULL,"
	    " seq INTEGER NOT NULL, body BLOB NOT NULL, sig BLOB NOT NULL,"
	    " PRIMARY KEY(key, seq)) WITHOUT ROWID;", err))
		goto fail;
	/*
	 * 7: revocations name a seq, and facts the commit of their signer
	 * that carried them: new tables, found again by the full replay
	 * layout_sync() runs when the layout is forgotten.
	 */
	if (v < 7 && (trust_upgrade(db->h, err, STORE_ERRLEN) ||
	    db_exec(db, "DELETE FROM meta WHERE k = 'layout'", err)))
		goto fail;
	/*
	 * 8: handshake version 2 sends a counter, not the wall clock: the
	 * times kept from version 1 (one a year ahead would lock its node out
	 * for a year) are forgotten.  No version-1 message 1 is accepted any
	 * more, so none can be replayed.
	 */
	if (v < 8 && db_exec(db, "DELETE FROM hs_seen;", err))
		goto fail;
	/*
	 * 9: a commit refused as a whole (COMMIT_REFUSED_*) is stored, and
	 * its verdict with it, for replays.  No earlier version stored one.
	 */
	if (v < 9 && !has_column(db, "commits", "refused") && db_exec(db,
	    "ALTER TABLE commits ADD COLUMN refused INTEGER NOT NULL"
	    " DEFAULT 0;", err))
		goto fail;
	/*
	 * 10: the lowest fork proof of each origin that signed two histories
	 * (store/fork.c).  The forks recorded before are the other branch's
	 * commits only: a peer sends them again, and they prove it then.
	 */
	if (v < 10 && db_exec(db,
	    "CREATE TABLE IF NOT EXISTS fork_proof(origin BLOB PRIMARY KEY,"
	    " seq INTEGER NOT NULL, a_body BLOB NOT NULL, a_sig BLOB NOT NULL,"
	    " b_body BLOB NOT NULL, b_sig BLOB NOT NULL) WITHOUT ROWID;", err))
		goto fail;
	/* The collection tables follow the field table in schema.c. */
	if (layout_sync(db, err))
		goto fail;
	/*
	 * 11: the index of the list's order, so the UI's newest page does
	 * not sort every record; 12: of the records in conflict, so a status
	 * does not read them all (store/rows.c).  Tables made now have both.
	 */
	for (c = schema_colls; v < 12 && c->name != NULL; c++)
		if (rows_create_index(db, "main", c, err))
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (db_exec(db, sql, err) || db_exec(db, "COMMIT", err))
		goto fail;
	return (0);

fail:
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

int
db_open(struct db **dbp, const char *path, bool create,
    char err[STORE_ERRLEN])
{
	struct db *db;
	int fl = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		goto err0;
	}
	if (create)
		fl |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->h, fl, NULL) != SQLITE_OK) {
		snprintf(err, STORE_ERRLEN, "%s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto err1;
	}
	sqlite3_busy_timeout(db->h, BUSY_MS);
	db->live.nrefused = -1;
	if (trust_open(&db->trust, db->h)) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		goto err1;
	}
	sqlite3_extended_result_codes(db->h, 1);
	if (db_exec(db, "PRAGMA journal_mode=WAL", err) ||
	    db_exec(db, "PRAGMA synchronous=FULL", err) ||
	    db_exec(db, "PRAGMA foreign_keys=OFF", err) ||
	    db_exec(db, "PRAGMA temp_store=MEMORY", err) ||
	    db_exec(db, "PRAGMA cache_size=-65536", err))
		goto err1;
	if (migrate(db, err) || origin_load(db, err))
		goto err1;
	db->data_version = db_data_version(db);
	db->live.schema = "main";

	/* Success! */
	*dbp = db;
	return (0);

err1:
	db_close(db);
err0:
	/* Failure! */
	return (-1);
}

int
db_max_pages(struct db *db, uint64_t n, char err[STORE_ERRLEN])
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%llu",
	    (unsigned long long)n);
	return (db_exec(db, sql, err));
}

void
db_close(struct db *db)
{

	if (db == NULL)
		return;
	local_clear(db);
	free(db->lc);
	db_tgt_fini(&db->live);
	trust_close(db->trust);
	free(db->rd);
	sqlite3_finalize(db->s_ins_commit);
	sqlite3_finalize(db->s_find_commit);
	sqlite3_finalize(db->s_ins_origin);
	sqlite3_finalize(db->s_ins_held);
	sqlite3_finalize(db->s_find_held);
	sqlite3_finalize(db->s_del_held);
	sqlite3_finalize(db->s_ins_fork);
	sqlite3_finalize(db->s_clock_note);
	sqlite3_finalize(db->s_forks);
	if (db->h != NULL && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db->h);
	if (db->sk != NULL)
		sodium_free(db->sk);
	free(db->orig);
	free(db->oindex);
	free(db->okeyed);
	free(db);
}

int
db_set_signer(struct db *db, const uint8_t sk[NODE_SK_LEN])
{

	if (db->sk == NULL && (db->sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		return (-1);
	memcpy(db->sk, sk, NODE_SK_LEN);
	crypto_sign_ed25519_sk_to_pk(db->pk, db->sk);
	db->signer = true;
	return (0);
}

int
db_copy_signer(const struct db *db, uint8_t out[NODE_SK_LEN])
{

	if (!db->signer)
		return (-1);
	memcpy(out, db->sk, NODE_SK_LEN);
	return (0);
}

void
db_keep_refused(struct db *db, bool yes)
{

	db->keep_refused = yes;
}

/* The loop's busy handler: note the lock, and do not wait for it. */
static int
busy_cb(void *arg, int tries)
{
	struct db *db = arg;

	(void)tries;
	db->busy = true;
	return (0);
}

/* After each commit on a db_nowait() connection: the WAL's size. */
static int
wal_cb(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct db *db = arg;

	(void)h;
	(void)name;
	db->wal_pages = pages > 0 ? (uint64_t)pages : 0;
	return (SQLITE_OK);
}

void
db_nowait(struct db *db)
{

	sqlite3_busy_handler(db->h, busy_cb, db);
	/* Replaces the hook wal_autocheckpoint installs: after the pragma. */
	sqlite3_exec(db->h, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL);
	sqlite3_wal_hook(db->h, wal_cb, db);
}

bool
db_busy(struct db *db)
{
	bool busy = db->busy;	/* busy_cb() saw a lock held elsewhere. */

	db->busy = false;
	return (busy);
}

void
db_hold(struct db *db, bool held)
{

	db->held = held;
}

uint64_t
db_wal_pages(const struct db *db)
{

	return (db->wal_pages);
}

int
db_checkpoint(struct db *db, bool restart, uint64_t *frames,
    char err[STORE_ERRLEN])
{
	int log = 0, done = 0;
	char v[24];

	*frames = 0;
	switch (sqlite3_wal_checkpoint_v2(db->h, "main", restart ?
	    SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, &log,
	    &done)) {
	case SQLITE_OK:
		break;
	case SQLITE_BUSY:	/* Another connection checkpoints: enough. */
		return (0);
	default:
		db_errf(err, "checkpoint", db->h);
		return (-1);
	}
	*frames = done > 0 ? (uint64_t)done : 0;
	/*
	 * The next commit writes the WAL from its start, and syncs its
	 * header first: that fsync is this connection's to make, not the
	 * agent loop's.
	 */
	if (restart && log > 0 && done == log) {
		snprintf(v, sizeof(v), "%lld", (long long)time(NULL));
		if (db_meta_set(db, "wal_restarted", v, err))
			return (-1);
	}
	return (0);
}

const uint8_t *
db_node_key(const struct db *db)
{

	return (db->signer ? db->pk : NULL);
}

struct sqlite3 *
db_handle(struct db *db)
{

	return (db->h);
}

int
db_trust_open(struct db *db, struct trust **tr)
{

	return (trust_open(tr, db->h));
}

const char *
db_warning(struct db *db)
{

	return (db->warning[0] != '\0' ? db->warning : NULL);
}

int
db_cache_kib(struct db *db, unsigned kib, char err[STORE_ERRLEN])
{
	char sql[48];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%u", kib);
	return (db_exec(db, sql, err));
}

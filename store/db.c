/*
 * db.c: the SQLite store.  Schema and migration, the origin cache, local
 * commits, verification and application of foreign commits, held commits
 * and forks, rebuild and verify.
 *
 * Every materialized row is a function of the commits applied:
 * db_apply_state() is the one path by which a write reaches a table, and
 * judge_rec() (store/judge.c) decides before it whether the write may,
 * for local commits, foreign commits and replays alike.
 */
#include "store/db.h"

#include "store/db_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "protocol/limits.h"
#include "store/hlc.h"
#include "store/merge.h"
#include "store/trust.h"

#define SCHEMA_VERSION	10
#define BUSY_MS		10000

/* Storage for buffered values: freed all at once when a commit is sealed. */
struct chunk {
	struct chunk	*next;
	size_t		used, cap;
	char		data[];
};
#define CHUNK_SIZE	(256 * 1024)

/* A buffered local write. */
struct lchange {
	const struct coll_def	*c;
	uint8_t			id[SCHEMA_ID_LEN];
	const struct field_def	*f;
	struct val		v;	/* String in db->chunks. */
	size_t			n;	/* Order of arrival. */
};

void
db_errf(char err[STORE_ERRLEN], const char *what, sqlite3 *h)
{

	if (h != NULL && (sqlite3_extended_errcode(h) & 0xff) == SQLITE_FULL)
		snprintf(err, STORE_ERRLEN, "%s: the disk is full; free some "
		    "space and try again (nothing of this was saved)", what);
	else
		snprintf(err, STORE_ERRLEN, "%s: %s", what,
		    h ? sqlite3_errmsg(h) : "out of memory");
}

int
db_exec(struct db *db, const char *sql, char err[STORE_ERRLEN])
{

	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK) {
		db_errf(err, "database", db->h);
		return (-1);
	}
	return (0);
}

int
db_prep(struct db *db, sqlite3_stmt **st, const char *sql,
    char err[STORE_ERRLEN])
{

	if (*st != NULL) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return (0);
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) != SQLITE_OK) {
		db_errf(err, "database prepare", db->h);
		return (-1);
	}
	return (0);
}

/* Column type of a field in a materialized table. */
static const char *
coltype(const struct field_def *f)
{

	return (f->kind == FK_INT || f->kind == FK_BOOL ? "INTEGER" : "TEXT");
}

static int
create_coll_table(struct db *db, const char *schema, const struct coll_def *c,
    char err[STORE_ERRLEN])
{
	char sql[4096];
	size_t off, i;

	off = (size_t)snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS %s.c_%s(id BLOB PRIMARY KEY",
	    schema, c->name);
	for (i = 0; i < c->nfields; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
		    ", %s %s", c->fields[i].name, coltype(&c->fields[i]));
	snprintf(sql + off, sizeof(sql) - off, ", _deleted INTEGER,"
	    " _conflicts INTEGER NOT NULL, _extra INTEGER NOT NULL,"
	    " _state BLOB NOT NULL)");
	return (db_exec(db, sql, err));
}

static uint64_t count(struct db *, const char *);
static int load_origins(struct db *, char[STORE_ERRLEN]);
static int oindex_put(struct db *, uint32_t);
static int db_refresh(struct db *, char[STORE_ERRLEN]);

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
			    "%s %s,", f->name, coltype(f));
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
		    create_coll_table(db, "main", c, err))
			return (-1);
	}
	if (load_origins(db, err) || judge_replay(db, &t, NULL, 0, err)) {
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
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (db_exec(db, sql, err) || db_exec(db, "COMMIT", err))
		goto fail;
	return (0);

fail:
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/* A number kept in meta, 0 if unset. */
static uint64_t
meta_u64(struct db *db, const char *k)
{
	sqlite3_stmt *st;
	uint64_t v = 0;

	if (sqlite3_prepare_v2(db->h, "SELECT v FROM meta WHERE k = ?", -1,
	    &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = strtoull((const char *)sqlite3_column_text(st, 0),
			    NULL, 10);
	}
	sqlite3_finalize(st);
	return (v);
}

/*
 * An origin retired by a join that continued under a successor key
 * (meta 'retired:' || its hex): its commits hold what was logged before
 * the network, confidential fields in clear, and never leave this node:
 * not in the vector, not sent, not bundled.
 */
#define RETIRED		"EXISTS (SELECT 1 FROM meta WHERE" \
			" k = 'retired:' || lower(hex(o.key)))"
#define NOT_RETIRED	"NOT " RETIRED

static int
load_origins(struct db *db, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	struct orig *o;
	int rc;

	db->norig = 0;
	db->nkeyed = 0;
	if (db->oindex != NULL)
		memset(db->oindex, 0, db->noindex * sizeof(*db->oindex));
	db->q_bytes = db->q_origins = -1;
	/*
	 * The stamp to beat is the newest of a commit not refused for its
	 * stamp: the highest of all, as those refused are no later.
	 */
	if (sqlite3_prepare_v2(db->h,
	    "SELECT o.idx, o.key, c.seq, (SELECT hlc FROM commits WHERE"
	    " origin = o.idx AND refused = 0 ORDER BY seq DESC LIMIT 1),"
	    " c.hash, " RETIRED " FROM origins o"
	    " LEFT JOIN commits c ON c.origin = o.idx AND c.seq ="
	    " (SELECT max(seq) FROM commits WHERE origin = o.idx)"
	    " ORDER BY o.idx", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int64(st, 0) != (int64_t)db->norig ||
		    sqlite3_column_bytes(st, 1) != COMMIT_KEY_LEN) {
			snprintf(err, STORE_ERRLEN, "origins table is corrupt;"
			    " restore a backup");
			goto fail1;
		}
		if (db->norig == db->aorig) {
			db->aorig = db->aorig ? db->aorig * 2 : 16;
			if ((o = realloc(db->orig, db->aorig * sizeof(*o))) ==
			    NULL)
				goto fail;
			db->orig = o;
		}
		o = &db->orig[db->norig];
		memset(o, 0, sizeof(*o));
		memcpy(o->key, sqlite3_column_blob(st, 1), COMMIT_KEY_LEN);
		if (oindex_put(db, (uint32_t)db->norig))
			goto fail;
		db->norig++;
		o->retired = sqlite3_column_int(st, 5) != 0;
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			o->seq = (uint64_t)sqlite3_column_int64(st, 2);
			o->hlc = (uint64_t)sqlite3_column_int64(st, 3);
			if (sqlite3_column_bytes(st, 4) == COMMIT_HASH_LEN)
				memcpy(o->hash, sqlite3_column_blob(st, 4),
				    COMMIT_HASH_LEN);
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	/* Before version 6 there is none: the clock starts from our own. */
	db->floor_hlc = meta_u64(db, "hlc_floor");
	db->floor_dirty = false;
	db->q_dropped = meta_u64(db, "quarantine_dropped");
	db->q_dirty = false;
	/* Before version 9 (a migration's layout replay) there is none. */
	if (count(db, "SELECT count(*) FROM sqlite_master WHERE name ="
	    " 'fork_proof'") > 0 && fork_load(db, err))
		goto fail1;
	return (0);

fail:
	db_errf(err, "load origins", db->h);
fail1:
	sqlite3_finalize(st);
	return (-1);
}

static int64_t
data_version(struct db *db)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA data_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
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
	if (migrate(db, err) || load_origins(db, err))
		goto err1;
	db->data_version = data_version(db);
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
db_tgt_fini(struct tgt *t)
{
	size_t i;

	for (i = 0; i < 8; i++) {
		sqlite3_finalize(t->sel[i]);
		sqlite3_finalize(t->rep[i]);
		t->sel[i] = t->rep[i] = NULL;
	}
	sqlite3_finalize(t->ref_ins);
	sqlite3_finalize(t->ref_has);
	sqlite3_finalize(t->ref_del);
	sqlite3_finalize(t->ref_list);
	t->ref_ins = t->ref_has = t->ref_del = t->ref_list = NULL;
}

static void
lc_clear(struct db *db)
{
	struct chunk *c;

	while ((c = db->chunks) != NULL) {
		db->chunks = c->next;
		free(c);
	}
	db->nlc = 0;
}

/* Copy ${len} bytes into chunk storage, NUL-terminated. */
static char *
chunk_copy(struct db *db, const char *s, size_t len)
{
	struct chunk *c = db->chunks;
	char *p;

	if (c == NULL || c->cap - c->used < len + 1) {
		if ((c = malloc(sizeof(*c) + (len + 1 > CHUNK_SIZE ? len + 1 :
		    CHUNK_SIZE))) == NULL)
			return (NULL);
		c->used = 0;
		c->cap = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;
		c->next = db->chunks;
		db->chunks = c;
	}
	p = c->data + c->used;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return (p);
}

void
db_close(struct db *db)
{

	if (db == NULL)
		return;
	lc_clear(db);
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
db_set_signer(struct db *db, const uint8_t sk[COMMIT_SK_LEN])
{

	if (db->sk == NULL && (db->sk = sodium_malloc(COMMIT_SK_LEN)) == NULL)
		return (-1);
	memcpy(db->sk, sk, COMMIT_SK_LEN);
	crypto_sign_ed25519_sk_to_pk(db->pk, db->sk);
	db->signer = true;
	return (0);
}

int
db_copy_signer(const struct db *db, uint8_t out[COMMIT_SK_LEN])
{

	if (!db->signer)
		return (-1);
	memcpy(out, db->sk, COMMIT_SK_LEN);
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

const uint8_t *
db_origin_key(struct db *db, uint32_t oidx)
{

	return (oidx < db->norig ? db->orig[oidx].key : NULL);
}

/* Our own newest stamp, or 0. */
static uint64_t
own_hlc(struct db *db)
{
	size_t i;

	for (i = 0; db->signer && i < db->norig; i++)
		if (memcmp(db->orig[i].key, db->pk, COMMIT_KEY_LEN) == 0)
			return (db->orig[i].hlc);
	return (0);
}

uint64_t
db_last_hlc(struct db *db)
{
	uint64_t own = own_hlc(db);

	return (own > db->floor_hlc ? own : db->floor_hlc);
}

const char *
db_warning(struct db *db)
{

	return (db->warning[0] != '\0' ? db->warning : NULL);
}

int
db_meta_get(struct db *db, const char *k, char *out, size_t len)
{
	sqlite3_stmt *st;
	int r = -1;

	if (sqlite3_prepare_v2(db->h, "SELECT v FROM meta WHERE k = ?", -1,
	    &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st,
		    0));
		r = 0;
	}
	sqlite3_finalize(st);
	return (r);
}

int
db_meta_set(struct db *db, const char *k, const char *v,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO meta(k, v)"
	    " VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "meta", db->h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "meta", db->h);
		return (-1);
	}
	/* Joining a network: what was taken unjudged is judged now. */
	if (strcmp(k, "admin_key") == 0) {
		trust_reset(db->trust);
		db->full_rederive = true;
	}
	return (0);
}

/* ---- Origins. ---- */

/*
 * The origins by key: open addressing over the first 8 bytes of the key
 * (uniform: keys are public keys), idx + 1 in each slot, at most half
 * full, so a hostile log with many origins costs no linear scans.
 */
static size_t
oslot(const uint8_t *key, size_t n)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return ((size_t)h & (n - 1));
}

static int
oindex_put(struct db *db, uint32_t idx)
{
	uint32_t *t;
	size_t i, n;

	if (2 * (db->norig + 1) > db->noindex) {
		n = db->noindex ? db->noindex * 2 : 64;
		while (2 * (db->norig + 1) > n)
			n *= 2;
		if ((t = calloc(n, sizeof(*t))) == NULL)
			return (-1);
		free(db->oindex);
		db->oindex = t;
		db->noindex = n;
		for (i = 0; i < db->norig; i++)
			if (i != idx && oindex_put(db, (uint32_t)i))
				return (-1);
	}
	for (i = oslot(db->orig[idx].key, db->noindex); db->oindex[i] != 0;
	    i = (i + 1) & (db->noindex - 1))
		;
	db->oindex[i] = idx + 1;
	return (0);
}

/* The index of origin ${key}; false if we hold nothing of it. */
static bool
origin_find(struct db *db, const uint8_t key[COMMIT_KEY_LEN], uint32_t *idx)
{
	size_t i;

	if (db->noindex == 0)
		return (false);
	for (i = oslot(key, db->noindex); db->oindex[i] != 0;
	    i = (i + 1) & (db->noindex - 1))
		if (memcmp(db->orig[db->oindex[i] - 1].key, key,
		    COMMIT_KEY_LEN) == 0) {
			*idx = db->oindex[i] - 1;
			return (true);
		}
	return (false);
}

bool
db_origin_find(struct db *db, const uint8_t key[COMMIT_KEY_LEN],
    uint32_t *idx)
{

	return (origin_find(db, key, idx));
}

static int
origin_idx(struct db *db, const uint8_t key[COMMIT_KEY_LEN], uint32_t *idx,
    char err[STORE_ERRLEN])
{
	struct orig *o;

	if (origin_find(db, key, idx))
		return (0);
	if (db_prep(db, &db->s_ins_origin, "INSERT INTO origins(idx, key)"
	    " VALUES(?, ?)", err))
		return (-1);
	sqlite3_bind_int64(db->s_ins_origin, 1, (int64_t)db->norig);
	sqlite3_bind_blob(db->s_ins_origin, 2, key, COMMIT_KEY_LEN,
	    SQLITE_STATIC);
	if (sqlite3_step(db->s_ins_origin) != SQLITE_DONE) {
		db_errf(err, "add origin", db->h);
		return (-1);
	}
	if (db->norig == db->aorig) {
		db->aorig = db->aorig ? db->aorig * 2 : 16;
		if ((o = realloc(db->orig, db->aorig * sizeof(*o))) == NULL) {
			snprintf(err, STORE_ERRLEN, "out of memory");
			return (-1);
		}
		db->orig = o;
	}
	o = &db->orig[db->norig];
	memset(o, 0, sizeof(*o));
	memcpy(o->key, key, COMMIT_KEY_LEN);
	if (oindex_put(db, (uint32_t)db->norig)) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	*idx = (uint32_t)db->norig++;
	return (0);
}

/* merge_ctx callbacks. */
struct mctx {
	struct db		*db;
	struct tgt		*t;
	const struct coll_def	*c;
	const uint8_t		*id;	/* The record being written. */
};



static const uint8_t *
mkey(void *arg, uint32_t oidx)
{
	struct mctx *m = arg;

	return (m->db->orig[oidx].key);
}

static bool
mapplied(void *arg, uint64_t hlc, uint32_t oidx)
{
	struct mctx *m = arg;
	const struct orig *o = &m->db->orig[oidx];

	/* A refused write was never applied: whoever saw it, it stays out. */
	return (hlc <= (m->t->rebuild ? o->rb_hlc : o->hlc) &&
	    !judge_refused(m->db, m->t, m->c, m->id, oidx, hlc));
}

/* ---- Materialization. ---- */

size_t
db_coll_index(const struct coll_def *c)
{

	return ((size_t)(c - schema_colls));
}

static int
tgt_prep(struct db *db, struct tgt *t, const struct coll_def *c,
    char err[STORE_ERRLEN])
{
	char sql[4096];
	size_t ci = db_coll_index(c), off, i;

	if (t->sel[ci] == NULL) {
		off = (size_t)snprintf(sql, sizeof(sql), "SELECT _state");
		for (i = 0; i < c->nfields; i++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off,
			    ", %s", c->fields[i].name);
		snprintf(sql + off, sizeof(sql) - off,
		    ", _deleted FROM %s.c_%s WHERE id = ?", t->schema, c->name);
		if (db_prep(db, &t->sel[ci], sql, err))
			return (-1);
		off = (size_t)snprintf(sql, sizeof(sql),
		    "INSERT OR REPLACE INTO %s.c_%s VALUES(?", t->schema,
		    c->name);
		for (i = 0; i < c->nfields + 4; i++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off,
			    ", ?");
		snprintf(sql + off, sizeof(sql) - off, ")");
		if (db_prep(db, &t->rep[ci], sql, err))
			return (-1);
	}
	sqlite3_reset(t->sel[ci]);
	sqlite3_reset(t->rep[ci]);
	return (0);
}

static void
col_val(sqlite3_stmt *st, int col, const struct field_def *f, struct val *v)
{

	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		v->t = VAL_NIL;
		break;
	case SQLITE_INTEGER:
		v->t = f->kind == FK_BOOL ? VAL_BOOL : VAL_INT;
		v->i = sqlite3_column_int64(st, col);
		break;
	default:
		v->t = VAL_STR;
		v->s = (const char *)sqlite3_column_text(st, col);
		v->len = (size_t)sqlite3_column_bytes(st, col);
		break;
	}
}

/*
 * Load the state of record ${id} into ${rs} (empty if the record is new),
 * filling column-stored winners from the columns.
 */
int
db_load_rec(struct db *db, struct tgt *t, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], struct rstate *rs,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	const struct field_def *f;
	struct freg *r;
	struct val v;
	uint64_t uh;
	uint32_t uo;
	size_t i;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (tgt_prep(db, t, c, err))
		return (-1);
	st = t->sel[db_coll_index(c)];
	sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		return (0);
	if (rc != SQLITE_ROW) {
		db_errf(err, "read record", db->h);
		return (-1);
	}
	switch (rstate_decode(sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0), rs, &uh, &uo)) {
	case 0:
		break;
	case 1:
		/* Uniform: each non-empty column is a head with that stamp. */
		for (i = 0; i <= c->nfields; i++) {
			if (sqlite3_column_type(st, (int)i + 1) == SQLITE_NULL)
				continue;
			if (rstate_add_head(rs, i < c->nfields ?
			    c->fields[i].name : SCHEMA_DELETED, uh, uo))
				goto oom;
		}
		break;
	default:
		goto corrupt;
	}
	for (i = 0; i < rs->nf; i++) {
		r = &rs->f[i];
		if (r->nh == 0 || r->h[r->nh - 1].has_v)
			continue;
		if ((f = schema_field(c, r->name, strlen(r->name))) == NULL)
			goto corrupt;
		/* Column 0 is _state; _deleted comes after the fields. */
		col_val(st, (int)schema_field_index(c, f) + 1, f, &v);
		if (rstate_set_val(&r->h[r->nh - 1], &v))
			goto oom;
	}
	sqlite3_reset(st);
	return (0);

oom:
	sqlite3_reset(st);
	rstate_fini(rs);
	snprintf(err, STORE_ERRLEN, "out of memory");
	return (-1);

corrupt:
	sqlite3_reset(st);
	rstate_fini(rs);
	snprintf(err, STORE_ERRLEN, "record state of %s is corrupt; run "
	    "'hamroh rebuild'", c->name);
	return (-1);
}

static int
bind_val(sqlite3_stmt *st, int col, const struct val *v)
{

	switch (v->t) {
	case VAL_STR:
		return (sqlite3_bind_text(st, col, v->s, (int)v->len,
		    SQLITE_STATIC));
	case VAL_INT:
	case VAL_BOOL:
		return (sqlite3_bind_int64(st, col, v->i));
	default:
		return (sqlite3_bind_null(st, col));
	}
}

/* Write ${rs} as the row of record ${id}. */
static int
store_rec(struct db *db, struct tgt *t, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const struct rstate *rs,
    char err[STORE_ERRLEN])
{
	msgpack_sbuffer sb;
	sqlite3_stmt *st = t->rep[db_coll_index(c)];
	const struct field_def *f;
	const struct mhead *w;
	size_t i, extra = 0;
	int rc;

	msgpack_sbuffer_init(&sb);
	if (rstate_encode(rs, c, &sb)) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		goto fail;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	for (i = 0; i < rs->nf; i++) {
		if ((w = freg_winner(&rs->f[i])) == NULL)
			continue;
		f = schema_field(c, rs->f[i].name, strlen(rs->f[i].name));
		if (f == NULL) {
			extra++;
			continue;
		}
		/* id, then the fields, then _deleted. */
		bind_val(st, (int)schema_field_index(c, f) + 2, &w->v);
	}
	sqlite3_bind_int64(st, (int)c->nfields + 3,
	    (int64_t)rstate_conflicts(rs));
	sqlite3_bind_int64(st, (int)c->nfields + 4, (int64_t)extra);
	sqlite3_bind_blob(st, (int)c->nfields + 5, sb.data, (int)sb.size,
	    SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "write record", db->h);
		goto fail;
	}
	msgpack_sbuffer_destroy(&sb);
	return (0);

fail:
	msgpack_sbuffer_destroy(&sb);
	return (-1);
}

/*
 * Apply the changes of one record of a commit stamped (hlc, oidx) to its
 * loaded state ${rs}, and write the row.  Frees ${rs}.
 */
int
db_apply_state(struct db *db, struct tgt *t, const struct coll_def *c,
    const struct rchange *rc, uint64_t hlc, uint32_t oidx, struct rstate *rs,
    char err[STORE_ERRLEN])
{
	uint64_t sh[COMMIT_MAX_SEEN];
	uint32_t so[COMMIT_MAX_SEEN];
	struct mctx m = { db, t, c, rc->id };
	/* ${rc}'s values outlive ${rs}: it is stored and freed below. */
	struct merge_ctx ctx = { mkey, mapplied, &m, true };
	const struct fchange *f;
	size_t i, k;

	for (i = 0; i < rc->nf; i++) {
		f = &rc->f[i];
		for (k = 0; k < f->nseen && k < COMMIT_MAX_SEEN; k++) {
			sh[k] = f->seen[k].hlc;
			if (origin_idx(db, f->seen[k].origin, &so[k], err))
				goto fail;
		}
		if (rstate_apply(rs, &ctx, f->field, f->field_len, hlc, oidx,
		    &f->v, sh, so, k)) {
			snprintf(err, STORE_ERRLEN, "out of memory");
			goto fail;
		}
	}
	if (store_rec(db, t, c, rc->id, rs, err))
		goto fail;
	rstate_fini(rs);
	return (0);

fail:
	rstate_fini(rs);
	return (-1);
}

static int
insert_commit(struct db *db, uint32_t oidx, const struct commit *cm,
    const uint8_t hash[COMMIT_HASH_LEN], const uint8_t *body, size_t len,
    const uint8_t sig[COMMIT_SIG_LEN], char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (db_prep(db, &db->s_ins_commit, "INSERT INTO commits(origin, seq,"
	    " hlc, hash, body, sig, refused) VALUES(?, ?, ?, ?, ?, ?, ?)",
	    err))
		return (-1);
	st = db->s_ins_commit;
	sqlite3_bind_int64(st, 1, oidx);
	sqlite3_bind_int64(st, 2, (int64_t)cm->seq);
	sqlite3_bind_int64(st, 3, (int64_t)cm->hlc);
	sqlite3_bind_blob(st, 4, hash, COMMIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, sig, COMMIT_SIG_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, (int)cm->refused);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "store commit", db->h);
		return (-1);
	}
	return (0);
}

static void
advance(struct db *db, uint32_t oidx, const struct commit *cm,
    const uint8_t hash[COMMIT_HASH_LEN])
{
	struct orig *o = &db->orig[oidx];

	o->seq = cm->seq;
	/* The stamp to beat stays the highest: a refused one is lower. */
	if (!cm->refused)
		o->hlc = cm->hlc;
	memcpy(o->hash, hash, COMMIT_HASH_LEN);
}

/*
 * A foreign commit that stood moves our clock up to its stamp, but never
 * past our own wall clock + HLC_MAX_AHEAD_MS: a peer whose clock is wrong
 * must not make our later writes look as if made in the future (past our
 * certificate's expiry, say).  One whose changes were refused (a stranger,
 * out of role, revoked) moves nothing.  Merging needs no more: a write
 * that saw another supersedes it by the seen heads, whatever the stamps.
 */
static void
clock_follow(struct db *db, uint64_t hlc)
{
	uint64_t cap = ((db->now_ms + HLC_MAX_AHEAD_MS) & 0xffffffffffffULL) <<
	    HLC_SHIFT;

	if (hlc > cap)
		hlc = cap;
	if (hlc > db->floor_hlc) {
		db->floor_hlc = hlc;
		db->floor_dirty = true;
	}
}

/* ---- Clocks. ---- */

int
db_clock_note(struct db *db, const uint8_t subject[COMMIT_KEY_LEN],
    const uint8_t observer[COMMIT_KEY_LEN], int64_t offset_ms,
    uint64_t at_ms, const char *via, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	/* The newest of each kind per pair; an older report changes none. */
	if (db_prep(db, &db->s_clock_note, "INSERT INTO clock_obs(subject,"
	    " observer, offset_ms, at_ms, via) VALUES(?, ?, ?, ?, ?)"
	    " ON CONFLICT(subject, observer, via) DO UPDATE SET"
	    " offset_ms = excluded.offset_ms, at_ms = excluded.at_ms"
	    " WHERE excluded.at_ms >= at_ms", err))
		return (-1);
	st = db->s_clock_note;
	sqlite3_bind_blob(st, 1, subject, COMMIT_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, observer, COMMIT_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, offset_ms);
	sqlite3_bind_int64(st, 4, (int64_t)at_ms);
	sqlite3_bind_text(st, 5, via, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "note a clock", db->h);
		return (-1);
	}
	return (0);
}

int
db_clocks(struct db *db, int (*fn)(void *, const struct db_clock *),
    void *arg, char err[STORE_ERRLEN])
{
	struct db_clock c;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (sqlite3_prepare_v2(db->h, "SELECT subject, observer, offset_ms,"
	    " at_ms, via FROM clock_obs ORDER BY subject, at_ms DESC", -1, &st,
	    NULL) != SQLITE_OK) {
		db_errf(err, "read clocks", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != COMMIT_KEY_LEN ||
		    sqlite3_column_bytes(st, 1) != COMMIT_KEY_LEN)
			continue;
		c.subject = sqlite3_column_blob(st, 0);
		c.observer = sqlite3_column_blob(st, 1);
		c.offset_ms = sqlite3_column_int64(st, 2);
		c.at_ms = (uint64_t)sqlite3_column_int64(st, 3);
		c.via = (const char *)sqlite3_column_text(st, 4);
		if ((r = fn(arg, &c)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE) {
		db_errf(err, "read clocks", db->h);
		r = -1;
	}
	sqlite3_finalize(st);
	return (r);
}

/*
 * A commit stamped ahead of our clock says its origin's clock was at least
 * that far ahead when it was made (for a node that only sends bundles,
 * the only sign there is).  A clock that runs behind leaves no such mark:
 * its commits look like ones that took long to arrive.
 */
static int
clock_seen(struct db *db, const struct commit *cm, char err[STORE_ERRLEN])
{
	uint64_t ms = hlc_ms(cm->hlc);

	if (!db->signer || ms <= db->now_ms + HLC_SKEW_MS)
		return (0);
	return (db_clock_note(db, cm->origin, db->pk, (int64_t)(ms -
	    db->now_ms), db->now_ms, "commit", err));
}

/*
 * A node's own members record may carry the clocks its sessions measured
 * off (field clocks: KEY=OFFSET@AT ...): kept as its reports, so an office
 * that talks only to its region is seen by every node.  Anything that does
 * not parse is skipped.
 */
static int
clock_reports(struct db *db, const struct commit *cm, char err[STORE_ERRLEN])
{
	const struct fchange *f;
	const char *p, *e;
	char ent[128], *eq, *at, *end;
	uint8_t subj[COMMIT_KEY_LEN];
	long long off;
	unsigned long long ms;
	size_t i, j, k, n;

	for (i = 0; i < cm->nrec; i++) {
		if (cm->rec[i].coll_len != 7 || memcmp(cm->rec[i].coll,
		    "members", 7) != 0 || memcmp(cm->rec[i].id, cm->origin,
		    SCHEMA_ID_LEN) != 0)
			continue;
		for (j = 0; j < cm->rec[i].nf; j++) {
			f = &cm->rec[i].f[j];
			if (f->field_len != 6 || memcmp(f->field, "clocks", 6) ||
			    f->v.t != VAL_STR)
				continue;
			for (p = f->v.s, e = p + f->v.len, k = 0; p < e &&
			    k < 16; p += n + 1, k++) {
				for (n = 0; p + n < e && p[n] != ' '; n++)
					;
				if (n == 0 || n >= sizeof(ent))
					continue;
				memcpy(ent, p, n);
				ent[n] = '\0';
				if ((eq = strchr(ent, '=')) == NULL ||
				    (at = strchr(eq, '@')) == NULL ||
				    eq - ent != 2 * COMMIT_KEY_LEN)
					continue;
				*eq = *at = '\0';
				if (sodium_hex2bin(subj, sizeof(subj), ent,
				    (size_t)(eq - ent), NULL, NULL, NULL) != 0)
					continue;
				off = strtoll(eq + 1, &end, 10);
				if (*end != '\0' || end == eq + 1)
					continue;
				ms = strtoull(at + 1, &end, 10);
				if (*end != '\0' || end == at + 1 ||
				    ms > 0xffffffffffffULL)
					continue;
				if (db_clock_note(db, subj, cm->origin, off,
				    ms, "report", err))
					return (-1);
			}
		}
	}
	return (0);
}

/*
 * Whether our clock runs ahead of our peers' by more than HLC_MAX_AHEAD_MS:
 * of the peers our own sessions measured in the last 30 days (at or before
 * now by our clock: a measure "from the future" was taken before the clock
 * was set back, and says nothing of it now), more than half saw us that
 * far ahead.  One peer whose own clock is behind cannot stop a node that
 * talks to others too.  The newest such measure is returned.
 */
#define CLOCK_VOTE_MS	(30ULL * 86400 * 1000)

static int
clock_peer_said(struct db *db, int64_t *off, uint64_t *at, char *name,
    size_t namelen)
{
	sqlite3_stmt *st;
	long ahead = 0, all = 0;

	if (sqlite3_prepare_v2(db->h, "SELECT o.offset_ms, o.at_ms,"
	    " coalesce((SELECT name FROM peer_status p WHERE p.key ="
	    " o.subject), '') FROM clock_obs o WHERE o.observer = ? AND"
	    " o.via = 'session' AND o.at_ms <= ? AND o.at_ms >= ?"
	    " ORDER BY o.at_ms DESC", -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_blob(st, 1, db->pk, COMMIT_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)db->now_ms);
	sqlite3_bind_int64(st, 3, (int64_t)(db->now_ms > CLOCK_VOTE_MS ?
	    db->now_ms - CLOCK_VOTE_MS : 0));
	while (sqlite3_step(st) == SQLITE_ROW) {
		all++;
		if (sqlite3_column_int64(st, 0) >= -(int64_t)HLC_MAX_AHEAD_MS)
			continue;
		if (ahead++ == 0) {
			*off = sqlite3_column_int64(st, 0);
			*at = (uint64_t)sqlite3_column_int64(st, 1);
			snprintf(name, namelen, "%s", (const char *)
			    sqlite3_column_text(st, 2));
		}
	}
	sqlite3_finalize(st);
	return (2 * ahead > all);
}

/* "YYYY-MM-DD HH:MM UTC" of ${ms}. */
static void
fmt_utc(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, 32, "%llu ms", (unsigned long long)ms);
}

/*
 * A node never acknowledges a write it will not apply.  Before stamping:
 * a node whose clock is ahead of what a peer last reported by more than
 * HLC_MAX_AHEAD_MS writes nothing (its stamps would run ahead of the
 * network's).  Only in a network: alone, there is no one to ask.
 */
static int
clock_check(struct db *db, char err[STORE_ERRLEN])
{
	char name[128], who[160], mine[32], theirs[32], span[32];
	uint64_t at = 0;
	int64_t off = 0;

	if (!trust_enabled(db->trust) || db->keep_refused ||
	    !clock_peer_said(db, &off, &at, name, sizeof(name)) ||
	    off >= -(int64_t)HLC_MAX_AHEAD_MS)
		return (0);
	fmt_utc(db->now_ms, mine);
	fmt_utc(db->now_ms + (uint64_t)off, theirs);
	if (*name != '\0')
		snprintf(who, sizeof(who), "the office %s", name);
	else
		snprintf(who, sizeof(who), "a peer");
	hlc_span((uint64_t)-off, span);
	snprintf(err, STORE_ERRLEN, "this computer's clock says %s, %s ahead"
	    " of %s (by its clock it is %s); set this computer's date, time"
	    " and time zone, then try again", mine, span, who, theirs);
	return (-1);
}

/*
 * After judging our own commit: a change our own judge refused would be
 * acknowledged and then stand nowhere.  Under an expired certificate the
 * write is kept (it counts again once a renewal arrives: an office
 * waiting for one must keep logging clients), with a warning; anything
 * else fails the transaction.
 */
static int
local_verdict(struct db *db, uint32_t me, uint64_t seq, uint64_t hlc,
    char err[STORE_ERRLEN])
{
	struct trust_as_of as;
	char when[32];

	if (trust_standing(db->trust, me, db->pk, seq, hlc, &as) != 0) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	fmt_utc(hlc_ms(hlc), when);
	switch (as.st) {
	case TRUST_EXPIRED:
		snprintf(db->warning, sizeof(db->warning), "saved, but this"
		    " office's certificate expired on %s (this computer's"
		    " clock says %s), so the change counts nowhere until the"
		    " coordinating office renews the invite; if the clock is"
		    " wrong, set it", as.note, when);
		return (0);
	case TRUST_REVOKED:
		snprintf(err, STORE_ERRLEN, "this office was revoked: %s;"
		    " ask the coordinating office for a new invite", as.note);
		return (-1);
	case TRUST_STRANGER:
		snprintf(err, STORE_ERRLEN, "this office holds no certificate"
		    " of the network that counts at %s; ask the coordinating"
		    " office for a new invite", when);
		return (-1);
	case TRUST_MEMBER:
		break;
	}
	snprintf(err, STORE_ERRLEN, "refused by this office's own rules: %s",
	    db->last_why);
	return (-1);
}

/* ---- Transactions and local commits. ---- */

int
db_begin(struct db *db, uint64_t now_ms, char err[STORE_ERRLEN])
{

	if (db->held) {		/* db_hold(): as if another process wrote. */
		db->busy = true;
		snprintf(err, STORE_ERRLEN, "database is locked (checkpoint)");
		return (-1);
	}
	if (db_exec(db, "BEGIN IMMEDIATE", err))
		return (-1);
	db->now_ms = now_ms;
	db->warning[0] = '\0';
	if (db_refresh(db, err)) {
		db_rollback(db);
		return (-1);
	}
	return (0);
}

/* Another process (CLI or agent) may have committed meanwhile. */
static int
db_refresh(struct db *db, char err[STORE_ERRLEN])
{
	int64_t dv;

	if ((dv = data_version(db)) == db->data_version)
		return (0);
	if (load_origins(db, err))
		return (-1);
	trust_reset(db->trust);
	db->live.nrefused = -1;
	db->data_version = dv;
	return (0);
}

int
db_commit(struct db *db, char err[STORE_ERRLEN])
{
	char v[24];

	if (db_flush(db, err) || judge_settle(db, err))
		goto fail;
	if (db->floor_dirty) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)
		    db->floor_hlc);
		if (db_meta_set(db, "hlc_floor", v, err))
			goto fail;
		db->floor_dirty = false;
	}
	if (db->q_dirty) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)
		    db->q_dropped);
		if (db_meta_set(db, "quarantine_dropped", v, err))
			goto fail;
		db->q_dirty = false;
	}
	if (db_exec(db, "COMMIT", err))
		goto fail;
	db->data_version = data_version(db);
	return (0);

fail:
	db_rollback(db);
	return (-1);
}

void
db_durable(struct db *db, bool full)
{

	sqlite3_exec(db->h, full ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
}

void
db_rollback(struct db *db)
{

	lc_clear(db);
	trust_reset(db->trust);
	db->live.nrefused = -1;
	db->nrd = 0;
	db->full_rederive = false;
	db->nrec_pending = 0;
	db->bytes_pending = 0;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	/* The cache may hold what was just rolled back. */
	if (load_origins(db, (char[STORE_ERRLEN]){ 0 }) == 0)
		db->data_version = data_version(db);
}

size_t
db_pending_records(const struct db *db)
{

	return (db->nrec_pending);
}

int
db_put(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const struct field_def *f,
    const struct val *v, char err[STORE_ERRLEN])
{
	struct lchange *l;

	/* A new record starts: cut the commit here if it is full. */
	if (db->nlc == 0 || db->lc[db->nlc - 1].c != c ||
	    memcmp(db->lc[db->nlc - 1].id, id, SCHEMA_ID_LEN) != 0) {
		if (db->nrec_pending >= COMMIT_MAX_RECORDS ||
		    db->bytes_pending >= COMMIT_SOFT_LEN) {
			if (db_flush(db, err))
				return (-1);
		}
		db->nrec_pending++;
	}
	if (db->nlc == db->alc) {
		db->alc = db->alc ? db->alc * 2 : 64;
		if ((l = realloc(db->lc, db->alc * sizeof(*l))) == NULL)
			goto oom;
		db->lc = l;
	}
	l = &db->lc[db->nlc];
	l->c = c;
	memcpy(l->id, id, SCHEMA_ID_LEN);
	l->f = f;
	l->v = *v;
	l->n = db->nlc;
	if (v->t == VAL_STR && (l->v.s = chunk_copy(db, v->s, v->len)) == NULL)
		goto oom;
	db->nlc++;
	/* msgpack: [name, value, seen]; a 16-byte id per record. */
	db->bytes_pending += strlen(f->name) + 6 +
	    (v->t == VAL_STR ? v->len : 8);
	return (0);

oom:
	snprintf(err, STORE_ERRLEN, "out of memory");
	return (-1);
}

static int
lc_cmp(const void *a, const void *b)
{
	const struct lchange *x = a, *y = b;
	size_t fx, fy;
	int r;

	if (x->c != y->c)
		return (x->c < y->c ? -1 : 1);
	if ((r = memcmp(x->id, y->id, SCHEMA_ID_LEN)) != 0)
		return (r);
	fx = schema_field_index(x->c, x->f);
	fy = schema_field_index(y->c, y->f);
	if (fx != fy)
		return (fx < fy ? -1 : 1);
	return (x->n < y->n ? -1 : x->n > y->n);
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct lchange *x = *(const struct lchange *const *)a;
	const struct lchange *y = *(const struct lchange *const *)b;

	if (x->c != y->c)
		return (x->c < y->c ? -1 : 1);
	return (memcmp(x->id, y->id, SCHEMA_ID_LEN));
}

static bool
same_rec(const struct lchange *x, const struct lchange *y)
{

	return (x->c == y->c && memcmp(x->id, y->id, SCHEMA_ID_LEN) == 0);
}

/*
 * Put buffered writes in lc_cmp() order within each record.  Writes come
 * record by record, so each run of one record (a dozen fields) is sorted
 * alone; only if a record recurs in a later run is everything sorted.
 */
static int
lc_group(struct db *db)
{
	const struct lchange **heads;
	struct lchange t;
	size_t i, j, start, nrun = 0;
	bool recur = false;

	if ((heads = malloc(db->nlc * sizeof(*heads))) == NULL)
		return (-1);
	for (start = 0; start < db->nlc; start = i) {
		heads[nrun++] = &db->lc[start];
		for (i = start + 1; i < db->nlc &&
		    same_rec(&db->lc[start], &db->lc[i]); i++) {
			t = db->lc[i];
			for (j = i; j > start && lc_cmp(&db->lc[j - 1], &t) > 0;
			    j--)
				db->lc[j] = db->lc[j - 1];
			db->lc[j] = t;
		}
	}
	qsort(heads, nrun, sizeof(*heads), rec_cmp);
	for (i = 1; i < nrun && !recur; i++)
		recur = same_rec(heads[i - 1], heads[i]);
	free(heads);
	if (recur)
		qsort(db->lc, db->nlc, sizeof(*db->lc), lc_cmp);
	return (0);
}

int
db_flush(struct db *db, char err[STORE_ERRLEN])
{
	msgpack_sbuffer sb;
	struct commit cm;
	struct rchange *rc = NULL;
	struct fchange *fc = NULL;
	const struct coll_def **rcoll = NULL;
	struct rstate *rs = NULL;
	struct stamp *seen = NULL, *sp;
	size_t *soff = NULL;
	const struct freg *r;
	uint8_t sig[COMMIT_SIG_LEN], hash[COMMIT_HASH_LEN];
	size_t i, j, k, nr = 0, nf = 0, ns = 0, as = 0;
	uint64_t nref;
	uint32_t me;
	int ret = -1;

	if (db->nlc == 0)
		return (0);
	if (!db->signer) {
		snprintf(err, STORE_ERRLEN, "no node key loaded");
		return (-1);
	}
	msgpack_sbuffer_init(&sb);
	if (origin_idx(db, db->pk, &me, err))
		goto done;
	/* Acknowledge no write that counts nowhere (store/fork.c). */
	if (FORK_FROZEN(db, me, db->orig[me].seq + 1) && !db->keep_refused) {
		snprintf(err, STORE_ERRLEN, "this office's key signed two "
		    "different histories from seq %llu (a copy of this data "
		    "directory, or a restored backup, wrote too), so nothing "
		    "it writes counts any more: run 'hamroh fork recommit' "
		    "on one copy and stop the other (see 'hamroh status')",
		    (unsigned long long)db->orig[me].fork_seq);
		goto done;
	}

	/* Group by record, then by field; the last write of a field wins. */
	if (lc_group(db))
		goto oom;
	for (i = j = 0; i < db->nlc; i++) {
		if (i + 1 < db->nlc && db->lc[i].c == db->lc[i + 1].c &&
		    db->lc[i].f == db->lc[i + 1].f && memcmp(db->lc[i].id,
		    db->lc[i + 1].id, SCHEMA_ID_LEN) == 0)
			continue;
		db->lc[j++] = db->lc[i];
	}
	db->nlc = j;

	if (clock_check(db, err))
		goto done;
	memset(&cm, 0, sizeof(cm));
	memcpy(cm.origin, db->pk, COMMIT_KEY_LEN);
	cm.seq = db->orig[me].seq + 1;
	cm.hlc = hlc_next(db_last_hlc(db), db->now_ms);
	memcpy(cm.prev, db->orig[me].hash, COMMIT_HASH_LEN);
	if ((rc = calloc(db->nlc, sizeof(*rc))) == NULL ||
	    (fc = calloc(db->nlc, sizeof(*fc))) == NULL ||
	    (rcoll = calloc(db->nlc, sizeof(*rcoll))) == NULL ||
	    (rs = calloc(db->nlc, sizeof(*rs))) == NULL ||
	    (soff = calloc(db->nlc, sizeof(*soff))) == NULL)
		goto oom;
	for (i = 0; i < db->nlc; i++) {
		if (i == 0 || db->lc[i].c != db->lc[i - 1].c ||
		    memcmp(db->lc[i].id, db->lc[i - 1].id, SCHEMA_ID_LEN)) {
			rcoll[nr] = db->lc[i].c;
			rc[nr].coll = db->lc[i].c->name;
			rc[nr].coll_len = strlen(db->lc[i].c->name);
			memcpy(rc[nr].id, db->lc[i].id, SCHEMA_ID_LEN);
			rc[nr].f = &fc[nf];
			nr++;
		}
		fc[nf].field = db->lc[i].f->name;
		fc[nf].field_len = strlen(db->lc[i].f->name);
		fc[nf].v = db->lc[i].v;
		rc[nr - 1].nf++;
		nf++;
	}

	/*
	 * Facts this commit carries first: a certificate may admit changes
	 * to the very records it writes, and their states are read below.
	 */
	cm.nrec = nr;
	cm.rec = rc;
	if (judge_note_facts(db, &cm, me, err))
		goto done;

	/* What each writer saw: every current head of the field. */
	for (i = 0; i < nr; i++) {
		if (db_load_rec(db, &db->live, rcoll[i], rc[i].id, &rs[i], err))
			goto done;
		for (j = 0; j < rc[i].nf; j++) {
			k = (size_t)(&rc[i].f[j] - fc);
			soff[k] = ns;
			if ((r = rstate_find(&rs[i], rc[i].f[j].field)) == NULL)
				continue;
			if (ns + r->nh > as) {
				as = (ns + r->nh) * 2;
				if ((sp = realloc(seen, as * sizeof(*sp))) ==
				    NULL)
					goto oom;
				seen = sp;
			}
			for (k = 0; k < r->nh && k < COMMIT_MAX_SEEN; k++) {
				seen[ns].hlc = r->h[k].hlc;
				memcpy(seen[ns].origin, db->orig[r->h[k].oidx].key,
				    COMMIT_KEY_LEN);
				ns++;
			}
			rc[i].f[j].nseen = k;
		}
	}
	for (i = 0; i < nf; i++)
		fc[i].seen = seen != NULL ? seen + soff[i] : NULL;
	cm.nrec = nr;
	cm.rec = rc;

	if (commit_encode(&cm, &sb))
		goto oom;
	if (sb.size > COMMIT_MAX_LEN) {
		snprintf(err, STORE_ERRLEN, "one transaction is %zu bytes "
		    "(limit %d); write fewer or smaller records at once",
		    sb.size, COMMIT_MAX_LEN);
		goto done;
	}
	commit_hash((const uint8_t *)sb.data, sb.size, hash);
	commit_sign(hash, db->sk, sig);
	if (insert_commit(db, me, &cm, hash, (const uint8_t *)sb.data,
	    sb.size, sig, err))
		goto done;
	/* Apply to the states loaded above: each record is read once. */
	nref = db->nrefusals;
	for (i = 0; i < nr; i++)
		if (judge_rec(db, &db->live, rcoll[i], &rc[i], me, cm.seq,
		    cm.hlc, &rs[i], err))
			goto done;
	if (db->nrefusals != nref && !db->keep_refused &&
	    local_verdict(db, me, cm.seq, cm.hlc, err))
		goto done;
	advance(db, me, &cm, hash);
	lc_clear(db);
	db->nrec_pending = 0;
	db->bytes_pending = 0;
	ret = 0;
	goto done;

oom:
	snprintf(err, STORE_ERRLEN, "out of memory");
done:
	for (i = 0; rs != NULL && i < nr; i++)
		rstate_fini(&rs[i]);
	free(rs);
	free(rc);
	free(fc);
	free(rcoll);
	free(soff);
	free(seen);
	msgpack_sbuffer_destroy(&sb);
	return (ret);
}

/* ---- Foreign commits. ---- */

static int
record_fork(struct db *db, uint32_t oidx, uint64_t seq,
    const uint8_t held[COMMIT_HASH_LEN], const uint8_t other[COMMIT_HASH_LEN],
    const uint8_t *body, size_t len, const uint8_t sig[COMMIT_SIG_LEN],
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (db_prep(db, &db->s_ins_fork, "INSERT OR IGNORE INTO forks(origin,"
	    " seq, hash_held, hash_other, body, sig) VALUES(?, ?, ?, ?, ?, ?)",
	    err))
		return (-1);
	st = db->s_ins_fork;
	sqlite3_bind_int64(st, 1, oidx);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	sqlite3_bind_blob(st, 3, held, COMMIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, other, COMMIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, sig, COMMIT_SIG_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "record fork", db->h);
		return (-1);
	}
	/* Both branches stay; neither is the origin's history from here. */
	return (fork_found(db, oidx, body, len, sig, err));
}

/* Hash of a stored commit (origin, seq) in ${table}; 1 found, 0 not. */
static int
find_hash(struct db *db, sqlite3_stmt **st, const char *sql, uint32_t oidx,
    uint64_t seq, uint8_t hash[COMMIT_HASH_LEN], char err[STORE_ERRLEN])
{
	int rc;

	if (db_prep(db, st, sql, err))
		return (-1);
	sqlite3_bind_int64(*st, 1, oidx);
	sqlite3_bind_int64(*st, 2, (int64_t)seq);
	rc = sqlite3_step(*st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(*st, 0) ==
	    COMMIT_HASH_LEN) {
		memcpy(hash, sqlite3_column_blob(*st, 0), COMMIT_HASH_LEN);
		sqlite3_reset(*st);
		return (1);
	}
	sqlite3_reset(*st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_errf(err, "look up commit", db->h);
		return (-1);
	}
	return (0);
}

/* Count what is set aside, once per transaction at most. */
static int
quarantine_count(struct db *db, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (db->q_bytes >= 0)
		return (0);
	if (sqlite3_prepare_v2(db->h, "SELECT coalesce(sum(length(body)), 0),"
	    " count(DISTINCT key) FROM quarantine", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		db_errf(err, "count strangers' commits", db->h);
		sqlite3_finalize(st);
		return (-1);
	}
	db->q_bytes = sqlite3_column_int64(st, 0);
	db->q_origins = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return (0);
}

/* Set a stranger's commit aside, or drop it past the caps. */
static int
quarantine(struct db *db, const struct commit *cm, const uint8_t *body,
    size_t len, const uint8_t sig[COMMIT_SIG_LEN], struct db_counts *res,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	bool known;
	int rc;

	if (quarantine_count(db, err))
		return (-1);
	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM quarantine WHERE key = ?",
	    -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "look up a stranger", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, cm->origin, COMMIT_KEY_LEN, SQLITE_STATIC);
	known = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (db->q_bytes + (int64_t)len > QUARANTINE_MAX_BYTES ||
	    (!known && db->q_origins >= QUARANTINE_MAX_ORIGINS)) {
		res->dropped++;
		db->q_dropped++;
		db->q_dirty = true;
		return (0);
	}
	if (sqlite3_prepare_v2(db->h, "INSERT OR IGNORE INTO quarantine(key,"
	    " seq, body, sig) VALUES(?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "set a stranger's commit aside", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, cm->origin, COMMIT_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)cm->seq);
	sqlite3_bind_blob(st, 3, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sig, COMMIT_SIG_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE && sqlite3_changes(db->h) > 0) {
		db->q_bytes += (int64_t)len;
		db->q_origins += !known;
		res->strangers++;
	} else if (rc == SQLITE_DONE)
		res->duplicate++;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "set a stranger's commit aside", db->h);
		return (-1);
	}
	return (0);
}

static int release_origin(struct db *, const uint8_t *, struct db_counts *,
    char[STORE_ERRLEN]);

/* Does ${cm} carry changes to the members collection? */
static bool
has_members(const struct commit *cm)
{
	size_t i;

	for (i = 0; i < cm->nrec; i++)
		if (cm->rec[i].coll_len == 7 &&
		    memcmp(cm->rec[i].coll, "members", 7) == 0)
			return (true);
	return (false);
}

/* Does ${cm} carry a certificate of its own origin that names it? */
static bool
names_itself(struct db *db, const struct commit *cm)
{
	size_t i;

	for (i = 0; i < cm->nrec; i++)
		if (trust_cert_names(db->trust, &cm->rec[i], cm->origin))
			return (true);
	return (false);
}

/* Do we hold commits of ${oidx} held back for a gap? */
static bool
holds_any(struct db *db, uint32_t oidx)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM held WHERE origin = ?",
	    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, oidx);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return (yes);
}

/*
 * In a network, a commit belongs in the log only if a certificate names
 * its origin: otherwise anyone could fill every node's log, vector and
 * HELLO with origins of their own making.  An origin is admitted once a
 * certificate names it, or by a commit that carries its own (a new
 * member's join); then the commits set aside go first, in seq order, and
 * every later commit of it goes the usual way.  Return 1 if ${cm} was set
 * aside or dropped, 0 if it goes the usual way, or a DB_E* error.
 */
static int
stranger(struct db *db, const struct commit *cm, const uint8_t *body,
    size_t len, const uint8_t sig[COMMIT_SIG_LEN], struct db_counts *res,
    char err[STORE_ERRLEN])
{
	uint32_t oidx;
	bool found;

	if (!trust_enabled(db->trust))
		return (0);
	if ((found = origin_find(db, cm->origin, &oidx))) {
		if (db->orig[oidx].named)
			return (0);
		if (db->orig[oidx].seq > 0 || holds_any(db, oidx) ||
		    trust_named(db->trust, cm->origin)) {
			db->orig[oidx].named = true;
			return (0);
		}
	} else if (trust_named(db->trust, cm->origin))
		return (0);
	if (!names_itself(db, cm))
		return (quarantine(db, cm, body, len, sig, res, err) ?
		    DB_ESTORE : 1);
	if (origin_idx(db, cm->origin, &oidx, err))
		return (DB_ESTORE);
	db->orig[oidx].named = true;
	return (release_origin(db, cm->origin, res, err));
}

/* A revoked node's commit more than FORMER_MAX_PAST past its cut-off. */
static bool
past_cutoff(struct db *db, uint32_t oidx, const struct commit *cm)
{
	struct trust_as_of as;

	if (!trust_enabled(db->trust) || trust_standing(db->trust, oidx,
	    cm->origin, cm->seq, cm->hlc, &as) != 0)
		return (false);
	return (as.st == TRUST_REVOKED && as.upto < cm->seq &&
	    cm->seq - as.upto > FORMER_MAX_PAST);
}

/*
 * Verify and apply one commit.  On DB_APPLIED, ${*oidx_out} and ${*seq_out}
 * say which origin advanced, so the caller can release held successors.
 */
static int
apply_one(struct db *db, const uint8_t *body, size_t len,
    const uint8_t sig[COMMIT_SIG_LEN], struct db_counts *res,
    uint32_t *oidx_out, uint64_t *seq_out, char err[STORE_ERRLEN])
{
	static const uint8_t zero[COMMIT_HASH_LEN];
	struct commit cm;
	struct orig *o;
	const char *why;
	uint8_t hash[COMMIT_HASH_LEN], have[COMMIT_HASH_LEN];
	uint32_t oidx;
	uint64_t nref;
	int r, ret = DB_ESTORE;

	*seq_out = 0;
	if (commit_decode(body, len, &cm, &why)) {
		snprintf(err, STORE_ERRLEN, "malformed commit: %s", why);
		return (DB_EINVALID);
	}
	commit_hash(body, len, hash);
	if (commit_verify(hash, cm.origin, sig)) {
		snprintf(err, STORE_ERRLEN, "commit %llu has a bad signature",
		    (unsigned long long)cm.seq);
		ret = DB_EINVALID;
		goto done;
	}
	/*
	 * Values of known fields are not checked against this version's
	 * schema: a newer version may have added an enum value or widened a
	 * limit, and refusing its commit would stall that origin forever.
	 * The log keeps what was signed; commit_decode() checked structure,
	 * sizes and UTF-8.
	 */
	if ((r = stranger(db, &cm, body, len, sig, res, err)) != 0) {
		ret = r < 0 ? r : 0;
		goto done;
	}
	if (origin_idx(db, cm.origin, &oidx, err))
		goto done;
	o = &db->orig[oidx];

	if (cm.seq <= o->seq) {
		r = find_hash(db, &db->s_find_commit, "SELECT hash FROM commits"
		    " WHERE origin = ? AND seq = ?", oidx, cm.seq, have, err);
		if (r < 0)
			goto done;
		if (r == 1 && sodium_memcmp(have, hash, COMMIT_HASH_LEN) == 0) {
			res->duplicate++;
			ret = 0;
			goto done;
		}
		if (record_fork(db, oidx, cm.seq, have, hash, body, len, sig,
		    err))
			goto done;
		res->fork++;
		ret = 0;
		goto done;
	}
	if (past_cutoff(db, oidx, &cm)) {
		res->dropped++;
		db->q_dropped++;
		db->q_dirty = true;
		ret = 0;
		goto done;
	}
	if (cm.seq > o->seq + 1) {
		r = find_hash(db, &db->s_find_held, "SELECT hash FROM held"
		    " WHERE origin = ? AND seq = ?", oidx, cm.seq, have, err);
		if (r < 0)
			goto done;
		if (r == 1) {
			if (sodium_memcmp(have, hash, COMMIT_HASH_LEN) == 0)
				res->duplicate++;
			else if (record_fork(db, oidx, cm.seq, have, hash,
			    body, len, sig, err))
				goto done;
			else
				res->fork++;
			ret = 0;
			goto done;
		}
		if (db_prep(db, &db->s_ins_held, "INSERT INTO held(origin, seq,"
		    " hash, body, sig) VALUES(?, ?, ?, ?, ?)", err))
			goto done;
		sqlite3_bind_int64(db->s_ins_held, 1, oidx);
		sqlite3_bind_int64(db->s_ins_held, 2, (int64_t)cm.seq);
		sqlite3_bind_blob(db->s_ins_held, 3, hash, COMMIT_HASH_LEN,
		    SQLITE_STATIC);
		sqlite3_bind_blob(db->s_ins_held, 4, body, (int)len,
		    SQLITE_STATIC);
		sqlite3_bind_blob(db->s_ins_held, 5, sig, COMMIT_SIG_LEN,
		    SQLITE_STATIC);
		r = sqlite3_step(db->s_ins_held);
		sqlite3_reset(db->s_ins_held);
		if (r != SQLITE_DONE) {
			db_errf(err, "hold commit", db->h);
			goto done;
		}
		res->held++;
		ret = 0;
		goto done;
	}

	/* The next commit of this origin: it must extend what we hold. */
	if (sodium_memcmp(cm.prev, o->seq ? o->hash : zero,
	    COMMIT_HASH_LEN) != 0) {
		if (record_fork(db, oidx, cm.seq, o->hash, hash, body, len,
		    sig, err))
			goto done;
		res->fork++;
		ret = 0;
		goto done;
	}
	/*
	 * Stamps go up per origin.  One that does not is its origin's
	 * fault, not its sender's (a relay passes it on, or it comes out
	 * of a gap long after): it is bad on its own and refused on its
	 * own.  Stored and relayed like any, so the log stays gap-free and
	 * every node decides alike; none of its changes count, and they
	 * are kept as refused (store/judge.c).
	 */
	if (o->seq > 0 && cm.hlc <= o->hlc)
		cm.refused = COMMIT_REFUSED_CLOCK;
	nref = db->nrefusals;
	if (insert_commit(db, oidx, &cm, hash, body, len, sig, err) ||
	    judge_apply_commit(db, &db->live, &cm, oidx, err))
		goto done;
	if (cm.refused) {
		res->refused++;
	} else {
		if (clock_seen(db, &cm, err))
			goto done;
		if (db->nrefusals == nref) {
			clock_follow(db, cm.hlc);
			if (clock_reports(db, &cm, err))
				goto done;
		}
		/* A certificate may name origins set aside. */
		if (db->q_origins != 0 && has_members(&cm))
			db->q_release = true;
	}
	advance(db, oidx, &cm, hash);
	res->applied++;
	*oidx_out = oidx;
	*seq_out = cm.seq;
	ret = 0;
done:
	commit_fini(&cm);
	return (ret);
}

/*
 * Apply the commits of ${key} that were set aside, in seq order (they were
 * verified when they came; they are now judged as any other).
 */
static int
release_origin(struct db *db, const uint8_t *key, struct db_counts *res,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	struct qrow {
		uint8_t	*body;
		size_t	len;
		uint8_t	sig[COMMIT_SIG_LEN];
	} *q = NULL, *nq;
	size_t n = 0, aq = 0, j;
	struct db_counts dc;
	int rc, ret = DB_ESTORE;

	if (sqlite3_prepare_v2(db->h, "SELECT body, sig FROM quarantine"
	    " WHERE key = ? ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_blob(st, 1, key, COMMIT_KEY_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == aq) {
			aq = aq ? 2 * aq : 8;
			if ((nq = realloc(q, aq * sizeof(*q))) == NULL)
				goto oom;
			q = nq;
		}
		q[n].len = (size_t)sqlite3_column_bytes(st, 0);
		if ((q[n].body = malloc(q[n].len + 1)) == NULL)
			goto oom;
		memcpy(q[n].body, sqlite3_column_blob(st, 0), q[n].len);
		memset(q[n].sig, 0, COMMIT_SIG_LEN);
		if (sqlite3_column_bytes(st, 1) == COMMIT_SIG_LEN)
			memcpy(q[n].sig, sqlite3_column_blob(st, 1),
			    COMMIT_SIG_LEN);
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n == 0)
		return (0);
	if (rc != SQLITE_DONE || sqlite3_prepare_v2(db->h, "DELETE FROM"
	    " quarantine WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_blob(st, 1, key, COMMIT_KEY_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	st = NULL;
	db->q_bytes = db->q_origins = -1;
	for (j = 0; j < n; j++) {
		memset(&dc, 0, sizeof(dc));
		if ((rc = db_apply(db, q[j].body, q[j].len, q[j].sig, &dc,
		    err)) == DB_ESTORE) {
			ret = rc;
			goto fail;
		}
		res->released += dc.applied + dc.released;
		res->held += dc.held;
		res->fork += dc.fork;
		res->refused += dc.refused;
	}
	ret = 0;
	goto fail;

oom:
	snprintf(err, STORE_ERRLEN, "out of memory");
	goto fail;
dberr:
	db_errf(err, "release commits set aside", db->h);
fail:
	sqlite3_finalize(st);
	for (j = 0; j < n; j++)
		free(q[j].body);
	free(q);
	return (ret);
}

/* Does the commit ${body} carry a statement that names its origin? */
static bool
first_names(struct db *db, const uint8_t *body, size_t len)
{
	struct commit cm;
	const char *why;
	bool yes;

	if (body == NULL || commit_decode(body, len, &cm, &why))
		return (false);
	yes = names_itself(db, &cm);
	commit_fini(&cm);
	return (yes);
}

/* Apply the commits set aside of every origin a certificate now names. */
static int
release_named(struct db *db, struct db_counts *res, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	uint8_t (*keys)[COMMIT_KEY_LEN] = NULL, (*nk2)[COMMIT_KEY_LEN];
	size_t nk = 0, ak = 0, i;
	int rc, ret = 0;

	db->q_release = false;
	/*
	 * With each origin's first commit set aside: a successor's carries
	 * a statement that names it once its predecessor is named.
	 */
	if (sqlite3_prepare_v2(db->h, "SELECT key, body FROM quarantine q"
	    " WHERE seq = (SELECT min(seq) FROM quarantine WHERE"
	    " key = q.key)", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "read commits set aside", db->h);
		return (DB_ESTORE);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != COMMIT_KEY_LEN ||
		    (!trust_named(db->trust, sqlite3_column_blob(st, 0)) &&
		    !first_names(db, sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1))))
			continue;
		if (nk == ak) {
			ak = ak ? 2 * ak : 8;
			if ((nk2 = realloc(keys, ak * sizeof(*keys))) == NULL) {
				snprintf(err, STORE_ERRLEN, "out of memory");
				ret = DB_ESTORE;
				goto done;
			}
			keys = nk2;
		}
		memcpy(keys[nk++], sqlite3_column_blob(st, 0), COMMIT_KEY_LEN);
	}
	if (rc != SQLITE_DONE) {
		db_errf(err, "read commits set aside", db->h);
		ret = DB_ESTORE;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; ret == 0 && i < nk; i++)
		ret = release_origin(db, keys[i], res, err);
done:
	sqlite3_finalize(st);
	free(keys);
	return (ret);
}

int
db_apply(struct db *db, const uint8_t *body, size_t len,
    const uint8_t sig[COMMIT_SIG_LEN], struct db_counts *res,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	uint8_t *hb = NULL, hs[COMMIT_SIG_LEN];
	size_t hl;
	uint32_t oidx;
	uint64_t seq, before;
	int rc, ret = DB_ESTORE;

	if ((rc = apply_one(db, body, len, sig, res, &oidx, &seq, err)) != 0)
		return (rc);
	/* Each applied commit may unblock the next held one. */
	while (seq != 0) {
		if (db_prep(db, &st, "SELECT body, sig FROM held WHERE"
		    " origin = ? AND seq = ?", err))
			goto fail;
		sqlite3_bind_int64(st, 1, oidx);
		sqlite3_bind_int64(st, 2, (int64_t)seq + 1);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			if (rc != SQLITE_DONE) {
				db_errf(err, "read held commit", db->h);
				goto fail;
			}
			break;
		}
		hl = (size_t)sqlite3_column_bytes(st, 0);
		if ((hb = malloc(hl + 1)) == NULL ||
		    sqlite3_column_bytes(st, 1) != COMMIT_SIG_LEN) {
			snprintf(err, STORE_ERRLEN, "held commit unreadable");
			goto fail;
		}
		memcpy(hb, sqlite3_column_blob(st, 0), hl);
		memcpy(hs, sqlite3_column_blob(st, 1), COMMIT_SIG_LEN);
		sqlite3_reset(st);
		if (db_prep(db, &db->s_del_held, "DELETE FROM held WHERE"
		    " origin = ? AND seq = ?", err))
			goto fail;
		sqlite3_bind_int64(db->s_del_held, 1, oidx);
		sqlite3_bind_int64(db->s_del_held, 2, (int64_t)seq + 1);
		if (sqlite3_step(db->s_del_held) != SQLITE_DONE) {
			db_errf(err, "release held commit", db->h);
			goto fail;
		}
		sqlite3_reset(db->s_del_held);
		before = res->applied;
		if ((ret = apply_one(db, hb, hl, hs, res, &oidx, &seq,
		    err)) != 0)
			goto fail;
		ret = DB_ESTORE;
		if (res->applied > before) {
			res->applied--;
			res->released++;
		}
		free(hb);
		hb = NULL;
	}
	sqlite3_finalize(st);
	/* Last: a certificate in any of them may name strangers. */
	if (db->q_release)
		return (release_named(db, res, err));
	return (0);

fail:
	free(hb);
	sqlite3_finalize(st);
	return (ret);
}

int
db_record(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], bool *live)
{
	sqlite3_stmt *st;
	char sql[128];
	int rc, r = -1;

	snprintf(sql, sizeof(sql), "SELECT _deleted FROM main.c_%s WHERE"
	    " id = ?", c->name);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*live = sqlite3_column_int(st, 0) != 1;
		r = 1;
	} else if (rc == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(st);
	return (r);
}

/* ---- Log scans: vector, streaming, rebuild, verify. ---- */

/* Order origins by key, for db_vector(). */
static int
keyed_cmp(const void *a, const void *b)
{

	return (memcmp((*(const struct orig *const *)a)->key,
	    (*(const struct orig *const *)b)->key, COMMIT_KEY_LEN));
}

/*
 * The vector is read from the origins cache, not the commits table: with
 * 100,000 origins the query took 200 ms of the agent's loop at every ACK.
 * The key order is kept as a sorted index, made again only when origins
 * were added (rarely: a new office).
 */
int
db_vector(struct db *db, int (*fn)(void *, const uint8_t *, uint64_t),
    void *arg, char err[STORE_ERRLEN])
{
	const struct orig *o, **k;
	size_t i;

	/* Outside a transaction another process may have written. */
	if (sqlite3_get_autocommit(db->h) && db_refresh(db, err))
		return (-1);
	if (db->nkeyed != db->norig) {
		if ((k = realloc(db->okeyed, (db->norig ? db->norig : 1) *
		    sizeof(*k))) == NULL) {
			snprintf(err, STORE_ERRLEN, "out of memory");
			return (-1);
		}
		db->okeyed = k;
		for (i = 0; i < db->norig; i++)
			k[i] = &db->orig[i];
		qsort(k, db->norig, sizeof(*k), keyed_cmp);
		db->nkeyed = db->norig;
	}
	for (i = 0; i < db->nkeyed; i++) {
		o = db->okeyed[i];
		if (o->seq > 0 && !o->retired && fn(arg, o->key, o->seq))
			return (-1);
	}
	return (0);
}

int
db_retire(struct db *db, const uint8_t key[COMMIT_KEY_LEN],
    char err[STORE_ERRLEN])
{
	char k[8 + 2 * COMMIT_KEY_LEN + 1];
	uint32_t oidx;
	size_t i;

	memcpy(k, "retired:", 8);
	for (i = 0; i < COMMIT_KEY_LEN; i++)
		snprintf(k + 8 + 2 * i, 3, "%02x", key[i]);
	if (db_meta_set(db, k, "1", err))
		return (-1);
	if (origin_find(db, key, &oidx))
		db->orig[oidx].retired = true;
	return (0);
}

int
db_held_seq(struct db *db, const uint8_t key[COMMIT_KEY_LEN], uint64_t *seq,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT max(c.seq) FROM commits c"
	    " JOIN origins o ON o.idx = c.origin WHERE o.key = ? AND "
	    NOT_RETIRED, -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "read vector", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, key, COMMIT_KEY_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
	else
		db_errf(err, "read vector", db->h);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

int
db_commits_since(struct db *db, uint64_t (*have)(void *, const uint8_t *),
    int (*fn)(void *, const uint8_t *, size_t, const uint8_t *), void *arg,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *so = NULL, *sc = NULL;
	int rc, r = -1;

	if (sqlite3_prepare_v2(db->h, "SELECT idx, key FROM origins o"
	    " WHERE " NOT_RETIRED " ORDER BY idx", -1, &so, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(db->h, "SELECT body, sig FROM commits"
	    " WHERE origin = ? AND seq > ? ORDER BY seq", -1, &sc, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "read commits", db->h);
		goto done;
	}
	while ((rc = sqlite3_step(so)) == SQLITE_ROW) {
		sqlite3_reset(sc);
		sqlite3_bind_int64(sc, 1, sqlite3_column_int64(so, 0));
		sqlite3_bind_int64(sc, 2, have == NULL ? 0 :
		    (int64_t)have(arg, sqlite3_column_blob(so, 1)));
		while ((rc = sqlite3_step(sc)) == SQLITE_ROW)
			if (fn(arg, sqlite3_column_blob(sc, 0),
			    (size_t)sqlite3_column_bytes(sc, 0),
			    sqlite3_column_blob(sc, 1)))
				goto done;
		if (rc != SQLITE_DONE)
			break;
	}
	if (rc != SQLITE_DONE) {
		db_errf(err, "read commits", db->h);
		goto done;
	}
	r = 0;
done:
	sqlite3_finalize(so);
	sqlite3_finalize(sc);
	return (r);
}

long
db_commits_from(struct db *db, const uint8_t origin[COMMIT_KEY_LEN],
    uint64_t after, size_t max_bytes, int (*fn)(void *, const uint8_t *,
    size_t, const uint8_t *, uint64_t), void *arg, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	size_t bytes = 0;
	long n = 0;
	int rc = SQLITE_DONE, r;

	if (sqlite3_prepare_v2(db->h, "SELECT c.body, c.sig, c.seq FROM"
	    " commits c JOIN origins o ON o.idx = c.origin WHERE o.key = ?"
	    " AND c.seq > ? AND " NOT_RETIRED " ORDER BY c.seq", -1, &st,
	    NULL) != SQLITE_OK) {
		db_errf(err, "read commits", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, origin, COMMIT_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)after);
	while (bytes < max_bytes && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		bytes += (size_t)sqlite3_column_bytes(st, 0);
		n++;
		if ((r = fn(arg, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0),
		    sqlite3_column_blob(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2))) < 0) {
			/* Not "nothing more": the caller must not stop quietly. */
			snprintf(err, STORE_ERRLEN, "reading the commits of an"
			    " origin failed");
			sqlite3_finalize(st);
			return (-1);
		}
		if (r > 0)
			break;
	}
	if (bytes < max_bytes && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_errf(err, "read commits", db->h);
		n = -1;
	}
	sqlite3_finalize(st);
	return (n);
}

int
db_rebuild(struct db *db, char err[STORE_ERRLEN])
{
	const struct coll_def *c;
	struct tgt t = TGT("main");
	char sql[384];

	if (db_begin(db, 0, err))
		return (-1);
	/*
	 * The verdicts on stamps, found again from the log: each commit
	 * stamped no later than one before it of its origin.
	 */
	snprintf(sql, sizeof(sql), "UPDATE commits SET refused = CASE refused"
	    " WHEN 0 THEN %d ELSE 0 END WHERE n IN (SELECT n FROM (SELECT n,"
	    " refused, hlc <= coalesce(max(hlc) OVER (PARTITION BY origin"
	    " ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),"
	    " -1) AS back FROM commits) WHERE back != (refused = %d))",
	    COMMIT_REFUSED_CLOCK, COMMIT_REFUSED_CLOCK);
	if (db_exec(db, sql, err) || load_origins(db, err))
		goto fail;
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "DELETE FROM main.c_%s", c->name);
		if (db_exec(db, sql, err))
			goto fail;
	}
	db->settling = true;
	if (judge_replay(db, &t, NULL, 0, err)) {
		db->settling = false;
		goto fail;
	}
	db->settling = false;
	db->live.nrefused = -1;
	db_tgt_fini(&t);
	return (db_commit(db, err));

fail:
	db_tgt_fini(&t);
	db_rollback(db);
	return (-1);
}

static char *
hex8(const uint8_t *k, char out[17])
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 8; i++) {
		out[2 * i] = hx[k[i] >> 4];
		out[2 * i + 1] = hx[k[i] & 15];
	}
	out[16] = '\0';
	return (out);
}

/* Signatures, hashes and chains of the whole log. */
static long
verify_log(struct db *db, FILE *out, char err[STORE_ERRLEN])
{
	static const uint8_t zero[COMMIT_HASH_LEN];
	sqlite3_stmt *st;
	struct commit cm;
	const char *why;
	uint8_t hash[COMMIT_HASH_LEN], prev[COMMIT_HASH_LEN];
	const uint8_t *body;
	char k[17];
	int64_t cur = -1, oidx;
	uint64_t seq = 0, hlc = 0;
	size_t len;
	long bad = 0;
	bool back;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT c.origin, c.seq, c.hlc, c.hash,"
	    " c.body, c.sig, o.key, c.refused FROM commits c JOIN origins o"
	    " ON o.idx = c.origin ORDER BY c.origin, c.seq", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "read commits", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		oidx = sqlite3_column_int64(st, 0);
		if (oidx != cur) {
			cur = oidx;
			seq = 0;
			hlc = 0;
			memcpy(prev, zero, sizeof(prev));
		}
		hex8(sqlite3_column_blob(st, 6), k);
		body = sqlite3_column_blob(st, 4);
		len = (size_t)sqlite3_column_bytes(st, 4);
		commit_hash(body, len, hash);
		if (sqlite3_column_bytes(st, 5) != COMMIT_SIG_LEN ||
		    commit_verify(hash, sqlite3_column_blob(st, 6),
		    sqlite3_column_blob(st, 5))) {
			fprintf(out, "origin %s seq %lld: bad signature\n", k,
			    (long long)sqlite3_column_int64(st, 1));
			bad++;
		}
		if (commit_decode(body, len, &cm, &why)) {
			fprintf(out, "origin %s seq %lld: %s\n", k,
			    (long long)sqlite3_column_int64(st, 1), why);
			bad++;
			continue;
		}
		if (cm.seq != seq + 1 || cm.seq !=
		    (uint64_t)sqlite3_column_int64(st, 1) ||
		    memcmp(cm.origin, sqlite3_column_blob(st, 6),
		    COMMIT_KEY_LEN) != 0) {
			fprintf(out, "origin %s seq %llu: sequence broken\n",
			    k, (unsigned long long)cm.seq);
			bad++;
		}
		if (memcmp(cm.prev, prev, COMMIT_HASH_LEN) != 0) {
			fprintf(out, "origin %s seq %llu: hash chain broken\n",
			    k, (unsigned long long)cm.seq);
			bad++;
		}
		if (sqlite3_column_bytes(st, 3) != COMMIT_HASH_LEN ||
		    memcmp(sqlite3_column_blob(st, 3), hash,
		    COMMIT_HASH_LEN) != 0 || (uint64_t)sqlite3_column_int64(st,
		    2) != cm.hlc) {
			fprintf(out, "origin %s seq %llu: stored hash or clock"
			    " does not match the body\n", k,
			    (unsigned long long)cm.seq);
			bad++;
		}
		/* Refused for its stamp exactly when it does not go up. */
		back = seq > 0 && cm.hlc <= hlc;
		if (back != (sqlite3_column_int(st, 7) ==
		    COMMIT_REFUSED_CLOCK)) {
			fprintf(out, "origin %s seq %llu: stored verdict on its"
			    " stamp does not match the log; run 'hamroh"
			    " rebuild'\n", k, (unsigned long long)cm.seq);
			bad++;
		}
		seq = cm.seq;
		if (!back)
			hlc = cm.hlc;
		memcpy(prev, hash, COMMIT_HASH_LEN);
		commit_fini(&cm);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "read commits", db->h);
		return (-1);
	}
	return (bad);
}

long
db_verify(struct db *db, FILE *out, char err[STORE_ERRLEN])
{
	const struct coll_def *c;
	struct tgt t = TGT("temp");
	sqlite3_stmt *st;
	char sql[512];
	long bad, n;
	int rc;

	if (db_exec(db, "BEGIN", err))
		return (-1);
	/* The agent may have added an origin since this handle looked. */
	if (load_origins(db, err) || (bad = verify_log(db, out, err)) < 0)
		goto fail;
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS temp.c_%s",
		    c->name);
		if (db_exec(db, sql, err) ||
		    create_coll_table(db, "temp", c, err))
			goto fail;
	}
	if (db_exec(db, "DROP TABLE IF EXISTS temp.refused", err) ||
	    trust_schema(db->h, "temp", err, STORE_ERRLEN))
		goto fail;
	db->settling = true;
	rc = judge_replay(db, &t, NULL, 0, err);
	db->settling = false;
	if (rc)
		goto fail;
	n = (long)count(db, "SELECT (SELECT count(*) FROM (SELECT * FROM"
	    " main.refused EXCEPT SELECT * FROM temp.refused)) + (SELECT"
	    " count(*) FROM (SELECT * FROM temp.refused EXCEPT SELECT * FROM"
	    " main.refused))");
	if (n > 0) {
		fprintf(out, "refused changes: %ld differ from a rebuild of the"
		    " log; run 'hamroh rebuild'\n", n);
		bad++;
	}
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM"
		    " (SELECT * FROM main.c_%s EXCEPT SELECT * FROM temp.c_%s))"
		    " + (SELECT count(*) FROM (SELECT * FROM temp.c_%s EXCEPT"
		    " SELECT * FROM main.c_%s))", c->name, c->name, c->name,
		    c->name);
		if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) !=
		    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			db_errf(err, "compare tables", db->h);
			goto fail;
		}
		if ((n = sqlite3_column_int64(st, 0)) > 0) {
			fprintf(out, "%s: %ld rows differ from a rebuild of"
			    " the log; run 'hamroh rebuild'\n", c->name, n);
			bad++;
		}
		sqlite3_finalize(st);
	}
	db_tgt_fini(&t);
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS temp.c_%s",
		    c->name);
		db_exec(db, sql, err);
	}
	db_exec(db, "DROP TABLE IF EXISTS temp.refused; DROP TABLE IF EXISTS"
	    " temp.certs; DROP TABLE IF EXISTS temp.revocations", err);
	db_exec(db, "ROLLBACK", err);
	return (bad);

fail:
	db_tgt_fini(&t);
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

int
db_backup(struct db *db, const char *path, char err[STORE_ERRLEN])
{
	sqlite3 *to;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(path, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, STORE_ERRLEN, "%s: %s", path,
		    to ? sqlite3_errmsg(to) : "out of memory");
		sqlite3_close(to);
		return (-1);
	}
	if ((b = sqlite3_backup_init(to, "main", db->h, "main")) == NULL) {
		snprintf(err, STORE_ERRLEN, "%s: %s", path, sqlite3_errmsg(to));
		sqlite3_close(to);
		return (-1);
	}
	while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK ||
	    rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(10);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, STORE_ERRLEN, "%s: %s", path, sqlite3_errstr(rc));
		sqlite3_close(to);
		return (-1);
	}
	/* A backup is one self-contained file. */
	sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(to);
	return (0);
}

static uint64_t
count(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	uint64_t n = 0;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}

int
db_status(struct db *db, struct db_status *s, char err[STORE_ERRLEN])
{
	uint32_t me = UINT32_MAX;
	size_t i;

	(void)err;
	memset(s, 0, sizeof(*s));
	s->commits = count(db, "SELECT count(*) FROM commits");
	s->held = count(db, "SELECT count(*) FROM held");
	s->forks = count(db, "SELECT count(*) FROM fork_proof");
	s->origins = count(db, "SELECT count(DISTINCT origin) FROM commits");
	/*
	 * A retired origin's refusals are this node's own history from
	 * before it joined (its clear values, sent nowhere): audit lists
	 * them, status counts them apart.
	 */
	s->refused = count(db, "SELECT count(*) FROM main.refused r JOIN"
	    " main.origins o ON o.idx = r.origin WHERE " NOT_RETIRED);
	s->refused_history = count(db, "SELECT count(*) FROM main.refused") -
	    s->refused;
	s->strangers = count(db, "SELECT count(*) FROM quarantine");
	s->stranger_origins = count(db, "SELECT count(DISTINCT key) FROM"
	    " quarantine");
	s->dropped = db->q_dropped;
	s->max_hlc = db_last_hlc(db);
	for (i = 0; i < db->norig; i++)
		if (db->signer && memcmp(db->orig[i].key, db->pk,
		    COMMIT_KEY_LEN) == 0)
			me = (uint32_t)i;
	for (i = 0; i < db->norig; i++)
		if (i != me && db->orig[i].hlc > s->max_foreign_hlc)
			s->max_foreign_hlc = db->orig[i].hlc;
	return (0);
}

int
db_refusals(struct db *db, size_t newest,
    int (*fn)(void *, const struct db_refusal *), void *arg,
    char err[STORE_ERRLEN])
{
	struct db_refusal r;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, newest > 0 ? "SELECT o.key, r.seq,"
	    " r.hlc, r.coll, r.id, r.reason FROM main.refused r JOIN"
	    " main.origins o ON o.idx = r.origin WHERE " NOT_RETIRED
	    " ORDER BY r.hlc DESC, o.key LIMIT ?" : "SELECT o.key, r.seq, r.hlc, r.coll, r.id, r.reason"
	    " FROM main.refused r JOIN main.origins o ON o.idx = r.origin"
	    " ORDER BY o.key, r.seq, r.coll, r.id", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "read refusals", db->h);
		return (-1);
	}
	if (newest > 0)
		sqlite3_bind_int64(st, 1, (int64_t)newest);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != COMMIT_KEY_LEN ||
		    sqlite3_column_bytes(st, 4) != SCHEMA_ID_LEN)
			continue;
		r.origin = sqlite3_column_blob(st, 0);
		r.seq = (uint64_t)sqlite3_column_int64(st, 1);
		r.hlc = (uint64_t)sqlite3_column_int64(st, 2);
		r.coll = (const char *)sqlite3_column_text(st, 3);
		r.id = sqlite3_column_blob(st, 4);
		r.reason = (const char *)sqlite3_column_text(st, 5);
		if (fn(arg, &r))
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_errf(err, "read refusals", db->h);
		return (-1);
	}
	return (0);
}

int
db_load_state(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], struct rstate *rs,
    char err[STORE_ERRLEN])
{

	return (db_load_rec(db, &db->live, c, id, rs, err));
}

void
db_read_begin(struct db *db)
{

	sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL);
}

void
db_read_end(struct db *db)
{

	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
}

int
db_peer_add(struct db *db, const char *addr, const uint8_t *key,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO peers(addr, key,"
	    " added) VALUES(?, ?, strftime('%s', 'now'))", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "add peer", db->h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	if (key != NULL)
		sqlite3_bind_blob(st, 2, key, COMMIT_KEY_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "add peer", db->h);
		return (-1);
	}
	return (0);
}

int
db_peer_rm(struct db *db, const char *addr, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "DELETE FROM peers WHERE addr = ?", -1,
	    &st, NULL) != SQLITE_OK) {
		db_errf(err, "remove peer", db->h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "remove peer", db->h);
		return (-1);
	}
	return (sqlite3_changes(db->h) > 0 ? 1 : 0);
}

int
db_peers(struct db *db, int (*fn)(void *, const char *, const uint8_t *),
    void *arg, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT addr, key FROM peers ORDER BY"
	    " addr", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "list peers", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    sqlite3_column_bytes(st, 1) == COMMIT_KEY_LEN ?
		    sqlite3_column_blob(st, 1) : NULL))
			break;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_errf(err, "list peers", db->h);
		return (-1);
	}
	return (0);
}

int
db_peer_status_put(struct db *db, const struct peer_status *ps,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO peer_status"
	    " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "peer status", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, ps->key, COMMIT_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ps->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ps->addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ps->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)ps->retry_at);
	sqlite3_bind_int64(st, 6, (int64_t)ps->last_sync);
	sqlite3_bind_text(st, 7, ps->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (int64_t)ps->bytes_in);
	sqlite3_bind_int64(st, 9, (int64_t)ps->bytes_out);
	sqlite3_bind_int64(st, 10, (int64_t)ps->they_lack);
	sqlite3_bind_int64(st, 11, (int64_t)ps->we_lack);
	sqlite3_bind_int64(st, 12, (int64_t)ps->updated);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "peer status", db->h);
		return (-1);
	}
	return (0);
}

int
db_peer_status(struct db *db, int (*fn)(void *, const struct peer_status *),
    void *arg, char err[STORE_ERRLEN])
{
	struct peer_status ps;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT key, coalesce(name, ''),"
	    " coalesce(addr, ''), state, retry_at, last_sync,"
	    " coalesce(last_error, ''), bytes_in, bytes_out, they_lack,"
	    " we_lack, updated FROM peer_status ORDER BY name, key", -1, &st,
	    NULL) != SQLITE_OK) {
		db_errf(err, "peer status", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != COMMIT_KEY_LEN)
			continue;
		memcpy(ps.key, sqlite3_column_blob(st, 0), COMMIT_KEY_LEN);
		ps.name = (const char *)sqlite3_column_text(st, 1);
		ps.addr = (const char *)sqlite3_column_text(st, 2);
		ps.state = (const char *)sqlite3_column_text(st, 3);
		ps.retry_at = (uint64_t)sqlite3_column_int64(st, 4);
		ps.last_sync = (uint64_t)sqlite3_column_int64(st, 5);
		ps.last_error = (const char *)sqlite3_column_text(st, 6);
		ps.bytes_in = (uint64_t)sqlite3_column_int64(st, 7);
		ps.bytes_out = (uint64_t)sqlite3_column_int64(st, 8);
		ps.they_lack = (uint64_t)sqlite3_column_int64(st, 9);
		ps.we_lack = (uint64_t)sqlite3_column_int64(st, 10);
		ps.updated = (uint64_t)sqlite3_column_int64(st, 11);
		if (fn(arg, &ps))
			break;
	}
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1);
}

int
db_hs_fresh(struct db *db, const uint8_t key[COMMIT_KEY_LEN], uint64_t ts,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	int rc, r = 0;

	/* Never stored: it would turn negative, below any later counter. */
	if (ts >= DB_HS_LIMIT)
		return (1);
	/* Insert, or raise the stored counter only if ${ts} is above it. */
	if (sqlite3_prepare_v2(db->h, "INSERT INTO hs_seen(key, ts)"
	    " VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET ts = excluded.ts"
	    " WHERE excluded.ts > hs_seen.ts", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "replay guard", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, key, COMMIT_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ts);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "replay guard", db->h);
		return (-1);
	}
	if (sqlite3_changes(db->h) == 0)
		r = 1;
	return (r);
}

/*
 * Counters are handed out from memory below a bound stored ahead of them
 * (DB_HS_RESERVE_MS), so a dial costs an fsync on the loop once in ten
 * minutes, not every time: after a crash the next counter starts above
 * the bound, above any sent.
 */
int
db_hs_next(struct db *db, uint64_t now_ms, uint64_t *ctr,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	uint64_t stored = 0, base, c, bound;
	char v[24];

	if (now_ms >= DB_HS_LIMIT) {
		snprintf(err, STORE_ERRLEN, "the clock is out of range");
		return (-1);
	}
	if (sqlite3_prepare_v2(db->h, "SELECT CAST(v AS INTEGER) FROM meta"
	    " WHERE k = 'hs_sent'", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "handshake counter", db->h);
		return (-1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		stored = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* A bound not ours (a restart, another process): all below it used. */
	base = stored == db->hs_bound ? db->hs_last : stored;
	c = now_ms > base ? now_ms : base + 1;
	if (c >= DB_HS_LIMIT) {
		snprintf(err, STORE_ERRLEN, "the handshake counter is used up");
		return (-1);
	}
	if (c > stored) {
		bound = DB_HS_LIMIT - 1 - c > DB_HS_RESERVE_MS ?
		    c + DB_HS_RESERVE_MS : DB_HS_LIMIT - 1;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)bound);
		/* Durable unless the caller chose otherwise. */
		if (db_meta_set(db, "hs_sent", v, err))
			return (-1);
		db->hs_bound = bound;
	}
	db->hs_last = c;
	*ctr = c;
	return (0);
}

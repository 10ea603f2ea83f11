/*
 * origin.c: the origins cache (struct orig: each origin's newest seq,
 * stamp and hash, whether it is retired or forked), loaded from the log
 * and kept in step with it as commits are written; the vector.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/hlc.h"
#include "store/trust.h"

/*
 * An origin retired by a join that continued under a successor key
 * (meta 'retired:' || its hex): its commits hold what was logged before
 * the network, confidential fields in clear, and never leave this node:
 * not in the vector, not sent, not bundled.
 */
static int origin_load_forks(struct db *, char[STORE_ERRLEN]);
static int oindex_put(struct db *, uint32_t);

int
origin_load(struct db *db, char err[STORE_ERRLEN])
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
		    sqlite3_column_bytes(st, 1) != NODE_KEY_LEN) {
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
		memcpy(o->key, sqlite3_column_blob(st, 1), NODE_KEY_LEN);
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
	db->floor_hlc = db_meta_u64(db, "hlc_floor");
	db->floor_dirty = false;
	db->q_dropped = db_meta_u64(db, "quarantine_dropped");
	db->q_dirty = false;
	/* Before version 9 (a migration's layout replay) there is none. */
	if (db_count(db, "SELECT count(*) FROM sqlite_master WHERE name ="
	    " 'fork_proof'") > 0 && origin_load_forks(db, err))
		goto fail1;
	return (0);

fail:
	db_errf(err, "load origins", db->h);
fail1:
	sqlite3_finalize(st);
	return (-1);
}

const uint8_t *
db_origin_key(struct db *db, uint32_t oidx)
{

	return (oidx < db->norig ? db->orig[oidx].key : NULL);
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
origin_find(struct db *db, const uint8_t key[NODE_KEY_LEN], uint32_t *idx)
{
	size_t i;

	if (db->noindex == 0)
		return (false);
	for (i = oslot(key, db->noindex); db->oindex[i] != 0;
	    i = (i + 1) & (db->noindex - 1))
		if (memcmp(db->orig[db->oindex[i] - 1].key, key,
		    NODE_KEY_LEN) == 0) {
			*idx = db->oindex[i] - 1;
			return (true);
		}
	return (false);
}

bool
db_origin_find(struct db *db, const uint8_t key[NODE_KEY_LEN],
    uint32_t *idx)
{

	return (origin_find(db, key, idx));
}

int
origin_idx(struct db *db, const uint8_t key[NODE_KEY_LEN], uint32_t *idx,
    char err[STORE_ERRLEN])
{
	struct orig *o;

	if (origin_find(db, key, idx))
		return (0);
	if (db_prep(db, &db->s_ins_origin, "INSERT INTO origins(idx, key)"
	    " VALUES(?, ?)", err))
		return (-1);
	sqlite3_bind_int64(db->s_ins_origin, 1, (int64_t)db->norig);
	sqlite3_bind_blob(db->s_ins_origin, 2, key, NODE_KEY_LEN,
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
	memcpy(o->key, key, NODE_KEY_LEN);
	if (oindex_put(db, (uint32_t)db->norig)) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	*idx = (uint32_t)db->norig++;
	return (0);
}

int
origin_log_commit(struct db *db, uint32_t oidx, const struct commit *cm,
    const uint8_t hash[COMMIT_HASH_LEN], const uint8_t *body, size_t len,
    const uint8_t sig[NODE_SIG_LEN], char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

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
	sqlite3_bind_blob(st, 6, sig, NODE_SIG_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, (int)cm->refused);
	if (db_step(db, st, "store commit", err))
		return (-1);
	return (0);
}

void
origin_advance(struct db *db, uint32_t oidx, const struct commit *cm,
    const uint8_t hash[COMMIT_HASH_LEN])
{
	struct orig *o = &db->orig[oidx];

	o->seq = cm->seq;
	/* The stamp to beat stays the highest: a refused one is lower. */
	if (!cm->refused)
		o->hlc = cm->hlc;
	memcpy(o->hash, hash, COMMIT_HASH_LEN);
}

/* Another process (CLI or agent) may have committed meanwhile. */
int
db_refresh(struct db *db, char err[STORE_ERRLEN])
{
	int64_t dv;

	if ((dv = db_data_version(db)) == db->data_version)
		return (0);
	if (origin_load(db, err))
		return (-1);
	trust_reset(db->trust);
	db->live.nrefused = -1;
	db->data_version = dv;
	return (0);
}

/* ---- Log scans: vector, streaming, rebuild, verify. ---- */

/* Order origins by key, for db_vector(). */
static int
keyed_cmp(const void *a, const void *b)
{

	return (memcmp((*(const struct orig *const *)a)->key,
	    (*(const struct orig *const *)b)->key, NODE_KEY_LEN));
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
db_retire(struct db *db, const uint8_t key[NODE_KEY_LEN],
    char err[STORE_ERRLEN])
{
	char k[8 + 2 * NODE_KEY_LEN + 1];
	uint32_t oidx;
	size_t i;

	memcpy(k, "retired:", 8);
	for (i = 0; i < NODE_KEY_LEN; i++)
		snprintf(k + 8 + 2 * i, 3, "%02x", key[i]);
	if (db_meta_set(db, k, "1", err))
		return (-1);
	if (origin_find(db, key, &oidx))
		db->orig[oidx].retired = true;
	return (0);
}

/* ---- Forked origins (store/fork.c keeps the proofs). ---- */

static int
origin_load_forks(struct db *db, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	uint32_t oidx;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT origin, seq FROM fork_proof",
	    -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "read fork proofs", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == NODE_KEY_LEN &&
		    db_origin_find(db, sqlite3_column_blob(st, 0), &oidx))
			db->orig[oidx].fork_seq =
			    (uint64_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "read fork proofs", db->h);
		return (-1);
	}
	return (0);
}

void
origin_fork_why(struct db *db, uint32_t oidx, char why[256])
{

	snprintf(why, 256, "the office that made it signed two different "
	    "changes as its change %llu (a fork: a copy of its data directory "
	    "or a restored backup wrote too); what it wrote from its change "
	    "%llu on counts nowhere until it writes it again ('hamroh fork "
	    "recommit')",
	    (unsigned long long)db->orig[oidx].fork_seq,
	    (unsigned long long)db->orig[oidx].fork_seq);
}

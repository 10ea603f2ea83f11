/*
 * txn.c: transactions: begin, commit (flush the local writes, settle what
 * new facts changed), rollback, and read snapshots.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <string.h>

#include "store/hlc.h"
#include "store/trust.h"

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
	db->actor_len = 0;
	if (db_refresh(db, err)) {
		db_rollback(db);
		return (-1);
	}
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
	db->data_version = db_data_version(db);
	db->actor_len = 0;
	return (0);

fail:
	db_rollback(db);
	return (-1);
}

int
db_set_actor(struct db *db, const char *user, char err[STORE_ERRLEN])
{
	size_t len = user != NULL ? strlen(user) : 0;

	if (user != NULL && !commit_user_valid(user, len)) {
		snprintf(err, STORE_ERRLEN, "a user's name must be 1 to %d bytes"
		    " of text without control characters", USER_NAME_MAX);
		return (-1);
	}
	/* Writes buffered so far were made by whoever acted before. */
	if (db_flush(db, err))
		return (-1);
	if (len > 0)
		memcpy(db->actor, user, len);
	db->actor_len = len;
	return (0);
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

	local_clear(db);
	db->actor_len = 0;
	trust_reset(db->trust);
	db->live.nrefused = -1;
	db->nrd = 0;
	db->full_rederive = false;
	db->nrec_pending = 0;
	db->bytes_pending = 0;
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	/* The cache may hold what was just rolled back. */
	if (origin_load(db, (char[STORE_ERRLEN]){ 0 }) == 0)
		db->data_version = db_data_version(db);
}

size_t
db_pending_records(const struct db *db)
{

	return (db->nrec_pending);
}

void
db_read_begin(struct db *db)
{

	bool fresh = sqlite3_get_autocommit(db->h) != 0;

	sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL);
	/*
	 * Inside a transaction already the cache may hold what it has not
	 * committed: keep it.  A failed refresh keeps the old cache too:
	 * origins not yet in it read as unknown, as before.
	 */
	if (fresh)
		(void)db_refresh(db, (char[STORE_ERRLEN]){ 0 });
}

void
db_read_end(struct db *db)
{

	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
}

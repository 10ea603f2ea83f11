/*
 * status.c: what the store holds, counted, and the refusals it keeps.
 */
#include "store/db_int.h"

#include <string.h>

int
db_status(struct db *db, struct db_status *s, char err[STORE_ERRLEN])
{
	uint32_t me = UINT32_MAX;
	size_t i;

	(void)err;
	memset(s, 0, sizeof(*s));
	s->commits = db_count(db, "SELECT count(*) FROM commits");
	s->held = db_count(db, "SELECT count(*) FROM held");
	s->forks = db_count(db, "SELECT count(*) FROM fork_proof");
	s->origins = db_count(db, "SELECT count(DISTINCT origin) FROM commits");
	/*
	 * A retired origin's refusals are this node's own history from
	 * before it joined (its clear values, sent nowhere): audit lists
	 * them, status counts them apart.
	 */
	s->refused = db_count(db, "SELECT count(*) FROM main.refused r JOIN"
	    " main.origins o ON o.idx = r.origin WHERE " NOT_RETIRED);
	s->refused_history = db_count(db, "SELECT count(*) FROM main.refused") -
	    s->refused;
	s->strangers = db_count(db, "SELECT count(*) FROM quarantine");
	s->stranger_origins = db_count(db, "SELECT count(DISTINCT key) FROM"
	    " quarantine");
	s->dropped = db->q_dropped;
	s->max_hlc = db_last_hlc(db);
	for (i = 0; i < db->norig; i++)
		if (db->signer && memcmp(db->orig[i].key, db->pk,
		    NODE_KEY_LEN) == 0)
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
		if (sqlite3_column_bytes(st, 0) != NODE_KEY_LEN ||
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

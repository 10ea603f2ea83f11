/*
 * scan.c: log scans: the commits a peer lacks, in order.
 */
#include "store/db_int.h"

#include <stdio.h>

int
db_held_seq(struct db *db, const uint8_t key[NODE_KEY_LEN], uint64_t *seq,
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
	sqlite3_bind_blob(st, 1, key, NODE_KEY_LEN, SQLITE_STATIC);
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
db_commits_from(struct db *db, const uint8_t origin[NODE_KEY_LEN],
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
	sqlite3_bind_blob(st, 1, origin, NODE_KEY_LEN, SQLITE_STATIC);
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

/*
 * access.c: the local access log: who viewed which case, and when
 * (store/db.h, db_access_add).  A table of this node's database alone:
 * no commit carries it, so it is never synced, bundled or replayed.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <string.h>

static int
access_table(struct db *db, char err[STORE_ERRLEN])
{

	return (db_exec(db, "CREATE TABLE IF NOT EXISTS access_log("
	    "n INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT,"
	    " what TEXT NOT NULL, coll TEXT NOT NULL, id BLOB,"
	    " case_number TEXT)", err));
}

int
db_access_add(struct db *db, const struct db_access *a,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (access_table(db, err))
		return (-1);
	if (sqlite3_prepare_v2(db->h, "INSERT INTO access_log(at, actor,"
	    " what, coll, id, case_number) VALUES(?, ?, ?, ?, ?, ?)", -1, &st,
	    NULL) != SQLITE_OK) {
		db_errf(err, "access log", db->h);
		return (-1);
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a->at_ms);
	if (a->actor != NULL)
		sqlite3_bind_text(st, 2, a->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->what, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->coll, -1, SQLITE_STATIC);
	if (a->id != NULL)
		sqlite3_bind_blob(st, 5, a->id, SCHEMA_ID_LEN, SQLITE_STATIC);
	if (a->case_number != NULL && *a->case_number != '\0')
		sqlite3_bind_text(st, 6, a->case_number, -1, SQLITE_STATIC);
	return (db_step_fin(db, st, "access log", err));
}

long
db_access_each(struct db *db, int (*fn)(void *, const struct db_access *),
    void *arg, char err[STORE_ERRLEN])
{
	struct db_access a;
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	if (access_table(db, err))
		return (-1);
	if (sqlite3_prepare_v2(db->h, "SELECT at, actor, what, coll, id,"
	    " case_number FROM access_log ORDER BY n DESC", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "access log", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.at_ms = (uint64_t)sqlite3_column_int64(st, 0);
		a.actor = (const char *)sqlite3_column_text(st, 1);
		a.what = (const char *)sqlite3_column_text(st, 2);
		a.coll = (const char *)sqlite3_column_text(st, 3);
		if (sqlite3_column_bytes(st, 4) == SCHEMA_ID_LEN)
			a.id = sqlite3_column_blob(st, 4);
		a.case_number = (const char *)sqlite3_column_text(st, 5);
		n++;
		if (fn(arg, &a) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_errf(err, "access log", db->h);
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_finalize(st);
	return (n);
}

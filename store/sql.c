/*
 * sql.c: SQL helpers every other file of store/ uses: errors, running and
 * caching statements, meta keys, counts, the data version.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/trust.h"

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

/* The store's words for each fault: SQLite's messages, and db_errf()'s. */
enum db_fault
db_fault(const char *err)
{
	static const struct {
		int		rc;
		enum db_fault	f;
	} map[] = {
		{ SQLITE_BUSY, DB_FAULT_BUSY },
		{ SQLITE_LOCKED, DB_FAULT_BUSY },
		{ SQLITE_FULL, DB_FAULT_FULL },
		{ SQLITE_CORRUPT, DB_FAULT_CORRUPT },
		{ SQLITE_NOTADB, DB_FAULT_CORRUPT },
		{ SQLITE_READONLY, DB_FAULT_READONLY },
		{ SQLITE_IOERR, DB_FAULT_IO },
	};
	size_t i;

	if (err == NULL)
		return (DB_FAULT_OTHER);
	if (strstr(err, "the disk is full") != NULL)
		return (DB_FAULT_FULL);
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(err, sqlite3_errstr(map[i].rc)) != NULL)
			return (map[i].f);
	return (DB_FAULT_OTHER);
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

/* Step ${st} to SQLITE_DONE, then reset it or (${fin}) finalize it. */
static int
step_done(struct db *db, sqlite3_stmt *st, bool fin, const char *what,
    char err[STORE_ERRLEN])
{
	int rc;

	rc = sqlite3_step(st);
	if (fin)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, what, db->h);
		return (-1);
	}
	return (0);
}

int
db_step(struct db *db, sqlite3_stmt *st, const char *what,
    char err[STORE_ERRLEN])
{

	return (step_done(db, st, false, what, err));
}

int
db_step_fin(struct db *db, sqlite3_stmt *st, const char *what,
    char err[STORE_ERRLEN])
{

	return (step_done(db, st, true, what, err));
}

/* A number kept in meta, 0 if unset. */
uint64_t
db_meta_u64(struct db *db, const char *k)
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

int64_t
db_data_version(struct db *db)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA data_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

void
db_col_val(sqlite3_stmt *st, int i, struct val *v)
{

	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		v->t = VAL_NIL;
		break;
	case SQLITE_INTEGER:
		v->t = VAL_INT;
		v->i = sqlite3_column_int64(st, i);
		break;
	default:
		v->t = VAL_STR;
		v->s = (const char *)sqlite3_column_text(st, i);
		v->len = (size_t)sqlite3_column_bytes(st, i);
	}
}

int64_t
db_commit_mark(struct db *db)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db->h, "SELECT coalesce(max(n), 0) FROM"
	    " commits", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
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
db_meta_each(struct db *db, const char *prefix,
    int (*fn)(void *, const char *, const char *), void *arg)
{
	sqlite3_stmt *st;
	const char *k, *v;
	char *end;
	size_t n = strlen(prefix);
	int r = 0, rc;

	/* A range of the key's index: [prefix, prefix with its last byte + 1). */
	if (n == 0 || (unsigned char)prefix[n - 1] == 0xff ||
	    (end = strdup(prefix)) == NULL)
		return (-1);
	end[n - 1]++;
	if (sqlite3_prepare_v2(db->h, "SELECT k, v FROM meta WHERE k >= ?1 "
	    "AND k < ?2 ORDER BY k", -1, &st, NULL) != SQLITE_OK) {
		free(end);
		return (-1);
	}
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, end, -1, free);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		v = (const char *)sqlite3_column_text(st, 1);
		if (k != NULL && v != NULL && fn(arg, k, v) != 0)
			r = -1;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = -1;
	sqlite3_finalize(st);
	return (r);
}

int
db_meta_set(struct db *db, const char *k, const char *v,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO meta(k, v)"
	    " VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "meta", db->h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	if (db_step_fin(db, st, "meta", err))
		return (-1);
	/* Joining a network: what was taken unjudged is judged now. */
	if (strcmp(k, "admin_key") == 0) {
		trust_reset(db->trust);
		db->full_rederive = true;
	}
	return (0);
}

int
db_meta_del(struct db *db, const char *k, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->h, "DELETE FROM meta WHERE k = ?", -1, &st,
	    NULL) != SQLITE_OK) {
		db_errf(err, "meta", db->h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	return (db_step_fin(db, st, "meta", err) ? -1 : 0);
}

uint64_t
db_count(struct db *db, const char *sql)
{
	sqlite3_stmt *st;
	uint64_t n = 0;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}

/*
 * fts.c: the search index's in-memory FTS5 database (fts.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store/fts.h"

enum { ST_FIND, ST_MAP, ST_UNMAP, ST_INS, ST_DEL, ST_COUNT, ST_N };

static const char *const stmts[ST_N] = {
	[ST_FIND] = "SELECT r FROM m WHERE id = ?",
	[ST_MAP] = "INSERT OR REPLACE INTO m(id, r) VALUES (?, ?)",
	[ST_UNMAP] = "DELETE FROM m WHERE id = ?",
	[ST_INS] = "INSERT INTO f(rowid, k, t, id) VALUES (?, ?, ?, ?)",
	[ST_DEL] = "DELETE FROM f WHERE rowid = ?",
	[ST_COUNT] = "SELECT count(*) FROM m",
};

/*
 * f: one row a record, keys and text indexed, id kept beside them; m maps
 * a record to its row.  detail=none: no positions (no phrase queries are
 * made), the smallest index FTS5 keeps; the ascii tokenizer splits on
 * ASCII spaces and punctuation only, and the documents are tokens
 * separated by spaces already.
 */
static const char *const ddl =
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA secure_delete=ON;"
    "CREATE TABLE m(id BLOB PRIMARY KEY, r INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE f USING fts5(k, t, id UNINDEXED,"
    " tokenize='ascii', detail='none', columnsize=0);";

struct fts {
	sqlite3		*h;
	sqlite3_stmt	*st[ST_N];
};

/* A bound query token: the user's text, wiped before it is freed. */
static void
wipe_free(void *p)
{

	sodium_memzero(p, strlen(p));
	free(p);
}

static int
fail(struct fts *x, const char *what, char err[STORE_ERRLEN])
{

	snprintf(err, STORE_ERRLEN, "search index: %s: %s", what,
	    x->h ? sqlite3_errmsg(x->h) : "out of memory");
	return (-1);
}

int
fts_open(struct fts **xp, char err[STORE_ERRLEN])
{
	struct fts *x;
	int i;

	*xp = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	if (sqlite3_open_v2(":memory:", &x->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(x->h, ddl, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(x->h, stmts[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &x->st[i], NULL) != SQLITE_OK)
			goto fail;
	*xp = x;
	return (0);
fail:
	fail(x, "open", err);
	fts_close(x);
	return (-1);
}

void
fts_close(struct fts *x)
{
	int i;

	if (x == NULL)
		return;
	for (i = 0; i < ST_N; i++)
		sqlite3_finalize(x->st[i]);
	if (x->h != NULL) {
		/* secure_delete: the dropped pages are zeroed first. */
		(void)sqlite3_exec(x->h, "ROLLBACK", NULL, NULL, NULL);
		(void)sqlite3_exec(x->h, "DROP TABLE IF EXISTS f;"
		    "DROP TABLE IF EXISTS m;", NULL, NULL, NULL);
		sqlite3_close(x->h);
	}
	sodium_memzero(x, sizeof(*x));
	free(x);
}

int
fts_begin(struct fts *x, char err[STORE_ERRLEN])
{

	if (sqlite3_exec(x->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return (fail(x, "begin", err));
	return (0);
}

int
fts_commit(struct fts *x, char err[STORE_ERRLEN])
{

	if (sqlite3_exec(x->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return (fail(x, "commit", err));
	return (0);
}

/* Step ${st} to its end and reset it, its bindings cleared: 0 or -1. */
static int
run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1);
}

/* The row of record ${id}: 1 found, 0 not, -1 error. */
static int
find(struct fts *x, const uint8_t id[SCHEMA_ID_LEN], sqlite3_int64 *r)
{
	sqlite3_stmt *st = x->st[ST_FIND];
	int rc;

	sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1);
}

int
fts_map(struct fts *x, const uint8_t id[SCHEMA_ID_LEN], int64_t order,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = x->st[ST_MAP];

	sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, order);
	if (run(st))
		return (fail(x, "map", err));
	return (0);
}

int
fts_append(struct fts *x, const uint8_t id[SCHEMA_ID_LEN], int64_t order,
    const char *keys, size_t klen, const char *text, size_t tlen,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = x->st[ST_INS];

	sqlite3_bind_int64(st, 1, order);
	sqlite3_bind_text(st, 2, keys ? keys : "", (int)klen, SQLITE_STATIC);
	if (text != NULL)
		sqlite3_bind_text(st, 3, text, (int)tlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	if (run(st))
		return (fail(x, "insert", err));
	return (0);
}

int
fts_put(struct fts *x, const uint8_t id[SCHEMA_ID_LEN], int64_t order,
    const char *keys, size_t klen, const char *text, size_t tlen,
    char err[STORE_ERRLEN])
{
	sqlite3_int64 r;
	int found;

	if ((found = find(x, id, &r)) < 0)
		return (fail(x, "find", err));
	if (found) {
		sqlite3_bind_int64(x->st[ST_DEL], 1, r);
		if (run(x->st[ST_DEL]))
			return (fail(x, "delete", err));
	}
	if (fts_map(x, id, order, err))
		return (-1);
	return (fts_append(x, id, order, keys, klen, text, tlen, err));
}

int
fts_remove(struct fts *x, const uint8_t id[SCHEMA_ID_LEN],
    char err[STORE_ERRLEN])
{
	sqlite3_int64 r;
	int found;

	if ((found = find(x, id, &r)) < 0)
		return (fail(x, "find", err));
	if (!found)
		return (0);
	sqlite3_bind_int64(x->st[ST_DEL], 1, r);
	sqlite3_bind_blob(x->st[ST_UNMAP], 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	if (run(x->st[ST_DEL]) || run(x->st[ST_UNMAP]))
		return (fail(x, "delete", err));
	return (0);
}

long
fts_query(struct fts *x, const char *const *t, const size_t *len, size_t n,
    size_t limit, int (*fn)(void *, const uint8_t *), void *arg,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	size_t i, j, ml = 0, cap = 0;
	char *m;
	long got = 0;
	int rc;

	if (n == 0 || n > FTS_MAX_TERMS) {
		snprintf(err, STORE_ERRLEN, "search index: %zu tokens", n);
		return (-1);
	}
	for (i = 0; i < n; i++)
		cap += 2 * len[i] + 8;
	if ((m = malloc(cap + 1)) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	/* "TOKEN"* AND ...: strings, prefixes; a '"' doubled inside. */
	for (i = 0; i < n; i++) {
		if (i > 0) {
			memcpy(m + ml, " AND ", 5);
			ml += 5;
		}
		m[ml++] = '"';
		for (j = 0; j < len[i]; j++) {
			if (t[i][j] == '"')
				m[ml++] = '"';
			m[ml++] = t[i][j];
		}
		m[ml++] = '"';
		m[ml++] = '*';
	}
	m[ml] = '\0';
	if (sqlite3_prepare_v2(x->h, "SELECT id FROM f WHERE f MATCH ?"
	    " ORDER BY rowid DESC LIMIT ?", -1, &st, NULL) != SQLITE_OK) {
		wipe_free(m);
		return (fail(x, "query", err));
	}
	sqlite3_bind_text(st, 1, m, (int)ml, wipe_free);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		got++;
		if (sqlite3_column_bytes(st, 0) == SCHEMA_ID_LEN &&
		    fn(arg, sqlite3_column_blob(st, 0)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		fail(x, "query", err);
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_finalize(st);
	return (got);
}

long
fts_count(struct fts *x)
{
	sqlite3_stmt *st = x->st[ST_COUNT];
	long n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return (n);
}

int64_t
fts_memory_used(void)
{

	return ((int64_t)sqlite3_memory_used());
}

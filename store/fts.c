/*
 * fts.c: the search index's in-memory FTS5 database (fts.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store/fts.h"

enum { ST_FIND, ST_NEW, ST_SORT, ST_DEL0, ST_DEL1, ST_INS0, ST_INS1,
    ST_DELM, ST_COUNT, ST_N };

static const char *const stmts[ST_N] = {
	[ST_FIND] = "SELECT r FROM m WHERE id = ?",
	[ST_NEW] = "INSERT INTO m(id, sort) VALUES (?, ?)",
	[ST_SORT] = "UPDATE m SET sort = ? WHERE r = ?",
	[ST_DEL0] = "DELETE FROM k WHERE rowid = ?",
	[ST_DEL1] = "DELETE FROM s WHERE rowid = ?",
	[ST_INS0] = "INSERT INTO k(rowid, d) VALUES (?, ?)",
	[ST_INS1] = "INSERT INTO s(rowid, d) VALUES (?, ?)",
	[ST_DELM] = "DELETE FROM m WHERE r = ?",
	[ST_COUNT] = "SELECT count(*) FROM m",
};

/*
 * m maps a record to its rowid in k and s.  detail=none: no positions
 * (no phrase queries are made), the smallest index FTS5 keeps; the ascii
 * tokenizer splits on ASCII spaces and punctuation only, and the
 * documents are tokens separated by spaces already.
 */
static const char *const ddl =
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA secure_delete=ON;"
    "PRAGMA journal_mode=OFF;"
    "CREATE TABLE m(r INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE,"
    " sort TEXT);"
    "CREATE VIRTUAL TABLE k USING fts5(d, tokenize='ascii',"
    " detail='none', columnsize=0);"
    "CREATE VIRTUAL TABLE s USING fts5(d, tokenize='ascii',"
    " detail='none', columnsize=0);";

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
		(void)sqlite3_exec(x->h, "DROP TABLE IF EXISTS k;"
		    "DROP TABLE IF EXISTS s; DROP TABLE IF EXISTS m;", NULL,
		    NULL, NULL);
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

/* The rowid of record ${id}: 1 found, 0 not, -1 error. */
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
fts_put(struct fts *x, const uint8_t id[SCHEMA_ID_LEN], const char *sort,
    size_t sortlen, enum fts_doc which, const char *doc, size_t len,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	sqlite3_int64 r;
	int found;

	if ((found = find(x, id, &r)) < 0)
		return (fail(x, "find", err));
	if (!found) {
		st = x->st[ST_NEW];
		sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
		if (sort != NULL)
			sqlite3_bind_text(st, 2, sort, (int)sortlen,
			    SQLITE_STATIC);
		if (run(st))
			return (fail(x, "insert", err));
		r = sqlite3_last_insert_rowid(x->h);
	} else {
		if (sort != NULL) {
			st = x->st[ST_SORT];
			sqlite3_bind_text(st, 1, sort, (int)sortlen,
			    SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, r);
			if (run(st))
				return (fail(x, "update", err));
		}
		st = x->st[which == FTS_KEYS ? ST_DEL0 : ST_DEL1];
		sqlite3_bind_int64(st, 1, r);
		if (run(st))
			return (fail(x, "delete", err));
	}
	if (len == 0)
		return (0);
	st = x->st[which == FTS_KEYS ? ST_INS0 : ST_INS1];
	sqlite3_bind_int64(st, 1, r);
	sqlite3_bind_text(st, 2, doc, (int)len, SQLITE_STATIC);
	if (run(st))
		return (fail(x, "insert", err));
	return (0);
}

int
fts_remove(struct fts *x, const uint8_t id[SCHEMA_ID_LEN],
    char err[STORE_ERRLEN])
{
	sqlite3_int64 r;
	int found, i;
	static const int del[] = { ST_DEL0, ST_DEL1, ST_DELM };

	if ((found = find(x, id, &r)) < 0)
		return (fail(x, "find", err));
	for (i = 0; found && i < 3; i++) {
		sqlite3_bind_int64(x->st[del[i]], 1, r);
		if (run(x->st[del[i]]))
			return (fail(x, "delete", err));
	}
	return (0);
}

long
fts_query(struct fts *x, const char *const *t, const size_t *len, size_t n,
    size_t limit, int (*fn)(void *, const uint8_t *), void *arg,
    char err[STORE_ERRLEN])
{
	char sql[256 + FTS_MAX_TERMS * 160], *m;
	sqlite3_stmt *st = NULL;
	size_t i, j, off, ml;
	long got = 0;
	int rc;

	if (n == 0 || n > FTS_MAX_TERMS) {
		snprintf(err, STORE_ERRLEN, "search index: %zu tokens", n);
		return (-1);
	}
	off = (size_t)snprintf(sql, sizeof(sql), "SELECT id FROM m WHERE 1");
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
		    " AND r IN (SELECT rowid FROM k WHERE k MATCH ?%zu"
		    " UNION SELECT rowid FROM s WHERE s MATCH ?%zu)", i + 1,
		    i + 1);
	snprintf(sql + off, sizeof(sql) - off,
	    " ORDER BY sort DESC, r DESC LIMIT ?%zu", n + 1);
	if (sqlite3_prepare_v2(x->h, sql, -1, &st, NULL) != SQLITE_OK)
		return (fail(x, "query", err));
	for (i = 0; i < n; i++) {
		/* "TOKEN"*: a string, a prefix; '"' doubled inside. */
		ml = 0;
		if ((m = malloc(2 * len[i] + 5)) == NULL) {
			sqlite3_finalize(st);
			snprintf(err, STORE_ERRLEN, "out of memory");
			return (-1);
		}
		m[ml++] = '"';
		for (j = 0; j < len[i]; j++) {
			if (t[i][j] == '"')
				m[ml++] = '"';
			m[ml++] = t[i][j];
		}
		m[ml++] = '"';
		m[ml++] = '*';
		m[ml] = '\0';
		sqlite3_bind_text(st, (int)i + 1, m, (int)ml, wipe_free);
	}
	sqlite3_bind_int64(st, (int)n + 1, (sqlite3_int64)limit);
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

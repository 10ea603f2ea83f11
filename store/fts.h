#ifndef STORE_FTS_H
#define STORE_FTS_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/schema.h"

/*
 * The search index's storage: SQLite FTS5 in an in-memory database of its
 * own (":memory:", temp_store=MEMORY, secure_delete on), never a file, as
 * it holds plaintext.  The caller (agent/search/) folds and tokenizes;
 * this file takes documents of space-separated tokens and queries of
 * tokens, never text to parse: a query token is quoted into the MATCH
 * expression here, so no user text reaches FTS5's syntax.
 *
 * A record (16-byte id) has a sort key (newest first: its date) and two
 * documents: FTS_KEYS (names, phones, case number: built first, so they
 * are searchable early) and FTS_TEXT (the summary's words).  A query
 * matches a record when every token is a prefix of a token of either.
 */
#define FTS_MAX_TERMS	8

struct fts;

enum fts_doc {
	FTS_KEYS = 0,
	FTS_TEXT
};

/* A new, empty index; 0, or -1 with ${err}. */
int fts_open(struct fts **, char[STORE_ERRLEN]);

/*
 * fts_close(x):
 * Wipe and close: the tables are dropped with secure_delete on, so
 * SQLite zeroes their pages before it frees them.  NULL is a no-op.
 */
void fts_close(struct fts *);

/* Batch writes in one transaction (much faster for a build). */
int fts_begin(struct fts *, char[STORE_ERRLEN]);
int fts_commit(struct fts *, char[STORE_ERRLEN]);

/*
 * fts_put(x, id, sort, sortlen, which, doc, len, err):
 * Replace document ${which} of record ${id} (made if new) with ${doc}
 * (${len} bytes of tokens); ${sort} (NULL: keep) is its sort key.
 */
int fts_put(struct fts *, const uint8_t[SCHEMA_ID_LEN], const char *,
    size_t, enum fts_doc, const char *, size_t, char[STORE_ERRLEN]);

/* Forget record ${id} (absent: nothing to do). */
int fts_remove(struct fts *, const uint8_t[SCHEMA_ID_LEN],
    char[STORE_ERRLEN]);

/*
 * fts_query(x, t, len, n, limit, fn, arg, err):
 * The records matching every token ${t}[i] (${len}[i] bytes) as a
 * prefix, newest first (sort key descending), at most ${limit}: ${fn}
 * gets each id (borrowed).  Return how many, or -1 with ${err}.
 */
long fts_query(struct fts *, const char *const *, const size_t *, size_t,
    size_t, int (*)(void *, const uint8_t *), void *, char[STORE_ERRLEN]);

/* Records held; bytes of SQLite's memory in use (all connections). */
long fts_count(struct fts *);
int64_t fts_memory_used(void);

#endif /* !STORE_FTS_H */

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
 * A record (16-byte id) is one row with two documents: its keys (names,
 * phones, case number) and its text (the summary's words).  Its rowid is
 * the caller's order key: a query walks the matches from the highest key
 * down and stops at its limit.  FTS5 appends fastest in rising rowids, so
 * a build puts its rows sorted by key.  A query matches a record when
 * every token is a prefix of a token of either document.
 */
#define FTS_MAX_TERMS	8

struct fts;

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
 * fts_put(x, id, order, keys, klen, text, tlen, err):
 * Record ${id} (replaced if held) under order key ${order} (positive,
 * unique) with its keys and text documents (${text} NULL: none).
 */
int fts_put(struct fts *, const uint8_t[SCHEMA_ID_LEN], int64_t,
    const char *, size_t, const char *, size_t, char[STORE_ERRLEN]);

/*
 * A build's fast path, into a fresh index inside fts_begin(): fts_map()
 * each new record's id to its order key (best in rising ids), then
 * fts_append() its documents in rising order keys.
 */
int fts_map(struct fts *, const uint8_t[SCHEMA_ID_LEN], int64_t,
    char[STORE_ERRLEN]);
int fts_append(struct fts *, const uint8_t[SCHEMA_ID_LEN], int64_t,
    const char *, size_t, const char *, size_t, char[STORE_ERRLEN]);

/* Forget record ${id} (absent: nothing to do). */
int fts_remove(struct fts *, const uint8_t[SCHEMA_ID_LEN],
    char[STORE_ERRLEN]);

/*
 * fts_query(x, t, len, n, limit, fn, arg, err):
 * The records matching every token ${t}[i] (${len}[i] bytes) as a
 * prefix, highest order key first, at most ${limit}: ${fn} gets each id
 * (borrowed; non-zero stops).  Return how many, or -1 with ${err}.
 */
long fts_query(struct fts *, const char *const *, const size_t *, size_t,
    size_t, int (*)(void *, const uint8_t *), void *, char[STORE_ERRLEN]);

/* Records held; bytes of SQLite's memory in use (all connections). */
long fts_count(struct fts *);
int64_t fts_memory_used(void);

#endif /* !STORE_FTS_H */

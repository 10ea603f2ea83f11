#ifndef AGENT_SEARCH_INDEX_H
#define AGENT_SEARCH_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "agent/access/confidential.h"
#include "agent/search/fold.h"
#include "store/db.h"
#include "store/query.h"
#include "store/schema.h"

/*
 * The search index of the consultations a key ring may read: client
 * names, phones and case numbers, and the words of the summaries, folded
 * (fold.h), in memory only (store/fts.h).  A record is in it only if its
 * center's key is held (a node in no network, whose ring is empty: if its
 * fields are in clear) and every confidential field it has opens.
 *
 * Made to be held by the agent for a signed-in user: search_build() runs
 * on a worker with a connection of its own (it reads the store, decrypts
 * and sorts; no loop, no lock) and fills a fresh index that then replaces
 * what ${x} held.  At sign-in the agent builds SEARCH_KEYS (names, phones,
 * case numbers: searchable early), hands that index to the loop, then
 * builds SEARCH_ALL (summaries too) into a second one and swaps it in,
 * replaying with search_update() the records changed meanwhile.  The loop
 * keeps the index current with search_update() for each record a local
 * write or a peer's commit changed, and search_close() wipes it at
 * sign-out.  One thread at a time uses an index.
 *
 * The case number is field SEARCH_CASE_FIELD (agent/ops/cases.h), or for
 * a record without one (an unknown center's import), its id in hex.
 */
#define SEARCH_CASE_FIELD	"case_number"
#define SEARCH_COLL		"consultations"

struct search_index;

enum search_stage {
	SEARCH_KEYS = 1,	/* Names, phones, case numbers. */
	SEARCH_TEXT = 2,	/* (The summaries' bit.) */
	SEARCH_ALL = 3		/* Names, phones, case numbers, summaries. */
};

/* A new, empty index; 0, or -1 with ${err}. */
int search_open(struct search_index **, char[STORE_ERRLEN]);

/* Wipe and free ${x} (NULL: nothing). */
void search_close(struct search_index *);

/*
 * search_build(x, db, ring, stages, err):
 * Replace what ${x} holds with the ${stages} of every live consultation of
 * ${db} that ${ring} may read, made in one pass over the store and put
 * sorted (newest last).  Return 0, or -1 with ${err} (${x} unchanged).
 */
int search_build(struct search_index *, struct db *, const struct conf *,
    enum search_stage, char[STORE_ERRLEN]);

/*
 * search_put(x, ring, r, err):
 * Index record ${r} (a consultation as the store holds it) anew, or drop
 * it if it is deleted or ${ring} may not read it.
 */
int search_put(struct search_index *, const struct conf *,
    const struct rview *, char[STORE_ERRLEN]);

/* search_put() of record ${id} as ${db} holds it now (absent: dropped). */
int search_update(struct search_index *, struct db *, const struct conf *,
    const uint8_t[SCHEMA_ID_LEN], char[STORE_ERRLEN]);

/* Drop record ${id}. */
int search_remove(struct search_index *, const uint8_t[SCHEMA_ID_LEN],
    char[STORE_ERRLEN]);

/*
 * search_query(x, q, limit, fn, arg, err):
 * The records matching every token of ${q}, newest first (opened_at),
 * at most ${limit}; ${fn} gets each id.  Return how many, or -1.
 */
long search_query(struct search_index *, const struct search_terms *,
    size_t, int (*)(void *, const uint8_t *), void *, char[STORE_ERRLEN]);

/* Records held, and the bytes of plaintext the builds indexed. */
long search_count(struct search_index *);
size_t search_plain_bytes(const struct search_index *);

#endif /* !AGENT_SEARCH_INDEX_H */

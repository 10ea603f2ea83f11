#ifndef AGENT_ACKED_H
#define AGENT_ACKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/limits.h"

/*
 * What each peer last acknowledged holding: the vector its HELLO and the
 * ACKs of our batches gave, kept in the meta table under
 * "acked/<peer key, hex>" as "<ms> <origin hex>:<seq> ...", written by
 * the agent while a session runs.  Status counts what no other office
 * has acknowledged from these, never from a cached row.
 */
#define ACKED_PREFIX	"acked/"

struct db;
struct session;

struct acked_ent {
	uint8_t		origin[NODE_KEY_LEN];
	uint64_t	seq;
};

struct acked {
	uint8_t		peer[NODE_KEY_LEN];
	uint64_t	at_ms;		/* When it was last written. */
	size_t		n;
	struct acked_ent *v;		/* malloc()ed. */
};

#define ACKED_HASH_LEN	16

/*
 * acked_put(db, peer, now_ms, s, last, force, err):
 * Inside a write transaction: what session ${s} says ${peer} holds, as of
 * ${now_ms}, unless it is what ${last} (a hash this call keeps) says was
 * written last and not ${force}: a large vector is not rewritten every
 * few seconds for nothing.  0 if written, unchanged or not known yet; -1
 * on error.
 */
int acked_put(struct db *, const uint8_t *, uint64_t, const struct session *,
    uint8_t[ACKED_HASH_LEN], bool, char *);

/*
 * acked_each(db, fn, arg):
 * ${fn}(arg, acked) for each peer's record (borrowed for the call).
 * Returns 0, or -1 on a read error or if ${fn} returned nonzero.
 */
int acked_each(struct db *, int (*)(void *, const struct acked *), void *);

/* The seq of ${origin} in ${a}, 0 if it holds none. */
uint64_t acked_seq(const struct acked *, const uint8_t *);

#endif /* !AGENT_ACKED_H */

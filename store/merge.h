#ifndef STORE_MERGE_H
#define STORE_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "store/schema.h"

/*
 * The CRDT: every field of a record is a multi-value register.  A write
 * (hlc, origin, value) names the stamps of the heads its writer saw; a
 * write some other write saw is superseded and never shows again.  The
 * heads are the writes nobody saw; the largest stamp (hlc, then origin
 * bytes) is the visible value, and more than one head is a conflict.
 *
 * Stamps name commits: an origin's commits have strictly increasing hlc,
 * so (hlc, origin) is unique.  A seen stamp whose commit has not arrived
 * yet is remembered as "pending" so that, when it does arrive, it is born
 * superseded.  Heads and pending are thus a function of the set of
 * applied commits alone, whatever their order.  Pure: no I/O.
 *
 * Origins are small integers (oidx) that the caller maps to key bytes.
 */

struct mhead {
	uint64_t	hlc;
	uint32_t	oidx;
	bool		has_v;		/* False: value lives in a column. */
	bool		owned;		/* v's string is ours to free. */
	struct val	v;
};

struct mpend {
	uint64_t	hlc;
	uint32_t	oidx;
};

struct freg {
	char		name[SCHEMA_NAME_MAX + 1];
	size_t		nh, ah;
	struct mhead	*h;		/* Sorted; the winner is last. */
	size_t		np, ap;
	struct mpend	*p;		/* Sorted by (hlc, oidx). */
};

struct rstate {
	size_t		nf, af;
	struct freg	*f;		/* Sorted by name. */
};

struct merge_ctx {
	/* Key bytes of origin ${oidx}. */
	const uint8_t	*(*key)(void *, uint32_t);
	/* Whether the commit (hlc, oidx) has been applied. */
	bool		(*applied)(void *, uint64_t, uint32_t);
	void		*arg;
	/* Written values outlive the state: borrow them, do not copy. */
	bool		borrow;
};

/**
 * rstate_apply(st, ctx, field, len, hlc, oidx, v, seen_hlc, seen_oidx, n):
 * Apply one write to field ${field} of ${st}: drop the heads among the
 * ${n} seen stamps, remember unapplied ones as pending, then add the write
 * as a head unless a pending entry says it is already superseded.  Copies
 * ${v} unless ${ctx}->borrow.  Return 0, or -1 on out of memory (${st} is then unchanged or
 * consistent but incomplete; the caller rolls back).
 */
int rstate_apply(struct rstate *, const struct merge_ctx *, const char *,
    size_t, uint64_t, uint32_t, const struct val *, const uint64_t *,
    const uint32_t *, size_t);

/**
 * rstate_find(st, name):
 * The register of field ${name}, or NULL.
 */
struct freg *rstate_find(const struct rstate *, const char *);

/**
 * freg_winner(r):
 * The visible head of ${r}, or NULL when it has none.
 */
const struct mhead *freg_winner(const struct freg *);

/**
 * rstate_encode(st, c, sb):
 * Append the canonical encoding of ${st} to ${sb}.  Winners of fields of
 * ${c} (known fields) are written without their value: it is in a column.
 */
int rstate_encode(const struct rstate *, const struct coll_def *,
    msgpack_sbuffer *);

/**
 * rstate_decode(buf, len, st, u_hlc, u_oidx):
 * Decode ${buf} into an empty ${st}.  Heads stored without a value have
 * has_v false; the caller fills them from the columns.  Return 0, or 1 for
 * the uniform form — every non-empty column is a single head stamped
 * (${*u_hlc}, ${*u_oidx}); the caller adds them with rstate_add_head() —
 * or -1 if ${buf} is malformed.
 */
int rstate_decode(const uint8_t *, size_t, struct rstate *, uint64_t *,
    uint32_t *);

/**
 * rstate_add_head(st, name, hlc, oidx):
 * Add a head without a value (has_v false) to field ${name}.
 */
int rstate_add_head(struct rstate *, const char *, uint64_t, uint32_t);

/**
 * rstate_set_val(st, r, head, v):
 * Copy ${v} into ${head} of ${r}.  Return 0, or -1 on out of memory.
 */
int rstate_set_val(struct mhead *, const struct val *);

/**
 * freg_conflict(r):
 * Whether ${r} is a visible conflict: heads with different values.  Two
 * people who wrote the same value without seeing each other (both deleted
 * a record, say) agree; that is not shown.  Values must be loaded.
 */
bool freg_conflict(const struct freg *);

/**
 * rstate_conflicts(st):
 * Number of fields of ${st} in conflict (freg_conflict()).
 */
size_t rstate_conflicts(const struct rstate *);

/**
 * rstate_fini(st):
 * Free ${st}'s storage and leave it empty.
 */
void rstate_fini(struct rstate *);

#endif /* !STORE_MERGE_H */

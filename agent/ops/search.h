#ifndef AGENT_OPS_SEARCH_H
#define AGENT_OPS_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/ops/ops.h"
#include "agent/search/index.h"

/*
 * search: consultations by client name (any word, a prefix, case and the
 * Tajik letters folded), phone (any notation: its last 9 digits), case
 * number or words of the summary (agent/search/fold.h), among the records
 * whose center key the ring holds (ops_ring(): its error passes through).
 *
 * ops_search() builds an index for the call and wipes it after (the CLI);
 * ops_search_in() searches one held (the agent, built at sign-in with
 * ops_search_build() on a worker, kept current with search_update(),
 * wiped with search_close() at sign-out).
 */
#define OPS_SEARCH_LIMIT	50

struct ops_search_args {
	const char	*text;
	size_t		len;
	size_t		limit;		/* 0: OPS_SEARCH_LIMIT. */
};

/*
 * One record found; every string NUL-terminated ("" when unset), borrowed
 * for the call.  case_no is the case number, or the id when the schema
 * has none.
 */
struct ops_hit {
	const char	*id;
	const char	*case_no;
	const char	*opened_at;
	const char	*center;
	const char	*topic;
	const char	*status;
	const char	*client_name;
};
typedef int (*ops_hit_fn)(void *, const struct ops_hit *);

/* ${*more}: more records matched than the limit let through. */
int ops_search(struct ops *, const struct ops_search_args *, ops_hit_fn,
    void *, bool *, struct ops_err *);
int ops_search_in(struct ops *, struct search_index *,
    const struct ops_search_args *, ops_hit_fn, void *, bool *,
    struct ops_err *);

/* A new index of every consultation ${o}'s ring may read, built whole. */
int ops_search_build(struct ops *, struct search_index **, struct ops_err *);

#endif /* !AGENT_OPS_SEARCH_H */

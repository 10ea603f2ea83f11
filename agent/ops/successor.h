#ifndef AGENT_OPS_SUCCESSOR_H
#define AGENT_OPS_SUCCESSOR_H

/*
 * The operations that continue a node under a fresh key, the successor
 * of its old one (PROTOCOL.md, Successors): restore, which makes a node
 * from a backup; fork list and fork recommit, for an office whose key
 * signed two histories.  As agent/ops/ops.h's: they never print, exit
 * or read argv; rows come through callbacks.
 */
#include "agent/ops/ops.h"
#include "protocol/limits.h"

#define OPS_SUCC_HEX	(2 * NODE_KEY_LEN + 1)
#define OPS_BRANCH_HEX	17	/* A branch as people see it: 16 digits. */

/* ---- fork list. */

/* An origin that signed two histories, and this copy's branch if it is us. */
struct ops_fork_branch {
	const char	*key;		/* The origin, hex. */
	uint64_t	seq;		/* Its last seq both histories share + 1. */
	bool		self;		/* This node. */
	/* self only: what this copy wrote from ${seq} on. */
	uint64_t	changes;
	size_t		values;		/* Field values of it. */
	const char	*branch;	/* Hash of its first change (16 digits). */
};
typedef int (*ops_fork_branch_fn)(void *, const struct ops_fork_branch *);

/* Every origin that forked; ${n}: how many. */
int ops_fork_list(struct ops *, ops_fork_branch_fn, void *, long *,
    struct ops_err *);

/* ---- fork recommit. */

struct ops_fork_recommit_args {
	const char	*branch;	/* NULL, or a prefix (8+) of it. */
};

struct ops_fork_recommitted {
	char		branch[OPS_BRANCH_HEX];
	size_t		values;		/* Field values written again, */
	uint64_t	changes;	/* of this many changes. */
	char		key[OPS_SUCC_HEX];	/* The new key. */
	uint64_t	from;		/* The old key's seq it continues. */
};

/*
 * On the forked office itself, the copy whose writes are to stand:
 * continue under a fresh key from the fork on, and write again every
 * record field this copy's branch wrote.  The node's signing key must be
 * loaded (its key file is read and then replaced).
 */
int ops_fork_recommit(struct ops *, const struct ops_fork_recommit_args *,
    struct ops_fork_recommitted *, struct ops_err *);

/* ---- restore. */

struct ops_restore_args {
	const char	*backup;	/* A file 'hamroh backup' wrote. */
};

struct ops_restored {
	char	key[OPS_SUCC_HEX];	/* The key it continues under. */
};

/*
 * restore: a node in data dir ${dir}, which holds the key files only,
 * from its backup; it continues under a fresh key through an open
 * successor statement.  Like init, it takes a dir, not an open node.
 * On failure the dir is left as it was.
 */
int ops_restore(const char *, const struct ops_restore_args *, uint64_t,
    struct ops_restored *, struct ops_err *);

#endif /* !AGENT_OPS_SUCCESSOR_H */

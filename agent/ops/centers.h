#ifndef AGENT_OPS_CENTERS_H
#define AGENT_OPS_CENTERS_H

/*
 * The managed list of centers: the `centers` collection (store/schema.c),
 * written by admins as the directory is (agent/access/rules.c) and
 * gossiped like it.  A center is named by its CODE, a short name without
 * spaces ("KHJ", "Khujand"): a consultation's center=, an invite's
 * --center and init's --center name a code of this list, so a typo
 * ("Khujnad") is refused instead of starting a new center with a key of
 * its own.  Each center has a PREFIX of 3 capital letters, unique in the
 * list, that starts its consultations' case numbers (agent/ops/cases.h).
 * The record's id is BLAKE2b-128("hamroh/center/1" || code): a center is
 * one record whichever admin adds it.
 */
#include "agent/ops/ops.h"

#define CENTER_CODE_MAX		40
#define CENTER_PREFIX_LEN	3

struct ops_center {
	const char	*code;
	const char	*name;
	const char	*prefix;	/* NULL on add: derived from the code. */
	const char	*region;	/* NULL: none. */
	const char	*name_tg;
	const char	*name_ru;
};

/* add: a new center; its prefix (given or derived) in ${prefix}. */
int ops_center_add(struct ops *, const struct ops_center *,
    char[CENTER_PREFIX_LEN + 1], struct ops_err *);

/* list: every center, by code; ${n}: how many. */
typedef int (*ops_center_fn)(void *, const struct ops_center *);
int ops_center_list(struct ops *, ops_center_fn, void *, long *,
    struct ops_err *);

/*
 * The center ${code} (${len} bytes) must be in the list: 0 with its
 * prefix in ${prefix} (if not NULL), else BAD_INPUT naming the known
 * codes (what ${what} gave: "center=" or "--center").
 */
int ops_center_known(struct ops *, const char *, size_t, const char *,
    char[CENTER_PREFIX_LEN + 1], struct ops_err *);

/* A code's syntax: 1 to CENTER_CODE_MAX bytes of text, no spaces. */
bool ops_center_code_ok(const char *, size_t);

/*
 * Inside the caller's transaction: add this node's own center (meta
 * "center") to the list unless it is there (network create: the first
 * admin's center becomes the network's first).  0, or -1 with ${err}.
 */
int ops_center_put_own(struct db *, char[STORE_ERRLEN]);

/*
 * The prefix init gives its --center ${code} in ${prefix} (false if no
 * prefix can be made from it).  Until an admin's list names the center,
 * it is known on the node by its meta "center" and "center_prefix".
 */
bool ops_center_prefix_of(const char *, char[CENTER_PREFIX_LEN + 1]);

#endif /* !AGENT_OPS_CENTERS_H */

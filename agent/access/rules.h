#ifndef AGENT_RULES_H
#define AGENT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/access/confidential.h"
#include "store/db.h"
#include "store/schema.h"

/*
 * Who may write what, as the CLI sees it before anything is committed.
 * guides, directory, members and keys: admins only.  consultations: any
 * member may create one of its own center (an admin, of any); later
 * changes only by nodes of the center the record names, or by an admin;
 * the center itself never changes.  A node in no network writes what it
 * likes (nothing leaves it but bundles).
 *
 * Every node judges the same rules again when it applies a commit
 * (store/trust.h), against membership as of the commit's HLC: this is the
 * early, friendly refusal; that one is the rule.
 */
enum rules_verdict {
	RULES_OK = 0,
	RULES_ADMIN_ONLY,	/* The collection is the admins'. */
	RULES_OTHER_CENTER,	/* The record belongs to another center. */
	RULES_CENTER_FIXED,	/* A write would move it to another center. */
	RULES_NO_CENTER,	/* A new consultation that names no center. */
	RULES_CREATE_OTHER	/* A new one for a center not the node's. */
};

/**
 * rules_judge(coll, creates, role, center, record_center, written):
 * May a node of ${role} and ${center} write to collection ${coll}, making
 * a new record (${creates}) or changing one that names ${record_center}
 * ("" if none), writing center ${written} (NULL if it does not)?
 */
enum rules_verdict rules_judge(const char *, bool, const char *, const char *,
    const char *, const char *);

/* The node as the rules see it. */
struct rules_node {
	bool	in_network;	/* It has a role. */
	char	role[16];
	char	center[CONF_CENTER_MAX + 1];
};

/* Read this node's role and center from ${db} into ${n}. */
void rules_standing(struct db *, struct rules_node *);

/**
 * rules_may_write(db, n, c, id, creates, written, rc, verdict, err):
 * May node ${n} write record ${id} of ${c} (new if ${creates}), writing
 * center ${written} (or NULL)?  ${rc} gets the center the record names
 * ("" if none).  Return 0 with ${*verdict} set (RULES_OK outside a
 * network), or -1 with ${err} filled if the record cannot be read.
 */
int rules_may_write(struct db *, const struct rules_node *,
    const struct coll_def *, const uint8_t[SCHEMA_ID_LEN], bool,
    const char *, char[CONF_CENTER_MAX + 1], enum rules_verdict *,
    char[STORE_ERRLEN]);

#endif /* !AGENT_RULES_H */

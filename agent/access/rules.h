#ifndef AGENT_RULES_H
#define AGENT_RULES_H

#include <stdbool.h>
#include <stdint.h>

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

struct cli;

/* Whether this node is in a network (has a role). */
bool cli_in_network(struct cli *);

/**
 * cli_may_write(cli, c, id, creates, written, what):
 * Exit with one clear line if this node may not write record ${id} of
 * ${c} (new if ${creates}), writing center ${written} (or NULL).
 */
void cli_may_write(struct cli *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], bool, const char *, const char *);

#endif /* !AGENT_RULES_H */

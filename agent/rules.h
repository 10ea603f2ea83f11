#ifndef AGENT_RULES_H
#define AGENT_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "store/schema.h"

/*
 * Who may write what, in one place.  guides, directory, members and keys:
 * admins only.  consultations: any member may create one; later changes
 * only by nodes of the center the record names, or by an admin.  A node
 * in no network writes what it likes (nothing leaves it but bundles).
 *
 * Today the CLI refuses a forbidden write before it is committed; the
 * same judgement at apply, against membership as of each commit's HLC,
 * is still to come (issue #5).
 */
enum rules_verdict {
	RULES_OK = 0,
	RULES_ADMIN_ONLY,	/* The collection is the admins'. */
	RULES_OTHER_CENTER	/* The record belongs to another center. */
};

/**
 * rules_judge(coll, creates, role, center, record_center):
 * May a node of ${role} and ${center} write to collection ${coll}, making
 * a new record (${creates}) or changing one that names ${record_center}?
 */
enum rules_verdict rules_judge(const char *, bool, const char *, const char *,
    const char *);

struct cli;

/* Whether this node is in a network (has a role). */
bool cli_in_network(struct cli *);

/**
 * cli_may_write(cli, c, id, creates, what):
 * Exit with one clear line if this node may not write record ${id} of
 * ${c} (new if ${creates}).
 */
void cli_may_write(struct cli *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], bool, const char *);

#endif /* !AGENT_RULES_H */

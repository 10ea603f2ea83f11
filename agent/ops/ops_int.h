#ifndef AGENT_OPS_INT_H
#define AGENT_OPS_INT_H

/* What the operations share and their callers need not see. */
#include "agent/ops/ops.h"

/*
 * ops_begin(o, err):
 * db_begin() at ${o}'s time, its local commits naming ${o}->actor as who
 * made them (NULL: the node alone).  Return 0, or -1 with ${err} filled
 * and no transaction open.
 */
int ops_begin(struct ops *, char[STORE_ERRLEN]);

/* The record must exist and be live (NOT_FOUND naming ${ids}). */
int ops_need_record(struct ops *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], const char *, struct ops_err *);

/*
 * ops_may_write(o, c, id, creates, written, e):
 * May this node write record ${id} of ${c} (new if ${creates}), writing
 * center ${written} (NULL if it does not)?  DENIED in the rule's words.
 */
int ops_may_write(struct ops *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], bool, const char *, struct ops_err *);

/* The same, for a node whose standing was read (rules_standing()). */
struct rules_node;
int ops_judge(struct ops *, const struct rules_node *,
    const struct coll_def *, const uint8_t[SCHEMA_ID_LEN], bool,
    const char *, struct ops_err *);

/*
 * ops_seal(o, c, id, f, center, v, tofree, e):
 * Seal ${v} for field ${f} of record ${id} of ${center} if it is
 * confidential (agent/access/confidential.h, conf_seal_field()); free
 * ${*tofree} after the write.
 */
int ops_seal(struct ops *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], const struct field_def *, const char *,
    struct val *, char **, struct ops_err *);

#endif /* !AGENT_OPS_INT_H */

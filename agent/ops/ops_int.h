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

/* ---- Forms (forms.c): the record rules of local writes. */

/* A schema error as its catalog key, the field and its arguments; -1. */
int ops_form_fail(struct ops_err *, const struct coll_def *,
    const struct schema_fail *);

/*
 * ops_refer(o, c, f, text, len, hex, e):
 * If field ${f} of ${c} refers to another collection (RULE_REFERS), find
 * the live record ${text} names, by id or by a part of its name (a whole
 * name that matches one record wins), into ${hex}; "" if ${f} refers to
 * none or ${text} is empty.  BAD_INPUT naming the matches if not one.
 */
int ops_refer(struct ops *, const struct coll_def *, const struct field_def *,
    const char *, size_t, char[2 * SCHEMA_ID_LEN + 1], struct ops_err *);

/* A record as a local write will leave it. */
struct ops_form {
	const struct coll_def	*c;
	bool			creates;
	struct val		rec[SCHEMA_MAX_FIELDS];
	bool			changed[SCHEMA_MAX_FIELDS];
	char			*copy[SCHEMA_MAX_FIELDS];
	bool			nomem;
};

/* Start from record ${id}'s stored values (none if ${creates}). */
int ops_form_begin(struct ops *, struct ops_form *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], bool, struct ops_err *);
/* The write sets ${f} to ${v} (borrowed); internal fields are refused. */
int ops_form_put(struct ops_form *, const struct field_def *,
    const struct val *, struct ops_err *);
/* The record rules on the result, the clock's day + 1 the latest date. */
int ops_form_check(struct ops *, struct ops_form *, struct ops_err *);
void ops_form_end(struct ops_form *);

#endif /* !AGENT_OPS_INT_H */

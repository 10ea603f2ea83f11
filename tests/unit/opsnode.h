#ifndef TESTS_UNIT_OPSNODE_H
#define TESTS_UNIT_OPSNODE_H

/*
 * An in-process node for the tests that call the operations directly
 * (test_ops, test_nodeops, test_cases): a tnode_open() node, its struct
 * ops on a clock fixed at NOW_MS, center Khorog in its list, and fld()
 * for a field=value argument.
 */
#include <string.h>

#include "agent/ops/centers.h"
#include "agent/ops/ops.h"
#include "tests/unit/testnode.h"

#define NOW_MS	1796000000000ULL	/* 2026-11-30. */

struct tops {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[NODE_KEY_LEN], sk[NODE_SK_LEN];
	struct ops	o;
};

static inline uint64_t
fixed_clock(void *arg)
{

	(void)arg;
	return (NOW_MS);
}

/* Add center ${code} (named ${code}) to ${t}'s list of centers. */
static inline void
tops_center(struct tops *t, const char *code)
{
	struct ops_center c = { code, code, NULL, NULL, NULL, NULL };
	char prefix[CENTER_PREFIX_LEN + 1], msg[1024];
	struct ops_err e;

	if (ops_center_add(&t->o, &c, prefix, &e))
		fail_msg("center add %s: %s", code, ops_text("en", &e, msg,
		    sizeof(msg)));
}

/* A node whose list of centers holds Khorog, as 'init --center' does. */
static inline void
tops_open(struct tops *t, const char *tag)
{

	tnode_open(t->dir, &t->db, t->pk, t->sk, tag);
	ops_init(&t->o, t->db, t->dir, fixed_clock, NULL);
	tops_center(t, "Khorog");
}

static inline void
tops_close(struct tops *t)
{

	ops_fini(&t->o);
	tnode_close(t->dir, t->db);
}

static inline struct ops_field
fld(const char *name, const char *text)
{
	struct ops_field f;

	f.name = name;
	f.name_len = strlen(name);
	f.text = text;
	f.len = strlen(text);
	return (f);
}

#endif /* !TESTS_UNIT_OPSNODE_H */

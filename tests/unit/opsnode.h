#ifndef TESTS_UNIT_OPSNODE_H
#define TESTS_UNIT_OPSNODE_H

/*
 * An in-process node for the tests that call the operations directly
 * (test_ops, test_nodeops): a tnode_open() node, its struct ops on a
 * clock fixed at NOW_MS, and fld() for a field=value argument.
 */
#include <string.h>

#include "agent/ops/ops.h"
#include "agent/ops/users.h"
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

/* The passphrase of the admin every tops_open() node has. */
#define TOPS_PASS	"correct horse battery staple"

/* Make the node's first user, admin "admin", and sign him in. */
static inline void
tops_admin(struct ops *o)
{
	char code[USER_CODE_LEN + 1];
	struct ops_err e;

	assert_int_equal(ops_user_add(o, "admin", USER_ADMIN, TOPS_PASS,
	    strlen(TOPS_PASS), code, &e), 0);
	assert_int_equal(strlen(code), USER_CODE_LEN);
}

/* A node whose admin "admin" is signed in (the real Argon2id cost). */
static inline void
tops_open(struct tops *t, const char *tag)
{

	tnode_open(t->dir, &t->db, t->pk, t->sk, tag);
	ops_init(&t->o, t->db, t->dir, fixed_clock, NULL);
	tops_admin(&t->o);
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

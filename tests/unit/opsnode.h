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

/* Add center ${code} (named ${code}) to ${t}'s list of centers, if new. */
static inline void
tops_center(struct tops *t, const char *code)
{
	struct ops_center c = { code, code, NULL, NULL, NULL, NULL };
	char prefix[CENTER_PREFIX_LEN + 1], msg[1024];
	struct ops_err e;

	if (ops_center_add(&t->o, &c, prefix, &e) &&
	    e.key != OPS_MSG_CENTER_EXISTS)
		fail_msg("center add %s: %s", code, ops_text("en", &e, msg,
		    sizeof(msg)));
}

/* A node whose admin is signed in, its log still empty. */
static inline void
tops_open_bare(struct tops *t, const char *tag)
{

	tnode_open(t->dir, &t->db, t->pk, t->sk, tag);
	ops_init(&t->o, t->db, t->dir, fixed_clock, NULL);
	tops_admin(&t->o);
}

/* A node whose list of centers holds Khorog, as 'init --center' does. */
static inline void
tops_open(struct tops *t, const char *tag)
{

	tops_open_bare(t, tag);
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

/*
 * Add a consultation of center ${center} holding the fields a new one needs
 * (store/schema.c, schema_rule_defs[]: opened_at, channel, topic,
 * client_sex, status), each replaced by the field of ${extra} of its name,
 * and the rest of ${extra}'s ${nextra} fields; its id in ${hex}.  0, or
 * -1 with ops_add()'s error in ${e}.
 */
#define TOPS_FIELDS_MAX	24
static inline int
tops_consultation_o(struct ops *o, const char *center,
    const struct ops_field *extra, size_t nextra, char hex[33],
    struct ops_err *e)
{
	struct ops_field f[TOPS_FIELDS_MAX] = { fld("center", center),
	    fld("opened_at", "2026-11-20"), fld("channel", "walk_in"),
	    fld("topic", "patent"), fld("client_sex", "F"),
	    fld("status", "open") };
	struct ops_write_args a = { "consultations", NULL, f, 6 };
	size_t i, j;

	for (i = 0; i < nextra; i++) {
		for (j = 0; j < a.nfields; j++)
			if (f[j].name_len == extra[i].name_len &&
			    memcmp(f[j].name, extra[i].name,
			    extra[i].name_len) == 0)
				break;
		assert_true(j < TOPS_FIELDS_MAX);
		f[j] = extra[i];
		if (j == a.nfields)
			a.nfields++;
	}
	return (ops_add(o, &a, hex, e));
}

static inline int
tops_consultation(struct tops *t, const char *center,
    const struct ops_field *extra, size_t nextra, char hex[33],
    struct ops_err *e)
{

	return (tops_consultation_o(&t->o, center, extra, nextra, hex, e));
}

/* The same, failing the test if the add is refused. */
static inline void
tops_consultation_ok(struct ops *o, const char *center,
    const struct ops_field *extra, size_t nextra, char hex[33])
{
	struct ops_err e;
	char msg[1024];

	if (tops_consultation_o(o, center, extra, nextra, hex, &e))
		fail_msg("add: %s", ops_text("en", &e, msg, sizeof(msg)));
}

/* An ops_list() row callback counting rows into the long at ${arg}. */
static inline int
tops_count_cb(void *arg, const struct rview *r, bool stale)
{

	(void)r;
	(void)stale;
	(*(long *)arg)++;
	return (0);
}

/* An ops_list() row callback: the client_name shown, into char[64] ${arg}. */
static inline int
tops_name_cb(void *arg, const struct rview *r, bool stale)
{
	char *out = arg;
	size_t i;

	(void)stale;
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "client_name") == 0 &&
		    r->f[i].v.t == VAL_STR)
			snprintf(out, 64, "%.*s", (int)r->f[i].v.len,
			    r->f[i].v.s);
	return (0);
}

/* How many records of ${coll} ops_list() shows. */
static inline long
tops_count(struct ops *o, const char *coll)
{
	struct ops_read_args a;
	struct ops_err e;
	long n = 0;

	memset(&a, 0, sizeof(a));
	a.coll = coll;
	assert_int_equal(ops_list(o, &a, tops_count_cb, &n, &e), 0);
	return (n);
}

#endif /* !TESTS_UNIT_OPSNODE_H */

/*
 * test_store.c: commits from a newer version (unknown fields and
 * collections) are kept, shown and relayed; invalid commits are refused;
 * a failing reader of the log is an error, not the end of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/testnode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "store/commit.h"
#include "store/db.h"
#include "store/merge.h"
#include "store/query.h"

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[NODE_KEY_LEN], sk[NODE_SK_LEN];
};

static void
node_open(struct node *n)
{

	tnode_open(n->dir, &n->db, n->pk, n->sk, "store");
}

static void
node_close(struct node *n)
{

	tnode_close(n->dir, n->db);
}

/* A commit as a newer hamroh would write it: fields we do not know. */
static void
future_commit(const struct node *from, uint64_t seq, uint64_t hlc,
    const uint8_t prev[COMMIT_HASH_LEN], const uint8_t id[SCHEMA_ID_LEN],
    msgpack_sbuffer *sb, uint8_t sig[NODE_SIG_LEN])
{
	struct fchange f[3];
	struct rchange r[2];
	struct commit c;

	memset(&c, 0, sizeof(c));
	memset(f, 0, sizeof(f));
	memset(r, 0, sizeof(r));
	memcpy(c.origin, from->pk, NODE_KEY_LEN);
	c.seq = seq;
	c.hlc = hlc;
	memcpy(c.prev, prev, COMMIT_HASH_LEN);
	f[0].field = "status";
	f[0].field_len = 6;
	f[0].v.t = VAL_STR;
	f[0].v.s = "open";
	f[0].v.len = 4;
	f[1].field = "risk_score";		/* Unknown to us. */
	f[1].field_len = 10;
	f[1].v.t = VAL_INT;
	f[1].v.i = 7;
	r[0].coll = "consultations";
	r[0].coll_len = 13;
	memcpy(r[0].id, id, SCHEMA_ID_LEN);
	r[0].nf = 2;
	r[0].f = f;
	f[2].field = "title";
	f[2].field_len = 5;
	f[2].v.t = VAL_STR;
	f[2].v.s = "x";
	f[2].v.len = 1;
	r[1].coll = "trainings";		/* A whole unknown collection. */
	r[1].coll_len = 9;
	memcpy(r[1].id, id, SCHEMA_ID_LEN);
	r[1].nf = 1;
	r[1].f = &f[2];
	c.nrec = 2;
	c.rec = r;
	msgpack_sbuffer_init(sb);
	assert_int_equal(commit_encode(&c, sb), 0);
	{
		uint8_t h[COMMIT_HASH_LEN];

		commit_hash((const uint8_t *)sb->data, sb->size, h);
		commit_sign(h, from->sk, sig);
	}
}

static int
find_cb(void *arg, const struct rview *rv)
{
	int *found = arg;
	size_t i;

	for (i = 0; i < rv->nf; i++)
		if (strcmp(rv->f[i].name, "risk_score") == 0 &&
		    rv->f[i].v.t == VAL_INT && rv->f[i].v.i == 7)
			(*found)++;
	/* Sorted by name: risk_score sits between destination and status. */
	for (i = 1; i < rv->nf; i++)
		assert_true(strcmp(rv->f[i - 1].name, rv->f[i].name) < 0);
	return (0);
}

static int
count_cb(void *arg, const uint8_t *b, size_t l, const uint8_t *s)
{
	size_t *n = arg;

	(void)b; (void)l; (void)s;
	(*n)++;
	return (0);
}

static void
test_unknown_fields_kept(void **state)
{
	static const uint8_t zero[COMMIT_HASH_LEN];
	const struct coll_def *c = schema_coll("consultations");
	struct node a, b;
	struct db_counts dc;
	msgpack_sbuffer sb;
	uint8_t sig[NODE_SIG_LEN], id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN];
	int found = 0;
	size_t n = 0;
	FILE *devnull = fopen("/dev/null", "w");

	(void)state;
	node_open(&a);
	node_open(&b);
	randombytes_buf(id, sizeof(id));
	future_commit(&a, 1, (uint64_t)1 << 40, zero, id, &sb, sig);
	memset(&dc, 0, sizeof(dc));
	assert_int_equal(db_begin(b.db, 1000, err), 0);
	assert_int_equal(db_apply(b.db, (const uint8_t *)sb.data, sb.size, sig,
	    &dc, err), 0);
	assert_int_equal(db_commit(b.db, err), 0);
	assert_int_equal(dc.applied, 1);

	/* Shown (export/list) and it survives a rebuild. */
	assert_int_equal(query_records(b.db, c, id, NULL, 0, false, find_cb,
	    &found, err), 1);
	assert_int_equal(found, 1);
	assert_int_equal(db_rebuild(b.db, err), 0);
	found = 0;
	assert_int_equal(query_records(b.db, c, id, NULL, 0, false, find_cb,
	    &found, err), 1);
	assert_int_equal(found, 1);
	assert_int_equal(db_verify(b.db, devnull, err), 0);

	/* Relayed: the commit, unknown collection included, goes on. */
	assert_int_equal(db_commits_since(b.db, NULL, count_cb, &n, err), 0);
	assert_int_equal(n, 1);

	/* A local edit of a known field keeps the unknown one. */
	{
		struct val v = { VAL_STR, 0, "closed", 6 };

		assert_int_equal(db_begin(b.db, 2000, err), 0);
		assert_int_equal(db_put(b.db, c, id, schema_field(c,
		    "status", 6), &v, err), 0);
		assert_int_equal(db_commit(b.db, err), 0);
	}
	found = 0;
	assert_int_equal(query_records(b.db, c, id, NULL, 0, false, find_cb,
	    &found, err), 1);
	assert_int_equal(found, 1);
	assert_int_equal(db_verify(b.db, devnull, err), 0);

	msgpack_sbuffer_destroy(&sb);
	fclose(devnull);
	node_close(&a);
	node_close(&b);
}

static void
test_invalid_commits_refused(void **state)
{
	static const uint8_t zero[COMMIT_HASH_LEN];
	const struct coll_def *c = schema_coll("consultations");
	struct node a, b;
	struct db_counts dc;
	msgpack_sbuffer sb;
	uint8_t sig[NODE_SIG_LEN], id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN];
	size_t n = 0;

	(void)state;
	node_open(&a);
	node_open(&b);
	randombytes_buf(id, sizeof(id));
	future_commit(&a, 1, (uint64_t)1 << 40, zero, id, &sb, sig);
	memset(&dc, 0, sizeof(dc));

	/* One flipped bit of the body: the signature no longer holds. */
	((uint8_t *)sb.data)[sb.size / 2] ^= 1;
	assert_int_equal(db_begin(b.db, 1000, err), 0);
	assert_int_equal(db_apply(b.db, (const uint8_t *)sb.data, sb.size, sig,
	    &dc, err), -1);
	db_rollback(b.db);
	((uint8_t *)sb.data)[sb.size / 2] ^= 1;

	/* Signed by someone else. */
	sig[0] ^= 0x80;
	assert_int_equal(db_begin(b.db, 1000, err), 0);
	assert_int_equal(db_apply(b.db, (const uint8_t *)sb.data, sb.size, sig,
	    &dc, err), -1);
	assert_non_null(strstr(err, "signature"));
	db_rollback(b.db);

	/* Truncated. */
	assert_int_equal(db_begin(b.db, 1000, err), 0);
	assert_int_equal(db_apply(b.db, (const uint8_t *)sb.data, sb.size - 1,
	    sig, &dc, err), -1);
	db_rollback(b.db);
	assert_int_equal(dc.applied, 0);
	assert_int_equal(db_commits_since(b.db, NULL, count_cb, &n, err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(query_records(b.db, c, NULL, NULL, 0, true, find_cb,
	    &n, err), 0);

	msgpack_sbuffer_destroy(&sb);
	node_close(&a);
	node_close(&b);
}

static int
fail_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    uint64_t seq)
{
	int *calls = arg;

	(void)body; (void)len; (void)sig; (void)seq;
	return (++*calls == 2 ? -1 : 0);
}

/*
 * A reader of commits that fails (out of memory) makes db_commits_from()
 * fail too: it must not pass for "nothing more to send".
 */
static void
test_commits_from_reader_fails(void **state)
{
	const struct coll_def *c = schema_coll("consultations");
	struct node a;
	struct val v = { VAL_STR, 0, "open", 4 };
	uint8_t id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN];
	int calls = 0, i;

	(void)state;
	node_open(&a);
	for (i = 0; i < 3; i++) {
		randombytes_buf(id, sizeof(id));
		assert_int_equal(db_begin(a.db, 1000 + (uint64_t)i, err), 0);
		assert_int_equal(db_put(a.db, c, id, schema_field(c, "status",
		    6), &v, err), 0);
		assert_int_equal(db_commit(a.db, err), 0);
	}
	assert_int_equal(db_commits_from(a.db, a.pk, 0, SIZE_MAX, fail_cb,
	    &calls, err), -1);
	assert_int_equal(calls, 2);
	assert_true(strlen(err) > 0);
	node_close(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_fields_kept),
		cmocka_unit_test(test_invalid_commits_refused),
		cmocka_unit_test(test_commits_from_reader_fails),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

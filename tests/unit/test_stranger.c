/*
 * test_stranger: in a network, commits of origins no certificate names are
 * set aside (not in the log, the vector or any table), within caps, and
 * applied once a certificate names their origin (#10).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>

#include "agent/access/member.h"
#include "protocol/limits.h"
#include "store/db.h"
#include "store/schema.h"
#include "store/trust.h"
#include "tests/unit/testnode.h"

#define T0_MS	1795000000000ULL		/* 2026-11-18 */

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[32], sk[64];
};

static void
hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* A node; in the network of ${root} unless NULL. */
static void
nopen(struct node *n, const char *tag, const uint8_t *root)
{
	char err[STORE_ERRLEN], h[65];

	tnode_open(n->dir, &n->db, n->pk, n->sk, tag);
	if (root == NULL)
		return;
	hex(root, 32, h);
	assert_int_equal(db_begin(n->db, T0_MS, err), 0);
	assert_int_equal(db_meta_set(n->db, "admin_key", h, err), 0);
	assert_int_equal(db_commit(n->db, err), 0);
}

static void
write1(struct node *n, const char *status)
{
	char err[STORE_ERRLEN];
	uint8_t id[SCHEMA_ID_LEN];

	randombytes_buf(id, sizeof(id));
	assert_int_equal(db_begin(n->db, T0_MS, err), 0);
	tnode_put(n->db, "directory", id, "name", status);
	if (db_commit(n->db, err))
		fail_msg("commit: %s", err);
}

/* ${by} signs a certificate of ${who}, written by ${writer}. */
static void
certify(struct node *writer, const struct node *by, const struct node *who)
{
	msgpack_sbuffer sb;
	uint8_t sig[64];
	char err[STORE_ERRLEN], h[129];

	msgpack_sbuffer_init(&sb);
	assert_int_equal(trust_cert_bytes(who->pk, "s", "south", "office",
	    "2027-12-01", &sb), 0);
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size, by->sk);
	msgpack_sbuffer_destroy(&sb);
	assert_int_equal(db_begin(writer->db, T0_MS, err), 0);
	hex(who->pk, 32, h);
	tnode_put(writer->db, "members", who->pk, "key", h);
	tnode_put(writer->db, "members", who->pk, "name", "s");
	tnode_put(writer->db, "members", who->pk, "center", "south");
	tnode_put(writer->db, "members", who->pk, "role", "office");
	tnode_put(writer->db, "members", who->pk, "expires", "2027-12-01");
	hex(by->pk, 32, h);
	tnode_put(writer->db, "members", who->pk, "cert_by", h);
	hex(sig, 64, h);
	tnode_put(writer->db, "members", who->pk, "cert", h);
	if (db_commit(writer->db, err))
		fail_msg("commit: %s", err);
}

struct xfer {
	struct db		*to;
	struct db_counts	*dc;
};

static int
xfer_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct xfer *x = arg;
	char err[STORE_ERRLEN];

	if (db_apply(x->to, body, len, sig, x->dc, err) != 0)
		fail_msg("apply: %s", err);
	return (0);
}

/* Carry every commit of ${from} to ${to}; the counts in ${dc}. */
static void
carry(struct node *from, struct node *to, struct db_counts *dc)
{
	struct xfer x = { to->db, dc };
	char err[STORE_ERRLEN];

	memset(dc, 0, sizeof(*dc));
	assert_int_equal(db_begin(to->db, T0_MS, err), 0);
	assert_int_equal(db_commits_since(from->db, NULL, xfer_cb, &x, err),
	    0);
	assert_int_equal(db_commit(to->db, err), 0);
}

static int
count_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	const uint8_t *want = ((const uint8_t **)arg)[0];
	uint64_t *n = ((uint64_t **)arg)[1];

	if (memcmp(key, want, 32) == 0)
		*n = seq;
	return (0);
}

/* The seq of ${key} in ${n}'s vector; 0 if absent. */
static uint64_t
vseq(struct node *n, const uint8_t *key)
{
	uint64_t seq = 0;
	const void *arg[2] = { key, &seq };
	char err[STORE_ERRLEN];

	assert_int_equal(db_vector(n->db, count_cb, arg, err), 0);
	return (seq);
}

static void
test_set_aside_then_named(void **state)
{
	struct node r, b, s;
	struct db_counts dc;
	struct db_status st;
	char err[STORE_ERRLEN];

	(void)state;
	nopen(&r, "str-root", NULL);
	nopen(&b, "str-b", r.pk);
	nopen(&s, "str-s", NULL);
	write1(&s, "one");
	write1(&s, "two");
	/* A certificate S signs of itself names nothing. */
	certify(&s, &s, &s);
	carry(&s, &b, &dc);
	assert_int_equal(dc.strangers, 3);
	assert_int_equal(dc.applied, 0);
	assert_int_equal(vseq(&b, s.pk), 0);
	assert_int_equal(db_status(b.db, &st, err), 0);
	assert_int_equal(st.strangers, 3);
	assert_int_equal(st.stranger_origins, 1);
	assert_int_equal(st.commits, 0);

	/* Again: no duplicates set aside. */
	carry(&s, &b, &dc);
	assert_int_equal(dc.strangers, 0);

	/* Root certifies S: its commits are applied, in order. */
	certify(&r, &r, &s);
	carry(&r, &b, &dc);
	assert_int_equal(dc.applied, 1);
	assert_int_equal(dc.released, 3);
	assert_int_equal(vseq(&b, s.pk), 3);
	assert_int_equal(db_status(b.db, &st, err), 0);
	assert_int_equal(st.strangers, 0);
	assert_int_equal(db_verify(b.db, NULL, err), 0);
	tnode_close(r.dir, r.db);
	tnode_close(b.dir, b.db);
	tnode_close(s.dir, s.db);
}

static void
test_first_commit_names_itself(void **state)
{
	struct node r, b, s;
	struct db_counts dc;

	(void)state;
	nopen(&r, "str-root2", NULL);
	nopen(&b, "str-b2", r.pk);
	nopen(&s, "str-s2", NULL);
	/* As 'join' does: the new member's first commit holds its cert. */
	certify(&s, &r, &s);
	write1(&s, "after joining");
	carry(&s, &b, &dc);
	assert_int_equal(dc.strangers, 0);
	assert_int_equal(dc.applied, 2);
	assert_int_equal(vseq(&b, s.pk), 2);
	tnode_close(r.dir, r.db);
	tnode_close(b.dir, b.db);
	tnode_close(s.dir, s.db);
}

static void
test_caps(void **state)
{
	struct node r, b, s;
	struct db_counts dc, sum;
	struct db_status st;
	char err[STORE_ERRLEN];
	int i, extra = 40;

	(void)state;
	nopen(&r, "str-root3", NULL);
	nopen(&b, "str-b3", r.pk);
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < QUARANTINE_MAX_ORIGINS + extra; i++) {
		nopen(&s, "str-many", NULL);
		write1(&s, "spam");
		carry(&s, &b, &dc);
		sum.strangers += dc.strangers;
		sum.dropped += dc.dropped;
		tnode_close(s.dir, s.db);
	}
	assert_int_equal(sum.strangers, QUARANTINE_MAX_ORIGINS);
	assert_int_equal(sum.dropped, extra);
	assert_int_equal(db_status(b.db, &st, err), 0);
	assert_int_equal(st.stranger_origins, QUARANTINE_MAX_ORIGINS);
	assert_int_equal(st.dropped, extra);
	assert_int_equal(st.origins, 0);
	tnode_close(r.dir, r.db);
	tnode_close(b.dir, b.db);
}

/* ${by} revokes ${who}, accepting its commits up to ${upto}. */
static void
revoke_upto(struct node *by, const struct node *who, uint64_t upto)
{
	const struct coll_def *c = schema_coll("members");
	const char *when = "2026-11-18T10:00:00Z";
	uint8_t sig[64];
	char err[STORE_ERRLEN], h[129];
	struct val v;

	assert_int_equal(member_revoke_sign(who->pk, when, upto, "lost",
	    by->sk, sig), 0);
	assert_int_equal(db_begin(by->db, T0_MS, err), 0);
	tnode_put(by->db, "members", who->pk, "revoked", when);
	tnode_put(by->db, "members", who->pk, "revoked_reason", "lost");
	hex(by->pk, 32, h);
	tnode_put(by->db, "members", who->pk, "revoked_by", h);
	hex(sig, 64, h);
	tnode_put(by->db, "members", who->pk, "revoked_sig", h);
	hex(who->pk, 32, h);
	tnode_put(by->db, "members", who->pk, "key", h);
	memset(&v, 0, sizeof(v));
	v.t = VAL_INT;
	v.i = (int64_t)upto;
	assert_int_equal(db_put(by->db, c, who->pk, schema_field(c,
	    "revoked_seq", 11), &v, err), 0);
	if (db_commit(by->db, err))
		fail_msg("commit: %s", err);
}

/*
 * A revoked node's commits are kept, refused and audited up to
 * FORMER_MAX_PAST past what its revocation accepts; the rest are dropped.
 */
static void
test_former_member_cap(void **state)
{
	struct node r, b, s;
	struct db_counts dc;
	struct db_status st;
	char err[STORE_ERRLEN];
	int i, extra = 3;

	(void)state;
	nopen(&r, "str-root4", NULL);
	nopen(&b, "str-b4", r.pk);
	nopen(&s, "str-s4", NULL);
	certify(&r, &r, &s);
	revoke_upto(&r, &s, 1);
	carry(&r, &b, &dc);
	for (i = 0; i < 1 + FORMER_MAX_PAST + extra; i++)
		write1(&s, "after");
	carry(&s, &b, &dc);
	assert_int_equal(dc.applied, 1 + FORMER_MAX_PAST);
	assert_int_equal(dc.dropped, extra);
	assert_int_equal(vseq(&b, s.pk), 1 + FORMER_MAX_PAST);
	assert_int_equal(db_status(b.db, &st, err), 0);
	assert_int_equal(st.dropped, extra);
	/* Each kept and refused (the first, an office's, for its role). */
	assert_int_equal(st.refused, 1 + FORMER_MAX_PAST);
	tnode_close(r.dir, r.db);
	tnode_close(b.dir, b.db);
	tnode_close(s.dir, s.db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_aside_then_named),
		cmocka_unit_test(test_first_commit_names_itself),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_former_member_cap),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

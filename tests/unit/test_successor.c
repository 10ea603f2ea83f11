/*
 * test_successor.c: one origin continuing another (store/trust.h,
 * Successors).  A successor stands as its predecessor did (role, center,
 * expiry), for judging, admission and key delivery alike; its predecessor
 * makes no change after the seq it was continued from; a revocation of
 * either key revokes the lineage; a statement not signed by the old key
 * counts for nothing; and any order of arrival gives the same tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/testnode.h"
#include "tests/unit/trustnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "agent/cli/cli.h"
#include "agent/access/member.h"
#include "store/db.h"
#include "store/db_test.h"
#include "store/trust.h"

#define ORDERS		30

/*
 * ${nw} writes its own members record saying it continues ${old} from
 * seq ${seq}, the statement signed with ${signer_sk}; with ${admin}, the
 * old key's certificate (office of ${center}) is carried along.
 */
static void
succeed(struct node *nw, const struct node *old, const uint8_t *signer_sk,
    uint64_t seq, const struct node *admin, const char *center, uint64_t ms)
{
	msgpack_sbuffer sb;
	uint8_t sig[64];
	char hex[129];

	msgpack_sbuffer_init(&sb);
	assert_int_equal(trust_succ_bytes(old->pk, nw->pk, seq, &sb), 0);
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size,
	    signer_sk);
	msgpack_sbuffer_destroy(&sb);
	begin(nw, ms);
	hex_encode(nw->pk, 32, hex);
	tnode_put(nw->db, "members", nw->pk, "key", hex);
	tnode_put(nw->db, "members", nw->pk, "name", "n");
	tnode_put(nw->db, "members", nw->pk, "center", center);
	hex_encode(old->pk, 32, hex);
	tnode_put(nw->db, "members", nw->pk, "successor_of", hex);
	put_int(nw->db, "members", nw->pk, "successor_seq", (int64_t)seq);
	hex_encode(sig, 64, hex);
	tnode_put(nw->db, "members", nw->pk, "successor_sig", hex);
	if (admin != NULL) {
		tnode_put(nw->db, "members", nw->pk, "role", "office");
		tnode_put(nw->db, "members", nw->pk, "expires", EXPIRES);
		hex_encode(admin->pk, 32, hex);
		tnode_put(nw->db, "members", nw->pk, "cert_by", hex);
		cert_sig(admin, old->pk, "office", center, EXPIRES, hex);
		tnode_put(nw->db, "members", nw->pk, "successor_cert", hex);
	}
	commit(nw);
}

/* ${n} writes a consultation ${id} of ${center} with ${status}. */
static void
consult(struct node *n, const uint8_t *id, const char *center,
    const char *status, uint64_t ms)
{

	begin(n, ms);
	tnode_put(n->db, "consultations", id, "center", center);
	tnode_put(n->db, "consultations", id, "status", status);
	tnode_put(n->db, "consultations", id, "topic", "wages");
	commit(n);
}

/* ${db}'s standing of ${key} now (any change to come), and whether named. */
static enum trust_standing
standing(struct db *db, const uint8_t *key, char center[64], bool *admin,
    uint64_t *upto, bool *named)
{
	struct trust *tr;
	struct trust_as_of as;

	assert_int_equal(trust_open(&tr, db_handle(db)), 0);
	assert_int_equal(trust_standing_key(tr, key, TRUST_SEQ_ANY,
	    T0 + 60 * MIN, &as, NULL), 0);
	if (center != NULL)
		snprintf(center, 64, "%s", as.center);
	if (admin != NULL)
		*admin = as.admin;
	if (upto != NULL)
		*upto = as.upto;
	if (named != NULL)
		*named = trust_named(tr, key);
	trust_close(tr);
	return (as.st);
}

#define STATUS_OF	"SELECT status FROM c_consultations WHERE id = ?"

static void
expect_status(struct db *db, const uint8_t *id, const char *want)
{
	char *s = text_of(db, STATUS_OF, id);

	if (want == NULL) {
		if (s != NULL)
			fail_msg("expected no consultation, got '%s'", s);
		return;
	}
	if (s == NULL)
		fail_msg("expected status '%s', got none", want);
	assert_string_equal(s, want);
	free(s);
}

/*
 * The network: root R certifies office O (center north); O writes a
 * consultation, then N continues O from O's seq and writes another.
 */
struct net {
	struct node	r, o, n;
	uint8_t		c1[16], c2[16], c3[16];
	uint64_t	oseq;
};

static void
net_open(struct net *t, bool carry)
{

	open_node(&t->r, NULL);
	open_node(&t->o, t->r.pk);
	open_node(&t->n, t->r.pk);
	randombytes_buf(t->c1, 16);
	randombytes_buf(t->c2, 16);
	randombytes_buf(t->c3, 16);
	certify(&t->r, &t->o, "office", "north", T0 + MIN);
	sync_from(&t->o, &t->r, T0 + 2 * MIN);
	consult(&t->o, t->c1, "north", "open", T0 + 3 * MIN);
	sync_from(&t->r, &t->o, T0 + 4 * MIN);
	sync_from(&t->n, &t->o, T0 + 4 * MIN);
	/* O's own commits: its init-less test node wrote just the one. */
	t->oseq = 1;
	succeed(&t->n, &t->o, t->o.sk, t->oseq, carry ? &t->r : NULL,
	    "north", T0 + 5 * MIN);
	consult(&t->n, t->c2, "north", "referred", T0 + 6 * MIN);
}

static void
net_close(struct net *t)
{

	tnode_close(t->r.dir, t->r.db);
	tnode_close(t->o.dir, t->o.db);
	tnode_close(t->n.dir, t->n.db);
}

/* A successor stands as its predecessor; the predecessor is continued. */
static void
test_standing(void **state)
{
	struct net t;
	char c[64], why[256];
	bool admin, named;
	uint64_t upto;
	int carry;

	(void)state;
	for (carry = 0; carry < 2; carry++) {
		net_open(&t, carry);
		sync_from(&t.r, &t.n, T0 + 7 * MIN);
		assert_int_equal(standing(t.r.db, t.n.pk, c, &admin, NULL,
		    &named), TRUST_MEMBER);
		assert_string_equal(c, "north");
		assert_false(admin);
		assert_true(named);
		expect_status(t.r.db, t.c2, "referred");
		expect_status(t.r.db, t.c1, "open");
		/* O makes no change after the seq it was continued from. */
		assert_int_equal(standing(t.r.db, t.o.pk, NULL, NULL, &upto,
		    NULL), TRUST_REVOKED);
		assert_int_equal(upto, t.oseq);
		/* What O writes after it was continued counts nowhere. */
		consult(&t.o, t.c3, "north", "closed", T0 + 8 * MIN);
		sync_from(&t.r, &t.o, T0 + 9 * MIN);
		expect_status(t.r.db, t.c3, NULL);
		assert_int_equal(refusals(t.r.db,
		    "%went on under a new key%"), 1);
		assert_int_equal(member_check(t.r.db, t.o.pk, T0 + 60 * MIN,
		    why, sizeof(why)), MEMBER_ENDED);
		assert_non_null(strstr(why, "continued under a new key"));
		assert_int_equal(member_check(t.r.db, t.n.pk, T0 + 60 * MIN,
		    why, sizeof(why)), MEMBER_OK);
		/* The successor's own node judges alike. */
		assert_int_equal(standing(t.n.db, t.n.pk, c, NULL, NULL,
		    NULL), TRUST_MEMBER);
		assert_string_equal(c, "north");
		net_close(&t);
	}
}

/* Revoking the old key revokes its successor; revoking the new, the old. */
static void
test_revoke_lineage(void **state)
{
	struct net t;
	uint64_t upto;

	(void)state;
	net_open(&t, true);
	sync_from(&t.r, &t.n, T0 + 7 * MIN);
	revoke_node(&t.r, &t.o, t.oseq, T0 + 8 * MIN);
	assert_int_equal(standing(t.r.db, t.n.pk, NULL, NULL, &upto, NULL),
	    TRUST_REVOKED);
	assert_int_equal(upto, 0);
	/* The successor's write is refused, the predecessor's stands. */
	expect_status(t.r.db, t.c2, NULL);
	expect_status(t.r.db, t.c1, "open");
	net_close(&t);

	net_open(&t, true);
	sync_from(&t.r, &t.n, T0 + 7 * MIN);
	revoke_node(&t.r, &t.n, 0, T0 + 8 * MIN);
	assert_int_equal(standing(t.r.db, t.n.pk, NULL, NULL, &upto, NULL),
	    TRUST_REVOKED);
	assert_int_equal(standing(t.r.db, t.o.pk, NULL, NULL, &upto, NULL),
	    TRUST_REVOKED);
	assert_int_equal(upto, t.oseq);
	expect_status(t.r.db, t.c2, NULL);
	expect_status(t.r.db, t.c1, "open");
	net_close(&t);
}

/* ${old}'s statement that ${nw} continues it from ${seq}, as msg1 sends it. */
static void
stmt_of(const struct node *old, const struct node *nw, uint64_t seq,
    struct trust_stmt *st)
{
	msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	assert_int_equal(trust_succ_bytes(old->pk, nw->pk, seq, &sb), 0);
	crypto_sign_detached(st->sig, NULL, (uint8_t *)sb.data, sb.size,
	    old->sk);
	msgpack_sbuffer_destroy(&sb);
	memcpy(st->old, old->pk, 32);
	st->seq = seq;
}

/*
 * A statement the handshake carries, taken as a fact for admission only:
 * the answer is the one the node gets once the statement is in its log.
 */
static void
test_assumed(void **state)
{
	struct member_standing ms;
	struct trust_stmt st;
	struct net t;
	char why[256];
	uint64_t now = T0 + 60 * MIN;

	(void)state;
	net_open(&t, false);
	stmt_of(&t.o, &t.n, t.oseq, &st);
	/* R has not seen N's statement: N is unknown, but by it a member. */
	assert_int_equal(member_check(t.r.db, t.n.pk, now, why, sizeof(why)),
	    MEMBER_UNKNOWN);
	assert_int_equal(member_now_as(t.r.db, t.n.pk, &st, 1, now, &ms, why,
	    sizeof(why)), MEMBER_OK);
	assert_string_equal(ms.center, "north");
	/* Nothing was recorded. */
	assert_int_equal(member_check(t.r.db, t.n.pk, now, why, sizeof(why)),
	    MEMBER_UNKNOWN);
	/* A statement that does not verify, or of another new key: no. */
	st.sig[0] ^= 1;
	assert_int_equal(member_now_as(t.r.db, t.n.pk, &st, 1, now, &ms, why,
	    sizeof(why)), MEMBER_UNKNOWN);
	st.sig[0] ^= 1;
	assert_int_equal(member_now_as(t.r.db, t.o.pk, &st, 1, now, &ms, why,
	    sizeof(why)), MEMBER_UNKNOWN);
	/* Once the old key is revoked, the lineage is refused by it too. */
	revoke_node(&t.r, &t.o, t.oseq, T0 + 8 * MIN);
	assert_int_equal(member_now_as(t.r.db, t.n.pk, &st, 1, now, &ms, why,
	    sizeof(why)), MEMBER_ENDED);
	sync_from(&t.r, &t.n, T0 + 9 * MIN);
	assert_int_equal(member_check(t.r.db, t.n.pk, now, why, sizeof(why)),
	    MEMBER_ENDED);
	net_close(&t);
}

/* An open statement (a restore): the old key keeps its standing. */
static void
test_open(void **state)
{
	struct node r, o, n;
	uint8_t c1[16], c2[16], c3[16];
	char c[64], why[256];

	(void)state;
	open_node(&r, NULL);
	open_node(&o, r.pk);
	open_node(&n, r.pk);
	randombytes_buf(c1, 16);
	randombytes_buf(c2, 16);
	randombytes_buf(c3, 16);
	certify(&r, &o, "office", "north", T0 + MIN);
	sync_from(&o, &r, T0 + 2 * MIN);
	sync_from(&n, &r, T0 + 2 * MIN);
	consult(&o, c1, "north", "open", T0 + 3 * MIN);
	succeed(&n, &o, o.sk, TRUST_SUCC_OPEN, &r, "north", T0 + 4 * MIN);
	consult(&n, c2, "north", "referred", T0 + 5 * MIN);
	/* The old node, still running, writes after the restore. */
	consult(&o, c3, "north", "closed", T0 + 6 * MIN);
	sync_from(&r, &n, T0 + 7 * MIN);
	sync_from(&r, &o, T0 + 7 * MIN);
	expect_status(r.db, c1, "open");
	expect_status(r.db, c2, "referred");
	expect_status(r.db, c3, "closed");
	assert_int_equal(standing(r.db, n.pk, c, NULL, NULL, NULL),
	    TRUST_MEMBER);
	assert_string_equal(c, "north");
	assert_int_equal(member_check(r.db, o.pk, T0 + 60 * MIN, why,
	    sizeof(why)), MEMBER_OK);
	assert_int_equal(member_check(r.db, n.pk, T0 + 60 * MIN, why,
	    sizeof(why)), MEMBER_OK);
	tnode_close(r.dir, r.db);
	tnode_close(o.dir, o.db);
	tnode_close(n.dir, n.db);
}

/* A statement not signed by the old key counts for nothing. */
static void
test_forged(void **state)
{
	struct node r, o, n;
	uint8_t c2[16];
	bool named;

	(void)state;
	open_node(&r, NULL);
	open_node(&o, r.pk);
	open_node(&n, r.pk);
	randombytes_buf(c2, 16);
	certify(&r, &o, "office", "north", T0 + MIN);
	/* Signed by the new key itself, then by root: neither is O. */
	succeed(&n, &o, n.sk, 1, NULL, "north", T0 + 5 * MIN);
	consult(&n, c2, "north", "open", T0 + 6 * MIN);
	succeed(&n, &o, r.sk, 1, NULL, "north", T0 + 7 * MIN);
	sync_from(&r, &n, T0 + 8 * MIN);
	assert_int_equal(standing(r.db, n.pk, NULL, NULL, NULL, &named),
	    TRUST_STRANGER);
	assert_false(named);
	expect_status(r.db, c2, NULL);
	assert_int_equal(standing(r.db, o.pk, NULL, NULL, NULL, NULL),
	    TRUST_MEMBER);
	tnode_close(r.dir, r.db);
	tnode_close(o.dir, o.db);
	tnode_close(n.dir, n.db);
}

/*
 * Every order of arrival of the same commits (with and without the
 * revocation of the old key) ends in the same standing and tables.
 */
static void
test_any_order(void **state)
{
	struct net t;
	struct history h = { NULL, 0 };
	struct node x;
	struct wire tmp;
	char err[STORE_ERRLEN], c[64];
	size_t i, j, k, order;
	int rev;

	(void)state;
	for (rev = 0; rev < 2; rev++) {
		net_open(&t, rev == 0);
		sync_from(&t.r, &t.n, T0 + 7 * MIN);
		if (rev)
			revoke_node(&t.r, &t.o, t.oseq, T0 + 8 * MIN);
		h.n = 0;
		assert_int_equal(db_commits_since(t.r.db, NULL, keep_cb, &h,
		    err), 0);
		for (order = 0; order < ORDERS; order++) {
			for (i = h.n - 1; order > 0 && i > 0; i--) {
				j = rnd((uint32_t)i + 1);
				tmp = h.w[i];
				h.w[i] = h.w[j];
				h.w[j] = tmp;
			}
			open_node(&x, t.r.pk);
			for (i = 0; i < h.n; i += k) {
				k = 1 + rnd(3);
				begin(&x, T0 + 50 * MIN);
				for (j = i; j < i + k && j < h.n; j++)
					apply_cb(x.db, h.w[j].body, h.w[j].len,
					    h.w[j].sig);
				commit(&x);
			}
			if (db_verify(x.db, stderr, err) != 0)
				fail_msg("order %zu: verify found problems",
				    order);
			expect_status(x.db, t.c1, "open");
			if (rev) {
				assert_int_equal(standing(x.db, t.n.pk, NULL,
				    NULL, NULL, NULL), TRUST_REVOKED);
				expect_status(x.db, t.c2, NULL);
			} else {
				assert_int_equal(standing(x.db, t.n.pk, c,
				    NULL, NULL, NULL), TRUST_MEMBER);
				assert_string_equal(c, "north");
				expect_status(x.db, t.c2, "referred");
			}
			tnode_close(x.dir, x.db);
		}
		for (i = 0; i < h.n; i++)
			free(h.w[i].body);
		net_close(&t);
	}
	free(h.w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standing),
		cmocka_unit_test(test_revoke_lineage),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_assumed),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_any_order),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

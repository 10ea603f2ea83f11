/*
 * test_member.c: membership certificates — signing, verification, and
 * member_check() deciding who belongs to a network.
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
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/access/confidential.h"
#include "agent/access/member.h"
#include "store/db.h"
#include "store/db_test.h"
#include "store/trust.h"

/* 2025-06-01T12:00:00Z */
#define NOW_MS		1748779200000ULL
#define FUTURE		"2030-01-01"

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[NODE_KEY_LEN], sk[NODE_SK_LEN];
};

struct key {
	uint8_t		pk[NODE_KEY_LEN], sk[NODE_SK_LEN];
};

static void
node_open(struct node *n)
{
	char err[STORE_ERRLEN], hex[2 * NODE_KEY_LEN + 1];

	tnode_open(n->dir, &n->db, n->pk, n->sk, "member");
	/* This node is the network's admin. */
	hex_encode(n->pk, NODE_KEY_LEN, hex);
	assert_int_equal(db_meta_set(n->db, "admin_key", hex, err), 0);
}

static void
node_close(struct node *n)
{

	tnode_close(n->dir, n->db);
}

static void
put(struct db *db, const uint8_t *id, const char *field, const char *s)
{

	tnode_put(db, "members", id, field, s);
}

/*
 * Certify ${who} (name, center, role, expires) with ${by_sk}, naming
 * ${by_pk} as the signer, and write the record on ${n}; its key field says
 * ${keyfield} if not NULL.
 */
static void
certify(struct node *n, const uint8_t who[NODE_KEY_LEN], const char *name,
    const char *role, const char *expires, const uint8_t *by_pk,
    const uint8_t *by_sk, const char *keyfield)
{
	struct member_cert c;
	uint8_t sig[NODE_SIG_LEN];
	char err[STORE_ERRLEN], hex[2 * NODE_KEY_LEN + 1];
	char sigh[2 * NODE_SIG_LEN + 1];

	memcpy(c.key, who, NODE_KEY_LEN);
	c.name = name;
	c.center = "Khujand";
	c.role = role;
	c.expires = expires;
	assert_int_equal(member_cert_sign(&c, by_sk, sig), 0);
	assert_int_equal(db_begin(n->db, NOW_MS, err), 0);
	hex_encode(who, NODE_KEY_LEN, hex);
	put(n->db, who, "key", keyfield ? keyfield : hex);
	put(n->db, who, "name", name);
	put(n->db, who, "center", "Khujand");
	put(n->db, who, "role", role);
	put(n->db, who, "expires", expires);
	hex_encode(by_pk, NODE_KEY_LEN, hex);
	put(n->db, who, "cert_by", hex);
	hex_encode(sig, NODE_SIG_LEN, sigh);
	put(n->db, who, "cert", sigh);
	assert_int_equal(db_commit(n->db, err), 0);
}

static void
expect_refused(struct node *n, const uint8_t *key, const char *want)
{
	char why[256];

	why[0] = '\0';
	assert_true(member_check(n->db, key, NOW_MS, why, sizeof(why)) < 0);
	if (strstr(why, want) == NULL)
		fail_msg("expected a reason containing '%s', got '%s'", want,
		    why);
}

static void
expect_member(struct node *n, const uint8_t *key)
{
	char why[256];

	why[0] = '\0';
	if (member_check(n->db, key, NOW_MS, why, sizeof(why)) != 0)
		fail_msg("expected a valid member, got: %s", why);
}

static void
test_sign_verify(void **state)
{
	struct key a, m, other;
	struct member_cert c;
	uint8_t sig[NODE_SIG_LEN];

	(void)state;
	crypto_sign_keypair(a.pk, a.sk);
	crypto_sign_keypair(m.pk, m.sk);
	crypto_sign_keypair(other.pk, other.sk);
	memcpy(c.key, m.pk, NODE_KEY_LEN);
	c.name = "Khujand office";
	c.center = "Khujand";
	c.role = "center";
	c.expires = FUTURE;
	assert_int_equal(member_cert_sign(&c, a.sk, sig), 0);
	assert_int_equal(member_cert_verify(&c, sig, a.pk), 0);
	/* Only the signer's key verifies it. */
	assert_int_equal(member_cert_verify(&c, sig, other.pk), -1);
	assert_int_equal(member_cert_verify(&c, sig, m.pk), -1);
	/* Every bit of the signature matters. */
	sig[17] ^= 0x01;
	assert_int_equal(member_cert_verify(&c, sig, a.pk), -1);
	sig[17] ^= 0x01;
	/* Deterministic: the same fields give the same signature. */
	{
		uint8_t sig2[NODE_SIG_LEN];

		assert_int_equal(member_cert_sign(&c, a.sk, sig2), 0);
		assert_memory_equal(sig, sig2, NODE_SIG_LEN);
	}
}

static void
test_tampered_fields(void **state)
{
	struct key a, m;
	struct member_cert c, t;
	uint8_t sig[NODE_SIG_LEN];

	(void)state;
	crypto_sign_keypair(a.pk, a.sk);
	crypto_sign_keypair(m.pk, m.sk);
	memcpy(c.key, m.pk, NODE_KEY_LEN);
	c.name = "Khujand office";
	c.center = "Khujand";
	c.role = "center";
	c.expires = FUTURE;
	assert_int_equal(member_cert_sign(&c, a.sk, sig), 0);

	t = c;
	t.key[31] ^= 0x80;
	assert_int_equal(member_cert_verify(&t, sig, a.pk), -1);
	t = c;
	t.name = "Khujand officE";
	assert_int_equal(member_cert_verify(&t, sig, a.pk), -1);
	t = c;
	t.center = "Dushanbe";
	assert_int_equal(member_cert_verify(&t, sig, a.pk), -1);
	t = c;
	t.role = "admin";
	assert_int_equal(member_cert_verify(&t, sig, a.pk), -1);
	t = c;
	t.expires = "2099-01-01";
	assert_int_equal(member_cert_verify(&t, sig, a.pk), -1);
	/* Moving text between fields changes the encoding too. */
	t = c;
	t.name = "Khujand officeKhujand";
	t.center = "";
	assert_int_equal(member_cert_verify(&t, sig, a.pk), -1);
	assert_int_equal(member_cert_verify(&c, sig, a.pk), 0);
}

static void
test_check_valid(void **state)
{
	struct node a;
	struct key m, l;

	(void)state;
	node_open(&a);
	crypto_sign_keypair(m.pk, m.sk);
	crypto_sign_keypair(l.pk, l.sk);
	certify(&a, a.pk, "Capital", "admin", FUTURE, a.pk, a.sk, NULL);
	certify(&a, m.pk, "Khujand office", "center", FUTURE, a.pk, a.sk,
	    NULL);
	expect_member(&a, a.pk);
	expect_member(&a, m.pk);
	/* The last valid day is still valid. */
	certify(&a, l.pk, "Khujand office", "center", "2025-06-01", a.pk,
	    a.sk, NULL);
	expect_member(&a, l.pk);
	node_close(&a);
}

static void
test_check_unknown(void **state)
{
	struct node a;
	struct key m;
	char err[STORE_ERRLEN], hex[2 * NODE_KEY_LEN + 1];

	(void)state;
	node_open(&a);
	crypto_sign_keypair(m.pk, m.sk);
	expect_refused(&a, m.pk, "not a member of this network");
	assert_int_equal(member_check(a.db, m.pk, NOW_MS, hex, sizeof(hex)),
	    MEMBER_UNKNOWN);

	/* A node that described itself (init) but holds no certificate. */
	assert_int_equal(db_begin(a.db, NOW_MS, err), 0);
	hex_encode(m.pk, NODE_KEY_LEN, hex);
	put(a.db, m.pk, "key", hex);
	put(a.db, m.pk, "name", "Stranger");
	assert_int_equal(db_commit(a.db, err), 0);
	expect_refused(&a, m.pk, "not a member of this network");

	/*
	 * Deleting a members record ends nothing: the judge goes by the
	 * certificates of the log, and so does admission.  A revocation
	 * is what ends a membership.
	 */
	certify(&a, m.pk, "Stranger", "office", FUTURE, a.pk, a.sk, NULL);
	expect_member(&a, m.pk);
	{
		const struct coll_def *c = schema_coll("members");
		struct val v;

		memset(&v, 0, sizeof(v));
		v.t = VAL_BOOL;
		v.i = 1;
		assert_int_equal(db_begin(a.db, NOW_MS, err), 0);
		assert_int_equal(db_put(a.db, c, m.pk, schema_field(c,
		    SCHEMA_DELETED, strlen(SCHEMA_DELETED)), &v, err), 0);
		assert_int_equal(db_commit(a.db, err), 0);
	}
	expect_member(&a, m.pk);
	node_close(&a);
}

/*
 * Write a revocation of ${who} signed by ${by}, accepting its commits up
 * to ${upto}, on ${n}; the stored reason is ${stored} (NULL: as signed).
 */
static void
put_revocation(struct node *n, const uint8_t who[NODE_KEY_LEN],
    const uint8_t *by_pk, const uint8_t *by_sk, const char *reason,
    uint64_t upto, const char *stored)
{
	const struct coll_def *c = schema_coll("members");
	uint8_t sig[NODE_SIG_LEN];
	char err[STORE_ERRLEN], hex[2 * NODE_KEY_LEN + 1];
	char sigh[2 * NODE_SIG_LEN + 1];
	const char *when = "2025-06-01T10:00:00Z";
	struct val v;

	assert_int_equal(member_revoke_sign(who, when, upto, reason, by_sk,
	    sig), 0);
	hex_encode(by_pk, NODE_KEY_LEN, hex);
	hex_encode(sig, NODE_SIG_LEN, sigh);
	assert_int_equal(db_begin(n->db, NOW_MS, err), 0);
	put(n->db, who, "revoked", when);
	put(n->db, who, "revoked_reason", stored ? stored : reason);
	put(n->db, who, "revoked_by", hex);
	put(n->db, who, "revoked_sig", sigh);
	hex_encode(who, NODE_KEY_LEN, hex);
	put(n->db, who, "key", hex);
	memset(&v, 0, sizeof(v));
	v.t = VAL_INT;
	v.i = (int64_t)upto;
	assert_int_equal(db_put(n->db, c, who, schema_field(c, "revoked_seq",
	    11), &v, err), 0);
	assert_int_equal(db_commit(n->db, err), 0);
}

/* A revocation counts only when an admin signed it, and just as signed. */
static void
test_check_revoked(void **state)
{
	struct node a;
	struct key m, x;

	(void)state;
	node_open(&a);
	crypto_sign_keypair(m.pk, m.sk);
	crypto_sign_keypair(x.pk, x.sk);
	certify(&a, m.pk, "Khorog office", "office", FUTURE, a.pk, a.sk, NULL);
	certify(&a, x.pk, "Khujand center", "center", FUTURE, a.pk, a.sk, NULL);
	/* Signed by a member who is no admin: ignored. */
	put_revocation(&a, m.pk, x.pk, x.sk, "forged", 0, NULL);
	expect_member(&a, m.pk);
	/* Signed by the admin over another reason than stored: ignored. */
	put_revocation(&a, m.pk, a.pk, a.sk, "laptop stolen", 0, "changed");
	expect_member(&a, m.pk);
	/* By the admin, intact: refused for good, naming when and why. */
	put_revocation(&a, m.pk, a.pk, a.sk, "laptop stolen", 0, NULL);
	expect_refused(&a, m.pk, "revoked on 2025-06-01T10:00:00Z (laptop "
	    "stolen)");
	/* A new certificate does not undo it. */
	certify(&a, m.pk, "Khorog office", "office", FUTURE, a.pk, a.sk, NULL);
	expect_refused(&a, m.pk, "revoked on 2025-06-01T10:00:00Z (laptop "
	    "stolen)");
	{
		char why[256];

		assert_int_equal(member_check(a.db, m.pk, NOW_MS, why,
		    sizeof(why)), MEMBER_ENDED);
	}
	node_close(&a);
}

static void
test_check_expired(void **state)
{
	struct node a;
	struct key m, l;

	(void)state;
	node_open(&a);
	crypto_sign_keypair(m.pk, m.sk);
	crypto_sign_keypair(l.pk, l.sk);
	certify(&a, m.pk, "Old office", "office", "2020-01-31", a.pk, a.sk,
	    NULL);
	expect_refused(&a, m.pk, "certificate expired on 2020-01-31");
	/* The day before today. */
	certify(&a, l.pk, "Old office", "office", "2025-05-31", a.pk, a.sk,
	    NULL);
	expect_refused(&a, l.pk, "certificate expired on 2025-05-31");
	node_close(&a);
}

static void
test_check_issuer(void **state)
{
	struct node a;
	struct key c, x, d, y, z, rogue;

	(void)state;
	node_open(&a);
	crypto_sign_keypair(c.pk, c.sk);
	crypto_sign_keypair(x.pk, x.sk);
	crypto_sign_keypair(d.pk, d.sk);
	crypto_sign_keypair(y.pk, y.sk);
	crypto_sign_keypair(z.pk, z.sk);
	crypto_sign_keypair(rogue.pk, rogue.sk);
	certify(&a, a.pk, "Capital", "admin", FUTURE, a.pk, a.sk, NULL);

	/* C is a center: what it signs does not count. */
	certify(&a, c.pk, "Center", "center", FUTURE, a.pk, a.sk, NULL);
	certify(&a, x.pk, "X", "office", FUTURE, c.pk, c.sk, NULL);
	expect_refused(&a, x.pk, "not an admin of this network");

	/* A key nobody certified signs for itself. */
	certify(&a, rogue.pk, "Rogue", "admin", FUTURE, rogue.pk, rogue.sk,
	    NULL);
	expect_refused(&a, rogue.pk, "not an admin of this network");

	/* D is an admin certified by the network's admin: one level. */
	certify(&a, d.pk, "Deputy", "admin", FUTURE, a.pk, a.sk, NULL);
	certify(&a, y.pk, "Y", "office", FUTURE, d.pk, d.sk, NULL);
	expect_member(&a, d.pk);
	expect_member(&a, y.pk);

	/*
	 * ...but only root makes admins (as the judge has it): an admin
	 * certificate signed by D counts for nothing, nor what it signs.
	 */
	certify(&a, x.pk, "X", "admin", FUTURE, d.pk, d.sk, NULL);
	expect_refused(&a, x.pk, "not an admin of this network");
	certify(&a, z.pk, "Z", "center", FUTURE, x.pk, x.sk, NULL);
	expect_refused(&a, z.pk, "not an admin of this network");

	/* A cert_by that is an admin, but the signature is someone else's. */
	certify(&a, c.pk, "C", "office", FUTURE, a.pk, rogue.sk, NULL);
	certify(&a, rogue.pk, "Rogue", "office", FUTURE, a.pk, rogue.sk,
	    NULL);
	expect_refused(&a, rogue.pk, "not an admin of this network");
	node_close(&a);
}

static void
test_check_key_mismatch(void **state)
{
	struct node a;
	struct key m, other;
	char hex[2 * NODE_KEY_LEN + 1], err[STORE_ERRLEN];

	(void)state;
	node_open(&a);
	crypto_sign_keypair(m.pk, m.sk);
	crypto_sign_keypair(other.pk, other.sk);
	/*
	 * Record id is m's prefix, but its key field names another key: the
	 * signature over m's key does not verify for it, so no fact.
	 */
	hex_encode(other.pk, NODE_KEY_LEN, hex);
	certify(&a, m.pk, "M", "center", FUTURE, a.pk, a.sk, hex);
	expect_refused(&a, m.pk, "not a member of this network");
	expect_refused(&a, other.pk, "not a member of this network");
	/* A key sharing m's 16-byte prefix must not pass as m. */
	memcpy(other.pk, m.pk, SCHEMA_ID_LEN);
	certify(&a, m.pk, "M", "center", FUTURE, a.pk, a.sk, NULL);
	expect_member(&a, m.pk);
	expect_refused(&a, other.pk, "not a member of this network");

	/*
	 * A field edited after signing is no new certificate: m stands by
	 * the one it had, as its writes do.
	 */
	assert_int_equal(db_begin(a.db, NOW_MS, err), 0);
	put(a.db, m.pk, "role", "admin");
	assert_int_equal(db_commit(a.db, err), 0);
	expect_member(&a, m.pk);
	node_close(&a);
}

static void
test_check_no_network(void **state)
{
	struct node a;
	char err[STORE_ERRLEN];

	(void)state;
	node_open(&a);
	certify(&a, a.pk, "Capital", "admin", FUTURE, a.pk, a.sk, NULL);
	expect_member(&a, a.pk);
	assert_int_equal(db_meta_set(a.db, "admin_key", "", err), 0);
	expect_refused(&a, a.pk, "not in a network");
	node_close(&a);
}

/* ---- Several nodes of one network. ---- */

/* A node of the network whose admin key is ${root}. */
static void
node_join(struct node *n, const uint8_t *root)
{
	char err[STORE_ERRLEN], hex[2 * NODE_KEY_LEN + 1];

	tnode_open(n->dir, &n->db, n->pk, n->sk, "member");
	hex_encode(root, NODE_KEY_LEN, hex);
	assert_int_equal(db_meta_set(n->db, "admin_key", hex, err), 0);
}

static int
apply_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct db_counts res;
	char err[STORE_ERRLEN];

	memset(&res, 0, sizeof(res));
	if (db_apply(arg, body, len, sig, &res, err) != 0)
		fail_msg("apply: %s", err);
	return (0);
}

/* ${to} receives everything ${from} holds. */
static void
sync_from(struct node *to, struct node *from)
{
	char err[STORE_ERRLEN];

	assert_int_equal(db_begin(to->db, NOW_MS, err), 0);
	assert_int_equal(db_commits_since(from->db, NULL, apply_cb, to->db,
	    err), 0);
	assert_int_equal(db_commit(to->db, err), 0);
}

struct who_got {
	char		keyid[2 * CONF_KEYID_LEN + 1];
	char		(*got)[2 * NODE_KEY_LEN + 1];
	size_t		n;
};

/*
 * ${admin} delivers a new key of ${center} (conf_deliver(), as 'hamroh
 * key rotate' does); ${w} lists the recipients.
 */
static void
deliver(struct node *admin, const char *center, struct who_got *w)
{
	struct cli cli;
	struct conf_key k;
	sqlite3_stmt *st;
	char err[STORE_ERRLEN];
	size_t sent;

	memset(&cli, 0, sizeof(cli));
	cli.dir = admin->dir;
	cli.db = admin->db;
	memset(&k, 0, sizeof(k));
	randombytes_buf(k.id, sizeof(k.id));
	randombytes_buf(k.key, sizeof(k.key));
	k.version = 1;
	snprintf(k.center, sizeof(k.center), "%s", center);
	assert_int_equal(db_begin(admin->db, NOW_MS, err), 0);
	if (conf_deliver(&cli, &k, NULL, &sent, err))
		fail_msg("conf_deliver: %s", err);
	assert_int_equal(db_commit(admin->db, err), 0);
	hex_encode(k.id, CONF_KEYID_LEN, w->keyid);
	free(w->got);
	w->got = NULL;
	w->n = 0;
	assert_int_equal(sqlite3_prepare_v2(db_handle(admin->db), "SELECT"
	    " recipient FROM c_keys WHERE keyid = ? ORDER BY recipient", -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, w->keyid, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		assert_non_null(w->got = realloc(w->got, (w->n + 1) *
		    sizeof(*w->got)));
		snprintf(w->got[w->n++], sizeof(*w->got), "%s",
		    (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	assert_int_equal(w->n, sent);
}

static bool
got_key(const struct who_got *w, const uint8_t *key)
{
	char hex[2 * NODE_KEY_LEN + 1];
	size_t i;

	hex_encode(key, NODE_KEY_LEN, hex);
	for (i = 0; i < w->n; i++)
		if (strcmp(w->got[i], hex) == 0)
			return (true);
	return (false);
}

#define STATUS_OF	"SELECT status FROM c_consultations WHERE id = ?"

static bool
has_status(struct node *n, const uint8_t *id)
{
	sqlite3_stmt *st;
	bool yes;

	assert_int_equal(sqlite3_prepare_v2(db_handle(n->db), STATUS_OF, -1,
	    &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL;
	sqlite3_finalize(st);
	return (yes);
}

/*
 * Root certifies admin X, X certifies office M, root revokes X accepting
 * none of X's commits (its laptop was stolen before root heard from it):
 * every node refuses M's handshakes, M gets no new center key, and every
 * judge refuses its writes.  A second revocation accepting X's commit
 * that certified M brings M back everywhere, in all three.
 */
static void
test_voided_admin(void **state)
{
	struct node r, x, m, o, *all[4];
	struct who_got w = { "", NULL, 0 };
	uint8_t c[16];
	char err[STORE_ERRLEN], why[256];
	size_t i, j;

	(void)state;
	randombytes_buf(c, sizeof(c));
	node_open(&r);
	node_join(&x, r.pk);
	node_join(&m, r.pk);
	node_join(&o, r.pk);
	all[0] = &r, all[1] = &x, all[2] = &m, all[3] = &o;
	certify(&r, r.pk, "Capital", "admin", FUTURE, r.pk, r.sk, NULL);
	certify(&r, x.pk, "Deputy", "admin", FUTURE, r.pk, r.sk, NULL);
	certify(&r, o.pk, "Khujand center", "center", FUTURE, r.pk, r.sk,
	    NULL);
	sync_from(&x, &r);
	certify(&x, m.pk, "Khujand office", "office", FUTURE, x.pk, x.sk,
	    NULL);
	sync_from(&m, &x);
	sync_from(&o, &x);
	/* Before: M is a member where X's certificate is known. */
	expect_member(&o, m.pk);
	expect_member(&x, m.pk);
	deliver(&x, "Khujand", &w);
	assert_true(got_key(&w, m.pk));

	put_revocation(&r, x.pk, r.pk, r.sk, "laptop stolen", 0, NULL);
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++)
			if (i != j)
				sync_from(all[i], all[j]);
	for (i = 0; i < 4; i++) {
		if (member_check(all[i]->db, m.pk, NOW_MS, why, sizeof(why)) !=
		    MEMBER_ENDED)
			fail_msg("node %zu admits M: %s", i, why);
		expect_refused(all[i], x.pk, "revoked on");
		expect_member(all[i], o.pk);
	}
	deliver(&r, "Khujand", &w);
	assert_false(got_key(&w, m.pk));
	assert_false(got_key(&w, x.pk));
	assert_true(got_key(&w, o.pk));
	/* The judge says the same of M's writes. */
	assert_int_equal(db_begin(m.db, NOW_MS, err), 0);
	tnode_put(m.db, "consultations", c, "center", "Khujand");
	tnode_put(m.db, "consultations", c, "status", "open");
	assert_int_equal(db_commit(m.db, err), 0);
	sync_from(&r, &m);
	assert_false(has_status(&r, c));

	/* Root accepts X's first commit after all: M is back, everywhere. */
	put_revocation(&r, x.pk, r.pk, r.sk, "laptop stolen", 1, NULL);
	for (i = 1; i < 4; i++)
		sync_from(all[i], &r);
	for (i = 0; i < 4; i++)
		expect_member(all[i], m.pk);
	assert_true(has_status(&r, c));
	deliver(&r, "Khujand", &w);
	assert_true(got_key(&w, m.pk));
	assert_false(got_key(&w, x.pk));
	free(w.got);
	for (i = 0; i < 4; i++)
		node_close(all[i]);
}

/* ---- Property: admission, delivery and standing agree. ---- */

#define PN		9	/* 0 root, 1-2 admins, 3-8 the others. */
#define PEVENTS		16
#define PROUNDS		10
#define DAY_MS		(86400 * (uint64_t)1000)

static uint64_t seed, rng;

static uint32_t
rnd(uint32_t n)
{

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)(rng % n));
}

/* The model's facts, kept by the test from what it signs. */
struct pcert {
	int		key, by;
	const char	*role, *center;
	int64_t		day;		/* Expiry day, days since 1970. */
	bool		own;		/* A commit of ${by} carried it, */
	uint64_t	by_seq;		/* first this one. */
	uint8_t		sig[NODE_SIG_LEN];
	unsigned	writers;	/* Nodes whose commits carry it. */
	bool		known;		/* In a commit that is in the log. */
};

struct prev {
	int		key, by;	/* ${by} wrote it too. */
	uint64_t	upto;
	bool		own;
	uint64_t	by_seq;
	bool		known;
};

struct pmodel {
	struct node	n[PN];
	struct pcert	c[PEVENTS + 4];
	size_t		nc;
	struct prev	r[PEVENTS];
	size_t		nr;
};

/* The highest seq of ${who} that ${n} holds. */
static uint64_t
held_seq(struct node *n, const uint8_t *who)
{
	uint64_t seq;
	char err[STORE_ERRLEN];

	assert_int_equal(db_held_seq(n->db, who, &seq, err), 0);
	return (seq);
}

/* Write certificate ${c} into its members record, in a commit of ${w}. */
static void
pcert_write(struct pmodel *pm, int w, struct pcert *c)
{
	struct node *wn = &pm->n[w];
	char err[STORE_ERRLEN], hex[2 * NODE_SIG_LEN + 1];
	char date[MEMBER_DATE_LEN + 1];
	const uint8_t *key = pm->n[c->key].pk;

	member_date((uint64_t)c->day * DAY_MS, 0, date);
	assert_int_equal(db_begin(wn->db, NOW_MS, err), 0);
	hex_encode(key, NODE_KEY_LEN, hex);
	put(wn->db, key, "key", hex);
	put(wn->db, key, "name", "n");
	put(wn->db, key, "center", c->center);
	put(wn->db, key, "role", c->role);
	put(wn->db, key, "expires", date);
	hex_encode(pm->n[c->by].pk, NODE_KEY_LEN, hex);
	put(wn->db, key, "cert_by", hex);
	hex_encode(c->sig, NODE_SIG_LEN, hex);
	put(wn->db, key, "cert", hex);
	assert_int_equal(db_commit(wn->db, err), 0);
	c->writers |= 1u << w;
	if (w == c->by && !c->own) {
		c->own = true;
		c->by_seq = held_seq(wn, wn->pk);
	}
}

/* ${by} certifies ${key}: a new fact, or one the model holds already. */
static void
pcertify(struct pmodel *pm, int by, int key, const char *role,
    const char *center, int64_t day)
{
	struct member_cert mc;
	struct pcert *c;
	char date[MEMBER_DATE_LEN + 1];
	size_t i;

	for (i = 0; i < pm->nc; i++)
		if (pm->c[i].key == key && pm->c[i].by == by &&
		    strcmp(pm->c[i].role, role) == 0 &&
		    strcmp(pm->c[i].center, center) == 0 &&
		    pm->c[i].day == day)
			break;
	if (i == pm->nc) {
		assert_true(pm->nc < sizeof(pm->c) / sizeof(pm->c[0]));
		c = &pm->c[pm->nc++];
		memset(c, 0, sizeof(*c));
		c->key = key;
		c->by = by;
		c->role = role;
		c->center = center;
		c->day = day;
		member_date((uint64_t)day * DAY_MS, 0, date);
		memcpy(mc.key, pm->n[key].pk, NODE_KEY_LEN);
		mc.name = "n";
		mc.center = center;
		mc.role = role;
		mc.expires = date;
		assert_int_equal(member_cert_sign(&mc, pm->n[by].sk, c->sig),
		    0);
	}
	pcert_write(pm, by, &pm->c[i]);
}

/* ${by} revokes ${key}, accepting up to ${upto}, in a commit of its. */
static void
prevoke(struct pmodel *pm, int by, int key, uint64_t upto)
{
	struct prev *r = &pm->r[pm->nr++];

	put_revocation(&pm->n[by], pm->n[key].pk, pm->n[by].pk,
	    pm->n[by].sk, "lost", upto, NULL);
	r->key = key;
	r->by = by;
	r->upto = upto;
	r->own = true;
	r->by_seq = held_seq(&pm->n[by], pm->n[by].pk);
}

static bool
m_root_admin(const struct pmodel *pm, int k)
{
	size_t i;

	for (i = 0; i < pm->nc; i++)
		if (pm->c[i].known && pm->c[i].key == k && pm->c[i].by == 0 &&
		    strcmp(pm->c[i].role, "admin") == 0)
			return (true);
	return (false);
}

/*
 * Which facts are in ${observer}'s log: a commit is, only if a certificate by root
 * or by an admin root certified names its writer (else it is a
 * stranger's, set aside); and such a certificate counts for that only if
 * it is in the log itself.  The least fixpoint, from root.
 */
static void
m_known(struct pmodel *pm, int observer)
{
	bool named[PN] = { true }, more = true;
	struct pcert *c;
	size_t i;
	int w;

	/* The observer holds its own commits whatever. */
	named[observer] = true;
	for (i = 0; i < pm->nc; i++)
		pm->c[i].known = false;
	while (more) {
		more = false;
		for (i = 0; i < pm->nc; i++) {
			c = &pm->c[i];
			for (w = 0; w < PN && !c->known; w++)
				if ((c->writers & (1u << w)) && named[w])
					c->known = more = true;
		}
		for (i = 0; i < pm->nc; i++) {
			c = &pm->c[i];
			if (c->known && !named[c->key] && (c->by == 0 ||
			    m_root_admin(pm, c->by)))
				named[c->key] = more = true;
		}
	}
	for (i = 0; i < pm->nr; i++)
		pm->r[i].known = named[pm->r[i].by];
}

/* An admin may sign a fact its commit ${by_seq} (if ${own}) carried. */
static bool
m_issuer(const struct pmodel *pm, int x, bool own, uint64_t by_seq)
{
	uint64_t upto = UINT64_MAX;
	size_t i;

	if (x == 0)
		return (true);
	if (!m_root_admin(pm, x))
		return (false);
	for (i = 0; i < pm->nr; i++)
		if (pm->r[i].known && pm->r[i].key == x && pm->r[i].by == 0 &&
		    (upto == UINT64_MAX || pm->r[i].upto > upto))
			upto = pm->r[i].upto;
	return (upto == UINT64_MAX || (own && by_seq <= upto));
}

/*
 * The model's answer for node ${k} now (${day}: today's day): the rule of
 * PROTOCOL.md, written out again without store/trust.c.
 */
static int
m_standing(const struct pmodel *pm, int k, int64_t day, bool *admin,
    const char **center)
{
	const struct pcert *best = NULL, *c;
	bool named = false, counted = false;
	size_t i;

	*admin = false;
	*center = "";
	if (k == 0) {
		*admin = true;
		return (MEMBER_OK);
	}
	for (i = 0; i < pm->nr; i++)
		if (pm->r[i].known && pm->r[i].key == k &&
		    (m_root_admin(pm, k) ?
		    pm->r[i].by == 0 : m_issuer(pm, pm->r[i].by, pm->r[i].own,
		    pm->r[i].by_seq)))
			return (MEMBER_ENDED);
	for (i = 0; i < pm->nc; i++) {
		c = &pm->c[i];
		if (!c->known || c->key != k)
			continue;
		named = true;
		if (strcmp(c->role, "admin") == 0 ? c->by != 0 :
		    !m_issuer(pm, c->by, c->own, c->by_seq))
			continue;
		counted = true;
		if (c->day < day)
			continue;
		if (best == NULL || c->day < best->day || (c->day ==
		    best->day && ((strcmp(c->role, "admin") == 0) !=
		    (strcmp(best->role, "admin") == 0) ? strcmp(c->role,
		    "admin") == 0 : strcmp(c->center, best->center) < 0)))
			best = c;
	}
	if (best != NULL) {
		*admin = strcmp(best->role, "admin") == 0;
		*center = best->center;
		return (MEMBER_OK);
	}
	return (named || counted ? MEMBER_ENDED : MEMBER_UNKNOWN);
}

/*
 * Random certificates (some by non-admins, some of admins by admins, some
 * carried again by the nodes they name), revocations of members by admins
 * and of admins by root accepting a random seq, and random days: for
 * every node, on two nodes holding it all, member_now() (handshakes),
 * conf_deliver() (center keys) and trust_standing() (the judge) give the
 * model's answer.  Seeded: HAMROH_SEED=N replays a failure.
 */
static void
test_oracle_agrees(void **state)
{
	static const char *const roles[] = { "office", "center", "office",
	    "admin" };
	static const char *const centers[] = { "north", "south" };
	static const int64_t exp_days[] = { -10, 2, 40, 400 };
	static const int64_t now_days[] = { 0, 5, 100, 1000 };
	struct pmodel *pm;
	struct member_standing ms;
	struct trust_as_of as;
	struct trust *tr;
	struct who_got w[2] = { { "", NULL, 0 }, { "", NULL, 0 } };
	const char *center;
	char why[256], off[32];
	uint64_t now;
	int64_t today, day;
	size_t round, e, d, i, k;
	bool admin;
	int want, got, by, key;

	(void)state;
	unsetenv("HAMROH_CLOCK_OFFSET_MS");
	today = (int64_t)(cli_now_ms() / DAY_MS);
	assert_non_null(pm = calloc(1, sizeof(*pm)));
	for (round = 0; round < PROUNDS; round++) {
		memset(pm, 0, sizeof(*pm));
		node_open(&pm->n[0]);
		for (i = 1; i < PN; i++)
			node_join(&pm->n[i], pm->n[0].pk);
		/* Root makes its two admins, mostly. */
		for (i = 1; i <= 2; i++)
			if (rnd(4) != 0)
				pcertify(pm, 0, (int)i, "admin", "capital",
				    today + exp_days[1 + rnd(3)]);
		for (e = 0; e < PEVENTS; e++) {
			switch (rnd(5)) {
			case 0:
			case 1:
				by = (int)rnd(4);	/* 3: no admin at all. */
				key = 3 + (int)rnd(PN - 3);
				pcertify(pm, by, key, roles[rnd(4)],
				    centers[rnd(2)], today +
				    exp_days[rnd(4)]);
				break;
			case 2:
				/* A node carries a certificate of its own. */
				if (pm->nc == 0)
					break;
				i = rnd((uint32_t)pm->nc);
				pcert_write(pm, pm->c[i].key, &pm->c[i]);
				break;
			case 3:
				if (pm->nr + 1 >= PEVENTS)
					break;
				prevoke(pm, (int)rnd(3), 3 + (int)rnd(PN - 3),
				    rnd(3));
				break;
			default:
				if (pm->nr + 1 >= PEVENTS)
					break;
				key = 1 + (int)rnd(2);
				prevoke(pm, 0, key, rnd((uint32_t)held_seq(
				    &pm->n[key], pm->n[key].pk) + 1));
				break;
			}
		}
		/* Root and admin 1 gather every commit. */
		for (i = 1; i < PN; i++)
			sync_from(&pm->n[0], &pm->n[i]);
		for (i = 0; i < PN; i++)
			if (i != 1)
				sync_from(&pm->n[1], &pm->n[i]);
		assert_int_equal(trust_open(&tr, db_handle(pm->n[0].db)), 0);
		for (d = 0; d < sizeof(now_days) / sizeof(now_days[0]); d++) {
			/* Noon, so a day's end is never near. */
			day = today + now_days[d];
			now = (uint64_t)day * DAY_MS + DAY_MS / 2;
			unsetenv("HAMROH_CLOCK_OFFSET_MS");
			snprintf(off, sizeof(off), "%lld", (long long)now -
			    (long long)cli_now_ms());
			setenv("HAMROH_CLOCK_OFFSET_MS", off, 1);
			for (i = 0; i < 2; i++)
				deliver(&pm->n[0], centers[i], &w[i]);
			unsetenv("HAMROH_CLOCK_OFFSET_MS");
			for (k = 0; k < PN; k++) {
				/* Node 0 last: the checks below are on it. */
				for (i = 2; i-- > 0;) {
					m_known(pm, (int)i);
					want = m_standing(pm, (int)k, day,
					    &admin, &center);
					got = member_now(pm->n[i].db,
					    pm->n[k].pk, now, &ms, why,
					    sizeof(why));
					if (got != want || (got == MEMBER_OK &&
					    (ms.admin != admin ||
					    strcmp(ms.center, center) != 0)))
						fail_msg("HAMROH_SEED=%llu round "
						    "%zu day +%lld node %zu at "
						    "%zu: member_now %d (%s) "
						    "admin %d '%s', model %d "
						    "admin %d '%s'",
						    (unsigned long long)seed,
						    round, (long long)
						    now_days[d], k, i, got,
						    why, ms.admin, ms.center,
						    want, admin, center);
				}
				assert_int_equal(trust_standing(tr,
				    (uint32_t)(100 + k), pm->n[k].pk,
				    TRUST_SEQ_ANY, now << 16, &as), 0);
				if ((as.st == TRUST_MEMBER) !=
				    (want == MEMBER_OK) || (want ==
				    MEMBER_OK && (as.admin != admin ||
				    strcmp(as.center, center) != 0)))
					fail_msg("HAMROH_SEED=%llu round %zu: "
					    "trust_standing of node %zu "
					    "differs from the model",
					    (unsigned long long)seed, round,
					    k);
				for (i = 0; i < 2 && k != 0; i++)
					if (got_key(&w[i], pm->n[k].pk) !=
					    (want == MEMBER_OK && (admin ||
					    strcmp(center, centers[i]) == 0)))
						fail_msg("HAMROH_SEED=%llu round "
						    "%zu day +%lld: node %zu "
						    "%s the key of %s",
						    (unsigned long long)seed,
						    round, (long long)
						    now_days[d], k,
						    got_key(&w[i],
						    pm->n[k].pk) ? "got" :
						    "did not get",
						    centers[i]);
			}
		}
		trust_close(tr);
		for (i = 0; i < PN; i++)
			node_close(&pm->n[i]);
	}
	free(pm);
	free(w[0].got);
	free(w[1].got);
}

static void
test_date(void **state)
{
	char d[MEMBER_DATE_LEN + 1];

	(void)state;
	member_date(0, 0, d);
	assert_string_equal(d, "1970-01-01");
	member_date(NOW_MS, 0, d);
	assert_string_equal(d, "2025-06-01");
	member_date(NOW_MS, 365, d);
	assert_string_equal(d, "2026-06-01");
	member_date(1709164800000ULL, 1, d);	/* 2024-02-29 */
	assert_string_equal(d, "2024-03-01");
	member_date(NOW_MS - 1, 0, d);
	assert_string_equal(d, "2025-06-01");
	member_date(1748736000000ULL - 1, 0, d);
	assert_string_equal(d, "2025-05-31");
}

static void
test_addr(void **state)
{
	static const char *const good[] = { "127.0.0.1:4411", "a:1",
	    "hamroh.example.org:65535", "[::1]:4411", "[fe80::1]:80",
	    "node-1.local:8080", NULL };
	static const char *const bad[] = { "", ":", "127.0.0.1", "host:",
	    ":4411", "host:0", "host:65536", "host:04411", "host:44a",
	    "host:-1", "-host:1", "host.:1", "ho st:1", "[]:1", "[::1:1",
	    "[zz::1]:1", "[1.2.3.4]:1", "host:1:2", "h\xc3\xa9:1", NULL };
	char longh[400];
	size_t i;

	(void)state;
	for (i = 0; good[i] != NULL; i++)
		if (!member_addr_valid(good[i]))
			fail_msg("'%s' should be a valid address", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		if (member_addr_valid(bad[i]))
			fail_msg("'%s' should be refused", bad[i]);
	memset(longh, 'a', sizeof(longh));
	memcpy(longh + 253, ":1", 3);
	assert_true(member_addr_valid(longh));
	memcpy(longh + 254, ":1", 3);
	assert_false(member_addr_valid(longh));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_tampered_fields),
		cmocka_unit_test(test_check_valid),
		cmocka_unit_test(test_check_unknown),
		cmocka_unit_test(test_check_revoked),
		cmocka_unit_test(test_check_expired),
		cmocka_unit_test(test_check_issuer),
		cmocka_unit_test(test_check_key_mismatch),
		cmocka_unit_test(test_check_no_network),
		cmocka_unit_test(test_voided_admin),
		cmocka_unit_test(test_oracle_agrees),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_addr),
	};

	const char *e = getenv("HAMROH_SEED");

	if (sodium_init() < 0)
		return (1);
	seed = e != NULL ? strtoull(e, NULL, 10) : (uint64_t)time(NULL);
	rng = seed * 2654435761u + 1;
	printf("test_member: HAMROH_SEED=%llu\n", (unsigned long long)seed);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

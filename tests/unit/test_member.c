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
#include <unistd.h>

#include <sodium.h>

#include "agent/cli.h"
#include "agent/member.h"
#include "store/db.h"

/* 2025-06-01T12:00:00Z */
#define NOW_MS		1748779200000ULL
#define FUTURE		"2030-01-01"

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[MEMBER_KEY_LEN], sk[MEMBER_SK_LEN];
};

struct key {
	uint8_t		pk[MEMBER_KEY_LEN], sk[MEMBER_SK_LEN];
};

static void
node_open(struct node *n)
{
	char err[STORE_ERRLEN], hex[2 * MEMBER_KEY_LEN + 1];

	tnode_open(n->dir, &n->db, n->pk, n->sk, "member");
	/* This node is the network's admin. */
	hex_encode(n->pk, MEMBER_KEY_LEN, hex);
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
certify(struct node *n, const uint8_t who[MEMBER_KEY_LEN], const char *name,
    const char *role, const char *expires, const uint8_t *by_pk,
    const uint8_t *by_sk, const char *keyfield)
{
	struct member_cert c;
	uint8_t sig[MEMBER_SIG_LEN];
	char err[STORE_ERRLEN], hex[2 * MEMBER_KEY_LEN + 1];
	char sigh[2 * MEMBER_SIG_LEN + 1];

	memcpy(c.key, who, MEMBER_KEY_LEN);
	c.name = name;
	c.center = "Khujand";
	c.role = role;
	c.expires = expires;
	assert_int_equal(member_cert_sign(&c, by_sk, sig), 0);
	assert_int_equal(db_begin(n->db, NOW_MS, err), 0);
	hex_encode(who, MEMBER_KEY_LEN, hex);
	put(n->db, who, "key", keyfield ? keyfield : hex);
	put(n->db, who, "name", name);
	put(n->db, who, "center", "Khujand");
	put(n->db, who, "role", role);
	put(n->db, who, "expires", expires);
	hex_encode(by_pk, MEMBER_KEY_LEN, hex);
	put(n->db, who, "cert_by", hex);
	hex_encode(sig, MEMBER_SIG_LEN, sigh);
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
	uint8_t sig[MEMBER_SIG_LEN];

	(void)state;
	crypto_sign_keypair(a.pk, a.sk);
	crypto_sign_keypair(m.pk, m.sk);
	crypto_sign_keypair(other.pk, other.sk);
	memcpy(c.key, m.pk, MEMBER_KEY_LEN);
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
		uint8_t sig2[MEMBER_SIG_LEN];

		assert_int_equal(member_cert_sign(&c, a.sk, sig2), 0);
		assert_memory_equal(sig, sig2, MEMBER_SIG_LEN);
	}
}

static void
test_tampered_fields(void **state)
{
	struct key a, m;
	struct member_cert c, t;
	uint8_t sig[MEMBER_SIG_LEN];

	(void)state;
	crypto_sign_keypair(a.pk, a.sk);
	crypto_sign_keypair(m.pk, m.sk);
	memcpy(c.key, m.pk, MEMBER_KEY_LEN);
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
	char err[STORE_ERRLEN], hex[2 * MEMBER_KEY_LEN + 1];

	(void)state;
	node_open(&a);
	crypto_sign_keypair(m.pk, m.sk);
	expect_refused(&a, m.pk, "not a member of this network");
	assert_int_equal(member_check(a.db, m.pk, NOW_MS, hex, sizeof(hex)),
	    MEMBER_UNKNOWN);

	/* A node that described itself (init) but holds no certificate. */
	assert_int_equal(db_begin(a.db, NOW_MS, err), 0);
	hex_encode(m.pk, MEMBER_KEY_LEN, hex);
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
put_revocation(struct node *n, const uint8_t who[MEMBER_KEY_LEN],
    const uint8_t *by_pk, const uint8_t *by_sk, const char *reason,
    uint64_t upto, const char *stored)
{
	const struct coll_def *c = schema_coll("members");
	uint8_t sig[MEMBER_SIG_LEN];
	char err[STORE_ERRLEN], hex[2 * MEMBER_KEY_LEN + 1];
	char sigh[2 * MEMBER_SIG_LEN + 1];
	const char *when = "2025-06-01T10:00:00Z";
	struct val v;

	assert_int_equal(member_revoke_sign(who, when, upto, reason, by_sk,
	    sig), 0);
	hex_encode(by_pk, MEMBER_KEY_LEN, hex);
	hex_encode(sig, MEMBER_SIG_LEN, sigh);
	assert_int_equal(db_begin(n->db, NOW_MS, err), 0);
	put(n->db, who, "revoked", when);
	put(n->db, who, "revoked_reason", stored ? stored : reason);
	put(n->db, who, "revoked_by", hex);
	put(n->db, who, "revoked_sig", sigh);
	hex_encode(who, MEMBER_KEY_LEN, hex);
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
	char hex[2 * MEMBER_KEY_LEN + 1], err[STORE_ERRLEN];

	(void)state;
	node_open(&a);
	crypto_sign_keypair(m.pk, m.sk);
	crypto_sign_keypair(other.pk, other.sk);
	/*
	 * Record id is m's prefix, but its key field names another key: the
	 * signature over m's key does not verify for it, so no fact.
	 */
	hex_encode(other.pk, MEMBER_KEY_LEN, hex);
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
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_addr),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_admit.c: the admission rules (agent/sync/admit.h) called directly:
 * a member is admitted; an unknown key, a revoked member, an expired one,
 * a replayed message 1 and a member over the descriptor budget are
 * refused; message 1's payload is judged (identity, version, counter,
 * statements); an address that floods is turned away, then let in again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/testnode.h"
#include "tests/unit/trustnet.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "agent/sync/admit.h"
#include "protocol/hs.h"

/* A network: root R, the admin, with this node's database. */
struct net {
	struct node	r;
	struct node	m;		/* A key; its database is not used. */
};

static void
net_open(struct net *t)
{

	open_node(&t->r, NULL);
	crypto_sign_keypair(t->m.pk, t->m.sk);
}

static void
net_close(struct net *t)
{

	tnode_close(t->r.dir, t->r.db);
}

/* A network whose admin certified M until ${expires}. */
static void
net_member(struct net *t, const char *expires)
{

	net_open(t);
	certify_until(&t->r, &t->m, "office", "Khorog", expires, T0);
}

/*
 * Ask R to admit M with counter ${ctr} at ${now}, room to spare: expect
 * ${want}, and a reason that says ${says} (if not NULL).
 */
static void
expect(struct net *t, uint64_t ctr, uint64_t now, enum admit_code want,
    const char *says)
{
	struct admit_ask a;
	char why[256] = "";

	memset(&a, 0, sizeof(a));
	a.key = t->m.pk;
	a.ctr = ctr;
	a.now_ms = now;
	a.held = 1;
	a.cap = 10;
	assert_int_equal(admit_peer(t->r.db, &a, why, sizeof(why)), want);
	if (says != NULL && strstr(why, says) == NULL)
		fail_msg("expected a reason containing '%s', got '%s'", says,
		    why);
}

/*
 * Whether M's membership ended at ${now}, as a live session (dropped)
 * and the dialer (not dialed) see it: alike, saying ${says} if it ended.
 */
static void
expect_ended(struct net *t, uint64_t now, bool ended, const char *says)
{
	char why[256] = "";

	assert_int_equal(admit_ended(t->r.db, t->m.pk, NULL, 0, now, why,
	    sizeof(why)), ended);
	if (ended && strstr(why, says) == NULL)
		fail_msg("expected '%s', got '%s'", says, why);
	why[0] = '\0';
	assert_int_equal(admit_may_dial(t->r.db, t->m.pk, now, why,
	    sizeof(why)), !ended);
	if (ended && strstr(why, says) == NULL)
		fail_msg("expected '%s', got '%s'", says, why);
}

static void
test_member_admitted(void **state)
{
	struct net t;

	(void)state;
	net_member(&t, EXPIRES);
	expect(&t, 100, T0 + MIN, ADMIT_OK, NULL);
	expect_ended(&t, T0 + MIN, false, NULL);
	net_close(&t);
}

static void
test_unknown_refused(void **state)
{
	struct net t;
	char why[256];

	(void)state;
	net_open(&t);
	/* M holds no certificate here: refused, nothing recorded. */
	expect(&t, 100, T0 + MIN, ADMIT_UNKNOWN,
	    "not a member of this network");
	/* Not known is no end: a session with M is not dropped for it. */
	assert_false(admit_ended(t.r.db, t.m.pk, NULL, 0, T0 + MIN, why,
	    sizeof(why)));
	/* Certified later, the same message 1 passes: it was not used up. */
	certify(&t.r, &t.m, "office", "Khorog", T0 + 2 * MIN);
	expect(&t, 100, T0 + 3 * MIN, ADMIT_OK, NULL);
	net_close(&t);
}

static void
test_revoked_refused(void **state)
{
	struct net t;

	(void)state;
	net_member(&t, EXPIRES);
	expect(&t, 100, T0 + MIN, ADMIT_OK, NULL);
	revoke_node(&t.r, &t.m, 0, T0 + 2 * MIN);
	expect(&t, 200, T0 + 3 * MIN, ADMIT_ENDED, "revoked on");
	expect(&t, 300, T0 + 3 * MIN, ADMIT_ENDED, "lost laptop");
	expect_ended(&t, T0 + 3 * MIN, true, "lost laptop");
	net_close(&t);
}

static void
test_expired_refused(void **state)
{
	struct net t;

	(void)state;
	/* Valid for the first four days of March 2026. */
	net_member(&t, "2026-03-04");
	expect(&t, 100, T0 + MIN, ADMIT_OK, NULL);
	expect(&t, 200, T0 + 5 * 1440 * MIN, ADMIT_ENDED,
	    "expired on 2026-03-04");
	expect_ended(&t, T0 + 5 * 1440 * MIN, true, "2026-03-04");
	net_close(&t);
}

static void
test_replay_refused(void **state)
{
	struct net t;

	(void)state;
	net_member(&t, EXPIRES);
	expect(&t, 100, T0 + MIN, ADMIT_OK, NULL);
	/* The same message 1 again, or an older one: a replay. */
	expect(&t, 100, T0 + MIN, ADMIT_REPLAY, "replayed message 1");
	expect(&t, 99, T0 + MIN, ADMIT_REPLAY, NULL);
	/* Its next handshake passes; the limit never does. */
	expect(&t, 101, T0 + MIN, ADMIT_OK, NULL);
	expect(&t, HS_COUNTER_LIMIT, T0 + MIN, ADMIT_REPLAY, NULL);
	net_close(&t);
}

static void
test_budget_refused(void **state)
{
	struct net t;
	struct admit_ask a;
	char why[256];

	(void)state;
	net_member(&t, EXPIRES);
	memset(&a, 0, sizeof(a));
	a.key = t.m.pk;
	a.ctr = 100;
	a.now_ms = T0 + MIN;
	a.held = 5;
	a.cap = 4;
	assert_int_equal(admit_peer(t.r.db, &a, why, sizeof(why)),
	    ADMIT_NO_ROOM);
	/* Refused before the replay guard: the counter is not used up. */
	a.cap = 5;
	assert_int_equal(admit_peer(t.r.db, &a, why, sizeof(why)), ADMIT_OK);
	/* A stranger is refused as one, whatever the room. */
	crypto_sign_keypair(t.m.pk, t.m.sk);
	assert_int_equal(admit_peer(t.r.db, &a, why, sizeof(why)),
	    ADMIT_UNKNOWN);
	net_close(&t);
}

/* Payload 1 of ${pk}: id, counter ${ctr} (u64be), version, statements. */
static void
payload(uint8_t p1[SESSION_HS_PAYLOAD1], const uint8_t *pk, uint64_t ctr,
    unsigned version, unsigned nsucc)
{
	size_t i;

	memset(p1, 0, SESSION_HS_PAYLOAD1);
	memcpy(p1, pk, NODE_KEY_LEN);
	for (i = 0; i < 8; i++)
		p1[NODE_KEY_LEN + i] = (uint8_t)(ctr >> (56 - 8 * i));
	p1[NODE_KEY_LEN + 8] = (uint8_t)version;
	p1[NODE_KEY_LEN + 9] = (uint8_t)nsucc;
}

static void
test_payload(void **state)
{
	uint8_t pk[NODE_KEY_LEN], sk[NODE_SK_LEN], other[NODE_KEY_LEN];
	uint8_t osk[NODE_SK_LEN], rs[HS_KEY_LEN], p1[SESSION_HS_PAYLOAD1];
	struct admit_msg1 m;

	(void)state;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(other, osk);
	assert_int_equal(hs_x25519_pub(pk, rs), 0);
	payload(p1, pk, 1234, HS_VERSION, 2);
	assert_int_equal(admit_payload(p1, rs, &m), ADMIT_OK);
	assert_memory_equal(m.key, pk, NODE_KEY_LEN);
	assert_int_equal(m.ctr, 1234);
	assert_int_equal(m.nsucc, 2);
	/* Another node's id behind this static key. */
	payload(p1, other, 1234, HS_VERSION, 0);
	assert_int_equal(admit_payload(p1, rs, &m), ADMIT_IDENTITY);
	assert_string_equal(admit_str(ADMIT_IDENTITY),
	    "handshake: identity does not match its key");
	payload(p1, pk, 1234, HS_VERSION - 1, 0);
	assert_int_equal(admit_payload(p1, rs, &m), ADMIT_VERSION);
	assert_int_equal(m.version, HS_VERSION - 1);
	payload(p1, pk, HS_COUNTER_LIMIT, HS_VERSION, 0);
	assert_int_equal(admit_payload(p1, rs, &m), ADMIT_COUNTER);
	payload(p1, pk, 1234, HS_VERSION, SESSION_SUCC_MAX + 1);
	assert_int_equal(admit_payload(p1, rs, &m), ADMIT_SUCCS);
	payload(p1, pk, 1234, HS_VERSION, SESSION_SUCC_MAX);
	assert_int_equal(admit_payload(p1, rs, &m), ADMIT_OK);
}

static void
test_rate(void **state)
{
	static struct admit_rate t;
	bool told, any = false;
	int i;

	(void)state;
	for (i = 0; i < ADMIT_RATE_MAX; i++) {
		assert_true(admit_rate(&t, "192.0.2.7", T0, &told));
		assert_false(told);
	}
	/* One over: refused, said once. */
	assert_false(admit_rate(&t, "192.0.2.7", T0 + 1, &told));
	assert_true(told);
	assert_false(admit_rate(&t, "192.0.2.7", T0 + 2, &told));
	assert_false(told);
	/* Another address is not held back by it. */
	assert_true(admit_rate(&t, "192.0.2.8", T0 + 2, &told));
	/* A window later, let in again. */
	assert_true(admit_rate(&t, "192.0.2.7", T0 + ADMIT_RATE_WINDOW_MS + 1,
	    &told));
	/* More addresses than slots: the oldest is forgotten, never refused. */
	for (i = 0; i < 2 * ADMIT_RATE_SLOTS; i++) {
		char host[ADMIT_HOST_LEN];

		snprintf(host, sizeof(host), "198.51.100.%d", i);
		if (!admit_rate(&t, host, T0 + 3 + (uint64_t)i, &told))
			any = true;
	}
	assert_false(any);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_admitted),
		cmocka_unit_test(test_unknown_refused),
		cmocka_unit_test(test_revoked_refused),
		cmocka_unit_test(test_expired_refused),
		cmocka_unit_test(test_replay_refused),
		cmocka_unit_test(test_budget_refused),
		cmocka_unit_test(test_payload),
		cmocka_unit_test(test_rate),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_clock: no received commit can push a node's clock past its own wall
 * clock + HLC_MAX_AHEAD_MS, refused commits move it not at all, and a node
 * whose clock a peer measured as ahead writes nothing (#10).
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

#include <sodium.h>

#include "protocol/limits.h"
#include "store/db.h"
#include "store/hlc.h"
#include "store/schema.h"
#include "tests/unit/testnode.h"

#define T0_MS	1795000000000ULL		/* 2026-11-18 */
#define DAY_MS	(86400ULL * 1000)

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[32], sk[64];
};

static void
nopen(struct node *n, const char *tag)
{

	tnode_open(n->dir, &n->db, n->pk, n->sk, tag);
	/* These nodes judge as a real one does. */
	db_keep_refused(n->db, false);
}

/* One local write of status=${v} to a new consultation at ${ms}. */
static void
write_at(struct node *n, uint64_t ms, const char *v)
{
	char err[STORE_ERRLEN];
	uint8_t id[SCHEMA_ID_LEN];

	randombytes_buf(id, sizeof(id));
	assert_int_equal(db_begin(n->db, ms, err), 0);
	tnode_put(n->db, "consultations", id, "status", v);
	if (db_commit(n->db, err))
		fail_msg("commit: %s", err);
}

struct xfer {
	struct db	*to;
	int		n;
};

static int
xfer_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct xfer *x = arg;
	struct db_counts dc;
	char err[STORE_ERRLEN];

	memset(&dc, 0, sizeof(dc));
	if (db_apply(x->to, body, len, sig, &dc, err))
		fail_msg("apply: %s", err);
	x->n++;
	return (0);
}

/* Carry every commit of ${from} to ${to}, applied at ${to}'s time ${ms}. */
static void
carry(struct node *from, struct node *to, uint64_t ms)
{
	struct xfer x = { to->db, 0 };
	char err[STORE_ERRLEN];

	assert_int_equal(db_begin(to->db, ms, err), 0);
	assert_int_equal(db_commits_since(from->db, NULL, xfer_cb, &x, err), 0);
	assert_int_equal(db_commit(to->db, err), 0);
	assert_true(x.n > 0);
}

static void
test_bound(void **state)
{
	struct node a, b;

	(void)state;
	nopen(&a, "clock-a");
	nopen(&b, "clock-b");

	/* A's clock is 2 years ahead: B's clock follows only so far. */
	write_at(&a, T0_MS + 730 * DAY_MS, "open");
	carry(&a, &b, T0_MS);
	assert_true(hlc_ms(db_last_hlc(b.db)) <= T0_MS + HLC_MAX_AHEAD_MS);
	write_at(&b, T0_MS + 1000, "open");
	assert_true(hlc_ms(db_last_hlc(b.db)) <= T0_MS + HLC_MAX_AHEAD_MS);
	/* And after B reopens its database (the bound is kept). */
	{
		char path[300], err[STORE_ERRLEN];

		db_close(b.db);
		snprintf(path, sizeof(path), "%s/hamroh.db", b.dir);
		assert_int_equal(db_open(&b.db, path, false, err), 0);
		assert_int_equal(db_set_signer(b.db, b.sk), 0);
	}
	assert_true(hlc_ms(db_last_hlc(b.db)) >= T0_MS + 1000);
	assert_true(hlc_ms(db_last_hlc(b.db)) <= T0_MS + HLC_MAX_AHEAD_MS);

	tnode_close(a.dir, a.db);
	tnode_close(b.dir, b.db);

	/* Within the bound, a clock follows a stamp to the millisecond. */
	nopen(&a, "clock-a2");
	nopen(&b, "clock-b2");
	write_at(&a, T0_MS + 10 * 60 * 1000, "open");
	carry(&a, &b, T0_MS);
	assert_true(hlc_ms(db_last_hlc(b.db)) == T0_MS + 10 * 60 * 1000);
	tnode_close(a.dir, a.db);
	tnode_close(b.dir, b.db);
}

static void
test_refused_moves_nothing(void **state)
{
	struct node s, b;
	char err[STORE_ERRLEN], hex[65];
	uint8_t admin[32];
	uint64_t before;
	size_t i;

	(void)state;
	nopen(&s, "clock-stranger");
	nopen(&b, "clock-member");
	/* B is in a network whose admin never certified S. */
	randombytes_buf(admin, sizeof(admin));
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", admin[i]);
	assert_int_equal(db_begin(b.db, T0_MS, err), 0);
	assert_int_equal(db_meta_set(b.db, "admin_key", hex, err), 0);
	assert_int_equal(db_commit(b.db, err), 0);
	before = db_last_hlc(b.db);

	/* A stranger's commit, stamped 30 minutes ahead: within the bound. */
	write_at(&s, T0_MS + 30 * 60 * 1000, "open");
	carry(&s, &b, T0_MS);
	assert_true(db_last_hlc(b.db) == before);
	tnode_close(s.dir, s.db);
	tnode_close(b.dir, b.db);
}

static void
test_peer_says_ahead(void **state)
{
	struct node a, p;
	char err[STORE_ERRLEN], hex[65];
	uint8_t id[SCHEMA_ID_LEN], other[32];
	size_t i;

	(void)state;
	nopen(&a, "clock-ahead");
	nopen(&p, "clock-peer");
	/* A is the network's admin: its writes stand. */
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", a.pk[i]);
	assert_int_equal(db_begin(a.db, T0_MS, err), 0);
	assert_int_equal(db_meta_set(a.db, "admin_key", hex, err), 0);
	/* A session measured P's clock 2 hours behind A's. */
	assert_int_equal(db_clock_note(a.db, p.pk, a.pk,
	    -(int64_t)(2 * 3600 * 1000), T0_MS, "session", err), 0);
	assert_int_equal(db_commit(a.db, err), 0);

	/* A's next write is refused, with one line naming the clock. */
	randombytes_buf(id, sizeof(id));
	assert_int_equal(db_begin(a.db, T0_MS + 1000, err), 0);
	tnode_put(a.db, "consultations", id, "status", "open");
	assert_int_not_equal(db_commit(a.db, err), 0);
	assert_non_null(strstr(err, "this computer's clock says"));
	assert_non_null(strstr(err, "2 hours ahead"));
	assert_null(strchr(err, '\n'));

	/* Another peer sees A's clock right: one against one is no majority. */
	randombytes_buf(other, sizeof(other));
	assert_int_equal(db_begin(a.db, T0_MS + 2000, err), 0);
	assert_int_equal(db_clock_note(a.db, other, a.pk, 1000, T0_MS + 2000,
	    "session", err), 0);
	assert_int_equal(db_commit(a.db, err), 0);
	write_at(&a, T0_MS + 3000, "open");

	/* The clock set back before that measurement: it says nothing now. */
	write_at(&a, T0_MS - 3 * 3600 * 1000, "open");
	/* A measurement within the bound lets A write at once. */
	assert_int_equal(db_begin(a.db, T0_MS + 5000, err), 0);
	assert_int_equal(db_clock_note(a.db, p.pk, a.pk, -60 * 1000,
	    T0_MS + 5000, "session", err), 0);
	assert_int_equal(db_commit(a.db, err), 0);
	write_at(&a, T0_MS + 6000, "open");
	tnode_close(a.dir, a.db);
	tnode_close(p.dir, p.db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_refused_moves_nothing),
		cmocka_unit_test(test_peer_says_ahead),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

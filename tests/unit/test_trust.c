/*
 * test_trust.c: writes judged at apply (store/trust.h).  A small network
 * writes a history with forbidden changes in it — a guide by an office, an
 * edit of another center's consultation, changes a node made after it was
 * revoked — and every order of arrival must give the same tables and the
 * same refusals, with exactly the forbidden changes left out.
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
#include "store/db.h"
#include "store/db_test.h"
#include "store/trust.h"

#define ORDERS		40

static void
reopen(struct node *n)
{
	char path[300], err[STORE_ERRLEN];

	db_close(n->db);
	snprintf(path, sizeof(path), "%s/hamroh.db", n->dir);
	assert_int_equal(db_open(&n->db, path, false, err), 0);
	assert_int_equal(db_set_signer(n->db, n->sk), 0);
	/* Tests build hostile logs with local commits. */
	db_keep_refused(n->db, true);
}

/* The highest seq of ${who} that ${n} holds, as 'hamroh revoke' finds. */
static uint64_t
held_seq(struct node *n, const struct node *who)
{
	uint64_t seq;
	char err[STORE_ERRLEN];

	assert_int_equal(db_held_seq(n->db, who->pk, &seq, err), 0);
	return (seq);
}

static void
put_col(FILE *f, sqlite3_stmt *st, int k)
{
	const uint8_t *b;
	int i, n;

	if (sqlite3_column_type(st, k) != SQLITE_BLOB) {
		fprintf(f, "|%s", sqlite3_column_type(st, k) == SQLITE_NULL ?
		    "NULL" : (const char *)sqlite3_column_text(st, k));
		return;
	}
	b = sqlite3_column_blob(st, k);
	n = sqlite3_column_bytes(st, k);
	fprintf(f, "|");
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

/*
 * What a node shows: every column but the merge state (which names
 * origins by local index), and the refusals by origin key.
 */
static char *
dump(struct db *db)
{
	static const char *const q[] = {
		"SELECT * FROM c_consultations ORDER BY id",
		"SELECT * FROM c_guides ORDER BY id",
		"SELECT * FROM c_directory ORDER BY id",
		"SELECT * FROM c_members ORDER BY id",
		"SELECT o.key, r.seq, r.hlc, r.coll, r.id, r.reason FROM refused r"
		" JOIN origins o ON o.idx = r.origin ORDER BY 1, 2, 4, 5",
	};
	sqlite3_stmt *st;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;
	int k;

	assert_non_null(f = open_memstream(&out, &len));
	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		assert_int_equal(sqlite3_prepare_v2(db_handle(db), q[i], -1,
		    &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (k = 0; k < sqlite3_column_count(st); k++) {
				if (strcmp(sqlite3_column_name(st, k),
				    "_state") == 0)
					continue;
				put_col(f, st, k);
			}
			fprintf(f, "\n");
		}
		sqlite3_finalize(st);
		fprintf(f, "--\n");
	}
	fclose(f);
	return (out);
}

/* Seeded, so a failing order can be replayed: HAMROH_SEED=N. */
static uint64_t seed;

static void
history_free(struct history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->w[i].body);
	free(h->w);
}

/*
 * Apply history ${h} to fresh nodes of the network ${root} in ORDERS
 * orders (the log's, then shuffled), in batches of 1 to 4 commits each in
 * its own transaction.  Every node must verify and show the same tables
 * and refusals; ${check}(db, arg) says what they must be, on the first.
 */
static void
each_order(struct history *h, const uint8_t *root,
    void (*check)(struct db *, void *), void *arg)
{
	struct node t;
	struct wire tmp;
	char err[STORE_ERRLEN], *want = NULL, *got;
	size_t i, j, k, order;

	for (order = 0; order < ORDERS; order++) {
		for (i = h->n - 1; order > 0 && i > 0; i--) {
			j = rnd((uint32_t)i + 1);
			tmp = h->w[i];
			h->w[i] = h->w[j];
			h->w[j] = tmp;
		}
		open_node(&t, root);
		for (i = 0; i < h->n; i += k) {
			k = 1 + rnd(4);
			begin(&t, T0 + 50 * MIN);
			for (j = i; j < i + k && j < h->n; j++)
				apply_cb(t.db, h->w[j].body, h->w[j].len,
				    h->w[j].sig);
			commit(&t);
		}
		if (db_verify(t.db, stderr, err) != 0)
			fail_msg("order %zu (HAMROH_SEED=%llu): verify found "
			    "problems", order, (unsigned long long)seed);
		got = dump(t.db);
		if (want == NULL) {
			check(t.db, arg);
			want = got;
		} else {
			if (strcmp(want, got) != 0)
				fail_msg("order %zu (HAMROH_SEED=%llu) differs:"
				    "\n%s\nvs\n%s", order,
				    (unsigned long long)seed, want, got);
			free(got);
		}
		tnode_close(t.dir, t.db);
	}
	free(want);
}

static void
expect_text(struct db *db, const char *sql, const uint8_t *id,
    const char *want)
{
	char *s = text_of(db, sql, id);

	if (want == NULL) {
		if (s != NULL)
			fail_msg("%s: expected nothing, got '%s'", sql, s);
		return;
	}
	if (s == NULL)
		fail_msg("%s: expected '%s', got nothing", sql, want);
	assert_string_equal(s, want);
	free(s);
}

#define STATUS_OF	"SELECT status FROM c_consultations WHERE id = ?"
#define TITLE_OF	"SELECT title FROM c_guides WHERE id = ?"

static void
check_any_order(struct db *db, void *arg)
{
	uint8_t (*ids)[16] = arg;

	expect_text(db, STATUS_OF, ids[0], "referred");
	expect_text(db, "SELECT center FROM c_consultations WHERE id = ?",
	    ids[0], "north");
	assert_int_equal(refusals(db, "%cannot be cleared%"), 1);
	expect_text(db, "SELECT topic FROM c_consultations WHERE id = ?",
	    ids[0], "documents");
	expect_text(db, "SELECT outcome FROM c_consultations WHERE id = ?",
	    ids[0], NULL);
	expect_text(db, STATUS_OF, ids[1], NULL);
	expect_text(db, TITLE_OF, ids[3], NULL);
	expect_text(db, TITLE_OF, ids[2], "Pocket guide");
	assert_int_equal(refusals(db, "%belongs to center 'north'%"), 1);
	assert_int_equal(refusals(db, "only admins write guides"), 1);
	assert_int_equal(refusals(db, "%revoked on%"), 2);
}

static void
test_any_order(void **state)
{
	struct node r, m, n, x, all;
	struct history h = { NULL, 0 };
	uint8_t ids[5][16];
	uint8_t *c1 = ids[0], *c2 = ids[1], *g1 = ids[2], *g2 = ids[3];
	char err[STORE_ERRLEN];
	uint64_t rev_upto;

	(void)state;
	randombytes_buf(ids, sizeof(ids));
	open_node(&r, NULL);
	open_node(&m, r.pk);
	open_node(&n, r.pk);
	open_node(&x, r.pk);

	/* r certifies an office m and a center n of north, an office x. */
	certify(&r, &m, "office", "north", T0 + 1 * MIN);
	certify(&r, &n, "center", "north", T0 + 2 * MIN);
	certify(&r, &x, "office", "south", T0 + 3 * MIN);
	begin(&r, T0 + 4 * MIN);
	tnode_put(r.db, "guides", g1, "title", "Pocket guide");
	commit(&r);
	sync_from(&m, &r, T0 + 5 * MIN);
	sync_from(&n, &r, T0 + 5 * MIN);
	sync_from(&x, &r, T0 + 5 * MIN);

	/* m opens a consultation of north; n and x see it. */
	begin(&m, T0 + 10 * MIN);
	tnode_put(m.db, "consultations", c1, "center", "north");
	tnode_put(m.db, "consultations", c1, "status", "open");
	tnode_put(m.db, "consultations", c1, "topic", "wages");
	commit(&m);
	sync_from(&n, &m, T0 + 11 * MIN);
	sync_from(&x, &m, T0 + 11 * MIN);

	/* Forbidden: x (south) edits it; m publishes a guide. */
	begin(&x, T0 + 12 * MIN);
	tnode_put(x.db, "consultations", c1, "status", "closed");
	commit(&x);
	begin(&m, T0 + 13 * MIN);
	tnode_put(m.db, "guides", g2, "title", "Forged guide");
	commit(&m);

	/*
	 * r, an admin that has not seen c1, clears its center: a center is
	 * never cleared, by anyone, whichever arrives first.
	 */
	begin(&r, T0 + 12 * MIN);
	tnode_put(r.db, "consultations", c1, "center", NULL);
	commit(&r);

	/* Allowed: n (north) edits it after m did. */
	sync_from(&n, &m, T0 + 14 * MIN);
	begin(&n, T0 + 15 * MIN);
	tnode_put(n.db, "consultations", c1, "topic", "documents");
	commit(&n);

	/*
	 * m is revoked, accepting its first two commits.  Before it hears,
	 * at minute 25, it edits c1 and opens c2; n sees that edit and
	 * writes over it: m's write never stood, so n's stands beside m's
	 * first status.
	 */
	rev_upto = held_seq(&n, &m);
	assert_int_equal(rev_upto, 2);
	sync_from(&m, &n, T0 + 16 * MIN);
	begin(&m, T0 + 25 * MIN);
	tnode_put(m.db, "consultations", c1, "outcome", "written after revocation");
	tnode_put(m.db, "consultations", c1, "status", "closed");
	tnode_put(m.db, "consultations", c2, "center", "north");
	tnode_put(m.db, "consultations", c2, "status", "open");
	commit(&m);
	sync_from(&n, &m, T0 + 26 * MIN);
	begin(&n, T0 + 27 * MIN);
	tnode_put(n.db, "consultations", c1, "status", "referred");
	commit(&n);
	/*
	 * r holds all of it when it revokes m, from a fresh process as the
	 * CLI's 'revoke' is: its own commit must undo m's later changes.
	 */
	sync_from(&r, &n, T0 + 28 * MIN);
	reopen(&r);
	revoke_node(&r, &m, rev_upto, T0 + 30 * MIN);

	/*
	 * Each writer judged its own commits and what it received as it
	 * went: r undid m's later changes when it revoked m.
	 */
	if (db_verify(r.db, stderr, err) != 0 || db_verify(m.db, stderr,
	    err) != 0 || db_verify(n.db, stderr, err) != 0 ||
	    db_verify(x.db, stderr, err) != 0)
		fail_msg("a writer's tables differ from a replay of its log");
	expect_text(r.db, STATUS_OF, c2, NULL);

	/* The whole history, gathered in one place. */
	open_node(&all, r.pk);
	sync_from(&all, &r, T0 + 40 * MIN);
	sync_from(&all, &m, T0 + 40 * MIN);
	sync_from(&all, &n, T0 + 40 * MIN);
	sync_from(&all, &x, T0 + 40 * MIN);
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	assert_int_equal(h.n, 12);

	each_order(&h, r.pk, check_any_order, ids);
	history_free(&h);
	tnode_close(all.dir, all.db);
	tnode_close(r.dir, r.db);
	tnode_close(m.dir, m.db);
	tnode_close(n.dir, n.db);
	tnode_close(x.dir, x.db);
}

struct admin_ids {
	uint8_t		c[16], g[16], q[16], w[16];
	bool		more;		/* Root's second revocation of s. */
};

static void
check_admin_revoked(struct db *db, void *arg)
{
	struct admin_ids *a = arg;

	/* What s's commits up to the seq root accepts carry stands. */
	expect_text(db, STATUS_OF, a->c, "open");
	expect_text(db, TITLE_OF, a->g, "Rights abroad");
	if (!a->more) {
		/*
		 * w's certificate came in s's third commit, past what root
		 * accepted; w carrying it itself does not make it count.
		 * s's revocation of p came in its fourth: p's consultation
		 * stands.  s's own two later commits are refused.
		 */
		expect_text(db, STATUS_OF, a->w, NULL);
		expect_text(db, STATUS_OF, a->q, "open");
		assert_int_equal(refusals(db, "%not a member%"), 2);
		assert_int_equal(refusals(db, "%revoked on%after its change 2 %"), 2);
		assert_int_equal(refusals(db, "%"), 4);
	} else {
		/* Root accepts all four: w counts, p's revocation too. */
		expect_text(db, STATUS_OF, a->w, "open");
		expect_text(db, STATUS_OF, a->q, NULL);
		assert_int_equal(refusals(db, "%revoked on%after its change 0 %"), 1);
		assert_int_equal(refusals(db, "%"), 1);
	}
}

/*
 * Revoking an admin keeps what its own commits up to the seq root
 * accepts carry (certificates, revocations, writes) and voids the rest:
 * whoever else carries a certificate it signed later, that certificate
 * does not count.  A second revocation accepting more lets more in.  The
 * same in any order of arrival.
 */
static void
test_admin_revoked(void **state)
{
	struct node r, s, o, p, w, all;
	struct history h = { NULL, 0 };
	struct admin_ids a;
	char err[STORE_ERRLEN], hex[129];

	(void)state;
	randombytes_buf(&a, sizeof(a));
	open_node(&r, NULL);
	open_node(&s, r.pk);
	open_node(&o, r.pk);
	open_node(&p, r.pk);
	open_node(&w, r.pk);
	certify(&r, &s, "admin", "capital", T0 + 1 * MIN);
	certify(&r, &p, "center", "south", T0 + 1 * MIN + 1000);
	sync_from(&s, &r, T0 + 2 * MIN);
	/* s: 1 certifies o; 2 a guide; 3 certifies w; 4 revokes p. */
	certify(&s, &o, "office", "north", T0 + 3 * MIN);
	sync_from(&o, &s, T0 + 4 * MIN);
	begin(&o, T0 + 10 * MIN);
	tnode_put(o.db, "consultations", a.c, "center", "north");
	tnode_put(o.db, "consultations", a.c, "status", "open");
	commit(&o);
	begin(&s, T0 + 11 * MIN);
	tnode_put(s.db, "guides", a.g, "title", "Rights abroad");
	commit(&s);
	certify(&s, &w, "office", "west", T0 + 12 * MIN);
	revoke_node(&s, &p, 0, T0 + 14 * MIN);
	assert_int_equal(held_seq(&s, &s), 4);
	/* w writes its certificate into its own record, as join does. */
	sync_from(&w, &s, T0 + 15 * MIN);
	{
		char *cert = text_of(w.db, "SELECT cert FROM c_members"
		    " WHERE id = ?", w.pk);

		assert_non_null(cert);
		begin(&w, T0 + 16 * MIN);
		hex_encode(w.pk, 32, hex);
		tnode_put(w.db, "members", w.pk, "key", hex);
		tnode_put(w.db, "members", w.pk, "name", "n");
		tnode_put(w.db, "members", w.pk, "center", "west");
		tnode_put(w.db, "members", w.pk, "role", "office");
		tnode_put(w.db, "members", w.pk, "expires", EXPIRES);
		hex_encode(s.pk, 32, hex);
		tnode_put(w.db, "members", w.pk, "cert_by", hex);
		tnode_put(w.db, "members", w.pk, "cert", cert);
		tnode_put(w.db, "consultations", a.w, "center", "west");
		tnode_put(w.db, "consultations", a.w, "status", "open");
		commit(&w);
		free(cert);
	}
	/* p, which never heard of s's revocation, writes on. */
	sync_from(&p, &r, T0 + 15 * MIN);
	begin(&p, T0 + 16 * MIN);
	tnode_put(p.db, "consultations", a.q, "center", "south");
	tnode_put(p.db, "consultations", a.q, "status", "open");
	commit(&p);
	sync_from(&r, &o, T0 + 17 * MIN);
	sync_from(&r, &p, T0 + 17 * MIN);
	sync_from(&r, &w, T0 + 17 * MIN);
	expect_text(r.db, STATUS_OF, a.q, NULL);
	expect_text(r.db, STATUS_OF, a.w, "open");
	/* Root revokes s, accepting only the two commits of s it trusts. */
	revoke_node(&r, &s, 2, T0 + 21 * MIN);
	expect_text(r.db, STATUS_OF, a.q, "open");
	expect_text(r.db, STATUS_OF, a.w, NULL);
	if (db_verify(r.db, stderr, err) != 0)
		fail_msg("r's tables differ from a replay of its log");

	open_node(&all, r.pk);
	sync_from(&all, &r, T0 + 40 * MIN);
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	a.more = false;
	each_order(&h, r.pk, check_admin_revoked, &a);
	history_free(&h);

	/* A second revocation, accepting all four of s's commits. */
	revoke_node(&r, &s, 4, T0 + 30 * MIN);
	expect_text(r.db, STATUS_OF, a.w, "open");
	expect_text(r.db, STATUS_OF, a.q, NULL);
	sync_from(&all, &r, T0 + 41 * MIN);
	memset(&h, 0, sizeof(h));
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	a.more = true;
	each_order(&h, r.pk, check_admin_revoked, &a);
	history_free(&h);
	tnode_close(all.dir, all.db);
	tnode_close(r.dir, r.db);
	tnode_close(s.dir, s.db);
	tnode_close(o.dir, o.db);
	tnode_close(p.dir, p.db);
	tnode_close(w.dir, w.db);
}

struct clock_ids {
	uint8_t		c1[16], c2[16], c3[16];
	bool		more;
};

static void
check_clock_back(struct db *db, void *arg)
{
	struct clock_ids *a = arg;

	/* m's third commit wrote c3 and closed c1: neither stands. */
	expect_text(db, STATUS_OF, a->c1, "open");
	if (!a->more) {
		expect_text(db, STATUS_OF, a->c2, NULL);
		assert_int_equal(refusals(db, "%revoked on%after its change 1 %"), 3);
	} else {
		expect_text(db, STATUS_OF, a->c2, "open");
		assert_int_equal(refusals(db, "%revoked on%after its change 2 %"), 2);
	}
	expect_text(db, STATUS_OF, a->c3, NULL);
	assert_int_equal(refusals(db, "%"), a->more ? 2 : 3);
}

/*
 * A revoked laptop whose clock is set back stamps what it writes after
 * the revocation long before it: the seq alone decides, so none of it
 * stands, in any order.  Writes that reached a region before the admin
 * are let in by a second revocation accepting more, and only those.
 */
static void
test_clock_back(void **state)
{
	struct node r, m, n, all;
	struct history h = { NULL, 0 };
	struct clock_ids a;
	char err[STORE_ERRLEN];

	(void)state;
	randombytes_buf(&a, sizeof(a));
	open_node(&r, NULL);
	open_node(&m, r.pk);
	open_node(&n, r.pk);
	certify(&r, &m, "office", "north", T0 + 1 * MIN);
	certify(&r, &n, "center", "north", T0 + 2 * MIN);
	sync_from(&m, &r, T0 + 3 * MIN);
	begin(&m, T0 + 10 * MIN);
	tnode_put(m.db, "consultations", a.c1, "center", "north");
	tnode_put(m.db, "consultations", a.c1, "status", "open");
	commit(&m);
	sync_from(&r, &m, T0 + 11 * MIN);
	sync_from(&n, &m, T0 + 11 * MIN);
	/* The laptop is stolen; the admin revokes it with what it holds. */
	revoke_node(&r, &m, held_seq(&r, &m), T0 + 20 * MIN);
	/*
	 * The thief sets its clock back a day: every stamp is before the
	 * revocation's time.  The first write reaches n, not r.
	 */
	begin(&m, T0 - 1440 * MIN);
	tnode_put(m.db, "consultations", a.c2, "center", "north");
	tnode_put(m.db, "consultations", a.c2, "status", "open");
	commit(&m);
	sync_from(&n, &m, T0 - 1439 * MIN);
	begin(&m, T0 - 1438 * MIN);
	tnode_put(m.db, "consultations", a.c3, "center", "north");
	tnode_put(m.db, "consultations", a.c3, "status", "open");
	tnode_put(m.db, "consultations", a.c1, "status", "closed");
	commit(&m);
	assert_true(db_last_hlc(m.db) >> 16 < T0 + 20 * MIN);
	sync_from(&r, &m, T0 + 22 * MIN);
	sync_from(&n, &r, T0 + 22 * MIN);
	expect_text(r.db, STATUS_OF, a.c2, NULL);
	expect_text(n.db, STATUS_OF, a.c2, NULL);
	expect_text(n.db, STATUS_OF, a.c1, "open");

	open_node(&all, r.pk);
	sync_from(&all, &r, T0 + 40 * MIN);
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	a.more = false;
	each_order(&h, r.pk, check_clock_back, &a);
	history_free(&h);

	/*
	 * The region tells the admin it took m's second commit in good
	 * faith: a revocation accepting seq 2 lets it in, not the third.
	 */
	revoke_node(&r, &m, 2, T0 + 30 * MIN);
	expect_text(r.db, STATUS_OF, a.c2, "open");
	expect_text(r.db, STATUS_OF, a.c3, NULL);
	if (db_verify(r.db, stderr, err) != 0)
		fail_msg("r's tables differ from a replay of its log");
	sync_from(&all, &r, T0 + 41 * MIN);
	memset(&h, 0, sizeof(h));
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	a.more = true;
	each_order(&h, r.pk, check_clock_back, &a);
	history_free(&h);
	tnode_close(all.dir, all.db);
	tnode_close(r.dir, r.db);
	tnode_close(m.dir, m.db);
	tnode_close(n.dir, n.db);
}

/*
 * A revocation in the old format ("hamroh/revoke/1", no seq) counts
 * nowhere, and says so: the admin's change is refused with a line naming
 * the older hamroh, and the node it names writes on.
 */
static void
test_old_format(void **state)
{
	struct node r, m;
	uint8_t c[16];
	char err[STORE_ERRLEN];

	(void)state;
	randombytes_buf(c, sizeof(c));
	open_node(&r, NULL);
	open_node(&m, r.pk);
	certify(&r, &m, "office", "north", T0 + 1 * MIN);
	revoke_fmt(&r, &m, 0, T0 + 2 * MIN, true);
	begin(&m, T0 + 3 * MIN);
	tnode_put(m.db, "consultations", c, "center", "north");
	tnode_put(m.db, "consultations", c, "status", "open");
	commit(&m);
	sync_from(&r, &m, T0 + 4 * MIN);
	expect_text(r.db, STATUS_OF, c, "open");
	assert_int_equal(refusals(r.db, "%older format (hamroh/revoke/1%"
	    "older hamroh; upgrade it%"), 1);
	assert_int_equal(refusals(r.db, "%"), 1);
	expect_text(r.db, "SELECT revoked FROM c_members WHERE id = ?", m.pk,
	    NULL);
	if (db_verify(r.db, stderr, err) != 0)
		fail_msg("r's tables differ from a replay of its log");
	tnode_close(r.dir, r.db);
	tnode_close(m.dir, m.db);
}

struct renew_ids {
	uint8_t		c[16];
	bool		renewed;
};

static void
check_renewal(struct db *db, void *arg)
{
	struct renew_ids *a = arg;

	if (a->renewed) {
		expect_text(db, STATUS_OF, a->c, "open");
		assert_int_equal(refusals(db, "%"), 0);
	} else {
		expect_text(db, STATUS_OF, a->c, NULL);
		assert_int_equal(refusals(db, "the certificate of the office that made it "
		    "expired on 2026-03-01"), 1);
	}
}

/*
 * A certificate ends with its expiry day: what its node writes later
 * stands nowhere, until an admin renews it (a new invite), and then it
 * is back, in any order of arrival.
 */
static void
test_renewal(void **state)
{
	struct node r, m, all;
	struct history h = { NULL, 0 };
	struct renew_ids a;
	char err[STORE_ERRLEN];

	(void)state;
	randombytes_buf(a.c, sizeof(a.c));
	open_node(&r, NULL);
	open_node(&m, r.pk);
	/* T0 is 2026-03-01: m's certificate ends with that day. */
	certify_until(&r, &m, "office", "north", "2026-03-01", T0 + MIN);
	sync_from(&m, &r, T0 + 2 * MIN);
	begin(&m, T0 + 2 * 1440 * MIN);
	tnode_put(m.db, "consultations", a.c, "center", "north");
	tnode_put(m.db, "consultations", a.c, "status", "open");
	commit(&m);
	sync_from(&r, &m, T0 + 2 * 1440 * MIN + MIN);
	expect_text(r.db, STATUS_OF, a.c, NULL);

	open_node(&all, r.pk);
	sync_from(&all, &r, T0 + 3 * 1440 * MIN);
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	a.renewed = false;
	each_order(&h, r.pk, check_renewal, &a);
	history_free(&h);

	certify_until(&r, &m, "office", "north", "2027-03-01",
	    T0 + 3 * 1440 * MIN);
	expect_text(r.db, STATUS_OF, a.c, "open");
	if (db_verify(r.db, stderr, err) != 0)
		fail_msg("r's tables differ from a replay of its log");
	sync_from(&all, &r, T0 + 4 * 1440 * MIN);
	memset(&h, 0, sizeof(h));
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	a.renewed = true;
	each_order(&h, r.pk, check_renewal, &a);
	history_free(&h);
	tnode_close(all.dir, all.db);
	tnode_close(r.dir, r.db);
	tnode_close(m.dir, m.db);
}

/*
 * Confidential fields: a consultation's client_name, client_phone and
 * summary stand only sealed to a key of the record's center, a key whose
 * id is bound to it or (made before ids were) named by a keys record,
 * whichever arrives first.
 */
struct sealed_ids {
	uint8_t		c[6][16];
	char		v[6][96];
};

#define NAME_OF		"SELECT client_name FROM c_consultations" \
			    " WHERE id = ?"
#define SUMMARY_OF	"SELECT summary FROM c_consultations WHERE id = ?"

static void
check_sealed(struct db *db, void *arg)
{
	struct sealed_ids *a = arg;

	expect_text(db, NAME_OF, a->c[0], a->v[0]);
	expect_text(db, STATUS_OF, a->c[1], NULL);
	expect_text(db, STATUS_OF, a->c[2], NULL);
	expect_text(db, SUMMARY_OF, a->c[3], a->v[3]);
	expect_text(db, STATUS_OF, a->c[4], NULL);
	expect_text(db, NAME_OF, a->c[5], NULL);
	expect_text(db, STATUS_OF, a->c[5], "closed");
	assert_int_equal(refusals(db, "%client_name is not sealed%"), 1);
	assert_int_equal(refusals(db, "%phone is not sealed%"), 1);
	assert_int_equal(refusals(db, "%not a key of center 'north'%"), 2);
}

/* "enc1:" hex(id) ":" and 54 base64url characters: the syntax. */
static void
sealed_with(char out[96], const uint8_t id[8])
{
	char hex[17];

	hex_encode(id, 8, hex);
	snprintf(out, 96, "enc1:%s:%s", hex,
	    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbg");
}

static void
test_sealed(void **state)
{
	struct node r, m, all;
	struct history h = { NULL, 0 };
	struct sealed_ids a;
	uint8_t north[8], south[8], legacy[8], unknown[8], kid[16];
	char err[STORE_ERRLEN], hex[65];
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		randombytes_buf(a.c[i], 16);
	randombytes_buf(north, 8);
	memcpy(south, north, 8);
	trust_keyid_prefix("north", 5, north);
	trust_keyid_prefix("south", 5, south);
	randombytes_buf(legacy, 8);
	randombytes_buf(unknown, 8);
	assert_false(trust_keyid_bound(legacy, "north", 5));
	assert_false(trust_keyid_bound(unknown, "north", 5));
	sealed_with(a.v[0], north);
	snprintf(a.v[1], 96, "Zarina Qodirova");
	sealed_with(a.v[2], south);
	sealed_with(a.v[3], legacy);
	sealed_with(a.v[4], unknown);
	open_node(&r, NULL);
	open_node(&m, r.pk);
	certify(&r, &m, "office", "north", T0 + 1 * MIN);
	sync_from(&m, &r, T0 + 2 * MIN);

	/* m, an office of north, logs six consultations. */
	begin(&m, T0 + 10 * MIN);
	for (i = 0; i < 5; i++) {
		tnode_put(m.db, "consultations", a.c[i], "center", "north");
		tnode_put(m.db, "consultations", a.c[i], "status", "open");
	}
	tnode_put(m.db, "consultations", a.c[0], "client_name", a.v[0]);
	tnode_put(m.db, "consultations", a.c[1], "client_name", a.v[1]);
	tnode_put(m.db, "consultations", a.c[2], "client_name", a.v[2]);
	tnode_put(m.db, "consultations", a.c[3], "summary", a.v[3]);
	tnode_put(m.db, "consultations", a.c[4], "summary", a.v[4]);
	commit(&m);
	/* A clear phone in a later edit: refused, the record stands. */
	begin(&m, T0 + 11 * MIN);
	tnode_put(m.db, "consultations", a.c[5], "center", "north");
	tnode_put(m.db, "consultations", a.c[5], "status", "closed");
	commit(&m);
	begin(&m, T0 + 12 * MIN);
	tnode_put(m.db, "consultations", a.c[5], "client_phone", "+992 93");
	commit(&m);
	/* Cleared is never refused. */
	begin(&m, T0 + 13 * MIN);
	tnode_put(m.db, "consultations", a.c[5], "client_name", NULL);
	commit(&m);

	/* r names the legacy key as north's in a keys record, after. */
	begin(&r, T0 + 20 * MIN);
	hex_encode(legacy, 8, hex);
	memcpy(kid, legacy, 8);
	memset(kid + 8, 0, 8);
	tnode_put(r.db, "keys", kid, "center", "north");
	tnode_put(r.db, "keys", kid, "keyid", hex);
	hex_encode(m.pk, 32, hex);
	tnode_put(r.db, "keys", kid, "recipient", hex);
	tnode_put(r.db, "keys", kid, "sealed", "x");
	commit(&r);
	sync_from(&m, &r, T0 + 21 * MIN);
	if (db_verify(m.db, stderr, err) != 0)
		fail_msg("m's tables differ from a replay of its log");
	check_sealed(m.db, &a);

	open_node(&all, r.pk);
	sync_from(&all, &r, T0 + 40 * MIN);
	sync_from(&all, &m, T0 + 40 * MIN);
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	each_order(&h, r.pk, check_sealed, &a);
	history_free(&h);
	tnode_close(all.dir, all.db);
	tnode_close(r.dir, r.db);
	tnode_close(m.dir, m.db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_any_order),
		cmocka_unit_test(test_admin_revoked),
		cmocka_unit_test(test_renewal),
		cmocka_unit_test(test_clock_back),
		cmocka_unit_test(test_old_format),
		cmocka_unit_test(test_sealed),
	};
	const char *e = getenv("HAMROH_SEED");

	if (sodium_init() < 0)
		return (1);
	seed = e != NULL ? strtoull(e, NULL, 10) : (uint64_t)time(NULL);
	rng = seed * 2654435761u + 1;
	printf("test_trust: HAMROH_SEED=%llu\n", (unsigned long long)seed);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

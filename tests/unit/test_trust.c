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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "agent/cli.h"
#include "store/db.h"
#include "store/trust.h"

/* 2026-03-01T00:00:00Z, and one minute. */
#define T0		1772323200000ULL
#define MIN		60000ULL
#define EXPIRES		"2027-03-01"
#define ORDERS		40

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[32], sk[64];
};

/* Every commit of the history, as signed. */
struct wire {
	uint8_t		*body;
	size_t		len;
	uint8_t		sig[COMMIT_SIG_LEN];
};

struct history {
	struct wire	*w;
	size_t		n;
};

static void
open_node(struct node *n, const uint8_t *root)
{
	char err[STORE_ERRLEN], hex[65];

	tnode_open(n->dir, &n->db, n->pk, n->sk, "trust");
	hex_encode(root != NULL ? root : n->pk, 32, hex);
	assert_int_equal(db_begin(n->db, T0, err), 0);
	assert_int_equal(db_meta_set(n->db, "admin_key", hex, err), 0);
	assert_int_equal(db_commit(n->db, err), 0);
}

static void
reopen(struct node *n)
{
	char path[300], err[STORE_ERRLEN];

	db_close(n->db);
	snprintf(path, sizeof(path), "%s/hamroh.db", n->dir);
	assert_int_equal(db_open(&n->db, path, false, err), 0);
	assert_int_equal(db_set_signer(n->db, n->sk), 0);
}

static void
put(struct db *db, const char *coll, const uint8_t *id, const char *field,
    const char *s)
{
	const struct coll_def *c = schema_coll(coll);
	char err[STORE_ERRLEN];
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = s;
	v.len = strlen(s);
	if (db_put(db, c, id, schema_field(c, field, strlen(field)), &v, err))
		fail_msg("put %s.%s: %s", coll, field, err);
}

static void
begin(struct node *n, uint64_t ms)
{
	char err[STORE_ERRLEN];

	assert_int_equal(db_begin(n->db, ms, err), 0);
}

static void
commit(struct node *n)
{
	char err[STORE_ERRLEN];

	if (db_commit(n->db, err))
		fail_msg("commit: %s", err);
}

/* ${admin} certifies ${who} as ${role} of ${center}. */
static void
certify(struct node *admin, const struct node *who, const char *role,
    const char *center, uint64_t ms)
{
	msgpack_sbuffer sb;
	uint8_t sig[64];
	char hex[129];

	msgpack_sbuffer_init(&sb);
	assert_int_equal(trust_cert_bytes(who->pk, "n", center, role, EXPIRES,
	    &sb), 0);
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size,
	    admin->sk);
	msgpack_sbuffer_destroy(&sb);
	begin(admin, ms);
	hex_encode(who->pk, 32, hex);
	put(admin->db, "members", who->pk, "key", hex);
	put(admin->db, "members", who->pk, "name", "n");
	put(admin->db, "members", who->pk, "center", center);
	put(admin->db, "members", who->pk, "role", role);
	put(admin->db, "members", who->pk, "expires", EXPIRES);
	hex_encode(admin->pk, 32, hex);
	put(admin->db, "members", who->pk, "cert_by", hex);
	hex_encode(sig, 64, hex);
	put(admin->db, "members", who->pk, "cert", hex);
	commit(admin);
}

/* ${admin} revokes ${who} as of ${when_ms}, committing at ${ms}. */
static void
revoke_node(struct node *admin, const struct node *who, uint64_t when_ms,
    uint64_t ms)
{
	msgpack_sbuffer sb;
	time_t t = (time_t)(when_ms / 1000);
	struct tm tm;
	uint8_t sig[64];
	char when[21], hex[129];

	assert_non_null(gmtime_r(&t, &tm));
	assert_int_equal(strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    &tm), 20);
	msgpack_sbuffer_init(&sb);
	assert_int_equal(trust_revoke_bytes(who->pk, when, "lost laptop",
	    &sb), 0);
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size,
	    admin->sk);
	msgpack_sbuffer_destroy(&sb);
	begin(admin, ms);
	hex_encode(who->pk, 32, hex);
	put(admin->db, "members", who->pk, "key", hex);
	put(admin->db, "members", who->pk, "revoked", when);
	put(admin->db, "members", who->pk, "revoked_reason", "lost laptop");
	hex_encode(admin->pk, 32, hex);
	put(admin->db, "members", who->pk, "revoked_by", hex);
	hex_encode(sig, 64, hex);
	put(admin->db, "members", who->pk, "revoked_sig", hex);
	commit(admin);
}

static int
apply_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct db *to = arg;
	struct db_counts res;
	char err[STORE_ERRLEN];

	memset(&res, 0, sizeof(res));
	if (db_apply(to, body, len, sig, &res, err) != 0)
		fail_msg("apply: %s", err);
	return (0);
}

/* ${to} receives everything ${from} holds. */
static void
sync_from(struct node *to, struct node *from, uint64_t ms)
{
	char err[STORE_ERRLEN];

	begin(to, ms);
	assert_int_equal(db_commits_since(from->db, NULL, apply_cb, to->db,
	    err), 0);
	commit(to);
}

static int
keep_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct history *h = arg;
	struct wire *w;

	assert_non_null(w = realloc(h->w, (h->n + 1) * sizeof(*w)));
	h->w = w;
	w = &h->w[h->n++];
	assert_non_null(w->body = malloc(len));
	memcpy(w->body, body, len);
	w->len = len;
	memcpy(w->sig, sig, COMMIT_SIG_LEN);
	return (0);
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

static char *
text_of(struct db *db, const char *sql, const uint8_t *id)
{
	sqlite3_stmt *st;
	char *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return (s);
}

static long
refusals(struct db *db, const char *like)
{
	sqlite3_stmt *st;
	long n = 0;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), "SELECT count(*)"
	    " FROM refused WHERE reason LIKE ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}

static void
test_any_order(void **state)
{
	struct node r, m, n, x, all, t;
	struct history h = { NULL, 0 };
	struct wire tmp;
	uint8_t c1[16], c2[16], g1[16], g2[16];
	char err[STORE_ERRLEN], *want = NULL, *got, *s;
	size_t i, j, k, order;
	uint64_t rev_ms;

	(void)state;
	randombytes_buf(c1, 16);
	randombytes_buf(c2, 16);
	randombytes_buf(g1, 16);
	randombytes_buf(g2, 16);
	open_node(&r, NULL);
	open_node(&m, r.pk);
	open_node(&n, r.pk);
	open_node(&x, r.pk);

	/* r certifies an office m and a center n of north, an office x. */
	certify(&r, &m, "office", "north", T0 + 1 * MIN);
	certify(&r, &n, "center", "north", T0 + 2 * MIN);
	certify(&r, &x, "office", "south", T0 + 3 * MIN);
	begin(&r, T0 + 4 * MIN);
	put(r.db, "guides", g1, "title", "Pocket guide");
	commit(&r);
	sync_from(&m, &r, T0 + 5 * MIN);
	sync_from(&n, &r, T0 + 5 * MIN);
	sync_from(&x, &r, T0 + 5 * MIN);

	/* m opens a consultation of north; n and x see it. */
	begin(&m, T0 + 10 * MIN);
	put(m.db, "consultations", c1, "center", "north");
	put(m.db, "consultations", c1, "status", "open");
	put(m.db, "consultations", c1, "topic", "wages");
	commit(&m);
	sync_from(&n, &m, T0 + 11 * MIN);
	sync_from(&x, &m, T0 + 11 * MIN);

	/* Forbidden: x (south) edits it; m publishes a guide. */
	begin(&x, T0 + 12 * MIN);
	put(x.db, "consultations", c1, "status", "closed");
	commit(&x);
	begin(&m, T0 + 13 * MIN);
	put(m.db, "guides", g2, "title", "Forged guide");
	commit(&m);

	/* Allowed: n (north) edits it after m did. */
	sync_from(&n, &m, T0 + 14 * MIN);
	begin(&n, T0 + 15 * MIN);
	put(n.db, "consultations", c1, "topic", "documents");
	commit(&n);

	/*
	 * m is revoked as of minute 20.  Before it hears, at minute 25, it
	 * edits c1 and opens c2; n sees that edit and writes over it: m's
	 * write never stood, so n's stands beside m's first status.
	 */
	rev_ms = T0 + 20 * MIN;
	sync_from(&m, &n, T0 + 16 * MIN);
	begin(&m, T0 + 25 * MIN);
	put(m.db, "consultations", c1, "outcome", "written after revocation");
	put(m.db, "consultations", c1, "status", "closed");
	put(m.db, "consultations", c2, "center", "north");
	put(m.db, "consultations", c2, "status", "open");
	commit(&m);
	sync_from(&n, &m, T0 + 26 * MIN);
	begin(&n, T0 + 27 * MIN);
	put(n.db, "consultations", c1, "status", "referred");
	commit(&n);
	/*
	 * r holds all of it when it revokes m, from a fresh process as the
	 * CLI's 'revoke' is: its own commit must undo m's later changes.
	 */
	sync_from(&r, &n, T0 + 28 * MIN);
	reopen(&r);
	revoke_node(&r, &m, rev_ms, T0 + 30 * MIN);

	/*
	 * Each writer judged its own commits and what it received as it
	 * went: r undid m's later changes when it revoked m.
	 */
	if (db_verify(r.db, stderr, err) != 0 || db_verify(m.db, stderr,
	    err) != 0 || db_verify(n.db, stderr, err) != 0 ||
	    db_verify(x.db, stderr, err) != 0)
		fail_msg("a writer's tables differ from a replay of its log");
	assert_null(text_of(r.db, "SELECT status FROM c_consultations"
	    " WHERE id = ?", c2));

	/* The whole history, gathered in one place. */
	open_node(&all, r.pk);
	sync_from(&all, &r, T0 + 40 * MIN);
	sync_from(&all, &m, T0 + 40 * MIN);
	sync_from(&all, &n, T0 + 40 * MIN);
	sync_from(&all, &x, T0 + 40 * MIN);
	assert_int_equal(db_commits_since(all.db, NULL, keep_cb, &h, err), 0);
	assert_int_equal(h.n, 11);

	for (order = 0; order < ORDERS; order++) {
		/* The first order is the log's; then random ones. */
		for (i = h.n - 1; order > 0 && i > 0; i--) {
			j = randombytes_uniform((uint32_t)i + 1);
			tmp = h.w[i];
			h.w[i] = h.w[j];
			h.w[j] = tmp;
		}
		open_node(&t, r.pk);
		/* In batches of 1 to 4 commits, each its own transaction. */
		for (i = 0; i < h.n; i += k) {
			k = 1 + randombytes_uniform(4);
			begin(&t, T0 + 50 * MIN);
			for (j = i; j < i + k && j < h.n; j++)
				apply_cb(t.db, h.w[j].body, h.w[j].len,
				    h.w[j].sig);
			commit(&t);
		}
		if (db_verify(t.db, stderr, err) != 0)
			fail_msg("order %zu: verify found problems", order);
		got = dump(t.db);
		if (want == NULL) {
			want = got;
			/* What must hold, checked once on the first order. */
			s = text_of(t.db, "SELECT status FROM c_consultations"
			    " WHERE id = ?", c1);
			assert_string_equal(s, "referred");
			free(s);
			s = text_of(t.db, "SELECT topic FROM c_consultations"
			    " WHERE id = ?", c1);
			assert_string_equal(s, "documents");
			free(s);
			assert_null(text_of(t.db, "SELECT outcome FROM"
			    " c_consultations WHERE id = ?", c1));
			assert_null(text_of(t.db, "SELECT status FROM"
			    " c_consultations WHERE id = ?", c2));
			assert_null(text_of(t.db, "SELECT title FROM c_guides"
			    " WHERE id = ?", g2));
			s = text_of(t.db, "SELECT title FROM c_guides WHERE"
			    " id = ?", g1);
			assert_string_equal(s, "Pocket guide");
			free(s);
			assert_int_equal(refusals(t.db, "%belongs to center "
			    "'north'%"), 1);
			assert_int_equal(refusals(t.db, "only admins write "
			    "guides"), 1);
			assert_int_equal(refusals(t.db, "%revoked on%"), 2);
		} else {
			if (strcmp(want, got) != 0)
				fail_msg("order %zu differs:\n%s\nvs\n%s",
				    order, want, got);
			free(got);
		}
		tnode_close(t.dir, t.db);
	}
	free(want);
	for (i = 0; i < h.n; i++)
		free(h.w[i].body);
	free(h.w);
	tnode_close(all.dir, all.db);
	tnode_close(r.dir, r.db);
	tnode_close(m.dir, m.db);
	tnode_close(n.dir, n.db);
	tnode_close(x.dir, x.db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_any_order),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

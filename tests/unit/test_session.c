/*
 * test_session.c: sessions driven back to back, no sockets.  Nodes
 * converge through the handshake, HELLO, streamed COMMITS and ACKs, relay
 * third-origin commits, and strangers get zero bytes back.
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

#include "agent/session.h"
#include "store/db.h"
#include "store/query.h"

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[32], sk[64];
	uint8_t		seen[8][32];	/* Replay guard per initiator, */
	uint64_t	last_ts[8];	/* as the agent keeps it. */
	size_t		nseen;
	int		admitted, refused;
};

static uint8_t netkey[32];

static void
node_open(struct node *n)
{

	memset(n, 0, sizeof(*n));
	tnode_open(n->dir, &n->db, n->pk, n->sk, "sess");
}

static void
node_close(struct node *n)
{

	tnode_close(n->dir, n->db);
}

/* ${n} consultations written at ${x}, ${per} records per commit. */
static void
write_records(struct node *x, size_t n, size_t per, uint64_t now)
{
	const struct coll_def *c = schema_coll("consultations");
	char err[STORE_ERRLEN], summary[320];
	uint8_t id[16];
	struct val v = { VAL_STR, 0, NULL, 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (i % per == 0)
			assert_int_equal(db_begin(x->db, now + i, err), 0);
		randombytes_buf(id, sizeof(id));
		snprintf(summary, sizeof(summary), "record %zu of %s", i,
		    x->dir);
		v.s = summary;
		v.len = strlen(summary);
		assert_int_equal(db_put(x->db, c, id, schema_field(c,
		    "summary", 7), &v, err), 0);
		if (i % per == per - 1 || i == n - 1)
			assert_int_equal(db_commit(x->db, err), 0);
	}
}

static int
admit(void *arg, const uint8_t *peer, uint64_t ts)
{
	struct node *n = arg;
	size_t i;

	for (i = 0; i < n->nseen; i++)
		if (memcmp(n->seen[i], peer, 32) == 0)
			break;
	if (i == n->nseen) {
		assert_true(n->nseen < 8);
		memcpy(n->seen[n->nseen++], peer, 32);
	} else if (ts <= n->last_ts[i]) {
		n->refused++;
		return (-1);
	}
	n->last_ts[i] = ts;
	n->admitted++;
	return (0);
}

static struct session *
dial(struct node *from, struct node *to, const uint8_t *key, uint64_t now)
{
	struct session_cfg cfg = { from->db, true, from->sk, to->pk, key,
	    "from", NULL, NULL, NULL, now };
	char err[SESSION_ERRLEN];
	struct session *s;

	s = session_new(&cfg, err);
	assert_non_null(s);
	return (s);
}

static struct session *
answer(struct node *to, uint64_t now)
{
	struct session_cfg cfg = { to->db, false, to->sk, NULL, netkey,
	    "to", admit, NULL, to, now };
	char err[SESSION_ERRLEN];
	struct session *s;

	s = session_new(&cfg, err);
	assert_non_null(s);
	return (s);
}

/*
 * Move bytes both ways in chunks of ${chunk} until neither side has
 * anything to say.  Return bytes moved from a to b; -1 if a session ended.
 */
static long
shuttle(struct session *a, struct session *b, size_t chunk, uint64_t now)
{
	struct session *from, *to;
	const uint8_t *p;
	size_t n, k;
	long ab = 0;
	bool moved;
	int round = 0;

	/* As the agent does when the log changed (data_version, relay). */
	session_kick(a);
	session_kick(b);
	do {
		moved = false;
		for (k = 0; k < 2; k++) {
			from = k == 0 ? a : b;
			to = k == 0 ? b : a;
			if (session_pump(from) != 0)
				return (-1);
			session_output(from, &p, &n);
			if (n == 0)
				continue;
			n = n < chunk ? n : chunk;
			if (k == 0)
				ab += (long)n;
			moved = true;
			if (session_input(to, p, n, now) != 0) {
				session_consumed(from, n);
				return (-1);
			}
			session_consumed(from, n);
		}
		assert_true(++round < 1000000);
	} while (moved);
	return (ab);
}

struct dump {
	char	*buf;
	size_t	len;
	FILE	*f;
};

static int
dump_cb(void *arg, const struct rview *rv)
{
	FILE *f = arg;
	size_t i;

	fwrite(rv->id, 1, 16, f);
	for (i = 0; i < rv->nf; i++) {
		fprintf(f, "%s=", rv->f[i].name);
		if (rv->f[i].v.t == VAL_STR)
			fwrite(rv->f[i].v.s, 1, rv->f[i].v.len, f);
		fputc(';', f);
	}
	fputc('\n', f);
	return (0);
}

/* Every record of every collection, as bytes: equal state, equal bytes. */
static void
dump(struct node *n, struct dump *d)
{
	const struct coll_def *c;
	char err[STORE_ERRLEN];

	d->f = open_memstream(&d->buf, &d->len);
	for (c = schema_colls; c->name != NULL; c++)
		assert_true(query_records(n->db, c, NULL, NULL, 0, true,
		    dump_cb, d->f, err) >= 0);
	fclose(d->f);
}

static void
assert_same(struct node *a, struct node *b)
{
	struct dump da, db_;

	dump(a, &da);
	dump(b, &db_);
	assert_int_equal(da.len, db_.len);
	assert_memory_equal(da.buf, db_.buf, da.len);
	free(da.buf);
	free(db_.buf);
}

static void
test_two_nodes_converge(void **state)
{
	struct node a, b;
	struct session *sa, *sb;
	long sent;

	(void)state;
	node_open(&a);
	node_open(&b);
	write_records(&a, 3000, 250, 1000);
	write_records(&b, 40, 1, 5000);
	sa = dial(&a, &b, netkey, 10000);
	sb = answer(&b, 10000);
	sent = shuttle(sa, sb, 4096, 10000);
	assert_true(sent > 0);
	assert_true(session_synced(sa) && session_synced(sb));
	assert_memory_equal(session_peer(sb), a.pk, 32);
	assert_string_equal(session_peer_name(sb), "from");
	assert_true(session_idle(sa) && session_idle(sb));
	assert_int_equal(session_stats(sb)->commits_applied, 12);
	assert_int_equal(session_stats(sa)->commits_applied, 40);
	assert_same(&a, &b);

	/* A new write while connected is pushed: one small exchange. */
	write_records(&a, 1, 1, 20000);
	assert_false(session_idle(sa));
	sent = shuttle(sa, sb, 65536, 20000);
	assert_true(sent > 0 && sent < 4096);
	assert_same(&a, &b);
	assert_true(session_idle(sa) && session_idle(sb));

	/* A clean goodbye. */
	session_bye(sa, "shutting down");
	assert_int_equal(shuttle(sa, sb, 65536, 20000), -1);
	assert_non_null(strstr(session_error(sb), "shutting down"));
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);
}

/* A - B - C: C only ever talks to B, yet gets A's commits, and back. */
static void
test_relay_through_middle(void **state)
{
	struct node a, b, c;
	struct session *ab, *ba, *cb, *bc;

	(void)state;
	node_open(&a);
	node_open(&b);
	node_open(&c);
	write_records(&a, 500, 100, 1000);
	write_records(&c, 70, 7, 2000);
	ab = dial(&a, &b, netkey, 3000);
	ba = answer(&b, 3000);
	cb = dial(&c, &b, netkey, 3000);
	bc = answer(&b, 3001);
	assert_true(shuttle(ab, ba, 1000, 3000) > 0);
	assert_true(shuttle(cb, bc, 1000, 3001) > 0);
	/* B now pushes A's commits to C and C's to A. */
	assert_true(shuttle(bc, cb, 1000, 3002) >= 0);
	assert_true(shuttle(ba, ab, 1000, 3003) >= 0);
	assert_same(&a, &b);
	assert_same(&b, &c);
	assert_true(session_idle(ab) && session_idle(ba));
	assert_true(session_idle(bc) && session_idle(cb));
	session_free(ab);
	session_free(ba);
	session_free(cb);
	session_free(bc);
	node_close(&a);
	node_close(&b);
	node_close(&c);
}

/* Strangers, replays and tampering: the responder sends zero bytes. */
static void
test_strangers_get_nothing(void **state)
{
	struct node a, b, stranger;
	struct session *sa, *sb;
	const uint8_t *p;
	uint8_t wrong[32], m1[SESSION_MSG1_LEN];
	size_t n, i;

	(void)state;
	node_open(&a);
	node_open(&b);
	node_open(&stranger);
	randombytes_buf(wrong, sizeof(wrong));

	/* Wrong network key: mac1 fails, nothing comes back. */
	sa = dial(&a, &b, wrong, 100);
	sb = answer(&b, 100);
	session_output(sa, &p, &n);
	assert_int_equal(n, SESSION_MSG1_LEN);
	assert_int_equal(session_input(sb, p, n, 100), -1);
	session_output(sb, &p, &n);
	assert_int_equal(n, 0);
	assert_int_equal(b.admitted + b.refused, 0);
	session_free(sa);
	session_free(sb);

	/* Dialing the wrong node (mac1 is for someone else). */
	sa = dial(&a, &stranger, netkey, 100);
	sb = answer(&b, 100);
	session_output(sa, &p, &n);
	assert_int_equal(session_input(sb, p, n, 100), -1);
	session_output(sb, &p, &n);
	assert_int_equal(n, 0);
	session_free(sa);
	session_free(sb);

	/* Each byte flipped in message 1: refused, silently. */
	sa = dial(&a, &b, netkey, 200);
	session_output(sa, &p, &n);
	memcpy(m1, p, sizeof(m1));
	for (i = 0; i < sizeof(m1); i++) {
		m1[i] ^= 0x04;
		sb = answer(&b, 200);
		assert_int_equal(session_input(sb, m1, sizeof(m1), 200), -1);
		session_output(sb, &p, &n);
		assert_int_equal(n, 0);
		session_free(sb);
		m1[i] ^= 0x04;
	}
	/* The genuine one is admitted once; replaying it is refused. */
	sb = answer(&b, 200);
	assert_int_equal(session_input(sb, m1, sizeof(m1), 200), 0);
	session_output(sb, &p, &n);
	assert_true(n > 0);
	session_free(sb);
	sb = answer(&b, 300);
	assert_int_equal(session_input(sb, m1, sizeof(m1), 300), -1);
	session_output(sb, &p, &n);
	assert_int_equal(n, 0);
	assert_int_equal(b.refused, 1);
	session_free(sb);
	session_free(sa);
	node_close(&a);
	node_close(&b);
	node_close(&stranger);
}

/* Garbage after the handshake ends the session, and only the session. */
static void
test_tampered_transport(void **state)
{
	struct node a, b;
	struct session *sa, *sb;
	const uint8_t *p;
	uint8_t junk[64];
	size_t n;

	(void)state;
	node_open(&a);
	node_open(&b);
	write_records(&a, 10, 5, 100);
	sa = dial(&a, &b, netkey, 1000);
	sb = answer(&b, 1000);
	session_output(sa, &p, &n);
	assert_int_equal(session_input(sb, p, n, 1000), 0);
	session_consumed(sa, n);
	session_output(sb, &p, &n);
	assert_int_equal(session_input(sa, p, n, 1000), 0);
	session_consumed(sb, n);
	/* sa now sends its stream header, HELLO and commits: corrupt them. */
	session_output(sa, &p, &n);
	assert_true(n > sizeof(junk));
	memcpy(junk, p, sizeof(junk));
	junk[40] ^= 1;
	assert_int_equal(session_input(sb, junk, sizeof(junk), 1000), -1);
	assert_true(strlen(session_error(sb)) > 0);
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);
}

/* A guide at the 1 MiB limit: its commit is larger than a frame. */
static void
test_commit_larger_than_a_frame(void **state)
{
	const struct coll_def *g = schema_coll("guides");
	const struct field_def *body = schema_field(g, "body", 4);
	struct node a, b;
	struct session *sa, *sb;
	char err[STORE_ERRLEN], *text;
	uint8_t id[16];
	struct val v = { VAL_STR, 0, NULL, 0 };
	size_t i;

	(void)state;
	node_open(&a);
	node_open(&b);
	write_records(&a, 20, 10, 100);
	text = malloc(body->max_len);
	assert_non_null(text);
	for (i = 0; i < body->max_len; i++)
		text[i] = (char)('a' + i % 26);
	v.s = text;
	v.len = body->max_len;
	randombytes_buf(id, sizeof(id));
	assert_int_equal(db_begin(a.db, 200, err), 0);
	assert_int_equal(db_put(a.db, g, id, body, &v, err), 0);
	assert_int_equal(db_commit(a.db, err), 0);
	write_records(&a, 20, 10, 300);		/* And some after it. */
	free(text);
	sa = dial(&a, &b, netkey, 1000);
	sb = answer(&b, 1000);
	assert_true(shuttle(sa, sb, 65536, 1000) > (long)body->max_len);
	assert_same(&a, &b);
	assert_true(session_idle(sa) && session_idle(sb));
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_nodes_converge),
		cmocka_unit_test(test_relay_through_middle),
		cmocka_unit_test(test_strangers_get_nothing),
		cmocka_unit_test(test_tampered_transport),
		cmocka_unit_test(test_commit_larger_than_a_frame),
	};

	if (sodium_init() < 0)
		return (1);
	randombytes_buf(netkey, sizeof(netkey));
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

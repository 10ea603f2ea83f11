/*
 * test_session.c: sessions driven back to back, no sockets.  Nodes
 * converge through the handshake, HELLO, streamed COMMITS and ACKs, relay
 * third-origin commits, and strangers get zero bytes back.  Batches go
 * zstd-compressed only when both sides offer it, in fewer bytes, and a
 * peer that does not offer it still syncs; a hand-driven peer shows that
 * a bad ZSTD message ends the session with BYE.  It also shows that any
 * peer's input costs bounded work: one HELLO, ACKs only for batches
 * sent, vectors of up to 100,000 origins over several frames (and not
 * one more), unknown origins never stored, ACKs carrying only what
 * moved; an older peer is told to upgrade; HELLO's clock gives the
 * peer's offset.  A receiver whose database another process holds locked
 * stalls, keeping what came, and applies all of it once the lock is gone.
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

#include <msgpack.h>
#include <sqlite3.h>
#include <zstd.h>

#include "agent/sync/session.h"
#include "protocol/frame.h"
#include "protocol/hs.h"
#include "protocol/limits.h"
#include "protocol/msg.h"
#include "store/commit.h"
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
	uint8_t		succ[2 * SESSION_SUCC_LEN];	/* What admit() */
	size_t		nsucc;				/* was given. */
};

static uint8_t netkey[32];
static int admit_busy;		/* admit() says "busy" this many times. */

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
admit(void *arg, const uint8_t *peer, uint64_t ts, const uint8_t *succ,
    size_t nsucc)
{
	struct node *n = arg;
	size_t i;

	if (admit_busy > 0) {
		admit_busy--;
		return (1);
	}
	assert_true(nsucc <= 2);
	n->nsucc = nsucc;
	if (nsucc > 0)
		memcpy(n->succ, succ, nsucc * SESSION_SUCC_LEN);
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
dialz(struct node *from, struct node *to, const uint8_t *key, uint64_t now,
    bool compress)
{
	struct session_cfg cfg = { .db = from->db, .initiator = true,
	    .ed_sk = from->sk, .peer = to->pk, .netkey = key, .name = "from",
	    .now_ms = now, .compress = compress };
	char err[SESSION_ERRLEN];
	struct session *s;

	s = session_new(&cfg, err);
	assert_non_null(s);
	return (s);
}

static struct session *
answerz(struct node *to, uint64_t now, bool compress)
{
	struct session_cfg cfg = { .db = to->db, .ed_sk = to->sk,
	    .netkey = netkey, .name = "to", .admit = admit, .arg = to,
	    .now_ms = now, .compress = compress };
	char err[SESSION_ERRLEN];
	struct session *s;

	s = session_new(&cfg, err);
	assert_non_null(s);
	return (s);
}

/* Sessions as the agent makes them: offering zstd. */
static struct session *
dial(struct node *from, struct node *to, const uint8_t *key, uint64_t now)
{

	return (dialz(from, to, key, now, true));
}

static struct session *
answer(struct node *to, uint64_t now)
{

	return (answerz(to, now, true));
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

/*
 * Successor statements after message 1 (handshake version 3): the
 * responder's admit() gets them byte for byte, however the bytes are cut;
 * one byte changed kills the handshake with nothing sent back.
 */
static void
test_successor_statements(void **state)
{
	uint8_t st[2 * SESSION_SUCC_LEN];
	struct session_cfg cfg;
	struct node a, b;
	struct session *sa, *sb;
	char err[SESSION_ERRLEN];
	const uint8_t *p;
	uint8_t *m;
	size_t n;

	(void)state;
	node_open(&a);
	node_open(&b);
	randombytes_buf(st, sizeof(st));
	memset(&cfg, 0, sizeof(cfg));
	cfg.db = a.db;
	cfg.initiator = true;
	cfg.ed_sk = a.sk;
	cfg.peer = b.pk;
	cfg.netkey = netkey;
	cfg.name = "from";
	cfg.now_ms = 10000;
	cfg.succ = st;
	cfg.nsucc = 2;
	assert_non_null(sa = session_new(&cfg, err));
	sb = answer(&b, 10000);
	session_output(sa, &p, &n);
	assert_int_equal(n, SESSION_MSG1_LEN + SESSION_SUCCS_LEN(2));
	assert_true(shuttle(sa, sb, 7, 10000) > 0);
	assert_true(session_synced(sa) && session_synced(sb));
	assert_int_equal(b.nsucc, 2);
	assert_memory_equal(b.succ, st, sizeof(st));
	assert_int_equal(session_peer_succ(sb, &p), 2);
	assert_memory_equal(p, st, sizeof(st));
	session_free(sa);
	session_free(sb);

	/* Tampered: refused before admit(), nothing queued. */
	b.admitted = 0;
	cfg.now_ms = 20000;
	assert_non_null(sa = session_new(&cfg, err));
	sb = answer(&b, 20000);
	session_output(sa, &p, &n);
	assert_non_null(m = malloc(n));
	memcpy(m, p, n);
	m[SESSION_MSG1_LEN + 5] ^= 1;
	assert_int_equal(session_input(sb, m, n, 20000), -1);
	assert_int_equal(b.admitted, 0);
	session_output(sb, &p, &n);
	assert_int_equal(n, 0);
	free(m);
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);
}

/*
 * Another process holds B's database (a CLI import): B, on a connection
 * that never waits (the agent's), stalls at message 1 and at A's first
 * batch instead of failing, keeps what else comes, goes on sending its own
 * commits meanwhile, and once the lock is gone applies it all, in order,
 * and converges; nobody is blamed.
 */
static void
test_busy_database_stalls(void **state)
{
	struct node a, b;
	struct session *sa, *sb;
	char path[300];
	sqlite3 *other;

	(void)state;
	node_open(&a);
	node_open(&b);
	write_records(&a, 3000, 250, 1000);
	write_records(&b, 40, 1, 5000);
	db_nowait(b.db);
	snprintf(path, sizeof(path), "%s/hamroh.db", b.dir);
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	/* The database is busy when message 1 is to be admitted, twice. */
	admit_busy = 2;
	sa = dial(&a, &b, netkey, 10000);
	sb = answer(&b, 10000);
	assert_true(shuttle(sa, sb, 4096, 10000) > 0);
	assert_true(session_stalled(sb) && !session_synced(sb));
	assert_int_equal(session_retry(sb, 10010), 0);
	assert_true(session_stalled(sb));
	assert_int_equal(b.admitted, 0);
	assert_int_equal(session_retry(sb, 10020), 0);
	assert_false(session_stalled(sb));
	assert_int_equal(b.admitted, 1);
	/*
	 * Then A's first batch meets the lock, while B goes on sending its
	 * own commits: A's ACKs pass the batch that waits.
	 */
	assert_true(shuttle(sa, sb, 4096, 10030) > 0);
	assert_true(session_synced(sb));
	assert_true(session_stalled(sb));
	assert_int_equal(session_stats(sa)->commits_applied, 40);
	assert_false(session_stalled(sa));
	assert_int_equal(session_stats(sb)->commits_applied, 0);
	/* Still locked: still waiting, nothing lost, the session lives. */
	assert_int_equal(session_retry(sb, 10100), 0);
	assert_true(session_stalled(sb));
	assert_string_equal(session_error(sb), "");
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(session_retry(sb, 10200), 0);
	assert_false(session_stalled(sb));
	assert_true(shuttle(sa, sb, 4096, 10300) >= 0);
	assert_int_equal(session_stats(sb)->commits_applied, 12);
	assert_same(&a, &b);
	assert_true(session_idle(sa) && session_idle(sb));
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

/*
 * A guide at the 1 MiB limit: its commit is larger than a frame.  Its
 * PARTs go compressed when both sides offer zstd (a guide is text: far
 * fewer bytes than the guide), as they are when not.
 */
static void
large_commit(bool compress)
{
	const struct coll_def *g = schema_coll("guides");
	const struct field_def *body = schema_field(g, "body", 4);
	struct node a, b;
	struct session *sa, *sb;
	char err[STORE_ERRLEN], *text;
	uint8_t id[16];
	struct val v = { VAL_STR, 0, NULL, 0 };
	long sent;
	size_t i;

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
	sa = dialz(&a, &b, netkey, 1000, compress);
	sb = answerz(&b, 1000, compress);
	sent = shuttle(sa, sb, 65536, 1000);
	assert_same(&a, &b);
	assert_true(session_idle(sa) && session_idle(sb));
	assert_true(session_stats(sa)->commit_bytes_out > body->max_len);
	if (compress) {
		/* Two PARTs and the batches around them, all compressed. */
		assert_true(session_stats(sa)->zmsgs_out >= 4);
		assert_int_equal(session_stats(sb)->zmsgs_in,
		    session_stats(sa)->zmsgs_out);
		assert_true(sent > 0 && sent < (long)body->max_len / 4);
	} else {
		assert_int_equal(session_stats(sa)->zmsgs_out, 0);
		assert_true(sent > (long)body->max_len);
	}
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);
}

static void
test_commit_larger_than_a_frame(void **state)
{

	(void)state;
	large_commit(false);
	large_commit(true);
}

/* One guide at the 1 MiB limit written at ${x}: larger than a frame. */
static void
write_big(struct node *x, uint64_t now)
{
	const struct coll_def *g = schema_coll("guides");
	const struct field_def *body = schema_field(g, "body", 4);
	char err[STORE_ERRLEN], *text;
	uint8_t id[16];
	struct val v = { VAL_STR, 0, NULL, 0 };
	size_t i;

	assert_non_null(text = malloc(body->max_len));
	for (i = 0; i < body->max_len; i++)
		text[i] = (char)('a' + (i * 7 + now) % 26);
	v.s = text;
	v.len = body->max_len;
	randombytes_buf(id, sizeof(id));
	assert_int_equal(db_begin(x->db, now, err), 0);
	assert_int_equal(db_put(x->db, g, id, body, &v, err), 0);
	assert_int_equal(db_commit(x->db, err), 0);
	free(text);
}

static int
carry_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct db_counts dc;
	char err[STORE_ERRLEN];

	memset(&dc, 0, sizeof(dc));
	assert_int_equal(db_apply(arg, body, len, sig, &dc, err), 0);
	return (0);
}

/* Give ${to} every commit ${from} holds, in one transaction. */
static void
carry(struct node *from, struct node *to, uint64_t now)
{
	char err[STORE_ERRLEN];

	assert_int_equal(db_begin(to->db, now, err), 0);
	assert_int_equal(db_commits_since(from->db, NULL, carry_cb, to->db,
	    err), 0);
	assert_int_equal(db_commit(to->db, err), 0);
}

/*
 * Small commits of several origins around commits too large for a frame,
 * all due in the same pass: a large commit ends the pass (what is in the
 * batch goes first), so none of the small ones is marked sent without
 * being sent and no large one displaces another.  One session delivers
 * every commit, nothing is held for a gap.
 */
static void
test_large_commits_among_small(void **state)
{
	struct node a, b, x0, x1, x2, x3;
	struct node *x[4] = { &x0, &x1, &x2, &x3 };
	struct db_status sa_, sb_;
	struct session *sa, *sb;
	char err[STORE_ERRLEN];
	size_t i;

	(void)state;
	node_open(&a);
	node_open(&b);
	for (i = 0; i < 4; i++)
		node_open(x[i]);
	write_big(x[0], 100);			/* Large, then small. */
	write_records(x[0], 3, 1, 110);
	write_big(x[1], 200);			/* Large alone. */
	write_records(x[2], 5, 1, 300);	/* Small alone. */
	write_records(x[3], 3, 1, 400);	/* Small, large, small. */
	write_big(x[3], 410);
	write_records(x[3], 2, 1, 420);
	for (i = 0; i < 4; i++)
		carry(x[i], &a, 500);
	write_records(&a, 4, 2, 600);
	sa = dial(&a, &b, netkey, 1000);
	sb = answer(&b, 1000);
	assert_true(shuttle(sa, sb, 65536, 1000) > 0);
	assert_int_equal(db_status(a.db, &sa_, err), 0);
	assert_int_equal(db_status(b.db, &sb_, err), 0);
	assert_int_equal(sa_.commits, 1 + 3 + 1 + 5 + 6 + 2);
	assert_int_equal(sb_.held, 0);
	assert_int_equal(sb_.commits, sa_.commits);
	assert_int_equal(session_stats(sa)->commits_sent, sa_.commits);
	assert_same(&a, &b);
	assert_true(session_idle(sa) && session_idle(sb));
	session_free(sa);
	session_free(sb);
	for (i = 0; i < 4; i++)
		node_close(x[i]);
	node_close(&a);
	node_close(&b);
}

/*
 * Commit ${seq} of ${x} stamped ${hlc}, after ${prev}, setting outcome
 * of consultation ${id}: built by hand, as a broken or hostile node
 * could sign anything.  Its hash goes to ${hash}.
 */
static void
hand_commit(const struct node *x, uint64_t seq, uint64_t hlc,
    const uint8_t prev[COMMIT_HASH_LEN], const uint8_t id[SCHEMA_ID_LEN],
    msgpack_sbuffer *sb, uint8_t sig[NODE_SIG_LEN],
    uint8_t hash[COMMIT_HASH_LEN])
{
	struct fchange f;
	struct rchange r;
	struct commit c;

	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	memcpy(c.origin, x->pk, NODE_KEY_LEN);
	c.seq = seq;
	c.hlc = hlc;
	memcpy(c.prev, prev, COMMIT_HASH_LEN);
	f.field = "outcome";
	f.field_len = 7;
	f.v.t = VAL_STR;
	f.v.s = "by hand";
	f.v.len = 7;
	r.coll = "consultations";
	r.coll_len = 13;
	memcpy(r.id, id, SCHEMA_ID_LEN);
	r.nf = 1;
	r.f = &f;
	c.nrec = 1;
	c.rec = &r;
	msgpack_sbuffer_init(sb);
	assert_int_equal(commit_encode(&c, sb), 0);
	commit_hash((const uint8_t *)sb->data, sb->size, hash);
	commit_sign(hash, x->sk, sig);
}

static int
refusal_cb(void *arg, const struct db_refusal *r)
{
	struct db_refusal *out = arg;

	*out = *r;
	out->reason = NULL;
	assert_non_null(strstr(r->reason, "stamped no later"));
	return (0);
}

static int
seq_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct node *x = arg;

	if (memcmp(key, x->pk, 32) == 0)
		x->admitted = (int)seq;	/* A spare int: the seq we hold. */
	return (0);
}

/* The seq of ${x}'s commits ${n} holds. */
static uint64_t
held_seq(struct node *n, struct node *x)
{
	char err[STORE_ERRLEN];

	x->admitted = 0;
	assert_int_equal(db_vector(n->db, seq_cb, x, err), 0);
	return ((uint64_t)x->admitted);
}

/* Whether ${n} shows consultation ${id}. */
static bool
shows(struct node *n, const uint8_t id[SCHEMA_ID_LEN])
{
	char err[STORE_ERRLEN];
	FILE *f = fopen("/dev/null", "w");
	bool yes;

	assert_non_null(f);
	yes = query_records(n->db, schema_coll("consultations"), id, NULL,
	    0, false, dump_cb, f, err) == 1;
	fclose(f);
	return (yes);
}

/* Apply commit ${body} to ${n} alone; its counts in ${dc}. */
static void
apply1(struct node *n, const msgpack_sbuffer *body, const uint8_t *sig,
    struct db_counts *dc)
{
	char err[STORE_ERRLEN];

	memset(dc, 0, sizeof(*dc));
	assert_int_equal(db_begin(n->db, 1000, err), 0);
	assert_int_equal(db_apply(n->db, (const uint8_t *)body->data,
	    body->size, sig, dc, err), 0);
	assert_int_equal(db_commit(n->db, err), 0);
}

/* cfg.step_over for test_batch_in_steps: every step is over at once. */
static int steps_asked;

static bool
always_over(void *arg)
{

	(void)arg;
	steps_asked++;
	return (true);
}

/*
 * The loop's rule, one step <= 50 ms, holds while a batch of thousands of
 * commits comes in: when the caller's step is over (cfg.step_over), what
 * is applied commits and the rest waits for session_retry(), one commit
 * at least per step.  Here every step is over: B applies A's batches one
 * commit per retry, its vector moving with each, the ACK only after the
 * whole batch, and the nodes converge with nothing lost or sent twice.
 */
static void
test_batch_in_steps(void **state)
{
	struct session_cfg cfg;
	struct node a, b;
	struct session *sa, *sb;
	char err[SESSION_ERRLEN];
	uint64_t seq, applied, now = 10000;
	int retries = 0;

	(void)state;
	node_open(&a);
	node_open(&b);
	write_records(&a, 300, 1, 1000);
	memset(&cfg, 0, sizeof(cfg));
	cfg.db = b.db;
	cfg.ed_sk = b.sk;
	cfg.netkey = netkey;
	cfg.name = "to";
	cfg.admit = admit;
	cfg.step_over = always_over;
	cfg.arg = &b;
	cfg.now_ms = now;
	cfg.compress = true;
	sa = dial(&a, &b, netkey, now);
	assert_non_null(sb = session_new(&cfg, err));
	assert_true(shuttle(sa, sb, 4096, now) > 0);
	/* The first batch: one commit applied, the rest waits. */
	assert_true(session_synced(sb));
	assert_true(session_stalled(sb) && session_yielded(sb));
	assert_int_equal(session_stats(sb)->commits_applied, 1);
	assert_int_equal(session_stats(sb)->batches_applied, 0);
	assert_int_equal(held_seq(&b, &a), 1);
	assert_true(steps_asked >= 1);
	while (session_stats(sb)->commits_applied < 300) {
		applied = session_stats(sb)->commits_applied;
		if (session_stalled(sb)) {
			assert_true(session_yielded(sb));
			assert_int_equal(session_retry(sb, ++now), 0);
			retries++;
			/* One commit a step: no more, and never none. */
			assert_int_equal(session_stats(sb)->commits_applied,
			    applied + 1);
			seq = held_seq(&b, &a);
			assert_int_equal(seq, applied + 1);
		} else
			assert_true(shuttle(sa, sb, 4096, ++now) >= 0);
		assert_true(retries < 1000);
	}
	assert_true(retries >= 299 - 2 * SESSION_WINDOW);
	assert_true(shuttle(sa, sb, 4096, ++now) >= 0);
	assert_false(session_stalled(sb));
	assert_int_equal(session_stats(sb)->commits_applied, 300);
	assert_int_equal(session_stats(sb)->batches_applied,
	    session_stats(sa)->batches_sent);
	assert_int_equal(session_stats(sa)->commits_sent, 300);
	assert_same(&a, &b);
	assert_true(session_idle(sa) && session_idle(sb));
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);
}

/*
 * A commit stamped before its predecessor is its origin's fault, not the
 * sender's.  b holds x's commits 3 (stamped back) and 4 for a gap; a
 * relay brings 1 and 2 with its own.  Commit 3 is refused on its own:
 * stored, in the vector, relayed, its change not applied and listed as
 * refused against x; the rest of the batch, 4 included, applies, and the
 * session goes on.  A third node, a rebuild and verify agree.
 */
static void
test_bad_commit_refused_alone(void **state)
{
	static const uint8_t zero[COMMIT_HASH_LEN];
	static const uint64_t hlc[6] = { 100 << 16, 300 << 16, 200 << 16,
	    400 << 16, 350 << 16, 380 << 16 };
	struct node a, b, c, x;
	struct session *sa, *sb;
	struct db_counts dc;
	struct db_status st;
	struct db_refusal ref;
	msgpack_sbuffer sb_[6];
	uint8_t sig[6][NODE_SIG_LEN], h[6][COMMIT_HASH_LEN];
	uint8_t id[6][SCHEMA_ID_LEN];
	char err[STORE_ERRLEN], path[300];
	FILE *devnull = fopen("/dev/null", "w");
	size_t i;

	(void)state;
	node_open(&a);
	node_open(&b);
	node_open(&c);
	node_open(&x);
	for (i = 0; i < 6; i++) {
		randombytes_buf(id[i], SCHEMA_ID_LEN);
		hand_commit(&x, i + 1, hlc[i], i ? h[i - 1] : zero, id[i],
		    &sb_[i], sig[i], h[i]);
	}
	/* b: 3 and 4, held for the gap. */
	apply1(&b, &sb_[2], sig[2], &dc);
	assert_int_equal(dc.held, 1);
	apply1(&b, &sb_[3], sig[3], &dc);
	assert_int_equal(dc.held, 1);
	/* a: 1 and 2, and writes of its own. */
	apply1(&a, &sb_[0], sig[0], &dc);
	apply1(&a, &sb_[1], sig[1], &dc);
	write_records(&a, 30, 3, 2000);

	sa = dial(&a, &b, netkey, 5000);
	sb = answer(&b, 5000);
	assert_true(shuttle(sa, sb, 65536, 5000) > 0);
	assert_string_equal(session_error(sb), "");
	assert_string_equal(session_error(sa), "");
	assert_true(session_idle(sa) && session_idle(sb));
	assert_int_equal(held_seq(&b, &x), 4);
	assert_int_equal(db_status(b.db, &st, err), 0);
	assert_int_equal(st.held, 0);
	assert_int_equal(st.commits, 4 + 10);
	assert_int_equal(st.refused, 1);
	memset(&ref, 0, sizeof(ref));
	assert_int_equal(db_refusals(b.db, 0, refusal_cb, &ref, err), 0);
	assert_int_equal(ref.seq, 3);
	assert_true(shows(&b, id[0]) && shows(&b, id[1]) && shows(&b, id[3]));
	assert_false(shows(&b, id[2]));
	assert_int_equal(db_verify(b.db, devnull, err), 0);
	session_free(sa);
	session_free(sb);

	/* Relayed on: a third node decides alike; so does a rebuild. */
	sa = dial(&b, &c, netkey, 6000);
	sb = answer(&c, 6000);
	assert_true(shuttle(sa, sb, 65536, 6000) > 0);
	assert_true(session_idle(sa) && session_idle(sb));
	assert_int_equal(held_seq(&c, &x), 4);
	assert_same(&b, &c);
	assert_int_equal(db_status(c.db, &st, err), 0);
	assert_int_equal(st.refused, 1);
	assert_int_equal(db_rebuild(c.db, err), 0);
	assert_same(&b, &c);
	assert_int_equal(db_verify(c.db, devnull, err), 0);
	session_free(sa);
	session_free(sb);

	/*
	 * The stamp to beat stays x's best (400), not the last one's: 5
	 * (350) is refused, and so is 6 (380) after a restart, which finds
	 * the stamp to beat in the log.
	 */
	apply1(&c, &sb_[4], sig[4], &dc);
	assert_int_equal(dc.refused, 1);
	snprintf(path, sizeof(path), "%s/hamroh.db", c.dir);
	db_close(c.db);
	assert_int_equal(db_open(&c.db, path, false, err), 0);
	apply1(&c, &sb_[5], sig[5], &dc);
	assert_int_equal(dc.applied, 1);
	assert_int_equal(dc.refused, 1);
	assert_false(shows(&c, id[4]) || shows(&c, id[5]));
	assert_int_equal(held_seq(&c, &x), 6);
	assert_int_equal(db_verify(c.db, devnull, err), 0);
	for (i = 0; i < 6; i++)
		msgpack_sbuffer_destroy(&sb_[i]);
	fclose(devnull);
	node_close(&a);
	node_close(&b);
	node_close(&c);
	node_close(&x);
}

/*
 * One sync of ${a}'s log to a fresh node, ${ca} and ${cb} saying whether
 * each side offers zstd.  Return the bytes a sent; ${st} gets a's stats.
 */
static long
sync_once(struct node *a, bool ca, bool cb, uint64_t now,
    struct session_stats *st)
{
	struct node b;
	struct session *sa, *sb;
	long sent;

	node_open(&b);
	sa = dialz(a, &b, netkey, now, ca);
	sb = answerz(&b, now, cb);
	sent = shuttle(sa, sb, 65536, now);
	assert_true(sent > 0);
	assert_same(a, &b);
	assert_true(session_idle(sa) && session_idle(sb));
	/* Compressed exactly when both offered it. */
	assert_true(session_zstd(sa) == (ca && cb));
	assert_true(session_zstd(sb) == (ca && cb));
	assert_int_equal(session_stats(sb)->zmsgs_in,
	    session_stats(sa)->zmsgs_out);
	if (!(ca && cb))
		assert_int_equal(session_stats(sa)->zmsgs_out, 0);
	*st = *session_stats(sa);
	session_free(sa);
	session_free(sb);
	node_close(&b);
	return (sent);
}

/*
 * Consultations, as offices write them: with zstd on both sides the same
 * commits take far fewer bytes on the wire; with it on one side only
 * (an older peer, or --no-compress) everything still syncs, plain, byte
 * for byte as when neither offers it.
 */
static void
test_zstd_batches(void **state)
{
	struct session_stats on, off, only_a, only_b;
	struct node a;
	long s_on, s_off, s_a, s_b;

	(void)state;
	node_open(&a);
	write_records(&a, 3000, 20, 1000);
	s_on = sync_once(&a, true, true, 10000, &on);
	s_off = sync_once(&a, false, false, 10001, &off);
	s_a = sync_once(&a, true, false, 10002, &only_a);
	s_b = sync_once(&a, false, true, 10003, &only_b);
	print_message("zstd: %ld bytes on the wire, %ld without, for %llu "
	    "bytes of commits\n", s_on, s_off,
	    (unsigned long long)off.commit_bytes_out);
	/* The same commits went every time. */
	assert_int_equal(on.commits_sent, 150);
	assert_int_equal(off.commits_sent, 150);
	assert_int_equal(on.commit_bytes_out, off.commit_bytes_out);
	assert_true(on.zmsgs_out >= on.batches_sent);
	/* Raw commits cost more than themselves on the wire; zstd less. */
	assert_true(s_off > (long)off.commit_bytes_out);
	assert_true(s_on < (long)off.commit_bytes_out * 3 / 5);
	assert_int_equal(s_a, s_off);
	assert_int_equal(s_b, s_off);
	node_close(&a);
}

/*
 * A peer driven by hand, as tests/tools/hostile.c does over TCP: an
 * honest handshake and HELLO with the ${features} we choose, then frames
 * we choose, to a responder session of ${to}'s.
 */
struct raw {
	struct session	*s;
	struct hs	hs;
	struct frame_enc enc;
	struct frame_dec *dec;
	uint64_t	now;
};

static int
raw_send(struct raw *r, const void *body, size_t len)
{
	uint8_t *w;
	int rc;

	assert_non_null(w = malloc(FRAME_WIRE_LEN(len)));
	assert_int_equal(frame_enc(&r->enc, body, len, false, w), 0);
	rc = session_input(r->s, w, FRAME_WIRE_LEN(len), r->now);
	free(w);
	return (rc);
}

/* The handshake with ${to} as ${me}; no HELLO yet. */
static void
raw_handshake(struct raw *r, struct node *me, struct node *to, bool compress,
    uint64_t now)
{
	uint8_t xs[32], xp[32], peer_x[32], e[32], k[32];
	uint8_t pro[HS_PROLOGUE_LEN], p1[SESSION_HS_PAYLOAD1];
	uint8_t m1[SESSION_MSG1_LEN], p2[SESSION_HS_PAYLOAD2];
	uint8_t tx[32], rx[32], h[32], hdr[FRAME_HDR_LEN];
	const uint8_t *p;
	size_t n, i;

	memset(r, 0, sizeof(*r));
	r->now = now;
	r->s = answerz(to, now, compress);
	assert_int_equal(hs_x25519_keys(me->sk, xs, xp), 0);
	assert_int_equal(hs_x25519_pub(to->pk, peer_x), 0);
	memset(p1, 0, sizeof(p1));
	memcpy(p1, me->pk, 32);
	for (i = 0; i < 8; i++)
		p1[32 + i] = (uint8_t)(now >> (56 - 8 * i));
	p1[40] = HS_VERSION;
	hs_prologue(netkey, pro);
	hs_init(&r->hs, true, pro, sizeof(pro), xs, peer_x, netkey);
	randombytes_buf(e, sizeof(e));
	assert_int_equal(hs_write1(&r->hs, e, p1, sizeof(p1), m1), 0);
	hs_mac1_key(netkey, peer_x, k);
	hs_mac1(k, m1, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    m1 + HS_MSG1_LEN(SESSION_HS_PAYLOAD1));
	assert_int_equal(session_input(r->s, m1, sizeof(m1), now), 0);
	session_output(r->s, &p, &n);
	assert_true(n > SESSION_MSG2_LEN);
	assert_int_equal(hs_read2(&r->hs, p, SESSION_MSG2_LEN, p2), 0);
	session_consumed(r->s, SESSION_MSG2_LEN);
	assert_int_equal(hs_split(&r->hs, tx, rx, h), 0);
	hs_fini(&r->hs);
	frame_enc_init(&r->enc, tx, hdr);
	assert_non_null(r->dec = frame_dec_new(rx));
	assert_int_equal(session_input(r->s, hdr, sizeof(hdr), now), 0);
	assert_false(session_synced(r->s));
}

/* The handshake, then our HELLO with an empty vector. */
static void
raw_open(struct raw *r, struct node *me, struct node *to, bool compress,
    uint64_t features, uint64_t now)
{
	msgpack_sbuffer sb;

	raw_handshake(r, me, to, compress, now);
	msgpack_sbuffer_init(&sb);
	assert_int_equal(msg_hello(&sb, "raw", NULL, 0, features, now, false),
	    0);
	assert_int_equal(raw_send(r, sb.data, sb.size), 0);
	msgpack_sbuffer_destroy(&sb);
	assert_true(session_synced(r->s));
}

/*
 * Origins in the HELLO raw_read() saw, and in the last ACK, each with
 * the VECTOR parts after it.
 */
static size_t raw_hello_nvec, raw_ack_nvec;

/*
 * Read what the responder sent: count its messages by type (a ZSTD one
 * is also counted as the message inside), and keep the text of the last
 * BYE in ${bye}.
 */
static void
raw_read(struct raw *r, size_t count[MSG_FORK + 1], char bye[256])
{
	struct msg_z *z = msg_z_new();
	struct msg m, in;
	const uint8_t *p, *body;
	size_t n, blen, *vn = &raw_ack_nvec;
	ssize_t used;
	bool final;

	assert_non_null(z);
	memset(count, 0, (MSG_FORK + 1) * sizeof(count[0]));
	bye[0] = '\0';
	session_output(r->s, &p, &n);
	raw_ack_nvec = raw_hello_nvec = 0;
	while (n > 0) {
		used = frame_dec_feed(r->dec, p, n, &body, &blen, &final);
		assert_true(used > 0);
		session_consumed(r->s, (size_t)used);
		session_output(r->s, &p, &n);
		if (body == NULL)
			continue;
		assert_int_equal(msg_decode(body, blen, &m), 0);
		assert_true(m.type >= MSG_HELLO && m.type <= MSG_FORK);
		count[m.type]++;
		if (m.type == MSG_HELLO)
			vn = &raw_hello_nvec;
		if (m.type == MSG_ACK) {
			vn = &raw_ack_nvec;
			*vn = 0;
		}
		if (m.type == MSG_HELLO || m.type == MSG_ACK ||
		    m.type == MSG_VECTOR)
			*vn += m.nvec;
		if (m.type == MSG_ZSTD) {
			assert_int_equal(msg_z_decode(z, &m, &in), 0);
			count[in.type]++;
			msg_fini(&in);
		}
		if (m.type == MSG_BYE)
			snprintf(bye, 256, "%.*s", (int)m.text_len, m.text);
		msg_fini(&m);
	}
	msg_z_free(z);
}

static void
raw_close(struct raw *r)
{

	session_free(r->s);
	frame_dec_free(r->dec);
}

/* [8, raw_len, zbytes]: a ZSTD message of our own making. */
static void
zmsg(msgpack_sbuffer *sb, uint64_t raw_len, const void *content,
    size_t len)
{
	size_t cap = ZSTD_compressBound(len), zn;
	uint8_t *zb;

	assert_non_null(zb = malloc(cap));
	zn = ZSTD_compress(zb, cap, content, len, 3);
	assert_false(ZSTD_isError(zn));
	msgpack_sbuffer_clear(sb);
	assert_int_equal(msg_zstd(sb, raw_len, zb, zn), 0);
	free(zb);
}

static int
first_commit_cb(void *arg, const uint8_t *body, size_t len,
    const uint8_t *sig, uint64_t seq)
{
	msgpack_sbuffer *sb = arg;

	(void)seq;
	assert_int_equal(msg_commits_begin(sb, 1), 0);
	assert_int_equal(msg_commits_add(sb, body, len, sig), 0);
	return (1);
}

/*
 * What a session does with ZSTD messages from a peer: the one it offered
 * and that is right is applied; one it never offered, or whose raw_len
 * lies, is over the frame limit, is garbage or holds anything but
 * COMMITS or PART, ends the session with BYE "malformed message".  And
 * it sends ZSTD messages only to a peer whose HELLO offered zstd.
 */
static void
test_zstd_hostile(void **state)
{
	struct node a, b, c;
	struct raw r;
	msgpack_sbuffer commits, hello, sb, inner;
	char err[STORE_ERRLEN], bye[256];
	size_t count[MSG_FORK + 1];
	uint8_t *big;
	uint64_t now = 1000;
	struct {
		const char	*what;
		bool		offer;
		const void	*content;
		size_t		len;
		uint64_t	raw_len;
	} bad[6];
	size_t i;

	(void)state;
	node_open(&a);
	node_open(&b);
	node_open(&c);
	write_records(&a, 10, 10, 100);
	write_records(&c, 200, 10, 100);
	msgpack_sbuffer_init(&commits);
	msgpack_sbuffer_init(&hello);
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&inner);
	assert_int_equal(db_commits_from(a.db, a.pk, 0, 1, first_commit_cb,
	    &commits, err), 1);

	/* The genuine article: applied, and answered with an ACK. */
	raw_open(&r, &a, &b, true, MSG_FEATURE_ZSTD, now++);
	zmsg(&sb, commits.size, commits.data, commits.size);
	assert_int_equal(raw_send(&r, sb.data, sb.size), 0);
	assert_int_equal(session_stats(r.s)->zmsgs_in, 1);
	assert_int_equal(session_stats(r.s)->commits_applied, 1);
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_ACK], 1);
	assert_string_equal(bye, "");
	raw_close(&r);

	assert_int_equal(msg_hello(&hello, "x", NULL, 0, 1, 0, false), 0);
	assert_non_null(big = calloc(1, FRAME_MAX_LEN + 1));
	/* A ZSTD holding a ZSTD. */
	zmsg(&inner, commits.size, commits.data, commits.size);
	bad[0].what = "never offered";
	bad[0].offer = false;
	bad[0].content = commits.data;
	bad[0].len = bad[0].raw_len = commits.size;
	bad[1].what = "raw_len one more";
	bad[1].offer = true;
	bad[1].content = commits.data;
	bad[1].len = commits.size;
	bad[1].raw_len = commits.size + 1;
	bad[2].what = "raw_len one less";
	bad[2].offer = true;
	bad[2].content = commits.data;
	bad[2].len = commits.size;
	bad[2].raw_len = commits.size - 1;
	bad[3].what = "over the frame limit (a 1 MiB + 1 bomb)";
	bad[3].offer = true;
	bad[3].content = big;
	bad[3].len = bad[3].raw_len = FRAME_MAX_LEN + 1;
	bad[4].what = "a HELLO inside";
	bad[4].offer = true;
	bad[4].content = hello.data;
	bad[4].len = bad[4].raw_len = hello.size;
	bad[5].what = "a ZSTD inside";
	bad[5].offer = true;
	bad[5].content = inner.data;
	bad[5].len = bad[5].raw_len = inner.size;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("case: %s\n", bad[i].what);
		raw_open(&r, &a, &b, bad[i].offer, MSG_FEATURE_ZSTD, now++);
		zmsg(&sb, bad[i].raw_len, bad[i].content, bad[i].len);
		assert_int_equal(raw_send(&r, sb.data, sb.size), -1);
		assert_non_null(strstr(session_error(r.s), "malformed"));
		assert_int_equal(session_stats(r.s)->commits_applied, 0);
		raw_read(&r, count, bye);
		assert_string_equal(bye, "malformed message");
		raw_close(&r);
	}
	/* Garbage where the zstd frame should be. */
	raw_open(&r, &a, &b, true, MSG_FEATURE_ZSTD, now++);
	randombytes_buf(big, 4096);
	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_zstd(&sb, 4096, big, 4096), 0);
	assert_int_equal(raw_send(&r, sb.data, sb.size), -1);
	raw_read(&r, count, bye);
	assert_string_equal(bye, "malformed message");
	raw_close(&r);
	free(big);

	/*
	 * c holds 20 commits: a peer offering zstd gets them compressed,
	 * one not offering it (an older peer) gets them plain.
	 */
	raw_open(&r, &a, &c, true, MSG_FEATURE_ZSTD, now++);
	assert_int_equal(session_pump(r.s), 0);
	raw_read(&r, count, bye);
	assert_true(count[MSG_ZSTD] > 0);
	assert_int_equal(count[MSG_COMMITS], count[MSG_ZSTD]);
	assert_true(session_zstd(r.s));
	raw_close(&r);
	raw_open(&r, &a, &c, true, 0, now++);
	assert_int_equal(session_pump(r.s), 0);
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_ZSTD], 0);
	assert_true(count[MSG_COMMITS] > 0);
	assert_false(session_zstd(r.s));
	raw_close(&r);
	/* Unknown feature bits are a later version's: ignored. */
	raw_open(&r, &a, &c, true, ~(uint64_t)MSG_FEATURE_ZSTD, now++);
	assert_int_equal(session_pump(r.s), 0);
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_ZSTD], 0);
	assert_true(count[MSG_COMMITS] > 0);
	raw_close(&r);

	msgpack_sbuffer_destroy(&commits);
	msgpack_sbuffer_destroy(&hello);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&inner);
	node_close(&a);
	node_close(&b);
	node_close(&c);
}

/*
 * shuttle() over a link of ${bps} bytes a second: the clock moves on by
 * each chunk's time on the wire.  Return the clock at the end.
 */
static uint64_t
shuttle_slow(struct session *a, struct session *b, uint64_t bps,
    uint64_t now)
{
	struct session *from, *to;
	const uint8_t *p;
	size_t n, k;
	bool moved;
	int round = 0;

	session_kick(a);
	session_kick(b);
	do {
		moved = false;
		for (k = 0; k < 2; k++) {
			from = k == 0 ? a : b;
			to = k == 0 ? b : a;
			session_clock(from, now);
			assert_int_equal(session_pump(from), 0);
			session_output(from, &p, &n);
			if (n == 0)
				continue;
			n = n < 1024 ? n : 1024;
			now += n * 1000 / bps + 1;
			moved = true;
			assert_int_equal(session_input(to, p, n, now), 0);
			session_consumed(from, n);
		}
		assert_true(++round < 10000000);
	} while (moved);
	return (now);
}

/* Batches grow on a fast link and stay small on a 64 kbit/s one. */
static void
test_batches_follow_the_link(void **state)
{
	struct node a, b, c;
	struct session *sa, *sb;
	uint64_t fast_avg, slow_avg, now;

	(void)state;
	node_open(&a);
	node_open(&b);
	node_open(&c);
	write_records(&a, 4000, 1, 1000);

	/* Fast: batches double up to the maximum. */
	sa = dialz(&a, &b, netkey, 10000, false);
	sb = answerz(&b, 10000, false);
	assert_true(shuttle(sa, sb, 65536, 10000) > 0);
	assert_same(&a, &b);
	fast_avg = session_stats(sa)->commit_bytes_out /
	    session_stats(sa)->batches_sent;
	session_free(sa);
	session_free(sb);

	/* 8000 bytes a second: each batch must come back within seconds. */
	sa = dialz(&a, &c, netkey, 10000, false);
	sb = answerz(&c, 10000, false);
	now = shuttle_slow(sa, sb, 8000, 10000);
	assert_same(&a, &c);
	slow_avg = session_stats(sa)->commit_bytes_out /
	    session_stats(sa)->batches_sent;
	print_message("4000 commits: %llu B a batch on a fast link, %llu B "
	    "at 64 kbit/s (%llu s)\n", (unsigned long long)fast_avg,
	    (unsigned long long)slow_avg,
	    (unsigned long long)(now - 10000) / 1000);
	assert_true(fast_avg > 4 * SESSION_BATCH_MIN);
	assert_true(slow_avg <= 2 * SESSION_BATCH_MIN);
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);
	node_close(&c);
}

/* Send ${sb}'s message; the session must end with BYE ${bye}. */
static void
raw_refused(struct raw *r, const msgpack_sbuffer *sb, const char *err,
    const char *bye)
{
	size_t count[MSG_FORK + 1];
	char got[256];

	assert_int_equal(raw_send(r, sb->data, sb->size), -1);
	print_message("refused: %s\n", session_error(r->s));
	assert_non_null(strstr(session_error(r->s), err));
	raw_read(r, count, got);
	assert_string_equal(got, bye);
}

/* One HELLO per session: a second one (a repeated 80,000-origin vector
 * made PONGs wait 26 s) ends it as a protocol error. */
static void
test_hello_once(void **state)
{
	struct node a, b;
	struct raw r;
	msgpack_sbuffer sb;

	(void)state;
	node_open(&a);
	node_open(&b);
	msgpack_sbuffer_init(&sb);
	raw_open(&r, &a, &b, false, 0, 1000);
	assert_int_equal(msg_hello(&sb, "raw", NULL, 0, 0, 1000, false), 0);
	raw_refused(&r, &sb, "second HELLO", "protocol error");
	raw_close(&r);
	msgpack_sbuffer_destroy(&sb);
	node_close(&a);
	node_close(&b);
}

/*
 * An ACK is an answer to a batch: one that answers nothing is refused,
 * and acks never pass batches_sent (batches_sent - acks, the window, used
 * to wrap around to 2^64 and open it wide).
 */
static void
test_unsolicited_ack(void **state)
{
	struct node a, b, c;
	struct raw r;
	msgpack_sbuffer sb;
	size_t count[MSG_FORK + 1];
	char bye[256];

	(void)state;
	node_open(&a);
	node_open(&b);
	node_open(&c);
	write_records(&c, 10, 10, 100);		/* One commit: one batch. */
	msgpack_sbuffer_init(&sb);
	assert_int_equal(msg_ack(&sb, NULL, 0, false), 0);

	/* b has sent nothing: an ACK is refused outright. */
	raw_open(&r, &a, &b, false, 0, 1000);
	raw_refused(&r, &sb, "acknowledged a batch", "protocol error");
	assert_int_equal(session_stats(r.s)->acks, 0);
	assert_int_equal(session_stats(r.s)->batches_sent, 0);
	raw_close(&r);

	/* c sent one batch: one ACK is fine, a second is refused. */
	raw_open(&r, &a, &c, false, 0, 1001);
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_COMMITS], 1);
	assert_int_equal(session_stats(r.s)->batches_sent, 1);
	assert_int_equal(raw_send(&r, sb.data, sb.size), 0);
	assert_int_equal(session_stats(r.s)->acks, 1);
	raw_refused(&r, &sb, "acknowledged a batch", "protocol error");
	assert_int_equal(session_stats(r.s)->acks, 1);
	raw_close(&r);

	msgpack_sbuffer_destroy(&sb);
	node_close(&a);
	node_close(&b);
	node_close(&c);
}

/* ${n} vector entries: random origins, seq 7; ${keys} holds the bytes. */
static struct msg_vec *
random_vec(size_t n, uint8_t **keys)
{
	struct msg_vec *v;
	size_t i;

	assert_non_null(v = calloc(n + 1, sizeof(*v)));
	assert_non_null(*keys = malloc(n * MSG_VEC_KEY_LEN + 1));
	randombytes_buf(*keys, n * MSG_VEC_KEY_LEN);
	for (i = 0; i < n; i++) {
		v[i].origin = *keys + i * MSG_VEC_KEY_LEN;
		v[i].seq = 7;
	}
	return (v);
}

/*
 * Send ${v} (${n} entries) as HELLO then VECTOR parts of ${chunk}; stop
 * after ${parts} messages if not 0.  Return what the last send returned.
 */
static int
raw_hello_vec(struct raw *r, const struct msg_vec *v, size_t n,
    size_t chunk, size_t parts)
{
	msgpack_sbuffer sb;
	size_t off = 0, k, sent = 0;
	int rc;

	msgpack_sbuffer_init(&sb);
	do {
		k = n - off < chunk ? n - off : chunk;
		msgpack_sbuffer_clear(&sb);
		if (off == 0)
			assert_int_equal(msg_hello(&sb, "raw", v, k, 0, r->now,
			    off + k < n), 0);
		else
			assert_int_equal(msg_vector(&sb, v + off, k,
			    off + k < n), 0);
		assert_true(sb.size <= FRAME_MAX_LEN);
		rc = raw_send(r, sb.data, sb.size);
		off += k;
	} while (rc == 0 && off < n && (parts == 0 || ++sent < parts));
	msgpack_sbuffer_destroy(&sb);
	return (rc);
}

/*
 * A HELLO naming origins the receiver does not hold makes no entry for
 * them (each used to cost an entry, and every later lookup a scan of
 * them all): the receiver tracks its own origins only.
 */
static void
test_unknown_prefixes(void **state)
{
	struct node a, b;
	struct raw r;
	struct msg_vec *v;
	uint8_t *keys;
	uint64_t they, we;

	(void)state;
	node_open(&a);
	node_open(&b);
	write_records(&b, 5, 1, 100);		/* b holds its own origin. */
	v = random_vec(5000, &keys);
	raw_handshake(&r, &a, &b, false, 1000);
	assert_int_equal(raw_hello_vec(&r, v, 5000, 5000, 0), 0);
	assert_true(session_synced(r.s));
	assert_int_equal(session_stats(r.s)->origins, 1);
	assert_int_equal(session_stats(r.s)->vec_ignored, 5000);
	session_lag(r.s, &they, &we);
	assert_int_equal(they, 5);
	assert_int_equal(we, 0);
	assert_int_equal(session_stats(r.s)->origins, 1);
	raw_close(&r);
	free(v);
	free(keys);
	node_close(&a);
	node_close(&b);
}

/*
 * A vector of MSG_MAX_ORIGINS (100,000) origins outgrows a frame: it
 * comes as HELLO and VECTOR parts and is taken whole; the session starts
 * only once the last part is in, and an origin named in the last part
 * counts.  One origin more, or another message between the parts, or a
 * VECTOR part with no vector open, ends the session.
 */
static void
test_vector_over_frames(void **state)
{
	struct node a, c;
	struct raw r;
	struct msg_vec *v;
	msgpack_sbuffer sb;
	uint8_t *keys;
	size_t count[MSG_FORK + 1], n = MSG_MAX_ORIGINS;
	uint64_t they, we;
	char bye[256];

	(void)state;
	node_open(&a);
	node_open(&c);
	write_records(&c, 20, 10, 100);		/* c: 2 commits. */
	v = random_vec(n + 1, &keys);
	msgpack_sbuffer_init(&sb);
	/* The last entry: c's own origin, held up to seq 2. */
	memcpy(keys + (n - 1) * MSG_VEC_KEY_LEN, c.pk, MSG_VEC_KEY_LEN);
	v[n - 1].seq = 2;

	raw_handshake(&r, &a, &c, false, 1000);
	assert_int_equal(raw_hello_vec(&r, v, n, MSG_VEC_CHUNK, 3), 0);
	assert_false(session_synced(r.s));	/* A part to come. */
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_COMMITS], 0);
	raw_close(&r);

	raw_handshake(&r, &a, &c, false, 1001);
	assert_int_equal(raw_hello_vec(&r, v, n, MSG_VEC_CHUNK, 0), 0);
	assert_true(session_synced(r.s));
	assert_int_equal(session_stats(r.s)->vec_ignored, n - 1);
	assert_int_equal(session_stats(r.s)->origins, 1);
	/* The peer holds all of c's: nothing to send. */
	assert_int_equal(session_pump(r.s), 0);
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_COMMITS], 0);
	assert_string_equal(bye, "");
	session_lag(r.s, &they, &we);
	assert_int_equal(they, 0);
	assert_true(session_idle(r.s));
	raw_close(&r);

	/* One more origin than the cap, in the last part. */
	raw_handshake(&r, &a, &c, false, 1002);
	assert_int_equal(raw_hello_vec(&r, v, n + 1, MSG_VEC_CHUNK, 0), -1);
	assert_non_null(strstr(session_error(r.s), "more than 100000"));
	raw_read(&r, count, bye);
	assert_string_equal(bye, "protocol error");
	raw_close(&r);

	/* A PING between the parts. */
	raw_handshake(&r, &a, &c, false, 1003);
	assert_int_equal(raw_hello_vec(&r, v, n, MSG_VEC_CHUNK, 1), 0);
	assert_int_equal(msg_ping(&sb, MSG_PING, 1), 0);
	raw_refused(&r, &sb, "broke off its vector", "protocol error");
	raw_close(&r);

	/* A VECTOR part after a whole vector. */
	raw_open(&r, &a, &c, false, 0, 1004);
	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_vector(&sb, v, 10, false), 0);
	raw_refused(&r, &sb, "out of place", "protocol error");
	raw_close(&r);

	msgpack_sbuffer_destroy(&sb);
	free(v);
	free(keys);
	node_close(&a);
	node_close(&c);
}

/* ${n} more origins at ${x}, one commit each, as if relayed from them. */
static void
add_origins(struct node *x, size_t n)
{
	uint8_t pk[32], sk[64], id[16];
	char err[STORE_ERRLEN];
	size_t i;

	db_durable(x->db, false);
	for (i = 0; i < n; i++) {
		crypto_sign_keypair(pk, sk);
		assert_int_equal(db_set_signer(x->db, sk), 0);
		randombytes_buf(id, sizeof(id));
		assert_int_equal(db_begin(x->db, 1000 + i, err), 0);
		tnode_put(x->db, "consultations", id, "status", "open");
		assert_int_equal(db_commit(x->db, err), 0);
	}
	assert_int_equal(db_set_signer(x->db, x->sk), 0);
	db_durable(x->db, true);
}

/* A node's vector copied into v and keys (room for all of it). */
struct vcopy {
	struct msg_vec	*v;
	uint8_t		*keys;
	size_t		n;
};

static int
vcopy_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct vcopy *vc = arg;

	memcpy(vc->keys + vc->n * MSG_VEC_KEY_LEN, key, MSG_VEC_KEY_LEN);
	vc->v[vc->n].origin = vc->keys + vc->n * MSG_VEC_KEY_LEN;
	vc->v[vc->n++].seq = seq;
	return (0);
}

/*
 * Our own vector, when it outgrows a part, goes as HELLO and VECTOR
 * parts of MSG_VEC_CHUNK origins, each origin in one of them; and a peer
 * that answers with the same vector in parts is sent nothing.
 */
static void
test_own_vector_over_frames(void **state)
{
	struct node a, c;
	struct raw r;
	struct vcopy vc;
	size_t count[MSG_FORK + 1], n = MSG_VEC_CHUNK + 1;
	char bye[256], err[STORE_ERRLEN];
	uint64_t they, we;

	(void)state;
	node_open(&a);
	node_open(&c);
	add_origins(&c, n);
	raw_handshake(&r, &a, &c, false, 1000);
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_HELLO], 1);
	assert_int_equal(count[MSG_VECTOR], 1);
	assert_int_equal(raw_hello_nvec, n);
	assert_int_equal(session_stats(r.s)->origins, n);

	assert_non_null(vc.v = calloc(n, sizeof(*vc.v)));
	assert_non_null(vc.keys = malloc(n * MSG_VEC_KEY_LEN));
	vc.n = 0;
	assert_int_equal(db_vector(c.db, vcopy_cb, &vc, err), 0);
	assert_int_equal(vc.n, n);
	assert_int_equal(raw_hello_vec(&r, vc.v, n, MSG_VEC_CHUNK, 0), 0);
	assert_true(session_synced(r.s));
	assert_int_equal(session_stats(r.s)->vec_ignored, 0);
	assert_int_equal(session_pump(r.s), 0);
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_COMMITS], 0);
	session_lag(r.s, &they, &we);
	assert_int_equal(they, 0);
	assert_int_equal(we, 0);
	raw_close(&r);
	free(vc.v);
	free(vc.keys);
	node_close(&a);
	node_close(&c);
}

/*
 * An ACK tells what moved in the receiver's vector, not all of it: the
 * batch's origin, not the receiver's own, which the HELLO already told.
 */
static void
test_ack_tells_what_moved(void **state)
{
	struct node a, b;
	struct raw r;
	msgpack_sbuffer commits;
	char err[STORE_ERRLEN], bye[256];
	size_t count[MSG_FORK + 1];

	(void)state;
	node_open(&a);
	node_open(&b);
	write_records(&a, 3, 3, 100);
	write_records(&b, 3, 3, 100);
	msgpack_sbuffer_init(&commits);
	assert_int_equal(db_commits_from(a.db, a.pk, 0, 1, first_commit_cb,
	    &commits, err), 1);
	raw_open(&r, &a, &b, false, 0, 1000);
	raw_read(&r, count, bye);		/* b's commit, for us. */
	assert_int_equal(raw_send(&r, commits.data, commits.size), 0);
	raw_read(&r, count, bye);
	assert_int_equal(count[MSG_ACK], 1);
	assert_int_equal(raw_ack_nvec, 1);
	assert_int_equal(session_stats(r.s)->origins, 2);
	raw_close(&r);
	msgpack_sbuffer_destroy(&commits);
	node_close(&a);
	node_close(&b);
}

/*
 * hamroh 1's HELLO ([1, 1, 1, name, vector, features]) gets one clear
 * line and a BYE saying the same, not "malformed"; a newer peer is told
 * its version is not supported.
 */
static void
test_older_peer(void **state)
{
	static const uint8_t v1[] = { 0x96, 0x01, 0x01, 0x01, 0xa3, 'o', 'l',
	    'd', 0x90, 0x00 };
	static const uint8_t v5[] = { 0x98, 0x01, 0x05, 0x06, 0xa3, 'n', 'e',
	    'w', 0x90, 0x00, 0x00, 0xc2 };
	/* Version 2: no FORK, so it would keep a fork apart: refused. */
	static const uint8_t v2[] = { 0x98, 0x01, 0x02, 0x02, 0xa3, 'o', 'l',
	    'd', 0x90, 0x00, 0x00, 0xc2 };
	/* Version 3: calls a commit that names a user bad: refused. */
	static const uint8_t v3[] = { 0x98, 0x01, 0x03, 0x03, 0xa3, 'o', 'l',
	    'd', 0x90, 0x00, 0x00, 0xc2 };
	struct node a, b;
	struct raw r;
	msgpack_sbuffer sb;

	(void)state;
	node_open(&a);
	node_open(&b);
	msgpack_sbuffer_init(&sb);
	raw_handshake(&r, &a, &b, false, 1000);
	msgpack_sbuffer_write(&sb, (const char *)v1, sizeof(v1));
	raw_refused(&r, &sb, "this office runs an older hamroh; upgrade it",
	    "this office runs an older hamroh; upgrade it");
	assert_false(session_synced(r.s));
	raw_close(&r);
	raw_handshake(&r, &a, &b, false, 1002);
	msgpack_sbuffer_clear(&sb);
	msgpack_sbuffer_write(&sb, (const char *)v2, sizeof(v2));
	raw_refused(&r, &sb, "session protocol 2, this office 4",
	    "this office runs an older hamroh; upgrade it");
	raw_close(&r);
	raw_handshake(&r, &a, &b, false, 1003);
	msgpack_sbuffer_clear(&sb);
	msgpack_sbuffer_write(&sb, (const char *)v3, sizeof(v3));
	raw_refused(&r, &sb, "session protocol 3, this office 4",
	    "this office runs an older hamroh; upgrade it");
	raw_close(&r);
	raw_handshake(&r, &a, &b, false, 1004);
	msgpack_sbuffer_clear(&sb);
	msgpack_sbuffer_write(&sb, (const char *)v5, sizeof(v5));
	raw_refused(&r, &sb, "newer hamroh", "protocol version not supported");
	raw_close(&r);
	msgpack_sbuffer_destroy(&sb);
	node_close(&a);
	node_close(&b);
}

/* Two commits of one origin, as its log holds them. */
struct two {
	uint8_t		*body[2], sig[2][NODE_SIG_LEN];
	size_t		len[2], n;
};

static int
two_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct two *t = arg;

	if (t->n == 2)
		return (0);
	assert_non_null(t->body[t->n] = malloc(len));
	memcpy(t->body[t->n], body, len);
	memcpy(t->sig[t->n], sig, NODE_SIG_LEN);
	t->len[t->n++] = len;
	return (0);
}

static int
count_fork(void *arg, const uint8_t *origin, uint64_t seq)
{

	(void)origin;
	(void)seq;
	(void)arg;
	fail_msg("a fork was recorded from a bad proof");
	return (1);
}

/*
 * A FORK whose two commits can be one history (the same commit twice, or
 * one and the next that extends it), or whose signature fails, is the
 * sender's fault: BYE "bad fork proof", nothing recorded.
 */
static void
test_bad_fork_proof(void **state)
{
	struct node a, b;
	struct raw r;
	struct two t;
	msgpack_sbuffer sb;
	char err[STORE_ERRLEN];
	size_t k;

	(void)state;
	node_open(&a);
	node_open(&b);
	write_records(&a, 2, 1, 1000);
	memset(&t, 0, sizeof(t));
	assert_int_equal(db_commits_since(a.db, NULL, two_cb, &t, err), 0);
	assert_int_equal(t.n, 2);
	msgpack_sbuffer_init(&sb);
	for (k = 0; k < 3; k++) {
		raw_handshake(&r, &b, &a, false, 2000 + k);
		assert_int_equal(raw_hello_vec(&r, NULL, 0, 1, 0), 0);
		msgpack_sbuffer_clear(&sb);
		if (k == 2)
			t.sig[1][0] ^= 1;
		assert_int_equal(msg_fork(&sb, t.body[0], t.len[0], t.sig[0],
		    t.body[k == 0 ? 0 : 1], t.len[k == 0 ? 0 : 1],
		    t.sig[k == 0 ? 0 : 1]), 0);
		raw_refused(&r, &sb, k == 2 ? "bad signature" :
		    "can both be one history", "bad fork proof");
		raw_close(&r);
	}
	assert_int_equal(db_forks(a.db, count_fork, &k, err), 0);
	msgpack_sbuffer_destroy(&sb);
	for (k = 0; k < 2; k++)
		free(t.body[k]);
	node_close(&a);
	node_close(&b);
}

/*
 * HELLO carries the sender's clock: the receiver knows how far the
 * peer's clock is from its own (less transit), ahead or behind, and that
 * it knows it only after HELLO.  Two real sessions agree, each from its
 * own side.
 */
static void
test_peer_clock(void **state)
{
	struct node a, b;
	struct raw r;
	const uint64_t T0 = 1900000000000ULL;
	struct session *sa, *sb;
	msgpack_sbuffer hello;
	const uint8_t *p;
	size_t n, i;
	int64_t off;

	(void)state;
	node_open(&a);
	node_open(&b);
	msgpack_sbuffer_init(&hello);
	/* The peer's clock 2 years ahead, then 30 days behind. */
	raw_handshake(&r, &a, &b, false, 1800000000000ULL);
	assert_false(session_peer_clock_offset(r.s, &off));
	assert_int_equal(off, 0);
	assert_int_equal(msg_hello(&hello, "raw", NULL, 0, 0,
	    1800000000000ULL + 63072000000ULL, false), 0);
	assert_int_equal(raw_send(&r, hello.data, hello.size), 0);
	assert_true(session_peer_clock_offset(r.s, &off));
	assert_int_equal(off, 63072000000LL);
	raw_close(&r);
	raw_handshake(&r, &a, &b, false, 1800000000001ULL);
	msgpack_sbuffer_clear(&hello);
	assert_int_equal(msg_hello(&hello, "raw", NULL, 0, 0,
	    1800000000001ULL - 2592000000ULL, false), 0);
	assert_int_equal(raw_send(&r, hello.data, hello.size), 0);
	assert_true(session_peer_clock_offset(r.s, &off));
	assert_int_equal(off, -2592000000LL);
	raw_close(&r);
	/* A clock at 2^64 - 1 is far ahead, not behind. */
	raw_handshake(&r, &a, &b, false, 1800000000002ULL);
	msgpack_sbuffer_clear(&hello);
	assert_int_equal(msg_hello(&hello, "raw", NULL, 0, 0, UINT64_MAX,
	    false), 0);
	assert_int_equal(raw_send(&r, hello.data, hello.size), 0);
	assert_true(session_peer_clock_offset(r.s, &off));
	assert_true(off > 0);
	raw_close(&r);

	/* Real sessions, each on its own clock: a's is 5 s behind b's. */
	sa = dial(&a, &b, netkey, T0);
	sb = answer(&b, T0 + 5000);
	for (i = 0; i < 10; i++) {
		struct session *from = i % 2 ? sb : sa, *to = i % 2 ? sa : sb;

		session_output(from, &p, &n);
		if (n > 0)
			assert_int_equal(session_input(to, p, n, to == sa ? T0 :
			    T0 + 5000), 0);
		session_consumed(from, n);
	}
	assert_true(session_synced(sa) && session_synced(sb));
	assert_true(session_peer_clock_offset(sb, &off));
	assert_int_equal(off, -5000);
	assert_true(session_peer_clock_offset(sa, &off));
	assert_int_equal(off, 5000);
	session_free(sa);
	session_free(sb);
	msgpack_sbuffer_destroy(&hello);
	node_close(&a);
	node_close(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_nodes_converge),
		cmocka_unit_test(test_successor_statements),
		cmocka_unit_test(test_busy_database_stalls),
		cmocka_unit_test(test_batch_in_steps),
		cmocka_unit_test(test_relay_through_middle),
		cmocka_unit_test(test_strangers_get_nothing),
		cmocka_unit_test(test_tampered_transport),
		cmocka_unit_test(test_commit_larger_than_a_frame),
		cmocka_unit_test(test_large_commits_among_small),
		cmocka_unit_test(test_bad_commit_refused_alone),
		cmocka_unit_test(test_zstd_batches),
		cmocka_unit_test(test_zstd_hostile),
		cmocka_unit_test(test_batches_follow_the_link),
		cmocka_unit_test(test_hello_once),
		cmocka_unit_test(test_unsolicited_ack),
		cmocka_unit_test(test_unknown_prefixes),
		cmocka_unit_test(test_vector_over_frames),
		cmocka_unit_test(test_own_vector_over_frames),
		cmocka_unit_test(test_ack_tells_what_moved),
		cmocka_unit_test(test_older_peer),
		cmocka_unit_test(test_bad_fork_proof),
		cmocka_unit_test(test_peer_clock),
	};

	if (sodium_init() < 0)
		return (1);
	randombytes_buf(netkey, sizeof(netkey));
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

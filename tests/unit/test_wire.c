/*
 * test_wire.c: the handshake and transport as sessions see them, with the
 * replay guard the agent keeps in its database (db_hs_fresh()).  Message
 * 1 carries a persisted counter, not the clock: a node whose clock ran a
 * year ahead for one session still connects once it is right again; a
 * replayed message 1 gets not one byte and leaves the live session be; a
 * counter of 2^63 or more is refused; a peer of another handshake version
 * is told, and told why; a static key that is not the canonical form of
 * its id is refused; frames reordered, duplicated or sent back to their
 * sender end the session; and a session lives on across hourly rekeys.
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

#include <sodium.h>
#include <sqlite3.h>

#include "agent/sync/session.h"
#include "protocol/frame.h"
#include "protocol/hs.h"
#include "protocol/limits.h"
#include "protocol/msg.h"
#include "store/db.h"
#include "store/db_test.h"

#define YEAR_MS		(UINT64_C(365) * 86400 * 1000)
#define NOW		UINT64_C(1795000000000)		/* Late 2026. */

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[32], sk[64];
	int		admitted, refused;
	uint64_t	last_ctr;	/* The last counter admit() saw. */
};

static uint8_t netkey[32];

static void
node_open(struct node *n)
{

	memset(n, 0, sizeof(*n));
	tnode_open(n->dir, &n->db, n->pk, n->sk, "wire");
}

static void
node_close(struct node *n)
{

	tnode_close(n->dir, n->db);
}

/* Close and open the node's database again, as an agent restart does. */
static void
node_restart(struct node *n)
{
	char path[300], err[STORE_ERRLEN];

	db_close(n->db);
	snprintf(path, sizeof(path), "%s/hamroh.db", n->dir);
	assert_int_equal(db_open(&n->db, path, false, err), 0);
	assert_int_equal(db_set_signer(n->db, n->sk), 0);
}

/* As agent/daemon/daemon.c admits (every node here is taken for a member). */
static int
admit(void *arg, const uint8_t *peer, uint64_t ctr, const uint8_t *succ,
    size_t nsucc)
{
	struct node *n = arg;
	char err[STORE_ERRLEN];
	int r;

	(void)peer;
	(void)succ;
	(void)nsucc;
	n->last_ctr = ctr;
	assert_true(ctr < HS_COUNTER_LIMIT);
	if ((r = db_hs_fresh(n->db, peer, ctr, err)) < 0)
		fail_msg("replay guard: %s", err);
	if (r != 0) {
		n->refused++;
		return (-1);
	}
	n->admitted++;
	return (0);
}

static struct session *
dial(struct node *from, struct node *to, uint64_t now)
{
	struct session_cfg cfg;
	char err[SESSION_ERRLEN];
	struct session *s;

	memset(&cfg, 0, sizeof(cfg));
	cfg.db = from->db;
	cfg.initiator = true;
	cfg.ed_sk = from->sk;
	cfg.peer = to->pk;
	cfg.netkey = netkey;
	cfg.name = "from";
	cfg.now_ms = now;
	if ((s = session_new(&cfg, err)) == NULL)
		fail_msg("dial: %s", err);
	return (s);
}

static struct session *
answer(struct node *to, uint64_t now)
{
	struct session_cfg cfg;
	char err[SESSION_ERRLEN];
	struct session *s;

	memset(&cfg, 0, sizeof(cfg));
	cfg.db = to->db;
	cfg.ed_sk = to->sk;
	cfg.netkey = netkey;
	cfg.name = "to";
	cfg.admit = admit;
	cfg.arg = to;
	cfg.now_ms = now;
	assert_non_null(s = session_new(&cfg, err));
	return (s);
}

/* Move everything ${from} has queued into ${to}; session_input's result. */
static int
move(struct session *from, struct session *to, uint64_t now)
{
	const uint8_t *p;
	size_t n;
	int r;

	session_output(from, &p, &n);
	if (n == 0)
		return (0);
	r = session_input(to, p, n, now);
	session_consumed(from, n);
	return (r);
}

/* Both ways until quiet; 0 when both are synced and alive. */
static int
shuttle(struct session *a, struct session *b, uint64_t now)
{
	const uint8_t *p;
	size_t n, m;
	int round;

	for (round = 0; round < 10000; round++) {
		if (session_pump(a) != 0 || session_pump(b) != 0)
			return (-1);
		session_output(a, &p, &n);
		session_output(b, &p, &m);
		if (n == 0 && m == 0)
			break;
		if (move(a, b, now) != 0 || move(b, a, now) != 0)
			return (-1);
	}
	return (session_synced(a) && session_synced(b) ? 0 : -1);
}

/* The counter in the message 1 ${s} has queued, as the responder reads it. */
static uint64_t
msg1_counter(struct node *to, struct session *s)
{
	uint8_t pro[HS_PROLOGUE_LEN], x[32], p1[SESSION_HS_PAYLOAD1];
	const uint8_t *m1;
	struct hs r;
	uint64_t c = 0;
	size_t n, i;

	session_output(s, &m1, &n);
	assert_true(n >= SESSION_MSG1_LEN);
	assert_int_equal(hs_x25519_keys(to->sk, x, p1), 0);
	hs_prologue(netkey, pro);
	hs_init(&r, false, pro, sizeof(pro), x, NULL, netkey);
	assert_int_equal(hs_read1(&r, m1, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    p1), 0);
	hs_fini(&r);
	assert_int_equal(p1[40], HS_VERSION);
	for (i = 0; i < 8; i++)
		c = c << 8 | p1[32 + i];
	return (c);
}

/* Dial ${to} from ${from} at ${now} (its clock); whether it synced. */
static bool
connects(struct node *from, struct node *to, uint64_t now)
{
	struct session *a, *b;
	int r;

	a = dial(from, to, now);
	b = answer(to, NOW);
	r = shuttle(a, b, NOW);
	session_free(a);
	session_free(b);
	return (r == 0);
}

/*
 * One session with the clock a year ahead, then the clock set right: the
 * node still connects, at once, after a restart of either side too.  (With
 * the wall clock in message 1, as before, every dial after the first was
 * a "replayed message 1" for a year.)
 */
static void
test_clock_ahead_then_right(void **state)
{
	struct node a, b;
	struct session *s;
	uint64_t c1, c2;

	(void)state;
	node_open(&a);
	node_open(&b);
	assert_true(connects(&a, &b, NOW + YEAR_MS));
	c1 = b.last_ctr;
	assert_int_equal(c1, NOW + YEAR_MS);
	assert_true(connects(&a, &b, NOW));
	c2 = b.last_ctr;
	assert_int_equal(c2, c1 + 1);	/* max(clock, last + 1). */
	assert_true(connects(&a, &b, NOW + 1));
	node_restart(&a);
	node_restart(&b);
	assert_true(connects(&a, &b, NOW + 2));
	/* Above the bound stored ahead of c2 + 1 (db_hs_next()). */
	assert_true(b.last_ctr > c2 + 1);
	c2 = b.last_ctr;
	assert_int_equal(b.admitted, 4);
	assert_int_equal(b.refused, 0);

	/* Covered before message 1 goes out: a session never completed
	 * (a crash, a lost link) used its counter up all the same. */
	s = dial(&a, &b, NOW);
	assert_int_equal(msg1_counter(&b, s), c2 + 1);
	session_free(s);
	s = dial(&a, &b, NOW);
	assert_int_equal(msg1_counter(&b, s), c2 + 2);
	session_free(s);

	/* Once the clock passes the counter, the clock leads again. */
	assert_true(connects(&a, &b, NOW + 2 * YEAR_MS));
	assert_int_equal(b.last_ctr, NOW + 2 * YEAR_MS);
	node_close(&a);
	node_close(&b);
}

/*
 * A replayed message 1, on its own or while the session it opened is live,
 * gets not one byte back and is never admitted; the live session carries
 * on.  An older message 1 replayed after a newer one is refused too.
 */
static void
test_replay_refused(void **state)
{
	struct node a, b;
	struct session *sa, *sb, *r;
	uint8_t m1[SESSION_MSG1_LEN], old[SESSION_MSG1_LEN];
	const uint8_t *p;
	size_t n;

	(void)state;
	node_open(&a);
	node_open(&b);
	/* A message 1 delivered once, then kept by an attacker. */
	sa = dial(&a, &b, NOW);
	session_output(sa, &p, &n);
	memcpy(old, p, sizeof(old));
	session_free(sa);
	r = answer(&b, NOW);
	assert_int_equal(session_input(r, old, sizeof(old), NOW), 0);
	session_free(r);

	/* A live session. */
	sa = dial(&a, &b, NOW);
	session_output(sa, &p, &n);
	memcpy(m1, p, sizeof(m1));
	sb = answer(&b, NOW);
	assert_int_equal(shuttle(sa, sb, NOW), 0);
	assert_int_equal(b.admitted, 2);

	/* Its message 1 again, and the older one. */
	r = answer(&b, NOW + 5);
	assert_int_equal(session_input(r, m1, sizeof(m1), NOW + 5), -1);
	session_output(r, &p, &n);
	assert_int_equal(n, 0);
	assert_false(session_synced(r));
	session_free(r);
	r = answer(&b, NOW + 6);
	assert_int_equal(session_input(r, old, sizeof(old), NOW + 6), -1);
	session_output(r, &p, &n);
	assert_int_equal(n, 0);
	session_free(r);
	assert_int_equal(b.refused, 2);
	assert_int_equal(b.admitted, 2);

	/* The live session was never touched: it still talks. */
	n = session_stats(sa)->bytes_in;
	session_ping(sa, 42);
	assert_int_equal(shuttle(sa, sb, NOW + 8), 0);
	assert_true(session_stats(sa)->bytes_in > n);	/* The PONG. */
	session_free(sa);
	session_free(sb);

	/* Even after a restart of the responder. */
	node_restart(&b);
	r = answer(&b, NOW + 7);
	assert_int_equal(session_input(r, m1, sizeof(m1), NOW + 7), -1);
	session_output(r, &p, &n);
	assert_int_equal(n, 0);
	session_free(r);
	node_close(&a);
	node_close(&b);
}

/*
 * Message 1 as another implementation could write it: Ed25519 id ${id},
 * counter ${ctr}, version ${ver}, the static key ${spub} (NULL: the
 * canonical one).  Returns the initiator's handshake in ${hs} so that it
 * can read message 2.
 */
static void
craft1(const struct node *me, const struct node *to, const uint8_t *id,
    uint64_t ctr, uint8_t ver, const uint8_t *spub, struct hs *hs,
    uint8_t m1[SESSION_MSG1_LEN])
{
	uint8_t xs[32], xp[32], peer_x[32], e[32], k[32];
	uint8_t pro[HS_PROLOGUE_LEN], p1[SESSION_HS_PAYLOAD1];
	size_t i;

	assert_int_equal(hs_x25519_keys(me->sk, xs, xp), 0);
	assert_int_equal(hs_x25519_pub(to->pk, peer_x), 0);
	memset(p1, 0, sizeof(p1));
	memcpy(p1, id, 32);
	for (i = 0; i < 8; i++)
		p1[32 + i] = (uint8_t)(ctr >> (56 - 8 * i));
	p1[40] = ver;
	hs_prologue(netkey, pro);
	hs_init(hs, true, pro, sizeof(pro), xs, peer_x, netkey);
	if (spub != NULL)
		memcpy(hs->s_pub, spub, 32);
	randombytes_buf(e, sizeof(e));
	assert_int_equal(hs_write1(hs, e, p1, sizeof(p1), m1), 0);
	hs_mac1_key(netkey, peer_x, k);
	hs_mac1(k, m1, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    m1 + HS_MSG1_LEN(SESSION_HS_PAYLOAD1));
}

/* Feed ${m1} to a fresh responder at ${b}: 0 if it went on, else -1. */
static int
offer(struct node *b, const uint8_t *m1, size_t *out)
{
	struct session *r;
	const uint8_t *p;
	int rc;

	r = answer(b, NOW);
	rc = session_input(r, m1, SESSION_MSG1_LEN, NOW);
	session_output(r, &p, out);
	session_free(r);
	return (rc);
}

/*
 * The counter is below 2^63: 2^63 and above are refused before the replay
 * guard sees them, 2^63 - 1 is the last there is.  An initiator never
 * sends one past it.
 */
static void
test_counter_range(void **state)
{
	struct node a, b;
	struct hs hs;
	uint8_t m1[SESSION_MSG1_LEN];
	char err[STORE_ERRLEN], v[32];
	struct session_cfg cfg;
	char serr[SESSION_ERRLEN];
	uint64_t ctr;
	size_t n;

	(void)state;
	node_open(&a);
	node_open(&b);
	craft1(&a, &b, a.pk, HS_COUNTER_LIMIT, HS_VERSION, NULL, &hs, m1);
	hs_fini(&hs);
	assert_int_equal(offer(&b, m1, &n), -1);
	assert_int_equal(n, 0);
	craft1(&a, &b, a.pk, UINT64_MAX, HS_VERSION, NULL, &hs, m1);
	hs_fini(&hs);
	assert_int_equal(offer(&b, m1, &n), -1);
	assert_int_equal(n, 0);
	assert_int_equal(b.admitted + b.refused, 0);	/* Never asked. */
	/* The guard refuses them too, and keeps nothing of them. */
	assert_int_equal(db_hs_fresh(b.db, a.pk, HS_COUNTER_LIMIT, err), 1);
	assert_int_equal(db_hs_fresh(b.db, a.pk, 5, err), 0);

	craft1(&a, &b, a.pk, HS_COUNTER_LIMIT - 1, HS_VERSION, NULL, &hs,
	    m1);
	hs_fini(&hs);
	assert_int_equal(offer(&b, m1, &n), 0);
	assert_true(n > 0);
	assert_int_equal(b.admitted, 1);

	/* The initiator's side: a clock or a counter at the end. */
	assert_int_equal(db_hs_next(a.db, HS_COUNTER_LIMIT, &ctr, err), -1);
	snprintf(v, sizeof(v), "%llu",
	    (unsigned long long)(HS_COUNTER_LIMIT - 2));
	assert_int_equal(db_meta_set(a.db, "hs_sent", v, err), 0);
	assert_int_equal(db_hs_next(a.db, NOW, &ctr, err), 0);
	assert_true(ctr == HS_COUNTER_LIMIT - 1);
	assert_int_equal(db_hs_next(a.db, NOW, &ctr, err), -1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.db = a.db;
	cfg.initiator = true;
	cfg.ed_sk = a.sk;
	cfg.peer = b.pk;
	cfg.netkey = netkey;
	cfg.name = "a";
	cfg.now_ms = NOW;
	assert_null(session_new(&cfg, serr));
	assert_non_null(strstr(serr, "handshake counter"));
	node_close(&a);
	node_close(&b);
}

/* PRAGMA data_version of connection ${h}: moves when others commit. */
static int64_t
dv(sqlite3 *h)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA data_version", -1, &st,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

/*
 * Our handshake counters: always rising, yet a dial writes (and fsyncs,
 * on the agent's loop) once per DB_HS_RESERVE_MS, not each time; what it
 * stores bounds every counter handed out, so a restart (or a crash)
 * starts above all of them.
 */
static void
test_counter_reserved(void **state)
{
	struct node a;
	char path[300], err[STORE_ERRLEN], v[32];
	uint64_t ctr, last = 0;
	int64_t v0;
	sqlite3 *other;
	int i;

	(void)state;
	node_open(&a);
	snprintf(path, sizeof(path), "%s/hamroh.db", a.dir);
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(db_hs_next(a.db, NOW, &ctr, err), 0);
	assert_int_equal(ctr, NOW);
	v0 = dv(other);
	/* Within the reserve: rising, and nothing written. */
	for (i = 0; i < 100; i++) {
		last = ctr;
		assert_int_equal(db_hs_next(a.db, NOW + (uint64_t)i / 2, &ctr,
		    err), 0);
		assert_true(ctr > last);
	}
	assert_int_equal(dv(other), v0);
	assert_int_equal(db_meta_get(a.db, "hs_sent", v, sizeof(v)), 0);
	assert_true(strtoull(v, NULL, 10) >= ctr);
	/* The clock past the reserve: a new bound, written. */
	assert_int_equal(db_hs_next(a.db, NOW + DB_HS_RESERVE_MS + 1, &ctr,
	    err), 0);
	assert_int_equal(ctr, NOW + DB_HS_RESERVE_MS + 1);
	assert_true(dv(other) != v0);
	assert_int_equal(db_meta_get(a.db, "hs_sent", v, sizeof(v)), 0);
	assert_true(strtoull(v, NULL, 10) >= ctr + DB_HS_RESERVE_MS);
	last = ctr;
	/* A restart, its clock behind: above every counter sent before. */
	node_restart(&a);
	assert_int_equal(db_hs_next(a.db, NOW, &ctr, err), 0);
	assert_true(ctr > last + DB_HS_RESERVE_MS - 1);
	sqlite3_close(other);
	node_close(&a);
}

/*
 * A peer of the previous handshake version (1: the wall clock in message
 * 1) is told our version in message 2, with no transport keys, nothing
 * recorded and one clear line on our side; a responder of version 1
 * answering us is named the same way.  A newer version likewise.
 */
static void
test_other_versions(void **state)
{
	struct node a, b;
	struct session *r, *sa;
	struct hs hs;
	uint8_t m1[SESSION_MSG1_LEN], m2[SESSION_MSG2_LEN];
	uint8_t p2[SESSION_HS_PAYLOAD2], x[32], xp[32], pro[HS_PROLOGUE_LEN];
	uint8_t p1[SESSION_HS_PAYLOAD1], e[32];
	const uint8_t *p;
	size_t n;

	(void)state;
	node_open(&a);
	node_open(&b);

	/* An older initiator dials us. */
	craft1(&a, &b, a.pk, NOW, 1, NULL, &hs, m1);
	r = answer(&b, NOW);
	assert_int_equal(session_input(r, m1, sizeof(m1), NOW), -1);
	assert_string_equal(session_error(r), "handshake: this office runs "
	    "an older hamroh; upgrade it");
	session_output(r, &p, &n);
	assert_int_equal(n, SESSION_MSG2_LEN);	/* Message 2, no more. */
	assert_int_equal(hs_read2(&hs, p, n, p2), 0);
	assert_int_equal(p2[0], HS_VERSION);	/* What it logs: "another
						   version". */
	assert_memory_equal(session_peer(r), a.pk, 32);
	session_free(r);
	hs_fini(&hs);
	assert_int_equal(b.admitted + b.refused, 0);
	/* Nothing recorded: a version-2 counter below it still admitted. */
	craft1(&a, &b, a.pk, 7, HS_VERSION, NULL, &hs, m1);
	hs_fini(&hs);
	assert_int_equal(offer(&b, m1, &n), 0);

	/* A newer one. */
	craft1(&a, &b, a.pk, NOW, HS_VERSION + 1, NULL, &hs, m1);
	hs_fini(&hs);
	r = answer(&b, NOW);
	assert_int_equal(session_input(r, m1, sizeof(m1), NOW), -1);
	assert_string_equal(session_error(r), "handshake: this office runs "
	    "a newer hamroh; upgrade this one");
	session_free(r);

	/* We dial an older responder: it answers version 1. */
	sa = dial(&a, &b, NOW);
	session_output(sa, &p, &n);
	assert_int_equal(hs_x25519_keys(b.sk, x, xp), 0);
	hs_prologue(netkey, pro);
	hs_init(&hs, false, pro, sizeof(pro), x, NULL, netkey);
	assert_int_equal(hs_read1(&hs, p, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    p1), 0);
	session_consumed(sa, n);
	memset(p2, 0, sizeof(p2));
	p2[0] = 1;
	randombytes_buf(e, sizeof(e));
	assert_int_equal(hs_write2(&hs, e, p2, sizeof(p2), m2), 0);
	hs_fini(&hs);
	assert_int_equal(session_input(sa, m2, sizeof(m2), NOW), -1);
	assert_string_equal(session_error(sa), "handshake: this office runs "
	    "an older hamroh; upgrade it");
	session_output(sa, &p, &n);
	assert_int_equal(n, 0);
	session_free(sa);
	node_close(&a);
	node_close(&b);
}

/*
 * The static key in message 1 must be the X25519 form of the id it
 * claims, byte for byte: the same point with bit 255 set (which X25519
 * reads as the same key, and Noise takes as sent) is refused, silently;
 * so is another node's id.
 */
static void
test_static_key_must_match_id(void **state)
{
	struct node a, b, c;
	struct hs hs;
	uint8_t m1[SESSION_MSG1_LEN], xs[32], alias[32];
	size_t n;

	(void)state;
	node_open(&a);
	node_open(&b);
	node_open(&c);
	assert_int_equal(hs_x25519_keys(a.sk, xs, alias), 0);
	alias[31] |= 0x80;
	craft1(&a, &b, a.pk, NOW, HS_VERSION, alias, &hs, m1);
	hs_fini(&hs);
	assert_int_equal(offer(&b, m1, &n), -1);
	assert_int_equal(n, 0);
	craft1(&a, &b, c.pk, NOW, HS_VERSION, NULL, &hs, m1);
	hs_fini(&hs);
	assert_int_equal(offer(&b, m1, &n), -1);
	assert_int_equal(n, 0);
	assert_int_equal(b.admitted + b.refused, 0);
	node_close(&a);
	node_close(&b);
	node_close(&c);
}

/* A live pair of sessions, past the handshake and HELLOs. */
static void
live(struct node *a, struct node *b, struct session **sa,
    struct session **sb)
{

	node_open(a);
	node_open(b);
	*sa = dial(a, b, NOW);
	*sb = answer(b, NOW);
	assert_int_equal(shuttle(*sa, *sb, NOW), 0);
}

/* The next frame ${s} sends: a PING. */
static size_t
ping_frame(struct session *s, uint64_t nonce, uint8_t *buf, size_t cap)
{
	const uint8_t *p;
	size_t n;

	session_ping(s, nonce);
	session_output(s, &p, &n);
	assert_true(n > 0 && n <= cap);
	memcpy(buf, p, n);
	session_consumed(s, n);
	return (n);
}

/*
 * After the handshake: a frame fed back to its own sender (it decrypts
 * with the other direction's key), a frame delivered twice, and two
 * frames swapped each end the session that receives them.
 */
static void
test_frames_out_of_place(void **state)
{
	struct node a, b;
	struct session *sa, *sb;
	uint8_t f1[256], f2[256];
	size_t n1, n2;

	(void)state;
	live(&a, &b, &sa, &sb);
	n1 = ping_frame(sa, 1, f1, sizeof(f1));
	assert_int_equal(session_input(sa, f1, n1, NOW), -1);
	assert_non_null(strstr(session_error(sa), "transport"));
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);

	live(&a, &b, &sa, &sb);
	n1 = ping_frame(sa, 1, f1, sizeof(f1));
	assert_int_equal(session_input(sb, f1, n1, NOW), 0);
	assert_int_equal(session_input(sb, f1, n1, NOW), -1);
	assert_non_null(strstr(session_error(sb), "transport"));
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);

	live(&a, &b, &sa, &sb);
	n1 = ping_frame(sa, 1, f1, sizeof(f1));
	n2 = ping_frame(sa, 2, f2, sizeof(f2));
	assert_int_equal(session_input(sb, f2, n2, NOW), -1);
	assert_non_null(strstr(session_error(sb), "transport"));
	(void)n1;
	session_free(sa);
	session_free(sb);
	node_close(&a);
	node_close(&b);
}

/*
 * A database of schema 5 kept version-1 handshake times, the wall clocks
 * of its initiators: on upgrade they are forgotten (version 2 compares
 * counters, and takes no version-1 message 1 to replay), so a node whose
 * clock was a year ahead under version 1 is not locked out either.
 */
static void
test_upgrade_forgets_clock_times(void **state)
{
	struct node a, b;
	char err[STORE_ERRLEN];

	(void)state;
	node_open(&a);
	node_open(&b);
	assert_int_equal(db_hs_fresh(b.db, a.pk, NOW + YEAR_MS, err), 0);
	assert_int_equal(sqlite3_exec(db_handle(b.db), "PRAGMA user_version "
	    "= 5", NULL, NULL, NULL), SQLITE_OK);
	node_restart(&b);
	assert_true(connects(&a, &b, NOW));
	assert_int_equal(b.last_ctr, NOW);
	node_close(&a);
	node_close(&b);
}

/* Send one message ${sb} from the hand-driven side ${e} into ${s}. */
static int
raw_send(struct frame_enc *e, struct session *s, msgpack_sbuffer *sb,
    uint64_t now)
{
	uint8_t w[FRAME_WIRE_LEN(256)];
	int r;

	assert_true(sb->size <= 256);
	frame_enc_clock(e, now);
	assert_int_equal(frame_enc(e, (const uint8_t *)sb->data, sb->size,
	    false, w), 0);
	r = session_input(s, w, FRAME_WIRE_LEN(sb->size), now);
	msgpack_sbuffer_clear(sb);
	return (r);
}

/* Decode what ${s} sent; return how many PONGs. */
static int
raw_pongs(struct frame_dec *d, struct session *s)
{
	const uint8_t *p, *body;
	size_t n, blen;
	ssize_t used;
	struct msg m;
	bool final;
	int pongs = 0;

	session_output(s, &p, &n);
	session_consumed(s, n);
	while (n > 0) {
		assert_true((used = frame_dec_feed(d, p, n, &body, &blen,
		    &final)) > 0);
		p += used;
		n -= (size_t)used;
		if (body == NULL)
			continue;
		assert_int_equal(msg_decode(body, blen, &m), 0);
		pongs += m.type == MSG_PONG;
		msg_fini(&m);
	}
	return (pongs);
}

/*
 * A session that stays up for hours: each direction changes its key at
 * the first frame sent an hour after the last change.  A hand-driven
 * initiator (it holds the transport keys, so it sees every rekey of the
 * session's sending side) pings it once an hour; the session answers
 * every ping across four rekeys each way, and takes the peer's.
 */
static void
test_hourly_rekey(void **state)
{
	struct node a, b;
	struct session *r;
	struct hs hs;
	struct frame_enc e;
	struct frame_dec *d;
	msgpack_sbuffer sb;
	uint8_t m1[SESSION_MSG1_LEN], p2[SESSION_HS_PAYLOAD2];
	uint8_t tx[32], rx[32], h[32], hdr[FRAME_HDR_LEN];
	const uint8_t *p;
	uint64_t now = NOW;
	size_t n;
	int k;

	(void)state;
	node_open(&a);
	node_open(&b);
	craft1(&a, &b, a.pk, NOW, HS_VERSION, NULL, &hs, m1);
	r = answer(&b, now);
	assert_int_equal(session_input(r, m1, sizeof(m1), now), 0);
	session_output(r, &p, &n);
	assert_int_equal(hs_read2(&hs, p, SESSION_MSG2_LEN, p2), 0);
	session_consumed(r, SESSION_MSG2_LEN);
	assert_int_equal(hs_split(&hs, tx, rx, h), 0);
	frame_enc_init(&e, tx, hdr);
	assert_non_null(d = frame_dec_new(rx));
	assert_int_equal(session_input(r, hdr, sizeof(hdr), now), 0);
	msgpack_sbuffer_init(&sb);
	assert_int_equal(msg_hello(&sb, "raw", NULL, 0, 0, now, false), 0);
	assert_int_equal(raw_send(&e, r, &sb, now), 0);
	assert_true(session_synced(r));
	assert_int_equal(raw_pongs(d, r), 0);		/* Its HELLO. */
	for (k = 1; k <= 4; k++) {
		now += FRAME_REKEY_MS / 2;
		assert_int_equal(msg_ping(&sb, MSG_PING, 2 * k), 0);
		assert_int_equal(raw_send(&e, r, &sb, now), 0);
		now += FRAME_REKEY_MS / 2;
		assert_int_equal(msg_ping(&sb, MSG_PING, 2 * k + 1), 0);
		assert_int_equal(raw_send(&e, r, &sb, now), 0);
		assert_int_equal(raw_pongs(d, r), 2);
	}
	assert_int_equal(frame_dec_rekeys(d), 4);	/* The session's. */
	assert_int_equal(e.rekeys, 4);			/* Ours, taken. */
	assert_string_equal(session_error(r), "");
	msgpack_sbuffer_destroy(&sb);
	frame_dec_free(d);
	session_free(r);
	node_close(&a);
	node_close(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_ahead_then_right),
		cmocka_unit_test(test_replay_refused),
		cmocka_unit_test(test_counter_range),
		cmocka_unit_test(test_counter_reserved),
		cmocka_unit_test(test_other_versions),
		cmocka_unit_test(test_static_key_must_match_id),
		cmocka_unit_test(test_frames_out_of_place),
		cmocka_unit_test(test_upgrade_forgets_clock_times),
		cmocka_unit_test(test_hourly_rekey),
	};

	if (sodium_init() < 0)
		return (1);
	randombytes_buf(netkey, sizeof(netkey));
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

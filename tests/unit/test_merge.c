/*
 * test_merge.c: the merge is a CRDT, proved through the real store.
 *
 * Random histories on three nodes whose clocks disagree by days: local
 * writes, partial syncs between random pairs that deliver a random subset
 * of commits in any order and with duplicates (so gaps leave commits held),
 * then a full exchange.  At every step, what a node shows must be what an
 * independent model computes from the *set* of commits it holds; at the
 * end every node shows the same records and the same conflicts.  Targeted
 * tests pin down the seen-heads rule, conflicts and their resolution,
 * deletes, writes arriving before what they saw, fields of newer versions,
 * held commits and forks.
 *
 * Env: HAMROH_SEED=n replays the one history with that seed (printed on
 * failure); HAMROH_HISTORIES=n runs n histories instead of 1000.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "protocol/limits.h"
#include "store/db_test.h"
#include "store/hlc.h"
#include "store/commit.h"
#include "store/db.h"
#include "store/merge.h"
#include "store/query.h"
#include "store/schema.h"

/* Sizes of a random history; override with -D for a heavier soak. */
#ifndef NNODES
#define NNODES		3
#endif
#ifndef MINRECS
#define MINRECS		4
#endif
#ifndef MAXRECS
#define MAXRECS		8
#endif
#define MAXNODES	(NNODES > 8 ? NNODES : 8)
#define NHISTORIES	1000
#define VERIFY_EVERY	50	/* db_verify() on every 50th history. */
#define SEED_BASE	0x68616d726f68ULL	/* "hamroh" */
#define DAY_MS		(24ULL * 3600 * 1000)
#define T0_MS		1700000000000ULL	/* Nov 2023. */
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- Failing with the seed of the running history. ---- */

static uint64_t cur_seed;	/* Of the running history; 0 outside one. */
static bool in_history;

static void die(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (in_history)
		fail_msg("%s\n(history seed %llu: replay with"
		    " HAMROH_SEED=%llu)", msg, (unsigned long long)cur_seed,
		    (unsigned long long)cur_seed);
	else
		fail_msg("%s", msg);
}

#define REQ(x) do {							\
	if (!(x))							\
		die("%s:%d: %s", __FILE__, __LINE__, #x);		\
} while (0)

/* A store call that fills ${err} on failure. */
#define OK(x) do {							\
	if ((x) != 0)							\
		die("%s:%d: %s: %s", __FILE__, __LINE__, #x, err);	\
} while (0)

/* ---- PRNG: xorshift64*, seeded through splitmix64. ---- */

static uint64_t rng;

static uint64_t
splitmix64(uint64_t x)
{

	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (x ^ (x >> 31));
}

static void
rnd_seed(uint64_t s)
{

	rng = splitmix64(s);
	if (rng == 0)
		rng = 1;
}

static uint64_t
rnd(void)
{

	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dULL);
}

/* Uniform enough in [0, n). */
static uint64_t
rnd_below(uint64_t n)
{

	return (n == 0 ? 0 : (rnd() >> 11) % n);
}

static void
rnd_bytes(uint8_t *p, size_t len)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			x = rnd();
		p[i] = (uint8_t)(x >> (8 * (i % 8)));
	}
}

/* ---- Growable text. ---- */

struct buf {
	char	*p;
	size_t	n, a;
};

static void
buf_grow(struct buf *b, size_t more)
{
	size_t na;
	char *q;

	if (b->n + more + 1 <= b->a)
		return;
	na = b->a ? b->a : 256;
	while (na < b->n + more + 1)
		na *= 2;
	if ((q = realloc(b->p, na)) == NULL)
		die("out of memory");
	b->p = q;
	b->a = na;
}

static void
buf_addn(struct buf *b, const char *s, size_t len)
{

	buf_grow(b, len);
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	REQ(len >= 0);
	buf_grow(b, (size_t)len);
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)len;
}

static const char *
buf_str(const struct buf *b)
{

	return (b->p != NULL ? b->p : "");
}

static void
buf_free(struct buf *b)
{

	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
buf_hex(struct buf *b, const uint8_t *p, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	char s[2];
	size_t i;

	for (i = 0; i < len; i++) {
		s[0] = hx[p[i] >> 4];
		s[1] = hx[p[i] & 15];
		buf_addn(b, s, 2);
	}
}

static void
buf_val(struct buf *b, const struct val *v)
{

	switch (v->t) {
	case VAL_NIL:
		buf_printf(b, "nil");
		break;
	case VAL_STR:
		buf_printf(b, "s%zu:", v->len);
		buf_addn(b, v->s, v->len);
		break;
	case VAL_INT:
		buf_printf(b, "i%lld", (long long)v->i);
		break;
	case VAL_BOOL:
		buf_printf(b, "b%lld", (long long)v->i);
		break;
	default:
		buf_printf(b, "?%d", (int)v->t);
		break;
	}
}

static bool
val_eq(const struct val *a, const struct val *b)
{

	if (a->t != b->t)
		return (false);
	switch (a->t) {
	case VAL_STR:
		return (a->len == b->len && memcmp(a->s, b->s, a->len) == 0);
	case VAL_INT:
	case VAL_BOOL:
		return (a->i == b->i);
	default:
		return (true);
	}
}

/* ---- Commits as carried between nodes: body and signature. ---- */

struct cm {
	uint8_t	*body;
	size_t	len;
	uint8_t	sig[NODE_SIG_LEN];
};

struct cmlist {
	struct cm	*v;
	size_t		n, a;
};

static void
cmlist_push(struct cmlist *l, const uint8_t *body, size_t len,
    const uint8_t *sig)
{
	struct cm *v;
	size_t na;

	if (l->n == l->a) {
		na = l->a ? l->a * 2 : 32;
		if ((v = realloc(l->v, na * sizeof(*v))) == NULL)
			die("out of memory");
		l->v = v;
		l->a = na;
	}
	if ((l->v[l->n].body = malloc(len + 1)) == NULL)
		die("out of memory");
	memcpy(l->v[l->n].body, body, len);
	l->v[l->n].len = len;
	memcpy(l->v[l->n].sig, sig, NODE_SIG_LEN);
	l->n++;
}

static void
cmlist_free(struct cmlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].body);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
collect_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{

	cmlist_push(arg, body, len, sig);
	return (0);
}

/* ---- Nodes. ---- */

struct node {
	char		dir[PATH_MAX];
	struct db	*db;
	uint8_t		pk[NODE_KEY_LEN];
	uint8_t		sk[NODE_SK_LEN];
	uint64_t	now;		/* Its idea of the time (ms). */
	bool		jitter;		/* Let the clock wander. */
};

/* Global so that the teardown can clean up after a failed test. */
static struct node nodes[MAXNODES];

static struct {
	uint64_t	histories, writes, commits, syncs, delivered;
	uint64_t	applied, duplicate, held, released, conflicts;
	uint64_t	ties, deleted, pending;
} stats;

static const struct coll_def *
consultations(void)
{
	const struct coll_def *c;

	c = schema_coll("consultations");
	REQ(c != NULL);
	return (c);
}

/*
 * Open a fresh node in its own temporary directory, with key ${sk}, or a
 * key drawn from the PRNG when ${sk} is NULL.
 */
static void
node_open(struct node *n, const uint8_t *sk, uint64_t now)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	char err[STORE_ERRLEN], path[PATH_MAX + 32];
	const char *tmp;

	memset(n, 0, sizeof(*n));
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(n->dir, sizeof(n->dir), "%s/hamroh-merge.XXXXXX", tmp);
	if (mkdtemp(n->dir) == NULL) {
		n->dir[0] = '\0';
		die("mkdtemp under %s: %s", tmp, strerror(errno));
	}
	if (sk == NULL) {
		rnd_bytes(seed, sizeof(seed));
		REQ(crypto_sign_seed_keypair(n->pk, n->sk, seed) == 0);
	} else {
		memcpy(n->sk, sk, NODE_SK_LEN);
		REQ(crypto_sign_ed25519_sk_to_pk(n->pk, n->sk) == 0);
	}
	snprintf(path, sizeof(path), "%s/%s", n->dir, DB_FILE);
	OK(db_open(&n->db, path, true, err));
	REQ(db_set_signer(n->db, n->sk) == 0);
	/*
	 * Durability is not under test here, and thousands of fsyncs on a
	 * shared disk made the run I/O-bound (minutes instead of seconds).
	 */
	REQ(sqlite3_exec(db_handle(n->db), "PRAGMA synchronous=OFF", NULL,
	    NULL, NULL) == SQLITE_OK);
	n->now = now;
}

static void
rm_file(const char *dir, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) != 0 && errno != ENOENT)
		fprintf(stderr, "unlink %s: %s\n", path, strerror(errno));
}

static void
node_close(struct node *n)
{

	db_close(n->db);
	n->db = NULL;
	if (n->dir[0] != '\0') {
		rm_file(n->dir, DB_FILE);
		rm_file(n->dir, DB_FILE "-wal");
		rm_file(n->dir, DB_FILE "-shm");
		rm_file(n->dir, DB_FILE "-journal");
		if (rmdir(n->dir) != 0)
			fprintf(stderr, "rmdir %s: %s\n", n->dir,
			    strerror(errno));
	}
	sodium_memzero(n->sk, sizeof(n->sk));
	n->dir[0] = '\0';
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < MAXNODES; i++)
		node_close(&nodes[i]);
	in_history = false;
	return (0);
}

/*
 * The node's clock for its next transaction.  With jitter it wanders:
 * mostly forward by seconds, sometimes by an hour, sometimes back or
 * forward by up to two days (someone "fixed" the office PC's clock).
 */
static uint64_t
tick(struct node *n)
{
	uint64_t r;

	if (!n->jitter) {
		n->now += 1000;
		return (n->now);
	}
	r = rnd_below(16);
	if (r < 8)
		n->now += 1000 * rnd_below(3);
	else if (r < 12)
		n->now += rnd_below(3600 * 1000);
	else if (r < 14)
		n->now -= rnd_below(2 * DAY_MS);
	else
		n->now += rnd_below(2 * DAY_MS);
	return (n->now);
}

/* Every commit ${n} holds (applied ones; not held ones). */
static void
collect(struct node *n, struct cmlist *l)
{
	char err[STORE_ERRLEN];

	OK(db_commits_since(n->db, NULL, collect_cb, l, err));
}

static struct db_status
status(struct node *n)
{
	struct db_status s;
	char err[STORE_ERRLEN];

	OK(db_status(n->db, &s, err));
	return (s);
}

/* Buffer one write of field ${field} of consultation ${id} (in a txn). */
static void
put(struct node *n, const uint8_t *id, const char *field,
    const struct val *v)
{
	const struct coll_def *c = consultations();
	const struct field_def *f;
	char why[256], err[STORE_ERRLEN];

	if ((f = schema_field(c, field, strlen(field))) == NULL)
		die("no field %s", field);
	if (schema_check(f, v, why, sizeof(why)))
		die("test wrote a bad value to %s: %s", field, why);
	OK(db_put(n->db, c, id, f, v, err));
}

static struct val
vstr(const char *s)
{
	struct val v = { VAL_STR, 0, s, strlen(s) };

	return (v);
}

static struct val
vint(int64_t i)
{
	struct val v = { VAL_INT, i, NULL, 0 };

	return (v);
}

static struct val
vbool(bool b)
{
	struct val v = { VAL_BOOL, b, NULL, 0 };

	return (v);
}

/* One local transaction writing one field. */
static void
write1(struct node *n, const uint8_t *id, const char *field, struct val v)
{
	char err[STORE_ERRLEN];

	OK(db_begin(n->db, tick(n), err));
	put(n, id, field, &v);
	OK(db_commit(n->db, err));
}

/*
 * Deliver commits ${idx}[0..cnt) of ${l} to ${n}, one to three per
 * transaction, adding the outcomes to ${tot}.
 */
static void
deliver(struct node *n, const struct cmlist *l, const size_t *idx,
    size_t cnt, struct db_counts *tot)
{
	struct db_counts dc;
	const struct cm *c;
	char err[STORE_ERRLEN];
	size_t i = 0, j, batch;

	while (i < cnt) {
		batch = 1 + (size_t)rnd_below(4);
		OK(db_begin(n->db, tick(n), err));
		for (j = 0; j < batch && i < cnt; j++, i++) {
			c = &l->v[idx[i]];
			memset(&dc, 0, sizeof(dc));
			OK(db_apply(n->db, c->body, c->len, c->sig, &dc, err));
			/* A held commit it releases may fork: both count. */
			REQ(dc.applied + dc.duplicate + dc.held == 1 ||
			    (dc.applied + dc.duplicate + dc.held == 0 &&
			    dc.fork == 1) || (dc.applied == 1 && dc.fork > 0));
			tot->applied += dc.applied;
			tot->duplicate += dc.duplicate;
			tot->held += dc.held;
			tot->fork += dc.fork;
			tot->released += dc.released;
		}
		OK(db_commit(n->db, err));
	}
}

/* Deliver all of ${l} to ${n} in order, one per transaction. */
static struct db_counts
deliver_all(struct node *n, const struct cmlist *l)
{
	struct db_counts tot;
	struct db_counts dc;
	char err[STORE_ERRLEN];
	size_t i;

	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < l->n; i++) {
		memset(&dc, 0, sizeof(dc));
		OK(db_begin(n->db, tick(n), err));
		OK(db_apply(n->db, l->v[i].body, l->v[i].len, l->v[i].sig,
		    &dc, err));
		OK(db_commit(n->db, err));
		tot.applied += dc.applied;
		tot.duplicate += dc.duplicate;
		tot.held += dc.held;
		tot.fork += dc.fork;
		tot.released += dc.released;
	}
	return (tot);
}

/* Give ${to} every commit ${from} holds. */
static void
send_all(struct node *from, struct node *to)
{
	struct cmlist l = { NULL, 0, 0 };
	struct db_counts dc;

	collect(from, &l);
	dc = deliver_all(to, &l);
	REQ(dc.fork == 0 && dc.held == 0);
	cmlist_free(&l);
}

static void
exchange(struct node *a, struct node *b)
{

	send_all(a, b);
	send_all(b, a);
}

/* ---- What a node shows, in one canonical text. ---- */

static int
rec_cb(void *arg, const struct rview *rv)
{
	struct buf *b = arg;
	size_t i;

	buf_printf(b, "%s ", rv->c->name);
	buf_hex(b, rv->id, SCHEMA_ID_LEN);
	buf_printf(b, " d=%d", rv->deleted ? 1 : 0);
	for (i = 0; i < rv->nf; i++) {
		buf_printf(b, " %s=", rv->f[i].name);
		buf_val(b, &rv->f[i].v);
	}
	buf_printf(b, "\n");
	return (0);
}

static int
conflict_cb(void *arg, const struct cview *cv)
{
	struct buf *b = arg;
	size_t i;

	buf_printf(b, "! %s ", cv->c->name);
	buf_hex(b, cv->id, SCHEMA_ID_LEN);
	buf_printf(b, " %s", cv->field);
	for (i = 0; i < cv->nh; i++) {
		buf_printf(b, " %llu/", (unsigned long long)cv->h[i].hlc);
		if (cv->h[i].origin == NULL)
			buf_printf(b, "?");
		else
			buf_hex(b, cv->h[i].origin, NODE_KEY_LEN);
		buf_printf(b, "=");
		buf_val(b, &cv->h[i].v);
	}
	buf_printf(b, "\n");
	return (0);
}

/*
 * Every record of every collection, deleted ones too, with every field;
 * then every conflict with every head.
 */
static void
store_export(struct node *n, struct buf *b)
{
	const struct coll_def *c;
	char err[STORE_ERRLEN];

	for (c = schema_colls; c->name != NULL; c++)
		if (query_records(n->db, c, NULL, NULL, 0, true, rec_cb, b,
		    err) < 0)
			die("query_records(%s): %s", c->name, err);
	if (query_conflicts(n->db, conflict_cb, b, err) < 0)
		die("query_conflicts: %s", err);
}

/* ---- An independent model: state as a function of a set of commits. */

/* One write: a field change of a commit. */
struct mw {
	size_t			ci;	/* Index in schema_colls. */
	const uint8_t		*id;
	const char		*field;
	size_t			flen;
	uint64_t		hlc;
	const uint8_t		*origin;
	const struct val	*v;
	const struct stamp	*seen;
	size_t			nseen;
	bool			head;	/* Unseen by the set. */
};

struct model {
	struct cmlist	cl;
	struct commit	*cm;
	size_t		ncm;
	struct mw	*w;
	size_t		nw;
};

static int
name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int r;

	if ((r = memcmp(a, b, al < bl ? al : bl)) != 0)
		return (r);
	return (al < bl ? -1 : al > bl);
}

static int
stamp_order(uint64_t ah, const uint8_t *ao, uint64_t bh, const uint8_t *bo)
{

	if (ah != bh)
		return (ah < bh ? -1 : 1);
	return (memcmp(ao, bo, NODE_KEY_LEN));
}

/* Register (collection, id, field), then stamp. */
static int
mw_cmp(const void *x, const void *y)
{
	const struct mw *a = x, *b = y;
	int r;

	if (a->ci != b->ci)
		return (a->ci < b->ci ? -1 : 1);
	if ((r = memcmp(a->id, b->id, SCHEMA_ID_LEN)) != 0)
		return (r);
	if ((r = name_cmp(a->field, a->flen, b->field, b->flen)) != 0)
		return (r);
	return (stamp_order(a->hlc, a->origin, b->hlc, b->origin));
}

static bool
same_rec(const struct mw *a, const struct mw *b)
{

	return (a->ci == b->ci && memcmp(a->id, b->id, SCHEMA_ID_LEN) == 0);
}

static bool
same_reg(const struct mw *a, const struct mw *b)
{

	return (same_rec(a, b) && name_cmp(a->field, a->flen, b->field,
	    b->flen) == 0);
}

static bool
field_is(const struct mw *w, const char *name)
{

	return (name_cmp(w->field, w->flen, name, strlen(name)) == 0);
}

/* Build the model of the commits ${n} holds. */
static void
model_build(struct model *m, struct node *n)
{
	const struct coll_def *c;
	const struct rchange *rc;
	const char *why;
	char name[SCHEMA_NAME_MAX + 1];
	size_t i, j, k, lo, hi, a, b, s;

	memset(m, 0, sizeof(*m));
	collect(n, &m->cl);
	if ((m->cm = calloc(m->cl.n + 1, sizeof(*m->cm))) == NULL)
		die("out of memory");
	for (i = 0; i < m->cl.n; i++) {
		if (commit_decode(m->cl.v[i].body, m->cl.v[i].len, &m->cm[i],
		    &why))
			die("a stored commit does not decode: %s", why);
		m->ncm++;
		for (j = 0; j < m->cm[i].nrec; j++)
			m->nw += m->cm[i].rec[j].nf;
	}
	if ((m->w = calloc(m->nw + 1, sizeof(*m->w))) == NULL)
		die("out of memory");
	for (i = k = 0; i < m->ncm; i++) {
		for (j = 0; j < m->cm[i].nrec; j++) {
			rc = &m->cm[i].rec[j];
			REQ(rc->coll_len <= SCHEMA_NAME_MAX);
			memcpy(name, rc->coll, rc->coll_len);
			name[rc->coll_len] = '\0';
			/* Collections of newer versions: in the log only. */
			if ((c = schema_coll(name)) == NULL)
				continue;
			for (s = 0; s < rc->nf; s++, k++) {
				m->w[k].ci = (size_t)(c - schema_colls);
				m->w[k].id = rc->id;
				m->w[k].field = rc->f[s].field;
				m->w[k].flen = rc->f[s].field_len;
				m->w[k].hlc = m->cm[i].hlc;
				m->w[k].origin = m->cm[i].origin;
				m->w[k].v = &rc->f[s].v;
				m->w[k].seen = rc->f[s].seen;
				m->w[k].nseen = rc->f[s].nseen;
			}
		}
	}
	m->nw = k;
	qsort(m->w, m->nw, sizeof(*m->w), mw_cmp);

	/* Heads: the writes of a register that no write of it saw. */
	for (lo = 0; lo < m->nw; lo = hi) {
		for (hi = lo + 1; hi < m->nw && same_reg(&m->w[lo],
		    &m->w[hi]); hi++)
			;
		for (a = lo; a < hi; a++) {
			REQ(a == lo || stamp_order(m->w[a - 1].hlc,
			    m->w[a - 1].origin, m->w[a].hlc,
			    m->w[a].origin) < 0);
			m->w[a].head = true;
			for (b = lo; b < hi && m->w[a].head; b++)
				for (s = 0; s < m->w[b].nseen; s++)
					if (m->w[b].seen[s].hlc ==
					    m->w[a].hlc && memcmp(
					    m->w[b].seen[s].origin,
					    m->w[a].origin,
					    NODE_KEY_LEN) == 0) {
						m->w[a].head = false;
						break;
					}
		}
	}
}

static void
model_fini(struct model *m)
{
	size_t i;

	for (i = 0; i < m->ncm; i++)
		commit_fini(&m->cm[i]);
	free(m->cm);
	free(m->w);
	cmlist_free(&m->cl);
	memset(m, 0, sizeof(*m));
}

/*
 * The visible write of the register starting at ${lo} (the largest head:
 * they are sorted by stamp), its end in ${*hi} and its number of heads
 * in ${*nh}.
 */
static const struct mw *
model_reg(const struct model *m, size_t lo, size_t *hi, size_t *nh)
{
	const struct mw *win = NULL;
	size_t i;

	*nh = 0;
	for (i = lo; i < m->nw && same_reg(&m->w[lo], &m->w[i]); i++)
		if (m->w[i].head) {
			win = &m->w[i];
			(*nh)++;
		}
	*hi = i;
	REQ(win != NULL);	/* Some write of a register is never seen. */
	return (win);
}

/* The same canonical text as store_export(), from the model. */

/* Whether the heads of the register w[lo..hi) hold different values. */
static bool
model_disagree(const struct model *m, size_t lo, size_t hi)
{
	const struct val *first = NULL, *v;
	size_t i;

	for (i = lo; i < hi; i++) {
		if (!m->w[i].head)
			continue;
		v = m->w[i].v;
		if (first == NULL) {
			first = v;
			continue;
		}
		if (v->t != first->t || (v->t == VAL_STR && (v->len !=
		    first->len || memcmp(v->s, first->s, v->len) != 0)) ||
		    ((v->t == VAL_INT || v->t == VAL_BOOL) && v->i != first->i))
			return (true);
	}
	return (false);
}

static void
model_export(const struct model *m, struct buf *b)
{
	const struct mw *win;
	size_t lo, hi, rlo, rhi, nh, i;
	bool del;

	/* Records: ordered by collection and id, fields by name. */
	for (rlo = 0; rlo < m->nw; rlo = rhi) {
		for (rhi = rlo + 1; rhi < m->nw && same_rec(&m->w[rlo],
		    &m->w[rhi]); rhi++)
			;
		del = false;
		for (lo = rlo; lo < rhi; lo = hi) {
			win = model_reg(m, lo, &hi, &nh);
			if (field_is(win, SCHEMA_DELETED))
				del = win->v->t == VAL_BOOL && win->v->i == 1;
		}
		buf_printf(b, "%s ", schema_colls[m->w[rlo].ci].name);
		buf_hex(b, m->w[rlo].id, SCHEMA_ID_LEN);
		buf_printf(b, " d=%d", del ? 1 : 0);
		for (lo = rlo; lo < rhi; lo = hi) {
			win = model_reg(m, lo, &hi, &nh);
			if (field_is(win, SCHEMA_DELETED) ||
			    win->v->t == VAL_NIL)
				continue;
			buf_printf(b, " %.*s=", (int)win->flen, win->field);
			buf_val(b, win->v);
		}
		buf_printf(b, "\n");
	}

	/*
	 * Conflicts: registers whose heads hold different values, winner
	 * first.  Heads that agree (two nodes wrote the same value) are not.
	 */
	for (lo = 0; lo < m->nw; lo = hi) {
		(void)model_reg(m, lo, &hi, &nh);
		if (!model_disagree(m, lo, hi))
			continue;
		buf_printf(b, "! %s ", schema_colls[m->w[lo].ci].name);
		buf_hex(b, m->w[lo].id, SCHEMA_ID_LEN);
		buf_printf(b, " %.*s", (int)m->w[lo].flen, m->w[lo].field);
		for (i = hi; i > lo; i--) {
			if (!m->w[i - 1].head)
				continue;
			buf_printf(b, " %llu/",
			    (unsigned long long)m->w[i - 1].hlc);
			buf_hex(b, m->w[i - 1].origin, NODE_KEY_LEN);
			buf_printf(b, "=");
			buf_val(b, m->w[i - 1].v);
		}
		buf_printf(b, "\n");
	}
}

static bool
stamp_is(const struct stamp *s, uint64_t hlc, const uint8_t *origin)
{

	return (s->hlc == hlc && memcmp(s->origin, origin, NODE_KEY_LEN) ==
	    0);
}

/*
 * The register state the store keeps for every record matches the model
 * too: the same heads (stamps and values, in stamp order) and, as
 * "pending", exactly the stamps that writes held here saw but whose
 * commits have not arrived.
 */
static void
check_state(struct node *n, const struct model *m)
{
	const struct stamp *pend[256];
	const struct mw *w;
	const uint8_t *key;
	struct rstate rs;
	struct freg *r;
	char err[STORE_ERRLEN], name[SCHEMA_NAME_MAX + 1];
	size_t rlo, rhi, lo, hi, nh, nreg, np, i, j, k, s;

	for (rlo = 0; rlo < m->nw; rlo = rhi) {
		for (rhi = rlo + 1; rhi < m->nw && same_rec(&m->w[rlo],
		    &m->w[rhi]); rhi++)
			;
		OK(db_load_state(n->db, &schema_colls[m->w[rlo].ci],
		    m->w[rlo].id, &rs, err));
		for (lo = rlo, nreg = 0; lo < rhi; lo = hi, nreg++) {
			(void)model_reg(m, lo, &hi, &nh);
			w = &m->w[lo];
			REQ(w->flen <= SCHEMA_NAME_MAX);
			memcpy(name, w->field, w->flen);
			name[w->flen] = '\0';
			if ((r = rstate_find(&rs, name)) == NULL)
				die("no register %s in the stored state", name);
			if (r->nh != nh)
				die("%s: %zu heads stored, model has %zu", name,
				    r->nh, nh);
			for (i = lo, j = 0; i < hi; i++) {
				if (!m->w[i].head)
					continue;
				key = db_origin_key(n->db, r->h[j].oidx);
				REQ(key != NULL);
				REQ(r->h[j].hlc == m->w[i].hlc);
				REQ(memcmp(key, m->w[i].origin,
				    NODE_KEY_LEN) == 0);
				REQ(r->h[j].has_v);
				REQ(val_eq(&r->h[j].v, m->w[i].v));
				j++;
			}

			/* Seen by a write here, not itself a write here. */
			for (i = lo, np = 0; i < hi; i++) {
				for (s = 0; s < m->w[i].nseen; s++) {
					for (k = lo; k < hi; k++)
						if (stamp_is(&m->w[i].seen[s],
						    m->w[k].hlc,
						    m->w[k].origin))
							break;
					if (k < hi)
						continue;
					for (k = 0; k < np; k++)
						if (stamp_is(&m->w[i].seen[s],
						    pend[k]->hlc,
						    pend[k]->origin))
							break;
					if (k == np) {
						REQ(np < NELEM(pend));
						pend[np++] = &m->w[i].seen[s];
					}
				}
			}
			if (r->np != np)
				die("%s: %zu pending stored, model has %zu",
				    name, r->np, np);
			for (j = 0; j < r->np; j++) {
				key = db_origin_key(n->db, r->p[j].oidx);
				REQ(key != NULL);
				for (k = 0; k < np; k++)
					if (stamp_is(pend[k], r->p[j].hlc, key))
						break;
				REQ(k < np);
			}
			stats.pending += np;
		}
		if (rs.nf != nreg)
			die("%zu registers stored, model has %zu", rs.nf, nreg);
		rstate_fini(&rs);
	}
}

/* Show where two canonical texts part. */
static void
die_diff(const char *what, const char *a, const char *b)
{
	size_t i, line = 1, sol = 0;

	for (i = 0; a[i] != '\0' && a[i] == b[i]; i++)
		if (a[i] == '\n') {
			line++;
			sol = i + 1;
		}
	die("%s differ from line %zu:\n  %.*s\nvs\n  %.*s\n--- whole:\n%s"
	    "--- vs:\n%s", what, line, (int)strcspn(a + sol, "\n"), a + sol,
	    (int)strcspn(b + sol, "\n"), b + sol, a, b);
}

/*
 * What ${n} shows must be what the model computes from the set of commits
 * it holds.  The store's text goes to ${out} if not NULL.
 */
static void
check_node(struct node *n, struct buf *out)
{
	struct model m;
	struct buf got = { NULL, 0, 0 }, want = { NULL, 0, 0 };

	model_build(&m, n);
	model_export(&m, &want);
	store_export(n, &got);
	if (strcmp(buf_str(&got), buf_str(&want)) != 0)
		die_diff("node's view and model of its commits",
		    buf_str(&got), buf_str(&want));
	check_state(n, &m);
	if (out != NULL)
		buf_addn(out, buf_str(&got), got.n);
	model_fini(&m);
	buf_free(&got);
	buf_free(&want);
}

/* ---- Random histories. ---- */

static const char *const statuses[] = { "open", "referred", "closed" };
static const char *const topics[] = { "work_permit", "patent", "family",
    "other" };
static const char *const fields[] = { "status", "topic", "summary",
    "client_age", "center" };

/* Status half the time: more writes meet on one register. */
static const char *
rand_field(void)
{

	if (rnd_below(2) == 0)
		return ("status");
	return (fields[rnd_below(NELEM(fields))]);
}

/* A write of one transaction, to check that it shows afterwards. */
#define LW_MAX	16
struct lw {
	const uint8_t	*id;
	const char	*field;
	struct val	v;
	char		s[64];
};

static void
rand_val(const char *field, struct lw *w)
{

	memset(&w->v, 0, sizeof(w->v));		/* VAL_NIL: clears. */
	w->s[0] = '\0';
	if (rnd_below(12) == 0)
		return;
	if (strcmp(field, "client_age") == 0) {
		w->v = vint((int64_t)rnd_below(121));
		return;
	}
	if (strcmp(field, "status") == 0)
		snprintf(w->s, sizeof(w->s), "%s",
		    statuses[rnd_below(NELEM(statuses))]);
	else if (strcmp(field, "topic") == 0)
		snprintf(w->s, sizeof(w->s), "%s",
		    topics[rnd_below(NELEM(topics))]);
	else
		snprintf(w->s, sizeof(w->s), "%s %llu", field,
		    (unsigned long long)rnd_below(50));
	w->v = vstr(w->s);
}

/* Add a write to ${lw} (one per register: the last one counts) and put. */
static void
lw_put(struct node *n, struct lw *lw, size_t *nlw, const uint8_t *id,
    const char *field)
{
	struct lw w;
	size_t i;

	memset(&w, 0, sizeof(w));
	w.id = id;
	w.field = field;
	if (strcmp(field, SCHEMA_DELETED) == 0)
		w.v = vbool(rnd_below(6) != 0);	/* Mostly delete. */
	else
		rand_val(field, &w);
	put(n, id, field, &w.v);
	for (i = 0; i < *nlw; i++)
		if (lw[i].id == id && strcmp(lw[i].field, field) == 0)
			break;
	if (i == *nlw) {
		REQ(*nlw < LW_MAX);
		(*nlw)++;
	}
	lw[i] = w;
	if (lw[i].v.t == VAL_STR)
		lw[i].v.s = lw[i].s;
}

/*
 * One local transaction on ${n}: adds (several fields of a record), sets
 * (one field), deletes and restores; sometimes two records, sometimes two
 * commits in one transaction.  Afterwards the node must show every value
 * it wrote, with no conflict on those fields: the writer saw every head.
 */
static void
local_txn(struct node *n, uint8_t ids[][SCHEMA_ID_LEN], size_t nrec)
{
	struct lw lw[LW_MAX];
	struct model m;
	const struct mw *win;
	char err[STORE_ERRLEN];
	const uint8_t *id;
	size_t nlw = 0, nrecs, r, i, k, nf, lo, hi, nh;
	uint64_t kind;

	OK(db_begin(n->db, tick(n), err));
	nrecs = rnd_below(5) == 0 ? 2 : 1;
	for (r = 0; r < nrecs; r++) {
		id = ids[rnd_below(nrec)];
		kind = rnd_below(100);
		if (kind < 35) {		/* Add, or edit many fields. */
			nf = 2 + (size_t)rnd_below(4);
			for (k = 0; k < nf; k++)
				lw_put(n, lw, &nlw, id, rand_field());
		} else if (kind < 80) {		/* Set one field. */
			lw_put(n, lw, &nlw, id, rand_field());
		} else {			/* Delete or restore. */
			lw_put(n, lw, &nlw, id, SCHEMA_DELETED);
		}
		/* Seal what we have: the next record is another commit. */
		if (r + 1 < nrecs && rnd_below(2) == 0)
			OK(db_flush(n->db, err));
	}
	OK(db_commit(n->db, err));
	stats.writes += nlw;

	model_build(&m, n);
	for (i = 0; i < nlw; i++) {
		for (lo = 0; lo < m.nw; lo++)
			if (memcmp(m.w[lo].id, lw[i].id, SCHEMA_ID_LEN) == 0 &&
			    field_is(&m.w[lo], lw[i].field))
				break;
		REQ(lo < m.nw);
		win = model_reg(&m, lo, &hi, &nh);
		if (nh != 1 || memcmp(win->origin, n->pk, NODE_KEY_LEN) ||
		    !val_eq(win->v, &lw[i].v))
			die("a local write of %s did not supersede every head"
			    " it saw (%zu heads)", lw[i].field, nh);
	}
	model_fini(&m);
	check_node(n, NULL);
}

/*
 * A version vector, as db_vector() gives it, to ask db_commits_since()
 * for what is missing; it passes the same argument to both callbacks.
 */
struct vec {
	struct cmlist	*l;
	size_t		n;
	uint8_t		key[MAXNODES][NODE_KEY_LEN];
	uint64_t	seq[MAXNODES];
	const uint8_t	*only;		/* This origin alone. */
};

static int
vec_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct vec *v = arg;

	REQ(v->n < MAXNODES);
	memcpy(v->key[v->n], key, NODE_KEY_LEN);
	v->seq[v->n++] = seq;
	return (0);
}

static uint64_t
vec_have(void *arg, const uint8_t *origin)
{
	struct vec *v = arg;
	size_t i;

	if (v->only != NULL && memcmp(origin, v->only, NODE_KEY_LEN) != 0)
		return (INT64_MAX);
	for (i = 0; i < v->n; i++)
		if (memcmp(v->key[i], origin, NODE_KEY_LEN) == 0)
			return (v->seq[i]);
	return (0);
}

static int
vec_collect_cb(void *arg, const uint8_t *body, size_t len,
    const uint8_t *sig)
{
	struct vec *v = arg;

	cmlist_push(v->l, body, len, sig);
	return (0);
}

/* Shuffle ${idx}[0..n). */
static void
shuffle(size_t *idx, size_t n)
{
	size_t i, t, x;

	for (i = n; i > 1; i--) {
		t = (size_t)rnd_below(i);
		x = idx[i - 1];
		idx[i - 1] = idx[t];
		idx[t] = x;
	}
}

/*
 * A partial sync from ${src} to ${dst}: all of ${src}'s commits, or what
 * ${dst}'s version vector lacks, or only one origin's; of those a random
 * part (gaps), in order or shuffled, some twice.  Delivering one origin's
 * commits alone is how a write arrives before the writes it saw.
 */
static void
sync_partial(struct node *src, struct node *dst)
{
	struct cmlist l = { NULL, 0, 0 };
	struct db_counts tot;
	struct vec v;
	char err[STORE_ERRLEN];
	size_t *idx, cnt, i, ndup;

	memset(&v, 0, sizeof(v));
	v.l = &l;
	switch (rnd_below(4)) {
	case 0:
		collect(src, &l);
		break;
	case 1:
		OK(db_vector(dst->db, vec_cb, &v, err));
		OK(db_commits_since(src->db, vec_have, vec_collect_cb, &v,
		    err));
		break;
	default:
		if (rnd_below(2) == 0)
			OK(db_vector(dst->db, vec_cb, &v, err));
		v.only = nodes[rnd_below(NNODES)].pk;
		OK(db_commits_since(src->db, vec_have, vec_collect_cb, &v,
		    err));
		break;
	}
	ndup = (size_t)rnd_below(3);
	if ((idx = calloc(l.n + ndup + 1, sizeof(*idx))) == NULL)
		die("out of memory");
	for (i = cnt = 0; i < l.n; i++)
		if (rnd_below(3) != 0)
			idx[cnt++] = i;
	for (i = 0; i < ndup && l.n > 0; i++)
		idx[cnt++] = (size_t)rnd_below(l.n);
	if (rnd_below(3) != 0)
		shuffle(idx, cnt);
	memset(&tot, 0, sizeof(tot));
	deliver(dst, &l, idx, cnt, &tot);
	REQ(tot.fork == 0);
	stats.syncs++;
	stats.delivered += cnt;
	stats.applied += tot.applied;
	stats.duplicate += tot.duplicate;
	stats.held += tot.held;
	stats.released += tot.released;
	free(idx);
	cmlist_free(&l);
	check_node(dst, NULL);
}

/*
 * The final exchange: every commit of every node to every node, shuffled,
 * with duplicates, until nothing is held anywhere.
 */
static void
sync_all(void)
{
	struct cmlist all = { NULL, 0, 0 };
	struct db_counts tot;
	size_t *idx, cnt, i, j, round, held;

	for (i = 0; i < NNODES; i++)
		collect(&nodes[i], &all);
	if ((idx = calloc(2 * all.n + 1, sizeof(*idx))) == NULL)
		die("out of memory");
	for (round = 0; ; round++) {
		held = 0;
		for (i = 0; i < NNODES; i++) {
			cnt = all.n + (size_t)rnd_below(all.n / 4 + 1);
			for (j = 0; j < cnt; j++)
				idx[j] = j < all.n ? j :
				    (size_t)rnd_below(all.n);
			shuffle(idx, cnt);
			memset(&tot, 0, sizeof(tot));
			deliver(&nodes[i], &all, idx, cnt, &tot);
			REQ(tot.fork == 0);
			stats.delivered += cnt;
			stats.applied += tot.applied;
			stats.duplicate += tot.duplicate;
			stats.held += tot.held;
			stats.released += tot.released;
			held += status(&nodes[i]).held;
		}
		if (held == 0)
			break;
		/* Every commit went everywhere: nothing can stay held. */
		if (round >= 2)
			die("%zu commits still held after %zu full rounds",
			    held, round + 1);
	}
	free(idx);
	cmlist_free(&all);
}

/* Count what the final state exercised: conflicts, hlc ties, deletes. */
static void
count_final(struct node *n)
{
	struct model m;
	const struct mw *win;
	size_t lo, hi, nh, i, prev;

	model_build(&m, n);
	stats.commits += m.ncm;
	for (lo = 0; lo < m.nw; lo = hi) {
		win = model_reg(&m, lo, &hi, &nh);
		if (model_disagree(&m, lo, hi))
			stats.conflicts++;
		if (field_is(win, SCHEMA_DELETED) && win->v->t == VAL_BOOL &&
		    win->v->i == 1)
			stats.deleted++;
		for (i = lo, prev = SIZE_MAX; i < hi; i++) {
			if (!m.w[i].head)
				continue;
			if (prev != SIZE_MAX && m.w[prev].hlc == m.w[i].hlc)
				stats.ties++;
			prev = i;
		}
	}
	model_fini(&m);
}

static void
run_history(uint64_t seed, bool verify)
{
	uint8_t ids[MAXRECS][SCHEMA_ID_LEN];
	struct buf first = { NULL, 0, 0 }, other = { NULL, 0, 0 };
	struct db_status s0, s;
	char err[STORE_ERRLEN], *vout = NULL;
	size_t i, j, nrec, nops, a, b, vlen = 0;
	uint64_t base, skew;
	FILE *f;
	long bad;

	cur_seed = seed;
	in_history = true;
	rnd_seed(seed);
	base = T0_MS + rnd_below(365 * DAY_MS);
	for (i = 0; i < NNODES; i++) {
		/* Some clocks agree to the ms, others are days off. */
		switch (rnd_below(4)) {
		case 0:
			skew = 0;
			break;
		case 1:
			skew = rnd_below(3 * DAY_MS);
			break;
		case 2:
			skew = -rnd_below(3 * DAY_MS);
			break;
		default:
			skew = rnd_below(3600 * 1000) - 1800 * 1000;
			break;
		}
		node_open(&nodes[i], NULL, base + skew);
		nodes[i].jitter = true;
	}
	nrec = MINRECS + (size_t)rnd_below(MAXRECS - MINRECS + 1);
	for (i = 0; i < nrec; i++)
		rnd_bytes(ids[i], SCHEMA_ID_LEN);

	nops = 5 + (size_t)rnd_below(11);
	for (i = 0; i < nops; i++) {
		local_txn(&nodes[rnd_below(NNODES)], ids, nrec);
		/* Partial syncs now and then, between random pairs. */
		while (rnd_below(5) < 2) {
			a = (size_t)rnd_below(NNODES);
			b = (a + 1 + (size_t)rnd_below(NNODES - 1)) % NNODES;
			sync_partial(&nodes[a], &nodes[b]);
		}
	}

	sync_all();
	check_node(&nodes[0], &first);
	s0 = status(&nodes[0]);
	for (i = 1; i < NNODES; i++) {
		other.n = 0;
		check_node(&nodes[i], &other);
		if (strcmp(buf_str(&first), buf_str(&other)) != 0)
			die_diff("exports of node 0 and another node",
			    buf_str(&first), buf_str(&other));
		s = status(&nodes[i]);
		REQ(s.commits == s0.commits && s.origins == s0.origins);
	}
	for (i = 0; i < NNODES; i++) {
		s = status(&nodes[i]);
		REQ(s.held == 0 && s.forks == 0);
	}
	count_final(&nodes[0]);

	if (verify) {
		for (i = 0; i < NNODES; i++) {
			/* Tables built commit by commit = a rebuild. */
			REQ((f = open_memstream(&vout, &vlen)) != NULL);
			bad = db_verify(nodes[i].db, f, err);
			fclose(f);
			if (bad != 0)
				die("db_verify: %ld problems: %s%s", bad,
				    bad < 0 ? err : "", vout);
			free(vout);
			vout = NULL;
			OK(db_rebuild(nodes[i].db, err));
			other.n = 0;
			check_node(&nodes[i], &other);
			if (strcmp(buf_str(&first), buf_str(&other)) != 0)
				die_diff("exports before and after rebuild",
				    buf_str(&first), buf_str(&other));
		}
	}

	for (j = 0; j < NNODES; j++)
		node_close(&nodes[j]);
	buf_free(&first);
	buf_free(&other);
	stats.histories++;
	in_history = false;
}

static void
test_random_histories(void **state)
{
	const char *e;
	uint64_t n = NHISTORIES, i;

	(void)state;
	memset(&stats, 0, sizeof(stats));
	if ((e = getenv("HAMROH_SEED")) != NULL && *e != '\0') {
		run_history(strtoull(e, NULL, 0), true);
		return;
	}
	if ((e = getenv("HAMROH_HISTORIES")) != NULL && *e != '\0')
		n = strtoull(e, NULL, 0);
	for (i = 0; i < n; i++)
		run_history(splitmix64(SEED_BASE + i), i % VERIFY_EVERY == 0);
	printf("[  INFO    ] %llu histories: %llu commits, %llu writes,"
	    " %llu partial syncs, %llu deliveries (%llu applied, %llu"
	    " duplicate, %llu held, %llu released); final state: %llu"
	    " conflicts, %llu hlc ties among heads, %llu deleted records;"
	    " %llu pending stamps checked\n",
	    (unsigned long long)stats.histories,
	    (unsigned long long)stats.commits,
	    (unsigned long long)stats.writes,
	    (unsigned long long)stats.syncs,
	    (unsigned long long)stats.delivered,
	    (unsigned long long)stats.applied,
	    (unsigned long long)stats.duplicate,
	    (unsigned long long)stats.held,
	    (unsigned long long)stats.released,
	    (unsigned long long)stats.conflicts,
	    (unsigned long long)stats.ties,
	    (unsigned long long)stats.deleted,
	    (unsigned long long)stats.pending);
	/* The histories did exercise what they are meant to. */
	REQ(n < 100 || (stats.held > 0 && stats.released > 0 &&
	    stats.duplicate > 0 && stats.conflicts > 0 && stats.ties > 0 &&
	    stats.deleted > 0 && stats.pending > 0));
}

/* ---- Targeted cases. ---- */

/* Field ${name} of consultation ${id} as ${n} shows it, in ${out}. */
struct fget {
	const char	*name;
	struct buf	*out;
	bool		deleted;
	bool		found;
};

static int
fget_cb(void *arg, const struct rview *rv)
{
	struct fget *g = arg;
	size_t i;

	g->found = true;
	g->deleted = rv->deleted;
	for (i = 0; i < rv->nf; i++)
		if (strcmp(rv->f[i].name, g->name) == 0)
			buf_val(g->out, &rv->f[i].v);
	return (0);
}

static void
assert_field(struct node *n, const uint8_t *id, const char *name,
    const char *want)
{
	struct buf b = { NULL, 0, 0 };
	struct fget g = { name, &b, false, false };
	char err[STORE_ERRLEN];

	REQ(query_records(n->db, consultations(), id, NULL, 0, true, fget_cb,
	    &g, err) == 1);
	REQ(g.found);
	if (strcmp(buf_str(&b), want) != 0)
		die("%s is %s, want %s", name, buf_str(&b), want);
	buf_free(&b);
}

static bool
is_deleted(struct node *n, const uint8_t *id)
{
	struct buf b = { NULL, 0, 0 };
	struct fget g = { "", &b, false, false };
	char err[STORE_ERRLEN];

	REQ(query_records(n->db, consultations(), id, NULL, 0, true, fget_cb,
	    &g, err) == 1);
	buf_free(&b);
	return (g.deleted);
}

static long
nconflicts(struct node *n, struct buf *b)
{
	char err[STORE_ERRLEN];
	long r;

	r = query_conflicts(n->db, conflict_cb, b, err);
	if (r < 0)
		die("query_conflicts: %s", err);
	return (r);
}

/* Both nodes show the same thing, and what their commits say. */
static void
assert_same(struct node *a, struct node *b)
{
	struct buf x = { NULL, 0, 0 }, y = { NULL, 0, 0 };

	check_node(a, &x);
	check_node(b, &y);
	if (strcmp(buf_str(&x), buf_str(&y)) != 0)
		die_diff("exports of two nodes", buf_str(&x), buf_str(&y));
	buf_free(&x);
	buf_free(&y);
}

/*
 * A's clock is 3 days fast.  B, whose clock is right, receives A's write
 * and then overwrites it: B's write wins on both nodes, with no conflict,
 * although B's wall clock is days behind A's.
 */
static void
test_seen_beats_clock(void **state)
{
	struct node *a = &nodes[0], *b = &nodes[1];
	struct buf cb = { NULL, 0, 0 };
	uint8_t id[SCHEMA_ID_LEN];

	(void)state;
	rnd_seed(1);
	node_open(a, NULL, T0_MS + 3 * DAY_MS);
	node_open(b, NULL, T0_MS);
	rnd_bytes(id, SCHEMA_ID_LEN);

	write1(a, id, "status", vstr("open"));
	send_all(a, b);
	assert_field(b, id, "status", "s4:open");
	write1(b, id, "status", vstr("closed"));
	/*
	 * B's clock followed A's stamp only to its own wall clock +
	 * HLC_MAX_AHEAD_MS: B's stamp is still days behind A's, and B's
	 * write wins by what it saw, not by its stamp.
	 */
	REQ(hlc_ms(db_last_hlc(b->db)) <= T0_MS + HLC_MAX_AHEAD_MS + 1000);
	REQ(db_last_hlc(b->db) < db_last_hlc(a->db));
	exchange(a, b);
	assert_field(a, id, "status", "s6:closed");
	assert_field(b, id, "status", "s6:closed");
	REQ(nconflicts(a, &cb) == 0 && nconflicts(b, &cb) == 0);

	/* A, still days ahead, writes another field: no effect on status. */
	write1(a, id, "topic", vstr("patent"));
	exchange(a, b);
	assert_field(b, id, "status", "s6:closed");
	assert_field(b, id, "topic", "s6:patent");
	REQ(nconflicts(a, &cb) == 0 && nconflicts(b, &cb) == 0);
	assert_same(a, b);
	buf_free(&cb);
}

struct conf_get {
	long		n;
	struct cview_head h[2];
	char		s[2][64];
	char		field[SCHEMA_NAME_MAX + 1];
	uint8_t		origin[2][NODE_KEY_LEN];
	size_t		nh;
};

static int
conf_get_cb(void *arg, const struct cview *cv)
{
	struct conf_get *g = arg;
	size_t i;

	g->n++;
	snprintf(g->field, sizeof(g->field), "%s", cv->field);
	g->nh = cv->nh;
	for (i = 0; i < cv->nh && i < 2; i++) {
		g->h[i] = cv->h[i];
		memcpy(g->origin[i], cv->h[i].origin, NODE_KEY_LEN);
		g->h[i].origin = g->origin[i];
		if (cv->h[i].v.t == VAL_STR) {
			snprintf(g->s[i], sizeof(g->s[i]), "%.*s",
			    (int)cv->h[i].v.len, cv->h[i].v.s);
			g->h[i].v.s = g->s[i];
		}
	}
	return (0);
}

static void
get_conflict(struct node *n, struct conf_get *g)
{
	char err[STORE_ERRLEN];

	long r;

	memset(g, 0, sizeof(*g));
	r = query_conflicts(n->db, conf_get_cb, g, err);
	REQ(r == g->n);
}

/*
 * A and B set the same field without seeing each other: both list one
 * conflict with both heads and show the same winner (the later clock).
 * Then A writes again, having seen both heads: the conflict is gone
 * everywhere and A's value shows.
 */
static void
test_concurrent_conflict_and_resolve(void **state)
{
	struct node *a = &nodes[0], *b = &nodes[1];
	struct conf_get ga, gb;
	struct buf cb = { NULL, 0, 0 };
	uint8_t id[SCHEMA_ID_LEN];

	(void)state;
	rnd_seed(2);
	node_open(a, NULL, T0_MS);
	node_open(b, NULL, T0_MS + 3600 * 1000);	/* An hour later. */
	rnd_bytes(id, SCHEMA_ID_LEN);

	write1(a, id, "status", vstr("open"));
	write1(a, id, "summary", vstr("lost passport"));
	send_all(a, b);

	write1(a, id, "status", vstr("referred"));
	write1(b, id, "status", vstr("closed"));
	exchange(a, b);

	get_conflict(a, &ga);
	get_conflict(b, &gb);
	REQ(ga.n == 1 && gb.n == 1);
	REQ(strcmp(ga.field, "status") == 0 && strcmp(gb.field, "status") == 0);
	REQ(ga.nh == 2 && gb.nh == 2);
	/* Winner first: B's, whose clock is later; the same on both. */
	REQ(memcmp(ga.origin[0], b->pk, NODE_KEY_LEN) == 0);
	REQ(memcmp(ga.origin[1], a->pk, NODE_KEY_LEN) == 0);
	REQ(memcmp(gb.origin[0], b->pk, NODE_KEY_LEN) == 0);
	REQ(ga.h[0].hlc == gb.h[0].hlc && ga.h[1].hlc == gb.h[1].hlc);
	REQ(ga.h[0].hlc > ga.h[1].hlc);
	REQ(strcmp(ga.s[0], "closed") == 0 && strcmp(ga.s[1], "referred") ==
	    0);
	REQ(strcmp(gb.s[0], "closed") == 0 && strcmp(gb.s[1], "referred") ==
	    0);
	assert_field(a, id, "status", "s6:closed");
	assert_field(b, id, "status", "s6:closed");
	assert_field(a, id, "summary", "s13:lost passport");
	assert_same(a, b);

	/* A resolves, although its clock is behind B's write. */
	write1(a, id, "status", vstr("open"));
	REQ(nconflicts(a, &cb) == 0);
	exchange(a, b);
	REQ(nconflicts(a, &cb) == 0 && nconflicts(b, &cb) == 0);
	assert_field(a, id, "status", "s4:open");
	assert_field(b, id, "status", "s4:open");
	assert_same(a, b);
	buf_free(&cb);
}

/*
 * A deletes a record while B, unaware, edits another field of it: a
 * delete is only the _deleted register, so there is no conflict; both
 * show the record deleted, with B's edit kept.  Then B restores it.
 */
static void
test_delete_and_concurrent_edit(void **state)
{
	struct node *a = &nodes[0], *b = &nodes[1];
	struct buf cb = { NULL, 0, 0 };
	uint8_t id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN];

	(void)state;
	rnd_seed(3);
	node_open(a, NULL, T0_MS + DAY_MS);
	node_open(b, NULL, T0_MS);
	rnd_bytes(id, SCHEMA_ID_LEN);

	write1(a, id, "status", vstr("open"));
	write1(a, id, "client_age", vint(34));
	send_all(a, b);

	write1(a, id, SCHEMA_DELETED, vbool(true));
	write1(b, id, "summary", vstr("wage arrears"));
	write1(b, id, "client_age", vint(35));
	exchange(a, b);

	REQ(is_deleted(a, id) && is_deleted(b, id));
	assert_field(a, id, "summary", "s12:wage arrears");
	assert_field(b, id, "client_age", "i35");
	REQ(nconflicts(a, &cb) == 0 && nconflicts(b, &cb) == 0);
	/* Hidden unless deleted records are asked for. */
	REQ(query_records(a->db, consultations(), NULL, NULL, 0, false,
	    rec_cb, &cb, err) == 0);
	assert_same(a, b);

	/* B saw the delete; restoring it supersedes it. */
	write1(b, id, SCHEMA_DELETED, vbool(false));
	exchange(a, b);
	REQ(!is_deleted(a, id) && !is_deleted(b, id));
	REQ(query_records(a->db, consultations(), NULL, NULL, 0, false,
	    rec_cb, &cb, err) == 1);
	REQ(nconflicts(a, &cb) == 0 && nconflicts(b, &cb) == 0);
	assert_same(a, b);
	buf_free(&cb);
}

/* Give ${to} the commits of origin ${origin} that ${from} holds. */
static void
send_origin(struct node *from, struct node *to, const uint8_t *origin)
{
	struct cmlist l = { NULL, 0, 0 };
	struct db_counts dc;
	struct vec v;
	char err[STORE_ERRLEN];

	memset(&v, 0, sizeof(v));
	v.l = &l;
	v.only = origin;
	OK(db_commits_since(from->db, vec_have, vec_collect_cb, &v, err));
	REQ(l.n > 0);
	dc = deliver_all(to, &l);
	REQ(dc.fork == 0 && dc.held == 0);
	cmlist_free(&l);
}

/* Heads and pending stamps of field ${name} of consultation ${id}. */
static void
reg_counts(struct node *n, const uint8_t *id, const char *name, size_t *nh,
    size_t *np)
{
	struct rstate rs;
	struct freg *r;
	char err[STORE_ERRLEN];

	OK(db_load_state(n->db, consultations(), id, &rs, err));
	REQ((r = rstate_find(&rs, name)) != NULL);
	*nh = r->nh;
	*np = r->np;
	rstate_fini(&rs);
}

/*
 * B overwrites A's write; C gets B's write first.  When A's arrives it is
 * born superseded: no conflict, ever.  One step longer: A overwrites B's
 * write that overwrote A's first one, and C gets A's two writes first.
 * The first shows as a head beside the last (nothing C holds says it was
 * seen: a conflict, as the model says) until B's write arrives and
 * settles it.  State depends on the set of commits held, nothing else.
 */
static void
test_write_before_what_it_saw(void **state)
{
	struct node *a = &nodes[0], *b = &nodes[1], *c = &nodes[2];
	struct buf cb = { NULL, 0, 0 };
	uint8_t id[SCHEMA_ID_LEN], id2[SCHEMA_ID_LEN];
	size_t nh, np;

	(void)state;
	rnd_seed(6);
	node_open(a, NULL, T0_MS + 2 * DAY_MS);
	node_open(b, NULL, T0_MS);
	node_open(c, NULL, T0_MS - DAY_MS);
	rnd_bytes(id, SCHEMA_ID_LEN);
	rnd_bytes(id2, SCHEMA_ID_LEN);

	write1(a, id, "status", vstr("open"));
	send_all(a, b);
	write1(b, id, "status", vstr("closed"));
	send_origin(b, c, b->pk);
	assert_field(c, id, "status", "s6:closed");
	reg_counts(c, id, "status", &nh, &np);
	REQ(nh == 1 && np == 1);
	check_node(c, NULL);
	send_origin(a, c, a->pk);
	assert_field(c, id, "status", "s6:closed");
	reg_counts(c, id, "status", &nh, &np);
	REQ(nh == 1 && np == 0);
	REQ(nconflicts(c, &cb) == 0);
	assert_same(b, c);

	write1(a, id2, "status", vstr("open"));
	send_all(a, b);
	write1(b, id2, "status", vstr("referred"));
	send_all(b, a);
	write1(a, id2, "status", vstr("closed"));
	send_origin(a, c, a->pk);
	reg_counts(c, id2, "status", &nh, &np);
	REQ(nh == 2 && np == 1);
	REQ(nconflicts(c, &cb) == 1);
	assert_field(c, id2, "status", "s6:closed");
	check_node(c, NULL);
	send_origin(b, c, b->pk);
	reg_counts(c, id2, "status", &nh, &np);
	REQ(nh == 1 && np == 0);
	REQ(nconflicts(c, &cb) == 0);
	assert_field(c, id2, "status", "s6:closed");
	send_all(a, b);
	assert_same(a, c);
	assert_same(b, c);
	buf_free(&cb);
}

/* Apply commit ${c} to ${n} in a transaction of its own. */
static struct db_counts
apply1(struct node *n, const struct cm *c)
{
	struct db_counts dc;
	char err[STORE_ERRLEN];

	memset(&dc, 0, sizeof(dc));
	OK(db_begin(n->db, tick(n), err));
	OK(db_apply(n->db, c->body, c->len, c->sig, &dc, err));
	OK(db_commit(n->db, err));
	return (dc);
}

static bool
counts_are(struct db_counts dc, uint64_t applied, uint64_t duplicate,
    uint64_t held, uint64_t fork, uint64_t released)
{

	return (dc.applied == applied && dc.duplicate == duplicate &&
	    dc.held == held && dc.fork == fork && dc.released == released);
}

/* An origin of a newer hamroh, whose commits we make by hand. */
struct crafter {
	uint8_t		pk[NODE_KEY_LEN];
	uint8_t		sk[NODE_SK_LEN];
	uint64_t	seq;
	uint8_t		prev[COMMIT_HASH_LEN];
};

/* One field change of a crafted commit. */
struct cf {
	const char		*coll;
	const uint8_t		*id;
	const char		*field;
	struct val		v;
	size_t			nseen;
	const struct stamp	*seen;
};

/*
 * Append to ${out} the next commit of ${o}, stamped ${hlc}, made of the
 * ${n} changes ${ch} (consecutive changes of one record go together).
 */
static void
craft(struct crafter *o, uint64_t hlc, const struct cf *ch, size_t n,
    struct cmlist *out)
{
	struct rchange rc[8];
	struct fchange fc[8];
	struct commit cm;
	msgpack_sbuffer sb;
	uint8_t sig[NODE_SIG_LEN];
	size_t i;

	REQ(n > 0 && n <= 8);
	memset(&cm, 0, sizeof(cm));
	memset(rc, 0, sizeof(rc));
	memset(fc, 0, sizeof(fc));
	memcpy(cm.origin, o->pk, NODE_KEY_LEN);
	cm.seq = ++o->seq;
	cm.hlc = hlc;
	memcpy(cm.prev, o->prev, COMMIT_HASH_LEN);
	cm.rec = rc;
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(ch[i].coll, ch[i - 1].coll) != 0 ||
		    memcmp(ch[i].id, ch[i - 1].id, SCHEMA_ID_LEN) != 0) {
			rc[cm.nrec].coll = ch[i].coll;
			rc[cm.nrec].coll_len = strlen(ch[i].coll);
			memcpy(rc[cm.nrec].id, ch[i].id, SCHEMA_ID_LEN);
			rc[cm.nrec].f = &fc[i];
			cm.nrec++;
		}
		fc[i].field = ch[i].field;
		fc[i].field_len = strlen(ch[i].field);
		fc[i].v = ch[i].v;
		fc[i].nseen = ch[i].nseen;
		fc[i].seen = (struct stamp *)(uintptr_t)ch[i].seen;
		rc[cm.nrec - 1].nf++;
	}
	msgpack_sbuffer_init(&sb);
	REQ(commit_encode(&cm, &sb) == 0);
	commit_hash((const uint8_t *)sb.data, sb.size, o->prev);
	commit_sign(o->prev, o->sk, sig);
	cmlist_push(out, (const uint8_t *)sb.data, sb.size, sig);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * Commits of a newer hamroh carry a field ("priority", "rank") and a
 * collection ("cases") this version does not know.  They apply, the
 * unknown fields merge like any other (conflict, then resolution) and
 * show in the export; everything is relayed verbatim, so a node that
 * only ever talked to us ends up with the same view.
 */
static void
test_unknown_fields_relayed(void **state)
{
	struct node *b = &nodes[0], *c = &nodes[1];
	struct crafter d, e;
	struct cmlist l = { NULL, 0, 0 };
	struct buf x = { NULL, 0, 0 }, y = { NULL, 0, 0 };
	struct stamp seen[2];
	struct conf_get g;
	uint8_t id[SCHEMA_ID_LEN], idc[SCHEMA_ID_LEN], seed[32];
	char err[STORE_ERRLEN];
	struct cf d1[] = {
		{ "consultations", id, "status", vstr("open"), 0, NULL },
		{ "consultations", id, "priority", vstr("high"), 0, NULL },
		{ "consultations", id, "rank", vint(7), 0, NULL },
		{ "cases", idc, "title", vstr("a case"), 0, NULL },
	};
	struct cf e1[] = {
		{ "consultations", id, "priority", vstr("mid"), 0, NULL },
	};
	struct cf d2[] = {
		{ "consultations", id, "priority", vstr("low"), 2, seen },
	};
	long bad;

	(void)state;
	rnd_seed(7);
	node_open(b, NULL, T0_MS);
	node_open(c, NULL, T0_MS);
	memset(&d, 0, sizeof(d));
	memset(&e, 0, sizeof(e));
	rnd_bytes(seed, sizeof(seed));
	REQ(crypto_sign_seed_keypair(d.pk, d.sk, seed) == 0);
	rnd_bytes(seed, sizeof(seed));
	REQ(crypto_sign_seed_keypair(e.pk, e.sk, seed) == 0);
	rnd_bytes(id, SCHEMA_ID_LEN);
	rnd_bytes(idc, SCHEMA_ID_LEN);

	/* D and E set priority without seeing each other. */
	craft(&d, (T0_MS - 1000) << 16, d1, NELEM(d1), &l);
	craft(&e, (T0_MS - 500) << 16, e1, NELEM(e1), &l);
	REQ(counts_are(deliver_all(b, &l), 2, 0, 0, 0, 0));
	assert_field(b, id, "priority", "s3:mid");
	assert_field(b, id, "rank", "i7");
	assert_field(b, id, "status", "s4:open");
	get_conflict(b, &g);
	REQ(g.n == 1 && g.nh == 2 && strcmp(g.field, "priority") == 0);
	REQ(strcmp(g.s[0], "mid") == 0 && strcmp(g.s[1], "high") == 0);
	check_node(b, NULL);

	/* B edits a known field; D, having seen both, settles priority. */
	write1(b, id, "status", vstr("closed"));
	seen[0].hlc = (T0_MS - 1000) << 16;
	memcpy(seen[0].origin, d.pk, NODE_KEY_LEN);
	seen[1].hlc = (T0_MS - 500) << 16;
	memcpy(seen[1].origin, e.pk, NODE_KEY_LEN);
	cmlist_free(&l);
	craft(&d, T0_MS << 16, d2, NELEM(d2), &l);
	REQ(counts_are(deliver_all(b, &l), 1, 0, 0, 0, 0));
	assert_field(b, id, "priority", "s3:low");
	assert_field(b, id, "status", "s6:closed");
	REQ(nconflicts(b, &x) == 0);
	check_node(b, NULL);

	/* C only ever hears from B, and sees what B sees. */
	send_all(b, c);
	REQ(status(c).commits == 4 && status(c).origins == 3);
	x.n = 0;
	check_node(b, &x);
	check_node(c, &y);
	REQ(strcmp(buf_str(&x), buf_str(&y)) == 0);
	REQ(strstr(buf_str(&y), " priority=s3:low") != NULL);
	REQ(strstr(buf_str(&y), " rank=i7") != NULL);
	REQ(db_verify(c->db, stderr, err) == 0);
	OK(db_rebuild(c->db, err));
	y.n = 0;
	check_node(c, &y);
	REQ(strcmp(buf_str(&x), buf_str(&y)) == 0);
	bad = db_verify(b->db, stderr, err);
	REQ(bad == 0);

	cmlist_free(&l);
	buf_free(&x);
	buf_free(&y);
}

/*
 * Commits 3 and 2 of A arrive before 1: held (and not shown), a repeat of
 * a held one is a duplicate; when 1 arrives, 2 and 3 are released.
 */
static void
test_gap_held_then_released(void **state)
{
	struct node *a = &nodes[0], *b = &nodes[1];
	struct cmlist l = { NULL, 0, 0 };
	struct buf ea = { NULL, 0, 0 }, eb = { NULL, 0, 0 };
	uint8_t id[SCHEMA_ID_LEN];

	(void)state;
	rnd_seed(4);
	node_open(a, NULL, T0_MS);
	node_open(b, NULL, T0_MS - 2 * DAY_MS);
	rnd_bytes(id, SCHEMA_ID_LEN);

	write1(a, id, "status", vstr("open"));
	write1(a, id, "topic", vstr("family"));
	write1(a, id, "status", vstr("closed"));
	collect(a, &l);
	REQ(l.n == 3);

	REQ(counts_are(apply1(b, &l.v[2]), 0, 0, 1, 0, 0));
	REQ(counts_are(apply1(b, &l.v[2]), 0, 1, 0, 0, 0));
	REQ(counts_are(apply1(b, &l.v[1]), 0, 0, 1, 0, 0));
	REQ(status(b).held == 2 && status(b).commits == 0);
	store_export(b, &eb);
	REQ(eb.n == 0);			/* Held commits do not show. */

	REQ(counts_are(apply1(b, &l.v[0]), 1, 0, 0, 0, 2));
	REQ(status(b).held == 0 && status(b).commits == 3);
	REQ(counts_are(apply1(b, &l.v[0]), 0, 1, 0, 0, 0));
	REQ(counts_are(apply1(b, &l.v[2]), 0, 1, 0, 0, 0));
	assert_field(b, id, "status", "s6:closed");
	assert_field(b, id, "topic", "s6:family");

	eb.n = 0;
	check_node(a, &ea);
	check_node(b, &eb);
	REQ(strcmp(buf_str(&ea), buf_str(&eb)) == 0);

	/* A's own commits sent back to it are duplicates. */
	REQ(counts_are(deliver_all(a, &l), 0, 3, 0, 0, 0));
	cmlist_free(&l);
	buf_free(&ea);
	buf_free(&eb);
}

/* A node's store export and its verify, which must find nothing. */
static void
export_verified(struct node *n, struct buf *b)
{
	char err[STORE_ERRLEN];
	FILE *f;
	long bad;

	if ((f = tmpfile()) == NULL)
		die("tmpfile: %s", strerror(errno));
	bad = db_verify(n->db, f, err);
	fclose(f);
	if (bad != 0)
		die("db_verify: %ld problems: %s", bad, bad < 0 ? err : "");
	b->n = 0;
	store_export(n, b);
}

/*
 * A2 is a copy of A's key on another database (a restored backup, a
 * cloned disk): its commits 1 and 2 differ from A's.  Whoever holds one
 * line and meets the other keeps both, and applies neither from the
 * first seq signed twice (here 1: nothing of A counts).  A tampered
 * commit is refused outright.
 */
static void
test_fork_detected(void **state)
{
	struct node *a = &nodes[0], *a2 = &nodes[1], *b = &nodes[2];
	struct node *c = &nodes[3];
	struct cmlist la = { NULL, 0, 0 }, l2 = { NULL, 0, 0 };
	struct buf eb = { NULL, 0, 0 };
	struct db_counts dc;
	struct cm bad;
	char err[STORE_ERRLEN];
	uint8_t id[SCHEMA_ID_LEN];

	(void)state;
	rnd_seed(5);
	node_open(a, NULL, T0_MS);
	node_open(a2, a->sk, T0_MS);
	node_open(b, NULL, T0_MS);
	node_open(c, NULL, T0_MS);
	REQ(memcmp(a->pk, a2->pk, NODE_KEY_LEN) == 0);
	rnd_bytes(id, SCHEMA_ID_LEN);

	write1(a, id, "status", vstr("open"));
	write1(a, id, "status", vstr("referred"));
	write1(a2, id, "status", vstr("closed"));
	write1(a2, id, "summary", vstr("forked"));
	collect(a, &la);
	collect(a2, &l2);
	REQ(la.n == 2 && l2.n == 2);

	/* B holds A's 1: A2's 1 and 2 are forks; then A's 2 is kept. */
	REQ(counts_are(apply1(b, &la.v[0]), 1, 0, 0, 0, 0));
	assert_field(b, id, "status", "s4:open");
	REQ(counts_are(apply1(b, &l2.v[0]), 0, 0, 0, 1, 0));
	REQ(counts_are(apply1(b, &l2.v[1]), 0, 0, 0, 1, 0));
	REQ(counts_are(apply1(b, &l2.v[0]), 0, 0, 0, 1, 0));
	REQ(counts_are(apply1(b, &la.v[1]), 1, 0, 0, 0, 0));
	REQ(counts_are(apply1(b, &l2.v[1]), 0, 0, 0, 1, 0));
	REQ(status(b).forks == 1 && status(b).commits == 2);
	export_verified(b, &eb);
	REQ(eb.n == 0);			/* Seq 1 was signed twice. */

	/* C holds A2's 2 (a gap): A's 2 forks with the held one. */
	REQ(counts_are(apply1(c, &l2.v[1]), 0, 0, 1, 0, 0));
	REQ(counts_are(apply1(c, &la.v[1]), 0, 0, 0, 1, 0));
	REQ(status(c).forks == 1 && status(c).held == 1);
	/* A's 1 is kept, but held A2's 2 does not extend it: a fork too. */
	dc = apply1(c, &la.v[0]);
	REQ(dc.applied == 1 && dc.released == 0 && dc.fork == 1);
	REQ(status(c).held == 0 && status(c).commits == 1);
	export_verified(c, &eb);
	REQ(eb.n == 0);

	/* Tampering: a flipped signature or body bit is refused. */
	bad = la.v[1];
	if ((bad.body = malloc(bad.len)) == NULL)
		die("out of memory");
	memcpy(bad.body, la.v[1].body, bad.len);
	bad.sig[0] ^= 1;
	memset(&dc, 0, sizeof(dc));
	OK(db_begin(c->db, tick(c), err));
	REQ(db_apply(c->db, bad.body, bad.len, bad.sig, &dc, err) == -1);
	db_rollback(c->db);
	bad.sig[0] ^= 1;
	bad.body[bad.len - 1] ^= 1;
	OK(db_begin(c->db, tick(c), err));
	REQ(db_apply(c->db, bad.body, bad.len, bad.sig, &dc, err) == -1);
	db_rollback(c->db);
	REQ(counts_are(dc, 0, 0, 0, 0, 0));
	free(bad.body);
	REQ(status(c).commits == 1);
	REQ(counts_are(apply1(c, &la.v[1]), 1, 0, 0, 0, 0));
	export_verified(c, &eb);
	REQ(eb.n == 0);

	cmlist_free(&la);
	cmlist_free(&l2);
	buf_free(&eb);
}

/* ---- Forks converge. ---- */

struct vecl {
	uint8_t		key[64][NODE_KEY_LEN];
	uint64_t	seq[64];
	size_t		n;
};

static int
vecl_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct vecl *v = arg;

	REQ(v->n < 64);
	memcpy(v->key[v->n], key, NODE_KEY_LEN);
	v->seq[v->n++] = seq;
	return (0);
}

struct vsync {
	struct vecl	v;
	struct cmlist	l;
};

static int
vsync_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct vsync *vs = arg;

	cmlist_push(&vs->l, body, len, sig);
	return (0);
}

static uint64_t
vecl_have(void *arg, const uint8_t *key)
{
	struct vecl *v = &((struct vsync *)arg)->v;
	size_t i;

	for (i = 0; i < v->n; i++)
		if (memcmp(v->key[i], key, NODE_KEY_LEN) == 0)
			return (v->seq[i]);
	return (0);
}

/* What a session from ${from} sends ${to}: above ${to}'s vector. */
static void
sync_vec(struct node *from, struct node *to)
{
	static struct vsync vs;
	char err[STORE_ERRLEN];

	memset(&vs, 0, sizeof(vs));
	OK(db_vector(to->db, vecl_cb, &vs.v, err));
	OK(db_commits_since(from->db, vecl_have, vsync_cb, &vs, err));
	(void)deliver_all(to, &vs.l);
	cmlist_free(&vs.l);
}

struct proofs {
	struct node	*to;
	int		learned;
};

static int
proof_cb(void *arg, const struct db_fork *f)
{
	struct proofs *p = arg;
	char err[STORE_ERRLEN];
	uint64_t seq;
	bool learned;

	OK(db_begin(p->to->db, tick(p->to), err));
	OK(db_fork_proof(p->to->db, f->a, f->alen, f->asig, f->b, f->blen,
	    f->bsig, &seq, &learned, err));
	OK(db_commit(p->to->db, err));
	REQ(seq == f->seq);
	p->learned += learned;
	return (0);
}

static struct node *proofs_from;

static int
fork_each_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	char err[STORE_ERRLEN];

	(void)seq;
	REQ(db_fork_get(proofs_from->db, origin, proof_cb, arg, err) == 1);
	return (0);
}

/* Send ${to} the fork proofs ${from} holds; how many taught it. */
static int
send_proofs(struct node *from, struct node *to)
{
	struct proofs p = { to, 0 };
	char err[STORE_ERRLEN];

	proofs_from = from;
	OK(db_forks(from->db, fork_each_cb, &p, err));
	return (p.learned);
}

/* Deliver ${l} to ${n} in the order of ${idx}, a permutation. */
static void
deliver_perm(struct node *n, const struct cmlist *l)
{
	size_t *idx, i, j, t;
	struct db_counts tot;

	if ((idx = calloc(l->n + 1, sizeof(*idx))) == NULL)
		die("out of memory");
	for (i = 0; i < l->n; i++)
		idx[i] = i;
	for (i = l->n; i > 1; i--) {
		j = (size_t)rnd_below(i);
		t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
	memset(&tot, 0, sizeof(tot));
	deliver(n, l, idx, l->n, &tot);
	free(idx);
}

/*
 * A and its copy A2 share seqs 1 and 2, then write branches of 3 and 2
 * commits; P writes over what A's branch wrote, having seen it.  Nodes
 * that get every commit in any order, and the two that meet only by
 * vectors (each holding one branch, so only the longer branch's tip
 * crosses) and swap fork proofs, all end with the same state: A frozen
 * at seq 2, both branches kept, P's writes standing.  A itself learns it
 * and refuses to write.
 */
static void
test_fork_converges(void **state)
{
	struct node *a = &nodes[0], *a2 = &nodes[1], *p = &nodes[2];
	struct node *x = &nodes[3], *y = &nodes[4], *z = &nodes[5];
	struct cmlist la = { NULL, 0, 0 }, l2 = { NULL, 0, 0 };
	struct cmlist all = { NULL, 0, 0 };
	struct buf e0 = { NULL, 0, 0 }, e = { NULL, 0, 0 };
	char err[STORE_ERRLEN];
	uint8_t r1[SCHEMA_ID_LEN], r2[SCHEMA_ID_LEN], r3[SCHEMA_ID_LEN];
	size_t i, k, round;

	(void)state;
	rnd_seed(11);
	node_open(a, NULL, T0_MS);
	node_open(a2, a->sk, T0_MS);
	node_open(p, NULL, T0_MS + 500);
	rnd_bytes(r1, SCHEMA_ID_LEN);
	rnd_bytes(r2, SCHEMA_ID_LEN);
	rnd_bytes(r3, SCHEMA_ID_LEN);
	write1(a, r1, "status", vstr("open"));
	write1(a, r1, "topic", vstr("patent"));
	sync_vec(a, a2);
	a2->now = a->now;
	/* The branches. */
	write1(a, r1, "status", vstr("closed"));
	write1(a, r2, "status", vstr("open"));
	write1(a, r1, "summary", vstr("branch A"));
	write1(a2, r1, "status", vstr("referred"));
	write1(a2, r3, "status", vstr("open"));
	/* P saw A's branch and wrote over it, and wrote its own. */
	sync_vec(a, p);
	write1(p, r1, "status", vstr("referred"));
	write1(p, r2, "topic", vstr("family"));
	collect(a, &la);
	collect(a2, &l2);
	REQ(la.n == 5 && l2.n == 4);

	/* Every commit, in two random orders, to fresh nodes. */
	for (k = 0; k < 2; k++) {
		struct node *n = k == 0 ? z : x;

		node_open(n, NULL, T0_MS);
		cmlist_free(&all);
		collect(a, &all);
		collect(a2, &all);
		collect(p, &all);
		deliver_perm(n, &all);
		REQ(status(n).forks == 1);
		export_verified(n, k == 0 ? &e0 : &e);
		if (k == 1 && strcmp(buf_str(&e0), buf_str(&e)) != 0)
			die_diff("two orders of the same commits",
			    buf_str(&e0), buf_str(&e));
		if (k == 0)
			continue;
		node_close(n);
	}
	/* A stands to seq 2, P's writes stand, nothing of either branch. */
	assert_field(z, r1, "topic", "s6:patent");
	assert_field(z, r2, "topic", "s6:family");
	assert_field(z, r1, "status", "s8:referred");

	/*
	 * By vectors only: X holds A's branch and P, Y holds A2's; Y gets
	 * A's tip only (seq 5), proves seq 4, and the proof walks to 3.
	 */
	node_open(x, NULL, T0_MS);
	node_open(y, NULL, T0_MS);
	sync_vec(a, x);
	sync_vec(p, x);
	sync_vec(a2, y);
	assert_field(y, r3, "status", "s4:open");
	for (round = 0; round < 8; round++) {
		sync_vec(x, y);
		sync_vec(y, x);
		if (send_proofs(x, y) + send_proofs(y, x) == 0 && round > 0)
			break;
	}
	REQ(round < 8);
	for (i = 0; i < 2; i++) {
		export_verified(i == 0 ? x : y, &e);
		if (strcmp(buf_str(&e0), buf_str(&e)) != 0)
			die_diff("a node that met the fork by vectors",
			    buf_str(&e0), buf_str(&e));
	}

	/* The forked node learns it too, and writes no more. */
	send_proofs(y, a);
	sync_vec(y, a);
	sync_vec(x, a);
	REQ(status(a).forks == 1);
	export_verified(a, &e);
	if (strcmp(buf_str(&e0), buf_str(&e)) != 0)
		die_diff("the forked node", buf_str(&e0), buf_str(&e));
	OK(db_begin(a->db, tick(a), err));
	put(a, r1, "status", &(struct val){ VAL_STR, 0, "open", 4 });
	REQ(db_commit(a->db, err) != 0);
	REQ(strstr(err, "two different histories") != NULL);

	cmlist_free(&la);
	cmlist_free(&l2);
	cmlist_free(&all);
	buf_free(&e0);
	buf_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_seen_beats_clock, teardown),
		cmocka_unit_test_teardown(test_concurrent_conflict_and_resolve,
		    teardown),
		cmocka_unit_test_teardown(test_delete_and_concurrent_edit,
		    teardown),
		cmocka_unit_test_teardown(test_write_before_what_it_saw,
		    teardown),
		cmocka_unit_test_teardown(test_unknown_fields_relayed,
		    teardown),
		cmocka_unit_test_teardown(test_gap_held_then_released,
		    teardown),
		cmocka_unit_test_teardown(test_fork_detected, teardown),
		cmocka_unit_test_teardown(test_fork_converges, teardown),
		cmocka_unit_test_teardown(test_random_histories, teardown),
	};

	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return (1);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * status.c: the status operation (agent/ops/node.h): what this node
 * holds, whether its agent runs, what other offices acknowledged of it,
 * its clocks and certificate; peer rows and ended members through
 * callbacks.  The words and the JSON are the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "agent/access/member.h"
#include "agent/codec/hex.h"
#include "agent/daemon/pidlock.h"
#include "agent/ops/node.h"
#include "agent/ops/ops_int.h"
#include "agent/sync/acked.h"
#include "store/hlc.h"
#include "store/query.h"

/* What each peer acknowledged, against this node's vector now. */
struct ack_sum {
	uint8_t		peer[NODE_KEY_LEN];
	uint64_t	at_ms;
	uint64_t	lacking;	/* Changes held here it has not acked. */
	uint64_t	own;		/* Our own origin's seq it acked. */
};

struct ops_acks {
	const uint8_t	*me;
	struct acked_ent *vec;		/* This node's vector. */
	size_t		nvec, cvec;
	struct ack_sum	*acks;
	size_t		nacks;
	uint64_t	own_seq;	/* Of this node's own origin. */
	uint64_t	own_acked;	/* The most any peer acknowledged. */
};

static int
vec_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct ops_acks *x = arg;
	struct acked_ent *p;

	if (x->nvec == x->cvec) {
		x->cvec = x->cvec ? 2 * x->cvec : 64;
		if ((p = realloc(x->vec, x->cvec * sizeof(*p))) == NULL)
			return (-1);
		x->vec = p;
	}
	memcpy(x->vec[x->nvec].origin, origin, NODE_KEY_LEN);
	x->vec[x->nvec++].seq = seq;
	if (x->me != NULL && memcmp(origin, x->me, NODE_KEY_LEN) == 0)
		x->own_seq = seq;
	return (0);
}

static int
ack_cb(void *arg, const struct acked *a)
{
	struct ops_acks *x = arg;
	struct ack_sum *p, *q;
	uint64_t h;
	size_t i;

	if ((p = realloc(x->acks, (x->nacks + 1) * sizeof(*p))) == NULL)
		return (-1);
	x->acks = p;
	q = &p[x->nacks++];
	memcpy(q->peer, a->peer, NODE_KEY_LEN);
	q->at_ms = a->at_ms;
	q->lacking = 0;
	for (i = 0; i < x->nvec; i++)
		if ((h = acked_seq(a, x->vec[i].origin)) < x->vec[i].seq)
			q->lacking += x->vec[i].seq - h;
	q->own = x->me != NULL ? acked_seq(a, x->me) : 0;
	if (q->own > x->own_acked)
		x->own_acked = q->own;
	return (0);
}

/*
 * What status counts from acknowledged vectors: this node's vector and
 * each peer's last acknowledgement (agent/sync/acked.h).
 */
static void
acks_load(struct ops *o, struct ops_status_res *r)
{
	struct ops_acks *x = r->acks;
	char err[STORE_ERRLEN];

	x->me = db_node_key(o->db);
	db_read_begin(o->db);
	if (db_vector(o->db, vec_cb, x, err) || acked_each(o->db, ack_cb, x))
		r->acks_err = true;
	db_read_end(o->db);
	if (x->own_acked > x->own_seq)
		x->own_acked = x->own_seq;
	r->own_seq = x->own_seq;
	r->unacked = x->own_seq - x->own_acked;
}

/* The newest observation of each node (they come newest first). */
struct skew_ctx {
	struct ops		*o;
	struct ops_status_res	*r;
	uint8_t			last[NODE_KEY_LEN];
	bool			any;
};

static int
skew_cb(void *arg, const struct db_clock *c)
{
	struct skew_ctx *x = arg;
	struct ops_status_res *r = x->r;
	const uint8_t *me = db_node_key(x->o->db);
	struct ops_clock_row *k;
	int64_t off = c->offset_ms;

	if (x->any && memcmp(x->last, c->subject, NODE_KEY_LEN) == 0)
		return (0);
	x->any = true;
	memcpy(x->last, c->subject, NODE_KEY_LEN);
	if ((off < 0 ? -off : off) <= HLC_SKEW_MS)
		return (0);
	if (r->nclocks == OPS_STATUS_CLOCKS) {
		r->clocks_more++;
		return (0);
	}
	k = &r->clocks[r->nclocks++];
	hex_encode(c->subject, NODE_KEY_LEN, k->key);
	query_node_name(x->o->db, c->subject, k->name, sizeof(k->name));
	if (me != NULL && memcmp(c->observer, me, NODE_KEY_LEN) == 0)
		snprintf(k->by, sizeof(k->by), "this node");
	else
		query_node_name(x->o->db, c->observer, k->by, sizeof(k->by));
	k->self = me != NULL && memcmp(c->subject, me, NODE_KEY_LEN) == 0;
	k->offset_ms = off;
	k->at_ms = c->at_ms;
	snprintf(k->via, sizeof(k->via), "%s", c->via);
	return (0);
}

/*
 * The days until this node's certificate expires (negative: since), or
 * INT64_MAX if it holds none.
 */
static int64_t
cert_days(struct db *db, uint64_t now, char *expires, size_t len)
{
	struct member_rec r;
	struct tm tm;
	time_t end;

	expires[0] = '\0';
	if (db_node_key(db) == NULL || member_load(db, db_node_key(db),
	    &r) != 1 || strlen(r.expires) != MEMBER_DATE_LEN)
		return (INT64_MAX);
	memset(&tm, 0, sizeof(tm));
	if (sscanf(r.expires, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday) != 3)
		return (INT64_MAX);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	snprintf(expires, len, "%s", r.expires);
	/* Valid to the end of its day. */
	end = timegm(&tm) + 86400;
	return (((int64_t)end * 1000 - (int64_t)now) / 86400000);
}

static int
count_conflict(void *arg, const struct cview *cv)
{
	long *n = arg;

	(void)cv;
	(*n)++;
	return (0);
}

int
ops_status(struct ops *o, struct ops_status_res *r, struct ops_err *e)
{
	char err[STORE_ERRLEN];
	struct skew_ctx sk;

	memset(e, 0, sizeof(*e));
	memset(r, 0, sizeof(*r));
	r->now = ops_now(o);
	if ((r->acks = calloc(1, sizeof(*r->acks))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if (db_status(o->db, &r->s, err)) {
		ops_status_free(r);
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	}
	if (db_node_key(o->db) != NULL)
		hex_encode(db_node_key(o->db), NODE_KEY_LEN, r->id);
	if (db_meta_get(o->db, "center", r->center, sizeof(r->center)))
		r->center[0] = '\0';
	r->in_network = db_meta_get(o->db, "role", r->role,
	    sizeof(r->role)) == 0;
	if (!r->in_network)
		snprintf(r->role, sizeof(r->role), "not in a network");
	if (query_conflicts(o->db, count_conflict, &r->conflicts, err) < 0)
		r->conflicts = 0;
	/* How far ahead of our clock the newest foreign commit is. */
	if (hlc_ms(r->s.max_foreign_hlc) > r->now)
		r->ahead_ms = (int64_t)(hlc_ms(r->s.max_foreign_hlc) - r->now);
	memset(&sk, 0, sizeof(sk));
	sk.o = o;
	sk.r = r;
	if (db_clocks(o->db, skew_cb, &sk, err) < 0)
		r->nclocks = r->clocks_more = 0;
	r->cert_days = *r->role ? cert_days(o->db, r->now, r->cert_expires,
	    sizeof(r->cert_expires)) : INT64_MAX;
	r->running = agent_running(o->dir, &r->since_ms) == 1;
	acks_load(o, r);
	return (0);
}

void
ops_status_free(struct ops_status_res *r)
{

	if (r->acks != NULL) {
		free(r->acks->vec);
		free(r->acks->acks);
		free(r->acks);
	}
	r->acks = NULL;
}

static const struct ack_sum *
ack_of(const struct ops_acks *x, const uint8_t *key)
{
	size_t i;

	for (i = 0; x != NULL && i < x->nacks; i++)
		if (memcmp(x->acks[i].peer, key, NODE_KEY_LEN) == 0)
			return (&x->acks[i]);
	return (NULL);
}

struct peers_ctx {
	struct ops			*o;
	const struct ops_status_res	*r;
	ops_status_peer_fn			fn;
	void				*arg;
};

static int
peer_cb(void *arg, const struct peer_status *ps)
{
	struct peers_ctx *x = arg;
	struct db *db = x->o->db;
	const struct ack_sum *a = ack_of(x->r->acks, ps->key);
	struct ops_status_peer row;
	struct member_rec m;
	char why[8192], admin[OPS_KEY_HEX];

	memset(&row, 0, sizeof(row));
	row.ps = ps;
	hex_encode(ps->key, NODE_KEY_LEN, row.key);
	/* (The agent may have written the row since ${now} was read.) */
	row.stale = ps->updated + OPS_STATUS_STALE_MS < x->r->now;
	row.acked = a != NULL;
	row.in_sync = a != NULL && a->lacking == 0 && !x->r->acks_err;
	row.acked_ms = a != NULL ? a->at_ms : 0;
	row.lacking = a != NULL ? a->lacking : 0;
	row.ended = member_ended(db, ps->key, x->r->now, why, sizeof(why));
	/* Not reached yet: the name its members record gives its key. */
	if (*ps->name)
		row.shown = ps->name;
	else if (member_load(db, ps->key, &m) == 1 &&
	    strcmp(m.key, row.key) == 0 && *m.name)
		row.shown = m.name;
	else if (db_meta_get(db, "admin_key", admin, sizeof(admin)) == 0 &&
	    strcmp(admin, row.key) == 0)
		row.shown = "the admin";
	else
		row.shown = "";
	return (x->fn(x->arg, &row));
}

int
ops_status_peers(struct ops *o, const struct ops_status_res *r,
    ops_status_peer_fn fn, void *arg, struct ops_err *e)
{
	struct peers_ctx x = { o, r, fn, arg };
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	if (db_peer_status(o->db, peer_cb, &x, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

struct ended_ctx {
	struct ops			*o;
	const struct ops_status_res	*r;
	ops_ended_fn			fn;
	void				*arg;
};

static int
ended_cb(void *arg, const uint8_t *key)
{
	struct ended_ctx *x = arg;
	struct ops_ended_row row;
	struct member_rec m;
	char why[512];

	if (!member_ended(x->o->db, key, x->r->now, why, sizeof(why)))
		return (0);
	hex_encode(key, NODE_KEY_LEN, row.key);
	row.name = member_load(x->o->db, key, &m) == 1 &&
	    strcmp(m.key, row.key) == 0 ? m.name : "";
	row.why = why;
	return (x->fn(x->arg, &row));
}

int
ops_status_ended(struct ops *o, const struct ops_status_res *r,
    ops_ended_fn fn, void *arg, struct ops_err *e)
{
	struct ended_ctx x = { o, r, fn, arg };

	memset(e, 0, sizeof(*e));
	if (member_each(o->db, ended_cb, &x) == -1)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	return (0);
}

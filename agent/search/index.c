/*
 * index.c: the search index of the consultations a ring may read
 * (index.h), over the in-memory FTS5 store (store/fts.h).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/codec/hex.h"
#include "agent/search/index.h"
#include "store/fts.h"

struct search_index {
	struct fts		*fts;
	const struct coll_def	*c;
	const struct field_def	*case_f;	/* NULL: the id. */
	size_t			plain;
	uint32_t		serial;		/* Records put: order keys. */
	char			*buf, *tbuf;	/* Documents being made. */
	size_t			cap, tcap;
};

/* One confidential field, opened. */
struct opened {
	const char	*s;
	size_t		len;
	char		*tofree;
};

int
search_open(struct search_index **xp, char err[STORE_ERRLEN])
{
	struct search_index *x;

	*xp = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	x->c = schema_coll(SEARCH_COLL);
	x->case_f = schema_field(x->c, SEARCH_CASE_FIELD,
	    strlen(SEARCH_CASE_FIELD));
	if (fts_open(&x->fts, err)) {
		free(x);
		return (-1);
	}
	*xp = x;
	return (0);
}

void
search_close(struct search_index *x)
{

	if (x == NULL)
		return;
	fts_close(x->fts);
	if (x->buf != NULL) {
		sodium_memzero(x->buf, x->cap);
		free(x->buf);
	}
	if (x->tbuf != NULL) {
		sodium_memzero(x->tbuf, x->tcap);
		free(x->tbuf);
	}
	sodium_memzero(x, sizeof(*x));
	free(x);
}

static const struct val *
field(const struct rview *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return (r->f[i].v.t == VAL_STR ? &r->f[i].v : NULL);
	return (NULL);
}

static void
opened_free(struct opened *o)
{

	if (o->tofree != NULL) {
		sodium_memzero(o->tofree, o->len);
		free(o->tofree);
	}
	memset(o, 0, sizeof(*o));
}

/*
 * Field ${name} of ${r} in clear into ${o} (absent: empty).  Return 0, or
 * 1 if ${ring} opens it not (or it is malformed).
 */
static int
open_field(const struct conf *ring, const struct rview *r, const char *name,
    struct opened *o)
{
	const struct val *v = field(r, name);

	memset(o, 0, sizeof(*o));
	if (v == NULL)
		return (0);
	if (!conf_sealed(v->s, v->len)) {
		o->s = v->s;
		o->len = v->len;
		return (0);
	}
	if (conf_open(ring, r->id, name, v->s, v->len, &o->tofree, &o->len))
		return (1);
	o->s = o->tofree;
	return (0);
}

/* May ${ring} read record ${r}: its center's key held (or no keys). */
static bool
center_held(const struct conf *ring, const struct rview *r)
{
	const struct val *v = field(r, "center");
	char center[CONF_CENTER_MAX + 1];

	if (ring->n == 0)
		return (true);
	if (v == NULL || v->len > CONF_CENTER_MAX)
		return (false);
	memcpy(center, v->s, v->len);
	center[v->len] = '\0';
	return (conf_current(ring, center) != NULL);
}

/* Room for ${need} bytes in document buffer ${b} (of ${cap}). */
static int
room(char **b, size_t *cap, size_t need, char err[STORE_ERRLEN])
{
	char *nb;

	if (need <= *cap)
		return (0);
	if (need < 4096)
		need = 4096;
	if ((nb = malloc(need)) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	if (*b != NULL) {
		sodium_memzero(*b, *cap);
		free(*b);
	}
	*b = nb;
	*cap = need;
	return (0);
}

/* The keys document of ${r} (name, phone, case number) in x->buf. */
static int
keys_doc(struct search_index *x, const struct rview *r,
    const struct opened *name, const struct opened *phone, size_t *len,
    char err[STORE_ERRLEN])
{
	const struct val *cv = x->case_f ? field(r, x->case_f->name) : NULL;
	char hex[2 * SCHEMA_ID_LEN + 1];
	const char *cs = hex;
	size_t cl = 2 * SCHEMA_ID_LEN, o;

	if (cv != NULL) {
		cs = cv->s;
		cl = cv->len;
	} else
		hex_encode(r->id, SCHEMA_ID_LEN, hex);
	if (room(&x->buf, &x->cap, search_fold_room(name->len) +
	    search_fold_room(phone->len) + search_fold_room(cl), err))
		return (-1);
	o = search_fold_words(name->s, name->len, x->buf);
	o += search_fold_phone(phone->s, phone->len, x->buf + o);
	o += search_fold_words(cs, cl, x->buf + o);
	x->plain += name->len + phone->len + cl;
	*len = o;
	return (0);
}

/* The text document of ${r} (the summary's words) in x->tbuf. */
static int
text_doc(struct search_index *x, const struct opened *sum, size_t *len,
    char err[STORE_ERRLEN])
{

	if (room(&x->tbuf, &x->tcap, search_fold_room(sum->len), err))
		return (-1);
	*len = search_fold_words(sum->s, sum->len, x->tbuf);
	x->plain += sum->len;
	return (0);
}

/* The order key of a record of date ${d}: newest first, then latest put. */
static int64_t
order_of(struct search_index *x, const struct val *d)
{
	int64_t y = 0, m, dd;
	const char *s;
	int i;

	if (++x->serial == 0)
		x->serial = 1;
	if (d == NULL || d->len < 10)
		return ((int64_t)x->serial);
	s = d->s;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return ((int64_t)x->serial);
	for (i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	dd = (s[8] - '0') * 10 + (s[9] - '0');
	return ((y * 416 + m * 32 + dd) << 32 | x->serial);
}

/*
 * The documents of the ${stages} of ${r} into x->buf (keys) and x->tbuf
 * (text, when SEARCH_TEXT), their lengths and its order key.  Return 0,
 * 1 if ${ring} may not read it, -1 with ${err}.
 */
static int
make_docs(struct search_index *x, const struct conf *ring,
    const struct rview *r, enum search_stage stages, size_t *kl, size_t *tl,
    int64_t *order, char err[STORE_ERRLEN])
{
	struct opened name, phone, sum;
	int rc = 1;

	memset(&name, 0, sizeof(name));
	memset(&phone, 0, sizeof(phone));
	memset(&sum, 0, sizeof(sum));
	*kl = *tl = 0;
	if (r->deleted || !center_held(ring, r))
		return (1);
	if (open_field(ring, r, "client_name", &name) ||
	    open_field(ring, r, "client_phone", &phone))
		goto out;
	if ((stages & SEARCH_TEXT) && open_field(ring, r, "summary", &sum))
		goto out;
	rc = -1;
	if (keys_doc(x, r, &name, &phone, kl, err))
		goto out;
	if ((stages & SEARCH_TEXT) && text_doc(x, &sum, tl, err))
		goto out;
	*order = order_of(x, field(r, "opened_at"));
	rc = 0;
out:
	opened_free(&name);
	opened_free(&phone);
	opened_free(&sum);
	return (rc);
}

/* A record read by a build, its documents kept until they are sorted. */
struct pend {
	int64_t		order;
	uint8_t		id[SCHEMA_ID_LEN];
	char		*doc;		/* Keys, then text. */
	size_t		kl, tl;
};

struct build {
	struct search_index	*x;
	struct fts		*nf;	/* The fresh index. */
	const struct conf	*ring;
	enum search_stage	stages;
	struct pend		*p;
	size_t			n, cap;
	char			*err;
};

static int
build_cb(void *arg, const struct rview *r)
{
	struct build *b = arg;
	struct pend *p;
	size_t kl, tl;
	int64_t order;
	int rc;

	if ((rc = make_docs(b->x, b->ring, r, b->stages, &kl, &tl, &order,
	    b->err)) != 0)
		return (rc < 0);
	/* The map in the store's order, rising ids: appended. */
	if (fts_map(b->nf, r->id, order, b->err))
		return (1);
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 4096;
		if ((p = realloc(b->p, b->cap * sizeof(*p))) == NULL)
			goto nomem;
		b->p = p;
	}
	p = &b->p[b->n];
	if ((p->doc = malloc(kl + tl + 1)) == NULL)
		goto nomem;
	memcpy(p->doc, b->x->buf, kl);
	if (tl)
		memcpy(p->doc + kl, b->x->tbuf, tl);
	p->kl = kl;
	p->tl = tl;
	p->order = order;
	memcpy(p->id, r->id, SCHEMA_ID_LEN);
	b->n++;
	return (0);
nomem:
	snprintf(b->err, STORE_ERRLEN, "out of memory");
	return (1);
}

static int
pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;

	return (x->order < y->order ? -1 : x->order > y->order);
}

int
search_build(struct search_index *x, struct db *db, const struct conf *ring,
    enum search_stage stages, char err[STORE_ERRLEN])
{
	struct build b;
	struct fts *nf = NULL;
	size_t i;
	long n;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	b.x = x;
	b.ring = ring;
	b.stages = stages;
	b.err = err;
	err[0] = '\0';
	x->plain = 0;
	if (fts_open(&nf, err) || fts_begin(nf, err))
		goto out;
	b.nf = nf;
	if ((n = query_records(db, x->c, NULL, NULL, 0, false, build_cb, &b,
	    err)) < 0 || err[0] != '\0')
		goto out;
	/* In rising order keys: FTS5 appends, never re-sorts. */
	if (b.n > 0)		/* qsort(NULL, 0): undefined (UBSan). */
		qsort(b.p, b.n, sizeof(*b.p), pend_cmp);
	for (i = 0; i < b.n; i++)
		if (fts_append(nf, b.p[i].id, b.p[i].order, b.p[i].doc,
		    b.p[i].kl, (stages & SEARCH_TEXT) ? b.p[i].doc + b.p[i].kl :
		    NULL, b.p[i].tl, err))
			goto out;
	if (fts_commit(nf, err))
		goto out;
	fts_close(x->fts);
	x->fts = nf;
	nf = NULL;
	rc = 0;
out:
	fts_close(nf);
	for (i = 0; i < b.n; i++) {
		sodium_memzero(b.p[i].doc, b.p[i].kl + b.p[i].tl);
		free(b.p[i].doc);
	}
	free(b.p);
	return (rc);
}

int
search_put(struct search_index *x, const struct conf *ring,
    const struct rview *r, char err[STORE_ERRLEN])
{
	size_t kl, tl;
	int64_t order;
	int rc;

	if ((rc = make_docs(x, ring, r, SEARCH_ALL, &kl, &tl, &order, err)) <
	    0)
		return (-1);
	if (rc == 1)
		return (search_remove(x, r->id, err));
	return (fts_put(x->fts, r->id, order, x->buf, kl, x->tbuf, tl, err));
}

struct upd {
	struct search_index	*x;
	const struct conf	*ring;
	int			rc;
	char			*err;
};

static int
update_cb(void *arg, const struct rview *r)
{
	struct upd *u = arg;

	u->rc = search_put(u->x, u->ring, r, u->err);
	return (1);
}

int
search_update(struct search_index *x, struct db *db, const struct conf *ring,
    const uint8_t id[SCHEMA_ID_LEN], char err[STORE_ERRLEN])
{
	struct upd u = { x, ring, 0, err };
	long n;

	if ((n = query_records(db, x->c, id, NULL, 0, false, update_cb, &u,
	    err)) < 0)
		return (-1);
	if (n == 0)
		return (search_remove(x, id, err));
	return (u.rc);
}

int
search_remove(struct search_index *x, const uint8_t id[SCHEMA_ID_LEN],
    char err[STORE_ERRLEN])
{

	return (fts_remove(x->fts, id, err));
}

long
search_query(struct search_index *x, const struct search_terms *q,
    size_t limit, int (*fn)(void *, const uint8_t *), void *arg,
    char err[STORE_ERRLEN])
{

	return (fts_query(x->fts, q->t, q->len, q->n, limit, fn, arg, err));
}

long
search_count(struct search_index *x)
{

	return (fts_count(x->fts));
}

size_t
search_plain_bytes(const struct search_index *x)
{

	return (x->plain);
}

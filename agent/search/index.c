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
	char			*buf;		/* A document being made. */
	size_t			cap;
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

static int
room(struct search_index *x, size_t need, char err[STORE_ERRLEN])
{
	char *b;

	if (need <= x->cap)
		return (0);
	if (need < 4096)
		need = 4096;
	if ((b = malloc(need)) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	if (x->buf != NULL) {
		sodium_memzero(x->buf, x->cap);
		free(x->buf);
	}
	x->buf = b;
	x->cap = need;
	return (0);
}

/* The keys document of ${r}: name, phone, case number. */
static int
put_keys(struct search_index *x, const struct rview *r,
    const struct opened *name, const struct opened *phone,
    const struct val *date, char err[STORE_ERRLEN])
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
	if (room(x, search_fold_room(name->len) + search_fold_room(phone->len) +
	    search_fold_room(cl), err))
		return (-1);
	o = search_fold_words(name->s, name->len, x->buf);
	o += search_fold_phone(phone->s, phone->len, x->buf + o);
	o += search_fold_words(cs, cl, x->buf + o);
	x->plain += name->len + phone->len + cl;
	return (fts_put(x->fts, r->id, date ? date->s : "", date ? date->len :
	    0, FTS_KEYS, x->buf, o, err));
}

static int
put_text(struct search_index *x, const struct rview *r,
    const struct opened *sum, const struct val *date, char err[STORE_ERRLEN])
{
	size_t o;

	if (room(x, search_fold_room(sum->len), err))
		return (-1);
	o = search_fold_words(sum->s, sum->len, x->buf);
	x->plain += sum->len;
	return (fts_put(x->fts, r->id, date ? date->s : "", date ? date->len :
	    0, FTS_TEXT, x->buf, o, err));
}

/* Index the ${stages} of ${r}; 1 if ${ring} may not read it. */
static int
index_record(struct search_index *x, const struct conf *ring,
    const struct rview *r, enum search_stage stages, char err[STORE_ERRLEN])
{
	struct opened name, phone, sum;
	const struct val *date = field(r, "opened_at");
	int rc = 1;

	memset(&name, 0, sizeof(name));
	memset(&phone, 0, sizeof(phone));
	memset(&sum, 0, sizeof(sum));
	if (r->deleted || !center_held(ring, r))
		return (1);
	if ((stages & SEARCH_KEYS) && (open_field(ring, r, "client_name",
	    &name) || open_field(ring, r, "client_phone", &phone)))
		goto out;
	if ((stages & SEARCH_TEXT) && open_field(ring, r, "summary", &sum))
		goto out;
	rc = -1;
	if ((stages & SEARCH_KEYS) && put_keys(x, r, &name, &phone, date, err))
		goto out;
	if ((stages & SEARCH_TEXT) && put_text(x, r, &sum, date, err))
		goto out;
	rc = 0;
out:
	opened_free(&name);
	opened_free(&phone);
	opened_free(&sum);
	return (rc);
}

struct build {
	struct search_index	*x;
	const struct conf	*ring;
	enum search_stage	stages;
	bool			failed;
	char			*err;
};

static int
build_cb(void *arg, const struct rview *r)
{
	struct build *b = arg;

	if (index_record(b->x, b->ring, r, b->stages, b->err) < 0) {
		b->failed = true;
		return (1);
	}
	return (0);
}

int
search_build(struct search_index *x, struct db *db, const struct conf *ring,
    enum search_stage stages, char err[STORE_ERRLEN])
{
	struct build b = { x, ring, stages, false, err };

	if (fts_begin(x->fts, err))
		return (-1);
	if (query_records(db, x->c, NULL, NULL, 0, false, build_cb, &b,
	    err) < 0 || b.failed) {
		(void)fts_commit(x->fts, (char[STORE_ERRLEN]){ 0 });
		return (-1);
	}
	return (fts_commit(x->fts, err));
}

int
search_put(struct search_index *x, const struct conf *ring,
    const struct rview *r, char err[STORE_ERRLEN])
{
	int rc;

	if ((rc = index_record(x, ring, r, SEARCH_ALL, err)) < 0)
		return (-1);
	return (rc == 1 ? search_remove(x, r->id, err) : 0);
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

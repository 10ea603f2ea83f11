/*
 * search.c: the search operation (search.h) over agent/search/'s index.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/codec/hex.h"
#include "agent/ops/ops_int.h"
#include "agent/ops/search.h"

static int
parse(const struct ops_search_args *a, struct search_terms *q,
    struct ops_err *e)
{
	char n[16];

	switch (search_parse_query(a->text ? a->text : "", a->text ? a->len :
	    0, q)) {
	case SEARCH_PARSE_OK:
		return (0);
	case SEARCH_PARSE_EMPTY:
		return (ops_fail(e, OPS_USAGE, OPS_MSG_SEARCH_EMPTY, 0));
	case SEARCH_PARSE_LONG:
		snprintf(n, sizeof(n), "%d", SEARCH_QUERY_MAX);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_SEARCH_LONG, 1, n));
	case SEARCH_PARSE_MANY:
		break;
	}
	snprintf(n, sizeof(n), "%d", SEARCH_MAX_TERMS);
	return (ops_fail(e, OPS_USAGE, OPS_MSG_SEARCH_MANY, 1, n));
}

int
ops_search_build(struct ops *o, struct search_index **xp, struct ops_err *e)
{
	struct conf *ring;
	char err[STORE_ERRLEN];

	*xp = NULL;
	if ((ring = ops_ring(o, e)) == NULL)
		return (-1);
	if (search_open(xp, err) ||
	    search_build(*xp, o->db, ring, SEARCH_ALL, err)) {
		search_close(*xp);
		*xp = NULL;
		ops_fail(e, OPS_STORE, OPS_MSG_SEARCH_INDEX, 1, err);
		snprintf(e->cause, sizeof(e->cause), "%s", err);
		return (-1);
	}
	return (0);
}

struct found {
	struct ops	*o;
	struct conf	*ring;
	ops_hit_fn	fn;
	void		*arg;
	size_t		n, limit;
	bool		stopped, more, nomem;
	uint8_t		(*ids)[SCHEMA_ID_LEN];
};

static int
id_cb(void *arg, const uint8_t *id)
{
	struct found *f = arg;

	if (f->n == f->limit) {
		f->more = true;
		return (1);
	}
	memcpy(f->ids[f->n++], id, SCHEMA_ID_LEN);
	return (0);
}

/* Field ${name} of ${r} as text, revealed; "" if unset. */
static const char *
text(struct found *f, const struct rview *r, const char *name, char **tofree)
{
	struct val v;
	char *s;
	size_t i;

	*tofree = NULL;
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0)
			break;
	if (i == r->nf || r->f[i].v.t != VAL_STR)
		return ("");
	conf_reveal(f->ring, r->id, name, strlen(name), &r->f[i].v, &v,
	    tofree);
	if ((s = malloc(v.len + 1)) == NULL) {
		f->nomem = true;
		return ("");
	}
	memcpy(s, v.s, v.len);
	s[v.len] = '\0';
	if (*tofree != NULL) {
		sodium_memzero(*tofree, strlen(*tofree));
		free(*tofree);
	}
	*tofree = s;
	return (s);
}

enum { T_CASE, T_DATE, T_CENTER, T_TOPIC, T_STATUS, T_NAME, T_N };
static const char *const shown[T_N] = { SEARCH_CASE_FIELD, "opened_at",
    "center", "topic", "status", "client_name" };

static int
hit_cb(void *arg, const struct rview *r)
{
	struct found *f = arg;
	struct ops_hit h;
	char hex[2 * SCHEMA_ID_LEN + 1], *tofree[T_N];
	const char *s[T_N];
	int i, ret;

	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	for (i = 0; i < T_N; i++)
		s[i] = text(f, r, shown[i], &tofree[i]);
	h.id = hex;
	h.case_no = s[T_CASE][0] != '\0' ? s[T_CASE] : hex;
	h.opened_at = s[T_DATE];
	h.center = s[T_CENTER];
	h.topic = s[T_TOPIC];
	h.status = s[T_STATUS];
	h.client_name = s[T_NAME];
	ret = f->nomem ? 1 : f->fn(f->arg, &h);
	for (i = 0; i < T_N; i++)
		if (tofree[i] != NULL) {
			sodium_memzero(tofree[i], strlen(tofree[i]));
			free(tofree[i]);
		}
	f->stopped |= ret != 0;
	return (1);
}

int
ops_search_in(struct ops *o, struct search_index *x,
    const struct ops_search_args *a, ops_hit_fn fn, void *arg, bool *more,
    struct ops_err *e)
{
	const struct coll_def *c = schema_coll(SEARCH_COLL);
	struct search_terms q;
	struct found f;
	char err[STORE_ERRLEN];
	size_t i;
	long n;

	memset(e, 0, sizeof(*e));
	*more = false;
	if (parse(a, &q, e))
		return (-1);
	memset(&f, 0, sizeof(f));
	f.o = o;
	f.fn = fn;
	f.arg = arg;
	f.limit = a->limit ? a->limit : OPS_SEARCH_LIMIT;
	if ((f.ring = ops_ring(o, e)) == NULL) {
		search_terms_wipe(&q);
		return (-1);
	}
	if ((f.ids = calloc(f.limit, SCHEMA_ID_LEN)) == NULL) {
		search_terms_wipe(&q);
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	}
	n = search_query(x, &q, f.limit + 1, id_cb, &f, err);
	search_terms_wipe(&q);
	if (n < 0) {
		free(f.ids);
		ops_fail(e, OPS_STORE, OPS_MSG_SEARCH_INDEX, 1, err);
		snprintf(e->cause, sizeof(e->cause), "%s", err);
		return (-1);
	}
	/* One snapshot: every hit as the store holds it now. */
	db_read_begin(o->db);
	for (i = 0; i < f.n && !f.stopped && !f.nomem; i++)
		if (query_records(o->db, c, f.ids[i], NULL, 0, false, hit_cb,
		    &f, err) < 0) {
			db_read_end(o->db);
			free(f.ids);
			return (ops_store_fail(e, err, OPS_MSG_NONE));
		}
	db_read_end(o->db);
	free(f.ids);
	*more = f.more;
	if (f.nomem)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	return (0);
}

int
ops_search(struct ops *o, const struct ops_search_args *a, ops_hit_fn fn,
    void *arg, bool *more, struct ops_err *e)
{
	struct search_index *x;
	struct search_terms q;
	int r;

	memset(e, 0, sizeof(*e));
	*more = false;
	/* A bad query is refused before any record is read. */
	if (parse(a, &q, e))
		return (-1);
	search_terms_wipe(&q);
	if (ops_search_build(o, &x, e))
		return (-1);
	r = ops_search_in(o, x, a, fn, arg, more, e);
	search_close(x);
	return (r);
}

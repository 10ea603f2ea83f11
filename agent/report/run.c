/*
 * run.c: the report operation (agent/report/run.h).  The counting is one
 * SQL pass in the store (store/report.c, query_report()); here are what
 * may be asked, the derived groupings the store cannot know (a center's
 * region, a referral's kind), the table with its totals, the suppression
 * and the notes.
 */
#include "agent/report/run.h"

#include <stdlib.h>
#include <string.h>

#include "agent/access/confidential.h"
#include "agent/codec/hex.h"
#include "agent/ops/cases.h"
#include "agent/ops/centers.h"
#include "agent/ops/users.h"
#include "agent/report/suppress.h"
#include "store/query.h"

#define COLL	"consultations"

/* The age bands of every report: the one table. */
const struct report_band report_bands[] = {
	{ 0, "0-17", "under 18" },
	{ 18, "18-24", "18–24" },
	{ 25, "25-34", "25–34" },
	{ 35, "35-44", "35–44" },
	{ 45, "45-54", "45–54" },
	{ 55, "55-64", "55–64" },
	{ 65, "65+", "65+" },
};
const size_t report_nbands = sizeof(report_bands) / sizeof(report_bands[0]);

/*
 * The named layouts.  The quarterly one is what the ministry's form asks:
 * people served by destination country (rows) and sex (columns), one
 * table per quarter of the period; give --from and --to of one quarter
 * for that quarter's form.
 */
static const struct report_layout layouts[] = {
	{ "quarterly", OPS_MSG_REPORT_L_QUARTERLY,
	  { "destination", "client_sex", "quarter" }, NULL, false },
	{ "topic-sex", OPS_MSG_REPORT_L_TOPIC_SEX,
	  { "topic", "client_sex", NULL }, NULL, false },
	{ "center-month", OPS_MSG_REPORT_L_CENTER_MONTH,
	  { "center", "month", NULL }, NULL, false },
	{ "referrals", OPS_MSG_REPORT_L_REFERRALS,
	  { "referred_kind", "status", NULL }, NULL, true },
};

const struct report_layout *
report_layouts(size_t *n)
{

	*n = sizeof(layouts) / sizeof(layouts[0]);
	return (layouts);
}

const struct report_layout *
report_layout(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (strcmp(layouts[i].name, name) == 0)
			return (&layouts[i]);
	return (NULL);
}

/* A grouping: a field as stored or one derived from one. */
enum dkind {
	DK_FIELD, DK_MONTH, DK_QUARTER, DK_YEAR, DK_AGE, DK_REGION, DK_REFKIND
};

static const struct {
	const char	*name;
	enum dkind	k;
} derived[] = {
	{ "month", DK_MONTH }, { "quarter", DK_QUARTER }, { "year", DK_YEAR },
	{ "age_band", DK_AGE }, { "region", DK_REGION },
	{ "referred_kind", DK_REFKIND },
};

/* A clear field of consultations, or fail naming what is wrong. */
static const struct field_def *
clear_field(const char *name, struct ops_err *e)
{
	const struct coll_def *c = schema_coll(COLL);
	const struct field_def *f;
	char cut[48];

	snprintf(cut, sizeof(cut), "%.40s", name);
	if (name[0] == '_' || (f = schema_field(c, name, strlen(name))) ==
	    NULL) {
		ops_fail(e, OPS_USAGE, OPS_MSG_REPORT_FIELD_UNKNOWN, 1, cut);
		return (NULL);
	}
	/* Ciphertext, and the person's own words: never in a report. */
	if (conf_secret(c, f)) {
		ops_fail(e, OPS_USAGE, OPS_MSG_REPORT_CONFIDENTIAL, 1, cut);
		return (NULL);
	}
	return (f);
}

static int
dim_kind(const char *name, enum dkind *k, struct ops_err *e)
{
	size_t i;

	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
		if (strcmp(derived[i].name, name) == 0) {
			*k = derived[i].k;
			return (0);
		}
	*k = DK_FIELD;
	return (clear_field(name, e) == NULL ? -1 : 0);
}

static bool
date_ok(const char *s)
{
	const struct field_def *f = schema_field(schema_coll(COLL),
	    "opened_at", 9);
	char why[128];
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = s;
	v.len = strlen(s);
	return (v.len == 10 && schema_check(f, &v, why, sizeof(why)) == 0);
}

/* The groupings ${a} asks, its layout's or its own; ${*n} of them. */
static const char *const *
groupings(const struct report_args *a, size_t *n)
{
	const struct report_layout *l;

	if (a->name != NULL && (l = report_layout(a->name)) != NULL) {
		for (*n = 0; *n < REPORT_MAX_DIMS && l->by[*n] != NULL; (*n)++)
			;
		return (l->by);
	}
	*n = a->nby;
	return (a->by);
}

int
ops_report_check(const struct report_args *a, struct ops_err *e)
{
	const char *const *by;
	struct ops_field f;
	struct val v;
	const struct field_def *fd;
	enum dkind k;
	char cut[48];
	size_t i, j, n;

	memset(e, 0, sizeof(*e));
	if (a->name != NULL && report_layout(a->name) == NULL) {
		snprintf(cut, sizeof(cut), "%.40s", a->name);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_REPORT_UNKNOWN, 1,
		    cut));
	}
	if (a->name != NULL && a->nby > 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_REPORT_BY_LAYOUT, 1,
		    a->name));
	by = groupings(a, &n);
	if (n > REPORT_MAX_DIMS)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_REPORT_TOO_MANY_BY, 0));
	for (i = 0; i < n; i++) {
		if (dim_kind(by[i], &k, e))
			return (-1);
		for (j = 0; j < i; j++)
			if (strcmp(by[i], by[j]) == 0)
				return (ops_fail(e, OPS_USAGE,
				    OPS_MSG_REPORT_BY_TWICE, 1, by[i]));
	}
	if (a->nfilters > REPORT_MAX_FILTERS)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_REPORT_TOO_MANY_FILTERS,
		    0));
	for (i = 0; i < a->nfilters; i++) {
		snprintf(cut, sizeof(cut), "%.*s", (int)(a->filters[i].name_len
		    > 40 ? 40 : a->filters[i].name_len), a->filters[i].name);
		if (strcmp(cut, "region") == 0)
			continue;
		if (dim_kind(cut, &k, e))
			return (-1);
		if (k != DK_FIELD)
			return (ops_fail(e, OPS_USAGE,
			    OPS_MSG_REPORT_FILTER_DERIVED, 1, cut));
		f = a->filters[i];
		if (ops_field(schema_coll(COLL), &f, &fd, &v, e))
			return (-1);
	}
	if (a->on != NULL && strcmp(a->on, "opened_at") != 0 &&
	    strcmp(a->on, "closed_on") != 0) {
		snprintf(cut, sizeof(cut), "%.40s", a->on);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_REPORT_ON, 1, cut));
	}
	if (a->count != NULL && strcmp(a->count, "consultations") != 0 &&
	    strcmp(a->count, "persons") != 0) {
		snprintf(cut, sizeof(cut), "%.40s", a->count);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_REPORT_COUNT, 1, cut));
	}
	if (a->from != NULL && !date_ok(a->from)) {
		snprintf(cut, sizeof(cut), "%.40s", a->from);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_REPORT_DATE, 2,
		    "--from", cut));
	}
	if (a->to != NULL && !date_ok(a->to)) {
		snprintf(cut, sizeof(cut), "%.40s", a->to);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_REPORT_DATE, 2,
		    "--to", cut));
	}
	if (a->from != NULL && a->to != NULL && strcmp(a->from, a->to) > 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_REPORT_FROM_TO, 2,
		    a->from, a->to));
	return (0);
}

/* ---- Collecting the groups the store counted. */

struct grow {
	char		*code[REPORT_MAX_DIMS];
	uint64_t	n;
};

struct collect {
	size_t		ng;
	enum dkind	k[REPORT_MAX_DIMS];
	struct grow	*row;
	size_t		nrow, cap;
	bool		nomem;
};

static char *
code_of(const struct val *v, enum dkind k)
{
	char buf[32];

	if (v->t == VAL_NIL)
		return (strdup(""));
	if (v->t == VAL_STR)
		return (strndup(v->s, v->len));
	if (k == DK_AGE && v->i >= 0 && (size_t)v->i < report_nbands)
		return (strdup(report_bands[v->i].code));
	snprintf(buf, sizeof(buf), "%lld", (long long)v->i);
	return (strdup(buf));
}

static int
collect_cb(void *arg, const struct val *v, uint64_t n)
{
	struct collect *c = arg;
	struct grow *g;
	size_t i;

	if (c->nrow == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		if ((g = realloc(c->row, c->cap * sizeof(*g))) == NULL) {
			c->nomem = true;
			return (1);
		}
		c->row = g;
	}
	g = &c->row[c->nrow];
	memset(g, 0, sizeof(*g));
	g->n = n;
	c->nrow++;
	for (i = 0; i < c->ng; i++)
		if ((g->code[i] = code_of(&v[i], c->k[i])) == NULL) {
			c->nomem = true;
			return (1);
		}
	return (0);
}

static void
collect_free(struct collect *c)
{
	size_t i, d;

	for (i = 0; i < c->nrow; i++)
		for (d = 0; d < REPORT_MAX_DIMS; d++)
			free(c->row[i].code[d]);
	free(c->row);
}

/* A code-to-code map: center to region, directory id to kind. */
struct map {
	char	**from, **to;
	size_t	n, cap;
	bool	nomem;
};

static void
map_put(struct map *m, const char *from, const char *to)
{
	char **f, **t;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 16;
		f = realloc(m->from, m->cap * sizeof(*f));
		if (f != NULL)
			m->from = f;
		t = realloc(m->to, m->cap * sizeof(*t));
		if (t != NULL)
			m->to = t;
		if (f == NULL || t == NULL) {
			m->nomem = true;
			return;
		}
	}
	m->from[m->n] = strdup(from);
	m->to[m->n] = strdup(to != NULL ? to : "");
	if (m->from[m->n] == NULL || m->to[m->n] == NULL) {
		free(m->from[m->n]);
		free(m->to[m->n]);
		m->nomem = true;
		return;
	}
	m->n++;
}

static const char *
map_get(const struct map *m, const char *from)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->from[i], from) == 0)
			return (m->to[i]);
	return ("");
}

static void
map_free(struct map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->from[i]);
		free(m->to[i]);
	}
	free(m->from);
	free(m->to);
}

static int
region_cb(void *arg, const struct ops_center *oc)
{

	map_put(arg, oc->code, oc->region);
	return (0);
}

static int
kind_cb(void *arg, const struct rview *r)
{
	char *out = arg;
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "kind") == 0 &&
		    r->f[i].v.t == VAL_STR)
			snprintf(out, 32, "%.*s", (int)r->f[i].v.len,
			    r->f[i].v.s);
	return (0);
}

/* Each row's ${d}th code through the region or referral-kind map. */
static int
derive(struct ops *o, struct collect *c, size_t d, struct ops_err *e)
{
	struct map m;
	uint8_t id[SCHEMA_ID_LEN];
	char kind[32], err[STORE_ERRLEN], *s;
	const char *to;
	long n;
	size_t i;

	memset(&m, 0, sizeof(m));
	if (c->k[d] == DK_REGION && ops_center_list(o, region_cb, &m, &n, e))
		goto fail;
	if (c->k[d] == DK_REFKIND)
		for (i = 0; i < c->nrow; i++) {
			s = c->row[i].code[d];
			if (*s == '\0' || *map_get(&m, s) != '\0')
				continue;
			kind[0] = '\0';
			if (strlen(s) == 2 * SCHEMA_ID_LEN &&
			    hex_decode(s, id, SCHEMA_ID_LEN) == 0 &&
			    query_records(o->db, schema_coll("directory"), id,
			    NULL, 0, true, kind_cb, kind, err) < 0) {
				ops_store_fail(e, err, OPS_MSG_NONE);
				goto fail;
			}
			map_put(&m, s, kind);
		}
	if (m.nomem)
		goto nomem;
	for (i = 0; i < c->nrow; i++) {
		to = map_get(&m, c->row[i].code[d]);
		if ((s = strdup(to)) == NULL)
			goto nomem;
		free(c->row[i].code[d]);
		c->row[i].code[d] = s;
	}
	map_free(&m);
	return (0);
nomem:
	ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0);
fail:
	map_free(&m);
	return (-1);
}

/* ---- The table. */

/* The filters of ${a} as the store takes them: one per field. */
struct qfilters {
	struct query_filter	f[REPORT_MAX_FILTERS];
	struct val		v[REPORT_MAX_FILTERS][REPORT_MAX_FILTERS];
	char			name[REPORT_MAX_FILTERS][48];
	struct map		regions;
	size_t			n;
};


static int
cmp_str(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	/* "Not given" last. */
	if (*x == '\0' || *y == '\0')
		return ((*x == '\0') - (*y == '\0'));
	return (strcmp(x, y));
}

static bool
has(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return (true);
	return (false);
}

/*
 * The values of dimension ${d}: an enum's or the bands all in their
 * order (a form's columns are there also when empty), then what else was
 * seen, sorted, "not given" last.
 */
/* Whether filter ${q} (NULL: none) keeps value ${s}. */
static bool
kept(const struct query_filter *q, const char *s)
{
	size_t i;

	if (q == NULL)
		return (true);
	for (i = 0; i < q->nv; i++)
		if (q->v[i].t == VAL_STR && strlen(s) == q->v[i].len &&
		    memcmp(s, q->v[i].s, q->v[i].len) == 0)
			return (true);
	return (false);
}

static int
dim_values(struct report *r, size_t d, const struct collect *c,
    const char *name, const struct qfilters *qf, struct ops_err *e)
{
	const struct query_filter *q = NULL;
	const struct field_def *f = schema_field(schema_coll(COLL), name,
	    strlen(name));
	struct report_dim *dim = &r->dim[d];
	size_t i, fixed = 0, cap = c->nrow + report_nbands + 32, span = 0;
	char mstr[24], code[40];
	int y0 = 0, m0 = 0, y1 = 0, m1 = 0, y, m;

	/*
	 * A period's months, quarters or years are all columns, also the
	 * empty ones: a form has a column for each.
	 */
	if ((c->k[d] == DK_MONTH || c->k[d] == DK_QUARTER ||
	    c->k[d] == DK_YEAR) && r->from[0] != '\0' && r->to[0] != '\0' &&
	    sscanf(r->from, "%4d-%2d", &y0, &m0) == 2 &&
	    sscanf(r->to, "%4d-%2d", &y1, &m1) == 2 &&
	    (y1 - y0) * 12 + m1 - m0 < REPORT_MAX_VALUES)
		span = (size_t)((y1 - y0) * 12 + m1 - m0 + 1);
	cap += span;
	snprintf(dim->name, sizeof(dim->name), "%s", name);
	if ((dim->value = calloc(cap, sizeof(char *))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if (c->k[d] == DK_AGE)
		for (i = 0; i < report_nbands; i++)
			if ((dim->value[dim->n++] =
			    strdup(report_bands[i].code)) == NULL)
				goto nomem;
	if (c->k[d] == DK_FIELD && f != NULL && f->kind == FK_ENUM)
		for (i = 0; f->enums[i] != NULL && dim->n < cap; i++)
			if ((dim->value[dim->n++] = strdup(f->enums[i])) ==
			    NULL)
				goto nomem;
	fixed = dim->n;
	/* A field filtered on: only the values the filter keeps. */
	for (i = 0; i < qf->n; i++)
		if (strcmp(qf->name[i], name) == 0)
			q = &qf->f[i];
	for (i = fixed = 0; i < dim->n; i++)
		if (kept(q, dim->value[i]))
			dim->value[fixed++] = dim->value[i];
		else
			free(dim->value[i]);
	dim->n = fixed;
	for (i = 0, y = y0, m = m0; i < span; i++) {
		if (c->k[d] == DK_MONTH)
			snprintf(code, sizeof(code), "%04d-%02d", y, m);
		else if (c->k[d] == DK_QUARTER)
			snprintf(code, sizeof(code), "%04d-Q%d", y, (m + 2) / 3);
		else
			snprintf(code, sizeof(code), "%04d", y);
		if (!has(dim->value, dim->n, code) &&
		    (dim->value[dim->n++] = strdup(code)) == NULL)
			goto nomem;
		if (++m == 13) {
			m = 1;
			y++;
		}
	}
	for (i = 0; i < c->nrow; i++) {
		if (has(dim->value, dim->n, c->row[i].code[d]))
			continue;
		if (dim->n == REPORT_MAX_VALUES) {
			snprintf(mstr, sizeof(mstr), "%d", REPORT_MAX_VALUES);
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_REPORT_TOO_MANY_VALUES, 2, name, mstr));
		}
		if ((dim->value[dim->n++] = strdup(c->row[i].code[d])) == NULL)
			goto nomem;
	}
	qsort(dim->value + fixed, dim->n - fixed, sizeof(char *), cmp_str);
	return (0);
nomem:
	return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
}

/* The index of ${s} among dimension ${dim}'s values (few: linear). */
static size_t
value_index(const struct report_dim *dim, const char *s)
{
	size_t i;

	for (i = 0; i < dim->n; i++)
		if (strcmp(dim->value[i], s) == 0)
			break;
	return (i);
}

/* Add every row to its cell and to each margin it is part of. */
static void
fill(struct report *r, const struct collect *c)
{
	size_t idx[REPORT_MAX_DIMS], at[REPORT_MAX_DIMS], i, d;
	unsigned mask;

	for (i = 0; i < c->nrow; i++) {
		for (d = 0; d < r->ndim; d++)
			idx[d] = value_index(&r->dim[d], c->row[i].code[d]);
		for (mask = 0; mask < (1u << r->ndim); mask++) {
			for (d = 0; d < r->ndim; d++)
				at[d] = mask & (1u << d) ? r->dim[d].n : idx[d];
			r->count[report_at(r, at)] += c->row[i].n;
		}
	}
}

/* ---- As of. */

struct asof_ctx {
	struct ops	*o;
	struct report	*r;
	size_t		cap;
	bool		nomem;
};

static int
asof_cb(void *arg, const uint8_t *key, uint64_t ms)
{
	struct asof_ctx *x = arg;
	struct report_asof *a;
	char center[64];
	size_t i;

	query_node_center(x->o->db, key, center, sizeof(center));
	if (center[0] == '\0')
		return (0);
	for (i = 0; i < x->r->ncenters; i++)
		if (strcmp(x->r->asof[i].center, center) == 0) {
			if (ms > x->r->asof[i].ms)
				x->r->asof[i].ms = ms;
			return (0);
		}
	if (x->r->ncenters == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 8;
		if ((a = realloc(x->r->asof, x->cap * sizeof(*a))) == NULL) {
			x->nomem = true;
			return (1);
		}
		x->r->asof = a;
	}
	a = &x->r->asof[x->r->ncenters++];
	snprintf(a->center, sizeof(a->center), "%s", center);
	a->ms = ms;
	return (0);
}

static int
cmp_asof(const void *a, const void *b)
{

	return (strcmp(((const struct report_asof *)a)->center,
	    ((const struct report_asof *)b)->center));
}

/* ---- The operation. */

static struct query_filter *
qfilter(struct qfilters *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (strcmp(q->name[i], name) == 0)
			return (&q->f[i]);
	snprintf(q->name[q->n], sizeof(q->name[0]), "%s", name);
	q->f[q->n].field = q->name[q->n];
	q->f[q->n].v = q->v[q->n];
	q->f[q->n].nv = 0;
	return (&q->f[q->n++]);
}

static int
filters(struct ops *o, const struct report_args *a, struct qfilters *q,
    struct report *r, struct ops_err *e)
{
	const struct field_def *fd;
	struct query_filter *f;
	struct val v;
	char name[48];
	long n;
	size_t i, k, before;

	for (i = 0; i < a->nfilters; i++) {
		snprintf(name, sizeof(name), "%.*s", (int)(a->filters[i].name_len
		    > 40 ? 40 : a->filters[i].name_len), a->filters[i].name);
		snprintf(r->filters[r->nfilters++], sizeof(r->filters[0]),
		    "%s=%.*s", name, (int)(a->filters[i].len > 80 ? 80 :
		    a->filters[i].len), a->filters[i].text);
		if (strcmp(name, "region") != 0) {
			if (ops_field(schema_coll(COLL), &a->filters[i], &fd,
			    &v, e))
				return (-1);
			f = qfilter(q, fd->name);
			if (f->nv < REPORT_MAX_FILTERS)
				q->v[f - q->f][f->nv++] = v;
			continue;
		}
		/* A region is the centers the list puts in it. */
		if (q->regions.n == 0 && !q->regions.nomem &&
		    ops_center_list(o, region_cb, &q->regions, &n, e))
			return (-1);
		f = qfilter(q, "center");
		before = f->nv;
		for (k = 0; k < q->regions.n && f->nv < REPORT_MAX_FILTERS;
		    k++) {
			if (strlen(q->regions.to[k]) != a->filters[i].len ||
			    memcmp(q->regions.to[k], a->filters[i].text,
			    a->filters[i].len) != 0)
				continue;
			memset(&v, 0, sizeof(v));
			v.t = VAL_STR;
			v.s = q->regions.from[k];
			v.len = strlen(v.s);
			q->v[f - q->f][f->nv++] = v;
		}
		if (f->nv == before)
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_REPORT_REGION_UNKNOWN, 1,
			    r->filters[r->nfilters - 1] + 7));
	}
	if (q->regions.nomem)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	return (0);
}

static int
no_suppress_ok(struct ops *o, struct ops_err *e)
{

	if (ops_need_user(o, e))
		return (-1);
	if (o->user.role != USER_ADMIN)
		return (ops_fail(e, OPS_DENIED, OPS_MSG_REPORT_NO_SUPPRESS, 2,
		    o->user.name, user_role_name(o->user.role)));
	return (0);
}

static int
count_cb(void *arg, const struct val *v, uint64_t n)
{

	(void)v;
	*(uint64_t *)arg += n;
	return (0);
}

/* Everything ops_report() does once the node is read-locked. */
static int
build(struct ops *o, const struct report_args *a, struct report *r,
    struct qfilters *qf, struct collect *c, struct ops_err *e)
{
	const struct coll_def *cd = schema_coll(COLL);
	const struct report_layout *l = a->name != NULL ?
	    report_layout(a->name) : NULL;
	const char *const *by;
	struct asof_ctx ax;
	struct query_report q;
	char err[STORE_ERRLEN];
	int64_t lo[16];
	size_t d, n;

	if (filters(o, a, qf, r, e))
		return (-1);
	memset(&q, 0, sizeof(q));
	q.c = cd;
	by = groupings(a, &n);
	for (d = 0; d < report_nbands; d++)
		lo[d] = report_bands[d].lo;
	c->ng = q.ng = n;
	for (d = 0; d < n; d++) {
		dim_kind(by[d], &c->k[d], e);
		q.g[d].field = by[d];
		switch (c->k[d]) {
		case DK_MONTH:
			q.g[d].kind = QG_MONTH;
			q.g[d].field = r->on;
			break;
		case DK_QUARTER:
			q.g[d].kind = QG_QUARTER;
			q.g[d].field = r->on;
			break;
		case DK_YEAR:
			q.g[d].kind = QG_YEAR;
			q.g[d].field = r->on;
			break;
		case DK_AGE:
			q.g[d].kind = QG_BANDS;
			q.g[d].field = "client_age";
			q.g[d].lo = lo;
			q.g[d].nlo = report_nbands;
			break;
		case DK_REGION:
			q.g[d].field = "center";
			break;
		case DK_REFKIND:
			q.g[d].field = "referred_to";
			break;
		default:
			break;
		}
	}
	q.f = qf->f;
	q.nf = qf->n;
	q.on = r->on;
	q.from = a->from;
	q.to = a->to;
	if (l != NULL && l->referred)
		q.given = "referred_to";
	/* Who said no to statistics is not counted (as stats does). */
	if (schema_field(cd, "consent_stats", 13) != NULL && !a->all)
		q.but = "consent_stats";
	/* Counted in the same pass: one scan of the table, not two. */
	r->left_out = 0;
	if (q.but != NULL && !r->persons)
		q.but_n = &r->left_out;
	if (r->persons) {
		q.person = "person";
		q.self = "case_number";
		q.newest = "opened_at";
	}
	if (query_report(o->db, &q, collect_cb, c, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (c->nomem)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	/* Persons: how many were left out, the same filters, consultations. */
	if (q.but != NULL && q.but_n == NULL) {
		q.ng = 0;
		q.only_but = true;
		q.person = NULL;
		if (query_report(o->db, &q, count_cb, &r->left_out, err) < 0)
			return (ops_store_fail(e, err, OPS_MSG_NONE));
	}
	for (d = 0; d < n; d++)
		if ((c->k[d] == DK_REGION || c->k[d] == DK_REFKIND) &&
		    derive(o, c, d, e))
			return (-1);
	for (d = 0; d < n; d++)
		if (dim_values(r, d, c, by[d], qf, e))
			return (-1);
	r->ndim = n;
	if ((r->count = calloc(report_cells(r), sizeof(*r->count))) == NULL ||
	    (r->mark = calloc(report_cells(r), 1)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	fill(r, c);
	memset(&ax, 0, sizeof(ax));
	ax.o = o;
	ax.r = r;
	if (query_origin_newest(o->db, asof_cb, &ax, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (ax.nomem)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if (r->ncenters > 0)
		qsort(r->asof, r->ncenters, sizeof(*r->asof), cmp_asof);
	return (0);
}

int
ops_report(struct ops *o, const struct report_args *a, struct report *r,
    struct ops_err *e)
{
	struct qfilters *qf;
	struct collect c;
	size_t d, n[REPORT_MAX_DIMS], i;
	int rc;

	memset(r, 0, sizeof(*r));
	if (ops_report_check(a, e))
		return (-1);
	if (a->no_suppress && no_suppress_ok(o, e))
		return (-1);
	snprintf(r->title, sizeof(r->title), "%s", a->name ? a->name : "");
	snprintf(r->coll, sizeof(r->coll), "%s", COLL);
	snprintf(r->on, sizeof(r->on), "%s", a->on ? a->on : "opened_at");
	snprintf(r->from, sizeof(r->from), "%s", a->from ? a->from : "");
	snprintf(r->to, sizeof(r->to), "%s", a->to ? a->to : "");
	r->persons = a->count != NULL && strcmp(a->count, "persons") == 0;
	if ((qf = calloc(1, sizeof(*qf))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	memset(&c, 0, sizeof(c));
	db_read_begin(o->db);
	rc = build(o, a, r, qf, &c, e);
	db_read_end(o->db);
	collect_free(&c);
	map_free(&qf->regions);
	free(qf);
	if (rc)
		return (-1);
	if (a->no_suppress)
		/* Who saw the small cells, and which report: local. */
		return (cases_viewed(o, NULL, NULL, REPORT_ACCESS_WHAT,
		    a->name != NULL ? a->name : "(by fields)", e));
	for (d = 0; d < r->ndim; d++)
		n[d] = r->dim[d].n;
	if (r->ndim > 0) {
		if (suppress(r->ndim, n, r->count, r->mark, REPORT_THRESHOLD))
			return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	} else
		for (i = 0; i < report_cells(r); i++)
			r->mark[i] = r->count[i] > 0 && r->count[i] <
			    REPORT_THRESHOLD ? CELL_PRIMARY : CELL_SHOWN;
	r->suppressed = true;
	return (0);
}

const char *
report_value_label(const char *dim, const char *code)
{
	size_t i;

	if (*code == '\0')
		return (ops_template("en", OPS_MSG_REPORT_NOT_GIVEN));
	if (strcmp(dim, "age_band") == 0)
		for (i = 0; i < report_nbands; i++)
			if (strcmp(report_bands[i].code, code) == 0)
				return (report_bands[i].label);
	return (code);
}

struct audit_ctx {
	report_audit_fn	fn;
	void		*arg;
	long		n;
};

static int
audit_cb(void *arg, const struct db_access *a)
{
	struct audit_ctx *x = arg;

	if (strcmp(a->what, REPORT_ACCESS_WHAT) != 0)
		return (0);
	x->n++;
	return (x->fn(x->arg, a->at_ms, a->actor, a->case_number != NULL ?
	    a->case_number : ""));
}

int
ops_report_audit(struct ops *o, report_audit_fn fn, void *arg, long *n,
    struct ops_err *e)
{
	struct audit_ctx x = { fn, arg, 0 };
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	*n = 0;
	if (db_access_each(o->db, audit_cb, &x, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	*n = x.n;
	return (0);
}

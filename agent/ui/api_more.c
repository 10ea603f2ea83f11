/*
 * api_more.c: the API's routes beyond sign-in, search and add (API.md,
 * api_more.h): the schema, a consultation's set, history and conflicts,
 * the list's filters, guides, the directory, centers and the admins'
 * users, invites, revocations, key rotation and access log.  Each runs
 * on a worker through the operations layer, which checks the roles.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/codec/hex.h"
#include "agent/ops/cases.h"
#include "agent/ops/centers.h"
#include "agent/ops/net.h"
#include "agent/ops/users.h"
#include "agent/ui/api_more.h"
#include "store/hlc.h"

/* ---- Query arguments and the body. */

enum MHD_Result
ui_call_arg(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct ui_call *c = arg;
	size_t kl = strlen(key), vl = value != NULL ? strlen(value) : 0;

	(void)kind;
	if (c->nq == UI_QUERY_N || c->qlen + kl + vl + 2 > UI_QUERY_MAX) {
		c->qbad = true;
		return (MHD_YES);
	}
	c->qk[c->nq] = memcpy(c->qbuf + c->qlen, key, kl + 1);
	c->qlen += kl + 1;
	c->qv[c->nq] = memcpy(c->qbuf + c->qlen, value != NULL ? value : "",
	    vl + 1);
	c->qlen += vl + 1;
	c->nq++;
	return (MHD_YES);
}

const char *
ui_qget(const struct ui_call *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nq; i++)
		if (strcmp(c->qk[i], key) == 0)
			return (*c->qv[i] != '\0' ? c->qv[i] : NULL);
	return (NULL);
}

/* A flag: 1 or 0 (absent: 0); -1 (${out} the error) otherwise. */
static int
qflag(const struct ui_call *c, const char *key, bool *on, struct ui_out *out)
{
	const char *v = ui_qget(c, key);

	*on = v != NULL && strcmp(v, "1") == 0;
	if (v != NULL && strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
		ui_out_fail(out, OPS_USAGE, OPS_MSG_UI_QUERY_FLAG, 1, key);
		return (-1);
	}
	return (0);
}

/* A whole number of the query (absent: 0); -1 if not one. */
static int
qsize(const struct ui_call *c, const char *key, size_t *n)
{
	const char *v = ui_qget(c, key);

	*n = 0;
	if (v == NULL)
		return (0);
	if (strlen(v) > 9 || strspn(v, "0123456789") != strlen(v))
		return (-1);
	*n = (size_t)strtoul(v, NULL, 10);
	return (0);
}

/* The query's arguments named ${by} as list filters; how many. */
static size_t
qfilters(const struct ui_call *c, const char *const *by, size_t n,
    struct ops_field *filt)
{
	const char *v;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if ((v = ui_qget(c, by[i])) != NULL) {
			filt[k].name = by[i];
			filt[k].name_len = strlen(by[i]);
			filt[k].text = v;
			filt[k].len = strlen(v);
			k++;
		}
	return (k);
}

/* The body's text ${key}, or NULL (absent or null). */
static const char *
bget(const struct ui_call *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->body.n; i++)
		if (strcmp(c->body.kv[i].key, key) == 0 &&
		    c->body.kv[i].v.t == VAL_STR &&
		    strlen(c->body.kv[i].v.s) == c->body.kv[i].v.len)
			return (c->body.kv[i].v.s);
	return (NULL);
}

/* The body's text ${key}, required: NULL with ${out} the error. */
static const char *
bneed(const struct ui_call *c, const char *key, struct ui_out *out)
{
	const char *s = bget(c, key);

	if (s == NULL)
		ui_out_fail(out, OPS_USAGE, OPS_MSG_UI_BODY_TEXT, 1, key);
	return (s);
}

/* {"KEY": TEXT}, or {} when ${key} is NULL, with ${status}. */
static void
out_one(struct ui_out *out, unsigned status, const char *key,
    const char *text)
{
	FILE *f;

	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	putc('{', f);
	if (key != NULL) {
		ui_put_str(f, key);
		putc(':', f);
		ui_put_str(f, text);
	}
	fputs("}\n", f);
	ui_out_close(out, f, status);
}

/* {"id": ID, "warning": ...} after a write. */
static void
out_written(struct ops *o, struct ui_out *out, unsigned status,
    const char *id)
{
	FILE *f;

	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fputs("{\"id\":", f);
	ui_put_str(f, id);
	fputs(",\"warning\":", f);
	ui_put_str(f, ops_warning(o));
	fputs("}\n", f);
	ui_out_close(out, f, status);
}

/* ---- GET /api/schema. */

static const char *
kind_name(enum field_kind k)
{

	switch (k) {
	case FK_TEXT:
		return ("text");
	case FK_ENUM:
		return ("enum");
	case FK_INT:
		return ("int");
	case FK_DATE:
		return ("date");
	case FK_COUNTRY:
		return ("country");
	case FK_RECID:
		return ("recid");
	case FK_BOOL:
		break;
	}
	return ("bool");
}

static const char *
rule_name(enum rule_kind k)
{

	switch (k) {
	case RULE_REQUIRED:
		return ("required");
	case RULE_NEEDED_WHEN:
		return ("needed_when");
	case RULE_NOT_BEFORE:
		return ("not_before");
	case RULE_NOT_FUTURE:
		return ("not_future");
	case RULE_COUNTRY:
		return ("country");
	case RULE_ONE_OF:
		return ("one_of");
	case RULE_REFERS:
		return ("refers");
	case RULE_INTERNAL:
		break;
	}
	return ("internal");
}

static void
put_list(FILE *f, const char *const *l)
{
	size_t i;

	if (l == NULL) {
		fputs("null", f);
		return;
	}
	putc('[', f);
	for (i = 0; l[i] != NULL; i++) {
		if (i > 0)
			putc(',', f);
		ui_put_str(f, l[i]);
	}
	putc(']', f);
}

static void
put_coll(FILE *f, const struct coll_def *c)
{
	const struct field_def *d;
	const struct rule_def *r;
	bool first = true;

	fputs("{\"fields\":[", f);
	for (d = c->fields; d->name != NULL; d++) {
		if (schema_internal(c, d))
			continue;
		if (!first)
			putc(',', f);
		first = false;
		fputs("{\"name\":", f);
		ui_put_str(f, d->name);
		fprintf(f, ",\"type\":\"%s\",\"required\":%s,\"values\":",
		    kind_name(d->kind), schema_rule(c, d, RULE_REQUIRED) !=
		    NULL ? "true" : "false");
		put_list(f, d->kind == FK_ENUM ? d->enums : NULL);
		fprintf(f, ",\"confidential\":%s,\"max\":%" PRId64,
		    conf_secret(c, d) ? "true" : "false", d->kind == FK_INT ?
		    d->max : (int64_t)d->max_len);
		if (d->kind == FK_INT)
			fprintf(f, ",\"min\":%" PRId64, d->min);
		putc('}', f);
	}
	fputs("],\"rules\":[", f);
	first = true;
	for (r = schema_rule_defs; r->coll != NULL; r++) {
		if (strcmp(r->coll, c->name) != 0 || r->kind == RULE_INTERNAL)
			continue;
		if (!first)
			putc(',', f);
		first = false;
		fprintf(f, "{\"kind\":\"%s\",\"field\":", rule_name(r->kind));
		ui_put_str(f, r->field);
		fputs(",\"other\":", f);
		ui_put_str(f, r->other);
		fputs(",\"value\":", f);
		ui_put_str(f, r->value);
		fputs(",\"values\":", f);
		put_list(f, r->list);
		putc('}', f);
	}
	fputs("]}", f);
}

static void
api_schema(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	const struct coll_def *cd;
	const struct field_def *d;
	bool first = true, any;
	FILE *f;

	(void)o;
	(void)c;
	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fputs("{\"collections\":{", f);
	for (cd = schema_colls; cd->name != NULL; cd++) {
		/* A collection hamroh alone writes (keys) is left out. */
		for (any = false, d = cd->fields; d->name != NULL; d++)
			any |= !schema_internal(cd, d);
		if (!any)
			continue;
		if (!first)
			putc(',', f);
		first = false;
		ui_put_str(f, cd->name);
		putc(':', f);
		put_coll(f, cd);
	}
	fputs("}}\n", f);
	ui_out_close(out, f, 200);
}

/* ---- Consultations. */

static void
api_list(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	static const char *const by[] = { "status", "center", "topic",
	    "person" };
	struct ops_field filt[sizeof(by) / sizeof(by[0])];
	struct ops_read_args a;

	memset(&a, 0, sizeof(a));
	if (qsize(c, "limit", &c->limit) || qsize(c, "offset", &c->offset)) {
		ui_out_fail(out, OPS_USAGE, OPS_MSG_UI_QUERY_NUMBER, 0);
		return;
	}
	if (qflag(c, "mine", &a.mine, out) || qflag(c, "overdue",
	    &a.overdue, out))
		return;
	a.nfilters = qfilters(c, by, sizeof(by) / sizeof(by[0]), filt);
	a.filters = filt;
	a.from = ui_qget(c, "from");
	a.to = ui_qget(c, "to");
	c->read = &a;
	ui_api_list(o, c, out);
	c->read = NULL;
}

/* POST a record's fields: ops_set(); ${c}->added its id for the index. */
static void
set_in(struct ops *o, struct ui_call *c, struct ui_out *out,
    const char *coll)
{
	struct ops_field fields[JSON_MAX_KEYS];
	char nums[JSON_MAX_KEYS][24];
	struct ops_write_args a;
	struct ops_err e;
	uint8_t id[SCHEMA_ID_LEN];

	memset(&a, 0, sizeof(a));
	a.coll = coll;
	a.id = c->seg;
	ui_body_fields(&c->body, fields, nums);
	a.fields = fields;
	a.nfields = c->body.n;
	if (cases_record_id(o, schema_coll(coll), c->seg, id, &e) != 0 ||
	    ops_set(o, &a, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	hex_encode(id, SCHEMA_ID_LEN, c->added);
	out_written(o, out, 200, c->added);
}

static void
api_set(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	set_in(o, c, out, "consultations");
}

struct rows {
	FILE	*f;
	size_t	n;
	struct ops *o;
	struct ui_call *c;
	const uint8_t *id;	/* conflicts: the record's. */
	const char *q;		/* directory: q=, or NULL. */
};

static void
sep(struct rows *s)
{

	if (s->n++ > 0)
		putc(',', s->f);
}

static int
history_cb(void *arg, const struct hview *h, const struct ops_who *w)
{
	struct rows *s = arg;
	char who[1024];

	sep(s);
	fprintf(s->f, "{\"at_ms\":%" PRIu64 ",\"who\":", hlc_ms(h->hlc));
	ui_put_str(s->f, ops_who_text("en", w, who, sizeof(who)));
	fputs(",\"user\":", s->f);
	ui_put_str(s->f, w->has_user ? w->user : NULL);
	fputs(",\"center\":", s->f);
	ui_put_str(s->f, w->center);
	fputs(",\"node\":", s->f);
	ui_put_str(s->f, w->node);
	fputs(",\"field\":", s->f);
	json_put_str(s->f, h->field, h->field_len);
	fputs(",\"value\":", s->f);
	json_put_val(s->f, &h->v);
	putc('}', s->f);
	return (0);
}

/* A listing into ${out} as {"NAME":[...]}: ${run} fills the rows. */
static void
rows_out(struct ops *o, struct ui_call *c, struct ui_out *out,
    const char *name, int (*run)(struct rows *, struct ops_err *))
{
	struct ops_err e;
	struct rows s;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.c = c;
	s.q = ui_qget(c, "q");
	if ((s.f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fprintf(s.f, "{\"%s\":[", name);
	if (run(&s, &e) != 0) {
		fclose(s.f);
		ui_out_err(out, &e);
		return;
	}
	fputs("]}\n", s.f);
	ui_out_close(out, s.f, 200);
}

static int
run_history(struct rows *s, struct ops_err *e)
{
	const struct ui_call *c = s->c;
	struct ops_read_args a;

	memset(&a, 0, sizeof(a));
	a.coll = "consultations";
	a.id = c->seg;
	return (ops_history(s->o, &a, history_cb, s, e));
}

static void
api_history(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	rows_out(o, c, out, "changes", run_history);
}

static int
conflict_cb(void *arg, const struct cview *cv, const char *const *nodes)
{
	struct rows *s = arg;
	struct ops_who w;
	size_t i;

	if (memcmp(cv->id, s->id, SCHEMA_ID_LEN) != 0 ||
	    strcmp(cv->c->name, "consultations") != 0)
		return (0);
	sep(s);
	fputs("{\"field\":", s->f);
	ui_put_str(s->f, cv->field);
	fputs(",\"heads\":[", s->f);
	for (i = 0; i < cv->nh; i++) {
		ops_head_who(s->o, &cv->h[i], &w);
		fputs(i > 0 ? ",{\"value\":" : "{\"value\":", s->f);
		json_put_val(s->f, &cv->h[i].v);
		fputs(",\"user\":", s->f);
		ui_put_str(s->f, w.has_user ? w.user : NULL);
		fputs(",\"center\":", s->f);
		ui_put_str(s->f, w.center);
		fputs(",\"node\":", s->f);
		ui_put_str(s->f, nodes[i]);
		fprintf(s->f, ",\"at_ms\":%" PRIu64 "}", hlc_ms(cv->h[i].hlc));
	}
	fputs("]}", s->f);
	return (0);
}

static int
run_conflicts(struct rows *s, struct ops_err *e)
{
	const struct ui_call *c = s->c;
	uint8_t id[SCHEMA_ID_LEN];

	if (cases_record_id(s->o, schema_coll("consultations"), c->seg, id,
	    e) != 0)
		return (-1);
	s->id = id;
	return (ops_conflicts(s->o, conflict_cb, s, e) < 0 ? -1 : 0);
}

static void
api_conflicts(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	rows_out(o, c, out, "fields", run_conflicts);
}

/* ---- Guides and the directory. */

static const struct val *
field_of(const struct rview *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return (&r->f[i].v);
	return (NULL);
}

static void
put_field(FILE *f, const struct rview *r, const char *name)
{
	const struct val *v = field_of(r, name);
	static const struct val nil = { VAL_NIL, 0, NULL, 0 };

	putc(',', f);
	ui_put_str(f, name);
	putc(':', f);
	json_put_val(f, v != NULL ? v : &nil);
}

/* A guide without (list) or with its body. */
static void
put_guide(struct ops *o, FILE *f, const struct rview *r, bool body)
{
	char hex[2 * SCHEMA_ID_LEN + 1];
	const struct val *b = field_of(r, "body");

	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	fputs("{\"id\":", f);
	ui_put_str(f, hex);
	put_field(f, r, "title");
	put_field(f, r, "language");
	put_field(f, r, "version_label");
	fprintf(f, ",\"published_ms\":%" PRIu64 ",\"size\":%zu",
	    ops_record_ms(o, r), b != NULL && b->t == VAL_STR ? b->len : 0);
	if (body)
		put_field(f, r, "body");
	putc('}', f);
}

static int
guide_cb(void *arg, const struct rview *r, bool stale)
{
	struct rows *s = arg;

	(void)stale;
	sep(s);
	put_guide(s->o, s->f, r, false);
	return (0);
}

static int
run_guides(struct rows *s, struct ops_err *e)
{
	struct ops_read_args a;

	memset(&a, 0, sizeof(a));
	a.coll = "guides";
	return (ops_list(s->o, &a, guide_cb, s, e));
}

static void
api_guides(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	rows_out(o, c, out, "guides", run_guides);
}

static int
guide_one_cb(void *arg, const struct rview *r, bool stale)
{
	struct rows *s = arg;

	(void)stale;
	fputs("{\"guide\":", s->f);
	put_guide(s->o, s->f, r, true);
	fputs("}\n", s->f);
	return (1);
}

static void
api_guide(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_read_args a;
	struct ops_err e;
	struct rows s;

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	a.coll = "guides";
	a.id = c->seg;
	s.o = o;
	if ((s.f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	if (ops_show(o, &a, guide_one_cb, &s, &e) != 0) {
		fclose(s.f);
		ui_out_err(out, &e);
		return;
	}
	ui_out_close(out, s.f, 200);
}

static void
api_guide_publish(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	static const char *const names[] = { "title", "language",
	    "version_label" };
	struct ops_field fields[3];
	struct ops_guide_args a;
	struct ops_err e;
	char hex[2 * SCHEMA_ID_LEN + 1];
	const char *v;
	size_t i;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < 3; i++)
		if ((v = bget(c, names[i])) != NULL) {
			fields[a.nfields].name = names[i];
			fields[a.nfields].name_len = strlen(names[i]);
			fields[a.nfields].text = v;
			fields[a.nfields].len = strlen(v);
			a.nfields++;
		}
	a.fields = fields;
	a.id = bget(c, "id");
	if ((a.body = bneed(c, "body", out)) == NULL)
		return;
	a.body_len = strlen(a.body);
	a.body_name = "body";
	if (ops_guide_publish(o, &a, hex, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	out_written(o, out, 201, hex);
}

/* Whether ${needle} is in one of the entry's text fields, any case. */
static bool
dir_matches(const struct rview *r, const char *needle)
{
	static const char *const in[] = { "name", "city", "notes",
	    "languages", "phone" };
	const struct val *v;
	size_t i, j, n = strlen(needle);

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		if ((v = field_of(r, in[i])) == NULL || v->t != VAL_STR)
			continue;
		for (j = 0; j + n <= v->len; j++)
			if (strncasecmp(v->s + j, needle, n) == 0)
				return (true);
	}
	return (false);
}

static int
dir_cb(void *arg, const struct rview *r, bool stale)
{
	struct rows *s = arg;

	if (s->q != NULL && !dir_matches(r, s->q))
		return (0);
	sep(s);
	ui_put_record(s->f, r, stale);
	return (0);
}

static int
run_directory(struct rows *s, struct ops_err *e)
{
	static const char *const by[] = { "country", "city", "kind" };
	struct ops_field filt[3];
	const struct ui_call *c = s->c;
	struct ops_read_args a;

	memset(&a, 0, sizeof(a));
	a.coll = "directory";
	a.nfilters = qfilters(c, by, 3, filt);
	a.filters = filt;
	return (ops_list(s->o, &a, dir_cb, s, e));
}

static void
api_directory(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	rows_out(o, c, out, "entries", run_directory);
}

static void
api_directory_add(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_field fields[JSON_MAX_KEYS];
	char nums[JSON_MAX_KEYS][24], hex[2 * SCHEMA_ID_LEN + 1];
	struct ops_write_args a;
	struct ops_err e;

	memset(&a, 0, sizeof(a));
	a.coll = "directory";
	ui_body_fields(&c->body, fields, nums);
	a.fields = fields;
	a.nfields = c->body.n;
	if (ops_add(o, &a, hex, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	out_written(o, out, 201, hex);
}

static void
api_directory_set(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	set_in(o, c, out, "directory");
	c->added[0] = '\0';	/* Not a consultation: not in the index. */
}

/* ---- Centers. */

static int
center_cb(void *arg, const struct ops_center *ce)
{
	struct rows *s = arg;

	sep(s);
	fputs("{\"code\":", s->f);
	ui_put_str(s->f, ce->code);
	fputs(",\"name\":", s->f);
	ui_put_str(s->f, ce->name);
	fputs(",\"prefix\":", s->f);
	ui_put_str(s->f, ce->prefix);
	fputs(",\"region\":", s->f);
	ui_put_str(s->f, ce->region);
	fputs(",\"name_tg\":", s->f);
	ui_put_str(s->f, ce->name_tg);
	fputs(",\"name_ru\":", s->f);
	ui_put_str(s->f, ce->name_ru);
	putc('}', s->f);
	return (0);
}

static int
run_centers(struct rows *s, struct ops_err *e)
{
	long n;

	return (ops_center_list(s->o, center_cb, s, &n, e));
}

static void
api_centers(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	rows_out(o, c, out, "centers", run_centers);
}

static void
api_center_add(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_center ce;
	struct ops_err e;
	char prefix[CENTER_PREFIX_LEN + 1];
	FILE *f;

	memset(&ce, 0, sizeof(ce));
	if ((ce.code = bneed(c, "code", out)) == NULL ||
	    (ce.name = bneed(c, "name", out)) == NULL)
		return;
	ce.prefix = bget(c, "prefix");
	ce.region = bget(c, "region");
	ce.name_tg = bget(c, "name_tg");
	ce.name_ru = bget(c, "name_ru");
	if (ops_center_add(o, &ce, prefix, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fputs("{\"code\":", f);
	ui_put_str(f, ce.code);
	fputs(",\"prefix\":", f);
	ui_put_str(f, prefix);
	fputs("}\n", f);
	ui_out_close(out, f, 201);
}

/* ---- Users (node admins; the operations check). */

static int
user_cb(void *arg, const char *name, enum user_role role)
{
	struct rows *s = arg;

	sep(s);
	fputs("{\"name\":", s->f);
	ui_put_str(s->f, name);
	fputs(",\"role\":", s->f);
	ui_put_str(s->f, role == USER_NONE ? "damaged" :
	    user_role_name(role));
	putc('}', s->f);
	return (0);
}

static int
run_users(struct rows *s, struct ops_err *e)
{

	/* The CLI lists them node only; the UI's users page is admins'. */
	if (ops_need_admin(s->o, e) != 0)
		return (-1);
	return (ops_user_list(s->o, user_cb, s, e));
}

static void
api_users(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	rows_out(o, c, out, "users", run_users);
}

static void
api_user_add(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	const char *name, *role, *pass;
	char code[USER_CODE_LEN + 1] = "";
	enum user_role r;
	struct ops_err e;

	if ((name = bneed(c, "name", out)) == NULL ||
	    (role = bneed(c, "role", out)) == NULL ||
	    (pass = bneed(c, "passphrase", out)) == NULL)
		return;
	if ((r = user_role_parse(role)) == USER_NONE) {
		ui_out_fail(out, OPS_USAGE, OPS_MSG_USER_ROLE_INVALID, 1, role);
		return;
	}
	if (ops_user_add(o, name, r, pass, strlen(pass), code, &e) != 0)
		ui_out_err(out, &e);
	else
		out_one(out, 201, *code != '\0' ? "recovery" : NULL, code);
	sodium_memzero(code, sizeof(code));
}

static void
api_user_passwd(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	const char *pass;
	struct ops_err e;

	if ((pass = bneed(c, "passphrase", out)) == NULL)
		return;
	if (ops_user_passwd(o, c->seg, pass, strlen(pass), &e) != 0)
		ui_out_err(out, &e);
	else
		out_one(out, 200, NULL, NULL);
}

static void
api_user_rm(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_err e;

	if (ops_user_rm(o, c->seg, &e) != 0)
		ui_out_err(out, &e);
	else
		out_one(out, 200, NULL, NULL);
}

/* ---- The network (network admins; the operations check). */

static void
api_invite(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_invite_args a;
	struct ops_err e;
	const char *addr;
	const struct val *dv = NULL;
	char *tok = NULL;
	size_t i;
	FILE *f;

	memset(&a, 0, sizeof(a));
	if ((a.key = bneed(c, "key", out)) == NULL ||
	    (a.name = bneed(c, "name", out)) == NULL ||
	    (a.center = bneed(c, "center", out)) == NULL ||
	    (a.role = bneed(c, "role", out)) == NULL)
		return;
	a.days = OPS_INVITE_DAYS;
	for (i = 0; i < c->body.n; i++)
		if (strcmp(c->body.kv[i].key, "expires_days") == 0)
			dv = &c->body.kv[i].v;
	if (dv != NULL && dv->t == VAL_INT) {
		if (dv->i < 1 || dv->i > OPS_INVITE_DAYS_MAX) {
			ui_out_fail(out, OPS_USAGE, OPS_MSG_INVITE_DAYS, 0);
			return;
		}
		a.days = (uint32_t)dv->i;
	} else if (dv != NULL && dv->t != VAL_NIL) {
		ui_out_fail(out, OPS_USAGE, OPS_MSG_UI_BODY_NUMBER, 1,
		    "expires_days");
		return;
	}
	if ((addr = bget(c, "address")) != NULL) {
		a.addrs = &addr;
		a.naddr = 1;
	}
	if (ops_invite_check(&a, &e) != 0 || ops_invite(o, &a, &tok, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	if ((f = ui_out_open(out)) != NULL) {
		fputs("{\"token\":", f);
		ui_put_str(f, tok);
		fputs(",\"dials\":[", f);
		if (addr != NULL)
			ui_put_str(f, addr);
		fputs("]}\n", f);
		ui_out_close(out, f, 201);
	} else
		out->status = 503;
	sodium_free(tok);
}

static void
api_revoke(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_revoke_args a;
	struct ops_revoked r;
	struct ops_err e;
	FILE *f;

	memset(&a, 0, sizeof(a));
	if ((a.key = bneed(c, "key", out)) == NULL ||
	    (a.reason = bneed(c, "reason", out)) == NULL)
		return;
	if (ops_revoke_check(&a, &e) != 0 || ops_revoke(o, &a, &r, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fputs("{\"name\":", f);
	ui_put_str(f, r.name);
	fputs(",\"when\":", f);
	ui_put_str(f, r.when);
	fprintf(f, ",\"upto\":%" PRIu64 "}\n", r.upto);
	ui_out_close(out, f, 200);
}

static void
api_key_rotate(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_key_rotate_args a;
	struct ops_key_rotated r;
	struct ops_err e;
	FILE *f;

	memset(&a, 0, sizeof(a));
	if ((a.center = bneed(c, "center", out)) == NULL)
		return;
	if (ops_key_rotate_check(&a, &e) != 0 ||
	    ops_key_rotate(o, &a, &r, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fprintf(f, "{\"version\":%u,\"sent\":%zu}\n", r.version, r.sent);
	ui_out_close(out, f, 200);
}

/* ---- The access log (node admins, as it is with staff accounts). */

static int
access_cb(void *arg, const struct db_access *a)
{
	struct rows *s = arg;
	char hex[2 * SCHEMA_ID_LEN + 1];

	sep(s);
	fprintf(s->f, "{\"at_ms\":%" PRIu64 ",\"actor\":", a->at_ms);
	ui_put_str(s->f, a->actor);
	fputs(",\"what\":", s->f);
	ui_put_str(s->f, a->what);
	fputs(",\"coll\":", s->f);
	ui_put_str(s->f, a->coll);
	fputs(",\"id\":", s->f);
	if (a->id != NULL)
		hex_encode(a->id, SCHEMA_ID_LEN, hex);
	ui_put_str(s->f, a->id != NULL ? hex : NULL);
	fputs(",\"case_number\":", s->f);
	ui_put_str(s->f, a->case_number);
	putc('}', s->f);
	return (0);
}

static int
run_access(struct rows *s, struct ops_err *e)
{
	long n;

	if (ops_need_admin(s->o, e) != 0)
		return (-1);
	return (ops_access_log(s->o, access_cb, s, &n, e));
}

static void
api_access_log(struct ops *o, struct ui_call *c, struct ui_out *out)
{

	rows_out(o, c, out, "entries", run_access);
}

/* ---- The table. */

static const struct ui_route routes[] = {
	{ "GET", "/api/schema", api_schema, false, false },
	{ "GET", "/api/consultations", api_list, false, false },
	{ "POST", "/api/consultations/*", api_set, true, true },
	{ "GET", "/api/consultations/*/history", api_history, false, false },
	{ "GET", "/api/consultations/*/conflicts", api_conflicts, false,
	    false },
	{ "GET", "/api/guides", api_guides, false, false },
	{ "GET", "/api/guides/*", api_guide, false, false },
	{ "POST", "/api/guides", api_guide_publish, true, true },
	{ "GET", "/api/directory", api_directory, false, false },
	{ "POST", "/api/directory", api_directory_add, true, true },
	{ "POST", "/api/directory/*", api_directory_set, true, true },
	{ "GET", "/api/centers", api_centers, false, false },
	{ "POST", "/api/centers", api_center_add, true, true },
	{ "GET", "/api/users", api_users, false, false },
	{ "POST", "/api/users", api_user_add, true, true },
	{ "POST", "/api/users/*/passwd", api_user_passwd, true, true },
	{ "DELETE", "/api/users/*", api_user_rm, true, false },
	{ "POST", "/api/invite", api_invite, true, true },
	{ "POST", "/api/revoke", api_revoke, true, true },
	{ "POST", "/api/keys/rotate", api_key_rotate, true, true },
	{ "GET", "/api/access-log", api_access_log, false, false },
	{ NULL, NULL, NULL, false, false }
};

/* Whether ${url} is ${path}, its '*' (one non-empty segment) in ${seg}. */
static bool
path_is(const char *path, const char *url, char seg[UI_SEG_MAX])
{
	const char *star = strchr(path, '*');
	size_t pre, n;

	if (star == NULL)
		return (strcmp(path, url) == 0);
	pre = (size_t)(star - path);
	if (strncmp(path, url, pre) != 0)
		return (false);
	url += pre;
	n = strcspn(url, "/");
	if (n == 0 || n >= UI_SEG_MAX || strcmp(url + n, star + 1) != 0)
		return (false);
	memcpy(seg, url, n);
	seg[n] = '\0';
	return (true);
}

const struct ui_route *
ui_route_find(const char *method, const char *url, char seg[UI_SEG_MAX])
{
	const struct ui_route *r;

	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (r = routes; r->method != NULL; r++)
		if (strcmp(r->method, method) == 0 && path_is(r->path, url,
		    seg))
			return (r);
	for (r = ui_report_routes; r->method != NULL; r++)
		if (strcmp(r->method, method) == 0 && path_is(r->path, url,
		    seg))
			return (r);
	return (NULL);
}

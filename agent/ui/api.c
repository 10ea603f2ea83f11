/*
 * api.c: the JSON API's bodies (api.h, API.md): errors in the operations
 * layer's terms, and the record operations the server runs on workers.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/codec/hex.h"
#include "agent/ops/node.h"
#include "agent/ui/api.h"

#define LIST_LIMIT	50	/* Rows a list gives unless asked. */
#define LIST_LIMIT_MAX	500
#define LIST_WINDOW_MAX	10000	/* offset + limit. */

unsigned
ui_http_status(enum ops_code c)
{

	switch (c) {
	case OPS_OK:
		return (200);
	case OPS_USAGE:
	case OPS_BAD_INPUT:
		return (400);
	case OPS_NOT_FOUND:
		return (404);
	case OPS_DENIED:
		return (403);
	case OPS_BUSY:
	case OPS_NOMEM:
		return (503);
	case OPS_STORE:
	case OPS_IO:
	case OPS_ENV:
		break;
	}
	return (500);
}

void
ui_put_str(FILE *f, const char *s)
{

	if (s == NULL)
		fputs("null", f);
	else
		json_put_str(f, s, strlen(s));
}

FILE *
ui_out_open(struct ui_out *o)
{

	free(o->buf);
	o->buf = NULL;
	o->len = 0;
	return (open_memstream(&o->buf, &o->len));
}

void
ui_out_close(struct ui_out *o, FILE *f, unsigned status)
{
	bool bad = f == NULL || ferror(f);

	if (f != NULL && fclose(f) != 0)
		bad = true;
	o->status = status;
	if (bad) {
		free(o->buf);
		o->buf = NULL;
		o->len = 0;
		o->status = 503;
	}
}

/* How many of {1}..{5} the message's template (and tail's) name. */
static int
nargs_of(enum ops_msg k, int n)
{
	const char *t = ops_template("en", k), *p;

	for (p = t; p != NULL && (p = strchr(p, '{')) != NULL; p++)
		if (p[1] >= '1' && p[1] <= '0' + OPS_NARGS && p[2] == '}' &&
		    p[1] - '0' > n)
			n = p[1] - '0';
	return (n);
}

void
ui_out_err(struct ui_out *o, const struct ops_err *e)
{
	char msg[4096];
	FILE *f;
	int i, n;

	n = nargs_of(e->tail, nargs_of(e->key, 0));
	if ((f = ui_out_open(o)) == NULL) {
		o->status = 503;
		return;
	}
	fputs("{\"error\":{\"key\":", f);
	ui_put_str(f, ops_key_name(e->key));
	fputs(",\"args\":[", f);
	for (i = 0; i < n; i++) {
		if (i > 0)
			putc(',', f);
		ui_put_str(f, e->arg[i]);
	}
	putc(']', f);
	if (e->tail != OPS_MSG_NONE) {
		fputs(",\"tail\":", f);
		ui_put_str(f, ops_key_name(e->tail));
	}
	if (e->line > 0)
		fprintf(f, ",\"line\":%zu", e->line);
	fputs(",\"message\":", f);
	ui_put_str(f, ops_text("en", e, msg, sizeof(msg)));
	fputs("}}\n", f);
	ui_out_close(o, f, ui_http_status(e->code));
}

void
ui_out_fail(struct ui_out *o, enum ops_code c, enum ops_msg k, int n, ...)
{
	struct ops_err e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	va_start(ap, n);
	ops_vfail(&e, c, k, n, ap);
	va_end(ap);
	ui_out_err(o, &e);
}

/* A record as JSON: {"id", "conflicts", "stale", "fields": {...}}. */
void
ui_put_record(FILE *f, const struct rview *r, bool stale)
{
	char hex[2 * SCHEMA_ID_LEN + 1];
	size_t i;

	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	fputs("{\"id\":", f);
	ui_put_str(f, hex);
	fprintf(f, ",\"conflicts\":%u,\"stale\":%s,\"fields\":{",
	    (unsigned)r->conflicts, stale ? "true" : "false");
	for (i = 0; i < r->nf; i++) {
		if (i > 0)
			putc(',', f);
		ui_put_str(f, r->f[i].name);
		putc(':', f);
		json_put_val(f, &r->f[i].v);
	}
	fputs("}}", f);
}

/*
 * The list: the window ops_list() cuts out (newest first; person='s two
 * queries come one after the other, so the rows are kept sorted as they
 * come).
 */
struct row {
	char	key[48];	/* opened_at, then the id: sorts newest. */
	char	*json;
	size_t	len;
};

struct listing {
	struct row	*rows;
	size_t		n, cap;		/* cap = limit. */
	uint64_t	total;
	bool		nomem;
};

static int
row_cmp_desc(const char *a, const char *b)
{

	return (-strcmp(a, b));
}

static int
list_cb(void *arg, const struct rview *r, bool stale)
{
	struct listing *l = arg;
	struct row x;
	char hex[2 * SCHEMA_ID_LEN + 1];
	const char *date = "";
	size_t i, lo, hi;
	FILE *f;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "opened_at") == 0 &&
		    r->f[i].v.t == VAL_STR && r->f[i].v.len < 16) {
			date = r->f[i].v.s;
			snprintf(x.key, 17, "%.*s", (int)r->f[i].v.len, date);
		}
	if (*date == '\0')
		x.key[0] = '\0';
	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	snprintf(x.key + strlen(x.key), sizeof(x.key) - strlen(x.key), "~%s",
	    hex);
	/* Binary search for where it goes, newest first. */
	lo = 0;
	hi = l->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (row_cmp_desc(l->rows[mid].key, x.key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= l->cap)
		return (0);
	x.json = NULL;
	if ((f = open_memstream(&x.json, &x.len)) == NULL) {
		l->nomem = true;
		return (1);
	}
	ui_put_record(f, r, stale);
	if (ferror(f) | fclose(f)) {
		free(x.json);
		l->nomem = true;
		return (1);
	}
	if (l->n == l->cap) {
		free(l->rows[l->n - 1].json);
		l->n--;
	}
	memmove(&l->rows[lo + 1], &l->rows[lo], (l->n - lo) * sizeof(x));
	l->rows[lo] = x;
	l->n++;
	return (0);
}

void
ui_api_list(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_read_args a;
	struct listing l;
	struct ops_err e;
	size_t limit = c->limit ? c->limit : LIST_LIMIT, i;
	FILE *f;
	int r;

	if (limit > LIST_LIMIT_MAX)
		limit = LIST_LIMIT_MAX;
	if (c->offset > LIST_WINDOW_MAX - limit) {
		char max[24];

		snprintf(max, sizeof(max), "%d", LIST_WINDOW_MAX);
		ui_out_fail(out, OPS_USAGE, OPS_MSG_UI_OFFSET, 1, max);
		return;
	}
	memset(&a, 0, sizeof(a));
	memset(&l, 0, sizeof(l));
	if (c->read != NULL)
		a = *c->read;
	a.coll = "consultations";
	a.offset = c->offset;
	a.limit = limit;
	a.total = &l.total;
	l.cap = limit;
	if ((l.rows = calloc(l.cap, sizeof(*l.rows))) == NULL) {
		ui_out_fail(out, OPS_NOMEM, OPS_MSG_NOMEM, 0);
		return;
	}
	r = ops_list(o, &a, list_cb, &l, &e);
	if (r == 0 && l.nomem)
		r = ops_fail(&e, OPS_NOMEM, OPS_MSG_NOMEM, 0);
	if (r != 0)
		ui_out_err(out, &e);
	else if ((f = ui_out_open(out)) != NULL) {
		fprintf(f, "{\"total\":%llu,\"offset\":%zu,\"limit\":%zu,"
		    "\"consultations\":[", (unsigned long long)l.total,
		    c->offset, limit);
		for (i = 0; i < l.n; i++) {
			if (i > 0)
				putc(',', f);
			fwrite(l.rows[i].json, 1, l.rows[i].len, f);
		}
		fputs("]}\n", f);
		ui_out_close(out, f, 200);
	} else
		out->status = 503;
	for (i = 0; i < l.n; i++) {
		sodium_memzero(l.rows[i].json, l.rows[i].len);
		free(l.rows[i].json);
	}
	free(l.rows);
}

struct one {
	FILE	*f;
	bool	found;
};

static int
show_cb(void *arg, const struct rview *r, bool stale)
{
	struct one *s = arg;

	fputs("{\"record\":", s->f);
	ui_put_record(s->f, r, stale);
	fputs("}\n", s->f);
	s->found = true;
	return (1);
}

void
ui_api_show(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_read_args a;
	struct ops_err e;
	struct one s;

	memset(&a, 0, sizeof(a));
	a.coll = "consultations";
	a.id = c->id;
	if ((s.f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	s.found = false;
	if (ops_show(o, &a, show_cb, &s, &e) != 0) {
		fclose(s.f);
		ui_out_err(out, &e);
		return;
	}
	ui_out_close(out, s.f, 200);
}

void
ui_body_fields(const struct json_obj *body, struct ops_field *fields,
    char nums[][24])
{
	const struct val *v;
	size_t i;

	for (i = 0; i < body->n; i++) {
		v = &body->kv[i].v;
		fields[i].name = body->kv[i].key;
		fields[i].name_len = body->kv[i].key_len;
		switch (v->t) {
		case VAL_STR:
			fields[i].text = v->s;
			fields[i].len = v->len;
			break;
		case VAL_NIL:
			fields[i].text = "";
			fields[i].len = 0;
			break;
		case VAL_BOOL:
			fields[i].text = v->i ? "true" : "false";
			fields[i].len = strlen(fields[i].text);
			break;
		default:
			snprintf(nums[i], sizeof(nums[i]), "%" PRId64, v->i);
			fields[i].text = nums[i];
			fields[i].len = strlen(nums[i]);
			break;
		}
	}
}

void
ui_api_add(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_field fields[JSON_MAX_KEYS];
	char nums[JSON_MAX_KEYS][24];
	struct ops_write_args a;
	struct ops_err e;
	FILE *f;

	memset(&a, 0, sizeof(a));
	a.coll = "consultations";
	ui_body_fields(&c->body, fields, nums);
	a.fields = fields;
	a.nfields = c->body.n;
	if (ops_add(o, &a, c->added, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fputs("{\"id\":", f);
	ui_put_str(f, c->added);
	fputs(",\"warning\":", f);
	ui_put_str(f, ops_warning(o));
	fputs("}\n", f);
	ui_out_close(out, f, 201);
}

struct peers {
	FILE	*f;
	size_t	n;
};

static int
peer_cb(void *arg, const struct ops_status_peer *p)
{
	struct peers *s = arg;

	if (s->n++ > 0)
		putc(',', s->f);
	fputs("{\"key\":", s->f);
	ui_put_str(s->f, p->key);
	fputs(",\"name\":", s->f);
	ui_put_str(s->f, p->shown);
	fputs(",\"state\":", s->f);
	ui_put_str(s->f, p->ps->state);
	fputs(",\"last_error\":", s->f);
	ui_put_str(s->f, p->ps->last_error);
	fprintf(s->f, ",\"stale\":%s,\"ended\":%s,\"in_sync\":%s,"
	    "\"lacking\":%" PRIu64 ",\"last_sync_ms\":%" PRIu64 "}",
	    p->stale ? "true" : "false", p->ended ? "true" : "false",
	    p->in_sync ? "true" : "false", p->lacking, p->ps->last_sync);
	return (0);
}

void
ui_api_status(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct ops_status_res res;
	struct ops_err e;
	struct peers p;

	(void)c;
	if (ops_status(o, &res, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	if ((p.f = ui_out_open(out)) == NULL) {
		ops_status_free(&res);
		out->status = 503;
		return;
	}
	p.n = 0;
	fputs("{\"id\":", p.f);
	ui_put_str(p.f, res.id);
	fputs(",\"center\":", p.f);
	ui_put_str(p.f, res.center);
	fputs(",\"role\":", p.f);
	ui_put_str(p.f, res.role);
	fprintf(p.f, ",\"commits\":%" PRIu64 ",\"own_changes\":%" PRIu64
	    ",\"unacked\":%" PRIu64 ",\"acks_known\":%s,\"conflicts\":%ld,"
	    "\"agent_running\":%s,\"peers\":[", res.s.commits, res.own_seq,
	    res.unacked, res.acks_err ? "false" : "true", res.conflicts,
	    res.running ? "true" : "false");
	if (ops_status_peers(o, &res, peer_cb, &p, &e) != 0) {
		fclose(p.f);
		ops_status_free(&res);
		ui_out_err(out, &e);
		return;
	}
	fputs("]}\n", p.f);
	ops_status_free(&res);
	ui_out_close(out, p.f, 200);
}

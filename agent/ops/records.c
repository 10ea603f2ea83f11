/*
 * records.c: the records operations — add, set, rm, guide publish, show,
 * list, export, history, conflicts, stats.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agent/access/rules.h"
#include "agent/codec/hex.h"
#include "agent/ops/cases.h"
#include "agent/ops/ops_int.h"
#include "agent/ops/users.h"

/* What the user can do about a store's fault, in words (db_fault()). */
static const struct {
	enum db_fault	f;
	enum ops_code	code;
	enum ops_msg	key;
} store_faults[] = {
	{ DB_FAULT_BUSY, OPS_BUSY, OPS_MSG_STORE_BUSY },
	{ DB_FAULT_FULL, OPS_STORE, OPS_MSG_STORE_FULL },
	{ DB_FAULT_CORRUPT, OPS_STORE, OPS_MSG_STORE_CORRUPT },
	{ DB_FAULT_READONLY, OPS_STORE, OPS_MSG_STORE_READONLY },
	{ DB_FAULT_IO, OPS_STORE, OPS_MSG_STORE_IO },
};

int
ops_store_fail(struct ops_err *e, const char *err, enum ops_msg tail)
{
	enum db_fault f = db_fault(err);
	size_t i;

	/* Anything else in the store's own words; its text is the cause. */
	ops_fail(e, OPS_STORE, OPS_MSG_STORE, 1, err);
	for (i = 0; i < sizeof(store_faults) / sizeof(store_faults[0]); i++)
		if (store_faults[i].f == f)
			ops_fail(e, store_faults[i].code, store_faults[i].key,
			    0);
	snprintf(e->cause, sizeof(e->cause), "%s", err);
	e->tail = tail;
	return (-1);
}

int
ops_need_record(struct ops *o, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const char *ids, struct ops_err *e)
{
	bool live;
	int r;

	if ((r = db_record(o->db, c, id, &live)) < 0)
		return (ops_fail(e, OPS_STORE, OPS_MSG_STORE_READ, 0));
	if (r == 0 || !live)
		return (ops_fail(e, OPS_NOT_FOUND, r ?
		    OPS_MSG_NO_RECORD_DELETED : OPS_MSG_NO_RECORD, 2, c->name,
		    ids));
	return (0);
}

int
ops_may_write(struct ops *o, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], bool creates, const char *written,
    struct ops_err *e)
{
	struct rules_node n;

	rules_standing(o->db, &n);
	return (ops_judge(o, &n, c, id, creates, written, e));
}

int
ops_judge(struct ops *o, const struct rules_node *node,
    const struct coll_def *c, const uint8_t id[SCHEMA_ID_LEN], bool creates,
    const char *written, struct ops_err *e)
{
	const struct rules_node n = *node;
	enum rules_verdict v;
	char rc[CONF_CENTER_MAX + 1], err[STORE_ERRLEN];

	if (rules_may_write(o->db, &n, c, id, creates, written, rc, &v, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	switch (v) {
	case RULES_OK:
		return (0);
	case RULES_ADMIN_ONLY:
		return (ops_fail(e, OPS_DENIED, OPS_MSG_DENIED_ADMIN_ONLY, 2,
		    c->name, n.role));
	case RULES_OTHER_CENTER:
		return (ops_fail(e, OPS_DENIED, OPS_MSG_DENIED_OTHER_CENTER, 2,
		    rc, n.center));
	case RULES_CENTER_FIXED:
		return (ops_fail(e, OPS_DENIED, OPS_MSG_DENIED_CENTER_FIXED, 1,
		    rc));
	case RULES_NO_CENTER:
		return (ops_fail(e, OPS_DENIED, OPS_MSG_DENIED_NO_CENTER, 1,
		    n.center));
	case RULES_CREATE_OTHER:
		return (ops_fail(e, OPS_DENIED, OPS_MSG_DENIED_CREATE_OTHER, 2,
		    n.center, written));
	}
	return (0);
}

/* The center=... among ${fields} (the last), into ${out}; or NULL. */
static const char *
fields_center(const struct ops_field *fields, size_t n,
    char out[CONF_CENTER_MAX + 1])
{
	const char *v = NULL;
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		if (fields[i].name_len == 6 &&
		    memcmp(fields[i].name, "center", 6) == 0) {
			v = fields[i].text;
			len = fields[i].len;
		}
	if (v == NULL)
		return (NULL);
	snprintf(out, CONF_CENTER_MAX + 1, "%.*s", (int)len, v);
	return (out);
}

int
ops_seal(struct ops *o, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const struct field_def *f,
    const char *center, struct val *v, char **tofree, struct ops_err *e)
{
	struct conf *cf;
	char err[STORE_ERRLEN];

	*tofree = NULL;
	if ((cf = ops_ring_for(o, c, e)) == NULL)
		return (-1);
	switch (conf_seal_field(cf, o->db, ops_now(o), c, id, f, center, v,
	    tofree, err, sizeof(err))) {
	case CONF_SEAL_OK:
		return (0);
	case CONF_SEAL_HIDDEN:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_SEAL_HIDDEN, 2,
		    f->name, CONF_HIDDEN));
	case CONF_SEAL_NO_CENTER:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_SEAL_NO_CENTER, 1,
		    f->name));
	case CONF_SEAL_NO_KEY:
		return (ops_fail(e, OPS_DENIED, OPS_MSG_SEAL_NO_KEY, 2,
		    f->name, center));
	case CONF_SEAL_NOMEM:
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	case CONF_SEAL_FAILED:
		break;
	}
	return (ops_store_fail(e, err, OPS_MSG_NONE));
}

/*
 * The fields a write gives, each reference found (ops_refer()): ${out}
 * borrows from ${fields} and ${hex}, both ${n} long.
 */
static int
resolve_refs(struct ops *o, const struct coll_def *c,
    const struct ops_field *fields, size_t n, struct ops_field *out,
    char (*hex)[2 * SCHEMA_ID_LEN + 1], struct ops_err *e)
{
	const struct field_def *f;
	size_t i;

	for (i = 0; i < n; i++) {
		out[i] = fields[i];
		if (fields[i].name_len == 0 || (f = schema_field(c,
		    fields[i].name, fields[i].name_len)) == NULL)
			continue;
		if (ops_refer(o, c, f, fields[i].text, fields[i].len, hex[i],
		    e))
			return (-1);
		if (hex[i][0] != '\0') {
			out[i].text = hex[i];
			out[i].len = strlen(hex[i]);
		}
	}
	return (0);
}

/*
 * Check ${fields} for record ${id} of ${c} (new if ${creates}): each
 * value, then the record rules on the record as the write leaves it.
 */
static int
check_fields(struct ops *o, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], bool creates,
    const struct ops_field *fields, size_t n, struct ops_err *e)
{
	const struct field_def *f;
	struct ops_form fm;
	struct val v;
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++)
		if (ops_field(c, &fields[i], &f, &v, e))
			return (-1);
	if (ops_form_begin(o, &fm, c, id, creates, e))
		return (-1);
	for (i = 0; i < n && r == 0; i++) {
		(void)ops_field(c, &fields[i], &f, &v, e);
		r = ops_form_put(&fm, f, &v, e);
	}
	if (r == 0)
		r = ops_form_check(o, &fm, e);
	ops_form_end(&fm);
	return (r);
}

/*
 * Write ${fields} to record ${id} of ${c} and commit: every value checked
 * before anything is written.
 */
static int
write_fields(struct ops *o, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const struct ops_field *fields,
    size_t n, struct ops_err *e)
{
	const struct field_def *f;
	struct val v;
	char err[STORE_ERRLEN], center[CONF_CENTER_MAX + 1], *sealed;
	size_t i;

	for (i = 0; i < n; i++)
		if (ops_field(c, &fields[i], &f, &v, e))
			return (-1);
	if (fields_center(fields, n, center) == NULL &&
	    conf_record_center(o->db, c, id, center, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	/* Outside db_begin(): loading the ring may write a file. */
	if (ops_ring_for(o, c, e) == NULL || ops_user_may_write_rec(o, c, id,
	    center, e))
		return (-1);
	if (ops_begin(o, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	for (i = 0; i < n; i++) {
		(void)ops_field(c, &fields[i], &f, &v, e);
		if (ops_seal(o, c, id, f, center, &v, &sealed, e))
			goto fail;
		if (db_put(o->db, c, id, f, &v, err)) {
			free(sealed);
			ops_store_fail(e, err, OPS_MSG_NONE);
			goto fail;
		}
		free(sealed);
	}
	if (db_commit(o->db, err)) {
		ops_store_fail(e, err, OPS_MSG_NONE);
		goto fail;
	}
	return (0);
fail:
	db_rollback(o->db);
	e->tail = OPS_MSG_NOTHING_CHANGED;
	return (-1);
}

/*
 * write_fields() of the form ${given} for record ${id} (new if
 * ${creates}): references found, then the record rules checked on the
 * record as the write leaves it, before anything is written.
 */
static int
write_form(struct ops *o, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], bool creates,
    const struct ops_field *given, size_t n, struct ops_err *e)
{
	struct ops_field *fields;
	char (*hex)[2 * SCHEMA_ID_LEN + 1];
	int r = -1;

	fields = calloc(n, sizeof(*fields));
	hex = calloc(n, sizeof(*hex));
	if (fields == NULL || hex == NULL)
		ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0);
	else if (resolve_refs(o, c, given, n, fields, hex, e) == 0 &&
	    check_fields(o, c, id, creates, fields, n, e) == 0)
		r = write_fields(o, c, id, fields, n, e);
	free(fields);
	free(hex);
	return (r);
}

int
ops_add(struct ops *o, const struct ops_write_args *a,
    char hex[2 * SCHEMA_ID_LEN + 1], struct ops_err *e)
{
	const struct coll_def *c;
	uint8_t id[SCHEMA_ID_LEN];
	char center[CONF_CENTER_MAX + 1];
	struct cases_fields cf;
	int r;

	memset(e, 0, sizeof(*e));
	o->case_number[0] = '\0';
	if ((c = ops_coll(a->coll, e)) == NULL)
		return (-1);
	if (a->nfields == 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NO_FIELDS, 0));
	randombytes_buf(id, sizeof(id));
	if (ops_may_write(o, c, id, true, fields_center(a->fields, a->nfields,
	    center), e) || cases_fields(o, c, a->fields, a->nfields, true, &cf,
	    e))
		return (-1);
	r = write_form(o, c, id, true, cf.f, cf.n, e);
	if (r == 0)
		snprintf(o->case_number, sizeof(o->case_number), "%s",
		    cf.number);
	cases_fields_free(&cf);
	if (r)
		return (-1);
	hex_encode(id, SCHEMA_ID_LEN, hex);
	return (0);
}

int
ops_set(struct ops *o, const struct ops_write_args *a, struct ops_err *e)
{
	const struct coll_def *c;
	uint8_t id[SCHEMA_ID_LEN];
	char center[CONF_CENTER_MAX + 1];
	struct cases_fields cf;
	int r;

	memset(e, 0, sizeof(*e));
	if ((c = ops_coll(a->coll, e)) == NULL ||
	    cases_record_id(o, c, a->id, id, e))
		return (-1);
	if (a->nfields == 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NO_FIELDS, 0));
	if (ops_need_record(o, c, id, a->id, e) ||
	    ops_may_write(o, c, id, false, fields_center(a->fields,
	    a->nfields, center), e) ||
	    cases_fields(o, c, a->fields, a->nfields, false, &cf, e))
		return (-1);
	r = write_form(o, c, id, false, cf.f, cf.n, e);
	cases_fields_free(&cf);
	return (r);
}

int
ops_rm(struct ops *o, const struct ops_write_args *a, struct ops_err *e)
{
	const struct coll_def *c;
	const struct field_def *f;
	struct val v = { VAL_BOOL, 1, NULL, 0 };
	uint8_t id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	if ((c = ops_coll(a->coll, e)) == NULL ||
	    cases_record_id(o, c, a->id, id, e) ||
	    ops_need_record(o, c, id, a->id, e) ||
	    ops_may_write(o, c, id, false, NULL, e) ||
	    ops_user_may_write_rec(o, c, id, NULL, e))
		return (-1);
	/* A delete is the register _deleted = true; it never expires. */
	f = schema_field(c, SCHEMA_DELETED, strlen(SCHEMA_DELETED));
	if (ops_begin(o, err) ||
	    db_put(o->db, c, id, f, &v, err) || db_commit(o->db, err)) {
		db_rollback(o->db);
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	}
	return (0);
}

int
ops_guide_publish(struct ops *o, const struct ops_guide_args *a,
    char hex[2 * SCHEMA_ID_LEN + 1], struct ops_err *e)
{
	const struct coll_def *c = schema_coll("guides");
	const struct field_def *body = schema_field(c, "body", 4), *f;
	uint8_t id[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN], why[256], max[32];
	bool has_title = false, has_lang = false;
	struct val v;
	size_t i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < a->nfields; i++) {
		if (ops_field(c, &a->fields[i], &f, &v, e))
			return (-1);
		if (f == body)
			return (ops_fail(e, OPS_USAGE, OPS_MSG_GUIDE_BODY_FIELD,
			    0));
		has_title |= strcmp(f->name, "title") == 0;
		has_lang |= strcmp(f->name, "language") == 0;
	}
	if (a->id == NULL && (!has_title || !has_lang))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_GUIDE_NEEDS_TITLE, 0));
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = a->body;
	v.len = a->body_len;
	if (a->body_len > body->max_len) {
		snprintf(max, sizeof(max), "%zu", body->max_len);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_GUIDE_TOO_LARGE, 2,
		    a->body_name, max));
	}
	if (schema_check(body, &v, why, sizeof(why)))
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_GUIDE_BODY_INVALID,
		    2, a->body_name, why));
	if (a->id != NULL) {
		if (ops_id(a->id, id, e) || ops_need_record(o, c, id, a->id, e))
			return (-1);
	} else
		randombytes_buf(id, sizeof(id));
	if (ops_may_write(o, c, id, a->id == NULL, NULL, e))
		return (-1);
	if (ops_begin(o, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	for (i = 0; i < a->nfields; i++) {
		struct val fv;

		(void)ops_field(c, &a->fields[i], &f, &fv, e);
		if (db_put(o->db, c, id, f, &fv, err))
			goto fail;
	}
	if (db_put(o->db, c, id, body, &v, err) || db_commit(o->db, err))
		goto fail;
	hex_encode(id, SCHEMA_ID_LEN, hex);
	return (0);
fail:
	db_rollback(o->db);
	return (ops_store_fail(e, err, OPS_MSG_NOTHING_PUBLISHED));
}

/* ---- Reads: each record's values revealed as this node may read them. */

struct reveal {
	struct ops	*o;
	struct conf	*cf;		/* NULL: values as stored. */
	ops_record_fn	fn;
	void		*arg;
	char		cutoff[11];	/* Directory: older is stale. */
	bool		stopped;	/* The callback said stop. */
	bool		failed;		/* Out of memory. */
	/* list: the filters beside field=value (ops_read_args). */
	const struct ops_read_args *lim;	/* NULL: none. */
	char		overdue[11];	/* Opened before: overdue. */
	uint8_t		*mine;		/* Sorted ids, SCHEMA_ID_LEN each. */
	size_t		nmine, capmine;
	long		kept;		/* Records the filters kept. */
	long		shown;		/* Those that reached fn. */
	/* list: the window of kept records that reach fn (limit 0: all). */
	size_t		offset, limit;
	/*
	 * list: field=value filters on confidential fields, matched on the
	 * opened value (the store holds only its ciphertext).
	 */
	const struct rview_field *secret;
	size_t		nsecret;
	bool		clear;		/* Confidential fields left out. */
};

/* A field's value, or NULL. */
static const struct val *
rv_get(const struct rview *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return (&r->f[i].v);
	return (NULL);
}

/* Whether date ${v} compares ${sign} (<0, >0) to ${d}: unset never. */
static bool
date_cmp(const struct val *v, const char *d, int sign)
{
	int c;

	if (v == NULL || v->t != VAL_STR || v->len != 10)
		return (false);
	c = memcmp(v->s, d, 10);
	return (sign < 0 ? c < 0 : c > 0);
}

static int
id_cmp(const void *a, const void *b)
{

	return (memcmp(a, b, SCHEMA_ID_LEN));
}

/* Whether the list's other filters keep ${r}. */
static bool
list_keeps(const struct reveal *rv, const struct rview *r)
{
	const struct ops_read_args *a = rv->lim;
	const struct val *at, *st;

	if (a == NULL)
		return (true);
	at = rv_get(r, "opened_at");
	if (a->from != NULL && (at == NULL || date_cmp(at, a->from, -1)))
		return (false);
	if (a->to != NULL && (at == NULL || date_cmp(at, a->to, 1)))
		return (false);
	if (a->overdue) {
		st = rv_get(r, "status");
		if (st == NULL || st->t != VAL_STR || st->len != 4 ||
		    memcmp(st->s, "open", 4) != 0 ||
		    !date_cmp(at, rv->overdue, -1))
			return (false);
	}
	if (a->mine && (rv->nmine == 0 || bsearch(r->id, rv->mine,
	    rv->nmine, SCHEMA_ID_LEN, id_cmp) == NULL))
		return (false);
	return (true);
}

static int
mine_cb(void *arg, const uint8_t *id)
{
	struct reveal *rv = arg;
	uint8_t *p;

	if (rv->failed)
		return (0);
	if (rv->nmine == rv->capmine) {
		rv->capmine = rv->capmine ? 2 * rv->capmine : 64;
		if ((p = realloc(rv->mine, rv->capmine * SCHEMA_ID_LEN)) ==
		    NULL) {
			rv->failed = true;
			return (0);
		}
		rv->mine = p;
	}
	memcpy(rv->mine + rv->nmine++ * SCHEMA_ID_LEN, id, SCHEMA_ID_LEN);
	return (0);
}

/*
 * The list's filters beside field=value: the dates checked, the ids the
 * user changed gathered.  0, or -1 with ${e}.
 */
static int
list_limits(struct ops *o, const struct coll_def *c,
    const struct ops_read_args *a, struct reveal *rv, struct ops_err *e)
{
	const struct field_def *opened = schema_field(c, "opened_at", 9);
	const char *d[2] = { a->from, a->to };
	char err[STORE_ERRLEN];
	struct val v;
	struct tm tm;
	time_t t;
	int i;

	if (d[0] == NULL && d[1] == NULL && !a->overdue && !a->mine)
		return (0);
	if (opened == NULL || (a->overdue && schema_field(c, "status", 6) ==
	    NULL))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_LIST_NOT_CONSULTATIONS,
		    1, c->name));
	for (i = 0; i < 2; i++) {
		v.t = VAL_STR;
		v.s = d[i];
		v.len = d[i] != NULL ? strlen(d[i]) : 0;
		if (d[i] != NULL && (v.len != 10 || schema_check(opened, &v,
		    err, sizeof(err)) != 0))
			return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_LIST_DATE, 2,
			    i == 0 ? "from" : "to", d[i]));
	}
	rv->lim = a;
	t = (time_t)(ops_now(o) / 1000) - (time_t)OPS_OVERDUE_DAYS * 86400;
	gmtime_r(&t, &tm);
	strftime(rv->overdue, sizeof(rv->overdue), "%Y-%m-%d", &tm);
	if (!a->mine)
		return (0);
	if (ops_need_user(o, e))
		return (-1);
	if (query_user_records(o->db, c, o->user.name, mine_cb, rv, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (rv->failed)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if (rv->nmine > 0)
		qsort(rv->mine, rv->nmine, SCHEMA_ID_LEN, id_cmp);
	return (0);
}

static bool
is_stale(const struct reveal *rv, const struct rview *r)
{
	size_t i;

	if (strcmp(r->c->name, "directory") != 0)
		return (false);
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "verified_on") == 0)
			return (r->f[i].v.t != VAL_STR || r->f[i].v.len != 10 ||
			    memcmp(r->f[i].v.s, rv->cutoff, 10) < 0);
	return (true);
}

#define REVEAL_CAP	(SCHEMA_MAX_FIELDS + 2)

/* Whether the opened record ${r} holds every confidential filter's value. */
static bool
secret_keeps(const struct reveal *rv, const struct rview *r)
{
	const struct val *v;
	size_t i;

	for (i = 0; i < rv->nsecret; i++) {
		v = rv_get(r, rv->secret[i].name);
		if (rv->secret[i].v.t == VAL_NIL) {
			if (v != NULL && v->t != VAL_NIL)
				return (false);
			continue;
		}
		if (v == NULL || v->t != VAL_STR ||
		    rv->secret[i].v.t != VAL_STR ||
		    v->len != rv->secret[i].v.len ||
		    memcmp(v->s, rv->secret[i].v.s, v->len) != 0)
			return (false);
	}
	return (true);
}

/* One more record kept: whether it is in the list's window. */
static bool
in_window(struct reveal *rv)
{

	rv->kept++;
	return ((size_t)rv->kept > rv->offset && (rv->limit == 0 ||
	    (size_t)rv->kept <= rv->offset + rv->limit));
}

/*
 * ${r} without its confidential fields (ops_read_args.clear), nor the
 * fields of a newer version: whether one of them is confidential this
 * version cannot know.
 */
static int
clear_cb(struct reveal *rv, const struct rview *r)
{
	struct rview_field fs[REVEAL_CAP], *f = fs;
	struct rview shown = *r;
	const struct field_def *fd;
	size_t i;
	int ret;

	if (r->nf > REVEAL_CAP && (f = calloc(r->nf, sizeof(*f))) == NULL) {
		rv->failed = true;
		return (1);
	}
	for (i = shown.nf = 0; i < r->nf; i++)
		if ((fd = schema_field(r->c, r->f[i].name,
		    strlen(r->f[i].name))) != NULL && !conf_secret(r->c, fd))
			f[shown.nf++] = r->f[i];
	shown.f = f;
	ret = rv->fn(rv->arg, &shown, is_stale(rv, r));
	if (f != fs)
		free(f);
	rv->stopped |= ret != 0;
	return (ret);
}

static int
reveal_cb(void *arg, const struct rview *r)
{
	struct reveal *rv = arg;
	struct rview_field fs[REVEAL_CAP], *f = fs;
	char *ts[REVEAL_CAP], **tofree = ts;
	struct rview shown = *r;
	size_t i;
	int ret;

	if (!list_keeps(rv, r))
		return (0);
	/* Out of the window: counted, never opened (unless a secret says). */
	if (rv->nsecret == 0 && !in_window(rv))
		return (0);
	if (rv->clear) {
		rv->shown++;
		return (clear_cb(rv, r));
	}
	if (rv->cf == NULL) {
		rv->shown++;
		ret = rv->fn(rv->arg, r, is_stale(rv, r));
		rv->stopped |= ret != 0;
		return (ret);
	}
	/* A newer version's fields too (kept and shown): on the heap. */
	if (r->nf > REVEAL_CAP && ((f = calloc(r->nf, sizeof(*f))) == NULL ||
	    (tofree = calloc(r->nf, sizeof(*tofree))) == NULL)) {
		free(f != fs ? f : NULL);
		rv->failed = true;
		return (1);
	}
	for (i = 0; i < r->nf; i++) {
		f[i].name = r->f[i].name;
		conf_reveal(rv->cf, r->id, r->f[i].name, strlen(r->f[i].name),
		    &r->f[i].v, &f[i].v, &tofree[i]);
	}
	shown.f = f;
	ret = 0;
	if ((rv->nsecret == 0 || (secret_keeps(rv, &shown) &&
	    in_window(rv)))) {
		rv->shown++;
		ret = rv->fn(rv->arg, &shown, is_stale(rv, r));
	}
	for (i = 0; i < r->nf; i++)
		if (tofree[i] != NULL) {
			sodium_memzero(tofree[i], strlen(tofree[i]));
			free(tofree[i]);
		}
	if (f != fs) {
		free(f);
		free(tofree);
	}
	rv->stopped |= ret != 0;
	return (ret);
}

/* After a query through reveal_cb(): out of memory is an error. */
static int
reveal_done(const struct reveal *rv, struct ops_err *e)
{

	return (rv->failed ? ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0) : 0);
}

/*
 * ${clear}: confidential fields left out (ops_read_args.clear), so no
 * ring is loaded and nobody need sign in.
 */
static int
reveal_init(struct reveal *rv, struct ops *o, const struct coll_def *c,
    bool sealed, bool clear, ops_record_fn fn, void *arg, struct ops_err *e)
{
	time_t t;
	struct tm tm;

	memset(rv, 0, sizeof(*rv));
	rv->o = o;
	rv->fn = fn;
	rv->arg = arg;
	t = (time_t)(ops_now(o) / 1000) - (time_t)OPS_STALE_DAYS * 86400;
	gmtime_r(&t, &tm);
	strftime(rv->cutoff, sizeof(rv->cutoff), "%Y-%m-%d", &tm);
	/*
	 * Before any query: loading the ring runs one.  Sealed values too
	 * need a user who may read them: outside a network they are clear.
	 */
	if ((rv->clear = clear))
		return (0);
	if ((rv->cf = ops_ring_for(o, c, e)) == NULL)
		return (-1);
	if (sealed)
		rv->cf = NULL;
	return (0);
}

/* The record a show or history names: its collection, and its id. */
static const struct coll_def *
coll_id(struct ops *o, const struct ops_read_args *a,
    uint8_t id[SCHEMA_ID_LEN], struct ops_err *e)
{
	const struct coll_def *c;

	memset(e, 0, sizeof(*e));
	if ((c = ops_coll(a->coll, e)) == NULL ||
	    cases_record_id(o, c, a->id, id, e))
		return (NULL);
	return (c);
}

int
ops_show(struct ops *o, const struct ops_read_args *a, ops_record_fn fn,
    void *arg, struct ops_err *e)
{
	const struct coll_def *c;
	uint8_t id[SCHEMA_ID_LEN];
	struct reveal rv;
	char err[STORE_ERRLEN];
	long n;

	if ((c = coll_id(o, a, id, e)) == NULL ||
	    reveal_init(&rv, o, c, a->sealed, false, fn, arg, e))
		return (-1);
	if ((n = query_records(o->db, c, id, NULL, 0, false, reveal_cb, &rv,
	    err)) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (reveal_done(&rv, e))
		return (-1);
	if (n == 0)
		return (ops_fail(e, OPS_NOT_FOUND, OPS_MSG_NO_LIVE_RECORD, 2,
		    c->name, a->id));
	return (a->sealed ? 0 : cases_viewed(o, c, id, "show", NULL, e));
}

int
ops_list(struct ops *o, const struct ops_read_args *a, ops_record_fn fn,
    void *arg, struct ops_err *e)
{
	struct rview_field filt[SCHEMA_MAX_FIELDS], secret[SCHEMA_MAX_FIELDS];
	const struct field_def *f;
	const struct coll_def *c;
	struct reveal rv;
	char err[STORE_ERRLEN], person[CASE_NUMBER_MAX + 1], note[40];
	struct qlist q, *qp = NULL;
	size_t i, k, ns = 0, pi = SIZE_MAX;
	long n, m;

	memset(e, 0, sizeof(*e));
	if ((c = ops_coll(a->coll, e)) == NULL)
		return (-1);
	if (a->nfilters > SCHEMA_MAX_FIELDS)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_TOO_MANY_FILTERS, 0));
	for (i = 0; i < a->nfilters; i++) {
		if (ops_field(c, &a->filters[i], &f, &filt[i].v, e))
			return (-1);
		filt[i].name = f->name;
		/* person=CASE: every consultation of that person. */
		if (strcmp(c->name, "consultations") == 0 &&
		    strcmp(f->name, "person") == 0 && filt[i].v.t == VAL_STR) {
			if (cases_person(o, filt[i].v.s, filt[i].v.len, person,
			    e))
				return (-1);
			filt[i].v.s = person;
			filt[i].v.len = strlen(person);
			pi = i;
		}
	}
	/* Confidential filters match after opening (secret_keeps()). */
	for (i = k = 0; i < a->nfilters; i++)
		if (conf_secret(c, schema_field(c, filt[i].name,
		    strlen(filt[i].name))) && !a->sealed)
			secret[ns++] = filt[i];
		else
			filt[k++] = filt[i];
	if (pi != SIZE_MAX)
		for (pi = 0; pi < k && strcmp(filt[pi].name, "person") != 0;
		    pi++)
			;
	if (reveal_init(&rv, o, c, a->sealed, false, fn, arg, e))
		return (-1);
	rv.secret = secret;
	rv.nsecret = ns;
	if (ns > 0 && rv.cf == NULL)
		return (ops_fail(e, OPS_DENIED, OPS_MSG_USER_SIGNIN, 0));
	if (list_limits(o, c, a, &rv, e)) {
		free(rv.mine);
		return (-1);
	}
	/*
	 * The dates, the status and the window in SQL, the newest page read
	 * from the list's index (store/query.h), unless a filter only C can
	 * judge needs every record: mine=, a confidential field's value,
	 * person= (two queries).
	 */
	memset(&q, 0, sizeof(q));
	if (!a->mine && ns == 0 && pi == SIZE_MAX) {
		q.from = a->from;
		q.to = a->to;
		q.open_before = a->overdue ? rv.overdue : NULL;
		q.offset = a->offset;
		q.limit = a->limit;
		q.total = a->total;
		rv.lim = NULL;
		qp = &q;
	} else {
		rv.offset = a->offset;
		rv.limit = a->limit;
	}
	n = query_list(o->db, c, filt, k, qp, reveal_cb, &rv, err);
	/* The person's first consultation: the one its number names. */
	if (n >= 0 && pi != SIZE_MAX && !rv.stopped && !rv.failed) {
		filt[pi].name = "case_number";
		if ((m = query_list(o->db, c, filt, k, NULL, reveal_cb,
		    &rv, err)) < 0)
			n = -1;
	}
	free(rv.mine);
	if (n < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (qp == NULL && a->total != NULL)
		*a->total = (uint64_t)rv.kept;
	n = rv.shown;
	if (reveal_done(&rv, e))
		return (-1);
	/* Revealed records went to the caller: a view, once per listing. */
	snprintf(note, sizeof(note), "%ld consultation%s", n, n == 1 ? "" :
	    "s");
	return (a->sealed || n == 0 ? 0 : cases_viewed(o, c, NULL, "list",
	    note, e));
}

int
ops_export(struct ops *o, const struct ops_read_args *a, ops_record_fn fn,
    void *arg, struct ops_err *e)
{
	const struct coll_def *c, *only = NULL;
	struct reveal rv;
	char err[STORE_ERRLEN];
	int r = 0;

	memset(e, 0, sizeof(*e));
	if (a->coll != NULL && (only = ops_coll(a->coll, e)) == NULL)
		return (-1);
	if (reveal_init(&rv, o, only, a->sealed, a->clear, fn, arg, e))
		return (-1);
	/* One read transaction: a consistent snapshot of every table. */
	db_read_begin(o->db);
	for (c = schema_colls; c->name != NULL && !rv.stopped && !rv.failed;
	    c++) {
		if (only != NULL && c != only)
			continue;
		if (query_records(o->db, c, NULL, NULL, 0, false, reveal_cb,
		    &rv, err) < 0) {
			r = ops_store_fail(e, err, OPS_MSG_NONE);
			break;
		}
	}
	db_read_end(o->db);
	if (r == 0 && !a->sealed && !a->clear && (only == NULL ||
	    strcmp(only->name, "consultations") == 0))
		r = cases_viewed(o, NULL, NULL, "export", only == NULL ?
		    "every collection" : "consultations", e);
	return (r != 0 ? r : reveal_done(&rv, e));
}

struct hist {
	struct ops	*o;
	struct conf	*cf;
	const uint8_t	*id;
	ops_history_fn	fn;
	void		*arg;
	/* Who made the last row's commit: its other changes follow it. */
	struct ops_who	who;
	uint8_t		origin[NODE_KEY_LEN];
	uint64_t	seq;		/* 0: none yet. */
};

static int
history_cb(void *arg, const struct hview *h)
{
	struct hist *hs = arg;
	struct hview shown = *h;
	char *tofree;
	int r;

	if (hs->seq != h->seq || memcmp(hs->origin, h->origin,
	    NODE_KEY_LEN) != 0) {
		ops_who(hs->o, h->origin, h->user, h->user_len, &hs->who);
		memcpy(hs->origin, h->origin, NODE_KEY_LEN);
		hs->seq = h->seq;
	}
	conf_reveal(hs->cf, hs->id, h->field, h->field_len, &h->v, &shown.v,
	    &tofree);
	r = hs->fn(hs->arg, &shown, &hs->who);
	if (tofree != NULL) {
		sodium_memzero(tofree, strlen(tofree));
		free(tofree);
	}
	return (r);
}

int
ops_history(struct ops *o, const struct ops_read_args *a, ops_history_fn fn,
    void *arg, struct ops_err *e)
{
	const struct coll_def *c;
	uint8_t id[SCHEMA_ID_LEN];
	struct hist hs;
	char err[STORE_ERRLEN];
	long n;

	if ((c = coll_id(o, a, id, e)) == NULL)
		return (-1);
	memset(&hs, 0, sizeof(hs));
	hs.o = o;
	hs.id = id;
	hs.fn = fn;
	hs.arg = arg;
	if ((hs.cf = ops_ring_for(o, c, e)) == NULL)
		return (-1);
	if ((n = query_history(o->db, c, id, history_cb, &hs, err)) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (n == 0)
		return (ops_fail(e, OPS_NOT_FOUND, OPS_MSG_NO_RECORD, 2,
		    c->name, a->id));
	return (cases_viewed(o, c, id, "history", NULL, e));
}

struct confl {
	struct ops	*o;
	struct conf	*cf;
	ops_conflict_fn	fn;
	void		*arg;
	bool		nomem;
};

static int
conflict_cb(void *arg, const struct cview *cv)
{
	struct confl *cl = arg;
	struct cview shown = *cv;
	struct cview_head *h;
	char (*names)[128], **tofree;
	const char **np;
	size_t i;
	int r = 1;

	h = calloc(cv->nh ? cv->nh : 1, sizeof(*h));
	names = calloc(cv->nh ? cv->nh : 1, sizeof(*names));
	np = calloc(cv->nh ? cv->nh : 1, sizeof(*np));
	tofree = calloc(cv->nh ? cv->nh : 1, sizeof(*tofree));
	if (h == NULL || names == NULL || np == NULL || tofree == NULL) {
		cl->nomem = true;
		goto out;
	}
	for (i = 0; i < cv->nh; i++) {
		h[i] = cv->h[i];
		conf_reveal(cl->cf, cv->id, cv->field, strlen(cv->field),
		    &cv->h[i].v, &h[i].v, &tofree[i]);
		query_node_name(cl->o->db, cv->h[i].origin, names[i],
		    sizeof(names[i]));
		np[i] = names[i];
	}
	shown.h = h;
	r = cl->fn(cl->arg, &shown, np);
	for (i = 0; i < cv->nh; i++)
		if (tofree[i] != NULL) {
			sodium_memzero(tofree[i], strlen(tofree[i]));
			free(tofree[i]);
		}
out:
	free(h);
	free(names);
	free(np);
	free(tofree);
	return (r);
}

long
ops_conflicts(struct ops *o, ops_conflict_fn fn, void *arg, struct ops_err *e)
{
	struct confl cl;
	char err[STORE_ERRLEN];
	long n;

	memset(e, 0, sizeof(*e));
	memset(&cl, 0, sizeof(cl));
	cl.o = o;
	cl.fn = fn;
	cl.arg = arg;
	if ((cl.cf = ops_ring_for(o, NULL, e)) == NULL)
		return (-1);
	db_read_begin(o->db);
	n = query_conflicts(o->db, conflict_cb, &cl, err);
	db_read_end(o->db);
	if (cl.nomem)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if (n < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (n);
}

int
ops_stats_check(const struct ops_stats_args *a, struct ops_err *e)
{
	const struct coll_def *c;
	char cut[48];
	const char *tok;
	size_t i;

	memset(e, 0, sizeof(*e));
	if ((c = ops_coll(a->coll, e)) == NULL)
		return (-1);
	if (a->nby == 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_STATS_NO_FIELDS, 0));
	if (a->nby > SCHEMA_MAX_FIELDS)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_TOO_MANY_FIELDS, 0));
	for (i = 0; i < a->nby; i++) {
		tok = a->by[i];
		if (!(strcmp(tok, "month") == 0 && schema_field(c, "opened_at",
		    9) != NULL) && (tok[0] == '_' ||
		    schema_field(c, tok, strlen(tok)) == NULL)) {
			snprintf(cut, sizeof(cut), "%.40s", tok);
			return (ops_fail(e, OPS_USAGE,
			    OPS_MSG_STATS_FIELD_UNKNOWN, 2, cut, c->name));
		}
		/* Its values are ciphertext, each unique: no count at all. */
		if (strcmp(tok, "month") != 0 && conf_secret(c,
		    schema_field(c, tok, strlen(tok))))
			return (ops_fail(e, OPS_USAGE,
			    OPS_MSG_STATS_CONFIDENTIAL, 1, tok));
	}
	return (0);
}

static int
count_cb(void *arg, const struct rview *r)
{

	(void)arg;
	(void)r;
	return (0);
}

int
ops_stats(struct ops *o, const struct ops_stats_args *a, ops_stats_fn fn,
    void *arg, struct ops_err *e)
{
	char err[STORE_ERRLEN];

	const struct coll_def *c;
	struct rview_field no;
	long n;

	if (ops_stats_check(a, e))
		return (-1);
	c = schema_coll(a->coll);
	if (a->left_out != NULL)
		*a->left_out = 0;
	/* Records whose client did not consent to statistics: left out. */
	if (a->all || schema_field(c, "consent_stats", 13) == NULL)
		n = query_stats(o->db, c, a->by, a->nby, fn, arg, err);
	else
		n = query_stats_but(o->db, c, a->by, a->nby, "consent_stats",
		    "no", fn, arg, err);
	if (n < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (!a->all && a->left_out != NULL &&
	    schema_field(c, "consent_stats", 13) != NULL) {
		memset(&no, 0, sizeof(no));
		no.name = "consent_stats";
		no.v.t = VAL_STR;
		no.v.s = "no";
		no.v.len = 2;
		if ((n = query_records(o->db, c, NULL, &no, 1, false,
		    count_cb, NULL, err)) < 0)
			return (ops_store_fail(e, err, OPS_MSG_NONE));
		*a->left_out = n;
	}
	return (0);
}

/*
 * forms.c: what a local write must satisfy beyond each value's shape —
 * the record rules of the schema table (store/schema.h, RULE_*) checked on
 * the record as it will be, a reference found by name, and a schema error
 * as a catalog key with its arguments apart.  add, set and import (and so
 * the UI) call these; commits from other nodes never pass here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agent/ops/ops_int.h"

int
ops_form_fail(struct ops_err *e, const struct coll_def *c,
    const struct schema_fail *sf)
{
	const char *f = sf->field != NULL ? sf->field : "";
	const char *a0 = sf->arg[0], *a1 = sf->arg[1], *a2 = sf->arg[2];

	switch (sf->code) {
	case SE_TYPE:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_TYPE, 2, f,
		    strcmp(a0, "int") == 0 ? "a whole number" :
		    strcmp(a0, "bool") == 0 ? "true or false" : "text"));
	case SE_UTF8:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_UTF8, 1, f));
	case SE_TOO_LONG:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_TOO_LONG, 3, f,
		    a0, a1));
	case SE_RANGE:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_RANGE, 4, f, a0,
		    a1, a2));
	case SE_ENUM:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_ENUM, 2, f, a0));
	case SE_DATE:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_DATE, 1, f));
	case SE_COUNTRY_FORM:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_COUNTRY_FORM, 1,
		    f));
	case SE_RECID:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_RECID, 1, f));
	case SE_REQUIRED:
		if (*a0 != '\0')
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_FORM_REQUIRED_ONE_OF, 3, f, c->name, a0));
		if (*a1 != '\0')
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_FORM_REQUIRED_AS, 3, f, c->name, a1));
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_REQUIRED, 2, f,
		    c->name));
	case SE_REQUIRED_MANY:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_REQUIRED_MANY,
		    2, a0, c->name));
	case SE_NEEDED_WHEN:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_NEEDED_WHEN, 3,
		    f, a0, a1));
	case SE_BEFORE:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_BEFORE, 4, f,
		    a0, a1, a2));
	case SE_FUTURE:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_FUTURE, 3, f,
		    a0, a1));
	case SE_COUNTRY:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_COUNTRY, 2, f,
		    a0));
	case SE_NOT_LISTED:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_NOT_LISTED, 2,
		    f, a0));
	case SE_INTERNAL:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_INTERNAL, 2, f,
		    c->name));
	case SE_OK:
		break;
	}
	return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FIELD_INVALID, 2, f, ""));
}

/* ---- A reference by name: referred_to=Migration -> its record id. */

#define REF_SHOWN	4	/* Matches an ambiguous name's error lists. */

struct refs {
	const char	*field;		/* The target's name field. */
	char		want[256];	/* Folded. */
	size_t		want_len;
	long		n, exact;	/* Substring, whole-name matches. */
	char		hex[2 * SCHEMA_ID_LEN + 1], exact_hex[2 *
			    SCHEMA_ID_LEN + 1];
	char		shown[OPS_ARG_MAX];
	size_t		shown_len;
	bool		exact_only;	/* The second pass. */
};

/*
 * Fold ${s} for matching into ${out} (${cap} bytes): ASCII and the
 * Cyrillic capitals А-Я, Ё and Tajik ones to small letters.  Returns the
 * length, cut at ${cap}.
 */
static size_t
fold(const char *s, size_t len, char *out, size_t cap)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, n = 0;

	for (i = 0; i < len && n + 2 <= cap; i++) {
		unsigned c = u[i];

		if (c >= 'A' && c <= 'Z') {
			out[n++] = (char)(c + 32);
		} else if (c == 0xd0 && i + 1 < len && u[i + 1] >= 0x90 &&
		    u[i + 1] <= 0x9f) {		/* А-П */
			out[n++] = (char)0xd0;
			out[n++] = (char)(u[++i] + 0x20);
		} else if (c == 0xd0 && i + 1 < len && u[i + 1] >= 0xa0 &&
		    u[i + 1] <= 0xaf) {		/* Р-Я */
			out[n++] = (char)0xd1;
			out[n++] = (char)(u[++i] - 0x20);
		} else if (c == 0xd0 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x8f) {		/* Ѐ-Џ (Ё) */
			out[n++] = (char)0xd1;
			out[n++] = (char)(u[++i] + 0x10);
		} else if (i + 1 < len && (u[i + 1] & 1) == 0 &&
		    ((c == 0xd2 && u[i + 1] >= 0x8a && u[i + 1] <= 0xbf) ||
		    (c == 0xd3 && u[i + 1] >= 0x90 && u[i + 1] <= 0xbf))) {
			/* Ғ Қ Ҳ Ҷ Ӣ Ӯ...: capital even, small odd. */
			out[n++] = (char)c;
			out[n++] = (char)(u[++i] + 1);
		} else
			out[n++] = (char)c;
	}
	return (n);
}

static bool
holds(const char *hay, size_t hl, const char *needle, size_t nl)
{
	size_t i;

	if (nl > hl)
		return (false);
	for (i = 0; i + nl <= hl; i++)
		if (memcmp(hay + i, needle, nl) == 0)
			return (true);
	return (false);
}

static int
refs_cb(void *arg, const struct rview *r, bool stale)
{
	struct refs *rs = arg;
	char name[1024], hex[2 * SCHEMA_ID_LEN + 1];
	const struct val *v = NULL;
	size_t i, nl;
	int w;

	(void)stale;
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, rs->field) == 0)
			v = &r->f[i].v;
	if (v == NULL || v->t != VAL_STR)
		return (0);
	nl = fold(v->s, v->len, name, sizeof(name));
	sodium_bin2hex(hex, sizeof(hex), r->id, SCHEMA_ID_LEN);
	if (nl == rs->want_len && memcmp(name, rs->want, nl) == 0) {
		rs->exact++;
		memcpy(rs->exact_hex, hex, sizeof(hex));
	} else if (rs->exact_only || !holds(name, nl, rs->want, rs->want_len))
		return (0);
	rs->n++;
	memcpy(rs->hex, hex, sizeof(hex));
	if (rs->n <= REF_SHOWN && rs->shown_len < sizeof(rs->shown)) {
		w = snprintf(rs->shown + rs->shown_len, sizeof(rs->shown) -
		    rs->shown_len, "%s%.*s (%.8s...)", rs->shown_len ? ", " :
		    "", (int)(v->len > 60 ? 60 : v->len), v->s, hex);
		if (w > 0)
			rs->shown_len += (size_t)w;
	} else if (rs->n == REF_SHOWN + 1 && rs->shown_len + 5 <
	    sizeof(rs->shown)) {
		strcat(rs->shown, ", ...");
		rs->shown_len += 5;
	}
	return (0);
}

int
ops_refer(struct ops *o, const struct coll_def *c, const struct field_def *f,
    const char *text, size_t len, char hex[2 * SCHEMA_ID_LEN + 1],
    struct ops_err *e)
{
	const struct rule_def *r;
	const struct coll_def *to;
	struct ops_read_args a;
	uint8_t id[SCHEMA_ID_LEN];
	struct refs rs;
	char cut[64], n[24];
	size_t i;
	bool live, is_id = len == 2 * SCHEMA_ID_LEN;
	int k;

	hex[0] = '\0';
	if ((r = schema_rule(c, f, RULE_REFERS)) == NULL || len == 0 ||
	    (to = schema_coll(r->other)) == NULL)
		return (0);
	snprintf(cut, sizeof(cut), "%.*s", (int)(len > 60 ? 60 : len), text);
	for (i = 0; i < len && is_id; i++)
		is_id = (text[i] >= '0' && text[i] <= '9') ||
		    (text[i] >= 'a' && text[i] <= 'f');
	if (is_id) {
		memcpy(hex, text, len);
		hex[len] = '\0';
		(void)ops_id(hex, id, e);
		if ((k = db_record(o->db, to, id, &live)) < 0)
			return (ops_fail(e, OPS_STORE, OPS_MSG_STORE_READ, 0));
		if (k == 0 || !live)
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_FORM_REF_NO_ID, 3, f->name, to->name, cut));
		return (0);
	}
	memset(&rs, 0, sizeof(rs));
	rs.field = r->value;
	rs.want_len = fold(text, len, rs.want, sizeof(rs.want));
	memset(&a, 0, sizeof(a));
	a.coll = to->name;
	a.sealed = true;
	if (ops_list(o, &a, refs_cb, &rs, e))
		return (-1);
	if (rs.exact > 1) {
		/* Several of the very name: list those alone. */
		memset(&rs, 0, sizeof(rs));
		rs.field = r->value;
		rs.want_len = fold(text, len, rs.want, sizeof(rs.want));
		rs.exact_only = true;
		if (ops_list(o, &a, refs_cb, &rs, e))
			return (-1);
	}
	if (rs.exact == 1) {
		memcpy(hex, rs.exact_hex, sizeof(rs.exact_hex));
		return (0);
	}
	if (rs.n == 1) {
		memcpy(hex, rs.hex, sizeof(rs.hex));
		return (0);
	}
	if (rs.n == 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_REF_NONE, 3,
		    f->name, to->name, cut));
	snprintf(n, sizeof(n), "%ld", rs.n);
	return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORM_REF_MANY, 5, f->name,
	    n, to->name, cut, rs.shown));
}

/* ---- The record as it will be: stored values, then the write's. */

static int
stored_cb(void *arg, const struct rview *r)
{
	struct ops_form *fm = arg;
	const struct field_def *f;
	size_t i, k;

	for (i = 0; i < r->nf; i++) {
		if ((f = schema_field(fm->c, r->f[i].name,
		    strlen(r->f[i].name))) == NULL ||
		    (k = schema_field_index(fm->c, f)) >= fm->c->nfields)
			continue;
		fm->rec[k] = r->f[i].v;
		if (r->f[i].v.t == VAL_STR) {
			if ((fm->copy[k] = malloc(r->f[i].v.len + 1)) == NULL) {
				fm->nomem = true;
				return (1);
			}
			memcpy(fm->copy[k], r->f[i].v.s, r->f[i].v.len);
			fm->rec[k].s = fm->copy[k];
		}
	}
	return (0);
}

int
ops_form_begin(struct ops *o, struct ops_form *fm, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], bool creates, struct ops_err *e)
{
	char err[STORE_ERRLEN];

	memset(fm, 0, sizeof(*fm));
	fm->c = c;
	fm->creates = creates;
	if (c->nfields > SCHEMA_MAX_FIELDS)
		return (ops_fail(e, OPS_STORE, OPS_MSG_STORE, 1,
		    "too many fields in the schema"));
	if (!creates && query_records(o->db, c, id, NULL, 0, false, stored_cb,
	    fm, err) < 0) {
		ops_form_end(fm);
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	}
	if (fm->nomem) {
		ops_form_end(fm);
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	}
	return (0);
}

int
ops_form_put(struct ops_form *fm, const struct field_def *f,
    const struct val *v, struct ops_err *e)
{
	struct schema_fail sf;
	size_t k = schema_field_index(fm->c, f);

	if (schema_internal(fm->c, f)) {
		memset(&sf, 0, sizeof(sf));
		sf.code = SE_INTERNAL;
		sf.field = f->name;
		return (ops_form_fail(e, fm->c, &sf));
	}
	if (k >= fm->c->nfields)
		return (0);
	fm->rec[k] = *v;
	fm->changed[k] = true;
	return (0);
}

int
ops_form_check(struct ops *o, struct ops_form *fm, struct ops_err *e)
{
	struct schema_fail sf;
	struct tm tm;
	time_t t;
	char latest[16];

	/* A day's grace for an office whose clock runs behind. */
	t = (time_t)(ops_now(o) / 1000) + 86400;
	gmtime_r(&t, &tm);
	strftime(latest, sizeof(latest), "%Y-%m-%d", &tm);
	if (schema_rules(fm->c, fm->rec, fm->changed, fm->creates, latest,
	    &sf))
		return (ops_form_fail(e, fm->c, &sf));
	return (0);
}

void
ops_form_end(struct ops_form *fm)
{
	size_t i;

	for (i = 0; i < SCHEMA_MAX_FIELDS; i++) {
		free(fm->copy[i]);
		fm->copy[i] = NULL;
	}
}

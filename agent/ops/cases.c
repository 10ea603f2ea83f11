/*
 * cases.c: case numbers, node codes and persons (see cases.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agent/codec/hex.h"
#include "agent/ops/cases.h"
#include "agent/ops/centers.h"
#include "agent/ops/ops_int.h"

#define NCODES		(CASE_BASE * CASE_BASE)
#define SERIAL_MIN	4	/* Digits of SERIAL at least. */

int
case_value(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'O')
		c = '0';
	else if (c == 'I' || c == 'L')
		c = '1';
	if (c == '\0' || (p = strchr(CASE_ALPHABET, c)) == NULL)
		return (-1);
	return ((int)(p - CASE_ALPHABET));
}

/* A prefix letter's value: A to Z are 0 to 25 (distinct mod 31). */
static int
prefix_value(char c)
{

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	return (c >= 'A' && c <= 'Z' ? c - 'A' : -1);
}

char
case_check(const char *s, size_t len)
{
	unsigned long sum = 0, w = 0;
	size_t i, g = 0;
	int v;

	for (i = 0; i < len; i++) {
		if (s[i] == '-') {
			g++;
			continue;
		}
		if ((v = g == 0 ? prefix_value(s[i]) : case_value(s[i])) < 0)
			continue;
		sum += ++w * (unsigned long)v;
	}
	return (CASE_ALPHABET[sum % CASE_BASE]);
}

void
case_format(const char *prefix, unsigned yy, const char *nn,
    uint64_t serial, char out[CASE_NUMBER_MAX + 1])
{
	int n;

	n = snprintf(out, CASE_NUMBER_MAX + 1, "%.3s-%02u-%.2s-%0*llu-",
	    prefix, yy % 100, nn, SERIAL_MIN, (unsigned long long)serial);
	if (n > 0 && n < CASE_NUMBER_MAX) {
		out[n] = case_check(out, (size_t)n);
		out[n + 1] = '\0';
	}
}

int
case_parse(const char *s, char out[CASE_NUMBER_MAX + 1])
{
	/* Group lengths: PREFIX, YY, NN, SERIAL (at least), C. */
	static const size_t want[] = { 3, 2, 2, SERIAL_MIN, 1 };
	size_t len = strlen(s), i, g = 0, glen = 0, o = 0;
	int v;

	if (len < 3 + 2 + 2 + SERIAL_MIN + 1 + 4 || len > CASE_NUMBER_MAX)
		return (-1);
	for (i = 0; i <= len; i++) {
		if (s[i] == '-' || s[i] == '\0') {
			if (g > 4 || (g == 3 ? glen < want[g] || glen > 12 :
			    glen != want[g]))
				return (-1);
			g++;
			glen = 0;
			out[o++] = s[i];
			continue;
		}
		/* PREFIX is letters, any of A to Z: no digit to mistake. */
		if (g == 0) {
			if ((v = prefix_value(s[i])) < 0)
				return (-1);
			out[o++] = (char)('A' + v);
			glen++;
			continue;
		}
		if ((v = case_value(s[i])) < 0)
			return (-1);
		/* YY and SERIAL are digits. */
		if ((g == 1 || g == 3) && v > 9)
			return (-1);
		out[o++] = CASE_ALPHABET[v];
		glen++;
	}
	if (g != 5)
		return (-1);
	return (case_check(out, o - 3) == out[o - 2] ? 0 : -2);
}

/* ---- Node codes. */

struct codes {
	bool		used[NCODES];
	const uint8_t	*self;
	int		own;		/* -1: none. */
};

static int
code_index(const char *s, size_t len)
{
	int a, b;

	if (len != 2 || (a = case_value(s[0])) < 0 ||
	    (b = case_value(s[1])) < 0 || CASE_ALPHABET[a] != s[0] ||
	    CASE_ALPHABET[b] != s[1])
		return (-1);
	return (a * CASE_BASE + b);
}

static int
codes_cb(void *arg, const struct rview *r)
{
	struct codes *k = arg;
	size_t i;
	int x;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "case_code") == 0 &&
		    r->f[i].v.t == VAL_STR &&
		    (x = code_index(r->f[i].v.s, r->f[i].v.len)) >= 0) {
			k->used[x] = true;
			if (k->self != NULL && memcmp(r->id, k->self,
			    SCHEMA_ID_LEN) == 0)
				k->own = x;
		}
	return (0);
}

static int
codes_read(struct db *db, const uint8_t *self, struct codes *k,
    char err[STORE_ERRLEN])
{

	memset(k, 0, sizeof(*k));
	k->self = self;
	k->own = -1;
	/* Ended members too: a code is never given twice. */
	return (query_records(db, schema_coll("members"), NULL, NULL, 0, true,
	    codes_cb, k, err) < 0 ? -1 : 0);
}

static void
code_text(int x, char nn[3])
{

	nn[0] = CASE_ALPHABET[x / CASE_BASE];
	nn[1] = CASE_ALPHABET[x % CASE_BASE];
	nn[2] = '\0';
}

static int
put_code(struct db *db, const uint8_t *key, const char *nn,
    char err[STORE_ERRLEN])
{
	const struct coll_def *m = schema_coll("members");
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = nn;
	v.len = 2;
	return (db_put(db, m, key, schema_field(m, "case_code", 9), &v, err));
}

/* Remember ${nn} as the code of this node's current key. */
static int
code_keep(struct db *db, const char *nn, char err[STORE_ERRLEN])
{
	char hex[2 * NODE_KEY_LEN + 1];

	hex_encode(db_node_key(db), NODE_KEY_LEN, hex);
	return (db_meta_set(db, "case_code", nn, err) ||
	    db_meta_set(db, "case_code_key", hex, err) ? -1 : 0);
}

int
cases_invite_code(struct db *db, const uint8_t key[NODE_KEY_LEN],
    char nn[3], char err[STORE_ERRLEN])
{
	struct codes *k;
	int x, r = -1;

	if ((k = malloc(sizeof(*k))) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	if (codes_read(db, key, k, err))
		goto out;
	if (k->own >= 0) {
		code_text(k->own, nn);
		r = 0;
		goto out;
	}
	/* From "10" up: "0X" are the local codes. */
	for (x = CASE_BASE; x < NCODES && k->used[x]; x++)
		;
	if (x == NCODES) {
		snprintf(err, STORE_ERRLEN, "every node code is taken");
		goto out;
	}
	code_text(x, nn);
	r = 0;
out:
	free(k);
	return (r);
}

int
cases_joined(struct db *db, const char *nn, bool put, char err[STORE_ERRLEN])
{

	if (code_index(nn, strlen(nn)) < CASE_BASE)
		return (0);	/* A token without one: chosen later. */
	if (put && put_code(db, db_node_key(db), nn, err))
		return (-1);
	return (code_keep(db, nn, err));
}

/*
 * This node's code: kept for its current key; else its members record's
 * (an admin's invite gave it); else, in a network (a successor key), the
 * highest free one, taken now; in no network the local "0X".
 */
static int
node_code(struct ops *o, char nn[3], bool in_txn, struct ops_err *e)
{
	char meta[2 * NODE_KEY_LEN + 1], hex[2 * NODE_KEY_LEN + 1];
	char err[STORE_ERRLEN];
	struct codes *k;
	int x, r = -1;

	hex_encode(db_node_key(o->db), NODE_KEY_LEN, hex);
	if (db_meta_get(o->db, "case_code_key", meta, sizeof(meta)) == 0 &&
	    strcmp(meta, hex) == 0 &&
	    db_meta_get(o->db, "case_code", nn, 3) == 0 &&
	    code_index(nn, 2) >= 0)
		return (0);
	if (db_meta_get(o->db, "role", meta, sizeof(meta)) != 0) {
		nn[0] = '0';
		nn[1] = CASE_ALPHABET[db_node_key(o->db)[0] % CASE_BASE];
		nn[2] = '\0';
		return (0);
	}
	if ((k = malloc(sizeof(*k))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if (codes_read(o->db, db_node_key(o->db), k, err))
		goto fail;
	if (k->own >= 0) {
		code_text(k->own, nn);
		if (code_keep(o->db, nn, err))
			goto fail;
		r = 0;
		goto out;
	}
	for (x = NCODES - 1; x >= CASE_BASE && k->used[x]; x--)
		;
	if (x < CASE_BASE) {
		snprintf(err, sizeof(err), "every node code is taken");
		goto fail;
	}
	code_text(x, nn);
	/* In the caller's transaction (import), or in a commit of its own. */
	if (in_txn ? put_code(o->db, db_node_key(o->db), nn, err) ||
	    code_keep(o->db, nn, err) : db_begin(o->db, ops_now(o), err) ||
	    put_code(o->db, db_node_key(o->db), nn, err) ||
	    code_keep(o->db, nn, err) || db_commit(o->db, err)) {
		if (!in_txn)
			db_rollback(o->db);
		goto fail;
	}
	r = 0;
	goto out;
fail:
	ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED);
out:
	free(k);
	return (r);
}

static int
new_number(struct ops *o, const char *center, const char *opened,
    bool in_txn, char out[CASE_NUMBER_MAX + 1], struct ops_err *e)
{
	char prefix[CENTER_PREFIX_LEN + 1], nn[3], meta[32], err[STORE_ERRLEN];
	unsigned long long serial = 0;
	unsigned yy;
	time_t t;
	struct tm tm;

	if (ops_center_known(o, center, strlen(center), "center=", prefix, e))
		return (-1);
	if (node_code(o, nn, in_txn, e))
		return (-1);
	if (db_meta_get(o->db, "case_serial", meta, sizeof(meta)) == 0)
		serial = strtoull(meta, NULL, 10);
	serial++;
	snprintf(meta, sizeof(meta), "%llu", serial);
	if (db_meta_set(o->db, "case_serial", meta, err))
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	if (opened != NULL && strlen(opened) == 10 && opened[0] >= '0' &&
	    opened[0] <= '9')
		yy = (unsigned)strtoul(opened + 2, NULL, 10);
	else {
		t = (time_t)(ops_now(o) / 1000);
		gmtime_r(&t, &tm);
		yy = (unsigned)(tm.tm_year % 100);
	}
	case_format(prefix, yy, nn, serial, out);
	return (0);
}

int
cases_new_number(struct ops *o, const char *center, const char *opened,
    char out[CASE_NUMBER_MAX + 1], struct ops_err *e)
{

	return (new_number(o, center, opened, false, out, e));
}

/* ---- Finding a consultation by its case number. */

struct found {
	uint8_t		id[SCHEMA_ID_LEN];
	char		person[CASE_NUMBER_MAX + 1];
	long		n;
};

static int
found_cb(void *arg, const struct rview *r)
{
	struct found *f = arg;
	size_t i;

	if (f->n++ == 0) {
		memcpy(f->id, r->id, SCHEMA_ID_LEN);
		for (i = 0; i < r->nf; i++)
			if (strcmp(r->f[i].name, "person") == 0 &&
			    r->f[i].v.t == VAL_STR &&
			    r->f[i].v.len <= CASE_NUMBER_MAX)
				snprintf(f->person, sizeof(f->person), "%.*s",
				    (int)r->f[i].v.len, r->f[i].v.s);
	}
	return (0);
}

/* The live consultation numbered ${num} (parsed) into ${f}. */
static int
find_case(struct ops *o, const char *s, char num[CASE_NUMBER_MAX + 1],
    struct found *f, struct ops_err *e)
{
	struct rview_field filt;
	char err[STORE_ERRLEN], cut[48];
	int r;

	snprintf(cut, sizeof(cut), "%.40s", s);
	if ((r = case_parse(s, num)) == -2)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_CASE_CHECK, 1, cut));
	if (r < 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_CASE_NOT_ID, 1, cut));
	memset(f, 0, sizeof(*f));
	memset(&filt, 0, sizeof(filt));
	filt.name = "case_number";
	filt.v.t = VAL_STR;
	filt.v.s = num;
	filt.v.len = strlen(num);
	if (query_records(o->db, schema_coll("consultations"), NULL, &filt, 1,
	    false, found_cb, f, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (f->n == 0)
		return (ops_fail(e, OPS_NOT_FOUND, OPS_MSG_CASE_NONE, 1, num));
	return (0);
}

int
cases_record_id(struct ops *o, const struct coll_def *c, const char *s,
    uint8_t id[SCHEMA_ID_LEN], struct ops_err *e)
{
	char num[CASE_NUMBER_MAX + 1];
	struct found f;

	if (s == NULL || strlen(s) == 2 * SCHEMA_ID_LEN ||
	    strcmp(c->name, "consultations") != 0 || strchr(s, '-') == NULL)
		return (ops_id(s, id, e));
	if (find_case(o, s, num, &f, e))
		return (-1);
	memcpy(id, f.id, SCHEMA_ID_LEN);
	return (0);
}

int
cases_person(struct ops *o, const char *s, size_t len,
    char out[CASE_NUMBER_MAX + 1], struct ops_err *e)
{
	char buf[CASE_NUMBER_MAX + 8], num[CASE_NUMBER_MAX + 1];
	struct found f;

	snprintf(buf, sizeof(buf), "%.*s", (int)(len > CASE_NUMBER_MAX + 4 ?
	    CASE_NUMBER_MAX + 4 : len), s);
	if (find_case(o, buf, num, &f, e))
		return (-1);
	snprintf(out, CASE_NUMBER_MAX + 1, "%s", *f.person ? f.person : num);
	return (0);
}

static bool
is_field(const struct ops_field *f, const char *name)
{

	return (f->name_len == strlen(name) &&
	    memcmp(f->name, name, f->name_len) == 0);
}

int
cases_fields(struct ops *o, const struct coll_def *c,
    const struct ops_field *in, size_t n, bool creates,
    struct cases_fields *out, struct ops_err *e)
{
	const char *center = NULL, *opened = NULL;
	char cbuf[CENTER_CODE_MAX + 1], obuf[11];
	size_t i;

	memset(out, 0, sizeof(*out));
	if ((out->f = calloc(n + 1, sizeof(*out->f))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	memcpy(out->f, in, n * sizeof(*in));
	out->n = n;
	if (strcmp(c->name, "consultations") != 0)
		return (0);
	for (i = 0; i < n; i++) {
		if (is_field(&in[i], "case_number"))
			goto fail_number;
		if (is_field(&in[i], "person") && in[i].len > 0) {
			if (cases_person(o, in[i].text, in[i].len, out->person,
			    e))
				goto fail;
			out->f[i].text = out->person;
			out->f[i].len = strlen(out->person);
		}
		if (is_field(&in[i], "center") && in[i].len <= CENTER_CODE_MAX) {
			snprintf(cbuf, sizeof(cbuf), "%.*s", (int)in[i].len,
			    in[i].text);
			center = cbuf;
		}
		if (is_field(&in[i], "opened_at") && in[i].len == 10) {
			snprintf(obuf, sizeof(obuf), "%.10s", in[i].text);
			opened = obuf;
		}
	}
	if (!creates)
		return (0);
	/* No center: the rules' refusal says what to give. */
	if (center == NULL)
		return (0);
	if (cases_new_number(o, center, opened, out->number, e))
		goto fail;
	out->f[n].name = "case_number";
	out->f[n].name_len = strlen("case_number");
	out->f[n].text = out->number;
	out->f[n].len = strlen(out->number);
	out->n = n + 1;
	return (0);
fail_number:
	ops_fail(e, OPS_BAD_INPUT, OPS_MSG_CASE_NUMBER_GIVEN, 0);
fail:
	cases_fields_free(out);
	return (-1);
}

void
cases_fields_free(struct cases_fields *cf)
{

	free(cf->f);
	cf->f = NULL;
	cf->n = 0;
}

/* ---- The local access log. */

static int
number_cb(void *arg, const struct rview *r)
{
	char *out = arg;
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "case_number") == 0 &&
		    r->f[i].v.t == VAL_STR && r->f[i].v.len <= CASE_NUMBER_MAX)
			snprintf(out, CASE_NUMBER_MAX + 1, "%.*s",
			    (int)r->f[i].v.len, r->f[i].v.s);
	return (0);
}

int
cases_viewed(struct ops *o, const struct coll_def *c,
    const uint8_t *id, const char *what, const char *note,
    struct ops_err *e)
{
	char num[CASE_NUMBER_MAX + 1] = "", err[STORE_ERRLEN];
	struct db_access a;

	if (c != NULL && strcmp(c->name, "consultations") != 0)
		return (0);
	if (id != NULL && query_records(o->db, c, id, NULL, 0, true,
	    number_cb, num, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	memset(&a, 0, sizeof(a));
	a.at_ms = ops_now(o);
	a.actor = o->actor;
	a.what = what;
	a.coll = "consultations";
	a.id = id;
	a.case_number = id != NULL ? num : note;
	if (db_access_add(o->db, &a, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

int
ops_access_log(struct ops *o, int (*fn)(void *, const struct db_access *),
    void *arg, long *n, struct ops_err *e)
{
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	if ((*n = db_access_each(o->db, fn, arg, err)) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

int
cases_import_number(struct ops *o, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const struct field_def *const *f,
    const struct val *v, size_t n, const char *center, struct ops_err *e)
{
	char num[CASE_NUMBER_MAX + 1], opened[11] = "", err[STORE_ERRLEN];
	struct ops_err ignored;
	struct val nv;
	size_t i;

	if (strcmp(c->name, "consultations") != 0 || *center == '\0')
		return (0);
	for (i = 0; i < n; i++) {
		if (f[i] == NULL || v[i].t != VAL_STR)
			continue;
		if (strcmp(f[i]->name, "case_number") == 0)
			return (0);
		if (strcmp(f[i]->name, "opened_at") == 0 && v[i].len == 10)
			snprintf(opened, sizeof(opened), "%.10s", v[i].s);
	}
	if (ops_center_known(o, center, strlen(center), "center=", NULL,
	    &ignored))
		return (0);
	if (new_number(o, center, *opened ? opened : NULL, true, num, e))
		return (-1);
	memset(&nv, 0, sizeof(nv));
	nv.t = VAL_STR;
	nv.s = num;
	nv.len = strlen(num);
	if (db_put(o->db, c, id, schema_field(c, "case_number", 11), &nv,
	    err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

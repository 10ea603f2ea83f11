/*
 * import.c: import COLLECTION — JSON Lines or CSV, all or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/access/rules.h"
#include "agent/codec/csv.h"
#include "agent/codec/hex.h"
#include "agent/codec/json.h"
#include "agent/ops/cases.h"
#include "agent/ops/ops_int.h"
#include "agent/ops/users.h"

/* The longest line: a guide body, escaped. */
#define LINE_MAX_LEN	(4 * 1024 * 1024)

/*
 * The ids this import wrote, so that a line naming one again is checked
 * against what the earlier line wrote (buffered, not yet in the tables:
 * the pending writes are flushed first).  Open addressing; ids are
 * random, but a file may well use 000...001.
 */
struct idset {
	uint8_t		(*id)[SCHEMA_ID_LEN];
	bool		*used;
	size_t		cap, n;
};

static size_t
idset_slot(const struct idset *s, const uint8_t id[SCHEMA_ID_LEN])
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < SCHEMA_ID_LEN; i++)
		h = (h ^ id[i]) * 1099511628211ULL;
	for (i = (size_t)h & (s->cap - 1); s->used[i] &&
	    memcmp(s->id[i], id, SCHEMA_ID_LEN) != 0; i = (i + 1) & (s->cap - 1))
		;
	return (i);
}

static bool
idset_has(const struct idset *s, const uint8_t id[SCHEMA_ID_LEN])
{

	return (s->cap > 0 && s->used[idset_slot(s, id)]);
}

/* Add ${id}; -1 out of memory. */
static int
idset_add(struct idset *s, const uint8_t id[SCHEMA_ID_LEN])
{
	struct idset g;
	size_t i, k;

	if (2 * (s->n + 1) > s->cap) {
		g.cap = s->cap ? 2 * s->cap : 1024;
		g.n = 0;
		g.id = malloc(g.cap * sizeof(*g.id));
		g.used = calloc(g.cap, sizeof(*g.used));
		if (g.id == NULL || g.used == NULL) {
			free(g.id);
			free(g.used);
			return (-1);
		}
		for (i = 0; i < s->cap; i++)
			if (s->used[i]) {
				k = idset_slot(&g, s->id[i]);
				memcpy(g.id[k], s->id[i], SCHEMA_ID_LEN);
				g.used[k] = true;
				g.n++;
			}
		free(s->id);
		free(s->used);
		*s = g;
	}
	k = idset_slot(s, id);
	if (!s->used[k]) {
		memcpy(s->id[k], id, SCHEMA_ID_LEN);
		s->used[k] = true;
		s->n++;
	}
	return (0);
}

struct imp {
	struct ops		*o;
	const struct coll_def	*c;
	struct rules_node	node;	/* Read once. */
	size_t			line;
	long			n;
	struct ops_err		*e;
	struct idset		written;
};

/* Fail on the current line: nothing is imported. */
static int
imp_fail(struct imp *im, enum ops_code code, enum ops_msg key, int nargs,
    const char *a1, const char *a2)
{

	ops_fail(im->e, code, key, nargs, a1, a2);
	im->e->line = im->line;
	im->e->tail = OPS_MSG_NOTHING_IMPORTED;
	return (-1);
}

/* The current line's error set by an operation: it names the line. */
static int
imp_at_line(struct imp *im, bool tail)
{

	im->e->line = im->line;
	im->e->tail = tail ? OPS_MSG_NOTHING_IMPORTED : OPS_MSG_NONE;
	return (-1);
}

/* A key as error messages quote it: at most 40 bytes. */
static const char *
keyname(char buf[48], const char *k, size_t len)
{

	snprintf(buf, 48, "%.*s", (int)(len > 40 ? 40 : len), k);
	return (buf);
}

/* Validate and write one record given as parallel names and values. */
static int
imp_record(struct imp *im, const char *const *keys, const size_t *klen,
    struct val *vals, size_t n, bool from_text)
{
	const struct field_def *f[SCHEMA_MAX_FIELDS * 2];
	char name[48], err[STORE_ERRLEN];
	char ref[SCHEMA_MAX_FIELDS * 2][2 * SCHEMA_ID_LEN + 1];
	uint8_t id[SCHEMA_ID_LEN];
	char center[CONF_CENTER_MAX + 1], *sealed;
	struct schema_fail sf;
	struct ops_form fm;
	bool has_id = false, live = false, written;
	size_t i;
	int r = 0;

	if (n > SCHEMA_MAX_FIELDS * 2)
		return (imp_fail(im, OPS_BAD_INPUT, OPS_MSG_TOO_MANY_FIELDS, 0,
		    NULL, NULL));
	for (i = 0; i < n; i++) {
		f[i] = NULL;
		if (klen[i] == 2 && memcmp(keys[i], "id", 2) == 0) {
			char hex[2 * SCHEMA_ID_LEN + 1];

			if (vals[i].t == VAL_STR &&
			    vals[i].len == 2 * SCHEMA_ID_LEN) {
				memcpy(hex, vals[i].s, vals[i].len);
				hex[vals[i].len] = '\0';
			} else
				hex[0] = '\0';
			if (hex_decode(hex, id, SCHEMA_ID_LEN))
				return (imp_fail(im, OPS_BAD_INPUT,
				    OPS_MSG_FIELD_ID_HEX, 0, NULL, NULL));
			has_id = true;
			continue;
		}
		if (keys[i][0] == '_' || (f[i] = schema_field(im->c, keys[i],
		    klen[i])) == NULL)
			return (imp_fail(im, OPS_BAD_INPUT,
			    OPS_MSG_FIELD_UNKNOWN, 2, keyname(name, keys[i],
			    klen[i]), im->c->name));
		/* A reference by name: its record's id. */
		if (vals[i].t == VAL_STR) {
			if (ops_refer(im->o, im->c, f[i], vals[i].s,
			    vals[i].len, ref[i], im->e))
				return (imp_at_line(im, true));
			if (ref[i][0] != '\0') {
				vals[i].s = ref[i];
				vals[i].len = strlen(ref[i]);
			}
		}
		if (from_text && vals[i].t == VAL_STR &&
		    schema_parse(f[i], vals[i].s, vals[i].len, &vals[i]))
			return (imp_fail(im, OPS_BAD_INPUT,
			    f[i]->kind == FK_INT ? OPS_MSG_FIELD_NOT_INT :
			    OPS_MSG_FIELD_NOT_BOOL, 1, keyname(name, keys[i],
			    klen[i]), NULL));
		/* A sealed value (export --sealed) is longer than its text. */
		if (conf_secret(im->c, f[i]) && vals[i].t == VAL_STR &&
		    conf_well_sealed(vals[i].s, vals[i].len)) {
			if (vals[i].len > conf_sealed_max(f[i]->max_len))
				return (imp_fail(im, OPS_BAD_INPUT,
				    OPS_MSG_FIELD_SEALED_LONG, 1, keyname(name,
				    keys[i], klen[i]), NULL));
		} else if (schema_check_value(f[i], &vals[i], &sf)) {
			ops_form_fail(im->e, im->c, &sf);
			return (imp_at_line(im, true));
		}
	}
	if (!has_id)
		randombytes_buf(id, sizeof(id));
	else if (idset_has(&im->written, id) && db_flush(im->o->db, err)) {
		ops_store_fail(im->e, err, OPS_MSG_NONE);
		return (imp_at_line(im, true));
	}
	if (has_id && (r = db_record(im->o->db, im->c, id, &live)) < 0)
		return (imp_fail(im, OPS_STORE, OPS_MSG_STORE_READ, 0, NULL,
		    NULL));
	/* The record rules, on the record as this line leaves it. */
	if (ops_form_begin(im->o, &fm, im->c, id, !(r > 0 && live), im->e))
		return (imp_at_line(im, true));
	for (i = 0; i < n; i++)
		if (f[i] != NULL && !(vals[i].t == VAL_NIL && !has_id) &&
		    ops_form_put(&fm, f[i], &vals[i], im->e)) {
			ops_form_end(&fm);
			return (imp_at_line(im, true));
		}
	r = ops_form_check(im->o, &fm, im->e);
	ops_form_end(&fm);
	if (r)
		return (imp_at_line(im, true));
	/* Confidential fields are sealed to the record's center. */
	center[0] = '\0';
	written = false;
	for (i = 0; i < n; i++)
		if (f[i] != NULL && strcmp(f[i]->name, "center") == 0 &&
		    vals[i].t == VAL_STR && vals[i].len <= CONF_CENTER_MAX) {
			memcpy(center, vals[i].s, vals[i].len);
			center[vals[i].len] = '\0';
			written = true;
		}
	if (im->node.in_network) {
		if (has_id && (r = db_record(im->o->db, im->c, id,
		    &live)) < 0)
			return (imp_fail(im, OPS_STORE, OPS_MSG_STORE_READ, 0,
			    NULL, NULL));
		if (ops_judge(im->o, &im->node, im->c, id, !has_id || r == 0,
		    written ? center : NULL, im->e))
			return (imp_at_line(im, im->e->code != OPS_DENIED));
	}
	if (center[0] == '\0' && has_id && conf_record_center(im->o->db,
	    im->c, id, center, err)) {
		ops_store_fail(im->e, err, OPS_MSG_NONE);
		return (imp_at_line(im, true));
	}
	/* A lawyer imports her center's consultations only, as add does. */
	if (ops_user_may_write_rec(im->o, im->c, has_id ? id : NULL, center,
	    im->e))
		return (imp_at_line(im, im->e->code != OPS_DENIED));
	/* A new consultation of a known center gets its case number. */
	if (written && (!has_id || r == 0) && cases_import_number(im->o,
	    im->c, id, f, vals, n, center, im->e))
		return (imp_at_line(im, true));
	for (i = 0; i < n; i++) {
		if (f[i] == NULL || (vals[i].t == VAL_NIL && !has_id))
			continue;
		if (ops_seal(im->o, im->c, id, f[i], center, &vals[i], &sealed,
		    im->e))
			return (imp_at_line(im, true));
		r = db_put(im->o->db, im->c, id, f[i], &vals[i], err);
		free(sealed);
		if (r) {
			ops_store_fail(im->e, err, OPS_MSG_NONE);
			return (imp_at_line(im, true));
		}
	}
	if (has_id && idset_add(&im->written, id))
		return (imp_fail(im, OPS_NOMEM, OPS_MSG_NOMEM, 0, NULL, NULL));
	im->n++;
	return (0);
}

static int
imp_jsonl(struct imp *im, FILE *fp)
{
	const char *keys[JSON_MAX_KEYS];
	size_t klen[JSON_MAX_KEYS];
	struct val vals[JSON_MAX_KEYS];
	struct line_reader *lr;
	struct json_obj o;
	char err[256];
	const char *line;
	size_t len, i;
	int r, ret = 0;

	if ((lr = line_reader_new(fp, LINE_MAX_LEN)) == NULL)
		return (ops_fail(im->e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	memset(&o, 0, sizeof(o));
	while (ret == 0 && (r = line_reader_next(lr, &line, &len)) == 1) {
		im->line = line_reader_lineno(lr);
		if (len == 0)
			continue;
		if (json_parse_object(line, len, &o, err, sizeof(err))) {
			ret = imp_fail(im, OPS_BAD_INPUT, OPS_MSG_IMPORT_SYNTAX,
			    1, err, NULL);
			break;
		}
		for (i = 0; i < o.n; i++) {
			keys[i] = o.kv[i].key;
			klen[i] = o.kv[i].key_len;
			vals[i] = o.kv[i].v;
		}
		ret = imp_record(im, keys, klen, vals, o.n, false);
		json_obj_fini(&o);
	}
	if (ret == 0 && r < 0) {
		im->line = line_reader_lineno(lr);
		ret = imp_fail(im, ferror(fp) ? OPS_IO : OPS_BAD_INPUT,
		    ferror(fp) ? OPS_MSG_IMPORT_READ : OPS_MSG_IMPORT_LONG_LINE,
		    0, NULL, NULL);
	}
	json_obj_fini(&o);
	line_reader_free(lr);
	return (ret);
}

/*
 * Check the header's names on line 1, before any record: a name that is
 * no field is most often a file split at the wrong separator, so the
 * error says which one the header was read with.
 */
static int
imp_csv_header(struct imp *im, const char *const *keys, const size_t *klen,
    size_t n, int sep)
{
	char name[48];
	size_t i;

	for (i = 0; i < n; i++) {
		if (klen[i] == 2 && memcmp(keys[i], "id", 2) == 0)
			continue;
		if (keys[i][0] != '_' && schema_field(im->c, keys[i],
		    klen[i]) != NULL)
			continue;
		ops_fail(im->e, OPS_BAD_INPUT, OPS_MSG_IMPORT_CSV_HEADER, 3,
		    keyname(name, keys[i], klen[i]), im->c->name,
		    sep == ';' ? "';'" : sep == '\t' ? "tab" : "','");
		im->e->line = im->line;
		im->e->tail = OPS_MSG_NOTHING_IMPORTED;
		return (-1);
	}
	return (0);
}

static int
imp_csv(struct imp *im, FILE *fp)
{
	const char *keys[SCHEMA_MAX_FIELDS * 2];
	size_t klen[SCHEMA_MAX_FIELDS * 2];
	struct val vals[SCHEMA_MAX_FIELDS * 2];
	char **hdr = NULL, **fields, err[256], a[32], b[32];
	size_t *lens, nh = 0, n, i;
	struct csv *cv;
	int r, ret = 0;

	if ((cv = csv_new(fp, LINE_MAX_LEN)) == NULL)
		return (ops_fail(im->e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	while (ret == 0 && (r = csv_next(cv, &fields, &lens, &n, err,
	    sizeof(err))) == 1) {
		im->line = csv_lineno(cv);
		if (hdr == NULL) {
			/* The header names the fields; keep a copy. */
			if (n > SCHEMA_MAX_FIELDS * 2) {
				ret = imp_fail(im, OPS_BAD_INPUT,
				    OPS_MSG_IMPORT_COLUMNS, 0, NULL, NULL);
				break;
			}
			if ((hdr = calloc(n ? n : 1, sizeof(*hdr))) == NULL) {
				ret = ops_fail(im->e, OPS_NOMEM, OPS_MSG_NOMEM,
				    0);
				break;
			}
			nh = n;
			for (i = 0; i < n && ret == 0; i++) {
				if ((hdr[i] = strdup(fields[i])) == NULL)
					ret = ops_fail(im->e, OPS_NOMEM,
					    OPS_MSG_NOMEM, 0);
				keys[i] = hdr[i];
				klen[i] = lens[i];
			}
			if (ret == 0)
				ret = imp_csv_header(im, keys, klen, n,
				    csv_sep(cv));
			continue;
		}
		if (n != nh) {
			snprintf(a, sizeof(a), "%zu", n);
			snprintf(b, sizeof(b), "%zu", nh);
			ret = imp_fail(im, OPS_BAD_INPUT,
			    OPS_MSG_IMPORT_FIELD_COUNT, 2, a, b);
			break;
		}
		for (i = 0; i < n; i++) {
			memset(&vals[i], 0, sizeof(vals[i]));
			vals[i].t = lens[i] ? VAL_STR : VAL_NIL;
			vals[i].s = fields[i];
			vals[i].len = lens[i];
		}
		ret = imp_record(im, keys, klen, vals, n, true);
	}
	if (ret == 0 && r < 0) {
		im->line = csv_lineno(cv);
		ret = imp_fail(im, OPS_BAD_INPUT, OPS_MSG_IMPORT_SYNTAX, 1, err,
		    NULL);
	}
	for (i = 0; hdr != NULL && i < nh; i++)
		free(hdr[i]);
	free(hdr);
	csv_free(cv);
	return (ret);
}

int
ops_import(struct ops *o, const struct ops_import_args *a, long *n,
    struct ops_err *e)
{
	struct imp im;
	char err[STORE_ERRLEN];
	int r;

	memset(e, 0, sizeof(*e));
	*n = 0;
	memset(&im, 0, sizeof(im));
	im.o = o;
	im.e = e;
	if ((im.c = ops_coll(a->coll, e)) == NULL)
		return (-1);
	rules_standing(o->db, &im.node);
	if (ops_ring_for(o, im.c, e) == NULL)	/* Keys first: a query. */
		return (-1);
	/* One transaction; a commit per 1000 records inside it. */
	if (ops_begin(o, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	r = a->csv ? imp_csv(&im, a->in) : imp_jsonl(&im, a->in);
	free(im.written.id);
	free(im.written.used);
	if (r != 0) {
		db_rollback(o->db);
		return (-1);
	}
	if (db_commit(o->db, err)) {
		db_rollback(o->db);
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_IMPORTED));
	}
	*n = im.n;
	return (0);
}

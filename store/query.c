/*
 * query.c: reads for the CLI — records, history, conflicts, statistics.
 */
#define _GNU_SOURCE		/* memmem() */
#include "store/query.h"

#include "store/db_int.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store/merge.h"

static int
rvf_cmp(const void *a, const void *b)
{
	const struct rview_field *x = a, *y = b;

	return (strcmp(x->name, y->name));
}

static void
errq(char err[STORE_ERRLEN], struct db *db)
{

	snprintf(err, STORE_ERRLEN, "query: %s",
	    sqlite3_errmsg(db->h));
}

static long records(struct db *, const struct coll_def *, const uint8_t *,
    const struct rview_field *, size_t, bool, const char *,
    const struct qlist *, int (*)(void *, const struct rview *), void *,
    char[STORE_ERRLEN]);

long
query_records(struct db *db, const struct coll_def *c, const uint8_t *id,
    const struct rview_field *filter, size_t nfilter, bool deleted_too,
    int (*fn)(void *, const struct rview *), void *arg,
    char err[STORE_ERRLEN])
{

	return (records(db, c, id, filter, nfilter, deleted_too, "id", NULL,
	    fn, arg, err));
}

long
query_list(struct db *db, const struct coll_def *c,
    const struct rview_field *filter, size_t nfilter, const struct qlist *q,
    int (*fn)(void *, const struct rview *), void *arg,
    char err[STORE_ERRLEN])
{
	const char *order = "id";

	/* Newest first where records have a date; centers by code. */
	if (schema_field(c, "opened_at", 9) != NULL)
		order = schema_field(c, "case_number", 11) != NULL ?
		    "opened_at DESC, case_number DESC, id" :
		    "opened_at DESC, id";
	else if (strcmp(c->name, "centers") == 0)
		order = "code, id";
	return (records(db, c, NULL, filter, nfilter, false, order, q, fn,
	    arg, err));
}

/*
 * The WHERE clause of a read of records: live ones unless ${deleted_too},
 * ${id}'s alone if not NULL, each filter's field equal to its value, and
 * ${q}'s bounds.  Appended to ${sql} at ${off}; the new end.
 */
static size_t
where(char *sql, size_t off, size_t len, const uint8_t *id,
    const struct rview_field *filter, size_t nfilter, bool deleted_too,
    const struct qlist *q)
{
	size_t i;

	off += (size_t)snprintf(sql + off, len - off, " WHERE 1");
	if (!deleted_too)
		off += (size_t)snprintf(sql + off, len - off,
		    " AND _deleted IS NOT 1");
	if (id != NULL)
		off += (size_t)snprintf(sql + off, len - off, " AND id = ?");
	for (i = 0; i < nfilter; i++)
		off += (size_t)snprintf(sql + off, len - off, " AND %s IS ?",
		    filter[i].name);
	if (q != NULL && q->from != NULL)
		off += (size_t)snprintf(sql + off, len - off,
		    " AND opened_at >= ?");
	if (q != NULL && q->to != NULL)
		off += (size_t)snprintf(sql + off, len - off,
		    " AND opened_at <= ?");
	if (q != NULL && q->open_before != NULL)
		off += (size_t)snprintf(sql + off, len - off,
		    " AND status IS 'open' AND opened_at < ?");
	return (off < len ? off : len - 1);
}

/* The values of where()'s placeholders, in its order. */
static void
bind_where(sqlite3_stmt *st, const uint8_t *id,
    const struct rview_field *filter, size_t nfilter, const struct qlist *q)
{
	const char *d[3] = { NULL, NULL, NULL };
	size_t i;
	int k = 1;

	if (id != NULL)
		sqlite3_bind_blob(st, k++, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	for (i = 0; i < nfilter; i++, k++) {
		if (filter[i].v.t == VAL_STR)
			sqlite3_bind_text(st, k, filter[i].v.s,
			    (int)filter[i].v.len, SQLITE_STATIC);
		else if (filter[i].v.t == VAL_NIL)
			sqlite3_bind_null(st, k);
		else
			sqlite3_bind_int64(st, k, filter[i].v.i);
	}
	if (q != NULL) {
		d[0] = q->from;
		d[1] = q->to;
		d[2] = q->open_before;
	}
	for (i = 0; i < 3; i++)
		if (d[i] != NULL)
			sqlite3_bind_text(st, k++, d[i], -1, SQLITE_STATIC);
}

/* Into *${q}->total: how many live records where() keeps, window aside. */
static long
count_where(struct db *db, const struct coll_def *c,
    const struct rview_field *filter, size_t nfilter, const struct qlist *q,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	char sql[2048];
	size_t off;

	off = (size_t)snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM main.c_%s", c->name);
	where(sql, off, sizeof(sql), NULL, filter, nfilter, false, q);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK ||
	    (bind_where(st, NULL, filter, nfilter, q),
	    sqlite3_step(st)) != SQLITE_ROW) {
		errq(err, db);
		sqlite3_finalize(st);
		return (-1);
	}
	*q->total = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (0);
}

static long
records(struct db *db, const struct coll_def *c, const uint8_t *id,
    const struct rview_field *filter, size_t nfilter, bool deleted_too,
    const char *order, const struct qlist *q,
    int (*fn)(void *, const struct rview *), void *arg,
    char err[STORE_ERRLEN])
{
	struct rview_field f[SCHEMA_MAX_FIELDS * 2];
	struct rview rv;
	struct rstate rs;
	sqlite3_stmt *st = NULL;
	const struct mhead *w;
	char sql[4096];
	size_t off, i, nf;
	long n = 0;
	int rc, stop = 0;

	off = (size_t)snprintf(sql, sizeof(sql),
	    "SELECT id, _deleted, _extra");
	for (i = 0; i < c->nfields; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", %s",
		    c->fields[i].name);
	/* Its conflicts: a column of the row, so a listing stays cheap. */
	off += (size_t)snprintf(sql + off, sizeof(sql) - off,
	    ", _conflicts FROM main.c_%s", c->name);
	off = where(sql, off, sizeof(sql), id, filter, nfilter, deleted_too,
	    q);
	off += (size_t)snprintf(sql + off, sizeof(sql) - off, " ORDER BY %s",
	    order);
	if (q != NULL && q->limit > 0)
		snprintf(sql + off, sizeof(sql) - off, " LIMIT %zu OFFSET %zu",
		    q->limit, q->offset);
	else if (q != NULL && q->offset > 0)
		snprintf(sql + off, sizeof(sql) - off, " LIMIT -1 OFFSET %zu",
		    q->offset);
	if (q != NULL && q->total != NULL && count_where(db, c, filter,
	    nfilter, q, err) < 0)
		return (-1);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	bind_where(st, id, filter, nfilter, q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&rs, 0, sizeof(rs));
		nf = 0;
		for (i = 0; i < c->nfields; i++) {
			if (sqlite3_column_type(st, (int)i + 3) == SQLITE_NULL)
				continue;
			f[nf].name = c->fields[i].name;
			memset(&f[nf].v, 0, sizeof(f[nf].v));
			if (sqlite3_column_type(st, (int)i + 3) ==
			    SQLITE_INTEGER) {
				f[nf].v.t = VAL_INT;
				f[nf].v.i = sqlite3_column_int64(st, (int)i + 3);
			} else {
				f[nf].v.t = VAL_STR;
				f[nf].v.s = (const char *)sqlite3_column_text(
				    st, (int)i + 3);
				f[nf].v.len = (size_t)sqlite3_column_bytes(st,
				    (int)i + 3);
			}
			nf++;
		}
		/* Fields from newer versions live only in the state. */
		if (sqlite3_column_int64(st, 2) > 0) {
			if (db_load_state(db, c, sqlite3_column_blob(st, 0),
			    &rs, err))
				goto fail1;
			for (i = 0; i < rs.nf && nf < SCHEMA_MAX_FIELDS * 2;
			    i++) {
				if (schema_field(c, rs.f[i].name,
				    strlen(rs.f[i].name)) != NULL ||
				    (w = freg_winner(&rs.f[i])) == NULL ||
				    w->v.t == VAL_NIL)
					continue;
				f[nf].name = rs.f[i].name;
				f[nf].v = w->v;
				nf++;
			}
		}
		qsort(f, nf, sizeof(f[0]), rvf_cmp);
		rv.c = c;
		rv.id = sqlite3_column_blob(st, 0);
		rv.deleted = sqlite3_column_int(st, 1) == 1;
		rv.nf = nf;
		rv.f = f;
		rv.conflicts = (uint32_t)sqlite3_column_int64(st,
		    (int)c->nfields + 3);
		n++;
		stop = fn(arg, &rv);
		rstate_fini(&rs);
		if (stop)
			break;
	}
	if (!stop && rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return (n);

fail:
	errq(err, db);
fail1:
	sqlite3_finalize(st);
	return (-1);
}

long
query_user_records(struct db *db, const struct coll_def *c, const char *user,
    int (*fn)(void *, const uint8_t *), void *arg, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	struct commit cm;
	const uint8_t *body;
	const char *why;
	size_t len, i, cl = strlen(c->name), ul = strlen(user);
	long n = 0;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT c.body FROM commits c"
	    " JOIN origins o ON o.idx = c.origin WHERE o.key = ?"
	    " ORDER BY c.seq", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 1, db_node_key(db), NODE_KEY_LEN,
	    SQLITE_STATIC) != SQLITE_OK) {
		errq(err, db);
		sqlite3_finalize(st);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		body = sqlite3_column_blob(st, 0);
		len = (size_t)sqlite3_column_bytes(st, 0);
		/* Most commits are another user's: skip them undecoded. */
		if (body == NULL || ul == 0 || memmem(body, len, user, ul) ==
		    NULL)
			continue;
		if (commit_decode(body, len, &cm, &why)) {
			snprintf(err, STORE_ERRLEN, "commit log is corrupt: %s;"
			    " run 'hamroh verify'", why);
			sqlite3_finalize(st);
			return (-1);
		}
		if (cm.user != NULL && cm.user_len == ul &&
		    memcmp(cm.user, user, ul) == 0)
			for (i = 0; i < cm.nrec; i++)
				if (cm.rec[i].coll_len == cl &&
				    memcmp(cm.rec[i].coll, c->name, cl) == 0) {
					n++;
					fn(arg, cm.rec[i].id);
				}
		commit_fini(&cm);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		errq(err, db);
		return (-1);
	}
	return (n);
}

long
query_history(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], int (*fn)(void *, const struct hview *),
    void *arg, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	struct commit cm;
	struct hview h;
	const struct rchange *r;
	const uint8_t *body;
	const char *why;
	size_t len, i, j, cl = strlen(c->name);
	long n = 0;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT body FROM commits"
	    " ORDER BY hlc, n", -1, &st, NULL) != SQLITE_OK) {
		errq(err, db);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		body = sqlite3_column_blob(st, 0);
		len = (size_t)sqlite3_column_bytes(st, 0);
		/* Most commits never name this id: skip them undecoded. */
		if (body == NULL || memmem(body, len, id, SCHEMA_ID_LEN) ==
		    NULL)
			continue;
		if (commit_decode(body, len, &cm, &why)) {
			snprintf(err, STORE_ERRLEN, "commit log is corrupt: %s;"
			    " run 'hamroh verify'", why);
			sqlite3_finalize(st);
			return (-1);
		}
		for (i = 0; i < cm.nrec; i++) {
			r = &cm.rec[i];
			if (r->coll_len != cl || memcmp(r->coll, c->name, cl) ||
			    memcmp(r->id, id, SCHEMA_ID_LEN))
				continue;
			for (j = 0; j < r->nf; j++) {
				h.hlc = cm.hlc;
				h.origin = cm.origin;
				h.seq = cm.seq;
				h.user = cm.user;
				h.user_len = cm.user_len;
				h.field = r->f[j].field;
				h.field_len = r->f[j].field_len;
				h.v = r->f[j].v;
				n++;
				fn(arg, &h);
			}
		}
		commit_fini(&cm);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		errq(err, db);
		return (-1);
	}
	return (n);
}

long
query_conflicts(struct db *db, int (*fn)(void *, const struct cview *),
    void *arg, char err[STORE_ERRLEN])
{
	struct cview_head h[COMMIT_MAX_SEEN];
	const struct coll_def *c;
	struct cview cv;
	struct rstate rs;
	sqlite3_stmt *st;
	uint8_t id[SCHEMA_ID_LEN];
	char sql[256];
	size_t i, k;
	long n = 0;
	int rc;

	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "SELECT id FROM main.c_%s"
		    " WHERE _conflicts > 0 ORDER BY id", c->name);
		if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) !=
		    SQLITE_OK) {
			errq(err, db);
			return (-1);
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			memcpy(id, sqlite3_column_blob(st, 0), SCHEMA_ID_LEN);
			if (db_load_state(db, c, id, &rs, err)) {
				sqlite3_finalize(st);
				return (-1);
			}
			for (i = 0; i < rs.nf; i++) {
				if (!freg_conflict(&rs.f[i]))
					continue;
				for (k = 0; k < rs.f[i].nh &&
				    k < COMMIT_MAX_SEEN; k++) {
					const struct mhead *m =
					    &rs.f[i].h[rs.f[i].nh - 1 - k];

					h[k].hlc = m->hlc;
					h[k].origin = db_origin_key(db,
					    m->oidx);
					h[k].v = m->v;
				}
				cv.c = c;
				cv.id = id;
				cv.field = rs.f[i].name;
				cv.nh = k;
				cv.h = h;
				n++;
				fn(arg, &cv);
			}
			rstate_fini(&rs);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			errq(err, db);
			return (-1);
		}
	}
	return (n);
}

long
query_stats(struct db *db, const struct coll_def *c, const char *const *by,
    size_t nby, int (*fn)(void *, const struct val *, uint64_t), void *arg,
    char err[STORE_ERRLEN])
{

	return (query_stats_but(db, c, by, nby, NULL, NULL, fn, arg, err));
}

long
query_stats_but(struct db *db, const struct coll_def *c,
    const char *const *by, size_t nby, const char *but_field,
    const char *but_value, int (*fn)(void *, const struct val *, uint64_t),
    void *arg, char err[STORE_ERRLEN])
{
	struct val v[SCHEMA_MAX_FIELDS];
	sqlite3_stmt *st;
	char sql[2048], grp[512];
	size_t off = 0, goff = 0, i;
	long n = 0;
	int rc;

	if (nby == 0 || nby > SCHEMA_MAX_FIELDS) {
		snprintf(err, STORE_ERRLEN, "give 1 to %d fields",
		    SCHEMA_MAX_FIELDS);
		return (-1);
	}
	off = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (i = 0; i < nby; i++) {
		/* Names were checked against the schema by the caller. */
		if (strcmp(by[i], "month") == 0)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off,
			    "substr(opened_at, 1, 7), ");
		else
			off += (size_t)snprintf(sql + off, sizeof(sql) - off,
			    "%s, ", by[i]);
		goff += (size_t)snprintf(grp + goff, sizeof(grp) - goff,
		    "%s%zu", i ? ", " : "", i + 1);
	}
	off += (size_t)snprintf(sql + off, sizeof(sql) - off,
	    "count(*) FROM main.c_%s WHERE _deleted IS NOT 1", c->name);
	/* The field was checked against the schema by the caller. */
	if (but_field != NULL)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
		    " AND %s IS NOT ?", but_field);
	snprintf(sql + off, sizeof(sql) - off, " GROUP BY %s ORDER BY %s",
	    grp, grp);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) !=
	    SQLITE_OK) {
		errq(err, db);
		return (-1);
	}
	if (but_field != NULL)
		sqlite3_bind_text(st, 1, but_value, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < nby; i++) {
			db_col_val(st, (int)i, &v[i]);
		}
		n++;
		fn(arg, v, (uint64_t)sqlite3_column_int64(st, (int)nby));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		errq(err, db);
		return (-1);
	}
	return (n);
}

/*
 * A members field of the node ${key}, or its key's hex prefix if unknown;
 * whether it was known.
 */
static bool
member_field(struct db *db, const uint8_t key[NODE_KEY_LEN],
    const char *field, char *out, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	char hex[2 * NODE_KEY_LEN + 1], sql[128];
	sqlite3_stmt *st;
	bool found = false;
	size_t i;

	for (i = 0; i < NODE_KEY_LEN; i++) {
		hex[2 * i] = hx[key[i] >> 4];
		hex[2 * i + 1] = hx[key[i] & 15];
	}
	hex[2 * NODE_KEY_LEN] = '\0';
	snprintf(out, len, "%.16s", hex);
	snprintf(sql, sizeof(sql), "SELECT %s FROM main.c_members"
	    " WHERE key = ? AND %s IS NOT NULL LIMIT 1", field, field);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return (false);
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, len, "%s", sqlite3_column_text(st, 0));
		found = true;
	}
	sqlite3_finalize(st);
	return (found);
}

void
query_node_name(struct db *db, const uint8_t key[NODE_KEY_LEN], char *out,
    size_t len)
{

	(void)member_field(db, key, "name", out, len);
}

void
query_node_center(struct db *db, const uint8_t key[NODE_KEY_LEN], char *out,
    size_t len)
{

	if (!member_field(db, key, "center", out, len) && len > 0)
		out[0] = '\0';
}

/* The user of ${origin}'s commit whose ${col} (seq or hlc) is ${v}. */
static void
commit_user_by(struct db *db, const uint8_t origin[NODE_KEY_LEN],
    const char *col, uint64_t v, char *out, size_t len)
{
	sqlite3_stmt *st;
	struct commit cm;
	const char *why;
	char sql[160];

	if (len > 0)
		out[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT c.body FROM main.commits c"
	    " JOIN main.origins o ON o.idx = c.origin WHERE o.key = ?"
	    " AND c.%s = ? LIMIT 1", col);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_blob(st, 1, origin, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)v);
	if (sqlite3_step(st) == SQLITE_ROW && commit_decode(
	    sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
	    &cm, &why) == 0) {
		if (cm.user != NULL)
			snprintf(out, len, "%.*s", (int)cm.user_len, cm.user);
		commit_fini(&cm);
	}
	sqlite3_finalize(st);
}

void
query_commit_user(struct db *db, const uint8_t origin[NODE_KEY_LEN],
    uint64_t seq, char *out, size_t len)
{

	commit_user_by(db, origin, "seq", seq, out, len);
}

void
query_commit_user_at(struct db *db, const uint8_t origin[NODE_KEY_LEN],
    uint64_t hlc, char *out, size_t len)
{

	commit_user_by(db, origin, "hlc", hlc, out, len);
}

uint64_t
query_record_hlc(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN])
{
	struct rstate rs;
	char err[STORE_ERRLEN];
	uint64_t m = 0;
	size_t i, k;

	if (db_load_state(db, c, id, &rs, err) != 0)
		return (0);
	for (i = 0; i < rs.nf; i++)
		for (k = 0; k < rs.f[i].nh; k++)
			if (rs.f[i].h[k].hlc > m)
				m = rs.f[i].h[k].hlc;
	rstate_fini(&rs);
	return (m);
}

bool
query_has_history(struct db *db)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (sqlite3_prepare_v2(db->h, "SELECT EXISTS(SELECT 1"
	    " FROM c_consultations) OR EXISTS(SELECT 1 FROM c_guides) OR"
	    " EXISTS(SELECT 1 FROM c_directory) OR"
	    " EXISTS(SELECT 1 FROM c_centers) OR (SELECT count(*) FROM"
	    " origins) > 1", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		yes = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return (yes);
}

bool
query_uses_keys(struct db *db)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (sqlite3_prepare_v2(db->h, "SELECT EXISTS(SELECT 1"
	    " FROM c_keys) OR EXISTS(SELECT 1 FROM c_consultations WHERE"
	    " client_name LIKE 'enc1:%' OR client_phone LIKE 'enc1:%' OR"
	    " summary LIKE 'enc1:%') OR (SELECT v FROM meta WHERE k ="
	    " 'role') IN ('center', 'office')", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		yes = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return (yes);
}

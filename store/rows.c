/*
 * rows.c: materialization: loading a record's state, merging changes into
 * it and writing its row.  db_apply_state() is the one path by which a
 * write reaches a table; judge_rec() (store/judge.c) decides before it
 * whether the write may.  The refused table is read here too.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <string.h>

/* Column type of a field in a materialized table. */
const char *
rows_coltype(const struct field_def *f)
{

	return (f->kind == FK_INT || f->kind == FK_BOOL ? "INTEGER" : "TEXT");
}

int
rows_create_table(struct db *db, const char *schema, const struct coll_def *c,
    char err[STORE_ERRLEN])
{
	char sql[4096];
	size_t off, i;

	off = (size_t)snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS %s.c_%s(id BLOB PRIMARY KEY",
	    schema, c->name);
	for (i = 0; i < c->nfields; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
		    ", %s %s", c->fields[i].name, rows_coltype(&c->fields[i]));
	snprintf(sql + off, sizeof(sql) - off, ", _deleted INTEGER,"
	    " _conflicts INTEGER NOT NULL, _extra INTEGER NOT NULL,"
	    " _state BLOB NOT NULL)");
	return (db_exec(db, sql, err) || rows_create_index(db, schema, c, err));
}

int
rows_create_index(struct db *db, const char *schema,
    const struct coll_def *c, char err[STORE_ERRLEN])
{
	char sql[512];

	/*
	 * The records with an open conflict (query_conflicts(): every
	 * status asks) are few: a partial index finds them without reading
	 * the table, whose rows carry their state.
	 */
	snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS"
	    " %s.c_%s_conflicted ON c_%s(id) WHERE _conflicts > 0", schema,
	    c->name, c->name);
	if (db_exec(db, sql, err))
		return (-1);
	/*
	 * The list's order (query_list()), _deleted beside it: the newest
	 * page and the count of a listing read the index alone.
	 */
	if (schema_field(c, "opened_at", 9) == NULL)
		return (0);
	snprintf(sql, sizeof(sql), "CREATE INDEX IF NOT EXISTS %s.c_%s_newest"
	    " ON c_%s(opened_at DESC,%s id, _deleted)", schema, c->name,
	    c->name, schema_field(c, "case_number", 11) != NULL ?
	    " case_number DESC," : "");
	return (db_exec(db, sql, err));
}

void
db_tgt_fini(struct tgt *t)
{
	size_t i;

	for (i = 0; i < 8; i++) {
		sqlite3_finalize(t->sel[i]);
		sqlite3_finalize(t->rep[i]);
		t->sel[i] = t->rep[i] = NULL;
	}
	sqlite3_finalize(t->ref_ins);
	sqlite3_finalize(t->ref_has);
	sqlite3_finalize(t->ref_del);
	sqlite3_finalize(t->ref_list);
	t->ref_ins = t->ref_has = t->ref_del = t->ref_list = NULL;
}

/* merge_ctx callbacks. */
struct mctx {
	struct db		*db;
	struct tgt		*t;
	const struct coll_def	*c;
	const uint8_t		*id;	/* The record being written. */
};

static const uint8_t *
mkey(void *arg, uint32_t oidx)
{
	struct mctx *m = arg;

	return (m->db->orig[oidx].key);
}

static bool
mapplied(void *arg, uint64_t hlc, uint32_t oidx)
{
	struct mctx *m = arg;
	const struct orig *o = &m->db->orig[oidx];

	/* A refused write was never applied: whoever saw it, it stays out. */
	return (hlc <= (m->t->rebuild ? o->rb_hlc : o->hlc) &&
	    !rows_refused(m->db, m->t, m->c, m->id, oidx, hlc));
}

/* ---- Materialization. ---- */

size_t
db_coll_index(const struct coll_def *c)
{

	return ((size_t)(c - schema_colls));
}

static int
tgt_prep(struct db *db, struct tgt *t, const struct coll_def *c,
    char err[STORE_ERRLEN])
{
	char sql[4096];
	size_t ci = db_coll_index(c), off, i;

	if (t->sel[ci] == NULL) {
		off = (size_t)snprintf(sql, sizeof(sql), "SELECT _state");
		for (i = 0; i < c->nfields; i++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off,
			    ", %s", c->fields[i].name);
		snprintf(sql + off, sizeof(sql) - off,
		    ", _deleted FROM %s.c_%s WHERE id = ?", t->schema, c->name);
		if (db_prep(db, &t->sel[ci], sql, err))
			return (-1);
		off = (size_t)snprintf(sql, sizeof(sql),
		    "INSERT OR REPLACE INTO %s.c_%s VALUES(?", t->schema,
		    c->name);
		for (i = 0; i < c->nfields + 4; i++)
			off += (size_t)snprintf(sql + off, sizeof(sql) - off,
			    ", ?");
		snprintf(sql + off, sizeof(sql) - off, ")");
		if (db_prep(db, &t->rep[ci], sql, err))
			return (-1);
	}
	sqlite3_reset(t->sel[ci]);
	sqlite3_reset(t->rep[ci]);
	return (0);
}

static void
col_val(sqlite3_stmt *st, int col, const struct field_def *f, struct val *v)
{

	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		v->t = VAL_NIL;
		break;
	case SQLITE_INTEGER:
		v->t = f->kind == FK_BOOL ? VAL_BOOL : VAL_INT;
		v->i = sqlite3_column_int64(st, col);
		break;
	default:
		v->t = VAL_STR;
		v->s = (const char *)sqlite3_column_text(st, col);
		v->len = (size_t)sqlite3_column_bytes(st, col);
		break;
	}
}

/*
 * Load the state of record ${id} into ${rs} (empty if the record is new),
 * filling column-stored winners from the columns.
 */
int
db_load_rec(struct db *db, struct tgt *t, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], struct rstate *rs,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	const struct field_def *f;
	struct freg *r;
	struct val v;
	uint64_t uh;
	uint32_t uo;
	size_t i;
	int rc;

	memset(rs, 0, sizeof(*rs));
	if (tgt_prep(db, t, c, err))
		return (-1);
	st = t->sel[db_coll_index(c)];
	sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		return (0);
	if (rc != SQLITE_ROW) {
		db_errf(err, "read record", db->h);
		return (-1);
	}
	switch (rstate_decode(sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0), rs, &uh, &uo)) {
	case 0:
		break;
	case 1:
		/* Uniform: each non-empty column is a head with that stamp. */
		for (i = 0; i <= c->nfields; i++) {
			if (sqlite3_column_type(st, (int)i + 1) == SQLITE_NULL)
				continue;
			if (rstate_add_head(rs, i < c->nfields ?
			    c->fields[i].name : SCHEMA_DELETED, uh, uo))
				goto oom;
		}
		break;
	default:
		goto corrupt;
	}
	for (i = 0; i < rs->nf; i++) {
		r = &rs->f[i];
		if (r->nh == 0 || r->h[r->nh - 1].has_v)
			continue;
		if ((f = schema_field(c, r->name, strlen(r->name))) == NULL)
			goto corrupt;
		/* Column 0 is _state; _deleted comes after the fields. */
		col_val(st, (int)schema_field_index(c, f) + 1, f, &v);
		if (rstate_set_val(&r->h[r->nh - 1], &v))
			goto oom;
	}
	sqlite3_reset(st);
	return (0);

oom:
	sqlite3_reset(st);
	rstate_fini(rs);
	snprintf(err, STORE_ERRLEN, "out of memory");
	return (-1);

corrupt:
	sqlite3_reset(st);
	rstate_fini(rs);
	snprintf(err, STORE_ERRLEN, "record state of %s is corrupt; run "
	    "'hamroh rebuild'", c->name);
	return (-1);
}

static int
bind_val(sqlite3_stmt *st, int col, const struct val *v)
{

	switch (v->t) {
	case VAL_STR:
		return (sqlite3_bind_text(st, col, v->s, (int)v->len,
		    SQLITE_STATIC));
	case VAL_INT:
	case VAL_BOOL:
		return (sqlite3_bind_int64(st, col, v->i));
	default:
		return (sqlite3_bind_null(st, col));
	}
}

/* Write ${rs} as the row of record ${id}. */
static int
store_rec(struct db *db, struct tgt *t, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const struct rstate *rs,
    char err[STORE_ERRLEN])
{
	msgpack_sbuffer sb;
	sqlite3_stmt *st = t->rep[db_coll_index(c)];
	const struct field_def *f;
	const struct mhead *w;
	size_t i, extra = 0;

	msgpack_sbuffer_init(&sb);
	if (rstate_encode(rs, c, &sb)) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		goto fail;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	for (i = 0; i < rs->nf; i++) {
		if ((w = freg_winner(&rs->f[i])) == NULL)
			continue;
		f = schema_field(c, rs->f[i].name, strlen(rs->f[i].name));
		if (f == NULL) {
			extra++;
			continue;
		}
		/* id, then the fields, then _deleted. */
		bind_val(st, (int)schema_field_index(c, f) + 2, &w->v);
	}
	sqlite3_bind_int64(st, (int)c->nfields + 3,
	    (int64_t)rstate_conflicts(rs));
	sqlite3_bind_int64(st, (int)c->nfields + 4, (int64_t)extra);
	sqlite3_bind_blob(st, (int)c->nfields + 5, sb.data, (int)sb.size,
	    SQLITE_STATIC);
	if (db_step(db, st, "write record", err))
		goto fail;
	msgpack_sbuffer_destroy(&sb);
	return (0);

fail:
	msgpack_sbuffer_destroy(&sb);
	return (-1);
}

/*
 * Apply the changes of one record of a commit stamped (hlc, oidx) to its
 * loaded state ${rs}, and write the row.  Frees ${rs}.
 */
int
db_apply_state(struct db *db, struct tgt *t, const struct coll_def *c,
    const struct rchange *rc, uint64_t hlc, uint32_t oidx, struct rstate *rs,
    char err[STORE_ERRLEN])
{
	uint64_t sh[COMMIT_MAX_SEEN];
	uint32_t so[COMMIT_MAX_SEEN];
	struct mctx m = { db, t, c, rc->id };
	/* ${rc}'s values outlive ${rs}: it is stored and freed below. */
	struct merge_ctx ctx = { mkey, mapplied, &m, true };
	const struct fchange *f;
	size_t i, k;

	for (i = 0; i < rc->nf; i++) {
		f = &rc->f[i];
		for (k = 0; k < f->nseen && k < COMMIT_MAX_SEEN; k++) {
			sh[k] = f->seen[k].hlc;
			if (origin_idx(db, f->seen[k].origin, &so[k], err))
				goto fail;
		}
		if (rstate_apply(rs, &ctx, f->field, f->field_len, hlc, oidx,
		    &f->v, sh, so, k)) {
			snprintf(err, STORE_ERRLEN, "out of memory");
			goto fail;
		}
	}
	if (store_rec(db, t, c, rc->id, rs, err))
		goto fail;
	rstate_fini(rs);
	return (0);

fail:
	rstate_fini(rs);
	return (-1);
}

int
db_record(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], bool *live)
{
	sqlite3_stmt *st;
	char sql[128];
	int rc, r = -1;

	snprintf(sql, sizeof(sql), "SELECT _deleted FROM main.c_%s WHERE"
	    " id = ?", c->name);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_blob(st, 1, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*live = sqlite3_column_int(st, 0) != 1;
		r = 1;
	} else if (rc == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(st);
	return (r);
}

int
db_load_state(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], struct rstate *rs,
    char err[STORE_ERRLEN])
{

	return (db_load_rec(db, &db->live, c, id, rs, err));
}

/* ---- The refused table of a target. ---- */

/* ---- Judging (store/trust.h). ---- */

/* Prepare ${head} ${t}'s schema ${tail} into ${st} (once), reset. */
int
rows_tgt_stmt(struct db *db, struct tgt *t, sqlite3_stmt **st, const char *head,
    const char *tail, char err[STORE_ERRLEN])
{
	char buf[512];

	if (*st == NULL) {
		snprintf(buf, sizeof(buf), "%s%s%s", head, t->schema, tail);
		if (db_prep(db, st, buf, err))
			return (-1);
	}
	sqlite3_reset(*st);
	sqlite3_clear_bindings(*st);
	return (0);
}

int64_t
rows_refused_count(struct db *db, struct tgt *t)
{
	sqlite3_stmt *st;
	char sql[128];

	if (t->nrefused >= 0)
		return (t->nrefused);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.refused",
	    t->schema);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		t->nrefused = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* No table yet, or an error: assume some, and look each time. */
	return (t->nrefused >= 0 ? t->nrefused : 1);
}

/* Was the write of (hlc, oidx) to record ${id} of ${c} refused? */
bool
rows_refused(struct db *db, struct tgt *t, const struct coll_def *c,
    const uint8_t *id, uint32_t oidx, uint64_t hlc)
{
	char err[STORE_ERRLEN];
	bool yes;

	if (rows_refused_count(db, t) == 0 || rows_tgt_stmt(db, t, &t->ref_has,
	    "SELECT 1 FROM ", ".refused WHERE coll = ? AND id = ? AND"
	    " origin = ? AND hlc = ?", err))
		return (false);
	sqlite3_bind_text(t->ref_has, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(t->ref_has, 2, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(t->ref_has, 3, oidx);
	sqlite3_bind_int64(t->ref_has, 4, (int64_t)hlc);
	yes = sqlite3_step(t->ref_has) == SQLITE_ROW;
	sqlite3_reset(t->ref_has);
	return (yes);
}

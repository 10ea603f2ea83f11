/*
 * report.c: the counts a report is made of (store/query.h, query_report),
 * grouped in one SQL pass over a collection's table, and when each origin
 * last wrote (the report's "as of").
 */
#include "store/query.h"

#include "store/db_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/hlc.h"

/* Append to ${sql}; whether it still fits. */
static bool
add(char *sql, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool
add(char *sql, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return (false);
	va_start(ap, fmt);
	n = vsnprintf(sql + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off) {
		*off = len;
		return (false);
	}
	*off += (size_t)n;
	return (true);
}

/* The SQL of grouping ${g}: its column names were checked by the caller. */
static void
group_expr(const struct query_group *g, char *sql, size_t len, size_t *off)
{
	size_t i;

	switch (g->kind) {
	case QG_MONTH:
		add(sql, len, off, "substr(%s, 1, 7)", g->field);
		break;
	case QG_YEAR:
		add(sql, len, off, "substr(%s, 1, 4)", g->field);
		break;
	case QG_QUARTER:
		/* NULL || text is NULL: a missing date stays missing. */
		add(sql, len, off, "substr(%s, 1, 4) || '-Q' || "
		    "((CAST(substr(%s, 6, 2) AS INTEGER) + 2) / 3)", g->field,
		    g->field);
		break;
	case QG_BANDS:
		add(sql, len, off, "CASE WHEN %s IS NULL THEN NULL", g->field);
		for (i = 1; i < g->nlo; i++)
			add(sql, len, off, " WHEN %s < %" PRId64 " THEN %zu",
			    g->field, g->lo[i], i - 1);
		add(sql, len, off, " ELSE %zu END", g->nlo - 1);
		break;
	default:
		add(sql, len, off, "%s", g->field);
	}
}

/* The WHERE clause of ${q}; the values are bound by bind(). */
static void
where(const struct query_report *q, char *sql, size_t len, size_t *off)
{
	size_t i, k;

	add(sql, len, off, " FROM main.c_%s WHERE _deleted IS NOT 1",
	    q->c->name);
	for (i = 0; i < q->nf; i++) {
		add(sql, len, off, " AND (");
		for (k = 0; k < q->f[i].nv; k++)
			add(sql, len, off, "%s%s IS ?", k ? " OR " : "",
			    q->f[i].field);
		add(sql, len, off, ")");
	}
	/*
	 * "+": not through the opened_at index.  A period of a report is
	 * most of the table, and walking the index looks each row up in the
	 * table: slower than the one pass over it (reportbench).
	 */
	if (q->on != NULL && q->from != NULL)
		add(sql, len, off, " AND +%s >= ?", q->on);
	if (q->on != NULL && q->to != NULL)
		add(sql, len, off, " AND +%s <= ?", q->on);
	if (q->given != NULL)
		add(sql, len, off, " AND %s IS NOT NULL", q->given);
	if (q->but != NULL && q->but_n == NULL)
		add(sql, len, off, " AND %s IS %s'no'", q->but,
		    q->only_but ? "" : "NOT ");
}

static void
bind_report(sqlite3_stmt *st, const struct query_report *q)
{
	const struct val *v;
	size_t i, k;
	int n = 1;

	for (i = 0; i < q->nf; i++)
		for (k = 0; k < q->f[i].nv; k++, n++) {
			v = &q->f[i].v[k];
			if (v->t == VAL_STR)
				sqlite3_bind_text(st, n, v->s, (int)v->len,
				    SQLITE_STATIC);
			else if (v->t == VAL_NIL)
				sqlite3_bind_null(st, n);
			else
				sqlite3_bind_int64(st, n, v->i);
		}
	if (q->on != NULL && q->from != NULL)
		sqlite3_bind_text(st, n++, q->from, -1, SQLITE_STATIC);
	if (q->on != NULL && q->to != NULL)
		sqlite3_bind_text(st, n++, q->to, -1, SQLITE_STATIC);
}

/*
 * Whether the left-out records are counted in the same pass: not with
 * persons, whose window sorts 1.7 times slower partitioned by consent
 * too than a second plain pass costs (reportbench).
 */
static bool
split(const struct query_report *q)
{

	return (q->but != NULL && !q->only_but && q->but_n != NULL &&
	    q->person == NULL);
}

/* The statement of ${q}: one pass, grouped by SQLite. */
static int
report_sql(const struct query_report *q, char *sql, size_t len)
{
	char grp[32];
	size_t off = 0, goff = 0, i;

	grp[0] = '\0';
	for (i = 0; i < q->ng; i++)
		add(grp, sizeof(grp), &goff, "%s%zu", i ? ", " : "", i + 1);
	/* Split (but_n): the last group says whether it is left out. */
	if (split(q))
		add(grp, sizeof(grp), &goff, "%s%zu", q->ng ? ", " : "",
		    q->ng + 1);
	add(sql, len, &off, "SELECT ");
	if (q->person == NULL) {
		for (i = 0; i < q->ng; i++) {
			group_expr(&q->g[i], sql, len, &off);
			add(sql, len, &off, ", ");
		}
		if (split(q))
			add(sql, len, &off, "%s IS 'no', ", q->but);
		add(sql, len, &off, "count(*)");
		where(q, sql, len, &off);
	} else {
		/*
		 * Each person once, in the groups of his newest record:
		 * a window numbers his records newest first.
		 */
		for (i = 0; i < q->ng; i++)
			add(sql, len, &off, "g%zu, ", i);
		if (split(q))
			add(sql, len, &off, "_no, ");
		add(sql, len, &off, "count(*) FROM (SELECT ");
		for (i = 0; i < q->ng; i++) {
			group_expr(&q->g[i], sql, len, &off);
			add(sql, len, &off, " AS g%zu, ", i);
		}
		/*
		 * Split: a person's newest among the records kept, apart
		 * from those left out, which are counted as consultations.
		 */
		if (split(q))
			add(sql, len, &off, "%s IS 'no' AS _no, ", q->but);
		add(sql, len, &off, "row_number() OVER (PARTITION BY ");
		if (split(q))
			add(sql, len, &off, "%s IS 'no', ", q->but);
		add(sql, len, &off, "coalesce(%s, %s, hex(id)) ORDER BY %s "
		    "DESC, %s DESC, id DESC) AS _rn", q->person, q->self,
		    q->newest, q->self);
		where(q, sql, len, &off);
		add(sql, len, &off, ") WHERE _rn = 1%s", split(q) ?
		    " OR _no" : "");
	}
	if (q->ng > 0 || split(q))
		add(sql, len, &off, " GROUP BY %s", grp);
	return (off < len ? 0 : -1);
}

long
query_report(struct db *db, const struct query_report *q,
    int (*fn)(void *, const struct val *, uint64_t), void *arg,
    char err[STORE_ERRLEN])
{
	struct val v[QUERY_REPORT_GROUPS];
	sqlite3_stmt *st;
	char sql[8192];
	size_t i;
	long n = 0;
	int rc;

	if (q->ng > QUERY_REPORT_GROUPS || report_sql(q, sql, sizeof(sql))) {
		snprintf(err, STORE_ERRLEN, "report: too many groups or "
		    "filters");
		return (-1);
	}
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "report", db->h);
		return (-1);
	}
	bind_report(st, q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < q->ng; i++) {
			db_col_val(st, (int)i, &v[i]);
		}
		if (split(q) && sqlite3_column_int(st, (int)q->ng) != 0) {
			*q->but_n += (uint64_t)sqlite3_column_int64(st,
			    (int)q->ng + 1);
			continue;
		}
		n++;
		if (fn(arg, v, (uint64_t)sqlite3_column_int64(st,
		    (int)q->ng + (split(q) ? 1 : 0))))
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_errf(err, "report", db->h);
		return (-1);
	}
	return (n);
}

long
query_origin_newest(struct db *db,
    int (*fn)(void *, const uint8_t *, uint64_t), void *arg,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	/* An origin's newest commit is its highest seq: one index probe. */
	if (sqlite3_prepare_v2(db->h, "SELECT o.key, (SELECT c.hlc FROM"
	    " main.commits c WHERE c.origin = o.idx ORDER BY c.seq DESC"
	    " LIMIT 1) FROM main.origins o", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "as of", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) == SQLITE_NULL ||
		    sqlite3_column_bytes(st, 0) != NODE_KEY_LEN)
			continue;
		n++;
		if (fn(arg, sqlite3_column_blob(st, 0),
		    hlc_ms((uint64_t)sqlite3_column_int64(st, 1))))
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_errf(err, "as of", db->h);
		return (-1);
	}
	return (n);
}

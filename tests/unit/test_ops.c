/*
 * test_ops.c: the operations layer called directly, no process: writes
 * round trip and refuse bad values with the right code and catalog key
 * leaving the data as it was; listings stream through their callback and
 * stop when it says so; the rules refuse; an import names its bad line;
 * every catalog key renders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/opsnode.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/ops/ops.h"

/* Add a consultation; its id in ${hex}. */
static void
add(struct tops *t, const char *status, const char *age, char hex[33])
{
	/* What a new consultation needs (store/schema.c, the rules). */
	struct ops_field f[9] = { fld("center", "Khorog"), fld("status",
	    status), fld("client_age", age), fld("opened_at", "2026-11-20"),
	    fld("channel", "walk_in"), fld("topic", "patent"),
	    fld("client_sex", "F"), fld("closed_on", "2026-11-21"),
	    fld("outcome", "Patent issued") };
	struct ops_write_args a = { "consultations", NULL, f,
	    strcmp(status, "closed") == 0 ? 9 : 7 };
	struct ops_err e;

	if (ops_add(&t->o, &a, hex, &e)) {
		char msg[1024];

		fail_msg("add: %s", ops_text("en", &e, msg, sizeof(msg)));
	}
}

/* Add ${n} consultations, the first ${nopen} open, the others closed. */
static void
add_many(struct tops *t, int n, int nopen)
{
	char hex[33];
	int i;

	for (i = 0; i < n; i++)
		add(t, i < nopen ? "open" : "closed", "30", hex);
}

/* Record callbacks: count, keep the last one's field, stop after N. */
struct rec_count {
	long	n;
	long	stop_after;	/* 0: never. */
	char	status[32];
	char	summary[64];
};

static int
count_cb(void *arg, const struct rview *r, bool stale)
{
	struct rec_count *rc = arg;
	size_t i;

	(void)stale;
	rc->n++;
	for (i = 0; i < r->nf; i++) {
		if (strcmp(r->f[i].name, "status") == 0)
			snprintf(rc->status, sizeof(rc->status), "%.*s",
			    (int)r->f[i].v.len, r->f[i].v.s);
		if (strcmp(r->f[i].name, "summary") == 0)
			snprintf(rc->summary, sizeof(rc->summary), "%.*s",
			    (int)r->f[i].v.len, r->f[i].v.s);
	}
	return (rc->stop_after && rc->n >= rc->stop_after);
}

static long
count(struct tops *t, const struct ops_field *filt, size_t nf)
{
	struct ops_read_args a;
	struct rec_count rc;
	struct ops_err e;

	memset(&a, 0, sizeof(a));
	memset(&rc, 0, sizeof(rc));
	a.coll = "consultations";
	a.filters = filt;
	a.nfilters = nf;
	assert_int_equal(ops_list(&t->o, &a, count_cb, &rc, &e), 0);
	return (rc.n);
}

static void
test_write_round_trip(void **state)
{
	struct tops t;
	char hex[33], msg[512];
	struct ops_field f = fld("summary", "Patent renewal");
	struct ops_write_args w = { "consultations", hex, &f, 1 };
	struct ops_read_args r;
	struct rec_count rc;
	struct ops_err e;

	(void)state;
	tops_open(&t, "ops");
	add(&t, "open", "34", hex);
	assert_int_equal(ops_set(&t.o, &w, &e), 0);
	memset(&r, 0, sizeof(r));
	memset(&rc, 0, sizeof(rc));
	r.coll = "consultations";
	r.id = hex;
	assert_int_equal(ops_show(&t.o, &r, count_cb, &rc, &e), 0);
	assert_int_equal(rc.n, 1);
	assert_string_equal(rc.status, "open");
	assert_string_equal(rc.summary, "Patent renewal");
	assert_int_equal(ops_rm(&t.o, &w, &e), 0);
	memset(&rc, 0, sizeof(rc));
	assert_int_equal(ops_show(&t.o, &r, count_cb, &rc, &e), -1);
	assert_int_equal(e.code, OPS_NOT_FOUND);
	assert_int_equal(e.key, OPS_MSG_NO_LIVE_RECORD);
	assert_int_equal(rc.n, 0);
	/* A deleted record is not set again. */
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.code, OPS_NOT_FOUND);
	assert_int_equal(e.key, OPS_MSG_NO_RECORD_DELETED);
	assert_non_null(strstr(ops_text("en", &e, msg, sizeof(msg)),
	    "(it was deleted)"));
	tops_close(&t);
}

static void
test_list_filters(void **state)
{
	struct ops_field open = fld("status", "open");
	struct ops_field closed = fld("status", "closed");
	struct ops_field bad = fld("status", "pending");
	struct ops_read_args a;
	struct rec_count rc;
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "ops");
	add_many(&t, 7, 4);
	assert_int_equal(count(&t, NULL, 0), 7);
	assert_int_equal(count(&t, &open, 1), 4);
	assert_int_equal(count(&t, &closed, 1), 3);
	memset(&a, 0, sizeof(a));
	memset(&rc, 0, sizeof(rc));
	a.coll = "consultations";
	a.filters = &bad;
	a.nfilters = 1;
	assert_int_equal(ops_list(&t.o, &a, count_cb, &rc, &e), -1);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	assert_int_equal(e.key, OPS_MSG_FORM_ENUM);
	assert_int_equal(rc.n, 0);
	a.coll = "bogus";
	assert_int_equal(ops_list(&t.o, &a, count_cb, &rc, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	assert_int_equal(e.key, OPS_MSG_COLL_UNKNOWN);
	assert_string_equal(e.arg[0], "bogus");
	tops_close(&t);
}

/* ids kept by a list with the filters beside field=value (NOW_MS). */
static long
count_more(struct tops *t, const char *from, const char *to, bool overdue,
    bool mine, struct ops_err *e)
{
	struct ops_read_args a;
	struct rec_count rc;

	memset(&a, 0, sizeof(a));
	memset(&rc, 0, sizeof(rc));
	a.coll = "consultations";
	a.from = from;
	a.to = to;
	a.overdue = overdue;
	a.mine = mine;
	if (ops_list(&t->o, &a, count_cb, &rc, e) != 0)
		return (-1);
	return (rc.n);
}

static void
test_list_period_overdue_mine(void **state)
{
	struct ops_field old[2] = { fld("opened_at", "2026-10-01"),
	    fld("status", "open") };
	struct ops_field oldc[4] = { fld("opened_at", "2026-10-02"),
	    fld("status", "closed"), fld("closed_on", "2026-10-03"),
	    fld("outcome", "done") };
	struct ops_field late = fld("opened_at", "2026-11-25");
	char hex[33], code[USER_CODE_LEN + 1];
	struct ops_read_args a;
	struct rec_count rc;
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "ops");
	assert_int_equal(tops_consultation(&t, "Khorog", old, 2, hex, &e), 0);
	assert_int_equal(tops_consultation(&t, "Khorog", oldc, 4, hex, &e), 0);
	assert_int_equal(tops_consultation(&t, "Khorog", NULL, 0, hex, &e), 0);
	/* The period: opened_at within [from, to], either end open. */
	assert_int_equal(count_more(&t, "2026-10-02", NULL, false, false, &e),
	    2);
	assert_int_equal(count_more(&t, NULL, "2026-10-02", false, false, &e),
	    2);
	assert_int_equal(count_more(&t, "2026-10-02", "2026-10-02", false,
	    false, &e), 1);
	/* Overdue: open, and opened more than 30 days before 2026-11-30. */
	assert_int_equal(count_more(&t, NULL, NULL, true, false, &e), 1);
	/* Mine: what a change of this node by the signed-in user touched. */
	assert_int_equal(ops_user_add(&t.o, "saidova", USER_LAWYER,
	    "saidova passphrase", 18, code, &e), 0);
	assert_int_equal(count_more(&t, NULL, NULL, false, true, &e), 3);
	assert_int_equal(ops_signin(&t.o, "saidova", "saidova passphrase", 18,
	    &e), 0);
	assert_int_equal(count_more(&t, NULL, NULL, false, true, &e), 0);
	assert_int_equal(tops_consultation(&t, "Khorog", &late, 1, hex, &e),
	    0);
	assert_int_equal(count_more(&t, NULL, NULL, false, true, &e), 1);
	assert_int_equal(count_more(&t, "2026-11-21", NULL, false, true, &e),
	    1);
	assert_int_equal(count_more(&t, NULL, NULL, true, true, &e), 0);
	/* A bad date: BAD_INPUT naming the filter; nothing listed. */
	assert_int_equal(count_more(&t, "2026-13-01", NULL, false, false, &e),
	    -1);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	assert_int_equal(e.key, OPS_MSG_LIST_DATE);
	assert_string_equal(e.arg[0], "from");
	assert_int_equal(count_more(&t, NULL, "20261101", false, false, &e),
	    -1);
	assert_string_equal(e.arg[0], "to");
	/* Only consultations have a period. */
	memset(&a, 0, sizeof(a));
	memset(&rc, 0, sizeof(rc));
	a.coll = "directory";
	a.overdue = true;
	assert_int_equal(ops_list(&t.o, &a, count_cb, &rc, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	assert_int_equal(e.key, OPS_MSG_LIST_NOT_CONSULTATIONS);
	tops_close(&t);
}

/* A list's window: the opened_at of each row, newest first, joined. */
struct win {
	char	dates[256];
	long	n;
};

static int
win_cb(void *arg, const struct rview *r, bool stale)
{
	struct win *w = arg;
	size_t i, len = strlen(w->dates);

	(void)stale;
	w->n++;
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "opened_at") == 0)
			snprintf(w->dates + len, sizeof(w->dates) - len, "%s%.*s",
			    len ? " " : "", (int)r->f[i].v.len - 8,
			    r->f[i].v.s + 8);
	return (0);
}

static const char *
window(struct tops *t, const char *from, bool overdue, bool mine,
    size_t offset, size_t limit, uint64_t *total, struct win *w)
{
	struct ops_read_args a;
	struct ops_err e;

	memset(&a, 0, sizeof(a));
	memset(w, 0, sizeof(*w));
	a.coll = "consultations";
	a.from = from;
	a.overdue = overdue;
	a.mine = mine;
	a.offset = offset;
	a.limit = limit;
	a.total = total;
	*total = 12345;
	assert_int_equal(ops_list(&t->o, &a, win_cb, w, &e), 0);
	return (w->dates);
}

static void
test_list_window(void **state)
{
	char hex[33], code[USER_CODE_LEN + 1], d[11];
	struct ops_field f[2];
	struct ops_err e;
	struct tops t;
	struct win w;
	uint64_t total;
	int i;

	(void)state;
	tops_open(&t, "ops");
	/* Added out of order: the list sorts by opened_at, not by id. */
	for (i = 0; i < 6; i++) {
		snprintf(d, sizeof(d), "2026-10-0%d", (i * 5) % 6 + 1);
		f[0] = fld("opened_at", d);
		assert_int_equal(tops_consultation(&t, "Khorog", f, 1, hex,
		    &e), 0);
	}
	assert_string_equal(window(&t, NULL, false, false, 0, 0, &total, &w),
	    "06 05 04 03 02 01");
	assert_int_equal(total, 6);
	/* The window, SQL's: rows 1 and 2 of the six, all six counted. */
	assert_string_equal(window(&t, NULL, false, false, 1, 2, &total, &w),
	    "05 04");
	assert_int_equal(total, 6);
	assert_string_equal(window(&t, "2026-10-03", false, false, 1, 2,
	    &total, &w), "05 04");
	assert_int_equal(total, 4);
	assert_string_equal(window(&t, NULL, true, false, 4, 10, &total, &w),
	    "02 01");
	assert_int_equal(total, 6);
	assert_string_equal(window(&t, NULL, false, false, 6, 10, &total, &w),
	    "");
	assert_int_equal(total, 6);
	/* The same window where C judges every record (mine=). */
	assert_int_equal(ops_user_add(&t.o, "saidova", USER_LAWYER,
	    "saidova passphrase", 18, code, &e), 0);
	assert_int_equal(ops_signin(&t.o, "saidova", "saidova passphrase", 18,
	    &e), 0);
	for (i = 7; i <= 9; i++) {
		snprintf(d, sizeof(d), "2026-10-0%d", i);
		f[0] = fld("opened_at", d);
		assert_int_equal(tops_consultation(&t, "Khorog", f, 1, hex,
		    &e), 0);
	}
	assert_string_equal(window(&t, NULL, false, true, 1, 1, &total, &w),
	    "08");
	assert_int_equal(total, 3);
	assert_string_equal(window(&t, NULL, false, true, 0, 0, &total, &w),
	    "09 08 07");
	assert_int_equal(total, 3);
	assert_string_equal(window(&t, NULL, false, false, 2, 3, &total, &w),
	    "07 06 05");
	assert_int_equal(total, 9);
	tops_close(&t);
}

static void
test_export_streams(void **state)
{
	struct tops t;
	struct ops_read_args a;
	struct rec_count rc;
	struct ops_err e;

	(void)state;
	tops_open(&t, "ops");
	add_many(&t, 25, 25);
	memset(&a, 0, sizeof(a));
	memset(&rc, 0, sizeof(rc));
	assert_int_equal(ops_export(&t.o, &a, count_cb, &rc, &e), 0);
	assert_int_equal(rc.n, 26);	/* Once per record: 25, center Khorog. */
	memset(&rc, 0, sizeof(rc));
	rc.stop_after = 3;
	assert_int_equal(ops_export(&t.o, &a, count_cb, &rc, &e), 0);
	assert_int_equal(rc.n, 3);	/* Stopped: not an error. */
	memset(&rc, 0, sizeof(rc));
	a.coll = "directory";
	assert_int_equal(ops_export(&t.o, &a, count_cb, &rc, &e), 0);
	assert_int_equal(rc.n, 0);
	tops_close(&t);
}

/* Write ${f} to ${hex}: refused with ${code}/${key}; nothing changed. */
static void
refused(struct tops *t, const char *hex, struct ops_field f,
    enum ops_code code, enum ops_msg key)
{
	struct ops_write_args w = { "consultations", hex, &f, 1 };
	struct ops_field ok = fld("status", "referred");
	struct ops_field both[2] = { ok, f };
	struct ops_err e;

	assert_int_equal(ops_set(&t->o, &w, &e), -1);
	assert_int_equal(e.code, code);
	assert_int_equal(e.key, key);
	/* A good field beside it is not written either. */
	w.fields = both;
	w.nfields = 2;
	assert_int_equal(ops_set(&t->o, &w, &e), -1);
	assert_int_equal(e.key, key);
	assert_int_equal(count(t, &ok, 1), 0);
}

static void
test_bad_values(void **state)
{
	struct ops_field bad = fld("status", "open");
	struct ops_field big;
	struct ops_write_args w;
	struct ops_err e;
	struct tops t;
	char hex[33], msg[1024], *text;

	(void)state;
	tops_open(&t, "ops");
	add(&t, "open", "34", hex);
	refused(&t, hex, fld("bogus", "1"), OPS_BAD_INPUT,
	    OPS_MSG_FIELD_UNKNOWN);
	refused(&t, hex, fld("client_age", "abc"), OPS_BAD_INPUT,
	    OPS_MSG_FIELD_NOT_INT);
	refused(&t, hex, fld("client_age", "200"), OPS_BAD_INPUT,
	    OPS_MSG_FORM_RANGE);
	refused(&t, hex, fld("summary", "bad \xff byte"), OPS_BAD_INPUT,
	    OPS_MSG_FORM_UTF8);
	text = malloc(17 * 1024 + 1);
	assert_non_null(text);
	memset(text, 'x', 17 * 1024);
	text[17 * 1024] = '\0';
	big = fld("summary", text);
	refused(&t, hex, big, OPS_BAD_INPUT, OPS_MSG_FORM_TOO_LONG);
	memset(&w, 0, sizeof(w));
	w.coll = "consultations";
	w.id = hex;
	w.fields = &big;
	w.nfields = 1;
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_string_equal(e.arg[0], "summary");
	ops_text("en", &e, msg, sizeof(msg));
	assert_non_null(strstr(msg, "16384"));
	free(text);
	/* Internal fields are no one's to write. */
	refused(&t, hex, fld("_deleted", "true"), OPS_BAD_INPUT,
	    OPS_MSG_FIELD_UNKNOWN);
	/* Not an id, no such record. */
	w.fields = &bad;
	w.id = "xyz";
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	assert_int_equal(e.key, OPS_MSG_ID_INVALID);
	w.id = "00000000000000000000000000000000";
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.code, OPS_NOT_FOUND);
	assert_int_equal(e.key, OPS_MSG_NO_RECORD);
	assert_int_equal(count(&t, NULL, 0), 1);
	tops_close(&t);
}

static void
test_rules_refuse(void **state)
{
	struct ops_field g[2] = { fld("title", "Patents"), fld("language",
	    "ru") };
	struct ops_field other[2] = { fld("center", "Murghob"), fld("status",
	    "open") };
	struct ops_write_args w = { "directory", NULL, g, 1 };
	struct ops_guide_args ga;
	struct ops_err e;
	struct tops t;
	char hex[33], err[STORE_ERRLEN], msg[1024];

	(void)state;
	tops_open(&t, "ops");
	assert_int_equal(db_meta_set(t.db, "role", "office", err), 0);
	assert_int_equal(db_meta_set(t.db, "center", "Khorog", err), 0);
	w.fields = &g[0];
	w.coll = "directory";
	g[0] = fld("name", "Hotline");
	assert_int_equal(ops_add(&t.o, &w, hex, &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	assert_int_equal(e.key, OPS_MSG_DENIED_ADMIN_ONLY);
	assert_non_null(strstr(ops_text("en", &e, msg, sizeof(msg)),
	    "only admins write directory"));
	g[0] = fld("title", "Patents");
	memset(&ga, 0, sizeof(ga));
	ga.fields = g;
	ga.nfields = 2;
	ga.body = "# Patents\n";
	ga.body_len = strlen(ga.body);
	ga.body_name = "patents.md";
	assert_int_equal(ops_guide_publish(&t.o, &ga, hex, &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	assert_int_equal(e.key, OPS_MSG_DENIED_ADMIN_ONLY);
	w.coll = "consultations";
	w.fields = other;
	w.nfields = 2;
	assert_int_equal(ops_add(&t.o, &w, hex, &e), -1);
	assert_int_equal(e.key, OPS_MSG_DENIED_CREATE_OTHER);
	assert_string_equal(e.arg[0], "Khorog");
	assert_string_equal(e.arg[1], "Murghob");
	w.fields = &other[1];
	w.nfields = 1;
	assert_int_equal(ops_add(&t.o, &w, hex, &e), -1);
	assert_int_equal(e.key, OPS_MSG_DENIED_NO_CENTER);
	assert_int_equal(count(&t, NULL, 0), 0);
	tops_close(&t);
}

static void
test_import_csv(void **state)
{
	static const char good[] =
	    "center,status,client_age,opened_at,channel,topic,client_sex,"
	    "closed_on,outcome\n"
	    "Khorog,open,30,2026-11-20,hotline,patent,M,,\n"
	    "Khorog,closed,41,2026-11-20,hotline,patent,M,2026-11-22,Done\n";
	static const char bad[] =
	    "center,status,client_age,opened_at,channel,topic,client_sex\n"
	    "Khorog,open,30,2026-11-20,hotline,patent,M\n"
	    "Khorog,open,30,2026-11-20,hotline,patent,M\n"
	    "Khorog,open,abc,2026-11-20,hotline,patent,M\n";
	struct ops_import_args a;
	struct ops_err e;
	struct tops t;
	char msg[1024];
	long n;

	(void)state;
	tops_open(&t, "ops");
	memset(&a, 0, sizeof(a));
	a.coll = "consultations";
	a.csv = true;
	assert_non_null(a.in = fmemopen((void *)good, sizeof(good) - 1, "r"));
	assert_int_equal(ops_import(&t.o, &a, &n, &e), 0);
	fclose(a.in);
	assert_int_equal(n, 2);
	assert_non_null(a.in = fmemopen((void *)bad, sizeof(bad) - 1, "r"));
	assert_int_equal(ops_import(&t.o, &a, &n, &e), -1);
	fclose(a.in);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	assert_int_equal(e.key, OPS_MSG_FIELD_NOT_INT);
	assert_int_equal(e.line, 4);
	ops_text("en", &e, msg, sizeof(msg));
	assert_string_equal(msg, "line 4: field 'client_age' must be a whole "
	    "number; nothing was imported");
	assert_int_equal(count(&t, NULL, 0), 2);	/* All or nothing. */
	tops_close(&t);
}

struct hist_count {
	long	n;
	char	last[64];
};

static int
hist_cb(void *arg, const struct hview *h, const struct ops_who *w)
{
	struct hist_count *hc = arg;

	assert_true(w->node[0] != '\0');
	hc->n++;
	snprintf(hc->last, sizeof(hc->last), "%.*s=%.*s", (int)h->field_len,
	    h->field, h->v.t == VAL_STR ? (int)h->v.len : 0,
	    h->v.t == VAL_STR ? h->v.s : "");
	return (0);
}

static void
test_history(void **state)
{
	struct ops_field f = fld("status", "referred");
	struct ops_write_args w = { "consultations", NULL, &f, 1 };
	struct ops_read_args r;
	struct hist_count hc;
	struct ops_err e;
	struct tops t;
	char hex[33];

	(void)state;
	tops_open(&t, "ops");
	add(&t, "open", "34", hex);
	w.id = hex;
	assert_int_equal(ops_set(&t.o, &w, &e), 0);
	memset(&r, 0, sizeof(r));
	memset(&hc, 0, sizeof(hc));
	r.coll = "consultations";
	r.id = hex;
	assert_int_equal(ops_history(&t.o, &r, hist_cb, &hc, &e), 0);
	/* center, status, age, the four the forms need, case_number; status. */
	assert_int_equal(hc.n, 9);
	assert_string_equal(hc.last, "status=referred");
	r.id = "00000000000000000000000000000000";
	assert_int_equal(ops_history(&t.o, &r, hist_cb, &hc, &e), -1);
	assert_int_equal(e.code, OPS_NOT_FOUND);
	tops_close(&t);
}

struct stat_rows {
	long		rows;
	uint64_t	open, closed;
};

static int
stats_cb(void *arg, const struct val *v, uint64_t n)
{
	struct stat_rows *s = arg;

	s->rows++;
	if (v[0].t == VAL_STR && v[0].len == 4 && memcmp(v[0].s, "open",
	    4) == 0)
		s->open = n;
	if (v[0].t == VAL_STR && v[0].len == 6 && memcmp(v[0].s, "closed",
	    6) == 0)
		s->closed = n;
	return (0);
}

static void
test_stats(void **state)
{
	const char *by[1] = { "status" };
	const char *bogus[1] = { "bogus" };
	struct ops_stats_args a = { "consultations", by, 1, false, NULL };
	struct stat_rows s;
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "ops");
	add_many(&t, 5, 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ops_stats(&t.o, &a, stats_cb, &s, &e), 0);
	assert_int_equal(s.rows, 2);
	assert_int_equal(s.open, 3);
	assert_int_equal(s.closed, 2);
	a.by = bogus;
	assert_int_equal(ops_stats(&t.o, &a, stats_cb, &s, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	assert_int_equal(e.key, OPS_MSG_STATS_FIELD_UNKNOWN);
	a.nby = 0;
	assert_int_equal(ops_stats(&t.o, &a, stats_cb, &s, &e), -1);
	assert_int_equal(e.key, OPS_MSG_STATS_NO_FIELDS);
	tops_close(&t);
}

/* Words the users' messages never use (README: changes, offices). */
static const char *const internal[] = {
	"commit", "head", "vector", "mac1", "hlc", "seq", NULL
};

/* Whether ${w} occurs in ${t} as a word of its own ("header" is not "head"). */
static bool
has_word(const char *t, const char *w)
{
	const char *p;
	size_t n = strlen(w);

	for (p = strstr(t, w); p != NULL; p = strstr(p + 1, w))
		if ((p == t || !isalpha((unsigned char)p[-1])) &&
		    !isalpha((unsigned char)p[n]) && p[n] != 's')
			return (true);
		else if ((p == t || !isalpha((unsigned char)p[-1])) &&
		    p[n] == 's' && !isalpha((unsigned char)p[n + 1]))
			return (true);
	return (false);
}

static void
test_catalog(void **state)
{
	struct ops_err e;
	char msg[4096];
	const char *t;
	size_t i, j;
	int k;

	(void)state;
	for (i = 0; i < OPS_MSG_COUNT; i++) {
		t = ops_template("en", (enum ops_msg)i);
		assert_non_null(t);
		if (i != OPS_MSG_NONE && strlen(t) == 0)
			fail_msg("%s has no English text",
			    ops_key_name((enum ops_msg)i));
		for (j = 0; internal[j] != NULL; j++)
			if (has_word(t, internal[j]))
				fail_msg("%s says '%s'", ops_key_name(
				    (enum ops_msg)i), internal[j]);
		memset(&e, 0, sizeof(e));
		e.key = (enum ops_msg)i;
		for (k = 0; k < OPS_NARGS; k++)
			snprintf(e.arg[k], sizeof(e.arg[k]), "<%d>", k + 1);
		ops_text("en", &e, msg, sizeof(msg));
		/* Every placeholder filled, none left. */
		for (k = 1; k <= OPS_NARGS; k++) {
			char ph[8];

			snprintf(ph, sizeof(ph), "{%d}", k);
			assert_null(strstr(msg, ph));
			if (strstr(t, ph) != NULL) {
				snprintf(ph, sizeof(ph), "<%d>", k);
				assert_non_null(strstr(msg, ph));
			}
		}
		/* An unknown language is English. */
		assert_string_equal(ops_template("tg", (enum ops_msg)i), t);
	}
	/* Line and tail around the message; a tiny buffer is cut. */
	memset(&e, 0, sizeof(e));
	ops_fail(&e, OPS_BAD_INPUT, OPS_MSG_FIELD_UNKNOWN, 2, "bogus",
	    "consultations");
	e.line = 7;
	e.tail = OPS_MSG_NOTHING_IMPORTED;
	assert_string_equal(ops_text("en", &e, msg, sizeof(msg)),
	    "line 7: unknown field 'bogus' for consultations; see 'hamroh add "
	    "--help' for the fields; nothing was imported");
	assert_string_equal(ops_text("en", &e, msg, 8), "line 7:");
	assert_string_equal(ops_key_name(OPS_MSG_FIELD_UNKNOWN),
	    "FIELD_UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_round_trip),
		cmocka_unit_test(test_list_filters),
		cmocka_unit_test(test_list_period_overdue_mine),
		cmocka_unit_test(test_list_window),
		cmocka_unit_test(test_export_streams),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_rules_refuse),
		cmocka_unit_test(test_import_csv),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_catalog),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_report.c: the report operation called directly (agent/report/
 * run.h): filters, the period on either date, each derived grouping,
 * persons counted once so totals add up, the margins, confidential
 * fields and bad requests refused, consent, the named layouts, as of,
 * the small cells marked, --no-suppress recorded; and the formats print
 * <5 for a primary cell and x for a complementary one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/opsnode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/report/run.h"
#include "store/hlc.h"

/* Add a consultation of Khorog with the fields "name=value ..." of ${s}. */
static void
add(struct tops *t, const char *s)
{
	struct ops_field f[TOPS_FIELDS_MAX];
	char *dup, *tok, *save, *eq, hex[33];
	size_t n = 0;

	assert_non_null(dup = strdup(s));
	for (tok = strtok_r(dup, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		assert_non_null(eq = strchr(tok, '='));
		*eq = '\0';
		f[n++] = fld(tok, eq + 1);
	}
	tops_consultation_ok(&t->o, "Khorog", f, n, hex);
	free(dup);
}

/* The dimension values "a,b" (NULL or "": the total) of ${r}: its count. */
static uint64_t
cell(const struct report *r, const char *const *codes)
{
	size_t idx[REPORT_MAX_DIMS], d, i;

	for (d = 0; d < r->ndim; d++) {
		if (codes[d] == NULL) {
			idx[d] = r->dim[d].n;
			continue;
		}
		for (i = 0; i < r->dim[d].n; i++)
			if (strcmp(r->dim[d].value[i], codes[d]) == 0)
				break;
		if (i == r->dim[d].n)
			fail_msg("no value '%s' in %s", codes[d],
			    r->dim[d].name);
		idx[d] = i;
	}
	return (r->count[report_at(r, idx)]);
}

static uint8_t
mark(const struct report *r, const char *const *codes)
{
	size_t idx[REPORT_MAX_DIMS], d, i;

	for (d = 0; d < r->ndim; d++) {
		idx[d] = r->dim[d].n;
		for (i = 0; codes[d] != NULL && i < r->dim[d].n; i++)
			if (strcmp(r->dim[d].value[i], codes[d]) == 0)
				idx[d] = i;
	}
	return (r->mark[report_at(r, idx)]);
}

#define C1(a)		cell(&r, (const char *const[]){ a })
#define C2(a, b)	cell(&r, (const char *const[]){ a, b })

/* Run ${a} into ${r}, failing the test if it is refused. */
static void
run(struct tops *t, const struct report_args *a, struct report *r)
{
	struct ops_err e;
	char msg[1024];

	if (ops_report(&t->o, a, r, &e))
		fail_msg("report: %s", ops_text("en", &e, msg, sizeof(msg)));
}

/* ${a} must be refused with ${key}; nothing is left to free. */
static void
refused(struct tops *t, const struct report_args *a, enum ops_msg key)
{
	struct report r;
	struct ops_err e;

	assert_int_equal(ops_report(&t->o, a, &r, &e), -1);
	if (e.key != key)
		fail_msg("refused with %s, not %s", ops_key_name(e.key),
		    ops_key_name(key));
	report_free(&r);
}

static void
sample(struct tops *t)
{

	add(t, "topic=patent client_sex=F opened_at=2026-01-05");
	add(t, "topic=patent client_sex=M opened_at=2026-02-10");
	add(t, "topic=patent client_sex=F opened_at=2026-04-01");
	add(t, "topic=entry_ban client_sex=F opened_at=2026-03-31");
	add(t, "topic=entry_ban client_sex=M opened_at=2026-07-15 "
	    "status=closed closed_on=2026-08-01 outcome=done");
	add(t, "topic=wage_arrears client_sex=X opened_at=2025-12-31");
}

static void
test_filters_period_totals(void **state)
{
	const char *by[] = { "topic", "client_sex" };
	struct ops_field f[3] = { fld("topic", "patent"), fld("topic",
	    "entry_ban"), fld("client_sex", "F") };
	struct report_args a;
	struct report r;
	struct tops t;

	(void)state;
	tops_open(&t, "report");
	sample(&t);
	memset(&a, 0, sizeof(a));
	a.by = by;
	a.nby = 2;
	a.no_suppress = true;	/* Exact counts to check. */
	run(&t, &a, &r);
	assert_int_equal(C2("patent", "F"), 2);
	assert_int_equal(C2("patent", NULL), 3);
	assert_int_equal(C2(NULL, "F"), 3);
	assert_int_equal(C2(NULL, "X"), 1);
	assert_int_equal(C2(NULL, NULL), 6);
	/* Every enum value is a row or column, empty or not. */
	assert_int_equal(r.dim[1].n, 3);
	assert_int_equal(C2("detention", NULL), 0);
	report_free(&r);

	/* Two values of one field: either; two fields: both. */
	a.filters = f;
	a.nfilters = 3;
	run(&t, &a, &r);
	assert_int_equal(C2(NULL, NULL), 3);
	assert_int_equal(r.dim[0].n, 2);	/* Only the values kept. */
	assert_int_equal(C2("entry_ban", NULL), 1);
	assert_string_equal(r.filters[0], "topic=patent");
	report_free(&r);

	/* The period: both ends in. */
	a.nfilters = 0;
	a.from = "2026-01-05";
	a.to = "2026-03-31";
	run(&t, &a, &r);
	assert_int_equal(C2(NULL, NULL), 3);
	assert_string_equal(r.from, "2026-01-05");
	report_free(&r);
	/* On closed_on: only the closed one. */
	a.on = "closed_on";
	a.from = "2026-08-01";
	a.to = NULL;
	run(&t, &a, &r);
	assert_int_equal(C2(NULL, NULL), 1);
	assert_int_equal(C2("entry_ban", "M"), 1);
	assert_string_equal(r.on, "closed_on");
	report_free(&r);
	tops_close(&t);
}

static void
test_derived(void **state)
{
	const char *by[1];
	struct ops_center kul = { "Kulob", "Kulob", NULL, "Khatlon", NULL,
	    NULL };
	struct ops_field dir[6] = { fld("name", "Embassy"), fld("kind",
	    "consulate"), fld("country", "RU"), fld("city", "Moscow"),
	    fld("phone", "+7 495 000"), fld("verified_on", "2026-11-01") };
	struct ops_write_args da = { "directory", NULL, dir, 6 };
	struct ops_field kf[4];
	char prefix[CENTER_PREFIX_LEN + 1], id[33], hex[33], ref[64];
	struct ops_field reg = fld("region", "Khatlon");
	struct report_args a;
	struct ops_err e;
	struct report r;
	struct tops t;

	(void)state;
	tops_open(&t, "report");
	assert_int_equal(ops_center_add(&t.o, &kul, prefix, &e), 0);
	assert_int_equal(ops_add(&t.o, &da, id, &e), 0);
	sample(&t);
	add(&t, "client_age=17 opened_at=2026-05-01");
	add(&t, "client_age=18 opened_at=2026-05-02");
	add(&t, "client_age=24 opened_at=2026-05-03");
	add(&t, "client_age=65 opened_at=2026-05-04");
	snprintf(ref, sizeof(ref), "%s", id);
	kf[0] = fld("client_age", "30");
	kf[1] = fld("referred_to", ref);
	kf[2] = fld("status", "referred");
	kf[3] = fld("opened_at", "2026-06-01");
	tops_consultation_ok(&t.o, "Kulob", kf, 4, hex);
	memset(&a, 0, sizeof(a));
	a.by = by;
	a.nby = 1;
	a.no_suppress = true;

	by[0] = "month";
	run(&t, &a, &r);
	assert_int_equal(C1("2026-05"), 4);
	assert_int_equal(C1("2025-12"), 1);
	report_free(&r);
	/* A period's every month is a value, the empty ones too. */
	a.from = "2026-04-20";
	a.to = "2026-06-10";
	run(&t, &a, &r);
	assert_int_equal(r.dim[0].n, 3);
	assert_int_equal(C1("2026-04"), 0);	/* Apr 1 is before. */
	assert_int_equal(C1("2026-05"), 4);
	assert_int_equal(C1("2026-06"), 1);
	report_free(&r);
	a.from = a.to = NULL;
	by[0] = "quarter";
	run(&t, &a, &r);
	assert_int_equal(C1("2026-Q1"), 3);	/* Jan, Feb, Mar 31. */
	assert_int_equal(C1("2026-Q2"), 6);
	assert_int_equal(C1("2026-Q3"), 1);
	assert_int_equal(C1("2025-Q4"), 1);
	report_free(&r);
	by[0] = "year";
	run(&t, &a, &r);
	assert_int_equal(C1("2025"), 1);
	assert_int_equal(C1("2026"), 10);
	report_free(&r);
	by[0] = "age_band";
	run(&t, &a, &r);
	assert_int_equal(r.dim[0].n, report_nbands + 1);	/* "": none. */
	assert_int_equal(C1("0-17"), 1);
	assert_int_equal(C1("18-24"), 2);
	assert_int_equal(C1("25-34"), 1);
	assert_int_equal(C1("65+"), 1);
	assert_int_equal(C1("45-54"), 0);
	assert_int_equal(C1(""), 6);
	assert_string_equal(report_value_label("age_band", "0-17"), "under 18");
	assert_string_equal(report_value_label("topic", ""), "not given");
	/* "Not given" is the last value. */
	assert_string_equal(r.dim[0].value[r.dim[0].n - 1], "");
	report_free(&r);
	by[0] = "region";
	run(&t, &a, &r);
	assert_int_equal(C1("Khatlon"), 1);
	assert_int_equal(C1(""), 10);		/* Khorog names none. */
	report_free(&r);
	by[0] = "referred_kind";
	run(&t, &a, &r);
	assert_int_equal(C1("consulate"), 1);
	assert_int_equal(C1(""), 10);
	report_free(&r);
	/* region= filters by the centers of the region. */
	by[0] = "center";
	a.filters = &reg;
	a.nfilters = 1;
	run(&t, &a, &r);
	assert_int_equal(C1(NULL), 1);
	assert_int_equal(C1("Kulob"), 1);
	report_free(&r);
	reg = fld("region", "Pamir");
	refused(&t, &a, OPS_MSG_REPORT_REGION_UNKNOWN);
	tops_close(&t);
}

static void
test_persons(void **state)
{
	const char *by[] = { "month" };
	struct ops_field f[3];
	char first[32], hex[33];
	struct report_args a;
	struct report r;
	struct tops t;

	(void)state;
	tops_open(&t, "report");
	add(&t, "opened_at=2026-01-10");
	snprintf(first, sizeof(first), "%s", t.o.case_number);
	assert_true(first[0] != '\0');
	f[0] = fld("opened_at", "2026-03-10");
	f[1] = fld("person", first);
	tops_consultation_ok(&t.o, "Khorog", f, 2, hex);
	f[0] = fld("opened_at", "2026-02-10");
	tops_consultation_ok(&t.o, "Khorog", f, 2, hex);
	add(&t, "opened_at=2026-02-11");
	memset(&a, 0, sizeof(a));
	a.by = by;
	a.nby = 1;
	a.no_suppress = true;
	run(&t, &a, &r);
	assert_int_equal(C1(NULL), 4);
	report_free(&r);
	a.count = "persons";
	run(&t, &a, &r);
	assert_true(r.persons);
	/* The returning client once, in March, his latest. */
	assert_int_equal(C1("2026-03"), 1);
	assert_int_equal(C1("2026-02"), 1);
	assert_int_equal(r.dim[0].n, 2);	/* January: nobody left. */
	assert_int_equal(C1(NULL), 2);
	report_free(&r);
	/* Filters first: his latest within the period is February's. */
	a.to = "2026-02-28";
	run(&t, &a, &r);
	assert_int_equal(C1("2026-02"), 2);
	assert_int_equal(C1(NULL), 2);
	report_free(&r);
	tops_close(&t);
}

static void
test_refusals(void **state)
{
	const char *secret[] = { "client_name" };
	const char *unknown[] = { "colour" };
	const char *four[] = { "topic", "month", "year", "center" };
	const char *twice[] = { "topic", "topic" };
	struct ops_field fs = fld("client_phone", "123");
	struct ops_field fq = fld("quarter", "2026-Q1");
	struct ops_field fv = fld("topic", "nonsense");
	struct report_args a;
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "report");
	memset(&a, 0, sizeof(a));
	a.by = secret;
	a.nby = 1;
	refused(&t, &a, OPS_MSG_REPORT_CONFIDENTIAL);
	assert_int_equal(ops_report_check(&a, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	a.by = unknown;
	refused(&t, &a, OPS_MSG_REPORT_FIELD_UNKNOWN);
	a.by = four;
	a.nby = 4;
	refused(&t, &a, OPS_MSG_REPORT_TOO_MANY_BY);
	a.by = twice;
	a.nby = 2;
	refused(&t, &a, OPS_MSG_REPORT_BY_TWICE);
	a.nby = 0;
	a.filters = &fs;
	a.nfilters = 1;
	refused(&t, &a, OPS_MSG_REPORT_CONFIDENTIAL);
	a.filters = &fq;
	refused(&t, &a, OPS_MSG_REPORT_FILTER_DERIVED);
	a.filters = &fv;
	assert_int_equal(ops_report_check(&a, &e), -1);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	a.nfilters = 0;
	a.from = "2026-13-01";
	refused(&t, &a, OPS_MSG_REPORT_DATE);
	a.from = "2026-3-1";
	refused(&t, &a, OPS_MSG_REPORT_DATE);
	a.from = "2026-03-02";
	a.to = "2026-03-01";
	refused(&t, &a, OPS_MSG_REPORT_FROM_TO);
	a.to = NULL;
	a.on = "created";
	refused(&t, &a, OPS_MSG_REPORT_ON);
	a.on = NULL;
	a.count = "people";
	refused(&t, &a, OPS_MSG_REPORT_COUNT);
	a.count = NULL;
	a.name = "yearly";
	refused(&t, &a, OPS_MSG_REPORT_UNKNOWN);
	a.name = "topic-sex";
	a.by = unknown;
	a.nby = 1;
	refused(&t, &a, OPS_MSG_REPORT_BY_LAYOUT);
	tops_close(&t);
}

static void
test_consent(void **state)
{
	const char *by[] = { "topic" };
	struct report_args a;
	struct report r;
	struct tops t;

	(void)state;
	tops_open(&t, "report");
	sample(&t);
	add(&t, "topic=patent consent_stats=no");
	add(&t, "topic=entry_ban consent_stats=no");
	add(&t, "topic=patent consent_stats=yes");
	memset(&a, 0, sizeof(a));
	a.by = by;
	a.nby = 1;
	a.no_suppress = true;
	run(&t, &a, &r);
	assert_int_equal(C1("patent"), 4);
	assert_int_equal(C1(NULL), 7);
	assert_int_equal(r.left_out, 2);
	report_free(&r);
	tops_close(&t);
}

static void
test_layouts(void **state)
{
	const struct report_layout *l;
	struct ops_field dir[6] = { fld("name", "Hotline"), fld("kind",
	    "hotline"), fld("country", "TJ"), fld("city", "Dushanbe"),
	    fld("phone", "1313"), fld("verified_on", "2026-11-01") };
	struct ops_write_args da = { "directory", NULL, dir, 6 };
	struct ops_field kf[2];
	char id[33], hex[33];
	struct report_args a;
	struct ops_err e;
	struct report r;
	struct tops t;
	size_t i, n;

	(void)state;
	tops_open(&t, "report");
	sample(&t);
	add(&t, "destination=RU client_sex=M opened_at=2026-02-01");
	add(&t, "destination=KZ client_sex=F opened_at=2026-05-01");
	assert_int_equal(ops_add(&t.o, &da, id, &e), 0);
	kf[0] = fld("referred_to", id);
	kf[1] = fld("status", "referred");
	tops_consultation_ok(&t.o, "Khorog", kf, 2, hex);
	l = report_layouts(&n);
	assert_int_equal(n, 4);
	memset(&a, 0, sizeof(a));
	a.no_suppress = true;
	for (i = 0; i < n; i++) {
		assert_ptr_equal(report_layout(l[i].name), &l[i]);
		assert_true(strlen(ops_template("en", l[i].desc)) > 10);
		a.name = l[i].name;
		run(&t, &a, &r);
		assert_string_equal(r.title, l[i].name);
		assert_string_equal(r.dim[0].name, l[i].by[0]);
		report_free(&r);
	}
	a.name = "quarterly";
	run(&t, &a, &r);
	assert_int_equal(r.ndim, 3);
	assert_int_equal(cell(&r, (const char *const[]){ "RU", "M",
	    "2026-Q1" }), 1);
	assert_int_equal(cell(&r, (const char *const[]){ "KZ", NULL,
	    NULL }), 1);
	report_free(&r);
	/* A layout with a period: the quarter's own form. */
	a.from = "2026-04-01";
	a.to = "2026-06-30";
	run(&t, &a, &r);
	assert_int_equal(r.dim[2].n, 1);
	report_free(&r);
	a.from = a.to = NULL;
	a.name = "referrals";
	run(&t, &a, &r);
	/* The referred one alone. */
	assert_int_equal(C2(NULL, NULL), 1);
	assert_int_equal(C2("hotline", "referred"), 1);
	report_free(&r);
	tops_close(&t);
}

static int
newest_cb(void *arg, const uint8_t *key, uint64_t ms)
{

	(void)key;
	*(uint64_t *)arg = ms;
	return (0);
}

static void
test_asof(void **state)
{
	struct report_args a;
	struct report r;
	struct tops t;
	char err[STORE_ERRLEN];
	uint64_t ms = 0;

	(void)state;
	tops_open(&t, "report");
	add(&t, "opened_at=2026-01-10");
	/* The store's newest commit of this node's origin: just written. */
	assert_int_equal(query_origin_newest(t.db, newest_cb, &ms, err), 1);
	assert_true(ms > 0);
	memset(&a, 0, sizeof(a));
	run(&t, &a, &r);
	/*
	 * This test node has no members record naming a center: the
	 * report says it holds none rather than guess (t_report.sh sees
	 * a real node's center there).
	 */
	assert_int_equal(r.ncenters, 0);
	report_free(&r);
	tops_close(&t);
}

static int
audit_cb(void *arg, uint64_t ms, const char *user, const char *name)
{
	char *out = arg;

	snprintf(out, 128, "%s %s %d", user ? user : "-", name, ms ==
	    NOW_MS);
	return (0);
}

static void
test_suppressed(void **state)
{
	const char *by[] = { "topic", "client_sex" };
	char audit[128] = "", *buf = NULL;
	struct report_args a;
	struct ops_err e;
	struct report r;
	struct tops t;
	size_t len;
	long n;
	FILE *f;
	int i;

	(void)state;
	tops_open(&t, "report");
	for (i = 0; i < 6; i++)
		add(&t, "topic=patent client_sex=F");
	add(&t, "topic=patent client_sex=M");
	memset(&a, 0, sizeof(a));
	a.by = by;
	a.nby = 2;
	run(&t, &a, &r);
	assert_true(r.suppressed);
	assert_int_equal(mark(&r, (const char *const[]){ "patent", "M" }),
	    CELL_PRIMARY);
	assert_int_equal(mark(&r, (const char *const[]){ NULL, "M" }),
	    CELL_PRIMARY);
	/* 6 = 7 - 1 would give the 1 away: hidden as a complement. */
	assert_int_equal(mark(&r, (const char *const[]){ "patent", "F" }),
	    CELL_COMPLEMENT);
	assert_int_equal(mark(&r, (const char *const[]){ "patent", "X" }),
	    CELL_SHOWN);		/* Zero is not a small cell. */
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_print_text(f, &r), 0);
	fclose(f);
	assert_non_null(strstr(buf, "<5"));
	assert_non_null(strstr(buf, "cells 1–4 shown as <5"));
	assert_null(strstr(buf, "NOT suppressed"));
	free(buf);
	report_free(&r);
	assert_int_equal(ops_report_audit(&t.o, audit_cb, audit, &n, &e), 0);
	assert_int_equal(n, 0);
	/* An admin's unsuppressed run: exact, and on the record. */
	a.no_suppress = true;
	run(&t, &a, &r);
	assert_false(r.suppressed);
	assert_int_equal(mark(&r, (const char *const[]){ "patent", "M" }),
	    CELL_SHOWN);
	report_free(&r);
	assert_int_equal(ops_report_audit(&t.o, audit_cb, audit, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(audit, "admin (by fields) 1");
	/* Nobody signed in: refused. */
	ops_fini(&t.o);
	ops_init(&t.o, t.db, t.dir, fixed_clock, NULL);
	assert_int_equal(ops_report(&t.o, &a, &r, &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	report_free(&r);
	tops_close(&t);
}

/* A hand-made 2 x 2 table with a complementary cell: the formats. */
static void
test_formats(void **state)
{
	char *v0[] = { "F", "M" }, *v1[] = { "RU", "Қазоқистон" };
	uint64_t count[9] = { 3, 10, 13, 7, 10, 17, 10, 20, 30 };
	uint8_t mk[9] = { CELL_PRIMARY, CELL_COMPLEMENT, 0, CELL_COMPLEMENT,
	    CELL_PRIMARY, 0, 0, 0, 0 };
	struct report r;
	char *buf = NULL, *line;
	size_t len;
	FILE *f;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.ndim = 2;
	snprintf(r.dim[0].name, sizeof(r.dim[0].name), "client_sex");
	snprintf(r.dim[1].name, sizeof(r.dim[1].name), "destination");
	r.dim[0].n = r.dim[1].n = 2;
	r.dim[0].value = v0;
	r.dim[1].value = v1;
	r.count = count;
	r.mark = mk;
	r.suppressed = true;
	snprintf(r.on, sizeof(r.on), "opened_at");
	assert_int_equal(report_cells(&r), 9);
	assert_int_equal(report_at(&r, (const size_t[]){ 1, 2 }), 5);
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_print_text(f, &r), 0);
	fclose(f);
	/* Row F: <5, x, 13, aligned under the wide Cyrillic header. */
	assert_non_null(line = strstr(buf, "\nF "));
	assert_non_null(strstr(line, "<5"));
	assert_true(strstr(line, " x ") != NULL);
	assert_non_null(strstr(buf, "Қазоқистон  total"));
	assert_non_null(strstr(buf, "F           <5           x     13"));
	free(buf);
	buf = NULL;
	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_print_json(f, &r), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"counts\":[[null,null,13],[null,null,"
	    "17],[10,20,30]]"));
	assert_non_null(strstr(buf, "\"marks\":[[\"primary\",\"complement\","
	    "null],[\"complement\",\"primary\",null]"));
	assert_non_null(strstr(buf, "\"total\":30"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters_period_totals),
		cmocka_unit_test(test_derived),
		cmocka_unit_test(test_persons),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_consent),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_asof),
		cmocka_unit_test(test_suppressed),
		cmocka_unit_test(test_formats),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

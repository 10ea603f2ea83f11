/*
 * test_forms.c: the forms' record rules (store/schema.c, the rules table)
 * through the operations: each rule refuses add, set and import with its
 * catalog key, naming the field, and leaves the data as it was; set is
 * checked on the record as it will be; a reference is found by name;
 * internal fields are no one's to write; stats refuse a confidential
 * field; the ISO 3166-1 table holds the 249 assigned codes.
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

#include "agent/ops/ops.h"
#include "store/schema.h"

/* A valid new consultation: index 0..6, then the closing ones. */
#define NGOOD	7
static const char *const good[][2] = {
	{ "center", "Khorog" }, { "opened_at", "2026-11-20" },
	{ "channel", "walk_in" }, { "topic", "patent" },
	{ "client_sex", "F" }, { "status", "open" },
	{ "destination", "RU" },
};

/*
 * The good fields, less the one named ${drop} (NULL: none), plus
 * ${extra} name=value pairs (NULL-terminated, varargs); into ${f}.
 */
static size_t
form(struct ops_field *f, const char *drop, ...)
{
	va_list ap;
	const char *n, *v;
	size_t k = 0, i;

	for (i = 0; i < NGOOD; i++)
		if (drop == NULL || strcmp(good[i][0], drop) != 0)
			f[k++] = fld(good[i][0], good[i][1]);
	va_start(ap, drop);
	while ((n = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		f[k++] = fld(n, v);
	}
	va_end(ap);
	return (k);
}

static int
count_cb(void *arg, const struct rview *r, bool stale)
{

	(void)r;
	(void)stale;
	(*(long *)arg)++;
	return (0);
}

static long
count(struct tops *t, const char *coll)
{
	struct ops_read_args a;
	struct ops_err e;
	long n = 0;

	memset(&a, 0, sizeof(a));
	a.coll = coll;
	assert_int_equal(ops_list(&t->o, &a, count_cb, &n, &e), 0);
	return (n);
}

/* The value of ${field} of consultation ${hex}, into ${out}. */
struct one {
	const char	*field;
	char		out[64];
};

static int
one_cb(void *arg, const struct rview *r, bool stale)
{
	struct one *o = arg;
	size_t i;

	(void)stale;
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, o->field) == 0 &&
		    r->f[i].v.t == VAL_STR)
			snprintf(o->out, sizeof(o->out), "%.*s",
			    (int)r->f[i].v.len, r->f[i].v.s);
	return (0);
}

static const char *
value(struct tops *t, const char *hex, const char *field, struct one *o)
{
	struct ops_read_args a;
	struct ops_err e;

	memset(&a, 0, sizeof(a));
	memset(o, 0, sizeof(*o));
	o->field = field;
	a.coll = "consultations";
	a.id = hex;
	assert_int_equal(ops_show(&t->o, &a, one_cb, o, &e), 0);
	return (o->out);
}

static void
add_ok(struct tops *t, const char *coll, struct ops_field *f, size_t n,
    char hex[33])
{
	struct ops_write_args w = { coll, NULL, f, n };
	struct ops_err e;
	char msg[1024];

	if (ops_add(&t->o, &w, hex, &e))
		fail_msg("add: %s (%s)", ops_text("en", &e, msg, sizeof(msg)),
		    ops_key_name(e.key));
}

/*
 * add ${f} is refused with ${key}, naming ${field} first and the text
 * holding ${words}; nothing was added.
 */
static void
add_refused(struct tops *t, struct ops_field *f, size_t n, enum ops_msg key,
    const char *field, const char *words)
{
	struct ops_write_args w = { "consultations", NULL, f, n };
	struct ops_err e;
	char hex[33], msg[1024];
	long before = count(t, "consultations");

	assert_int_equal(ops_add(&t->o, &w, hex, &e), -1);
	ops_text("en", &e, msg, sizeof(msg));
	if (e.key != key)
		fail_msg("expected %s, got %s: %s", ops_key_name(key),
		    ops_key_name(e.key), msg);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	if (field != NULL)
		assert_string_equal(e.arg[0], field);
	if (strstr(msg, words) == NULL)
		fail_msg("'%s' does not say '%s'", msg, words);
	assert_null(strchr(msg, '\n'));
	assert_int_equal(count(t, "consultations"), before);
}

static void
test_add_rules(void **state)
{
	struct ops_field f[16];
	struct tops t;
	char hex[33];
	size_t n, i;

	(void)state;
	tops_open(&t, "forms");
	/* Each required field, missing alone: named with its values. */
	for (i = 1; i < 6; i++) {
		n = form(f, good[i][0], NULL);
		add_refused(&t, f, n, strcmp(good[i][0], "opened_at") == 0 ?
		    OPS_MSG_FORM_REQUIRED_AS : OPS_MSG_FORM_REQUIRED_ONE_OF,
		    good[i][0], good[i][0]);
	}
	n = form(f, "channel", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_REQUIRED_ONE_OF, "channel",
	    "walk_in, hotline, outreach, online");
	/* Out of a network a center is a required field like the others. */
	n = form(f, "center", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_REQUIRED, "center", "center=");
	/* Several missing: all named. */
	f[0] = fld("center", "Khorog");
	add_refused(&t, f, 1, OPS_MSG_FORM_REQUIRED_MANY, NULL,
	    "opened_at, channel, topic, client_sex, status");
	/* Closed: needs its date and outcome; not before it opened. */
	n = form(f, "status", "status", "closed", "outcome", "Renewed", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_NEEDED_WHEN, "closed_on",
	    "status=closed");
	n = form(f, "status", "status", "closed", "closed_on", "2026-11-21",
	    NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_NEEDED_WHEN, "outcome",
	    "status=closed");
	n = form(f, "status", "status", "closed", "closed_on", "2026-11-19",
	    "outcome", "Renewed", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_BEFORE, "closed_on",
	    "before opened_at (2026-11-20)");
	/* The clock says 2026-11-30: the 1st is a day ahead, the 2nd not. */
	n = form(f, "opened_at", "opened_at", "2026-12-02", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_FUTURE, "opened_at",
	    "give a date up to 2026-12-01");
	n = form(f, "destination", "destination", "ZZ", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_COUNTRY, "destination",
	    "'ZZ'");
	n = form(f, "destination", "destination", "XX", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_COUNTRY, "destination", "'XX'");
	n = form(f, NULL, "language", "Tajik", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_NOT_LISTED, "language",
	    "tg, ru, uz, en, other");
	/* The value's shape is checked before the rules. */
	n = form(f, "center", "client_sex", "Q", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_ENUM, "client_sex", "M, F, X");
	assert_int_equal(count(&t, "consultations"), 0);
	/* What passes. */
	n = form(f, "opened_at", "opened_at", "2026-12-01", "language", "tg",
	    NULL);
	add_ok(&t, "consultations", f, n, hex);
	n = form(f, "status", "status", "closed", "closed_on", "2026-11-20",
	    "outcome", "Renewed", NULL);
	add_ok(&t, "consultations", f, n, hex);
	assert_int_equal(count(&t, "consultations"), 2);
	tops_close(&t);
}

static void
test_set_merged(void **state)
{
	struct ops_field f[16];
	struct ops_write_args w;
	struct ops_err e;
	struct tops t;
	struct one o;
	char hex[33], msg[1024];
	size_t n;

	(void)state;
	tops_open(&t, "forms");
	n = form(f, NULL, NULL);
	add_ok(&t, "consultations", f, n, hex);
	memset(&w, 0, sizeof(w));
	w.coll = "consultations";
	w.id = hex;
	w.fields = f;
	/* Closing without the date: refused, the status unchanged. */
	f[0] = fld("status", "closed");
	f[1] = fld("outcome", "Renewed");
	w.nfields = 2;
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORM_NEEDED_WHEN);
	assert_string_equal(e.arg[0], "closed_on");
	assert_string_equal(value(&t, hex, "status", &o), "open");
	assert_string_equal(value(&t, hex, "outcome", &o), "");
	/* A closing date before the stored opened_at. */
	f[2] = fld("closed_on", "2026-11-01");
	w.nfields = 3;
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORM_BEFORE);
	ops_text("en", &e, msg, sizeof(msg));
	assert_non_null(strstr(msg, "2026-11-20"));
	assert_string_equal(value(&t, hex, "status", &o), "open");
	/* Good: closed. */
	f[2] = fld("closed_on", "2026-11-25");
	assert_int_equal(ops_set(&t.o, &w, &e), 0);
	assert_string_equal(value(&t, hex, "status", &o), "closed");
	/* Now clearing the outcome, or a required field, is refused. */
	f[0] = fld("outcome", "");
	w.nfields = 1;
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORM_NEEDED_WHEN);
	assert_string_equal(value(&t, hex, "outcome", &o), "Renewed");
	f[0] = fld("topic", "");
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORM_REQUIRED_ONE_OF);
	assert_string_equal(value(&t, hex, "topic", &o), "patent");
	/* Moving opened_at past the closing date is the same rule. */
	f[0] = fld("opened_at", "2026-11-28");
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORM_BEFORE);
	assert_string_equal(value(&t, hex, "opened_at", &o), "2026-11-20");
	/* Reopened: the closing fields may stay. */
	f[0] = fld("status", "open");
	assert_int_equal(ops_set(&t.o, &w, &e), 0);
	/* An edit the rules do not touch passes on its own. */
	f[0] = fld("summary", "Called back");
	assert_int_equal(ops_set(&t.o, &w, &e), 0);
	tops_close(&t);
}

/* A record of the log that misses fields (an older version's) is kept,
 * and edits to other fields still pass. */
static void
test_old_record(void **state)
{
	const struct coll_def *c = schema_coll("consultations");
	struct ops_field f[2];
	struct ops_write_args w;
	struct ops_err e;
	struct tops t;
	struct one o;
	struct val v = { VAL_STR, 0, "closed", 6 };
	uint8_t id[SCHEMA_ID_LEN];
	char hex[33], err[STORE_ERRLEN];

	(void)state;
	tops_open(&t, "forms");
	memset(id, 0x5a, sizeof(id));
	sodium_bin2hex(hex, sizeof(hex), id, sizeof(id));
	assert_int_equal(db_begin(t.db, NOW_MS, err), 0);
	assert_int_equal(db_put(t.db, c, id, schema_field(c, "status", 6), &v,
	    err), 0);
	v.s = "ZZ";
	v.len = 2;
	assert_int_equal(db_put(t.db, c, id, schema_field(c, "destination",
	    11), &v, err), 0);
	assert_int_equal(db_commit(t.db, err), 0);
	memset(&w, 0, sizeof(w));
	w.coll = "consultations";
	w.id = hex;
	w.fields = f;
	w.nfields = 1;
	f[0] = fld("summary", "Old case, seen again");
	assert_int_equal(ops_set(&t.o, &w, &e), 0);
	assert_string_equal(value(&t, hex, "destination", &o), "ZZ");
	/* Touching the closing rule asks for what it needs. */
	f[0] = fld("status", "closed");
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORM_NEEDED_WHEN);
	assert_string_equal(e.arg[0], "closed_on");
	assert_string_equal(value(&t, hex, "summary", &o),
	    "Old case, seen again");
	tops_close(&t);
}

static void
test_referred_to(void **state)
{
	struct ops_field f[16], d[6];
	struct tops t;
	struct one o;
	char hex[33], moscow[33], ngo[33], bad[40];
	size_t n;

	(void)state;
	tops_open(&t, "forms");
	d[0] = fld("name", "Migration Service, Moscow");
	d[1] = fld("kind", "migration_service");
	d[2] = fld("country", "RU");
	d[3] = fld("city", "Moscow");
	d[4] = fld("phone", "+7 495 000 00 00");
	d[5] = fld("verified_on", "2026-11-01");
	add_ok(&t, "directory", d, 6, moscow);
	d[0] = fld("name", "Migrant help NGO");
	d[1] = fld("kind", "ngo");
	add_ok(&t, "directory", d, 6, ngo);
	/* No match, several, one (by a part, any case), one by id. */
	n = form(f, NULL, "referred_to", "Consulate", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_REF_NONE, "referred_to",
	    "'Consulate'");
	n = form(f, NULL, "referred_to", "MIGRA", NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_REF_MANY, "referred_to",
	    "Migration Service, Moscow");
	add_refused(&t, f, n, OPS_MSG_FORM_REF_MANY, "referred_to",
	    "Migrant help NGO");
	memset(bad, 'a', 32);
	bad[32] = '\0';
	n = form(f, NULL, "referred_to", bad, NULL);
	add_refused(&t, f, n, OPS_MSG_FORM_REF_NO_ID, "referred_to", bad);
	n = form(f, NULL, "referred_to", "moscow", NULL);
	add_ok(&t, "consultations", f, n, hex);
	assert_string_equal(value(&t, hex, "referred_to", &o), moscow);
	n = form(f, NULL, "referred_to", ngo, NULL);
	add_ok(&t, "consultations", f, n, hex);
	assert_string_equal(value(&t, hex, "referred_to", &o), ngo);
	/* A whole name that is also a part of another's wins. */
	d[0] = fld("name", "Migrant help");
	add_ok(&t, "directory", d, 6, moscow);
	n = form(f, NULL, "referred_to", "migrant help", NULL);
	add_ok(&t, "consultations", f, n, hex);
	assert_string_equal(value(&t, hex, "referred_to", &o), moscow);
	/* Cyrillic folds too. */
	d[0] = fld("name", "Ҷамъияти ҲУҚУҚ");
	add_ok(&t, "directory", d, 6, ngo);
	n = form(f, NULL, "referred_to", "ҷамъияти ҳуқуқ", NULL);
	add_ok(&t, "consultations", f, n, hex);
	assert_string_equal(value(&t, hex, "referred_to", &o), ngo);
	tops_close(&t);
}

static void
test_import_rules(void **state)
{
	static const char head[] = "center,opened_at,channel,topic,"
	    "client_sex,status,closed_on,outcome,destination,language\n";
	static const char *const bad[][2] = {
		{ "Khorog,2026-11-20,walk_in,patent,,open,,,RU,tg\n",
		    "FORM_REQUIRED_ONE_OF" },
		{ "Khorog,2026-11-20,walk_in,patent,F,closed,,Done,RU,tg\n",
		    "FORM_NEEDED_WHEN" },
		{ "Khorog,2026-11-20,walk_in,patent,F,closed,2026-11-10,Done,"
		    "RU,tg\n", "FORM_BEFORE" },
		{ "Khorog,2027-01-01,walk_in,patent,F,open,,,RU,tg\n",
		    "FORM_FUTURE" },
		{ "Khorog,2026-11-20,walk_in,patent,F,open,,,ZZ,tg\n",
		    "FORM_COUNTRY" },
		{ "Khorog,2026-11-20,walk_in,patent,F,open,,,RU,Tajik\n",
		    "FORM_NOT_LISTED" },
	};
	static const char ok[] =
	    "Khorog,2026-11-20,walk_in,patent,F,open,,,RU,tg\n";
	struct ops_import_args a;
	struct ops_err e;
	struct tops t;
	char buf[1024], msg[1024];
	long n;
	size_t i;

	(void)state;
	tops_open(&t, "forms");
	memset(&a, 0, sizeof(a));
	a.coll = "consultations";
	a.csv = true;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s%s", head, ok, bad[i][0]);
		assert_non_null(a.in = fmemopen(buf, strlen(buf), "r"));
		assert_int_equal(ops_import(&t.o, &a, &n, &e), -1);
		fclose(a.in);
		assert_string_equal(ops_key_name(e.key), bad[i][1]);
		assert_int_equal(e.line, 3);
		ops_text("en", &e, msg, sizeof(msg));
		assert_non_null(strstr(msg, "nothing was imported"));
		assert_int_equal(count(&t, "consultations"), 0);
	}
	snprintf(buf, sizeof(buf), "%s%s", head, ok);
	assert_non_null(a.in = fmemopen(buf, strlen(buf), "r"));
	assert_int_equal(ops_import(&t.o, &a, &n, &e), 0);
	fclose(a.in);
	assert_int_equal(n, 1);
	tops_close(&t);
}

static void
test_internal_and_stats(void **state)
{
	const struct coll_def *m = schema_coll("members");
	const char *by[1] = { "client_name" };
	struct ops_stats_args sa = { "consultations", by, 1, false, NULL };
	struct ops_field f[1];
	struct ops_write_args w;
	struct ops_err e;
	struct tops t;
	char hex[33];

	(void)state;
	tops_open(&t, "forms");
	/* A node writes what it likes out of a network, but not these. */
	memset(&w, 0, sizeof(w));
	w.coll = "members";
	w.fields = f;
	w.nfields = 1;
	f[0] = fld("role", "admin");
	assert_int_equal(ops_add(&t.o, &w, hex, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORM_INTERNAL);
	assert_string_equal(e.arg[0], "role");
	assert_int_equal(count(&t, "members"), 0);
	f[0] = fld("addresses", "10.0.0.1:4411");
	assert_int_equal(ops_add(&t.o, &w, hex, &e), 0);
	w.coll = "keys";
	f[0] = fld("sealed", "x");
	assert_int_equal(ops_add(&t.o, &w, hex, &e), -1);
	assert_int_equal(e.key, OPS_MSG_FORM_INTERNAL);
	assert_true(schema_internal(m, schema_field(m, "cert", 4)));
	assert_false(schema_internal(m, schema_field(m, "addresses", 9)));
	assert_true(schema_internal(schema_coll("keys"),
	    schema_field(schema_coll("keys"), "center", 6)));
	/* Counting by ciphertext is refused before anything is opened. */
	assert_int_equal(ops_stats_check(&sa, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	assert_int_equal(e.key, OPS_MSG_STATS_CONFIDENTIAL);
	by[0] = "topic";
	assert_int_equal(ops_stats_check(&sa, &e), 0);
	tops_close(&t);
}

static void
test_countries(void **state)
{
	char cc[3] = { 0, 0, 0 };
	int n = 0, a, b;

	(void)state;
	for (a = 'A'; a <= 'Z'; a++)
		for (b = 'A'; b <= 'Z'; b++) {
			cc[0] = (char)a;
			cc[1] = (char)b;
			n += schema_country_assigned(cc, 2);
		}
	assert_int_equal(n, 249);
	assert_true(schema_country_assigned("TJ", 2));
	assert_true(schema_country_assigned("RU", 2));
	assert_true(schema_country_assigned("SS", 2));
	assert_false(schema_country_assigned("XK", 2));
	assert_false(schema_country_assigned("UK", 2));
	assert_false(schema_country_assigned("EU", 2));
	assert_false(schema_country_assigned("SU", 2));
	assert_false(schema_country_assigned("ru", 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_rules),
		cmocka_unit_test(test_set_merged),
		cmocka_unit_test(test_old_record),
		cmocka_unit_test(test_referred_to),
		cmocka_unit_test(test_import_rules),
		cmocka_unit_test(test_internal_and_stats),
		cmocka_unit_test(test_countries),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

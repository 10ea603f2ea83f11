/*
 * test_cases.c: centers, case numbers, persons, consent and the access
 * log, through the operations: the check character catches every single
 * wrong character and every swap of neighbours; the nodes of a network
 * never give the same number; an unknown center is refused naming the
 * known ones; show, set, rm and history take a case number; a returning
 * client's consultations list together; a client who said no to
 * statistics is not counted; views are logged with their actor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/opsnode.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/ops/cases.h"
#include "agent/ops/centers.h"
#include "agent/ops/net.h"

static const char *
msg(const struct ops_err *e)
{
	static char buf[1024];

	return (ops_text("en", e, buf, sizeof(buf)));
}

/* Add a consultation of center ${center}; its case number in ${num}. */
static void
add_case(struct tops *t, const char *center, const char *extra_name,
    const char *extra_val, char num[CASE_NUMBER_MAX + 1])
{
	struct ops_field f = fld(extra_name ? extra_name : "client_sex",
	    extra_val ? extra_val : "F");
	struct ops_err e;
	char hex[33];

	if (tops_consultation(t, center, &f, 1, hex, &e))
		fail_msg("add: %s", msg(&e));
	assert_int_equal(strlen(t->o.case_number) > 0, 1);
	assert_true(strlen(t->o.case_number) <= CASE_NUMBER_MAX);
	memcpy(num, t->o.case_number, strlen(t->o.case_number) + 1);
}

static void
test_check_character(void **state)
{
	static const char *const prefixes[] = { "KHJ", "KLB", "ISF", "OZU" };
	char num[CASE_NUMBER_MAX + 1], typo[CASE_NUMBER_MAX + 1];
	char out[CASE_NUMBER_MAX + 1];
	size_t len, i, j, k;
	uint64_t serial;
	long tried = 0;
	char c;

	(void)state;
	for (serial = 1; serial < 4000; serial += 7) {
		case_format(prefixes[serial % 4], 26, serial % 2 ? "10" : "Y7",
		    serial, num);
		assert_int_equal(case_parse(num, out), 0);
		assert_string_equal(out, num);
		len = strlen(num);
		/* Every single wrong character. */
		for (i = 0; i < len; i++) {
			if (num[i] == '-')
				continue;
			/* The prefix's letters are A to Z; the rest, digits. */
			for (k = 0; k < (i < 3 ? 26u : CASE_BASE); k++) {
				c = i < 3 ? (char)('A' + k) : CASE_ALPHABET[k];
				if (c == num[i])
					continue;
				memcpy(typo, num, len + 1);
				typo[i] = c;
				assert_int_not_equal(case_parse(typo, out), 0);
				tried++;
			}
		}
		/* Every swap of two neighbours, across a dash too. */
		for (i = 0; i < len; i++) {
			if (num[i] == '-')
				continue;
			for (j = i + 1; j < len && num[j] == '-'; j++)
				;
			if (j == len || num[i] == num[j])
				continue;
			memcpy(typo, num, len + 1);
			typo[i] = num[j];
			typo[j] = num[i];
			assert_int_not_equal(case_parse(typo, out), 0);
			tried++;
		}
	}
	assert_true(tried > 100000);
	/* Read over a phone: lower case, O for 0, I or L for 1 are fine. */
	case_format("KHJ", 26, "10", 42, num);
	memcpy(typo, num, strlen(num) + 1);
	for (i = 0; typo[i] != '\0'; i++)
		if (typo[i] == '0')
			typo[i] = 'o';
		else if (typo[i] == '1')
			typo[i] = 'l';
		else if (typo[i] >= 'A' && typo[i] <= 'Z')
			typo[i] = (char)(typo[i] - 'A' + 'a');
	assert_int_equal(case_parse(typo, out), 0);
	assert_string_equal(out, num);
	/* No ambiguous character is ever written after the prefix. */
	assert_null(strpbrk(CASE_ALPHABET, "OILUZ"));
	case_format("KLB", 26, "10", 42, num);
	memcpy(typo, num, strlen(num) + 1);
	typo[1] = '1';	/* A digit is never a prefix's letter. */
	assert_int_equal(case_parse(typo, out), -1);
}

/* ---- Nodes of one network. */

struct tnode {
	struct tops	t;
	char		hex[65];
};

static void
keyfile(struct tnode *n)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/node.key", n->t.dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, n->t.sk, 64), 64);
	close(fd);
	sodium_bin2hex(n->hex, sizeof(n->hex), n->t.pk, 32);
}

static void
tnode_gone(struct tnode *n)
{
	static const char *const files[] = { "node.key", "node.key.new",
	    "network.key", "center.keys", "other-centers.jsonl" };
	char path[300];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", n->t.dir, files[i]);
		unlink(path);
	}
	tops_close(&n->t);
}

static int
dial_none(void *arg, const char *addr, const char *why, bool admin)
{

	(void)arg;
	(void)addr;
	(void)why;
	(void)admin;
	return (0);
}

static void
invite_join(struct tnode *admin, struct tnode *n, const char *name)
{
	const char *addrs[1] = { "127.0.0.1:7001" };
	struct ops_invite_args ia;
	struct ops_join_args ja;
	struct ops_joined jo;
	struct ops_err e;
	char *tok;

	memset(&ia, 0, sizeof(ia));
	ia.key = n->hex;
	ia.name = name;
	ia.center = "Khorog";
	ia.role = "center";
	ia.addrs = addrs;
	ia.naddr = 1;
	if (ops_invite(&admin->t.o, &ia, &tok, &e))
		fail_msg("invite: %s", msg(&e));
	ja.token = tok;
	if (ops_join(&n->t.o, &ja, dial_none, NULL, &jo, &e))
		fail_msg("join: %s", msg(&e));
	sodium_free(tok);
}

static int
cmp_str(const void *a, const void *b)
{

	return (strcmp(a, b));
}

static void
test_nodes_never_collide(void **state)
{
	struct ops_network_create_args ca = { "Pamir legal aid" };
	struct ops_network_created co;
	struct tnode a, b, c;
	char nums[3 * 40][CASE_NUMBER_MAX + 1], meta[8];
	struct ops_err e;
	size_t i, n = 0;

	(void)state;
	tops_open(&a.t, "cases-a");
	tops_open(&b.t, "cases-b");
	tops_open(&c.t, "cases-c");
	keyfile(&a);
	keyfile(&b);
	keyfile(&c);
	if (ops_network_create(&a.t.o, &ca, &co, &e))
		fail_msg("create: %s", msg(&e));
	invite_join(&a, &b, "Khorog office");
	invite_join(&a, &c, "Khorog outreach");
	/* The invites gave the lowest free codes, in order. */
	assert_int_equal(db_meta_get(b.t.db, "case_code", meta, sizeof(meta)),
	    0);
	assert_string_equal(meta, "10");
	assert_int_equal(db_meta_get(c.t.db, "case_code", meta, sizeof(meta)),
	    0);
	assert_string_equal(meta, "11");
	/* All three number on the same day, none seeing the others. */
	for (i = 0; i < 40; i++) {
		add_case(&a.t, "Khorog", NULL, NULL, nums[n++]);
		add_case(&b.t, "Khorog", NULL, NULL, nums[n++]);
		add_case(&c.t, "Khorog", NULL, NULL, nums[n++]);
	}
	/* The admin took a code itself, from the top. */
	assert_int_equal(strncmp(nums[0], "KHR-26-YY-0001-", 15), 0);
	assert_int_equal(strncmp(nums[1], "KHR-26-10-0001-", 15), 0);
	assert_int_equal(strncmp(nums[2], "KHR-26-11-0001-", 15), 0);
	qsort(nums, n, sizeof(nums[0]), cmp_str);
	for (i = 1; i < n; i++)
		assert_string_not_equal(nums[i - 1], nums[i]);
	tnode_gone(&a);
	tnode_gone(&b);
	tnode_gone(&c);
}

static void
test_unknown_center(void **state)
{
	struct ops_field f[2] = { fld("center", "Khujnad"), fld("status",
	    "open") };
	struct ops_write_args a = { "consultations", NULL, f, 2 };
	struct ops_center kc = { "Khujand", "Khujand information center",
	    NULL, "Sughd", NULL, NULL };
	char hex[33], prefix[CENTER_PREFIX_LEN + 1], num[CASE_NUMBER_MAX + 1];
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "cases");
	assert_int_equal(ops_center_add(&t.o, &kc, prefix, &e), 0);
	assert_string_equal(prefix, "KHJ");
	/* The typo is refused, naming the known ones; nothing is written. */
	assert_int_equal(ops_add(&t.o, &a, hex, &e), -1);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	assert_int_equal(e.key, OPS_MSG_CENTER_UNKNOWN);
	assert_non_null(strstr(e.arg[2], "Khorog"));
	assert_non_null(strstr(e.arg[2], "Khujand"));
	assert_int_equal(db_meta_get(t.db, "case_serial", num, sizeof(num)),
	    -1);
	/* Once more, or a prefix taken, is refused. */
	assert_int_equal(ops_center_add(&t.o, &kc, prefix, &e), -1);
	assert_int_equal(e.key, OPS_MSG_CENTER_EXISTS);
	kc.code = "Khujand2";
	kc.prefix = "KHJ";
	assert_int_equal(ops_center_add(&t.o, &kc, prefix, &e), -1);
	assert_int_equal(e.key, OPS_MSG_CENTER_PREFIX_USED);
	kc.prefix = "KH0";	/* Letters only. */
	assert_int_equal(ops_center_add(&t.o, &kc, prefix, &e), -1);
	assert_int_equal(e.key, OPS_MSG_CENTER_PREFIX_BAD);
	kc.code = "Khu jand";
	assert_int_equal(ops_center_add(&t.o, &kc, prefix, &e), -1);
	assert_int_equal(e.key, OPS_MSG_CENTER_CODE_BAD);
	/* The right name is taken, and numbered with the center's prefix. */
	add_case(&t, "Khujand", NULL, NULL, num);
	assert_int_equal(strncmp(num, "KHJ-26-", 7), 0);
	tops_close(&t);
}

struct seen {
	long	n;
	char	last[64];
	char	nums[8][CASE_NUMBER_MAX + 1];
};

static int
rec_cb(void *arg, const struct rview *r, bool stale)
{
	struct seen *s = arg;
	size_t i;

	(void)stale;
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "case_number") == 0 && s->n < 8)
			snprintf(s->nums[s->n], CASE_NUMBER_MAX + 1, "%.*s",
			    (int)r->f[i].v.len, r->f[i].v.s);
	s->n++;
	return (0);
}

static int
hist_cb(void *arg, const struct hview *h, const struct ops_who *w)
{
	struct seen *s = arg;

	(void)w;
	s->n++;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)h->field_len,
	    h->field);
	return (0);
}

/* A node with one case, shown by its number ${num} (the request in ${r}). */
static void
one_case(struct tops *t, char num[CASE_NUMBER_MAX + 1],
    struct ops_read_args *r, struct seen *s)
{
	struct ops_err e;

	tops_open(t, "cases");
	add_case(t, "Khorog", NULL, NULL, num);
	memset(r, 0, sizeof(*r));
	r->coll = "consultations";
	r->id = num;
	memset(s, 0, sizeof(*s));
	if (ops_show(&t->o, r, rec_cb, s, &e))
		fail_msg("show: %s", msg(&e));
}

static void
test_case_number_names_record(void **state)
{
	struct ops_field st = fld("status", "referred");
	struct ops_write_args w = { "consultations", NULL, &st, 1 };
	struct ops_read_args r;
	char num[CASE_NUMBER_MAX + 1], low[CASE_NUMBER_MAX + 1];
	struct seen s;
	struct ops_err e;
	struct tops t;
	size_t i;

	(void)state;
	one_case(&t, num, &r, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.nums[0], num);
	/* As typed from a card: lower case. */
	for (i = 0; num[i] != '\0'; i++)
		low[i] = (char)(num[i] >= 'A' && num[i] <= 'Z' ?
		    num[i] - 'A' + 'a' : num[i]);
	low[i] = '\0';
	w.id = low;
	if (ops_set(&t.o, &w, &e))
		fail_msg("set: %s", msg(&e));
	memset(&s, 0, sizeof(s));
	assert_int_equal(ops_history(&t.o, &r, hist_cb, &s, &e), 0);
	assert_string_equal(s.last, "status");
	/* A typo in it is refused as one, not taken for another record. */
	snprintf(low, sizeof(low), "%s", num);
	low[strlen(low) - 1] = low[strlen(low) - 1] == '7' ? '8' : '7';
	r.id = low;
	assert_int_equal(ops_show(&t.o, &r, rec_cb, &s, &e), -1);
	assert_int_equal(e.key, OPS_MSG_CASE_CHECK);
	/* case_number is add's to give, never the user's. */
	st = fld("case_number", num);
	w.id = num;
	assert_int_equal(ops_set(&t.o, &w, &e), -1);
	assert_int_equal(e.key, OPS_MSG_CASE_NUMBER_GIVEN);
	w.id = num;
	if (ops_rm(&t.o, &w, &e))
		fail_msg("rm: %s", msg(&e));
	r.id = num;
	assert_int_equal(ops_show(&t.o, &r, rec_cb, &s, &e), -1);
	assert_int_equal(e.code, OPS_NOT_FOUND);
	tops_close(&t);
}

static void
test_person_lists_together(void **state)
{
	char first[CASE_NUMBER_MAX + 1], second[CASE_NUMBER_MAX + 1];
	char third[CASE_NUMBER_MAX + 1], other[CASE_NUMBER_MAX + 1];
	struct ops_field filt;
	struct ops_read_args r;
	struct seen s;
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "cases");
	add_case(&t, "Khorog", NULL, NULL, first);
	add_case(&t, "Khorog", NULL, NULL, other);
	add_case(&t, "Khorog", "person", first, second);
	/* Named by the second's number: the person is still the first's. */
	add_case(&t, "Khorog", "person", second, third);
	memset(&r, 0, sizeof(r));
	r.coll = "consultations";
	r.filters = &filt;
	r.nfilters = 1;
	filt = fld("person", third);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ops_list(&t.o, &r, rec_cb, &s, &e), 0);
	assert_int_equal(s.n, 3);
	/* Newest first, the first consultation last. */
	assert_string_equal(s.nums[0], third);
	assert_string_equal(s.nums[1], second);
	assert_string_equal(s.nums[2], first);
	filt = fld("person", other);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ops_list(&t.o, &r, rec_cb, &s, &e), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.nums[0], other);
	tops_close(&t);
}

struct counts {
	uint64_t	total;
};

static int
stats_cb(void *arg, const struct val *v, uint64_t n)
{
	struct counts *c = arg;

	(void)v;
	c->total += n;
	return (0);
}

static void
test_consent_left_out_of_stats(void **state)
{
	const char *by[1] = { "topic" };
	struct ops_stats_args a = { "consultations", by, 1, false, NULL };
	char num[CASE_NUMBER_MAX + 1];
	struct counts c = { 0 };
	struct ops_err e;
	struct tops t;
	long left = -1;

	(void)state;
	tops_open(&t, "cases");
	add_case(&t, "Khorog", "consent_stats", "yes", num);
	add_case(&t, "Khorog", "consent_stats", "no", num);
	add_case(&t, "Khorog", NULL, NULL, num);	/* Not recorded. */
	a.left_out = &left;
	assert_int_equal(ops_stats(&t.o, &a, stats_cb, &c, &e), 0);
	assert_int_equal(c.total, 2);
	assert_int_equal(left, 1);
	a.all = true;
	c.total = 0;
	assert_int_equal(ops_stats(&t.o, &a, stats_cb, &c, &e), 0);
	assert_int_equal(c.total, 3);
	tops_close(&t);
}

struct log_seen {
	long	n;
	char	what[3][16];
	char	actor[3][32];
	char	num[3][CASE_NUMBER_MAX + 1];
};

static int
log_cb(void *arg, const struct db_access *a)
{
	struct log_seen *l = arg;

	if (l->n < 3) {
		snprintf(l->what[l->n], 16, "%s", a->what);
		snprintf(l->actor[l->n], 32, "%s", a->actor ? a->actor :
		    "(none)");
		snprintf(l->num[l->n], CASE_NUMBER_MAX + 1, "%s",
		    a->case_number ? a->case_number : "");
	}
	l->n++;
	return (0);
}

static void
test_access_log(void **state)
{
	char num[CASE_NUMBER_MAX + 1];
	struct ops_read_args r;
	struct log_seen l;
	struct seen s;
	struct ops_err e;
	struct tops t;
	long n;

	(void)state;
	one_case(&t, num, &r, &s);
	t.o.actor = "Saidova";
	assert_int_equal(ops_history(&t.o, &r, hist_cb, &s, &e), 0);
	/* A listing passed every record revealed: one entry for it all. */
	r.id = NULL;
	assert_int_equal(ops_list(&t.o, &r, rec_cb, &s, &e), 0);
	/* Sealed values reveal nothing: no entry. */
	r.sealed = true;
	assert_int_equal(ops_list(&t.o, &r, rec_cb, &s, &e), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(ops_access_log(&t.o, log_cb, &l, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(l.what[0], "list");	/* Newest first. */
	assert_string_equal(l.num[0], "1 consultation");
	assert_string_equal(l.what[1], "history");
	assert_string_equal(l.actor[1], "Saidova");
	assert_string_equal(l.num[1], num);
	assert_string_equal(l.what[2], "show");
	assert_string_equal(l.actor[2], "admin");
	tops_close(&t);
}

static void
test_import_numbers_new_cases(void **state)
{
	static const char in[] =
	    "{\"center\":\"Khorog\",\"status\":\"open\","
	    "\"channel\":\"walk_in\",\"topic\":\"patent\",\"client_sex\":\"F\",\"opened_at\":\"2025-03-01\"}\n"
	    "{\"center\":\"Khorog\",\"status\":\"open\","
	    "\"channel\":\"walk_in\",\"topic\":\"patent\",\"client_sex\":\"F\",\"opened_at\":\"2024-05-02\","
	    "\"case_number\":\"KHR-24-10-0007-X\"}\n"
	    "{\"center\":\"Elsewhere\",\"status\":\"open\","
	    "\"channel\":\"walk_in\",\"topic\":\"patent\",\"client_sex\":\"F\",\"opened_at\":\"2023-01-10\"}\n";
	struct ops_import_args a = { "consultations", NULL, false };
	struct ops_read_args r;
	struct seen s;
	struct ops_err e;
	struct tops t;
	long n;

	(void)state;
	tops_open(&t, "cases");
	assert_non_null(a.in = fmemopen((void *)in, sizeof(in) - 1, "r"));
	if (ops_import(&t.o, &a, &n, &e))
		fail_msg("import: %s", msg(&e));
	fclose(a.in);
	assert_int_equal(n, 3);
	memset(&r, 0, sizeof(r));
	r.coll = "consultations";
	memset(&s, 0, sizeof(s));
	assert_int_equal(ops_list(&t.o, &r, rec_cb, &s, &e), 0);
	assert_int_equal(s.n, 3);
	/* Newest first: the one numbered now (2025), the one carried. */
	assert_int_equal(strncmp(s.nums[0], "KHR-25-0", 8), 0);
	assert_string_equal(s.nums[1], "KHR-24-10-0007-X");
	assert_string_equal(s.nums[2], "");	/* A center not known here. */
	tops_close(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_character),
		cmocka_unit_test(test_nodes_never_collide),
		cmocka_unit_test(test_unknown_center),
		cmocka_unit_test(test_case_number_names_record),
		cmocka_unit_test(test_person_lists_together),
		cmocka_unit_test(test_consent_left_out_of_stats),
		cmocka_unit_test(test_access_log),
		cmocka_unit_test(test_import_numbers_new_cases),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

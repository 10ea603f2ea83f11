/*
 * test_search.c: search — folding (case, the Tajik letters, ё), phones in
 * any notation, prefixes, summary words, case numbers, FTS5 syntax in a
 * query harmless, records of a center whose key is not held never found,
 * and a held index kept current by updates and removals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/ops/search.h"
#include "agent/search/fold.h"
#include "agent/search/index.h"
#include "tests/unit/opsnode.h"

/* The folded tokens of ${s}, NUL-terminated, into a static buffer. */
static const char *
fold(const char *s)
{
	static char out[1024];
	size_t n;

	assert_true(search_fold_room(strlen(s)) < sizeof(out));
	n = search_fold_words(s, strlen(s), out);
	out[n] = '\0';
	return (out);
}

static const char *
phone(const char *s)
{
	static char out[1024];
	size_t n;

	n = search_fold_phone(s, strlen(s), out);
	out[n] = '\0';
	return (out);
}

/* The query's tokens joined by '|'. */
static const char *
terms(const char *s, enum search_parse want)
{
	static char out[1024];
	struct search_terms q;
	size_t i, o = 0;

	assert_int_equal(search_parse_query(s, strlen(s), &q), want);
	for (i = 0; i < q.n; i++) {
		if (i)
			out[o++] = '|';
		memcpy(out + o, q.t[i], q.len[i]);
		o += q.len[i];
	}
	out[o] = '\0';
	search_terms_wipe(&q);
	return (out);
}

static void
test_fold(void **state)
{
	char big[SEARCH_QUERY_MAX + 2];

	(void)state;
	assert_string_equal(fold("Ҳакимов Фирӯз"), "хакимов фируз ");
	assert_string_equal(fold("ҶӮРАЕВ Қодир Ғафорович"),
	    "чураев кодир гафорович ");
	assert_string_equal(fold("Алиев Ёқуб, Шарипова Зарӣна"),
	    "алиев екуб шарипова зарина ");
	assert_string_equal(fold("HAKIMOV Firuz"), "hakimov firuz ");
	/* A hyphen joins: the parts and the whole. */
	assert_string_equal(fold("KHJ-26-03-0042-K"),
	    "khj 26 03 0042 k khj26030042k ");
	assert_string_equal(fold("«патент», -- да-"), "патент да ");
	/* Invalid UTF-8 separates; nothing is read past the end. */
	assert_string_equal(fold("a\xff\xc3"), "a ");
	assert_string_equal(phone("+992 92 555 12 34"), "925551234 ");
	assert_string_equal(phone("+7 (912) 345-67-89, 44 12"),
	    "123456789 4412 ");

	assert_string_equal(terms("Хакимов", SEARCH_PARSE_OK), "хакимов");
	assert_string_equal(terms("+992 92 555 12 34", SEARCH_PARSE_OK),
	    "925551234");
	assert_string_equal(terms("92-555-12-34", SEARCH_PARSE_OK),
	    "925551234");
	assert_string_equal(terms("925551234", SEARCH_PARSE_OK), "925551234");
	assert_string_equal(terms("+7 912 345 67 89", SEARCH_PARSE_OK),
	    "123456789");
	assert_string_equal(terms("SEARCHMARK-3321", SEARCH_PARSE_OK),
	    "searchmark3321");
	assert_string_equal(terms("рах \"OR\" NEAR(x*", SEARCH_PARSE_OK),
	    "рах|or|near|x");
	terms("\"*^:()", SEARCH_PARSE_EMPTY);
	terms("", SEARCH_PARSE_EMPTY);
	terms("a b c d e f g h i", SEARCH_PARSE_MANY);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	terms(big, SEARCH_PARSE_LONG);
}

/* What a search found: the names, '|'-separated, newest first. */
struct got {
	char	names[2048];
	size_t	n;
};

static int
got_cb(void *arg, const struct ops_hit *h)
{
	struct got *g = arg;
	size_t o = strlen(g->names);

	snprintf(g->names + o, sizeof(g->names) - o, "%s%s", o ? "|" : "",
	    h->client_name);
	g->n++;
	return (0);
}

static int
count_cb(void *arg, const uint8_t *id)
{

	(void)id;
	(*(size_t *)arg)++;
	return (0);
}

static const char *
search(struct tops *t, const char *text)
{
	static struct got g;
	struct ops_search_args a = { text, strlen(text), 0 };
	struct ops_err e;
	bool more;

	memset(&g, 0, sizeof(g));
	if (ops_search(&t->o, &a, got_cb, &g, &more, &e))
		fail_msg("search '%s': %s", text, ops_key_name(e.key));
	return (g.names);
}

static void
add(struct tops *t, const char *date, const char *name, const char *ph,
    const char *summary, char hex[2 * SCHEMA_ID_LEN + 1])
{
	struct ops_field f[] = { fld("center", "Khujand"),
	    fld("opened_at", date), fld("channel", "walk_in"),
	    fld("client_sex", "M"),
	    fld("topic", "patent"), fld("status", "open"),
	    fld("client_name", name), fld("client_phone", ph),
	    fld("summary", summary) };
	struct ops_write_args a = { "consultations", NULL, f, 9 };
	struct ops_err e;

	tops_center(t, "Khujand");
	if (ops_add(&t->o, &a, hex, &e))
		fail_msg("add: %s", ops_key_name(e.key));
}

static void
test_search_ops(void **state)
{
	struct tops t;
	char h1[33], h2[33], h3[33];
	struct ops_search_args a = { NULL, 0, 0 };
	struct ops_err e;
	struct got g;
	bool more;

	(void)state;
	tops_open(&t, "search");
	add(&t, "2026-11-01", "Ҳакимов Фирӯз", "+992 92 555 12 34",
	    "Патент продлён. Работодатель удержал паспорт.", h1);
	add(&t, "2026-11-02", "Рахимова Зебо", "+7 912 345-67-89",
	    "Регистрация по месту пребывания; SEARCHMARK-3321", h2);
	add(&t, "2026-11-03", "Ёрова Ёқутой", "92-777-00-11",
	    "Ёлка? No: a question about her deportation ban", h3);

	assert_string_equal(search(&t, "хакимов"), "Ҳакимов Фирӯз");
	assert_string_equal(search(&t, "фируз"), "Ҳакимов Фирӯз");
	assert_string_equal(search(&t, "ХАКИМОВ ФИРУЗ"), "Ҳакимов Фирӯз");
	assert_string_equal(search(&t, "ерова"), "Ёрова Ёқутой");
	assert_string_equal(search(&t, "екутой"), "Ёрова Ёқутой");
	/* Prefix, any word; newest first. */
	assert_string_equal(search(&t, "Рахим"), "Рахимова Зебо");
	assert_string_equal(search(&t, "зеб"), "Рахимова Зебо");
	assert_string_equal(search(&t, "р"), "Рахимова Зебо|Ҳакимов Фирӯз");
	/* Phones: three notations, and +7. */
	assert_string_equal(search(&t, "+992 92 555 12 34"), "Ҳакимов Фирӯз");
	assert_string_equal(search(&t, "925551234"), "Ҳакимов Фирӯз");
	assert_string_equal(search(&t, "92-555-12-34"), "Ҳакимов Фирӯз");
	assert_string_equal(search(&t, "+79123456789"), "Рахимова Зебо");
	assert_string_equal(search(&t, "8 912 345 67 89"), "Рахимова Зебо");
	assert_string_equal(search(&t, "+992 927770011"), "Ёрова Ёқутой");
	/* Words of the summary, with a name; every word must match. */
	assert_string_equal(search(&t, "паспорт"), "Ҳакимов Фирӯз");
	assert_string_equal(search(&t, "елка deport"), "Ёрова Ёқутой");
	assert_string_equal(search(&t, "хакимов регистрация"), "");
	/* The case number: the id until the schema has one. */
	assert_string_equal(search(&t, h2), "Рахимова Зебо");
	/* FTS5's syntax is only text. */
	assert_string_equal(search(&t, "SEARCHMARK-3321"), "Рахимова Зебо");
	assert_string_equal(search(&t, "\"Зебо\" OR NEAR(x) ^ab* c:d"), "");
	assert_string_equal(search(&t, "зебо AND"), "");
	assert_string_equal(search(&t, "-зебо"), "Рахимова Зебо");

	memset(&g, 0, sizeof(g));
	a.text = "*";
	a.len = 1;
	assert_int_equal(ops_search(&t.o, &a, got_cb, &g, &more, &e), -1);
	assert_int_equal(e.key, OPS_MSG_SEARCH_EMPTY);
	assert_int_equal(e.code, OPS_USAGE);
	/* The limit, and more said. */
	a.text = "р";
	a.len = strlen(a.text);
	a.limit = 1;
	assert_int_equal(ops_search(&t.o, &a, got_cb, &g, &more, &e), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.names, "Рахимова Зебо");
	assert_true(more);
	tops_close(&t);
}

/* Write consultation ${id} of ${center} straight to the store. */
static void
put_rec(struct tops *t, const uint8_t id[SCHEMA_ID_LEN], const char *center,
    const struct conf_key *k, const char *name, const char *summary)
{
	char err[STORE_ERRLEN], *sn = NULL, *ss = NULL;

	if (k != NULL) {
		assert_int_equal(conf_seal(k, id, "client_name", name,
		    strlen(name), &sn), 0);
		assert_int_equal(conf_seal(k, id, "summary", summary,
		    strlen(summary), &ss), 0);
	}
	assert_int_equal(db_begin(t->db, NOW_MS, err), 0);
	tnode_put(t->db, "consultations", id, "center", center);
	tnode_put(t->db, "consultations", id, "opened_at", "2026-11-10");
	tnode_put(t->db, "consultations", id, "client_name", sn ? sn : name);
	tnode_put(t->db, "consultations", id, "summary", ss ? ss : summary);
	assert_int_equal(db_commit(t->db, err), 0);
	free(sn);
	free(ss);
}

static void
test_center_keys(void **state)
{
	struct tops t;
	struct conf *ring;
	struct conf_key other;
	struct ops_err e;
	uint8_t a[SCHEMA_ID_LEN], b[SCHEMA_ID_LEN], c[SCHEMA_ID_LEN];
	char err[256], path[300];

	(void)state;
	tops_open(&t, "search-keys");
	assert_non_null(ring = ops_ring(&t.o, &e));
	assert_int_equal(conf_make_key(ring, "Khujand", err, sizeof(err)), 0);
	/* A key of another center, which this node does not hold. */
	memset(&other, 0, sizeof(other));
	randombytes_buf(other.id, sizeof(other.id));
	randombytes_buf(other.key, sizeof(other.key));
	other.version = 1;
	snprintf(other.center, sizeof(other.center), "Khorog");
	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	randombytes_buf(c, sizeof(c));
	put_rec(&t, a, "Khujand", conf_current(ring, "Khujand"),
	    "Саидов Бахтиёр", "паспорт");
	put_rec(&t, b, "Khorog", &other, "Саидова Мунира", "паспорт");
	/* In clear, but of a center whose key is not held. */
	put_rec(&t, c, "Khorog", NULL, "Саидзода Ифтихор", "паспорт");
	assert_string_equal(search(&t, "саид"), "Саидов Бахтиёр");
	assert_string_equal(search(&t, "паспорт"), "Саидов Бахтиёр");
	assert_string_equal(search(&t, "мунира"), "");
	assert_string_equal(search(&t, "ифтихор"), "");
	snprintf(path, sizeof(path), "%s/%s", t.dir, CONF_FILE);
	unlink(path);
	tops_close(&t);
}

static void
test_update_remove(void **state)
{
	struct tops t;
	struct search_index *x;
	struct ops_search_args a = { NULL, 0, 0 };
	struct ops_field f[] = { fld("client_name", "Назаров Тоҳир") };
	struct ops_write_args w = { "consultations", NULL, f, 1 };
	struct ops_err e;
	struct got g;
	uint8_t id[SCHEMA_ID_LEN];
	char h[33], err[STORE_ERRLEN];
	bool more;

	(void)state;
	tops_open(&t, "search-upd");
	add(&t, "2026-11-05", "Каримов Тоҳир", "+992 93 111 22 33", "виза", h);
	assert_int_equal(ops_search_build(&t.o, &x, &e), 0);
	assert_int_equal(search_count(x), 1);
#define FIND(s_) (memset(&g, 0, sizeof(g)), a.text = (s_), \
    a.len = strlen(s_), assert_int_equal(ops_search_in(&t.o, x, &a, \
    got_cb, &g, &more, &e), 0), g.names)
	assert_string_equal(FIND("каримов"), "Каримов Тоҳир");
	/* A local write: the index follows it. */
	w.id = h;
	assert_int_equal(ops_set(&t.o, &w, &e), 0);
	/* Not yet updated: the old name finds it, shown as it is now. */
	assert_string_equal(FIND("каримов"), "Назаров Тоҳир");
	assert_string_equal(FIND("назаров"), "");
	assert_int_equal(ops_id(h, id, &e), 0);
	assert_int_equal(search_update(x, t.db, &t.o.ring, id, err), 0);
	assert_string_equal(FIND("каримов"), "");
	assert_string_equal(FIND("назаров тохир"), "Назаров Тоҳир");
	assert_string_equal(FIND("931112233"), "Назаров Тоҳир");
	assert_int_equal(search_count(x), 1);
	/* A deletion. */
	w.nfields = 0;
	assert_int_equal(ops_rm(&t.o, &w, &e), 0);
	assert_int_equal(search_update(x, t.db, &t.o.ring, id, err), 0);
	assert_string_equal(FIND("назаров"), "");
	assert_int_equal(search_count(x), 0);
	/* A record put back, then removed by id. */
	add(&t, "2026-11-06", "Каримов Тоҳир", "", "виза", h);
	assert_int_equal(ops_id(h, id, &e), 0);
	assert_int_equal(search_update(x, t.db, &t.o.ring, id, err), 0);
	assert_string_equal(FIND("виза"), "Каримов Тоҳир");
	assert_int_equal(search_remove(x, id, err), 0);
	assert_string_equal(FIND("виза"), "");
#undef FIND
	search_close(x);
	tops_close(&t);
}

/* The agent's sign-in: names, phones and case numbers first, then all. */
static void
test_stages(void **state)
{
	struct tops t;
	struct search_index *x;
	struct search_terms q;
	struct conf *ring;
	struct ops_err e;
	char h[33], err[STORE_ERRLEN];
	size_t n;

	(void)state;
	tops_open(&t, "search-stages");
	add(&t, "2026-11-07", "Ғафуров Ҷамшед", "+992 90 123 45 67",
	    "депортация", h);
	assert_non_null(ring = ops_ring(&t.o, &e));
	assert_int_equal(search_open(&x, err), 0);
	assert_int_equal(search_count(x), 0);
	assert_int_equal(search_build(x, t.db, ring, SEARCH_KEYS, err), 0);
#define HITS(s_) (assert_int_equal(search_parse_query(s_, strlen(s_), &q), \
    SEARCH_PARSE_OK), n = 0, assert_true(search_query(x, &q, 10, \
    count_cb, &n, err) >= 0), n)
	assert_int_equal(HITS("гафуров чамшед"), 1);
	assert_int_equal(HITS("901234567"), 1);
	assert_int_equal(HITS(h), 1);
	assert_int_equal(HITS("депортация"), 0);
	assert_int_equal(search_build(x, t.db, ring, SEARCH_ALL, err), 0);
	assert_int_equal(HITS("депортация гафуров"), 1);
	assert_int_equal(search_count(x), 1);
#undef HITS
	search_close(x);
	tops_close(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_search_ops),
		cmocka_unit_test(test_center_keys),
		cmocka_unit_test(test_update_remove),
		cmocka_unit_test(test_stages),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_author.c: every change names who made it.  A commit carries the
 * acting staff account as an optional seventh element (store/commit.h):
 * encoded and decoded with and without it, a commit of the format before
 * users (tests/vectors/commit-v1.txt) still decodes, hashes and verifies
 * byte for byte, bad names are refused as a bad commit; through the
 * operations (ops.actor) every local commit names the user, and history
 * and audit show "USER, CENTER center" on the node that made the change
 * and on another that received it, "node only (...)" where no user acted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/testnode.h"
#include "tests/unit/trustnet.h"
#include "tests/unit/opsnode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/ops/node.h"
#include "agent/ops/ops.h"
#include "store/commit.h"
#include "store/query.h"

#define USER	"Саидова"
#define VECTOR	"tests/vectors/commit-v1.txt"

/* ---- The format. */

struct one {
	struct commit	c;
	struct rchange	r;
	struct fchange	f;
};

/* A one-change commit naming ${user} (NULL: none), encoded into ${sb}. */
static void
encode_one(struct one *o, const char *user, size_t ulen, msgpack_sbuffer *sb)
{

	memset(o, 0, sizeof(*o));
	memset(o->c.origin, 0x42, NODE_KEY_LEN);
	o->c.seq = 3;
	o->c.hlc = 1000 << 16;
	o->r.coll = "consultations";
	o->r.coll_len = 13;
	memset(o->r.id, 0x11, SCHEMA_ID_LEN);
	o->r.nf = 1;
	o->r.f = &o->f;
	o->f.field = "status";
	o->f.field_len = 6;
	o->f.v.t = VAL_STR;
	o->f.v.s = "open";
	o->f.v.len = 4;
	o->c.nrec = 1;
	o->c.rec = &o->r;
	o->c.user = user;
	o->c.user_len = ulen;
	msgpack_sbuffer_init(sb);
	assert_int_equal(commit_encode(&o->c, sb), 0);
}

static void
test_round_trip(void **state)
{
	msgpack_sbuffer plain, named, again;
	uint8_t h1[COMMIT_HASH_LEN], h2[COMMIT_HASH_LEN];
	uint8_t origin[NODE_KEY_LEN];
	struct one o;
	struct commit d;
	const char *why;
	uint64_t seq;

	(void)state;
	/* No user: six elements, as every commit before users. */
	encode_one(&o, NULL, 0, &plain);
	assert_int_equal((uint8_t)plain.data[0], 0x96);
	assert_int_equal(commit_decode((uint8_t *)plain.data, plain.size, &d,
	    &why), 0);
	assert_null(d.user);
	assert_int_equal(d.user_len, 0);
	commit_fini(&d);

	/* A user: a seventh element, read back as written. */
	encode_one(&o, USER, strlen(USER), &named);
	assert_int_equal((uint8_t)named.data[0], 0x97);
	assert_int_equal(commit_decode((uint8_t *)named.data, named.size, &d,
	    &why), 0);
	assert_non_null(d.user);
	assert_int_equal(d.user_len, strlen(USER));
	assert_memory_equal(d.user, USER, strlen(USER));
	assert_int_equal(d.seq, 3);
	assert_int_equal(d.nrec, 1);
	/* Encoding the decoded commit gives the same bytes. */
	msgpack_sbuffer_init(&again);
	assert_int_equal(commit_encode(&d, &again), 0);
	assert_int_equal(again.size, named.size);
	assert_memory_equal(again.data, named.data, named.size);
	commit_fini(&d);
	/* The user is signed: it changes the hash. */
	commit_hash((uint8_t *)plain.data, plain.size, h1);
	commit_hash((uint8_t *)named.data, named.size, h2);
	assert_memory_not_equal(h1, h2, COMMIT_HASH_LEN);
	/* A session reads origin and seq of either form. */
	assert_int_equal(commit_peek((uint8_t *)named.data, named.size, origin,
	    &seq), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(origin[0], 0x42);
	msgpack_sbuffer_destroy(&again);
	msgpack_sbuffer_destroy(&named);
	msgpack_sbuffer_destroy(&plain);
}

static void
test_bad_user(void **state)
{
	static const char *const bad[] = { "", "a\nb", "tab\there", "\x7f",
	    "\xc2\x85" /* NEL, C1 */, "\xff\xfe", "\xd0" /* cut */ };
	char longest[USER_NAME_MAX + 2];
	msgpack_sbuffer sb;
	struct one o;
	struct commit d;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		encode_one(&o, bad[i], strlen(bad[i]), &sb);
		why = NULL;
		assert_int_equal(commit_decode((uint8_t *)sb.data, sb.size, &d,
		    &why), -1);
		assert_string_equal(why, "bad user in commit");
		assert_false(commit_user_valid(bad[i], strlen(bad[i])));
		msgpack_sbuffer_destroy(&sb);
	}
	/* USER_NAME_MAX bytes pass (50 Cyrillic letters); one more not. */
	for (i = 0; i < USER_NAME_MAX; i += 2)
		memcpy(longest + i, "Ж", 2);
	encode_one(&o, longest, USER_NAME_MAX, &sb);
	assert_int_equal(commit_decode((uint8_t *)sb.data, sb.size, &d, &why),
	    0);
	commit_fini(&d);
	msgpack_sbuffer_destroy(&sb);
	longest[USER_NAME_MAX] = 'x';
	encode_one(&o, longest, USER_NAME_MAX + 1, &sb);
	assert_int_equal(commit_decode((uint8_t *)sb.data, sb.size, &d, &why),
	    -1);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * What no writer makes is refused as today, a bad commit (its sender's
 * fault): a seventh element that is not text, an eighth element (a newer
 * format this node cannot judge), another format number.
 */
static void
test_other_shapes(void **state)
{
	msgpack_sbuffer sb;
	struct one o;
	struct commit d;
	const char *why;
	uint8_t *b;

	(void)state;
	encode_one(&o, NULL, 0, &sb);
	assert_non_null(b = malloc(sb.size + 8));
	memcpy(b, sb.data, sb.size);
	b[0] = 0x97;
	b[sb.size] = 0xc0;			/* nil */
	assert_int_equal(commit_decode(b, sb.size + 1, &d, &why), -1);
	b[sb.size] = 0x07;			/* 7 */
	assert_int_equal(commit_decode(b, sb.size + 1, &d, &why), -1);
	b[0] = 0x98;				/* A user and one more. */
	memcpy(b + sb.size, "\xa1" "a" "\xa1" "b", 4);
	assert_int_equal(commit_decode(b, sb.size + 4, &d, &why), -1);
	assert_string_equal(why, "commit is not a 6- or 7-element array");
	b[0] = 0x96;
	b[1] = 2;				/* Format 2. */
	assert_int_equal(commit_decode(b, sb.size, &d, &why), -1);
	assert_string_equal(why, "unknown commit format");
	free(b);
	msgpack_sbuffer_destroy(&sb);
}

/* "NAME HEX" of the vector file; the hex decoded into a fresh buffer. */
static uint8_t *
vector(const char *name, size_t *len)
{
	char line[8192], *hex;
	uint8_t *out;
	size_t bl;
	FILE *f;

	assert_non_null(f = fopen(VECTOR, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, strlen(name)) != 0 ||
		    line[strlen(name)] != ' ')
			continue;
		hex = line + strlen(name) + 1;
		hex[strcspn(hex, "\n")] = '\0';
		assert_non_null(out = malloc(strlen(hex) / 2));
		assert_int_equal(sodium_hex2bin(out, strlen(hex) / 2, hex,
		    strlen(hex), NULL, &bl, NULL), 0);
		*len = bl;
		fclose(f);
		return (out);
	}
	fclose(f);
	fail_msg("%s: no %s line", VECTOR, name);
	return (NULL);
}

/* A commit signed by a hamroh of before users: still the same commit. */
static void
test_old_vector(void **state)
{
	uint8_t *body, *hash, *sig, *origin, h[COMMIT_HASH_LEN];
	size_t blen, hlen, slen, olen;
	msgpack_sbuffer sb;
	struct commit d;
	const char *why;

	(void)state;
	body = vector("body", &blen);
	hash = vector("hash", &hlen);
	sig = vector("sig", &slen);
	origin = vector("origin", &olen);
	assert_int_equal(hlen, COMMIT_HASH_LEN);
	assert_int_equal(slen, NODE_SIG_LEN);
	assert_int_equal(olen, NODE_KEY_LEN);
	assert_int_equal(commit_decode(body, blen, &d, &why), 0);
	assert_null(d.user);
	assert_memory_equal(d.origin, origin, NODE_KEY_LEN);
	assert_int_equal(d.seq, 7);
	assert_int_equal(d.nrec, 2);
	assert_int_equal(d.rec[0].nf, 2);
	assert_int_equal(d.rec[0].f[0].nseen, 1);
	assert_int_equal(d.rec[1].f[0].v.t, VAL_BOOL);
	commit_hash(body, blen, h);
	assert_memory_equal(h, hash, COMMIT_HASH_LEN);
	assert_int_equal(commit_verify(h, origin, sig), 0);
	/* Encoded again, the same bytes: what it signed. */
	msgpack_sbuffer_init(&sb);
	assert_int_equal(commit_encode(&d, &sb), 0);
	assert_int_equal(sb.size, blen);
	assert_memory_equal(sb.data, body, blen);
	commit_fini(&d);
	/* One bit off and it verifies no more: the vector is live. */
	h[0] ^= 1;
	assert_int_equal(commit_verify(h, origin, sig), -1);
	msgpack_sbuffer_destroy(&sb);
	free(body);
	free(hash);
	free(sig);
	free(origin);
}

/* ---- Through the operations. */

/* The node describes itself, as init does: name and center. */
static void
describe(struct tops *t, const char *name, const char *center)
{
	char err[STORE_ERRLEN], hex[65];

	hex_encode(t->pk, NODE_KEY_LEN, hex);
	assert_int_equal(db_begin(t->db, NOW_MS, err), 0);
	tnode_put(t->db, "members", t->pk, "name", name);
	tnode_put(t->db, "members", t->pk, "center", center);
	tnode_put(t->db, "members", t->pk, "key", hex);
	assert_int_equal(db_commit(t->db, err), 0);
}

static void
add_one(struct tops *t, char hex[33])
{
	struct ops_field f[6] = { fld("center", "Khujand"),
	    fld("opened_at", "2026-11-20"), fld("channel", "walk_in"),
	    fld("topic", "patent"), fld("client_sex", "F"),
	    fld("status", "open") };
	struct ops_write_args a = { "consultations", NULL, f, 6 };
	struct ops_err e;
	char msg[1024];

	tops_center(t, "Khujand");
	if (ops_add(&t->o, &a, hex, &e))
		fail_msg("add: %s", ops_text("en", &e, msg, sizeof(msg)));
}

#define ROWS	16
struct rows {
	size_t	n;
	char	who[ROWS][256];
	char	user[ROWS][USER_NAME_MAX + 1];
	char	field[ROWS][40];
};

static int
rows_cb(void *arg, const struct hview *h, const struct ops_who *w)
{
	struct rows *r = arg;

	assert_true(r->n < ROWS);
	ops_who_text("en", w, r->who[r->n], sizeof(r->who[0]));
	snprintf(r->user[r->n], sizeof(r->user[0]), "%s", w->has_user ?
	    w->user : "-");
	snprintf(r->field[r->n], sizeof(r->field[0]), "%.*s",
	    (int)h->field_len, h->field);
	r->n++;
	return (0);
}

static void
history(struct tops *t, const char *id, struct rows *r)
{
	struct ops_read_args a;
	struct ops_err e;

	memset(&a, 0, sizeof(a));
	memset(r, 0, sizeof(*r));
	a.coll = "consultations";
	a.id = id;
	assert_int_equal(ops_history(&t->o, &a, rows_cb, r, &e), 0);
}

static void
test_ops_history(void **state)
{
	struct ops_field st[3] = { fld("status", "closed"),
	    fld("closed_on", "2026-11-21"), fld("outcome", "Patent renewed") };
	struct ops_write_args w = { "consultations", NULL, st, 3 };
	struct ops_err e;
	struct tops a, b;
	struct rows r;
	char id[33], err[STORE_ERRLEN];
	size_t i;

	(void)state;
	tops_open(&a, "author");
	describe(&a, "khujand-office", "Khujand");
	a.o.actor = USER;
	add_one(&a, id);
	history(&a, id, &r);
	assert_int_equal(r.n, 7);	/* The six given and the case number. */
	for (i = 0; i < r.n; i++) {
		assert_string_equal(r.user[i], USER);
		assert_string_equal(r.who[i], USER ", Khujand center");
	}
	/* The node alone (a command that needs no user). */
	a.o.actor = NULL;
	w.id = id;
	assert_int_equal(ops_set(&a.o, &w, &e), 0);
	history(&a, id, &r);
	/* Closing writes status, closed_on and outcome. */
	assert_int_equal(r.n, 10);
	for (i = 7; i < 10; i++) {
		assert_string_equal(r.user[i], "-");
		assert_string_equal(r.who[i], "node only (khujand-office, "
		    "Khujand center)");
	}
	assert_string_equal(r.who[0], USER ", Khujand center");

	/* Another node that received the commits reads the same. */
	tops_open(&b, "author-b");
	assert_int_equal(db_begin(b.db, NOW_MS, err), 0);
	assert_int_equal(db_commits_since(a.db, NULL, apply_cb, b.db, err),
	    0);
	assert_int_equal(db_commit(b.db, err), 0);
	history(&b, id, &r);
	assert_int_equal(r.n, 10);
	assert_string_equal(r.who[0], USER ", Khujand center");
	assert_string_equal(r.who[6], USER ", Khujand center");
	assert_string_equal(r.who[9], "node only (khujand-office, Khujand "
	    "center)");
	tops_close(&b);
	tops_close(&a);
}

/*
 * One transaction, two actors: what was buffered before the user acted
 * is sealed first, naming no one; the rest names the user.
 */
static void
test_actor_switch(void **state)
{
	uint8_t id[SCHEMA_ID_LEN];
	char hex[33], err[STORE_ERRLEN];
	struct tops t;
	struct rows r;

	(void)state;
	tops_open(&t, "author-switch");
	describe(&t, "khujand-office", "Khujand");
	randombytes_buf(id, sizeof(id));
	hex_encode(id, SCHEMA_ID_LEN, hex);
	assert_int_equal(db_begin(t.db, NOW_MS, err), 0);
	tnode_put(t.db, "consultations", id, "outcome", "first");
	assert_int_equal(db_set_actor(t.db, USER, err), 0);
	tnode_put(t.db, "consultations", id, "status", "open");
	assert_int_equal(db_commit(t.db, err), 0);
	/* The next transaction starts with no one. */
	assert_int_equal(db_begin(t.db, NOW_MS, err), 0);
	tnode_put(t.db, "consultations", id, "topic", "patent");
	assert_int_equal(db_commit(t.db, err), 0);
	history(&t, hex, &r);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.field[0], "outcome");
	assert_string_equal(r.user[0], "-");
	assert_string_equal(r.field[1], "status");
	assert_string_equal(r.user[1], USER);
	assert_string_equal(r.field[2], "topic");
	assert_string_equal(r.user[2], "-");
	tops_close(&t);
}

/* A name no commit may carry fails the write; nothing is written. */
static void
test_ops_bad_actor(void **state)
{
	static const char *const bad[] = { "", "two\nlines" };
	struct ops_field f = fld("title", "Pocket guide");
	struct ops_write_args w = { "guides", NULL, &f, 1 };
	struct ops_err e;
	struct tops t;
	char id[33], err[STORE_ERRLEN];
	uint64_t before = 0, after = 0;
	struct db_status s;
	size_t i;

	(void)state;
	tops_open(&t, "author-bad");
	assert_int_equal(db_status(t.db, &s, err), 0);
	before = s.commits;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t.o.actor = bad[i];
		assert_int_equal(ops_add(&t.o, &w, id, &e), -1);
		assert_int_equal(e.code, OPS_STORE);
	}
	assert_int_equal(db_status(t.db, &s, err), 0);
	after = s.commits;
	assert_int_equal(after, before);
	tops_close(&t);
}

struct refused {
	size_t	n;
	char	who[256];
};

static int
refusal_cb(void *arg, const struct ops_refusal_row *row)
{
	struct refused *x = arg;

	x->n++;
	ops_who_text("en", row->who, x->who, sizeof(x->who));
	return (0);
}

/*
 * audit: an office's user writes a guide (only admins may); the admin's
 * node refuses it and names the user and the office's center.
 */
static void
test_audit(void **state)
{
	struct node r, m;
	struct ops o;
	struct ops_err e;
	struct refused x;
	uint8_t g[SCHEMA_ID_LEN];
	char err[STORE_ERRLEN];

	(void)state;
	open_node(&r, NULL);
	open_node(&m, r.pk);
	certify(&r, &m, "office", "Khujand", T0 + MIN);
	sync_from(&m, &r, T0 + 2 * MIN);
	randombytes_buf(g, sizeof(g));
	begin(&m, T0 + 3 * MIN);
	assert_int_equal(db_set_actor(m.db, USER, err), 0);
	tnode_put(m.db, "guides", g, "title", "Forged guide");
	commit(&m);
	sync_from(&r, &m, T0 + 4 * MIN);
	assert_int_equal(refusals(r.db, "only admins write guides"), 1);

	ops_init(&o, r.db, r.dir, NULL, NULL);
	memset(&x, 0, sizeof(x));
	assert_int_equal(ops_refusals(&o, 0, refusal_cb, &x, &e), 0);
	assert_int_equal(x.n, 1);
	assert_string_equal(x.who, USER ", Khujand center");
	ops_fini(&o);
	tnode_close(m.dir, m.db);
	tnode_close(r.dir, r.db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_user),
		cmocka_unit_test(test_other_shapes),
		cmocka_unit_test(test_old_vector),
		cmocka_unit_test(test_ops_history),
		cmocka_unit_test(test_actor_switch),
		cmocka_unit_test(test_ops_bad_actor),
		cmocka_unit_test(test_audit),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

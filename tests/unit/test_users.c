/*
 * test_users.c: staff accounts and the data key, through the operations:
 * a wrong passphrase is refused and changes nothing, a removed user
 * cannot sign in and an old copy of his account opens no key kept after a
 * rekey, the recovery code resets an admin passphrase (and no other), a
 * statistician reads no confidential field, node.key alone opens no
 * center key, and an older node's center.keys in clear is sealed at the
 * first user and its plaintext gone.  Every sign-in pays the real
 * Argon2id cost.
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
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/codec/hex.h"
#include "agent/ops/users.h"

#define LAWYER_PASS	"saidova-passphrase"
#define STAT_PASS	"numbers-only-please"

/* A node with no users, as an older version left one. */
static void
bare_open(struct tops *t, const char *tag)
{

	tnode_open(t->dir, &t->db, t->pk, t->sk, tag);
	ops_init(&t->o, t->db, t->dir, fixed_clock, NULL);
}

static void
bare_close(struct tops *t)
{
	static const char *const f[] = { "center.keys", "center.keys.plain",
	    "center.keys.tmp" };
	char path[300];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, f[i]);
		unlink(path);
	}
	tops_close(t);
}

/* A fresh ops on ${t}'s node: nobody signed in. */
static void
reopen(struct tops *t)
{

	ops_fini(&t->o);
	ops_init(&t->o, t->db, t->dir, fixed_clock, NULL);
}

static void
add_user(struct tops *t, const char *name, enum user_role role,
    const char *pass)
{
	char code[USER_CODE_LEN + 1];
	struct ops_err e;

	assert_int_equal(ops_user_add(&t->o, name, role, pass, strlen(pass),
	    code, &e), 0);
	assert_string_equal(code, "");
}

static int
signin(struct tops *t, const char *name, const char *pass, struct ops_err *e)
{

	reopen(t);
	return (ops_signin(&t->o, name, pass, strlen(pass), e));
}

static void
add_consultation(struct tops *t, const char *name, char hex[33])
{
	struct ops_field f = fld("client_name", name);
	struct ops_err e;

	assert_int_equal(tops_consultation(t, "Dushanbe", &f, 1, hex, &e), 0);
}


/* The key file's bytes, NUL-terminated ("" if there is none). */
static void
read_keys(const struct tops *t, const char *suffix, char *buf, size_t cap)
{
	char path[300];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/center.keys%s", t->dir, suffix);
	buf[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* A center key made by the signed-in admin; its key in hex. */
static void
make_key(struct tops *t, const char *center, char keyhex[65])
{
	char err[256];
	struct ops_err e;
	struct conf *cf;

	assert_non_null(cf = ops_ring(&t->o, &e));
	assert_int_equal(conf_make_key(cf, center, err, sizeof(err)), 0);
	hex_encode(conf_current(cf, center)->key, CONF_KEY_LEN, keyhex);
}

static void
test_wrong_passphrase(void **state)
{
	char hex[33], name[64] = "";
	struct ops_read_args ra = { .coll = "consultations" };
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "users");
	tops_center(&t, "Dushanbe");
	add_consultation(&t, "Рахимов Фарход", hex);
	assert_int_equal(signin(&t, "admin", "not the passphrase", &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	assert_int_equal(e.key, OPS_MSG_USER_PASS_WRONG);
	assert_int_equal(t.o.user.role, USER_NONE);
	/* Nobody is signed in: the consultations stay shut. */
	assert_int_equal(ops_list(&t.o, &ra, tops_name_cb, name, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_SIGNIN);
	assert_string_equal(name, "");
	/* An unknown user is told as such. */
	assert_int_equal(signin(&t, "nobody", TOPS_PASS, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_UNKNOWN);
	/* The right one opens them, and names the actor. */
	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), 0);
	assert_string_equal(t.o.actor, "admin");
	assert_int_equal(ops_list(&t.o, &ra, tops_name_cb, name, &e), 0);
	assert_string_equal(name, "Рахимов Фарход");
	bare_close(&t);
}

static void
test_roles(void **state)
{
	const char *by[1] = { "center" };
	struct ops_stats_args sa = { "consultations", by, 1, false, NULL };
	struct ops_read_args ra = { .coll = "consultations" };
	struct ops_read_args da = { .coll = "directory" };
	char hex[33], name[64] = "";
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "users");
	tops_center(&t, "Dushanbe");
	tops_center(&t, "Khujand");
	add_consultation(&t, "Ҳакимов Фирӯз", hex);
	add_user(&t, "saidova", USER_LAWYER, LAWYER_PASS);
	add_user(&t, "karimov", USER_STATISTICIAN, STAT_PASS);
	/* A short passphrase, a taken or bad name, the first-admin rule. */
	assert_int_equal(ops_user_add(&t.o, "x", USER_LAWYER, "short", 5,
	    name, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_PASS_SHORT);
	assert_int_equal(ops_user_add(&t.o, "saidova", USER_LAWYER,
	    LAWYER_PASS, strlen(LAWYER_PASS), name, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_EXISTS);
	assert_int_equal(ops_user_add(&t.o, "a b", USER_LAWYER, LAWYER_PASS,
	    strlen(LAWYER_PASS), name, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_NAME_INVALID);

	/* The statistician counts, and reads no confidential field. */
	assert_int_equal(signin(&t, "karimov", STAT_PASS, &e), 0);
	assert_int_equal(ops_list(&t.o, &ra, tops_name_cb, name, &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	assert_int_equal(e.key, OPS_MSG_USER_COUNTS_ONLY);
	ra.sealed = true;
	assert_int_equal(ops_export(&t.o, &ra, tops_name_cb, name, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_COUNTS_ONLY);
	assert_int_equal(ops_history(&t.o, &(struct ops_read_args){
	    .coll = "consultations", .id = hex }, NULL, NULL, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_COUNTS_ONLY);
	assert_string_equal(name, "");
	assert_null(ops_ring(&t.o, &e));
	assert_int_equal(ops_stats_check(&sa, &e), 0);
	/* Nor manages users. */
	assert_int_equal(ops_user_rm(&t.o, "saidova", &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_ROLE);

	/* The directory has no confidential field: nobody needed. */
	reopen(&t);
	assert_int_equal(ops_list(&t.o, &da, tops_name_cb, name, &e), 0);

	/* The lawyer reads the consultations; only admins manage users. */
	assert_int_equal(signin(&t, "saidova", LAWYER_PASS, &e), 0);
	ra.sealed = false;
	assert_int_equal(ops_list(&t.o, &ra, tops_name_cb, name, &e), 0);
	assert_string_equal(name, "Ҳакимов Фирӯз");
	assert_int_equal(ops_user_add(&t.o, "y", USER_LAWYER, LAWYER_PASS,
	    strlen(LAWYER_PASS), name, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_ROLE);
	/* A lawyer of this node's center writes that center's only. */
	{
		struct ops_field f = fld("client_name", "Другой");
		char err[STORE_ERRLEN], other[33];
		long n0 = 0, n1 = 0;

		assert_int_equal(db_meta_set(t.db, "center", "Dushanbe", err),
		    0);
		ra.sealed = true;
		assert_int_equal(ops_list(&t.o, &ra, tops_count_cb, &n0, &e), 0);
		assert_int_equal(tops_consultation(&t, "Khujand", &f, 1, other, &e), -1);
		assert_int_equal(e.code, OPS_DENIED);
		assert_int_equal(e.key, OPS_MSG_USER_LAWYER_CENTER);
		assert_int_equal(ops_list(&t.o, &ra, tops_count_cb, &n1, &e), 0);
		assert_int_equal(n1, n0);
		ra.sealed = false;
		add_consultation(&t, "Свой", other);
	}
	/* Her own passphrase she changes herself. */
	assert_int_equal(ops_user_passwd(&t.o, "saidova", "a new passphrase",
	    16, &e), 0);
	assert_int_equal(signin(&t, "saidova", LAWYER_PASS, &e), -1);
	assert_int_equal(signin(&t, "saidova", "a new passphrase", &e), 0);
	/* The last admin stays. */
	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), 0);
	assert_int_equal(ops_user_rm(&t.o, "admin", &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_LAST_ADMIN);
	bare_close(&t);
}

static void
test_removed_user(void **state)
{
	char entry[1024], err[STORE_ERRLEN], keyhex[65], buf[4096];
	struct ops_err e;
	struct tops t;

	(void)state;
	tops_open(&t, "users");
	make_key(&t, "Dushanbe", keyhex);
	add_user(&t, "saidova", USER_LAWYER, LAWYER_PASS);
	assert_int_equal(db_meta_get(t.db, "user:saidova", entry,
	    sizeof(entry)), 0);
	assert_int_equal(signin(&t, "saidova", LAWYER_PASS, &e), 0);
	assert_non_null(ops_ring(&t.o, &e));
	assert_non_null(conf_current(&t.o.ring, "Dushanbe"));

	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), 0);
	assert_int_equal(ops_user_rm(&t.o, "saidova", &e), 0);
	assert_int_equal(signin(&t, "saidova", LAWYER_PASS, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_UNKNOWN);

	/* A rekey: the keys kept stay readable to those who remain... */
	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), 0);
	read_keys(&t, "", buf, sizeof(buf));
	assert_int_equal(ops_user_rekey(&t.o, &e), 0);
	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), 0);
	assert_non_null(ops_ring(&t.o, &e));
	assert_non_null(conf_current(&t.o.ring, "Dushanbe"));
	/* ... and a copy of the removed account opens none of them. */
	assert_int_equal(db_meta_set(t.db, "user:saidova", entry, err), 0);
	assert_int_equal(signin(&t, "saidova", LAWYER_PASS, &e), 0);
	assert_null(ops_ring(&t.o, &e));
	assert_int_equal(e.key, OPS_MSG_KEYS_UNREADABLE);
	bare_close(&t);
}

/*
 * A rekey that stopped after its commit, before center.keys was sealed to
 * the new data key: the next session opens the file with the old key kept
 * for it, seals it to the new one and forgets the old.
 */
static void
test_rekey_interrupted(void **state)
{
	uint8_t oldsk[USER_KEY_LEN], sealed[crypto_box_SEALBYTES +
	    USER_KEY_LEN];
	char keyhex[65], before[4096], after[4096], h[2 * sizeof(sealed) + 1];
	char err[STORE_ERRLEN], path[300], junk[8];
	struct ops_err e;
	struct tops t;
	FILE *f;

	(void)state;
	tops_open(&t, "users");
	make_key(&t, "Dushanbe", keyhex);
	memcpy(oldsk, t.o.user.data_sk, USER_KEY_LEN);
	read_keys(&t, "", before, sizeof(before));
	assert_int_equal(ops_user_rekey(&t.o, &e), 0);
	assert_int_not_equal(db_meta_get(t.db, "data_prev", junk,
	    sizeof(junk)), 0);
	/* Put the file and the old key back as the crash left them. */
	snprintf(path, sizeof(path), "%s/center.keys", t.dir);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(before, f) >= 0, 1);
	fclose(f);
	crypto_box_seal(sealed, oldsk, USER_KEY_LEN, t.o.user.data_pk);
	hex_encode(sealed, sizeof(sealed), h);
	assert_int_equal(db_meta_set(t.db, "data_prev", h, err), 0);
	/* The next session finishes it. */
	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), 0);
	assert_non_null(ops_ring(&t.o, &e));
	hex_encode(conf_current(&t.o.ring, "Dushanbe")->key, CONF_KEY_LEN,
	    after);
	assert_string_equal(after, keyhex);
	read_keys(&t, "", after, sizeof(after));
	assert_string_not_equal(after, before);
	assert_int_not_equal(db_meta_get(t.db, "data_prev", junk,
	    sizeof(junk)), 0);
	sodium_memzero(oldsk, sizeof(oldsk));
	bare_close(&t);
}

static void
test_recovery(void **state)
{
	char code[USER_CODE_LEN + 1], typed[64];
	struct ops_err e;
	struct tops t;
	size_t i, n = 0;

	(void)state;
	bare_open(&t, "users");
	/* The first user must be an admin, and gets the recovery code. */
	assert_int_equal(ops_user_add(&t.o, "saidova", USER_LAWYER,
	    LAWYER_PASS, strlen(LAWYER_PASS), code, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_FIRST_ADMIN);
	assert_int_equal(ops_user_add(&t.o, "admin", USER_ADMIN, TOPS_PASS,
	    strlen(TOPS_PASS), code, &e), 0);
	assert_int_equal(strlen(code), USER_CODE_LEN);
	add_user(&t, "saidova", USER_LAWYER, LAWYER_PASS);

	/* A wrong code opens nothing. */
	reopen(&t);
	assert_int_equal(ops_signin_recovery(&t.o, "00000-00000-00000-00000",
	    23, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_CODE_WRONG);
	/* Typed in lower case without dashes, it is the same code. */
	for (i = 0; code[i] != '\0'; i++)
		if (code[i] != '-')
			typed[n++] = (char)(code[i] >= 'A' && code[i] <= 'Z' ?
			    code[i] - 'A' + 'a' : code[i]);
	typed[n] = '\0';
	assert_int_equal(ops_signin_recovery(&t.o, typed, n, &e), 0);
	/* It resets an admin's passphrase, not a lawyer's... */
	assert_int_equal(ops_user_passwd(&t.o, "saidova", "whatever-new",
	    12, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_CODE_ADMINS);
	/* ... and reads nothing itself. */
	assert_null(ops_ring(&t.o, &e));
	assert_int_equal(ops_user_passwd(&t.o, "admin", "the admin's new one",
	    19, &e), 0);
	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_PASS_WRONG);
	assert_int_equal(signin(&t, "admin", "the admin's new one", &e), 0);
	assert_non_null(ops_ring(&t.o, &e));
	bare_close(&t);
}

static void
test_node_key_alone(void **state)
{
	char keyhex[65], buf[4096], err[256];
	struct ops_err e;
	struct conf cf;
	struct tops t;

	(void)state;
	tops_open(&t, "users");
	make_key(&t, "Dushanbe", keyhex);
	/* The file holds no key in clear. */
	read_keys(&t, "", buf, sizeof(buf));
	assert_non_null(strstr(buf, " Dushanbe\n"));
	assert_null(strstr(buf, keyhex));
	/* Without the data key, neither the file nor the ops open it. */
	assert_int_equal(conf_load(&cf, t.dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "sealed to the data key"));
	reopen(&t);
	assert_null(ops_ring(&t.o, &e));
	assert_int_equal(e.key, OPS_MSG_USER_SIGNIN);
	bare_close(&t);
}

/*
 * A keys record to a member that published its data key is sealed to
 * that: the member's node.key opens nothing, a signed-in session does.
 */
static void
test_keys_record_to_data_key(void **state)
{
	const struct coll_def *m = schema_coll("members");
	char err[STORE_ERRLEN], hex[65], empty[300];
	struct conf_key k;
	struct conf cf;
	struct ops_err e;
	struct tops t;
	struct val v;

	(void)state;
	tops_open(&t, "users");
	/* Its members record, as init writes it, beside the data key. */
	hex_encode(t.pk, NODE_KEY_LEN, hex);
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = hex;
	v.len = 64;
	assert_int_equal(db_begin(t.db, NOW_MS, err), 0);
	assert_int_equal(db_put(t.db, m, t.pk, schema_field(m, "key", 3), &v,
	    err), 0);
	assert_int_equal(db_commit(t.db, err), 0);
	assert_int_equal(db_begin(t.db, NOW_MS, err), 0);
	assert_int_equal(ops_publish_data_key(&t.o, err), 0);
	assert_int_equal(db_commit(t.db, err), 0);
	/* An admin elsewhere sends it a key of Khorog. */
	memset(&k, 0, sizeof(k));
	randombytes_buf(k.id, sizeof(k.id));
	randombytes_buf(k.key, sizeof(k.key));
	k.version = 1;
	snprintf(k.center, sizeof(k.center), "Khorog");
	assert_int_equal(db_begin(t.db, NOW_MS, err), 0);
	assert_int_equal(conf_put_record(t.db, &k, t.pk, err), 0);
	assert_int_equal(db_commit(t.db, err), 0);
	/* The node key alone (no data key) opens nothing of it. */
	snprintf(empty, sizeof(empty), "%s/none", t.dir);
	assert_int_equal(mkdir(empty, 0700), 0);
	assert_int_equal(conf_load(&cf, empty, err, sizeof(err)), 0);
	assert_int_equal(conf_collect(&cf, t.db, err, sizeof(err)), 0);
	assert_int_equal(cf.n, 0);
	conf_free(&cf);
	rmdir(empty);
	/* The signed-in admin's session does. */
	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), 0);
	assert_non_null(ops_ring(&t.o, &e));
	assert_non_null(conf_current(&t.o.ring, "Khorog"));
	assert_memory_equal(conf_current(&t.o.ring, "Khorog")->key, k.key,
	    CONF_KEY_LEN);
	bare_close(&t);
}

static void
test_migrate_plain(void **state)
{
	char keyhex[65], buf[4096], err[256], code[USER_CODE_LEN + 1];
	struct ops_err e;
	struct conf cf;
	struct tops t;

	(void)state;
	bare_open(&t, "users");
	/* An older node: its key in clear in center.keys. */
	assert_int_equal(conf_load(&cf, t.dir, err, sizeof(err)), 0);
	assert_int_equal(conf_make_key(&cf, "Khujand", err, sizeof(err)), 0);
	hex_encode(conf_current(&cf, "Khujand")->key, CONF_KEY_LEN, keyhex);
	conf_free(&cf);
	read_keys(&t, "", buf, sizeof(buf));
	assert_non_null(strstr(buf, keyhex));
	/* Nobody can read before there is a user. */
	assert_null(ops_ring(&t.o, &e));
	assert_int_equal(e.key, OPS_MSG_USER_NONE_YET);
	/* The first user seals it; the plaintext is gone. */
	assert_int_equal(ops_user_add(&t.o, "admin", USER_ADMIN, TOPS_PASS,
	    strlen(TOPS_PASS), code, &e), 0);
	read_keys(&t, "", buf, sizeof(buf));
	assert_null(strstr(buf, keyhex));
	assert_non_null(strstr(buf, " Khujand\n"));
	read_keys(&t, ".plain", buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(signin(&t, "admin", TOPS_PASS, &e), 0);
	assert_non_null(ops_ring(&t.o, &e));
	hex_encode(conf_current(&t.o.ring, "Khujand")->key, CONF_KEY_LEN, buf);
	assert_string_equal(buf, keyhex);
	bare_close(&t);
}

/* Import ${jsonl} into consultations: ops_import()'s result. */
static int
import_line(struct tops *t, const char *jsonl, struct ops_err *e)
{
	struct ops_import_args a = { "consultations", NULL, false };
	long n = 0;
	int r;

	assert_non_null(a.in = fmemopen((void *)jsonl, strlen(jsonl), "r"));
	r = ops_import(&t->o, &a, &n, e);
	fclose(a.in);
	return (r);
}

/*
 * A lawyer writes her node's center's consultations only, by every
 * route: a Dushanbe lawyer can neither delete, import over, import anew
 * nor move to her center (set center=) a Khujand consultation.
 */
static void
test_lawyer_center_routes(void **state)
{
	char hex[33], own[33], line[512], err[STORE_ERRLEN];
	struct ops_field mv = fld("center", "Dushanbe");
	struct ops_write_args rm = { "consultations", NULL, NULL, 0 };
	struct ops_write_args set = { "consultations", NULL, &mv, 1 };
	struct ops_err e;
	struct tops t;
	long n;

	(void)state;
	tops_open(&t, "users");
	tops_center(&t, "Dushanbe");
	tops_center(&t, "Khujand");
	assert_int_equal(tops_consultation(&t, "Khujand", NULL, 0, hex, &e), 0);
	add_user(&t, "saidova", USER_LAWYER, LAWYER_PASS);
	assert_int_equal(db_meta_set(t.db, "center", "Dushanbe", err), 0);
	assert_int_equal(signin(&t, "saidova", LAWYER_PASS, &e), 0);
	n = tops_count(&t.o, "consultations");
	rm.id = hex;
	assert_int_equal(ops_rm(&t.o, &rm, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_LAWYER_CENTER);
	set.id = hex;
	assert_int_equal(ops_set(&t.o, &set, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_LAWYER_CENTER);
	snprintf(line, sizeof(line), "{\"id\":\"%s\",\"client_name\":"
	    "\"Over\"}\n", hex);
	assert_int_equal(import_line(&t, line, &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_LAWYER_CENTER);
	assert_int_equal(import_line(&t, "{\"center\":\"Khujand\","
	    "\"opened_at\":\"2026-11-20\",\"channel\":\"walk_in\","
	    "\"topic\":\"patent\",\"client_sex\":\"F\","
	    "\"status\":\"open\"}\n", &e), -1);
	assert_int_equal(e.key, OPS_MSG_USER_LAWYER_CENTER);
	assert_int_equal(tops_count(&t.o, "consultations"), n);
	/* Her own center's she deletes and imports. */
	assert_int_equal(tops_consultation(&t, "Dushanbe", NULL, 0, own, &e),
	    0);
	assert_int_equal(import_line(&t, "{\"center\":\"Dushanbe\","
	    "\"opened_at\":\"2026-11-20\",\"channel\":\"walk_in\","
	    "\"topic\":\"patent\",\"client_sex\":\"F\","
	    "\"status\":\"open\"}\n", &e), 0);
	rm.id = own;
	assert_int_equal(ops_rm(&t.o, &rm, &e), 0);
	assert_int_equal(tops_count(&t.o, "consultations"), n + 1);
	bare_close(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_lawyer_center_routes),
		cmocka_unit_test(test_removed_user),
		cmocka_unit_test(test_rekey_interrupted),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_node_key_alone),
		cmocka_unit_test(test_keys_record_to_data_key),
		cmocka_unit_test(test_migrate_plain),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_nodeops.c: the node operations (agent/ops/node.h) called
 * directly, no process: init of a new node, the vector of a node with records, verify of a
 * good store and of a tampered one, a backup that opens, a bundle from
 * one node into another (and garbage refused, changing nothing), and
 * the status of a node whose agent does not run, a write while another
 * connection holds the database (OPS_BUSY) and the store faults' keys.
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
#include <sqlite3.h>

#include "agent/ops/node.h"
#include "store/db_test.h"

static void
add(struct tops *t, char hex[33])
{
	/* With what a new consultation needs (store/schema.c, the rules). */
	struct ops_field f[7] = { fld("center", "Khorog"), fld("status",
	    "open"), fld("client_age", "30"), fld("opened_at", "2026-11-20"),
	    fld("channel", "walk_in"), fld("topic", "patent"),
	    fld("client_sex", "F") };
	struct ops_write_args a = { "consultations", NULL, f, 7 };
	struct ops_err e;
	char msg[1024];

	if (ops_add(&t->o, &a, hex, &e))
		fail_msg("add: %s", ops_text("en", &e, msg, sizeof(msg)));
}

static int
count_cb(void *arg, const struct rview *r, bool stale)
{
	long *n = arg;

	(void)r;
	(void)stale;
	(*n)++;
	return (0);
}

static long
nrecords(struct tops *t)
{
	struct ops_read_args a;
	struct ops_err e;
	long n = 0;

	memset(&a, 0, sizeof(a));
	a.coll = "consultations";
	assert_int_equal(ops_list(&t->o, &a, count_cb, &n, &e), 0);
	return (n);
}

struct vrow {
	size_t		n;
	uint8_t		key[32];
	uint64_t	seq;
};

static int
vec_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct vrow *v = arg;

	v->n++;
	memcpy(v->key, key, 32);
	v->seq = seq;
	return (0);
}

static void
test_vector(void **state)
{
	struct tops t;
	struct vrow v;
	struct ops_err e;
	char hex[33];

	(void)state;
	tops_open(&t, "nodeops");
	add(&t, hex);
	add(&t, hex);
	memset(&v, 0, sizeof(v));
	assert_int_equal(ops_vector(&t.o, vec_cb, &v, &e), 0);
	assert_int_equal(v.n, 1);
	assert_memory_equal(v.key, t.pk, 32);
	assert_int_equal(v.seq, 3);	/* The center Khorog, two adds. */
	tops_close(&t);
}

static int
line_cb(void *arg, const char *line)
{
	int *n = arg;

	assert_null(strchr(line, '\n'));
	(*n)++;
	return (0);
}

static void
test_verify(void **state)
{
	struct ops_verify_res r;
	struct ops_err e;
	struct tops t;
	char hex[33];
	int lines = 0;

	(void)state;
	tops_open(&t, "nodeops");
	add(&t, hex);
	assert_int_equal(ops_verify(&t.o, line_cb, &lines, &r, &e), 0);
	assert_int_equal(r.problems, 0);
	assert_int_equal(r.commits, 2);	/* The center, the add. */
	assert_int_equal(lines, 0);
	/* A signature broken behind the store's back. */
	assert_int_equal(sqlite3_exec(db_handle(t.db), "UPDATE commits SET "
	    "sig = zeroblob(64)", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(ops_verify(&t.o, line_cb, &lines, &r, &e), -1);
	assert_int_equal(e.key, OPS_MSG_VERIFY_PROBLEMS);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	assert_true(r.problems > 0);
	assert_int_equal(lines, r.problems);
	tops_close(&t);
}

static void
test_backup(void **state)
{
	struct ops_backup_res r;
	char path[300], err[STORE_ERRLEN], hex[33];
	struct ops_err e;
	struct tops t, b;
	struct db *db;

	(void)state;
	tops_open(&t, "nodeops");
	add(&t, hex);
	add(&t, hex);
	snprintf(path, sizeof(path), "%s/backup.db", t.dir);
	assert_int_equal(ops_backup(&t.o, path, &r, &e), 0);
	assert_false(r.net);
	assert_false(r.conf);
	/* Not over a file that exists. */
	assert_int_equal(ops_backup(&t.o, path, &r, &e), -1);
	assert_int_equal(e.key, OPS_MSG_BACKUP_EXISTS);
	/* The backup opens and holds the records. */
	assert_int_equal(db_open(&db, path, false, err), 0);
	memset(&b, 0, sizeof(b));
	b.db = db;
	ops_init(&b.o, db, t.dir, fixed_clock, NULL);
	/* Its accounts came along: the same admin signs in. */
	assert_int_equal(ops_signin(&b.o, "admin", TOPS_PASS,
	    strlen(TOPS_PASS), &e), 0);
	assert_int_equal(nrecords(&b), 2);
	ops_fini(&b.o);
	db_close(db);
	unlink(path);
	tops_close(&t);
}

static void
test_bundle(void **state)
{
	struct ops_bundle_export_args ea;
	struct ops_bundle_import_args ia;
	struct ops_bundle_import_res ir;
	struct ops_err e;
	struct tops a, b;
	char hex[33];
	uint64_t n;
	FILE *f;

	(void)state;
	tops_open(&a, "nodeops-a");
	tops_open(&b, "nodeops-b");
	add(&a, hex);
	add(&a, hex);
	add(&a, hex);
	assert_non_null(f = tmpfile());
	memset(&ea, 0, sizeof(ea));
	ea.out = f;
	assert_int_equal(ops_bundle_export(&a.o, &ea, &n, &e), 0);
	assert_int_equal(n, 4);	/* The center, three adds. */
	rewind(f);
	memset(&ia, 0, sizeof(ia));
	ia.in = f;
	ia.path = "bundle";
	assert_int_equal(ops_bundle_import(&b.o, &ia, &ir, &e), 0);
	assert_int_equal(ir.n, 4);	/* a's center Khorog, three adds. */
	assert_int_equal(ir.dc.applied, 4);
	assert_int_equal(nrecords(&b), 3);
	fclose(f);

	/* Garbage: refused whole, nothing changed. */
	assert_non_null(f = tmpfile());
	fputs("HAMROHB1 this is no bundle at all", f);
	rewind(f);
	ia.in = f;
	assert_int_equal(ops_bundle_import(&b.o, &ia, &ir, &e), -1);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	assert_int_equal(e.key, OPS_MSG_FILE_ERROR);
	assert_int_equal(e.tail, OPS_MSG_NOTHING_IMPORTED);
	assert_string_equal(e.arg[0], "bundle");
	assert_int_equal(nrecords(&b), 3);
	fclose(f);

	/* A file that is not there. */
	ia.in = NULL;
	ia.path = "/nonexistent/bundle";
	assert_int_equal(ops_bundle_import(&b.o, &ia, &ir, &e), -1);
	assert_int_equal(e.code, OPS_IO);
	tops_close(&a);
	tops_close(&b);
}

static void
test_status(void **state)
{
	struct ops_status_res r;
	struct ops_err e;
	struct tops t;
	char hex[33];

	(void)state;
	tops_open(&t, "nodeops");
	add(&t, hex);
	add(&t, hex);
	add(&t, hex);
	assert_int_equal(ops_status(&t.o, &r, &e), 0);
	assert_false(r.running);
	assert_int_equal(r.since_ms, 0);
	assert_false(r.acks_err);
	/* The center Khorog and three adds. */
	assert_int_equal(r.own_seq, 4);
	assert_int_equal(r.unacked, 4);
	assert_int_equal(r.s.commits, 4);
	assert_int_equal(r.now, NOW_MS);
	assert_false(r.in_network);
	assert_string_equal(r.role, "not in a network");
	assert_int_equal(r.nclocks, 0);
	ops_status_free(&r);
	tops_close(&t);
}

static void
test_init(void **state)
{
	struct ops_init_args a = { "Khorog office", "Khorog" };
	char dir[300], sub[320], path[360], hex[OPS_KEY_HEX];
	char err[STORE_ERRLEN];
	const char *t = getenv("TMPDIR");
	struct ops_err e;
	struct db *db;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/nodeops-init.XXXXXX", t ? t : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	assert_int_equal(ops_init_node(sub, &a, NOW_MS, hex, &e), 0);
	assert_int_equal(strlen(hex), 64);
	snprintf(path, sizeof(path), "%s/hamroh.db", sub);
	assert_int_equal(db_open(&db, path, false, err), 0);
	db_close(db);
	/* Not twice in one dir; a bad name before anything is made. */
	assert_int_equal(ops_init_node(sub, &a, NOW_MS, hex, &e), -1);
	assert_int_equal(e.key, OPS_MSG_INIT_EXISTS);
	assert_int_equal(e.code, OPS_BAD_INPUT);
	a.name = "";
	assert_int_equal(ops_init_node(sub, &a, NOW_MS, hex, &e), -1);
	assert_int_equal(e.key, OPS_MSG_INIT_NAME_EMPTY);
	assert_int_equal(e.code, OPS_USAGE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hamroh.db-wal", sub);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hamroh.db-shm", sub);
	unlink(path);
	snprintf(path, sizeof(path), "%s/node.key", sub);
	unlink(path);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	rmdir(sub);
	rmdir(dir);
}

/*
 * Another connection holds the write lock (a long import in another
 * process): a write is OPS_BUSY, says to try again, and stores nothing;
 * once the lock is gone it goes through.  db_nowait() makes the store
 * fail at once rather than after its 10 s wait; the error is the same.
 */
static void
test_busy(void **state)
{
	char path[300], hex[33], msg[1024];
	struct ops_field f[6] = { fld("center", "Khorog"),
	    fld("opened_at", "2026-11-20"), fld("channel", "walk_in"),
	    fld("topic", "patent"), fld("client_sex", "F"),
	    fld("status", "open") };
	struct ops_write_args a = { "consultations", NULL, f, 6 };
	struct ops_err e;
	struct tops t;
	sqlite3 *h;

	(void)state;
	tops_open(&t, "nodeops-busy");
	add(&t, hex);
	db_nowait(t.db);
	snprintf(path, sizeof(path), "%s/hamroh.db", t.dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(ops_add(&t.o, &a, hex, &e), -1);
	assert_int_equal(e.code, OPS_BUSY);
	assert_int_equal(e.key, OPS_MSG_STORE_BUSY);
	assert_non_null(strstr(ops_text("en", &e, msg, sizeof(msg)),
	    "try again"));
	assert_non_null(strstr(e.cause, "locked"));
	assert_int_equal(sqlite3_exec(h, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(nrecords(&t), 1);
	add(&t, hex);
	assert_int_equal(nrecords(&t), 2);
	tops_close(&t);
}

/* The store's faults each get the key that says what to do. */
static void
test_store_faults(void **state)
{
	static const struct {
		const char	*err;
		enum ops_code	code;
		enum ops_msg	key;
	} c[] = {
		{ "database: database is locked", OPS_BUSY, OPS_MSG_STORE_BUSY },
		{ "database is locked (checkpoint)", OPS_BUSY,
		  OPS_MSG_STORE_BUSY },
		{ "put: the disk is full; free some space and try again",
		  OPS_STORE, OPS_MSG_STORE_FULL },
		{ "commit: database disk image is malformed", OPS_STORE,
		  OPS_MSG_STORE_CORRUPT },
		{ "open: file is not a database", OPS_STORE,
		  OPS_MSG_STORE_CORRUPT },
		{ "commit: attempt to write a readonly database", OPS_STORE,
		  OPS_MSG_STORE_READONLY },
		{ "commit: disk I/O error", OPS_STORE, OPS_MSG_STORE_IO },
		{ "clock is 3 days ahead", OPS_STORE, OPS_MSG_STORE },
	};
	struct ops_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(ops_store_fail(&e, c[i].err,
		    OPS_MSG_NOTHING_CHANGED), -1);
		assert_int_equal(e.code, c[i].code);
		assert_int_equal(e.key, c[i].key);
		assert_string_equal(e.cause, c[i].err);
		assert_int_equal(e.tail, OPS_MSG_NOTHING_CHANGED);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_vector),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_backup),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_store_faults),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_work.c: jobs off the loop (agent/daemon/work.c).  A job runs on a worker
 * with a connection of its own and its result comes back on the loop; the
 * next job reuses that connection; a job whose connection cannot be opened
 * reports the error without running; a checkpoint job moves what another
 * connection committed out of the WAL.  The loop closes with nothing
 * left (uv_loop_close() == 0).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/testnode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <uv.h>

#include "agent/daemon/work.h"
#include "store/db.h"

struct jobarg {
	struct work_pool *wp;
	struct db	*used;		/* The connection the job ran on. */
	uint64_t	frames;
	int		ran, done, rc, again;
	char		err[STORE_ERRLEN];
	struct db	*first;		/* The first job's connection. */
};

static int
count_job(struct db *db, void *arg, char err[STORE_ERRLEN])
{
	struct jobarg *j = arg;

	(void)err;
	j->used = db;
	j->ran++;
	return (0);
}

static int
ckpt_job(struct db *db, void *arg, char err[STORE_ERRLEN])
{
	struct jobarg *j = arg;

	j->ran++;
	return (db_checkpoint(db, false, &j->frames, err));
}

static void
done_cb(void *arg, int rc, const char *err)
{
	struct jobarg *j = arg;

	j->done++;
	j->rc = rc;
	snprintf(j->err, sizeof(j->err), "%s", err);
	/* A second job, queued from the first's result, on the loop. */
	if (j->again-- > 0) {
		j->first = j->used;
		assert_int_equal(work_queue(j->wp, count_job, done_cb, j), 0);
	}
}

static void
test_jobs(void **state)
{
	char dir[256], path[300], err[STORE_ERRLEN];
	struct jobarg j;
	uint8_t pk[32], sk[64];
	struct db *db;
	uv_loop_t loop;

	(void)state;
	tnode_open(dir, &db, pk, sk, "work");
	snprintf(path, sizeof(path), "%s/hamroh.db", dir);
	assert_int_equal(uv_loop_init(&loop), 0);

	/* Two jobs in a row: the second runs on the first's connection. */
	memset(&j, 0, sizeof(j));
	assert_non_null(j.wp = work_pool_new(&loop, path));
	j.again = 1;
	assert_int_equal(work_queue(j.wp, count_job, done_cb, &j), 0);
	assert_int_equal(work_pending(j.wp), 1);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(j.ran, 2);
	assert_int_equal(j.done, 2);
	assert_int_equal(j.rc, 0);
	assert_ptr_equal(j.used, j.first);
	assert_true(j.used != db);
	assert_int_equal(work_pending(j.wp), 0);

	/* A checkpoint of what this (other) connection committed. */
	assert_int_equal(db_begin(db, 1000, err), 0);
	assert_int_equal(db_meta_set(db, "work", "1", err), 0);
	assert_int_equal(db_commit(db, err), 0);
	memset(&j.err, 0, sizeof(j.err));
	j.ran = j.done = 0;
	assert_int_equal(work_queue(j.wp, ckpt_job, done_cb, &j), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(j.done, 1);
	assert_int_equal(j.rc, 0);
	assert_true(j.frames > 0);
	work_pool_free(j.wp);

	/* No database there: the error comes back, the job never ran. */
	memset(&j, 0, sizeof(j));
	assert_non_null(j.wp = work_pool_new(&loop, "/nonexistent/hamroh.db"));
	assert_int_equal(work_queue(j.wp, count_job, done_cb, &j), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(j.ran, 0);
	assert_int_equal(j.done, 1);
	assert_int_equal(j.rc, -1);
	assert_non_null(strstr(j.err, "nonexistent"));
	work_pool_free(j.wp);

	assert_int_equal(uv_loop_close(&loop), 0);
	tnode_close(dir, db);
}

/* The loop's connection: a lock held elsewhere fails at once, and says so. */
static void
test_nowait(void **state)
{
	char dir[256], path[300], err[STORE_ERRLEN];
	uint8_t pk[32], sk[64];
	struct db *db;
	sqlite3 *other;

	(void)state;
	tnode_open(dir, &db, pk, sk, "work");
	snprintf(path, sizeof(path), "%s/hamroh.db", dir);
	db_nowait(db);
	assert_false(db_busy(db));
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(db_begin(db, 1000, err), -1);
	assert_true(db_busy(db));
	assert_false(db_busy(db));		/* Reading it cleared it. */
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(db_begin(db, 1000, err), 0);
	assert_int_equal(db_meta_set(db, "x", "1", err), 0);
	assert_int_equal(db_commit(db, err), 0);
	assert_false(db_busy(db));
	/* It did not checkpoint its own commit: the WAL holds it. */
	assert_true(db_wal_pages(db) > 0);
	tnode_close(dir, db);
}

/* Frames in ${path}'s WAL now (a passive checkpoint's count). */
static int
wal_frames(const char *path)
{
	sqlite3 *h;
	int log = -1, done = -1;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "SELECT count(*) FROM meta", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_wal_checkpoint_v2(h, "main",
	    SQLITE_CHECKPOINT_PASSIVE, &log, &done), SQLITE_OK);
	sqlite3_close(h);
	return (log);
}

/*
 * A restarting checkpoint: while the loop's connection is held (db_hold())
 * its commits fail as on a lock held elsewhere; the checkpoint's own
 * connection then makes the commit that starts the WAL over (and syncs
 * its header), so the WAL holds one transaction, not the loop's many.
 */
static void
test_restart(void **state)
{
	char dir[256], path[300], err[STORE_ERRLEN], v[16];
	uint8_t pk[32], sk[64];
	struct db *db, *other;
	uint64_t frames;
	int i, before;

	(void)state;
	tnode_open(dir, &db, pk, sk, "work");
	snprintf(path, sizeof(path), "%s/hamroh.db", dir);
	db_nowait(db);
	for (i = 0; i < 40; i++) {
		snprintf(v, sizeof(v), "%d", i);
		assert_int_equal(db_begin(db, 1000, err), 0);
		assert_int_equal(db_meta_set(db, "restart", v, err), 0);
		assert_int_equal(db_commit(db, err), 0);
	}
	before = wal_frames(path);
	assert_true(before >= 40);

	db_hold(db, true);
	assert_int_equal(db_begin(db, 1000, err), -1);
	assert_true(db_busy(db));
	assert_int_equal(db_open(&other, path, false, err), 0);
	assert_int_equal(db_checkpoint(other, true, &frames, err), 0);
	assert_int_equal((int)frames, before);
	/* Started over by the checkpoint's connection: one small commit. */
	assert_true(wal_frames(path) > 0);
	assert_true(wal_frames(path) < 8);
	db_close(other);

	db_hold(db, false);
	assert_int_equal(db_begin(db, 1000, err), 0);
	assert_int_equal(db_meta_set(db, "restart", "done", err), 0);
	assert_int_equal(db_commit(db, err), 0);
	assert_false(db_busy(db));
	assert_true(db_wal_pages(db) < 16);
	tnode_close(dir, db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jobs),
		cmocka_unit_test(test_nowait),
		cmocka_unit_test(test_restart),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

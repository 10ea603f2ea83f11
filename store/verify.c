/*
 * verify.c: rebuild and verify: replay the log into the live tables or
 * a scratch copy and compare.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <string.h>

#include "store/trust.h"

int
db_rebuild(struct db *db, char err[STORE_ERRLEN])
{
	const struct coll_def *c;
	struct tgt t = TGT("main");
	char sql[384];

	if (db_begin(db, 0, err))
		return (-1);
	/*
	 * The verdicts on stamps, found again from the log: each commit
	 * stamped no later than one before it of its origin.
	 */
	snprintf(sql, sizeof(sql), "UPDATE commits SET refused = CASE refused"
	    " WHEN 0 THEN %d ELSE 0 END WHERE n IN (SELECT n FROM (SELECT n,"
	    " refused, hlc <= coalesce(max(hlc) OVER (PARTITION BY origin"
	    " ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),"
	    " -1) AS back FROM commits) WHERE back != (refused = %d))",
	    COMMIT_REFUSED_CLOCK, COMMIT_REFUSED_CLOCK);
	if (db_exec(db, sql, err) || origin_load(db, err))
		goto fail;
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "DELETE FROM main.c_%s", c->name);
		if (db_exec(db, sql, err))
			goto fail;
	}
	db->settling = true;
	if (judge_replay(db, &t, NULL, 0, err)) {
		db->settling = false;
		goto fail;
	}
	db->settling = false;
	db->live.nrefused = -1;
	db_tgt_fini(&t);
	return (db_commit(db, err));

fail:
	db_tgt_fini(&t);
	db_rollback(db);
	return (-1);
}

int
db_purge_retired(struct db *db, char err[STORE_ERRLEN])
{
	static const char *const sql[] = {
	    "DELETE FROM commits WHERE origin IN (SELECT idx FROM origins o"
	    " WHERE " RETIRED ")",
	    "DELETE FROM held WHERE origin IN (SELECT idx FROM origins o"
	    " WHERE " RETIRED ")",
	    "DELETE FROM forks WHERE origin IN (SELECT idx FROM origins o"
	    " WHERE " RETIRED ")",
	};
	size_t i;

	if (db_exec(db, "PRAGMA secure_delete = ON", err) ||
	    db_begin(db, 0, err))
		return (-1);
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		if (db_exec(db, sql[i], err)) {
			db_rollback(db);
			return (-1);
		}
	if (db_commit(db, err) || db_rebuild(db, err))
		return (-1);
	return (db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err));
}

static char *
hex8(const uint8_t *k, char out[17])
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 8; i++) {
		out[2 * i] = hx[k[i] >> 4];
		out[2 * i + 1] = hx[k[i] & 15];
	}
	out[16] = '\0';
	return (out);
}

/* Signatures, hashes and chains of the whole log. */
static long
verify_log(struct db *db, FILE *out, char err[STORE_ERRLEN])
{
	static const uint8_t zero[COMMIT_HASH_LEN];
	sqlite3_stmt *st;
	struct commit cm;
	const char *why;
	uint8_t hash[COMMIT_HASH_LEN], prev[COMMIT_HASH_LEN];
	const uint8_t *body;
	char k[17];
	int64_t cur = -1, oidx;
	uint64_t seq = 0, hlc = 0;
	size_t len;
	long bad = 0;
	bool back;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT c.origin, c.seq, c.hlc, c.hash,"
	    " c.body, c.sig, o.key, c.refused FROM commits c JOIN origins o"
	    " ON o.idx = c.origin ORDER BY c.origin, c.seq", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "read commits", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		oidx = sqlite3_column_int64(st, 0);
		if (oidx != cur) {
			cur = oidx;
			seq = 0;
			hlc = 0;
			memcpy(prev, zero, sizeof(prev));
		}
		hex8(sqlite3_column_blob(st, 6), k);
		body = sqlite3_column_blob(st, 4);
		len = (size_t)sqlite3_column_bytes(st, 4);
		commit_hash(body, len, hash);
		if (sqlite3_column_bytes(st, 5) != NODE_SIG_LEN ||
		    commit_verify(hash, sqlite3_column_blob(st, 6),
		    sqlite3_column_blob(st, 5))) {
			fprintf(out, "origin %s seq %lld: bad signature\n", k,
			    (long long)sqlite3_column_int64(st, 1));
			bad++;
		}
		if (commit_decode(body, len, &cm, &why)) {
			fprintf(out, "origin %s seq %lld: %s\n", k,
			    (long long)sqlite3_column_int64(st, 1), why);
			bad++;
			continue;
		}
		if (cm.seq != seq + 1 || cm.seq !=
		    (uint64_t)sqlite3_column_int64(st, 1) ||
		    memcmp(cm.origin, sqlite3_column_blob(st, 6),
		    NODE_KEY_LEN) != 0) {
			fprintf(out, "origin %s seq %llu: sequence broken\n",
			    k, (unsigned long long)cm.seq);
			bad++;
		}
		if (memcmp(cm.prev, prev, COMMIT_HASH_LEN) != 0) {
			fprintf(out, "origin %s seq %llu: hash chain broken\n",
			    k, (unsigned long long)cm.seq);
			bad++;
		}
		if (sqlite3_column_bytes(st, 3) != COMMIT_HASH_LEN ||
		    memcmp(sqlite3_column_blob(st, 3), hash,
		    COMMIT_HASH_LEN) != 0 || (uint64_t)sqlite3_column_int64(st,
		    2) != cm.hlc) {
			fprintf(out, "origin %s seq %llu: stored hash or clock"
			    " does not match the body\n", k,
			    (unsigned long long)cm.seq);
			bad++;
		}
		/* Refused for its stamp exactly when it does not go up. */
		back = seq > 0 && cm.hlc <= hlc;
		if (back != (sqlite3_column_int(st, 7) ==
		    COMMIT_REFUSED_CLOCK)) {
			fprintf(out, "origin %s seq %llu: stored verdict on its"
			    " stamp does not match the log; run 'hamroh"
			    " rebuild'\n", k, (unsigned long long)cm.seq);
			bad++;
		}
		seq = cm.seq;
		if (!back)
			hlc = cm.hlc;
		memcpy(prev, hash, COMMIT_HASH_LEN);
		commit_fini(&cm);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "read commits", db->h);
		return (-1);
	}
	return (bad);
}

long
db_verify(struct db *db, FILE *out, char err[STORE_ERRLEN])
{
	const struct coll_def *c;
	struct tgt t = TGT("temp");
	sqlite3_stmt *st;
	char sql[512];
	long bad, n;
	int rc;

	if (db_exec(db, "BEGIN", err))
		return (-1);
	/* The agent may have added an origin since this handle looked. */
	if (origin_load(db, err) || (bad = verify_log(db, out, err)) < 0)
		goto fail;
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS temp.c_%s",
		    c->name);
		if (db_exec(db, sql, err) ||
		    rows_create_table(db, "temp", c, err))
			goto fail;
	}
	if (db_exec(db, "DROP TABLE IF EXISTS temp.refused", err) ||
	    trust_schema(db->h, "temp", err, STORE_ERRLEN))
		goto fail;
	db->settling = true;
	rc = judge_replay(db, &t, NULL, 0, err);
	db->settling = false;
	if (rc)
		goto fail;
	n = (long)db_count(db, "SELECT (SELECT count(*) FROM (SELECT * FROM"
	    " main.refused EXCEPT SELECT * FROM temp.refused)) + (SELECT"
	    " count(*) FROM (SELECT * FROM temp.refused EXCEPT SELECT * FROM"
	    " main.refused))");
	if (n > 0) {
		fprintf(out, "refused changes: %ld differ from a rebuild of the"
		    " log; run 'hamroh rebuild'\n", n);
		bad++;
	}
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM"
		    " (SELECT * FROM main.c_%s EXCEPT SELECT * FROM temp.c_%s))"
		    " + (SELECT count(*) FROM (SELECT * FROM temp.c_%s EXCEPT"
		    " SELECT * FROM main.c_%s))", c->name, c->name, c->name,
		    c->name);
		if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) !=
		    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			db_errf(err, "compare tables", db->h);
			goto fail;
		}
		if ((n = sqlite3_column_int64(st, 0)) > 0) {
			fprintf(out, "%s: %ld rows differ from a rebuild of"
			    " the log; run 'hamroh rebuild'\n", c->name, n);
			bad++;
		}
		sqlite3_finalize(st);
	}
	db_tgt_fini(&t);
	for (c = schema_colls; c->name != NULL; c++) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS temp.c_%s",
		    c->name);
		db_exec(db, sql, err);
	}
	db_exec(db, "DROP TABLE IF EXISTS temp.refused; DROP TABLE IF EXISTS"
	    " temp.certs; DROP TABLE IF EXISTS temp.revocations", err);
	db_exec(db, "ROLLBACK", err);
	return (bad);

fail:
	db_tgt_fini(&t);
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/*
 * fork.c: an origin that signed two different commits with one seq (a
 * copied data directory, a restored backup, a stolen key).  Its history
 * has two branches, and a version vector carries one: so that every node
 * ends alike whichever branch it holds, the origin is frozen at the last
 * seq the branches share.  Its commits above it are kept and relayed but
 * judged refused everywhere (store/judge.c); what it wrote up to it is
 * the same on both branches.
 *
 * The evidence is a *fork proof*: two commits the origin signed that
 * cannot both be its history, either the same seq with two hashes, or
 * seq s and s + 1 where the second's prev is not the first's hash (then
 * two versions of seq s exist).  A node keeps the lowest proof of each
 * origin (table fork_proof) and sends it to its peers; a node that holds
 * one branch turns a proof that names the other into a lower one where it
 * can (the other branch's commit at s does not extend ours at s - 1), and
 * the proof walks down to the fork point.  PROTOCOL.md, "Forks", is the
 * specification.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* One signed commit, decoded, with the bytes it came in. */
struct fcm {
	const uint8_t	*body;
	size_t		len;
	const uint8_t	*sig;
	uint8_t		hash[COMMIT_HASH_LEN];
	struct commit	cm;
	uint8_t		*own;		/* Read from the log: ours to free. */
	uint8_t		own_sig[NODE_SIG_LEN];
};

static void
fcm_fini(struct fcm *f)
{

	commit_fini(&f->cm);
	free(f->own);
	memset(f, 0, sizeof(*f));
}

/* Decode and check ${f}'s commit: DB_EINVALID if it does not verify. */
static int
fcm_open(struct fcm *f, const uint8_t *body, size_t len, const uint8_t *sig,
    char err[STORE_ERRLEN])
{
	const char *why;

	f->body = body;
	f->len = len;
	f->sig = sig;
	if (commit_decode(body, len, &f->cm, &why)) {
		snprintf(err, STORE_ERRLEN, "fork proof: malformed commit: %s",
		    why);
		return (DB_EINVALID);
	}
	commit_hash(body, len, f->hash);
	if (commit_verify(f->hash, f->cm.origin, sig)) {
		snprintf(err, STORE_ERRLEN, "fork proof: commit %llu has a "
		    "bad signature", (unsigned long long)f->cm.seq);
		return (DB_EINVALID);
	}
	return (0);
}

/*
 * Commit (oidx, seq) of table ${table} (commits: our branch; held: what
 * waits for a gap) into ${f}: 1 found, 0 not, -1 on error.
 */
static int
fcm_read(struct db *db, const char *table, uint32_t oidx, uint64_t seq,
    struct fcm *f, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	const char *why;
	char sql[128];
	size_t len;
	int rc;

	memset(f, 0, sizeof(*f));
	if (seq == 0)
		return (0);
	snprintf(sql, sizeof(sql), "SELECT body, sig, hash FROM main.%s"
	    " WHERE origin = ? AND seq = ?", table);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "read a commit", db->h);
		return (-1);
	}
	sqlite3_bind_int64(st, 1, oidx);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return (0);
		db_errf(err, "read a commit", db->h);
		return (-1);
	}
	len = (size_t)sqlite3_column_bytes(st, 0);
	if ((f->own = malloc(len + 1)) == NULL) {
		sqlite3_finalize(st);
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	memcpy(f->own, sqlite3_column_blob(st, 0), len);
	if (sqlite3_column_bytes(st, 1) == NODE_SIG_LEN)
		memcpy(f->own_sig, sqlite3_column_blob(st, 1), NODE_SIG_LEN);
	if (sqlite3_column_bytes(st, 2) == COMMIT_HASH_LEN)
		memcpy(f->hash, sqlite3_column_blob(st, 2), COMMIT_HASH_LEN);
	sqlite3_finalize(st);
	f->body = f->own;
	f->len = len;
	f->sig = f->own_sig;
	if (commit_decode(f->own, len, &f->cm, &why)) {
		fcm_fini(f);
		snprintf(err, STORE_ERRLEN, "commit log is corrupt (%s); "
		    "restore a backup", why);
		return (-1);
	}
	return (1);
}

/*
 * The seq that ${a} and ${b} (one origin's, verified) prove was signed
 * twice, or 0 if they prove nothing.
 */
static uint64_t
proves(const struct fcm *a, const struct fcm *b)
{

	if (memcmp(a->cm.origin, b->cm.origin, NODE_KEY_LEN) != 0)
		return (0);
	if (a->cm.seq == b->cm.seq)
		return (sodium_memcmp(a->hash, b->hash, COMMIT_HASH_LEN) ?
		    a->cm.seq : 0);
	if (b->cm.seq == a->cm.seq + 1)
		return (sodium_memcmp(b->cm.prev, a->hash, COMMIT_HASH_LEN) ?
		    a->cm.seq : 0);
	if (a->cm.seq == b->cm.seq + 1)
		return (sodium_memcmp(a->cm.prev, b->hash, COMMIT_HASH_LEN) ?
		    b->cm.seq : 0);
	return (0);
}

/*
 * The origin is frozen below ${seq} now: judge again what its commits
 * from ${seq} on touched.  A members change among them may have carried
 * a fact that no longer counts: then the whole log.
 */
static int
unapply_from(struct db *db, uint32_t oidx, uint64_t seq,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	struct commit cm;
	const char *why;
	size_t i;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(db->h, "SELECT body FROM main.commits WHERE"
	    " origin = ? AND seq >= ?", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "read commits", db->h);
		return (-1);
	}
	sqlite3_bind_int64(st, 1, oidx);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	while (!db->full_rederive && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (commit_decode(sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &cm, &why)) {
			snprintf(err, STORE_ERRLEN, "commit log is corrupt "
			    "(%s); restore a backup", why);
			goto done;
		}
		for (i = 0; i < cm.nrec && !db->full_rederive; i++) {
			if (cm.rec[i].coll_len == 7 &&
			    memcmp(cm.rec[i].coll, "members", 7) == 0)
				db->full_rederive = true;
			else if (judge_rederive(db, &cm.rec[i], err)) {
				commit_fini(&cm);
				goto done;
			}
		}
		commit_fini(&cm);
	}
	ret = 0;
done:
	sqlite3_finalize(st);
	return (ret);
}

/* Keep (a, b), proof that ${oidx} signed ${seq} twice, if it is lower. */
static int
keep(struct db *db, uint32_t oidx, uint64_t seq, const struct fcm *a,
    const struct fcm *b, bool *learned, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (db->orig[oidx].fork_seq != 0 && db->orig[oidx].fork_seq <= seq)
		return (0);
	if (sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO fork_proof("
	    "origin, seq, a_body, a_sig, b_body, b_sig) VALUES(?, ?, ?, ?, ?,"
	    " ?)", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "record a fork", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, db->orig[oidx].key, NODE_KEY_LEN,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	sqlite3_bind_blob(st, 3, a->body, (int)a->len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, a->sig, NODE_SIG_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, b->body, (int)b->len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, b->sig, NODE_SIG_LEN, SQLITE_STATIC);
	if (db_step_fin(db, st, "record a fork", err))
		return (-1);
	db->orig[oidx].fork_seq = seq;
	*learned = true;
	return (unapply_from(db, oidx, seq, err));
}

/*
 * ${c} is a commit of ${oidx} that is not of our branch, or may not be:
 * prove with it the lowest seq we can from our log, and keep that.
 */
static int
against_ours(struct db *db, uint32_t oidx, const struct fcm *c,
    bool *learned, char err[STORE_ERRLEN])
{
	struct fcm o;
	uint64_t s;
	int r, ret = 0;

	static const struct {
		const char	*table;
		uint64_t	back;
	} look[] = {
		/* Ours at seq - 1 is not what it extends: seq - 1 twice. */
		{ "commits", 1 }, { "commits", 0 }, { "held", 0 }
	};
	size_t i;

	for (i = 0; i < sizeof(look) / sizeof(look[0]); i++) {
		if ((r = fcm_read(db, look[i].table, oidx, c->cm.seq -
		    look[i].back, &o, err)) < 0)
			return (-1);
		s = r == 1 ? proves(&o, c) : 0;
		if (s != 0)
			ret = keep(db, oidx, s, &o, c, learned, err);
		fcm_fini(&o);
		if (s != 0)
			return (ret);
	}
	return (0);
}

int
fork_found(struct db *db, uint32_t oidx, const uint8_t *body, size_t len,
    const uint8_t sig[NODE_SIG_LEN], char err[STORE_ERRLEN])
{
	struct fcm c;
	bool learned = false;
	int ret = -1;

	memset(&c, 0, sizeof(c));
	/* Verified by the caller already; checked again all the same. */
	if (fcm_open(&c, body, len, sig, err) == 0)
		ret = against_ours(db, oidx, &c, &learned, err);
	fcm_fini(&c);
	return (ret);
}

int
db_fork_proof(struct db *db, const uint8_t *a, size_t alen,
    const uint8_t asig[NODE_SIG_LEN], const uint8_t *b, size_t blen,
    const uint8_t bsig[NODE_SIG_LEN], uint64_t *seq, bool *learned,
    char err[STORE_ERRLEN])
{
	struct fcm fa, fb;
	uint32_t oidx;
	int ret = DB_EINVALID;

	*seq = 0;
	*learned = false;
	memset(&fa, 0, sizeof(fa));
	memset(&fb, 0, sizeof(fb));
	if (fcm_open(&fa, a, alen, asig, err) || fcm_open(&fb, b, blen, bsig,
	    err))
		goto done;
	if ((*seq = proves(&fa, &fb)) == 0) {
		snprintf(err, STORE_ERRLEN, "fork proof: the two commits "
		    "can both be one history");
		goto done;
	}
	ret = 0;
	/*
	 * Only of an origin we hold: a key of anyone's making proves
	 * nothing anybody needs, and is not worth a row.
	 */
	if (!db_origin_find(db, fa.cm.origin, &oidx) ||
	    db->orig[oidx].seq == 0)
		goto done;
	ret = DB_ESTORE;
	if (keep(db, oidx, *seq, &fa, &fb, learned, err) ||
	    against_ours(db, oidx, &fa, learned, err) ||
	    against_ours(db, oidx, &fb, learned, err))
		goto done;
	ret = 0;
done:
	fcm_fini(&fa);
	fcm_fini(&fb);
	return (ret);
}

int
db_forks(struct db *db, int (*fn)(void *, const uint8_t *, uint64_t),
    void *arg, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prep(db, &db->s_forks, "SELECT origin, seq FROM fork_proof"
	    " ORDER BY origin", err))
		return (-1);
	st = db->s_forks;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == NODE_KEY_LEN &&
		    fn(arg, sqlite3_column_blob(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1)) != 0) {
			sqlite3_reset(st);
			return (1);
		}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "read fork proofs", db->h);
		return (-1);
	}
	return (0);
}

int
db_fork_get(struct db *db, const uint8_t origin[NODE_KEY_LEN],
    int (*fn)(void *, const struct db_fork *), void *arg,
    char err[STORE_ERRLEN])
{
	struct db_fork p;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT a_body, a_sig, b_body, b_sig,"
	    " seq FROM fork_proof WHERE origin = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "read a fork proof", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, origin, NODE_KEY_LEN, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return (0);
		db_errf(err, "read a fork proof", db->h);
		return (-1);
	}
	p.a = sqlite3_column_blob(st, 0);
	p.alen = (size_t)sqlite3_column_bytes(st, 0);
	p.asig = sqlite3_column_blob(st, 1);
	p.b = sqlite3_column_blob(st, 2);
	p.blen = (size_t)sqlite3_column_bytes(st, 2);
	p.bsig = sqlite3_column_blob(st, 3);
	p.seq = (uint64_t)sqlite3_column_int64(st, 4);
	rc = sqlite3_column_bytes(st, 1) == NODE_SIG_LEN &&
	    sqlite3_column_bytes(st, 3) == NODE_SIG_LEN ? fn(arg, &p) : 0;
	sqlite3_finalize(st);
	return (rc < 0 ? -1 : 1);
}

/*
 * foreign.c: foreign commits: verify, apply (judged), set strangers'
 * commits aside and release them, hold commits that arrive early, and
 * notice forks (store/fork.c keeps the proofs).
 */
#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "protocol/limits.h"
#include "store/trust.h"

/* ---- Foreign commits. ---- */

static int
record_fork(struct db *db, uint32_t oidx, uint64_t seq,
    const uint8_t held[COMMIT_HASH_LEN], const uint8_t other[COMMIT_HASH_LEN],
    const uint8_t *body, size_t len, const uint8_t sig[NODE_SIG_LEN],
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (db_prep(db, &db->s_ins_fork, "INSERT OR IGNORE INTO forks(origin,"
	    " seq, hash_held, hash_other, body, sig) VALUES(?, ?, ?, ?, ?, ?)",
	    err))
		return (-1);
	st = db->s_ins_fork;
	sqlite3_bind_int64(st, 1, oidx);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	sqlite3_bind_blob(st, 3, held, COMMIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, other, COMMIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, sig, NODE_SIG_LEN, SQLITE_STATIC);
	if (db_step(db, st, "record fork", err))
		return (-1);
	/* Both branches stay; neither is the origin's history from here. */
	return (fork_found(db, oidx, body, len, sig, err));
}

/* Hash of a stored commit (origin, seq) in ${table}; 1 found, 0 not. */
static int
find_hash(struct db *db, sqlite3_stmt **st, const char *sql, uint32_t oidx,
    uint64_t seq, uint8_t hash[COMMIT_HASH_LEN], char err[STORE_ERRLEN])
{
	int rc;

	if (db_prep(db, st, sql, err))
		return (-1);
	sqlite3_bind_int64(*st, 1, oidx);
	sqlite3_bind_int64(*st, 2, (int64_t)seq);
	rc = sqlite3_step(*st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(*st, 0) ==
	    COMMIT_HASH_LEN) {
		memcpy(hash, sqlite3_column_blob(*st, 0), COMMIT_HASH_LEN);
		sqlite3_reset(*st);
		return (1);
	}
	sqlite3_reset(*st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_errf(err, "look up commit", db->h);
		return (-1);
	}
	return (0);
}

/* Count what is set aside, once per transaction at most. */
static int
quarantine_count(struct db *db, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;

	if (db->q_bytes >= 0)
		return (0);
	if (sqlite3_prepare_v2(db->h, "SELECT coalesce(sum(length(body)), 0),"
	    " count(DISTINCT key) FROM quarantine", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		db_errf(err, "count strangers' commits", db->h);
		sqlite3_finalize(st);
		return (-1);
	}
	db->q_bytes = sqlite3_column_int64(st, 0);
	db->q_origins = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return (0);
}

/* Set a stranger's commit aside, or drop it past the caps. */
static int
quarantine(struct db *db, const struct commit *cm, const uint8_t *body,
    size_t len, const uint8_t sig[NODE_SIG_LEN], struct db_counts *res,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	bool known;
	int rc;

	if (quarantine_count(db, err))
		return (-1);
	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM quarantine WHERE key = ?",
	    -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "look up a stranger", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, cm->origin, NODE_KEY_LEN, SQLITE_STATIC);
	known = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (db->q_bytes + (int64_t)len > QUARANTINE_MAX_BYTES ||
	    (!known && db->q_origins >= QUARANTINE_MAX_ORIGINS)) {
		res->dropped++;
		db->q_dropped++;
		db->q_dirty = true;
		return (0);
	}
	if (sqlite3_prepare_v2(db->h, "INSERT OR IGNORE INTO quarantine(key,"
	    " seq, body, sig) VALUES(?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "set a stranger's commit aside", db->h);
		return (-1);
	}
	sqlite3_bind_blob(st, 1, cm->origin, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)cm->seq);
	sqlite3_bind_blob(st, 3, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sig, NODE_SIG_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE && sqlite3_changes(db->h) > 0) {
		db->q_bytes += (int64_t)len;
		db->q_origins += !known;
		res->strangers++;
	} else if (rc == SQLITE_DONE)
		res->duplicate++;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "set a stranger's commit aside", db->h);
		return (-1);
	}
	return (0);
}

static int release_origin(struct db *, const uint8_t *, struct db_counts *,
    char[STORE_ERRLEN]);

/* Does ${cm} carry changes to the members collection? */
static bool
has_members(const struct commit *cm)
{
	size_t i;

	for (i = 0; i < cm->nrec; i++)
		if (cm->rec[i].coll_len == 7 &&
		    memcmp(cm->rec[i].coll, "members", 7) == 0)
			return (true);
	return (false);
}

/* Does ${cm} carry a certificate of its own origin that names it? */
static bool
names_itself(struct db *db, const struct commit *cm)
{
	size_t i;

	for (i = 0; i < cm->nrec; i++)
		if (trust_cert_names(db->trust, &cm->rec[i], cm->origin))
			return (true);
	return (false);
}

/* Do we hold commits of ${oidx} held back for a gap? */
static bool
holds_any(struct db *db, uint32_t oidx)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM held WHERE origin = ?",
	    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, oidx);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return (yes);
}

/*
 * In a network, a commit belongs in the log only if a certificate names
 * its origin: otherwise anyone could fill every node's log, vector and
 * HELLO with origins of their own making.  An origin is admitted once a
 * certificate names it, or by a commit that carries its own (a new
 * member's join); then the commits set aside go first, in seq order, and
 * every later commit of it goes the usual way.  Return 1 if ${cm} was set
 * aside or dropped, 0 if it goes the usual way, or a DB_E* error.
 */
static int
stranger(struct db *db, const struct commit *cm, const uint8_t *body,
    size_t len, const uint8_t sig[NODE_SIG_LEN], struct db_counts *res,
    char err[STORE_ERRLEN])
{
	uint32_t oidx;
	bool found;

	if (!trust_enabled(db->trust))
		return (0);
	if ((found = db_origin_find(db, cm->origin, &oidx))) {
		if (db->orig[oidx].named)
			return (0);
		if (db->orig[oidx].seq > 0 || holds_any(db, oidx) ||
		    trust_named(db->trust, cm->origin)) {
			db->orig[oidx].named = true;
			return (0);
		}
	} else if (trust_named(db->trust, cm->origin))
		return (0);
	if (!names_itself(db, cm))
		return (quarantine(db, cm, body, len, sig, res, err) ?
		    DB_ESTORE : 1);
	if (origin_idx(db, cm->origin, &oidx, err))
		return (DB_ESTORE);
	db->orig[oidx].named = true;
	return (release_origin(db, cm->origin, res, err));
}

/* A revoked node's commit more than FORMER_MAX_PAST past its cut-off. */
static bool
past_cutoff(struct db *db, uint32_t oidx, const struct commit *cm)
{
	struct trust_as_of as;

	if (!trust_enabled(db->trust) || trust_standing(db->trust, oidx,
	    cm->origin, cm->seq, cm->hlc, &as) != 0)
		return (false);
	return (as.st == TRUST_REVOKED && as.upto < cm->seq &&
	    cm->seq - as.upto > FORMER_MAX_PAST);
}

/*
 * Verify and apply one commit.  On DB_APPLIED, ${*oidx_out} and ${*seq_out}
 * say which origin advanced, so the caller can release held successors.
 */
static int
apply_one(struct db *db, const uint8_t *body, size_t len,
    const uint8_t sig[NODE_SIG_LEN], struct db_counts *res,
    uint32_t *oidx_out, uint64_t *seq_out, char err[STORE_ERRLEN])
{
	static const uint8_t zero[COMMIT_HASH_LEN];
	struct commit cm;
	struct orig *o;
	const char *why;
	uint8_t hash[COMMIT_HASH_LEN], have[COMMIT_HASH_LEN];
	uint32_t oidx;
	uint64_t nref;
	int r, ret = DB_ESTORE;

	*seq_out = 0;
	if (commit_decode(body, len, &cm, &why)) {
		snprintf(err, STORE_ERRLEN, "malformed commit: %s", why);
		return (DB_EINVALID);
	}
	commit_hash(body, len, hash);
	if (commit_verify(hash, cm.origin, sig)) {
		snprintf(err, STORE_ERRLEN, "commit %llu has a bad signature",
		    (unsigned long long)cm.seq);
		ret = DB_EINVALID;
		goto done;
	}
	/*
	 * Values of known fields are not checked against this version's
	 * schema: a newer version may have added an enum value or widened a
	 * limit, and refusing its commit would stall that origin forever.
	 * The log keeps what was signed; commit_decode() checked structure,
	 * sizes and UTF-8.
	 */
	if ((r = stranger(db, &cm, body, len, sig, res, err)) != 0) {
		ret = r < 0 ? r : 0;
		goto done;
	}
	if (origin_idx(db, cm.origin, &oidx, err))
		goto done;
	o = &db->orig[oidx];

	if (cm.seq <= o->seq) {
		r = find_hash(db, &db->s_find_commit, "SELECT hash FROM commits"
		    " WHERE origin = ? AND seq = ?", oidx, cm.seq, have, err);
		if (r < 0)
			goto done;
		if (r == 1 && sodium_memcmp(have, hash, COMMIT_HASH_LEN) == 0) {
			res->duplicate++;
			ret = 0;
			goto done;
		}
		if (record_fork(db, oidx, cm.seq, have, hash, body, len, sig,
		    err))
			goto done;
		res->fork++;
		ret = 0;
		goto done;
	}
	if (past_cutoff(db, oidx, &cm)) {
		res->dropped++;
		db->q_dropped++;
		db->q_dirty = true;
		ret = 0;
		goto done;
	}
	if (cm.seq > o->seq + 1) {
		r = find_hash(db, &db->s_find_held, "SELECT hash FROM held"
		    " WHERE origin = ? AND seq = ?", oidx, cm.seq, have, err);
		if (r < 0)
			goto done;
		if (r == 1) {
			if (sodium_memcmp(have, hash, COMMIT_HASH_LEN) == 0)
				res->duplicate++;
			else if (record_fork(db, oidx, cm.seq, have, hash,
			    body, len, sig, err))
				goto done;
			else
				res->fork++;
			ret = 0;
			goto done;
		}
		if (db_prep(db, &db->s_ins_held, "INSERT INTO held(origin, seq,"
		    " hash, body, sig) VALUES(?, ?, ?, ?, ?)", err))
			goto done;
		sqlite3_bind_int64(db->s_ins_held, 1, oidx);
		sqlite3_bind_int64(db->s_ins_held, 2, (int64_t)cm.seq);
		sqlite3_bind_blob(db->s_ins_held, 3, hash, COMMIT_HASH_LEN,
		    SQLITE_STATIC);
		sqlite3_bind_blob(db->s_ins_held, 4, body, (int)len,
		    SQLITE_STATIC);
		sqlite3_bind_blob(db->s_ins_held, 5, sig, NODE_SIG_LEN,
		    SQLITE_STATIC);
		r = sqlite3_step(db->s_ins_held);
		sqlite3_reset(db->s_ins_held);
		if (r != SQLITE_DONE) {
			db_errf(err, "hold commit", db->h);
			goto done;
		}
		res->held++;
		ret = 0;
		goto done;
	}

	/* The next commit of this origin: it must extend what we hold. */
	if (sodium_memcmp(cm.prev, o->seq ? o->hash : zero,
	    COMMIT_HASH_LEN) != 0) {
		if (record_fork(db, oidx, cm.seq, o->hash, hash, body, len,
		    sig, err))
			goto done;
		res->fork++;
		ret = 0;
		goto done;
	}
	/*
	 * Stamps go up per origin.  One that does not is its origin's
	 * fault, not its sender's (a relay passes it on, or it comes out
	 * of a gap long after): it is bad on its own and refused on its
	 * own.  Stored and relayed like any, so the log stays gap-free and
	 * every node decides alike; none of its changes count, and they
	 * are kept as refused (store/judge.c).
	 */
	if (o->seq > 0 && cm.hlc <= o->hlc)
		cm.refused = COMMIT_REFUSED_CLOCK;
	nref = db->nrefusals;
	if (origin_log_commit(db, oidx, &cm, hash, body, len, sig, err) ||
	    judge_apply_commit(db, &db->live, &cm, oidx, err))
		goto done;
	if (cm.refused) {
		res->refused++;
	} else {
		if (clock_seen(db, &cm, err))
			goto done;
		if (db->nrefusals == nref) {
			clock_follow(db, cm.hlc);
			if (clock_reports(db, &cm, err))
				goto done;
		}
		/* A certificate may name origins set aside. */
		if (db->q_origins != 0 && has_members(&cm))
			db->q_release = true;
	}
	origin_advance(db, oidx, &cm, hash);
	res->applied++;
	*oidx_out = oidx;
	*seq_out = cm.seq;
	ret = 0;
done:
	commit_fini(&cm);
	return (ret);
}

/*
 * Apply the commits of ${key} that were set aside, in seq order (they were
 * verified when they came; they are now judged as any other).
 */
static int
release_origin(struct db *db, const uint8_t *key, struct db_counts *res,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	struct qrow {
		uint8_t	*body;
		size_t	len;
		uint8_t	sig[NODE_SIG_LEN];
	} *q = NULL, *nq;
	size_t n = 0, aq = 0, j;
	struct db_counts dc;
	int rc, ret = DB_ESTORE;

	if (sqlite3_prepare_v2(db->h, "SELECT body, sig FROM quarantine"
	    " WHERE key = ? ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_blob(st, 1, key, NODE_KEY_LEN, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == aq) {
			aq = aq ? 2 * aq : 8;
			if ((nq = realloc(q, aq * sizeof(*q))) == NULL)
				goto oom;
			q = nq;
		}
		q[n].len = (size_t)sqlite3_column_bytes(st, 0);
		if ((q[n].body = malloc(q[n].len + 1)) == NULL)
			goto oom;
		memcpy(q[n].body, sqlite3_column_blob(st, 0), q[n].len);
		memset(q[n].sig, 0, NODE_SIG_LEN);
		if (sqlite3_column_bytes(st, 1) == NODE_SIG_LEN)
			memcpy(q[n].sig, sqlite3_column_blob(st, 1),
			    NODE_SIG_LEN);
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n == 0)
		return (0);
	if (rc != SQLITE_DONE || sqlite3_prepare_v2(db->h, "DELETE FROM"
	    " quarantine WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_blob(st, 1, key, NODE_KEY_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	sqlite3_finalize(st);
	st = NULL;
	db->q_bytes = db->q_origins = -1;
	for (j = 0; j < n; j++) {
		memset(&dc, 0, sizeof(dc));
		if ((rc = db_apply(db, q[j].body, q[j].len, q[j].sig, &dc,
		    err)) == DB_ESTORE) {
			ret = rc;
			goto fail;
		}
		res->released += dc.applied + dc.released;
		res->held += dc.held;
		res->fork += dc.fork;
		res->refused += dc.refused;
	}
	ret = 0;
	goto fail;

oom:
	snprintf(err, STORE_ERRLEN, "out of memory");
	goto fail;
dberr:
	db_errf(err, "release commits set aside", db->h);
fail:
	sqlite3_finalize(st);
	for (j = 0; j < n; j++)
		free(q[j].body);
	free(q);
	return (ret);
}

/* Does the commit ${body} carry a statement that names its origin? */
static bool
first_names(struct db *db, const uint8_t *body, size_t len)
{
	struct commit cm;
	const char *why;
	bool yes;

	if (body == NULL || commit_decode(body, len, &cm, &why))
		return (false);
	yes = names_itself(db, &cm);
	commit_fini(&cm);
	return (yes);
}

/* Apply the commits set aside of every origin a certificate now names. */
static int
release_named(struct db *db, struct db_counts *res, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	uint8_t (*keys)[NODE_KEY_LEN] = NULL, (*nk2)[NODE_KEY_LEN];
	size_t nk = 0, ak = 0, i;
	int rc, ret = 0;

	db->q_release = false;
	/*
	 * With each origin's first commit set aside: a successor's carries
	 * a statement that names it once its predecessor is named.
	 */
	if (sqlite3_prepare_v2(db->h, "SELECT key, body FROM quarantine q"
	    " WHERE seq = (SELECT min(seq) FROM quarantine WHERE"
	    " key = q.key)", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "read commits set aside", db->h);
		return (DB_ESTORE);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != NODE_KEY_LEN ||
		    (!trust_named(db->trust, sqlite3_column_blob(st, 0)) &&
		    !first_names(db, sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1))))
			continue;
		if (nk == ak) {
			ak = ak ? 2 * ak : 8;
			if ((nk2 = realloc(keys, ak * sizeof(*keys))) == NULL) {
				snprintf(err, STORE_ERRLEN, "out of memory");
				ret = DB_ESTORE;
				goto done;
			}
			keys = nk2;
		}
		memcpy(keys[nk++], sqlite3_column_blob(st, 0), NODE_KEY_LEN);
	}
	if (rc != SQLITE_DONE) {
		db_errf(err, "read commits set aside", db->h);
		ret = DB_ESTORE;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; ret == 0 && i < nk; i++)
		ret = release_origin(db, keys[i], res, err);
done:
	sqlite3_finalize(st);
	free(keys);
	return (ret);
}

int
db_apply(struct db *db, const uint8_t *body, size_t len,
    const uint8_t sig[NODE_SIG_LEN], struct db_counts *res,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st = NULL;
	uint8_t *hb = NULL, hs[NODE_SIG_LEN];
	size_t hl;
	uint32_t oidx;
	uint64_t seq, before;
	int rc, ret = DB_ESTORE;

	if ((rc = apply_one(db, body, len, sig, res, &oidx, &seq, err)) != 0)
		return (rc);
	/* Each applied commit may unblock the next held one. */
	while (seq != 0) {
		if (db_prep(db, &st, "SELECT body, sig FROM held WHERE"
		    " origin = ? AND seq = ?", err))
			goto fail;
		sqlite3_bind_int64(st, 1, oidx);
		sqlite3_bind_int64(st, 2, (int64_t)seq + 1);
		if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
			if (rc != SQLITE_DONE) {
				db_errf(err, "read held commit", db->h);
				goto fail;
			}
			break;
		}
		hl = (size_t)sqlite3_column_bytes(st, 0);
		if ((hb = malloc(hl + 1)) == NULL ||
		    sqlite3_column_bytes(st, 1) != NODE_SIG_LEN) {
			snprintf(err, STORE_ERRLEN, "held commit unreadable");
			goto fail;
		}
		memcpy(hb, sqlite3_column_blob(st, 0), hl);
		memcpy(hs, sqlite3_column_blob(st, 1), NODE_SIG_LEN);
		sqlite3_reset(st);
		if (db_prep(db, &db->s_del_held, "DELETE FROM held WHERE"
		    " origin = ? AND seq = ?", err))
			goto fail;
		sqlite3_bind_int64(db->s_del_held, 1, oidx);
		sqlite3_bind_int64(db->s_del_held, 2, (int64_t)seq + 1);
		if (sqlite3_step(db->s_del_held) != SQLITE_DONE) {
			db_errf(err, "release held commit", db->h);
			goto fail;
		}
		sqlite3_reset(db->s_del_held);
		before = res->applied;
		if ((ret = apply_one(db, hb, hl, hs, res, &oidx, &seq,
		    err)) != 0)
			goto fail;
		ret = DB_ESTORE;
		if (res->applied > before) {
			res->applied--;
			res->released++;
		}
		free(hb);
		hb = NULL;
	}
	sqlite3_finalize(st);
	/* Last: a certificate in any of them may name strangers. */
	if (db->q_release)
		return (release_named(db, res, err));
	return (0);

fail:
	free(hb);
	sqlite3_finalize(st);
	return (ret);
}

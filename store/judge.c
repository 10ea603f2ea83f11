/*
 * judge.c: applying commits, judged (store/trust.h): who may write what is
 * decided here for every record change of every commit, local or foreign,
 * so every node decides alike in any order of arrival.  A refused change
 * is kept in the refused table instead of applied; a new membership fact
 * or an older creation makes the node judge again what it touched, before
 * the transaction commits; rebuild, verify and those re-derivations
 * replay the log in stamp order.  protocol/PROTOCOL.md, "Who may write
 * what", is the specification.  No clock, no output.
 */
#define _GNU_SOURCE		/* memmem() */

#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/trust.h"

/* Records a partial replay finds by their id's bytes, before decoding. */
#define PREFILTER_MAX	16

/* ---- Judging (store/trust.h). ---- */

/* Keep the refusal of the changes to ${id} made by commit (oidx, seq). */
static int
refuse(struct db *db, struct tgt *t, const struct coll_def *c,
    const uint8_t *id, uint32_t oidx, uint64_t seq, uint64_t hlc,
    const char *why, char err[STORE_ERRLEN])
{
	int rc;

	if (rows_tgt_stmt(db, t, &t->ref_ins, "INSERT OR REPLACE INTO ",
	    ".refused(coll, id, origin, seq, hlc, reason)"
	    " VALUES(?, ?, ?, ?, ?, ?)", err))
		return (-1);
	sqlite3_bind_text(t->ref_ins, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(t->ref_ins, 2, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(t->ref_ins, 3, oidx);
	sqlite3_bind_int64(t->ref_ins, 4, (int64_t)seq);
	sqlite3_bind_int64(t->ref_ins, 5, (int64_t)hlc);
	sqlite3_bind_text(t->ref_ins, 6, why, -1, SQLITE_STATIC);
	rc = sqlite3_step(t->ref_ins);
	sqlite3_reset(t->ref_ins);
	if (rc != SQLITE_DONE) {
		db_errf(err, "record a refusal", db->h);
		return (-1);
	}
	/* An upper bound will do: it only tells "none" from "some". */
	if (t->nrefused >= 0)
		t->nrefused++;
	db->nrefusals++;
	snprintf(db->last_why, sizeof(db->last_why), "%s", why);
	return (0);
}

/* Re-derive record ${id} of ${c} when the transaction commits. */
static int
rd_add(struct db *db, const struct coll_def *c, const uint8_t *id,
    char err[STORE_ERRLEN])
{
	struct rid *r;

	if (db->nrd == db->ard) {
		db->ard = db->ard ? db->ard * 2 : 64;
		if ((r = realloc(db->rd, db->ard * sizeof(*r))) == NULL) {
			snprintf(err, STORE_ERRLEN, "out of memory");
			return (-1);
		}
		db->rd = r;
	}
	db->rd[db->nrd].ci = db_coll_index(c);
	memcpy(db->rd[db->nrd++].id, id, SCHEMA_ID_LEN);
	return (0);
}

/* The collection of ${rc}, or NULL if this version does not know it. */
static const struct coll_def *
rc_coll(const struct rchange *rc)
{
	char name[SCHEMA_NAME_MAX + 1];

	if (rc->coll_len > SCHEMA_NAME_MAX)
		return (NULL);
	memcpy(name, rc->coll, rc->coll_len);
	name[rc->coll_len] = '\0';
	return (schema_coll(name));
}

int
judge_rederive(struct db *db, const struct rchange *rc, char err[STORE_ERRLEN])
{
	const struct coll_def *c;

	if ((c = rc_coll(rc)) == NULL)
		return (0);
	return (rd_add(db, c, rc->id, err));
}

static int rejudge(struct db *, struct tgt *, const struct coll_def *,
    const uint8_t *, char[STORE_ERRLEN]);
static int rejudge_key(struct db *, struct tgt *, const struct rchange *,
    char[STORE_ERRLEN]);

/*
 * Judge the changes ${rc} of commit (oidx, seq, hlc) to the loaded state
 * ${rs} of their record, then apply them or keep the refusal.  Frees
 * ${rs}.
 */
int
judge_rec(struct db *db, struct tgt *t, const struct coll_def *c,
    const struct rchange *rc, uint32_t oidx, uint64_t seq, uint64_t hlc,
    struct rstate *rs, char err[STORE_ERRLEN])
{
	struct trust_rec tr;
	const struct freg *r;
	char why[TRUST_WHY_LEN];
	bool creates = false;
	size_t i;

	/* In or out of a network: a fork is no one's history (fork.c). */
	if (FORK_FROZEN(db, oidx, seq)) {
		origin_fork_why(db, oidx, why);
		rstate_fini(rs);
		return (refuse(db, t, c, rc->id, oidx, seq, hlc, why, err));
	}
	if (!trust_enabled(db->trust))
		return (db_apply_state(db, t, c, rc, hlc, oidx, rs, err));
	memset(&tr, 0, sizeof(tr));
	tr.schema = t->schema;
	if (strcmp(c->name, "consultations") == 0) {
		/*
		 * Only writes of the owner's name stand in center, so its
		 * heads are that creation and writes that repeat it; they
		 * are sorted, and the first is the creation.
		 */
		r = rstate_find(rs, "center");
		if (r != NULL && r->nh > 0 && r->h[0].v.t == VAL_STR) {
			tr.has_center = true;
			tr.center = &r->h[0].v;
			tr.c_hlc = r->h[0].hlc;
			tr.c_origin = db->orig[r->h[0].oidx].key;
		}
		for (i = 0; i < rc->nf && !tr.has_center; i++)
			if (rc->f[i].field_len == 6 &&
			    memcmp(rc->f[i].field, "center", 6) == 0)
				creates = true;
	}
	switch (trust_judge(db->trust, oidx, db->orig[oidx].key, seq, hlc, c,
	    rc, &tr, why)) {
	case TRUST_OK:
		break;
	case TRUST_REDERIVE:
		if (t == &db->live && !db->settling) {
			rstate_fini(rs);
			return (rd_add(db, c, rc->id, err));
		}
		/* Replays go in stamp order: an earlier one came first. */
		snprintf(why, TRUST_WHY_LEN, "judged out of stamp order");
		__attribute__((fallthrough));
	case TRUST_REFUSED:
		rstate_fini(rs);
		return (refuse(db, t, c, rc->id, oidx, seq, hlc, why, err));
	}
	if (db_apply_state(db, t, c, rc, hlc, oidx, rs, err))
		return (-1);
	/* Changes refused for want of a center may stand now. */
	if (creates && rows_refused_count(db, t) != 0)
		return (rejudge(db, t, c, rc->id, err));
	/* Or for want of a key: sealed to one this keys record names. */
	if (strcmp(c->name, "keys") == 0 && rows_refused_count(db, t) != 0)
		return (rejudge_key(db, t, rc, err));
	return (0);
}

/* Why commit ${cm}, refused as a whole, is. */
static const char *
refused_why(const struct commit *cm)
{

	switch (cm->refused) {
	case COMMIT_REFUSED_CLOCK:
		return ("its commit is stamped no later than an earlier"
		    " commit of the same node (its clock went back, or its"
		    " software is broken): none of that commit's changes"
		    " count");
	default:
		return ("its commit is refused as a whole");
	}
}

/* Apply the changes of one record of commit ${cm} of origin ${oidx}. */
static int
apply_rec(struct db *db, struct tgt *t, const struct commit *cm,
    const struct rchange *rc, uint32_t oidx, char err[STORE_ERRLEN])
{
	const struct coll_def *c;
	struct rstate rs;

	/* A collection from a newer version: kept in the log only. */
	if ((c = rc_coll(rc)) == NULL)
		return (0);
	/* Bad on its own: every change is refused, whoever made it. */
	if (cm->refused)
		return (refuse(db, t, c, rc->id, oidx, cm->seq, cm->hlc,
		    refused_why(cm), err));
	if (db_load_rec(db, t, c, rc->id, &rs, err))
		return (-1);
	return (judge_rec(db, t, c, rc, oidx, cm->seq, cm->hlc, &rs, err));
}

/* Read and decode commit (oidx, seq) into ${cm}; 1 if there is none. */
static int
read_commit(struct db *db, uint32_t oidx, uint64_t seq, struct commit *cm,
    uint8_t **body, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	const char *why;
	unsigned refused;
	size_t len;
	int rc;

	*body = NULL;
	if (sqlite3_prepare_v2(db->h, "SELECT body, refused FROM main.commits"
	    " WHERE origin = ? AND seq = ?", -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "read a commit", db->h);
		return (-1);
	}
	sqlite3_bind_int64(st, 1, oidx);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return (1);
		db_errf(err, "read a commit", db->h);
		return (-1);
	}
	len = (size_t)sqlite3_column_bytes(st, 0);
	if ((*body = malloc(len + 1)) == NULL) {
		sqlite3_finalize(st);
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	if (len > 0)
		memcpy(*body, sqlite3_column_blob(st, 0), len);
	refused = (unsigned)sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	if (commit_decode(*body, len, cm, &why)) {
		free(*body);
		*body = NULL;
		snprintf(err, STORE_ERRLEN, "commit log is corrupt (%s); "
		    "restore a backup", why);
		return (-1);
	}
	cm->refused = refused;
	return (0);
}

/*
 * Judge again the refused changes commit ${cm} of ${oidx} made to record
 * ${id} of ${c}: drop the refusal, then apply or refuse them anew.
 */
static int
readmit(struct db *db, struct tgt *t, const struct commit *cm, uint32_t oidx,
    const struct coll_def *c, const uint8_t *id, char err[STORE_ERRLEN])
{
	size_t k;
	int rc;

	if (rows_tgt_stmt(db, t, &t->ref_del, "DELETE FROM ", ".refused"
	    " WHERE coll = ? AND id = ? AND origin = ? AND seq = ?", err))
		return (-1);
	sqlite3_bind_text(t->ref_del, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(t->ref_del, 2, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(t->ref_del, 3, oidx);
	sqlite3_bind_int64(t->ref_del, 4, (int64_t)cm->seq);
	rc = sqlite3_step(t->ref_del);
	sqlite3_reset(t->ref_del);
	if (rc != SQLITE_DONE) {
		db_errf(err, "drop a refusal", db->h);
		return (-1);
	}
	for (k = 0; k < cm->nrec; k++)
		if (rc_coll(&cm->rec[k]) == c && memcmp(cm->rec[k].id, id,
		    SCHEMA_ID_LEN) == 0)
			return (apply_rec(db, t, cm, &cm->rec[k], oidx, err));
	return (0);
}

/* A refused change: which commit, which record. */
struct refd {
	uint32_t		oidx;
	uint64_t		seq;
	const struct coll_def	*c;
	uint8_t			id[SCHEMA_ID_LEN];
};

/* Collect the rows ${st} (origin, seq, coll, id) returns. */
static int
refused_rows(struct db *db, sqlite3_stmt *st, struct refd **out, size_t *n,
    char err[STORE_ERRLEN])
{
	struct refd *p;
	size_t a = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == a) {
			a = a ? 2 * a : 8;
			if ((p = realloc(*out, a * sizeof(*p))) == NULL) {
				sqlite3_reset(st);
				snprintf(err, STORE_ERRLEN, "out of memory");
				return (-1);
			}
			*out = p;
		}
		p = &(*out)[*n];
		p->oidx = (uint32_t)sqlite3_column_int64(st, 0);
		p->seq = (uint64_t)sqlite3_column_int64(st, 1);
		p->c = schema_coll((const char *)sqlite3_column_text(st, 2));
		if (p->c == NULL || sqlite3_column_bytes(st, 3) !=
		    SCHEMA_ID_LEN)
			continue;
		memcpy(p->id, sqlite3_column_blob(st, 3), SCHEMA_ID_LEN);
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "read refusals", db->h);
		return (-1);
	}
	return (0);
}

/* Judge again each refused change in ${w}. */
static int
readmit_all(struct db *db, struct tgt *t, const struct refd *w, size_t n,
    char err[STORE_ERRLEN])
{
	struct commit cm;
	uint8_t *body;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		/* A fork's change is refused again whatever stands now. */
		if (FORK_FROZEN(db, w[i].oidx, w[i].seq))
			continue;
		if ((rc = read_commit(db, w[i].oidx, w[i].seq, &cm, &body,
		    err)) < 0)
			return (-1);
		if (rc == 1)
			continue;
		rc = readmit(db, t, &cm, w[i].oidx, w[i].c, w[i].id, err);
		commit_fini(&cm);
		free(body);
		if (rc)
			return (-1);
	}
	return (0);
}

/*
 * Judge again the refused changes to record ${id} of ${c}: its creation
 * has just arrived.
 */
static int
rejudge(struct db *db, struct tgt *t, const struct coll_def *c,
    const uint8_t *id, char err[STORE_ERRLEN])
{
	struct refd *w;
	size_t n;
	int ret;

	if (rows_tgt_stmt(db, t, &t->ref_list, "SELECT origin, seq, coll, id"
	    " FROM ", ".refused WHERE coll = ? AND id = ?", err))
		return (-1);
	sqlite3_bind_text(t->ref_list, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(t->ref_list, 2, id, SCHEMA_ID_LEN, SQLITE_STATIC);
	if (refused_rows(db, t->ref_list, &w, &n, err))
		return (-1);
	ret = readmit_all(db, t, w, n, err);
	free(w);
	return (ret);
}

/*
 * Judge again the consultations' changes refused as sealed to the key
 * keys change ${rc} names (store/trust.c, judge_sealed()): a keys record
 * of it stands now, perhaps of the record's center.
 */
static int
rejudge_key(struct db *db, struct tgt *t, const struct rchange *rc,
    char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	struct refd *w;
	char sql[192], pat[64];
	size_t i, k, n;
	int ret;

	for (i = 0; i < rc->nf; i++)
		if (rc->f[i].field_len == 5 &&
		    memcmp(rc->f[i].field, "keyid", 5) == 0)
			break;
	if (i == rc->nf || rc->f[i].v.t != VAL_STR ||
	    rc->f[i].v.len != TRUST_KEYID_HEX)
		return (0);
	for (k = 0; k < TRUST_KEYID_HEX; k++)
		if (strchr("0123456789abcdef", rc->f[i].v.s[k]) == NULL ||
		    rc->f[i].v.s[k] == '\0')
			return (0);
	snprintf(pat, sizeof(pat), "%%sealed to key %.*s,%%",
	    TRUST_KEYID_HEX, rc->f[i].v.s);
	snprintf(sql, sizeof(sql), "SELECT origin, seq, coll, id FROM"
	    " %s.refused WHERE coll = 'consultations' AND reason LIKE ?",
	    t->schema);
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		db_errf(err, "read refusals", db->h);
		return (-1);
	}
	sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	ret = refused_rows(db, st, &w, &n, err);
	sqlite3_finalize(st);
	if (ret == 0)
		ret = readmit_all(db, t, w, n, err);
	free(w);
	return (ret);
}

/*
 * Commit (oidx, seq) was refused for its origin's standing, which is now
 * a member's: judge its changes again.  Adding changes to the merge is
 * exact in any order, so no replay is needed.
 */
static int
admit(struct db *db, uint32_t oidx, uint64_t seq, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	struct refd *w;
	size_t n;
	int ret;

	if (sqlite3_prepare_v2(db->h, "SELECT origin, seq, coll, id FROM"
	    " main.refused WHERE origin = ? AND seq = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "read refusals", db->h);
		return (-1);
	}
	sqlite3_bind_int64(st, 1, oidx);
	sqlite3_bind_int64(st, 2, (int64_t)seq);
	ret = refused_rows(db, st, &w, &n, err);
	sqlite3_finalize(st);
	if (ret == 0)
		ret = readmit_all(db, &db->live, w, n, err);
	free(w);
	return (ret);
}

/* One applied commit and how its origin stood before a new fact. */
struct snap {
	uint32_t		oidx;
	uint64_t		seq, hlc;
	enum trust_standing	st;
	bool			admin;
	uint64_t		upto;
	char			center[201];
	char			note[240];
};

struct noting {
	struct db		*db;
	uint32_t		cur_oidx;	/* The commit being applied. */
	uint64_t		cur_seq;
	struct snap		*s;
	size_t			ns, as;
	uint32_t		*done;		/* Origins snapshotted. */
	size_t			ndone;
};

static void
snap_of(struct snap *s, const struct trust_as_of *as)
{

	s->st = as->st;
	s->admin = as->admin;
	s->upto = as->upto;
	snprintf(s->center, sizeof(s->center), "%s", as->center);
	snprintf(s->note, sizeof(s->note), "%s", as->note);
}

/* Snapshot how origin ${oidx}'s applied commits stand. */
static int
snap_origin(struct noting *nt, uint32_t oidx)
{
	struct db *db = nt->db;
	struct trust_as_of as;
	sqlite3_stmt *st;
	struct snap *s;
	uint32_t *d;
	size_t i;
	int ret = -1;

	for (i = 0; i < nt->ndone; i++)
		if (nt->done[i] == oidx)
			return (0);
	if ((d = realloc(nt->done, (nt->ndone + 1) * sizeof(*d))) == NULL)
		return (-1);
	nt->done = d;
	d[nt->ndone++] = oidx;
	if (sqlite3_prepare_v2(db->h, "SELECT seq, hlc FROM main.commits"
	    " WHERE origin = ?", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_int64(st, 1, oidx);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (oidx == nt->cur_oidx && (uint64_t)sqlite3_column_int64(st,
		    0) == nt->cur_seq)
			continue;
		if (nt->ns == nt->as) {
			nt->as = nt->as ? 2 * nt->as : 64;
			if ((s = realloc(nt->s, nt->as * sizeof(*s))) == NULL)
				goto done;
			nt->s = s;
		}
		s = &nt->s[nt->ns++];
		s->oidx = oidx;
		s->seq = (uint64_t)sqlite3_column_int64(st, 0);
		s->hlc = (uint64_t)sqlite3_column_int64(st, 1);
		if (trust_standing(db->trust, oidx, db->orig[oidx].key,
		    s->seq, s->hlc, &as))
			goto done;
		snap_of(s, &as);
	}
	ret = 0;
done:
	sqlite3_finalize(st);
	return (ret);
}

/* trust_note() callback: node ${key} may stand otherwise now. */
static int
noted(void *arg, const uint8_t *key)
{
	struct noting *nt = arg;
	size_t i;

	for (i = 0; i < nt->db->norig; i++)
		if (memcmp(nt->db->orig[i].key, key, NODE_KEY_LEN) == 0)
			return (snap_origin(nt, (uint32_t)i));
	return (0);
}

/*
 * Record the membership facts commit ${cm} of ${oidx} carries.  Applied
 * commits whose origin stands otherwise now have their records queued for
 * re-deriving (db_commit() does it).
 */
int
judge_note_facts(struct db *db, const struct commit *cm, uint32_t oidx,
    char err[STORE_ERRLEN])
{
	struct noting nt;
	struct trust_as_of as, was;
	const struct coll_def *c;
	struct commit old;
	uint8_t *body;
	size_t i, k;
	int ret = -1, rc;

	/* A fork's facts count nowhere, as its changes do not. */
	if (FORK_FROZEN(db, oidx, cm->seq))
		return (0);
	memset(&nt, 0, sizeof(nt));
	nt.db = db;
	nt.cur_oidx = oidx;
	nt.cur_seq = cm->seq;
	/* Every snapshot before any of the commit's facts is kept. */
	for (i = 0; i < cm->nrec; i++)
		if (trust_note(db->trust, cm->origin, cm->seq, &cm->rec[i],
		    false, noted, &nt, err, STORE_ERRLEN) < 0)
			goto done;
	for (i = 0; i < cm->nrec; i++)
		if (trust_note(db->trust, cm->origin, cm->seq, &cm->rec[i],
		    true, NULL, NULL, err, STORE_ERRLEN) < 0)
			goto done;
	for (i = 0; i < nt.ns; i++) {
		if (trust_standing(db->trust, nt.s[i].oidx,
		    db->orig[nt.s[i].oidx].key, nt.s[i].seq, nt.s[i].hlc,
		    &as))
			goto oom;
		was.st = nt.s[i].st;
		was.admin = nt.s[i].admin;
		was.upto = nt.s[i].upto;
		was.center = nt.s[i].center;
		was.note = nt.s[i].note;
		if (trust_same(&was, &as))
			continue;
		/* A newcomer's certificate: only changes to add. */
		if (was.st != TRUST_MEMBER && as.st == TRUST_MEMBER) {
			if (admit(db, nt.s[i].oidx, nt.s[i].seq, err))
				goto done;
			continue;
		}
		if ((rc = read_commit(db, nt.s[i].oidx, nt.s[i].seq, &old,
		    &body, err)) < 0)
			goto done;
		if (rc == 1)
			continue;
		for (k = 0; k < old.nrec; k++)
			if ((c = rc_coll(&old.rec[k])) != NULL &&
			    rd_add(db, c, old.rec[k].id, err))
				break;
		rc = k < old.nrec;
		commit_fini(&old);
		free(body);
		if (rc)
			goto done;
	}
	ret = 0;
	goto done;
oom:
	snprintf(err, STORE_ERRLEN, "out of memory");
done:
	free(nt.s);
	free(nt.done);
	return (ret);
}

int
judge_apply_commit(struct db *db, struct tgt *t, const struct commit *cm,
    uint32_t oidx, char err[STORE_ERRLEN])
{
	size_t i;

	/* A commit refused as a whole carries no fact either. */
	if (!cm->refused && t == &db->live && !db->settling &&
	    judge_note_facts(db, cm, oidx, err))
		return (-1);
	for (i = 0; i < cm->nrec; i++)
		if (apply_rec(db, t, cm, &cm->rec[i], oidx, err))
			return (-1);
	return (0);
}

static int
rid_cmp(const void *a, const void *b)
{
	const struct rid *x = a, *y = b;

	if (x->ci != y->ci)
		return (x->ci < y->ci ? -1 : 1);
	return (memcmp(x->id, y->id, SCHEMA_ID_LEN));
}

/* Call ${fn} on each commit of the log, in stamp order (hlc, origin). */
static int
each_commit(struct db *db, const struct rid *only, size_t nonly,
    int (*fn)(struct db *, void *, struct commit *, uint32_t,
    char[STORE_ERRLEN]), void *arg, char err[STORE_ERRLEN])
{
	sqlite3_stmt *st;
	struct commit cm;
	const uint8_t *body;
	const char *why;
	size_t len, i;
	uint32_t oidx;
	int rc;

	if (sqlite3_prepare_v2(db->h, "SELECT c.origin, c.body, c.hlc,"
	    " c.refused FROM main.commits c JOIN main.origins o ON"
	    " o.idx = c.origin ORDER BY c.hlc, o.key", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_errf(err, "read commits", db->h);
		return (-1);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		oidx = (uint32_t)sqlite3_column_int64(st, 0);
		body = sqlite3_column_blob(st, 1);
		len = (size_t)sqlite3_column_bytes(st, 1);
		/*
		 * A few records wanted: a commit whose bytes hold none of
		 * their ids cannot touch them, and need not be decoded.
		 */
		if (only != NULL && nonly <= PREFILTER_MAX && oidx <
		    db->norig) {
			for (i = 0; i < nonly; i++)
				if (body != NULL && memmem(body, len,
				    only[i].id, SCHEMA_ID_LEN) != NULL)
					break;
			if (i == nonly) {
				db->orig[oidx].rb_hlc =
				    (uint64_t)sqlite3_column_int64(st, 2);
				continue;
			}
		}
		if (oidx >= db->norig || commit_decode(body, len, &cm, &why)) {
			snprintf(err, STORE_ERRLEN, "commit log is corrupt;"
			    " restore a backup");
			sqlite3_finalize(st);
			return (-1);
		}
		cm.refused = (unsigned)sqlite3_column_int(st, 3);
		rc = fn(db, arg, &cm, oidx, err);
		commit_fini(&cm);
		if (rc) {
			sqlite3_finalize(st);
			return (-1);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_errf(err, "read commits", db->h);
		return (-1);
	}
	return (0);
}

static int
facts_of(struct db *db, void *arg, struct commit *cm, uint32_t oidx,
    char err[STORE_ERRLEN])
{
	size_t i;

	(void)arg;
	if (FORK_FROZEN(db, oidx, cm->seq))
		return (0);
	for (i = 0; i < cm->nrec && !cm->refused; i++)
		if (trust_note(db->trust, cm->origin, cm->seq, &cm->rec[i],
		    true, NULL, NULL, err, STORE_ERRLEN) < 0)
			return (-1);
	return (0);
}

struct replaying {
	struct tgt		*t;
	const struct rid	*only;	/* Sorted; NULL: every record. */
	size_t			nonly;
};

static int
replay_one(struct db *db, void *arg, struct commit *cm, uint32_t oidx,
    char err[STORE_ERRLEN])
{
	struct replaying *r = arg;
	struct rid k;
	size_t i;

	for (i = 0; i < cm->nrec; i++) {
		if (r->only != NULL) {
			if (rc_coll(&cm->rec[i]) == NULL)
				continue;
			k.ci = db_coll_index(rc_coll(&cm->rec[i]));
			memcpy(k.id, cm->rec[i].id, SCHEMA_ID_LEN);
			if (bsearch(&k, r->only, r->nonly, sizeof(k),
			    rid_cmp) == NULL)
				continue;
		}
		if (apply_rec(db, r->t, cm, &cm->rec[i], oidx, err))
			return (-1);
	}
	db->orig[oidx].rb_hlc = cm->hlc;
	return (0);
}

/*
 * Replay the log into ${t} in stamp order: every record, whose tables are
 * empty (and with ${t} the live tables, the membership facts are found
 * again first); or only the ${n} records ${only} (sorted), whose rows and
 * refusals are gone.  Stamp order puts a consultation's creation before
 * every change judged against it.
 */
int
judge_replay(struct db *db, struct tgt *t, const struct rid *only, size_t n,
    char err[STORE_ERRLEN])
{
	struct replaying r = { t, only, n };
	char sql[128];
	size_t i;

	for (i = 0; i < db->norig; i++)
		db->orig[i].rb_hlc = 0;
	if (only == NULL) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s.refused",
		    t->schema);
		if (db_exec(db, sql, err))
			return (-1);
		t->nrefused = 0;
		if (strcmp(t->schema, "main") == 0 && (trust_clear(db->trust,
		    err, STORE_ERRLEN) || each_commit(db, NULL, 0, facts_of,
		    NULL, err)))
			return (-1);
	}
	return (each_commit(db, only, n, replay_one, &r, err));
}

/*
 * Before a transaction commits: re-derive the records a new membership
 * fact or an earlier creation put in question, in one pass over the log.
 */
int
judge_settle(struct db *db, char err[STORE_ERRLEN])
{
	struct tgt t = TGT("main");
	const struct coll_def *c;
	sqlite3_stmt *del = NULL, *dref = NULL;
	char sql[128];
	size_t i, j;
	int ret = -1;

	if (db->full_rederive) {
		db->full_rederive = false;
		db->nrd = 0;
		for (c = schema_colls; c->name != NULL; c++) {
			snprintf(sql, sizeof(sql), "DELETE FROM main.c_%s",
			    c->name);
			if (db_exec(db, sql, err))
				return (-1);
		}
		db->settling = true;
		ret = judge_replay(db, &t, NULL, 0, err);
		db->settling = false;
		db_tgt_fini(&t);
		db->live.nrefused = -1;
		return (ret);
	}
	if (db->nrd == 0)
		return (0);
	qsort(db->rd, db->nrd, sizeof(*db->rd), rid_cmp);
	for (i = j = 0; i < db->nrd; i++)
		if (j == 0 || rid_cmp(&db->rd[j - 1], &db->rd[i]) != 0)
			db->rd[j++] = db->rd[i];
	db->nrd = j;
	if (db_prep(db, &dref, "DELETE FROM main.refused WHERE coll = ? AND"
	    " id = ?", err))
		goto done;
	for (i = 0; i < db->nrd; i++) {
		c = &schema_colls[db->rd[i].ci];
		snprintf(sql, sizeof(sql), "DELETE FROM main.c_%s WHERE id = ?",
		    c->name);
		sqlite3_finalize(del);
		del = NULL;
		if (db_prep(db, &del, sql, err))
			goto done;
		sqlite3_bind_blob(del, 1, db->rd[i].id, SCHEMA_ID_LEN,
		    SQLITE_STATIC);
		sqlite3_reset(dref);
		sqlite3_bind_text(dref, 1, c->name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(dref, 2, db->rd[i].id, SCHEMA_ID_LEN,
		    SQLITE_STATIC);
		if (sqlite3_step(del) != SQLITE_DONE ||
		    sqlite3_step(dref) != SQLITE_DONE) {
			db_errf(err, "re-derive a record", db->h);
			goto done;
		}
	}
	/*
	 * "Applied" must mean "replayed so far", as in a full replay: a
	 * write that names a stamp it cannot have seen yet stays pending.
	 */
	db->live.nrefused = -1;
	t.nrefused = -1;
	db->settling = true;
	ret = judge_replay(db, &t, db->rd, db->nrd, err);
	db->settling = false;
	db_tgt_fini(&t);
	db->nrd = 0;
done:
	sqlite3_finalize(del);
	sqlite3_finalize(dref);
	return (ret);
}


/*
 * local.c: local writes: buffered by db_put(), sealed into one signed
 * commit per transaction by db_flush(), judged like any other.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/hlc.h"
#include "store/trust.h"

/* Storage for buffered values: freed all at once when a commit is sealed. */
struct chunk {
	struct chunk	*next;
	size_t		used, cap;
	char		data[];
};
#define CHUNK_SIZE	(256 * 1024)

/* A buffered local write. */
struct lchange {
	const struct coll_def	*c;
	uint8_t			id[SCHEMA_ID_LEN];
	const struct field_def	*f;
	struct val		v;	/* String in db->chunks. */
	size_t			n;	/* Order of arrival. */
};

void
local_clear(struct db *db)
{
	struct chunk *c;

	while ((c = db->chunks) != NULL) {
		db->chunks = c->next;
		free(c);
	}
	db->nlc = 0;
}

/* Copy ${len} bytes into chunk storage, NUL-terminated. */
static char *
chunk_copy(struct db *db, const char *s, size_t len)
{
	struct chunk *c = db->chunks;
	char *p;

	if (c == NULL || c->cap - c->used < len + 1) {
		if ((c = malloc(sizeof(*c) + (len + 1 > CHUNK_SIZE ? len + 1 :
		    CHUNK_SIZE))) == NULL)
			return (NULL);
		c->used = 0;
		c->cap = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;
		c->next = db->chunks;
		db->chunks = c;
	}
	p = c->data + c->used;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return (p);
}

/*
 * After judging our own commit: a change our own judge refused would be
 * acknowledged and then stand nowhere.  Under an expired certificate the
 * write is kept (it counts again once a renewal arrives: an office
 * waiting for one must keep logging clients), with a warning; anything
 * else fails the transaction.
 */
static int
local_verdict(struct db *db, uint32_t me, uint64_t seq, uint64_t hlc,
    char err[STORE_ERRLEN])
{
	struct trust_as_of as;
	char when[32];

	if (trust_standing(db->trust, me, db->pk, seq, hlc, &as) != 0) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	clock_fmt_utc(hlc_ms(hlc), when);
	switch (as.st) {
	case TRUST_EXPIRED:
		snprintf(db->warning, sizeof(db->warning), "saved, but this"
		    " office's certificate expired on %s (this computer's"
		    " clock says %s), so the change counts nowhere until the"
		    " coordinating office renews the invite; if the clock is"
		    " wrong, set it", as.note, when);
		return (0);
	case TRUST_REVOKED:
		snprintf(err, STORE_ERRLEN, "this office was revoked: %s;"
		    " ask the coordinating office for a new invite", as.note);
		return (-1);
	case TRUST_STRANGER:
		snprintf(err, STORE_ERRLEN, "this office holds no certificate"
		    " of the network that counts at %s; ask the coordinating"
		    " office for a new invite", when);
		return (-1);
	case TRUST_MEMBER:
		break;
	}
	snprintf(err, STORE_ERRLEN, "refused by this office's own rules: %s",
	    db->last_why);
	return (-1);
}

int
db_put(struct db *db, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const struct field_def *f,
    const struct val *v, char err[STORE_ERRLEN])
{
	struct lchange *l;

	/* A new record starts: cut the commit here if it is full. */
	if (db->nlc == 0 || db->lc[db->nlc - 1].c != c ||
	    memcmp(db->lc[db->nlc - 1].id, id, SCHEMA_ID_LEN) != 0) {
		if (db->nrec_pending >= COMMIT_MAX_RECORDS ||
		    db->bytes_pending >= COMMIT_SOFT_LEN) {
			if (db_flush(db, err))
				return (-1);
		}
		db->nrec_pending++;
	}
	if (db->nlc == db->alc) {
		db->alc = db->alc ? db->alc * 2 : 64;
		if ((l = realloc(db->lc, db->alc * sizeof(*l))) == NULL)
			goto oom;
		db->lc = l;
	}
	l = &db->lc[db->nlc];
	l->c = c;
	memcpy(l->id, id, SCHEMA_ID_LEN);
	l->f = f;
	l->v = *v;
	l->n = db->nlc;
	if (v->t == VAL_STR && (l->v.s = chunk_copy(db, v->s, v->len)) == NULL)
		goto oom;
	db->nlc++;
	/* msgpack: [name, value, seen]; a 16-byte id per record. */
	db->bytes_pending += strlen(f->name) + 6 +
	    (v->t == VAL_STR ? v->len : 8);
	return (0);

oom:
	snprintf(err, STORE_ERRLEN, "out of memory");
	return (-1);
}

static int
lc_cmp(const void *a, const void *b)
{
	const struct lchange *x = a, *y = b;
	size_t fx, fy;
	int r;

	if (x->c != y->c)
		return (x->c < y->c ? -1 : 1);
	if ((r = memcmp(x->id, y->id, SCHEMA_ID_LEN)) != 0)
		return (r);
	fx = schema_field_index(x->c, x->f);
	fy = schema_field_index(y->c, y->f);
	if (fx != fy)
		return (fx < fy ? -1 : 1);
	return (x->n < y->n ? -1 : x->n > y->n);
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct lchange *x = *(const struct lchange *const *)a;
	const struct lchange *y = *(const struct lchange *const *)b;

	if (x->c != y->c)
		return (x->c < y->c ? -1 : 1);
	return (memcmp(x->id, y->id, SCHEMA_ID_LEN));
}

static bool
same_rec(const struct lchange *x, const struct lchange *y)
{

	return (x->c == y->c && memcmp(x->id, y->id, SCHEMA_ID_LEN) == 0);
}

/*
 * Put buffered writes in lc_cmp() order within each record.  Writes come
 * record by record, so each run of one record (a dozen fields) is sorted
 * alone; only if a record recurs in a later run is everything sorted.
 */
static int
lc_group(struct db *db)
{
	const struct lchange **heads;
	struct lchange t;
	size_t i, j, start, nrun = 0;
	bool recur = false;

	if ((heads = malloc(db->nlc * sizeof(*heads))) == NULL)
		return (-1);
	for (start = 0; start < db->nlc; start = i) {
		heads[nrun++] = &db->lc[start];
		for (i = start + 1; i < db->nlc &&
		    same_rec(&db->lc[start], &db->lc[i]); i++) {
			t = db->lc[i];
			for (j = i; j > start && lc_cmp(&db->lc[j - 1], &t) > 0;
			    j--)
				db->lc[j] = db->lc[j - 1];
			db->lc[j] = t;
		}
	}
	qsort(heads, nrun, sizeof(*heads), rec_cmp);
	for (i = 1; i < nrun && !recur; i++)
		recur = same_rec(heads[i - 1], heads[i]);
	free(heads);
	if (recur)
		qsort(db->lc, db->nlc, sizeof(*db->lc), lc_cmp);
	return (0);
}

int
db_flush(struct db *db, char err[STORE_ERRLEN])
{
	msgpack_sbuffer sb;
	struct commit cm;
	struct rchange *rc = NULL;
	struct fchange *fc = NULL;
	const struct coll_def **rcoll = NULL;
	struct rstate *rs = NULL;
	struct stamp *seen = NULL, *sp;
	size_t *soff = NULL;
	const struct freg *r;
	uint8_t sig[NODE_SIG_LEN], hash[COMMIT_HASH_LEN];
	size_t i, j, k, nr = 0, nf = 0, ns = 0, as = 0;
	uint64_t nref;
	uint32_t me;
	int ret = -1;

	if (db->nlc == 0)
		return (0);
	if (!db->signer) {
		snprintf(err, STORE_ERRLEN, "no node key loaded");
		return (-1);
	}
	msgpack_sbuffer_init(&sb);
	if (origin_idx(db, db->pk, &me, err))
		goto done;
	/* Acknowledge no write that counts nowhere (store/fork.c). */
	if (FORK_FROZEN(db, me, db->orig[me].seq + 1) && !db->keep_refused) {
		snprintf(err, STORE_ERRLEN, "this office's key signed two "
		    "different histories from seq %llu (a copy of this data "
		    "directory, or a restored backup, wrote too), so nothing "
		    "it writes counts any more: run 'hamroh fork recommit' "
		    "on one copy and stop the other (see 'hamroh status')",
		    (unsigned long long)db->orig[me].fork_seq);
		goto done;
	}

	/* Group by record, then by field; the last write of a field wins. */
	if (lc_group(db))
		goto oom;
	for (i = j = 0; i < db->nlc; i++) {
		if (i + 1 < db->nlc && db->lc[i].c == db->lc[i + 1].c &&
		    db->lc[i].f == db->lc[i + 1].f && memcmp(db->lc[i].id,
		    db->lc[i + 1].id, SCHEMA_ID_LEN) == 0)
			continue;
		db->lc[j++] = db->lc[i];
	}
	db->nlc = j;

	if (clock_check(db, err))
		goto done;
	memset(&cm, 0, sizeof(cm));
	memcpy(cm.origin, db->pk, NODE_KEY_LEN);
	cm.seq = db->orig[me].seq + 1;
	cm.hlc = hlc_next(db_last_hlc(db), db->now_ms);
	memcpy(cm.prev, db->orig[me].hash, COMMIT_HASH_LEN);
	if (db->actor_len > 0) {
		cm.user = db->actor;
		cm.user_len = db->actor_len;
	}
	if ((rc = calloc(db->nlc, sizeof(*rc))) == NULL ||
	    (fc = calloc(db->nlc, sizeof(*fc))) == NULL ||
	    (rcoll = calloc(db->nlc, sizeof(*rcoll))) == NULL ||
	    (rs = calloc(db->nlc, sizeof(*rs))) == NULL ||
	    (soff = calloc(db->nlc, sizeof(*soff))) == NULL)
		goto oom;
	for (i = 0; i < db->nlc; i++) {
		if (i == 0 || db->lc[i].c != db->lc[i - 1].c ||
		    memcmp(db->lc[i].id, db->lc[i - 1].id, SCHEMA_ID_LEN)) {
			rcoll[nr] = db->lc[i].c;
			rc[nr].coll = db->lc[i].c->name;
			rc[nr].coll_len = strlen(db->lc[i].c->name);
			memcpy(rc[nr].id, db->lc[i].id, SCHEMA_ID_LEN);
			rc[nr].f = &fc[nf];
			nr++;
		}
		fc[nf].field = db->lc[i].f->name;
		fc[nf].field_len = strlen(db->lc[i].f->name);
		fc[nf].v = db->lc[i].v;
		rc[nr - 1].nf++;
		nf++;
	}

	/*
	 * Facts this commit carries first: a certificate may admit changes
	 * to the very records it writes, and their states are read below.
	 */
	cm.nrec = nr;
	cm.rec = rc;
	if (judge_note_facts(db, &cm, me, err))
		goto done;

	/* What each writer saw: every current head of the field. */
	for (i = 0; i < nr; i++) {
		if (db_load_rec(db, &db->live, rcoll[i], rc[i].id, &rs[i], err))
			goto done;
		for (j = 0; j < rc[i].nf; j++) {
			k = (size_t)(&rc[i].f[j] - fc);
			soff[k] = ns;
			if ((r = rstate_find(&rs[i], rc[i].f[j].field)) == NULL)
				continue;
			if (ns + r->nh > as) {
				as = (ns + r->nh) * 2;
				if ((sp = realloc(seen, as * sizeof(*sp))) ==
				    NULL)
					goto oom;
				seen = sp;
			}
			for (k = 0; k < r->nh && k < COMMIT_MAX_SEEN; k++) {
				seen[ns].hlc = r->h[k].hlc;
				memcpy(seen[ns].origin, db->orig[r->h[k].oidx].key,
				    NODE_KEY_LEN);
				ns++;
			}
			rc[i].f[j].nseen = k;
		}
	}
	for (i = 0; i < nf; i++)
		fc[i].seen = seen != NULL ? seen + soff[i] : NULL;
	cm.nrec = nr;
	cm.rec = rc;

	if (commit_encode(&cm, &sb))
		goto oom;
	if (sb.size > COMMIT_MAX_LEN) {
		snprintf(err, STORE_ERRLEN, "one transaction is %zu bytes "
		    "(limit %d); write fewer or smaller records at once",
		    sb.size, COMMIT_MAX_LEN);
		goto done;
	}
	commit_hash((const uint8_t *)sb.data, sb.size, hash);
	commit_sign(hash, db->sk, sig);
	if (origin_log_commit(db, me, &cm, hash, (const uint8_t *)sb.data,
	    sb.size, sig, err))
		goto done;
	/* Apply to the states loaded above: each record is read once. */
	nref = db->nrefusals;
	for (i = 0; i < nr; i++)
		if (judge_rec(db, &db->live, rcoll[i], &rc[i], me, cm.seq,
		    cm.hlc, &rs[i], err))
			goto done;
	if (db->nrefusals != nref && !db->keep_refused &&
	    local_verdict(db, me, cm.seq, cm.hlc, err))
		goto done;
	origin_advance(db, me, &cm, hash);
	local_clear(db);
	db->nrec_pending = 0;
	db->bytes_pending = 0;
	ret = 0;
	goto done;

oom:
	snprintf(err, STORE_ERRLEN, "out of memory");
done:
	for (i = 0; rs != NULL && i < nr; i++)
		rstate_fini(&rs[i]);
	free(rs);
	free(rc);
	free(fc);
	free(rcoll);
	free(soff);
	free(seen);
	msgpack_sbuffer_destroy(&sb);
	return (ret);
}

/*
 * fuzz_commit.c: libFuzzer target for the msgpack decoders of store/ and
 * protocol/.  Compiled against the production sources; no I/O.
 *
 * The first byte b picks mode (b - 1) % 4 + 1 (modulo 256 first), so both
 * the bytes 1 to 4 and the digits '1' to '4' name modes 1 to 4:
 *
 *   1  commit_decode() on the rest.  On success the commit is encoded
 *      again and decoded again: both decodes must give the same commit
 *      (its user too, one commit_user_valid() accepts), and encoding the
 *      second must give the first encoding's bytes.
 *   2  rstate_decode() on the rest.  On success the state's full
 *      encoding must decode to a state that encodes to it again, and so
 *      must its encoding as each collection's (winners' values left to
 *      the columns, or the uniform form) once the values are put back.
 *   3  mpcheck() on the bytes after the second, whose value is the depth
 *      limit.  When mpcheck() accepts, msgpack_unpack() must succeed and
 *      consume every byte: mpcheck's promise that msgpack-c is then safe.
 *   4  commit_decode() on the rest, then store/trust.c on what a hostile
 *      commit can carry: trust_note() on each record change (the facts a
 *      members change names, carried by the commit's origin and seq), a
 *      certificate and a revocation of the origin (accepting half its
 *      seq) whose dates are the commit's first two text values (as if
 *      signed by the network's admin key), trust_standing() at the
 *      commit's seq and HLC, trust_standing_key() of the origin now, and
 *      trust_judge() of each change, against a record with and without a
 *      center.  Verdicts must be one of the three, with a reason when
 *      refused; the two standings agree on a commit's seq and time.  The
 *      database is SQLite in memory.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "protocol/mpcheck.h"
#include "store/commit.h"
#include "store/hlc.h"
#include "store/merge.h"
#include "store/schema.h"
#include "store/trust.h"

#include <sqlite3.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
val_same(const struct val *a, const struct val *b)
{

	assert(a->t == b->t);
	switch (a->t) {
	case VAL_STR:
		assert(a->len == b->len);
		assert(a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
		break;
	case VAL_INT:
	case VAL_BOOL:
		assert(a->i == b->i);
		break;
	default:
		break;
	}
}

static void
commit_same(const struct commit *a, const struct commit *b)
{
	const struct rchange *ra, *rb;
	const struct fchange *fa, *fb;
	size_t i, j, k;

	assert(memcmp(a->origin, b->origin, NODE_KEY_LEN) == 0);
	assert(a->seq == b->seq);
	assert(a->hlc == b->hlc);
	assert(memcmp(a->prev, b->prev, COMMIT_HASH_LEN) == 0);
	assert((a->user == NULL) == (b->user == NULL));
	assert(a->user == NULL || (a->user_len == b->user_len &&
	    memcmp(a->user, b->user, a->user_len) == 0 &&
	    commit_user_valid(a->user, a->user_len)));
	assert(a->nrec == b->nrec);
	for (i = 0; i < a->nrec; i++) {
		ra = &a->rec[i];
		rb = &b->rec[i];
		assert(ra->coll_len == rb->coll_len);
		assert(memcmp(ra->coll, rb->coll, ra->coll_len) == 0);
		assert(memcmp(ra->id, rb->id, SCHEMA_ID_LEN) == 0);
		assert(ra->nf == rb->nf);
		for (j = 0; j < ra->nf; j++) {
			fa = &ra->f[j];
			fb = &rb->f[j];
			assert(fa->field_len == fb->field_len);
			assert(memcmp(fa->field, fb->field,
			    fa->field_len) == 0);
			val_same(&fa->v, &fb->v);
			assert(fa->nseen == fb->nseen);
			for (k = 0; k < fa->nseen; k++)
				assert(stamp_cmp(&fa->seen[k],
				    &fb->seen[k]) == 0);
		}
	}
}

static void
fuzz_commit(const uint8_t *buf, size_t len)
{
	struct commit c, c2;
	msgpack_sbuffer sb, sb2;
	const char *why = NULL;

	if (commit_decode(buf, len, &c, &why) != 0) {
		assert(why != NULL);
		assert(c.zone == NULL && c.mem == NULL);
		return;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&sb2);
	if (commit_encode(&c, &sb) != 0)
		abort();		/* Out of memory: not a finding. */
	/* The decoder accepted it, so it must accept our encoding. */
	why = NULL;
	if (commit_decode((const uint8_t *)sb.data, sb.size, &c2, &why) != 0)
		assert(!"re-encoded commit does not decode");
	commit_same(&c, &c2);
	/* Our encoding is canonical: a fixed point. */
	if (commit_encode(&c2, &sb2) != 0)
		abort();
	assert(sb.size == sb2.size);
	assert(memcmp(sb.data, sb2.data, sb.size) == 0);
	commit_fini(&c2);
	commit_fini(&c);
	/* fini is idempotent. */
	commit_fini(&c);
	msgpack_sbuffer_destroy(&sb2);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * Do what the store does with a state blob of collection ${c} that
 * rstate_decode() returned ${r} for: put the column values, here the
 * winners of ${src}, back into ${st}.
 */
static void
fill_columns(struct rstate *st, int r, uint64_t u_hlc, uint32_t u_oidx,
    const struct rstate *src)
{
	const struct freg *sr;
	struct freg *dr;
	struct mhead *w;
	size_t i;

	if (r == 1) {
		/* Uniform: one head per non-empty column, all one stamp. */
		assert(st->nf == 0);
		for (i = 0; i < src->nf; i++)
			if (rstate_add_head(st, src->f[i].name, u_hlc,
			    u_oidx) != 0)
				abort();
	}
	for (i = 0; i < st->nf; i++) {
		dr = &st->f[i];
		sr = rstate_find(src, dr->name);
		assert(sr != NULL && sr->nh == dr->nh);
		if (dr->nh == 0 || (w = &dr->h[dr->nh - 1])->has_v)
			continue;
		if (rstate_set_val(w, &freg_winner(sr)->v) != 0)
			abort();
	}
}

static void
fuzz_rstate(const uint8_t *buf, size_t len)
{
	const struct coll_def *c;
	struct rstate st, st2;
	msgpack_sbuffer sb, sb2;
	uint64_t u_hlc = 0;
	uint32_t u_oidx = 0;
	size_t i;
	int r;

	if ((r = rstate_decode(buf, len, &st, &u_hlc, &u_oidx)) == -1) {
		assert(st.nf == 0 && st.f == NULL);
		return;
	}
	assert(r == 0 || r == 1);
	if (r == 1) {
		/* The uniform form: nothing but a stamp. */
		assert(st.nf == 0);
		return;
	}
	/* Registers are sorted by name and findable. */
	for (i = 0; i < st.nf; i++) {
		assert(rstate_find(&st, st.f[i].name) == &st.f[i]);
		if (i > 0)
			assert(strcmp(st.f[i - 1].name, st.f[i].name) < 0);
	}
	(void)rstate_conflicts(&st);

	/* With every value: a canonical encoding, a fixed point. */
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&sb2);
	if (rstate_encode(&st, NULL, &sb) != 0)
		abort();
	if (rstate_decode((const uint8_t *)sb.data, sb.size, &st2, &u_hlc,
	    &u_oidx) != 0)
		assert(!"re-encoded rstate does not decode");
	if (rstate_encode(&st2, NULL, &sb2) != 0)
		abort();
	assert(sb.size == sb2.size);
	assert(memcmp(sb.data, sb2.data, sb.size) == 0);
	rstate_fini(&st2);

	/*
	 * As stored for each collection (winners of its fields without their
	 * value, or just a stamp): decoded and filled from the "columns" as
	 * the store does, it must encode to the same bytes.
	 */
	for (c = schema_colls; c->name != NULL; c++) {
		msgpack_sbuffer_clear(&sb);
		msgpack_sbuffer_clear(&sb2);
		if (rstate_encode(&st, c, &sb) != 0)
			abort();
		r = rstate_decode((const uint8_t *)sb.data, sb.size, &st2,
		    &u_hlc, &u_oidx);
		assert(r == 0 || r == 1);
		fill_columns(&st2, r, u_hlc, u_oidx, &st);
		if (rstate_encode(&st2, c, &sb2) != 0)
			abort();
		assert(sb.size == sb2.size);
		assert(memcmp(sb.data, sb2.data, sb.size) == 0);
		rstate_fini(&st2);
	}

	rstate_fini(&st);
	rstate_fini(&st);
	msgpack_sbuffer_destroy(&sb2);
	msgpack_sbuffer_destroy(&sb);
}

static void
fuzz_mpcheck(const uint8_t *buf, size_t len, unsigned depth)
{
	msgpack_zone *z;
	msgpack_object o;
	msgpack_unpack_return ur;
	size_t off = 0;

	if (mpcheck(buf, len, depth) != 0)
		return;
	if ((z = msgpack_zone_new(2048)) == NULL)
		abort();
	ur = msgpack_unpack((const char *)buf, len, &off, z, &o);
	assert(ur == MSGPACK_UNPACK_SUCCESS);
	assert(off == len);
	msgpack_zone_free(z);
}

/* The first two text values of ${cm}, or "". */
static void
two_texts(const struct commit *cm, char a[32], char b[32])
{
	char *out[2] = { a, b };
	size_t i, j, n = 0;
	const struct val *v;

	a[0] = b[0] = '\0';
	for (i = 0; i < cm->nrec && n < 2; i++)
		for (j = 0; j < cm->rec[i].nf && n < 2; j++) {
			v = &cm->rec[i].f[j].v;
			if (v->t != VAL_STR || v->len > 31 ||
			    memchr(v->s, '\0', v->len) != NULL)
				continue;
			memcpy(out[n], v->s, v->len);
			out[n++][v->len] = '\0';
		}
}

static void
fuzz_trust(const uint8_t *buf, size_t len)
{
	static const uint8_t root[32] = { 1 };
	static const uint8_t zero[64];
	struct commit cm;
	struct trust *tr;
	struct trust_rec rec;
	struct trust_as_of as, ask;
	struct val center = { VAL_STR, 0, "north", 5 };
	const struct coll_def *c;
	char name[SCHEMA_NAME_MAX + 1], why[TRUST_WHY_LEN], err[256];
	char exp[32], at[32];
	const char *reason;
	sqlite3_stmt *st;
	sqlite3 *h;
	size_t i, k;
	enum trust_verdict v;

	if (commit_decode(buf, len, &cm, &reason))
		return;
	assert(sqlite3_open(":memory:", &h) == SQLITE_OK);
	assert(sqlite3_exec(h, "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);"
	    "INSERT INTO meta VALUES('admin_key', '01000000000000000000000000"
	    "00000000000000000000000000000000000000')", NULL, NULL,
	    NULL) == SQLITE_OK);
	assert(trust_schema(h, "main", err, sizeof(err)) == 0);
	assert(trust_open(&tr, h) == 0);
	for (i = 0; i < cm.nrec; i++)
		assert(trust_note(tr, cm.origin, cm.seq, &cm.rec[i], true, NULL,
		    NULL, err, sizeof(err)) >= 0);
	two_texts(&cm, exp, at);
	assert(sqlite3_prepare_v2(h, "INSERT OR IGNORE INTO certs VALUES(?1,"
	    " ?2, ?3, '', 'north', 'office', ?4, NULL)", -1, &st, NULL) ==
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, cm.origin, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, zero, 64, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, exp, -1, SQLITE_STATIC);
	assert(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
	assert(sqlite3_prepare_v2(h, "INSERT OR IGNORE INTO revocations"
	    " VALUES(?1, ?2, ?3, ?4, ?5, 'fuzz', NULL)", -1, &st, NULL) ==
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, cm.origin, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, zero, 64, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, root, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)(cm.seq / 2));
	assert(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
	trust_reset(tr);
	assert(trust_standing(tr, 0, cm.origin, cm.seq, cm.hlc, &as) == 0);
	assert(as.st <= TRUST_REVOKED && as.center != NULL &&
	    as.note != NULL);
	assert(trust_standing_key(tr, cm.origin, cm.seq, hlc_ms(cm.hlc), &ask,
	    NULL) == 0);
	assert(trust_same(&as, &ask));
	assert(trust_standing_key(tr, cm.origin, TRUST_SEQ_ANY, hlc_ms(cm.hlc),
	    &ask, NULL) == 0);
	assert(ask.st <= TRUST_REVOKED && ask.center != NULL &&
	    ask.note != NULL);
	for (i = 0; i < cm.nrec; i++) {
		if (cm.rec[i].coll_len > SCHEMA_NAME_MAX)
			continue;
		memcpy(name, cm.rec[i].coll, cm.rec[i].coll_len);
		name[cm.rec[i].coll_len] = '\0';
		if ((c = schema_coll(name)) == NULL)
			continue;
		for (k = 0; k < 2; k++) {
			memset(&rec, 0, sizeof(rec));
			rec.has_center = k == 1;
			rec.center = &center;
			rec.c_hlc = cm.hlc / 2;
			rec.c_origin = root;
			why[0] = '\0';
			v = trust_judge(tr, 0, cm.origin, cm.seq, cm.hlc, c,
			    &cm.rec[i], &rec, why);
			assert(v == TRUST_OK || v == TRUST_REFUSED ||
			    v == TRUST_REDERIVE);
			assert(v != TRUST_REFUSED || (why[0] != '\0' &&
			    memchr(why, '\0', sizeof(why)) != NULL));
		}
	}
	trust_close(tr);
	sqlite3_close(h);
	commit_fini(&cm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mode;

	if (size < 1)
		return (0);
	mode = (uint8_t)(data[0] - 1) % 4u + 1;
	switch (mode) {
	case 1:
		fuzz_commit(data + 1, size - 1);
		break;
	case 2:
		fuzz_rstate(data + 1, size - 1);
		break;
	case 4:
		fuzz_trust(data + 1, size - 1);
		break;
	default:
		if (size < 2)
			break;
		fuzz_mpcheck(data + 2, size - 2, data[1]);
		break;
	}
	return (0);
}

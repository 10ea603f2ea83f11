/*
 * fuzz_commit.c: libFuzzer target for the msgpack decoders of store/ and
 * protocol/.  Compiled against the production sources; no I/O.
 *
 * The first byte b picks mode (b - 1) % 3 + 1 (modulo 256 first), so both
 * the bytes 1, 2, 3 and the digits '1', '2', '3' name modes 1, 2, 3:
 *
 *   1  commit_decode() on the rest.  On success the commit is encoded
 *      again and decoded again: both decodes must give the same commit,
 *      and encoding the second must give the first encoding's bytes.
 *   2  rstate_decode() on the rest.  On success the state's full
 *      encoding must decode to a state that encodes to it again, and so
 *      must its encoding as each collection's (winners' values left to
 *      the columns, or the uniform form) once the values are put back.
 *   3  mpcheck() on the bytes after the second, whose value is the depth
 *      limit.  When mpcheck() accepts, msgpack_unpack() must succeed and
 *      consume every byte: mpcheck's promise that msgpack-c is then safe.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "protocol/mpcheck.h"
#include "store/commit.h"
#include "store/merge.h"
#include "store/schema.h"

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

	assert(memcmp(a->origin, b->origin, COMMIT_KEY_LEN) == 0);
	assert(a->seq == b->seq);
	assert(a->hlc == b->hlc);
	assert(memcmp(a->prev, b->prev, COMMIT_HASH_LEN) == 0);
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mode;

	if (size < 1)
		return (0);
	mode = (uint8_t)(data[0] - 1) % 3u + 1;
	switch (mode) {
	case 1:
		fuzz_commit(data + 1, size - 1);
		break;
	case 2:
		fuzz_rstate(data + 1, size - 1);
		break;
	default:
		if (size < 2)
			break;
		fuzz_mpcheck(data + 2, size - 2, data[1]);
		break;
	}
	return (0);
}

/*
 * commit.c: encode, decode, sign and verify commits.
 */
#include "store/commit.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "protocol/mpcheck.h"

/* body > records > record > fields > change > seen > stamp: depth 7. */
#define COMMIT_DEPTH	7

int
stamp_cmp(const struct stamp *a, const struct stamp *b)
{

	if (a->hlc != b->hlc)
		return (a->hlc < b->hlc ? -1 : 1);
	return (memcmp(a->origin, b->origin, NODE_KEY_LEN));
}

int
commit_pack_val(msgpack_packer *pk, const struct val *v)
{

	switch (v->t) {
	case VAL_STR:
		return (msgpack_pack_str_with_body(pk, v->s, v->len));
	case VAL_INT:
		return (msgpack_pack_int64(pk, v->i));
	case VAL_BOOL:
		return (v->i ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
	default:
		return (msgpack_pack_nil(pk));
	}
}

int
commit_encode(const struct commit *c, msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	const struct rchange *r;
	const struct fchange *f;
	size_t i, j, k;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, c->user != NULL ? 7 : 6);
	e |= msgpack_pack_uint8(&pk, COMMIT_FORMAT);
	e |= msgpack_pack_bin_with_body(&pk, c->origin, NODE_KEY_LEN);
	e |= msgpack_pack_uint64(&pk, c->seq);
	e |= msgpack_pack_uint64(&pk, c->hlc);
	e |= msgpack_pack_bin_with_body(&pk, c->prev, COMMIT_HASH_LEN);
	e |= msgpack_pack_array(&pk, c->nrec);
	for (i = 0; i < c->nrec; i++) {
		r = &c->rec[i];
		e |= msgpack_pack_array(&pk, 3);
		e |= msgpack_pack_str_with_body(&pk, r->coll, r->coll_len);
		e |= msgpack_pack_bin_with_body(&pk, r->id, SCHEMA_ID_LEN);
		e |= msgpack_pack_array(&pk, r->nf);
		for (j = 0; j < r->nf; j++) {
			f = &r->f[j];
			e |= msgpack_pack_array(&pk, 3);
			e |= msgpack_pack_str_with_body(&pk, f->field,
			    f->field_len);
			e |= commit_pack_val(&pk, &f->v);
			e |= msgpack_pack_array(&pk, f->nseen);
			for (k = 0; k < f->nseen; k++) {
				e |= msgpack_pack_array(&pk, 2);
				e |= msgpack_pack_uint64(&pk, f->seen[k].hlc);
				e |= msgpack_pack_bin_with_body(&pk,
				    f->seen[k].origin, NODE_KEY_LEN);
			}
		}
	}
	if (c->user != NULL)
		e |= msgpack_pack_str_with_body(&pk, c->user, c->user_len);
	return (e ? -1 : 0);
}

bool
commit_user_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i;

	if (len == 0 || len > USER_NAME_MAX || !schema_utf8_valid(s, len))
		return (false);
	for (i = 0; i < len; i++) {
		/* C0 and DEL; C1 is U+0080..U+009F, 0xc2 0x80..0x9f. */
		if (u[i] < 0x20 || u[i] == 0x7f)
			return (false);
		if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f)
			return (false);
	}
	return (true);
}

static int
get_val(const msgpack_object *o, struct val *v)
{

	memset(v, 0, sizeof(*v));
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		v->t = VAL_NIL;
		return (0);
	case MSGPACK_OBJECT_BOOLEAN:
		v->t = VAL_BOOL;
		v->i = o->via.boolean;
		return (0);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return (-1);
		v->t = VAL_INT;
		v->i = (int64_t)o->via.u64;
		return (0);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v->t = VAL_INT;
		v->i = o->via.i64;
		return (0);
	case MSGPACK_OBJECT_STR:
		v->t = VAL_STR;
		v->s = o->via.str.ptr;
		v->len = o->via.str.size;
		return (0);
	default:
		return (-1);
	}
}

#define FAIL(msg) do { *why = (msg); goto err; } while (0)

int
commit_decode(const uint8_t *body, size_t len, struct commit *c,
    const char **why)
{
	msgpack_object root, *a, *ra, *fa, *sa;
	msgpack_unpack_return ur;
	struct rchange *r;
	struct fchange *f;
	size_t off = 0, i, j, k, nf = 0, ns = 0;
	uint64_t fmt;
	uint8_t *mem;

	memset(c, 0, sizeof(*c));
	if (len > COMMIT_MAX_LEN)
		FAIL("commit larger than the limit");
	if (mpcheck(body, len, COMMIT_DEPTH))
		FAIL("malformed msgpack");
	if ((c->zone = msgpack_zone_new(8192)) == NULL)
		FAIL("out of memory");
	ur = msgpack_unpack((const char *)body, len, &off, c->zone, &root);
	if (ur != MSGPACK_UNPACK_SUCCESS || off != len)
		FAIL("malformed msgpack");
	/* A seventh element, the user, is there only if a user acted. */
	if (root.type != MSGPACK_OBJECT_ARRAY || (root.via.array.size != 6 &&
	    root.via.array.size != 7))
		FAIL("commit is not a 6- or 7-element array");
	a = root.via.array.ptr;
	if (mp_get_u64(&a[0], &fmt) || fmt != COMMIT_FORMAT)
		FAIL("unknown commit format");
	if (mp_get_bin(&a[1], c->origin, NODE_KEY_LEN) ||
	    mp_get_u64(&a[2], &c->seq) || mp_get_u64(&a[3], &c->hlc) ||
	    mp_get_bin(&a[4], c->prev, COMMIT_HASH_LEN) ||
	    a[5].type != MSGPACK_OBJECT_ARRAY)
		FAIL("bad commit header");
	if (c->seq == 0 || c->seq > INT64_MAX || c->hlc > INT64_MAX)
		FAIL("seq or hlc out of range");
	if (root.via.array.size == 7) {
		if (!mp_is_str(&a[6]) || !commit_user_valid(a[6].via.str.ptr,
		    a[6].via.str.size))
			FAIL("bad user in commit");
		c->user = a[6].via.str.ptr;
		c->user_len = a[6].via.str.size;
	}

	/* Count first, so one allocation holds every change. */
	c->nrec = a[5].via.array.size;
	for (i = 0; i < c->nrec; i++) {
		ra = &a[5].via.array.ptr[i];
		if (ra->type != MSGPACK_OBJECT_ARRAY ||
		    ra->via.array.size != 3 ||
		    ra->via.array.ptr[2].type != MSGPACK_OBJECT_ARRAY)
			FAIL("bad record in commit");
		nf += ra->via.array.ptr[2].via.array.size;
		for (j = 0; j < ra->via.array.ptr[2].via.array.size; j++) {
			fa = &ra->via.array.ptr[2].via.array.ptr[j];
			if (fa->type != MSGPACK_OBJECT_ARRAY ||
			    fa->via.array.size != 3 ||
			    fa->via.array.ptr[2].type != MSGPACK_OBJECT_ARRAY)
				FAIL("bad field change in commit");
			if (fa->via.array.ptr[2].via.array.size >
			    COMMIT_MAX_SEEN)
				FAIL("too many seen heads");
			ns += fa->via.array.ptr[2].via.array.size;
		}
	}
	if ((mem = calloc(1, c->nrec * sizeof(struct rchange) +
	    nf * sizeof(struct fchange) + ns * sizeof(struct stamp) + 1)) ==
	    NULL)
		FAIL("out of memory");
	c->mem = mem;
	c->rec = (struct rchange *)mem;
	f = (struct fchange *)(mem + c->nrec * sizeof(struct rchange));
	/* struct stamp has 8-byte alignment, as do the others. */
	for (i = 0; i < c->nrec; i++) {
		ra = a[5].via.array.ptr[i].via.array.ptr;
		r = &c->rec[i];
		if (!mp_is_str(&ra[0]) ||
		    mp_get_bin(&ra[1], r->id, SCHEMA_ID_LEN))
			FAIL("bad record header in commit");
		r->coll = ra[0].via.str.ptr;
		r->coll_len = ra[0].via.str.size;
		if (!schema_name_valid(r->coll, r->coll_len))
			FAIL("bad collection name in commit");
		r->nf = ra[2].via.array.size;
		r->f = f;
		f += r->nf;
	}
	{
		struct stamp *st = (struct stamp *)f;

		for (i = 0; i < c->nrec; i++) {
			r = &c->rec[i];
			ra = a[5].via.array.ptr[i].via.array.ptr;
			for (j = 0; j < r->nf; j++) {
				fa = ra[2].via.array.ptr[j].via.array.ptr;
				if (!mp_is_str(&fa[0]) ||
				    get_val(&fa[1], &r->f[j].v))
					FAIL("bad field change in commit");
				r->f[j].field = fa[0].via.str.ptr;
				r->f[j].field_len = fa[0].via.str.size;
				if (!(schema_name_valid(r->f[j].field,
				    r->f[j].field_len) ||
				    (r->f[j].field_len == 8 && memcmp(
				    r->f[j].field, SCHEMA_DELETED, 8) == 0)))
					FAIL("bad field name in commit");
				if (r->f[j].v.t == VAL_STR &&
				    !schema_utf8_valid(r->f[j].v.s,
				    r->f[j].v.len))
					FAIL("invalid UTF-8 in commit");
				r->f[j].nseen = fa[2].via.array.size;
				r->f[j].seen = st;
				for (k = 0; k < r->f[j].nseen; k++) {
					sa = &fa[2].via.array.ptr[k];
					if (sa->type != MSGPACK_OBJECT_ARRAY ||
					    sa->via.array.size != 2 ||
					    mp_get_u64(&sa->via.array.ptr[0],
					    &st->hlc) ||
					    mp_get_bin(
					    &sa->via.array.ptr[1], st->origin,
					    NODE_KEY_LEN))
						FAIL("bad seen stamp in commit");
					st++;
				}
			}
		}
	}
	return (0);

err:
	commit_fini(c);
	return (-1);
}

int
commit_peek(const uint8_t *b, size_t len, uint8_t origin[NODE_KEY_LEN],
    uint64_t *seq)
{
	size_t n, i, off = 4 + NODE_KEY_LEN;

	/* [1, bin 32, seq, ...]: fixarray 6 (7 with a user), fixint 1, bin8. */
	if (len < off + 1 || (b[0] != 0x96 && b[0] != 0x97) ||
	    b[1] != COMMIT_FORMAT ||
	    b[2] != 0xc4 || b[3] != NODE_KEY_LEN)
		return (-1);
	memcpy(origin, b + 4, NODE_KEY_LEN);
	if (b[off] < 0x80) {
		*seq = b[off];
		return (0);
	}
	switch (b[off]) {
	case 0xcc: n = 1; break;
	case 0xcd: n = 2; break;
	case 0xce: n = 4; break;
	case 0xcf: n = 8; break;
	default: return (-1);
	}
	if (len - off - 1 < n)
		return (-1);
	for (*seq = 0, i = 0; i < n; i++)
		*seq = (*seq << 8) | b[off + 1 + i];
	return (0);
}

void
commit_fini(struct commit *c)
{

	if (c->zone != NULL)
		msgpack_zone_free(c->zone);
	free(c->mem);
	c->zone = NULL;
	c->mem = NULL;
	c->rec = NULL;
	c->nrec = 0;
	c->user = NULL;
	c->user_len = 0;
}

/* What is signed: a context string, then the commit's hash. */
static void
sig_msg(const uint8_t hash[COMMIT_HASH_LEN],
    uint8_t m[sizeof(COMMIT_SIG_CONTEXT) + COMMIT_HASH_LEN])
{

	memcpy(m, COMMIT_SIG_CONTEXT, sizeof(COMMIT_SIG_CONTEXT));
	memcpy(m + sizeof(COMMIT_SIG_CONTEXT), hash, COMMIT_HASH_LEN);
}

void
commit_sign(const uint8_t hash[COMMIT_HASH_LEN],
    const uint8_t sk[NODE_SK_LEN], uint8_t sig[NODE_SIG_LEN])
{
	uint8_t m[sizeof(COMMIT_SIG_CONTEXT) + COMMIT_HASH_LEN];

	sig_msg(hash, m);
	crypto_sign_detached(sig, NULL, m, sizeof(m), sk);
}

int
commit_verify(const uint8_t hash[COMMIT_HASH_LEN],
    const uint8_t origin[NODE_KEY_LEN], const uint8_t sig[NODE_SIG_LEN])
{
	uint8_t m[sizeof(COMMIT_SIG_CONTEXT) + COMMIT_HASH_LEN];

	sig_msg(hash, m);
	return (crypto_sign_verify_detached(sig, m, sizeof(m), origin) == 0 ?
	    0 : -1);
}

void
commit_hash(const uint8_t *body, size_t len, uint8_t out[COMMIT_HASH_LEN])
{

	crypto_generichash(out, COMMIT_HASH_LEN, body, len, NULL, 0);
}

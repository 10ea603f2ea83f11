/*
 * merge.c: multi-value registers with seen-heads supersession.
 */
#include "store/merge.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/mpcheck.h"
#include "store/commit.h"

static int
head_cmp(const struct merge_ctx *ctx, uint64_t ah, uint32_t ao, uint64_t bh,
    uint32_t bo)
{

	if (ah != bh)
		return (ah < bh ? -1 : 1);
	if (ao == bo)
		return (0);
	return (memcmp(ctx->key(ctx->arg, ao), ctx->key(ctx->arg, bo),
	    NODE_KEY_LEN));
}

static void
head_free(struct mhead *h)
{

	if (h->owned && h->v.t == VAL_STR)
		free((void *)(uintptr_t)h->v.s);
	memset(&h->v, 0, sizeof(h->v));
	h->owned = false;
}

int
rstate_set_val(struct mhead *h, const struct val *v)
{
	char *s;

	head_free(h);
	h->v = *v;
	h->has_v = true;
	if (v->t == VAL_STR) {
		h->owned = true;
		if ((s = malloc(v->len + 1)) == NULL) {
			h->v.t = VAL_NIL;
			return (-1);
		}
		/* msgpack-c gives an empty string a NULL pointer. */
		if (v->len > 0)
			memcpy(s, v->s, v->len);
		s[v->len] = '\0';
		h->v.s = s;
	}
	return (0);
}

static int
grow(void **p, size_t *alloc, size_t need, size_t elsz)
{
	size_t n;
	void *q;

	if (need <= *alloc)
		return (0);
	n = *alloc ? *alloc * 2 : 2;
	while (n < need)
		n *= 2;
	if ((q = realloc(*p, n * elsz)) == NULL)
		return (-1);
	*p = q;
	*alloc = n;
	return (0);
}

struct freg *
rstate_find(const struct rstate *st, const char *name)
{
	size_t lo = 0, hi = st->nf, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(st->f[mid].name, name)) == 0)
			return (&st->f[mid]);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

static struct freg *
find_or_add(struct rstate *st, const char *name, size_t len)
{
	char nm[SCHEMA_NAME_MAX + 1];
	size_t i;
	int c;

	if (len == 0 || len > SCHEMA_NAME_MAX || memchr(name, '\0', len))
		return (NULL);
	memcpy(nm, name, len);
	nm[len] = '\0';
	for (i = 0; i < st->nf; i++) {
		if ((c = strcmp(st->f[i].name, nm)) == 0)
			return (&st->f[i]);
		if (c > 0)
			break;
	}
	if (grow((void **)&st->f, &st->af, st->nf + 1, sizeof(*st->f)))
		return (NULL);
	memmove(&st->f[i + 1], &st->f[i], (st->nf - i) * sizeof(*st->f));
	memset(&st->f[i], 0, sizeof(st->f[i]));
	memcpy(st->f[i].name, nm, len + 1);
	st->nf++;
	return (&st->f[i]);
}

static ssize_t
find_pend(const struct freg *r, uint64_t hlc, uint32_t oidx)
{
	size_t i;

	for (i = 0; i < r->np; i++)
		if (r->p[i].hlc == hlc && r->p[i].oidx == oidx)
			return ((ssize_t)i);
	return (-1);
}

static int
add_pend(struct freg *r, uint64_t hlc, uint32_t oidx)
{
	size_t i;

	if (find_pend(r, hlc, oidx) >= 0)
		return (0);
	if (grow((void **)&r->p, &r->ap, r->np + 1, sizeof(*r->p)))
		return (-1);
	for (i = r->np; i > 0; i--) {
		if (r->p[i - 1].hlc < hlc || (r->p[i - 1].hlc == hlc &&
		    r->p[i - 1].oidx < oidx))
			break;
		r->p[i] = r->p[i - 1];
	}
	r->p[i].hlc = hlc;
	r->p[i].oidx = oidx;
	r->np++;
	return (0);
}

int
rstate_apply(struct rstate *st, const struct merge_ctx *ctx,
    const char *field, size_t len, uint64_t hlc, uint32_t oidx,
    const struct val *v, const uint64_t *seen_hlc, const uint32_t *seen_oidx,
    size_t nseen)
{
	struct freg *r;
	struct mhead nh;
	ssize_t pi;
	size_t i, k;

	if ((r = find_or_add(st, field, len)) == NULL)
		return (-1);

	/* What the writer saw is superseded, now or when it arrives. */
	for (k = 0; k < nseen; k++) {
		for (i = 0; i < r->nh; i++)
			if (r->h[i].hlc == seen_hlc[k] &&
			    r->h[i].oidx == seen_oidx[k])
				break;
		if (i < r->nh) {
			head_free(&r->h[i]);
			memmove(&r->h[i], &r->h[i + 1],
			    (r->nh - i - 1) * sizeof(*r->h));
			r->nh--;
		} else if (!ctx->applied(ctx->arg, seen_hlc[k], seen_oidx[k])) {
			if (add_pend(r, seen_hlc[k], seen_oidx[k]))
				return (-1);
		}
	}

	/* Born superseded: someone already saw this write. */
	if ((pi = find_pend(r, hlc, oidx)) >= 0) {
		memmove(&r->p[pi], &r->p[pi + 1],
		    (r->np - (size_t)pi - 1) * sizeof(*r->p));
		r->np--;
		return (0);
	}
	for (i = 0; i < r->nh; i++)
		if (r->h[i].hlc == hlc && r->h[i].oidx == oidx)
			return (0);	/* Already a head. */

	memset(&nh, 0, sizeof(nh));
	nh.hlc = hlc;
	nh.oidx = oidx;
	if (ctx->borrow) {
		nh.v = *v;
		nh.has_v = true;
	} else if (rstate_set_val(&nh, v))
		return (-1);
	if (grow((void **)&r->h, &r->ah, r->nh + 1, sizeof(*r->h))) {
		head_free(&nh);
		return (-1);
	}
	for (i = r->nh; i > 0; i--) {
		if (head_cmp(ctx, r->h[i - 1].hlc, r->h[i - 1].oidx, hlc,
		    oidx) < 0)
			break;
		r->h[i] = r->h[i - 1];
	}
	r->h[i] = nh;
	r->nh++;
	return (0);
}

const struct mhead *
freg_winner(const struct freg *r)
{

	return (r->nh > 0 ? &r->h[r->nh - 1] : NULL);
}

static bool
val_eq(const struct val *a, const struct val *b)
{

	if (a->t != b->t)
		return (false);
	if (a->t == VAL_STR)
		return (a->len == b->len && memcmp(a->s, b->s, a->len) == 0);
	return (a->t == VAL_NIL || a->i == b->i);
}

bool
freg_conflict(const struct freg *r)
{
	size_t i;

	for (i = 1; i < r->nh; i++)
		if (!val_eq(&r->h[0].v, &r->h[i].v))
			return (true);
	return (false);
}

size_t
rstate_conflicts(const struct rstate *st)
{
	size_t i, n = 0;

	for (i = 0; i < st->nf; i++)
		if (freg_conflict(&st->f[i]))
			n++;
	return (n);
}

/*
 * Uniform: every field is known, has one head with a value and nothing
 * pending, and all heads carry the same stamp.  The columns then say
 * everything but that one stamp.
 */
static bool
rstate_uniform(const struct rstate *st, const struct coll_def *c)
{
	const struct freg *r;
	size_t i;

	if (c == NULL || st->nf == 0)
		return (false);
	for (i = 0; i < st->nf; i++) {
		r = &st->f[i];
		if (r->nh != 1 || r->np != 0 || r->h[0].v.t == VAL_NIL ||
		    r->h[0].hlc != st->f[0].h[0].hlc ||
		    r->h[0].oidx != st->f[0].h[0].oidx ||
		    schema_field(c, r->name, strlen(r->name)) == NULL)
			return (false);
	}
	return (true);
}

int
rstate_add_head(struct rstate *st, const char *name, uint64_t hlc,
    uint32_t oidx)
{
	struct freg *r;

	if ((r = find_or_add(st, name, strlen(name))) == NULL ||
	    grow((void **)&r->h, &r->ah, r->nh + 1, sizeof(*r->h)))
		return (-1);
	memset(&r->h[r->nh], 0, sizeof(r->h[0]));
	r->h[r->nh].hlc = hlc;
	r->h[r->nh].oidx = oidx;
	r->nh++;
	return (0);
}

int
rstate_encode(const struct rstate *st, const struct coll_def *c,
    msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	const struct freg *r;
	const struct mhead *h;
	bool known;
	size_t i, j;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	if (rstate_uniform(st, c)) {
		/* The common case — one writer, one commit — in a few bytes. */
		e |= msgpack_pack_array(&pk, 2);
		e |= msgpack_pack_uint64(&pk, st->f[0].h[0].hlc);
		e |= msgpack_pack_uint32(&pk, st->f[0].h[0].oidx);
		return (e ? -1 : 0);
	}
	e |= msgpack_pack_array(&pk, st->nf);
	for (i = 0; i < st->nf; i++) {
		r = &st->f[i];
		known = c != NULL &&
		    schema_field(c, r->name, strlen(r->name)) != NULL;
		e |= msgpack_pack_array(&pk, 3);
		e |= msgpack_pack_str_with_body(&pk, r->name, strlen(r->name));
		e |= msgpack_pack_array(&pk, r->nh);
		for (j = 0; j < r->nh; j++) {
			h = &r->h[j];
			if (known && j == r->nh - 1) {
				e |= msgpack_pack_array(&pk, 2);
			} else {
				e |= msgpack_pack_array(&pk, 3);
			}
			e |= msgpack_pack_uint64(&pk, h->hlc);
			e |= msgpack_pack_uint32(&pk, h->oidx);
			if (!(known && j == r->nh - 1))
				e |= commit_pack_val(&pk, &h->v);
		}
		e |= msgpack_pack_array(&pk, r->np);
		for (j = 0; j < r->np; j++) {
			e |= msgpack_pack_array(&pk, 2);
			e |= msgpack_pack_uint64(&pk, r->p[j].hlc);
			e |= msgpack_pack_uint32(&pk, r->p[j].oidx);
		}
	}
	return (e ? -1 : 0);
}

/* A tiny cursor reader for our own state blobs (written by us above). */
struct rd {
	const uint8_t	*p, *end;
};

static int
rd_unpack(struct rd *rd, msgpack_object *o, msgpack_zone *z)
{
	size_t off = 0;

	if (msgpack_unpack((const char *)rd->p, (size_t)(rd->end - rd->p),
	    &off, z, o) != MSGPACK_UNPACK_SUCCESS)
		return (-1);
	rd->p += off;
	return (0);
}

int
rstate_decode(const uint8_t *buf, size_t len, struct rstate *st,
    uint64_t *u_hlc, uint32_t *u_oidx)
{
	msgpack_zone *z;
	msgpack_object root, *fo, *ho;
	const msgpack_object_str *nm;
	struct rd rd = { buf, buf + len };
	struct freg *r;
	struct mhead *h;
	struct val v;
	size_t i, j;

	memset(st, 0, sizeof(*st));
	if (mpcheck(buf, len, 4))
		return (-1);
	if ((z = msgpack_zone_new(2048)) == NULL)
		return (-1);
	if (rd_unpack(&rd, &root, z) || root.type != MSGPACK_OBJECT_ARRAY)
		goto err;
	if (root.via.array.size == 2 && mp_is_uint(&root.via.array.ptr[0]) && mp_is_uint(&root.via.array.ptr[1])) {
		*u_hlc = root.via.array.ptr[0].via.u64;
		*u_oidx = (uint32_t)root.via.array.ptr[1].via.u64;
		msgpack_zone_free(z);
		return (1);
	}
	for (i = 0; i < root.via.array.size; i++) {
		fo = &root.via.array.ptr[i];
		if (fo->type != MSGPACK_OBJECT_ARRAY ||
		    fo->via.array.size != 3 ||
		    !mp_is_str(&fo->via.array.ptr[0]) ||
		    fo->via.array.ptr[1].type != MSGPACK_OBJECT_ARRAY ||
		    fo->via.array.ptr[2].type != MSGPACK_OBJECT_ARRAY)
			goto err;
		/* Our own encoding: names valid, unique, in order. */
		nm = &fo->via.array.ptr[0].via.str;
		if (!(schema_name_valid(nm->ptr, nm->size) || (nm->size == 8 &&
		    memcmp(nm->ptr, SCHEMA_DELETED, 8) == 0)))
			goto err;
		if ((r = find_or_add(st, nm->ptr, nm->size)) == NULL ||
		    r != &st->f[st->nf - 1] || r->nh != 0 || r->np != 0)
			goto err;
		if (grow((void **)&r->h, &r->ah,
		    fo->via.array.ptr[1].via.array.size, sizeof(*r->h)) ||
		    grow((void **)&r->p, &r->ap,
		    fo->via.array.ptr[2].via.array.size, sizeof(*r->p)))
			goto err;
		for (j = 0; j < fo->via.array.ptr[1].via.array.size; j++) {
			ho = &fo->via.array.ptr[1].via.array.ptr[j];
			if (ho->type != MSGPACK_OBJECT_ARRAY ||
			    ho->via.array.size < 2 ||
			    !mp_is_uint(&ho->via.array.ptr[0]) ||
			    !mp_is_uint(&ho->via.array.ptr[1]))
				goto err;
			h = &r->h[r->nh++];
			memset(h, 0, sizeof(*h));
			h->hlc = ho->via.array.ptr[0].via.u64;
			h->oidx = (uint32_t)ho->via.array.ptr[1].via.u64;
			if (ho->via.array.size < 3)
				continue;
			memset(&v, 0, sizeof(v));
			switch (ho->via.array.ptr[2].type) {
			case MSGPACK_OBJECT_STR:
				v.t = VAL_STR;
				v.s = ho->via.array.ptr[2].via.str.ptr;
				v.len = ho->via.array.ptr[2].via.str.size;
				break;
			case MSGPACK_OBJECT_POSITIVE_INTEGER:
				v.t = VAL_INT;
				v.i = (int64_t)ho->via.array.ptr[2].via.u64;
				break;
			case MSGPACK_OBJECT_NEGATIVE_INTEGER:
				v.t = VAL_INT;
				v.i = ho->via.array.ptr[2].via.i64;
				break;
			case MSGPACK_OBJECT_BOOLEAN:
				v.t = VAL_BOOL;
				v.i = ho->via.array.ptr[2].via.boolean;
				break;
			default:
				break;
			}
			if (rstate_set_val(h, &v))
				goto err;
		}
		for (j = 0; j < fo->via.array.ptr[2].via.array.size; j++) {
			ho = &fo->via.array.ptr[2].via.array.ptr[j];
			if (ho->type != MSGPACK_OBJECT_ARRAY ||
			    ho->via.array.size != 2 ||
			    !mp_is_uint(&ho->via.array.ptr[0]) ||
			    !mp_is_uint(&ho->via.array.ptr[1]))
				goto err;
			r->p[r->np].hlc = ho->via.array.ptr[0].via.u64;
			r->p[r->np].oidx =
			    (uint32_t)ho->via.array.ptr[1].via.u64;
			r->np++;
		}
	}
	msgpack_zone_free(z);
	return (0);

err:
	msgpack_zone_free(z);
	rstate_fini(st);
	return (-1);
}

void
rstate_fini(struct rstate *st)
{
	size_t i, j;

	for (i = 0; i < st->nf; i++) {
		for (j = 0; j < st->f[i].nh; j++)
			head_free(&st->f[i].h[j]);
		free(st->f[i].h);
		free(st->f[i].p);
	}
	free(st->f);
	memset(st, 0, sizeof(*st));
}

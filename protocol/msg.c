/*
 * msg.c: encode and decode session messages, and compress COMMITS and
 * PART for peers that offered zstd.  No I/O.
 */
#include "protocol/msg.h"

#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "protocol/limits.h"
#include "protocol/mpcheck.h"
#include "protocol/proto.h"

static int
pack_vec(msgpack_packer *pk, const struct msg_vec *v, size_t n)
{
	size_t i;
	int e = 0;

	e |= msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++) {
		e |= msgpack_pack_array(pk, 2);
		e |= msgpack_pack_bin_with_body(pk, v[i].origin,
		    MSG_VEC_KEY_LEN);
		e |= msgpack_pack_uint64(pk, v[i].seq);
	}
	return (e);
}

size_t
msg_utf8_char(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return (1);
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else
		return (0);	/* A continuation byte, C0, C1 or F5..FF. */
	if (n < len)
		return (0);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* Overlong, a surrogate (CESU, WTF-8), or past Unicode. */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return (0);
	*cp = c;
	return (len);
}

bool
msg_is_control(uint32_t cp)
{

	return (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f));
}

bool
msg_text_ok(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t cp;
	size_t k;

	while (n > 0) {
		if ((k = msg_utf8_char(p, n, &cp)) == 0 || msg_is_control(cp))
			return (false);
		p += k;
		n -= k;
	}
	return (true);
}

/*
 * Pack ${s} as a str of at most ${max} bytes that any decoder accepts:
 * whole characters only, each control character or invalid byte as '?'.
 * Ours are plain text already; this keeps a long or odd one (a reason
 * quoting a record) from making the peer refuse the whole message.
 */
static int
pack_text(msgpack_packer *pk, const char *s, size_t max)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s), len = 0, k;
	uint32_t cp;
	char *t;
	int e;

	if (n > 4 * max)
		n = 4 * max;	/* Enough to fill max, whatever is cut. */
	if ((t = malloc(max + 1)) == NULL)
		return (-1);
	while (n > 0) {
		k = msg_utf8_char(p, n, &cp);
		if (k == 0 || msg_is_control(cp)) {
			if (len + 1 > max)
				break;
			t[len++] = '?';
			k = k == 0 ? 1 : k;
		} else {
			if (len + k > max)
				break;
			memcpy(t + len, p, k);
			len += k;
		}
		p += k;
		n -= k;
	}
	e = msgpack_pack_str_with_body(pk, t, len);
	free(t);
	return (e);
}

int
msg_hello(msgpack_sbuffer *sb, const char *name, const struct msg_vec *v,
    size_t n, uint64_t features, uint64_t clock, bool more)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 8);
	e |= msgpack_pack_uint8(&pk, MSG_HELLO);
	e |= msgpack_pack_uint8(&pk, MSG_VERSION);
	e |= msgpack_pack_uint8(&pk, MSG_VERSION);
	e |= pack_text(&pk, name, MSG_NAME_MAX);
	e |= pack_vec(&pk, v, n);
	e |= msgpack_pack_uint64(&pk, features);
	e |= msgpack_pack_uint64(&pk, clock);
	e |= more ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
	return (e ? -1 : 0);
}

/* ACK and VECTOR: [type, vector, more]. */
static int
pack_vecmsg(msgpack_sbuffer *sb, enum msg_type t, const struct msg_vec *v,
    size_t n, bool more)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 3);
	e |= msgpack_pack_uint8(&pk, (uint8_t)t);
	e |= pack_vec(&pk, v, n);
	e |= more ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
	return (e ? -1 : 0);
}

int
msg_ack(msgpack_sbuffer *sb, const struct msg_vec *v, size_t n, bool more)
{

	return (pack_vecmsg(sb, MSG_ACK, v, n, more));
}

int
msg_vector(msgpack_sbuffer *sb, const struct msg_vec *v, size_t n,
    bool more)
{

	return (pack_vecmsg(sb, MSG_VECTOR, v, n, more));
}

int
msg_commits_begin(msgpack_sbuffer *sb, size_t n)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_uint8(&pk, MSG_COMMITS);
	e |= msgpack_pack_array(&pk, n);
	return (e ? -1 : 0);
}

int
msg_commits_add(msgpack_sbuffer *sb, const uint8_t *body, size_t len,
    const uint8_t *sig)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_bin_with_body(&pk, body, len);
	e |= msgpack_pack_bin_with_body(&pk, sig, NODE_SIG_LEN);
	return (e ? -1 : 0);
}

int
msg_ping(msgpack_sbuffer *sb, enum msg_type t, uint64_t nonce)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_uint8(&pk, (uint8_t)t);
	e |= msgpack_pack_uint64(&pk, nonce);
	return (e ? -1 : 0);
}

int
msg_bye(msgpack_sbuffer *sb, const char *reason)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_uint8(&pk, MSG_BYE);
	e |= pack_text(&pk, reason, MSG_REASON_MAX);
	return (e ? -1 : 0);
}

int
msg_part(msgpack_sbuffer *sb, uint64_t total, uint64_t offset,
    const uint8_t *b, size_t len, const uint8_t *sig)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 5);
	e |= msgpack_pack_uint8(&pk, MSG_PART);
	e |= msgpack_pack_uint64(&pk, total);
	e |= msgpack_pack_uint64(&pk, offset);
	e |= msgpack_pack_bin_with_body(&pk, b, len);
	e |= msgpack_pack_bin_with_body(&pk, sig, NODE_SIG_LEN);
	return (e ? -1 : 0);
}

int
msg_zstd(msgpack_sbuffer *sb, uint64_t raw_len, const uint8_t *z, size_t len)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 3);
	e |= msgpack_pack_uint8(&pk, MSG_ZSTD);
	e |= msgpack_pack_uint64(&pk, raw_len);
	e |= msgpack_pack_bin_with_body(&pk, z, len);
	return (e ? -1 : 0);
}

int
msg_fork(msgpack_sbuffer *sb, const uint8_t *a, size_t alen,
    const uint8_t *asig, const uint8_t *b, size_t blen, const uint8_t *bsig)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_uint8(&pk, MSG_FORK);
	e |= msgpack_pack_array(&pk, 2);
	if (e == 0 && (msg_commits_add(sb, a, alen, asig) ||
	    msg_commits_add(sb, b, blen, bsig)))
		return (-1);
	return (e ? -1 : 0);
}

static int
get_vec(struct msg *m, const msgpack_object *o)
{
	const msgpack_object *e;
	size_t i;

	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > MSG_MAX_ORIGINS)
		return (PROTO_EMSG);
	m->nvec = o->via.array.size;
	if ((m->vec = calloc(m->nvec + 1, sizeof(*m->vec))) == NULL)
		return (PROTO_ENOMEM);
	m->mem = m->vec;
	for (i = 0; i < m->nvec; i++) {
		e = &o->via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2 ||
		    !mp_is_bin(&e->via.array.ptr[0]) ||
		    e->via.array.ptr[0].via.bin.size != MSG_VEC_KEY_LEN ||
		    !mp_is_uint(&e->via.array.ptr[1]))
			return (PROTO_EMSG);
		m->vec[i].origin =
		    (const uint8_t *)e->via.array.ptr[0].via.bin.ptr;
		m->vec[i].seq = e->via.array.ptr[1].via.u64;
	}
	return (PROTO_OK);
}

/*
 * A name or reason: logged and shown, so no newline may forge a line and
 * no escape sequence may reach a terminal (agent/daemon/log.c escapes on output
 * too, for text that came by other ways).
 */
static int
get_text(struct msg *m, const msgpack_object *o, size_t max)
{

	if (!mp_is_str(o) || o->via.str.size > max ||
	    !msg_text_ok(o->via.str.ptr, o->via.str.size))
		return (PROTO_EMSG);
	m->text = o->via.str.ptr;
	m->text_len = o->via.str.size;
	return (PROTO_OK);
}

int
msg_decode(const uint8_t *buf, size_t len, struct msg *m)
{
	msgpack_object root, *a, *c;
	size_t off = 0, i, n;

	memset(m, 0, sizeof(*m));
	if (mpcheck(buf, len, MSG_MAX_DEPTH))
		return (PROTO_EMSG);
	if ((m->zone = msgpack_zone_new(4096)) == NULL)
		return (PROTO_ENOMEM);
	if (msgpack_unpack((const char *)buf, len, &off, m->zone, &root) !=
	    MSGPACK_UNPACK_SUCCESS || off != len ||
	    root.type != MSGPACK_OBJECT_ARRAY || root.via.array.size < 2)
		return (PROTO_EMSG);
	a = root.via.array.ptr;
	n = root.via.array.size;
	if (!mp_is_uint(&a[0]))
		return (PROTO_EMSG);
	m->type = (enum msg_type)a[0].via.u64;
	switch (a[0].via.u64) {
	case MSG_HELLO:
		/*
		 * [1, ver_min, ver_max, ...] in every version: a HELLO of
		 * another is read that far, for the session to say so.
		 */
		if (n < 3 || !mp_is_uint(&a[1]) || !mp_is_uint(&a[2]))
			return (PROTO_EMSG);
		m->ver_min = a[1].via.u64;
		m->ver_max = a[2].via.u64;
		if (m->ver_min > MSG_VERSION || m->ver_max < MSG_VERSION)
			return (PROTO_OK);
		if (n != 8 || !mp_is_uint(&a[5]) || !mp_is_uint(&a[6]) ||
		    a[7].type != MSGPACK_OBJECT_BOOLEAN)
			return (PROTO_EMSG);
		m->features = a[5].via.u64;
		m->clock = a[6].via.u64;
		m->more = a[7].via.boolean;
		if (get_text(m, &a[3], MSG_NAME_MAX))
			return (PROTO_EMSG);
		return (get_vec(m, &a[4]));
	case MSG_ACK:
	case MSG_VECTOR:
		if (n != 3 || a[2].type != MSGPACK_OBJECT_BOOLEAN)
			return (PROTO_EMSG);
		m->more = a[2].via.boolean;
		return (get_vec(m, &a[1]));
	case MSG_COMMITS:
	case MSG_FORK:
		/* A fork proof is a list of exactly two commits. */
		if (n != 2 || a[1].type != MSGPACK_OBJECT_ARRAY ||
		    a[1].via.array.size > MSG_MAX_COMMITS ||
		    (m->type == MSG_FORK && a[1].via.array.size != 2))
			return (PROTO_EMSG);
		m->ncommits = a[1].via.array.size;
		if ((m->commits = calloc(m->ncommits + 1,
		    sizeof(*m->commits))) == NULL)
			return (PROTO_ENOMEM);
		m->mem = m->commits;
		for (i = 0; i < m->ncommits; i++) {
			c = &a[1].via.array.ptr[i];
			if (c->type != MSGPACK_OBJECT_ARRAY ||
			    c->via.array.size != 2 ||
			    !mp_is_bin(&c->via.array.ptr[0]) ||
			    !mp_is_bin(&c->via.array.ptr[1]) ||
			    c->via.array.ptr[1].via.bin.size != NODE_SIG_LEN)
				return (PROTO_EMSG);
			m->commits[i].body =
			    (const uint8_t *)c->via.array.ptr[0].via.bin.ptr;
			m->commits[i].len = c->via.array.ptr[0].via.bin.size;
			m->commits[i].sig =
			    (const uint8_t *)c->via.array.ptr[1].via.bin.ptr;
		}
		return (PROTO_OK);
	case MSG_PING:
	case MSG_PONG:
		if (n != 2 || !mp_is_uint(&a[1]))
			return (PROTO_EMSG);
		m->nonce = a[1].via.u64;
		return (PROTO_OK);
	case MSG_BYE:
		if (n != 2)
			return (PROTO_EMSG);
		return (get_text(m, &a[1], MSG_REASON_MAX));
	case MSG_PART:
		if (n != 5 || !mp_is_uint(&a[1]) || !mp_is_uint(&a[2]) ||
		    !mp_is_bin(&a[3]) ||
		    !mp_is_bin(&a[4]) ||
		    a[4].via.bin.size != NODE_SIG_LEN)
			return (PROTO_EMSG);
		m->total = a[1].via.u64;
		m->offset = a[2].via.u64;
		if ((m->commits = calloc(1, sizeof(*m->commits))) == NULL)
			return (PROTO_ENOMEM);
		m->mem = m->commits;
		m->ncommits = 1;
		m->commits[0].body = (const uint8_t *)a[3].via.bin.ptr;
		m->commits[0].len = a[3].via.bin.size;
		m->commits[0].sig = (const uint8_t *)a[4].via.bin.ptr;
		return (PROTO_OK);
	case MSG_ZSTD:
		/*
		 * raw_len sizes the decompression buffer: it meets the frame
		 * limit here, before anyone allocates or decompresses.
		 */
		if (n != 3 || !mp_is_uint(&a[1]) || a[1].via.u64 == 0 ||
		    a[1].via.u64 > FRAME_MAX_LEN ||
		    !mp_is_bin(&a[2]))
			return (PROTO_EMSG);
		m->raw_len = a[1].via.u64;
		m->zbytes = (const uint8_t *)a[2].via.bin.ptr;
		m->zlen = a[2].via.bin.size;
		return (PROTO_OK);
	default:
		return (PROTO_EMSG);
	}
}

void
msg_fini(struct msg *m)
{

	if (m->zone != NULL)
		msgpack_zone_free(m->zone);
	free(m->mem);
	memset(m, 0, sizeof(*m));
}

/*
 * Compression (PROTOCOL.md, "Compression").  The contexts are made on
 * first use, so a session with a peer that never offered zstd costs
 * nothing; the buffers only ever grow, to at most a frame.
 */
struct msg_z {
	ZSTD_CCtx	*cctx;
	ZSTD_DCtx	*dctx;
	uint8_t		*cbuf, *dbuf;
	size_t		ccap, dcap;
};

struct msg_z *
msg_z_new(void)
{

	return (calloc(1, sizeof(struct msg_z)));
}

void
msg_z_free(struct msg_z *z)
{

	if (z == NULL)
		return;
	ZSTD_freeCCtx(z->cctx);
	ZSTD_freeDCtx(z->dctx);
	free(z->cbuf);
	free(z->dbuf);
	free(z);
}

/* Make ${*buf} hold at least ${n} bytes; 0 or -1. */
static int
grow(uint8_t **buf, size_t *cap, size_t n)
{
	uint8_t *p;

	if (n <= *cap)
		return (0);
	if ((p = realloc(*buf, n)) == NULL)
		return (-1);
	*buf = p;
	*cap = n;
	return (0);
}

ssize_t
msg_z_compress(struct msg_z *z, const uint8_t *msg, size_t len,
    const uint8_t **out)
{
	size_t want, r;

	*out = NULL;
	/* The ZSTD message must come out smaller than ${msg}. */
	if (len <= MSG_ZSTD_OVERHEAD + 1)
		return (0);
	want = len - MSG_ZSTD_OVERHEAD - 1;
	if (z->cctx == NULL) {
		if ((z->cctx = ZSTD_createCCtx()) == NULL)
			return (-1);
		/*
		 * The content size goes into the frame header (the receiver
		 * checks it against raw_len); no checksum: the frame's AEAD
		 * already authenticates every byte.
		 */
		if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
		    ZSTD_c_compressionLevel, MSG_ZSTD_LEVEL)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
		    ZSTD_c_contentSizeFlag, 1))) {
			ZSTD_freeCCtx(z->cctx);
			z->cctx = NULL;
			return (-1);
		}
	}
	/* Room for the worst case, so a full buffer means "no gain". */
	if (grow(&z->cbuf, &z->ccap, ZSTD_compressBound(len)))
		return (-1);
	r = ZSTD_compress2(z->cctx, z->cbuf, z->ccap, msg, len);
	if (ZSTD_isError(r)) {
		/* zstd only fails here for want of memory. */
		ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_only);
		return (-1);
	}
	if (r > want)
		return (0);
	*out = z->cbuf;
	return ((ssize_t)r);
}

int
msg_z_decode(struct msg_z *z, const struct msg *zm, struct msg *m)
{
	unsigned long long declared;
	size_t r;
	int e;

	memset(m, 0, sizeof(*m));
	if (zm->type != MSG_ZSTD || zm->raw_len == 0 ||
	    zm->raw_len > FRAME_MAX_LEN)
		return (PROTO_EMSG);
	/*
	 * Exactly one zstd frame (its magic first: no skippable or legacy
	 * format), declaring exactly raw_len: a bomb or a lie is refused
	 * from its header, before any work.  The single-shot decoder then
	 * writes at most raw_len bytes (a frame that would yield more fails
	 * with dstSize_tooSmall) and keeps no window of its own, so what a
	 * frame declares cannot size any allocation.
	 */
	if (zm->zlen < 4 || zm->zbytes[0] != 0x28 || zm->zbytes[1] != 0xb5 ||
	    zm->zbytes[2] != 0x2f || zm->zbytes[3] != 0xfd ||
	    ZSTD_findFrameCompressedSize(zm->zbytes, zm->zlen) != zm->zlen)
		return (PROTO_EMSG);
	declared = ZSTD_getFrameContentSize(zm->zbytes, zm->zlen);
	if (declared != zm->raw_len)
		return (PROTO_EMSG);
	if (z->dctx == NULL && (z->dctx = ZSTD_createDCtx()) == NULL)
		return (PROTO_ENOMEM);
	if (grow(&z->dbuf, &z->dcap, (size_t)zm->raw_len))
		return (PROTO_ENOMEM);
	r = ZSTD_decompressDCtx(z->dctx, z->dbuf, (size_t)zm->raw_len,
	    zm->zbytes, zm->zlen);
	/* Single-shot decoding allocates nothing: any error is the peer's. */
	if (ZSTD_isError(r) || r != zm->raw_len)
		return (PROTO_EMSG);
	/* The same path as a message that came uncompressed. */
	if ((e = msg_decode(z->dbuf, r, m)) != PROTO_OK)
		return (e);
	if (m->type != MSG_COMMITS && m->type != MSG_PART)
		return (PROTO_EMSG);
	return (PROTO_OK);
}

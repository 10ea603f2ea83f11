/*
 * fuzz_frame.c: libFuzzer target for the transport frame decoder of
 * protocol/frame.c.  Compiled against the production sources; no I/O.
 *
 * The first byte b picks mode (b - 1) % 2 + 1 (modulo 256 first), so both
 * the bytes 1, 2 and the digits '1', '2' name modes 1, 2.  The next byte
 * c picks how streams are cut into the pieces handed to frame_dec_feed():
 * 0 gives one piece; otherwise piece sizes come from a generator seeded
 * with c and fed the stream bytes at each cut, up to c bytes (c < 128) or
 * (c - 127) * 512 bytes.  So a stream keeps its meaning whatever c is.
 *
 *   1  The rest is a stream for a decoder with a fixed key.  Every body
 *      returned is read to its last byte; an error must be one a peer can
 *      cause, and sticky: later calls, with or without bytes, return it.
 *      After a FINAL frame the decoder has ended and wants no more bytes.
 *   2  Round trip: the 3 bytes after c choose a bit; the rest is split
 *      into bodies, each a length byte L (L < 0xf0: L bytes, else
 *      (L - 0xef) KiB) then that many bytes or what is left.  They are
 *      framed with frame_enc() under the fixed key, the last FINAL, and
 *      the stream must decode to the same bodies and a clean end.  Both
 *      ends rekey every 1 + (c >> 5) frames (1 to 8), so rekeys come
 *      often.  With the chosen bit of the stream flipped, the decoder
 *      must return every body before the damaged frame, unchanged, then
 *      an error.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "protocol/frame.h"
#include "protocol/limits.h"
#include "protocol/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whatever this key, it must be the one the seed corpus was made with. */
static void
fixed_key(uint8_t key[FRAME_KEY_LEN])
{
	size_t i;

	for (i = 0; i < FRAME_KEY_LEN; i++)
		key[i] = (uint8_t)(0x5a ^ (i * 7 + 1));
}

/* How the stream is cut into pieces: see the comment at the top. */
struct chop {
	uint8_t		c;
	uint32_t	x;
};

static void
chop_init(struct chop *ch, uint8_t c)
{

	ch->c = c;
	ch->x = 0x9e3779b9u ^ c;
}

/* The size of the next piece of the ${left} bytes of ${s}, at least 1. */
static size_t
chop_next(struct chop *ch, const uint8_t *s, size_t left)
{
	size_t lim, n;

	if (ch->c == 0)
		return (left);
	lim = ch->c < 128 ? ch->c : (size_t)(ch->c - 127) * 512;
	ch->x = ch->x * 1103515245u + 12345u + s[0];
	n = 1 + (size_t)(ch->x >> 8) % lim;
	return (n < left ? n : left);
}

/* A code the decoder may return for a peer's bytes. */
static bool
peer_err(ssize_t r)
{

	return (r == PROTO_EDECRYPT || r == PROTO_ELEN || r == PROTO_EMSG ||
	    r == PROTO_ENOMEM);
}

/* ${r} came from ${d}: it must stay, for no bytes and for some. */
static void
check_sticky(struct frame_dec *d, ssize_t r, const uint8_t *more,
    size_t more_len)
{
	static const uint8_t junk[FRAME_HDR_LEN + FRAME_LEN_WIRE];
	const uint8_t *out = junk;
	size_t out_len = 1;
	bool fin = true;

	assert(peer_err(r));
	assert(proto_strerror((int)r) != NULL);
	assert(frame_dec_feed(d, NULL, 0, &out, &out_len, &fin) == r);
	assert(out == NULL && out_len == 0 && !fin);
	out = junk;
	assert(frame_dec_feed(d, more, more_len, &out, &out_len, &fin) == r);
	assert(out == NULL && out_len == 0 && !fin);
	assert(frame_dec_feed(d, junk, sizeof(junk), &out, &out_len,
	    &fin) == r);
	assert(out == NULL);
}

/* Read every byte of ${p}, so that ASan sees it and the loop stays. */
static uint8_t
touch(const uint8_t *p, size_t len)
{
	volatile uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc ^= p[i];
	return (acc);
}

/* What a decode of a stream gave. */
struct result {
	size_t		nbodies;	/* Returned by the decoder. */
	ssize_t		err;		/* 0, or the error it ended with. */
	bool		ended;		/* A FINAL frame came. */
};

/*
 * Decode ${s} cut as ${c} says with a decoder keyed ${key}; call ${body}
 * with each body.  Checks what holds for any stream.
 */
static void
decode(const uint8_t key[FRAME_KEY_LEN], uint32_t every, const uint8_t *s,
    size_t len, uint8_t c,
    void (*body)(void *, size_t, const uint8_t *, size_t, bool),
    void *cookie, struct result *res)
{
	struct frame_dec *d;
	struct chop ch;
	const uint8_t *out;
	size_t pos = 0, piece, off, out_len;
	ssize_t r;
	bool fin;

	memset(res, 0, sizeof(*res));
	if ((d = frame_dec_new(key)) == NULL)
		abort();
	if (every > 0)
		frame_dec_rekey_every(d, every);
	assert(!frame_dec_ended(d));
	chop_init(&ch, c);
	while (pos < len) {
		piece = chop_next(&ch, s + pos, len - pos);
		for (off = 0; off < piece; off += (size_t)r) {
			r = frame_dec_feed(d, s + pos + off, piece - off, &out,
			    &out_len, &fin);
			if (r < 0) {
				res->err = r;
				/* After FINAL, only because bytes follow. */
				assert(!res->ended || r == PROTO_EMSG);
				assert(frame_dec_ended(d) == res->ended);
				check_sticky(d, r, s + pos + off,
				    len - pos - off);
				goto done;
			}
			/* Progress, within the piece. */
			assert(r > 0 && (size_t)r <= piece - off);
			if (out == NULL) {
				/* No frame yet: it must have taken all. */
				assert((size_t)r == piece - off);
				assert(out_len == 0 && !fin);
				continue;
			}
			assert(out_len <= FRAME_MAX_LEN);
			assert(!res->ended);
			(void)touch(out, out_len);
			if (body != NULL)
				body(cookie, res->nbodies, out, out_len, fin);
			res->nbodies++;
			assert(frame_dec_ended(d) == fin);
			res->ended = fin;
		}
		pos += piece;
	}
	/* A clean end stays one; no bytes are no frame. */
	r = frame_dec_feed(d, s, 0, &out, &out_len, &fin);
	assert(r == 0 && out == NULL && out_len == 0 && !fin);
	assert(frame_dec_ended(d) == res->ended);
	if (res->ended) {
		/* Nothing may follow FINAL. */
		r = frame_dec_feed(d, key, 1, &out, &out_len, &fin);
		assert(r == PROTO_EMSG && out == NULL);
		check_sticky(d, r, NULL, 0);
	}
done:
	frame_dec_free(d);
}

static void
fuzz_stream(const uint8_t *buf, size_t len)
{
	uint8_t key[FRAME_KEY_LEN];
	struct result res;

	if (len < 1)
		return;
	fixed_key(key);
	decode(key, 0, buf + 1, len - 1, buf[0], NULL, NULL, &res);
}

/* The bodies of the round trip. */
struct bodies {
	size_t		n;
	const uint8_t	**p;
	size_t		*len;
	size_t		*wire_end;	/* Stream offset where frame i ends. */
	size_t		limit;		/* Bodies the decoder may return. */
};

static void
same_body(void *cookie, size_t i, const uint8_t *p, size_t len, bool fin)
{
	struct bodies *b = cookie;

	assert(i < b->limit && i < b->n);
	assert(len == b->len[i]);
	assert(len == 0 || memcmp(p, b->p[i], len) == 0);
	assert(fin == (i == b->n - 1));
}

static void
fuzz_roundtrip(const uint8_t *buf, size_t len)
{
	uint8_t key[FRAME_KEY_LEN], hdr[FRAME_HDR_LEN];
	struct frame_enc e;
	struct bodies b;
	struct result res;
	const uint8_t *in;
	uint8_t *s, c, bit;
	size_t in_len, i, n, cap, off, slen, at, damaged;

	if (len < 4)
		return;
	c = buf[0];
	at = (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
	bit = (uint8_t)(at & 7);
	at >>= 3;
	in = buf + 4;
	in_len = len - 4;

	/* Split: at most one body per input byte, plus an empty one. */
	cap = in_len + 1;
	b.p = calloc(cap, sizeof(*b.p));
	b.len = calloc(cap, sizeof(*b.len));
	b.wire_end = calloc(cap, sizeof(*b.wire_end));
	if (b.p == NULL || b.len == NULL || b.wire_end == NULL)
		abort();
	b.n = 0;
	off = 0;
	slen = FRAME_HDR_LEN;
	do {
		n = 0;
		if (off < in_len) {
			n = in[off] < 0xf0 ? in[off] :
			    (size_t)(in[off] - 0xef) * 1024;
			off++;
		}
		if (n > in_len - off)
			n = in_len - off;
		b.p[b.n] = in + off;
		b.len[b.n] = n;
		slen += FRAME_WIRE_LEN(n);
		b.wire_end[b.n] = slen;
		b.n++;
		off += n;
	} while (off < in_len);
	assert(b.n <= cap);

	/* Encode. */
	fixed_key(key);
	if ((s = malloc(slen)) == NULL)
		abort();
	frame_enc_init(&e, key, hdr);
	frame_enc_rekey_every(&e, 1 + (c >> 5));
	memcpy(s, hdr, FRAME_HDR_LEN);
	off = FRAME_HDR_LEN;
	for (i = 0; i < b.n; i++) {
		assert(frame_enc(&e, b.p[i], b.len[i], i == b.n - 1,
		    s + off) == PROTO_OK);
		off += FRAME_WIRE_LEN(b.len[i]);
		assert(off == b.wire_end[i]);
	}
	assert(off == slen);
	assert(e.rekeys == (b.n - 1) / (1 + (c >> 5)));
	/* The stream is closed. */
	assert(frame_enc(&e, in, 0, false, s) == PROTO_ESTATE);

	/* Decode: the same bodies, a clean end. */
	b.limit = b.n;
	decode(key, 1 + (c >> 5), s, slen, c, same_body, &b, &res);
	assert(res.err == 0);
	assert(res.nbodies == b.n);
	assert(res.ended);

	/*
	 * Damage one bit.  A flip in the header changes every key; one in
	 * frame i fails its authentication: either way frames before the
	 * damage come out whole and nothing after.
	 */
	at %= slen;
	s[at] ^= (uint8_t)(1u << bit);
	for (damaged = 0; damaged < b.n && at >= b.wire_end[damaged];
	    damaged++)
		;
	assert(damaged < b.n);
	b.limit = damaged;
	decode(key, 1 + (c >> 5), s, slen, c, same_body, &b, &res);
	assert(res.err != 0);
	assert(res.nbodies == damaged);
	assert(!res.ended);

	free(s);
	free(b.wire_end);
	free(b.len);
	free(b.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned mode;

	if (size < 1)
		return (0);
	if (sodium_init() < 0)
		abort();
	mode = (uint8_t)(data[0] - 1) % 2u + 1;
	switch (mode) {
	case 1:
		fuzz_stream(data + 1, size - 1);
		break;
	default:
		fuzz_roundtrip(data + 1, size - 1);
		break;
	}
	return (0);
}

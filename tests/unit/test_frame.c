/*
 * test_frame.c: secretstream framing — round trips in any chunking, and
 * every tampering, oversize length, truncation and trailing byte refused;
 * lengths at the limit; reordered, duplicated, dropped and wrong-direction
 * frames refused; streams that cross several rekeys, by count (the real
 * limit and a lowered one) and by time, and one that skips a rekey.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "protocol/frame.h"
#include "protocol/proto.h"

#define NFRAMES	40

struct stream {
	uint8_t	*buf;
	size_t	len;
	size_t	flen[NFRAMES + 1];
	uint8_t	*body[NFRAMES + 1];
	size_t	n;
};

static void
stream_make(struct stream *s, const uint8_t key[FRAME_KEY_LEN], bool final)
{
	struct frame_enc e;
	size_t i, cap = FRAME_HDR_LEN;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < NFRAMES; i++) {
		/* Sizes from empty to a few KiB, one near the cap. */
		s->flen[i] = i == 7 ? FRAME_MAX_LEN : randombytes_uniform(3000);
		s->body[i] = malloc(s->flen[i] + 1);
		randombytes_buf(s->body[i], s->flen[i]);
		cap += FRAME_WIRE_LEN(s->flen[i]);
	}
	s->n = NFRAMES;
	s->buf = malloc(cap);
	frame_enc_init(&e, key, s->buf);
	s->len = FRAME_HDR_LEN;
	for (i = 0; i < NFRAMES; i++) {
		assert_int_equal(frame_enc(&e, s->body[i], s->flen[i],
		    final && i == NFRAMES - 1, s->buf + s->len), PROTO_OK);
		s->len += FRAME_WIRE_LEN(s->flen[i]);
	}
	if (final)
		assert_int_equal(frame_enc(&e, s->body[0], 1, false,
		    s->buf), PROTO_ESTATE);
}

static void
stream_free(struct stream *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->body[i]);
	free(s->buf);
}

/* Feed ${s} in chunks of at most ${chunk}; return frames seen or error. */
static int
feed(const struct stream *s, const uint8_t key[FRAME_KEY_LEN], size_t chunk,
    bool *ended)
{
	struct frame_dec *d = frame_dec_new(key);
	const uint8_t *out;
	size_t off = 0, n, olen;
	ssize_t r;
	bool final;
	int frames = 0;

	assert_non_null(d);
	while (off < s->len) {
		n = s->len - off < chunk ? s->len - off : chunk;
		if ((r = frame_dec_feed(d, s->buf + off, n, &out, &olen,
		    &final)) < 0) {
			/* Sticky. */
			assert_int_equal(frame_dec_feed(d, s->buf, 1, &out,
			    &olen, &final), r);
			frame_dec_free(d);
			return ((int)r);
		}
		off += (size_t)r;
		if (out != NULL) {
			assert_true(frames < NFRAMES);
			assert_int_equal(olen, s->flen[frames]);
			assert_memory_equal(out, s->body[frames], olen);
			frames++;
		}
	}
	*ended = frame_dec_ended(d);
	frame_dec_free(d);
	return (frames);
}

static void
test_roundtrip_any_chunking(void **state)
{
	uint8_t key[FRAME_KEY_LEN];
	struct stream s;
	size_t chunks[] = { 1, 3, 21, 4096, 1 << 20, SIZE_MAX };
	bool ended;
	size_t i;

	(void)state;
	randombytes_buf(key, sizeof(key));
	stream_make(&s, key, true);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		assert_int_equal(feed(&s, key, chunks[i], &ended), NFRAMES);
		assert_true(ended);
	}
	stream_free(&s);
}

static void
test_truncated_is_not_a_clean_end(void **state)
{
	uint8_t key[FRAME_KEY_LEN];
	struct stream s;
	bool ended;

	(void)state;
	randombytes_buf(key, sizeof(key));
	stream_make(&s, key, true);
	s.len -= 1;
	assert_int_equal(feed(&s, key, 100, &ended), NFRAMES - 1);
	assert_false(ended);
	stream_free(&s);

	/* A stream whose last frame is not FINAL never ends cleanly. */
	stream_make(&s, key, false);
	assert_int_equal(feed(&s, key, 100, &ended), NFRAMES);
	assert_false(ended);
	stream_free(&s);
}

static void
test_tampering_detected(void **state)
{
	uint8_t key[FRAME_KEY_LEN], other[FRAME_KEY_LEN];
	struct stream s;
	size_t i, step;
	bool ended;
	int r;

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other, sizeof(other));
	stream_make(&s, key, true);
	assert_true(feed(&s, other, 4096, &ended) < 0);
	/* A flip in the header, in a length or in a body: never accepted. */
	step = s.len / 997 + 1;
	for (i = 0; i < s.len; i += (i < 200 ? 1 : step)) {
		s.buf[i] ^= 0x20;
		r = feed(&s, key, 65536, &ended);
		assert_true(r < 0);
		s.buf[i] ^= 0x20;
	}
	stream_free(&s);
}

static void
test_oversize_and_trailing(void **state)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t key[FRAME_KEY_LEN], buf[FRAME_HDR_LEN + FRAME_LEN_WIRE];
	uint8_t lb[4] = { 0x00, 0x20, 0x00, 0x01 };	/* 2 MiB + 1 */
	struct frame_dec *d;
	struct frame_enc e;
	struct stream s;
	const uint8_t *out;
	size_t olen;
	bool final, ended;
	uint8_t *more;

	(void)state;
	randombytes_buf(key, sizeof(key));
	/* A peer that encrypts a length over the cap, as an attacker would. */
	crypto_secretstream_xchacha20poly1305_init_push(&st, buf, key);
	crypto_secretstream_xchacha20poly1305_push(&st, buf + FRAME_HDR_LEN,
	    NULL, lb, 4, NULL, 0,
	    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	d = frame_dec_new(key);
	assert_int_equal(frame_dec_feed(d, buf, sizeof(buf), &out, &olen,
	    &final), PROTO_ELEN);
	frame_dec_free(d);

	/* The encoder refuses to make one. */
	frame_enc_init(&e, key, buf);
	assert_int_equal(frame_enc(&e, buf, FRAME_MAX_LEN + 1, false, NULL),
	    PROTO_ELEN);

	/* Bytes after a FINAL frame. */
	stream_make(&s, key, true);
	more = malloc(s.len + 1);
	memcpy(more, s.buf, s.len);
	more[s.len] = 0;
	free(s.buf);
	s.buf = more;
	s.len++;
	assert_int_equal(feed(&s, key, 4096, &ended), PROTO_EMSG);
	stream_free(&s);
}

/* A stream whose only frame declares ${len}, encrypted as a peer can. */
static void
declared(const uint8_t key[FRAME_KEY_LEN], uint32_t len,
    uint8_t buf[FRAME_HDR_LEN + FRAME_LEN_WIRE])
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t lb[4];

	lb[0] = (uint8_t)(len >> 24);
	lb[1] = (uint8_t)(len >> 16);
	lb[2] = (uint8_t)(len >> 8);
	lb[3] = (uint8_t)len;
	crypto_secretstream_xchacha20poly1305_init_push(&st, buf, key);
	crypto_secretstream_xchacha20poly1305_push(&st, buf + FRAME_HDR_LEN,
	    NULL, lb, 4, NULL, 0,
	    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
}

/*
 * Exactly FRAME_MAX_LEN is a frame; FRAME_MAX_LEN + 1 and 2^32 - 1 (the
 * most 4 bytes say) are refused as soon as the length is decrypted, with
 * not one byte of the body sent: the decoder never sized a buffer by them.
 */
static void
test_length_limits(void **state)
{
	static const uint32_t bad[] = { FRAME_MAX_LEN + 1, UINT32_MAX };
	uint8_t key[FRAME_KEY_LEN], buf[FRAME_HDR_LEN + FRAME_LEN_WIRE];
	uint8_t hdr[FRAME_HDR_LEN], *body, *w;
	struct frame_enc e;
	struct frame_dec *d;
	const uint8_t *out;
	size_t olen, i;
	bool final;

	(void)state;
	randombytes_buf(key, sizeof(key));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		declared(key, bad[i], buf);
		d = frame_dec_new(key);
		assert_int_equal(frame_dec_feed(d, buf, sizeof(buf), &out,
		    &olen, &final), PROTO_ELEN);
		frame_dec_free(d);
	}

	/* The largest frame there is, in and out whole. */
	assert_non_null(body = malloc(FRAME_MAX_LEN));
	assert_non_null(w = malloc(FRAME_WIRE_LEN(FRAME_MAX_LEN)));
	randombytes_buf(body, FRAME_MAX_LEN);
	frame_enc_init(&e, key, hdr);
	assert_int_equal(frame_enc(&e, body, FRAME_MAX_LEN, false, w),
	    PROTO_OK);
	d = frame_dec_new(key);
	assert_int_equal(frame_dec_feed(d, hdr, sizeof(hdr), &out, &olen,
	    &final), sizeof(hdr));
	assert_int_equal(frame_dec_feed(d, w, FRAME_WIRE_LEN(FRAME_MAX_LEN),
	    &out, &olen, &final), FRAME_WIRE_LEN(FRAME_MAX_LEN));
	assert_non_null(out);
	assert_int_equal(olen, FRAME_MAX_LEN);
	assert_memory_equal(out, body, FRAME_MAX_LEN);
	frame_dec_free(d);
	free(w);
	free(body);
}

/* Frame ${i} of ${s} on the wire: where it starts and how long it is. */
static size_t
frame_at(const struct stream *s, size_t i, size_t *len)
{
	size_t off = FRAME_HDR_LEN, k;

	for (k = 0; k < i; k++)
		off += FRAME_WIRE_LEN(s->flen[k]);
	*len = FRAME_WIRE_LEN(s->flen[i]);
	return (off);
}

/*
 * ${s} with its frames in the order ${order} (indexes, ${n} of them):
 * decode it and return the frames that came out before an error, or all.
 */
static int
feed_order(const struct stream *s, const uint8_t key[FRAME_KEY_LEN],
    const size_t *order, size_t n, ssize_t *err)
{
	struct frame_dec *d = frame_dec_new(key);
	const uint8_t *out;
	size_t k, off, len, olen;
	ssize_t r;
	bool final;
	int frames = 0;

	*err = 0;
	r = frame_dec_feed(d, s->buf, FRAME_HDR_LEN, &out, &olen, &final);
	assert_int_equal(r, FRAME_HDR_LEN);
	for (k = 0; k < n; k++) {
		off = frame_at(s, order[k], &len);
		if ((r = frame_dec_feed(d, s->buf + off, len, &out, &olen,
		    &final)) < 0) {
			*err = r;
			break;
		}
		assert_int_equal(r, len);
		assert_non_null(out);
		assert_int_equal(olen, s->flen[order[k]]);
		assert_memory_equal(out, s->body[order[k]], olen);
		frames++;
	}
	frame_dec_free(d);
	return (frames);
}

/*
 * A frame only opens at its place in its own stream: reordered,
 * duplicated or dropped frames fail authentication where the order
 * breaks, and the decoder (so the session) is over.
 */
static void
test_reorder_duplicate_drop(void **state)
{
	static const size_t inorder[] = { 0, 1, 2, 3, 4 };
	static const size_t swapped[] = { 0, 2, 1, 3, 4 };
	static const size_t twice[] = { 0, 1, 1, 2, 3 };
	static const size_t dropped[] = { 0, 1, 3, 4 };
	static const size_t old[] = { 0, 1, 2, 0 };
	uint8_t key[FRAME_KEY_LEN];
	struct stream s;
	ssize_t err;

	(void)state;
	randombytes_buf(key, sizeof(key));
	stream_make(&s, key, false);
	assert_int_equal(feed_order(&s, key, inorder, 5, &err), 5);
	assert_int_equal(err, 0);
	assert_int_equal(feed_order(&s, key, swapped, 5, &err), 1);
	assert_int_equal(err, PROTO_EDECRYPT);
	assert_int_equal(feed_order(&s, key, twice, 5, &err), 2);
	assert_int_equal(err, PROTO_EDECRYPT);
	assert_int_equal(feed_order(&s, key, dropped, 4, &err), 2);
	assert_int_equal(err, PROTO_EDECRYPT);
	assert_int_equal(feed_order(&s, key, old, 4, &err), 3);
	assert_int_equal(err, PROTO_EDECRYPT);
	stream_free(&s);
}

/*
 * Our own frames fed back to us (a reflection: encrypted with our sending
 * key, while we decrypt with the receiving one): refused, whether as a
 * whole stream or as one frame spliced into the peer's stream.
 */
static void
test_wrong_direction(void **state)
{
	uint8_t tx[FRAME_KEY_LEN], rx[FRAME_KEY_LEN];
	uint8_t our_hdr[FRAME_HDR_LEN], peer_hdr[FRAME_HDR_LEN];
	uint8_t ours[FRAME_WIRE_LEN(5)], theirs[FRAME_WIRE_LEN(5)];
	struct frame_enc me, peer;
	struct frame_dec *d;
	const uint8_t *out;
	size_t olen;
	bool final;

	(void)state;
	randombytes_buf(tx, sizeof(tx));
	randombytes_buf(rx, sizeof(rx));
	frame_enc_init(&me, tx, our_hdr);
	frame_enc_init(&peer, rx, peer_hdr);
	assert_int_equal(frame_enc(&me, (const uint8_t *)"hello", 5, false,
	    ours), PROTO_OK);
	assert_int_equal(frame_enc(&peer, (const uint8_t *)"hello", 5, false,
	    theirs), PROTO_OK);

	/* Our whole stream back: the header parses, the first frame fails. */
	d = frame_dec_new(rx);
	assert_int_equal(frame_dec_feed(d, our_hdr, sizeof(our_hdr), &out,
	    &olen, &final), sizeof(our_hdr));
	assert_int_equal(frame_dec_feed(d, ours, sizeof(ours), &out, &olen,
	    &final), PROTO_EDECRYPT);
	frame_dec_free(d);

	/* The peer's header, then our frame in place of theirs. */
	d = frame_dec_new(rx);
	assert_int_equal(frame_dec_feed(d, peer_hdr, sizeof(peer_hdr), &out,
	    &olen, &final), sizeof(peer_hdr));
	assert_int_equal(frame_dec_feed(d, ours, sizeof(ours), &out, &olen,
	    &final), PROTO_EDECRYPT);
	/* Over: the genuine frame is refused after it too. */
	assert_int_equal(frame_dec_feed(d, theirs, sizeof(theirs), &out,
	    &olen, &final), PROTO_EDECRYPT);
	frame_dec_free(d);
}

/*
 * Send ${n} frames (body: the frame's number) from ${e} to ${d} one at a
 * time, every ${tick} frames moving the sender's clock by ${step} ms.
 * Return the frames decoded before an error (${err}), or ${n}.
 */
static uint64_t
pass(struct frame_enc *e, struct frame_dec *d, uint64_t n, uint64_t tick,
    uint64_t step, ssize_t *err)
{
	uint8_t w[FRAME_WIRE_LEN(8)], b[8];
	const uint8_t *out;
	uint64_t i, now = 1000;
	size_t olen;
	ssize_t r;
	bool final;
	int k;

	*err = 0;
	for (i = 0; i < n; i++) {
		if (tick > 0 && i % tick == 0) {
			frame_enc_clock(e, now);
			now += step;
		}
		for (k = 0; k < 8; k++)
			b[k] = (uint8_t)(i >> (8 * k));
		assert_int_equal(frame_enc(e, b, sizeof(b), false, w),
		    PROTO_OK);
		if ((r = frame_dec_feed(d, w, sizeof(w), &out, &olen,
		    &final)) < 0) {
			*err = r;
			return (i);
		}
		assert_int_equal(r, sizeof(w));
		assert_non_null(out);
		assert_int_equal(olen, sizeof(b));
		assert_memory_equal(out, b, sizeof(b));
	}
	return (n);
}

static void
pair_init(struct frame_enc *e, struct frame_dec **d, uint32_t enc_every,
    uint32_t dec_every)
{
	uint8_t key[FRAME_KEY_LEN], hdr[FRAME_HDR_LEN];
	const uint8_t *out;
	size_t olen;
	bool final;

	randombytes_buf(key, sizeof(key));
	frame_enc_init(e, key, hdr);
	assert_non_null(*d = frame_dec_new(key));
	if (enc_every > 0)
		frame_enc_rekey_every(e, enc_every);
	if (dec_every > 0)
		frame_dec_rekey_every(*d, dec_every);
	assert_int_equal(frame_dec_feed(*d, hdr, sizeof(hdr), &out, &olen,
	    &final), sizeof(hdr));
}

/*
 * A long session across the rekey limit.  The real one first:
 * FRAME_REKEY_MSGS frames and a few more cross one rekey.  Then with the
 * limit lowered on both ends, a session carries its frames across many
 * rekeys; a receiver takes a rekey that comes early (the hourly one), and
 * cuts off a sender that lets the limit pass without one.
 */
static void
test_rekey(void **state)
{
	struct frame_enc e;
	struct frame_dec *d;
	ssize_t err;

	(void)state;
	pair_init(&e, &d, 0, 0);
	assert_int_equal(pass(&e, d, FRAME_REKEY_MSGS + 10, 0, 0, &err),
	    FRAME_REKEY_MSGS + 10);
	assert_int_equal(e.rekeys, 1);
	assert_int_equal(frame_dec_rekeys(d), 1);
	frame_dec_free(d);

	/* Lowered: 1000 frames, a rekey every 7. */
	pair_init(&e, &d, 7, 7);
	assert_int_equal(pass(&e, d, 1000, 0, 0, &err), 1000);
	assert_int_equal(e.rekeys, 1000 / 7);
	assert_int_equal(frame_dec_rekeys(d), 1000 / 7);
	frame_dec_free(d);

	/* Early rekeys are taken; a late one is refused. */
	pair_init(&e, &d, 3, 7);
	assert_int_equal(pass(&e, d, 100, 0, 0, &err), 100);
	assert_int_equal(frame_dec_rekeys(d), 100 / 3);
	frame_dec_free(d);
	pair_init(&e, &d, 8, 7);
	assert_int_equal(pass(&e, d, 100, 0, 0, &err), 6);
	assert_int_equal(err, PROTO_EMSG);
	frame_dec_free(d);

	/*
	 * By time: the clock moves FRAME_REKEY_MS / 4 every 10 frames, so
	 * the key changes at frames 40, 80, ... 360, the count never reached.
	 */
	pair_init(&e, &d, 0, 0);
	assert_int_equal(pass(&e, d, 400, 10, FRAME_REKEY_MS / 4, &err), 400);
	assert_int_equal(e.rekeys, 9);
	assert_int_equal(frame_dec_rekeys(d), e.rekeys);
	frame_dec_free(d);
}

/* A frame sent before a rekey, delivered again after it, does not open. */
static void
test_rekey_replay(void **state)
{
	uint8_t key[FRAME_KEY_LEN], hdr[FRAME_HDR_LEN];
	uint8_t w[4][FRAME_WIRE_LEN(1)];
	struct frame_enc e;
	struct frame_dec *d;
	const uint8_t *out;
	size_t olen, i;
	bool final;

	(void)state;
	randombytes_buf(key, sizeof(key));
	frame_enc_init(&e, key, hdr);
	frame_enc_rekey_every(&e, 2);
	for (i = 0; i < 4; i++)
		assert_int_equal(frame_enc(&e, (const uint8_t *)"x", 1, false,
		    w[i]), PROTO_OK);
	d = frame_dec_new(key);
	frame_dec_rekey_every(d, 2);
	assert_int_equal(frame_dec_feed(d, hdr, sizeof(hdr), &out, &olen,
	    &final), sizeof(hdr));
	for (i = 0; i < 3; i++)
		assert_int_equal(frame_dec_feed(d, w[i], sizeof(w[i]), &out,
		    &olen, &final), sizeof(w[i]));
	assert_int_equal(frame_dec_rekeys(d), 1);
	/* w[1] was the rekey; w[0] is from the key before. */
	assert_int_equal(frame_dec_feed(d, w[0], sizeof(w[0]), &out, &olen,
	    &final), PROTO_EDECRYPT);
	frame_dec_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_any_chunking),
		cmocka_unit_test(test_truncated_is_not_a_clean_end),
		cmocka_unit_test(test_tampering_detected),
		cmocka_unit_test(test_oversize_and_trailing),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_reorder_duplicate_drop),
		cmocka_unit_test(test_wrong_direction),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_rekey_replay),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

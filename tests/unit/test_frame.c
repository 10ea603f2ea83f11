/*
 * test_frame.c: secretstream framing — round trips in any chunking, and
 * every tampering, oversize length, truncation and trailing byte refused.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_any_chunking),
		cmocka_unit_test(test_truncated_is_not_a_clean_end),
		cmocka_unit_test(test_tampering_detected),
		cmocka_unit_test(test_oversize_and_trailing),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

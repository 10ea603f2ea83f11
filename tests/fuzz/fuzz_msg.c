/*
 * fuzz_msg.c: libFuzzer target for the session message decoder of
 * protocol/msg.c.  Compiled against the production sources; no I/O.
 *
 * The whole input goes to msg_decode(), as a frame body would.  A refusal
 * must be a PROTO_E* code; an accepted message must keep every field
 * within its limit, and is then read to its last byte, encoded again with
 * the msg_*() encoders, and decoded again: both decodes must agree on
 * every field, and encoding the second must give the first encoding's
 * bytes.  HELLO always goes out with MSG_VERSION as both versions, so
 * those two are checked against it; a HELLO of another version is
 * decoded only as far as its versions and is not encoded again.  Names
 * and reasons must be UTF-8 without control characters (so never hold a
 * NUL), and so go through the encoders unchanged.
 *
 * A ZSTD message is also opened with msg_z_decode(), through one context
 * reused across inputs as a session reuses it: a refusal must be
 * PROTO_EMSG or PROTO_ENOMEM; what it accepts must be a COMMITS or PART
 * within every limit.  Every COMMITS or PART accepted, plain or opened,
 * is then compressed (msg_z_compress), wrapped (msg_zstd) and opened
 * again, and must come back field for field, in fewer bytes than plain.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "protocol/limits.h"
#include "protocol/msg.h"
#include "protocol/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Read every byte of ${p}, so that ASan sees it and the loop stays. */
static uint8_t
touch(const void *p, size_t len)
{
	const uint8_t *b = p;
	volatile uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc ^= b[i];
	return (acc);
}

/* The invariants of any message msg_decode() accepted. */
static void
check(const struct msg *m)
{
	size_t i;

	switch (m->type) {
	case MSG_HELLO:
	case MSG_ACK:
	case MSG_VECTOR:
		if (m->type == MSG_HELLO && (m->ver_min > MSG_VERSION ||
		    m->ver_max < MSG_VERSION)) {
			/* Another version's: nothing else read. */
			assert(m->text_len == 0 && m->nvec == 0 &&
			    m->vec == NULL && !m->more && m->clock == 0);
			break;
		}
		if (m->type == MSG_HELLO) {
			assert(m->text_len <= MSG_NAME_MAX);
			assert(m->text != NULL || m->text_len == 0);
			assert(msg_text_ok(m->text, m->text_len));
			(void)touch(m->text, m->text_len);
		} else
			assert(m->clock == 0);
		assert(m->nvec <= MSG_MAX_ORIGINS);
		assert(m->nvec == 0 || m->vec != NULL);
		for (i = 0; i < m->nvec; i++)
			(void)touch(m->vec[i].origin, MSG_VEC_KEY_LEN);
		assert(m->ncommits == 0);
		break;
	case MSG_COMMITS:
	case MSG_FORK:
		assert(m->type != MSG_FORK || m->ncommits == 2);
		assert(m->ncommits <= MSG_MAX_COMMITS);
		assert(m->ncommits == 0 || m->commits != NULL);
		for (i = 0; i < m->ncommits; i++) {
			assert(m->commits[i].body != NULL ||
			    m->commits[i].len == 0);
			(void)touch(m->commits[i].body, m->commits[i].len);
			(void)touch(m->commits[i].sig, NODE_SIG_LEN);
		}
		assert(m->nvec == 0);
		break;
	case MSG_PING:
	case MSG_PONG:
		assert(m->nvec == 0 && m->ncommits == 0);
		break;
	case MSG_BYE:
		assert(m->text_len <= MSG_REASON_MAX);
		assert(m->text != NULL || m->text_len == 0);
		assert(msg_text_ok(m->text, m->text_len));
		(void)touch(m->text, m->text_len);
		assert(m->nvec == 0 && m->ncommits == 0);
		break;
	case MSG_PART:
		assert(m->ncommits == 1 && m->nvec == 0);
		(void)touch(m->commits[0].body, m->commits[0].len);
		(void)touch(m->commits[0].sig, NODE_SIG_LEN);
		break;
	case MSG_ZSTD:
		assert(m->raw_len > 0 && m->raw_len <= FRAME_MAX_LEN);
		assert(m->zbytes != NULL || m->zlen == 0);
		(void)touch(m->zbytes, m->zlen);
		assert(m->nvec == 0 && m->ncommits == 0);
		break;
	default:
		assert(!"msg_decode accepted an unknown type");
	}
	if (m->type != MSG_ZSTD)
		assert(m->raw_len == 0 && m->zlen == 0);
	if (m->type != MSG_HELLO && m->type != MSG_ACK &&
	    m->type != MSG_VECTOR)
		assert(!m->more);
}

/*
 * Encode ${m} into ${sb} with the msg_*() encoders.  Return 0, or 1 if
 * it is a HELLO of another version, which they cannot make.
 */
static int
encode(const struct msg *m, msgpack_sbuffer *sb)
{
	char text[(MSG_NAME_MAX > MSG_REASON_MAX ? MSG_NAME_MAX :
	    MSG_REASON_MAX) + 1];
	size_t i;
	int e = 0;

	if (m->type == MSG_HELLO && (m->ver_min > MSG_VERSION ||
	    m->ver_max < MSG_VERSION))
		return (1);
	if (m->type == MSG_HELLO || m->type == MSG_BYE) {
		assert(m->text_len < sizeof(text));
		assert(m->text_len == 0 ||
		    memchr(m->text, '\0', m->text_len) == NULL);
		if (m->text_len > 0)
			memcpy(text, m->text, m->text_len);
		text[m->text_len] = '\0';
	}
	switch (m->type) {
	case MSG_HELLO:
		e = msg_hello(sb, text, m->vec, m->nvec, m->features,
		    m->clock, m->more);
		break;
	case MSG_ACK:
		e = msg_ack(sb, m->vec, m->nvec, m->more);
		break;
	case MSG_VECTOR:
		e = msg_vector(sb, m->vec, m->nvec, m->more);
		break;
	case MSG_COMMITS:
		e = msg_commits_begin(sb, m->ncommits);
		for (i = 0; i < m->ncommits && e == 0; i++)
			e = msg_commits_add(sb, m->commits[i].body,
			    m->commits[i].len, m->commits[i].sig);
		break;
	case MSG_PING:
	case MSG_PONG:
		e = msg_ping(sb, m->type, m->nonce);
		break;
	case MSG_BYE:
		e = msg_bye(sb, text);
		break;
	case MSG_PART:
		e = msg_part(sb, m->total, m->offset, m->commits[0].body,
		    m->commits[0].len, m->commits[0].sig);
		break;
	case MSG_ZSTD:
		e = msg_zstd(sb, m->raw_len, m->zbytes, m->zlen);
		break;
	case MSG_FORK:
		e = msg_fork(sb, m->commits[0].body, m->commits[0].len,
		    m->commits[0].sig, m->commits[1].body, m->commits[1].len,
		    m->commits[1].sig);
		break;
	default:
		abort();
	}
	if (e != 0)
		abort();		/* Out of memory: not a finding. */
	return (0);
}

/* ${b}, decoded from ${a} encoded, must say what ${a} said. */
static void
same(const struct msg *a, const struct msg *b)
{
	size_t i;

	assert(a->type == b->type);
	if (a->type == MSG_HELLO || a->type == MSG_BYE) {
		assert(a->text_len == b->text_len);
		assert(a->text_len == 0 ||
		    memcmp(a->text, b->text, a->text_len) == 0);
	} else
		assert(b->text_len == 0);
	if (a->type == MSG_HELLO) {
		assert(b->ver_min == MSG_VERSION && b->ver_max == MSG_VERSION);
		assert(a->features == b->features);
		assert(a->clock == b->clock);
	} else
		assert(b->ver_min == 0 && b->ver_max == 0 &&
		    b->features == 0 && b->clock == 0);
	assert(a->more == b->more);
	if (a->type == MSG_PING || a->type == MSG_PONG)
		assert(a->nonce == b->nonce);
	else
		assert(b->nonce == 0);
	assert(a->nvec == b->nvec);
	for (i = 0; i < a->nvec; i++) {
		assert(memcmp(a->vec[i].origin, b->vec[i].origin,
		    MSG_VEC_KEY_LEN) == 0);
		assert(a->vec[i].seq == b->vec[i].seq);
	}
	assert(a->total == b->total && a->offset == b->offset);
	assert(a->raw_len == b->raw_len && a->zlen == b->zlen);
	assert(a->zlen == 0 || memcmp(a->zbytes, b->zbytes, a->zlen) == 0);
	assert(a->ncommits == b->ncommits);
	for (i = 0; i < a->ncommits; i++) {
		assert(a->commits[i].len == b->commits[i].len);
		assert(a->commits[i].len == 0 ||
		    memcmp(a->commits[i].body, b->commits[i].body,
		    a->commits[i].len) == 0);
		assert(memcmp(a->commits[i].sig, b->commits[i].sig,
		    NODE_SIG_LEN) == 0);
	}
}

/*
 * Contexts reused from input to input, as a session reuses its own: one
 * opens the input's ZSTD messages, one compresses, one opens ours.
 */
static struct msg_z *zin, *zc, *zd;

/* ${m}, a COMMITS or PART, compressed and opened again is ${m}. */
static void
ztrip(const struct msg *m)
{
	msgpack_sbuffer plain, zs;
	struct msg zm, back;
	const uint8_t *zp;
	ssize_t zn;

	msgpack_sbuffer_init(&plain);
	msgpack_sbuffer_init(&zs);
	if (encode(m, &plain) != 0)
		abort();
	if ((zn = msg_z_compress(zc, (const uint8_t *)plain.data,
	    plain.size, &zp)) < 0)
		abort();		/* Out of memory: not a finding. */
	if (zn == 0)
		goto done;		/* No gain: it would go plain. */
	if (msg_zstd(&zs, plain.size, zp, (size_t)zn))
		abort();
	assert(zs.size < plain.size);
	if (msg_decode((const uint8_t *)zs.data, zs.size, &zm) != PROTO_OK)
		assert(!"our ZSTD message does not decode");
	assert(zm.type == MSG_ZSTD && zm.raw_len == plain.size);
	if (msg_z_decode(zd, &zm, &back) != PROTO_OK)
		assert(!"our ZSTD message does not open");
	check(&back);
	same(m, &back);
	msg_fini(&back);
	msg_fini(&zm);
done:
	msgpack_sbuffer_destroy(&zs);
	msgpack_sbuffer_destroy(&plain);
}

/* Open the ZSTD message ${m}; check and round-trip what it holds. */
static void
zopen(const struct msg *m)
{
	struct msg in;
	int r;

	if ((r = msg_z_decode(zin, m, &in)) != PROTO_OK) {
		assert(r == PROTO_EMSG || r == PROTO_ENOMEM);
		msg_fini(&in);
		return;
	}
	assert(in.type == MSG_COMMITS || in.type == MSG_PART);
	check(&in);
	ztrip(&in);
	msg_fini(&in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m, m2;
	msgpack_sbuffer sb, sb2;
	int r;

	if (zin == NULL && ((zin = msg_z_new()) == NULL ||
	    (zc = msg_z_new()) == NULL || (zd = msg_z_new()) == NULL))
		abort();

	if ((r = msg_decode(data, size, &m)) != PROTO_OK) {
		assert(r == PROTO_EMSG || r == PROTO_ENOMEM);
		msg_fini(&m);
		/* A zeroed message: fini again is a no-op. */
		msg_fini(&m);
		return (0);
	}
	check(&m);
	if (m.type == MSG_ZSTD)
		zopen(&m);
	else if (m.type == MSG_COMMITS || m.type == MSG_PART)
		ztrip(&m);

	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&sb2);
	if (encode(&m, &sb) != 0)
		goto done;
	/* The decoder accepted it, so it must accept our encoding. */
	if ((r = msg_decode((const uint8_t *)sb.data, sb.size, &m2)) !=
	    PROTO_OK)
		assert(!"re-encoded message does not decode");
	check(&m2);
	same(&m, &m2);
	/* Our encoding is canonical: a fixed point. */
	assert(encode(&m2, &sb2) == 0);
	assert(sb.size == sb2.size);
	assert(memcmp(sb.data, sb2.data, sb.size) == 0);
	msg_fini(&m2);
done:
	msgpack_sbuffer_destroy(&sb2);
	msgpack_sbuffer_destroy(&sb);
	msg_fini(&m);
	return (0);
}

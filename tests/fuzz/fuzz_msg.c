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
 * those two are checked against it; a name or reason holding a NUL
 * cannot go through the encoders' C strings and is not encoded again.
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
		if (m->type == MSG_HELLO) {
			assert(m->text_len <= MSG_NAME_MAX);
			assert(m->text != NULL || m->text_len == 0);
			(void)touch(m->text, m->text_len);
		}
		assert(m->nvec <= MSG_MAX_ORIGINS);
		assert(m->nvec == 0 || m->vec != NULL);
		for (i = 0; i < m->nvec; i++)
			(void)touch(m->vec[i].origin, MSG_VEC_KEY_LEN);
		assert(m->ncommits == 0);
		break;
	case MSG_COMMITS:
		assert(m->ncommits <= MSG_MAX_COMMITS);
		assert(m->ncommits == 0 || m->commits != NULL);
		for (i = 0; i < m->ncommits; i++) {
			assert(m->commits[i].body != NULL ||
			    m->commits[i].len == 0);
			(void)touch(m->commits[i].body, m->commits[i].len);
			(void)touch(m->commits[i].sig, MSG_SIG_LEN);
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
		(void)touch(m->text, m->text_len);
		assert(m->nvec == 0 && m->ncommits == 0);
		break;
	case MSG_PART:
		assert(m->ncommits == 1 && m->nvec == 0);
		(void)touch(m->commits[0].body, m->commits[0].len);
		(void)touch(m->commits[0].sig, MSG_SIG_LEN);
		break;
	default:
		assert(!"msg_decode accepted an unknown type");
	}
}

/*
 * Encode ${m} into ${sb} with the msg_*() encoders.  Return 0, or 1 if
 * its text holds a NUL and so cannot be given to them.
 */
static int
encode(const struct msg *m, msgpack_sbuffer *sb)
{
	char text[(MSG_NAME_MAX > MSG_REASON_MAX ? MSG_NAME_MAX :
	    MSG_REASON_MAX) + 1];
	size_t i;
	int e = 0;

	if (m->type == MSG_HELLO || m->type == MSG_BYE) {
		assert(m->text_len < sizeof(text));
		if (m->text_len > 0 && memchr(m->text, '\0', m->text_len))
			return (1);
		if (m->text_len > 0)
			memcpy(text, m->text, m->text_len);
		text[m->text_len] = '\0';
	}
	switch (m->type) {
	case MSG_HELLO:
		e = msg_hello(sb, text, m->vec, m->nvec, m->features);
		break;
	case MSG_ACK:
		e = msg_ack(sb, m->vec, m->nvec);
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
	} else
		assert(b->ver_min == 0 && b->ver_max == 0 && b->features == 0);
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
	assert(a->ncommits == b->ncommits);
	for (i = 0; i < a->ncommits; i++) {
		assert(a->commits[i].len == b->commits[i].len);
		assert(a->commits[i].len == 0 ||
		    memcmp(a->commits[i].body, b->commits[i].body,
		    a->commits[i].len) == 0);
		assert(memcmp(a->commits[i].sig, b->commits[i].sig,
		    MSG_SIG_LEN) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m, m2;
	msgpack_sbuffer sb, sb2;
	int r;

	if ((r = msg_decode(data, size, &m)) != PROTO_OK) {
		assert(r == PROTO_EMSG || r == PROTO_ENOMEM);
		msg_fini(&m);
		/* A zeroed message: fini again is a no-op. */
		msg_fini(&m);
		return (0);
	}
	check(&m);

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

/*
 * test_msg.c: session messages round-trip, and hostile msgpack (huge
 * declared counts, deep nesting, trailing bytes, wrong types, oversize
 * fields) is refused before msgpack-c can allocate for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/resource.h>

#include <sodium.h>

#include "protocol/limits.h"
#include "protocol/msg.h"
#include "protocol/proto.h"

static void
test_roundtrip(void **state)
{
	uint8_t keys[3][MSG_KEY_LEN], body[300], sig[MSG_SIG_LEN];
	struct msg_vec v[3];
	msgpack_sbuffer sb;
	struct msg m;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		randombytes_buf(keys[i], MSG_KEY_LEN);
		v[i].origin = keys[i];
		v[i].seq = (uint64_t)1 << (20 * i);
	}
	msgpack_sbuffer_init(&sb);
	assert_int_equal(msg_hello(&sb, "khorog", v, 3, MSG_FEATURE_ZSTD), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_HELLO);
	assert_int_equal(m.ver_min, MSG_VERSION);
	assert_int_equal(m.features, MSG_FEATURE_ZSTD);
	assert_int_equal(m.text_len, 6);
	assert_memory_equal(m.text, "khorog", 6);
	assert_int_equal(m.nvec, 3);
	for (i = 0; i < 3; i++) {
		assert_memory_equal(m.vec[i].origin, keys[i],
		    MSG_VEC_KEY_LEN);
		assert_int_equal(m.vec[i].seq, v[i].seq);
	}
	msg_fini(&m);

	msgpack_sbuffer_clear(&sb);
	randombytes_buf(body, sizeof(body));
	randombytes_buf(sig, sizeof(sig));
	assert_int_equal(msg_commits_begin(&sb, 2), 0);
	assert_int_equal(msg_commits_add(&sb, body, sizeof(body), sig), 0);
	assert_int_equal(msg_commits_add(&sb, body, 7, sig), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_COMMITS);
	assert_int_equal(m.ncommits, 2);
	assert_int_equal(m.commits[0].len, sizeof(body));
	assert_memory_equal(m.commits[0].body, body, sizeof(body));
	assert_memory_equal(m.commits[1].sig, sig, MSG_SIG_LEN);
	assert_int_equal(m.commits[1].len, 7);
	msg_fini(&m);

	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_ping(&sb, MSG_PONG, 42), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_PONG);
	assert_int_equal(m.nonce, 42);
	msg_fini(&m);

	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_bye(&sb, "version 2 not supported"), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_BYE);
	assert_memory_equal(m.text, "version 2 not supported", m.text_len);
	msg_fini(&m);

	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_ack(&sb, v, 0), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_ACK);
	assert_int_equal(m.nvec, 0);
	msg_fini(&m);
	msgpack_sbuffer_destroy(&sb);
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_maxrss);
}

static void
test_hostile(void **state)
{
	static const uint8_t huge16[] = { 0x92, 0x03, 0xdd, 0x00, 0xff, 0xff,
	    0xff };
	static const uint8_t huge32[] = { 0x92, 0x03, 0xdd, 0xff, 0xff, 0xff,
	    0xff };
	static const uint8_t bare[] = { 0xdd, 0x00, 0xff, 0xff, 0xff };
	static const uint8_t bigmap[] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t bigstr[] = { 0x92, 0x06, 0xdb, 0x7f, 0xff, 0xff,
	    0xff, 'x' };
	static const uint8_t trailing[] = { 0x92, 0x04, 0x01, 0xc0, 0xc0 };
	static const uint8_t badtype[] = { 0x92, 0x04, 0xa1, 'x' };
	static const uint8_t unknown[] = { 0x92, 0x63, 0x01 };
	static const uint8_t ext[] = { 0x92, 0x04, 0xd4, 0x01, 0x01 };
	static const uint8_t shortsig[] = { 0x92, 0x02, 0x91, 0x92, 0xc4,
	    0x01, 0x00, 0xc4, 0x01, 0x00 };
	struct { const uint8_t *b; size_t n; } cases[] = {
		{ huge16, sizeof(huge16) }, { huge32, sizeof(huge32) },
		{ bare, sizeof(bare) }, { bigmap, sizeof(bigmap) },
		{ bigstr, sizeof(bigstr) }, { trailing, sizeof(trailing) },
		{ badtype, sizeof(badtype) }, { unknown, sizeof(unknown) },
		{ ext, sizeof(ext) }, { shortsig, sizeof(shortsig) },
	};
	uint8_t deep[64], name[MSG_NAME_MAX + 40];
	msgpack_sbuffer sb;
	struct msg m;
	long before = maxrss_kb();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(msg_decode(cases[i].b, cases[i].n, &m),
		    PROTO_EMSG);
		msg_fini(&m);
	}
	/* Nesting far deeper than any message: 0x91 = array of one. */
	memset(deep, 0x91, sizeof(deep));
	deep[sizeof(deep) - 1] = 0x01;
	assert_int_equal(msg_decode(deep, sizeof(deep), &m), PROTO_EMSG);
	msg_fini(&m);
	/* Every truncation of a valid HELLO. */
	msgpack_sbuffer_init(&sb);
	memset(name, 'n', sizeof(name));
	name[MSG_NAME_MAX] = '\0';
	assert_int_equal(msg_hello(&sb, (char *)name, NULL, 0, 0), 0);
	for (i = 0; i < sb.size; i++) {
		assert_int_equal(msg_decode((uint8_t *)sb.data, i, &m),
		    PROTO_EMSG);
		msg_fini(&m);
	}
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	msg_fini(&m);
	/* A name over the limit. */
	msgpack_sbuffer_clear(&sb);
	name[MSG_NAME_MAX] = 'n';
	name[MSG_NAME_MAX + 1] = '\0';
	assert_int_equal(msg_hello(&sb, (char *)name, NULL, 0, 0), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_EMSG);
	msg_fini(&m);
	msgpack_sbuffer_destroy(&sb);
	/* Nothing above could make us allocate beyond the input. */
	assert_true(maxrss_kb() - before < 16 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * test_msg.c: session messages round-trip, and hostile msgpack (huge
 * declared counts, deep nesting, trailing bytes, wrong types, oversize
 * fields) is refused before msgpack-c can allocate for it.  ZSTD
 * messages round-trip through one reused context; a raw_len over the
 * frame limit, a zstd frame that lies about its size (a bomb), garbage,
 * and content that is not a COMMITS or PART message are refused.  Names
 * and reasons with control characters or invalid UTF-8 are refused, and
 * the encoders never make one; a HELLO of another version is read as far
 * as its versions; a vector goes on in VECTOR messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/resource.h>

#include <sodium.h>
#include <zstd.h>

#include "protocol/limits.h"
#include "protocol/msg.h"
#include "protocol/proto.h"

static void
test_roundtrip(void **state)
{
	uint8_t keys[3][NODE_KEY_LEN], body[300], sig[NODE_SIG_LEN];
	struct msg_vec v[3];
	msgpack_sbuffer sb;
	struct msg m;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		randombytes_buf(keys[i], NODE_KEY_LEN);
		v[i].origin = keys[i];
		v[i].seq = (uint64_t)1 << (20 * i);
	}
	msgpack_sbuffer_init(&sb);
	assert_int_equal(msg_hello(&sb, "khorog", v, 3, MSG_FEATURE_ZSTD,
	    1798761600123ULL, true), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_HELLO);
	assert_int_equal(m.ver_min, MSG_VERSION);
	assert_int_equal(m.ver_max, MSG_VERSION);
	assert_int_equal(m.features, MSG_FEATURE_ZSTD);
	assert_int_equal(m.clock, 1798761600123ULL);
	assert_true(m.more);
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
	assert_memory_equal(m.commits[1].sig, sig, NODE_SIG_LEN);
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
	assert_int_equal(msg_ack(&sb, v, 0, false), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_ACK);
	assert_int_equal(m.nvec, 0);
	assert_false(m.more);
	msg_fini(&m);

	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_vector(&sb, v + 1, 2, true), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_VECTOR);
	assert_int_equal(m.nvec, 2);
	assert_memory_equal(m.vec[1].origin, keys[2], MSG_VEC_KEY_LEN);
	assert_int_equal(m.vec[1].seq, v[2].seq);
	assert_true(m.more);
	msg_fini(&m);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * A version-2 HELLO with the name ${name} (${len} bytes) as it is, or a
 * version-1 one ([1, 1, 1, name, vector, features], as hamroh 1 sent).
 */
static void
hello_raw(msgpack_sbuffer *sb, int ver, const char *name, size_t len)
{
	msgpack_packer pk;

	msgpack_sbuffer_clear(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	assert_int_equal(msgpack_pack_array(&pk, ver == 1 ? 6 : 8), 0);
	assert_int_equal(msgpack_pack_uint8(&pk, MSG_HELLO), 0);
	assert_int_equal(msgpack_pack_uint8(&pk, (uint8_t)ver), 0);
	assert_int_equal(msgpack_pack_uint8(&pk, (uint8_t)ver), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, name, len), 0);
	assert_int_equal(msgpack_pack_array(&pk, 0), 0);
	assert_int_equal(msgpack_pack_uint8(&pk, 0), 0);
	if (ver != 1) {
		assert_int_equal(msgpack_pack_uint64(&pk, 1), 0);
		assert_int_equal(msgpack_pack_false(&pk), 0);
	}
}

/* [6, reason] with ${reason} (${len} bytes) as it is. */
static void
bye_raw(msgpack_sbuffer *sb, const char *reason, size_t len)
{
	msgpack_packer pk;

	msgpack_sbuffer_clear(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	assert_int_equal(msgpack_pack_array(&pk, 2), 0);
	assert_int_equal(msgpack_pack_uint8(&pk, MSG_BYE), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, reason, len), 0);
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
	assert_int_equal(msg_hello(&sb, (char *)name, NULL, 0, 0, 0, false), 0);
	for (i = 0; i < sb.size; i++) {
		assert_int_equal(msg_decode((uint8_t *)sb.data, i, &m),
		    PROTO_EMSG);
		msg_fini(&m);
	}
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	msg_fini(&m);
	/* A name over the limit. */
	hello_raw(&sb, MSG_VERSION, (char *)name, MSG_NAME_MAX + 1);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_EMSG);
	msg_fini(&m);
	msgpack_sbuffer_destroy(&sb);
	/* Nothing above could make us allocate beyond the input. */
	assert_true(maxrss_kb() - before < 16 * 1024);
}

/*
 * Names and reasons reach logs and terminals: a control character (a
 * newline forges a log line, ESC drives the terminal) or invalid UTF-8
 * refuses the message; any other text passes, and what our encoders send
 * always passes.
 */
static void
test_text(void **state)
{
	static const struct { const char *s; size_t n; } bad[] = {
		{ "a\nINFO session forged", 22 }, { "\x1b[2J", 4 },
		{ "tab\there", 8 }, { "nul\0", 4 }, { "del\x7f", 4 },
		{ "c1 \xc2\x85", 5 }, { "c1 \xc2\x9b", 5 },
		{ "\xff", 1 }, { "\xc0\xaf", 2 }, { "\xe0\x80\xaf", 3 },
		{ "\xed\xa0\x80", 3 }, { "\xf4\x90\x80\x80", 4 },
		{ "cut \xe2\x82", 6 }, { "\x80", 1 },
		{ "\xf8\x88\x80\x80\x80", 5 },
	};
	static const char *const good[] = { "Хорог", "ofis-1 (Душанбе)",
	    "mountain district \xe2\x82\xac \xf0\x9f\x8f\x94", "\xc2\xa0nbsp",
	    "" };
	msgpack_sbuffer sb;
	struct msg m;
	size_t i;

	(void)state;
	msgpack_sbuffer_init(&sb);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("refused: case %zu\n", i);
		hello_raw(&sb, MSG_VERSION, bad[i].s, bad[i].n);
		assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
		    PROTO_EMSG);
		msg_fini(&m);
		bye_raw(&sb, bad[i].s, bad[i].n);
		assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
		    PROTO_EMSG);
		msg_fini(&m);
		/* Our encoders make it acceptable: '?' for each bad one. */
		if (memchr(bad[i].s, '\0', bad[i].n) != NULL)
			continue;
		msgpack_sbuffer_clear(&sb);
		assert_int_equal(msg_bye(&sb, bad[i].s), 0);
		assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
		    PROTO_OK);
		assert_non_null(memchr(m.text, '?', m.text_len));
		msg_fini(&m);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		hello_raw(&sb, MSG_VERSION, good[i], strlen(good[i]));
		assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
		    PROTO_OK);
		assert_int_equal(m.text_len, strlen(good[i]));
		msg_fini(&m);
		bye_raw(&sb, good[i], strlen(good[i]));
		assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
		    PROTO_OK);
		msg_fini(&m);
	}
	/* A long reason is cut between characters, never inside one. */
	{
		char longr[2 * MSG_REASON_MAX + 1];

		/* "x", then Ж (2 bytes) after Ж: the limit cuts one. */
		longr[0] = 'x';
		for (i = 1; i + 2 <= 2 * MSG_REASON_MAX; i += 2)
			memcpy(longr + i, "\xd0\x96", 2);
		longr[i] = '\0';
		msgpack_sbuffer_clear(&sb);
		assert_int_equal(msg_bye(&sb, longr), 0);
		assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
		    PROTO_OK);
		assert_int_equal(m.text_len, MSG_REASON_MAX - 1);
		assert_true(msg_text_ok(m.text, m.text_len));
		msg_fini(&m);
	}
	msgpack_sbuffer_destroy(&sb);
}

/*
 * A HELLO of version 1 (hamroh before vectors over frames) is read as
 * far as its versions, whatever follows, so the session can say which
 * side to upgrade; one of our version must have every field.
 */
static void
test_other_version(void **state)
{
	static const uint8_t v9[] = { 0x94, 0x01, 0x09, 0x09, 0xc0 };
	static const uint8_t short2[] = { 0x96, 0x01, MSG_VERSION,
	    MSG_VERSION, 0xa1, 'x', 0x90, 0x00 };
	static const uint8_t nover[] = { 0x92, 0x01, 0x01 };
	msgpack_sbuffer sb;
	struct msg m;

	(void)state;
	msgpack_sbuffer_init(&sb);
	hello_raw(&sb, 1, "old-office", 10);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_HELLO);
	assert_int_equal(m.ver_min, 1);
	assert_int_equal(m.ver_max, 1);
	assert_int_equal(m.nvec, 0);
	assert_int_equal(m.text_len, 0);
	msg_fini(&m);
	assert_int_equal(msg_decode(v9, sizeof(v9), &m), PROTO_OK);
	assert_int_equal(m.ver_min, 9);
	msg_fini(&m);
	/* Our version in the old layout: malformed. */
	assert_int_equal(msg_decode(short2, sizeof(short2), &m), PROTO_EMSG);
	msg_fini(&m);
	assert_int_equal(msg_decode(nover, sizeof(nover), &m), PROTO_EMSG);
	msg_fini(&m);
	msgpack_sbuffer_destroy(&sb);
}

/* A COMMITS message of ${n} commits like an office's: compressible. */
static void
commits_msg(msgpack_sbuffer *sb, size_t n, size_t seed)
{
	uint8_t body[400], sig[NODE_SIG_LEN];
	size_t i;

	msgpack_sbuffer_clear(sb);
	assert_int_equal(msg_commits_begin(sb, n), 0);
	for (i = 0; i < n; i++) {
		memset(body, 0, sizeof(body));
		snprintf((char *)body + 64, sizeof(body) - 64, "consultations "
		    "summary record %zu: employer kept the passport; referred "
		    "to the consulate in Moscow; status open", i + seed);
		randombytes_buf(body, 48);	/* Keys, ids: no pattern. */
		randombytes_buf(sig, sizeof(sig));
		assert_int_equal(msg_commits_add(sb, body, sizeof(body) -
		    i % 50, sig), 0);
	}
}

/* ${sb} compressed into a ZSTD message in ${out}; 0 if no gain. */
static ssize_t
zpack(struct msg_z *z, const msgpack_sbuffer *sb, msgpack_sbuffer *out)
{
	const uint8_t *zp;
	ssize_t zn;

	zn = msg_z_compress(z, (const uint8_t *)sb->data, sb->size, &zp);
	assert_true(zn >= 0);
	msgpack_sbuffer_clear(out);
	if (zn > 0)
		assert_int_equal(msg_zstd(out, sb->size, zp, (size_t)zn), 0);
	return (zn);
}

/* ${a} and ${b} say the same, field by field. */
static void
assert_same_msg(const struct msg *a, const struct msg *b)
{
	size_t i;

	assert_int_equal(a->type, b->type);
	assert_int_equal(a->total, b->total);
	assert_int_equal(a->offset, b->offset);
	assert_int_equal(a->ncommits, b->ncommits);
	for (i = 0; i < a->ncommits; i++) {
		assert_int_equal(a->commits[i].len, b->commits[i].len);
		assert_memory_equal(a->commits[i].body, b->commits[i].body,
		    a->commits[i].len);
		assert_memory_equal(a->commits[i].sig, b->commits[i].sig,
		    NODE_SIG_LEN);
	}
}

/*
 * COMMITS and PART through msg_z_compress, msg_zstd, msg_decode and
 * msg_z_decode give back what went in, every time through one context
 * whose buffers grow and are reused; incompressible or tiny messages are
 * left alone.
 */
static void
test_zstd_roundtrip(void **state)
{
	static const size_t sizes[] = { 3, 900, 1, 2000, 40, 2000 };
	struct msg_z *z, *zr;
	msgpack_sbuffer plain, zs;
	struct msg pm, zm, m;
	uint8_t piece[300000], sig[NODE_SIG_LEN];
	ssize_t zn;
	size_t i;

	(void)state;
	assert_non_null(z = msg_z_new());
	assert_non_null(zr = msg_z_new());
	msgpack_sbuffer_init(&plain);
	msgpack_sbuffer_init(&zs);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		commits_msg(&plain, sizes[i], i * 10000);
		assert_true(plain.size <= FRAME_MAX_LEN);
		zn = zpack(z, &plain, &zs);
		assert_true(zn > 0);
		/* Well under half: office records are mostly text. */
		assert_true(zs.size < plain.size / 2 + 64);
		assert_int_equal(msg_decode((uint8_t *)zs.data, zs.size, &zm),
		    PROTO_OK);
		assert_int_equal(zm.type, MSG_ZSTD);
		assert_int_equal(zm.raw_len, plain.size);
		assert_int_equal(zm.zlen, (size_t)zn);
		assert_int_equal(msg_z_decode(zr, &zm, &m), PROTO_OK);
		assert_int_equal(m.type, MSG_COMMITS);
		assert_int_equal(m.ncommits, sizes[i]);
		assert_int_equal(msg_decode((uint8_t *)plain.data, plain.size,
		    &pm), PROTO_OK);
		assert_same_msg(&pm, &m);
		msg_fini(&pm);
		msg_fini(&m);
		msg_fini(&zm);
	}
	/* A PART: a piece of a large guide, text. */
	for (i = 0; i < sizeof(piece); i++)
		piece[i] = (uint8_t)("## Patent renewal\nBring your "
		    "passport and migration card.\n"[i % 48]);
	randombytes_buf(sig, sizeof(sig));
	msgpack_sbuffer_clear(&plain);
	assert_int_equal(msg_part(&plain, 2 * sizeof(piece), sizeof(piece),
	    piece, sizeof(piece), sig), 0);
	assert_true(zpack(z, &plain, &zs) > 0);
	assert_true(zs.size < plain.size / 20);
	assert_int_equal(msg_decode((uint8_t *)zs.data, zs.size, &zm),
	    PROTO_OK);
	assert_int_equal(msg_z_decode(zr, &zm, &m), PROTO_OK);
	assert_int_equal(m.type, MSG_PART);
	assert_int_equal(m.total, 2 * sizeof(piece));
	assert_int_equal(m.offset, sizeof(piece));
	assert_int_equal(m.commits[0].len, sizeof(piece));
	assert_memory_equal(m.commits[0].body, piece, sizeof(piece));
	assert_memory_equal(m.commits[0].sig, sig, NODE_SIG_LEN);
	msg_fini(&m);
	msg_fini(&zm);

	/* Random bytes do not shrink: the message goes as it is. */
	randombytes_buf(piece, sizeof(piece));
	msgpack_sbuffer_clear(&plain);
	assert_int_equal(msg_commits_begin(&plain, 1), 0);
	assert_int_equal(msg_commits_add(&plain, piece, sizeof(piece), sig),
	    0);
	assert_int_equal(zpack(z, &plain, &zs), 0);
	/* Nor do tiny ones, whatever their content. */
	msgpack_sbuffer_clear(&plain);
	assert_int_equal(msg_ping(&plain, MSG_PING, 0), 0);
	assert_int_equal(zpack(z, &plain, &zs), 0);
	/* And the context still works after those. */
	commits_msg(&plain, 100, 7);
	assert_true(zpack(z, &plain, &zs) > 0);
	assert_int_equal(msg_decode((uint8_t *)zs.data, zs.size, &zm),
	    PROTO_OK);
	assert_int_equal(msg_z_decode(zr, &zm, &m), PROTO_OK);
	assert_int_equal(m.ncommits, 100);
	msg_fini(&m);
	msg_fini(&zm);

	msgpack_sbuffer_destroy(&plain);
	msgpack_sbuffer_destroy(&zs);
	msg_z_free(z);
	msg_z_free(zr);
	msg_z_free(NULL);
}

/* ${len} bytes of ${content} as one zstd frame; free the result. */
static uint8_t *
zframe(const void *content, size_t len, bool with_size, size_t *zlen)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len);
	uint8_t *zb = malloc(cap);

	assert_non_null(cc);
	assert_non_null(zb);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc,
	    ZSTD_c_contentSizeFlag, with_size ? 1 : 0)));
	*zlen = ZSTD_compress2(cc, zb, cap, content, len);
	assert_false(ZSTD_isError(*zlen));
	ZSTD_freeCCtx(cc);
	return (zb);
}

/*
 * ${len} zero bytes as one zstd frame that says so, compressed 1 MiB at
 * a time so that making a bomb costs no memory to speak of.
 */
static uint8_t *
zzeros(size_t len, size_t *zlen)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	uint8_t *in = calloc(1, 1 << 20), *out = malloc(1 << 20);
	ZSTD_outBuffer ob = { out, 1 << 20, 0 };
	ZSTD_inBuffer ib;
	size_t left = len, n, r;

	assert_non_null(cc);
	assert_non_null(in);
	assert_non_null(out);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc,
	    ZSTD_c_compressionLevel, 1)));
	assert_false(ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cc, len)));
	do {
		n = left < (1 << 20) ? left : (1 << 20);
		left -= n;
		ib.src = in;
		ib.size = n;
		ib.pos = 0;
		do {
			r = ZSTD_compressStream2(cc, &ob, &ib, left > 0 ?
			    ZSTD_e_continue : ZSTD_e_end);
			assert_false(ZSTD_isError(r));
		} while (ib.pos < ib.size || (left == 0 && r != 0));
	} while (left > 0);
	*zlen = ob.pos;
	ZSTD_freeCCtx(cc);
	free(in);
	return (out);
}

/*
 * Change the content size a zstd frame declares to ${fake}, keeping the
 * field's width (RFC 8878, 3.1.1.1): a frame that lies.
 */
static void
zlie(uint8_t *zb, uint64_t fake)
{
	uint8_t fhd = zb[4];
	size_t off = 5, w, i;

	if (!(fhd & 0x20))
		off++;				/* Window descriptor. */
	off += (size_t[]){ 0, 1, 2, 4 }[fhd & 3];	/* Dictionary id. */
	w = (size_t[]){ (fhd & 0x20) ? 1 : 0, 2, 4, 8 }[fhd >> 6];
	assert_true(w > 0);
	if (w == 2)
		fake -= 256;
	for (i = 0; i < w; i++)
		zb[off + i] = (uint8_t)(fake >> (8 * i));
}

/* [8, raw_len, zbytes] decodes, and msg_z_decode() refuses it. */
static void
assert_zrefused(struct msg_z *z, uint64_t raw_len, const uint8_t *zb,
    size_t zlen)
{
	msgpack_sbuffer sb;
	struct msg zm, m;

	msgpack_sbuffer_init(&sb);
	assert_int_equal(msg_zstd(&sb, raw_len, zb, zlen), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &zm),
	    PROTO_OK);
	assert_int_equal(msg_z_decode(z, &zm, &m), PROTO_EMSG);
	msg_fini(&m);
	msg_fini(&zm);
	msgpack_sbuffer_destroy(&sb);
}

/*
 * raw_len over the frame limit is refused by msg_decode() itself, before
 * any buffer exists; bombs, lies, garbage, trailing or missing bytes and
 * content that is not COMMITS or PART are refused by msg_z_decode(); and
 * none of it costs memory beyond a frame.
 */
static void
test_zstd_hostile(void **state)
{
	static const uint8_t zero_len[] = { 0x93, 0x08, 0x00, 0xc4, 0x00 };
	static const uint8_t no_len[] = { 0x93, 0x08, 0xc0, 0xc4, 0x00 };
	static const uint8_t two[] = { 0x92, 0x08, 0xc4, 0x00 };
	static const uint8_t str[] = { 0x93, 0x08, 0x05, 0xa1, 'x' };
	static const uint8_t four[] = { 0x94, 0x08, 0x01, 0xc4, 0x00, 0x00 };
	/* raw_len = FRAME_MAX_LEN + 1 = 0x100001, as uint32 (0xce). */
	static const uint8_t over[] = { 0x93, 0x08, 0xce, 0x00, 0x10, 0x00,
	    0x01, 0xc4, 0x01, 0x00 };
	static const uint8_t huge[] = { 0x93, 0x08, 0xcf, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xc4, 0x01, 0x00 };
	struct { const uint8_t *b; size_t n; } cases[] = {
		{ zero_len, sizeof(zero_len) }, { no_len, sizeof(no_len) },
		{ two, sizeof(two) }, { str, sizeof(str) },
		{ four, sizeof(four) }, { over, sizeof(over) },
		{ huge, sizeof(huge) },
	};
	static const uint8_t not_msg[] = { 0xc0 };
	static const uint8_t bomb_inner[] = { 0x92, 0x02, 0xdd, 0xff, 0xff,
	    0xff, 0xff };
	struct msg_z *z;
	msgpack_sbuffer sb, plain;
	struct msg zm, m;
	uint8_t *zb, *zb2, *big, junk[512];
	size_t zlen, zlen2, i;
	long before = maxrss_kb();

	(void)state;
	assert_non_null(z = msg_z_new());
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_init(&plain);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(msg_decode(cases[i].b, cases[i].n, &m),
		    PROTO_EMSG);
		msg_fini(&m);
	}
	/* A raw_len of exactly a frame passes the limit; one more does not. */
	assert_int_equal(msg_zstd(&sb, FRAME_MAX_LEN, junk, 1), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	msg_fini(&m);
	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_zstd(&sb, FRAME_MAX_LEN + 1, junk, 1), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_EMSG);
	msg_fini(&m);

	/*
	 * Bombs: 256 MiB of zeros is some 10 KiB of zstd.  Declared as is,
	 * it is over the limit; declared (by the header and raw_len alike)
	 * as 1000 bytes or a whole frame, decoding stops at that much
	 * output and fails.
	 */
	zb = zzeros((size_t)256 << 20, &zlen);
	assert_true(zlen < 65536);
	assert_int_equal(ZSTD_getFrameContentSize(zb, zlen),
	    (size_t)256 << 20);
	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_zstd(&sb, (size_t)256 << 20, zb, zlen), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_EMSG);
	msg_fini(&m);
	assert_zrefused(z, 1000, zb, zlen);	/* Header says 256 MiB. */
	zlie(zb, 1000);
	assert_int_equal(ZSTD_getFrameContentSize(zb, zlen), 1000);
	assert_zrefused(z, 1000, zb, zlen);
	zlie(zb, FRAME_MAX_LEN);
	assert_zrefused(z, FRAME_MAX_LEN, zb, zlen);
	free(zb);
	/*
	 * Whatever the bombs declared, the decoder held a frame at most.
	 * (Checked here: below, ASan's quarantine of the many small frees
	 * would count as memory too.)
	 */
	assert_true(maxrss_kb() - before < 16 * 1024);

	/* A genuine COMMITS, then ways to spoil it. */
	commits_msg(&plain, 20, 0);
	zb = zframe(plain.data, plain.size, true, &zlen);
	assert_int_equal(msg_zstd(&sb, plain.size, zb, zlen), 0);
	msgpack_sbuffer_clear(&sb);
	assert_int_equal(msg_zstd(&sb, plain.size, zb, zlen), 0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &zm),
	    PROTO_OK);
	assert_int_equal(msg_z_decode(z, &zm, &m), PROTO_OK);
	assert_int_equal(m.ncommits, 20);
	msg_fini(&m);
	msg_fini(&zm);
	/* raw_len and the header disagree with the content. */
	assert_zrefused(z, plain.size + 1, zb, zlen);
	assert_zrefused(z, plain.size - 1, zb, zlen);
	zlie(zb, plain.size - 1);
	assert_zrefused(z, plain.size - 1, zb, zlen);
	zlie(zb, plain.size + 1);
	assert_zrefused(z, plain.size + 1, zb, zlen);
	zlie(zb, plain.size);
	/* Every truncation, and a byte more. */
	for (i = 0; i < zlen; i++)
		assert_zrefused(z, plain.size, zb, i);
	assert_non_null(zb2 = malloc(zlen + 1));
	memcpy(zb2, zb, zlen);
	zb2[zlen] = 0;
	assert_zrefused(z, plain.size, zb2, zlen + 1);
	free(zb2);
	/* The frame, then a skippable frame (zstd itself would skip it). */
	assert_non_null(zb2 = malloc(zlen + 16));
	memcpy(zb2, zb, zlen);
	memcpy(zb2 + zlen, "\x50\x2a\x4d\x18\x08\x00\x00\x00", 8);
	memset(zb2 + zlen + 8, 0, 8);
	assert_non_null(big = malloc(plain.size));
	assert_int_equal(ZSTD_decompress(big, plain.size, zb2, zlen + 16),
	    plain.size);
	free(big);
	assert_zrefused(z, plain.size, zb2, zlen + 16);
	free(zb2);
	assert_non_null(zb2 = malloc(zlen + 1));
	/* Each byte flipped in turn: refused, or exactly the message. */
	for (i = 0; i < zlen; i++) {
		memcpy(zb2, zb, zlen);
		zb2[i] ^= 0x10;
		msgpack_sbuffer_clear(&sb);
		assert_int_equal(msg_zstd(&sb, plain.size, zb2, zlen), 0);
		assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &zm),
		    PROTO_OK);
		if (msg_z_decode(z, &zm, &m) == PROTO_OK)
			assert_int_equal(m.ncommits, 20);
		msg_fini(&m);
		msg_fini(&zm);
	}
	free(zb2);
	/* Two frames, each of half the content. */
	zb2 = zframe((uint8_t *)plain.data + 100, plain.size - 100, true,
	    &zlen2);
	free(zb);
	zb = zframe(plain.data, 100, true, &zlen);
	assert_non_null(zb = realloc(zb, zlen + zlen2));
	memcpy(zb + zlen, zb2, zlen2);
	assert_zrefused(z, plain.size, zb, zlen + zlen2);
	free(zb);
	free(zb2);
	/* A frame that does not say its size. */
	zb = zframe(plain.data, plain.size, false, &zlen);
	assert_zrefused(z, plain.size, zb, zlen);
	free(zb);
	/* A skippable frame; random bytes; random bytes after the magic. */
	memset(junk, 0, sizeof(junk));
	memcpy(junk, "\x50\x2a\x4d\x18\x08\x00\x00\x00", 8);
	assert_zrefused(z, 8, junk, 16);
	randombytes_buf(junk, sizeof(junk));
	assert_zrefused(z, sizeof(junk), junk, sizeof(junk));
	memcpy(junk, "\x28\xb5\x2f\xfd", 4);
	assert_zrefused(z, sizeof(junk), junk, sizeof(junk));

	/* Good zstd, but what it holds is not a COMMITS or PART. */
	msgpack_sbuffer_clear(&plain);
	assert_int_equal(msg_hello(&plain, "x", NULL, 0, 1, 0, false), 0);
	zb = zframe(plain.data, plain.size, true, &zlen);
	assert_zrefused(z, plain.size, zb, zlen);
	free(zb);
	msgpack_sbuffer_clear(&plain);
	assert_int_equal(msg_zstd(&plain, 3, junk, 3), 0);
	zb = zframe(plain.data, plain.size, true, &zlen);
	assert_zrefused(z, plain.size, zb, zlen);
	free(zb);
	zb = zframe(not_msg, sizeof(not_msg), true, &zlen);
	assert_zrefused(z, sizeof(not_msg), zb, zlen);
	free(zb);
	/* A msgpack bomb inside: mpcheck sees it, as for a plain frame. */
	zb = zframe(bomb_inner, sizeof(bomb_inner), true, &zlen);
	assert_zrefused(z, sizeof(bomb_inner), zb, zlen);
	free(zb);

	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&plain);
	msg_z_free(z);
}

/* FORK carries exactly two commits; one or three is malformed. */
static void
test_fork_msg(void **state)
{
	uint8_t a[40], b[50], sa[NODE_SIG_LEN], sb2[NODE_SIG_LEN];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct msg m;
	size_t n;

	(void)state;
	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	randombytes_buf(sa, sizeof(sa));
	randombytes_buf(sb2, sizeof(sb2));
	msgpack_sbuffer_init(&sb);
	assert_int_equal(msg_fork(&sb, a, sizeof(a), sa, b, sizeof(b), sb2),
	    0);
	assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
	    PROTO_OK);
	assert_int_equal(m.type, MSG_FORK);
	assert_int_equal(m.ncommits, 2);
	assert_int_equal(m.commits[0].len, sizeof(a));
	assert_memory_equal(m.commits[0].body, a, sizeof(a));
	assert_memory_equal(m.commits[1].body, b, sizeof(b));
	assert_memory_equal(m.commits[1].sig, sb2, NODE_SIG_LEN);
	msg_fini(&m);
	for (n = 1; n <= 3; n += 2) {
		msgpack_sbuffer_clear(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		assert_int_equal(msgpack_pack_array(&pk, 2), 0);
		assert_int_equal(msgpack_pack_uint8(&pk, MSG_FORK), 0);
		assert_int_equal(msgpack_pack_array(&pk, n), 0);
		assert_int_equal(msg_commits_add(&sb, a, sizeof(a), sa), 0);
		if (n == 3) {
			assert_int_equal(msg_commits_add(&sb, a, sizeof(a),
			    sa), 0);
			assert_int_equal(msg_commits_add(&sb, b, sizeof(b),
			    sb2), 0);
		}
		assert_int_equal(msg_decode((uint8_t *)sb.data, sb.size, &m),
		    PROTO_EMSG);
		msg_fini(&m);
	}
	msgpack_sbuffer_destroy(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_other_version),
		cmocka_unit_test(test_zstd_roundtrip),
		cmocka_unit_test(test_zstd_hostile),
		cmocka_unit_test(test_fork_msg),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

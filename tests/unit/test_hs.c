/*
 * test_hs.c: the handshake reproduces the Cacophony vectors byte for byte
 * (Noise_IK and Noise_IKpsk2, 25519_ChaChaPoly_SHA256), handshake and
 * transport messages alike; and refuses tampered or hostile messages:
 * every Wycheproof low-order X25519 point wherever a peer can put it, a
 * substituted encoding of a key, a reflected message 1 and a spliced
 * message 2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "protocol/hs.h"
#include "protocol/proto.h"

#define VECTORS	"tests/vectors/noise-cacophony-ik-xx.json"
#define WYCHEPROOF "tests/vectors/x25519_wycheproof.txt"
#define MAXMSG	8
#define MAXLEN	512

struct vec {
	uint8_t	prologue[64], psk[32], is[32], ie[32], irs[32], rs_[32], re[32];
	uint8_t	hash[32];
	size_t	plen, nmsg;
	uint8_t	payload[MAXMSG][MAXLEN], ct[MAXMSG][MAXLEN];
	size_t	paylen[MAXMSG], ctlen[MAXMSG];
};

static char *
slurp(const char *path)
{
	FILE *f;
	char *buf;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return (buf);
}

/* The hex string after "key": at or after ${*p}, before ${end}. */
static size_t
hexfield(const char **p, const char *end, const char *key, uint8_t *out,
    size_t max)
{
	char pat[64];
	const char *q, *s;
	size_t len;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	q = strstr(*p, pat);
	assert_non_null(q);
	assert_true(q < end);
	s = strchr(q + strlen(pat), '"');
	assert_non_null(s);
	s++;
	len = (size_t)(strchr(s, '"') - s);
	assert_true(len / 2 <= max);
	assert_int_equal(sodium_hex2bin(out, max, s, len, NULL, NULL, NULL),
	    0);
	*p = s + len;
	return (len / 2);
}

static void
load(const char *json, const char *name, struct vec *v)
{
	char pat[128];
	const char *p, *end;

	memset(v, 0, sizeof(*v));
	snprintf(pat, sizeof(pat), "\"protocol_name\": \"%s\"", name);
	p = strstr(json, pat);
	assert_non_null(p);
	end = strstr(p + 1, "\"protocol_name\"");
	if (end == NULL)
		end = p + strlen(p);
	v->plen = hexfield(&p, end, "init_prologue", v->prologue, 64);
	if (strstr(name, "psk") != NULL)
		hexfield(&p, end, "init_psks", v->psk, 32);
	hexfield(&p, end, "init_static", v->is, 32);
	hexfield(&p, end, "init_ephemeral", v->ie, 32);
	hexfield(&p, end, "init_remote_static", v->irs, 32);
	hexfield(&p, end, "resp_static", v->rs_, 32);
	hexfield(&p, end, "resp_ephemeral", v->re, 32);
	hexfield(&p, end, "handshake_hash", v->hash, 32);
	while (v->nmsg < MAXMSG && (strstr(p, "\"payload\"") != NULL) &&
	    strstr(p, "\"payload\"") < end) {
		v->paylen[v->nmsg] = hexfield(&p, end, "payload",
		    v->payload[v->nmsg], MAXLEN);
		v->ctlen[v->nmsg] = hexfield(&p, end, "ciphertext",
		    v->ct[v->nmsg], MAXLEN);
		v->nmsg++;
	}
	assert_true(v->nmsg >= 4);
}

static void
run_vector(const char *name)
{
	const char *path = getenv("HAMROH_VECTORS");
	struct hs i, r;
	struct vec v;
	uint8_t out[MAXLEN], pt[MAXLEN], itx[32], irx[32], rtx[32], rrx[32];
	uint8_t ih[32], rh[32];
	const uint8_t *psk;
	char *json;
	size_t k;

	if ((json = slurp(path ? path : VECTORS)) == NULL)
		fail_msg("cannot read %s", path ? path : VECTORS);
	load(json, name, &v);
	free(json);
	psk = strstr(name, "psk") != NULL ? v.psk : NULL;

	hs_init(&i, true, v.prologue, v.plen, v.is, v.irs, psk);
	hs_init(&r, false, v.prologue, v.plen, v.rs_, NULL, psk);

	/* Message 1, initiator to responder. */
	assert_int_equal(HS_MSG1_LEN(v.paylen[0]), v.ctlen[0]);
	assert_int_equal(hs_write1(&i, v.ie, v.payload[0], v.paylen[0], out),
	    PROTO_OK);
	assert_memory_equal(out, v.ct[0], v.ctlen[0]);
	assert_int_equal(hs_read1(&r, v.ct[0], v.ctlen[0], pt), PROTO_OK);
	assert_memory_equal(pt, v.payload[0], v.paylen[0]);

	/* Message 2, back. */
	assert_int_equal(HS_MSG2_LEN(v.paylen[1]), v.ctlen[1]);
	assert_int_equal(hs_write2(&r, v.re, v.payload[1], v.paylen[1], out),
	    PROTO_OK);
	assert_memory_equal(out, v.ct[1], v.ctlen[1]);
	assert_int_equal(hs_read2(&i, v.ct[1], v.ctlen[1], pt), PROTO_OK);
	assert_memory_equal(pt, v.payload[1], v.paylen[1]);

	assert_int_equal(hs_split(&i, itx, irx, ih), PROTO_OK);
	assert_int_equal(hs_split(&r, rtx, rrx, rh), PROTO_OK);
	assert_memory_equal(ih, v.hash, 32);
	assert_memory_equal(rh, v.hash, 32);
	assert_memory_equal(itx, rrx, 32);
	assert_memory_equal(irx, rtx, 32);

	/* Transport: initiator and responder alternate, nonces count up. */
	for (k = 2; k < v.nmsg; k++) {
		const uint8_t *key = (k % 2 == 0) ? itx : rtx;

		assert_int_equal(hs_cipher(key, (k - 2) / 2, NULL, 0,
		    v.payload[k], v.paylen[k], out, true), PROTO_OK);
		assert_int_equal(v.paylen[k] + HS_TAG_LEN, v.ctlen[k]);
		assert_memory_equal(out, v.ct[k], v.ctlen[k]);
		assert_int_equal(hs_cipher(key, (k - 2) / 2, NULL, 0, v.ct[k],
		    v.ctlen[k], pt, false), PROTO_OK);
		assert_memory_equal(pt, v.payload[k], v.paylen[k]);
	}
}

static void
test_cacophony_ik(void **state)
{

	(void)state;
	run_vector("Noise_IK_25519_ChaChaPoly_SHA256");
}

static void
test_cacophony_ikpsk2(void **state)
{

	(void)state;
	run_vector("Noise_IKpsk2_25519_ChaChaPoly_SHA256");
}

/* A fresh message 1 from random keys, for the negative tests. */
struct pair {
	uint8_t	is[32], rs[32], rs_pub[32], ie[32], psk[32];
	uint8_t	m1[HS_MSG1_LEN(8)];
};

static void
pair_new(struct pair *p)
{
	struct hs i;

	randombytes_buf(p->is, 32);
	randombytes_buf(p->rs, 32);
	randombytes_buf(p->ie, 32);
	randombytes_buf(p->psk, 32);
	crypto_scalarmult_base(p->rs_pub, p->rs);
	hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, p->is, p->rs_pub,
	    p->psk);
	assert_int_equal(hs_write1(&i, p->ie, (const uint8_t *)"12345678", 8,
	    p->m1), PROTO_OK);
	hs_fini(&i);
}

static int
respond(const struct pair *p, const uint8_t *psk, const uint8_t *m,
    size_t len)
{
	uint8_t pt[HS_PAYLOAD_MAX];
	struct hs r;
	int rc;

	hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p->rs, NULL, psk);
	rc = hs_read1(&r, m, len, pt);
	hs_fini(&r);
	return (rc);
}

static void
test_tamper_and_truncate(void **state)
{
	struct pair p;
	uint8_t m[sizeof(p.m1)];
	size_t i;
	int b;

	(void)state;
	pair_new(&p);
	assert_int_equal(respond(&p, p.psk, p.m1, sizeof(p.m1)), PROTO_OK);
	/* Every truncation. */
	for (i = 0; i < sizeof(p.m1); i++)
		assert_int_not_equal(respond(&p, p.psk, p.m1, i), PROTO_OK);
	/* Every single-bit flip of every byte. */
	for (i = 0; i < sizeof(p.m1); i++)
		for (b = 0; b < 8; b++) {
			memcpy(m, p.m1, sizeof(m));
			m[i] ^= (uint8_t)(1 << b);
			assert_int_not_equal(respond(&p, p.psk, m, sizeof(m)),
			    PROTO_OK);
		}
}

/*
 * The PSK enters Noise only at message 2, so a wrong network key fails
 * there; mac1 (keyed by the network key) stops it before Noise runs.
 */
static void
test_wrong_psk_fails_at_message2(void **state)
{
	struct pair p;
	struct hs i, r;
	uint8_t m1[HS_MSG1_LEN(0)], m2[HS_MSG2_LEN(0)], pt[16], re[32];
	uint8_t other[32];

	(void)state;
	pair_new(&p);
	randombytes_buf(other, sizeof(other));
	randombytes_buf(re, sizeof(re));
	hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, p.is, p.rs_pub,
	    p.psk);
	hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL, other);
	assert_int_equal(hs_write1(&i, p.ie, NULL, 0, m1), PROTO_OK);
	assert_int_equal(hs_read1(&r, m1, sizeof(m1), pt), PROTO_OK);
	assert_int_equal(hs_write2(&r, re, NULL, 0, m2), PROTO_OK);
	assert_int_equal(hs_read2(&i, m2, sizeof(m2), pt), PROTO_EDECRYPT);
	hs_fini(&i);
	hs_fini(&r);
}

static void
test_low_order_ephemeral(void **state)
{
	/* A point of order 8 on Curve25519: X25519 with it is all zeros. */
	static const uint8_t low[32] = {
		0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56,
		0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb,
		0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
		0xb8, 0x00 };
	struct pair p;
	uint8_t m[sizeof(p.m1)];

	(void)state;
	pair_new(&p);
	memcpy(m, p.m1, sizeof(m));
	memcpy(m, low, 32);
	assert_int_equal(respond(&p, p.psk, m, sizeof(m)), PROTO_EDH);
}

static void
test_out_of_order(void **state)
{
	struct pair p;
	struct hs r;
	uint8_t out[HS_MSG2_LEN(0)], re[32];

	(void)state;
	pair_new(&p);
	randombytes_buf(re, sizeof(re));
	hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL, p.psk);
	assert_int_equal(hs_write2(&r, re, NULL, 0, out), PROTO_ESTATE);
	assert_int_equal(hs_write1(&r, re, NULL, 0, out), PROTO_ESTATE);
	hs_fini(&r);
}

/*
 * The real keys: Ed25519 node keys converted; the initiator computes mac1
 * for the responder it means, and only that responder, on that network,
 * accepts it.
 */
static void
test_mac1_and_node_keys(void **state)
{
	uint8_t ied_pk[32], ied_sk[64], red_pk[32], red_sk[64];
	uint8_t is[32], ipub[32], rs[32], rpub[32], rpub2[32], net[32];
	uint8_t other[32], k[32], kbad[32], ie[32], re[32];
	uint8_t m1[HS_MSG1_LEN(0) + HS_MAC1_LEN], m2[HS_MSG2_LEN(0)], pt[8];
	uint8_t tx[32], rx[32], h[32], tx2[32], rx2[32], h2[32];
	struct hs i, r;

	(void)state;
	crypto_sign_keypair(ied_pk, ied_sk);
	crypto_sign_keypair(red_pk, red_sk);
	randombytes_buf(net, sizeof(net));
	randombytes_buf(other, sizeof(other));
	randombytes_buf(ie, sizeof(ie));
	randombytes_buf(re, sizeof(re));
	assert_int_equal(hs_x25519_keys(ied_sk, is, ipub), PROTO_OK);
	assert_int_equal(hs_x25519_keys(red_sk, rs, rpub), PROTO_OK);
	/* Anyone can derive a node's X25519 key from its public id. */
	assert_int_equal(hs_x25519_pub(red_pk, rpub2), PROTO_OK);
	assert_memory_equal(rpub, rpub2, 32);

	hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, is, rpub, net);
	assert_int_equal(hs_write1(&i, ie, NULL, 0, m1), PROTO_OK);
	hs_mac1_key(net, rpub, k);
	hs_mac1(k, m1, HS_MSG1_LEN(0), m1 + HS_MSG1_LEN(0));
	assert_int_equal(hs_mac1_check(k, m1, sizeof(m1)), PROTO_OK);
	/* Another network, or another responder: mac1 fails first. */
	hs_mac1_key(other, rpub, kbad);
	assert_int_equal(hs_mac1_check(kbad, m1, sizeof(m1)), PROTO_EMAC1);
	hs_mac1_key(net, ipub, kbad);
	assert_int_equal(hs_mac1_check(kbad, m1, sizeof(m1)), PROTO_EMAC1);
	m1[3] ^= 1;
	assert_int_equal(hs_mac1_check(k, m1, sizeof(m1)), PROTO_EMAC1);
	m1[3] ^= 1;
	assert_int_equal(hs_mac1_check(k, m1, HS_MAC1_LEN - 1), PROTO_EMAC1);

	hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, rs, NULL, net);
	assert_int_equal(hs_read1(&r, m1, HS_MSG1_LEN(0), pt), PROTO_OK);
	assert_memory_equal(r.rs, ipub, 32);	/* It learns who called. */
	assert_int_equal(hs_write2(&r, re, NULL, 0, m2), PROTO_OK);
	assert_int_equal(hs_read2(&i, m2, sizeof(m2), pt), PROTO_OK);
	assert_int_equal(hs_split(&i, tx, rx, h), PROTO_OK);
	assert_int_equal(hs_split(&r, tx2, rx2, h2), PROTO_OK);
	assert_memory_equal(tx, rx2, 32);
	assert_memory_equal(rx, tx2, 32);
	assert_memory_equal(h, h2, 32);
}

/* The Wycheproof X25519 vectors of tests/vectors/x25519_wycheproof.txt. */
struct xvec {
	int	id;
	bool	low, noncanon;	/* LowOrderPublic, NonCanonicalPublic. */
	uint8_t	sk[32], pk[32], shared[32];
};

static size_t
xvecs_load(struct xvec **out)
{
	char line[512], res[32], flags[256], sk[65], pk[65], sh[65];
	struct xvec *v = NULL;
	size_t n = 0;
	FILE *f;

	if ((f = fopen(WYCHEPROOF, "r")) == NULL)
		fail_msg("cannot read %s", WYCHEPROOF);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		assert_non_null(v = realloc(v, (n + 1) * sizeof(*v)));
		assert_int_equal(sscanf(line, "%d %31s %255s %64s %64s %64s",
		    &v[n].id, res, flags, sk, pk, sh), 6);
		v[n].low = strstr(flags, "LowOrderPublic") != NULL;
		v[n].noncanon = strstr(flags, "NonCanonicalPublic") != NULL;
		assert_int_equal(sodium_hex2bin(v[n].sk, 32, sk, 64, NULL, NULL,
		    NULL), 0);
		assert_int_equal(sodium_hex2bin(v[n].pk, 32, pk, 64, NULL, NULL,
		    NULL), 0);
		assert_int_equal(sodium_hex2bin(v[n].shared, 32, sh, 64, NULL,
		    NULL, NULL), 0);
		n++;
	}
	fclose(f);
	*out = v;
	return (n);
}

/*
 * The DH the handshake runs: every low-order point refused (they all give
 * the all-zero secret), every other point, non-canonical ones included,
 * gives what RFC 7748 says.
 */
static void
test_wycheproof_dh(void **state)
{
	struct xvec *v;
	uint8_t out[32];
	size_t n, i, low = 0, nc = 0;

	(void)state;
	n = xvecs_load(&v);
	for (i = 0; i < n; i++) {
		if (v[i].low) {
			assert_int_equal(hs_dh(out, v[i].sk, v[i].pk),
			    PROTO_EDH);
			assert_true(sodium_is_zero(v[i].shared, 32));
			low++;
			continue;
		}
		if (hs_dh(out, v[i].sk, v[i].pk) != PROTO_OK ||
		    memcmp(out, v[i].shared, 32) != 0)
			fail_msg("Wycheproof tcId %d: wrong X25519", v[i].id);
		nc += v[i].noncanon;
	}
	/* What the file holds: the selection its header names. */
	assert_int_equal(low, 31);
	assert_int_equal(nc, 13);
	free(v);
}

/*
 * Each low-order point where a peer can put it: as the responder's static
 * key an initiator was given, as the static key an initiator claims in
 * message 1, and as the ephemeral key of message 1 and of message 2.  The
 * step fails with PROTO_EDH, and the handshake is dead: no later step, no
 * split, no session.
 */
static void
test_low_order_everywhere(void **state)
{
	struct xvec *v;
	struct pair p;
	struct hs i, r;
	uint8_t m1[HS_MSG1_LEN(0)], m2[HS_MSG2_LEN(0)], pt[16], re[32];
	uint8_t tx[32], rx[32], h[32];
	size_t n, k, seen = 0;

	(void)state;
	n = xvecs_load(&v);
	pair_new(&p);
	randombytes_buf(re, sizeof(re));
	for (k = 0; k < n; k++) {
		if (!v[k].low)
			continue;
		seen++;
		/* The initiator was told a low-order responder key. */
		hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, p.is,
		    v[k].pk, p.psk);
		assert_int_equal(hs_write1(&i, p.ie, NULL, 0, m1), PROTO_EDH);
		assert_int_equal(hs_write1(&i, p.ie, NULL, 0, m1),
		    PROTO_ESTATE);
		assert_int_equal(hs_split(&i, tx, rx, h), PROTO_ESTATE);

		/* Message 1 whose ephemeral is low-order. */
		hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, p.is,
		    p.rs_pub, p.psk);
		assert_int_equal(hs_write1(&i, p.ie, NULL, 0, m1), PROTO_OK);
		hs_fini(&i);
		memcpy(m1, v[k].pk, 32);
		hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL,
		    p.psk);
		assert_int_equal(hs_read1(&r, m1, sizeof(m1), pt), PROTO_EDH);
		assert_int_equal(hs_write2(&r, re, NULL, 0, m2), PROTO_ESTATE);
		assert_int_equal(hs_split(&r, tx, rx, h), PROTO_ESTATE);

		/*
		 * An initiator claiming a low-order static key (its own DHs
		 * use its real secret, so it can write the message): the
		 * responder's ss refuses it.
		 */
		hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, p.is,
		    p.rs_pub, p.psk);
		memcpy(i.s_pub, v[k].pk, 32);
		assert_int_equal(hs_write1(&i, p.ie, NULL, 0, m1), PROTO_OK);
		hs_fini(&i);
		hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL,
		    p.psk);
		assert_int_equal(hs_read1(&r, m1, sizeof(m1), pt), PROTO_EDH);
		assert_int_equal(hs_write2(&r, re, NULL, 0, m2), PROTO_ESTATE);

		/* Message 2 whose ephemeral is low-order. */
		hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, p.is,
		    p.rs_pub, p.psk);
		hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL,
		    p.psk);
		assert_int_equal(hs_write1(&i, p.ie, NULL, 0, m1), PROTO_OK);
		assert_int_equal(hs_read1(&r, m1, sizeof(m1), pt), PROTO_OK);
		assert_int_equal(hs_write2(&r, re, NULL, 0, m2), PROTO_OK);
		hs_fini(&r);
		memcpy(m2, v[k].pk, 32);
		assert_int_equal(hs_read2(&i, m2, sizeof(m2), pt), PROTO_EDH);
		assert_int_equal(hs_read2(&i, m2, sizeof(m2), pt),
		    PROTO_ESTATE);
		assert_int_equal(hs_split(&i, tx, rx, h), PROTO_ESTATE);
	}
	assert_int_equal(seen, 31);
	free(v);
}

/*
 * Non-canonical points, as the Noise specification says (section 12.1:
 * X25519 of RFC 7748, which takes them modulo p).  An initiator that
 * sends its static key with bit 255 set completes the Noise handshake
 * (hamroh's session then refuses it: the key is not the canonical X25519
 * form of the Ed25519 id it claims; tests/unit/test_wire.c).  But Noise
 * hashes keys as sent, so another encoding of a genuine key substituted
 * into a message (bit 255, or a Wycheproof non-canonical point in place
 * of the ephemeral) fails decryption, never the DH.
 */
static void
test_non_canonical(void **state)
{
	struct xvec *v;
	struct pair p;
	struct hs i, r;
	uint8_t m1[HS_MSG1_LEN(0)], m2[HS_MSG2_LEN(0)], pt[16], re[32];
	uint8_t itx[32], irx[32], ih[32], rtx[32], rrx[32], rh[32];
	uint8_t alias[32];
	size_t n, k;

	(void)state;
	pair_new(&p);
	randombytes_buf(re, sizeof(re));

	/* An honest non-canonical static key: Noise completes. */
	hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, p.is, p.rs_pub,
	    p.psk);
	hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL, p.psk);
	memcpy(alias, i.s_pub, 32);
	alias[31] |= 0x80;
	memcpy(i.s_pub, alias, 32);
	assert_int_equal(hs_write1(&i, p.ie, NULL, 0, m1), PROTO_OK);
	assert_int_equal(hs_read1(&r, m1, sizeof(m1), pt), PROTO_OK);
	assert_memory_equal(r.rs, alias, 32);	/* As sent: not reduced. */
	assert_int_equal(hs_write2(&r, re, NULL, 0, m2), PROTO_OK);
	assert_int_equal(hs_read2(&i, m2, sizeof(m2), pt), PROTO_OK);
	assert_int_equal(hs_split(&i, itx, irx, ih), PROTO_OK);
	assert_int_equal(hs_split(&r, rtx, rrx, rh), PROTO_OK);
	assert_memory_equal(itx, rrx, 32);
	assert_memory_equal(ih, rh, 32);

	/* Bit 255 set on the genuine ephemeral of message 1, of message 2. */
	hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, p.is, p.rs_pub,
	    p.psk);
	assert_int_equal(hs_write1(&i, p.ie, NULL, 0, m1), PROTO_OK);
	m1[31] |= 0x80;
	hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL, p.psk);
	assert_int_equal(hs_read1(&r, m1, sizeof(m1), pt), PROTO_EDECRYPT);
	m1[31] &= 0x7f;
	hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL, p.psk);
	assert_int_equal(hs_read1(&r, m1, sizeof(m1), pt), PROTO_OK);
	assert_int_equal(hs_write2(&r, re, NULL, 0, m2), PROTO_OK);
	m2[31] ^= 0x80;
	assert_int_equal(hs_read2(&i, m2, sizeof(m2), pt), PROTO_EDECRYPT);
	hs_fini(&r);

	/* Wycheproof's non-canonical points in place of the ephemeral. */
	n = xvecs_load(&v);
	for (k = 0; k < n; k++) {
		if (!v[k].noncanon)
			continue;
		memcpy(m1, p.m1, sizeof(m1));
		memcpy(m1, v[k].pk, 32);
		hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, p.rs, NULL,
		    p.psk);
		assert_int_equal(hs_read1(&r, m1, sizeof(m1), pt),
		    v[k].low ? PROTO_EDH : PROTO_EDECRYPT);
		hs_fini(&r);
	}
	free(v);
}

/*
 * A node's own message 1 sent back to it (a reflection): it was made for
 * the peer's key, so mac1 fails; and were mac1 not there, Noise's es and
 * ss are for the peer's static key, so decryption fails.
 */
static void
test_reflected_msg1(void **state)
{
	uint8_t ask[32], apub[32], bsk[32], bpub[32], e[32], net[32];
	uint8_t m1[HS_MSG1_LEN(8) + HS_MAC1_LEN], k[32], pt[16];
	struct hs a, back;

	(void)state;
	randombytes_buf(ask, 32);
	randombytes_buf(bsk, 32);
	randombytes_buf(e, 32);
	randombytes_buf(net, 32);
	crypto_scalarmult_base(apub, ask);
	crypto_scalarmult_base(bpub, bsk);
	/* A dials B. */
	hs_init(&a, true, (const uint8_t *)"hamroh/1", 8, ask, bpub, net);
	assert_int_equal(hs_write1(&a, e, (const uint8_t *)"12345678", 8, m1),
	    PROTO_OK);
	hs_mac1_key(net, bpub, k);
	hs_mac1(k, m1, HS_MSG1_LEN(8), m1 + HS_MSG1_LEN(8));
	/* Reflected to A's own responder. */
	hs_mac1_key(net, apub, k);
	assert_int_equal(hs_mac1_check(k, m1, sizeof(m1)), PROTO_EMAC1);
	hs_init(&back, false, (const uint8_t *)"hamroh/1", 8, ask, NULL, net);
	assert_int_equal(hs_read1(&back, m1, HS_MSG1_LEN(8), pt),
	    PROTO_EDECRYPT);
	assert_int_equal(hs_write2(&back, e, NULL, 0, m1), PROTO_ESTATE);
	hs_fini(&a);
}

/*
 * Message 2 from one handshake delivered into another: two handshakes of
 * the same initiator with the same responder, and one of another
 * initiator.  Each message 2 answers one ephemeral (ee, se): every other
 * handshake fails to decrypt it, and is dead after.
 */
static void
test_spliced_msg2(void **state)
{
	struct pair p;
	struct hs i1, i2, j, r1, r2, rj;
	uint8_t m1[HS_MSG1_LEN(0)], m2a[HS_MSG2_LEN(0)], m2b[HS_MSG2_LEN(0)];
	uint8_t m2j[HS_MSG2_LEN(0)], e[32], js[32], pt[16], tx[32], rx[32];
	uint8_t h[32];

	(void)state;
	pair_new(&p);
	randombytes_buf(js, 32);
#define HS_PAIR(ini, resp, s_, out)					\
	do {								\
		randombytes_buf(e, 32);					\
		hs_init(&(ini), true, (const uint8_t *)"hamroh/1", 8,	\
		    (s_), p.rs_pub, p.psk);				\
		hs_init(&(resp), false, (const uint8_t *)"hamroh/1", 8,	\
		    p.rs, NULL, p.psk);					\
		assert_int_equal(hs_write1(&(ini), e, NULL, 0, m1),	\
		    PROTO_OK);						\
		assert_int_equal(hs_read1(&(resp), m1, sizeof(m1), pt),	\
		    PROTO_OK);						\
		randombytes_buf(e, 32);					\
		assert_int_equal(hs_write2(&(resp), e, NULL, 0, (out)),	\
		    PROTO_OK);						\
	} while (0)
	HS_PAIR(i1, r1, p.is, m2a);
	HS_PAIR(i2, r2, p.is, m2b);
	HS_PAIR(j, rj, js, m2j);
#undef HS_PAIR
	assert_int_equal(hs_read2(&i1, m2b, sizeof(m2b), pt), PROTO_EDECRYPT);
	assert_int_equal(hs_read2(&i1, m2a, sizeof(m2a), pt), PROTO_ESTATE);
	assert_int_equal(hs_read2(&i2, m2j, sizeof(m2j), pt), PROTO_EDECRYPT);
	assert_int_equal(hs_split(&i2, tx, rx, h), PROTO_ESTATE);
	/* Its own message 2 still completes each untouched handshake. */
	assert_int_equal(hs_read2(&j, m2j, sizeof(m2j), pt), PROTO_OK);
	assert_int_equal(hs_split(&j, tx, rx, h), PROTO_OK);
	hs_fini(&r1);
	hs_fini(&r2);
	hs_fini(&rj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cacophony_ik),
		cmocka_unit_test(test_cacophony_ikpsk2),
		cmocka_unit_test(test_tamper_and_truncate),
		cmocka_unit_test(test_wrong_psk_fails_at_message2),
		cmocka_unit_test(test_low_order_ephemeral),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_mac1_and_node_keys),
		cmocka_unit_test(test_wycheproof_dh),
		cmocka_unit_test(test_low_order_everywhere),
		cmocka_unit_test(test_non_canonical),
		cmocka_unit_test(test_reflected_msg1),
		cmocka_unit_test(test_spliced_msg2),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

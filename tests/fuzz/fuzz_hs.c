/*
 * fuzz_hs.c: libFuzzer target for the Noise handshake of protocol/hs.c.
 * Compiled against the production sources; no I/O.  Static keys, the PSK
 * and the ephemerals are fixed, made from constants, so that seeds stay
 * valid; the prologue is the agent's, "hamroh/1".
 *
 * The first byte b picks mode (b - 1) % 3 + 1 (modulo 256 first), so both
 * the bytes 1, 2, 3 and the digits '1', '2', '3' name modes 1, 2, 3:
 *
 *   1  The rest is message 1 to a fresh responder: hs_read1() must accept
 *      it or return a code a peer can cause (PROTO_ELEN exactly when the
 *      length is out of range; any other leaves the handshake dead), and
 *      only an accepted one lets it go on to hs_write2(); then the
 *      initiator, if the message was ours, reads message 2 and both
 *      sides split alike.  hs_mac1_check() sees the bytes first and
 *      must answer, but whatever it says they go on: mac1 is outside
 *      Noise, and a peer may know the network key.
 *   2  The 3 bytes after b choose a bit; the rest, cut to HS_PAYLOAD_MAX,
 *      is the payload of a real message 1, followed by its mac1 under a
 *      fixed network key.  The mac1 must check, and not under the key of
 *      another responder; the responder must accept the message and get
 *      the payload and the initiator's static key back unchanged.  With a
 *      byte cut off or added it must refuse it; with the chosen bit of
 *      message and mac1 flipped, mac1 must fail and, if the bit was in
 *      the message, so must hs_read1().
 *   3  A full handshake.  The byte after b holds flags: bit 0 for plain
 *      Noise_IK (no PSK), else bit 1 for a responder with another PSK;
 *      the next byte splits the rest into the two payloads.  Both sides
 *      must get each other's payloads and keys, and hs_split() must give
 *      each side's tx as the other's rx and one hash; with another PSK
 *      the initiator must refuse message 2.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "protocol/hs.h"
#include "protocol/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PROLOGUE	((const uint8_t *)"hamroh/1")
#define PROLOGUE_LEN	8

/* The fixed keys: whatever they are, the seed corpus was made with them. */
struct keys {
	uint8_t	is[HS_KEY_LEN], is_pub[HS_KEY_LEN];	/* Initiator. */
	uint8_t	rs[HS_KEY_LEN], rs_pub[HS_KEY_LEN];	/* Responder. */
	uint8_t	ie[HS_KEY_LEN], re[HS_KEY_LEN];		/* Ephemerals. */
	uint8_t	psk[HS_KEY_LEN], other[HS_KEY_LEN];
	uint8_t	net[HS_KEY_LEN];			/* Network key. */
	uint8_t	mac1_other[HS_KEY_LEN];			/* Wrong mac1 key. */
};

static void
fill(uint8_t k[HS_KEY_LEN], uint8_t seed)
{
	size_t i;

	for (i = 0; i < HS_KEY_LEN; i++)
		k[i] = (uint8_t)(seed + 13 * i);
}

static void
keys_init(struct keys *k)
{

	fill(k->is, 0x11);
	fill(k->rs, 0x22);
	fill(k->ie, 0x33);
	fill(k->re, 0x44);
	fill(k->psk, 0x55);
	fill(k->other, 0x66);
	crypto_scalarmult_base(k->is_pub, k->is);
	crypto_scalarmult_base(k->rs_pub, k->rs);
	fill(k->net, 0x77);
	hs_mac1_key(k->net, k->is_pub, k->mac1_other);
}

/* A code hs_read1() or hs_read2() may return for a peer's bytes. */
static bool
peer_err(int r)
{

	return (r == PROTO_EDECRYPT || r == PROTO_ELEN || r == PROTO_EDH);
}

/*
 * With ${i} (when not NULL) and ${r} done with message 1, finish: message
 * 2 with payload ${p2}, then split on both sides.  With ${i} NULL only the
 * responder's side is run.
 */
static void
finish(const struct keys *k, struct hs *i, struct hs *r, const uint8_t *p2,
    size_t p2_len, bool same_psk)
{
	uint8_t m2[HS_MSG2_LEN(HS_PAYLOAD_MAX)], got[HS_PAYLOAD_MAX];
	uint8_t itx[HS_KEY_LEN], irx[HS_KEY_LEN], ih[HS_HASH_LEN];
	uint8_t rtx[HS_KEY_LEN], rrx[HS_KEY_LEN], rh[HS_HASH_LEN];
	int e;

	assert(p2_len <= HS_PAYLOAD_MAX);
	/* Out of sequence is refused. */
	assert(hs_split(r, rtx, rrx, rh) == PROTO_ESTATE);
	assert(hs_write2(r, k->re, p2, p2_len, m2) == PROTO_OK);
	assert(hs_write2(r, k->re, p2, p2_len, m2) == PROTO_ESTATE);
	assert(hs_split(r, rtx, rrx, rh) == PROTO_OK);
	/* Split wipes the state: no second split. */
	assert(hs_split(r, rtx, rrx, rh) == PROTO_ESTATE);
	assert(memcmp(rtx, rrx, HS_KEY_LEN) != 0);
	if (i == NULL)
		return;

	assert(hs_read1(i, m2, HS_MSG2_LEN(p2_len), got) == PROTO_ESTATE);
	e = hs_read2(i, m2, HS_MSG2_LEN(p2_len), got);
	if (!same_psk) {
		assert(e == PROTO_EDECRYPT);
		assert(hs_split(i, itx, irx, ih) == PROTO_ESTATE);
		hs_fini(i);
		return;
	}
	assert(e == PROTO_OK);
	assert(p2_len == 0 || memcmp(got, p2, p2_len) == 0);
	assert(hs_split(i, itx, irx, ih) == PROTO_OK);
	assert(memcmp(itx, rrx, HS_KEY_LEN) == 0);
	assert(memcmp(irx, rtx, HS_KEY_LEN) == 0);
	assert(memcmp(ih, rh, HS_HASH_LEN) == 0);
}

static void
fuzz_read1(const struct keys *k, const uint8_t *buf, size_t len)
{
	struct hs i, r;
	uint8_t m1[HS_MSG1_LEN(HS_PAYLOAD_MAX)], got[HS_PAYLOAD_MAX];
	uint8_t ie_pub[HS_KEY_LEN], mk[HS_KEY_LEN];
	bool in_range, ours;
	int e;

	/* mac1 is outside Noise: hs_read1() must stand without it. */
	hs_mac1_key(k->net, k->rs_pub, mk);
	e = hs_mac1_check(mk, buf, len);
	assert(e == PROTO_OK || e == PROTO_EMAC1);

	in_range = len >= HS_MSG1_LEN(0) && len <= HS_MSG1_LEN(HS_PAYLOAD_MAX);
	hs_init(&r, false, PROLOGUE, PROLOGUE_LEN, k->rs, NULL, k->psk);
	e = hs_read1(&r, buf, len, got);
	if (e != PROTO_OK) {
		assert(peer_err(e));
		assert(in_range == (e != PROTO_ELEN));
		/* Refused: the responder cannot go on, nor try again once
		   the message got into its state. */
		assert(hs_write2(&r, k->re, NULL, 0, m1) == PROTO_ESTATE);
		if (e != PROTO_ELEN)
			assert(hs_read1(&r, buf, len, got) == PROTO_ESTATE);
		hs_fini(&r);
		return;
	}
	assert(in_range);
	assert(hs_read1(&r, buf, len, got) == PROTO_ESTATE);

	/*
	 * Made with our initiator's keys?  Then ours makes the same bytes
	 * from the payload the responder got, and can read message 2.
	 */
	crypto_scalarmult_base(ie_pub, k->ie);
	ours = memcmp(buf, ie_pub, HS_KEY_LEN) == 0 &&
	    memcmp(r.rs, k->is_pub, HS_KEY_LEN) == 0;
	if (ours) {
		hs_init(&i, true, PROLOGUE, PROLOGUE_LEN, k->is, k->rs_pub,
		    k->psk);
		assert(hs_write1(&i, k->ie, got, len - HS_MSG1_LEN(0), m1) ==
		    PROTO_OK);
		assert(memcmp(m1, buf, len) == 0);
	}
	finish(k, ours ? &i : NULL, &r, got, len - HS_MSG1_LEN(0), true);
}

static void
fuzz_flip(const struct keys *k, const uint8_t *buf, size_t len)
{
	struct hs i, r;
	uint8_t m1[HS_MSG1_LEN(HS_PAYLOAD_MAX) + HS_MAC1_LEN];
	uint8_t got[HS_PAYLOAD_MAX], scratch[HS_MSG1_LEN(HS_PAYLOAD_MAX)];
	uint8_t mk[HS_KEY_LEN];
	size_t at, plen, mlen;
	unsigned bit;
	int e;

	if (len < 3)
		return;
	at = (size_t)buf[0] << 16 | (size_t)buf[1] << 8 | buf[2];
	bit = at & 7;
	at >>= 3;
	buf += 3;
	len -= 3;
	plen = len < HS_PAYLOAD_MAX ? len : HS_PAYLOAD_MAX;
	mlen = HS_MSG1_LEN(plen);

	/* Message 1 and its mac1, as on the wire. */
	hs_init(&i, true, PROLOGUE, PROLOGUE_LEN, k->is, k->rs_pub, k->psk);
	assert(hs_write1(&i, k->ie, buf, plen, m1) == PROTO_OK);
	assert(hs_write1(&i, k->ie, buf, plen, scratch) == PROTO_ESTATE);
	hs_fini(&i);
	hs_mac1_key(k->net, k->rs_pub, mk);
	hs_mac1(mk, m1, mlen, m1 + mlen);
	assert(hs_mac1_check(mk, m1, mlen + HS_MAC1_LEN) == PROTO_OK);
	assert(hs_mac1_check(mk, m1, mlen) == PROTO_EMAC1);
	assert(hs_mac1_check(k->mac1_other, m1, mlen + HS_MAC1_LEN) ==
	    PROTO_EMAC1);

	/* Accepted, and what was sent comes back. */
	hs_init(&r, false, PROLOGUE, PROLOGUE_LEN, k->rs, NULL, k->psk);
	assert(hs_read1(&r, m1, mlen, got) == PROTO_OK);
	assert(plen == 0 || memcmp(got, buf, plen) == 0);
	assert(memcmp(r.rs, k->is_pub, HS_KEY_LEN) == 0);
	hs_fini(&r);

	/* One byte short, one too many (a mac1 byte): refused. */
	hs_init(&r, false, PROLOGUE, PROLOGUE_LEN, k->rs, NULL, k->psk);
	e = hs_read1(&r, m1, mlen - 1, got);
	assert(peer_err(e));
	hs_fini(&r);
	hs_init(&r, false, PROLOGUE, PROLOGUE_LEN, k->rs, NULL, k->psk);
	e = hs_read1(&r, m1, mlen + 1, got);
	assert(peer_err(e));
	hs_fini(&r);

	/* One bit flipped: mac1 fails, and so does Noise if it was hit. */
	at %= mlen + HS_MAC1_LEN;
	m1[at] ^= (uint8_t)(1u << bit);
	assert(hs_mac1_check(mk, m1, mlen + HS_MAC1_LEN) == PROTO_EMAC1);
	if (at >= mlen)
		return;
	hs_init(&r, false, PROLOGUE, PROLOGUE_LEN, k->rs, NULL, k->psk);
	e = hs_read1(&r, m1, mlen, got);
	assert(peer_err(e) && e != PROTO_ELEN);
	assert(hs_write2(&r, k->re, NULL, 0, scratch) == PROTO_ESTATE);
	hs_fini(&r);
}

static void
fuzz_full(const struct keys *k, const uint8_t *buf, size_t len)
{
	struct hs i, r;
	uint8_t m1[HS_MSG1_LEN(HS_PAYLOAD_MAX)], got[HS_PAYLOAD_MAX];
	const uint8_t *p1, *p2, *psk;
	size_t p1_len, p2_len, cut;
	bool plain, other;

	if (len < 2)
		return;
	plain = (buf[0] & 1) != 0;
	/* A plain responder has no PSK to differ in. */
	other = !plain && (buf[0] & 2) != 0;
	cut = (len - 2) * buf[1] / 255;
	p1 = buf + 2;
	p1_len = cut < HS_PAYLOAD_MAX ? cut : HS_PAYLOAD_MAX;
	p2 = buf + 2 + cut;
	p2_len = len - 2 - cut;
	if (p2_len > HS_PAYLOAD_MAX)
		p2_len = HS_PAYLOAD_MAX;
	psk = plain ? NULL : k->psk;

	hs_init(&i, true, PROLOGUE, PROLOGUE_LEN, k->is, k->rs_pub, psk);
	hs_init(&r, false, PROLOGUE, PROLOGUE_LEN, k->rs, NULL,
	    other ? k->other : psk);
	/* Each side refuses the other's steps. */
	assert(hs_read1(&i, m1, HS_MSG1_LEN(0), got) == PROTO_ESTATE);
	assert(hs_write1(&r, k->ie, p1, p1_len, m1) == PROTO_ESTATE);
	assert(hs_write1(&i, k->ie, p1, HS_PAYLOAD_MAX + 1, m1) ==
	    PROTO_ELEN);
	assert(hs_write1(&i, k->ie, p1, p1_len, m1) == PROTO_OK);
	assert(hs_read1(&r, m1, HS_MSG1_LEN(p1_len), got) == PROTO_OK);
	assert(p1_len == 0 || memcmp(got, p1, p1_len) == 0);
	assert(memcmp(r.rs, k->is_pub, HS_KEY_LEN) == 0);
	finish(k, &i, &r, p2, p2_len, !other);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keys k;
	unsigned mode;

	if (size < 1)
		return (0);
	if (sodium_init() < 0)
		abort();
	keys_init(&k);
	mode = (uint8_t)(data[0] - 1) % 3u + 1;
	switch (mode) {
	case 1:
		fuzz_read1(&k, data + 1, size - 1);
		break;
	case 2:
		fuzz_flip(&k, data + 1, size - 1);
		break;
	default:
		fuzz_full(&k, data + 1, size - 1);
		break;
	}
	return (0);
}

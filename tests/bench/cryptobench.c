/*
 * cryptobench.c: handshakes per second and framed secretstream throughput,
 * each against raw libsodium measured in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "protocol/frame.h"
#include "protocol/hs.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

int
main(void)
{
	uint8_t is[32], rs[32], rpub[32], psk[32], e[32], k[32], pt[64];
	uint8_t m1[HS_MSG1_LEN(48) + HS_MAC1_LEN], m2[HS_MSG2_LEN(8)];
	uint8_t tx[32], rx[32], h[32], dh[32], hdr[FRAME_HDR_LEN];
	uint8_t *buf, *wire, *out;
	const uint8_t *body;
	struct frame_dec *d;
	struct frame_enc fe;
	crypto_secretstream_xchacha20poly1305_state ss, ps;
	struct hs i, r;
	double t, t_hs, t_dh, t_fr, t_raw;
	size_t n, blen, len = 1024 * 1024, frames = 256, off;
	unsigned long long clen;
	uint8_t tag;
	bool fin;
	int j, reps = 2000;

	if (sodium_init() < 0)
		return (1);
	randombytes_buf(is, 32);
	randombytes_buf(rs, 32);
	randombytes_buf(psk, 32);
	crypto_scalarmult_base(rpub, rs);
	hs_mac1_key(psk, rpub, k);

	/* The responder's side of a handshake: mac1, read 1, write 2, split. */
	t_hs = 0;
	for (j = 0; j < reps; j++) {
		randombytes_buf(e, 32);
		hs_init(&i, true, (const uint8_t *)"hamroh/1", 8, is, rpub, psk);
		hs_write1(&i, e, pt, 48, m1);
		hs_mac1(k, m1, HS_MSG1_LEN(48), m1 + HS_MSG1_LEN(48));
		t = now_s();
		hs_init(&r, false, (const uint8_t *)"hamroh/1", 8, rs, NULL, psk);
		if (hs_mac1_check(k, m1, sizeof(m1)) || hs_read1(&r, m1,
		    HS_MSG1_LEN(48), pt) || hs_write2(&r, e, pt, 8, m2) ||
		    hs_split(&r, tx, rx, h))
			return (1);
		t_hs += now_s() - t;
		hs_fini(&i);
	}
	/* The floor: the four X25519 operations a responder must do. */
	t = now_s();
	for (j = 0; j < reps * 4; j++)
		if (crypto_scalarmult(dh, rs, rpub) != 0)
			return (1);
	t_dh = now_s() - t;
	printf("%-10s %8.0f handshakes/s (responder)   4 x X25519 alone "
	    "%.0f/s   ratio %.2f\n", "handshake", reps / t_hs,
	    reps / t_dh, t_dh / t_hs);

	/* Framed secretstream, 1 MiB frames, vs raw push + pull. */
	if ((buf = malloc(len)) == NULL || (wire = malloc(FRAME_WIRE_LEN(len)))
	    == NULL || (out = malloc(len + FRAME_ABYTES)) == NULL)
		return (1);
	randombytes_buf(buf, len);
	randombytes_buf(k, 32);
	t = now_s();
	frame_enc_init(&fe, k, hdr);
	d = frame_dec_new(k);
	if (frame_dec_feed(d, hdr, sizeof(hdr), &body, &blen, &fin) < 0)
		return (1);
	for (n = 0; n < frames; n++) {
		frame_enc(&fe, buf, len, false, wire);
		for (off = 0; off < FRAME_WIRE_LEN(len);) {
			ssize_t u = frame_dec_feed(d, wire + off,
			    FRAME_WIRE_LEN(len) - off, &body, &blen, &fin);

			if (u < 0)
				return (1);
			off += (size_t)u;
		}
		if (blen != len)
			return (1);
	}
	t_fr = now_s() - t;
	frame_dec_free(d);
	/* The limit: the same bytes through raw push and pull. */
	t = now_s();
	crypto_secretstream_xchacha20poly1305_init_push(&ss, hdr, k);
	crypto_secretstream_xchacha20poly1305_init_pull(&ps, hdr, k);
	for (n = 0; n < frames; n++) {
		crypto_secretstream_xchacha20poly1305_push(&ss, wire, &clen,
		    buf, len, NULL, 0, 0);
		if (crypto_secretstream_xchacha20poly1305_pull(&ps, out, NULL,
		    &tag, wire, clen, NULL, 0) != 0)
			return (1);
	}
	t_raw = now_s() - t;
	printf("%-10s %8.0f MB/s framed (encrypt + decrypt)   raw "
	    "secretstream %.0f MB/s   ratio %.2f\n", "transport",
	    (double)frames * len / t_fr / 1e6,
	    (double)frames * len / t_raw / 1e6, t_raw / t_fr);
	free(buf);
	free(wire);
	free(out);
	return (0);
}

#ifndef PROTOCOL_FRAME_H
#define PROTOCOL_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>			/* size_t, ssize_t */

#include <sodium.h>

#include "protocol/limits.h"

/*
 * Transport framing after the handshake.  Each direction is one
 * crypto_secretstream_xchacha20poly1305 stream keyed by the Noise split:
 *
 *   stream header (24 bytes), once
 *   frame = push(length: 4 bytes, big-endian) || push(body)
 *
 * The length travels encrypted and authenticated, so it cannot be changed
 * unseen, and it is checked against FRAME_MAX_LEN before anything is
 * allocated.  A clean end is a frame whose body is pushed with the FINAL
 * tag; a stream that stops without one was cut.  Sans-I/O.
 *
 * Rekeying: the sender pushes the body of every FRAME_REKEY_MSGS-th frame
 * (counted since the key last changed), or of the first frame once
 * FRAME_REKEY_MS have passed since then, with TAG_REKEY; secretstream
 * then derives the next key on both sides and forgets the old one, so a
 * state taken from a long-lived agent opens nothing sent before the last
 * rekey, and no key carries more than 2^21 of secretstream's 2^32
 * messages.  The receiver refuses (PROTO_EMSG) a stream whose
 * FRAME_REKEY_MSGS-th frame since the last rekey is neither REKEY nor
 * FINAL.  Both ends count with the same limit; tests lower it on both.
 */
#define FRAME_KEY_LEN		crypto_secretstream_xchacha20poly1305_KEYBYTES
#define FRAME_HDR_LEN		crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define FRAME_ABYTES		crypto_secretstream_xchacha20poly1305_ABYTES
#define FRAME_LEN_WIRE		(4 + FRAME_ABYTES)
/* Bytes on the wire for a body of ${n} bytes. */
#define FRAME_WIRE_LEN(n)	(FRAME_LEN_WIRE + (n) + FRAME_ABYTES)

struct frame_enc {
	crypto_secretstream_xchacha20poly1305_state	st;
	bool						final;
	/*
	 * Rekey at the ${every}-th frame since the last rekey (${since}
	 * counts them), or once FRAME_REKEY_MS passed since ${keyed_at}
	 * (ms), ${now} being the time frame_enc_clock() last gave, if it did.
	 */
	uint32_t	every, since;
	uint64_t	keyed_at, now;
	bool		clocked;
	uint64_t	rekeys;		/* Frames sent with TAG_REKEY. */
};

/* Opaque: the decoder owns a buffer for one frame. */
struct frame_dec;

/**
 * frame_enc_init(e, key, hdr):
 * Start the sending stream; ${hdr} (FRAME_HDR_LEN bytes) goes first on
 * the wire.
 */
void frame_enc_init(struct frame_enc *, const uint8_t[FRAME_KEY_LEN],
    uint8_t[FRAME_HDR_LEN]);

/**
 * frame_enc_clock(e, now_ms):
 * The time now; the first call starts the FRAME_REKEY_MS period.  Without
 * any, only the frame count rekeys.
 */
void frame_enc_clock(struct frame_enc *, uint64_t);

/**
 * frame_enc_rekey_every(e, n) / frame_dec_rekey_every(d, n):
 * Rekey every ${n} frames (at least 1) instead of FRAME_REKEY_MSGS; for
 * tests, on both ends alike.
 */
void frame_enc_rekey_every(struct frame_enc *, uint32_t);

/**
 * frame_enc(e, body, len, final, out):
 * Write FRAME_WIRE_LEN(${len}) bytes to ${out}.  After a final frame the
 * stream is closed.  Return 0 or a negative PROTO_E* code.
 */
int frame_enc(struct frame_enc *, const uint8_t *, size_t, bool, uint8_t *);

/**
 * frame_dec_new(key):
 * A decoder for the receiving stream, or NULL if out of memory.
 */
struct frame_dec *frame_dec_new(const uint8_t[FRAME_KEY_LEN]);

/**
 * frame_dec_feed(d, in, in_len, out, out_len, final):
 * Consume bytes from ${in}.  When a frame is complete, point ${out} at
 * its body (borrowed: valid until the next call on ${d}), set ${out_len}
 * and ${final}, and stop consuming.  Return the number of bytes consumed
 * (with ${out} NULL if no frame is complete yet), or a negative PROTO_E*
 * code; once an error is returned every later call returns it too.
 */
ssize_t frame_dec_feed(struct frame_dec *, const uint8_t *, size_t,
    const uint8_t **, size_t *, bool *);

void frame_dec_rekey_every(struct frame_dec *, uint32_t);

/* Frames received with TAG_REKEY so far. */
uint64_t frame_dec_rekeys(const struct frame_dec *);

/**
 * frame_dec_ended(d):
 * Whether a final frame has been received (a clean end).
 */
bool frame_dec_ended(const struct frame_dec *);

/* Free ${d} and wipe its key; NULL is a no-op. */
void frame_dec_free(struct frame_dec *);

#endif /* !PROTOCOL_FRAME_H */

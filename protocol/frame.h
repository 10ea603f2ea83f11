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

/**
 * frame_dec_ended(d):
 * Whether a final frame has been received (a clean end).
 */
bool frame_dec_ended(const struct frame_dec *);

/* Free ${d} and wipe its key; NULL is a no-op. */
void frame_dec_free(struct frame_dec *);

#endif /* !PROTOCOL_FRAME_H */

#ifndef PROTOCOL_LIMITS_H
#define PROTOCOL_LIMITS_H

/* Every limit of the wire protocol, in one place. */

#define FRAME_MAX_LEN		(1024 * 1024)	/* Plaintext of one frame. */
/*
 * Each direction's transport key changes (secretstream TAG_REKEY on a
 * frame's body) at least every FRAME_REKEY_MSGS frames, and at the first
 * frame after FRAME_REKEY_MS; a receiver refuses a stream that lets
 * FRAME_REKEY_MSGS frames pass without one (protocol/frame.h).
 */
#define FRAME_REKEY_MSGS	(1u << 20)
#define FRAME_REKEY_MS		(60 * 60 * 1000)
#define HS_TIMEOUT_MS		10000		/* Whole handshake. */
#define MSG_MAX_DEPTH		4		/* msgpack nesting (ours is 3). */
#define MSG_MAX_COMMITS		4096		/* In one COMMITS message. */
#define MSG_MAX_ORIGINS		100000		/* In one version vector. */
#define MSG_NAME_MAX		100		/* A node name in HELLO. */
#define MSG_REASON_MAX		200		/* A BYE reason. */

#endif /* !PROTOCOL_LIMITS_H */

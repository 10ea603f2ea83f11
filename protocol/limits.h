#ifndef PROTOCOL_LIMITS_H
#define PROTOCOL_LIMITS_H

/* Every limit of the wire protocol, in one place. */

#define FRAME_MAX_LEN		(1024 * 1024)	/* Plaintext of one frame. */
#define HS_TIMEOUT_MS		10000		/* Whole handshake. */
/*
 * Before authentication (accepted, message 1 not yet in): message 1 in
 * full within HS_MSG1_TIMEOUT_MS of accept, at most HS_PREAUTH_PER_NET
 * such connections from one IPv4 /24 or IPv6 /64, at most HS_PREAUTH_MAX
 * in all (fewer when the process may open few descriptors).
 */
#define HS_MSG1_TIMEOUT_MS	3000
#define HS_PREAUTH_PER_NET	8
#define HS_PREAUTH_MAX		64
#define MSG_MAX_DEPTH		4		/* msgpack nesting (ours is 3). */
#define MSG_MAX_COMMITS		4096		/* In one COMMITS message. */
#define MSG_MAX_ORIGINS		100000		/* In one version vector. */
#define MSG_NAME_MAX		100		/* A node name in HELLO. */
#define MSG_REASON_MAX		200		/* A BYE reason. */

#endif /* !PROTOCOL_LIMITS_H */

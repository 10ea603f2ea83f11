#ifndef PROTOCOL_LIMITS_H
#define PROTOCOL_LIMITS_H

/* Every limit of the wire protocol, in one place. */

/*
 * A node is its Ed25519 key pair: the public key names it (an origin in
 * the log, a member, a peer), the secret key signs its commits and
 * statements.  Each length has this one name everywhere.
 */
#define NODE_KEY_LEN		32	/* Ed25519 public key. */
#define NODE_SK_LEN		64	/* Ed25519 secret key (seed || pk). */
#define NODE_SIG_LEN		64	/* Ed25519 signature. */
/* The network key: the handshake's Noise PSK (network.key, invites). */
#define HS_PSK_LEN		32

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
/*
 * Inbound back-pressure: a node stops reading a peer while more than
 * INPUT_PAUSE_HIGH bytes it owes that peer are queued (handed to the
 * socket or not), and reads again below INPUT_PAUSE_LOW.  A peer that
 * sends and never reads (a flood of PINGs) then costs at most this much
 * memory.  It is well above what an honest session ever queues (two
 * batches in flight, a vector of MSG_MAX_ORIGINS, the socket's share),
 * so two honest peers never both stop reading each other.
 */
#define INPUT_PAUSE_HIGH	(8 * 1024 * 1024)
#define INPUT_PAUSE_LOW		(4 * 1024 * 1024)
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
/*
 * A staff account's name, as a commit records who made it: bytes of
 * UTF-8, room for a full name in Cyrillic (two bytes a letter).
 */
#define USER_NAME_MAX		100

/*
 * How far ahead of a node's own wall clock a received commit may push its
 * hybrid logical clock: one hour.  A commit stamped further ahead (a peer
 * whose clock is wrong) is applied, but the receiver's next stamps stay
 * within this of its own clock, so no peer can make another node's later
 * writes look as if they were made in the future (past a certificate's
 * expiry, say).  A node whose own clock is ahead of what its peers last
 * reported by more than this refuses local writes: its clock is wrong.
 */
#define HLC_MAX_AHEAD_MS	(60 * 60 * 1000)

/*
 * Commits of origins that no certificate ever named (strangers) are set
 * aside, not stored, relayed or counted in the vector, until a certificate
 * names them; at most this many bytes and origins.  Past either cap a
 * stranger's commit is dropped and counted (status shows the count).
 */
#define QUARANTINE_MAX_BYTES	(8 * 1024 * 1024)
#define QUARANTINE_MAX_ORIGINS	256

/*
 * A revoked node's commits past the seq its revocation accepts are stored,
 * relayed, refused and audited, so every node judges alike; past this many
 * more, they are dropped and counted instead (a stolen laptop cannot fill
 * every node's disk).
 */
#define FORMER_MAX_PAST		1000

#endif /* !PROTOCOL_LIMITS_H */

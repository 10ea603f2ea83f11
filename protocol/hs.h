#ifndef PROTOCOL_HS_H
#define PROTOCOL_HS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/limits.h"

/*
 * The handshake: Noise_IKpsk2_25519_ChaChaPoly_SHA256 (Noise spec rev 34),
 * built from libsodium alone.
 *
 *   <- s
 *   ...
 *   -> e, es, s, ss
 *   <- e, ee, se, psk
 *
 * Sans-I/O and deterministic: static keys, ephemeral keys and the PSK come
 * in as arguments; messages are byte arrays in and out.  Secrets live in
 * the struct and are wiped by hs_fini().  A step that fails once the state
 * has changed (a DH with a low-order point, a failed decryption) kills the
 * handshake: its secrets are wiped and every later call returns
 * PROTO_ESTATE, so nothing half-mixed can be used again.
 */
#define HS_KEY_LEN	32
#define HS_HASH_LEN	32
#define HS_TAG_LEN	16
#define HS_PAYLOAD_MAX	1024
/* Message 1: e, encrypted s, encrypted payload. */
#define HS_MSG1_LEN(n)	(HS_KEY_LEN + HS_KEY_LEN + HS_TAG_LEN + (n) + HS_TAG_LEN)
/* Message 2: e, encrypted payload. */
#define HS_MSG2_LEN(n)	(HS_KEY_LEN + (n) + HS_TAG_LEN)

struct hs {
	bool		initiator;
	int		step;		/* Messages done, or HS_DEAD. */
	uint8_t		ck[HS_HASH_LEN], h[HS_HASH_LEN], k[HS_KEY_LEN];
	bool		has_k;
	uint64_t	n;
	uint8_t		s[HS_KEY_LEN], s_pub[HS_KEY_LEN];
	uint8_t		e[HS_KEY_LEN], e_pub[HS_KEY_LEN];
	uint8_t		rs[HS_KEY_LEN], re[HS_KEY_LEN];
	uint8_t		psk[HS_PSK_LEN];
	bool		has_psk;
};

/**
 * hs_init(hs, initiator, prologue, plen, s, rs, psk):
 * Start a handshake with our X25519 static secret ${s}.  The initiator
 * knows the responder's static public key ${rs}; a responder passes NULL
 * and learns the initiator's from message 1.  ${psk} NULL gives plain
 * Noise_IK (for the interoperability tests only).
 */
void hs_init(struct hs *, bool, const uint8_t *, size_t,
    const uint8_t[HS_KEY_LEN], const uint8_t *, const uint8_t *);

/**
 * hs_write1(hs, e, payload, plen, out):
 * Initiator: write message 1 (HS_MSG1_LEN(${plen}) bytes) with ephemeral
 * secret ${e}.  Return 0 or a negative PROTO_E* code.
 */
int hs_write1(struct hs *, const uint8_t[HS_KEY_LEN], const uint8_t *,
    size_t, uint8_t *);

/**
 * hs_read1(hs, in, len, payload):
 * Responder: read message 1; the payload (len - HS_MSG1_LEN(0) bytes)
 * goes to ${payload}, the initiator's static key to ${hs}->rs.
 */
int hs_read1(struct hs *, const uint8_t *, size_t, uint8_t *);

/**
 * hs_write1_more(hs, payload, plen, out) / hs_read1_more(hs, in, len,
 * payload):
 * Outside Noise: more of message 1's payload, after message 1, as one
 * more EncryptAndHash under the same key (the next nonce), so message 2
 * and the transport keys bind it as they bind message 1.  ${out} gets
 * ${plen} + HS_TAG_LEN bytes; the reader's ${payload} len - HS_TAG_LEN.
 */
int hs_write1_more(struct hs *, const uint8_t *, size_t, uint8_t *);
int hs_read1_more(struct hs *, const uint8_t *, size_t, uint8_t *);

/**
 * hs_write2(hs, e, payload, plen, out):
 * Responder: write message 2 (HS_MSG2_LEN(${plen}) bytes).
 */
int hs_write2(struct hs *, const uint8_t[HS_KEY_LEN], const uint8_t *,
    size_t, uint8_t *);

/**
 * hs_read2(hs, in, len, payload):
 * Initiator: read message 2; payload is len - HS_MSG2_LEN(0) bytes.
 */
int hs_read2(struct hs *, const uint8_t *, size_t, uint8_t *);

/**
 * hs_split(hs, tx, rx, hash):
 * After message 2: the transport keys for our sending and receiving
 * directions, and the handshake hash.  Then wipes ${hs}.
 */
int hs_split(struct hs *, uint8_t[HS_KEY_LEN], uint8_t[HS_KEY_LEN],
    uint8_t[HS_HASH_LEN]);

/* Wipe every secret in ${hs}. */
void hs_fini(struct hs *);

#define HS_DEAD		(-1)

/**
 * hs_dh(out, sk, pk):
 * X25519 as the handshake uses it, RFC 7748 section 5: bit 255 of ${pk}
 * is ignored and a non-canonical u-coordinate (p <= u < 2^255) is taken
 * modulo p, as RFC 7748 and the Noise specification (section 12.1) say.
 * A point of low order (the all-zero output of section 6.1, which Noise
 * allows an implementation to refuse) gives PROTO_EDH.  Noise hashes
 * public keys as the bytes sent, so a second encoding of a key is another
 * key to the transcript: substituted into a message it fails decryption.
 */
int hs_dh(uint8_t[HS_KEY_LEN], const uint8_t[HS_KEY_LEN],
    const uint8_t[HS_KEY_LEN]);

/**
 * hs_cipher(k, n, ad, adlen, in, len, out, encrypt):
 * Noise's CipherState: ChaCha20-Poly1305 IETF with nonce 0^32 || LE64(n).
 * Encrypt ${len} bytes to len + 16, or decrypt len to len - 16.
 */
int hs_cipher(const uint8_t[HS_KEY_LEN], uint64_t, const uint8_t *, size_t,
    const uint8_t *, size_t, uint8_t *, bool);

/*
 * Outside Noise: message 1 is followed by mac1, a keyed BLAKE2b-128 of it
 * under BLAKE2b-256(HS_MAC1_LABEL || network key || responder's static
 * public key).  A responder checks it before any DH: a stranger (no
 * network key, or the wrong responder key) gets nothing back, not even a
 * sign that a hamroh node is listening.
 */
#define HS_MAC1_LEN	16
#define HS_NETID_LEN	16
/*
 * The payloads hamroh sends (agent/sync/session.c; PROTOCOL.md, Handshake).
 * Message 1: the initiator's Ed25519 id (32 bytes), its handshake counter
 * (8, big-endian), HS_VERSION, the number of successor statements that
 * follow message 1 (hs_write1_more()), 6 zero bytes.  Message 2:
 * HS_VERSION, 7 zero bytes.  The counter counts up per initiator, persisted before the
 * message goes out: max(wall clock ms, last sent + 1).  A responder takes
 * only a counter above the last one it accepted from that key, and below
 * HS_COUNTER_LIMIT (2^63: it fits SQLite's signed integers).  Version 2
 * made it a counter (version 1 sent the wall clock) and added rekeying to
 * the transport frames (protocol/frame.h); version 3 the successor
 * statements after message 1.
 */
#define HS_VERSION		3
#define HS_COUNTER_LIMIT	(UINT64_C(1) << 63)
#define HS_PROLOGUE_LEN	(8 + HS_NETID_LEN)
#define HS_MAC1_LABEL	"hamroh/mac1"

/**
 * hs_mac1_key(netkey, resp_pub, key):
 * The mac1 key for messages to the responder ${resp_pub}.
 */
void hs_mac1_key(const uint8_t[HS_KEY_LEN], const uint8_t[HS_KEY_LEN],
    uint8_t[HS_KEY_LEN]);

/**
 * hs_mac1(key, msg, len, mac):
 * mac1 of the ${len} bytes of message 1 at ${msg}.
 */
void hs_mac1(const uint8_t[HS_KEY_LEN], const uint8_t *, size_t,
    uint8_t[HS_MAC1_LEN]);

/**
 * hs_mac1_check(key, msg, len):
 * ${msg} is message 1 followed by its mac1 (${len} bytes in all).  Return
 * 0 if the mac matches (compared in constant time), else PROTO_EMAC1.
 */
int hs_mac1_check(const uint8_t[HS_KEY_LEN], const uint8_t *, size_t);

/**
 * hs_prologue(netkey, out):
 * The handshake prologue: "hamroh/1" followed by the network id, a keyed
 * BLAKE2b-128 of the label "hamroh/network-id" under the network key (it
 * names the network without revealing its key).
 */
void hs_prologue(const uint8_t[HS_KEY_LEN], uint8_t[HS_PROLOGUE_LEN]);

/**
 * hs_x25519_keys(ed_sk, x_sk, x_pub):
 * The X25519 static key pair of a node from its Ed25519 secret key.
 */
int hs_x25519_keys(const uint8_t[64], uint8_t[HS_KEY_LEN],
    uint8_t[HS_KEY_LEN]);

/**
 * hs_x25519_pub(ed_pk, x_pub):
 * A node's X25519 static public key from its Ed25519 public key (its id).
 * Return 0, or PROTO_EDH if ${ed_pk} is not a valid point.
 */
int hs_x25519_pub(const uint8_t[HS_KEY_LEN], uint8_t[HS_KEY_LEN]);

#endif /* !PROTOCOL_HS_H */

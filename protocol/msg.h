#ifndef PROTOCOL_MSG_H
#define PROTOCOL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/*
 * Session messages, one per frame, each a msgpack array whose first
 * element is the type (see PROTOCOL.md):
 *
 *   HELLO   [1, ver_min, ver_max, name, vector, features]
 *   COMMITS [2, [[body(bin), sig(bin 64)], ...]]
 *   ACK     [3, vector]
 *   PING    [4, nonce]
 *   PONG    [5, nonce]
 *   BYE     [6, reason]
 *   PART    [7, total, offset, bytes(bin), sig(bin 64)]
 *           -- one commit too large for a frame, in order, in pieces
 *
 *   vector = [[origin(bin 8), seq], ...]   (the first 8 bytes of each key:
 *            a vector of 50 offices fits in well under 1 KiB)
 *
 * Decoding walks every header first (mpcheck) so no declared count or
 * length can make msgpack-c allocate beyond the frame, then checks every
 * field's type and limit before anything reads it.
 */
#define MSG_VERSION		1
#define MSG_KEY_LEN		32
#define MSG_VEC_KEY_LEN		8	/* Origins in a vector: a key prefix. */
#define MSG_SIG_LEN		64
#define MSG_FEATURE_ZSTD	0x1

enum msg_type {
	MSG_HELLO = 1,
	MSG_COMMITS,
	MSG_ACK,
	MSG_PING,
	MSG_PONG,
	MSG_BYE,
	MSG_PART
};

struct msg_vec {
	const uint8_t	*origin;	/* Encoder: a whole key; decoded: a
					   MSG_VEC_KEY_LEN-byte prefix. */
	uint64_t	seq;
};

struct msg_commit {
	const uint8_t	*body;
	size_t		len;
	const uint8_t	*sig;		/* MSG_SIG_LEN bytes. */
};

/* A decoded message; pointers borrow from the frame and the zone. */
struct msg {
	enum msg_type		type;
	uint64_t		ver_min, ver_max, features, nonce;
	const char		*text;		/* HELLO name, BYE reason. */
	size_t			text_len;
	size_t			nvec;
	struct msg_vec		*vec;
	size_t			ncommits;
	struct msg_commit	*commits;
	uint64_t		total, offset;	/* PART; its bytes and sig are
						   commits[0]. */
	/* Private. */
	msgpack_zone		*zone;
	void			*mem;
};

/**
 * msg_decode(buf, len, m):
 * Decode one message from ${buf}; ${m} borrows from it.  Return 0 or a
 * negative PROTO_E* code.  Free with msg_fini() either way.
 */
int msg_decode(const uint8_t *, size_t, struct msg *);

/* Free what msg_decode() allocated; a no-op on a zeroed ${m}. */
void msg_fini(struct msg *);

/* Encoders: append one message to ${sb}; 0 or -1 (out of memory). */
int msg_hello(msgpack_sbuffer *, const char *, const struct msg_vec *,
    size_t, uint64_t);
int msg_ack(msgpack_sbuffer *, const struct msg_vec *, size_t);
int msg_commits_begin(msgpack_sbuffer *, size_t);
int msg_commits_add(msgpack_sbuffer *, const uint8_t *, size_t,
    const uint8_t *);
int msg_ping(msgpack_sbuffer *, enum msg_type, uint64_t);
int msg_bye(msgpack_sbuffer *, const char *);
int msg_part(msgpack_sbuffer *, uint64_t, uint64_t, const uint8_t *, size_t,
    const uint8_t *);

#endif /* !PROTOCOL_MSG_H */

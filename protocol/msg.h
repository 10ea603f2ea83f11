#ifndef PROTOCOL_MSG_H
#define PROTOCOL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>			/* ssize_t */

#include <msgpack.h>

#include "protocol/limits.h"

/*
 * Session messages, one per frame, each a msgpack array whose first
 * element is the type (see PROTOCOL.md):
 *
 *   HELLO   [1, ver_min, ver_max, name, vector, features, clock, more]
 *   COMMITS [2, [[body(bin), sig(bin 64)], ...]]
 *   ACK     [3, vector, more]
 *   PING    [4, nonce]
 *   PONG    [5, nonce]
 *   BYE     [6, reason]
 *   PART    [7, total, offset, bytes(bin), sig(bin 64)]
 *           -- one commit too large for a frame, in order, in pieces
 *   ZSTD    [8, raw_len, zbytes(bin)]
 *           -- one COMMITS or PART message compressed: zbytes is one
 *              zstd frame whose content is exactly raw_len bytes, the
 *              encoding of that message; only to a peer whose HELLO set
 *              MSG_FEATURE_ZSTD and only when we set it too
 *   VECTOR  [9, vector, more]
 *           -- the next part of the vector of the HELLO or ACK before it
 *   FORK    [10, [[body(bin), sig(bin 64)], [body(bin), sig(bin 64)]]]
 *           -- a fork proof: two commits one origin signed that cannot
 *              both be its history (store/fork.c)
 *
 *   vector = [[origin(bin 8), seq], ...]   (the first 8 bytes of each key:
 *            a vector of 50 offices fits in well under 1 KiB)
 *   clock  = the sender's wall clock when it sent HELLO, in ms
 *   more   = true when a VECTOR message follows with more of the vector
 *
 * A vector of up to MSG_MAX_ORIGINS origins does not fit in one frame
 * (some 20 bytes an origin): it goes as HELLO or ACK with its first
 * MSG_VEC_CHUNK origins and VECTOR messages with the rest, nothing in
 * between.  The session (agent/sync/session.c) caps the sum.
 *
 * A HELLO whose versions do not include MSG_VERSION is decoded only as
 * far as ver_min and ver_max (the rest is another version's layout), so
 * that the session can say which side to upgrade.
 *
 * Names and reasons are UTF-8 with no control character (C0, DEL, C1):
 * a decoder refuses any other, and the encoders make their text so.
 *
 * Decoding walks every header first (mpcheck) so no declared count or
 * length can make msgpack-c allocate beyond the frame, then checks every
 * field's type and limit before anything reads it.
 */
#define MSG_VERSION		4	/* 4: commits name a user; 3: FORK;
					   2: clock, vectors over frames. */
/* Origins per HELLO, ACK or VECTOR we send: at most 20 bytes each. */
#define MSG_VEC_CHUNK		32768
#define MSG_VEC_KEY_LEN		8	/* Origins in a vector: a key prefix. */
#define MSG_FEATURE_ZSTD	0x1	/* HELLO features bit 0. */
/*
 * zstd level for batches.  [measured, zstd 1.5.4] Level 3 (zstd's
 * default) takes a guide's prose 7% smaller than level 1 does and ties
 * with it on commits (consultations: some 30% of their bytes; minimal
 * commits, mostly keys, hashes and signatures: 61%), and still compresses
 * a 960 KiB batch in a few milliseconds.
 */
#define MSG_ZSTD_LEVEL		3
/* A ZSTD message's bytes besides zbytes: fixarray, type, raw_len, bin. */
#define MSG_ZSTD_OVERHEAD	(1 + 1 + 5 + 5)

enum msg_type {
	MSG_HELLO = 1,
	MSG_COMMITS,
	MSG_ACK,
	MSG_PING,
	MSG_PONG,
	MSG_BYE,
	MSG_PART,
	MSG_ZSTD,
	MSG_VECTOR,
	MSG_FORK
};

struct msg_vec {
	const uint8_t	*origin;	/* Encoder: a whole key; decoded: a
					   MSG_VEC_KEY_LEN-byte prefix. */
	uint64_t	seq;
};

struct msg_commit {
	const uint8_t	*body;
	size_t		len;
	const uint8_t	*sig;		/* NODE_SIG_LEN bytes. */
};

/* A decoded message; pointers borrow from the frame and the zone. */
struct msg {
	enum msg_type		type;
	uint64_t		ver_min, ver_max, features, nonce;
	uint64_t		clock;		/* HELLO: sender's ms. */
	const char		*text;		/* HELLO name, BYE reason. */
	size_t			text_len;
	size_t			nvec;
	struct msg_vec		*vec;
	bool			more;		/* HELLO, ACK, VECTOR. */
	size_t			ncommits;
	struct msg_commit	*commits;
	uint64_t		total, offset;	/* PART; its bytes and sig are
						   commits[0]. */
	uint64_t		raw_len;	/* ZSTD: its content's length, */
	const uint8_t		*zbytes;	/* and the compressed bytes. */
	size_t			zlen;
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

/*
 * Encoders: append one message to ${sb}; 0 or -1 (out of memory).
 * msg_hello(sb, name, vec, n, features, clock, more); msg_ack() and
 * msg_vector() take the vector and more.  A name or reason is sent as
 * valid text: cut at a character boundary to its limit, each control
 * character or invalid byte replaced by '?'.
 */
int msg_hello(msgpack_sbuffer *, const char *, const struct msg_vec *,
    size_t, uint64_t, uint64_t, bool);
int msg_ack(msgpack_sbuffer *, const struct msg_vec *, size_t, bool);
int msg_vector(msgpack_sbuffer *, const struct msg_vec *, size_t, bool);
int msg_commits_begin(msgpack_sbuffer *, size_t);
int msg_commits_add(msgpack_sbuffer *, const uint8_t *, size_t,
    const uint8_t *);
int msg_ping(msgpack_sbuffer *, enum msg_type, uint64_t);
int msg_bye(msgpack_sbuffer *, const char *);
int msg_part(msgpack_sbuffer *, uint64_t, uint64_t, const uint8_t *, size_t,
    const uint8_t *);
int msg_zstd(msgpack_sbuffer *, uint64_t, const uint8_t *, size_t);
/* msg_fork(sb, a, alen, asig, b, blen, bsig): a fork proof. */
int msg_fork(msgpack_sbuffer *, const uint8_t *, size_t, const uint8_t *,
    const uint8_t *, size_t, const uint8_t *);

/**
 * msg_utf8_char(p, n, cp):
 * The length (1 to 4) of the well-formed UTF-8 sequence at the start of
 * ${p} (${n} > 0 bytes), its code point in ${cp}; 0 if there is none
 * (a stray or missing continuation byte, an overlong form, a surrogate,
 * beyond U+10FFFF, or cut short).
 */
size_t msg_utf8_char(const uint8_t *, size_t, uint32_t *);

/* Whether ${cp} is a control character: C0, DEL or C1. */
bool msg_is_control(uint32_t);

/* Whether ${s} (${n} bytes) is UTF-8 with no control character. */
bool msg_text_ok(const char *, size_t);

/*
 * Compression of COMMITS and PART (PROTOCOL.md, "Compression").  One
 * struct msg_z per session holds a zstd compression context, a
 * decompression context and their buffers, all reused from message to
 * message and allocated on first use.
 */
struct msg_z;

/* A new, empty context; NULL if out of memory.  Free with msg_z_free(). */
struct msg_z *msg_z_new(void);

/* Free ${z}; NULL is a no-op. */
void msg_z_free(struct msg_z *);

/**
 * msg_z_compress(z, msg, len, out):
 * Compress the encoded message ${msg} (${len} bytes) at MSG_ZSTD_LEVEL.
 * Return the length of the compressed bytes, pointed to by ${out}
 * (borrowed: valid until the next call on ${z}), when a ZSTD message
 * holding them (msg_zstd()) is smaller than ${msg}; 0 when it would not
 * be, so ${msg} goes as it is; -1 when out of memory.
 */
ssize_t msg_z_compress(struct msg_z *, const uint8_t *, size_t,
    const uint8_t **) __attribute__((warn_unused_result));

/**
 * msg_z_decode(z, zm, m):
 * ${zm} is a decoded ZSTD message.  Decompress its bytes into ${z} and
 * decode them into ${m}, which borrows from ${z} until the next call on
 * it.  raw_len has been checked against FRAME_MAX_LEN by msg_decode()
 * and sizes the only buffer; the bytes must be exactly one zstd frame
 * declaring raw_len as its content size and yielding exactly raw_len
 * bytes, and those must decode (msg_decode(): mpcheck first) to a
 * COMMITS or PART message.  Return 0, PROTO_EMSG for anything else, or
 * PROTO_ENOMEM.  Free ${m} with msg_fini() either way.
 */
int msg_z_decode(struct msg_z *, const struct msg *, struct msg *)
    __attribute__((warn_unused_result));

#endif /* !PROTOCOL_MSG_H */

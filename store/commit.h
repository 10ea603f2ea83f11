#ifndef STORE_COMMIT_H
#define STORE_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "protocol/limits.h"
#include "store/schema.h"

/*
 * A commit is what one local transaction produced at one node:
 *
 *   body = [1, origin(bin 32), seq, hlc, prev(bin 32), records]
 *       or [1, origin(bin 32), seq, hlc, prev(bin 32), records, user(str)]
 *   records = [[collection(str), id(bin 16), fields], ...]
 *   fields = [[field(str), value, seen], ...]
 *   seen = [[hlc, origin(bin 32)], ...]   -- heads the writer saw
 *
 * encoded with msgpack-c.  hash = BLAKE2b-256(body) names the commit: the
 * next commit's prev is it, and the origin signs it (Ed25519 over
 * COMMIT_SIG_CONTEXT || hash), which binds the exact body bytes while
 * hashing them once — a full Ed25519 signature would hash a large import
 * batch twice more with SHA-512.  The body and the signature are stored
 * and relayed verbatim.  Pure: no I/O.
 *
 * user names the staff account that made the change (1 to USER_NAME_MAX
 * bytes of UTF-8 with no control character: commit_user_valid()); a
 * commit made by the node alone has no seventh element, so every commit
 * written before users existed keeps its bytes, hash and signature.
 */
#define COMMIT_HASH_LEN		32
#define COMMIT_FORMAT		1
#define COMMIT_SIG_CONTEXT	"hamroh/commit/1"	/* 15 bytes + NUL. */
#define COMMIT_MAX_LEN		(2 * 1024 * 1024)	/* Whole body. */
/*
 * Writers cut here: a commit crosses a link whole or not at all, and on a
 * 64 kbit/s link that is up for 20 s at a time 64 KiB (about 20 KiB
 * compressed) gets through in a few seconds.
 */
#define COMMIT_SOFT_LEN		(64 * 1024)
#define COMMIT_MAX_RECORDS	1000	/* Writers cut here too. */
#define COMMIT_MAX_SEEN		64	/* Heads named by one change. */

struct stamp {
	uint64_t	hlc;
	uint8_t		origin[NODE_KEY_LEN];
};

struct fchange {
	const char	*field;		/* Not NUL-terminated. */
	size_t		field_len;
	struct val	v;
	size_t		nseen;
	struct stamp	*seen;
};

struct rchange {
	const char	*coll;		/* Not NUL-terminated. */
	size_t		coll_len;
	uint8_t		id[SCHEMA_ID_LEN];
	size_t		nf;
	struct fchange	*f;
};

/*
 * A commit bad on its own, though validly signed: its origin's fault, not
 * its sender's.  It is stored and relayed like any; none of its changes
 * count (store/judge.c).  Stamped no later than an earlier commit of its
 * origin:
 */
#define COMMIT_REFUSED_CLOCK	1

struct commit {
	uint8_t		origin[NODE_KEY_LEN];
	uint64_t	seq;
	uint64_t	hlc;
	uint8_t		prev[COMMIT_HASH_LEN];
	/* The acting staff account (not NUL-terminated), or NULL. */
	const char	*user;
	size_t		user_len;
	size_t		nrec;
	struct rchange	*rec;
	/*
	 * Not in the body: COMMIT_REFUSED_* when the store refuses the
	 * commit as a whole (0 from commit_decode()).
	 */
	unsigned	refused;
	/* Private: storage of a decoded commit. */
	msgpack_zone	*zone;
	void		*mem;
};

/**
 * commit_encode(c, sb):
 * Append the body of ${c} to ${sb}.  Return 0, or -1 on out of memory.
 */
int commit_encode(const struct commit *, msgpack_sbuffer *);

/**
 * commit_decode(body, len, c, why):
 * Decode ${body} into ${c}, which borrows from ${body} (valid while
 * ${body} is) and owns a zone: free with commit_fini().  Checks structure
 * and limits, not the signature.  Return 0, or -1 with ${why} set to a
 * static string.
 */
int commit_decode(const uint8_t *, size_t, struct commit *, const char **);

/**
 * commit_peek(body, len, origin, seq):
 * Read just the origin and seq of an encoded commit, without decoding the
 * rest.  Return 0, or -1 if the header is not a commit's.
 */
int commit_peek(const uint8_t *, size_t, uint8_t[NODE_KEY_LEN],
    uint64_t *);

/**
 * commit_user_valid(s, len):
 * Whether ${s} may name a commit's user: 1 to USER_NAME_MAX bytes of
 * UTF-8 with no control character (C0, DEL, C1).
 */
bool commit_user_valid(const char *, size_t);

/**
 * commit_fini(c):
 * Free what commit_decode() allocated; a no-op on a zeroed ${c}.
 */
void commit_fini(struct commit *);

/**
 * commit_sign(hash, sk, sig):
 * Sign the commit whose commit_hash() is ${hash} with the Ed25519 secret
 * key ${sk}.
 */
void commit_sign(const uint8_t[COMMIT_HASH_LEN], const uint8_t[NODE_SK_LEN],
    uint8_t[NODE_SIG_LEN]);

/**
 * commit_verify(hash, origin, sig):
 * Return 0 if ${sig} is ${origin}'s signature of the commit whose
 * commit_hash() is ${hash}, else -1.
 */
int commit_verify(const uint8_t[COMMIT_HASH_LEN],
    const uint8_t[NODE_KEY_LEN], const uint8_t[NODE_SIG_LEN]);

/**
 * commit_hash(body, len, out):
 * BLAKE2b-256 of ${body}.
 */
void commit_hash(const uint8_t *, size_t, uint8_t[COMMIT_HASH_LEN]);

/**
 * stamp_cmp(a, b):
 * Order of stamps: by hlc, then origin bytes.  The larger wins LWW.
 */
int stamp_cmp(const struct stamp *, const struct stamp *);

/* Pack a value with msgpack-c. */
int commit_pack_val(msgpack_packer *, const struct val *);

#endif /* !STORE_COMMIT_H */

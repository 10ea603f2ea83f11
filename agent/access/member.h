#ifndef AGENT_MEMBER_H
#define AGENT_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/limits.h"

/*
 * Membership certificates.  An admin signs, with its node key, the
 * canonical msgpack bytes
 *
 *   ["hamroh/cert/1", key(bin 32), name(str), center(str), role(str),
 *    expires(str YYYY-MM-DD)]
 *
 * (Ed25519, detached).  The certificate lives in the node's record of the
 * members collection (id = the first 16 bytes of its key) as the fields
 * key, name, center, role, expires, cert_by (hex admin key) and cert (hex
 * signature), so it gossips like any other data.  A missing name or
 * center is the empty string.  No output, no clock: callers pass now_ms.
 */
#define MEMBER_DATE_LEN		10	/* YYYY-MM-DD */
#define MEMBER_NETNAME_MAX	64	/* Bytes in a network's name. */
/* Longest HOST:PORT: "[" + a 253-byte host + "]:65535". */
#define MEMBER_ADDR_MAX		262
#define MEMBER_MAX_ADDRS	16	/* Addresses carried by an invite. */

struct db;

/* The signed part of a certificate; strings borrowed, NUL-terminated. */
struct member_cert {
	uint8_t		key[NODE_KEY_LEN];
	const char	*name;
	const char	*center;
	const char	*role;		/* admin, center or office. */
	const char	*expires;	/* Last valid day (UTC). */
};

/*
 * A members record as stored, copied out of the database.  The buffers
 * hold the largest value store/schema.c allows for each field; a longer
 * value (from a newer version) makes member_load() refuse the record.
 */
struct member_rec {
	char	key[2 * NODE_KEY_LEN + 1];
	char	name[101];
	char	center[201];
	char	role[8];
	char	expires[MEMBER_DATE_LEN + 1];
	char	cert_by[2 * NODE_KEY_LEN + 1];
	char	cert[2 * NODE_SIG_LEN + 1];
	char	addresses[1001];	/* Space-separated HOST:PORT. */
	char	revoked[21];		/* YYYY-MM-DDTHH:MM:SSZ, or "". */
	char	revoked_reason[201];
	char	revoked_by[2 * NODE_KEY_LEN + 1];
	char	revoked_sig[2 * NODE_SIG_LEN + 1];
};

/* What member_now() says of a member (role admin, or its center). */
struct member_standing {
	bool	admin;
	char	center[201];
};

/* member_now() and member_check() return one of these. */
#define MEMBER_OK	0
#define MEMBER_UNKNOWN	(-1)	/* No certificate of it known here. */
#define MEMBER_ENDED	(-2)	/* Revoked, expired, or voided. */

/*
 * A revocation is an admin's Ed25519 signature over the canonical msgpack
 * ["hamroh/revoke/2", key(bin 32), revoked(str), seq(uint), reason(str)],
 * kept in the revoked node's members record (revoked, revoked_reason,
 * revoked_by, revoked_sig, revoked_seq): seq is the last of the node's
 * commits the admin accepts.  Which revocations count is store/trust.c's
 * to say, for judging and for member_now() alike.
 */

/**
 * member_revoke_sign(key, revoked, seq, reason, sk, sig):
 * Sign a revocation of node ${key}.  Return 0, or -1 if out of memory.
 */
int member_revoke_sign(const uint8_t[static NODE_KEY_LEN], const char *,
    uint64_t, const char *, const uint8_t[static NODE_SK_LEN],
    uint8_t[static NODE_SIG_LEN]) __attribute__((warn_unused_result));

/**
 * member_cert_sign(c, sk, sig):
 * Sign the canonical bytes of ${c} with the Ed25519 secret key ${sk} into
 * ${sig}.  Return 0, or -1 if out of memory.
 */
int member_cert_sign(const struct member_cert *,
    const uint8_t[static NODE_SK_LEN], uint8_t[static NODE_SIG_LEN])
    __attribute__((warn_unused_result));

/**
 * member_cert_verify(c, sig, pk):
 * Return 0 if ${sig} is a valid signature by ${pk} over the canonical bytes
 * of ${c}; otherwise (or out of memory) -1.
 */
int member_cert_verify(const struct member_cert *,
    const uint8_t[static NODE_SIG_LEN], const uint8_t[static NODE_KEY_LEN])
    __attribute__((warn_unused_result));

/**
 * member_load(db, key, r):
 * Copy the live members record of node ${key} (id = ${key}[0:16]) into
 * ${r}; absent fields are empty strings.  Return 1 if found, 0 if there is
 * no such live record (or it holds a value that does not fit ${r}), -1 on
 * a database error.
 */
int member_load(struct db *, const uint8_t[static NODE_KEY_LEN],
    struct member_rec *) __attribute__((warn_unused_result));

/**
 * member_now(db, key, now_ms, ms, why, why_len):
 * Is node ${key} a member of the network ${db} belongs to at ${now_ms}:
 * would a change it made now stand?  The judge's own answer
 * (trust_standing_key() at TRUST_SEQ_ANY), from the certificates and
 * revocations of the log.  Return MEMBER_OK with ${ms} filled (admin, or
 * its center), or MEMBER_UNKNOWN (no certificate of it is known here, or
 * this node is in no network) or MEMBER_ENDED (revoked, expired, or every
 * certificate it has was signed by a node that is no admin, or by a
 * revoked admin after the seq its revocation accepts), with a one-line
 * reason in ${why} ("revoked on 2026-11-20T10:00:00Z (laptop stolen)",
 * "certificate expired on 2026-01-31", "not a member of this network").
 */
int member_now(struct db *, const uint8_t[static NODE_KEY_LEN], uint64_t,
    struct member_standing *, char *, size_t)
    __attribute__((warn_unused_result));

struct trust_stmt;

/**
 * member_now_as(db, key, sts, nst, now_ms, ms, why, why_len):
 * member_now() with the ${nst} successor statements ${sts} taken as facts
 * (store/trust.h, trust_assume()): sts[0] is ${key}'s, sts[i + 1] that of
 * sts[i].old.  The handshake of a node whose statement has not reached
 * this one yet.  A statement that does not verify: MEMBER_UNKNOWN.
 */
int member_now_as(struct db *, const uint8_t[static NODE_KEY_LEN],
    const struct trust_stmt *, size_t, uint64_t, struct member_standing *,
    char *, size_t) __attribute__((warn_unused_result));

/**
 * member_lineage(db, key, out, max):
 * The statements of ${key}'s lineage this node holds, as member_now_as()
 * takes them (at most ${max}).  Return how many, or -1.
 */
int member_lineage(struct db *, const uint8_t[static NODE_KEY_LEN],
    struct trust_stmt *, size_t);

/**
 * member_check(db, key, now_ms, why, why_len):
 * member_now() without the standing: MEMBER_OK (0) or a negative code.
 */
int member_check(struct db *, const uint8_t[static NODE_KEY_LEN], uint64_t,
    char *, size_t) __attribute__((warn_unused_result));

/**
 * member_each(db, fn, arg):
 * Call ${fn}(arg, key) on the network's admin key and each key a
 * certificate of the log names (whether or not it counts), until one
 * returns nonzero, which is returned; -1 if out of memory.
 */
int member_each(struct db *, int (*)(void *, const uint8_t *), void *);

/**
 * member_ended(db, key, now_ms, why, why_len):
 * Whether the membership of ${key} ended: revoked, expired, or voided
 * with its admin (not a key continued by a successor, which lives on
 * under the new one).  If so, the date and reason in ${why}.  list
 * members, status and the agent's dialer ask here.
 */
bool member_ended(struct db *, const uint8_t[static NODE_KEY_LEN], uint64_t,
    char *, size_t);

struct rview;

/* member_ended() of the key of members record ${rv}; false if it has none. */
bool member_ended_view(struct db *, const struct rview *, uint64_t, char *,
    size_t);

/**
 * member_date(now_ms, days, out):
 * Write the UTC date ${days} days after the time ${now_ms} (ms since the
 * epoch) as YYYY-MM-DD into ${out}.
 */
void member_date(uint64_t, uint32_t, char[static MEMBER_DATE_LEN + 1]);

/**
 * member_addr_valid(s):
 * True if ${s} is HOST:PORT: a host name or IPv4 address ([A-Za-z0-9.-],
 * not starting or ending with '-' or '.'), or an IPv6 address in brackets,
 * then a decimal port 1-65535 without leading zeros; at most
 * MEMBER_ADDR_MAX bytes.
 */
bool member_addr_valid(const char *);

#endif /* !AGENT_MEMBER_H */

#ifndef STORE_TRUST_H
#define STORE_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>
#include <sqlite3.h>

#include "store/commit.h"
#include "store/schema.h"

/*
 * Who may write what, judged where commits are applied, so that every node
 * decides alike whatever order commits reach it in.
 *
 * Facts.  An admin signs certificates (node key, name, center, role,
 * expires) and revocations (node key, when, the last seq of the node it
 * accepts, why); both travel as fields of the members collection.  Every
 * fact whose signature verifies, found in any commit of the log, is kept
 * in the tables certs and revocations, with the smallest seq of a commit
 * of its own signer that carried it: a set that only grows, a function of
 * the set of commits.
 *
 * Standing of a change (its origin's seq and HLC), from the facts.  The
 * network's admin key (meta admin_key, "root") is an admin forever.  An
 * issuer is root, or an admin root certified that root never revoked; an
 * admin root revoked is an issuer still for the facts its own commits up
 * to the seq root accepts of it carry.  A certificate counts if root
 * signed it, or (role center or office only) an issuer; it makes its node
 * a member until the end of its expiry day.  Of several, the one that
 * expires first after the HLC gives role and center.  A revocation counts
 * if root signed it, or (of a node that is not an admin) an issuer; of
 * several, the highest accepted seq holds, and the node's changes with a
 * higher seq are not its to make, whatever their HLC.  Admission and key
 * delivery ask the same question of "now": any later change.
 *
 * Rules.  guides, directory, keys: admins.  members: admins, and a node
 * its own record except the revocation fields; a revocation in the old
 * format is refused.  consultations: a record belongs to the center its
 * creation names; the creation is the earliest stamped write of center
 * that stands.  Only an admin may create for another center; only the
 * record's center and admins may change it; the center itself never
 * changes.
 */
#define TRUST_CERT_CONTEXT	"hamroh/cert/1"
#define TRUST_REVOKE_CONTEXT	"hamroh/revoke/2"
#define TRUST_REVOKE_OLD	"hamroh/revoke/1"	/* Refused. */
#define TRUST_SUCC_CONTEXT	"hamroh/successor/1"
#define TRUST_LINEAGE_MAX	8	/* Keys of one lineage looked at. */
/* How a continued key's note starts (struct trust_as_of). */
#define TRUST_CONTINUED		"its successor statement"
#define TRUST_SEQ_ANY		UINT64_MAX	/* Any change to come. */
#define TRUST_WHY_LEN		256

/**
 * trust_cert_bytes(key, name, center, role, expires, sb):
 * Append the canonical bytes a certificate signs to ${sb}:
 * ["hamroh/cert/1", key(bin 32), name, center, role, expires].
 */
int trust_cert_bytes(const uint8_t[NODE_KEY_LEN], const char *,
    const char *, const char *, const char *, msgpack_sbuffer *);

/**
 * trust_revoke_bytes(key, when, seq, reason, sb):
 * Append the canonical bytes a revocation signs to ${sb}:
 * ["hamroh/revoke/2", key(bin 32), when, seq, reason].
 */
int trust_revoke_bytes(const uint8_t[NODE_KEY_LEN], const char *,
    uint64_t, const char *, msgpack_sbuffer *);

/**
 * trust_succ_bytes(old, new, seq, sb):
 * Append the canonical bytes a successor statement signs (by ${old}) to
 * ${sb}: ["hamroh/successor/1", old(bin 32), new(bin 32), seq]: the node
 * of key ${new} continues the origin ${old}, whose last commit is ${seq}.
 *
 * Successors.  The statement travels in the members record of the new key
 * (id = its first 16 bytes, key = its hex), as the fields successor_of
 * (old, hex), successor_seq and successor_sig; successor_cert may carry a
 * certificate of the old key over the record's own name, center, role,
 * expires and cert_by, so that the new key's first commit names it as a
 * join's carries its certificate.  A statement counts if the old key
 * signed it and names another key; of several of one old key, the one
 * with the lowest seq (then the lowest new key) counts, so an origin has
 * at most one successor.  A lineage is a key, its predecessors and its
 * successors (at most TRUST_LINEAGE_MAX deep each way).  A key stands
 * with the certificates of its predecessors as well as its own; a key
 * with a successor makes no change after the seq its statement names (it
 * is continued: admission and key delivery refuse it); a revocation of
 * any key of a lineage revokes every key of it: the key it names keeps
 * the changes up to its accepted seq, a predecessor those up to the seq
 * it was continued from, a successor none (a revocation refuses every
 * successor it does not name, and it names none).
 */
int trust_succ_bytes(const uint8_t[NODE_KEY_LEN],
    const uint8_t[NODE_KEY_LEN], uint64_t, msgpack_sbuffer *);

/* ---- For the store: judge.c, foreign.c, local.c and the rest. ---- */

struct trust;

/* A node's standing at one HLC. */
enum trust_standing {
	TRUST_MEMBER = 0,
	TRUST_STRANGER,		/* No certificate that counts. */
	TRUST_EXPIRED,
	TRUST_REVOKED
};

struct trust_as_of {
	enum trust_standing	st;
	bool			admin;
	const char		*center;	/* Borrowed from the cache. */
	const char		*note;		/* Expiry date or revocation. */
	uint64_t		upto;		/* TRUST_REVOKED: accepted seq. */
};

/* What a judge needs of a consultation's current state. */
struct trust_rec {
	bool			has_center;
	const struct val	*center;	/* The creation's value. */
	uint64_t		c_hlc;		/* The creation's stamp. */
	const uint8_t		*c_origin;
	const char		*schema;	/* Of the tables judged into. */
};

enum trust_verdict {
	TRUST_OK = 0,
	TRUST_REFUSED,		/* ${why} says why. */
	TRUST_REDERIVE		/* An earlier creation: replay the record. */
};

/* The tables (inside the caller's transaction). */
int trust_schema(sqlite3 *, const char *, char *, size_t);

/*
 * Replace facts tables of an older shape (inside the caller's
 * transaction); the caller then finds the facts again in a full replay.
 */
int trust_upgrade(sqlite3 *, char *, size_t);

int trust_open(struct trust **, sqlite3 *);
void trust_close(struct trust *);

/* Forget what is cached (facts or meta changed, or a rollback). */
void trust_reset(struct trust *);

/* Whether writes are judged at all: a node in no network takes all. */
bool trust_enabled(struct trust *);

/**
 * trust_note(tr, origin, seq, rc, keep, fn, arg, err, errlen):
 * Find the facts members change ${rc} of commit (origin, seq) carries that
 * are not recorded yet (or that this commit is the first of their signer
 * to carry), and call ${fn}(arg, key) (unless NULL) for each node whose
 * standing one may change: the node it names and, for an admin's
 * certificate or revocation, every node that admin certified or revoked.
 * With ${keep}, record them.  Return the number of new facts or -1.
 */
int trust_note(struct trust *, const uint8_t *, uint64_t,
    const struct rchange *, bool, int (*)(void *, const uint8_t *), void *,
    char *, size_t);

/*
 * trust_named(tr, key):
 * Whether any certificate that root or an admin root certified signed
 * names ${key} or one of its predecessors by a successor statement that
 * counts (or ${key} is root; or there is no network): the node is
 * or was a member, and its commits belong in the log.  A commit of an
 * origin never named is a stranger's: it is set aside, not stored.
 */
bool trust_named(struct trust *, const uint8_t *);

/*
 * trust_cert_names(tr, rc, key):
 * Whether members change ${rc} carries a certificate of ${key} signed by
 * root or an admin root certified (a new member's first commit does), or
 * a successor statement naming ${key} as the successor of a key such a
 * certificate names (one in the tables, or one ${rc} carries).
 */
bool trust_cert_names(struct trust *, const struct rchange *,
    const uint8_t *);

/* Forget every fact (before a rebuild records them again). */
int trust_clear(struct trust *, char *, size_t);

/**
 * trust_standing(tr, oidx, key, seq, hlc, out):
 * The standing of the change of node ${key} (origin index ${oidx}) in its
 * commit ${seq} stamped ${hlc}.
 */
int trust_standing(struct trust *, uint32_t, const uint8_t *, uint64_t,
    uint64_t, struct trust_as_of *);

/**
 * trust_standing_key(tr, key, seq, ms, out):
 * The same, for a node known by its key only, at ${ms} (ms since the
 * epoch): admission and key delivery ask it with TRUST_SEQ_ANY and now.
 * What ${out} borrows holds until the next call.  ${*known} (unless NULL)
 * says whether any certificate names ${key} at all.
 */
int trust_standing_key(struct trust *, const uint8_t *, uint64_t, uint64_t,
    struct trust_as_of *, bool *);

/**
 * trust_each_key(tr, fn, arg):
 * Call ${fn}(arg, key) on root and each key a certificate or a successor
 * statement names, until one returns nonzero (returned).
 */
int trust_each_key(struct trust *, int (*)(void *, const uint8_t *), void *);

/*
 * A successor statement in short: the old key, the seq it continues from,
 * the old key's signature; the new key is the one it is the statement of.
 * TRUST_SUCC_OPEN as the seq (a restore) leaves the old key as it was: the
 * new key takes its standing and the old key keeps making changes.
 */
#define TRUST_SUCC_OPEN		((uint64_t)INT64_MAX)
struct trust_stmt {
	uint8_t		old[NODE_KEY_LEN];
	uint64_t	seq;
	uint8_t		sig[NODE_SIG_LEN];
};

/**
 * trust_assume(tr, old, new, seq, sig):
 * Take the successor statement (${old}, ${new}, ${seq}) signed ${sig} as
 * a fact for the questions ${tr} is asked from now on, as if a commit of
 * the log carried it (the handshake of a node whose statement has not
 * reached this one yet).  Never recorded.  0, or -1 if it does not verify
 * (or TRUST_LINEAGE_MAX are assumed already).
 */
int trust_assume(struct trust *, const uint8_t *, const uint8_t *, uint64_t,
    const uint8_t *);

/**
 * trust_lineage(tr, key, out, max):
 * The statements that count of ${key}'s predecessors, nearest first:
 * out[0] is the statement of ${key}, out[1] that of out[0].old, and so
 * on.  Return how many (at most ${max}), or -1.
 */
int trust_lineage(struct trust *, const uint8_t *, struct trust_stmt *,
    size_t);

/* Whether two standings judge every write alike. */
bool trust_same(const struct trust_as_of *, const struct trust_as_of *);

/*
 * Confidential fields (client_name, client_phone, summary of a
 * consultation) are stored sealed to a key of the record's center
 * (agent/access/confidential.h): "enc1:" KEYID (16 lowercase hex) ":" base64url without
 * padding of nonce[24] || ciphertext (at least its 16-byte tag).
 */
#define TRUST_SEALED_PREFIX	"enc1:"
#define TRUST_KEYID_HEX		16

/*
 * A key of a center has an 8-byte id whose first TRUST_KEYID_BOUND bytes
 * are those of BLAKE2b-128("hamroh/keyid/1" || center): any node can tell
 * which center a key is of without holding it or a keys record of it.
 * (Keys made before this rule have random ids; they count for the center
 * a keys record that stands names them with.)
 */
#define TRUST_KEYID_CONTEXT	"hamroh/keyid/1"
#define TRUST_KEYID_BOUND	4

/* The first TRUST_KEYID_BOUND bytes of the ids of center ${c}'s keys. */
void trust_keyid_prefix(const char *, size_t, uint8_t[TRUST_KEYID_BOUND]);

/* Whether key id ${id} (8 bytes) is bound to center ${c} (${len} bytes). */
bool trust_keyid_bound(const uint8_t *, const char *, size_t);

/**
 * trust_sealed(s, len):
 * Whether ${s} (${len} bytes) has exactly the sealed syntax.  Says nothing
 * of whether a key opens it.
 */
bool trust_sealed(const char *, size_t);

/* Whether field ${name} (${len} bytes) of a consultation is confidential. */
bool trust_secret(const char *, size_t);

/**
 * trust_judge(tr, oidx, origin, seq, hlc, c, rc, rec, why):
 * May the commit ${seq} of ${origin} stamped ${hlc} make the changes ${rc}
 * to a record of ${c} whose state is ${rec} (consultations only; else
 * NULL)?
 */
enum trust_verdict trust_judge(struct trust *, uint32_t, const uint8_t *,
    uint64_t, uint64_t, const struct coll_def *, const struct rchange *,
    const struct trust_rec *, char[TRUST_WHY_LEN]);

#endif /* !STORE_TRUST_H */

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
 * expires) and revocations (node key, when, why); both travel as fields of
 * the members collection.  Every fact whose signature verifies, found in
 * any commit of the log, is kept in the tables certs and revocations: a
 * set that only grows, a function of the set of commits.
 *
 * Membership as of a commit's HLC, from the facts.  The network's admin
 * key (meta admin_key, "root") is an admin forever.  A certificate counts
 * if root signed it, or (role center or office only) an admin root
 * certified and never revoked; it makes its node a member until the end of
 * its expiry day.  Of several, the one that expires first after the HLC
 * gives role and center.  A revocation counts if root signed it, or (of a
 * node that is not an admin) a counted admin; writes stamped after it are
 * not the node's to make.  Revoking an admin voids the certificates it
 * signed: those nodes need an invite from another admin.
 *
 * Rules.  guides, directory, keys: admins.  members: admins, and a node
 * its own record except the revocation fields.  consultations: a record
 * belongs to the center its creation names; the creation is the earliest
 * stamped write of center that stands.  Only an admin may create for
 * another center; only the record's center and admins may change it; the
 * center itself never changes.
 */
#define TRUST_CERT_CONTEXT	"hamroh/cert/1"
#define TRUST_REVOKE_CONTEXT	"hamroh/revoke/1"
#define TRUST_KEY_LEN		32
#define TRUST_SIG_LEN		64
#define TRUST_WHY_LEN		256

/**
 * trust_cert_bytes(key, name, center, role, expires, sb):
 * Append the canonical bytes a certificate signs to ${sb}:
 * ["hamroh/cert/1", key(bin 32), name, center, role, expires].
 */
int trust_cert_bytes(const uint8_t[TRUST_KEY_LEN], const char *,
    const char *, const char *, const char *, msgpack_sbuffer *);

/**
 * trust_revoke_bytes(key, when, reason, sb):
 * Append the canonical bytes a revocation signs to ${sb}:
 * ["hamroh/revoke/1", key(bin 32), when, reason].
 */
int trust_revoke_bytes(const uint8_t[TRUST_KEY_LEN], const char *,
    const char *, msgpack_sbuffer *);

/* ---- For store/db.c. ---- */

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
};

/* What a judge needs of a consultation's current state. */
struct trust_rec {
	bool			has_center;
	const struct val	*center;	/* The creation's value. */
	uint64_t		c_hlc;		/* The creation's stamp. */
	const uint8_t		*c_origin;
};

enum trust_verdict {
	TRUST_OK = 0,
	TRUST_REFUSED,		/* ${why} says why. */
	TRUST_REDERIVE		/* An earlier creation: replay the record. */
};

/* The tables (inside the caller's transaction). */
int trust_schema(sqlite3 *, const char *, char *, size_t);

int trust_open(struct trust **, sqlite3 *);
void trust_close(struct trust *);

/* Forget what is cached (facts or meta changed, or a rollback). */
void trust_reset(struct trust *);

/* Whether writes are judged at all: a node in no network takes all. */
bool trust_enabled(struct trust *);

/**
 * trust_note(tr, rc, keep, fn, arg, err, errlen):
 * Find the facts members change ${rc} carries that are not recorded yet,
 * and call ${fn}(arg, key) (unless NULL) for each node whose standing one
 * may change: the node it names and, for an admin's certificate or
 * revocation, every node that admin certified or revoked.  With ${keep},
 * record them.  Return the number of new facts or -1.
 */
int trust_note(struct trust *, const struct rchange *, bool,
    int (*)(void *, const uint8_t *), void *, char *, size_t);

/*
 * trust_named(tr, key):
 * Whether any certificate that root or an admin root certified signed
 * names ${key} (or ${key} is root; or there is no network): the node is
 * or was a member, and its commits belong in the log.  A commit of an
 * origin never named is a stranger's: it is set aside, not stored.
 */
bool trust_named(struct trust *, const uint8_t *);

/*
 * trust_cert_names(tr, rc, key):
 * Whether members change ${rc} carries a certificate of ${key} signed by
 * root or an admin root certified (a new member's first commit does).
 */
bool trust_cert_names(struct trust *, const struct rchange *,
    const uint8_t *);

/* Forget every fact (before a rebuild records them again). */
int trust_clear(struct trust *, char *, size_t);

/**
 * trust_standing(tr, oidx, key, hlc, out):
 * The standing of node ${key} (origin index ${oidx}) at ${hlc}.
 */
int trust_standing(struct trust *, uint32_t, const uint8_t *, uint64_t,
    struct trust_as_of *);

/* Whether two standings judge every write alike. */
bool trust_same(const struct trust_as_of *, const struct trust_as_of *);

/**
 * trust_judge(tr, oidx, origin, hlc, c, rc, rec, why):
 * May the commit of ${origin} stamped ${hlc} make the changes ${rc} to a
 * record of ${c} whose state is ${rec} (consultations only; else NULL)?
 */
enum trust_verdict trust_judge(struct trust *, uint32_t, const uint8_t *,
    uint64_t, const struct coll_def *, const struct rchange *,
    const struct trust_rec *, char[TRUST_WHY_LEN]);

#endif /* !STORE_TRUST_H */

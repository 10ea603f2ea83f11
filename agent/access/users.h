#ifndef AGENT_USERS_H
#define AGENT_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/limits.h"
#include "store/db.h"

/*
 * Staff accounts of a node and the node's data key (prefix user_).
 *
 * The data key is an X25519 key pair (crypto_box) made when a node's
 * first user is.  Center keys at rest are sealed to its public half
 * (agent/access/confidential.h), so only a session that holds its secret
 * half opens them; node.key opens none and stays unencrypted, so the agent
 * runs unattended.
 *
 * Every user has a key pair of his own.  Its secret half is wrapped
 * (crypto_secretbox) under a key Argon2id derives from his passphrase; the
 * data key's secret half is sealed (crypto_box_seal) to its public half.
 * Signing in is unwrapping: a wrong passphrase fails the secretbox's MAC,
 * and no hash of the passphrase is kept besides.  Sealing to each user's
 * public key lets an admin rotate the data key (user_rekey()) without
 * knowing the others' passphrases.  The one-time recovery code printed at
 * init is one more such entry, of role "recovery".
 *
 * The entries live in the node's meta table, never synced and never a
 * record: "user:NAME" (and "user-recovery") holds the text
 *
 *   "1 ROLE OPSLIMIT MEMLIMIT SALT USER_PK WRAPPED_SK SEALED_DATA_SK"
 *
 * hex fields: salt 16 bytes, user_pk 32, wrapped_sk nonce(24) ||
 * secretbox(32), sealed_data_sk crypto_box_seal(32).  "data_pk" holds the
 * data key's public half in hex.
 *
 * Cost (the bound: at most 0.25 s per sign-in on the reference
 * 2-core machine): Argon2id (crypto_pwhash_ALG_ARGON2ID13) at opslimit
 * USER_OPSLIMIT = 2 passes over memlimit USER_MEMLIMIT = 64 MiB, measured
 * at about 0.19 s there.  Tests use the same setting: there is no weaker
 * one.  An entry naming other limits is refused unless they are within
 * [USER_OPSLIMIT, 4] and [USER_MEMLIMIT, 256 MiB], so a tampered meta row
 * can neither weaken nor stall a sign-in.
 */
/* USER_NAME_MAX: protocol/limits.h (a commit names its user). */
#define USER_PASS_MIN	8	/* Bytes of a passphrase, at least. */
#define USER_PASS_MAX	1024
#define USER_OPSLIMIT	2ULL
#define USER_MEMLIMIT	(64ULL * 1024 * 1024)
#define USER_KEY_LEN	32
/* The recovery code: 20 characters of USER_CODE_ALPHABET, in 4 groups. */
#define USER_CODE_CHARS	20
#define USER_CODE_LEN	(USER_CODE_CHARS + 3)	/* With the dashes. */

enum user_role {
	USER_NONE = 0,		/* Not signed in: the node only. */
	USER_LAWYER,
	USER_STATISTICIAN,
	USER_ADMIN,
	USER_RECOVERY		/* The recovery code's entry. */
};

/* A signed-in user: his name and role, and the data key he unwrapped. */
struct user_session {
	char		name[USER_NAME_MAX + 1];
	enum user_role	role;
	uint8_t		data_pk[USER_KEY_LEN];
	uint8_t		*data_sk;	/* sodium_malloc()ed; NULL: none. */
};

/* How an account operation failed (the caller words it). */
enum user_res {
	USER_OK = 0,
	USER_EBADNAME,		/* Not 1..64 of [A-Za-z0-9._-] ... */
	USER_EEXISTS,
	USER_ENOENT,		/* No such user. */
	USER_EPASS,		/* The passphrase (or code) does not open it. */
	USER_ESHORT,		/* A new passphrase is too short. */
	USER_ELAST,		/* The last admin cannot go. */
	USER_EDAMAGED,		/* An entry is malformed. */
	USER_ESTORE,		/* ${err} says. */
	USER_ENOMEM
};

/* Role by name ("lawyer"...), USER_NONE if none; and its name. */
enum user_role user_role_parse(const char *);
const char *user_role_name(enum user_role);

/* Whether ${name} may name a user: 1..USER_NAME_MAX letters, digits,
 * '.', '_', '-' or any UTF-8 beyond ASCII (Cyrillic names). */
bool user_name_ok(const char *);

/* Whether the node has a data key (its first user was made). */
bool user_have_datakey(struct db *);

/* The data key's public half: 0, or -1 if the node has none. */
int user_data_pk(struct db *, uint8_t[USER_KEY_LEN]);

/**
 * user_create_first(db, name, pass, passlen, code, s, err):
 * A node's first user, an admin: make the data key, ${name}'s entry and
 * the recovery code's (written to ${code}, NUL-terminated, to be shown
 * once).  ${s} is then ${name}'s session.
 */
enum user_res user_create_first(struct db *, const char *, const char *,
    size_t, char[USER_CODE_LEN + 1], struct user_session *,
    char[STORE_ERRLEN]);

/**
 * user_add(db, s, name, role, pass, passlen, err):
 * A new user, by the signed-in ${s} (who holds the data key).
 */
enum user_res user_add(struct db *, const struct user_session *, const char *,
    enum user_role, const char *, size_t, char[STORE_ERRLEN]);

/**
 * user_signin(db, name, pass, passlen, s):
 * Open ${name}'s entry with ${pass}; ${s} is his session then (wipe it
 * with user_session_end()).  ${name} NULL: the recovery code's entry.
 */
enum user_res user_signin(struct db *, const char *, const char *, size_t,
    struct user_session *);

/* Wipe a session's keys. */
void user_session_end(struct user_session *);

/*
 * A digest of the entry of ${s}'s user as the node holds it now: it
 * changes with his passphrase, his role or the data key, and he has none
 * once removed (-1), so a long-lived session (the web UI's) sees that its
 * sign-in no longer stands.
 */
#define USER_TAG_LEN	16
int user_entry_tag(struct db *, const struct user_session *,
    uint8_t[USER_TAG_LEN]);

/**
 * user_passwd(db, s, name, pass, passlen, err):
 * A new passphrase for ${name}: his entry wrapped anew (his key pair
 * kept), by ${s} holding the data key.
 */
enum user_res user_passwd(struct db *, const struct user_session *,
    const char *, const char *, size_t, char[STORE_ERRLEN]);

/* Remove ${name}'s entry (USER_ELAST for the last admin). */
enum user_res user_rm(struct db *, const char *, char[STORE_ERRLEN]);

/* ${fn}(arg, name, role) per user, by name; nonzero stops (then -1). */
int user_each(struct db *, int (*)(void *, const char *, enum user_role),
    void *);

/* How many users the node has (-1 on error). */
long user_count(struct db *);

/**
 * user_rekey(db, s, pk, sk, err):
 * A new data key: its secret sealed to every user's and the recovery
 * code's public key, "data_pk" its public half; ${pk} and ${sk} (the
 * caller's locked memory) get it, for re-sealing what the old one
 * sealed, and ${s} takes it.  Inside the caller's transaction, if any.
 */
enum user_res user_rekey(struct db *, struct user_session *,
    uint8_t[USER_KEY_LEN], uint8_t[USER_KEY_LEN], char[STORE_ERRLEN]);

/* Normalize a recovery code as typed (case, dashes, spaces); 0 or -1. */
int user_code_norm(const char *, size_t, char[USER_CODE_CHARS + 1]);

#endif /* !AGENT_USERS_H */

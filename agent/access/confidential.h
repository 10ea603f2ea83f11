#ifndef AGENT_CONFIDENTIAL_H
#define AGENT_CONFIDENTIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/schema.h"

/*
 * Confidential fields.  The personal parts of a consultation (client_name,
 * client_phone, summary) are encrypted before they are committed, to a key
 * of the record's center, so offices of other centers relay, merge and
 * count the record without reading them.  The value stored and gossiped is
 * the text
 *
 *   "enc1:" KEYID ":" base64url-no-padding(nonce[24] || ciphertext)
 *
 * with KEYID the key's 16 hex digits, XChaCha20-Poly1305 (IETF) over the
 * plaintext, and as additional data "hamroh/conf/1" || record id (16) ||
 * field name, so a ciphertext cannot be moved to another record or field.
 *
 * Keys are kept in DIR/center.keys (mode 0600, never in SQLite, never in
 * a backup), one a line: "KEYID VERSION SEALEDHEX CENTER", SEALEDHEX the
 * key sealed (crypto_box_seal, 80 bytes) to the node's data key
 * (agent/access/users.h): only a signed-in user's session opens them,
 * node.key none.  A file of the older form "KEYID VERSION KEYHEX CENTER"
 * (the key in clear) is read once, by the first session that loads it
 * (conf_load_sealed()), and rewritten sealed; the plaintext is overwritten
 * and removed (kept as center.keys.plain until wiped, so a crash between
 * leaves no plaintext behind for good: the next load wipes it).  Keys
 * reach a node in its invite token, sealed to the data key 'hamroh id
 * --invite' printed there (agent/codec/invite.h, version 5; older tokens
 * sealed to the node key and are refused), and as records of the `keys`
 * collection that gossip like any other, sealed to the data key the
 * recipient published in its members record (field data_key), or to its
 * node key if it published none (an older node); a session keeps what it
 * opens sealed to the data key.  PROTOCOL.md, Confidential fields.
 */
#define CONF_PREFIX	"enc1:"
#define CONF_KEYID_LEN	8
#define CONF_KEY_LEN	32
#define CONF_SEALED_LEN	(48 + CONF_KEY_LEN)	/* crypto_box_SEALBYTES + key. */
#define CONF_FILE	"center.keys"
#define CONF_MAX_KEYS	256
#define CONF_HIDDEN	"[encrypted]"
#define CONF_CENTER_MAX	200	/* Bytes in a center's name. */

struct conf_key {
	uint8_t		id[CONF_KEYID_LEN];
	uint32_t	version;
	uint8_t		key[CONF_KEY_LEN];
	char		center[CONF_CENTER_MAX + 1];
};

#define CONF_DATA_LEN	32	/* The data key (X25519) halves. */

struct conf {
	const char	*dir;
	size_t		n;
	struct conf_key	*k;		/* sodium_malloc()ed: CONF_MAX_KEYS. */
	bool		sealed;		/* The file is sealed to ${pk}. */
	uint8_t		pk[CONF_DATA_LEN];
};

/* Whether field ${f} of collection ${c} is confidential. */
bool conf_secret(const struct coll_def *, const struct field_def *);

/* Whether ${s} (${len} bytes) is a sealed value, to be shown as one. */
bool conf_sealed(const char *, size_t);

/*
 * Whether ${s} has exactly the syntax of a sealed value (lowercase hex
 * keyid, canonical base64url of at least a nonce and a tag): the test
 * every judge applies (store/trust.h, trust_sealed()).
 */
bool conf_well_sealed(const char *, size_t);

/* The longest sealed value of a text of at most ${max} bytes. */
size_t conf_sealed_max(size_t);

/**
 * conf_load(cf, dir, err, errlen):
 * Read DIR/center.keys in the older form, keys in clear (absent: no
 * keys); conf_add() then writes it so.  Tests make an older node's file
 * with it; the node itself loads with conf_load_sealed() only, and a
 * sealed line fails here ("sealed to the data key").  Refuses a file
 * readable by others.  Return 0, or -1 with ${err} filled.
 */
int conf_load(struct conf *, const char *, char *, size_t);

/**
 * conf_load_sealed(cf, dir, pk, sk, err, errlen):
 * Read DIR/center.keys sealed to the data key ${pk}, opening each key
 * with ${sk}; keys in clear (an older node) are sealed and the plaintext
 * wiped.  conf_add() then writes sealed.  Return 0, or -1 with ${err}.
 */
int conf_load_sealed(struct conf *, const char *,
    const uint8_t[CONF_DATA_LEN], const uint8_t[CONF_DATA_LEN], char *,
    size_t);

/* Write the ring's file again, sealed to ${pk} (a new data key). */
int conf_reseal(struct conf *, const uint8_t[CONF_DATA_LEN], char *, size_t);

/* Wipe and free the keys. */
void conf_free(struct conf *);

/*
 * conf_split(cf, out): move every key of ${cf} into ${out} (a ring of its
 * own, the file untouched; conf_free() it), so ${cf} holds none.
 * conf_merge(cf, from, err, errlen): put the keys of ${from} that ${cf}
 * lacks back into ${cf} and rewrite the file.  conf_write(cf, err,
 * errlen): rewrite the file from ${cf}'s keys.  Return 0, or -1.  Join
 * sets a node's local keys aside with them (agent/ops/net.c).
 */
int conf_split(struct conf *, struct conf *);
int conf_merge(struct conf *, const struct conf *, char *, size_t);
int conf_write(struct conf *, char *, size_t);

/* The newest key of ${center}, or NULL. */
const struct conf_key *conf_current(const struct conf *, const char *);

/**
 * conf_add(cf, k, err, errlen):
 * Add key ${k} (unless its id is held already) and rewrite the file
 * atomically.  Return 1 if added, 0 if already held, -1 with ${err}.
 */
int conf_add(struct conf *, const struct conf_key *, char *, size_t);

/**
 * conf_seal(k, id, field, in, inlen, out):
 * Encrypt ${in} under ${k} for field ${field} of record ${id}; ${out}
 * (malloc()ed, NUL-terminated) holds the text to store.  Return 0, or -1
 * if out of memory.
 */
int conf_seal(const struct conf_key *, const uint8_t[SCHEMA_ID_LEN],
    const char *, const char *, size_t, char **);

/**
 * conf_open(cf, id, field, in, inlen, out, outlen):
 * Decrypt sealed value ${in}.  Return 0 with the plaintext in ${out}
 * (malloc()ed, NUL-terminated), 1 if no key held opens it, -1 if it is
 * malformed or out of memory.
 */
int conf_open(const struct conf *, const uint8_t[SCHEMA_ID_LEN],
    const char *, const char *, size_t, char **, size_t *);

/**
 * conf_wrap(k, node_pk, sealed) / conf_unwrap(sealed, node_pk, node_sk, k):
 * Seal the key material of ${k} to an Ed25519 node key, and open it with
 * the node's Ed25519 key pair.  Return 0, or -1.
 */
int conf_wrap(const struct conf_key *, const uint8_t[NODE_KEY_LEN],
    uint8_t[CONF_SEALED_LEN]);
int conf_unwrap(const uint8_t[CONF_SEALED_LEN], const uint8_t[NODE_KEY_LEN],
    const uint8_t[NODE_SK_LEN], uint8_t[CONF_KEY_LEN]);

/*
 * conf_wrap_data(k, pk, sealed) / conf_unwrap_data(sealed, pk, sk, k):
 * the same to a node's data key (X25519, agent/access/users.h): what an
 * invite of version 5 carries, which node.key alone does not open.
 */
int conf_wrap_data(const struct conf_key *, const uint8_t[CONF_DATA_LEN],
    uint8_t[CONF_SEALED_LEN]);
int conf_unwrap_data(const uint8_t[CONF_SEALED_LEN],
    const uint8_t[CONF_DATA_LEN], const uint8_t[CONF_DATA_LEN],
    uint8_t[CONF_KEY_LEN]);

/* The node's key file, beside center.keys (agent/cli/cli.h, KEY_FILE). */
#define CONF_NODE_KEY	"node.key"

/**
 * conf_ring(cf, db, dir, pk, sk, err, errlen):
 * A node's key ring, for a session holding the data key ${pk}, ${sk}:
 * DIR/center.keys (conf_load_sealed()) and the keys records of ${db}
 * sealed to the node that the file lacks (conf_collect()).  Return 0, or
 * -1 with ${err} filled (the node's own files are bad).
 */
int conf_ring(struct conf *, struct db *, const char *,
    const uint8_t[CONF_DATA_LEN], const uint8_t[CONF_DATA_LEN], char *,
    size_t);

/**
 * conf_collect(cf, db, err, errlen):
 * Open the keys records sealed to this node (its signer, or its key file
 * in ${cf}->dir) that ${cf} lacks, and keep them.  Return 0, or -1 with
 * ${err} filled.
 */
int conf_collect(struct conf *, struct db *, char *, size_t);

/**
 * conf_reveal(cf, id, field, field_len, in, out, tofree):
 * ${in} as it is to be shown: itself, its plaintext, or "[encrypted]"
 * when ${cf} holds no key that opens it.  Free ${*tofree} after.
 */
void conf_reveal(const struct conf *, const uint8_t[SCHEMA_ID_LEN],
    const char *, size_t, const struct val *, struct val *, char **);

/* Why conf_seal_field() cannot write a value. */
enum conf_seal_why {
	CONF_SEAL_OK = 0,
	CONF_SEAL_HIDDEN,	/* It is "[encrypted]", not a value. */
	CONF_SEAL_NO_CENTER,	/* The record names no center. */
	CONF_SEAL_NO_KEY,	/* This node holds no key of the center. */
	CONF_SEAL_NOMEM,
	CONF_SEAL_FAILED	/* Making or sending a key failed: ${err}. */
};

/**
 * conf_seal_field(cf, db, now, c, id, f, center, v, tofree, err, errlen):
 * Before ${v} is written to field ${f} of record ${id} of center
 * ${center}: encrypt it in place if the field is confidential, in a
 * network or not.  A value that looks
 * sealed is kept as it is only if it has the exact syntax and a key of
 * ${cf} opens it, or (a key this node lacks) its id is one of
 * ${center}'s (bound to it, or named by a keys record); otherwise it is
 * sealed like any other text.  An admin without a key of ${center} makes
 * one and delivers it (inside the caller's db_begin()); a node in no
 * network (no DIR/network.key) makes a local one, delivered to nobody.  Return
 * CONF_SEAL_OK (free ${*tofree} after the write), or why not.
 */
enum conf_seal_why conf_seal_field(struct conf *, struct db *, uint64_t,
    const struct coll_def *, const uint8_t[SCHEMA_ID_LEN],
    const struct field_def *, const char *, struct val *, char **, char *,
    size_t);

/* The center record ${id} of ${c} names ("" if none); 0, or -1. */
int conf_record_center(struct db *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], char[CONF_CENTER_MAX + 1],
    char[STORE_ERRLEN]);

/* A new key (version: one past the newest) for ${center}, kept. */
int conf_make_key(struct conf *, const char *, char *, size_t);

/**
 * conf_put_record(db, k, recipient, err):
 * Write key ${k} sealed to ${recipient} as a keys record (inside the
 * caller's db_begin()).  Return 0, or -1 with ${err} filled.
 */
struct db;
int conf_put_record(struct db *, const struct conf_key *,
    const uint8_t[NODE_KEY_LEN], char[STORE_ERRLEN]);
/* The same, sealed to data key ${data_pk} (NULL: as conf_put_record()). */
int conf_put_record_to(struct db *, const struct conf_key *,
    const uint8_t[NODE_KEY_LEN], const uint8_t *, char[STORE_ERRLEN]);

/**
 * conf_deliver_db(db, k, skip, now, sent, err):
 * Write key ${k} as keys records sealed to every member of its center and
 * every admin valid at ${now}, but this node and ${skip} (NULL: none),
 * inside the caller's db_begin(); ${*sent} says to how many.  Return 0, or
 * -1 with ${err} filled.
 */
int conf_deliver_db(struct db *, const struct conf_key *, const uint8_t *,
    uint64_t, size_t *, char[STORE_ERRLEN]);

#endif /* !AGENT_CONFIDENTIAL_H */

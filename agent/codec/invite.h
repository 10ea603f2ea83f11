#ifndef AGENT_INVITE_H
#define AGENT_INVITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "agent/access/confidential.h"
#include "agent/access/member.h"

/*
 * The invite token: one copy-pasteable line,
 *
 *   "hamroh1:" base64url-no-padding(msgpack
 *     [version, network_name(str), network_key(bin 32), admin_key(bin 32),
 *      [key(bin 32), name, center, role, expires], cert(bin 64),
 *      [address(str)...], (version 2:) [[keyid(bin 8), key_version,
 *      center, sealed(bin)]...], (version 3:) [[address(str),
 *      key(bin 32)]...], (version 4:) case_code(str), (version 5:)
 *      data_key(bin 32), token_sig(bin 64)])
 *
 * The addresses are the inviting node's own (it is the admin, and the
 * joining node pins the admin's key to them); the version-3 peers are
 * other members the new office should dial (its region, say), each with
 * its own key, so that no address is ever pinned to a key not behind it.
 * The version-4 case_code is the node code the admin gives the new node
 * for its case numbers (agent/ops/cases.h).  Up to version 4 the center
 * keys were sealed to the new node's key (its X25519 form), so node.key
 * and the token, in a chat history say, opened them; from version 5 they
 * are sealed (crypto_box_seal) to data_key, the public half of the new
 * node's data key that 'hamroh id --invite' prints there
 * (agent/access/users.h), which only its users' passphrases open.  join
 * refuses an older token that carries keys.
 *
 * cert signs the certificate (agent/access/member.h); token_sig is the admin's
 * Ed25519 signature over msgpack ["hamroh/invite/1", the elements between
 * the version and token_sig], so a token damaged in transit (or edited:
 * the network key and addresses are not part of the certificate) is
 * refused as a whole instead of joining with a wrong key or address.
 * The token carries the network key: it is a secret, like network.key.
 * Pure: no I/O, no clock, so that a fuzzer can drive the decoder.
 */
#define INVITE_PREFIX		"hamroh1:"
#define INVITE_VERSION		5	/* 5: data key, 4: case code, 3: peers, 2: keys. */
#define INVITE_DATA_VERSION	5	/* Keys sealed to the data key. */
/*
 * Bytes of msgpack: 16 addresses of 262 bytes, 32 center keys of at most
 * 300 bytes, 8 peers of 300 bytes and the rest fit in 20 KiB.
 */
#define INVITE_MAX_BIN		20480
#define INVITE_MAX_KEYS		32
#define INVITE_MAX_PEERS	8	/* Other members to dial (version 3). */

/* Everything an invite token carries.  Holds the network key. */
struct invite {
	char		net[MEMBER_NETNAME_MAX + 1];
	uint8_t		netkey[HS_PSK_LEN];
	uint8_t		admin[NODE_KEY_LEN];
	uint8_t		key[NODE_KEY_LEN];
	struct member_rec m;	/* name, center, role, expires. */
	uint8_t		cert[NODE_SIG_LEN];
	size_t		naddr;
	char		addr[MEMBER_MAX_ADDRS][MEMBER_ADDR_MAX + 1];
	unsigned	version;	/* Of the token. */
	size_t		nkeys;		/* Center keys sealed to the node. */
	struct {
		uint8_t		id[CONF_KEYID_LEN];
		uint32_t	version;
		char		center[CONF_CENTER_MAX + 1];
		uint8_t		sealed[CONF_SEALED_LEN];
	}		keys[INVITE_MAX_KEYS];
	size_t		npeers;		/* Other members to dial. */
	struct {
		char		addr[MEMBER_ADDR_MAX + 1];
		uint8_t		key[NODE_KEY_LEN];
	}		peers[INVITE_MAX_PEERS];
	char		case_code[3];	/* Version 4: its node code. */
	uint8_t		data_pk[CONF_DATA_LEN];	/* Version 5: keys sealed to. */
	uint8_t		sig[NODE_SIG_LEN];
};

/* A name shown to people: UTF-8 text without control characters. */
bool invite_name_ok(const char *, size_t);

/* True if ${pk} is a usable Ed25519 public key (not of small order). */
bool invite_key_ok(const uint8_t[NODE_KEY_LEN]);

/* The certificate ${iv} carries, borrowing its strings. */
void invite_cert(const struct invite *, struct member_cert *);

/**
 * invite_sig(iv, sk):
 * With ${sk}, sign ${iv}'s contents into ${iv}->sig; with NULL, verify
 * ${iv}->sig under ${iv}->admin.  Return 0, or -1 (out of memory, or a
 * signature that does not verify).
 */
int invite_sig(struct invite *, const uint8_t *);

/**
 * invite_encode(iv, tok):
 * The token of ${iv} (signed already) as a NUL-terminated line in
 * ${*tok}, sodium_malloc()ed: free with sodium_free().  Return 0, or -1
 * if out of memory or longer than INVITE_MAX_BIN bytes of msgpack.
 */
int invite_encode(const struct invite *, char **);

/**
 * invite_decode(tok, iv, why, why_len):
 * Decode token ${tok} into ${iv}, strictly: prefix, base64url without
 * padding, one msgpack object with exact types and sizes and nothing
 * after it, a valid admin key and token signature.  Return 0, or -1 with
 * a one-line reason in ${why}.
 */
int invite_decode(const char *, struct invite *, char *, size_t);

#endif /* !AGENT_INVITE_H */

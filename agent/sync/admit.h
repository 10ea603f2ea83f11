#ifndef AGENT_ADMIT_H
#define AGENT_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/sync/session.h"
#include "protocol/hs.h"
#include "protocol/limits.h"

/*
 * Who may complete a handshake with this node: every admission rule, in
 * the order it applies, and nothing else.  Sans-I/O: no loop, no
 * sockets, no printing; the database is asked, and the caller (the
 * daemon, session.c, tests) logs and closes.  For a peer that dials us:
 *
 *   1. admit_rate(): an address that began more than ADMIT_RATE_MAX
 *      handshakes within ADMIT_RATE_WINDOW_MS is turned away at accept,
 *      before any DH.
 *   2. admit_mac1(): message 1 carries mac1 under the network key and
 *      this node's key.  A dialer without the network key fails here,
 *      and so does one that pinned another node's key to this node's
 *      address; nothing is answered.  (Then Noise opens message 1.)
 *   3. admit_payload(): its Ed25519 id must be the one behind the static
 *      key it used; its handshake version ours (another version gets
 *      message 2 with ours, and the session ends); its counter below
 *      HS_COUNTER_LIMIT; at most SESSION_SUCC_MAX successor statements.
 *   4. admit_peer(): a member now, its successor statements taken as
 *      facts (no certificate known, revoked, expired: refused); room in
 *      the descriptor budget for one more member's session; its counter
 *      above the last one accepted from it (the replay guard, kept in
 *      the database, so a restart does not forget it).
 *
 * Once admitted, admit_ended() says when its membership ended (the
 * session is dropped).  A peer we dial: admit_may_dial() (not once its
 * membership ended), and it must hold the key pinned to the address we
 * dial (Noise IK: its message 2 opens under no other key).
 */
#define ADMIT_RATE_WINDOW_MS	10000	/* Handshakes begun per address: */
#define ADMIT_RATE_MAX		30	/* at most this many per window. */
#define ADMIT_RATE_SLOTS	256	/* Addresses remembered. */
#define ADMIT_HOST_LEN		64	/* An address as text, with its NUL. */

struct db;

enum admit_code {
	ADMIT_OK = 0,
	ADMIT_BUSY,		/* The database was busy: ask again. */
	ADMIT_IDENTITY,		/* Its id is not behind its static key. */
	ADMIT_VERSION,		/* Another handshake version. */
	ADMIT_COUNTER,		/* Counter not below HS_COUNTER_LIMIT. */
	ADMIT_SUCCS,		/* Too many successor statements. */
	ADMIT_UNKNOWN,		/* No certificate of it counts here. */
	ADMIT_ENDED,		/* Revoked, expired, or voided. */
	ADMIT_NO_ROOM,		/* The descriptor budget is spent. */
	ADMIT_REPLAY,		/* Counter not above the last accepted. */
	ADMIT_ERROR		/* The database failed. */
};

/* What message 1's payload says (admit_payload()). */
struct admit_msg1 {
	uint8_t		key[NODE_KEY_LEN];	/* Its Ed25519 id. */
	uint64_t	ctr;		/* Its message-1 counter. */
	unsigned	version;	/* Its handshake version. */
	size_t		nsucc;		/* Successor statements to follow. */
};

/* A peer asking to be admitted (admit_peer()). */
struct admit_ask {
	const uint8_t	*key;		/* Its Ed25519 id. */
	uint64_t	ctr;		/* Its message-1 counter. */
	const uint8_t	*succ;		/* Its successor statements, */
	size_t		nsucc;		/* SESSION_SUCC_LEN bytes each. */
	uint64_t	now_ms;
	/*
	 * Connections past message 1 held now, this one among them, and
	 * how many there may be for this peer: preauth_session_cap(), which
	 * keeps descriptors for the peers this node dials.
	 */
	size_t		held, cap;
};

/* Handshakes begun per address, recently; the caller's to embed. */
struct admit_rate {
	struct {
		char		host[ADMIT_HOST_LEN];
		uint64_t	since;
		unsigned	n;
	} slot[ADMIT_RATE_SLOTS];
};

/**
 * admit_rate(t, host, now_ms, told):
 * Whether ${host} may begin another handshake at ${now_ms}; a flood from
 * one address costs a table lookup and a close, never a DH.  ${told} is
 * set when this is its first refusal in the window (say so once).
 * ${t} starts zeroed.
 */
bool admit_rate(struct admit_rate *, const char *, uint64_t, bool *);

/**
 * admit_mac1(netkey, our_x, m1):
 * Check the mac1 of message 1 ${m1} (SESSION_MSG1_LEN bytes), sent to
 * this node's X25519 key ${our_x} in the network of ${netkey}.  Return
 * PROTO_OK or the protocol's error code.
 */
int admit_mac1(const uint8_t[static HS_PSK_LEN],
    const uint8_t[static HS_KEY_LEN], const uint8_t *);

/**
 * admit_payload(p1, rs, m):
 * Read message 1's payload ${p1} (SESSION_HS_PAYLOAD1 bytes) from a peer
 * whose static key was ${rs} into ${m}, and judge it: ADMIT_IDENTITY (${m}
 * then unset), ADMIT_VERSION, ADMIT_COUNTER, ADMIT_SUCCS, or ADMIT_OK.
 */
enum admit_code admit_payload(const uint8_t *,
    const uint8_t[static HS_KEY_LEN], struct admit_msg1 *);

/**
 * admit_peer(db, a, why, len):
 * May the peer ${a} complete the handshake (rule 4 above)?  ADMIT_OK (its
 * counter is then recorded), or ADMIT_UNKNOWN, ADMIT_ENDED, ADMIT_NO_ROOM,
 * ADMIT_REPLAY, ADMIT_ERROR with a one-line reason in ${why}, or
 * ADMIT_BUSY (the database was locked: nothing recorded, ask again).
 */
enum admit_code admit_peer(struct db *, const struct admit_ask *, char *,
    size_t);

/**
 * admit_ended(db, key, succ, nsucc, now_ms, why, len):
 * Whether the membership of ${key}, admitted with the ${nsucc} successor
 * statements ${succ}, has ended (revoked, expired, voided), the reason in
 * ${why}.  Not being known yet is no end: a peer we dialed may be
 * admitted before its certificate reaches us.
 */
bool admit_ended(struct db *, const uint8_t[static NODE_KEY_LEN],
    const uint8_t *, size_t, uint64_t, char *, size_t);

/**
 * admit_may_dial(db, key, now_ms, why, len):
 * Whether this node dials ${key}: not once its membership ended (revoked,
 * expired, voided with its admin; a key continued by a successor lives
 * on under the new one), the date and reason then in ${why}.
 */
bool admit_may_dial(struct db *, const uint8_t[static NODE_KEY_LEN],
    uint64_t, char *, size_t);

/**
 * admit_lineage(db, key, out):
 * The successor statements of ${key}'s lineage this node holds, packed as
 * a handshake carries them into ${out}, so that a peer that knows only a
 * key ${key} continued admits it.  Return how many, or -1.
 */
int admit_lineage(struct db *, const uint8_t[static NODE_KEY_LEN],
    uint8_t[static SESSION_SUCC_MAX * SESSION_SUCC_LEN]);

/* The words for ${c}, as a session ends with them ("handshake: ..."). */
const char *admit_str(enum admit_code);

#endif /* !AGENT_ADMIT_H */

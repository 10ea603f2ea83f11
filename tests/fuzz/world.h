#ifndef TESTS_FUZZ_WORLD_H
#define TESTS_FUZZ_WORLD_H

/*
 * world.h: a small network with fixed keys, for fuzz_session and the
 * generator of its seeds (gen_session.c).  Everything is made from
 * constants, so that seeds stay valid: the same keys, the same commits
 * byte for byte, on every run.
 *
 * Members, certified by the root admin (meta admin_key): the node under
 * test (a center, Dushanbe), the peer that talks to it (an office of
 * Khujand), a third origin the peer relays (a center, Kulob), and one
 * node revoked after its first commit; a stranger was never certified.
 * Each origin's commits are made by a real store (store/db.h) in an
 * in-memory SQLite database.  The node's template database holds the
 * root's commits, its own two, the peer's first two, the third origin's
 * first and third (held: the second is missing) and the revoked node's
 * first.  What the others hold beyond that is what a peer can send.
 *
 * The databases are SQLite memdb files ("file:/NAME?vfs=memdb"), so
 * world_init() turns on URI file names before SQLite starts.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "agent/sync/session.h"
#include "protocol/frame.h"
#include "store/db.h"

enum wkey { W_ROOT, W_NODE, W_PEER, W_THIRD, W_REVOKED, W_STRANGER,
	W_NKEYS };

#define W_MAX_COMMITS	8
#define W_T0		UINT64_C(1772323200000)	/* 2026-03-01 UTC. */
#define W_NOW		(W_T0 + 3600 * 1000)	/* The session's clock. */

struct wkeys {
	uint8_t	pk[32], sk[64];
};

struct wcommit {
	uint8_t	*body;
	size_t	len;
	uint8_t	sig[NODE_SIG_LEN];
};

struct world {
	struct wkeys	k[W_NKEYS];
	uint8_t		netkey[32];
	/* Every commit of each origin but the node's, in seq order. */
	struct wcommit	c[W_NKEYS][W_MAX_COMMITS];
	size_t		n[W_NKEYS];
	struct wcommit	fork;		/* Another seq 2 of the peer's. */
	struct db	*tmpl;		/* The node's database. */
};

/* The peer side of a session driven by hand: its transport. */
struct wpeer {
	struct frame_enc enc;
	struct frame_dec *dec;
	bool		closed;		/* We sent a final frame. */
};

/* Build ${w} once.  Exits with a message if anything fails. */
void world_init(struct world *);

/* The keys of origin ${pk} if it is one of the world's, else NULL. */
const struct wkeys *world_key_of(const struct world *, const uint8_t *);

/*
 * A fresh copy of the template as the node's store, in memdb ${name}
 * (unique among open ones); ${keep} holds it alive until world_close().
 */
struct db *world_node_db(const struct world *, const char *, void **);
void world_close(struct db *, void *);

/*
 * A database holding ${which} origins' commits (a bit per enum wkey) with
 * ${signer} as its node, in memdb ${name}: another node of the world.
 */
struct db *world_db(const struct world *, const char *, unsigned,
    enum wkey, void **);

/* Session configurations as the agent makes them, with fixed entropy. */
void world_cfg(const struct world *, struct session_cfg *, struct db *,
    enum wkey, enum wkey, bool, bool);

/*
 * Run the handshake with session ${s} (of ${them}) as ${me}: ${s} dials
 * us (it has message 1 queued) when ${s_dials}, else we dial it with
 * counter ${ctr}.  Leaves ${p} ready to send frames and read what ${s}
 * sends, and ${s} with its HELLO queued.  Return 0, or -1 if ${s}
 * refused.
 */
int wpeer_open(const struct world *, struct wpeer *, struct session *,
    bool, enum wkey, enum wkey, uint64_t);

/* Send ${body} as one frame (FINAL with ${final}); session_input()'s. */
int wpeer_send(struct wpeer *, struct session *, const void *, size_t, bool,
    uint64_t);

/*
 * Take everything ${s} has queued and open its frames; call ${fn} per
 * message body (with ${arg}, the body, its length, and whether it was the
 * final frame).  Return 0, or the first negative frame error.
 */
int wpeer_recv(struct wpeer *, struct session *,
    void (*)(void *, const uint8_t *, size_t, bool), void *);

void wpeer_fini(struct wpeer *);

#endif /* !TESTS_FUZZ_WORLD_H */

#ifndef AGENT_OPS_NET_H
#define AGENT_OPS_NET_H

/*
 * The network operations (agent/ops/net.c): peers, the center keys and
 * revoking a node, as agent/ops/ops.h's operations are: they never print,
 * never exit and never read argv or the environment.
 */
#include "agent/ops/ops.h"
#include "protocol/limits.h"

#define OPS_KEYHEX_LEN	(2 * NODE_KEY_LEN + 1)

/* ---- Checks a caller may make before it opens the node. */

/* A NODE_KEY in hex (USAGE if it is not one). */
int ops_node_key(const char *, uint8_t[NODE_KEY_LEN], struct ops_err *);

/* A HOST:PORT (USAGE if it is not one). */
int ops_net_addr(const char *, struct ops_err *);

/*
 * ops_member_text(field, opt, s, e):
 * Text ${s} for members field ${field}, given as ${opt} ("--name"): not
 * empty, valid, no control characters (USAGE).
 */
int ops_member_text(const char *, const char *, const char *,
    struct ops_err *);

/* ---- peer add, peer list, peer rm. */

struct ops_peer_add_args {
	const char	*addr;	/* HOST:PORT. */
	const char	*key;	/* Hex, or NULL: the member advertising addr. */
};

struct ops_peer_added {
	char	key[OPS_KEYHEX_LEN];
	bool	advertised;	/* The key is the member's who advertises. */
	char	name[101];	/* That member's name ("-" if unnamed). */
};

int ops_peer_add(struct ops *, const struct ops_peer_add_args *,
    struct ops_peer_added *, struct ops_err *);

/* One peer: its key (hex) or NULL, the member's name or NULL. */
typedef int (*ops_peer_fn)(void *, const char *, const char *, const char *);

/* Every peer; ${n}: how many. */
int ops_peer_list(struct ops *, ops_peer_fn, void *, long *,
    struct ops_err *);

struct ops_peer_rm_args {
	const char	*addr;
};

int ops_peer_rm(struct ops *, const struct ops_peer_rm_args *,
    struct ops_err *);

/* ---- key list, key rotate. */

/* One center key: its center, id (hex) and version. */
typedef int (*ops_key_fn)(void *, const char *, const char *, unsigned);

int ops_key_list(struct ops *, ops_key_fn, void *, struct ops_err *);

struct ops_key_rotate_args {
	const char	*center;
};

struct ops_key_rotated {
	unsigned	version;
	size_t		sent;	/* Nodes it was sealed to. */
};

/* Checks before the node is opened (USAGE). */
int ops_key_rotate_check(const struct ops_key_rotate_args *,
    struct ops_err *);
int ops_key_rotate(struct ops *, const struct ops_key_rotate_args *,
    struct ops_key_rotated *, struct ops_err *);

/* ---- revoke. */

struct ops_revoke_args {
	const char	*key;		/* The node's, hex. */
	const char	*reason;
};

struct ops_revoked {
	char		name[101];	/* Its member name, or "". */
	char		when[32];
	uint64_t	upto;		/* Its changes accepted up to seq. */
};

/* Checks before the node is opened (USAGE). */
int ops_revoke_check(const struct ops_revoke_args *, struct ops_err *);
int ops_revoke(struct ops *, const struct ops_revoke_args *,
    struct ops_revoked *, struct ops_err *);

/* ---- invite. */

struct ops_invite_peer {
	const char	*addr;
	const char	*key;	/* Hex. */
};

struct ops_invite_args {
	const char			*key;	/* The new node's, hex. */
	const char			*name;
	const char			*center;
	const char			*role;
	uint32_t			days;	/* 0: OPS_INVITE_DAYS. */
	const char *const		*addrs;	/* This node's, to dial. */
	size_t				naddr;
	const struct ops_invite_peer	*peers;	/* Other members to dial. */
	size_t				npeers;
};

#define OPS_INVITE_DAYS		365
#define OPS_INVITE_DAYS_MAX	36500

/* Checks before the node is opened (USAGE). */
int ops_invite_check(const struct ops_invite_args *, struct ops_err *);

/* The invite's token in ${*token}: free it with sodium_free(). */
int ops_invite(struct ops *, const struct ops_invite_args *, char **,
    struct ops_err *);

/* ---- network create. */

struct ops_network_create_args {
	const char	*name;	/* What members call the network. */
};

struct ops_network_created {
	char	admin[OPS_KEYHEX_LEN];	/* This node's key, the admin's. */
	bool	succeeded;	/* Records logged before: a new key. */
	long	recommitted;	/* Those records, committed again. */
};

/* Checks before the node is opened (USAGE). */
int ops_network_create_check(const struct ops_network_create_args *,
    struct ops_err *);
int ops_network_create(struct ops *, const struct ops_network_create_args *,
    struct ops_network_created *, struct ops_err *);

/* ---- join. */

struct ops_join_args {
	const char	*token;	/* The line 'hamroh invite' printed. */
};

struct ops_joined {
	char	net[101];
	char	role[8];
	size_t	ndial;		/* Offices the token names to dial. */
	bool	succeeded;	/* Records logged before: a new key. */
	char	key[OPS_KEYHEX_LEN];	/* That new key. */
	long	recommitted;	/* Those records, committed again. */
	long	left;		/* Other centers' consultations, not sent. */
	char	left_centers[128];	/* Their centers. */
	char	left_path[4096];	/* The file that holds them. */
};

/* An office to dial: its address, the key expected there, the inviter? */
typedef int (*ops_dial_fn)(void *, const char *, const char *, bool);

/* Checks before the node is opened: the token decodes (BAD_INPUT). */
int ops_join_check(const struct ops_join_args *, struct ops_err *);
/* Join; then ${fn} for every office the agent will dial. */
int ops_join(struct ops *, const struct ops_join_args *, ops_dial_fn, void *,
    struct ops_joined *, struct ops_err *);

/* ---- Shared with the CLI's other network commands. */

struct member_rec;
/*
 * ops_succeed_rec(o, r, newsk, seq, e):
 * Inside the caller's transaction, continue under the fresh key ${newsk}
 * from seq ${seq} of the old one, described as ${r} (PROTOCOL.md,
 * Successors): restore's open statement, fork recommit's.
 */
int ops_succeed_rec(struct ops *, const struct member_rec *, uint8_t *,
    uint64_t, struct ops_err *);

/* This node's secret key, sodium_malloc()ed; NULL with ${e} filled. */
uint8_t *ops_load_sk(struct ops *, struct ops_err *);

#endif /* !AGENT_OPS_NET_H */

#ifndef AGENT_OPS_NODE_H
#define AGENT_OPS_NODE_H

/*
 * The node operations: what a user does to the node itself (vector,
 * verify, rebuild, backup, status, audit) and to the files that carry
 * changes by hand (bundle export, bundle import).  As agent/ops/ops.h:
 * they never print, exit or read argv; rows come through callbacks.
 */
#include "agent/ops/ops.h"
#include "protocol/limits.h"

#define OPS_KEY_HEX	(2 * NODE_KEY_LEN + 1)

/* ---- node.c */

/*
 * init: a new node in data dir ${dir} (made if need be), its key and its
 * database, its members record its first change; its key in ${hex}.
 * It takes a dir, not an open node: it makes the node.
 */
struct ops_init_args {
	const char	*name;	/* How other offices will see it. */
	const char	*center;	/* NULL or "": none. */
};
/* The name and center must be valid (USAGE): before anything is made. */
int ops_init_check(const struct ops_init_args *, struct ops_err *);
int ops_init_node(const char *, const struct ops_init_args *, uint64_t,
    char[OPS_KEY_HEX], struct ops_err *);

/* id: this node's public key in hex, as peer add needs it. */
int ops_node_id(struct ops *, char[OPS_KEY_HEX], struct ops_err *);

/*
 * id --invite: what an admin's invite needs, NODE_KEY ":" DATA_KEY (the
 * public half of the data key the invite seals center keys to).
 */
#define OPS_INVITE_ID_LEN	(2 * OPS_KEY_HEX)
int ops_node_invite_id(struct ops *, char[OPS_INVITE_ID_LEN],
    struct ops_err *);

/*
 * What 'hamroh agent' needs before it runs, beyond the node's own key: the
 * network key, which a node has once it made or joined a network (ENV).
 */
int ops_agent_netkey(struct ops *, uint8_t[HS_PSK_LEN], struct ops_err *);

/* One origin of this node's vector: the last change held of it. */
typedef int (*ops_vector_fn)(void *, const uint8_t *, uint64_t);
int ops_vector(struct ops *, ops_vector_fn, void *, struct ops_err *);

/* verify: ${fn} gets each problem found (a line, no newline). */
struct ops_verify_res {
	long		problems;
	uint64_t	commits, origins;
};
typedef int (*ops_line_fn)(void *, const char *);
int ops_verify(struct ops *, ops_line_fn, void *, struct ops_verify_res *,
    struct ops_err *);

/* rebuild: every collection again from the log. */
int ops_rebuild(struct ops *, struct ops_err *);

/*
 * backup: the database to a new file ${path}.  ${net}, ${conf}: whether
 * the node has a network key and a center key file, which a restore
 * needs beside its node.key (the backup holds none of them).
 */
struct ops_backup_res {
	bool	net, conf;
};
/* The file must not exist yet (BAD_INPUT): before the node is opened. */
int ops_backup_check(const char *, struct ops_err *);
int ops_backup(struct ops *, const char *, struct ops_backup_res *,
    struct ops_err *);

/* An origin that signed two histories from ${seq} (store/fork.c). */
struct ops_fork_row {
	const uint8_t	*origin;
	const char	*key;	/* Hex. */
	const char	*name;	/* Its office, as the members say. */
	uint64_t	seq;
	bool		self;	/* This node. */
};
typedef int (*ops_fork_fn)(void *, const struct ops_fork_row *);
int ops_forks(struct ops *, ops_fork_fn, void *, struct ops_err *);

/* A change refused: its origin had no right to make it. */
struct ops_refusal_row {
	const struct db_refusal	*r;
	const char		*name;	/* The origin's office. */
	const struct ops_who	*who;	/* Its commit's user and office. */
	const char		*key, *id;	/* Hex. */
};
typedef int (*ops_refusal_fn)(void *, const struct ops_refusal_row *);
/* ${newest} > 0: only that many, the newest first. */
int ops_refusals(struct ops *, size_t, ops_refusal_fn, void *,
    struct ops_err *);

/*
 * audit: the forks first (they say why many refused changes count not;
 * ${fork_fn} NULL: skip them), then every refused change; ${refused}:
 * how many there are.
 */
int ops_audit(struct ops *, ops_fork_fn, ops_refusal_fn, void *,
    uint64_t *, struct ops_err *);

/* ---- status.c */

#define OPS_STATUS_CLOCKS	32	/* Listed; more are counted. */
#define OPS_CERT_WARN_DAYS	30	/* Warn this long before expiry. */
/* The agent writes peer status every 2 s; older rows are stale. */
#define OPS_STATUS_STALE_MS	10000

/* A node whose clock is off by more than HLC_SKEW_MS, as last measured. */
struct ops_clock_row {
	char		key[OPS_KEY_HEX];
	char		name[128];
	char		by[128];	/* Observer: "this node" or a name. */
	int64_t		offset_ms;
	uint64_t	at_ms;
	char		via[8];
	bool		self;		/* This computer's clock. */
};

struct ops_acks;

struct ops_status_res {
	uint64_t		now;
	struct db_status	s;
	char			id[OPS_KEY_HEX];
	char			center[256];
	char			role[64];	/* "not in a network" */
	bool			in_network;
	long			conflicts;
	int64_t			ahead_ms;	/* Newest foreign change. */
	struct ops_clock_row	clocks[OPS_STATUS_CLOCKS];
	size_t			nclocks, clocks_more;
	int64_t			cert_days;	/* INT64_MAX: none. */
	char			cert_expires[16];
	bool			running;	/* This node's agent, */
	uint64_t		since_ms;	/* last started then. */
	bool			acks_err;	/* Acks could not be counted. */
	uint64_t		own_seq;	/* Changes made here. */
	uint64_t		unacked;	/* Of them, acked by nobody. */
	struct ops_acks		*acks;		/* For the peer rows. */
};

/* A row of peer status as the agent last wrote it, judged now. */
struct ops_status_peer {
	const struct peer_status *ps;
	char		key[OPS_KEY_HEX];
	const char	*shown;	/* Name for people ("" if none known). */
	bool		stale;	/* The agent wrote it too long ago. */
	bool		ended;	/* Its membership ended. */
	bool		acked;	/* It acknowledged something. */
	bool		in_sync;	/* It holds every change held here. */
	uint64_t	acked_ms;
	uint64_t	lacking;	/* Changes held here, not acked. */
};
typedef int (*ops_status_peer_fn)(void *, const struct ops_status_peer *);

/* A member whose membership ended (revoked, expired). */
struct ops_ended_row {
	char		key[OPS_KEY_HEX];
	const char	*name;
	const char	*why;
};
typedef int (*ops_ended_fn)(void *, const struct ops_ended_row *);

/* status: fill ${res}; ops_status_free() it. */
int ops_status(struct ops *, struct ops_status_res *, struct ops_err *);
void ops_status_free(struct ops_status_res *);
/* The peer rows, and the ended members each once, of a status read. */
int ops_status_peers(struct ops *, const struct ops_status_res *,
    ops_status_peer_fn, void *, struct ops_err *);
int ops_status_ended(struct ops *, const struct ops_status_res *,
    ops_ended_fn, void *, struct ops_err *);

/* ---- bundle.c */

/* What a receiver holds, as 'hamroh vector' prints it. */
struct ops_vec {
	size_t		n, a;
	uint8_t		(*key)[NODE_KEY_LEN];
	uint64_t	*seq;
};
/* Read vector file ${path} into ${v} (ops_vec_free() it). */
int ops_vec_read(const char *, struct ops_vec *, struct ops_err *);
void ops_vec_free(struct ops_vec *);

struct ops_bundle_export_args {
	const struct ops_vec	*since;	/* NULL: every change. */
	FILE			*out;	/* Stream here (left open), */
	const char		*path;	/* or else write this file whole. */
};
/* ${n}: how many changes were written. */
int ops_bundle_export(struct ops *, const struct ops_bundle_export_args *,
    uint64_t *, struct ops_err *);

struct ops_bundle_import_args {
	FILE		*in;	/* Read this (left open), */
	const char	*path;	/* or open this; named in messages. */
};
struct ops_bundle_import_res {
	long		n;	/* Changes read. */
	struct db_counts dc;
};
/* All or nothing: a bad change or trailer imports none (BAD_INPUT). */
int ops_bundle_import(struct ops *, const struct ops_bundle_import_args *,
    struct ops_bundle_import_res *, struct ops_err *);

/*
 * A node's secret key into the new file ${path} (0600, created, never
 * replaced), fsynced; on failure nothing is left there.  -1 with errno.
 */
int ops_write_key(const char *, const uint8_t *);

/*
 * ops_read_keyfile(dir, name, out, len, e):
 * Read the ${len}-byte key file ${name} of data dir ${dir} into ${out}:
 * 1, 0 if there is none, -1 with ${e} filled (ENV: unreadable, readable
 * by others, or of another size).
 */
int ops_read_keyfile(const char *, const char *, uint8_t *, size_t,
    struct ops_err *);

#endif /* !AGENT_OPS_NODE_H */

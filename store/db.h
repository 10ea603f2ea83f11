#ifndef STORE_DB_H
#define STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/commit.h"
#include "store/schema.h"

/*
 * The node's database: commit log, materialized collections and the
 * bookkeeping around them (origins, held-back commits, forks).  One
 * SQLite file in WAL mode, shared by the CLI and the agent.
 */
#define STORE_ERRLEN	512
#define DB_FILE		"hamroh.db"

struct db;
struct trust;

/* Outcome of applying one foreign commit. */
enum db_apply_res {
	DB_APPLIED = 0,		/* New, verified, applied. */
	DB_DUPLICATE,		/* Already held: nothing to do. */
	DB_HELD,		/* Seq leaves a gap: kept aside until filled. */
	DB_FORK			/* Conflicts with a held commit: refused. */
};

struct db_counts {
	uint64_t	applied, duplicate, held, fork, released;
	uint64_t	strangers;	/* Set aside: origin never certified. */
	uint64_t	dropped;	/* A stranger's, past the caps. */
	uint64_t	refused;	/* Of those applied: stored, but refused
					   as a whole (COMMIT_REFUSED_*). */
};

/*
 * What kind of trouble a store error is, for the one who has to act on it
 * (a user told to wait, to free disk space, to restore): db_fault() reads
 * it from the error text the store wrote, whoever passed it on.
 */
enum db_fault {
	DB_FAULT_OTHER = 0,
	DB_FAULT_BUSY,		/* Another connection holds a lock. */
	DB_FAULT_FULL,		/* The disk (or max_page_count) is full. */
	DB_FAULT_CORRUPT,	/* The file is damaged or no database. */
	DB_FAULT_READONLY,	/* The file or its dir cannot be written. */
	DB_FAULT_IO		/* The disk failed a read or a write. */
};

enum db_fault db_fault(const char *);

/**
 * db_open(dbp, path, create, err):
 * Open (and with ${create}, create) the database at ${path}, creating or
 * migrating its schema.  Return 0, or -1 with ${err} filled.
 */
int db_open(struct db **, const char *, bool, char[STORE_ERRLEN]);

/**
 * db_close(db):
 * Close ${db}; a pending transaction is rolled back.  NULL is a no-op.
 */
void db_close(struct db *);

/**
 * db_set_signer(db, sk):
 * Local commits are signed with ${sk} (copied into locked memory); the
 * origin is its public half.
 */
int db_set_signer(struct db *, const uint8_t[NODE_SK_LEN]);

/* Meta values (name, center, key, ...): text, NULL if unset. */
int db_meta_get(struct db *, const char *, char *, size_t);
int db_meta_set(struct db *, const char *, const char *, char[STORE_ERRLEN]);
/* Remove meta value ${k} (none: not an error). */
int db_meta_del(struct db *, const char *, char[STORE_ERRLEN]);
/*
 * ${fn}(arg, name, value) for each meta value whose name starts with
 * ${prefix} (not empty), in name order; -1 on a read error or once
 * ${fn} returns nonzero, else 0.
 */
int db_meta_each(struct db *, const char *,
    int (*)(void *, const char *, const char *), void *);

/**
 * db_begin(db, now_ms, err) / db_commit(db, err) / db_rollback(db):
 * A write transaction (BEGIN IMMEDIATE).  db_commit() seals buffered local
 * changes into a commit first.  One transaction may hold many commits.
 */
int db_begin(struct db *, uint64_t, char[STORE_ERRLEN]);
int db_commit(struct db *, char[STORE_ERRLEN]);
void db_rollback(struct db *);

/**
 * db_set_actor(db, user, err):
 * Inside db_begin(): the local commits of this transaction name the staff
 * account ${user} as the one who made them (commit.h), NULL the node
 * alone (what every transaction starts with).  Writes buffered before
 * are sealed first, under whoever acted then.  Return 0, or -1 with
 * ${err} filled if ${user} may not name one (commit_user_valid()).
 */
int db_set_actor(struct db *, const char *, char[STORE_ERRLEN]);

/**
 * db_durable(db, full):
 * synchronous=FULL (local commits: the origin holds the only copy) or
 * NORMAL (commits received from a peer: after a crash the vector shows
 * what is missing and peers send it again).  Outside a transaction.
 */
void db_durable(struct db *, bool);

/**
 * db_put(db, c, id, f, v, err):
 * Buffer a local write of ${v} to field ${f} of record ${id} of ${c}.
 * Must be inside db_begin().  The value was validated by the caller.
 */
int db_put(struct db *, const struct coll_def *, const uint8_t[SCHEMA_ID_LEN],
    const struct field_def *, const struct val *, char[STORE_ERRLEN]);

/**
 * db_flush(db, err):
 * Seal buffered local writes into one signed commit and apply it.
 */
int db_flush(struct db *, char[STORE_ERRLEN]);

/* Buffered writes not yet sealed into a commit. */
size_t db_pending_records(const struct db *);

/**
 * db_max_pages(db, n, err):
 * Let the database grow to at most ${n} pages (never below its size):
 * how tests make a disk full.  Return 0, or -1 with ${err} filled.
 */
int db_max_pages(struct db *, uint64_t, char[STORE_ERRLEN]);

/**
 * db_apply(db, body, len, sig, res, err):
 * Verify and apply one foreign commit (inside db_begin()), then any held
 * commits it unblocks (counted in ${res}->released).  Return 0 with the
 * outcome in ${res}; or, with ${err} filled, DB_EINVALID if the commit is
 * invalid (bad signature, malformed: the sender's fault, as no node
 * stores and relays such a commit), DB_ESTORE if it could not be stored
 * (disk full, I/O error, out of memory: ours, and the same commit may
 * well apply later).  A validly signed commit bad on its own is its
 * origin's fault: stored, refused as a whole (${res}->refused), 0.
 */
#define DB_EINVALID	(-1)
#define DB_ESTORE	(-2)
int db_apply(struct db *, const uint8_t *, size_t,
    const uint8_t[NODE_SIG_LEN], struct db_counts *, char[STORE_ERRLEN]);

/**
 * db_record(db, c, id, live):
 * 1 if record ${id} of ${c} exists (*live = not deleted), 0 if not, -1 on
 * error.
 */
int db_record(struct db *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], bool *);

/*
 * Forks (store/fork.c): an origin that signed two different commits for
 * one seq is frozen below the lowest such seq a fork proof shows; its
 * commits from there on are kept and relayed, applied nowhere.
 */
struct db_fork {
	const uint8_t	*a, *asig, *b, *bsig;	/* Two signed commits. */
	size_t		alen, blen;
	uint64_t	seq;			/* The seq signed twice. */
};

/**
 * db_fork_proof(db, a, alen, asig, b, blen, bsig, seq, learned, err):
 * A peer's fork proof (inside db_begin()): two commits of one origin, the
 * same seq with two hashes, or seq s and s + 1 where the second's prev is
 * not the first's hash.  ${*seq} is the seq it shows signed twice;
 * ${*learned} whether this node's proof of that origin is lower now (keep
 * it, from it or from the log).  A proof of an origin we hold nothing of
 * is ignored.  Return 0, DB_EINVALID (not a proof: the sender's fault),
 * or DB_ESTORE.
 */
int db_fork_proof(struct db *, const uint8_t *, size_t,
    const uint8_t[NODE_SIG_LEN], const uint8_t *, size_t,
    const uint8_t[NODE_SIG_LEN], uint64_t *, bool *, char[STORE_ERRLEN]);

/* Call ${fn}(arg, origin, seq) per origin that forked; 1 if it stopped. */
int db_forks(struct db *, int (*)(void *, const uint8_t *, uint64_t),
    void *, char[STORE_ERRLEN]);

/*
 * The fork proof of ${origin}: ${fn}(arg, proof) (borrowed for the call),
 * then 1; 0 if there is none; -1 on error or if ${fn} failed.
 */
int db_fork_get(struct db *, const uint8_t[NODE_KEY_LEN],
    int (*)(void *, const struct db_fork *), void *, char[STORE_ERRLEN]);

/*
 * Version vector: calls ${fn} per origin with the highest seq held, in
 * key order, from memory (origins db_retire() retired are left out).
 */
int db_vector(struct db *, int (*)(void *, const uint8_t *, uint64_t),
    void *, char[STORE_ERRLEN]);

/*
 * Inside a transaction: origin ${key}'s commits become history that never
 * leaves this node (not in the vector, not sent, not bundled).
 */
int db_retire(struct db *, const uint8_t[NODE_KEY_LEN], char[STORE_ERRLEN]);
/* The highest seq of origin ${key} held (as in the vector), 0 if none. */
int db_held_seq(struct db *, const uint8_t[NODE_KEY_LEN], uint64_t *,
    char[STORE_ERRLEN]);

/**
 * db_commits_since(db, have, fn, arg, err):
 * Call ${fn}(arg, body, len, sig) for each commit whose seq exceeds
 * ${have}(arg, origin) — in per-origin seq order — and for every commit
 * when ${have} is NULL.  Stops with -1 when ${fn} returns non-zero.
 */
int db_commits_since(struct db *, uint64_t (*)(void *, const uint8_t *),
    int (*)(void *, const uint8_t *, size_t, const uint8_t *), void *,
    char[STORE_ERRLEN]);

/**
 * db_commits_from(db, origin, after, max_bytes, fn, arg, err):
 * Call ${fn}(arg, body, len, sig, seq) for the commits of ${origin} with
 * seq > ${after}, in seq order, stopping once ${max_bytes} of bodies have
 * been passed (at least one commit is, if any exists) or when ${fn}
 * returns non-zero.  Return the number of commits passed, or -1 on a
 * database error or when ${fn} returned < 0 (it failed: ${err} then says
 * only that, and ${fn} knows why).
 */
long db_commits_from(struct db *, const uint8_t[NODE_KEY_LEN], uint64_t,
    size_t, int (*)(void *, const uint8_t *, size_t, const uint8_t *,
    uint64_t), void *, char[STORE_ERRLEN]);

/**
 * db_rebuild(db, err):
 * Re-materialize every collection from the commit log (inside a
 * transaction of its own).
 */
int db_rebuild(struct db *, char[STORE_ERRLEN]);

/**
 * db_purge_retired(db, err):
 * Delete every commit of the origins db_retire() retired (history that
 * never left this node), with secure_delete on so their pages are zeroed,
 * re-materialize the collections from what remains (db_rebuild()), and
 * checkpoint the WAL with truncation: no byte of them stays in the file,
 * its free pages or its WAL.  Outside a transaction.
 */
int db_purge_retired(struct db *, char[STORE_ERRLEN]);

/**
 * db_verify(db, out, err):
 * Re-check every signature and hash chain, and compare the materialized
 * tables with a fresh rebuild.  Writes one line per problem to ${out}.
 * Return the number of problems, or -1 on error.
 */
long db_verify(struct db *, FILE *, char[STORE_ERRLEN]);

/**
 * db_backup(db, path, err):
 * Copy the database to ${path} with SQLite's online backup API.
 */
int db_backup(struct db *, const char *, char[STORE_ERRLEN]);

/* The trust oracle (store/trust.h) over ${db}'s log; trust_close() it. */
int db_trust_open(struct db *, struct trust **);

/*
 * SQLite's PRAGMA data_version: changes when another connection committed
 * since; -1 on error.
 */
int64_t db_data_version(struct db *);

/*
 * The number of the newest commit the log holds (0: none; -1 on error):
 * it moves when any commit is stored, by any connection, and only then,
 * so what derives from the records alone (a search index) is stale
 * exactly when it moved.  A local table's write (the access log) leaves
 * it, where data_version would move.
 */
int64_t db_commit_mark(struct db *);

/* Origin key bytes of origin index ${oidx} (loaded), or NULL. */
const uint8_t *db_origin_key(struct db *, uint32_t);

/* Copy the signing key into ${out} (64 bytes, the caller's locked memory). */
int db_copy_signer(const struct db *, uint8_t[NODE_SK_LEN]);

/*
 * db_keep_refused(db, yes):
 * Keep local commits whose changes this node's own judge refuses, instead
 * of failing them.  Only for tools and tests that build hostile logs (a
 * "modified binary"); a node never acknowledges a write it will not apply.
 */
void db_keep_refused(struct db *, bool);

/**
 * db_nowait(db):
 * For the agent's event loop, whose one step must stay short: ${db} never
 * waits for a lock another connection holds (a CLI import, say) — the
 * operation fails at once and db_busy() says so — and never checkpoints
 * the WAL itself (wal_autocheckpoint=0): db_wal_pages() tells how large
 * its commits made the WAL, and db_checkpoint() on another connection,
 * off the loop, moves it into the database.
 */
void db_nowait(struct db *);

/**
 * db_busy(db):
 * Whether an operation on ${db} found a lock busy since the last call:
 * one that failed then may well succeed later, and nothing of it was
 * stored.  Reading it clears it.
 */
bool db_busy(struct db *);

/*
 * While ${held}, db_begin() on ${db} fails at once as on a lock held
 * elsewhere (db_busy() says so): the agent holds its own commits off while
 * a restarting db_checkpoint() runs on another connection, which else
 * fights them for the lock (db_nowait() only).
 */
void db_hold(struct db *, bool);

/* Pages in the WAL after ${db}'s last commit (db_nowait() only). */
uint64_t db_wal_pages(const struct db *);

/**
 * db_checkpoint(db, restart, frames, err):
 * A WAL checkpoint on ${db}: copies what no reader still needs into the
 * database and syncs it.  A passive one waits for no lock; under a steady
 * stream of commits it never catches up with the end of the WAL, which
 * then grows for as long as the stream lasts.  With ${restart} it holds
 * off writers (they find the database busy) until it has copied all and
 * the readers of older frames are done, so the next commit writes the WAL
 * from its start again; this connection makes that commit, so the fsync
 * of the WAL's new header is not the other connection's.
 * ${*frames} is the number of WAL frames checkpointed.  Return 0, or -1
 * with ${err}.
 */
int db_checkpoint(struct db *, bool, uint64_t *, char[STORE_ERRLEN]);

/* This node's public key, or NULL before db_set_signer(). */
const uint8_t *db_node_key(const struct db *);

/* For status: numbers of commits, held commits, forks; max hlc. */
struct db_status {
	uint64_t	commits, held, forks, origins;
	uint64_t	strangers, stranger_origins;	/* Set aside. */
	uint64_t	dropped;	/* Strangers' commits past the caps. */
	uint64_t	refused;	/* Record changes judged forbidden. */
	uint64_t	refused_history;	/* Of retired origins. */
	uint64_t	max_hlc;	/* Of any commit. */
	uint64_t	max_foreign_hlc;
};
int db_status(struct db *, struct db_status *, char[STORE_ERRLEN]);

/*
 * The stamp local writes follow: max(our own newest, the newest foreign
 * stamp that stood, capped at our clock + HLC_MAX_AHEAD_MS on arrival).
 */
uint64_t db_last_hlc(struct db *);

/*
 * What the last local commit kept but warned of (its certificate had
 * expired), or NULL.  Cleared by db_begin().
 */
const char *db_warning(struct db *);

/*
 * How far a node's clock is off: ${offset_ms} = its clock minus the
 * observer's, measured at ${at_ms} of the observer's clock, ${via}
 * "session" (our own handshake), "report" (a peer's session, gossiped)
 * or "commit" (a commit stamped ahead: a lower bound).  The newest of
 * each kind per (subject, observer) is kept.
 */
struct db_clock {
	const uint8_t	*subject, *observer;	/* NODE_KEY_LEN bytes. */
	int64_t		offset_ms;
	uint64_t	at_ms;
	const char	*via;
};
int db_clock_note(struct db *, const uint8_t[NODE_KEY_LEN],
    const uint8_t[NODE_KEY_LEN], int64_t, uint64_t, const char *,
    char[STORE_ERRLEN]);

/* Every observation, by subject, newest first; ${fn} != 0 stops. */
int db_clocks(struct db *, int (*)(void *, const struct db_clock *), void *,
    char[STORE_ERRLEN]);

/*
 * A record change its origin had no right to make (store/trust.h): kept
 * in the log and relayed, not applied.
 */
struct db_refusal {
	const uint8_t	*origin;	/* NODE_KEY_LEN bytes. */
	uint64_t	seq, hlc;
	const char	*coll;
	const uint8_t	*id;		/* SCHEMA_ID_LEN bytes. */
	const char	*reason;
};

/**
 * db_refusals(db, newest, fn, arg, err):
 * Call ${fn}(arg, r) per refused record change, by origin key, then seq;
 * or with ${newest} > 0, only for that many, the newest (by hlc) first.
 * Stop early when ${fn} returns non-zero.
 */
int db_refusals(struct db *, size_t,
    int (*)(void *, const struct db_refusal *), void *, char[STORE_ERRLEN]);

struct rstate;

/**
 * db_load_state(db, c, id, rs, err):
 * The full register state of record ${id} of ${c} (every head, values
 * filled in), empty if there is no such record.  Free with rstate_fini().
 */
int db_load_state(struct db *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], struct rstate *, char[STORE_ERRLEN]);

/*
 * Peers to dial: "host:port" with the node key expected there (NULL when
 * a member's advertised addresses will tell).
 */
int db_peer_add(struct db *, const char *, const uint8_t *,
    char[STORE_ERRLEN]);
/* Return 1 if removed, 0 if there was no such address, -1 on error. */
int db_peer_rm(struct db *, const char *, char[STORE_ERRLEN]);
/* Call ${fn}(arg, addr, key or NULL) per peer, by address. */
int db_peers(struct db *, int (*)(void *, const char *, const uint8_t *),
    void *, char[STORE_ERRLEN]);

/* What the agent last knew of a peer (times in ms; 0 = never). */
struct peer_status {
	uint8_t		key[NODE_KEY_LEN];
	const char	*name, *addr, *state, *last_error;
	uint64_t	retry_at, last_sync, updated;
	uint64_t	bytes_in, bytes_out, they_lack, we_lack;
};
int db_peer_status_put(struct db *, const struct peer_status *,
    char[STORE_ERRLEN]);
int db_peer_status(struct db *, int (*)(void *, const struct peer_status *),
    void *, char[STORE_ERRLEN]);

/**
 * db_hs_fresh(db, key, ctr, err):
 * The replay guard: 0 if the handshake counter ${ctr} is above any
 * accepted from ${key} before (and remember it), 1 if not (a replay) or
 * if it is not below DB_HS_LIMIT, -1 on error.  Kept in the database, so
 * a restart does not forget it.
 */
int db_hs_fresh(struct db *, const uint8_t[NODE_KEY_LEN], uint64_t,
    char[STORE_ERRLEN]);

/**
 * db_hs_next(db, now_ms, ctr, err):
 * This node's next handshake counter, max(${now_ms}, the last one + 1).
 * Before one is returned, a bound above it is stored (meta hs_sent, with
 * synchronous=FULL as outside a batch), DB_HS_RESERVE_MS ahead so that
 * most calls write nothing; a restart starts above the bound, so no crash
 * can make it send one twice.  -1 if it would reach DB_HS_LIMIT, or on
 * error.
 */
int db_hs_next(struct db *, uint64_t, uint64_t *, char[STORE_ERRLEN]);
#define DB_HS_LIMIT	(UINT64_C(1) << 63)	/* = HS_COUNTER_LIMIT */
#define DB_HS_RESERVE_MS (UINT64_C(10) * 60 * 1000)

/*
 * A read transaction around several queries: one consistent snapshot,
 * the origins cache refreshed to it (a long-lived connection, such as a
 * worker's, sees origins another connection added since).
 */
void db_read_begin(struct db *);
void db_read_end(struct db *);

/*
 * db_cache_kib(db, kib, err): hold SQLite's page cache of ${db} to
 * ${kib} KiB (open sets 64 MiB).  A scan read once from end to end, such
 * as export --csv of 350,000 records, gains nothing from a larger one and
 * would grow the process by all of it.  0, or -1 with ${err}.
 */
int db_cache_kib(struct db *, unsigned, char[STORE_ERRLEN]);

/*
 * The local access log (store/access.c): who viewed which case, when.
 * This node's alone: never in a commit, never synced or bundled.
 */
struct db_access {
	uint64_t	at_ms;
	const char	*actor;		/* Staff account; NULL: node only. */
	const char	*what;		/* "show", "history", "export". */
	const char	*coll;
	const uint8_t	*id;		/* The record; NULL: many. */
	const char	*case_number;	/* Or NULL. */
};
int db_access_add(struct db *, const struct db_access *, char[STORE_ERRLEN]);
/* Newest first; the number of entries passed to ${fn}, or -1. */
long db_access_each(struct db *, int (*)(void *, const struct db_access *),
    void *, char[STORE_ERRLEN]);

#endif /* !STORE_DB_H */

#ifndef STORE_DB_INT_H
#define STORE_DB_INT_H

/*
 * db_int.h: store/'s internal interface: the insides of struct db, and
 * the functions the files implementing store/db.h call in one another.
 * Nothing outside store/ includes this (deploy/layers; tests reach the
 * raw handle through store/db_test.h only).
 *
 * Who owns what, lowest first.  A file calls only files below it, never
 * one above: the calls form a DAG, so each part can be read, and
 * changed, knowing only what is under it.
 *
 *   sql.c      errors, statements, meta keys, counts, data_version
 *   origin.c   the origins cache (struct orig, oindex, okeyed), the log's
 *              rows (origin_log_commit), fork_seq, db_refresh,
 *              db_vector, db_retire                      -> sql
 *   clock.c    the HLC: own stamps, floor_hlc, clock reports  -> sql
 *   scan.c, status.c, peers.c, backup.c, access.c
 *              reads of the log and counts; the agent's tables -> sql
 *   rows.c     materialization (struct tgt, db_load_rec,
 *              db_apply_state) and each target's refused table
 *                                                        -> origin, sql
 *   judge.c    who may write what; replays              -> rows, origin
 *   fork.c     fork proofs; re-judging a forked origin   -> judge
 *   foreign.c  db_apply: strangers, held commits         -> fork, clock
 *   local.c    db_put, db_flush: the local commit        -> judge, clock
 *   txn.c      db_begin, db_commit, db_rollback          -> local, judge
 *   open.c, verify.c
 *              opening and migrating; rebuild and verify
 *                                              -> txn, local, judge
 *
 * store/trust.c, merge.c, commit.c, schema.c and hlc.c are modules of
 * their own, under all of these, and do not include this header.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/commit.h"
#include "store/db.h"
#include "store/merge.h"
#include "store/schema.h"

struct chunk;
struct lchange;
struct trust;

struct orig {
	uint8_t		key[NODE_KEY_LEN];
	uint64_t	seq;		/* Highest seq applied; 0 if none. */
	uint64_t	hlc;		/* Its hlc. */
	uint8_t		hash[COMMIT_HASH_LEN];
	uint64_t	rb_hlc;		/* Progress of a rebuild. */
	bool		named;		/* A certificate names it (cached). */
	uint64_t	fork_seq;	/* Lowest seq it signed twice (a fork
					   proof holds it); 0: none. */
	bool		retired;	/* db_retire(): history kept here. */
};

/* Where changes are written: the live tables or a verify's scratch copy. */
struct tgt {
	const char	*schema;	/* "main" or "temp" */
	bool		rebuild;	/* Use orig.rb_hlc for "applied". */
	sqlite3_stmt	*sel[8], *rep[8];
	int64_t		nrefused;	/* Rows in its refused; -1: count. */
	sqlite3_stmt	*ref_ins, *ref_has, *ref_del, *ref_list;
};

/* A replay's target: empty tables, and "applied" follows the replay. */
#define TGT(schema)	{ schema, true, { NULL }, { NULL }, 0, NULL, NULL, \
			    NULL, NULL }

/* A record to re-derive from the log: its collection and id. */
struct rid {
	size_t		ci;
	uint8_t		id[SCHEMA_ID_LEN];
};

struct db {
	sqlite3		*h;
	uint8_t		*sk;		/* sodium_malloc'd, or NULL. */
	uint8_t		pk[NODE_KEY_LEN];
	bool		signer;
	struct orig	*orig;
	size_t		norig, aorig;
	uint32_t	*oindex;	/* Open addressing: idx + 1, or 0. */
	uint64_t	hs_last;	/* db_hs_next(): the last handed out, */
	uint64_t	hs_bound;	/* below the bound this process stored. */
	/*
	 * The first nkeyed origins in key order (db_vector()): made again
	 * when origins are added, so a realloc of orig never leaves it stale.
	 */
	const struct orig **okeyed;
	size_t		nkeyed;
	size_t		noindex;	/* Slots, a power of 2. */
	/* Strangers' commits set aside (-1: not counted yet). */
	int64_t		q_bytes, q_origins;
	uint64_t	q_dropped;	/* meta quarantine_dropped. */
	bool		q_dirty;
	bool		q_release;	/* A members change: look again. */
	int64_t		data_version;
	struct tgt	live;
	struct lchange	*lc;
	size_t		nlc, alc;
	struct chunk	*chunks;
	/*
	 * The clock: local stamps follow max(our own newest, floor_hlc).
	 * floor_hlc is the newest stamp of a foreign commit that stood,
	 * capped at the receiver's wall clock + HLC_MAX_AHEAD_MS when it
	 * arrived (meta hlc_floor).
	 */
	uint64_t	floor_hlc;
	bool		floor_dirty;
	uint64_t	nrefusals;	/* Changes refused, ever (a counter). */
	bool		keep_refused;	/* db_keep_refused(). */
	char		last_why[256];	/* Why the last one was. */
	char		warning[STORE_ERRLEN];	/* Of the last local commit. */
	uint64_t	now_ms;		/* Of the open transaction. */
	/* Who the open transaction's local commits name: db_set_actor(). */
	char		actor[USER_NAME_MAX + 1];
	size_t		actor_len;	/* 0: the node alone. */
	size_t		nrec_pending, bytes_pending;
	sqlite3_stmt	*s_ins_commit, *s_find_commit, *s_ins_origin;
	sqlite3_stmt	*s_ins_held, *s_find_held, *s_del_held;
	sqlite3_stmt	*s_ins_fork, *s_clock_note, *s_forks;
	struct trust	*trust;
	/* Records whose judgement a new fact changed, for db_commit(). */
	struct rid	*rd;
	size_t		nrd, ard;
	bool		full_rederive;	/* The network changed: all of it. */
	bool		settling;
	bool		busy;		/* A lock was busy: db_busy(). */
	bool		held;		/* db_hold(): commits held off. */
	uint64_t	wal_pages;	/* After our last commit: db_nowait(). */
};

/* ---- store/sql.c ---- */

/* Fill ${err} with "${what}: " and SQLite's message for ${h}. */
void db_errf(char[STORE_ERRLEN], const char *, sqlite3 *);

/* Run ${sql} (no rows); -1 with ${err} filled. */
int db_exec(struct db *, const char *, char[STORE_ERRLEN]);

/* Prepare ${sql} into ${*st} once; later calls reset it. */
int db_prep(struct db *, sqlite3_stmt **, const char *, char[STORE_ERRLEN]);

/*
 * Step ${st}, a statement that returns no rows, then reset it (db_step(),
 * for one db_prep() keeps) or finalize it (db_step_fin()); -1 with ${err}
 * "${what}: " and SQLite's message unless it ran to SQLITE_DONE.
 */
int db_step(struct db *, sqlite3_stmt *, const char *, char[STORE_ERRLEN]);
int db_step_fin(struct db *, sqlite3_stmt *, const char *,
    char[STORE_ERRLEN]);

/* Meta key ${k} as a number; 0 if absent. */
uint64_t db_meta_u64(struct db *, const char *);

/* The one number query ${sql} returns; 0 on error. */
uint64_t db_count(struct db *, const char *);

/* ---- store/origin.c ---- */

/* Whether changes of commit (oidx, seq) fall in a fork: not applied. */
#define FORK_FROZEN(db, oidx, seq) ((db)->orig[(oidx)].fork_seq != 0 && \
	    (seq) >= (db)->orig[(oidx)].fork_seq)

/* SQL: whether origin o (of table origins) is retired (db_retire()). */
#define RETIRED		"EXISTS (SELECT 1 FROM meta WHERE" \
			" k = 'retired:' || lower(hex(o.key)))"
#define NOT_RETIRED	"NOT " RETIRED

/* Load the origins cache (and each origin's fork_seq) from the log. */
int origin_load(struct db *, char[STORE_ERRLEN]);

/* Load the cache again if another process wrote since (data_version). */
int db_refresh(struct db *, char[STORE_ERRLEN]);

/* The index of origin ${key}; false if we hold nothing of it. */
bool db_origin_find(struct db *, const uint8_t[NODE_KEY_LEN], uint32_t *);

/* The index of origin ${key}, added to origins if new. */
int origin_idx(struct db *, const uint8_t[NODE_KEY_LEN], uint32_t *,
    char[STORE_ERRLEN]);

/* Write commit ${cm} of ${oidx} (hash, body, signature) to the log. */
int origin_log_commit(struct db *, uint32_t, const struct commit *,
    const uint8_t[COMMIT_HASH_LEN], const uint8_t *, size_t,
    const uint8_t[NODE_SIG_LEN], char[STORE_ERRLEN]);

/* Move the cache of ${oidx} to commit ${cm}, just logged. */
void origin_advance(struct db *, uint32_t, const struct commit *,
    const uint8_t[COMMIT_HASH_LEN]);

/* Why a change of ${oidx} in its fork counts nowhere. */
void origin_fork_why(struct db *, uint32_t, char[256]);

/* ---- store/clock.c ---- */

/* A foreign commit stamped ${hlc} stood: raise the clock's floor. */
void clock_follow(struct db *, uint64_t);

/* Note the stamp of commit ${cm} against our wall clock. */
int clock_seen(struct db *, const struct commit *, char[STORE_ERRLEN]);

/* Keep the clock reports commit ${cm} carries. */
int clock_reports(struct db *, const struct commit *, char[STORE_ERRLEN]);

/* Fail a local commit when our wall clock disagrees with the peers'. */
int clock_check(struct db *, char[STORE_ERRLEN]);

/* ${ms} since the epoch, as UTC text. */
void clock_fmt_utc(uint64_t, char[32]);

/* ---- store/rows.c ---- */

/* Index of ${c} in schema_colls. */
size_t db_coll_index(const struct coll_def *);

/* Column ${i} of the row ${st} stands on, as a value (borrowed). */
void db_col_val(sqlite3_stmt *, int, struct val *);

/* The SQL type of field ${f}'s column. */
const char *rows_coltype(const struct field_def *);

/* Create the table of collection ${c} in ${schema}, and its index. */
int rows_create_table(struct db *, const char *, const struct coll_def *,
    char[STORE_ERRLEN]);
/* ${c}'s indexes: of its conflicts, and of its listing order. */
int rows_create_index(struct db *, const char *, const struct coll_def *,
    char[STORE_ERRLEN]);

/* Finalize ${t}'s statements. */
void db_tgt_fini(struct tgt *);

/* Prepare ${head} ${t}'s schema ${tail} into ${st} (once), reset. */
int rows_tgt_stmt(struct db *, struct tgt *, sqlite3_stmt **, const char *,
    const char *, char[STORE_ERRLEN]);

/* Rows in ${t}'s refused table (cached; 1 if it cannot tell). */
int64_t rows_refused_count(struct db *, struct tgt *);

/* Was the write of (hlc, oidx) to record ${id} of ${c} refused in ${t}? */
bool rows_refused(struct db *, struct tgt *, const struct coll_def *,
    const uint8_t *, uint32_t, uint64_t);

/**
 * db_load_rec(db, t, c, id, rs, err):
 * Load the state of record ${id} of ${c} in ${t} into ${rs} (empty if the
 * record is new), values filled in.  Free with rstate_fini().
 */
int db_load_rec(struct db *, struct tgt *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], struct rstate *, char[STORE_ERRLEN]);

/**
 * db_apply_state(db, t, c, rc, hlc, oidx, rs, err):
 * Merge the changes ${rc} stamped (hlc, oidx) into ${rs}, the loaded state
 * of their record, and write its row.  Frees ${rs}.
 */
int db_apply_state(struct db *, struct tgt *, const struct coll_def *,
    const struct rchange *, uint64_t, uint32_t, struct rstate *,
    char[STORE_ERRLEN]);

/* ---- store/judge.c ---- */

/* Re-derive the record change ${rc} names when the transaction commits. */
int judge_rederive(struct db *, const struct rchange *, char[STORE_ERRLEN]);


/* Was the write of (hlc, oidx) to record ${id} of ${c} refused in ${t}? */
bool judge_refused(struct db *, struct tgt *, const struct coll_def *,
    const uint8_t *, uint32_t, uint64_t);

/**
 * judge_rec(db, t, c, rc, oidx, seq, hlc, rs, err):
 * Judge the changes ${rc} of commit (oidx, seq, hlc) to ${rs}, the loaded
 * state of their record, then apply them or keep the refusal.  Frees
 * ${rs}.
 */
int judge_rec(struct db *, struct tgt *, const struct coll_def *,
    const struct rchange *, uint32_t, uint64_t, uint64_t, struct rstate *,
    char[STORE_ERRLEN]);

/**
 * judge_note_facts(db, cm, oidx, err):
 * Record the membership facts commit ${cm} of ${oidx} carries, and judge
 * again the applied commits whose origin stands otherwise now.
 */
int judge_note_facts(struct db *, const struct commit *, uint32_t,
    char[STORE_ERRLEN]);

/* Apply commit ${cm} of ${oidx} to ${t}, judged. */
int judge_apply_commit(struct db *, struct tgt *, const struct commit *,
    uint32_t, char[STORE_ERRLEN]);

/**
 * judge_replay(db, t, only, n, err):
 * Replay the log into ${t} in stamp order: every record, whose tables are
 * empty; or only the ${n} records ${only} (sorted), whose rows and
 * refusals are gone.
 */
int judge_replay(struct db *, struct tgt *, const struct rid *, size_t,
    char[STORE_ERRLEN]);

/**
 * judge_settle(db, err):
 * Before a transaction commits: re-derive the records new facts or an
 * earlier creation put in question.
 */
int judge_settle(struct db *, char[STORE_ERRLEN]);

/* ---- store/fork.c ---- */

/**
 * fork_found(db, oidx, body, len, sig, err):
 * Foreign commit ${body} of ${oidx} conflicts with the log or a held
 * commit: keep the lowest fork proof it makes, and judge again what the
 * origin's commits from that seq on touched.
 */
int fork_found(struct db *, uint32_t, const uint8_t *, size_t,
    const uint8_t[NODE_SIG_LEN], char[STORE_ERRLEN]);

/* ---- store/local.c ---- */

/* Drop the buffered local writes and the storage of their values. */
void local_clear(struct db *);

#endif /* !STORE_DB_INT_H */

#ifndef AGENT_OPS_H
#define AGENT_OPS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/access/confidential.h"
#include "agent/access/users.h"
#include "store/db.h"
#include "store/query.h"
#include "store/schema.h"

/*
 * The operations layer: what a user can do to the records (add, set, rm,
 * show, list, export, history, conflicts, stats, guide publish, import),
 * as functions that never print, never exit and never read argv or the
 * environment, so that the CLI and the daemon's coming web UI run the
 * same code.  Each fills a struct ops_err on failure: a code (what the
 * caller does about it), a catalog key (what the user reads, in his
 * language: ops_text()) and the key's arguments.  Listings yield rows
 * through a callback, so nothing large is built in memory; a callback
 * returning non-zero stops the listing (not an error).
 */

/* What went wrong, for the caller; the CLI maps it to its exit code. */
enum ops_code {
	OPS_OK = 0,
	OPS_USAGE,	/* A malformed request (no such collection...). */
	OPS_BAD_INPUT,	/* A value or file is refused: nothing changed. */
	OPS_NOT_FOUND,	/* No such record. */
	OPS_DENIED,	/* The rules refuse this office the write. */
	OPS_BUSY,	/* Another writer holds the database. */
	OPS_STORE,	/* The store failed or refused (disk full...). */
	OPS_IO,		/* A file the caller gave cannot be read. */
	OPS_ENV,	/* The node's own files (keys) are missing or bad. */
	OPS_NOMEM	/* Out of memory. */
};

/* The catalog keys (agent/ops/catalog.def). */
enum ops_msg {
#define MSG(key, text)	OPS_MSG_##key,
#include "agent/ops/catalog.def"
#undef MSG
	OPS_MSG_COUNT
};

#define OPS_NARGS	5
#define OPS_ARG_MAX	512

struct ops_err {
	enum ops_code	code;
	enum ops_msg	key;
	char		arg[OPS_NARGS][OPS_ARG_MAX];	/* {1}..{5}. */
	enum ops_msg	tail;	/* What it meant for the data. */
	size_t		line;	/* Import: the line at fault. */
	char		cause[STORE_ERRLEN];	/* Internal detail. */
};

/*
 * The open node the operations act on.  ${user} is the signed-in staff
 * account (agent/ops/users.h, ops_signin()), role USER_NONE when nobody
 * is: then only what neither shows nor writes a confidential field runs
 * ("node only").  ${signin}, if set, is asked to sign somebody in the
 * first time an operation needs a user (the CLI reads a passphrase then,
 * so the commands that need none never ask for one); it returns 0 once
 * ops_signin() succeeded, or -1 with ${e} filled.
 */
struct ops {
	struct db	*db;
	const char	*dir;		/* Data dir: key files. */
	uint64_t	(*clock)(void *);	/* Wall-clock ms. */
	void		*clock_arg;
	const char	*actor;		/* Staff account (user.name), or NULL. */
	struct user_session user;	/* Signed in, or role USER_NONE. */
	int		(*signin)(void *, struct ops *, struct ops_err *);
	void		*signin_arg;
	struct conf	ring;		/* The center keys. */
	bool		ring_loaded;
	struct conf	none;		/* No keys: collections without any
					   confidential field. */
	char		case_number[32];	/* The last add's, or "". */
};

/**
 * ops_init(o, db, dir, clock, clock_arg):
 * Set up ${o} for the open node ${db} with data dir ${dir}; ${clock}
 * NULL means the system's wall clock.
 */
void ops_init(struct ops *, struct db *, const char *, uint64_t (*)(void *),
    void *);

/* Wipe the key ring. */
void ops_fini(struct ops *);

/* The time now, in ms, as ${o}'s clock says. */
uint64_t ops_now(struct ops *);

/*
 * The key ring, loaded when first needed; NULL with ${err} filled.  It
 * needs a signed-in lawyer or admin (the data key opens center.keys):
 * DENIED in words that say so otherwise.
 */
struct conf *ops_ring(struct ops *, struct ops_err *);

/*
 * The ring for reading or writing collection ${c} (NULL: all of them):
 * ops_ring() if it has a confidential field, else an empty ring that
 * needs no user.
 */
struct conf *ops_ring_for(struct ops *, const struct coll_def *,
    struct ops_err *);

/**
 * ops_text(lang, e, buf, len):
 * Render ${e} in language ${lang} ("en"; unknown: English) into ${buf}:
 * "line N: " if it names a line, the message, its tail.  Return ${buf}.
 */
const char *ops_text(const char *, const struct ops_err *, char *, size_t);

/* The catalog's template of ${key} in ${lang} (English if it has none). */
const char *ops_template(const char *, enum ops_msg);

/* The catalog key's name ("FIELD_UNKNOWN"), for logs and tests. */
const char *ops_key_name(enum ops_msg);

/**
 * ops_fail(e, code, key, nargs, ...):
 * Fill ${e} with ${code}, ${key} and ${nargs} string arguments (each cut
 * to OPS_ARG_MAX - 1 bytes); return -1.
 */
int ops_fail(struct ops_err *, enum ops_code, enum ops_msg, int, ...);
/* The same with a va_list. */
int ops_vfail(struct ops_err *, enum ops_code, enum ops_msg, int, va_list);

/**
 * ops_store_fail(e, err, tail):
 * A store's refusal or failure ${err}: a busy database is OPS_BUSY, and
 * a full disk, a damaged, unwritable or failing database each a key that
 * says what to do (store/db.h, db_fault()); anything else in the store's
 * own words.  ${err} is the cause; ${tail} what it meant.  Return -1.
 */
int ops_store_fail(struct ops_err *, const char *, enum ops_msg);

/* A field written: name and text as the user gave them ("" clears). */
struct ops_field {
	const char	*name;
	size_t		name_len;
	const char	*text;
	size_t		len;
};

/* A record's collection by name (USAGE naming the known ones). */
const struct coll_def *ops_coll(const char *, struct ops_err *);

/* A record id in hex (USAGE if it is not one). */
int ops_id(const char *, uint8_t[SCHEMA_ID_LEN], struct ops_err *);

/**
 * ops_field(c, in, f, v, e):
 * The field and value ${in} names for collection ${c}: refuses unknown
 * and internal fields and invalid values (BAD_INPUT).  ${v} borrows.
 */
int ops_field(const struct coll_def *, const struct ops_field *,
    const struct field_def **, struct val *, struct ops_err *);

/* ---- Writes. */

struct ops_write_args {
	const char		*coll;
	const char		*id;	/* set, rm: the record (hex). */
	const struct ops_field	*fields;
	size_t			nfields;
};

/* add: a new record; its id in ${id} (hex, NUL-terminated). */
int ops_add(struct ops *, const struct ops_write_args *,
    char[2 * SCHEMA_ID_LEN + 1], struct ops_err *);
/* set: change fields of a live record. */
int ops_set(struct ops *, const struct ops_write_args *, struct ops_err *);
/* rm: delete a live record (its fields take no arguments). */
int ops_rm(struct ops *, const struct ops_write_args *, struct ops_err *);

struct ops_guide_args {
	const char		*id;	/* NULL: a new guide. */
	const struct ops_field	*fields;	/* title, language, ... */
	size_t			nfields;
	const char		*body;
	size_t			body_len;
	const char		*body_name;	/* For messages. */
};

/* guide publish: a new guide, or a new version of guide ${id}. */
int ops_guide_publish(struct ops *, const struct ops_guide_args *,
    char[2 * SCHEMA_ID_LEN + 1], struct ops_err *);

/*
 * A warning the last write kept (e.g. an expired certificate), or NULL:
 * the write stands.
 */
const char *ops_warning(struct ops *);

/* ---- Reads.  Values are as this node may read them (revealed). */

struct ops_read_args {
	const char		*coll;	/* export: NULL for all. */
	const char		*id;	/* show, history. */
	const struct ops_field	*filters;	/* list: field=value. */
	size_t			nfilters;
	bool			sealed;	/* Values as stored. */
	/*
	 * list: more filters.  ${from} and ${to} (YYYY-MM-DD, NULL: none)
	 * keep records whose opened_at is in [from, to]; ${overdue} those
	 * with status=open opened more than OPS_OVERDUE_DAYS ago; ${mine}
	 * those a change of this node by the signed-in user touched.
	 */
	const char		*from, *to;
	bool			overdue;
	bool			mine;
	/*
	 * list: of the records kept, newest first, only ${offset} ..
	 * ${offset} + ${limit} - 1 reach the callback (${limit} 0: all);
	 * ${*total} (unless NULL) gets how many were kept.  Records out of
	 * the window are counted, never opened.
	 */
	size_t			offset, limit;
	uint64_t		*total;
	/*
	 * export: the clear fields alone, confidential ones left out of
	 * every record, so that no user need sign in (export --csv for
	 * whoever holds no key).  Nothing is revealed: no view recorded.
	 */
	bool			clear;
};

#define OPS_OVERDUE_DAYS	30

/*
 * One record: fields sorted by name, confidential ones revealed (or
 * "[encrypted]") unless sealed was asked; borrowed for the call.
 * ${stale}: a directory entry not verified for OPS_STALE_DAYS.
 */
#define OPS_STALE_DAYS	180
typedef int (*ops_record_fn)(void *, const struct rview *, bool);

int ops_show(struct ops *, const struct ops_read_args *, ops_record_fn,
    void *, struct ops_err *);
int ops_list(struct ops *, const struct ops_read_args *, ops_record_fn,
    void *, struct ops_err *);
int ops_export(struct ops *, const struct ops_read_args *, ops_record_fn,
    void *, struct ops_err *);

/*
 * Who made a change: the staff account its commit names, if any, and the
 * office (the commit's origin) as the members records say.
 */
struct ops_who {
	bool	has_user;	/* false: the node alone ("node only"). */
	char	user[USER_NAME_MAX + 1];
	char	node[128];	/* The office's name, or its key's prefix. */
	char	center[256];	/* Its center; "" if no record names one. */
};

/* The office ${origin} of a change whose commit names ${user} (or NULL). */
void ops_who(struct ops *, const uint8_t[NODE_KEY_LEN], const char *,
    size_t, struct ops_who *);

/* Who wrote a conflict's head ${h}: its commit's user and office. */
void ops_head_who(struct ops *, const struct cview_head *, struct ops_who *);

/**
 * ops_who_text(lang, w, buf, len):
 * ${w} as a person reads it, in ${lang}: "Саидова, Khujand center", or
 * "node only (khujand-office, Khujand center)" when no user acted.
 * Return ${buf}.
 */
const char *ops_who_text(const char *, const struct ops_who *, char *,
    size_t);

/* One change to a record, its value revealed; ${who} made it. */
typedef int (*ops_history_fn)(void *, const struct hview *,
    const struct ops_who *);
int ops_history(struct ops *, const struct ops_read_args *, ops_history_fn,
    void *, struct ops_err *);

/* One conflict, values revealed; ${nodes}[i] names head i's office. */
typedef int (*ops_conflict_fn)(void *, const struct cview *,
    const char *const *);
/* Return the number of conflicts, or -1. */
long ops_conflicts(struct ops *, ops_conflict_fn, void *, struct ops_err *);

struct ops_stats_args {
	const char	*coll;
	const char *const *by;	/* Fields ("month": from opened_at). */
	size_t		nby;
	/*
	 * Consultations whose client said no to statistics (consent_stats
	 * = no) are left out unless ${all}; ${*left_out} (unless NULL)
	 * gets how many were.
	 */
	bool		all;
	long		*left_out;
};
typedef int (*ops_stats_fn)(void *, const struct val *, uint64_t);
/* The fields to count by must exist (USAGE): before anything is opened. */
int ops_stats_check(const struct ops_stats_args *, struct ops_err *);
int ops_stats(struct ops *, const struct ops_stats_args *, ops_stats_fn,
    void *, struct ops_err *);

/* When record ${r} was last written (ms; 0: unknown): a guide's version. */
uint64_t ops_record_ms(struct ops *, const struct rview *);

/* ---- Import: JSON Lines or CSV, all or nothing. */

struct ops_import_args {
	const char	*coll;
	FILE		*in;
	bool		csv;
};

/* Import every record of ${in}; ${n}: how many. */
int ops_import(struct ops *, const struct ops_import_args *, long *,
    struct ops_err *);

#endif /* !AGENT_OPS_H */

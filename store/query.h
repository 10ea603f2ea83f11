#ifndef STORE_QUERY_H
#define STORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/commit.h"
#include "store/db.h"
#include "store/schema.h"

/*
 * Read-only queries over the materialized tables and the log.  Results go
 * to callbacks; everything they receive is borrowed for that call only.
 */

struct rview_field {
	const char	*name;		/* NUL-terminated. */
	struct val	v;
};

/* One live record: fields that have a value, sorted by name. */
struct rview {
	const struct coll_def	*c;
	const uint8_t		*id;
	bool			deleted;
	size_t			nf;
	struct rview_field	*f;
	uint32_t		conflicts;	/* Fields with an open one. */
};

/**
 * query_records(db, c, id, filter, nfilter, deleted_too, fn, arg, err):
 * Call ${fn} for each record of ${c} ordered by id (only ${id} if not
 * NULL) whose fields equal every value of ${filter}; deleted records only
 * when ${deleted_too}.  Stops when ${fn} returns non-zero.  Return the
 * number of records passed to ${fn}, or -1 with ${err} filled.
 */
long query_records(struct db *, const struct coll_def *, const uint8_t *,
    const struct rview_field *, size_t, bool,
    int (*)(void *, const struct rview *), void *, char[STORE_ERRLEN]);

/* A listing's bounds beside field=value, and its window (query_list()). */
struct qlist {
	const char	*from, *to;	/* opened_at in [from, to]; NULL: open. */
	const char	*open_before;	/* status open, opened_at before. */
	size_t		offset, limit;	/* Rows skipped, then at most limit
					   (0: all). */
	uint64_t	*total;		/* Unless NULL: rows the bounds keep,
					   window aside. */
};

/*
 * query_list(db, c, filter, nfilter, q, fn, arg, err):
 * query_records() of every live record, in the order people read them:
 * records with an opened_at newest first (then by case_number, newest
 * first), centers by code, the rest by id.  ${q} (unless NULL) bounds the
 * records by date and status and cuts the window out of them in SQL, so
 * the newest page of 100,000 records reads 50 rows of an index
 * (rows_create_table()); the dates must be YYYY-MM-DD (checked before).
 */
long query_list(struct db *, const struct coll_def *,
    const struct rview_field *, size_t, const struct qlist *,
    int (*)(void *, const struct rview *), void *, char[STORE_ERRLEN]);

/* One change to a record, from the log. */
struct hview {
	uint64_t	hlc;
	const uint8_t	*origin;
	uint64_t	seq;
	/* Its commit's user (not NUL-terminated), or NULL: the node alone. */
	const char	*user;
	size_t		user_len;
	const char	*field;		/* Not NUL-terminated. */
	size_t		field_len;
	struct val	v;
};

/**
 * query_history(db, c, id, fn, arg, err):
 * Every change ever made to record ${id} of ${c}, oldest first.
 */
long query_history(struct db *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN], int (*)(void *, const struct hview *),
    void *, char[STORE_ERRLEN]);

struct cview_head {
	uint64_t	hlc;
	const uint8_t	*origin;
	struct val	v;
};

/* An open conflict: heads winner first. */
struct cview {
	const struct coll_def	*c;
	const uint8_t		*id;
	const char		*field;
	size_t			nh;
	struct cview_head	*h;
};

/**
 * query_conflicts(db, fn, arg, err):
 * Every field of every record with more than one head, by collection, id
 * and field.
 */
long query_conflicts(struct db *, int (*)(void *, const struct cview *),
    void *, char[STORE_ERRLEN]);

/**
 * query_stats(db, c, by, nby, fn, arg, err):
 * Counts of live records of ${c} grouped by the fields ${by} (a field
 * name, or "month": YYYY-MM of opened_at), ordered by the groups.
 * ${fn} gets one value per grouping field and the count.
 */
long query_stats(struct db *, const struct coll_def *, const char *const *,
    size_t, int (*)(void *, const struct val *, uint64_t), void *,
    char[STORE_ERRLEN]);

/* query_stats() of the records whose ${field} is not ${value}. */
long query_stats_but(struct db *, const struct coll_def *,
    const char *const *, size_t, const char *, const char *,
    int (*)(void *, const struct val *, uint64_t), void *,
    char[STORE_ERRLEN]);

/*
 * A report's grouping (query_report()): a column of the row as stored, a
 * date column cut to its month (YYYY-MM), quarter (YYYY-Qn) or year, or
 * an integer column put in bands: the index i of the first ${lo}[i+1]
 * above the value (${lo}[0] is the lowest bound; NULL stays NULL).
 */
enum query_group_kind {
	QG_FIELD = 0,
	QG_MONTH,
	QG_QUARTER,
	QG_YEAR,
	QG_BANDS
};

struct query_group {
	enum query_group_kind	kind;
	const char		*field;		/* Checked by the caller. */
	const int64_t		*lo;		/* QG_BANDS. */
	size_t			nlo;
};

/* A filter: ${field} is one of ${v}[0..nv-1] (VAL_NIL: not given). */
struct query_filter {
	const char		*field;
	const struct val	*v;
	size_t			nv;
};

#define QUERY_REPORT_GROUPS	3

struct query_report {
	const struct coll_def	*c;
	struct query_group	g[QUERY_REPORT_GROUPS];
	size_t			ng;
	const struct query_filter *f;
	size_t			nf;
	/* ${on} in [from, to] (YYYY-MM-DD, inclusive; NULL: open). */
	const char		*on, *from, *to;
	const char		*given;		/* Must have a value, or NULL. */
	/*
	 * Consent: records whose ${but} field is "no" are left out
	 * (${only_but}: only they are counted); NULL: none.
	 */
	const char		*but;
	bool			only_but;
	/*
	 * If set (with ${but}, not ${only_but}, nor ${person}), the
	 * records left out are counted into *${but_n} in the same pass
	 * rather than a second.
	 */
	uint64_t		*but_n;
	/*
	 * Count persons: each person (${person}, or the record's
	 * ${self} when not given) once, in the group of his newest record
	 * (by ${newest}, then ${self}), so group counts add up.
	 */
	const char		*person, *self, *newest;
};

/**
 * query_report(db, q, fn, arg, err):
 * Count the live records of ${q}->c that pass ${q}'s filters and period,
 * grouped by ${q}->g, in one pass; ${fn} gets one value per grouping
 * (VAL_NIL: not given; QG_BANDS: VAL_INT the band) and the count.
 * Return the number of groups, or -1 with ${err} filled.
 */
long query_report(struct db *, const struct query_report *,
    int (*)(void *, const struct val *, uint64_t), void *,
    char[STORE_ERRLEN]);

/**
 * query_origin_newest(db, fn, arg, err):
 * For each origin this node holds commits of: its key and the wall-clock
 * ms of its newest commit.  Return how many, or -1 with ${err} filled.
 */
long query_origin_newest(struct db *,
    int (*)(void *, const uint8_t *, uint64_t), void *, char[STORE_ERRLEN]);

/**
 * query_node_name(db, key, out, len):
 * The name the node ${key} gave itself (members record), or its key's
 * first 8 bytes in hex when unknown.
 */
void query_node_name(struct db *, const uint8_t[NODE_KEY_LEN], char *,
    size_t);

/**
 * query_node_center(db, key, out, len):
 * The center the node ${key} belongs to (members record), or "" when
 * unknown.
 */
void query_node_center(struct db *, const uint8_t[NODE_KEY_LEN], char *,
    size_t);

/**
 * query_commit_user(db, origin, seq, out, len):
 * The user the commit ${seq} of ${origin} names (commit.h), or "" if it
 * names none or this node does not hold it.
 */
void query_commit_user(struct db *, const uint8_t[NODE_KEY_LEN], uint64_t,
    char *, size_t);
/* The same for its commit stamped ${hlc} (a conflict's head). */
void query_commit_user_at(struct db *, const uint8_t[NODE_KEY_LEN], uint64_t,
    char *, size_t);

/**
 * query_user_records(db, c, user, fn, arg, err):
 * Call ${fn} with the id of every record of ${c} that a commit of this
 * node's own origin naming staff account ${user} changed (once per
 * commit and record: an id may come more than once), oldest first.
 * Return the number of calls, or -1 with ${err} filled.
 */
long query_user_records(struct db *, const struct coll_def *, const char *,
    int (*)(void *, const uint8_t *), void *, char[STORE_ERRLEN]);

/*
 * query_record_hlc(db, c, id):
 * The newest stamp of any field value record ${id} of ${c} holds (when
 * it was last written, as this node merged it), or 0 if none.
 */
uint64_t query_record_hlc(struct db *, const struct coll_def *,
    const uint8_t[SCHEMA_ID_LEN]);

/* Whether this node holds records an origin of its log made before. */
bool query_has_history(struct db *);

/*
 * Whether a restored node needs center.keys: it held a center key if it
 * is a member of a center (its invite carried one), or if its log holds
 * a center-key record or a sealed value.
 */
bool query_uses_keys(struct db *);

#endif /* !STORE_QUERY_H */

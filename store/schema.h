#ifndef STORE_SCHEMA_H
#define STORE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The collections hamroh knows and the fields of each: one table
 * (schema.c), consulted by validation, the materialized tables, the CLI
 * and export.  Nothing else hard-codes a field name or a limit.
 */

#define SCHEMA_MAX_FIELDS	32
#define SCHEMA_NAME_MAX		32	/* Longest collection or field name. */
#define SCHEMA_ID_LEN		16	/* Record ids are 128 random bits. */
#define SCHEMA_STR_MAX		(1024 * 1024)	/* Absolute cap on a value. */
#define SCHEMA_DELETED		"_deleted"

enum val_type {
	VAL_NIL = 0,
	VAL_STR,
	VAL_INT,
	VAL_BOOL
};

/* A field value.  ${s} is borrowed and need not be NUL-terminated. */
struct val {
	enum val_type	t;
	int64_t		i;		/* VAL_INT, VAL_BOOL */
	const char	*s;		/* VAL_STR */
	size_t		len;		/* VAL_STR */
};

enum field_kind {
	FK_TEXT,		/* Any UTF-8 text up to max_len bytes. */
	FK_ENUM,		/* One of enums[]. */
	FK_INT,			/* Integer in [min, max]. */
	FK_DATE,		/* YYYY-MM-DD. */
	FK_COUNTRY,		/* ISO 3166 alpha-2: two capital letters. */
	FK_RECID,		/* A record id: 32 lowercase hex digits. */
	FK_BOOL			/* Only _deleted. */
};

struct field_def {
	const char	*name;
	enum field_kind	kind;
	size_t		max_len;	/* FK_TEXT */
	int64_t		min, max;	/* FK_INT */
	const char *const *enums;	/* FK_ENUM, NULL-terminated. */
	bool		list;		/* Shown by `list` (human output). */
};

struct coll_def {
	const char	*name;
	const struct field_def *fields;	/* Ends with a NULL name. */
	size_t		nfields;
};

/* All collections, ending with a NULL name. */
extern const struct coll_def schema_colls[];

/**
 * schema_coll(name):
 * Return the collection called ${name}, or NULL.
 */
const struct coll_def *schema_coll(const char *);

/**
 * schema_field(c, name, len):
 * Return the field of ${c} called ${name} (${len} bytes), or NULL.
 * "_deleted" is a field of every collection.
 */
const struct field_def *schema_field(const struct coll_def *, const char *,
    size_t);

/**
 * schema_field_index(c, f):
 * Index of ${f} in ${c}->fields; _deleted has index ${c}->nfields.
 */
size_t schema_field_index(const struct coll_def *, const struct field_def *);

/*
 * Why a value or a record is refused: a code, the field at fault and the
 * code's arguments, apart, so that the operations map it to a catalog key
 * (agent/ops/catalog.def) a user reads in his language.
 */
enum schema_err {
	SE_OK = 0,
	SE_TYPE,		/* {1}: "int", "bool" or "text" expected. */
	SE_UTF8,
	SE_TOO_LONG,		/* {1} bytes, limit {2}. */
	SE_RANGE,		/* {1} is not in [{2}, {3}]. */
	SE_ENUM,		/* {1}: the allowed values, "a, b, c". */
	SE_DATE,
	SE_COUNTRY_FORM,	/* Not two capital letters. */
	SE_RECID,
	/* Record rules (schema_rules()): local writes only. */
	SE_REQUIRED,		/* {1}: the allowed values, {2} the form. */
	SE_REQUIRED_MANY,	/* {1}: all the fields missing. */
	SE_NEEDED_WHEN,		/* {1}={2} needs this field. */
	SE_BEFORE,		/* {1} is before {2}={3}. */
	SE_FUTURE,		/* {1} is after {2}, a day from now. */
	SE_COUNTRY,		/* {1} is not an assigned code. */
	SE_NOT_LISTED,		/* {1}: the allowed values. */
	SE_INTERNAL		/* Written by hamroh itself. */
};

#define SCHEMA_ERR_NARGS	3
#define SCHEMA_ERR_ARG		400

struct schema_fail {
	enum schema_err	code;
	const char	*field;		/* The field at fault. */
	char		arg[SCHEMA_ERR_NARGS][SCHEMA_ERR_ARG];
};

/**
 * schema_check_value(f, v, fail):
 * Check ${v} against ${f}'s kind and limits.  Return 0 if valid, else
 * fill ${fail} and return -1.  NIL is always valid (it clears the field).
 * This is the shape of what the log may hold: every node applies it.
 */
int schema_check_value(const struct field_def *, const struct val *,
    struct schema_fail *);

/**
 * schema_why(fail, why, why_len):
 * ${fail} in English, after the field's name ("must be one of a/b").
 */
void schema_why(const struct schema_fail *, char *, size_t);

/**
 * schema_check(c, f, v, why, why_len):
 * Check ${v} against ${f}.  Return 0 if valid; otherwise write a reason
 * such as "is 17408 bytes (limit 16384); shorten it" into ${why} and
 * return -1.  NIL is always valid (it clears the field).
 */
int schema_check(const struct field_def *, const struct val *, char *,
    size_t);

/*
 * Record rules: what a record written on this node (add, set, import, the
 * UI) must satisfy beyond the shape of each value.  They live in the one
 * table (schema.c, rules[]) beside the fields, and apply to local writes
 * only: records already in the log and values from newer versions are
 * kept and relayed as they are.
 */
enum rule_kind {
	RULE_REQUIRED,		/* ${field} is given on a new record. */
	RULE_NEEDED_WHEN,	/* ${other}=${value} needs ${field}. */
	RULE_NOT_BEFORE,	/* Date ${field} is not before ${other}. */
	RULE_NOT_FUTURE,	/* Date ${field} is at most a day ahead. */
	RULE_COUNTRY,		/* An assigned ISO 3166-1 alpha-2 code. */
	RULE_ONE_OF,		/* One of ${list}. */
	RULE_REFERS,		/* A live ${other} record, found by ${value}. */
	RULE_INTERNAL		/* Written by hamroh: ${list}, NULL all. */
};

struct rule_def {
	const char		*coll;
	enum rule_kind		kind;
	const char		*field;		/* NULL: RULE_INTERNAL, all. */
	const char		*other;
	const char		*value;
	const char *const	*list;		/* NULL-terminated. */
};

/* All rules, ending with a NULL coll. */
extern const struct rule_def schema_rule_defs[];

/**
 * schema_rule(c, f, kind):
 * The rule of ${kind} on field ${f} of ${c}, or NULL.
 */
const struct rule_def *schema_rule(const struct coll_def *,
    const struct field_def *, enum rule_kind);

/* Whether users may not write field ${f} of ${c} (RULE_INTERNAL). */
bool schema_internal(const struct coll_def *, const struct field_def *);

/**
 * schema_rules(c, rec, changed, creates, latest, fail):
 * Check the record rules of ${c} on the record ${rec} (indexed as
 * ${c}->fields; NIL: unset) as it will be after a local write that
 * changes the fields flagged in ${changed} (creating it if ${creates}).
 * A rule is checked when the write touches a field it names (all of them
 * on a new record), so a record already in the log that misses a field
 * can still be edited.  ${latest}: the last date allowed (YYYY-MM-DD, a
 * day from now).  RULE_REFERS is the caller's (it needs the database).
 * Return 0, or fill ${fail} and return -1.
 */
int schema_rules(const struct coll_def *, const struct val *, const bool *,
    bool, const char *, struct schema_fail *);

/* Whether ${s} (${len} bytes) is an assigned ISO 3166-1 alpha-2 code. */
bool schema_country_assigned(const char *, size_t);

/* ${e} as "a, b, c" into ${buf}. */
void schema_list(const char *const *, char *, size_t);

/**
 * schema_parse(f, text, len, v):
 * Turn user text for field ${f} into a value (an int for FK_INT, a bool for
 * FK_BOOL, NIL for the empty string, else a string borrowing ${text}).
 * Return -1 if the text is not a valid value of that kind.
 */
int schema_parse(const struct field_def *, const char *, size_t,
    struct val *);

/**
 * schema_utf8_valid(s, len):
 * True if ${s} is well-formed UTF-8 with no NUL and no C0 controls other
 * than tab, newline and carriage return.
 */
bool schema_utf8_valid(const char *, size_t);

/* Field name syntax: [a-z][a-z0-9_]*, at most SCHEMA_NAME_MAX bytes. */
bool schema_name_valid(const char *, size_t);

#endif /* !STORE_SCHEMA_H */

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

/**
 * schema_check(c, f, v, why, why_len):
 * Check ${v} against ${f}.  Return 0 if valid; otherwise write a reason
 * such as "is 17408 bytes (limit 16384); shorten it" into ${why} and
 * return -1.  NIL is always valid (it clears the field).
 */
int schema_check(const struct field_def *, const struct val *, char *,
    size_t);

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

#ifndef AGENT_JSON_H
#define AGENT_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "store/schema.h"		/* struct val, embedded in json_kv. */

/*
 * Strict JSON for the CLI: one flat object per line of JSON Lines in,
 * deterministic JSON out.  Values are exactly the store's: null, strings
 * (valid UTF-8 without NUL or control characters other than tab, newline
 * and carriage return), 64-bit whole numbers and booleans.
 */

/* Most keys accepted in one object: the widest collection is far below. */
#define JSON_MAX_KEYS	256

struct json_kv {
	char		*key;		/* NUL-terminated, unescaped. */
	size_t		key_len;
	struct val	v;		/* VAL_STR points into the json_obj. */
};

/*
 * Callers keep a json_obj on the stack, so its body is public; ${buf}
 * (decoded strings) is private.
 */
struct json_obj {
	size_t		n;
	struct json_kv	*kv;
	char		*buf;
};

/**
 * json_parse_object(text, len, o, err, err_len):
 * Parse the ${len} bytes at ${text} (need not be NUL-terminated), which
 * must hold one JSON object whose values are all scalars, surrounded by
 * nothing but whitespace.  On success fill ${o}, whose keys and strings
 * stay valid until json_obj_fini(${o}), and return 0.  Otherwise write a
 * one-line reason such as "invalid JSON (unexpected '}' at column 17)" or
 * "field 'age': numbers must be whole" into ${err} and return -1; ${o}
 * then holds nothing.  ${o} is overwritten, not freed, on entry.
 */
int json_parse_object(const char *, size_t, struct json_obj *, char *,
    size_t) __attribute__((warn_unused_result));

/**
 * json_obj_fini(o):
 * Free what ${o} holds and zero it.  Safe on a zeroed or finished object.
 */
void json_obj_fini(struct json_obj *);

/**
 * json_put_str(f, s, len):
 * Write the ${len} bytes at ${s} to ${f} as a JSON string: '"', '\' and
 * control bytes escaped (\n \r \t \b \f, else \u00XX), every other byte
 * verbatim.  The output depends only on the input bytes.  Errors are left
 * in ferror(${f}).
 */
void json_put_str(FILE *, const char *, size_t);

/**
 * json_put_val(f, v):
 * Write ${v} to ${f} as null, a string, a decimal integer, or true/false.
 */
void json_put_val(FILE *, const struct val *);

struct line_reader;			/* Opaque. */

/**
 * line_reader_new(f, max_len):
 * Return a reader of lines from ${f} (borrowed; not closed) that refuses
 * lines longer than ${max_len} bytes without buffering them, or NULL if
 * out of memory.  Free with line_reader_free().
 */
struct line_reader *line_reader_new(FILE *, size_t);

/**
 * line_reader_next(r, line, len):
 * Point ${line} at the next line, without its '\n' or a '\r' before it,
 * NUL-terminated and valid until the next call on ${r}; set ${len} and
 * return 1.  A last line without '\n' counts; nothing after the final
 * '\n' does.  Return 0 at end of file.  Return -1 if the line is longer
 * than max_len (${len} is then max_len + 1) or on a read error (then
 * ferror() on the FILE is set); every later call returns -1 too.
 */
int line_reader_next(struct line_reader *, const char **, size_t *)
    __attribute__((warn_unused_result));

/**
 * line_reader_lineno(r):
 * The 1-based number of the line last returned or refused by ${r}.
 */
size_t line_reader_lineno(const struct line_reader *);

/**
 * line_reader_free(r):
 * Free ${r}; NULL is a no-op.
 */
void line_reader_free(struct line_reader *);

#endif /* !AGENT_JSON_H */

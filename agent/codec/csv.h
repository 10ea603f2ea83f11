#ifndef AGENT_CSV_H
#define AGENT_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * RFC 4180 CSV input for the CLI's import: comma-, semicolon- or
 * tab-separated (whichever the header line holds most outside quotes: Excel
 * writes ';' in locales with a decimal comma), fields optionally in double
 * quotes (a doubled quote inside is one quote; separators and line breaks
 * inside are data), records ended by LF or CRLF, a UTF-8
 * byte order mark at the start of the file skipped.  Lines that are
 * entirely empty are not records.  A NUL byte, quoted or not, is refused:
 * fields are C strings.
 */

struct csv;				/* Opaque. */

/**
 * csv_new(f, max_record_len):
 * Return a reader of records from ${f} (borrowed; not closed) that refuses
 * records whose fields take more than ${max_record_len} bytes, counting
 * one byte per field for its separator, or NULL if out of memory.  Free
 * with csv_free().
 */
struct csv *csv_new(FILE *, size_t);

/**
 * csv_next(c, fields, lens, n, err, err_len):
 * Read the next record.  Point ${fields} at an array of ${n} fields, each
 * unquoted and NUL-terminated, and ${lens} at their lengths (all valid
 * until the next call on ${c}), and return 1.  Return 0 at end of file.
 * Otherwise write a one-line reason such as "unterminated quoted field",
 * "stray quote in unquoted field at column 7", "NUL byte at column 3" or
 * "record longer than N bytes" into ${err} and return -1; every later
 * call fails too.
 */
int csv_next(struct csv *, char ***, size_t **, size_t *, char *, size_t)
    __attribute__((warn_unused_result));

/**
 * csv_sep(c):
 * The separator ${c} reads fields with: ',', ';' or '\t', chosen from the
 * header line by the first csv_next() (',' before it).
 */
int csv_sep(const struct csv *);

/**
 * csv_lineno(c):
 * The 1-based line number where the record last returned (or refused) by
 * ${c} started.
 */
size_t csv_lineno(const struct csv *);

/**
 * csv_free(c):
 * Free ${c}; NULL is a no-op.
 */
void csv_free(struct csv *);

/**
 * csv_put(f, s, len, sep):
 * Write field ${s} (${len} bytes) to ${f} as RFC 4180 has it: in double
 * quotes, each quote doubled, if it holds ${sep}, ',' or ';' (either
 * separator, whichever a spreadsheet guesses), a quote, CR or LF (or
 * starts or ends with a space, which spreadsheets would trim); as it is
 * otherwise.  A field a spreadsheet would take for a formula (one that
 * begins with = + - @, a tab or a CR, after any number of ') goes out
 * with one ' before it, which Excel shows as "text" and does not print:
 * a summary a hostile office wrote as =HYPERLINK(...) stays words, and
 * "+992 93 ..." a phone.  csv_next() takes that ' off again, so what
 * export --csv writes imports back as it was.  The caller writes the
 * separators and line ends and checks ferror().  For the writers of
 * export --csv and report --csv.
 */
void csv_put(FILE *, const char *, size_t, char);

/* Whether ${s} (${len} bytes) goes out with a ' before it (csv_put()). */
bool csv_formula_like(const char *, size_t);

#endif /* !AGENT_CSV_H */

#ifndef AGENT_SEARCH_FOLD_H
#define AGENT_SEARCH_FOLD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Folding and tokenizing for search: the code, never SQLite, decides what
 * a word is, so the index (store/fts.h) gets space-separated tokens and a
 * query gets tokens, never the user's raw text.
 *
 * A token is a run of letters and digits, folded: Latin and Cyrillic case,
 * the Tajik letters to their Russian neighbours (ҳ→х ҷ→ч қ→к ғ→г ӯ→у ӣ→и),
 * ё→е and Uzbek ў→у, so "Ҳакимов", "ҲАКИМОВ" and "хакимов" are one token.
 * Combining marks are dropped; every other character separates.  A hyphen
 * between two letters or digits joins: "KHJ-26-03-0042-K" is the token
 * "khj26030042k" (the index also holds its parts, "khj", "26"...).  A phone
 * number is its last SEARCH_PHONE_DIGITS digits whatever the notation:
 * "+992 92 555 12 34", "92-555-12-34" and "925551234" are "925551234", and
 * so are Russian "+7 ..." numbers on their own last 9.
 */
#define SEARCH_PHONE_DIGITS	9
#define SEARCH_MAX_TERMS	8	/* Tokens in one query. */
#define SEARCH_QUERY_MAX	512	/* Bytes of one query's text. */
#define SEARCH_TERM_MAX		64	/* Bytes of one query token (cut). */

/*
 * search_fold_words(in, len, out):
 * Append to ${out} the tokens of the text ${in} (${len} bytes, any bytes:
 * invalid UTF-8 separates), each followed by a space: every token and,
 * for hyphenated ones, also the joined form.  ${out} must have room for
 * search_fold_room(len) bytes; return the bytes written (no NUL).
 */
size_t search_fold_words(const char *, size_t, char *);

/* Room search_fold_words() or search_fold_phone() may need for ${len}. */
size_t search_fold_room(size_t);

/*
 * search_fold_phone(in, len, out):
 * Append to ${out} the phone tokens of ${in}: for every run of digits and
 * notation (space, + - ( ) .) holding at least 9 digits, its last 9; a
 * shorter run, its digits.  Return the bytes written.
 */
size_t search_fold_phone(const char *, size_t, char *);

/* A query, tokenized. */
struct search_terms {
	size_t		n;
	const char	*t[SEARCH_MAX_TERMS];	/* Into buf; not NUL-ended. */
	size_t		len[SEARCH_MAX_TERMS];
	char		buf[SEARCH_MAX_TERMS * (SEARCH_TERM_MAX + 1)];
};

enum search_parse {
	SEARCH_PARSE_OK = 0,
	SEARCH_PARSE_EMPTY,	/* Not one letter or digit. */
	SEARCH_PARSE_LONG,	/* Over SEARCH_QUERY_MAX bytes. */
	SEARCH_PARSE_MANY	/* Over SEARCH_MAX_TERMS tokens. */
};

/*
 * search_parse_query(in, len, q):
 * The tokens of the user's text ${in}: each to be matched as a prefix, all
 * of them in one record.  A run that reads as a phone number (9 digits or
 * more, in any notation) is one token, its last 9 digits; a hyphenated
 * word is its joined form.
 */
enum search_parse search_parse_query(const char *, size_t,
    struct search_terms *);

/* Wipe ${q} (it held the user's text). */
void search_terms_wipe(struct search_terms *);

#endif /* !AGENT_SEARCH_FOLD_H */

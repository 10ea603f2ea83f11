/*
 * csv.c: an RFC 4180 CSV reader for import.  A record's fields are stored
 * one after another, each followed by a NUL, in one buffer bounded by the
 * caller's limit; so is the field count, since every field costs a byte.
 * The separator is the header line's: it is read ahead and replayed.
 */
#include "agent/codec/csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* next() turns line ends into these, apart from any byte. */
#define LF	256
#define CRLF	257

/* How much of the header line the separator is chosen from. */
#define DETECT_MAX	(256 * 1024)


struct csv {
	FILE		*f;
	size_t		max;		/* Record limit, a NUL per field. */
	char		*buf;		/* Fields of the current record. */
	size_t		used, cap;
	size_t		fstart;		/* Where the current field starts. */
	char		**fields;
	size_t		*lens;
	size_t		nf, fcap;
	int		push[4];	/* Bytes read ahead and given back. */
	size_t		npush;
	unsigned char	*pre;		/* The header line, read ahead. */
	size_t		npre, ipre;
	int		sep;		/* ',', ';' or '\t'. */
	size_t		line, col;	/* Position of the last byte read. */
	size_t		start;		/* Line where the record started. */
	bool		started, failed;
	char		*err;		/* Of the csv_next() call under way. */
	size_t		err_len;
};

static int fail(struct csv *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct csv *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->err_len, fmt, ap);
	va_end(ap);
	c->failed = true;
	return (-1);
}

static int
getb(struct csv *c)
{

	if (c->npush > 0)
		return (c->push[--c->npush]);
	if (c->ipre < c->npre)
		return (c->pre[c->ipre++]);
	return (getc(c->f));
}

/* Return the next byte, LF, CRLF or EOF, keeping count of lines. */
static int
next(struct csv *c)
{
	int ch, ch2;

	if ((ch = getb(c)) == '\r') {
		if ((ch2 = getb(c)) == '\n')
			ch = CRLF;
		else
			c->push[c->npush++] = ch2;
	} else if (ch == '\n')
		ch = LF;
	if (ch == LF || ch == CRLF) {
		c->line++;
		c->col = 0;
	} else if (ch != EOF)
		c->col++;
	return (ch);
}

/* Append byte ${ch} to the record. */
static int
putb(struct csv *c, int ch)
{
	size_t ncap;
	char *nb;

	if (c->used >= c->max)
		return (fail(c, "record longer than %zu bytes", c->max));
	if (c->used == c->cap) {
		ncap = (c->cap == 0) ? 256 : c->cap * 2;
		if (ncap > c->max)
			ncap = c->max;
		if ((nb = realloc(c->buf, ncap)) == NULL)
			return (fail(c, "out of memory"));
		c->buf = nb;
		c->cap = ncap;
	}
	c->buf[c->used++] = (char)ch;
	return (0);
}

static int
end_field(struct csv *c)
{
	size_t ncap;
	void *p;

	/* The ' csv_put() writes before a formula-like field: taken off. */
	if (c->used - c->fstart > 1 && c->buf[c->fstart] == '\'' &&
	    csv_formula_like(c->buf + c->fstart + 1, c->used - c->fstart -
	    1)) {
		memmove(c->buf + c->fstart, c->buf + c->fstart + 1,
		    c->used - c->fstart - 1);
		c->used--;
	}
	if (putb(c, '\0'))
		return (-1);
	if (c->nf == c->fcap) {
		ncap = (c->fcap == 0) ? 16 : c->fcap * 2;
		if ((p = realloc(c->fields, ncap * sizeof(*c->fields))) == NULL)
			return (fail(c, "out of memory"));
		c->fields = p;
		if ((p = realloc(c->lens, ncap * sizeof(*c->lens))) == NULL)
			return (fail(c, "out of memory"));
		c->lens = p;
		c->fcap = ncap;
	}
	c->lens[c->nf++] = c->used - 1 - c->fstart;
	c->fstart = c->used;
	return (0);
}

/**
 * csv_new(f, max_record_len):
 * Return a reader of records from ${f} (borrowed; not closed) that refuses
 * records whose fields take more than ${max_record_len} bytes, counting
 * one byte per field for its separator, or NULL if out of memory.  Free
 * with csv_free().
 */
struct csv *
csv_new(FILE *f, size_t max_record_len)
{
	struct csv *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->f = f;
	c->max = max_record_len;
	c->line = 1;
	c->sep = ',';
	return (c);
}

/* Skip a UTF-8 byte order mark, giving back whatever else is there. */
static void
skip_bom(struct csv *c)
{
	static const int bom[3] = { 0xef, 0xbb, 0xbf };
	int got[3];
	size_t i;

	for (i = 0; i < 3; i++)
		if ((got[i] = getc(c->f)) != bom[i])
			break;
	if (i == 3)
		return;
	for (i++; i > 0; i--)
		c->push[c->npush++] = got[i - 1];
}

/*
 * Choose the separator from the header, the first line that is not
 * empty: the one of ',' ';' and tab it holds most outside quotes (',' then
 * ';' on a tie; ',' if it holds none: one column).  Excel writes ';' where
 * the decimal mark is a comma (Russian and Tajik locales) and tabs for
 * "Unicode text".  Counting quotes by parity is the reader's own view of
 * a record it accepts: a quote opens a field, doubles inside one, or
 * closes it.  The blank lines before the header are skipped here, counted
 * as next() would; the header line is kept to be read again.  At most
 * DETECT_MAX bytes of it, whatever the record limit: two readers of one
 * file with different limits choose alike.  -1: out of memory.
 */
/* A byte before the header is kept: given back, or the file's. */
static int
rawb(struct csv *c)
{

	return (c->npush > 0 ? c->push[--c->npush] : getc(c->f));
}

static int
detect_sep(struct csv *c)
{
	static const int cand[3] = { ',', ';', '\t' };
	size_t count[3] = { 0, 0, 0 }, i, best, cap = 0, ncap;
	bool quoted = false;
	unsigned char *np;
	int ch;

	/* The blank lines: LF or CRLF (a lone CR is data). */
	while ((ch = rawb(c)) == '\n' || ch == '\r') {
		if (ch == '\r' && (ch = rawb(c)) != '\n') {
			c->push[c->npush++] = ch;
			ch = '\r';
			break;
		}
		c->line++;
	}
	while (ch != EOF) {
		if (c->npre == cap) {
			ncap = cap == 0 ? 256 : cap * 2;
			if ((np = realloc(c->pre, ncap)) == NULL)
				return (fail(c, "out of memory"));
			c->pre = np;
			cap = ncap;
		}
		c->pre[c->npre++] = (unsigned char)ch;
		if (ch == '"')
			quoted = !quoted;
		for (i = 0; i < 3 && !quoted; i++)
			if (ch == cand[i])
				count[i]++;
		if ((!quoted && ch == '\n') || c->npre == DETECT_MAX)
			break;
		ch = rawb(c);
	}
	for (best = 0, i = 1; i < 3; i++)
		if (count[i] > count[best])
			best = i;
	c->sep = cand[best];
	return (0);
}

/**
 * csv_sep(c):
 * The separator ${c} reads fields with: ',', ';' or '\t', chosen from the
 * header line by the first csv_next() (',' before it).
 */
int
csv_sep(const struct csv *c)
{

	return (c->sep);
}

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
int
csv_next(struct csv *c, char ***fields, size_t **lens, size_t *n,
    char *err, size_t err_len)
{
	enum { FIELD, UNQUOTED, QUOTED, QUOTE } st = FIELD;
	size_t i, off;
	int ch;

	c->err = err;
	c->err_len = err_len;
	if (c->failed)
		return (fail(c, "CSV input already failed"));
	if (!c->started) {
		skip_bom(c);
		c->started = true;
		if (detect_sep(c))
			return (-1);
	}
	c->used = c->fstart = c->nf = 0;

	do {
		ch = next(c);
	} while (ch == LF || ch == CRLF);
	c->start = c->line;
	if (ch == EOF && !ferror(c->f))
		return (0);

	for (;; ch = next(c)) {
		/*
		 * A field is handed on NUL-terminated and import copies
		 * header names as C strings: a NUL inside would cut one
		 * short of its length.  No text file holds one.
		 */
		if (ch == '\0')
			return (fail(c, "NUL byte at column %zu (is this a "
			    "CSV text file?)", c->col));
		switch (st) {
		case FIELD:
			if (ch == '"') {
				st = QUOTED;
				continue;
			}
			st = UNQUOTED;
			__attribute__((fallthrough));
		case UNQUOTED:
			if (ch == '"')
				return (fail(c, "stray quote in unquoted field "
				    "at column %zu", c->col));
			break;
		case QUOTED:
			if (ch == '"') {
				st = QUOTE;
				continue;
			}
			if (ch == EOF && ferror(c->f))
				break;
			if (ch == EOF)
				return (fail(c, "unterminated quoted field"));
			/* Line breaks in quotes are data, kept as they were. */
			if (ch == CRLF && putb(c, '\r'))
				return (-1);
			if (putb(c, (ch == LF || ch == CRLF) ? '\n' : ch))
				return (-1);
			continue;
		case QUOTE:
			if (ch == '"') {
				st = QUOTED;
				if (putb(c, '"'))
					return (-1);
				continue;
			}
			if (ch != c->sep && ch != LF && ch != CRLF &&
			    ch != EOF)
				return (fail(c, "unexpected character after "
				    "closing quote at column %zu", c->col));
			break;
		}
		if (ch == EOF && ferror(c->f))
			return (fail(c, "read error: %s", strerror(errno)));
		if (ch != c->sep && ch != LF && ch != CRLF && ch != EOF) {
			if (putb(c, ch))
				return (-1);
			continue;
		}
		if (end_field(c))
			return (-1);
		if (ch != c->sep)
			break;
		st = FIELD;
	}

	for (i = off = 0; i < c->nf; off += c->lens[i++] + 1)
		c->fields[i] = c->buf + off;
	*fields = c->fields;
	*lens = c->lens;
	*n = c->nf;
	return (1);
}

/**
 * csv_lineno(c):
 * The 1-based line number where the record last returned (or refused) by
 * ${c} started.
 */
size_t
csv_lineno(const struct csv *c)
{

	return (c->start);
}

/**
 * csv_free(c):
 * Free ${c}; NULL is a no-op.
 */
void
csv_free(struct csv *c)
{

	if (c == NULL)
		return;
	free(c->buf);
	free(c->pre);
	free(c->fields);
	free(c->lens);
	free(c);
}

/*
 * fuzz_csv.c: libFuzzer target for the CSV reader of agent/codec/csv.c, what
 * `hamroh import` reads from a spreadsheet's file.  Compiled against the
 * production sources; the input is read through fmemopen(), as a file.
 *
 * The input is read to its end with a limit larger than it (as import's
 * 4 MiB is), then again with a small one.  Each record must hold fields
 * that are NUL-terminated at their length with no NUL inside (import
 * copies a header with strdup() and keeps its length), within the limit
 * counting a byte per field, and start on a line no earlier than the last
 * one; a refusal is one line, and every later call fails too.  With the
 * small limit the records must be the first ones of the large-limit read,
 * up to the first that is too long, refused as such, and the separator
 * chosen from the header the same (it never depends on the limit: the
 * reader looks at the first 256 KiB of the header line, which holds any
 * input of make fuzz's -max_len=65536 and its write-back).  What
 * the reader accepted is written back as CSV with that separator, every
 * field quoted, and must read back as the same records and separator.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/codec/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SMALL	48		/* The small limit. */

/* Every record read, as one buffer of length-prefixed fields. */
struct recs {
	char	*buf;
	size_t	len;
	size_t	n;		/* Records. */
	size_t	*size;		/* Of each record: its fields and NULs. */
	bool	failed;		/* Ended with a refusal, not EOF. */
	int	sep;		/* csv_sep() once read. */
	char	why[256];
};

static void
append(struct recs *r, const void *p, size_t n)
{

	if ((r->buf = realloc(r->buf, r->len + n + 1)) == NULL)
		abort();
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static void
recs_free(struct recs *r)
{

	free(r->buf);
	free(r->size);
}

/* Read ${data} with limit ${max} into ${r}, checking each record. */
static void
read_all(const uint8_t *data, size_t size, size_t max, struct recs *r)
{
	FILE *f;
	struct csv *c;
	char **fields, err[256];
	size_t *lens, n, i, used, line = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	/* fmemopen() of 0 bytes fails on some libcs: a one-byte buffer. */
	if ((f = fmemopen(size ? (void *)data : (void *)"", size ? size : 1,
	    "r")) == NULL)
		abort();
	if (size == 0)
		(void)getc(f);
	if ((c = csv_new(f, max)) == NULL)
		abort();
	while ((rc = csv_next(c, &fields, &lens, &n, err, sizeof(err))) == 1) {
		assert(n >= 1);
		assert(csv_lineno(c) >= line && csv_lineno(c) >= 1);
		line = csv_lineno(c);
		append(r, &n, sizeof(n));
		for (used = i = 0; i < n; i++) {
			assert(fields[i][lens[i]] == '\0');
			assert(strlen(fields[i]) == lens[i]);
			used += lens[i] + 1;
			append(r, &lens[i], sizeof(lens[i]));
			append(r, fields[i], lens[i]);
		}
		assert(used <= max);
		if ((r->size = realloc(r->size, (r->n + 1) *
		    sizeof(*r->size))) == NULL)
			abort();
		r->size[r->n++] = used;
	}
	r->sep = csv_sep(c);
	assert(r->sep == ',' || r->sep == ';' || r->sep == '\t');
	if (rc != 0) {
		assert(rc == -1);
		assert(err[0] != '\0' && strchr(err, '\n') == NULL);
		r->failed = true;
		snprintf(r->why, sizeof(r->why), "%s", err);
		assert(csv_next(c, &fields, &lens, &n, err, sizeof(err)) ==
		    -1);
	}
	csv_free(c);
	fclose(f);
}

/* ${r} written back with its separator, fields quoted, CRLF after each. */
static char *
write_back(const struct recs *r, size_t *len)
{
	const char *p = r->buf, *end = r->len ? r->buf + r->len : p;
	size_t n, flen, i, j, cap = 2 * r->len + 4 * r->n + 16, o = 0;
	char *out;

	if ((out = malloc(cap)) == NULL)
		abort();
	while (p < end) {
		memcpy(&n, p, sizeof(n));
		p += sizeof(n);
		for (i = 0; i < n; i++) {
			memcpy(&flen, p, sizeof(flen));
			p += sizeof(flen);
			if (i > 0)
				out[o++] = (char)r->sep;
			out[o++] = '"';
			for (j = 0; j < flen; j++) {
				if (p[j] == '"')
					out[o++] = '"';
				out[o++] = p[j];
			}
			out[o++] = '"';
			p += flen;
		}
		out[o++] = '\r';
		out[o++] = '\n';
		assert(o <= cap);
	}
	*len = o;
	return (out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recs big, small, back;
	size_t i, len;
	char *csv;

	read_all(data, size, size + 1, &big);
	/* The whole input fits: only bad syntax is refused. */
	assert(!big.failed || strstr(big.why, "longer than") == NULL);

	read_all(data, size, SMALL, &small);
	assert(small.sep == big.sep);
	assert(small.n <= big.n);
	assert(small.len <= big.len);
	assert(small.len == 0 || memcmp(small.buf, big.buf, small.len) == 0);
	for (i = 0; i < small.n; i++)
		assert(small.size[i] == big.size[i]);
	if (small.n < big.n) {
		assert(small.failed && big.size[small.n] > SMALL);
		assert(strstr(small.why, "record longer than 48 bytes"));
	} else if (small.failed != big.failed ||
	    strcmp(small.why, big.why) != 0)
		/* The refused record was too long before it was bad. */
		assert(small.failed && big.failed &&
		    strstr(small.why, "record longer than 48 bytes"));

	/* Only the records read, without the refused rest. */
	csv = write_back(&big, &len);
	read_all((const uint8_t *)csv, len, len + 1, &back);
	assert(!back.failed);
	assert(back.n == 0 || back.sep == big.sep);
	assert(back.n == big.n && back.len == big.len);
	assert(big.len == 0 || memcmp(back.buf, big.buf, big.len) == 0);
	free(csv);
	recs_free(&back);
	recs_free(&small);
	recs_free(&big);
	return (0);
}

/*
 * fmt_csv.c: a report as CSV (agent/report/fmt.h), for Excel, LibreOffice
 * and any program that reads a table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/codec/csv.h"
#include "agent/report/fmt.h"
#include "agent/report/fmt_int.h"

/* Where the writing is: the row, and the separators written in it. */
struct csv_out {
	FILE	*f;
	char	sep;
	size_t	row, nsep;
};

/* Move to (row, col): line ends for the rows between, then separators. */
static void
csv_goto(struct csv_out *c, size_t row, size_t col)
{

	for (; c->row < row; c->row++) {
		fputs("\r\n", c->f);
		c->nsep = 0;
	}
	for (; c->nsep < col; c->nsep++)
		putc(c->sep, c->f);
}

static int
csv_text(void *arg, size_t row, size_t col, const char *s,
    enum fmt_style st)
{
	struct csv_out *c = arg;

	(void)st;
	csv_goto(c, row, col);
	csv_put(c->f, s, strlen(s), c->sep);
	return (ferror(c->f) ? -1 : 0);
}

static int
csv_number(void *arg, size_t row, size_t col, uint64_t n)
{
	struct csv_out *c = arg;

	csv_goto(c, row, col);
	fprintf(c->f, "%llu", (unsigned long long)n);
	return (ferror(c->f) ? -1 : 0);
}

int
report_csv(FILE *f, const struct report *r, char sep, const char *lang,
    struct ops_err *e)
{
	struct csv_out c;
	struct fmt_sink s;

	memset(e, 0, sizeof(*e));
	memset(&c, 0, sizeof(c));
	c.f = f;
	c.sep = sep;
	s.text = csv_text;
	s.number = csv_number;
	s.arg = &c;
	/* The mark Excel needs to read UTF-8 rather than the locale's. */
	fputs("\xef\xbb\xbf", f);
	if (fmt_walk(r, lang, &s) == 0) {
		fputs("\r\n", f);
		if (fflush(f) == 0 && !ferror(f))
			return (0);
	}
	return (ops_fail(e, OPS_IO, OPS_MSG_FMT_WRITE, 2, "CSV",
	    strerror(errno ? errno : EIO)));
}

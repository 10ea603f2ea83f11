/*
 * test_fmt.c: reports as CSV and XLSX (agent/report/fmt*.c), on struct
 * report values made by hand: the bytes of the CSV, and the cells of the
 * workbook as a zip reader sees them (tests/tools/xlsxcells.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/codec/csv.h"
#include "agent/report/fmt.h"
#include "agent/report/report.h"
#include "agent/report/run.h"

#define BOM	"\xef\xbb\xbf"
/* A topic with both the separator and a quote in it, in Tajik. */
#define ODD	"муҳоҷират; \"корд\""

static void
dim(struct report *r, size_t d, const char *name, const char *const *v,
    size_t n)
{
	size_t i;

	snprintf(r->dim[d].name, sizeof(r->dim[d].name), "%s", name);
	r->dim[d].n = n;
	assert_non_null(r->dim[d].value = calloc(n ? n : 1, sizeof(char *)));
	for (i = 0; i < n; i++)
		assert_non_null(r->dim[d].value[i] = strdup(v[i]));
	if (r->ndim < d + 1)
		r->ndim = d + 1;
}

static void
cells(struct report *r)
{

	assert_non_null(r->count = calloc(report_cells(r), sizeof(uint64_t)));
	assert_non_null(r->mark = calloc(report_cells(r), 1));
}

/* Set cell (i, j, k) (as many as ndim) to ${n} with ${mark}. */
static void
put(struct report *r, size_t i, size_t j, size_t k, uint64_t n, int mark)
{
	size_t idx[3] = { i, j, k };
	size_t off = report_at(r, idx);

	r->count[off] = n;
	r->mark[off] = (uint8_t)mark;
}

static void
common(struct report *r)
{

	memset(r, 0, sizeof(*r));
	snprintf(r->coll, sizeof(r->coll), "consultations");
	snprintf(r->filters[0], sizeof(r->filters[0]), "center=Хуҷанд");
	r->nfilters = 1;
	snprintf(r->from, sizeof(r->from), "2026-01-01");
	snprintf(r->to, sizeof(r->to), "2026-03-31");
	snprintf(r->on, sizeof(r->on), "opened_at");
	r->suppressed = true;
	r->left_out = 2;
	assert_non_null(r->asof = calloc(1, sizeof(*r->asof)));
	r->ncenters = 1;
	snprintf(r->asof[0].center, sizeof(r->asof[0].center), "Khujand");
	r->asof[0].ms = 1767225600000ULL + 3600000;	/* 2026-01-01 01:00 */
}

/*
 * client_sex x topic:      wage_arrears  ODD  Total
 *   F                            12       3    15
 *   M                            20       7    27
 *   Total                        32      10    42
 * with 3 a primary and 7 its complement.
 */
static void
two_d(struct report *r)
{
	static const char *const sex[] = { "F", "M" };
	static const char *const topic[] = { "wage_arrears", ODD };

	common(r);
	snprintf(r->title, sizeof(r->title), "Муҳоҷирон аз рӯи ҷинс");
	dim(r, 0, "client_sex", sex, 2);
	dim(r, 1, "topic", topic, 2);
	cells(r);
	put(r, 0, 0, 0, 12, CELL_SHOWN);
	put(r, 0, 1, 0, 3, CELL_PRIMARY);
	put(r, 0, 2, 0, 15, CELL_SHOWN);
	put(r, 1, 0, 0, 20, CELL_SHOWN);
	put(r, 1, 1, 0, 7, CELL_COMPLEMENT);
	put(r, 1, 2, 0, 27, CELL_SHOWN);
	put(r, 2, 0, 0, 32, CELL_SHOWN);
	put(r, 2, 1, 0, 10, CELL_SHOWN);
	put(r, 2, 2, 0, 42, CELL_SHOWN);
}

/* The CSV of ${r}, NUL-terminated; free it. */
static char *
csv_of(const struct report *r, char sep)
{
	struct ops_err e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(report_csv(f, r, sep, "en", &e), 0);
	fclose(f);
	return (buf);
}

/* Whether ${csv} has the line ${line} (CRLF-ended) exactly. */
static bool
has_line(const char *csv, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = csv; (p = strstr(p, line)) != NULL; p++)
		if ((p == csv || p[-1] == '\n' || (p == csv + 3 &&
		    memcmp(csv, BOM, 3) == 0)) && strncmp(p + n, "\r\n", 2) == 0)
			return (true);
	return (false);
}

static void
lines_are(const char *csv, const char *const *want)
{

	for (; *want != NULL; want++)
		if (!has_line(csv, *want))
			fail_msg("no line '%s' in:\n%s", *want, csv);
}

static void
test_csv_2d(void **state)
{
	static const char *const semi[] = {
		BOM "Муҳоҷирон аз рӯи ҷинс",
		"Counted: consultations",
		"Filters: center=Хуҷанд",
		"Period (opened_at): 2026-01-01 to 2026-03-31",
		";topic",
		"client_sex;wage_arrears;\"муҳоҷират; \"\"корд\"\"\";Total",
		"F;12;<5;15",
		"M;20;x;27",
		"Total;32;10;42",
		"2 consultations left out: the client did not consent to "
		"statistics.",
		"As of 2026-01-01 01:00 UTC: records of Khujand",
		NULL
	};
	static const char *const comma[] = {
		",topic",
		"client_sex,wage_arrears,\"муҳоҷират; \"\"корд\"\"\",Total",
		"F,12,<5,15",
		"Total,32,10,42",
		NULL
	};
	struct report r;
	char *csv;

	(void)state;
	two_d(&r);
	csv = csv_of(&r, ';');
	assert_memory_equal(csv, BOM, 3);
	lines_are(csv, semi);
	/* Empty lines around the table; the note quoted (it holds ';'). */
	assert_non_null(strstr(csv, "31\r\n\r\n;topic"));
	assert_non_null(strstr(csv, "42\r\n\r\n\"Small cells hidden: a count "
	    "from 1 to 4 is shown as <5; a cell marked x"));
	/* Never a hidden count, nor a number in quotes. */
	assert_null(strstr(csv, ";3;"));
	assert_null(strstr(csv, ";7;"));
	assert_null(strstr(csv, "\"12\""));
	free(csv);
	csv = csv_of(&r, ',');
	lines_are(csv, comma);
	assert_non_null(strstr(csv, "\r\n\"Small cells hidden: a count from "
	    "1 to 4 is shown as <5; a cell marked x is hidden too, so that"));
	free(csv);
	report_free(&r);
}

static void
test_csv_3d(void **state)
{
	static const char *const sex[] = { "F", "M" };
	static const char *const dest[] = { "RU", "KZ", "TR" };
	static const char *const q[] = { "2026-Q1", "2026-Q2" };
	static const char *const want[] = {
		"quarter: 2026-Q1",
		"quarter: 2026-Q2",
		"quarter: Total",
		"client_sex,RU,KZ,TR,Total",
		NULL
	};
	struct report r;
	size_t i, j, k, n;
	char *csv, *p;

	(void)state;
	common(&r);
	dim(&r, 0, "client_sex", sex, 2);
	dim(&r, 1, "destination", dest, 3);
	dim(&r, 2, "quarter", q, 2);
	cells(&r);
	for (i = 0; i <= 2; i++)
		for (j = 0; j <= 3; j++)
			for (k = 0; k <= 2; k++)
				put(&r, i, j, k, 100 * i + 10 * j + k,
				    CELL_SHOWN);
	put(&r, 1, 2, 1, 2, CELL_PRIMARY);
	csv = csv_of(&r, ',');
	lines_are(csv, want);
	/* One table a layer, each with its header and its Total row. */
	for (n = 0, p = csv; (p = strstr(p, "client_sex,RU")) != NULL; p++)
		n++;
	assert_int_equal(n, 3);
	/* Layer Q2 (k = 1): M's row shows the primary as "<5". */
	assert_true(has_line(csv, "M,101,111,<5,131"));
	/* The layer's total (k = 2), rows' totals last. */
	assert_true(has_line(csv, "Total,202,212,222,232"));
	/* A title made of the dimensions when the layout has none. */
	assert_true(has_line(csv, BOM "consultations by client_sex × "
	    "destination × quarter"));
	free(csv);
	report_free(&r);
}

static void
test_csv_1d_0d(void **state)
{
	/* Codes as the store gives them, labels as the reader reads them. */
	static const char *const band[] = { "0-17", "18-24", "65+" };
	static const char *const want[] = {
		"age_band,Count",
		"under 18,<5",
		"18–24,9",
		"65+,x",
		"Total,16",
		/* A ',' in the text: quoted. */
		"\"Counted: persons (each once, however many consultations)\"",
		"Filters: none (every record)",
		"Period: all dates",
		"\"Exact counts, small cells not hidden (--no-suppress): for "
		"internal use only, not for publication.\"",
		NULL
	};
	struct report r;
	char *csv;

	(void)state;
	common(&r);
	r.persons = true;
	r.nfilters = 0;
	r.from[0] = r.to[0] = '\0';
	r.suppressed = false;
	dim(&r, 0, "age_band", band, 3);
	cells(&r);
	put(&r, 0, 0, 0, 2, CELL_PRIMARY);
	put(&r, 1, 0, 0, 9, CELL_SHOWN);
	put(&r, 2, 0, 0, 5, CELL_COMPLEMENT);
	put(&r, 3, 0, 0, 16, CELL_SHOWN);
	csv = csv_of(&r, ',');
	lines_are(csv, want);
	free(csv);
	report_free(&r);
	/* No dimension: the grand total alone. */
	common(&r);
	cells(&r);
	r.count[0] = 42;
	csv = csv_of(&r, ';');
	assert_true(has_line(csv, "Count"));
	assert_true(has_line(csv, "42"));
	free(csv);
	report_free(&r);
}

static void
test_csv_sep(void **state)
{
	struct ops_err e;
	char sep = 0;

	(void)state;
	assert_int_equal(fmt_csv_sep(NULL, &sep, &e), 0);
	assert_int_equal(sep, ',');
	assert_int_equal(fmt_csv_sep(";", &sep, &e), 0);
	assert_int_equal(sep, ';');
	assert_int_equal(fmt_csv_sep(",", &sep, &e), 0);
	assert_int_equal(sep, ',');
	assert_int_equal(fmt_csv_sep("\t", &sep, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	assert_int_equal(e.key, OPS_MSG_FMT_CSV_SEP);
	assert_int_equal(fmt_csv_sep(";;", &sep, &e), -1);
}

/* csv_put(): quoted exactly when needed, and csv.c reads it back. */
static void
test_csv_put(void **state)
{
	/*
	 * What a spreadsheet would run as a formula goes out behind a ';
	 * what already starts with ' and then one, behind one more.
	 */
	static const char *const in[] = { "plain", "a,b", "a;b", "say \"hi\"",
	    "line\r\nnext", "lf\nonly", " lead", "trail ", "", "Ҳ;\"ӯ\"",
	    "=HYPERLINK(\"http://x\")", "+992 93 555 12 34", "-", "@SUM(A1)",
	    "'=x", "\tx", "it's", "'", "a=b" };
	static const char *const semi[] = { "plain", "\"a,b\"", "\"a;b\"",
	    "\"say \"\"hi\"\"\"", "\"line\r\nnext\"", "\"lf\nonly\"",
	    "\" lead\"", "\"trail \"", "", "\"Ҳ;\"\"ӯ\"\"\"",
	    "\"'=HYPERLINK(\"\"http://x\"\")\"", "'+992 93 555 12 34", "'-",
	    "'@SUM(A1)", "''=x", "'\tx", "it's", "'", "a=b" };
	const size_t n = sizeof(in) / sizeof(in[0]);
	char *buf = NULL, **fields, err[128];
	size_t len = 0, *lens, nf, i;
	struct csv *cv;
	FILE *f;

	(void)state;
	for (i = 0; i < n; i++) {
		assert_non_null(f = open_memstream(&buf, &len));
		csv_put(f, in[i], strlen(in[i]), ';');
		fclose(f);
		assert_string_equal(buf, semi[i]);
		free(buf);
		buf = NULL;
	}
	/* "a;b" quoted where ',' separates too: Excel may guess ';'. */
	assert_non_null(f = open_memstream(&buf, &len));
	csv_put(f, "a;b", 3, ',');
	fclose(f);
	assert_string_equal(buf, "\"a;b\"");
	free(buf);
	buf = NULL;
	/* One record of them all, read back by import's reader. */
	assert_non_null(f = open_memstream(&buf, &len));
	for (i = 0; i < n; i++) {
		if (i > 0)
			putc(',', f);
		csv_put(f, in[i], strlen(in[i]), ',');
	}
	fputs("\r\n", f);
	fclose(f);
	assert_non_null(f = fmemopen(buf, len, "r"));
	assert_non_null(cv = csv_new(f, 4096));
	assert_int_equal(csv_next(cv, &fields, &lens, &nf, err, sizeof(err)),
	    1);
	assert_int_equal(nf, n);
	for (i = 0; i < n; i++)
		assert_string_equal(fields[i], in[i]);
	assert_int_equal(csv_next(cv, &fields, &lens, &nf, err, sizeof(err)),
	    0);
	csv_free(cv);
	fclose(f);
	free(buf);
}

/* A scratch folder under TMPDIR. */
static void
scratch(char *dir, size_t len)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, len, "%s/fmt.XXXXXX", t != NULL && *t != '\0' ? t :
	    "/tmp");
	assert_non_null(mkdtemp(dir));
}

/* The cells of ${path} (xlsxcells.py's lines); free it. */
static char *
cells_of(const char *path)
{
	char cmd[4200], *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *p, *out;

	snprintf(cmd, sizeof(cmd), "python3 tests/tools/xlsxcells.py '%s'",
	    path);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(out = open_memstream(&buf, &len));
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, out);
	assert_int_equal(pclose(p), 0);
	fclose(out);
	return (buf);
}

static void
has_cell(const char *cells, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = cells; (p = strstr(p, line)) != NULL; p++)
		if ((p == cells || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no cell '%s' in:\n%s", line, cells);
}

static void
test_xlsx(void **state)
{
	static const char *const want[] = {
		"A1 s Муҳоҷирон аз рӯи ҷинс bold",
		"A2 s Counted: consultations",
		"A3 s Filters: center=Хуҷанд",
		"A4 s Period (opened_at): 2026-01-01 to 2026-03-31",
		"B6 s topic bold",
		"A7 s client_sex bold",
		"B7 s wage_arrears bold",
		"C7 s " ODD " bold",
		"D7 s Total bold",
		"A8 s F",
		"B8 n 12",
		"C8 s <5",
		"D8 n 15",
		"B9 n 20",
		"C9 s x",
		"A10 s Total bold",
		"C10 n 10",
		"D10 n 42",
		"A12 s Small cells hidden: a count from 1 to 4 is shown as <5; "
		"a cell marked x is hidden too, so that no hidden count can be "
		"worked out from the totals.",
		"A14 s As of 2026-01-01 01:00 UTC: records of Khujand",
		NULL
	};
	const char *const *w;
	struct ops_err e;
	struct report r;
	struct stat sb;
	char dir[512], path[600], part[700], *got;

	(void)state;
	two_d(&r);
	scratch(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/q1.xlsx", dir);
	assert_int_equal(report_xlsx(path, &r, "en", &e), 0);
	snprintf(part, sizeof(part), "%s.part", path);
	assert_int_not_equal(stat(part, &sb), 0);
	got = cells_of(path);
	for (w = want; *w != NULL; w++)
		has_cell(got, *w);
	/* The hidden counts are nowhere, not even as numbers. */
	assert_null(strstr(got, " n 3\n"));
	assert_null(strstr(got, " n 7\n"));
	/* The value column as wide as its longest label, 17 letters. */
	has_cell(got, "width 3 19");
	free(got);
	/* Written again over the first: the new one replaces it whole. */
	r.count[0] = 13;
	assert_int_equal(report_xlsx(path, &r, "en", &e), 0);
	got = cells_of(path);
	has_cell(got, "B8 n 13");
	free(got);
	/* A folder that is not there: named, nothing written. */
	snprintf(path, sizeof(path), "%s/nope/q1.xlsx", dir);
	assert_int_equal(report_xlsx(path, &r, "en", &e), -1);
	assert_int_equal(e.code, OPS_IO);
	assert_int_equal(e.key, OPS_MSG_FMT_NO_FOLDER);
	snprintf(part, sizeof(part), "%s/nope", dir);
	assert_string_equal(e.arg[1], part);
	report_free(&r);
}

static void
test_xlsx_3d(void **state)
{
	static const char *const sex[] = { "F", "M" };
	static const char *const dest[] = { "RU" };
	static const char *const q[] = { "2026-Q1" };
	struct ops_err e;
	struct report r;
	char dir[512], path[600], *got;

	(void)state;
	common(&r);
	dim(&r, 0, "client_sex", sex, 2);
	dim(&r, 1, "destination", dest, 1);
	dim(&r, 2, "quarter", q, 1);
	cells(&r);
	put(&r, 0, 0, 0, 6, CELL_SHOWN);
	scratch(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/q.xlsx", dir);
	assert_int_equal(report_xlsx(path, &r, "en", &e), 0);
	got = cells_of(path);
	/* Title, 3 lines, empty; the layer's heading, then its table. */
	has_cell(got, "A6 s quarter: 2026-Q1 bold");
	has_cell(got, "B7 s destination bold");
	has_cell(got, "A8 s client_sex bold");
	has_cell(got, "B9 n 6");
	/* 4 rows of table, an empty row, the total layer. */
	has_cell(got, "A13 s quarter: Total bold");
	free(got);
	report_free(&r);
}

/*
 * A table no marking protects is withheld (suppress.h: every entry
 * CELL_COMPLEMENT): each form says so with the catalog's line, and none
 * prints the grid of x or a count.
 */
#define WITHHELD	"withheld: this table is so small and sparse that no " \
	"suppression of its cells can keep a small count from being worked " \
	"out; group by fewer or coarser fields, or widen the period or the " \
	"filters"

static void
withheld(struct report *r)
{
	static const char *const sex[] = { "F", "M" };
	static const char *const topic[] = { "trafficking_risk", "family" };
	size_t i, j;

	common(r);
	dim(r, 0, "client_sex", sex, 2);
	dim(r, 1, "topic", topic, 2);
	cells(r);
	for (i = 0; i <= 2; i++)
		for (j = 0; j <= 2; j++)
			put(r, i, j, 0, i == 2 || j == 2 ? 3 : 1 + i + j,
			    CELL_COMPLEMENT);
	put(r, 2, 2, 0, 6, CELL_COMPLEMENT);
}

/* What ${fn} writes of ${r}, NUL-terminated; free it. */
static char *
print_of(int (*fn)(FILE *, const struct report *), const struct report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_non_null(f = open_memstream(&buf, &len));
	assert_int_equal(fn(f, r), 0);
	fclose(f);
	return (buf);
}

static void
test_withheld(void **state)
{
	struct ops_err e;
	struct report r;
	char dir[512], path[600], *got;

	(void)state;
	/* A table with one shown cell is not withheld. */
	two_d(&r);
	assert_false(report_withheld(&r));
	got = print_of(report_print_text, &r);
	assert_null(strstr(got, "withheld"));
	assert_non_null(strstr(got, "client_sex"));
	free(got);
	got = print_of(report_print_json, &r);
	assert_non_null(strstr(got, "\"withheld\":false"));
	free(got);
	report_free(&r);

	withheld(&r);
	assert_true(report_withheld(&r));
	/* Text: the line, the notes, no table (no header, no x). */
	got = print_of(report_print_text, &r);
	assert_non_null(strstr(got, WITHHELD "\n"));
	assert_non_null(strstr(got, "filters: center=Хуҷанд\n"));
	assert_null(strstr(got, "client_sex"));
	assert_null(strstr(got, "  x"));
	free(got);
	/* JSON: said twice over, as a flag and as the first note. */
	got = print_of(report_print_json, &r);
	assert_non_null(strstr(got, "\"withheld\":true"));
	assert_non_null(strstr(got, "\"notes\":[\"" WITHHELD "\""));
	assert_non_null(strstr(got, "\"total\":null"));
	free(got);
	/* CSV: the line where the table would be, then the notes. */
	got = csv_of(&r, ',');
	/* Quoted: the line holds the separator. */
	assert_true(has_line(got, "\"" WITHHELD "\""));
	assert_true(has_line(got, "Filters: center=Хуҷанд"));
	assert_null(strstr(got, ",x"));
	/* The title names the groupings; no header row does. */
	assert_null(strstr(got, "\nclient_sex,"));
	assert_null(strstr(got, ",topic"));
	free(got);
	/* XLSX: the same line as text, no cell of x. */
	scratch(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/w.xlsx", dir);
	assert_int_equal(report_xlsx(path, &r, "en", &e), 0);
	got = cells_of(path);
	has_cell(got, "A6 s " WITHHELD);
	assert_null(strstr(got, " s x\n"));
	assert_null(strstr(got, " n "));
	free(got);
	report_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_2d),
		cmocka_unit_test(test_csv_3d),
		cmocka_unit_test(test_csv_1d_0d),
		cmocka_unit_test(test_csv_sep),
		cmocka_unit_test(test_csv_put),
		cmocka_unit_test(test_xlsx),
		cmocka_unit_test(test_xlsx_3d),
		cmocka_unit_test(test_withheld),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

/*
 * fmt_xlsx.c: a report as an Excel workbook (agent/report/fmt.h), with
 * libxlsxwriter: the only file that includes it (deploy/layers).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "agent/report/fmt.h"
#include "agent/report/fmt_int.h"

#define WIDTH_MIN	8
#define WIDTH_MAX	60

struct xlsx_out {
	lxw_worksheet	*ws;
	lxw_format	*title, *bold;
	size_t		*width;		/* Per column, in characters. */
	size_t		ncols;
	lxw_error	err;
};

/* Characters, not bytes: the column is as wide as what a person sees. */
static size_t
chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return (n);
}

static void
widen(struct xlsx_out *x, size_t col, size_t w)
{

	if (col < x->ncols && x->width[col] < w)
		x->width[col] = w;
}

static int
xlsx_text(void *arg, size_t row, size_t col, const char *s,
    enum fmt_style st)
{
	struct xlsx_out *x = arg;
	lxw_format *f = NULL;

	if (row >= LXW_ROW_MAX || col >= LXW_COL_MAX) {
		x->err = LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE;
		return (-1);
	}
	if (st == FMT_S_TITLE)
		f = x->title;
	else if (st == FMT_S_HEAD)
		f = x->bold;
	/* The lines above and below run over the columns: no width. */
	if (st != FMT_S_TITLE && st != FMT_S_NOTE)
		widen(x, col, chars(s));
	x->err = worksheet_write_string(x->ws, (lxw_row_t)row, (lxw_col_t)col,
	    s, f);
	return (x->err != LXW_NO_ERROR ? -1 : 0);
}

static int
xlsx_number(void *arg, size_t row, size_t col, uint64_t n)
{
	struct xlsx_out *x = arg;
	char digits[24];

	if (row >= LXW_ROW_MAX || col >= LXW_COL_MAX) {
		x->err = LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE;
		return (-1);
	}
	widen(x, col, (size_t)snprintf(digits, sizeof(digits), "%llu",
	    (unsigned long long)n));
	x->err = worksheet_write_number(x->ws, (lxw_row_t)row, (lxw_col_t)col,
	    (double)n, NULL);
	return (x->err != LXW_NO_ERROR ? -1 : 0);
}

/* The folder ${path} goes in must exist: name it if it does not. */
static int
folder_check(const char *path, struct ops_err *e)
{
	char dir[4096];
	const char *slash;
	struct stat sb;

	if ((slash = strrchr(path, '/')) == NULL)
		return (0);
	if (slash == path)
		return (0);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return (0);
	return (ops_fail(e, OPS_IO, OPS_MSG_FMT_NO_FOLDER, 2, path, dir));
}

/* Lay ${r} out on ${wb}'s one sheet; 0, or -1 with ${x}->err. */
static int
fill(lxw_workbook *wb, const struct report *r, const char *lang,
    struct xlsx_out *x)
{
	struct fmt_sink s;
	size_t c;

	if ((x->ws = workbook_add_worksheet(wb, ops_template(lang,
	    OPS_MSG_FMT_SHEET))) == NULL ||
	    (x->title = workbook_add_format(wb)) == NULL ||
	    (x->bold = workbook_add_format(wb)) == NULL) {
		x->err = LXW_ERROR_MEMORY_MALLOC_FAILED;
		return (-1);
	}
	format_set_bold(x->title);
	format_set_font_size(x->title, 14);
	format_set_bold(x->bold);
	s.text = xlsx_text;
	s.number = xlsx_number;
	s.arg = x;
	if (fmt_walk(r, lang, &s) != 0)
		return (-1);
	for (c = 0; c < x->ncols && c < LXW_COL_MAX; c++) {
		size_t w = x->width[c] + 2;

		w = w < WIDTH_MIN ? WIDTH_MIN : w > WIDTH_MAX ? WIDTH_MAX : w;
		if ((x->err = worksheet_set_column(x->ws, (lxw_col_t)c,
		    (lxw_col_t)c, (double)w, NULL)) != LXW_NO_ERROR)
			return (-1);
	}
	return (0);
}

int
report_xlsx(const char *path, const struct report *r, const char *lang,
    struct ops_err *e)
{
	struct xlsx_out x;
	lxw_workbook *wb;
	lxw_error cerr;
	char *part;
	size_t len;
	int fd, ret;

	memset(e, 0, sizeof(*e));
	if (folder_check(path, e))
		return (-1);
	len = strlen(path) + sizeof(".part");
	if ((part = malloc(len)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	snprintf(part, len, "%s.part", path);
	memset(&x, 0, sizeof(x));
	x.ncols = r->ndim >= 2 ? r->dim[1].n + 2 : 2;
	if ((x.width = calloc(x.ncols, sizeof(*x.width))) == NULL ||
	    (wb = workbook_new(part)) == NULL) {
		free(x.width);
		free(part);
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	}
	ret = fill(wb, r, lang, &x);
	/* Closing writes the file (and frees ${wb}) whatever came before. */
	cerr = workbook_close(wb);
	if (ret == 0 && cerr != LXW_NO_ERROR) {
		x.err = cerr;
		ret = -1;
	}
	/* On disk before it takes the name: a crash leaves the old file. */
	if (ret == 0 && (fd = open(part, O_RDONLY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	if (ret == 0 && rename(part, path) != 0) {
		ops_fail(e, OPS_IO, OPS_MSG_FMT_WRITE, 2, path,
		    strerror(errno));
		ret = 1;
	}
	if (ret != 0)
		(void)unlink(part);
	if (ret < 0)
		ops_fail(e, x.err == LXW_ERROR_MEMORY_MALLOC_FAILED ? OPS_NOMEM :
		    OPS_IO, OPS_MSG_FMT_WRITE, 2, path, x.err ==
		    LXW_ERROR_CREATING_XLSX_FILE ? strerror(errno ? errno :
		    EACCES) : lxw_strerror(x.err));
	free(x.width);
	free(part);
	return (ret != 0 ? -1 : 0);
}

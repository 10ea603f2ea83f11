/*
 * fmt.c: what the spreadsheet formats share: the lines around a table,
 * the labels, the hidden cells' texts, and the layout (fmt.h) walked
 * cell by cell for fmt_csv.c and fmt_xlsx.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/report/fmt.h"
#include "agent/report/run.h"
#include "agent/report/fmt_int.h"

#define FMT_STR1(x)	#x
#define FMT_STR(x)	FMT_STR1(x)
#define LINE_MAX_LEN	(REPORT_MAX_FILTERS * 130 + 256)

const char *
fmt_vsay(const char *lang, enum ops_msg key, char *buf, size_t len,
    int nargs, va_list ap)
{
	struct ops_err e;

	memset(&e, 0, sizeof(e));
	ops_vfail(&e, OPS_OK, key, nargs, ap);
	return (ops_text(lang, &e, buf, len));
}

const char *
fmt_say(const char *lang, enum ops_msg key, char *buf, size_t len,
    int nargs, ...)
{
	const char *s;
	va_list ap;

	va_start(ap, nargs);
	s = fmt_vsay(lang, key, buf, len, nargs, ap);
	va_end(ap);
	return (s);
}

const char *
report_hidden(const struct report *r, size_t off)
{

	if (r->mark == NULL)
		return (NULL);
	switch (r->mark[off]) {
	case CELL_PRIMARY:
		return ("<" FMT_STR(REPORT_THRESHOLD));
	case CELL_COMPLEMENT:
		return ("x");
	default:
		return (NULL);
	}
}

const char *
report_label(const struct report *r, size_t d, size_t i, const char *lang)
{

	if (i < r->dim[d].n)
		return (report_value_label(r->dim[d].name, r->dim[d].value[i]));
	return (ops_template(lang, OPS_MSG_FMT_TOTAL));
}

/* "consultations by client_sex × destination", or the layout's name. */
static void
title(const struct report *r, const char *lang, char *buf, size_t len)
{
	char by[REPORT_MAX_DIMS * 52];
	size_t d, n = 0;

	if (r->title[0] != '\0') {
		snprintf(buf, len, "%s", r->title);
		return;
	}
	by[0] = '\0';
	for (d = 0; d < r->ndim; d++)
		n += (size_t)snprintf(by + n, sizeof(by) - n, "%s%s",
		    d ? " × " : "", r->dim[d].name);
	if (r->ndim == 0)
		snprintf(buf, len, "%s", r->coll);
	else
		fmt_say(lang, OPS_MSG_FMT_TITLE_BY, buf, len, 2, r->coll, by);
}

int
report_head(const struct report *r, const char *lang, report_line_fn fn,
    void *arg)
{
	char line[LINE_MAX_LEN], list[LINE_MAX_LEN];
	const char *open = ops_template(lang, OPS_MSG_FMT_PERIOD_OPEN);
	size_t i, n = 0;
	int ret;

	title(r, lang, line, sizeof(line));
	if ((ret = fn(arg, line)) != 0 || (ret = fn(arg, ops_template(lang,
	    r->persons ? OPS_MSG_FMT_COUNT_PERSONS :
	    OPS_MSG_FMT_COUNT_CONSULTATIONS))) != 0)
		return (ret);
	list[0] = '\0';
	for (i = 0; i < r->nfilters && i < REPORT_MAX_FILTERS; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    i ? ", " : "", r->filters[i]);
	if (r->nfilters > 0)
		fmt_say(lang, OPS_MSG_FMT_FILTERS, line, sizeof(line), 1, list);
	else
		snprintf(line, sizeof(line), "%s", ops_template(lang,
		    OPS_MSG_FMT_FILTERS_NONE));
	if ((ret = fn(arg, line)) != 0)
		return (ret);
	if (r->from[0] != '\0' || r->to[0] != '\0')
		fmt_say(lang, OPS_MSG_FMT_PERIOD, line, sizeof(line), 3,
		    r->on[0] != '\0' ? r->on : "opened_at",
		    r->from[0] != '\0' ? r->from : open,
		    r->to[0] != '\0' ? r->to : open);
	else
		snprintf(line, sizeof(line), "%s", ops_template(lang,
		    OPS_MSG_FMT_PERIOD_ALL));
	return (fn(arg, line));
}

int
report_foot(const struct report *r, const char *lang, report_line_fn fn,
    void *arg)
{
	char line[LINE_MAX_LEN], a[24], b[24], when[32];
	struct tm tm;
	time_t t;
	size_t i;
	int ret;

	snprintf(a, sizeof(a), "%d", REPORT_THRESHOLD - 1);
	snprintf(b, sizeof(b), "%d", REPORT_THRESHOLD);
	if (r->suppressed)
		fmt_say(lang, OPS_MSG_FMT_SUPPRESSED, line, sizeof(line), 2, a,
		    b);
	else
		snprintf(line, sizeof(line), "%s", ops_template(lang,
		    OPS_MSG_FMT_NOT_SUPPRESSED));
	if ((ret = fn(arg, line)) != 0)
		return (ret);
	if (r->left_out > 0) {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)r->left_out);
		fmt_say(lang, OPS_MSG_FMT_LEFT_OUT, line, sizeof(line), 1, a);
		if ((ret = fn(arg, line)) != 0)
			return (ret);
	}
	if (r->ncenters == 0 || r->asof == NULL)
		return (fn(arg, ops_template(lang, OPS_MSG_FMT_ASOF_NONE)));
	for (i = 0; i < r->ncenters; i++) {
		t = (time_t)(r->asof[i].ms / 1000);
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		fmt_say(lang, OPS_MSG_FMT_ASOF, line, sizeof(line), 2,
		    r->asof[i].center, when);
		if ((ret = fn(arg, line)) != 0)
			return (ret);
	}
	return (0);
}

/* Walking: the sink and the row the next cell goes on. */
struct walk {
	const struct report	*r;
	const char		*lang;
	const struct fmt_sink	*s;
	size_t			row;
};

static int
note_cb(void *arg, const char *line)
{
	struct walk *w = arg;
	size_t row = w->row++;

	return (w->s->text(w->s->arg, row, 0, line, row == 0 ? FMT_S_TITLE :
	    FMT_S_NOTE));
}

/* The cell at ${idx} in column ${col} of the current row. */
static int
cell(struct walk *w, const size_t *idx, size_t col)
{
	size_t off = report_at(w->r, idx);
	const char *h;

	if ((h = report_hidden(w->r, off)) != NULL)
		return (w->s->text(w->s->arg, w->row, col, h, FMT_S_HIDDEN));
	return (w->s->number(w->s->arg, w->row, col, w->r->count[off]));
}

/* One 2-D table (of layer ${idx}[2] in a 3-D report). */
static int
table2(struct walk *w, size_t *idx)
{
	const struct report *r = w->r;
	const struct fmt_sink *s = w->s;
	size_t i, j;
	int ret;

	/* Over the columns, their dimension's name; then the values. */
	if ((ret = s->text(s->arg, w->row++, 1, r->dim[1].name,
	    FMT_S_HEAD)) != 0 || (ret = s->text(s->arg, w->row, 0,
	    r->dim[0].name, FMT_S_HEAD)) != 0)
		return (ret);
	for (j = 0; j <= r->dim[1].n; j++)
		if ((ret = s->text(s->arg, w->row, j + 1, report_label(r, 1, j,
		    w->lang), FMT_S_HEAD)) != 0)
			return (ret);
	w->row++;
	for (i = 0; i <= r->dim[0].n; i++, w->row++) {
		idx[0] = i;
		if ((ret = s->text(s->arg, w->row, 0, report_label(r, 0, i,
		    w->lang), i < r->dim[0].n ? FMT_S_LABEL : FMT_S_HEAD)) != 0)
			return (ret);
		for (j = 0; j <= r->dim[1].n; j++) {
			idx[1] = j;
			if ((ret = cell(w, idx, j + 1)) != 0)
				return (ret);
		}
	}
	return (0);
}

static int
table(struct walk *w)
{
	const struct report *r = w->r;
	const struct fmt_sink *s = w->s;
	size_t idx[REPORT_MAX_DIMS] = { 0 }, i;
	char head[200];
	int ret;

	switch (r->ndim) {
	case 0:
		if ((ret = s->text(s->arg, w->row++, 0, ops_template(w->lang,
		    OPS_MSG_FMT_COUNT), FMT_S_HEAD)) != 0)
			return (ret);
		ret = cell(w, idx, 0);
		w->row++;
		return (ret);
	case 1:
		if ((ret = s->text(s->arg, w->row, 0, r->dim[0].name,
		    FMT_S_HEAD)) != 0 || (ret = s->text(s->arg, w->row++, 1,
		    ops_template(w->lang, OPS_MSG_FMT_COUNT), FMT_S_HEAD)) != 0)
			return (ret);
		for (i = 0; i <= r->dim[0].n; i++, w->row++) {
			idx[0] = i;
			if ((ret = s->text(s->arg, w->row, 0, report_label(r,
			    0, i, w->lang), i < r->dim[0].n ? FMT_S_LABEL :
			    FMT_S_HEAD)) != 0 || (ret = cell(w, idx, 1)) != 0)
				return (ret);
		}
		return (0);
	case 2:
		return (table2(w, idx));
	default:
		/* One table per layer, the layer's total last (fmt.h). */
		for (i = 0; i <= r->dim[2].n; i++) {
			idx[2] = i;
			fmt_say(w->lang, OPS_MSG_FMT_LAYER, head, sizeof(head),
			    2, r->dim[2].name, report_label(r, 2, i, w->lang));
			if ((ret = s->text(s->arg, w->row++, 0, head,
			    FMT_S_HEAD)) != 0 || (ret = table2(w, idx)) != 0)
				return (ret);
			if (i < r->dim[2].n)
				w->row++;
		}
		return (0);
	}
}

int
fmt_walk(const struct report *r, const char *lang, const struct fmt_sink *s)
{
	struct walk w;
	int ret;

	w.r = r;
	w.lang = lang;
	w.s = s;
	w.row = 0;
	if ((ret = report_head(r, lang, note_cb, &w)) != 0)
		return (ret);
	w.row++;
	/* Withheld (report.h): one line that says why, no grid of x. */
	if (report_withheld(r)) {
		if ((ret = s->text(s->arg, w.row++, 0, ops_template(lang,
		    OPS_MSG_REPORT_WITHHELD), FMT_S_NOTE)) != 0)
			return (ret);
	} else if ((ret = table(&w)) != 0)
		return (ret);
	w.row++;
	return (report_foot(r, lang, note_cb, &w));
}

int
fmt_csv_sep(const char *arg, char *sep, struct ops_err *e)
{
	char cut[16];

	if (arg == NULL || strcmp(arg, ",") == 0) {
		*sep = ',';
		return (0);
	}
	if (strcmp(arg, ";") == 0) {
		*sep = ';';
		return (0);
	}
	snprintf(cut, sizeof(cut), "%.8s", arg);
	return (ops_fail(e, OPS_USAGE, OPS_MSG_FMT_CSV_SEP, 1, cut));
}

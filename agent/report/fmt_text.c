/*
 * fmt_text.c: a report as a terminal table and as one JSON object
 * (agent/report/run.h), and the notes every format prints under it.
 */
#include "agent/report/run.h"
#include "agent/report/fmt_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/codec/json.h"

/* A catalog line with its arguments, in English (the CLI's language). */
static void
note(void (*fn)(void *, const char *), void *arg, enum ops_msg key,
    int nargs, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, nargs);
	fmt_vsay("en", key, buf, sizeof(buf), nargs, ap);
	va_end(ap);
	fn(arg, buf);
}

static void
utc(uint64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(out, 32, "?");
	else
		strftime(out, 32, "%Y-%m-%d %H:%M", &tm);
}

void
report_notes(const struct report *r, void (*fn)(void *, const char *),
    void *arg)
{
	char buf[OPS_ARG_MAX], num[24], thr[24], when[32];
	size_t i, off;

	if (report_withheld(r))
		note(fn, arg, OPS_MSG_REPORT_WITHHELD, 0);
	buf[0] = '\0';
	for (i = off = 0; i < r->nfilters && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
		    i ? ", " : "", r->filters[i]);
	if (r->nfilters > 0)
		note(fn, arg, OPS_MSG_REPORT_NOTE_FILTERS, 1, buf);
	else
		note(fn, arg, OPS_MSG_REPORT_NOTE_NO_FILTERS, 0);
	if (r->from[0] == '\0' && r->to[0] == '\0')
		note(fn, arg, OPS_MSG_REPORT_NOTE_ANY_DATE, 1, r->on);
	else
		note(fn, arg, OPS_MSG_REPORT_NOTE_PERIOD, 3, r->on,
		    r->from[0] ? r->from : "…", r->to[0] ? r->to : "…");
	if (r->persons)
		note(fn, arg, OPS_MSG_REPORT_NOTE_PERSONS, 0);
	else
		note(fn, arg, OPS_MSG_REPORT_NOTE_CONSULTATIONS, 0);
	snprintf(num, sizeof(num), "%d", REPORT_THRESHOLD - 1);
	snprintf(thr, sizeof(thr), "%d", REPORT_THRESHOLD);
	if (r->suppressed)
		note(fn, arg, OPS_MSG_REPORT_NOTE_SUPPRESSED, 2, num, thr);
	else
		note(fn, arg, OPS_MSG_REPORT_NOTE_UNSUPPRESSED, 0);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->left_out);
	note(fn, arg, OPS_MSG_REPORT_NOTE_LEFT_OUT, 1, num);
	if (r->ncenters == 0) {
		note(fn, arg, OPS_MSG_REPORT_NOTE_ASOF_NONE, 0);
		return;
	}
	/* Many centers: as many lines as the argument's room needs. */
	for (i = off = 0; i < r->ncenters; i++) {
		utc(r->asof[i].ms, when);
		if (off > 0 && off + strlen(r->asof[i].center) + 24 >=
		    sizeof(buf)) {
			note(fn, arg, OPS_MSG_REPORT_NOTE_ASOF, 1, buf);
			off = 0;
		}
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s%s %s", off ? ", " : "", r->asof[i].center, when);
	}
	note(fn, arg, OPS_MSG_REPORT_NOTE_ASOF, 1, buf);
}

/* ---- Text. */

/* Code points of UTF-8 ${s}: what a terminal gives it, near enough. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return (n);
}

static void
pad(FILE *f, size_t n)
{

	while (n-- > 0)
		putc(' ', f);
}

static void
cell_text(const struct report *r, size_t at, char out[24])
{

	if (r->mark[at] == CELL_PRIMARY)
		snprintf(out, 24, "<%d", REPORT_THRESHOLD);
	else if (r->mark[at] == CELL_COMPLEMENT)
		snprintf(out, 24, "x");
	else
		snprintf(out, 24, "%llu", (unsigned long long)r->count[at]);
}

static const char *
dim_label(const struct report *r, size_t d, size_t i)
{

	if (i == r->dim[d].n)
		return (ops_template("en", OPS_MSG_REPORT_TOTAL));
	return (report_value_label(r->dim[d].name, r->dim[d].value[i]));
}

/*
 * One 2-D slice: rows along dimension 0 (or the grand total alone),
 * columns along dimension 1 (or one column of counts), the layer index
 * ${layer} along dimension 2 if there is one.
 */
static void
slice(FILE *f, const struct report *r, size_t layer)
{
	size_t idx[REPORT_MAX_DIMS], nr, nc, i, j, w0, *wc;
	const char *h;
	char cell[24];

	nr = r->ndim > 0 ? r->dim[0].n + 1 : 1;
	nc = r->ndim > 1 ? r->dim[1].n + 1 : 1;
	if ((wc = calloc(nc, sizeof(*wc))) == NULL)
		return;
	idx[2] = layer;
	/* Widths: the longest label or cell of each column. */
	w0 = r->ndim > 0 ? width(r->dim[0].name) : 0;
	for (i = 0; i < nr; i++) {
		if (r->ndim > 0 && width(dim_label(r, 0, i)) > w0)
			w0 = width(dim_label(r, 0, i));
		for (j = 0; j < nc; j++) {
			h = r->ndim > 1 ? dim_label(r, 1, j) :
			    ops_template("en", OPS_MSG_REPORT_COUNT_HEAD);
			if (width(h) > wc[j])
				wc[j] = width(h);
			idx[0] = r->ndim > 0 ? i : 0;
			idx[1] = j;
			cell_text(r, report_at(r, idx), cell);
			if (strlen(cell) > wc[j])
				wc[j] = strlen(cell);
		}
	}
	if (r->ndim > 1) {
		pad(f, w0);
		fprintf(f, "  %s\n", r->dim[1].name);
	}
	if (r->ndim > 0) {
		fputs(r->dim[0].name, f);
		pad(f, w0 - width(r->dim[0].name));
	}
	for (j = 0; j < nc; j++) {
		h = r->ndim > 1 ? dim_label(r, 1, j) :
		    ops_template("en", OPS_MSG_REPORT_COUNT_HEAD);
		pad(f, (r->ndim > 0 || j > 0 ? 2 : 0) + wc[j] - width(h));
		fputs(h, f);
	}
	putc('\n', f);
	for (i = 0; i < nr; i++) {
		if (r->ndim > 0) {
			fputs(dim_label(r, 0, i), f);
			pad(f, w0 - width(dim_label(r, 0, i)));
		}
		for (j = 0; j < nc; j++) {
			idx[0] = r->ndim > 0 ? i : 0;
			idx[1] = j;
			cell_text(r, report_at(r, idx), cell);
			pad(f, (r->ndim > 0 || j > 0 ? 2 : 0) + wc[j] -
			    strlen(cell));
			fputs(cell, f);
		}
		putc('\n', f);
	}
	free(wc);
}

static void
line_cb(void *arg, const char *s)
{

	fprintf(arg, "%s\n", s);
}

int
report_print_text(FILE *f, const struct report *r)
{

	const struct report_layout *l = report_layout(r->title);
	size_t idx[REPORT_MAX_DIMS], k, shown = 0;

	if (l != NULL)
		fprintf(f, "%s: %s\n\n", l->name, ops_template("en", l->desc));
	/* No grid of x: the first note says why there is no table. */
	if (report_withheld(r))
		;
	else if (r->ndim < 3)
		slice(f, r, 0);
	else
		/*
		 * One table per layer, then the layers' total; a layer
		 * nobody is in (an enum's value unused) is left out.
		 */
		for (k = 0; k <= r->dim[2].n; k++) {
			idx[0] = r->dim[0].n;
			idx[1] = r->dim[1].n;
			idx[2] = k;
			if (k < r->dim[2].n && r->count[report_at(r, idx)] ==
			    0 && r->mark[report_at(r, idx)] == CELL_SHOWN)
				continue;
			/* One layer shown: its total would repeat it. */
			if (k == r->dim[2].n && shown == 1)
				break;
			fprintf(f, "%s%s: %s\n", shown++ ? "\n" : "",
			    r->dim[2].name, dim_label(r, 2, k));
			slice(f, r, k);
		}
	putc('\n', f);
	report_notes(r, line_cb, f);
	return (ferror(f) ? -1 : 0);
}

/* ---- JSON. */

static void
jstr(FILE *f, const char *s)
{

	json_put_str(f, s, strlen(s));
}

/* The extended table along dimensions d.., nested arrays. */
static void
jcells(FILE *f, const struct report *r, size_t *idx, size_t d, bool marks)
{
	size_t i, at;

	if (d == r->ndim) {
		at = report_at(r, idx);
		if (marks)
			fputs(r->mark[at] == CELL_PRIMARY ? "\"primary\"" :
			    r->mark[at] == CELL_COMPLEMENT ? "\"complement\"" :
			    "null", f);
		else if (r->mark[at] != CELL_SHOWN)
			fputs("null", f);
		else
			fprintf(f, "%llu", (unsigned long long)r->count[at]);
		return;
	}
	putc('[', f);
	for (i = 0; i <= r->dim[d].n; i++) {
		if (i)
			putc(',', f);
		idx[d] = i;
		jcells(f, r, idx, d + 1, marks);
	}
	putc(']', f);
}

struct jnotes {
	FILE	*f;
	bool	first;
};

static void
jnote_cb(void *arg, const char *s)
{
	struct jnotes *j = arg;

	if (!j->first)
		putc(',', j->f);
	j->first = false;
	jstr(j->f, s);
}

int
report_print_json(FILE *f, const struct report *r)
{
	size_t idx[REPORT_MAX_DIMS] = { 0, 0, 0 }, d, i;
	struct jnotes jn = { f, true };
	char when[32];

	fputs("{\"title\":", f);
	jstr(f, r->title);
	fprintf(f, ",\"collection\":");
	jstr(f, r->coll);
	fprintf(f, ",\"counted\":\"%s\",\"suppressed\":%s,\"withheld\":%s,"
	    "\"threshold\":%d", r->persons ? "persons" : "consultations",
	    r->suppressed ? "true" : "false",
	    report_withheld(r) ? "true" : "false", REPORT_THRESHOLD);
	fputs(",\"filters\":[", f);
	for (i = 0; i < r->nfilters; i++) {
		if (i)
			putc(',', f);
		jstr(f, r->filters[i]);
	}
	fputs("],\"on\":", f);
	jstr(f, r->on);
	fputs(",\"from\":", f);
	if (r->from[0])
		jstr(f, r->from);
	else
		fputs("null", f);
	fputs(",\"to\":", f);
	if (r->to[0])
		jstr(f, r->to);
	else
		fputs("null", f);
	/* Each dimension's index n (one past its values) is its total. */
	fputs(",\"dims\":[", f);
	for (d = 0; d < r->ndim; d++) {
		fprintf(f, "%s{\"name\":", d ? "," : "");
		jstr(f, r->dim[d].name);
		fputs(",\"values\":[", f);
		for (i = 0; i < r->dim[d].n; i++) {
			if (i)
				putc(',', f);
			jstr(f, r->dim[d].value[i]);
		}
		fputs("],\"labels\":[", f);
		for (i = 0; i < r->dim[d].n; i++) {
			if (i)
				putc(',', f);
			jstr(f, dim_label(r, d, i));
		}
		fputs("]}", f);
	}
	fputs("],\"counts\":", f);
	jcells(f, r, idx, 0, false);
	fputs(",\"marks\":", f);
	jcells(f, r, idx, 0, true);
	for (d = 0; d < r->ndim; d++)
		idx[d] = r->dim[d].n;
	fputs(",\"total\":", f);
	if (r->mark[report_at(r, idx)] != CELL_SHOWN)
		fputs("null", f);
	else
		fprintf(f, "%llu",
		    (unsigned long long)r->count[report_at(r, idx)]);
	fprintf(f, ",\"left_out\":%llu,\"as_of\":[",
	    (unsigned long long)r->left_out);
	for (i = 0; i < r->ncenters; i++) {
		utc(r->asof[i].ms, when);
		fprintf(f, "%s{\"center\":", i ? "," : "");
		jstr(f, r->asof[i].center);
		fputs(",\"at\":", f);
		jstr(f, when);
		fputs("}", f);
	}
	fputs("],\"notes\":[", f);
	report_notes(r, jnote_cb, &jn);
	fputs("]}\n", f);
	return (ferror(f) ? -1 : 0);
}

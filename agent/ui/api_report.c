/*
 * api_report.c: the Reports page's routes (API.md): the layouts and
 * groupings it offers, a report as JSON (the page draws the tables, the
 * chart and the notes in the user's language), and the same report as
 * a CSV or XLSX download.  Each runs on a worker (a route of
 * api_more.c's table).  There is no --no-suppress here: an admin who
 * needs the small cells uses the CLI, which records it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/report/fmt.h"
#include "agent/report/run.h"
#include "agent/ui/api_more.h"

/* The query arguments that are not field=value filters. */
static const char *const not_filters[] = {
	"name", "by", "from", "to", "on", "count", "sep", NULL
};

/* What the page may group by besides the clear fields. */
static const char *const derived[] = {
	"month", "quarter", "year", "age_band", "region", "referred_kind",
	NULL
};

struct rq {
	struct report_args a;
	const char	*by[REPORT_MAX_DIMS + 1];
	struct ops_field f[UI_QUERY_N];
	char		list[UI_QUERY_MAX];
	const char	*sep;
};

static bool
is_filter(const char *k)
{
	size_t i;

	for (i = 0; not_filters[i] != NULL; i++)
		if (strcmp(not_filters[i], k) == 0)
			return (false);
	return (true);
}

/* The report the query asks for; -1 with ${out} the error. */
static int
parse(const struct ui_call *c, struct rq *q, struct ui_out *out)
{
	struct ops_err e;
	const char *by;
	char *tok, *save;
	size_t i;

	memset(q, 0, sizeof(*q));
	q->a.name = ui_qget(c, "name");
	q->a.from = ui_qget(c, "from");
	q->a.to = ui_qget(c, "to");
	q->a.on = ui_qget(c, "on");
	q->a.count = ui_qget(c, "count");
	q->sep = ui_qget(c, "sep");
	if ((by = ui_qget(c, "by")) != NULL) {
		snprintf(q->list, sizeof(q->list), "%s", by);
		for (tok = strtok_r(q->list, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (q->a.nby == REPORT_MAX_DIMS) {
				ui_out_fail(out, OPS_USAGE,
				    OPS_MSG_REPORT_TOO_MANY_BY, 0);
				return (-1);
			}
			q->by[q->a.nby++] = tok;
		}
		q->a.by = q->by;
	}
	/* Several values of one field: each is its own filter. */
	for (i = 0; i < c->nq; i++)
		if (is_filter(c->qk[i])) {
			q->f[q->a.nfilters].name = c->qk[i];
			q->f[q->a.nfilters].name_len = strlen(c->qk[i]);
			q->f[q->a.nfilters].text = c->qv[i];
			q->f[q->a.nfilters].len = strlen(c->qv[i]);
			q->a.nfilters++;
		}
	q->a.filters = q->f;
	if (ops_report_check(&q->a, &e) != 0) {
		ui_out_err(out, &e);
		return (-1);
	}
	return (0);
}

/* Run it; -1 with ${out} the error (${r} freed either way on failure). */
static int
run(struct ops *o, struct ui_call *c, struct rq *q, struct report *r,
    struct ui_out *out)
{
	struct ops_err e;

	if (parse(c, q, out) != 0)
		return (-1);
	if (ops_report(o, &q->a, r, &e) != 0) {
		report_free(r);
		ui_out_err(out, &e);
		return (-1);
	}
	return (0);
}

/* GET /api/reports: the named layouts and the groupings. */
static void
api_reports(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	const struct coll_def *cd = schema_coll("consultations");
	const struct field_def *fd;
	const struct report_layout *l;
	size_t i, k, n;
	FILE *f;

	(void)o;
	(void)c;
	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fputs("{\"layouts\":[", f);
	l = report_layouts(&n);
	for (i = 0; i < n; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		ui_put_str(f, l[i].name);
		fputs(",\"desc\":", f);
		ui_put_str(f, ops_key_name(l[i].desc));
		fputs(",\"by\":[", f);
		for (k = 0; k < REPORT_MAX_DIMS && l[i].by[k] != NULL; k++) {
			if (k)
				putc(',', f);
			ui_put_str(f, l[i].by[k]);
		}
		fputs("]}", f);
	}
	/* Fields with few values: codes, countries, yes/no, the center. */
	fputs("],\"fields\":[", f);
	for (k = 0, fd = cd->fields; fd->name != NULL; fd++)
		if (!conf_secret(cd, fd) && fd->name[0] != '_' &&
		    (fd->kind == FK_ENUM || fd->kind == FK_COUNTRY ||
		    fd->kind == FK_BOOL || strcmp(fd->name, "center") == 0)) {
			if (k++)
				putc(',', f);
			ui_put_str(f, fd->name);
		}
	for (i = 0; derived[i] != NULL; i++) {
		putc(',', f);
		ui_put_str(f, derived[i]);
	}
	fputs("]}\n", f);
	ui_out_close(out, f, 200);
}

/*
 * GET /api/report: report_print_json()'s object (dims with labels,
 * counts and marks of the extended table, totals, the facts of the
 * notes) in "report", with "withheld" and the as-of times in ms, which
 * the page writes in the user's language.
 */
static void
api_report(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct report r;
	struct rq q;
	size_t i;
	FILE *f;

	memset(&r, 0, sizeof(r));
	if (run(o, c, &q, &r, out) != 0)
		return;
	if ((f = ui_out_open(out)) == NULL) {
		report_free(&r);
		out->status = 503;
		return;
	}
	fprintf(f, "{\"withheld\":%s,\"as_of_ms\":[",
	    report_withheld(&r) ? "true" : "false");
	for (i = 0; i < r.ncenters; i++) {
		fputs(i ? ",{\"center\":" : "{\"center\":", f);
		ui_put_str(f, r.asof[i].center);
		fprintf(f, ",\"ms\":%" PRIu64 "}", r.asof[i].ms);
	}
	fputs("],\"report\":", f);
	(void)report_print_json(f, &r);
	fputs("}\n", f);
	ui_out_close(out, f, 200);
	report_free(&r);
}

/* The download's name: hamroh-report-NAME-DATE.EXT. */
static void
disposition(struct ui_out *out, struct ops *o, const struct rq *q,
    const char *ext)
{
	time_t s = (time_t)(ops_now(o) / 1000);
	struct tm tm;
	char day[16] = "";

	if (gmtime_r(&s, &tm) != NULL)
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(out->disp, sizeof(out->disp),
	    "attachment; filename=\"hamroh-report-%.32s-%s.%s\"",
	    q->a.name != NULL ? q->a.name : "table", day, ext);
}

/* GET /api/report.csv: sep=; for a Russian-locale Excel. */
static void
api_report_csv(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct report r;
	struct ops_err e;
	struct rq q;
	char sep;
	FILE *f;

	memset(&r, 0, sizeof(r));
	if (fmt_csv_sep(ui_qget(c, "sep"), &sep, &e) != 0) {
		ui_out_err(out, &e);
		return;
	}
	if (run(o, c, &q, &r, out) != 0)
		return;
	if ((f = ui_out_open(out)) == NULL) {
		report_free(&r);
		out->status = 503;
		return;
	}
	if (report_csv(f, &r, sep, "en", &e) != 0) {
		fclose(f);
		report_free(&r);
		ui_out_err(out, &e);
		return;
	}
	ui_out_close(out, f, 200);
	report_free(&r);
	out->type = "text/csv; charset=utf-8";
	disposition(out, o, &q, "csv");
}

/* A whole file into ${out}; -1 if it could not be read. */
static int
slurp(const char *path, struct ui_out *out)
{
	char buf[8192];
	size_t n;
	FILE *in, *f;
	int rc = 0;

	if ((in = fopen(path, "rb")) == NULL)
		return (-1);
	if ((f = ui_out_open(out)) == NULL) {
		fclose(in);
		return (-1);
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, f) != n)
			rc = -1;
	if (ferror(in))
		rc = -1;
	fclose(in);
	ui_out_close(out, f, 200);
	return (rc != 0 || out->buf == NULL ? -1 : 0);
}

/*
 * GET /api/report.xlsx: written by report_xlsx() to a file of its own
 * in the data dir (libxlsxwriter writes files), read back, removed.
 */
static void
api_report_xlsx(struct ops *o, struct ui_call *c, struct ui_out *out)
{
	struct report r;
	struct ops_err e;
	struct rq q;
	uint8_t rnd[8];
	char path[4096];
	size_t i;
	int n;

	memset(&r, 0, sizeof(r));
	if (run(o, c, &q, &r, out) != 0)
		return;
	randombytes_buf(rnd, sizeof(rnd));
	n = snprintf(path, sizeof(path), "%s/.report-", o->dir);
	for (i = 0; i < sizeof(rnd) && n > 0 && (size_t)n + 3 < sizeof(path);
	    i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "%02x",
		    rnd[i]);
	if (n < 0 || (size_t)n + 6 >= sizeof(path)) {
		report_free(&r);
		ui_out_fail(out, OPS_ENV, OPS_MSG_UI_JOB, 0);
		return;
	}
	strcat(path, ".xlsx");
	if (report_xlsx(path, &r, "en", &e) != 0) {
		report_free(&r);
		ui_out_err(out, &e);
		return;
	}
	report_free(&r);
	if (slurp(path, out) != 0)
		ui_out_fail(out, OPS_ENV, OPS_MSG_UI_JOB, 0);
	else {
		out->type = "application/"
		    "vnd.openxmlformats-officedocument.spreadsheetml.sheet";
		disposition(out, o, &q, "xlsx");
	}
	(void)unlink(path);
}

const struct ui_route ui_report_routes[] = {
	{ "GET", "/api/reports", api_reports, false, false },
	{ "GET", "/api/report", api_report, false, false },
	{ "GET", "/api/report.csv", api_report_csv, false, false },
	{ "GET", "/api/report.xlsx", api_report_xlsx, false, false },
	{ NULL, NULL, NULL, false, false }
};

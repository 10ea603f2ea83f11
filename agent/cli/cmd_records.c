/*
 * cmd_records.c: records — add, set, rm, show, list, export, history,
 * conflicts, stats, guide publish.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/access/confidential.h"
#include "agent/access/member.h"
#include "agent/codec/csv.h"
#include "agent/report/fmt.h"
#include "agent/report/report.h"
#include "agent/report/run.h"
#include "agent/codec/json.h"
#include "agent/daemon/log.h"
#include "agent/ops/ops.h"
#include "agent/report/fmt.h"
#include "store/query.h"

/* A consultation is named by its case number too: the ops resolve it. */
static bool
cli_case_number(const struct coll_def *c, const char *s)
{

	return (strcmp(c->name, "consultations") == 0 &&
	    strchr(s, '-') != NULL);
}

/*
 * Split "field=value" arguments into ${out} (borrowing from ${argv});
 * one that is not is a usage error naming ${what}.
 */
static struct ops_field *
cli_fields(int argc, char **argv, const char *what)
{
	struct ops_field *out;
	const char *eq;
	char cut[48];
	int i;

	if ((out = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*out))) == NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	for (i = 0; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL)
			cli_die(EXIT_USAGE, what, OPS_MSG_CLI_NOT_FIELD_VALUE,
			    1, cli_cut(cut, sizeof(cut), argv[i], 40));
		out[i].name = argv[i];
		out[i].name_len = (size_t)(eq - argv[i]);
		out[i].text = eq + 1;
		out[i].len = strlen(eq + 1);
	}
	return (out);
}

int
cmd_add(struct cli *cli, int argc, char **argv)
{
	struct ops_write_args a;
	struct ops_err e;
	struct ops o;
	char hex[2 * SCHEMA_ID_LEN + 1], what[64];
	const struct coll_def *c;

	cli_no_more_opts(argc, argv, "add");
	if (argc < 2)
		cli_die(EXIT_USAGE, "add", OPS_MSG_CLI_ADD_USAGE, 0);
	c = cli_coll(argv[0]);
	snprintf(what, sizeof(what), "add %s", c->name);
	memset(&a, 0, sizeof(a));
	a.coll = c->name;
	a.fields = cli_fields(argc - 1, argv + 1, what);
	a.nfields = (size_t)argc - 1;
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_add(&o, &a, hex, &e))
		cli_ops_fail(cli, what, &e);
	/*
	 * stdout is the id, for scripts; the case number is for people (on
	 * a terminal) and in --json: {"case_number":...,"id":...}.
	 */
	if (cli->json) {
		printf("{\"case_number\":");
		if (o.case_number[0] != '\0')
			json_put_str(stdout, o.case_number,
			    strlen(o.case_number));
		else
			printf("null");
		printf(",\"id\":\"%s\"}\n", hex);
	} else {
		printf("%s\n", hex);
		if (o.case_number[0] != '\0' && isatty(STDERR_FILENO))
			fprintf(stderr, "case number %s\n", o.case_number);
	}
	cli_warn_commit(cli);
	ops_fini(&o);
	free((void *)a.fields);
	return (0);
}

int
cmd_set(struct cli *cli, int argc, char **argv)
{
	struct ops_write_args a;
	struct ops_err e;
	struct ops o;
	uint8_t id[SCHEMA_ID_LEN];
	const struct coll_def *c;
	char what[64];

	cli_no_more_opts(argc, argv, "set");
	if (argc < 3)
		cli_die(EXIT_USAGE, "set", OPS_MSG_CLI_SET_USAGE, 0);
	c = cli_coll(argv[0]);
	if (!cli_case_number(c, argv[1]))
		cli_parse_id(argv[1], id);
	snprintf(what, sizeof(what), "set %s", c->name);
	memset(&a, 0, sizeof(a));
	a.coll = c->name;
	a.id = argv[1];
	a.fields = cli_fields(argc - 2, argv + 2, what);
	a.nfields = (size_t)argc - 2;
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_set(&o, &a, &e))
		cli_ops_fail(cli, what, &e);
	cli_warn_commit(cli);
	ops_fini(&o);
	free((void *)a.fields);
	return (0);
}

/* COLLECTION ID, as rm, show and history take them; the node opened. */
static const struct coll_def *
coll_id(struct cli *cli, int argc, char **argv, const char *cmd, bool write)
{
	uint8_t id[SCHEMA_ID_LEN];
	const struct coll_def *c;

	cli_no_more_opts(argc, argv, cmd);
	if (argc != 2)
		cli_die(EXIT_USAGE, cmd, OPS_MSG_CLI_COLL_ID_USAGE, 0);
	c = cli_coll(argv[0]);
	if (!cli_case_number(c, argv[1]))
		cli_parse_id(argv[1], id);
	cli_open(cli, write);
	return (c);
}

int
cmd_rm(struct cli *cli, int argc, char **argv)
{
	struct ops_write_args a;
	struct ops_err e;
	struct ops o;
	const struct coll_def *c;
	char what[64];

	c = coll_id(cli, argc, argv, "rm", true);
	snprintf(what, sizeof(what), "rm %s", c->name);
	memset(&a, 0, sizeof(a));
	a.coll = c->name;
	a.id = argv[1];
	cli_ops(cli, &o);
	if (ops_rm(&o, &a, &e))
		cli_ops_fail(cli, what, &e);
	cli_warn_commit(cli);
	ops_fini(&o);
	return (0);
}

/*
 * Text values came from any node: escaped (agent/daemon/log.h), on one line
 * except in show, where a summary or a guide keeps its lines.
 */
static int human_flags;

static void
put_human_val(const struct val *v)
{

	switch (v->t) {
	case VAL_STR:
		log_esc_put(stdout, v->s, v->len, human_flags);
		break;
	case VAL_INT:
		printf("%lld", (long long)v->i);
		break;
	case VAL_BOOL:
		printf("%s", v->i ? "true" : "false");
		break;
	default:
		printf("-");
	}
}

/* A value as the op handed it (revealed, or as stored). */
static void
put_value(const struct val *v, bool json)
{

	if (json)
		json_put_val(stdout, v);
	else
		put_human_val(v);
}

/*
 * One record as one JSON object: all keys sorted.  ${marks}: with
 * "_conflicts" (how many fields are in conflict) if any, for show and
 * list; never in an export, which import reads back.
 */
static void
put_record(const struct rview *r, const char *extra_key, bool extra_val,
    bool marks)
{
	char hex[2 * SCHEMA_ID_LEN + 1];
	bool coll_done = false, id_done = false, x_done = extra_key == NULL;
	size_t i;
	const char *sep = "";

	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	putchar('{');
	if (marks && r->conflicts > 0) {
		printf("\"_conflicts\":%u", (unsigned)r->conflicts);
		sep = ",";
	}
	for (i = 0; i <= r->nf; i++) {
		const char *next = i < r->nf ? r->f[i].name : NULL;

		/* "_..." < "collection" < "id": merge them in order. */
		if (!x_done && (next == NULL ||
		    strcmp(extra_key, next) < 0)) {
			printf("%s\"%s\":%s", sep, extra_key,
			    extra_val ? "true" : "false");
			sep = ",";
			x_done = true;
		}
		if (!coll_done && (next == NULL ||
		    strcmp("collection", next) < 0)) {
			printf("%s\"collection\":\"%s\"", sep, r->c->name);
			sep = ",";
			coll_done = true;
		}
		if (!id_done && (next == NULL || strcmp("id", next) < 0)) {
			printf("%s\"id\":\"%s\"", sep, hex);
			sep = ",";
			id_done = true;
		}
		if (next == NULL)
			break;
		printf("%s", sep);
		json_put_str(stdout, next, strlen(next));
		putchar(':');
		put_value(&r->f[i].v, true);
		sep = ",";
	}
	puts("}");
}

static int
export_cb(void *arg, const struct rview *r, bool stale)
{

	(void)arg;
	(void)stale;
	put_record(r, NULL, false, false);
	return (0);
}

/*
 * export --csv: one collection's records as a spreadsheet reads them and
 * import reads them back (agent/codec/csv.h), row by row as the store
 * yields them, so 350,000 records take no more memory than one.
 */
struct csv_export {
	const struct coll_def	*c;
	char			sep;
	bool			clear;	/* Confidential fields left out. */
	unsigned long		hidden;	/* Values of keys we lack: empty. */
};

static bool
csv_column(const struct csv_export *x, const struct field_def *f)
{

	return (!x->clear || !conf_secret(x->c, f));
}

static void
csv_export_head(const struct csv_export *x)
{
	const struct field_def *f;

	/* The mark Excel needs to read UTF-8 rather than the locale's. */
	fputs("\xef\xbb\xbfid", stdout);
	for (f = x->c->fields; f->name != NULL; f++)
		if (csv_column(x, f)) {
			putchar(x->sep);
			csv_put(stdout, f->name, strlen(f->name), x->sep);
		}
	fputs("\r\n", stdout);
}

static int
rvf_name_cmp(const void *key, const void *elt)
{

	return (strcmp(key, ((const struct rview_field *)elt)->name));
}

static int
csv_export_cb(void *arg, const struct rview *r, bool stale)
{
	struct csv_export *x = arg;
	const struct rview_field *rf;
	const struct field_def *f;
	char hex[2 * SCHEMA_ID_LEN + 1];

	(void)stale;
	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	fputs(hex, stdout);
	for (f = x->c->fields; f->name != NULL; f++) {
		if (!csv_column(x, f))
			continue;
		putchar(x->sep);
		/* Fields come sorted by name (ops.h). */
		if ((rf = bsearch(f->name, r->f, r->nf, sizeof(*r->f),
		    rvf_name_cmp)) == NULL)
			continue;
		switch (rf->v.t) {
		case VAL_STR:
			/* Sealed to a center whose key we lack: empty. */
			if (conf_secret(x->c, f) && rf->v.len ==
			    strlen(CONF_HIDDEN) && memcmp(rf->v.s, CONF_HIDDEN,
			    rf->v.len) == 0) {
				x->hidden++;
				break;
			}
			csv_put(stdout, rf->v.s, rf->v.len, x->sep);
			break;
		case VAL_INT:
			printf("%lld", (long long)rf->v.i);
			break;
		case VAL_BOOL:
			fputs(rf->v.i ? "true" : "false", stdout);
			break;
		default:
			break;
		}
	}
	fputs("\r\n", stdout);
	return (ferror(stdout) ? 1 : 0);
}

/* "client_name, client_phone, summary": what a clear export leaves out. */
static void
csv_secrets(const struct coll_def *c, char *buf, size_t len)
{
	const struct field_def *f;
	size_t n = 0;

	buf[0] = '\0';
	for (f = c->fields; f->name != NULL; f++)
		if (conf_secret(c, f) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    n ? ", " : "", f->name);
}

static void
csv_note(enum ops_msg key, const char *arg)
{
	struct ops_err e;
	char msg[1024];

	memset(&e, 0, sizeof(e));
	ops_fail(&e, OPS_OK, key, 1, arg);
	fprintf(stderr, "hamroh: export: %s\n", ops_text("en", &e, msg,
	    sizeof(msg)));
}

/*
 * Whether ${c}'s confidential fields go in: only for a signed-in lawyer
 * or admin, whose session opens the center keys; anyone else (nobody
 * signed in, a statistician) gets the clear fields and a note.
 */
static bool
csv_clear(struct cli *cli, struct ops *o, const struct coll_def *c)
{
	const struct field_def *f;
	struct ops_err e;
	char list[256];

	for (f = c->fields; f->name != NULL; f++)
		if (conf_secret(c, f))
			break;
	if (f->name == NULL)
		return (false);
	if (cli->user != NULL && ops_ring(o, &e) == NULL) {
		/* Signed in, but not one who reads them: clear alone. */
		if (e.code != OPS_DENIED || o->user.role == USER_NONE)
			cli_ops_fail(cli, "export", &e);
	} else if (cli->user != NULL)
		return (false);
	csv_secrets(c, list, sizeof(list));
	csv_note(OPS_MSG_EXPORT_CSV_CLEAR_ONLY, list);
	return (true);
}

static void
cmd_export_csv(struct cli *cli, struct ops_read_args *a, const char *sepopt)
{
	static char obuf[1 << 16];
	struct csv_export x;
	struct ops_err e;
	struct ops o;
	char n[24], err[STORE_ERRLEN];

	memset(&x, 0, sizeof(x));
	if (fmt_csv_sep(sepopt, &x.sep, &e))
		cli_ops_fail(cli, "export", &e);
	x.c = schema_coll(a->coll);
	cli_open(cli, false);
	/* A streamed scan: memory stays that of one record (store/db.h). */
	if (db_cache_kib(cli->db, 4096, err)) {
		ops_store_fail(&e, err, OPS_MSG_NONE);
		cli_ops_fail(cli, "export", &e);
	}
	cli_ops(cli, &o);
	a->clear = x.clear = csv_clear(cli, &o, x.c);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	csv_export_head(&x);
	if (ops_export(&o, a, csv_export_cb, &x, &e))
		cli_ops_fail(cli, "export", &e);
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_die(EXIT_REFUSED, "export", OPS_MSG_FMT_WRITE, 2, "stdout",
		    strerror(errno));
	if (x.hidden > 0) {
		snprintf(n, sizeof(n), "%lu", x.hidden);
		csv_note(OPS_MSG_EXPORT_CSV_NO_KEY, n);
	}
	ops_fini(&o);
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	struct ops_read_args a;
	struct ops_err e;
	struct ops o;
	const char *sep;
	bool csv;

	memset(&a, 0, sizeof(a));
	a.sealed = cli_flag(&argc, argv, "--sealed");
	csv = cli_flag(&argc, argv, "--csv");
	sep = cli_opt(&argc, argv, "--csv-sep");
	cli_no_more_opts(argc, argv, "export");
	if (argc > 1)
		cli_die(EXIT_USAGE, "export", OPS_MSG_CLI_EXPORT_USAGE, 0);
	if (sep != NULL && !csv)
		cli_die(EXIT_USAGE, "export", OPS_MSG_EXPORT_CSV_SEP_ALONE, 0);
	if (csv && a.sealed)
		cli_die(EXIT_USAGE, "export", OPS_MSG_EXPORT_CSV_SEALED, 0);
	if (csv && argc != 1)
		cli_die(EXIT_USAGE, "export", OPS_MSG_EXPORT_CSV_ONE_COLL, 0);
	if (argc == 1)
		a.coll = cli_coll(argv[0])->name;
	if (csv) {
		cmd_export_csv(cli, &a, sep);
		return (0);
	}
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_export(&o, &a, export_cb, NULL, &e))
		cli_ops_fail(cli, "export", &e);
	ops_fini(&o);
	return (0);
}

static int
show_cb(void *arg, const struct rview *r, bool stale)
{
	struct cli *cli = arg;
	char hex[2 * SCHEMA_ID_LEN + 1];
	size_t i;

	(void)stale;
	if (cli->json) {
		put_record(r, NULL, false, true);
		return (0);
	}
	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	printf("%-16s %s\n%-16s %s\n", "collection", r->c->name, "id", hex);
	if (r->conflicts > 0)
		printf("%-16s %u field%s in conflict (edits made apart); "
		    "'hamroh conflicts' lists them\n", "CONFLICT",
		    (unsigned)r->conflicts, r->conflicts == 1 ? "" : "s");
	for (i = 0; i < r->nf; i++) {
		printf("%-16s ", r->f[i].name);
		put_value(&r->f[i].v, false);
		putchar('\n');
	}
	return (0);
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	struct ops_read_args a;
	struct ops_err e;
	struct ops o;

	memset(&a, 0, sizeof(a));
	a.coll = coll_id(cli, argc, argv, "show", false)->name;
	a.id = argv[1];
	cli_ops(cli, &o);
	human_flags = LOG_ESC_MULTILINE;
	if (ops_show(&o, &a, show_cb, cli, &e))
		cli_ops_fail(cli, "show", &e);
	ops_fini(&o);
	return (0);
}

struct list_ctx {
	struct cli		*cli;
	const struct coll_def	*c;
	bool			head_done;
};

/*
 * The field a human list leads with, before the id: a consultation's case
 * number, what people read out and type (NULL: the id leads).
 */
static const struct field_def *
lead_field(const struct coll_def *c)
{
	const struct field_def *f;

	f = schema_field(c, "case_number", strlen("case_number"));
	return (f != NULL && f->list ? f : NULL);
}

/* One listed value of ${r}, or "-". */
static void
put_listed(const struct rview *r, const struct field_def *f)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, f->name) == 0)
			break;
	if (i < r->nf)
		put_value(&r->f[i].v, false);
	else
		printf("-");
}

/* The table's header: once the filters were found good. */
static void
list_head(struct list_ctx *lc)
{
	const struct field_def *f;

	if (lc->head_done || lc->cli->json)
		return;
	lc->head_done = true;
	if ((f = lead_field(lc->c)) != NULL)
		printf("%s  ", f->name);
	printf("id");
	for (f = lc->c->fields; f->name != NULL; f++)
		if (f->list && f != lead_field(lc->c))
			printf("  %s", f->name);
	if (strcmp(lc->c->name, "members") == 0)
		printf("  ended");
	putchar('\n');
}

static int
list_cb(void *arg, const struct rview *r, bool stale)
{
	struct list_ctx *lc = arg;
	char hex[2 * SCHEMA_ID_LEN + 1];
	const struct field_def *f, *lead;

	list_head(lc);
	if (lc->cli->json) {
		if (strcmp(r->c->name, "directory") == 0)
			put_record(r, "_stale", stale, true);
		else
			put_record(r, NULL, false, true);
		return (0);
	}
	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	if ((lead = lead_field(r->c)) != NULL) {
		put_listed(r, lead);
		printf("  ");
	}
	printf("%s", hex);
	for (f = r->c->fields; f->name != NULL; f++) {
		if (!f->list || f == lead)
			continue;
		printf("  ");
		put_listed(r, f);
	}
	if (r->conflicts > 0)
		printf("  CONFLICT (see 'hamroh conflicts')");
	if (stale)
		printf("  STALE (not verified in %d days)", OPS_STALE_DAYS);
	if (strcmp(r->c->name, "members") == 0) {	/* The ended column. */
		char why[512], esc[2048];

		printf("  %s", member_ended_view(lc->cli->db, r, cli_now_ms(),
		    why, sizeof(why)) ? log_esc(esc, sizeof(esc), why,
		    strlen(why), 0) : "-");
	}
	putchar('\n');
	return (0);
}

int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct ops_read_args a;
	struct ops_err e;
	struct ops o;
	struct list_ctx lc;
	const struct coll_def *c;
	char what[64];

	cli_no_more_opts(argc, argv, "list");
	if (argc < 1)
		cli_die(EXIT_USAGE, "list", OPS_MSG_CLI_LIST_USAGE, 0);
	c = cli_coll(argv[0]);
	if (argc - 1 > SCHEMA_MAX_FIELDS)
		cli_die(EXIT_USAGE, "list", OPS_MSG_TOO_MANY_FILTERS, 0);
	snprintf(what, sizeof(what), "list %s", c->name);
	memset(&a, 0, sizeof(a));
	a.coll = c->name;
	a.filters = cli_fields(argc - 1, argv + 1, what);
	a.nfilters = (size_t)argc - 1;
	lc.cli = cli;
	lc.c = c;
	lc.head_done = false;
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_list(&o, &a, list_cb, &lc, &e))
		cli_ops_fail(cli, e.code == OPS_BAD_INPUT ? what : "list", &e);
	list_head(&lc);
	ops_fini(&o);
	free((void *)a.filters);
	return (0);
}

static int
history_cb(void *arg, const struct hview *h, const struct ops_who *w)
{
	struct cli *cli = arg;
	char tm[32], hex[2 * NODE_KEY_LEN + 1], who[1024], ewho[4096];

	cli_time(h->hlc, tm);
	hex_encode(h->origin, NODE_KEY_LEN, hex);
	ops_who_text("en", w, who, sizeof(who));
	if (cli->json) {
		printf("{\"center\":");
		json_put_str(stdout, w->center, strlen(w->center));
		printf(",\"field\":");
		json_put_str(stdout, h->field, h->field_len);
		printf(",\"node\":");
		json_put_str(stdout, w->node, strlen(w->node));
		printf(",\"origin\":\"%s\",\"seq\":%llu,\"time\":\"%s\","
		    "\"user\":", hex, (unsigned long long)h->seq, tm);
		if (w->has_user)
			json_put_str(stdout, w->user, strlen(w->user));
		else
			printf("null");
		printf(",\"value\":");
		put_value(&h->v, true);
		printf(",\"who\":");
		json_put_str(stdout, who, strlen(who));
		puts("}");
		return (0);
	}
	/* Who: the user and center, or "node only" and the office. */
	printf("%s  %-24s ", tm, log_esc(ewho, sizeof(ewho), who, strlen(who),
	    0));
	log_esc_put(stdout, h->field, h->field_len, 0);
	printf(" = ");
	put_value(&h->v, false);
	putchar('\n');
	return (0);
}

int
cmd_history(struct cli *cli, int argc, char **argv)
{
	struct ops_read_args a;
	struct ops_err e;
	struct ops o;

	memset(&a, 0, sizeof(a));
	a.coll = coll_id(cli, argc, argv, "history", false)->name;
	a.id = argv[1];
	cli_ops(cli, &o);
	if (ops_history(&o, &a, history_cb, cli, &e))
		cli_ops_fail(cli, "history", &e);
	ops_fini(&o);
	return (0);
}

static int
conflict_cb(void *arg, const struct cview *cv, const char *const *nodes)
{
	struct cli *cli = arg;
	char tm[32], hex[2 * NODE_KEY_LEN + 1], enode[512];
	size_t i;

	hex_encode(cv->id, SCHEMA_ID_LEN, hex);
	if (cli->json)
		printf("{\"collection\":\"%s\",\"field\":\"%s\",\"heads\":[",
		    cv->c->name, cv->field);
	else
		printf("%s %s %s: %zu concurrent values (first is shown)\n",
		    cv->c->name, hex, cv->field, cv->nh);
	for (i = 0; i < cv->nh; i++) {
		cli_time(cv->h[i].hlc, tm);
		if (!cli->json) {
			printf("  %s  %-16s ", tm, log_esc(enode,
			    sizeof(enode), nodes[i], strlen(nodes[i]), 0));
			put_value(&cv->h[i].v, false);
			putchar('\n');
			continue;
		}
		hex_encode(cv->h[i].origin, NODE_KEY_LEN, hex);
		printf("%s{\"node\":", i ? "," : "");
		json_put_str(stdout, nodes[i], strlen(nodes[i]));
		printf(",\"origin\":\"%s\",\"time\":\"%s\",\"value\":", hex,
		    tm);
		put_value(&cv->h[i].v, true);
		putchar('}');
	}
	if (cli->json) {
		hex_encode(cv->id, SCHEMA_ID_LEN, hex);
		printf("],\"id\":\"%s\"}\n", hex);
	}
	return (0);
}

int
cmd_conflicts(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;
	long n;

	cli_no_more_opts(argc, argv, "conflicts");
	if (argc > 0)
		cli_die(EXIT_USAGE, "conflicts", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if ((n = ops_conflicts(&o, conflict_cb, cli, &e)) < 0)
		cli_ops_fail(cli, "conflicts", &e);
	if (n == 0 && !cli->json)
		printf("no open conflicts\n");
	ops_fini(&o);
	return (0);
}

struct stats_ctx {
	struct cli	*cli;
	const char	**by;
	size_t		nby;
	/* JSON key order. */
	size_t		order[SCHEMA_MAX_FIELDS + 1];
};

static int
stats_cb(void *arg, const struct val *v, uint64_t n)
{
	struct stats_ctx *s = arg;
	size_t i, k;

	if (!s->cli->json) {
		for (i = 0; i < s->nby; i++) {
			put_human_val(&v[i]);
			putchar('\t');
		}
		printf("%llu\n", (unsigned long long)n);
		return (0);
	}
	putchar('{');
	for (i = 0; i <= s->nby; i++) {
		k = s->order[i];
		printf("%s\"%s\":", i ? "," : "", k == s->nby ? "count" :
		    s->by[k]);
		if (k == s->nby)
			printf("%llu", (unsigned long long)n);
		else
			json_put_val(stdout, &v[k]);
	}
	puts("}");
	return (0);
}

/*
 * stats consultations: the simplest report (agent/report/run.h), its
 * cells as stats has always printed them, one group a line, with the
 * report's suppression: a count of 1 in a small district names a person.
 */
static int
stats_report(struct cli *cli, const char **by, size_t nby, bool all,
    bool no_suppress)
{
	struct report_args a;
	struct report r;
	struct ops_err e;
	struct ops o;
	size_t idx[REPORT_MAX_DIMS], off, d, cells, i;
	const char *hidden, *v;

	memset(&a, 0, sizeof(a));
	a.by = by;
	a.nby = nby;
	a.all = all;
	a.no_suppress = no_suppress;
	if (ops_report_check(&a, &e))
		cli_ops_fail(cli, "stats", &e);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_report(&o, &a, &r, &e)) {
		report_free(&r);
		cli_ops_fail(cli, "stats", &e);
	}
	if (!cli->json) {
		for (d = 0; d < nby; d++)
			printf("%s\t", by[d]);
		printf("count\n");
	}
	for (cells = 1, d = 0; d < r.ndim; d++)
		cells *= r.dim[d].n;
	for (i = 0; i < cells && !report_withheld(&r); i++) {
		/* The inner cells in order, the last grouping fastest. */
		for (off = i, d = r.ndim; d-- > 0;) {
			idx[d] = off % r.dim[d].n;
			off /= r.dim[d].n;
		}
		off = report_at(&r, idx);
		hidden = report_hidden(&r, off);
		if (hidden == NULL && r.count[off] == 0)
			continue;
		if (cli->json)
			putchar('{');
		for (d = 0; d < r.ndim; d++) {
			v = r.dim[d].value[idx[d]];
			if (cli->json) {
				printf("\"%s\":", by[d]);
				if (*v == '\0')
					printf("null,");
				else {
					json_put_str(stdout, v, strlen(v));
					putchar(',');
				}
			} else
				printf("%s\t", *v != '\0' ? v : "-");
		}
		if (cli->json && hidden != NULL)
			printf("\"count\":\"%s\"}\n", hidden);
		else if (cli->json)
			printf("\"count\":%llu}\n",
			    (unsigned long long)r.count[off]);
		else if (hidden != NULL)
			printf("%s\n", hidden);
		else
			printf("%llu\n", (unsigned long long)r.count[off]);
	}
	if (report_withheld(&r))
		fprintf(stderr, "%s\n", ops_template("en",
		    OPS_MSG_REPORT_WITHHELD));
	else if (r.suppressed)
		fprintf(stderr, "counts 1-4 print <5, and x what would give "
		    "one away; 'hamroh report' prints the table with its "
		    "totals\n");
	if (r.left_out > 0)
		fprintf(stderr, "%llu record%s left out: the client did not "
		    "consent to statistics (--all counts them)\n",
		    (unsigned long long)r.left_out, r.left_out == 1 ? "" : "s");
	report_free(&r);
	ops_fini(&o);
	return (0);
}

int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	const char *by[SCHEMA_MAX_FIELDS];
	struct ops_stats_args a;
	struct stats_ctx s;
	struct ops_err e;
	struct ops o;
	const struct coll_def *c;
	const char *opt;
	char *list, *tok, *save;
	size_t i, j, t;
	long left_out = 0;
	bool all, no_suppress;

	opt = cli_opt(&argc, argv, "--by");
	all = cli_flag(&argc, argv, "--all");
	no_suppress = cli_flag(&argc, argv, "--no-suppress");
	cli_no_more_opts(argc, argv, "stats");
	if (argc != 1 || opt == NULL)
		cli_die(EXIT_USAGE, "stats", OPS_MSG_CLI_STATS_USAGE, 0);
	c = cli_coll(argv[0]);
	if ((list = strdup(opt)) == NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	memset(&s, 0, sizeof(s));
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (s.nby == SCHEMA_MAX_FIELDS)
			cli_die(EXIT_USAGE, "stats", OPS_MSG_TOO_MANY_FIELDS, 0);
		by[s.nby++] = tok;
	}
	if (strcmp(c->name, "consultations") == 0) {
		if (s.nby > REPORT_MAX_DIMS)
			cli_die(EXIT_USAGE, "stats", OPS_MSG_REPORT_TOO_MANY_BY,
			    0);
		stats_report(cli, by, s.nby, all, no_suppress);
		free(list);
		return (0);
	}
	s.cli = cli;
	s.by = by;
	/* JSON keys sorted: the fields and "count". */
	for (i = 0; i <= s.nby; i++)
		s.order[i] = i;
	for (i = 1; i <= s.nby; i++)
		for (j = i; j > 0; j--) {
			const char *x = s.order[j - 1] == s.nby ? "count" :
			    by[s.order[j - 1]];
			const char *y = s.order[j] == s.nby ? "count" :
			    by[s.order[j]];

			if (strcmp(x, y) <= 0)
				break;
			t = s.order[j];
			s.order[j] = s.order[j - 1];
			s.order[j - 1] = t;
		}
	memset(&a, 0, sizeof(a));
	a.coll = c->name;
	a.by = by;
	a.nby = s.nby;
	a.all = all;
	a.left_out = &left_out;
	/* The fields are checked before the node is opened, as always. */
	if (ops_stats_check(&a, &e))
		cli_ops_fail(cli, "stats", &e);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (!cli->json) {
		for (i = 0; i < s.nby; i++)
			printf("%s\t", by[i]);
		printf("count\n");
	}
	if (ops_stats(&o, &a, stats_cb, &s, &e))
		cli_ops_fail(cli, "stats", &e);
	if (left_out > 0)
		fprintf(stderr, "%ld record%s left out: the client did not "
		    "consent to statistics (--all counts them)\n", left_out,
		    left_out == 1 ? "" : "s");
	ops_fini(&o);
	free(list);
	return (0);
}

int
cmd_guide(struct cli *cli, int argc, char **argv)
{
	const struct coll_def *c = schema_coll("guides");
	const struct field_def *body = schema_field(c, "body", 4);
	struct ops_guide_args a;
	struct ops_field *fields;
	struct ops_err e;
	struct ops o;
	char hex[2 * SCHEMA_ID_LEN + 1];
	char *buf = NULL, **fargs;
	const char *idarg = NULL;
	size_t len = 0, nf = 0;
	FILE *fp;
	int i;

	cli_no_more_opts(argc, argv, "guide");
	if (argc < 2 || strcmp(argv[0], "publish") != 0)
		cli_die(EXIT_USAGE, "guide", OPS_MSG_CLI_GUIDE_USAGE, 0);
	if ((fargs = calloc((size_t)argc, sizeof(*fargs))) == NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	for (i = 2; i < argc; i++) {
		if (strchr(argv[i], '=') == NULL) {
			if (idarg != NULL)
				cli_die(EXIT_USAGE, "guide publish",
				    OPS_MSG_CLI_GUIDE_TWO_IDS, 0);
			idarg = argv[i];
			continue;
		}
		fargs[nf++] = argv[i];
	}
	memset(&a, 0, sizeof(a));
	a.id = idarg;
	a.fields = fields = cli_fields((int)nf, fargs, "guide publish");
	a.nfields = nf;
	a.body_name = argv[1];
	if ((fp = fopen(argv[1], "rb")) == NULL)
		cli_die(EXIT_REFUSED, "guide publish", OPS_MSG_FILE_ERROR, 2,
		    argv[1], strerror(errno));
	if ((buf = malloc(body->max_len + 1)) == NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	len = fread(buf, 1, body->max_len + 1, fp);
	if (ferror(fp))
		cli_die(EXIT_REFUSED, "guide publish", OPS_MSG_CLI_READ_ERROR, 1,
		    argv[1]);
	fclose(fp);
	a.body = buf;
	a.body_len = len;
	if (idarg != NULL) {
		uint8_t id[SCHEMA_ID_LEN];

		cli_parse_id(idarg, id);
	}
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_guide_publish(&o, &a, hex, &e))
		cli_ops_fail(cli, "guide publish", &e);
	printf("%s\n", hex);
	cli_warn_commit(cli);
	ops_fini(&o);
	free(buf);
	free(fargs);
	free(fields);
	return (0);
}

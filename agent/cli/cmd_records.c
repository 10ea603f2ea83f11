/*
 * cmd_records.c: records — add, set, rm, show, list, export, history,
 * conflicts, stats, guide publish.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/access/confidential.h"
#include "agent/access/member.h"
#include "agent/codec/json.h"
#include "agent/daemon/log.h"
#include "agent/access/rules.h"
#include "store/query.h"

#define STALE_DAYS	180	/* Directory entries need re-checking. */

/* Who is looking: values are shown as this node may read them. */
static struct cli *viewer;
/* export --sealed: confidential values as stored, the same on every node. */
static bool as_stored;

/* The center=... among the fields of ${argv} (the last), or NULL. */
static const char *
argv_center(int argc, char **argv)
{
	const char *v = NULL;
	int i;

	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], "center=", 7) == 0)
			v = argv[i] + 7;
	return (v);
}

/*
 * The center a write to record ${id} belongs to: center=... among the
 * fields written, else the record's.
 */
static void
write_center(struct cli *cli, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], int argc, char **argv,
    char center[CONF_CENTER_MAX + 1])
{
	const char *v = argv_center(argc, argv);

	if (v != NULL)
		snprintf(center, CONF_CENTER_MAX + 1, "%s", v);
	else
		cli_record_center(cli, c, id, center);
}

/* Write fields of ${argv} ("field=value") to record ${id} and commit. */
static void
write_fields(struct cli *cli, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], int argc, char **argv,
    const char *what)
{
	const struct field_def *f;
	struct val v;
	char err[STORE_ERRLEN], center[CONF_CENTER_MAX + 1], *sealed;
	int i;

	/* Validate everything before writing anything. */
	for (i = 0; i < argc; i++)
		cli_field_arg(c, argv[i], &f, &v, what);
	write_center(cli, c, id, argc, argv, center);
	(void)cli_conf(cli);	/* Outside db_begin(): it may write a file. */
	if (db_begin(cli->db, cli_now_ms(), err))
		cli_fail(EXIT_REFUSED, "%s: %s", what, err);
	for (i = 0; i < argc; i++) {
		cli_field_arg(c, argv[i], &f, &v, what);
		if (cli_seal(cli, c, id, f, center, &v, &sealed, err,
		    sizeof(err)))
			goto fail;
		if (db_put(cli->db, c, id, f, &v, err)) {
			free(sealed);
			goto fail;
		}
		free(sealed);
	}
	if (db_commit(cli->db, err))
		goto fail;
	cli_warn_commit(cli);
	return;
fail:
	db_rollback(cli->db);
	cli_fail(EXIT_REFUSED, "%s: %s; nothing was changed", what, err);
}

/* The record must exist and be live. */
static void
need_record(struct cli *cli, const struct coll_def *c,
    const uint8_t id[SCHEMA_ID_LEN], const char *ids, const char *what)
{
	bool live;
	int r;

	if ((r = db_record(cli->db, c, id, &live)) < 0)
		cli_fail(EXIT_REFUSED, "%s: database error", what);
	if (r == 0 || !live)
		cli_fail(EXIT_REFUSED, "%s: no %s record %s%s", what, c->name,
		    ids, r ? " (it was deleted)" : "");
}

int
cmd_add(struct cli *cli, int argc, char **argv)
{
	uint8_t id[SCHEMA_ID_LEN];
	char hex[2 * SCHEMA_ID_LEN + 1], what[64];
	const struct coll_def *c;

	cli_no_more_opts(argc, argv, "add");
	if (argc < 2)
		cli_fail(EXIT_USAGE, "add: give COLLECTION and at least one "
		    "field=value");
	c = cli_coll(argv[0]);
	snprintf(what, sizeof(what), "add %s", c->name);
	cli_open(cli, true);
	randombytes_buf(id, sizeof(id));
	cli_may_write(cli, c, id, true, argv_center(argc - 1, argv + 1), what);
	write_fields(cli, c, id, argc - 1, argv + 1, what);
	hex_encode(id, SCHEMA_ID_LEN, hex);
	printf("%s\n", hex);
	return (0);
}

int
cmd_set(struct cli *cli, int argc, char **argv)
{
	uint8_t id[SCHEMA_ID_LEN];
	const struct coll_def *c;
	char what[64];

	cli_no_more_opts(argc, argv, "set");
	if (argc < 3)
		cli_fail(EXIT_USAGE, "set: give COLLECTION ID and at least one "
		    "field=value");
	c = cli_coll(argv[0]);
	cli_parse_id(argv[1], id);
	snprintf(what, sizeof(what), "set %s", c->name);
	cli_open(cli, true);
	need_record(cli, c, id, argv[1], what);
	cli_may_write(cli, c, id, false, argv_center(argc - 2, argv + 2),
	    what);
	write_fields(cli, c, id, argc - 2, argv + 2, what);
	return (0);
}

int
cmd_rm(struct cli *cli, int argc, char **argv)
{
	uint8_t id[SCHEMA_ID_LEN];
	const struct coll_def *c;
	const struct field_def *f;
	struct val v = { VAL_BOOL, 1, NULL, 0 };
	char what[64], err[STORE_ERRLEN];

	cli_no_more_opts(argc, argv, "rm");
	if (argc != 2)
		cli_fail(EXIT_USAGE, "rm: give COLLECTION ID");
	c = cli_coll(argv[0]);
	cli_parse_id(argv[1], id);
	snprintf(what, sizeof(what), "rm %s", c->name);
	cli_open(cli, true);
	need_record(cli, c, id, argv[1], what);
	cli_may_write(cli, c, id, false, NULL, what);
	/* A delete is the register _deleted = true; it never expires. */
	f = schema_field(c, SCHEMA_DELETED, strlen(SCHEMA_DELETED));
	if (db_begin(cli->db, cli_now_ms(), err) ||
	    db_put(cli->db, c, id, f, &v, err) || db_commit(cli->db, err))
		cli_fail(EXIT_REFUSED, "%s: %s; nothing was changed", what,
		    err);
	cli_warn_commit(cli);
	return (0);
}

static void put_human_val(const struct val *);

/* Value ${v} of field ${field} of record ${id}, as ${viewer} may see it. */
static void
put_value(const uint8_t *id, const char *field, size_t field_len,
    const struct val *v, bool json)
{
	struct val shown;
	char *tofree;

	if (as_stored) {
		shown = *v;
		tofree = NULL;
	} else
		cli_reveal(viewer, id, field, field_len, v, &shown, &tofree);
	if (json)
		json_put_val(stdout, &shown);
	else
		put_human_val(&shown);
	free(tofree);
}

/* One record as one JSON object: all keys sorted. */
static void
put_record(const struct rview *r, const char *extra_key, bool extra_val)
{
	char hex[2 * SCHEMA_ID_LEN + 1];
	bool coll_done = false, id_done = false, x_done = extra_key == NULL;
	size_t i;
	const char *sep = "";

	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	putchar('{');
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
		put_value(r->id, next, strlen(next), &r->f[i].v, true);
		sep = ",";
	}
	puts("}");
}

static int
export_cb(void *arg, const struct rview *r)
{

	(void)arg;
	put_record(r, NULL, false);
	return (0);
}

int
cmd_export(struct cli *cli, int argc, char **argv)
{
	const struct coll_def *c, *only = NULL;
	char err[STORE_ERRLEN];

	as_stored = cli_flag(&argc, argv, "--sealed");
	cli_no_more_opts(argc, argv, "export");
	if (argc > 1)
		cli_fail(EXIT_USAGE, "export: give at most one COLLECTION");
	if (argc == 1)
		only = cli_coll(argv[0]);
	cli_open(cli, false);
	viewer = cli;
	(void)cli_conf(cli);	/* Before any query: it runs one. */
	/* One read transaction: a consistent snapshot of every table. */
	db_read_begin(cli->db);
	for (c = schema_colls; c->name != NULL; c++) {
		if (only != NULL && c != only)
			continue;
		if (query_records(cli->db, c, NULL, NULL, 0, false, export_cb,
		    NULL, err) < 0)
			cli_fail(EXIT_REFUSED, "export: %s", err);
	}
	db_read_end(cli->db);
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

static int
show_cb(void *arg, const struct rview *r)
{
	struct cli *cli = arg;
	char hex[2 * SCHEMA_ID_LEN + 1];
	size_t i;

	if (cli->json) {
		put_record(r, NULL, false);
		return (0);
	}
	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	printf("%-16s %s\n%-16s %s\n", "collection", r->c->name, "id", hex);
	for (i = 0; i < r->nf; i++) {
		printf("%-16s ", r->f[i].name);
		put_value(r->id, r->f[i].name, strlen(r->f[i].name),
		    &r->f[i].v, false);
		putchar('\n');
	}
	return (0);
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	uint8_t id[SCHEMA_ID_LEN];
	const struct coll_def *c;
	char err[STORE_ERRLEN];
	long n;

	cli_no_more_opts(argc, argv, "show");
	if (argc != 2)
		cli_fail(EXIT_USAGE, "show: give COLLECTION ID");
	c = cli_coll(argv[0]);
	cli_parse_id(argv[1], id);
	cli_open(cli, false);
	viewer = cli;
	human_flags = LOG_ESC_MULTILINE;
	(void)cli_conf(cli);	/* Before any query: it runs one. */
	if ((n = query_records(cli->db, c, id, NULL, 0, false, show_cb, cli,
	    err)) < 0)
		cli_fail(EXIT_REFUSED, "show: %s", err);
	if (n == 0)
		cli_fail(EXIT_REFUSED, "show: no live %s record %s", c->name,
		    argv[1]);
	return (0);
}

struct list_ctx {
	struct cli	*cli;
	char		cutoff[11];	/* Directory: verified before = stale. */
};

static bool
is_stale(const struct list_ctx *lc, const struct rview *r)
{
	size_t i;

	if (strcmp(r->c->name, "directory") != 0)
		return (false);
	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, "verified_on") == 0)
			return (r->f[i].v.t != VAL_STR || r->f[i].v.len != 10 ||
			    memcmp(r->f[i].v.s, lc->cutoff, 10) < 0);
	return (true);
}

static int
list_cb(void *arg, const struct rview *r)
{
	struct list_ctx *lc = arg;
	char hex[2 * SCHEMA_ID_LEN + 1];
	const struct field_def *f;
	size_t i;

	if (lc->cli->json) {
		if (strcmp(r->c->name, "directory") == 0)
			put_record(r, "_stale", is_stale(lc, r));
		else
			put_record(r, NULL, false);
		return (0);
	}
	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	printf("%s", hex);
	for (f = r->c->fields; f->name != NULL; f++) {
		if (!f->list)
			continue;
		for (i = 0; i < r->nf; i++)
			if (strcmp(r->f[i].name, f->name) == 0)
				break;
		printf("  ");
		if (i < r->nf)
			put_value(r->id, f->name, strlen(f->name),
			    &r->f[i].v, false);
		else
			printf("-");
	}
	if (is_stale(lc, r))
		printf("  STALE (not verified in %d days)", STALE_DAYS);
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
	struct rview_field filt[SCHEMA_MAX_FIELDS];
	const struct field_def *f;
	struct list_ctx lc;
	const struct coll_def *c;
	char err[STORE_ERRLEN], what[64];
	time_t t;
	struct tm tm;
	int i;

	cli_no_more_opts(argc, argv, "list");
	if (argc < 1)
		cli_fail(EXIT_USAGE, "list: give COLLECTION");
	c = cli_coll(argv[0]);
	if (argc - 1 > SCHEMA_MAX_FIELDS)
		cli_fail(EXIT_USAGE, "list: too many filters");
	snprintf(what, sizeof(what), "list %s", c->name);
	for (i = 1; i < argc; i++) {
		cli_field_arg(c, argv[i], &f, &filt[i - 1].v, what);
		filt[i - 1].name = f->name;
	}
	lc.cli = cli;
	t = (time_t)(cli_now_ms() / 1000) - (time_t)STALE_DAYS * 86400;
	gmtime_r(&t, &tm);
	strftime(lc.cutoff, sizeof(lc.cutoff), "%Y-%m-%d", &tm);
	cli_open(cli, false);
	viewer = cli;
	(void)cli_conf(cli);	/* Before any query: it runs one. */
	if (!cli->json) {
		printf("id");
		for (f = c->fields; f->name != NULL; f++)
			if (f->list)
				printf("  %s", f->name);
		if (strcmp(c->name, "members") == 0)
			printf("  ended");
		putchar('\n');
	}
	if (query_records(cli->db, c, NULL, filt, (size_t)argc - 1, false,
	    list_cb, &lc, err) < 0)
		cli_fail(EXIT_REFUSED, "list: %s", err);
	return (0);
}

/* The record cmd_history() shows. */
static uint8_t hist_id[SCHEMA_ID_LEN];

static int
history_cb(void *arg, const struct hview *h)
{
	struct cli *cli = arg;
	char tm[32], node[128], hex[2 * COMMIT_KEY_LEN + 1], enode[512];

	cli_time(h->hlc, tm);
	query_node_name(cli->db, h->origin, node, sizeof(node));
	hex_encode(h->origin, COMMIT_KEY_LEN, hex);
	if (cli->json) {
		printf("{\"field\":");
		json_put_str(stdout, h->field, h->field_len);
		printf(",\"node\":");
		json_put_str(stdout, node, strlen(node));
		printf(",\"origin\":\"%s\",\"seq\":%llu,\"time\":\"%s\","
		    "\"value\":", hex, (unsigned long long)h->seq, tm);
		put_value(hist_id, h->field, h->field_len, &h->v, true);
		puts("}");
		return (0);
	}
	printf("%s  %-16s ", tm, log_esc(enode, sizeof(enode), node,
	    strlen(node), 0));
	log_esc_put(stdout, h->field, h->field_len, 0);
	printf(" = ");
	put_value(hist_id, h->field, h->field_len, &h->v, false);
	putchar('\n');
	return (0);
}

int
cmd_history(struct cli *cli, int argc, char **argv)
{
	uint8_t id[SCHEMA_ID_LEN];
	const struct coll_def *c;
	char err[STORE_ERRLEN];
	long n;

	cli_no_more_opts(argc, argv, "history");
	if (argc != 2)
		cli_fail(EXIT_USAGE, "history: give COLLECTION ID");
	c = cli_coll(argv[0]);
	cli_parse_id(argv[1], id);
	cli_open(cli, false);
	viewer = cli;
	(void)cli_conf(cli);	/* Before any query: it runs one. */
	memcpy(hist_id, id, SCHEMA_ID_LEN);
	if ((n = query_history(cli->db, c, id, history_cb, cli, err)) < 0)
		cli_fail(EXIT_REFUSED, "history: %s", err);
	if (n == 0)
		cli_fail(EXIT_REFUSED, "history: no %s record %s", c->name,
		    argv[1]);
	return (0);
}

static int
conflict_cb(void *arg, const struct cview *cv)
{
	struct cli *cli = arg;
	char tm[32], node[128], hex[2 * COMMIT_KEY_LEN + 1], enode[512];
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
		query_node_name(cli->db, cv->h[i].origin, node, sizeof(node));
		if (!cli->json) {
			printf("  %s  %-16s ", tm, log_esc(enode,
			    sizeof(enode), node, strlen(node), 0));
			put_value(cv->id, cv->field, strlen(cv->field),
			    &cv->h[i].v, false);
			putchar('\n');
			continue;
		}
		hex_encode(cv->h[i].origin, COMMIT_KEY_LEN, hex);
		printf("%s{\"node\":", i ? "," : "");
		json_put_str(stdout, node, strlen(node));
		printf(",\"origin\":\"%s\",\"time\":\"%s\",\"value\":", hex,
		    tm);
		put_value(cv->id, cv->field, strlen(cv->field),
		    &cv->h[i].v, true);
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
	char err[STORE_ERRLEN];
	long n;

	cli_no_more_opts(argc, argv, "conflicts");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "conflicts: takes no arguments");
	cli_open(cli, false);
	viewer = cli;
	(void)cli_conf(cli);	/* Before any query: it runs one. */
	db_read_begin(cli->db);
	if ((n = query_conflicts(cli->db, conflict_cb, cli, err)) < 0)
		cli_fail(EXIT_REFUSED, "conflicts: %s", err);
	db_read_end(cli->db);
	if (n == 0 && !cli->json)
		printf("no open conflicts\n");
	return (0);
}

struct stats_ctx {
	struct cli	*cli;
	const char	**by;
	size_t		nby;
	size_t		order[SCHEMA_MAX_FIELDS + 1];	/* JSON key order. */
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

int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	const char *by[SCHEMA_MAX_FIELDS];
	struct stats_ctx s;
	const struct coll_def *c;
	const char *opt;
	char *list, *tok, *save, err[STORE_ERRLEN];
	size_t i, j, t;

	opt = cli_opt(&argc, argv, "--by");
	cli_no_more_opts(argc, argv, "stats");
	if (argc != 1 || opt == NULL)
		cli_fail(EXIT_USAGE, "stats: give COLLECTION --by "
		    "FIELD[,FIELD...]");
	c = cli_coll(argv[0]);
	if ((list = strdup(opt)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	memset(&s, 0, sizeof(s));
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (s.nby == SCHEMA_MAX_FIELDS)
			cli_fail(EXIT_USAGE, "stats: too many fields");
		if (!(strcmp(tok, "month") == 0 && schema_field(c, "opened_at",
		    9) != NULL) && (tok[0] == '_' ||
		    schema_field(c, tok, strlen(tok)) == NULL))
			cli_fail(EXIT_USAGE, "stats: unknown field '%.40s' for "
			    "%s", tok, c->name);
		by[s.nby++] = tok;
	}
	if (s.nby == 0)
		cli_fail(EXIT_USAGE, "stats: --by needs at least one field");
	s.cli = cli;
	s.by = by;
	/* JSON keys sorted: the fields and "count". */
	for (i = 0; i <= s.nby; i++)
		s.order[i] = i;
	for (i = 1; i <= s.nby; i++)
		for (j = i; j > 0; j--) {
			const char *a = s.order[j - 1] == s.nby ? "count" :
			    by[s.order[j - 1]];
			const char *b = s.order[j] == s.nby ? "count" :
			    by[s.order[j]];

			if (strcmp(a, b) <= 0)
				break;
			t = s.order[j];
			s.order[j] = s.order[j - 1];
			s.order[j - 1] = t;
		}
	cli_open(cli, false);
	if (!cli->json) {
		for (i = 0; i < s.nby; i++)
			printf("%s\t", by[i]);
		printf("count\n");
	}
	if (query_stats(cli->db, c, by, s.nby, stats_cb, &s, err) < 0)
		cli_fail(EXIT_REFUSED, "stats: %s", err);
	free(list);
	return (0);
}

int
cmd_guide(struct cli *cli, int argc, char **argv)
{
	const struct coll_def *c = schema_coll("guides");
	const struct field_def *body = schema_field(c, "body", 4), *f;
	uint8_t id[SCHEMA_ID_LEN];
	char hex[2 * SCHEMA_ID_LEN + 1], err[STORE_ERRLEN], why[256];
	char *buf = NULL, **fargs;
	const char *idarg = NULL;
	struct val v;
	size_t len = 0, nf = 0;
	bool has_title = false, has_lang = false;
	FILE *fp;
	int i;

	cli_no_more_opts(argc, argv, "guide");
	if (argc < 2 || strcmp(argv[0], "publish") != 0)
		cli_fail(EXIT_USAGE, "guide: usage: guide publish FILE "
		    "title=T language=L [version_label=V] [ID]");
	if ((fargs = calloc((size_t)argc, sizeof(*fargs))) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	for (i = 2; i < argc; i++) {
		if (strchr(argv[i], '=') == NULL) {
			if (idarg != NULL)
				cli_fail(EXIT_USAGE, "guide publish: more than "
				    "one ID given");
			idarg = argv[i];
			continue;
		}
		cli_field_arg(c, argv[i], &f, &v, "guide publish");
		if (f == body)
			cli_fail(EXIT_USAGE, "guide publish: the body comes "
			    "from FILE");
		has_title |= strcmp(f->name, "title") == 0;
		has_lang |= strcmp(f->name, "language") == 0;
		fargs[nf++] = argv[i];
	}
	if (idarg == NULL && (!has_title || !has_lang))
		cli_fail(EXIT_USAGE, "guide publish: title=... and language=..."
		    " are required for a new guide");
	if ((fp = fopen(argv[1], "rb")) == NULL)
		cli_fail(EXIT_REFUSED, "guide publish: %s: %s", argv[1],
		    strerror(errno));
	if ((buf = malloc(body->max_len + 1)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	len = fread(buf, 1, body->max_len + 1, fp);
	if (ferror(fp))
		cli_fail(EXIT_REFUSED, "guide publish: %s: read error",
		    argv[1]);
	fclose(fp);
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = buf;
	v.len = len;
	if (len > body->max_len)
		cli_fail(EXIT_REFUSED, "guide publish: %s is larger than %zu "
		    "bytes; split the guide", argv[1], body->max_len);
	if (schema_check(body, &v, why, sizeof(why)))
		cli_fail(EXIT_REFUSED, "guide publish: %s %s", argv[1], why);
	cli_open(cli, true);
	if (idarg != NULL) {
		cli_parse_id(idarg, id);
		need_record(cli, c, id, idarg, "guide publish");
	} else
		randombytes_buf(id, sizeof(id));
	cli_may_write(cli, c, id, idarg == NULL, NULL, "guide publish");
	if (db_begin(cli->db, cli_now_ms(), err))
		cli_fail(EXIT_REFUSED, "guide publish: %s", err);
	for (i = 0; i < (int)nf; i++) {
		struct val fv;

		cli_field_arg(c, fargs[i], &f, &fv, "guide publish");
		if (db_put(cli->db, c, id, f, &fv, err))
			goto fail;
	}
	if (db_put(cli->db, c, id, body, &v, err) || db_commit(cli->db, err))
		goto fail;
	hex_encode(id, SCHEMA_ID_LEN, hex);
	printf("%s\n", hex);
	cli_warn_commit(cli);
	free(buf);
	free(fargs);
	return (0);
fail:
	db_rollback(cli->db);
	cli_fail(EXIT_REFUSED, "guide publish: %s; nothing was published",
	    err);
}

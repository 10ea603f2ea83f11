/*
 * cmd_search.c: search — consultations by client name, phone, case number
 * or words of the summary.  The index is built for this call alone, in
 * memory, and wiped before the command exits (agent/ops/search.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/codec/json.h"
#include "agent/daemon/log.h"
#include "agent/ops/search.h"

struct search_ctx {
	struct cli	*cli;
	size_t		n;
};

static void
json_kv(const char *key, const char *v, bool last)
{

	printf("\"%s\":", key);
	json_put_str(stdout, v, strlen(v));
	putchar(last ? '}' : ',');
}

static void
cell(const char *v, bool last)
{

	log_esc_put(stdout, *v ? v : "-", *v ? strlen(v) : 1, 0);
	fputs(last ? "\n" : "  ", stdout);
}

static int
hit_cb(void *arg, const struct ops_hit *h)
{
	struct search_ctx *sc = arg;

	if (sc->cli->json) {
		putchar('{');
		json_kv("case_no", h->case_no, false);
		json_kv("center", h->center, false);
		json_kv("client_name", h->client_name, false);
		json_kv("id", h->id, false);
		json_kv("opened_at", h->opened_at, false);
		json_kv("status", h->status, false);
		json_kv("topic", h->topic, true);
		putchar('\n');
	} else {
		if (sc->n == 0)
			printf("case  opened_at  center  topic  status  "
			    "client_name\n");
		cell(h->case_no, false);
		cell(h->opened_at, false);
		cell(h->center, false);
		cell(h->topic, false);
		cell(h->status, false);
		cell(h->client_name, true);
	}
	sc->n++;
	return (0);
}

int
cmd_search(struct cli *cli, int argc, char **argv)
{
	struct ops_search_args a;
	struct search_ctx sc;
	struct ops_err e;
	struct ops o;
	bool more;

	cli_no_more_opts(argc, argv, "search");
	if (argc != 1)
		cli_fail(EXIT_USAGE, "search: give TEXT, one argument (quote "
		    "it: hamroh search \"Рахимов Фарход\")");
	memset(&a, 0, sizeof(a));
	a.text = argv[0];
	a.len = strlen(argv[0]);
	sc.cli = cli;
	sc.n = 0;
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_search(&o, &a, hit_cb, &sc, &more, &e))
		cli_ops_fail(cli, "search", &e);
	ops_fini(&o);
	if (!cli->json && sc.n == 0)
		fprintf(stderr, "hamroh: search: no consultation matches\n");
	if (!cli->json && more)
		fprintf(stderr, "hamroh: search: only the newest %d shown; add "
		    "a word to narrow it\n", OPS_SEARCH_LIMIT);
	return (0);
}

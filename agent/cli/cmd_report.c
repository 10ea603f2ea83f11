/*
 * cmd_report.c: hamroh report (agent/report/run.h): a named layout or
 * groupings of one's own, as a terminal table or JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/report/run.h"

static void
report_list(void)
{
	const struct report_layout *l;
	size_t i, n;

	l = report_layouts(&n);
	for (i = 0; i < n; i++)
		printf("%-14s %s\n", l[i].name, ops_template("en", l[i].desc));
}

int
cmd_report(struct cli *cli, int argc, char **argv)
{
	const char *by[REPORT_MAX_DIMS + 1];
	struct report_args a;
	struct ops_field *f;
	struct report r;
	struct ops_err e;
	struct ops o;
	const char *opt, *eq;
	char *list = NULL, *tok, *save, cut[48];
	bool lst;
	int i;

	memset(&a, 0, sizeof(a));
	opt = cli_opt(&argc, argv, "--by");
	a.from = cli_opt(&argc, argv, "--from");
	a.to = cli_opt(&argc, argv, "--to");
	a.on = cli_opt(&argc, argv, "--on");
	a.count = cli_opt(&argc, argv, "--count");
	a.no_suppress = cli_flag(&argc, argv, "--no-suppress");
	lst = cli_flag(&argc, argv, "--list");
	cli_no_more_opts(argc, argv, "report");
	if (lst) {
		if (argc > 0 || opt != NULL || a.from != NULL || a.to != NULL ||
		    a.on != NULL || a.count != NULL || a.no_suppress)
			cli_die(EXIT_USAGE, "report",
			    OPS_MSG_CLI_REPORT_LIST_ARGS, 0);
		report_list();
		return (0);
	}
	/* A first argument without '=' names a layout. */
	if (argc > 0 && strchr(argv[0], '=') == NULL) {
		a.name = argv[0];
		argc--;
		argv++;
	}
	if (opt != NULL) {
		if ((list = strdup(opt)) == NULL)
			cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
		for (tok = strtok_r(list, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (a.nby == REPORT_MAX_DIMS)
				cli_die(EXIT_USAGE, "report",
				    OPS_MSG_REPORT_TOO_MANY_BY, 0);
			by[a.nby++] = tok;
		}
		a.by = by;
	}
	if ((f = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*f))) == NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	for (i = 0; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL)
			cli_die(EXIT_USAGE, "report", OPS_MSG_CLI_REPORT_ARG,
			    1, cli_cut(cut, sizeof(cut), argv[i], 40));
		f[i].name = argv[i];
		f[i].name_len = (size_t)(eq - argv[i]);
		f[i].text = eq + 1;
		f[i].len = strlen(eq + 1);
	}
	a.filters = f;
	a.nfilters = (size_t)argc;
	/* What was asked is checked before the node is opened. */
	if (ops_report_check(&a, &e))
		cli_ops_fail(cli, "report", &e);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_report(&o, &a, &r, &e)) {
		report_free(&r);
		cli_ops_fail(cli, "report", &e);
	}
	if (cli->json)
		report_print_json(stdout, &r);
	else
		report_print_text(stdout, &r);
	report_free(&r);
	ops_fini(&o);
	free(f);
	free(list);
	return (0);
}

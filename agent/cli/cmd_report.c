/*
 * cmd_report.c: hamroh report (agent/report/run.h): a named layout or
 * groupings of one's own, as a terminal table, JSON, CSV on stdout or
 * an Excel workbook (agent/report/fmt.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/report/fmt.h"
#include "agent/report/run.h"

/* Where the report goes: one of them, checked before the node opens. */
struct report_out {
	bool		csv;
	char		sep;
	const char	*xlsx;		/* FILE, or NULL. */
};

static void
report_out_check(struct cli *cli, struct report_out *out,
    const char *sepopt)
{
	struct ops_err e;
	char cut[48];

	if ((cli->json ? 1 : 0) + (out->csv ? 1 : 0) +
	    (out->xlsx != NULL ? 1 : 0) > 1)
		cli_die(EXIT_USAGE, "report", OPS_MSG_CLI_REPORT_FORMATS, 0);
	if (sepopt != NULL && !out->csv)
		cli_die(EXIT_USAGE, "report", OPS_MSG_EXPORT_CSV_SEP_ALONE, 0);
	if (fmt_csv_sep(sepopt, &out->sep, &e))
		cli_ops_fail(cli, "report", &e);
	/* A workbook is no use on a terminal, and "-x" is a typo. */
	if (out->xlsx != NULL && (out->xlsx[0] == '\0' || out->xlsx[0] == '-'))
		cli_die(EXIT_USAGE, "report", OPS_MSG_CLI_REPORT_XLSX_FILE, 1,
		    cli_cut(cut, sizeof(cut), out->xlsx, 40));
}

static void
report_write(struct cli *cli, const struct report *r,
    const struct report_out *out)
{
	struct ops_err e;
	char line[OPS_ARG_MAX + 128];

	if (out->xlsx != NULL) {
		if (report_xlsx(out->xlsx, r, "en", &e))
			cli_ops_fail(cli, "report", &e);
		(void)ops_fail(&e, OPS_OK, OPS_MSG_CLI_REPORT_XLSX_WROTE, 1,
		    out->xlsx);
		printf("%s\n", ops_text("en", &e, line, sizeof(line)));
		return;
	}
	if (out->csv) {
		if (report_csv(stdout, r, out->sep, "en", &e))
			cli_ops_fail(cli, "report", &e);
		return;
	}
	if (cli->json)
		report_print_json(stdout, r);
	else
		report_print_text(stdout, r);
}

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
	struct report_out out;
	struct ops_err e;
	struct ops o;
	const char *opt, *eq, *sepopt;
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
	memset(&out, 0, sizeof(out));
	out.csv = cli_flag(&argc, argv, "--csv");
	sepopt = cli_opt(&argc, argv, "--csv-sep");
	out.xlsx = cli_opt(&argc, argv, "--xlsx");
	cli_no_more_opts(argc, argv, "report");
	if (lst) {
		if (argc > 0 || opt != NULL || a.from != NULL || a.to != NULL ||
		    a.on != NULL || a.count != NULL || a.no_suppress ||
		    out.csv || sepopt != NULL || out.xlsx != NULL)
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
	report_out_check(cli, &out, sepopt);
	if (ops_report_check(&a, &e))
		cli_ops_fail(cli, "report", &e);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_report(&o, &a, &r, &e)) {
		report_free(&r);
		cli_ops_fail(cli, "report", &e);
	}
	report_write(cli, &r, &out);
	report_free(&r);
	ops_fini(&o);
	free(f);
	free(list);
	return (0);
}

/*
 * cmd_bundle.c: bundle export / import — sync by carrying a file
 * (the operations: agent/ops/bundle.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/ops/node.h"

static int
bundle_export(struct cli *cli, int argc, char **argv)
{
	struct ops_bundle_export_args a;
	const char *since;
	struct ops_err e;
	struct ops_vec v;
	struct ops o;
	uint64_t n;

	since = cli_opt(&argc, argv, "--since");
	cli_no_more_opts(argc, argv, "bundle");
	if (argc != 1)
		cli_die(EXIT_USAGE, "bundle export", OPS_MSG_CLI_ONE_FILE, 0);
	memset(&v, 0, sizeof(v));
	if (since != NULL && ops_vec_read(since, &v, &e))
		cli_ops_fail(cli, "bundle export", &e);
	cli_open(cli, false);
	cli_ops(cli, &o);
	memset(&a, 0, sizeof(a));
	a.since = since != NULL ? &v : NULL;
	a.path = argv[0];
	if (ops_bundle_export(&o, &a, &n, &e))
		cli_ops_fail(cli, "bundle export", &e);
	printf("wrote %llu changes to %s\n", (unsigned long long)n, argv[0]);
	ops_vec_free(&v);
	ops_fini(&o);
	return (0);
}

static int
bundle_import(struct cli *cli, int argc, char **argv)
{
	struct ops_bundle_import_args a;
	struct ops_bundle_import_res r;
	const struct db_counts *dc = &r.dc;
	struct ops_err e;
	struct ops o;
	FILE *f;

	cli_no_more_opts(argc, argv, "bundle");
	if (argc != 1)
		cli_die(EXIT_USAGE, "bundle import", OPS_MSG_CLI_ONE_FILE, 0);
	/* The file first: a wrong name is told before the node is opened. */
	if ((f = fopen(argv[0], "rb")) == NULL) {
		ops_fail(&e, OPS_IO, OPS_MSG_FILE_ERROR, 2, argv[0],
		    strerror(errno));
		e.tail = OPS_MSG_NONE;
		e.line = 0;
		e.cause[0] = '\0';
		cli_ops_fail(cli, "bundle import", &e);
	}
	/* Our key names us as the observer of clocks its commits show. */
	cli_open(cli, true);
	cli_ops(cli, &o);
	a.in = f;
	a.path = argv[0];
	if (ops_bundle_import(&o, &a, &r, &e))
		cli_ops_fail(cli, "bundle import", &e);
	fclose(f);
	/* In the README's words; the log's own under --verbose. */
	if (cli->verbose)
		printf("%ld commits read: %llu applied, %llu already held, "
		    "%llu held back for a gap, %llu released from earlier "
		    "gaps", r.n, (unsigned long long)dc->applied,
		    (unsigned long long)dc->duplicate,
		    (unsigned long long)dc->held,
		    (unsigned long long)dc->released);
	else
		printf("%ld changes read: %llu applied, %llu this office "
		    "already had, %llu waiting for earlier changes of their "
		    "office, %llu that had waited applied now", r.n,
		    (unsigned long long)dc->applied,
		    (unsigned long long)dc->duplicate,
		    (unsigned long long)dc->held,
		    (unsigned long long)dc->released);
	if (dc->refused > 0)
		printf("; %llu of them refused as a whole, bad on their own"
		    " (see 'hamroh audit')", (unsigned long long)dc->refused);
	if (dc->strangers + dc->dropped > 0)
		printf("; %llu from nodes no certificate names set aside, %llu"
		    " such dropped (see 'hamroh status')",
		    (unsigned long long)dc->strangers,
		    (unsigned long long)dc->dropped);
	printf("\n");
	ops_fini(&o);
	return (0);
}

int
cmd_bundle(struct cli *cli, int argc, char **argv)
{

	if (argc >= 1 && strcmp(argv[0], "export") == 0)
		return (bundle_export(cli, argc - 1, argv + 1));
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return (bundle_import(cli, argc - 1, argv + 1));
	cli_die(EXIT_USAGE, "bundle", OPS_MSG_CLI_BUNDLE_USAGE, 0);
}

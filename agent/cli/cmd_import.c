/*
 * cmd_import.c: import COLLECTION FILE — JSON Lines or CSV, all or nothing
 * (agent/ops/import.c does the work).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/ops/ops.h"

int
cmd_import(struct cli *cli, int argc, char **argv)
{
	struct ops_import_args a;
	struct ops_err e;
	struct ops o;
	char what[4200];
	size_t fl;
	long n;

	cli_no_more_opts(argc, argv, "import");
	if (argc != 2)
		cli_die(EXIT_USAGE, "import", OPS_MSG_CLI_IMPORT_USAGE, 0);
	memset(&a, 0, sizeof(a));
	a.coll = cli_coll(argv[0])->name;
	if (strcmp(argv[1], "-") == 0)
		a.in = stdin;
	else if ((a.in = fopen(argv[1], "rb")) == NULL)
		cli_die(EXIT_REFUSED, NULL, OPS_MSG_CLI_IMPORT_OPEN, 2, argv[1],
		    strerror(errno));
	fl = strlen(argv[1]);
	a.csv = fl > 4 && strcmp(argv[1] + fl - 4, ".csv") == 0;
	snprintf(what, sizeof(what), "import %s", argv[1]);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_import(&o, &a, &n, &e))
		cli_ops_fail(cli, what, &e);
	if (a.in != stdin)
		fclose(a.in);
	printf("imported %ld records into %s\n", n, a.coll);
	cli_warn_commit(cli);
	ops_fini(&o);
	return (0);
}

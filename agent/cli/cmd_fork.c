/*
 * cmd_fork.c: restore, fork list, fork recommit — the commands that
 * continue a node under a successor key: argv and printing; the
 * operations are agent/ops/successor.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/ops/successor.h"

/* Each office's key that signed two histories, from which change on. */
static int
list_cb(void *arg, const struct ops_fork_branch *f)
{
	(void)arg;
	printf("%s from its change %llu on: ", f->key,
	    (unsigned long long)f->seq);
	if (!f->self)
		printf("another office; on it, 'hamroh fork recommit' keeps "
		    "its branch\n");
	else if (f->changes == 0)
		printf("THIS OFFICE; this copy wrote nothing from there on: "
		    "nothing to write again here\n");
	else
		printf("THIS OFFICE; this copy's branch %s: %llu changes, %zu "
		    "field values ('hamroh fork recommit --branch %s' writes "
		    "them again)\n", f->branch,
		    (unsigned long long)f->changes, f->values, f->branch);
	return (0);
}

/*
 * fork recommit [--branch HASH]: on the forked office itself, the copy
 * whose writes are to stand.  HASH (a prefix, as 'fork list' prints it)
 * makes sure it is the copy meant.
 */
static int
fork_recommit(struct cli *cli, int argc, char **argv)
{
	struct ops_fork_recommit_args a;
	struct ops_fork_recommitted out;
	struct ops_err e;
	struct ops o;

	a.branch = cli_opt(&argc, argv, "--branch");
	cli_no_more_opts(argc, argv, "fork recommit");
	if (argc > 0)
		cli_die(EXIT_USAGE, "fork recommit",
		    OPS_MSG_CLI_FORK_RECOMMIT_ARGS, 0);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_fork_recommit(&o, &a, &out, &e))
		cli_ops_fail(cli, e.key == OPS_MSG_FORK_READ ? "fork" :
		    "fork recommit", &e);
	printf("branch %s: %zu field values of %llu changes written again "
	    "under this node's new key %s, the successor of the old one "
	    "after its change %llu; stop the other copy for good\n",
	    out.branch, out.values, (unsigned long long)out.changes, out.key,
	    (unsigned long long)out.from);
	printf("a peer that does not hold the new key yet refuses its dial: "
	    "let it dial this node once ('hamroh peer add' there), or carry "
	    "a bundle to it\n");
	ops_fini(&o);
	return (0);
}

int
cmd_fork(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;
	long n;

	if (argc >= 1 && strcmp(argv[0], "recommit") == 0)
		return (fork_recommit(cli, argc - 1, argv + 1));
	if (argc < 1 || strcmp(argv[0], "list") != 0)
		cli_die(EXIT_USAGE, "fork", OPS_MSG_CLI_FORK_USAGE, 0);
	cli_no_more_opts(argc - 1, argv + 1, "fork list");
	if (argc > 1)
		cli_die(EXIT_USAGE, "fork list", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, true);	/* Which key is this node's. */
	cli_ops(cli, &o);
	if (ops_fork_list(&o, list_cb, NULL, &n, &e))
		cli_ops_fail(cli, e.key == OPS_MSG_FORK_READ ? "fork" :
		    "fork list", &e);
	if (n == 0)
		printf("no fork: every office signed one history\n");
	ops_fini(&o);
	return (0);
}

/*
 * restore BACKUP (PROTOCOL.md, Successors): a node from its backup and
 * its key files, under a fresh key (agent/ops/successor.c says why).
 */
int
cmd_restore(struct cli *cli, int argc, char **argv)
{
	struct ops_restore_args a;
	struct ops_restored out;
	struct ops_err e;

	cli_no_more_opts(argc, argv, "restore");
	if (argc != 1)
		cli_die(EXIT_USAGE, "restore", OPS_MSG_CLI_RESTORE_USAGE, 0);
	a.backup = argv[0];
	if (ops_restore(cli->dir, &a, cli_now_ms(), &out, &e))
		cli_ops_fail(cli, e.key == OPS_MSG_NOMEM ? NULL : "restore",
		    &e);
	printf("restored %s into %s\n", argv[0], cli->dir);
	printf("this node continues under the new key %s, the successor of "
	    "the one it was restored from (never signing as that one, so "
	    "it never forks); peers admit it as the old key, and what the "
	    "old key wrote after the backup reaches it when it syncs\n",
	    out.key);
	return (0);
}

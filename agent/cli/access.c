/*
 * access.c: the CLI's exiting forms of the node's key ring and of the
 * operations' errors (agent/access/ and agent/ops/ never exit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/access/confidential.h"
#include "agent/cli/cli.h"
#include "agent/ops/ops.h"

int
conf_deliver(struct cli *cli, const struct conf_key *k, const uint8_t *skip,
    size_t *sent, char err[STORE_ERRLEN])
{

	return (conf_deliver_db(cli->db, k, skip, cli_now_ms(), sent, err));
}

static uint64_t
ops_clock(void *arg)
{

	(void)arg;
	return (cli_now_ms());
}

void
cli_ops(struct cli *cli, struct ops *o)
{

	ops_init(o, cli->db, cli->dir, ops_clock, NULL);
	if (cli->user != NULL) {
		o->signin = cli_signin;
		o->signin_arg = cli;
	}
}

/*
 * Exit codes as they always were (README, Commands): 2 for a usage or
 * environment error (out of memory included), 1 when the operation
 * failed or was refused.
 */
int
cli_ops_exit(int code)
{

	switch ((enum ops_code)code) {
	case OPS_OK:
		return (0);
	case OPS_USAGE:
	case OPS_ENV:
	case OPS_NOMEM:
		return (EXIT_USAGE);
	case OPS_BAD_INPUT:
	case OPS_NOT_FOUND:
	case OPS_DENIED:
	case OPS_BUSY:
	case OPS_STORE:
	case OPS_IO:
		break;
	}
	return (EXIT_REFUSED);
}

void
cli_ops_fail(struct cli *cli, const char *what, const struct ops_err *e)
{
	char msg[2048];

	ops_text("en", e, msg, sizeof(msg));
	fflush(stdout);
	if (what != NULL && *what != '\0')
		fprintf(stderr, "hamroh: %s: %s\n", what, msg);
	else
		fprintf(stderr, "hamroh: %s\n", msg);
	if (cli->verbose)
		fprintf(stderr, "hamroh: (%s%s%s)\n", ops_key_name(e->key),
		    e->cause[0] ? ": " : "", e->cause);
	exit(cli_ops_exit(e->code));
}

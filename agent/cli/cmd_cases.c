/*
 * cmd_cases.c: the managed list of centers (center add, center list).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/codec/json.h"
#include "agent/daemon/log.h"
#include "agent/codec/hex.h"
#include "agent/ops/cases.h"
#include "agent/ops/centers.h"

/* center add CODE NAME [--prefix XYZ] [--region R] [--name-tg T] ... */
static int
center_add(struct cli *cli, int argc, char **argv)
{
	struct ops_center a;
	char prefix[CENTER_PREFIX_LEN + 1];
	struct ops_err e;
	struct ops o;

	memset(&a, 0, sizeof(a));
	a.prefix = cli_opt(&argc, argv, "--prefix");
	a.region = cli_opt(&argc, argv, "--region");
	a.name_tg = cli_opt(&argc, argv, "--name-tg");
	a.name_ru = cli_opt(&argc, argv, "--name-ru");
	cli_no_more_opts(argc, argv, "center add");
	if (argc != 2)
		cli_fail(EXIT_USAGE, "center add: give CODE NAME (e.g. KHJ "
		    "\"Khujand information center\"; quote a NAME with "
		    "spaces)");
	a.code = argv[0];
	a.name = argv[1];
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_center_add(&o, &a, prefix, &e))
		cli_ops_fail(cli, "center add", &e);
	printf("center %s (%s), case numbers %s-...\n", a.code, a.name,
	    prefix);
	cli_warn_commit(cli);
	ops_fini(&o);
	return (0);
}

static void
put_opt(const char *s)
{
	char esc[1024];

	printf("  %s", s == NULL || *s == '\0' ? "-" : log_esc(esc,
	    sizeof(esc), s, strlen(s), 0));
}

static void
json_kv(const char *k, const char *v, bool first)
{

	printf("%s\"%s\":", first ? "" : ",", k);
	if (v == NULL)
		printf("null");
	else
		json_put_str(stdout, v, strlen(v));
}

static int
center_cb(void *arg, const struct ops_center *c)
{
	struct cli *cli = arg;

	if (cli->json) {
		putchar('{');
		json_kv("code", c->code, true);
		json_kv("name", c->name, false);
		json_kv("name_ru", c->name_ru, false);
		json_kv("name_tg", c->name_tg, false);
		json_kv("prefix", c->prefix, false);
		json_kv("region", c->region, false);
		puts("}");
		return (0);
	}
	printf("%s", c->code);
	put_opt(c->prefix);
	put_opt(c->name);
	put_opt(c->region);
	put_opt(c->name_tg);
	put_opt(c->name_ru);
	putchar('\n');
	return (0);
}

static int
center_list(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;
	long n;

	cli_no_more_opts(argc, argv, "center list");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "center list: takes no arguments");
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (!cli->json)
		printf("code  prefix  name  region  name_tg  name_ru\n");
	if (ops_center_list(&o, center_cb, cli, &n, &e))
		cli_ops_fail(cli, "center list", &e);
	ops_fini(&o);
	return (0);
}

int
cmd_center(struct cli *cli, int argc, char **argv)
{

	if (argc > 0 && strcmp(argv[0], "add") == 0)
		return (center_add(cli, argc - 1, argv + 1));
	if (argc > 0 && strcmp(argv[0], "list") == 0)
		return (center_list(cli, argc - 1, argv + 1));
	cli_fail(EXIT_USAGE, "center: give add or list; see 'hamroh center "
	    "--help'");
}

static int
access_cb(void *arg, const struct db_access *a)
{
	struct cli *cli = arg;
	char when[32], hex[2 * SCHEMA_ID_LEN + 1] = "-";
	const char *actor = a->actor != NULL ? a->actor : "node only";
	struct tm tm;
	time_t t;

	t = (time_t)(a->at_ms / 1000);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (a->id != NULL)
		hex_encode(a->id, SCHEMA_ID_LEN, hex);
	if (cli->json) {
		printf("{\"actor\":");
		if (a->actor != NULL)
			json_put_str(stdout, a->actor, strlen(a->actor));
		else
			printf("null");
		printf(",\"at\":%llu", (unsigned long long)a->at_ms);
		json_kv("case_number", a->case_number, false);
		json_kv("id", a->id != NULL ? hex : NULL, false);
		json_kv("what", a->what, false);
		puts("}");
		return (0);
	}
	printf("%s  %s", when, a->what);
	put_opt(a->case_number);
	printf("  %s", hex);
	put_opt(actor);
	putchar('\n');
	return (0);
}

/*
 * With staff accounts, reading this log becomes an admin's
 * right; until then any user of the node's data dir reads it.
 */
int
cmd_access_log(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;
	long n;

	cli_no_more_opts(argc, argv, "access-log");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "access-log: takes no arguments");
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (!cli->json)
		printf("when  what  case_number  id  who\n");
	if (ops_access_log(&o, access_cb, cli, &n, &e))
		cli_ops_fail(cli, "access-log", &e);
	ops_fini(&o);
	return (0);
}

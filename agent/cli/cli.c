/*
 * cli.c: helpers shared by the CLI commands.
 */
#include "agent/cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/ops/node.h"
#include "store/hlc.h"

void
cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("hamroh: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void
cli_warn_commit(struct cli *cli)
{
	const char *w;

	if ((w = db_warning(cli->db)) != NULL) {
		fflush(stdout);
		fprintf(stderr, "hamroh: warning: %s\n", w);
	}
}

void
cli_die(int code, const char *what, enum ops_msg key, int nargs, ...)
{
	struct ops_err e;
	char msg[2048];
	va_list ap;

	memset(&e, 0, sizeof(e));
	va_start(ap, nargs);
	ops_vfail(&e, OPS_USAGE, key, nargs, ap);
	va_end(ap);
	ops_text("en", &e, msg, sizeof(msg));
	if (what != NULL && *what != '\0')
		cli_fail(code, "%s: %s", what, msg);
	cli_fail(code, "%s", msg);
}

const char *
cli_cut(char *buf, size_t len, const char *s, int max)
{

	snprintf(buf, len, "%.*s", max, s);
	return (buf);
}

int
cli_read_keyfile(struct cli *cli, const char *name, uint8_t *out, size_t len,
    const char *what)
{
	struct ops_err e;
	int rc;

	memset(&e, 0, sizeof(e));
	if ((rc = ops_read_keyfile(cli->dir, name, out, len, &e)) < 0)
		cli_ops_fail(cli, what, &e);
	return (rc);
}

/*
 * A join or network create that continued under a new key (PROTOCOL.md,
 * Successors) commits, then moves node.key.new over node.key: if it
 * stopped in between, the database names the new key (meta key) and
 * node.key.new holds it.  Finish the move, so that the node never signs
 * again with its retired key.
 */
static void
finish_successor(struct cli *cli, uint8_t *sk)
{
	char want[2 * NODE_KEY_LEN + 1], have[2 * NODE_KEY_LEN + 1];
	char from[4096], to[4096];

	if (db_meta_get(cli->db, "key", want, sizeof(want)) != 0)
		return;
	hex_encode(sk + NODE_SK_LEN - NODE_KEY_LEN, NODE_KEY_LEN, have);
	if (strcmp(want, have) == 0 || cli_read_keyfile(cli, KEY_FILE ".new",
	    sk, NODE_SK_LEN, "open") != 1)
		return;
	hex_encode(sk + NODE_SK_LEN - NODE_KEY_LEN, NODE_KEY_LEN, have);
	if (strcmp(want, have) != 0) {
		/* Not that: node.key as it was (the caller reads it again). */
		if (cli_read_keyfile(cli, KEY_FILE, sk, NODE_SK_LEN,
		    "open") != 1) {
			snprintf(from, sizeof(from), "%s/%s", cli->dir,
			    KEY_FILE);
			cli_die(EXIT_USAGE, NULL, OPS_MSG_NET_KEYFILE_MISSING,
			    1, from);
		}
		return;
	}
	snprintf(from, sizeof(from), "%s/%s.new", cli->dir, KEY_FILE);
	snprintf(to, sizeof(to), "%s/%s", cli->dir, KEY_FILE);
	if (rename(from, to) != 0)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_MOVE, 3, from, to,
		    strerror(errno));
}

/* Load the node key into the database handle: local commits are signed. */
static void
load_key(struct cli *cli)
{
	char path[4096];
	uint8_t *sk;

	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	if (cli_read_keyfile(cli, KEY_FILE, sk, NODE_SK_LEN, "open") != 1) {
		snprintf(path, sizeof(path), "%s/%s", cli->dir, KEY_FILE);
		cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_NO_NODE_KEY, 1, path);
	}
	finish_successor(cli, sk);
	if (db_set_signer(cli->db, sk))
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	sodium_free(sk);
}

void
cli_open(struct cli *cli, bool sign)
{
	char path[4096], err[STORE_ERRLEN];
	struct ops_err e;
	const char *lim;

	snprintf(path, sizeof(path), "%s/%s", cli->dir, DB_FILE);
	if (access(path, F_OK) != 0)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_NO_NODE, 1, cli->dir);
	if (db_open(&cli->db, path, false, err)) {
		/* A busy, damaged or unreadable database says what to do. */
		ops_store_fail(&e, err, OPS_MSG_NONE);
		if (e.key == OPS_MSG_STORE)
			cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_OPEN, 1, err);
		cli_die(EXIT_USAGE, NULL, e.key, 0);
	}
	/* Test-only: the database may not grow past N pages (a full disk). */
	if ((lim = getenv("HAMROH_MAX_PAGES")) != NULL && *lim &&
	    db_max_pages(cli->db, strtoull(lim, NULL, 10), err))
		cli_die(EXIT_USAGE, NULL, OPS_MSG_STORE, 1, err);
	if (sign)
		load_key(cli);
	if (db_meta_get(cli->db, "name", cli->name, sizeof(cli->name)))
		cli->name[0] = '\0';
}

void
cli_close(struct cli *cli)
{

	db_close(cli->db);
	cli->db = NULL;
}

const char *
cli_opt_next(int *argc, char **argv, const char *name)
{
	const char *v;
	size_t nl = strlen(name);
	int i, j, take;

	for (i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], name) == 0) {
			if (i + 1 >= *argc)
				cli_die(EXIT_USAGE, NULL,
				    OPS_MSG_CLI_OPT_NEEDS_VALUE, 1, name);
			v = argv[i + 1];
			take = 2;
		} else if (strncmp(argv[i], name, nl) == 0 &&
		    argv[i][nl] == '=') {
			v = argv[i] + nl + 1;
			take = 1;
		} else
			continue;
		for (j = i; j + take < *argc; j++)
			argv[j] = argv[j + take];
		*argc -= take;
		return (v);
	}
	return (NULL);
}

const char *
cli_opt(int *argc, char **argv, const char *name)
{
	const char *val;

	if ((val = cli_opt_next(argc, argv, name)) != NULL &&
	    cli_opt_next(argc, argv, name) != NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_OPT_TWICE, 1, name);
	return (val);
}

bool
cli_flag(int *argc, char **argv, const char *name)
{
	bool seen = false;
	int i, j;

	for (i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], name) != 0)
			continue;
		seen = true;
		for (j = i; j + 1 < *argc; j++)
			argv[j] = argv[j + 1];
		(*argc)--;
		i--;
	}
	return (seen);
}

void
cli_no_more_opts(int argc, char **argv, const char *cmd)
{
	int i;

	for (i = 0; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2])
			cli_die(EXIT_USAGE, cmd, OPS_MSG_CLI_OPT_UNKNOWN, 2,
			    argv[i], cmd);
}

uint64_t
cli_now_ms(void)
{
	struct timespec ts;
	const char *off;
	int64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	/* Test-only: pretend the wall clock is off by this many ms. */
	if ((off = getenv("HAMROH_CLOCK_OFFSET_MS")) != NULL && *off)
		ms += strtoll(off, NULL, 10);
	return (ms < 0 ? 0 : (uint64_t)ms);
}

void
cli_parse_id(const char *s, uint8_t id[SCHEMA_ID_LEN])
{
	struct ops_err e;

	memset(&e, 0, sizeof(e));
	if (ops_id(s, id, &e))
		cli_die(cli_ops_exit(e.code), NULL, e.key, 1, e.arg[0]);
}

const struct coll_def *
cli_coll(const char *name)
{
	const struct coll_def *c;
	struct ops_err e;

	memset(&e, 0, sizeof(e));
	if ((c = ops_coll(name, &e)) == NULL)
		cli_die(cli_ops_exit(e.code), NULL, e.key, 1, e.arg[0]);
	return (c);
}

void
cli_time(uint64_t h, char out[32])
{
	uint64_t ms = hlc_ms(h);
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ms % 1000));
}

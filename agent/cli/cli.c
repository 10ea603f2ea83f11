/*
 * cli.c: helpers shared by the CLI commands.
 */
#include "agent/cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/ops/ops.h"
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

/*
 * Read the ${len}-byte key file ${name} in the data dir into ${out}.
 * Return 1, or 0 if it does not exist; fail on anything else.
 */
int
cli_read_keyfile(struct cli *cli, const char *name, uint8_t *out, size_t len,
    const char *what)
{
	char path[4096];
	struct stat sb;
	uint8_t extra;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cli->dir, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return (0);
		cli_fail(EXIT_USAGE, "%s: key file %s: %s", what, path,
		    strerror(errno));
	}
	if (fstat(fd, &sb) == -1)
		cli_fail(EXIT_USAGE, "%s: key file %s: %s", what, path,
		    strerror(errno));
	if (sb.st_mode & 077)
		cli_fail(EXIT_USAGE, "%s: key file %s has mode %04o; run "
		    "'chmod 600 %s'", what, name,
		    (unsigned)(sb.st_mode & 07777), path);
	n = read(fd, out, len);
	if (n == (ssize_t)len && read(fd, &extra, 1) != 0)
		n = -1;
	close(fd);
	if (n != (ssize_t)len)
		cli_fail(EXIT_USAGE, "%s: key file %s is damaged (expected "
		    "%zu bytes); restore it from your key backup", what, path,
		    len);
	return (1);
}

/* This node's secret key, in locked memory; free with sodium_free(). */
uint8_t *
cli_load_sk(struct cli *cli, const char *what)
{
	uint8_t *sk;

	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	if (cli_read_keyfile(cli, KEY_FILE, sk, NODE_SK_LEN, what) != 1)
		cli_fail(EXIT_USAGE, "%s: key file %s/%s is missing", what,
		    cli->dir, KEY_FILE);
	/* libsodium's secret key ends with its public half. */
	if (sodium_memcmp(sk + NODE_SK_LEN - NODE_KEY_LEN,
	    db_node_key(cli->db), NODE_KEY_LEN) != 0)
		cli_fail(EXIT_USAGE, "%s: key file %s does not match this "
		    "node's key; restore it from your key backup", what,
		    KEY_FILE);
	return (sk);
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
		    "open") != 1)
			cli_fail(EXIT_USAGE, "key file %s/%s is missing",
			    cli->dir, KEY_FILE);
		return;
	}
	snprintf(from, sizeof(from), "%s/%s.new", cli->dir, KEY_FILE);
	snprintf(to, sizeof(to), "%s/%s", cli->dir, KEY_FILE);
	if (rename(from, to) != 0)
		cli_fail(EXIT_USAGE, "move %s to %s: %s", from, to,
		    strerror(errno));
}

/* Load the node key into the database handle: local commits are signed. */
static void
load_key(struct cli *cli)
{
	uint8_t *sk;

	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	if (cli_read_keyfile(cli, KEY_FILE, sk, NODE_SK_LEN, "open") != 1)
		cli_fail(EXIT_USAGE, "key file %s/%s is missing; is this a "
		    "hamroh data dir? ('hamroh init' makes one)", cli->dir,
		    KEY_FILE);
	finish_successor(cli, sk);
	if (db_set_signer(cli->db, sk))
		cli_fail(EXIT_USAGE, "out of memory");
	sodium_free(sk);
}

void
cli_open(struct cli *cli, bool sign)
{
	char path[4096], err[STORE_ERRLEN];
	const char *lim;

	snprintf(path, sizeof(path), "%s/%s", cli->dir, DB_FILE);
	if (access(path, F_OK) != 0)
		cli_fail(EXIT_USAGE, "no hamroh node in %s; run 'hamroh init "
		    "--name NAME' or give --data DIR", cli->dir);
	if (db_open(&cli->db, path, false, err))
		cli_fail(EXIT_USAGE, "open %s", err);
	/* Test-only: the database may not grow past N pages (a full disk). */
	if ((lim = getenv("HAMROH_MAX_PAGES")) != NULL && *lim &&
	    db_max_pages(cli->db, strtoull(lim, NULL, 10), err))
		cli_fail(EXIT_USAGE, "%s", err);
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
				cli_fail(EXIT_USAGE, "option %s needs a value",
				    name);
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
		cli_fail(EXIT_USAGE, "option %s given twice", name);
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
			cli_fail(EXIT_USAGE, "%s: unknown option '%s'; see "
			    "'hamroh %s --help'", cmd, argv[i], cmd);
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
	char msg[1024];

	memset(&e, 0, sizeof(e));
	if (ops_id(s, id, &e))
		cli_fail(cli_ops_exit(e.code), "%s", ops_text("en", &e, msg,
		    sizeof(msg)));
}

const struct coll_def *
cli_coll(const char *name)
{
	const struct coll_def *c;
	struct ops_err e;
	char msg[1024];

	memset(&e, 0, sizeof(e));
	if ((c = ops_coll(name, &e)) == NULL)
		cli_fail(cli_ops_exit(e.code), "%s", ops_text("en", &e, msg,
		    sizeof(msg)));
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

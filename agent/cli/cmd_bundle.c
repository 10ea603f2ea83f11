/*
 * cmd_bundle.c: bundle export / import — sync by carrying a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/codec/bundle.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"

#define VECTOR_MAX	100000	/* Origins in a vector file. */

struct vec {
	size_t		n, a;
	uint8_t		(*key)[NODE_KEY_LEN];
	uint64_t	*seq;
};

/* Read a vector file as printed by 'hamroh vector'. */
static void
vec_read(const char *path, struct vec *v)
{
	char line[256], hex[2 * NODE_KEY_LEN + 2], *end;
	unsigned long long seq;
	size_t lineno = 0;
	FILE *f;
	void *p;

	memset(v, 0, sizeof(*v));
	if ((f = fopen(path, "r")) == NULL)
		cli_fail(EXIT_REFUSED, "bundle export: %s: %s", path,
		    strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '\n')
			continue;
		if (strlen(line) < 2 * NODE_KEY_LEN + 2 ||
		    line[2 * NODE_KEY_LEN] != ' ')
			goto bad;
		memcpy(hex, line, 2 * NODE_KEY_LEN);
		hex[2 * NODE_KEY_LEN] = '\0';
		errno = 0;
		seq = strtoull(line + 2 * NODE_KEY_LEN + 1, &end, 10);
		if (errno || end == line + 2 * NODE_KEY_LEN + 1 ||
		    (*end != '\n' && *end != '\0') || v->n == VECTOR_MAX)
			goto bad;
		if (v->n == v->a) {
			v->a = v->a ? 2 * v->a : 16;
			if ((p = realloc(v->key, v->a * NODE_KEY_LEN)) ==
			    NULL)
				cli_fail(EXIT_USAGE, "out of memory");
			v->key = p;
			if ((p = realloc(v->seq, v->a * sizeof(*v->seq))) ==
			    NULL)
				cli_fail(EXIT_USAGE, "out of memory");
			v->seq = p;
		}
		if (hex_decode(hex, v->key[v->n], NODE_KEY_LEN))
			goto bad;
		v->seq[v->n++] = seq;
	}
	fclose(f);
	return;
bad:
	cli_fail(EXIT_REFUSED, "bundle export: %s: line %zu is not "
	    "'<64 hex digits> <seq>'; make it with 'hamroh vector > FILE'",
	    path, lineno);
}

struct exp_ctx {
	struct vec	*v;
	struct bundle_w	*w;
};

static uint64_t
vec_have(void *arg, const uint8_t *key)
{
	struct exp_ctx *x = arg;
	size_t i;

	for (i = 0; i < x->v->n; i++)
		if (memcmp(x->v->key[i], key, NODE_KEY_LEN) == 0)
			return (x->v->seq[i]);
	return (0);
}

static int
add_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct exp_ctx *x = arg;

	return (bundle_w_add(x->w, body, len, sig));
}

static int
bundle_export(struct cli *cli, int argc, char **argv)
{
	struct exp_ctx x;
	const char *since;
	char tmp[4096], err[STORE_ERRLEN];
	struct bundle_w w;
	struct vec v;
	FILE *f;

	since = cli_opt(&argc, argv, "--since");
	cli_no_more_opts(argc, argv, "bundle");
	if (argc != 1)
		cli_fail(EXIT_USAGE, "bundle export: give one FILE");
	memset(&v, 0, sizeof(v));
	if (since != NULL)
		vec_read(since, &v);
	cli_open(cli, false);
	/* Write beside the target, then rename: never a half bundle. */
	snprintf(tmp, sizeof(tmp), "%s.part", argv[0]);
	if ((f = fopen(tmp, "wb")) == NULL)
		cli_fail(EXIT_REFUSED, "bundle export: %s: %s", tmp,
		    strerror(errno));
	x.v = &v;
	x.w = &w;
	db_read_begin(cli->db);
	if (bundle_w_init(&w, f) || db_commits_since(cli->db, since ?
	    vec_have : NULL, add_cb, &x, err) || bundle_w_finish(&w) ||
	    fsync(fileno(f)) || fclose(f) || rename(tmp, argv[0])) {
		unlink(tmp);
		cli_fail(EXIT_REFUSED, "bundle export: %s: %s", argv[0],
		    errno ? strerror(errno) : err);
	}
	db_read_end(cli->db);
	printf("wrote %llu commits to %s\n", (unsigned long long)w.n,
	    argv[0]);
	free(v.key);
	free(v.seq);
	return (0);
}

static int
apply_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    char *err)
{
	struct cli *cli = arg;
	char e[STORE_ERRLEN];

	if (db_apply(cli->db, body, len, sig, (struct db_counts *)cli->aux,
	    e)) {
		snprintf(err, BUNDLE_ERRLEN, "%s", e);
		return (-1);
	}
	return (0);
}

static int
bundle_import(struct cli *cli, int argc, char **argv)
{
	struct db_counts dc;
	char err[STORE_ERRLEN], berr[BUNDLE_ERRLEN];
	long n;
	FILE *f;

	cli_no_more_opts(argc, argv, "bundle");
	if (argc != 1)
		cli_fail(EXIT_USAGE, "bundle import: give one FILE");
	if ((f = fopen(argv[0], "rb")) == NULL)
		cli_fail(EXIT_REFUSED, "bundle import: %s: %s", argv[0],
		    strerror(errno));
	/* Our key names us as the observer of clocks its commits show. */
	cli_open(cli, true);
	memset(&dc, 0, sizeof(dc));
	cli->aux = &dc;
	if (db_begin(cli->db, cli_now_ms(), err))
		cli_fail(EXIT_REFUSED, "bundle import: %s", err);
	/* All or nothing: a bad commit or a bad trailer rolls back all. */
	if ((n = bundle_read(f, apply_cb, cli, berr)) < 0) {
		db_rollback(cli->db);
		cli_fail(EXIT_REFUSED, "bundle import: %s: %s; nothing was "
		    "imported", argv[0], berr);
	}
	fclose(f);
	if (db_commit(cli->db, err))
		cli_fail(EXIT_REFUSED, "bundle import: %s: %s; nothing was "
		    "imported", argv[0], err);
	if (dc.fork > 0)
		cli_fail(EXIT_REFUSED, "bundle import: %s: %llu commits "
		    "of another branch kept as forks (a node signed two "
		    "histories: its changes from the fork on count nowhere; "
		    "see 'hamroh status'); %llu others applied", argv[0],
		    (unsigned long long)dc.fork,
		    (unsigned long long)(dc.applied + dc.released));
	printf("%ld commits read: %llu applied, %llu already held, %llu "
	    "held back for a gap, %llu released from earlier gaps", n,
	    (unsigned long long)dc.applied, (unsigned long long)dc.duplicate,
	    (unsigned long long)dc.held, (unsigned long long)dc.released);
	if (dc.refused > 0)
		printf("; %llu of them refused as a whole, bad on their own"
		    " (see 'hamroh audit')", (unsigned long long)dc.refused);
	if (dc.strangers + dc.dropped > 0)
		printf("; %llu from nodes no certificate names set aside, %llu"
		    " such dropped (see 'hamroh status')",
		    (unsigned long long)dc.strangers,
		    (unsigned long long)dc.dropped);
	printf("\n");
	return (0);
}

int
cmd_bundle(struct cli *cli, int argc, char **argv)
{

	if (argc >= 1 && strcmp(argv[0], "export") == 0)
		return (bundle_export(cli, argc - 1, argv + 1));
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return (bundle_import(cli, argc - 1, argv + 1));
	cli_fail(EXIT_USAGE, "bundle: use 'bundle export FILE [--since "
	    "VECTOR_FILE]' or 'bundle import FILE'");
}

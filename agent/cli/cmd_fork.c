/*
 * cmd_fork.c: fork list, fork recommit.  An office whose key signed two
 * histories (a copied data dir, a restored backup) is frozen on every
 * node at the last seq both share (store/fork.c): what either copy wrote
 * after counts nowhere.  Those writes were acknowledged, so they are not
 * to be lost: on the copy whose writes are to stand, `fork recommit`
 * continues under a fresh key, the successor of the frozen one from that
 * seq (PROTOCOL.md, Successors), and commits again, under it, every
 * record field that copy's branch wrote.  The other copy is to be
 * stopped: its key is continued now, so no node admits it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/access/member.h"
#include "store/commit.h"
#include "store/db.h"
#include "store/schema.h"
#include "store/trust.h"

/* One field value of the branch: the last it wrote. */
struct bval {
	const struct coll_def	*c;
	uint8_t			id[SCHEMA_ID_LEN];
	const struct field_def	*f;
	struct val		v;	/* v.s is ours. */
};

struct branch {
	struct bval	*v;
	size_t		n, a;
	uint64_t	commits, first;
	uint8_t		hash[COMMIT_HASH_LEN];	/* Of its first commit. */
};

static void
branch_free(struct branch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].v.s != NULL) {
			sodium_memzero((char *)b->v[i].v.s, b->v[i].v.len);
			free((char *)b->v[i].v.s);
		}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* Keep ${v} as the branch's value of (c, id, f), the last one winning. */
static int
branch_put(struct branch *b, const struct coll_def *c, const uint8_t *id,
    const struct field_def *f, const struct val *v)
{
	struct bval *p;
	char *s = NULL;
	size_t i;

	if (v->t == VAL_STR) {
		if ((s = malloc(v->len + 1)) == NULL)
			return (-1);
		memcpy(s, v->s, v->len);
		s[v->len] = '\0';
	}
	for (i = 0; i < b->n; i++)
		if (b->v[i].c == c && b->v[i].f == f &&
		    memcmp(b->v[i].id, id, SCHEMA_ID_LEN) == 0)
			break;
	if (i == b->n) {
		if (b->n == b->a) {
			b->a = b->a ? 2 * b->a : 64;
			if ((p = realloc(b->v, b->a * sizeof(*p))) == NULL) {
				free(s);
				return (-1);
			}
			b->v = p;
		}
		memset(&b->v[b->n], 0, sizeof(b->v[0]));
		b->n++;
	} else if (b->v[i].v.s != NULL)
		free((char *)b->v[i].v.s);
	p = &b->v[i];
	p->c = c;
	memcpy(p->id, id, SCHEMA_ID_LEN);
	p->f = f;
	p->v = *v;
	p->v.s = s;
	return (0);
}

/*
 * A commit of the branch: its writes to records (members and keys are
 * each node's own and the admins': not committed again).
 */
static int
branch_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    uint64_t seq)
{
	struct branch *b = arg;
	const struct coll_def *c;
	const struct field_def *f;
	struct commit cm;
	const char *why;
	char name[SCHEMA_NAME_MAX + 1];
	size_t i, j;
	int ret = 0;

	(void)sig;
	if (commit_decode(body, len, &cm, &why))
		return (-1);
	if (b->commits++ == 0) {
		b->first = seq;
		commit_hash(body, len, b->hash);
	}
	for (i = 0; i < cm.nrec && ret == 0; i++) {
		if (cm.rec[i].coll_len > SCHEMA_NAME_MAX)
			continue;
		memcpy(name, cm.rec[i].coll, cm.rec[i].coll_len);
		name[cm.rec[i].coll_len] = '\0';
		if ((c = schema_coll(name)) == NULL ||
		    strcmp(name, "members") == 0 || strcmp(name, "keys") == 0)
			continue;
		for (j = 0; j < cm.rec[i].nf && ret == 0; j++)
			if ((f = schema_field(c, cm.rec[i].f[j].field,
			    cm.rec[i].f[j].field_len)) != NULL)
				ret = branch_put(b, c, cm.rec[i].id, f,
				    &cm.rec[i].f[j].v);
	}
	commit_fini(&cm);
	return (ret);
}

/* This node's branch from ${seq}: its commits and what they wrote. */
static void
branch_read(struct cli *cli, uint64_t seq, struct branch *b)
{
	char err[STORE_ERRLEN];

	memset(b, 0, sizeof(*b));
	if (db_commits_from(cli->db, db_node_key(cli->db), seq - 1, SIZE_MAX,
	    branch_cb, b, err) < 0)
		cli_fail(EXIT_REFUSED, "fork: reading this node's branch: %s",
		    err);
}

static int
list_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct cli *cli = arg;
	char key[2 * NODE_KEY_LEN + 1], hash[2 * COMMIT_HASH_LEN + 1];
	struct branch b;

	hex_encode(origin, NODE_KEY_LEN, key);
	if (memcmp(origin, db_node_key(cli->db), NODE_KEY_LEN) != 0) {
		printf("%s seq %llu: another office; on it, 'hamroh fork "
		    "recommit' keeps its branch\n", key,
		    (unsigned long long)seq);
		return (0);
	}
	branch_read(cli, seq, &b);
	hex_encode(b.hash, COMMIT_HASH_LEN, hash);
	if (b.commits == 0)
		printf("%s seq %llu: THIS OFFICE; this copy wrote nothing "
		    "from there on: nothing to commit again here\n", key,
		    (unsigned long long)seq);
	else
		printf("%s seq %llu: THIS OFFICE; this copy's branch %.16s: "
		    "%llu commits, %zu field values ('hamroh fork recommit "
		    "--branch %.16s' commits them again)\n", key,
		    (unsigned long long)seq, hash,
		    (unsigned long long)b.commits, b.n, hash);
	branch_free(&b);
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
	const char *want = NULL;
	struct held of;	/* The seq this node's own key signed twice. */
	struct member_rec r;
	struct branch b;
	char err[STORE_ERRLEN], hash[2 * COMMIT_HASH_LEN + 1];
	char kpath[4096], npath[4096], hex[2 * NODE_KEY_LEN + 1];
	uint8_t np[NODE_KEY_LEN], *newsk;
	size_t i;

	want = cli_opt(&argc, argv, "--branch");
	cli_no_more_opts(argc, argv, "fork recommit");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "fork recommit: takes no arguments but "
		    "--branch HASH (see 'hamroh fork list')");
	cli_open(cli, true);
	of.key = db_node_key(cli->db);
	of.seq = 0;
	if (db_forks(cli->db, held_cb, &of, err) < 0)
		cli_fail(EXIT_REFUSED, "fork recommit: %s", err);
	if (of.seq == 0)
		cli_fail(EXIT_REFUSED, "fork recommit: this office's key "
		    "signed one history only; nothing to do (run it on the "
		    "office 'hamroh status' names under forks)");
	if (member_load(cli->db, of.key, &r) != 1 || r.cert[0] == '\0')
		cli_fail(EXIT_REFUSED, "fork recommit: this office holds no "
		    "certificate of its own; ask the coordinating office for "
		    "a new invite");
	branch_read(cli, of.seq, &b);
	hex_encode(b.hash, COMMIT_HASH_LEN, hash);
	if (b.commits == 0)
		cli_fail(EXIT_REFUSED, "fork recommit: this copy wrote "
		    "nothing from seq %llu on; nothing to commit again here "
		    "(run it on the other copy)", (unsigned long long)of.seq);
	if (want != NULL && (strlen(want) < 8 || strlen(want) > strlen(hash) ||
	    strncmp(want, hash, strlen(want)) != 0))
		cli_fail(EXIT_REFUSED, "fork recommit: this copy's branch is "
		    "%.16s, not %s; run it on the copy whose branch that is",
		    hash, want);

	snprintf(kpath, sizeof(kpath), "%s/%s", cli->dir, KEY_FILE);
	snprintf(npath, sizeof(npath), "%s/%s.new", cli->dir, KEY_FILE);
	if ((newsk = sodium_malloc(NODE_SK_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	crypto_sign_keypair(np, newsk);
	if (db_begin(cli->db, cli_now_ms(), err) ||
	    succeed_rec(cli, &r, newsk, of.seq - 1, err))
		goto fail;
	for (i = 0; i < b.n; i++)
		if (db_put(cli->db, b.v[i].c, b.v[i].id, b.v[i].f, &b.v[i].v,
		    err))
			goto fail;
	/* Written before the commit, in place only after it. */
	if (write_newkey(npath, newsk)) {
		snprintf(err, STORE_ERRLEN, "write %s.new: %s", KEY_FILE,
		    strerror(errno));
		goto fail;
	}
	if (db_commit(cli->db, err))
		goto fail;
	if (rename(npath, kpath) != 0)
		cli_fail(EXIT_REFUSED, "fork recommit: done, but moving %s to "
		    "%s failed: %s; move it by hand before anything else",
		    npath, kpath, strerror(errno));
	sodium_free(newsk);
	hex_encode(np, NODE_KEY_LEN, hex);
	printf("branch %.16s: %zu field values of %llu commits committed "
	    "again under this node's new key %s, the successor of the old "
	    "one from seq %llu; stop the other copy for good\n", hash, b.n,
	    (unsigned long long)b.commits, hex,
	    (unsigned long long)(of.seq - 1));
	printf("a peer that does not hold the new key yet refuses its dial: "
	    "let it dial this node once ('hamroh peer add' there), or carry "
	    "a bundle to it\n");
	branch_free(&b);
	return (0);

fail:
	db_rollback(cli->db);
	unlink(npath);
	sodium_free(newsk);
	branch_free(&b);
	cli_fail(EXIT_REFUSED, "fork recommit: %s; nothing was changed", err);
}

int
cmd_fork(struct cli *cli, int argc, char **argv)
{
	struct db_status s;
	char err[STORE_ERRLEN];
	int r;

	if (argc >= 1 && strcmp(argv[0], "recommit") == 0)
		return (fork_recommit(cli, argc - 1, argv + 1));
	if (argc < 1 || strcmp(argv[0], "list") != 0)
		cli_fail(EXIT_USAGE, "fork: give 'list' or 'recommit "
		    "[--branch HASH]'");
	cli_no_more_opts(argc - 1, argv + 1, "fork list");
	if (argc > 1)
		cli_fail(EXIT_USAGE, "fork list: takes no arguments");
	cli_open(cli, true);	/* Which key is this node's. */
	if ((r = db_forks(cli->db, list_cb, cli, err)) < 0)
		cli_fail(EXIT_REFUSED, "fork list: %s", err);
	if (db_status(cli->db, &s, err) == 0 && s.forks == 0)
		printf("no fork: every office signed one history\n");
	return (0);
}

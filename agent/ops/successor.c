/*
 * successor.c: restore, fork list, fork recommit (agent/ops/successor.h).
 *
 * An office whose key signed two histories (a copied data dir, a restored
 * backup) is frozen on every node at the last seq both share
 * (store/fork.c): what either copy wrote after counts nowhere.  Those
 * writes were acknowledged, so they are not to be lost: on the copy whose
 * writes are to stand, fork recommit continues under a fresh key, the
 * successor of the frozen one from that seq, and writes again, under it,
 * every record field that copy's branch wrote.  The other copy is to be
 * stopped: its key is continued now, so no node admits it.
 *
 * restore makes a node from its backup and its key files, which can never
 * fork.  The old origin may have made commits after the backup, and its
 * computer may even still run: were the restored node to sign as it, its
 * next commit would fork the origin.  So it continues under a fresh key
 * through an open successor statement (TRUST_SUCC_OPEN): the new key
 * takes the old one's standing (no admin needed) and the old key's
 * commits, those after the backup too, stand.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/access/member.h"
#include "agent/codec/hex.h"
#include "agent/ops/net.h"
#include "agent/ops/node.h"
#include "agent/ops/ops_int.h"
#include "agent/ops/successor.h"
#include "store/commit.h"
#include "store/query.h"
#include "store/trust.h"

#define SUCC_KEY_FILE	"node.key"
#define SUCC_NET_FILE	"network.key"

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
	uint64_t	commits;
	uint8_t		hash[COMMIT_HASH_LEN];	/* Of its first commit. */
	char		hex[2 * COMMIT_HASH_LEN + 1];
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
	(void)seq;
	if (commit_decode(body, len, &cm, &why))
		return (-1);
	if (b->commits++ == 0)
		commit_hash(body, len, b->hash);
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
static int
branch_read(struct ops *o, uint64_t seq, struct branch *b, struct ops_err *e)
{
	char err[STORE_ERRLEN];

	memset(b, 0, sizeof(*b));
	if (db_commits_from(o->db, db_node_key(o->db), seq - 1, SIZE_MAX,
	    branch_cb, b, err) < 0) {
		branch_free(b);
		ops_store_fail(e, err, OPS_MSG_NONE);
		e->key = OPS_MSG_FORK_READ;
		return (-1);
	}
	hex_encode(b->hash, COMMIT_HASH_LEN, b->hex);
	return (0);
}

/* ---- fork list. */

struct flist {
	struct ops		*o;
	ops_fork_branch_fn	fn;
	void			*arg;
	long			n;
	struct ops_err		*e;
	int			failed;
};

static int
flist_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct flist *x = arg;
	struct ops_fork_branch row;
	char key[OPS_SUCC_HEX], br[OPS_BRANCH_HEX];
	struct branch b;
	int rc;

	memset(&row, 0, sizeof(row));
	hex_encode(origin, NODE_KEY_LEN, key);
	row.key = key;
	row.seq = seq;
	row.branch = "";
	x->n++;
	if (memcmp(origin, db_node_key(x->o->db), NODE_KEY_LEN) != 0)
		return (x->fn(x->arg, &row) ? 1 : 0);
	if (branch_read(x->o, seq, &b, x->e)) {
		x->failed = 1;
		return (-1);
	}
	row.self = true;
	row.changes = b.commits;
	row.values = b.n;
	snprintf(br, sizeof(br), "%.16s", b.hex);
	row.branch = br;
	rc = x->fn(x->arg, &row);
	branch_free(&b);
	return (rc ? 1 : 0);
}

int
ops_fork_list(struct ops *o, ops_fork_branch_fn fn, void *arg, long *n,
    struct ops_err *e)
{
	struct flist x = { o, fn, arg, 0, e, 0 };
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	*n = 0;
	if (db_node_key(o->db) == NULL)
		return (ops_fail(e, OPS_ENV, OPS_MSG_NO_SIGNER, 0));
	if (db_forks(o->db, flist_cb, &x, err) < 0)
		return (x.failed ? -1 : ops_store_fail(e, err, OPS_MSG_NONE));
	*n = x.n;
	return (0);
}

/* ---- fork recommit. */

/* The seq this node's own key signed twice (db_forks()), or 0. */
struct held {
	const uint8_t	*key;
	uint64_t	seq;
};

static int
held_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct held *h = arg;

	if (memcmp(origin, h->key, NODE_KEY_LEN) == 0)
		h->seq = seq;
	return (0);
}

/* DIR/node.key and DIR/node.key.new. */
static void
key_paths(const char *dir, char kpath[4096], char npath[4096])
{

	snprintf(kpath, 4096, "%s/%s", dir, SUCC_KEY_FILE);
	snprintf(npath, 4096, "%s/%s.new", dir, SUCC_KEY_FILE);
}

/*
 * Inside the caller's transaction: continue under a fresh key from seq
 * ${seq} of the old one, described as ${r}; its secret, written to
 * ${npath} before the commit, is moved in place by the caller after it.
 * ${np} gets the new public key.  On failure the transaction is rolled
 * back and ${npath} is gone.
 */
static int
succeed_begin(struct ops *o, const struct member_rec *r, uint64_t seq,
    uint8_t **newsk, uint8_t np[NODE_KEY_LEN], struct ops_err *e)
{
	char err[STORE_ERRLEN];

	if ((*newsk = sodium_malloc(NODE_SK_LEN)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	crypto_sign_keypair(np, *newsk);
	if (ops_begin(o, err))
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	if (ops_succeed_rec(o, r, *newsk, seq, e)) {
		db_rollback(o->db);
		e->tail = OPS_MSG_NOTHING_CHANGED;
		return (-1);
	}
	return (0);
}

/* Write the new key to ${npath}, then commit; roll back on failure. */
static int
succeed_commit(struct ops *o, const uint8_t *newsk, const char *npath,
    struct ops_err *e)
{
	char err[STORE_ERRLEN];
	int en;

	unlink(npath);	/* What a failed run left there. */
	if (ops_write_key(npath, newsk)) {
		en = errno;
		db_rollback(o->db);
		ops_fail(e, OPS_STORE, OPS_MSG_NET_WRITE, 2, SUCC_KEY_FILE
		    ".new", strerror(en));
		e->tail = OPS_MSG_NOTHING_CHANGED;
		return (-1);
	}
	if (db_commit(o->db, err)) {
		db_rollback(o->db);
		unlink(npath);
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	}
	return (0);
}

int
ops_fork_recommit(struct ops *o, const struct ops_fork_recommit_args *a,
    struct ops_fork_recommitted *out, struct ops_err *e)
{
	struct held of;
	struct member_rec r;
	struct branch b;
	char err[STORE_ERRLEN], kpath[4096], npath[4096];
	uint8_t np[NODE_KEY_LEN], *newsk = NULL;
	const char *want = a->branch;
	size_t i;

	memset(e, 0, sizeof(*e));
	memset(out, 0, sizeof(*out));
	if ((of.key = db_node_key(o->db)) == NULL)
		return (ops_fail(e, OPS_ENV, OPS_MSG_NO_SIGNER, 0));
	of.seq = 0;
	if (db_forks(o->db, held_cb, &of, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (of.seq == 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORK_ONE_HISTORY,
		    0));
	if (member_load(o->db, of.key, &r) != 1 || r.cert[0] == '\0')
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORK_NO_CERT, 0));
	if (branch_read(o, of.seq, &b, e))
		return (-1);
	snprintf(out->branch, sizeof(out->branch), "%.16s", b.hex);
	if (b.commits == 0) {
		branch_free(&b);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORK_NOTHING, 0));
	}
	if (want != NULL && (strlen(want) < 8 || strlen(want) >
	    strlen(b.hex) || strncmp(want, b.hex, strlen(want)) != 0)) {
		branch_free(&b);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FORK_OTHER_BRANCH,
		    2, out->branch, want));
	}
	key_paths(o->dir, kpath, npath);
	if (succeed_begin(o, &r, of.seq - 1, &newsk, np, e))
		goto fail;
	for (i = 0; i < b.n; i++)
		if (db_put(o->db, b.v[i].c, b.v[i].id, b.v[i].f, &b.v[i].v,
		    err)) {
			db_rollback(o->db);
			ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED);
			goto fail;
		}
	if (succeed_commit(o, newsk, npath, e))
		goto fail;
	sodium_free(newsk);
	out->values = b.n;
	out->changes = b.commits;
	out->from = of.seq - 1;
	hex_encode(np, NODE_KEY_LEN, out->key);
	branch_free(&b);
	if (rename(npath, kpath) != 0)
		return (ops_fail(e, OPS_STORE, OPS_MSG_FORK_MOVE, 3, npath,
		    kpath, strerror(errno)));
	return (0);

fail:
	sodium_free(newsk);
	branch_free(&b);
	return (-1);
}

/* ---- restore. */

static const char *const restore_keys[] = { SUCC_KEY_FILE, SUCC_NET_FILE,
    CONF_FILE };

/* Refuse unless ${dir} holds the key files and nothing else. */
static int
restore_dir_check(const char *dir, struct ops_err *e)
{
	struct dirent *de;
	char name[64];
	size_t i;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return (ops_fail(e, OPS_ENV, OPS_MSG_RESTORE_DIR, 2, dir,
		    strerror(errno)));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		for (i = 0; i < sizeof(restore_keys) / sizeof(*restore_keys);
		    i++)
			if (strcmp(de->d_name, restore_keys[i]) == 0)
				break;
		if (i == sizeof(restore_keys) / sizeof(*restore_keys)) {
			snprintf(name, sizeof(name), "%.60s", de->d_name);
			closedir(d);
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_RESTORE_NOT_EMPTY, 2, dir, name));
		}
	}
	closedir(d);
	return (0);
}

/* Copy ${from} to ${to} (made, 0600); refuse unless it is an SQLite file. */
static int
restore_copy(const char *from, const char *to, struct ops_err *e)
{
	static const char magic[16] = "SQLite format 3";
	char buf[65536];
	ssize_t n;
	int in, out, en;

	if ((in = open(from, O_RDONLY)) == -1)
		return (ops_fail(e, OPS_ENV, OPS_MSG_FILE_ERROR, 2, from,
		    strerror(errno)));
	if (read(in, buf, sizeof(magic)) != (ssize_t)sizeof(magic) ||
	    memcmp(buf, magic, sizeof(magic)) != 0) {
		close(in);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_RESTORE_NOT_BACKUP,
		    1, from));
	}
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600)) == -1) {
		en = errno;
		close(in);
		return (ops_fail(e, OPS_ENV, OPS_MSG_FILE_ERROR, 2, to,
		    strerror(en)));
	}
	if (write(out, buf, sizeof(magic)) != (ssize_t)sizeof(magic))
		goto fail;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto fail;
	if (n < 0 || fsync(out))
		goto fail;
	close(in);
	if (close(out) == 0)
		return (0);
	out = -1;
fail:
	en = errno ? errno : EIO;
	close(in);
	if (out != -1)
		close(out);
	unlink(to);
	return (ops_fail(e, OPS_ENV, OPS_MSG_RESTORE_COPY, 3, from, to,
	    strerror(en)));
}

/* Remove the database restore made: the dir is as it was. */
static void
restore_undo(const char *dir, struct db **db)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char path[4096];
	size_t i;

	if (*db != NULL)
		db_close(*db);
	*db = NULL;
	for (i = 0; i < sizeof(sfx) / sizeof(*sfx); i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, DB_FILE, sfx[i]);
		unlink(path);
	}
}

/*
 * The checks once the backup is in place: a node (open it into ${db}),
 * the key files its own.  BAD_INPUT naming what is missing.
 */
static int
restore_check(const char *dir, const char *file, struct db **db,
    struct ops_err *e)
{
	char path[4096], key[2 * NODE_KEY_LEN + 1];
	char mine[2 * NODE_KEY_LEN + 1], net[MEMBER_NETNAME_MAX + 1];
	uint8_t nk[HS_PSK_LEN], *sk;
	enum ops_msg why = OPS_MSG_NONE;
	char err[STORE_ERRLEN];
	struct stat sb;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, DB_FILE);
	if (db_open(db, path, false, err) ||
	    db_meta_get(*db, "key", key, sizeof(key)) ||
	    strlen(key) != 2 * NODE_KEY_LEN)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_RESTORE_NOT_BACKUP,
		    1, file));
	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if ((rc = ops_read_keyfile(dir, SUCC_KEY_FILE, sk, NODE_SK_LEN,
	    e)) < 0) {
		sodium_free(sk);
		return (-1);
	}
	if (rc == 0)
		why = OPS_MSG_RESTORE_NO_NODE_KEY;
	else {
		hex_encode(sk + NODE_SK_LEN - NODE_KEY_LEN, NODE_KEY_LEN,
		    mine);
		if (strcmp(mine, key) != 0)
			why = OPS_MSG_RESTORE_OTHER_NODE_KEY;
	}
	sodium_free(sk);
	if (why == OPS_MSG_NONE && db_meta_get(*db, "network_name", net,
	    sizeof(net)) == 0) {
		rc = ops_read_keyfile(dir, SUCC_NET_FILE, nk, HS_PSK_LEN, e);
		sodium_memzero(nk, sizeof(nk));
		if (rc < 0)
			return (-1);
		snprintf(path, sizeof(path), "%s/%s", dir, CONF_FILE);
		if (rc == 0)
			why = OPS_MSG_RESTORE_NO_NET_KEY;
		else if (query_uses_keys(*db) && stat(path, &sb) != 0)
			why = OPS_MSG_RESTORE_NO_CONF;
	}
	if (why != OPS_MSG_NONE)
		return (ops_fail(e, OPS_BAD_INPUT, why, 1, dir));
	return (0);
}

static uint64_t
restore_clock(void *arg)
{

	return (*(const uint64_t *)arg);
}

/* Sign as the backup's node: what the successor statement needs. */
static int
restore_signer(struct ops *o, struct member_rec *r, struct ops_err *e)
{
	uint8_t *sk;
	char hex[2 * NODE_KEY_LEN + 1];
	uint8_t pk[NODE_KEY_LEN];
	int rc;

	if (db_meta_get(o->db, "key", hex, sizeof(hex)) ||
	    hex_decode(hex, pk, NODE_KEY_LEN))
		return (ops_fail(e, OPS_STORE, OPS_MSG_STORE_READ, 0));
	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	/* restore_check() read it: it is this node's. */
	if ((rc = ops_read_keyfile(o->dir, SUCC_KEY_FILE, sk, NODE_SK_LEN,
	    e)) != 1 || db_set_signer(o->db, sk)) {
		sodium_free(sk);
		return (rc < 0 ? -1 : ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM,
		    0));
	}
	sodium_free(sk);
	/* The new key is described as the old one is. */
	memset(r, 0, sizeof(*r));
	if (member_load(o->db, pk, r) < 0) {
		ops_fail(e, OPS_STORE, OPS_MSG_SELF_READ, 0);
		e->tail = OPS_MSG_NOTHING_CHANGED;
		return (-1);
	}
	return (0);
}

int
ops_restore(const char *dir, const struct ops_restore_args *a, uint64_t now,
    struct ops_restored *out, struct ops_err *e)
{
	struct member_rec r;
	struct db *db = NULL;
	struct ops o;
	char path[4096], kpath[4096], npath[4096];
	uint8_t np[NODE_KEY_LEN], *newsk = NULL;

	memset(e, 0, sizeof(*e));
	memset(out, 0, sizeof(*out));
	if (restore_dir_check(dir, e))
		return (-1);
	snprintf(path, sizeof(path), "%s/%s", dir, DB_FILE);
	key_paths(dir, kpath, npath);
	if (restore_copy(a->backup, path, e))
		return (-1);
	if (restore_check(dir, a->backup, &db, e)) {
		restore_undo(dir, &db);
		return (-1);
	}
	ops_init(&o, db, dir, restore_clock, &now);
	if (restore_signer(&o, &r, e) ||
	    succeed_begin(&o, &r, TRUST_SUCC_OPEN, &newsk, np, e) ||
	    succeed_commit(&o, newsk, npath, e)) {
		sodium_free(newsk);
		ops_fini(&o);
		restore_undo(dir, &db);
		return (-1);
	}
	sodium_free(newsk);
	ops_fini(&o);
	db_close(db);
	hex_encode(np, NODE_KEY_LEN, out->key);
	if (rename(npath, kpath) != 0)
		return (ops_fail(e, OPS_STORE, OPS_MSG_RESTORE_MOVE, 3, npath,
		    kpath, strerror(errno)));
	return (0);
}

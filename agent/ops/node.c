/*
 * node.c: the operations on the node itself (agent/ops/node.h): init,
 * vector, verify, rebuild, backup, the forks and refused changes, audit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/access/users.h"
#include "agent/ops/centers.h"
#include "agent/ops/node.h"
#include "agent/ops/ops_int.h"
#include "agent/codec/hex.h"
#include "store/query.h"

#define NODE_NET_FILE	"network.key"

int
ops_node_id(struct ops *o, char hex[OPS_KEY_HEX], struct ops_err *e)
{

	memset(e, 0, sizeof(*e));
	/* The key it signs with; else the one its database names. */
	if (db_node_key(o->db) != NULL)
		hex_encode(db_node_key(o->db), NODE_KEY_LEN, hex);
	else if (db_meta_get(o->db, "key", hex, OPS_KEY_HEX) ||
	    strlen(hex) != 2 * NODE_KEY_LEN)
		return (ops_fail(e, OPS_STORE, OPS_MSG_STORE_READ, 0));
	return (0);
}

int
ops_node_invite_id(struct ops *o, char out[OPS_INVITE_ID_LEN],
    struct ops_err *e)
{
	uint8_t dpk[USER_KEY_LEN];
	size_t n;

	if (ops_node_id(o, out, e))
		return (-1);
	if (user_data_pk(o->db, dpk))
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_ID_NO_DATA_KEY, 0));
	n = strlen(out);
	out[n++] = ':';
	hex_encode(dpk, USER_KEY_LEN, out + n);
	return (0);
}

int
ops_agent_netkey(struct ops *o, uint8_t key[HS_PSK_LEN], struct ops_err *e)
{
	char path[4096];
	int rc;

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s/%s", o->dir, NODE_NET_FILE);
	if ((rc = ops_read_keyfile(o->dir, NODE_NET_FILE, key, HS_PSK_LEN,
	    e)) == 1)
		return (0);
	if (rc == 0)
		return (ops_fail(e, OPS_ENV, OPS_MSG_AGENT_NO_NETWORK, 1,
		    NODE_NET_FILE));
	if (e->key == OPS_MSG_NET_KEYFILE_DAMAGED)
		ops_fail(e, OPS_ENV, OPS_MSG_AGENT_NETKEY_DAMAGED, 1, path);
	return (-1);
}

int
ops_vector(struct ops *o, ops_vector_fn fn, void *arg, struct ops_err *e)
{
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	if (db_vector(o->db, fn, arg, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

int
ops_verify(struct ops *o, ops_line_fn fn, void *arg,
    struct ops_verify_res *r, struct ops_err *e)
{
	struct db_status s;
	char err[STORE_ERRLEN], n[32], *buf = NULL, *line, *nl;
	size_t len = 0;
	FILE *out;

	memset(e, 0, sizeof(*e));
	memset(r, 0, sizeof(*r));
	/* The store writes its problems to a stream: lines for ${fn}. */
	if ((out = open_memstream(&buf, &len)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	r->problems = db_verify(o->db, out, err);
	fclose(out);
	for (line = buf; line != NULL && *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		if (fn != NULL && fn(arg, line))
			break;
	}
	free(buf);
	if (r->problems < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (r->problems > 0) {
		snprintf(n, sizeof(n), "%ld", r->problems);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_VERIFY_PROBLEMS, 1,
		    n));
	}
	if (db_status(o->db, &s, err) == 0) {
		r->commits = s.commits;
		r->origins = s.origins;
	}
	return (0);
}

int
ops_rebuild(struct ops *o, struct ops_err *e)
{
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	if (db_rebuild(o->db, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

int
ops_backup_check(const char *path, struct ops_err *e)
{
	struct stat sb;

	memset(e, 0, sizeof(*e));
	if (stat(path, &sb) == 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_BACKUP_EXISTS, 1,
		    path));
	return (0);
}

int
ops_backup(struct ops *o, const char *path, struct ops_backup_res *r,
    struct ops_err *e)
{
	char err[STORE_ERRLEN], name[128], conf[4096];
	struct stat sb;

	memset(r, 0, sizeof(*r));
	if (ops_backup_check(path, e))
		return (-1);
	if (db_backup(o->db, path, err)) {
		unlink(path);
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	}
	/* The files a restore needs, which the backup lacks. */
	r->net = db_meta_get(o->db, "network_name", name, sizeof(name)) == 0;
	snprintf(conf, sizeof(conf), "%s/%s", o->dir, CONF_FILE);
	r->conf = stat(conf, &sb) == 0;
	return (0);
}

struct forks_ctx {
	struct ops	*o;
	ops_fork_fn	fn;
	void		*arg;
};

static int
fork_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct forks_ctx *x = arg;
	const uint8_t *me = db_node_key(x->o->db);
	char name[128], key[OPS_KEY_HEX];
	struct ops_fork_row row;

	query_node_name(x->o->db, origin, name, sizeof(name));
	hex_encode(origin, NODE_KEY_LEN, key);
	row.origin = origin;
	row.key = key;
	row.name = name;
	row.seq = seq;
	row.self = me != NULL && memcmp(origin, me, NODE_KEY_LEN) == 0;
	return (x->fn(x->arg, &row));
}

int
ops_forks(struct ops *o, ops_fork_fn fn, void *arg, struct ops_err *e)
{
	struct forks_ctx x = { o, fn, arg };
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	if (db_forks(o->db, fork_cb, &x, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

struct refusals_ctx {
	struct ops	*o;
	ops_refusal_fn	fn;
	void		*arg;
	/* The user of the last commit read: one commit refuses many. */
	uint8_t		origin[NODE_KEY_LEN];
	uint64_t	seq;
	char		user[USER_NAME_MAX + 1];
};

static int
refusal_cb(void *arg, const struct db_refusal *r)
{
	struct refusals_ctx *x = arg;
	char name[128], key[OPS_KEY_HEX], id[2 * SCHEMA_ID_LEN + 1];
	struct ops_refusal_row row;
	struct ops_who who;

	query_node_name(x->o->db, r->origin, name, sizeof(name));
	if (x->seq != r->seq || memcmp(x->origin, r->origin, NODE_KEY_LEN)) {
		query_commit_user(x->o->db, r->origin, r->seq, x->user,
		    sizeof(x->user));
		memcpy(x->origin, r->origin, NODE_KEY_LEN);
		x->seq = r->seq;
	}
	ops_who(x->o, r->origin, x->user[0] ? x->user : NULL,
	    strlen(x->user), &who);
	hex_encode(r->origin, NODE_KEY_LEN, key);
	hex_encode(r->id, SCHEMA_ID_LEN, id);
	row.r = r;
	row.name = name;
	row.who = &who;
	row.key = key;
	row.id = id;
	return (x->fn(x->arg, &row));
}

int
ops_refusals(struct ops *o, size_t newest, ops_refusal_fn fn, void *arg,
    struct ops_err *e)
{
	struct refusals_ctx x = { o, fn, arg, { 0 }, 0, "" };
	char err[STORE_ERRLEN];

	memset(e, 0, sizeof(*e));
	if (db_refusals(o->db, newest, refusal_cb, &x, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

int
ops_audit(struct ops *o, ops_fork_fn fork_fn, ops_refusal_fn fn, void *arg,
    uint64_t *refused, struct ops_err *e)
{
	struct db_status s;
	char err[STORE_ERRLEN];
	int rc = -1;

	memset(e, 0, sizeof(*e));
	*refused = 0;
	db_read_begin(o->db);
	if (db_status(o->db, &s, err)) {
		ops_store_fail(e, err, OPS_MSG_NONE);
		goto out;
	}
	*refused = s.refused;
	/* A fork first: it says why many of the changes below count not. */
	if ((fork_fn == NULL || ops_forks(o, fork_fn, arg, e) == 0) &&
	    ops_refusals(o, 0, fn, arg, e) == 0)
		rc = 0;
out:
	db_read_end(o->db);
	return (rc);
}

/* Make ${dir} and its parents (mode 0700). */
static int
mkdirs(const char *dir, struct ops_err *e)
{
	char p[4096], *s;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INIT_DIR_LONG, 0));
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			return (ops_fail(e, OPS_ENV, OPS_MSG_INIT_MKDIR, 2, p,
			    strerror(errno)));
		*s = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		return (ops_fail(e, OPS_ENV, OPS_MSG_INIT_MKDIR, 2, p,
		    strerror(errno)));
	return (0);
}

int
ops_write_key(const char *path, const uint8_t *sk)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		return (-1);
	if (write(fd, sk, NODE_SK_LEN) != NODE_SK_LEN || fsync(fd)) {
		close(fd);
		unlink(path);
		return (-1);
	}
	return (close(fd));
}

int
ops_init_check(const struct ops_init_args *a, struct ops_err *e)
{
	const struct coll_def *m = schema_coll("members");
	char why[256], prefix[CENTER_PREFIX_LEN + 1];
	struct val v;

	memset(e, 0, sizeof(*e));
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = a->name;
	v.len = strlen(a->name);
	if (v.len == 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INIT_NAME_EMPTY, 0));
	if (schema_check(schema_field(m, "name", 4), &v, why, sizeof(why)))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INIT_NAME, 1, why));
	v.s = a->center ? a->center : "";
	v.len = strlen(v.s);
	if (schema_check(schema_field(m, "center", 6), &v, why, sizeof(why)))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INIT_CENTER, 1, why));
	/* The center goes in the node's list of centers (centers.h). */
	if (v.len > 0 && !ops_center_code_ok(v.s, v.len))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_CENTER_CODE_BAD, 1,
		    v.s));
	if (v.len > 0 && !ops_center_prefix_of(v.s, prefix))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INIT_CENTER_PREFIX, 1,
		    v.s));
	return (0);
}

/* The node's first change: it describes itself (id: its key's prefix). */
static int
init_self(struct db *db, const struct ops_init_args *a, const uint8_t *pk,
    const char *hex, uint64_t now, char err[STORE_ERRLEN])
{
	const struct coll_def *m = schema_coll("members");
	const char *center = a->center ? a->center : "";
	char prefix[CENTER_PREFIX_LEN + 1];
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	if (db_begin(db, now, err) ||
	    db_meta_set(db, "name", a->name, err) ||
	    db_meta_set(db, "center", center, err) ||
	    db_meta_set(db, "key", hex, err))
		return (-1);
	v.s = a->name;
	v.len = strlen(a->name);
	if (db_put(db, m, pk, schema_field(m, "name", 4), &v, err))
		return (-1);
	if (*center) {
		v.s = center;
		v.len = strlen(center);
		if (db_put(db, m, pk, schema_field(m, "center", 6), &v, err) ||
		    !ops_center_prefix_of(center, prefix) ||
		    db_meta_set(db, "center_prefix", prefix, err))
			return (-1);
	}
	v.s = hex;
	v.len = strlen(hex);
	if (db_put(db, m, pk, schema_field(m, "key", 3), &v, err) ||
	    db_commit(db, err))
		return (-1);
	return (0);
}

int
ops_init_node(const char *dir, const struct ops_init_args *a, uint64_t now,
    char hex[OPS_KEY_HEX], struct ops_err *e)
{
	char kpath[4096], dpath[4096], err[STORE_ERRLEN];
	uint8_t pk[NODE_KEY_LEN], *sk;
	struct db *db = NULL;
	struct stat sb;

	if (ops_init_check(a, e) || mkdirs(dir, e))
		return (-1);
	snprintf(kpath, sizeof(kpath), "%s/%s", dir, CONF_NODE_KEY);
	snprintf(dpath, sizeof(dpath), "%s/%s", dir, DB_FILE);
	if (stat(kpath, &sb) == 0 || stat(dpath, &sb) == 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_INIT_EXISTS, 1,
		    dir));
	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	crypto_sign_keypair(pk, sk);
	if (ops_write_key(kpath, sk)) {
		ops_fail(e, OPS_ENV, OPS_MSG_INIT_WRITE, 2, kpath,
		    strerror(errno));
		sodium_free(sk);
		return (-1);
	}
	hex_encode(pk, NODE_KEY_LEN, hex);
	if (db_open(&db, dpath, true, err) || db_set_signer(db, sk) ||
	    init_self(db, a, pk, hex, now, err)) {
		sodium_free(sk);
		if (db != NULL)
			db_close(db);
		unlink(kpath);
		unlink(dpath);
		ops_fail(e, OPS_STORE, OPS_MSG_INIT_FAILED, 1, err);
		snprintf(e->cause, sizeof(e->cause), "%s", err);
		return (-1);
	}
	sodium_free(sk);
	db_close(db);
	return (0);
}

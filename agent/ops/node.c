/*
 * node.c: the operations on the node itself (agent/ops/node.h): vector,
 * verify, rebuild, backup, the forks and refused changes, audit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/ops/node.h"
#include "agent/ops/ops_int.h"
#include "store/query.h"

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
	sodium_bin2hex(key, sizeof(key), origin, NODE_KEY_LEN);
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
};

static int
refusal_cb(void *arg, const struct db_refusal *r)
{
	struct refusals_ctx *x = arg;
	char name[128], key[OPS_KEY_HEX], id[2 * SCHEMA_ID_LEN + 1];
	struct ops_refusal_row row;

	query_node_name(x->o->db, r->origin, name, sizeof(name));
	sodium_bin2hex(key, sizeof(key), r->origin, NODE_KEY_LEN);
	sodium_bin2hex(id, sizeof(id), r->id, SCHEMA_ID_LEN);
	row.r = r;
	row.name = name;
	row.key = key;
	row.id = id;
	return (x->fn(x->arg, &row));
}

int
ops_refusals(struct ops *o, size_t newest, ops_refusal_fn fn, void *arg,
    struct ops_err *e)
{
	struct refusals_ctx x = { o, fn, arg };
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

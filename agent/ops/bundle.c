/*
 * bundle.c: bundle export and import, the operations (agent/ops/node.h):
 * sync by carrying a file (agent/codec/bundle.c is its format).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "agent/codec/bundle.h"
#include "agent/codec/hex.h"
#include "agent/ops/node.h"
#include "agent/ops/ops_int.h"

#define VECTOR_MAX	100000	/* Origins in a vector file. */

void
ops_vec_free(struct ops_vec *v)
{

	free(v->key);
	free(v->seq);
	memset(v, 0, sizeof(*v));
}

static int
vec_grow(struct ops_vec *v)
{
	void *p;

	if (v->n < v->a)
		return (0);
	v->a = v->a ? 2 * v->a : 16;
	if ((p = realloc(v->key, v->a * NODE_KEY_LEN)) == NULL)
		return (-1);
	v->key = p;
	if ((p = realloc(v->seq, v->a * sizeof(*v->seq))) == NULL)
		return (-1);
	v->seq = p;
	return (0);
}

int
ops_vec_read(const char *path, struct ops_vec *v, struct ops_err *e)
{
	char line[256], *end, ln[32];
	unsigned long long seq;
	size_t lineno = 0;
	FILE *f;

	memset(e, 0, sizeof(*e));
	memset(v, 0, sizeof(*v));
	if ((f = fopen(path, "r")) == NULL)
		return (ops_fail(e, OPS_IO, OPS_MSG_FILE_ERROR, 2, path,
		    strerror(errno)));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '\n')
			continue;
		if (strlen(line) < 2 * NODE_KEY_LEN + 2 ||
		    line[2 * NODE_KEY_LEN] != ' ')
			goto bad;
		errno = 0;
		seq = strtoull(line + 2 * NODE_KEY_LEN + 1, &end, 10);
		if (errno || end == line + 2 * NODE_KEY_LEN + 1 ||
		    (*end != '\n' && *end != '\0') || v->n == VECTOR_MAX)
			goto bad;
		if (vec_grow(v)) {
			fclose(f);
			ops_vec_free(v);
			return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
		}
		line[2 * NODE_KEY_LEN] = '\0';	/* The key alone. */
		if (hex_decode(line, v->key[v->n], NODE_KEY_LEN))
			goto bad;
		v->seq[v->n++] = seq;
	}
	fclose(f);
	return (0);
bad:
	fclose(f);
	ops_vec_free(v);
	snprintf(ln, sizeof(ln), "%zu", lineno);
	return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_VECTOR_LINE, 3, path, ln,
	    "vector"));
}

struct exp_ctx {
	const struct ops_vec	*v;
	struct bundle_w		*w;
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

/* Every change ${a} asks for, to ${f}; errno or ${err} on -1. */
static int
export_to(struct ops *o, const struct ops_bundle_export_args *a, FILE *f,
    struct bundle_w *w, char err[STORE_ERRLEN])
{
	struct exp_ctx x = { a->since, w };
	int rc;

	err[0] = '\0';
	db_read_begin(o->db);
	rc = bundle_w_init(w, f) || db_commits_since(o->db, a->since ?
	    vec_have : NULL, add_cb, &x, err) || bundle_w_finish(w);
	db_read_end(o->db);
	return (rc ? -1 : 0);
}

/*
 * fopen() of ${path} failed with ENOENT or ENOTDIR: name its first folder
 * that is missing, or is no folder.  Never made here: a folder missing on
 * the way to a USB stick is most often the stick not mounted, and making
 * it would put the bundle on this machine's own disk instead.
 */
static int
missing_dir(const char *path, struct ops_err *e)
{
	char dir[4096], up[4096];
	struct stat st;
	char *s;
	size_t len;

	snprintf(dir, sizeof(dir), "%s", path);
	for (len = strlen(dir); len > 0 && dir[len - 1] == '/'; len--)
		dir[len - 1] = '\0';
	/*
	 * The deepest folder above ${path} that exists ("" the current
	 * one, "/" the root); the part of ${path} after it is missing.
	 */
	for (;;) {
		if ((s = strrchr(dir, '/')) == NULL) {
			dir[0] = '\0';
			break;
		}
		while (s > dir && s[-1] == '/')
			s--;
		s[s == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				return (ops_fail(e, OPS_IO,
				    OPS_MSG_BUNDLE_NOT_DIR, 2, path, dir));
			break;
		}
		if (s == dir)		/* No root: cannot be. */
			return (ops_fail(e, OPS_IO, OPS_MSG_FILE_ERROR, 2, path,
			    strerror(ENOENT)));
	}
	len = strlen(dir);
	while (path[len] == '/')
		len++;
	if ((s = strchr(path + len, '/')) == NULL)	/* Gone meanwhile. */
		return (ops_fail(e, OPS_IO, OPS_MSG_FILE_ERROR, 2, path,
		    strerror(ENOENT)));
	snprintf(dir, sizeof(dir), "%.*s", (int)(s - path), path);
	snprintf(up, sizeof(up), "%.*s", (int)(strrchr(path, '/') - path),
	    path);
	return (ops_fail(e, OPS_IO, OPS_MSG_BUNDLE_NO_DIR, 3, path, dir, up));
}

int
ops_bundle_export(struct ops *o, const struct ops_bundle_export_args *a,
    uint64_t *n, struct ops_err *e)
{
	char tmp[4096], err[STORE_ERRLEN];
	struct bundle_w w;
	FILE *f;

	memset(e, 0, sizeof(*e));
	*n = 0;
	if (a->out != NULL) {
		errno = 0;
		if (export_to(o, a, a->out, &w, err) || fflush(a->out))
			return (ops_fail(e, OPS_IO, OPS_MSG_FILE_ERROR, 2,
			    a->path ? a->path : "-", errno ? strerror(errno) :
			    err));
		*n = w.n;
		return (0);
	}
	/* Write beside the target, then rename: never a half bundle. */
	if (snprintf(tmp, sizeof(tmp), "%s.part", a->path) >=
	    (int)sizeof(tmp))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_FILE_ERROR, 2, a->path,
		    strerror(ENAMETOOLONG)));
	if ((f = fopen(tmp, "wb")) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return (missing_dir(a->path, e));
		return (ops_fail(e, OPS_IO, OPS_MSG_FILE_ERROR, 2, tmp,
		    strerror(errno)));
	}
	errno = 0;
	if (export_to(o, a, f, &w, err) || fsync(fileno(f)) || fclose(f) ||
	    rename(tmp, a->path)) {
		ops_fail(e, OPS_IO, OPS_MSG_FILE_ERROR, 2, a->path, errno ?
		    strerror(errno) : err);
		unlink(tmp);
		return (-1);
	}
	*n = w.n;
	return (0);
}

struct imp_ctx {
	struct ops		*o;
	struct db_counts	*dc;
};

static int
apply_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    char *err)
{
	struct imp_ctx *x = arg;
	char e[STORE_ERRLEN];

	if (db_apply(x->o->db, body, len, sig, x->dc, e)) {
		snprintf(err, BUNDLE_ERRLEN, "%s", e);
		return (-1);
	}
	return (0);
}

static int
import_from(struct ops *o, FILE *f, const char *name,
    struct ops_bundle_import_res *r, struct ops_err *e)
{
	struct imp_ctx x = { o, &r->dc };
	char err[STORE_ERRLEN], berr[BUNDLE_ERRLEN], a[32], b[32];

	if (ops_begin(o, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	/* All or nothing: a bad commit or a bad trailer rolls back all. */
	if ((r->n = bundle_read(f, apply_cb, &x, berr)) < 0) {
		db_rollback(o->db);
		memset(&r->dc, 0, sizeof(r->dc));
		ops_fail(e, OPS_BAD_INPUT, OPS_MSG_FILE_ERROR, 2, name, berr);
		e->tail = OPS_MSG_NOTHING_IMPORTED;
		return (-1);
	}
	if (db_commit(o->db, err)) {
		ops_fail(e, OPS_STORE, OPS_MSG_FILE_ERROR, 2, name, err);
		e->tail = OPS_MSG_NOTHING_IMPORTED;
		return (-1);
	}
	if (r->dc.fork > 0) {
		snprintf(a, sizeof(a), "%llu", (unsigned long long)r->dc.fork);
		snprintf(b, sizeof(b), "%llu", (unsigned long long)
		    (r->dc.applied + r->dc.released));
		return (ops_fail(e, OPS_STORE, OPS_MSG_BUNDLE_FORKS, 3, name,
		    a, b));
	}
	return (0);
}

int
ops_bundle_import(struct ops *o, const struct ops_bundle_import_args *a,
    struct ops_bundle_import_res *r, struct ops_err *e)
{
	const char *name = a->path ? a->path : "-";
	FILE *f = a->in;
	int rc;

	memset(e, 0, sizeof(*e));
	memset(r, 0, sizeof(*r));
	if (f == NULL && (f = fopen(a->path, "rb")) == NULL)
		return (ops_fail(e, OPS_IO, OPS_MSG_FILE_ERROR, 2, name,
		    strerror(errno)));
	rc = import_from(o, f, name, r, e);
	if (a->in == NULL)
		fclose(f);
	return (rc);
}

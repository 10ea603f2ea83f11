/*
 * net.c: the network operations — peers, the center keys, revoking a
 * node.  What the CLI printed on error is a catalog key here (catalog.def,
 * "Network"); what it printed on success is a result the caller prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/access/member.h"
#include "agent/codec/invite.h"
#include "agent/ops/net.h"
#include "agent/ops/ops_int.h"
#include "store/query.h"

#define NET_SK_FILE	"node.key"
#define NET_ADMIN	"admin"

static void
hexenc(const uint8_t *b, size_t len, char *out)
{

	sodium_bin2hex(out, 2 * len + 1, b, len);
}

static int
hexdec(const char *s, uint8_t *out, size_t len)
{
	size_t bl;

	if (strlen(s) != 2 * len || sodium_hex2bin(out, len, s, 2 * len,
	    NULL, &bl, NULL) != 0 || bl != len)
		return (-1);
	return (0);
}

int
ops_node_key(const char *s, uint8_t pk[NODE_KEY_LEN], struct ops_err *e)
{
	char cut[80];

	if (hexdec(s, pk, NODE_KEY_LEN)) {
		snprintf(cut, sizeof(cut), "%.70s", s);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NET_KEY_NOT_HEX, 1,
		    cut));
	}
	if (!invite_key_ok(pk)) {
		snprintf(cut, sizeof(cut), "%.16s", s);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NET_KEY_INVALID, 1,
		    cut));
	}
	return (0);
}

int
ops_net_addr(const char *a, struct ops_err *e)
{
	char cut[80];

	if (member_addr_valid(a))
		return (0);
	snprintf(cut, sizeof(cut), "%.70s", a);
	return (ops_fail(e, OPS_USAGE, OPS_MSG_NET_ADDR_INVALID, 1, cut));
}

int
ops_member_text(const char *field, const char *opt, const char *s,
    struct ops_err *e)
{
	const struct coll_def *m = schema_coll("members");
	struct val v;
	char why[256];

	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = s;
	v.len = strlen(s);
	if (v.len == 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NET_TEXT_EMPTY, 1, opt));
	if (schema_check(schema_field(m, field, strlen(field)), &v, why,
	    sizeof(why)))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NET_TEXT_INVALID, 2,
		    opt, why));
	if (!invite_name_ok(s, v.len))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NET_TEXT_CONTROL, 1,
		    opt));
	return (0);
}

/* Is this node an admin (meta role)? */
static bool
is_admin(struct ops *o)
{
	char meta[256];

	return (db_meta_get(o->db, "role", meta, sizeof(meta)) == 0 &&
	    strcmp(meta, NET_ADMIN) == 0);
}

uint8_t *
ops_load_sk(struct ops *o, struct ops_err *e)
{
	char path[4096], mode[8], len[24];
	struct stat sb;
	uint8_t *sk, extra;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", o->dir, NET_SK_FILE);
	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL) {
		ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0);
		return (NULL);
	}
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_MISSING, 1,
			    path);
		else
			ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_ERR, 2, path,
			    strerror(errno));
		goto fail;
	}
	if (fstat(fd, &sb) == -1) {
		ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_ERR, 2, path,
		    strerror(errno));
		close(fd);
		goto fail;
	}
	if (sb.st_mode & 077) {
		snprintf(mode, sizeof(mode), "%04o",
		    (unsigned)(sb.st_mode & 07777));
		ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_MODE, 3, NET_SK_FILE,
		    mode, path);
		close(fd);
		goto fail;
	}
	n = read(fd, sk, NODE_SK_LEN);
	if (n == NODE_SK_LEN && read(fd, &extra, 1) != 0)
		n = -1;
	close(fd);
	if (n != NODE_SK_LEN) {
		snprintf(len, sizeof(len), "%d", NODE_SK_LEN);
		ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_DAMAGED, 2, path, len);
		goto fail;
	}
	/* libsodium's secret key ends with its public half. */
	if (sodium_memcmp(sk + NODE_SK_LEN - NODE_KEY_LEN, db_node_key(o->db),
	    NODE_KEY_LEN) != 0) {
		ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_MISMATCH, 1,
		    NET_SK_FILE);
		goto fail;
	}
	return (sk);
fail:
	sodium_free(sk);
	return (NULL);
}

/* ---- Peers. */

struct advert {
	const char	*addr;
	uint8_t		key[NODE_KEY_LEN];
	char		name[101];
	int		n;		/* Keys advertising addr. */
};

/* Does a members record advertise ${a}->addr?  Collect its key. */
static int
advert_cb(void *arg, const struct rview *rv)
{
	struct advert *a = arg;
	const struct rview_field *addrs = NULL, *key = NULL, *name = NULL;
	char buf[1001], hk[2 * NODE_KEY_LEN + 1], *p, *save = NULL;
	uint8_t k[NODE_KEY_LEN];
	size_t i;

	for (i = 0; i < rv->nf; i++) {
		if (rv->f[i].v.t != VAL_STR)
			continue;
		if (strcmp(rv->f[i].name, "addresses") == 0)
			addrs = &rv->f[i];
		else if (strcmp(rv->f[i].name, "key") == 0)
			key = &rv->f[i];
		else if (strcmp(rv->f[i].name, "name") == 0)
			name = &rv->f[i];
	}
	if (addrs == NULL || key == NULL || addrs->v.len >= sizeof(buf) ||
	    key->v.len != sizeof(hk) - 1)
		return (0);
	memcpy(hk, key->v.s, key->v.len);
	hk[key->v.len] = '\0';
	if (hexdec(hk, k, NODE_KEY_LEN) || !invite_key_ok(k) ||
	    memcmp(k, rv->id, SCHEMA_ID_LEN) != 0)
		return (0);
	memcpy(buf, addrs->v.s, addrs->v.len);
	buf[addrs->v.len] = '\0';
	for (p = strtok_r(buf, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save)) {
		if (strcmp(p, a->addr) != 0)
			continue;
		if (a->n > 0 && memcmp(a->key, k, NODE_KEY_LEN) == 0)
			break;
		memcpy(a->key, k, NODE_KEY_LEN);
		if (name != NULL && name->v.len < sizeof(a->name))
			snprintf(a->name, sizeof(a->name), "%.*s",
			    (int)name->v.len, name->v.s);
		else
			snprintf(a->name, sizeof(a->name), "-");
		a->n++;
		break;
	}
	return (0);
}

int
ops_peer_add(struct ops *o, const struct ops_peer_add_args *args,
    struct ops_peer_added *out, struct ops_err *e)
{
	struct advert a;
	char err[STORE_ERRLEN];

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	a.addr = args->addr;
	if (ops_net_addr(args->addr, e))
		return (-1);
	if (args->key != NULL && ops_node_key(args->key, a.key, e))
		return (-1);
	if (args->key == NULL) {
		if (query_records(o->db, schema_coll("members"), NULL, NULL,
		    0, false, advert_cb, &a, err) < 0)
			return (ops_store_fail(e, err, OPS_MSG_NONE));
		if (a.n == 0)
			return (ops_fail(e, OPS_NOT_FOUND,
			    OPS_MSG_PEER_NOT_ADVERTISED, 1, a.addr));
		if (a.n > 1)
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_PEER_ADVERTISED_TWICE, 1, a.addr));
		out->advertised = true;
		snprintf(out->name, sizeof(out->name), "%s", a.name);
	}
	if (sodium_memcmp(a.key, db_node_key(o->db), NODE_KEY_LEN) == 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_PEER_OWN_KEY, 1,
		    a.addr));
	if (db_peer_add(o->db, a.addr, a.key, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	hexenc(a.key, NODE_KEY_LEN, out->key);
	return (0);
}

struct plist {
	struct ops	*o;
	ops_peer_fn	fn;
	void		*arg;
	long		n;
	bool		stopped;
};

static int
plist_cb(void *arg, const char *addr, const uint8_t *key)
{
	struct plist *pl = arg;
	struct member_rec r;
	char hex[2 * NODE_KEY_LEN + 1];
	bool named = false;

	pl->n++;
	if (key != NULL) {
		hexenc(key, NODE_KEY_LEN, hex);
		named = member_load(pl->o->db, key, &r) == 1 &&
		    strcmp(r.key, hex) == 0 && *r.name;
	}
	if (pl->fn(pl->arg, addr, key ? hex : NULL, named ? r.name : NULL)) {
		pl->stopped = true;
		return (1);
	}
	return (0);
}

int
ops_peer_list(struct ops *o, ops_peer_fn fn, void *arg, long *n,
    struct ops_err *e)
{
	struct plist pl;
	char err[STORE_ERRLEN];
	int r;

	memset(&pl, 0, sizeof(pl));
	pl.o = o;
	pl.fn = fn;
	pl.arg = arg;
	db_read_begin(o->db);
	r = db_peers(o->db, plist_cb, &pl, err);
	db_read_end(o->db);
	if (r && !pl.stopped)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (n != NULL)
		*n = pl.n;
	return (0);
}

int
ops_peer_rm(struct ops *o, const struct ops_peer_rm_args *args,
    struct ops_err *e)
{
	char err[STORE_ERRLEN], cut[280];
	int rc;

	if ((rc = db_peer_rm(o->db, args->addr, err)) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (rc == 0) {
		snprintf(cut, sizeof(cut), "%.270s", args->addr);
		return (ops_fail(e, OPS_NOT_FOUND, OPS_MSG_PEER_NONE, 1, cut));
	}
	return (0);
}

/* ---- The center keys. */

int
ops_key_list(struct ops *o, ops_key_fn fn, void *arg, struct ops_err *e)
{
	struct conf *cf;
	char idh[2 * CONF_KEYID_LEN + 1];
	size_t i;

	if ((cf = ops_ring(o, e)) == NULL)
		return (-1);
	for (i = 0; i < cf->n; i++) {
		hexenc(cf->k[i].id, CONF_KEYID_LEN, idh);
		if (fn(arg, cf->k[i].center, idh, cf->k[i].version))
			break;
	}
	return (0);
}

int
ops_key_rotate_check(const struct ops_key_rotate_args *args,
    struct ops_err *e)
{

	return (ops_member_text("center", "CENTER", args->center, e));
}

int
ops_key_rotate(struct ops *o, const struct ops_key_rotate_args *args,
    struct ops_key_rotated *out, struct ops_err *e)
{
	struct conf *cf;
	const struct conf_key *k;
	char err[STORE_ERRLEN];
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (ops_key_rotate_check(args, e))
		return (-1);
	if (!is_admin(o))
		return (ops_fail(e, OPS_DENIED, OPS_MSG_KEY_ROTATE_ADMIN, 0));
	if ((cf = ops_ring(o, e)) == NULL)
		return (-1);
	if (conf_make_key(cf, args->center, err, sizeof(err)))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	k = conf_current(cf, args->center);
	/* To valid members only: an expired or revoked node gets nothing. */
	if (db_begin(o->db, ops_now(o), err) ||
	    conf_deliver_db(o->db, k, NULL, ops_now(o), &n, err) ||
	    db_commit(o->db, err)) {
		db_rollback(o->db);
		ops_fail(e, OPS_STORE, OPS_MSG_KEY_ROTATE_NOT_SENT, 2, err,
		    CONF_FILE);
		snprintf(e->cause, sizeof(e->cause), "%s", err);
		return (-1);
	}
	out->version = k->version;
	out->sent = n;
	return (0);
}

/* ---- revoke. */

int
ops_revoke_check(const struct ops_revoke_args *args, struct ops_err *e)
{
	uint8_t key[NODE_KEY_LEN];

	if (ops_node_key(args->key, key, e) ||
	    ops_member_text("revoked_reason", "--reason", args->reason, e))
		return (-1);
	return (0);
}

/* Buffer a write of text ${s} to a members field. */
static int
put_text(struct db *db, const uint8_t id[NODE_KEY_LEN], const char *field,
    const char *s, char err[STORE_ERRLEN])
{
	const struct coll_def *m = schema_coll("members");
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = s;
	v.len = strlen(s);
	return (db_put(db, m, id, schema_field(m, field, strlen(field)), &v,
	    err));
}

/*
 * The revocation accepts the node's commits this node holds, and no
 * other, whatever their stamps say: its clock cannot bring later writes
 * in.  Run again once more of them arrived, it accepts those too.
 */
int
ops_revoke(struct ops *o, const struct ops_revoke_args *args,
    struct ops_revoked *out, struct ops_err *e)
{
	const struct coll_def *m = schema_coll("members");
	uint8_t key[NODE_KEY_LEN], sig[NODE_SIG_LEN], *sk;
	char err[STORE_ERRLEN], hex[2 * NODE_KEY_LEN + 1], cut[20];
	char sighex[2 * NODE_SIG_LEN + 1], keyhex[2 * NODE_KEY_LEN + 1];
	struct member_rec r;
	struct val v;
	time_t t;
	struct tm tm;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ops_revoke_check(args, e))
		return (-1);
	(void)ops_node_key(args->key, key, e);
	if (!is_admin(o))
		return (ops_fail(e, OPS_DENIED, OPS_MSG_REVOKE_ADMIN, 0));
	if (sodium_memcmp(key, db_node_key(o->db), NODE_KEY_LEN) == 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_REVOKE_SELF, 0));
	if ((rc = member_load(o->db, key, &r)) < 0)
		return (ops_fail(e, OPS_STORE, OPS_MSG_MEMBER_READ, 0));
	if (rc == 0) {
		snprintf(cut, sizeof(cut), "%.16s", args->key);
		return (ops_fail(e, OPS_NOT_FOUND, OPS_MSG_REVOKE_NOT_MEMBER, 1,
		    cut));
	}
	t = (time_t)(ops_now(o) / 1000);
	if (gmtime_r(&t, &tm) == NULL || strftime(out->when,
	    sizeof(out->when), "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_CLOCK_RANGE, 0));
	if (db_held_seq(o->db, key, &out->upto, err))
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	if ((sk = ops_load_sk(o, e)) == NULL)
		return (-1);
	rc = member_revoke_sign(key, out->when, out->upto, args->reason, sk,
	    sig);
	sodium_free(sk);
	if (rc)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	hexenc(db_node_key(o->db), NODE_KEY_LEN, hex);
	hexenc(sig, NODE_SIG_LEN, sighex);
	hexenc(key, NODE_KEY_LEN, keyhex);
	memset(&v, 0, sizeof(v));
	v.t = VAL_INT;
	v.i = (int64_t)out->upto;
	/* The key too, so the revocation stands alone in its commit. */
	if (db_begin(o->db, ops_now(o), err) ||
	    put_text(o->db, key, "key", keyhex, err) ||
	    put_text(o->db, key, "revoked", out->when, err) ||
	    put_text(o->db, key, "revoked_reason", args->reason, err) ||
	    put_text(o->db, key, "revoked_by", hex, err) ||
	    put_text(o->db, key, "revoked_sig", sighex, err) ||
	    db_put(o->db, m, key, schema_field(m, "revoked_seq", 11), &v,
	    err) || db_commit(o->db, err)) {
		db_rollback(o->db);
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	}
	snprintf(out->name, sizeof(out->name), "%s", r.name);
	return (0);
}

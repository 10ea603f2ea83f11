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

#include <msgpack.h>
#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/access/member.h"
#include "agent/codec/hex.h"
#include "agent/codec/invite.h"
#include "agent/codec/json.h"
#include "agent/daemon/log.h"
#include "agent/ops/cases.h"
#include "agent/ops/centers.h"
#include "agent/ops/net.h"
#include "agent/ops/node.h"
#include "agent/ops/users.h"
#include "agent/ops/ops_int.h"
#include "store/query.h"
#include "store/trust.h"

#define NET_SK_FILE	"node.key"
#define NET_ADMIN	"admin"
#define NET_ADMIN_DAYS	3653	/* First admin's: ten years. */

int
ops_node_key(const char *s, uint8_t pk[NODE_KEY_LEN], struct ops_err *e)
{
	char cut[80];

	if (hex_decode(s, pk, NODE_KEY_LEN)) {
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

/*
 * The id of a node to invite, as 'hamroh id --invite' prints it there:
 * NODE_KEY ":" DATA_KEY, 64 hex digits each; 1 for a NODE_KEY alone (an
 * invite then carries no center keys: never sealed to a node key).
 */
static int
invite_id(const char *s, uint8_t pk[NODE_KEY_LEN], uint8_t dpk[CONF_DATA_LEN],
    struct ops_err *e)
{
	char node[2 * NODE_KEY_LEN + 1], cut[80];
	const char *colon = strchr(s, ':');

	if (colon == NULL)
		return (ops_node_key(s, pk, e) ? -1 : 1);
	if ((size_t)(colon - s) >= sizeof(node)) {
		snprintf(cut, sizeof(cut), "%.70s", s);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NET_KEY_NOT_HEX, 1,
		    cut));
	}
	memcpy(node, s, (size_t)(colon - s));
	node[colon - s] = '\0';
	if (ops_node_key(node, pk, e))
		return (-1);
	if (hex_decode(colon + 1, dpk, CONF_DATA_LEN)) {
		snprintf(cut, sizeof(cut), "%.70s", colon + 1);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INVITE_DATA_KEY_BAD, 1,
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
	if (hex_decode(hk, k, NODE_KEY_LEN) || !invite_key_ok(k) ||
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
	hex_encode(a.key, NODE_KEY_LEN, out->key);
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
		hex_encode(key, NODE_KEY_LEN, hex);
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
		hex_encode(cf->k[i].id, CONF_KEYID_LEN, idh);
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
	/* A network operation: an admin of this node signs in for it. */
	if (ops_need_admin(o, e))
		return (-1);
	if (!is_admin(o))
		return (ops_fail(e, OPS_DENIED, OPS_MSG_KEY_ROTATE_ADMIN, 0));
	if ((cf = ops_ring(o, e)) == NULL)
		return (-1);
	if (conf_make_key(cf, args->center, err, sizeof(err)))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	k = conf_current(cf, args->center);
	/* To valid members only: an expired or revoked node gets nothing. */
	if (ops_begin(o, err) ||
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
	/* A network operation: an admin of this node signs in for it. */
	if (ops_need_admin(o, e))
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
	hex_encode(db_node_key(o->db), NODE_KEY_LEN, hex);
	hex_encode(sig, NODE_SIG_LEN, sighex);
	hex_encode(key, NODE_KEY_LEN, keyhex);
	memset(&v, 0, sizeof(v));
	v.t = VAL_INT;
	v.i = (int64_t)out->upto;
	/* The key too, so the revocation stands alone in its commit. */
	if (ops_begin(o, err) ||
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

/* ---- invite. */

#define NET_KEY_FILE	"network.key"

/* Buffer the writes that put certificate ${c} into its members record. */
static int
put_cert(struct db *db, const struct member_cert *c,
    const uint8_t by[NODE_KEY_LEN], const uint8_t sig[NODE_SIG_LEN],
    char err[STORE_ERRLEN])
{
	char key[2 * NODE_KEY_LEN + 1], byh[2 * NODE_KEY_LEN + 1];
	char sigh[2 * NODE_SIG_LEN + 1];

	hex_encode(c->key, NODE_KEY_LEN, key);
	hex_encode(by, NODE_KEY_LEN, byh);
	hex_encode(sig, NODE_SIG_LEN, sigh);
	if (put_text(db, c->key, "key", key, err) ||
	    put_text(db, c->key, "name", c->name, err) ||
	    put_text(db, c->key, "center", c->center, err) ||
	    put_text(db, c->key, "role", c->role, err) ||
	    put_text(db, c->key, "expires", c->expires, err) ||
	    put_text(db, c->key, "cert_by", byh, err) ||
	    put_text(db, c->key, "cert", sigh, err))
		return (-1);
	return (0);
}

int
ops_read_keyfile(const char *dir, const char *name, uint8_t *out,
    size_t len, struct ops_err *e)
{
	char path[4096], mode[8], lens[24];
	struct stat sb;
	uint8_t extra;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return (0);
		return (ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_ERR, 2, path,
		    strerror(errno)));
	}
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return (ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_ERR, 2, path,
		    strerror(errno)));
	}
	if (sb.st_mode & 077) {
		close(fd);
		snprintf(mode, sizeof(mode), "%04o",
		    (unsigned)(sb.st_mode & 07777));
		return (ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_MODE, 3, name,
		    mode, path));
	}
	n = read(fd, out, len);
	if (n == (ssize_t)len && read(fd, &extra, 1) != 0)
		n = -1;
	close(fd);
	if (n != (ssize_t)len) {
		snprintf(lens, sizeof(lens), "%zu", len);
		return (ops_fail(e, OPS_ENV, OPS_MSG_NET_KEYFILE_DAMAGED, 2,
		    path, lens));
	}
	return (1);
}

/* A row of the peers table: whose key is pinned to ${a}->addr. */
static int
pinned_cb(void *arg, const char *addr, const uint8_t *key)
{
	struct advert *a = arg;

	if (key == NULL || strcmp(addr, a->addr) != 0 ||
	    (a->n > 0 && memcmp(a->key, key, NODE_KEY_LEN) == 0))
		return (0);
	memcpy(a->key, key, NODE_KEY_LEN);
	snprintf(a->name, sizeof(a->name), "-");
	a->n++;
	return (0);
}

/*
 * The member known here at ${addr}: one that advertises it, or the key
 * the peers table dials there.  Fills ${a} (name "-" if unnamed); its
 * n is 0 if none is known.
 */
static int
addr_owner(struct ops *o, const char *addr, struct advert *a,
    struct ops_err *e)
{
	struct member_rec r;
	char err[STORE_ERRLEN], hex[2 * NODE_KEY_LEN + 1];
	int rc;

	memset(a, 0, sizeof(*a));
	a->addr = addr;
	if (query_records(o->db, schema_coll("members"), NULL, NULL, 0,
	    false, advert_cb, a, err) < 0)
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (a->n == 0) {
		db_read_begin(o->db);
		rc = db_peers(o->db, pinned_cb, a, err);
		db_read_end(o->db);
		if (rc)
			return (ops_store_fail(e, err, OPS_MSG_NONE));
		hex_encode(a->key, NODE_KEY_LEN, hex);
		if (a->n > 0 && member_load(o->db, a->key, &r) == 1 &&
		    strcmp(r.key, hex) == 0 && *r.name)
			snprintf(a->name, sizeof(a->name), "%s", r.name);
	}
	return (0);
}

/*
 * The token's addresses are this node's own: one known as another
 * member's would pin this node's key to that member's address (the trap
 * of issue 12), so it is refused, pointing at --peer.  A --peer whose
 * address is known as a member's must carry that member's key.
 */
static int
invite_check_addrs(struct ops *o, const struct invite *iv, struct ops_err *e)
{
	struct advert a;
	char hex[2 * NODE_KEY_LEN + 1], h16[17], name[512];
	char given[2 * NODE_KEY_LEN + 1], g16[17];
	size_t i;

	for (i = 0; i < iv->naddr; i++) {
		if (addr_owner(o, iv->addr[i], &a, e))
			return (-1);
		if (a.n == 0 || sodium_memcmp(a.key, db_node_key(o->db),
		    NODE_KEY_LEN) == 0)
			continue;
		hex_encode(a.key, NODE_KEY_LEN, hex);
		snprintf(h16, sizeof(h16), "%.16s", hex);
		log_esc(name, sizeof(name), a.name, strlen(a.name), 0);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INVITE_ADDR_MEMBER, 4,
		    iv->addr[i], name, h16, hex));
	}
	for (i = 0; i < iv->npeers; i++) {
		if (addr_owner(o, iv->peers[i].addr, &a, e))
			return (-1);
		if (sodium_memcmp(iv->peers[i].key, db_node_key(o->db),
		    NODE_KEY_LEN) == 0)
			return (ops_fail(e, OPS_USAGE, OPS_MSG_INVITE_PEER_SELF,
			    1, iv->peers[i].addr));
		if (a.n == 0 || memcmp(a.key, iv->peers[i].key,
		    NODE_KEY_LEN) == 0)
			continue;
		hex_encode(a.key, NODE_KEY_LEN, hex);
		snprintf(h16, sizeof(h16), "%.16s", hex);
		hex_encode(iv->peers[i].key, NODE_KEY_LEN, given);
		snprintf(g16, sizeof(g16), "%.16s", given);
		log_esc(name, sizeof(name), a.name, strlen(a.name), 0);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INVITE_PEER_OTHER, 5,
		    iv->peers[i].addr, g16, name, h16, hex));
	}
	return (0);
}

/* The addresses this node publishes in its members record, if valid. */
static void
own_addrs(const struct member_rec *r, struct invite *iv)
{
	char buf[sizeof(r->addresses)], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", r->addresses);
	for (p = strtok_r(buf, " ", &save); p != NULL &&
	    iv->naddr < MEMBER_MAX_ADDRS; p = strtok_r(NULL, " ", &save))
		if (member_addr_valid(p))
			snprintf(iv->addr[iv->naddr++], MEMBER_ADDR_MAX + 1,
			    "%s", p);
}

/*
 * The center keys an invite carries, sealed to the new node: its
 * center's (made now if there is none yet) and, for an admin, every key.
 * ${made}: whether a key was made (its other holders need it too).
 * Sealed to the new node's data key; none unless ${with_keys} (no data
 * key given).
 */
static int
invite_keys(struct ops *o, struct invite *iv, bool with_keys, bool *made,
    struct ops_err *e)
{
	struct conf *cf;
	char err[512];
	bool admin = strcmp(iv->m.role, NET_ADMIN) == 0;
	size_t i;

	*made = false;
	if ((cf = ops_ring(o, e)) == NULL)
		return (-1);
	if (*iv->m.center != '\0' && conf_current(cf, iv->m.center) == NULL) {
		if (conf_make_key(cf, iv->m.center, err, sizeof(err)))
			return (ops_store_fail(e, err, OPS_MSG_NONE));
		*made = true;
	}
	for (i = 0; with_keys && i < cf->n && iv->nkeys < INVITE_MAX_KEYS;
	    i++) {
		if (!admin && strcmp(cf->k[i].center, iv->m.center) != 0)
			continue;
		memcpy(iv->keys[iv->nkeys].id, cf->k[i].id, CONF_KEYID_LEN);
		iv->keys[iv->nkeys].version = cf->k[i].version;
		snprintf(iv->keys[iv->nkeys].center, CONF_CENTER_MAX + 1, "%s",
		    cf->k[i].center);
		if (conf_wrap_data(&cf->k[i], iv->data_pk,
		    iv->keys[iv->nkeys].sealed))
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_INVITE_SEAL, 0));
		iv->nkeys++;
	}
	return (0);
}

/* The same keys as records, and a new key to its center's other holders. */
static int
invite_key_records(struct ops *o, const struct invite *iv, bool made,
    char err[STORE_ERRLEN])
{
	struct conf *cf = &o->ring;
	const struct conf_key *cur;
	size_t i, j, sent;

	for (i = 0; i < cf->n; i++)
		for (j = 0; j < iv->nkeys; j++)
			if (memcmp(cf->k[i].id, iv->keys[j].id,
			    CONF_KEYID_LEN) == 0 &&
			    conf_put_record_to(o->db, &cf->k[i], iv->key,
			    iv->data_pk, err))
				return (-1);
	if (!made || (cur = conf_current(cf, iv->m.center)) == NULL)
		return (0);
	return (conf_deliver_db(o->db, cur, iv->key, ops_now(o), &sent, err));
}

int
ops_invite_check(const struct ops_invite_args *a, struct ops_err *e)
{
	uint8_t k[NODE_KEY_LEN], dk[CONF_DATA_LEN];
	size_t i;

	if (invite_id(a->key, k, dk, e) < 0 ||
	    ops_member_text("name", "--name", a->name, e) ||
	    ops_member_text("center", "--center", a->center, e) ||
	    ops_member_text("role", "--role", a->role, e))
		return (-1);
	if (a->days > OPS_INVITE_DAYS_MAX)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INVITE_DAYS, 0));
	if (a->naddr > MEMBER_MAX_ADDRS || a->npeers > INVITE_MAX_PEERS)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INVITE_TOO_MANY, 0));
	for (i = 0; i < a->naddr; i++)
		if (ops_net_addr(a->addrs[i], e))
			return (-1);
	for (i = 0; i < a->npeers; i++)
		if (ops_net_addr(a->peers[i].addr, e) ||
		    ops_node_key(a->peers[i].key, k, e))
			return (-1);
	return (0);
}

/* invite: inside, the token in ${iv} (the caller frees both). */
static int
invite_make(struct ops *o, const struct ops_invite_args *a, struct invite *iv,
    char **token, struct ops_err *e)
{
	struct member_cert c;
	struct member_rec self;
	char err[STORE_ERRLEN], why[256], meta[256], cut[20];
	uint8_t *sk;
	size_t i;
	bool made, with_keys;
	int rc;

	iv->version = INVITE_VERSION;
	with_keys = invite_id(a->key, iv->key, iv->data_pk, e) == 0;
	for (i = 0; i < a->naddr; i++)
		snprintf(iv->addr[iv->naddr++], MEMBER_ADDR_MAX + 1, "%s",
		    a->addrs[i]);
	for (i = 0; i < a->npeers; i++) {
		(void)ops_node_key(a->peers[i].key, iv->peers[i].key, e);
		snprintf(iv->peers[iv->npeers++].addr, MEMBER_ADDR_MAX + 1,
		    "%s", a->peers[i].addr);
	}
	snprintf(iv->m.name, sizeof(iv->m.name), "%s", a->name);
	snprintf(iv->m.center, sizeof(iv->m.center), "%s", a->center);
	snprintf(iv->m.role, sizeof(iv->m.role), "%s", a->role);

	if (db_meta_get(o->db, "role", meta, sizeof(meta)))
		return (ops_fail(e, OPS_DENIED, OPS_MSG_INVITE_NO_NETWORK, 0));
	if (strcmp(meta, NET_ADMIN) != 0)
		return (ops_fail(e, OPS_DENIED, OPS_MSG_INVITE_NOT_ADMIN, 1,
		    meta));
	if (db_meta_get(o->db, "network_name", iv->net, sizeof(iv->net)) ||
	    db_meta_get(o->db, "admin_key", meta, sizeof(meta)) ||
	    hex_decode(meta, iv->admin, NODE_KEY_LEN))
		return (ops_fail(e, OPS_ENV, OPS_MSG_INVITE_SETTINGS, 1,
		    NET_KEY_FILE));
	if ((rc = ops_read_keyfile(o->dir, NET_KEY_FILE, iv->netkey,
	    HS_PSK_LEN, e)) < 0)
		return (-1);
	if (rc == 0)
		return (ops_fail(e, OPS_ENV, OPS_MSG_INVITE_SETTINGS, 1,
		    NET_KEY_FILE));
	/*
	 * The joining node checks the certificate against the admin key in
	 * the token before it knows any member, so only the network's own
	 * admin key can sign invites that join can check.
	 */
	if (sodium_memcmp(iv->admin, db_node_key(o->db), NODE_KEY_LEN)) {
		snprintf(cut, sizeof(cut), "%.16s", meta);
		return (ops_fail(e, OPS_DENIED, OPS_MSG_INVITE_NOT_FIRST, 1,
		    cut));
	}
	if (sodium_memcmp(iv->key, db_node_key(o->db), NODE_KEY_LEN) == 0) {
		snprintf(cut, sizeof(cut), "%.16s", a->key);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_INVITE_OWN_KEY, 1,
		    cut));
	}
	if (member_check(o->db, db_node_key(o->db), ops_now(o), why,
	    sizeof(why)))
		return (ops_fail(e, OPS_DENIED, OPS_MSG_INVITE_CERT_INVALID, 1,
		    why));
	if (invite_check_addrs(o, iv, e))
		return (-1);
	/* A known center, and the new node's code for its case numbers. */
	if (*a->center && ops_center_known(o, a->center, strlen(a->center),
	    "--center ", NULL, e))
		return (-1);
	if (cases_invite_code(o->db, iv->key, iv->case_code, err))
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	if (iv->naddr == 0) {
		if (member_load(o->db, db_node_key(o->db), &self) < 0)
			return (ops_fail(e, OPS_STORE, OPS_MSG_SELF_READ, 0));
		own_addrs(&self, iv);
	}

	member_date(ops_now(o), a->days ? a->days : OPS_INVITE_DAYS,
	    iv->m.expires);
	if (invite_keys(o, iv, with_keys, &made, e))
		return (-1);
	invite_cert(iv, &c);
	if ((sk = ops_load_sk(o, e)) == NULL)
		return (-1);
	rc = member_cert_sign(&c, sk, iv->cert) || invite_sig(iv, sk);
	sodium_free(sk);
	if (rc)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	if (invite_encode(iv, token))
		return (ops_fail(e, OPS_USAGE, OPS_MSG_INVITE_TOO_LONG, 0));

	if (ops_begin(o, err) ||
	    put_cert(o->db, &c, iv->admin, iv->cert, err) ||
	    put_text(o->db, iv->key, "case_code", iv->case_code, err) ||
	    invite_key_records(o, iv, made, err) ||
	    db_commit(o->db, err)) {
		db_rollback(o->db);
		sodium_free(*token);
		*token = NULL;
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	}
	return (0);
}

int
ops_invite(struct ops *o, const struct ops_invite_args *a, char **token,
    struct ops_err *e)
{
	struct invite *iv;
	int r;

	*token = NULL;
	if (ops_invite_check(a, e))
		return (-1);
	/* A network operation: an admin of this node signs in for it. */
	if (ops_need_admin(o, e))
		return (-1);
	if ((iv = sodium_malloc(sizeof(*iv))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	memset(iv, 0, sizeof(*iv));
	r = invite_make(o, a, iv, token, e);
	sodium_free(iv);
	return (r);
}

/* ---- Successors: network create and join. */

/*
 * Continuing under a successor key (PROTOCOL.md, Successors).  A node that
 * logged records before it joined holds them in commits of its own origin,
 * signed with confidential fields in clear: those commits must never
 * leave it.  So join makes a fresh node key, the successor of the old one
 * (the statement, signed by the old key, and the old key's certificate go
 * in the new key's members record, its first commit), re-commits every
 * live consultation of this node's center (all of them for an admin) with
 * its confidential fields sealed to the center's key from the invite, and
 * retires every origin the log held before: their commits stay here, for
 * this node's own history, and are never offered, sent or bundled.
 */

/* One record to commit again: its fields, copied. */
struct recopy {
	uint8_t		id[SCHEMA_ID_LEN];
	size_t		nf;
	char		*name[64];
	struct val	v[64];
	char		*s[64];
};

struct recopies {
	struct recopy	*r;
	size_t		n;
};

static int
recopy_cb(void *arg, const struct rview *rv)
{
	struct recopies *x = arg;
	struct recopy *r, *nr;
	size_t i;

	if ((nr = realloc(x->r, (x->n + 1) * sizeof(*nr))) == NULL)
		return (-1);
	x->r = nr;
	r = &x->r[x->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, rv->id, SCHEMA_ID_LEN);
	for (i = 0; i < rv->nf && r->nf < 64; i++) {
		r->v[r->nf] = rv->f[i].v;
		if ((r->name[r->nf] = strdup(rv->f[i].name)) == NULL)
			return (-1);
		if (rv->f[i].v.t == VAL_STR) {
			if ((r->s[r->nf] = malloc(rv->f[i].v.len + 1)) == NULL)
				return (-1);
			memcpy(r->s[r->nf], rv->f[i].v.s, rv->f[i].v.len);
			r->s[r->nf][rv->f[i].v.len] = '\0';
			r->v[r->nf].s = r->s[r->nf];
		}
		r->nf++;
	}
	return (0);
}

static void
recopies_free(struct recopies *x)
{
	size_t i, j;

	for (i = 0; i < x->n; i++)
		for (j = 0; j < x->r[i].nf; j++) {
			free(x->r[i].name[j]);
			if (x->r[i].s[j] != NULL) {
				sodium_memzero(x->r[i].s[j],
				    strlen(x->r[i].s[j]));
				free(x->r[i].s[j]);
			}
		}
	free(x->r);
	x->r = NULL;
	x->n = 0;
}

/*
 * Consultations of other centers that a member (not an admin) logged
 * before it joined.  They are not committed again: only an admin may
 * create a record of another center, so every node's judge would refuse
 * the copy, sealed or not, and in the node's own tables its clear history
 * is refused as soon as it is in a network.  So they go, in clear, to a
 * file in the data dir (mode 0600, as node.key), JSON Lines that 'hamroh
 * import' takes on an admin's node; nothing of them leaves the node.
 */
#define LEFT_FILE	"other-centers.jsonl"

struct left {
	long	n;
	char	centers[128];	/* The first few, comma-separated. */
	char	path[4096];
	FILE	*f;
};

/* One record as a line of ${l}'s file, as 'hamroh import' takes it. */
static int
left_write(struct left *l, const struct coll_def *c, const struct recopy *r)
{
	char hex[2 * SCHEMA_ID_LEN + 1];
	size_t j;
	int fd;

	if (l->f == NULL && ((fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW, 0600)) == -1 || (l->f = fdopen(fd, "w")) == NULL))
		return (-1);
	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	fprintf(l->f, "{\"id\":\"%s\"", hex);
	for (j = 0; j < r->nf; j++) {
		if (schema_field(c, r->name[j], strlen(r->name[j])) == NULL)
			continue;
		fputc(',', l->f);
		json_put_str(l->f, r->name[j], strlen(r->name[j]));
		fputc(':', l->f);
		json_put_val(l->f, &r->v[j]);
	}
	fputs("}\n", l->f);
	return (ferror(l->f) ? -1 : 0);
}

/* Close ${l}'s file, synced; 0 or -1. */
static int
left_close(struct left *l)
{
	int r;

	if (l->f == NULL)
		return (0);
	r = fflush(l->f) || fsync(fileno(l->f)) ? -1 : 0;
	if (fclose(l->f))
		r = -1;
	l->f = NULL;
	return (r);
}

/* Count one left behind, of center ${rc}. */
static void
left_add(struct left *l, const char *rc)
{
	size_t len = strlen(l->centers), rl;
	const char *p;

	l->n++;
	if (*rc == '\0')
		rc = "(no center)";
	rl = strlen(rc);
	for (p = l->centers; (p = strstr(p, rc)) != NULL; p++)
		if ((p == l->centers || p[-1] == ' ') &&
		    (p[rl] == ',' || p[rl] == '\0'))
			return;
	if (len + rl + 6 >= sizeof(l->centers)) {
		if (strstr(l->centers, "...") == NULL && len + 5 <
		    sizeof(l->centers))
			strcat(l->centers, ", ...");
		return;
	}
	snprintf(l->centers + len, sizeof(l->centers) - len, "%s%s",
	    len ? ", " : "", rc);
}

/*
 * Open in place each confidential value of ${r} sealed under a key of
 * ${old} (a node's local keys, set aside at join): it is sealed again,
 * under the network's key, or goes to the other centers' file.
 */
static int
recopy_open(struct recopy *r, const struct coll_def *c,
    const struct conf *old)
{
	const struct field_def *f;
	char *plain;
	size_t j, len;

	for (j = 0; old != NULL && j < r->nf; j++) {
		if (r->v[j].t != VAL_STR || (f = schema_field(c, r->name[j],
		    strlen(r->name[j]))) == NULL || !conf_secret(c, f) ||
		    !conf_sealed(r->v[j].s, r->v[j].len))
			continue;
		switch (conf_open(old, r->id, f->name, r->v[j].s, r->v[j].len,
		    &plain, &len)) {
		case 0:
			break;
		case 1:		/* Not a local key's: kept as it is. */
			continue;
		default:
			return (-1);
		}
		sodium_memzero(r->s[j], strlen(r->s[j]));
		free(r->s[j]);
		r->s[j] = plain;
		r->v[j].s = plain;
		r->v[j].len = len;
	}
	return (0);
}

/*
 * Write again, under the new origin, every live record of ${c} this node
 * may write: a consultation of center ${center}, or any if ${admin} (the
 * only writer of guides and the directory), sealing confidential fields.
 * Consultations of other centers are counted in ${left}.  Values sealed
 * under a key of ${old} (NULL: none) are opened first.  Return how many
 * were written, or -1 with ${err} filled.
 */
static long
recommit_coll(struct ops *o, const struct coll_def *c, const char *center,
    bool admin, const struct conf *old, struct left *left,
    char err[STORE_ERRLEN])
{
	bool consult = strcmp(c->name, "consultations") == 0;
	const struct field_def *f;
	const struct conf_key *k;
	struct recopies x = { NULL, 0 };
	struct recopy *r;
	struct val v;
	const char *rc;
	char *sealed;
	size_t i, j;
	long n = 0;

	if (!consult && !admin)
		return (0);
	if (query_records(o->db, c, NULL, NULL, 0, false, recopy_cb, &x,
	    err) < 0) {
		recopies_free(&x);
		return (-1);
	}
	for (i = 0; i < x.n; i++) {
		r = &x.r[i];
		if (recopy_open(r, c, old)) {
			snprintf(err, STORE_ERRLEN, "a value sealed under this "
			    "node's local key does not open");
			recopies_free(&x);
			return (-1);
		}
		for (rc = "", j = 0; consult && j < r->nf; j++)
			if (strcmp(r->name[j], "center") == 0 &&
			    r->v[j].t == VAL_STR)
				rc = r->s[j];
		/* Another center's record stays here, in the old history. */
		if (consult && (*rc == '\0' || (!admin &&
		    strcmp(rc, center) != 0))) {
			left_add(left, rc);
			if (left_write(left, c, r)) {
				snprintf(err, STORE_ERRLEN, "write %.200s: %s",
				    left->path, strerror(errno));
				recopies_free(&x);
				return (-1);
			}
			continue;
		}
		/* An admin makes a center's key when it first needs one. */
		k = NULL;
		if (consult && (k = conf_current(&o->ring, rc)) == NULL &&
		    admin && conf_make_key(&o->ring, rc, err,
		    STORE_ERRLEN) == 0)
			k = conf_current(&o->ring, rc);
		for (j = 0; j < r->nf; j++) {
			if ((f = schema_field(c, r->name[j],
			    strlen(r->name[j]))) == NULL)
				continue;
			v = r->v[j];
			sealed = NULL;
			if (v.t == VAL_STR && conf_secret(c, f) &&
			    !conf_sealed(v.s, v.len)) {
				if (k == NULL) {
					snprintf(err, STORE_ERRLEN, "no key of "
					    "center '%.60s' to seal its "
					    "consultations with", rc);
					recopies_free(&x);
					return (-1);
				}
				if (conf_seal(k, r->id, f->name, v.s, v.len,
				    &sealed)) {
					snprintf(err, STORE_ERRLEN,
					    "out of memory");
					recopies_free(&x);
					return (-1);
				}
				v.s = sealed;
				v.len = strlen(sealed);
			}
			if (db_put(o->db, c, r->id, f, &v, err)) {
				free(sealed);
				recopies_free(&x);
				return (-1);
			}
			free(sealed);
		}
		n++;
	}
	recopies_free(&x);
	return (n);
}

/* recommit_coll() over every collection of records (not members, keys). */
static long
recommit(struct ops *o, const char *center, bool admin,
    const struct conf *old, struct left *left, char err[STORE_ERRLEN])
{
	static const char *const colls[] = { "consultations", "guides",
	    "directory", "centers" };
	long n = 0, k;
	size_t i;

	for (i = 0; i < sizeof(colls) / sizeof(colls[0]); i++) {
		if ((k = recommit_coll(o, schema_coll(colls[i]), center,
		    admin, old, left, err)) < 0)
			return (-1);
		n += k;
	}
	return (n);
}

static int
retire_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	char err[STORE_ERRLEN];

	(void)seq;
	return (db_retire(arg, key, err) ? -1 : 0);
}

/*
 * Inside the caller's transaction: continue under the fresh key ${newsk}
 * (written to node.key by the caller once the transaction holds), from
 * seq ${seq} of the old key.  ${c} describes the new key (the old key's
 * name, center, role and expires); ${csig}, unless NULL, is the old key's
 * certificate over them, signed by ${by}.  With ${retire}, every origin
 * held so far becomes history that never leaves this node.
 */
static int
succeed(struct ops *o, const struct member_cert *c, const uint8_t *by,
    const uint8_t *csig, uint8_t *newsk, uint64_t seq, bool retire,
    char err[STORE_ERRLEN])
{
	const uint8_t *np;
	msgpack_sbuffer sb;
	uint8_t old[NODE_KEY_LEN], np_[NODE_KEY_LEN];
	uint8_t sig[NODE_SIG_LEN], *sk;
	char hex[2 * NODE_SIG_LEN + 1];
	struct val v;
	const struct coll_def *m = schema_coll("members");
	struct ops_err le;

	memcpy(old, db_node_key(o->db), NODE_KEY_LEN);
	/* The old key signs the statement; its secret is then wiped. */
	memcpy(np_, newsk + NODE_SK_LEN - NODE_KEY_LEN, NODE_KEY_LEN);
	msgpack_sbuffer_init(&sb);
	if (trust_succ_bytes(old, np_, seq, &sb)) {
		msgpack_sbuffer_destroy(&sb);
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	if ((sk = ops_load_sk(o, &le)) == NULL) {
		msgpack_sbuffer_destroy(&sb);
		ops_text("en", &le, err, STORE_ERRLEN);
		return (-1);
	}
	crypto_sign_detached(sig, NULL, (const uint8_t *)sb.data, sb.size,
	    sk);
	sodium_free(sk);
	msgpack_sbuffer_destroy(&sb);
	if (retire && db_vector(o->db, retire_cb, o->db, err))
		return (-1);
	if (db_set_signer(o->db, newsk)) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	np = db_node_key(o->db);
	hex_encode(np, NODE_KEY_LEN, hex);
	if (db_meta_set(o->db, "key", hex, err) ||
	    put_text(o->db, np, "key", hex, err) ||
	    put_text(o->db, np, "name", c->name, err) ||
	    put_text(o->db, np, "center", c->center, err) ||
	    put_text(o->db, np, "role", c->role, err) ||
	    put_text(o->db, np, "expires", c->expires, err))
		return (-1);
	if (csig != NULL) {
		hex_encode(by, NODE_KEY_LEN, hex);
		if (put_text(o->db, np, "cert_by", hex, err))
			return (-1);
		hex_encode(csig, NODE_SIG_LEN, hex);
		if (put_text(o->db, np, "successor_cert", hex, err))
			return (-1);
	}
	hex_encode(old, NODE_KEY_LEN, hex);
	if (put_text(o->db, np, "successor_of", hex, err))
		return (-1);
	hex_encode(sig, NODE_SIG_LEN, hex);
	if (put_text(o->db, np, "successor_sig", hex, err))
		return (-1);
	memset(&v, 0, sizeof(v));
	v.t = VAL_INT;
	v.i = (int64_t)seq;
	if (db_put(o->db, m, np, schema_field(m, "successor_seq", 13), &v,
	    err))
		return (-1);
	/* The statement goes first, alone: it names the new origin. */
	if (db_flush(o->db, err))
		return (-1);
	/* Then the data key center keys are sealed to (users.h). */
	return (ops_publish_data_key(o, err));
}

/*
 * join's and network create's: continue under ${newsk} from the old key's
 * last commit, retire the old history, and commit again what this node
 * may write, sealed (what ${old}'s keys sealed opened first and sealed
 * again).  ${*n} says how many records were committed again.
 */
static int
continue_as(struct ops *o, const struct member_cert *c,
    const uint8_t *by, const uint8_t *csig, uint8_t *newsk, long *n,
    const struct conf *old, struct left *left, char err[STORE_ERRLEN])
{
	uint64_t upto;

	if (db_held_seq(o->db, db_node_key(o->db), &upto, err))
		return (-1);
	if (succeed(o, c, by, csig, newsk, upto, true, err))
		return (-1);
	if ((*n = recommit(o, c->center, strcmp(c->role, NET_ADMIN) == 0,
	    old, left, err)) < 0)
		return (-1);
	return (0);
}

/*
 * succeed() for a node that stays what its members record ${r} says (no
 * history retired): restore's open statement, fork recommit's.
 */
int
ops_succeed_rec(struct ops *o, const struct member_rec *r, uint8_t *newsk,
    uint64_t seq, struct ops_err *e)
{
	struct member_cert c;
	uint8_t by[NODE_KEY_LEN], csig[NODE_SIG_LEN];
	char err[STORE_ERRLEN];
	bool cert;

	memset(&c, 0, sizeof(c));
	c.name = r->name;
	c.center = r->center;
	c.role = r->role;
	c.expires = r->expires;
	cert = hex_decode(r->cert, csig, NODE_SIG_LEN) == 0 &&
	    hex_decode(r->cert_by, by, NODE_KEY_LEN) == 0;
	if (succeed(o, &c, by, cert ? csig : NULL, newsk, seq, false, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}


/*
 * Create ${path} holding ${len} bytes of ${k}, mode 0600, never over an
 * existing file.  Return 0, or -1 with errno set (nothing left behind).
 */
static int
write_secret(const char *path, const uint8_t *k, size_t len)
{
	int fd, en;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600)) == -1)
		return (-1);
	if (write(fd, k, len) != (ssize_t)len || fsync(fd) != 0) {
		en = errno ? errno : EIO;
		close(fd);
		unlink(path);
		errno = en;
		return (-1);
	}
	if (close(fd) != 0) {
		en = errno;
		unlink(path);
		errno = en;
		return (-1);
	}
	return (0);
}

/* A file write that failed: "write FILE: why" and ${tail}. */
static int
write_fail(struct ops_err *e, const char *path, int en, enum ops_msg tail)
{

	ops_fail(e, OPS_STORE, OPS_MSG_NET_WRITE, 2, path, strerror(en));
	e->tail = tail;
	return (-1);
}

/* ---- network create. */

int
ops_network_create_check(const struct ops_network_create_args *a,
    struct ops_err *e)
{
	char max[16];

	if (*a->name == '\0' || strlen(a->name) > MEMBER_NETNAME_MAX ||
	    !invite_name_ok(a->name, strlen(a->name))) {
		snprintf(max, sizeof(max), "%d", MEMBER_NETNAME_MAX);
		return (ops_fail(e, OPS_USAGE, OPS_MSG_NET_NAME_INVALID, 1,
		    max));
	}
	return (0);
}

int
ops_network_create(struct ops *o, const struct ops_network_create_args *a,
    struct ops_network_created *out, struct ops_err *e)
{
	struct member_cert c, oc;
	struct member_rec r;
	char path[4096], err[STORE_ERRLEN], cur[MEMBER_NETNAME_MAX + 1];
	char sigh[2 * NODE_SIG_LEN + 1], kpath[4096], npath[4096];
	uint8_t sig[NODE_SIG_LEN], osig[NODE_SIG_LEN], *sk, *nk;
	uint8_t *newsk = NULL, np[NODE_KEY_LEN];
	struct conf *cf;
	struct stat sb;
	struct left left = { 0, "", "", NULL };
	int rc, en;

	memset(out, 0, sizeof(*out));
	if (ops_network_create_check(a, e))
		return (-1);
	/* A network operation: an admin of this node signs in for it. */
	if (ops_need_admin(o, e))
		return (-1);
	if (db_meta_get(o->db, "network_name", cur, sizeof(cur)) == 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_NET_ALREADY, 1,
		    cur));
	snprintf(path, sizeof(path), "%s/%s", o->dir, NET_KEY_FILE);
	if (lstat(path, &sb) == 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_NET_KEY_EXISTS, 1,
		    path));
	if ((cf = ops_ring(o, e)) == NULL)
		return (-1);

	/* The certificate this node gives itself as the first admin. */
	if (member_load(o->db, db_node_key(o->db), &r) < 0)
		return (ops_fail(e, OPS_STORE, OPS_MSG_SELF_READ, 0));
	if (*r.name == '\0' && db_meta_get(o->db, "name", r.name,
	    sizeof(r.name)))
		r.name[0] = '\0';
	if (*r.center == '\0' && db_meta_get(o->db, "center", r.center,
	    sizeof(r.center)))
		r.center[0] = '\0';
	memcpy(c.key, db_node_key(o->db), NODE_KEY_LEN);
	c.name = r.name;
	c.center = r.center;
	c.role = NET_ADMIN;
	member_date(ops_now(o), NET_ADMIN_DAYS, r.expires);
	c.expires = r.expires;
	/*
	 * Records logged before: the network's key is a fresh one, the
	 * successor of this node's old key (PROTOCOL.md, Successors), which
	 * it certifies as an admin so that its history here still stands.
	 */
	snprintf(kpath, sizeof(kpath), "%s/%s", o->dir, NET_SK_FILE);
	snprintf(npath, sizeof(npath), "%s/%s.new", o->dir, NET_SK_FILE);
	if (query_has_history(o->db)) {
		if ((newsk = sodium_malloc(NODE_SK_LEN)) == NULL)
			return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
		crypto_sign_keypair(np, newsk);
		oc = c;
		memcpy(c.key, np, NODE_KEY_LEN);
		if (member_cert_sign(&oc, newsk, osig) ||
		    member_cert_sign(&c, newsk, sig)) {
			sodium_free(newsk);
			return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
		}
	} else {
		if ((sk = ops_load_sk(o, e)) == NULL)
			return (-1);
		rc = member_cert_sign(&c, sk, sig);
		sodium_free(sk);
		if (rc)
			return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	}

	if ((nk = sodium_malloc(HS_PSK_LEN)) == NULL) {
		sodium_free(newsk);
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	}
	randombytes_buf(nk, HS_PSK_LEN);
	rc = write_secret(path, nk, HS_PSK_LEN);
	en = errno;
	sodium_free(nk);
	if (rc) {
		sodium_free(newsk);
		return (write_fail(e, path, en, OPS_MSG_NOTHING_CHANGED));
	}
	hex_encode(c.key, NODE_KEY_LEN, out->admin);
	hex_encode(sig, NODE_SIG_LEN, sigh);
	err[0] = '\0';
	if (ops_begin(o, err) ||
	    db_meta_set(o->db, "network_name", a->name, err) ||
	    db_meta_set(o->db, "admin_key", out->admin, err) ||
	    db_meta_set(o->db, "role", NET_ADMIN, err))
		goto fail;
	if (newsk == NULL) {
		if (put_cert(o->db, &c, c.key, sig, err))
			goto fail;
	} else if (put_text(o->db, c.key, "cert", sigh, err) ||
	    continue_as(o, &oc, c.key, osig, newsk, &out->recommitted,
	    NULL, &left, err))
		goto fail;
	else {
		unlink(npath);
		if (write_secret(npath, newsk, NODE_SK_LEN)) {
			snprintf(err, STORE_ERRLEN, "write %s.new: %s",
			    NET_SK_FILE, strerror(errno));
			goto fail;
		}
	}
	/* The first admin's center is the first of the network's list. */
	if (ops_center_put_own(o->db, err) || db_commit(o->db, err)) {
fail:
		db_rollback(o->db);
		unlink(path);
		if (newsk != NULL) {
			unlink(npath);
			sodium_free(newsk);
		}
		return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
	}
	if (newsk != NULL) {
		sodium_free(newsk);
		out->succeeded = true;
		if (rename(npath, kpath) != 0)
			return (ops_fail(e, OPS_STORE, OPS_MSG_NET_MOVE_CREATED,
			    3, npath, kpath, strerror(errno)));
	}
	/* The admin's own center gets its key for confidential fields. */
	if (*r.center != '\0' && conf_current(cf, r.center) == NULL &&
	    conf_make_key(cf, r.center, err, sizeof(err)))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

/* ---- join. */

/*
 * The center keys the token carries, opened with this node's data key
 * (the signed-in admin's session holds it): node.key opens none.
 */
static int
join_keys(struct ops *o, const struct invite *iv, char err[STORE_ERRLEN])
{
	struct conf_key *k;
	size_t i;
	int r = 0;

	if (iv->nkeys == 0)
		return (0);
	if ((k = sodium_malloc(sizeof(*k))) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	for (i = 0; r == 0 && i < iv->nkeys; i++) {
		memset(k, 0, sizeof(*k));
		memcpy(k->id, iv->keys[i].id, CONF_KEYID_LEN);
		k->version = iv->keys[i].version;
		snprintf(k->center, sizeof(k->center), "%s",
		    iv->keys[i].center);
		if (o->user.data_sk == NULL || conf_unwrap_data(
		    iv->keys[i].sealed, o->user.data_pk, o->user.data_sk,
		    k->key)) {
			snprintf(err, STORE_ERRLEN, "a center key in the "
			    "invite is not sealed to this node's data key");
			r = -1;
		} else if (conf_add(&o->ring, k, err, STORE_ERRLEN) < 0)
			r = -1;
	}
	sodium_free(k);
	return (r);
}

/* A token whose keys this node can take: 0, or -1 with why in ${e}. */
static int
join_token_keys(struct ops *o, const struct invite *iv, struct ops_err *e)
{
	char theirs[2 * CONF_DATA_LEN + 1], mine[2 * CONF_DATA_LEN + 1];
	char v[16];

	if (iv->nkeys == 0)
		return (0);
	if (iv->version < INVITE_DATA_VERSION) {
		snprintf(v, sizeof(v), "%u", iv->version);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_JOIN_TOKEN_OLD_KEYS,
		    1, v));
	}
	if (sodium_memcmp(iv->data_pk, o->user.data_pk, CONF_DATA_LEN)) {
		hex_encode(iv->data_pk, CONF_DATA_LEN, theirs);
		hex_encode(o->user.data_pk, CONF_DATA_LEN, mine);
		theirs[16] = mine[16] = '\0';
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_JOIN_DATA_KEY_OTHER,
		    2, theirs, mine));
	}
	return (0);
}

/* Whom the agent dials, and whose key it expects there. */
static void
join_dials(const struct invite *iv, ops_dial_fn fn, void *arg)
{
	char hex[2 * NODE_KEY_LEN + 1];
	size_t i;

	if (fn == NULL)
		return;
	hex_encode(iv->admin, NODE_KEY_LEN, hex);
	for (i = 0; i < iv->naddr; i++)
		if (fn(arg, iv->addr[i], hex, true))
			return;
	for (i = 0; i < iv->npeers; i++) {
		hex_encode(iv->peers[i].key, NODE_KEY_LEN, hex);
		if (fn(arg, iv->peers[i].addr, hex, false))
			return;
	}
}

/*
 * After a join from no network: the local keys ${local} leave
 * center.keys, and (${purge}: records were sealed again) the commits of
 * the retired origin go, zeroed, the WAL truncated (store/db.h,
 * db_purge_retired()): neither ciphertext under a key the node no longer
 * keeps nor any older plaintext stays on its disk.
 */
static int
join_forget(struct ops *o, struct conf *local, bool purge, struct ops_err *e)
{
	char err[STORE_ERRLEN];
	int r;

	r = conf_write(&o->ring, err, sizeof(err));
	conf_free(local);
	if (r == 0 && purge)
		r = db_purge_retired(o->db, err);
	if (r)
		return (ops_fail(e, OPS_STORE, OPS_MSG_JOIN_LOCAL_LEFT, 1,
		    err));
	return (0);
}

/* join: inside, ${iv} the decoded token. */
static int
join_in(struct ops *o, struct invite *iv, struct ops_joined *out,
    struct ops_err *e)
{
	struct member_cert c;
	char err[STORE_ERRLEN], path[4096];
	char cur[MEMBER_NETNAME_MAX + 1], meta[256];
	char mine[2 * NODE_KEY_LEN + 1], theirs[2 * NODE_KEY_LEN + 1];
	char m16[17], t16[17], kpath[4096], npath[4096];
	uint8_t old[HS_PSK_LEN], np[NODE_KEY_LEN], *newsk = NULL;
	bool have_key, created = false, succ = false, alone;
	struct left left = { 0, "", "", NULL };
	struct conf local;
	size_t i;
	int rc;

	hex_encode(db_node_key(o->db), NODE_KEY_LEN, mine);
	hex_encode(iv->key, NODE_KEY_LEN, theirs);
	if (sodium_memcmp(iv->key, db_node_key(o->db), NODE_KEY_LEN)) {
		snprintf(m16, sizeof(m16), "%.16s", mine);
		snprintf(t16, sizeof(t16), "%.16s", theirs);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_JOIN_NOT_FOR_NODE, 2,
		    t16, m16));
	}
	invite_cert(iv, &c);
	if (member_cert_verify(&c, iv->cert, iv->admin))
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_JOIN_CERT_UNSIGNED,
		    0));
	member_date(ops_now(o), 0, meta);
	if (strcmp(iv->m.expires, meta) < 0)
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_JOIN_CERT_EXPIRED, 1,
		    iv->m.expires));
	if (ops_ring(o, e) == NULL || join_token_keys(o, iv, e))
		return (-1);

	/* One network per node; joining the same one again is fine. */
	snprintf(path, sizeof(path), "%s/%s", o->dir, NET_KEY_FILE);
	if ((rc = ops_read_keyfile(o->dir, NET_KEY_FILE, old, HS_PSK_LEN,
	    e)) < 0)
		return (-1);
	have_key = rc == 1;
	if (db_meta_get(o->db, "network_name", cur, sizeof(cur)) == 0) {
		hex_encode(iv->admin, NODE_KEY_LEN, theirs);
		if (strcmp(cur, iv->net) != 0 || db_meta_get(o->db,
		    "admin_key", meta, sizeof(meta)) || strcmp(meta, theirs) ||
		    !have_key || sodium_memcmp(old, iv->netkey, HS_PSK_LEN)) {
			sodium_memzero(old, sizeof(old));
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_JOIN_OTHER_NETWORK, 1, cur));
		}
	}
	if (have_key && sodium_memcmp(old, iv->netkey, HS_PSK_LEN)) {
		sodium_memzero(old, sizeof(old));
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_JOIN_OTHER_NETKEY, 1,
		    path));
	}
	sodium_memzero(old, sizeof(old));
	if (!have_key) {
		if (write_secret(path, iv->netkey, HS_PSK_LEN))
			return (write_fail(e, path, errno,
			    OPS_MSG_NOTHING_CHANGED));
		created = true;
	}

	/*
	 * Records logged before the network: continue under a successor
	 * key, so that no commit of the old origin ever leaves this node.
	 */
	snprintf(kpath, sizeof(kpath), "%s/%s", o->dir, NET_SK_FILE);
	snprintf(npath, sizeof(npath), "%s/%s.new", o->dir, NET_SK_FILE);
	alone = db_meta_get(o->db, "network_name", cur, sizeof(cur)) != 0;
	/*
	 * A node in no network sealed under local keys of its own: they are
	 * set aside (the records sealed again under the network's keys) and
	 * gone from center.keys once the join holds.
	 */
	if (alone && conf_split(&o->ring, &local)) {
		if (created)
			unlink(path);
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	}
	if (alone && query_has_history(o->db)) {
		succ = true;
		if ((newsk = sodium_malloc(NODE_SK_LEN)) == NULL) {
			succ = false;
			snprintf(err, STORE_ERRLEN, "out of memory");
			goto unsplit;
		}
	}
	hex_encode(iv->admin, NODE_KEY_LEN, theirs);
	if (ops_begin(o, err) ||
	    db_meta_set(o->db, "network_name", iv->net, err) ||
	    db_meta_set(o->db, "admin_key", theirs, err) ||
	    db_meta_set(o->db, "role", iv->m.role, err) ||
	    db_meta_set(o->db, "name", iv->m.name, err) ||
	    db_meta_set(o->db, "center", iv->m.center, err))
		goto fail;
	for (i = 0; i < iv->naddr; i++)
		if (db_peer_add(o->db, iv->addr[i], iv->admin, err))
			goto fail;
	for (i = 0; i < iv->npeers; i++)
		if (sodium_memcmp(iv->peers[i].key, db_node_key(o->db),
		    NODE_KEY_LEN) != 0 && db_peer_add(o->db,
		    iv->peers[i].addr, iv->peers[i].key, err))
			goto fail;
	/* The center keys, before the records are sealed to them. */
	if (join_keys(o, iv, err))
		goto fail;
	if (succ) {
		crypto_sign_keypair(np, newsk);
		snprintf(left.path, sizeof(left.path), "%s/%s", o->dir,
		    LEFT_FILE);
		if (continue_as(o, &c, iv->admin, iv->cert, newsk,
		    &out->recommitted, &local, &left, err))
			goto fail;
		if (left_close(&left)) {
			snprintf(err, STORE_ERRLEN, "write %.200s: %s",
			    left.path, strerror(errno));
			goto fail;
		}
		/* Written before the commit, in place only after it. */
		unlink(npath);
		if (write_secret(npath, newsk, NODE_SK_LEN)) {
			snprintf(err, STORE_ERRLEN, "write %s.new: %s",
			    NET_SK_FILE, strerror(errno));
			goto fail;
		}
	} else if (put_cert(o->db, &c, iv->admin, iv->cert, err))
		goto fail;
	if (cases_joined(o->db, iv->case_code, succ, err) ||
	    db_commit(o->db, err))
		goto fail;
	snprintf(out->net, sizeof(out->net), "%s", iv->net);
	snprintf(out->role, sizeof(out->role), "%s", iv->m.role);
	out->ndial = iv->naddr + iv->npeers;
	if (succ) {
		sodium_free(newsk);
		out->succeeded = true;
		hex_encode(db_node_key(o->db), NODE_KEY_LEN, out->key);
		out->left = left.n;
		snprintf(out->left_centers, sizeof(out->left_centers), "%s",
		    left.centers);
		snprintf(out->left_path, sizeof(out->left_path), "%s",
		    left.path);
		/* The old secret key is gone from this node from here on. */
		if (rename(npath, kpath) != 0) {
			if (alone)
				conf_free(&local);
			return (ops_fail(e, OPS_STORE, OPS_MSG_JOIN_MOVE_FAILED,
			    3, npath, kpath, strerror(errno)));
		}
	}
	return (alone ? join_forget(o, &local, succ, e) : 0);

fail:
	db_rollback(o->db);
	if (succ) {
		unlink(npath);
		sodium_free(newsk);
	}
	if (left.n > 0) {
		left_close(&left);
		unlink(left.path);
	}
unsplit:
	if (created)
		unlink(path);
	if (alone) {
		char err2[STORE_ERRLEN];

		/* The local keys back (a key the token brought stays). */
		conf_merge(&o->ring, &local, err2, sizeof(err2));
		conf_free(&local);
	}
	return (ops_store_fail(e, err, OPS_MSG_NOTHING_CHANGED));
}

int
ops_join(struct ops *o, const struct ops_join_args *a, ops_dial_fn fn,
    void *arg, struct ops_joined *out, struct ops_err *e)
{
	struct invite *iv;
	char why[256];
	int r;

	memset(out, 0, sizeof(*out));
	if (ops_need_admin(o, e))
		return (-1);
	if ((iv = sodium_malloc(sizeof(*iv))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	memset(iv, 0, sizeof(*iv));
	if (invite_decode(a->token, iv, why, sizeof(why)))
		r = ops_fail(e, OPS_BAD_INPUT, OPS_MSG_JOIN_TOKEN_BAD, 1, why);
	else if ((r = join_in(o, iv, out, e)) == 0)
		join_dials(iv, fn, arg);
	sodium_free(iv);
	return (r);
}

/* The token's own checks, before the node is opened. */
int
ops_join_check(const struct ops_join_args *a, struct ops_err *e)
{
	struct invite *iv;
	char why[256];
	int r = 0;

	if ((iv = sodium_malloc(sizeof(*iv))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	memset(iv, 0, sizeof(*iv));
	if (invite_decode(a->token, iv, why, sizeof(why)))
		r = ops_fail(e, OPS_BAD_INPUT, OPS_MSG_JOIN_TOKEN_BAD, 1, why);
	sodium_free(iv);
	return (r);
}

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
#include "agent/daemon/log.h"
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

	hexenc(c->key, NODE_KEY_LEN, key);
	hexenc(by, NODE_KEY_LEN, byh);
	hexenc(sig, NODE_SIG_LEN, sigh);
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

/*
 * Read key file ${name} of the data dir into ${out}: 1, 0 if there is
 * none, -1 with ${e} filled (ENV).
 */
static int
read_keyfile(struct ops *o, const char *name, uint8_t *out, size_t len,
    struct ops_err *e)
{
	char path[4096], mode[8], lens[24];
	struct stat sb;
	uint8_t extra;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", o->dir, name);
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
		hexenc(a->key, NODE_KEY_LEN, hex);
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
		hexenc(a.key, NODE_KEY_LEN, hex);
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
		hexenc(a.key, NODE_KEY_LEN, hex);
		snprintf(h16, sizeof(h16), "%.16s", hex);
		hexenc(iv->peers[i].key, NODE_KEY_LEN, given);
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
 */
static int
invite_keys(struct ops *o, struct invite *iv, bool *made, struct ops_err *e)
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
	for (i = 0; i < cf->n && iv->nkeys < INVITE_MAX_KEYS; i++) {
		if (!admin && strcmp(cf->k[i].center, iv->m.center) != 0)
			continue;
		memcpy(iv->keys[iv->nkeys].id, cf->k[i].id, CONF_KEYID_LEN);
		iv->keys[iv->nkeys].version = cf->k[i].version;
		snprintf(iv->keys[iv->nkeys].center, CONF_CENTER_MAX + 1, "%s",
		    cf->k[i].center);
		if (conf_wrap(&cf->k[i], iv->key, iv->keys[iv->nkeys].sealed))
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
			    conf_put_record(o->db, &cf->k[i], iv->key, err))
				return (-1);
	if (!made || (cur = conf_current(cf, iv->m.center)) == NULL)
		return (0);
	return (conf_deliver_db(o->db, cur, iv->key, ops_now(o), &sent, err));
}

int
ops_invite_check(const struct ops_invite_args *a, struct ops_err *e)
{
	uint8_t k[NODE_KEY_LEN];
	size_t i;

	if (ops_node_key(a->key, k, e) ||
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
	bool made;
	int rc;

	iv->version = INVITE_VERSION;
	(void)ops_node_key(a->key, iv->key, e);
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
	    hexdec(meta, iv->admin, NODE_KEY_LEN))
		return (ops_fail(e, OPS_ENV, OPS_MSG_INVITE_SETTINGS, 1,
		    NET_KEY_FILE));
	if ((rc = read_keyfile(o, NET_KEY_FILE, iv->netkey, HS_PSK_LEN, e)) < 0)
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
	if (iv->naddr == 0) {
		if (member_load(o->db, db_node_key(o->db), &self) < 0)
			return (ops_fail(e, OPS_STORE, OPS_MSG_SELF_READ, 0));
		own_addrs(&self, iv);
	}

	member_date(ops_now(o), a->days ? a->days : OPS_INVITE_DAYS,
	    iv->m.expires);
	if (invite_keys(o, iv, &made, e))
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

	if (db_begin(o->db, ops_now(o), err) ||
	    put_cert(o->db, &c, iv->admin, iv->cert, err) ||
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
	if ((iv = sodium_malloc(sizeof(*iv))) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	memset(iv, 0, sizeof(*iv));
	r = invite_make(o, a, iv, token, e);
	sodium_free(iv);
	return (r);
}

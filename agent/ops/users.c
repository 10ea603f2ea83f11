/*
 * users.c: staff accounts as operations (agent/ops/users.h), over the keys
 * of agent/access/users.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "agent/access/member.h"
#include "agent/codec/hex.h"
#include "agent/ops/ops_int.h"
#include "agent/ops/users.h"

#define PREV_KEY	"data_prev"

static int publish(struct ops *, struct ops_err *);

/* An account operation's failure in the catalog's words. */
static int
user_fail(struct ops_err *e, enum user_res r, const char *name,
    const char *err)
{
	char n[USER_NAME_MAX + 8], min[16];

	snprintf(n, sizeof(n), "%.*s", USER_NAME_MAX, name ? name : "");
	switch (r) {
	case USER_OK:
		return (0);
	case USER_EBADNAME:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_USER_NAME_INVALID,
		    1, n));
	case USER_EEXISTS:
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_USER_EXISTS, 1, n));
	case USER_ENOENT:
		return (ops_fail(e, OPS_NOT_FOUND, OPS_MSG_USER_UNKNOWN, 1,
		    n));
	case USER_EPASS:
		return (name == NULL ? ops_fail(e, OPS_DENIED,
		    OPS_MSG_USER_CODE_WRONG, 0) : ops_fail(e, OPS_DENIED,
		    OPS_MSG_USER_PASS_WRONG, 1, n));
	case USER_ESHORT:
		snprintf(min, sizeof(min), "%d", USER_PASS_MIN);
		return (ops_fail(e, OPS_BAD_INPUT, OPS_MSG_USER_PASS_SHORT, 1,
		    min));
	case USER_ELAST:
		return (ops_fail(e, OPS_DENIED, OPS_MSG_USER_LAST_ADMIN, 1,
		    n));
	case USER_EDAMAGED:
		return (ops_fail(e, OPS_ENV, OPS_MSG_USER_DAMAGED, 1,
		    name ? n : "recovery"));
	case USER_ENOMEM:
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	case USER_ESTORE:
		break;
	}
	return (ops_store_fail(e, err != NULL ? err : "", OPS_MSG_NONE));
}

/* Take session ${s} as ${o}'s user. */
static void
take(struct ops *o, struct user_session *s)
{

	if (o->ring_loaded)	/* Opened with another data key. */
		conf_free(&o->ring);
	o->ring_loaded = false;
	user_session_end(&o->user);
	o->user = *s;
	o->actor = o->user.name;
	memset(s, 0, sizeof(*s));
}

int
ops_signin(struct ops *o, const char *name, const char *pass, size_t len,
    struct ops_err *e)
{
	struct user_session s;
	enum user_res r;

	if (user_count(o->db) == 0)
		return (ops_fail(e, OPS_DENIED, OPS_MSG_USER_NONE_YET, 0));
	if ((r = user_signin(o->db, name, pass, len, &s)) != USER_OK)
		return (user_fail(e, r, name, NULL));
	take(o, &s);
	return (0);
}

int
ops_signin_recovery(struct ops *o, const char *code, size_t len,
    struct ops_err *e)
{
	char plain[USER_CODE_CHARS + 1];
	struct user_session s;
	enum user_res r;

	if (user_code_norm(code, len, plain) != 0)
		return (ops_fail(e, OPS_DENIED, OPS_MSG_USER_CODE_WRONG, 0));
	r = user_signin(o->db, NULL, plain, USER_CODE_CHARS, &s);
	sodium_memzero(plain, sizeof(plain));
	if (r != USER_OK)
		return (user_fail(e, r == USER_ENOENT ? USER_EPASS : r, NULL,
		    NULL));
	take(o, &s);
	return (0);
}

int
ops_need_user(struct ops *o, struct ops_err *e)
{

	if (o->user.role != USER_NONE)
		return (0);
	if (o->signin != NULL) {
		if (o->signin(o->signin_arg, o, e) != 0)
			return (-1);
		if (o->user.role != USER_NONE)
			return (0);
	}
	if (user_count(o->db) == 0)
		return (ops_fail(e, OPS_DENIED, OPS_MSG_USER_NONE_YET, 0));
	return (ops_fail(e, OPS_DENIED, OPS_MSG_USER_SIGNIN, 0));
}

int
ops_need_reader(struct ops *o, struct ops_err *e)
{

	if (ops_need_user(o, e))
		return (-1);
	if (o->user.role == USER_LAWYER || o->user.role == USER_ADMIN)
		return (0);
	return (ops_fail(e, OPS_DENIED, o->user.role == USER_STATISTICIAN ?
	    OPS_MSG_USER_COUNTS_ONLY : OPS_MSG_USER_ROLE, 3, o->user.name,
	    user_role_name(o->user.role), "lawyer or admin"));
}

int
ops_need_admin(struct ops *o, struct ops_err *e)
{

	if (ops_need_user(o, e))
		return (-1);
	if (o->user.role == USER_ADMIN)
		return (0);
	return (ops_fail(e, OPS_DENIED, OPS_MSG_USER_ROLE, 3, o->user.name,
	    user_role_name(o->user.role), "admin"));
}

int
ops_user_may_write_rec(struct ops *o, const struct coll_def *c,
    const uint8_t *id, const char *center, struct ops_err *e)
{
	char cur[CONF_CENTER_MAX + 1], err[STORE_ERRLEN];

	if (o->user.role != USER_LAWYER || strcmp(c->name,
	    "consultations") != 0)
		return (0);
	if (center != NULL && ops_user_may_write(o, c, center, e))
		return (-1);
	if (id == NULL)
		return (0);
	if (conf_record_center(o->db, c, id, cur, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (ops_user_may_write(o, c, cur, e));
}

int
ops_user_may_write(struct ops *o, const struct coll_def *c,
    const char *center, struct ops_err *e)
{
	char mine[CONF_CENTER_MAX + 1];

	if (o->user.role != USER_LAWYER || strcmp(c->name,
	    "consultations") != 0 || center == NULL || *center == '\0' ||
	    db_meta_get(o->db, "center", mine, sizeof(mine)) != 0 ||
	    mine[0] == '\0' || strcmp(mine, center) == 0)
		return (0);
	return (ops_fail(e, OPS_DENIED, OPS_MSG_USER_LAWYER_CENTER, 3,
	    o->user.name, mine, center));
}

/* Outside a transaction: one meta write is one statement. */
/*
 * A node in no network gets a local key of its center with its first
 * user (at init), so the first consultation it logs is sealed already
 * (confidential.h, conf_seal_field()); join seals again under the
 * network's key, network create keeps it as the network's.
 */
static int
local_key(struct ops *o, struct ops_err *e)
{
	char center[CONF_CENTER_MAX + 1], path[4096], err[STORE_ERRLEN];

	snprintf(path, sizeof(path), "%s/network.key", o->dir);
	if (access(path, F_OK) == 0 || db_meta_get(o->db, "center", center,
	    sizeof(center)) || *center == '\0' ||
	    conf_current(&o->ring, center) != NULL)
		return (0);
	if (conf_make_key(&o->ring, center, err, sizeof(err)))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	return (0);
}

int
ops_user_add(struct ops *o, const char *name, enum user_role role,
    const char *pass, size_t len, char code[USER_CODE_LEN + 1],
    struct ops_err *e)
{
	struct user_session s;
	char err[STORE_ERRLEN];
	enum user_res r;
	long n;

	code[0] = '\0';
	if (role == USER_NONE || role == USER_RECOVERY)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_USER_ROLE_INVALID, 1,
		    user_role_name(role)));
	if ((n = user_count(o->db)) < 0)
		return (ops_store_fail(e, "reading the users failed",
		    OPS_MSG_NONE));
	if (n == 0) {
		if (role != USER_ADMIN)
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_USER_FIRST_ADMIN, 1, name));
		if ((r = user_create_first(o->db, name, pass, len, code, &s,
		    err)) != USER_OK) {
			code[0] = '\0';
			return (user_fail(e, r, name, err));
		}
		take(o, &s);
		/* Center keys kept in clear before are sealed now. */
		if (ops_ring(o, e) == NULL || local_key(o, e))
			return (-1);
		return (publish(o, e));
	}
	if (ops_need_admin(o, e))
		return (-1);
	return (user_fail(e, user_add(o->db, &o->user, name, role, pass, len,
	    err), name, err));
}

int
ops_user_list(struct ops *o, int (*fn)(void *, const char *, enum user_role),
    void *arg, struct ops_err *e)
{

	(void)e;
	if (user_each(o->db, fn, arg) != 0)
		return (ops_store_fail(e, "reading the users failed",
		    OPS_MSG_NONE));
	return (0);
}

/* ${name}'s role, USER_NONE if there is no such user. */
struct role_of {
	const char	*name;
	enum user_role	role;
};

static int
role_cb(void *arg, const char *name, enum user_role role)
{
	struct role_of *ro = arg;

	if (strcmp(name, ro->name) != 0)
		return (0);
	ro->role = role;
	return (1);
}

int
ops_user_passwd(struct ops *o, const char *name, const char *pass,
    size_t len, struct ops_err *e)
{
	struct role_of ro = { name, USER_NONE };
	char err[STORE_ERRLEN];

	if (ops_need_user(o, e))
		return (-1);
	(void)user_each(o->db, role_cb, &ro);
	if (ro.role == USER_NONE)
		return (user_fail(e, USER_ENOENT, name, NULL));
	if (o->user.role == USER_RECOVERY) {
		if (ro.role != USER_ADMIN)
			return (ops_fail(e, OPS_DENIED,
			    OPS_MSG_USER_CODE_ADMINS, 2, name,
			    user_role_name(ro.role)));
	} else if (strcmp(o->user.name, name) != 0 && ops_need_admin(o, e))
		return (-1);
	return (user_fail(e, user_passwd(o->db, &o->user, name, pass, len,
	    err), name, err));
}

int
ops_user_rm(struct ops *o, const char *name, struct ops_err *e)
{
	char err[STORE_ERRLEN];

	if (ops_need_admin(o, e))
		return (-1);
	return (user_fail(e, user_rm(o->db, name, err), name, err));
}

int
ops_publish_data_key(struct ops *o, char err[STORE_ERRLEN])
{
	const struct coll_def *m = schema_coll("members");
	uint8_t pk[USER_KEY_LEN];
	char h[2 * USER_KEY_LEN + 1];
	struct val v;

	struct member_rec *r;
	int have;

	if (m == NULL || db_node_key(o->db) == NULL ||
	    user_data_pk(o->db, pk) != 0)
		return (0);
	/* Only into the record the node described itself with at init. */
	if ((r = malloc(sizeof(*r))) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	have = member_load(o->db, db_node_key(o->db), r);
	free(r);
	if (have != 1)
		return (0);
	hex_encode(pk, USER_KEY_LEN, h);
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = h;
	v.len = 2 * USER_KEY_LEN;
	return (db_put(o->db, m, db_node_key(o->db),
	    schema_field(m, "data_key", 8), &v, err));
}

/* The same as a commit of its own. */
static int
publish(struct ops *o, struct ops_err *e)
{
	char err[STORE_ERRLEN];

	if (db_node_key(o->db) == NULL)
		return (0);
	if (db_begin(o->db, ops_now(o), err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	if (ops_publish_data_key(o, err) || db_commit(o->db, err)) {
		db_rollback(o->db);
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	}
	return (0);
}

int
ops_data_prev(struct ops *o, uint8_t pk[USER_KEY_LEN], uint8_t *sk)
{
	uint8_t sealed[crypto_box_SEALBYTES + USER_KEY_LEN];
	char h[2 * sizeof(sealed) + 8];

	if (o->user.data_sk == NULL ||
	    db_meta_get(o->db, PREV_KEY, h, sizeof(h)) != 0 ||
	    strlen(h) != 2 * sizeof(sealed) ||
	    hex_decode(h, sealed, sizeof(sealed)) ||
	    crypto_box_seal_open(sk, sealed, sizeof(sealed), o->user.data_pk,
	    o->user.data_sk) != 0)
		return (0);
	crypto_scalarmult_base(pk, sk);
	return (1);
}

int
ops_data_prev_done(struct ops *o, char err[STORE_ERRLEN])
{

	return (db_meta_del(o->db, PREV_KEY, err));
}

/*
 * The old data key is kept (sealed to the new one) until center.keys is
 * sealed to the new: a crash between the two leaves a ring the next
 * session opens (ops_ring()) and finishes.
 */
int
ops_user_rekey(struct ops *o, struct ops_err *e)
{
	uint8_t *k, pk[USER_KEY_LEN], oldpk[USER_KEY_LEN];
	uint8_t sealed[crypto_box_SEALBYTES + USER_KEY_LEN];
	char err[STORE_ERRLEN], h[2 * sizeof(sealed) + 1];
	struct conf *cf;
	enum user_res r;

	if (ops_need_admin(o, e) || (cf = ops_ring(o, e)) == NULL)
		return (-1);
	if ((k = sodium_malloc(2 * USER_KEY_LEN)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	memcpy(oldpk, o->user.data_pk, USER_KEY_LEN);
	memcpy(k + USER_KEY_LEN, o->user.data_sk, USER_KEY_LEN);
	if (db_begin(o->db, ops_now(o), err)) {
		sodium_free(k);
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	}
	if ((r = user_rekey(o->db, &o->user, pk, k, err)) != USER_OK)
		goto fail;
	crypto_box_seal(sealed, k + USER_KEY_LEN, USER_KEY_LEN, pk);
	hex_encode(sealed, sizeof(sealed), h);
	if (db_meta_set(o->db, PREV_KEY, h, err) || db_commit(o->db, err)) {
		r = USER_ESTORE;
		goto fail;
	}
	sodium_free(k);
	if (conf_reseal(cf, o->user.data_pk, err, sizeof(err)))
		return (ops_fail(e, OPS_ENV, OPS_MSG_KEYS_UNREADABLE, 1, err));
	if (ops_data_prev_done(o, err))
		return (ops_store_fail(e, err, OPS_MSG_NONE));
	/* Keys sent from now on are sealed to the new one. */
	return (publish(o, e));
fail:
	db_rollback(o->db);
	/* The session's key is the old one again. */
	memcpy(o->user.data_pk, oldpk, USER_KEY_LEN);
	memcpy(o->user.data_sk, k + USER_KEY_LEN, USER_KEY_LEN);
	sodium_free(k);
	return (user_fail(e, r, o->user.name, err));
}

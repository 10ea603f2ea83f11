#ifndef TESTS_UNIT_TRUSTNET_H
#define TESTS_UNIT_TRUSTNET_H

/*
 * A small network for the judge's unit tests (test_trust, test_successor):
 * nodes under one root, certificates and revocations written as an admin
 * writes them, and the commits of one node applied at another.  Include
 * after cmocka.h and testnode.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "agent/cli/cli.h"
#include "store/db.h"
#include "store/db_test.h"
#include "store/trust.h"

/* 2026-03-01T00:00:00Z, and one minute. */
#define T0		1772323200000ULL
#define MIN		60000ULL
#define EXPIRES		"2027-03-01"

struct node {
	char		dir[256];
	struct db	*db;
	uint8_t		pk[32], sk[64];
};

/* Every commit of the history, as signed. */
struct wire {
	uint8_t		*body;
	size_t		len;
	uint8_t		sig[NODE_SIG_LEN];
};

struct history {
	struct wire	*w;
	size_t		n;
};

static inline void
open_node(struct node *n, const uint8_t *root)
{
	char err[STORE_ERRLEN], hex[65];

	tnode_open(n->dir, &n->db, n->pk, n->sk, "tnet");
	hex_encode(root != NULL ? root : n->pk, 32, hex);
	assert_int_equal(db_begin(n->db, T0, err), 0);
	assert_int_equal(db_meta_set(n->db, "admin_key", hex, err), 0);
	assert_int_equal(db_commit(n->db, err), 0);
}

static inline void
begin(struct node *n, uint64_t ms)
{
	char err[STORE_ERRLEN];

	assert_int_equal(db_begin(n->db, ms, err), 0);
}

static inline void
commit(struct node *n)
{
	char err[STORE_ERRLEN];

	if (db_commit(n->db, err))
		fail_msg("commit: %s", err);
}

/* ${admin}'s certificate of ${who} until ${expires}: its signature, hex. */
static inline void
cert_sig(const struct node *admin, const uint8_t *who, const char *role,
    const char *center, const char *expires, char hex[129])
{
	msgpack_sbuffer sb;
	uint8_t sig[64];

	msgpack_sbuffer_init(&sb);
	assert_int_equal(trust_cert_bytes(who, "n", center, role, expires,
	    &sb), 0);
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size,
	    admin->sk);
	msgpack_sbuffer_destroy(&sb);
	hex_encode(sig, 64, hex);
}

/* ${admin} certifies ${who} as ${role} of ${center} until ${expires}. */
static inline void
certify_until(struct node *admin, const struct node *who, const char *role,
    const char *center, const char *expires, uint64_t ms)
{
	char hex[129];

	begin(admin, ms);
	hex_encode(who->pk, 32, hex);
	tnode_put(admin->db, "members", who->pk, "key", hex);
	tnode_put(admin->db, "members", who->pk, "name", "n");
	tnode_put(admin->db, "members", who->pk, "center", center);
	tnode_put(admin->db, "members", who->pk, "role", role);
	tnode_put(admin->db, "members", who->pk, "expires", expires);
	hex_encode(admin->pk, 32, hex);
	tnode_put(admin->db, "members", who->pk, "cert_by", hex);
	cert_sig(admin, who->pk, role, center, expires, hex);
	tnode_put(admin->db, "members", who->pk, "cert", hex);
	commit(admin);
}

/* ${admin} certifies ${who} as ${role} of ${center} for a year. */
static inline void
certify(struct node *admin, const struct node *who, const char *role,
    const char *center, uint64_t ms)
{

	certify_until(admin, who, role, center, EXPIRES, ms);
}

/* Buffer a write of integer ${i} to field ${field} of a record. */
static inline void
put_int(struct db *db, const char *coll, const uint8_t *id,
    const char *field, int64_t i)
{
	const struct coll_def *c = schema_coll(coll);
	char err[STORE_ERRLEN];
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = VAL_INT;
	v.i = i;
	if (db_put(db, c, id, schema_field(c, field, strlen(field)), &v, err))
		fail_msg("put %s.%s: %s", coll, field, err);
}

/*
 * ${admin} revokes ${who}, accepting its commits up to seq ${upto}, at
 * ${ms} (the time it names too); with ${old}, in the format of
 * "hamroh/revoke/1" (no seq), as an older hamroh would.
 */
static inline void
revoke_fmt(struct node *admin, const struct node *who, uint64_t upto,
    uint64_t ms, bool old)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	uint8_t sig[64];
	char when[21], hex[129];

	assert_non_null(gmtime_r(&t, &tm));
	assert_int_equal(strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
	    &tm), 20);
	msgpack_sbuffer_init(&sb);
	if (old) {
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_array(&pk, 4);
		msgpack_pack_str_with_body(&pk, TRUST_REVOKE_OLD,
		    strlen(TRUST_REVOKE_OLD));
		msgpack_pack_bin_with_body(&pk, who->pk, 32);
		msgpack_pack_str_with_body(&pk, when, strlen(when));
		msgpack_pack_str_with_body(&pk, "lost laptop", 11);
	} else
		assert_int_equal(trust_revoke_bytes(who->pk, when, upto,
		    "lost laptop", &sb), 0);
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size,
	    admin->sk);
	msgpack_sbuffer_destroy(&sb);
	begin(admin, ms);
	hex_encode(who->pk, 32, hex);
	tnode_put(admin->db, "members", who->pk, "key", hex);
	tnode_put(admin->db, "members", who->pk, "revoked", when);
	tnode_put(admin->db, "members", who->pk, "revoked_reason", "lost laptop");
	hex_encode(admin->pk, 32, hex);
	tnode_put(admin->db, "members", who->pk, "revoked_by", hex);
	hex_encode(sig, 64, hex);
	tnode_put(admin->db, "members", who->pk, "revoked_sig", hex);
	if (!old)
		put_int(admin->db, "members", who->pk, "revoked_seq",
		    (int64_t)upto);
	commit(admin);
}

static inline void
revoke_node(struct node *admin, const struct node *who, uint64_t upto,
    uint64_t ms)
{

	revoke_fmt(admin, who, upto, ms, false);
}

static inline int
apply_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct db *to = arg;
	struct db_counts res;
	char err[STORE_ERRLEN];

	memset(&res, 0, sizeof(res));
	if (db_apply(to, body, len, sig, &res, err) != 0)
		fail_msg("apply: %s", err);
	return (0);
}

/* ${to} receives everything ${from} holds. */
static inline void
sync_from(struct node *to, struct node *from, uint64_t ms)
{
	char err[STORE_ERRLEN];

	begin(to, ms);
	assert_int_equal(db_commits_since(from->db, NULL, apply_cb, to->db,
	    err), 0);
	commit(to);
}

static inline int
keep_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig)
{
	struct history *h = arg;
	struct wire *w;

	assert_non_null(w = realloc(h->w, (h->n + 1) * sizeof(*w)));
	h->w = w;
	w = &h->w[h->n++];
	assert_non_null(w->body = malloc(len));
	memcpy(w->body, body, len);
	w->len = len;
	memcpy(w->sig, sig, NODE_SIG_LEN);
	return (0);
}

static inline char *
text_of(struct db *db, const char *sql, const uint8_t *id)
{
	sqlite3_stmt *st;
	char *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return (s);
}

static inline long
refusals(struct db *db, const char *like)
{
	sqlite3_stmt *st;
	long n = 0;

	assert_int_equal(sqlite3_prepare_v2(db_handle(db), "SELECT count(*)"
	    " FROM refused WHERE reason LIKE ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (n);
}

/* A xorshift for orders of arrival; a test may seed rng first. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static inline uint32_t
rnd(uint32_t n)
{

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return ((uint32_t)(rng % n));
}

#endif /* !TESTS_UNIT_TRUSTNET_H */

/*
 * world.c: the fixed network of world.h.
 */
#include "tests/fuzz/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sqlite3.h>

#include "agent/cli/cli.h"
#include "protocol/hs.h"
#include "protocol/proto.h"
#include "store/db_test.h"
#include "store/trust.h"

#define EXPIRES		"2027-03-01"
#define REVOKED_AT	"2026-03-01T00:10:00Z"
#define SEC		UINT64_C(1000)

static void
die(const char *what, const char *err)
{

	fprintf(stderr, "world: %s: %s\n", what, err);
	abort();
}

static void
begin(struct db *db, uint64_t ms)
{
	char err[STORE_ERRLEN];

	if (db_begin(db, ms, err))
		die("begin", err);
}

static void
commit(struct db *db)
{
	char err[STORE_ERRLEN];

	if (db_commit(db, err))
		die("commit", err);
}

/* Buffer a write of ${v} to ${field} of record ${id} of ${coll}. */
static void
put_val(struct db *db, const char *coll, const uint8_t *id,
    const char *field, const struct val *v)
{
	const struct coll_def *c = schema_coll(coll);
	char err[STORE_ERRLEN];

	if (db_put(db, c, id, schema_field(c, field, strlen(field)), v, err))
		die(field, err);
}

static void
put(struct db *db, const char *coll, const uint8_t *id, const char *field,
    const char *s)
{
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = s;
	v.len = strlen(s);
	put_val(db, coll, id, field, &v);
}

static void
put_int(struct db *db, const char *coll, const uint8_t *id,
    const char *field, int64_t i)
{
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = VAL_INT;
	v.i = i;
	put_val(db, coll, id, field, &v);
}

/* Record id ${n} of origin ${o}. */
static void
rid(uint8_t id[SCHEMA_ID_LEN], enum wkey o, unsigned n)
{

	memset(id, 0x11, SCHEMA_ID_LEN);
	id[0] = (uint8_t)o;
	id[1] = (uint8_t)n;
}

/* One commit: consultation ${n} of ${o} at ${center}, ${outcome}. */
static void
consult(struct db *db, uint64_t ms, enum wkey o, unsigned n,
    const char *center, const char *outcome)
{
	uint8_t id[SCHEMA_ID_LEN];

	rid(id, o, n);
	begin(db, ms);
	if (center != NULL)
		put(db, "consultations", id, "center", center);
	put(db, "consultations", id, "outcome", outcome);
	commit(db);
}

static void
certify(struct world *w, struct db *db, uint64_t ms, enum wkey who,
    const char *role, const char *center)
{
	msgpack_sbuffer sb;
	uint8_t sig[64];
	char hex[129];

	msgpack_sbuffer_init(&sb);
	if (trust_cert_bytes(w->k[who].pk, "n", center, role, EXPIRES, &sb))
		die("cert", "out of memory");
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size,
	    w->k[W_ROOT].sk);
	msgpack_sbuffer_destroy(&sb);
	begin(db, ms);
	hex_encode(w->k[who].pk, 32, hex);
	put(db, "members", w->k[who].pk, "key", hex);
	put(db, "members", w->k[who].pk, "name", "n");
	put(db, "members", w->k[who].pk, "center", center);
	put(db, "members", w->k[who].pk, "role", role);
	put(db, "members", w->k[who].pk, "expires", EXPIRES);
	hex_encode(w->k[W_ROOT].pk, 32, hex);
	put(db, "members", w->k[who].pk, "cert_by", hex);
	hex_encode(sig, 64, hex);
	put(db, "members", w->k[who].pk, "cert", hex);
	commit(db);
}

static void
revoke(struct world *w, struct db *db, uint64_t ms, enum wkey who,
    uint64_t upto)
{
	msgpack_sbuffer sb;
	uint8_t sig[64];
	char hex[129];

	msgpack_sbuffer_init(&sb);
	if (trust_revoke_bytes(w->k[who].pk, REVOKED_AT, upto, "lost laptop",
	    &sb))
		die("revoke", "out of memory");
	crypto_sign_detached(sig, NULL, (uint8_t *)sb.data, sb.size,
	    w->k[W_ROOT].sk);
	msgpack_sbuffer_destroy(&sb);
	begin(db, ms);
	hex_encode(w->k[who].pk, 32, hex);
	put(db, "members", w->k[who].pk, "key", hex);
	put(db, "members", w->k[who].pk, "revoked", REVOKED_AT);
	put(db, "members", w->k[who].pk, "revoked_reason", "lost laptop");
	hex_encode(w->k[W_ROOT].pk, 32, hex);
	put(db, "members", w->k[who].pk, "revoked_by", hex);
	hex_encode(sig, 64, hex);
	put(db, "members", w->k[who].pk, "revoked_sig", hex);
	put_int(db, "members", w->k[who].pk, "revoked_seq", (int64_t)upto);
	commit(db);
}

/* A store of the world in memdb ${name}, run by ${me}. */
static struct db *
open_db(const struct world *w, const char *name, enum wkey me, bool hostile)
{
	char path[128], err[STORE_ERRLEN], hex[65];
	struct db *db;

	snprintf(path, sizeof(path), "file:/%s?vfs=memdb", name);
	if (db_open(&db, path, true, err))
		die(path, err);
	if (db_set_signer(db, w->k[me].sk))
		die(path, "signer");
	/* An origin's own store writes what its judge would refuse. */
	db_keep_refused(db, hostile);
	hex_encode(w->k[W_ROOT].pk, 32, hex);
	begin(db, W_T0);
	if (db_meta_set(db, "admin_key", hex, err))
		die("admin_key", err);
	commit(db);
	return (db);
}

struct take {
	struct wcommit	*c;
	size_t		*n;
};

static int
take_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    uint64_t seq)
{
	struct take *t = arg;
	struct wcommit *c;

	(void)seq;
	if (*t->n == W_MAX_COMMITS)
		die("take", "too many commits");
	c = &t->c[(*t->n)++];
	if ((c->body = malloc(len)) == NULL)
		die("take", "out of memory");
	memcpy(c->body, body, len);
	c->len = len;
	memcpy(c->sig, sig, NODE_SIG_LEN);
	return (0);
}

/* Every commit ${o} made in ${db}, into the world's list. */
static void
take(struct world *w, struct db *db, enum wkey o)
{
	char err[STORE_ERRLEN];
	struct take t = { w->c[o], &w->n[o] };

	if (db_commits_from(db, w->k[o].pk, 0, SIZE_MAX, take_cb, &t, err) < 0)
		die("take", err);
}

static void
apply(struct db *db, const struct wcommit *c)
{
	struct db_counts dc;
	char err[STORE_ERRLEN];

	memset(&dc, 0, sizeof(dc));
	begin(db, W_NOW);
	if (db_apply(db, c->body, c->len, c->sig, &dc, err))
		die("apply", err);
	commit(db);
}

/* The peer's first commit, made alike in its store and in the fork's. */
static void
peer_first(struct db *db)
{

	consult(db, W_T0 + 20 * SEC, W_PEER, 1, "Khujand", "advised");
}

void
world_init(struct world *w)
{
	struct db *db;
	uint8_t seed[32], id[SCHEMA_ID_LEN];
	size_t i, j;

	memset(w, 0, sizeof(*w));
	/* Before SQLite starts: memdb names are URIs. */
	sqlite3_config(SQLITE_CONFIG_URI, 1);
	if (sodium_init() < 0)
		die("sodium_init", "failed");
	for (i = 0; i < W_NKEYS; i++) {
		for (j = 0; j < sizeof(seed); j++)
			seed[j] = (uint8_t)(0x40 + 17 * i + j);
		crypto_sign_seed_keypair(w->k[i].pk, w->k[i].sk, seed);
	}
	memset(w->netkey, 0x77, sizeof(w->netkey));

	db = open_db(w, "world-root", W_ROOT, true);
	certify(w, db, W_T0 + 1 * SEC, W_NODE, "center", "Dushanbe");
	certify(w, db, W_T0 + 2 * SEC, W_PEER, "office", "Khujand");
	certify(w, db, W_T0 + 3 * SEC, W_THIRD, "center", "Kulob");
	certify(w, db, W_T0 + 4 * SEC, W_REVOKED, "office", "Khorog");
	revoke(w, db, W_T0 + 5 * SEC, W_REVOKED, 1);
	rid(id, W_ROOT, 1);
	begin(db, W_T0 + 6 * SEC);
	put(db, "directory", id, "name", "Migration service, Moscow");
	put(db, "directory", id, "city", "Moscow");
	commit(db);
	take(w, db, W_ROOT);
	db_close(db);

	db = open_db(w, "world-peer", W_PEER, true);
	peer_first(db);
	consult(db, W_T0 + 21 * SEC, W_PEER, 2, "Khujand", "referred");
	consult(db, W_T0 + 22 * SEC, W_PEER, 1, NULL, "closed, permit");
	consult(db, W_T0 + 23 * SEC, W_PEER, 3, "Khujand", "open");
	/* Not its center's record: refused wherever it is judged. */
	consult(db, W_T0 + 24 * SEC, W_THIRD, 1, NULL, "edited by Khujand");
	take(w, db, W_PEER);
	db_close(db);

	/* The peer's key, seq 2 again with other contents: a fork. */
	db = open_db(w, "world-fork", W_PEER, true);
	peer_first(db);
	consult(db, W_T0 + 21 * SEC, W_PEER, 9, "Khujand", "the other branch");
	{
		struct wcommit c[W_MAX_COMMITS];
		size_t n = 0;
		struct take t = { c, &n };
		char err[STORE_ERRLEN];

		if (db_commits_from(db, w->k[W_PEER].pk, 0, SIZE_MAX, take_cb,
		    &t, err) != 2)
			die("fork", err);
		free(c[0].body);
		w->fork = c[1];
	}
	db_close(db);

	db = open_db(w, "world-third", W_THIRD, true);
	consult(db, W_T0 + 30 * SEC, W_THIRD, 1, "Kulob", "advised");
	consult(db, W_T0 + 31 * SEC, W_THIRD, 2, "Kulob", "open");
	consult(db, W_T0 + 32 * SEC, W_THIRD, 1, NULL, "closed");
	consult(db, W_T0 + 33 * SEC, W_THIRD, 3, "Kulob", "referred");
	take(w, db, W_THIRD);
	db_close(db);

	db = open_db(w, "world-revoked", W_REVOKED, true);
	consult(db, W_T0 + 40 * SEC, W_REVOKED, 1, "Khorog", "advised");
	consult(db, W_T0 + 41 * SEC, W_REVOKED, 2, "Khorog", "after the laptop "
	    "was lost");
	consult(db, W_T0 + 42 * SEC, W_REVOKED, 1, NULL, "edited after");
	take(w, db, W_REVOKED);
	db_close(db);

	db = open_db(w, "world-stranger", W_STRANGER, true);
	consult(db, W_T0 + 50 * SEC, W_STRANGER, 1, "Nowhere", "spam");
	consult(db, W_T0 + 51 * SEC, W_STRANGER, 2, "Nowhere", "more spam");
	take(w, db, W_STRANGER);
	db_close(db);

	/* The node: the root's facts, two of its own, what it got. */
	db = open_db(w, "world-node", W_NODE, false);
	for (i = 0; i < w->n[W_ROOT]; i++)
		apply(db, &w->c[W_ROOT][i]);
	consult(db, W_T0 + 60 * SEC, W_NODE, 1, "Dushanbe", "advised");
	consult(db, W_T0 + 61 * SEC, W_NODE, 2, "Dushanbe", "open");
	apply(db, &w->c[W_PEER][0]);
	apply(db, &w->c[W_PEER][1]);
	apply(db, &w->c[W_THIRD][0]);
	apply(db, &w->c[W_THIRD][2]);		/* Held: no seq 2. */
	apply(db, &w->c[W_REVOKED][0]);
	w->tmpl = db;
}

const struct wkeys *
world_key_of(const struct world *w, const uint8_t *pk)
{
	size_t i;

	for (i = 0; i < W_NKEYS; i++)
		if (memcmp(w->k[i].pk, pk, 32) == 0)
			return (&w->k[i]);
	return (NULL);
}

struct db *
world_node_db(const struct world *w, const char *name, void **keep)
{
	char path[128], err[STORE_ERRLEN];
	sqlite3_backup *b;
	sqlite3 *h;
	struct db *db;

	snprintf(path, sizeof(path), "file:/%s?vfs=memdb", name);
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
		die(path, "open");
	if ((b = sqlite3_backup_init(h, "main", db_handle(w->tmpl),
	    "main")) == NULL || sqlite3_backup_step(b, -1) != SQLITE_DONE ||
	    sqlite3_backup_finish(b) != SQLITE_OK)
		die(path, sqlite3_errmsg(h));
	if (db_open(&db, path, false, err))
		die(path, err);
	if (db_set_signer(db, w->k[W_NODE].sk))
		die(path, "signer");
	*keep = h;
	return (db);
}

void
world_close(struct db *db, void *keep)
{

	db_close(db);
	sqlite3_close(keep);
}

struct db *
world_db(const struct world *w, const char *name, unsigned which,
    enum wkey me, void **keep)
{
	struct db *db;
	size_t o, i;

	db = open_db(w, name, me, false);
	*keep = NULL;
	for (o = 0; o < W_NKEYS; o++)
		for (i = 0; (which & (1u << o)) && i < w->n[o]; i++)
			apply(db, &w->c[o][i]);
	return (db);
}

/* The agent admits a member whose message-1 counter is fresh. */
static int
admit(void *arg, const uint8_t *peer, uint64_t ctr, const uint8_t *succ,
    size_t nsucc)
{
	char err[STORE_ERRLEN];

	(void)succ;	/* The fuzzing peer is a member: it sends none. */
	(void)nsucc;
	return (db_hs_fresh(arg, peer, ctr, err) == 0 ? 0 : -1);
}

/* Fixed entropy: the ephemeral keys of a seed's handshake stay put. */
static void
fixed_random(void *arg, uint8_t *buf, size_t len)
{

	(void)arg;
	memset(buf, 0x5c, len);
}

void
world_cfg(const struct world *w, struct session_cfg *cfg, struct db *db,
    enum wkey me, enum wkey peer, bool initiator, bool compress)
{

	memset(cfg, 0, sizeof(*cfg));
	cfg->db = db;
	cfg->initiator = initiator;
	cfg->ed_sk = w->k[me].sk;
	cfg->peer = initiator ? w->k[peer].pk : NULL;
	cfg->netkey = w->netkey;
	cfg->name = me == W_NODE ? "Dushanbe center" : "Khujand office";
	cfg->admit = admit;
	cfg->random = fixed_random;
	cfg->arg = db;
	cfg->now_ms = W_NOW;
	cfg->compress = compress;
}

int
wpeer_open(const struct world *w, struct wpeer *p, struct session *s,
    bool s_dials, enum wkey me, enum wkey them, uint64_t ctr)
{
	uint8_t xs[32], xp[32], peer_x[32], e[32], k[32];
	uint8_t pro[HS_PROLOGUE_LEN], p1[SESSION_HS_PAYLOAD1];
	uint8_t m1[SESSION_MSG1_LEN], m2[SESSION_MSG2_LEN];
	uint8_t p2[SESSION_HS_PAYLOAD2] = { HS_VERSION };
	uint8_t tx[32], rx[32], h[32], hdr[FRAME_HDR_LEN];
	const uint8_t *out;
	struct hs hs;
	size_t n, i;

	memset(p, 0, sizeof(*p));
	memset(e, 0x3c, sizeof(e));
	hs_prologue(w->netkey, pro);
	if (hs_x25519_keys(w->k[me].sk, xs, xp) != PROTO_OK)
		return (-1);
	if (s_dials) {
		session_output(s, &out, &n);
		if (n < SESSION_MSG1_LEN)
			return (-1);
		hs_init(&hs, false, pro, sizeof(pro), xs, NULL, w->netkey);
		if (hs_read1(&hs, out, HS_MSG1_LEN(SESSION_HS_PAYLOAD1), p1) !=
		    PROTO_OK || hs_write2(&hs, e, p2, sizeof(p2), m2) !=
		    PROTO_OK)
			return (-1);
		session_consumed(s, SESSION_MSG1_LEN);
		if (session_input(s, m2, sizeof(m2), W_NOW) != 0)
			return (-1);
	} else {
		if (hs_x25519_pub(w->k[them].pk, peer_x) != PROTO_OK)
			return (-1);
		memset(p1, 0, sizeof(p1));
		memcpy(p1, w->k[me].pk, 32);
		for (i = 0; i < 8; i++)
			p1[32 + i] = (uint8_t)(ctr >> (56 - 8 * i));
		p1[40] = HS_VERSION;
		hs_init(&hs, true, pro, sizeof(pro), xs, peer_x, w->netkey);
		if (hs_write1(&hs, e, p1, sizeof(p1), m1) != PROTO_OK)
			return (-1);
		hs_mac1_key(w->netkey, peer_x, k);
		hs_mac1(k, m1, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
		    m1 + HS_MSG1_LEN(SESSION_HS_PAYLOAD1));
		if (session_input(s, m1, sizeof(m1), W_NOW) != 0)
			return (-1);
		session_output(s, &out, &n);
		if (n < SESSION_MSG2_LEN || hs_read2(&hs, out,
		    SESSION_MSG2_LEN, p2) != PROTO_OK)
			return (-1);
		session_consumed(s, SESSION_MSG2_LEN);
	}
	if (hs_split(&hs, tx, rx, h) != PROTO_OK)
		return (-1);
	hs_fini(&hs);
	frame_enc_init(&p->enc, tx, hdr);
	if ((p->dec = frame_dec_new(rx)) == NULL)
		return (-1);
	return (session_input(s, hdr, sizeof(hdr), W_NOW));
}

int
wpeer_send(struct wpeer *p, struct session *s, const void *body, size_t len,
    bool final, uint64_t now)
{
	uint8_t *wire;
	int rc;

	if (p->closed || len > FRAME_MAX_LEN)
		return (0);
	if ((wire = malloc(FRAME_WIRE_LEN(len))) == NULL)
		abort();
	if (frame_enc(&p->enc, body, len, final, wire) != PROTO_OK)
		abort();
	p->closed = final;
	rc = session_input(s, wire, FRAME_WIRE_LEN(len), now);
	free(wire);
	return (rc);
}

int
wpeer_recv(struct wpeer *p, struct session *s,
    void (*fn)(void *, const uint8_t *, size_t, bool), void *arg)
{
	const uint8_t *out, *body;
	size_t n, blen;
	ssize_t used;
	bool final;

	session_output(s, &out, &n);
	while (n > 0) {
		if ((used = frame_dec_feed(p->dec, out, n, &body, &blen,
		    &final)) < 0)
			return ((int)used);
		session_consumed(s, (size_t)used);
		session_output(s, &out, &n);
		if (body != NULL)
			fn(arg, body, blen, final);
	}
	return (0);
}

void
wpeer_fini(struct wpeer *p)
{

	frame_dec_free(p->dec);
	p->dec = NULL;
}

/*
 * test_netops.c: the network operations called directly, in process:
 * peers round trip and a bad address is refused with its key, nothing
 * stored; only an admin revokes; a rotated center key is listed; a
 * network is created, a second node invited and joined with the token.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/unit/opsnode.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/access/users.h"
#include "agent/codec/invite.h"
#include "agent/ops/centers.h"
#include "agent/ops/net.h"
#include "agent/ops/users.h"

/* An opsnode.h node, with its key in hex. */
struct tnet {
	struct tops	n;
	char		hex[65];
};

/*
 * A node with its node.key file, as 'hamroh init' leaves one, its log
 * empty (a center record would make network create continue the node
 * under a successor key).
 */
static void
tnet_open(struct tnet *t, const char *tag)
{
	char path[300];
	int fd;

	tops_open_bare(&t->n, tag);
	snprintf(path, sizeof(path), "%s/node.key", t->n.dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, t->n.sk, 64), 64);
	close(fd);
	sodium_bin2hex(t->hex, sizeof(t->hex), t->n.pk, 32);
}

/* The files the operations may leave, then the node. */
static void
tnet_close(struct tnet *t)
{
	static const char *const files[] = { "node.key", "node.key.new",
	    "network.key", "center.keys", "other-centers.jsonl" };
	char path[300];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->n.dir, files[i]);
		unlink(path);
	}
	tops_close(&t->n);
}

/* What 'hamroh id --invite' prints on ${t}: NODE_KEY:DATA_KEY. */
static void
tnet_invite_id(struct tnet *t, char out[130])
{
	uint8_t dpk[USER_KEY_LEN];

	assert_int_equal(user_data_pk(t->n.db, dpk), 0);
	memcpy(out, t->hex, 64);
	out[64] = ':';
	sodium_bin2hex(out + 65, 65, dpk, sizeof(dpk));
}

static void
set_role(struct tnet *t, const char *role)
{
	char err[STORE_ERRLEN];

	assert_int_equal(db_meta_set(t->n.db, "role", role, err), 0);
}

struct peers {
	long	n;
	char	addr[64];
	char	key[65];
};

static int
peer_cb(void *arg, const char *addr, const char *key, const char *name)
{
	struct peers *p = arg;

	(void)name;
	p->n++;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	snprintf(p->key, sizeof(p->key), "%s", key ? key : "-");
	return (0);
}

static void
test_peer_round_trip(void **state)
{
	struct tnet a, b;
	struct ops_peer_add_args pa;
	struct ops_peer_added out;
	struct ops_peer_rm_args pr;
	struct peers p;
	struct ops_err e;
	char msg[1024];
	long n;

	(void)state;
	tnet_open(&a, "netops-a");
	tnet_open(&b, "netops-b");
	/* A bad address: refused, its key, nothing stored. */
	pa.addr = "not an address";
	pa.key = b.hex;
	assert_int_equal(ops_peer_add(&a.n.o, &pa, &out, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	assert_int_equal(e.key, OPS_MSG_NET_ADDR_INVALID);
	assert_non_null(strstr(ops_text("en", &e, msg, sizeof(msg)),
	    "'not an address' is not HOST:PORT"));
	memset(&p, 0, sizeof(p));
	assert_int_equal(ops_peer_list(&a.n.o, peer_cb, &p, &n, &e), 0);
	assert_int_equal(n, 0);
	/* This node's own key is refused. */
	pa.addr = "127.0.0.1:7000";
	pa.key = a.hex;
	assert_int_equal(ops_peer_add(&a.n.o, &pa, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_PEER_OWN_KEY);
	/* No key: no member advertises it. */
	pa.key = NULL;
	assert_int_equal(ops_peer_add(&a.n.o, &pa, &out, &e), -1);
	assert_int_equal(e.key, OPS_MSG_PEER_NOT_ADVERTISED);
	/* Added, listed, removed. */
	pa.key = b.hex;
	assert_int_equal(ops_peer_add(&a.n.o, &pa, &out, &e), 0);
	assert_string_equal(out.key, b.hex);
	assert_false(out.advertised);
	memset(&p, 0, sizeof(p));
	assert_int_equal(ops_peer_list(&a.n.o, peer_cb, &p, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p.addr, "127.0.0.1:7000");
	assert_string_equal(p.key, b.hex);
	pr.addr = "127.0.0.1:7000";
	assert_int_equal(ops_peer_rm(&a.n.o, &pr, &e), 0);
	assert_int_equal(ops_peer_rm(&a.n.o, &pr, &e), -1);
	assert_int_equal(e.code, OPS_NOT_FOUND);
	assert_int_equal(e.key, OPS_MSG_PEER_NONE);
	memset(&p, 0, sizeof(p));
	assert_int_equal(ops_peer_list(&a.n.o, peer_cb, &p, &n, &e), 0);
	assert_int_equal(n, 0);
	tnet_close(&b);
	tnet_close(&a);
}

static void
test_revoke_denied(void **state)
{
	struct tnet a, b;
	struct ops_revoke_args ra;
	struct ops_revoked out;
	struct ops_err e;

	(void)state;
	tnet_open(&a, "netops-a");
	tnet_open(&b, "netops-b");
	set_role(&a, "member");
	ra.key = b.hex;
	ra.reason = "laptop stolen";
	assert_int_equal(ops_revoke(&a.n.o, &ra, &out, &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	assert_int_equal(e.key, OPS_MSG_REVOKE_ADMIN);
	/* A bad key or an empty reason: refused before anything. */
	ra.key = "abc";
	assert_int_equal(ops_revoke_check(&ra, &e), -1);
	assert_int_equal(e.key, OPS_MSG_NET_KEY_NOT_HEX);
	ra.key = b.hex;
	ra.reason = "";
	assert_int_equal(ops_revoke_check(&ra, &e), -1);
	assert_int_equal(e.key, OPS_MSG_NET_TEXT_EMPTY);
	/* An admin: not a member of this network. */
	set_role(&a, "admin");
	ra.reason = "laptop stolen";
	assert_int_equal(ops_revoke(&a.n.o, &ra, &out, &e), -1);
	assert_int_equal(e.code, OPS_NOT_FOUND);
	assert_int_equal(e.key, OPS_MSG_REVOKE_NOT_MEMBER);
	tnet_close(&b);
	tnet_close(&a);
}

struct keys {
	long		n;
	unsigned	version;
	char		center[64];
};

static int
key_cb(void *arg, const char *center, const char *id, unsigned version)
{
	struct keys *k = arg;

	assert_int_equal(strlen(id), 16);
	k->n++;
	if (strcmp(center, "Khorog") == 0 && version > k->version)
		k->version = version;
	snprintf(k->center, sizeof(k->center), "%s", center);
	return (0);
}

static void
test_key_rotate_list(void **state)
{
	struct tnet a;
	struct ops_key_rotate_args ka = { "Khorog" };
	struct ops_key_rotated out;
	struct ops_err e;
	struct keys k;

	(void)state;
	tnet_open(&a, "netops-a");
	set_role(&a, "member");
	assert_int_equal(ops_key_rotate(&a.n.o, &ka, &out, &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	assert_int_equal(e.key, OPS_MSG_KEY_ROTATE_ADMIN);
	set_role(&a, "admin");
	memset(&k, 0, sizeof(k));
	assert_int_equal(ops_key_list(&a.n.o, key_cb, &k, &e), 0);
	assert_int_equal(k.n, 0);
	assert_int_equal(ops_key_rotate(&a.n.o, &ka, &out, &e), 0);
	assert_int_equal(ops_key_rotate(&a.n.o, &ka, &out, &e), 0);
	memset(&k, 0, sizeof(k));
	assert_int_equal(ops_key_list(&a.n.o, key_cb, &k, &e), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.version, out.version);
	assert_string_equal(k.center, "Khorog");
	ka.center = "";
	assert_int_equal(ops_key_rotate_check(&ka, &e), -1);
	assert_int_equal(e.code, OPS_USAGE);
	tnet_close(&a);
}

static int
dial_cb(void *arg, const char *addr, const char *key, bool inviter)
{
	struct peers *p = arg;

	assert_true(inviter);
	p->n++;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	snprintf(p->key, sizeof(p->key), "%s", key);
	return (0);
}

static void
test_create_invite_join(void **state)
{
	struct tnet a, b;
	struct ops_network_create_args ca = { "Pamir legal aid" };
	struct ops_network_created co;
	const char *addrs[1] = { "127.0.0.1:7001" };
	struct ops_invite_args ia;
	struct ops_join_args ja;
	struct ops_joined jo;
	struct ops_revoke_args ra;
	struct ops_revoked ro;
	struct ops_err e;
	struct peers p;
	char meta[256], msg[1024], *tok;

	(void)state;
	tnet_open(&a, "netops-a");
	tnet_open(&b, "netops-b");
	/* Not in a network: no invites. */
	memset(&ia, 0, sizeof(ia));
	ia.key = b.hex;
	ia.name = "Khorog office";
	ia.center = "Khorog";
	ia.role = "center";
	ia.addrs = addrs;
	ia.naddr = 1;
	assert_int_equal(ops_invite(&a.n.o, &ia, &tok, &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	assert_int_equal(e.key, OPS_MSG_INVITE_NO_NETWORK);

	if (ops_network_create(&a.n.o, &ca, &co, &e))
		fail_msg("create: %s", ops_text("en", &e, msg, sizeof(msg)));
	assert_string_equal(co.admin, a.hex);
	assert_false(co.succeeded);
	assert_int_equal(db_meta_get(a.n.db, "role", meta, sizeof(meta)), 0);
	assert_string_equal(meta, "admin");
	/* Once is all. */
	assert_int_equal(ops_network_create(&a.n.o, &ca, &co, &e), -1);
	assert_int_equal(e.key, OPS_MSG_NET_ALREADY);

	/* The invite names a center of the list; the refusal lists them. */
	{
		struct ops_center kc = { "Murghob", "Murghob office", NULL,
		    NULL, NULL, NULL };
		char prefix[CENTER_PREFIX_LEN + 1];

		assert_int_equal(ops_invite(&a.n.o, &ia, &tok, &e), -1);
		assert_int_equal(e.key, OPS_MSG_CENTER_NONE_KNOWN);
		if (ops_center_add(&a.n.o, &kc, prefix, &e))
			fail_msg("center: %s", ops_text("en", &e, msg,
			    sizeof(msg)));
		assert_int_equal(ops_invite(&a.n.o, &ia, &tok, &e), -1);
		assert_int_equal(e.key, OPS_MSG_CENTER_UNKNOWN);
		assert_string_equal(e.arg[2], "Murghob");
		kc.code = "Khorog";
		kc.name = "Khorog office";
		if (ops_center_add(&a.n.o, &kc, prefix, &e))
			fail_msg("center: %s", ops_text("en", &e, msg,
			    sizeof(msg)));
	}
	if (ops_invite(&a.n.o, &ia, &tok, &e))
		fail_msg("invite: %s", ops_text("en", &e, msg, sizeof(msg)));
	assert_non_null(tok);
	/* A token for another node is refused there. */
	ja.token = tok;
	assert_int_equal(ops_join_check(&ja, &e), 0);
	assert_int_equal(ops_join(&a.n.o, &ja, NULL, NULL, &jo, &e), -1);
	assert_int_equal(e.key, OPS_MSG_JOIN_NOT_FOR_NODE);
	memset(&p, 0, sizeof(p));
	if (ops_join(&b.n.o, &ja, dial_cb, &p, &jo, &e))
		fail_msg("join: %s", ops_text("en", &e, msg, sizeof(msg)));
	sodium_free(tok);
	assert_string_equal(jo.net, "Pamir legal aid");
	assert_string_equal(jo.role, "center");
	assert_int_equal(jo.ndial, 1);
	assert_int_equal(p.n, 1);
	/* The invite gave the first node code, "10", for case numbers. */
	assert_int_equal(db_meta_get(b.n.db, "case_code", meta, sizeof(meta)),
	    0);
	assert_string_equal(meta, "10");
	assert_string_equal(p.addr, "127.0.0.1:7001");
	assert_string_equal(p.key, a.hex);
	assert_int_equal(db_meta_get(b.n.db, "network_name", meta,
	    sizeof(meta)), 0);
	assert_string_equal(meta, "Pamir legal aid");
	/* B is no admin: it cannot revoke A. */
	ra.key = a.hex;
	ra.reason = "test";
	assert_int_equal(ops_revoke(&b.n.o, &ra, &ro, &e), -1);
	assert_int_equal(e.code, OPS_DENIED);
	/* A, the admin, can revoke B, a member now. */
	ra.key = b.hex;
	ra.reason = "laptop stolen";
	if (ops_revoke(&a.n.o, &ra, &ro, &e))
		fail_msg("revoke: %s", ops_text("en", &e, msg, sizeof(msg)));
	assert_string_equal(ro.name, "Khorog office");
	/* A bad token: refused before anything. */
	ja.token = "hamroh1:garbage";
	assert_int_equal(ops_join_check(&ja, &e), -1);
	assert_int_equal(e.key, OPS_MSG_JOIN_TOKEN_BAD);
	tnet_close(&b);
	tnet_close(&a);
}

/* Whether any file of ${dir} holds the bytes of ${needle}. */
static bool
dir_holds(const char *dir, const char *needle)
{
	static char buf[1 << 22];
	struct dirent *d;
	char path[600];
	bool found = false;
	size_t n, i;
	DIR *dp;
	FILE *f;

	assert_non_null(dp = opendir(dir));
	while (!found && (d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		for (i = 0; !found && i + strlen(needle) <= n; i++)
			found = memcmp(buf + i, needle, strlen(needle)) == 0;
	}
	closedir(dp);
	return (found);
}

/*
 * A node in no network seals its confidential fields under a local key
 * of its own from the first write; joining seals them again under the
 * network's key from the token and leaves on disk neither the markers
 * nor the local key's id (its ciphertexts, its center.keys line).
 */
static void
test_alone_seals(void **state)
{
	struct tnet a, b;
	struct ops_network_create_args ca = { "Pamir legal aid" };
	struct ops_network_created co;
	struct ops_center kc = { "Khorog", "Khorog office", NULL, NULL, NULL,
	    NULL };
	const char *addrs[1] = { "127.0.0.1:7001" };
	struct ops_field f[3] = { fld("client_name", "ALONEMARK-name"),
	    fld("client_phone", "+992 92 777 00 11"),
	    fld("summary", "ALONEMARK-summary") };
	struct ops_read_args ra;
	struct ops_invite_args ia;
	struct ops_join_args ja;
	struct ops_joined jo;
	struct ops_err e;
	char msg[1024], hex[33], local[17], net[17], name[64], *tok, *old;
	char bid[130];
	const struct conf_key *k;
	struct invite *iv;
	uint8_t ck[CONF_KEY_LEN];

	(void)state;
	tnet_open(&a, "netops-alone-a");
	tnet_open(&b, "netops-alone-b");
	tops_center(&b.n, "Khorog");
	tops_consultation_ok(&b.n.o, "Khorog", f, 3, hex);
	/* Sealed at once: under the key the node made for itself. */
	assert_non_null(k = conf_current(&b.n.o.ring, "Khorog"));
	sodium_bin2hex(local, sizeof(local), k->id, CONF_KEYID_LEN);
	assert_false(dir_holds(b.n.dir, "ALONEMARK"));
	assert_false(dir_holds(b.n.dir, "777 00 11"));
	assert_true(dir_holds(b.n.dir, local));

	if (ops_network_create(&a.n.o, &ca, &co, &e) ||
	    ops_center_add(&a.n.o, &kc, msg, &e))
		fail_msg("create: %s", ops_text("en", &e, msg, sizeof(msg)));
	memset(&ia, 0, sizeof(ia));
	tnet_invite_id(&b, bid);
	ia.key = bid;
	ia.name = "Khorog office";
	ia.center = "Khorog";
	ia.role = "center";
	ia.addrs = addrs;
	ia.naddr = 1;
	if (ops_invite(&a.n.o, &ia, &tok, &e))
		fail_msg("invite: %s", ops_text("en", &e, msg, sizeof(msg)));
	assert_non_null(k = conf_current(&a.n.o.ring, "Khorog"));
	sodium_bin2hex(net, sizeof(net), k->id, CONF_KEYID_LEN);
	assert_string_not_equal(net, local);

	/*
	 * The token's center key: node.key and the token (a chat history)
	 * do not open it; B's data key, which only its users' passphrases
	 * open, does.
	 */
	assert_non_null(iv = sodium_malloc(sizeof(*iv)));
	memset(iv, 0, sizeof(*iv));
	assert_int_equal(invite_decode(tok, iv, msg, sizeof(msg)), 0);
	assert_int_equal(iv->version, INVITE_DATA_VERSION);
	assert_int_equal(iv->nkeys, 1);
	assert_int_equal(conf_unwrap(iv->keys[0].sealed, b.n.pk, b.n.sk, ck),
	    -1);
	assert_int_equal(conf_unwrap_data(iv->keys[0].sealed,
	    b.n.o.user.data_pk, b.n.o.user.data_sk, ck), 0);
	assert_memory_equal(ck, k->key, CONF_KEY_LEN);
	/* A token of the older layout (keys to the node key) is refused. */
	iv->version = 4;
	assert_int_equal(conf_wrap(k, b.n.pk, iv->keys[0].sealed), 0);
	assert_int_equal(invite_sig(iv, a.n.sk), 0);
	assert_int_equal(invite_encode(iv, &old), 0);
	ja.token = old;
	assert_int_equal(ops_join(&b.n.o, &ja, NULL, NULL, &jo, &e), -1);
	assert_int_equal(e.key, OPS_MSG_JOIN_TOKEN_OLD_KEYS);
	assert_string_equal(e.arg[0], "4");
	sodium_free(old);
	sodium_free(iv);
	/* Nothing changed: B is still alone, its local key kept. */
	assert_int_not_equal(db_meta_get(b.n.db, "network_name", msg,
	    sizeof(msg)), 0);
	assert_non_null(conf_current(&b.n.o.ring, "Khorog"));

	ja.token = tok;
	if (ops_join(&b.n.o, &ja, NULL, NULL, &jo, &e))
		fail_msg("join: %s", ops_text("en", &e, msg, sizeof(msg)));
	sodium_free(tok);
	assert_true(jo.succeeded);
	assert_true(jo.recommitted >= 1);
	/* The network's key is the one B holds for Khorog now, */
	assert_non_null(k = conf_current(&b.n.o.ring, "Khorog"));
	sodium_bin2hex(msg, 17, k->id, CONF_KEYID_LEN);
	assert_string_equal(msg, net);
	assert_int_equal(b.n.o.ring.n, 1);
	/* and the record reads back under it. */
	memset(&ra, 0, sizeof(ra));
	ra.coll = "consultations";
	name[0] = '\0';
	assert_int_equal(ops_list(&b.n.o, &ra, tops_name_cb, name, &e), 0);
	assert_string_equal(name, "ALONEMARK-name");
	assert_int_equal(tops_count(&b.n.o, "consultations"), 1);
	/* Nothing of the local key or the plaintext stays on disk. */
	assert_false(dir_holds(b.n.dir, "ALONEMARK"));
	assert_false(dir_holds(b.n.dir, "777 00 11"));
	assert_false(dir_holds(b.n.dir, local));
	assert_true(dir_holds(b.n.dir, net));
	tnet_close(&b);
	tnet_close(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_round_trip),
		cmocka_unit_test(test_revoke_denied),
		cmocka_unit_test(test_key_rotate_list),
		cmocka_unit_test(test_create_invite_join),
		cmocka_unit_test(test_alone_seals),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

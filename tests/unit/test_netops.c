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

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_round_trip),
		cmocka_unit_test(test_revoke_denied),
		cmocka_unit_test(test_key_rotate_list),
		cmocka_unit_test(test_create_invite_join),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

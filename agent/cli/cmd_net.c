/*
 * cmd_net.c: joining a network — network create, invite, join, peer.
 * The invite token itself is agent/codec/invite.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/access/confidential.h"
#include "agent/codec/invite.h"
#include "agent/codec/json.h"
#include "agent/daemon/log.h"
#include "agent/access/member.h"
#include "agent/ops/net.h"
#include "agent/ops/node.h"

/* A number as the text of a message argument. */
#define STR_(x)	#x
#define STR(x)	STR_(x)

/*
 * The network ops' errors: out of memory and an unreadable key ring were
 * always printed without the command's name.
 */
static void
net_fail(struct cli *cli, const char *what, const struct ops_err *e)
{

	if (e->key == OPS_MSG_NOMEM || e->key == OPS_MSG_KEYS_UNREADABLE)
		what = NULL;
	cli_ops_fail(cli, what, e);
}

/* Parse a NODE_KEY argument or fail, naming ${what}. */
static void
parse_key(struct cli *cli, const char *s, uint8_t pk[NODE_KEY_LEN],
    const char *what)
{
	struct ops_err e;

	if (ops_node_key(s, pk, &e))
		net_fail(cli, what, &e);
}

static void
check_addr(struct cli *cli, const char *a, const char *what)
{
	struct ops_err e;

	if (ops_net_addr(a, &e))
		net_fail(cli, what, &e);
}

/*
 * Remove every "--address X" from ${argv} into ${a}->addrs, and every
 * "--peer X KEY" into ${a}->peers (arrays ${addrs}, ${peers}).  Checked
 * against what this node knows once it is open (ops_invite()).
 */
static void
take_addrs(struct cli *cli, int *argc, char **argv,
    struct ops_invite_args *a, const char **addrs,
    struct ops_invite_peer *peers)
{
	uint8_t key[NODE_KEY_LEN];
	const char *v;
	size_t k;
	int i, j;

	while ((v = cli_opt_next(argc, argv, "--address")) != NULL) {
		check_addr(cli, v, "invite: --address");
		for (k = 0; k < a->naddr; k++)
			if (strcmp(addrs[k], v) == 0)
				cli_die(EXIT_USAGE, "invite",
				    OPS_MSG_CLI_ADDRESS_TWICE, 1, v);
		if (a->naddr == MEMBER_MAX_ADDRS)
			cli_die(EXIT_USAGE, "invite",
			    OPS_MSG_CLI_ADDRESS_MAX, 1, STR(MEMBER_MAX_ADDRS));
		addrs[a->naddr++] = v;
	}
	/* --peer takes two words: cli_opt_next() takes one. */
	for (i = 0; i < *argc;) {
		if (strcmp(argv[i], "--peer") != 0) {
			i++;
			continue;
		}
		if (i + 2 >= *argc || strncmp(argv[i + 1], "--", 2) == 0)
			cli_die(EXIT_USAGE, "invite", OPS_MSG_CLI_PEER_ARGS,
			    0);
		if (a->npeers == INVITE_MAX_PEERS)
			cli_die(EXIT_USAGE, "invite", OPS_MSG_CLI_PEER_MAX, 1,
			    STR(INVITE_MAX_PEERS));
		check_addr(cli, argv[i + 1], "invite: --peer");
		parse_key(cli, argv[i + 2], key, "invite: --peer");
		for (k = 0; k < a->npeers; k++)
			if (strcmp(peers[k].addr, argv[i + 1]) == 0)
				cli_die(EXIT_USAGE, "invite",
				    OPS_MSG_CLI_PEER_TWICE, 1, argv[i + 1]);
		peers[a->npeers].addr = argv[i + 1];
		peers[a->npeers++].key = argv[i + 2];
		for (j = i; j + 3 < *argc; j++)
			argv[j] = argv[j + 3];
		*argc -= 3;
	}
	a->addrs = addrs;
	a->peers = peers;
}

/*
 * network create --name NAME
 */
static int
net_create(struct cli *cli, int argc, char **argv)
{
	const char *what = "network create";
	char cut[48];
	struct ops_network_create_args a;
	struct ops_network_created out;
	struct ops_err e;
	struct ops o;

	a.name = cli_opt(&argc, argv, "--name");
	cli_no_more_opts(argc, argv, what);
	if (argc > 0)
		cli_die(EXIT_USAGE, what, OPS_MSG_CLI_UNEXPECTED_ARG, 1,
		    cli_cut(cut, sizeof(cut), argv[0], 40));
	if (a.name == NULL)
		cli_die(EXIT_USAGE, what, OPS_MSG_CLI_NETWORK_NAME, 0);
	if (ops_network_create_check(&a, &e))
		net_fail(cli, what, &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_network_create(&o, &a, &out, &e))
		net_fail(cli, what, &e);
	if (out.succeeded)
		printf("records logged before: %ld written again, sealed, "
		    "under this node's new key (the old key's changes stay "
		    "on this node only)\n", out.recommitted);
	printf("created network '%s'\nadmin %s\n", a.name, out.admin);
	ops_fini(&o);
	return (0);
}

int
cmd_network(struct cli *cli, int argc, char **argv)
{

	if (argc > 0 && strcmp(argv[0], "create") == 0)
		return (net_create(cli, argc - 1, argv + 1));
	cli_die(EXIT_USAGE, "network", OPS_MSG_CLI_NETWORK_USAGE, 0);
}

static uint32_t
parse_days(const char *s)
{
	uint32_t d = 0;
	const char *p;
	char cut[48];

	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s >= 5)
			goto bad;
		d = d * 10 + (uint32_t)(*p - '0');
	}
	if (p == s || d < 1 || d > OPS_INVITE_DAYS_MAX)
		goto bad;
	return (d);
bad:
	cli_die(EXIT_USAGE, "invite", OPS_MSG_CLI_INVITE_DAYS, 2,
	    STR(OPS_INVITE_DAYS_MAX), cli_cut(cut, sizeof(cut), s, 20));
}

/*
 * invite NODE_KEY --name N --center C --role R [--expires DAYS]
 *     [--address HOST:PORT]... [--peer HOST:PORT KEY]...
 */
int
cmd_invite(struct cli *cli, int argc, char **argv)
{
	const char *what = "invite", *exp;
	const char *addrs[MEMBER_MAX_ADDRS];
	struct ops_invite_peer peers[INVITE_MAX_PEERS];
	struct ops_invite_args a;
	struct ops_err e;
	struct ops o;
	char *tok;

	memset(&a, 0, sizeof(a));
	take_addrs(cli, &argc, argv, &a, addrs, peers);
	a.name = cli_opt(&argc, argv, "--name");
	a.center = cli_opt(&argc, argv, "--center");
	a.role = cli_opt(&argc, argv, "--role");
	exp = cli_opt(&argc, argv, "--expires");
	cli_no_more_opts(argc, argv, what);
	if (argc != 1)
		cli_die(EXIT_USAGE, what, OPS_MSG_CLI_INVITE_KEY, 0);
	if (a.name == NULL || a.center == NULL || a.role == NULL)
		cli_die(EXIT_USAGE, what, OPS_MSG_CLI_INVITE_REQUIRED, 0);
	a.key = argv[0];
	a.days = exp != NULL ? parse_days(exp) : OPS_INVITE_DAYS;
	if (ops_invite_check(&a, &e))
		net_fail(cli, what, &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_invite(&o, &a, &tok, &e))
		net_fail(cli, what, &e);
	if (strchr(a.key, ':') == NULL) {
		char msg[512];

		memset(&e, 0, sizeof(e));
		e.key = OPS_MSG_INVITE_NO_KEYS;
		e.tail = OPS_MSG_NONE;
		fprintf(stderr, "hamroh: invite: %s\n", ops_text("en", &e, msg,
		    sizeof(msg)));
	}
	printf("%s\n", tok);
	sodium_free(tok);
	ops_fini(&o);
	return (0);
}

/* The offices to dial, printed after the line that says it joined. */
static int
dial_cb(void *arg, const char *addr, const char *key, bool inviter)
{

	fprintf(arg, "will dial %s (%s, %.16s...)\n", addr, inviter ?
	    "the inviting office" : "an office named in the invite", key);
	return (0);
}

/*
 * join TOKEN
 */
int
cmd_join(struct cli *cli, int argc, char **argv)
{
	const char *what = "join";
	struct ops_join_args a;
	struct ops_joined out;
	struct ops_err e;
	struct ops o;
	char *dials = NULL;
	size_t dlen = 0;
	FILE *df;

	cli_no_more_opts(argc, argv, what);
	if (argc != 1)
		cli_die(EXIT_USAGE, what, OPS_MSG_CLI_JOIN_USAGE, 0);
	a.token = argv[0];
	if (ops_join_check(&a, &e))
		net_fail(cli, what, &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if ((df = open_memstream(&dials, &dlen)) == NULL)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	if (ops_join(&o, &a, dial_cb, df, &out, &e))
		net_fail(cli, what, &e);
	if (fclose(df) != 0)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_NOMEM, 0);
	if (out.succeeded) {
		printf("records logged before joining: %ld written again, "
		    "sealed, under this node's new key %s (the old key's "
		    "changes stay on this node only)\n", out.recommitted,
		    out.key);
		if (out.left > 0)
			printf("%ld consultation%s of another center (%s) "
			    "logged before joining %s not sent: only an admin "
			    "may log another center's, so every node would "
			    "refuse %s; %s in clear in %s, for an admin's node "
			    "to import ('hamroh import consultations FILE')\n",
			    out.left, out.left == 1 ? "" : "s",
			    out.left_centers, out.left == 1 ? "is" : "are",
			    out.left == 1 ? "it" : "them", out.left == 1 ?
			    "it is" : "they are", out.left_path);
		/* PROTOCOL.md, Successors: who knows the new key, when. */
		printf("peers that know only the old key admit the new one by "
		    "the statement its handshake carries; bundle-only offices "
		    "learn it from the first bundle\n");
	}
	printf("joined network %s as %s", out.net, out.role);
	if (out.ndial == 0)
		printf("; no address to dial yet: add one with 'hamroh peer "
		    "add HOST:PORT KEY'");
	printf("\n");
	fputs(dials, stdout);
	free(dials);
	ops_fini(&o);
	return (0);
}

static int
peer_add(struct cli *cli, int argc, char **argv)
{
	const char *what = "peer add";
	struct ops_peer_add_args a;
	struct ops_peer_added out;
	struct ops_err e;
	struct ops o;
	uint8_t key[NODE_KEY_LEN];
	char name[512];

	cli_no_more_opts(argc, argv, what);
	if (argc < 1 || argc > 2)
		cli_die(EXIT_USAGE, what, OPS_MSG_CLI_PEER_ADD_USAGE, 0);
	a.addr = argv[0];
	a.key = argc == 2 ? argv[1] : NULL;
	if (ops_net_addr(a.addr, &e) || (a.key != NULL &&
	    ops_node_key(a.key, key, &e)))
		net_fail(cli, what, &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_peer_add(&o, &a, &out, &e))
		net_fail(cli, what, &e);
	if (out.advertised)
		printf("added peer %s key %s (advertised by member '%s')\n",
		    a.addr, out.key, log_esc(name, sizeof(name), out.name,
		    strlen(out.name), 0));
	else
		printf("added peer %s key %s\n", a.addr, out.key);
	ops_fini(&o);
	return (0);
}

static int
plist_cb(void *arg, const char *addr, const char *key, const char *name)
{
	struct cli *cli = arg;
	char esc[512];

	if (!cli->json) {
		printf("%s %s %s\n", addr, key ? key : "-", name ?
		    log_esc(esc, sizeof(esc), name, strlen(name), 0) : "-");
		return (0);
	}
	printf("{\"addr\":");
	json_put_str(stdout, addr, strlen(addr));
	if (key != NULL)
		printf(",\"key\":\"%s\"", key);
	else
		printf(",\"key\":null");
	printf(",\"name\":");
	if (name != NULL)
		json_put_str(stdout, name, strlen(name));
	else
		printf("null");
	printf("}\n");
	return (0);
}

static int
peer_list(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;
	long n;

	cli_no_more_opts(argc, argv, "peer list");
	if (argc > 0)
		cli_die(EXIT_USAGE, "peer list", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_peer_list(&o, plist_cb, cli, &n, &e))
		net_fail(cli, "peer list", &e);
	if (n == 0 && !cli->json)
		printf("no peers; add one with 'hamroh peer add HOST:PORT "
		    "KEY' or join a network\n");
	ops_fini(&o);
	return (0);
}

static int
peer_rm(struct cli *cli, int argc, char **argv)
{
	struct ops_peer_rm_args a;
	struct ops_err e;
	struct ops o;

	cli_no_more_opts(argc, argv, "peer rm");
	if (argc != 1)
		cli_die(EXIT_USAGE, "peer rm", OPS_MSG_CLI_PEER_RM_USAGE, 0);
	cli_open(cli, false);
	cli_ops(cli, &o);
	a.addr = argv[0];
	if (ops_peer_rm(&o, &a, &e))
		net_fail(cli, "peer rm", &e);
	printf("removed peer %s\n", argv[0]);
	ops_fini(&o);
	return (0);
}

int
cmd_peer(struct cli *cli, int argc, char **argv)
{

	if (argc > 0 && strcmp(argv[0], "add") == 0)
		return (peer_add(cli, argc - 1, argv + 1));
	if (argc > 0 && strcmp(argv[0], "list") == 0)
		return (peer_list(cli, argc - 1, argv + 1));
	if (argc > 0 && strcmp(argv[0], "rm") == 0)
		return (peer_rm(cli, argc - 1, argv + 1));
	cli_die(EXIT_USAGE, "peer", OPS_MSG_CLI_PEER_USAGE, 0);
}

/*
 * key list [--json] | key rotate CENTER
 */
static int
key_rotate(struct cli *cli, const char *center)
{
	struct ops_key_rotate_args a = { center };
	struct ops_key_rotated out;
	struct ops_err e;
	struct ops o;

	if (ops_key_rotate_check(&a, &e))
		net_fail(cli, "key rotate", &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_key_rotate(&o, &a, &out, &e))
		net_fail(cli, "key rotate", &e);
	printf("center %s: key version %u, sealed to %zu node%s\n", center,
	    out.version, out.sent, out.sent == 1 ? "" : "s");
	ops_fini(&o);
	return (0);
}

static int
klist_cb(void *arg, const char *center, const char *id, unsigned version)
{
	struct cli *cli = arg;

	if (cli->json) {
		printf("{\"center\":");
		json_put_str(stdout, center, strlen(center));
		printf(",\"id\":\"%s\",\"version\":%u}\n", id, version);
	} else
		printf("%s  v%-3u %s\n", id, version, center);
	return (0);
}

int
cmd_key(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;

	cli_no_more_opts(argc, argv, "key");
	if (argc == 2 && strcmp(argv[0], "rotate") == 0)
		return (key_rotate(cli, argv[1]));
	if (argc != 1 || strcmp(argv[0], "list") != 0)
		cli_die(EXIT_USAGE, "key", OPS_MSG_CLI_KEY_USAGE, 0);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_key_list(&o, klist_cb, cli, &e))
		net_fail(cli, "key", &e);
	ops_fini(&o);
	return (0);
}

/*
 * revoke NODE_KEY --reason TEXT
 */
int
cmd_revoke(struct cli *cli, int argc, char **argv)
{
	const char *what = "revoke";
	struct ops_revoke_args a;
	struct ops_revoked out;
	struct ops_err e;
	struct ops o;

	a.reason = cli_opt(&argc, argv, "--reason");
	cli_no_more_opts(argc, argv, what);
	if (argc != 1 || a.reason == NULL)
		cli_die(EXIT_USAGE, what, OPS_MSG_CLI_REVOKE_USAGE, 0);
	a.key = argv[0];
	if (ops_revoke_check(&a, &e))
		net_fail(cli, what, &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_revoke(&o, &a, &out, &e))
		net_fail(cli, what, &e);
	printf("revoked %s (%s) on %s, accepting its first %llu changes "
	    "(those this node holds): every node refuses it, and its later "
	    "changes, once this reaches it\n", out.name[0] ? out.name :
	    argv[0], a.reason, out.when, (unsigned long long)out.upto);
	ops_fini(&o);
	return (0);
}

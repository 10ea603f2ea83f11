/*
 * main.c: the hamroh command line.  One table drives dispatch and help.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"

struct cmd {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*usage;
	const char	*help;
};

static const struct cmd cmds[] = {
	{ "init", cmd_init, "init --name NAME [--center CENTER]",
	  "Create a node (key pair and database) in the data dir." },
	{ "id", cmd_id, "id", "Print this node's public key." },
	{ "add", cmd_add, "add COLLECTION field=value...",
	  "Add a record; prints its id." },
	{ "set", cmd_set, "set COLLECTION ID field=value...",
	  "Change fields of a record ('field=' clears one)." },
	{ "rm", cmd_rm, "rm COLLECTION ID", "Delete a record." },
	{ "show", cmd_show, "show COLLECTION ID [--json]",
	  "Show one record." },
	{ "list", cmd_list, "list COLLECTION [field=value...] [--json]",
	  "List live records, filtered by field values." },
	{ "guide", cmd_guide, "guide publish FILE title=T language=L "
	  "[version_label=V] [ID]",
	  "Publish a guide from a Markdown file (with ID: a new version)." },
	{ "import", cmd_import, "import COLLECTION FILE|-",
	  "Import JSON Lines (or CSV: FILE.csv); all or nothing." },
	{ "export", cmd_export, "export [COLLECTION] [--sealed]\n\n"
	  "  --sealed  confidential fields as stored (encrypted), so the\n"
	  "            output is the same on every node whatever keys it "
	  "holds",
	  "Print every live record as JSON Lines in a fixed order." },
	{ "history", cmd_history, "history COLLECTION ID [--json]",
	  "Every change to a record: time, node, field, value." },
	{ "conflicts", cmd_conflicts, "conflicts [--json]",
	  "Fields edited concurrently, with every value." },
	{ "stats", cmd_stats, "stats consultations --by FIELD[,FIELD...] "
	  "[--json]", "Counts grouped by fields ('month' from opened_at)." },
	{ "bundle", cmd_bundle, "bundle export FILE [--since VECTOR_FILE] | "
	  "bundle import FILE",
	  "Carry commits between nodes on a file (USB stick)." },
	{ "network", cmd_network, "network create --name NAME\n\n"
	  "Writes the network key (a secret every member shares) to\n"
	  "DIR/network.key and gives this node an admin certificate for ten\n"
	  "years; admit other nodes with 'hamroh invite'.",
	  "Make a network with this node as its first admin." },
	{ "invite", cmd_invite, "invite NODE_KEY --name NAME --center CENTER\n"
	  "           --role admin|center|office [--expires DAYS]\n"
	  "           [--address HOST:PORT]... [--peer HOST:PORT KEY]...\n\n"
	  "  NODE_KEY          the new node's 'hamroh id'\n"
	  "  --name NAME       what members will call it\n"
	  "  --center CENTER   the center or office it belongs to\n"
	  "  --role ROLE       admin, center or office\n"
	  "  --expires DAYS    how long its certificate lasts (default 365)\n"
	  "  --address H:P     this node's own address, where the new node\n"
	  "                    reaches this (the inviting) node (repeatable;\n"
	  "                    default: the addresses this node publishes);\n"
	  "                    never another member's: use --peer for those\n"
	  "  --peer H:P KEY    another member the new node should dial (its\n"
	  "                    region, say), with that member's 'hamroh id'\n"
	  "                    (repeatable, at most 8)\n\n"
	  "Prints one line, the token for 'hamroh join' on that node.  It\n"
	  "holds the network key: pass it on as you would a password.",
	  "Admins: certify a node; prints the token it joins with." },
	{ "join", cmd_join, "join TOKEN\n\n"
	  "  TOKEN   the line 'hamroh invite' printed on an admin's node for\n"
	  "          this node's key ('hamroh id')",
	  "Join a network: its key, this node's certificate, peers to dial." },
	{ "revoke", cmd_revoke, "revoke NODE_KEY --reason TEXT\n\n"
	  "  NODE_KEY  the node's 'hamroh id' (a lost laptop, a closed office)\n"
	  "  --reason  why, shown wherever it is refused\n\n"
	  "The revocation accepts the node's changes this node holds (up to\n"
	  "their seq) and none after, whatever their stamps; run it again\n"
	  "once more of them reached this node to accept those too.",
	  "Admins: cut a node off; every node refuses it once this reaches "
	  "it." },
	{ "key", cmd_key, "key list [--json]\n"
	  "       hamroh [--data DIR] key rotate CENTER\n\n"
	  "  list      the center keys this node holds: id, version, center\n"
	  "            (never the key itself; that stays in center.keys)\n"
	  "  rotate    admins: a new key version for CENTER, sealed to its\n"
	  "            members and the admins; new writes use it, records\n"
	  "            written before stay readable with the old one",
	  "Keys of the confidential fields (client name, phone, summary)." },
	{ "peer", cmd_peer, "peer add HOST:PORT [NODE_KEY]\n"
	  "       hamroh [--data DIR] peer list [--json]\n"
	  "       hamroh [--data DIR] peer rm HOST:PORT\n\n"
	  "  NODE_KEY  the 'hamroh id' of the node at HOST:PORT; may be left\n"
	  "            out when a member advertises HOST:PORT\n"
	  "  list      prints address, key (or -), member name (or -)",
	  "Addresses the agent dials, with the node key expected there." },
	{ "fork", cmd_fork, "fork list\n"
	  "fork recommit [--branch HASH]\n\n"
	  "  list       each office that signed two histories (a copied data\n"
	  "             dir, a restored backup), and this copy's branch if it\n"
	  "             is this office\n"
	  "  recommit   on the forked office, the copy whose writes are to\n"
	  "             stand: continue under a new key and commit again\n"
	  "             what this copy wrote past the fork\n"
	  "  --branch   the branch's hash (a prefix) as 'fork list' prints\n"
	  "             it: refuse if this copy's branch is another",
	  "Forks: list them; keep one copy's writes under a new key." },
	{ "vector", cmd_vector, "vector [--json]",
	  "Print this node's version vector (for bundle --since)." },
	{ "agent", cmd_agent, "agent [--listen HOST:PORT] [--advertise "
	  "HOST:PORT]...\n"
	  "                                 [--no-compress] [--verbose]\n\n"
	  "  --listen H:P      where to accept peers (port 0 picks one)\n"
	  "  --advertise H:P   where members can reach this node "
	  "(repeatable)\n"
	  "  --no-compress     do not offer zstd: commit batches go "
	  "uncompressed\n"
	  "                    (by default they are compressed whenever "
	  "the peer\n"
	  "                    offers it too, and that makes them smaller)\n"
	  "  --verbose         log every message",
	  "Run the sync daemon in the foreground (default 0.0.0.0:4411; "
	  "port 0 picks one and prints it)." },
	{ "status", cmd_status, "status [--json]",
	  "Node, counts, held commits, forks, clock skew." },
	{ "audit", cmd_audit, "audit [--json]",
	  "Changes refused because their origin had no right to make\n"
	  "them: who, which commit, which record, why.  They stay in the\n"
	  "log and are relayed, but no node applies them." },
	{ "verify", cmd_verify, "verify",
	  "Check signatures, hash chains and tables against the log." },
	{ "rebuild", cmd_rebuild, "rebuild",
	  "Re-materialize every collection from the log." },
	{ "backup", cmd_backup, "backup FILE",
	  "Consistent copy of the database (without the key files: a\n"
	  "restore needs node.key, network.key and center.keys)." },
	{ "restore", cmd_restore, "restore BACKUP\n\n"
	  "  BACKUP  a file 'hamroh backup' wrote\n\n"
	  "Into --data DIR holding only the node's key files (node.key,\n"
	  "network.key, center.keys).  The restored node continues under a\n"
	  "new key, the successor of the old one, so it never forks the\n"
	  "old node's history and needs no admin; what the old node wrote\n"
	  "after the backup still counts and reaches it.",
	  "A working node from a backup and its key files." },
	{ NULL, NULL, NULL, NULL }
};

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: hamroh [--data DIR] COMMAND [ARGS]\n"
	    "\n"
	    "records:  add set rm show list history conflicts stats\n"
	    "          import export  guide publish\n"
	    "sync:     agent (the daemon)  status  peer  vector\n"
	    "          bundle export/import (sync by file, e.g. a USB stick)\n"
	    "network:  network create  invite  join  revoke  key  audit\n"
	    "node:     init  id  verify  rebuild  backup  restore\n"
	    "\n"
	    "A first node:  hamroh init --name NAME --center CENTER\n"
	    "Listings take --json (JSON Lines).  DIR defaults to "
	    "$HAMROH_DATA,\nelse ~/.local/share/hamroh.  "
	    "'hamroh COMMAND --help' shows one command.\n");
}

static void
cmd_usage(const struct cmd *c)
{
	const struct coll_def *cd;
	const struct field_def *f;

	printf("usage: hamroh [--data DIR] %s\n\n%s\n", c->usage, c->help);
	if (strcmp(c->name, "add") && strcmp(c->name, "set") &&
	    strcmp(c->name, "list") && strcmp(c->name, "import"))
		return;
	printf("\nFields:\n");
	for (cd = schema_colls; cd->name != NULL; cd++) {
		printf("  %s:", cd->name);
		for (f = cd->fields; f->name != NULL; f++)
			printf(" %s", f->name);
		printf("\n");
	}
}

int
main(int argc, char **argv)
{
	static char dflt[4096];
	struct cli cli;
	const struct cmd *c;
	const char *home;
	int rc;

	/* Consultations are personal data: nothing we create is shared. */
	umask(077);
	if (sodium_init() < 0)
		cli_fail(EXIT_USAGE, "libsodium failed to initialize");
	memset(&cli, 0, sizeof(cli));
	argc--;
	argv++;
	cli.dir = cli_opt(&argc, argv, "--data");
	cli.json = cli_flag(&argc, argv, "--json");
	if (cli.dir == NULL)
		cli.dir = getenv("HAMROH_DATA");
	if (cli.dir == NULL || *cli.dir == '\0') {
		if ((home = getenv("HOME")) == NULL)
			cli_fail(EXIT_USAGE, "HOME is not set; give --data "
			    "DIR");
		snprintf(dflt, sizeof(dflt), "%s/.local/share/hamroh", home);
		cli.dir = dflt;
	}
	if (argc == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
		usage(argc == 0 ? stderr : stdout);
		return (argc == 0 ? EXIT_USAGE : 0);
	}
	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, argv[0]) == 0)
			break;
	if (c->name == NULL) {
		if (argv[0][0] == '-')
			cli_fail(EXIT_USAGE, "unknown option '%.40s'; see "
			    "'hamroh --help'", argv[0]);
		cli_fail(EXIT_USAGE, "unknown command '%.40s'; see "
		    "'hamroh --help'", argv[0]);
	}
	if (cli_flag(&argc, argv, "--help") || cli_flag(&argc, argv, "-h")) {
		cmd_usage(c);
		return (0);
	}
	rc = c->fn(&cli, argc - 1, argv + 1);
	cli_close(&cli);
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_fail(EXIT_REFUSED, "writing output failed");
	return (rc);
}

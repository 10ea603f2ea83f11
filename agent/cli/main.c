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
#include "agent/cli/help.h"

#ifndef HAMROH_VERSION
#define HAMROH_VERSION	"unknown"	/* Built without the Makefile. */
#endif

static int cmd_help(struct cli *, int, char **);

/*
 * Every command, in the words of the people who run the offices: help.c
 * makes all the help, the man page and the completion from these rows.
 * A row's options are exactly those its command takes (--data and --json
 * are everyone's; --json is listed where it changes the output).
 */
#define JSON	{ "--json", NULL, "print JSON Lines: one object per " \
		  "line, keys sorted", 0 }

static const struct cmd cmds[] = {
	/* Records. */
	{ .name = "add", .fn = cmd_add, .group = CG_RECORDS,
	  .args = "COLLECTION field=value...",
	  .summary = "Add a record to a collection; prints its id.",
	  .desc = "Each field=value sets one field (the fields are listed "
	  "below).  A consultation names its center: an office logs "
	  "consultations of its own center, an admin's node of any; guides, "
	  "the directory and the members are the admins'.  The change is "
	  "signed with this office's key and reaches the other offices "
	  "when they are next in sync.  A consultation gets a case number "
	  "(KHJ-26-10-0042-2; on a terminal, and with --json) to use as its "
	  "id.",
	  .fields = true },
	{ .name = "set", .fn = cmd_set, .group = CG_RECORDS,
	  .args = "COLLECTION ID field=value...",
	  .summary = "Change fields of a record; 'field=' clears one.",
	  .desc = "ID is what 'hamroh add' printed (or 'hamroh list' shows). "
	  "If another office changed the same field without having seen "
	  "this change, both values are kept and 'hamroh conflicts' lists "
	  "them: nothing is silently overwritten.",
	  .fields = true },
	{ .name = "rm", .fn = cmd_rm, .group = CG_RECORDS,
	  .args = "COLLECTION ID",
	  .summary = "Delete a record.",
	  .desc = "The deletion is a change like any other: signed, kept in "
	  "the record's history, and passed on to the other offices." },
	{ .name = "show", .fn = cmd_show, .group = CG_RECORDS,
	  .args = "COLLECTION ID",
	  .summary = "Show one record, field by field.",
	  .opts = { JSON } },
	{ .name = "list", .fn = cmd_list, .group = CG_RECORDS,
	  .args = "COLLECTION [field=value...]",
	  .summary = "List the records of a collection, filtered by field "
	  "values.",
	  .desc = "Each field=value keeps only the records with that value.  "
	  "Consultations come newest first; 'person=CASE' lists every "
	  "consultation of the client that case number names.  'hamroh "
	  "list directory' flags the numbers nobody verified in 180 days.",
	  .opts = { JSON }, .fields = true },
	{ .name = "history", .fn = cmd_history, .group = CG_RECORDS,
	  .args = "COLLECTION ID",
	  .summary = "Every change to a record: time, who, field, value.",
	  .desc = "Who made each change: the staff account its signed "
	  "commit names and the center of the office that made it (USER, "
	  "CENTER center), or 'node only (OFFICE, CENTER center)' for a "
	  "change no user made, as every change from before users.",
	  .opts = { JSON } },
	{ .name = "conflicts", .fn = cmd_conflicts, .group = CG_RECORDS,
	  .summary = "Fields two offices changed without seeing each "
	  "other's edit.",
	  .desc = "Every value is kept and shown with the office that wrote "
	  "it and when.  To settle one, 'hamroh set' the value that is to "
	  "stand: a change made after seeing the others wins.",
	  .opts = { JSON } },
	{ .name = "stats", .fn = cmd_stats, .group = CG_RECORDS,
	  .args = "COLLECTION",
	  .summary = "Count records grouped by fields, for reports.",
	  .desc = "For example 'hamroh stats consultations --by "
	  "month,destination'; 'month' is the month of opened_at.  "
	  "Consultations are counted as 'hamroh report --by' counts them, "
	  "one group a line: counts 1-4 print <5, and x what would give "
	  "one away.",
	  .opts = {
		{ "--by", "FIELD[,FIELD...]", "the fields to group by",
		  CO_REQUIRED },
		{ "--all", NULL, "count the consultations whose client did "
		  "not consent to statistics too (consent_stats=no; left out "
		  "by default)", 0 },
		{ "--no-suppress", NULL, "admins only: exact small counts, "
		  "recorded in 'hamroh audit'", 0 },
		JSON } },
	{ .name = "report", .fn = cmd_report, .group = CG_RECORDS,
	  .args = "[NAME] [field=value...]",
	  .summary = "Counts of consultations or persons for a ministry or "
	  "a donor, small cells suppressed.",
	  .desc = "NAME is a named report ('hamroh report --list'), or "
	  "group with --by (up to 3: rows, columns, layers) by any clear "
	  "field or by month, quarter, year (of the --on date), age_band, "
	  "region or referred_kind.  Each field=value keeps the "
	  "consultations with that value (several of one field: any of "
	  "them; region=R: its centers).  Cells of 1 to 4 print as <5 and "
	  "cells marked x are hidden so they cannot be worked out from the "
	  "totals; consultations whose client did not consent to "
	  "statistics are left out.  Under the table: the filters, the "
	  "period, what was counted, the rule, and as of when each "
	  "center's figures are.",
	  .opts = {
		{ "--by", "FIELD[,FIELD...]", "the groupings: rows, columns, "
		  "layers", 0 },
		{ "--from", "DATE", "the period's first day (YYYY-MM-DD)", 0 },
		{ "--to", "DATE", "the period's last day (YYYY-MM-DD)", 0 },
		{ "--on", "opened_at|closed_on", "the date the period and "
		  "month, quarter and year are of (default opened_at)", 0 },
		{ "--count", "consultations|persons", "what to count: "
		  "persons counts each client once (default consultations)",
		  0 },
		{ "--no-suppress", NULL, "admins only: exact small cells, "
		  "recorded in 'hamroh audit'", 0 },
		{ "--list", NULL, "the named reports, one a line", 0 },
		{ "--json", NULL, "print one JSON object: dims, counts (null "
		  "where hidden), marks, total, notes", 0 },
		{ "--csv", NULL, "print it as CSV (UTF-8 with a BOM, for "
		  "Excel): title, filters, the table, the notes", 0 },
		{ "--csv-sep", "SEP", "the CSV's separator: ',' (default) or "
		  "';' (Excel in a Russian locale)", 0 },
		{ "--xlsx", "FILE", "write it to FILE as an Excel workbook, "
		  "counts as numbers", 0 } } },
	{ .name = "import", .fn = cmd_import, .group = CG_RECORDS,
	  .args = "COLLECTION FILE|-",
	  .summary = "Add records from a JSON Lines or CSV file ('-': "
	  "stdin).",
	  .desc = "All or nothing: if one line is refused, the error names "
	  "it and nothing is imported.  The fields are those 'hamroh "
	  "export' prints (listed below).",
	  .fields = true },
	{ .name = "export", .fn = cmd_export, .group = CG_RECORDS,
	  .args = "[COLLECTION]",
	  .summary = "Print every record as JSON Lines, by collection and "
	  "id.",
	  .desc = "Two offices that are in sync print the same bytes.",
	  .opts = {
		{ "--sealed", NULL, "confidential fields as stored (sealed), "
		  "so the output is the same on every office whatever keys "
		  "it holds", 0 },
		{ "--csv", NULL, "one COLLECTION as CSV (UTF-8 with a BOM, "
		  "for Excel; 'hamroh import' reads it back); confidential "
		  "fields only for a signed-in lawyer or admin", 0 },
		{ "--csv-sep", "SEP", "the CSV's separator: ',' (default) or "
		  "';' (Excel in a Russian locale)", 0 } } },
	{ .name = "search", .fn = cmd_search, .group = CG_RECORDS,
	  .args = "TEXT",
	  .summary = "Find consultations by client name, phone, case number "
	  "or words of the summary.",
	  .desc = "Names match any word and its beginning, whatever the case, "
	  "with the Tajik letters read as their Russian neighbours (a name "
	  "typed on a Russian keyboard finds its Tajik spelling); a phone "
	  "matches on its last 9 digits in any notation (+992 92 555 12 34, "
	  "92-555-12-34, 925551234).  Every word must match.  Only "
	  "consultations of the centers whose key this office holds are "
	  "searched; newest first, at most 50.  The index is built for the "
	  "call, in memory only, and wiped after.",
	  .opts = { JSON } },
	{ .name = "guide", .sub = "publish", .fn = cmd_guide,
	  .group = CG_RECORDS,
	  .args = "FILE title=TITLE language=LANG [version_label=V] [ID]",
	  .summary = "Admins: publish a pocket guide from a Markdown file.",
	  .desc = "FILE holds the guide's text (at most 1 MiB).  With ID, "
	  "a new version of that guide: title and language may then be "
	  "left out." },

	/* Sync. */
	{ .name = "agent", .fn = cmd_agent, .group = CG_SYNC,
	  .summary = "Run the agent that syncs this office with the "
	  "others.",
	  .desc = "In the foreground, it finds the other offices and "
	  "exchanges the changes each side lacks.  It listens on "
	  "0.0.0.0:4411 unless told otherwise, dials the addresses 'hamroh "
	  "peer list' shows and those members advertise, and runs until "
	  "stopped (Ctrl-C, SIGTERM); the hamroh.service unit runs it at "
	  "boot.  Each sync's last log line says how much it sent.  It "
	  "serves the office web UI too ('hamroh ui'; beyond loopback its "
	  "link is not encrypted).",
	  .opts = {
		{ "--listen", "HOST:PORT", "where to accept other offices "
		  "(port 0 picks a free one and prints it)", 0 },
		{ "--advertise", "HOST:PORT", "where members can reach this "
		  "office", CO_REPEAT },
		{ "--no-compress", NULL, "do not offer zstd: changes go "
		  "uncompressed", 0 },
		{ "--ui-listen", "HOST:PORT", "where to serve the web UI "
		  "(default 127.0.0.1:4412)", 0 },
		{ "--no-ui", NULL, "serve no web UI", 0 },
		{ "--verbose", NULL, "log every message", 0 } } },
	/* The office web UI (agent/cli/cmd_ui.c, agent/ui/). */
	{ .name = "ui", .fn = cmd_ui, .group = CG_SYNC,
	  .summary = "Open the office web UI that the running agent serves, "
	  "signed in.",
	  .desc = "Asks the passphrase of --user NAME (or reads it from "
	  "--passphrase-fd), has the agent check it, and prints the address "
	  "that signs that user in once, within a minute; where a desktop "
	  "runs, it opens it in the browser too.  Start 'hamroh agent' "
	  "first.  Without it, the page at the agent's address "
	  "(http://127.0.0.1:4412/ unless --ui-listen says otherwise) asks "
	  "for user and passphrase." },
	{ .name = "status", .fn = cmd_status, .group = CG_SYNC,
	  .summary = "This office at a glance, and every office it syncs "
	  "with.",
	  .desc = "Whether this office's own agent is running, and since "
	  "when; how many changes made here no other office has "
	  "acknowledged yet.  For each other office: whether this agent is "
	  "connected to its agent, how old that line is, and 'in sync' only "
	  "once it acknowledged every change; members whose membership "
	  "ended are listed apart.  Also the counts, conflicts, changes "
	  "held back, offices that wrote two histories, refusals, clocks "
	  "that are off, and when this office's certificate expires.",
	  .opts = { JSON } },
	{ .name = "peer", .sub = "add", .fn = cmd_peer, .group = CG_SYNC,
	  .args = "HOST:PORT [NODE_KEY]",
	  .summary = "Add an address for the agent to dial.",
	  .desc = "NODE_KEY is the 'hamroh id' of the office at HOST:PORT, "
	  "the key expected there; it may be left out when a member "
	  "advertises HOST:PORT." },
	{ .name = "peer", .sub = "list", .fn = cmd_peer, .group = CG_SYNC,
	  .summary = "The addresses the agent dials, with key and member "
	  "name.",
	  .desc = "A key or name that is not known shows as -.",
	  .opts = { JSON } },
	{ .name = "peer", .sub = "rm", .fn = cmd_peer, .group = CG_SYNC,
	  .args = "HOST:PORT",
	  .summary = "Stop dialing an address." },
	{ .name = "vector", .fn = cmd_vector, .group = CG_SYNC,
	  .summary = "What this office holds from each office (for bundle "
	  "--since).",
	  .desc = "Save it to a file on the office that will receive a "
	  "bundle and carry that file to the office that makes it: the "
	  "bundle then holds only what the receiver lacks.",
	  .opts = { JSON } },
	{ .name = "bundle", .sub = "export", .fn = cmd_bundle,
	  .group = CG_SYNC,
	  .args = "FILE",
	  .summary = "Write the changes another office lacks to a file (USB "
	  "stick).",
	  .desc = "Where there is no link, carry the file to the other "
	  "office and run 'hamroh bundle import' there.  Without --since, "
	  "every change this office holds.",
	  .opts = {
		{ "--since", "VECTOR_FILE", "only what the office that "
		  "printed VECTOR_FILE with 'hamroh vector' lacks", 0 } } },
	{ .name = "bundle", .sub = "import", .fn = cmd_bundle,
	  .group = CG_SYNC,
	  .args = "FILE",
	  .summary = "Take in the changes a bundle file carries.",
	  .desc = "A damaged bundle is refused whole." },

	/* Network. */
	{ .name = "network", .sub = "create", .fn = cmd_network,
	  .group = CG_NETWORK,
	  .summary = "Make a network of offices with this node its first "
	  "admin.",
	  .desc = "Run it once, on the coordinating office.  It writes the "
	  "network key (a secret every member shares) to DIR/network.key "
	  "and gives this node an admin certificate for ten years; admit "
	  "the other offices with 'hamroh invite'.  Consultations logged "
	  "before are written again with the confidential fields sealed, "
	  "under a new key: 'hamroh id' then prints it.",
	  .opts = {
		{ "--name", "NAME", "the network's name", CO_REQUIRED } } },
	{ .name = "invite", .fn = cmd_invite, .group = CG_NETWORK,
	  .args = "NODE_KEY:DATA_KEY",
	  .summary = "Admins: admit an office; prints the token it joins "
	  "with.",
	  .desc = "NODE_KEY:DATA_KEY is what 'hamroh id --invite' prints on "
	  "the new office; the center keys in the token are sealed to its "
	  "data key, so its node.key alone opens none.  "
	  "The token holds the network key: pass it on as you would a "
	  "password.",
	  .opts = {
		{ "--name", "NAME", "what the other offices will call it",
		  CO_REQUIRED },
		{ "--center", "CENTER", "the center it belongs to",
		  CO_REQUIRED },
		{ "--role", "admin|center|office", "what it may do",
		  CO_REQUIRED },
		{ "--expires", "DAYS", "how long its certificate lasts "
		  "(default 365)", 0 },
		{ "--address", "HOST:PORT", "this (the inviting) office's own "
		  "address, where the new office reaches it; default: the "
		  "addresses this office advertises; never another member's: "
		  "use --peer for those", CO_REPEAT },
		{ "--peer", "HOST:PORT KEY", "another member the new office "
		  "should dial (its region, say), with that member's 'hamroh "
		  "id'; at most 8", CO_REPEAT } } },
	{ .name = "join", .fn = cmd_join, .group = CG_NETWORK,
	  .args = "TOKEN",
	  .summary = "Join a network with the invite an admin made for this "
	  "office.",
	  .desc = "TOKEN is the line 'hamroh invite' printed on the admin's "
	  "node for this office's 'hamroh id'; then run 'hamroh agent'.  "
	  "Consultations logged before are written again with the "
	  "confidential fields sealed, under a new key ('hamroh id' then "
	  "prints it); those logged for another center are left in "
	  "DIR/other-centers.jsonl for an admin to 'hamroh import'." },
	{ .name = "revoke", .fn = cmd_revoke, .group = CG_NETWORK,
	  .args = "NODE_KEY",
	  .summary = "Admins: cut an office off (a lost laptop, a closed "
	  "office).",
	  .desc = "Once this reaches them, the other offices refuse its "
	  "connections and the changes it made after the last one this "
	  "office holds; run it again later to accept those that reached "
	  "this office since.",
	  .opts = {
		{ "--reason", "TEXT", "why, shown wherever it is refused",
		  CO_REQUIRED } } },
	{ .name = "key", .sub = "list", .fn = cmd_key, .group = CG_NETWORK,
	  .summary = "The center keys this office holds (not the keys "
	  "themselves).",
	  .desc = "Each with its id, version and center.  Center keys open "
	  "the confidential fields: client name, phone, summary.",
	  .opts = { JSON } },
	{ .name = "key", .sub = "rotate", .fn = cmd_key, .group = CG_NETWORK,
	  .args = "CENTER",
	  .summary = "Admins: a new version of CENTER's key, e.g. after a "
	  "revoke.",
	  .desc = "It is sealed to the center's members and the admins; new "
	  "changes use it, and records written before stay readable with "
	  "the old one." },
	{ .name = "audit", .fn = cmd_audit, .group = CG_NETWORK,
	  .summary = "Changes refused: their office had no right to make "
	  "them.",
	  .desc = "For each: who (as 'history' shows it), which change, "
	  "which record, why.  They "
	  "stay in the log and are passed on, but no office "
	  "applies them.",
	  .opts = { JSON } },

	/* Centers, case numbers and who viewed them (cmd_cases.c). */
	{ .name = "center", .sub = "add", .fn = cmd_center,
	  .group = CG_NETWORK,
	  .args = "CODE NAME",
	  .summary = "Admins: add a center to the list consultations and "
	  "invites name.",
	  .desc = "CODE is a short name without spaces (KHJ, Khujand): "
	  "center=CODE on a consultation and --center CODE on an invite "
	  "must name a center of this list, so a typo is refused.  Its "
	  "prefix (3 capital letters, unique) starts its case numbers, "
	  "e.g. KHJ-26-10-0042-2.  The list reaches the other offices as "
	  "the directory does.",
	  .opts = {
		{ "--prefix", "XYZ", "the case-number prefix (default: made "
		  "from CODE's letters)", 0 },
		{ "--region", "REGION", "the region it serves", 0 },
		{ "--name-tg", "NAME", "its name in Tajik", 0 },
		{ "--name-ru", "NAME", "its name in Russian", 0 } } },
	{ .name = "center", .sub = "list", .fn = cmd_center,
	  .group = CG_NETWORK,
	  .summary = "The centers this office knows, with their prefixes.",
	  .opts = { JSON } },
	{ .name = "access-log", .fn = cmd_access_log, .group = CG_NODE,
	  .summary = "Who viewed which case on this office, and when.",
	  .desc = "Kept on this office only, never sent: every show, "
	  "history, list and export that revealed consultations' "
	  "confidential fields, newest first, with the staff account (or "
	  "'node only').",
	  .opts = { JSON } },

	/* This node. */
	{ .name = "init", .fn = cmd_init, .group = CG_NODE,
	  .summary = "Make a node in the data dir: a key pair and a "
	  "database.",
	  .desc = "The secret key goes to DIR/node.key (mode 0600): keep a "
	  "copy somewhere safe, a restore needs it.",
	  .opts = {
		{ "--name", "NAME", "how the other offices will see this "
		  "node", CO_REQUIRED },
		{ "--center", "CENTER", "the center it logs consultations "
		  "for", 0 },
		{ "--user", "NAME", "the node's first user, an admin (asks "
		  "a passphrase, prints a one-time recovery code)", 0 } } },
	{ .name = "id", .fn = cmd_id, .group = CG_NODE,
	  .summary = "Print this office's public key (peer add needs it; "
	  "--invite: what an admin's invite needs).",
	  .desc = "With --invite, NODE_KEY:DATA_KEY: the invite seals the "
	  "center keys to the data key, which only this office's users' "
	  "passphrases open, so node.key and the token together open none.",
	  .opts = {
		{ "--invite", NULL, "print NODE_KEY:DATA_KEY for 'hamroh "
		  "invite'", 0 } } },
	{ .name = "verify", .fn = cmd_verify, .group = CG_NODE,
	  .summary = "Check every change's signature and order, and the "
	  "tables." },
	{ .name = "rebuild", .fn = cmd_rebuild, .group = CG_NODE,
	  .summary = "Derive the tables again from the log of changes." },
	{ .name = "backup", .fn = cmd_backup, .group = CG_NODE,
	  .args = "FILE",
	  .summary = "Write a consistent copy of the database to FILE.",
	  .desc = "It holds no key file; it says which ones a restore needs "
	  "(node.key, network.key, center.keys): keep copies of those "
	  "apart, and safe." },
	{ .name = "restore", .fn = cmd_restore, .group = CG_NODE,
	  .args = "BACKUP",
	  .summary = "A working node from a backup and its key files.",
	  .desc = "BACKUP is a file 'hamroh backup' wrote; --data DIR holds "
	  "only the node's key files (node.key, network.key, center.keys).  "
	  "The restored node continues under a new key, so it never splits "
	  "the old node's history in two and needs no admin; what the old "
	  "node wrote after the backup still counts and reaches it." },
	{ .name = "fork", .sub = "list", .fn = cmd_fork, .group = CG_NODE,
	  .summary = "Offices that wrote two histories (a copied dir, a "
	  "backup).",
	  .desc = "If this office is one of them, also which branch this "
	  "copy is on." },
	{ .name = "fork", .sub = "recommit", .fn = cmd_fork,
	  .group = CG_NODE,
	  .summary = "Keep this copy's writes after a fork, under a new key.",
	  .desc = "Run it on the copy of the forked office whose writes are "
	  "to stand ('hamroh fork list'): it continues under a new key and "
	  "writes again what this copy wrote past the fork.",
	  .opts = {
		{ "--branch", "HASH", "the branch as 'fork list' prints it "
		  "(a prefix): refuse if this copy's is another", 0 } } },

	/* Staff accounts (agent/cli/cmd_users.c). */
	{ .name = "user", .sub = "add", .fn = cmd_user, .group = CG_NODE,
	  .args = "NAME",
	  .summary = "Admins: a staff account on this node; asks its "
	  "passphrase.",
	  .desc = "A lawyer reads and writes the consultations, the guides "
	  "and the directory; a statistician only counts ('hamroh stats'); "
	  "an admin also manages the users and the network.  The first "
	  "user of a node without any is an admin and needs nobody signed "
	  "in: it prints the recovery code.  The acting admin's passphrase "
	  "is read first, then the new user's.",
	  .opts = {
		{ "--role", "lawyer|statistician|admin", "what the user may "
		  "do", CO_REQUIRED } } },
	{ .name = "user", .sub = "list", .fn = cmd_user, .group = CG_NODE,
	  .summary = "The staff accounts of this node, with their roles.",
	  .opts = { JSON } },
	{ .name = "user", .sub = "passwd", .fn = cmd_user, .group = CG_NODE,
	  .args = "NAME",
	  .summary = "A new passphrase: one's own, or an admin's for anyone.",
	  .desc = "The acting user's passphrase (or the recovery code) is "
	  "read first, then the new one.",
	  .opts = {
		{ "--recovery", NULL, "sign in with the recovery code 'hamroh "
		  "init' printed, to reset a forgotten admin passphrase", 0 } } },
	{ .name = "user", .sub = "rm", .fn = cmd_user, .group = CG_NODE,
	  .args = "NAME",
	  .summary = "Admins: remove a staff account (never the last "
	  "admin).",
	  .desc = "Its passphrase no longer opens the data key; run 'hamroh "
	  "user rekey' after, so that no copy of the account opens what is "
	  "kept from then on." },
	{ .name = "user", .sub = "rekey", .fn = cmd_user, .group = CG_NODE,
	  .summary = "Admins: a new data key, sealed to every remaining "
	  "user.",
	  .desc = "The center keys in DIR/center.keys are sealed to it anew; "
	  "the recovery code stays the same." },

	/* Help. */
	{ .name = "help", .fn = cmd_help, .group = CG_HELP,
	  .args = "[COMMAND [SUBCOMMAND]]",
	  .summary = "How to use hamroh, or one command.",
	  .desc = "Alone, every command with what it does.",
	  .opts = {
		{ "--man", NULL, "print the manual page hamroh(1), for "
		  "'man -l -'", 0 },
		{ "--completion", "bash", "print the bash completion script",
		  0 } } },
	{ .name = NULL }
};

static int
cmd_help(struct cli *cli, int argc, char **argv)
{

	(void)cli;
	return (help_main(cmds, argc, argv));
}

int
main(int argc, char **argv)
{
	static char dflt[4096];
	struct cli cli;
	const struct cmd *c, *row;
	const char *home, *pfd;
	char cut[48];
	bool help;
	int rc;

	/* Consultations are personal data: nothing we create is shared. */
	umask(077);
	if (sodium_init() < 0)
		cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_SODIUM, 0);
	memset(&cli, 0, sizeof(cli));
	argc--;
	argv++;
	cli.dir = cli_opt(&argc, argv, "--data");
	cli.json = cli_flag(&argc, argv, "--json");
	cli.verbose = cli_flag(&argc, argv, "--verbose");
	/* Who acts: the passphrase never comes from argv or environment. */
	cli.user = cli_opt(&argc, argv, "--user");
	if (cli.user == NULL && (cli.user = getenv("HAMROH_USER")) != NULL &&
	    *cli.user == '\0')
		cli.user = NULL;
	cli.pass_fd = -1;
	if ((pfd = cli_opt(&argc, argv, "--passphrase-fd")) != NULL) {
		char *end;
		long n = strtol(pfd, &end, 10);

		if (*pfd == '\0' || *end != '\0' || n < 0 || n > 1023)
			cli_fail(EXIT_USAGE, "--passphrase-fd %.40s: give an "
			    "open file descriptor's number (0 to 1023)", pfd);
		cli.pass_fd = (int)n;
	}
	if (argc == 0) {
		help_usage(stderr, cmds);
		return (EXIT_USAGE);
	}
	/* The Makefile gives it, from the file VERSION. */
	if (strcmp(argv[0], "--version") == 0 && argc == 1) {
		printf("hamroh %s\n", HAMROH_VERSION);
		return (0);
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		help_usage(stdout, cmds);
		return (0);
	}
	/* Before the command looks at its arguments: they may be missing. */
	help = cli_flag(&argc, argv, "--help");
	help |= cli_flag(&argc, argv, "-h");
	if ((c = help_find(cmds, argc, argv, &row)) == NULL) {
		if (argv[0][0] == '-')
			cli_die(EXIT_USAGE, NULL,
			    OPS_MSG_CLI_GLOBAL_OPT_UNKNOWN, 1,
			    cli_cut(cut, sizeof(cut), argv[0], 40));
		help_unknown(cmds, argv[0]);
	}
	if (help) {
		help_cmd_args(cmds, c, row, argc, argv);
		rc = 0;
		goto out;
	}
	if (cli.dir == NULL)
		cli.dir = getenv("HAMROH_DATA");
	if (cli.dir == NULL || *cli.dir == '\0') {
		if ((home = getenv("HOME")) == NULL)
			cli_die(EXIT_USAGE, NULL, OPS_MSG_CLI_NO_HOME, 0);
		snprintf(dflt, sizeof(dflt), "%s/.local/share/hamroh", home);
		cli.dir = dflt;
	}
	rc = c->fn(&cli, argc - 1, argv + 1);
	cli_close(&cli);
out:
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_die(EXIT_REFUSED, NULL, OPS_MSG_CLI_OUTPUT, 0);
	return (rc);
}

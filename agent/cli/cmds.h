#ifndef AGENT_CMDS_H
#define AGENT_CMDS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"

struct cli;

/* Each command gets the arguments after its name, global options removed. */
int cmd_init(struct cli *, int, char **);
int cmd_id(struct cli *, int, char **);
int cmd_status(struct cli *, int, char **);
int cmd_audit(struct cli *, int, char **);
int cmd_verify(struct cli *, int, char **);
int cmd_rebuild(struct cli *, int, char **);
int cmd_backup(struct cli *, int, char **);
int cmd_restore(struct cli *, int, char **);
int cmd_vector(struct cli *, int, char **);
int cmd_add(struct cli *, int, char **);
int cmd_set(struct cli *, int, char **);
int cmd_rm(struct cli *, int, char **);
int cmd_show(struct cli *, int, char **);
int cmd_list(struct cli *, int, char **);
int cmd_export(struct cli *, int, char **);
int cmd_history(struct cli *, int, char **);
int cmd_conflicts(struct cli *, int, char **);
int cmd_stats(struct cli *, int, char **);
int cmd_report(struct cli *, int, char **);
int cmd_guide(struct cli *, int, char **);
int cmd_import(struct cli *, int, char **);
int cmd_bundle(struct cli *, int, char **);
int cmd_network(struct cli *, int, char **);
int cmd_invite(struct cli *, int, char **);
int cmd_join(struct cli *, int, char **);
int cmd_peer(struct cli *, int, char **);
int cmd_key(struct cli *, int, char **);
int cmd_revoke(struct cli *, int, char **);
int cmd_agent(struct cli *, int, char **);
int cmd_fork(struct cli *, int, char **);
int cmd_search(struct cli *, int, char **);
int cmd_user(struct cli *, int, char **);
int cmd_ui(struct cli *, int, char **);
/* init --user: make the node's first user (cmd_users.c). */
int cli_init_user(struct cli *, const char *, size_t);
int cmd_center(struct cli *, int, char **);
int cmd_access_log(struct cli *, int, char **);

/*
 * The command table, main.c's cmds[]: one row per command, or per
 * subcommand ("peer add", "peer list"...; those rows share their command's
 * function, which dispatches on the subcommand itself).  help.c makes every
 * listing, each command's --help, the man page and the shell completion
 * from it, so a row lists exactly the options its command accepts.
 */
#define CMD_MAX_OPTS	12	/* report's. */

enum cmd_group {
	CG_RECORDS,		/* Consultations, guides, the directory. */
	CG_SYNC,		/* Exchanging changes with other offices. */
	CG_NETWORK,		/* Members, invites, keys. */
	CG_NODE,		/* This node: setting up, checking, backups. */
	CG_HELP,
	CG_N
};

#define CO_REQUIRED	1	/* The command refuses to run without it. */
#define CO_REPEAT	2	/* May be given more than once. */

/*
 * An option: its name ("--since"; NULL ends the list), its value's name
 * ("FILE"; lower case: the words it may be, "a|b"; NULL for a flag), one
 * line on what it does (lower case, no period), CO_* flags.
 */
struct cmd_opt {
	const char	*name;
	const char	*arg;
	const char	*text;
	unsigned	flags;
};

/*
 * A row: command (NULL ends the table), subcommand or NULL, the function,
 * its group, the arguments before the options ("COLLECTION ID"), one
 * sentence on what it does, a paragraph more or NULL ('\n' starts
 * another), its options, whether its help lists the collections' fields.
 */
struct cmd {
	const char	*name;
	const char	*sub;
	int		(*fn)(struct cli *, int, char **);
	enum cmd_group	group;
	const char	*args;
	const char	*summary;
	const char	*desc;
	struct cmd_opt	opts[CMD_MAX_OPTS];
	bool		fields;
};

#endif /* !AGENT_CMDS_H */

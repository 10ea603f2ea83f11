#ifndef AGENT_HELP_H
#define AGENT_HELP_H

#include <stdio.h>

#include "agent/cli/cmds.h"

/*
 * Everything a reader is told about the commands, made from the command
 * table (cmds.h).  The table is passed in: main.c owns it, and this file
 * links into the unit tests and tools without main.c.
 */

/* The short overview ("hamroh --help", or on ${f} = stderr a bare "hamroh"). */
void help_usage(FILE *, const struct cmd *);

/**
 * help_find(tab, argc, argv, row):
 * The first row of command ${argv}[0], or NULL; in ${row} the row of its
 * subcommand ${argv}[1] if it names one, else NULL.
 */
const struct cmd *help_find(const struct cmd *, int, char **,
    const struct cmd **);

/*
 * One command on stdout: ${row} (a help_find() result) if not NULL, else
 * the command whose first row is ${c}.
 */
void help_cmd(const struct cmd *, const struct cmd *, const struct cmd *);

/*
 * The same for the command line ${argv}: "add COLLECTION --help" (a row
 * taking field=value) lists each field of COLLECTION with its values.
 */
void help_cmd_args(const struct cmd *, const struct cmd *,
    const struct cmd *, int, char **);

/* Fail (usage error) on unknown command ${name}, naming the nearest one. */
void help_unknown(const struct cmd *, const char *)
    __attribute__((noreturn));

/**
 * help_main(tab, argc, argv):
 * "hamroh help [COMMAND [SUB]] | --man | --completion bash", with the
 * arguments after "help": print it and return the exit code.
 */
int help_main(const struct cmd *, int, char **);

#endif /* !AGENT_HELP_H */

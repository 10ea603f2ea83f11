#ifndef AGENT_CLI_H
#define AGENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/codec/hex.h"
#include "agent/ops/ops.h"
#include "store/db.h"
#include "store/schema.h"

/*
 * What every CLI command shares: the data dir, the open node, the
 * one-line error convention, options, hex and the clock.  CLI-only code:
 * cli_fail() exits the process.
 */
#define KEY_FILE	"node.key"

/* Exit codes. */
#define EXIT_REFUSED	1	/* The operation failed or was refused. */
#define EXIT_USAGE	2	/* Usage or environment error. */

struct cli {
	const char	*dir;		/* Data dir. */
	bool		json;		/* --json given. */
	bool		verbose;	/* --verbose: errors' causes too. */
	struct db	*db;		/* Once cli_open() succeeded. */
	char		name[128];	/* This node's name. */
	void		*aux;		/* A command's own state. */
	const char	*user;		/* --user NAME or HAMROH_USER. */
	int		pass_fd;	/* --passphrase-fd N; -1: terminal. */
};

/**
 * cli_fail(code, fmt, ...):
 * Print "hamroh: <message>" on stderr and exit with ${code}.
 */
void cli_fail(int, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/**
 * cli_die(code, what, key, nargs, ...):
 * The one error line of catalog message ${key} (agent/ops/catalog.def)
 * with its ${nargs} string arguments, "hamroh: WHAT: MESSAGE" (${what}
 * NULL: no prefix); exit with ${code}.  Every message the CLI prints on
 * its own, such as a malformed command line, goes through it, so each has
 * a stable key as the operations' do.
 */
void cli_die(int, const char *, enum ops_msg, int, ...)
    __attribute__((noreturn));

/* ${s} cut to ${max} bytes in ${buf} (a message shows no more). */
const char *cli_cut(char *, size_t, const char *, int);

/**
 * cli_open(cli, sign):
 * Open the node in ${cli}->dir; with ${sign}, load its key (refusing a key
 * file readable by others) so local commits can be signed.
 */
void cli_open(struct cli *, bool);

/* After a local commit: print what it kept but warned of (stderr). */
void cli_warn_commit(struct cli *);

/* Close the node, if open. */
void cli_close(struct cli *);

/**
 * cli_read_keyfile(cli, name, out, len, what):
 * Read the ${len}-byte key file ${name} of the data dir into ${out}.
 * Return 1, or 0 if it does not exist; exit with one line, naming
 * ${what}, if it cannot be read, is readable by others or has another
 * size.
 */
int cli_read_keyfile(struct cli *, const char *, uint8_t *, size_t,
    const char *);

/**
 * cli_opt(argc, argv, name, val):
 * If option ${name} ("--name", with a value) occurs in ${argv}, remove it
 * (and its value) and return the value; repeated → usage error.
 */
const char *cli_opt(int *, char **, const char *);

/**
 * cli_opt_next(argc, argv, name):
 * For a repeatable option: remove the first "--name VALUE" (or
 * "--name=VALUE") from ${argv} and return VALUE, or NULL if none is left.
 */
const char *cli_opt_next(int *, char **, const char *);

/* Remove flag ${name} from ${argv}; return whether it was there. */
bool cli_flag(int *, char **, const char *);

/* Refuse any "--option" left in ${argv}, naming the command. */
void cli_no_more_opts(int, char **, const char *);

/* Wall-clock ms, plus HAMROH_CLOCK_OFFSET_MS (a test-only hook). */
uint64_t cli_now_ms(void);

/* Parse a record id argument or fail with a clear message. */
void cli_parse_id(const char *, uint8_t[SCHEMA_ID_LEN]);

/* A collection by name, or fail listing the known ones. */
const struct coll_def *cli_coll(const char *);

/* Format hlc ${h} as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void cli_time(uint64_t, char[32]);

/* ---- The exiting forms the CLI's commands want (agent/cli/access.c). */

struct conf;
struct conf_key;
struct ops;
struct ops_err;

/**
 * conf_deliver(cli, k, skip, sent, err):
 * conf_deliver_db() on ${cli}'s node at the CLI's clock (the name
 * cmd_net.c and test_member.c know).
 */
int conf_deliver(struct cli *, const struct conf_key *, const uint8_t *,
    size_t *, char[STORE_ERRLEN]);

/*
 * Set up ${o} on ${cli}'s open node, at the CLI's clock; with --user, the
 * first operation that needs a user signs him in (cli_signin()).
 */
void cli_ops(struct cli *, struct ops *);

/* ---- Signing in (agent/cli/cmd_users.c). */

/*
 * cli_pass(cli, who, confirm, buf, cap, len, e):
 * Read a passphrase (one line) from --passphrase-fd or, without echo, from
 * the terminal (asked twice if ${confirm}: a new one).  0, or -1 with ${e}.
 */
int cli_pass(struct cli *, const char *, bool, char *, size_t, size_t *,
    struct ops_err *);

/* ops' sign-in hook: --user's passphrase read, ops_signin() run. */
int cli_signin(void *, struct ops *, struct ops_err *);

/**
 * cli_ops_fail(cli, what, err):
 * Print the one error line "hamroh: WHAT: MESSAGE" (and under --verbose
 * the cause) and exit with the code that ${err}'s kind has always had.
 */
void cli_ops_fail(struct cli *, const char *, const struct ops_err *)
    __attribute__((noreturn));

/* The exit code of an operation's error code. */
int cli_ops_exit(int);

#endif /* !AGENT_CLI_H */

/*
 * cmd_users.c: signing in (--user, --passphrase-fd) and the user command:
 * add, list, passwd, rm, rekey.  A passphrase is read from the terminal
 * without echo, or one line from --passphrase-fd; never from argv or the
 * environment.  When a command needs two (the acting user's, then a new
 * one), the acting user's comes first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/codec/json.h"
#include "agent/ops/ops.h"
#include "agent/ops/users.h"

#define PASS_CAP	(USER_PASS_MAX + 2)

/* One line from ${fd}, a byte at a time (a second line stays unread). */
static int
read_line(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	ssize_t r;
	char c;

	for (;;) {
		if ((r = read(fd, &c, 1)) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap) {
			errno = EMSGSIZE;
			return (-1);
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len = n;
	return (r == 0 && n == 0 ? 1 : 0);
}

/* Ask on the terminal ${tty} without echo. */
static int
ask(int tty, const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios old, quiet;
	int r, saved;

	if (write(tty, prompt, strlen(prompt)) < 0 ||
	    tcgetattr(tty, &old) != 0)
		return (-1);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(tty, TCSAFLUSH, &quiet) != 0)
		return (-1);
	r = read_line(tty, buf, cap, len);
	saved = errno;
	(void)tcsetattr(tty, TCSAFLUSH, &old);
	(void)write(tty, "\n", 1);
	errno = saved;
	return (r);
}

int
cli_pass(struct cli *cli, const char *who, bool confirm, char *buf,
    size_t cap, size_t *len, struct ops_err *e)
{
	char prompt[160], *again;
	size_t alen;
	int tty, r;

	if (cli->pass_fd >= 0) {
		if ((r = read_line(cli->pass_fd, buf, cap, len)) != 0)
			return (ops_fail(e, OPS_USAGE, OPS_MSG_USER_PASS_READ,
			    1, r > 0 ? "--passphrase-fd gave no line" :
			    strerror(errno)));
		return (0);
	}
	if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY)) < 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_USER_NO_TTY, 1, who));
	snprintf(prompt, sizeof(prompt), "%s passphrase for %s: ",
	    confirm ? "New" : "The", who);
	r = ask(tty, prompt, buf, cap, len);
	if (r == 0 && confirm) {
		if ((again = sodium_malloc(cap)) == NULL) {
			close(tty);
			return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
		}
		r = ask(tty, "The same again: ", again, cap, &alen);
		if (r == 0 && (alen != *len || sodium_memcmp(again, buf,
		    alen) != 0)) {
			sodium_free(again);
			close(tty);
			return (ops_fail(e, OPS_BAD_INPUT,
			    OPS_MSG_USER_PASS_MISMATCH, 0));
		}
		sodium_free(again);
	}
	close(tty);
	if (r != 0)
		return (ops_fail(e, OPS_USAGE, OPS_MSG_USER_PASS_READ, 1,
		    r > 0 ? "no line" : strerror(errno)));
	return (0);
}

int
cli_signin(void *arg, struct ops *o, struct ops_err *e)
{
	struct cli *cli = arg;
	char *pass;
	size_t len;
	int r;

	if ((pass = sodium_malloc(PASS_CAP)) == NULL)
		return (ops_fail(e, OPS_NOMEM, OPS_MSG_NOMEM, 0));
	r = cli_pass(cli, cli->user, false, pass, PASS_CAP, &len, e);
	if (r == 0)
		r = ops_signin(o, cli->user, pass, len, e);
	sodium_free(pass);
	return (r);
}

/* Print the recovery code, once. */
static void
show_code(const char *code)
{

	printf("recovery code %s\n", code);
	printf("  Write it down and keep it in the office safe: it resets an "
	    "admin's\n  passphrase ('hamroh user passwd NAME --recovery').  "
	    "It is not shown again.\n");
}

/* init --user: the node's first user, once the node is made. */
int
cli_init_user(struct cli *cli, const char *pass, size_t len)
{
	char code[USER_CODE_LEN + 1];
	struct ops_err e;
	struct ops o;

	cli_open(cli, true);
	cli_ops(cli, &o);
	o.signin = NULL;
	if (ops_user_add(&o, cli->user, USER_ADMIN, pass, len, code, &e))
		cli_ops_fail(cli, "init --user", &e);
	printf("user '%s' (admin)\n", cli->user);
	show_code(code);
	sodium_memzero(code, sizeof(code));
	ops_fini(&o);
	return (0);
}

/* Read a new passphrase into locked memory (exits on failure). */
static char *
new_pass(struct cli *cli, struct ops *o, const char *who, size_t *len)
{
	struct ops_err e;
	char *pass;

	(void)o;
	if ((pass = sodium_malloc(PASS_CAP)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	if (cli_pass(cli, who, true, pass, PASS_CAP, len, &e))
		cli_ops_fail(cli, "user", &e);
	return (pass);
}

static int
list_cb(void *arg, const char *name, enum user_role role)
{
	struct cli *cli = arg;
	const char *rn = role == USER_NONE ? "damaged" : user_role_name(role);

	if (cli->json) {
		printf("{\"name\":");
		json_put_str(stdout, name, strlen(name));
		printf(",\"role\":\"%s\"}\n", rn);
	} else
		printf("%-24s %s\n", name, rn);
	return (0);
}

static const char *
one_name(int argc, char **argv, const char *sub)
{

	cli_no_more_opts(argc, argv, "user");
	if (argc != 1)
		cli_fail(EXIT_USAGE, "user %s: give one user NAME", sub);
	return (argv[0]);
}

int
cmd_user(struct cli *cli, int argc, char **argv)
{
	char code[USER_CODE_LEN + 1], *pass, *rc;
	const char *sub, *role, *name;
	enum user_role r;
	struct ops_err e;
	struct ops o;
	size_t len;
	bool recovery;

	if (argc < 1)
		cli_fail(EXIT_USAGE, "user: give add, list, passwd, rm or "
		    "rekey; see 'hamroh user --help'");
	sub = argv[0];
	argc--;
	argv++;
	memset(&e, 0, sizeof(e));
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (strcmp(sub, "add") == 0) {
		role = cli_opt(&argc, argv, "--role");
		name = one_name(argc, argv, sub);
		if (role == NULL)
			cli_fail(EXIT_USAGE, "user add: --role lawyer|"
			    "statistician|admin is required");
		if ((r = user_role_parse(role)) == USER_NONE) {
			ops_fail(&e, OPS_USAGE, OPS_MSG_USER_ROLE_INVALID, 1,
			    role);
			cli_ops_fail(cli, "user add", &e);
		}
		if (!user_name_ok(name)) {
			ops_fail(&e, OPS_BAD_INPUT, OPS_MSG_USER_NAME_INVALID,
			    1, name);
			cli_ops_fail(cli, "user add", &e);
		}
		/* The acting admin's passphrase first, then the new one. */
		if (user_count(cli->db) > 0 && ops_need_admin(&o, &e))
			cli_ops_fail(cli, "user add", &e);
		pass = new_pass(cli, &o, name, &len);
		if (ops_user_add(&o, name, r, pass, len, code, &e))
			cli_ops_fail(cli, "user add", &e);
		sodium_free(pass);
		printf("user '%s' (%s)\n", name, user_role_name(r));
		if (code[0] != '\0')
			show_code(code);
	} else if (strcmp(sub, "list") == 0) {
		cli_no_more_opts(argc, argv, "user");
		if (argc > 0)
			cli_fail(EXIT_USAGE, "user list: takes no arguments");
		if (ops_user_list(&o, list_cb, cli, &e))
			cli_ops_fail(cli, "user list", &e);
	} else if (strcmp(sub, "passwd") == 0) {
		recovery = cli_flag(&argc, argv, "--recovery");
		name = one_name(argc, argv, sub);
		if (recovery) {
			/* The code is read as a passphrase is. */
			if ((rc = sodium_malloc(PASS_CAP)) == NULL)
				cli_fail(EXIT_USAGE, "out of memory");
			if (cli_pass(cli, "the recovery code", false, rc,
			    PASS_CAP, &len, &e) ||
			    ops_signin_recovery(&o, rc, len, &e))
				cli_ops_fail(cli, "user passwd", &e);
			sodium_free(rc);
		} else if (ops_need_user(&o, &e))
			cli_ops_fail(cli, "user passwd", &e);
		pass = new_pass(cli, &o, name, &len);
		if (ops_user_passwd(&o, name, pass, len, &e))
			cli_ops_fail(cli, "user passwd", &e);
		sodium_free(pass);
		printf("new passphrase for '%s'\n", name);
	} else if (strcmp(sub, "rm") == 0) {
		name = one_name(argc, argv, sub);
		if (ops_user_rm(&o, name, &e))
			cli_ops_fail(cli, "user rm", &e);
		printf("removed user '%s'; 'hamroh user rekey' makes the data "
		    "key anew, so no copy of the account opens what is kept "
		    "from now on\n", name);
	} else if (strcmp(sub, "rekey") == 0) {
		cli_no_more_opts(argc, argv, "user");
		if (argc > 0)
			cli_fail(EXIT_USAGE, "user rekey: takes no arguments");
		if (ops_user_rekey(&o, &e))
			cli_ops_fail(cli, "user rekey", &e);
		printf("new data key: center keys sealed to it, every user's "
		    "account and the recovery code re-sealed\n");
	} else
		cli_fail(EXIT_USAGE, "user: unknown subcommand '%.40s'; give "
		    "add, list, passwd, rm or rekey", sub);
	ops_fini(&o);
	return (0);
}

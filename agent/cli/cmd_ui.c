/*
 * cmd_ui.c: ui — open the office web UI signed in.  The passphrase is
 * read here (terminal or --passphrase-fd) and handed to the running agent
 * over its 0600 socket DIR/ui.sock; the agent checks it (Argon2id, off
 * its loop) and answers a token that signs in once, within a minute.  The
 * URL printed carries the token in its fragment (#signin=TOKEN), which a
 * browser never sends in a request line or a Referer: the page posts it
 * to /api/signin (agent/ui/API.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/daemon/pidlock.h"
#include "agent/ui/ui.h"

#define PASS_CAP	(USER_PASS_MAX + 2)
#define ANSWER_MAX	600
#define ANSWER_WAIT_S	30	/* Throttled sign-ins queue: seconds. */
#define TOKEN_HEX	32	/* A token: 128 bits in hex. */

/* Whether ${prog} is an executable on $PATH. */
static bool
on_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[4096];

	for (p = path; p != NULL && *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)snprintf(file, sizeof(file), "%.*s/%s", (int)(end -
		    p), p, prog) < sizeof(file) && access(file, X_OK) == 0)
			return (true);
	}
	return (false);
}

/* Open ${url} in the desktop's browser, if there is a desktop. */
static void
open_browser(const char *url)
{
	const char *d = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
	pid_t pid;
	int fd;

	if ((d == NULL || *d == '\0') && (w == NULL || *w == '\0'))
		return;
	if (!on_path("xdg-open"))
		return;
	fflush(stdout);
	if ((pid = fork()) != 0)
		return;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execlp("xdg-open", "xdg-open", url, (char *)NULL);
	_exit(127);
}

/* The agent's answer: one line, read to its newline or EOF. */
static size_t
read_answer(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap) {
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(buf, '\n', n) != NULL)
			break;
	}
	buf[n] = '\0';
	return (n);
}

int
cmd_ui(struct cli *cli, int argc, char **argv)
{
	struct sockaddr_un sa;
	struct timeval tv = { ANSWER_WAIT_S, 0 };
	struct ops_err e;
	char path[4096], *msg, *pass, ans[ANSWER_MAX], tok[TOKEN_HEX + 1];
	char url[400];
	size_t len, n;
	int fd;

	cli_no_more_opts(argc, argv, "ui");
	if (argc > 0)
		cli_die(EXIT_USAGE, "ui", OPS_MSG_CLI_UNEXPECTED_ARG, 1,
		    argv[0]);
	if (cli->user == NULL)
		cli_die(EXIT_USAGE, "ui", OPS_MSG_UI_NEEDS_USER, 0);
	snprintf(path, sizeof(path), "%s/%s", cli->dir, UI_SOCK_FILE);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		cli_die(EXIT_USAGE, "ui", OPS_MSG_UI_SOCK, 2, path,
		    "the data dir's path is too long for a socket");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		cli_die(EXIT_USAGE, "ui", OPS_MSG_UI_SOCK, 2, path,
		    strerror(errno));
	/* A wedged agent: give up rather than hang (a sign-in takes < 2 s). */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int err = errno;
		uint64_t since;

		if (err == ENOENT || err == ECONNREFUSED)
			cli_die(EXIT_REFUSED, "ui", agent_running(cli->dir,
			    &since) == 1 ? OPS_MSG_UI_AGENT_NO_UI :
			    OPS_MSG_UI_NO_AGENT, 1, cli->dir);
		cli_die(EXIT_REFUSED, "ui", OPS_MSG_UI_SOCK, 2, path,
		    strerror(err));
	}
	if ((pass = sodium_malloc(PASS_CAP + USER_NAME_MAX + 4)) == NULL)
		cli_die(EXIT_USAGE, "ui", OPS_MSG_NOMEM, 0);
	/* The request: "USER\nPASSPHRASE\n" (agent/ui/check.h). */
	n = (size_t)snprintf(pass, USER_NAME_MAX + 2, "%s\n", cli->user);
	if (n > USER_NAME_MAX + 1)
		cli_die(EXIT_USAGE, "ui", OPS_MSG_USER_NAME_INVALID, 1,
		    cli->user);
	if (cli_pass(cli, cli->user, false, pass + n, PASS_CAP, &len, &e))
		cli_ops_fail(cli, "ui", &e);
	pass[n + len] = '\n';
	len += n + 1;
	for (n = 0; n < len; ) {
		ssize_t w = write(fd, pass + n, len - n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			cli_die(EXIT_REFUSED, "ui", OPS_MSG_UI_SOCK, 2, path,
			    strerror(errno));
		n += (size_t)w;
	}
	sodium_free(pass);
	errno = 0;
	n = read_answer(fd, ans, sizeof(ans));
	if (n == 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		cli_die(EXIT_REFUSED, "ui", OPS_MSG_UI_SOCK, 2, path,
		    "the agent did not answer within 30 s; try again");
	close(fd);
	if (n == 0 || ans[n - 1] != '\n')
		cli_die(EXIT_REFUSED, "ui", OPS_MSG_UI_SOCK_ANSWER, 0);
	ans[n - 1] = '\0';
	if (strncmp(ans, "error ", 6) == 0) {
		msg = strchr(ans + 6, ' ');
		cli_fail(EXIT_REFUSED, "ui: %s", msg != NULL ? msg + 1 :
		    ans + 6);
	}
	if (sscanf(ans, "ok %32s %300s", tok, url) != 2 ||
	    strlen(tok) != TOKEN_HEX)
		cli_die(EXIT_REFUSED, "ui", OPS_MSG_UI_SOCK_ANSWER, 0);
	strncat(url, "#signin=", sizeof(url) - strlen(url) - 1);
	strncat(url, tok, sizeof(url) - strlen(url) - 1);
	sodium_memzero(ans, sizeof(ans));
	printf("%s\n", url);
	printf("  (signs %s in once, within a minute; then the page's sign-in "
	    "asks)\n", cli->user);
	open_browser(url);
	sodium_memzero(url, sizeof(url));
	return (0);
}

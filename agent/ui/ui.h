#ifndef AGENT_UI_H
#define AGENT_UI_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

/*
 * The office web UI's HTTP side, served by `hamroh agent` from its own
 * libuv loop (no thread of its own): libmicrohttpd in external epoll
 * mode, its epoll descriptor on a uv_poll_t and its timeout on a
 * uv_timer_t.  The loop's rule holds: whatever may take longer than a
 * step (Argon2id sign-ins, the search index, reading and writing
 * records) runs as a job through ${queue} while its request waits
 * suspended.  API.md beside this file documents the routes; check.h and
 * sess.h hold the pure parts (Host and Origin checks, sessions, tokens,
 * the throttle of wrong passphrases).
 *
 * Beside HTTP, a Unix socket DIR/ui.sock (0600) takes `hamroh ui`'s
 * sign-in (user and passphrase) and answers a one-time token for the
 * URL it prints.
 */
#define UI_DEFAULT_LISTEN	"127.0.0.1:4412"
#define UI_SOCK_FILE		"ui.sock"
#define UI_BODY_MAX		(1024 * 1024)	/* A request's body. */

struct ui;
struct uv_loop_s;

/* The daemon's jobs (agent/daemon/work.h): the same shapes. */
typedef int	ui_work_fn(struct db *, void *, char[STORE_ERRLEN]);
typedef void	ui_done_fn(void *, int, const char *);
typedef int	ui_queue_fn(void *, ui_work_fn *, ui_done_fn *, void *);

struct ui_config {
	struct uv_loop_s *loop;
	struct db	*db;		/* The loop's connection. */
	const char	*dir;		/* Data dir. */
	const uint8_t	*sk;		/* The node's signing key: writes. */
	const char	*listen;	/* "HOST:PORT"; port 0 picks one. */
	uint64_t	(*clock)(void *);	/* Wall-clock ms. */
	void		*clock_arg;
	ui_queue_fn	*queue;
	void		*queue_arg;
};

/**
 * ui_start(cfg, ui, why, len):
 * Listen and serve.  Return 0, or -1 with one line in ${why} saying what
 * failed and what to do (a port in use: another --ui-listen, or
 * --no-ui).  A socket that cannot be made leaves the UI without `hamroh
 * ui` and is said in ${why} with 0 returned.
 */
int ui_start(const struct ui_config *, struct ui **, char *, size_t);

/* Where it listens, "http://HOST:PORT/". */
const char *ui_url(const struct ui *);

/* Close its handles (the loop can then end); sessions are wiped. */
void ui_stop(struct ui *);

/* Free ${ui} once the loop has ended (NULL: nothing). */
void ui_free(struct ui *);

#endif /* !AGENT_UI_H */

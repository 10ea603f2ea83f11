/*
 * server.c: the web UI's HTTP side on the agent's loop (ui.h).
 *
 * libmicrohttpd runs in external epoll mode: its epoll descriptor sits on
 * a uv_poll_t, its timeout on a uv_timer_t, and MHD_run() is called from
 * either; no thread of its own.  Every request is checked before a route
 * sees it (Host, Origin and CSRF token on a mutating one, body size), and
 * every response carries the same security headers.  A route that may
 * take longer than a loop step (a sign-in's Argon2id, reading or writing
 * records, building the search index) suspends its connection, runs as a
 * job on a worker with its own database connection, and resumes it with
 * the answer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>
#include <uv.h>

#include "agent/codec/hex.h"
#include "agent/ops/ops.h"
#include "agent/ops/search.h"
#include "agent/ops/users.h"
#include "agent/ui/api.h"
#include "agent/ui/api_more.h"
#include "agent/ui/assets.h"
#include "agent/ui/check.h"
#include "agent/ui/sess.h"
#include "agent/ui/ui.h"

#define COOKIE		"hamroh_session"
#define MAX_SESSIONS	64
#define MAX_TOKENS	16
#define MAX_CONNS	64
#define MAX_CONNS_PER_IP 16	/* A browser opens 6 per host. */
#define CONN_TIMEOUT_S	60
#define SOCK_CLIENTS	4
#define SWEEP_MS	10000	/* Ended sessions' keys wiped within. */

struct ui_user {
	struct ui	*ui;
	struct ops	o;		/* On the loop's connection. */
	struct search_index *idx;	/* NULL while it is first built. */
	bool		idx_busy;	/* A build runs. */
	bool		idx_failed;
	struct ops_err	idx_err;
	int64_t		idx_mark;	/* The log at its build (db_commit_mark()). */
	/* The account's entry at sign-in (user_entry_tag()). */
	uint8_t		tag[USER_TAG_LEN];
};

struct req {
	struct ui	*ui;
	struct MHD_Connection *c;
	struct req	*next_susp;	/* ui->susp: suspended. */
	bool		suspended;
	char		*body;
	size_t		len;
	bool		too_big;
	bool		ready;		/* ${out} is the answer. */
	bool		sent;		/* A response is queued. */
	struct ui_out	out;
	char		cookie[160];	/* Set-Cookie, if any. */
	char		addr[64];	/* The client's address. */
};

struct sock_client {
	uv_pipe_t	pipe;
	struct ui	*ui;
	struct sock_client *next;	/* ui->clients. */
	char		buf[UI_SOCK_MAX];
	size_t		len;
	bool		busy;		/* A sign-in runs for it. */
	bool		closing;
};

struct ui {
	uv_loop_t	*loop;
	struct db	*db;
	char		*dir;
	const uint8_t	*sk;		/* Read by workers: never changes. */
	uint64_t	(*clock)(void *);
	void		*clock_arg;
	ui_queue_fn	*queue;
	void		*queue_arg;
	struct MHD_Daemon *mhd;
	int		lfd;
	uv_poll_t	poll;
	uv_timer_t	timer;
	uv_timer_t	sweep;		/* Idle sessions, old tokens: ended. */
	char		host[256];
	unsigned	port;
	char		url[300];
	struct ui_table	sess, tokens;
	struct ui_throttle thr;
	struct req	*susp;
	uv_pipe_t	sock;
	bool		sock_on;
	char		sock_path[4096];
	struct sock_client *clients;
	size_t		nclients;
	bool		stopping;
};

static uint64_t
now_of(struct ui *ui)
{

	return (ui->clock(ui->clock_arg));
}

/* ---- Running libmicrohttpd from the loop. */

static void timer_cb(uv_timer_t *);

static void
mhd_step(struct ui *ui)
{
	MHD_UNSIGNED_LONG_LONG to;

	if (ui->stopping)
		return;
	MHD_run(ui->mhd);
	if (MHD_get_timeout(ui->mhd, &to) == MHD_YES)
		uv_timer_start(&ui->timer, timer_cb, to, 0);
	else
		uv_timer_stop(&ui->timer);
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{

	(void)status;
	(void)events;
	mhd_step(p->data);
}

static void
timer_cb(uv_timer_t *t)
{

	mhd_step(t->data);
}

/*
 * Sessions end when found idle too, but one nobody touches would keep
 * its keys until then: every SWEEP_MS the idle ones end.
 */
static void
sweep_cb(uv_timer_t *t)
{
	struct ui *ui = t->data;
	uint64_t now = now_of(ui);

	ui_table_sweep(&ui->sess, now);
	ui_table_sweep(&ui->tokens, now);
}

/* ---- Responses. */

static void
add_headers(struct MHD_Response *r, bool api)
{

	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	if (api)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

static enum MHD_Result
send_buf(struct MHD_Connection *c, unsigned status, const char *type,
    void *buf, size_t len, enum MHD_ResponseMemoryMode mode,
    const char *cookie, const char *etag, bool api)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = MHD_create_response_from_buffer(len, buf, mode)) == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(buf);
		return (MHD_NO);
	}
	add_headers(r, api);
	if (type != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	if (cookie != NULL && *cookie != '\0')
		MHD_add_response_header(r, "Set-Cookie", cookie);
	if (etag != NULL) {
		MHD_add_response_header(r, "ETag", etag);
		MHD_add_response_header(r, "Cache-Control", "no-cache");
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return (ret);
}

/* A download (a report's CSV or XLSX): its type and file name. */
static enum MHD_Result
send_file(struct req *rq, void *buf, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = MHD_create_response_from_buffer(len, buf,
	    MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(buf);
		return (MHD_NO);
	}
	add_headers(r, true);
	MHD_add_response_header(r, "Content-Type", rq->out.type);
	if (rq->out.disp[0] != '\0')
		MHD_add_response_header(r, "Content-Disposition",
		    rq->out.disp);
	if (rq->cookie[0] != '\0')
		MHD_add_response_header(r, "Set-Cookie", rq->cookie);
	ret = MHD_queue_response(rq->c, 200, r);
	MHD_destroy_response(r);
	return (ret);
}

/* Send ${rq}'s answer (its JSON body, or an empty one). */
static enum MHD_Result
send_out(struct req *rq)
{
	struct ui_out *o = &rq->out;
	void *buf = o->buf;
	size_t len = o->len;

	o->buf = NULL;
	if (buf == NULL) {
		static const char fail[] = "{\"error\":{\"key\":\"NOMEM\","
		    "\"args\":[],\"message\":\"out of memory\"}}\n";

		return (send_buf(rq->c, o->status ? o->status : 503,
		    "application/json", (void *)(uintptr_t)fail,
		    sizeof(fail) - 1, MHD_RESPMEM_PERSISTENT, rq->cookie, NULL,
		    true));
	}
	if (o->type != NULL && o->status == 200)
		return (send_file(rq, buf, len));
	return (send_buf(rq->c, o->status, "application/json; charset=utf-8",
	    buf, len, MHD_RESPMEM_MUST_FREE, rq->cookie, NULL, true));
}

static enum MHD_Result
send_fail(struct req *rq, unsigned status, enum ops_msg k, int n, ...)
{
	struct ops_err e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	va_start(ap, n);
	ops_vfail(&e, OPS_DENIED, k, n, ap);
	va_end(ap);
	ui_out_err(&rq->out, &e);
	rq->out.status = status;
	return (send_out(rq));
}

static void
suspend(struct req *rq)
{

	MHD_suspend_connection(rq->c);
	rq->suspended = true;
	rq->next_susp = rq->ui->susp;
	rq->ui->susp = rq;
}

/* The answer is in ${rq}->out: let MHD call the handler again. */
static void
resume(struct req *rq)
{
	struct req **pp;

	rq->ready = true;
	if (!rq->suspended)
		return;
	for (pp = &rq->ui->susp; *pp != NULL; pp = &(*pp)->next_susp)
		if (*pp == rq) {
			*pp = rq->next_susp;
			break;
		}
	rq->suspended = false;
	MHD_resume_connection(rq->c);
	/*
	 * Only ever called from the loop (a job's or a timer's callback),
	 * never from inside MHD_run(): run it now, as the ITC's wake-up
	 * alone does not reach the loop in external epoll mode.
	 */
	mhd_step(rq->ui);
}

/* ---- Sessions. */

static void index_close(struct ui *, struct search_index *);

static void
user_free(void *arg)
{
	struct ui_user *u = arg;

	ops_fini(&u->o);		/* The ring and data key wiped. */
	index_close(u->ui, u->idx);
	sodium_memzero(u, sizeof(*u));
	free(u);
}

static void
token_free(void *arg)
{
	struct user_session *s = arg;

	user_session_end(s);
	free(s);
}

/* A copy of ${s} with its own data key, for a job; -1 if out of memory. */
static int
session_dup(const struct user_session *s, struct user_session *out)
{

	*out = *s;
	out->data_sk = NULL;
	if (s->data_sk == NULL)
		return (0);
	if ((out->data_sk = sodium_malloc(USER_KEY_LEN)) == NULL)
		return (-1);
	memcpy(out->data_sk, s->data_sk, USER_KEY_LEN);
	return (0);
}

static struct ui_entry *
session_of(struct req *rq)
{
	const char *id = MHD_lookup_connection_value(rq->c, MHD_COOKIE_KIND,
	    COOKIE);

	struct ui_entry *x;
	struct ui_user *u;
	uint8_t tag[USER_TAG_LEN];

	if ((x = ui_table_find(&rq->ui->sess, id, now_of(rq->ui))) == NULL)
		return (NULL);
	/*
	 * The account removed, its passphrase or role changed (by the CLI,
	 * another session), or the data key rotated since the sign-in: the
	 * session ends now, not when it is left idle.
	 */
	u = x->data;
	if (user_entry_tag(rq->ui->db, &u->o.user, tag) != 0 ||
	    sodium_memcmp(tag, u->tag, sizeof(tag)) != 0) {
		ui_table_end(&rq->ui->sess, x->id);
		return (NULL);
	}
	return (x);
}

/* ---- Jobs as a session's user. */

enum ujob_kind { UJ_SHOW, UJ_ADD, UJ_STATUS, UJ_INDEX, UJ_CALL, UJ_CLOSE };

struct ujob {
	struct ui	*ui;
	struct req	*rq;		/* NULL: the index build. */
	enum ujob_kind	kind;
	char		sid[UI_ID_HEX];
	struct user_session us;
	struct ui_call	call;
	char		id[2 * SCHEMA_ID_LEN + 1];
	struct ui_out	out;
	struct search_index *idx;
	struct ops_err	e;
	int64_t		mark;		/* UJ_INDEX: the log when queued. */
};

static int
ujob_run(struct db *db, void *arg, char err[STORE_ERRLEN])
{
	struct ujob *j = arg;
	struct ops o;

	(void)err;
	if (j->kind == UJ_CLOSE) {
		search_close(j->idx);
		j->idx = NULL;
		return (0);
	}
	ops_init(&o, db, j->ui->dir, j->ui->clock, j->ui->clock_arg);
	o.user = j->us;
	o.actor = o.user.name;
	memset(&j->us, 0, sizeof(j->us));
	switch (j->kind) {
	case UJ_SHOW:
		ui_api_show(&o, &j->call, &j->out);
		break;
	case UJ_ADD:
		/* The worker's connection signs what it commits, as ours. */
		if (j->ui->sk == NULL || db_set_signer(db, j->ui->sk) != 0)
			ui_out_fail(&j->out, OPS_ENV, OPS_MSG_UI_JOB, 0);
		else
			ui_api_add(&o, &j->call, &j->out);
		break;
	case UJ_STATUS:
		ui_api_status(&o, &j->call, &j->out);
		break;
	case UJ_CALL:		/* api_more.c's routes. */
		if (j->call.route->writes && (j->ui->sk == NULL ||
		    db_set_signer(db, j->ui->sk) != 0))
			ui_out_fail(&j->out, OPS_ENV, OPS_MSG_UI_JOB, 0);
		else
			j->call.route->fn(&o, &j->call, &j->out);
		break;
	case UJ_CLOSE:
		break;
	case UJ_INDEX:
		memset(&j->e, 0, sizeof(j->e));
		if (ops_search_build(&o, &j->idx, &j->e) != 0)
			j->idx = NULL;
		break;
	}
	ops_fini(&o);
	return (0);
}

static void
ujob_free(struct ujob *j)
{

	user_session_end(&j->us);
	json_obj_fini(&j->call.body);
	free(j->out.buf);
	search_close(j->idx);
	free(j);
}

static void
ujob_done(void *arg, int rc, const char *err)
{
	struct ujob *j = arg;
	struct ui *ui = j->ui;
	struct ui_entry *x;
	struct ui_user *u;
	struct ops_err e;
	struct conf *ring;
	uint8_t id[SCHEMA_ID_LEN];
	char why[STORE_ERRLEN];

	(void)err;
	if (j->kind == UJ_CLOSE) {
		ujob_free(j);
		return;
	}
	x = ui->stopping ? NULL : ui_table_find(&ui->sess, j->sid,
	    now_of(ui));
	u = x != NULL ? x->data : NULL;
	if (j->kind == UJ_INDEX) {
		if (u != NULL) {
			u->idx_busy = false;
			if (j->idx != NULL) {	/* The new one replaces. */
				index_close(ui, u->idx);
				u->idx = j->idx;
				j->idx = NULL;
				u->idx_mark = j->mark;
				u->idx_failed = false;
			} else if (u->idx == NULL) {
				u->idx_failed = true;
				u->idx_err = j->e;
			}
		}
		ujob_free(j);
		return;
	}
	if (rc != 0 && j->out.buf == NULL)
		ui_out_fail(&j->out, OPS_STORE, OPS_MSG_UI_JOB, 0);
	/* His own new passphrase, set here: the session stands. */
	if (j->kind == UJ_CALL && j->out.status < 300 && u != NULL &&
	    strcmp(j->call.route->path, "/api/users/*/passwd") == 0 &&
	    strcmp(j->call.seg, u->o.user.name) == 0)
		(void)user_entry_tag(ui->db, &u->o.user, u->tag);
	/* What the UI added is found at once (other changes: see API.md). */
	if ((j->kind == UJ_ADD || j->kind == UJ_CALL) && j->out.status < 300 &&
	    j->call.added[0] != '\0' && u != NULL &&
	    u->idx != NULL && (ring = ops_ring(&u->o, &e)) != NULL &&
	    hex_decode(j->call.added, id, SCHEMA_ID_LEN) == 0)
		(void)search_update(u->idx, ui->db, ring, id, why);
	j->rq->out = j->out;
	memset(&j->out, 0, sizeof(j->out));
	resume(j->rq);
	ujob_free(j);
}

/* Run job ${j} for its session's user; 0, or -1 (${j} freed). */
static int
ujob_queue(struct ujob *j, const struct ui_entry *x)
{
	const struct ui_user *u = x->data;

	snprintf(j->sid, sizeof(j->sid), "%s", x->id);
	if (session_dup(&u->o.user, &j->us) != 0 ||
	    j->ui->queue(j->ui->queue_arg, ujob_run, ujob_done, j) != 0) {
		ujob_free(j);
		return (-1);
	}
	return (0);
}

/*
 * Close a session's search index on a worker: freeing the index of
 * 100,000 records takes longer than a loop step may.  In place when the
 * UI stops or no job can be queued.
 */
static void
index_close(struct ui *ui, struct search_index *x)
{
	struct ujob *j;

	if (x == NULL)
		return;
	if (ui == NULL || ui->stopping || (j = calloc(1, sizeof(*j))) ==
	    NULL) {
		search_close(x);
		return;
	}
	j->ui = ui;
	j->kind = UJ_CLOSE;
	j->idx = x;
	if (ui->queue(ui->queue_arg, ujob_run, ujob_done, j) != 0) {
		search_close(x);
		free(j);
	}
}

/*
 * Build the session's search index on a worker: at sign-in, and again
 * when a search finds the store changed since (index_stale()); searches
 * use the old one meanwhile.
 */
static void
index_start(struct ui *ui, const struct ui_entry *x)
{
	struct ui_user *u = x->data;
	struct ujob *j;

	if (u->idx_busy || (j = calloc(1, sizeof(*j))) == NULL)
		return;
	j->ui = ui;
	j->kind = UJ_INDEX;
	j->mark = db_commit_mark(ui->db);
	if (ujob_queue(j, x) == 0)
		u->idx_busy = true;
}

/*
 * Whether a commit was stored since the index was built: by the CLI, a
 * worker, a peer.  Not the access log a listing writes (data_version
 * moved with it, and every search after a listing rebuilt the index).
 */
static bool
index_stale(struct ui *ui, const struct ui_user *u)
{

	return (db_commit_mark(ui->db) != u->idx_mark);
}

/* ---- Sign-in: Argon2id on a worker, wrong ones throttled. */

struct signin {
	struct ui	*ui;
	struct req	*rq;		/* HTTP, or */
	struct sock_client *sc;		/* `hamroh ui`. */
	char		user[USER_NAME_MAX + 1];
	char		*pass;		/* sodium_malloc()ed. */
	size_t		plen;
	char		addr[64];
	struct user_session us;
	struct ops_err	e;
	int		rc;
	uv_timer_t	t;
	bool		timer_on;
};

static void signin_finish(struct signin *);
static void sock_answer(struct sock_client *, const char *);

static int
signin_run(struct db *db, void *arg, char err[STORE_ERRLEN])
{
	struct signin *s = arg;
	struct ops o;

	(void)err;
	ops_init(&o, db, s->ui->dir, s->ui->clock, s->ui->clock_arg);
	memset(&s->e, 0, sizeof(s->e));
	s->rc = ops_signin(&o, s->user, s->pass, s->plen, &s->e);
	sodium_memzero(s->pass, s->plen);
	if (s->rc == 0) {
		s->us = o.user;
		memset(&o.user, 0, sizeof(o.user));
		o.actor = NULL;
	}
	ops_fini(&o);
	return (0);
}

static void
signin_closed(uv_handle_t *h)
{
	struct signin *s = h->data;

	user_session_end(&s->us);
	sodium_free(s->pass);
	free(s);
}

static void
signin_free(struct signin *s)
{

	if (s->timer_on) {
		uv_close((uv_handle_t *)&s->t, signin_closed);
		return;
	}
	user_session_end(&s->us);
	sodium_free(s->pass);
	free(s);
}

static void
signin_delayed(uv_timer_t *t)
{

	signin_finish(t->data);
}

static void
signin_done(void *arg, int rc, const char *err)
{
	struct signin *s = arg;
	uint64_t now = now_of(s->ui), at;

	(void)err;
	if (rc != 0 && s->rc == 0) {
		s->rc = -1;
		ops_fail(&s->e, OPS_STORE, OPS_MSG_UI_JOB, 0);
	}
	/* A wrong passphrase (or name) is answered UI_THROTTLE_MS later. */
	if (s->rc != 0 && (s->e.code == OPS_DENIED ||
	    s->e.code == OPS_NOT_FOUND) && !s->ui->stopping) {
		at = ui_throttle_fail(&s->ui->thr, s->user, s->addr, now);
		uv_timer_start(&s->t, signin_delayed, at - now, 0);
		return;
	}
	signin_finish(s);
}

static void
signin_go(struct signin *s)
{

	if (s->ui->stopping || s->ui->queue(s->ui->queue_arg, signin_run,
	    signin_done, s) != 0) {
		s->rc = -1;
		ops_fail(&s->e, OPS_BUSY, OPS_MSG_UI_JOB, 0);
		signin_finish(s);
	}
}

static void
signin_wait(uv_timer_t *t)
{

	signin_go(t->data);
}

/* Take ${pass} (copied); run the sign-in once the throttle lets it. */
static void
signin_start(struct ui *ui, struct req *rq, struct sock_client *sc,
    const char *user, const char *pass, size_t plen, const char *addr)
{
	struct signin *s;
	uint64_t now = now_of(ui), at;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->pass = sodium_malloc(plen + 1)) == NULL) {
		free(s);
		if (rq != NULL) {
			ui_out_fail(&rq->out, OPS_NOMEM, OPS_MSG_NOMEM, 0);
			resume(rq);
		} else
			sock_answer(sc, "error NOMEM out of memory\n");
		return;
	}
	s->ui = ui;
	s->rq = rq;
	s->sc = sc;
	snprintf(s->user, sizeof(s->user), "%s", user);
	memcpy(s->pass, pass, plen);
	s->plen = plen;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	uv_timer_init(ui->loop, &s->t);
	s->t.data = s;
	s->timer_on = true;
	at = ui_throttle_start(&ui->thr, s->user, s->addr, now);
	if (at > now)
		uv_timer_start(&s->t, signin_wait, at - now, 0);
	else
		signin_go(s);
}

/* A new session for ${us} (taken); the cookie into ${rq}. */
static struct ui_entry *
session_new(struct ui *ui, struct user_session *us, struct req *rq)
{
	struct ui_user *u;
	struct ui_entry *x;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		user_session_end(us);
		return (NULL);
	}
	u->ui = ui;
	ops_init(&u->o, ui->db, ui->dir, ui->clock, ui->clock_arg);
	u->o.user = *us;
	u->o.actor = u->o.user.name;
	memset(us, 0, sizeof(*us));
	if (user_entry_tag(ui->db, &u->o.user, u->tag) != 0 ||
	    (x = ui_table_add(&ui->sess, now_of(ui), u)) == NULL) {
		user_free(u);
		return (NULL);
	}
	snprintf(rq->cookie, sizeof(rq->cookie), COOKIE "=%s; HttpOnly; "
	    "SameSite=Strict; Path=/", x->id);
	index_start(ui, x);
	return (x);
}

static void
put_me(struct ui_out *out, const struct ui_entry *x, struct ui *ui)
{
	const struct ui_user *u = x->data;
	char center[256];
	FILE *f;

	if (db_meta_get(ui->db, "center", center, sizeof(center)))
		center[0] = '\0';
	if ((f = ui_out_open(out)) == NULL) {
		out->status = 503;
		return;
	}
	fputs("{\"user\":", f);
	ui_put_str(f, u->o.user.name);
	fputs(",\"role\":", f);
	ui_put_str(f, user_role_name(u->o.user.role));
	fputs(",\"center\":", f);
	ui_put_str(f, center);
	fputs(",\"csrf\":", f);
	ui_put_str(f, x->csrf);
	fputs("}\n", f);
	ui_out_close(out, f, 200);
}

static void
signin_finish(struct signin *s)
{
	struct ui *ui = s->ui;
	struct ui_entry *x;
	struct ui_entry *t;
	struct user_session *keep;
	char line[600];

	if (s->rq != NULL) {
		if (s->rc != 0) {
			ui_out_err(&s->rq->out, &s->e);
			/* An unknown name looks like a wrong passphrase. */
			if (s->e.code == OPS_NOT_FOUND)
				s->rq->out.status = 403;
		}
		else if ((x = session_new(ui, &s->us, s->rq)) == NULL)
			ui_out_fail(&s->rq->out, OPS_NOMEM, OPS_MSG_UI_FULL,
			    0);
		else
			put_me(&s->rq->out, x, ui);
		resume(s->rq);
	} else if (s->sc != NULL) {
		if (s->rc != 0) {
			char msg[1024];

			snprintf(line, sizeof(line), "error %s %s\n",
			    ops_key_name(s->e.key), ops_text("en", &s->e, msg,
			    sizeof(msg)));
		} else if ((keep = calloc(1, sizeof(*keep))) == NULL ||
		    (t = ui_table_add(&ui->tokens, now_of(ui), keep)) ==
		    NULL) {
			free(keep);
			snprintf(line, sizeof(line), "error UI_FULL too many "
			    "sign-ins at once; try again in a minute\n");
		} else {
			*keep = s->us;
			memset(&s->us, 0, sizeof(s->us));
			snprintf(line, sizeof(line), "ok %s %s\n", t->id,
			    ui->url);
		}
		sock_answer(s->sc, line);
		sodium_memzero(line, sizeof(line));
	}
	signin_free(s);
}

/* ---- Routes. */

static bool
is(const char *a, const char *b)
{

	return (strcmp(a, b) == 0);
}

/* The body as one flat JSON object; else the answer is an error. */
static int
body_json(struct req *rq, struct json_obj *o)
{
	char err[256];

	if (json_parse_object(rq->body != NULL ? rq->body : "", rq->len, o,
	    err, sizeof(err)) != 0) {
		ui_out_fail(&rq->out, OPS_BAD_INPUT, OPS_MSG_UI_BAD_JSON, 1,
		    err);
		return (-1);
	}
	return (0);
}

static const struct val *
body_get(const struct json_obj *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->kv[i].key, key) == 0)
			return (&o->kv[i].v);
	return (NULL);
}

static void
route_signin(struct req *rq)
{
	struct json_obj o;
	const struct val *u, *p, *t;
	struct user_session *us;
	char user[USER_NAME_MAX + 1], tok[UI_ID_HEX];

	if (body_json(rq, &o) != 0) {
		rq->ready = true;
		return;
	}
	u = body_get(&o, "user");
	p = body_get(&o, "passphrase");
	t = body_get(&o, "token");
	if (t != NULL && t->t == VAL_STR) {
		snprintf(tok, sizeof(tok), "%.*s", (int)(t->len < UI_ID_HEX ?
		    t->len : UI_ID_HEX - 1), t->s);
		us = t->len == UI_ID_HEX - 1 ? ui_table_take(&rq->ui->tokens,
		    tok, now_of(rq->ui)) : NULL;
		if (us == NULL)
			ui_out_fail(&rq->out, OPS_DENIED, OPS_MSG_UI_TOKEN, 0);
		else {
			struct ui_entry *x = session_new(rq->ui, us, rq);

			free(us);
			if (x == NULL)
				ui_out_fail(&rq->out, OPS_NOMEM,
				    OPS_MSG_UI_FULL, 0);
			else
				put_me(&rq->out, x, rq->ui);
		}
		if (rq->out.status == 403)
			rq->out.status = 401;
		json_obj_fini(&o);
		rq->ready = true;
		return;
	}
	if (u == NULL || u->t != VAL_STR || p == NULL || p->t != VAL_STR ||
	    u->len == 0 || u->len > USER_NAME_MAX) {
		json_obj_fini(&o);
		ui_out_fail(&rq->out, OPS_USAGE, OPS_MSG_UI_SIGNIN_BODY, 0);
		rq->ready = true;
		return;
	}
	snprintf(user, sizeof(user), "%.*s", (int)u->len, u->s);
	/* Its answer comes later from the loop (or now: out of memory). */
	signin_start(rq->ui, rq, NULL, user, p->s, p->len, rq->addr);
	if (!rq->ready)
		suspend(rq);
	sodium_memzero(rq->body, rq->len);
	sodium_memzero((void *)(uintptr_t)p->s, p->len);
	json_obj_fini(&o);
}

struct hits {
	FILE	*f;
	size_t	n;
};

static int
hit_cb(void *arg, const struct ops_hit *h)
{
	struct hits *s = arg;

	if (s->n++ > 0)
		putc(',', s->f);
	fputs("{\"id\":", s->f);
	ui_put_str(s->f, h->id);
	fputs(",\"case_no\":", s->f);
	ui_put_str(s->f, h->case_no);
	fputs(",\"opened_at\":", s->f);
	ui_put_str(s->f, h->opened_at);
	fputs(",\"center\":", s->f);
	ui_put_str(s->f, h->center);
	fputs(",\"topic\":", s->f);
	ui_put_str(s->f, h->topic);
	fputs(",\"status\":", s->f);
	ui_put_str(s->f, h->status);
	fputs(",\"client_name\":", s->f);
	ui_put_str(s->f, h->client_name);
	putc('}', s->f);
	return (0);
}

/* GET /api/search?q=: in the session's index, on the loop (fast). */
static void
route_search(struct req *rq, struct ui_entry *x)
{
	struct ui_user *u = x->data;
	const char *q = MHD_lookup_connection_value(rq->c,
	    MHD_GET_ARGUMENT_KIND, "q");
	struct ops_search_args a;
	struct ops_err e;
	struct hits h;
	bool more;

	rq->ready = true;
	if (u->idx == NULL) {
		if (u->idx_failed)
			ui_out_err(&rq->out, &u->idx_err);
		else
			ui_out_fail(&rq->out, OPS_BUSY,
			    OPS_MSG_UI_SEARCH_BUILDING, 0);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.text = q != NULL ? q : "";
	a.len = strlen(a.text);
	if ((h.f = ui_out_open(&rq->out)) == NULL) {
		rq->out.status = 503;
		return;
	}
	h.n = 0;
	fputs("{\"hits\":[", h.f);
	if (ops_search_in(&u->o, u->idx, &a, hit_cb, &h, &more, &e) != 0) {
		fclose(h.f);
		ui_out_err(&rq->out, &e);
		return;
	}
	fprintf(h.f, "],\"more\":%s}\n", more ? "true" : "false");
	ui_out_close(&rq->out, h.f, 200);
	if (index_stale(rq->ui, u))
		index_start(rq->ui, x);
}

static void
route_job(struct req *rq, struct ui_entry *x, enum ujob_kind kind,
    const char *id)
{
	struct ujob *j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		ui_out_fail(&rq->out, OPS_NOMEM, OPS_MSG_NOMEM, 0);
		rq->ready = true;
		return;
	}
	j->ui = rq->ui;
	j->rq = rq;
	j->kind = kind;
	if (id != NULL) {
		snprintf(j->id, sizeof(j->id), "%.32s", id);
		j->call.id = j->id;
		if (strlen(id) != 2 * SCHEMA_ID_LEN) {
			free(j);
			ui_out_fail(&rq->out, OPS_USAGE, OPS_MSG_ID_INVALID, 1,
			    id);
			rq->ready = true;
			return;
		}
	}
	if (kind == UJ_ADD && body_json(rq, &j->call.body) != 0) {
		free(j);
		rq->ready = true;
		return;
	}
	/* The job's answer comes from the loop later: suspend till then. */
	if (ujob_queue(j, x) != 0) {
		ui_out_fail(&rq->out, OPS_BUSY, OPS_MSG_UI_JOB, 0);
		rq->ready = true;
	} else
		suspend(rq);
}

/* A route of api_more.c's table, on a worker. */
static void
route_call(struct req *rq, struct ui_entry *x, const struct ui_route *rt,
    const char *seg)
{
	struct ujob *j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		ui_out_fail(&rq->out, OPS_NOMEM, OPS_MSG_NOMEM, 0);
		return;
	}
	j->ui = rq->ui;
	j->rq = rq;
	j->kind = UJ_CALL;
	j->call.route = rt;
	snprintf(j->call.seg, sizeof(j->call.seg), "%s", seg);
	(void)MHD_get_connection_values(rq->c, MHD_GET_ARGUMENT_KIND,
	    ui_call_arg, &j->call);
	if (j->call.qbad) {
		free(j);
		ui_out_fail(&rq->out, OPS_USAGE, OPS_MSG_UI_TOO_LARGE, 1,
		    "2048");
		return;
	}
	if (rt->body && body_json(rq, &j->call.body) != 0) {
		free(j);
		return;
	}
	rq->ready = false;
	if (ujob_queue(j, x) != 0) {
		ui_out_fail(&rq->out, OPS_BUSY, OPS_MSG_UI_JOB, 0);
		rq->ready = true;
	} else
		suspend(rq);
}

/* An /api/ route of a signed-in session. */
static void
route_api(struct req *rq, const char *url, const char *method,
    struct ui_entry *x)
{
	bool get = is(method, "GET") || is(method, "HEAD");
	const char *p = "/api/consultations/";
	const struct ui_route *rt;
	char seg[UI_SEG_MAX];

	rq->ready = true;
	if (is(url, "/api/signout") && is(method, "POST")) {
		ui_table_end(&rq->ui->sess, x->id);
		snprintf(rq->cookie, sizeof(rq->cookie), COOKIE "=; HttpOnly; "
		    "SameSite=Strict; Path=/; Max-Age=0");
		free(rq->out.buf);
		rq->out.buf = strdup("{}\n");
		rq->out.len = rq->out.buf != NULL ? 3 : 0;
		rq->out.status = 200;
	} else if (is(url, "/api/me") && get)
		put_me(&rq->out, x, rq->ui);
	else if (is(url, "/api/search") && get)
		route_search(rq, x);
	else if ((rt = ui_route_find(method, url, seg)) != NULL)
		route_call(rq, x, rt, seg);
	else if (is(url, "/api/consultations") && is(method, "POST")) {
		rq->ready = false;
		route_job(rq, x, UJ_ADD, NULL);
	} else if (strncmp(url, p, strlen(p)) == 0 && get &&
	    strchr(url + strlen(p), '/') == NULL) {
		rq->ready = false;
		route_job(rq, x, UJ_SHOW, url + strlen(p));
	} else if (is(url, "/api/status") && get) {
		rq->ready = false;
		route_job(rq, x, UJ_STATUS, NULL);
	} else
		ui_out_fail(&rq->out, OPS_NOT_FOUND, OPS_MSG_UI_NO_ROUTE, 2,
		    method, url);
}

static enum MHD_Result
send_asset(struct req *rq, const char *url)
{
	const struct ui_asset *a;
	const char *inm;

	if (is(url, "/"))
		url = "/index.html";
	for (a = ui_assets; a->path != NULL; a++)
		if (is(a->path, url))
			break;
	if (a->path == NULL)
		return (send_fail(rq, 404, OPS_MSG_UI_NO_ROUTE, 2, "GET", url));
	inm = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND,
	    "If-None-Match");
	if (inm != NULL && is(inm, a->etag))
		return (send_buf(rq->c, 304, NULL, (void *)(uintptr_t)"", 0,
		    MHD_RESPMEM_PERSISTENT, NULL, a->etag, false));
	return (send_buf(rq->c, 200, a->type, (void *)(uintptr_t)a->data,
	    a->len, MHD_RESPMEM_PERSISTENT, NULL, a->etag, false));
}

static bool
mutating(const char *method)
{

	return (!is(method, "GET") && !is(method, "HEAD"));
}

/*
 * What every request must show before anything runs: a Host naming us,
 * a body within UI_BODY_MAX; a mutating one our own Origin and (but
 * sign-in, which has no session yet) the session's CSRF token.  Return
 * MHD_YES to go on (${*go}), else what sending the refusal returned.
 */
static enum MHD_Result
check_first(struct req *rq, const char *url, const char *method, bool *go)
{
	struct ui *ui = rq->ui;
	const char *host, *origin, *len, *tok;
	struct ui_entry *x;
	char max[24];

	*go = false;
	host = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, "Host");
	if (!ui_host_ok(host, ui->host, ui->port))
		return (send_fail(rq, 421, OPS_MSG_UI_HOST, 2, host != NULL ?
		    host : "", ui->url));
	if (!is(method, "GET") && !is(method, "HEAD") && !is(method, "POST") &&
	    !is(method, "PUT") && !is(method, "DELETE"))
		return (send_fail(rq, 405, OPS_MSG_UI_METHOD, 1, method));
	len = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND,
	    "Content-Length");
	if (len != NULL && (strlen(len) > 9 || strtoul(len, NULL, 10) >
	    UI_BODY_MAX)) {
		snprintf(max, sizeof(max), "%d", UI_BODY_MAX);
		return (send_fail(rq, 413, OPS_MSG_UI_TOO_LARGE, 1, max));
	}
	if (mutating(method)) {
		origin = MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND,
		    "Origin");
		if (!ui_origin_ok(origin, ui->host, ui->port))
			return (send_fail(rq, 403, OPS_MSG_UI_ORIGIN, 1,
			    origin != NULL ? origin : "none"));
		if (!is(url, "/api/signin")) {
			tok = MHD_lookup_connection_value(rq->c,
			    MHD_HEADER_KIND, "X-CSRF-Token");
			if (tok == NULL)
				return (send_fail(rq, 403, OPS_MSG_UI_CSRF, 0));
			if ((x = session_of(rq)) == NULL)
				return (send_fail(rq, 401, OPS_MSG_UI_SIGNIN,
				    0));
			if (strlen(tok) != UI_ID_HEX - 1 || sodium_memcmp(tok,
			    x->csrf, UI_ID_HEX - 1) != 0)
				return (send_fail(rq, 403, OPS_MSG_UI_CSRF, 0));
		}
	}
	*go = true;
	return (MHD_YES);
}

static void
client_addr(struct req *rq)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(rq->c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[NI_MAXHOST];

	snprintf(rq->addr, sizeof(rq->addr), "?");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (getnameinfo(ci->client_addr, ci->client_addr->sa_family ==
	    AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
	    host, sizeof(host), NULL, 0, NI_NUMERICHOST) == 0)
		snprintf(rq->addr, sizeof(rq->addr), "%.63s", host);
}

/* Route a complete request; MHD_YES with ${rq} suspended, or sent. */
static enum MHD_Result
dispatch(struct req *rq, const char *url, const char *method)
{
	struct ui_entry *x;
	char max[24];

	if (rq->too_big) {
		snprintf(max, sizeof(max), "%d", UI_BODY_MAX);
		return (send_fail(rq, 413, OPS_MSG_UI_TOO_LARGE, 1, max));
	}
	if (strncmp(url, "/api/", 5) != 0) {
		if (mutating(method))
			return (send_fail(rq, 405, OPS_MSG_UI_METHOD, 1,
			    method));
		return (send_asset(rq, url));
	}
	if (is(url, "/api/signin")) {
		if (!is(method, "POST"))
			return (send_fail(rq, 405, OPS_MSG_UI_METHOD, 1,
			    method));
		route_signin(rq);
	} else if ((x = session_of(rq)) == NULL)
		return (send_fail(rq, 401, OPS_MSG_UI_SIGNIN, 0));
	else
		route_api(rq, url, method, x);
	if (rq->ready && !rq->suspended)
		return (send_out(rq));
	return (MHD_YES);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *up, size_t *uplen,
    void **ctx)
{
	struct ui *ui = cls;
	struct req *rq = *ctx;
	enum MHD_Result r;
	bool go;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return (MHD_NO);
		rq->ui = ui;
		rq->c = c;
		*ctx = rq;
		client_addr(rq);
		r = check_first(rq, url, method, &go);
		rq->sent = !go;		/* Refused: the rest is ignored. */
		return (r);
	}
	if (rq->sent) {
		*uplen = 0;
		return (MHD_YES);
	}
	if (*uplen > 0) {
		if (!rq->too_big) {
			char *nb = NULL;

			if (rq->len + *uplen > UI_BODY_MAX ||
			    (nb = realloc(rq->body, rq->len + *uplen + 1)) ==
			    NULL)
				rq->too_big = true;
			else {
				rq->body = nb;
				memcpy(rq->body + rq->len, up, *uplen);
				rq->len += *uplen;
				rq->body[rq->len] = '\0';
			}
		}
		*uplen = 0;
		return (MHD_YES);
	}
	if (rq->suspended)
		return (MHD_YES);
	if (rq->ready) {		/* Resumed with the answer. */
		rq->sent = true;
		return (send_out(rq));
	}
	r = dispatch(rq, url, method);
	rq->sent = !rq->suspended;
	return (r);
}

static void
completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode why)
{
	struct req *rq = *ctx;

	(void)cls;
	(void)c;
	(void)why;
	if (rq == NULL)
		return;
	if (rq->body != NULL) {
		sodium_memzero(rq->body, rq->len);
		free(rq->body);
	}
	free(rq->out.buf);
	free(rq);
	*ctx = NULL;
}

/* ---- The local socket of `hamroh ui`. */

static void
client_closed(uv_handle_t *h)
{
	struct sock_client *sc = h->data, **pp;

	for (pp = &sc->ui->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == sc) {
			*pp = sc->next;
			break;
		}
	sc->ui->nclients--;
	sodium_memzero(sc->buf, sizeof(sc->buf));
	free(sc);
}

static void
client_close(struct sock_client *sc)
{

	if (sc->closing)
		return;
	sc->closing = true;
	uv_close((uv_handle_t *)&sc->pipe, client_closed);
}

struct sock_write {
	uv_write_t		req;
	struct sock_client	*sc;
	char			line[600];
};

static void
answered(uv_write_t *w, int status)
{
	struct sock_write *sw = (struct sock_write *)w;

	(void)status;
	client_close(sw->sc);
	sodium_memzero(sw->line, sizeof(sw->line));
	free(sw);
}

static void
sock_answer(struct sock_client *sc, const char *line)
{
	struct sock_write *sw;
	uv_buf_t b;

	sc->busy = false;
	if (sc->closing)
		return;
	if ((sw = calloc(1, sizeof(*sw))) == NULL) {
		client_close(sc);
		return;
	}
	sw->sc = sc;
	snprintf(sw->line, sizeof(sw->line), "%s", line);
	b = uv_buf_init(sw->line, (unsigned)strlen(sw->line));
	if (uv_write(&sw->req, (uv_stream_t *)&sc->pipe, &b, 1, answered)) {
		free(sw);
		client_close(sc);
	}
}

static void
client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct sock_client *sc = h->data;

	(void)hint;
	*b = uv_buf_init(sc->buf + sc->len, (unsigned)(sizeof(sc->buf) -
	    sc->len));
}

static void
client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct sock_client *sc = s->data;
	char user[USER_NAME_MAX + 1];
	const char *pass;
	size_t plen;
	int r;

	(void)b;
	if (n < 0 || sc->busy) {
		if (n < 0 && !sc->busy)
			client_close(sc);
		return;
	}
	sc->len += (size_t)n;
	r = ui_sock_parse(sc->buf, sc->len, user, sizeof(user), &pass, &plen);
	if (r == 0 && sc->len < sizeof(sc->buf))
		return;
	uv_read_stop(s);
	if (r != 1) {
		sock_answer(sc, "error UI_SOCK_REQUEST give the user's name "
		    "and passphrase, one line each\n");
		return;
	}
	sc->busy = true;
	signin_start(sc->ui, NULL, sc, user, pass, plen, "local");
	sodium_memzero(sc->buf, sizeof(sc->buf));
}

static void
sock_conn(uv_stream_t *server, int status)
{
	struct ui *ui = server->data;
	struct sock_client *sc;

	if (status < 0 || (sc = calloc(1, sizeof(*sc))) == NULL)
		return;
	sc->ui = ui;
	uv_pipe_init(ui->loop, &sc->pipe, 0);
	sc->pipe.data = sc;
	sc->next = ui->clients;
	ui->clients = sc;
	ui->nclients++;
	if (uv_accept(server, (uv_stream_t *)&sc->pipe) != 0 ||
	    ui->nclients > SOCK_CLIENTS || ui->stopping) {
		client_close(sc);
		return;
	}
	uv_read_start((uv_stream_t *)&sc->pipe, client_alloc, client_read);
}

static int
sock_start(struct ui *ui, char *why, size_t len)
{
	mode_t old;
	int r;

	if ((size_t)snprintf(ui->sock_path, sizeof(ui->sock_path), "%s/%s",
	    ui->dir, UI_SOCK_FILE) >= sizeof(ui->sock_path) ||
	    strlen(ui->sock_path) >= sizeof(((struct sockaddr_un *)0)->
	    sun_path)) {
		snprintf(why, len, "the web UI's sign-in socket: the data "
		    "dir's path is too long for a socket; 'hamroh ui' will not "
		    "work, the sign-in page does");
		return (-1);
	}
	/* The agent holds the lock: a socket left there is a dead one's. */
	(void)unlink(ui->sock_path);
	uv_pipe_init(ui->loop, &ui->sock, 0);
	ui->sock.data = ui;
	old = umask(0177);
	r = uv_pipe_bind(&ui->sock, ui->sock_path);
	umask(old);
	if (r == 0)
		r = chmod(ui->sock_path, 0600) == 0 ? 0 : uv_translate_sys_error(
		    errno);
	if (r == 0)
		r = uv_listen((uv_stream_t *)&ui->sock, 4, sock_conn);
	if (r != 0) {
		snprintf(why, len, "the web UI's sign-in socket %s: %s; "
		    "'hamroh ui' will not work, the sign-in page does",
		    ui->sock_path, uv_strerror(r));
		uv_close((uv_handle_t *)&ui->sock, NULL);
		(void)unlink(ui->sock_path);
		return (-1);
	}
	ui->sock_on = true;
	return (0);
}

/* ---- Start and stop. */

static int
bind_listen(struct ui *ui, const char *at, char *why, size_t len)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[16];
	int fd = -1, one = 1, e;

	if (ui_split_listen(at, ui->host, sizeof(ui->host), port,
	    sizeof(port))) {
		snprintf(why, len, "--ui-listen %.60s is not HOST:PORT (such "
		    "as %s)", at, UI_DEFAULT_LISTEN);
		return (-1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(ui->host, port, &hints, &res)) != 0) {
		snprintf(why, len, "the web UI cannot listen on %.200s: %s; "
		    "give another address with --ui-listen HOST:PORT, or "
		    "--no-ui", at, gai_strerror(e));
		return (-1);
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    0)) == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 || bind(fd, res->ai_addr, res->ai_addrlen) !=
	    0 || listen(fd, 32) != 0 || getsockname(fd,
	    (struct sockaddr *)&ss, &sl) != 0) {
		e = errno;
		snprintf(why, len, "the web UI cannot listen on %.200s: %s; "
		    "give another address with --ui-listen HOST:PORT, or "
		    "--no-ui", at, strerror(e));
		if (fd != -1)
			close(fd);
		freeaddrinfo(res);
		return (-1);
	}
	freeaddrinfo(res);
	ui->lfd = fd;
	ui->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(ui->url, sizeof(ui->url), strchr(ui->host, ':') != NULL ?
	    "http://[%s]:%u/" : "http://%s:%u/", strcmp(ui->host,
	    "0.0.0.0") == 0 ? "127.0.0.1" : strcmp(ui->host, "::") == 0 ?
	    "::1" : ui->host, ui->port);
	return (0);
}

int
ui_start(const struct ui_config *cfg, struct ui **out, char *why,
    size_t len)
{
	const union MHD_DaemonInfo *di;
	struct ui *ui;

	*out = NULL;
	why[0] = '\0';
	if ((ui = calloc(1, sizeof(*ui))) == NULL ||
	    (ui->dir = strdup(cfg->dir)) == NULL) {
		free(ui);
		snprintf(why, len, "the web UI: out of memory");
		return (-1);
	}
	ui->loop = cfg->loop;
	ui->db = cfg->db;
	ui->sk = cfg->sk;
	ui->clock = cfg->clock;
	ui->clock_arg = cfg->clock_arg;
	ui->queue = cfg->queue;
	ui->queue_arg = cfg->queue_arg;
	ui->lfd = -1;
	ui_table_init(&ui->sess, MAX_SESSIONS, UI_SESS_IDLE_MS, true,
	    user_free);
	ui_table_init(&ui->tokens, MAX_TOKENS, UI_TOKEN_MS, false, token_free);
	ui_throttle_init(&ui->thr);
	if (bind_listen(ui, cfg->listen, why, len) != 0) {
		ui_free(ui);
		return (-1);
	}
	ui->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME,
	    0, NULL, NULL, handler, ui,
	    MHD_OPTION_LISTEN_SOCKET, ui->lfd,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, ui,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MAX_CONNS_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_END);
	if (ui->mhd == NULL || (di = MHD_get_daemon_info(ui->mhd,
	    MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
		snprintf(why, len, "the web UI cannot start on %.200s (%s); "
		    "give another address with --ui-listen HOST:PORT, or "
		    "--no-ui", ui->url, strerror(errno));
		ui_free(ui);
		return (-1);
	}
	uv_poll_init(ui->loop, &ui->poll, di->epoll_fd);
	ui->poll.data = ui;
	uv_poll_start(&ui->poll, UV_READABLE, poll_cb);
	uv_timer_init(ui->loop, &ui->timer);
	ui->timer.data = ui;
	uv_timer_init(ui->loop, &ui->sweep);
	ui->sweep.data = ui;
	uv_timer_start(&ui->sweep, sweep_cb, SWEEP_MS, SWEEP_MS);
	*out = ui;
	(void)sock_start(ui, why, len);
	mhd_step(ui);
	return (0);
}

const char *
ui_url(const struct ui *ui)
{

	return (ui->url);
}

void
ui_stop(struct ui *ui)
{
	struct sock_client *sc;

	if (ui == NULL || ui->stopping)
		return;
	ui->stopping = true;
	if (ui->mhd != NULL) {
		uv_close((uv_handle_t *)&ui->poll, NULL);
		uv_close((uv_handle_t *)&ui->timer, NULL);
		uv_close((uv_handle_t *)&ui->sweep, NULL);
	}
	for (sc = ui->clients; sc != NULL; sc = sc->next)
		if (!sc->busy)
			client_close(sc);
	if (ui->sock_on) {
		uv_close((uv_handle_t *)&ui->sock, NULL);
		(void)unlink(ui->sock_path);
		ui->sock_on = false;
	}
	/* Sessions end now: their keys are wiped before the loop stops. */
	ui_table_fini(&ui->sess);
	ui_table_fini(&ui->tokens);
}

void
ui_free(struct ui *ui)
{
	struct req *rq;

	if (ui == NULL)
		return;
	while ((rq = ui->susp) != NULL) {
		ui->susp = rq->next_susp;
		rq->suspended = false;
		MHD_resume_connection(rq->c);
	}
	if (ui->mhd != NULL)
		MHD_stop_daemon(ui->mhd);
	else if (ui->lfd != -1)
		close(ui->lfd);
	ui_table_fini(&ui->sess);
	ui_table_fini(&ui->tokens);
	free(ui->dir);
	free(ui);
}

/*
 * daemon.c: `hamroh agent` — the libuv event loop around sync sessions.
 *
 * It listens for peers, dials every known peer address with exponential
 * backoff and jitter, and runs one session.c per connection.  The session
 * does all protocol work on bytes; this file owns sockets, timers and
 * signals.  Writes are one allocation each, and a session is asked for
 * more output only while less than WRITE_HIGH bytes are in flight, so
 * memory does not grow with how far behind a peer is.  A peer that dials
 * in costs a descriptor and about 1 KiB until its message 1 is in, and
 * preauth.c bounds how many such connections there are.  A peer is not
 * read while more than INPUT_PAUSE_HIGH bytes owed to it wait (it sends
 * and does not read), nor while its session waits for the database.
 *
 * The loop's rule: one step takes at most LOOP_STEP_MAX_MS and never
 * waits for a lock.  The loop's database connection fails at once when
 * another process holds the lock (db_nowait()); a session that met it
 * stalls and is retried every BUSY_RETRY_MS, and status writes wait for
 * the next tick.  Checkpoints, which fsync, run on a worker with their
 * own connection (agent/daemon/work.h), as must anything else that may be slow.
 * A 10 ms timer measures the loop: SIGUSR1 logs the longest gap between
 * its ticks since the last SIGUSR1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/daemon/log.h"
#include "agent/access/member.h"
#include "agent/daemon/preauth.h"
#include "agent/daemon/pidlock.h"
#include "agent/sync/acked.h"
#include "agent/sync/admit.h"
#include "agent/sync/session.h"
#include "agent/daemon/work.h"
#include "agent/ops/node.h"
#include "agent/ui/check.h"
#include "agent/ui/ui.h"
#include "protocol/limits.h"
#include "store/db.h"
#include "store/hlc.h"
#include "store/query.h"

#define DEFAULT_LISTEN	"0.0.0.0:4411"
#define TICK_MS		100
#define PEER_SCAN_MS	2000
#define PING_IDLE_MS	15000
#define DEAD_MS		45000
#define HS_TIMEOUT	10000
#define ACKED_REFRESH_MS 30000	/* A peer's acked vector, rewritten. */
#define BACKOFF_MIN	1000
#define BACKOFF_MAX	(5 * 60 * 1000)
#define WRITE_HIGH	(1024 * 1024)
#define WRITE_CHUNK	(256 * 1024)
#define READ_BUF	(64 * 1024)
#define STATUS_MS	2000
#define MSG_NAME_LEN	101
#define PREAUTH_LOG_MS	10000		/* Dropped connections: one line per. */
#define RELISTEN_MS	1000		/* Listener closed for want of fds. */
#define LOOP_STEP_MAX_MS 50		/* The loop's rule, per step. */
/*
 * A received batch is applied in parts of about this long, the loop
 * turning between them (session_yielded()).  Committing a part costs
 * about as much again (SQLite writing its pages to the WAL: 10-15 ms for
 * 10 ms of applying, measured under load); the rest of the step has the
 * ACK, the batches we send and the other peers.
 */
#define APPLY_STEP_MS	10
#define WATCH_MS	10		/* The loop's pulse, measured. */
#define WATCH_LOG_MS	10000		/* Steps over the rule: one line per. */
#define BUSY_RETRY_MS	25		/* Database busy: try again after. */
#define CKPT_PAGES	1000		/* WAL pages: checkpoint off the loop. */
/*
 * WAL pages (of 4 KiB) past which the checkpoint restarts the WAL, our
 * commits held off meanwhile (db_hold()).  Passive checkpoints never
 * catch up with a stream of a peer's commits, and the WAL grew for as
 * long as it lasted: to 410 MB for 100,000 records.  A restart that had
 * to win the lock from the loop's commits waited seconds, the WAL still
 * growing; held off, they wait 100-200 ms.
 */
#define CKPT_RESTART_PAGES 8192

struct agent;

/* A peer address we dial. */
struct dialer {
	struct dialer	*next;
	struct agent	*ag;
	char		addr[300];
	uint8_t		key[NODE_KEY_LEN];
	uint64_t	next_try, backoff;
	struct conn	*conn;
	uv_getaddrinfo_t gai;
	bool		resolving, mark;
	uint64_t	last_sync;	/* Last seen in sync (ms). */
	char		last_error[2048];
	char		name[MSG_NAME_LEN];
	bool		unanswered_told;	/* Logged once per dialer. */
	bool		ended;		/* Its membership ended: not dialed. */
	uint64_t	ended_checked;	/* When that was last asked (ms). */
};

struct conn {
	struct conn	*next;
	struct agent	*ag;
	uv_tcp_t	tcp;
	uv_connect_t	creq;
	struct session	*s;
	struct dialer	*d;		/* NULL when the peer dialed us. */
	char		addr[320];
	char		fp[17];		/* Peer key fingerprint. */
	size_t		wpending;
	bool		closing, connected, synced, ending;
	bool		reading;	/* uv_read_start() in force. */
	bool		read_done;	/* The session ended on input. */
	bool		answered;	/* The peer sent something. */
	uint8_t		acked_hash[ACKED_HASH_LEN];	/* Last written, */
	uint64_t	acked_at;	/* and when, forced (acked.h). */
	bool		flooded;	/* Not read: owed too much, */
	bool		flood_told;	/* which is logged once. */
	bool		clock_later;	/* A measure to keep, db was busy. */
	uint64_t	started, last_rx, last_tx, last_ping, last_sync;
	/*
	 * A peer that dialed us gets no session and no read buffer until
	 * its message 1 is in: until then it is in ag->pre (preauth) and
	 * what it sends goes to m1, which holds message 1 and mac1 only.
	 */
	bool		preauth;
	bool		over_budget;	/* Refused at message 1: no fds. */
	uint8_t		net[PREAUTH_KEY_LEN];
	uint8_t		m1[SESSION_MSG1_LEN];
	size_t		m1len;
	uint8_t		*rbuf;		/* READ_BUF bytes, once a session runs. */
};

struct wreq {
	uv_write_t	req;
	struct conn	*c;
	size_t		len;
	uint8_t		data[];
};

struct agent {
	uv_loop_t	*loop;
	struct db	*db;
	uint8_t		*sk;
	uint8_t		pk[NODE_KEY_LEN], netkey[HS_PSK_LEN];
	char		name[128];
	uv_tcp_t	listener;
	uv_timer_t	tick;
	uv_timer_t	retry;		/* Sessions stalled on a busy db. */
	uv_idle_t	resume;		/* Sessions that yielded a step. */
	uv_timer_t	watch;		/* The loop's pulse. */
	uv_signal_t	sigint, sigterm, sigusr1;
	uint64_t	watch_last, watch_max, watch_logged;	/* ns, ns, ms */
	uint64_t	watch_n, watch_nover;	/* Ticks, late by a step over. */
	uint64_t	watch_over;	/* Longest step over the rule (ns). */
	struct work_pool *work;
	bool		ckpt_running;
	uint64_t	ckpt_pages;	/* WAL size the last one was for. */
	struct conn	*conns;
	struct dialer	*dialers;
	int64_t		data_version;
	uint64_t	last_scan, last_status;
	struct admit_rate rate;	/* Handshakes begun per address. */
	/*
	 * Connections before authentication, and the descriptors left for
	 * peers (preauth_limits()): nconns counts every connection open;
	 * those past message 1 are nconns - pre.n, within
	 * preauth_session_cap() of the npeers dialers we have.
	 */
	struct preauth	pre;
	size_t		nconns, max_conns, npeers;
	uint64_t	nofile;
	uint64_t	pre_dropped, pre_timed_out, pre_refused, pre_logged;
	uint64_t	budget_refused, budget_logged;
	int		reserve_fd;	/* Freed when accept() runs out. */
	struct sockaddr_storage bound;	/* For reopening the listener. */
	bool		relisten;	/* Listener closed, reopen at: */
	uint64_t	relisten_at;
	bool		stopping;
	bool		no_compress;	/* --no-compress: never offer zstd. */
	struct ui	*ui;		/* The web UI, unless --no-ui. */
	/* Our successor statements, sent after each message 1. */
	uint8_t		succ[SESSION_SUCC_MAX * SESSION_SUCC_LEN];
	size_t		nsucc;
	bool		clock_report;	/* A measure to publish, perhaps. */
	uint64_t	stop_at;
};

static uint64_t
now_ms(void)
{

	return (cli_now_ms());
}

static void
fingerprint(const uint8_t *key, char fp[17])
{

	if (key == NULL)
		snprintf(fp, 17, "?");
	else
		hex_encode(key, 8, fp);
}

static void conn_flush(struct conn *);
static void conn_close(struct conn *, const char *);
static void conn_pace(struct conn *);
static void write_status(struct agent *, uint64_t);
static bool connected_to(struct agent *, const uint8_t *);

static void
close_cb(uv_handle_t *h)
{
	struct conn *c = h->data, **pp;

	for (pp = &c->ag->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	session_free(c->s);
	free(c->rbuf);
	free(c);
}

/*
 * A dial the other side closed without a word: it could not authenticate
 * us.  Said in status (the dialer's last error) with the commands that
 * fix the one cause an administrator can: another office's key pinned
 * to that address (an invite's --address once meant that).
 */
static void
unanswered(struct dialer *d)
{
	struct member_rec r;
	char fp[17], hex[65], whose[400] = "", name[300];

	fingerprint(d->key, fp);
	hex_encode(d->key, 32, hex);
	if (member_load(d->ag->db, d->key, &r) == 1 && strcmp(r.key, hex) ==
	    0 && *r.name)
		snprintf(whose, sizeof(whose), ", member '%s''s key", log_esc(
		    name, sizeof(name), r.name, strlen(r.name), 0));
	else if (db_meta_get(d->ag->db, "admin_key", name, sizeof(name)) ==
	    0 && strcmp(name, hex) == 0)
		snprintf(whose, sizeof(whose), ", the key of the admin that "
		    "invited this office");
	snprintf(d->last_error, sizeof(d->last_error), "the office at %s "
	    "closed the connection without answering: it could not "
	    "authenticate this office.  Either it does not know this office "
	    "yet (wait for its certificate to reach it, or carry a bundle), "
	    "or the key pinned to %s (%s...%s) is not the key of the office "
	    "there; then run 'hamroh peer rm %s', then 'hamroh peer add %s "
	    "KEY' with KEY from 'hamroh id' on that office", d->addr, d->addr,
	    fp, whose, d->addr, d->addr);
	if (!d->unanswered_told)
		LOG_WARN("dialer", "peer=%s@%s: %s", fp, d->addr,
		    d->last_error);
	d->unanswered_told = true;
}

static void
conn_close(struct conn *c, const char *why)
{
	struct dialer *d = c->d;
	uint64_t now = now_ms();

	if (c->closing)
		return;
	c->closing = true;
	c->ag->nconns--;
	if (c->preauth) {
		preauth_remove(&c->ag->pre, c);
		c->preauth = false;
	}
	c->ag->last_status = 0;		/* Show it at the next tick. */
	/*
	 * Refused inbound handshakes were logged where they were refused.
	 * The others say what their commits cost on the wire, handshake,
	 * framing and all (t_catchup reads "sent N commits in M batches").
	 */
	if (c->synced || (c->connected && c->d != NULL))
		LOG_INFO("session", "peer=%s@%s %s; closing (sent %llu commits "
		    "in %llu batches, %llu bytes of commits as %llu bytes on "
		    "the wire, zstd %s; applied %llu)", c->fp, c->addr, why,
		    (unsigned long long)session_stats(c->s)->commits_sent,
		    (unsigned long long)session_stats(c->s)->batches_sent,
		    (unsigned long long)session_stats(c->s)->commit_bytes_out,
		    (unsigned long long)session_stats(c->s)->bytes_out,
		    session_zstd(c->s) ? "on" : "off",
		    (unsigned long long)session_stats(c->s)->commits_applied);
	if (d != NULL) {
		d->conn = NULL;
		snprintf(d->last_error, sizeof(d->last_error), "%s", why);
		if (c->connected && !c->answered && !c->synced)
			unanswered(d);
		if (c->synced)
			snprintf(d->name, sizeof(d->name), "%s",
			    session_peer_name(c->s));
		/* A session that synced resets the backoff; others grow it. */
		if (c->synced)
			d->backoff = 0;
		d->backoff = d->backoff == 0 ? BACKOFF_MIN :
		    d->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : d->backoff * 2;
		d->next_try = now + d->backoff / 2 +
		    randombytes_uniform((uint32_t)(d->backoff / 2 + 1));
	}
	/*
	 * A peer that dialed us and was then turned away (another protocol
	 * version, a bad commit) is shown in status too, not only logged;
	 * but not over the row of a live session with the same key: a
	 * refused message 1 may be a replay of that peer's, from anyone.
	 */
	if (d == NULL && c->s != NULL && session_peer(c->s) != NULL &&
	    session_error(c->s)[0] != '\0' && !c->over_budget &&
	    !connected_to(c->ag, session_peer(c->s))) {
		struct peer_status ps;
		char err[STORE_ERRLEN];

		memset(&ps, 0, sizeof(ps));
		memcpy(ps.key, session_peer(c->s), NODE_KEY_LEN);
		ps.name = session_peer_name(c->s);
		ps.addr = c->addr;
		ps.state = "disconnected (they dialed)";
		ps.last_error = session_error(c->s)[0] ? session_error(c->s) :
		    why;
		ps.last_sync = c->last_sync;
		ps.updated = now;
		if (db_peer_status_put(c->ag->db, &ps, err) &&
		    !db_busy(c->ag->db))
			LOG_WARN("agent", "cannot record peer status: %s", err);
	}
	uv_close((uv_handle_t *)&c->tcp, close_cb);
}

static void
write_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = w->c;

	c->wpending -= w->len;
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c, uv_strerror(status));
		return;
	}
	conn_flush(c);
}

/* Drain the session's output into the socket, under the high-water mark. */
static void
conn_flush(struct conn *c)
{
	const uint8_t *p;
	struct wreq *w;
	uv_buf_t b;
	size_t n;
	int r;

	session_clock(c->s, now_ms());
	while (!c->closing && c->connected && c->wpending < WRITE_HIGH) {
		session_output(c->s, &p, &n);
		if (n == 0 && !c->ending) {
			if (session_pump(c->s) != 0)
				c->ending = true;
			session_output(c->s, &p, &n);
		}
		if (n == 0)
			break;
		if (n > WRITE_CHUNK)
			n = WRITE_CHUNK;
		if ((w = malloc(sizeof(*w) + n)) == NULL) {
			conn_close(c, "out of memory");
			return;
		}
		w->c = c;
		w->len = n;
		memcpy(w->data, p, n);
		session_consumed(c->s, n);
		c->last_tx = now_ms();
		b = uv_buf_init((char *)w->data, (unsigned int)n);
		if ((r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1,
		    write_cb)) != 0) {
			free(w);
			conn_close(c, uv_strerror(r));
			return;
		}
		c->wpending += n;
	}
	/* Ended (BYE sent or received, or refused): close once flushed. */
	if (c->ending && !c->closing && c->wpending == 0)
		conn_close(c, session_error(c->s)[0] ? session_error(c->s) :
		    "session ended");
	conn_pace(c);
}

/* After a session synced: one session per peer pair. */
static void
dedupe(struct conn *c)
{
	struct agent *ag = c->ag;
	const uint8_t *peer = session_peer(c->s);
	struct conn *o;
	bool c_mine, keep_c;

	for (o = ag->conns; o != NULL; o = o->next) {
		if (o == c || o->closing || !o->synced ||
		    memcmp(session_peer(o->s), peer, NODE_KEY_LEN) != 0)
			continue;
		/* Keep the connection dialed by the smaller key. */
		c_mine = c->d != NULL;
		keep_c = (memcmp(ag->pk, peer, NODE_KEY_LEN) < 0) == c_mine;
		session_bye(keep_c ? o->s : c->s, "duplicate session");
		(keep_c ? o : c)->ending = true;
		conn_flush(keep_c ? o : c);
		return;
	}
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *c = h->data;

	(void)hint;
	/* Before message 1: its bytes and not one more. */
	if (c->s == NULL) {
		*b = uv_buf_init((char *)c->m1 + c->m1len,
		    (unsigned int)(sizeof(c->m1) - c->m1len));
		return;
	}
	/* An empty buffer makes read_cb see UV_ENOBUFS: it closes. */
	if (c->rbuf == NULL && (c->rbuf = malloc(READ_BUF)) == NULL) {
		*b = uv_buf_init(NULL, 0);
		return;
	}
	*b = uv_buf_init((char *)c->rbuf, READ_BUF);
}

static int conn_session(struct conn *);

/*
 * An inbound connection's message 1 (and mac1) is in: it leaves the
 * table of connections before authentication and gets its session.
 */
static int
msg1_in(struct conn *c)
{

	preauth_remove(&c->ag->pre, c);
	c->preauth = false;
	if (conn_session(c) != 0) {
		conn_close(c, "cannot start a session");
		return (-1);
	}
	return (0);
}

static void clock_measured(struct conn *, uint64_t);
static void alloc_cb(uv_handle_t *, size_t, uv_buf_t *);
static void read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);
static void retry_cb(uv_timer_t *);
static void resume_cb(uv_idle_t *);
static bool step_over(void *);

/* Bytes owed to the peer: in the session's output and handed to libuv. */
static size_t
conn_owed(struct conn *c)
{
	const uint8_t *p;
	size_t n = 0;

	if (c->s != NULL)
		session_output(c->s, &p, &n);
	return (n + c->wpending);
}

/*
 * Read the peer or not: not while its session can take no more input
 * (its handshake waits for the database, or it holds SESSION_QUEUE_MAX
 * behind a batch that does: session_wants_input()), nor while more than
 * INPUT_PAUSE_HIGH bytes owed to it wait — until they are down to
 * INPUT_PAUSE_LOW — so a peer that sends and never reads costs bounded
 * memory.  A stalled session gets the retry timer going.  Called after
 * each flush (reads, writes, retries, ticks).
 */
static void
conn_pace(struct conn *c)
{
	struct agent *ag = c->ag;
	size_t owed = conn_owed(c);
	bool stalled = c->s != NULL && session_stalled(c->s), want;

	if (c->closing || !c->connected || c->read_done)
		return;
	if (!c->flooded && owed > INPUT_PAUSE_HIGH) {
		c->flooded = true;
		if (!c->flood_told)
			LOG_INFO("session", "peer=%s@%s reads nothing of what "
			    "it is sent (%zu bytes wait); not reading it until "
			    "it does", c->fp, c->addr, owed);
		c->flood_told = true;
	} else if (c->flooded && owed < INPUT_PAUSE_LOW)
		c->flooded = false;
	want = (c->s == NULL || session_wants_input(c->s)) && !c->flooded;
	if (stalled && session_yielded(c->s)) {
		if (!uv_is_active((uv_handle_t *)&ag->resume))
			uv_idle_start(&ag->resume, resume_cb);
	} else if (stalled && !uv_is_active((uv_handle_t *)&ag->retry))
		uv_timer_start(&ag->retry, retry_cb, BUSY_RETRY_MS,
		    BUSY_RETRY_MS);
	if (want == c->reading)
		return;
	c->reading = want;
	if (want)
		uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
	else
		uv_read_stop((uv_stream_t *)&c->tcp);
}

/* What ${c}'s peer brought so far: commits applied, forks learned. */
static uint64_t
took(const struct conn *c)
{
	const struct session_stats *ss = session_stats(c->s);

	return (ss->commits_applied + ss->forks);
}

static int split_addr(const char *, char *, size_t, char *, size_t);

/*
 * An inbound message 1 whose mac1 fails: the dialer lacks the network
 * key, or it pinned another key to our address.  Say which members are
 * known at the host it came from, and the commands that fix the second.
 */
static void
mac1_log(struct conn *c)
{
	struct dialer *d;
	struct member_rec r;
	char host[320], h2[256], port[16], hex[65], known[400] = "";
	char name[512];
	const char *nm;
	char *colon;
	size_t off = 0, n = 0;

	snprintf(host, sizeof(host), "%s", c->addr);
	if ((colon = strrchr(host, ':')) != NULL)
		*colon = '\0';
	for (d = c->ag->dialers; d != NULL && n < 3; d = d->next) {
		if (split_addr(d->addr, h2, sizeof(h2), port, sizeof(port)) ||
		    strcmp(h2, host) != 0)
			continue;
		hex_encode(d->key, 32, hex);
		nm = *d->name ? d->name : member_load(c->ag->db, d->key, &r) ==
		    1 && strcmp(r.key, hex) == 0 && *r.name ? r.name : "-";
		off += (size_t)snprintf(known + off, sizeof(known) - off,
		    "%s'%s' (%.16s... at %s)", n++ ? ", " : "",
		    log_esc(name, sizeof(name), nm, strlen(nm), 0), hex,
		    d->addr);
		if (off >= sizeof(known))
			break;
	}
	hex_encode(c->ag->pk, 32, hex);
	LOG_INFO("handshake", "peer=?@%s %s: the dialer does not hold this "
	    "network's key, or it dials this node with another node's key "
	    "pinned to this node's address; %s %s%s%s; on that office run "
	    "'hamroh peer rm HOST:PORT' then 'hamroh peer add HOST:PORT %s' "
	    "(HOST:PORT: where it dials this node)", c->addr,
	    session_error(c->s), n ? "members known at host" : "host", host,
	    n ? ": " : " is no member's address known here", n ? known : "",
	    hex);
}

/*
 * After the session took input (read, or retried): ${rc} is what
 * session_input() or session_retry() returned, ${applied} what took()
 * said before (commits applied, and forks learned: a proof to pass on).
 */
static void
conn_took(struct conn *c, int rc, uint64_t applied, uint64_t now)
{
	const struct session_stats *ss;
	struct conn *o;

	if (rc != 0) {
		/*
		 * Refused handshakes have nothing queued (but message 2 to a
		 * node of another version): nothing else is sent.
		 */
		if (session_peer(c->s) != NULL)	/* Name who, if known. */
			fingerprint(session_peer(c->s), c->fp);
		if (c->d == NULL && strstr(session_error(c->s), "bad mac1"))
			mac1_log(c);
		else if (!c->over_budget)	/* Counted (budget_log()). */
			LOG_INFO("session", "peer=%s@%s %s", c->fp, c->addr,
			    session_error(c->s));
		c->ending = true;
		c->read_done = true;
		if (c->reading)
			uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	}
	if (!c->synced && session_synced(c->s)) {
		c->synced = true;
		fingerprint(session_peer(c->s), c->fp);
		clock_measured(c, now);
		LOG_INFO("session", "peer=%s@%s (%s) up", c->fp, c->addr,
		    session_peer_name(c->s));
		if (c->d != NULL)
			c->d->backoff = 0;
		dedupe(c);
		write_status(c->ag, now);	/* Show it now. */
	}
	ss = session_stats(c->s);
	LOG_DEBUG("session", "peer=%s@%s in=%llu applied=%llu", c->fp,
	    c->addr, (unsigned long long)ss->bytes_in,
	    (unsigned long long)ss->commits_applied);
	conn_flush(c);
	/*
	 * Our own connection's commits do not move data_version: relay what
	 * this peer brought to every other peer now.
	 */
	if (took(c) > applied)
		for (o = c->ag->conns; o != NULL; o = o->next)
			if (o != c && o->synced && !o->closing) {
				session_kick(o->s);
				conn_flush(o);
			}
}

/*
 * Try the stalled sessions again: those that waited for the database
 * (${busy}), or those that yielded a step (not ${busy}).  Whether any is
 * still of that kind.
 */
static bool
retry(struct agent *ag, bool busy)
{
	struct conn *c, *next;
	uint64_t now = now_ms(), applied;
	bool more = false;

	for (c = ag->conns; c != NULL; c = next) {
		next = c->next;
		if (c->closing || c->s == NULL || !session_stalled(c->s) ||
		    session_yielded(c->s) == busy)
			continue;
		/* We may have chosen not to read: the link is not dead. */
		if (!c->reading)
			c->last_rx = now;
		applied = took(c);
		conn_took(c, session_retry(c->s, now), applied, now);
		if (!c->closing && session_stalled(c->s) &&
		    session_yielded(c->s) != busy)
			more = true;
	}
	return (more);
}

/* Sessions that waited for the database: try again. */
static void
retry_cb(uv_timer_t *t)
{

	if (!retry(t->data, true))
		uv_timer_stop(t);
}

/* Sessions that yielded the last step go on at this one. */
static void
resume_cb(uv_idle_t *h)
{

	if (!retry(h->data, false))
		uv_idle_stop(h);
}

/*
 * The session's cfg.step_over: this turn of the loop has run for
 * APPLY_STEP_MS since it polled (uv_now() is the time it polled).
 */
static bool
step_over(void *arg)
{
	struct conn *c = arg;

	return (uv_hrtime() / 1000000 >= uv_now(c->ag->loop) + APPLY_STEP_MS);
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = st->data;
	const uint8_t *in = c->rbuf;
	uint64_t now = now_ms(), applied;

	(void)b;
	if (n == 0 || c->closing)
		return;
	if (n < 0) {
		conn_close(c, n == UV_EOF ? "connection closed by peer" :
		    uv_strerror((int)n));
		return;
	}
	c->last_rx = now;
	c->answered = true;
	if (c->s == NULL) {
		c->m1len += (size_t)n;
		if (c->m1len < sizeof(c->m1) || msg1_in(c) != 0)
			return;
		in = c->m1;
		n = (ssize_t)sizeof(c->m1);
	}
	applied = took(c);
	conn_took(c, session_input(c->s, in, (size_t)n, now), applied, now);
}

/*
 * The statements of our own lineage, sent after every message 1, so that
 * a peer that knows only a key we continued admits us on our first dial.
 */
static void
own_lineage(struct agent *ag)
{
	int n;

	if ((n = admit_lineage(ag->db, ag->pk, ag->succ)) < 0) {
		LOG_WARN("agent", "cannot read this node's successor "
		    "statements: peers that do not hold them yet refuse it");
		n = 0;
	}
	ag->nsucc = (size_t)n;
}


/* Whether ${key} is a peer we dial (the peers table, members' addresses). */
static bool
our_peer(struct agent *ag, const uint8_t *key)
{
	struct dialer *d;

	for (d = ag->dialers; d != NULL; d = d->next)
		if (memcmp(d->key, key, NODE_KEY_LEN) == 0)
			return (true);
	return (false);
}

/*
 * Whether the descriptor budget has room for ${more} connections past
 * message 1 with a peer we dial (${ours}) or another member: for a dial.
 * A peer's message 1 is admit_peer()'s to judge, by the same budget.
 */
static bool
budget_room(struct agent *ag, bool ours, size_t more)
{

	return (ag->nconns - ag->pre.n + more <= preauth_session_cap(
	    ag->max_conns, ag->pre.max, ag->npeers, ours));
}

/*
 * Responder: admit_peer() says whether the peer may complete the
 * handshake; this says why not, in the log.
 */
static int
admit(void *arg, const uint8_t *peer, uint64_t ts, const uint8_t *succ,
    size_t nsucc)
{
	struct conn *c = arg;
	struct agent *ag = c->ag;
	struct admit_ask a;
	char why[STORE_ERRLEN], fp[17];

	fingerprint(peer, fp);
	a.key = peer;
	a.ctr = ts;
	a.succ = succ;
	a.nsucc = nsucc;
	a.now_ms = now_ms();
	a.held = ag->nconns - ag->pre.n;
	a.cap = preauth_session_cap(ag->max_conns, ag->pre.max, ag->npeers,
	    our_peer(ag, peer));
	switch (admit_peer(ag->db, &a, why, sizeof(why))) {
	case ADMIT_OK:
		return (0);
	case ADMIT_BUSY:
		return (1);	/* Ask again: the session stalls. */
	case ADMIT_NO_ROOM:
		/*
		 * Counted and logged once per PREAUTH_LOG_MS (budget_log());
		 * a line or a status row per connection would cost more than
		 * the connection.
		 */
		ag->budget_refused++;
		c->over_budget = true;
		return (-1);
	case ADMIT_ERROR:
		LOG_WARN("handshake", "peer=%s: %s", fp, why);
		return (-1);
	default:
		LOG_INFO("handshake", "peer=%s refused: %s", fp, why);
		return (-1);
	}
}

/* ${c}'s session: at once for a dial, after message 1 for a peer's. */
static int
conn_session(struct conn *c)
{
	struct agent *ag = c->ag;
	struct session_cfg cfg;
	char err[SESSION_ERRLEN];

	memset(&cfg, 0, sizeof(cfg));
	cfg.db = ag->db;
	cfg.initiator = c->d != NULL;
	cfg.ed_sk = ag->sk;
	cfg.peer = c->d != NULL ? c->d->key : NULL;
	cfg.netkey = ag->netkey;
	cfg.name = ag->name;
	cfg.admit = admit;
	cfg.succ = ag->succ;
	cfg.nsucc = ag->nsucc;
	cfg.step_over = step_over;
	cfg.arg = c;
	cfg.now_ms = c->d != NULL ? c->started : now_ms();
	cfg.compress = !ag->no_compress;
	(void)db_busy(ag->db);
	if ((c->s = session_new(&cfg, err)) == NULL) {
		/* A dialer tries again at the next tick. */
		if (db_busy(ag->db))
			LOG_DEBUG("session", "cannot start yet: %s", err);
		else
			LOG_WARN("session", "cannot start: %s", err);
		return (-1);
	}
	return (0);
}

static struct conn *
conn_new(struct agent *ag, struct dialer *d)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->ag = ag;
	c->d = d;
	c->started = c->last_rx = now_ms();
	if (d != NULL && conn_session(c) != 0) {
		free(c);
		return (NULL);
	}
	if (uv_tcp_init(ag->loop, &c->tcp) != 0) {
		session_free(c->s);
		free(c);
		return (NULL);
	}
	c->tcp.data = c;
	c->next = ag->conns;
	ag->conns = c;
	ag->nconns++;
	if (d != NULL) {
		fingerprint(d->key, c->fp);
		snprintf(c->addr, sizeof(c->addr), "%s", d->addr);
	}
	return (c);
}

/* Drop ${v}, a connection before authentication, to make room. */
static void
preauth_drop(struct agent *ag, struct conn *v, const char *why)
{

	ag->pre_dropped++;
	conn_close(v, why);
}

static void accept_cb(uv_stream_t *, int);

static void
listener_closed_cb(uv_handle_t *h)
{
	struct agent *ag = h->data;

	ag->relisten = true;
	ag->relisten_at = now_ms() + RELISTEN_MS;
}

/* The listener again, on the address it had (port 0 stays its port). */
static void
relisten(struct agent *ag)
{
	int r;

	ag->relisten = false;
	uv_tcp_init(ag->loop, &ag->listener);
	ag->listener.data = ag;
	if ((r = uv_tcp_bind(&ag->listener, (struct sockaddr *)&ag->bound,
	    0)) != 0 || (r = uv_listen((uv_stream_t *)&ag->listener, 64,
	    accept_cb)) != 0) {
		LOG_WARN("listener", "cannot listen again: %s; retrying",
		    uv_strerror(r));
		uv_close((uv_handle_t *)&ag->listener, listener_closed_cb);
		return;
	}
	LOG_INFO("listener", "listening again");
}

/*
 * accept() failed for want of a descriptor, and libuv's own reserve
 * descriptor, with which it drops waiting connections, is spent too.
 * libuv calls again at once for as long as connections wait: free a
 * descriptor, so that the next accept() takes one of them, or the loop
 * would spin.  The oldest connection before authentication goes first,
 * then our reserve descriptor (reopened at the next tick); with neither,
 * the listener closes for a second.
 */
static void
out_of_fds(struct agent *ag, int status)
{
	struct conn *v;

	if ((v = preauth_victim(&ag->pre)) != NULL)
		preauth_drop(ag, v, "out of file descriptors");
	else if (ag->reserve_fd != -1) {
		close(ag->reserve_fd);
		ag->reserve_fd = -1;
	} else if (!uv_is_closing((uv_handle_t *)&ag->listener)) {
		LOG_WARN("listener", "accept: %s, with no connection to drop; "
		    "not listening for %d s", uv_strerror(status),
		    RELISTEN_MS / 1000);
		uv_close((uv_handle_t *)&ag->listener, listener_closed_cb);
	}
}

static void
accept_cb(uv_stream_t *srv, int status)
{
	struct agent *ag = srv->data;
	struct sockaddr_storage ss;
	struct conn *c, *v;
	int len = sizeof(ss);
	char host[ADMIT_HOST_LEN];
	bool told;

	if (status == UV_EMFILE || status == UV_ENFILE) {
		out_of_fds(ag, status);
		return;
	}
	if (status < 0 || ag->stopping)
		return;
	if ((c = conn_new(ag, NULL)) == NULL)
		return;
	if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c, "accept failed");
		return;
	}
	c->connected = true;
	memset(&ss, 0, sizeof(ss));
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6)
			uv_ip6_name((struct sockaddr_in6 *)&ss, host,
			    sizeof(host));
		else
			uv_ip4_name((struct sockaddr_in *)&ss, host,
			    sizeof(host));
		snprintf(c->addr, sizeof(c->addr), "%s:%d", host,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
		if (!admit_rate(&ag->rate, host, c->started, &told)) {
			if (told)
				LOG_INFO("listener", "%s: over %d handshakes in "
				    "%d s; refusing it for now", host,
				    ADMIT_RATE_MAX, ADMIT_RATE_WINDOW_MS / 1000);
			conn_close(c, "rate limited");
			return;
		}
		preauth_key((struct sockaddr *)&ss, c->net);
	}
	/*
	 * Every connection holds a descriptor: past the agent's share for
	 * peers, the oldest connection before authentication makes room,
	 * and if there is none (members' sessions hold them all), this one
	 * is turned away.  Then the table's own caps.
	 */
	if (ag->nconns > ag->max_conns) {
		if ((v = preauth_victim(&ag->pre)) == NULL) {
			ag->pre_refused++;
			conn_close(c, "out of file descriptors for peers");
			return;
		}
		preauth_drop(ag, v, "out of file descriptors for peers");
	}
	if ((v = preauth_add(&ag->pre, c->net, c)) != NULL)
		preauth_drop(ag, v, "too many connections before "
		    "authentication");
	c->preauth = true;
	snprintf(c->fp, sizeof(c->fp), "?");
	uv_tcp_nodelay(&c->tcp, 1);
	c->reading = true;
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void
connect_cb(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	if (c->closing)
		return;
	if (status < 0) {
		LOG_DEBUG("dialer", "%s: %s", c->addr, uv_strerror(status));
		conn_close(c, uv_strerror(status));
		return;
	}
	c->connected = true;
	uv_tcp_nodelay(&c->tcp, 1);
	c->reading = true;
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
	conn_flush(c);
}

/* Split "host:port" (or "[v6]:port"). */
static int
split_addr(const char *addr, char *host, size_t hl, char *port, size_t pl)
{
	const char *colon = strrchr(addr, ':');
	size_t n;

	if (colon == NULL || colon == addr || colon[1] == '\0')
		return (-1);
	n = (size_t)(colon - addr);
	if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= hl || strlen(colon + 1) >= pl)
		return (-1);
	memcpy(host, addr, n);
	host[n] = '\0';
	snprintf(port, pl, "%s", colon + 1);
	return (0);
}

static void
resolved_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct dialer *d = req->data;
	struct conn *c;

	d->resolving = false;
	if (status < 0 || d->ag->stopping || d->mark) {
		if (status < 0)
			LOG_INFO("dialer", "%s: %s", d->addr,
			    uv_strerror(status));
		uv_freeaddrinfo(res);
		if (d->mark)
			free(d);
		else {
			d->backoff = d->backoff ? (d->backoff * 2 > BACKOFF_MAX ?
			    BACKOFF_MAX : d->backoff * 2) : BACKOFF_MIN;
			d->next_try = now_ms() + d->backoff;
		}
		return;
	}
	if ((c = conn_new(d->ag, d)) == NULL) {
		uv_freeaddrinfo(res);
		return;
	}
	d->conn = c;
	c->creq.data = c;
	if (uv_tcp_connect(&c->creq, &c->tcp, res->ai_addr, connect_cb) != 0)
		conn_close(c, "connect failed");
	uv_freeaddrinfo(res);
}

/* How often a dialer's membership is asked again without a change. */
#define ENDED_RECHECK_MS	60000

/*
 * Whether ${d}'s membership ended (revoked, expired): such a member is
 * not dialed, said once in the log, until it is a member again (a new
 * invite).  Asked after every change of the data and once a minute.
 */
static bool
dialer_ended(struct agent *ag, struct dialer *d, uint64_t now)
{
	char why[512], fp[17];
	bool ended;

	if (d->ended_checked != 0 && now - d->ended_checked < ENDED_RECHECK_MS)
		return (d->ended);
	(void)db_busy(ag->db);
	ended = !admit_may_dial(ag->db, d->key, now, why, sizeof(why));
	if (db_busy(ag->db))
		return (d->ended);	/* Asked again at the next tick. */
	d->ended_checked = now;
	fingerprint(d->key, fp);
	if (ended && !d->ended)
		LOG_INFO("dialer", "not dialing peer=%s@%s: no longer a member "
		    "(%s)", fp, d->addr, why);
	else if (!ended && d->ended)
		LOG_INFO("dialer", "dialing peer=%s@%s again: a member again",
		    fp, d->addr);
	d->ended = ended;
	return (ended);
}

static void
dial(struct dialer *d)
{
	struct addrinfo hints;
	char host[256], port[16], fp[17];

	if (split_addr(d->addr, host, sizeof(host), port, sizeof(port))) {
		d->next_try = UINT64_MAX;
		LOG_WARN("dialer", "%s is not HOST:PORT; remove it with "
		    "'hamroh peer rm'", d->addr);
		return;
	}
	fingerprint(d->key, fp);
	LOG_DEBUG("dialer", "dialing peer=%s@%s", fp, d->addr);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	d->gai.data = d;
	d->resolving = true;
	if (uv_getaddrinfo(d->ag->loop, &d->gai, resolved_cb, host, port,
	    &hints) != 0) {
		d->resolving = false;
		d->next_try = now_ms() + BACKOFF_MIN;
	}
}

static int
peer_cb(void *arg, const char *addr, const uint8_t *key)
{
	struct agent *ag = arg;
	struct dialer *d;
	char fp[17];

	if (key == NULL || memcmp(key, ag->pk, 32) == 0)
		return (0);
	for (d = ag->dialers; d != NULL; d = d->next)
		if (strcmp(d->addr, addr) == 0 &&
		    memcmp(d->key, key, NODE_KEY_LEN) == 0) {
			d->mark = false;
			return (0);
		}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (-1);
	d->ag = ag;
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	memcpy(d->key, key, NODE_KEY_LEN);
	d->next = ag->dialers;
	ag->dialers = d;
	fingerprint(key, fp);
	LOG_INFO("dialer", "will dial peer=%s@%s", fp, addr);
	return (0);
}

/* Members publish where they can be reached: dial those too. */
static int
member_addr_cb(void *arg, const struct rview *rv)
{
	const char *keyhex = NULL, *addrs = NULL;
	char buf[1001], *tok, *save;
	uint8_t key[NODE_KEY_LEN];
	size_t i, alen = 0;

	for (i = 0; i < rv->nf; i++) {
		if (rv->f[i].v.t != VAL_STR)
			continue;
		if (strcmp(rv->f[i].name, "key") == 0)
			keyhex = rv->f[i].v.s;
		else if (strcmp(rv->f[i].name, "addresses") == 0) {
			addrs = rv->f[i].v.s;
			alen = rv->f[i].v.len;
		}
	}
	if (keyhex == NULL || addrs == NULL || alen >= sizeof(buf) ||
	    hex_decode(keyhex, key, sizeof(key)))
		return (0);
	memcpy(buf, addrs, alen);
	buf[alen] = '\0';
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		if (peer_cb(arg, tok, key))
			return (-1);
	return (0);
}

/* Bring the dialers in line with the peers table and members' addresses. */
static void
scan_peers(struct agent *ag)
{
	struct dialer *d, **pp;
	char err[STORE_ERRLEN];

	for (d = ag->dialers; d != NULL; d = d->next) {
		d->mark = true;
		d->ended_checked = 0;	/* The data changed: ask again. */
	}
	if (db_peers(ag->db, peer_cb, ag, err))
		LOG_WARN("dialer", "cannot read peers: %s", err);
	if (query_records(ag->db, schema_coll("members"), NULL, NULL, 0,
	    false, member_addr_cb, ag, err) < 0)
		LOG_WARN("dialer", "cannot read members: %s", err);
	ag->npeers = 0;
	for (pp = &ag->dialers; (d = *pp) != NULL;) {
		if (!d->mark) {
			ag->npeers++;
			pp = &d->next;
			continue;
		}
		*pp = d->next;
		if (d->conn != NULL) {
			d->conn->d = NULL;
			conn_close(d->conn, "peer removed");
		}
		/* A pending resolve frees it in its callback. */
		if (!d->resolving)
			free(d);
	}
}

static void
status_row(struct agent *ag, struct peer_status *ps, struct conn *c,
    struct dialer *d, uint64_t now)
{
	char err[STORE_ERRLEN];
	bool force;

	ps->updated = now;
	if (c != NULL && c->synced) {
		session_lag(c->s, &ps->they_lack, &ps->we_lack);
		ps->bytes_in = session_stats(c->s)->bytes_in;
		ps->bytes_out = session_stats(c->s)->bytes_out;
		if (ps->they_lack == 0 && ps->we_lack == 0)
			c->last_sync = now;
		ps->last_sync = c->last_sync;
		if (d != NULL)
			d->last_sync = c->last_sync;
		/*
		 * What it holds, for status to count what none holds: when
		 * it changed, and every ACKED_REFRESH_MS to say it is fresh.
		 */
		force = now - c->acked_at >= ACKED_REFRESH_MS;
		if (force)
			c->acked_at = now;
		if (acked_put(ag->db, session_peer(c->s), now, c->s,
		    c->acked_hash, force, err))
			LOG_WARN("agent", "cannot record what a peer holds: %s",
			    err);
	}
	if (db_peer_status_put(ag->db, ps, err))
		LOG_WARN("agent", "cannot record peer status: %s", err);
}

/* What `hamroh status` shows of each peer. */
static void
write_status(struct agent *ag, uint64_t now)
{
	struct peer_status ps;
	struct dialer *d;
	struct conn *c;
	char err[STORE_ERRLEN];

	/*
	 * Status is shown, not kept: no fsync for it on the loop.  While
	 * another process holds the database, the next tick writes it.
	 */
	(void)db_busy(ag->db);
	db_durable(ag->db, false);
	if (db_begin(ag->db, now, err)) {
		db_durable(ag->db, true);
		if (!db_busy(ag->db))
			LOG_WARN("agent", "cannot record peer status: %s", err);
		return;
	}
	for (d = ag->dialers; d != NULL; d = d->next) {
		memset(&ps, 0, sizeof(ps));
		memcpy(ps.key, d->key, NODE_KEY_LEN);
		ps.addr = d->addr;
		ps.name = d->name;
		ps.last_error = d->last_error;
		ps.last_sync = d->last_sync;
		c = d->conn;
		if (d->ended && c == NULL)
			ps.state = "not dialed: no longer a member";
		else if (c != NULL && c->synced) {
			ps.state = "connected";
			ps.name = session_peer_name(c->s);
		} else if (c != NULL || d->resolving)
			ps.state = "connecting";
		else if (d->backoff > 0) {
			ps.state = "backing off";
			ps.retry_at = d->next_try;
		} else
			ps.state = "never reached";
		status_row(ag, &ps, c, d, now);
	}
	for (c = ag->conns; c != NULL; c = c->next) {
		if (c->d != NULL || !c->synced || c->closing)
			continue;
		memset(&ps, 0, sizeof(ps));
		memcpy(ps.key, session_peer(c->s), NODE_KEY_LEN);
		ps.addr = c->addr;
		ps.name = session_peer_name(c->s);
		ps.state = "connected (they dialed)";
		ps.last_error = "";
		status_row(ag, &ps, c, NULL, now);
	}
	if (db_commit(ag->db, err) && !db_busy(ag->db))
		LOG_WARN("agent", "cannot record peer status: %s", err);
	db_durable(ag->db, true);
}

/* What a report of clocks says, to the minute: it changes rarely. */
struct clock_rep {
	const uint8_t	*me;
	char		text[1400], sig[1400];
	size_t		n, len, slen;
	uint8_t		last[NODE_KEY_LEN];
	bool		any;
};

static int
clock_rep_cb(void *arg, const struct db_clock *c)
{
	struct clock_rep *r = arg;
	char hex[65];
	int64_t off = c->offset_ms;
	int k, ks;

	/*
	 * Ours (a session's, or a commit's lower bound), of each node the
	 * newest, only those more than 5 minutes off.
	 */
	if (memcmp(c->observer, r->me, NODE_KEY_LEN) != 0 ||
	    strcmp(c->via, "report") == 0 || (r->any &&
	    memcmp(r->last, c->subject, NODE_KEY_LEN) == 0))
		return (0);
	r->any = true;
	memcpy(r->last, c->subject, NODE_KEY_LEN);
	if ((off < 0 ? -off : off) <= HLC_SKEW_MS || r->n == 16)
		return (0);
	sodium_bin2hex(hex, sizeof(hex), c->subject, 32);
	k = snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s%s=%lld@"
	    "%llu", r->n ? " " : "", hex, (long long)off,
	    (unsigned long long)c->at_ms);
	ks = snprintf(r->sig + r->slen, sizeof(r->sig) - r->slen, "%s=%lld ",
	    hex, (long long)(off / 60000));
	if (k < 0 || (size_t)k >= sizeof(r->text) - r->len || ks < 0 ||
	    (size_t)ks >= sizeof(r->sig) - r->slen)
		return (1);
	r->len += (size_t)k;
	r->slen += (size_t)ks;
	r->n++;
	return (0);
}

/*
 * Publish in our own members record the clocks our sessions measured
 * more than 5 minutes off (field clocks), when that changed by a minute or
 * more, so that every node sees an office that talks only to its region.
 */
static void
clock_publish(struct agent *ag, uint64_t now)
{
	const struct coll_def *m = schema_coll("members");
	const struct field_def *f = schema_field(m, "clocks", 6);
	struct clock_rep r;
	char err[STORE_ERRLEN], old[1400];
	struct val v;

	ag->clock_report = false;
	memset(&r, 0, sizeof(r));
	r.me = ag->pk;
	if (db_clocks(ag->db, clock_rep_cb, &r, err) < 0)
		return;
	if (db_meta_get(ag->db, "clock_report", old, sizeof(old)) != 0)
		old[0] = '\0';
	if (strcmp(old, r.sig) == 0)
		return;
	memset(&v, 0, sizeof(v));
	v.t = r.n > 0 ? VAL_STR : VAL_NIL;
	v.s = r.text;
	v.len = r.len;
	(void)db_busy(ag->db);
	if (db_begin(ag->db, now, err) ||
	    db_put(ag->db, m, ag->pk, f, &v, err) ||
	    db_meta_set(ag->db, "clock_report", r.sig, err) ||
	    db_commit(ag->db, err)) {
		db_rollback(ag->db);
		if (db_busy(ag->db))
			ag->clock_report = true;	/* The next tick. */
		else
			LOG_INFO("agent", "cannot publish the clocks "
			    "measured: %s", err);
	}
}

/* A session measured the peer's clock against ours: keep it. */
static void
clock_measured(struct conn *c, uint64_t now)
{
	char err[STORE_ERRLEN], sp[32];
	int64_t off;

	c->clock_later = false;
	if (!session_peer_clock_offset(c->s, &off))
		return;
	(void)db_busy(c->ag->db);
	if (db_clock_note(c->ag->db, session_peer(c->s), c->ag->pk, off, now,
	    "session", err)) {
		if (db_busy(c->ag->db))
			c->clock_later = true;	/* Kept at a later tick. */
		else
			LOG_WARN("agent", "cannot keep a clock measure: %s",
			    err);
		return;
	}
	if ((off < 0 ? -off : off) > HLC_SKEW_MS) {
		hlc_span((uint64_t)(off < 0 ? -off : off), sp);
		LOG_WARN("session", "peer=%s@%s clock is %s %s of ours; one of"
		    " the two clocks is wrong", c->fp, c->addr, sp,
		    off > 0 ? "ahead" : "behind");
	}
	c->ag->clock_report = true;
}

/* A checkpoint: on a worker, on its own connection (agent/daemon/work.h). */
struct ckpt {
	struct agent	*ag;
	bool		restart;
	uint64_t	frames;
};

static int
ckpt_run(struct db *db, void *arg, char err[STORE_ERRLEN])
{
	struct ckpt *k = arg;

	return (db_checkpoint(db, k->restart, &k->frames, err));
}

static void
ckpt_done(void *arg, int rc, const char *err)
{
	struct ckpt *k = arg;

	k->ag->ckpt_running = false;
	if (k->restart) {
		db_hold(k->ag->db, false);
		if (!k->ag->stopping)	/* What waited for it goes on. */
			uv_timer_start(&k->ag->retry, retry_cb, 0,
			    BUSY_RETRY_MS);
	}
	if (rc != 0)
		LOG_WARN("agent", "WAL checkpoint: %s", err);
	else
		LOG_DEBUG("agent", "WAL checkpoint%s: %llu frames",
		    k->restart ? " (restart)" : "",
		    (unsigned long long)k->frames);
	free(k);
}

/*
 * The loop's connection never checkpoints (db_nowait()): once its commits
 * have made the WAL CKPT_PAGES long, a job does it, one at a time, and
 * again only after the WAL changed.
 */
static void
ckpt_maybe(struct agent *ag)
{
	uint64_t pages = db_wal_pages(ag->db);
	struct ckpt *k;

	if (ag->ckpt_running || ag->stopping || pages < CKPT_PAGES ||
	    pages == ag->ckpt_pages)
		return;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return;
	k->ag = ag;
	k->restart = pages >= CKPT_RESTART_PAGES;
	if (work_queue(ag->work, ckpt_run, ckpt_done, k) != 0) {
		free(k);
		return;
	}
	ag->ckpt_running = true;
	ag->ckpt_pages = pages;
	/* Our commits would fight it for the lock: they wait (retry_cb()). */
	if (k->restart)
		db_hold(ag->db, true);
}

/*
 * The loop's pulse: a WATCH_MS timer whose late ticks say how long the
 * step before them took.  A step over the rule is logged, one line per
 * WATCH_LOG_MS; SIGUSR1 logs the longest gap since the last SIGUSR1.
 */
static void
watch_cb(uv_timer_t *t)
{
	struct agent *ag = t->data;
	uint64_t hr = uv_hrtime(), gap = hr - ag->watch_last, now;

	ag->watch_last = hr;
	ag->watch_n++;
	if (gap > ag->watch_max)
		ag->watch_max = gap;
	if (gap <= (uint64_t)(WATCH_MS + LOOP_STEP_MAX_MS) * 1000000)
		return;
	ag->watch_nover++;
	if (gap > ag->watch_over)
		ag->watch_over = gap;
	now = now_ms();
	if (now - ag->watch_logged < WATCH_LOG_MS)
		return;
	LOG_INFO("agent", "loop: a step took %llu ms, over the %d ms rule",
	    (unsigned long long)(ag->watch_over / 1000000) - WATCH_MS,
	    LOOP_STEP_MAX_MS);
	ag->watch_logged = now;
	ag->watch_over = 0;
}

static void
usr1_cb(uv_signal_t *sig, int signum)
{
	struct agent *ag = sig->data;

	(void)signum;
	LOG_INFO("agent", "loop: longest gap between %d ms ticks %.1f ms "
	    "since the last report; %llu of %llu ticks late by a step over "
	    "the %d ms rule", WATCH_MS, (double)ag->watch_max / 1e6,
	    (unsigned long long)ag->watch_nover,
	    (unsigned long long)ag->watch_n, LOOP_STEP_MAX_MS);
	ag->watch_max = ag->watch_n = ag->watch_nover = 0;
}

static void
stop_now(struct agent *ag)
{
	struct conn *c;

	for (c = ag->conns; c != NULL; c = c->next)
		conn_close(c, "agent stopping");
	if (!uv_is_closing((uv_handle_t *)&ag->listener))
		uv_close((uv_handle_t *)&ag->listener, NULL);
	ag->relisten = false;
	uv_close((uv_handle_t *)&ag->tick, NULL);
	uv_close((uv_handle_t *)&ag->retry, NULL);
	uv_close((uv_handle_t *)&ag->resume, NULL);
	uv_close((uv_handle_t *)&ag->watch, NULL);
	uv_close((uv_handle_t *)&ag->sigint, NULL);
	uv_close((uv_handle_t *)&ag->sigterm, NULL);
	uv_close((uv_handle_t *)&ag->sigusr1, NULL);
	ui_stop(ag->ui);
}

/* Whether a session with ${key} is up (whoever dialed). */
static bool
connected_to(struct agent *ag, const uint8_t *key)
{
	struct conn *c;

	for (c = ag->conns; c != NULL; c = c->next)
		if (c->synced && !c->closing &&
		    memcmp(session_peer(c->s), key, NODE_KEY_LEN) == 0)
			return (true);
	return (false);
}

/*
 * A peer whose membership ended while connected (revoked, expired) is
 * dropped: checked every status tick, so within seconds of the record
 * reaching this node, by whichever path it came.
 */
static void
recheck_peers(struct agent *ag, uint64_t now)
{
	const uint8_t *succ;
	struct conn *c;
	char why[256], msg[200];
	size_t n;

	for (c = ag->conns; c != NULL; c = c->next) {
		if (!c->synced || c->closing || c->ending)
			continue;
		/*
		 * Only the end of a membership (revoked, expired, voided with
		 * its admin) ends a session here: a peer we dialed may be
		 * admitted before its certificate reaches us (it comes in the
		 * first batches), and that is no reason to drop.
		 */
		n = session_peer_succ(c->s, &succ);
		if (!admit_ended(ag->db, session_peer(c->s), succ, n, now, why,
		    sizeof(why)))
			continue;
		LOG_INFO("session", "peer=%s@%s is no longer a member (%s); "
		    "closing", c->fp, c->addr, why);
		snprintf(msg, sizeof(msg), "no longer a member: %.170s", why);
		session_bye(c->s, msg);
		c->ending = true;
		conn_flush(c);
	}
}

/*
 * Connections before authentication: say what was dropped, one line per
 * PREAUTH_LOG_MS however many; take back the reserve descriptor and the
 * listener once descriptors are free again.
 */
static void
preauth_tick(struct agent *ag, uint64_t now)
{
	struct conn *v;
	char net[PREAUTH_NET_STRLEN] = "none";

	if (ag->reserve_fd == -1)
		ag->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (ag->relisten && now >= ag->relisten_at)
		relisten(ag);
	if (now - ag->pre_logged < PREAUTH_LOG_MS ||
	    ag->pre_dropped + ag->pre_timed_out + ag->pre_refused == 0)
		return;
	if ((v = preauth_victim(&ag->pre)) != NULL)
		preauth_net_str(v->net, net);
	LOG_INFO("listener", "connections before authentication: %llu "
	    "dropped to make room, %llu without message 1 within %d s, %llu "
	    "turned away (%zu held of %zu, %d per /24 or /64; busiest "
	    "network %s)", (unsigned long long)ag->pre_dropped,
	    (unsigned long long)ag->pre_timed_out, HS_MSG1_TIMEOUT_MS / 1000,
	    (unsigned long long)ag->pre_refused, ag->pre.n, ag->pre.max,
	    HS_PREAUTH_PER_NET, net);
	ag->pre_logged = now;
	ag->pre_dropped = ag->pre_timed_out = ag->pre_refused = 0;
}

/*
 * Members' sessions refused for the descriptor budget (admit()): one line
 * per PREAUTH_LOG_MS however many, saying what to raise.
 */
static void
budget_log(struct agent *ag, uint64_t now)
{
	size_t ours, others;

	if (ag->budget_refused == 0 || now - ag->budget_logged < PREAUTH_LOG_MS)
		return;
	ours = preauth_session_cap(ag->max_conns, ag->pre.max, ag->npeers,
	    true);
	others = preauth_session_cap(ag->max_conns, ag->pre.max, ag->npeers,
	    false);
	LOG_WARN("listener", "descriptor budget: refused %llu members' "
	    "sessions since the last such line; holding %zu connections past "
	    "message 1 of at most %zu (%zu kept for peers this node dials: "
	    "%zu) and up to %zu before authentication, in %llu file "
	    "descriptors; raise LimitNOFILE (ulimit -n) to hold more",
	    (unsigned long long)ag->budget_refused, ag->nconns - ag->pre.n,
	    ours, ours - others, ag->npeers, ag->pre.max,
	    (unsigned long long)ag->nofile);
	ag->budget_logged = now;
	ag->budget_refused = 0;
}

static void
tick_cb(uv_timer_t *t)
{
	struct agent *ag = t->data;
	struct conn *c, *next;
	struct dialer *d;
	uint64_t now = now_ms();
	int64_t dv;

	if (ag->stopping) {
		if (now >= ag->stop_at)
			stop_now(ag);
		return;
	}
	/* The CLI (or a session) committed: push to everyone who lacks it. */
	if ((dv = db_data_version(ag->db)) != ag->data_version) {
		ag->data_version = dv;
		for (c = ag->conns; c != NULL; c = c->next)
			if (c->synced && !c->closing) {
				session_kick(c->s);
				conn_flush(c);
			}
	}
	if (now - ag->last_scan >= PEER_SCAN_MS) {
		ag->last_scan = now;
		scan_peers(ag);
	}
	if (now - ag->last_status >= STATUS_MS || ag->clock_report) {
		/* A bundle import may have shown a clock too. */
		clock_publish(ag, now);
	}
	if (now - ag->last_status >= STATUS_MS) {
		ag->last_status = now;
		recheck_peers(ag, now);
		write_status(ag, now);
	}
	for (d = ag->dialers; d != NULL; d = d->next)
		if (d->conn == NULL && !d->resolving && now >= d->next_try &&
		    !connected_to(ag, d->key) && budget_room(ag, true, 1) &&
		    !dialer_ended(ag, d, now))
			dial(d);
	preauth_tick(ag, now);
	budget_log(ag, now);
	ckpt_maybe(ag);
	for (c = ag->conns; c != NULL; c = next) {
		next = c->next;
		if (c->closing)
			continue;
		if (c->clock_later)
			clock_measured(c, now);
		if (c->preauth && now - c->started > HS_MSG1_TIMEOUT_MS) {
			ag->pre_timed_out++;
			conn_close(c, "no message 1 within 3 s");
		} else if (!c->synced && now - c->started > HS_TIMEOUT)
			conn_close(c, "handshake timed out");
		else if (now - c->last_rx > DEAD_MS)
			conn_close(c, "no data for 45 s (dead link)");
		/*
		 * Ping when we have sent nothing for a while, not when we
		 * have heard nothing: on a slow link a batch takes minutes
		 * to arrive, and the receiver's pings are what tell the
		 * sender, whose own ping waits behind the batch, that the
		 * link is alive.
		 */
		else if (c->synced && now - c->last_tx > PING_IDLE_MS &&
		    now - c->last_ping > PING_IDLE_MS) {
			c->last_ping = now;
			session_ping(c->s, now);
			conn_flush(c);
		}
	}
}

static void
signal_cb(uv_signal_t *sig, int signum)
{
	struct agent *ag = sig->data;
	struct conn *c;

	(void)signum;
	if (ag->stopping) {
		stop_now(ag);
		return;
	}
	LOG_INFO("agent", "signal %d: saying goodbye to peers and stopping",
	    signum);
	ag->stopping = true;
	ag->stop_at = now_ms() + 500;
	for (c = ag->conns; c != NULL; c = c->next) {
		if (c->synced && !c->closing) {
			session_bye(c->s, "agent stopping");
			c->ending = true;
			conn_flush(c);
		}
	}
}

/* The start-up check the operations make (agent/ops/node.c). */
static void
read_netkey(struct cli *cli, uint8_t key[HS_PSK_LEN])
{
	struct ops_err e;
	struct ops o;

	cli_ops(cli, &o);
	if (ops_agent_netkey(&o, key, &e))
		cli_ops_fail(cli, "agent", &e);
	ops_fini(&o);
}

/* Publish where this node can be reached, if that changed. */
static void
advertise(struct cli *cli, struct agent *ag, const char *addrs)
{
	const struct coll_def *m = schema_coll("members");
	const struct field_def *f = schema_field(m, "addresses", 9);
	char err[STORE_ERRLEN];
	struct val v = { VAL_STR, 0, addrs, strlen(addrs) };

	(void)cli;
	if (db_begin(ag->db, now_ms(), err) ||
	    db_put(ag->db, m, ag->pk, f, &v, err) || db_commit(ag->db, err))
		cli_die(EXIT_REFUSED, "agent", OPS_MSG_AGENT_ADVERTISE, 1, err);
}

static uint64_t
ui_clock(void *arg)
{

	(void)arg;
	return (now_ms());
}

/* The web UI's jobs are the agent's (work.h): the same shapes. */
static int
ui_queue(void *pool, ui_work_fn *fn, ui_done_fn *done, void *arg)
{

	return (work_queue(pool, fn, done, arg));
}

/*
 * The web UI on ${listen_at} (agent/ui/ui.h).  It failing is one line
 * in the log, saying which address and what to do: the sync side runs
 * on without it.
 */
static void
ui_begin(struct cli *cli, struct agent *ag, const char *listen_at)
{
	struct ui_config cfg;
	char why[1024], host[256], port[16];

	memset(&cfg, 0, sizeof(cfg));
	cfg.loop = ag->loop;
	cfg.db = ag->db;
	cfg.dir = cli->dir;
	cfg.sk = ag->sk;
	cfg.listen = listen_at;
	cfg.clock = ui_clock;
	cfg.queue = ui_queue;
	cfg.queue_arg = ag->work;
	if (ui_start(&cfg, &ag->ui, why, sizeof(why)) != 0) {
		LOG_WARN("ui", "%s", why);
		return;
	}
	if (why[0] != '\0')
		LOG_WARN("ui", "%s", why);
	printf("ui on %s\n", ui_url(ag->ui));
	fflush(stdout);
	LOG_INFO("ui", "the office UI is at %s ('hamroh ui --user NAME' "
	    "opens it signed in)", ui_url(ag->ui));
	if (ui_split_listen(listen_at, host, sizeof(host), port,
	    sizeof(port)) == 0 && !ui_is_loopback(host))
		LOG_WARN("ui", "warning: the office UI listens on %s, beyond "
		    "this computer, and the link is not encrypted: passphrases "
		    "and clients' data cross the network in clear; listen on "
		    "127.0.0.1 unless that network is this office's own",
		    listen_at);
}

int
cmd_agent(struct cli *cli, int argc, char **argv)
{
	struct agent ag;
	struct sockaddr_storage ss;
	const char *listen_at, *a, *ui_at;
	bool no_ui;
	char host[256], port[16], adv[1000] = "", bound[300], path[4096];
	char why[4200], cut[128];
	int lockfd;
	struct addrinfo hints, *res;
	struct rlimit rl;
	uint64_t nofile = UINT64_MAX;
	int len = sizeof(ss), r;
	size_t off = 0, pre_max;

	memset(&ag, 0, sizeof(ag));
	ag.reserve_fd = -1;
	listen_at = cli_opt(&argc, argv, "--listen");
	ui_at = cli_opt(&argc, argv, "--ui-listen");
	no_ui = cli_flag(&argc, argv, "--no-ui");
	if (no_ui && ui_at != NULL)
		cli_fail(EXIT_USAGE, "agent: give --ui-listen or --no-ui, not "
		    "both");
	if (ui_at != NULL && ui_split_listen(ui_at, host, sizeof(host), port,
	    sizeof(port)))
		cli_fail(EXIT_USAGE, "agent: --ui-listen %.60s is not HOST:PORT "
		    "(such as %s)", ui_at, UI_DEFAULT_LISTEN);
	while ((a = cli_opt_next(&argc, argv, "--advertise")) != NULL) {
		if (split_addr(a, host, sizeof(host), port, sizeof(port)))
			cli_die(EXIT_USAGE, "agent", OPS_MSG_AGENT_NOT_HOSTPORT, 2,
			    "--advertise", cli_cut(cut, sizeof(cut), a, 60));
		off += (size_t)snprintf(adv + off, sizeof(adv) - off, "%s%s",
		    off ? " " : "", a);
		if (off >= sizeof(adv))
			cli_die(EXIT_USAGE, "agent", OPS_MSG_AGENT_ADVERTISE_MAX, 0);
	}
	if (cli_flag(&argc, argv, "--verbose"))
		log_level = LOG_LVL_DEBUG;
	ag.no_compress = cli_flag(&argc, argv, "--no-compress");
	cli_no_more_opts(argc, argv, "agent");
	if (argc > 0)
		cli_die(EXIT_USAGE, "agent", OPS_MSG_CLI_UNEXPECTED_ARG, 1,
		    cli_cut(cut, sizeof(cut), argv[0], 40));
	if (listen_at == NULL)
		listen_at = DEFAULT_LISTEN;
	if (split_addr(listen_at, host, sizeof(host), port, sizeof(port)))
		cli_die(EXIT_USAGE, "agent", OPS_MSG_AGENT_NOT_HOSTPORT, 2,
		    "--listen", cli_cut(cut, sizeof(cut), listen_at, 60));
	cli_open(cli, true);
	if ((lockfd = agent_lock(cli->dir, now_ms(), why, sizeof(why))) ==
	    AGENT_LOCK_HELD)
		cli_die(EXIT_REFUSED, "agent", OPS_MSG_AGENT_RUNNING, 1, why);
	if (lockfd == -1)
		cli_die(EXIT_REFUSED, "agent", OPS_MSG_AGENT_LOCK, 1, why);
	read_netkey(cli, ag.netkey);
	ag.db = cli->db;
	memcpy(ag.pk, db_node_key(ag.db), NODE_KEY_LEN);
	if ((ag.sk = sodium_malloc(64)) == NULL ||
	    db_copy_signer(ag.db, ag.sk))
		cli_die(EXIT_USAGE, "agent", OPS_MSG_NOMEM, 0);
	own_lineage(&ag);
	snprintf(ag.name, sizeof(ag.name), "%s", cli->name);
	if (adv[0])
		advertise(cli, &ag, adv);

	/* Peers' I/O must never kill us. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Peers' connections may take what descriptors the process has, less
	 * PREAUTH_FD_RESERVE for our own files; half at most before
	 * authentication, and the rest past message 1, some of those kept
	 * for the peers we dial (preauth_session_cap()).  One descriptor is
	 * set aside for when accept() runs out all the same (out_of_fds()).
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		nofile = (uint64_t)rl.rlim_cur;
	ag.nofile = nofile;
	preauth_limits(nofile, &ag.max_conns, &pre_max);
	preauth_init(&ag.pre, pre_max);
	ag.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ag.loop = uv_default_loop();
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		cli_die(EXIT_USAGE, "agent", OPS_MSG_AGENT_RESOLVE, 1,
		    listen_at);
	uv_tcp_init(ag.loop, &ag.listener);
	ag.listener.data = &ag;
	if ((r = uv_tcp_bind(&ag.listener, res->ai_addr, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&ag.listener, 64, accept_cb)) != 0)
		cli_die(EXIT_USAGE, "agent", OPS_MSG_AGENT_LISTEN, 2,
		    listen_at, uv_strerror(r));
	freeaddrinfo(res);
	uv_tcp_getsockname(&ag.listener, (struct sockaddr *)&ss, &len);
	memcpy(&ag.bound, &ss, sizeof(ss));
	if (ss.ss_family == AF_INET6)
		uv_ip6_name((struct sockaddr_in6 *)&ss, host, sizeof(host));
	else
		uv_ip4_name((struct sockaddr_in *)&ss, host, sizeof(host));
	snprintf(bound, sizeof(bound), "%s:%d", host,
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	printf("listening on %s\n", bound);
	fflush(stdout);
	LOG_INFO("agent", "node '%s' listening on %s", ag.name, bound);
	LOG_INFO("listener", "up to %zu connections with peers, %zu of them "
	    "before authentication (%d per /24 or /64), message 1 within %d s, "
	    "%zu past message 1 (members' sessions, handshakes, dials)",
	    ag.max_conns, ag.pre.max, HS_PREAUTH_PER_NET,
	    HS_MSG1_TIMEOUT_MS / 1000, preauth_session_cap(ag.max_conns,
	    ag.pre.max, 0, true));

	snprintf(path, sizeof(path), "%s/%s", cli->dir, DB_FILE);
	if ((ag.work = work_pool_new(ag.loop, path)) == NULL)
		cli_die(EXIT_USAGE, "agent", OPS_MSG_NOMEM, 0);
	uv_timer_init(ag.loop, &ag.tick);
	uv_timer_init(ag.loop, &ag.retry);
	uv_idle_init(ag.loop, &ag.resume);
	ag.resume.data = &ag;
	uv_timer_init(ag.loop, &ag.watch);
	ag.tick.data = ag.retry.data = ag.watch.data = &ag;
	uv_timer_start(&ag.tick, tick_cb, 0, TICK_MS);
	ag.watch_last = uv_hrtime();
	uv_timer_start(&ag.watch, watch_cb, WATCH_MS, WATCH_MS);
	uv_signal_init(ag.loop, &ag.sigint);
	uv_signal_init(ag.loop, &ag.sigterm);
	uv_signal_init(ag.loop, &ag.sigusr1);
	ag.sigint.data = ag.sigterm.data = ag.sigusr1.data = &ag;
	uv_signal_start(&ag.sigint, signal_cb, SIGINT);
	uv_signal_start(&ag.sigterm, signal_cb, SIGTERM);
	uv_signal_start(&ag.sigusr1, usr1_cb, SIGUSR1);
	ag.data_version = db_data_version(ag.db);
	/* From here on the loop never waits for a lock (see the top). */
	db_nowait(ag.db);
	if (!no_ui)
		ui_begin(cli, &ag, ui_at != NULL ? ui_at : UI_DEFAULT_LISTEN);

	uv_run(ag.loop, UV_RUN_DEFAULT);
	ui_free(ag.ui);
	work_pool_free(ag.work);

	while (ag.dialers != NULL) {
		struct dialer *d = ag.dialers;

		ag.dialers = d->next;
		free(d);
	}
	r = uv_loop_close(ag.loop);
	if (ag.reserve_fd != -1)
		close(ag.reserve_fd);
	sodium_free(ag.sk);
	sodium_memzero(ag.netkey, sizeof(ag.netkey));
	LOG_INFO("agent", "stopped");
	close(lockfd);		/* The lock goes with it: not running. */
	return (r == 0 ? 0 : EXIT_REFUSED);
}

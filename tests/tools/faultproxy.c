/*
 * faultproxy.c: test tool — a TCP proxy on libuv that makes a loopback link
 * behave like a bad field link: slow 2G, a link that is up a few minutes a
 * day, a link that dies without a FIN, corrupted or cut frames.  The chaos
 * scenarios, the benchmarks and tests/cli/t_proxy.sh put it between agents.
 *
 *     faultproxy [--seed N] LINK...
 *     LINK := NAME=LISTEN_PORT:TARGET_HOST:TARGET_PORT[,OPT...]
 *     OPT  := delay=MS | jitter=MS | rate=BITS_PER_S | up=SECONDS
 *           | down=SECONDS | mode=close|reset|blackhole | corrupt=PROB
 *           | truncate=PROB
 *
 * Each link listens on 127.0.0.1:LISTEN_PORT (0 picks a free port).  Once
 * every link listens, stdout gets one line "NAME PORT" per link, in the
 * order given, then "ready".  Each accepted connection gets its own
 * connection to TARGET (resolved once, at startup, IPv4 preferred); bytes
 * are relayed both ways, and a FIN is passed on once the bytes before it
 * have been.  "a→b" is the direction from the accepting side to the
 * target, "b→a" the other.
 * NAME is 1 to 32 of [A-Za-z0-9_.-].
 *
 * Options (none given: a clean relay):
 *   delay=MS, jitter=MS  each chunk read is released delay ± uniform(jitter)
 *                ms after it was read, never before the chunk ahead of it in
 *                its direction (no reordering).
 *   rate=BITS    per direction, per connection: a token bucket of BITS/8
 *                bytes a second, holding at most 1/10 s worth or 1 KiB,
 *                whichever is larger, and starting empty, so no window of a
 *                connection's life carries more than that burst plus
 *                rate × time.  16000 is a bad 2G link.
 *   up=S, down=S  a duty cycle: up S seconds, down S seconds, repeated
 *                (decimals allowed).  The link starts up, and its first up
 *                phase is cut short by a random offset in [0, up) drawn
 *                from the seed, so links do not flap in lockstep.  down=0
 *                (the default) means never down; up=0 with down > 0 means
 *                down for good.
 *   mode=M       what going down does to each live connection (default
 *                close): close — FIN to both sides; reset — RST to both
 *                sides; blackhole — sockets stay open, every byte either way
 *                is read and dropped, no FIN, no RST.  While down, a new
 *                connection is accepted and then reset (close and reset
 *                modes) or accepted and blackholed (blackhole mode).  A
 *                blackholed connection stays blackholed when the link comes
 *                back up (its streams have lost bytes); it is reset at
 *                "heal", or when either of its peers closes or resets.
 *   corrupt=P    each chunk, with probability P, has one random bit of one
 *                random byte flipped.
 *   truncate=P   each chunk, with probability P, is cut to a random strict
 *                prefix (possibly empty) that is still delivered; then both
 *                sides get a FIN and the rest of the connection's bytes, both
 *                ways, are dropped.
 * Bytes queued in one direction (held back plus being written) above 64 KiB
 * stop reading from its source until they drop to 32 KiB, so memory stays
 * bounded however slow the link.
 *
 * Control: one command a line on stdin, each answered by exactly one line
 * on stdout ("ok", a JSON object, or "error: ..."), flushed; blank lines
 * are ignored.
 *   heal                 every link loses every fault from now on (no delay,
 *                        rate, duty cycle, corruption or truncation; chunks
 *                        still held back are released at once); the link is
 *                        up; blackholed connections are reset so their peers
 *                        reconnect.
 *   set NAME OPT[,OPT...] replace the options of link NAME (options left out
 *                        go back to their defaults); live connections follow
 *                        them from now on; the duty cycle starts over, up.
 *                        Commas or blanks separate options.
 *   stats                {"links":{"NAME":{"conns":N,"bytes_ab":N,
 *                        "bytes_ba":N,"faults":{"close":N,"reset":N,
 *                        "blackhole":N,"corrupt":N,"truncate":N}},...},
 *                        "faults":{...the same five, summed}}
 * conns counts connections accepted since start (refused ones included);
 * bytes_ab and bytes_ba count bytes written to the target and to the
 * accepting side.  Faults count events: one per connection closed, reset
 * or blackholed by a down phase (a connection refused while down counts as
 * a reset, or as a blackhole in blackhole mode), one per corrupted chunk,
 * one per truncation.
 * EOF on stdin is ignored (stdin may be /dev/null).  SIGTERM or SIGINT
 * prints the stats line once more, closes everything and exits 0.
 *
 * Random choices come from one splitmix64 stream seeded by --seed (default:
 * from the clock, reported on stderr as "faultproxy: seed N"), so a run can
 * be replayed as far as the order of events repeats.  Bad arguments: one
 * line "faultproxy: ..." on stderr and exit 2.
 *
 * Design: each connection is a small state machine (enum cstate).  LIVE
 * relays through two queues of chunks, one per direction, each drained by
 * dir_pump() when its head is due and the bucket holds enough tokens, else
 * woken by that direction's timer.  BLACKHOLE and CUT drop what they read;
 * FIN has sent both FINs and reads to drain the sockets until each peer's
 * FIN arrives or LINGER_MS passes, so the close reaches the peers as a FIN
 * and not as an RST; DEAD is closing its handles.  A connection owns five
 * handles and is freed in the last close callback; writes own their bytes
 * and are freed in their callback.  Test-only: this is the one program
 * outside agent/ that includes uv.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

/* Per direction: stop reading the source above HIGH, resume at LOW. */
#define QUEUE_HIGH	(64 * 1024)
#define QUEUE_LOW	(32 * 1024)
/* One read at most; also the largest chunk. */
#define READ_LEN	(64 * 1024)
/* Smallest token bucket, in bytes: a 2G link still moves a frame at once. */
#define BURST_MIN	1024
/* How long a closing connection waits for its peers' FINs. */
#define LINGER_MS	1000
/* Longest control line. */
#define LINE_LEN	4096
#define NAME_LEN	32
/* Anything longer than a week or faster than 100 Gbit/s is a typo. */
#define MAX_MS		(7ULL * 24 * 3600 * 1000)
#define MAX_RATE	(100ULL * 1000 * 1000 * 1000)

#define USAGE \
	"usage: faultproxy [--seed N] " \
	"NAME=LISTEN_PORT:TARGET_HOST:TARGET_PORT[,OPT...]...\n" \
	"OPT: delay=MS jitter=MS rate=BITS_PER_S up=SECONDS down=SECONDS\n" \
	"     mode=close|reset|blackhole corrupt=PROB truncate=PROB\n" \
	"stdin: heal | set NAME OPT[,OPT...] | stats\n"

enum mode { MODE_CLOSE, MODE_RESET, MODE_BLACKHOLE };
enum fault { F_CLOSE, F_RESET, F_BLACKHOLE, F_CORRUPT, F_TRUNCATE, F_N };
static const char *const fault_names[F_N] = {
	"close", "reset", "blackhole", "corrupt", "truncate"
};

/* A link's faults; all zero is a clean relay. */
struct opts {
	uint64_t	delay_ms;
	uint64_t	jitter_ms;
	uint64_t	rate;		/* bits/s; 0: unlimited */
	uint64_t	up_ms;
	uint64_t	down_ms;	/* 0: no duty cycle */
	enum mode	mode;
	double		corrupt;
	double		truncate;
};

/* Bytes read and not yet handed to a write. */
struct chunk {
	struct chunk	*next;
	uint64_t	due_us;		/* not released before (now_us()) */
	size_t		len;
	size_t		off;		/* bytes already written */
	uint8_t		data[];
};

/* One write; owns its bytes, freed in write_cb(). */
struct wreq {
	uv_write_t	req;		/* first: write_cb() casts back */
	struct conn	*c;
	int		i;		/* direction */
	size_t		len;
	uint8_t		data[];
};

/* One socket of a connection: s[0] accepted, s[1] to the target. */
struct side {
	uv_tcp_t	tcp;
	uv_shutdown_t	sreq;
	bool		reading;
	bool		eof;		/* its peer's FIN (or an error) was read */
	bool		shut;		/* our FIN was asked for */
	bool		shut_done;
};

/* Direction i: read from s[i], written to s[1 - i]; 0 is a→b. */
struct dir {
	struct chunk	*head;
	struct chunk	*tail;
	size_t		queued;		/* bytes in chunks */
	size_t		inflight;	/* bytes in writes */
	uv_timer_t	timer;		/* wakes dir_pump() */
	double		tokens;		/* bytes the bucket allows now */
	uint64_t	refill_us;
	bool		paused;		/* source not read: queue too long */
};

enum cstate {
	C_LIVE,		/* relaying */
	C_BLACKHOLE,	/* reading and dropping, both ways */
	C_CUT,		/* truncated: direction cut drains, then C_FIN */
	C_FIN,		/* FINs sent; draining until the peers' FINs */
	C_DEAD		/* handles closing */
};

struct conn {
	struct conn	*prev;
	struct conn	*next;
	struct link	*l;
	enum cstate	st;
	bool		connected;	/* s[1] is connected to the target */
	int		cut;		/* C_CUT: the direction still drained */
	int		nhandles;	/* open handles; freed at 0 */
	struct side	s[2];
	struct dir	d[2];
	uv_connect_t	creq;
	uv_timer_t	linger;
};

struct link {
	char		name[NAME_LEN + 1];
	int		lport;
	struct sockaddr_storage target;
	struct opts	o;
	bool		started;	/* server and duty initialized */
	bool		down;
	uv_tcp_t	server;
	uv_timer_t	duty;
	struct conn	*conns;
	uint64_t	nconns;
	uint64_t	bytes[2];	/* per direction, written */
	uint64_t	faults[F_N];
};

static uv_loop_t *loop;
static struct link *links;
static size_t nlinks;
static uint64_t rng;
static bool stopping;
static uv_signal_t sigs[2];

/* Control input: a stream (pipe, tty, socket) or a file read on the pool. */
static enum { IN_NONE, IN_STREAM, IN_FILE } in_kind;
static union {
	uv_handle_t	h;
	uv_stream_t	s;
	uv_pipe_t	p;
	uv_tty_t	t;
	uv_tcp_t	tcp;
} in;
static uv_fs_t in_fs;
static bool in_busy;
static char in_fsbuf[LINE_LEN];
static char line[LINE_LEN];
static size_t line_len;
static bool line_long;

static void alloc_cb(uv_handle_t *, size_t, uv_buf_t *);
static void conn_close(struct conn *, bool);
static void conn_fin(struct conn *);
static void dir_pump(struct conn *, int);
static void in_fs_next(void);
static void link_down(struct link *);
static void side_read_cb(uv_stream_t *, ssize_t, const uv_buf_t *);
static void side_shutdown(struct conn *, int);

static void fail(const char *, ...) __attribute__((format(printf, 1, 2),
    noreturn));
static void reply(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Bad arguments or environment: one line on stderr, exit 2. */
static void
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("faultproxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n)) == NULL) {
		fputs("faultproxy: out of memory\n", stderr);
		exit(1);
	}
	return (p);
}

/* One line on stdout, flushed: the answer to one command. */
static void
reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* splitmix64 (Steele, Lea, Flood 2014): tiny, and every seed is good. */
static uint64_t
rnd(void)
{
	uint64_t z;

	z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Uniform in [0, n), n > 0; the modulo bias is below 2^-40 here. */
static uint64_t
rnd_below(uint64_t n)
{

	return (rnd() % n);
}

/* Uniform in [0, 1). */
static double
rnd_unit(void)
{

	return ((double)(rnd() >> 11) * 0x1.0p-53);
}

/* Microseconds: delays and buckets are finer than the loop's ms clock. */
static uint64_t
now_us(void)
{

	return (uv_hrtime() / 1000);
}

/* Option values.  Each returns 0, or -1 having filled ${err}. */

static int
parse_uint(const char *s, uint64_t max, uint64_t *v, char *err, size_t errlen)
{
	unsigned long long u;
	char *end;

	if (!isdigit((unsigned char)*s))
		goto bad;
	u = strtoull(s, &end, 10);
	if (*end != '\0' || u > max)
		goto bad;
	*v = u;
	return (0);
bad:
	snprintf(err, errlen, "'%.40s' is not a whole number from 0 to %" PRIu64,
	    s, max);
	return (-1);
}

static int
parse_double(const char *s, double max, double *v, char *err, size_t errlen)
{
	char *end;
	double d;

	if (!isdigit((unsigned char)*s) && *s != '.')
		goto bad;
	d = strtod(s, &end);
	if (*end != '\0' || !isfinite(d) || d < 0 || d > max)
		goto bad;
	*v = d;
	return (0);
bad:
	snprintf(err, errlen, "'%.40s' is not a number from 0 to %g", s, max);
	return (-1);
}

static int
parse_secs(const char *s, uint64_t *ms, char *err, size_t errlen)
{
	double d;

	if (parse_double(s, (double)MAX_MS / 1000, &d, err, errlen))
		return (-1);
	*ms = (uint64_t)llround(d * 1000);
	return (0);
}

/*
 * opts_parse(spec, o, err, errlen):
 * Parse the options in ${spec} (separated by commas or blanks; modified)
 * into ${o}, starting from defaults.  Return 0, or -1 with ${err} filled.
 */
static int
opts_parse(char *spec, struct opts *o, char *err, size_t errlen)
{
	char *tok, *save, *val, why[128];
	int rc;

	memset(o, 0, sizeof(*o));
	for (tok = strtok_r(spec, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if ((val = strchr(tok, '=')) == NULL) {
			snprintf(err, errlen, "option '%.40s' is not KEY=VALUE",
			    tok);
			return (-1);
		}
		*val++ = '\0';
		if (strcmp(tok, "delay") == 0)
			rc = parse_uint(val, MAX_MS, &o->delay_ms, why,
			    sizeof(why));
		else if (strcmp(tok, "jitter") == 0)
			rc = parse_uint(val, MAX_MS, &o->jitter_ms, why,
			    sizeof(why));
		else if (strcmp(tok, "rate") == 0)
			rc = parse_uint(val, MAX_RATE, &o->rate, why,
			    sizeof(why));
		else if (strcmp(tok, "up") == 0)
			rc = parse_secs(val, &o->up_ms, why, sizeof(why));
		else if (strcmp(tok, "down") == 0)
			rc = parse_secs(val, &o->down_ms, why, sizeof(why));
		else if (strcmp(tok, "corrupt") == 0)
			rc = parse_double(val, 1, &o->corrupt, why,
			    sizeof(why));
		else if (strcmp(tok, "truncate") == 0)
			rc = parse_double(val, 1, &o->truncate, why,
			    sizeof(why));
		else if (strcmp(tok, "mode") == 0) {
			rc = 0;
			if (strcmp(val, "close") == 0)
				o->mode = MODE_CLOSE;
			else if (strcmp(val, "reset") == 0)
				o->mode = MODE_RESET;
			else if (strcmp(val, "blackhole") == 0)
				o->mode = MODE_BLACKHOLE;
			else {
				snprintf(why, sizeof(why), "'%.40s' is not "
				    "close, reset or blackhole", val);
				rc = -1;
			}
		} else {
			snprintf(err, errlen, "unknown option '%.40s' (delay, "
			    "jitter, rate, up, down, mode, corrupt, truncate)",
			    tok);
			return (-1);
		}
		if (rc) {
			snprintf(err, errlen, "%s: %s", tok, why);
			return (-1);
		}
	}
	return (0);
}

/*
 * link_parse(l, arg, err, errlen):
 * Fill ${l} from "NAME=LISTEN_PORT:TARGET_HOST:TARGET_PORT[,OPT...]",
 * resolving the host (blocking: this runs before the loop does).  Return
 * 0, or -1 with ${err} filled.
 */
static int
link_parse(struct link *l, const char *arg, char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	char *buf, *addr, *opts, *c1, *c2, *host, why[256];
	uint64_t port;
	size_t n;
	int rc;

	buf = xmalloc(strlen(arg) + 1);
	strcpy(buf, arg);
	if ((addr = strchr(buf, '=')) == NULL)
		goto usage;
	*addr++ = '\0';
	n = strlen(buf);
	if (n == 0 || n > NAME_LEN || strspn(buf, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n) {
		snprintf(err, errlen, "link '%.60s': name must be 1 to %d of "
		    "A-Z a-z 0-9 _ . -", arg, NAME_LEN);
		goto err0;
	}
	memcpy(l->name, buf, n + 1);
	if ((opts = strchr(addr, ',')) != NULL)
		*opts++ = '\0';
	if ((c1 = strchr(addr, ':')) == NULL ||
	    (c2 = strrchr(addr, ':')) == c1)
		goto usage;
	*c1 = *c2 = '\0';
	if (parse_uint(addr, 65535, &port, why, sizeof(why))) {
		snprintf(err, errlen, "link %s: listen port %s", l->name, why);
		goto err0;
	}
	l->lport = (int)port;
	if (parse_uint(c2 + 1, 65535, &port, why, sizeof(why)) || port == 0) {
		snprintf(err, errlen, "link %s: target port '%.20s' is not a "
		    "port from 1 to 65535", l->name, c2 + 1);
		goto err0;
	}
	host = c1 + 1;
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		host++;
	}
	if (*host == '\0')
		goto usage;
	if (opts != NULL && opts_parse(opts, &l->o, why, sizeof(why))) {
		snprintf(err, errlen, "link %s: %s", l->name, why);
		goto err0;
	}

	/* IPv4 first, as we listen: "localhost" may list ::1 first. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, c2 + 1, &hints, &res) != 0) {
		hints.ai_family = AF_UNSPEC;
		rc = getaddrinfo(host, c2 + 1, &hints, &res);
	} else
		rc = 0;
	if (rc != 0) {
		snprintf(err, errlen, "link %s: cannot resolve '%.60s': %s",
		    l->name, host, gai_strerror(rc));
		goto err0;
	}
	memcpy(&l->target, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);

	/* Success! */
	free(buf);
	return (0);

usage:
	snprintf(err, errlen, "link '%.60s' is not "
	    "NAME=LISTEN_PORT:TARGET_HOST:TARGET_PORT[,OPT...]", arg);
err0:
	/* Failure! */
	free(buf);
	return (-1);
}

/* Queues and the token bucket. */

static size_t
burst(uint64_t rate)
{
	uint64_t b = rate / 8 / 10;

	return (b > BURST_MIN ? (size_t)b : BURST_MIN);
}

static void
bucket_refill(struct dir *d, uint64_t rate, uint64_t now)
{
	double cap = (double)burst(rate);

	if (now > d->refill_us) {
		d->tokens += (double)(now - d->refill_us) * (double)rate / 8e6;
		d->refill_us = now;
	}
	if (d->tokens > cap)
		d->tokens = cap;
}

/* Forget the bytes held in ${d}: the link lost them. */
static void
dir_drop(struct dir *d)
{
	struct chunk *ch;

	while ((ch = d->head) != NULL) {
		d->head = ch->next;
		free(ch);
	}
	d->tail = NULL;
	d->queued = 0;
	d->paused = false;
	if (!uv_is_closing((uv_handle_t *)&d->timer))
		uv_timer_stop(&d->timer);
}

static void
dir_timer_cb(uv_timer_t *t)
{
	struct conn *c = t->data;

	dir_pump(c, t == &c->d[1].timer);
}

/* Wake dir_pump(c, i) in ${us} microseconds (rounded up to ms). */
static void
dir_arm(struct conn *c, int i, uint64_t us)
{

	uv_timer_start(&c->d[i].timer, dir_timer_cb, (us + 999) / 1000, 0);
}

/*
 * side_update_read(c, i):
 * Read s[i] exactly when there is a reason to: LIVE and not paused, or any
 * other state that still drains (reads are then dropped).
 */
static void
side_update_read(struct conn *c, int i)
{
	struct side *s = &c->s[i];
	bool want;

	want = c->st != C_DEAD && !s->eof && (i == 0 || c->connected) &&
	    !uv_is_closing((uv_handle_t *)&s->tcp) &&
	    (c->st != C_LIVE || !c->d[i].paused);
	if (want && !s->reading) {
		s->reading = uv_read_start((uv_stream_t *)&s->tcp,
		    alloc_cb, side_read_cb) == 0;
	} else if (!want && s->reading) {
		uv_read_stop((uv_stream_t *)&s->tcp);
		s->reading = false;
	}
}

static void
write_cb(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct conn *c = w->c;
	int i = w->i;
	struct dir *d = &c->d[i];

	d->inflight -= w->len;
	if (status == 0)
		c->l->bytes[i] += w->len;
	free(w);
	if (status < 0) {
		/* Cancelled: the handle is closing already. */
		if (status != UV_ECANCELED && c->st != C_FIN &&
		    c->st != C_DEAD)
			conn_close(c, true);
		return;
	}
	if (d->paused && d->queued + d->inflight <= QUEUE_LOW) {
		d->paused = false;
		side_update_read(c, i);
	}
}

/* Write ${n} bytes of ${p} (copied) in direction ${i}; 0 or -1. */
static int
dir_write(struct conn *c, int i, const uint8_t *p, size_t n)
{
	struct wreq *w;
	uv_buf_t b;

	w = xmalloc(sizeof(*w) + n);
	w->c = c;
	w->i = i;
	w->len = n;
	memcpy(w->data, p, n);
	b = uv_buf_init((char *)w->data, (unsigned int)n);
	if (uv_write(&w->req, (uv_stream_t *)&c->s[1 - i].tcp, &b, 1,
	    write_cb) != 0) {
		free(w);
		return (-1);
	}
	c->d[i].inflight += n;
	return (0);
}

/*
 * dir_pump(c, i):
 * Write what direction ${i} may release now: the head chunk once due, as
 * much of it as the bucket allows; else arm the timer for when it may.
 * A drained queue passes on a FIN that was read, or ends a CUT.
 */
static void
dir_pump(struct conn *c, int i)
{
	struct dir *d = &c->d[i];
	struct chunk *ch;
	uint64_t now, rate;
	double need;
	size_t n;

	if (!c->connected)
		return;
	if (c->st != C_LIVE && !(c->st == C_CUT && c->cut == i))
		return;
	rate = c->l->o.rate;
	now = now_us();
	while ((ch = d->head) != NULL) {
		if (ch->due_us > now) {
			dir_arm(c, i, ch->due_us - now);
			return;
		}
		n = ch->len - ch->off;
		if (rate > 0) {
			bucket_refill(d, rate, now);
			need = (double)(n < burst(rate) ? n : burst(rate));
			if (d->tokens < need) {
				dir_arm(c, i, (uint64_t)ceil((need -
				    d->tokens) * 8e6 / (double)rate));
				return;
			}
			if ((double)n > d->tokens)
				n = (size_t)d->tokens;
			d->tokens -= (double)n;
		}
		if (dir_write(c, i, ch->data + ch->off, n)) {
			conn_close(c, true);
			return;
		}
		ch->off += n;
		d->queued -= n;
		if (ch->off == ch->len) {
			if ((d->head = ch->next) == NULL)
				d->tail = NULL;
			free(ch);
		}
	}
	if (c->st == C_CUT)
		conn_fin(c);
	else if (c->s[i].eof)
		side_shutdown(c, 1 - i);
}

/* Connection lifecycle. */

static void
handle_close_cb(uv_handle_t *h)
{
	struct conn *c = h->data;
	int i;

	if (--c->nhandles > 0)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	for (i = 0; i < 2; i++)
		dir_drop(&c->d[i]);
	free(c);
}

/* Close ${t} with an RST: uv_tcp_close_reset(), or by hand when it refuses. */
static void
tcp_abort(uv_tcp_t *t)
{
	struct linger lg = { 1, 0 };
	uv_os_fd_t fd;

	if (uv_tcp_close_reset(t, handle_close_cb) == 0)
		return;
	/* Refused when our FIN was already asked for; no socket yet is fine. */
	if (uv_fileno((uv_handle_t *)t, &fd) == 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	uv_close((uv_handle_t *)t, handle_close_cb);
}

/*
 * conn_close(c, reset):
 * Close every handle of ${c} not yet closing, the sockets with an RST when
 * ${reset}.  Idempotent; ${c} is freed in the last close callback.
 */
static void
conn_close(struct conn *c, bool reset)
{
	uv_handle_t *h[3] = { (uv_handle_t *)&c->d[0].timer,
	    (uv_handle_t *)&c->d[1].timer, (uv_handle_t *)&c->linger };
	uv_tcp_t *t;
	int i;

	c->st = C_DEAD;
	for (i = 0; i < 2; i++) {
		t = &c->s[i].tcp;
		if (uv_is_closing((uv_handle_t *)t))
			continue;
		if (reset)
			tcp_abort(t);
		else
			uv_close((uv_handle_t *)t, handle_close_cb);
	}
	for (i = 0; i < 3; i++)
		if (!uv_is_closing(h[i]))
			uv_close(h[i], handle_close_cb);
}

/* Close side ${i} alone; the connection once both are closing. */
static void
side_close(struct conn *c, int i)
{

	if (!uv_is_closing((uv_handle_t *)&c->s[i].tcp))
		uv_close((uv_handle_t *)&c->s[i].tcp, handle_close_cb);
	if (uv_is_closing((uv_handle_t *)&c->s[1 - i].tcp))
		conn_close(c, false);
}

/* Side ${i} failed (reset by its peer, write error): what that ends. */
static void
side_failed(struct conn *c, int i)
{

	if (c->st == C_FIN)
		side_close(c, i);
	else if (c->st != C_DEAD)
		conn_close(c, true);
}

/* Both FINs have crossed: a LIVE connection ends; a FIN side may close. */
static void
conn_check(struct conn *c)
{
	int i;

	if (c->st == C_LIVE && c->s[0].eof && c->s[1].eof &&
	    c->s[0].shut_done && c->s[1].shut_done)
		conn_close(c, false);
	for (i = 0; i < 2 && c->st == C_FIN; i++)
		if (c->s[i].eof && c->s[i].shut_done)
			side_close(c, i);
}

static void
shutdown_cb(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;
	int i = req == &c->s[1].sreq;

	c->s[i].shut_done = true;
	if (status == UV_ECANCELED)
		return;
	if (status < 0)
		side_failed(c, i);
	else
		conn_check(c);
}

/* Send our FIN to side ${i} once its pending writes are out. */
static void
side_shutdown(struct conn *c, int i)
{
	struct side *s = &c->s[i];

	if (s->shut || uv_is_closing((uv_handle_t *)&s->tcp))
		return;
	s->shut = true;
	s->sreq.data = c;
	if (uv_shutdown(&s->sreq, (uv_stream_t *)&s->tcp, shutdown_cb) != 0) {
		s->shut_done = true;
		side_failed(c, i);
	}
}

static void
linger_cb(uv_timer_t *t)
{

	conn_close(t->data, false);
}

/*
 * conn_fin(c):
 * Close both sides of ${c} with a FIN: drop what is held back, let the
 * writes already made finish, and drain both sockets until each peer's FIN
 * or LINGER_MS, so that the kernel has no unread bytes to answer with RST.
 */
static void
conn_fin(struct conn *c)
{
	int i;

	if (c->st == C_FIN || c->st == C_DEAD)
		return;
	c->st = C_FIN;
	for (i = 0; i < 2; i++)
		dir_drop(&c->d[i]);
	if (!c->connected)
		side_close(c, 1);	/* cancels the connect */
	for (i = 0; i < 2 && c->st == C_FIN; i++) {
		side_shutdown(c, i);
		side_update_read(c, i);
	}
	if (c->st == C_FIN)
		uv_timer_start(&c->linger, linger_cb, LINGER_MS, 0);
	conn_check(c);
}

/* Keep ${c} open and silent both ways. */
static void
conn_blackhole(struct conn *c)
{
	int i;

	c->st = C_BLACKHOLE;
	for (i = 0; i < 2; i++) {
		dir_drop(&c->d[i]);
		side_update_read(c, i);
	}
}

/* A chunk read from s[i] was truncated: deliver what is queued, then FIN. */
static void
conn_cut(struct conn *c, int i)
{

	c->st = C_CUT;
	c->cut = i;
	dir_drop(&c->d[1 - i]);
	side_update_read(c, 0);
	side_update_read(c, 1);
	dir_pump(c, i);
}

/* Reading. */

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	/* Each read is consumed in its callback, before the next alloc. */
	static char rbuf[READ_LEN];

	(void)h;
	(void)hint;
	*buf = uv_buf_init(rbuf, sizeof(rbuf));
}

/* ${len} bytes at ${p} (ours to change) were read from s[i]. */
static void
relay_in(struct conn *c, int i, uint8_t *p, size_t len)
{
	struct link *l = c->l;
	struct dir *d = &c->d[i];
	struct chunk *ch;
	uint64_t now, j, off;
	bool cut = false;

	if (c->st != C_LIVE)
		return;		/* blackholed, cut or closing: dropped */
	if (l->o.corrupt > 0 && rnd_unit() < l->o.corrupt) {
		p[rnd_below(len)] ^= (uint8_t)(1u << rnd_below(8));
		l->faults[F_CORRUPT]++;
	}
	if (l->o.truncate > 0 && rnd_unit() < l->o.truncate) {
		len = rnd_below(len);
		l->faults[F_TRUNCATE]++;
		cut = true;
	}
	if (len > 0) {
		ch = xmalloc(sizeof(*ch) + len);
		ch->next = NULL;
		ch->len = len;
		ch->off = 0;
		memcpy(ch->data, p, len);
		now = now_us();
		ch->due_us = now + l->o.delay_ms * 1000;
		if ((j = l->o.jitter_ms * 1000) > 0) {
			/* due + off - j, never before now. */
			off = rnd_below(2 * j + 1);
			ch->due_us = ch->due_us + off < now + j ? now :
			    ch->due_us + off - j;
		}
		if (d->tail != NULL)
			d->tail->next = ch;
		else
			d->head = ch;
		d->tail = ch;
		d->queued += len;
	}
	if (cut) {
		conn_cut(c, i);
		return;
	}
	if (d->queued + d->inflight > QUEUE_HIGH) {
		d->paused = true;
		side_update_read(c, i);
	}
	dir_pump(c, i);
}

/* s[i] ended: ${err} is UV_EOF for its peer's FIN, else an error. */
static void
side_ended(struct conn *c, int i, ssize_t err)
{
	struct side *s = &c->s[i];

	if (s->reading) {
		uv_read_stop((uv_stream_t *)&s->tcp);
		s->reading = false;
	}
	s->eof = true;
	if (err != UV_EOF) {
		side_failed(c, i);
		return;
	}
	switch (c->st) {
	case C_LIVE:
		dir_pump(c, i);		/* the FIN follows the bytes */
		conn_check(c);
		break;
	case C_BLACKHOLE:
		conn_close(c, true);	/* a peer closed: let the other know */
		break;
	case C_FIN:
		conn_check(c);
		break;
	case C_CUT:
	case C_DEAD:
		break;
	}
}

static void
side_read_cb(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;
	int i = st == (uv_stream_t *)&c->s[1].tcp;

	if (nread > 0)
		relay_in(c, i, (uint8_t *)buf->base, (size_t)nread);
	else if (nread < 0)
		side_ended(c, i, nread);
}

/* Connecting and accepting. */

static void
connect_cb(uv_connect_t *req, int status)
{
	struct conn *c = req->data;

	if (status == UV_ECANCELED)
		return;
	if (status < 0) {
		/* A blackholed client must not learn of it; others do. */
		if (c->st == C_BLACKHOLE)
			side_close(c, 1);
		else
			conn_close(c, true);
		return;
	}
	c->connected = true;
	(void)uv_tcp_nodelay(&c->s[1].tcp, 1);
	side_update_read(c, 1);
	dir_pump(c, 0);
}

static struct conn *
conn_new(struct link *l)
{
	uv_handle_t *h[5];
	struct conn *c;
	int i;

	c = xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->l = l;
	c->st = C_LIVE;
	uv_tcp_init(loop, &c->s[0].tcp);
	uv_tcp_init(loop, &c->s[1].tcp);
	uv_timer_init(loop, &c->d[0].timer);
	uv_timer_init(loop, &c->d[1].timer);
	uv_timer_init(loop, &c->linger);
	h[0] = (uv_handle_t *)&c->s[0].tcp;
	h[1] = (uv_handle_t *)&c->s[1].tcp;
	h[2] = (uv_handle_t *)&c->d[0].timer;
	h[3] = (uv_handle_t *)&c->d[1].timer;
	h[4] = (uv_handle_t *)&c->linger;
	for (i = 0; i < 5; i++)
		h[i]->data = c;
	c->nhandles = 5;
	/* Buckets start empty: a fresh connection gets no burst. */
	c->d[0].refill_us = c->d[1].refill_us = now_us();
	if ((c->next = l->conns) != NULL)
		c->next->prev = c;
	l->conns = c;
	return (c);
}

static void
accept_cb(uv_stream_t *server, int status)
{
	struct link *l = server->data;
	struct conn *c;

	if (status < 0) {
		fprintf(stderr, "faultproxy: link %s: accept: %s\n", l->name,
		    uv_strerror(status));
		return;
	}
	c = conn_new(l);
	if (uv_accept(server, (uv_stream_t *)&c->s[0].tcp) != 0) {
		conn_close(c, false);
		return;
	}
	l->nconns++;
	(void)uv_tcp_nodelay(&c->s[0].tcp, 1);
	if (l->down) {
		if (l->o.mode == MODE_BLACKHOLE) {
			l->faults[F_BLACKHOLE]++;
			conn_blackhole(c);
		} else {
			l->faults[F_RESET]++;
			conn_close(c, true);
		}
		return;
	}
	c->creq.data = c;
	if (uv_tcp_connect(&c->creq, &c->s[1].tcp,
	    (const struct sockaddr *)&l->target, connect_cb) != 0) {
		conn_close(c, true);
		return;
	}
	side_update_read(c, 0);
}

/* The duty cycle. */

/* The link goes down: each live connection gets the link's mode. */
static void
link_down(struct link *l)
{
	struct conn *c;

	l->down = true;
	for (c = l->conns; c != NULL; c = c->next) {
		if (c->st != C_LIVE)
			continue;
		switch (l->o.mode) {
		case MODE_CLOSE:
			l->faults[F_CLOSE]++;
			conn_fin(c);
			break;
		case MODE_RESET:
			l->faults[F_RESET]++;
			conn_close(c, true);
			break;
		case MODE_BLACKHOLE:
			l->faults[F_BLACKHOLE]++;
			conn_blackhole(c);
			break;
		}
	}
}

static void
duty_cb(uv_timer_t *t)
{
	struct link *l = t->data;

	if (l->down) {
		l->down = false;
		uv_timer_start(&l->duty, duty_cb, l->o.up_ms, 0);
	} else {
		link_down(l);
		uv_timer_start(&l->duty, duty_cb, l->o.down_ms, 0);
	}
}

/* (Re)start ${l}'s duty cycle from its options: up, for a random part. */
static void
link_duty_start(struct link *l)
{

	uv_timer_stop(&l->duty);
	l->down = false;
	if (l->o.down_ms == 0)
		return;
	if (l->o.up_ms == 0) {
		link_down(l);
		return;
	}
	uv_timer_start(&l->duty, duty_cb,
	    l->o.up_ms - rnd_below(l->o.up_ms), 0);
}

/* Control commands. */

static void
print_faults(const uint64_t f[F_N])
{
	int k;

	for (k = 0; k < F_N; k++)
		printf("%s\"%s\":%" PRIu64, k ? "," : "{", fault_names[k],
		    f[k]);
	putchar('}');
}

static void
print_stats(void)
{
	uint64_t tot[F_N] = { 0 };
	struct link *l;
	size_t k;
	int f;

	fputs("{\"links\":{", stdout);
	for (k = 0; k < nlinks; k++) {
		l = &links[k];
		printf("%s\"%s\":{\"conns\":%" PRIu64 ",\"bytes_ab\":%" PRIu64
		    ",\"bytes_ba\":%" PRIu64 ",\"faults\":", k ? "," : "",
		    l->name, l->nconns, l->bytes[0], l->bytes[1]);
		print_faults(l->faults);
		putchar('}');
		for (f = 0; f < F_N; f++)
			tot[f] += l->faults[f];
	}
	fputs("},\"faults\":", stdout);
	print_faults(tot);
	reply("}");
}

/* Options of ${l}'s live connections changed: release what they allow. */
static void
link_repump(struct link *l)
{
	struct conn *c;

	for (c = l->conns; c != NULL; c = c->next) {
		if (c->st != C_LIVE)
			continue;
		dir_pump(c, 0);
		dir_pump(c, 1);
	}
}

static void
cmd_heal(void)
{
	struct chunk *ch;
	struct conn *c;
	struct link *l;
	size_t k;
	int i;

	for (k = 0; k < nlinks; k++) {
		l = &links[k];
		memset(&l->o, 0, sizeof(l->o));
		uv_timer_stop(&l->duty);
		l->down = false;
		for (c = l->conns; c != NULL; c = c->next) {
			if (c->st == C_BLACKHOLE)
				conn_close(c, true);
			if (c->st != C_LIVE)
				continue;
			for (i = 0; i < 2; i++)
				for (ch = c->d[i].head; ch; ch = ch->next)
					ch->due_us = 0;
		}
		link_repump(l);
	}
	reply("ok");
}

static void
cmd_set(char *args)
{
	char *name, *spec, err[256];
	struct opts o;
	struct link *l = NULL;
	size_t k;

	name = args;
	spec = args + strcspn(args, " \t");
	if (*spec != '\0')
		*spec++ = '\0';
	spec += strspn(spec, " \t,");
	if (*name == '\0' || *spec == '\0') {
		reply("error: usage: set NAME OPT[,OPT...]");
		return;
	}
	for (k = 0; k < nlinks && l == NULL; k++)
		if (strcmp(links[k].name, name) == 0)
			l = &links[k];
	if (l == NULL) {
		reply("error: set: no link named '%.40s'", name);
		return;
	}
	if (opts_parse(spec, &o, err, sizeof(err))) {
		reply("error: set %s: %s", l->name, err);
		return;
	}
	l->o = o;
	link_duty_start(l);
	link_repump(l);
	reply("ok");
}

static void
run_line(char *s)
{
	char *cmd, *args;
	size_t n;

	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	s += strspn(s, " \t");
	if (*s == '\0')
		return;
	cmd = s;
	args = s + strcspn(s, " \t");
	if (*args != '\0')
		*args++ = '\0';
	args += strspn(args, " \t");
	if (strcmp(cmd, "set") == 0)
		cmd_set(args);
	else if ((strcmp(cmd, "heal") == 0 || strcmp(cmd, "stats") == 0) &&
	    *args != '\0')
		reply("error: %s takes no arguments", cmd);
	else if (strcmp(cmd, "heal") == 0)
		cmd_heal();
	else if (strcmp(cmd, "stats") == 0)
		print_stats();
	else
		reply("error: unknown command '%.40s' (heal, set NAME "
		    "OPT[,OPT...], stats)", cmd);
}

/* Split control input into lines. */
static void
in_feed(const char *p, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (p[k] != '\n') {
			if (line_len < sizeof(line) - 1)
				line[line_len++] = p[k];
			else
				line_long = true;
			continue;
		}
		line[line_len] = '\0';
		if (line_long)
			reply("error: line longer than %d bytes", LINE_LEN - 1);
		else
			run_line(line);
		line_len = 0;
		line_long = false;
	}
}

/* EOF: a last line without its newline still counts. */
static void
in_feed_eof(void)
{

	if (line_len > 0 || line_long)
		in_feed("\n", 1);
}

static void
in_read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{

	if (n > 0)
		in_feed(buf->base, (size_t)n);
	else if (n < 0) {
		in_feed_eof();
		uv_close((uv_handle_t *)st, NULL);
	}
}

static void
in_fs_cb(uv_fs_t *req)
{
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	in_busy = false;
	if (stopping)
		return;
	if (n > 0) {
		in_feed(in_fsbuf, (size_t)n);
		in_fs_next();
	} else
		in_feed_eof();
}

static void
in_fs_next(void)
{
	uv_buf_t b = uv_buf_init(in_fsbuf, sizeof(in_fsbuf));

	in_busy = uv_fs_read(loop, &in_fs, 0, &b, 1, -1, in_fs_cb) == 0;
}

/* Read commands from stdin, whatever it is; none if it is closed. */
static void
in_start(void)
{
	int rc = -1;

	switch (uv_guess_handle(0)) {
	case UV_TTY:
		rc = uv_tty_init(loop, &in.t, 0, 1);
		break;
	case UV_NAMED_PIPE:
		if ((rc = uv_pipe_init(loop, &in.p, 0)) == 0 &&
		    (rc = uv_pipe_open(&in.p, 0)) != 0)
			uv_close(&in.h, NULL);
		break;
	case UV_TCP:
		if ((rc = uv_tcp_init(loop, &in.tcp)) == 0 &&
		    (rc = uv_tcp_open(&in.tcp, 0)) != 0)
			uv_close(&in.h, NULL);
		break;
	case UV_FILE:
		in_kind = IN_FILE;
		in_fs_next();
		return;
	default:
		return;
	}
	if (rc != 0)
		return;
	in_kind = IN_STREAM;
	if (uv_read_start(&in.s, alloc_cb, in_read_cb) != 0)
		uv_close(&in.h, NULL);
}

/* Shutdown. */

static void
walk_cb(uv_handle_t *h, void *arg)
{

	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Close every handle; uv_run() then returns once the callbacks ran. */
static void
teardown(void)
{
	struct conn *c;
	struct link *l;
	size_t k;
	int i;

	for (k = 0; k < nlinks; k++) {
		l = &links[k];
		if (l->started) {
			uv_close((uv_handle_t *)&l->server, NULL);
			uv_close((uv_handle_t *)&l->duty, NULL);
		}
		for (c = l->conns; c != NULL; c = c->next)
			conn_close(c, false);
	}
	if (in_kind == IN_STREAM && !uv_is_closing(&in.h))
		uv_close(&in.h, NULL);
	if (in_kind == IN_FILE && in_busy)
		(void)uv_cancel((uv_req_t *)&in_fs);
	for (i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&sigs[i], NULL);
	/* Nothing else should be open; close it anyway. */
	uv_walk(loop, walk_cb, NULL);
}

static void
signal_cb(uv_signal_t *h, int signum)
{

	(void)h;
	(void)signum;
	if (stopping)
		return;
	stopping = true;
	print_stats();
	teardown();
}

/* Listen on 127.0.0.1 for ${l} and start its duty cycle. */
static void
link_start(struct link *l)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	int rc, len;

	uv_tcp_init(loop, &l->server);
	uv_timer_init(loop, &l->duty);
	l->server.data = l;
	l->duty.data = l;
	l->started = true;
	uv_ip4_addr("127.0.0.1", l->lport, &sin);
	if ((rc = uv_tcp_bind(&l->server, (const struct sockaddr *)&sin,
	    0)) != 0 || (rc = uv_listen((uv_stream_t *)&l->server, 128,
	    accept_cb)) != 0)
		fail("link %s: cannot listen on 127.0.0.1:%d: %s", l->name,
		    l->lport, uv_strerror(rc));
	len = sizeof(ss);
	if ((rc = uv_tcp_getsockname(&l->server, (struct sockaddr *)&ss,
	    &len)) != 0)
		fail("link %s: getsockname: %s", l->name, uv_strerror(rc));
	l->lport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	link_duty_start(l);
}

int
main(int argc, char *argv[])
{
	const char *seedarg = NULL;
	char err[512];
	uint64_t seed;
	size_t k, j;
	int a, rc = 0;

	if ((links = calloc((size_t)argc, sizeof(*links))) == NULL)
		fail("out of memory");
	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--seed") == 0) {
			if (++a == argc)
				fail("--seed needs a value; %s",
				    "usage: faultproxy [--seed N] LINK...");
			seedarg = argv[a];
		} else if (strncmp(argv[a], "--seed=", 7) == 0)
			seedarg = argv[a] + 7;
		else if (strcmp(argv[a], "-h") == 0 ||
		    strcmp(argv[a], "--help") == 0) {
			fputs(USAGE, stdout);
			return (0);
		} else if (argv[a][0] == '-')
			fail("unknown option '%.40s'; usage: faultproxy "
			    "[--seed N] LINK...", argv[a]);
		else {
			if (link_parse(&links[nlinks], argv[a], err,
			    sizeof(err)))
				fail("%s", err);
			for (j = 0; j < nlinks; j++)
				if (strcmp(links[j].name,
				    links[nlinks].name) == 0)
					fail("link name '%s' given twice",
					    links[j].name);
			nlinks++;
		}
	}
	if (nlinks == 0)
		fail("no LINK given; usage: faultproxy [--seed N] "
		    "NAME=LISTEN_PORT:TARGET_HOST:TARGET_PORT[,OPT...]...");
	if (seedarg != NULL) {
		if (parse_uint(seedarg, UINT64_MAX, &seed, err, sizeof(err)))
			fail("--seed: %s", err);
	} else {
		seed = uv_hrtime() ^ ((uint64_t)time(NULL) << 32) ^
		    (uint64_t)getpid();
		fprintf(stderr, "faultproxy: seed %" PRIu64 "\n", seed);
	}
	rng = seed;

	/* Writes to a peer that is gone fail with EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	loop = uv_default_loop();
	for (k = 0; k < nlinks; k++)
		link_start(&links[k]);
	for (k = 0; k < nlinks; k++)
		printf("%s %d\n", links[k].name, links[k].lport);
	reply("ready");
	in_start();
	uv_signal_init(loop, &sigs[0]);
	uv_signal_init(loop, &sigs[1]);
	uv_signal_start(&sigs[0], signal_cb, SIGTERM);
	uv_signal_start(&sigs[1], signal_cb, SIGINT);

	uv_run(loop, UV_RUN_DEFAULT);
	if (uv_loop_close(loop) != 0) {
		fprintf(stderr, "faultproxy: handles still open at exit\n");
		rc = 1;
	}
	free(links);
	return (rc);
}

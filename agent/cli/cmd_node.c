/*
 * cmd_node.c: the node itself — init, id, status, vector, verify, rebuild,
 * backup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/access/confidential.h"
#include "agent/codec/json.h"
#include "agent/access/member.h"
#include "agent/daemon/log.h"
#include "agent/daemon/pidlock.h"
#include "agent/sync/acked.h"
#include "protocol/limits.h"
#include "store/hlc.h"
#include "store/query.h"

/* Refusals status shows, the newest first; audit shows them all. */
#define STATUS_REFUSALS	5
#define CERT_WARN_DAYS	30	/* status warns this long before expiry. */

static void
mkdirs(const char *dir)
{
	char p[4096], *s;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		cli_fail(EXIT_USAGE, "data dir path too long");
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			cli_fail(EXIT_USAGE, "mkdir %s: %s", p,
			    strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		cli_fail(EXIT_USAGE, "mkdir %s: %s", p, strerror(errno));
}

int
write_key(const char *path, const uint8_t *sk)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		return (-1);
	if (write(fd, sk, NODE_SK_LEN) != NODE_SK_LEN || fsync(fd)) {
		close(fd);
		unlink(path);
		return (-1);
	}
	return (close(fd));
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	const struct coll_def *m = schema_coll("members");
	const char *name, *center;
	char kpath[4096], dpath[4096], err[STORE_ERRLEN], why[256];
	char hex[2 * NODE_KEY_LEN + 1];
	uint8_t pk[NODE_KEY_LEN], *sk;
	struct val v;
	struct stat sb;

	name = cli_opt(&argc, argv, "--name");
	center = cli_opt(&argc, argv, "--center");
	cli_no_more_opts(argc, argv, "init");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "init: unexpected argument '%.40s'",
		    argv[0]);
	if (name == NULL)
		cli_fail(EXIT_USAGE, "init: --name NAME is required (how "
		    "other offices will see this node)");
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = name;
	v.len = strlen(name);
	if (v.len == 0 || schema_check(schema_field(m, "name", 4), &v, why,
	    sizeof(why)))
		cli_fail(EXIT_USAGE, "init: --name %s", v.len ? why :
		    "must not be empty");
	v.s = center ? center : "";
	v.len = strlen(v.s);
	if (schema_check(schema_field(m, "center", 6), &v, why, sizeof(why)))
		cli_fail(EXIT_USAGE, "init: --center %s", why);

	mkdirs(cli->dir);
	snprintf(kpath, sizeof(kpath), "%s/%s", cli->dir, KEY_FILE);
	snprintf(dpath, sizeof(dpath), "%s/%s", cli->dir, DB_FILE);
	if (stat(kpath, &sb) == 0 || stat(dpath, &sb) == 0)
		cli_fail(EXIT_REFUSED, "init: %s already holds a node; "
		    "nothing was changed (use another --data DIR)", cli->dir);
	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	crypto_sign_keypair(pk, sk);
	if (write_key(kpath, sk))
		cli_fail(EXIT_USAGE, "init: write %s: %s", kpath,
		    strerror(errno));
	if (db_open(&cli->db, dpath, true, err) ||
	    db_set_signer(cli->db, sk))
		goto fail;
	sodium_free(sk);
	sk = NULL;
	hex_encode(pk, NODE_KEY_LEN, hex);
	if (db_begin(cli->db, cli_now_ms(), err) ||
	    db_meta_set(cli->db, "name", name, err) ||
	    db_meta_set(cli->db, "center", center ? center : "", err) ||
	    db_meta_set(cli->db, "key", hex, err))
		goto fail;
	/* The node describes itself; the record id is its key's prefix. */
	v.t = VAL_STR;
	v.s = name;
	v.len = strlen(name);
	if (db_put(cli->db, m, pk, schema_field(m, "name", 4), &v, err))
		goto fail;
	if (center != NULL && *center) {
		v.s = center;
		v.len = strlen(center);
		if (db_put(cli->db, m, pk, schema_field(m, "center", 6), &v,
		    err))
			goto fail;
	}
	v.s = hex;
	v.len = strlen(hex);
	if (db_put(cli->db, m, pk, schema_field(m, "key", 3), &v, err) ||
	    db_commit(cli->db, err))
		goto fail;
	printf("initialized node '%s' in %s\nid %s\n", name, cli->dir, hex);
	return (0);

fail:
	if (sk != NULL)
		sodium_free(sk);
	cli_close(cli);
	unlink(kpath);
	unlink(dpath);
	cli_fail(EXIT_REFUSED, "init: %s; nothing was created", err);
}

int
cmd_id(struct cli *cli, int argc, char **argv)
{
	char hex[2 * NODE_KEY_LEN + 1];

	cli_no_more_opts(argc, argv, "id");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "id: takes no arguments");
	cli_open(cli, true);
	hex_encode(db_node_key(cli->db), NODE_KEY_LEN, hex);
	printf("%s\n", hex);
	return (0);
}

/* What each peer acknowledged, against this node's vector now. */
struct ack_sum {
	uint8_t		peer[NODE_KEY_LEN];
	uint64_t	at_ms;
	uint64_t	lacking;	/* Changes held here it has not acked. */
	uint64_t	own;		/* Our own origin's seq it acked. */
};

struct pstat_ctx {
	struct cli	*cli;
	uint64_t	now;
	int		n, nended;	/* Peer rows shown, of ended members. */
	bool		running;	/* This node's agent, */
	uint64_t	since;		/* started then (ms). */
	struct acked_ent *vec;		/* This node's vector. */
	size_t		nvec, cvec;
	struct ack_sum	*acks;
	size_t		nacks;
	uint64_t	own_seq;	/* Of this node's own origin. */
	uint64_t	own_acked;	/* The most any peer acknowledged. */
	int		err;
};

static void
ago(uint64_t now, uint64_t t, char *buf, size_t len)
{
	uint64_t s;

	if (t == 0) {
		snprintf(buf, len, "never");
		return;
	}
	s = now > t ? (now - t) / 1000 : 0;
	if (s < 120)
		snprintf(buf, len, "%llu s ago", (unsigned long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%llu min ago", (unsigned long long)s / 60);
	else
		snprintf(buf, len, "%llu h ago", (unsigned long long)s / 3600);
}

/* The agent writes peer status every 2 s; older rows are stale. */
#define STATUS_STALE_MS	10000

/* ${s} from another node, escaped for a terminal (log_esc()). */
#define ESC(buf, s)	log_esc((buf), sizeof(buf), (s), strlen(s), 0)

static int
vec_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct pstat_ctx *x = arg;
	struct acked_ent *p;

	if (x->nvec == x->cvec) {
		x->cvec = x->cvec ? 2 * x->cvec : 64;
		if ((p = realloc(x->vec, x->cvec * sizeof(*p))) == NULL)
			return (-1);
		x->vec = p;
	}
	memcpy(x->vec[x->nvec].origin, origin, NODE_KEY_LEN);
	x->vec[x->nvec++].seq = seq;
	if (memcmp(origin, db_node_key(x->cli->db), NODE_KEY_LEN) == 0)
		x->own_seq = seq;
	return (0);
}

static int
ack_cb(void *arg, const struct acked *a)
{
	struct pstat_ctx *x = arg;
	struct ack_sum *p, *q;
	uint64_t h;
	size_t i;

	if ((p = realloc(x->acks, (x->nacks + 1) * sizeof(*p))) == NULL)
		return (-1);
	x->acks = p;
	q = &p[x->nacks++];
	memcpy(q->peer, a->peer, NODE_KEY_LEN);
	q->at_ms = a->at_ms;
	q->lacking = 0;
	for (i = 0; i < x->nvec; i++)
		if ((h = acked_seq(a, x->vec[i].origin)) < x->vec[i].seq)
			q->lacking += x->vec[i].seq - h;
	q->own = acked_seq(a, db_node_key(x->cli->db));
	if (q->own > x->own_acked)
		x->own_acked = q->own;
	return (0);
}

/*
 * Read what status counts from acknowledged vectors: this node's vector
 * and each peer's last acknowledgement (agent/sync/acked.h).
 */
static void
pstat_load(struct pstat_ctx *x, struct cli *cli, uint64_t now)
{
	char err[STORE_ERRLEN];

	memset(x, 0, sizeof(*x));
	x->cli = cli;
	x->now = now;
	x->running = agent_running(cli->dir, &x->since) == 1;
	db_read_begin(cli->db);
	if (db_vector(cli->db, vec_cb, x, err) ||
	    acked_each(cli->db, ack_cb, x))
		x->err = 1;
	db_read_end(cli->db);
	if (x->own_acked > x->own_seq)
		x->own_acked = x->own_seq;
}

static void
pstat_free(struct pstat_ctx *x)
{

	free(x->vec);
	free(x->acks);
}

static const struct ack_sum *
ack_of(const struct pstat_ctx *x, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < x->nacks; i++)
		if (memcmp(x->acks[i].peer, key, NODE_KEY_LEN) == 0)
			return (&x->acks[i]);
	return (NULL);
}

/* The state of a row in words, naming whose agent it is about. */
static void
pstat_words(const struct pstat_ctx *x, const struct peer_status *ps,
    const char *who, bool stale, char *buf, size_t len)
{
	char t[32];

	ago(x->now, ps->updated, t, sizeof(t));
	if (!x->running)
		snprintf(buf, len, "not known now: this node's agent is not "
		    "running (it last saw %s's agent %s: %s)", who, t,
		    ps->state);
	else if (stale)
		snprintf(buf, len, "not connected to %s's agent: last heard "
		    "%s (it may have stopped, or the link is down)", who, t);
	else if (strcmp(ps->state, "connected") == 0)
		snprintf(buf, len, "connected to %s's agent", who);
	else if (strcmp(ps->state, "connected (they dialed)") == 0)
		snprintf(buf, len, "connected to %s's agent (it dialed)", who);
	else if (strcmp(ps->state, "connecting") == 0)
		snprintf(buf, len, "dialing %s's agent", who);
	else if (strcmp(ps->state, "backing off") == 0 && ps->retry_at >
	    x->now)
		snprintf(buf, len, "cannot reach %s's agent (next try in %llu "
		    "s)", who, (unsigned long long)(ps->retry_at - x->now +
		    999) / 1000);
	else if (strcmp(ps->state, "backing off") == 0)
		snprintf(buf, len, "cannot reach %s's agent", who);
	else if (strcmp(ps->state, "never reached") == 0)
		snprintf(buf, len, "%s's agent not reached yet", who);
	else
		snprintf(buf, len, "%s's agent: %s", who, ps->state);
}

static int
pstat_cb(void *arg, const struct peer_status *ps)
{
	struct pstat_ctx *x = arg;
	char hex[2 * NODE_KEY_LEN + 1], upd[32], ackt[32], words[1024];
	char name[512], addr[512], error[8192], who[512];
	struct member_rec r;
	const char *state = ps->state;
	const struct ack_sum *a = ack_of(x, ps->key);
	/* (The agent may have written the row since ${now} was read.) */
	bool stale = ps->updated + STATUS_STALE_MS < x->now;
	bool in_sync = a != NULL && a->lacking == 0 && !x->err;
	/* Ended members are listed once, apart (status_ended()). */
	bool ended = member_ended(x->cli->db, ps->key, x->now, error,
	    sizeof(error));

	hex_encode(ps->key, NODE_KEY_LEN, hex);
	if (!x->running)
		state = "unknown (this node's agent is not running)";
	else if (stale)
		state = "not connected";
	ago(x->now, ps->updated, upd, sizeof(upd));
	if (x->cli->json) {
		printf("%s{\"acknowledged_ms\":%llu,\"addr\":", x->n++ ? "," :
		    "", (unsigned long long)(a != NULL ? a->at_ms : 0));
		json_put_str(stdout, ps->addr, strlen(ps->addr));
		printf(",\"bytes_in\":%llu,\"bytes_out\":%llu,\"ended\":%s,"
		    "\"in_sync\":%s,\"key\":\"%s\",\"last_error\":",
		    (unsigned long long)ps->bytes_in,
		    (unsigned long long)ps->bytes_out, ended ? "true" : "false",
		    in_sync ? "true" : "false", hex);
		json_put_str(stdout, ps->last_error, strlen(ps->last_error));
		printf(",\"last_sync_ms\":%llu,\"name\":",
		    (unsigned long long)ps->last_sync);
		json_put_str(stdout, ps->name, strlen(ps->name));
		printf(",\"retry_at_ms\":%llu,\"state\":",
		    (unsigned long long)ps->retry_at);
		json_put_str(stdout, state, strlen(state));
		printf(",\"they_lack\":%llu,\"unacknowledged\":%llu,"
		    "\"updated_ms\":%llu,\"we_lack\":%llu}",
		    (unsigned long long)ps->they_lack,
		    (unsigned long long)(a != NULL ? a->lacking : 0),
		    (unsigned long long)ps->updated,
		    (unsigned long long)ps->we_lack);
		return (0);
	}
	if (ended) {
		x->nended++;
		return (0);
	}
	if (x->n++ == 0)
		printf("peers    as this node's agent last saw them\n");
	/* Not reached yet: the name its members record gives its key. */
	if (*ps->name)
		ESC(name, ps->name);
	else if (member_load(x->cli->db, ps->key, &r) == 1 &&
	    strcmp(r.key, hex) == 0 && *r.name)
		ESC(name, r.name);
	else if (db_meta_get(x->cli->db, "admin_key", who, sizeof(who)) ==
	    0 && strcmp(who, hex) == 0)
		snprintf(name, sizeof(name), "the admin");
	else
		name[0] = '\0';
	snprintf(who, sizeof(who), "%s", *name ? name : "the peer");
	printf("  %-16s %.16s %s\n", *name ? name : "-", hex,
	    ESC(addr, ps->addr));
	pstat_words(x, ps, who, stale, words, sizeof(words));
	printf("    %s; this line updated %s\n", words, upd);
	if (a == NULL)
		printf("    %s has acknowledged none of the changes this node "
		    "holds yet\n", who);
	else {
		ago(x->now, a->at_ms, ackt, sizeof(ackt));
		if (in_sync)
			printf("    in sync: %s acknowledged every change this "
			    "node holds (%s); %llu B in, %llu B out\n", who, ackt,
			    (unsigned long long)ps->bytes_in,
			    (unsigned long long)ps->bytes_out);
		else
			printf("    %s lacks %llu change%s this node holds (as "
			    "it last acknowledged, %s); %llu B in, %llu B "
			    "out\n", who, (unsigned long long)a->lacking,
			    a->lacking == 1 ? "" : "s", ackt,
			    (unsigned long long)ps->bytes_in,
			    (unsigned long long)ps->bytes_out);
	}
	if (*ps->last_error)
		printf("    last error: %s\n", ESC(error, ps->last_error));
	return (0);
}

static int
count_conflict(void *arg, const struct cview *cv)
{
	long *n = arg;

	(void)cv;
	(*n)++;
	return (0);
}

static int
audit_cb(void *arg, const struct db_refusal *r)
{
	struct cli *cli = arg;
	char node[128], key[2 * NODE_KEY_LEN + 1], id[2 * SCHEMA_ID_LEN + 1];
	char tm[32], enode[512], reason[2048];

	query_node_name(cli->db, r->origin, node, sizeof(node));
	hex_encode(r->origin, NODE_KEY_LEN, key);
	hex_encode(r->id, SCHEMA_ID_LEN, id);
	if (!cli->json) {
		cli_time(r->hlc, tm);
		printf("  %s  %-16s seq %-6llu %s %s\n      %s\n", tm,
		    ESC(enode, node), (unsigned long long)r->seq, r->coll, id,
		    ESC(reason, r->reason));
		return (0);
	}
	printf("{\"collection\":");
	json_put_str(stdout, r->coll, strlen(r->coll));
	printf(",\"hlc\":%llu,\"id\":\"%s\",\"name\":",
	    (unsigned long long)r->hlc, id);
	json_put_str(stdout, node, strlen(node));
	printf(",\"origin\":\"%s\",\"reason\":", key);
	json_put_str(stdout, r->reason, strlen(r->reason));
	printf(",\"seq\":%llu}\n", (unsigned long long)r->seq);
	return (0);
}

/*
 * Each origin that signed two histories (store/fork.c), in plain words
 * and what to do; in JSON, objects of a list.
 */
struct forks_ctx {
	struct cli	*cli;
	const char	*indent;
	size_t		n;
};

static int
fork_line(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct forks_ctx *fx = arg;
	struct cli *cli = fx->cli;
	char node[128], enode[512], key[2 * NODE_KEY_LEN + 1];
	bool me;

	query_node_name(cli->db, origin, node, sizeof(node));
	hex_encode(origin, NODE_KEY_LEN, key);
	me = db_node_key(cli->db) != NULL && memcmp(origin,
	    db_node_key(cli->db), NODE_KEY_LEN) == 0;
	if (cli->json) {
		printf("%s{\"key\":\"%s\",\"name\":", fx->n++ ? "," : "",
		    key);
		json_put_str(stdout, node, strlen(node));
		printf(",\"seq\":%llu,\"self\":%s}", (unsigned long long)seq,
		    me ? "true" : "false");
		return (0);
	}
	fx->n++;
	printf("%s%s%s%s signed two different histories from seq %llu (a "
	    "copy of its data directory or a restored backup wrote too): "
	    "both are kept, and its changes from seq %llu on count on no "
	    "node.\n%s  What to do: %s 'hamroh fork list' and 'hamroh "
	    "fork recommit' on the copy whose writes are to stand (key "
	    "%.16s), and stop the other copy for good.\n",
	    fx->indent, me ? "THIS OFFICE " : "office ", me ? "" : ESC(enode,
	    node), me ? "" : " ", (unsigned long long)seq, (unsigned long long)seq,
	    fx->indent, me ? "run" : "on that office, run", key);
	return (0);
}

/* A node whose clock is off by more than HLC_SKEW_MS, as last measured. */
struct skewed {
	uint8_t		subject[NODE_KEY_LEN], observer[NODE_KEY_LEN];
	int64_t		offset_ms;
	uint64_t	at_ms;
	char		via[8];
};

#define STATUS_SKEWED	32	/* Listed by status; more are counted. */

struct skew_ctx {
	const uint8_t	*me;
	uint8_t		last[NODE_KEY_LEN];
	bool		any;
	struct skewed	s[STATUS_SKEWED];
	size_t		n, more;
};

/* The newest observation of each node (they come newest first). */
static int
skew_cb(void *arg, const struct db_clock *c)
{
	struct skew_ctx *x = arg;
	struct skewed *k;
	int64_t off = c->offset_ms;

	if (x->any && memcmp(x->last, c->subject, NODE_KEY_LEN) == 0)
		return (0);
	x->any = true;
	memcpy(x->last, c->subject, NODE_KEY_LEN);
	if ((off < 0 ? -off : off) <= HLC_SKEW_MS)
		return (0);
	if (x->n == STATUS_SKEWED) {
		x->more++;
		return (0);
	}
	k = &x->s[x->n++];
	memcpy(k->subject, c->subject, NODE_KEY_LEN);
	memcpy(k->observer, c->observer, NODE_KEY_LEN);
	k->offset_ms = off;
	k->at_ms = c->at_ms;
	snprintf(k->via, sizeof(k->via), "%s", c->via);
	return (0);
}

/*
 * The clocks section of status: every node whose clock was last measured
 * more than HLC_SKEW_MS off, by whom and how.  A session measures both
 * ways; a commit stamped ahead shows only a clock that runs ahead (one
 * that runs behind looks like a bundle that took long to arrive).
 */
static void
status_clocks(struct cli *cli, const struct skew_ctx *x)
{
	const struct skewed *k;
	char name[128], by[128], hex[2 * NODE_KEY_LEN + 1], sp[32], tm[32];
	size_t i;

	for (i = 0; i < x->n; i++) {
		k = &x->s[i];
		hex_encode(k->subject, NODE_KEY_LEN, hex);
		query_node_name(cli->db, k->subject, name, sizeof(name));
		if (x->me != NULL && memcmp(k->observer, x->me,
		    NODE_KEY_LEN) == 0)
			snprintf(by, sizeof(by), "this node");
		else
			query_node_name(cli->db, k->observer, by, sizeof(by));
		if (cli->json) {
			printf("%s{\"at_ms\":%llu,\"key\":\"%s\",\"name\":",
			    i ? "," : "", (unsigned long long)k->at_ms, hex);
			json_put_str(stdout, name, strlen(name));
			printf(",\"observer\":");
			json_put_str(stdout, by, strlen(by));
			printf(",\"offset_ms\":%lld,\"via\":\"%s\"}",
			    (long long)k->offset_ms, k->via);
			continue;
		}
		hlc_span((uint64_t)(k->offset_ms < 0 ? -k->offset_ms :
		    k->offset_ms), sp);
		cli_time((k->at_ms & 0xffffffffffffULL) << HLC_SHIFT, tm);
		if (x->me != NULL && memcmp(k->subject, x->me,
		    NODE_KEY_LEN) == 0)
			printf("         this computer's clock is %s %s"
			    " (measured by %s, %s); set it\n", sp,
			    k->offset_ms > 0 ? "ahead" : "behind", by, tm);
		else
			printf("         %s (%.16s) is %s%s %s (%s %s, %s)\n",
			    name, hex, strcmp(k->via, "commit") == 0 ?
			    "at least " : "", sp, k->offset_ms > 0 ? "ahead" :
			    "behind", strcmp(k->via, "commit") == 0 ?
			    "its commits' stamps, seen by" : "measured by", by,
			    tm);
	}
	if (x->more > 0 && !cli->json)
		printf("         and %zu more\n", x->more);
}

/*
 * The days until this node's certificate expires (negative: since), or
 * INT64_MAX if it holds none.
 */
static int64_t
cert_days(struct cli *cli, uint64_t now, char expires[MEMBER_DATE_LEN + 1])
{
	struct member_rec r;
	struct tm tm;
	time_t end;

	expires[0] = '\0';
	if (db_node_key(cli->db) == NULL || member_load(cli->db,
	    db_node_key(cli->db), &r) != 1 || strlen(r.expires) !=
	    MEMBER_DATE_LEN)
		return (INT64_MAX);
	memset(&tm, 0, sizeof(tm));
	if (sscanf(r.expires, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday) != 3)
		return (INT64_MAX);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	snprintf(expires, MEMBER_DATE_LEN + 1, "%s", r.expires);
	/* Valid to the end of its day. */
	end = timegm(&tm) + 86400;
	return (((int64_t)end * 1000 - (int64_t)now) / 86400000);
}

/* Members whose membership ended (revoked, expired), each once. */
struct ended_ctx {
	struct cli	*cli;
	uint64_t	now;
	size_t		n;
};

static int
ended_cb(void *arg, const uint8_t *key)
{
	struct ended_ctx *e = arg;
	struct member_rec r;
	char why[512], hex[2 * NODE_KEY_LEN + 1], name[512], ewhy[2048];
	const char *nm;

	if (!member_ended(e->cli->db, key, e->now, why, sizeof(why)))
		return (0);
	hex_encode(key, NODE_KEY_LEN, hex);
	nm = member_load(e->cli->db, key, &r) == 1 && strcmp(r.key, hex) == 0 ?
	    r.name : "";
	if (e->cli->json) {
		printf("%s{\"key\":\"%s\",\"name\":", e->n++ ? "," : "",
		    hex);
		json_put_str(stdout, nm, strlen(nm));
		printf(",\"why\":");
		json_put_str(stdout, why, strlen(why));
		printf("}");
		return (0);
	}
	printf("%s %-16s %.16s %s; not dialed\n", e->n++ ? "        " :
	    "ended   ", *nm ? ESC(name, nm) : "-", hex, ESC(ewhy, why));
	return (0);
}

static void
status_ended(struct cli *cli, uint64_t now)
{
	struct ended_ctx e = { cli, now, 0 };

	(void)member_each(cli->db, ended_cb, &e);
}

/*
 * Whether THIS node's agent runs, and what of this node's own changes no
 * other office has acknowledged: without the agent, nothing made here
 * reaches anyone, whatever the last rows of peer status said.
 */
static void
status_agent(const struct pstat_ctx *x, uint64_t since, uint64_t unacked)
{
	char t[32] = "?";

	if (since > 0)
		cli_time(since << HLC_SHIFT, t);
	if (x->running)
		printf("agent    running on this node since %s\n", t);
	else if (since > 0)
		printf("agent    not running on this node (last started %s): "
		    "changes made here reach no other office until 'hamroh "
		    "agent' runs\n", t);
	else
		printf("agent    not running on this node (never started): "
		    "changes made here reach no other office until 'hamroh "
		    "agent' runs\n");
	if (x->err)
		printf("changes  cannot count what other offices "
		    "acknowledged\n");
	else if (unacked > 0)
		printf("changes  %llu change%s made here that no other office "
		    "has acknowledged yet\n", (unsigned long long)unacked,
		    unacked == 1 ? "" : "s");
	else if (x->own_seq > 0)
		printf("changes  all changes made here acknowledged by another "
		    "office\n");
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	struct db_status s;
	struct pstat_ctx px;
	char err[STORE_ERRLEN], hex[2 * NODE_KEY_LEN + 1], center[256];
	char role[64];
	char expires[MEMBER_DATE_LEN + 1];
	long nconf = 0;
	uint64_t now = cli_now_ms();
	int64_t ahead = 0, days;
	struct skew_ctx sk;
	struct forks_ctx fx;
	uint64_t since, unacked;

	cli_no_more_opts(argc, argv, "status");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "status: takes no arguments");
	cli_open(cli, true);
	if (db_status(cli->db, &s, err))
		cli_fail(EXIT_REFUSED, "status: %s", err);
	hex_encode(db_node_key(cli->db), NODE_KEY_LEN, hex);
	if (db_meta_get(cli->db, "center", center, sizeof(center)))
		center[0] = '\0';
	if (db_meta_get(cli->db, "role", role, sizeof(role)))
		snprintf(role, sizeof(role), "not in a network");
	if (query_conflicts(cli->db, count_conflict, &nconf, err) < 0)
		nconf = 0;
	/* How far ahead of our clock the newest foreign commit is. */
	if (hlc_ms(s.max_foreign_hlc) > now)
		ahead = (int64_t)(hlc_ms(s.max_foreign_hlc) - now);
	memset(&sk, 0, sizeof(sk));
	sk.me = db_node_key(cli->db);
	if (db_clocks(cli->db, skew_cb, &sk, err) < 0)
		sk.n = 0;
	days = *role ? cert_days(cli, now, expires) : INT64_MAX;
	pstat_load(&px, cli, now);
	since = px.since;
	unacked = px.own_seq - px.own_acked;
	if (cli->json) {
		printf("{\"agent\":{\"running\":%s,\"since_ms\":%llu},"
		    "\"center\":", px.running ? "true" : "false",
		    (unsigned long long)since);
		json_put_str(stdout, center, strlen(center));
		printf(",\"cert_expires\":");
		json_put_str(stdout, expires, strlen(expires));
		printf(",\"cert_warning\":%s", days <= CERT_WARN_DAYS ?
		    "true" : "false");
		printf(",\"clock_ahead_ms\":%lld,\"clocks\":[",
		    (long long)ahead);
		status_clocks(cli, &sk);
		printf("],\"commits\":%llu,\"conflicts\":%ld,"
		    "\"ended_members\":[", (unsigned long long)s.commits, nconf);
		status_ended(cli, now);
		printf("],\"forked\":[");
		fx.cli = cli;
		fx.indent = "";
		fx.n = 0;
		db_forks(cli->db, fork_line, &fx, err);
		printf("],\"forks\":%llu,\"held\":%llu,\"id\":\"%s\","
		    "\"name\":", (unsigned long long)s.forks,
		    (unsigned long long)s.held, hex);
		json_put_str(stdout, cli->name, strlen(cli->name));
		printf(",\"origins\":%llu,\"peers\":[",
		    (unsigned long long)s.origins);
		db_peer_status(cli->db, pstat_cb, &px, err);
		printf("],\"refused\":%llu,\"role\":",
		    (unsigned long long)s.refused);
		json_put_str(stdout, role, strlen(role));
		printf(",\"skew_warning\":%s,\"stranger_origins\":%llu,"
		    "\"strangers\":%llu,\"strangers_dropped\":%llu,"
		    "\"unacknowledged_here\":%llu}\n",
		    ahead > HLC_SKEW_MS ? "true" : "false",
		    (unsigned long long)s.stranger_origins,
		    (unsigned long long)s.strangers,
		    (unsigned long long)s.dropped,
		    (unsigned long long)unacked);
		pstat_free(&px);
		return (0);
	}
	printf("node     %s (%s), %s\nid       %s\n", cli->name,
	    *center ? center : "no center", role, hex);
	status_agent(&px, since, unacked);
	printf("commits  %llu from %llu origins\n",
	    (unsigned long long)s.commits, (unsigned long long)s.origins);
	printf("held     %llu (waiting for earlier commits of their "
	    "origin)\n", (unsigned long long)s.held);
	printf("conflicts %ld%s\n", nconf, nconf ? " (see 'hamroh conflicts')" :
	    "");
	printf("forks    %llu%s\n", (unsigned long long)s.forks, s.forks ?
	    "  WARNING:" : "");
	fx.cli = cli;
	fx.indent = "         ";
	fx.n = 0;
	if (s.forks > 0)
		db_forks(cli->db, fork_line, &fx, err);
	printf("refused  %llu%s%s\n", (unsigned long long)s.refused,
	    s.refused == 1 ? " change" : s.refused ? " changes" : "",
	    s.refused ? " their origin had no right to make, not applied; "
	    "the newest:" : "");
	if (s.refused > 0 && db_refusals(cli->db, STATUS_REFUSALS, audit_cb,
	    cli, err) == 0 && s.refused > STATUS_REFUSALS)
		printf("         and %llu more: 'hamroh audit' lists them "
		    "all\n", (unsigned long long)(s.refused - STATUS_REFUSALS));
	if (s.refused_history > 0)
		printf("history  %llu changes this node held from before it"
		    " joined were in clear: they stay here only, and the network"
		    " has them sealed ('hamroh audit' lists them)\n",
		    (unsigned long long)s.refused_history);
	if (s.strangers > 0)
		printf("strangers %llu changes of %llu nodes no certificate"
		    " names, set aside until one does\n",
		    (unsigned long long)s.strangers,
		    (unsigned long long)s.stranger_origins);
	if (s.dropped > 0)
		printf("dropped  %llu changes: of strangers past what is set"
		    " aside (%d nodes, %d MiB), or of revoked nodes more than"
		    " %d past their cut-off\n", (unsigned long long)s.dropped,
		    QUARANTINE_MAX_ORIGINS, QUARANTINE_MAX_BYTES >> 20,
		    FORMER_MAX_PAST);
	if (days <= CERT_WARN_DAYS && days >= 0)
		printf("member   WARNING: this office's certificate expires on"
		    " %s, in %lld days; ask the coordinating office to renew"
		    " the invite\n", expires, (long long)days);
	else if (days < 0)
		printf("member   WARNING: this office's certificate expired on"
		    " %s; what it writes counts nowhere until the coordinating"
		    " office renews the invite\n", expires);
	if (sk.n > 0) {
		printf("clock    WARNING: clocks more than %d minutes off:\n",
		    HLC_SKEW_MS / 60000);
		status_clocks(cli, &sk);
	} else if (ahead > HLC_SKEW_MS)
		printf("clock    WARNING: a peer's newest change is %lld "
		    "minutes ahead of this node's clock; check the clocks\n",
		    (long long)(ahead / 60000));
	else
		printf("clock    ok\n");
	db_peer_status(cli->db, pstat_cb, &px, err);
	if (px.n == 0 && px.nended == 0)
		printf("peers    none yet (start 'hamroh agent')\n");
	else if (px.n == 0)
		printf("peers    none that is still a member\n");
	status_ended(cli, now);
	pstat_free(&px);
	return (0);
}

int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	struct db_status s;
	struct forks_ctx fx = { cli, "", 0 };
	char err[STORE_ERRLEN];

	cli_no_more_opts(argc, argv, "audit");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "audit: takes no arguments");
	cli_open(cli, false);
	db_read_begin(cli->db);
	if (db_status(cli->db, &s, err))
		cli_fail(EXIT_REFUSED, "audit: %s", err);
	/* A fork first: it says why many of the changes below count not. */
	if (!cli->json && db_forks(cli->db, fork_line, &fx, err) < 0)
		cli_fail(EXIT_REFUSED, "audit: %s", err);
	if (db_refusals(cli->db, 0, audit_cb, cli, err))
		cli_fail(EXIT_REFUSED, "audit: %s", err);
	db_read_end(cli->db);
	if (s.refused == 0 && !cli->json)
		printf("nothing refused: every change came from a node "
		    "entitled to make it\n");
	return (0);
}

static int
vec_line(void *arg, const uint8_t *key, uint64_t seq)
{
	bool *first = arg;
	char hex[2 * NODE_KEY_LEN + 1];

	hex_encode(key, NODE_KEY_LEN, hex);
	if (first == NULL)
		printf("%s %llu\n", hex, (unsigned long long)seq);
	else {
		printf("%s\"%s\":%llu", *first ? "" : ",", hex,
		    (unsigned long long)seq);
		*first = false;
	}
	return (0);
}

int
cmd_vector(struct cli *cli, int argc, char **argv)
{
	char err[STORE_ERRLEN];
	bool first = true;

	cli_no_more_opts(argc, argv, "vector");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "vector: takes no arguments");
	cli_open(cli, false);
	if (cli->json)
		printf("{");
	if (db_vector(cli->db, vec_line, cli->json ? &first : NULL, err))
		cli_fail(EXIT_REFUSED, "vector: %s", err);
	if (cli->json)
		printf("}\n");
	return (0);
}

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	struct db_status s;
	char err[STORE_ERRLEN];
	long bad;

	cli_no_more_opts(argc, argv, "verify");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "verify: takes no arguments");
	cli_open(cli, false);
	if ((bad = db_verify(cli->db, stdout, err)) < 0)
		cli_fail(EXIT_REFUSED, "verify: %s", err);
	if (bad > 0)
		cli_fail(EXIT_REFUSED, "verify: %ld problems (listed above)",
		    bad);
	db_status(cli->db, &s, err);
	printf("ok: %llu commits from %llu origins; signatures, hash chains "
	    "and tables check\n", (unsigned long long)s.commits,
	    (unsigned long long)s.origins);
	return (0);
}

int
cmd_rebuild(struct cli *cli, int argc, char **argv)
{
	char err[STORE_ERRLEN];

	cli_no_more_opts(argc, argv, "rebuild");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "rebuild: takes no arguments");
	cli_open(cli, false);
	if (db_rebuild(cli->db, err))
		cli_fail(EXIT_REFUSED, "rebuild: %s", err);
	printf("rebuilt every collection from the log\n");
	return (0);
}

int
cmd_backup(struct cli *cli, int argc, char **argv)
{
	char err[STORE_ERRLEN], name[128], path[4096];
	struct stat sb;
	bool net, conf;

	cli_no_more_opts(argc, argv, "backup");
	if (argc != 1)
		cli_fail(EXIT_USAGE, "backup: give one FILE");
	if (stat(argv[0], &sb) == 0)
		cli_fail(EXIT_REFUSED, "backup: %s exists; give a new file "
		    "name", argv[0]);
	cli_open(cli, false);
	if (db_backup(cli->db, argv[0], err)) {
		unlink(argv[0]);
		cli_fail(EXIT_REFUSED, "backup: %s", err);
	}
	/* One line: the files a restore needs, which the backup lacks. */
	net = db_meta_get(cli->db, "network_name", name, sizeof(name)) == 0;
	snprintf(path, sizeof(path), "%s/%s", cli->dir, CONF_FILE);
	conf = stat(path, &sb) == 0;
	printf("backup written to %s\n", argv[0]);
	printf("a restore ('hamroh --data NEW_DIR restore %s') needs it and "
	    "this node's %s%s%s from %s, which it does not hold: keep "
	    "copies of them apart, as secrets\n", argv[0], KEY_FILE,
	    net ? (conf ? ", network.key" : " and network.key") : "",
	    conf ? " and " CONF_FILE : "", cli->dir);
	return (0);
}

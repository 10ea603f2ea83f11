/*
 * cmd_node.c: the node itself — init, id, status, vector, verify, rebuild,
 * backup, audit: argv and printing; the operations are agent/ops/node.c
 * and status.c.
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
#include "agent/report/run.h"
#include "agent/access/confidential.h"
#include "agent/codec/json.h"
#include "agent/access/member.h"
#include "agent/daemon/log.h"
#include "agent/ops/node.h"
#include "agent/ops/users.h"
#include "protocol/limits.h"
#include "store/hlc.h"
#include "store/query.h"

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	struct ops_init_args a;
	char hex[OPS_KEY_HEX], cut[48], *pass = NULL, min[16];
	struct ops_err e;
	size_t len = 0;

	a.name = cli_opt(&argc, argv, "--name");
	a.center = cli_opt(&argc, argv, "--center");
	cli_no_more_opts(argc, argv, "init");
	if (argc > 0)
		cli_die(EXIT_USAGE, "init", OPS_MSG_CLI_UNEXPECTED_ARG, 1,
		    cli_cut(cut, sizeof(cut), argv[0], 40));
	if (a.name == NULL)
		cli_die(EXIT_USAGE, "init", OPS_MSG_CLI_INIT_NAME, 0);
	/* The first user's passphrase before anything is made. */
	if (cli->user != NULL) {
		if (!user_name_ok(cli->user)) {
			ops_fail(&e, OPS_BAD_INPUT, OPS_MSG_USER_NAME_INVALID,
			    1, cli->user);
			cli_ops_fail(cli, "init --user", &e);
		}
		if ((pass = sodium_malloc(USER_PASS_MAX + 2)) == NULL)
			cli_fail(EXIT_USAGE, "out of memory");
		if (cli_pass(cli, cli->user, true, pass, USER_PASS_MAX + 2,
		    &len, &e))
			cli_ops_fail(cli, "init --user", &e);
		if (len < USER_PASS_MIN) {
			snprintf(min, sizeof(min), "%d", USER_PASS_MIN);
			ops_fail(&e, OPS_BAD_INPUT, OPS_MSG_USER_PASS_SHORT, 1,
			    min);
			cli_ops_fail(cli, "init --user", &e);
		}
	}
	if (ops_init_node(cli->dir, &a, cli_now_ms(), hex, &e))
		/* The data dir's own trouble was never told as init's. */
		cli_ops_fail(cli, e.key == OPS_MSG_INIT_DIR_LONG ||
		    e.key == OPS_MSG_INIT_MKDIR || e.key == OPS_MSG_NOMEM ?
		    NULL : "init", &e);
	printf("initialized node '%s' in %s\nid %s\n", a.name, cli->dir, hex);
	if (pass != NULL) {
		cli_init_user(cli, pass, len);
		sodium_free(pass);
	}
	return (0);
}

int
cmd_id(struct cli *cli, int argc, char **argv)
{
	char hex[OPS_INVITE_ID_LEN];
	struct ops_err e;
	struct ops o;
	bool inv;

	inv = cli_flag(&argc, argv, "--invite");
	cli_no_more_opts(argc, argv, "id");
	if (argc > 0)
		cli_die(EXIT_USAGE, "id", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (inv ? ops_node_invite_id(&o, hex, &e) : ops_node_id(&o, hex, &e))
		cli_ops_fail(cli, "id", &e);
	printf("%s\n", hex);
	ops_fini(&o);
	return (0);
}

/* What the status and audit rows print with (agent/ops/node.h). */
struct st_ctx {
	struct cli			*cli;
	const struct ops_status_res	*r;	/* status only. */
	const char			*indent;	/* Of fork lines. */
	size_t				n;	/* Rows shown. */
	int				nended;	/* Peer rows of ended members. */
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

/* ${s} from another node, escaped for a terminal (log_esc()). */
#define ESC(buf, s)	log_esc((buf), sizeof(buf), (s), strlen(s), 0)

/* The state of a row in words, naming whose agent it is about. */
static void
pstat_words(const struct ops_status_res *x, const struct peer_status *ps,
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

static void
peer_json(struct st_ctx *x, const struct ops_status_peer *row,
    const char *state)
{
	const struct peer_status *ps = row->ps;

	printf("%s{\"acknowledged_ms\":%llu,\"addr\":", x->n++ ? "," : "",
	    (unsigned long long)row->acked_ms);
	json_put_str(stdout, ps->addr, strlen(ps->addr));
	printf(",\"bytes_in\":%llu,\"bytes_out\":%llu,\"ended\":%s,"
	    "\"in_sync\":%s,\"key\":\"%s\",\"last_error\":",
	    (unsigned long long)ps->bytes_in,
	    (unsigned long long)ps->bytes_out, row->ended ? "true" : "false",
	    row->in_sync ? "true" : "false", row->key);
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
	    (unsigned long long)row->lacking,
	    (unsigned long long)ps->updated,
	    (unsigned long long)ps->we_lack);
}

static int
peer_row(void *arg, const struct ops_status_peer *row)
{
	struct st_ctx *x = arg;
	const struct ops_status_res *r = x->r;
	const struct peer_status *ps = row->ps;
	char upd[32], ackt[32], words[1024];
	char name[512], addr[512], error[8192], who[512];
	const char *state = ps->state;

	if (!r->running)
		state = "unknown (this node's agent is not running)";
	else if (row->stale)
		state = "not connected";
	ago(r->now, ps->updated, upd, sizeof(upd));
	if (x->cli->json) {
		peer_json(x, row, state);
		return (0);
	}
	/* Ended members are listed once, apart (ended_row()). */
	if (row->ended) {
		x->nended++;
		return (0);
	}
	if (x->n++ == 0)
		printf("peers    as this node's agent last saw them\n");
	if (*row->shown)
		ESC(name, row->shown);
	else
		name[0] = '\0';
	snprintf(who, sizeof(who), "%s", *name ? name : "the peer");
	printf("  %-16s %.16s %s\n", *name ? name : "-", row->key,
	    ESC(addr, ps->addr));
	pstat_words(r, ps, who, row->stale, words, sizeof(words));
	printf("    %s; this line updated %s\n", words, upd);
	if (!row->acked)
		printf("    %s has acknowledged none of the changes this node "
		    "holds yet\n", who);
	else {
		ago(r->now, row->acked_ms, ackt, sizeof(ackt));
		if (row->in_sync)
			printf("    in sync: %s acknowledged every change this "
			    "node holds (%s); %llu B in, %llu B out\n", who, ackt,
			    (unsigned long long)ps->bytes_in,
			    (unsigned long long)ps->bytes_out);
		else
			printf("    %s lacks %llu change%s this node holds (as "
			    "it last acknowledged, %s); %llu B in, %llu B "
			    "out\n", who, (unsigned long long)row->lacking,
			    row->lacking == 1 ? "" : "s", ackt,
			    (unsigned long long)ps->bytes_in,
			    (unsigned long long)ps->bytes_out);
	}
	/*
	 * An error from before the link came up, the peer now in sync, is
	 * history: it would read as a fault to fix (--json keeps it).
	 */
	if (*ps->last_error && !(row->in_sync &&
	    strncmp(state, "connected", 9) == 0))
		printf("    last error: %s\n", ESC(error, ps->last_error));
	return (0);
}

static int
refusal_row(void *arg, const struct ops_refusal_row *row)
{
	struct st_ctx *x = arg;
	const struct db_refusal *r = row->r;
	char tm[32], reason[2048], who[1024], ewho[4096];

	ops_who_text("en", row->who, who, sizeof(who));
	if (!x->cli->json) {
		cli_time(r->hlc, tm);
		printf("  %s  %-16s change %-6llu %s %s\n      %s\n", tm,
		    ESC(ewho, who), (unsigned long long)r->seq, r->coll,
		    row->id, ESC(reason, r->reason));
		return (0);
	}
	printf("{\"collection\":");
	json_put_str(stdout, r->coll, strlen(r->coll));
	printf(",\"hlc\":%llu,\"id\":\"%s\",\"name\":",
	    (unsigned long long)r->hlc, row->id);
	json_put_str(stdout, row->name, strlen(row->name));
	printf(",\"origin\":\"%s\",\"reason\":", row->key);
	json_put_str(stdout, r->reason, strlen(r->reason));
	printf(",\"seq\":%llu,\"user\":", (unsigned long long)r->seq);
	if (row->who->has_user)
		json_put_str(stdout, row->who->user, strlen(row->who->user));
	else
		printf("null");
	printf(",\"who\":");
	json_put_str(stdout, who, strlen(who));
	printf("}\n");
	return (0);
}

/*
 * Each origin that signed two histories (store/fork.c), in plain words
 * and what to do; in JSON, objects of a list.
 */
static int
fork_row(void *arg, const struct ops_fork_row *f)
{
	struct st_ctx *x = arg;
	char enode[512];
	bool me = f->self;

	if (x->cli->json) {
		printf("%s{\"key\":\"%s\",\"name\":", x->n++ ? "," : "",
		    f->key);
		json_put_str(stdout, f->name, strlen(f->name));
		printf(",\"seq\":%llu,\"self\":%s}", (unsigned long long)f->seq,
		    me ? "true" : "false");
		return (0);
	}
	x->n++;
	printf("%s%s%s%s signed two different histories from its change %llu "
	    "on (a copy of its data directory or a restored backup wrote "
	    "too): both are kept, and its changes from there on count on no "
	    "node.\n%s  What to do: %s 'hamroh fork list' and 'hamroh "
	    "fork recommit' on the copy whose writes are to stand (key "
	    "%.16s), and stop the other copy for good.\n",
	    x->indent, me ? "THIS OFFICE " : "office ", me ? "" : ESC(enode,
	    f->name), me ? "" : " ", (unsigned long long)f->seq,
	    x->indent, me ? "run" :
	    "on that office, run", f->key);
	return (0);
}

/*
 * The clocks section of status: every node whose clock was last measured
 * more than HLC_SKEW_MS off, by whom and how.  A session measures both
 * ways; a commit stamped ahead shows only a clock that runs ahead (one
 * that runs behind looks like a bundle that took long to arrive).
 */
static void
status_clocks(struct cli *cli, const struct ops_status_res *r)
{
	const struct ops_clock_row *k;
	char sp[32], tm[32];
	size_t i;

	for (i = 0; i < r->nclocks; i++) {
		k = &r->clocks[i];
		if (cli->json) {
			printf("%s{\"at_ms\":%llu,\"key\":\"%s\",\"name\":",
			    i ? "," : "", (unsigned long long)k->at_ms, k->key);
			json_put_str(stdout, k->name, strlen(k->name));
			printf(",\"observer\":");
			json_put_str(stdout, k->by, strlen(k->by));
			printf(",\"offset_ms\":%lld,\"via\":\"%s\"}",
			    (long long)k->offset_ms, k->via);
			continue;
		}
		hlc_span((uint64_t)(k->offset_ms < 0 ? -k->offset_ms :
		    k->offset_ms), sp);
		cli_time((k->at_ms & 0xffffffffffffULL) << HLC_SHIFT, tm);
		if (k->self)
			printf("         this computer's clock is %s %s"
			    " (measured by %s, %s); set it\n", sp,
			    k->offset_ms > 0 ? "ahead" : "behind", k->by, tm);
		else
			printf("         %s (%.16s) is %s%s %s (%s %s, %s)\n",
			    k->name, k->key, strcmp(k->via, "commit") == 0 ?
			    "at least " : "", sp, k->offset_ms > 0 ? "ahead" :
			    "behind", strcmp(k->via, "commit") == 0 ?
			    "the times its changes bear, seen by" :
			    "measured by",
			    k->by, tm);
	}
	if (r->clocks_more > 0 && !cli->json)
		printf("         and %zu more\n", r->clocks_more);
}

/* Members whose membership ended (revoked, expired), each once. */
static int
ended_row(void *arg, const struct ops_ended_row *row)
{
	struct st_ctx *x = arg;
	char name[512], ewhy[2048];

	if (x->cli->json) {
		printf("%s{\"key\":\"%s\",\"name\":", x->n++ ? "," : "",
		    row->key);
		json_put_str(stdout, row->name, strlen(row->name));
		printf(",\"why\":");
		json_put_str(stdout, row->why, strlen(row->why));
		printf("}");
		return (0);
	}
	printf("%s %-16s %.16s %s; not dialed\n", x->n++ ? "        " :
	    "ended   ", *row->name ? ESC(name, row->name) : "-", row->key,
	    ESC(ewhy, row->why));
	return (0);
}

/*
 * Whether THIS node's agent runs, and what of this node's own changes no
 * other office has acknowledged: without the agent, nothing made here
 * reaches anyone, whatever the last rows of peer status said.
 */
static void
status_agent(const struct ops_status_res *r)
{
	char t[32] = "?";

	if (r->since_ms > 0)
		cli_time(r->since_ms << HLC_SHIFT, t);
	if (r->running)
		printf("agent    running on this node since %s\n", t);
	else if (r->since_ms > 0)
		printf("agent    not running on this node (last started %s): "
		    "changes made here reach no other office until 'hamroh "
		    "agent' runs\n", t);
	else
		printf("agent    not running on this node (never started): "
		    "changes made here reach no other office until 'hamroh "
		    "agent' runs\n");
	if (r->acks_err)
		printf("changes  cannot count what other offices "
		    "acknowledged\n");
	else if (r->unacked > 0)
		printf("changes  %llu change%s made here that no other office "
		    "has acknowledged yet\n", (unsigned long long)r->unacked,
		    r->unacked == 1 ? "" : "s");
	else if (r->own_seq > 0)
		printf("changes  all changes made here acknowledged by another "
		    "office\n");
}

/* Status in JSON, its keys sorted. */
static void
status_json(struct cli *cli, struct ops *o, const struct ops_status_res *r)
{
	const struct db_status *s = &r->s;
	struct st_ctx x = { cli, r, "", 0, 0 };
	struct ops_err e;

	printf("{\"agent\":{\"running\":%s,\"since_ms\":%llu},"
	    "\"center\":", r->running ? "true" : "false",
	    (unsigned long long)r->since_ms);
	json_put_str(stdout, r->center, strlen(r->center));
	printf(",\"cert_expires\":");
	json_put_str(stdout, r->cert_expires, strlen(r->cert_expires));
	printf(",\"cert_warning\":%s", r->cert_days <= OPS_CERT_WARN_DAYS ?
	    "true" : "false");
	printf(",\"clock_ahead_ms\":%lld,\"clocks\":[",
	    (long long)r->ahead_ms);
	status_clocks(cli, r);
	printf("],\"commits\":%llu,\"conflicts\":%ld,"
	    "\"ended_members\":[", (unsigned long long)s->commits,
	    r->conflicts);
	(void)ops_status_ended(o, r, ended_row, &x, &e);
	printf("],\"forked\":[");
	x.n = 0;
	(void)ops_forks(o, fork_row, &x, &e);
	printf("],\"forks\":%llu,\"held\":%llu,\"id\":\"%s\","
	    "\"name\":", (unsigned long long)s->forks,
	    (unsigned long long)s->held, r->id);
	json_put_str(stdout, cli->name, strlen(cli->name));
	printf(",\"origins\":%llu,\"peers\":[",
	    (unsigned long long)s->origins);
	x.n = 0;
	(void)ops_status_peers(o, r, peer_row, &x, &e);
	printf("],\"refused\":%llu,\"role\":",
	    (unsigned long long)s->refused);
	json_put_str(stdout, r->role, strlen(r->role));
	printf(",\"skew_warning\":%s,\"stranger_origins\":%llu,"
	    "\"strangers\":%llu,\"strangers_dropped\":%llu,"
	    "\"unacknowledged_here\":%llu}\n",
	    r->ahead_ms > HLC_SKEW_MS ? "true" : "false",
	    (unsigned long long)s->stranger_origins,
	    (unsigned long long)s->strangers,
	    (unsigned long long)s->dropped,
	    (unsigned long long)r->unacked);
}

/* Refusals status shows, the newest first; audit shows them all. */
#define STATUS_REFUSALS	5

/* What this node holds, refused and was told, in words. */
static void
status_changes(struct cli *cli, struct ops *o, const struct ops_status_res *r)
{
	const struct db_status *s = &r->s;
	struct st_ctx x = { cli, r, "         ", 0, 0 };
	struct ops_err e;

	printf("changes  %llu from %llu offices\n",
	    (unsigned long long)s->commits, (unsigned long long)s->origins);
	printf("waiting  %llu (changes waiting for earlier ones of their "
	    "office)\n", (unsigned long long)s->held);
	if (cli->verbose)
		printf("         (the log: %llu commits from %llu origins, %llu "
		    "held back for a gap)\n", (unsigned long long)s->commits,
		    (unsigned long long)s->origins,
		    (unsigned long long)s->held);
	printf("conflicts %ld%s\n", r->conflicts, r->conflicts ?
	    " (see 'hamroh conflicts')" : "");
	printf("forks    %llu%s\n", (unsigned long long)s->forks, s->forks ?
	    "  WARNING:" : "");
	if (s->forks > 0)
		(void)ops_forks(o, fork_row, &x, &e);
	printf("refused  %llu%s%s\n", (unsigned long long)s->refused,
	    s->refused == 1 ? " change" : s->refused ? " changes" : "",
	    s->refused ? " their office had no right to make, not applied; "
	    "the newest:" : "");
	if (s->refused > 0 && ops_refusals(o, STATUS_REFUSALS, refusal_row,
	    &x, &e) == 0 && s->refused > STATUS_REFUSALS)
		printf("         and %llu more: 'hamroh audit' lists them "
		    "all\n", (unsigned long long)(s->refused -
		    STATUS_REFUSALS));
	if (s->refused_history > 0)
		printf("history  %llu changes this node held from before it"
		    " joined were in clear: they stay here only, and the network"
		    " has them sealed ('hamroh audit' lists them)\n",
		    (unsigned long long)s->refused_history);
	if (s->strangers > 0)
		printf("strangers %llu changes of %llu nodes no certificate"
		    " names, set aside until one does\n",
		    (unsigned long long)s->strangers,
		    (unsigned long long)s->stranger_origins);
	if (s->dropped > 0)
		printf("dropped  %llu changes: of strangers past what is set"
		    " aside (%d nodes, %d MiB), or of revoked nodes more than"
		    " %d past their cut-off\n", (unsigned long long)s->dropped,
		    QUARANTINE_MAX_ORIGINS, QUARANTINE_MAX_BYTES >> 20,
		    FORMER_MAX_PAST);
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	struct ops_status_res r;
	struct st_ctx x;
	struct ops_err e;
	struct ops o;
	int64_t days;

	cli_no_more_opts(argc, argv, "status");
	if (argc > 0)
		cli_die(EXIT_USAGE, "status", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_status(&o, &r, &e))
		cli_ops_fail(cli, "status", &e);
	if (cli->json) {
		status_json(cli, &o, &r);
		ops_status_free(&r);
		ops_fini(&o);
		return (0);
	}
	printf("node     %s (%s), %s\nid       %s\n", cli->name,
	    *r.center ? r.center : "no center", r.role, r.id);
	status_agent(&r);
	status_changes(cli, &o, &r);
	days = r.cert_days;
	if (days <= OPS_CERT_WARN_DAYS && days >= 0)
		printf("member   WARNING: this office's certificate expires on"
		    " %s, in %lld days; ask the coordinating office to renew"
		    " the invite\n", r.cert_expires, (long long)days);
	else if (days < 0)
		printf("member   WARNING: this office's certificate expired on"
		    " %s; what it writes counts nowhere until the coordinating"
		    " office renews the invite\n", r.cert_expires);
	if (r.nclocks > 0) {
		printf("clock    WARNING: clocks more than %d minutes off:\n",
		    HLC_SKEW_MS / 60000);
		status_clocks(cli, &r);
	} else if (r.ahead_ms > HLC_SKEW_MS)
		printf("clock    WARNING: a peer's newest change is %lld "
		    "minutes ahead of this node's clock; check the clocks\n",
		    (long long)(r.ahead_ms / 60000));
	else
		printf("clock    ok\n");
	memset(&x, 0, sizeof(x));
	x.cli = cli;
	x.r = &r;
	(void)ops_status_peers(&o, &r, peer_row, &x, &e);
	if (x.n == 0 && x.nended == 0)
		printf("peers    none yet (start 'hamroh agent')\n");
	else if (x.n == 0)
		printf("peers    none that is still a member\n");
	x.n = 0;
	(void)ops_status_ended(&o, &r, ended_row, &x, &e);
	ops_status_free(&r);
	ops_fini(&o);
	return (0);
}

/* A report run with --no-suppress: this node's own record of it. */
static int
unsuppressed_row(void *arg, uint64_t ms, const char *user, const char *name)
{
	bool *first = arg;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char when[32];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	if (*first)
		printf("reports run without suppression on this node (its "
		    "own record, not synced):\n");
	*first = false;
	printf("  %s  %s ran report %s unsuppressed\n", when, user != NULL ?
	    user : "(node only)", name);
	return (0);
}

int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	bool first = true;
	long n;
	struct st_ctx x = { cli, NULL, "", 0, 0 };
	struct ops_err e;
	struct ops o;
	uint64_t refused;

	cli_no_more_opts(argc, argv, "audit");
	if (argc > 0)
		cli_die(EXIT_USAGE, "audit", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, false);
	cli_ops(cli, &o);
	/* In JSON, the refused changes only, one object a line. */
	if (ops_audit(&o, cli->json ? NULL : fork_row, refusal_row, &x,
	    &refused, &e))
		cli_ops_fail(cli, "audit", &e);
	if (refused == 0 && !cli->json)
		printf("nothing refused: every change came from a node "
		    "entitled to make it\n");
	if (!cli->json && ops_report_audit(&o, unsuppressed_row, &first, &n,
	    &e))
		cli_ops_fail(cli, "audit", &e);
	ops_fini(&o);
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
	struct ops_err e;
	struct ops o;
	bool first = true;

	cli_no_more_opts(argc, argv, "vector");
	if (argc > 0)
		cli_die(EXIT_USAGE, "vector", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (cli->json)
		printf("{");
	if (ops_vector(&o, vec_line, cli->json ? &first : NULL, &e))
		cli_ops_fail(cli, "vector", &e);
	if (cli->json)
		printf("}\n");
	ops_fini(&o);
	return (0);
}

static int
problem_line(void *arg, const char *line)
{

	(void)arg;
	printf("%s\n", line);
	return (0);
}

int
cmd_verify(struct cli *cli, int argc, char **argv)
{
	struct ops_verify_res r;
	struct ops_err e;
	struct ops o;

	cli_no_more_opts(argc, argv, "verify");
	if (argc > 0)
		cli_die(EXIT_USAGE, "verify", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_verify(&o, problem_line, NULL, &r, &e))
		cli_ops_fail(cli, "verify", &e);
	printf("ok: %llu changes from %llu offices; signatures, hash chains "
	    "and tables check\n", (unsigned long long)r.commits,
	    (unsigned long long)r.origins);
	ops_fini(&o);
	return (0);
}

int
cmd_rebuild(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;

	cli_no_more_opts(argc, argv, "rebuild");
	if (argc > 0)
		cli_die(EXIT_USAGE, "rebuild", OPS_MSG_CLI_NO_ARGS, 0);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_rebuild(&o, &e))
		cli_ops_fail(cli, "rebuild", &e);
	printf("rebuilt every collection from the log\n");
	ops_fini(&o);
	return (0);
}

int
cmd_backup(struct cli *cli, int argc, char **argv)
{
	struct ops_backup_res r;
	struct ops_err e;
	struct ops o;

	cli_no_more_opts(argc, argv, "backup");
	if (argc != 1)
		cli_die(EXIT_USAGE, "backup", OPS_MSG_CLI_ONE_FILE, 0);
	/* Before the node is opened, as it always was. */
	if (ops_backup_check(argv[0], &e))
		cli_ops_fail(cli, "backup", &e);
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_backup(&o, argv[0], &r, &e))
		cli_ops_fail(cli, "backup", &e);
	/* One line: the files a restore needs, which the backup lacks. */
	printf("backup written to %s\n", argv[0]);
	printf("a restore ('hamroh --data NEW_DIR restore %s') needs it and "
	    "this node's %s%s%s from %s, which it does not hold: keep "
	    "copies of them apart, as secrets\n", argv[0], KEY_FILE,
	    r.net ? (r.conf ? ", network.key" : " and network.key") : "",
	    r.conf ? " and " CONF_FILE : "", cli->dir);
	ops_fini(&o);
	return (0);
}

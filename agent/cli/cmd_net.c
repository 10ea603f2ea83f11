/*
 * cmd_net.c: joining a network — network create, invite, join, peer.
 * The invite token itself is agent/codec/invite.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <msgpack.h>
#include <sodium.h>

#include "agent/cli/cli.h"
#include "agent/cli/cmds.h"
#include "agent/access/confidential.h"
#include "agent/codec/invite.h"
#include "agent/codec/json.h"
#include "agent/daemon/log.h"
#include "agent/access/member.h"
#include "agent/ops/net.h"
#include "store/query.h"
#include "store/trust.h"

#define NET_KEY_FILE	"network.key"
#define INVITE_DAYS	365		/* Default certificate life. */
#define INVITE_DAYS_MAX	36500
#define ADMIN_DAYS	3653		/* First admin's: ten years. */
#define ROLE_ADMIN	"admin"

/*
 * The network ops' errors: out of memory and an unreadable key ring were
 * always printed without the command's name.
 */
static void
net_fail(struct cli *cli, const char *what, const struct ops_err *e)
{

	if (e->key == OPS_MSG_NOMEM || e->key == OPS_MSG_KEYS_UNREADABLE)
		what = NULL;
	cli_ops_fail(cli, what, e);
}

/* Parse a NODE_KEY argument or fail, naming ${what}. */
static void
parse_key(struct cli *cli, const char *s, uint8_t pk[NODE_KEY_LEN],
    const char *what)
{
	struct ops_err e;

	if (ops_node_key(s, pk, &e))
		net_fail(cli, what, &e);
}

static void
check_addr(struct cli *cli, const char *a, const char *what)
{
	struct ops_err e;

	if (ops_net_addr(a, &e))
		net_fail(cli, what, &e);
}

/*
 * Create DIR/network.key holding ${k}, mode 0600, never over an existing
 * file.  Return 0, or -1 with errno set (nothing left behind).
 */
static int
write_netkey(const char *path, const uint8_t k[HS_PSK_LEN])
{
	int fd, e;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600)) == -1)
		return (-1);
	if (write(fd, k, HS_PSK_LEN) != HS_PSK_LEN || fsync(fd) != 0) {
		e = errno ? errno : EIO;
		close(fd);
		unlink(path);
		errno = e;
		return (-1);
	}
	if (close(fd) != 0) {
		e = errno;
		unlink(path);
		errno = e;
		return (-1);
	}
	return (0);
}

/* Buffer a write of text ${s} (empty: clear) to a members field. */
int
put_text(struct db *db, const uint8_t id[NODE_KEY_LEN], const char *field,
    const char *s, char err[STORE_ERRLEN])
{
	const struct coll_def *m = schema_coll("members");
	struct val v;

	memset(&v, 0, sizeof(v));
	if (*s != '\0') {
		v.t = VAL_STR;
		v.s = s;
		v.len = strlen(s);
	} else
		v.t = VAL_NIL;
	return (db_put(db, m, id, schema_field(m, field, strlen(field)), &v,
	    err));
}

/* Buffer the writes that put certificate ${c} into its members record. */
static int
put_cert(struct db *db, const struct member_cert *c,
    const uint8_t by[NODE_KEY_LEN], const uint8_t sig[NODE_SIG_LEN],
    char err[STORE_ERRLEN])
{
	char key[2 * NODE_KEY_LEN + 1], byh[2 * NODE_KEY_LEN + 1];
	char sigh[2 * NODE_SIG_LEN + 1];

	hex_encode(c->key, NODE_KEY_LEN, key);
	hex_encode(by, NODE_KEY_LEN, byh);
	hex_encode(sig, NODE_SIG_LEN, sigh);
	if (put_text(db, c->key, "key", key, err) ||
	    put_text(db, c->key, "name", c->name, err) ||
	    put_text(db, c->key, "center", c->center, err) ||
	    put_text(db, c->key, "role", c->role, err) ||
	    put_text(db, c->key, "expires", c->expires, err) ||
	    put_text(db, c->key, "cert_by", byh, err) ||
	    put_text(db, c->key, "cert", sigh, err))
		return (-1);
	return (0);
}

/*
 * Remove every "--address X" from ${argv} into ${a}->addrs, and every
 * "--peer X KEY" into ${a}->peers (arrays ${addrs}, ${peers}).  Checked
 * against what this node knows once it is open (ops_invite()).
 */
static void
take_addrs(struct cli *cli, int *argc, char **argv,
    struct ops_invite_args *a, const char **addrs,
    struct ops_invite_peer *peers)
{
	uint8_t key[NODE_KEY_LEN];
	const char *v;
	size_t k;
	int i, j;

	while ((v = cli_opt_next(argc, argv, "--address")) != NULL) {
		check_addr(cli, v, "invite: --address");
		for (k = 0; k < a->naddr; k++)
			if (strcmp(addrs[k], v) == 0)
				cli_fail(EXIT_USAGE, "invite: --address %s "
				    "given twice", v);
		if (a->naddr == MEMBER_MAX_ADDRS)
			cli_fail(EXIT_USAGE, "invite: more than %d "
			    "--address options", MEMBER_MAX_ADDRS);
		addrs[a->naddr++] = v;
	}
	/* --peer takes two words: cli_opt_next() takes one. */
	for (i = 0; i < *argc;) {
		if (strcmp(argv[i], "--peer") != 0) {
			i++;
			continue;
		}
		if (i + 2 >= *argc || strncmp(argv[i + 1], "--", 2) == 0)
			cli_fail(EXIT_USAGE, "invite: --peer takes HOST:PORT "
			    "and that member's NODE_KEY ('hamroh id' on it)");
		if (a->npeers == INVITE_MAX_PEERS)
			cli_fail(EXIT_USAGE, "invite: at most %d --peer "
			    "options", INVITE_MAX_PEERS);
		check_addr(cli, argv[i + 1], "invite: --peer");
		parse_key(cli, argv[i + 2], key, "invite: --peer");
		for (k = 0; k < a->npeers; k++)
			if (strcmp(peers[k].addr, argv[i + 1]) == 0)
				cli_fail(EXIT_USAGE, "invite: --peer %s given "
				    "twice", argv[i + 1]);
		peers[a->npeers].addr = argv[i + 1];
		peers[a->npeers++].key = argv[i + 2];
		for (j = i; j + 3 < *argc; j++)
			argv[j] = argv[j + 3];
		*argc -= 3;
	}
	a->addrs = addrs;
	a->peers = peers;
}

static void
rec_self(struct cli *cli, struct member_rec *r, const char *what)
{

	if (member_load(cli->db, db_node_key(cli->db), r) < 0)
		cli_fail(EXIT_REFUSED, "%s: reading this node's members record "
		    "failed", what);
}

/*
 * Continuing under a successor key (PROTOCOL.md, Successors).  A node that
 * logged records before it joined holds them in commits of its own origin,
 * signed with confidential fields in clear: those commits must never
 * leave it.  So join makes a fresh node key, the successor of the old one
 * (the statement, signed by the old key, and the old key's certificate go
 * in the new key's members record, its first commit), re-commits every
 * live consultation of this node's center (all of them for an admin) with
 * its confidential fields sealed to the center's key from the invite, and
 * retires every origin the log held before: their commits stay here, for
 * this node's own history, and are never offered, sent or bundled.
 */

/* One record to commit again: its fields, copied. */
struct recopy {
	uint8_t		id[SCHEMA_ID_LEN];
	size_t		nf;
	char		*name[64];
	struct val	v[64];
	char		*s[64];
};

struct recopies {
	struct recopy	*r;
	size_t		n;
};

static int
recopy_cb(void *arg, const struct rview *rv)
{
	struct recopies *x = arg;
	struct recopy *r, *nr;
	size_t i;

	if ((nr = realloc(x->r, (x->n + 1) * sizeof(*nr))) == NULL)
		return (-1);
	x->r = nr;
	r = &x->r[x->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, rv->id, SCHEMA_ID_LEN);
	for (i = 0; i < rv->nf && r->nf < 64; i++) {
		r->v[r->nf] = rv->f[i].v;
		if ((r->name[r->nf] = strdup(rv->f[i].name)) == NULL)
			return (-1);
		if (rv->f[i].v.t == VAL_STR) {
			if ((r->s[r->nf] = malloc(rv->f[i].v.len + 1)) == NULL)
				return (-1);
			memcpy(r->s[r->nf], rv->f[i].v.s, rv->f[i].v.len);
			r->s[r->nf][rv->f[i].v.len] = '\0';
			r->v[r->nf].s = r->s[r->nf];
		}
		r->nf++;
	}
	return (0);
}

static void
recopies_free(struct recopies *x)
{
	size_t i, j;

	for (i = 0; i < x->n; i++)
		for (j = 0; j < x->r[i].nf; j++) {
			free(x->r[i].name[j]);
			if (x->r[i].s[j] != NULL) {
				sodium_memzero(x->r[i].s[j],
				    strlen(x->r[i].s[j]));
				free(x->r[i].s[j]);
			}
		}
	free(x->r);
	x->r = NULL;
	x->n = 0;
}

/*
 * Consultations of other centers that a member (not an admin) logged
 * before it joined.  They are not committed again: only an admin may
 * create a record of another center, so every node's judge would refuse
 * the copy, sealed or not, and in the node's own tables its clear history
 * is refused as soon as it is in a network.  So they go, in clear, to a
 * file in the data dir (mode 0600, as node.key), JSON Lines that 'hamroh
 * import' takes on an admin's node; nothing of them leaves the node.
 */
#define LEFT_FILE	"other-centers.jsonl"

struct left {
	long	n;
	char	centers[128];	/* The first few, comma-separated. */
	char	path[4096];
	FILE	*f;
};

/* One record as a line of ${l}'s file, as 'hamroh import' takes it. */
static int
left_write(struct left *l, const struct coll_def *c, const struct recopy *r)
{
	char hex[2 * SCHEMA_ID_LEN + 1];
	size_t j;
	int fd;

	if (l->f == NULL && ((fd = open(l->path, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW, 0600)) == -1 || (l->f = fdopen(fd, "w")) == NULL))
		return (-1);
	hex_encode(r->id, SCHEMA_ID_LEN, hex);
	fprintf(l->f, "{\"id\":\"%s\"", hex);
	for (j = 0; j < r->nf; j++) {
		if (schema_field(c, r->name[j], strlen(r->name[j])) == NULL)
			continue;
		fputc(',', l->f);
		json_put_str(l->f, r->name[j], strlen(r->name[j]));
		fputc(':', l->f);
		json_put_val(l->f, &r->v[j]);
	}
	fputs("}\n", l->f);
	return (ferror(l->f) ? -1 : 0);
}

/* Close ${l}'s file, synced; 0 or -1. */
static int
left_close(struct left *l)
{
	int r;

	if (l->f == NULL)
		return (0);
	r = fflush(l->f) || fsync(fileno(l->f)) ? -1 : 0;
	if (fclose(l->f))
		r = -1;
	l->f = NULL;
	return (r);
}

/* Count one left behind, of center ${rc}. */
static void
left_add(struct left *l, const char *rc)
{
	size_t len = strlen(l->centers), rl;
	const char *p;

	l->n++;
	if (*rc == '\0')
		rc = "(no center)";
	rl = strlen(rc);
	for (p = l->centers; (p = strstr(p, rc)) != NULL; p++)
		if ((p == l->centers || p[-1] == ' ') &&
		    (p[rl] == ',' || p[rl] == '\0'))
			return;
	if (len + rl + 6 >= sizeof(l->centers)) {
		if (strstr(l->centers, "...") == NULL && len + 5 <
		    sizeof(l->centers))
			strcat(l->centers, ", ...");
		return;
	}
	snprintf(l->centers + len, sizeof(l->centers) - len, "%s%s",
	    len ? ", " : "", rc);
}

/*
 * Write again, under the new origin, every live record of ${c} this node
 * may write: a consultation of center ${center}, or any if ${admin} (the
 * only writer of guides and the directory), sealing confidential fields.
 * Consultations of other centers are counted in ${left}.  Return how
 * many were written, or -1 with ${err} filled.
 */
static long
recommit_coll(struct cli *cli, const struct coll_def *c, const char *center,
    bool admin, struct left *left, char err[STORE_ERRLEN])
{
	bool consult = strcmp(c->name, "consultations") == 0;
	const struct field_def *f;
	const struct conf_key *k;
	struct recopies x = { NULL, 0 };
	struct recopy *r;
	struct val v;
	const char *rc;
	char *sealed;
	size_t i, j;
	long n = 0;

	if (!consult && !admin)
		return (0);
	if (query_records(cli->db, c, NULL, NULL, 0, false, recopy_cb, &x,
	    err) < 0) {
		recopies_free(&x);
		return (-1);
	}
	for (i = 0; i < x.n; i++) {
		r = &x.r[i];
		for (rc = "", j = 0; consult && j < r->nf; j++)
			if (strcmp(r->name[j], "center") == 0 &&
			    r->v[j].t == VAL_STR)
				rc = r->s[j];
		/* Another center's record stays here, in the old history. */
		if (consult && (*rc == '\0' || (!admin &&
		    strcmp(rc, center) != 0))) {
			left_add(left, rc);
			if (left_write(left, c, r)) {
				snprintf(err, STORE_ERRLEN, "write %.200s: %s",
				    left->path, strerror(errno));
				recopies_free(&x);
				return (-1);
			}
			continue;
		}
		/* An admin makes a center's key when it first needs one. */
		k = NULL;
		if (consult && (k = conf_current(cli_conf(cli), rc)) == NULL &&
		    admin && conf_make_key(cli_conf(cli), rc, err,
		    STORE_ERRLEN) == 0)
			k = conf_current(cli_conf(cli), rc);
		for (j = 0; j < r->nf; j++) {
			if ((f = schema_field(c, r->name[j],
			    strlen(r->name[j]))) == NULL)
				continue;
			v = r->v[j];
			sealed = NULL;
			if (v.t == VAL_STR && conf_secret(c, f) &&
			    !conf_sealed(v.s, v.len)) {
				if (k == NULL) {
					snprintf(err, STORE_ERRLEN, "no key of "
					    "center '%.60s' to seal its "
					    "consultations with", rc);
					recopies_free(&x);
					return (-1);
				}
				if (conf_seal(k, r->id, f->name, v.s, v.len,
				    &sealed)) {
					snprintf(err, STORE_ERRLEN,
					    "out of memory");
					recopies_free(&x);
					return (-1);
				}
				v.s = sealed;
				v.len = strlen(sealed);
			}
			if (db_put(cli->db, c, r->id, f, &v, err)) {
				free(sealed);
				recopies_free(&x);
				return (-1);
			}
			free(sealed);
		}
		n++;
	}
	recopies_free(&x);
	return (n);
}

/* recommit_coll() over every collection of records (not members, keys). */
static long
recommit(struct cli *cli, const char *center, bool admin, struct left *left,
    char err[STORE_ERRLEN])
{
	static const char *const colls[] = { "consultations", "guides",
	    "directory" };
	long n = 0, k;
	size_t i;

	for (i = 0; i < sizeof(colls) / sizeof(colls[0]); i++) {
		if ((k = recommit_coll(cli, schema_coll(colls[i]), center,
		    admin, left, err)) < 0)
			return (-1);
		n += k;
	}
	return (n);
}

static int
retire_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	char err[STORE_ERRLEN];

	(void)seq;
	return (db_retire(arg, key, err) ? -1 : 0);
}

int
held_cb(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct held *h = arg;

	if (memcmp(origin, h->key, NODE_KEY_LEN) == 0)
		h->seq = seq;
	return (0);
}

/*
 * Inside the caller's transaction: continue under the fresh key ${newsk}
 * (written to node.key by the caller once the transaction holds), from
 * seq ${seq} of the old key.  ${c} describes the new key (the old key's
 * name, center, role and expires); ${csig}, unless NULL, is the old key's
 * certificate over them, signed by ${by}.  With ${retire}, every origin
 * held so far becomes history that never leaves this node.
 */
static int
succeed(struct cli *cli, const struct member_cert *c, const uint8_t *by,
    const uint8_t *csig, uint8_t *newsk, uint64_t seq, bool retire,
    char err[STORE_ERRLEN])
{
	const uint8_t *np;
	msgpack_sbuffer sb;
	uint8_t old[NODE_KEY_LEN], np_[NODE_KEY_LEN];
	uint8_t sig[NODE_SIG_LEN], *sk;
	char hex[2 * NODE_SIG_LEN + 1];
	struct val v;
	const struct coll_def *m = schema_coll("members");

	memcpy(old, db_node_key(cli->db), NODE_KEY_LEN);
	/* The old key signs the statement; its secret is then wiped. */
	memcpy(np_, newsk + NODE_SK_LEN - NODE_KEY_LEN, NODE_KEY_LEN);
	msgpack_sbuffer_init(&sb);
	if (trust_succ_bytes(old, np_, seq, &sb)) {
		msgpack_sbuffer_destroy(&sb);
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	sk = cli_load_sk(cli, "successor statement");
	crypto_sign_detached(sig, NULL, (const uint8_t *)sb.data, sb.size,
	    sk);
	sodium_free(sk);
	msgpack_sbuffer_destroy(&sb);
	if (retire && db_vector(cli->db, retire_cb, cli->db, err))
		return (-1);
	if (db_set_signer(cli->db, newsk)) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	np = db_node_key(cli->db);
	hex_encode(np, NODE_KEY_LEN, hex);
	if (db_meta_set(cli->db, "key", hex, err) ||
	    put_text(cli->db, np, "key", hex, err) ||
	    put_text(cli->db, np, "name", c->name, err) ||
	    put_text(cli->db, np, "center", c->center, err) ||
	    put_text(cli->db, np, "role", c->role, err) ||
	    put_text(cli->db, np, "expires", c->expires, err))
		return (-1);
	if (csig != NULL) {
		hex_encode(by, NODE_KEY_LEN, hex);
		if (put_text(cli->db, np, "cert_by", hex, err))
			return (-1);
		hex_encode(csig, NODE_SIG_LEN, hex);
		if (put_text(cli->db, np, "successor_cert", hex, err))
			return (-1);
	}
	hex_encode(old, NODE_KEY_LEN, hex);
	if (put_text(cli->db, np, "successor_of", hex, err))
		return (-1);
	hex_encode(sig, NODE_SIG_LEN, hex);
	if (put_text(cli->db, np, "successor_sig", hex, err))
		return (-1);
	memset(&v, 0, sizeof(v));
	v.t = VAL_INT;
	v.i = (int64_t)seq;
	if (db_put(cli->db, m, np, schema_field(m, "successor_seq", 13), &v,
	    err))
		return (-1);
	/* The statement goes first, alone: it names the new origin. */
	return (db_flush(cli->db, err));
}

/*
 * succeed() for a node that stays what its members record ${r} says (no
 * history retired): restore's open statement, fork recommit's.
 */
int
succeed_rec(struct cli *cli, const struct member_rec *r, uint8_t *newsk,
    uint64_t seq, char err[STORE_ERRLEN])
{
	struct member_cert c;
	uint8_t by[NODE_KEY_LEN], csig[NODE_SIG_LEN];
	bool cert;

	memset(&c, 0, sizeof(c));
	c.name = r->name;
	c.center = r->center;
	c.role = r->role;
	c.expires = r->expires;
	cert = hex_decode(r->cert, csig, NODE_SIG_LEN) == 0 &&
	    hex_decode(r->cert_by, by, NODE_KEY_LEN) == 0;
	return (succeed(cli, &c, by, cert ? csig : NULL, newsk, seq, false,
	    err));
}

/*
 * join's and network create's: continue under ${newsk} from the old key's
 * last commit, retire the old history, and commit again what this node
 * may write, sealed.  ${*n} says how many records were committed again.
 */
static int
continue_as(struct cli *cli, const struct member_cert *c,
    const uint8_t *by, const uint8_t *csig, uint8_t *newsk, long *n,
    struct left *left, char err[STORE_ERRLEN])
{
	uint64_t upto;

	if (db_held_seq(cli->db, db_node_key(cli->db), &upto, err))
		return (-1);
	if (succeed(cli, c, by, csig, newsk, upto, true, err))
		return (-1);
	if ((*n = recommit(cli, c->center, strcmp(c->role, ROLE_ADMIN) == 0,
	    left, err)) < 0)
		return (-1);
	return (0);
}

/*
 * Write ${sk} to DIR/node.key.new, synced, over what a failed run left
 * there; 0 or -1 with errno.
 */
int
write_newkey(const char *path, const uint8_t *sk)
{

	unlink(path);
	return (write_key(path, sk));
}

/*
 * network create --name NAME
 */
static int
net_create(struct cli *cli, int argc, char **argv)
{
	const char *what = "network create";
	struct member_cert c;
	struct member_rec r;
	char path[4096], err[STORE_ERRLEN], cur[MEMBER_NETNAME_MAX + 1];
	char sigh[2 * NODE_SIG_LEN + 1];
	char hex[2 * NODE_KEY_LEN + 1], kpath[4096], npath[4096];
	uint8_t sig[NODE_SIG_LEN], osig[NODE_SIG_LEN], *sk, *nk;
	uint8_t *newsk = NULL, np[NODE_KEY_LEN];
	struct member_cert oc;
	const char *name;
	struct stat sb;
	long nre = 0;
	struct left left = { 0, "", "", NULL };

	name = cli_opt(&argc, argv, "--name");
	cli_no_more_opts(argc, argv, what);
	if (argc > 0)
		cli_fail(EXIT_USAGE, "%s: unexpected argument '%.40s'", what,
		    argv[0]);
	if (name == NULL)
		cli_fail(EXIT_USAGE, "%s: --name NAME is required (what "
		    "members will call the network)", what);
	if (*name == '\0' || strlen(name) > MEMBER_NETNAME_MAX ||
	    !invite_name_ok(name, strlen(name)))
		cli_fail(EXIT_USAGE, "%s: --name must be 1 to %d bytes of "
		    "text without control characters", what,
		    MEMBER_NETNAME_MAX);
	cli_open(cli, true);
	if (db_meta_get(cli->db, "network_name", cur, sizeof(cur)) == 0)
		cli_fail(EXIT_REFUSED, "%s: this node is already in network "
		    "'%s'; nothing was changed (a node belongs to one "
		    "network)", what, cur);
	snprintf(path, sizeof(path), "%s/%s", cli->dir, NET_KEY_FILE);
	if (lstat(path, &sb) == 0)
		cli_fail(EXIT_REFUSED, "%s: %s already exists; nothing was "
		    "changed (remove it only if no network uses it)", what,
		    path);

	/* The certificate this node gives itself as the first admin. */
	rec_self(cli, &r, what);
	if (*r.name == '\0' && db_meta_get(cli->db, "name", r.name,
	    sizeof(r.name)))
		r.name[0] = '\0';
	if (*r.center == '\0' && db_meta_get(cli->db, "center", r.center,
	    sizeof(r.center)))
		r.center[0] = '\0';
	memcpy(c.key, db_node_key(cli->db), NODE_KEY_LEN);
	c.name = r.name;
	c.center = r.center;
	c.role = ROLE_ADMIN;
	member_date(cli_now_ms(), ADMIN_DAYS, r.expires);
	c.expires = r.expires;
	/*
	 * Records logged before: the network's key is a fresh one, the
	 * successor of this node's old key (PROTOCOL.md, Successors), which
	 * it certifies as an admin so that its history here still stands.
	 */
	snprintf(kpath, sizeof(kpath), "%s/%s", cli->dir, KEY_FILE);
	snprintf(npath, sizeof(npath), "%s/%s.new", cli->dir, KEY_FILE);
	if (query_has_history(cli->db)) {
		if ((newsk = sodium_malloc(NODE_SK_LEN)) == NULL)
			cli_fail(EXIT_USAGE, "out of memory");
		crypto_sign_keypair(np, newsk);
		oc = c;
		memcpy(c.key, np, NODE_KEY_LEN);
		if (member_cert_sign(&oc, newsk, osig) ||
		    member_cert_sign(&c, newsk, sig))
			cli_fail(EXIT_USAGE, "out of memory");
	} else {
		sk = cli_load_sk(cli, what);
		if (member_cert_sign(&c, sk, sig))
			cli_fail(EXIT_USAGE, "out of memory");
		sodium_free(sk);
	}

	if ((nk = sodium_malloc(HS_PSK_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	randombytes_buf(nk, HS_PSK_LEN);
	if (write_netkey(path, nk))
		cli_fail(EXIT_REFUSED, "%s: write %s: %s; nothing was changed",
		    what, path, strerror(errno));
	sodium_free(nk);
	hex_encode(c.key, NODE_KEY_LEN, hex);
	hex_encode(sig, NODE_SIG_LEN, sigh);
	err[0] = '\0';
	if (db_begin(cli->db, cli_now_ms(), err) ||
	    db_meta_set(cli->db, "network_name", name, err) ||
	    db_meta_set(cli->db, "admin_key", hex, err) ||
	    db_meta_set(cli->db, "role", ROLE_ADMIN, err))
		goto fail;
	if (newsk == NULL) {
		if (put_cert(cli->db, &c, c.key, sig, err))
			goto fail;
	} else if (put_text(cli->db, c.key, "cert", sigh, err) ||
	    continue_as(cli, &oc, c.key, osig, newsk, &nre, &left, err))
		goto fail;
	else if (write_newkey(npath, newsk)) {
		snprintf(err, STORE_ERRLEN, "write %s.new: %s", KEY_FILE,
		    strerror(errno));
		goto fail;
	}
	if (db_commit(cli->db, err)) {
fail:
		db_rollback(cli->db);
		unlink(path);
		if (newsk != NULL)
			unlink(npath);
		cli_fail(EXIT_REFUSED, "%s: %s; nothing was changed", what,
		    err);
	}
	if (newsk != NULL) {
		if (rename(npath, kpath) != 0)
			cli_fail(EXIT_REFUSED, "%s: created, but moving %s to "
			    "%s failed: %s; move it by hand before anything "
			    "else", what, npath, kpath, strerror(errno));
		sodium_free(newsk);
		printf("records logged before: %ld committed again, sealed, "
		    "under this node's new key (the old key's commits stay "
		    "on this node only)\n", nre);
	}
	/* The admin's own center gets its key for confidential fields. */
	if (*r.center != '\0' && conf_current(cli_conf(cli), r.center) ==
	    NULL && conf_make_key(cli_conf(cli), r.center, err, sizeof(err)))
		cli_fail(EXIT_REFUSED, "network create: %s", err);
	printf("created network '%s'\nadmin %s\n", name, hex);
	return (0);
}

int
cmd_network(struct cli *cli, int argc, char **argv)
{

	if (argc > 0 && strcmp(argv[0], "create") == 0)
		return (net_create(cli, argc - 1, argv + 1));
	cli_fail(EXIT_USAGE, "network: give 'create --name NAME'; see "
	    "'hamroh network --help'");
}

static uint32_t
parse_days(const char *s)
{
	uint32_t d = 0;
	const char *p;

	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s >= 5)
			goto bad;
		d = d * 10 + (uint32_t)(*p - '0');
	}
	if (p == s || d < 1 || d > INVITE_DAYS_MAX)
		goto bad;
	return (d);
bad:
	cli_fail(EXIT_USAGE, "invite: --expires must be a number of days "
	    "from 1 to %d, not '%.20s'", INVITE_DAYS_MAX, s);
}

/*
 * invite NODE_KEY --name N --center C --role R [--expires DAYS]
 *     [--address HOST:PORT]... [--peer HOST:PORT KEY]...
 */
int
cmd_invite(struct cli *cli, int argc, char **argv)
{
	const char *what = "invite", *exp;
	const char *addrs[MEMBER_MAX_ADDRS];
	struct ops_invite_peer peers[INVITE_MAX_PEERS];
	struct ops_invite_args a;
	struct ops_err e;
	struct ops o;
	char *tok;

	memset(&a, 0, sizeof(a));
	take_addrs(cli, &argc, argv, &a, addrs, peers);
	a.name = cli_opt(&argc, argv, "--name");
	a.center = cli_opt(&argc, argv, "--center");
	a.role = cli_opt(&argc, argv, "--role");
	exp = cli_opt(&argc, argv, "--expires");
	cli_no_more_opts(argc, argv, what);
	if (argc != 1)
		cli_fail(EXIT_USAGE, "invite: give one NODE_KEY (the new "
		    "node's 'hamroh id'); see 'hamroh invite --help'");
	if (a.name == NULL || a.center == NULL || a.role == NULL)
		cli_fail(EXIT_USAGE, "invite: --name, --center and --role are "
		    "required; see 'hamroh invite --help'");
	a.key = argv[0];
	a.days = exp != NULL ? parse_days(exp) : OPS_INVITE_DAYS;
	if (ops_invite_check(&a, &e))
		net_fail(cli, what, &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_invite(&o, &a, &tok, &e))
		net_fail(cli, what, &e);
	printf("%s\n", tok);
	sodium_free(tok);
	ops_fini(&o);
	return (0);
}

/* The center keys the token carries, opened with this node's key. */
static int
join_keys(struct cli *cli, const struct invite *iv, char err[STORE_ERRLEN])
{
	struct conf *cf = cli_conf(cli);
	struct conf_key *k;
	uint8_t *sk;
	size_t i;
	int r = 0;

	if (iv->nkeys == 0)
		return (0);
	sk = cli_load_sk(cli, "join");
	if ((k = sodium_malloc(sizeof(*k))) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	for (i = 0; r == 0 && i < iv->nkeys; i++) {
		memset(k, 0, sizeof(*k));
		memcpy(k->id, iv->keys[i].id, CONF_KEYID_LEN);
		k->version = iv->keys[i].version;
		snprintf(k->center, sizeof(k->center), "%s",
		    iv->keys[i].center);
		if (conf_unwrap(iv->keys[i].sealed, db_node_key(cli->db), sk,
		    k->key)) {
			snprintf(err, STORE_ERRLEN, "a center key in the invite "
			    "is not sealed to this node");
			r = -1;
		} else if (conf_add(cf, k, err, STORE_ERRLEN) < 0)
			r = -1;
	}
	sodium_free(k);
	sodium_free(sk);
	return (r);
}

/*
 * join TOKEN
 */
int
cmd_join(struct cli *cli, int argc, char **argv)
{
	const char *what = "join";
	struct invite *iv;
	struct member_cert c;
	char err[STORE_ERRLEN], why[256], path[4096];
	char cur[MEMBER_NETNAME_MAX + 1], meta[256];
	char mine[2 * NODE_KEY_LEN + 1], theirs[2 * NODE_KEY_LEN + 1];
	char kpath[4096], npath[4096];
	uint8_t old[HS_PSK_LEN], np[NODE_KEY_LEN], *newsk = NULL;
	bool have_key, created = false, succ = false;
	long nre = 0;
	struct left left = { 0, "", "", NULL };
	size_t i;

	cli_no_more_opts(argc, argv, what);
	if (argc != 1)
		cli_fail(EXIT_USAGE, "join: give one TOKEN (the line 'hamroh "
		    "invite' printed on the admin's node)");
	if ((iv = sodium_malloc(sizeof(*iv))) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	memset(iv, 0, sizeof(*iv));
	if (invite_decode(argv[0], iv, why, sizeof(why)))
		cli_fail(EXIT_REFUSED, "join: %s; nothing was changed (copy "
		    "the whole line 'hamroh invite' printed)", why);
	cli_open(cli, true);
	hex_encode(db_node_key(cli->db), NODE_KEY_LEN, mine);
	hex_encode(iv->key, NODE_KEY_LEN, theirs);
	if (sodium_memcmp(iv->key, db_node_key(cli->db), NODE_KEY_LEN))
		cli_fail(EXIT_REFUSED, "join: this invite is for node "
		    "%.16s..., not this node (%.16s...); ask the admin for an "
		    "invite for 'hamroh id'", theirs, mine);
	invite_cert(iv, &c);
	if (member_cert_verify(&c, iv->cert, iv->admin))
		cli_fail(EXIT_REFUSED, "join: the certificate in this invite "
		    "is not signed by its admin key; nothing was changed (ask "
		    "the admin for a new invite)");
	member_date(cli_now_ms(), 0, meta);
	if (strcmp(iv->m.expires, meta) < 0)
		cli_fail(EXIT_REFUSED, "join: the certificate in this invite "
		    "expired on %s; ask the admin for a new invite",
		    iv->m.expires);

	/* One network per node; joining the same one again is fine. */
	snprintf(path, sizeof(path), "%s/%s", cli->dir, NET_KEY_FILE);
	have_key = cli_read_keyfile(cli, NET_KEY_FILE, old, HS_PSK_LEN,
	    what) == 1;
	if (db_meta_get(cli->db, "network_name", cur, sizeof(cur)) == 0) {
		hex_encode(iv->admin, NODE_KEY_LEN, theirs);
		if (strcmp(cur, iv->net) != 0 || db_meta_get(cli->db,
		    "admin_key", meta, sizeof(meta)) || strcmp(meta, theirs) ||
		    !have_key || sodium_memcmp(old, iv->netkey, HS_PSK_LEN))
			cli_fail(EXIT_REFUSED, "join: this node is already in "
			    "network '%s'; nothing was changed (a node "
			    "belongs to one network: join from a new data "
			    "dir)", cur);
	}
	if (have_key && sodium_memcmp(old, iv->netkey, HS_PSK_LEN))
		cli_fail(EXIT_REFUSED, "join: %s holds another network's key; "
		    "nothing was changed (move it away only if no network "
		    "uses it)", path);
	sodium_memzero(old, sizeof(old));
	if (!have_key) {
		if (write_netkey(path, iv->netkey))
			cli_fail(EXIT_REFUSED, "join: write %s: %s; nothing "
			    "was changed", path, strerror(errno));
		created = true;
	}

	/*
	 * Records logged before the network: continue under a successor
	 * key, so that no commit of the old origin ever leaves this node.
	 */
	snprintf(kpath, sizeof(kpath), "%s/%s", cli->dir, KEY_FILE);
	snprintf(npath, sizeof(npath), "%s/%s.new", cli->dir, KEY_FILE);
	if (db_meta_get(cli->db, "network_name", cur, sizeof(cur)) != 0 &&
	    query_has_history(cli->db)) {
		succ = true;
		if ((newsk = sodium_malloc(NODE_SK_LEN)) == NULL)
			cli_fail(EXIT_USAGE, "out of memory");
	}
	hex_encode(iv->admin, NODE_KEY_LEN, theirs);
	if (db_begin(cli->db, cli_now_ms(), err) ||
	    db_meta_set(cli->db, "network_name", iv->net, err) ||
	    db_meta_set(cli->db, "admin_key", theirs, err) ||
	    db_meta_set(cli->db, "role", iv->m.role, err) ||
	    db_meta_set(cli->db, "name", iv->m.name, err) ||
	    db_meta_set(cli->db, "center", iv->m.center, err))
		goto fail;
	for (i = 0; i < iv->naddr; i++)
		if (db_peer_add(cli->db, iv->addr[i], iv->admin, err))
			goto fail;
	for (i = 0; i < iv->npeers; i++)
		if (sodium_memcmp(iv->peers[i].key, db_node_key(cli->db),
		    NODE_KEY_LEN) != 0 && db_peer_add(cli->db,
		    iv->peers[i].addr, iv->peers[i].key, err))
			goto fail;
	/* The center keys are sealed to the old key: opened first. */
	if (join_keys(cli, iv, err))
		goto fail;
	if (succ) {
		crypto_sign_keypair(np, newsk);
		snprintf(left.path, sizeof(left.path), "%s/%s", cli->dir,
		    LEFT_FILE);
		if (continue_as(cli, &c, iv->admin, iv->cert, newsk, &nre,
		    &left, err))
			goto fail;
		if (left_close(&left)) {
			snprintf(err, STORE_ERRLEN, "write %.200s: %s",
			    left.path, strerror(errno));
			goto fail;
		}
		/* Written before the commit, in place only after it. */
		if (write_newkey(npath, newsk)) {
			snprintf(err, STORE_ERRLEN, "write %s.new: %s",
			    KEY_FILE, strerror(errno));
			goto fail;
		}
	} else if (put_cert(cli->db, &c, iv->admin, iv->cert, err))
		goto fail;
	if (db_commit(cli->db, err))
		goto fail;
	if (succ) {
		/* The old secret key is gone from this node from here on. */
		if (rename(npath, kpath) != 0)
			cli_fail(EXIT_REFUSED, "join: joined, but moving %s to "
			    "%s failed: %s; move it by hand before anything "
			    "else", npath, kpath, strerror(errno));
		sodium_free(newsk);
		hex_encode(db_node_key(cli->db), NODE_KEY_LEN, mine);
		printf("records logged before joining: %ld committed again, "
		    "sealed, under this node's new key %s (the old key's "
		    "commits stay on this node only)\n", nre, mine);
		if (left.n > 0)
			printf("%ld consultation%s of another center (%s) "
			    "logged before joining %s not sent: only an admin "
			    "may log another center's, so every node would "
			    "refuse %s; %s in clear in %s, for an admin's node "
			    "to import ('hamroh import consultations FILE')\n",
			    left.n, left.n == 1 ? "" : "s", left.centers,
			    left.n == 1 ? "is" : "are", left.n == 1 ? "it" :
			    "them", left.n == 1 ? "it is" : "they are",
			    left.path);
		/* PROTOCOL.md, Successors: who knows the new key, when. */
		printf("peers that know only the old key admit the new one by "
		    "the statement its handshake carries; bundle-only offices "
		    "learn it from the first bundle\n");
	}
	printf("joined network %s as %s", iv->net, iv->m.role);
	if (iv->naddr == 0 && iv->npeers == 0)
		printf("; no address to dial yet: add one with 'hamroh peer "
		    "add HOST:PORT KEY'");
	printf("\n");
	/* Whom the agent dials, and whose key it expects there. */
	hex_encode(iv->admin, NODE_KEY_LEN, theirs);
	for (i = 0; i < iv->naddr; i++)
		printf("will dial %s (the inviting office, %.16s...)\n",
		    iv->addr[i], theirs);
	for (i = 0; i < iv->npeers; i++) {
		hex_encode(iv->peers[i].key, NODE_KEY_LEN, theirs);
		printf("will dial %s (an office named in the invite, "
		    "%.16s...)\n", iv->peers[i].addr, theirs);
	}
	sodium_free(iv);
	return (0);

fail:
	db_rollback(cli->db);
	if (created)
		unlink(path);
	if (succ)
		unlink(npath);
	if (left.n > 0) {
		left_close(&left);
		unlink(left.path);
	}
	cli_fail(EXIT_REFUSED, "join: %s; nothing was changed", err);
}

static int
peer_add(struct cli *cli, int argc, char **argv)
{
	const char *what = "peer add";
	struct ops_peer_add_args a;
	struct ops_peer_added out;
	struct ops_err e;
	struct ops o;
	uint8_t key[NODE_KEY_LEN];
	char name[512];

	cli_no_more_opts(argc, argv, what);
	if (argc < 1 || argc > 2)
		cli_fail(EXIT_USAGE, "peer add: give HOST:PORT [NODE_KEY]");
	a.addr = argv[0];
	a.key = argc == 2 ? argv[1] : NULL;
	if (ops_net_addr(a.addr, &e) || (a.key != NULL &&
	    ops_node_key(a.key, key, &e)))
		net_fail(cli, what, &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_peer_add(&o, &a, &out, &e))
		net_fail(cli, what, &e);
	if (out.advertised)
		printf("added peer %s key %s (advertised by member '%s')\n",
		    a.addr, out.key, log_esc(name, sizeof(name), out.name,
		    strlen(out.name), 0));
	else
		printf("added peer %s key %s\n", a.addr, out.key);
	ops_fini(&o);
	return (0);
}

static int
plist_cb(void *arg, const char *addr, const char *key, const char *name)
{
	struct cli *cli = arg;
	char esc[512];

	if (!cli->json) {
		printf("%s %s %s\n", addr, key ? key : "-", name ?
		    log_esc(esc, sizeof(esc), name, strlen(name), 0) : "-");
		return (0);
	}
	printf("{\"addr\":");
	json_put_str(stdout, addr, strlen(addr));
	if (key != NULL)
		printf(",\"key\":\"%s\"", key);
	else
		printf(",\"key\":null");
	printf(",\"name\":");
	if (name != NULL)
		json_put_str(stdout, name, strlen(name));
	else
		printf("null");
	printf("}\n");
	return (0);
}

static int
peer_list(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;
	long n;

	cli_no_more_opts(argc, argv, "peer list");
	if (argc > 0)
		cli_fail(EXIT_USAGE, "peer list: takes no arguments");
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_peer_list(&o, plist_cb, cli, &n, &e))
		net_fail(cli, "peer list", &e);
	if (n == 0 && !cli->json)
		printf("no peers; add one with 'hamroh peer add HOST:PORT "
		    "KEY' or join a network\n");
	ops_fini(&o);
	return (0);
}

static int
peer_rm(struct cli *cli, int argc, char **argv)
{
	struct ops_peer_rm_args a;
	struct ops_err e;
	struct ops o;

	cli_no_more_opts(argc, argv, "peer rm");
	if (argc != 1)
		cli_fail(EXIT_USAGE, "peer rm: give HOST:PORT");
	cli_open(cli, false);
	cli_ops(cli, &o);
	a.addr = argv[0];
	if (ops_peer_rm(&o, &a, &e))
		net_fail(cli, "peer rm", &e);
	printf("removed peer %s\n", argv[0]);
	ops_fini(&o);
	return (0);
}

int
cmd_peer(struct cli *cli, int argc, char **argv)
{

	if (argc > 0 && strcmp(argv[0], "add") == 0)
		return (peer_add(cli, argc - 1, argv + 1));
	if (argc > 0 && strcmp(argv[0], "list") == 0)
		return (peer_list(cli, argc - 1, argv + 1));
	if (argc > 0 && strcmp(argv[0], "rm") == 0)
		return (peer_rm(cli, argc - 1, argv + 1));
	cli_fail(EXIT_USAGE, "peer: give add, list or rm; see 'hamroh peer "
	    "--help'");
}

/*
 * key list [--json] | key rotate CENTER
 */
static int
key_rotate(struct cli *cli, const char *center)
{
	struct ops_key_rotate_args a = { center };
	struct ops_key_rotated out;
	struct ops_err e;
	struct ops o;

	if (ops_key_rotate_check(&a, &e))
		net_fail(cli, "key rotate", &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_key_rotate(&o, &a, &out, &e))
		net_fail(cli, "key rotate", &e);
	printf("center %s: key version %u, sealed to %zu node%s\n", center,
	    out.version, out.sent, out.sent == 1 ? "" : "s");
	ops_fini(&o);
	return (0);
}

static int
klist_cb(void *arg, const char *center, const char *id, unsigned version)
{
	struct cli *cli = arg;

	if (cli->json) {
		printf("{\"center\":");
		json_put_str(stdout, center, strlen(center));
		printf(",\"id\":\"%s\",\"version\":%u}\n", id, version);
	} else
		printf("%s  v%-3u %s\n", id, version, center);
	return (0);
}

int
cmd_key(struct cli *cli, int argc, char **argv)
{
	struct ops_err e;
	struct ops o;

	cli_no_more_opts(argc, argv, "key");
	if (argc == 2 && strcmp(argv[0], "rotate") == 0)
		return (key_rotate(cli, argv[1]));
	if (argc != 1 || strcmp(argv[0], "list") != 0)
		cli_fail(EXIT_USAGE, "key: give 'list' or 'rotate CENTER'; see "
		    "'hamroh key --help'");
	cli_open(cli, false);
	cli_ops(cli, &o);
	if (ops_key_list(&o, klist_cb, cli, &e))
		net_fail(cli, "key", &e);
	ops_fini(&o);
	return (0);
}

/*
 * revoke NODE_KEY --reason TEXT
 */
int
cmd_revoke(struct cli *cli, int argc, char **argv)
{
	const char *what = "revoke";
	struct ops_revoke_args a;
	struct ops_revoked out;
	struct ops_err e;
	struct ops o;

	a.reason = cli_opt(&argc, argv, "--reason");
	cli_no_more_opts(argc, argv, what);
	if (argc != 1 || a.reason == NULL)
		cli_fail(EXIT_USAGE, "revoke: give NODE_KEY and --reason TEXT; "
		    "see 'hamroh revoke --help'");
	a.key = argv[0];
	if (ops_revoke_check(&a, &e))
		net_fail(cli, what, &e);
	cli_open(cli, true);
	cli_ops(cli, &o);
	if (ops_revoke(&o, &a, &out, &e))
		net_fail(cli, what, &e);
	printf("revoked %s (%s) on %s, accepting its changes up to seq %llu "
	    "(those this node holds): every node refuses it, and its later "
	    "changes, once this reaches it\n", out.name[0] ? out.name :
	    argv[0], a.reason, out.when, (unsigned long long)out.upto);
	ops_fini(&o);
	return (0);
}

/*
 * restore BACKUP (PROTOCOL.md, Successors): a node from its backup and
 * its key files, which can never fork.  The old origin may have made
 * commits after the backup, and its computer may even still run: were
 * the restored node to sign as it, its next commit would fork the origin.
 * So it continues under a fresh key through an open successor statement
 * (TRUST_SUCC_OPEN): the new key takes the old one's standing (no admin
 * needed) and the old key's commits, those after the backup too, stand.
 */
static const char *const restore_keys[] = { KEY_FILE, NET_KEY_FILE,
    CONF_FILE };

#define RESTORE_HINT	"a new dir that holds only the key files node.key, " \
	"network.key and center.keys"

/* Fail unless ${cli}->dir holds the key files and nothing else. */
static void
restore_dir_check(struct cli *cli)
{
	struct dirent *e;
	size_t i;
	DIR *d;

	if ((d = opendir(cli->dir)) == NULL)
		cli_fail(EXIT_USAGE, "restore: %s: %s; restore into "
		    RESTORE_HINT, cli->dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		for (i = 0; i < sizeof(restore_keys) / sizeof(*restore_keys);
		    i++)
			if (strcmp(e->d_name, restore_keys[i]) == 0)
				break;
		if (i == sizeof(restore_keys) / sizeof(*restore_keys)) {
			cli_fail(EXIT_REFUSED, "restore: %s is not empty (it "
			    "holds %.60s); nothing was changed: restore into "
			    RESTORE_HINT, cli->dir, e->d_name);
		}
	}
	closedir(d);
}

/* Copy ${from} to ${to} (made, 0600); fail unless it is an SQLite file. */
static void
restore_copy(const char *from, const char *to)
{
	static const char magic[16] = "SQLite format 3";
	char buf[65536];
	ssize_t n;
	int in, out;

	if ((in = open(from, O_RDONLY)) == -1)
		cli_fail(EXIT_USAGE, "restore: %s: %s", from, strerror(errno));
	if (read(in, buf, sizeof(magic)) != (ssize_t)sizeof(magic) ||
	    memcmp(buf, magic, sizeof(magic)) != 0)
		cli_fail(EXIT_REFUSED, "restore: %s is not a hamroh backup "
		    "(give a file 'hamroh backup' wrote); nothing was changed",
		    from);
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	    0600)) == -1)
		cli_fail(EXIT_USAGE, "restore: %s: %s", to, strerror(errno));
	if (write(out, buf, sizeof(magic)) != (ssize_t)sizeof(magic))
		goto fail;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto fail;
	if (n < 0 || fsync(out) || close(out))
		goto fail;
	close(in);
	return;
fail:
	unlink(to);
	cli_fail(EXIT_USAGE, "restore: copy %s to %s: %s", from, to,
	    strerror(errno));
}

/* Remove the database restore made; the dir is as it was. */
static void
restore_undo(struct cli *cli)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char path[4096];
	size_t i;

	if (cli->db != NULL)
		cli_close(cli);
	for (i = 0; i < sizeof(sfx) / sizeof(*sfx); i++) {
		snprintf(path, sizeof(path), "%s/%s%s", cli->dir, DB_FILE,
		    sfx[i]);
		unlink(path);
	}
}

/* The checks once the backup is in place: a node, these keys its own. */
static void
restore_check(struct cli *cli, const char *file)
{
	char path[4096], key[2 * NODE_KEY_LEN + 1];
	char mine[2 * NODE_KEY_LEN + 1], net[MEMBER_NETNAME_MAX + 1];
	uint8_t nk[HS_PSK_LEN], *sk;
	struct stat sb;
	const char *why = NULL;
	char err[STORE_ERRLEN];

	snprintf(path, sizeof(path), "%s/%s", cli->dir, DB_FILE);
	if (db_open(&cli->db, path, false, err) ||
	    db_meta_get(cli->db, "key", key, sizeof(key)) ||
	    strlen(key) != 2 * NODE_KEY_LEN) {
		restore_undo(cli);
		cli_fail(EXIT_REFUSED, "restore: %s is not a hamroh backup "
		    "(give a file 'hamroh backup' wrote); nothing was changed",
		    file);
	}
	if ((sk = sodium_malloc(NODE_SK_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	if (cli_read_keyfile(cli, KEY_FILE, sk, NODE_SK_LEN, "restore") !=
	    1)
		why = "node.key is missing: copy the node's node.key into it";
	else {
		hex_encode(sk + NODE_SK_LEN - NODE_KEY_LEN, NODE_KEY_LEN,
		    mine);
		if (strcmp(mine, key) != 0)
			why = "node.key is not the key of the node this backup "
			    "is of: copy the node.key it used when the backup "
			    "was made";
	}
	sodium_free(sk);
	if (why == NULL && db_meta_get(cli->db, "network_name", net,
	    sizeof(net)) == 0) {
		if (cli_read_keyfile(cli, NET_KEY_FILE, nk, HS_PSK_LEN,
		    "restore") != 1)
			why = "network.key is missing: the backup's node is "
			    "in a network; copy its network.key into it";
		snprintf(path, sizeof(path), "%s/%s", cli->dir, CONF_FILE);
		if (why == NULL && query_uses_keys(cli->db) && stat(path, &sb) != 0)
			why = "center.keys is missing: copy the node's "
			    "center.keys into it (without it, names, phones "
			    "and summaries do not open)";
		sodium_memzero(nk, sizeof(nk));
	}
	if (why != NULL) {
		restore_undo(cli);
		cli_fail(EXIT_REFUSED, "restore: in %s, %s; nothing was changed",
		    cli->dir, why);
	}
	cli_close(cli);
}

int
cmd_restore(struct cli *cli, int argc, char **argv)
{
	struct member_rec r;
	uint8_t np[NODE_KEY_LEN], old[NODE_KEY_LEN], *newsk;
	char path[4096], kpath[4096], npath[4096], err[STORE_ERRLEN];
	char hex[2 * NODE_KEY_LEN + 1];

	cli_no_more_opts(argc, argv, "restore");
	if (argc != 1)
		cli_fail(EXIT_USAGE, "restore: give one BACKUP (a file "
		    "'hamroh backup' wrote)");
	restore_dir_check(cli);
	snprintf(path, sizeof(path), "%s/%s", cli->dir, DB_FILE);
	snprintf(kpath, sizeof(kpath), "%s/%s", cli->dir, KEY_FILE);
	snprintf(npath, sizeof(npath), "%s/%s.new", cli->dir, KEY_FILE);
	restore_copy(argv[0], path);
	restore_check(cli, argv[0]);

	cli_open(cli, true);
	memcpy(old, db_node_key(cli->db), NODE_KEY_LEN);
	/* The new key is described as the old one is. */
	memset(&r, 0, sizeof(r));
	if (member_load(cli->db, old, &r) < 0) {
		restore_undo(cli);
		cli_fail(EXIT_REFUSED, "restore: reading this node's members "
		    "record failed; nothing was changed");
	}
	if ((newsk = sodium_malloc(NODE_SK_LEN)) == NULL)
		cli_fail(EXIT_USAGE, "out of memory");
	crypto_sign_keypair(np, newsk);
	if (db_begin(cli->db, cli_now_ms(), err) ||
	    succeed_rec(cli, &r, newsk, TRUST_SUCC_OPEN, err))
		goto fail;
	if (write_newkey(npath, newsk)) {
		snprintf(err, STORE_ERRLEN, "write %s.new: %s", KEY_FILE,
		    strerror(errno));
		goto fail;
	}
	if (db_commit(cli->db, err)) {
		unlink(npath);
		goto fail;
	}
	sodium_free(newsk);
	if (rename(npath, kpath) != 0)
		cli_fail(EXIT_REFUSED, "restore: restored, but moving %s to "
		    "%s failed: %s; move it by hand before anything else",
		    npath, kpath, strerror(errno));
	hex_encode(db_node_key(cli->db), NODE_KEY_LEN, hex);
	printf("restored %s into %s\n", argv[0], cli->dir);
	printf("this node continues under the new key %s, the successor of "
	    "the one it was restored from (never signing as that one, so "
	    "it never forks); peers admit it as the old key, and what the "
	    "old key wrote after the backup reaches it when it syncs\n",
	    hex);
	return (0);

fail:
	db_rollback(cli->db);
	sodium_free(newsk);
	restore_undo(cli);
	cli_fail(EXIT_REFUSED, "restore: %s; nothing was changed", err);
}

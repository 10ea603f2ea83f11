/*
 * gen_session.c: the seed corpus of fuzz_session, in its input format
 * (see fuzz_session.c).
 *
 *   gen_session DIR
 *
 * First, real sessions recorded: the node of tests/fuzz/world.h and the
 * peer, each a real session over its own store, the peer's holding all
 * the world's commits, sync through a recorder in the middle that holds
 * both ends' keys (the world's are fixed).  What the peer's session sent
 * becomes MSG (or FINAL) operations, each time the node's output was
 * passed back a DRAIN: replayed by fuzz_session against a fresh copy of
 * the node, it is the same session.  One each way of dialing, with and
 * without zstd.  Then short scripted sessions for what an honest peer
 * never says: a fork, commits of a revoked node and a stranger, a commit
 * in PART pieces, a bad signature, vectors in parts, a second HELLO, the
 * node's own writes during the session, garbage on the wire.
 *
 * Files are named by the SHA-256 of their contents, so a rerun adds only
 * what changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "protocol/msg.h"
#include "tests/fuzz/world.h"

enum { OP_MSG, OP_RAW, OP_FINAL, OP_WIRE, OP_DRAIN, OP_CLOCK, OP_LOCAL,
	OP_SAY, OP_Z = 8 };

static struct world w;
static const char *dir;

struct seed {
	uint8_t	buf[65536];
	size_t	len;
};

static void
seed_init(struct seed *s, unsigned flags)
{

	s->buf[0] = (uint8_t)flags;
	s->len = 1;
}

static void
op(struct seed *s, unsigned code, const void *b, size_t n)
{

	if (n > 0xffff || s->len + 3 + n > sizeof(s->buf)) {
		fprintf(stderr, "gen_session: seed too large\n");
		exit(1);
	}
	s->buf[s->len++] = (uint8_t)code;
	s->buf[s->len++] = (uint8_t)(n >> 8);
	s->buf[s->len++] = (uint8_t)n;
	if (n > 0)
		memcpy(s->buf + s->len, b, n);
	s->len += n;
}

static void
op_sb(struct seed *s, unsigned code, msgpack_sbuffer *sb)
{

	op(s, code, sb->data, sb->size);
	msgpack_sbuffer_clear(sb);
}

static void
seed_write(const struct seed *s)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	char path[4096], hex[2 * sizeof(h) + 1];
	FILE *f;

	crypto_hash_sha256(h, s->buf, s->len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(path, sizeof(path), "%s/%s", dir, hex);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(s->buf, 1, s->len, f) != s->len || fclose(f) != 0) {
		fprintf(stderr, "gen_session: %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
	printf("%s (%zu bytes)\n", path, s->len);
}

/* --- real sessions, recorded ---------------------------------------------- */

struct relay {
	struct seed	*seed;
	struct wpeer	*to;		/* The leg the bodies go on by, */
	struct session	*s;		/* to this session. */
	bool		record;		/* The peer's: record each body. */
	size_t		n;
	int		rc;
};

static void
relay_cb(void *arg, const uint8_t *body, size_t len, bool final)
{
	struct relay *r = arg;

	r->n++;
	if (r->record)
		op(r->seed, final ? OP_FINAL : OP_MSG, body, len);
	if (r->rc == 0)
		r->rc = wpeer_send(r->to, r->s, body, len, final, W_NOW);
}

static void
record(bool node_dials, bool znode, bool zpeer)
{
	struct session_cfg cn, cp;
	struct session *sn, *sp;
	struct wpeer pn, pp;	/* We as the peer to sn, as the node to sp. */
	struct relay up, down;
	struct seed *seed;
	struct db *dn, *dp;
	char err[SESSION_ERRLEN];
	void *kn, *kp;
	int round;

	if ((seed = malloc(sizeof(*seed))) == NULL)
		abort();
	seed_init(seed, (node_dials ? 1 : 0) | (znode ? 2 : 0));
	dn = world_node_db(&w, "gen-node", &kn);
	dp = world_db(&w, "gen-peer", (1u << W_ROOT) | (1u << W_PEER) |
	    (1u << W_THIRD) | (1u << W_REVOKED) | (1u << W_STRANGER), W_PEER,
	    &kp);
	world_cfg(&w, &cn, dn, W_NODE, W_PEER, node_dials, znode);
	world_cfg(&w, &cp, dp, W_PEER, W_NODE, !node_dials, zpeer);
	if ((sn = session_new(&cn, err)) == NULL ||
	    (sp = session_new(&cp, err)) == NULL) {
		fprintf(stderr, "gen_session: %s\n", err);
		exit(1);
	}
	/* fuzz_session's handshake with the node, and its mirror image. */
	if (wpeer_open(&w, &pn, sn, node_dials, W_PEER, W_NODE, 1) != 0 ||
	    wpeer_open(&w, &pp, sp, !node_dials, W_NODE, W_PEER, 1) != 0) {
		fprintf(stderr, "gen_session: handshake failed\n");
		exit(1);
	}
	up = (struct relay){ seed, &pn, sn, true, 0, 0 };
	down = (struct relay){ seed, &pp, sp, false, 0, 0 };
	for (round = 0; round < 1000; round++) {
		up.n = down.n = 0;
		if (session_pump(sp) != 0 || wpeer_recv(&pp, sp, relay_cb,
		    &up) != 0 || up.rc != 0)
			break;
		if (session_pump(sn) != 0)
			break;
		op(seed, OP_DRAIN, NULL, 0);
		if (wpeer_recv(&pn, sn, relay_cb, &down) != 0 || down.rc != 0)
			break;
		if (up.n == 0 && down.n == 0) {
			seed->len -= 3;		/* The last DRAIN: empty. */
			break;
		}
	}
	/* The peer says goodbye, as the agent does when it is done. */
	session_bye(sp, "done");
	(void)wpeer_recv(&pp, sp, relay_cb, &up);
	op(seed, OP_DRAIN, NULL, 0);
	printf("recorded: node %s, zstd %d/%d, %d rounds, node %s\n",
	    node_dials ? "dials" : "answers", znode, zpeer, round,
	    session_error(sn)[0] ? session_error(sn) : "still open");
	seed_write(seed);
	session_free(sn);
	session_free(sp);
	wpeer_fini(&pn);
	wpeer_fini(&pp);
	world_close(dn, kn);
	db_close(dp);
	free(seed);
}

/* --- scripted -------------------------------------------------------------- */

static void
hello(struct seed *s, msgpack_sbuffer *sb, const struct msg_vec *v,
    size_t n, bool more)
{

	if (msg_hello(sb, "Khujand office", v, n, MSG_FEATURE_ZSTD, W_NOW,
	    more))
		abort();
	op_sb(s, OP_MSG, sb);
}

/* A COMMITS of ${n} world commits. */
static void
commits(struct seed *s, unsigned code, msgpack_sbuffer *sb,
    const struct wcommit *const *c, size_t n)
{
	size_t i;

	if (msg_commits_begin(sb, n))
		abort();
	for (i = 0; i < n; i++)
		if (msg_commits_add(sb, c[i]->body, c[i]->len, c[i]->sig))
			abort();
	op_sb(s, code, sb);
}

static void
scripted(void)
{
	static const char bad[] = "\x00\x01\x02 not a frame";
	static const uint8_t later[] = { 0x00, 0x6d, 0xdd, 0x00 };
	struct seed *s;
	msgpack_sbuffer sb;
	struct msg_vec v[W_NKEYS];
	const struct wcommit *c[16];
	uint8_t zsig[NODE_SIG_LEN];
	struct wcommit badsig;
	size_t i, off, k;

	if ((s = malloc(sizeof(*s))) == NULL)
		abort();
	msgpack_sbuffer_init(&sb);

	/* Everything the node lacks in one batch: applied, released from
	   the gap, refused (revoked, another center's), set aside. */
	seed_init(s, 2);
	hello(s, &sb, NULL, 0, false);
	op(s, OP_DRAIN, NULL, 0);
	c[0] = &w.c[W_PEER][2];
	c[1] = &w.c[W_PEER][3];
	c[2] = &w.c[W_PEER][4];
	c[3] = &w.c[W_THIRD][1];
	c[4] = &w.c[W_THIRD][3];
	c[5] = &w.c[W_REVOKED][1];
	c[6] = &w.c[W_REVOKED][2];
	c[7] = &w.c[W_STRANGER][0];
	c[8] = &w.c[W_STRANGER][1];
	commits(s, OP_MSG, &sb, c, 9);
	op(s, OP_DRAIN, NULL, 0);
	if (msg_ack(&sb, NULL, 0, false))
		abort();
	op_sb(s, OP_MSG, &sb);
	if (msg_ping(&sb, MSG_PING, 42))
		abort();
	op_sb(s, OP_MSG, &sb);
	op(s, OP_DRAIN, NULL, 0);
	if (msg_bye(&sb, "done"))
		abort();
	op_sb(s, OP_FINAL, &sb);
	op(s, OP_DRAIN, NULL, 0);
	seed_write(s);

	/* The same batch compressed; and the fork of the peer's seq 2. */
	seed_init(s, 3);
	hello(s, &sb, NULL, 0, false);
	commits(s, OP_MSG | OP_Z, &sb, c, 9);
	c[0] = &w.fork;
	commits(s, OP_MSG, &sb, c, 1);
	op(s, OP_DRAIN, NULL, 0);
	seed_write(s);

	/* The peer's seq 3 in three PART pieces, then its seq 4 zipped. */
	seed_init(s, 2);
	hello(s, &sb, NULL, 0, false);
	c[0] = &w.c[W_PEER][2];
	for (off = 0; off < c[0]->len; off += k) {
		k = c[0]->len / 3 + 1;
		if (k > c[0]->len - off)
			k = c[0]->len - off;
		if (msg_part(&sb, c[0]->len, off, c[0]->body + off, k,
		    c[0]->sig))
			abort();
		op_sb(s, OP_MSG, &sb);
	}
	c[1] = &w.c[W_PEER][3];
	k = c[1]->len / 2;
	if (msg_part(&sb, c[1]->len, 0, c[1]->body, k, c[1]->sig))
		abort();
	op_sb(s, OP_MSG | OP_Z, &sb);
	if (msg_part(&sb, c[1]->len, k, c[1]->body + k, c[1]->len - k,
	    c[1]->sig))
		abort();
	op_sb(s, OP_MSG | OP_Z, &sb);
	msgpack_sbuffer_clear(&sb);
	op(s, OP_DRAIN, NULL, 0);
	seed_write(s);

	/* A bad signature, sent as it is: "bad commit", BYE. */
	seed_init(s, 0);
	hello(s, &sb, NULL, 0, false);
	memset(zsig, 0, sizeof(zsig));
	badsig = w.c[W_PEER][2];
	memcpy(badsig.sig, zsig, sizeof(zsig));
	c[0] = &badsig;
	commits(s, OP_RAW, &sb, c, 1);
	op(s, OP_DRAIN, NULL, 0);
	seed_write(s);

	/* The peer holds what the node holds; the node writes during the
	   session (sent at once), time passes, the node pings. */
	seed_init(s, 2);
	for (i = 0; i < W_NKEYS; i++) {
		v[i].origin = w.k[i].pk;
		v[i].seq = i == W_NODE ? 2 : w.n[i];
	}
	hello(s, &sb, v, W_NKEYS, false);
	op(s, OP_DRAIN, NULL, 0);
	op(s, OP_LOCAL, "\x05" "advised by phone", 17);
	op(s, OP_LOCAL, "\x05" "closed: permit renewed", 23);
	op(s, OP_DRAIN, NULL, 0);
	if (msg_ack(&sb, v, 2, false))
		abort();
	op_sb(s, OP_MSG, &sb);
	op(s, OP_CLOCK, later, sizeof(later));
	op(s, OP_SAY, "\x00\x00\x00\x00\x00\x00\x00\x00\x07", 9);
	op(s, OP_DRAIN, NULL, 0);
	if (msg_ping(&sb, MSG_PONG, 7))
		abort();
	op_sb(s, OP_MSG, &sb);
	op(s, OP_SAY, "\x01" "agent stopping", 15);
	op(s, OP_DRAIN, NULL, 0);
	seed_write(s);

	/* A vector in parts, then a second HELLO: protocol error. */
	seed_init(s, 1);
	hello(s, &sb, v, 2, true);
	if (msg_vector(&sb, v + 2, 2, true))
		abort();
	op_sb(s, OP_MSG, &sb);
	if (msg_vector(&sb, v + 4, W_NKEYS - 4, false))
		abort();
	op_sb(s, OP_MSG, &sb);
	op(s, OP_DRAIN, NULL, 0);
	hello(s, &sb, NULL, 0, false);
	op(s, OP_DRAIN, NULL, 0);
	seed_write(s);

	/* Commits before HELLO; and garbage on the wire after it. */
	seed_init(s, 0);
	c[0] = &w.c[W_PEER][2];
	commits(s, OP_MSG, &sb, c, 1);
	seed_write(s);
	seed_init(s, 1);
	hello(s, &sb, NULL, 0, false);
	op(s, OP_WIRE, bad, sizeof(bad) - 1);
	op(s, OP_DRAIN, NULL, 0);
	seed_write(s);

	msgpack_sbuffer_destroy(&sb);
	free(s);
}

int
main(int argc, char **argv)
{

	if (argc != 2) {
		fprintf(stderr, "usage: gen_session DIR\n");
		return (2);
	}
	dir = argv[1];
	world_init(&w);
	record(false, true, true);
	record(false, false, true);
	record(true, true, true);
	record(true, true, false);
	scripted();
	return (0);
}

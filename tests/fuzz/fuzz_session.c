/*
 * fuzz_session.c: libFuzzer target for a whole sync session
 * (agent/sync/session.c) over a real store (store/db.h), as a peer that
 * holds the network key and a certificate can drive it.  Compiled against
 * the production sources with no hook in them: the target is the peer.
 *
 * The node under test is the world of tests/fuzz/world.h: a copy of its
 * template database in memory for each input, a session of its own with
 * the agent's admission (the replay guard).  The target runs the Noise
 * handshake with it as the peer, with fixed keys, and then speaks the
 * plaintext message stream the input describes, each message framed and
 * encrypted as a real peer's would be.  So what the fuzzer changes is
 * what a peer says after the handshake: HELLO, vectors, COMMITS and PART
 * (commits applied, held for a gap, judged and refused, set aside as a
 * stranger's, forks), ZSTD, ACK, PING, BYE, in any order.
 *
 * Input: one byte of flags, then operations, each a byte, a big-endian
 * 16-bit length and that many bytes (fewer at the end of the input):
 *
 *   flags  bit 0: the node dials the peer (else the peer dials it);
 *          bit 1: the node offers zstd.
 *   op & 7 0 MSG    the bytes as a message in one frame.  A COMMITS or
 *                   PART of commits by a world key is signed again by
 *                   that key (PART: its last piece, once whole), so
 *                   mutated commits still get past the signature; with
 *                   op & 8 a COMMITS or PART goes zstd-compressed.
 *          1 RAW    the bytes as a message, signatures as they are.
 *          2 FINAL  as MSG, in a FINAL frame (the peer's clean end).
 *          3 WIRE   the bytes straight into session_input(), no frame.
 *          4 DRAIN  read what the node sent (the bytes: ignored).
 *          5 CLOCK  the clock moves on by the bytes' value (up to 4,
 *                   big-endian) in ms.
 *          6 LOCAL  a local write at the node (a consultation, id from
 *                   the first byte, outcome the rest), then the session
 *                   is told the log changed.
 *          7 SAY    the node pings (first byte even) or says goodbye.
 *
 * Whatever the peer says: the node never crashes or leaks; everything it
 * sends is a well-formed frame holding a message msg_decode() accepts
 * (a ZSTD one opens); a session that ended says why; and the store stays
 * consistent: db_verify() finds no problem (looked at when a batch or a
 * local write committed: the template itself verifies).
 *
 * tests/fuzz/gen_session.c makes the seeds, real sessions recorded.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "protocol/limits.h"
#include "protocol/msg.h"
#include "protocol/proto.h"
#include "store/commit.h"
#include "store/db.h"
#include "tests/fuzz/world.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_OPS		512

enum op { OP_MSG, OP_RAW, OP_FINAL, OP_WIRE, OP_DRAIN, OP_CLOCK, OP_LOCAL,
	OP_SAY };

struct run {
	struct session	*s;
	struct wpeer	p;
	struct db	*db;
	uint64_t	now;
	bool		over;		/* session_*() returned -1. */
	bool		ended;		/* The node sent its FINAL frame. */
	bool		wrote;		/* A local write committed. */
	uint8_t		*part;		/* A PART commit the peer sends. */
	size_t		part_len, part_have;
};

static struct world w;
static bool inited;
/* The peer's zstd contexts, reused from input to input as a peer would. */
static struct msg_z *zin, *zout;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[STORE_ERRLEN];

	(void)argc;
	(void)argv;
	world_init(&w);
	if ((zin = msg_z_new()) == NULL || (zout = msg_z_new()) == NULL)
		abort();
	if (db_verify(w.tmpl, stderr, err) != 0) {
		fprintf(stderr, "fuzz_session: the template does not verify\n");
		abort();
	}
	inited = true;
	return (0);
}

/* One message the node sent: it must be one a peer can read. */
static void
got(void *arg, const uint8_t *body, size_t len, bool final)
{
	struct run *r = arg;
	struct msg m, in;

	assert(!r->ended);
	r->ended = final;
	if (msg_decode(body, len, &m) != PROTO_OK)
		assert(!"the node sent a message that does not decode");
	if (m.type == MSG_ZSTD) {
		if (msg_z_decode(zin, &m, &in) != PROTO_OK)
			assert(!"the node sent a ZSTD message that does not "
			    "open");
		assert(in.type == MSG_COMMITS || in.type == MSG_PART);
		msg_fini(&in);
	}
	msg_fini(&m);
}

static void
drain(struct run *r)
{

	if (wpeer_recv(&r->p, r->s, got, r) != 0)
		assert(!"the node sent a frame that does not open");
}

/* Sign ${body} into ${sig} if a world key made it; else leave ${sig}. */
static void
resign(const uint8_t *body, size_t len, uint8_t sig[NODE_SIG_LEN])
{
	const struct wkeys *k;
	uint8_t origin[NODE_KEY_LEN], h[COMMIT_HASH_LEN];
	uint64_t seq;

	if (commit_peek(body, len, origin, &seq) != 0 ||
	    (k = world_key_of(&w, origin)) == NULL)
		return;
	commit_hash(body, len, h);
	commit_sign(h, k->sk, sig);
}

/*
 * A PART piece: follow the commit it belongs to as the node does, and
 * sign the whole on its last piece.
 */
static void
part_sig(struct run *r, const struct msg *m, uint8_t sig[NODE_SIG_LEN])
{
	const struct msg_commit *c = &m->commits[0];

	if (m->offset == 0 && m->total <= COMMIT_MAX_LEN && m->total > c->len) {
		free(r->part);
		if ((r->part = malloc(m->total)) == NULL)
			abort();
		r->part_len = m->total;
		r->part_have = 0;
	}
	if (r->part == NULL || m->total != r->part_len ||
	    m->offset != r->part_have || c->len > r->part_len - r->part_have)
		return;
	memcpy(r->part + r->part_have, c->body, c->len);
	r->part_have += c->len;
	if (r->part_have < r->part_len)
		return;
	resign(r->part, r->part_len, sig);
	free(r->part);
	r->part = NULL;
	r->part_len = r->part_have = 0;
}

/*
 * ${body} as the peer sends it: COMMITS and PART signed again, and with
 * ${z} compressed.  Returns ${body} itself, or the message made in ${sb}.
 */
static const uint8_t *
fix(struct run *r, const uint8_t *body, size_t *len, bool z,
    msgpack_sbuffer *sb)
{
	msgpack_sbuffer plain;
	uint8_t sig[NODE_SIG_LEN];
	const uint8_t *zp;
	struct msg m;
	ssize_t zn;
	size_t i;
	int e = 0;

	if (msg_decode(body, *len, &m) != PROTO_OK ||
	    (m.type != MSG_COMMITS && m.type != MSG_PART)) {
		msg_fini(&m);
		return (body);
	}
	msgpack_sbuffer_init(&plain);
	if (m.type == MSG_COMMITS) {
		e = msg_commits_begin(&plain, m.ncommits);
		for (i = 0; i < m.ncommits && e == 0; i++) {
			memcpy(sig, m.commits[i].sig, sizeof(sig));
			resign(m.commits[i].body, m.commits[i].len, sig);
			e = msg_commits_add(&plain, m.commits[i].body,
			    m.commits[i].len, sig);
		}
	} else {
		memcpy(sig, m.commits[0].sig, sizeof(sig));
		part_sig(r, &m, sig);
		e = msg_part(&plain, m.total, m.offset, m.commits[0].body,
		    m.commits[0].len, sig);
	}
	msg_fini(&m);
	if (e != 0)
		abort();
	if (z && (zn = msg_z_compress(zout, (const uint8_t *)plain.data,
	    plain.size, &zp)) > 0) {
		if (msg_zstd(sb, plain.size, zp, (size_t)zn))
			abort();
		msgpack_sbuffer_destroy(&plain);
	} else {
		msgpack_sbuffer_destroy(sb);
		*sb = plain;
	}
	*len = sb->size;
	return ((const uint8_t *)sb->data);
}

/* A local write at the node, if the bytes make a valid one. */
static void
local(struct run *r, const uint8_t *b, size_t n)
{
	const struct coll_def *c = schema_coll("consultations");
	const struct field_def *fo = schema_field(c, "outcome", 7);
	const struct field_def *fc = schema_field(c, "center", 6);
	char err[STORE_ERRLEN], why[256];
	uint8_t id[SCHEMA_ID_LEN];
	struct val v, cv;

	memset(id, 0x22, sizeof(id));
	id[0] = W_NODE;
	id[1] = n > 0 ? b[0] : 0;
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = n > 1 ? (const char *)b + 1 : "";
	v.len = n > 1 ? n - 1 : 0;
	if (v.len == 0 || schema_check(fo, &v, why, sizeof(why)) != 0)
		return;
	memset(&cv, 0, sizeof(cv));
	cv.t = VAL_STR;
	cv.s = "Dushanbe";
	cv.len = 8;
	if (db_begin(r->db, r->now, err))
		return;
	if (db_put(r->db, c, id, fc, &cv, err) ||
	    db_put(r->db, c, id, fo, &v, err) || db_commit(r->db, err))
		db_rollback(r->db);
	else
		r->wrote = true;
	session_kick(r->s);
	if (session_pump(r->s) != 0)
		r->over = true;
}

static void
step(struct run *r, unsigned op, const uint8_t *b, size_t n)
{
	msgpack_sbuffer sb;
	const uint8_t *body;
	uint64_t dt = 0;
	size_t i, len = n;
	char reason[64];
	int rc = 0;

	if (r->over && (op & 7) != OP_DRAIN)
		return;
	switch (op & 7) {
	case OP_MSG:
	case OP_FINAL:
	case OP_RAW:
		msgpack_sbuffer_init(&sb);
		body = (op & 7) == OP_RAW ? b : fix(r, b, &len, op & 8, &sb);
		rc = wpeer_send(&r->p, r->s, body, len, (op & 7) == OP_FINAL,
		    r->now);
		msgpack_sbuffer_destroy(&sb);
		break;
	case OP_WIRE:
		rc = session_input(r->s, b, n, r->now);
		break;
	case OP_DRAIN:
		drain(r);
		break;
	case OP_CLOCK:
		for (i = 0; i < n && i < 4; i++)
			dt = dt << 8 | b[i];
		r->now += dt;
		session_clock(r->s, r->now);
		break;
	case OP_LOCAL:
		local(r, b, n);
		break;
	case OP_SAY:
		if (n == 0 || (b[0] & 1) == 0) {
			for (i = 1; i < n && i < 9; i++)
				dt = dt << 8 | b[i];
			session_ping(r->s, dt);
		} else {
			snprintf(reason, sizeof(reason), "%.*s",
			    (int)(n - 1 < 60 ? n - 1 : 60), (const char *)b + 1);
			session_bye(r->s, reason);
		}
		rc = session_pump(r->s);
		break;
	}
	if (rc != 0)
		r->over = true;
}

/* What the input made the node do, for whoever looks at a seed. */
static void
stats(struct run *r)
{
	const struct session_stats *st = session_stats(r->s);
	struct db_status ds;
	char err[STORE_ERRLEN];

	if (db_status(r->db, &ds, err))
		return;
	fprintf(stderr, "session: applied %llu held %llu forks %llu sent "
	    "%llu in %llu batches, acks %llu, zstd in/out %llu/%llu; "
	    "store: commits %llu held %llu forks %llu strangers %llu "
	    "refused %llu; %s\n",
	    (unsigned long long)st->commits_applied,
	    (unsigned long long)st->held, (unsigned long long)st->forks,
	    (unsigned long long)st->commits_sent,
	    (unsigned long long)st->batches_sent,
	    (unsigned long long)st->acks, (unsigned long long)st->zmsgs_in,
	    (unsigned long long)st->zmsgs_out,
	    (unsigned long long)ds.commits, (unsigned long long)ds.held,
	    (unsigned long long)ds.forks, (unsigned long long)ds.strangers,
	    (unsigned long long)ds.refused,
	    session_error(r->s)[0] ? session_error(r->s) : "open");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session_cfg cfg;
	struct run r;
	char err[SESSION_ERRLEN > STORE_ERRLEN ? SESSION_ERRLEN : STORE_ERRLEN];
	char *rep = NULL;
	void *keep;
	size_t off, n, ops = 0, replen = 0;
	FILE *f;
	bool dials;
	long bad;

	if (!inited)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size < 1)
		return (0);
	memset(&r, 0, sizeof(r));
	dials = (data[0] & 1) != 0;
	r.now = W_NOW;
	r.db = world_node_db(&w, "fuzz-node", &keep);
	world_cfg(&w, &cfg, r.db, W_NODE, W_PEER, dials, data[0] & 2);
	if ((r.s = session_new(&cfg, err)) == NULL)
		assert(!"session_new failed");
	/* The handshake is the world's: it must go through. */
	if (wpeer_open(&w, &r.p, r.s, dials, W_PEER, W_NODE, 1) != 0)
		assert(!"handshake refused");

	for (off = 1; off + 3 <= size && ops++ < MAX_OPS; off += n) {
		n = (size_t)data[off + 1] << 8 | data[off + 2];
		if (n > size - off - 3)
			n = size - off - 3;
		step(&r, data[off], data + off + 3, n);
		off += 3;
	}
	drain(&r);
	if (r.over)
		assert(session_error(r.s)[0] != '\0');

	/* The template verifies: only what changed it needs a look. */
	if (session_stats(r.s)->batches_applied > 0 || r.wrote) {
		if ((f = open_memstream(&rep, &replen)) == NULL)
			abort();
		bad = db_verify(r.db, f, err);
		fclose(f);
		if (bad != 0) {
			fprintf(stderr, "db_verify: %ld: %s\n%s", bad,
			    bad < 0 ? err : "", rep);
			abort();
		}
		free(rep);
	}
	if (getenv("FUZZ_SESSION_VERBOSE") != NULL)
		stats(&r);
	session_free(r.s);
	wpeer_fini(&r.p);
	free(r.part);
	world_close(r.db, keep);
	return (0);
}

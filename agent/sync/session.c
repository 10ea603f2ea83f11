/*
 * session.c: the sync session, sans-I/O.  Handshake, then frames of
 * messages; commits stream from the log under a high-water mark.
 */
#include "agent/sync/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/sync/admit.h"
#include "protocol/frame.h"
#include "protocol/hs.h"
#include "protocol/limits.h"
#include "protocol/msg.h"
#include "protocol/proto.h"
#include "store/commit.h"
#include "store/db.h"

#define VERSION		MSG_VERSION	/* HELLO; the handshake: HS_VERSION. */

_Static_assert(DB_HS_LIMIT == HS_COUNTER_LIMIT, "one counter limit");
#define OLDER_PEER	"this office runs an older hamroh; upgrade it"

/* ST_WAIT1X: message 1 is in, its successor statements are to come. */
enum state { ST_WAIT1, ST_WAIT1X, ST_WAIT2, ST_OPEN, ST_DONE };

#define HSBUF_LEN	(SESSION_SUCCS_LEN(SESSION_SUCC_MAX) > \
    SESSION_MSG1_LEN ? SESSION_SUCCS_LEN(SESSION_SUCC_MAX) : SESSION_MSG1_LEN)

/*
 * What waits for the database, which another process (a CLI import)
 * holds locked: the step is tried again by session_retry().  Until then
 * what comes after it waits too, in order: raw bytes while the handshake
 * or our HELLO waits; after a batch or its ACK, messages that store
 * something (COMMITS, PART, BYE, ...) are queued, while those that store
 * nothing (ACK, VECTOR, PING, PONG) are handled at once, so that we go on
 * sending to the peer meanwhile.
 */
enum stall {
	STALL_NONE,
	STALL_MSG1,		/* Admitting the peer's message 1. */
	STALL_HELLO,		/* Our HELLO (reading our vector). */
	STALL_BATCH,		/* A received batch, copied into pend. */
	STALL_ACK		/* The ACK of a batch that committed. */
};

/*
 * Per origin we hold, by key prefix as vectors carry them
 * (MSG_VEC_KEY_LEN bytes): what the peer holds and what we told it.
 * Entries are made only from our own vector, never from the peer's: an
 * origin the peer names that we do not hold is ignored, so no vector,
 * however large, makes us allocate.  They are found through an open
 * addressing table keyed with SipHash under a per-session key, so no
 * peer can aim its prefixes at one chain.
 */
struct pv {
	uint8_t		key[NODE_KEY_LEN];	/* Found by its prefix. */
	uint64_t	have;		/* Seq the peer holds (HELLO, ACK). */
	uint64_t	sent;		/* Seq we sent up to (>= have). */
	uint64_t	ours;		/* Seq we hold, at the last look. */
	uint64_t	told;		/* Seq our last vector told the peer. */
	uint64_t	fork_told;	/* Seq of the fork proof the peer has
					   (ours sent, or its own); 0: none. */
};

struct session {
	struct db	*db;
	bool		initiator;
	enum state	state;
	uint8_t		*sk;		/* sodium_malloc: Ed25519 64, X25519 32. */
	uint8_t		ed_pk[NODE_KEY_LEN], x_pub[HS_KEY_LEN];
	uint8_t		netkey[HS_PSK_LEN];
	uint8_t		peer_ed[NODE_KEY_LEN], peer_x[HS_KEY_LEN];
	bool		have_peer;
	struct hs	hs;
	uint8_t		hsbuf[HSBUF_LEN];
	size_t		hslen;
	uint64_t	ctr;		/* The peer's message-1 counter. */
	uint8_t		succ[SESSION_SUCC_MAX * SESSION_SUCC_LEN];
	size_t		nsucc;		/* Ours to send, or the peer's. */
	struct frame_enc enc;
	struct frame_dec *dec;
	uint8_t		*out;
	size_t		out_off, out_len, out_cap;
	struct pv	*pv;
	size_t		npv, apv;
	uint32_t	*ix;		/* Index into pv + 1; 0: empty. */
	size_t		nix;		/* Slots, a power of 2, > 2 * npv. */
	uint8_t		hkey[crypto_shorthash_KEYBYTES];
	bool		vec_stale;	/* Our log may have changed since the
					   entries' ours were read. */
	bool		hello_got;	/* Peer's HELLO (its first part), */
	bool		hello;		/* and its whole vector, received. */
	bool		vec_more;	/* A VECTOR part must come next, */
	size_t		vec_total;	/* with this many origins so far. */
	bool		clock_known;	/* Peer's clock minus ours at its */
	int64_t		clock_off;	/* HELLO, in ms. */
	bool		compress;	/* We offer zstd, */
	bool		zpeer;		/* and the peer did: compress. */
	struct msg_z	*z;		/* zstd contexts (when we offer). */
	bool		quiet;		/* Last pump found nothing to send, and
					   nothing has changed since. */
	size_t		batch_limit;	/* Bytes of commits per batch. */
	uint64_t	sent_at[SESSION_WINDOW]; /* Batches in flight. */
	uint8_t		*part;		/* A large commit arriving in PARTs. */
	size_t		part_len, part_have;
	char		name[MSG_NAME_MAX + 1], peer_name[MSG_NAME_MAX + 1];
	char		err[SESSION_ERRLEN];
	enum stall	stall;
	struct msg_commit *pend;	/* STALL_BATCH: the batch, */
	size_t		npend, pend_off;	/* pend_off of it applied, */
	bool		yield;		/* stashed as the step ran long, */
	bool		stepped;	/* This step applied a part already. */
	uint8_t		*pend_buf;	/* its bytes, */
	bool		pend_final;	/* and the frame was the last. */
	uint8_t		*pin;		/* Raw input after it (MSG1, HELLO), */
	size_t		pin_len;
	uint8_t		*q;		/* or messages: [len 4][final 1][body]. */
	size_t		q_len, q_cap;
	bool		read_busy;	/* Pumping met a busy database. */
	struct session_stats st;
	int		(*admit)(void *, const uint8_t *, uint64_t,
			    const uint8_t *, size_t);
	void		(*random)(void *, uint8_t *, size_t);
	bool		(*step_over)(void *);
	void		*arg;
	uint64_t	now_ms;
};

static void adapt_batch(struct session *, uint64_t);
static struct pv *pv_get(struct session *, const uint8_t *);

static void
rnd(struct session *s, uint8_t *buf, size_t len)
{

	if (s->random != NULL)
		s->random(s->arg, buf, len);
	else
		randombytes_buf(buf, len);
}

/* End the session with ${msg}; returns -1 for the caller's convenience. */
static int
fail(struct session *s, const char *msg, int code)
{

	if (s->state != ST_DONE)
		snprintf(s->err, sizeof(s->err), "%s%s%s", msg,
		    code ? ": " : "", code ? proto_strerror(code) : "");
	s->state = ST_DONE;
	return (-1);
}

static int
out_reserve(struct session *s, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (s->out_off > 0 && s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (s->out_len + n <= s->out_cap)
		return (0);
	if (s->out_off > 0) {
		memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
		s->out_len -= s->out_off;
		s->out_off = 0;
		if (s->out_len + n <= s->out_cap)
			return (0);
	}
	for (cap = s->out_cap ? s->out_cap : 4096; cap < s->out_len + n;)
		cap *= 2;
	if ((p = realloc(s->out, cap)) == NULL)
		return (-1);
	s->out = p;
	s->out_cap = cap;
	return (0);
}

static int
queue_raw(struct session *s, const uint8_t *b, size_t n)
{

	if (out_reserve(s, n))
		return (fail(s, "out of memory", 0));
	memcpy(s->out + s->out_len, b, n);
	s->out_len += n;
	s->st.bytes_out += n;
	return (0);
}

static int
queue_frame(struct session *s, const msgpack_sbuffer *sb, bool final)
{
	int r;

	if (sb->size > FRAME_MAX_LEN)
		return (fail(s, "message larger than a frame", 0));
	if (out_reserve(s, FRAME_WIRE_LEN(sb->size)))
		return (fail(s, "out of memory", 0));
	frame_enc_clock(&s->enc, s->now_ms);	/* For the hourly rekey. */
	if ((r = frame_enc(&s->enc, (const uint8_t *)sb->data, sb->size,
	    final, s->out + s->out_len)) != PROTO_OK)
		return (fail(s, "frame", r));
	s->out_len += FRAME_WIRE_LEN(sb->size);
	s->st.bytes_out += FRAME_WIRE_LEN(sb->size);
	return (0);
}

/*
 * A COMMITS or PART message in ${sb}: as a ZSTD message when both sides
 * offered zstd and that comes out smaller, else as it is.
 */
static int
queue_batch(struct session *s, const msgpack_sbuffer *sb)
{
	msgpack_sbuffer zb;
	const uint8_t *zp;
	ssize_t zn;
	int r;

	if (!s->compress || !s->zpeer)
		return (queue_frame(s, sb, false));
	if ((zn = msg_z_compress(s->z, (const uint8_t *)sb->data, sb->size,
	    &zp)) < 0)
		return (fail(s, "out of memory", 0));
	if (zn == 0)
		return (queue_frame(s, sb, false));
	msgpack_sbuffer_init(&zb);
	if (msg_zstd(&zb, sb->size, zp, (size_t)zn))
		r = fail(s, "out of memory", 0);
	else if ((r = queue_frame(s, &zb, false)) == 0)
		s->st.zmsgs_out++;
	msgpack_sbuffer_destroy(&zb);
	return (r);
}

/* Our version vector, as msg_vec entries (keys copied into ${keys}). */
struct vecbuf {
	struct msg_vec	*v;
	uint8_t		(*keys)[NODE_KEY_LEN];
	size_t		*pi;		/* Each one's entry in s->pv. */
	size_t		n, a;
};

static void vec_free(struct vecbuf *);

static int
vec_cb(void *arg, const uint8_t *key, uint64_t seq)
{
	struct vecbuf *vb = arg;
	void *p;

	if (vb->n == vb->a) {
		vb->a = vb->a ? 2 * vb->a : 16;
		if ((p = realloc(vb->keys, vb->a * NODE_KEY_LEN)) == NULL)
			return (-1);
		vb->keys = p;
		if ((p = realloc(vb->v, vb->a * sizeof(*vb->v))) == NULL)
			return (-1);
		vb->v = p;
		if ((p = realloc(vb->pi, vb->a * sizeof(*vb->pi))) == NULL)
			return (-1);
		vb->pi = p;
	}
	memcpy(vb->keys[vb->n], key, NODE_KEY_LEN);
	vb->v[vb->n].seq = seq;
	vb->n++;
	return (0);
}

/*
 * Load our vector into ${vb}, making an entry for each origin we hold and
 * noting the seq we hold; s->pv[vb->pi[i]] is origin i's entry, until the
 * next vec_load().
 */
static int
vec_load(struct session *s, struct vecbuf *vb)
{
	char err[STORE_ERRLEN];
	struct pv *p;
	size_t i;

	memset(vb, 0, sizeof(*vb));
	if (db_vector(s->db, vec_cb, vb, err)) {
		vec_free(vb);
		/* Another process holds the database: later. */
		if (db_busy(s->db))
			return (1);
		return (fail(s, err, 0));
	}
	for (i = 0; i < vb->n; i++) {
		vb->v[i].origin = vb->keys[i];
		if ((p = pv_get(s, vb->keys[i])) == NULL) {
			vec_free(vb);
			return (fail(s, "out of memory", 0));
		}
		p->ours = vb->v[i].seq;
		vb->pi[i] = (size_t)(p - s->pv);
	}
	s->st.origins = s->npv;
	s->vec_stale = false;
	return (0);
}

static void
vec_free(struct vecbuf *vb)
{

	free(vb->v);
	free(vb->keys);
	free(vb->pi);
	memset(vb, 0, sizeof(*vb));
}

/*
 * Make the entries' ours current, reading our vector only if the log
 * changed since it was last read (session_kick()): with many origins the
 * read is what costs, not the lookups.  1: the database was busy.
 */
static int
vec_fresh(struct session *s)
{
	struct vecbuf vb;
	int r;

	if (!s->vec_stale)
		return (0);
	if ((r = vec_load(s, &vb)) != 0)
		return (r);
	vec_free(&vb);
	return (0);
}

static size_t
pv_slot(const struct session *s, const uint8_t *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	size_t i;

	crypto_shorthash(h, key, MSG_VEC_KEY_LEN, s->hkey);
	for (i = 0; i < sizeof(h); i++)
		v = (v << 8) | h[i];
	return ((size_t)v & (s->nix - 1));
}

/* The entry for the origin with prefix ${key}, or NULL. */
static struct pv *
pv_find(const struct session *s, const uint8_t *key)
{
	size_t i;

	if (s->nix == 0)
		return (NULL);
	for (i = pv_slot(s, key); s->ix[i] != 0; i = (i + 1) & (s->nix - 1))
		if (memcmp(s->pv[s->ix[i] - 1].key, key, MSG_VEC_KEY_LEN) == 0)
			return (&s->pv[s->ix[i] - 1]);
	return (NULL);
}

/* Index pv[${k}] (its key not yet indexed). */
static void
pv_index(struct session *s, size_t k)
{
	size_t i;

	for (i = pv_slot(s, s->pv[k].key); s->ix[i] != 0;
	    i = (i + 1) & (s->nix - 1))
		;
	s->ix[i] = (uint32_t)(k + 1);
}

/*
 * The entry for ${key}, the whole key of an origin we hold (from our own
 * vector only), made if new; NULL if out of memory.
 */
static struct pv *
pv_get(struct session *s, const uint8_t *key)
{
	struct pv *p;
	uint32_t *ix;
	size_t k, n;

	if ((p = pv_find(s, key)) != NULL)
		return (p);
	if (s->npv == s->apv) {
		n = s->apv ? 2 * s->apv : 16;
		if ((p = realloc(s->pv, n * sizeof(*p))) == NULL)
			return (NULL);
		s->pv = p;
		s->apv = n;
	}
	/* At most half full, so chains stay short. */
	if (2 * (s->npv + 1) >= s->nix) {
		n = s->nix ? 2 * s->nix : 64;
		if ((ix = calloc(n, sizeof(*ix))) == NULL)
			return (NULL);
		free(s->ix);
		s->ix = ix;
		s->nix = n;
		for (k = 0; k < s->npv; k++)
			pv_index(s, k);
	}
	p = &s->pv[s->npv];
	memset(p, 0, sizeof(*p));
	memcpy(p->key, key, NODE_KEY_LEN);
	pv_index(s, s->npv++);
	return (p);
}

/* The peer holds ${seq} of ${key}, if it is an origin we hold. */
static bool
pv_has(struct session *s, const uint8_t *key, uint64_t seq)
{
	struct pv *p;

	if ((p = pv_find(s, key)) == NULL)
		return (false);
	if (seq > p->have)
		p->have = seq;
	if (p->have > p->sent)
		p->sent = p->have;
	return (true);
}

/*
 * Tell the peer our vector: all of it in HELLO; in an ACK only the
 * origins that moved since we last told it (it keeps what we told it
 * before), so an ACK costs what changed, not the size of the network.
 * Either goes in parts of MSG_VEC_CHUNK origins, HELLO or ACK first and
 * VECTOR messages after, nothing in between, and never more than
 * MSG_MAX_ORIGINS in all: what is left out goes in a later ACK.
 */
static int
send_vector(struct session *s, bool hello)
{
	msgpack_sbuffer sb;
	struct vecbuf vb;
	struct pv *p;
	size_t i, n, off = 0, k;
	bool more;
	int r = 0, e;

	if ((r = vec_load(s, &vb)) != 0)
		return (r);
	for (i = n = 0; i < vb.n && n < MSG_MAX_ORIGINS; i++) {
		p = &s->pv[vb.pi[i]];
		if (!hello && p->told >= vb.v[i].seq)
			continue;
		p->told = vb.v[i].seq;
		vb.v[n++] = vb.v[i];
	}
	do {
		k = n - off < MSG_VEC_CHUNK ? n - off : MSG_VEC_CHUNK;
		more = off + k < n;
		msgpack_sbuffer_init(&sb);
		if (off > 0)
			e = msg_vector(&sb, vb.v + off, k, more);
		else if (hello)
			e = msg_hello(&sb, s->name, vb.v, k, s->compress ?
			    MSG_FEATURE_ZSTD : 0, s->now_ms, more);
		else
			e = msg_ack(&sb, vb.v, k, more);
		r = e ? fail(s, "out of memory", 0) : queue_frame(s, &sb,
		    false);
		msgpack_sbuffer_destroy(&sb);
		off += k;
	} while (r == 0 && off < n);
	vec_free(&vb);
	return (r);
}

/* Handshake done: key both directions and say HELLO (or stall). */
static int
open_transport(struct session *s)
{
	uint8_t tx[HS_KEY_LEN], rx[HS_KEY_LEN], h[HS_HASH_LEN];
	uint8_t hdr[FRAME_HDR_LEN];
	int r;

	if ((r = hs_split(&s->hs, tx, rx, h)) != PROTO_OK)
		return (fail(s, "handshake", r));
	frame_enc_init(&s->enc, tx, hdr);
	s->dec = frame_dec_new(rx);
	sodium_memzero(tx, sizeof(tx));
	sodium_memzero(rx, sizeof(rx));
	if (s->dec == NULL)
		return (fail(s, "out of memory", 0));
	s->state = ST_OPEN;
	if (queue_raw(s, hdr, sizeof(hdr)))
		return (-1);
	if ((r = send_vector(s, true)) > 0)
		s->stall = STALL_HELLO;
	return (r);
}

struct session *
session_new(const struct session_cfg *cfg, char err[SESSION_ERRLEN])
{
	uint8_t p1[SESSION_HS_PAYLOAD1], e[HS_KEY_LEN], k[HS_KEY_LEN];
	uint8_t m1[SESSION_MSG1_LEN], pro[HS_PROLOGUE_LEN];
	uint8_t mx[SESSION_SUCCS_LEN(SESSION_SUCC_MAX)];
	char dberr[STORE_ERRLEN];
	struct session *s;
	uint64_t ctr;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->sk = sodium_malloc(NODE_SK_LEN + HS_KEY_LEN)) == NULL) {
		snprintf(err, SESSION_ERRLEN, "out of memory");
		free(s);
		return (NULL);
	}
	s->db = cfg->db;
	s->initiator = cfg->initiator;
	s->admit = cfg->admit;
	s->random = cfg->random;
	s->arg = cfg->arg;
	s->step_over = cfg->step_over;
	s->now_ms = cfg->now_ms;
	s->batch_limit = SESSION_BATCH_MIN;
	s->vec_stale = true;
	crypto_shorthash_keygen(s->hkey);
	s->compress = cfg->compress;
	if (s->compress && (s->z = msg_z_new()) == NULL) {
		snprintf(err, SESSION_ERRLEN, "out of memory");
		goto fail;
	}
	snprintf(s->name, sizeof(s->name), "%s", cfg->name);
	memcpy(s->sk, cfg->ed_sk, NODE_SK_LEN);
	memcpy(s->ed_pk, cfg->ed_sk + NODE_SK_LEN - NODE_KEY_LEN, NODE_KEY_LEN);
	memcpy(s->netkey, cfg->netkey, HS_PSK_LEN);
	if (hs_x25519_keys(s->sk, s->sk + NODE_SK_LEN, s->x_pub) != PROTO_OK) {
		snprintf(err, SESSION_ERRLEN, "bad node key");
		goto fail;
	}
	if (!s->initiator) {
		s->state = ST_WAIT1;
		hs_prologue(s->netkey, pro);
		hs_init(&s->hs, false, pro, sizeof(pro), s->sk + 64, NULL,
		    s->netkey);
		return (s);
	}

	memcpy(s->peer_ed, cfg->peer, NODE_KEY_LEN);
	s->have_peer = true;
	if (cfg->nsucc > SESSION_SUCC_MAX) {
		snprintf(err, SESSION_ERRLEN, "too many successor statements");
		goto fail;
	}
	s->nsucc = cfg->nsucc;
	if (s->nsucc > 0)
		memcpy(s->succ, cfg->succ, s->nsucc * SESSION_SUCC_LEN);
	if (hs_x25519_pub(s->peer_ed, s->peer_x) != PROTO_OK) {
		snprintf(err, SESSION_ERRLEN, "peer key is not a valid key");
		goto fail;
	}
	hs_prologue(s->netkey, pro);
	hs_init(&s->hs, true, pro, sizeof(pro), s->sk + NODE_SK_LEN, s->peer_x,
	    s->netkey);
	/*
	 * Payload: who we are (Ed25519), a counter never sent before
	 * (against replay; stored before message 1 can leave, so a crash
	 * never sends one twice), the handshake version.
	 */
	if (db_hs_next(s->db, s->now_ms, &ctr, dberr) != 0) {
		snprintf(err, SESSION_ERRLEN, "handshake counter: %s", dberr);
		goto fail;
	}
	memset(p1, 0, sizeof(p1));
	memcpy(p1, s->ed_pk, NODE_KEY_LEN);
	for (i = 0; i < 8; i++)
		p1[NODE_KEY_LEN + i] = (uint8_t)(ctr >> (56 - 8 * i));
	p1[40] = HS_VERSION;
	p1[41] = (uint8_t)s->nsucc;
	rnd(s, e, sizeof(e));
	if (hs_write1(&s->hs, e, p1, sizeof(p1), m1) != PROTO_OK) {
		snprintf(err, SESSION_ERRLEN, "handshake failed");
		goto fail;
	}
	sodium_memzero(e, sizeof(e));
	hs_mac1_key(s->netkey, s->peer_x, k);
	hs_mac1(k, m1, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    m1 + HS_MSG1_LEN(SESSION_HS_PAYLOAD1));
	s->state = ST_WAIT2;
	if (queue_raw(s, m1, sizeof(m1))) {
		snprintf(err, SESSION_ERRLEN, "%s", s->err);
		goto fail;
	}
	/*
	 * Then our successor statements, if we continue another key: a
	 * peer that holds only the old key's membership admits us by them.
	 */
	if (s->nsucc > 0 && (hs_write1_more(&s->hs, s->succ, s->nsucc *
	    SESSION_SUCC_LEN, mx) != PROTO_OK || queue_raw(s, mx,
	    SESSION_SUCCS_LEN(s->nsucc)))) {
		snprintf(err, SESSION_ERRLEN, "handshake failed");
		goto fail;
	}
	return (s);

fail:
	session_free(s);
	return (NULL);
}

/* The words for a peer whose handshake version is ${v}, not ours. */
static const char *
other_version(unsigned v)
{

	return (v < HS_VERSION ? "handshake: this office runs an older "
	    "hamroh; upgrade it" : "handshake: this office runs a newer "
	    "hamroh; upgrade this one");
}

/*
 * Responder: message 1.  Anything wrong here ends the session with
 * nothing sent: a stranger learns nothing.  The one exception is a node
 * that holds the network key (mac1 and Noise passed) speaking another
 * handshake version: it gets message 2 with our version, so that it can
 * say why in its own log, and the session ends there, with no transport
 * keys and nothing recorded.
 */
static int answer_msg1(struct session *, unsigned);

static int
got_msg1(struct session *s)
{
	uint8_t p1[SESSION_HS_PAYLOAD1];
	struct admit_msg1 m;
	enum admit_code c;
	int r;

	/* The admission rules are admit.h's; their order is theirs too. */
	if ((r = admit_mac1(s->netkey, s->x_pub, s->hsbuf)) != PROTO_OK)
		return (fail(s, "handshake", r));
	if ((r = hs_read1(&s->hs, s->hsbuf, HS_MSG1_LEN(SESSION_HS_PAYLOAD1),
	    p1)) != PROTO_OK)
		return (fail(s, "handshake", r));
	if ((c = admit_payload(p1, s->hs.rs, &m)) == ADMIT_IDENTITY)
		return (fail(s, admit_str(c), 0));
	memcpy(s->peer_ed, m.key, NODE_KEY_LEN);
	memcpy(s->peer_x, s->hs.rs, HS_KEY_LEN);
	s->have_peer = true;
	s->ctr = m.ctr;
	if (c == ADMIT_VERSION)
		return (answer_msg1(s, m.version));
	if (c != ADMIT_OK)
		return (fail(s, admit_str(c), 0));
	if ((s->nsucc = m.nsucc) > 0) {
		s->state = ST_WAIT1X;
		s->hslen = 0;
		return (0);
	}
	return (answer_msg1(s, m.version));
}

/* Responder: the successor statements after message 1. */
static int
got_msg1x(struct session *s)
{
	int r;

	if ((r = hs_read1_more(&s->hs, s->hsbuf, SESSION_SUCCS_LEN(s->nsucc),
	    s->succ)) != PROTO_OK)
		return (fail(s, "handshake", r));
	return (answer_msg1(s, HS_VERSION));
}

/* Responder: admit the peer of handshake version ${v}, or not; message 2. */
static int
answer_msg1(struct session *s, unsigned v)
{
	uint8_t p2[SESSION_HS_PAYLOAD2] = { HS_VERSION }, e[HS_KEY_LEN];
	uint8_t m2[SESSION_MSG2_LEN];
	int r;

	if (v == HS_VERSION && s->admit != NULL && (r = s->admit(s->arg,
	    s->peer_ed, s->ctr, s->succ, s->nsucc)) != 0) {
		/*
		 * The database was busy: message 1 (and its statements) is
		 * read, nothing is answered yet; session_retry() asks again.
		 */
		if (r > 0) {
			s->stall = STALL_MSG1;
			return (1);
		}
		return (fail(s, "handshake: peer not admitted (not a member, "
		    "or a replayed message)", 0));
	}
	rnd(s, e, sizeof(e));
	r = hs_write2(&s->hs, e, p2, sizeof(p2), m2);
	sodium_memzero(e, sizeof(e));
	if (r != PROTO_OK)
		return (fail(s, "handshake", r));
	if (queue_raw(s, m2, sizeof(m2)))
		return (-1);
	if (v != HS_VERSION)
		return (fail(s, other_version(v), 0));
	return (open_transport(s));
}

static int
got_msg2(struct session *s)
{
	uint8_t p2[SESSION_HS_PAYLOAD2];
	int r;

	if ((r = hs_read2(&s->hs, s->hsbuf, SESSION_MSG2_LEN, p2)) !=
	    PROTO_OK)
		return (fail(s, "handshake", r));
	if (p2[0] != HS_VERSION)
		return (fail(s, other_version(p2[0]), 0));
	return (open_transport(s));
}

static int apply_batch(struct session *, const struct msg_commit *, size_t);

static int
got_commits(struct session *s, const struct msg *m)
{

	return (apply_batch(s, m->commits, m->ncommits));
}

/*
 * A commit too large for one frame, in order.  Its size is checked
 * against the commit limit before it sizes anything.
 */
static int
got_part(struct session *s, const struct msg *m)
{
	const struct msg_commit *c = &m->commits[0];
	struct msg_commit whole;
	uint8_t *p;
	int r;

	if (m->offset == 0) {
		if (m->total > COMMIT_MAX_LEN || m->total <= c->len)
			return (fail(s, "peer sent a bad commit part", 0));
		if ((p = realloc(s->part, m->total)) == NULL)
			return (fail(s, "out of memory", 0));
		s->part = p;
		s->part_len = m->total;
		s->part_have = 0;
	}
	if (s->part == NULL || m->total != s->part_len ||
	    m->offset != s->part_have || c->len > s->part_len - s->part_have)
		return (fail(s, "peer sent a commit part out of order", 0));
	memcpy(s->part + s->part_have, c->body, c->len);
	s->part_have += c->len;
	if (s->part_have < s->part_len)
		return (0);
	whole.body = s->part;
	whole.len = s->part_len;
	whole.sig = c->sig;
	r = apply_batch(s, &whole, 1);
	free(s->part);
	s->part = NULL;
	s->part_len = s->part_have = 0;
	return (r);
}

/*
 * Keep what is left of a batch, ${cs} (${n} commits), for session_retry():
 * the database was busy, or (s->yield) this step of the caller's loop ran
 * long enough.  Return 1 (stalled), or -1 if out of memory.
 */
static int
stash_batch(struct session *s, const struct msg_commit *cs, size_t n)
{
	size_t i, len = 0;
	uint8_t *p;

	s->stall = STALL_BATCH;
	if (s->pend != NULL) {	/* Tried again: it is ours already. */
		s->pend_off = s->npend - n;
		return (1);
	}
	for (i = 0; i < n; i++)
		len += cs[i].len + NODE_SIG_LEN;
	if ((s->pend = calloc(n ? n : 1, sizeof(*s->pend))) == NULL ||
	    (s->pend_buf = malloc(len ? len : 1)) == NULL)
		return (fail(s, "out of memory", 0));
	for (i = 0, p = s->pend_buf; i < n; i++) {
		memcpy(p, cs[i].body, cs[i].len);
		s->pend[i].body = p;
		s->pend[i].len = cs[i].len;
		p += cs[i].len;
		memcpy(p, cs[i].sig, NODE_SIG_LEN);
		s->pend[i].sig = p;
		p += NODE_SIG_LEN;
	}
	s->npend = n;
	s->pend_off = 0;
	return (1);
}

static void
pend_free(struct session *s)
{

	free(s->pend);
	free(s->pend_buf);
	s->pend = NULL;
	s->pend_buf = NULL;
	s->npend = s->pend_off = 0;
}

/* What the peer sent, it has: never send it back. */
static void
peer_sent(struct session *s, const struct msg_commit *cs, size_t n)
{
	uint8_t origin[NODE_KEY_LEN];
	uint64_t seq;
	size_t i;

	for (i = 0; i < n; i++)
		if (commit_peek(cs[i].body, cs[i].len, origin, &seq) == 0)
			(void)pv_has(s, origin, seq);
}

/* Whether the caller's loop step has run long enough (cfg.step_over). */
static bool
over(struct session *s)
{

	return (s->step_over != NULL && s->step_over(s->arg));
}

/*
 * Apply a received batch, in one transaction unless the caller's loop step
 * runs long (cfg.step_over): then what is applied so far commits, and the
 * rest waits for session_retry() (session_yielded()), so a batch of
 * thousands of commits never holds the loop.  Return 0; 1 when the rest
 * waits, the step over or the database busy (another process writes:
 * nothing of this part was stored); -1 when the session is over.
 */
static int
apply_batch(struct session *s, const struct msg_commit *cs, size_t n)
{
	struct db_counts dc;
	char err[STORE_ERRLEN], msg[SESSION_ERRLEN];
	size_t i;
	int r;

	memset(&dc, 0, sizeof(dc));
	if (s->stepped && over(s)) {	/* Another batch came first. */
		s->yield = true;
		return (stash_batch(s, cs, n));
	}
	/*
	 * One transaction per part: the vector moves with what committed.
	 * A peer's commits need no fsync of their own: after a crash our
	 * vector shows what is missing and peers send it again.
	 */
	db_durable(s->db, false);
	(void)db_busy(s->db);
	if (db_begin(s->db, s->now_ms, err)) {
		db_durable(s->db, true);
		if (db_busy(s->db))
			return (stash_batch(s, cs, n));
		return (fail(s, err, 0));
	}
	for (i = 0; i < n; i++) {
		/* At least one commit a step, so every step moves. */
		if (i > 0 && over(s))
			break;
		if ((r = db_apply(s->db, cs[i].body, cs[i].len,
		    cs[i].sig, &dc, err)) != 0) {
			db_rollback(s->db);
			db_durable(s->db, true);
			if (r == DB_ESTORE && db_busy(s->db))
				return (stash_batch(s, cs, n));
			/* A full disk is ours: the peer is not to blame. */
			if (r == DB_ESTORE) {
				snprintf(msg, sizeof(msg), "cannot store the "
				    "peer's commits: %s", err);
				session_bye(s, "receiver cannot store commits");
			} else {
				snprintf(msg, sizeof(msg), "peer sent a bad "
				    "commit: %s", err);
				session_bye(s, "bad commit");
			}
			return (fail(s, msg, 0));
		}
	}
	if (db_commit(s->db, err)) {
		db_durable(s->db, true);
		if (db_busy(s->db))
			return (stash_batch(s, cs, n));
		return (fail(s, err, 0));
	}
	db_durable(s->db, true);
	s->stepped = true;
	s->st.commits_applied += dc.applied + dc.released;
	s->st.held += dc.held;
	s->st.forks += dc.fork;
	if (i < n) {
		/* Entries for origins new to us; the peer has what it sent. */
		s->vec_stale = true;
		if (vec_fresh(s) < 0)
			return (-1);
		peer_sent(s, cs, i);
		s->yield = true;
		return (stash_batch(s, cs + i, n - i));
	}
	s->st.batches_applied++;
	/* The ACK; it also makes entries for origins new to us. */
	if ((r = send_vector(s, false)) != 0) {
		if (r < 0)
			return (-1);
		s->stall = STALL_ACK;	/* Committed; the ACK waits. */
		return (1);
	}
	/* New origins have entries only now: what the peer sent, it has. */
	peer_sent(s, cs, n);
	return (0);
}

/*
 * Replace the ZSTD message ${m} by the COMMITS or PART it holds.  Only a
 * session that offered zstd, after the HELLOs, accepts one; anything
 * wrong with it is a malformed message, handled as any other.
 */
static int
unzstd(struct session *s, struct msg *m)
{
	struct msg inner;
	int r;

	if (!s->compress || !s->hello)
		return (PROTO_EMSG);
	r = msg_z_decode(s->z, m, &inner);
	msg_fini(m);
	*m = inner;		/* Borrows from s->z now; freed below. */
	if (r == PROTO_OK)
		s->st.zmsgs_in++;
	return (r);
}

/* The peer broke the session's rules: say so, and end it. */
static int
protocol_error(struct session *s, const char *what)
{

	session_bye(s, "protocol error");
	return (fail(s, what, 0));
}

/*
 * One part of the peer's vector (HELLO, ACK or VECTOR; ${first} for HELLO
 * and ACK).  Origins we do not hold are skipped: nothing is made for
 * them.  A HELLO's vector, whole, lets us start sending.
 */
static int
got_vector(struct session *s, const struct msg *m, bool first)
{
	size_t i;
	char why[80];

	if (first)
		s->vec_total = 0;
	if (m->nvec > MSG_MAX_ORIGINS - s->vec_total) {
		snprintf(why, sizeof(why), "peer sent a vector of more than "
		    "%d origins", MSG_MAX_ORIGINS);
		return (protocol_error(s, why));
	}
	s->vec_total += m->nvec;
	for (i = 0; i < m->nvec; i++)
		if (!pv_has(s, m->vec[i].origin, m->vec[i].seq))
			s->st.vec_ignored++;
	s->vec_more = m->more;
	if (!s->vec_more && !s->hello) {
		s->hello = true;
		s->quiet = false;
	}
	return (0);
}

/* The peer's HELLO: its version, name, features, clock, vector. */
static int
got_hello(struct session *s, const struct msg *m)
{
	char why[SESSION_ERRLEN];

	if (s->hello_got)
		return (protocol_error(s, "peer sent a second HELLO"));
	s->hello_got = true;
	if (m->ver_max < VERSION) {
		session_bye(s, OLDER_PEER);
		snprintf(why, sizeof(why), "%s (it speaks session protocol "
		    "%llu, this office %d)", OLDER_PEER,
		    (unsigned long long)m->ver_max, VERSION);
		return (fail(s, why, 0));
	}
	if (m->ver_min > VERSION) {
		session_bye(s, "protocol version not supported");
		snprintf(why, sizeof(why), "the peer runs a newer hamroh "
		    "(session protocol %llu, this office %d); upgrade this "
		    "office", (unsigned long long)m->ver_min, VERSION);
		return (fail(s, why, 0));
	}
	snprintf(s->peer_name, sizeof(s->peer_name), "%.*s",
	    (int)m->text_len, m->text);
	/* Other feature bits are for later versions: ignored. */
	s->zpeer = (m->features & MSG_FEATURE_ZSTD) != 0;
	/* Its clock when it sent, ours when it came: skew less transit. */
	s->clock_known = true;
	if (m->clock >= s->now_ms)
		s->clock_off = m->clock - s->now_ms > INT64_MAX ? INT64_MAX :
		    (int64_t)(m->clock - s->now_ms);
	else
		s->clock_off = s->now_ms - m->clock > INT64_MAX ? -INT64_MAX :
		    -(int64_t)(s->now_ms - m->clock);
	return (got_vector(s, m, true));
}

/*
 * A fork proof (store/fork.c): the peer has it, so we never send it one
 * as high; if it taught us a lower one, or we made one lower from our
 * log, the next pump sends ours back, and the agent kicks the others.
 */
static int
got_fork(struct session *s, const struct msg *m)
{
	const struct msg_commit *c = m->commits;
	char err[STORE_ERRLEN], msg[SESSION_ERRLEN];
	uint8_t origin[NODE_KEY_LEN];
	uint64_t seq, cseq;
	struct pv *p;
	bool learned;
	int r;

	if (db_begin(s->db, s->now_ms, err))
		return (fail(s, err, 0));
	if ((r = db_fork_proof(s->db, c[0].body, c[0].len, c[0].sig,
	    c[1].body, c[1].len, c[1].sig, &seq, &learned, err)) != 0) {
		db_rollback(s->db);
		if (r == DB_ESTORE)
			return (fail(s, err, 0));
		session_bye(s, "bad fork proof");
		snprintf(msg, sizeof(msg), "peer sent a bad fork proof: %s",
		    err);
		return (fail(s, msg, 0));
	}
	if (db_commit(s->db, err))
		return (fail(s, err, 0));
	if (commit_peek(c[0].body, c[0].len, origin, &cseq) == 0 &&
	    (p = pv_find(s, origin)) != NULL && (p->fork_told == 0 ||
	    seq < p->fork_told))
		p->fork_told = seq;
	if (learned)
		s->st.forks++;
	s->quiet = false;
	return (0);
}

/* Send the peer each fork proof lower than it has, of what it holds. */
struct forks_out {
	struct session	*s;
	struct pv	*p;
	uint64_t	seq;
};

static int
fork_out(void *arg, const struct db_fork *f)
{
	struct forks_out *fo = arg;
	msgpack_sbuffer sb;
	int r = 0;

	msgpack_sbuffer_init(&sb);
	if (msg_fork(&sb, f->a, f->alen, f->asig, f->b, f->blen, f->bsig))
		r = -1;
	/* Two commits near the limit do not fit a frame: not sent. */
	else if (sb.size <= FRAME_MAX_LEN)
		r = queue_frame(fo->s, &sb, false);
	msgpack_sbuffer_destroy(&sb);
	fo->p->fork_told = f->seq;
	return (r);
}

static int
fork_each(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct forks_out *fo = arg;
	char err[STORE_ERRLEN];

	/* Only to a peer whose vector names the origin. */
	if ((fo->p = pv_find(fo->s, origin)) == NULL || fo->p->have == 0 ||
	    (fo->p->fork_told != 0 && fo->p->fork_told <= seq))
		return (0);
	fo->seq = seq;
	return (db_fork_get(fo->s->db, origin, fork_out, fo, err) < 0 ? -1 :
	    0);
}

/* 0, 1 when the database was busy (nothing lost: asked again), or -1. */
static int
send_forks(struct session *s)
{
	struct forks_out fo = { s, NULL, 0 };
	char err[STORE_ERRLEN] = "";

	if (db_forks(s->db, fork_each, &fo, err) != 0) {
		if (db_busy(s->db))
			return (1);	/* Read again from the retry timer. */
		return (fail(s, err[0] ? err : "out of memory", 0));
	}
	return (0);
}

static int
got_message(struct session *s, const uint8_t *b, size_t len, bool final)
{
	msgpack_sbuffer sb;
	struct msg m;
	int r;

	if ((r = msg_decode(b, len, &m)) == PROTO_OK && m.type == MSG_ZSTD)
		r = unzstd(s, &m);
	if (r != PROTO_OK) {
		msg_fini(&m);
		session_bye(s, "malformed message");
		return (fail(s, "peer sent a malformed message", r));
	}
	if (!s->hello_got && m.type != MSG_HELLO && m.type != MSG_BYE) {
		msg_fini(&m);
		return (fail(s, "peer spoke before HELLO", 0));
	}
	/* A vector in parts: its parts come one after the other. */
	if (s->vec_more && m.type != MSG_VECTOR && m.type != MSG_BYE) {
		msg_fini(&m);
		return (protocol_error(s, "peer broke off its vector"));
	}
	switch (m.type) {
	case MSG_HELLO:
		r = got_hello(s, &m);
		break;
	case MSG_VECTOR:
		r = s->vec_more ? got_vector(s, &m, false) :
		    protocol_error(s, "peer sent a vector part out of place");
		break;
	case MSG_COMMITS:
		r = got_commits(s, &m);
		break;
	case MSG_ACK:
		/* One ACK per batch we sent, never more. */
		if (s->st.acks >= s->st.batches_sent) {
			r = protocol_error(s, "peer acknowledged a batch we "
			    "did not send");
			break;
		}
		adapt_batch(s, s->now_ms - s->sent_at[s->st.acks %
		    SESSION_WINDOW]);
		s->st.acks++;
		s->quiet = false;	/* The window opened. */
		r = got_vector(s, &m, true);
		break;
	case MSG_PING:
		msgpack_sbuffer_init(&sb);
		r = msg_ping(&sb, MSG_PONG, m.nonce) ? fail(s, "out of memory",
		    0) : queue_frame(s, &sb, false);
		msgpack_sbuffer_destroy(&sb);
		break;
	case MSG_PONG:
		r = 0;
		break;
	case MSG_PART:
		r = got_part(s, &m);
		break;
	case MSG_FORK:
		r = got_fork(s, &m);
		break;
	case MSG_BYE:
		/* Its text is clean (msg_decode()); logs escape it anyway. */
		snprintf(s->err, sizeof(s->err), "peer said goodbye: %.*s",
		    (int)m.text_len, m.text);
		s->state = ST_DONE;
		r = -1;
		break;
	default:
		r = fail(s, "unknown message", 0);
	}
	msg_fini(&m);
	if (r > 0)
		s->pend_final = final;
	else if (r == 0 && final)
		return (fail(s, "peer closed the stream", 0));
	return (r);
}

/* Keep ${len} bytes of input that came after a stalled step, in order. */
static int
keep_input(struct session *s, const uint8_t *in, size_t len)
{
	uint8_t *p;

	if (len == 0)
		return (0);
	if ((p = realloc(s->pin, s->pin_len + len)) == NULL)
		return (fail(s, "out of memory", 0));
	memcpy(p + s->pin_len, in, len);
	s->pin = p;
	s->pin_len += len;
	return (0);
}

/* Hold the message ${b} behind a stalled batch or ACK, in order. */
static int
queue_msg(struct session *s, const uint8_t *b, size_t len, bool final)
{
	size_t need = s->q_len + 5 + len, cap;
	uint8_t *p;

	if (need > s->q_cap) {
		for (cap = s->q_cap ? s->q_cap : 4096; cap < need;)
			cap *= 2;
		if ((p = realloc(s->q, cap)) == NULL)
			return (fail(s, "out of memory", 0));
		s->q = p;
		s->q_cap = cap;
	}
	p = s->q + s->q_len;
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[4] = final;
	memcpy(p + 5, b, len);
	s->q_len = need;
	return (0);
}

/*
 * Whether the message ${b} may be handled ahead of a stalled batch: it
 * stores nothing.  The rest of a vector in parts is handled as it comes,
 * whatever it is (anything but VECTOR is an error then).
 */
static bool
may_pass(struct session *s, const uint8_t *b, size_t len)
{
	struct msg m;
	bool pass;

	if (s->vec_more)
		return (true);
	pass = msg_decode(b, len, &m) == PROTO_OK && (m.type == MSG_ACK ||
	    m.type == MSG_VECTOR || m.type == MSG_PING || m.type == MSG_PONG);
	msg_fini(&m);
	return (pass);
}

/* The messages held behind a stall, in order, until one stalls again. */
static int
drain_queue(struct session *s)
{
	size_t off = 0, len;
	const uint8_t *p;
	int r;

	while (off < s->q_len && s->stall == STALL_NONE &&
	    s->state == ST_OPEN) {
		p = s->q + off;
		len = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
		    (size_t)p[2] << 8 | p[3];
		off += 5 + len;
		/* A batch that stalls again is copied: the entry is done. */
		if ((r = got_message(s, p + 5, len, p[4] != 0)) < 0)
			return (-1);
	}
	if (off > 0) {
		memmove(s->q, s->q + off, s->q_len - off);
		s->q_len -= off;
	}
	return (0);
}

static int
input(struct session *s, const uint8_t *in, size_t len)
{
	const uint8_t *body;
	size_t need, take, blen;
	ssize_t used;
	bool final;
	int r;

	if (s->stall == STALL_MSG1 || s->stall == STALL_HELLO)
		return (keep_input(s, in, len));
	while (len > 0 && (s->state == ST_WAIT1 || s->state == ST_WAIT1X ||
	    s->state == ST_WAIT2)) {
		need = s->state == ST_WAIT1 ? SESSION_MSG1_LEN :
		    s->state == ST_WAIT1X ? SESSION_SUCCS_LEN(s->nsucc) :
		    SESSION_MSG2_LEN;
		take = need - s->hslen < len ? need - s->hslen : len;
		memcpy(s->hsbuf + s->hslen, in, take);
		s->hslen += take;
		in += take;
		len -= take;
		if (s->hslen < need)
			return (0);
		if ((r = s->state == ST_WAIT1 ? got_msg1(s) :
		    s->state == ST_WAIT1X ? got_msg1x(s) : got_msg2(s)) > 0)
			return (keep_input(s, in, len));
		if (r < 0)
			return (-1);
	}
	while (len > 0 && s->state == ST_OPEN) {
		if ((used = frame_dec_feed(s->dec, in, len, &body, &blen,
		    &final)) < 0)
			return (fail(s, "transport", (int)used));
		in += used;
		len -= (size_t)used;
		if (body == NULL)
			continue;
		if (s->stall != STALL_NONE && !may_pass(s, body, blen)) {
			if (queue_msg(s, body, blen, final))
				return (-1);
			continue;
		}
		/* A batch that stalls (> 0) holds what follows back. */
		if (got_message(s, body, blen, final) < 0)
			return (-1);
	}
	return (0);
}

int
session_input(struct session *s, const uint8_t *in, size_t len,
    uint64_t now_ms)
{

	s->now_ms = now_ms;
	s->st.bytes_in += len;
	s->stepped = false;
	if (input(s, in, len) != 0 || s->state == ST_DONE)
		return (-1);
	return (session_pump(s));
}

bool
session_stalled(const struct session *s)
{

	return (s->stall != STALL_NONE || s->read_busy);
}

bool
session_yielded(const struct session *s)
{

	return (s->stall == STALL_BATCH && s->yield);
}

bool
session_wants_input(const struct session *s)
{

	return (s->stall != STALL_MSG1 && s->stall != STALL_HELLO &&
	    s->q_len < SESSION_QUEUE_MAX);
}

int
session_retry(struct session *s, uint64_t now_ms)
{
	enum stall was = s->stall;
	uint8_t *in;
	size_t len;
	int r = 0;

	s->now_ms = now_ms;
	s->stall = STALL_NONE;
	s->read_busy = false;
	s->yield = false;
	s->stepped = false;
	switch (was) {
	case STALL_NONE:
		break;
	case STALL_MSG1:	/* Message 1 is read: admit it again. */
		r = answer_msg1(s, HS_VERSION);
		break;
	case STALL_HELLO:
	case STALL_ACK:
		if ((r = send_vector(s, was == STALL_HELLO)) > 0)
			s->stall = was;
		break;
	case STALL_BATCH:
		if ((r = apply_batch(s, s->pend + s->pend_off,
		    s->npend - s->pend_off)) == 0) {
			pend_free(s);
			if (s->pend_final)
				r = fail(s, "peer closed the stream", 0);
		} else if (r < 0)
			pend_free(s);
		break;
	}
	if (r < 0 || s->state == ST_DONE)
		return (-1);
	if (s->stall != STALL_NONE)
		return (0);
	/* Then what came after it, which may stall again. */
	if (drain_queue(s) != 0)
		return (-1);
	if (s->stall == STALL_NONE && s->pin != NULL) {
		in = s->pin;
		len = s->pin_len;
		s->pin = NULL;
		s->pin_len = 0;
		r = input(s, in, len);
		free(in);
		if (r != 0)
			return (-1);
	}
	if (s->state == ST_DONE)
		return (-1);
	return (session_pump(s));
}

void
session_output(struct session *s, const uint8_t **out, size_t *len)
{

	*out = s->out + s->out_off;
	*len = s->out_len - s->out_off;
}

void
session_kick(struct session *s)
{

	s->quiet = false;
	s->vec_stale = true;
}

void
session_clock(struct session *s, uint64_t now_ms)
{

	s->now_ms = now_ms;
}

/*
 * Size batches to the link: a batch that came back acknowledged quickly
 * doubles the next, a slow one halves it.  On a LAN batches reach the
 * maximum within a few round trips; on a 64 kbit/s link they stay small
 * enough that a cut loses a few seconds of transfer, not minutes.
 */
static void
adapt_batch(struct session *s, uint64_t rtt_ms)
{

	if (rtt_ms < SESSION_BATCH_FAST_MS && s->batch_limit <
	    SESSION_BATCH_BYTES)
		s->batch_limit = s->batch_limit * 2 < SESSION_BATCH_BYTES ?
		    s->batch_limit * 2 : SESSION_BATCH_BYTES;
	else if (rtt_ms > SESSION_BATCH_SLOW_MS && s->batch_limit >
	    SESSION_BATCH_MIN)
		s->batch_limit = s->batch_limit / 2 > SESSION_BATCH_MIN ?
		    s->batch_limit / 2 : SESSION_BATCH_MIN;
}

void
session_consumed(struct session *s, size_t n)
{

	s->quiet = false;	/* The high-water mark may have held it. */
	s->out_off += n;
	if (s->out_off >= s->out_len)
		s->out_off = s->out_len = 0;
}

/*
 * Collecting one COMMITS batch, or one commit too large for a frame: never
 * both.  A commit marks its origin's sent seq only once it is in the
 * batch that goes out.
 */
struct batch {
	struct session	*s;
	struct pv	*p;
	msgpack_sbuffer	sb;
	size_t		n, bytes, payload;
	bool		full;		/* Nothing more goes in this one. */
	const char	*why;		/* What made batch_cb() fail. */
	uint8_t		*big, big_sig[NODE_SIG_LEN];
	size_t		big_len;
};

/* Room a commit needs in a COMMITS frame besides its body. */
#define BATCH_OVERHEAD	128
/* Piece size for a commit sent in PARTs. */
#define PART_BYTES	(768 * 1024)

static int
batch_cb(void *arg, const uint8_t *body, size_t len, const uint8_t *sig,
    uint64_t seq)
{
	struct batch *b = arg;

	/*
	 * Too large for any frame: alone, in PARTs, and it ends the pass.
	 * When commits are in the batch already, they go first, and the
	 * next pass starts with this one.
	 */
	if (len + BATCH_OVERHEAD > FRAME_MAX_LEN) {
		b->full = true;
		if (b->n > 0)
			return (1);
		if ((b->big = malloc(len)) == NULL) {
			b->why = "out of memory";
			return (-1);
		}
		memcpy(b->big, body, len);
		memcpy(b->big_sig, sig, NODE_SIG_LEN);
		b->big_len = len;
		b->p->sent = seq;
		return (1);
	}
	/* Leave room for the framing of the whole message. */
	if (b->n > 0 && b->bytes + len + BATCH_OVERHEAD > FRAME_MAX_LEN)
		return (1);
	if (msg_commits_add(&b->sb, body, len, sig)) {
		b->why = "out of memory";
		return (-1);
	}
	b->n++;
	b->payload += len + NODE_SIG_LEN;
	b->bytes += len + BATCH_OVERHEAD;
	b->p->sent = seq;
	return (0);
}

/* Queue the COMMITS message of ${b}: one batch. */
static int
send_commits(struct session *s, const struct batch *b)
{
	msgpack_sbuffer msg;
	int r;

	msgpack_sbuffer_init(&msg);
	if (msg_commits_begin(&msg, b->n) ||
	    msgpack_sbuffer_write(&msg, b->sb.data, b->sb.size))
		r = fail(s, "out of memory", 0);
	else
		r = queue_batch(s, &msg);
	msgpack_sbuffer_destroy(&msg);
	s->st.commits_sent += b->n;
	s->st.commit_bytes_out += b->payload;
	s->st.batches_sent++;
	return (r);
}

/* Queue the large commit of ${b} as PARTs: one batch. */
static int
send_parts(struct session *s, const struct batch *b)
{
	msgpack_sbuffer msg;
	size_t off, k;
	int r = 0;

	for (off = 0; r == 0 && off < b->big_len; off += k) {
		k = b->big_len - off < PART_BYTES ? b->big_len - off :
		    PART_BYTES;
		msgpack_sbuffer_init(&msg);
		r = msg_part(&msg, b->big_len, off, b->big + off, k,
		    b->big_sig) ? fail(s, "out of memory", 0) :
		    queue_batch(s, &msg);
		msgpack_sbuffer_destroy(&msg);
	}
	s->st.commits_sent++;
	s->st.commit_bytes_out += b->big_len + NODE_SIG_LEN;
	s->st.batches_sent++;
	return (r);
}

int
session_pump(struct session *s)
{
	struct batch b;
	char err[STORE_ERRLEN], msg[SESSION_ERRLEN];
	bool busy = false;
	size_t i;
	bool found;
	int r = 0;

	/* Not before the peer's whole vector, nor in the middle of one. */
	if (s->state != ST_OPEN || !s->hello || s->vec_more)
		return (s->state == ST_DONE ? -1 : 0);
	/* Called on every read and write: cheap when there is nothing new. */
	if (s->quiet || s->read_busy)
		return (0);
	if ((r = vec_fresh(s)) != 0 || (r = send_forks(s)) != 0) {
		if (r < 0)
			return (-1);
		s->read_busy = true;
		return (0);
	}
	while (r == 0 && !busy &&
	    s->out_len - s->out_off < SESSION_HIGH_WATER &&
	    s->st.batches_sent - s->st.acks < SESSION_WINDOW) {
		memset(&b, 0, sizeof(b));
		b.s = s;
		msgpack_sbuffer_init(&b.sb);
		s->sent_at[s->st.batches_sent % SESSION_WINDOW] = s->now_ms;
		for (i = 0; i < s->npv && b.bytes < s->batch_limit &&
		    !b.full; i++) {
			b.p = &s->pv[i];
			if (b.p->ours <= b.p->sent)
				continue;
			err[0] = '\0';
			if (db_commits_from(s->db, b.p->key, b.p->sent,
			    s->batch_limit - b.bytes, batch_cb, &b,
			    err) < 0) {
				/* Busy: send what is in, read on later. */
				if (db_busy(s->db)) {
					busy = true;
					break;
				}
				snprintf(msg, sizeof(msg), "cannot read the "
				    "commits to send: %s", b.why != NULL ?
				    b.why : err);
				r = fail(s, msg, 0);
				break;
			}
		}
		found = b.n > 0 || b.big != NULL;
		if (r == 0 && b.n > 0)
			r = send_commits(s, &b);
		else if (r == 0 && b.big != NULL)
			r = send_parts(s, &b);
		free(b.big);
		msgpack_sbuffer_destroy(&b.sb);
		if (r == 0 && !found && !busy) {
			s->quiet = true;	/* Until something changes. */
			break;
		}
	}
	if (busy)
		s->read_busy = true;
	return (r);
}

void
session_lag(struct session *s, uint64_t *they_lack, uint64_t *we_lack)
{
	struct vecbuf vb;
	struct pv *p;
	size_t i;

	/* Not a hot path (status, every few seconds): read it anew. */
	*they_lack = *we_lack = 0;
	if (!s->hello || vec_load(s, &vb))
		return;
	vec_free(&vb);
	for (i = 0; i < s->npv; i++) {
		p = &s->pv[i];
		if (p->have < p->ours)
			*they_lack += p->ours - p->have;
		else
			*we_lack += p->have - p->ours;
	}
}

bool
session_acked(const struct session *s,
    void (*fn)(void *, const uint8_t *, uint64_t), void *arg)
{
	size_t i;

	if (!s->hello)
		return (false);
	for (i = 0; i < s->npv; i++)
		if (s->pv[i].have > 0)
			fn(arg, s->pv[i].key, s->pv[i].have);
	return (true);
}

bool
session_idle(struct session *s)
{
	struct vecbuf vb;
	bool idle = true;
	size_t i;

	if (s->state != ST_OPEN || !s->hello || vec_load(s, &vb))
		return (false);
	vec_free(&vb);
	for (i = 0; i < s->npv && idle; i++)
		idle = s->pv[i].have >= s->pv[i].ours;
	return (idle && s->out_len == s->out_off);
}

void
session_ping(struct session *s, uint64_t nonce)
{
	msgpack_sbuffer sb;

	if (s->state != ST_OPEN)
		return;
	msgpack_sbuffer_init(&sb);
	if (msg_ping(&sb, MSG_PING, nonce) == 0)
		(void)queue_frame(s, &sb, false);
	msgpack_sbuffer_destroy(&sb);
}

void
session_bye(struct session *s, const char *reason)
{
	msgpack_sbuffer sb;

	if (s->state != ST_OPEN)
		return;
	msgpack_sbuffer_init(&sb);
	if (msg_bye(&sb, reason) == 0)
		(void)queue_frame(s, &sb, true);
	msgpack_sbuffer_destroy(&sb);
}

bool
session_synced(const struct session *s)
{

	return (s->state == ST_OPEN && s->hello);
}

const uint8_t *
session_peer(const struct session *s)
{

	return (s->have_peer ? s->peer_ed : NULL);
}

size_t
session_peer_succ(const struct session *s, const uint8_t **succ)
{

	*succ = s->succ;
	return (s->initiator ? 0 : s->nsucc);
}

bool
session_peer_clock_offset(const struct session *s, int64_t *off_ms)
{

	*off_ms = s->clock_known ? s->clock_off : 0;
	return (s->clock_known);
}

bool
session_zstd(const struct session *s)
{

	return (s->compress && s->zpeer);
}

const char *
session_peer_name(const struct session *s)
{

	return (s->peer_name);
}

const char *
session_error(const struct session *s)
{

	return (s->err);
}

const struct session_stats *
session_stats(const struct session *s)
{

	return (&s->st);
}

void
session_free(struct session *s)
{

	if (s == NULL)
		return;
	hs_fini(&s->hs);
	frame_dec_free(s->dec);
	sodium_memzero(&s->enc, sizeof(s->enc));
	sodium_memzero(s->netkey, sizeof(s->netkey));
	if (s->sk != NULL)
		sodium_free(s->sk);
	free(s->out);
	free(s->pv);
	free(s->ix);
	free(s->part);
	free(s->pend);
	free(s->pend_buf);
	free(s->pin);
	free(s->q);
	msg_z_free(s->z);
	free(s);
}

#ifndef AGENT_SESSION_H
#define AGENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One sync session with one peer, sans-I/O: bytes in, bytes out.  It runs
 * the handshake (protocol/hs.c) with mac1 and a replay counter, then
 * frames (protocol/frame.c) carrying messages (protocol/msg.c):
 *
 *   both:  HELLO(version, vector, features, clock), once, its vector
 *          continued in VECTOR messages when it outgrows a frame
 *   then:  COMMITS the peer lacks, from the log in seq order per origin,
 *          produced only while the output is below a high-water mark;
 *          ACK(what moved in our vector) after each applied batch, no
 *          more ACKs than batches; PING/PONG; BYE.
 *
 * Whatever the peer sends costs bounded work: one HELLO, vectors capped
 * at MSG_MAX_ORIGINS in all, looked up by hash, and origins we do not
 * hold ignored rather than remembered.  Anything else out of order ends
 * the session with BYE "protocol error".
 *
 * When both HELLOs offered zstd (features bit 0; cfg.compress on our
 * side), each COMMITS or PART message goes as a ZSTD message if that is
 * smaller; the receiver decompresses it into exactly the message it
 * wraps and handles it as if it had come plain.  A session that did not
 * offer zstd refuses a ZSTD message like any malformed one.
 *
 * A received batch is applied in one transaction (in parts, each its own,
 * when the caller's loop step runs long), so the vector advances only
 * with what committed.  The socket, timers and scheduling are the
 * caller's (agent/daemon/daemon.c); tests drive two sessions back to back.
 */
#define SESSION_HS_PAYLOAD1	48	/* Ed25519 id, counter, version, n. */
#define SESSION_HS_PAYLOAD2	8	/* Version. */
#define SESSION_MSG1_LEN	(32 + 48 + SESSION_HS_PAYLOAD1 + 16 + 16)
#define SESSION_MSG2_LEN	(32 + SESSION_HS_PAYLOAD2 + 16)
/*
 * After message 1, its n successor statements (PROTOCOL.md, Handshake):
 * each the old key (32), the seq it continues from (u64be), the old key's
 * signature (64), encrypted in one piece (+ 16).
 */
#define SESSION_SUCC_LEN	104
#define SESSION_SUCC_MAX	7
#define SESSION_SUCCS_LEN(n)	((n) * SESSION_SUCC_LEN + 16)
#define SESSION_HIGH_WATER	(2 * 1024 * 1024)
#define SESSION_QUEUE_MAX	(4 * 1024 * 1024)	/* Held, stalled. */
/*
 * Batch size: from SESSION_BATCH_MIN, doubled after a batch acknowledged
 * within SESSION_BATCH_FAST_MS of being queued, halved after one that took
 * over SESSION_BATCH_SLOW_MS, never above SESSION_BATCH_BYTES.
 */
#define SESSION_BATCH_BYTES	(960 * 1024)
#define SESSION_BATCH_MIN	(16 * 1024)
#define SESSION_BATCH_FAST_MS	2000
#define SESSION_BATCH_SLOW_MS	6000
/*
 * COMMITS batches sent and not yet acknowledged.  The receiver ACKs each
 * batch once it committed; a link that dies costs at most this many
 * batches sent again.
 */
#define SESSION_WINDOW		2
#define SESSION_ERRLEN		640

struct db;
struct session;

struct session_cfg {
	struct db	*db;
	bool		initiator;
	const uint8_t	*ed_sk;		/* Our Ed25519 secret key (64). */
	const uint8_t	*peer;		/* Initiator: whom we call (32). */
	const uint8_t	*netkey;	/* The network key, the PSK (32). */
	const char	*name;		/* Ours, sent in HELLO. */
	/*
	 * Responder: may ${peer} (Ed25519 id) connect with message-1
	 * counter ${ctr} (< HS_COUNTER_LIMIT), given the ${n} successor
	 * statements it sent (SESSION_SUCC_LEN bytes each)?  0 yes; -1 no
	 * (not a member, or a replayed message 1: not above the last
	 * accepted); 1 cannot tell now, the database is busy (the session
	 * stalls).  The rules are admit_peer()'s (agent/sync/admit.h).
	 */
	int		(*admit)(void *, const uint8_t *, uint64_t,
			    const uint8_t *, size_t);
	/* Entropy for ephemeral keys; NULL is randombytes_buf. */
	void		(*random)(void *, uint8_t *, size_t);
	/*
	 * Whether the caller's loop has spent long enough on this step
	 * (NULL: never).  A received batch is then applied in parts, each
	 * committed, the rest waiting for session_retry() at the loop's
	 * next turn (session_yielded()).
	 */
	bool		(*step_over)(void *);
	void		*arg;
	uint64_t	now_ms;
	bool		compress;	/* Offer zstd (HELLO features bit 0). */
	/* Initiator: our successor statements to send, packed, and n. */
	const uint8_t	*succ;
	size_t		nsucc;
};

struct session_stats {
	uint64_t	bytes_in, bytes_out;	/* On the wire, all of it. */
	uint64_t	commits_sent, commits_applied, batches_applied;
	uint64_t	batches_sent, acks;
	uint64_t	held, forks;
	uint64_t	commit_bytes_out;	/* Bodies and signatures sent. */
	uint64_t	zmsgs_out, zmsgs_in;	/* ZSTD messages. */
	uint64_t	origins;		/* Origins tracked: ours. */
	uint64_t	vec_ignored;		/* Peer's vector entries for
						   origins we do not hold. */
};

/**
 * session_new(cfg, err):
 * A session; an initiator has message 1 queued already.  NULL on error.
 */
struct session *session_new(const struct session_cfg *,
    char[SESSION_ERRLEN]);

/**
 * session_input(s, in, len, now_ms):
 * Consume bytes from the peer; may queue output.  Return 0, or -1 when the
 * session is over (a clean BYE, or an error: see session_error()); a
 * responder that refused message 1 has queued nothing at all.
 */
int session_input(struct session *, const uint8_t *, size_t, uint64_t);

/**
 * session_stalled(s) / session_retry(s, now_ms) / session_wants_input(s):
 * Whether a step found the database busy (another process holds it
 * locked: a CLI import): nothing of that step was stored, and it waits
 * for session_retry(), which tries again and returns as session_input()
 * does; the caller retries from a timer, so the loop never waits for the
 * lock.  Input that comes meanwhile is kept and handled in order; what
 * stores nothing (ACKs, PINGs) is handled at once, so the session goes
 * on sending.  The caller stops reading while session_wants_input() is
 * false: a handshake or HELLO waits, or SESSION_QUEUE_MAX bytes are held.
 */
bool session_stalled(const struct session *);
/*
 * Stalled only because the step ran long (cfg.step_over), not for the
 * database: retry at the loop's next turn, not after a delay.
 */
bool session_yielded(const struct session *);
int session_retry(struct session *, uint64_t);
bool session_wants_input(const struct session *);

/**
 * session_output(s, out, len) / session_consumed(s, n):
 * Bytes waiting to be sent (borrowed until the next call on ${s}); tell
 * the session when ${n} of them have been handed to the socket.
 */
void session_output(struct session *, const uint8_t **, size_t *);
void session_consumed(struct session *, size_t);

/**
 * session_pump(s):
 * Queue commits the peer lacks (new local ones, or relayed) until the
 * output reaches the high-water mark.  Call when output drains and when
 * the database changed.  Return 0 or -1 (session over).
 */
int session_pump(struct session *);

/*
 * session_kick(s):
 * The log changed (a local commit, or commits from another peer): the
 * next session_pump() looks again for what the peer lacks.
 */
void session_kick(struct session *);

/* Queue a PING carrying ${nonce} (the peer answers PONG). */
void session_ping(struct session *, uint64_t);

/* Queue a clean goodbye (FINAL frame) with ${reason}. */
void session_bye(struct session *, const char *);

/* Handshake done and HELLO received from the peer. */
bool session_synced(const struct session *);

/* The peer's Ed25519 id (32 bytes) once known, else NULL. */
const uint8_t *session_peer(const struct session *);

/* The successor statements the peer sent after message 1 (n returned). */
size_t session_peer_succ(const struct session *, const uint8_t **);

/*
 * session_peer_clock_offset(s, off_ms):
 * Whether the peer's HELLO told its clock; if so ${off_ms} is its clock
 * when it sent HELLO minus ours when HELLO came, in ms, else 0: the
 * peer's skew less the transit time (a peer whose clock is right looks
 * behind by a few ms on a LAN, by seconds on a slow link).
 */
bool session_peer_clock_offset(const struct session *, int64_t *);

/* Whether both sides offered zstd, so batches go compressed. */
bool session_zstd(const struct session *);

/* The peer's name from HELLO ("" before). */
const char *session_peer_name(const struct session *);

/* Why the session ended ("" if it did not). */
const char *session_error(const struct session *);

/* Counters. */
const struct session_stats *session_stats(const struct session *);

/* The time now, for pacing batches (session_input() also sets it). */
void session_clock(struct session *, uint64_t);

/*
 * session_lag(s, they_lack, we_lack):
 * Commits we hold that the peer lacks, and commits the peer said it holds
 * that we lack, by the vectors exchanged so far.  Origins we hold none of
 * are not counted (their entries are ignored): the peer sends them anyway.
 */
void session_lag(struct session *, uint64_t *, uint64_t *);

/*
 * session_acked(s, fn, arg):
 * What the peer said it holds, by its HELLO and the ACKs of our batches:
 * ${fn}(arg, origin, seq) per origin we hold that it holds some of.
 * False (and no call) until its whole HELLO vector is in.
 */
bool session_acked(const struct session *,
    void (*)(void *, const uint8_t *, uint64_t), void *);

/* Whether the peer lacks nothing we hold (as far as we know). */
bool session_idle(struct session *);

/* Free ${s}, wiping its keys; NULL is a no-op. */
void session_free(struct session *);

#endif /* !AGENT_SESSION_H */

/*
 * admit.c: who may complete a handshake with this node (admit.h says the
 * rules in their order).  Sans-I/O: the database is asked, nothing is
 * printed, and the caller says what was refused.
 */
#include "agent/sync/admit.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "agent/access/member.h"
#include "protocol/proto.h"
#include "store/db.h"
#include "store/trust.h"

bool
admit_rate(struct admit_rate *t, const char *host, uint64_t now, bool *told)
{
	size_t i, oldest = 0;

	*told = false;
	for (i = 0; i < ADMIT_RATE_SLOTS; i++) {
		if (strcmp(t->slot[i].host, host) == 0) {
			if (now - t->slot[i].since > ADMIT_RATE_WINDOW_MS) {
				t->slot[i].since = now;
				t->slot[i].n = 0;
			}
			*told = ++t->slot[i].n == ADMIT_RATE_MAX + 1;
			return (t->slot[i].n <= ADMIT_RATE_MAX);
		}
		if (t->slot[i].since < t->slot[oldest].since)
			oldest = i;
	}
	snprintf(t->slot[oldest].host, sizeof(t->slot[oldest].host), "%s",
	    host);
	t->slot[oldest].since = now;
	t->slot[oldest].n = 1;
	return (true);
}

int
admit_mac1(const uint8_t netkey[static HS_PSK_LEN],
    const uint8_t our_x[static HS_KEY_LEN], const uint8_t *m1)
{
	uint8_t k[HS_KEY_LEN];

	hs_mac1_key(netkey, our_x, k);
	return (hs_mac1_check(k, m1, SESSION_MSG1_LEN));
}

/* Payload 1: Ed25519 id (32), counter (u64be), version, n statements. */
enum admit_code
admit_payload(const uint8_t *p1, const uint8_t rs[static HS_KEY_LEN],
    struct admit_msg1 *m)
{
	uint8_t x[HS_KEY_LEN];
	size_t i;

	/* The Ed25519 id must be the one behind the static key it used. */
	if (hs_x25519_pub(p1, x) != PROTO_OK ||
	    sodium_memcmp(x, rs, HS_KEY_LEN) != 0)
		return (ADMIT_IDENTITY);
	memcpy(m->key, p1, NODE_KEY_LEN);
	for (m->ctr = 0, i = 0; i < 8; i++)
		m->ctr = (m->ctr << 8) | p1[NODE_KEY_LEN + i];
	m->version = p1[NODE_KEY_LEN + 8];
	m->nsucc = p1[NODE_KEY_LEN + 9];
	if (m->version != HS_VERSION)
		return (ADMIT_VERSION);
	if (m->ctr >= HS_COUNTER_LIMIT)
		return (ADMIT_COUNTER);
	if (m->nsucc > SESSION_SUCC_MAX)
		return (ADMIT_SUCCS);
	return (ADMIT_OK);
}

/*
 * Successor statements on the wire (SESSION_SUCC_LEN each: old key, seq
 * u64be, signature) to and from the form the membership oracle takes.
 */
static void
succ_pack(const struct trust_stmt *st, size_t n, uint8_t *out)
{
	size_t i, j;

	for (i = 0; i < n; i++, out += SESSION_SUCC_LEN) {
		memcpy(out, st[i].old, NODE_KEY_LEN);
		for (j = 0; j < 8; j++)
			out[NODE_KEY_LEN + j] = (uint8_t)(st[i].seq >>
			    (56 - 8 * j));
		memcpy(out + NODE_KEY_LEN + 8, st[i].sig, NODE_SIG_LEN);
	}
}

static void
succ_unpack(const uint8_t *in, size_t n, struct trust_stmt *st)
{
	size_t i, j;

	for (i = 0; i < n; i++, in += SESSION_SUCC_LEN) {
		memcpy(st[i].old, in, NODE_KEY_LEN);
		for (st[i].seq = 0, j = 0; j < 8; j++)
			st[i].seq = (st[i].seq << 8) | in[NODE_KEY_LEN + j];
		memcpy(st[i].sig, in + NODE_KEY_LEN + 8, NODE_SIG_LEN);
	}
}

/*
 * Is ${key} a member, with the successor statements it sent taken as
 * facts (a node that continued another key is known by them before its
 * statement reaches us)?  member_now_as()'s code.
 */
static int
standing(struct db *db, const uint8_t *key, const uint8_t *succ,
    size_t nsucc, uint64_t now, char *why, size_t len)
{
	struct trust_stmt st[SESSION_SUCC_MAX];
	struct member_standing ms;

	if (nsucc > SESSION_SUCC_MAX) {
		snprintf(why, len, "too many successor statements");
		return (MEMBER_UNKNOWN);
	}
	succ_unpack(succ, nsucc, st);
	return (member_now_as(db, key, st, nsucc, now, &ms, why, len));
}

enum admit_code
admit_peer(struct db *db, const struct admit_ask *a, char *why, size_t len)
{
	char err[STORE_ERRLEN];
	int r;

	(void)db_busy(db);
	switch (standing(db, a->key, a->succ, a->nsucc, a->now_ms, why,
	    len)) {
	case MEMBER_OK:
		break;
	case MEMBER_ENDED:
		return (db_busy(db) ? ADMIT_BUSY : ADMIT_ENDED);
	default:
		return (db_busy(db) ? ADMIT_BUSY : ADMIT_UNKNOWN);
	}
	/*
	 * Out of descriptors for members' sessions: refused before message
	 * 2, before its counter is recorded.
	 */
	if (a->held > a->cap) {
		snprintf(why, len, "no descriptor left for another member's "
		    "session (%zu held, at most %zu)", a->held, a->cap);
		return (ADMIT_NO_ROOM);
	}
	/*
	 * Without an fsync: a crash may forget the last counter accepted,
	 * and then a message 1 recorded before it passes once more; at a
	 * restart there is no live session for it to displace, and its
	 * sender still cannot finish the handshake.
	 */
	db_durable(db, false);
	r = db_hs_fresh(db, a->key, a->ctr, err);
	db_durable(db, true);
	switch (r) {
	case 0:
		return (ADMIT_OK);
	case 1:
		snprintf(why, len, "replayed message 1");
		return (ADMIT_REPLAY);
	default:
		if (db_busy(db))
			return (ADMIT_BUSY);
		snprintf(why, len, "%s", err);
		return (ADMIT_ERROR);
	}
}

bool
admit_ended(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    const uint8_t *succ, size_t nsucc, uint64_t now, char *why, size_t len)
{

	return (standing(db, key, succ, nsucc, now, why, len) ==
	    MEMBER_ENDED);
}

bool
admit_may_dial(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    uint64_t now, char *why, size_t len)
{

	return (!member_ended(db, key, now, why, len));
}

int
admit_lineage(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    uint8_t out[static SESSION_SUCC_MAX * SESSION_SUCC_LEN])
{
	struct trust_stmt st[SESSION_SUCC_MAX];
	int n;

	if ((n = member_lineage(db, key, st, SESSION_SUCC_MAX)) < 0)
		return (-1);
	succ_pack(st, (size_t)n, out);
	return (n);
}

const char *
admit_str(enum admit_code c)
{

	switch (c) {
	case ADMIT_OK:
		return ("admitted");
	case ADMIT_BUSY:
		return ("handshake: the database is busy");
	case ADMIT_IDENTITY:
		return ("handshake: identity does not match its key");
	case ADMIT_VERSION:
		return ("handshake: another handshake version");
	case ADMIT_COUNTER:
		return ("handshake: message 1 counter out of range");
	case ADMIT_SUCCS:
		return ("handshake: too many successor statements");
	case ADMIT_UNKNOWN:
	case ADMIT_ENDED:
	case ADMIT_NO_ROOM:
	case ADMIT_REPLAY:
	case ADMIT_ERROR:
		break;
	}
	return ("handshake: peer not admitted (not a member, or a replayed "
	    "message)");
}

/*
 * member.c: membership certificates — sign, verify, and decide whether a
 * node key belongs to this node's network.  Reads the database, never
 * writes it; takes the time as an argument; prints nothing.
 */
#include "agent/access/member.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <sodium.h>

#include "agent/cli/cli.h"
#include "store/db.h"
#include "store/query.h"
#include "store/trust.h"

/* Pack the canonical certificate bytes of ${c} into ${sb}. */
static int
cert_bytes(const struct member_cert *c, msgpack_sbuffer *sb)
{

	return (trust_cert_bytes(c->key, c->name, c->center, c->role,
	    c->expires, sb));
}

/**
 * member_cert_sign(c, sk, sig):
 * Sign the canonical bytes of ${c} with the Ed25519 secret key ${sk} into
 * ${sig}.  Return 0, or -1 if out of memory.
 */
int
member_cert_sign(const struct member_cert *c,
    const uint8_t sk[static NODE_SK_LEN], uint8_t sig[static NODE_SIG_LEN])
{
	msgpack_sbuffer sb;
	int rc = -1;

	msgpack_sbuffer_init(&sb);
	if (cert_bytes(c, &sb))
		goto done;
	crypto_sign_detached(sig, NULL, (const uint8_t *)sb.data, sb.size, sk);
	rc = 0;
done:
	msgpack_sbuffer_destroy(&sb);
	return (rc);
}

/**
 * member_cert_verify(c, sig, pk):
 * Return 0 if ${sig} is a valid signature by ${pk} over the canonical bytes
 * of ${c}; otherwise (or out of memory) -1.
 */
int
member_cert_verify(const struct member_cert *c,
    const uint8_t sig[static NODE_SIG_LEN],
    const uint8_t pk[static NODE_KEY_LEN])
{
	msgpack_sbuffer sb;
	int rc = -1;

	msgpack_sbuffer_init(&sb);
	if (cert_bytes(c, &sb))
		goto done;
	if (crypto_sign_verify_detached(sig, (const uint8_t *)sb.data,
	    sb.size, pk) == 0)
		rc = 0;
done:
	msgpack_sbuffer_destroy(&sb);
	return (rc);
}

int
member_revoke_sign(const uint8_t key[static NODE_KEY_LEN],
    const char *revoked, uint64_t seq, const char *reason,
    const uint8_t sk[static NODE_SK_LEN], uint8_t sig[static NODE_SIG_LEN])
{
	msgpack_sbuffer sb;
	int rc = -1;

	msgpack_sbuffer_init(&sb);
	if (trust_revoke_bytes(key, revoked, seq, reason, &sb) == 0) {
		crypto_sign_detached(sig, NULL, (const uint8_t *)sb.data,
		    sb.size, sk);
		rc = 0;
	}
	msgpack_sbuffer_destroy(&sb);
	return (rc);
}

struct load {
	struct member_rec	*r;
	int			found;
};

/* Copy one string field into ${out}; -1 if it is not text or too long. */
static int
take(const struct val *v, char *out, size_t len)
{

	if (v->t != VAL_STR || v->len >= len ||
	    memchr(v->s, '\0', v->len) != NULL)
		return (-1);
	memcpy(out, v->s, v->len);
	out[v->len] = '\0';
	return (0);
}

static int
load_cb(void *arg, const struct rview *rv)
{
	static const struct {
		const char	*name;
		size_t		off, len;
	} map[] = {
#define M(f)	{ #f, offsetof(struct member_rec, f), \
		    sizeof(((struct member_rec *)0)->f) }
		M(key), M(name), M(center), M(role), M(expires), M(cert_by),
		M(cert), M(addresses), M(revoked), M(revoked_reason),
		M(revoked_by), M(revoked_sig)
#undef M
	};
	struct load *l = arg;
	size_t i, k;

	for (i = 0; i < rv->nf; i++)
		for (k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
			if (strcmp(rv->f[i].name, map[k].name) != 0)
				continue;
			if (take(&rv->f[i].v, (char *)l->r + map[k].off,
			    map[k].len)) {
				l->found = -1;
				return (1);
			}
		}
	l->found = 1;
	return (1);
}

/**
 * member_load(db, key, r):
 * Copy the live members record of node ${key} (id = ${key}[0:16]) into
 * ${r}; absent fields are empty strings.  Return 1 if found, 0 if there is
 * no such live record (or it holds a value that does not fit ${r}), -1 on
 * a database error.
 */
int
member_load(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    struct member_rec *r)
{
	char err[STORE_ERRLEN];
	struct load l;

	memset(r, 0, sizeof(*r));
	l.r = r;
	l.found = 0;
	if (query_records(db, schema_coll("members"), key, NULL, 0, false,
	    load_cb, &l, err) < 0)
		return (-1);
	if (l.found != 1) {
		memset(r, 0, sizeof(*r));
		return (0);
	}
	return (1);
}

/**
 * member_date(now_ms, days, out):
 * Write the UTC date ${days} days after the time ${now_ms} (ms since the
 * epoch) as YYYY-MM-DD into ${out}.
 */
void
member_date(uint64_t now_ms, uint32_t days,
    char out[static MEMBER_DATE_LEN + 1])
{
	time_t t = (time_t)(now_ms / 1000) + (time_t)days * 86400;
	struct tm tm;

	/* Past year 9999 (a clock far off): the last date there is. */
	if (gmtime_r(&t, &tm) == NULL || strftime(out, MEMBER_DATE_LEN + 1,
	    "%Y-%m-%d", &tm) != MEMBER_DATE_LEN)
		memcpy(out, "9999-12-31", MEMBER_DATE_LEN + 1);
}

/*
 * Membership "now" is what the judge would say of a change ${key} made
 * now: trust_standing_key() at TRUST_SEQ_ANY, over the facts of the log
 * (store/trust.h).  Handshakes, dropped sessions and center-key delivery
 * all ask here, so none of them can admit a node whose writes every node
 * refuses, nor refuse one whose writes stand.
 */
int
member_now(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    uint64_t now_ms, struct member_standing *ms, char *why, size_t why_len)
{

	return (member_now_as(db, key, NULL, 0, now_ms, ms, why, why_len));
}

int
member_now_as(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    const struct trust_stmt *sts, size_t nst, uint64_t now_ms,
    struct member_standing *ms, char *why, size_t why_len)
{
	const uint8_t *next = key;
	size_t i;
	struct trust *tr;
	struct trust_as_of as;
	char hex[2 * NODE_KEY_LEN + 1];
	bool known;
	int rc;

	memset(ms, 0, sizeof(*ms));
	if (db_meta_get(db, "admin_key", hex, sizeof(hex)) ||
	    strlen(hex) != 2 * NODE_KEY_LEN) {
		snprintf(why, why_len, "this node is not in a network");
		return (MEMBER_UNKNOWN);
	}
	if (db_trust_open(db, &tr)) {
		snprintf(why, why_len, "out of memory");
		return (MEMBER_UNKNOWN);
	}
	if (!trust_enabled(tr)) {
		trust_close(tr);
		snprintf(why, why_len, "this node is not in a network");
		return (MEMBER_UNKNOWN);
	}
	/* Its statements, as if the log held them: the one oracle judges. */
	for (i = 0; i < nst; next = sts[i++].old)
		if (trust_assume(tr, sts[i].old, next, sts[i].seq,
		    sts[i].sig)) {
			trust_close(tr);
			snprintf(why, why_len, "a successor statement it "
			    "sent does not verify");
			return (MEMBER_UNKNOWN);
		}
	if (trust_standing_key(tr, key, TRUST_SEQ_ANY, now_ms, &as,
	    &known)) {
		trust_close(tr);
		snprintf(why, why_len, "reading the membership facts failed");
		return (MEMBER_UNKNOWN);
	}
	switch (as.st) {
	case TRUST_MEMBER:
		ms->admin = as.admin;
		snprintf(ms->center, sizeof(ms->center), "%s", as.center);
		rc = MEMBER_OK;
		break;
	case TRUST_STRANGER:
		if (!known) {
			snprintf(why, why_len, "not a member of this network");
			rc = MEMBER_UNKNOWN;
		} else {
			snprintf(why, why_len, "not a member of this network "
			    "(none of its certificates counts: each is signed "
			    "by a node that is not an admin of this network, "
			    "or by a revoked admin past what its revocation "
			    "accepts)");
			rc = MEMBER_ENDED;
		}
		break;
	case TRUST_EXPIRED:
		snprintf(why, why_len, "certificate expired on %s", as.note);
		rc = MEMBER_ENDED;
		break;
	case TRUST_REVOKED:
	default:
		/* A key continued by a successor: the node uses the new one. */
		if (strncmp(as.note, TRUST_CONTINUED,
		    strlen(TRUST_CONTINUED)) == 0)
			snprintf(why, why_len, "continued under a new key, "
			    "which it must use (%s)", as.note);
		else
			snprintf(why, why_len, "revoked on %s", as.note);
		rc = MEMBER_ENDED;
		break;
	}
	trust_close(tr);
	return (rc);
}

int
member_check(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    uint64_t now_ms, char *why, size_t why_len)
{
	struct member_standing ms;

	return (member_now(db, key, now_ms, &ms, why, why_len));
}

int
member_lineage(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    struct trust_stmt *out, size_t max)
{
	struct trust *tr;
	int n;

	if (db_trust_open(db, &tr))
		return (-1);
	n = trust_enabled(tr) ? trust_lineage(tr, key, out, max) : 0;
	trust_close(tr);
	return (n);
}

int
member_each(struct db *db, int (*fn)(void *, const uint8_t *), void *arg)
{
	struct trust *tr;
	int rc;

	if (db_trust_open(db, &tr))
		return (-1);
	rc = trust_each_key(tr, fn, arg);
	trust_close(tr);
	return (rc);
}

/**
 * member_addr_valid(s):
 * True if ${s} is HOST:PORT: a host name or IPv4 address ([A-Za-z0-9.-],
 * not starting or ending with '-' or '.'), or an IPv6 address in brackets,
 * then a decimal port 1-65535 without leading zeros; at most
 * MEMBER_ADDR_MAX bytes.
 */
bool
member_addr_valid(const char *s)
{
	const char *colon, *p;
	size_t hl;
	long port = 0;

	if (strlen(s) > MEMBER_ADDR_MAX || (colon = strrchr(s, ':')) == NULL)
		return (false);
	/* Port. */
	p = colon + 1;
	if (*p < '1' || *p > '9' || strlen(p) > 5)
		return (false);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return (false);
		port = port * 10 + (*p - '0');
	}
	if (port > 65535)
		return (false);
	/* Host. */
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		if (hl == 2)
			return (false);
		for (p = s + 1; p < s + hl - 1; p++)
			if (!((*p >= '0' && *p <= '9') ||
			    (*p >= 'a' && *p <= 'f') ||
			    (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
				return (false);
		return (memchr(s + 1, ':', hl - 2) != NULL);
	}
	if (hl == 0 || hl > 253 || s[0] == '-' || s[0] == '.' ||
	    s[hl - 1] == '-' || s[hl - 1] == '.')
		return (false);
	for (p = s; p < colon; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '.'))
			return (false);
	return (true);
}

bool
member_ended(struct db *db, const uint8_t key[static NODE_KEY_LEN],
    uint64_t now_ms, char *why, size_t why_len)
{
	char w[512];

	if (member_check(db, key, now_ms, w, sizeof(w)) != MEMBER_ENDED)
		return (false);
	/* A key continued by a successor lives on under the new key. */
	if (strncmp(w, "continued under", strlen("continued under")) == 0)
		return (false);
	snprintf(why, why_len, "%s", w);
	return (true);
}

bool
member_ended_view(struct db *db, const struct rview *rv, uint64_t now_ms,
    char *why, size_t why_len)
{
	char hex[2 * NODE_KEY_LEN + 1];
	uint8_t k[NODE_KEY_LEN];
	size_t i;

	for (i = 0; i < rv->nf; i++)
		if (strcmp(rv->f[i].name, "key") == 0 &&
		    rv->f[i].v.t == VAL_STR && rv->f[i].v.len == sizeof(hex) - 1)
			break;
	if (i == rv->nf)
		return (false);
	memcpy(hex, rv->f[i].v.s, sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	if (hex_decode(hex, k, NODE_KEY_LEN) ||
	    memcmp(k, rv->id, SCHEMA_ID_LEN) != 0)
		return (false);
	return (member_ended(db, k, now_ms, why, why_len));
}

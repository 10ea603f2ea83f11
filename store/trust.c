/*
 * trust.c: facts of membership, standing as of an HLC, and the write rules
 * (see trust.h).  The facts live in SQLite; standings are cached per
 * origin and forgotten whenever a fact is added.
 */
#include "store/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "store/hlc.h"

#define DAY_MS		(86400 * (uint64_t)1000)
#define CENTER_MAX	200
#define NOTE_MAX	240

/* One certificate that counts: a member until ${end} (exclusive, ms). */
struct tcert {
	uint64_t	end;
	bool		admin;
	char		center[CENTER_MAX + 1];
	char		expires[11];
};

/* What the facts say of one node. */
struct tnode {
	bool		loaded;
	bool		root;
	bool		named;		/* Some certificate names it. */
	uint64_t	upto;		/* Accepted seq; UINT64_MAX: never. */
	char		rnote[NOTE_MAX];
	size_t		n;
	struct tcert	*c;		/* Sorted by end. */
};

struct trust {
	sqlite3		*h;
	int		enabled;	/* -1: not known yet. */
	uint8_t		root[NODE_KEY_LEN];
	struct tnode	*node;		/* By origin index. */
	size_t		nnode;
	struct tnode	scratch;	/* trust_standing_key()'s. */
	/* Statements taken as facts for one question (trust_assume()). */
	struct {
		uint8_t		old[NODE_KEY_LEN], new_[NODE_KEY_LEN];
		uint64_t	seq;
	}		as[TRUST_LINEAGE_MAX];
	size_t		nas;
};

/* ---- Canonical bytes. ---- */

static int
pack_str(msgpack_packer *pk, const char *s)
{

	return (msgpack_pack_str_with_body(pk, s, strlen(s)));
}

int
trust_cert_bytes(const uint8_t key[NODE_KEY_LEN], const char *name,
    const char *center, const char *role, const char *expires,
    msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 6);
	e |= pack_str(&pk, TRUST_CERT_CONTEXT);
	e |= msgpack_pack_bin_with_body(&pk, key, NODE_KEY_LEN);
	e |= pack_str(&pk, name);
	e |= pack_str(&pk, center);
	e |= pack_str(&pk, role);
	e |= pack_str(&pk, expires);
	return (e ? -1 : 0);
}

int
trust_revoke_bytes(const uint8_t key[NODE_KEY_LEN], const char *when,
    uint64_t seq, const char *reason, msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 5);
	e |= pack_str(&pk, TRUST_REVOKE_CONTEXT);
	e |= msgpack_pack_bin_with_body(&pk, key, NODE_KEY_LEN);
	e |= pack_str(&pk, when);
	e |= msgpack_pack_uint64(&pk, seq);
	e |= pack_str(&pk, reason);
	return (e ? -1 : 0);
}

int
trust_succ_bytes(const uint8_t old[NODE_KEY_LEN],
    const uint8_t new[NODE_KEY_LEN], uint64_t seq, msgpack_sbuffer *sb)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 4);
	e |= pack_str(&pk, TRUST_SUCC_CONTEXT);
	e |= msgpack_pack_bin_with_body(&pk, old, NODE_KEY_LEN);
	e |= msgpack_pack_bin_with_body(&pk, new, NODE_KEY_LEN);
	e |= msgpack_pack_uint64(&pk, seq);
	return (e ? -1 : 0);
}

/* ---- Dates. ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + (int64_t)doe - 719468);
}

/* Read ${n} digits of ${s} into ${out}. */
static int
digits(const char *s, size_t n, unsigned *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return (0);
}

/*
 * ms since the epoch of "YYYY-MM-DD" (start of the day) or
 * "YYYY-MM-DDTHH:MM:SSZ"; -1 if malformed or before 1970.
 */
static int64_t
parse_time(const char *s)
{
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s);
	int64_t days;

	if ((len != 10 && len != 20) || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    mo < 1 || mo > 12 || d < 1 || d > 31)
		return (-1);
	if (len == 20 && (s[10] != 'T' || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &se) || s[19] != 'Z' || h > 23 || mi > 59 ||
	    se > 60))
		return (-1);
	if ((days = days_from_civil(y, mo, d)) < 0)
		return (-1);
	return ((days * 86400 + h * 3600 + mi * 60 + se) * 1000);
}

/* ---- Tables and cache. ---- */

int
trust_schema(sqlite3 *h, const char *schema, char *err, size_t errlen)
{
	char sql[1600], *msg = NULL;

	/*
	 * by_seq: the smallest seq of a commit of the signer (origin = by)
	 * that carried the fact; NULL if none did.  A revoked admin's facts
	 * count only up to the seq its revocation accepts.
	 */
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS %s.certs(key BLOB NOT NULL,"
	    " sig BLOB NOT NULL, by BLOB NOT NULL, name TEXT NOT NULL,"
	    " center TEXT NOT NULL, role TEXT NOT NULL,"
	    " expires TEXT NOT NULL, by_seq INTEGER,"
	    " PRIMARY KEY(key, sig)) WITHOUT ROWID;"
	    "CREATE TABLE IF NOT EXISTS %s.revocations(key BLOB NOT NULL,"
	    " sig BLOB NOT NULL, by BLOB NOT NULL, at TEXT NOT NULL,"
	    " seq INTEGER NOT NULL, reason TEXT NOT NULL, by_seq INTEGER,"
	    " PRIMARY KEY(key, sig)) WITHOUT ROWID;"
	    "CREATE TABLE IF NOT EXISTS %s.successors(old BLOB NOT NULL,"
	    " new BLOB NOT NULL, seq INTEGER NOT NULL, sig BLOB NOT NULL,"
	    " PRIMARY KEY(old, sig)) WITHOUT ROWID;"
	    "CREATE INDEX IF NOT EXISTS %s.successors_new ON"
	    " successors(new);"
	    "CREATE TABLE IF NOT EXISTS %s.refused(coll TEXT NOT NULL,"
	    " id BLOB NOT NULL, origin INTEGER NOT NULL,"
	    " seq INTEGER NOT NULL, hlc INTEGER NOT NULL,"
	    " reason TEXT NOT NULL, PRIMARY KEY(coll, id, origin, seq))"
	    " WITHOUT ROWID;"
	    "CREATE INDEX IF NOT EXISTS %s.refused_commit ON refused(origin,"
	    " seq);", schema, schema, schema, schema, schema, schema);
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "create trust tables: %s",
		    msg ? msg : "out of memory");
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

int
trust_upgrade(sqlite3 *h, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(h, "DROP TABLE IF EXISTS main.certs;"
	    " DROP TABLE IF EXISTS main.revocations;", NULL, NULL, &msg) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "replace trust tables: %s",
		    msg ? msg : "out of memory");
		sqlite3_free(msg);
		return (-1);
	}
	return (trust_schema(h, "main", err, errlen));
}

int
trust_open(struct trust **trp, sqlite3 *h)
{
	struct trust *tr;

	if ((tr = calloc(1, sizeof(*tr))) == NULL)
		return (-1);
	tr->h = h;
	tr->enabled = -1;
	*trp = tr;
	return (0);
}

void
trust_reset(struct trust *tr)
{
	size_t i;

	if (tr == NULL)
		return;
	for (i = 0; i < tr->nnode; i++) {
		free(tr->node[i].c);
		tr->node[i].c = NULL;
		tr->node[i].n = 0;
		tr->node[i].loaded = false;
	}
	free(tr->scratch.c);
	memset(&tr->scratch, 0, sizeof(tr->scratch));
	tr->enabled = -1;
}

void
trust_close(struct trust *tr)
{

	if (tr == NULL)
		return;
	trust_reset(tr);
	free(tr->node);
	free(tr);
}

/* Decode exactly ${n} bytes of hex from ${s} (length ${len}). */
static int
unhex(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t got;
	const char *end;

	if (len != 2 * n || sodium_hex2bin(out, n, s, len, NULL, &got,
	    &end) != 0 || got != n || end != s + len)
		return (-1);
	return (0);
}

bool
trust_enabled(struct trust *tr)
{
	sqlite3_stmt *st;

	if (tr->enabled >= 0)
		return (tr->enabled == 1);
	tr->enabled = 0;
	if (sqlite3_prepare_v2(tr->h, "SELECT v FROM main.meta WHERE"
	    " k = 'admin_key'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    unhex((const char *)sqlite3_column_text(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0), tr->root,
	    NODE_KEY_LEN) == 0)
		tr->enabled = 1;
	sqlite3_finalize(st);
	return (tr->enabled == 1);
}

/* Run ${sql} with blob ${key} bound; whether it returned a row. */
static bool
exists(struct trust *tr, const char *sql, const uint8_t *key,
    const uint8_t *key2)
{
	sqlite3_stmt *st;
	bool yes = false;

	if (sqlite3_prepare_v2(tr->h, sql, -1, &st, NULL) != SQLITE_OK)
		return (false);
	sqlite3_bind_blob(st, 1, key, NODE_KEY_LEN, SQLITE_STATIC);
	if (key2 != NULL)
		sqlite3_bind_blob(st, 2, key2, NODE_KEY_LEN, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return (yes);
}

/* Does root certify ${k} as an admin? */
static bool
root_admin(struct trust *tr, const uint8_t *k)
{

	return (exists(tr, "SELECT 1 FROM main.certs WHERE key = ?1 AND"
	    " by = ?2 AND role = 'admin'", k, tr->root));
}

/*
 * The last seq of admin ${k} root's revocations accept (the highest):
 * UINT64_MAX if root never revoked it.  Only root revokes an admin.
 */
static uint64_t
admin_upto(struct trust *tr, const uint8_t *k)
{
	sqlite3_stmt *st;
	uint64_t upto = UINT64_MAX;

	if (sqlite3_prepare_v2(tr->h, "SELECT max(seq) FROM main.revocations"
	    " WHERE key = ?1 AND by = ?2", -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_blob(st, 1, k, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, tr->root, NODE_KEY_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		upto = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (upto);
}

/*
 * May ${k} sign certificates and revocations of non-admins, for a fact
 * its own commit ${by_seq} first carried (column ${col} of ${st}; NULL if
 * none did)?  A revoked admin's facts count up to the seq root accepts.
 */
static bool
issuer(struct trust *tr, const uint8_t *k, sqlite3_stmt *st, int col)
{
	uint64_t upto;

	if (sodium_memcmp(k, tr->root, NODE_KEY_LEN) == 0)
		return (true);
	if (!root_admin(tr, k))
		return (false);
	if ((upto = admin_upto(tr, k)) == UINT64_MAX)
		return (true);
	return (sqlite3_column_type(st, col) != SQLITE_NULL &&
	    sqlite3_column_int64(st, col) >= 0 &&
	    (uint64_t)sqlite3_column_int64(st, col) <= upto);
}

/*
 * The successor of ${k} that counts (the statement with the lowest seq,
 * then the lowest new key): 1 with ${next} and ${seq} filled, else 0.
 */
static int
succ_of(struct trust *tr, const uint8_t *k, uint8_t next[NODE_KEY_LEN],
    uint64_t *seq)
{
	sqlite3_stmt *st;
	size_t i;
	int r = 0;

	if (sqlite3_prepare_v2(tr->h, "SELECT new, seq FROM main.successors"
	    " WHERE old = ?1 ORDER BY seq, new LIMIT 1", -1, &st, NULL) !=
	    SQLITE_OK)
		return (0);
	sqlite3_bind_blob(st, 1, k, NODE_KEY_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == NODE_KEY_LEN &&
	    sqlite3_column_int64(st, 1) >= 0) {
		memcpy(next, sqlite3_column_blob(st, 0), NODE_KEY_LEN);
		*seq = (uint64_t)sqlite3_column_int64(st, 1);
		r = 1;
	}
	sqlite3_finalize(st);
	/* Assumed statements compete by the same order. */
	for (i = 0; i < tr->nas; i++)
		if (memcmp(tr->as[i].old, k, NODE_KEY_LEN) == 0 && (!r ||
		    tr->as[i].seq < *seq || (tr->as[i].seq == *seq &&
		    memcmp(tr->as[i].new_, next, NODE_KEY_LEN) < 0))) {
			memcpy(next, tr->as[i].new_, NODE_KEY_LEN);
			*seq = tr->as[i].seq;
			r = 1;
		}
	return (r);
}

/* Whether the successor of ${old} that counts is ${k}. */
static bool
succ_is(struct trust *tr, const uint8_t *old, const uint8_t *k)
{
	uint8_t next[NODE_KEY_LEN];
	uint64_t seq;

	return (succ_of(tr, old, next, &seq) &&
	    memcmp(next, k, NODE_KEY_LEN) == 0);
}

/*
 * The predecessor of ${k}: the old key (the lowest, if several) whose
 * successor that counts is ${k}.  1 with ${prev} filled, else 0.
 */
static int
pred_of(struct trust *tr, const uint8_t *k, uint8_t prev[NODE_KEY_LEN])
{
	sqlite3_stmt *st;
	size_t i;
	int r = 0;

	if (sqlite3_prepare_v2(tr->h, tr->nas == 0 ? "SELECT s.old FROM"
	    " main.successors s WHERE s.new = ?1 AND NOT EXISTS (SELECT 1"
	    " FROM main.successors t WHERE t.old = s.old AND (t.seq < s.seq"
	    " OR (t.seq = s.seq AND t.new < s.new))) ORDER BY s.old LIMIT 1" :
	    "SELECT old FROM main.successors WHERE new = ?1 ORDER BY old",
	    -1, &st, NULL) != SQLITE_OK)
		return (0);
	sqlite3_bind_blob(st, 1, k, NODE_KEY_LEN, SQLITE_STATIC);
	/* With assumptions, which statement counts is succ_of()'s to say. */
	while (!r && sqlite3_step(st) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == NODE_KEY_LEN &&
		    (tr->nas == 0 || succ_is(tr, sqlite3_column_blob(st, 0),
		    k))) {
			memcpy(prev, sqlite3_column_blob(st, 0),
			    NODE_KEY_LEN);
			r = 1;
		}
	sqlite3_finalize(st);
	for (i = 0; i < tr->nas; i++)
		if (memcmp(tr->as[i].new_, k, NODE_KEY_LEN) == 0 &&
		    (!r || memcmp(tr->as[i].old, prev, NODE_KEY_LEN) < 0) &&
		    succ_is(tr, tr->as[i].old, k)) {
			memcpy(prev, tr->as[i].old, NODE_KEY_LEN);
			r = 1;
		}
	return (r);
}

/* Whether ${k} is in the first ${n} keys of ${l}. */
static bool
in_keys(uint8_t (*l)[NODE_KEY_LEN], size_t n, const uint8_t *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(l[i], k, NODE_KEY_LEN) == 0)
			return (true);
	return (false);
}

/*
 * ${k} and its predecessors, nearest first, into ${l}
 * (TRUST_LINEAGE_MAX at most; a cycle ends it).  Return how many.
 */
static size_t
preds(struct trust *tr, const uint8_t *k,
    uint8_t l[TRUST_LINEAGE_MAX][NODE_KEY_LEN])
{
	uint8_t p[NODE_KEY_LEN];
	size_t n = 1;

	memcpy(l[0], k, NODE_KEY_LEN);
	while (n < TRUST_LINEAGE_MAX && pred_of(tr, l[n - 1], p) &&
	    !in_keys(l, n, p))
		memcpy(l[n++], p, NODE_KEY_LEN);
	return (n);
}

/* Does a certificate that root or an admin root certified name ${k}? */
static bool
cert_named(struct trust *tr, const uint8_t *k)
{

	return (exists(tr, "SELECT 1 FROM main.certs c WHERE c.key = ?1 AND"
	    " (c.by = ?2 OR EXISTS (SELECT 1 FROM main.certs a WHERE"
	    " a.key = c.by AND a.by = ?2 AND a.role = 'admin'))", k,
	    tr->root));
}

bool
trust_named(struct trust *tr, const uint8_t *k)
{
	uint8_t l[TRUST_LINEAGE_MAX][NODE_KEY_LEN];
	size_t n, i;

	if (!trust_enabled(tr) || sodium_memcmp(k, tr->root,
	    NODE_KEY_LEN) == 0)
		return (true);
	/* A successor is named by its predecessors' certificates. */
	n = preds(tr, k, l);
	for (i = 0; i < n; i++)
		if (cert_named(tr, l[i]))
			return (true);
	return (false);
}

static int
tcert_cmp(const void *a, const void *b)
{
	const struct tcert *x = a, *y = b;
	int c;

	if (x->end != y->end)
		return (x->end < y->end ? -1 : 1);
	if (x->admin != y->admin)
		return (x->admin ? -1 : 1);
	c = strcmp(x->center, y->center);
	return (c);
}

/* Add the certificates of ${k} that count to ${n}. */
static int
load_certs(struct trust *tr, struct tnode *n, const uint8_t *k)
{
	sqlite3_stmt *st = NULL;
	struct tcert *c;
	const char *role, *center, *exp;
	int64_t t;

	if (sqlite3_prepare_v2(tr->h, "SELECT by, role, center, expires,"
	    " by_seq FROM main.certs WHERE key = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return (-1);
	sqlite3_bind_blob(st, 1, k, NODE_KEY_LEN, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != NODE_KEY_LEN)
			continue;
		n->named = true;
		role = (const char *)sqlite3_column_text(st, 1);
		center = (const char *)sqlite3_column_text(st, 2);
		exp = (const char *)sqlite3_column_text(st, 3);
		if (strlen(center) > CENTER_MAX || strlen(exp) != 10 ||
		    (t = parse_time(exp)) < 0)
			continue;
		if (strcmp(role, "admin") == 0 ? sodium_memcmp(
		    sqlite3_column_blob(st, 0), tr->root, NODE_KEY_LEN) != 0 :
		    !issuer(tr, sqlite3_column_blob(st, 0), st, 4))
			continue;
		if ((c = realloc(n->c, (n->n + 1) * sizeof(*c))) == NULL) {
			sqlite3_finalize(st);
			return (-1);
		}
		n->c = c;
		c = &n->c[n->n++];
		c->end = (uint64_t)t + DAY_MS;
		c->admin = strcmp(role, "admin") == 0;
		snprintf(c->center, sizeof(c->center), "%s", center);
		snprintf(c->expires, sizeof(c->expires), "%s", exp);
	}
	sqlite3_finalize(st);
	return (0);
}

/*
 * The seq of ${k} the revocations of ${k} that count accept (the highest;
 * UINT64_MAX if none), and what ${note} says of it.
 */
static int
load_revoked(struct trust *tr, const uint8_t *k, uint64_t *upto,
    char note[NOTE_MAX])
{
	sqlite3_stmt *st;
	int64_t t;
	bool is_admin;

	*upto = UINT64_MAX;
	note[0] = '\0';
	/* Only root revokes an admin. */
	is_admin = root_admin(tr, k);
	/*
	 * In key, sig order, so that of two revocations accepting the same
	 * seq every node names the same one.
	 */
	if (sqlite3_prepare_v2(tr->h, "SELECT by, at, reason, seq, by_seq"
	    " FROM main.revocations WHERE key = ? ORDER BY sig", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_blob(st, 1, k, NODE_KEY_LEN, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != NODE_KEY_LEN ||
		    sqlite3_column_int64(st, 3) < 0)
			continue;
		if (is_admin ? sodium_memcmp(sqlite3_column_blob(st, 0),
		    tr->root, NODE_KEY_LEN) != 0 :
		    !issuer(tr, sqlite3_column_blob(st, 0), st, 4))
			continue;
		/*
		 * The seq alone decides, not the time: a node's clock cannot
		 * move its writes before its revocation.  A later revocation
		 * accepting more supersedes one accepting less.
		 */
		t = sqlite3_column_int64(st, 3);
		if (*upto == UINT64_MAX || (uint64_t)t > *upto) {
			*upto = (uint64_t)t;
			snprintf(note, NOTE_MAX, "%s (%s)",
			    sqlite3_column_text(st, 1),
			    sqlite3_column_text(st, 2));
		}
	}
	sqlite3_finalize(st);
	return (0);
}

/* Lower ${n}'s accepted seq to ${upto}, saying why. */
static void
cap(struct tnode *n, uint64_t upto, const char *note, const char *rel,
    const uint8_t *k)
{
	char hex[2 * NODE_KEY_LEN + 1];

	if (n->upto != UINT64_MAX && n->upto < upto)
		return;
	n->upto = upto;
	sodium_bin2hex(hex, sizeof(hex), k, NODE_KEY_LEN);
	if (note != NULL)
		snprintf(n->rnote, sizeof(n->rnote), "%.160s, as %s %.16s...",
		    note, rel, hex);
	else
		snprintf(n->rnote, sizeof(n->rnote), TRUST_CONTINUED
		    " (%s %.16s... continues it)", rel, hex);
}

/* Work out what the facts say of ${key} (see trust.h, Successors). */
static int
load_node(struct trust *tr, struct tnode *n, const uint8_t *key)
{
	uint8_t l[TRUST_LINEAGE_MAX][NODE_KEY_LEN];
	uint8_t s[TRUST_LINEAGE_MAX][NODE_KEY_LEN];
	char note[NOTE_MAX];
	uint64_t upto, seq, first = 0;
	size_t np, ns, i;

	n->loaded = true;
	n->root = sodium_memcmp(key, tr->root, NODE_KEY_LEN) == 0;
	n->named = false;
	n->upto = UINT64_MAX;
	n->rnote[0] = '\0';
	n->n = 0;
	if (n->root)
		return (0);
	/* A successor stands with its predecessors' certificates. */
	np = preds(tr, key, l);
	for (i = 0; i < np; i++)
		if (load_certs(tr, n, l[i]))
			return (-1);
	if (n->n > 1)
		qsort(n->c, n->n, sizeof(*n->c), tcert_cmp);
	if (load_revoked(tr, key, &n->upto, n->rnote))
		return (-1);

	/* Continued: none of its changes after the seq it was left at. */
	memcpy(s[0], key, NODE_KEY_LEN);
	for (ns = 1; ns < TRUST_LINEAGE_MAX; ns++) {
		if (!succ_of(tr, s[ns - 1], s[ns], &seq) ||
		    in_keys(s, ns, s[ns]))
			break;
		/* An open statement (a restore) leaves the old key as is. */
		if (ns == 1) {
			first = seq;
			if (seq != TRUST_SUCC_OPEN)
				cap(n, seq, NULL, "successor", s[1]);
		}
	}
	/* A revocation of any key of the lineage revokes the lineage. */
	for (i = 1; i < np; i++) {
		if (load_revoked(tr, l[i], &upto, note))
			return (-1);
		if (upto != UINT64_MAX) {
			cap(n, 0, note, "a successor of the revoked", l[i]);
			break;
		}
	}
	for (i = 1; i < ns; i++) {
		if (load_revoked(tr, s[i], &upto, note))
			return (-1);
		if (upto != UINT64_MAX) {
			cap(n, first, note, "a predecessor of the revoked",
			    s[i]);
			break;
		}
	}
	return (0);
}

/*
 * The standing of a change in commit ${seq} at ${ms} of the node whose
 * facts ${n} holds: the one answer judging, admission and key delivery
 * share.
 */
static void
standing_at(const struct tnode *n, uint64_t seq, uint64_t ms,
    struct trust_as_of *out)
{
	size_t i;

	if (n->root) {
		out->admin = true;
		return;
	}
	if (seq > n->upto) {
		out->st = TRUST_REVOKED;
		out->note = n->rnote;
		out->upto = n->upto;
		return;
	}
	for (i = 0; i < n->n; i++)
		if (n->c[i].end > ms) {
			out->admin = n->c[i].admin;
			out->center = n->c[i].center;
			return;
		}
	if (n->n == 0)
		out->st = TRUST_STRANGER;
	else {
		out->st = TRUST_EXPIRED;
		out->note = n->c[n->n - 1].expires;
	}
}

/* Start ${out}; whether writes are judged at all. */
static bool
standing_init(struct trust *tr, struct trust_as_of *out)
{

	memset(out, 0, sizeof(*out));
	out->center = "";
	out->note = "";
	/* In no network, everyone may write everything. */
	if (!trust_enabled(tr)) {
		out->admin = true;
		return (false);
	}
	return (true);
}

int
trust_standing_key(struct trust *tr, const uint8_t *key, uint64_t seq,
    uint64_t ms, struct trust_as_of *out, bool *known)
{
	struct tnode *n = &tr->scratch;

	if (known != NULL)
		*known = false;
	if (!standing_init(tr, out))
		return (0);
	free(n->c);
	memset(n, 0, sizeof(*n));
	if (load_node(tr, n, key)) {
		free(n->c);
		memset(n, 0, sizeof(*n));
		return (-1);
	}
	if (known != NULL)
		*known = n->root || n->named;
	standing_at(n, seq, ms, out);
	return (0);
}

static int verify(msgpack_sbuffer *, const uint8_t *, const uint8_t *);

int
trust_assume(struct trust *tr, const uint8_t *old, const uint8_t *new_,
    uint64_t seq, const uint8_t *sig)
{
	msgpack_sbuffer sb;
	int ok;

	if (tr->nas == TRUST_LINEAGE_MAX || seq > TRUST_SUCC_OPEN ||
	    sodium_memcmp(old, new_, NODE_KEY_LEN) == 0)
		return (-1);
	msgpack_sbuffer_init(&sb);
	ok = trust_succ_bytes(old, new_, seq, &sb) == 0 &&
	    verify(&sb, sig, old) == 0;
	msgpack_sbuffer_destroy(&sb);
	if (!ok)
		return (-1);
	memcpy(tr->as[tr->nas].old, old, NODE_KEY_LEN);
	memcpy(tr->as[tr->nas].new_, new_, NODE_KEY_LEN);
	tr->as[tr->nas++].seq = seq;
	trust_reset(tr);
	return (0);
}

int
trust_lineage(struct trust *tr, const uint8_t *key,
    struct trust_stmt *out, size_t max)
{
	uint8_t l[TRUST_LINEAGE_MAX][NODE_KEY_LEN];
	sqlite3_stmt *st;
	size_t n, i, k = 0;

	n = preds(tr, key, l);
	if (sqlite3_prepare_v2(tr->h, "SELECT seq, sig FROM main.successors"
	    " WHERE old = ?1 AND new = ?2 ORDER BY seq, sig LIMIT 1", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	for (i = 1; i < n && k < max; i++) {
		sqlite3_reset(st);
		sqlite3_bind_blob(st, 1, l[i], NODE_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, l[i - 1], NODE_KEY_LEN,
		    SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW ||
		    sqlite3_column_bytes(st, 1) != NODE_SIG_LEN ||
		    sqlite3_column_int64(st, 0) < 0)
			break;
		memcpy(out[k].old, l[i], NODE_KEY_LEN);
		out[k].seq = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(out[k].sig, sqlite3_column_blob(st, 1), NODE_SIG_LEN);
		k++;
	}
	sqlite3_finalize(st);
	return ((int)k);
}

int
trust_each_key(struct trust *tr, int (*fn)(void *, const uint8_t *),
    void *arg)
{
	sqlite3_stmt *st;
	int rc;

	if (!trust_enabled(tr))
		return (0);
	if ((rc = fn(arg, tr->root)) != 0)
		return (rc);
	if (sqlite3_prepare_v2(tr->h, "SELECT key FROM main.certs UNION"
	    " SELECT new FROM main.successors ORDER BY 1", -1, &st, NULL) !=
	    SQLITE_OK)
		return (-1);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == NODE_KEY_LEN &&
		    sodium_memcmp(sqlite3_column_blob(st, 0), tr->root,
		    NODE_KEY_LEN) != 0)
			rc = fn(arg, sqlite3_column_blob(st, 0));
	sqlite3_finalize(st);
	return (rc);
}

int
trust_standing(struct trust *tr, uint32_t oidx, const uint8_t *key,
    uint64_t seq, uint64_t hlc, struct trust_as_of *out)
{
	struct tnode *n;

	if (!standing_init(tr, out))
		return (0);
	if (oidx >= tr->nnode) {
		if ((n = realloc(tr->node, (oidx + 1) * sizeof(*n))) == NULL)
			return (-1);
		memset(n + tr->nnode, 0, (oidx + 1 - tr->nnode) * sizeof(*n));
		tr->node = n;
		tr->nnode = oidx + 1;
	}
	n = &tr->node[oidx];
	if (!n->loaded && load_node(tr, n, key)) {
		n->loaded = false;
		return (-1);
	}
	standing_at(n, seq, hlc_ms(hlc), out);
	return (0);
}

bool
trust_same(const struct trust_as_of *a, const struct trust_as_of *b)
{

	if (a->st != b->st)
		return (false);
	if (a->st != TRUST_MEMBER)
		return (a->upto == b->upto && strcmp(a->note, b->note) == 0);
	return (a->admin == b->admin && strcmp(a->center, b->center) == 0);
}

/* ---- Facts. ---- */

static bool
is(const struct rchange *rc, const char *coll)
{

	return (rc->coll_len == strlen(coll) &&
	    memcmp(rc->coll, coll, rc->coll_len) == 0);
}

static const struct fchange *
fchange(const struct rchange *rc, const char *name)
{
	size_t i;

	for (i = 0; i < rc->nf; i++)
		if (rc->f[i].field_len == strlen(name) &&
		    memcmp(rc->f[i].field, name, rc->f[i].field_len) == 0)
			return (&rc->f[i]);
	return (NULL);
}

/* The text of field ${name} of ${rc}: NULL if absent, "" if cleared. */
static const char *
ftext(const struct rchange *rc, const char *name, char *buf, size_t len)
{
	const struct fchange *f;

	if ((f = fchange(rc, name)) == NULL)
		return (NULL);
	if (f->v.t == VAL_NIL) {
		buf[0] = '\0';
		return (buf);
	}
	if (f->v.t != VAL_STR || f->v.len >= len ||
	    memchr(f->v.s, '\0', f->v.len) != NULL)
		return (NULL);
	memcpy(buf, f->v.s, f->v.len);
	buf[f->v.len] = '\0';
	return (buf);
}

static int
verify(msgpack_sbuffer *sb, const uint8_t *sig, const uint8_t *by)
{

	return (crypto_sign_verify_detached(sig, (const uint8_t *)sb->data,
	    sb->size, by));
}

/*
 * The key a revocation in ${rc} names: its key field, which must belong to
 * the record (id = the key's first 16 bytes).  Not looked up elsewhere: a
 * fact must not depend on what else a node holds.
 */
static int
revoked_key(const struct rchange *rc, uint8_t key[NODE_KEY_LEN])
{
	char buf[65];
	const char *k;

	if ((k = ftext(rc, "key", buf, sizeof(buf))) == NULL ||
	    unhex(k, strlen(k), key, NODE_KEY_LEN) ||
	    memcmp(key, rc->id, SCHEMA_ID_LEN) != 0)
		return (-1);
	return (0);
}

struct fact {
	bool		cert;
	/* A successor statement: key is the new key, old the old one. */
	bool		succ;
	uint8_t		old[NODE_KEY_LEN];
	uint8_t		key[NODE_KEY_LEN], by[NODE_KEY_LEN];
	uint8_t		sig[NODE_SIG_LEN];
	char		name[101], center[CENTER_MAX + 1], role[8];
	char		when[21], reason[201];
	uint64_t	seq;		/* A revocation's accepted seq. */
	bool		own;		/* Carried by a commit of its signer, */
	uint64_t	by_seq;		/* this one. */
};

/* The integer field ${name} of ${rc}, if it is one and not negative. */
static int
fint(const struct rchange *rc, const char *name, uint64_t *out)
{
	const struct fchange *f;

	if ((f = fchange(rc, name)) == NULL || f->v.t != VAL_INT ||
	    f->v.i < 0)
		return (-1);
	*out = (uint64_t)f->v.i;
	return (0);
}

/*
 * A certificate in ${rc}, its signature in field ${sigf} and the key it
 * names in field ${keyf}, over the record's name, center, role, expires
 * and cert_by: 1 if complete and signed, else 0.
 */
static int
cert_in(const struct rchange *rc, const char *sigf, const char *keyf,
    struct fact *f)
{
	msgpack_sbuffer sb;
	char key[65], by[65], sig[129];
	int ok;

	memset(f, 0, sizeof(*f));
	f->cert = true;
	if (ftext(rc, sigf, sig, sizeof(sig)) == NULL ||
	    ftext(rc, "cert_by", by, sizeof(by)) == NULL ||
	    ftext(rc, keyf, key, sizeof(key)) == NULL ||
	    ftext(rc, "role", f->role, sizeof(f->role)) == NULL ||
	    ftext(rc, "expires", f->when, 11) == NULL ||
	    unhex(sig, strlen(sig), f->sig, NODE_SIG_LEN) ||
	    unhex(by, strlen(by), f->by, NODE_KEY_LEN) ||
	    unhex(key, strlen(key), f->key, NODE_KEY_LEN))
		return (0);
	if (ftext(rc, "name", f->name, sizeof(f->name)) == NULL)
		f->name[0] = '\0';
	if (ftext(rc, "center", f->center, sizeof(f->center)) == NULL)
		f->center[0] = '\0';
	msgpack_sbuffer_init(&sb);
	ok = trust_cert_bytes(f->key, f->name, f->center, f->role, f->when,
	    &sb) == 0 && verify(&sb, f->sig, f->by) == 0;
	msgpack_sbuffer_destroy(&sb);
	return (ok);
}

/* The certificate in ${rc}, if complete and signed: 1, else 0. */
static int
cert_fact(const struct rchange *rc, struct fact *f)
{

	return (cert_in(rc, "cert", "key", f));
}

/* The revocation in ${rc}, if complete and signed: 1, else 0. */
static int
revoke_fact(const struct rchange *rc, struct fact *f)
{
	msgpack_sbuffer sb;
	char by[65], sig[129];
	int ok;

	memset(f, 0, sizeof(*f));
	if (ftext(rc, "revoked_sig", sig, sizeof(sig)) == NULL ||
	    ftext(rc, "revoked_by", by, sizeof(by)) == NULL ||
	    ftext(rc, "revoked", f->when, sizeof(f->when)) == NULL ||
	    *f->when == '\0' || fint(rc, "revoked_seq", &f->seq) ||
	    unhex(sig, strlen(sig), f->sig, NODE_SIG_LEN) ||
	    unhex(by, strlen(by), f->by, NODE_KEY_LEN) ||
	    revoked_key(rc, f->key))
		return (0);
	if (ftext(rc, "revoked_reason", f->reason, sizeof(f->reason)) == NULL)
		f->reason[0] = '\0';
	msgpack_sbuffer_init(&sb);
	ok = trust_revoke_bytes(f->key, f->when, f->seq, f->reason,
	    &sb) == 0 && verify(&sb, f->sig, f->by) == 0;
	msgpack_sbuffer_destroy(&sb);
	return (ok);
}

/*
 * The successor statement in ${rc}, if complete and signed by the old key
 * it names (not the new one): 1, else 0.  It belongs to the new key's
 * record, as a revocation to the revoked key's.
 */
static int
succ_fact(const struct rchange *rc, struct fact *f)
{
	msgpack_sbuffer sb;
	char old[65], sig[129];
	int ok;

	memset(f, 0, sizeof(*f));
	f->succ = true;
	if (ftext(rc, "successor_of", old, sizeof(old)) == NULL ||
	    ftext(rc, "successor_sig", sig, sizeof(sig)) == NULL ||
	    fint(rc, "successor_seq", &f->seq) ||
	    unhex(old, strlen(old), f->old, NODE_KEY_LEN) ||
	    unhex(sig, strlen(sig), f->sig, NODE_SIG_LEN) ||
	    revoked_key(rc, f->key) ||
	    sodium_memcmp(f->old, f->key, NODE_KEY_LEN) == 0)
		return (0);
	memcpy(f->by, f->old, NODE_KEY_LEN);
	msgpack_sbuffer_init(&sb);
	ok = trust_succ_bytes(f->old, f->key, f->seq, &sb) == 0 &&
	    verify(&sb, f->sig, f->old) == 0;
	msgpack_sbuffer_destroy(&sb);
	return (ok);
}

/*
 * The certificate of the old key a successor's record carries
 * (successor_cert, over the record's name, center, role, expires and
 * cert_by), if there is one and it verifies: 1, else 0.
 */
static int
pred_cert_fact(const struct rchange *rc, struct fact *f)
{

	return (cert_in(rc, "successor_cert", "successor_of", f));
}

/*
 * Whether ${f} is already recorded, with a commit of its signer at least
 * as early as this one (if this one is its signer's).
 */
static bool
known(struct trust *tr, const struct fact *f)
{
	sqlite3_stmt *st;
	bool yes = true;

	if (f->succ) {
		if (sqlite3_prepare_v2(tr->h, "SELECT 1 FROM main.successors"
		    " WHERE old = ? AND sig = ?", -1, &st, NULL) != SQLITE_OK)
			return (true);
		sqlite3_bind_blob(st, 1, f->old, NODE_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, f->sig, NODE_SIG_LEN, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		return (yes);
	}
	if (sqlite3_prepare_v2(tr->h, f->cert ? "SELECT by_seq FROM"
	    " main.certs WHERE key = ? AND sig = ?" : "SELECT by_seq FROM"
	    " main.revocations WHERE key = ? AND sig = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return (true);
	sqlite3_bind_blob(st, 1, f->key, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, f->sig, NODE_SIG_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		yes = false;
	else if (f->own && (sqlite3_column_type(st, 0) == SQLITE_NULL ||
	    (uint64_t)sqlite3_column_int64(st, 0) > f->by_seq))
		yes = false;
	sqlite3_finalize(st);
	return (yes);
}

static int
record(struct trust *tr, const struct fact *f, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (f->succ) {
		if (sqlite3_prepare_v2(tr->h, "INSERT OR IGNORE INTO"
		    " main.successors VALUES(?, ?, ?, ?)", -1, &st, NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "record a fact: %s",
			    sqlite3_errmsg(tr->h));
			return (-1);
		}
		sqlite3_bind_blob(st, 1, f->old, NODE_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, f->key, NODE_KEY_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)f->seq);
		sqlite3_bind_blob(st, 4, f->sig, NODE_SIG_LEN, SQLITE_STATIC);
		goto step;
	}
	/* A fact's by_seq only ever goes down: the earliest carrier. */
	if (sqlite3_prepare_v2(tr->h, f->cert ? "INSERT INTO main.certs"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(key, sig)"
	    " DO UPDATE SET by_seq = excluded.by_seq WHERE excluded.by_seq"
	    " IS NOT NULL AND (by_seq IS NULL OR excluded.by_seq < by_seq)" :
	    "INSERT INTO main.revocations VALUES(?1, ?2, ?3, ?4, ?6, ?5, ?8)"
	    " ON CONFLICT(key, sig) DO UPDATE SET by_seq = excluded.by_seq"
	    " WHERE excluded.by_seq IS NOT NULL AND (by_seq IS NULL OR"
	    " excluded.by_seq < by_seq)", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "record a fact: %s",
		    sqlite3_errmsg(tr->h));
		return (-1);
	}
	sqlite3_bind_blob(st, 1, f->key, NODE_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, f->sig, NODE_SIG_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, f->by, NODE_KEY_LEN, SQLITE_STATIC);
	if (f->cert) {
		sqlite3_bind_text(st, 4, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, f->center, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, f->role, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, f->when, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_text(st, 4, f->when, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, f->reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (int64_t)f->seq);
	}
	if (f->own)
		sqlite3_bind_int64(st, 8, (int64_t)f->by_seq);
step:
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "record a fact: %s",
		    sqlite3_errmsg(tr->h));
		return (-1);
	}
	return (0);
}

/* Call ${fn} on each node ${by} certified or revoked. */
static int
certified_by(struct trust *tr, const uint8_t *by,
    int (*fn)(void *, const uint8_t *), void *arg)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(tr->h, "SELECT key FROM main.certs WHERE"
	    " by = ?1 UNION SELECT key FROM main.revocations WHERE by = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return (-1);
	sqlite3_bind_blob(st, 1, by, NODE_KEY_LEN, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		if (sqlite3_column_bytes(st, 0) == NODE_KEY_LEN)
			rc = fn(arg, sqlite3_column_blob(st, 0));
	sqlite3_finalize(st);
	return (rc);
}

bool
trust_cert_names(struct trust *tr, const struct rchange *rc,
    const uint8_t *key)
{
	struct fact f, p;

	if (!is(rc, "members") || !trust_enabled(tr))
		return (false);
	if (cert_fact(rc, &f) && sodium_memcmp(f.key, key,
	    NODE_KEY_LEN) == 0)
		return (sodium_memcmp(f.by, tr->root, NODE_KEY_LEN) == 0 ||
		    root_admin(tr, f.by));
	/* A successor's first commit: its predecessor is named. */
	if (!succ_fact(rc, &f) || sodium_memcmp(f.key, key, NODE_KEY_LEN))
		return (false);
	if (pred_cert_fact(rc, &p) && (sodium_memcmp(p.by, tr->root,
	    NODE_KEY_LEN) == 0 || root_admin(tr, p.by)))
		return (true);
	return (trust_named(tr, f.old));
}

/* Call ${fn} on the other keys of ${k}'s lineage. */
static int
lineage_each(struct trust *tr, const uint8_t *k,
    int (*fn)(void *, const uint8_t *), void *arg)
{
	uint8_t l[TRUST_LINEAGE_MAX][NODE_KEY_LEN];
	uint64_t seq;
	size_t n, i;

	n = preds(tr, k, l);
	for (i = 1; i < n; i++)
		if (fn(arg, l[i]))
			return (-1);
	memcpy(l[0], k, NODE_KEY_LEN);
	for (n = 1; n < TRUST_LINEAGE_MAX; n++) {
		if (!succ_of(tr, l[n - 1], l[n], &seq) || in_keys(l, n, l[n]))
			break;
		if (fn(arg, l[n]))
			return (-1);
	}
	return (0);
}

/* Note whether commit (origin, seq) is one of ${f}'s signer. */
static void
carrier(struct fact *f, const uint8_t *origin, uint64_t seq)
{

	f->own = memcmp(origin, f->by, NODE_KEY_LEN) == 0 &&
	    seq <= INT64_MAX;
	f->by_seq = seq;
}

int
trust_note(struct trust *tr, const uint8_t *origin, uint64_t seq,
    const struct rchange *rc, bool keep, int (*fn)(void *, const uint8_t *),
    void *arg, char *err, size_t errlen)
{
	struct fact f[4];
	size_t n = 0, i;
	bool admin;

	if (!is(rc, "members"))
		return (0);
	(void)trust_enabled(tr);	/* Loads the admin key. */
	if (cert_fact(rc, &f[n])) {
		carrier(&f[n], origin, seq);
		if (!known(tr, &f[n]))
			n++;
	}
	if (revoke_fact(rc, &f[n])) {
		carrier(&f[n], origin, seq);
		if (!known(tr, &f[n]))
			n++;
	}
	if (succ_fact(rc, &f[n]) && !known(tr, &f[n]))
		n++;
	if (pred_cert_fact(rc, &f[n])) {
		carrier(&f[n], origin, seq);
		if (!known(tr, &f[n]))
			n++;
	}
	for (i = 0; i < n && fn != NULL; i++) {
		/* Every key of the lineage may stand otherwise now. */
		if ((f[i].succ && (fn(arg, f[i].old) ||
		    lineage_each(tr, f[i].old, fn, arg))) ||
		    lineage_each(tr, f[i].key, fn, arg)) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		/* An admin's facts reach the nodes it certified. */
		admin = sodium_memcmp(f[i].by, tr->root, NODE_KEY_LEN) == 0 &&
		    ((f[i].cert && strcmp(f[i].role, "admin") == 0) ||
		    root_admin(tr, f[i].key));
		if (fn(arg, f[i].key) || (admin && certified_by(tr, f[i].key,
		    fn, arg))) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
	}
	for (i = 0; keep && i < n; i++)
		if (record(tr, &f[i], err, errlen))
			return (-1);
	if (keep && n > 0)
		trust_reset(tr);
	return ((int)n);
}

int
trust_clear(struct trust *tr, char *err, size_t errlen)
{
	char *msg = NULL;

	trust_reset(tr);
	if (sqlite3_exec(tr->h, "DELETE FROM main.certs;"
	    " DELETE FROM main.revocations; DELETE FROM main.successors;",
	    NULL, NULL, &msg) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "clear facts: %s", msg ? msg :
		    "out of memory");
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

/* ---- Rules. ---- */

static bool
val_is(const struct val *v, const char *s, size_t len)
{

	return (v->t == VAL_STR && v->len == len && memcmp(v->s, s, len) == 0);
}

/* "'text'" of a value, for a reason. */
static const char *
quote(const struct val *v, char *buf, size_t len)
{

	if (v->t != VAL_STR)
		return ("none");
	snprintf(buf, len, "'%.*s'", (int)(v->len > 60 ? 60 : v->len), v->s);
	return (buf);
}

static enum trust_verdict
judge_consultation(const struct trust_as_of *as, const uint8_t *origin,
    uint64_t hlc, const struct rchange *rc, const struct trust_rec *rec,
    char why[TRUST_WHY_LEN])
{
	const struct fchange *cf = fchange(rc, "center");
	const struct val *owner = NULL;
	char q[80];
	int c;

	/* A consultation's center is a name: it is never cleared. */
	if (cf != NULL && cf->v.t != VAL_STR) {
		snprintf(why, TRUST_WHY_LEN, "the center of a consultation is "
		    "fixed when it is created; it cannot be cleared");
		return (TRUST_REFUSED);
	}
	if (cf != NULL && rec->has_center) {
		c = hlc < rec->c_hlc ? -1 : hlc > rec->c_hlc ? 1 :
		    memcmp(origin, rec->c_origin, NODE_KEY_LEN);
		if (c < 0)
			return (TRUST_REDERIVE);
		if (!val_is(rec->center, cf->v.s, cf->v.len)) {
			snprintf(why, TRUST_WHY_LEN, "the center of a "
			    "consultation is fixed when it is created (it is "
			    "%s)", quote(rec->center, q, sizeof(q)));
			return (TRUST_REFUSED);
		}
	}
	if (rec->has_center)
		owner = rec->center;
	else if (cf != NULL)
		owner = &cf->v;
	if (as->admin)
		return (TRUST_OK);
	if (owner == NULL) {
		snprintf(why, TRUST_WHY_LEN, "a consultation names its center "
		    "when it is created; this one has none");
		return (TRUST_REFUSED);
	}
	if (val_is(owner, as->center, strlen(as->center)))
		return (TRUST_OK);
	if (!rec->has_center)
		snprintf(why, TRUST_WHY_LEN, "creates a consultation of "
		    "center %s, but the office that made it is of center '%s'",
		    quote(owner, q, sizeof(q)), as->center);
	else
		snprintf(why, TRUST_WHY_LEN, "the consultation belongs to "
		    "center %s; the office that made it is of center '%s'",
		    quote(owner, q, sizeof(q)), as->center);
	return (TRUST_REFUSED);
}

/*
 * Does members change ${rc} write a revocation that counts nowhere: one
 * in the old format (no revoked_seq: signed as "hamroh/revoke/1"), or one
 * whose signature does not verify?  Refused, so audit shows it, rather
 * than kept as if it revoked.
 */
static bool
bad_revocation(const struct rchange *rc, char why[TRUST_WHY_LEN])
{
	struct fact f;
	char sig[129];
	uint64_t seq;

	if (ftext(rc, "revoked_sig", sig, sizeof(sig)) == NULL ||
	    *sig == '\0')
		return (false);
	if (fint(rc, "revoked_seq", &seq)) {
		snprintf(why, TRUST_WHY_LEN, "its revocation is in an older "
		    "format (%s, which does not say up to which change): this office runs an "
		    "older hamroh; upgrade it and revoke again",
		    TRUST_REVOKE_OLD);
		return (true);
	}
	if (!revoke_fact(rc, &f)) {
		snprintf(why, TRUST_WHY_LEN, "its revocation is incomplete or "
		    "its signature does not verify");
		return (true);
	}
	return (false);
}

/* ---- Confidential fields. ---- */

static const char *const secret_fields[] = { "client_name", "client_phone",
    "summary", NULL };

bool
trust_secret(const char *name, size_t len)
{
	const char *const *p;

	for (p = secret_fields; *p != NULL; p++)
		if (strlen(*p) == len && memcmp(*p, name, len) == 0)
			return (true);
	return (false);
}

/*
 * The 6 bits base64url gives each byte, or -1: a table, since every
 * sealed field of every consultation applied is checked byte by byte.
 */
static const signed char b64url[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/*
 * Strict, so that no text but what conf_seal() makes passes: lowercase
 * hex, canonical base64url (no padding, unused bits zero), and at least
 * a nonce and a tag.
 */
bool
trust_sealed(const char *s, size_t len)
{
	const size_t pl = sizeof(TRUST_SEALED_PREFIX) - 1;
	const size_t hl = pl + TRUST_KEYID_HEX + 1;
	size_t i, n;
	int b, any = 0;

	if (len < hl || memcmp(s, TRUST_SEALED_PREFIX, pl) != 0 ||
	    s[hl - 1] != ':')
		return (false);
	for (i = pl; i < hl - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (false);
	n = len - hl;
	if (n % 4 == 1 || n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0) < 24 + 16)
		return (false);
	/* No branch per byte: an invalid one makes ${any} negative. */
	for (i = hl; i < len; i++)
		any |= b64url[(unsigned char)s[i]];
	if (any < 0)
		return (false);
	b = b64url[(unsigned char)s[len - 1]];
	/* The bits past the last whole byte are zero. */
	return (n % 4 == 0 || (b & (n % 4 == 2 ? 15 : 3)) == 0);
}

void
trust_keyid_prefix(const char *center, size_t len,
    uint8_t out[TRUST_KEYID_BOUND])
{
	crypto_generichash_state st;
	uint8_t h[16];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)TRUST_KEYID_CONTEXT,
	    sizeof(TRUST_KEYID_CONTEXT) - 1);
	crypto_generichash_update(&st, (const uint8_t *)center, len);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(out, h, TRUST_KEYID_BOUND);
}

bool
trust_keyid_bound(const uint8_t *id, const char *center, size_t len)
{
	uint8_t p[TRUST_KEYID_BOUND];

	trust_keyid_prefix(center, len, p);
	return (memcmp(id, p, TRUST_KEYID_BOUND) == 0);
}

/*
 * Is ${keyid} (16 lowercase hex digits) a key of center ${center}?  Its
 * id is bound to the center, or (a key made before ids were) a keys
 * record that stands in the tables judged into names it with that
 * center: the keyid and center of a keys record are in clear, so every
 * node knows them, even for keys it cannot open.
 */
static bool
key_of(struct trust *tr, const char *schema, const char *keyid,
    const struct val *center)
{
	sqlite3_stmt *st;
	uint8_t id[TRUST_KEYID_HEX / 2];
	char sql[160];
	bool yes;

	if (unhex(keyid, TRUST_KEYID_HEX, id, sizeof(id)) == 0 &&
	    trust_keyid_bound(id, center->s, center->len))
		return (true);

	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s.c_keys WHERE keyid = ?"
	    " AND center = ? LIMIT 1", schema != NULL ? schema : "main");
	if (sqlite3_prepare_v2(tr->h, sql, -1, &st, NULL) != SQLITE_OK)
		return (false);
	sqlite3_bind_text(st, 1, keyid, TRUST_KEYID_HEX, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, center->s, (int)center->len, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return (yes);
}

/*
 * May change ${rc} to a consultation whose state is ${rec} write what it
 * writes to its confidential fields?  Each must be cleared or sealed (the
 * syntax of trust_sealed()) to a key of the record's center.  A refusal
 * for an unknown key names it ("sealed to key KEYID,"): store/judge.c
 * judges such changes again when a keys record of that key stands.  No
 * one, not even an admin, writes one in clear in a network.
 */
/*
 * A confidential field written in clear is refused before anything else:
 * that needs no center and no key, so it is refused alike whatever else
 * the node holds (an earlier creation included).
 */
static enum trust_verdict
judge_clear(const struct rchange *rc, char why[TRUST_WHY_LEN])
{
	const struct val *v;
	size_t i;

	for (i = 0; i < rc->nf; i++) {
		v = &rc->f[i].v;
		if (!trust_secret(rc->f[i].field, rc->f[i].field_len) ||
		    v->t == VAL_NIL || (v->t == VAL_STR &&
		    trust_sealed(v->s, v->len)))
			continue;
		snprintf(why, TRUST_WHY_LEN, "its %.*s is not sealed: "
		    "confidential fields are written only encrypted to a key "
		    "of the record's center", (int)rc->f[i].field_len,
		    rc->f[i].field);
		return (TRUST_REFUSED);
	}
	return (TRUST_OK);
}

static enum trust_verdict
judge_sealed(struct trust *tr, const struct rchange *rc,
    const struct trust_rec *rec, char why[TRUST_WHY_LEN])
{
	const struct fchange *cf = fchange(rc, "center");
	const struct val *owner = NULL, *v;
	const char *keyid;
	size_t i;
	int fl;

	if (rec->has_center)
		owner = rec->center;
	else if (cf != NULL && cf->v.t == VAL_STR)
		owner = &cf->v;
	for (i = 0; i < rc->nf; i++) {
		v = &rc->f[i].v;
		if (!trust_secret(rc->f[i].field, rc->f[i].field_len) ||
		    v->t == VAL_NIL)
			continue;
		fl = (int)rc->f[i].field_len;
		/* judge_clear() came first: a string is sealed text. */
		if (v->t != VAL_STR) {
			snprintf(why, TRUST_WHY_LEN, "its %.*s is not sealed: "
			    "confidential fields are written only encrypted "
			    "to a key of the record's center", fl,
			    rc->f[i].field);
			return (TRUST_REFUSED);
		}
		keyid = v->s + sizeof(TRUST_SEALED_PREFIX) - 1;
		if (owner == NULL) {
			snprintf(why, TRUST_WHY_LEN, "its %.*s is sealed, but "
			    "the consultation names no center", fl,
			    rc->f[i].field);
			return (TRUST_REFUSED);
		}
		if (!key_of(tr, rec->schema, keyid, owner)) {
			snprintf(why, TRUST_WHY_LEN, "its %.*s is sealed to "
			    "key %.*s, which is not a key of center '%.*s'",
			    fl, rc->f[i].field, TRUST_KEYID_HEX, keyid,
			    (int)(owner->len > 60 ? 60 : owner->len),
			    owner->s);
			return (TRUST_REFUSED);
		}
	}
	return (TRUST_OK);
}

enum trust_verdict
trust_judge(struct trust *tr, uint32_t oidx, const uint8_t *origin,
    uint64_t seq, uint64_t hlc, const struct coll_def *c,
    const struct rchange *rc, const struct trust_rec *rec,
    char why[TRUST_WHY_LEN])
{
	struct trust_as_of as;

	if (!trust_enabled(tr))
		return (TRUST_OK);
	if (trust_standing(tr, oidx, origin, seq, hlc, &as)) {
		snprintf(why, TRUST_WHY_LEN, "out of memory");
		return (TRUST_REFUSED);
	}
	switch (as.st) {
	case TRUST_MEMBER:
		break;
	case TRUST_STRANGER:
		snprintf(why, TRUST_WHY_LEN, "the office that made it is not "
		    "a member of this network");
		return (TRUST_REFUSED);
	case TRUST_EXPIRED:
		snprintf(why, TRUST_WHY_LEN, "the certificate of the office "
		    "that made it expired on %s", as.note);
		return (TRUST_REFUSED);
	case TRUST_REVOKED:
		if (strncmp(as.note, TRUST_CONTINUED, strlen(TRUST_CONTINUED))
		    == 0)
			snprintf(why, TRUST_WHY_LEN, "the office that made it "
			    "went on under a new key (%s); what it wrote after "
			    "its change %llu does not count", as.note,
			    (unsigned long long)as.upto);
		else
			snprintf(why, TRUST_WHY_LEN, "the office that made it was "
			    "revoked on %s; what it wrote after its change %llu "
			    "does not count",
			    as.note, (unsigned long long)as.upto);
		return (TRUST_REFUSED);
	}
	if (strcmp(c->name, "consultations") == 0) {
		enum trust_verdict v;

		if ((v = judge_clear(rc, why)) != TRUST_OK ||
		    (v = judge_consultation(&as, origin, hlc, rc, rec,
		    why)) != TRUST_OK)
			return (v);
		return (judge_sealed(tr, rc, rec, why));
	}
	if (is(rc, "members") && bad_revocation(rc, why))
		return (TRUST_REFUSED);
	if (as.admin)
		return (TRUST_OK);
	if (is(rc, "members") && memcmp(rc->id, origin, SCHEMA_ID_LEN) == 0) {
		if (fchange(rc, "revoked") == NULL &&
		    fchange(rc, "revoked_reason") == NULL &&
		    fchange(rc, "revoked_by") == NULL &&
		    fchange(rc, "revoked_sig") == NULL)
			return (TRUST_OK);
		snprintf(why, TRUST_WHY_LEN, "only admins write revocations");
		return (TRUST_REFUSED);
	}
	snprintf(why, TRUST_WHY_LEN, "only admins write %s%s", c->name,
	    is(rc, "members") ? " records other than their own" : "");
	return (TRUST_REFUSED);
}

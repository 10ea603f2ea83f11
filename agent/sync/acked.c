/*
 * acked.c: the vectors peers acknowledged, kept in meta (agent/sync/acked.h).
 */
#include "agent/sync/acked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "agent/sync/session.h"
#include "store/db.h"

struct put_buf {
	char	*s;
	size_t	len, cap;
	int	err;
};

static void
put_one(void *arg, const uint8_t *origin, uint64_t seq)
{
	struct put_buf *b = arg;
	char hex[2 * ACKED_KEY_LEN + 1], *p;
	size_t need = sizeof(hex) + 24;

	if (b->err)
		return;
	if (b->len + need > b->cap) {
		if ((p = realloc(b->s, b->cap * 2 + need)) == NULL) {
			b->err = 1;
			return;
		}
		b->s = p;
		b->cap = b->cap * 2 + need;
	}
	sodium_bin2hex(hex, sizeof(hex), origin, ACKED_KEY_LEN);
	b->len += (size_t)snprintf(b->s + b->len, b->cap - b->len,
	    " %s:%llu", hex, (unsigned long long)seq);
}

int
acked_put(struct db *db, const uint8_t *peer, uint64_t now,
    const struct session *s, uint8_t last[ACKED_HASH_LEN], bool force,
    char *err)
{
	struct put_buf b;
	char k[sizeof(ACKED_PREFIX) + 2 * ACKED_KEY_LEN], *body;
	uint8_t h[ACKED_HASH_LEN];
	int r;

	memset(&b, 0, sizeof(b));
	b.cap = 64;
	if ((b.s = malloc(b.cap)) == NULL) {
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	b.len = (size_t)snprintf(b.s, b.cap, "%llu", (unsigned long long)now);
	if (!session_acked(s, put_one, &b)) {
		free(b.s);
		return (0);
	}
	if (b.err) {
		free(b.s);
		snprintf(err, STORE_ERRLEN, "out of memory");
		return (-1);
	}
	body = strchr(b.s, ' ');
	crypto_generichash(h, sizeof(h), (const uint8_t *)(body ? body : ""),
	    body ? strlen(body) : 0, NULL, 0);
	if (!force && memcmp(h, last, sizeof(h)) == 0) {
		free(b.s);
		return (0);
	}
	memcpy(last, h, sizeof(h));
	memcpy(k, ACKED_PREFIX, sizeof(ACKED_PREFIX) - 1);
	sodium_bin2hex(k + sizeof(ACKED_PREFIX) - 1, 2 * ACKED_KEY_LEN + 1,
	    peer, ACKED_KEY_LEN);
	r = db_meta_set(db, k, b.s, err);
	free(b.s);
	return (r);
}

/* 64 hex digits, exactly, into ${out}. */
static int
unhex(const char *hex, uint8_t out[ACKED_KEY_LEN])
{
	size_t len;

	if (sodium_hex2bin(out, ACKED_KEY_LEN, hex, 2 * ACKED_KEY_LEN, NULL,
	    &len, NULL) != 0 || len != ACKED_KEY_LEN)
		return (-1);
	return (0);
}

/* Parse "<ms> <hex>:<seq>..." into ${a}; -1 if malformed. */
static int
parse(const char *v, struct acked *a)
{
	const char *p;
	char hex[2 * ACKED_KEY_LEN + 1], *end;
	size_t n = 0;

	for (p = v; *p; p++)
		n += *p == ' ';
	a->at_ms = strtoull(v, &end, 10);
	if (end == v || (*end != ' ' && *end != '\0'))
		return (-1);
	if ((a->v = calloc(n + 1, sizeof(*a->v))) == NULL)
		return (-1);
	a->n = 0;
	for (p = end; *p == ' ';) {
		p++;
		if (strlen(p) < 2 * ACKED_KEY_LEN + 2 ||
		    p[2 * ACKED_KEY_LEN] != ':')
			return (-1);
		memcpy(hex, p, 2 * ACKED_KEY_LEN);
		hex[2 * ACKED_KEY_LEN] = '\0';
		if (unhex(hex, a->v[a->n].origin))
			return (-1);
		p += 2 * ACKED_KEY_LEN + 1;
		a->v[a->n].seq = strtoull(p, &end, 10);
		if (end == p)
			return (-1);
		a->n++;
		p = end;
	}
	return (*p == '\0' ? 0 : -1);
}

int
acked_each(struct db *db, int (*fn)(void *, const struct acked *), void *arg)
{
	sqlite3_stmt *st;
	struct acked a;
	const char *k, *v;
	int r = 0, rc;

	if (sqlite3_prepare_v2(db_handle(db), "SELECT k, v FROM meta WHERE "
	    "k >= '" ACKED_PREFIX "' AND k < 'acked0' ORDER BY k", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = (const char *)sqlite3_column_text(st, 0);
		v = (const char *)sqlite3_column_text(st, 1);
		memset(&a, 0, sizeof(a));
		if (k == NULL || v == NULL || strlen(k) != sizeof(ACKED_PREFIX)
		    - 1 + 2 * ACKED_KEY_LEN || unhex(k +
		    sizeof(ACKED_PREFIX) - 1, a.peer) ||
		    parse(v, &a)) {
			free(a.v);
			continue;	/* Not ours to judge: skipped. */
		}
		r = fn(arg, &a) ? -1 : 0;
		free(a.v);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = -1;
	sqlite3_finalize(st);
	return (r);
}

uint64_t
acked_seq(const struct acked *a, const uint8_t *origin)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (memcmp(a->v[i].origin, origin, ACKED_KEY_LEN) == 0)
			return (a->v[i].seq);
	return (0);
}

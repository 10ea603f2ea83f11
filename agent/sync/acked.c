/*
 * acked.c: the vectors peers acknowledged, kept in meta (agent/sync/acked.h).
 */
#include "agent/sync/acked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/codec/hex.h"
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
	char hex[2 * NODE_KEY_LEN + 1], *p;
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
	hex_encode(origin, NODE_KEY_LEN, hex);
	b->len += (size_t)snprintf(b->s + b->len, b->cap - b->len,
	    " %s:%llu", hex, (unsigned long long)seq);
}

int
acked_put(struct db *db, const uint8_t *peer, uint64_t now,
    const struct session *s, uint8_t last[ACKED_HASH_LEN], bool force,
    char *err)
{
	struct put_buf b;
	char k[sizeof(ACKED_PREFIX) + 2 * NODE_KEY_LEN], *body;
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
	hex_encode(peer, NODE_KEY_LEN, k + sizeof(ACKED_PREFIX) - 1);
	r = db_meta_set(db, k, b.s, err);
	free(b.s);
	return (r);
}

/* Parse "<ms> <hex>:<seq>..." into ${a}; -1 if malformed. */
static int
parse(const char *v, struct acked *a)
{
	const char *p;
	char hex[2 * NODE_KEY_LEN + 1], *end;
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
		if (strlen(p) < 2 * NODE_KEY_LEN + 2 ||
		    p[2 * NODE_KEY_LEN] != ':')
			return (-1);
		memcpy(hex, p, 2 * NODE_KEY_LEN);
		hex[2 * NODE_KEY_LEN] = '\0';
		if (hex_decode(hex, a->v[a->n].origin, NODE_KEY_LEN))
			return (-1);
		p += 2 * NODE_KEY_LEN + 1;
		a->v[a->n].seq = strtoull(p, &end, 10);
		if (end == p)
			return (-1);
		a->n++;
		p = end;
	}
	return (*p == '\0' ? 0 : -1);
}

struct each {
	int	(*fn)(void *, const struct acked *);
	void	*arg;
};

static int
each_cb(void *arg, const char *k, const char *v)
{
	struct each *e = arg;
	struct acked a;
	int r;

	memset(&a, 0, sizeof(a));
	if (strlen(k) != sizeof(ACKED_PREFIX) - 1 + 2 * NODE_KEY_LEN ||
	    hex_decode(k + sizeof(ACKED_PREFIX) - 1, a.peer, NODE_KEY_LEN) || parse(v, &a)) {
		free(a.v);
		return (0);	/* Not ours to judge: skipped. */
	}
	r = e->fn(e->arg, &a);
	free(a.v);
	return (r);
}

int
acked_each(struct db *db, int (*fn)(void *, const struct acked *), void *arg)
{
	struct each e = { fn, arg };

	return (db_meta_each(db, ACKED_PREFIX, each_cb, &e));
}

uint64_t
acked_seq(const struct acked *a, const uint8_t *origin)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (memcmp(a->v[i].origin, origin, NODE_KEY_LEN) == 0)
			return (a->v[i].seq);
	return (0);
}

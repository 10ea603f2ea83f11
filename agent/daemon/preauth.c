/*
 * preauth.c: the table of connections before authentication, by network.
 * At most HS_PREAUTH_MAX entries, so every lookup is a scan of a few
 * dozen: cheaper than any index would be to keep.
 */
#include "agent/daemon/preauth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void
preauth_limits(uint64_t nofile, size_t *conns, size_t *max)
{
	uint64_t c;

	c = nofile > PREAUTH_FD_RESERVE + 2 ? nofile - PREAUTH_FD_RESERVE : 2;
	if (c > SIZE_MAX)
		c = SIZE_MAX;
	*conns = (size_t)c;
	*max = *conns / 2 > HS_PREAUTH_MAX ? HS_PREAUTH_MAX : *conns / 2;
}

size_t
preauth_session_cap(size_t conns, size_t pre_max, size_t peers, bool ours)
{
	size_t s, kept;

	s = conns > pre_max + 1 ? conns - pre_max : 1;
	kept = peers < s / 2 ? peers : s / 2;
	return (ours ? s : s - kept);
}

void
preauth_init(struct preauth *t, size_t max)
{

	memset(t, 0, sizeof(*t));
	t->max = max < 1 ? 1 : max > HS_PREAUTH_MAX ? HS_PREAUTH_MAX : max;
}

void
preauth_key(const struct sockaddr *sa, uint8_t key[PREAUTH_KEY_LEN])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a;

	memset(key, 0, PREAUTH_KEY_LEN);
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		/* s_addr is in network order: its first 3 bytes, the /24. */
		a = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		key[0] = 4;
		memcpy(key + 1, a, 3);
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr;
		/*
		 * A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d;
		 * taking their /64 would put all of IPv4 in one network.
		 */
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, a + 12, 3);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 8);
		}
	}
}

void
preauth_net_str(const uint8_t key[PREAUTH_KEY_LEN],
    char buf[PREAUTH_NET_STRLEN])
{
	uint8_t a[16];
	char s[INET6_ADDRSTRLEN];

	memset(a, 0, sizeof(a));
	if (key[0] == 4) {
		memcpy(a, key + 1, 3);
		if (inet_ntop(AF_INET, a, s, sizeof(s)) != NULL) {
			snprintf(buf, PREAUTH_NET_STRLEN, "%s/24", s);
			return;
		}
	} else if (key[0] == 6) {
		memcpy(a, key + 1, 8);
		if (inet_ntop(AF_INET6, a, s, sizeof(s)) != NULL) {
			snprintf(buf, PREAUTH_NET_STRLEN, "%s/64", s);
			return;
		}
	}
	snprintf(buf, PREAUTH_NET_STRLEN, "?");
}

size_t
preauth_count(const struct preauth *t, const uint8_t key[PREAUTH_KEY_LEN])
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (memcmp(t->e[i].key, key, PREAUTH_KEY_LEN) == 0)
			n++;
	return (n);
}

/*
 * The oldest entry from ${key}; if ${key} is NULL, the oldest of the
 * fullest network, counting a newcomer from ${plus} (if not NULL) with
 * its network: then a network that sends more never gains an entry at
 * another's expense.
 */
static const struct preauth_ent *
oldest(const struct preauth *t, const uint8_t *key, const uint8_t *plus)
{
	const struct preauth_ent *best = NULL;
	size_t i, n, most = 0;

	for (i = 0; i < t->n; i++) {
		if (key != NULL) {
			if (memcmp(t->e[i].key, key, PREAUTH_KEY_LEN) != 0)
				continue;
			n = 1;
		} else {
			n = preauth_count(t, t->e[i].key);
			if (plus != NULL && memcmp(t->e[i].key, plus,
			    PREAUTH_KEY_LEN) == 0)
				n++;
		}
		if (n > most || (n == most && t->e[i].seq < best->seq)) {
			best = &t->e[i];
			most = n;
		}
	}
	return (best);
}

/* Remove entry ${i}: the last takes its place (order is in seq). */
static void *
take(struct preauth *t, size_t i)
{
	void *owner = t->e[i].owner;

	t->e[i] = t->e[--t->n];
	memset(&t->e[t->n], 0, sizeof(t->e[t->n]));
	return (owner);
}

void *
preauth_add(struct preauth *t, const uint8_t key[PREAUTH_KEY_LEN],
    void *owner)
{
	const struct preauth_ent *v = NULL;
	void *evicted = NULL;
	struct preauth_ent *e;

	if (preauth_count(t, key) >= HS_PREAUTH_PER_NET)
		v = oldest(t, key, NULL);
	else if (t->n >= t->max)
		v = oldest(t, NULL, key);
	if (v != NULL)
		evicted = take(t, (size_t)(v - t->e));
	e = &t->e[t->n++];
	memcpy(e->key, key, PREAUTH_KEY_LEN);
	e->owner = owner;
	e->seq = t->seq++;
	return (evicted);
}

bool
preauth_remove(struct preauth *t, const void *owner)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].owner == owner) {
			take(t, i);
			return (true);
		}
	return (false);
}

void *
preauth_victim(const struct preauth *t)
{
	const struct preauth_ent *v = oldest(t, NULL, NULL);

	return (v != NULL ? v->owner : NULL);
}

/*
 * sess.c: the web UI's sessions, one-time tokens and throttle (sess.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/codec/hex.h"
#include "agent/ui/sess.h"

void
ui_table_init(struct ui_table *t, size_t max, uint64_t ttl, bool sliding,
    void (*free_fn)(void *))
{

	memset(t, 0, sizeof(*t));
	t->max = max;
	t->ttl = ttl;
	t->sliding = sliding;
	t->free_fn = free_fn;
}

static void
entry_end(struct ui_table *t, struct ui_entry *x, bool free_data)
{

	if (free_data && t->free_fn != NULL && x->data != NULL)
		t->free_fn(x->data);
	sodium_memzero(x, sizeof(*x));
	free(x);
	t->n--;
}

void
ui_table_fini(struct ui_table *t)
{
	struct ui_entry *x;

	while ((x = t->head) != NULL) {
		t->head = x->next;
		entry_end(t, x, true);
	}
}

static bool
expired(const struct ui_table *t, const struct ui_entry *x, uint64_t now)
{

	return (now >= x->last && now - x->last >= t->ttl);
}

void
ui_table_sweep(struct ui_table *t, uint64_t now)
{
	struct ui_entry **pp = &t->head, *x;

	while ((x = *pp) != NULL) {
		if (expired(t, x, now)) {
			*pp = x->next;
			entry_end(t, x, true);
		} else
			pp = &x->next;
	}
}

static void
random_hex(char out[UI_ID_HEX])
{
	uint8_t b[UI_ID_BYTES];

	randombytes_buf(b, sizeof(b));
	hex_encode(b, sizeof(b), out);
	sodium_memzero(b, sizeof(b));
}

struct ui_entry *
ui_table_add(struct ui_table *t, uint64_t now, void *data)
{
	struct ui_entry *x;

	ui_table_sweep(t, now);
	if (t->n >= t->max || (x = calloc(1, sizeof(*x))) == NULL)
		return (NULL);
	random_hex(x->id);
	random_hex(x->csrf);
	x->last = now;
	x->data = data;
	x->next = t->head;
	t->head = x;
	t->n++;
	return (x);
}

/* The entry of ${id}, and the link to it; expired ones ended on the way. */
static struct ui_entry **
lookup(struct ui_table *t, const char *id, uint64_t now)
{
	struct ui_entry **pp = &t->head, *x;

	if (id == NULL || strlen(id) != UI_ID_HEX - 1)
		return (NULL);
	while ((x = *pp) != NULL) {
		if (expired(t, x, now)) {
			*pp = x->next;
			entry_end(t, x, true);
			continue;
		}
		if (sodium_memcmp(x->id, id, UI_ID_HEX - 1) == 0)
			return (pp);
		pp = &x->next;
	}
	return (NULL);
}

struct ui_entry *
ui_table_find(struct ui_table *t, const char *id, uint64_t now)
{
	struct ui_entry **pp = lookup(t, id, now);

	if (pp == NULL)
		return (NULL);
	if (t->sliding)
		(*pp)->last = now;
	return (*pp);
}

void *
ui_table_take(struct ui_table *t, const char *id, uint64_t now)
{
	struct ui_entry **pp = lookup(t, id, now), *x;
	void *data;

	if (pp == NULL)
		return (NULL);
	x = *pp;
	*pp = x->next;
	data = x->data;
	entry_end(t, x, false);
	return (data);
}

bool
ui_table_end(struct ui_table *t, const char *id)
{
	struct ui_entry **pp = lookup(t, id, 0), *x;

	if (pp == NULL)
		return (false);
	x = *pp;
	*pp = x->next;
	entry_end(t, x, true);
	return (true);
}

void
ui_throttle_init(struct ui_throttle *th)
{

	memset(th, 0, sizeof(*th));
}

static void
key_of(char out[UI_THROTTLE_KEY], char kind, const char *s)
{

	snprintf(out, UI_THROTTLE_KEY, "%c:%s", kind, s != NULL ? s : "");
}

static uint64_t
until_of(const struct ui_throttle *th, const char *key)
{
	size_t i;

	for (i = 0; i < UI_THROTTLE_SLOTS; i++)
		if (th->slot[i].key[0] != '\0' &&
		    strcmp(th->slot[i].key, key) == 0)
			return (th->slot[i].until);
	return (0);
}

/* Set ${key}'s time: its slot, a free one, or the one that ends first. */
static void
until_set(struct ui_throttle *th, const char *key, uint64_t until)
{
	size_t i, best = 0;

	for (i = 0; i < UI_THROTTLE_SLOTS; i++)
		if (strcmp(th->slot[i].key, key) == 0) {
			best = i;
			break;
		} else if (th->slot[i].until < th->slot[best].until)
			best = i;
	snprintf(th->slot[best].key, UI_THROTTLE_KEY, "%s", key);
	th->slot[best].until = until;
}

uint64_t
ui_throttle_start(const struct ui_throttle *th, const char *user,
    const char *addr, uint64_t now)
{
	char ku[UI_THROTTLE_KEY], ka[UI_THROTTLE_KEY];
	uint64_t u, a;

	key_of(ku, 'u', user);
	key_of(ka, 'a', addr);
	u = until_of(th, ku);
	a = until_of(th, ka);
	u = u > a ? u : a;
	return (u > now ? u : now);
}

uint64_t
ui_throttle_fail(struct ui_throttle *th, const char *user, const char *addr,
    uint64_t now)
{
	char ku[UI_THROTTLE_KEY], ka[UI_THROTTLE_KEY];
	uint64_t at = ui_throttle_start(th, user, addr, now) + UI_THROTTLE_MS;

	key_of(ku, 'u', user);
	key_of(ka, 'a', addr);
	until_set(th, ku, at);
	until_set(th, ka, at);
	return (at);
}

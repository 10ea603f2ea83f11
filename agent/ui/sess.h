#ifndef AGENT_UI_SESS_H
#define AGENT_UI_SESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The web UI's tables, pure (the clock is the caller's, so tests run it):
 * sessions (a random 128-bit id, the cookie; expiring after
 * UI_SESS_IDLE_MS without a request), one-time sign-in tokens (`hamroh
 * ui`: used once, within UI_TOKEN_MS) and the throttle of wrong
 * passphrases.  An entry's data is the caller's; the table frees it with
 * the function it was made with when the entry ends (expired, removed,
 * the table finished), and never otherwise: ui_table_take() hands it
 * back instead.
 */
#define UI_SESS_IDLE_MS	(30 * 60 * 1000)
#define UI_TOKEN_MS	(60 * 1000)
#define UI_ID_BYTES	16
#define UI_ID_HEX	(2 * UI_ID_BYTES + 1)

struct ui_entry {
	struct ui_entry	*next;
	char		id[UI_ID_HEX];		/* Hex of 128 random bits. */
	char		csrf[UI_ID_HEX];	/* Another 128 bits. */
	uint64_t	last;		/* Made, or last found (sliding). */
	void		*data;
};

struct ui_table {
	struct ui_entry	*head;
	size_t		n, max;
	uint64_t	ttl;		/* ms. */
	bool		sliding;	/* Each find restarts the ttl. */
	void		(*free_fn)(void *);
};

/* An empty table of at most ${max} entries living ${ttl} ms. */
void ui_table_init(struct ui_table *, size_t, uint64_t, bool,
    void (*)(void *));

/* End every entry. */
void ui_table_fini(struct ui_table *);

/* End the entries past their time. */
void ui_table_sweep(struct ui_table *, uint64_t);

/*
 * A new entry holding ${data}, with fresh random id and csrf; NULL if out
 * of memory or full (after a sweep): then ${data} stays the caller's.
 */
struct ui_entry *ui_table_add(struct ui_table *, uint64_t, void *);

/* The live entry of id ${id} (hex), restarting its time if sliding. */
struct ui_entry *ui_table_find(struct ui_table *, const char *, uint64_t);

/* Remove the live entry ${id} and return its data (the caller's now). */
void *ui_table_take(struct ui_table *, const char *, uint64_t);

/* End entry ${id} (its data freed); whether there was one. */
bool ui_table_end(struct ui_table *, const char *);

/*
 * Wrong passphrases: each costs the user and the address it came from
 * UI_THROTTLE_MS, one after another, so that N wrong ones take at least
 * N * UI_THROTTLE_MS whatever their order or concurrency.
 */
#define UI_THROTTLE_MS		1000
#define UI_THROTTLE_SLOTS	256
#define UI_THROTTLE_KEY		96

struct ui_throttle {
	struct {
		char		key[UI_THROTTLE_KEY];
		uint64_t	until;
	} slot[UI_THROTTLE_SLOTS];
};

void ui_throttle_init(struct ui_throttle *);

/* When an attempt for ${user} from ${addr} may start (<= now: at once). */
uint64_t ui_throttle_start(const struct ui_throttle *, const char *,
    const char *, uint64_t);

/* A wrong one at ${now}: when to answer it (> now). */
uint64_t ui_throttle_fail(struct ui_throttle *, const char *, const char *,
    uint64_t);

#endif /* !AGENT_UI_SESS_H */

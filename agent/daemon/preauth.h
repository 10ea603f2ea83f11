#ifndef AGENT_PREAUTH_H
#define AGENT_PREAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/limits.h"

/*
 * Connections before authentication: accepted, message 1 not yet in.  A
 * stranger can open them for free, and each holds one of the agent's file
 * descriptors, so the agent keeps them in this table: at most
 * HS_PREAUTH_PER_NET per network (an IPv4 /24, an IPv6 /64: one host gets
 * a whole /64, a small office or a NAT pool a /24; an IPv4-mapped IPv6
 * address counts as the IPv4 address it maps) and ${max} in all.
 *
 * A new connection always gets in: when its network is at its cap, the
 * oldest connection of that network makes room; when the table is full,
 * the oldest connection of the fullest network.  So a flood from some
 * networks churns only their own entries, and a member who dials from
 * any other network and sends message 1 promptly is never pushed out
 * before it can (the 3-second message-1 deadline, HS_MSG1_TIMEOUT_MS, is
 * the daemon's).  Leaving the table (message 1 in, or closed) is
 * preauth_remove().
 *
 * No sockets and no clock here: "oldest" is the order of arrival.  The
 * struct is the caller's to embed (the daemon keeps one, tests several).
 */
#define PREAUTH_KEY_LEN		9	/* Family (4 or 6), then the prefix. */
#define PREAUTH_NET_STRLEN	64	/* "ffff:...::/64" and the NUL. */
/*
 * File descriptors kept for everything but peer connections: stdio,
 * SQLite's database, WAL and temporary files, libuv's epoll, signal pipe,
 * async handles and its own reserve for accept(), the listener, resolver
 * sockets and the agent's reserve descriptor.
 */
#define PREAUTH_FD_RESERVE	32

struct sockaddr;

struct preauth_ent {
	uint8_t		key[PREAUTH_KEY_LEN];
	void		*owner;
	uint64_t	seq;		/* Order of arrival. */
};

struct preauth {
	struct preauth_ent e[HS_PREAUTH_MAX];
	size_t		n, max;
	uint64_t	seq;
};

/**
 * preauth_limits(nofile, conns, max):
 * For a process allowed ${nofile} descriptors (UINT64_MAX: no limit), the
 * peer connections of all kinds (before authentication, sessions, dials)
 * the agent may hold, ${conns}, and how many of those may be before
 * authentication, ${max}: half of them, at most HS_PREAUTH_MAX, so that
 * members' sessions always keep the other half.
 */
void preauth_limits(uint64_t, size_t *, size_t *);

/**
 * preauth_session_cap(conns, max, peers, ours):
 * Of ${conns} peer connections, ${max} of them kept for connections before
 * authentication, how many past message 1 (handshakes, sessions, dials)
 * the agent may hold: all the rest for a peer of its own (${ours}: one it
 * dials, of which it has ${peers}), and for any other member the rest less
 * one per such peer, up to half.  So members who dial in cannot take the
 * descriptors an office needs to reach the peers it was given, and
 * neither kind can take those of connections before authentication.
 */
size_t preauth_session_cap(size_t, size_t, size_t, bool);

/**
 * preauth_init(t, max):
 * An empty table holding at most ${max} connections (1 to HS_PREAUTH_MAX).
 */
void preauth_init(struct preauth *, size_t);

/**
 * preauth_key(sa, key):
 * The network of the address ${sa} (AF_INET or AF_INET6; anything else,
 * or NULL, gets the all-zero key: one network for all such).
 */
void preauth_key(const struct sockaddr *, uint8_t[PREAUTH_KEY_LEN]);

/**
 * preauth_net_str(key, buf):
 * ${key} as text for logs: "192.0.2.0/24", "2001:db8::/64" or "?".
 */
void preauth_net_str(const uint8_t[PREAUTH_KEY_LEN],
    char[PREAUTH_NET_STRLEN]);

/**
 * preauth_add(t, key, owner):
 * Enter ${owner} (not NULL, not in the table) from the network ${key}.
 * Return the owner of the entry removed to make room, which the caller
 * closes, or NULL if there was room.
 */
void *preauth_add(struct preauth *, const uint8_t[PREAUTH_KEY_LEN], void *);

/**
 * preauth_remove(t, owner):
 * Take ${owner} out of the table; false if it was not in it.
 */
bool preauth_remove(struct preauth *, const void *);

/**
 * preauth_victim(t):
 * The entry preauth_add() would drop for a full table, the oldest of the
 * fullest network (left in the table), or NULL if the table is empty.
 * For when descriptors run short whatever the table's cap.
 */
void *preauth_victim(const struct preauth *);

/**
 * preauth_count(t, key):
 * Entries from the network ${key}.
 */
size_t preauth_count(const struct preauth *, const uint8_t[PREAUTH_KEY_LEN]);

#endif /* !AGENT_PREAUTH_H */

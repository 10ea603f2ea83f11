#ifndef AGENT_UI_CHECK_H
#define AGENT_UI_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The web UI's checks of what a browser (or anyone) sends, pure and
 * fuzzed (tests/fuzz/fuzz_ui.c): the Host and Origin headers, the local
 * socket's sign-in request.  The server (server.c) calls them on every
 * request before anything else runs.
 */

/* Longest Host or Origin value looked at; longer ones are refused. */
#define UI_HOST_MAX	300

/**
 * ui_host_ok(host, listen_host, port):
 * Whether the Host header ${host} names this server listening on
 * ${listen_host} (as given: "127.0.0.1", "::1", "0.0.0.0"...) port
 * ${port}: "localhost", "127.0.0.1", "[::1]" or ${listen_host}, and any
 * IP literal when ${listen_host} is a wildcard address, each with
 * ":${port}" (no port: only when ${port} is 80).  A host name other
 * than localhost is refused whatever it resolves to: that is what
 * defeats DNS rebinding.
 */
bool ui_host_ok(const char *, const char *, unsigned);

/**
 * ui_origin_ok(origin, listen_host, port):
 * Whether the Origin header ${origin} is this server's own origin:
 * "http://" and a host ui_host_ok() accepts, nothing after.
 */
bool ui_origin_ok(const char *, const char *, unsigned);

/**
 * ui_split_listen(s, host, hlen, port, plen):
 * Split --ui-listen's "HOST:PORT" or "[V6]:PORT" into ${host} (without
 * brackets) and ${port} (digits, at most 5).  Return 0, or -1 if ${s} is
 * not one (then ${host} and ${port} are unspecified).
 */
int ui_split_listen(const char *, char *, size_t, char *, size_t);

/* Whether ${host} (as --ui-listen gives it) is a loopback address. */
bool ui_is_loopback(const char *);

/* The local socket's request: "USER\nPASSPHRASE\n", at most this long. */
#define UI_SOCK_MAX	2048

/**
 * ui_sock_parse(buf, len, user, ucap, pass, plen):
 * Parse the ${len} bytes at ${buf} received on the local socket so far.
 * Return 0 when more are needed, -1 when they are not a request (empty
 * or too long a name, bytes after the passphrase's line, a NUL, more
 * than UI_SOCK_MAX), or 1: then ${user} holds the name (NUL-terminated,
 * at most ${ucap} - 1 bytes) and ${pass}, ${plen} point into ${buf} at
 * the passphrase (without its newline).
 */
int ui_sock_parse(const char *, size_t, char *, size_t, const char **,
    size_t *);

#endif /* !AGENT_UI_CHECK_H */

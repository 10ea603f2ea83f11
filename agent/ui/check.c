/*
 * check.c: the web UI's checks of Host, Origin and the local socket's
 * request (check.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "agent/ui/check.h"

/* ${s} (${len} bytes) is an IPv4 or IPv6 literal (v6 without brackets). */
static bool
ip_literal(const char *s, size_t len)
{
	char buf[64];
	unsigned char out[16];

	if (len == 0 || len >= sizeof(buf))
		return (false);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return (inet_pton(AF_INET, buf, out) == 1 ||
	    inet_pton(AF_INET6, buf, out) == 1);
}

static bool
wildcard(const char *h)
{

	return (strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0 ||
	    strcmp(h, "") == 0);
}

bool
ui_is_loopback(const char *h)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(h, "localhost") == 0)
		return (true);
	if (inet_pton(AF_INET, h, &a4) == 1)
		return ((ntohl(a4.s_addr) >> 24) == 127);
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return (IN6_IS_ADDR_LOOPBACK(&a6));
	return (false);
}

/* ${name} (${len} bytes, case folded) equals ${want}. */
static bool
same(const char *name, size_t len, const char *want)
{
	size_t i;

	if (strlen(want) != len)
		return (false);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != want[i])
			return (false);
	}
	return (true);
}

bool
ui_host_ok(const char *host, const char *listen_host, unsigned port)
{
	const char *end, *colon, *name;
	size_t len, nlen;
	unsigned long p;
	char *pe;
	bool v6;

	if (host == NULL || (len = strlen(host)) == 0 || len > UI_HOST_MAX)
		return (false);
	end = host + len;
	if (host[0] == '[') {
		/* "[v6]" or "[v6]:port". */
		if ((colon = memchr(host, ']', len)) == NULL)
			return (false);
		name = host + 1;
		nlen = (size_t)(colon - name);
		colon++;
		if (colon != end && *colon != ':')
			return (false);
		v6 = true;
	} else {
		colon = memchr(host, ':', len);
		if (colon != NULL && memchr(colon + 1, ':', (size_t)(end -
		    colon - 1)) != NULL)
			return (false);	/* A bare v6 address: not a Host. */
		if (colon == NULL)
			colon = end;
		name = host;
		nlen = (size_t)(colon - host);
		v6 = false;
	}
	if (colon == end) {
		if (port != 80)
			return (false);
	} else {
		/* Digits as a browser writes them: no leading zero. */
		if (colon + 1 == end || colon[1] < '1' || colon[1] > '9' ||
		    end - colon > 6)
			return (false);
		p = strtoul(colon + 1, &pe, 10);
		if (pe != end || p != port)
			return (false);
	}
	if (nlen == 0)
		return (false);
	if (v6) {
		if (!ip_literal(name, nlen))
			return (false);
		if (same(name, nlen, "::1") || same(name, nlen, listen_host))
			return (true);
		return (wildcard(listen_host));
	}
	if (same(name, nlen, "localhost") || same(name, nlen, "127.0.0.1") ||
	    same(name, nlen, listen_host))
		return (true);
	return (wildcard(listen_host) && ip_literal(name, nlen));
}

bool
ui_origin_ok(const char *origin, const char *listen_host, unsigned port)
{
	size_t len;

	if (origin == NULL || (len = strlen(origin)) <= 7 ||
	    len > UI_HOST_MAX || strncmp(origin, "http://", 7) != 0 ||
	    memchr(origin + 7, '/', len - 7) != NULL ||
	    memchr(origin + 7, '@', len - 7) != NULL)
		return (false);
	return (ui_host_ok(origin + 7, listen_host, port));
}

int
ui_sock_parse(const char *buf, size_t len, char *user, size_t ucap,
    const char **pass, size_t *plen)
{
	const char *nl1, *nl2;
	size_t ulen;

	if (len > UI_SOCK_MAX || memchr(buf, '\0', len) != NULL)
		return (-1);
	if ((nl1 = memchr(buf, '\n', len)) == NULL)
		return (len < ucap ? 0 : -1);
	ulen = (size_t)(nl1 - buf);
	if (ulen == 0 || ulen >= ucap)
		return (-1);
	nl2 = memchr(nl1 + 1, '\n', len - ulen - 1);
	if (nl2 == NULL)
		return (0);
	if (nl2 + 1 != buf + len)
		return (-1);
	memcpy(user, buf, ulen);
	user[ulen] = '\0';
	*pass = nl1 + 1;
	*plen = (size_t)(nl2 - nl1 - 1);
	return (1);
}

int
ui_split_listen(const char *s, char *host, size_t hlen, char *port,
    size_t plen)
{
	const char *c;
	size_t n;

	if (*s == '[') {
		if ((c = strchr(s, ']')) == NULL || c[1] != ':')
			return (-1);
		n = (size_t)(c - s - 1);
		s++;
		c++;
	} else {
		if ((c = strrchr(s, ':')) == NULL)
			return (-1);
		n = (size_t)(c - s);
	}
	if (n == 0 || n >= hlen || strlen(c + 1) == 0 ||
	    strlen(c + 1) >= plen || strlen(c + 1) > 5 ||
	    strspn(c + 1, "0123456789") != strlen(c + 1) ||
	    strtoul(c + 1, NULL, 10) > 65535)
		return (-1);
	memcpy(host, s, n);
	host[n] = '\0';
	snprintf(port, plen, "%s", c + 1);
	return (0);
}

/*
 * fuzz_ui.c: libFuzzer target for the web UI's checks of what a browser
 * or a local client sends (agent/ui/check.c): the Host and Origin headers
 * and the sign-in socket's request.
 *
 * The first byte b picks the mode (b % 2): 0, the rest as a header
 * value (cut at a NUL, as libmicrohttpd hands it over) to ui_host_ok()
 * and ui_origin_ok() for a loopback and a wildcard listen, and to
 * ui_split_listen() as --ui-listen would be: a Host
 * accepted must end in ":4412", an Origin accepted is "http://" and an
 * accepted Host; 1, ui_sock_parse() on the rest, and on each of its
 * prefixes, with the model: a request is complete only with its second
 * newline at the very end, and the name and passphrase it gives are the
 * bytes between.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_headers(const uint8_t *in, size_t len)
{
	char *s;
	size_t n;
	bool h1, h2, o1, o2;

	if ((s = malloc(len + 1)) == NULL)
		abort();
	memcpy(s, in, len);
	s[len] = '\0';
	n = strlen(s);
	h1 = ui_host_ok(s, "127.0.0.1", 4412);
	h2 = ui_host_ok(s, "0.0.0.0", 4412);
	o1 = ui_origin_ok(s, "127.0.0.1", 4412);
	o2 = ui_origin_ok(s, "0.0.0.0", 4412);
	/* A loopback listen accepts no more than a wildcard one. */
	assert(!h1 || h2);
	assert(!o1 || o2);
	if (h1 || h2) {
		assert(n > 5 && strcmp(s + n - 5, ":4412") == 0);
		assert(strchr(s, '/') == NULL && strchr(s, '@') == NULL);
	}
	if (o1) {
		assert(strncmp(s, "http://", 7) == 0);
		assert(ui_host_ok(s + 7, "127.0.0.1", 4412));
	}
	(void)ui_is_loopback(s);
	{
		char host[256], port[16];

		if (ui_split_listen(s, host, sizeof(host), port,
		    sizeof(port)) == 0) {
			assert(host[0] != '\0' && strlen(host) < n);
			assert(port[0] != '\0' && strlen(port) <= 5 &&
			    strspn(port, "0123456789") == strlen(port));
			assert(strtoul(port, NULL, 10) <= 65535);
		}
	}
	free(s);
}

static void
fuzz_sock(const uint8_t *in, size_t len)
{
	char user[65];
	const char *pass;
	const char *buf = (const char *)in;
	const char *nl1, *nl2;
	size_t plen, k;
	int r;

	for (k = 0; k <= len; k++) {
		r = ui_sock_parse(buf, k, user, sizeof(user), &pass, &plen);
		assert(r >= -1 && r <= 1);
		if (r != 1)
			continue;
		nl1 = memchr(buf, '\n', k);
		assert(nl1 != NULL);
		nl2 = memchr(nl1 + 1, '\n', k - (size_t)(nl1 - buf) - 1);
		assert(nl2 == buf + k - 1);
		assert(strlen(user) == (size_t)(nl1 - buf));
		assert(memcmp(user, buf, strlen(user)) == 0);
		assert(pass == nl1 + 1 && plen == (size_t)(nl2 - nl1 - 1));
		assert(memchr(buf, '\0', k) == NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{

	if (size < 1 || size > 4096)
		return (0);
	if (data[0] % 2 == 0)
		fuzz_headers(data + 1, size - 1);
	else
		fuzz_sock(data + 1, size - 1);
	return (0);
}

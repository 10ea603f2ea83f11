/*
 * fuzz_route.c: libFuzzer target for what a browser's request line reaches
 * in the web UI's route table (agent/ui/api_more.c): ui_route_find() on a
 * method and URL path, ui_call_arg() on query arguments.
 *
 * The first byte b picks the method (b % 4: GET, HEAD, POST, DELETE); the
 * rest, cut at the first NUL (libmicrohttpd hands the path over as a C
 * string), is the path.  A route found must be of that method (HEAD as
 * GET) and its path, its '*' replaced by the segment given, must be the
 * path exactly; the segment is not empty and holds no '/'.  The same bytes
 * then go, split at '&' and '=', to ui_call_arg(): every argument kept
 * reads back as given, and the buffer is never overrun (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ui/api_more.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_route(const char *method, const char *url)
{
	const struct ui_route *r;
	char seg[UI_SEG_MAX], want[2 * UI_SEG_MAX + 256];
	const char *star;

	memset(seg, 0, sizeof(seg));
	if ((r = ui_route_find(method, url, seg)) == NULL)
		return;
	if (strcmp(r->method, strcmp(method, "HEAD") == 0 ? "GET" : method))
		abort();
	if ((star = strchr(r->path, '*')) == NULL) {
		if (strcmp(r->path, url) != 0)
			abort();
		return;
	}
	if (*seg == '\0' || strchr(seg, '/') != NULL)
		abort();
	snprintf(want, sizeof(want), "%.*s%s%s", (int)(star - r->path),
	    r->path, seg, star + 1);
	if (strcmp(want, url) != 0)
		abort();
}

static void
check_args(char *s)
{
	static struct ui_call c;
	char *kv, *save, *eq;
	const char *k[UI_QUERY_N], *v[UI_QUERY_N];
	size_t n = 0, i;

	memset(&c, 0, sizeof(c));
	for (kv = strtok_r(s, "&", &save); kv != NULL;
	    kv = strtok_r(NULL, "&", &save)) {
		eq = strchr(kv, '=');
		if (eq != NULL)
			*eq++ = '\0';
		(void)ui_call_arg(&c, MHD_GET_ARGUMENT_KIND, kv, eq);
		if (!c.qbad && n < UI_QUERY_N) {
			k[n] = kv;
			v[n] = eq != NULL ? eq : "";
			n++;
		}
		if (c.qbad)
			break;
	}
	if (c.nq > UI_QUERY_N || c.qlen > UI_QUERY_MAX)
		abort();
	for (i = 0; i < c.nq && i < n; i++)
		if (strcmp(c.qk[i], k[i]) != 0 || strcmp(c.qv[i], v[i]) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "HEAD", "POST",
	    "DELETE" };
	char *s;

	if (size < 1 || size > 8192)
		return (0);
	if ((s = malloc(size)) == NULL)
		return (0);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	check_route(methods[data[0] % 4], s);
	check_args(s);
	free(s);
	return (0);
}

/*
 * test_ui.c: the web UI's pure parts (agent/ui/check.c, agent/ui/sess.c):
 * which Host and Origin headers name the agent, the local socket's
 * request, sessions expiring after 30 idle minutes on an injected clock,
 * one-time tokens, the throttle of wrong passphrases, and the API's
 * errors (agent/ui/api.c) as a page gets them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent/ui/api.h"
#include "agent/ui/check.h"
#include "agent/ui/sess.h"

static void
test_host(void **state)
{

	(void)state;
	assert_true(ui_host_ok("127.0.0.1:4412", "127.0.0.1", 4412));
	assert_true(ui_host_ok("localhost:4412", "127.0.0.1", 4412));
	assert_true(ui_host_ok("LocalHost:4412", "127.0.0.1", 4412));
	assert_true(ui_host_ok("[::1]:4412", "127.0.0.1", 4412));
	assert_true(ui_host_ok("10.0.0.5:8080", "10.0.0.5", 8080));
	/* DNS rebinding: any other name, whatever it resolves to. */
	assert_false(ui_host_ok("evil.example:4412", "127.0.0.1", 4412));
	assert_false(ui_host_ok("localhost.evil.example:4412", "127.0.0.1",
	    4412));
	assert_false(ui_host_ok("127.0.0.1.nip.io:4412", "127.0.0.1", 4412));
	/* Another port, no port, a malformed one. */
	assert_false(ui_host_ok("127.0.0.1:4413", "127.0.0.1", 4412));
	assert_false(ui_host_ok("127.0.0.1", "127.0.0.1", 4412));
	assert_true(ui_host_ok("127.0.0.1", "127.0.0.1", 80));
	assert_false(ui_host_ok("127.0.0.1:", "127.0.0.1", 4412));
	assert_false(ui_host_ok("127.0.0.1:04412x", "127.0.0.1", 4412));
	assert_false(ui_host_ok("127.0.0.1:04412", "127.0.0.1", 4412));
	assert_false(ui_host_ok("127.0.0.1:4412:1", "127.0.0.1", 4412));
	assert_false(ui_host_ok(":4412", "127.0.0.1", 4412));
	assert_false(ui_host_ok("", "127.0.0.1", 4412));
	assert_false(ui_host_ok(NULL, "127.0.0.1", 4412));
	assert_false(ui_host_ok("[::1", "127.0.0.1", 4412));
	assert_false(ui_host_ok("[evil]:4412", "127.0.0.1", 4412));
	/* A wildcard listen: any IP literal, still no other name. */
	assert_true(ui_host_ok("192.168.1.20:4412", "0.0.0.0", 4412));
	assert_true(ui_host_ok("[fe80::1]:4412", "::", 4412));
	assert_false(ui_host_ok("office.example:4412", "0.0.0.0", 4412));
	assert_false(ui_host_ok("192.168.1.20:4412", "127.0.0.1", 4412));
}

static void
test_origin(void **state)
{

	(void)state;
	assert_true(ui_origin_ok("http://127.0.0.1:4412", "127.0.0.1", 4412));
	assert_true(ui_origin_ok("http://localhost:4412", "127.0.0.1", 4412));
	/* Another loopback port is another origin. */
	assert_false(ui_origin_ok("http://127.0.0.1:4413", "127.0.0.1", 4412));
	assert_false(ui_origin_ok("https://127.0.0.1:4412", "127.0.0.1",
	    4412));
	assert_false(ui_origin_ok("http://127.0.0.1:4412/", "127.0.0.1",
	    4412));
	assert_false(ui_origin_ok("http://evil@127.0.0.1:4412", "127.0.0.1",
	    4412));
	assert_false(ui_origin_ok("null", "127.0.0.1", 4412));
	assert_false(ui_origin_ok("http://", "127.0.0.1", 4412));
	assert_false(ui_origin_ok(NULL, "127.0.0.1", 4412));
	{
		char h[256], p[16];

		assert_int_equal(ui_split_listen("127.0.0.1:4412", h, sizeof(h),
		    p, sizeof(p)), 0);
		assert_string_equal(h, "127.0.0.1");
		assert_string_equal(p, "4412");
		assert_int_equal(ui_split_listen("[::1]:0", h, sizeof(h), p,
		    sizeof(p)), 0);
		assert_string_equal(h, "::1");
		assert_int_equal(ui_split_listen("127.0.0.1", h, sizeof(h), p,
		    sizeof(p)), -1);
		assert_int_equal(ui_split_listen(":80", h, sizeof(h), p,
		    sizeof(p)), -1);
		assert_int_equal(ui_split_listen("h:65536", h, sizeof(h), p,
		    sizeof(p)), -1);
		assert_int_equal(ui_split_listen("h:8x", h, sizeof(h), p,
		    sizeof(p)), -1);
		assert_int_equal(ui_split_listen("[::1]", h, sizeof(h), p,
		    sizeof(p)), -1);
	}
	assert_true(ui_is_loopback("127.0.0.1"));
	assert_true(ui_is_loopback("127.3.0.1"));
	assert_true(ui_is_loopback("::1"));
	assert_true(ui_is_loopback("localhost"));
	assert_false(ui_is_loopback("0.0.0.0"));
	assert_false(ui_is_loopback("::"));
	assert_false(ui_is_loopback("10.0.0.1"));
}

static void
test_sock(void **state)
{
	char user[65];
	const char *pass;
	size_t plen;
	static const char ok[] = "saidova\npass word\n";

	(void)state;
	assert_int_equal(ui_sock_parse(ok, strlen(ok), user, sizeof(user),
	    &pass, &plen), 1);
	assert_string_equal(user, "saidova");
	assert_int_equal(plen, 9);
	assert_memory_equal(pass, "pass word", 9);
	/* Not yet complete. */
	assert_int_equal(ui_sock_parse(ok, 8, user, sizeof(user), &pass,
	    &plen), 0);
	assert_int_equal(ui_sock_parse(ok, 5, user, sizeof(user), &pass,
	    &plen), 0);
	/* Refused: no name, bytes after, a NUL, too long a name. */
	assert_int_equal(ui_sock_parse("\npw\n", 4, user, sizeof(user),
	    &pass, &plen), -1);
	assert_int_equal(ui_sock_parse("a\npw\nx", 6, user, sizeof(user),
	    &pass, &plen), -1);
	assert_int_equal(ui_sock_parse("a\np\0w\n", 6, user, sizeof(user),
	    &pass, &plen), -1);
	assert_int_equal(ui_sock_parse("abcdef\npw\n", 10, user, 4, &pass,
	    &plen), -1);
	assert_int_equal(ui_sock_parse("abcdef", 6, user, 4, &pass, &plen),
	    -1);
}

static int nfreed;

static void
count_free(void *p)
{

	nfreed++;
	free(p);
}

static void
test_sessions(void **state)
{
	struct ui_table t;
	struct ui_entry *a, *b;
	char ida[UI_ID_HEX], idb[UI_ID_HEX];
	uint64_t now = 1000000;

	(void)state;
	nfreed = 0;
	ui_table_init(&t, 2, UI_SESS_IDLE_MS, true, count_free);
	assert_non_null(a = ui_table_add(&t, now, malloc(1)));
	snprintf(ida, sizeof(ida), "%s", a->id);
	assert_int_equal(strlen(ida), 32);
	assert_string_not_equal(a->id, a->csrf);
	assert_non_null(b = ui_table_add(&t, now, malloc(1)));
	snprintf(idb, sizeof(idb), "%s", b->id);
	assert_string_not_equal(ida, idb);
	/* Full: a third is refused, its data left to the caller. */
	assert_null(ui_table_add(&t, now, NULL));
	/* Found: its idle time starts again. */
	now += UI_SESS_IDLE_MS - 1;
	assert_ptr_equal(ui_table_find(&t, ida, now), a);
	/* b was not used for 30 minutes: gone, its data freed. */
	now += 1;
	assert_null(ui_table_find(&t, idb, now));
	assert_int_equal(nfreed, 1);
	assert_ptr_equal(ui_table_find(&t, ida, now), a);
	/* Only whole ids: a prefix or a wrong byte finds nothing. */
	assert_null(ui_table_find(&t, "", now));
	idb[0] = ida[0] == '0' ? '1' : '0';
	memcpy(idb + 1, ida + 1, 32);
	assert_null(ui_table_find(&t, idb, now));
	/* Ended (sign-out): gone at once. */
	assert_true(ui_table_end(&t, ida));
	assert_int_equal(nfreed, 2);
	assert_null(ui_table_find(&t, ida, now));
	assert_false(ui_table_end(&t, ida));
	assert_non_null(ui_table_add(&t, now, malloc(1)));
	ui_table_fini(&t);
	assert_int_equal(nfreed, 3);
}

static void
test_tokens(void **state)
{
	struct ui_table t;
	struct ui_entry *x;
	char id[UI_ID_HEX];
	void *p, *q;
	uint64_t now = 5000;

	(void)state;
	nfreed = 0;
	ui_table_init(&t, 4, UI_TOKEN_MS, false, count_free);
	p = malloc(1);
	assert_non_null(x = ui_table_add(&t, now, p));
	snprintf(id, sizeof(id), "%s", x->id);
	/* Finding does not extend a token's minute. */
	assert_non_null(ui_table_find(&t, id, now + UI_TOKEN_MS - 1));
	/* Used once: the second take finds nothing. */
	assert_ptr_equal(ui_table_take(&t, id, now + 10), p);
	assert_null(ui_table_take(&t, id, now + 11));
	assert_int_equal(nfreed, 0);
	free(p);
	/* Expired: refused, and freed. */
	q = malloc(1);
	assert_non_null(x = ui_table_add(&t, now, q));
	snprintf(id, sizeof(id), "%s", x->id);
	assert_null(ui_table_take(&t, id, now + UI_TOKEN_MS));
	assert_int_equal(nfreed, 1);
	ui_table_fini(&t);
}

static void
test_throttle(void **state)
{
	struct ui_throttle th;
	uint64_t now = 100000, at;
	int i;

	(void)state;
	ui_throttle_init(&th);
	assert_int_equal(ui_throttle_start(&th, "a", "1.2.3.4", now), now);
	/* Each wrong one: answered a second later. */
	at = ui_throttle_fail(&th, "a", "1.2.3.4", now);
	assert_int_equal(at, now + UI_THROTTLE_MS);
	/* The next attempt for the user, or from the address, waits. */
	assert_int_equal(ui_throttle_start(&th, "a", "5.6.7.8", now), at);
	assert_int_equal(ui_throttle_start(&th, "b", "1.2.3.4", now), at);
	assert_int_equal(ui_throttle_start(&th, "b", "5.6.7.8", now), now);
	/* Ten at once still take ten seconds in all. */
	for (i = 1; i < 10; i++)
		at = ui_throttle_fail(&th, "a", "1.2.3.4", now);
	assert_int_equal(at, now + 10 * UI_THROTTLE_MS);
	/* Many other addresses do not make the user's slot forgotten. */
	for (i = 0; i < 100; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.0.0.%d", i);
		(void)ui_throttle_fail(&th, "c", addr, now);
	}
	assert_true(ui_throttle_start(&th, "a", "9.9.9.9", now) >= at);
}

/* Errors as the page gets them: catalog key, arguments, English text. */
static void
test_errors(void **state)
{
	struct ui_out o;
	char *line;

	(void)state;
	memset(&o, 0, sizeof(o));
	ui_out_fail(&o, OPS_NOT_FOUND, OPS_MSG_NO_RECORD, 2, "consultations",
	    "0123");
	assert_int_equal(o.status, 404);
	assert_non_null(o.buf);
	assert_string_equal(o.buf, "{\"error\":{\"key\":\"NO_RECORD\","
	    "\"args\":[\"consultations\",\"0123\"],\"message\":"
	    "\"no consultations record 0123\"}}\n");
	/* A quote or a newline in an argument stays inside its string. */
	ui_out_fail(&o, OPS_DENIED, OPS_MSG_UI_ORIGIN, 1, "\"x\n");
	assert_int_equal(o.status, 403);
	assert_non_null(line = strchr(o.buf, '\n'));
	assert_null(strchr(line + 1, '\n'));
	assert_non_null(strstr(o.buf, "\"args\":[\"\\\"x\\n\"]"));
	ui_out_fail(&o, OPS_BUSY, OPS_MSG_UI_JOB, 0);
	assert_int_equal(o.status, 503);
	assert_non_null(strstr(o.buf, "\"args\":[]"));
	assert_int_equal(ui_http_status(OPS_BAD_INPUT), 400);
	assert_int_equal(ui_http_status(OPS_STORE), 500);
	free(o.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_sock),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_throttle),
		cmocka_unit_test(test_errors),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

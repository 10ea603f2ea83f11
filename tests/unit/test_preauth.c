/*
 * test_preauth.c: connections before authentication are bucketed by IPv4
 * /24 and IPv6 /64 (IPv4-mapped addresses as the IPv4 they map), capped
 * per network and in all, and a full table drops the oldest connection
 * of the fullest network, so a flood from 40 networks never pushes out
 * a member dialing from another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "agent/daemon/preauth.h"

/* The network key of a numeric address, v4 or v6. */
static void
key_of(const char *addr, uint8_t key[PREAUTH_KEY_LEN])
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	memset(&in, 0, sizeof(in));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, addr, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		in.sin_port = htons(4411);
		preauth_key((struct sockaddr *)&in, key);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, addr, &in6.sin6_addr), 1);
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(4411);
	preauth_key((struct sockaddr *)&in6, key);
}

static bool
same_net(const char *a, const char *b)
{
	uint8_t ka[PREAUTH_KEY_LEN], kb[PREAUTH_KEY_LEN];

	key_of(a, ka);
	key_of(b, kb);
	return (memcmp(ka, kb, sizeof(ka)) == 0);
}

static void
net_is(const char *addr, const char *want)
{
	uint8_t k[PREAUTH_KEY_LEN];
	char s[PREAUTH_NET_STRLEN];

	key_of(addr, k);
	preauth_net_str(k, s);
	assert_string_equal(s, want);
}

static void
test_ipv4_24(void **state)
{
	uint8_t keys[41][PREAUTH_KEY_LEN];
	char a[32];
	size_t i, j;

	(void)state;
	assert_true(same_net("192.0.2.1", "192.0.2.254"));
	assert_true(same_net("192.0.2.0", "192.0.2.255"));
	assert_false(same_net("192.0.2.1", "192.0.3.1"));
	assert_false(same_net("192.0.2.1", "193.0.2.1"));
	assert_false(same_net("10.1.2.3", "10.2.2.3"));
	net_is("192.0.2.77", "192.0.2.0/24");
	net_is("10.255.1.9", "10.255.1.0/24");
	/* The slowloris of t_slowloris: 40 networks, and the member's. */
	for (i = 0; i < 40; i++) {
		snprintf(a, sizeof(a), "127.0.%zu.1", i + 1);
		key_of(a, keys[i]);
		assert_true(same_net(a, "127.0.0.1") == false);
	}
	key_of("127.1.0.1", keys[40]);
	for (i = 0; i < 41; i++)
		for (j = i + 1; j < 41; j++)
			assert_memory_not_equal(keys[i], keys[j],
			    PREAUTH_KEY_LEN);
	assert_true(same_net("127.0.5.1", "127.0.5.200"));
}

static void
test_ipv6_64(void **state)
{

	(void)state;
	assert_true(same_net("2001:db8:1:2::1", "2001:db8:1:2::2"));
	assert_true(same_net("2001:db8:1:2::1",
	    "2001:db8:1:2:ffff:ffff:ffff:ffff"));
	assert_true(same_net("2001:db8:1:2::", "2001:db8:1:2:8000::1"));
	assert_false(same_net("2001:db8:1:2::1", "2001:db8:1:3::1"));
	assert_false(same_net("2001:db8:1:2::1", "2001:db8:1:102::1"));
	assert_false(same_net("2001:db8:1:2::1", "2001:db9:1:2::1"));
	assert_false(same_net("fe80::1", "fe80:0:0:1::1"));
	assert_true(same_net("::1", "::2"));
	net_is("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64");
	net_is("2001:db8::1", "2001:db8::/64");
	net_is("::1", "::/64");
}

static void
test_mapped(void **state)
{
	uint8_t k[PREAUTH_KEY_LEN];
	char s[PREAUTH_NET_STRLEN];
	struct sockaddr_un un;

	(void)state;
	/* A dual-stack listener's IPv4 peers: their own /24 each. */
	assert_true(same_net("::ffff:192.0.2.7", "192.0.2.1"));
	assert_true(same_net("::ffff:192.0.2.7", "::ffff:192.0.2.200"));
	assert_false(same_net("::ffff:192.0.2.7", "::ffff:192.0.3.7"));
	assert_false(same_net("::ffff:192.0.2.7", "192.0.3.7"));
	assert_true(same_net("::ffff:127.0.9.1", "127.0.9.1"));
	net_is("::ffff:198.51.100.20", "198.51.100.0/24");
	/* Not mapped: one bit off the ::ffff:0:0/96 prefix is IPv6. */
	assert_false(same_net("::fffe:192.0.2.7", "192.0.2.7"));
	net_is("::fffe:192.0.2.7", "::/64");
	/* And IPv4 never shares a network with the IPv6 ::/64. */
	assert_false(same_net("0.0.0.1", "::1"));
	/* Other families share one network of their own. */
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	preauth_key((struct sockaddr *)&un, k);
	assert_int_equal(k[0], 0);
	preauth_net_str(k, s);
	assert_string_equal(s, "?");
	preauth_key(NULL, k);
	assert_int_equal(k[0], 0);
}

/* Owners are small integers cast to pointers (never dereferenced). */
#define O(i)	((void *)(uintptr_t)((i) + 1))
#define I(p)	((long)(uintptr_t)(p) - 1)

static void
test_per_net(void **state)
{
	struct preauth t;
	uint8_t a[PREAUTH_KEY_LEN], b[PREAUTH_KEY_LEN];
	int i;

	(void)state;
	preauth_init(&t, HS_PREAUTH_MAX);
	key_of("198.51.100.1", a);
	key_of("198.51.100.99", b);		/* The same /24. */
	for (i = 0; i < HS_PREAUTH_PER_NET; i++)
		assert_null(preauth_add(&t, i % 2 ? a : b, O(i)));
	assert_int_equal(preauth_count(&t, a), HS_PREAUTH_PER_NET);
	/* The ninth pushes out the oldest of its network, and so on. */
	for (i = HS_PREAUTH_PER_NET; i < 3 * HS_PREAUTH_PER_NET; i++)
		assert_int_equal(I(preauth_add(&t, a, O(i))),
		    i - HS_PREAUTH_PER_NET);
	assert_int_equal(preauth_count(&t, a), HS_PREAUTH_PER_NET);
	assert_int_equal(t.n, HS_PREAUTH_PER_NET);
	/* Another network has room of its own. */
	key_of("198.51.101.1", b);
	assert_null(preauth_add(&t, b, O(100)));
	/* A /64 is one network too. */
	key_of("2001:db8:5:6::1", b);
	for (i = 0; i < HS_PREAUTH_PER_NET; i++)
		assert_null(preauth_add(&t, b, O(200 + i)));
	key_of("2001:db8:5:6:1:2:3:4", b);
	assert_int_equal(I(preauth_add(&t, b, O(300))), 200);
	key_of("2001:db8:5:7::1", b);
	assert_null(preauth_add(&t, b, O(400)));
}

static void
test_full(void **state)
{
	struct preauth t;
	uint8_t k[64][PREAUTH_KEY_LEN], honest[PREAUTH_KEY_LEN];
	char addr[32];
	int i;

	(void)state;
	/* 64 networks with one connection each: the oldest goes first. */
	preauth_init(&t, 64);
	for (i = 0; i < 64; i++) {
		snprintf(addr, sizeof(addr), "203.0.%d.1", i);
		key_of(addr, k[i]);
		assert_null(preauth_add(&t, k[i], O(i)));
	}
	assert_int_equal(t.n, 64);
	assert_int_equal(I(preauth_victim(&t)), 0);
	key_of("198.51.100.1", honest);
	assert_int_equal(I(preauth_add(&t, honest, O(1000))), 0);
	/*
	 * A second from 203.0.5.0/24 counts with its network: that makes
	 * the fullest, so its own oldest goes, not another's.
	 */
	assert_int_equal(I(preauth_add(&t, k[5], O(1001))), 5);
	assert_int_equal(I(preauth_add(&t, k[5], O(1002))), 1001);
	assert_int_equal(t.n, 64);
	assert_int_equal(preauth_count(&t, k[5]), 1);
	assert_int_equal(I(preauth_victim(&t)), 1);
	assert_true(preauth_remove(&t, O(1)));
	assert_false(preauth_remove(&t, O(1)));
	assert_int_equal(t.n, 63);
	/* A free slot: nobody is pushed out, and 203.0.9.0/24 has two. */
	assert_null(preauth_add(&t, k[9], O(1003)));
	assert_int_equal(preauth_count(&t, k[9]), 2);
	assert_int_equal(I(preauth_victim(&t)), 9);
	assert_int_equal(I(preauth_add(&t, k[20], O(1004))), 9);
	/* Now 203.0.20.0/24 has two. */
	assert_int_equal(I(preauth_victim(&t)), 20);
}

static void
test_flood(void **state)
{
	struct preauth t;
	uint8_t k[40][PREAUTH_KEY_LEN], honest[PREAUTH_KEY_LEN];
	char addr[32];
	int i, evicted = 0;
	void *v;

	(void)state;
	/*
	 * A slowloris from 40 /24s fills the table, then goes on at full
	 * speed while a member dials from its own /24: the member stays in
	 * the table, however many connections the flood opens, until it
	 * leaves it (message 1 in).
	 */
	preauth_init(&t, HS_PREAUTH_MAX);
	for (i = 0; i < 40; i++) {
		snprintf(addr, sizeof(addr), "127.0.%d.1", i + 1);
		key_of(addr, k[i]);
	}
	key_of("127.1.0.1", honest);
	for (i = 0; i < 320; i++)
		if (preauth_add(&t, k[i % 40], O(i)) != NULL)
			evicted++;
	assert_int_equal(t.n, HS_PREAUTH_MAX);
	assert_int_equal(evicted, 320 - HS_PREAUTH_MAX);
	assert_non_null(preauth_add(&t, honest, O(100000)));
	for (i = 320; i < 20000; i++) {
		v = preauth_add(&t, k[(i * 7) % 40], O(i));
		assert_non_null(v);
		assert_int_not_equal(I(v), 100000);
		assert_true(preauth_count(&t, k[(i * 7) % 40]) <=
		    HS_PREAUTH_PER_NET);
	}
	assert_int_equal(preauth_count(&t, honest), 1);
	assert_int_equal(t.n, HS_PREAUTH_MAX);
	assert_true(preauth_remove(&t, O(100000)));
	assert_int_equal(t.n, HS_PREAUTH_MAX - 1);
	/* The flood is spread evenly: no network holds more than 2. */
	for (i = 0; i < 40; i++)
		assert_true(preauth_count(&t, k[i]) <= 2);
}

static void
test_limits(void **state)
{
	struct preauth t;
	size_t conns, max;

	(void)state;
	/* Under `ulimit -n 256`: the full 64, and 160 more for sessions. */
	preauth_limits(256, &conns, &max);
	assert_int_equal(conns, 256 - PREAUTH_FD_RESERVE);
	assert_int_equal(max, HS_PREAUTH_MAX);
	preauth_limits(4096, &conns, &max);
	assert_int_equal(conns, 4096 - PREAUTH_FD_RESERVE);
	assert_int_equal(max, HS_PREAUTH_MAX);
	preauth_limits(UINT64_MAX, &conns, &max);
	assert_true(conns > 1000000);
	assert_int_equal(max, HS_PREAUTH_MAX);
	/* Few descriptors: half of what is left for peers. */
	preauth_limits(64, &conns, &max);
	assert_int_equal(conns, 64 - PREAUTH_FD_RESERVE);
	assert_int_equal(max, (64 - PREAUTH_FD_RESERVE) / 2);
	preauth_limits(PREAUTH_FD_RESERVE, &conns, &max);
	assert_int_equal(conns, 2);
	assert_int_equal(max, 1);
	preauth_limits(0, &conns, &max);
	assert_int_equal(conns, 2);
	assert_int_equal(max, 1);
	/*
	 * Past message 1: the rest of the share, 160 under 256; a member
	 * that is not one of our 3 peers gets 3 fewer, and never takes more
	 * than half for our peers however many we have.
	 */
	preauth_limits(256, &conns, &max);
	assert_int_equal(preauth_session_cap(conns, max, 3, true), 160);
	assert_int_equal(preauth_session_cap(conns, max, 3, false), 157);
	assert_int_equal(preauth_session_cap(conns, max, 0, false), 160);
	assert_int_equal(preauth_session_cap(conns, max, 1000, false), 80);
	assert_int_equal(preauth_session_cap(conns, max, 1000, true), 160);
	/* Whatever the numbers, at least one. */
	assert_int_equal(preauth_session_cap(2, 1, 5, true), 1);
	assert_int_equal(preauth_session_cap(2, 1, 5, false), 1);
	assert_int_equal(preauth_session_cap(0, 0, 0, false), 1);
	/* The table takes what it is given, within 1..HS_PREAUTH_MAX. */
	preauth_init(&t, 0);
	assert_int_equal(t.max, 1);
	preauth_init(&t, 1000);
	assert_int_equal(t.max, HS_PREAUTH_MAX);
	assert_null(preauth_victim(&t));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_24),
		cmocka_unit_test(test_ipv6_64),
		cmocka_unit_test(test_mapped),
		cmocka_unit_test(test_per_net),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_limits),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

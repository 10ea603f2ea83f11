/*
 * test_invite.c: the invite token (agent/codec/invite.c) of each version
 * comes back whole: version 1 (no center keys), 2 (center keys) and 3
 * (other members to dial, each with its own key) decode to what was
 * encoded, so tokens made by an older hamroh still join; a version-3
 * token whose peers were edited is refused by its signature.
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

#include "agent/codec/invite.h"

static uint8_t admin_sk[crypto_sign_SECRETKEYBYTES];

/* A signed invite of ${version} with what that version can carry. */
static void
make(struct invite *iv, unsigned version)
{
	uint8_t sk[crypto_sign_SECRETKEYBYTES];

	memset(iv, 0, sizeof(*iv));
	iv->version = version;
	snprintf(iv->net, sizeof(iv->net), "tj-legal");
	randombytes_buf(iv->netkey, sizeof(iv->netkey));
	crypto_sign_keypair(iv->admin, admin_sk);
	crypto_sign_keypair(iv->key, sk);
	snprintf(iv->m.name, sizeof(iv->m.name), "district");
	snprintf(iv->m.center, sizeof(iv->m.center), "Khujand");
	snprintf(iv->m.role, sizeof(iv->m.role), "office");
	snprintf(iv->m.expires, sizeof(iv->m.expires), "2027-12-02");
	randombytes_buf(iv->cert, sizeof(iv->cert));
	iv->naddr = 1;
	snprintf(iv->addr[0], sizeof(iv->addr[0]), "10.0.0.1:4411");
	if (version > 1) {
		iv->nkeys = 1;
		randombytes_buf(iv->keys[0].id, sizeof(iv->keys[0].id));
		iv->keys[0].version = 1;
		snprintf(iv->keys[0].center, sizeof(iv->keys[0].center),
		    "Khujand");
		randombytes_buf(iv->keys[0].sealed,
		    sizeof(iv->keys[0].sealed));
	}
	if (version > 2) {
		iv->npeers = 2;
		snprintf(iv->peers[0].addr, sizeof(iv->peers[0].addr),
		    "10.0.0.2:4411");
		crypto_sign_keypair(iv->peers[0].key, sk);
		snprintf(iv->peers[1].addr, sizeof(iv->peers[1].addr),
		    "[::1]:4412");
		crypto_sign_keypair(iv->peers[1].key, sk);
	}
	assert_int_equal(invite_sig(iv, admin_sk), 0);
}

static void
roundtrip(unsigned version)
{
	struct invite *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char why[256], *tok;

	assert_non_null(a);
	assert_non_null(b);
	make(a, version);
	assert_int_equal(invite_encode(a, &tok), 0);
	if (invite_decode(tok, b, why, sizeof(why)) != 0)
		fail_msg("version %u: %s", version, why);
	assert_memory_equal(a, b, sizeof(*a));
	sodium_free(tok);
	free(a);
	free(b);
}

static void
test_versions(void **state)
{

	(void)state;
	roundtrip(1);
	roundtrip(2);
	roundtrip(3);
}

/* The peers are signed: a token whose peer key was swapped is refused. */
static void
test_peers_signed(void **state)
{
	struct invite *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char why[256], *tok;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	make(a, 3);
	memcpy(a->peers[0].key, a->peers[1].key, NODE_KEY_LEN);
	assert_int_equal(invite_encode(a, &tok), 0);
	assert_int_equal(invite_decode(tok, b, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "signature"));
	sodium_free(tok);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_peers_signed),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

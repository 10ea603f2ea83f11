/*
 * test_conf.c: confidential fields — sealing values to a center's key,
 * opening them only with that key and only in their own place, the key
 * file, and keys sealed to a node.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/access/confidential.h"
#include "store/trust.h"

static const uint8_t rec[SCHEMA_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    11, 12, 13, 14, 15, 16 };

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/hamroh-conf.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return (d);
}

static void
rmdir_all(char *d)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", d, CONF_FILE);
	unlink(p);
	rmdir(d);
	free(d);
}

static void
test_seal_open(void **state)
{
	struct conf cf;
	char *d = tmpdir(), err[256], *sealed, *plain, *other;
	const char *msg = "Zarina, +992 93 555 0199, passport held";
	size_t len;

	(void)state;
	assert_int_equal(conf_load(&cf, d, err, sizeof(err)), 0);
	assert_int_equal(cf.n, 0);
	assert_null(conf_current(&cf, "Dushanbe"));
	assert_int_equal(conf_make_key(&cf, "Dushanbe", err, sizeof(err)), 0);
	assert_non_null(conf_current(&cf, "Dushanbe"));

	assert_int_equal(conf_seal(conf_current(&cf, "Dushanbe"), rec,
	    "summary", msg, strlen(msg), &sealed), 0);
	assert_true(conf_sealed(sealed, strlen(sealed)));
	assert_null(strstr(sealed, "Zarina"));
	assert_int_equal(conf_open(&cf, rec, "summary", sealed, strlen(sealed),
	    &plain, &len), 0);
	assert_int_equal(len, strlen(msg));
	assert_string_equal(plain, msg);
	free(plain);

	/* Bound to its place: another field or record does not open it. */
	assert_int_equal(conf_open(&cf, rec, "client_name", sealed,
	    strlen(sealed), &plain, &len), -1);
	{
		uint8_t rec2[SCHEMA_ID_LEN];

		memcpy(rec2, rec, sizeof(rec2));
		rec2[0] ^= 1;
		assert_int_equal(conf_open(&cf, rec2, "summary", sealed,
		    strlen(sealed), &plain, &len), -1);
	}
	/* A changed character is refused, not decrypted to garbage. */
	other = strdup(sealed);
	other[strlen(other) - 3] ^= 1;
	assert_int_not_equal(conf_open(&cf, rec, "summary", other,
	    strlen(other), &plain, &len), 0);
	free(other);

	/* The key file: mode 0600, read back, refused when others can read. */
	{
		struct conf again;
		struct stat st;
		char p[4096];

		snprintf(p, sizeof(p), "%s/%s", d, CONF_FILE);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(conf_load(&again, d, err, sizeof(err)), 0);
		assert_int_equal(again.n, 1);
		assert_int_equal(conf_open(&again, rec, "summary", sealed,
		    strlen(sealed), &plain, &len), 0);
		free(plain);
		conf_free(&again);
		assert_int_equal(chmod(p, 0644), 0);
		assert_int_equal(conf_load(&again, d, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "chmod 600"));
	}

	/* Rotation: a new version for new writes; the old still opens. */
	assert_int_equal(conf_make_key(&cf, "Dushanbe", err, sizeof(err)), 0);
	assert_int_equal(conf_current(&cf, "Dushanbe")->version, 2);
	assert_int_equal(conf_open(&cf, rec, "summary", sealed,
	    strlen(sealed), &plain, &len), 0);
	free(plain);
	free(sealed);
	conf_free(&cf);
	rmdir_all(d);
}

static void
test_no_key(void **state)
{
	struct conf a, b;
	char *da = tmpdir(), *db = tmpdir(), err[256], *sealed, *plain;
	size_t len;

	(void)state;
	assert_int_equal(conf_load(&a, da, err, sizeof(err)), 0);
	assert_int_equal(conf_load(&b, db, err, sizeof(err)), 0);
	assert_int_equal(conf_make_key(&a, "Dushanbe", err, sizeof(err)), 0);
	assert_int_equal(conf_make_key(&b, "Khujand", err, sizeof(err)), 0);
	assert_int_equal(conf_seal(conf_current(&a, "Dushanbe"), rec, "summary",
	    "secret", 6, &sealed), 0);
	/* Another center's node: no key opens it. */
	assert_int_equal(conf_open(&b, rec, "summary", sealed, strlen(sealed),
	    &plain, &len), 1);
	/* Not a sealed value at all. */
	assert_int_equal(conf_open(&b, rec, "summary", "hello", 5, &plain,
	    &len), -1);
	assert_int_equal(conf_open(&b, rec, "summary", "enc1:zz", 7, &plain,
	    &len), -1);
	free(sealed);
	conf_free(&a);
	conf_free(&b);
	rmdir_all(da);
	rmdir_all(db);
}

static void
test_wrap_unwrap(void **state)
{
	struct conf cf;
	uint8_t pk[32], sk[64], pk2[32], sk2[64], key[CONF_KEY_LEN];
	uint8_t sealed[CONF_SEALED_LEN];
	char *d = tmpdir(), err[256];

	(void)state;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	assert_int_equal(conf_load(&cf, d, err, sizeof(err)), 0);
	assert_int_equal(conf_make_key(&cf, "Khorog", err, sizeof(err)), 0);
	assert_int_equal(conf_wrap(&cf.k[0], pk, sealed), 0);
	assert_int_equal(conf_unwrap(sealed, pk, sk, key), 0);
	assert_memory_equal(key, cf.k[0].key, CONF_KEY_LEN);
	/* Sealed to one node: another cannot open it. */
	assert_int_equal(conf_unwrap(sealed, pk2, sk2, key), -1);
	sealed[5] ^= 1;
	assert_int_equal(conf_unwrap(sealed, pk, sk, key), -1);
	conf_free(&cf);
	rmdir_all(d);
}

/*
 * What passes for sealed (and is kept, or accepted by a judge) is exactly
 * what conf_seal() writes: "enc1:0000000000000000:Zarina" and every
 * near miss is text, to be sealed like any other.
 */
static void
test_strict_syntax(void **state)
{
	static const char *const fakes[] = {
		"enc1:0000000000000000:Zarina",
		"enc1:0000000000000000:",
		"Enc1:0000000000000000:"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"enc1:00000000000000000"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"enc1:0000000000000000;"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* Uppercase hex: conf_seal() writes lowercase. */
		"enc1:000000000000000A:"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* 53 characters: 39 bytes, less than a nonce and a tag. */
		"enc1:0000000000000000:"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* 57 characters: 4n + 1 is no base64 length. */
		"enc1:0000000000000000:"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* Padding, standard alphabet, spaces. */
		"enc1:0000000000000000:"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
		"enc1:0000000000000000:"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
		"enc1:0000000000000000:"
		    "Zarina Qodirova AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		/* 54 characters whose last one has unused bits set. */
		"enc1:0000000000000000:"
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
		NULL
	};
	struct conf cf;
	char *d = tmpdir(), err[256], *sealed;
	const char *const *p;
	size_t i, n;

	(void)state;
	for (p = fakes; *p != NULL; p++) {
		if (conf_well_sealed(*p, strlen(*p)))
			fail_msg("taken for sealed: %s", *p);
		assert_false(trust_sealed(*p, strlen(*p)));
	}
	/* 54 characters, unused bits zero: the syntax (keyid aside). */
	assert_true(conf_well_sealed("enc1:0000000000000000:"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 76));
	assert_int_equal(conf_load(&cf, d, err, sizeof(err)), 0);
	assert_int_equal(conf_make_key(&cf, "Dushanbe", err, sizeof(err)), 0);
	/* Every length conf_seal() writes, up to the longest it may. */
	for (n = 0; n <= 200; n++) {
		char in[201];

		for (i = 0; i < n; i++)
			in[i] = (char)('a' + i % 26);
		assert_int_equal(conf_seal(conf_current(&cf, "Dushanbe"), rec,
		    "client_name", in, n, &sealed), 0);
		if (!conf_well_sealed(sealed, strlen(sealed)))
			fail_msg("conf_seal() of %zu bytes is not sealed: %s",
			    n, sealed);
		assert_true(strlen(sealed) <= conf_sealed_max(n));
		assert_true(strlen(sealed) <= conf_sealed_max(200));
		free(sealed);
	}
	conf_free(&cf);
	rmdir_all(d);
}

/* A center's key ids tell every node which center they are of. */
static void
test_keyid_bound(void **state)
{
	struct conf cf;
	char *d = tmpdir(), err[256];
	const struct conf_key *k1, *k2;
	uint8_t fake[CONF_KEYID_LEN] = { 0 };

	(void)state;
	assert_int_equal(conf_load(&cf, d, err, sizeof(err)), 0);
	assert_int_equal(conf_make_key(&cf, "Dushanbe", err, sizeof(err)), 0);
	assert_int_equal(conf_make_key(&cf, "Dushanbe", err, sizeof(err)), 0);
	assert_int_equal(conf_make_key(&cf, "Khujand", err, sizeof(err)), 0);
	assert_int_equal(cf.n, 3);
	k1 = &cf.k[0];
	k2 = &cf.k[1];
	assert_true(trust_keyid_bound(k1->id, "Dushanbe", 8));
	assert_true(trust_keyid_bound(k2->id, "Dushanbe", 8));
	assert_memory_not_equal(k1->id, k2->id, CONF_KEYID_LEN);
	assert_false(trust_keyid_bound(k1->id, "Khujand", 7));
	assert_false(trust_keyid_bound(k1->id, "Dushanbe ", 9));
	assert_true(trust_keyid_bound(cf.k[2].id, "Khujand", 7));
	assert_false(trust_keyid_bound(cf.k[2].id, "Dushanbe", 8));
	assert_false(trust_keyid_bound(fake, "Dushanbe", 8));
	conf_free(&cf);
	rmdir_all(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_no_key),
		cmocka_unit_test(test_wrap_unwrap),
		cmocka_unit_test(test_strict_syntax),
		cmocka_unit_test(test_keyid_bound),
	};

	if (sodium_init() < 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}

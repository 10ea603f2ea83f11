/*
 * hs.c: Noise_IKpsk2_25519_ChaChaPoly_SHA256, step by step as the Noise
 * specification (revision 34) writes it.
 */
#include "protocol/hs.h"

#include <string.h>

#include <sodium.h>

#include "protocol/proto.h"

#define NAME_PSK	"Noise_IKpsk2_25519_ChaChaPoly_SHA256"
#define NAME_PLAIN	"Noise_IK_25519_ChaChaPoly_SHA256"	/* Tests. */

int
hs_cipher(const uint8_t k[HS_KEY_LEN], uint64_t n, const uint8_t *ad,
    size_t adlen, const uint8_t *in, size_t len, uint8_t *out, bool encrypt)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES] = { 0 };
	unsigned long long olen;
	size_t i;

	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
	if (encrypt) {
		crypto_aead_chacha20poly1305_ietf_encrypt(out, &olen, in, len,
		    ad, adlen, NULL, nonce, k);
		return (PROTO_OK);
	}
	if (len < HS_TAG_LEN)
		return (PROTO_ELEN);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &olen, NULL, in,
	    len, ad, adlen, nonce, k) != 0)
		return (PROTO_EDECRYPT);
	return (PROTO_OK);
}

static void
mix_hash(struct hs *hs, const uint8_t *data, size_t len)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hs->h, HS_HASH_LEN);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, hs->h);
}

static void
hmac(const uint8_t key[HS_HASH_LEN], const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t out[HS_HASH_LEN])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, HS_HASH_LEN);
	crypto_auth_hmacsha256_update(&st, a, alen);
	if (blen > 0)
		crypto_auth_hmacsha256_update(&st, b, blen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* HKDF(ck, ikm) with 2 or 3 outputs. */
static void
hkdf(const uint8_t ck[HS_HASH_LEN], const uint8_t *ikm, size_t len,
    uint8_t o1[HS_HASH_LEN], uint8_t o2[HS_HASH_LEN], uint8_t *o3)
{
	static const uint8_t none[1];
	uint8_t tk[HS_HASH_LEN], one = 1, two = 2, three = 3;

	hmac(ck, ikm != NULL ? ikm : none, len, NULL, 0, tk);
	hmac(tk, &one, 1, NULL, 0, o1);
	hmac(tk, o1, HS_HASH_LEN, &two, 1, o2);
	if (o3 != NULL)
		hmac(tk, o2, HS_HASH_LEN, &three, 1, o3);
	sodium_memzero(tk, sizeof(tk));
}

static void
mix_key(struct hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t ck[HS_HASH_LEN];

	hkdf(hs->ck, ikm, len, ck, hs->k, NULL);
	memcpy(hs->ck, ck, HS_HASH_LEN);
	sodium_memzero(ck, sizeof(ck));
	hs->has_k = true;
	hs->n = 0;
}

static void
mix_key_and_hash(struct hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t ck[HS_HASH_LEN], th[HS_HASH_LEN];

	hkdf(hs->ck, ikm, len, ck, th, hs->k);
	memcpy(hs->ck, ck, HS_HASH_LEN);
	mix_hash(hs, th, HS_HASH_LEN);
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(th, sizeof(th));
	hs->has_k = true;
	hs->n = 0;
}

int
hs_dh(uint8_t out[HS_KEY_LEN], const uint8_t sk[HS_KEY_LEN],
    const uint8_t pk[HS_KEY_LEN])
{

	/*
	 * libsodium follows RFC 7748 (bit 255 masked, u reduced mod p) and
	 * returns -1 for a public key on its list of low-order points (in
	 * any encoding) or an all-zero result.
	 */
	if (crypto_scalarmult(out, sk, pk) != 0) {
		sodium_memzero(out, HS_KEY_LEN);
		return (PROTO_EDH);
	}
	return (PROTO_OK);
}

/* MixKey(DH(sk, pk)); a low-order ${pk} is refused. */
static int
mix_dh(struct hs *hs, const uint8_t sk[HS_KEY_LEN],
    const uint8_t pk[HS_KEY_LEN])
{
	uint8_t ss[HS_KEY_LEN];

	if (hs_dh(ss, sk, pk) != PROTO_OK)
		return (PROTO_EDH);
	mix_key(hs, ss, sizeof(ss));
	sodium_memzero(ss, sizeof(ss));
	return (PROTO_OK);
}

/* A step failed after the state changed: wipe it, and refuse any more. */
static int
dead(struct hs *hs, int err)
{

	hs_fini(hs);
	hs->step = HS_DEAD;
	return (err);
}

static void
encrypt_and_hash(struct hs *hs, const uint8_t *pt, size_t len, uint8_t *out)
{

	/* Every step that encrypts here has a key: es comes first. */
	hs_cipher(hs->k, hs->n++, hs->h, HS_HASH_LEN, pt, len, out, true);
	mix_hash(hs, out, len + HS_TAG_LEN);
}

static int
decrypt_and_hash(struct hs *hs, const uint8_t *ct, size_t len, uint8_t *out)
{
	int r;

	if ((r = hs_cipher(hs->k, hs->n++, hs->h, HS_HASH_LEN, ct, len, out,
	    false)) != PROTO_OK)
		return (r);
	mix_hash(hs, ct, len);
	return (PROTO_OK);
}

void
hs_init(struct hs *hs, bool initiator, const uint8_t *prologue, size_t plen,
    const uint8_t s[HS_KEY_LEN], const uint8_t *rs, const uint8_t *psk)
{

	const char *name = psk != NULL ? NAME_PSK : NAME_PLAIN;

	memset(hs, 0, sizeof(*hs));
	hs->initiator = initiator;
	/* h = the name padded with zeros if it fits HASHLEN, else HASH(name). */
	if (strlen(name) <= HS_HASH_LEN)
		memcpy(hs->h, name, strlen(name));
	else
		crypto_hash_sha256(hs->h, (const uint8_t *)name,
		    strlen(name));
	memcpy(hs->ck, hs->h, HS_HASH_LEN);
	mix_hash(hs, prologue, plen);
	memcpy(hs->s, s, HS_KEY_LEN);
	crypto_scalarmult_base(hs->s_pub, hs->s);
	if ((hs->has_psk = psk != NULL))
		memcpy(hs->psk, psk, HS_PSK_LEN);
	/* Pre-message "<- s". */
	if (initiator) {
		memcpy(hs->rs, rs, HS_KEY_LEN);
		mix_hash(hs, hs->rs, HS_KEY_LEN);
	} else
		mix_hash(hs, hs->s_pub, HS_KEY_LEN);
}

/* Token "e" on the writing side; with a PSK it also keys the cipher. */
static void
write_e(struct hs *hs, const uint8_t e[HS_KEY_LEN], uint8_t *out)
{

	memcpy(hs->e, e, HS_KEY_LEN);
	crypto_scalarmult_base(hs->e_pub, hs->e);
	memcpy(out, hs->e_pub, HS_KEY_LEN);
	mix_hash(hs, hs->e_pub, HS_KEY_LEN);
	if (hs->has_psk)
		mix_key(hs, hs->e_pub, HS_KEY_LEN);
}

static void
read_e(struct hs *hs, const uint8_t *in)
{

	memcpy(hs->re, in, HS_KEY_LEN);
	mix_hash(hs, hs->re, HS_KEY_LEN);
	if (hs->has_psk)
		mix_key(hs, hs->re, HS_KEY_LEN);
}

int
hs_write1(struct hs *hs, const uint8_t e[HS_KEY_LEN], const uint8_t *payload,
    size_t plen, uint8_t *out)
{
	int r;

	if (!hs->initiator || hs->step != 0)
		return (PROTO_ESTATE);
	if (plen > HS_PAYLOAD_MAX)
		return (PROTO_ELEN);
	write_e(hs, e, out);					/* e */
	if ((r = mix_dh(hs, hs->e, hs->rs)) != PROTO_OK)	/* es */
		return (dead(hs, r));
	encrypt_and_hash(hs, hs->s_pub, HS_KEY_LEN, out + HS_KEY_LEN); /* s */
	if ((r = mix_dh(hs, hs->s, hs->rs)) != PROTO_OK)	/* ss */
		return (dead(hs, r));
	encrypt_and_hash(hs, payload, plen, out + 2 * HS_KEY_LEN + HS_TAG_LEN);
	hs->step = 1;
	return (PROTO_OK);
}

int
hs_read1(struct hs *hs, const uint8_t *in, size_t len, uint8_t *payload)
{
	int r;

	if (hs->initiator || hs->step != 0)
		return (PROTO_ESTATE);
	if (len < HS_MSG1_LEN(0) || len > HS_MSG1_LEN(HS_PAYLOAD_MAX))
		return (PROTO_ELEN);
	read_e(hs, in);						/* e */
	if ((r = mix_dh(hs, hs->s, hs->re)) != PROTO_OK)	/* es */
		return (dead(hs, r));
	if ((r = decrypt_and_hash(hs, in + HS_KEY_LEN,		/* s */
	    HS_KEY_LEN + HS_TAG_LEN, hs->rs)) != PROTO_OK)
		return (dead(hs, r));
	if ((r = mix_dh(hs, hs->s, hs->rs)) != PROTO_OK)	/* ss */
		return (dead(hs, r));
	if ((r = decrypt_and_hash(hs, in + 2 * HS_KEY_LEN + HS_TAG_LEN,
	    len - 2 * HS_KEY_LEN - HS_TAG_LEN, payload)) != PROTO_OK)
		return (dead(hs, r));
	hs->step = 1;
	return (PROTO_OK);
}

int
hs_write1_more(struct hs *hs, const uint8_t *payload, size_t plen,
    uint8_t *out)
{

	if (!hs->initiator || hs->step != 1)
		return (PROTO_ESTATE);
	if (plen > HS_PAYLOAD_MAX)
		return (PROTO_ELEN);
	encrypt_and_hash(hs, payload, plen, out);
	return (PROTO_OK);
}

int
hs_read1_more(struct hs *hs, const uint8_t *in, size_t len, uint8_t *payload)
{
	int r;

	if (hs->initiator || hs->step != 1)
		return (PROTO_ESTATE);
	if (len < HS_TAG_LEN || len > HS_PAYLOAD_MAX + HS_TAG_LEN)
		return (PROTO_ELEN);
	if ((r = decrypt_and_hash(hs, in, len, payload)) != PROTO_OK)
		return (dead(hs, r));
	return (PROTO_OK);
}

int
hs_write2(struct hs *hs, const uint8_t e[HS_KEY_LEN], const uint8_t *payload,
    size_t plen, uint8_t *out)
{
	int r;

	if (hs->initiator || hs->step != 1)
		return (PROTO_ESTATE);
	if (plen > HS_PAYLOAD_MAX)
		return (PROTO_ELEN);
	write_e(hs, e, out);					/* e */
	if ((r = mix_dh(hs, hs->e, hs->re)) != PROTO_OK)	/* ee */
		return (dead(hs, r));
	if ((r = mix_dh(hs, hs->e, hs->rs)) != PROTO_OK)	/* se */
		return (dead(hs, r));
	if (hs->has_psk)
		mix_key_and_hash(hs, hs->psk, HS_PSK_LEN);	/* psk */
	encrypt_and_hash(hs, payload, plen, out + HS_KEY_LEN);
	hs->step = 2;
	return (PROTO_OK);
}

int
hs_read2(struct hs *hs, const uint8_t *in, size_t len, uint8_t *payload)
{
	int r;

	if (!hs->initiator || hs->step != 1)
		return (PROTO_ESTATE);
	if (len < HS_MSG2_LEN(0) || len > HS_MSG2_LEN(HS_PAYLOAD_MAX))
		return (PROTO_ELEN);
	read_e(hs, in);						/* e */
	if ((r = mix_dh(hs, hs->e, hs->re)) != PROTO_OK)	/* ee */
		return (dead(hs, r));
	if ((r = mix_dh(hs, hs->s, hs->re)) != PROTO_OK)	/* se */
		return (dead(hs, r));
	if (hs->has_psk)
		mix_key_and_hash(hs, hs->psk, HS_PSK_LEN);	/* psk */
	if ((r = decrypt_and_hash(hs, in + HS_KEY_LEN, len - HS_KEY_LEN,
	    payload)) != PROTO_OK)
		return (dead(hs, r));
	hs->step = 2;
	return (PROTO_OK);
}

int
hs_split(struct hs *hs, uint8_t tx[HS_KEY_LEN], uint8_t rx[HS_KEY_LEN],
    uint8_t hash[HS_HASH_LEN])
{
	uint8_t k1[HS_KEY_LEN], k2[HS_KEY_LEN];

	if (hs->step != 2)
		return (PROTO_ESTATE);
	hkdf(hs->ck, NULL, 0, k1, k2, NULL);
	/* The initiator sends with the first key. */
	memcpy(tx, hs->initiator ? k1 : k2, HS_KEY_LEN);
	memcpy(rx, hs->initiator ? k2 : k1, HS_KEY_LEN);
	memcpy(hash, hs->h, HS_HASH_LEN);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	hs_fini(hs);
	return (PROTO_OK);
}

void
hs_fini(struct hs *hs)
{

	sodium_memzero(hs, sizeof(*hs));
}

void
hs_mac1_key(const uint8_t netkey[HS_KEY_LEN],
    const uint8_t resp_pub[HS_KEY_LEN], uint8_t key[HS_KEY_LEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, HS_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)HS_MAC1_LABEL,
	    strlen(HS_MAC1_LABEL));
	crypto_generichash_update(&st, netkey, HS_KEY_LEN);
	crypto_generichash_update(&st, resp_pub, HS_KEY_LEN);
	crypto_generichash_final(&st, key, HS_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
}

void
hs_mac1(const uint8_t key[HS_KEY_LEN], const uint8_t *msg, size_t len,
    uint8_t mac[HS_MAC1_LEN])
{

	crypto_generichash(mac, HS_MAC1_LEN, msg, len, key, HS_KEY_LEN);
}

int
hs_mac1_check(const uint8_t key[HS_KEY_LEN], const uint8_t *msg, size_t len)
{
	uint8_t mac[HS_MAC1_LEN];

	if (len < HS_MAC1_LEN)
		return (PROTO_EMAC1);
	hs_mac1(key, msg, len - HS_MAC1_LEN, mac);
	if (crypto_verify_16(mac, msg + len - HS_MAC1_LEN) != 0)
		return (PROTO_EMAC1);
	return (PROTO_OK);
}

int
hs_x25519_keys(const uint8_t ed_sk[NODE_SK_LEN], uint8_t x_sk[HS_KEY_LEN],
    uint8_t x_pub[HS_KEY_LEN])
{

	if (crypto_sign_ed25519_sk_to_curve25519(x_sk, ed_sk) != 0)
		return (PROTO_EDH);
	crypto_scalarmult_base(x_pub, x_sk);
	return (PROTO_OK);
}

int
hs_x25519_pub(const uint8_t ed_pk[HS_KEY_LEN], uint8_t x_pub[HS_KEY_LEN])
{

	return (crypto_sign_ed25519_pk_to_curve25519(x_pub, ed_pk) == 0 ?
	    PROTO_OK : PROTO_EDH);
}

void
hs_prologue(const uint8_t netkey[HS_KEY_LEN], uint8_t out[HS_PROLOGUE_LEN])
{
	static const char label[] = "hamroh/network-id";

	memcpy(out, "hamroh/1", 8);
	crypto_generichash(out + 8, HS_NETID_LEN, (const uint8_t *)label,
	    sizeof(label) - 1, netkey, HS_KEY_LEN);
}

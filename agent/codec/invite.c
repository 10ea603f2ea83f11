/*
 * invite.c: the invite token, encoded and decoded (agent/codec/invite.h).
 */
#include "agent/codec/invite.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "protocol/mpcheck.h"
#include "store/schema.h"

#define TOKEN_SIG_CONTEXT "hamroh/invite/1"
#define TOKEN_DEPTH	3		/* Token, keys, one key. */
/* Elements of a token of version ${v}, token_sig and the version too. */
#define TOKEN_ELEMS(v)	((v) == 1 ? 8u : (v) == 2 ? 9u : (v) == 3 ? 10u : \
	(v) == 4 ? 11u : 12u)
#define TOKEN_MAX_CHARS	(sizeof(INVITE_PREFIX) - 1 + \
	sodium_base64_ENCODED_LEN(INVITE_MAX_BIN, \
	sodium_base64_VARIANT_URLSAFE_NO_PADDING))

bool
invite_name_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (false);
	return (schema_utf8_valid(s, len));
}

bool
invite_key_ok(const uint8_t pk[NODE_KEY_LEN])
{
	uint8_t x[crypto_scalarmult_curve25519_BYTES];

	return (crypto_sign_ed25519_pk_to_curve25519(x, pk) == 0);
}

static int
pack_text(msgpack_packer *pk, const char *s)
{

	return (msgpack_pack_str_with_body(pk, s, strlen(s)));
}

/*
 * Pack invite ${iv}: the token body, or with ${tbs} the bytes token_sig
 * signs.
 */
static int
pack_invite(msgpack_sbuffer *sb, const struct invite *iv, bool tbs)
{
	msgpack_packer pk;
	size_t i;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, TOKEN_ELEMS(iv->version) - tbs);
	if (tbs)
		e |= pack_text(&pk, TOKEN_SIG_CONTEXT);
	else
		e |= msgpack_pack_uint8(&pk, (uint8_t)iv->version);
	e |= pack_text(&pk, iv->net);
	e |= msgpack_pack_bin_with_body(&pk, iv->netkey, HS_PSK_LEN);
	e |= msgpack_pack_bin_with_body(&pk, iv->admin, NODE_KEY_LEN);
	e |= msgpack_pack_array(&pk, 5);
	e |= msgpack_pack_bin_with_body(&pk, iv->key, NODE_KEY_LEN);
	e |= pack_text(&pk, iv->m.name);
	e |= pack_text(&pk, iv->m.center);
	e |= pack_text(&pk, iv->m.role);
	e |= pack_text(&pk, iv->m.expires);
	e |= msgpack_pack_bin_with_body(&pk, iv->cert, NODE_SIG_LEN);
	e |= msgpack_pack_array(&pk, iv->naddr);
	for (i = 0; i < iv->naddr; i++)
		e |= pack_text(&pk, iv->addr[i]);
	if (iv->version > 1)
		e |= msgpack_pack_array(&pk, iv->nkeys);
	for (i = 0; iv->version > 1 && i < iv->nkeys; i++) {
		e |= msgpack_pack_array(&pk, 4);
		e |= msgpack_pack_bin_with_body(&pk, iv->keys[i].id,
		    CONF_KEYID_LEN);
		e |= msgpack_pack_uint32(&pk, iv->keys[i].version);
		e |= pack_text(&pk, iv->keys[i].center);
		e |= msgpack_pack_bin_with_body(&pk, iv->keys[i].sealed,
		    CONF_SEALED_LEN);
	}
	if (iv->version > 2)
		e |= msgpack_pack_array(&pk, iv->npeers);
	for (i = 0; iv->version > 2 && i < iv->npeers; i++) {
		e |= msgpack_pack_array(&pk, 2);
		e |= pack_text(&pk, iv->peers[i].addr);
		e |= msgpack_pack_bin_with_body(&pk, iv->peers[i].key,
		    NODE_KEY_LEN);
	}
	if (iv->version > 3)
		e |= pack_text(&pk, iv->case_code);
	if (iv->version > 4)
		e |= msgpack_pack_bin_with_body(&pk, iv->data_pk,
		    CONF_DATA_LEN);
	if (!tbs)
		e |= msgpack_pack_bin_with_body(&pk, iv->sig, NODE_SIG_LEN);
	return (e ? -1 : 0);
}

/* Wipe and free ${sb}: it held the network key. */
static void
sbuf_wipe(msgpack_sbuffer *sb)
{

	if (sb->data != NULL)
		sodium_memzero(sb->data, sb->alloc);
	msgpack_sbuffer_destroy(sb);
}

int
invite_sig(struct invite *iv, const uint8_t *sk)
{
	msgpack_sbuffer sb;
	int rc = -1;

	msgpack_sbuffer_init(&sb);
	if (pack_invite(&sb, iv, true))
		goto done;
	if (sk != NULL) {
		crypto_sign_detached(iv->sig, NULL, (const uint8_t *)sb.data,
		    sb.size, sk);
		rc = 0;
	} else if (crypto_sign_verify_detached(iv->sig,
	    (const uint8_t *)sb.data, sb.size, iv->admin) == 0)
		rc = 0;
done:
	sbuf_wipe(&sb);
	return (rc);
}

void
invite_cert(const struct invite *iv, struct member_cert *c)
{

	memcpy(c->key, iv->key, NODE_KEY_LEN);
	c->name = iv->m.name;
	c->center = iv->m.center;
	c->role = iv->m.role;
	c->expires = iv->m.expires;
}

int
invite_encode(const struct invite *iv, char **tokp)
{
	const size_t pl = sizeof(INVITE_PREFIX) - 1;
	msgpack_sbuffer sb;
	size_t tl;
	char *tok;
	int rc = -1;

	msgpack_sbuffer_init(&sb);
	if (pack_invite(&sb, iv, false) || sb.size > INVITE_MAX_BIN)
		goto done;
	tl = pl + sodium_base64_ENCODED_LEN(sb.size,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if ((tok = sodium_malloc(tl)) == NULL)
		goto done;
	memcpy(tok, INVITE_PREFIX, pl);
	sodium_bin2base64(tok + pl, tl - pl, (const uint8_t *)sb.data,
	    sb.size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	*tokp = tok;
	rc = 0;
done:
	sbuf_wipe(&sb);
	return (rc);
}

/* Copy str ${o} (at most ${max} bytes, a name) into ${out}. */
static int
get_text(const msgpack_object *o, char *out, size_t max)
{

	if (!mp_is_str(o) || !invite_name_ok(o->via.str.ptr, o->via.str.size))
		return (-1);
	return (mp_get_text(o, out, max));
}

/* Copy str ${o} into members field ${field} of size ${size}, checked. */
static int
get_field(const msgpack_object *o, const char *field, char *out, size_t size)
{
	const struct coll_def *m = schema_coll("members");
	struct val v;
	char why[256];

	if (get_text(o, out, size - 1))
		return (-1);
	memset(&v, 0, sizeof(v));
	v.t = VAL_STR;
	v.s = out;
	v.len = strlen(out);
	return (schema_check(schema_field(m, field, strlen(field)), &v, why,
	    sizeof(why)));
}

/* The checks after the envelope: fields of a version-1 token. */
static int
decode_keys(const msgpack_object *o, struct invite *iv)
{
	const msgpack_object *k;
	size_t i;

	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > INVITE_MAX_KEYS)
		return (-1);
	iv->nkeys = o->via.array.size;
	for (i = 0; i < iv->nkeys; i++) {
		k = &o->via.array.ptr[i];
		if (k->type != MSGPACK_OBJECT_ARRAY || k->via.array.size != 4 ||
		    mp_get_bin(&k->via.array.ptr[0], iv->keys[i].id,
		    CONF_KEYID_LEN) ||
		    !mp_is_uint(&k->via.array.ptr[1]) ||
		    k->via.array.ptr[1].via.u64 == 0 ||
		    k->via.array.ptr[1].via.u64 > INT32_MAX ||
		    get_field(&k->via.array.ptr[2], "center",
		    iv->keys[i].center, sizeof(iv->keys[i].center)) ||
		    mp_get_bin(&k->via.array.ptr[3], iv->keys[i].sealed,
		    CONF_SEALED_LEN))
			return (-1);
		iv->keys[i].version = (uint32_t)k->via.array.ptr[1].via.u64;
	}
	return (0);
}

/* A version-3 token's peers: [address, key] each, valid, keys usable. */
static int
decode_peers(const msgpack_object *o, struct invite *iv)
{
	const msgpack_object *p;
	size_t i;

	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > INVITE_MAX_PEERS)
		return (-1);
	iv->npeers = o->via.array.size;
	for (i = 0; i < iv->npeers; i++) {
		p = &o->via.array.ptr[i];
		if (p->type != MSGPACK_OBJECT_ARRAY || p->via.array.size != 2 ||
		    get_text(&p->via.array.ptr[0], iv->peers[i].addr,
		    MEMBER_ADDR_MAX) || !member_addr_valid(iv->peers[i].addr) ||
		    mp_get_bin(&p->via.array.ptr[1], iv->peers[i].key,
		    NODE_KEY_LEN) || !invite_key_ok(iv->peers[i].key))
			return (-1);
	}
	return (0);
}

/*
 * Version 1 has 8 elements; version 2 adds the keys before the sig,
 * version 3 the peers after them, version 4 the node code after those,
 * version 5 the data key after it.
 */
static int
decode_fields(const msgpack_object *a, size_t na, struct invite *iv)
{
	const msgpack_object *c, *ad;
	size_t i;

	if (na >= 9 && decode_keys(&a[7], iv))
		return (-1);
	if (na >= 10 && decode_peers(&a[8], iv))
		return (-1);
	if (na >= 11 && (get_text(&a[9], iv->case_code, 2) ||
	    strlen(iv->case_code) != 2))
		return (-1);
	if (na >= 12 && mp_get_bin(&a[10], iv->data_pk, CONF_DATA_LEN))
		return (-1);

	if (get_text(&a[1], iv->net, MEMBER_NETNAME_MAX) || !*iv->net ||
	    mp_get_bin(&a[2], iv->netkey, HS_PSK_LEN) ||
	    mp_get_bin(&a[3], iv->admin, NODE_KEY_LEN) ||
	    a[4].type != MSGPACK_OBJECT_ARRAY || a[4].via.array.size != 5 ||
	    mp_get_bin(&a[5], iv->cert, NODE_SIG_LEN) ||
	    a[6].type != MSGPACK_OBJECT_ARRAY ||
	    a[6].via.array.size > MEMBER_MAX_ADDRS ||
	    mp_get_bin(&a[na - 1], iv->sig, NODE_SIG_LEN))
		return (-1);
	c = a[4].via.array.ptr;
	if (mp_get_bin(&c[0], iv->key, NODE_KEY_LEN) ||
	    get_field(&c[1], "name", iv->m.name, sizeof(iv->m.name)) ||
	    !*iv->m.name ||
	    get_field(&c[2], "center", iv->m.center, sizeof(iv->m.center)) ||
	    get_field(&c[3], "role", iv->m.role, sizeof(iv->m.role)) ||
	    get_field(&c[4], "expires", iv->m.expires,
	    sizeof(iv->m.expires)))
		return (-1);
	ad = a[6].via.array.ptr;
	iv->naddr = a[6].via.array.size;
	for (i = 0; i < iv->naddr; i++)
		if (get_text(&ad[i], iv->addr[i], MEMBER_ADDR_MAX) ||
		    !member_addr_valid(iv->addr[i]))
			return (-1);
	return (0);
}

int
invite_decode(const char *tok, struct invite *iv, char *why, size_t why_len)
{
	const size_t pl = sizeof(INVITE_PREFIX) - 1;
	msgpack_unpacked up;
	const msgpack_object *a;
	const char *end;
	uint8_t *bin;
	size_t len, blen, off = 0;
	int rc = -1;

	len = strlen(tok);
	if (len < pl || memcmp(tok, INVITE_PREFIX, pl) != 0) {
		snprintf(why, why_len, "this is not a hamroh invite (an invite "
		    "starts with '%s')", INVITE_PREFIX);
		return (-1);
	}
	if (len > TOKEN_MAX_CHARS) {
		snprintf(why, why_len, "the invite is %zu characters (limit "
		    "%zu)", len, (size_t)TOKEN_MAX_CHARS);
		return (-1);
	}
	if ((bin = sodium_malloc(INVITE_MAX_BIN)) == NULL) {
		snprintf(why, why_len, "out of memory");
		return (-1);
	}
	msgpack_unpacked_init(&up);
	if (sodium_base642bin(bin, INVITE_MAX_BIN, tok + pl, len - pl, NULL,
	    &blen, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != tok + len) {
		snprintf(why, why_len, "the invite is damaged (not base64url)");
		goto done;
	}
	if (mpcheck(bin, blen, TOKEN_DEPTH) != 0 ||
	    msgpack_unpack_next(&up, (const char *)bin, blen, &off) !=
	    MSGPACK_UNPACK_SUCCESS || off != blen ||
	    up.data.type != MSGPACK_OBJECT_ARRAY ||
	    up.data.via.array.size < 1 ||
	    (a = up.data.via.array.ptr)[0].type !=
	    MSGPACK_OBJECT_POSITIVE_INTEGER) {
		snprintf(why, why_len, "the invite is damaged (malformed)");
		goto done;
	}
	if (a[0].via.u64 < 1 || a[0].via.u64 > INVITE_VERSION) {
		snprintf(why, why_len, "the invite has version %llu; this "
		    "hamroh reads versions 1 to %d (update hamroh)",
		    (unsigned long long)a[0].via.u64, INVITE_VERSION);
		goto done;
	}
	iv->version = (unsigned)a[0].via.u64;
	if (up.data.via.array.size != TOKEN_ELEMS(a[0].via.u64) ||
	    decode_fields(a, up.data.via.array.size, iv)) {
		snprintf(why, why_len, "the invite is damaged (malformed)");
		goto done;
	}
	if (!invite_key_ok(iv->admin) || invite_sig(iv, NULL) != 0) {
		snprintf(why, why_len, "the invite is damaged (its signature "
		    "does not match its contents)");
		goto done;
	}
	rc = 0;
done:
	msgpack_unpacked_destroy(&up);
	sodium_memzero(bin, INVITE_MAX_BIN);
	sodium_free(bin);
	return (rc);
}

/*
 * frame.c: length-prefixed frames over crypto_secretstream.
 */
#include "protocol/frame.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/proto.h"

#define TAG_MSG		crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL	crypto_secretstream_xchacha20poly1305_TAG_FINAL
#define TAG_REKEY	crypto_secretstream_xchacha20poly1305_TAG_REKEY

enum dstate { D_HDR, D_LEN, D_BODY, D_END };

struct frame_dec {
	crypto_secretstream_xchacha20poly1305_state	st;
	uint8_t		key[FRAME_KEY_LEN];
	enum dstate	state;
	int		err;		/* Sticky. */
	size_t		need, have;	/* Bytes of the current unit. */
	uint8_t		small[FRAME_HDR_LEN + FRAME_LEN_WIRE];
	uint8_t		*buf;		/* Body ciphertext. */
	uint8_t		*out;		/* Its plaintext: pull is not in place. */
	size_t		cap;
	uint32_t	every, since;	/* As in struct frame_enc. */
	uint64_t	rekeys;
};

void
frame_enc_init(struct frame_enc *e, const uint8_t key[FRAME_KEY_LEN],
    uint8_t hdr[FRAME_HDR_LEN])
{

	memset(e, 0, sizeof(*e));
	crypto_secretstream_xchacha20poly1305_init_push(&e->st, hdr, key);
	e->every = FRAME_REKEY_MSGS;
}

void
frame_enc_clock(struct frame_enc *e, uint64_t now_ms)
{

	if (!e->clocked)
		e->keyed_at = now_ms;
	e->clocked = true;
	e->now = now_ms;
}

void
frame_enc_rekey_every(struct frame_enc *e, uint32_t n)
{

	e->every = n > 0 ? n : 1;
}

int
frame_enc(struct frame_enc *e, const uint8_t *body, size_t len, bool final,
    uint8_t *out)
{
	uint8_t lb[4], tag = final ? TAG_FINAL : TAG_MSG;

	if (e->final)
		return (PROTO_ESTATE);
	if (len > FRAME_MAX_LEN)
		return (PROTO_ELEN);
	/* FINAL rekeys too, and nothing follows it. */
	if (!final && (++e->since >= e->every || (e->clocked &&
	    e->now - e->keyed_at >= FRAME_REKEY_MS))) {
		tag = TAG_REKEY;
		e->since = 0;
		e->keyed_at = e->now;
		e->rekeys++;
	}
	lb[0] = (uint8_t)(len >> 24);
	lb[1] = (uint8_t)(len >> 16);
	lb[2] = (uint8_t)(len >> 8);
	lb[3] = (uint8_t)len;
	crypto_secretstream_xchacha20poly1305_push(&e->st, out, NULL, lb, 4,
	    NULL, 0, TAG_MSG);
	crypto_secretstream_xchacha20poly1305_push(&e->st, out +
	    FRAME_LEN_WIRE, NULL, body, len, NULL, 0, tag);
	e->final = final;
	return (PROTO_OK);
}

struct frame_dec *
frame_dec_new(const uint8_t key[FRAME_KEY_LEN])
{
	struct frame_dec *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (NULL);
	memcpy(d->key, key, FRAME_KEY_LEN);
	d->state = D_HDR;
	d->need = FRAME_HDR_LEN;
	d->every = FRAME_REKEY_MSGS;
	return (d);
}

void
frame_dec_rekey_every(struct frame_dec *d, uint32_t n)
{

	d->every = n > 0 ? n : 1;
}

uint64_t
frame_dec_rekeys(const struct frame_dec *d)
{

	return (d->rekeys);
}

static ssize_t
fail(struct frame_dec *d, int err)
{

	d->err = err;
	sodium_memzero(d->key, sizeof(d->key));
	return (err);
}

ssize_t
frame_dec_feed(struct frame_dec *d, const uint8_t *in, size_t len,
    const uint8_t **out, size_t *out_len, bool *final)
{
	uint8_t lb[4], tag, *dst, *p;
	size_t used = 0, take, flen;

	*out = NULL;
	*out_len = 0;
	*final = false;
	if (d->err)
		return (d->err);
	while (used < len) {
		if (d->state == D_END)
			return (fail(d, PROTO_EMSG));	/* After FINAL. */
		dst = d->state == D_BODY ? d->buf : d->small;
		take = d->need - d->have;
		if (take > len - used)
			take = len - used;
		memcpy(dst + d->have, in + used, take);
		d->have += take;
		used += take;
		if (d->have < d->need)
			break;
		d->have = 0;
		switch (d->state) {
		case D_HDR:
			if (crypto_secretstream_xchacha20poly1305_init_pull(
			    &d->st, d->small, d->key) != 0)
				return (fail(d, PROTO_EDECRYPT));
			sodium_memzero(d->key, sizeof(d->key));
			d->state = D_LEN;
			d->need = FRAME_LEN_WIRE;
			break;
		case D_LEN:
			if (crypto_secretstream_xchacha20poly1305_pull(&d->st,
			    lb, NULL, &tag, d->small, FRAME_LEN_WIRE, NULL, 0) !=
			    0 || tag != TAG_MSG)
				return (fail(d, PROTO_EDECRYPT));
			flen = (size_t)lb[0] << 24 | (size_t)lb[1] << 16 |
			    (size_t)lb[2] << 8 | lb[3];
			/* Checked before it sizes anything. */
			if (flen > FRAME_MAX_LEN)
				return (fail(d, PROTO_ELEN));
			d->need = flen + FRAME_ABYTES;
			if (d->cap < d->need) {
				if ((p = realloc(d->buf, d->need)) == NULL)
					return (fail(d, PROTO_ENOMEM));
				d->buf = p;
				if ((p = realloc(d->out, d->need)) == NULL)
					return (fail(d, PROTO_ENOMEM));
				d->out = p;
				d->cap = d->need;
			}
			d->state = D_BODY;
			break;
		case D_BODY:
			if (crypto_secretstream_xchacha20poly1305_pull(&d->st,
			    d->out, NULL, &tag, d->buf, d->need, NULL, 0) != 0 ||
			    (tag != TAG_MSG && tag != TAG_REKEY &&
			    tag != TAG_FINAL))
				return (fail(d, PROTO_EDECRYPT));
			/* Pulling REKEY changed the key already: count it. */
			if (tag == TAG_REKEY) {
				d->since = 0;
				d->rekeys++;
			} else if (tag == TAG_MSG && ++d->since >= d->every)
				return (fail(d, PROTO_EMSG));
			*out = d->out;
			*out_len = d->need - FRAME_ABYTES;
			*final = tag == TAG_FINAL;
			d->state = *final ? D_END : D_LEN;
			d->need = FRAME_LEN_WIRE;
			return ((ssize_t)used);
		default:
			return (fail(d, PROTO_ESTATE));
		}
	}
	return ((ssize_t)used);
}

bool
frame_dec_ended(const struct frame_dec *d)
{

	return (d->state == D_END);
}

void
frame_dec_free(struct frame_dec *d)
{

	if (d == NULL)
		return;
	sodium_memzero(&d->st, sizeof(d->st));
	sodium_memzero(d->key, sizeof(d->key));
	if (d->out != NULL)
		sodium_memzero(d->out, d->cap);
	free(d->buf);
	free(d->out);
	free(d);
}

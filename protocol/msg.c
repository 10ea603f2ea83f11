/*
 * msg.c: encode and decode session messages.
 */
#include "protocol/msg.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/limits.h"
#include "protocol/mpcheck.h"
#include "protocol/proto.h"

static int
pack_vec(msgpack_packer *pk, const struct msg_vec *v, size_t n)
{
	size_t i;
	int e = 0;

	e |= msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++) {
		e |= msgpack_pack_array(pk, 2);
		e |= msgpack_pack_bin_with_body(pk, v[i].origin,
		    MSG_VEC_KEY_LEN);
		e |= msgpack_pack_uint64(pk, v[i].seq);
	}
	return (e);
}

int
msg_hello(msgpack_sbuffer *sb, const char *name, const struct msg_vec *v,
    size_t n, uint64_t features)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 6);
	e |= msgpack_pack_uint8(&pk, MSG_HELLO);
	e |= msgpack_pack_uint8(&pk, MSG_VERSION);
	e |= msgpack_pack_uint8(&pk, MSG_VERSION);
	e |= msgpack_pack_str_with_body(&pk, name, strlen(name));
	e |= pack_vec(&pk, v, n);
	e |= msgpack_pack_uint64(&pk, features);
	return (e ? -1 : 0);
}

int
msg_ack(msgpack_sbuffer *sb, const struct msg_vec *v, size_t n)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_uint8(&pk, MSG_ACK);
	e |= pack_vec(&pk, v, n);
	return (e ? -1 : 0);
}

int
msg_commits_begin(msgpack_sbuffer *sb, size_t n)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_uint8(&pk, MSG_COMMITS);
	e |= msgpack_pack_array(&pk, n);
	return (e ? -1 : 0);
}

int
msg_commits_add(msgpack_sbuffer *sb, const uint8_t *body, size_t len,
    const uint8_t *sig)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_bin_with_body(&pk, body, len);
	e |= msgpack_pack_bin_with_body(&pk, sig, MSG_SIG_LEN);
	return (e ? -1 : 0);
}

int
msg_ping(msgpack_sbuffer *sb, enum msg_type t, uint64_t nonce)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_uint8(&pk, (uint8_t)t);
	e |= msgpack_pack_uint64(&pk, nonce);
	return (e ? -1 : 0);
}

int
msg_bye(msgpack_sbuffer *sb, const char *reason)
{
	msgpack_packer pk;
	size_t len = strlen(reason);
	int e = 0;

	if (len > MSG_REASON_MAX)
		len = MSG_REASON_MAX;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 2);
	e |= msgpack_pack_uint8(&pk, MSG_BYE);
	e |= msgpack_pack_str_with_body(&pk, reason, len);
	return (e ? -1 : 0);
}

int
msg_part(msgpack_sbuffer *sb, uint64_t total, uint64_t offset,
    const uint8_t *b, size_t len, const uint8_t *sig)
{
	msgpack_packer pk;
	int e = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	e |= msgpack_pack_array(&pk, 5);
	e |= msgpack_pack_uint8(&pk, MSG_PART);
	e |= msgpack_pack_uint64(&pk, total);
	e |= msgpack_pack_uint64(&pk, offset);
	e |= msgpack_pack_bin_with_body(&pk, b, len);
	e |= msgpack_pack_bin_with_body(&pk, sig, MSG_SIG_LEN);
	return (e ? -1 : 0);
}

static bool
is_uint(const msgpack_object *o)
{

	return (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER);
}

static int
get_vec(struct msg *m, const msgpack_object *o)
{
	const msgpack_object *e;
	size_t i;

	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > MSG_MAX_ORIGINS)
		return (PROTO_EMSG);
	m->nvec = o->via.array.size;
	if ((m->vec = calloc(m->nvec + 1, sizeof(*m->vec))) == NULL)
		return (PROTO_ENOMEM);
	m->mem = m->vec;
	for (i = 0; i < m->nvec; i++) {
		e = &o->via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2 ||
		    e->via.array.ptr[0].type != MSGPACK_OBJECT_BIN ||
		    e->via.array.ptr[0].via.bin.size != MSG_VEC_KEY_LEN ||
		    !is_uint(&e->via.array.ptr[1]))
			return (PROTO_EMSG);
		m->vec[i].origin =
		    (const uint8_t *)e->via.array.ptr[0].via.bin.ptr;
		m->vec[i].seq = e->via.array.ptr[1].via.u64;
	}
	return (PROTO_OK);
}

static int
get_text(struct msg *m, const msgpack_object *o, size_t max)
{

	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > max)
		return (PROTO_EMSG);
	m->text = o->via.str.ptr;
	m->text_len = o->via.str.size;
	return (PROTO_OK);
}

int
msg_decode(const uint8_t *buf, size_t len, struct msg *m)
{
	msgpack_object root, *a, *c;
	size_t off = 0, i, n;

	memset(m, 0, sizeof(*m));
	if (mpcheck(buf, len, MSG_MAX_DEPTH))
		return (PROTO_EMSG);
	if ((m->zone = msgpack_zone_new(4096)) == NULL)
		return (PROTO_ENOMEM);
	if (msgpack_unpack((const char *)buf, len, &off, m->zone, &root) !=
	    MSGPACK_UNPACK_SUCCESS || off != len ||
	    root.type != MSGPACK_OBJECT_ARRAY || root.via.array.size < 2)
		return (PROTO_EMSG);
	a = root.via.array.ptr;
	n = root.via.array.size;
	if (!is_uint(&a[0]))
		return (PROTO_EMSG);
	m->type = (enum msg_type)a[0].via.u64;
	switch (a[0].via.u64) {
	case MSG_HELLO:
		if (n != 6 || !is_uint(&a[1]) || !is_uint(&a[2]) ||
		    !is_uint(&a[5]))
			return (PROTO_EMSG);
		m->ver_min = a[1].via.u64;
		m->ver_max = a[2].via.u64;
		m->features = a[5].via.u64;
		if (get_text(m, &a[3], MSG_NAME_MAX))
			return (PROTO_EMSG);
		return (get_vec(m, &a[4]));
	case MSG_ACK:
		if (n != 2)
			return (PROTO_EMSG);
		return (get_vec(m, &a[1]));
	case MSG_COMMITS:
		if (n != 2 || a[1].type != MSGPACK_OBJECT_ARRAY ||
		    a[1].via.array.size > MSG_MAX_COMMITS)
			return (PROTO_EMSG);
		m->ncommits = a[1].via.array.size;
		if ((m->commits = calloc(m->ncommits + 1,
		    sizeof(*m->commits))) == NULL)
			return (PROTO_ENOMEM);
		m->mem = m->commits;
		for (i = 0; i < m->ncommits; i++) {
			c = &a[1].via.array.ptr[i];
			if (c->type != MSGPACK_OBJECT_ARRAY ||
			    c->via.array.size != 2 ||
			    c->via.array.ptr[0].type != MSGPACK_OBJECT_BIN ||
			    c->via.array.ptr[1].type != MSGPACK_OBJECT_BIN ||
			    c->via.array.ptr[1].via.bin.size != MSG_SIG_LEN)
				return (PROTO_EMSG);
			m->commits[i].body =
			    (const uint8_t *)c->via.array.ptr[0].via.bin.ptr;
			m->commits[i].len = c->via.array.ptr[0].via.bin.size;
			m->commits[i].sig =
			    (const uint8_t *)c->via.array.ptr[1].via.bin.ptr;
		}
		return (PROTO_OK);
	case MSG_PING:
	case MSG_PONG:
		if (n != 2 || !is_uint(&a[1]))
			return (PROTO_EMSG);
		m->nonce = a[1].via.u64;
		return (PROTO_OK);
	case MSG_BYE:
		if (n != 2)
			return (PROTO_EMSG);
		return (get_text(m, &a[1], MSG_REASON_MAX));
	case MSG_PART:
		if (n != 5 || !is_uint(&a[1]) || !is_uint(&a[2]) ||
		    a[3].type != MSGPACK_OBJECT_BIN ||
		    a[4].type != MSGPACK_OBJECT_BIN ||
		    a[4].via.bin.size != MSG_SIG_LEN)
			return (PROTO_EMSG);
		m->total = a[1].via.u64;
		m->offset = a[2].via.u64;
		if ((m->commits = calloc(1, sizeof(*m->commits))) == NULL)
			return (PROTO_ENOMEM);
		m->mem = m->commits;
		m->ncommits = 1;
		m->commits[0].body = (const uint8_t *)a[3].via.bin.ptr;
		m->commits[0].len = a[3].via.bin.size;
		m->commits[0].sig = (const uint8_t *)a[4].via.bin.ptr;
		return (PROTO_OK);
	default:
		return (PROTO_EMSG);
	}
}

void
msg_fini(struct msg *m)
{

	if (m->zone != NULL)
		msgpack_zone_free(m->zone);
	free(m->mem);
	memset(m, 0, sizeof(*m));
}

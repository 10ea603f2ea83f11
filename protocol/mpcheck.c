/*
 * mpcheck.c: walk msgpack headers without allocating.
 */
#include "protocol/mpcheck.h"

#include <string.h>

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < n; i++)
		x = (x << 8) | p[i];
	return (x);
}

/*
 * Walk one object at ${*off}.  Containers are walked iteratively through a
 * small stack of remaining-element counts, so depth costs no C stack.
 */
int
mpcheck(const uint8_t *buf, size_t len, unsigned max_depth)
{
	uint64_t stack[MPCHECK_MAX_DEPTH + 1];
	unsigned depth = 0;
	size_t off = 0, hl;
	uint64_t body, elems;
	uint8_t b;

	if (max_depth > MPCHECK_MAX_DEPTH)
		max_depth = MPCHECK_MAX_DEPTH;
	stack[0] = 1;
	for (;;) {
		while (depth > 0 && stack[depth] == 0)
			depth--;
		if (stack[depth] == 0)
			break;
		stack[depth]--;
		if (off >= len)
			return (-1);
		b = buf[off];
		hl = 1;
		body = 0;
		elems = 0;
		if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3)) {
			/* fixint, nil, bool */
			if (b == 0xc1)
				return (-1);
		} else if (b >= 0x80 && b <= 0x8f)
			elems = 2 * (uint64_t)(b & 0x0f);
		else if (b >= 0x90 && b <= 0x9f)
			elems = b & 0x0f;
		else if (b >= 0xa0 && b <= 0xbf)
			body = b & 0x1f;
		else switch (b) {
		case 0xc4: case 0xd9: hl = 2; break;
		case 0xc5: case 0xda: hl = 3; break;
		case 0xc6: case 0xdb: hl = 5; break;
		case 0xcc: case 0xd0: hl = 1; body = 1; break;
		case 0xcd: case 0xd1: hl = 1; body = 2; break;
		case 0xca: case 0xce: case 0xd2: hl = 1; body = 4; break;
		case 0xcb: case 0xcf: case 0xd3: hl = 1; body = 8; break;
		case 0xdc: case 0xde: hl = 3; break;
		case 0xdd: case 0xdf: hl = 5; break;
		default:
			return (-1);	/* ext types: never ours */
		}
		if (len - off < hl)
			return (-1);
		switch (b) {
		case 0xc4: case 0xc5: case 0xc6:
		case 0xd9: case 0xda: case 0xdb:
			body = be(buf + off + 1, hl - 1);
			break;
		case 0xdc: case 0xdd:
			elems = be(buf + off + 1, hl - 1);
			break;
		case 0xde: case 0xdf:
			elems = 2 * be(buf + off + 1, hl - 1);
			break;
		default:
			break;
		}
		off += hl;
		if (body > len - off)
			return (-1);
		off += body;
		if (elems > 0) {
			/* Each element takes at least one byte. */
			if (elems > len - off || depth + 1 > max_depth)
				return (-1);
			stack[++depth] = elems;
		}
	}
	return (off == len ? 0 : -1);
}

int
mp_get_bin(const msgpack_object *o, uint8_t *out, size_t len)
{

	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != len)
		return (-1);
	memcpy(out, o->via.bin.ptr, len);
	return (0);
}

bool
mp_is_uint(const msgpack_object *o)
{

	return (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER);
}

bool
mp_is_bin(const msgpack_object *o)
{

	return (o->type == MSGPACK_OBJECT_BIN);
}

bool
mp_is_str(const msgpack_object *o)
{

	return (o->type == MSGPACK_OBJECT_STR);
}

int
mp_get_u64(const msgpack_object *o, uint64_t *x)
{

	if (!mp_is_uint(o))
		return (-1);
	*x = o->via.u64;
	return (0);
}

int
mp_get_text(const msgpack_object *o, char *out, size_t max)
{

	if (!mp_is_str(o) || o->via.str.size > max)
		return (-1);
	/* msgpack-c gives an empty str a NULL pointer: no memcpy(). */
	if (o->via.str.size > 0)
		memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return (0);
}

#ifndef PROTOCOL_MPCHECK_H
#define PROTOCOL_MPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/*
 * msgpack-c 4.0.0 trusts declared lengths: an array header announcing 2^32
 * elements makes it reserve gigabytes before a single element arrives, and
 * it reports nesting deeper than 32 as out-of-memory.  Every buffer from a
 * peer or a file is walked here first, header by header, before it reaches
 * msgpack_unpack().
 */
#define MPCHECK_MAX_DEPTH	8

/**
 * mpcheck(buf, len, max_depth):
 * Return 0 if ${buf} holds exactly one msgpack object, no count or length
 * exceeds the bytes left, nesting stays within ${max_depth}, no ext types
 * and no trailing bytes; otherwise -1.
 */
int mpcheck(const uint8_t *, size_t, unsigned);

/**
 * mp_get_bin(o, out, len):
 * Copy the bin ${o} into ${out} if it is exactly ${len} bytes long: 0;
 * otherwise -1 and ${out} untouched.
 */
int mp_get_bin(const msgpack_object *, uint8_t *, size_t);

/* Whether ${o} is a positive integer (msgpack-c's "uint"). */
bool mp_is_uint(const msgpack_object *);

/* Whether ${o} is a bin, of any length. */
bool mp_is_bin(const msgpack_object *);

/* Whether ${o} is a str, of any length. */
bool mp_is_str(const msgpack_object *);

/* ${*x} = the positive integer ${o}: 0; otherwise -1, ${x} untouched. */
int mp_get_u64(const msgpack_object *, uint64_t *);

/**
 * mp_get_text(o, out, max):
 * Copy the str ${o} into ${out} NUL-terminated if it is at most ${max}
 * bytes long (${out} holds max + 1): 0; otherwise -1, ${out} untouched.
 */
int mp_get_text(const msgpack_object *, char *, size_t);

#endif /* !PROTOCOL_MPCHECK_H */

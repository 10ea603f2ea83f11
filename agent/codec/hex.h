#ifndef AGENT_HEX_H
#define AGENT_HEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Hex as hamroh writes it everywhere (ids, keys, key files, records):
 * lowercase, two digits a byte.
 */

/* ${len} bytes of ${b} as 2 * ${len} digits and a NUL into ${out}. */
void hex_encode(const uint8_t *, size_t, char *);

/* Exactly 2 * ${len} hex digits (either case) of ${s} into ${out}; -1 if not. */
int hex_decode(const char *, uint8_t *, size_t);

#endif /* !AGENT_HEX_H */
